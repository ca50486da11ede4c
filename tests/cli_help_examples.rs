//! Every subcommand's `--help` ends with real examples, and every example runs:
//! the examples are taken from the real binary's help output and executed, in
//! the order the help lists them, in a temporary checkout of the stack (the
//! lifecycle fixture with the demo certificates pinned and two commits). Those
//! marked `(needs a cluster)` run against a kubeconfig whose API server refuses
//! connections and must fail as the README's "cluster unreachable" (6): they
//! parsed and got as far as the network.

mod lifecycle_support;

use std::process::Command;

use lifecycle_support::{all_output, bin, project, Repo};

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
    let mut repo = Repo::new();
    // Files the examples name.
    std::fs::copy(
        project().join("testdata/keys/demo-paper.key"),
        repo.path("sealed-secrets-key.pem"),
    )
    .unwrap();
    repo.write("api-key.txt", b"example-api-key");
    repo.write(
        ".git/info/exclude",
        b"sealed-secrets-key.pem\napi-key.txt\n",
    );
    repo.commit("Alice", "initial stack");
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "seal paper");
    repo.ok(&["seal", "--env", "paper", "--all"]);
    repo.commit("Bob", "reseal paper");
    // A kubeconfig whose API server refuses connections.
    let kubeconfig = repo.dir.path().join(".git/unreachable-kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();

    let top = help(&[]);
    let mut commands: Vec<Vec<String>> = Vec::new();
    for sub in subcommands(&top) {
        commands.push(vec![sub.clone()]);
        if sub == "cert" {
            for inner in subcommands(&help(&["cert"])) {
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
                .env("HOME", repo.root())
                .output()
                .unwrap();
            let expected = if cluster { 6 } else { 0 };
            assert_eq!(
                out.status.code(),
                Some(expected),
                "`empseal {}` exited {:?}, expected {expected}: {}",
                words.join(" "),
                out.status.code(),
                all_output(&out)
            );
            ran += 1;
        }
    }
    assert!(ran >= 25, "only {ran} examples ran");
}
