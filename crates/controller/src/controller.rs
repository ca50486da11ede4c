//! The sealed-secrets controller's HTTP API behind one blocking facade, reached
//! through the cluster's service proxy or at a URL.

use super::cluster::{ClusterClient, KubeOptions};
use super::net::{one_line, runtime, with_retries, Attempt, NetOptions};
use super::url::{body_excerpt, Answer, UrlClient};
use super::{ControllerRef, SourceError, Step};

/// Where the controller is: behind the API server's service proxy (kubeseal's
/// way, with the user's kubeconfig) or at a URL (`--controller-url`, e.g. a
/// port-forward or an ingress; `http://` or `https://`).
// One value per run, built once: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ControllerEndpoint {
    /// Through the Kubernetes API server.
    Cluster {
        /// Which kubeconfig and context.
        kube: KubeOptions,
        /// The controller's Service.
        controller: ControllerRef,
    },
    /// Straight at the controller's HTTP API; the URL is its base (`/v1/...` is appended).
    Url(String),
}

/// A certificate as the controller (or a certificate URL or file, see
/// [`crate::load_cert_bytes`]) served it, with whether the way it came
/// authenticated it: the caller must say so when it did not.
#[derive(Debug, Clone)]
pub struct FetchedCert {
    /// The PEM bytes as served (the controller may send several certificates; the
    /// first is the one to seal with).
    pub pem: Vec<u8>,
    /// Where it came from, without credentials (for messages and pins).
    pub origin: String,
    /// Why the transport did not authenticate it, when it did not (plain
    /// `http://` to another machine, or TLS verification turned off): anyone on
    /// the network path could have sent another certificate.
    pub unverified: Option<String>,
}

enum Inner {
    Cluster(Box<ClusterClient>),
    Url(UrlClient),
}

/// A connection to one controller. Every method blocks (a private runtime runs
/// the requests) and is bounded by the [`NetOptions`] timeouts.
pub struct Controller {
    rt: tokio::runtime::Runtime,
    inner: Inner,
    net: NetOptions,
}

const CERT_PATH: &str = "v1/cert.pem";
const VERIFY_PATH: &str = "v1/verify";
const ROTATE_PATH: &str = "v1/rotate";

impl Controller {
    /// Prepares the client: loads the kubeconfig (runs an exec credential plugin if
    /// one is configured) or parses the URL. Sends no request yet.
    pub fn connect(
        endpoint: ControllerEndpoint,
        net: NetOptions,
    ) -> Result<Controller, SourceError> {
        let rt = runtime()?;
        let inner = match endpoint {
            ControllerEndpoint::Cluster { kube, controller } => Inner::Cluster(Box::new(
                rt.block_on(ClusterClient::connect(&kube, controller, &net))?,
            )),
            ControllerEndpoint::Url(u) => {
                let parsed = reqwest::Url::parse(&u)
                    .ok()
                    .filter(|p| p.scheme() == "http" || p.scheme() == "https")
                    .ok_or_else(|| {
                        SourceError::Input(format!(
                            "--controller-url {:?} is not an http:// or https:// URL",
                            super::net::redact_url_str(&u)
                        ))
                    })?;
                let _guard = rt.enter();
                Inner::Url(UrlClient::new(&parsed, &net)?)
            }
        };
        Ok(Controller { rt, inner, net })
    }

