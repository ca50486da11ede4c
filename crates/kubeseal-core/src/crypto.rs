//! Hybrid encryption exactly as sealed-secrets' `pkg/crypto`: RSA-OAEP(SHA-256,
//! MGF1-SHA-256, label from the scope) over a fresh AES-256-GCM session key
//! (all-zero 12-byte nonce, no AAD), and the wire format
//! `u16be(len(rsa_ct)) || rsa_ct || aes_gcm_ct_with_tag`.
//!
//! Backend: OpenSSL (through the `openssl` crate). Encryption does the EME-OAEP
//! encoding here (RFC 8017 §7.1.1) with the seed drawn from the caller's rng, then
//! OpenSSL's raw RSA public operation, so output is a pure function of the rng
//! stream. The rng is read in the same order as Go's `HybridEncrypt`: 32 bytes of
//! session key, then the 32-byte OAEP seed. Decryption uses OpenSSL's own
//! (constant-time) OAEP decoding. AES-256-GCM comes from the `aes-gcm` crate.

use std::fmt;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce, Tag};
use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::md::Md;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::{Padding, Rsa, RsaRef};
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use zeroize::{Zeroize, Zeroizing};

/// Size of the AES-256-GCM session key sealed-secrets draws per value.
pub const SESSION_KEY_LEN: usize = 32;
/// Size of the GCM tag appended to every AES block.
pub const GCM_TAG_LEN: usize = 16;
/// Output length of SHA-256, the OAEP hash.
const HASH_LEN: usize = 32;

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

impl From<CryptoError> for crate::Error {
    /// Key problems are certificate/key errors (exit 4); everything else is a
    /// decryption failure (exit 5).
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Key(_) => crate::Error::Cert(e.to_string()),
            _ => crate::Error::Decrypt(e.to_string()),
        }
    }
}

/// Flattens an OpenSSL error stack into one line (it can hold several entries).
fn ossl(context: &str, e: openssl::error::ErrorStack) -> CryptoError {
    let detail = e
        .errors()
        .iter()
        .map(|e| e.reason().unwrap_or("unknown error").to_string())
        .collect::<Vec<_>>()
        .join("; ");
    if detail.is_empty() {
        CryptoError::Key(context.to_string())
    } else {
        CryptoError::Key(format!("{context}: {detail}"))
    }
}

/// An RSA public key, as taken from the controller's certificate.
#[derive(Clone)]
pub struct RsaPublicKey {
    rsa: Rsa<Public>,
    bits: usize,
    size: usize,
}

impl RsaPublicKey {
    /// Wraps an OpenSSL RSA public key (the form every other constructor ends in).
    pub fn from_openssl(rsa: Rsa<Public>) -> Result<Self, CryptoError> {
        let bits = rsa.n().num_bits();
        if bits <= 0 {
            return Err(CryptoError::Key("RSA modulus is zero".into()));
        }
        if rsa.e().num_bits() <= 1 || !rsa.e().is_bit_set(0) {
            return Err(CryptoError::Key(
                "RSA public exponent is not an odd number > 1".into(),
            ));
        }
        let size = rsa.size() as usize;
        Ok(RsaPublicKey {
            rsa,
            bits: bits as usize,
            size,
        })
    }

