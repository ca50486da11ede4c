//! The controller through a (fake, real-TLS) Kubernetes API server's service proxy,
//! driven by generated kubeconfigs: token, client certificate and exec plugin
//! users; verify and rotate with real keys; and every failure the issue lists.

use crate::support;

use std::time::{Duration, Instant};

use empseal_controller::{
    Controller, ControllerEndpoint, ControllerRef, Kind, KubeOptions, NetOptions, SourceError, Step,
};
use support::*;

fn cluster(kubeconfig: &std::path::Path) -> ControllerEndpoint {
    ControllerEndpoint::Cluster {
        kube: KubeOptions::file(kubeconfig, None),
        controller: ControllerRef::default(),
    }
}

fn connect(kubeconfig: &std::path::Path, net: NetOptions) -> Result<Controller, SourceError> {
    Controller::connect(cluster(kubeconfig), net)
}

const PROXY_CERT_PATH: &str =
    "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem";
const SERVICE_PATH: &str = "/api/v1/namespaces/kube-system/services/sealed-secrets-controller";

#[test]
fn fetches_the_certificate_with_a_bearer_token() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let c = connect(&kc, net()).unwrap();
    let got = c.fetch_cert().unwrap();
    assert_eq!(
        got.pem,
        pki().controller1.cert_pem,
        "served certificate bytes"
    );
    assert_eq!(
        got.origin,
        format!(
            "cluster {} service kube-system/sealed-secrets-controller",
            fake.https_url()
        )
    );
    let reqs = fake.requests();
    let paths: Vec<_> = reqs
        .iter()
        .map(|r| (r["method"].as_str().unwrap(), r["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        paths,
        vec![("GET", SERVICE_PATH), ("GET", PROXY_CERT_PATH)],
        "kubeseal's two requests"
    );
    assert!(reqs.iter().all(|r| r["auth"] == "bearer"), "{reqs:?}");
}

#[test]
fn fetches_with_a_client_certificate_custom_controller_and_port_name() {
    let fake = Fake::apiserver(&[
        "--namespace",
        "sealing",
        "--service",
        "ss",
        "--port-name",
        "web",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::ClientCert(&pki().client));
    let env = |k: &str| match k {
        "SEALED_SECRETS_CONTROLLER_NAME" => Some("ss".to_string()),
        "SEALED_SECRETS_CONTROLLER_NAMESPACE" => Some("sealing".to_string()),
        _ => None,
    };
    let controller = ControllerRef::resolve(None, None, env).unwrap();
    let c = Controller::connect(
        ControllerEndpoint::Cluster {
            kube: KubeOptions::file(&kc, None),
            controller,
        },
        net(),
    )
    .unwrap();
    assert_eq!(c.fetch_cert().unwrap().pem, pki().controller1.cert_pem);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["path"], "/api/v1/namespaces/sealing/services/ss");
    assert_eq!(
        reqs[1]["path"],
        "/api/v1/namespaces/sealing/services/http:ss:web/proxy/v1/cert.pem"
    );
    assert!(reqs.iter().all(|r| r["auth"] == "cert:alice"), "{reqs:?}");
}

#[test]
fn fetches_with_an_exec_credential_plugin() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let plugin = exec_plugin(dir.path(), TOKEN, 0);
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Exec(&plugin));
    let c = connect(&kc, net()).unwrap();
    assert_eq!(c.fetch_cert().unwrap().pem, pki().controller1.cert_pem);
    assert!(fake.requests().iter().all(|r| r["auth"] == "bearer"));
    let runs = std::fs::read_to_string(dir.path().join("plugin-runs")).unwrap();
    assert!(runs.lines().count() >= 1, "the plugin ran");
}

