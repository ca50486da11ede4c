//! The Secret and SealedSecret models.
//!
//! These mirror the Go structs kubeseal works with (`k8s.io/api/core/v1.Secret`,
//! `bitnami.com/v1alpha1.SealedSecret`) field for field, so that [`crate::emit`]
//! can print them in Go's field order and the controller reads back exactly what
//! kubeseal would have produced. Plaintext values live in zeroizing buffers.
//! [`validate`] holds the API server's rules for a Secret's type and data.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

mod gojson;
pub mod validate;

pub use validate::{validate_secret, SecretOrigin, SecretTypeError};

/// Annotation that makes a SealedSecret namespace-wide.
pub const NAMESPACE_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/namespace-wide";
/// Annotation that makes a SealedSecret cluster-wide (wins over namespace-wide).
pub const CLUSTER_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/cluster-wide";
/// Annotations kubeseal strips from the template because they may hold plaintext.
pub const LAST_APPLIED_ANNOTATIONS: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
];

/// A plaintext secret value; wiped from memory when dropped.
pub type SecretBytes = Zeroizing<Vec<u8>>;

/// Reads `reader` to its end (a Secret manifest on stdin, an env file) into
/// [`SecretBytes`] without leaving an unwiped copy behind: `Read::read_to_end`
/// grows its vector by reallocating and frees the old plaintext as it is; this
/// grows by moving into a larger zeroizing buffer. `size_hint` is the expected
/// length (a file's size; 0 when unknown).
pub fn read_secret_bytes(
    mut reader: impl std::io::Read,
    size_hint: usize,
) -> std::io::Result<SecretBytes> {
    let mut buf: SecretBytes =
        Zeroizing::new(Vec::with_capacity(size_hint.saturating_add(1).max(8192)));
    loop {
        if buf.len() == buf.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(buf.capacity() * 2));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        let len = buf.len();
        let capacity = buf.capacity();
        buf.resize(capacity, 0);
        match reader.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return Ok(buf);
            }
            Ok(n) => buf.truncate(len + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
}

/// Reads the file at `path` with [`read_secret_bytes`], its size as the hint: a
/// file that may hold plaintext (a Secret manifest, a key backup) never leaves an
/// unwiped copy in memory.
pub fn read_secret_file(path: &std::path::Path) -> std::io::Result<SecretBytes> {
    let f = std::fs::File::open(path)?;
    let len = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
    read_secret_bytes(f, len)
}

/// Where a sealed value may be unsealed; decides the RSA-OAEP label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// Bound to namespace and name (label `"<ns>/<name>"`), kubeseal's default.
    #[default]
    Strict,
    /// Bound to the namespace only (label `"<ns>"`).
    NamespaceWide,
    /// Unsealable anywhere in the cluster (empty label).
    ClusterWide,
}

impl Scope {
    /// The scope as kubeseal names it on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }

    /// Parses kubeseal's `--scope` values (`""` means the default, strict).
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "" | "strict" => Some(Scope::Strict),
            "namespace-wide" => Some(Scope::NamespaceWide),
            "cluster-wide" => Some(Scope::ClusterWide),
            _ => None,
        }
    }

    /// The scope an object's annotations declare, exactly as kubeseal's `SecretScope`:
    /// cluster-wide `"true"` wins, then namespace-wide `"true"`, else strict.
    pub fn from_annotations(annotations: &BTreeMap<String, String>) -> Scope {
        if annotations.get(CLUSTER_WIDE_ANNOTATION).map(String::as_str) == Some("true") {
            Scope::ClusterWide
        } else if annotations
            .get(NAMESPACE_WIDE_ANNOTATION)
            .map(String::as_str)
            == Some("true")
        {
            Scope::NamespaceWide
        } else {
            Scope::Strict
        }
    }

    /// The RSA-OAEP label binding a value to where it may be unsealed.
    pub fn label(self, namespace: &str, name: &str) -> Vec<u8> {
        match self {
            Scope::Strict => format!("{namespace}/{name}").into_bytes(),
            Scope::NamespaceWide => namespace.as_bytes().to_vec(),
            Scope::ClusterWide => Vec::new(),
        }
    }

    /// Rewrites scope annotations the way kubeseal's `UpdateScopeAnnotations` does.
    pub fn apply_to_annotations(self, annotations: &mut BTreeMap<String, String>) {
        annotations.remove(NAMESPACE_WIDE_ANNOTATION);
        annotations.remove(CLUSTER_WIDE_ANNOTATION);
        match self {
            Scope::Strict => {}
            Scope::NamespaceWide => {
                annotations.insert(NAMESPACE_WIDE_ANNOTATION.into(), "true".into());
            }
            Scope::ClusterWide => {
                annotations.insert(CLUSTER_WIDE_ANNOTATION.into(), "true".into());
            }
        }
    }
}

