//! `--dry-run` on the lifecycle commands that write (`seal --env`, `rotate`,
//! `render`, `rollback`): the account names files relative to the repository
//! root, keys by change kind and the certificate fingerprint, never a value; the
//! whole temporary repository (every file's bytes and mode, every directory, git
//! included) is identical before and after. The same commands without
//! `--dry-run` then change the tree, so the comparison means something.

use crate::lifecycle_support;

use lifecycle_support::*;

const PAPER_ENV: &str = "k8s/overlays/paper/paper-secrets.env";
const PAPER_CERT: &str = "k8s/overlays/paper/sealing/cert.pem";

fn assert_same(before: &[(String, u32, Vec<u8>)], after: &[(String, u32, Vec<u8>)], what: &str) {
    if before != after {
        let b: std::collections::BTreeMap<_, _> =
            before.iter().map(|(p, m, c)| (p, (m, c))).collect();
        let a: std::collections::BTreeMap<_, _> =
            after.iter().map(|(p, m, c)| (p, (m, c))).collect();
        let diff: Vec<&String> = b
            .keys()
            .chain(a.keys())
            .filter(|k| b.get(*k) != a.get(*k))
            .copied()
            .collect();
        panic!("{what} changed the repository: {diff:?}");
    }
}

fn assert_no_values(out: &std::process::Output, values: &[String]) {
    let text = all_output(out);
    for v in values {
        assert!(!text.contains(v.as_str()), "a value was printed: {text}");
    }
}

/// The fixture with paper sealed and committed twice (so HEAD~1 is sealed), then
/// the env file edited: API_KEY changed, NEW_TOKEN added, REDIS_PASSWORD removed.
fn edited_repo() -> (Repo, Vec<String>) {
    let mut repo = pinned_repo();
    repo.commit("Alice", "initial stack");
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "seal paper");
    repo.ok(&["seal", "--env", "paper", "--all"]);
    repo.commit("Bob", "reseal paper");
    let old = env_pairs(&repo.read(PAPER_ENV));
    let mut text = String::new();
    for (k, v) in &old {
        match k.as_str() {
            "API_KEY" => text.push_str("API_KEY=dry-run-value-api-key-2b7c\n"),
            "REDIS_PASSWORD" => {}
            _ => text.push_str(&format!("{k}={v}\n")),
        }
    }
    text.push_str("NEW_TOKEN=dry-run-value-new-token-9f1e\n");
    repo.write(PAPER_ENV, text.as_bytes());
    let mut values: Vec<String> = old.values().cloned().collect();
    values.push("dry-run-value-api-key-2b7c".into());
    values.push("dry-run-value-new-token-9f1e".into());
    (repo, values)
}

#[test]
fn seal_env_dry_run_lists_keys_files_and_certificate_and_writes_nothing() {
    let (repo, values) = edited_repo();
    let fp = openssl_fingerprint(&repo.path(PAPER_CERT));
    let before = tree_snapshot(repo.root());
    let out = repo.ok(&[
        "seal",
        "--env",
        "paper",
        "--allow-missing",
        "REDIS_PASSWORD",
        "--dry-run",
    ]);
    assert_same(&before, &tree_snapshot(repo.root()), "seal --env --dry-run");
    assert_no_values(&out, &values);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "would seal paper for ".to_string(),
        format!("with certificate {fp} -> k8s/overlays/paper/sealedsecret.yaml"),
        "  added:    NEW_TOKEN".into(),
        "  changed:  API_KEY".into(),
        "  removed:  REDIS_PASSWORD".into(),
        "  kept:     POSTGRES_PASSWORD".into(),
        "  modify:   k8s/overlays/paper/sealedsecret.yaml".into(),
        "  (dry run: nothing written)".into(),
    ] {
        assert!(stdout.contains(&line), "missing {line:?} in\n{stdout}");
    }
    // The real command's refusals hold in a dry run too (here: a key workloads
    // reference is missing), and it still writes nothing.
    let out = repo.run(&["seal", "--env", "paper", "--dry-run"]);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no REDIS_PASSWORD"));
    assert_same(
        &before,
        &tree_snapshot(repo.root()),
        "refused seal --env --dry-run",
    );
    // -v says which certificate and kustomize, still without values or writes.
    let out = repo.ok(&[
        "-v",
        "seal",
        "--env",
        "paper",
        "--allow-missing",
        "REDIS_PASSWORD",
        "--dry-run",
    ]);
    assert_same(&before, &tree_snapshot(repo.root()), "seal -v --dry-run");
    assert_no_values(&out, &values);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("sealing with {PAPER_CERT} (fingerprint {fp})")),
        "{err}"
    );
    assert!(err.contains("overlays are built with `"), "{err}");
    // The real run does what the dry run said.
    let out = repo.ok(&[
        "seal",
        "--env",
        "paper",
        "--allow-missing",
        "REDIS_PASSWORD",
    ]);
    assert_no_values(&out, &values);
    assert_ne!(before, tree_snapshot(repo.root()));
    let sealed = read_sealed(&repo.read("k8s/overlays/paper/sealedsecret.yaml"));
    assert_eq!(
        sealed.encrypted_data.keys().cloned().collect::<Vec<_>>(),
        ["API_KEY", "NEW_TOKEN", "POSTGRES_PASSWORD"]
    );
    // Nothing left to do: the dry run says no file would change.
    let out = repo.ok(&[
        "seal",
        "--env",
        "paper",
        "--allow-missing",
        "REDIS_PASSWORD",
        "--dry-run",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("none would change"));
}

