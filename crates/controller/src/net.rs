//! Network plumbing shared by the cluster and URL clients: options, proxy
//! selection from the environment, retries, error classification, redaction.

use std::error::Error as StdError;
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use super::{SourceError, Step};

/// Timeouts, retries, proxies and extra trust for every request empseal makes.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// Limit for establishing the TCP connection.
    pub connect_timeout: Duration,
    /// Limit for one whole request (connect, TLS, send, answer, body).
    pub request_timeout: Duration,
    /// How many times an idempotent GET is tried (1 = no retry). POSTs are sent once.
    pub get_attempts: u32,
    /// First pause between GET attempts; doubled each time up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest pause between GET attempts.
    pub max_backoff: Duration,
    /// Proxy variables (captured from the process by default, explicit in tests).
    pub proxy_env: ProxyEnv,
    /// Extra PEM CA certificates trusted for `https://` controller and certificate
    /// URLs (the cluster path trusts what the kubeconfig says instead).
    pub extra_root_ca_pem: Option<Vec<u8>>,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            get_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            proxy_env: ProxyEnv::from_process(),
            extra_root_ca_pem: None,
        }
    }
}

/// The proxy environment variables, with Go's `net/http` (and so kubeseal's and
/// kubectl's) meaning: `HTTPS_PROXY` for https targets, `HTTP_PROXY` for http
/// targets, `NO_PROXY` exceptions, upper case winning over lower case; requests to
/// `localhost` and loopback addresses never go through a proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `HTTPS_PROXY` / `https_proxy`.
    pub https_proxy: Option<String>,
    /// `HTTP_PROXY` / `http_proxy`.
    pub http_proxy: Option<String>,
    /// `NO_PROXY` / `no_proxy`.
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// Reads the variables from this process's environment.
    pub fn from_process() -> ProxyEnv {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the variables through `env` (for tests and embedding).
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let get = |upper: &str, lower: &str| {
            env(upper)
                .filter(|v| !v.is_empty())
                .or_else(|| env(lower).filter(|v| !v.is_empty()))
        };
        ProxyEnv {
            https_proxy: get("HTTPS_PROXY", "https_proxy"),
            http_proxy: get("HTTP_PROXY", "http_proxy"),
            no_proxy: get("NO_PROXY", "no_proxy"),
        }
    }

    /// No proxy at all (for tests).
    pub fn none() -> ProxyEnv {
        ProxyEnv::default()
    }

    /// The proxy URL to use for a target, with the variable it came from, or
    /// `None` for a direct connection.
    pub fn proxy_for(&self, scheme: &str, host: &str, port: u16) -> Option<(String, &'static str)> {
        let (proxy, var) = match scheme {
            "https" => (self.https_proxy.as_ref()?, "HTTPS_PROXY"),
            "http" => (self.http_proxy.as_ref()?, "HTTP_PROXY"),
            _ => return None,
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host == "localhost"
            || host
                .parse::<IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false)
        {
            return None;
        }
        if let Some(no) = &self.no_proxy {
            if no_proxy_matches(no, &host, port) {
                return None;
            }
        }
        // Go accepts a bare "host:port" and means http://host:port.
        let url = if proxy.contains("://") {
            proxy.clone()
        } else {
            format!("http://{proxy}")
        };
        Some((url, var))
    }
}

/// Go's `httpproxy` NO_PROXY rule: `*`; IPs and CIDRs; `example.com` and
/// `.example.com` match the domain and its subdomains; an entry may carry `:port`.
fn no_proxy_matches(no_proxy: &str, host: &str, port: u16) -> bool {
    let ip = host.parse::<IpAddr>().ok();
    for raw in no_proxy.split(',') {
        let entry = raw.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return true;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            if let (Some(ip), Ok(net), Ok(bits)) = (ip, net.parse::<IpAddr>(), bits.parse::<u32>())
            {
                if cidr_contains(net, bits, ip) {
                    return true;
                }
            }
            continue;
        }
        if let Ok(e) = entry
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            if Some(e) == ip {
                return true;
            }
            continue;
        }
        let (name, eport) = match entry.rsplit_once(':') {
            Some((n, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
                (n.to_string(), p.parse::<u16>().ok())
            }
            _ => (entry.clone(), None),
        };
        if let Some(p) = eport {
            if p != port {
                continue;
            }
        }
        let bare = name.trim_start_matches("*.").trim_start_matches('.');
        if host == bare || host.ends_with(&format!(".{bare}")) {
            return true;
        }
    }
    false
}

fn cidr_contains(net: IpAddr, bits: u32, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(n) & mask) == (u32::from(i) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(n) & mask) == (u128::from(i) & mask)
        }
        _ => false,
    }
}

/// The most redirects any request follows.
pub(crate) const MAX_REDIRECTS: usize = 5;

