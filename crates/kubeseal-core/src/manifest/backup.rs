//! Reading a sealed-secrets controller key backup: the private keys `unseal`
//! decrypts with.

use zeroize::Zeroizing;

use super::decode::read_secrets;
use super::error::ManifestError;
use super::json::looks_like_json;
use crate::secret::SecretBytes;

/// One private key from a controller key backup.
#[derive(Debug, Clone)]
pub struct BackupKey {
    /// The key Secret's name (empty for a bare PEM file).
    pub name: String,
    /// The key Secret's namespace (empty for a bare PEM file).
    pub namespace: String,
    /// The PEM bytes of `tls.key`.
    pub pem: SecretBytes,
}

/// A key backup written as Go's `json.Marshal` (or `yaml.Marshal`) of a
/// `v1.SecretList` value has no `kind` or `apiVersion`, only `metadata` and
/// `items`: return it as the `v1.List` it is, so the reader takes its items.
/// `None` for anything else (read as it is).
fn kindless_list(bytes: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use serde::de::IgnoredAny;
    // Only the shape is looked at (no key material is copied out of `bytes`).
    #[derive(serde::Deserialize)]
    struct Probe {
        kind: Option<IgnoredAny>,
        #[serde(rename = "apiVersion")]
        api_version: Option<IgnoredAny>,
        items: Option<Vec<IgnoredAny>>,
    }
    let json = looks_like_json(bytes);
    let probe: Probe = if json {
        serde_json::from_slice(bytes).ok()?
    } else {
        serde_yaml::from_slice(bytes).ok()?
    };
    if probe.kind.is_some() || probe.api_version.is_some() || probe.items.is_none() {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() + 40));
    if json {
        let brace = bytes.iter().position(|&b| b == b'{')?;
        out.extend_from_slice(&bytes[..=brace]);
        out.extend_from_slice(br#""apiVersion":"v1","kind":"List","#);
        out.extend_from_slice(&bytes[brace + 1..]);
    } else {
        let text = std::str::from_utf8(bytes).ok()?;
        if text.trim_start().starts_with("---") || text.starts_with(char::is_whitespace) {
            return None;
        }
        out.extend_from_slice(b"apiVersion: v1\nkind: List\n");
        out.extend_from_slice(bytes);
    }
    Some(out)
}

/// Reads a sealed-secrets controller key backup as `kubectl get secret -n kube-system
/// -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml` prints it (a `v1.List` of
/// `kubernetes.io/tls` Secrets, or Secret documents), or a bare PEM file, and returns
/// each `tls.key` as PEM bytes (parsing them is the crypto module's job).
pub fn read_private_key_backup(
    origin: &str,
    bytes: &[u8],
) -> Result<Vec<BackupKey>, ManifestError> {
    // Go's pem.Decode (kubeseal tries a PEM key first): a block starts at the
    // beginning of the input or of any line; text before it is skipped.
    let pem_start =
        bytes.starts_with(b"-----BEGIN ") || bytes.windows(12).any(|w| w == b"\n-----BEGIN ");
    if pem_start && !looks_like_json(bytes) {
        return Ok(vec![BackupKey {
            name: String::new(),
            namespace: String::new(),
            pem: Zeroizing::new(bytes.to_vec()),
        }]);
    }
    let relabeled = kindless_list(bytes);
    let secrets = read_secrets(origin, relabeled.as_ref().map_or(bytes, |r| r.as_slice()))?;
    if secrets.is_empty() {
        return Err(ManifestError::Empty {
            origin: origin.to_string(),
            problem: "no Secret and no PEM key found".into(),
            todo: "give a PEM private key or the output of `kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`".into(),
        });
    }
    secrets
        .into_iter()
        .map(|mut s| {
            let pem = s
                .data
                .remove("tls.key")
                .or_else(|| s.string_data.remove("tls.key"))
                .ok_or_else(|| ManifestError::Empty {
                    origin: origin.to_string(),
                    problem: format!("Secret {:?} has no data[\"tls.key\"], so it is not a sealed-secrets key", s.metadata.name),
                    todo: "select the key Secrets with -l sealedsecrets.bitnami.com/sealed-secrets-key".into(),
                })?;
            Ok(BackupKey {
                name: s.metadata.name,
                namespace: s.metadata.namespace,
                pem,
            })
        })
        .collect()
}
