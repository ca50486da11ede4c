//! Sealing certificates: X.509 parsing, RSA key checks, the controller's key
//! fingerprint and expiry.
//!
//! What kubeseal does (`ParseKey`): take the first `CERTIFICATE` PEM block, demand
//! an RSA key, refuse it when the current time is after `notAfter`. It does not
//! check `notBefore` (the controller's certificate starts "now", so a client clock
//! a little behind would otherwise fail) nor the key size. empseal does the same,
//! also accepts DER, and refuses RSA keys under 2048 bits in [`Certificate::check_usable`].

use std::fmt;

use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::crypto::RsaPublicKey;
use crate::error::one_line;

/// The smallest RSA key empseal seals with.
pub const MIN_RSA_BITS: usize = 2048;

/// Why a certificate cannot be used. Messages name the origin (file or URL).
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Not PEM, not X.509, or garbage.
    #[error("{origin}: not an X.509 certificate (PEM or DER): {reason}")]
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

impl From<CertError> for crate::Error {
    /// Every certificate problem maps to the certificate exit code.
    fn from(e: CertError) -> Self {
        crate::Error::Cert(e.to_string())
    }
}

/// What [`Certificate::assess`] found, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertState {
    /// Key below [`MIN_RSA_BITS`]: refused for sealing.
    TooSmall,
    /// Past `notAfter`: refused for sealing.
    Expired,
    /// Before `notBefore`: accepted (as kubeseal), with a warning.
    NotYetValid,
    /// Expires soon: accepted, with a warning.
    ExpiresSoon,
    /// Nothing to report.
    Valid,
}

impl CertState {
    /// The word `cert show` prints after the validity.
    pub fn as_str(self) -> &'static str {
        match self {
            CertState::TooSmall => "NOT USABLE: key too small",
            CertState::Expired => "EXPIRED",
            CertState::NotYetValid => "NOT YET VALID",
            CertState::ExpiresSoon => "expires soon",
            CertState::Valid => "valid",
        }
    }
}