/// Why a redirect was not followed (the error the redirect policy returns).
#[derive(Debug)]
pub(crate) struct RedirectRefused(pub(crate) String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for RedirectRefused {}

/// The redirect rule of every HTTP client empseal builds: at most
/// [`MAX_REDIRECTS`] hops, and never to another scheme (an `https://` URL must not
/// be downgraded to `http://`; an `http://` one is not silently upgraded either,
/// so what was asked for is what is used).
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt
            .previous()
            .last()
            .map(|u| u.scheme().to_string())
            .unwrap_or_default();
        let to = attempt.url().scheme().to_string();
        if from != to {
            let target = redact_url(attempt.url());
            return attempt.error(RedirectRefused(format!(
                "refused a redirect from {from}:// to {target}: empseal never follows a redirect to another scheme; use the final {from}:// URL directly"
            )));
        }
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(RedirectRefused(format!(
                "more than {MAX_REDIRECTS} redirects; use the final URL directly"
            )));
        }
        attempt.follow()
    })
}

/// The one place an HTTP client is configured: timeouts, no implicit proxy (the
/// caller adds the one [`ProxyEnv::proxy_for`] chose), user agent, and the
/// [`redirect_policy`]. Every reqwest client in empseal starts here.
pub(crate) fn client_builder(net: &NetOptions) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(net.connect_timeout)
        .timeout(net.request_timeout)
        .no_proxy()
        .user_agent(concat!("empseal/", env!("CARGO_PKG_VERSION")))
        .redirect(redirect_policy())
}

/// The redirect refusal in an error chain, if that is what the error is.
pub(crate) fn redirect_refusal(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<RedirectRefused>() {
            return Some(r.0.clone());
        }
        cur = e.source();
        depth += 1;
        if depth > 16 {
            break;
        }
    }
    None
}

/// A URL for messages and pins: user name and password removed.
pub(crate) fn redact_url(u: &reqwest::Url) -> String {
    let mut u = u.clone();
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_username("");
        let _ = u.set_password(None);
    }
    u.to_string()
}

/// Same for a URL given as text (falls back to cutting anything before '@').
pub(crate) fn redact_url_str(s: &str) -> String {
    match reqwest::Url::parse(s) {
        Ok(u) => redact_url(&u),
        Err(_) => match (s.find("://"), s.rfind('@')) {
            (Some(i), Some(j)) if j > i => format!("{}{}", &s[..i + 3], &s[j + 1..]),
            _ => s.to_string(),
        },
    }
}

/// Removes known secret strings (tokens, passwords) from a message: a safety net
/// under the rule that messages are built from non-secret parts only.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn add(&mut self, s: &str) {
        if s.len() >= 4 {
            self.secrets.push(s.to_string());
        }
    }

    pub(crate) fn apply(&self, msg: &str) -> String {
        let mut out = msg.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[REDACTED]");
            }
        }
        out
    }
}

/// One line, bounded: what goes into an error message from a foreign error or body
/// (control characters become spaces, then [`kubeseal_core::error::one_line`]).
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let mut out = kubeseal_core::error::one_line(&s.replace(char::is_control, " "));
    if out.chars().count() > max {
        out = out.chars().take(max).collect::<String>() + "...";
    }
    out
}

/// The messages of an error and its sources, deduplicated, joined by ": ".
pub(crate) fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = cur {
        let m = e.to_string();
        if !m.is_empty() && !parts.iter().any(|p| p.contains(&m)) {
            parts.push(m);
        }
        cur = e.source();
        depth += 1;
        if depth > 16 {
            break;
        }
    }
    one_line(&parts.join(": "), 400)
}

/// What kind of transport failure an error chain shows.
#[derive(Debug)]
pub(crate) enum Transport {
    /// Timed out (connect or read).
    Timeout,
    /// TLS failed; the text of the chain.
    Tls(String),
    /// TCP/DNS failure; the text of the chain.
    Connect(String),
    /// Anything else; the text of the chain.
    Other(String),
}

pub(crate) fn classify_chain(err: &(dyn StdError + 'static)) -> Transport {
    let text = chain_text(err);
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    let mut depth = 0;
    let mut io_kind = None;
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        cur = e.source();
        depth += 1;
        if depth > 16 {
            break;
        }
    }
    let lower = text.to_ascii_lowercase();
    if io_kind == Some(std::io::ErrorKind::TimedOut)
        || lower.contains("timed out")
        || lower.contains("timeout")
    {
        return Transport::Timeout;
    }
    if lower.contains("certificate")
        || lower.contains("ssl")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("wrong version number")
    {
        return Transport::Tls(text);
    }
    if matches!(
        io_kind,
        Some(
            std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::NotConnected
                | std::io::ErrorKind::AddrNotAvailable
        )
    ) || lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("connect error")
        || lower.contains("connection refused")
    {
        return Transport::Connect(text);
    }
    Transport::Other(text)
}

