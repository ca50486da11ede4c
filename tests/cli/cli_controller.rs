//! `empseal cert fetch`, `validate` and `reencrypt` through the real binary,
//! against the fake (real-TLS) API server and controller of tests/source/, driven
//! by a generated kubeconfig, as an operator would run them.

use crate::fake_cluster;

use std::path::Path;
use std::process::{Command, Output};

use fake_cluster::*;

use crate::BIN;

/// Runs in `cwd` with `HOME` there and none of the operator's settings that would
/// pick another certificate, controller or proxy.
fn isolated<'a>(cmd: &'a mut Command, cwd: &Path) -> &'a mut Command {
    cmd.env("HOME", cwd)
        .env_remove("SEALED_SECRETS_CERT")
        .env_remove("SEALED_SECRETS_CONTROLLER_NAME")
        .env_remove("SEALED_SECRETS_CONTROLLER_NAMESPACE")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .current_dir(cwd)
}

fn empseal(args: &[&str], kubeconfig: &Path, cwd: &Path) -> Output {
    isolated(Command::new(BIN).args(args), cwd)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("run empseal")
}

#[test]
fn cert_fetch_prints_writes_and_pins_per_env() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let out = empseal(&["cert", "fetch"], &kc, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, pki().controller1.cert_pem);

    let w = dir.path().join("cert.pem");
    let out = empseal(&["cert", "fetch", "-w", &path(&w)], &kc, dir.path());
    assert!(out.status.success());
    assert_eq!(std::fs::read(&w).unwrap(), pki().controller1.cert_pem);

    // Pin for an env of a repository layout.
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("k8s/overlays/paper")).unwrap();
    std::fs::write(
        root.join("k8s/overlays/paper/kustomization.yaml"),
        "namespace: emp-system-paper\n",
    )
    .unwrap();
    let out = empseal(&["cert", "fetch", "--env", "paper"], &kc, &root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pinned = root.join("k8s/overlays/paper/sealing/cert.pem");
    assert_eq!(std::fs::read(&pinned).unwrap(), pki().controller1.cert_pem);
    let pin = std::fs::read_to_string(root.join("k8s/overlays/paper/sealing/pin.yaml")).unwrap();
    assert!(
        pin.contains(&ssh_fingerprint(&pki().controller1.cert)),
        "{pin}"
    );

    // The controller now serves another key: refused, nothing changes, both fingerprints shown.
    let fake2 = Fake::apiserver(&["--cert-pem", &path(&pki().controller2.cert)]);
    let kc2 = write_kubeconfig(
        dir.path(),
        "kc2",
        &fake2.https_url(),
        &pki().ca.cert_pem,
        &User::Token(TOKEN),
    );
    let out = empseal(&["cert", "fetch", "--env", "paper"], &kc2, &root);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&ssh_fingerprint(&pki().controller1.cert)),
        "{err}"
    );
    assert!(
        err.contains(&ssh_fingerprint(&pki().controller2.cert)),
        "{err}"
    );
    assert_eq!(std::fs::read(&pinned).unwrap(), pki().controller1.cert_pem);
    let out = empseal(
        &["cert", "fetch", "--env", "paper", "--accept-new"],
        &kc2,
        &root,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&pinned).unwrap(), pki().controller2.cert_pem);
}

#[test]
fn validate_and_reencrypt_in_place_keep_the_file_layout() {
    let p = pki();
    let fake = Fake::apiserver_after_key_renewal();
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    // Seal with empseal for the old key, in the legacy YAML layout.
    let file = dir.path().join("sealed.yaml");
    let out = empseal(
        &[
            "seal",
            "--cert",
            &path(&p.controller1.cert),
            "--name",
            "broker-creds",
            "-n",
            "paper",
            "--from-literal",
            "API_KEY=k-123",
            "--kubeseal-layout",
            "legacy",
            "-w",
            &path(&file),
        ],
        &kc,
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = empseal(&["validate", "-f", &path(&file)], &kc, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("paper/broker-creds: valid"));

    let before = std::fs::read_to_string(&file).unwrap();
    let out = empseal(
        &["reencrypt", "-f", &path(&file), "--in-place"],
        &kc,
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    assert!(
        after.starts_with("---\n") && after.contains("creationTimestamp: null"),
        "{after}"
    );
    // Only the ciphertext line changed.
    let changed: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(before.lines().count(), after.lines().count());

    // Moved to another name, the controller cannot decrypt: exit 5, file untouched.
    let moved = dir.path().join("moved.yaml");
    std::fs::write(&moved, after.replace("broker-creds", "other")).unwrap();
    let out = empseal(&["validate", "-f", &path(&moved)], &kc, dir.path());
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snapshot = std::fs::read(&moved).unwrap();
    let out = empseal(
        &["reencrypt", "-f", &path(&moved), "--in-place"],
        &kc,
        dir.path(),
    );
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&moved).unwrap(), snapshot, "nothing written");
    assert_clean(String::from_utf8_lossy(&out.stderr).trim_end(), &["k-123"]);
}