    /// Builds a key from its big-endian modulus and public exponent.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, CryptoError> {
        let n = BigNum::from_slice(n).map_err(|e| ossl("RSA modulus", e))?;
        let e = BigNum::from_slice(e).map_err(|e| ossl("RSA exponent", e))?;
        let rsa = Rsa::from_public_components(n, e).map_err(|e| ossl("RSA public key", e))?;
        Self::from_openssl(rsa)
    }

    /// Parses a DER public key: SubjectPublicKeyInfo (what certificates hold) or PKCS#1.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(pkey) = PKey::public_key_from_der(der) {
            return Self::from_pkey(pkey);
        }
        let rsa = Rsa::public_key_from_der_pkcs1(der).map_err(|e| {
            ossl(
                "not a DER RSA public key (SubjectPublicKeyInfo or PKCS#1)",
                e,
            )
        })?;
        Self::from_openssl(rsa)
    }

    /// Parses a PEM public key: `BEGIN PUBLIC KEY` (SPKI) or `BEGIN RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(pkey) = PKey::public_key_from_pem(pem) {
            return Self::from_pkey(pkey);
        }
        let rsa = Rsa::public_key_from_pem_pkcs1(pem).map_err(|e| {
            ossl(
                "not a PEM RSA public key (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)",
                e,
            )
        })?;
        Self::from_openssl(rsa)
    }

    fn from_pkey(pkey: PKey<Public>) -> Result<Self, CryptoError> {
        if pkey.id() != Id::RSA {
            return Err(CryptoError::Key(format!(
                "the public key is {}, not RSA",
                key_type_name(pkey.id())
            )));
        }
        Self::from_openssl(pkey.rsa().map_err(|e| ossl("RSA public key", e))?)
    }

    /// The key size in bits (of the modulus), e.g. 4096.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The modulus size in bytes: the exact length of every RSA block sealed for
    /// this key (512 for RSA-4096), i.e. the wire value's length prefix.
    pub fn modulus_bytes(&self) -> usize {
        self.size
    }

    /// The modulus `n`, big-endian, without leading zeros.
    pub fn modulus(&self) -> Vec<u8> {
        self.rsa.n().to_vec()
    }

    /// The public exponent `e`, big-endian, without leading zeros.
    pub fn exponent(&self) -> Vec<u8> {
        self.rsa.e().to_vec()
    }

    /// Whether `block` could be an RSA ciphertext for this key: exactly
    /// [`modulus_bytes`](Self::modulus_bytes) long and, as a number, below the modulus.
    /// `check` uses this to spot values sealed for another key.
    pub fn accepts_rsa_block(&self, block: &[u8]) -> bool {
        if block.len() != self.size {
            return false;
        }
        let n = self.rsa.n().to_vec_padded(self.size as i32);
        match n {
            Ok(n) => block < n.as_slice(),
            Err(_) => false,
        }
    }

    /// The controller's key id: `SHA256:` + unpadded base64 of SHA-256 over the
    /// key's SSH wire encoding (`string "ssh-rsa" || mpint e || mpint n`), as
    /// sealed-secrets' `PublicKeyFingerprint` (x/crypto/ssh `FingerprintSHA256`)
    /// and `ssh-keygen -lf` print it.
    pub fn fingerprint(&self) -> String {
        let mut wire = Vec::with_capacity(self.size + 32);
        ssh_string(&mut wire, b"ssh-rsa");
        ssh_mpint(&mut wire, &self.rsa.e().to_vec());
        ssh_mpint(&mut wire, &self.rsa.n().to_vec());
        let digest = openssl::sha::sha256(&wire);
        format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
        )
    }

    /// The key as DER SubjectPublicKeyInfo (what `BEGIN PUBLIC KEY` holds).
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.rsa
            .public_key_to_der()
            .expect("encoding a valid RSA public key cannot fail")
    }

    /// The key as PEM SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`), e.g. for
    /// tools that take a bare public key rather than a certificate.
    pub fn to_spki_pem(&self) -> String {
        let pem = self
            .rsa
            .public_key_to_pem()
            .expect("encoding a valid RSA public key cannot fail");
        String::from_utf8(pem).expect("PEM is ASCII")
    }

    /// The underlying OpenSSL key, for callers that need OpenSSL directly.
    pub fn as_openssl(&self) -> &RsaRef<Public> {
        &self.rsa
    }
}

impl PartialEq for RsaPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.rsa.n() == other.rsa.n() && self.rsa.e() == other.rsa.e()
    }
}

impl Eq for RsaPublicKey {}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.bits)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// RFC 4251 mpint of a non-negative big-endian magnitude (no leading zeros):
/// a 0x00 byte is prepended when the top bit is set; zero is the empty string.
fn ssh_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let pad = magnitude.first().is_some_and(|b| b & 0x80 != 0);
    let len = magnitude.len() + usize::from(pad);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    if pad {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
}

fn key_type_name(id: Id) -> String {
    match id {
        Id::RSA => "RSA".into(),
        Id::EC => "EC".into(),
        Id::DSA => "DSA".into(),
        Id::ED25519 => "Ed25519".into(),
        Id::ED448 => "Ed448".into(),
        Id::RSA_PSS => "RSA-PSS".into(),
        other => format!("key type {}", other.as_raw()),
    }
}

