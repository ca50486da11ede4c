//! Sealing certificates: X.509 parsing, RSA key checks, the controller's key
//! fingerprint and expiry.

use crate::crypto::RsaPublicKey;

/// Why a certificate cannot be used. Messages name the origin (file or URL).
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Not PEM, not X.509, or garbage.
    #[error("{origin}: not a PEM X.509 certificate: {reason}")]
    Parse {
        /// File path or URL the bytes came from.
        origin: String,
        /// What the parser said.
        reason: String,
    },
    /// The key is not RSA.
    #[error("{origin}: the certificate's key is {algorithm}, not RSA; sealed-secrets only uses RSA keys")]
    NotRsa {
        /// File path or URL.
        origin: String,
        /// The algorithm found.
        algorithm: String,
    },
    /// The RSA key is smaller than 2048 bits.
    #[error("{origin}: RSA key of {bits} bits is too small (need at least 2048)")]
    TooSmall {
        /// File path or URL.
        origin: String,
        /// Key size found.
        bits: usize,
    },
    /// The certificate has expired (kubeseal refuses it too).
    #[error(
        "{origin}: certificate expired at {not_after}; fetch the controller's current certificate"
    )]
    Expired {
        /// File path or URL.
        origin: String,
        /// Expiry, RFC 3339.
        not_after: String,
    },
}

/// A parsed, checked sealing certificate.
#[derive(Clone)]
pub struct Certificate {
    /// Where it came from (file path or URL), for messages.
    pub origin: String,
    /// The DER bytes.
    pub der: Vec<u8>,
    /// Subject, RFC 4514 style.
    pub subject: String,
    /// Issuer, RFC 4514 style.
    pub issuer: String,
    /// Validity start, Unix seconds.
    pub not_before: i64,
    /// Validity end, Unix seconds.
    pub not_after: i64,
    /// The RSA public key.
    pub public_key: RsaPublicKey,
    /// Modulus size in bits.
    pub bits: usize,
}
