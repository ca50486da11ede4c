//! `empseal seal`, `unseal` and `cert show` through the real binary: round trips in
//! every scope, values moved to another name/namespace, interop both ways with
//! PyPI kubesealpy and npm @linode/kubeseal-encrypt, --merge-into, --raw, and bad
//! input (one-line error, distinct exit code, nothing written, no secret shown).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;

use crate::BIN;
const SETUP: &str = "run `bash .ci/setup`";

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys")
}
fn cert() -> String {
    keys().join("rsa2048.crt").display().to_string()
}
fn key() -> String {
    keys().join("rsa2048.key").display().to_string()
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("HOME", std::env::temp_dir())
        .env_remove("KUBECONFIG")
        .env_remove("SEALED_SECRETS_CERT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run empseal");
    {
        let mut w = child.stdin.take().unwrap();
        if let Some(b) = stdin {
            w.write_all(b).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str], stdin: Option<&[u8]>) -> String {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "empseal {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The data of the Secret(s) `empseal unseal` printed, decoded.
fn unsealed_data(yaml: &str) -> BTreeMap<String, Vec<u8>> {
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).expect("unseal prints YAML");
    v["data"]
        .as_mapping()
        .expect("data")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                base64::engine::general_purpose::STANDARD
                    .decode(v.as_str().unwrap())
                    .unwrap(),
            )
        })
        .collect()
}

