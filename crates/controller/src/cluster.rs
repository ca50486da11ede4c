//! The controller through the Kubernetes API server's service proxy, with the
//! user's kubeconfig (kube-rs), exactly the requests kubeseal makes:
//! `GET /api/v1/namespaces/<ns>/services/<name>` for the first port's name, then
//! `/api/v1/namespaces/<ns>/services/http:<name>:<port>/proxy/<path>`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use super::net::{
    chain_text, classify_chain, one_line, redact_url_str, retryable_status, timeout_error,
    tls_hint, with_retries, Attempt, NetOptions, Redactor, Transport,
};
use super::url::{too_large, Answer, MAX_BODY};
use super::{ControllerRef, SourceError, Step};

/// Which kubeconfig to use, as kubectl and kubeseal choose it: `--kubeconfig`,
/// else the files in `KUBECONFIG` (merged), else `~/.kube/config`, else the
/// in-cluster service account. `--context` picks the context.
#[derive(Debug, Clone, Default)]
pub struct KubeOptions {
    /// `--kubeconfig PATH`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context NAME`.
    pub context: Option<String>,
    /// The `KUBECONFIG` variable (a path list), captured so tests can set it.
    pub kubeconfig_env: Option<OsString>,
    /// The home directory for `~/.kube/config`.
    pub home: Option<PathBuf>,
    /// Whether to fall back to the in-cluster configuration when no kubeconfig exists.
    pub allow_in_cluster: bool,
    /// `--cluster NAME`: the kubeconfig cluster instead of the context's.
    pub cluster: Option<String>,
    /// `--user NAME`: the kubeconfig user instead of the context's.
    pub user: Option<String>,
    /// `--server URL`: the API server instead of the kubeconfig's.
    pub server: Option<String>,
    /// `--token TOKEN`: a bearer token instead of the user's credentials.
    pub token: Option<Token>,
}