/// An RSA private key (the controller's), for `unseal`.
///
/// OpenSSL owns the key material and clears it (`BN_clear_free`) when the key is
/// dropped; our own copies of input bytes are zeroized. `Debug` shows only the
/// size and the public fingerprint.
pub struct RsaPrivateKey {
    pkey: PKey<Private>,
    public: RsaPublicKey,
}

impl RsaPrivateKey {
    /// Wraps an OpenSSL RSA private key.
    pub fn from_openssl(rsa: Rsa<Private>) -> Result<Self, CryptoError> {
        let pkey = PKey::from_rsa(rsa).map_err(|e| ossl("RSA private key", e))?;
        Self::from_pkey(pkey)
    }

    fn from_pkey(pkey: PKey<Private>) -> Result<Self, CryptoError> {
        if pkey.id() != Id::RSA {
            return Err(CryptoError::Key(format!(
                "the private key is {}, not RSA; sealed-secrets only uses RSA keys",
                key_type_name(pkey.id())
            )));
        }
        let rsa = pkey.rsa().map_err(|e| ossl("RSA private key", e))?;
        let n = rsa.n().to_owned().map_err(|e| ossl("RSA private key", e))?;
        let e = rsa.e().to_owned().map_err(|e| ossl("RSA private key", e))?;
        let public = RsaPublicKey::from_openssl(
            Rsa::from_public_components(n, e).map_err(|e| ossl("RSA private key", e))?,
        )?;
        Ok(RsaPrivateKey { pkey, public })
    }

    /// Parses a PEM private key: PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8
    /// (`BEGIN PRIVATE KEY`). Other PEM blocks in the input (certificates, as in
    /// a `tls.crt`+`tls.key` bundle) are skipped. Encrypted keys are refused.
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        if contains(pem, b"ENCRYPTED PRIVATE KEY") || contains(pem, b"Proc-Type: 4,ENCRYPTED") {
            return Err(CryptoError::Key(
                "the private key is passphrase-encrypted; decrypt it first \
                 (openssl pkey -in KEY -out KEY.plain)"
                    .into(),
            ));
        }
        // A callback that refuses any passphrase, so OpenSSL never prompts on a tty.
        let pkey =
            PKey::private_key_from_pem_callback(pem, |_buf| Err(openssl::error::ErrorStack::get()))
                .map_err(|e| {
                    ossl(
                "no PEM private key found (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)",
                e,
            )
                })?;
        Self::from_pkey(pkey)
    }

    /// Parses a DER private key, PKCS#1 or PKCS#8.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let pkey = PKey::private_key_from_der(der)
            .or_else(|_| PKey::private_key_from_pkcs8(der))
            .map_err(|e| ossl("not a DER private key (PKCS#1 or PKCS#8)", e))?;
        Self::from_pkey(pkey)
    }

    /// Parses PEM or DER, whichever the bytes are (PEM when they contain `-----BEGIN`).
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, CryptoError> {
        if contains(bytes, b"-----BEGIN") {
            Self::from_pem(bytes)
        } else {
            Self::from_der(bytes)
        }
    }

    /// The matching public key (its fingerprint identifies the key).
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// RSA-OAEP(SHA-256, MGF1-SHA-256, `label`) decryption of one RSA block, by
    /// OpenSSL's constant-time OAEP decoding. Any failure (wrong key, wrong label,
    /// corrupted block) is [`CryptoError::NoKey`], as OAEP cannot tell them apart.
    pub fn oaep_decrypt(
        &self,
        block: &[u8],
        label: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if block.len() != self.public.size {
            return Err(CryptoError::NoKey);
        }
        let mut out = Zeroizing::new(vec![0u8; self.public.size]);
        let n = (|| -> Result<usize, openssl::error::ErrorStack> {
            let mut ctx = PkeyCtx::new(&self.pkey)?;
            ctx.decrypt_init()?;
            ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
            ctx.set_rsa_oaep_md(Md::sha256())?;
            ctx.set_rsa_mgf1_md(Md::sha256())?;
            if !label.is_empty() {
                set_oaep_label(&mut ctx, label)?;
            }
            ctx.decrypt(block, Some(&mut out[..]))
        })()
        .map_err(|_| CryptoError::NoKey)?;
        out.truncate(n);
        Ok(out)
    }
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("bits", &self.public.bits)
            .field("fingerprint", &self.public.fingerprint())
            .finish_non_exhaustive()
    }
}

