//! go-yaml v2, the YAML library kubeseal reads and writes with (through
//! sigs.k8s.io/yaml), as far as its YAML 1.1 scalar rules go: one resolver for
//! the manifest reader, the emitter and `check`, so the three can never
//! disagree about what an unquoted scalar means.
//!
//! YAML 1.1 reads `yes` as a boolean and `0123` as octal 83; go-yaml v2 reads
//! `1:20` as a string but still quotes it when writing (a YAML 1.1 base-60
//! float). Where Go's
//! standard library decides (`strconv` numbers, `time.Parse` timestamps) the
//! rules are ported from Go 1.26, the Go kubeseal v0.36 is built with, not
//! borrowed from Rust's parsers, which accept other spellings.

mod resolve;
pub mod strconv;
mod timestamp;

pub use resolve::{can_use_plain, resolve_plain, Resolved};
pub(crate) use timestamp::is_go_rfc3339;