/// Runs the binary as a pod would: no kubeconfig anywhere, `KUBERNETES_SERVICE_*`
/// pointing at the fake API server and, when `sa` is given, that directory's files
/// (token, ca.crt, namespace) mounted where kube-rs looks for the service account.
/// A private mount namespace (`unshare -m`, root) puts an empty tmpfs over /run so
/// the host's /var/run is never touched.
fn empseal_in_pod(args: &[&str], port: u16, sa: Option<&Path>, home: &Path) -> Output {
    let script = "mount -t tmpfs tmpfs /run && \
        if [ -n \"$SA_DIR\" ]; then \
          mkdir -p /var/run/secrets/kubernetes.io/serviceaccount && \
          cp \"$SA_DIR\"/* /var/run/secrets/kubernetes.io/serviceaccount/; \
        fi && exec \"$@\"";
    let mut cmd = Command::new("unshare");
    isolated(
        cmd.args(["-m", "sh", "-c", script, "sh", BIN]).args(args),
        home,
    )
    .env_remove("KUBECONFIG")
    .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    .env("KUBERNETES_SERVICE_PORT", port.to_string());
    match sa {
        Some(dir) => cmd.env("SA_DIR", dir),
        None => cmd.env_remove("SA_DIR"),
    };
    cmd.output().expect("run unshare")
}

/// Whether this machine lets the tests make a private mount namespace with its own
/// tmpfs (root with CAP_SYS_ADMIN, as on this project's CI machines).
fn can_mount_privately() -> bool {
    Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs tmpfs /run"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A pod's service account files: `token`, the test CA as `ca.crt`, `namespace`.
fn service_account(token: &str, namespace: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), token).unwrap();
    std::fs::write(dir.path().join("ca.crt"), &pki().ca.cert_pem).unwrap();
    std::fs::write(dir.path().join("namespace"), namespace).unwrap();
    dir
}

#[test]
fn in_cluster_config_uses_the_service_account() {
    if !can_mount_privately() && std::env::var_os("EMPSEAL_REQUIRE_UNSHARE").is_none() {
        eprintln!("SKIPPED in_cluster_config_uses_the_service_account: `unshare -m` with a tmpfs mount is not permitted here (needs root; set EMPSEAL_REQUIRE_UNSHARE=1 to fail instead)");
        return;
    }
    let fake = Fake::apiserver(&[]);
    let home = tempfile::tempdir().unwrap();
    let sa = service_account(TOKEN, "emp-system-paper\n");

    // The certificate through the API server's service proxy, with the pod's token.
    let out = empseal_in_pod(&["cert", "fetch"], fake.port, Some(sa.path()), home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, pki().controller1.cert_pem);
    let reqs = fake.requests();
    assert!(!reqs.is_empty());
    assert!(reqs.iter().all(|r| r["auth"] == "bearer"), "{reqs:?}");

    // Sealing without -n takes the service account's namespace, as kubeseal does.
    let cert = home.path().join("cert.pem");
    std::fs::write(&cert, &pki().controller1.cert_pem).unwrap();
    let out = empseal_in_pod(
        &[
            "seal",
            "--cert",
            &path(&cert),
            "--name",
            "broker-creds",
            "--from-literal",
            "API_KEY=k-123",
            "-o",
            "json",
        ],
        fake.port,
        Some(sa.path()),
        home.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sealed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sealed["metadata"]["namespace"], "emp-system-paper");
    let plain = unseal(&pki().controller1.key, &out.stdout).expect("unseals");
    assert_eq!(plain["API_KEY"], "k-123");

    // A token the API server rejects: exit 6, the token never printed.
    let bad = service_account("not-the-token-4711", "emp-system-paper");
    let out = empseal_in_pod(&["cert", "fetch"], fake.port, Some(bad.path()), home.path());
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_clean(err.trim_end(), &["not-the-token-4711"]);

    // Not in a pod (no service account files): one line saying so.
    let out = empseal_in_pod(&["cert", "fetch"], fake.port, None, home.path());
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not running in a cluster"), "{err}");
}