/// Which kubeseal generation's bytes to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// kubeseal built on Kubernetes libraries >= 0.34: no `creationTimestamp`.
    #[default]
    Current,
    /// kubeseal up to about v0.32: `creationTimestamp: null` in both metadata blocks.
    Legacy,
}

/// Output format, as kubeseal's `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `---\n` then go-yaml v2 bytes, per object.
    #[default]
    Yaml,
    /// Go `json.MarshalIndent` with two spaces, then `\n`, per object.
    Json,
}

/// `metav1.ObjectMeta`, the fields kubeseal can carry, in Go struct order.
///
/// `creationTimestamp` is not stored: kubeseal always clears it; the [`Layout`]
/// decides whether it is printed as `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.generateName`.
    pub generate_name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.selfLink` (read-only; cleared before sealing).
    pub self_link: String,
    /// `metadata.uid` (read-only; cleared before sealing).
    pub uid: String,
    /// `metadata.resourceVersion` (read-only; cleared before sealing).
    pub resource_version: String,
    /// `metadata.generation` (0 = unset).
    pub generation: i64,
    /// `metadata.deletionTimestamp`, RFC 3339, when set.
    pub deletion_timestamp: Option<String>,
    /// `metadata.deletionGracePeriodSeconds`, when set.
    pub deletion_grace_period_seconds: Option<i64>,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `metadata.ownerReferences`, kept as JSON (kubeseal drops them from templates).
    pub owner_references: Vec<serde_json::Value>,
    /// `metadata.finalizers`.
    pub finalizers: Vec<String>,
    /// `metadata.managedFields`, kept as JSON.
    pub managed_fields: Vec<serde_json::Value>,
}

/// A `v1.Secret` with plaintext values.
#[derive(Debug, Clone, Default)]
pub struct Secret {
    /// The Secret's metadata.
    pub metadata: ObjectMeta,
    /// `immutable`, when set.
    pub immutable: Option<bool>,
    /// `data`, decoded from base64.
    pub data: BTreeMap<String, SecretBytes>,
    /// `stringData`.
    pub string_data: BTreeMap<String, SecretBytes>,
    /// `type`, when set (e.g. `Opaque`).
    pub type_: Option<String>,
}

impl Secret {
    /// The scope the Secret's own annotations declare.
    pub fn scope(&self) -> Scope {
        Scope::from_annotations(&self.metadata.annotations)
    }
}

/// `spec.template` of a SealedSecret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretTemplate {
    /// Metadata the controller gives the Secret it creates.
    pub metadata: ObjectMeta,
    /// `type`, when set.
    pub type_: Option<String>,
    /// `immutable`, when set.
    pub immutable: Option<bool>,
    /// `data`: Go templates over decrypted values (rare).
    pub data: BTreeMap<String, String>,
}

/// A `bitnami.com/v1alpha1` SealedSecret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealedSecret {
    /// Outer metadata: name, namespace and the scope annotation.
    pub metadata: ObjectMeta,
    /// `spec.template`.
    pub template: SecretTemplate,
    /// `spec.encryptedData`: key → base64 wire value.
    pub encrypted_data: BTreeMap<String, String>,
}

impl SealedSecret {
    /// The scope declared by the object's own metadata, as the controller computes it.
    pub fn scope(&self) -> Scope {
        Scope::from_annotations(&self.metadata.annotations)
    }

    /// The OAEP label the controller will use for this object's values.
    pub fn label(&self) -> Vec<u8> {
        self.scope()
            .label(&self.metadata.namespace, &self.metadata.name)
    }
}

#[cfg(test)]
mod tests {
    use super::read_secret_bytes;
    use std::io::{self, Read};

    /// Hands out at most `chunk` bytes per read, failing once with `Interrupted`
    /// (retried) and, when `fail_at` is reached, with a real error.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
        interrupted: bool,
        fail_at: Option<usize>,
        at: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted && self.at > 0 {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.fail_at.is_some_and(|f| self.at >= f) {
                return Err(io::Error::other("disk gone"));
            }
            let n = self.chunk.min(out.len()).min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn reads_everything_across_growth_and_interruptions() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for (hint, chunk) in [(0, 1000), (data.len(), 4096), (10, 70_000), (0, 3)] {
            let r = Trickle {
                data: &data,
                chunk,
                interrupted: false,
                fail_at: None,
                at: 0,
            };
            let got = read_secret_bytes(r, hint).unwrap();
            assert_eq!(
                got.as_slice(),
                data.as_slice(),
                "hint {hint}, chunk {chunk}"
            );
        }
        assert!(read_secret_bytes(&b""[..], 0).unwrap().is_empty());
        let failing = Trickle {
            data: &data,
            chunk: 500,
            interrupted: true,
            fail_at: Some(20_000),
            at: 0,
        };
        let e = read_secret_bytes(failing, 0).unwrap_err();
        assert_eq!(e.to_string(), "disk gone");
    }
}
