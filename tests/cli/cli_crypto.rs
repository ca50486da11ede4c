//! Certificates the library refuses, through `empseal seal --cert` (exit 4, one
//! line naming the file), and session keys of other sizes than 32 bytes through
//! `empseal unseal` (the library side of both is in kubeseal-core's tests).

use std::process::Command;

use empseal_testkit::paths::{in_repo, key_path, read_key_file};
use empseal_testkit::pki::custom_cert_pem;
use empseal_testkit::process::run_ok;
use kubeseal_core::cert::Certificate;
use kubeseal_core::crypto::{CryptoError, RsaPublicKey};
use openssl::bn::BigNum;

fn interop_path(name: &str) -> std::path::PathBuf {
    in_repo("tests/interop").join(name)
}

fn plaintext(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

/// `empseal seal --cert CERT` of one literal: (exit code, stdout, stderr).
fn seal_with(cert: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(crate::BIN)
        .args([
            "seal",
            "--name",
            "app",
            "-n",
            "ns",
            "--from-literal=K=v",
            "--cert",
        ])
        .arg(cert)
        .env("HOME", std::env::temp_dir())
        .env_remove("KUBECONFIG")
        .env_remove("SEALED_SECRETS_CERT")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run empseal");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_exponents_and_tiny_moduli_are_refused_with_exit_4() {
    // With e = 1 the "ciphertext" would be the OAEP-encoded session key in the
    // clear; an even e has no inverse (nobody could decrypt).
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (from, to) = (now - 86_400, now + 30 * 86_400);
    let rsa2048 = openssl::rsa::Rsa::private_key_from_pem(&read_key_file("rsa2048.key")).unwrap();
    let n = rsa2048.n();
    // The same modulus with a usable exponent seals: the construction is sound.
    for e in [3u32, 65_537] {
        let path = dir.path().join(format!("e{e}.crt"));
        std::fs::write(&path, custom_cert_pem(n, e, from, to)).unwrap();
        let (code, stdout, stderr) = seal_with(&path);
        assert_eq!(code, 0, "e = {e}: {stderr}");
        assert!(stdout.contains("SealedSecret"), "e = {e}: {stdout}");
        let cert = Certificate::from_pem(&std::fs::read(&path).unwrap(), "x").unwrap();
        assert_eq!(
            cert.public_key.exponent(),
            BigNum::from_u32(e).unwrap().to_vec()
        );
    }
    for e in [1u32, 2, 4, 65_536] {
        let path = dir.path().join(format!("e{e}.crt"));
        std::fs::write(&path, custom_cert_pem(n, e, from, to)).unwrap();
        let (code, stdout, stderr) = seal_with(&path);
        assert_eq!(
            code,
            empseal_testkit::exit::CERT,
            "e = {e}: {stdout}{stderr}"
        );
        assert!(stdout.is_empty(), "e = {e}: {stdout}");
        assert!(
            stderr.contains("exponent is not an odd number > 1")
                && stderr.contains(&path.display().to_string())
                && stderr.trim_end().lines().count() == 1,
            "e = {e}: {stderr}"
        );
        // The library refuses it too, from the certificate and from bare components.
        let e_bytes = BigNum::from_u32(e).unwrap().to_vec();
        assert!(matches!(
            RsaPublicKey::from_components(&n.to_vec(), &e_bytes),
            Err(CryptoError::Key(m)) if m.contains("exponent")
        ));
    }
    // A zero modulus is no key.
    assert_eq!(
        RsaPublicKey::from_components(&[0], &[1, 0, 1]).unwrap_err(),
        CryptoError::Key("RSA modulus is zero".into())
    );
    // A 512-bit modulus with the usual exponent: too small to seal with.
    let small = openssl::rsa::Rsa::generate(512).unwrap();
    let path = dir.path().join("n512.crt");
    std::fs::write(&path, custom_cert_pem(small.n(), 65_537, from, to)).unwrap();
    let (code, stdout, stderr) = seal_with(&path);
    assert_eq!(code, empseal_testkit::exit::CERT, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("RSA key of 512 bits is too small"),
        "{stderr}"
    );
}

/// Values sealed by `tests/interop/session_key_sizes.py` (Python `cryptography`) for
/// the 2048-bit test certificate: one per `(session key length, plaintext)`.
fn seal_with_session_keys(label: &str, values: &[(usize, &[u8])]) -> Vec<String> {
    let req = serde_json::json!({
        "cert": key_path("rsa2048.crt"),
        "label": label,
        "values": values.iter().map(|(n, v)| serde_json::json!([n, hex::encode(v)])).collect::<Vec<_>>(),
    });
    let out = run_ok(
        std::process::Command::new("python3").arg(interop_path("session_key_sizes.py")),
        Some(req.to_string().as_bytes()),
    );
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn aes_128_and_192_session_keys_from_another_sealer_unseal() {
    // The controller's Go code opens 16-, 24- and 32-byte session keys (aes.NewCipher);
    // other sealers may write the shorter ones. Any other length is refused.
    let good: Vec<(usize, Vec<u8>)> = [16usize, 24, 32, 16, 24]
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, plaintext(i * 37 + 1, *n as u8)))
        .collect();
    let bad = [8usize, 20, 31, 33, 48];
    let mut all: Vec<(usize, &[u8])> = good.iter().map(|(n, v)| (*n, &v[..])).collect();
    all.extend(bad.iter().map(|n| (*n, &b"refused"[..])));
    let wires = seal_with_session_keys("ns/app", &all);
    // The library side (`hybrid_decrypt` on each value) is kubeseal-core's
    // `interop_value_session_keys`. Here, through the binary: a SealedSecret
    // holding them, `empseal unseal`.
    let doc = |items: &[(String, &String)]| {
        let mut d = String::from(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  encryptedData:\n",
        );
        for (k, v) in items {
            d.push_str(&format!("    {k}: {v}\n"));
        }
        d.push_str("  template:\n    metadata:\n      name: app\n      namespace: ns\n");
        d
    };
    let items: Vec<(String, &String)> = good
        .iter()
        .zip(&wires)
        .enumerate()
        .map(|(i, ((n, _), w))| (format!("AES{}_{i}", n * 8), w))
        .collect();
    let unseal = |input: String| {
        std::process::Command::new(crate::BIN)
            .args(["unseal", "--private-key"])
            .arg(key_path("rsa2048.key"))
            .env("HOME", std::env::temp_dir())
            .env_remove("KUBECONFIG")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                c.stdin.take().unwrap().write_all(input.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap()
    };
    let out = unseal(doc(&items));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    for ((k, _), (_, plain)) in items.iter().zip(&good) {
        let got = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            secret["data"][k.as_str()].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!(&got, plain, "{k}");
    }
    // A 20-byte session key: refused as tampered, exit 5, naming the item.
    let out = unseal(doc(&[("ODD".to_string(), &wires[good.len() + 1])]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(empseal_testkit::exit::DECRYPT),
        "{stderr}"
    );
    assert!(
        stderr.contains("item \"ODD\" was tampered with"),
        "{stderr}"
    );
}
