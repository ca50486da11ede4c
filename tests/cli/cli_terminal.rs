//! What empseal does differently on a terminal, checked on a real
//! pseudo-terminal (python's `pty`, tests/terminal/pty_run.py) and against pipes:
//! kubeseal's stdin hint, progress lines (never in pipes or with `CI=true`), and
//! `history` fitted to the terminal's width.

use crate::lifecycle_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use lifecycle_support::*;

const HINT: &str = "(tty detected: expecting json/yaml k8s resource in stdin)";

/// Runs empseal on a pty `cols` wide in `cwd`; types `input` once `wait_for`
/// appears. Returns (exit code, everything shown on the terminal).
fn on_pty(
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    cols: u16,
    wait_for: &str,
    input: &[u8],
) -> (Option<i32>, String) {
    let mut c = Command::new("python3");
    c.arg(project().join("tests/terminal/pty_run.py"))
        .arg(cols.to_string())
        .arg(wait_for)
        .arg(hex::encode(input))
        .arg("--")
        .arg(bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("CI")
        .env_remove("COLUMNS")
        .env_remove("SEALED_SECRETS_CERT");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("python3 runs the pty driver");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_secret_read_from_a_terminal_gets_kubeseals_hint_and_a_pipe_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let cert = project().join("testdata/keys/demo-paper.crt");
    let cert = cert.to_str().unwrap();
    let secret = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: paper\nstringData:\n  API_KEY: tty-secret-value-1\n";
    let mut typed = secret.to_vec();
    typed.push(0x04); // Ctrl-D: end of input
    let (code, shown) = on_pty(
        dir.path(),
        &["seal", "--cert", cert],
        &[],
        120,
        HINT,
        &typed,
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains(HINT), "{shown}");
    assert!(shown.contains("kind: SealedSecret"), "{shown}");
    assert!(!shown.contains("tty-secret-value-1"), "{shown}");

    let mut child = Command::new(bin())
        .args(["seal", "--cert", cert])
        .current_dir(dir.path())
        .env_remove("SEALED_SECRETS_CERT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(secret).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(!all_output(&out).contains("tty detected"));
}

#[test]
fn render_shows_progress_on_a_terminal_only() {
    let repo = pinned_repo();
    let args = ["render", "--all", "--demo", "--out-dir", "rendered"];
    let (code, shown) = on_pty(repo.root(), &args, &[], 120, "", b"");
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("rendering ["),
        "no progress line on a terminal: {shown}"
    );
    assert!(
        shown.contains("rendered paper -> rendered/paper.yaml"),
        "{shown}"
    );
    // CI=true: a terminal, but no progress.
    let (code, shown) = on_pty(repo.root(), &args, &[("CI", "true")], 120, "", b"");
    assert_eq!(code, Some(0), "{shown}");
    assert!(!shown.contains("rendering ["), "{shown}");
    // Pipes: none.
    let out = repo.ok(&args);
    assert!(
        !all_output(&out).contains("rendering ["),
        "{}",
        all_output(&out)
    );
    assert!(!all_output(&out).contains('\u{1b}'));
}

#[test]
fn check_over_a_large_tree_shows_progress_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..400 {
        std::fs::write(
            tree.join(format!("cm-{i}.yaml")),
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  a: b\n"),
        )
        .unwrap();
    }
    let (code, shown) = on_pty(
        dir.path(),
        &["check", "tree", "--no-git"],
        &[],
        120,
        "",
        b"",
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("checking ["),
        "no progress line on a terminal: {shown}"
    );
    let (_, shown) = on_pty(
        dir.path(),
        &["check", "tree", "--no-git"],
        &[("CI", "true")],
        120,
        "",
        b"",
    );
    assert!(!shown.contains("checking ["), "{shown}");
    let out = empseal(dir.path(), &["check", "tree", "--no-git"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!all_output(&out).contains("checking ["));
}

#[test]
fn history_fits_the_terminal_and_keeps_everything_in_pipes_and_json() {
    let mut repo = pinned_repo();
    repo.commit("Alice", "initial stack");
    repo.ok(&["seal", "--env", "paper"]);
    let subject = "seal paper after the broker moved its API endpoints to the new region, see the runbook for the full migration";
    repo.commit("Alice", subject);
    // COLUMNS wins over the terminal's size.
    for (env, width) in [(vec![("COLUMNS", "250")], 250usize), (vec![], 240)] {
        let (code, shown) = on_pty(
            repo.root(),
            &["history", "--env", "paper"],
            &env,
            240,
            "",
            b"",
        );
        assert_eq!(code, Some(0), "{shown}");
        let line = shown
            .lines()
            .find(|l| l.contains("Alice") && l.contains("~API_KEY"))
            .unwrap_or_else(|| panic!("{shown}"));
        let line = line.trim_end_matches('\r');
        assert!(line.ends_with('…'), "{line:?}");
        assert_eq!(line.chars().count(), width, "{line:?}");
        assert!(!shown.contains(subject), "{shown}");
    }
    let out = repo.ok(&["history", "--env", "paper"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(subject));
    let out = repo.ok(&["history", "--env", "paper", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|v| v["subject"] == subject),
        "{json}"
    );
}
