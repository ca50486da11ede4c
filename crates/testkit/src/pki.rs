//! Test certificates and keys: made with the openssl CLI (independent of
//! empseal's certificate code) or with OpenSSL's X.509 builder (a whole PKI
//! for the fake API server: CA, TLS server, clients, controller keys).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509NameBuilder, X509};

use crate::process::{run_ok, run_text};

/// `openssl ARGS` with a piped-in `stdin` (or none), demanding success; returns stdout.
pub fn openssl(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    run_ok(Command::new("openssl").args(args), stdin)
}

/// The PEM public key of a certificate file, as `openssl x509 -pubkey` extracts it.
pub fn public_key_pem(cert: &Path) -> Vec<u8> {
    run_ok(
        Command::new("openssl")
            .args(["x509", "-noout", "-pubkey", "-in"])
            .arg(cert),
        None,
    )
}

/// The RSA modulus of a certificate file as `openssl x509 -modulus` prints it.
pub fn modulus(cert: &Path) -> Vec<u8> {
    let text = run_text(
        Command::new("openssl")
            .args(["x509", "-noout", "-modulus", "-in"])
            .arg(cert),
    );
    let hex = text.trim().strip_prefix("Modulus=").expect("Modulus=");
    hex::decode(hex).expect("hex modulus")
}

/// A certificate's notAfter as Unix seconds (openssl's date, read back by `date -u`).
pub fn not_after_unix(cert: &Path) -> i64 {
    let end = run_text(
        Command::new("openssl")
            .args(["x509", "-noout", "-enddate", "-in"])
            .arg(cert),
    );
    let date = end.trim().strip_prefix("notAfter=").expect("notAfter=");
    let secs = run_text(Command::new("date").args(["-u", "-d", date, "+%s"]));
    secs.trim().parse().expect("seconds")
}

/// A self-signed RSA certificate like the controller's (`/CN=sealed-secret/O=sealed-secret`)
/// made by `openssl req -x509`: the key goes to `key`, the certificate to `cert`.
pub fn self_signed_rsa(key: &Path, cert: &Path, bits: u32, days: u32) {
    run_text(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-nodes",
                "-days",
                &days.to_string(),
                "-subj",
            ])
            .arg("/CN=sealed-secret/O=sealed-secret")
            .args(["-newkey", &format!("rsa:{bits}"), "-keyout"])
            .arg(key)
            .arg("-out")
            .arg(cert),
    );
}

/// The controller key fingerprint of a certificate, derived independently of
/// empseal: the modulus and exponent as the openssl CLI prints them, encoded as
/// an SSH public key, SHA-256, unpadded base64 (what `ssh-keygen -l` prints).
pub fn openssl_fingerprint(cert: &Path) -> String {
    use base64::Engine as _;
    use sha2::Digest;
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-modulus", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        text.status.success(),
        "openssl is missing; run `bash .ci/setup`"
    );
    let hexmod = String::from_utf8(text.stdout).unwrap();
    let n = hex::decode(hexmod.trim().trim_start_matches("Modulus=")).unwrap();
    let full = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    let full = String::from_utf8(full.stdout).unwrap();
    let e: u64 = full
        .lines()
        .find_map(|l| l.trim().strip_prefix("Exponent: "))
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let mpint = |b: &[u8]| {
        let b: Vec<u8> = b.iter().copied().skip_while(|x| *x == 0).collect();
        if b.first().is_some_and(|x| x & 0x80 != 0) {
            [vec![0], b].concat()
        } else {
            b
        }
    };
    let mut wire = Vec::new();
    for part in [b"ssh-rsa".to_vec(), mpint(&e.to_be_bytes()), mpint(&n)] {
        wire.extend((part.len() as u32).to_be_bytes());
        wire.extend(part);
    }
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(&wire))
    )
}

