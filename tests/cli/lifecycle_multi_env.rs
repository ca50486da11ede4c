//! Several environments in one command (`seal --env A --env B`, `--all-envs`)
//! with the real binary, kustomize and git: every env planned before any is
//! written, dry runs describing each env, and envs sharing one env file.

use crate::lifecycle_support;

use lifecycle_support::*;

const PAPER: &str = "k8s/overlays/paper/sealedsecret.yaml";
const PROD: &str = "k8s/overlays/prod/sealedsecret.yaml";
/// New values for paper's env file.
const NEW_PAPER_VALUES: &[u8] =
    b"POSTGRES_PASSWORD=new-paper-postgres\nREDIS_PASSWORD=new-redis\nAPI_KEY=new-api\n";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn seal_all_envs_seals_paper_and_prod_and_skips_dev() {
    let repo = pinned_repo();
    let out = repo.ok(&["seal", "--all-envs"]);
    let text = stdout(&out);
    assert!(text.contains("env paper:\n"), "{text}");
    assert!(text.contains("env prod:\n"), "{text}");
    assert!(!text.contains("env dev:"), "{text}");
    assert!(
        text.find("env paper:") < text.find("env prod:"),
        "sorted order: {text}"
    );
    let paper = read_sealed(&repo.read(PAPER));
    let prod = read_sealed(&repo.read(PROD));
    assert_eq!(
        unseal(
            &as_rendered(&paper, "emp-secrets-paper", "emp-system-paper"),
            demo_key("paper")
        ),
        env_pairs(&repo.read("k8s/overlays/paper/paper-secrets.env"))
    );
    assert_eq!(
        unseal(
            &as_rendered(&prod, "emp-secrets-prod", "emp-system-prod"),
            demo_key("prod")
        ),
        env_pairs(&repo.read("k8s/overlays/prod/prod-secrets.env"))
    );
    assert!(!repo.path("k8s/overlays/dev/sealedsecret.yaml").exists());
    // The same flags as two --env.
    let before = tree_hash(repo.root(), &[".git"]);
    let out = repo.ok(&["seal", "--env", "prod", "--env", "paper"]);
    assert!(stdout(&out).contains("is up to date"), "{}", stdout(&out));
    assert_eq!(tree_hash(repo.root(), &[".git"]), before);
}

/// Printing to a closed stdout ends the process (exit 141), but only once every
/// env is sealed: prod, committed after paper, is sealed too, with no staged
/// file left behind.
#[test]
fn seal_all_envs_into_a_closed_stdout_still_seals_every_env() {
    use std::process::{Command, Stdio};
    let repo = pinned_repo();
    let out = Command::new(bin())
        .current_dir(repo.root())
        .args(["seal", "--all-envs"])
        .env_remove("SEALED_SECRETS_CERT")
        .stdin(Stdio::null())
        .stdout(crate::cli_input_safety::closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    // 0 when another test thread's fork held the pipe's read end for a moment.
    assert!(
        matches!(out.status.code(), Some(141) | Some(0)),
        "{:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    for (file, env) in [(PAPER, "paper"), (PROD, "prod")] {
        assert!(repo.path(file).exists(), "{env} was not sealed");
        let sealed = read_sealed(&repo.read(file));
        assert_eq!(
            unseal(
                &as_rendered(
                    &sealed,
                    &format!("emp-secrets-{env}"),
                    &format!("emp-system-{env}")
                ),
                demo_key(env)
            ),
            env_pairs(&repo.read(&format!("k8s/overlays/{env}/{env}-secrets.env"))),
            "{env}"
        );
    }
    let leftovers = staged_leftovers(repo.root());
    assert!(leftovers.is_empty(), "staged files left: {leftovers:?}");
}

#[test]
fn a_broken_env_file_in_one_env_writes_nothing_for_any_env() {
    let repo = pinned_repo();
    repo.ok(&["seal", "--all-envs"]);
    // New values for paper, and a line prod's env file rules refuse.
    repo.write("k8s/overlays/paper/paper-secrets.env", NEW_PAPER_VALUES);
    repo.write(
        "k8s/overlays/prod/prod-secrets.env",
        b"POSTGRES_PASSWORD=x\nnot a valid line\n",
    );
    let before = tree_snapshot(repo.root());
    let out = repo.run(&["seal", "--all-envs"]);
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("k8s/overlays/prod/prod-secrets.env"))
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("nothing was written for any env"), "{err}");
    assert_eq!(
        tree_snapshot(repo.root()),
        before,
        "a failing env must leave every env untouched"
    );
}