/// A repository with one env `paper` under `dir/repo`.
fn repo_with_paper(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("repo");
    std::fs::create_dir_all(root.join("k8s/overlays/paper")).unwrap();
    std::fs::write(
        root.join("k8s/overlays/paper/kustomization.yaml"),
        "namespace: emp-system-paper\n",
    )
    .unwrap();
    root
}

/// Issue 17: a kubeconfig with `insecure-skip-tls-verify: true` is not followed
/// silently, and a certificate fetched over unverified TLS never becomes a pin
/// unless --insecure-pin says so (loudly).
#[test]
fn insecure_skip_tls_verify_kubeconfig_cannot_create_a_pin() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let yaml = kubeconfig_yaml(&fake.https_url(), b"", &User::Token(TOKEN), "test");
    let yaml: String = yaml
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("certificate-authority-data:") {
                "    insecure-skip-tls-verify: true".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let kc = dir.path().join("kc-insecure");
    std::fs::write(&kc, yaml).unwrap();

    // Printing the certificate works, with a warning.
    let out = empseal(&["cert", "fetch"], &kc, dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("insecure-skip-tls-verify"), "{err}");

    // Pinning is refused; nothing is written.
    let root = repo_with_paper(dir.path());
    let out = empseal(&["cert", "fetch", "--env", "paper"], &kc, &root);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("refusing to pin"), "{err}");
    assert!(err.contains("--insecure-pin"), "{err}");
    assert!(!root.join("k8s/overlays/paper/sealing").exists());

    // An explicit flag pins, with a loud warning naming the fingerprint.
    let out = empseal(
        &["cert", "fetch", "--env", "paper", "--insecure-pin"],
        &kc,
        &root,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("UNVERIFIED TLS"), "{err}");
    assert!(
        err.contains(&ssh_fingerprint(&pki().controller1.cert)),
        "{err}"
    );
    assert_eq!(
        std::fs::read(root.join("k8s/overlays/paper/sealing/cert.pem")).unwrap(),
        pki().controller1.cert_pem
    );
}

/// Issue 17: `cert fetch --env` over a hand-placed cert.pem (same certificate, no
/// pin.yaml) said "unchanged" and left the record missing, which every later
/// `seal --env` refuses; it now writes pin.yaml.
#[test]
fn cert_fetch_env_writes_a_missing_pin_yaml_instead_of_unchanged() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let root = repo_with_paper(dir.path());
    let sealing = root.join("k8s/overlays/paper/sealing");
    std::fs::create_dir_all(&sealing).unwrap();
    std::fs::write(sealing.join("cert.pem"), &pki().controller1.cert_pem).unwrap();

    let out = empseal(&["cert", "fetch", "--env", "paper"], &kc, &root);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("unchanged"), "{err}");
    let pin = std::fs::read_to_string(sealing.join("pin.yaml")).expect("pin.yaml written");
    assert!(
        pin.contains(&ssh_fingerprint(&pki().controller1.cert)),
        "{pin}"
    );
    // Now it really is unchanged.
    let out = empseal(&["cert", "fetch", "--env", "paper"], &kc, &root);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unchanged"));
}