/// Sets the OAEP label of a decryption context through an `OSSL_PARAM`, which the
/// RSA provider copies into the context (and frees with it).
///
/// Not `PkeyCtx::set_rsa_oaep_label`: that hands OpenSSL an `OPENSSL_malloc`ed copy
/// through `EVP_PKEY_CTX_set0_rsa_oaep_label`, whose documented ownership transfer
/// OpenSSL 3.0 does not honour on the provider path (the copy leaked on every call:
/// found by the `wire` fuzz target, `tests/unseal_leak.rs` keeps it fixed).
fn set_oaep_label(
    ctx: &mut PkeyCtx<Private>,
    label: &[u8],
) -> Result<(), openssl::error::ErrorStack> {
    use foreign_types::ForeignTypeRef as _;
    // SAFETY: the params array lives across the call; the octet-string parameter only
    // points at `label`, which the provider reads and copies
    // (`OSSL_PARAM_get_octet_string` in `rsa_set_ctx_params`), never writes or keeps.
    // `ctx` is a provider context here: `decrypt_init` on a key without an ENGINE
    // always fetches the default provider's RSA asymmetric cipher.
    let rc = unsafe {
        let params = [
            openssl_sys::OSSL_PARAM_construct_octet_string(
                c"oaep-label".as_ptr(),
                label.as_ptr() as *mut std::ffi::c_void,
                label.len(),
            ),
            openssl_sys::OSSL_PARAM_construct_end(),
        ];
        openssl_sys::EVP_PKEY_CTX_set_params(ctx.as_ptr(), params.as_ptr())
    };
    if rc > 0 {
        Ok(())
    } else {
        Err(openssl::error::ErrorStack::get())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
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
///
/// Malformed when: shorter than the 2-byte prefix, a zero length prefix, a prefix
/// longer than the rest, or an AES block shorter than the 16-byte GCM tag (Go's
/// `HybridDecrypt` fails on all of these too, only later).
pub fn parse_wire(bytes: &[u8]) -> Result<WireParts<'_>, CryptoError> {
    if bytes.len() < 2 {
        return Err(CryptoError::Malformed(format!(
            "{} byte(s), shorter than the 2-byte length prefix",
            bytes.len()
        )));
    }
    let rsa_len = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
    let rest = &bytes[2..];
    if rsa_len == 0 {
        return Err(CryptoError::Malformed(
            "the RSA block length prefix is 0".into(),
        ));
    }
    if rest.len() < rsa_len {
        return Err(CryptoError::Malformed(format!(
            "the length prefix says {rsa_len} RSA bytes but only {} byte(s) follow",
            rest.len()
        )));
    }
    let (rsa_block, aes_block) = rest.split_at(rsa_len);
    if aes_block.len() < GCM_TAG_LEN {
        return Err(CryptoError::Malformed(format!(
            "the AES-GCM part is {} byte(s), shorter than its 16-byte tag",
            aes_block.len()
        )));
    }
    Ok(WireParts {
        rsa_len,
        rsa_block,
        aes_block,
    })
}

/// MGF1 with SHA-256 (RFC 8017 §B.2.1), XORed into `out`. SHA-256 is OpenSSL's
/// (assembly, SHA-NI where the CPU has it), as for the RSA operation itself.
fn mgf1_xor(out: &mut [u8], seed: &[u8]) {
    for (counter, chunk) in out.chunks_mut(HASH_LEN).enumerate() {
        let mut h = openssl::sha::Sha256::new();
        h.update(seed);
        h.update(&(counter as u32).to_be_bytes());
        let mut mask = h.finish();
        for (o, m) in chunk.iter_mut().zip(mask.iter()) {
            *o ^= m;
        }
        mask.zeroize();
    }
}

/// RSA-OAEP(SHA-256, MGF1-SHA-256) encryption of a short message with the seed
/// drawn from `rng` (RFC 8017 §7.1.1 encoding, then OpenSSL's raw public
/// operation). Returns exactly [`RsaPublicKey::modulus_bytes`] bytes. Reads
/// exactly 32 bytes from `rng`, as Go's `rsa.EncryptOAEP` does.
pub fn oaep_encrypt<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    key: &RsaPublicKey,
    msg: &[u8],
    label: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let k = key.size;
    if k < 2 * HASH_LEN + 2 || msg.len() > k - 2 * HASH_LEN - 2 {
        return Err(CryptoError::Key(format!(
            "a {}-bit RSA key cannot OAEP-encrypt {} bytes",
            key.bits,
            msg.len()
        )));
    }
    // EM = 0x00 || maskedSeed || maskedDB, DB = lHash || PS || 0x01 || M
    let mut em = Zeroizing::new(vec![0u8; k]);
    {
        let (seed, db) = em[1..].split_at_mut(HASH_LEN);
        db[..HASH_LEN].copy_from_slice(&openssl::sha::sha256(label));
        let db_len = db.len();
        db[db_len - msg.len() - 1] = 1;
        db[db_len - msg.len()..].copy_from_slice(msg);
        rng.fill_bytes(seed);
        mgf1_xor(db, seed);
        mgf1_xor(seed, db);
    }
    let mut out = vec![0u8; k];
    let n = key
        .rsa
        .public_encrypt(&em, &mut out, Padding::NONE)
        .map_err(|e| ossl("RSA public operation", e))?;
    if n != k {
        return Err(CryptoError::Key(format!(
            "RSA public operation returned {n} bytes, expected {k}"
        )));
    }
    Ok(out)
}

