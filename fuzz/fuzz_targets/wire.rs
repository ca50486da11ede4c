//! The ciphertext decoder: base64 text and raw wire bytes through `parse_wire` and
//! `hybrid_decrypt` with a fixed test key (testdata/keys/rsa2048.key, test material).
//! Ok or Err, never a panic.
#![no_main]
use std::sync::OnceLock;

use empseal::crypto::{b64_decode, hybrid_decrypt, parse_wire, RsaPrivateKey};
use libfuzzer_sys::fuzz_target;

static KEY: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let keys = KEY.get_or_init(|| {
        vec![RsaPrivateKey::from_pem(include_bytes!("../../testdata/keys/rsa2048.key"))
            .expect("test key")]
    });
    // The first byte picks the label (scope) so label handling is exercised too.
    let (label, body): (&[u8], &[u8]) = match data.split_first() {
        Some((b, rest)) if b % 3 == 0 => (b"ns/name", rest),
        Some((b, rest)) if b % 3 == 1 => (b"ns", rest),
        Some((_, rest)) => (b"", rest),
        None => (b"", data),
    };
    if let Ok(parts) = parse_wire(body) {
        assert_eq!(parts.rsa_block.len(), parts.rsa_len);
        assert!(parts.aes_block.len() >= 16);
    }
    let _ = hybrid_decrypt(keys, body, label);
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(wire) = b64_decode(text) {
            let _ = hybrid_decrypt(keys, &wire, label);
        }
    }
});
