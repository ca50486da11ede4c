//! The finding codes: stable identifiers, severities, titles and hints.
//!
//! Codes never change meaning once released; new problems get new codes. The
//! table is also what the SARIF output lists as `tool.driver.rules`.

use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Note < Warning < Error`, so `--fail-on`
/// compares with `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; never a problem by itself.
    Note,
    /// Likely a problem soon (e.g. a certificate about to expire).
    Warning,
    /// Will break or leak at deploy time.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format and by `--fail-on`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "note" => Ok(Severity::Note),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}`: use error, warning or note"
            )),
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $sev:ident, $title:literal, $hint:literal; )*) => {
        /// A stable finding code (`ES101`, ...). See `docs/ci.md` for the table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in table order (SARIF rule indices follow it).
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable identifier, e.g. `"ES101"`.
            pub fn id(self) -> &'static str {
                match self { $( Code::$variant => $id, )* }
            }

            /// The severity findings of this code carry.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// A short title (SARIF `shortDescription`).
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            /// One line telling the operator what to do (SARIF `help`).
            pub fn hint(self) -> &'static str {
                match self { $( Code::$variant => $hint, )* }
            }
        }
    };
}

codes! {
    /// The file is not valid YAML/JSON (or not UTF-8).
    Unparseable = "ES001", Error, "unparseable YAML or JSON",
        "fix the syntax at this position; `kubectl kustomize` and kubectl reject the file too";
    /// Expanding the file's YAML aliases would exceed the alias budget.
    AliasBudget = "ES002", Error, "too many nodes after expanding aliases",
        "expand the aliases by hand; empseal refuses more than 10,000 nodes (or 16 MiB) copied by aliases per file, as `empseal seal` does";
    /// An encryptedData value starts with `AgAAAA`, the conventional placeholder.
    PlaceholderPrefix = "ES101", Error, "placeholder ciphertext (AgAAAA...)",
        "seal the real value (`empseal seal --env ENV`, or kubeseal) and commit the result";
    /// An encryptedData value contains `...`.
    PlaceholderEllipsis = "ES102", Error, "placeholder ciphertext (contains ...)",
        "seal the real value (`empseal seal --env ENV`, or kubeseal) and commit the result";
    /// An encryptedData value is not standard padded base64.
    InvalidBase64 = "ES103", Error, "ciphertext is not valid base64",
        "sealed values are standard base64 with padding; reseal the value instead of editing it";
    /// Decoded shorter than 2 + 256 + 16 bytes, or empty.
    TooShort = "ES104", Error, "ciphertext too short to be sealed data",
        "a sealed value is at least 274 bytes (length, 2048-bit RSA block, GCM tag); reseal it";
    /// The RSA length prefix is not 256, 384 or 512.
    BadRsaLength = "ES105", Error, "RSA block length is not 256, 384 or 512",
        "the value was not produced by kubeseal or a compatible sealer; reseal it";
    /// The length prefix claims more bytes than the value holds.
    Truncated = "ES106", Error, "ciphertext truncated (length prefix inconsistent)",
        "the value was cut or edited; reseal it";
    /// The RSA block is all zero bytes.
    ZeroRsaBlock = "ES107", Error, "RSA block is all zeros",
        "a fabricated placeholder; seal the real value";
    /// An encryptedData value is not a string (null, number, mapping, ...).
    NotAString = "ES108", Error, "ciphertext is not a string",
        "every spec.encryptedData entry must be a base64 string; reseal the value";
    /// The same key appears twice in spec.encryptedData.
    DuplicateKey = "ES109", Error, "duplicate key in encryptedData",
        "remove one of the entries; decoders keep only the last and strict validation rejects the object";
    /// Sealed for a key of another size than the certificate's.
    WrongKeySize = "ES201", Error, "sealed for a different key (size mismatch)",
        "reseal with the environment's certificate (`empseal seal --env ENV` or `kubeseal --cert`)";
    /// The RSA block is not below the certificate's modulus.
    WrongKeyModulus = "ES202", Error, "sealed for a different key (RSA block >= modulus)",
        "reseal with the environment's certificate (`empseal seal --env ENV` or `kubeseal --cert`)";
    /// spec.template.metadata.name differs from metadata.name.
    NameMismatch = "ES301", Error, "template name differs from metadata.name",
        "make spec.template.metadata.name equal metadata.name (kustomize namePrefix/nameSuffix do not touch the template) and reseal for that name";
    /// spec.template.metadata.namespace differs from metadata.namespace.
    NamespaceMismatch = "ES302", Error, "template namespace differs from metadata.namespace",
        "make both namespaces equal (kustomize `namespace:` does not touch the template) and reseal for that namespace";
    /// The scope annotations of metadata and the template disagree.
    ScopeMismatch = "ES303", Error, "template scope differs from the object's scope",
        "use the same sealedsecrets.bitnami.com scope annotation in metadata and spec.template.metadata";
    /// The SealedSecret has no metadata.name.
    MissingName = "ES304", Error, "SealedSecret without metadata.name",
        "give the SealedSecret the name its values were sealed for";
    /// The SealedSecret has no namespace (and is not cluster-wide).
    MissingNamespace = "ES305", Note, "SealedSecret without metadata.namespace",
        "values decrypt only in the namespace they were sealed for; set metadata.namespace (or rely on kustomize `namespace:`)";
    /// spec.encryptedData is missing or empty.
    EmptyEncryptedData = "ES401", Error, "empty or missing spec.encryptedData",
        "seal at least one value; kubeseal refuses empty data unless --allow-empty-data";
    /// A plaintext Secret with data in an environment that must be sealed.
    PlaintextSecret = "ES501", Error, "plaintext Secret in a sealed environment",
        "replace the Secret with a SealedSecret (`empseal seal --env ENV`) and rotate the exposed values";
    /// A `*secrets.env` file is tracked by git.
    TrackedEnvFile = "ES502", Error, "secrets env file tracked by git",
        "`git rm --cached` the file, keep it ignored (`*secrets.env` in .gitignore) and rotate its credentials";
    /// A literal (non-templated) value in a SealedSecret's spec.template.data, or
    /// any value in spec.template.stringData: plaintext in the repository.
    TemplatePlaintext = "ES503", Error, "plaintext value in a SealedSecret's template",
        "seal the value into spec.encryptedData (`empseal seal --merge-into FILE`) and reference it from the template as `{{ .KEY }}`; rotate the exposed value";
    /// A sealed environment has no usable pin: `pin.yaml` or `cert.pem` missing,
    /// the two disagreeing, or an unreadable keyring.
    PinMissing = "ES701", Error, "sealed environment without a consistent pinned certificate",
        "restore sealing/cert.pem and pin.yaml from git, or pin the controller's certificate with `empseal cert fetch --env ENV --accept-new`";
    /// A sealed environment's pin or keyring holds a demo certificate.
    DemoKey = "ES702", Error, "demo certificate in a sealed environment",
        "pin the controller's certificate (`empseal cert fetch --env ENV --accept-new`), reseal (`empseal seal --env ENV --all`) and retire the demo key";
    /// A sealed environment's SealedSecret file has no seal record.
    NoSealRecord = "ES703", Error, "sealed file without a seal record",
        "reseal (`empseal seal --env ENV --all`), or record the file as sealed with the pinned certificate (`empseal adopt --env ENV`)";
    /// The sealed file's bytes are not the ones its record describes.
    RecordMismatch = "ES704", Error, "sealed file differs from its seal record",
        "values were pasted in or sealed elsewhere: reseal (`empseal seal --env ENV --all`), or `empseal adopt --env ENV` if you know they were sealed with the pinned certificate";
    /// The record names a key that is neither pinned nor in the keyring.
    UnknownKey = "ES705", Error, "sealed for a key outside the environment's keyring",
        "reseal with the pinned certificate (`empseal seal --env ENV --all`)";
    /// Sealed for a previous key still in the keyring (the controller decrypts it).
    PreviousKey = "ES706", Note, "sealed for a previous key of the keyring",
        "reseal to the current key (`empseal seal --env ENV --all`), then `empseal cert retire --env ENV FINGERPRINT`";
    /// A key referenced by a rendered workload is missing from the SealedSecret.
    MissingKey = "ES707", Error, "referenced key missing from the SealedSecret",
        "add the key to the env file and reseal (`empseal seal --env ENV`), or remove the reference";
    /// The certificate has expired.
    CertExpired = "ES601", Error, "certificate expired",
        "fetch the controller's current certificate (`empseal cert fetch --env ENV`) and reseal";
    /// The certificate expires within 30 days.
    CertExpiring = "ES602", Warning, "certificate expires within 30 days",
        "the controller renews its key every 30 days; fetch the new certificate (`empseal cert fetch --env ENV`)";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut ids: Vec<_> = Code::ALL.iter().map(|c| c.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
        for c in Code::ALL {
            assert!(c.id().starts_with("ES") && c.id().len() == 5);
            assert!(!c.hint().contains('\n') && !c.title().is_empty());
        }
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Note < Severity::Warning && Severity::Warning < Severity::Error);
        assert_eq!("warning".parse::<Severity>(), Ok(Severity::Warning));
        assert!("fatal".parse::<Severity>().is_err());
    }
}
