//! Values sealed by npm @linode/kubeseal-encrypt (namespace-wide: label = namespace)
//! open with our hybrid_decrypt (driver: tests/interop/linode_encrypt.cjs).

use crate::crypto_support;

use std::process::Command;

use crypto_support::*;
use kubeseal_core::crypto::{b64_decode, hybrid_decrypt, parse_wire, CryptoError};
use kubeseal_core::secret::Scope;
use serde_json::{json, Value};

fn npm_root() -> String {
    let out = run_ok(Command::new("npm").args(["root", "-g"]), None);
    String::from_utf8(out).unwrap().trim().to_string()
}

fn linode(pem: &str, namespace: &str, values: &[&str]) -> Value {
    let req = json!({"pem": pem, "namespace": namespace, "values": values});
    let out = run_ok(
        Command::new("node")
            .env("NODE_PATH", npm_root())
            .arg(interop_path("linode_encrypt.cjs")),
        Some(serde_json::to_vec(&req).unwrap().as_slice()),
    );
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn linode_values_open_with_our_decrypt() {
    let values = [
        "",
        "redis-password",
        "unicode ✓ <>&\n\"quoted\"",
        &"y".repeat(70_000),
    ];
    let ns = "emp-system-paper";
    for bits in SIZES {
        let public = public_key(bits);
        let answer = linode(&public.to_spki_pem(), ns, &values);
        let sealed = answer
            .as_array()
            .unwrap_or_else(|| panic!("linode refused: {answer}"));
        assert_eq!(sealed.len(), values.len());
        let keys = [private_key(bits)];
        for (value, b64) in values.iter().zip(sealed) {
            let wire = b64_decode(b64.as_str().unwrap()).unwrap();
            assert_eq!(parse_wire(&wire).unwrap().rsa_len, bits / 8);
            // Its label is the namespace: exactly our namespace-wide scope.
            let label = Scope::NamespaceWide.label(ns, "any-name");
            assert_eq!(
                &hybrid_decrypt(&keys, &wire, &label).unwrap()[..],
                value.as_bytes(),
                "{bits}"
            );
            assert_eq!(
                hybrid_decrypt(&keys, &wire, &Scope::Strict.label(ns, "emp-secrets-paper"))
                    .unwrap_err(),
                CryptoError::NoKey
            );
            assert_eq!(
                hybrid_decrypt(&keys, &wire, b"").unwrap_err(),
                CryptoError::NoKey
            );
        }
    }
    // The same through the PEM openssl extracts from the certificate (not our encoder).
    let pem = run_ok(
        Command::new("openssl")
            .args(["x509", "-noout", "-pubkey", "-in"])
            .arg(key_path("demo-paper.crt")),
        None,
    );
    let answer = linode(
        std::str::from_utf8(&pem).unwrap(),
        "emp-system-paper",
        &["demo"],
    );
    let wire = b64_decode(answer[0].as_str().unwrap()).unwrap();
    let demo =
        kubeseal_core::crypto::RsaPrivateKey::from_pem(&read_key_file("demo-paper.key")).unwrap();
    assert_eq!(
        &hybrid_decrypt(&[demo], &wire, b"emp-system-paper").unwrap()[..],
        b"demo"
    );
}
