//! Structural analysis of one `spec.encryptedData` value, without any key.
//!
//! The wire format (sealed-secrets `pkg/crypto`): standard base64 of
//! `u16be(len(rsa_ct)) || rsa_ct || aes_gcm_ct_with_tag`. Go's `StdEncoding`
//! (what the controller decodes with) requires padding, ignores `\r` and `\n`,
//! and accepts non-zero trailing bits; this decoder does the same.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};

use super::rules::Code;

/// Go's `base64.StdEncoding` decoding rules.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// RSA ciphertext sizes of 2048-, 3072- and 4096-bit keys.
pub(crate) const RSA_SIZES: [usize; 3] = [256, 384, 512];
/// AES-GCM tag length: the AES part is never shorter.
pub(crate) const GCM_TAG: usize = 16;
/// The smallest possible sealed value: length prefix, 2048-bit RSA block, empty
/// plaintext's GCM tag.
pub(crate) const MIN_WIRE: usize = 2 + 256 + GCM_TAG;
/// How many characters of a ciphertext a message may show.
pub(crate) const PREFIX_CHARS: usize = 12;

/// The key a value must have been sealed with (from the certificate).
pub(crate) struct KeyInfo<'a> {
    /// Big-endian modulus without leading zero bytes.
    pub modulus: &'a [u8],
    /// Where the certificate came from, for messages.
    pub origin: &'a str,
}

/// The first characters of a ciphertext, for messages: never more than
/// [`PREFIX_CHARS`] characters followed by `…`.
pub(crate) fn short_prefix(value: &str) -> String {
    let mut s: String = value.chars().take(PREFIX_CHARS).collect();
    s.push('…');
    s
}

