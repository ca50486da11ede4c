//! Hardening of empseal's inputs and outputs, through the real binary: a YAML
//! alias bomb costs `check` a bounded amount of memory, `check` walks what
//! kustomize reads (upper-case extensions, symlinked directories, each directory
//! once), and every printing command ends quietly on a closed stdout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::BIN;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn empseal(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("SEALED_SECRETS_CERT")
        .stdin(Stdio::null())
        .output()
        .expect("run empseal")
}

/// A 9-level "billion laughs": 9^9 (387 million) scalars once expanded, from
/// about 340 bytes.
fn billion_laughs() -> String {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let mut s = String::from("kind: SealedSecret\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        s.push_str(&format!("{n}: &{n} [{refs}]\n", n = w[1]));
    }
    s
}

#[test]
fn check_billion_laughs_is_a_quick_finding_under_a_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let laughs = billion_laughs();
    assert!(laughs.len() < 400, "{}", laughs.len());
    std::fs::write(dir.path().join("laughs.yaml"), &laughs).unwrap();
    let start = Instant::now();
    // 512 MiB of address space: the unbounded expansion needed more than 1.8 GB.
    let out = Command::new("prlimit")
        .arg("--as=536870912")
        .arg("--")
        .args([BIN, "check", "--no-git", "--format", "json", "laughs.yaml"])
        .current_dir(dir.path())
        .output()
        .expect("prlimit (util-linux) runs the binary");
    let took = start.elapsed();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["code"], "ES002");
    assert_eq!(findings[0]["file"], "laughs.yaml");
    // Refused at the first alias that would pass the budget: line 3 or later.
    assert!(findings[0]["line"].as_u64().unwrap() >= 3, "{report}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// `file:line code` of every finding of a `check --format json` run.
fn findings(out: &Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{} {}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["code"].as_str().unwrap()
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn check_walks_upper_case_extensions_and_symlinked_directories_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let placeholder = "kind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\nspec:\n  encryptedData:\n    K: AgAAAAAAAAAA\n";
    let tree = dir.path().join("k8s");
    std::fs::create_dir_all(tree.join("real")).unwrap();
    for name in ["a.YAML", "b.Yml", "c.JSON", "d.yaml", "skip.txt"] {
        let body = if name.ends_with("JSON") {
            r#"{"kind":"SealedSecret","metadata":{"name":"s","namespace":"n"},"spec":{"encryptedData":{"K":"AgAAAAAAAAAA"}}}"#
        } else {
            placeholder
        };
        std::fs::write(tree.join("real").join(name), body).unwrap();
    }
    // Outside the walked tree, reached only through a symlinked directory.
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    std::fs::write(dir.path().join("outside/e.yaml"), placeholder).unwrap();
    symlink("../outside", tree.join("linked")).unwrap();
    // A loop back to the root and a second way into real/: walked once each.
    symlink("..", tree.join("real/loop")).unwrap();
    symlink("real", tree.join("again")).unwrap();
    symlink("missing", tree.join("dangling.yaml")).unwrap();
    let out = empseal(
        &["check", "--no-git", "--format", "json", "k8s"],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = findings(&out);
    got.sort();
    assert_eq!(
        got,
        [
            "k8s/linked/e.yaml:7 ES101",
            "k8s/real/a.YAML:7 ES101",
            "k8s/real/b.Yml:7 ES101",
            "k8s/real/c.JSON:1 ES101",
            "k8s/real/d.yaml:7 ES101",
        ]
        .map(String::from)
    );
}

use crate::fake_cluster;
use crate::lifecycle_support;
use crate::lifecycle_support::RunEmpseal;

/// A pipe whose reading end is already closed: the first write gets EPIPE.
/// (The reader, `true`, has exited before the command starts, so no race.)
pub(crate) fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let writer = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    Stdio::from(writer)
}

/// Runs `cmd` with stdout on a closed pipe; asserts the quiet end: exit 141
/// (128 + SIGPIPE), nothing on stderr, no panic.
///
/// A process another test thread forks while the pipe is made holds its read
/// end until that child execs, and a write then succeeds: so a clean exit 0 is
/// retried (twice) before it counts. A panic or a message never is.
fn assert_quiet_on_closed_pipe(what: &str, cmd: &mut Command) {
    let mut attempts = 0;
    let out = loop {
        attempts += 1;
        let out = cmd
            .stdin(Stdio::null())
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .env_remove("SEALED_SECRETS_CERT")
            .output()
            .unwrap();
        if out.status.code() != Some(0) || !out.stderr.is_empty() || attempts == 3 {
            break out;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{what}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what}: {stderr}"
    );
}

fn bin_in(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).current_dir(dir);
    c
}

