//! Reading Kubernetes objects the way kubeseal does, with clear errors where kubeseal
//! would silently misread.
//!
//! kubeseal reads its input with apimachinery's `yaml.NewYAMLOrJSONDecoder`:
//! - If the first non-space character (within 4096 bytes) is `{`, the input is a
//!   stream of JSON objects (Go `encoding/json`), one after the other; if the first one
//!   fails to decode, the whole input is read as YAML instead.
//! - Otherwise the input is YAML, cut into documents at lines that *start* with `---`
//!   (anything after it but spaces or a `#` comment is an error); `\r\n` becomes `\n`.
//!   Each document goes through sigs.k8s.io/yaml: go-yaml v2 (YAML 1.1) into generic
//!   values, then to JSON, then into the Go struct.
//! - Empty documents (nothing, or only comments, or `{}`) are skipped.
//!
//! YAML 1.1 (kubeseal) and YAML 1.2 (most other tools, serde_yaml) read some unquoted
//! scalars differently, and sigs.k8s.io/yaml then turns a non-string into text when
//! the Go field is a string. So kubeseal reads `enabled: yes` as `"true"`, `v: 1.10` as
//! `"1.1"`, `pin: 0123` as `"83"` (octal), `n: 1_000` as `"1000"`, `x: 0x1F` as
//! `"31"`, `k: 1e3` as `"1000"`, `f: 3.14159265` as `"3.1415927"` (float32!), `y: ~`
//! as `""`. This module parses YAML with libyaml (go-yaml v2 is a port of it, so the
//! syntax accepted is the same) keeping each scalar's style, resolves unquoted
//! scalars exactly as go-yaml v2 does, and where kubeseal's text would differ from
//! what is written it refuses the input, naming file, line and field, and asks for
//! quotes. Where both agree (`true`, `123`, `1.5`, `null` → `""`) it reads the same
//! value as kubeseal.
//!
//! Other deliberate differences from kubeseal, all errors instead of silent surprises:
//! objects of another kind (kubeseal decodes a ConfigMap as a Secret), field names
//! in the wrong case (Go's JSON matches `Data` to `data`), duplicate keys (last one
//! wins in Go), YAML merge keys `<<`, explicit tags other than `!!str`, non-UTF-8
//! input. `kind: List` (what `kubectl get -o yaml` prints) is read item by item.
//!
//! Error messages name the origin, the line and the field; they never contain a
//! value (only keys, kinds and API versions).
//!
//! The pieces: [`documents`](parse_documents) splits a stream (JSON or YAML),
//! `yaml` and `json` build the positioned [`Node`] tree (go-yaml v2's resolution
//! comes from [`crate::goyaml`]), `decode` reads Secrets and SealedSecrets from
//! it, `backup` reads controller key backups.

mod backup;
mod decode;
mod documents;
mod error;
mod json;
mod libyaml;
mod tree;
mod yaml;

pub use backup::{read_private_key_backup, BackupKey};
pub use decode::{read_sealed_secrets, read_secrets};
pub use documents::{detect_style, parse_documents};
pub use error::ManifestError;
pub use tree::{Document, Node, Scalar, Value};
