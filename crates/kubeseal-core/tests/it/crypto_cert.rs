//! Certificate parsing of every fixture, checked against the openssl CLI, with the
//! right error for each bad one.

use crate::crypto_support;

use std::process::Command;

use crypto_support::*;
use kubeseal_core::cert::{rfc3339, CertError, Certificate};

/// What openssl says about a certificate: (subject, issuer, notBefore, notAfter)
/// with dates as RFC 3339.
fn openssl_fields(path: &std::path::Path) -> (String, String, String, String) {
    let out = String::from_utf8(run_ok(
        Command::new("openssl")
            .args([
                "x509",
                "-noout",
                "-subject",
                "-issuer",
                "-nameopt",
                "RFC2253",
                "-startdate",
                "-enddate",
            ])
            .args(["-dateopt", "iso_8601", "-in"])
            .arg(path),
        None,
    ))
    .unwrap();
    let field = |prefix: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {out}"))
            .to_string()
    };
    let date = |s: String| s.replacen(' ', "T", 1);
    (
        field("subject="),
        field("issuer="),
        date(field("notBefore=")),
        date(field("notAfter=")),
    )
}

/// Unix seconds of an RFC 3339 date, by GNU date.
fn unix(date: &str) -> i64 {
    let out = run_ok(Command::new("date").args(["-u", "-d", date, "+%s"]), None);
    String::from_utf8(out).unwrap().trim().parse().unwrap()
}

#[test]
fn good_certificates_parse_like_openssl_reads_them() {
    for name in [
        "rsa2048.crt",
        "rsa3072.crt",
        "rsa4096.crt",
        "demo-dev.crt",
        "demo-paper.crt",
        "demo-prod.crt",
        "expired.crt",
        "not-yet-valid.crt",
        "rsa1024.crt",
    ] {
        let bytes = read_key_file(name);
        let cert = Certificate::from_pem(&bytes, name).unwrap();
        let (subject, issuer, nb, na) = openssl_fields(&key_path(name));
        assert_eq!(cert.subject, subject, "{name}");
        assert_eq!(cert.issuer, issuer, "{name}");
        assert_eq!(rfc3339(cert.not_before), nb, "{name}");
        assert_eq!(rfc3339(cert.not_after), na, "{name}");
        assert_eq!(cert.not_before, unix(&nb), "{name}");
        assert_eq!(cert.not_after, unix(&na), "{name}");
        assert_eq!(cert.bits, cert.public_key.bits());
        assert_eq!(cert.origin, name);
        // to_pem writes what openssl wrote.
        assert_eq!(cert.to_pem().as_bytes(), &bytes[..], "{name}");
        // The DER is the file's DER.
        let der = run_ok(
            Command::new("openssl")
                .args(["x509", "-outform", "DER", "-in"])
                .arg(key_path(name)),
            None,
        );
        assert_eq!(cert.der, der, "{name}");
    }
    let c = Certificate::from_pem(&read_key_file("rsa4096.crt"), "x").unwrap();
    assert_eq!(c.bits, 4096);
    assert_eq!(c.public_key, public_key(4096));
    assert_eq!(c.public_key, *private_key(4096).public_key());
}

#[test]
fn usable_now_and_expiry_boundaries() {
    for bits in SIZES {
        let name = format!("rsa{bits}.crt");
        let cert = Certificate::from_pem(&read_key_file(&name), &name).unwrap();
        let mid = cert.not_before + 86_400;
        cert.check_usable(mid).unwrap();
        cert.check_usable(cert.not_after).unwrap(); // kubeseal: expired only *after* notAfter
        let e = cert.check_usable(cert.not_after + 1).unwrap_err();
        assert!(
            matches!(&e, CertError::Expired { origin, .. } if origin == &name),
            "{e}"
        );
        assert!(cert.expires_within(cert.not_after - 30 * 86_400, 30 * 86_400));
        assert!(!cert.expires_within(cert.not_after - 30 * 86_400 - 1, 30 * 86_400));
        assert!(cert.expires_within(cert.not_after + 5, 0));
        assert!(!cert.is_expired(mid) && cert.is_expired(cert.not_after + 1));
        assert!(!cert.not_yet_valid(mid) && cert.not_yet_valid(cert.not_before - 1));
    }
}