/// A bearer token given on the command line: zeroized on drop, never shown by `Debug`.
#[derive(Clone)]
pub struct Token(pub zeroize::Zeroizing<String>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

impl KubeOptions {
    /// Options from the command line plus this process's `KUBECONFIG` and `HOME`.
    pub fn from_process(kubeconfig: Option<PathBuf>, context: Option<String>) -> KubeOptions {
        KubeOptions {
            kubeconfig,
            context,
            kubeconfig_env: std::env::var_os("KUBECONFIG"),
            home: std::env::var_os("HOME").map(PathBuf::from),
            allow_in_cluster: true,
            ..KubeOptions::default()
        }
    }

    /// Options using exactly one kubeconfig file (nothing from the environment).
    pub fn file(path: impl Into<PathBuf>, context: Option<String>) -> KubeOptions {
        KubeOptions {
            kubeconfig: Some(path.into()),
            context,
            ..KubeOptions::default()
        }
    }
}

/// A kube client aimed at one controller Service.
pub(crate) struct ClusterClient {
    client: kube::Client,
    config: kube::Config,
    /// The API server URL without credentials.
    pub(crate) server: String,
    context: Option<String>,
    controller: ControllerRef,
    port_name: OnceLock<String>,
    redactor: Redactor,
    proxy: Option<(String, &'static str)>,
    net: NetOptions,
    /// Set when the kubeconfig turns off verification of the API server's
    /// certificate (`insecure-skip-tls-verify: true`): why, for messages.
    unverified_tls: Option<String>,
}

fn kubeconfig_error(e: &KubeconfigError, file: Option<&Path>) -> SourceError {
    let where_ = file
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default();
    let detail = match e {
        // The YAML parser quotes the offending text, which may be a credential:
        // report only where it is.
        KubeconfigError::Parse(p) => match p.location() {
            Some(l) => format!(
                "{where_}not a valid kubeconfig (YAML error at line {}, column {})",
                l.line(),
                l.column()
            ),
            None => format!("{where_}not a valid kubeconfig (YAML error)"),
        },
        KubeconfigError::ReadConfig(io, path) => format!("cannot read {}: {io}", path.display()),
        KubeconfigError::LoadContext(name) => {
            format!("{where_}no context named {name:?}")
        }
        KubeconfigError::LoadClusterOfContext(name) => {
            format!("{where_}the context's cluster {name:?} is not defined")
        }
        KubeconfigError::CurrentContextNotSet => {
            format!("{where_}no current-context is set and no --context was given")
        }
        KubeconfigError::LoadCertificateAuthority(_) => {
            format!("{where_}cannot load the cluster's certificate-authority (file or data)")
        }
        KubeconfigError::LoadClientCertificate(_) => {
            format!("{where_}cannot load the user's client-certificate")
        }
        KubeconfigError::LoadClientKey(_) => format!("{where_}cannot load the user's client-key"),
        other => format!("{where_}{}", one_line(&other.to_string(), 200)),
    };
    SourceError::Kubeconfig { detail }
}

/// Reads and merges the kubeconfig files that `opts` designate, or `None` when
/// there are none (then the in-cluster configuration applies).
fn read_kubeconfig(opts: &KubeOptions) -> Result<Option<(Kubeconfig, String)>, SourceError> {
    if let Some(p) = &opts.kubeconfig {
        if !p.exists() {
            return Err(SourceError::Kubeconfig {
                detail: format!("{}: no such file (given with --kubeconfig)", p.display()),
            });
        }
        let kc = Kubeconfig::read_from(p).map_err(|e| kubeconfig_error(&e, Some(p)))?;
        return Ok(Some((kc, p.display().to_string())));
    }
    if let Some(list) = opts.kubeconfig_env.as_ref().filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        let mut merged: Option<Kubeconfig> = None;
        let mut names = Vec::new();
        for p in &paths {
            // kubectl ignores KUBECONFIG entries that do not exist.
            if !p.exists() {
                continue;
            }
            let kc = Kubeconfig::read_from(p).map_err(|e| kubeconfig_error(&e, Some(p)))?;
            names.push(p.display().to_string());
            merged = Some(match merged {
                None => kc,
                Some(m) => m.merge(kc).map_err(|e| kubeconfig_error(&e, Some(p)))?,
            });
        }
        return match merged {
            Some(kc) => Ok(Some((kc, format!("KUBECONFIG ({})", names.join(", "))))),
            None => Err(SourceError::Kubeconfig {
                detail: "none of the files listed in KUBECONFIG exists".to_string(),
            }),
        };
    }
    if let Some(home) = &opts.home {
        let p = home.join(".kube").join("config");
        if p.exists() {
            let kc = Kubeconfig::read_from(&p).map_err(|e| kubeconfig_error(&e, Some(&p)))?;
            return Ok(Some((kc, p.display().to_string())));
        }
    }
    Ok(None)
}

/// The namespace commands default to, as kubeseal's `clientConfig.Namespace()`:
/// the chosen context's namespace in the kubeconfig, else the in-cluster service
/// account's namespace, else `default`.
pub fn context_namespace(opts: &KubeOptions) -> Result<String, SourceError> {
    let found = match read_kubeconfig(opts) {
        Ok(found) => found,
        // kubectl treats a KUBECONFIG naming only missing files as no kubeconfig.
        Err(SourceError::Kubeconfig { .. })
            if opts.kubeconfig.is_none()
                && opts
                    .kubeconfig_env
                    .as_ref()
                    .is_some_and(|list| std::env::split_paths(list).all(|p| !p.exists())) =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    if let Some((kc, _)) = found {
        let ctx_name = opts.context.clone().or_else(|| kc.current_context.clone());
        let ns = ctx_name.and_then(|name| {
            kc.contexts
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.context.as_ref())
                .and_then(|c| c.namespace.clone())
        });
        return Ok(ns
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into()));
    }
    if opts.allow_in_cluster {
        if let Ok(ns) =
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        {
            if !ns.trim().is_empty() {
                return Ok(ns.trim().to_string());
            }
        }
    }
    Ok("default".into())
}

/// The `proxy-url` the kubeconfig sets for the cluster of the chosen context.
fn kubeconfig_proxy_url(kc: &Kubeconfig, context: Option<&str>) -> Option<String> {
    let ctx_name = context
        .map(str::to_string)
        .or_else(|| kc.current_context.clone())?;
    let ctx = kc
        .contexts
        .iter()
        .find(|c| c.name == ctx_name)?
        .context
        .as_ref()?;
    let cluster = kc
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)?
        .cluster
        .as_ref()?;
    cluster.proxy_url.clone().filter(|s| !s.is_empty())
}

/// Collects the credential strings of the kubeconfig user, so that no message can
/// ever carry them.
fn redactor_for(config: &kube::Config) -> Redactor {
    let mut r = Redactor::default();
    if let Ok(v) = serde_json::to_value(&config.auth_info) {
        for k in ["token", "password", "client-key-data"] {
            if let Some(s) = v.get(k).and_then(|s| s.as_str()) {
                r.add(s);
            }
        }
    }
    r
}

