//! Issue 11: a paper/prod gate that cannot be fooled. The real binary on a
//! temporary git repository holding the project's own `k8s/` stack (base with
//! the CronJob, ScaledJob and KEDA TriggerAuthentication; dev/paper/prod
//! overlays), with demo and test certificates from testdata/keys, real
//! `kubectl kustomize`.

use crate::lifecycle_support;

use std::process::Output;

use lifecycle_support::{all_output, project, Repo, RunEmpseal};

const PAPER_ENV: &str = "k8s/overlays/paper/paper-secrets.env";
const PAPER_SEALED: &str = "k8s/overlays/paper/sealedsecret.yaml";
const PAPER_PULL_SEALED: &str = "k8s/overlays/paper/pull-secret.yaml";
const PAPER_CERT: &str = "k8s/overlays/paper/sealing/cert.pem";
const PAPER_PIN: &str = "k8s/overlays/paper/sealing/pin.yaml";
const REAL: &[u8] =
    b"POSTGRES_PASSWORD=pg-Real-Value-1\nREDIS_PASSWORD=redis-Real-Value-1\nAPI_KEY=api-Real-Value-1\n";
/// paper's second secret, the image-pull secret: the untracked docker config
/// file empseal.yaml names, with credentials other than its committed example's.
const PAPER_PULL: &str = "k8s/overlays/paper/pull-secret.dockerconfigjson";
const REAL_PULL: &[u8] = br#"{"auths":{"ghcr.io":{"auth":"ZW1wLWNpOnJlZy1SZWFsLVZhbHVlLTE="}}}"#;

/// The project's k8s/ tree (demo pins committed) in a fresh git repository,
/// with paper's (gitignored) registry credentials beside their example.
fn stack() -> Repo {
    let repo = lifecycle_support::project_repo();
    repo.write(PAPER_PULL, REAL_PULL);
    assert!(
        repo.git(&["status", "--porcelain"]).is_empty(),
        "the registry credentials are gitignored"
    );
    repo
}

/// Pins `crt` (a testdata/keys certificate standing in for the controller's)
/// for `env` exactly as `cert fetch --env ENV --accept-new` does.
fn pin(repo: &Repo, env: &str, crt: &str) {
    let files = empseal_env::pin::PinFiles::in_overlay(&repo.path(&format!("k8s/overlays/{env}")));
    let pem = std::fs::read(project().join("testdata/keys").join(crt)).unwrap();
    empseal_env::pin::pin_certificate(
        &files,
        &pem,
        "https://controller.test/v1/cert.pem",
        true,
        1_800_000_000,
    )
    .unwrap();
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn check(repo: &Repo, args: &[&str]) -> Output {
    let mut v = vec!["check"];
    v.extend_from_slice(args);
    repo.run(&v)
}

/// Asserts that the record-based finding `code` is reported once for each of
/// paper's sealed files (the credentials and the image-pull secret, each with
/// its own record), and nowhere else.
fn once_per_sealed_file(o: &Output, code: &str) {
    for file in [PAPER_SEALED, PAPER_PULL_SEALED] {
        let here = stdout(o)
            .lines()
            .filter(|l| l.starts_with(&format!("{file}:1:1:")) && l.contains(&format!("[{code}]")))
            .count();
        assert_eq!(here, 1, "{code} for {file}: {}", stdout(o));
    }
    assert_eq!(count(o, code), 2, "{}", stdout(o));
}

/// Counts lines of `out`'s stdout carrying `[code]`.
fn count(o: &Output, code: &str) -> usize {
    stdout(o)
        .lines()
        .filter(|l| l.contains(&format!("[{code}]")))
        .count()
}

fn fingerprint(crt: &str) -> String {
    lifecycle_support::openssl_fingerprint(&project().join("testdata/keys").join(crt))
}

/// 200 KEY=VALUE lines plus the keys the workloads need.
fn big_env(tag: &str) -> Vec<u8> {
    let mut s = String::from_utf8(REAL.to_vec()).unwrap();
    for i in 0..200 {
        s.push_str(&format!("EXTRA_{i:03}=value-{tag}-{i}\n"));
    }
    s.into_bytes()
}

fn one_line_error(o: &Output, exit: i32, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(o), exit, "{}", all_output(o));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
}