#[test]
fn bad_certificates_get_the_right_error() {
    let now = unix("2030-06-01T00:00:00Z");
    let expired = Certificate::from_pem(&read_key_file("expired.crt"), "k8s/expired.crt").unwrap();
    let e = expired.check_usable(now).unwrap_err();
    assert!(
        matches!(&e, CertError::Expired { not_after, .. } if not_after == "2021-01-01T00:00:00Z"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("k8s/expired.crt: certificate expired at 2021-01-01T00:00:00Z"),
        "{e}"
    );
    assert!(matches!(
        kubeseal_core::Error::from(e),
        kubeseal_core::Error::Cert(_)
    ));

    // kubeseal only checks notAfter: a not-yet-valid certificate is usable.
    let future = Certificate::from_pem(&read_key_file("not-yet-valid.crt"), "f").unwrap();
    future.check_usable(now).unwrap();
    assert!(future.not_yet_valid(now));

    let e = Certificate::from_pem(&read_key_file("ec.crt"), "ec.crt").unwrap_err();
    assert!(
        matches!(&e, CertError::NotRsa { algorithm, .. } if algorithm == "EC (P-256)"),
        "{e:?}"
    );
    assert!(e.to_string().starts_with("ec.crt: "), "{e}");

    let small = Certificate::from_pem(&read_key_file("rsa1024.crt"), "rsa1024.crt").unwrap();
    let e = small.check_usable(small.not_before + 10).unwrap_err();
    assert!(matches!(e, CertError::TooSmall { bits: 1024, .. }), "{e:?}");

    let e = Certificate::from_pem(&read_key_file("garbage.crt"), "garbage.crt").unwrap_err();
    assert!(
        matches!(&e, CertError::Parse { reason, .. } if reason.contains("invalid DER")),
        "{e:?}"
    );

    let e = Certificate::from_pem(&read_key_file("rsa2048.key"), "tls.key").unwrap_err();
    assert!(
        matches!(&e, CertError::Parse { reason, .. } if reason.contains("no CERTIFICATE PEM block (found RSA PRIVATE KEY)")),
        "{e:?}"
    );

    for (what, bytes) in [
        ("empty", Vec::new()),
        ("blank", b"  \n\n".to_vec()),
        ("text", b"hello world\n".to_vec()),
        (
            "truncated PEM",
            read_key_file("rsa2048.crt")[..600].to_vec(),
        ),
        (
            "truncated DER",
            read_key_file("rsa2048.crt.der")[..500].to_vec(),
        ),
        (
            "DER with trailing data",
            [read_key_file("rsa2048.crt.der"), vec![0, 0]].concat(),
        ),
        (
            "bad base64",
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".to_vec(),
        ),
    ] {
        let e = Certificate::from_pem(&bytes, "in.pem").unwrap_err();
        assert!(matches!(e, CertError::Parse { .. }), "{what}: {e:?}");
        assert!(e.to_string().starts_with("in.pem: "), "{what}: {e}");
    }
    // Every message is one line.
    for name in [
        "garbage.crt",
        "ec.crt",
        "rsa2048.key",
        "rsa2048.encrypted.key",
    ] {
        if let Err(e) = Certificate::from_pem(&read_key_file(name), name) {
            assert!(!e.to_string().contains('\n'), "{name}: {e}");
        }
    }
}

#[test]
fn der_bundles_and_first_certificate() {
    let pem = Certificate::from_pem(&read_key_file("rsa2048.crt"), "a").unwrap();
    let der = Certificate::from_pem(&read_key_file("rsa2048.crt.der"), "b").unwrap();
    assert_eq!(pem.der, der.der);
    assert_eq!(pem.fingerprint(), der.fingerprint());
    // A key block, then the 3072 and 4096 certificates: the first certificate wins.
    let bundle = Certificate::from_pem(&read_key_file("bundle.pem"), "bundle.pem").unwrap();
    assert_eq!(bundle.bits, 3072);
    assert_eq!(bundle.public_key, public_key(3072));
    // CRLF line endings, as a file edited on Windows would have.
    let crlf = String::from_utf8(read_key_file("rsa2048.crt"))
        .unwrap()
        .replace('\n', "\r\n");
    assert_eq!(
        Certificate::from_pem(crlf.as_bytes(), "crlf").unwrap().der,
        pem.der
    );
}

#[test]
fn subjects_with_special_characters_match_openssl_rfc2253() {
    // Single-valued RDNs only: for multi-valued ones openssl reverses the parts
    // while Go (and we) keep their stored order; the Go interop test covers those.
    let dir = tempfile::tempdir().unwrap();
    let subjects = [
        "/CN=plain",
        "/C=DE/ST=Berlin/L=Berlin/O=Acme\\, Inc./OU=Ops/CN=sealed-secret",
        "/O=a;b<c>d\"e\\\\f/CN=\\#hash",
        "/CN= leading and trailing /O=x",
    ];
    for (i, subj) in subjects.iter().enumerate() {
        let path = dir.path().join(format!("{i}.crt"));
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
                ])
                .arg("-key")
                .arg(key_path("rsa2048.pk8.key"))
                .arg("-out")
                .arg(&path),
            None,
        );
        let cert = Certificate::from_pem(&std::fs::read(&path).unwrap(), "gen").unwrap();
        let (subject, issuer, _, _) = openssl_fields(&path);
        assert_eq!(cert.subject, subject, "{subj}");
        assert_eq!(cert.issuer, issuer, "{subj}");
    }
}

