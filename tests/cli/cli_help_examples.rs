//! Every subcommand's `--help` ends with real examples, and every example runs:
//! the examples are taken from the real binary's help output and executed, in
//! the order the help lists them, in a temporary checkout of the stack (the
//! lifecycle fixture, paper pinned to the fake controller's key and sealed, with
//! commits). Those marked `(needs a cluster)` run against the fake (real-TLS)
//! API server and controller of tests/source/ and must succeed too; against an API server that refuses connections they fail as
//! the README's "cluster unreachable" (6), so they really use the cluster.

use crate::fake_cluster;
use crate::lifecycle_support;

use std::process::Command;

use lifecycle_support::{all_output, bin, openssl_fingerprint, pinned_repo, project, RunEmpseal};

/// `empseal ARGS --help`'s text.
fn help(args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommand names listed under `Commands:` (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    let mut in_list = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line == "Commands:" {
            in_list = true;
            continue;
        }
        if in_list {
            if !line.starts_with("  ") {
                break;
            }
            let name = line.split_whitespace().next().unwrap().to_string();
            if name != "help" {
                out.push(name);
            }
        }
    }
    out
}

/// (needs a cluster?, words) for each example line of a help text.
fn examples(text: &str) -> Vec<(bool, Vec<String>)> {
    let (_, tail) = text
        .split_once("\nExamples:\n")
        .unwrap_or_else(|| panic!("no Examples: section in\n{text}"));
    let mut out = Vec::new();
    let mut cluster = false;
    for line in tail.lines() {
        let t = line.trim();
        if let Some(comment) = t.strip_prefix('#') {
            cluster = comment.trim_end().ends_with("(needs a cluster)");
            continue;
        }
        if let Some(rest) = t.strip_prefix("empseal ") {
            assert!(
                !rest.contains(['"', '\'', '|', '<', '>', '$']),
                "examples are plain words: {t}"
            );
            out.push((
                cluster,
                rest.split_whitespace().map(str::to_string).collect(),
            ));
            cluster = false;
        }
    }
    out
}

#[test]
fn every_subcommand_help_ends_with_examples_that_run() {
    let mut repo = pinned_repo();
    // The fake API server's controller holds a real (non-demo) key; paper is
    // pinned to it and sealed from values that are not the committed example's,
    // as in a real checkout.
    let fake = fake_cluster::Fake::apiserver(&[]);
    let kubeconfig = fake_cluster::fake_kubeconfig(
        &repo.path(".git"),
        &fake,
        &fake_cluster::User::Token(fake_cluster::TOKEN),
    );
    // Files the examples name.
    std::fs::copy(
        &fake_cluster::pki().controller1.key,
        repo.path("sealed-secrets-key.pem"),
    )
    .unwrap();
    repo.write("api-key.txt", b"example-api-key");
    repo.write(
        "k8s/overlays/paper/paper-secrets.env",
        b"POSTGRES_PASSWORD=help-examples-pg-1\nREDIS_PASSWORD=help-examples-redis-2\nAPI_KEY=help-examples-api-3\n",
    );
    repo.write(
        ".git/info/exclude",
        b"sealed-secrets-key.pem\napi-key.txt\n",
    );
    // The certificate `env add --cert`'s example pins.
    std::fs::copy(
        project().join("testdata/keys/demo-prod.crt"),
        repo.path("perf-cert.pem"),
    )
    .unwrap();
    repo.commit("Alice", "initial stack");
    let out = Command::new(bin())
        .current_dir(repo.root())
        .args(["cert", "fetch", "--env", "paper", "--accept-new"])
        .env("KUBECONFIG", &kubeconfig)
        .env("HOME", repo.root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    repo.ok(&["seal", "--env", "paper", "--all"]);
    // Two previous keys in paper's keyring, for `cert retire`'s examples.
    let keyring = repo.path("k8s/overlays/paper/sealing/keyring");
    std::fs::create_dir_all(&keyring).unwrap();
    for env in ["prod", "dev"] {
        let cert = project().join(format!("testdata/keys/demo-{env}.crt"));
        let fp = openssl_fingerprint(&cert);
        std::fs::copy(
            &cert,
            keyring.join(empseal_env::pin::keyring_file_name(&fp)),
        )
        .unwrap();
    }
    repo.commit("Alice", "pin and seal paper");
    repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY", "--generate"]);
    repo.commit("Bob", "rotate paper's API_KEY");
    // And an API server that refuses connections.
    let unreachable = fake_cluster::write_kubeconfig(
        &repo.path(".git"),
        "unreachable",
        "https://127.0.0.1:1",
        &fake_cluster::pki().ca.cert_pem,
        &fake_cluster::User::Token(fake_cluster::TOKEN),
    );

    let top = help(&[]);
    let mut commands: Vec<Vec<String>> = Vec::new();
    for sub in subcommands(&top) {
        commands.push(vec![sub.clone()]);
        if sub == "cert" || sub == "env" {
            for inner in subcommands(&help(&[sub.as_str()])) {
                commands.push(vec![sub.clone(), inner]);
            }
        }
    }
    assert!(commands.len() >= 12, "{commands:?}");
    let mut ran = 0;
    for cmd in &commands {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let text = help(&args);
        let list = examples(&text);
        assert!(
            list.len() >= 2 && list.len() <= 4,
            "`empseal {}` --help has {} examples; give 2 to 4",
            cmd.join(" "),
            list.len()
        );
        for (cluster, words) in list {
            if cluster {
                let out = Command::new(bin())
                    .current_dir(repo.root())
                    .args(&words)
                    .env("KUBECONFIG", &unreachable)
                    .env_remove("SEALED_SECRETS_CERT")
                    .env_remove("SEALED_SECRETS_CONTROLLER_NAME")
                    .env_remove("SEALED_SECRETS_CONTROLLER_NAMESPACE")
                    .env_remove("HTTPS_PROXY")
                    .env_remove("https_proxy")
                    .env("HOME", repo.root())
                    .output()
                    .unwrap();
                assert_eq!(
                    out.status.code(),
                    Some(6),
                    "`empseal {}` is marked (needs a cluster) but did not need one: {}",
                    words.join(" "),
                    all_output(&out)
                );
            }
            // Each example belongs to the command whose help shows it.
            assert_eq!(
                &words[..cmd.len()],
                &cmd[..],
                "{cmd:?} shows an example of another command: {words:?}"
            );
            let out = Command::new(bin())
                .current_dir(repo.root())
                .args(&words)
                .env("KUBECONFIG", &kubeconfig)
                .env_remove("SEALED_SECRETS_CERT")
                .env_remove("SEALED_SECRETS_CONTROLLER_NAME")
                .env_remove("SEALED_SECRETS_CONTROLLER_NAMESPACE")
                .env_remove("HTTPS_PROXY")
                .env_remove("https_proxy")
                .env("HOME", repo.root())
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "`empseal {}` exited {:?}: {}",
                words.join(" "),
                out.status.code(),
                all_output(&out)
            );
            ran += 1;
            // As an operator would: commit what the example changed, so the next
            // one (a rollback refuses to overwrite uncommitted work) starts clean.
            if !repo.git(&["status", "--porcelain"]).is_empty() {
                repo.commit("Alice", &format!("empseal {}", words.join(" ")));
            }
        }
    }
    assert!(ran >= 25, "only {ran} examples ran");
}
