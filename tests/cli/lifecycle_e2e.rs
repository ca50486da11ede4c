//! End-to-end lifecycle tests: the real `empseal` binary in temporary git
//! repositories (git CLI with fixed authors and dates), real kustomize through
//! kubectl, and unsealing with the demo private keys from testdata/keys.

use crate::lifecycle_support;

use std::os::unix::fs::PermissionsExt;

use lifecycle_support::*;

const PAPER_SEALED: &str = "k8s/overlays/paper/sealedsecret.yaml";
const PAPER_RECORD: &str = "k8s/overlays/paper/sealing/record.yaml";
const PAPER_ENV: &str = "k8s/overlays/paper/paper-secrets.env";
const PAPER_STATE: &str = "k8s/overlays/paper/.paper-secrets.state";

fn set_env_value(repo: &Repo, rel: &str, key: &str, value: &str) {
    let text = String::from_utf8(repo.read(rel)).unwrap();
    let mut found = false;
    let out: Vec<String> = text
        .split_inclusive('\n')
        .map(|l| {
            if l.starts_with(&format!("{key}=")) {
                found = true;
                format!("{key}={value}\n")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(found, "{key} not in {rel}");
    repo.write(rel, out.concat().as_bytes());
}

#[test]
fn seal_commit_rotate_commit_then_history_and_rollback_restore_the_first_version() {
    let mut repo = pinned_repo();
    let fingerprint = openssl_fingerprint(&project().join("testdata/keys/demo-paper.crt"));

    // 1. seal --env paper, commit.
    let out = repo.ok(&["seal", "--env", "paper"]);
    let text = all_output(&out);
    assert!(text.contains(&fingerprint), "{text}");
    let first_values = env_pairs(&repo.read(PAPER_ENV));
    assert_eq!(first_values.len(), 3);
    let first = repo.commit("Alice", "Seal paper credentials");
    let first_sealed = repo.read(PAPER_SEALED);
    let first_record = repo.read(PAPER_RECORD);

    // 2. rotate one key, commit.
    let out = repo.ok(&[
        "rotate",
        "--env",
        "paper",
        "--key",
        "POSTGRES_PASSWORD",
        "--generate",
    ]);
    let second_values = env_pairs(&repo.read(PAPER_ENV));
    let new_pg = &second_values["POSTGRES_PASSWORD"];
    assert_ne!(new_pg, &first_values["POSTGRES_PASSWORD"]);
    assert!(
        !all_output(&out).contains(new_pg.as_str()),
        "rotate printed the new value"
    );
    assert!(all_output(&out).contains("POSTGRES_PASSWORD"));
    let second = repo.commit("Bob", "Rotate the paper Postgres password");

    // 3. history lists both commits, newest first.
    let out = repo.ok(&["history", "--env", "paper", "--format", "json"]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 2, "{h:?}");
    let keys = serde_json::json!(["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"]);
    assert_eq!(h[0]["commit"], second.as_str());
    assert_eq!(h[0]["date"], commit_date(2).as_str());
    assert_eq!(h[0]["author"], "Bob");
    assert_eq!(h[0]["subject"], "Rotate the paper Postgres password");
    assert_eq!(h[0]["keys"], keys);
    assert_eq!(
        h[0]["diff"]["changed"],
        serde_json::json!(["POSTGRES_PASSWORD"])
    );
    assert_eq!(h[0]["diff"]["added"], serde_json::json!([]));
    assert_eq!(h[0]["diff"]["removed"], serde_json::json!([]));
    assert_eq!(h[0]["fingerprint"], fingerprint.as_str());
    assert_eq!(h[1]["commit"], first.as_str());
    assert_eq!(h[1]["date"], commit_date(1).as_str());
    assert_eq!(h[1]["author"], "Alice");
    assert_eq!(h[1]["diff"]["added"], keys);
    assert_eq!(h[1]["fingerprint"], fingerprint.as_str());
    let short = |rev: &str| {
        String::from_utf8(repo.git(&["rev-parse", "--short", rev]))
            .unwrap()
            .trim()
            .to_string()
    };
    let out = repo.ok(&["history", "--env", "paper"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[1].starts_with(&short(&second)) && lines[1].contains("~POSTGRES_PASSWORD"),
        "{table}"
    );
    assert!(
        lines[2].starts_with(&short(&first)) && lines[2].contains("+API_KEY"),
        "{table}"
    );
    assert!(
        lines[1].contains(&fingerprint) && lines[1].contains("Bob"),
        "{table}"
    );

    // 4. rollback --dry-run writes nothing and shows the key-set diff.
    let before = tree_hash(repo.root(), &[".git"]);
    let out = repo.ok(&["rollback", "--env", "paper", "--to", &first, "--dry-run"]);
    assert_eq!(tree_hash(repo.root(), &[".git"]), before);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("changed: POSTGRES_PASSWORD"), "{text}");

    // 5. rollback restores the first version byte for byte (as git has it).
    assert!(repo.path(PAPER_STATE).exists());
    let out = repo.ok(&["rollback", "--env", "paper", "--to", &first]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning: k8s"),
        "same certificate: no warning expected: {}",
        all_output(&out)
    );
    let git_first = repo.git(&["show", &format!("{first}:{PAPER_SEALED}")]);
    assert_eq!(repo.read(PAPER_SEALED), git_first);
    assert_eq!(repo.read(PAPER_SEALED), first_sealed);
    assert_eq!(
        repo.read(PAPER_RECORD),
        repo.git(&["show", &format!("{first}:{PAPER_RECORD}")])
    );
    assert_eq!(repo.read(PAPER_RECORD), first_record);
    assert!(
        !repo.path(PAPER_STATE).exists(),
        "rollback must reset the local state"
    );

    // 6. The demo private key unseals the restored file to the first credentials.
    let restored = read_sealed(&repo.read(PAPER_SEALED));
    assert_eq!(unseal(&restored, demo_key("paper")), first_values);

    // 7. The usual seal would undo the rollback: refused, naming the revision.
    let out = repo.run(&["seal", "--env", "paper"]);
    assert_eq!(out.status.code(), Some(8), "{}", all_output(&out));
    assert!(all_output(&out).contains("--overwrite-rollback"));
    assert_eq!(repo.read(PAPER_SEALED), first_sealed);
    // Asked for explicitly, it reseals every key (state was reset) with the
    // current values.
    let out = repo.ok(&["seal", "--env", "paper", "--overwrite-rollback"]);
    assert!(
        all_output(&out).contains("resealed every key"),
        "{}",
        all_output(&out)
    );
    let now = read_sealed(&repo.read(PAPER_SEALED));
    for (k, v) in &now.encrypted_data {
        assert_ne!(v, &restored.encrypted_data[k], "{k} kept its ciphertext");
    }
    assert_eq!(unseal(&now, demo_key("paper")), second_values);
}

#[test]
fn unchanged_keys_keep_their_ciphertext_all_reseals_and_a_fresh_clone_reseals() {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    let s1 = repo.read(PAPER_SEALED);
    let o1 = read_sealed(&s1);

    // A second seal with nothing changed: same bytes, no git noise.
    repo.commit("Alice", "seal");
    repo.ok(&["seal", "--env", "paper"]);
    assert_eq!(repo.read(PAPER_SEALED), s1);
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        b"",
        "a no-op seal changed tracked files"
    );

    // Edit one key: only its ciphertext changes.
    set_env_value(&repo, PAPER_ENV, "REDIS_PASSWORD", "a-new-redis-password");
    let out = repo.ok(&["seal", "--env", "paper"]);
    let o2 = read_sealed(&repo.read(PAPER_SEALED));
    assert_ne!(
        o2.encrypted_data["REDIS_PASSWORD"],
        o1.encrypted_data["REDIS_PASSWORD"]
    );
    for k in ["API_KEY", "POSTGRES_PASSWORD"] {
        assert_eq!(
            o2.encrypted_data[k], o1.encrypted_data[k],
            "{k} was resealed"
        );
    }
    let diff = String::from_utf8(repo.git(&["diff", "--numstat", PAPER_SEALED])).unwrap();
    assert!(
        diff.starts_with("1\t1\t"),
        "git diff must show only one changed line: {diff}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("resealed: REDIS_PASSWORD"));
    let values = env_pairs(&repo.read(PAPER_ENV));
    assert_eq!(unseal(&o2, demo_key("paper")), values);
    let record: serde_yaml::Value = serde_yaml::from_slice(&repo.read(PAPER_RECORD)).unwrap();
    assert_eq!(
        record["resealed"],
        serde_yaml::to_value(["REDIS_PASSWORD"]).unwrap()
    );

    // Removing a key removes it from the sealed file; adding one seals only it.
    let text = String::from_utf8(repo.read(PAPER_ENV)).unwrap();
    let text: String = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("API_KEY="))
        .collect::<String>()
        + "EXTRA_TOKEN=extra-token-value\n";
    repo.write(PAPER_ENV, text.as_bytes());
    // The app reads API_KEY (envFrom, the example's keys): removing it is explicit.
    assert_eq!(repo.run(&["seal", "--env", "paper"]).status.code(), Some(3));
    repo.ok(&["seal", "--env", "paper", "--allow-missing", "API_KEY"]);
    let o3 = read_sealed(&repo.read(PAPER_SEALED));
    assert_eq!(
        o3.encrypted_data.keys().collect::<Vec<_>>(),
        ["EXTRA_TOKEN", "POSTGRES_PASSWORD", "REDIS_PASSWORD"]
    );
    for k in ["POSTGRES_PASSWORD", "REDIS_PASSWORD"] {
        assert_eq!(o3.encrypted_data[k], o2.encrypted_data[k]);
    }

    // --all reseals every key.
    repo.ok(&[
        "seal",
        "--env",
        "paper",
        "--all",
        "--allow-missing",
        "API_KEY",
    ]);
    let o4 = read_sealed(&repo.read(PAPER_SEALED));
    for (k, v) in &o4.encrypted_data {
        assert_ne!(v, &o3.encrypted_data[k], "--all kept {k}");
    }
    assert_eq!(
        unseal(&o4, demo_key("paper")),
        env_pairs(&repo.read(PAPER_ENV))
    );
    repo.commit("Alice", "reseal all");

    // A fresh clone has no local state (and no env file): sealing reseals all.
    let clone = tempfile::tempdir().unwrap();
    let out = git_cmd(repo.root())
        .args(["clone", "-q", "."])
        .arg(clone.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let cloned_env = clone.path().join(PAPER_ENV);
    assert!(!cloned_env.exists(), "env files must be gitignored");
    assert!(
        !clone.path().join(PAPER_STATE).exists(),
        "the state must be gitignored"
    );
    std::fs::copy(repo.path(PAPER_ENV), &cloned_env).unwrap();
    let out = empseal(
        clone.path(),
        &["seal", "--env", "paper", "--allow-missing", "API_KEY"],
    );
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("resealed every key"),
        "{}",
        all_output(&out)
    );
    let o5 = read_sealed(&std::fs::read(clone.path().join(PAPER_SEALED)).unwrap());
    for (k, v) in &o5.encrypted_data {
        assert_ne!(v, &o4.encrypted_data[k], "the fresh clone kept {k}");
    }
    // ... and from then on, the clone keeps unchanged values too.
    let s5 = std::fs::read(clone.path().join(PAPER_SEALED)).unwrap();
    assert!(empseal(
        clone.path(),
        &["seal", "--env", "paper", "--allow-missing", "API_KEY"],
    )
    .status
    .success());
    assert_eq!(std::fs::read(clone.path().join(PAPER_SEALED)).unwrap(), s5);
}

#[test]
fn prod_values_are_sealed_for_the_name_kustomize_renders() {
    let repo = pinned_repo();
    repo.ok(&["seal", "--env", "prod"]);
    let sealed = read_sealed(&repo.read("k8s/overlays/prod/sealedsecret.yaml"));
    // The source keeps its own name (kustomize adds -prod) ...
    assert_eq!(sealed.metadata.name, "emp-secrets");
    // ... but the values are bound to the rendered name: as committed they do not
    // decrypt, as rendered they do.
    assert!(kubeseal_core::unseal::unseal(&sealed, &[demo_key("prod")]).is_err());
    let rendered = as_rendered(&sealed, "emp-secrets-prod", "emp-system-prod");
    assert_eq!(
        unseal(&rendered, demo_key("prod")),
        env_pairs(&repo.read("k8s/overlays/prod/prod-secrets.env"))
    );
    let record: serde_yaml::Value =
        serde_yaml::from_slice(&repo.read("k8s/overlays/prod/sealing/record.yaml")).unwrap();
    assert_eq!(record["sealedFor"]["name"], "emp-secrets-prod");
    assert_eq!(record["sealedFor"]["namespace"], "emp-system-prod");
    assert_eq!(record["sealedFor"]["scope"], "strict");
    // The paper key cannot open prod's values.
    assert!(kubeseal_core::unseal::unseal(&rendered, &[demo_key("paper")]).is_err());
}

/// A demo certificate pinned the way `cert fetch --env prod` pins it from a
/// cluster seeded with the testdata demo key (pin.yaml without `demo: true`) is
/// demo material all the same: its private key is public, so `seal --env` and
/// `rotate` say so on stderr, as for a committed demo pin.
#[test]
fn sealing_to_a_fetched_demo_certificate_warns() {
    let repo = pinned_repo();
    let pin = String::from_utf8(repo.read("k8s/overlays/prod/sealing/pin.yaml")).unwrap();
    assert!(
        !pin.lines().any(|l| l.starts_with("demo:")),
        "pinned as a fetch pins it: {pin}"
    );
    let warning = "empseal: warning: the pinned certificate of prod is demo material (its private key is in testdata/); run `empseal cert fetch --env prod` before deploying";
    for args in [
        &["seal", "--env", "prod"][..],
        &["rotate", "--env", "prod", "--key", "API_KEY", "--generate"][..],
    ] {
        let out = repo.ok(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.lines().any(|l| l == warning), "{args:?}: {err}");
    }
}

#[test]
fn rotate_never_prints_values_and_keeps_the_env_file_private() {
    let repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    let before_env = String::from_utf8(repo.read(PAPER_ENV)).unwrap();
    let before = read_sealed(&repo.read(PAPER_SEALED));
    std::fs::set_permissions(repo.path(PAPER_ENV), std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = repo.ok(&["rotate", "--env", "paper", "--generate", "--length", "48"]);
    let after_env = String::from_utf8(repo.read(PAPER_ENV)).unwrap();
    let mode = std::fs::metadata(repo.path(PAPER_ENV))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "env file mode after rotate");
    let new = env_pairs(after_env.as_bytes());
    let text = all_output(&out);
    for (k, v) in &new {
        assert_eq!(v.len(), 48, "{k}");
        assert!(v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(
            !text.contains(v.as_str()),
            "rotate printed the value of {k}"
        );
        assert!(text.contains(k.as_str()), "rotate did not name {k}");
    }
    // Comments and line structure are kept byte for byte.
    let shape = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| match l.split_once('=') {
                Some((k, _)) if !l.starts_with('#') => format!("{k}="),
                _ => l.to_string(),
            })
            .collect()
    };
    assert_eq!(shape(&after_env), shape(&before_env));
    assert_eq!(after_env.lines().next(), before_env.lines().next());
    let after = read_sealed(&repo.read(PAPER_SEALED));
    for (k, v) in &after.encrypted_data {
        assert_ne!(v, &before.encrypted_data[k]);
    }
    assert_eq!(unseal(&after, demo_key("paper")), new);

    // Without --generate: values as edited, and only the named key is resealed.
    set_env_value(&repo, PAPER_ENV, "API_KEY", "hand-edited-api-key");
    set_env_value(&repo, PAPER_ENV, "REDIS_PASSWORD", "hand-edited-redis");
    let out = repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY"]);
    assert!(!all_output(&out).contains("hand-edited"));
    let r = read_sealed(&repo.read(PAPER_SEALED));
    assert_ne!(r.encrypted_data["API_KEY"], after.encrypted_data["API_KEY"]);
    assert_eq!(
        r.encrypted_data["REDIS_PASSWORD"],
        after.encrypted_data["REDIS_PASSWORD"]
    );
    let plain = unseal(&r, demo_key("paper"));
    assert_eq!(plain["API_KEY"], "hand-edited-api-key");
    assert_eq!(plain["REDIS_PASSWORD"], new["REDIS_PASSWORD"]);
    // The next seal picks up the other edited key, and only it.
    repo.ok(&["seal", "--env", "paper"]);
    let s = read_sealed(&repo.read(PAPER_SEALED));
    assert_ne!(
        s.encrypted_data["REDIS_PASSWORD"],
        r.encrypted_data["REDIS_PASSWORD"]
    );
    assert_eq!(s.encrypted_data["API_KEY"], r.encrypted_data["API_KEY"]);
    assert_eq!(
        s.encrypted_data["POSTGRES_PASSWORD"],
        r.encrypted_data["POSTGRES_PASSWORD"]
    );
    assert_eq!(
        unseal(&s, demo_key("paper"))["REDIS_PASSWORD"],
        "hand-edited-redis"
    );
}

fn assert_one_line_error(out: &std::process::Output, code: i32, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("empseal: error"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "more than one line: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "{n:?} not in {stderr}");
    }
    assert!(
        !stderr.contains(std::env::temp_dir().to_str().unwrap()),
        "absolute path in message: {stderr}"
    );
}

#[test]
fn bad_input_gives_one_line_errors_and_changes_nothing() {
    let mut repo = pinned_repo();
    let snapshot = |r: &Repo| tree_hash(r.root(), &[".git"]);

    let h = snapshot(&repo);
    assert_one_line_error(
        &repo.run(&["seal", "--env", "dev"]),
        3,
        &["not a sealed environment"],
    );
    assert_one_line_error(
        &repo.run(&["seal", "--env", "staging"]),
        3,
        &["unknown environment \"staging\"", "dev, paper, prod"],
    );
    // A bad env file line: file and line named, value not shown.
    let good_env = repo.read(PAPER_ENV);
    repo.write(PAPER_ENV, b"POSTGRES_PASSWORD=ok\nBAD KEY=s3cret-value\n");
    let h_bad = snapshot(&repo);
    let out = repo.run(&["seal", "--env", "paper"]);
    assert_one_line_error(&out, 3, &["paper-secrets.env:2"]);
    assert!(!all_output(&out).contains("s3cret-value"));
    assert_eq!(snapshot(&repo), h_bad);
    repo.write(PAPER_ENV, &good_env);
    assert_eq!(snapshot(&repo), h);

    // Certificate problems: missing, expired, disagreeing with pin.yaml.
    let cert = "k8s/overlays/paper/sealing/cert.pem";
    let good_cert = repo.read(cert);
    std::fs::remove_file(repo.path(cert)).unwrap();
    assert_one_line_error(
        &repo.run(&["seal", "--env", "paper"]),
        4,
        &["sealing/cert.pem", "empseal cert fetch --env paper"],
    );
    // An expired certificate, pinned (pin.yaml records its fingerprint).
    let good_pin = repo.read("k8s/overlays/paper/sealing/pin.yaml");
    repo.write(
        cert,
        &std::fs::read(project().join("testdata/keys/expired.crt")).unwrap(),
    );
    repo.write(
        "k8s/overlays/paper/sealing/pin.yaml",
        format!(
            "fingerprint: {}\n",
            openssl_fingerprint(&project().join("testdata/keys/expired.crt"))
        )
        .as_bytes(),
    );
    let h_exp = snapshot(&repo);
    assert_one_line_error(&repo.run(&["seal", "--env", "paper"]), 4, &["expired"]);
    assert_eq!(snapshot(&repo), h_exp);
    repo.write(cert, &good_cert);
    repo.write("k8s/overlays/paper/sealing/pin.yaml", &good_pin);
    repo.write(
        "k8s/overlays/paper/sealing/pin.yaml",
        b"fingerprint: SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
    );
    assert_one_line_error(
        &repo.run(&["seal", "--env", "paper"]),
        4,
        &["pin.yaml", "SHA256:AAAA"],
    );
    // No pin.yaml: cert.pem alone is not a pin (it may have been replaced by hand).
    std::fs::remove_file(repo.path("k8s/overlays/paper/sealing/pin.yaml")).unwrap();
    assert_one_line_error(
        &repo.run(&["seal", "--env", "paper"]),
        4,
        &["pin.yaml", "cert fetch --env paper --accept-new"],
    );
    repo.write("k8s/overlays/paper/sealing/pin.yaml", &good_pin);
    assert_eq!(snapshot(&repo), h);

    // Git problems: not a repository yet has no history? (it is one, with no commits)
    let out = repo.ok(&["history", "--env", "paper"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no commit"));
    assert_one_line_error(
        &repo.run(&["rollback", "--env", "paper", "--to", "HEAD"]),
        8,
        &["unknown revision"],
    );

    // Rolling back to a placeholder version is refused.
    let placeholder = repo.commit("Alice", "placeholders");
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "sealed");
    let h2 = snapshot(&repo);
    assert_one_line_error(
        &repo.run(&["rollback", "--env", "paper", "--to", &placeholder]),
        3,
        &["placeholder", "API_KEY"],
    );
    assert_one_line_error(
        &repo.run(&["rollback", "--env", "paper", "--to", "no-such-rev"]),
        8,
        &["unknown revision \"no-such-rev\""],
    );
    assert_eq!(snapshot(&repo), h2);

    // Outside any git repository: history is a git error.
    let plain = tempfile::tempdir().unwrap();
    copy_dir(&repo.path("k8s"), &plain.path().join("k8s"));
    assert_one_line_error(
        &empseal(plain.path(), &["history", "--env", "paper"]),
        8,
        &["not inside a git repository"],
    );
}

#[test]
fn rollback_warns_when_the_version_was_sealed_for_another_certificate() {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    let first = repo.commit("Alice", "sealed with the paper demo cert");
    // The operator repins paper to another certificate (as `cert fetch --env
    // paper --accept-new` does) and reseals.
    empseal_env::pin::pin_certificate(
        &empseal_env::pin::PinFiles::in_overlay(&repo.path("k8s/overlays/paper")),
        &std::fs::read(project().join("testdata/keys/demo-prod.crt")).unwrap(),
        "testdata/keys/demo-prod.crt",
        true,
        1_800_000_000,
    )
    .unwrap();
    let out = repo.ok(&["seal", "--env", "paper"]);
    assert!(
        all_output(&out).contains("resealed every key: the pinned certificate changed"),
        "{}",
        all_output(&out)
    );
    repo.commit("Alice", "repinned");
    let paper_fp = openssl_fingerprint(&project().join("testdata/keys/demo-paper.crt"));
    let prod_fp = openssl_fingerprint(&project().join("testdata/keys/demo-prod.crt"));
    let out = repo.ok(&["rollback", "--env", "paper", "--to", &first]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains(&paper_fp) && stderr.contains(&prod_fp),
        "{stderr}"
    );
    assert_eq!(
        repo.read(PAPER_SEALED),
        repo.git(&["show", &format!("{first}:{PAPER_SEALED}")])
    );
    // history shows each version's own certificate.
    let out = repo.ok(&["history", "--env", "paper", "--format", "json"]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(h[0]["fingerprint"], prod_fp.as_str());
    assert_eq!(h[1]["fingerprint"], paper_fp.as_str());
}

#[test]
fn plaintext_files_git_would_commit_are_warned_about() {
    let repo = pinned_repo();
    // A .gitignore that forgets the env files and the state.
    repo.write(".gitignore", b"/target\n");
    let out = repo.ok(&["seal", "--env", "paper"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: k8s/overlays/paper/paper-secrets.env holds plaintext"),
        "{err}"
    );
    assert!(
        err.contains("warning: k8s/overlays/paper/.paper-secrets.state"),
        "{err}"
    );
    // With the project's .gitignore, no such warning.
    std::fs::copy(project().join(".gitignore"), repo.path(".gitignore")).unwrap();
    let out = repo.ok(&["seal", "--env", "paper"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("plaintext"));
}

/// What the real kubectl reads from an env file: key → value.
fn kubectl_env(path: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    use base64::Engine as _;
    let out = std::process::Command::new("kubectl")
        .args([
            "create",
            "secret",
            "generic",
            "x",
            "--dry-run=client",
            "-o",
            "json",
            "--from-env-file",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap();
            (k.clone(), String::from_utf8(raw).unwrap())
        })
        .collect()
}

#[test]
fn rotate_rewrites_a_tricky_env_file_so_kubectl_reads_the_new_values() {
    let repo = pinned_repo();
    let tricky: &[u8] = b"\xEF\xBB\xBF# paper credentials\r\n  POSTGRES_PASSWORD=pg=with=equals  \r\n\r\n\t# REDIS_PASSWORD=commented-out\r\nREDIS_PASSWORD=\"quoted value\"\r\nAPI_KEY=last-line-no-newline";
    repo.write(PAPER_ENV, tricky);
    let env_path = repo.path(PAPER_ENV);
    let before = kubectl_env(&env_path);
    assert_eq!(before["POSTGRES_PASSWORD"], "pg=with=equals  ");
    repo.ok(&["seal", "--env", "paper"]);
    assert_eq!(
        unseal(&read_sealed(&repo.read(PAPER_SEALED)), demo_key("paper")),
        before
    );

    repo.ok(&[
        "rotate",
        "--env",
        "paper",
        "--key",
        "REDIS_PASSWORD",
        "--key",
        "API_KEY",
        "--generate",
    ]);
    let after = kubectl_env(&env_path);
    assert_eq!(after["POSTGRES_PASSWORD"], before["POSTGRES_PASSWORD"]);
    for k in ["REDIS_PASSWORD", "API_KEY"] {
        assert_ne!(after[k], before[k]);
        assert_eq!(after[k].len(), 32);
    }
    // Only the two values changed, byte for byte everywhere else.
    let text = repo.read(PAPER_ENV);
    let expected = String::from_utf8_lossy(tricky)
        .replace("\"quoted value\"", &after["REDIS_PASSWORD"])
        .replace("last-line-no-newline", &after["API_KEY"]);
    assert_eq!(String::from_utf8_lossy(&text), expected);
    assert_eq!(
        unseal(&read_sealed(&repo.read(PAPER_SEALED)), demo_key("paper")),
        after
    );
}

#[test]
fn an_existing_file_keeps_its_format_and_kubeseal_layout() {
    let repo = pinned_repo();
    // kubeseal's default JSON output, from a kubeseal built on older Kubernetes
    // libraries (creationTimestamp: null in both metadata blocks).
    let legacy_json = br#"{
  "kind": "SealedSecret",
  "apiVersion": "bitnami.com/v1alpha1",
  "metadata": {
    "name": "emp-secrets-paper",
    "namespace": "emp-system-paper",
    "creationTimestamp": null
  },
  "spec": {
    "template": {
      "metadata": {
        "name": "emp-secrets-paper",
        "namespace": "emp-system-paper",
        "creationTimestamp": null
      },
      "type": "Opaque"
    },
    "encryptedData": {
      "API_KEY": "AgAAAA...",
      "POSTGRES_PASSWORD": "AgAAAA...",
      "REDIS_PASSWORD": "AgAAAA..."
    }
  }
}
"#;
    repo.write(PAPER_SEALED, legacy_json);
    repo.ok(&["seal", "--env", "paper"]);
    let bytes = repo.read(PAPER_SEALED);
    assert_eq!(
        kubeseal_core::manifest::detect_style(&bytes),
        (
            kubeseal_core::secret::Format::Json,
            kubeseal_core::secret::Layout::Legacy
        )
    );
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        v["metadata"]["creationTimestamp"].is_null()
            && v["metadata"].get("creationTimestamp").is_some()
    );
    assert!(v["spec"]["template"]["metadata"]
        .get("creationTimestamp")
        .is_some());
    assert_eq!(v["spec"]["template"]["type"], "Opaque");
    // Same shape as before, only the values differ.
    let strip = |mut v: serde_json::Value| {
        v["spec"]["encryptedData"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        strip(v.clone()),
        strip(serde_json::from_slice(legacy_json).unwrap())
    );
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.starts_with("{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\"")
            && text.ends_with("}\n"),
        "{text}"
    );
    assert_eq!(
        unseal(&read_sealed(&bytes), demo_key("paper")),
        env_pairs(&repo.read(PAPER_ENV))
    );
}

#[test]
fn sealed_files_are_byte_for_byte_what_kubeseals_serializer_prints() {
    let repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    repo.ok(&["seal", "--env", "prod"]);
    set_env_value(
        &repo,
        PAPER_ENV,
        "API_KEY",
        "value with spaces: and # chars",
    );
    repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY"]);
    for rel in [PAPER_SEALED, "k8s/overlays/prod/sealedsecret.yaml"] {
        let bytes = String::from_utf8(repo.read(rel)).unwrap();
        let value: serde_json::Value = serde_yaml::from_str(&bytes).unwrap();
        assert_eq!(bytes, go_kubeseal_yaml(&[value]), "{rel}");
    }
}

#[test]
fn seal_env_uses_the_pin_never_a_given_certificate() {
    let repo = pinned_repo();
    let out = repo.run(&[
        "seal",
        "--env",
        "paper",
        "--cert",
        "testdata/keys/demo-prod.crt",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cert cannot be combined with --env"));
    assert!(!repo.path(PAPER_STATE).exists());
    // SEALED_SECRETS_CERT (set for ad-hoc sealing) is ignored, with a note.
    let out = std::process::Command::new(bin())
        .current_dir(repo.root())
        .args(["seal", "--env", "paper"])
        .env(
            "SEALED_SECRETS_CERT",
            project().join("testdata/keys/demo-prod.crt"),
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SEALED_SECRETS_CERT is ignored"));
    let sealed = read_sealed(&repo.read(PAPER_SEALED));
    assert_eq!(
        unseal(&sealed, demo_key("paper")),
        env_pairs(&repo.read(PAPER_ENV))
    );
    // Flags that make no sense with --env are usage errors.
    let out = repo.run(&["seal", "--env", "paper", "--name", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let out = repo.run(&["seal", "--all"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Issue 17: `history` printed commit authors and subjects raw, so an escape
/// sequence in a commit reached the terminal; control characters are escaped.
#[test]
fn history_escapes_terminal_control_characters_from_commits() {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Mallory\u{1b}[2J", "Seal\u{1b}]0;pwned\u{7} paper\rOK");
    let out = repo.ok(&["history", "--env", "paper"]);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains('\u{7}'), "{text:?}");
    assert!(!text.contains('\r'), "{text:?}");
    assert!(text.contains("Mallory\\u{1b}[2J"), "{text}");
    assert!(
        text.contains("Seal\\u{1b}]0;pwned\\u{7} paper\\rOK"),
        "{text}"
    );
}
