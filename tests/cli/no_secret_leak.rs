//! Runs the built binary through commands that handle distinctive test secrets, with
//! good and bad input, and asserts that no stdout or stderr carries any of them (raw,
//! or base64 as a Secret's `data` would hold it) — except unseal's stdout, which is
//! the plaintext the user asked for.

use crate::lifecycle_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;

use crate::BIN;

/// Every value below is a test secret: none may ever be printed.
const SECRETS: &[&str] = &[
    "Leak-Canary-Env-7f3a9c",
    "Leak-Canary-Dup-1b2c3d",
    "Leak-Canary-Dup-4e5f6a",
    "Leak-Canary-Utf8-9d8e7f",
    "Leak-Canary-BadKey-5a6b7c",
    "Leak-Canary-Literal-2f1e0d",
    "Leak-Canary-File-3c4d5e",
    "Leak-Canary-Manifest-6f7a8b",
    "Leak-Canary-StringData-0a1b2c",
    "Leak-Canary-ConfigMap-4d3c2b",
    "Leak-Canary-Spaces-7e6d5c",
    "Leak-Canary-NoEquals-5b4a39",
    "Leak-Canary-MacEnv-6c5b4a",
    "Leak-Canary-Template-7d6c5b",
    "Leak-Canary-TemplateStr-8e7d6c",
    "Leak-Canary-RawLiteral-9f8e7d",
    "Leak-Canary-RawStdin-0a9f8e",
    "Leak-Canary-Paper-8c7b6a",
    "Leak-Canary-Dev-5f4e3d",
    "Leak-Canary-Prod-2a3b4c",
];

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys")
}

struct Run {
    what: String,
    out: Output,
    /// Unseal's stdout is the plaintext on purpose.
    stdout_may_hold_secrets: bool,
}

fn run<S: AsRef<std::ffi::OsStr>>(dir: &Path, what: &str, args: &[S], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        // No cluster, no user config: every case is decided locally.
        .env("HOME", dir)
        .env("KUBECONFIG", dir.join("no-kubeconfig"))
        .env_remove("SEALED_SECRETS_CERT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run empseal");
    {
        use std::io::Write;
        let mut sin = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            sin.write_all(bytes).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        what: what.to_string(),
        out,
        stdout_may_hold_secrets: false,
    }
}

fn forms(secret: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        secret.to_string(),
        b64.encode(secret.as_bytes()),
        // The distinctive middle alone, in case a message truncates or escapes the value.
        secret.trim_start_matches("Leak-Canary-").to_string(),
    ]
}

