//! Shared helpers for the crypto / cert / value-interop tests: fixture paths,
//! key loading, peer tools (which must be installed: `bash .ci/setup`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use kubeseal_core::crypto::{RsaPrivateKey, RsaPublicKey};
use rand::{CryptoRng, RngCore};

/// The key sizes every test covers.
pub const SIZES: [usize; 3] = [2048, 3072, 4096];

/// Path of a file under testdata/keys.
pub fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/keys")
        .join(name)
}

/// Path of a peer driver under tests/interop.
pub fn interop_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// Bytes of a fixture.
pub fn read_key_file(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap_or_else(|e| panic!("{}: {e}", key_path(name).display()))
}

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

/// Runs a peer tool; a missing tool fails the test with the setup hint.
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            panic!("cannot run `{program}` ({e}): run `bash .ci/setup` to install the test peers")
        }
    };
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // Write on a thread so a chatty child cannot deadlock us.
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    } else {
        child.wait_with_output().unwrap()
    }
}

/// Runs a peer tool and demands success; returns stdout.
pub fn run_ok(cmd: &mut Command, stdin: Option<&[u8]>) -> Vec<u8> {
    let desc = format!("{cmd:?}");
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "{desc} failed ({}): {}\n(if a tool or package is missing, run `bash .ci/setup`)",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
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

/// A PEM certificate for the RSA public key (`n`, `e`), valid from `not_before` to
/// `not_after` (Unix seconds, exact), signed by the 2048-bit test key. The openssl CLI
/// only certifies keys it can generate; OpenSSL's X.509 builder encodes any modulus
/// and exponent (e = 1, even ones, tiny moduli), which is what the refusal tests need.
pub fn custom_cert_pem(
    n: &openssl::bn::BigNumRef,
    e: u32,
    not_before: i64,
    not_after: i64,
) -> Vec<u8> {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509Builder, X509NameBuilder};

    let ca = PKey::private_key_from_pem(&read_key_file("rsa2048.key")).unwrap();
    let key =
        Rsa::from_public_components(n.to_owned().unwrap(), BigNum::from_u32(e).unwrap()).unwrap();
    let key = PKey::from_rsa(key).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", &format!("e{e}-n{}", n.num_bits()))
        .unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let serial = Asn1Integer::from_bn(&BigNum::from_u32(e.wrapping_add(7)).unwrap()).unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_not_before(&Asn1Time::from_unix(not_before).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(not_after).unwrap())
        .unwrap();
    b.set_pubkey(&key).unwrap();
    b.sign(&ca, MessageDigest::sha256()).unwrap();
    b.build().to_pem().unwrap()
}

/// A self-signed PEM certificate of the 2048-bit test key whose subject (and issuer)
/// is `entries` (attribute type by short name or dotted OID, ASN.1 string type,
/// value), one RDN each, in order. Unlike `openssl req -subj`, which drops
/// attribute types it has no name for, this encodes any OID and any value length.
pub fn subject_cert_pem(entries: &[(&str, openssl::asn1::Asn1Type, &str)]) -> Vec<u8> {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::x509::{X509Builder, X509NameBuilder};

    let key = PKey::private_key_from_pem(&read_key_file("rsa2048.key")).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    for (field, ty, value) in entries {
        name.append_entry_by_text_with_type(field, value, *ty)
            .unwrap_or_else(|e| panic!("{field}: {e}"));
    }
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&BigNum::from_u32(1).unwrap()).unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_not_before(&Asn1Time::from_unix(1_800_000_000).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(1_900_000_000).unwrap())
        .unwrap();
    b.set_pubkey(&key).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    b.build().to_pem().unwrap()
}