/// Encrypts `plaintext` for `key` with the OAEP `label`, returning the wire bytes
/// (not base64). All randomness (session key, OAEP seed) comes from `rng`, so the
/// same rng state gives the same bytes: 32 bytes of session key are drawn first,
/// then the 32-byte OAEP seed, the order Go's `HybridEncrypt` reads them in.
pub fn hybrid_encrypt<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    key: &RsaPublicKey,
    plaintext: &[u8],
    label: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut session_key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    rng.fill_bytes(&mut session_key[..]);
    let rsa_block = oaep_encrypt(rng, key, &session_key[..], label)?;

    let k = rsa_block.len();
    let mut out = Vec::with_capacity(2 + k + plaintext.len() + GCM_TAG_LEN);
    out.extend_from_slice(&(k as u16).to_be_bytes());
    out.extend_from_slice(&rsa_block);
    out.extend_from_slice(plaintext);
    let cipher = Aes256Gcm::new_from_slice(&session_key[..])
        .map_err(|_| CryptoError::Key("AES-256 key length".into()))?;
    let tag = cipher
        .encrypt_in_place_detached(&Nonce::default(), b"", &mut out[2 + k..])
        .map_err(|_| CryptoError::Key("AES-GCM: plaintext too long".into()))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens the AES block with a session key; `Tampered` when the tag fails.
///
/// Like Go's `aes.NewCipher`, a 16- or 24-byte session key is accepted too
/// (sealed-secrets always writes 32 bytes, but the controller would open these).
fn gcm_open(session_key: &[u8], aes_block: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (ct, tag) = aes_block.split_at(aes_block.len() - GCM_TAG_LEN);
    let mut buf = Zeroizing::new(ct.to_vec());
    let nonce = Nonce::default();
    let tag = Tag::from_slice(tag);
    let opened = match session_key.len() {
        32 => Aes256Gcm::new_from_slice(session_key)
            .map_err(|_| CryptoError::Tampered)?
            .decrypt_in_place_detached(&nonce, b"", &mut buf, tag),
        24 => AesGcm::<aes_gcm::aes::Aes192, U12>::new_from_slice(session_key)
            .map_err(|_| CryptoError::Tampered)?
            .decrypt_in_place_detached(&nonce, b"", &mut buf, tag),
        16 => Aes128Gcm::new_from_slice(session_key)
            .map_err(|_| CryptoError::Tampered)?
            .decrypt_in_place_detached(&nonce, b"", &mut buf, tag),
        _ => return Err(CryptoError::Tampered),
    };
    opened.map_err(|_| CryptoError::Tampered)?;
    Ok(buf)
}

