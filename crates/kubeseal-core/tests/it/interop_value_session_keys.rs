//! Session keys of 16 and 24 bytes, sealed by an independent sealer
//! (`tests/interop/session_key_sizes.py`, Python `cryptography`), open with
//! `hybrid_decrypt` as the controller's Go code opens them (`aes.NewCipher`);
//! every other length is refused as tampered.

use kubeseal_core::crypto::{b64_decode, hybrid_decrypt, CryptoError};

use crate::crypto_support::{interop_path, key_path, private_key, run_ok};

fn plaintext(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

#[test]
fn aes_128_and_192_session_keys_open_and_other_lengths_are_refused() {
    let good: Vec<(usize, Vec<u8>)> = [16usize, 24, 32, 16, 24]
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, plaintext(i * 37 + 1, *n as u8)))
        .collect();
    let bad = [8usize, 20, 31, 33, 48];
    let mut all: Vec<(usize, &[u8])> = good.iter().map(|(n, v)| (*n, &v[..])).collect();
    all.extend(bad.iter().map(|n| (*n, &b"refused"[..])));
    let req = serde_json::json!({
        "cert": key_path("rsa2048.crt"),
        "label": "ns/app",
        "values": all.iter().map(|(n, v)| serde_json::json!([n, hex::encode(v)])).collect::<Vec<_>>(),
    });
    let out = run_ok(
        std::process::Command::new("python3").arg(interop_path("session_key_sizes.py")),
        Some(req.to_string().as_bytes()),
    );
    let wires: Vec<String> = serde_json::from_slice(&out).unwrap();
    assert_eq!(wires.len(), all.len());
    let keys = [private_key(2048)];
    for ((n, plain), b64) in all.iter().zip(&wires) {
        let wire = b64_decode(b64).unwrap();
        let opened = hybrid_decrypt(&keys, &wire, b"ns/app");
        if bad.contains(n) {
            assert_eq!(opened.unwrap_err(), CryptoError::Tampered, "{n}-byte key");
        } else {
            assert_eq!(&opened.unwrap()[..], *plain, "{n}-byte key");
        }
    }
}
