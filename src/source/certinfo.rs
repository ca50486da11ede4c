//! What `source` needs to know about a sealing certificate, read through
//! [`crate::cert`] (one parser and one fingerprint for the whole crate).

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

/// Parses the first certificate of `pem` and checks that its key is RSA of at least
/// 2048 bits (expiry is checked by the caller, which knows `now`).
pub(crate) fn inspect(pem: &[u8], origin: &str) -> Result<CertSummary, CertError> {
    let c = crate::cert::Certificate::from_pem(pem, origin)?;
    if c.bits < crate::cert::MIN_RSA_BITS {
        return Err(CertError::TooSmall {
            origin: origin.to_string(),
            bits: c.bits,
        });
    }
    Ok(CertSummary {
        fingerprint: c.fingerprint(),
        subject: c.subject.clone(),
        not_before: c.not_before,
        not_after: c.not_after,
        der: c.der.clone(),
    })
}
