//! Hybrid encryption exactly as sealed-secrets' `pkg/crypto`: RSA-OAEP(SHA-256,
//! MGF1-SHA-256, label from the scope) over a fresh AES-256-GCM session key
//! (all-zero 12-byte nonce, no AAD), and the wire format
//! `u16be(len(rsa_ct)) || rsa_ct || aes_gcm_ct_with_tag`.

use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// Why encryption or decryption failed. Never carries plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The wire value is too short or its length prefix is inconsistent.
    #[error("malformed ciphertext: {0}")]
    Malformed(String),
    /// No private key could decrypt the session key (wrong key, or wrong label:
    /// the value was sealed for another name/namespace/scope).
    #[error("no private key can decrypt this value (wrong key, or sealed for another name, namespace or scope)")]
    NoKey,
    /// The session key decrypted but the AES-GCM tag did not verify: tampered value.
    #[error("the value was tampered with (AES-GCM authentication failed)")]
    Tampered,
    /// A key could not be used (too small for the message, invalid, ...).
    #[error("key error: {0}")]
    Key(String),
}

/// An RSA public key, as taken from the controller's certificate.
#[derive(Clone)]
pub struct RsaPublicKey {
    _todo: (),
}

/// An RSA private key (the controller's), for `unseal`.
pub struct RsaPrivateKey {
    _todo: (),
}

/// The parts of a wire value, borrowed from the decoded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireParts<'a> {
    /// The big-endian u16 length prefix as read.
    pub rsa_len: usize,
    /// The RSA-OAEP encrypted session key.
    pub rsa_block: &'a [u8],
    /// AES-256-GCM ciphertext with its 16-byte tag appended.
    pub aes_block: &'a [u8],
}

/// Splits a decoded wire value into its parts (no decryption).
pub fn parse_wire(bytes: &[u8]) -> Result<WireParts<'_>, CryptoError> {
    let _ = bytes;
    todo!("crypto::parse_wire")
}

/// Encrypts `plaintext` for `key` with the OAEP `label`, returning the wire bytes
/// (not base64). All randomness (session key, OAEP seed) comes from `rng`, so the
/// same rng state gives the same bytes.
pub fn hybrid_encrypt<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    key: &RsaPublicKey,
    plaintext: &[u8],
    label: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let _ = (rng, key, plaintext, label);
    todo!("crypto::hybrid_encrypt")
}

/// Decrypts wire bytes with the first of `keys` that can open the session key.
pub fn hybrid_decrypt(
    keys: &[RsaPrivateKey],
    wire: &[u8],
    label: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let _ = (keys, wire, label);
    todo!("crypto::hybrid_decrypt")
}