#[test]
fn kubeconfig_list_is_merged_and_context_selected() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    // First file: current-context points to a closed port; second file defines "good".
    let bad = dir.path().join("a.yaml");
    std::fs::write(
        &bad,
        kubeconfig_yaml(
            "https://127.0.0.1:1",
            &pki().ca.cert_pem,
            &User::Token(TOKEN),
            "broken",
        ),
    )
    .unwrap();
    let good = dir.path().join("b.yaml");
    std::fs::write(
        &good,
        kubeconfig_yaml(
            &fake.https_url(),
            &pki().ca.cert_pem,
            &User::Token(TOKEN),
            "good",
        ),
    )
    .unwrap();
    let list = std::env::join_paths([&bad, &dir.path().join("missing.yaml"), &good]).unwrap();
    let opts = |context: Option<&str>| KubeOptions {
        kubeconfig: None,
        context: context.map(str::to_string),
        kubeconfig_env: Some(list.clone()),
        home: None,
        allow_in_cluster: false,
        ..KubeOptions::default()
    };
    let c = Controller::connect(
        ControllerEndpoint::Cluster {
            kube: opts(Some("good")),
            controller: ControllerRef::default(),
        },
        net(),
    )
    .unwrap();
    assert_eq!(c.fetch_cert().unwrap().pem, pki().controller1.cert_pem);
    assert!(c.describe().contains("(context good)"), "{}", c.describe());

    // The first file's current-context wins without --context: a closed port.
    let mut n = net();
    n.get_attempts = 1;
    let e = Controller::connect(
        ControllerEndpoint::Cluster {
            kube: opts(None),
            controller: ControllerRef::default(),
        },
        n,
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Connect {
                step: Step::ServiceLookup,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("cannot connect to https://127.0.0.1:1:"),
        "{e}"
    );

    let e = Controller::connect(
        ControllerEndpoint::Cluster {
            kube: opts(Some("nope")),
            controller: ControllerRef::default(),
        },
        net(),
    )
    .err()
    .unwrap();
    assert_eq!(e.step(), Step::Kubeconfig);
    assert!(e.to_string().contains("\"nope\""), "{e}");
}

#[test]
fn verify_accepts_what_the_controller_can_decrypt_and_409_otherwise() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let c = connect(&kc, net()).unwrap();
    let good = seal(
        &pki().controller1.cert,
        "paper",
        "broker-creds",
        "strict",
        &[("API_KEY", "plain-value-1")],
    );
    c.verify(&good).unwrap();
    // Same ciphertext, but claimed for another name: the OAEP label no longer matches.
    let mut v: serde_json::Value = serde_json::from_slice(&good).unwrap();
    v["metadata"]["name"] = "other".into();
    let e = c.verify(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(matches!(e, SourceError::CannotDecrypt { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("paper/other") && msg.contains("409"), "{msg}");
    assert_clean(&msg, &["plain-value-1"]);
    assert_eq!(e.kind(), Kind::Decrypt);
    // Sealed with a key the controller does not have.
    let foreign = seal(
        &pki().controller2.cert,
        "paper",
        "broker-creds",
        "strict",
        &[("API_KEY", "plain-value-2")],
    );
    assert!(matches!(
        c.verify(&foreign),
        Err(SourceError::CannotDecrypt { .. })
    ));
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r["method"] == "POST")
        .count();
    assert_eq!(posts, 3);
}

#[test]
fn rotate_reencrypts_with_the_latest_key() {
    let p = pki();
    let fake = Fake::apiserver_after_key_renewal();
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let c = connect(&kc, net()).unwrap();
    let old = seal(
        &p.controller1.cert,
        "paper",
        "broker-creds",
        "namespace-wide",
        &[("API_KEY", "k-123"), ("API_SECRET", "s-456")],
    );
    let rotated = c.rotate(&old).unwrap();
    let expected = serde_json::json!({"API_KEY": "k-123", "API_SECRET": "s-456"});
    assert_eq!(
        unseal(&p.controller2.key, &rotated),
        Some(expected.clone()),
        "new key opens the rotated secret"
    );
    assert_eq!(
        unseal(&p.controller1.key, &rotated),
        None,
        "old key no longer does"
    );
    assert_eq!(unseal(&p.controller1.key, &old), Some(expected));
    let v: serde_json::Value = serde_json::from_slice(&rotated).unwrap();
    assert_eq!(
        v["metadata"]["annotations"]["sealedsecrets.bitnami.com/namespace-wide"],
        "true"
    );

    // Something it cannot decrypt: 409.
    let mut bad: serde_json::Value = serde_json::from_slice(&old).unwrap();
    bad["metadata"]["namespace"] = "prod".into();
    let e = c.rotate(&serde_json::to_vec(&bad).unwrap()).unwrap_err();
    assert!(
        matches!(e, SourceError::CannotDecrypt { ref operation, .. } if operation == "POST /v1/rotate"),
        "{e}"
    );
    assert_clean(&e.to_string(), &["k-123", "s-456"]);
}

#[test]
fn rotate_500_like_the_real_controller_is_explained() {
    let fake = Fake::apiserver(&["--rotate-fail-status", "500"]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let c = connect(&kc, net()).unwrap();
    let foreign = seal(
        &pki().controller2.cert,
        "paper",
        "x",
        "strict",
        &[("A", "secret-a")],
    );
    let e = c.rotate(&foreign).unwrap_err();
    assert!(
        matches!(e, SourceError::Controller { status: 500, .. }),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with("controller: ") && msg.contains("cannot decrypt"),
        "{msg}"
    );
    assert_clean(&msg, &["secret-a"]);
}

#[test]
fn wrong_ca_is_a_tls_error_naming_the_kubeconfig_ca() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(
        dir.path(),
        "kc",
        &fake.https_url(),
        &pki().other_ca.cert_pem,
        &User::Token(TOKEN),
    );
    let e = connect(&kc, net()).unwrap().fetch_cert().unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            SourceError::Tls {
                step: Step::ServiceLookup,
                ..
            }
        ),
        "{msg}"
    );
    // The server sends its CA along (OpenSSL's auto-chain), so the verifier sees an
    // untrusted self-signed root; without it, "unable to get local issuer certificate".
    assert!(
        msg.contains("self-signed certificate in certificate chain")
            || msg.contains("unable to get local issuer certificate"),
        "{msg}"
    );
    assert!(
        msg.contains("not signed by a CA trusted here") && msg.contains("certificate-authority"),
        "{msg}"
    );
    assert_clean(&msg, &[]);
    assert!(fake.requests().is_empty(), "no request got through");
    assert_eq!(e.kind(), Kind::Network);
}

