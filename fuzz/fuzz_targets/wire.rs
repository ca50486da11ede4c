//! The ciphertext decoder: base64 text and raw wire bytes through `parse_wire` and
//! `hybrid_decrypt` with a fixed test key (testdata/keys/rsa2048.key, test material).
//! Ok or Err, never a panic.
#![no_main]
use std::sync::OnceLock;

use kubeseal_core::crypto::RsaPrivateKey;

#[path = "../harness.rs"]
mod harness;

static KEY: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let keys = KEY.get_or_init(|| {
        vec![
            RsaPrivateKey::from_pem(include_bytes!("../../testdata/keys/rsa2048.key"))
                .expect("test key"),
        ]
    });
    harness::wire(keys, data);
});
