//! kubectl's connection flags (`--server`, `--token`, `--cluster`, `--user`,
//! `--request-timeout`), kubeseal's `SEALED_SECRETS_<FLAG>` variables, `-v`, and
//! the dry runs of `cert fetch --env` and `reencrypt --in-place`, through the
//! real binary against the fake (real-TLS) API server of tests/source/.

use crate::fake_cluster;
use crate::lifecycle_support;

use std::path::Path;
use std::process::{Command, Output};

use fake_cluster::*;

use crate::BIN;

fn empseal_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(cwd)
        .env("HOME", cwd)
        .env_remove("KUBECONFIG")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy");
    for (k, _) in std::env::vars() {
        if k.starts_with("SEALED_SECRETS_") {
            c.env_remove(k);
        }
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run empseal")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A kubeconfig whose context points at a dead port and whose user has a wrong
/// token; a second user `good` has the right one.
fn broken_kubeconfig(dir: &Path) -> std::path::PathBuf {
    let yaml = kubeconfig_yaml(
        "https://127.0.0.1:1",
        &pki().ca.cert_pem,
        &User::Token("wrong-token"),
        "test",
    )
    .replace(
        "contexts:\n",
        &format!("- name: good\n  user:\n    token: {TOKEN}\ncontexts:\n"),
    );
    let p = dir.join("kc");
    std::fs::write(&p, yaml).unwrap();
    p
}

#[test]
fn server_and_token_override_the_kubeconfig() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = broken_kubeconfig(dir.path());
    let kcs = kc.to_str().unwrap();
    // As configured: the dead port.
    let out = empseal_env(&["cert", "fetch", "--kubeconfig", kcs], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    // --server reaches the fake, whose answer to the wrong token is 401: still 6.
    let server = fake.https_url();
    let out = empseal_env(
        &["cert", "fetch", "--kubeconfig", kcs, "--server", &server],
        dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(!text(&out).contains("wrong-token"), "{}", text(&out));
    // --server with --token, and with --user good: the certificate.
    for extra in [["--token", TOKEN], ["--user", "good"]] {
        let mut args = vec!["cert", "fetch", "--kubeconfig", kcs, "--server", &server];
        args.extend(extra);
        let out = empseal_env(&args, dir.path(), &[]);
        assert!(out.status.success(), "{extra:?}: {}", text(&out));
        assert_eq!(out.stdout, pki().controller1.cert_pem);
        assert!(!text(&out).contains(TOKEN));
    }
    // The same from kubeseal's variables.
    let out = empseal_env(
        &["cert", "fetch"],
        dir.path(),
        &[
            ("SEALED_SECRETS_KUBECONFIG", kcs),
            ("SEALED_SECRETS_SERVER", &server),
            ("SEALED_SECRETS_TOKEN", TOKEN),
            ("SEALED_SECRETS_REQUEST_TIMEOUT", "20s"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(out.stdout, pki().controller1.cert_pem);
    // --help never shows the token's value.
    let out = empseal_env(
        &["cert", "fetch", "--help"],
        dir.path(),
        &[("SEALED_SECRETS_TOKEN", TOKEN)],
    );
    assert!(out.status.success());
    assert!(!text(&out).contains(TOKEN));
    assert!(text(&out).contains("SEALED_SECRETS_TOKEN"));
    // A --cluster the kubeconfig lacks is a kubeconfig error (6), naming it.
    let out = empseal_env(
        &["cert", "fetch", "--kubeconfig", kcs, "--cluster", "nope"],
        dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    // A malformed --request-timeout is a usage error.
    let out = empseal_env(
        &["cert", "fetch", "--request-timeout", "soon"],
        dir.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn verbose_says_which_controller_and_certificate() {
    let fake = Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let out = empseal_env(
        &["-v", "cert", "fetch", "-w", "c.pem"],
        dir.path(),
        &[("KUBECONFIG", kc.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("controller: cluster https://127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains("kube-system/sealed-secrets-controller"),
        "{err}"
    );
    assert!(
        err.contains(&ssh_fingerprint(&pki().controller1.cert)),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
    // Without -v: none of that.
    let out = empseal_env(
        &["cert", "fetch", "-w", "c.pem"],
        dir.path(),
        &[("KUBECONFIG", kc.to_str().unwrap())],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("controller: cluster"));
}

#[test]
fn kubeseal_variables_for_scope_and_format_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let cert = path(&pki().controller1.cert);
    let base = [
        "seal",
        "--cert",
        &cert,
        "--name",
        "creds",
        "-n",
        "paper",
        "--from-literal",
        "API_KEY=scope-secret-1",
    ];
    let out = empseal_env(&base, dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out));
    let plain = String::from_utf8(out.stdout).unwrap();
    assert!(plain.starts_with("---\n") && !plain.contains("cluster-wide"));
    let out = empseal_env(
        &base,
        dir.path(),
        &[
            ("SEALED_SECRETS_SCOPE", "cluster-wide"),
            ("SEALED_SECRETS_FORMAT", "json"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["metadata"]["annotations"]["sealedsecrets.bitnami.com/cluster-wide"], "true",
        "{json}"
    );
    assert!(!text(&out).contains("scope-secret-1"));
    // The flag still wins over the variable.
    let mut args = base.to_vec();
    args.extend(["--scope", "strict", "-o", "yaml"]);
    let out = empseal_env(
        &args,
        dir.path(),
        &[
            ("SEALED_SECRETS_SCOPE", "cluster-wide"),
            ("SEALED_SECRETS_FORMAT", "json"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("---\n"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("cluster-wide"));
}

/// A repository with the paper overlay and a pin of controller1's certificate.
fn pinned_repo(dir: &Path, fake: &Fake) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = dir.join("repo");
    std::fs::create_dir_all(root.join("k8s/overlays/paper")).unwrap();
    std::fs::write(
        root.join("k8s/overlays/paper/kustomization.yaml"),
        "namespace: emp-system-paper\n",
    )
    .unwrap();
    let kc = fake_kubeconfig(dir, fake, &User::Token(TOKEN));
    let out = empseal_env(
        &["cert", "fetch", "--env", "paper"],
        &root,
        &[("KUBECONFIG", kc.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", text(&out));
    (root, kc)
}

#[test]
fn cert_fetch_dry_run_shows_the_change_and_writes_nothing() {
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    let fake1 = Fake::apiserver(&[]);
    let (root, _) = pinned_repo(dir.path(), &fake1);
    drop(fake1);
    let fake2 = Fake::apiserver(&["--cert-pem", &path(&p.controller2.cert)]);
    let kc2 = fake_kubeconfig(dir.path(), &fake2, &User::Token(TOKEN));
    let kc2 = kc2.to_str().unwrap();
    let before = lifecycle_support::tree_snapshot(&root);
    for accept in [false, true] {
        let mut args = vec!["cert", "fetch", "--env", "paper", "--dry-run"];
        if accept {
            args.push("--accept-new");
        }
        let out = empseal_env(&args, &root, &[("KUBECONFIG", kc2)]);
        assert_eq!(
            lifecycle_support::tree_snapshot(&root),
            before,
            "--dry-run wrote something"
        );
        if !accept {
            // The refusal is the real command's: a changed key needs --accept-new.
            assert_eq!(out.status.code(), Some(4), "{}", text(&out));
            continue;
        }
        assert!(out.status.success(), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("would replace (new key)"), "{stdout}");
        assert!(
            stdout.contains(&ssh_fingerprint(&p.controller2.cert)),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!(
                "pinned now: {}",
                ssh_fingerprint(&p.controller1.cert)
            )),
            "{stdout}"
        );
        assert!(
            stdout.contains("modify:   k8s/overlays/paper/sealing/cert.pem"),
            "{stdout}"
        );
        assert!(stdout.contains("(dry run: nothing written)"), "{stdout}");
    }
    // Without --dry-run the same command does write.
    let out = empseal_env(
        &["cert", "fetch", "--env", "paper", "--accept-new"],
        &root,
        &[("KUBECONFIG", kc2)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_ne!(lifecycle_support::tree_snapshot(&root), before);
}

#[test]
fn reencrypt_dry_run_names_keys_and_writes_nothing() {
    let p = pki();
    let fake = Fake::apiserver_after_key_renewal();
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_kubeconfig(dir.path(), &fake, &User::Token(TOKEN));
    let kc = kc.to_str().unwrap();
    let out = empseal_env(
        &[
            "seal",
            "--cert",
            &path(&p.controller1.cert),
            "--name",
            "broker-creds",
            "-n",
            "paper",
            "--from-literal",
            "API_KEY=reencrypt-secret-1",
            "-w",
            "sealed.yaml",
        ],
        dir.path(),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let before = lifecycle_support::tree_snapshot(dir.path());
    let out = empseal_env(
        &["reencrypt", "-f", "sealed.yaml", "--in-place", "--dry-run"],
        dir.path(),
        &[("KUBECONFIG", kc)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        lifecycle_support::tree_snapshot(dir.path()),
        before,
        "--dry-run wrote something"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("SealedSecret paper/broker-creds:"),
        "{stdout}"
    );
    assert!(stdout.contains("changed: API_KEY"), "{stdout}");
    assert!(
        stdout.contains(&ssh_fingerprint(&p.controller2.cert)),
        "{stdout}"
    );
    assert!(stdout.contains("modify:   sealed.yaml"), "{stdout}");
    assert!(!text(&out).contains("reencrypt-secret-1"));
    // --dry-run only means something with --in-place.
    let out = empseal_env(
        &["reencrypt", "-f", "sealed.yaml", "--dry-run"],
        dir.path(),
        &[("KUBECONFIG", kc)],
    );
    assert_eq!(out.status.code(), Some(2));
}