#[test]
fn rfc3339_agrees_with_gnu_date() {
    let mut secs: Vec<i64> = vec![
        0,
        1,
        -1,
        59,
        60,
        86_399,
        86_400,
        951_782_400,
        951_868_799,
        1_709_164_800,
        4_102_444_800,
        4_107_542_400,
        253_402_300_799,
        -62_135_596_800,
        -2_208_988_800,
    ];
    let mut x: i64 = 0x2545_F491;
    for _ in 0..300 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        secs.push((x >> 20).rem_euclid(253_402_300_800 + 62_135_596_800) - 62_135_596_800);
    }
    let input: String = secs.iter().map(|s| format!("@{s}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dates");
    std::fs::write(&file, input).unwrap();
    let out = String::from_utf8(run_ok(
        Command::new("date")
            .args(["-u", "+%Y-%m-%dT%H:%M:%SZ", "-f"])
            .arg(&file),
        None,
    ))
    .unwrap();
    let expected: Vec<&str> = out.lines().collect();
    assert_eq!(expected.len(), secs.len());
    for (s, e) in secs.iter().zip(expected) {
        assert_eq!(rfc3339(*s), e, "{s}");
    }
}

#[test]
fn validity_window_boundaries_to_the_second() {
    // Certificates built with exact notBefore/notAfter (the controller's are whole
    // seconds too), judged at each boundary and one second either side.
    let (nb, na) = (1_900_000_000i64, 1_900_000_000i64 + 3_600);
    let n = openssl::rsa::Rsa::private_key_from_pem(&read_key_file("rsa2048.key")).unwrap();
    let pem = custom_cert_pem(n.n(), 65_537, nb, na);
    let cert = Certificate::from_pem(&pem, "exact.crt").unwrap();
    assert_eq!((cert.not_before, cert.not_after), (nb, na));
    // notBefore: not yet valid strictly before it (a warning only; kubeseal seals).
    assert!(cert.not_yet_valid(nb - 1));
    assert!(!cert.not_yet_valid(nb));
    assert!(!cert.not_yet_valid(nb + 1));
    cert.check_usable(nb - 1).unwrap();
    cert.check_usable(nb).unwrap();
    // notAfter: expired strictly after it (kubeseal's time.Now().After(NotAfter)).
    assert!(!cert.is_expired(na - 1));
    assert!(!cert.is_expired(na));
    assert!(cert.is_expired(na + 1));
    cert.check_usable(na).unwrap();
    assert!(matches!(
        cert.check_usable(na + 1),
        Err(CertError::Expired { not_after, .. }) if not_after == rfc3339(na)
    ));
    // "Expires within s seconds": notAfter <= now + s.
    assert!(cert.expires_within(na - 60, 60));
    assert!(!cert.expires_within(na - 61, 60));
    assert!(cert.expires_within(na, 0));
    assert!(!cert.expires_within(na - 1, 0));
    assert!(cert.expires_within(na - 1, i64::MAX)); // saturates, no overflow
}