#[test]
fn expired_server_certificate_is_a_tls_error_saying_expired() {
    let p = pki();
    let fake = Fake::apiserver(&[
        "--tls-cert",
        &path(&p.expired_server.cert),
        "--tls-key",
        &path(&p.expired_server.key),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let e = connect(&kc, net()).unwrap().fetch_cert().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SourceError::Tls { .. }), "{msg}");
    assert!(
        msg.contains("certificate has expired") && msg.contains("renew"),
        "{msg}"
    );
    assert_clean(&msg, &[]);
}

#[test]
fn wrong_token_is_401_and_never_printed() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(WRONG_TOKEN));
    let e = connect(&kc, net()).unwrap().fetch_cert().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SourceError::Auth { status: 401, .. }), "{msg}");
    assert!(
        msg.starts_with("authentication: ") && msg.contains("401 Unauthorized"),
        "{msg}"
    );
    assert_clean(&msg, &[]);
    assert!(
        !format!("{e:?}").contains(WRONG_TOKEN),
        "Debug leaks the token"
    );
}

#[test]
fn forbidden_is_403_with_an_rbac_hint() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(FORBIDDEN_TOKEN));
    let e = connect(&kc, net()).unwrap().fetch_cert().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SourceError::Auth { status: 403, .. }), "{msg}");
    assert!(
        msg.contains("403 Forbidden") && msg.contains("cannot get resource"),
        "{msg}"
    );
    assert!(
        msg.contains("RBAC")
            && msg.contains("kubectl auth can-i get services/proxy -n kube-system"),
        "{msg}"
    );
    assert_clean(&msg, &[]);
    // Same for a client certificate the server knows but does not allow.
    let kc2 = write_kubeconfig(
        dir.path(),
        "kc2",
        &fake.https_url(),
        &pki().ca.cert_pem,
        &User::ClientCert(&pki().forbidden_client),
    );
    let e = connect(&kc2, net()).unwrap().fetch_cert().unwrap_err();
    assert!(matches!(e, SourceError::Auth { status: 403, .. }), "{e}");
}

#[test]
fn missing_service_names_it_and_the_overrides() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let e = Controller::connect(
        ControllerEndpoint::Cluster {
            kube: KubeOptions::file(&kc, None),
            controller: ControllerRef::resolve(Some("sealed-secrets"), Some("infra"), |_| None)
                .unwrap(),
        },
        net(),
    )
    .unwrap()
    .fetch_cert()
    .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SourceError::ServiceNotFound { .. }), "{msg}");
    assert!(
        msg.starts_with("service lookup: service infra/sealed-secrets not found"),
        "{msg}"
    );
    assert!(msg.contains("SEALED_SECRETS_CONTROLLER_NAMESPACE"), "{msg}");
    assert_eq!(fake.requests().len(), 1, "404 is not retried");
}

