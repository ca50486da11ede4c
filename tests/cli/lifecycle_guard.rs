//! Guards of the commands that write an environment's state (issue 17): the env
//! lock (two real processes never interleave; a writer that cannot get the lock
//! fails in one line, writing nothing) and rollback's refusal to overwrite
//! uncommitted changes unless `--force`.

use crate::lifecycle_support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use empseal_env::overlay::{sha256_hex, Record, State};
use lifecycle_support::*;

const SEALED: &str = "k8s/overlays/paper/sealedsecret.yaml";
const RECORD: &str = "k8s/overlays/paper/sealing/record.yaml";
const STATE: &str = "k8s/overlays/paper/.paper-secrets.state";
const ENV: &str = "k8s/overlays/paper/paper-secrets.env";

fn empseal_with(root: &Path, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(root)
        .args(args)
        .env_remove("SEALED_SECRETS_CERT")
        .env_remove("EMPSEAL_LOCK_TIMEOUT");
    for (k, v) in vars {
        c.env(k, v);
    }
    c
}

fn one_line(out: &Output, code: i32, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{}", all_output(out));
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
    err
}

/// The env file, the sealed file, the record and the local state agree: the
/// sealed values are the env file's, the record and the state describe the
/// sealed file's bytes, and sealing again changes nothing.
fn assert_consistent(repo: &Repo) {
    let sealed_bytes = repo.read(SEALED);
    let sealed = read_sealed(&sealed_bytes);
    let plain = unseal(
        &as_rendered(&sealed, "emp-secrets-paper", "emp-system-paper"),
        demo_key("paper"),
    );
    assert_eq!(
        plain,
        env_pairs(&repo.read(ENV)),
        "sealed values != env file"
    );
    let record = Record::parse("record", &repo.read(RECORD)).unwrap();
    assert_eq!(record.sealed_sha256, sha256_hex(&sealed_bytes), "record");
    let state = State::load(&repo.path(STATE)).expect("a state");
    assert_eq!(state.sealed_sha256, sha256_hex(&sealed_bytes), "state");
    let out = repo.ok(&["seal", "--env", "paper"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("is up to date"), "{text}");
}

#[test]
fn a_writer_that_cannot_get_the_env_lock_fails_in_one_line_and_writes_nothing() {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "Seal paper");
    let before = tree_hash(repo.root(), &[".git"]);
    // This test process holds the lock of paper's state directory, as a running
    // `empseal rotate` would.
    let dir = std::fs::File::open(repo.path("k8s/overlays/paper")).unwrap();
    dir.lock().unwrap();
    for args in [
        &["rotate", "--env", "paper", "--generate"][..],
        &["seal", "--env", "paper", "--all"][..],
        &["rollback", "--env", "paper", "--to", "HEAD", "--force"][..],
    ] {
        let t = Instant::now();
        let out = empseal_with(repo.root(), args, &[("EMPSEAL_LOCK_TIMEOUT", "1")])
            .output()
            .unwrap();
        one_line(
            &out,
            7,
            &[
                "k8s/overlays/paper",
                "another empseal",
                "EMPSEAL_LOCK_TIMEOUT",
            ],
        );
        assert!(
            t.elapsed() >= Duration::from_secs(1),
            "{args:?} did not wait"
        );
        assert_eq!(tree_hash(repo.root(), &[".git"]), before, "{args:?} wrote");
    }
    // Another env is not blocked.
    repo.ok(&["seal", "--env", "prod"]);
    // Released (here: by the holder; a killed holder's lock goes with it), the
    // waiting writer goes ahead.
    let waiter = empseal_with(
        repo.root(),
        &["rotate", "--env", "paper", "--key", "API_KEY", "--generate"],
        &[("EMPSEAL_LOCK_TIMEOUT", "20")],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    dir.unlock().unwrap();
    let out = waiter.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_consistent(&repo);
}

#[test]
fn concurrent_rotations_leave_env_file_sealed_file_record_and_state_agreeing() {
    let repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    for round in 0..3 {
        let before = env_pairs(&repo.read(ENV));
        let children: Vec<_> = ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "API_KEY"]
            .iter()
            .map(|k| {
                empseal_with(
                    repo.root(),
                    &["rotate", "--env", "paper", "--key", k, "--generate"],
                    &[],
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", all_output(&out));
        }
        // No rotation was lost: every key got a new value.
        let after = env_pairs(&repo.read(ENV));
        for k in ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"] {
            assert_ne!(
                after[k], before[k],
                "round {round}: the rotation of {k} was lost"
            );
        }
        assert_consistent(&repo);
    }
}

#[test]
fn rollback_refuses_uncommitted_changes_of_the_sealed_file_or_record_unless_forced() {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    let first = repo.commit("Alice", "Seal paper");
    let v1 = repo.read(SEALED);
    repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY", "--generate"]);
    repo.commit("Bob", "Rotate the API key");

    // Uncommitted work in the sealed file (a fresh reseal, not committed yet).
    repo.ok(&[
        "rotate",
        "--env",
        "paper",
        "--key",
        "REDIS_PASSWORD",
        "--generate",
    ]);
    let before = tree_hash(repo.root(), &[".git"]);
    let out = repo.run(&["rollback", "--env", "paper", "--to", &first]);
    one_line(&out, 8, &[SEALED, RECORD, "uncommitted changes", "--force"]);
    assert_eq!(tree_hash(repo.root(), &[".git"]), before, "nothing written");
    assert!(repo.path(STATE).exists(), "the state was not reset");

    // Only the record edited by hand: refused too, naming it alone.
    repo.git(&["checkout", "--", SEALED, RECORD]);
    let mut record = repo.read(RECORD);
    record.extend_from_slice(b"# reviewed\n");
    repo.write(RECORD, &record);
    let out = repo.run(&["rollback", "--env", "paper", "--to", &first]);
    let err = one_line(&out, 8, &[RECORD, "--force"]);
    assert!(!err.contains("sealedsecret.yaml"), "{err}");
    // --dry-run says so, and writes nothing.
    let out = repo.ok(&["rollback", "--env", "paper", "--to", &first, "--dry-run"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(repo.read(RECORD), record);

    // --force discards them.
    repo.ok(&["rollback", "--env", "paper", "--to", &first, "--force"]);
    assert_eq!(repo.read(SEALED), v1);
    assert!(!repo.path(STATE).exists());

    // A clean tree needs no --force.
    repo.git(&["checkout", "--", SEALED, RECORD]);
    repo.ok(&["rollback", "--env", "paper", "--to", &first]);
    assert_eq!(repo.read(SEALED), v1);
}

/// A rollback restores a version this branch had: a commit of another branch
/// (a pull request fetched for review) is refused in one line, writing nothing.
#[test]
fn rollback_refuses_a_commit_outside_the_history_of_head() {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    repo.commit("Alice", "seal paper");
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo.write(
        ENV,
        b"POSTGRES_PASSWORD=pr-pg\nREDIS_PASSWORD=pr-redis\nAPI_KEY=pr-api\n",
    );
    repo.ok(&["seal", "--env", "paper"]);
    let foreign = repo.commit("Mallory", "reseal paper on a branch");
    repo.git(&["checkout", "-q", "main"]);
    let before = empseal_testkit::files::tree_snapshot(repo.root());
    let out = repo.run(&["rollback", "--env", "paper", "--to", &foreign]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("is not in the history of HEAD"), "{err}");
    assert!(empseal_testkit::files::tree_snapshot(repo.root()) == before);
    // The branch's own commit, once merged, is history.
    repo.git(&["merge", "-q", "--ff-only", "pr"]);
    repo.ok(&["rollback", "--env", "paper", "--to", &foreign, "--dry-run"]);
}

/// A rollback that fails before its plan is applied (here kustomize cannot
/// build the overlay, which planning the rollout patch needs) leaves the local
/// seal state where it was, with every other file; the same rollback once the
/// overlay builds again resets it.
#[test]
fn a_rollback_failing_in_kustomize_keeps_the_local_seal_state() {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    let first = repo.commit("Alice", "Seal paper");
    let v1 = repo.read(SEALED);
    repo.ok(&["rotate", "--env", "paper", "--key", "API_KEY", "--generate"]);
    repo.commit("Bob", "Rotate the API key");

    let kustomization = "k8s/overlays/paper/kustomization.yaml";
    let good = repo.read(kustomization);
    let broken = String::from_utf8(good.clone()).unwrap().replace(
        "  - sealedsecret.yaml\n",
        "  - sealedsecret.yaml\n  - missing.yaml\n",
    );
    repo.write(kustomization, broken.as_bytes());
    let state = repo.read(STATE);
    let before = tree_hash(repo.root(), &[".git"]);
    let out = repo.run(&["rollback", "--env", "paper", "--to", &first]);
    assert_ne!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("kustomize"),
        "{}",
        all_output(&out)
    );
    assert_eq!(
        repo.read(STATE),
        state,
        "the failed rollback reset the state"
    );
    assert_eq!(tree_hash(repo.root(), &[".git"]), before, "nothing written");

    repo.write(kustomization, &good);
    repo.ok(&["rollback", "--env", "paper", "--to", &first]);
    assert_eq!(repo.read(SEALED), v1);
    assert!(!repo.path(STATE).exists(), "the state was not reset");
}
