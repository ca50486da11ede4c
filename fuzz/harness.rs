//! The bodies of the fuzz targets, shared with `crates/lint/tests/it/fuzz_corpus.rs`, which runs every
//! committed corpus input through them on stable Rust in the normal test suite (so each
//! input that once crashed, leaked or hung stays a regression test). Each function
//! returns what the input led to, for the test's assertions; none may panic.

// Each fuzz target uses one of these functions.
#![allow(dead_code)]

use empseal_lint::{check_bytes, CheckOptions};
use kubeseal_core::cert::Certificate;
use kubeseal_core::crypto::{b64_decode, hybrid_decrypt, parse_wire, RsaPrivateKey};
use kubeseal_core::envfile::parse_env_bytes;
use kubeseal_core::manifest::{detect_style, read_sealed_secrets, read_secrets};
use kubeseal_core::secret::SecretBytes;

/// `envfile`: parses with kubectl's rules; lines without `=` look a variable up, which
/// is answered for names of even length so both branches run. Ok = parsed.
pub fn envfile(data: &[u8]) -> bool {
    let env = |k: &str| -> Option<SecretBytes> {
        if k.len().is_multiple_of(2) {
            Some(SecretBytes::new(k.as_bytes().to_vec()))
        } else {
            None
        }
    };
    parse_env_bytes("fuzz.env", data, &env).is_ok()
}

/// `manifest`: (read as Secrets, read as SealedSecrets).
pub fn manifest(data: &[u8]) -> (bool, bool) {
    let _ = detect_style(data);
    (
        read_secrets("fuzz.yaml", data).is_ok(),
        read_sealed_secrets("fuzz.yaml", data).is_ok(),
    )
}

/// `cert`: (parsed as PEM, parsed as DER); a parsed PEM certificate is also
/// fingerprinted, checked for use and printed back.
pub fn cert(data: &[u8]) -> (bool, bool) {
    let pem = match Certificate::from_pem(data, "fuzz.crt") {
        Ok(c) => {
            let _ = c.fingerprint();
            let _ = c.check_usable(1_800_000_000);
            let _ = c.to_pem();
            true
        }
        Err(_) => false,
    };
    (
        pem,
        Certificate::from_der(data.to_vec(), "fuzz.der").is_ok(),
    )
}

/// `wire`: the first byte picks the label (scope) so label handling is exercised too;
/// the rest is tried as raw wire bytes and as base64 text. True when a value opened.
pub fn wire(keys: &[RsaPrivateKey], data: &[u8]) -> bool {
    let (label, body): (&[u8], &[u8]) = match data.split_first() {
        Some((b, rest)) if b % 3 == 0 => (b"ns/name", rest),
        Some((b, rest)) if b % 3 == 1 => (b"ns", rest),
        Some((_, rest)) => (b"", rest),
        None => (b"", data),
    };
    if let Ok(parts) = parse_wire(body) {
        assert_eq!(parts.rsa_block.len(), parts.rsa_len);
        assert!(parts.aes_block.len() >= 16);
    }
    let mut opened = hybrid_decrypt(keys, body, label).is_ok();
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(wire) = b64_decode(text) {
            opened |= hybrid_decrypt(keys, &wire, label).is_ok();
        }
    }
    opened
}

/// `check`: the scanner (`check`'s own position-aware YAML/JSON reader, with its
/// alias budget and base64 fast path) and every rule, on arbitrary bytes, as a
/// sealed environment (so the plaintext rules run too). Returns the finding
/// codes; every finding has a 1-based position in the input.
pub fn check(data: &[u8]) -> Vec<&'static str> {
    let mut opts = CheckOptions::new(1_800_000_000);
    opts.sealed_only = true;
    opts.check_git = false;
    let findings = check_bytes("fuzz.yaml", data, &opts);
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for f in &findings {
        assert!(f.line >= 1 && f.line <= lines && f.column >= 1, "{f:?}");
        assert!(!f.message.contains('\n'), "{f:?}");
    }
    findings.iter().map(|f| f.code.id()).collect()
}