/// A certificate's state at one instant and the warnings to show for it.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// The most serious state.
    pub state: CertState,
    /// One-line warnings (no secrets), possibly empty.
    pub warnings: Vec<String>,
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

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("origin", &self.origin)
            .field("subject", &self.subject)
            .field("not_before", &rfc3339(self.not_before))
            .field("not_after", &rfc3339(self.not_after))
            .field("bits", &self.bits)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl Certificate {
    /// Parses a certificate as kubeseal reads `--cert`: the first `CERTIFICATE`
    /// block of a PEM file (other blocks, such as a private key, are skipped), or
    /// bare DER. `origin` (file path or URL) is used in every error message.
    /// Refuses non-RSA keys; size and expiry are judged by [`check_usable`](Self::check_usable).
    pub fn from_pem(bytes: &[u8], origin: &str) -> Result<Certificate, CertError> {
        let parse_err = |reason: String| CertError::Parse {
            origin: origin.to_string(),
            reason,
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(parse_err("the input is empty".into()));
        }
        let der = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            let mut labels = Vec::new();
            let mut found = None;
            for block in x509_parser::pem::Pem::iter_from_buffer(bytes) {
                let block = block.map_err(|e| {
                    parse_err(format!("bad PEM block: {}", one_line(&e.to_string())))
                })?;
                if block.label == "CERTIFICATE" {
                    found = Some(block.contents);
                    break;
                }
                labels.push(block.label);
            }
            match found {
                Some(der) => der,
                None if labels.is_empty() => {
                    return Err(parse_err("no complete PEM block found".into()))
                }
                None => {
                    return Err(parse_err(format!(
                        "no CERTIFICATE PEM block (found {})",
                        labels.join(", ")
                    )))
                }
            }
        } else {
            bytes.to_vec()
        };
        Self::from_der(der, origin)
    }

    /// Parses one DER certificate (no trailing data).
    pub fn from_der(der: Vec<u8>, origin: &str) -> Result<Certificate, CertError> {
        let parse_err = |reason: String| CertError::Parse {
            origin: origin.to_string(),
            reason,
        };
        let (rest, x509) = X509Certificate::from_der(&der)
            .map_err(|e| parse_err(format!("invalid DER: {}", one_line(&e.to_string()))))?;
        if !rest.is_empty() {
            return Err(parse_err(format!(
                "{} byte(s) of trailing data after the certificate",
                rest.len()
            )));
        }
        let spki = x509.public_key();
        let alg = &spki.algorithm.algorithm;
        if alg.to_id_string() != "1.2.840.113549.1.1.1" {
            let params = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            return Err(CertError::NotRsa {
                origin: origin.to_string(),
                algorithm: algorithm_name(alg, params.as_ref()),
            });
        }
        let public_key = RsaPublicKey::from_der(spki.raw).map_err(|e| {
            parse_err(format!(
                "invalid RSA public key: {}",
                one_line(&e.to_string())
            ))
        })?;
        let validity = x509.validity();
        let cert = Certificate {
            origin: origin.to_string(),
            subject: rfc4514(x509.subject()),
            issuer: rfc4514(x509.issuer()),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            bits: public_key.bits(),
            public_key,
            der: Vec::new(),
        };
        Ok(Certificate { der, ..cert })
    }

    /// The controller's key id for this certificate's key (`SHA256:...`), see
    /// [`RsaPublicKey::fingerprint`].
    pub fn fingerprint(&self) -> String {
        self.public_key.fingerprint()
    }

    /// Whether empseal may seal with it at time `now` (Unix seconds): refuses
    /// keys under 2048 bits and, like kubeseal, a certificate whose `notAfter` is
    /// before `now`. A not-yet-valid certificate is accepted, as kubeseal does
    /// (see [`not_yet_valid`](Self::not_yet_valid) for a warning).
    pub fn check_usable(&self, now: i64) -> Result<(), CertError> {
        self.check_key()?;
        if self.is_expired(now) {
            return Err(CertError::Expired {
                origin: self.origin.clone(),
                not_after: rfc3339(self.not_after),
            });
        }
        Ok(())
    }

    /// Refuses keys under [`MIN_RSA_BITS`] (what `seal` refuses, whatever the time).
    pub fn check_key(&self) -> Result<(), CertError> {
        if self.bits < MIN_RSA_BITS {
            return Err(CertError::TooSmall {
                origin: self.origin.clone(),
                bits: self.bits,
            });
        }
        Ok(())
    }

    /// The one judgement of a certificate at `now` that every command shows: the
    /// state word for `cert show` and the warnings `seal`, `cert show` and
    /// `cert fetch` print. `warn_secs`: how close to expiry counts as "soon".
    pub fn assess(&self, now: i64, warn_secs: i64) -> Assessment {
        let mut warnings = Vec::new();
        let origin = &self.origin;
        let state = if self.bits < MIN_RSA_BITS {
            warnings.push(format!(
                "{origin}: RSA key of {} bits is too small (need at least {MIN_RSA_BITS}); kubeseal-compatible sealing with it is refused",
                self.bits
            ));
            CertState::TooSmall
        } else if self.is_expired(now) {
            warnings.push(format!(
                "{origin}: certificate expired at {}; kubeseal and empseal refuse to seal with it",
                rfc3339(self.not_after)
            ));
            CertState::Expired
        } else if self.not_yet_valid(now) {
            warnings.push(format!(
                "{origin}: certificate is not valid before {} (this machine's clock may be behind the controller's); check the clocks",
                rfc3339(self.not_before)
            ));
            CertState::NotYetValid
        } else if self.expires_within(now, warn_secs) {
            warnings.push(format!(
                "{origin}: certificate expires at {} (within {} days); fetch the controller's current certificate soon",
                rfc3339(self.not_after),
                warn_secs / 86_400
            ));
            CertState::ExpiresSoon
        } else {
            CertState::Valid
        };
        Assessment { state, warnings }
    }

    /// Expired at `now`: `now` is after `notAfter` (kubeseal's `time.Now().After(NotAfter)`).
    pub fn is_expired(&self, now: i64) -> bool {
        now > self.not_after
    }

    /// `now` is before `notBefore` (usually a clock behind the controller's).
    pub fn not_yet_valid(&self, now: i64) -> bool {
        now < self.not_before
    }

    /// Whether the certificate expires within `secs` seconds of `now` (true also
    /// when it already has), e.g. for a 30-day warning.
    pub fn expires_within(&self, now: i64, secs: i64) -> bool {
        self.not_after <= now.saturating_add(secs)
    }

    /// The certificate as PEM (`BEGIN CERTIFICATE`, 64-column lines, trailing newline),
    /// the form the controller serves at `/v1/cert.pem`.
    pub fn to_pem(&self) -> String {
        let b64 = crate::crypto::b64_encode(&self.der);
        let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }
}