/// Decrypts wire bytes with the first of `keys` that can open the session key.
///
/// Errors: [`CryptoError::Malformed`] (see [`parse_wire`]); [`CryptoError::NoKey`]
/// when no key opens the RSA block (wrong key, or wrong label = sealed for another
/// name, namespace or scope, or a corrupted RSA block); [`CryptoError::Tampered`]
/// when a key opened the session key but the AES-GCM tag did not verify;
/// [`CryptoError::Key`] when `keys` is empty.
pub fn hybrid_decrypt(
    keys: &[RsaPrivateKey],
    wire: &[u8],
    label: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let parts = parse_wire(wire)?;
    if keys.is_empty() {
        return Err(CryptoError::Key("no private keys were given".into()));
    }
    let mut tampered = false;
    for key in keys {
        let Ok(session_key) = key.oaep_decrypt(parts.rsa_block, label) else {
            continue;
        };
        match gcm_open(&session_key, parts.aes_block) {
            Ok(plain) => return Ok(plain),
            Err(_) => tampered = true,
        }
    }
    Err(if tampered {
        CryptoError::Tampered
    } else {
        CryptoError::NoKey
    })
}

/// The base64 prefix of the conventional placeholder ciphertext (`AgAAAA...`),
/// which `check`, `rollback` and `history` take for "not sealed yet".
pub const PLACEHOLDER_PREFIX: &str = "AgAAAA";

/// Whether wire bytes would be written (base64) with [`PLACEHOLDER_PREFIX`]:
/// an RSA-4096 block (length prefix `0x02 0x00`) whose first 20 bits are zero,
/// which a genuine encryption produces with probability about 2^-20.
pub fn looks_like_placeholder(wire: &[u8]) -> bool {
    b64_encode(&wire[..wire.len().min(6)]).starts_with(PLACEHOLDER_PREFIX)
}

/// How many draws [`seal_values_parallel`] makes before giving up on a key whose
/// every ciphertext looks like a placeholder (no RSA key does: for any modulus of
/// 512 bytes a draw has that prefix with probability below 2^-12).
const MAX_DRAWS: usize = 64;

/// Seals many values for one key and label, in parallel across cores, yet
/// deterministically: one 32-byte seed per item is drawn from `rng` in item order,
/// then item `i` is encrypted with `ChaCha20Rng::from_seed(seed_i)` on a rayon
/// worker. Same rng state + same items → same bytes, whatever the thread count.
/// Returns wire bytes (not base64), in item order.
///
/// A ciphertext that would read as the placeholder `AgAAAA...` (see
/// [`looks_like_placeholder`]) is drawn again from the same item rng, so `check`
/// never flags a genuine value; the other items, and the rng stream, are not
/// affected.
pub fn seal_values_parallel<R, T>(
    rng: &mut R,
    key: &RsaPublicKey,
    label: &[u8],
    items: &[T],
) -> Result<Vec<Vec<u8>>, CryptoError>
where
    R: RngCore + CryptoRng + ?Sized,
    T: AsRef<[u8]> + Sync,
{
    let seeds: Vec<Zeroizing<[u8; 32]>> = items
        .iter()
        .map(|_| {
            let mut s = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(&mut s[..]);
            s
        })
        .collect();
    items
        .par_iter()
        .zip(seeds.par_iter())
        .map(|(item, seed)| {
            let mut item_rng = ChaCha20Rng::from_seed(**seed);
            for _ in 0..MAX_DRAWS {
                let wire = hybrid_encrypt(&mut item_rng, key, item.as_ref(), label)?;
                if !looks_like_placeholder(&wire) {
                    return Ok(wire);
                }
            }
            Err(CryptoError::Key(format!(
                "{MAX_DRAWS} ciphertexts in a row for this key read as the {PLACEHOLDER_PREFIX} placeholder"
            )))
        })
        .collect()
}