impl ClusterClient {
    /// Loads the configuration, applies our timeouts and proxy rule, and builds the
    /// client (this runs an exec credential plugin if the kubeconfig has one).
    pub(crate) async fn connect(
        opts: &KubeOptions,
        controller: ControllerRef,
        net: &NetOptions,
    ) -> Result<ClusterClient, SourceError> {
        controller.validate()?;
        let (mut config, kc_proxy) = match read_kubeconfig(opts)? {
            Some((kc, from)) => {
                let kc_proxy = kubeconfig_proxy_url(&kc, opts.context.as_deref());
                let ko = KubeConfigOptions {
                    context: opts.context.clone(),
                    cluster: opts.cluster.clone(),
                    user: opts.user.clone(),
                };
                let config = kube::Config::from_custom_kubeconfig(kc, &ko).await.map_err(|e| {
                    let mut err = kubeconfig_error(&e, None);
                    if let SourceError::Kubeconfig { detail } = &mut err {
                        *detail = format!("{from}: {detail}");
                    }
                    err
                })?;
                (config, kc_proxy)
            }
            None if opts.context.is_some() => {
                return Err(SourceError::Kubeconfig {
                    detail: "no kubeconfig found (no --kubeconfig, KUBECONFIG unset, no ~/.kube/config) but --context was given".to_string(),
                })
            }
            None if opts.allow_in_cluster => {
                let config = kube::Config::incluster().map_err(|e| SourceError::Kubeconfig {
                    detail: format!(
                        "no kubeconfig found (no --kubeconfig, KUBECONFIG unset, no ~/.kube/config) and not running in a cluster ({})",
                        one_line(&e.to_string(), 160)
                    ),
                })?;
                (config, None)
            }
            None => {
                return Err(SourceError::Kubeconfig {
                    detail: "no kubeconfig found (no --kubeconfig, KUBECONFIG unset, no ~/.kube/config)".to_string(),
                })
            }
        };

        // kubectl's overrides: --server replaces the cluster URL, --token the
        // user's credentials.
        if let Some(server) = &opts.server {
            config.cluster_url =
                server
                    .parse::<http::Uri>()
                    .map_err(|_| SourceError::Kubeconfig {
                        detail: format!("--server {:?} is not a valid URL", redact_url_str(server)),
                    })?;
        }
        if let Some(token) = &opts.token {
            config.auth_info = kube::config::AuthInfo {
                token: Some(token.0.as_str().to_string().into()),
                ..Default::default()
            };
        }
        config.connect_timeout = Some(net.connect_timeout);
        config.read_timeout = Some(net.request_timeout);
        config.write_timeout = Some(net.request_timeout);
        // Count the read timeout from each request, not from when a pooled
        // connection went idle.
        config.reset_reader_on_write = true;
        // kube's default retry layer retries every method (POST included) up to 15
        // times; we retry GETs ourselves.
        config.default_retry = false;
        // Proxy: the kubeconfig's proxy-url wins; otherwise the environment, with
        // Go's NO_PROXY and loopback rules (kube-rs matches NO_PROXY against the
        // proxy's own address, so its choice is replaced here).
        let uri = &config.cluster_url;
        let scheme = uri.scheme_str().unwrap_or("https").to_string();
        let host = uri.host().unwrap_or("").to_string();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "http" { 80 } else { 443 });
        let proxy = match kc_proxy {
            Some(p) => Some((p, "the kubeconfig's proxy-url")),
            None => net.proxy_env.proxy_for(&scheme, &host, port),
        };
        config.proxy_url = match &proxy {
            Some((p, var)) => Some(p.parse::<http::Uri>().map_err(|_| SourceError::Proxy {
                detail: format!("{var} is not a valid proxy URL"),
                hint: format!("fix or unset {var}"),
            })?),
            None => None,
        };