fn algorithm_name(alg: &Oid, params: Option<&Oid>) -> String {
    match alg.to_id_string().as_str() {
        "1.2.840.10045.2.1" => match params.map(|p| p.to_id_string()).as_deref() {
            Some("1.2.840.10045.3.1.7") => "EC (P-256)".into(),
            Some("1.3.132.0.34") => "EC (P-384)".into(),
            Some("1.3.132.0.35") => "EC (P-521)".into(),
            Some(other) => format!("EC (curve {other})"),
            None => "EC".into(),
        },
        "1.3.101.112" => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        "1.3.101.110" => "X25519".into(),
        "1.3.101.111" => "X448".into(),
        "1.2.840.10040.4.1" => "DSA".into(),
        "1.2.840.113549.1.1.10" => "RSA-PSS (sealed-secrets needs plain rsaEncryption keys)".into(),
        other => format!("algorithm {other}"),
    }
}

/// A distinguished name in RFC 4514 form, exactly as Go's `pkix.RDNSequence.String()`
/// prints the encoded sequence: RDNs in reverse order joined by `,`, the parts of a
/// multi-valued RDN in stored order joined by `+`, Go's short attribute names, else
/// the dotted OID with `#`-hex DER. (Go's `pkix.Name.String()` regroups attributes by
/// type; for the controller's certificates both agree.)
fn rfc4514(name: &X509Name<'_>) -> String {
    let mut rdns: Vec<String> = Vec::new();
    for rdn in name.iter() {
        let parts: Vec<String> = rdn
            .iter()
            .map(|atv| {
                let oid = atv.attr_type().to_id_string();
                let short = match oid.as_str() {
                    "2.5.4.6" => Some("C"),
                    "2.5.4.10" => Some("O"),
                    "2.5.4.11" => Some("OU"),
                    "2.5.4.3" => Some("CN"),
                    "2.5.4.5" => Some("SERIALNUMBER"),
                    "2.5.4.7" => Some("L"),
                    "2.5.4.8" => Some("ST"),
                    "2.5.4.9" => Some("STREET"),
                    "2.5.4.17" => Some("POSTALCODE"),
                    _ => None,
                };
                let text = attr_text(atv);
                match (short, text.as_deref()) {
                    (Some(short), Some(v)) => format!("{short}={}", escape_rfc4514(v)),
                    (_, as_str) => {
                        // Go re-marshals the parsed value: a string becomes a
                        // PrintableString when its characters allow, else a UTF8String.
                        let raw = atv.attr_value();
                        let (tag, content): (u8, &[u8]) = match as_str {
                            Some(v) if v.bytes().all(go_printable) => (0x13, v.as_bytes()),
                            Some(v) => (0x0c, v.as_bytes()),
                            None => (raw.header.tag().0 as u8, raw.data),
                        };
                        let mut der = vec![tag];
                        let len = content.len();
                        if len < 0x80 {
                            der.push(len as u8);
                        } else {
                            let bytes = (len as u64).to_be_bytes();
                            let skip = bytes.iter().take_while(|b| **b == 0).count();
                            der.push(0x80 | (8 - skip) as u8);
                            der.extend_from_slice(&bytes[skip..]);
                        }
                        der.extend_from_slice(content);
                        format!("{oid}=#{}", hex::encode(der))
                    }
                }
            })
            .collect();
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    rdns.join(",")
}

/// An attribute value as Go's `encoding/asn1` reads it into a string: the string
/// types x509-parser decodes, T61String (Go takes its bytes as they are; here when
/// they are UTF-8) and BMPString (UCS-2, big-endian; a trailing NUL character
/// dropped), which x509-parser leaves alone. `None` for other values.
fn attr_text(atv: &x509_parser::x509::AttributeTypeAndValue<'_>) -> Option<String> {
    use x509_parser::der_parser::asn1_rs::Tag;
    if let Ok(v) = atv.as_str() {
        return Some(v.to_string());
    }
    let raw = atv.attr_value();
    if raw.header.tag() == Tag::T61String {
        return std::str::from_utf8(raw.data).ok().map(str::to_string);
    }
    if raw.header.tag() != Tag::BmpString || raw.data.len() % 2 != 0 {
        return None;
    }
    let data = raw.data.strip_suffix(&[0, 0]).unwrap_or(raw.data);
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    // Go refuses any surrogate or noncharacter (so such a certificate does not parse
    // there at all); an unpaired surrogate falls back to the raw bytes here.
    String::from_utf16(&units).ok()
}

/// Go's `encoding/asn1` PrintableString character set (no `*`, no `&`).
fn go_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'\''..=b')' | b'+'..=b'/' | b' ' | b':' | b'=' | b'?')
}