/// Base64 the way kubeseal writes `encryptedData` values: standard alphabet, padded.
pub fn b64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64 the way the controller does (Go's `base64.StdEncoding`):
/// standard alphabet, padding required, `\r` and `\n` ignored, non-zero trailing
/// bits tolerated.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, CryptoError> {
    const GO_STD: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical)
            .with_decode_allow_trailing_bits(true),
    );
    let result = if s.contains(['\r', '\n']) {
        let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        GO_STD.decode(cleaned)
    } else {
        GO_STD.decode(s)
    };
    result.map_err(|e| CryptoError::Malformed(format!("invalid base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1024-bit modulus (the product of two random primes) for key-shape tests.
    fn modulus() -> Vec<u8> {
        Rsa::generate(1024).unwrap().n().to_vec()
    }

    #[test]
    fn exponents_that_leave_the_session_key_readable_are_refused() {
        let n = modulus();
        // e = 1 would make the RSA block the OAEP-encoded session key itself; an
        // even e is no RSA permutation. Both are key errors, not sealable keys.
        for e in [&[1u8][..], &[2], &[4], &[0x01, 0x00, 0x00], &[0]] {
            match RsaPublicKey::from_components(&n, e) {
                Err(CryptoError::Key(m)) => assert!(m.contains("exponent"), "{e:?}: {m}"),
                other => panic!("exponent {e:?} accepted: {other:?}"),
            }
        }
        for e in [&[3u8][..], &[0x01, 0x00, 0x01]] {
            let key = RsaPublicKey::from_components(&n, e).unwrap();
            assert_eq!((key.exponent(), key.bits()), (e.to_vec(), 1024));
        }
    }

    #[test]
    fn debug_output_names_the_key_by_size_and_fingerprint() {
        let key = RsaPublicKey::from_components(&modulus(), &[0x01, 0x00, 0x01]).unwrap();
        assert_eq!(
            format!("{key:?}"),
            format!(
                "RsaPublicKey {{ bits: 1024, fingerprint: {:?} }}",
                key.fingerprint()
            )
        );
    }

    #[test]
    fn mpint_matches_rfc4251_examples() {
        // RFC 4251 §5 lists these encodings (non-negative ones).
        let cases: [(&[u8], &[u8]); 3] = [
            (&[], &[0, 0, 0, 0]),
            (
                &[0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7],
                &[0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7],
            ),
            (&[0x80], &[0, 0, 0, 2, 0, 0x80]),
        ];
        for (magnitude, expected) in cases {
            let mut out = Vec::new();
            ssh_mpint(&mut out, magnitude);
            assert_eq!(out, expected);
        }
    }

    /// The placeholder test looks at the base64 of the first six bytes only:
    /// `AgAAAA` is an RSA-4096 length prefix followed by 20 zero bits.
    #[test]
    fn placeholders_are_the_4096_prefix_with_twenty_zero_bits() {
        assert!(looks_like_placeholder(&[2, 0, 0, 0, 0, 0, 9, 9]));
        assert!(looks_like_placeholder(&[2, 0, 0, 0, 0x0f, 0xff]));
        assert!(!looks_like_placeholder(&[2, 0, 0, 0, 0x10, 0]));
        assert!(!looks_like_placeholder(&[2, 1, 0, 0, 0, 0]));
        assert!(!looks_like_placeholder(&[1, 0, 0, 0, 0, 0]));
        // Shorter than six bytes: its base64 is too short to hold the prefix.
        assert!(!looks_like_placeholder(&[2, 0, 0]));
    }

    /// Each malformed shape gets its own message, at the exact boundary: two
    /// bytes are a whole prefix, and an RSA block filling the rest leaves an
    /// empty AES part.
    #[test]
    fn parse_wire_names_what_is_short_at_each_boundary() {
        let message = |bytes: &[u8]| match parse_wire(bytes) {
            Err(CryptoError::Malformed(m)) => m,
            other => panic!("{bytes:?}: {other:?}"),
        };
        assert_eq!(
            message(&[0]),
            "1 byte(s), shorter than the 2-byte length prefix"
        );
        assert_eq!(message(&[0, 0]), "the RSA block length prefix is 0");
        assert_eq!(
            message(&[0, 1]),
            "the length prefix says 1 RSA bytes but only 0 byte(s) follow"
        );
        assert_eq!(
            message(&[0, 3, 1, 2, 3]),
            "the AES-GCM part is 0 byte(s), shorter than its 16-byte tag"
        );
    }

    #[test]
    fn parse_wire_splits_at_the_prefix() {
        let mut wire = vec![0, 3, 1, 2, 3];
        wire.extend_from_slice(&[9; 16]);
        let p = parse_wire(&wire).unwrap();
        assert_eq!(
            (p.rsa_len, p.rsa_block, p.aes_block),
            (3, &[1u8, 2, 3][..], &[9u8; 16][..])
        );
    }
}