    /// Where requests go, for messages and for a pin's `source` (no credentials).
    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Cluster(c) => c.describe(),
            Inner::Url(u) => format!("controller {}", u.endpoint),
        }
    }

    /// Why answers from this controller are not authenticated by TLS, when they
    /// are not: the kubeconfig skips verifying the API server's certificate
    /// (`insecure-skip-tls-verify: true`), or a `--controller-url` is plain
    /// `http://` to another machine. A certificate fetched this way may come from
    /// anyone on the path, so it must not become a pin unchecked.
    pub fn unverified_tls(&self) -> Option<&str> {
        match &self.inner {
            Inner::Cluster(c) => c.unverified_tls(),
            Inner::Url(u) => u.unverified_tls(),
        }
    }

    fn endpoint(&self) -> String {
        match &self.inner {
            Inner::Cluster(c) => format!("the controller via {}", c.describe()),
            Inner::Url(u) => u.endpoint.clone(),
        }
    }

    /// `GET /v1/cert.pem` (retried on transient failures): the controller's
    /// current sealing certificate. Checks only that a PEM certificate came back;
    /// parsing and checking it is `cert`'s job.
    pub fn fetch_cert(&self) -> Result<FetchedCert, SourceError> {
        let a = self.call(
            http::Method::GET,
            CERT_PATH,
            "application/x-pem-file, */*",
            None,
        )?;
        let op = "GET /v1/cert.pem";
        if a.status != 200 {
            return Err(self.status_error(
                op,
                &a,
                "check that this is a sealed-secrets controller (and its version)",
            ));
        }
        if !a
            .body
            .windows(27)
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(SourceError::BadResponse {
                step: Step::Controller,
                endpoint: self.endpoint(),
                detail: format!(
                    "{op} did not return a PEM certificate ({} bytes starting {:?}); is this a sealed-secrets controller?",
                    a.body.len(),
                    body_excerpt(&a.body[..a.body.len().min(40)])
                ),
            });
        }
        Ok(FetchedCert {
            pem: a.body,
            origin: self.describe(),
            unverified: self.unverified_tls().map(str::to_string),
        })
    }

    /// `POST /v1/verify` with one SealedSecret as JSON (kubeseal `--validate`):
    /// `Ok` when the controller can decrypt it, [`SourceError::CannotDecrypt`] on
    /// 409. Sent once (never retried).
    pub fn verify(&self, sealed_json: &[u8]) -> Result<(), SourceError> {
        let object = object_name(sealed_json)?;
        let op = "POST /v1/verify";
        let a = self.call(
            http::Method::POST,
            VERIFY_PATH,
            "application/json, */*",
            Some(sealed_json.to_vec()),
        )?;
        match a.status {
            200..=299 => Ok(()),
            409 => Err(SourceError::CannotDecrypt {
                object,
                operation: op.to_string(),
            }),
            _ => Err(self.status_error(
                op,
                &a,
                "the controller could not check it (malformed SealedSecret, or a controller fault: see its logs)",
            )),
        }
    }

    /// `POST /v1/rotate` with one SealedSecret as JSON (kubeseal `--re-encrypt`):
    /// the same SealedSecret re-encrypted with the controller's latest key, as the
    /// controller's JSON. 409 gives [`SourceError::CannotDecrypt`]; the real
    /// controller answers 500 when it cannot decrypt, which gives a controller error
    /// saying so. Sent once (never retried).
    pub fn rotate(&self, sealed_json: &[u8]) -> Result<Vec<u8>, SourceError> {
        let object = object_name(sealed_json)?;
        let op = "POST /v1/rotate";
        let a = self.call(
            http::Method::POST,
            ROTATE_PATH,
            "application/json, */*",
            Some(sealed_json.to_vec()),
        )?;
        match a.status {
            200..=299 => {
                let v: serde_json::Value = serde_json::from_slice(&a.body).map_err(|e| SourceError::BadResponse {
                    step: Step::Controller,
                    endpoint: self.endpoint(),
                    detail: format!("{op} did not return JSON: {}", one_line(&e.to_string(), 120)),
                })?;
                if v.get("kind").and_then(|k| k.as_str()) != Some("SealedSecret") {
                    return Err(SourceError::BadResponse {
                        step: Step::Controller,
                        endpoint: self.endpoint(),
                        detail: format!("{op} did not return a SealedSecret"),
                    });
                }
                Ok(a.body)
            }
            409 => Err(SourceError::CannotDecrypt {
                object,
                operation: op.to_string(),
            }),
            500 => Err(self.status_error(
                op,
                &a,
                &format!("the controller could not re-encrypt {object}; sealed-secrets answers 500 when it cannot decrypt the value (sealed with another key, or for another name, namespace or scope) or the object is malformed: see the controller's logs"),
            )),
            _ => Err(self.status_error(op, &a, "see the controller's logs")),
        }
    }

    /// `GET /healthz`: `Ok` when the controller answers 200.
    pub fn healthz(&self) -> Result<(), SourceError> {
        let a = self.call(http::Method::GET, "healthz", "text/plain, */*", None)?;
        if a.status == 200 {
            Ok(())
        } else {
            Err(self.status_error(
                "GET /healthz",
                &a,
                "the controller is not healthy: see its logs",
            ))
        }
    }

    fn status_error(&self, op: &str, a: &Answer, hint: &str) -> SourceError {
        SourceError::Controller {
            endpoint: self.endpoint(),
            operation: op.to_string(),
            status: a.status,
            detail: body_excerpt(&a.body),
            hint: hint.to_string(),
        }
    }

    fn call(
        &self,
        method: http::Method,
        path: &str,
        accept: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, SourceError> {
        match &self.inner {
            Inner::Cluster(c) => self.rt.block_on(c.proxy(method, path, accept, body)),
            Inner::Url(u) => {
                let url = u.join(path);
                let idempotent = method == http::Method::GET;
                let m = reqwest::Method::from_bytes(method.as_str().as_bytes())
                    .unwrap_or(reqwest::Method::GET);
                self.rt
                    .block_on(with_retries(&self.net, idempotent, || async {
                        match u
                            .send(
                                Step::Controller,
                                m.clone(),
                                url.clone(),
                                accept,
                                body.clone(),
                            )
                            .await
                        {
                            Attempt::Done(Ok(a))
                                if idempotent && super::net::retryable_status(a.status) =>
                            {
                                Attempt::Retry(self.status_error(
                                    &format!("GET /{path}"),
                                    &a,
                                    "the controller is busy or unavailable; try again later",
                                ))
                            }
                            other => other,
                        }
                    }))
            }
        }
    }
}

/// `namespace/name` of a SealedSecret given as JSON (for messages), checking it
/// is one.
fn object_name(sealed_json: &[u8]) -> Result<String, SourceError> {
    let v: serde_json::Value = serde_json::from_slice(sealed_json).map_err(|e| {
        SourceError::Input(format!(
            "not a SealedSecret in JSON: {}",
            one_line(&e.to_string(), 120)
        ))
    })?;
    if v.get("kind").and_then(|k| k.as_str()) != Some("SealedSecret") {
        return Err(SourceError::Input(
            "not a SealedSecret (kind is not SealedSecret)".to_string(),
        ));
    }
    let meta = v.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("");
    let ns = meta
        .and_then(|m| m.get("namespace"))
        .and_then(|n| n.as_str())
        .unwrap_or("");
    Ok(match (ns.is_empty(), name.is_empty()) {
        (_, true) => "(unnamed)".to_string(),
        (true, false) => name.to_string(),
        (false, false) => format!("{ns}/{name}"),
    })
}