/// An env whose file cannot be written (here a symlink loop where prod's local
/// state goes: planning reads no state there, and the write is refused when it
/// is staged) fails the run before any env's file is replaced: paper, planned
/// and staged first, is left as it was too.
#[test]
fn a_write_failing_in_the_last_env_writes_nothing_for_any_env() {
    let repo = pinned_repo();
    repo.ok(&["seal", "--all-envs"]);
    repo.write("k8s/overlays/paper/paper-secrets.env", NEW_PAPER_VALUES);
    repo.write(
        "k8s/overlays/prod/prod-secrets.env",
        b"POSTGRES_PASSWORD=new-prod-postgres\nREDIS_PASSWORD=new-redis\nAPI_KEY=new-api\n",
    );
    let states: Vec<std::path::PathBuf> = std::fs::read_dir(repo.path("k8s/overlays/prod"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "state"))
        .collect();
    let [state] = states.as_slice() else {
        panic!("prod's one local state file: {states:?}");
    };
    let name = state.file_name().unwrap().to_owned();
    std::fs::remove_file(state).unwrap();
    std::os::unix::fs::symlink(&name, state).unwrap();
    let before = tree_snapshot(repo.root());
    let out = repo.run(&["seal", "--all-envs"]);
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains(&*name.to_string_lossy()), "{err}");
    assert!(err.contains("nothing was written for any env"), "{err}");
    assert_eq!(
        tree_snapshot(repo.root()),
        before,
        "a write failing in prod must leave paper untouched too"
    );
    let leftovers = staged_leftovers(repo.root());
    assert!(
        leftovers.is_empty(),
        "staged files left behind: {leftovers:?}"
    );
}

/// The `.empseal-*.tmp` files anywhere under `dir` (outside `.git`): what a
/// staged but never committed write would leave.
fn staged_leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() && name != ".git" {
            out.extend(staged_leftovers(&e.path()));
        }
        if name.starts_with(".empseal-") && name.ends_with(".tmp") {
            out.push(name);
        }
    }
    out
}

#[test]
fn dry_run_describes_every_env_and_writes_nothing() {
    let repo = pinned_repo();
    let before = tree_snapshot(repo.root());
    let out = repo.ok(&["seal", "--env", "paper", "--env", "prod", "--dry-run"]);
    let text = stdout(&out);
    for env in ["paper", "prod"] {
        assert!(text.contains(&format!("env {env}:\n")), "{text}");
        assert!(text.contains(&format!("would seal {env} for")), "{text}");
    }
    assert_eq!(
        text.matches("(dry run: nothing written)").count(),
        2,
        "{text}"
    );
    assert_eq!(tree_snapshot(repo.root()), before);
}

#[test]
fn secret_with_several_envs_is_a_usage_error() {
    let repo = pinned_repo();
    let before = tree_snapshot(repo.root());
    let out = repo.run(&[
        "seal",
        "--env",
        "paper",
        "--env",
        "prod",
        "--secret",
        "emp-secrets-paper",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = repo.run(&["seal", "--all-envs", "--secret", "emp-secrets-paper"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(tree_snapshot(repo.root()), before);
}

#[test]
fn envs_sharing_one_env_file_keep_their_own_state() {
    let repo = pinned_repo();
    std::fs::create_dir_all(repo.path("secrets")).unwrap();
    repo.write(
        "secrets/shared.env",
        b"POSTGRES_PASSWORD=shared-postgres\nREDIS_PASSWORD=shared-redis\nAPI_KEY=shared-api\n",
    );
    repo.write(
        "empseal.yaml",
        b"envs:\n  paper:\n    envFile: secrets/shared.env\n  prod:\n    envFile: secrets/shared.env\n",
    );
    let ws = empseal_env::overlay::Workspace::open(repo.root()).unwrap();
    let paper = ws.env("paper").unwrap().primary().state.clone();
    let prod = ws.env("prod").unwrap().primary().state.clone();
    assert_ne!(paper, prod);
    assert_eq!(paper, repo.path("secrets/.shared.paper.state"));
    assert_eq!(prod, repo.path("secrets/.shared.prod.state"));

    repo.ok(&["seal", "--all-envs"]);
    assert!(paper.is_file() && prod.is_file());
    let shared = env_pairs(&repo.read("secrets/shared.env"));
    for (env, file) in [("paper", PAPER), ("prod", PROD)] {
        let s = read_sealed(&repo.read(file));
        let values = unseal(
            &as_rendered(
                &s,
                &format!("emp-secrets-{env}"),
                &format!("emp-system-{env}"),
            ),
            demo_key(env),
        );
        assert_eq!(values, shared, "{env}");
    }
    // Each env's state describes its own seal: a second run keeps every byte.
    let before = tree_hash(repo.root(), &[".git"]);
    repo.ok(&["seal", "--all-envs"]);
    assert_eq!(tree_hash(repo.root(), &[".git"]), before);

    // An env whose overlay holds the env file keeps the conventional name.
    repo.write(
        "empseal.yaml",
        b"envs:\n  prod:\n    envFile: k8s/overlays/paper/paper-secrets.env\n",
    );
    let ws = empseal_env::overlay::Workspace::open(repo.root()).unwrap();
    assert_eq!(
        ws.env("paper").unwrap().primary().state,
        repo.path("k8s/overlays/paper/.paper-secrets.state")
    );
    assert_eq!(
        ws.env("prod").unwrap().primary().state,
        repo.path("k8s/overlays/paper/.paper-secrets.prod.state")
    );
}

#[test]
fn check_several_envs_checks_each_under_its_heading() {
    let repo = pinned_repo();
    repo.ok(&["seal", "--all-envs"]);
    // Demo pins fail `check` (ES702): each env reports, the exit code is 1.
    let out = repo.run(&["check", "--all-envs"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("env paper:\n"), "{text}");
    assert!(text.contains("\nenv prod:\n"), "{text}");
    assert!(text.contains("ES702"), "{text}");
    // One report per run in the machine formats.
    let out = repo.run(&[
        "check", "--env", "paper", "--env", "prod", "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