/// A hint for a TLS failure, from the verification result or the chain text.
pub(crate) fn tls_hint(reason: &str, ca_source: &str) -> String {
    let r = reason.to_ascii_lowercase();
    if r.contains("expired") {
        "the server's certificate has expired: renew it on the server (check the machine's clock too)".to_string()
    } else if r.contains("not yet valid") {
        "the server's certificate is not valid yet: check the clocks of this machine and the server"
            .to_string()
    } else if r.contains("local issuer")
        || r.contains("self-signed")
        || r.contains("self signed")
        || r.contains("unable to get issuer")
        || r.contains("unknown ca")
    {
        format!("the server's certificate is not signed by a CA trusted here: check {ca_source}")
    } else if r.contains("hostname")
        || r.contains("ip address mismatch")
        || r.contains("host mismatch")
    {
        "the server's certificate does not name the address used: use the address the certificate was issued for (or tls-server-name in the kubeconfig)".to_string()
    } else if r.contains("wrong version number")
        || r.contains("packet length")
        || r.contains("unexpected eof")
    {
        "the server does not seem to speak TLS there: check the scheme (http:// or https://) and the port".to_string()
    } else {
        format!("check the server's certificate and {ca_source}")
    }
}

/// A retryable outcome of one attempt, or a final one.
pub(crate) enum Attempt<T> {
    /// Done (success or a failure not worth retrying).
    Done(Result<T, SourceError>),
    /// A transient failure: try again if attempts remain.
    Retry(SourceError),
}

/// Runs `f` once, or up to `net.get_attempts` times for idempotent requests, with
/// exponential backoff between attempts.
pub(crate) async fn with_retries<T, F, Fut>(
    net: &NetOptions,
    idempotent: bool,
    mut f: F,
) -> Result<T, SourceError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let attempts = if idempotent {
        net.get_attempts.max(1)
    } else {
        1
    };
    let mut backoff = net.initial_backoff;
    let mut n = 0;
    loop {
        n += 1;
        match f().await {
            Attempt::Done(r) => return r,
            Attempt::Retry(e) if n >= attempts => return Err(e),
            Attempt::Retry(_) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(net.max_backoff);
            }
        }
    }
}

/// Statuses worth retrying for an idempotent GET.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// A single-threaded runtime for one blocking call.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, SourceError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SourceError::Input(format!("cannot start the network runtime: {e}")))
}

/// A timeout error for `step`.
pub(crate) fn timeout_error(step: Step, endpoint: &str, after: Duration) -> SourceError {
    SourceError::Timeout {
        step,
        endpoint: endpoint.to_string(),
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> ProxyEnv {
        ProxyEnv::from_lookup(move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn proxy_selection_follows_go_rules() {
        let e = env(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("http_proxy", "proxy2:8080"),
            (
                "NO_PROXY",
                "internal.example, .corp, 10.0.0.0/8, 192.168.1.5, api.test:6443",
            ),
        ]);
        assert_eq!(
            e.proxy_for("https", "k8s.io", 443).unwrap().0,
            "http://proxy:3128"
        );
        assert_eq!(
            e.proxy_for("https", "k8s.io", 443).unwrap().1,
            "HTTPS_PROXY"
        );
        assert_eq!(
            e.proxy_for("http", "k8s.io", 80).unwrap().0,
            "http://proxy2:8080"
        );
        assert!(e.proxy_for("https", "internal.example", 443).is_none());
        assert!(e.proxy_for("https", "a.internal.example", 443).is_none());
        assert!(e.proxy_for("https", "xinternal.example", 443).is_some());
        assert!(e.proxy_for("https", "x.corp", 443).is_none());
        assert!(e.proxy_for("https", "10.2.3.4", 443).is_none());
        assert!(e.proxy_for("https", "11.2.3.4", 443).is_some());
        assert!(e.proxy_for("https", "192.168.1.5", 443).is_none());
        assert!(e.proxy_for("https", "api.test", 6443).is_none());
        assert!(e.proxy_for("https", "api.test", 443).is_some());
        // loopback is never proxied, like Go's net/http
        assert!(e.proxy_for("https", "127.0.0.1", 443).is_none());
        assert!(e.proxy_for("https", "localhost", 443).is_none());
        assert!(e.proxy_for("https", "[::1]", 443).is_none());
        let star = env(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "*")]);
        assert!(star.proxy_for("https", "k8s.io", 443).is_none());
        assert!(env(&[]).proxy_for("https", "k8s.io", 443).is_none());
    }

    #[test]
    fn urls_lose_credentials() {
        assert_eq!(redact_url_str("https://u:p@h:1/x"), "https://h:1/x");
        assert_eq!(redact_url_str("http://h/x"), "http://h/x");
        let mut r = Redactor::default();
        r.add("sekrit-token");
        assert_eq!(r.apply("bad sekrit-token here"), "bad [REDACTED] here");
    }

    #[test]
    fn one_line_bounds_and_flattens() {
        assert_eq!(one_line("a\nb\tc  d", 100), "a b c d");
        assert_eq!(one_line("abcdef", 3), "abc...");
    }
}