#[test]
fn service_without_ports_and_without_endpoints() {
    let fake = Fake::apiserver(&["--no-ports"]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let e = connect(&kc, net()).unwrap().fetch_cert().unwrap_err();
    assert!(
        matches!(e, SourceError::ServiceLookup { .. }) && e.to_string().contains("no ports"),
        "{e}"
    );

    let fake = Fake::apiserver(&["--no-endpoints"]);
    let kc = write_kubeconfig(
        dir.path(),
        "kc2",
        &fake.https_url(),
        &pki().ca.cert_pem,
        &User::Token(TOKEN),
    );
    let e = connect(&kc, net()).unwrap().fetch_cert().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SourceError::Proxy { .. }), "{msg}");
    assert!(
        msg.contains("no endpoints available") && msg.contains("kubectl get pods"),
        "{msg}"
    );
    // 503 from the proxy is transient for a GET: tried get_attempts times.
    let proxied = fake
        .requests()
        .iter()
        .filter(|r| r["path"] == PROXY_CERT_PATH)
        .count();
    assert_eq!(proxied, 3);
}

#[test]
fn idempotent_service_lookup_is_retried_but_posts_are_not() {
    let fake = Fake::apiserver(&["--flaky-service-gets", "2", "--flaky-proxy-posts", "1"]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let c = connect(&kc, net()).unwrap();
    assert_eq!(c.fetch_cert().unwrap().pem, pki().controller1.cert_pem);
    let gets: Vec<_> = fake
        .requests()
        .iter()
        .filter(|r| r["path"] == SERVICE_PATH)
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(
        gets,
        vec![
            serde_json::json!(503),
            serde_json::json!(503),
            serde_json::json!(200)
        ]
    );

    let sealed = seal(
        &pki().controller1.cert,
        "paper",
        "a",
        "strict",
        &[("K", "v")],
    );
    let e = c.verify(&sealed).unwrap_err();
    assert!(matches!(e, SourceError::Proxy { .. }), "{e}");
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r["method"] == "POST")
        .count();
    assert_eq!(posts, 1, "a POST is sent once");
    c.verify(&sealed).unwrap();
}

#[test]
fn a_controller_that_never_answers_times_out() {
    let fake = Fake::apiserver(&["--hang", "/v1/cert.pem", "--hang-seconds", "15"]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let mut n = net();
    n.request_timeout = Duration::from_secs(1);
    let c = connect(&kc, n).unwrap();
    let t = Instant::now();
    let e = c.fetch_cert().unwrap_err();
    let took = t.elapsed();
    assert!(
        matches!(
            e,
            SourceError::Timeout {
                step: Step::Proxy,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("within 1s"), "{e}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_clean(&e.to_string(), &[]);
}

#[test]
fn a_server_that_accepts_and_stays_silent_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        // Accept one connection and hold it, silent, for a bounded time.
        listener.set_nonblocking(false).unwrap();
        let conn = listener.accept();
        std::thread::sleep(Duration::from_secs(4));
        drop(conn);
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(
        dir.path(),
        "kc",
        &format!("https://127.0.0.1:{port}"),
        &pki().ca.cert_pem,
        &User::Token(TOKEN),
    );
    let mut n = net();
    n.request_timeout = Duration::from_secs(1);
    let t = Instant::now();
    let e = connect(&kc, n).unwrap().fetch_cert().unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Timeout {
                step: Step::ServiceLookup,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    holder.join().unwrap();
}

#[test]
fn exec_plugin_failure_is_reported_without_its_output() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let plugin = exec_plugin(dir.path(), TOKEN, 1);
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Exec(&plugin));
    let e = connect(&kc, net()).err().expect("plugin failure");
    let msg = e.to_string();
    assert!(matches!(e, SourceError::Credentials { .. }), "{msg}");
    assert!(
        msg.contains("cred-plugin.sh") && msg.contains("exit status: 1"),
        "{msg}"
    );
    assert_clean(&msg, &[]);
    assert!(fake.requests().is_empty());
}

#[test]
fn kubeconfig_problems_are_kubeconfig_errors_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    let e = connect(&missing, net()).err().unwrap();
    assert_eq!(e.step(), Step::Kubeconfig);
    assert!(
        e.to_string().contains("nope.yaml") && e.to_string().contains("--kubeconfig"),
        "{e}"
    );

    // Broken YAML right next to a token: the parser's quote must not leak it.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        format!("apiVersion: v1\nusers:\n- name: u\n  user:\n    token: {TOKEN}\n  - : [\n"),
    )
    .unwrap();
    let e = connect(&bad, net()).err().unwrap();
    assert_eq!(e.step(), Step::Kubeconfig, "{e}");
    assert!(e.to_string().contains("bad.yaml"), "{e}");
    assert_clean(&e.to_string(), &[]);

    let none = KubeOptions {
        allow_in_cluster: false,
        ..KubeOptions::default()
    };
    let e = Controller::connect(
        ControllerEndpoint::Cluster {
            kube: none,
            controller: ControllerRef::default(),
        },
        net(),
    )
    .err()
    .unwrap();
    assert!(
        e.to_string().starts_with("kubeconfig: no kubeconfig found"),
        "{e}"
    );
}

