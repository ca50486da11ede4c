//! The API server's checks of a Secret's type and data (Kubernetes'
//! `ValidateSecret` in `pkg/apis/core/validation/validation.go`), run before
//! sealing: a SealedSecret whose Secret the API server would refuse seals fine
//! and fails only later, in the controller, where nobody looks.
//!
//! What the API server checks, and so what [`validate_secret`] checks:
//! - every Secret: each data key is a valid `IsConfigMapKey` key, and all values
//!   together are at most [`MAX_SECRET_SIZE`] bytes. The `type` itself is not
//!   checked: any string is a type, and a type it does not know has no rules.
//! - `kubernetes.io/service-account-token`: the annotation
//!   `kubernetes.io/service-account.name` is set and not empty.
//! - `kubernetes.io/dockercfg` / `kubernetes.io/dockerconfigjson`: the key
//!   `.dockercfg` / `.dockerconfigjson` exists and Go's `json.Unmarshal` reads
//!   it into a `map[string]interface{}` (Go's decoder is followed in
//!   `secret/gojson.rs`): a JSON
//!   object or `null`. The API server does not look inside: `{"auths": []}`
//!   passes, though the kubelet cannot use it.
//! - `kubernetes.io/basic-auth`: `username` or `password` exists (either may be
//!   empty).
//! - `kubernetes.io/ssh-auth`: `ssh-privatekey` exists and is not empty.
//! - `kubernetes.io/tls`: `tls.crt` and `tls.key` both exist (their contents are
//!   not checked).
//!
//! `stringData` counts as `data` (the API server merges it before validating).
//! Metadata (name, namespace, labels) is not checked here.

use std::collections::BTreeMap;

use super::gojson::{unmarshal_into_map, GoJsonError};
use super::{Secret, SecretBytes};
use crate::envfile::{check_secret_key, KeyProblem, MAX_KEY_LEN};

/// Kubernetes' `MaxSecretSize`: the most bytes all of a Secret's values may hold.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

/// `kubernetes.io/service-account-token`.
pub const SERVICE_ACCOUNT_TOKEN: &str = "kubernetes.io/service-account-token";
/// The annotation a service-account-token Secret needs.
pub const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// `kubernetes.io/dockercfg` (the legacy `~/.dockercfg` format).
pub const DOCKERCFG: &str = "kubernetes.io/dockercfg";
/// `kubernetes.io/dockerconfigjson` (an image-pull secret).
pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
/// `kubernetes.io/basic-auth`.
pub const BASIC_AUTH: &str = "kubernetes.io/basic-auth";
/// `kubernetes.io/ssh-auth`.
pub const SSH_AUTH: &str = "kubernetes.io/ssh-auth";
/// `kubernetes.io/tls`.
pub const TLS: &str = "kubernetes.io/tls";

/// Where a Secret and each of its values came from, so that a refusal names the
/// file to fix.
#[derive(Debug, Clone, Default)]
pub struct SecretOrigin {
    /// Names the Secret as a whole (e.g. `Secret "web-tls" (from web.crt)`), for
    /// problems no single value has: a missing key, the total size.
    pub secret: String,
    /// Key → where its value came from (a file, `file:line`, `--from-literal #2`).
    pub values: BTreeMap<String, String>,
}

impl SecretOrigin {
    /// Where `key`'s value came from, else the Secret as a whole.
    fn of(&self, key: &str) -> &str {
        self.values.get(key).unwrap_or(&self.secret)
    }
}

/// A Secret the API server would refuse. One line: where, which key, what is
/// wrong, what to do; never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretTypeError {
    /// A key is not a valid Secret key.
    #[error("{origin}: key {key:?}: {problem}; a valid Secret key consists of letters, digits, '-', '_' or '.' (at most {MAX_KEY_LEN} characters)")]
    InvalidKey {
        /// Where the value came from.
        origin: String,
        /// The key.
        key: String,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// All values together are larger than the API server accepts.
    #[error("{origin}: the Secret's values are {size} bytes together, more than the {MAX_SECRET_SIZE} bytes (1 MiB) the API server accepts; split them over several Secrets or mount large files another way")]
    TooLarge {
        /// The Secret.
        origin: String,
        /// Total bytes of all values.
        size: usize,
    },
    /// A key the type requires is absent (or, for `ssh-privatekey`, empty).
    #[error("{origin}: key {key}: {what}; a {secret_type} Secret needs {needs}")]
    MissingKey {
        /// The Secret (or the empty value's file).
        origin: String,
        /// The type.
        secret_type: String,
        /// The required key.
        key: &'static str,
        /// `is missing` or `is empty`.
        what: &'static str,
        /// What the type needs, and how to give it.
        needs: &'static str,
    },
    /// A `kubernetes.io/basic-auth` Secret with neither `username` nor `password`.
    #[error("{origin}: keys username and password are both missing; a {BASIC_AUTH} Secret needs at least one of them (either may be empty)")]
    MissingCredentials {
        /// The Secret.
        origin: String,
    },
    /// A `kubernetes.io/service-account-token` Secret without its annotation.
    #[error("{origin}: annotation {SERVICE_ACCOUNT_NAME_ANNOTATION} is missing or empty; a {SERVICE_ACCOUNT_TOKEN} Secret needs the name of its ServiceAccount there")]
    MissingServiceAccountName {
        /// The Secret.
        origin: String,
    },
    /// A docker config value Go's `json.Unmarshal` cannot read into a map.
    #[error(
        "{origin}: key {key}: {problem} (Go: {go_error}); a {secret_type} Secret needs {needs}"
    )]
    NotAJsonObject {
        /// Where the value came from.
        origin: String,
        /// The type.
        secret_type: String,
        /// `.dockerconfigjson` or `.dockercfg`.
        key: &'static str,
        /// `not valid JSON`, `not a JSON object`, ...
        problem: &'static str,
        /// Go's error message (at most one character of the value, as Go's).
        go_error: String,
        /// The shape the type needs.
        needs: &'static str,
    },
}

