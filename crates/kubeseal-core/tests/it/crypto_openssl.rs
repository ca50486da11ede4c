//! Our RSA-OAEP against the openssl CLI (standard OAEP decryption and encryption),
//! and our key fingerprint against ssh-keygen's.

use crate::crypto_support;

use std::process::Command;

use crypto_support::*;
use kubeseal_core::cert::Certificate;
use kubeseal_core::crypto::{hybrid_encrypt, oaep_encrypt, parse_wire, CryptoError};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn oaep_opts(cmd: &mut Command, label: &[u8]) {
    for opt in [
        "rsa_padding_mode:oaep",
        "rsa_oaep_md:sha256",
        "rsa_mgf1_md:sha256",
    ] {
        cmd.args(["-pkeyopt", opt]);
    }
    if !label.is_empty() {
        cmd.args([
            "-pkeyopt",
            &format!("rsa_oaep_label:{}", hex::encode(label)),
        ]);
    }
}

#[test]
fn openssl_oaep_decrypt_recovers_our_session_key() {
    let dir = tempfile::tempdir().unwrap();
    let block_path = dir.path().join("block");
    for bits in SIZES {
        for (scope, label) in labels() {
            let seed = bits as u64 + label.len() as u64;
            let wire = hybrid_encrypt(
                &mut ChaCha20Rng::seed_from_u64(seed),
                &public_key(bits),
                b"v",
                &label,
            )
            .unwrap();
            // The session key is the first 32 bytes the rng hands out.
            let mut session_key = [0u8; 32];
            ChaCha20Rng::seed_from_u64(seed).fill_bytes(&mut session_key);
            std::fs::write(&block_path, parse_wire(&wire).unwrap().rsa_block).unwrap();

            let mut cmd = Command::new("openssl");
            cmd.args(["pkeyutl", "-decrypt", "-inkey"])
                .arg(key_path(&format!("rsa{bits}.key")))
                .arg("-in")
                .arg(&block_path);
            oaep_opts(&mut cmd, &label);
            let out = run_ok(&mut cmd, None);
            assert_eq!(out, session_key, "{bits} bits, {scope}");

            // And the label really is bound: another label fails in OpenSSL too.
            let mut cmd = Command::new("openssl");
            cmd.args(["pkeyutl", "-decrypt", "-inkey"])
                .arg(key_path(&format!("rsa{bits}.key")))
                .arg("-in")
                .arg(&block_path);
            oaep_opts(&mut cmd, b"other/label");
            assert!(
                !run(&mut cmd, None).status.success(),
                "{bits} bits, {scope}: wrong label accepted"
            );
        }
    }
}

#[test]
fn we_decrypt_openssl_oaep_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let msg_path = dir.path().join("msg");
    for bits in SIZES {
        let pub_pem = run_ok(
            Command::new("openssl")
                .args(["x509", "-noout", "-pubkey", "-in"])
                .arg(key_path(&format!("rsa{bits}.crt"))),
            None,
        );
        let pub_path = dir.path().join(format!("{bits}.pub"));
        std::fs::write(&pub_path, &pub_pem).unwrap();
        for (scope, label) in labels() {
            let mut msg = [0u8; 32];
            ChaCha20Rng::seed_from_u64(bits as u64).fill_bytes(&mut msg);
            std::fs::write(&msg_path, msg).unwrap();
            let mut cmd = Command::new("openssl");
            cmd.args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
                .arg(&pub_path)
                .arg("-in")
                .arg(&msg_path);
            oaep_opts(&mut cmd, &label);
            let block = run_ok(&mut cmd, None);
            assert_eq!(block.len(), bits / 8);
            let key = private_key(bits);
            assert_eq!(
                &key.oaep_decrypt(&block, &label).unwrap()[..],
                &msg,
                "{bits} {scope}"
            );
            assert_eq!(
                key.oaep_decrypt(&block, b"x").unwrap_err(),
                CryptoError::NoKey
            );
        }
    }
}

#[test]
fn oaep_encrypt_is_standard_and_refuses_long_messages() {
    // Our raw-RSA-plus-own-padding output opens with OpenSSL's OAEP (above) and
    // with our OpenSSL-backed decryption; the size limit is k - 2*32 - 2.
    let key = public_key(2048);
    let ok = oaep_encrypt(&mut ChaCha20Rng::seed_from_u64(1), &key, &[7u8; 190], b"l").unwrap();
    assert_eq!(
        &private_key(2048).oaep_decrypt(&ok, b"l").unwrap()[..],
        &[7u8; 190][..]
    );
    let too_long = oaep_encrypt(&mut ChaCha20Rng::seed_from_u64(1), &key, &[7u8; 191], b"l");
    assert!(matches!(too_long, Err(CryptoError::Key(_))));
}

/// The fingerprint ssh-keygen prints for the public key in a certificate file.
fn ssh_keygen_fingerprint(cert: &str, dir: &std::path::Path) -> (usize, String) {
    let pem = run_ok(
        Command::new("openssl")
            .args(["x509", "-noout", "-pubkey", "-in"])
            .arg(key_path(cert)),
        None,
    );
    let pem_path = dir.join(format!("{cert}.pub.pem"));
    std::fs::write(&pem_path, pem).unwrap();
    let ssh = run_ok(
        Command::new("ssh-keygen")
            .args(["-i", "-m", "PKCS8", "-f"])
            .arg(&pem_path),
        None,
    );
    let ssh_path = dir.join(format!("{cert}.ssh.pub"));
    std::fs::write(&ssh_path, ssh).unwrap();
    let line = String::from_utf8(run_ok(
        Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(&ssh_path),
        None,
    ))
    .unwrap();
    // "4096 SHA256:abc... no comment (RSA)"
    let mut parts = line.split_whitespace();
    let bits = parts.next().unwrap().parse().unwrap();
    (bits, parts.next().unwrap().to_string())
}

#[test]
fn fingerprint_equals_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let certs = [
        "rsa2048.crt",
        "rsa3072.crt",
        "rsa4096.crt",
        "rsa1024.crt",
        "expired.crt",
        "not-yet-valid.crt",
        "demo-dev.crt",
        "demo-paper.crt",
        "demo-prod.crt",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for name in certs {
        let cert = Certificate::from_pem(&read_key_file(name), name).unwrap();
        let (bits, expected) = ssh_keygen_fingerprint(name, dir.path());
        assert_eq!(cert.bits, bits, "{name}");
        assert_eq!(cert.fingerprint(), expected, "{name}");
        assert_eq!(cert.public_key.fingerprint(), expected, "{name}");
        assert!(expected.starts_with("SHA256:") && !expected.ends_with('='));
        seen.insert(expected);
    }
    // expired and not-yet-valid reuse the 2048-bit key; all others are distinct.
    assert_eq!(seen.len(), certs.len() - 2);
    // The private key's fingerprint is its public key's.
    for bits in SIZES {
        assert_eq!(
            private_key(bits).public_key().fingerprint(),
            ssh_keygen_fingerprint(&format!("rsa{bits}.crt"), dir.path()).1
        );
    }
}
