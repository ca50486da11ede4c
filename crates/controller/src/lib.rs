//! Where sealing certificates come from, and talking to the controller.
//!
//! - [`load_cert_bytes`]: kubeseal's `--cert PATH|URL` / `SEALED_SECRETS_CERT`
//!   (a file, a `file://` URL or an `http(s)://` URL).
//! - [`Controller`]: the sealed-secrets controller's HTTP API (`/v1/cert.pem`,
//!   `/v1/verify`, `/v1/rotate`), reached either through the Kubernetes API
//!   server's service proxy with the user's kubeconfig (kube-rs), exactly the way
//!   kubeseal does, or straight at a `--controller-url`.
//!
//! Every call is blocking (a private tokio runtime runs inside), has a connect and
//! a total timeout, retries idempotent GETs with backoff (never the POSTs), honours
//! the proxy environment variables, and fails with a [`SourceError`] that names the
//! step that failed and what to try. Messages never contain tokens, keys or
//! secret values.

#![deny(missing_docs)]

mod cluster;
mod controller;
mod net;
mod url;

use std::path::PathBuf;
use std::time::Duration;

pub use cluster::{context_namespace, KubeOptions, Token};
pub use controller::{Controller, ControllerEndpoint, FetchedCert};
pub use net::{NetOptions, ProxyEnv};

/// kubeseal's default controller (Service) name.
pub const DEFAULT_CONTROLLER_NAME: &str = "sealed-secrets-controller";
/// kubeseal's default controller namespace.
pub const DEFAULT_CONTROLLER_NAMESPACE: &str = "kube-system";
/// Environment variable overriding `--controller-name` (kubeseal's flag-env rule).
pub const ENV_CONTROLLER_NAME: &str = "SEALED_SECRETS_CONTROLLER_NAME";
/// Environment variable overriding `--controller-namespace`.
pub const ENV_CONTROLLER_NAMESPACE: &str = "SEALED_SECRETS_CONTROLLER_NAMESPACE";
/// Environment variable giving `--cert` (a path or URL).
pub const ENV_CERT: &str = "SEALED_SECRETS_CERT";

/// The step of talking to a cluster or controller that failed; lets the CLI (and
/// tests) tell failures apart without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Loading the kubeconfig / in-cluster configuration.
    Kubeconfig,
    /// Credentials rejected (401/403) or a credential plugin failed.
    Authentication,
    /// Reading the controller's Service (`GET /api/v1/namespaces/<ns>/services/<name>`).
    ServiceLookup,
    /// The API server's service proxy, or an HTTP(S) proxy on the way.
    Proxy,
    /// The controller itself (or a `--controller-url` / certificate URL).
    Controller,
    /// Reading a certificate file.
    CertificateFile,
}