#[test]
fn https_proxy_is_used_no_proxy_honoured_and_kubeconfig_proxy_url_wins() {
    use empseal_controller::ProxyEnv;
    let fake = Fake::apiserver(&[]);
    let proxy = Fake::start(&[
        "--role".to_string(),
        "proxy".to_string(),
        "--map".to_string(),
        format!("apiserver.test:{}={}", fake.port, fake.port),
    ]);
    let dir = tempfile::tempdir().unwrap();
    // A name only the proxy can resolve: a direct connection cannot succeed.
    let server = format!("https://apiserver.test:{}", fake.port);
    let kc = write_kubeconfig(
        dir.path(),
        "kc",
        &server,
        &pki().ca.cert_pem,
        &User::Token(TOKEN),
    );
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let env_with = |no_proxy: Option<&str>, https: &str| {
        let (https, no) = (https.to_string(), no_proxy.map(str::to_string));
        ProxyEnv::from_lookup(move |k| match k {
            "HTTPS_PROXY" => Some(https.clone()),
            "NO_PROXY" => no.clone(),
            _ => None,
        })
    };

    let mut n = net();
    n.proxy_env = env_with(None, &proxy_url);
    assert_eq!(
        connect(&kc, n).unwrap().fetch_cert().unwrap().pem,
        pki().controller1.cert_pem
    );
    let tunnels = proxy.requests();
    assert!(!tunnels.is_empty());
    assert!(
        tunnels.iter().all(|t| t["proxy"]
            == format!("CONNECT apiserver.test:{} HTTP/1.1", fake.port)
            && t["status"] == 200),
        "{tunnels:?}"
    );
    assert_eq!(fake.requests().len(), 2);

    // NO_PROXY names the API server: direct connection (which cannot resolve the name).
    let mut n = net();
    n.get_attempts = 1;
    n.proxy_env = env_with(Some("example.org, apiserver.test"), &proxy_url);
    let e = connect(&kc, n).unwrap().fetch_cert().unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Connect {
                step: Step::ServiceLookup,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        proxy.requests().len(),
        tunnels.len(),
        "the proxy was bypassed"
    );

    // The proxy is down: a proxy error naming the variable.
    let mut n = net();
    n.get_attempts = 1;
    n.proxy_env = env_with(None, "http://user:pw@127.0.0.1:1");
    let e = connect(&kc, n).unwrap().fetch_cert().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SourceError::Proxy { .. }), "{msg}");
    assert!(
        msg.starts_with("proxy: ") && msg.contains("HTTPS_PROXY") && !msg.contains("pw"),
        "{msg}"
    );

    // The kubeconfig's proxy-url wins over the environment.
    let yaml = kubeconfig_yaml(&server, &pki().ca.cert_pem, &User::Token(TOKEN), "test").replace(
        &format!("    server: {server}\n"),
        &format!("    server: {server}\n    proxy-url: {proxy_url}\n"),
    );
    let kc2 = dir.path().join("kc2");
    std::fs::write(&kc2, yaml).unwrap();
    let mut n = net();
    n.proxy_env = env_with(None, "http://127.0.0.1:1");
    assert_eq!(
        connect(&kc2, n).unwrap().fetch_cert().unwrap().pem,
        pki().controller1.cert_pem
    );
    assert!(proxy.requests().len() > tunnels.len());
}

#[test]
fn insecure_skip_tls_verify_in_the_kubeconfig_is_honoured_and_only_then() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    // No CA at all: the server's certificate cannot be verified...
    let strict = kubeconfig_yaml(&fake.https_url(), b"", &User::Token(TOKEN), "test")
        .replace("    certificate-authority-data: \n", "");
    let kc = dir.path().join("strict");
    std::fs::write(&kc, &strict).unwrap();
    let e = connect(&kc, net()).unwrap().fetch_cert().unwrap_err();
    assert!(matches!(e, SourceError::Tls { .. }), "{e}");
    // ...unless the kubeconfig says to skip verification.
    let insecure = strict.replace(
        &format!("    server: {}\n", fake.https_url()),
        &format!(
            "    server: {}\n    insecure-skip-tls-verify: true\n",
            fake.https_url()
        ),
    );
    assert_ne!(insecure, strict);
    let kc = dir.path().join("insecure");
    std::fs::write(&kc, insecure).unwrap();
    assert_eq!(
        connect(&kc, net()).unwrap().fetch_cert().unwrap().pem,
        pki().controller1.cert_pem
    );
}
