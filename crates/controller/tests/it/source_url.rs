//! The controller at a URL (`--controller-url`, plain HTTP and HTTPS) and
//! kubeseal's `--cert PATH|URL` resolution, against the Python fake controller.

use crate::support;

use std::time::{Duration, Instant};

use empseal_controller::{
    load_cert_bytes_with, Controller, ControllerEndpoint, Kind, SourceError, Step,
};
use support::*;

fn controller_fake(extra: &[&str]) -> Fake {
    let p = pki();
    let mut args: Vec<String> = [
        "--role",
        "controller",
        "--cert-pem",
        &path(&p.controller1.cert),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if !extra.contains(&"--key") {
        args.extend(["--key".to_string(), path(&p.controller1.key)]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    Fake::start(&args)
}

#[test]
fn controller_url_over_plain_http_fetches_verifies_and_rotates() {
    let p = pki();
    let fake = controller_fake(&[
        "--key",
        &path(&p.controller1.key),
        "--key",
        &path(&p.controller2.key),
    ]);
    let url = format!("http://127.0.0.1:{}", fake.port);
    let c = Controller::connect(ControllerEndpoint::Url(url.clone()), net()).unwrap();
    assert_eq!(c.describe(), format!("controller {url}/"));
    let got = c.fetch_cert().unwrap();
    assert_eq!(got.pem, p.controller1.cert_pem);
    assert_eq!(got.origin, format!("controller {url}/"));
    c.healthz().unwrap();

    let sealed = seal(
        &p.controller1.cert,
        "dev",
        "db",
        "cluster-wide",
        &[("PASSWORD", "hunter2-value")],
    );
    c.verify(&sealed).unwrap();
    let rotated = c.rotate(&sealed).unwrap();
    assert_eq!(
        unseal(&p.controller2.key, &rotated),
        Some(serde_json::json!({"PASSWORD": "hunter2-value"}))
    );
    assert_eq!(unseal(&p.controller1.key, &rotated), None);

    let mut wrong: serde_json::Value = serde_json::from_slice(&sealed).unwrap();
    wrong["spec"]["encryptedData"]["PASSWORD"] = "AgAAAAAAAAAA".into();
    let e = c.verify(&serde_json::to_vec(&wrong).unwrap()).unwrap_err();
    assert!(matches!(e, SourceError::CannotDecrypt { .. }), "{e}");
    assert!(e.to_string().contains("dev/db"), "{e}");
    let e = c.rotate(&serde_json::to_vec(&wrong).unwrap()).unwrap_err();
    assert!(matches!(e, SourceError::CannotDecrypt { .. }), "{e}");
    assert_clean(&e.to_string(), &["hunter2-value"]);

    let paths: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            "GET /v1/cert.pem",
            "GET /healthz",
            "POST /v1/verify",
            "POST /v1/rotate",
            "POST /v1/verify",
            "POST /v1/rotate"
        ]
    );
}

#[test]
fn controller_url_keeps_a_path_prefix() {
    let fake = controller_fake(&["--prefix", "/sealed-secrets"]);
    let c = Controller::connect(
        ControllerEndpoint::Url(format!("http://127.0.0.1:{}/sealed-secrets", fake.port)),
        net(),
    )
    .unwrap();
    assert_eq!(c.fetch_cert().unwrap().pem, pki().controller1.cert_pem);
    assert_eq!(fake.requests()[0]["path"], "/sealed-secrets/v1/cert.pem");
}

#[test]
fn controller_url_over_https_needs_a_trusted_ca() {
    let p = pki();
    let fake = controller_fake(&[
        "--tls-cert",
        &path(&p.server.cert),
        "--tls-key",
        &path(&p.server.key),
    ]);
    let url = format!("https://127.0.0.1:{}", fake.port);
    let e = Controller::connect(ControllerEndpoint::Url(url.clone()), net())
        .unwrap()
        .fetch_cert()
        .unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Tls {
                step: Step::Controller,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("not signed by a CA trusted here"),
        "{e}"
    );

    let mut n = net();
    n.extra_root_ca_pem = Some(p.ca.cert_pem.clone());
    let c = Controller::connect(ControllerEndpoint::Url(url), n.clone()).unwrap();
    assert_eq!(c.fetch_cert().unwrap().pem, p.controller1.cert_pem);

    let expired = controller_fake(&[
        "--tls-cert",
        &path(&p.expired_server.cert),
        "--tls-key",
        &path(&p.expired_server.key),
    ]);
    let e = Controller::connect(
        ControllerEndpoint::Url(format!("https://127.0.0.1:{}", expired.port)),
        n,
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    assert!(matches!(e, SourceError::Tls { .. }), "{e}");
    assert!(e.to_string().contains("expired"), "{e}");
}

#[test]
fn https_against_a_plain_http_server_is_a_tls_error() {
    let plain = controller_fake(&[]);
    let mut n = net();
    n.get_attempts = 1;
    let e = Controller::connect(
        ControllerEndpoint::Url(format!("https://127.0.0.1:{}", plain.port)),
        n,
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    assert!(matches!(e, SourceError::Tls { .. }), "{e}");
    assert!(e.to_string().contains("does not seem to speak TLS"), "{e}");
}

#[test]
fn refused_and_silent_controllers() {
    // A port with nothing listening: refused, retried get_attempts times, then reported.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = Instant::now();
    let e = Controller::connect(
        ControllerEndpoint::Url(format!("http://127.0.0.1:{port}")),
        net(),
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Connect {
                step: Step::Controller,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("Connection refused")
            || e.to_string().contains("connection refused"),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(5));

    let fake = controller_fake(&["--hang", "/v1/verify", "--hang-seconds", "10"]);
    let mut n = net();
    n.request_timeout = Duration::from_secs(1);
    let c = Controller::connect(
        ControllerEndpoint::Url(format!("http://127.0.0.1:{}", fake.port)),
        n,
    )
    .unwrap();
    let sealed = seal(
        &pki().controller1.cert,
        "dev",
        "db",
        "strict",
        &[("K", "v")],
    );
    let t = Instant::now();
    let e = c.verify(&sealed).unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Timeout {
                step: Step::Controller,
                ..
            }
        ),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert_eq!(e.kind(), Kind::Network);
}

#[test]
fn cert_spec_reads_files_file_urls_and_http_urls() {
    let p = pki();
    let got = load_cert_bytes_with(&path(&p.controller1.cert), &net()).unwrap();
    assert_eq!(got.pem, p.controller1.cert_pem);
    assert_eq!(got.origin, path(&p.controller1.cert));
    assert_eq!(got.unverified, None);

    let dir = tempfile::tempdir().unwrap();
    let spaced = dir.path().join("my cert.pem");
    std::fs::copy(&p.controller2.cert, &spaced).unwrap();
    let url = format!("file://{}", path(&spaced).replace(' ', "%20"));
    let got = load_cert_bytes_with(&url, &net()).unwrap();
    assert_eq!(got.pem, p.controller2.cert_pem);
    assert_eq!(got.origin, path(&spaced));

    let fake = controller_fake(&[]);
    let got = load_cert_bytes_with(
        &format!("http://reader:s3cretpw@127.0.0.1:{}/v1/cert.pem", fake.port),
        &net(),
    )
    .unwrap();
    assert_eq!(got.pem, p.controller1.cert_pem);
    assert_eq!(
        got.origin,
        format!("http://127.0.0.1:{}/v1/cert.pem", fake.port),
        "no credentials in the origin"
    );
    assert_eq!(got.unverified, None, "loopback http is a port-forward");

    let e = load_cert_bytes_with(
        &format!("http://reader:s3cretpw@127.0.0.1:{}/nope.pem", fake.port),
        &net(),
    )
    .unwrap_err();
    assert!(
        matches!(e, SourceError::Controller { status: 404, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("404 Not Found") && !e.to_string().contains("s3cretpw"),
        "{e}"
    );

    let e = load_cert_bytes_with(&path(&dir.path().join("absent.pem")), &net()).unwrap_err();
    assert!(matches!(e, SourceError::CertFile { .. }), "{e}");
    assert!(
        e.to_string().contains("absent.pem") && e.to_string().contains("SEALED_SECRETS_CERT"),
        "{e}"
    );
    assert_eq!(e.kind(), Kind::Cert);

    let e = load_cert_bytes_with("s3://bucket/cert.pem", &net()).unwrap_err();
    assert!(matches!(e, SourceError::Input(_)), "{e}");
}

/// A certificate URL over plain `http://` to another machine is as
/// unauthenticated as a `--controller-url` there (anyone on the path can answer
/// with their own key): the answer says why, so the binary can warn. The host is
/// a name only an HTTP proxy reaches (the fake serves the proxied request itself).
#[test]
fn certificate_url_over_plain_http_to_another_machine_is_unverified() {
    let fake = controller_fake(&["--prefix", "http://certs.example"]);
    let proxy = format!("http://127.0.0.1:{}", fake.port);
    let mut n = net();
    n.proxy_env = empseal_controller::ProxyEnv::from_lookup(move |k| {
        (k == "HTTP_PROXY").then(|| proxy.clone())
    });
    let got = load_cert_bytes_with("http://certs.example/v1/cert.pem", &n).unwrap();
    assert_eq!(got.pem, pki().controller1.cert_pem);
    assert_eq!(got.origin, "http://certs.example/v1/cert.pem");
    let why = got.unverified.expect("plain http:// to another machine");
    assert!(
        why.contains("http://certs.example/v1/cert.pem") && why.contains("plain http://"),
        "{why}"
    );
    assert_eq!(fake.requests().len(), 1, "{:?}", fake.requests());
}

#[test]
fn oversized_answers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.pem");
    let mut data = b"-----BEGIN CERTIFICATE-----\n".to_vec();
    data.resize(17 << 20, b'A');
    std::fs::write(&big, &data).unwrap();
    let fake = controller_fake(&["--cert-pem", &path(&big)]);
    let e = Controller::connect(
        ControllerEndpoint::Url(format!("http://127.0.0.1:{}", fake.port)),
        net(),
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    assert!(
        matches!(e, SourceError::BadResponse { .. })
            && e.to_string().contains("larger than 16 MiB"),
        "{e}"
    );

    // Through the API server's service proxy too.
    let api = Fake::apiserver(&["--cert-pem", &path(&big)]);
    let kc = fake_kubeconfig(dir.path(), &api, &User::Token(TOKEN));
    let e = Controller::connect(
        ControllerEndpoint::Cluster {
            kube: empseal_controller::KubeOptions::file(&kc, None),
            controller: empseal_controller::ControllerRef::default(),
        },
        net(),
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    assert!(
        matches!(e, SourceError::BadResponse { .. })
            && e.to_string().contains("larger than 16 MiB"),
        "{e}"
    );
}

#[test]
fn a_200_that_is_not_a_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("index.html");
    std::fs::write(&html, "<html>login page</html>").unwrap();
    let fake = controller_fake(&["--cert-pem", &path(&html)]);
    let e = Controller::connect(
        ControllerEndpoint::Url(format!("http://127.0.0.1:{}", fake.port)),
        net(),
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::BadResponse {
                step: Step::Controller,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("did not return a PEM certificate"),
        "{e}"
    );
}

/// Issue 17: an `https://` certificate URL or `--controller-url` must never be
/// downgraded to `http://` by a redirect (cert fetch, seal --cert URL, validate
/// and reencrypt all go through the same client).
#[test]
fn https_redirect_to_plain_http_is_refused_never_downgraded() {
    let p = pki();
    let plain = controller_fake(&[]);
    let target = format!("http://127.0.0.1:{}", plain.port);
    let redirector = controller_fake(&[
        "--tls-cert",
        &path(&p.server.cert),
        "--tls-key",
        &path(&p.server.key),
        "--redirect-to",
        &target,
    ]);
    let mut n = net();
    n.extra_root_ca_pem = Some(p.ca.cert_pem.clone());
    let https = format!("https://127.0.0.1:{}", redirector.port);

    // cert fetch / validate / reencrypt: the controller client
    let c = Controller::connect(ControllerEndpoint::Url(https.clone()), n.clone()).unwrap();
    let e = c.fetch_cert().unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::BadResponse {
                step: Step::Controller,
                ..
            }
        ),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("refused a redirect from https:// to http://127.0.0.1"),
        "{msg}"
    );
    assert_eq!(e.kind(), Kind::Network);
    let sealed = seal(&p.controller1.cert, "dev", "db", "strict", &[("K", "v")]);
    assert!(matches!(
        c.verify(&sealed).unwrap_err(),
        SourceError::BadResponse { .. }
    ));
    assert!(matches!(
        c.rotate(&sealed).unwrap_err(),
        SourceError::BadResponse { .. }
    ));

    // seal --cert https://...
    let e = load_cert_bytes_with(&format!("{https}/v1/cert.pem"), &n).unwrap_err();
    assert!(e.to_string().contains("refused a redirect"), "{e}");

    // The plain-HTTP server never saw a request.
    assert!(plain.requests().is_empty(), "{:?}", plain.requests());
    assert_eq!(redirector.requests().len(), 4, "no retries of a refusal");
}

/// Issue 17 (pin over unverified transport): a plain `http://` controller URL or
/// API server on another machine is as unauthenticated as
/// `insecure-skip-tls-verify`, so `cert fetch --env` refuses to pin from it; a
/// loopback `http://` (kubectl port-forward) and any `https://` are verified.
#[test]
fn plain_http_to_another_machine_counts_as_unverified_for_pins() {
    for (url, unverified) in [
        ("http://controller.example:8080", true),
        ("http://10.1.2.3:8080/prefix", true),
        ("http://127.0.0.1:8080", false),
        ("http://localhost:8080", false),
        ("http://[::1]:8080", false),
        ("https://controller.example", false),
    ] {
        let c = Controller::connect(ControllerEndpoint::Url(url.into()), net()).unwrap();
        assert_eq!(c.unverified_tls().is_some(), unverified, "{url}");
    }
    let dir = tempfile::tempdir().unwrap();
    for (server, unverified) in [
        ("http://api.example:6443", true),
        ("http://127.0.0.1:6443", false),
        ("https://api.example:6443", false),
    ] {
        let kc = write_kubeconfig(
            dir.path(),
            "kc",
            server,
            &pki().ca.cert_pem,
            &User::Token(TOKEN),
        );
        let c = Controller::connect(
            ControllerEndpoint::Cluster {
                kube: empseal_controller::KubeOptions::file(&kc, None),
                controller: empseal_controller::ControllerRef::default(),
            },
            net(),
        )
        .unwrap();
        let why = c.unverified_tls();
        assert_eq!(why.is_some(), unverified, "{server}");
        if let Some(w) = why {
            assert!(w.contains("plain http://"), "{w}");
        }
    }
}
