//! Value-level interop with PyPI kubesealpy, both ways, in all three scopes
//! (driver: tests/interop/kubesealpy_value.py).

use crate::crypto_support;

use std::process::Command;

use crypto_support::*;
use kubeseal_core::crypto::{
    b64_decode, b64_encode, hybrid_decrypt, hybrid_encrypt, seal_values_parallel, CryptoError,
};
use kubeseal_core::secret::Scope;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

const NS: &str = "emp-system-paper";
const NAME: &str = "emp-secrets-paper";

fn kubesealpy(requests: &[Value]) -> Vec<Value> {
    let out = run_ok(
        Command::new("python3").arg(interop_path("kubesealpy_value.py")),
        Some(serde_json::to_vec(requests).unwrap().as_slice()),
    );
    serde_json::from_slice(&out).unwrap()
}

fn values() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"postgres-password".to_vec(),
        "unicode ✓ <>&\n\ttabs".as_bytes().to_vec(),
        (0..=255u8).collect(),
        vec![b'x'; 64 * 1024],
    ]
}

const SCOPES: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

#[test]
fn kubesealpy_unseals_what_we_seal() {
    let mut rng = ChaCha20Rng::seed_from_u64(2024);
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for bits in SIZES {
        for scope in SCOPES {
            let label = scope.label(NS, NAME);
            let items = values();
            let mut wires =
                seal_values_parallel(&mut rng, &public_key(bits), &label, &items).unwrap();
            wires.push(hybrid_encrypt(&mut rng, &public_key(bits), b"single", &label).unwrap());
            let b64: Vec<String> = wires.iter().map(|w| b64_encode(w)).collect();
            let keys = vec![key_path(&format!("rsa{bits}.key"))
                .to_str()
                .unwrap()
                .to_string()];
            // Right place: every value opens.
            requests.push(
                json!({"op": "unseal", "keys": keys, "scope": scope.as_str(),
                "namespace": NS, "name": NAME, "values": b64}),
            );
            let mut plain: Vec<Option<String>> =
                items.iter().map(|v| Some(hex::encode(v))).collect();
            plain.push(Some(hex::encode(b"single")));
            expected.push(plain.clone());
            // Another name (and namespace): only cluster-wide (and namespace-wide for the
            // name) values still open.
            requests.push(
                json!({"op": "unseal", "keys": keys, "scope": scope.as_str(),
                "namespace": NS, "name": "other", "values": b64}),
            );
            expected.push(if scope == Scope::Strict {
                vec![None; plain.len()]
            } else {
                plain.clone()
            });
            requests.push(
                json!({"op": "unseal", "keys": keys, "scope": scope.as_str(),
                "namespace": "other-ns", "name": NAME, "values": b64}),
            );
            expected.push(if scope == Scope::ClusterWide {
                plain.clone()
            } else {
                vec![None; plain.len()]
            });
            // The wrong key (same size: the demo key only exists at 4096).
            let wrong = key_path(if bits == 4096 {
                "demo-prod.key"
            } else {
                "rsa4096.pk8.key"
            });
            requests.push(
                json!({"op": "unseal", "keys": [wrong], "scope": scope.as_str(),
                "namespace": NS, "name": NAME, "values": b64}),
            );
            expected.push(vec![None; plain.len()]);
        }
    }
    let answers = kubesealpy(&requests);
    assert_eq!(answers.len(), expected.len());
    for (i, (a, e)) in answers.iter().zip(expected).enumerate() {
        let got = a["values"].as_array().unwrap();
        assert_eq!(got.len(), e.len());
        for (g, e) in got.iter().zip(e) {
            match e {
                Some(hex) => assert_eq!(
                    g["plaintext"].as_str(),
                    Some(hex.as_str()),
                    "request {i}: {g}"
                ),
                None => assert_eq!(g["error"], "NoMatchingKeyError", "request {i}"),
            }
        }
    }
}

#[test]
fn we_unseal_what_kubesealpy_seals() {
    let items = values();
    let hex_items: Vec<String> = items.iter().map(hex::encode).collect();
    let mut requests = Vec::new();
    for bits in SIZES {
        for scope in SCOPES {
            requests.push(
                json!({"op": "seal", "cert": key_path(&format!("rsa{bits}.crt")),
                "scope": scope.as_str(), "namespace": NS, "name": NAME, "values": hex_items}),
            );
        }
    }
    let answers = kubesealpy(&requests);
    let mut i = 0;
    for bits in SIZES {
        let keys = [private_key(bits)];
        let pk8 = [
            kubeseal_core::crypto::RsaPrivateKey::from_pem(&read_key_file(&format!(
                "rsa{bits}.pk8.key"
            )))
            .unwrap(),
        ];
        for scope in SCOPES {
            let sealed = answers[i]["values"].as_array().unwrap();
            i += 1;
            for (item, value) in items.iter().zip(sealed) {
                let wire = b64_decode(value.as_str().unwrap()).unwrap();
                let label = scope.label(NS, NAME);
                assert_eq!(
                    &hybrid_decrypt(&keys, &wire, &label).unwrap()[..],
                    &item[..],
                    "{bits} {scope:?}"
                );
                assert_eq!(&hybrid_decrypt(&pk8, &wire, &label).unwrap()[..], &item[..]);
                // Sealed for one place, opened for another: NoKey (unless the scope allows it).
                let other = scope.label(NS, "other");
                let r = hybrid_decrypt(&keys, &wire, &other);
                if scope == Scope::Strict {
                    assert_eq!(r.unwrap_err(), CryptoError::NoKey);
                } else {
                    assert_eq!(&r.unwrap()[..], &item[..]);
                }
                for wrong in SCOPES.iter().filter(|s| **s != scope) {
                    assert_eq!(
                        hybrid_decrypt(&keys, &wire, &wrong.label(NS, NAME)).unwrap_err(),
                        CryptoError::NoKey,
                        "{scope:?} value opened as {wrong:?}"
                    );
                }
                // Tampering with kubesealpy's AES part is caught.
                let mut t = wire.clone();
                let last = t.len() - 1;
                t[last] ^= 0x80;
                assert_eq!(
                    hybrid_decrypt(&keys, &t, &label).unwrap_err(),
                    CryptoError::Tampered
                );
            }
        }
    }
}