#[test]
fn demo_pinned_paper_fails_the_gate_until_the_controller_certificate_is_pinned() {
    let mut repo = stack();
    // The committed demo path (README's first command) keeps working.
    let o = repo.run(&["render", "--all", "--demo", "--out-dir", "rendered"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    repo.write(PAPER_ENV, REAL);
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "sealed with the demo pin");
    for args in [
        &["--env", "paper"][..],
        &["--env", "paper", "--fail-on", "note"][..],
        &["k8s/"][..],
        &["k8s/overlays/paper"][..],
    ] {
        let o = check(&repo, args);
        assert_eq!(code(&o), 1, "check {args:?}: {}", all_output(&o));
        assert!(count(&o, "ES702") >= 1, "{}", stdout(&o));
        assert!(stdout(&o).contains("cert fetch --env paper --accept-new"));
    }
    // Deleting pin.yaml does not hide it: demo fingerprints are computed from
    // the committed demo certificates, not read from the pin's `demo:` flag.
    std::fs::remove_file(repo.path(PAPER_PIN)).unwrap();
    let o = check(&repo, &["--env", "paper"]);
    assert_eq!(code(&o), 1);
    assert_eq!(count(&o, "ES702"), 1, "{}", stdout(&o));
    assert_eq!(count(&o, "ES701"), 1, "{}", stdout(&o));
    repo.git(&["checkout", "--", PAPER_PIN]);

    // First day: pin the controller's certificate (the demo key is not kept:
    // no controller ever held it). What was sealed for the demo key is now
    // sealed for a key outside the keyring until resealed.
    pin(&repo, "paper", "rsa2048.crt");
    assert!(!repo.path("k8s/overlays/paper/sealing/keyring").exists());
    let o = check(&repo, &["--env", "paper"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert_eq!(count(&o, "ES702"), 0, "{}", stdout(&o));
    once_per_sealed_file(&o, "ES705");
    repo.ok(&["seal", "--env", "paper", "--all"]);
    let o = check(&repo, &["--env", "paper", "--fail-on", "note"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let o = check(&repo, &["k8s/overlays/paper"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn a_key_the_workloads_reference_cannot_go_missing() {
    let repo = stack();
    pin(&repo, "paper", "rsa2048.crt");
    repo.write(PAPER_ENV, REAL);
    repo.ok(&["seal", "--env", "paper"]);
    let before = repo.read(PAPER_SEALED);
    repo.write(
        PAPER_ENV,
        b"POSTGRES_PASSWORD=pg-Real-Value-1\nAPI_KEY=api-Real-Value-1\n",
    );
    let o = repo.run(&["seal", "--env", "paper"]);
    one_line_error(&o, 3, &["REDIS_PASSWORD", "--allow-missing REDIS_PASSWORD"]);
    assert_eq!(repo.read(PAPER_SEALED), before, "nothing written");
    // Forced through: the gate names every consumer.
    repo.ok(&[
        "seal",
        "--env",
        "paper",
        "--allow-missing",
        "REDIS_PASSWORD",
    ]);
    let o = check(&repo, &["--env", "paper"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let out = stdout(&o);
    for who in [
        "CronJob",
        "ScaledJob",
        "TriggerAuthentication",
        "Deployment",
    ] {
        assert!(
            out.lines()
                .any(|l| l.contains("[ES707]") && l.contains(who) && l.contains("REDIS_PASSWORD")),
            "{who}: {out}"
        );
    }
    assert!(!out.contains("redis-Real-Value"));
    // Path mode renders the overlays it walks into, so it agrees.
    for args in [
        &["k8s/overlays/paper"][..],
        &["k8s/overlays/paper/sealedsecret.yaml"][..],
    ] {
        let o = check(&repo, args);
        assert_eq!(code(&o), 1, "{args:?}: {}", stdout(&o));
        assert!(
            stdout(&o).lines().any(|l| l
                .starts_with("k8s/overlays/paper/kustomization.yaml:1:1: error[ES707]")
                && l.contains("CronJob")),
            "{args:?}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn example_values_are_never_sealed_for_a_real_key() {
    let repo = stack();
    pin(&repo, "paper", "rsa2048.crt");
    std::fs::copy(
        repo.path("k8s/overlays/paper/paper-secrets.env.example"),
        repo.path(PAPER_ENV),
    )
    .unwrap();
    let before = repo.read(PAPER_SEALED);
    let o = repo.run(&["seal", "--env", "paper"]);
    one_line_error(
        &o,
        3,
        &["POSTGRES_PASSWORD", "REDIS_PASSWORD", "API_KEY", "example"],
    );
    assert!(
        !all_output(&o).contains("example-paper"),
        "values never printed"
    );
    assert_eq!(repo.read(PAPER_SEALED), before);
    // One example value left is still refused, by name.
    repo.write(
        PAPER_ENV,
        b"POSTGRES_PASSWORD=pg-Real-Value-1\nREDIS_PASSWORD=example-paper-redis-password\nAPI_KEY=api-Real-Value-1\n",
    );
    let o = repo.run(&["seal", "--env", "paper"]);
    one_line_error(
        &o,
        3,
        &[
            "REDIS_PASSWORD",
            "k8s/overlays/paper/paper-secrets.env.example",
            "rotate",
        ],
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains("API_KEY"));
    // The pull secret's docker config copied from its example: refused too,
    // naming that example, and without offering `rotate --generate` (which
    // never writes a `files:` source).
    repo.write(PAPER_ENV, REAL);
    std::fs::copy(
        repo.path("k8s/overlays/paper/pull-secret.dockerconfigjson.example"),
        repo.path(PAPER_PULL),
    )
    .unwrap();
    let pull_before = repo.read(PAPER_PULL_SEALED);
    let o = repo.run(&["seal", "--env", "paper"]);
    one_line_error(
        &o,
        3,
        &[
            "k8s/overlays/paper/pull-secret.dockerconfigjson: .dockerconfigjson still has the example value from k8s/overlays/paper/pull-secret.dockerconfigjson.example;",
        ],
    );
    assert!(!all_output(&o).contains("rotate"), "{}", all_output(&o));
    assert!(!all_output(&o).contains("example-token-not-real"));
    assert_eq!(repo.read(PAPER_SEALED), before, "nothing written");
    assert_eq!(repo.read(PAPER_PULL_SEALED), pull_before, "nothing written");
}

#[test]
fn a_missing_or_replaced_pin_fails_seal_and_check() {
    let mut repo = stack();
    pin(&repo, "paper", "rsa2048.crt");
    repo.write(PAPER_ENV, REAL);
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "paper sealed");
    assert_eq!(code(&check(&repo, &["--env", "paper"])), 0);

    // pin.yaml deleted, cert.pem replaced by another certificate.
    std::fs::remove_file(repo.path(PAPER_PIN)).unwrap();
    std::fs::copy(
        project().join("testdata/keys/rsa3072.crt"),
        repo.path(PAPER_CERT),
    )
    .unwrap();
    let sealed = repo.read(PAPER_SEALED);
    one_line_error(
        &repo.run(&["seal", "--env", "paper", "--all"]),
        4,
        &["pin.yaml", "cert fetch --env paper --accept-new"],
    );
    assert_eq!(repo.read(PAPER_SEALED), sealed);
    for args in [&["--env", "paper"][..], &["k8s/"][..]] {
        let o = check(&repo, args);
        assert_eq!(code(&o), 1, "{}", stdout(&o));
        assert!(count(&o, "ES701") >= 1, "{}", stdout(&o));
    }
    // cert.pem replaced, pin.yaml kept: the two disagree.
    repo.git(&["checkout", "--", PAPER_PIN]);
    one_line_error(&repo.run(&["seal", "--env", "paper"]), 4, &["pin.yaml"]);
    assert_eq!(count(&check(&repo, &["--env", "paper"]), "ES701"), 1);
    // cert.pem removed: the key checks are not silently skipped.
    std::fs::remove_file(repo.path(PAPER_CERT)).unwrap();
    let o = check(&repo, &["--env", "paper"]);
    assert_eq!(code(&o), 1);
    assert_eq!(count(&o, "ES701"), 1, "{}", stdout(&o));
}

#[test]
fn two_hundred_values_sealed_for_a_foreign_key_always_fail() {
    for foreign in ["rsa4096.crt", "rsa3072.crt", "demo-prod.crt"] {
        let repo = stack();
        pin(&repo, "paper", "rsa2048.crt");
        repo.write(PAPER_ENV, REAL);
        repo.ok(&["seal", "--env", "paper"]);
        repo.write("foreign.env", &big_env(foreign));
        let crt = project().join("testdata/keys").join(foreign);
        let o = repo.run(&[
            "seal",
            "--cert",
            crt.to_str().unwrap(),
            "--from-env-file",
            "foreign.env",
            "--name",
            "emp-secrets-paper",
            "-n",
            "emp-system-paper",
            "--merge-into",
            PAPER_SEALED,
        ]);
        assert_eq!(code(&o), 0, "{}", all_output(&o));
        std::fs::remove_file(repo.path("foreign.env")).unwrap();
        for args in [
            &["--env", "paper"][..],
            &["k8s/"][..],
            &["k8s/overlays/paper/sealedsecret.yaml"][..],
        ] {
            let o = check(&repo, args);
            assert_eq!(code(&o), 1, "{foreign} {args:?}: {}", stdout(&o));
            assert_eq!(count(&o, "ES704"), 1, "{}", stdout(&o));
            assert!(stdout(&o).contains("empseal adopt --env paper"));
        }
    }
}

#[test]
fn values_sealed_for_a_previous_keyring_key_pass_with_a_note() {
    let mut repo = stack();
    pin(&repo, "paper", "rsa2048.crt");
    repo.write(PAPER_ENV, &big_env("old"));
    repo.ok(&["seal", "--env", "paper"]);
    let old = repo.commit("Alice", "203 values sealed for the current key");

    // The controller renewed its key: fetch it (the old one goes to the keyring).
    pin(&repo, "paper", "rsa4096.crt");
    let ring = repo.path("k8s/overlays/paper/sealing/keyring");
    assert_eq!(std::fs::read_dir(&ring).unwrap().count(), 1);
    let o = check(&repo, &["--env", "paper"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    once_per_sealed_file(&o, "ES706");
    assert_eq!(count(&o, "ES202") + count(&o, "ES201"), 0, "{}", stdout(&o));
    assert_eq!(
        code(&check(&repo, &["--env", "paper", "--fail-on", "note"])),
        1
    );
    assert_eq!(code(&check(&repo, &["k8s/overlays/paper"])), 0);
    repo.commit("Alice", "pinned the renewed key");

    // Reseal to the new key, then roll back to the version sealed for the
    // previous key (the controller still holds it): passes with the note.
    repo.ok(&["seal", "--env", "paper", "--all"]);
    let o = check(&repo, &["--env", "paper", "--fail-on", "note"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    repo.commit("Alice", "resealed for the new key");
    repo.ok(&["rollback", "--env", "paper", "--to", &old]);
    let o = check(&repo, &["--env", "paper"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    once_per_sealed_file(&o, "ES706");

    // Retired (the controller dropped it): the same file now fails.
    let fp = fingerprint("rsa2048.crt");
    repo.ok(&["cert", "retire", "--env", "paper", &fp]);
    assert!(std::fs::read_dir(&ring).unwrap().next().is_none());
    let o = check(&repo, &["--env", "paper"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    once_per_sealed_file(&o, "ES705");
    // Retiring the current key, or an unknown one, is refused.
    let cur = fingerprint("rsa4096.crt");
    assert_eq!(
        code(&repo.run(&["cert", "retire", "--env", "paper", &cur])),
        4
    );
    assert_eq!(
        code(&repo.run(&["cert", "retire", "--env", "paper", &fp])),
        4
    );
}

#[test]
fn adopt_records_values_sealed_elsewhere_with_the_pinned_certificate() {
    let repo = stack();
    pin(&repo, "paper", "rsa2048.crt");
    repo.write(PAPER_ENV, REAL);
    repo.ok(&["seal", "--env", "paper"]);
    repo.write("extra.env", b"NEW_TOKEN=tok-Real-Value-1\n");
    let o = repo.run(&[
        "seal",
        "--cert",
        PAPER_CERT,
        "--from-env-file",
        "extra.env",
        "--name",
        "emp-secrets-paper",
        "-n",
        "emp-system-paper",
        "--merge-into",
        PAPER_SEALED,
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert_eq!(count(&check(&repo, &["--env", "paper"]), "ES704"), 1);
    let o = repo.ok(&["adopt", "--env", "paper"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot verify"));
    let o = check(&repo, &["--env", "paper", "--fail-on", "note"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn seal_after_rollback_does_not_silently_undo_it() {
    let mut repo = stack();
    pin(&repo, "paper", "rsa2048.crt");
    repo.write(PAPER_ENV, REAL);
    repo.ok(&["seal", "--env", "paper"]);
    let v1 = repo.commit("Alice", "v1");
    repo.write(
        PAPER_ENV,
        b"POSTGRES_PASSWORD=pg-Real-Value-2\nREDIS_PASSWORD=redis-Real-Value-2\nAPI_KEY=api-Real-Value-2\n",
    );
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "v2");
    repo.ok(&["rollback", "--env", "paper", "--to", &v1]);
    let restored = repo.read(PAPER_SEALED);
    let o = repo.run(&["seal", "--env", "paper"]);
    one_line_error(&o, 8, &["restored from", "--overwrite-rollback"]);
    assert_eq!(repo.read(PAPER_SEALED), restored);
    // The gate is clean on the rolled-back file (sealed for the pinned key).
    assert_eq!(code(&check(&repo, &["--env", "paper"])), 0);
    // Explicitly: seal the env file's values.
    repo.ok(&["seal", "--env", "paper", "--overwrite-rollback"]);
    assert_ne!(repo.read(PAPER_SEALED), restored);
    // And the marker is gone: the next seal is a normal one.
    repo.ok(&["seal", "--env", "paper"]);
}

const PLAIN_SECRET: &[u8] = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\ntype: Opaque\ndata:\n  TOKEN: c2VjcmV0LXRva2Vu\n";

#[test]
fn sealed_envs_come_from_configuration_not_directory_names() {
    let repo = stack();
    // A new env, uat, marked sealed in empseal.yaml, with a plaintext Secret.
    std::fs::create_dir_all(repo.path("k8s/overlays/uat")).unwrap();
    repo.write(
        "k8s/overlays/uat/kustomization.yaml",
        b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: emp-system-uat\nresources:\n  - secret.yaml\n",
    );
    repo.write("k8s/overlays/uat/secret.yaml", PLAIN_SECRET);
    let o = check(&repo, &["k8s/overlays/uat"]);
    assert_eq!(code(&o), 0, "not marked sealed yet: {}", stdout(&o));
    repo.write(
        "empseal.yaml",
        b"kustomize: auto\nenvs:\n  uat:\n    sealed: true\n",
    );
    for args in [
        &["k8s/overlays/uat"][..],
        &["k8s/"][..],
        &["--env", "uat"][..],
    ] {
        let o = check(&repo, args);
        assert_eq!(code(&o), 1, "{args:?}: {}", stdout(&o));
        assert_eq!(count(&o, "ES501"), 1, "{args:?}: {}", stdout(&o));
    }

    // However the path is typed: from inside the prod overlay.
    repo.write("k8s/overlays/prod/extra-secret.yaml", PLAIN_SECRET);
    let o = lifecycle_support::empseal(&repo.path("k8s/overlays/prod"), &["check", "."]);
    assert_eq!(count(&o, "ES501"), 1, "{}", stdout(&o));
    let o = lifecycle_support::empseal(
        &repo.path("k8s/overlays/prod"),
        &["check", "extra-secret.yaml"],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(count(&o, "ES501"), 1, "{}", stdout(&o));
    std::fs::remove_file(repo.path("k8s/overlays/prod/extra-secret.yaml")).unwrap();

    // stdin: the rendered overlay with a plaintext Secret appended. `check -`
    // alone cannot know the stream's env; with --env (or --sealed-only) it does.
    let mut rendered = std::process::Command::new("kubectl")
        .args(["kustomize", "k8s/overlays/paper"])
        .current_dir(repo.root())
        .output()
        .unwrap()
        .stdout;
    rendered.extend_from_slice(b"---\n");
    rendered.extend_from_slice(PLAIN_SECRET);
    for (args, want) in [
        (&["check", "--no-git", "-"][..], 0),
        (&["check", "--no-git", "--sealed-only", "-"][..], 1),
        (&["check", "--no-git", "--env", "paper", "-"][..], 1),
    ] {
        let mut child = std::process::Command::new(lifecycle_support::bin())
            .args(args)
            .current_dir(repo.root())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(&rendered).unwrap();
        let o = child.wait_with_output().unwrap();
        let plain = stdout(&o)
            .lines()
            .filter(|l| l.contains("[ES501]") && l.starts_with("<stdin>"))
            .count();
        assert_eq!(plain, want, "{args:?}: {}", stdout(&o));
    }
}

#[test]
fn check_env_dev_on_a_fresh_clone_names_the_missing_env_file() {
    let repo = stack();
    let o = check(&repo, &["--env", "dev"]);
    one_line_error(
        &o,
        3,
        &[
            "k8s/overlays/dev/dev-secrets.env is missing",
            "cp k8s/overlays/dev/dev-secrets.env.example k8s/overlays/dev/dev-secrets.env",
        ],
    );
    std::fs::copy(
        repo.path("k8s/overlays/dev/dev-secrets.env.example"),
        repo.path("k8s/overlays/dev/dev-secrets.env"),
    )
    .unwrap();
    assert_eq!(code(&check(&repo, &["--env", "dev"])), 0);
}

#[test]
fn rotating_an_unchanged_value_says_so_and_keeps_the_ciphertext() {
    let repo = stack();
    pin(&repo, "paper", "rsa2048.crt");
    repo.write(PAPER_ENV, REAL);
    repo.ok(&["seal", "--env", "paper"]);
    let before = repo.read(PAPER_SEALED);
    let o = repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY"]);
    let out = stdout(&o);
    assert!(out.contains("rotated in paper: -"), "{out}");
    assert!(out.contains("unchanged: API_KEY"), "{out}");
    assert_eq!(repo.read(PAPER_SEALED), before, "ciphertext kept");
    // A changed value is rotated, and only it.
    repo.write(
        PAPER_ENV,
        b"POSTGRES_PASSWORD=pg-Real-Value-1\nREDIS_PASSWORD=redis-Real-Value-1\nAPI_KEY=api-Real-Value-2\n",
    );
    let o = repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY"]);
    assert!(
        stdout(&o).contains("rotated in paper: API_KEY"),
        "{}",
        stdout(&o)
    );
    let (a, b) = (
        lifecycle_support::read_sealed(&before),
        lifecycle_support::read_sealed(&repo.read(PAPER_SEALED)),
    );
    assert_ne!(a.encrypted_data["API_KEY"], b.encrypted_data["API_KEY"]);
    assert_eq!(
        a.encrypted_data["REDIS_PASSWORD"],
        b.encrypted_data["REDIS_PASSWORD"]
    );
    // An example value is refused by rotate as by seal.
    repo.write(
        PAPER_ENV,
        b"POSTGRES_PASSWORD=pg-Real-Value-1\nREDIS_PASSWORD=redis-Real-Value-1\nAPI_KEY=example-paper-api-key\n",
    );
    let o = repo.run(&["rotate", "--env", "paper", "--key", "API_KEY"]);
    one_line_error(&o, 3, &["API_KEY", "example"]);
    assert!(!all_output(&o).contains("example-paper-api-key"));
}

#[test]
fn github_and_sarif_locations_name_repository_files() {
    let repo = stack();
    let sealed = String::from_utf8(repo.read("k8s/overlays/prod/sealedsecret.yaml")).unwrap();
    let line_of = |key: &str| {
        sealed
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .unwrap()
            + 1
    };
    let o = check(&repo, &["--env", "prod", "--format", "github"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(!out.contains("file=kustomize"), "{out}");
    for key in ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"] {
        let want = format!(
            "file=k8s/overlays/prod/sealedsecret.yaml,line={},",
            line_of(key)
        );
        assert!(
            out.lines()
                .any(|l| l.contains("ES101") && l.contains(&want) && l.contains(key)),
            "{want}: {out}"
        );
    }
    let o = check(&repo, &["--env", "prod", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(repo.path(uri).is_file(), "{uri} is not a repository file");
    }
}

/// A finding about an object the overlay takes from another file points at that
/// file (kustomize's origin annotations), at the object's `kind:` line, so GitHub
/// attaches it to the pull request's file; the rendered position stays in the text.
#[test]
fn github_annotations_point_at_the_file_kustomize_read_the_object_from() {
    let repo = stack();
    let leak = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n---\n# a plaintext Secret committed by mistake\napiVersion: v1\nkind: Secret\nmetadata:\n  name: emp-leaked\nstringData:\n  TOKEN: not-a-real-token\n";
    repo.write("k8s/base/leaked.yaml", leak.as_bytes());
    let k = String::from_utf8(repo.read("k8s/base/kustomization.yaml")).unwrap();
    let k = k.replacen("resources:\n", "resources:\n  - leaked.yaml\n", 1);
    repo.write("k8s/base/kustomization.yaml", k.as_bytes());
    let secret_line = leak.lines().position(|l| l == "kind: Secret").unwrap() + 1;
    let o = check(&repo, &["--env", "prod", "--format", "github"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let want = format!("file=k8s/base/leaked.yaml,line={secret_line},");
    let line = out
        .lines()
        .find(|l| l.contains("emp-leaked"))
        .unwrap_or_else(|| panic!("no finding names the leaked Secret: {out}"));
    assert!(line.contains(&want), "{want}: {line}");
    assert!(
        line.contains("rendered at kustomize k8s/overlays/prod:"),
        "{line}"
    );
    assert!(!out.contains("not-a-real-token"), "{out}");
    let o = check(&repo, &["--env", "prod", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"k8s/base/leaked.yaml"), "{uris:?}");
}

/// Path mode and `--env` agree: what only kustomize's render shows (here a
/// secretGenerator's plaintext Secret in prod) is reported by `check` on the repo's
/// files too, at the overlay's kustomization.yaml; a finding the files already
/// show (the committed placeholders) is not repeated from the render.
#[test]
fn path_mode_reports_what_only_the_render_shows() {
    let repo = stack();
    let runs: [&[&str]; 2] = [
        &["--no-ignore-file", "k8s/overlays/prod"],
        &["--no-ignore-file", "."],
    ];
    let mut placeholders = Vec::new();
    for args in runs {
        let before = check(&repo, args);
        assert!(
            !stdout(&before).contains("emp-extra"),
            "{}",
            stdout(&before)
        );
        placeholders.push(count(&before, "ES101"));
    }
    assert!(placeholders[0] > 0, "the committed placeholders are found");
    let k = String::from_utf8(repo.read("k8s/overlays/prod/kustomization.yaml")).unwrap();
    let k = format!(
        "{k}\nsecretGenerator:\n  - name: emp-extra\n    literals:\n      - TOKEN=not-a-real-token-7f3a\n"
    );
    repo.write("k8s/overlays/prod/kustomization.yaml", k.as_bytes());
    for (args, placeholders) in runs.into_iter().zip(placeholders) {
        let o = check(&repo, args);
        let out = stdout(&o);
        assert_eq!(code(&o), 1, "{out}");
        let line = out
            .lines()
            .find(|l| l.contains("emp-extra"))
            .unwrap_or_else(|| panic!("{args:?}: the generated Secret is not reported: {out}"));
        assert!(
            line.trim_start_matches("./")
                .starts_with("k8s/overlays/prod/kustomization.yaml:1:1:"),
            "{line}"
        );
        assert!(line.contains("only in the render"), "{line}");
        assert!(!out.contains("not-a-real-token-7f3a"), "{out}");
        assert_eq!(count(&o, "ES101"), placeholders, "{out}");
    }
}