fn python(args: &[&str], stdin: &[u8]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/kubesealpy_object.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is needed ({SETUP}): {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn values() -> Vec<(&'static str, &'static str)> {
    vec![
        ("POSTGRES_PASSWORD", "pg-Secret-0001"),
        ("REDIS_PASSWORD", "redis two words"),
        ("API_KEY", "ключ-🦀-<&>"),
    ]
}

fn seal_literals(scope: &str, name: &str, ns: &str) -> String {
    let mut args = vec![
        "seal",
        "--cert",
        &cert_leak(),
        "--name",
        name,
        "-n",
        ns,
        "--scope",
        scope,
    ];
    let lits: Vec<String> = values()
        .iter()
        .map(|(k, v)| format!("--from-literal={k}={v}"))
        .collect();
    args.extend(lits.iter().map(String::as_str));
    ok(&args, None)
}

/// `cert()` as a `&'static str` for argument vectors.
fn cert_leak() -> &'static str {
    Box::leak(cert().into_boxed_str())
}

#[test]
fn round_trip_in_every_scope_and_moved_values_fail() {
    for scope in ["strict", "namespace-wide", "cluster-wide"] {
        let sealed = seal_literals(scope, "emp-secrets-paper", "emp-system-paper");
        let out = ok(
            &["unseal", "--private-key", &key()],
            Some(sealed.as_bytes()),
        );
        let got = unsealed_data(&out);
        for (k, v) in values() {
            assert_eq!(got[k], v.as_bytes(), "{scope}: {k}");
        }
        // Move the object: another name, then another namespace (both metadata blocks).
        let renamed = sealed.replace("name: emp-secrets-paper", "name: emp-secrets-prod");
        let moved = sealed.replace("namespace: emp-system-paper", "namespace: emp-system-prod");
        for (what, text, may_open) in [
            ("renamed", renamed, scope != "strict"),
            ("moved", moved, scope == "cluster-wide"),
        ] {
            let out = run(&["unseal", "--private-key", &key()], Some(text.as_bytes()));
            if may_open {
                assert!(out.status.success(), "{scope} {what} should unseal");
            } else {
                assert_eq!(out.status.code(), Some(5), "{scope} {what}: exit 5");
                let err = String::from_utf8_lossy(&out.stderr);
                assert_eq!(err.lines().count(), 1, "one line: {err}");
                assert!(err.contains("API_KEY"), "names the item: {err}");
                assert!(out.stdout.is_empty());
            }
        }
    }
}

#[test]
fn wrong_key_and_tampered_value_name_the_item() {
    let sealed = seal_literals("strict", "s", "ns");
    let other = keys().join("rsa3072.key").display().to_string();
    let out = run(
        &["unseal", "--private-key", &other],
        Some(sealed.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("REDIS_PASSWORD") && err.contains("no given private key"),
        "{err}"
    );

    // Flip one character deep inside the AES part of API_KEY's value.
    let v: serde_yaml::Value = serde_yaml::from_str(&sealed).unwrap();
    let value = v["spec"]["encryptedData"]["API_KEY"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = base64::engine::general_purpose::STANDARD
        .decode(&value)
        .unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 1;
    let tampered = sealed.replace(
        &value,
        &base64::engine::general_purpose::STANDARD.encode(bytes),
    );
    let out = run(
        &["unseal", "--private-key", &key()],
        Some(tampered.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("API_KEY") && err.contains("tampered"), "{err}");
    assert!(
        !err.contains("POSTGRES_PASSWORD"),
        "only the tampered item: {err}"
    );
}

#[test]
fn kubesealpy_unseals_what_empseal_seals() {
    for scope in ["strict", "namespace-wide", "cluster-wide"] {
        let sealed = seal_literals(scope, "emp-secrets-paper", "emp-system-paper");
        let out = python(&["unseal", &key()], sealed.as_bytes());
        assert!(
            out.status.success(),
            "kubesealpy ({SETUP}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
        for (k, v) in values() {
            let plain = base64::engine::general_purpose::STANDARD
                .decode(&got[k])
                .unwrap();
            assert_eq!(plain, v.as_bytes(), "{scope}: {k}");
        }
    }
}

#[test]
fn empseal_unseals_what_kubesealpy_seals() {
    let data: BTreeMap<&str, String> = values()
        .into_iter()
        .map(|(k, v)| (k, base64::engine::general_purpose::STANDARD.encode(v)))
        .collect();
    let input = serde_json::to_vec(&data).unwrap();
    for scope in ["strict", "namespace-wide", "cluster-wide"] {
        let out = python(
            &[
                "seal",
                &cert(),
                "emp-secrets-prod",
                "emp-system-prod",
                scope,
            ],
            &input,
        );
        assert!(
            out.status.success(),
            "kubesealpy ({SETUP}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let unsealed = ok(&["unseal", "--private-key", &key()], Some(&out.stdout));
        let got = unsealed_data(&unsealed);
        for (k, v) in values() {
            assert_eq!(got[k], v.as_bytes(), "{scope}: {k}");
        }
    }
}

#[test]
fn linode_values_unseal_with_empseal() {
    let node_path = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .unwrap_or_else(|e| panic!("npm is needed ({SETUP}): {e}"));
    let node_path = String::from_utf8_lossy(&node_path.stdout)
        .trim()
        .to_string();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/linode_encrypt.cjs");
    let pem = keys().join("rsa2048.pub.pem");
    let mut doc = String::from(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: any\n  namespace: emp-system-paper\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\nspec:\n  encryptedData:\n",
    );
    let req = serde_json::json!({
        "pem": std::fs::read_to_string(&pem).unwrap(),
        "namespace": "emp-system-paper",
        "values": values().iter().map(|(_, v)| *v).collect::<Vec<_>>(),
    });
    let out = Command::new("node")
        .arg(&script)
        .env("NODE_PATH", &node_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(req.to_string().as_bytes())?;
            c.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("node is needed ({SETUP}): {e}"));
    let sealed: Vec<String> = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "@linode/kubeseal-encrypt ({SETUP}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    for ((k, _), v) in values().iter().zip(&sealed) {
        doc.push_str(&format!("    {k}: {v}\n"));
    }
    doc.push_str("  template:\n    metadata:\n      name: any\n      namespace: emp-system-paper\n      annotations:\n        sealedsecrets.bitnami.com/namespace-wide: \"true\"\n");
    let got = unsealed_data(&ok(
        &["unseal", "--private-key", &key()],
        Some(doc.as_bytes()),
    ));
    for (k, v) in values() {
        assert_eq!(got[k], v.as_bytes(), "{k}");
    }
}

fn encrypted(text: &str) -> BTreeMap<String, String> {
    let v: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    v["spec"]["encryptedData"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().unwrap().into()))
        .collect()
}

#[test]
fn merge_into_keeps_other_values_and_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    for (layout, format) in [("legacy", "yaml"), ("current", "yaml"), ("current", "json")] {
        let file = dir.path().join(format!("sealed-{layout}.{format}"));
        let f = file.display().to_string();
        ok(
            &[
                "seal",
                "--cert",
                &cert(),
                "--name",
                "app",
                "-n",
                "ns",
                "--from-literal",
                "A=alpha",
                "--from-literal",
                "B=beta",
                "--kubeseal-layout",
                layout,
                "-o",
                format,
                "-w",
                &f,
            ],
            None,
        );
        let before = std::fs::read_to_string(&file).unwrap();
        let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ignored\ndata:\n  B: YmV0YTI=\n  C: Z2FtbWE=\n";
        ok(
            &["seal", "--cert", &cert(), "--merge-into", &f],
            Some(update.as_bytes()),
        );
        let after = std::fs::read_to_string(&file).unwrap();
        let (b, a) = (encrypted(&before), encrypted(&after));
        assert_eq!(
            a["A"], b["A"],
            "{layout}/{format}: untouched value kept byte for byte"
        );
        assert_ne!(a["B"], b["B"], "{layout}/{format}: B resealed");
        assert!(a.contains_key("C"));
        // Same layout and format: only the B and C lines differ.
        assert_eq!(
            after.contains("creationTimestamp: null")
                || after.contains("\"creationTimestamp\": null"),
            layout == "legacy"
        );
        assert_eq!(after.trim_start().starts_with('{'), format == "json");
        let removed: Vec<&str> = before
            .lines()
            .filter(|l| !after.lines().any(|m| m == *l))
            .collect();
        assert!(
            removed
                .iter()
                .all(|l| l.contains("\"B\"") || l.trim_start().starts_with("B:")),
            "{removed:?}"
        );
        let got = unsealed_data(&ok(&["unseal", "--private-key", &key(), "-f", &f], None));
        assert_eq!(got["A"], b"alpha");
        assert_eq!(got["B"], b"beta2");
        assert_eq!(got["C"], b"gamma");
    }
}

#[test]
fn raw_prints_one_value_bound_to_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    let vf = dir.path().join("value");
    std::fs::write(&vf, b"raw-value\n").unwrap();
    let v = format!("KEY={}", vf.display());
    let raw = ok(
        &[
            "seal",
            "--raw",
            "--cert",
            &cert(),
            "--name",
            "app",
            "-n",
            "ns",
            "--from-file",
            &v,
        ],
        None,
    );
    assert!(!raw.ends_with('\n'), "no newline, as kubeseal --raw");
    assert!(base64::engine::general_purpose::STANDARD
        .decode(&raw)
        .is_ok());
    let doc = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  encryptedData:\n    KEY: {raw}\n  template:\n    metadata:\n      name: app\n      namespace: ns\n"
    );
    let got = unsealed_data(&ok(
        &["unseal", "--private-key", &key()],
        Some(doc.as_bytes()),
    ));
    assert_eq!(got["KEY"], b"raw-value\n");
    // Strict scope needs a name, as kubeseal.
    let out = run(
        &[
            "seal",
            "--raw",
            "--cert",
            &cert(),
            "-n",
            "ns",
            "--from-file",
            &v,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
}

#[test]
fn bad_input_one_line_error_exit_code_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str, body: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let secret = "Sup3r-Secret-Value";
    let bad_key = d(
        "bad-key.env",
        format!("GOOD=1\nBAD KEY={secret}\n").as_bytes(),
    );
    let dup = d("dup.env", format!("A={secret}\nA=again\n").as_bytes());
    let utf8 = d(
        "utf8.env",
        &[b"A=ok\nB=\xff", secret.as_bytes(), b"\n"].concat(),
    );
    let not_secret = d(
        "cm.yaml",
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: {secret}\n")
            .as_bytes(),
    );
    let no_name = d(
        "noname.yaml",
        b"apiVersion: v1\nkind: Secret\ndata:\n  k: dg==\n",
    );
    let garbage = d("garbage.crt", b"not a certificate");
    let good_env = d("good.env", format!("K={secret}\n").as_bytes());
    let expired = keys().join("expired.crt").display().to_string();
    let ec = keys().join("ec.crt").display().to_string();
    let small = keys().join("rsa1024.crt").display().to_string();
    let missing = dir.path().join("missing.env").display().to_string();
    let c = cert();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["--from-env-file", &bad_key, "--name", "x"],
            3,
            "bad-key.env:2",
        ),
        (vec!["--from-env-file", &dup, "--name", "x"], 3, "dup.env:2"),
        (
            vec!["--from-env-file", &utf8, "--name", "x"],
            3,
            "utf8.env:2",
        ),
        (vec!["-f", &not_secret], 3, "ConfigMap"),
        (vec!["-f", &no_name], 3, "name"),
        (vec!["--from-env-file", &good_env], 3, "--name"),
        (
            vec!["--from-env-file", &missing, "--name", "x"],
            7,
            "missing.env",
        ),
    ];
    for (extra, code, hint) in cases {
        let out_file = dir.path().join("out.yaml");
        let o = out_file.display().to_string();
        let mut args = vec!["seal", "--cert", &c, "-w", &o];
        args.extend(extra.iter().copied());
        let out = run(&args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{extra:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{extra:?}: one line: {err}"
        );
        assert!(err.contains(hint), "{extra:?}: {err} should mention {hint}");
        assert!(!err.contains(secret), "{extra:?}: the secret leaked: {err}");
        assert!(!out_file.exists(), "{extra:?}: nothing written");
    }
    for (bad_cert, what) in [
        (&expired, "expired"),
        (&ec, "not RSA"),
        (&small, "too small"),
        (&garbage, "X.509"),
    ] {
        let existing = dir.path().join("existing.yaml");
        std::fs::write(&existing, b"unchanged\n").unwrap();
        let o = existing.display().to_string();
        let out = run(
            &[
                "seal",
                "--cert",
                bad_cert,
                "--from-env-file",
                &good_env,
                "--name",
                "x",
                "-w",
                &o,
            ],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{what}: {err}");
        assert!(err.contains(what), "{what}: {err}");
        assert!(!err.contains(secret));
        assert_eq!(
            std::fs::read(&existing).unwrap(),
            b"unchanged\n",
            "{what}: file untouched"
        );
    }
}

#[test]
fn cert_show_reports_fingerprint_validity_and_warns_when_expired() {
    let out = run(&["cert", "show", &cert()], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("RSA 2048 bits"), "{text}");
    // The fingerprint as ssh-keygen computes it from the same public key.
    let pubkey = keys().join("rsa2048.pub.pem");
    let ssh = Command::new("ssh-keygen")
        .args(["-i", "-m", "PKCS8", "-f"])
        .arg(&pubkey)
        .output()
        .unwrap_or_else(|e| panic!("ssh-keygen is needed ({SETUP}): {e}"));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.pub");
    std::fs::write(&p, &ssh.stdout).unwrap();
    let fp = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&p)
        .output()
        .unwrap();
    let fp = String::from_utf8_lossy(&fp.stdout);
    let fp = fp
        .split_whitespace()
        .nth(1)
        .expect("ssh-keygen fingerprint");
    assert!(
        text.contains(&format!("fingerprint: {fp}")),
        "{text} vs {fp}"
    );

    let expired = keys().join("expired.crt").display().to_string();
    let out = run(&["cert", "show", &expired], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("EXPIRED"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expired"));
}

/// Issue 17: `cert show` said "(valid)" for a certificate that is not valid yet
/// and for an RSA-1024 one that `seal` refuses; `seal --cert` with a not-yet-valid
/// certificate gave no warning (it still seals, as kubeseal does).
#[test]
fn cert_show_and_seal_judge_not_yet_valid_and_small_keys() {
    let nyv = keys().join("not-yet-valid.crt").display().to_string();
    let out = run(&["cert", "show", &nyv], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(NOT YET VALID)"), "{text}");
    assert!(!text.contains("(valid)"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not valid before 2099-01-01"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let small = keys().join("rsa1024.crt").display().to_string();
    let out = run(&["cert", "show", &small], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NOT USABLE"), "{text}");
    assert!(!text.contains("(valid)"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("too small"));

    let out = run(
        &[
            "seal",
            "--cert",
            &nyv,
            "--from-literal",
            "K=v",
            "--name",
            "s",
            "-n",
            "n",
        ],
        None,
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("not valid before"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: SealedSecret"));

    let out = run(&["cert", "show", &cert()], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(valid)"));
}

/// Issue 17: `SEALED_SECRETS_CERT` (which may be a URL with a password) was printed
/// verbatim by `--help`; no env-backed argument of any command shows its value.
#[test]
fn help_never_shows_environment_values() {
    let secret = "https://reader:Pa55w0rd-in-url@certs.example/v1/cert.pem";
    let top = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&top.stdout).to_string();
    let commands: Vec<String> = text
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.contains(&"seal".to_string()), "{commands:?}");
    let mut all: Vec<Vec<String>> = commands.iter().map(|c| vec![c.clone()]).collect();
    all.push(vec!["cert".into(), "show".into()]);
    all.push(vec!["cert".into(), "fetch".into()]);
    for args in all {
        for flag in ["--help", "-h"] {
            let out = Command::new(BIN)
                .args(&args)
                .arg(flag)
                .env("SEALED_SECRETS_CERT", secret)
                .env("SEALED_SECRETS_CONTROLLER_NAME", "Pa55w0rd-name")
                .env("SEALED_SECRETS_CONTROLLER_NAMESPACE", "Pa55w0rd-ns")
                .output()
                .unwrap();
            let all_out = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.status.success(), "{args:?}: {all_out}");
            assert!(!all_out.contains("Pa55w0rd"), "{args:?} {flag}: {all_out}");
        }
    }
}

/// Issue 17: a malformed `--from-file` list said `----from-file` (the flag name
/// was given with its dashes and the message added two more).
#[test]
fn from_file_list_error_names_the_flag_once() {
    for (flag, value) in [("--from-file", "a\"b"), ("--from-env-file", "x\"y")] {
        let out = run(
            &[
                "seal",
                "--cert",
                &cert(),
                flag,
                value,
                "--name",
                "s",
                "-n",
                "n",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(3));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!(" {flag} ")), "{err}");
        assert!(!err.contains("----"), "{err}");
    }
}
