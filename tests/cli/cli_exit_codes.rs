//! The README's exit-code table, row by row: for every code at least one real
//! invocation of the binary, across commands, that must end with it (issue 17:
//! one mapping from typed errors to codes for every command).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::BIN;

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys")
}

fn key(name: &str) -> String {
    keys().join(name).display().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// The README's table: code and meaning, read from the README itself so the test
/// and the documentation cannot drift apart.
fn readme_codes() -> Vec<i32> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = readme
        .split("## Exit codes")
        .nth(1)
        .expect("README has an Exit codes section");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.trim_matches('|').split('|').next()?.trim().parse().ok())
        .collect()
}

struct Case {
    what: &'static str,
    args: Vec<String>,
    stdin: Vec<u8>,
    code: i32,
}

fn case(what: &'static str, code: i32, args: &[&str]) -> Case {
    Case {
        what,
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: Vec::new(),
        code,
    }
}

fn run(dir: &Path, args: &[String], stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("KUBECONFIG", dir.join("no-kubeconfig"))
        .env_remove("SEALED_SECRETS_CERT")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("http_proxy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut i = child.stdin.take().unwrap();
    let _ = i.write_all(stdin);
    drop(i);
    child.wait_with_output().unwrap()
}

#[test]
fn every_readme_exit_code_is_produced_by_real_invocations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rsa2048 = key("rsa2048.crt");

    // A repository (no git) with a healthy and a broken overlay.
    let repo = d.join("repo");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lifecycle/repo"),
        &repo,
    );
    for env in ["dev", "paper", "prod"] {
        let s = repo.join(format!("k8s/overlays/{env}/sealing"));
        std::fs::create_dir_all(&s).unwrap();
        std::fs::copy(keys().join(format!("demo-{env}.crt")), s.join("cert.pem")).unwrap();
    }
    std::fs::write(
        repo.join("k8s/overlays/dev/kustomization.yaml"),
        "resources:\n- ../does-not-exist\n",
    )
    .unwrap();
    let repo_s = repo.display().to_string();

    // Inputs.
    let placeholder = d.join("placeholder.yaml");
    std::fs::write(
        &placeholder,
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\nspec:\n  encryptedData:\n    K: AgAAAAAAAAAA\n  template:\n    metadata:\n      name: s\n      namespace: n\n",
    )
    .unwrap();
    let bad_env = d.join("bad.env");
    std::fs::write(&bad_env, "1NOT-A-KEY=value\n").unwrap();
    let out = run(
        d,
        &[
            "seal",
            "--cert",
            &rsa2048,
            "--from-literal",
            "K=v",
            "--name",
            "s",
            "-n",
            "n",
        ]
        .map(String::from),
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sealed = d.join("sealed.yaml");
    std::fs::write(&sealed, &out.stdout).unwrap();
    let p = |x: &Path| x.display().to_string();

    let cases = vec![
        case(
            "cert show of a good certificate",
            0,
            &["cert", "show", &rsa2048],
        ),
        case("check of a clean file", 0, &["check", &p(&sealed)]),
        case("check finds a placeholder", 1, &["check", &p(&placeholder)]),
        case("unknown flag", 2, &["seal", "--no-such-flag"]),
        case("check with nothing to check", 2, &["check"]),
        case(
            "scope value kubeseal rejects",
            2,
            &["seal", "--scope", "global"],
        ),
        case(
            "seal of an invalid env file",
            3,
            &[
                "seal",
                "--cert",
                &rsa2048,
                "--from-env-file",
                &p(&bad_env),
                "--name",
                "s",
                "-n",
                "n",
            ],
        ),
        case(
            "check of an unknown env",
            3,
            &["check", "--root", &repo_s, "--env", "nope"],
        ),
        case(
            "seal with a missing --cert file",
            4,
            &[
                "seal",
                "--cert",
                &p(&d.join("missing.pem")),
                "--from-literal",
                "K=v",
                "--name",
                "s",
                "-n",
                "n",
            ],
        ),
        case(
            "check with an unreadable --cert",
            4,
            &["check", "--cert", &p(&d.join("missing.pem")), &p(&sealed)],
        ),
        case(
            "check with a 1024-bit --cert",
            4,
            &["check", "--cert", &key("rsa1024.crt"), &p(&sealed)],
        ),
        case(
            "cert show of garbage",
            4,
            &["cert", "show", &key("garbage.crt")],
        ),
        case(
            "unseal with the wrong key",
            5,
            &[
                "unseal",
                "--private-key",
                &key("rsa3072.key"),
                "-f",
                &p(&sealed),
            ],
        ),
        case(
            "cert fetch from a closed port",
            6,
            &["cert", "fetch", "--controller-url", "http://127.0.0.1:9"],
        ),
        case(
            "check of a missing path",
            7,
            &["check", &p(&d.join("absent"))],
        ),
        case(
            "seal into a missing directory",
            7,
            &[
                "seal",
                "--cert",
                &rsa2048,
                "--from-literal",
                "K=v",
                "--name",
                "s",
                "-n",
                "n",
                "-w",
                &p(&d.join("no/dir/out.yaml")),
            ],
        ),
        case(
            "history outside git",
            8,
            &["history", "--root", &repo_s, "--env", "paper"],
        ),
        case(
            "check of a broken overlay",
            9,
            &["check", "--root", &repo_s, "--env", "dev"],
        ),
        case(
            "render of a broken overlay",
            9,
            &[
                "render",
                "--root",
                &repo_s,
                "--env",
                "dev",
                "--demo",
                "--out-dir",
                &p(&d.join("r")),
            ],
        ),
    ];

    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for c in &cases {
        let out = run(d, &c.args, &c.stdin);
        let got = out.status.code();
        if got != Some(c.code) {
            failures.push(format!(
                "{}: expected exit {} but got {:?}: {}",
                c.what,
                c.code,
                got,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        if c.code >= 2 {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.trim().lines().count() >= 1,
                "{}: no message on stderr",
                c.what
            );
        }
        seen.insert(c.code);
    }
    // 141: stdout closed before everything was written (a pipe whose reader has
    // already exited), a quiet end with nothing on stderr.
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let closed = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    let out = Command::new(BIN)
        .args(["cert", "show", &rsa2048])
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(Stdio::from(closed))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    if out.status.code() != Some(141) || !out.stderr.is_empty() {
        failures.push(format!(
            "cert show into a closed pipe: expected a quiet exit 141 but got {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    seen.insert(141);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for code in readme_codes() {
        assert!(seen.contains(&code), "README exit code {code} has no case");
    }
    let mut expected: Vec<i32> = (0..=9).collect();
    expected.push(141);
    assert_eq!(readme_codes(), expected);
}