impl Step {
    /// The name used at the start of error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Kubeconfig => "kubeconfig",
            Step::Authentication => "authentication",
            Step::ServiceLookup => "service lookup",
            Step::Proxy => "proxy",
            Step::Controller => "controller",
            Step::CertificateFile => "certificate",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why getting a certificate or talking to the controller failed. Each message is
/// one line, starts with the [`Step`], and says what to try. No message contains
/// a token, a key or a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The kubeconfig could not be found, read or used.
    #[error("kubeconfig: {detail}; check --kubeconfig, KUBECONFIG and --context (`kubectl config get-contexts` lists the contexts)")]
    Kubeconfig {
        /// What went wrong (no secrets).
        detail: String,
    },
    /// The API server rejected the credentials (401) or the request (403).
    #[error("authentication: {server} answered {status} {}: {detail}; {}", status_text(*status), auth_hint(*status, namespace))]
    Auth {
        /// The API server (no credentials in it).
        server: String,
        /// The controller's namespace (for the RBAC hint).
        namespace: String,
        /// 401 or 403.
        status: u16,
        /// The API server's own message, when it sent one.
        detail: String,
    },
    /// A credential plugin or token file failed before any request was sent.
    #[error("authentication: {detail}")]
    Credentials {
        /// What failed (never the plugin's output).
        detail: String,
    },
    /// The controller's Service does not exist.
    #[error("service lookup: service {namespace}/{name} not found on {server}; set --controller-namespace/--controller-name (or {ENV_CONTROLLER_NAMESPACE}/{ENV_CONTROLLER_NAME}) to where the sealed-secrets controller runs (`kubectl get svc -A | grep sealed`)")]
    ServiceNotFound {
        /// Namespace looked in.
        namespace: String,
        /// Service name looked for.
        name: String,
        /// The API server.
        server: String,
    },
    /// The Service was found but is unusable, or its lookup failed otherwise.
    #[error("service lookup: service {namespace}/{name}: {detail}")]
    ServiceLookup {
        /// Namespace.
        namespace: String,
        /// Service name.
        name: String,
        /// What went wrong.
        detail: String,
    },
    /// The API server's service proxy (or an HTTP(S) proxy) could not reach the controller.
    #[error("proxy: {detail}; {hint}")]
    Proxy {
        /// What went wrong.
        detail: String,
        /// What to try.
        hint: String,
    },
    /// The controller answered with an unexpected status.
    #[error("controller: {endpoint} answered {status} {} to {operation}{}; {hint}", status_text(*status), detail_suffix(detail))]
    Controller {
        /// Where the controller was reached.
        endpoint: String,
        /// What was asked (`GET /v1/cert.pem`, ...).
        operation: String,
        /// HTTP status.
        status: u16,
        /// A short excerpt of the answer, if any.
        detail: String,
        /// What to try.
        hint: String,
    },
    /// The controller cannot decrypt the SealedSecret (409 Conflict).
    #[error("controller: the controller cannot decrypt SealedSecret {object} ({operation} answered 409 Conflict): it was sealed with a key the controller does not have, or for another name, namespace or scope; reseal it with the controller's current certificate")]
    CannotDecrypt {
        /// `namespace/name` of the SealedSecret.
        object: String,
        /// `POST /v1/verify` or `POST /v1/rotate`.
        operation: String,
    },
    /// No answer in time.
    #[error("{step}: no answer from {endpoint} within {}; check that the address is right and reachable, or raise the timeout", fmt_duration(*after))]
    Timeout {
        /// The step that was waiting.
        step: Step,
        /// Where.
        endpoint: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// TLS failed: unknown CA, expired certificate, wrong host name, not TLS at all.
    #[error("{step}: TLS with {endpoint} failed: {reason}; {hint}")]
    Tls {
        /// The step.
        step: Step,
        /// Where.
        endpoint: String,
        /// Why (the verification result when known).
        reason: String,
        /// What to try.
        hint: String,
    },
    /// The connection could not be made (refused, DNS, reset).
    #[error("{step}: cannot connect to {endpoint}: {detail}; check the address and that the server is running and reachable")]
    Connect {
        /// The step.
        step: Step,
        /// Where.
        endpoint: String,
        /// Why.
        detail: String,
    },
    /// The controller answered 2xx but with something unusable.
    #[error("{step}: {endpoint}: {detail}")]
    BadResponse {
        /// The step.
        step: Step,
        /// Where.
        endpoint: String,
        /// What is wrong with the answer.
        detail: String,
    },
    /// A certificate file could not be read.
    #[error("certificate: cannot read {}: {source}; check the path given to --cert or {ENV_CERT}", path.display())]
    CertFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The certificate itself is unusable (not PEM, not RSA, too small, expired).
    #[error("certificate: {0}")]
    Cert(String),
    /// Bad arguments: unsupported URL scheme, invalid names.
    #[error("{0}")]
    Input(String),
}

/// What kind of failure a [`SourceError`] is, for callers that react by kind
/// (the CLI picks its exit code from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad arguments (unsupported URL scheme, invalid names).
    Input,
    /// The certificate file is unreadable or the certificate unusable.
    Cert,
    /// The controller could not decrypt what it was given.
    Decrypt,
    /// The cluster, a proxy or the controller could not be reached or answered badly.
    Network,
}

impl SourceError {
    /// What kind of failure this is.
    pub fn kind(&self) -> Kind {
        match self {
            SourceError::Input(_) => Kind::Input,
            SourceError::CertFile { .. } | SourceError::Cert(_) => Kind::Cert,
            SourceError::CannotDecrypt { .. } => Kind::Decrypt,
            _ => Kind::Network,
        }
    }

