//! Reading a sealed-secrets controller key backup: the private keys `unseal`
//! decrypts with.

use zeroize::Zeroizing;

use super::decode::read_key_backup_secrets;
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

/// Reads a sealed-secrets controller key backup as `kubectl get secret -n kube-system
/// -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml` prints it (a `v1.List` of
/// `kubernetes.io/tls` Secrets, or Secret documents; Go's `json.Marshal` of a
/// `v1.SecretList`, without kind or apiVersion, is that list too), or a PEM file
/// (text before the key is skipped, as Go's `pem.Decode` does), and returns
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
    let secrets = read_key_backup_secrets(origin, bytes)?;
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