/// The key fingerprint of a certificate as OpenSSH computes it (`ssh-keygen -l -E
/// sha256`): an independent check of `SHA256:...` fingerprints.
pub fn ssh_fingerprint(cert: &Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in '{}' -pubkey -noout | ssh-keygen -i -m PKCS8 -f /dev/stdin | ssh-keygen -l -E sha256 -f -",
            cert.display()
        ))
        .output()
        .expect("openssl and ssh-keygen are needed: run `bash .ci/setup`");
    assert!(
        out.status.success(),
        "ssh-keygen failed (run `bash .ci/setup`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

/// A certificate's notAfter / notBefore as OpenSSL prints it, in RFC 3339.
pub fn openssl_date(cert: &Path, which: &str) -> String {
    let out = Command::new("openssl")
        .args([
            "x509",
            "-in",
            &cert.display().to_string(),
            "-noout",
            &format!("-{which}"),
            "-dateopt",
            "iso_8601",
        ])
        .output()
        .expect("openssl is needed: run `bash .ci/setup`");
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim().split_once('=').unwrap().1.replace(' ', "T")
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

    let ca = PKey::private_key_from_pem(&crate::paths::read_key_file("rsa2048.key")).unwrap();
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

    let key = PKey::private_key_from_pem(&crate::paths::read_key_file("rsa2048.key")).unwrap();
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

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
/// A key pair and certificate written as PEM files.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The certificate's PEM file.
    pub cert: PathBuf,
    /// The private key's PEM file (PKCS#8).
    pub key: PathBuf,
    /// The certificate's PEM bytes.
    pub cert_pem: Vec<u8>,
}

/// Everything the tests trust, present or sign; generated once per test binary.
pub struct Pki {
    /// Where the PEM files are.
    pub dir: PathBuf,
    /// The CA the fake API server's certificates and the clients chain to.
    pub ca: Issued,
    /// A CA nothing chains to (a wrong trust anchor).
    pub other_ca: Issued,
    /// The fake API server's TLS certificate (127.0.0.1, localhost, apiserver.test).
    pub server: Issued,
    /// The same server key with a certificate that has expired.
    pub expired_server: Issued,
    /// A client certificate the API server accepts (CN alice).
    pub client: Issued,
    /// A client certificate the API server refuses with 403 (CN mallory).
    pub forbidden_client: Issued,
    /// The controller's first sealing key and certificate.
    pub controller1: Issued,
    /// The controller's second (newer) sealing key and certificate.
    pub controller2: Issued,
    /// Same key as controller1, re-issued with another validity (a renewal).
    pub controller1_renewed: Issued,
    /// controller2's key with a certificate that has expired.
    pub controller_expired: Issued,
}

/// RSA 2048: the controller's sealing keys (sealed-secrets needs RSA).
fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

/// ECDSA P-256: TLS and client-certificate keys (quick to generate).
fn ec_key() -> PKey<Private> {
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap()
}

fn name(cn: &str, o: Option<&str>) -> openssl::x509::X509Name {
    let mut b = X509NameBuilder::new().unwrap();
    if let Some(o) = o {
        b.append_entry_by_text("O", o).unwrap();
    }
    b.append_entry_by_text("CN", cn).unwrap();
    b.build()
}

enum Kind {
    Ca,
    Server,
    Client,
    SelfSigned,
}

#[allow(clippy::too_many_arguments)]
fn issue(
    dir: &Path,
    file: &str,
    cn: &str,
    kind: Kind,
    key: &PKey<Private>,
    signer: Option<(&X509, &PKey<Private>)>,
    not_before: i64,
    not_after: i64,
    serial: u32,
) -> Issued {
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let sn = Asn1Integer::from_bn(&BigNum::from_u32(serial).unwrap()).unwrap();
    b.set_serial_number(&sn).unwrap();
    let subject = match kind {
        Kind::SelfSigned => name(cn, Some("sealed-secret")),
        _ => name(cn, None),
    };
    b.set_subject_name(&subject).unwrap();
    match signer {
        Some((ca, _)) => b.set_issuer_name(ca.subject_name()).unwrap(),
        None => b.set_issuer_name(&subject).unwrap(),
    }
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(not_before).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(not_after).unwrap())
        .unwrap();
    match kind {
        Kind::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Kind::Server => {
            let ctx = b.x509v3_context(signer.map(|s| &**s.0), None);
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .dns("localhost")
                .dns("apiserver.test")
                .build(&ctx)
                .unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Kind::Client => {
            b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Kind::SelfSigned => {
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_encipherment()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
    }
    let sign_key = signer.map(|s| s.1).unwrap_or(key);
    b.sign(sign_key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let cert_pem = cert.to_pem().unwrap();
    let cpath = dir.join(format!("{file}.pem"));
    let kpath = dir.join(format!("{file}.key"));
    std::fs::write(&cpath, &cert_pem).unwrap();
    std::fs::write(&kpath, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    Issued {
        cert: cpath,
        key: kpath,
        cert_pem,
    }
}

/// The PKI for this test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let base = crate::paths::target_tmpdir();
        // Remove what earlier (finished) test processes left behind.
        if let Ok(rd) = std::fs::read_dir(&base) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = n.strip_prefix("source-pki-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let dir = base.join(format!("source-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let t = now();
        let day = 86_400;
        let ca_key = ec_key();
        let ca = issue(
            &dir,
            "ca",
            "empseal test CA",
            Kind::Ca,
            &ca_key,
            None,
            t - day,
            t + 30 * day,
            1,
        );
        let ca_x509 = X509::from_pem(&ca.cert_pem).unwrap();
        let other_key = ec_key();
        let other_ca = issue(
            &dir,
            "other-ca",
            "some other CA",
            Kind::Ca,
            &other_key,
            None,
            t - day,
            t + 30 * day,
            2,
        );
        let server_key = ec_key();
        let server = issue(
            &dir,
            "server",
            "apiserver",
            Kind::Server,
            &server_key,
            Some((&ca_x509, &ca_key)),
            t - day,
            t + day,
            3,
        );
        let expired_server = issue(
            &dir,
            "expired-server",
            "apiserver",
            Kind::Server,
            &server_key,
            Some((&ca_x509, &ca_key)),
            t - 10 * day,
            t - day,
            4,
        );
        let client_key = ec_key();
        let client = issue(
            &dir,
            "client",
            "alice",
            Kind::Client,
            &client_key,
            Some((&ca_x509, &ca_key)),
            t - day,
            t + day,
            5,
        );
        let forbidden_client = issue(
            &dir,
            "forbidden-client",
            "mallory",
            Kind::Client,
            &client_key,
            Some((&ca_x509, &ca_key)),
            t - day,
            t + day,
            6,
        );
        let k1 = key();
        let controller1 = issue(
            &dir,
            "controller1",
            "sealed-secret",
            Kind::SelfSigned,
            &k1,
            None,
            t - 3600,
            t + 3650 * day,
            7,
        );
        let controller1_renewed = issue(
            &dir,
            "controller1-renewed",
            "sealed-secret",
            Kind::SelfSigned,
            &k1,
            None,
            t - 60,
            t + 3660 * day,
            8,
        );
        let k2 = key();
        let controller2 = issue(
            &dir,
            "controller2",
            "sealed-secret",
            Kind::SelfSigned,
            &k2,
            None,
            t - 3600,
            t + 3650 * day,
            9,
        );
        let controller_expired = issue(
            &dir,
            "controller-expired",
            "sealed-secret",
            Kind::SelfSigned,
            &k2,
            None,
            t - 20 * day,
            t - day,
            10,
        );
        Pki {
            dir,
            ca,
            other_ca,
            server,
            expired_server,
            client,
            forbidden_client,
            controller1,
            controller2,
            controller1_renewed,
            controller_expired,
        }
    })
}
