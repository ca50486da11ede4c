//! Every committed fuzz corpus input (`fuzz/corpus/<target>/`) through the fuzz
//! targets' own bodies (`fuzz/harness.rs`), on stable Rust: nothing panics, and the
//! named seeds lead where their names say (`good-*` reads, `bad-*` is refused). Inputs
//! that once crashed, leaked or hung a target are kept in the corpus, so they stay
//! regression tests here (the billion-laughs manifest among them).

use crate::harness;

use std::path::PathBuf;

use kubeseal_core::crypto::RsaPrivateKey;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = empseal_testkit::repo_root()
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn envfile_corpus() {
    for (name, data) in corpus("envfile") {
        let parsed = harness::envfile(&data);
        assert_eq!(parsed, !name.starts_with("bad-"), "{name}");
    }
}

#[test]
fn manifest_corpus() {
    for (name, data) in corpus("manifest") {
        let (secrets, sealed) = harness::manifest(&data);
        if name.starts_with("good-secrets") {
            assert!(secrets, "{name} reads as Secrets");
        } else if name.starts_with("good-sealed") {
            assert!(sealed, "{name} reads as SealedSecrets");
        } else {
            assert!(!secrets && !sealed, "{name} is refused");
        }
    }
}

#[test]
fn cert_corpus() {
    for (name, data) in corpus("cert") {
        let (pem, der) = harness::cert(&data);
        match name.as_str() {
            // from_pem takes DER too, as kubeseal's certificate reader does.
            "rsa2048.der" => assert!(der && pem, "{name}"),
            // Not a certificate, or not an RSA one (sealed-secrets only uses RSA).
            "garbage.crt" | "ec.crt" => assert!(!pem && !der, "{name}"),
            // PEM RSA certificates, usable or not (expired): they parse, then
            // check_usable says what is wrong with them.
            _ => assert!(pem && !der, "{name}"),
        }
    }
}

#[test]
fn wire_corpus() {
    let keys = vec![RsaPrivateKey::from_pem(
        &std::fs::read(empseal_testkit::repo_root().join("testdata/keys/rsa2048.key")).unwrap(),
    )
    .unwrap()];
    for (name, data) in corpus("wire") {
        let opened = harness::wire(&keys, &data);
        assert_eq!(opened, name.starts_with("strict-"), "{name}");
    }
}

#[test]
fn check_corpus() {
    for (name, data) in corpus("check") {
        let start = std::time::Instant::now();
        let codes = harness::check(&data);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{name} took {:?}",
            start.elapsed()
        );
        if name.starts_with("good-") {
            assert!(codes.is_empty(), "{name}: {codes:?}");
        } else {
            assert!(!codes.is_empty(), "{name} has findings");
        }
        // Alias bombs (YAML, flow YAML in the JSON path, spread over documents)
        // end at the budget with one finding and nothing else.
        if name.contains("laughs") {
            assert_eq!(codes, ["ES002"], "{name}");
        }
    }
}