impl From<SecretTypeError> for crate::error::Error {
    fn from(e: SecretTypeError) -> Self {
        crate::error::Error::Input(e.to_string())
    }
}

/// The values the API server validates: `data`, with `stringData` merged over it.
fn effective_data(secret: &Secret) -> BTreeMap<&str, &SecretBytes> {
    let mut data: BTreeMap<&str, &SecretBytes> =
        secret.data.iter().map(|(k, v)| (k.as_str(), v)).collect();
    for (k, v) in &secret.string_data {
        data.insert(k, v);
    }
    data
}

fn check_docker_config(
    data: &BTreeMap<&str, &SecretBytes>,
    origin: &SecretOrigin,
    secret_type: &str,
    key: &'static str,
    needs: &'static str,
) -> Result<(), SecretTypeError> {
    let Some(value) = data.get(key) else {
        return Err(SecretTypeError::MissingKey {
            origin: origin.secret.clone(),
            secret_type: secret_type.to_string(),
            key,
            what: "is missing",
            needs,
        });
    };
    let (problem, go_error) = match unmarshal_into_map(value) {
        Ok(()) => return Ok(()),
        Err(GoJsonError::Syntax(m)) => ("not valid JSON", m),
        Err(GoJsonError::NotAnObject(m)) => ("not a JSON object", m),
        Err(GoJsonError::NumberOutOfRange) => (
            "a number is too large for Go's float64",
            "json: cannot unmarshal number into Go value of type float64".to_string(),
        ),
    };
    Err(SecretTypeError::NotAJsonObject {
        origin: origin.of(key).to_string(),
        secret_type: secret_type.to_string(),
        key,
        problem,
        go_error,
        needs,
    })
}