        let server = redact_url_str(&config.cluster_url.to_string());
        let server = match server.strip_suffix('/') {
            Some(s) if config.cluster_url.path() == "/" => s.to_string(),
            _ => server,
        };
        let redactor = redactor_for(&config);
        let exec_program = config
            .auth_info
            .exec
            .as_ref()
            .and_then(|x| x.command.clone())
            .unwrap_or_default();
        let client = kube::Client::try_from(config.clone()).map_err(|e| match e {
            kube::Error::Auth(a) => SourceError::Credentials {
                detail: redactor.apply(&auth_error_text(&a, &exec_program)),
            },
            kube::Error::ProxyProtocolUnsupported { .. }
            | kube::Error::ProxyProtocolDisabled { .. } => SourceError::Proxy {
                detail: format!(
                    "unsupported proxy scheme in {}",
                    proxy.as_ref().map(|p| p.1).unwrap_or("the proxy setting")
                ),
                hint: "use an http:// or https:// proxy".to_string(),
            },
            other => SourceError::Kubeconfig {
                detail: redactor
                    .apply(&format!("cannot set up the client: {}", chain_text(&other))),
            },
        })?;
        let unverified_tls = if config.accept_invalid_certs {
            Some(format!(
                "the kubeconfig sets insecure-skip-tls-verify: true for {server}, so the API server's identity is not verified"
            ))
        } else {
            super::url::plain_http_to_another_machine(
                config.cluster_url.scheme_str().unwrap_or(""),
                config.cluster_url.host().unwrap_or(""),
                &server,
            )
        };
        Ok(ClusterClient {
            unverified_tls,
            client,
            config,
            server,
            context: opts.context.clone(),
            controller,
            port_name: OnceLock::new(),
            redactor,
            proxy,
            net: net.clone(),
        })
    }

    /// Why the API server's TLS certificate is not verified, when it is not.
    pub(crate) fn unverified_tls(&self) -> Option<&str> {
        self.unverified_tls.as_deref()
    }

    /// A one-line description for messages and pins (no credentials).
    pub(crate) fn describe(&self) -> String {
        let ctx = self
            .context
            .as_ref()
            .map(|c| format!(" (context {c})"))
            .unwrap_or_default();
        format!(
            "cluster {}{ctx} service {}/{}",
            self.server, self.controller.namespace, self.controller.name
        )
    }

    /// The SealedSecret controller's Service port name (kubeseal's `getServicePortName`),
    /// looked up once per client.
    pub(crate) async fn port_name(&self) -> Result<String, SourceError> {
        if let Some(p) = self.port_name.get() {
            return Ok(p.clone());
        }
        let ns = &self.controller.namespace;
        let name = &self.controller.name;
        let path = format!("/api/v1/namespaces/{ns}/services/{name}");
        let answer = with_retries(&self.net, true, || async {
            match self
                .send_once(
                    Step::ServiceLookup,
                    http::Method::GET,
                    &path,
                    "application/json",
                    None,
                )
                .await
            {
                Attempt::Done(Ok(a)) if retryable_status(a.status) => {
                    Attempt::Retry(self.service_error(&a))
                }
                other => other,
            }
        })
        .await?;
        if answer.status != 200 {
            return Err(self.service_error(&answer));
        }
        let svc: k8s_openapi::api::core::v1::Service = serde_json::from_slice(&answer.body)
            .map_err(|e| SourceError::ServiceLookup {
                namespace: ns.clone(),
                name: name.clone(),
                detail: format!(
                    "the API server's answer is not a Service: {}",
                    one_line(&e.to_string(), 160)
                ),
            })?;
        let port = svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .and_then(|p| p.first())
            .ok_or_else(|| SourceError::ServiceLookup {
                namespace: ns.clone(),
                name: name.clone(),
                detail:
                    "the Service has no ports; is this the sealed-secrets controller's Service?"
                        .to_string(),
            })?;
        let port_name = port.name.clone().unwrap_or_default();
        if !port_name.is_empty() && !super::is_dns_label(&port_name) {
            return Err(SourceError::ServiceLookup {
                namespace: ns.clone(),
                name: name.clone(),
                detail: format!("the Service's first port has an unusable name {port_name:?}"),
            });
        }
        let _ = self.port_name.set(port_name.clone());
        Ok(port_name)
    }

    fn service_error(&self, a: &Answer) -> SourceError {
        let ns = self.controller.namespace.clone();
        let name = self.controller.name.clone();
        match a.status {
            401 | 403 => SourceError::Auth {
                server: self.server.clone(),
                namespace: ns.clone(),
                status: a.status,
                detail: self
                    .status_message(&a.body)
                    .unwrap_or_else(|| "no details".to_string()),
            },
            404 => SourceError::ServiceNotFound {
                namespace: ns,
                name,
                server: self.server.clone(),
            },
            s => SourceError::ServiceLookup {
                namespace: ns,
                name,
                detail: format!(
                    "the API server answered {s}{}",
                    self.status_message(&a.body)
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            },
        }
    }

    /// The `message` of a Kubernetes `Status` body, if the body is one.
    fn status_message(&self, body: &[u8]) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        if v.get("kind")?.as_str()? != "Status" {
            return None;
        }
        let m = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
        Some(self.redactor.apply(&one_line(m, 240)))
    }

    /// A request to the controller through the service proxy. Answers produced by
    /// the API server itself (a `Status` body: no endpoints, forbidden, ...) become
    /// errors here; answers from the controller are returned as they are.
    pub(crate) async fn proxy(
        &self,
        method: http::Method,
        controller_path: &str,
        accept: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, SourceError> {
        let port = self.port_name().await?;
        let ns = &self.controller.namespace;
        let name = &self.controller.name;
        // net.JoinSchemeNamePort("http", name, port) in Go.
        let path =
            format!("/api/v1/namespaces/{ns}/services/http:{name}:{port}/proxy/{controller_path}");
        let idempotent = method == http::Method::GET;
        with_retries(&self.net, idempotent, || async {
            let a = match self.send_once(Step::Proxy, method.clone(), &path, accept, body.clone()).await {
                Attempt::Done(Ok(a)) => a,
                other => return other,
            };
            if a.status == 401 || a.status == 403 {
                return Attempt::Done(Err(SourceError::Auth {
                    server: self.server.clone(),
                    namespace: ns.clone(),
                    status: a.status,
                    detail: self.status_message(&a.body).unwrap_or_else(|| "no details".to_string()),
                }));
            }
            if a.status >= 400 {
                if let Some(msg) = self.status_message(&a.body) {
                    let e = SourceError::Proxy {
                        detail: format!(
                            "the API server could not reach the controller service {ns}/{name} (answered {}: {msg})",
                            a.status
                        ),
                        hint: format!(
                            "check that the controller is running (`kubectl get pods,endpoints -n {ns}`)"
                        ),
                    };
                    return if retryable_status(a.status) {
                        Attempt::Retry(e)
                    } else {
                        Attempt::Done(Err(e))
                    };
                }
            }
            Attempt::Done(Ok(a))
        })
        .await
    }

    async fn send_once(
        &self,
        step: Step,
        method: http::Method,
        path: &str,
        accept: &str,
        body: Option<Vec<u8>>,
    ) -> Attempt<Answer> {
        let mut b = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::ACCEPT, accept)
            .header(
                http::header::USER_AGENT,
                concat!("empseal/", env!("CARGO_PKG_VERSION")),
            );
        if body.is_some() {
            b = b.header(http::header::CONTENT_TYPE, "application/json");
        }
        let req = match b.body(kube::client::Body::from(body.unwrap_or_default())) {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Done(Err(SourceError::Input(format!(
                    "cannot build the request: {e}"
                ))));
            }
        };
        let fut = async {
            let res = self.client.send(req).await?;
            let status = res.status().as_u16();
            let declared = res
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > MAX_BODY) {
                return Ok(None);
            }
            let bytes = res.into_body().collect_bytes().await?;
            Ok::<_, kube::Error>(Some(Answer {
                status,
                body: bytes.to_vec(),
            }))
        };
        match tokio::time::timeout(self.net.request_timeout, fut).await {
            Err(_) => Attempt::Done(Err(timeout_error(
                step,
                &self.server,
                self.net.request_timeout,
            ))),
            Ok(Ok(Some(a))) if a.body.len() <= MAX_BODY => Attempt::Done(Ok(a)),
            Ok(Ok(_)) => Attempt::Done(Err(too_large(step, &self.server))),
            Ok(Err(e)) => self.kube_error(step, e),
        }
    }

    fn kube_error(&self, step: Step, e: kube::Error) -> Attempt<Answer> {
        let exec_program = self
            .config
            .auth_info
            .exec
            .as_ref()
            .and_then(|x| x.command.clone())
            .unwrap_or_default();
        match e {
            kube::Error::Auth(a) => Attempt::Done(Err(SourceError::Credentials {
                detail: self.redactor.apply(&auth_error_text(&a, &exec_program)),
            })),
            other => match classify_chain(&other) {
                Transport::Timeout => Attempt::Done(Err(timeout_error(
                    step,
                    &self.server,
                    self.net.request_timeout,
                ))),
                Transport::Tls(text) => {
                    let reason = if self.proxy.is_none() {
                        diagnose_tls(&self.config, self.net.connect_timeout).unwrap_or(text)
                    } else {
                        text
                    };
                    Attempt::Done(Err(SourceError::Tls {
                        step,
                        endpoint: self.server.clone(),
                        hint: tls_hint(
                            &reason,
                            "the cluster's certificate-authority(-data) in the kubeconfig",
                        ),
                        reason: self.redactor.apply(&reason),
                    }))
                }
                Transport::Connect(text) => match &self.proxy {
                    Some((p, var)) => Attempt::Retry(SourceError::Proxy {
                        detail: format!(
                            "cannot reach {} through the proxy {} (from {var}): {}",
                            self.server,
                            redact_url_str(p),
                            self.redactor.apply(&text)
                        ),
                        hint: format!("check {var} and NO_PROXY, and that the proxy is running"),
                    }),
                    None => Attempt::Retry(SourceError::Connect {
                        step,
                        endpoint: self.server.clone(),
                        detail: self.redactor.apply(&text),
                    }),
                },
                Transport::Other(text)
                    if self.proxy.is_some() && text.to_ascii_lowercase().contains("tunnel") =>
                {
                    let (p, var) = self.proxy.clone().unwrap_or_default();
                    Attempt::Done(Err(SourceError::Proxy {
                        detail: format!(
                            "the proxy {} (from {var}) refused to open a tunnel to {}: {}",
                            redact_url_str(&p),
                            self.server,
                            self.redactor.apply(&text)
                        ),
                        hint: format!("check {var}, NO_PROXY and the proxy's access rules"),
                    }))
                }
                Transport::Other(text) => Attempt::Done(Err(SourceError::Connect {
                    step,
                    endpoint: self.server.clone(),
                    detail: self.redactor.apply(&text),
                })),
            },
        }
    }
}

