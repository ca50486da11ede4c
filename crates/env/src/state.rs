//! The local, gitignored seal state of an environment (HMACs of the sealed
//! values under a random local key) and the marker `rollback` leaves beside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secrets::EnvSecret;
use crate::target::Target;

/// The local seal state: which value each sealed key had (as an HMAC under a
/// random local key), for which certificate, target and sealed file. Lets
/// `seal --env` keep the ciphertext of unchanged values. Never committed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Format version (1).
    pub version: u32,
    /// Fingerprint of the certificate the values were sealed with.
    pub cert_fingerprint: String,
    /// Name, namespace and scope they were sealed for.
    pub sealed_for: Target,
    /// SHA-256 (hex) of the sealed file written with them.
    pub sealed_sha256: String,
    /// The random HMAC key (base64), local to this checkout.
    pub hmac_key: String,
    /// Key → HMAC-SHA256(hmac_key, value), hex.
    pub values: BTreeMap<String, String>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("cert_fingerprint", &self.cert_fingerprint)
            .field("sealed_for", &self.sealed_for)
            .field("keys", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

const STATE_HEADER: &str = "# empseal local seal state: HMACs of the sealed values under a random local key.\n# Never commit this file (it is gitignored); deleting it makes the next seal reseal every key.\n";

impl State {
    /// A fresh state with a new random HMAC key.
    pub fn new<R: RngCore + CryptoRng + ?Sized>(
        rng: &mut R,
        cert_fingerprint: &str,
        target: &Target,
    ) -> State {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut key[..]);
        State {
            version: 1,
            cert_fingerprint: cert_fingerprint.to_string(),
            sealed_for: target.clone(),
            sealed_sha256: String::new(),
            hmac_key: base64::engine::general_purpose::STANDARD.encode(&key[..]),
            values: BTreeMap::new(),
        }
    }

    /// HMAC-SHA256 of `value` under this state's key, hex.
    pub fn mac(&self, value: &[u8]) -> String {
        let key = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(&self.hmac_key)
                .unwrap_or_default(),
        );
        hex::encode(hmac_sha256(&key, value))
    }

    /// The state file's bytes.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let body = serde_yaml::to_string(self).expect("a state always serializes");
        Zeroizing::new(format!("{STATE_HEADER}{body}").into_bytes())
    }

    /// Reads the state file; a missing, unreadable or foreign file is `None` (the
    /// caller then reseals everything, which is always safe).
    pub fn load(path: &Path) -> Option<State> {
        let bytes = Zeroizing::new(std::fs::read(path).ok()?);
        let s: State = serde_yaml::from_slice(&bytes).ok()?;
        (s.version == 1
            && base64::engine::general_purpose::STANDARD
                .decode(&s.hmac_key)
                .map(|k| k.len() == 32)
                .unwrap_or(false))
        .then_some(s)
    }
}

/// HMAC-SHA256 (RFC 2104): the local state's fingerprint of a value.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::Mac as _;
    let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(key)
        .expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The local marker `rollback` leaves beside a secret's seal state (gitignored like
/// it): which revision the sealed file was restored from and its sha256.
pub fn rollback_marker(secret: &EnvSecret) -> PathBuf {
    let name = secret
        .state
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".state").unwrap_or(&name);
    secret
        .state
        .with_file_name(format!("{stem}-rollback.state"))
}

/// The marker's content: `(revision, sha256)`, when present and readable.
pub fn read_rollback_marker(secret: &EnvSecret) -> Option<(String, String)> {
    let text = std::fs::read_to_string(rollback_marker(secret)).ok()?;
    let mut rev = None;
    let mut sha = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("rev: ") {
            rev = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("sha256: ") {
            sha = Some(v.trim().to_string());
        }
    }
    Some((rev?, sha?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeseal_core::secret::Scope;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let long_key = [0xaau8; 131];
        let mac = hmac_sha256(
            &long_key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn state_roundtrips_and_macs_depend_on_key() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let t = Target {
            name: "n".into(),
            namespace: "ns".into(),
            scope: Scope::Strict,
        };
        let mut s = State::new(&mut rng, "SHA256:x", &t);
        let m = s.mac(b"value");
        s.values.insert("K".into(), m.clone());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".x.state");
        std::fs::write(&p, &*s.to_bytes()).unwrap();
        let back = State::load(&p).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.mac(b"value"), m);
        let other = State::new(&mut rng, "SHA256:x", &t);
        assert_ne!(other.mac(b"value"), m);
        std::fs::write(&p, b"garbage: [").unwrap();
        assert!(State::load(&p).is_none());
        assert!(!format!("{s:?}").contains(&s.hmac_key));
    }
}