fn escape_rfc4514(v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    let mut out = String::with_capacity(v.len());
    for (i, &c) in chars.iter().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == ' ' || c == '#'))
            || (i == chars.len() - 1 && c == ' ');
        if special {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Formats Unix seconds as RFC 3339 UTC (`2036-11-19T04:51:54Z`), for messages
/// and `cert show`.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
    fn demo() -> Certificate {
        let pem = include_bytes!("../../../testdata/keys/demo-dev.crt");
        Certificate::from_pem(pem, "demo-dev.crt").unwrap()
    }

    /// The words `cert show` prints for each state, and which state each instant
    /// of a certificate's life is in (30 days of warning).
    #[test]
    fn each_instant_has_its_state_and_word() {
        let c = demo();
        let warn = 30 * 86_400;
        let word = |now: i64| c.assess(now, warn).state.as_str();
        assert_eq!(word(c.not_before - 1), "NOT YET VALID");
        assert_eq!(word(c.not_before), "valid");
        assert_eq!(word(c.not_after - warn - 1), "valid");
        assert_eq!(word(c.not_after - 1), "expires soon");
        assert_eq!(word(c.not_after + 1), "EXPIRED");
        assert_eq!(CertState::TooSmall.as_str(), "NOT USABLE: key too small");
        assert!(c.assess(c.not_before, warn).warnings.is_empty());
        assert_eq!(c.assess(c.not_after + 1, warn).warnings.len(), 1);
    }

    /// 2048 bits is the smallest key `assess` and `check_key` accept; 1024 is
    /// refused whatever the time, with a warning naming the size.
    #[test]
    fn keys_from_2048_bits_up_are_usable_and_smaller_ones_are_not() {
        let cert = |pem: &[u8]| Certificate::from_pem(pem, "k.crt").unwrap();
        for (c, bits) in [
            (
                cert(include_bytes!("../../../testdata/keys/rsa2048.crt")),
                2048,
            ),
            (
                cert(include_bytes!("../../../testdata/keys/rsa3072.crt")),
                3072,
            ),
        ] {
            assert_eq!(c.bits, bits);
            assert!(c.check_key().is_ok());
            let a = c.assess(c.not_before, 0);
            assert_eq!((a.state, a.warnings.len()), (CertState::Valid, 0), "{bits}");
        }
        let small = cert(include_bytes!("../../../testdata/keys/rsa1024.crt"));
        assert_eq!(small.bits, 1024);
        assert!(matches!(
            small.check_key(),
            Err(CertError::TooSmall { bits: 1024, .. })
        ));
        let a = small.assess(small.not_before, 0);
        assert_eq!(a.state, CertState::TooSmall);
        assert_eq!(
            a.warnings,
            ["k.crt: RSA key of 1024 bits is too small (need at least 2048); kubeseal-compatible sealing with it is refused"]
        );
    }

    /// Text that only mentions a PEM header and a PEM file of something else are refused with
    /// messages that tell the two apart.
    #[test]
    fn pem_without_a_certificate_says_what_it_found() {
        let none =
            Certificate::from_pem(b"notes: the -----BEGIN marker alone\n", "x.pem").unwrap_err();
        assert!(
            none.to_string().contains("no complete PEM block found"),
            "{none}"
        );
        let key = include_bytes!("../../../testdata/keys/demo-dev.key");
        let other = Certificate::from_pem(key, "k.pem").unwrap_err().to_string();
        assert!(
            other.contains("no CERTIFICATE PEM block (found "),
            "{other}"
        );
        assert!(other.contains("PRIVATE KEY"), "{other}");
    }

    /// Debug output names the certificate (for logs and test failures) without
    /// dumping its DER bytes or key.
    #[test]
    fn debug_output_names_the_certificate_without_its_bytes() {
        let c = demo();
        let shown = format!("{c:?}");
        assert!(shown.starts_with("Certificate {"), "{shown}");
        for part in [
            &c.origin,
            &c.subject,
            &c.fingerprint(),
            &rfc3339(c.not_after),
        ] {
            assert!(shown.contains(part.as_str()), "{part} missing: {shown}");
        }
        assert!(shown.len() < 400, "{shown}");
    }
}