/// A message for a credential failure that never includes the plugin's output
/// (which may hold a token).
fn auth_error_text(e: &kube::client::AuthError, exec_program: &str) -> String {
    use kube::client::AuthError as A;
    let prog = if exec_program.is_empty() {
        "the exec credential plugin".to_string()
    } else {
        format!("the exec credential plugin {exec_program}")
    };
    match e {
        A::AuthExecStart(io) => format!("cannot start {prog}: {io}; check the command in the kubeconfig's user.exec"),
        A::AuthExecRun { out, .. } => format!(
            "{prog} failed ({}); run it by hand to see why (its output is not shown here because it may hold credentials)",
            out.status
        ),
        A::AuthExecParse(_) => format!("{prog} did not print a valid ExecCredential"),
        A::ExecPluginFailed => format!("{prog} printed an ExecCredential without a status"),
        A::ReadTokenFile(io, path) => format!("cannot read the token file {}: {io}", path.display()),
        A::InvalidBearerToken(_) => "the kubeconfig's bearer token is not a valid HTTP header value".to_string(),
        A::InvalidBasicAuth(_) => "the kubeconfig's user name or password is not a valid HTTP header value".to_string(),
        other => one_line(&other.to_string(), 200),
    }
}

/// After a TLS failure, repeats the handshake with openssl directly (same trust
/// settings as the client) to learn the verification result: "certificate has
/// expired", "unable to get local issuer certificate", ...
fn diagnose_tls(config: &kube::Config, timeout: Duration) -> Option<String> {
    use kube::client::ConfigExt;
    use std::net::{TcpStream, ToSocketAddrs};
    let uri = &config.cluster_url;
    if uri.scheme_str() != Some("https") || config.accept_invalid_certs {
        return None;
    }
    let host = uri
        .host()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(443);
    let addr = (host.as_str(), port).to_socket_addrs().ok()?.next()?;
    let tcp = TcpStream::connect_timeout(&addr, timeout).ok()?;
    tcp.set_read_timeout(Some(timeout)).ok()?;
    tcp.set_write_timeout(Some(timeout)).ok()?;
    let connector = config.openssl_ssl_connector_builder().ok()?.build();
    let name = config.tls_server_name.clone().unwrap_or(host);
    match connector.configure().ok()?.connect(&name, tcp) {
        Ok(_) => None,
        Err(openssl::ssl::HandshakeError::Failure(mid)) => {
            let vr = mid.ssl().verify_result();
            if vr == openssl::x509::X509VerifyResult::OK {
                return Some(one_line(&mid.error().to_string(), 200));
            }
            let mut reason = vr.error_string().to_string();
            if let Some(peer) = mid.ssl().peer_certificate() {
                let na = peer.not_after().to_string();
                if reason.contains("expired") {
                    reason = format!("{reason} (notAfter {na})");
                }
            }
            Some(reason)
        }
        Err(_) => None,
    }
}