fn assert_clean(runs: &[Run]) {
    let mut leaks = Vec::new();
    for r in runs {
        let streams: Vec<(&str, &[u8])> = if r.stdout_may_hold_secrets {
            vec![("stderr", &r.out.stderr)]
        } else {
            vec![("stdout", &r.out.stdout), ("stderr", &r.out.stderr)]
        };
        for (name, bytes) in streams {
            let text = String::from_utf8_lossy(bytes);
            for s in SECRETS {
                for f in forms(s) {
                    if text.contains(&f) {
                        leaks.push(format!("{}: {name} holds {f:?}:\n{text}", r.what));
                    }
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "secret values printed:\n{}",
        leaks.join("\n")
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn no_command_prints_a_test_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let crt = keys().join("rsa2048.crt");
    let crt = crt.to_str().unwrap();
    let key = keys().join("rsa2048.key");
    let key = key.to_str().unwrap();
    let wrong_key = keys().join("rsa3072.key");
    let wrong_key = wrong_key.to_str().unwrap();
    let expired = keys().join("expired.crt");
    let expired = expired.to_str().unwrap();
    let garbage = keys().join("garbage.crt");
    let garbage = garbage.to_str().unwrap();

    let good_env = write(d, "good.env", b"# ok\nAPI_KEY=Leak-Canary-Env-7f3a9c\n");
    let dup_env = write(
        d,
        "dup.env",
        b"PASS=Leak-Canary-Dup-1b2c3d\nPASS=Leak-Canary-Dup-4e5f6a\n",
    );
    let utf8_env = write(d, "utf8.env", b"TOKEN=Leak-Canary-Utf8-9d8e7f\xff\xfe\n");
    let badkey_env = write(d, "badkey.env", b"1BAD=Leak-Canary-BadKey-5a6b7c\n");
    let spaces_env = write(d, "spaces.env", b"KEY = Leak-Canary-Spaces-7e6d5c\n");
    // Not covered: a value pasted alone on a line (no `=`) becomes a *key* with an
    // empty value, exactly as kubectl does, and keys are printed by design.
    let secret_file = write(d, "token.txt", b"Leak-Canary-File-3c4d5e");
    let manifest = write(
        d,
        "secret.yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: ns\ndata:\n  A: TGVhay1DYW5hcnktTWFuaWZlc3QtNmY3YThi\nstringData:\n  B: Leak-Canary-StringData-0a1b2c\n",
    );
    let noname = write(
        d,
        "noname.yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: ns\nstringData:\n  B: Leak-Canary-StringData-0a1b2c\n",
    );
    let badb64 = write(
        d,
        "badb64.yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: ns\ndata:\n  A: Leak-Canary-Manifest-6f7a8b!!\n",
    );
    let dupkey = write(
        d,
        "dupkey.yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: ns\nstringData:\n  B: Leak-Canary-StringData-0a1b2c\n  B: Leak-Canary-Manifest-6f7a8b\n",
    );
    let configmap = write(
        d,
        "cm.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: ns\ndata:\n  A: Leak-Canary-ConfigMap-4d3c2b\n",
    );
    let badkey_manifest = write(
        d,
        "badkey.yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: ns\nstringData:\n  bad key: Leak-Canary-StringData-0a1b2c\n",
    );

    let seal = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["seal".to_string(), "--cert".to_string(), crt.to_string()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let mut runs = vec![
        run(
            d,
            "seal env file",
            &seal(&["--from-env-file", &good_env, "--name", "app", "-n", "ns"]),
            None,
        ),
        run(
            d,
            "seal env file json",
            &seal(&[
                "--from-env-file",
                &good_env,
                "--name",
                "app",
                "-n",
                "ns",
                "-o",
                "json",
            ]),
            None,
        ),
        run(
            d,
            "seal duplicate keys",
            &seal(&["--from-env-file", &dup_env, "--name", "app", "-n", "ns"]),
            None,
        ),
        run(
            d,
            "seal invalid UTF-8",
            &seal(&["--from-env-file", &utf8_env, "--name", "app", "-n", "ns"]),
            None,
        ),
        run(
            d,
            "seal bad key",
            &seal(&["--from-env-file", &badkey_env, "--name", "app", "-n", "ns"]),
            None,
        ),
        run(
            d,
            "seal spaces around =",
            &seal(&["--from-env-file", &spaces_env, "--name", "app", "-n", "ns"]),
            None,
        ),
        run(
            d,
            "seal env file, no name",
            &seal(&["--from-env-file", &good_env, "-n", "ns"]),
            None,
        ),
        run(
            d,
            "seal literal",
            &seal(&[
                "--from-literal",
                "K=Leak-Canary-Literal-2f1e0d",
                "--name",
                "app",
                "-n",
                "ns",
            ]),
            None,
        ),
        run(
            d,
            "seal literal bad key",
            &seal(&[
                "--from-literal",
                "bad key=Leak-Canary-Literal-2f1e0d",
                "--name",
                "app",
                "-n",
                "ns",
            ]),
            None,
        ),
        run(
            d,
            "seal literal no =",
            &seal(&[
                "--from-literal",
                "Leak-Canary-Literal-2f1e0d",
                "--name",
                "app",
                "-n",
                "ns",
            ]),
            None,
        ),
        run(
            d,
            "seal literal twice",
            &seal(&[
                "--from-literal",
                "K=Leak-Canary-Literal-2f1e0d",
                "--from-literal",
                "K=Leak-Canary-Env-7f3a9c",
                "--name",
                "app",
                "-n",
                "ns",
            ]),
            None,
        ),
        run(
            d,
            "seal file",
            &seal(&[
                "--from-file",
                &format!("tok={secret_file}"),
                "--name",
                "app",
                "-n",
                "ns",
            ]),
            None,
        ),
        run(
            d,
            "seal file bad key",
            &seal(&[
                "--from-file",
                &format!("bad key={secret_file}"),
                "--name",
                "app",
                "-n",
                "ns",
            ]),
            None,
        ),
        run(
            d,
            "seal raw",
            &seal(&[
                "--raw",
                "--from-file",
                &secret_file,
                "--name",
                "app",
                "-n",
                "ns",
            ]),
            None,
        ),
        run(d, "seal manifest", &seal(&["-f", &manifest]), None),
        run(
            d,
            "seal manifest stdin",
            &seal(&[]),
            Some(std::fs::read(&manifest).unwrap().as_slice()),
        ),
        run(d, "seal manifest no name", &seal(&["-f", &noname]), None),
        run(d, "seal manifest bad base64", &seal(&["-f", &badb64]), None),
        run(
            d,
            "seal manifest duplicate key",
            &seal(&["-f", &dupkey]),
            None,
        ),
        run(d, "seal ConfigMap", &seal(&["-f", &configmap]), None),
        run(
            d,
            "seal manifest bad key",
            &seal(&["-f", &badkey_manifest]),
            None,
        ),
        run(
            d,
            "seal expired cert",
            &[
                "seal",
                "--cert",
                expired,
                "--from-env-file",
                &good_env,
                "--name",
                "app",
                "-n",
                "ns",
            ],
            None,
        ),
        run(
            d,
            "seal garbage cert",
            &[
                "seal",
                "--cert",
                garbage,
                "--from-env-file",
                &good_env,
                "--name",
                "app",
                "-n",
                "ns",
            ],
            None,
        ),
        run(
            d,
            "seal missing cert file",
            &[
                "seal",
                "--cert",
                "no-such.crt",
                "--from-env-file",
                &good_env,
                "--name",
                "app",
                "-n",
                "ns",
            ],
            None,
        ),
    ];
    for r in &runs[..2] {
        assert!(
            r.out.status.success(),
            "{} failed: {}",
            r.what,
            String::from_utf8_lossy(&r.out.stderr)
        );
    }
    // Seal to a file, then merge into it, then unseal with the wrong and the right key.
    let sealed = d.join("sealed.yaml");
    let sealed_s = sealed.to_str().unwrap();
    let r = run(
        d,
        "seal -w",
        &seal(&["-f", &manifest, "-w", sealed_s]),
        None,
    );
    assert!(
        r.out.status.success(),
        "seal -w: {}",
        String::from_utf8_lossy(&r.out.stderr)
    );
    runs.push(r);
    runs.push(run(
        d,
        "merge-into",
        &seal(&[
            "--from-env-file",
            &good_env,
            "--name",
            "app",
            "-n",
            "ns",
            "--merge-into",
            sealed_s,
        ]),
        None,
    ));
    runs.push(run(
        d,
        "merge-into bad env",
        &seal(&[
            "--from-env-file",
            &dup_env,
            "--name",
            "app",
            "-n",
            "ns",
            "--merge-into",
            sealed_s,
        ]),
        None,
    ));
    let sealed_text = std::fs::read_to_string(&sealed).unwrap();
    runs.push(run(
        d,
        "unseal wrong key",
        &["unseal", "--private-key", wrong_key, "-f", sealed_s],
        None,
    ));
    // A value moved to another namespace: strict scope refuses it, naming the item only.
    let moved = write(
        d,
        "moved.yaml",
        sealed_text
            .replace("namespace: ns", "namespace: other")
            .as_bytes(),
    );
    runs.push(run(
        d,
        "unseal moved",
        &["unseal", "--private-key", key, "-f", &moved],
        None,
    ));
    let mut good = run(
        d,
        "unseal right key",
        &["unseal", "--private-key", key, "-f", sealed_s],
        None,
    );
    assert!(
        good.out.status.success(),
        "unseal: {}",
        String::from_utf8_lossy(&good.out.stderr)
    );
    // The intended output does hold the values (so this test's detector works).
    let stdout = String::from_utf8_lossy(&good.out.stdout).to_string();
    let b64 = base64::engine::general_purpose::STANDARD;
    for s in [
        "Leak-Canary-Manifest-6f7a8b",
        "Leak-Canary-StringData-0a1b2c",
        "Leak-Canary-Env-7f3a9c",
    ] {
        assert!(
            stdout.contains(&b64.encode(s)),
            "unseal output lacks {s}: {stdout}"
        );
    }
    good.stdout_may_hold_secrets = true;
    runs.push(good);
    runs.push(run(d, "cert show", &["cert", "show", crt], None));
    // `check` on real ciphertext (right and wrong certificate, every format) and on
    // plaintext Secrets: neither a secret nor a whole ciphertext may be printed.
    let ciphertexts: Vec<String> = sealed_text
        .lines()
        .filter_map(|l| l.trim().split_once(": "))
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() > 300)
        .collect();
    assert!(
        !ciphertexts.is_empty(),
        "no ciphertext found in {sealed_text}"
    );
    let wrong_crt = keys().join("rsa3072.crt");
    let wrong_crt = wrong_crt.to_str().unwrap();
    let mut check_runs = Vec::new();
    for format in ["text", "json", "github", "sarif"] {
        for (what, extra) in [("right cert", crt), ("wrong cert", wrong_crt)] {
            check_runs.push(run(
                d,
                &format!("check {what} {format}"),
                &[
                    "check", "--no-git", "--format", format, "--cert", extra, sealed_s, &moved,
                ],
                None,
            ));
        }
        check_runs.push(run(
            d,
            &format!("check plaintext {format}"),
            &[
                "check",
                "--no-git",
                "--sealed-only",
                "--format",
                format,
                &manifest,
                &badb64,
                &dupkey,
            ],
            None,
        ));
    }
    assert!(
        check_runs
            .iter()
            .any(|r| !r.out.status.success() && !r.out.stdout.is_empty()),
        "no check run reported a finding"
    );
    for r in &check_runs {
        for out in [&r.out.stdout, &r.out.stderr] {
            let text = String::from_utf8_lossy(out);
            for c in &ciphertexts {
                assert!(
                    !text.contains(c.as_str()),
                    "{} printed a whole ciphertext:\n{text}",
                    r.what
                );
            }
        }
    }
    runs.extend(check_runs);

    // Every bad-input case failed (exit non-zero), so they did run the error paths.
    for r in &runs {
        let bad = [
            "duplicate",
            "UTF-8",
            "bad",
            "spaces",
            "no name",
            "no =",
            "twice",
            "ConfigMap",
            "expired",
            "garbage",
            "missing",
            "wrong key",
            "moved",
        ];
        if bad.iter().any(|b| r.what.contains(b)) {
            assert!(!r.out.status.success(), "{} unexpectedly succeeded", r.what);
            assert!(!r.out.stderr.is_empty(), "{} printed no error", r.what);
        }
    }
    assert_clean(&runs);
}

/// The hardening paths: env-file warnings (a line without `=`, whose text kubectl
/// takes as a key), the CR-only env-file refusal, `check`'s template plaintext
/// finding (ES503) in every format, and `seal --raw`'s refusal of ambiguous input.
#[test]
fn hardening_paths_print_no_test_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let crt = keys().join("rsa2048.crt");
    let crt = crt.to_str().unwrap();
    let seal = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["seal".to_string(), "--cert".to_string(), crt.to_string()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };

    // A value pasted alone on a line: kubectl seals it as a key (so stdout, the
    // SealedSecret, holds it by design); the warning on stderr must not.
    let no_equals = write(
        d,
        "noeq.env",
        b"API_KEY=Leak-Canary-Env-7f3a9c\nLeak-Canary-NoEquals-5b4a39\n",
    );
    let mut warned = run(
        d,
        "seal env line without =",
        &seal(&["--from-env-file", &no_equals, "--name", "app", "-n", "ns"]),
        None,
    );
    assert!(
        warned.out.status.success(),
        "{}",
        String::from_utf8_lossy(&warned.out.stderr)
    );
    let stderr = String::from_utf8_lossy(&warned.out.stderr).to_string();
    assert!(
        stderr.contains("noeq.env:2: the line has no '='"),
        "{stderr}"
    );
    warned.stdout_may_hold_secrets = true;

    let mac = write(
        d,
        "mac.env",
        b"A=Leak-Canary-MacEnv-6c5b4a\rB=Leak-Canary-Env-7f3a9c\r",
    );
    let refused_mac = run(
        d,
        "seal CR-only env file",
        &seal(&["--from-env-file", &mac, "--name", "app", "-n", "ns"]),
        None,
    );
    assert_eq!(refused_mac.out.status.code(), Some(3));

    // --raw: the literal is sealed; ambiguous sources are refused.
    let raw_ok = run(
        d,
        "seal raw literal",
        &seal(&[
            "--raw",
            "--from-literal",
            "K=Leak-Canary-RawLiteral-9f8e7d",
            "--name",
            "app",
            "-n",
            "ns",
        ]),
        Some(b"Leak-Canary-RawStdin-0a9f8e"),
    );
    assert!(
        raw_ok.out.status.success(),
        "{}",
        String::from_utf8_lossy(&raw_ok.out.stderr)
    );
    let value = write(d, "v.txt", b"Leak-Canary-File-3c4d5e");
    let raw_refused = run(
        d,
        "seal raw ambiguous",
        &seal(&[
            "--raw",
            "--from-literal",
            "K=Leak-Canary-RawLiteral-9f8e7d",
            "--from-file",
            &value,
            "--name",
            "app",
            "-n",
            "ns",
        ]),
        Some(b"Leak-Canary-RawStdin-0a9f8e"),
    );
    assert_eq!(raw_refused.out.status.code(), Some(2));

    // ES503 in every format: names the key, never the value.
    let sealed = run(
        d,
        "seal for template",
        &seal(&[
            "--from-literal",
            "A=Leak-Canary-Literal-2f1e0d",
            "--name",
            "app",
            "-n",
            "ns",
        ]),
        None,
    );
    assert!(sealed.out.status.success());
    let text = String::from_utf8(sealed.out.stdout.clone()).unwrap().replace(
        "  template:\n",
        "  template:\n    data:\n      pw: Leak-Canary-Template-7d6c5b\n      ok: '{{ .A }}'\n    stringData:\n      s: Leak-Canary-TemplateStr-8e7d6c\n",
    );
    let file = write(d, "template.yaml", text.as_bytes());
    let mut runs = vec![warned, refused_mac, raw_ok, raw_refused, sealed];
    for format in ["text", "json", "github", "sarif"] {
        let r = run(
            d,
            &format!("check template plaintext {format}"),
            &["check", "--no-git", "--format", format, &file],
            None,
        );
        assert_eq!(r.out.status.code(), Some(1), "{format}");
        assert!(
            String::from_utf8_lossy(&r.out.stdout).contains("ES503"),
            "{format}"
        );
        runs.push(r);
    }
    assert_clean(&runs);
}

/// The lifecycle paths of issue 17: render output (success, and a later env
/// failing), rollback's refusals, the env lock's messages.
#[test]
fn render_rollback_refusals_and_lock_messages_print_no_secret() {
    let mut repo = lifecycle_support::pinned_repo();
    let d = repo.root().to_path_buf();
    repo.write(
        "k8s/overlays/paper/paper-secrets.env",
        b"POSTGRES_PASSWORD=Leak-Canary-Paper-8c7b6a\nREDIS_PASSWORD=r\nAPI_KEY=a\n",
    );
    repo.write(
        "k8s/overlays/dev/dev-secrets.env",
        b"POSTGRES_PASSWORD=Leak-Canary-Dev-5f4e3d\nREDIS_PASSWORD=r\nAPI_KEY=a\n",
    );
    repo.write(
        "k8s/overlays/prod/prod-secrets.env",
        b"API_KEY=Leak-Canary-Prod-2a3b4c\n",
    );
    let mut runs = vec![run(
        &d,
        "seal --env paper",
        &["seal", "--env", "paper"],
        None,
    )];
    repo.commit("Alice", "Seal paper");
    runs.push(run(&d, "render --all", &["render", "--all"], None));
    let dev = std::fs::read_to_string(d.join("rendered/dev.yaml")).unwrap();
    assert!(
        dev.contains("kind: Secret"),
        "the check needs dev's Secret rendered"
    );
    // A later env failing.
    let k = std::fs::read_to_string(d.join("k8s/overlays/prod/kustomization.yaml")).unwrap();
    repo.write(
        "k8s/overlays/prod/kustomization.yaml",
        k.replace("resources:\n", "resources:\n  - missing.yaml\n")
            .as_bytes(),
    );
    runs.push(run(
        &d,
        "render --all, prod broken",
        &["render", "--all"],
        None,
    ));
    repo.write("k8s/overlays/prod/kustomization.yaml", k.as_bytes());
    // Rollback refusals: uncommitted changes, with and without --dry-run.
    runs.push(run(
        &d,
        "rotate",
        &["rotate", "--env", "paper", "--key", "API_KEY", "--generate"],
        None,
    ));
    for args in [
        &["rollback", "--env", "paper", "--to", "HEAD"][..],
        &["rollback", "--env", "paper", "--to", "HEAD", "--dry-run"][..],
    ] {
        runs.push(run(&d, &args.join(" "), args, None));
    }
    // The env lock held by someone else.
    let dir = std::fs::File::open(d.join("k8s/overlays/paper")).unwrap();
    dir.lock().unwrap();
    for args in [
        &["rotate", "--env", "paper", "--generate"][..],
        &["seal", "--env", "paper"][..],
        &["rollback", "--env", "paper", "--to", "HEAD", "--force"][..],
    ] {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(&d)
            .env("EMPSEAL_LOCK_TIMEOUT", "0")
            .env_remove("SEALED_SECRETS_CERT")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(7), "{args:?}");
        runs.push(Run {
            what: format!("{} (locked)", args.join(" ")),
            out,
            stdout_may_hold_secrets: false,
        });
    }
    dir.unlock().unwrap();
    assert_eq!(runs[2].out.status.code(), Some(9));
    assert_eq!(runs[4].out.status.code(), Some(8));
    assert_clean(&runs);
}
