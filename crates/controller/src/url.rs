//! Plain HTTP(S) access with reqwest: `--controller-url` and certificate URLs.

use std::time::Duration;

use reqwest::Url;

use super::net::{
    chain_text, classify_chain, client_builder, one_line, redact_url, redirect_refusal,
    retryable_status, runtime, timeout_error, tls_hint, with_retries, Attempt, NetOptions,
    Transport,
};
use super::{FetchedCert, SourceError, Step};

/// A reqwest client bound to one base URL, with the proxy and trust settings for it.
pub(crate) struct UrlClient {
    client: reqwest::Client,
    /// For messages: the base URL without credentials.
    pub(crate) endpoint: String,
    base: Url,
    proxy: Option<(String, &'static str)>,
    timeout: Duration,
    unverified: Option<String>,
}

/// Why a plain `http://` connection to `host` is unauthenticated, unless `host`
/// is this machine (`localhost` or a loopback address: e.g. a `kubectl
/// port-forward`, whose tunnel runs over the API server's verified TLS).
pub(crate) fn plain_http_to_another_machine(
    scheme: &str,
    host: &str,
    endpoint: &str,
) -> Option<String> {
    if scheme != "http" {
        return None;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let local = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!local).then(|| {
        format!(
            "{endpoint} is plain http:// to another machine, so the answers are not authenticated"
        )
    })
}

/// Largest answer accepted (certificates and SealedSecrets are far smaller).
pub(crate) const MAX_BODY: usize = 16 << 20;

/// The error for an answer over [`MAX_BODY`].
pub(crate) fn too_large(step: Step, endpoint: &str) -> SourceError {
    SourceError::BadResponse {
        step,
        endpoint: endpoint.to_string(),
        detail: format!(
            "the answer is larger than {} MiB; is this the sealed-secrets controller?",
            MAX_BODY >> 20
        ),
    }
}

/// A status and body from one request.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl UrlClient {
    /// Builds a client for `base` (http or https).
    pub(crate) fn new(base: &Url, net: &NetOptions) -> Result<UrlClient, SourceError> {
        let endpoint = redact_url(base);
        let host = base.host_str().unwrap_or("");
        let port = base.port_or_known_default().unwrap_or(0);
        let proxy = net.proxy_env.proxy_for(base.scheme(), host, port);
        let mut b = client_builder(net);
        if let Some((p, var)) = &proxy {
            let px = reqwest::Proxy::all(p.as_str()).map_err(|_| SourceError::Proxy {
                detail: format!("{var} is not a valid proxy URL"),
                hint: format!("fix or unset {var}"),
            })?;
            b = b.proxy(px);
        }
        if let Some(pem) = &net.extra_root_ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                SourceError::Input(format!(
                    "the extra CA certificates are not valid PEM: {}",
                    one_line(&e.to_string(), 200)
                ))
            })?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let client = b.build().map_err(|e| {
            SourceError::Input(format!("cannot set up HTTP client: {}", chain_text(&e)))
        })?;
        Ok(UrlClient {
            unverified: plain_http_to_another_machine(
                base.scheme(),
                base.host_str().unwrap_or(""),
                &endpoint,
            ),
            client,
            endpoint,
            base: base.clone(),
            proxy,
            timeout: net.request_timeout,
        })
    }

    /// Why answers are not authenticated by TLS: a plain `http://` URL to anything
    /// but this machine (a `kubectl port-forward` on localhost is fine: the tunnel
    /// runs over the API server's verified TLS).
    pub(crate) fn unverified_tls(&self) -> Option<&str> {
        self.unverified.as_deref()
    }

    /// `base` joined with a controller path such as `v1/cert.pem` (keeps a path prefix).
    pub(crate) fn join(&self, rel: &str) -> Url {
        let mut base = self.base.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        base.join(rel).unwrap_or(base)
    }

    /// One request; transport failures are turned into step-named errors and
    /// marked retryable when a retry could help (connection refused or reset).
    pub(crate) async fn send(
        &self,
        step: Step,
        method: reqwest::Method,
        url: Url,
        accept: &str,
        body: Option<Vec<u8>>,
    ) -> Attempt<Answer> {
        let mut req = self
            .client
            .request(method, url)
            .header(reqwest::header::ACCEPT, accept);
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b);
        }
        let res = match req.send().await {
            Ok(r) => r,
            Err(e) => return self.transport_error(step, &e),
        };
        let status = res.status().as_u16();
        let mut res = res;
        let mut body = Vec::new();
        loop {
            match res.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > MAX_BODY {
                        return Attempt::Done(Err(too_large(step, &self.endpoint)));
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return self.transport_error(step, &e),
            }
        }
        Attempt::Done(Ok(Answer { status, body }))
    }

    fn transport_error(&self, step: Step, e: &reqwest::Error) -> Attempt<Answer> {
        if let Some(why) = redirect_refusal(e) {
            return Attempt::Done(Err(SourceError::BadResponse {
                step,
                endpoint: self.endpoint.clone(),
                detail: why,
            }));
        }
        if e.is_timeout() {
            return Attempt::Done(Err(timeout_error(step, &self.endpoint, self.timeout)));
        }
        let kind = classify_chain(e);
        let through_proxy = self.proxy.is_some();
        match kind {
            Transport::Timeout => {
                Attempt::Done(Err(timeout_error(step, &self.endpoint, self.timeout)))
            }
            Transport::Tls(text) => Attempt::Done(Err(SourceError::Tls {
                step,
                endpoint: self.endpoint.clone(),
                hint: tls_hint(
                    &text,
                    "the CA given for the controller URL (or the system's trusted CAs)",
                ),
                reason: strip_url(&text),
            })),
            Transport::Connect(text) if through_proxy => {
                let (p, var) = self
                    .proxy
                    .as_ref()
                    .map(|(p, v)| (super::net::redact_url_str(p), *v))
                    .unwrap_or_default();
                Attempt::Retry(SourceError::Proxy {
                    detail: format!(
                        "cannot reach {} through the proxy {p} (from {var}): {}",
                        self.endpoint,
                        strip_url(&text)
                    ),
                    hint: format!("check {var} and NO_PROXY, and that the proxy is running"),
                })
            }
            Transport::Connect(text) => Attempt::Retry(SourceError::Connect {
                step,
                endpoint: self.endpoint.clone(),
                detail: strip_url(&text),
            }),
            Transport::Other(text) => Attempt::Done(Err(SourceError::Connect {
                step,
                endpoint: self.endpoint.clone(),
                detail: strip_url(&text),
            })),
        }
    }
}

