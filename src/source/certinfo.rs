//! TEMPORARY certificate shim, to be replaced at merge by `crate::cert`.
//!
//! `crate::cert::Certificate` was being written in parallel; until the branches
//! meet, [`inspect`] is the one function `source` uses to read a certificate,
//! with the same rules as `cert` on main (first `CERTIFICATE` block, RSA only,
//! at least 2048 bits; expiry is judged by the caller, which knows `now`). At
//! merge, replace this file's body with:
//!
//! ```ignore
//! pub(crate) fn inspect(pem: &[u8], origin: &str) -> Result<CertSummary, CertError> {
//!     let c = crate::cert::Certificate::from_pem(pem, origin)?;
//!     if c.bits < 2048 {
//!         return Err(CertError::TooSmall { origin: origin.to_string(), bits: c.bits });
//!     }
//!     Ok(CertSummary { fingerprint: c.fingerprint(), subject: c.subject.clone(),
//!         not_before: c.not_before, not_after: c.not_after, der: c.der.clone() })
//! }
//! ```
//! (and `pin::rfc3339` by `crate::cert::rfc3339`).

use base64::Engine;
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

use crate::cert::CertError;

/// What `source` needs to know about a sealing certificate.
#[derive(Debug, Clone)]
pub(crate) struct CertSummary {
    /// `SHA256:` + unpadded base64 of SHA-256 over the key's SSH wire encoding.
    pub(crate) fingerprint: String,
    /// Subject, RFC 4514 style.
    pub(crate) subject: String,
    /// Validity start, Unix seconds.
    pub(crate) not_before: i64,
    /// Validity end, Unix seconds.
    pub(crate) not_after: i64,
    /// The first certificate's DER bytes.
    pub(crate) der: Vec<u8>,
}

/// TEMPORARY: parses the first certificate of `pem` and checks that its key is RSA
/// of at least 2048 bits (expiry is checked by the caller, which knows `now`).
pub(crate) fn inspect(pem: &[u8], origin: &str) -> Result<CertSummary, CertError> {
    let parse_err = |reason: String| CertError::Parse {
        origin: origin.to_string(),
        reason,
    };
    let block = Pem::iter_from_buffer(pem)
        .filter_map(Result::ok)
        .find(|p| p.label == "CERTIFICATE")
        .ok_or_else(|| parse_err("no CERTIFICATE block".to_string()))?;
    let x509 = block.parse_x509().map_err(|e| parse_err(e.to_string()))?;
    let (modulus, exponent) = match x509.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            (rsa.modulus.to_vec(), rsa.exponent.to_vec())
        }
        Ok(other) => {
            let algorithm = match other {
                x509_parser::public_key::PublicKey::EC(_) => "EC",
                x509_parser::public_key::PublicKey::DSA(_) => "DSA",
                x509_parser::public_key::PublicKey::GostR3410(_)
                | x509_parser::public_key::PublicKey::GostR3410_2012(_) => "GOST",
                _ => "not RSA",
            };
            return Err(CertError::NotRsa {
                origin: origin.to_string(),
                algorithm: algorithm.to_string(),
            });
        }
        Err(e) => return Err(parse_err(e.to_string())),
    };
    let modulus = strip_zeros(&modulus);
    let bits = if modulus.is_empty() {
        0
    } else {
        (modulus.len() - 1) * 8 + (8 - modulus[0].leading_zeros() as usize)
    };
    if bits < 2048 {
        return Err(CertError::TooSmall {
            origin: origin.to_string(),
            bits,
        });
    }
    let mut wire = Vec::new();
    ssh_string(&mut wire, b"ssh-rsa");
    ssh_mpint(&mut wire, &exponent);
    ssh_mpint(&mut wire, modulus);
    let fingerprint = format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(Sha256::digest(&wire))
    );
    Ok(CertSummary {
        fingerprint,
        subject: x509.subject().to_string(),
        not_before: x509.validity().not_before.timestamp(),
        not_after: x509.validity().not_after.timestamp(),
        der: block.contents.clone(),
    })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

fn ssh_mpint(out: &mut Vec<u8>, be: &[u8]) {
    let v = strip_zeros(be);
    if v.first().is_some_and(|&b| b & 0x80 != 0) {
        out.extend_from_slice(&((v.len() + 1) as u32).to_be_bytes());
        out.push(0);
    } else {
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
    }
    out.extend_from_slice(v);
}