/// `cert fetch --all-envs`: each env's certificate comes from its own
/// kubeconfig context and controller as empseal.yaml names them (two fake API
/// servers, each serving its controller under other names, one kubeconfig
/// with a context for each; the current context is neither env's).
#[test]
fn cert_fetch_all_envs_pins_each_env_from_its_own_context_and_controller() {
    let p = pki();
    let paper = Fake::apiserver(&["--namespace", "ss-paper", "--service", "ctl-paper"]);
    let prod = Fake::apiserver(&[
        "--namespace",
        "ss-prod",
        "--service",
        "ctl-prod",
        "--cert-pem",
        &path(&p.controller2.cert),
        "--key",
        &path(&p.controller2.key),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let paper_kc = kubeconfig_yaml(
        &paper.https_url(),
        &p.ca.cert_pem,
        &User::Token(TOKEN),
        "paper-ctx",
    );
    let prod_kc = kubeconfig_yaml(
        &prod.https_url(),
        &p.ca.cert_pem,
        &User::Token(TOKEN),
        "prod-ctx",
    );
    // One kubeconfig holding both clusters, users and contexts.
    let section = |kc: &str, key: &str| -> String {
        let start = kc.find(&format!("\n{key}:\n")).unwrap() + key.len() + 3;
        let body = &kc[start..];
        let end = body
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .find(|&i| body[i..].starts_with(|c: char| c.is_ascii_lowercase()))
            .unwrap_or(body.len());
        body[..end].to_string()
    };
    let mut kc = String::from("apiVersion: v1\nkind: Config\n");
    for key in ["clusters", "users", "contexts"] {
        kc.push_str(&format!(
            "{key}:\n{}{}",
            section(&paper_kc, key),
            section(&prod_kc, key)
        ));
    }
    kc.push_str("current-context: prod-ctx\n");
    let kc_path = dir.path().join("kc");
    std::fs::write(&kc_path, kc).unwrap();

    let root = repo_with_paper(dir.path());
    std::fs::create_dir_all(root.join("k8s/overlays/prod")).unwrap();
    std::fs::write(
        root.join("k8s/overlays/prod/kustomization.yaml"),
        "namespace: emp-system-prod\n",
    )
    .unwrap();
    std::fs::write(
        root.join("empseal.yaml"),
        "envs:\n  paper:\n    context: paper-ctx\n    controllerNamespace: ss-paper\n    controllerName: ctl-paper\n  prod:\n    context: prod-ctx\n    controllerNamespace: ss-prod\n    controllerName: ctl-prod\n",
    )
    .unwrap();
    let out = empseal(&["cert", "fetch", "--all-envs"], &kc_path, &root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("env paper:\nenv prod:\n"), "{stdout}");
    for (env, pem) in [
        ("paper", &p.controller1.cert_pem),
        ("prod", &p.controller2.cert_pem),
    ] {
        let pinned = root.join(format!("k8s/overlays/{env}/sealing/cert.pem"));
        assert_eq!(&std::fs::read(&pinned).unwrap(), pem, "{env}");
    }
    assert!(!paper.requests().is_empty() && !prod.requests().is_empty());

    // A flag wins over empseal.yaml: prod's controller is not in paper's cluster.
    let out = empseal(
        &[
            "cert",
            "fetch",
            "--env",
            "paper",
            "--env",
            "prod",
            "--context",
            "paper-ctx",
            "--dry-run",
        ],
        &kc_path,
        &root,
    );
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("env prod:") && err.contains("ctl-prod"),
        "{err}"
    );
}

/// The fake controller serving `controller1`'s certificate, under `prefix`.
fn cert_server(prefix: &str) -> Fake {
    let p = pki();
    let args: Vec<String> = [
        "--role",
        "controller",
        "--cert-pem",
        &path(&p.controller1.cert),
        "--key",
        &path(&p.controller1.key),
        "--prefix",
        prefix,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Fake::start(&args)
}

/// Runs in `cwd` with `proxy` as the only proxy setting (`HTTP_PROXY`) and
/// `cert` as `SEALED_SECRETS_CERT` when given.
fn empseal_via_proxy(args: &[&str], proxy: &str, cert: Option<&str>, cwd: &Path) -> Output {
    let mut cmd = Command::new(BIN);
    isolated(cmd.args(args), cwd)
        .env("KUBECONFIG", cwd.join("no-kubeconfig"))
        .env("HTTP_PROXY", proxy)
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    if let Some(c) = cert {
        cmd.env("SEALED_SECRETS_CERT", c);
    }
    cmd.output().expect("run empseal")
}

/// `seal` of one literal, with `--cert cert` when given.
fn seal_args(cert: Option<&str>) -> Vec<&str> {
    let mut args = vec!["seal", "--name", "db", "-n", "paper"];
    if let Some(c) = cert {
        args.extend(["--cert", c]);
    }
    args.extend(["--from-literal", "PASSWORD=hunter2-value"]);
    args
}

/// A certificate URL over plain http:// to another machine (`cert show URL`,
/// `seal --cert URL`, `SEALED_SECRETS_CERT=URL`, `check --cert URL`) is not
/// followed silently: anyone on the network path could hand over their own key
/// and read every value sealed with it. One warning line on stderr, as for
/// `--controller-url`; a loopback http:// (a port-forward) stays quiet.
/// `certs.example` is reached through HTTP_PROXY (the fake serves the proxied
/// request itself), so no name has to resolve.
#[test]
fn certificate_url_over_plain_http_to_another_machine_is_warned_about() {
    let remote = cert_server("http://certs.example");
    let proxy = format!("http://127.0.0.1:{}", remote.port);
    let url = "http://certs.example/v1/cert.pem";
    let dir = tempfile::tempdir().unwrap();
    let fingerprint = ssh_fingerprint(&pki().controller1.cert);
    let warning = format!(
        "empseal: warning: {url} is plain http:// to another machine, so the answers are not authenticated; anyone on the network path can answer in its place (use https:// with a verified certificate)"
    );
    let runs: [(&str, Vec<&str>, Option<&str>); 4] = [
        ("cert show", vec!["cert", "show", url], None),
        ("seal --cert", seal_args(Some(url)), None),
        ("SEALED_SECRETS_CERT", seal_args(None), Some(url)),
        ("check --cert", vec!["check", "--cert", url, "."], None),
    ];
    for (what, args, cert) in &runs {
        let out = empseal_via_proxy(args, &proxy, *cert, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what}: {err}");
        assert_eq!(
            err.lines()
                .filter(|l| l.contains("warning"))
                .collect::<Vec<_>>(),
            [warning.as_str()],
            "{what}"
        );
    }
    let shown = empseal_via_proxy(&["cert", "show", url], &proxy, None, dir.path());
    assert!(String::from_utf8_lossy(&shown.stdout).contains(&fingerprint));

    // The same certificate from this machine (a port-forward): quiet.
    let local = cert_server("");
    let url = format!("http://127.0.0.1:{}/v1/cert.pem", local.port);
    let runs: [(&str, Vec<&str>, Option<&str>); 3] = [
        ("cert show", vec!["cert", "show", &url], None),
        ("seal --cert", seal_args(Some(&url)), None),
        ("SEALED_SECRETS_CERT", seal_args(None), Some(&url)),
    ];
    for (what, args, cert) in &runs {
        let out = empseal_via_proxy(args, &proxy, *cert, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what}: {err}");
        assert!(!err.contains("warning"), "{what}: {err}");
    }
}

/// `cert fetch --env` from a controller at a plain http:// URL on another
/// machine refuses to pin (anyone on the path could have answered) unless
/// --insecure-pin, which pins with a loud warning naming the fingerprint.
#[test]
fn cert_fetch_env_over_plain_http_to_another_machine_needs_insecure_pin() {
    let remote = cert_server("http://certs.example");
    let proxy = format!("http://127.0.0.1:{}", remote.port);
    let dir = tempfile::tempdir().unwrap();
    let root = repo_with_paper(dir.path());
    let fetch = ["cert", "fetch", "--env", "paper", "--controller-url"];
    let out = empseal_via_proxy(
        &[&fetch[..], &["http://certs.example"]].concat(),
        &proxy,
        None,
        &root,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains("refusing to pin") && err.contains("--insecure-pin"),
        "{err}"
    );
    assert!(!root.join("k8s/overlays/paper/sealing").exists());

    let out = empseal_via_proxy(
        &[&fetch[..], &["http://certs.example", "--insecure-pin"]].concat(),
        &proxy,
        None,
        &root,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("UNVERIFIED") && err.contains(&ssh_fingerprint(&pki().controller1.cert)),
        "{err}"
    );
    assert_eq!(
        std::fs::read(root.join("k8s/overlays/paper/sealing/cert.pem")).unwrap(),
        pki().controller1.cert_pem
    );
}

/// `cert fetch --env` from a controller running with a demo key (its private
/// key is in testdata/keys) pins it, as fetched, and says what it is; sealing
/// to that pin then warns too (`lifecycle_e2e`).
#[test]
fn cert_fetch_env_of_a_demo_certificate_warns() {
    let demo = empseal_testkit::repo_root().join("testdata/keys/demo-prod.crt");
    let fake = Fake::apiserver(&["--cert-pem", &path(&demo)]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let root = repo_with_paper(dir.path());
    let out = empseal(&["cert", "fetch", "--env", "paper"], &kc, &root);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let warning = format!(
        "empseal: warning: paper: the controller's certificate {} is a demo certificate whose private key is published in testdata/keys",
        ssh_fingerprint(&demo)
    );
    assert!(err.lines().any(|l| l.starts_with(&warning)), "{err}");
    assert_eq!(
        std::fs::read(root.join("k8s/overlays/paper/sealing/cert.pem")).unwrap(),
        std::fs::read(&demo).unwrap()
    );

    // A controller's own key: no such warning.
    let fake = Fake::apiserver(&[]);
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let root = repo_with_paper(&dir.path().join("other"));
    let out = empseal(&["cert", "fetch", "--env", "paper"], &kc, &root);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("demo"), "{err}");
}