/// reqwest puts the full URL (credentials included) into its messages; drop it.
fn strip_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let p = part.trim_matches(|c| c == '(' || c == ')' || c == ',');
        if p.contains("://") {
            out.push_str(&part.replace(p, &super::net::redact_url_str(p)));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// GET a certificate URL (kubeseal `--cert https://...`) with retries; 200 only.
/// The answer says whether the transport authenticated it (see
/// [`plain_http_to_another_machine`]).
pub(crate) fn get_url_blocking(u: &Url, net: &NetOptions) -> Result<FetchedCert, SourceError> {
    let rt = runtime()?;
    let client = UrlClient::new(u, net)?;
    let pem = rt.block_on(async {
        with_retries(net, true, || async {
            let a = match client
                .send(
                    Step::Controller,
                    reqwest::Method::GET,
                    u.clone(),
                    "application/x-pem-file, */*",
                    None,
                )
                .await
            {
                Attempt::Done(Ok(a)) => a,
                Attempt::Done(Err(e)) => return Attempt::Done(Err(e)),
                Attempt::Retry(e) => return Attempt::Retry(e),
            };
            if a.status == 200 {
                return Attempt::Done(Ok(a.body));
            }
            let e = SourceError::Controller {
                endpoint: client.endpoint.clone(),
                operation: "GET".to_string(),
                status: a.status,
                detail: body_excerpt(&a.body),
                hint: "check the certificate URL".to_string(),
            };
            if retryable_status(a.status) {
                Attempt::Retry(e)
            } else {
                Attempt::Done(Err(e))
            }
        })
        .await
    })?;
    Ok(FetchedCert {
        pem,
        origin: client.endpoint.clone(),
        unverified: client.unverified_tls().map(str::to_string),
    })
}

/// A short, single-line excerpt of an error body (controller bodies hold no secrets:
/// they are status texts; still bounded and flattened).
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(300)]);
    one_line(&s, 160)
}
