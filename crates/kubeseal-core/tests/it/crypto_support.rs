//! Shared helpers for the crypto / cert / value-interop tests: fixture paths,
//! key loading, peer tools (which must be installed: `bash .ci/setup`).
#![allow(dead_code)]

use std::path::PathBuf;

use kubeseal_core::crypto::{RsaPrivateKey, RsaPublicKey};
use rand::{CryptoRng, RngCore};

pub use empseal_testkit::paths::{key_path, read_key_file};
pub use empseal_testkit::pki::{custom_cert_pem, subject_cert_pem};
pub use empseal_testkit::process::{run, run_ok};

/// Path of a peer driver under tests/interop.
pub fn interop_path(name: &str) -> PathBuf {
    empseal_testkit::paths::in_repo("tests/interop").join(name)
}

/// The key sizes every test covers.
pub const SIZES: [usize; 3] = [2048, 3072, 4096];

/// The PKCS#1 private key of the given size.
pub fn private_key(bits: usize) -> RsaPrivateKey {
    RsaPrivateKey::from_pem(&read_key_file(&format!("rsa{bits}.key"))).unwrap()
}

/// The public key of the given size, from its certificate.
pub fn public_key(bits: usize) -> RsaPublicKey {
    let bytes = read_key_file(&format!("rsa{bits}.crt"));
    kubeseal_core::cert::Certificate::from_pem(&bytes, &format!("rsa{bits}.crt"))
        .unwrap()
        .public_key
}

/// An rng that hands out a fixed byte string and panics when it runs out: it
/// proves exactly which bytes an operation drew.
pub struct ScriptedRng {
    pub bytes: Vec<u8>,
    pub pos: usize,
}

impl ScriptedRng {
    pub fn new(bytes: Vec<u8>) -> Self {
        ScriptedRng { bytes, pos: 0 }
    }
}

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        let end = self.pos + dst.len();
        assert!(end <= self.bytes.len(), "ScriptedRng exhausted");
        dst.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
    }
}

impl CryptoRng for ScriptedRng {}

/// The three label forms: strict, namespace-wide, cluster-wide.
pub fn labels() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("strict", b"emp-system-paper/emp-secrets-paper".to_vec()),
        ("namespace-wide", b"emp-system-paper".to_vec()),
        ("cluster-wide", Vec::new()),
    ]
}