    /// The step that failed.
    pub fn step(&self) -> Step {
        match self {
            SourceError::Kubeconfig { .. } => Step::Kubeconfig,
            SourceError::Auth { .. } | SourceError::Credentials { .. } => Step::Authentication,
            SourceError::ServiceNotFound { .. } | SourceError::ServiceLookup { .. } => {
                Step::ServiceLookup
            }
            SourceError::Proxy { .. } => Step::Proxy,
            SourceError::Controller { .. } | SourceError::CannotDecrypt { .. } => Step::Controller,
            SourceError::Timeout { step, .. }
            | SourceError::Tls { step, .. }
            | SourceError::Connect { step, .. }
            | SourceError::BadResponse { step, .. } => *step,
            SourceError::CertFile { .. } | SourceError::Cert(_) | SourceError::Input(_) => {
                Step::CertificateFile
            }
        }
    }
}

fn status_text(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn auth_hint(status: u16, namespace: &str) -> String {
    if status == 403 {
        format!("your user is not allowed to do this: ask for RBAC permission to get services and services/proxy in namespace {namespace} (`kubectl auth can-i get services/proxy -n {namespace}`)")
    } else {
        "the token or client certificate is missing, expired or not accepted: log in again or refresh the kubeconfig (`kubectl get --raw /version` checks it)".to_string()
    }
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The controller a cluster request targets: its Service name and namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerRef {
    /// Service name (`--controller-name`).
    pub name: String,
    /// Namespace (`--controller-namespace`).
    pub namespace: String,
}

impl Default for ControllerRef {
    fn default() -> Self {
        ControllerRef {
            name: DEFAULT_CONTROLLER_NAME.to_string(),
            namespace: DEFAULT_CONTROLLER_NAMESPACE.to_string(),
        }
    }
}

impl ControllerRef {
    /// Resolves name and namespace as kubeseal does: an explicit flag wins, then the
    /// `SEALED_SECRETS_CONTROLLER_*` variable (read through `env`, so tests and the
    /// CLI can pass `|k| std::env::var(k).ok()`), then the default. Names must be
    /// DNS labels (they go into a URL path).
    pub fn resolve(
        name_flag: Option<&str>,
        namespace_flag: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ControllerRef, SourceError> {
        let name = name_flag
            .map(str::to_string)
            .or_else(|| env(ENV_CONTROLLER_NAME))
            .unwrap_or_else(|| DEFAULT_CONTROLLER_NAME.to_string());
        let namespace = namespace_flag
            .map(str::to_string)
            .or_else(|| env(ENV_CONTROLLER_NAMESPACE))
            .unwrap_or_else(|| DEFAULT_CONTROLLER_NAMESPACE.to_string());
        let r = ControllerRef { name, namespace };
        r.validate()?;
        Ok(r)
    }

    /// Checks both names are RFC 1123 labels (what Kubernetes allows for a Service
    /// and a namespace), so they cannot change the request path.
    pub fn validate(&self) -> Result<(), SourceError> {
        for (what, v) in [
            ("controller name", &self.name),
            ("controller namespace", &self.namespace),
        ] {
            if !is_dns_label(v) {
                return Err(SourceError::Input(format!(
                    "invalid {what} {v:?}: must be a DNS label (lower-case letters, digits and '-', at most 63 characters)"
                )));
            }
        }
        Ok(())
    }
}

pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The `--cert` value in effect: the flag, else `SEALED_SECRETS_CERT` (via `env`),
/// else none (then the certificate comes from the controller or a pin).
pub fn cert_spec(cert_flag: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    cert_flag
        .map(str::to_string)
        .or_else(|| env(ENV_CERT))
        .filter(|s| !s.is_empty())
}

/// Reads a certificate the way kubeseal's `--cert` does: a local path, a
/// `file://` URL, or an `http://` / `https://` URL (fetched with the default
/// [`NetOptions`]: timeouts, retries, proxy variables from the environment).
/// Returns the bytes, their origin (path, or URL without credentials) for
/// messages and pins, and why the transport did not authenticate them when it
/// did not (a plain `http://` URL to another machine). The bytes are not parsed here.
pub fn load_cert_bytes(spec: &str) -> Result<FetchedCert, SourceError> {
    load_cert_bytes_with(spec, &NetOptions::default())
}

/// [`load_cert_bytes`] with explicit network options (timeouts, proxies, extra CA).
pub fn load_cert_bytes_with(spec: &str, net: &NetOptions) -> Result<FetchedCert, SourceError> {
    match classify_spec(spec)? {
        CertSpec::File(path) => {
            let bytes = std::fs::read(&path).map_err(|source| SourceError::CertFile {
                path: path.clone(),
                source,
            })?;
            Ok(FetchedCert {
                pem: bytes,
                origin: path.display().to_string(),
                unverified: None,
            })
        }
        CertSpec::Http(u) => url::get_url_blocking(&u, net),
    }
}

enum CertSpec {
    File(PathBuf),
    Http(::reqwest::Url),
}

/// kubeseal's `isFilename`: no URL scheme (or a one-letter Windows drive) means a
/// file; `file://` is a file too; `http(s)://` is fetched; anything else is refused.
fn classify_spec(spec: &str) -> Result<CertSpec, SourceError> {
    match ::reqwest::Url::parse(spec) {
        Err(_) => Ok(CertSpec::File(PathBuf::from(spec))),
        Ok(u) if u.scheme().len() == 1 => Ok(CertSpec::File(PathBuf::from(spec))),
        Ok(u) if u.scheme() == "file" => match u.to_file_path() {
            Ok(p) => Ok(CertSpec::File(p)),
            Err(()) => Err(SourceError::Input(format!(
                "cannot use {spec:?} as a certificate location: a file:// URL must name an absolute local path (file:///path/to/cert.pem)"
            ))),
        },
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => Ok(CertSpec::Http(u)),
        Ok(u) => Err(SourceError::Input(format!(
            "cannot use {:?} as a certificate location: unsupported URL scheme {:?}; give a file path, file://, http:// or https://",
            net::redact_url(&u),
            u.scheme()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn controller_ref_precedence_flag_env_default() {
        let none = env_of(&[]);
        assert_eq!(
            ControllerRef::resolve(None, None, &none).unwrap(),
            ControllerRef::default()
        );
        let env = env_of(&[
            (ENV_CONTROLLER_NAME, "ss"),
            (ENV_CONTROLLER_NAMESPACE, "infra"),
        ]);
        let r = ControllerRef::resolve(None, None, &env).unwrap();
        assert_eq!((r.name.as_str(), r.namespace.as_str()), ("ss", "infra"));
        let r = ControllerRef::resolve(Some("x"), None, &env).unwrap();
        assert_eq!((r.name.as_str(), r.namespace.as_str()), ("x", "infra"));
        let r = ControllerRef::resolve(None, Some("y"), &env).unwrap();
        assert_eq!((r.name.as_str(), r.namespace.as_str()), ("ss", "y"));
        assert!(ControllerRef::resolve(Some("a/b"), None, &none).is_err());
        assert!(ControllerRef::resolve(None, Some("../x"), &none).is_err());
        assert!(ControllerRef::resolve(Some("Upper"), None, &none).is_err());
    }

    #[test]
    fn cert_spec_flag_then_env() {
        assert_eq!(
            cert_spec(Some("a.pem"), env_of(&[(ENV_CERT, "b.pem")])).as_deref(),
            Some("a.pem")
        );
        assert_eq!(
            cert_spec(None, env_of(&[(ENV_CERT, "b.pem")])).as_deref(),
            Some("b.pem")
        );
        assert_eq!(cert_spec(None, env_of(&[])), None);
    }

    #[test]
    fn spec_classification_matches_kubeseal_is_filename() {
        assert!(
            matches!(classify_spec("cert.pem").unwrap(), CertSpec::File(p) if p == Path::new("cert.pem"))
        );
        assert!(matches!(
            classify_spec("/abs/cert.pem").unwrap(),
            CertSpec::File(_)
        ));
        assert!(matches!(
            classify_spec("C:\\certs\\x.pem").unwrap(),
            CertSpec::File(_)
        ));
        assert!(
            matches!(classify_spec("file:///etc/my%20cert.pem").unwrap(), CertSpec::File(p) if p == Path::new("/etc/my cert.pem"))
        );
        assert!(matches!(
            classify_spec("https://h/v1/cert.pem").unwrap(),
            CertSpec::Http(_)
        ));
        let e = classify_spec("ftp://user:pw@h/cert.pem")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unsupported URL scheme \"ftp\""), "{e}");
        assert!(!e.contains("pw"), "{e}");
    }
}
