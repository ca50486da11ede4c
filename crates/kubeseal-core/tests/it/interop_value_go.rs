//! Value-level interop with Go's standard library, the primitives sealed-secrets
//! itself is built on (tests/interop/go/hybrid.go): byte-identical ciphertext for
//! the same random bytes, decryption both ways, certificate fields as Go's x509
//! reads them, and base64 decoding as Go's `base64.StdEncoding`.

use crate::crypto_support;
use empseal_testkit::gotool;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crypto_support::*;
use kubeseal_core::cert::{CertError, Certificate};
use kubeseal_core::crypto::{b64_decode, hybrid_decrypt, hybrid_encrypt, seal_values_parallel};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

fn go_peer() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go-hybrid");
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join(format!("hybrid-{}", std::process::id()));
        run_ok(
            gotool::go_command(&dir)
                .args(["build", "-o"])
                .arg(&bin)
                .arg(interop_path("go/hybrid.go")),
            None,
        );
        bin
    })
}

fn go(requests: &[Value]) -> Vec<Value> {
    let out = run_ok(
        &mut Command::new(go_peer()),
        Some(serde_json::to_vec(requests).unwrap().as_slice()),
    );
    let answers: Vec<Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(answers.len(), requests.len());
    answers
}

fn path_str(name: &str) -> String {
    key_path(name).to_str().unwrap().to_string()
}

#[test]
fn same_random_bytes_give_byte_identical_ciphertext() {
    let mut cases = Vec::new();
    let mut requests = Vec::new();
    for bits in SIZES {
        for (scope, label) in labels() {
            for len in [0usize, 1, 100, 65536] {
                let mut random = vec![0u8; 96];
                ChaCha20Rng::seed_from_u64((bits + len) as u64 ^ label.len() as u64)
                    .fill_bytes(&mut random);
                let plain: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                requests.push(json!({
                    "op": "encrypt", "cert": path_str(&format!("rsa{bits}.crt")),
                    "label": hex::encode(&label), "plaintext": hex::encode(&plain),
                    "random": hex::encode(&random),
                }));
                cases.push((bits, scope, label.clone(), plain, random));
            }
        }
    }
    let answers = go(&requests);
    for ((bits, scope, label, plain, random), a) in cases.into_iter().zip(answers) {
        assert!(a.get("error").is_none(), "{a}");
        // Go reads exactly 64 bytes: 32 of session key, then the 32-byte OAEP seed.
        assert_eq!(a["random_used"], 64);
        let mut rng = ScriptedRng::new(random);
        let ours = hybrid_encrypt(&mut rng, &public_key(bits), &plain, &label).unwrap();
        assert_eq!(rng.pos, 64);
        assert_eq!(
            hex::encode(&ours),
            a["wire"].as_str().unwrap(),
            "{bits} bits, {scope}, {} B",
            plain.len()
        );
    }
}

#[test]
fn go_decrypts_ours_and_we_decrypt_go() {
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    for bits in SIZES {
        for (_, label) in labels() {
            let items: Vec<Vec<u8>> = vec![b"".to_vec(), b"p@ss w0rd\n".to_vec(), vec![0xff; 3000]];
            let wires = seal_values_parallel(&mut rng, &public_key(bits), &label, &items).unwrap();
            for (item, wire) in items.iter().zip(&wires) {
                let key = path_str(&format!("rsa{bits}.pk8.key"));
                requests.push(json!({"op": "decrypt", "key": key, "label": hex::encode(&label), "wire": hex::encode(wire)}));
                expected.push(Ok(hex::encode(item)));
                // Wrong label: Go's OAEP refuses, as ours does.
                requests.push(json!({"op": "decrypt", "key": key, "label": hex::encode(b"x/y"), "wire": hex::encode(wire)}));
                expected.push(Err("rsa:"));
                // A flipped tag bit: Go's GCM refuses.
                let mut t = wire.clone();
                *t.last_mut().unwrap() ^= 1;
                requests.push(json!({"op": "decrypt", "key": key, "label": hex::encode(&label), "wire": hex::encode(&t)}));
                expected.push(Err("gcm:"));
            }
            // Go encrypts with fresh random bytes; we decrypt.
            let mut random = vec![0u8; 64];
            rng.fill_bytes(&mut random);
            let a = &go(&[
                json!({"op": "encrypt", "cert": path_str(&format!("rsa{bits}.crt")),
                "label": hex::encode(&label), "plaintext": hex::encode("from go ✓"), "random": hex::encode(&random)}),
            ])[0];
            let wire = hex::decode(a["wire"].as_str().unwrap()).unwrap();
            assert_eq!(
                &hybrid_decrypt(&[private_key(bits)], &wire, &label).unwrap()[..],
                "from go ✓".as_bytes()
            );
        }
    }
    for (a, e) in go(&requests).into_iter().zip(expected) {
        match e {
            Ok(hex) => assert_eq!(a["plaintext"].as_str().unwrap_or(""), hex, "{a}"),
            Err(prefix) => assert!(a["error"].as_str().unwrap().starts_with(prefix), "{a}"),
        }
    }
}