/// Judges one value. `scratch` is a reusable decode buffer. Returns the problem,
/// if any, with a message that never contains the value itself: only a short
/// prefix, and only once the value is known to be ciphertext-shaped (so a
/// plaintext password pasted into encryptedData is never echoed).
pub(crate) fn analyze(
    value: &str,
    key: Option<&KeyInfo<'_>>,
    scratch: &mut Vec<u8>,
) -> Option<(Code, String)> {
    if value.is_empty() {
        return Some((Code::TooShort, "empty value".into()));
    }
    if value.starts_with("AgAAAA") {
        return Some((
            Code::PlaceholderPrefix,
            "placeholder value (starts with `AgAAAA`)".into(),
        ));
    }
    // Decode first: the happy path scans the value once. Only a value that fails
    // is looked at again, to tell a `...` placeholder from bad base64, and to
    // retry without line breaks (which Go's decoder ignores).
    scratch.clear();
    if GO_STD.decode_vec(value.as_bytes(), scratch).is_err() {
        if value.contains("...") {
            return Some((
                Code::PlaceholderEllipsis,
                "placeholder value (contains `...`)".into(),
            ));
        }
        scratch.clear();
        let retried = value.contains(['\r', '\n']) && {
            let compact: String = value
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n'))
                .collect();
            GO_STD.decode_vec(compact.as_bytes(), scratch).is_ok()
        };
        if !retried {
            return Some((
                Code::InvalidBase64,
                format!(
                    "not valid base64 (a {}-character value)",
                    value.chars().count()
                ),
            ));
        }
    }
    let bytes = scratch.as_slice();
    if bytes.len() < MIN_WIRE {
        return Some((
            Code::TooShort,
            format!(
                "decodes to {} bytes, less than the {MIN_WIRE} of the smallest sealed value",
                bytes.len()
            ),
        ));
    }
    let prefix_len = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
    if !RSA_SIZES.contains(&prefix_len) {
        return Some((
            Code::BadRsaLength,
            format!("RSA block length prefix is {prefix_len}, not 256, 384 or 512"),
        ));
    }
    // parse_wire refuses an AES part shorter than the GCM tag itself.
    let parts = match kubeseal_core::crypto::parse_wire(bytes) {
        Ok(p) => p,
        _ => {
            return Some((
                Code::Truncated,
                format!(
                    "`{}` claims a {prefix_len}-byte RSA block and a {GCM_TAG}-byte tag but holds {} bytes after the prefix",
                    short_prefix(value),
                    bytes.len() - 2
                ),
            ))
        }
    };
    if parts.rsa_block.iter().all(|&b| b == 0) {
        return Some((
            Code::ZeroRsaBlock,
            format!("`{}` has an all-zero RSA block", short_prefix(value)),
        ));
    }
    if let Some(key) = key {
        if parts.rsa_len != key.modulus.len() {
            return Some((
                Code::WrongKeySize,
                format!(
                    "`{}` was sealed for a {}-bit key but the certificate {} has a {}-bit key",
                    short_prefix(value),
                    parts.rsa_len * 8,
                    key.origin,
                    key.modulus.len() * 8
                ),
            ));
        }
        // Same length, big-endian: byte order is numeric order.
        if parts.rsa_block >= key.modulus {
            return Some((
                Code::WrongKeyModulus,
                format!(
                    "`{}` has an RSA block not below the modulus of the certificate {}: not sealed with its key",
                    short_prefix(value),
                    key.origin
                ),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn wire(prefix: u16, rsa: &[u8], aes: usize) -> String {
        let mut b = prefix.to_be_bytes().to_vec();
        b.extend_from_slice(rsa);
        b.extend(std::iter::repeat_n(0x5a, aes));
        STANDARD.encode(b)
    }

    fn code(v: &str, key: Option<&KeyInfo<'_>>) -> Option<Code> {
        analyze(v, key, &mut Vec::new()).map(|(c, _)| c)
    }

    #[test]
    fn structural_problems() {
        let good = wire(512, &[0x7f; 512], 40);
        assert_eq!(code(&good, None), None);
        assert_eq!(code("", None), Some(Code::TooShort));
        assert_eq!(code("AgAAAAAAAA==", None), Some(Code::PlaceholderPrefix));
        assert_eq!(code("AgB...", None), Some(Code::PlaceholderEllipsis));
        assert_eq!(code("not base64!", None), Some(Code::InvalidBase64));
        assert_eq!(code("QUJD", None), Some(Code::TooShort));
        assert_eq!(
            code(&wire(300, &[1; 300], 16), None),
            Some(Code::BadRsaLength)
        );
        assert_eq!(code(&wire(512, &[1; 400], 16), None), Some(Code::Truncated));
        assert_eq!(code(&wire(512, &[1; 512], 15), None), Some(Code::Truncated));
        assert_eq!(
            code(&wire(256, &[0; 256], 16), None),
            Some(Code::ZeroRsaBlock)
        );
        // Missing padding is invalid for Go's StdEncoding.
        let unpadded = good.trim_end_matches('=');
        if unpadded.len() != good.len() {
            assert_eq!(code(unpadded, None), Some(Code::InvalidBase64));
        }
        // Line breaks are ignored, as Go does.
        let broken = format!("{}\n{}", &good[..100], &good[100..]);
        assert_eq!(code(&broken, None), None);
    }

    #[test]
    fn key_checks() {
        let modulus = [0xc0u8; 512];
        let key = KeyInfo {
            modulus: &modulus,
            origin: "cert.pem",
        };
        assert_eq!(code(&wire(512, &[0x7f; 512], 40), Some(&key)), None);
        assert_eq!(
            code(&wire(256, &[0x7f; 256], 40), Some(&key)),
            Some(Code::WrongKeySize)
        );
        assert_eq!(
            code(&wire(512, &[0xc0; 512], 40), Some(&key)),
            Some(Code::WrongKeyModulus)
        );
        assert_eq!(
            code(&wire(512, &[0xff; 512], 40), Some(&key)),
            Some(Code::WrongKeyModulus)
        );
    }

    #[test]
    fn messages_show_at_most_a_short_prefix() {
        let v = wire(256, &[0; 256], 40);
        let (_, msg) = analyze(&v, None, &mut Vec::new()).unwrap();
        assert!(msg.contains(&v[..PREFIX_CHARS]));
        assert!(!msg.contains(&v[..PREFIX_CHARS + 1]));
        let (_, msg) = analyze("hunter2-password", None, &mut Vec::new()).unwrap();
        assert!(!msg.contains("hunter"), "{msg}");
    }
}
