//! Crash safety: `seal --env`, `rotate` and `rollback` run as child processes
//! and are killed with SIGKILL at moments drawn from a seeded RNG. After every
//! kill each file they write is exactly its old bytes or a complete new
//! version (never torn), and the temporary files an interrupted write leaves
//! are invisible to git (gitignored) and removed by a later run once stale.

use crate::lifecycle_support;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use empseal_env::overlay::{sha256_hex, Record, State};
use lifecycle_support::*;
use rand::{Rng, SeedableRng};

const SEALED: &str = "k8s/overlays/paper/sealedsecret.yaml";
const RECORD: &str = "k8s/overlays/paper/sealing/record.yaml";
const ENV: &str = "k8s/overlays/paper/paper-secrets.env";
const STATE: &str = "k8s/overlays/paper/.paper-secrets.state";
const ITERATIONS: usize = 30;
const KEYS: [&str; 3] = ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"];

/// Bytes of each file (None = absent).
#[derive(Clone, Debug, PartialEq)]
struct Snapshot(Vec<(&'static str, Option<Vec<u8>>)>);

fn snapshot(repo: &Repo, files: &[&'static str]) -> Snapshot {
    Snapshot(
        files
            .iter()
            .map(|f| (*f, std::fs::read(repo.path(f)).ok()))
            .collect(),
    )
}

fn restore(repo: &Repo, s: &Snapshot) {
    for (f, bytes) in &s.0 {
        match bytes {
            Some(b) => {
                std::fs::write(repo.path(f), b).unwrap();
                let mode = if f.ends_with(".env") || f.ends_with(".state") {
                    0o600
                } else {
                    0o644
                };
                std::fs::set_permissions(repo.path(f), std::fs::Permissions::from_mode(mode))
                    .unwrap();
            }
            None => {
                let _ = std::fs::remove_file(repo.path(f));
            }
        }
    }
}

fn spawn(repo: &Repo, args: &[&str]) -> std::process::Child {
    Command::new(bin())
        .current_dir(repo.root())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn temp_files(repo: &Repo) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in ["k8s/overlays/paper", "k8s/overlays/paper/sealing"] {
        for e in std::fs::read_dir(repo.path(dir)).unwrap() {
            let e = e.unwrap();
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(".empseal-") && n.ends_with(".tmp") {
                out.push(e.path());
            }
        }
    }
    out
}

/// Outcome counts per file: (old, new).
type Counts = Vec<(usize, usize)>;

/// Runs `args` to completion once from `pre` to time it, then `ITERATIONS`
/// times killed after a seeded random delay; `check` judges each file after
/// each kill and says whether it is new (panicking when it is torn).
fn crash_loop(
    repo: &Repo,
    pre: &Snapshot,
    args: &[&str],
    seed: u64,
    check: &dyn Fn(&Repo, &Snapshot) -> Vec<bool>,
) -> Counts {
    restore(repo, pre);
    let mut took = Duration::ZERO;
    for _ in 0..2 {
        restore(repo, pre);
        let t = Instant::now();
        let status = spawn(repo, args).wait().unwrap();
        took += t.elapsed();
        assert!(
            status.success(),
            "empseal {args:?} fails even without a kill"
        );
    }
    let mut d = took / 2;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut counts: Counts = vec![(0, 0); pre.0.len()];
    // ITERATIONS kills; then (bounded, at most as many again) more until the
    // first file was seen both old and new, so the run is never vacuous.
    for i in 0..2 * ITERATIONS {
        let both = |c: &(usize, usize)| c.0 > 0 && c.1 > 0;
        if i >= ITERATIONS && counts.iter().take(2).all(both) {
            break;
        }
        // A loaded machine makes the calibration run unrepresentative: stretch the
        // window while no kill has landed after the writes, shrink it while none
        // has landed before them.
        if i >= ITERATIONS / 2 {
            if counts.iter().all(|c| c.1 == 0) {
                d = d.mul_f64(1.3);
            } else if counts.iter().all(|c| c.0 == 0) {
                d = d.mul_f64(0.7);
            }
        }
        restore(repo, pre);
        // Half the kills anywhere in the run, half near its end (where the writes are).
        let frac: f64 = if rng.random_bool(0.5) {
            rng.random_range(0.0..1.1)
        } else {
            rng.random_range(0.75..1.05)
        };
        let delay = d.mul_f64(frac);
        let mut child = spawn(repo, args);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let news = check(repo, pre);
        for (c, new) in counts.iter_mut().zip(news) {
            if new {
                c.1 += 1;
            } else {
                c.0 += 1;
            }
        }
        // Leftover temporary files are never something git would commit.
        let status =
            String::from_utf8(repo.git(&["status", "--porcelain", "--untracked-files=all"]))
                .unwrap();
        assert!(
            !status.contains(".empseal-"),
            "iteration {i}: git sees a temp file:\n{status}"
        );
        // A leftover readable by others never holds a plaintext value.
        let mut values: Vec<String> = env_pairs(&repo.read(ENV)).into_values().collect();
        if let Some(Some(b)) = pre
            .0
            .iter()
            .find(|(f, _)| *f == ENV)
            .map(|(_, b)| b.clone())
        {
            values.extend(env_pairs(&b).into_values());
        }
        for t in temp_files(repo) {
            let mode = std::fs::metadata(&t).unwrap().permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                let text = String::from_utf8_lossy(&std::fs::read(&t).unwrap()).into_owned();
                for v in &values {
                    assert!(
                        !text.contains(v.as_str()),
                        "{}: mode {mode:o} holds a plaintext value",
                        t.display()
                    );
                }
            }
        }
    }
    counts
}

/// Ages every leftover temp file past the staleness limit, runs `args` to
/// completion, and checks they were removed.
fn stale_temps_are_cleaned(repo: &Repo, pre: &Snapshot, args: &[&str]) -> usize {
    restore(repo, pre);
    let temps = temp_files(repo);
    for t in &temps {
        let f = std::fs::File::options().write(true).open(t).unwrap();
        f.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }
    let young = repo.path("k8s/overlays/paper/.empseal-young.tmp");
    std::fs::write(&young, b"in use by another empseal").unwrap();
    repo.ok(args);
    assert_eq!(
        temp_files(repo),
        vec![young.clone()],
        "stale temp files were not removed"
    );
    std::fs::remove_file(young).unwrap();
    temps.len()
}

/// A repository with two commits (sealed; REDIS rotated) and the paper env file.
fn prepared() -> (Repo, String) {
    let mut repo = pinned_repo();
    repo.ok(&["seal", "--env", "paper"]);
    let first = repo.commit("Alice", "seal paper");
    repo.ok(&[
        "rotate",
        "--env",
        "paper",
        "--key",
        "REDIS_PASSWORD",
        "--generate",
    ]);
    repo.commit("Bob", "rotate redis");
    (repo, first)
}

fn is_old(repo: &Repo, pre: &Snapshot, file: &str) -> bool {
    let now = std::fs::read(repo.path(file)).ok();
    pre.0.iter().find(|(f, _)| *f == file).unwrap().1 == now
}

/// A complete sealed file: all keys, template metadata, every value unsealing
/// with the demo key to the env file's current value.
fn assert_complete_sealed(repo: &Repo, ctx: &str) -> kubeseal_core::secret::SealedSecret {
    let bytes = repo.read(SEALED);
    let s = empseal_env::overlay::read_one_sealed("sealed", &bytes)
        .unwrap_or_else(|e| panic!("{ctx}: torn sealed file: {e}"))
        .0;
    assert_eq!(s.encrypted_data.keys().collect::<Vec<_>>(), KEYS, "{ctx}");
    assert_eq!(s.template.metadata.name, "emp-secrets-paper", "{ctx}");
    assert_eq!(s.template.metadata.namespace, "emp-system-paper", "{ctx}");
    assert_eq!(
        unseal(&s, demo_key("paper")),
        env_pairs(&repo.read(ENV)),
        "{ctx}"
    );
    s
}

fn assert_complete_record(repo: &Repo, resealed: &[&str], ctx: &str) {
    let r = Record::parse("record", &repo.read(RECORD))
        .unwrap_or_else(|e| panic!("{ctx}: torn record: {e}"));
    assert_eq!(r.keys, KEYS, "{ctx}");
    assert_eq!(r.resealed, resealed, "{ctx}");
    assert_eq!(
        r.sealed_sha256,
        sha256_hex(&repo.read(SEALED)),
        "{ctx}: record written before the sealed file"
    );
}

fn assert_complete_state(repo: &Repo, ctx: &str) {
    let s = State::load(&repo.path(STATE)).unwrap_or_else(|| panic!("{ctx}: torn state file"));
    assert_eq!(s.values.keys().collect::<Vec<_>>(), KEYS, "{ctx}");
    assert_eq!(
        s.sealed_sha256,
        sha256_hex(&repo.read(SEALED)),
        "{ctx}: state written before the sealed file"
    );
    let mode = std::fs::metadata(repo.path(STATE))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{ctx}");
}

fn report(what: &str, files: &[&str], counts: &Counts) {
    for (f, (old, new)) in files.iter().zip(counts) {
        eprintln!(
            "{what}: {f}: {old} old, {new} new after {} kills",
            old + new
        );
    }
}

#[test]
fn sigkill_during_seal_leaves_each_file_old_or_new() {
    let (repo, _) = prepared();
    // New values for every key, resealed with --all.
    repo.write(
        ENV,
        b"# paper\nPOSTGRES_PASSWORD=crash-pg\nREDIS_PASSWORD=crash-redis\nAPI_KEY=crash-api\n",
    );
    let files = [SEALED, RECORD, STATE];
    let pre = snapshot(&repo, &files);
    let args = ["seal", "--env", "paper", "--all"];
    let counts = crash_loop(&repo, &pre, &args, 0x5ea1, &|repo, pre| {
        let sealed_new = !is_old(repo, pre, SEALED);
        if sealed_new {
            assert_complete_sealed(repo, "seal");
        }
        let record_new = !is_old(repo, pre, RECORD);
        if record_new {
            assert!(sealed_new, "record replaced before the sealed file");
            assert_complete_record(repo, &KEYS, "seal");
        }
        let state_new = !is_old(repo, pre, STATE);
        if state_new {
            assert!(
                sealed_new && record_new,
                "state replaced before the sealed file and record"
            );
            assert_complete_state(repo, "seal");
        }
        vec![sealed_new, record_new, state_new]
    });
    report("seal --env", &files, &counts);
    assert!(
        counts[0].0 > 0 && counts[0].1 > 0,
        "kills never landed on both sides: {counts:?}"
    );
    // Whatever the kills left, the next run completes and is right.
    let n = stale_temps_are_cleaned(&repo, &pre, &args);
    eprintln!("seal --env: {n} stale temp files cleaned");
    assert_complete_sealed(&repo, "after recovery");
}

#[test]
fn sigkill_during_rotate_leaves_each_file_old_or_new() {
    let (repo, _) = prepared();
    let files = [ENV, SEALED, RECORD, STATE];
    let pre = snapshot(&repo, &files);
    let old_env = String::from_utf8(pre.0[0].1.clone().unwrap()).unwrap();
    let old_sealed = empseal_env::overlay::read_one_sealed("old", pre.0[1].1.as_ref().unwrap())
        .unwrap()
        .0;
    let args = ["rotate", "--env", "paper", "--key", "API_KEY", "--generate"];
    let counts = crash_loop(&repo, &pre, &args, 0x707a7e, &|repo, pre| {
        let env_new = !is_old(repo, pre, ENV);
        if env_new {
            let now = String::from_utf8(repo.read(ENV)).unwrap();
            let old_lines: Vec<&str> = old_env.lines().collect();
            let new_lines: Vec<&str> = now.lines().collect();
            assert_eq!(old_lines.len(), new_lines.len(), "torn env file:\n{now}");
            assert!(now.ends_with('\n'), "torn env file");
            for (o, n) in old_lines.iter().zip(&new_lines) {
                if o.starts_with("API_KEY=") {
                    let v = n.strip_prefix("API_KEY=").expect("torn env file");
                    assert_eq!(v.len(), 32, "torn env file");
                } else {
                    assert_eq!(o, n);
                }
            }
            let mode = std::fs::metadata(repo.path(ENV))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600);
        }
        let sealed_new = !is_old(repo, pre, SEALED);
        if sealed_new {
            assert!(env_new, "sealed file replaced before the env file");
            let s = assert_complete_sealed(repo, "rotate");
            for k in ["POSTGRES_PASSWORD", "REDIS_PASSWORD"] {
                assert_eq!(
                    s.encrypted_data[k], old_sealed.encrypted_data[k],
                    "rotate resealed {k}"
                );
            }
        }
        let record_new = !is_old(repo, pre, RECORD);
        if record_new {
            assert!(sealed_new);
            assert_complete_record(repo, &["API_KEY"], "rotate");
        }
        let state_new = !is_old(repo, pre, STATE);
        if state_new {
            assert!(sealed_new && record_new);
            assert_complete_state(repo, "rotate");
        }
        vec![env_new, sealed_new, record_new, state_new]
    });
    report("rotate", &files, &counts);
    assert!(
        counts[1].0 > 0 && counts[1].1 > 0,
        "kills never landed on both sides: {counts:?}"
    );
    let n = stale_temps_are_cleaned(&repo, &pre, &args);
    eprintln!("rotate: {n} stale temp files cleaned");
}

#[test]
fn sigkill_during_rollback_leaves_each_file_old_or_new() {
    let (repo, first) = prepared();
    let files = [SEALED, RECORD, STATE];
    let pre = snapshot(&repo, &files);
    assert!(
        pre.0[2].1.is_some(),
        "the state file exists before rollback"
    );
    let target_sealed = repo.git(&["show", &format!("{first}:{SEALED}")]);
    let target_record = repo.git(&["show", &format!("{first}:{RECORD}")]);
    assert_ne!(Some(&target_sealed), pre.0[0].1.as_ref());
    let args = ["rollback", "--env", "paper", "--to", &first];
    let counts = crash_loop(&repo, &pre, &args, 0x0b0b, &|repo, pre| {
        let sealed = repo.read(SEALED);
        let sealed_new = sealed == target_sealed;
        assert!(
            sealed_new || is_old(repo, pre, SEALED),
            "torn sealed file after rollback kill"
        );
        let record = repo.read(RECORD);
        let record_new = record == target_record;
        assert!(
            record_new || is_old(repo, pre, RECORD),
            "torn record after rollback kill"
        );
        let state_gone = !repo.path(STATE).exists();
        assert!(
            state_gone || is_old(repo, pre, STATE),
            "state file modified instead of removed"
        );
        if sealed_new || record_new {
            assert!(
                state_gone,
                "restored a version while the old local state still vouches for other values"
            );
        }
        vec![sealed_new, record_new, state_gone]
    });
    report("rollback", &files, &counts);
    assert!(
        counts[0].0 > 0 && counts[0].1 > 0,
        "kills never landed on both sides: {counts:?}"
    );
    let n = stale_temps_are_cleaned(&repo, &pre, &args);
    eprintln!("rollback: {n} stale temp files cleaned");
    assert_eq!(repo.read(SEALED), target_sealed);
}