#[test]
fn certificate_fields_match_go_x509() {
    let dir = tempfile::tempdir().unwrap();
    let mut names: Vec<(String, PathBuf)> = [
        "rsa2048.crt",
        "rsa3072.crt",
        "rsa4096.crt",
        "rsa1024.crt",
        "expired.crt",
        "not-yet-valid.crt",
        "bundle.pem",
        "demo-dev.crt",
        "demo-paper.crt",
        "demo-prod.crt",
    ]
    .iter()
    .map(|n| (n.to_string(), key_path(n)))
    .collect();
    // Subjects with multi-valued RDNs and characters that need escaping.
    for (i, subj) in [
        "/O=x/OU=Ops+CN=sealed-secret",
        "/C=DE/O=Acme\\, Inc.+OU=a;b/CN=\\#x<y>\"z\"",
        "/CN= spaced /O=\\+plus",
        "/DC=example/emailAddress=ops@example.com/CN=y",
        "/UID=1234/serialNumber=42/postalCode=10115/street=Main St 1/CN=z",
    ]
    .iter()
    .enumerate()
    {
        let path = dir.path().join(format!("gen{i}.crt"));
        run_ok(
            Command::new("openssl")
                .args([
                    "req",
                    "-new",
                    "-x509",
                    "-days",
                    "2",
                    "-multivalue-rdn",
                    "-subj",
                    subj,
                    "-key",
                ])
                .arg(key_path("rsa2048.pk8.key"))
                .arg("-out")
                .arg(&path),
            None,
        );
        names.push((subj.to_string(), path));
    }
    // Attribute types Go has no short name for print as `OID=#<DER>`, the value
    // re-marshalled by Go: around DER's short/long length forms (127, 128, 255, 256
    // bytes and more), PrintableString vs UTF8String, and a value that is no string.
    use openssl::asn1::Asn1Type;
    let long = |c: char, n: usize| c.to_string().repeat(n);
    let (a127, b128, c130, d255, e256, f300) = (
        long('a', 127),
        long('b', 128),
        long('c', 130),
        long('d', 255),
        long('e', 256),
        long('f', 300),
    );
    let crafted: Vec<Vec<(&str, Asn1Type, &str)>> = vec![
        vec![("1.2.3.4", Asn1Type::PRINTABLESTRING, &a127)],
        vec![
            ("1.2.3.4", Asn1Type::PRINTABLESTRING, &b128),
            ("CN", Asn1Type::UTF8STRING, "x"),
        ],
        vec![("1.3.6.1.4.1.99999.1", Asn1Type::UTF8STRING, &c130)],
        vec![("1.2.3.4", Asn1Type::IA5STRING, &d255)],
        vec![("1.2.3.4", Asn1Type::UTF8STRING, &e256)],
        vec![
            ("0.9.2342.19200300.100.1.25", Asn1Type::IA5STRING, &f300),
            ("O", Asn1Type::UTF8STRING, &c130),
        ],
        vec![
            ("1.2.3.5", Asn1Type::UTF8STRING, "x*y&z \u{e4}"),
            ("CN", Asn1Type::UTF8STRING, &e256),
        ],
        // BMPString (UCS-2): Go decodes it like any string, a final NUL dropped.
        vec![("1.2.3.6", Asn1Type::BMPSTRING, "\u{0}b\u{0}m\u{0}p")],
        vec![
            ("CN", Asn1Type::BMPSTRING, "\u{0}c\u{0}n\u{0}*\u{0}\u{0}"),
            ("1.2.3.6", Asn1Type::BMPSTRING, "\u{0}&"),
        ],
        vec![
            ("1.2.3.7", Asn1Type::T61STRING, "t61"),
            ("CN", Asn1Type::T61STRING, "t61 cn"),
        ],
    ];
    for (i, entries) in crafted.iter().enumerate() {
        let path = dir.path().join(format!("crafted{i}.crt"));
        std::fs::write(&path, subject_cert_pem(entries)).unwrap();
        let shown: Vec<String> = entries
            .iter()
            .map(|(f, _, v)| {
                format!(
                    "{f}={}..({} bytes)",
                    v.chars().take(8).collect::<String>(),
                    v.len()
                )
            })
            .collect();
        names.push((format!("/{}", shown.join("/")), path));
    }
    // A value that is no string at all, of even length (an OCTET STRING). OpenSSL
    // builds no such name, so the tag of a UTF8String is patched in the DER (neither
    // reader checks the signature). Go's x509 refuses the certificate ("unsupported
    // string type"); we read it and show the value as DER, as Go's
    // RDNSequence.String() does for values that are no string.
    let octet = {
        let pem = subject_cert_pem(&[
            ("1.2.3.8", Asn1Type::UTF8STRING, "oc"),
            ("CN", Asn1Type::UTF8STRING, "x"),
        ]);
        let mut der = openssl::x509::X509::from_pem(&pem)
            .unwrap()
            .to_der()
            .unwrap();
        let needle = [0x0c, 0x02, b'o', b'c'];
        let at: Vec<usize> = (0..der.len() - 3)
            .filter(|&i| der[i..i + 4] == needle)
            .collect();
        assert_eq!(at.len(), 2, "the value in subject and issuer");
        for i in at {
            der[i] = 0x04;
        }
        let path = dir.path().join("octet.crt");
        let b64 = kubeseal_core::crypto::b64_encode(&der);
        let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            text.push_str(std::str::from_utf8(line).unwrap());
            text.push('\n');
        }
        text.push_str("-----END CERTIFICATE-----\n");
        std::fs::write(&path, text).unwrap();
        path
    };
    let a = &go(&[json!({"op": "cert", "cert": octet})])[0];
    assert!(a["error"].as_str().is_some(), "Go read it: {a}");
    let cert = Certificate::from_pem(&std::fs::read(&octet).unwrap(), "octet").unwrap();
    assert_eq!(cert.subject, "CN=x,1.2.3.8=#04026f63");
    let requests: Vec<Value> = names
        .iter()
        .map(|(_, p)| json!({"op": "cert", "cert": p}))
        .collect();
    for ((name, path), a) in names.iter().zip(go(&requests)) {
        let cert = Certificate::from_pem(&std::fs::read(path).unwrap(), name).unwrap();
        assert_eq!(a["key_type"], "RSA", "{name}: {a}");
        assert_eq!(cert.subject, a["subject_seq"].as_str().unwrap(), "{name}");
        assert_eq!(cert.issuer, a["issuer_seq"].as_str().unwrap(), "{name}");
        if !name.starts_with('/') {
            // Controller-shaped certificates: also what Go's pkix.Name.String() prints.
            assert_eq!(cert.subject, a["subject"].as_str().unwrap(), "{name}");
            assert_eq!(cert.issuer, a["issuer"].as_str().unwrap(), "{name}");
        }
        assert_eq!(cert.not_before, a["not_before"].as_i64().unwrap(), "{name}");
        assert_eq!(cert.not_after, a["not_after"].as_i64().unwrap(), "{name}");
        assert_eq!(cert.bits as i64, a["bits"].as_i64().unwrap(), "{name}");
    }
    // Go sees a non-RSA key where we refuse with NotRsa.
    let a = &go(&[json!({"op": "cert", "cert": key_path("ec.crt")})])[0];
    assert_ne!(a["key_type"], "RSA");
    assert!(matches!(
        Certificate::from_pem(&read_key_file("ec.crt"), "ec.crt"),
        Err(CertError::NotRsa { .. })
    ));
}

#[test]
fn base64_decoding_matches_go_std_encoding() {
    let inputs = [
        "",
        "QQ==",
        "QUI=",
        "QUJD",
        "QQ",
        "QQ=",
        "QQ===",
        "QR==",
        "QUJ=",
        "Q Q==",
        "QQ==\n",
        "Q\r\nQ==",
        "\nQUJD\n",
        "QQ==QQ==",
        "====",
        "A",
        "AB==CD==",
        "-_8=",
        "+/8=",
        "QUJD\t",
        "QUJDRA==",
        "QUJDRA",
        "AgAAAA==",
        "AgB...",
        "YWJj\r",
        "Zm9v YmFy",
    ];
    let requests: Vec<Value> = inputs
        .iter()
        .map(|t| json!({"op": "b64", "text": t}))
        .collect();
    for (text, a) in inputs.iter().zip(go(&requests)) {
        match (b64_decode(text), a.get("bytes").and_then(Value::as_str)) {
            (Ok(ours), Some(theirs)) => {
                assert_eq!(format!("={}", hex::encode(ours)), theirs, "{text:?}")
            }
            (Err(_), None) => {}
            (ours, _) => panic!("{text:?}: ours {ours:?}, Go {a}"),
        }
    }
}
