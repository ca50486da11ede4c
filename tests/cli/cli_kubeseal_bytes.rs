//! `empseal seal` prints exactly what kubeseal v0.36 prints, except the random
//! ciphertext: every case is sealed by the real binary, then the same input goes
//! through `tests/goref` (kubeseal's Seal/NewSealedSecret on Go mirror structs,
//! serialised by Go's encoding/json and sigs.k8s.io/yaml) with empseal's
//! ciphertexts, and the bytes must be equal. Inputs come from the real kubectl
//! (env files) and from hand-written Secret manifests with every metadata shape.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use empseal_testkit::goref::{diff, goref};

use crate::BIN;

fn cert() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys/rsa2048.crt")
}

/// Runs empseal with no kubeconfig around (so the default namespace is `default`).
fn empseal(args: &[&str], home: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .expect("run empseal")
}

/// Splits our output into documents and returns each one's encryptedData.
fn encrypted_of(doc: &str, json: bool) -> BTreeMap<String, String> {
    let v: serde_json::Value = if json {
        serde_json::from_str(doc).expect("our JSON parses")
    } else {
        serde_yaml::from_str(doc).expect("our YAML parses")
    };
    v["spec"]["encryptedData"]
        .as_object()
        .expect("encryptedData")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn split_docs(out: &str, json: bool) -> Vec<String> {
    if json {
        // Every object is `{ ... }\n`, top-level braces at column 0.
        let mut docs = Vec::new();
        let mut cur = String::new();
        for line in out.split_inclusive('\n') {
            cur.push_str(line);
            if line == "}\n" {
                docs.push(std::mem::take(&mut cur));
            }
        }
        assert!(cur.is_empty(), "trailing bytes after the last JSON object");
        docs
    } else {
        assert!(out.starts_with("---\n"), "YAML output starts with ---");
        out.split("---\n")
            .skip(1)
            .map(|d| format!("---\n{d}"))
            .collect()
    }
}

struct Case {
    what: String,
    /// The Secret documents as kubeseal would read them (one per document).
    inputs: Vec<String>,
    /// empseal's arguments besides --cert and the format.
    args: Vec<String>,
    scope: &'static str,
    name: &'static str,
    namespace: &'static str,
}

fn check_case(c: &Case, home: &Path, failures: &mut Vec<String>) {
    for (format, json) in [("yaml", false), ("json", true)] {
        for layout in ["current", "legacy"] {
            let mut args: Vec<String> = vec![
                "seal".into(),
                "--cert".into(),
                cert().display().to_string(),
                "-o".into(),
                format.into(),
                "--kubeseal-layout".into(),
                layout.into(),
            ];
            args.extend(c.args.iter().cloned());
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = empseal(&argv, home);
            assert!(
                out.status.success(),
                "{}: empseal failed: {}",
                c.what,
                String::from_utf8_lossy(&out.stderr)
            );
            let ours = String::from_utf8(out.stdout).expect("UTF-8 output");
            let docs = split_docs(&ours, json);
            assert_eq!(
                docs.len(),
                c.inputs.len(),
                "{}: one SealedSecret per Secret",
                c.what
            );
            let requests: Vec<String> = c
                .inputs
                .iter()
                .zip(&docs)
                .map(|(input, doc)| {
                    serde_json::json!({
                        "op": "kubeseal",
                        "layout": layout,
                        "obj": {
                            "input": input,
                            "scope": c.scope,
                            "name": c.name,
                            "namespace": c.namespace,
                            "encrypted": encrypted_of(doc, json),
                        }
                    })
                    .to_string()
                })
                .collect();
            let answers = goref().batch(&requests);
            for (doc, a) in docs.iter().zip(answers) {
                let want = if json {
                    assert!(a.json_err.is_empty(), "{}", a.json_err);
                    format!("{}\n", a.json)
                } else {
                    assert!(a.yaml_err.is_empty(), "{}", a.yaml_err);
                    format!("---\n{}", a.yaml)
                };
                if *doc != want {
                    failures.push(format!(
                        "{} [{format}, {layout}]:\n{}",
                        c.what,
                        diff(&want, doc)
                    ));
                }
            }
        }
    }
}

fn kubectl_secret(dir: &Path, env_file: &Path, name: &str, ns: &str) -> String {
    let out = Command::new("kubectl")
        .args([
            "create",
            "secret",
            "generic",
            name,
            "-n",
            ns,
            "--from-env-file",
        ])
        .arg(env_file)
        .args(["--dry-run=client", "-o", "yaml"])
        .current_dir(dir)
        .output()
        .expect("kubectl is needed: run `bash .ci/setup`");
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn env_file_path_matches_kubectl_then_kubeseal() {
    let dir = tempfile::tempdir().unwrap();
    let envs = [
        "POSTGRES_PASSWORD=pg-S3cret\nREDIS_PASSWORD=r\nAPI_KEY=k-123\n",
        "# comment\n\nKEY9=nine\nKEY10=ten\nAPI_KEY=x\nAPIKEY2=y\napi_key=z\n_X=1\nA.B=dot\nA-B=dash\n",
        "\u{feff}  SPACED= value with spaces  \nQUOTED=\"double\" 'single'\nEQ=a=b=c\nEMPTY=\nUNI=grüße ☃ 🦀\nHTML=<b>&amp;</b>\n",
        "TRUE=true\nYES=yes\nNUM=0123\nFLOAT=1e3\nNULL=null\nTILDE=~\nCOLON=a: b\nHASH=a #b\nDASH=- x\n",
        "LONG=aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss\r\nCRLF=windows\r\n",
    ];
    let mut failures = Vec::new();
    for (i, body) in envs.iter().enumerate() {
        let f = dir.path().join(format!("case{i}.env"));
        std::fs::write(&f, body).unwrap();
        for (name, ns) in [("emp-secrets-paper", "emp-system-paper"), ("x", "default")] {
            let input = kubectl_secret(dir.path(), &f, name, ns);
            let case = Case {
                what: format!("env file #{i} as {ns}/{name}"),
                inputs: vec![input],
                args: vec![
                    "--from-env-file".into(),
                    f.display().to_string(),
                    "--name".into(),
                    name.into(),
                    "-n".into(),
                    ns.into(),
                ],
                scope: "",
                name: "",
                namespace: "",
            };
            check_case(&case, dir.path(), &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `kubectl create secret ARGS --dry-run=client -o yaml` run in `dir`.
fn kubectl_create(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .args(["create", "secret"])
        .args(args)
        .args(["--dry-run=client", "-o", "yaml"])
        .current_dir(dir)
        .output()
        .expect("kubectl is needed: run `bash .ci/setup`");
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Typed Secrets built by `seal --type` (and checked by the API server's rules on
/// the way) seal to what kubeseal prints for kubectl's Secret of the same type.
#[test]
fn typed_secrets_match_kubectl_then_kubeseal() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys");
    let crt = keys.join("rsa2048.crt").display().to_string();
    let key = keys.join("rsa2048.key").display().to_string();
    let pull = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("k8s/overlays/paper/pull-secret.dockerconfigjson.example")
        .display()
        .to_string();
    let cases: Vec<(&str, Vec<String>, Vec<String>)> = vec![
        (
            "kubernetes.io/tls",
            [
                "tls",
                "web-tls",
                "-n",
                "emp-paper",
                "--cert",
                &crt,
                "--key",
                &key,
            ]
            .map(String::from)
            .to_vec(),
            vec![
                "--type".into(),
                "kubernetes.io/tls".into(),
                "--from-file".into(),
                format!("tls.crt={crt}"),
                "--from-file".into(),
                format!("tls.key={key}"),
                "--name".into(),
                "web-tls".into(),
                "-n".into(),
                "emp-paper".into(),
            ],
        ),
        (
            "kubernetes.io/dockerconfigjson",
            vec![
                "generic".into(),
                "emp-pull".into(),
                "-n".into(),
                "emp-paper".into(),
                "--type=kubernetes.io/dockerconfigjson".into(),
                format!("--from-file=.dockerconfigjson={pull}"),
            ],
            vec![
                "--type".into(),
                "kubernetes.io/dockerconfigjson".into(),
                "--from-file".into(),
                format!(".dockerconfigjson={pull}"),
                "--name".into(),
                "emp-pull".into(),
                "-n".into(),
                "emp-paper".into(),
            ],
        ),
        (
            "kubernetes.io/basic-auth",
            [
                "generic",
                "grafana-auth",
                "--type=kubernetes.io/basic-auth",
                "--from-literal=username=admin",
                "--from-literal=password=s3cret: #x",
            ]
            .map(String::from)
            .to_vec(),
            [
                "--type",
                "kubernetes.io/basic-auth",
                "--from-literal",
                "username=admin",
                "--from-literal",
                "password=s3cret: #x",
                "--name",
                "grafana-auth",
            ]
            .map(String::from)
            .to_vec(),
        ),
    ];
    let mut failures = Vec::new();
    for (what, kubectl_args, args) in cases {
        let kubectl_args: Vec<&str> = kubectl_args.iter().map(String::as_str).collect();
        let input = kubectl_create(dir.path(), &kubectl_args);
        assert!(input.contains(&format!("type: {what}\n")), "{input}");
        let case = Case {
            what: what.to_string(),
            inputs: vec![input],
            args,
            scope: "",
            name: "",
            namespace: "",
        };
        check_case(&case, dir.path(), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const RICH_SECRET: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: emp-secrets-paper
  namespace: emp-system-paper
  uid: 5b7e8c1e-0000-4000-8000-000000000001
  resourceVersion: "12345"
  generation: 3
  creationTimestamp: "2026-01-02T03:04:05Z"
  generateName: emp-
  finalizers:
  - example.com/keep
  labels:
    app.kubernetes.io/name: emp
    app.kubernetes.io/part-of: emp-stack
    tier: "true"
    version: "1.10"
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"API_KEY":"c2VjcmV0"}}'
    note: "a long annotation value with many spaces that goes well past eighty columns, so go-yaml folds it"
    multi: "line one\nline two\n"
    keep-trailing: "ends with newlines\n\n"
    no-trailing: "a\nb"
    quoting: "it's: here # and there"
    unicode: "grüße ☃ 🦀 \u2028 sep"
    html: "<script>&</script>"
    empty: ""
    yes-word: "yes"
    number: "0x1F"
    leading-space: " x"
    colon-end: "ends:"
    dash: "- item"
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: 5b7e8c1e-0000-4000-8000-000000000002
type: kubernetes.io/basic-auth
immutable: true
data:
  username: YWRtaW4=
  password: cGFzc3dvcmQ=
stringData:
  password: overrides-data
  token: "t0k3n"
"#;

#[test]
fn secret_manifests_in_every_scope_match_kubeseal() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let plain = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  namespace: ns1\ndata:\n  K: dg==\n";
    let nameless_ns = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: no-ns\ndata:\n  K: dg==\n";
    let annotated_nsw = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: ns2\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\ndata:\n  K: dg==\n";
    let annotated_cw = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\nstringData:\n  K: v\n";
    let json_input = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"j","namespace":"ns3","labels":{"b":"2","a":"1"}},"data":{"Z":"eg==","A":"YQ=="}}"#;
    let cases: Vec<(&str, Vec<&str>, &'static str)> = vec![
        ("rich secret", vec![RICH_SECRET], ""),
        ("plain", vec![plain], ""),
        ("no namespace -> default", vec![nameless_ns], ""),
        ("annotated namespace-wide", vec![annotated_nsw], ""),
        (
            "annotated namespace-wide, --scope strict",
            vec![annotated_nsw],
            "strict",
        ),
        ("annotated cluster-wide", vec![annotated_cw], ""),
        ("json input", vec![json_input], ""),
        (
            "several documents",
            vec![plain, RICH_SECRET, annotated_nsw],
            "",
        ),
    ];
    for (what, docs, _) in &cases {
        for scope in ["", "namespace-wide", "cluster-wide"] {
            let f = dir.path().join("in.yaml");
            let body: String = docs
                .iter()
                .map(|d| format!("---\n{d}"))
                .collect::<Vec<_>>()
                .join("");
            let body = if docs.len() == 1 && docs[0].starts_with('{') {
                docs[0].to_string()
            } else {
                body
            };
            std::fs::write(&f, &body).unwrap();
            let mut args = vec!["-f".to_string(), f.display().to_string()];
            if !scope.is_empty() {
                args.extend(["--scope".to_string(), scope.to_string()]);
            }
            let case = Case {
                what: format!("{what} (--scope {scope:?})"),
                inputs: docs.iter().map(|d| d.to_string()).collect(),
                args,
                scope: match scope {
                    "" => "",
                    "namespace-wide" => "namespace-wide",
                    _ => "cluster-wide",
                },
                name: "",
                namespace: "",
            };
            check_case(&case, dir.path(), &mut failures);
        }
    }
    // An explicit --scope strict on an annotated input keeps the annotation (kubeseal
    // only rewrites scope annotations for a non-default scope).
    let (what, docs, scope) = &cases[4];
    let f = dir.path().join("strict.yaml");
    std::fs::write(&f, docs[0]).unwrap();
    let case = Case {
        what: what.to_string(),
        inputs: vec![docs[0].to_string()],
        args: vec![
            "-f".into(),
            f.display().to_string(),
            "--scope".into(),
            scope.to_string(),
        ],
        scope,
        name: "",
        namespace: "",
    };
    check_case(&case, dir.path(), &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn name_and_namespace_flags_override_like_kubeseal() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("in.yaml");
    let body = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: old\ndata:\n  K: dg==\n";
    std::fs::write(&f, body).unwrap();
    let mut failures = Vec::new();
    let case = Case {
        what: "--name and -n".into(),
        inputs: vec![body.into()],
        args: vec![
            "-f".into(),
            f.display().to_string(),
            "--name".into(),
            "new".into(),
            "-n".into(),
            "emp-system-prod".into(),
        ],
        scope: "",
        name: "new",
        namespace: "emp-system-prod",
    };
    check_case(&case, dir.path(), &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // kubeseal refuses a -n that contradicts the manifest's namespace.
    let g = dir.path().join("ns.yaml");
    std::fs::write(
        &g,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: one\ndata:\n  K: dg==\n",
    )
    .unwrap();
    let c = cert().display().to_string();
    let g = g.display().to_string();
    let out = empseal(&["seal", "--cert", &c, "-f", &g, "-n", "two"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("namespace mismatch"));
}