#[test]
fn every_printing_command_ends_quietly_on_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = repo().join("testdata/keys");
    let cert = keys.join("rsa2048.crt");
    let cert = cert.to_str().unwrap();
    let key = keys.join("rsa2048.key");
    let sealed = d.join("sealed.yaml");
    let ok = Command::new(BIN)
        .args(["seal", "--cert", cert, "--name", "s", "-n", "ns"])
        .args(["--from-literal", "K=v", "-w", sealed.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(ok.success());
    let placeholder = d.join("bad.yaml");
    std::fs::write(
        &placeholder,
        "kind: SealedSecret\nmetadata: {name: s, namespace: n}\nspec:\n  encryptedData: {K: AgAAAAAA}\n",
    )
    .unwrap();
    let s = sealed.to_str().unwrap();
    let local: Vec<(&str, Vec<&str>)> = vec![
        ("--help", vec!["--help"]),
        ("--version", vec!["--version"]),
        ("cert show", vec!["cert", "show", cert]),
        ("check (findings)", vec!["check", "--no-git", "bad.yaml"]),
        ("check (clean)", vec!["check", "--no-git", s]),
        (
            "check --format sarif",
            vec!["check", "--no-git", "--format", "sarif", s],
        ),
        (
            "seal",
            vec![
                "seal",
                "--cert",
                cert,
                "--name",
                "s",
                "-n",
                "ns",
                "--from-literal",
                "K=v",
            ],
        ),
        (
            "seal --raw",
            vec![
                "seal",
                "--raw",
                "--cert",
                cert,
                "--name",
                "s",
                "-n",
                "ns",
                "--from-file",
                s,
            ],
        ),
        (
            "unseal",
            vec!["unseal", "--private-key", key.to_str().unwrap(), "-f", s],
        ),
    ];
    for (what, args) in &local {
        assert_quiet_on_closed_pipe(what, &mut bin_in(d, args));
    }
    // A closed stderr loses the warnings, never the result: the sealed output is
    // complete and the exit code is the command's own.
    std::fs::write(d.join("warn.env"), "A=1\nNO_EQUALS_HERE\n").unwrap();
    let out = bin_in(
        d,
        &[
            "seal",
            "--cert",
            cert,
            "--name",
            "s",
            "-n",
            "ns",
            "--from-env-file",
            "warn.env",
        ],
    )
    .env_remove("SEALED_SECRETS_CERT")
    .stdin(Stdio::null())
    .stderr(closed_pipe())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NO_EQUALS_HERE: AQ"));

    // The controller commands, against the fake API server and controller.
    let p = fake_cluster::pki();
    let server = fake_cluster::Fake::apiserver(&["--key", &fake_cluster::path(&p.controller1.key)]);
    let kc =
        fake_cluster::fake_kubeconfig(d, &server, &fake_cluster::User::Token(fake_cluster::TOKEN));
    let c1 = fake_cluster::path(&p.controller1.cert);
    let ok = Command::new(BIN)
        .args([
            "seal",
            "--cert",
            &c1,
            "--name",
            "s",
            "-n",
            "ns",
            "--from-literal",
            "K=v",
        ])
        .args(["-w", "c1.yaml"])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(ok.success());
    for (what, args) in [
        ("cert fetch", &["cert", "fetch"][..]),
        ("validate", &["validate", "-f", "c1.yaml"][..]),
        ("reencrypt", &["reencrypt", "-f", "c1.yaml"][..]),
    ] {
        assert_quiet_on_closed_pipe(what, bin_in(d, args).env("KUBECONFIG", &kc).env("HOME", d));
    }

    // The lifecycle commands, in a repository.
    let mut r = lifecycle_support::pinned_repo();
    r.ok(&["seal", "--env", "paper"]);
    let first = r.commit("Alice", "seal paper");
    assert_quiet_on_closed_pipe(
        "seal --env",
        &mut bin_in(r.root(), &["seal", "--env", "prod"]),
    );
    assert_quiet_on_closed_pipe(
        "history",
        &mut bin_in(r.root(), &["history", "--env", "paper"]),
    );
    assert_quiet_on_closed_pipe(
        "rollback --dry-run",
        &mut bin_in(
            r.root(),
            &["rollback", "--env", "paper", "--to", &first, "--dry-run"],
        ),
    );
    assert_quiet_on_closed_pipe(
        "rotate",
        &mut bin_in(
            r.root(),
            &["rotate", "--env", "paper", "--key", "API_KEY", "--generate"],
        ),
    );
}

/// The class guard for the test above: the binary's sources write to stdout and
/// stderr only through `cli::out` (new code cannot bring the panic back with
/// `println!` or `eprintln!`, which panic on a closed pipe), and the library
/// crates never print at all.
#[test]
fn the_binary_prints_only_through_its_one_writer() {
    fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, files);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    for krate in std::fs::read_dir(repo().join("crates")).unwrap() {
        let krate = krate.unwrap().path();
        let src = krate.join("src");
        // The test kit is test code (it may print what a failing test shows).
        if src.is_dir() && !krate.ends_with("testkit") {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 40, "{files:?}");
    for f in files {
        if f.ends_with("out.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            for banned in ["print!(", "println!(", "io::stdout()", "io::stderr()"] {
                // `is_terminal()` only asks (indicatif draws on stderr itself and
                // ignores write errors).
                let hit = code
                    .match_indices(banned)
                    .any(|(at, _)| !code[at + banned.len()..].starts_with(".is_terminal()"));
                assert!(
                    !hit,
                    "{}:{}: use cli::out instead of {banned}",
                    f.display(),
                    i + 1
                );
            }
        }
    }
}

fn run_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = bin_in(dir, args)
        .env_remove("SEALED_SECRETS_CERT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn seal_raw_refuses_ambiguous_input_and_seals_the_literal_it_is_given() {
    use kubeseal_core::crypto::{b64_decode, hybrid_decrypt, RsaPrivateKey};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = repo().join("testdata/keys");
    let cert = keys.join("rsa2048.crt");
    let cert = cert.to_str().unwrap();
    let key = RsaPrivateKey::from_pem(&std::fs::read(keys.join("rsa2048.key")).unwrap()).unwrap();
    std::fs::write(d.join("v.txt"), "file-value-7f3a").unwrap();
    let raw = ["seal", "--raw", "--cert", cert, "--name", "app", "-n", "ns"];
    let with = |extra: &[&str]| -> Vec<String> {
        raw.iter().chain(extra).map(|s| s.to_string()).collect()
    };

    // One literal: that value is sealed, not stdin.
    let args = with(&["--from-literal", "K=literal-value-91c2"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_with_stdin(d, &args, b"stdin-value-5e0d");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wire = b64_decode(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
    let plain = hybrid_decrypt(std::slice::from_ref(&key), &wire, b"ns/app").unwrap();
    assert_eq!(&plain[..], b"literal-value-91c2");

    // Two sources, or a source --raw does not read: exit 2, one line, nothing printed.
    for extra in [
        &[
            "--from-file",
            "v.txt",
            "--from-literal",
            "K=literal-value-91c2",
        ][..],
        &[
            "--from-literal",
            "A=literal-value-91c2",
            "--from-literal",
            "B=x",
        ][..],
        &["--from-file", "v.txt", "--from-file", "v.txt"][..],
        &["--from-env-file", "v.txt"][..],
        &["-f", "v.txt"][..],
    ] {
        let args = with(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_with_stdin(d, &args, b"stdin-value-5e0d");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(out.stdout.is_empty(), "{extra:?}");
        assert_eq!(err.lines().count(), 1, "{extra:?}: {err}");
        assert!(err.contains("--raw"), "{err}");
        for secret in ["literal-value-91c2", "stdin-value-5e0d", "file-value-7f3a"] {
            assert!(!err.contains(secret), "{err}");
        }
    }
}

/// kubectl's reading of an env file, for comparing key sets.
fn kubectl_keys(dir: &Path, env_file: &str) -> Vec<String> {
    let out = Command::new("kubectl")
        .args(["create", "secret", "generic", "s", "-n", "ns"])
        .arg(format!("--from-env-file={env_file}"))
        .args(["--dry-run=client", "-o", "json"])
        .current_dir(dir)
        .env("KUBECONFIG", dir.join("no-kubeconfig"))
        .env_remove("EMPSEAL_T_UNSET_5")
        .output()
        .expect("kubectl is installed on this project's machines");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["data"].as_object().unwrap().keys().cloned().collect()
}

#[test]
fn seal_warns_about_env_file_lines_without_equals_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cert = repo().join("testdata/keys/rsa2048.crt");
    // Line 2 is a value typed without its key; line 3 names an unset variable.
    std::fs::write(
        d.join("app.env"),
        "PLAIN=v-plain-1\nhunter2secretvalue\nEMPSEAL_T_UNSET_5\n",
    )
    .unwrap();
    let out = bin_in(
        d,
        &[
            "seal",
            "--cert",
            cert.to_str().unwrap(),
            "--name",
            "s",
            "-n",
            "ns",
            "--from-env-file",
            "app.env",
            "-o",
            "json",
        ],
    )
    .env_remove("SEALED_SECRETS_CERT")
    .env_remove("EMPSEAL_T_UNSET_5")
    .env_remove("hunter2secretvalue")
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // kubectl's result is kept: the same keys as kubectl seals.
    let sealed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours: Vec<String> = sealed["spec"]["encryptedData"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(ours, kubectl_keys(d, "app.env"));
    // One warning per line without '=', naming the file and line, never the line's text.
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(
        warnings[0].starts_with("empseal: warning: app.env:2: the line has no '='"),
        "{err}"
    );
    assert!(
        warnings[1].starts_with("empseal: warning: app.env:3: "),
        "{err}"
    );
    assert!(warnings[1].contains("unset"), "{err}");
    assert!(
        !err.contains("hunter2secretvalue") && !err.contains("v-plain-1"),
        "{err}"
    );
}

/// `seal --env` reads the env's file by kubectl's rules, but a line without `=`
/// whose variable is unset is refused (exit 3, the file and line, never the
/// line's text, nothing written): kubectl would seal an empty value under the
/// line as its key, and key names are committed unencrypted (a value wrapped
/// onto a line of its own would be published).
#[test]
fn seal_env_refuses_a_line_without_equals_whose_variable_is_unset() {
    let r = lifecycle_support::pinned_repo();
    let rel = "k8s/overlays/paper/paper-secrets.env";
    let mut text = String::from_utf8(r.read(rel)).unwrap();
    let lines = text.lines().count();
    text.push_str("pastedsecretvalue42\n");
    r.write(rel, text.as_bytes());
    let before = empseal_testkit::files::tree_snapshot(r.root());
    let out = Command::new(lifecycle_support::bin())
        .current_dir(r.root())
        .args(["seal", "--env", "paper"])
        .env_remove("SEALED_SECRETS_CERT")
        .env_remove("pastedsecretvalue42")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let want = format!("{rel}:{}: the line has no '='", lines + 1);
    assert!(err.contains(&want), "{err}");
    assert!(!err.contains("pastedsecretvalue42"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pastedsecretvalue42"));
    assert!(
        empseal_testkit::files::tree_snapshot(r.root()) == before,
        "nothing written"
    );

    // With the variable set, kubectl's rule applies: the value is copied from the
    // environment, and the warning (file and line only) says so.
    let out = Command::new(lifecycle_support::bin())
        .current_dir(r.root())
        .args(["seal", "--env", "paper"])
        .env_remove("SEALED_SECRETS_CERT")
        .env("pastedsecretvalue42", "from-the-environment-1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let want = format!("empseal: warning: {rel}:{}: the line has no '='", lines + 1);
    assert!(err.lines().any(|l| l.starts_with(&want)), "{err}");
    assert!(err.contains("copied from the environment"), "{err}");
    assert!(!err.contains("from-the-environment-1"), "{err}");
}

/// `render --demo` reads the committed examples only: a line without `=` in an
/// example is refused (exit 3, file and line), never looked up in the renderer's
/// environment (a CI runner's real credential would otherwise be sealed with the
/// demo key, whose private half is published, or rendered in the clear for dev).
#[test]
fn render_demo_refuses_an_example_line_without_equals() {
    let r = lifecycle_support::pinned_repo();
    for rel in [
        "k8s/overlays/paper/paper-secrets.env.example",
        "k8s/overlays/dev/dev-secrets.env.example",
    ] {
        let original = r.read(rel);
        let mut text = String::from_utf8(original.clone()).unwrap();
        let lines = text.lines().count();
        text.push_str("RUNNER_TOKEN\n");
        r.write(rel, text.as_bytes());
        let out_dir = r.path("rendered-demo");
        let out = Command::new(lifecycle_support::bin())
            .current_dir(r.root())
            .args(["render", "--all", "--demo", "--out-dir"])
            .arg(&out_dir)
            .env_remove("SEALED_SECRETS_CERT")
            .env("RUNNER_TOKEN", "ci-runner-credential-9d8c")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{rel}: {err}");
        assert!(err.contains(&format!("{rel}:{}: ", lines + 1)), "{err}");
        assert!(!err.contains("ci-runner-credential-9d8c"), "{err}");
        assert!(!out_dir.exists(), "{rel}: nothing rendered");
        r.write(rel, &original);
    }
}

#[test]
fn seal_refuses_a_cr_only_env_file_with_exit_3_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cert = repo().join("testdata/keys/rsa2048.crt");
    std::fs::write(d.join("mac.env"), "A=v-mac-1\rB=v-mac-2\rC=v-mac-3\r").unwrap();
    let w = d.join("out.yaml");
    let out = bin_in(
        d,
        &[
            "seal",
            "--cert",
            cert.to_str().unwrap(),
            "--name",
            "s",
            "-n",
            "ns",
            "--from-env-file",
            "mac.env",
            "-w",
            w.to_str().unwrap(),
        ],
    )
    .env_remove("SEALED_SECRETS_CERT")
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("mac.env:1: ") && err.contains("carriage return"),
        "{err}"
    );
    assert!(!err.contains("v-mac"), "{err}");
    assert!(!w.exists(), "nothing written");
}

#[test]
fn check_flags_literal_plaintext_in_sealedsecret_template_data_not_templates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Real ciphertext, so the only findings are the template's.
    let cert = repo().join("testdata/keys/rsa2048.crt");
    let out = bin_in(
        d,
        &[
            "seal",
            "--cert",
            cert.to_str().unwrap(),
            "--name",
            "example",
            "-n",
            "default",
            "--from-literal",
            "server1=s1",
            "--from-literal",
            "database1=d1",
        ],
    )
    .env_remove("SEALED_SECRETS_CERT")
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sealed = String::from_utf8(out.stdout).unwrap();
    // Upstream's config-template shape: templates around sealed values are fine.
    let template = r#"    data:
      myconfig.json: |
        {"host": "foobar", "password": {{ toJson .server1 }}}
      bar: 'secret {{ index . "database1" }} !'
      literal.txt: plaintext-pw-8c1e
      quoted: '{{ "plaintext-pw-a.b" }}'
      empty: ""
    stringData:
      extra: plaintext-pw-77d0
"#;
    let text = sealed.replace("  template:\n", &format!("  template:\n{template}"));
    assert_ne!(text, sealed, "{sealed}");
    std::fs::write(d.join("s.yaml"), &text).unwrap();
    let out = bin_in(d, &["check", "--no-git", "--format", "json", "s.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, usize)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert_eq!(
        got,
        vec![
            (
                "ES503".to_string(),
                "literal.txt".to_string(),
                line_of("plaintext-pw-8c1e")
            ),
            (
                "ES503".to_string(),
                "quoted".to_string(),
                line_of("plaintext-pw-a.b")
            ),
            (
                "ES503".to_string(),
                "extra".to_string(),
                line_of("plaintext-pw-77d0")
            ),
        ]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("plaintext-pw"), "{stdout}");
}

#[test]
fn merge_into_seals_with_the_target_scope_and_keeps_its_comments_byte_for_byte() {
    use kubeseal_core::crypto::{b64_decode, hybrid_decrypt, RsaPrivateKey};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = repo().join("testdata/keys");
    let cert = keys.join("rsa2048.crt");
    let cert = cert.to_str().unwrap();
    let key = RsaPrivateKey::from_pem(&std::fs::read(keys.join("rsa2048.key")).unwrap()).unwrap();
    let out = bin_in(
        d,
        &[
            "seal",
            "--cert",
            cert,
            "--name",
            "app",
            "-n",
            "ns",
            "--scope",
            "namespace-wide",
            "--from-literal",
            "A=alpha",
            "--from-literal",
            "B=beta",
            "-w",
            "sealed.yaml",
        ],
    )
    .env_remove("SEALED_SECRETS_CERT")
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The operator's comments: a header, above a key, trailing, blank lines, at the end.
    let sealed = std::fs::read_to_string(d.join("sealed.yaml")).unwrap();
    let mut commented = String::from("# Sealed for the paper cluster; see docs/secrets.md\n");
    for line in sealed.lines() {
        if line.trim_start().starts_with("A: ") {
            commented.push_str("    # A rotates monthly\n");
            commented.push_str(line);
            commented.push_str("  # owner: payments\n\n");
        } else {
            commented.push_str(line);
            commented.push('\n');
        }
    }
    commented.push_str("# end of file\n");
    std::fs::write(d.join("sealed.yaml"), &commented).unwrap();

    // kubeseal's flow: a plain Secret (no scope annotation) on stdin.
    let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: ns\ndata:\n  B: YmV0YTI=\n  C: Z2FtbWE=\n";
    let out = run_with_stdin(
        d,
        &["seal", "--cert", cert, "--merge-into", "sealed.yaml"],
        update.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read_to_string(d.join("sealed.yaml")).unwrap();

    // The new and replaced items are namespace-wide like the file: they open with
    // the namespace label (a strict item would need "ns/app" and not decrypt).
    let value = |text: &str, k: &str| -> String {
        let prefix = format!("    {k}: ");
        let l = text
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{k} in {text}"));
        l[prefix.len()..].split(' ').next().unwrap().to_string()
    };
    for (k, want) in [("A", &b"alpha"[..]), ("B", b"beta2"), ("C", b"gamma")] {
        let wire = b64_decode(&value(&after, k)).unwrap();
        let plain = hybrid_decrypt(std::slice::from_ref(&key), &wire, b"ns").unwrap_or_else(|e| {
            panic!("{k} does not open with the file's namespace-wide label: {e}")
        });
        assert_eq!(&plain[..], want, "{k}");
    }
    // Byte for byte: every line but the B value is kept, comments included, in
    // order; the only new lines are B's and C's values.
    let is_bc = |l: &&str| l.starts_with("    B: ") || l.starts_with("    C: ");
    let kept_before: Vec<&str> = commented.lines().filter(|l| !is_bc(l)).collect();
    let kept_after: Vec<&str> = after.lines().filter(|l| !is_bc(l)).collect();
    assert_eq!(kept_after, kept_before, "{after}");
    assert_eq!(after.lines().filter(is_bc).count(), 2, "{after}");
    assert!(after.ends_with("# end of file\n"));
    assert!(after.contains(&format!(
        "    A: {}  # owner: payments\n",
        value(&commented, "A")
    )));

    // An explicit scope that contradicts the file: exit 2, file untouched.
    let out = run_with_stdin(
        d,
        &[
            "seal",
            "--cert",
            cert,
            "--merge-into",
            "sealed.yaml",
            "--scope",
            "strict",
        ],
        update.as_bytes(),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("sealed.yaml")).unwrap(),
        after
    );
}

/// Aliases that copy few nodes but many bytes: a 1 MiB anchored scalar used 9,000
/// times would be 9 GiB once expanded. Both YAML readers refuse it quickly within
/// 1 GiB of address space: `seal` (the manifest reader) and `check` (ES002).
#[test]
fn alias_bytes_bomb_is_refused_by_seal_and_check_under_a_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = "v".repeat(1 << 20);
    let uses = vec!["*a"; 9000].join(",");
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\n  annotations:\n    a: &a {big}\n    b: [{uses}]\nstringData:\n  K: x\n"
    );
    std::fs::write(d.join("bomb.yaml"), text).unwrap();
    let cert = repo().join("testdata/keys/rsa2048.crt");
    let limited = |args: &[&str]| -> (Output, Duration) {
        let start = Instant::now();
        let out = Command::new("prlimit")
            .args(["--as=1073741824", "--", BIN])
            .args(args)
            .current_dir(d)
            .env_remove("SEALED_SECRETS_CERT")
            .output()
            .unwrap();
        (out, start.elapsed())
    };
    let (out, took) = limited(&["seal", "--cert", cert.to_str().unwrap(), "-f", "bomb.yaml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.starts_with("empseal: error: bomb.yaml:8: too many nodes after expanding aliases"),
        "{err}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
    let (out, took) = limited(&["check", "--no-git", "--format", "json", "bomb.yaml"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codes = findings(&out);
    assert_eq!(codes, ["bomb.yaml:8 ES002"]);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// A symlink in the repository pointing out of it (committed in a pull request:
/// the env's local state linked to `~/.bashrc`) never carries a write out:
/// `seal --env` refuses (exit 3, naming the file) and writes nothing anywhere.
#[test]
fn seal_env_refuses_to_write_through_a_link_out_of_the_repository() {
    let r = lifecycle_support::pinned_repo();
    r.ok(&["seal", "--env", "paper"]);
    let home = tempfile::tempdir().unwrap();
    let bashrc = home.path().join(".bashrc");
    std::fs::write(&bashrc, b"export PS1='$ '\n").unwrap();
    let dir = r.path("k8s/overlays/paper");
    let state = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "state"))
        .expect("paper's local state");
    std::fs::remove_file(&state).unwrap();
    std::os::unix::fs::symlink(&bashrc, &state).unwrap();
    let rel = "k8s/overlays/paper/paper-secrets.env";
    r.write(
        rel,
        b"POSTGRES_PASSWORD=rotated-pg-1\nREDIS_PASSWORD=rotated-redis-1\nAPI_KEY=rotated-api-1\n",
    );
    let before = empseal_testkit::files::tree_snapshot(r.root());
    let out = r.run(&["seal", "--env", "paper"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let name = state.file_name().unwrap().to_string_lossy();
    assert!(
        err.contains(&*name) && err.contains("out of the repository"),
        "{err}"
    );
    assert_eq!(std::fs::read(&bashrc).unwrap(), b"export PS1='$ '\n");
    assert!(
        empseal_testkit::files::tree_snapshot(r.root()) == before,
        "nothing written"
    );
}