#[test]
fn rotate_render_and_rollback_dry_runs_write_nothing() {
    let (repo, values) = edited_repo();
    let before = tree_snapshot(repo.root());

    let out = repo.ok(&[
        "rotate",
        "--env",
        "paper",
        "--key",
        "POSTGRES_PASSWORD",
        "--generate",
        "--dry-run",
    ]);
    assert_same(&before, &tree_snapshot(repo.root()), "rotate --dry-run");
    assert_no_values(&out, &values);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("would rotate in paper: POSTGRES_PASSWORD"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  modify:   {PAPER_ENV}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("  modify:   k8s/overlays/paper/sealedsecret.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&openssl_fingerprint(&repo.path(PAPER_CERT))),
        "{stdout}"
    );

    let out = repo.ok(&[
        "render",
        "--all",
        "--demo",
        "--out-dir",
        "rendered",
        "--dry-run",
    ]);
    assert_same(&before, &tree_snapshot(repo.root()), "render --dry-run");
    assert!(!repo.path("rendered").exists());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for env in ["dev", "paper", "prod"] {
        assert!(
            stdout.contains(&format!("would render {env} -> rendered/{env}.yaml")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("  create:   rendered/{env}.yaml")),
            "{stdout}"
        );
    }

    let out = repo.ok(&["rollback", "--env", "paper", "--to", "HEAD~1", "--dry-run"]);
    assert_same(&before, &tree_snapshot(repo.root()), "rollback --dry-run");
    assert_no_values(&out, &values);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(dry run: nothing written)"));

    // Without --dry-run each of them writes.
    repo.ok(&["render", "--all", "--demo", "--out-dir", "rendered"]);
    assert!(repo.path("rendered/paper.yaml").is_file());
    let mid = tree_snapshot(repo.root());
    let out = repo.ok(&[
        "rotate",
        "--env",
        "paper",
        "--key",
        "POSTGRES_PASSWORD",
        "--generate",
    ]);
    assert_no_values(&out, &values);
    assert_ne!(mid, tree_snapshot(repo.root()));
}

#[test]
fn seal_takes_root_like_the_other_env_commands() {
    let (repo, _) = edited_repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let root = repo.root().to_str().unwrap().to_string();
    let out = empseal(
        elsewhere.path(),
        &[
            "seal",
            "--env",
            "paper",
            "--allow-missing",
            "REDIS_PASSWORD",
            "--root",
            &root,
            "--dry-run",
        ],
    );
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("added:    NEW_TOKEN"));
    // Without --root, from elsewhere: no repository.
    let out = empseal(
        elsewhere.path(),
        &[
            "seal",
            "--env",
            "paper",
            "--allow-missing",
            "REDIS_PASSWORD",
            "--dry-run",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
}

#[test]
fn unknown_environments_and_config_keys_are_named_with_a_suggestion() {
    let repo = pinned_repo();
    let out = repo.run(&["seal", "--env", "papr", "--dry-run"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown environment \"papr\"") && err.contains("did you mean \"paper\"?"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = repo.run(&["history", "--env", "zzz"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("did you mean"));

    repo.write(
        "empseal.yaml",
        b"envs:\n  paper:\n    namespace: emp-system-paper\n  prdo:\n    scope: strict\n",
    );
    let out = repo.run(&["history", "--env", "paper"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empseal.yaml:4: envs.prdo:") && err.contains("did you mean \"prod\"?"),
        "{err}"
    );

    repo.write(
        "empseal.yaml",
        b"envs:\n  paper:\n    nmespace: emp-system-paper\n",
    );
    let out = repo.run(&["history", "--env", "paper"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empseal.yaml:3:")
            && err.contains("unknown field `nmespace`")
            && err.contains("did you mean \"namespace\"?"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn kubeseal_variables_that_the_overlay_decides_are_ignored_with_env_but_flags_are_refused() {
    let (repo, values) = edited_repo();
    let before = tree_snapshot(repo.root());
    let out = std::process::Command::new(bin())
        .current_dir(repo.root())
        .args([
            "seal",
            "--env",
            "paper",
            "--allow-missing",
            "REDIS_PASSWORD",
            "--dry-run",
        ])
        .env("SEALED_SECRETS_SCOPE", "cluster-wide")
        .env("SEALED_SECRETS_NAME", "other")
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SEALED_SECRETS_SCOPE is ignored with --env"),
        "{err}"
    );
    assert!(
        err.contains("SEALED_SECRETS_NAME is ignored with --env"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("emp-system-paper/emp-secrets-paper (strict)"));
    assert_no_values(&out, &values);
    for flag in [
        &["--scope", "cluster-wide"][..],
        &["--name", "x"],
        &["--raw"],
        &["--from-file", "a.txt"],
    ] {
        let mut args = vec!["seal", "--env", "paper"];
        args.extend(flag);
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(2), "{flag:?}: {}", all_output(&out));
    }
    assert_same(&before, &tree_snapshot(repo.root()), "refused seal --env");
    // -v on check --env says which kustomize and certificate.
    let out = repo.run(&["-v", "check", "--env", "paper"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("paper: rendering k8s/overlays/paper with `"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "checking against {PAPER_CERT} (fingerprint {})",
            openssl_fingerprint(&repo.path(PAPER_CERT))
        )),
        "{err}"
    );
}