/// Checks `secret` as the API server's `ValidateSecret` checks its type and data
/// (see the module documentation); `origin` names the files in the message. The
/// first problem found is returned, in the API server's order: keys, size, then
/// the type's own rules.
pub fn validate_secret(secret: &Secret, origin: &SecretOrigin) -> Result<(), SecretTypeError> {
    let data = effective_data(secret);
    for key in data.keys() {
        check_secret_key(key).map_err(|problem| SecretTypeError::InvalidKey {
            origin: origin.of(key).to_string(),
            key: key.to_string(),
            problem,
        })?;
    }
    let size: usize = data.values().map(|v| v.len()).sum();
    if size > MAX_SECRET_SIZE {
        return Err(SecretTypeError::TooLarge {
            origin: origin.secret.clone(),
            size,
        });
    }
    let secret_type = secret.type_.as_deref().unwrap_or_default();
    let missing = |key, needs| SecretTypeError::MissingKey {
        origin: origin.secret.clone(),
        secret_type: secret_type.to_string(),
        key,
        what: "is missing",
        needs,
    };
    match secret_type {
        SERVICE_ACCOUNT_TOKEN
            if secret
                .metadata
                .annotations
                .get(SERVICE_ACCOUNT_NAME_ANNOTATION)
                .is_none_or(|n| n.is_empty()) =>
        {
            return Err(SecretTypeError::MissingServiceAccountName {
                origin: origin.secret.clone(),
            });
        }
        DOCKERCFG => check_docker_config(
            &data,
            origin,
            secret_type,
            ".dockercfg",
            "a JSON object {\"REGISTRY\": {...}} under .dockercfg (a ~/.dockercfg file)",
        )?,
        DOCKER_CONFIG_JSON => check_docker_config(
            &data,
            origin,
            secret_type,
            ".dockerconfigjson",
            "a JSON object {\"auths\": {...}} under .dockerconfigjson (a ~/.docker/config.json file)",
        )?,
        BASIC_AUTH if !data.contains_key("username") && !data.contains_key("password") => {
            return Err(SecretTypeError::MissingCredentials {
                origin: origin.secret.clone(),
            });
        }
        SSH_AUTH => {
            const NEEDS: &str = "a private key under ssh-privatekey";
            match data.get("ssh-privatekey") {
                None => return Err(missing("ssh-privatekey", NEEDS)),
                Some(v) if v.is_empty() => {
                    return Err(SecretTypeError::MissingKey {
                        origin: origin.of("ssh-privatekey").to_string(),
                        secret_type: secret_type.to_string(),
                        key: "ssh-privatekey",
                        what: "is empty",
                        needs: NEEDS,
                    })
                }
                Some(_) => {}
            }
        }
        TLS => {
            const NEEDS: &str = "both tls.crt (the certificate chain) and tls.key (its private key)";
            for key in ["tls.crt", "tls.key"] {
                if !data.contains_key(key) {
                    return Err(missing(key, NEEDS));
                }
            }
        }
        // Opaque, no type, a type the API server has no rules for, or one whose
        // rule holds.
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn secret(type_: &str, data: &[(&str, &[u8])]) -> Secret {
        Secret {
            type_: Some(type_.to_string()),
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), Zeroizing::new(v.to_vec())))
                .collect(),
            ..Secret::default()
        }
    }

    fn origin() -> SecretOrigin {
        SecretOrigin {
            secret: "Secret \"s\"".into(),
            values: [(".dockerconfigjson".to_string(), "pull.json".to_string())].into(),
        }
    }

    fn check(type_: &str, data: &[(&str, &[u8])]) -> Result<(), SecretTypeError> {
        validate_secret(&secret(type_, data), &origin())
    }

    #[test]
    fn each_type_s_rules() {
        assert!(check(TLS, &[("tls.crt", b""), ("tls.key", b"")]).is_ok());
        assert!(check(TLS, &[("tls.crt", b"x")]).is_err());
        assert!(check(TLS, &[("tls.key", b"x")]).is_err());
        assert!(check(BASIC_AUTH, &[("username", b"")]).is_ok());
        assert!(check(BASIC_AUTH, &[("password", b"p")]).is_ok());
        assert!(check(BASIC_AUTH, &[("user", b"p")]).is_err());
        assert!(check(SSH_AUTH, &[("ssh-privatekey", b"k")]).is_ok());
        assert!(check(SSH_AUTH, &[("ssh-privatekey", b"")]).is_err());
        assert!(check(SSH_AUTH, &[]).is_err());
        assert!(check(
            DOCKER_CONFIG_JSON,
            &[(".dockerconfigjson", b"{\"auths\":{}}")]
        )
        .is_ok());
        assert!(check(DOCKER_CONFIG_JSON, &[(".dockerconfigjson", b"null")]).is_ok());
        assert!(check(DOCKER_CONFIG_JSON, &[(".dockerconfigjson", b"[]")]).is_err());
        assert!(check(DOCKER_CONFIG_JSON, &[(".dockercfg", b"{}")]).is_err());
        assert!(check(DOCKERCFG, &[(".dockercfg", b"{}")]).is_ok());
        assert!(check(DOCKERCFG, &[(".dockercfg", b"\"x\"")]).is_err());
        assert!(check(SERVICE_ACCOUNT_TOKEN, &[]).is_err());
        let mut sa = secret(SERVICE_ACCOUNT_TOKEN, &[]);
        sa.metadata
            .annotations
            .insert(SERVICE_ACCOUNT_NAME_ANNOTATION.into(), "builder".into());
        assert!(validate_secret(&sa, &origin()).is_ok());
        for free in [
            "Opaque",
            "",
            "example.com/anything",
            "not a/qualified name!",
        ] {
            assert!(check(free, &[]).is_ok(), "{free}");
        }
    }

    #[test]
    fn string_data_counts_as_data() {
        let mut s = secret(TLS, &[("tls.crt", b"c")]);
        s.string_data
            .insert("tls.key".into(), Zeroizing::new(b"k".to_vec()));
        assert!(validate_secret(&s, &origin()).is_ok());
    }

    #[test]
    fn size_limit_is_one_mebibyte() {
        let big = vec![b'x'; MAX_SECRET_SIZE - 1];
        assert!(check("Opaque", &[("a", &big), ("b", b"y")]).is_ok());
        let e = check("Opaque", &[("a", &big), ("b", b"yz")]).unwrap_err();
        assert_eq!(
            e,
            SecretTypeError::TooLarge {
                origin: "Secret \"s\"".into(),
                size: MAX_SECRET_SIZE + 1
            }
        );
    }

    #[test]
    fn messages_name_the_file_and_key() {
        let e = check(
            DOCKER_CONFIG_JSON,
            &[(".dockerconfigjson", b"[\"hunter2\"]")],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "pull.json: key .dockerconfigjson: not a JSON object (Go: json: cannot unmarshal array into Go value of type map[string]interface {}); a kubernetes.io/dockerconfigjson Secret needs a JSON object {\"auths\": {...}} under .dockerconfigjson (a ~/.docker/config.json file)"
        );
        assert!(!e.contains("hunter2"));
        let e = check(TLS, &[("tls.crt", b"c")]).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "Secret \"s\": key tls.key: is missing; a kubernetes.io/tls Secret needs both"
            ),
            "{e}"
        );
        let e = check("Opaque", &[("bad key", b"")])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("Secret \"s\": key \"bad key\": a space at column 4"),
            "{e}"
        );
    }
}
