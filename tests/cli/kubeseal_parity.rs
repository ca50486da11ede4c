//! kubeseal's own test suite, ported as black-box cases against the `empseal`
//! binary. Each test names the upstream test it mirrors (sealed-secrets:
//! pkg/kubeseal/kubeseal_test.go, cmd/kubeseal/main_test.go, pkg/crypto,
//! pkg/apis/sealedsecrets/v1alpha1/sealedsecret_test.go and the cluster-free
//! parts of integration/kubeseal_test.go). The cases are written from what the
//! upstream tests check, not from their code. Where empseal deliberately
//! differs, the test asserts empseal's behaviour and a comment says why.

use crate::fake_cluster;
use empseal_testkit::gotool;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use base64::Engine;

use crate::BIN;

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys")
}
fn k(name: &str) -> String {
    keys().join(name).display().to_string()
}
fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Runs empseal with no kubeconfig, no SEALED_SECRETS_* and no proxy from the
/// developer's environment; `env` adds variables.
fn run_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("HOME", home.path())
        .env("KUBECONFIG", home.path().join("none"))
        .env_remove("SEALED_SECRETS_CERT")
        .env_remove("SEALED_SECRETS_CONTROLLER_NAME")
        .env_remove("SEALED_SECRETS_CONTROLLER_NAMESPACE")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, v) in env {
        cmd.env(name, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut i = child.stdin.take().unwrap();
    let _ = i.write_all(stdin);
    drop(i);
    child.wait_with_output().unwrap()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_env(args, stdin, &[])
}

fn ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "empseal {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A Secret manifest (JSON) as kubeseal's tests build them.
fn secret_json(
    name: &str,
    ns: &str,
    data: &[(&str, &[u8])],
    annotations: &[(&str, &str)],
) -> Vec<u8> {
    let data: serde_json::Map<String, serde_json::Value> = data
        .iter()
        .map(|(k, v)| (k.to_string(), b64(v).into()))
        .collect();
    let ann: serde_json::Map<String, serde_json::Value> = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), (*v).into()))
        .collect();
    let mut meta = serde_json::json!({"name": name});
    if !ns.is_empty() {
        meta["namespace"] = ns.into();
    }
    if !ann.is_empty() {
        meta["annotations"] = ann.into();
    }
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": data
    }))
    .unwrap()
}

fn seal_json(secret: &[u8], extra: &[&str]) -> serde_json::Value {
    let cert = k("rsa2048.crt");
    let mut args = vec!["seal", "--cert", cert.as_str(), "-o", "json"];
    args.extend_from_slice(extra);
    serde_json::from_slice(&ok(&args, secret)).unwrap()
}

/// Unseals `sealed` (JSON) with rsa2048.key; the Secret as JSON, or the failure.
fn unseal(sealed: &serde_json::Value) -> Result<serde_json::Value, Output> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ss.json");
    std::fs::write(&f, serde_json::to_vec(sealed).unwrap()).unwrap();
    let out = run(
        &[
            "unseal",
            "--private-key",
            &k("rsa2048.key"),
            "-f",
            f.to_str().unwrap(),
            "-o",
            "json",
        ],
        b"",
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(out)
    }
}

fn data_of(secret: &serde_json::Value) -> BTreeMap<String, String> {
    secret["data"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let b = base64::engine::general_purpose::STANDARD
                        .decode(v.as_str().unwrap())
                        .unwrap();
                    (k.clone(), String::from_utf8(b).unwrap())
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---- pkg/apis/sealedsecrets/v1alpha1/sealedsecret_test.go ----

/// Mirrors TestSealingScope: "" is the default (strict), the three names are
/// accepted, anything else is refused with kubeseal's list of names.
#[test]
fn sealing_scope_flag_values() {
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    for (flag, annotation) in [
        ("", None),
        ("strict", None),
        (
            "namespace-wide",
            Some("sealedsecrets.bitnami.com/namespace-wide"),
        ),
        (
            "cluster-wide",
            Some("sealedsecrets.bitnami.com/cluster-wide"),
        ),
    ] {
        let ss = seal_json(&secret, &["--scope", flag]);
        let ann = &ss["metadata"]["annotations"];
        match annotation {
            None => assert!(ann.is_null(), "--scope {flag:?}: {ss}"),
            Some(a) => assert_eq!(ann[a], "true", "--scope {flag:?}: {ss}"),
        }
        assert_eq!(data_of(&unseal(&ss).unwrap())["foo"], "bar");
    }
    let out = run(
        &["seal", "--cert", &k("rsa2048.crt"), "--scope", "global"],
        &secret,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must be one of: strict, namespace-wide, cluster-wide"),
        "{}",
        stderr(&out)
    );
}

/// Mirrors TestEncryptionLabel, TestLabel, TestClusterWide, TestNamespaceWide and
/// TestClusterAndNamespaceWide: the scope annotations on the input decide the
/// label; cluster-wide wins when both are set. The label is observed through
/// what can still be unsealed after a rename or a move.
#[test]
fn scope_annotations_decide_the_label() {
    let cw = "sealedsecrets.bitnami.com/cluster-wide";
    let nw = "sealedsecrets.bitnami.com/namespace-wide";
    for (anns, renamed_ok, moved_ok) in [
        (vec![], false, false),
        (vec![(nw, "true")], true, false),
        (vec![(cw, "true")], true, true),
        (vec![(cw, "true"), (nw, "true")], true, true),
        (vec![(cw, "false"), (nw, "false")], false, false),
    ] {
        let secret = secret_json("myname", "myns", &[("foo", b"bar")], &anns);
        let ss = seal_json(&secret, &[]);
        assert!(unseal(&ss).is_ok(), "{anns:?}");
        let mut renamed = ss.clone();
        renamed["metadata"]["name"] = "other".into();
        renamed["spec"]["template"]["metadata"]["name"] = "other".into();
        assert_eq!(unseal(&renamed).is_ok(), renamed_ok, "{anns:?} renamed");
        let mut moved = ss.clone();
        moved["metadata"]["namespace"] = "elsewhere".into();
        moved["spec"]["template"]["metadata"]["namespace"] = "elsewhere".into();
        assert_eq!(unseal(&moved).is_ok(), moved_ok, "{anns:?} moved");
        if anns.len() == 2 && anns[0].1 == "true" {
            // Both set: the object says cluster-wide only.
            assert_eq!(ss["metadata"]["annotations"][cw], "true");
            assert!(ss["metadata"]["annotations"][nw].is_null(), "{ss}");
        }
    }
}

/// Mirrors TestSealRoundTrip and TestSealRoundTripStringDataConversion: data and
/// stringData both come back as data.
#[test]
fn seal_round_trip_with_string_data() {
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "myname", "namespace": "myns"},
        "data": {"foo": b64(b"bar")},
        "stringData": {"password": "hunter2"}
    });
    let ss = seal_json(&serde_json::to_vec(&secret).unwrap(), &[]);
    assert!(ss["spec"]["encryptedData"]["password"].is_string());
    let d = data_of(&unseal(&ss).unwrap());
    assert_eq!(d["foo"], "bar");
    assert_eq!(d["password"], "hunter2");
}

/// Mirrors TestSealRoundTripTemplateData: template.data is rendered over the
/// decrypted values, with the controller's template functions.
#[test]
fn seal_round_trip_template_data() {
    let password = "hunter2'\"=<&>";
    let secret = secret_json(
        "myname",
        "myns",
        &[("foo", b"bar"), ("password", password.as_bytes())],
        &[],
    );
    let mut ss = seal_json(&secret, &[]);
    ss["spec"]["template"]["data"] = serde_json::json!({
        "bar": "secret {{ index . \"foo\" }} !",
        "password-json": "{{ toJson .password }}",
        "url": "postgres://app:{{ .password | b64enc }}@db/{{ .foo | upper }}"
    });
    let d = data_of(&unseal(&ss).unwrap());
    assert_eq!(d["bar"], "secret bar !");
    // Go's json.Marshal of the string (HTML characters escaped).
    assert_eq!(d["password-json"], "\"hunter2'\\\"=\\u003c\\u0026\\u003e\"");
    assert_eq!(
        d["url"],
        format!("postgres://app:{}@db/BAR", b64(password.as_bytes()))
    );
    assert_eq!(d["foo"], "bar", "encryptedData keys stay");
}

/// Mirrors TestTemplateWithoutEncryptedData: a SealedSecret whose values all sit
/// in template.data unseals, and `check` accepts it (no ES401).
#[test]
fn template_without_encrypted_data() {
    let ss = serde_json::json!({
        "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": "myname", "namespace": "myns"},
        "spec": {"encryptedData": {}, "template": {
            "metadata": {"name": "myname", "namespace": "myns"},
            "data": {"foo": "bar"}}}
    });
    assert_eq!(data_of(&unseal(&ss).unwrap())["foo"], "bar");

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ss.json");
    std::fs::write(&f, serde_json::to_vec(&ss).unwrap()).unwrap();
    // The object is valid (no ES401). Deliberate difference: a literal value in
    // template.data is plaintext committed to the repository, which `check`
    // reports as ES503 (the only finding) although the controller accepts it.
    let out = run(&["check", "--no-git", f.to_str().unwrap()], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("ES401"), "{stdout}");
    let codes: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split("[ES").nth(1))
        .collect();
    assert_eq!(codes.len(), 1, "{stdout}");
    assert!(codes[0].starts_with("503]"), "{stdout}");
    assert!(
        !stdout.contains("bar"),
        "the value is never printed: {stdout}"
    );

    // Still ES401 without template.data (finding codes are stable).
    let mut empty = ss.clone();
    empty["spec"]["template"]
        .as_object_mut()
        .unwrap()
        .remove("data");
    std::fs::write(&f, serde_json::to_vec(&empty).unwrap()).unwrap();
    let out = run(&["check", "--no-git", f.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ES401"));
}

fn go_template_peer() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go-template");
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join(format!("gotemplate-{}", std::process::id()));
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/gotemplate.go");
        let out = gotool::go_command(&dir)
            .args(["build", "-o"])
            .arg(&bin)
            .arg(&src)
            .output()
            .expect("Go is needed for this test (bash .ci/setup)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        bin
    })
}

/// Mirrors TestSealRoundTripTemplateData's rendering against Go's own
/// text/template (the stdlib part: fields, index, print/printf, len, trim
/// markers, comments, missing keys), byte for byte.
#[test]
fn template_data_renders_like_go_text_template() {
    let data = [
        ("foo", "bar"),
        ("user", "app"),
        ("db-host", "db.local"),
        ("n", "42"),
    ];
    let templates = [
        "plain text",
        "{{ .foo }}",
        "{{.foo}}-{{.user}}",
        "{{ index . \"db-host\" }}:5432",
        "{{ .missing }}",
        "a {{- .foo -}} b",
        "a {{- .foo }} b",
        "x{{/* a comment */}}y",
        "{{ printf \"%s@%s\" .user (index . \"db-host\") }}",
        "{{ print .foo .user }}",
        "{{ print 1 2 }}",
        "{{ len .foo }}",
        "{{ .foo | printf \"%q\" }}",
        "{{ \"lit\" }}{{ `raw\\n` }}",
        "{{ printf \"%d%%\" 5 }}",
        "tail }} stays",
        "[{{ index . \"nope\" }}]",
        "{{.foo}} {{/* c */}} {{.user}}",
        "{{- .foo }}",
        "{{ \"a\" | print }}{{ print \"a\" 1 \"b\" }}{{ print 1 true }}",
        "{{ len . }}|{{ .foo | len }}|{{ print }}",
        "{{ printf \"%v\" . }}",
        "{{ printf \"%s\" }}|{{ printf \"%s\" .foo .user 7 }}|{{ printf \"%d\" .n }}",
        "{{ .foo }}{{ \"{{ .user }}\" }}",
        "{{ .foo }}{{ .foo }}\n{{- \" x\" }}",
    ];
    let mut expected = Vec::new();
    let reqs: Vec<serde_json::Value> = templates
        .iter()
        .map(|t| {
            serde_json::json!({"template": t, "data": data.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>()})
        })
        .collect();
    let mut child = Command::new(go_template_peer())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&reqs).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let answers: Vec<BTreeMap<String, String>> = serde_json::from_slice(&out.stdout).unwrap();

    // One SealedSecret holding every template, its values sealed for real.
    let pairs: Vec<(&str, &[u8])> = data.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
    let mut ss = seal_json(&secret_json("myname", "myns", &pairs, &[]), &[]);
    let mut td = serde_json::Map::new();
    for (i, (t, a)) in templates.iter().zip(&answers).enumerate() {
        let Some(want) = a.get("ok") else {
            continue; // Go refuses it; empseal's refusal is checked below.
        };
        td.insert(format!("t{i:02}"), (*t).into());
        expected.push((format!("t{i:02}"), want.clone()));
    }
    // `(index . "db-host")` uses parentheses, which empseal does not render:
    // drop it from the comparison but require a clean refusal for it.
    let paren: Vec<String> = expected
        .iter()
        .filter(|(k, _)| td[k].as_str().unwrap().contains('('))
        .map(|(k, _)| k.clone())
        .collect();
    for key in &paren {
        let mut one = ss.clone();
        one["spec"]["template"]["data"] = serde_json::json!({ key.as_str(): td[key].clone() });
        let e = unseal(&one).unwrap_err();
        assert_eq!(e.status.code(), Some(3));
        assert!(stderr(&e).contains(key.as_str()), "{}", stderr(&e));
        td.remove(key);
    }
    expected.retain(|(k, _)| !paren.contains(k));
    ss["spec"]["template"]["data"] = td.into();
    let d = data_of(&unseal(&ss).unwrap());
    for (key, want) in &expected {
        assert_eq!(&d[key], want, "template {key}");
    }
    assert!(expected.len() >= 14, "{expected:?}");
}

/// Mirrors TestSkipSetOwnerReference: the skip annotation drops the owner
/// reference; otherwise it points back at the SealedSecret with its uid (Go's
/// OwnerReference.UID has no omitempty: an object without uid gives `uid: ""`).
#[test]
fn skip_set_owner_reference() {
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    let ss = seal_json(&secret, &[]);
    let s = unseal(&ss).unwrap();
    assert_eq!(
        s["metadata"]["ownerReferences"],
        serde_json::json!([{"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
            "name": "myname", "uid": "", "controller": true}])
    );
    let mut with_uid = ss.clone();
    with_uid["metadata"]["uid"] = "0c5e7a8e-1111-4222-8333-444455556666".into();
    let s = unseal(&with_uid).unwrap();
    assert_eq!(
        s["metadata"]["ownerReferences"][0]["uid"],
        "0c5e7a8e-1111-4222-8333-444455556666"
    );
    let mut skip = ss.clone();
    skip["spec"]["template"]["metadata"]["annotations"] =
        serde_json::json!({"sealedsecrets.bitnami.com/skip-set-owner-references": "true"});
    let s = unseal(&skip).unwrap();
    assert!(s["metadata"]["ownerReferences"].is_null(), "{s}");
}

/// Mirrors TestSealMetadataPreservation: labels and annotations go into the
/// template; last-applied annotations and owner references do not.
#[test]
fn seal_metadata_preservation() {
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "myname", "namespace": "myns",
            "labels": {"app": "web"},
            "annotations": {"team": "core",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"foo\":\"YmFy\"}}"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u"}]},
        "type": "kubernetes.io/basic-auth",
        "data": {"foo": b64(b"bar")}
    });
    let ss = seal_json(&serde_json::to_vec(&secret).unwrap(), &[]);
    let t = &ss["spec"]["template"];
    assert_eq!(t["metadata"]["labels"]["app"], "web");
    assert_eq!(t["metadata"]["annotations"]["team"], "core");
    assert!(
        t["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].is_null()
    );
    assert!(t["metadata"]["ownerReferences"].is_null());
    assert_eq!(t["type"], "kubernetes.io/basic-auth");
    assert!(
        ss["metadata"]["labels"].is_null(),
        "outer metadata: name and namespace only"
    );
}

/// Mirrors TestRejectBothEncryptedDataAndDeprecatedV1Data and
/// TestUnsealingV1Format: the deprecated spec.data is refused (the controller
/// refuses it unless a feature flag is set; empseal never accepts it).
#[test]
fn deprecated_v1_data_is_refused() {
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    let mut ss = seal_json(&secret, &[]);
    ss["spec"]["data"] = b64(b"whatever").into();
    let e = unseal(&ss).unwrap_err();
    assert_ne!(e.status.code(), Some(0));
    assert_eq!(stderr(&e).trim().lines().count(), 1, "{}", stderr(&e));
}

/// Mirrors TestInvalidBase64: the item is named and nothing is decrypted.
#[test]
fn invalid_base64_names_the_item() {
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    let mut ss = seal_json(&secret, &[]);
    ss["spec"]["encryptedData"]["foo"] = "NOTVALIDBASE64".into();
    let e = unseal(&ss).unwrap_err();
    let msg = stderr(&e);
    assert!(msg.contains("\"foo\""), "{msg}");
    assert!(msg.contains("base64"), "{msg}");
    assert!(!msg.contains("decrypt"), "{msg}");
    assert_eq!(e.status.code(), Some(5));
}

// ---- pkg/kubeseal/kubeseal_test.go ----

/// Mirrors TestParseKey and TestOpenCertFile: a PEM certificate from a path or a
/// file:// URL; a non-certificate is refused with the certificate exit code.
#[test]
fn parse_key_and_open_cert_file() {
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    for spec in [k("rsa2048.crt"), format!("file://{}", k("rsa2048.crt"))] {
        let out = ok(&["seal", "--cert", &spec, "-o", "json"], &secret);
        let ss: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(data_of(&unseal(&ss).unwrap())["foo"], "bar");
    }
    let out = run(&["seal", "--cert", &k("garbage.crt")], &secret);
    assert_eq!(out.status.code(), Some(4));
    let out = run(&["seal", "--cert", &k("ec.crt")], &secret);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("not RSA"), "{}", stderr(&out));
}

/// Mirrors TestOpenCertFile's fallback and kubeseal's flag handling: an empty
/// SEALED_SECRETS_CERT means no certificate was given, so the certificate is
/// fetched from the cluster (here a fake API server with real TLS).
#[test]
fn empty_sealed_secrets_cert_fetches_from_the_cluster() {
    let fake = fake_cluster::Fake::apiserver(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake_cluster::fake_kubeconfig(
        dir.path(),
        &fake,
        &fake_cluster::User::Token(fake_cluster::TOKEN),
    );
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    let out = run_env(
        &["seal", "-o", "json"],
        &secret,
        &[
            ("SEALED_SECRETS_CERT", ""),
            ("KUBECONFIG", kc.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fake
        .requests()
        .iter()
        .any(|r| r["path"].as_str().unwrap().ends_with("/proxy/v1/cert.pem")));
    let ss: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sealed = serde_json::to_vec(&ss).unwrap();
    let got = fake_cluster::unseal(&fake_cluster::pki().controller1.key, &sealed);
    assert_eq!(got, Some(serde_json::json!({"foo": "bar"})));
}

/// Mirrors TestSealWithMultiDocSecrets: several Secret documents give as many
/// SealedSecrets, in order.
#[test]
fn seal_with_multi_doc_secrets() {
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: one\n  namespace: ns\ndata:\n  a: YQ==\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: two\n  namespace: ns\nstringData:\n  b: bee\n";
    let out =
        String::from_utf8(ok(&["seal", "--cert", &k("rsa2048.crt")], yaml.as_bytes())).unwrap();
    let docs: Vec<&str> = out
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .collect();
    assert_eq!(docs.len(), 2, "{out}");
    assert!(docs[0].contains("name: one") && docs[1].contains("name: two"));
}

/// Mirrors TestSeal's error cases: no name, empty data, and a namespace given
/// nowhere (empseal, like kubeseal's CLI, falls back to the kubeconfig context
/// namespace and then `default`).
#[test]
fn seal_errors_and_namespace_defaulting() {
    let cert = k("rsa2048.crt");
    let noname = b"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"namespace\":\"n\"},\"data\":{\"a\":\"YQ==\"}}";
    let out = run(&["seal", "--cert", &cert], noname);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let empty = secret_json("myname", "myns", &[], &[]);
    let out = run(&["seal", "--cert", &cert], &empty);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let ss: serde_json::Value = serde_json::from_slice(&ok(
        &["seal", "--cert", &cert, "-o", "json", "--allow-empty-data"],
        &empty,
    ))
    .unwrap();
    assert_eq!(ss["spec"]["encryptedData"], serde_json::json!({}));
    let nons = secret_json("myname", "", &[("foo", b"bar")], &[]);
    let ss = seal_json(&nons, &[]);
    assert_eq!(ss["metadata"]["namespace"], "default");
}

/// Mirrors TestNamespaceMismatchValidation: a Secret in one namespace sealed with
/// -n naming another is refused; same namespace, no -n, or no namespace in the
/// Secret are fine.
#[test]
fn namespace_mismatch_validation() {
    let cert = k("rsa2048.crt");
    let s = secret_json("mysecret", "secretns", &[("foo", b"sekret")], &[]);
    let out = run(&["seal", "--cert", &cert, "-n", "flagns"], &s);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("secretns") && stderr(&out).contains("flagns"),
        "{}",
        stderr(&out)
    );
    ok(&["seal", "--cert", &cert, "-n", "secretns"], &s);
    ok(&["seal", "--cert", &cert], &s);
    let s = secret_json("mysecret", "", &[("foo", b"sekret")], &[]);
    let ss: serde_json::Value = serde_json::from_slice(&ok(
        &["seal", "--cert", &cert, "-n", "flagns", "-o", "json"],
        &s,
    ))
    .unwrap();
    assert_eq!(ss["metadata"]["namespace"], "flagns");
}

/// Mirrors TestMergeInto: new items are added, existing ones kept, the file's
/// format stays.
#[test]
fn merge_into() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ss.json");
    let ss = seal_json(&secret_json("myname", "myns", &[("foo", b"bar")], &[]), &[]);
    std::fs::write(&f, serde_json::to_vec_pretty(&ss).unwrap()).unwrap();
    let cert = k("rsa2048.crt");
    ok(
        &["seal", "--cert", &cert, "--merge-into", f.to_str().unwrap()],
        &secret_json("myname", "myns", &[("new", b"value")], &[]),
    );
    let merged: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    assert_eq!(
        merged["spec"]["encryptedData"]["foo"],
        ss["spec"]["encryptedData"]["foo"]
    );
    let d = data_of(&unseal(&merged).unwrap());
    assert_eq!((d["foo"].as_str(), d["new"].as_str()), ("bar", "value"));
}

/// Mirrors TestRaw and cmd/kubeseal's TestRawSealErrors. Strict needs a name,
/// namespace-wide a namespace. Differs on purpose: kubeseal's library test passes
/// an empty namespace straight in; on the command line the namespace falls back
/// to the kubeconfig context (else `default`), for kubeseal's CLI and empseal.
#[test]
fn raw_seal_and_its_errors() {
    let cert = k("rsa2048.crt");
    let out = run(
        &[
            "seal", "--raw", "--cert", &cert, "-n", "myns", "--scope", "strict",
        ],
        b"supersecret",
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("--name"), "{}", stderr(&out));
    let raw = ok(
        &[
            "seal", "--raw", "--cert", &cert, "-n", "myns", "--name", "mysecret",
        ],
        b"supersecret",
    );
    let raw = String::from_utf8(raw).unwrap();
    // RSA-2048: the wire value starts with the length 256 (0x0100), base64 "AQ".
    assert!(raw.starts_with("AQ") && !raw.ends_with('\n'), "{raw}");
    // The raw value unseals inside a SealedSecret of that name and namespace.
    let ss = serde_json::json!({"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": "mysecret", "namespace": "myns"},
        "spec": {"encryptedData": {"v": raw}, "template": {"metadata": {"name": "mysecret", "namespace": "myns"}}}});
    assert_eq!(data_of(&unseal(&ss).unwrap())["v"], "supersecret");
    let cw = ok(
        &["seal", "--raw", "--cert", &cert, "--scope", "cluster-wide"],
        b"x",
    );
    assert!(cw.starts_with(b"AQ"));
}

/// Mirrors TestUnseal and TestReadPrivKeyPEM: a PKCS#1 or PKCS#8 PEM key; text
/// before `-----BEGIN` is skipped, as Go's pem.Decode does.
#[test]
fn unseal_with_pem_keys_including_a_preamble() {
    let ss = seal_json(
        &secret_json("myname", "myns", &[("foo", b"secret1")], &[]),
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ss.json");
    std::fs::write(&f, serde_json::to_vec(&ss).unwrap()).unwrap();
    let pem = std::fs::read(keys().join("rsa2048.key")).unwrap();
    let mut with_text = b"Key exported from the vault on 2026-01-01\nowner: platform\n".to_vec();
    with_text.extend_from_slice(&pem);
    let pk8 = std::fs::read(keys().join("rsa2048.pk8.key")).unwrap();
    for (name, bytes) in [
        ("plain.pem", pem.clone()),
        ("preamble.pem", with_text),
        ("pk8.pem", pk8),
    ] {
        let kf = dir.path().join(name);
        std::fs::write(&kf, bytes).unwrap();
        let out = run(
            &[
                "unseal",
                "--private-key",
                kf.to_str().unwrap(),
                "-f",
                f.to_str().unwrap(),
                "-o",
                "json",
            ],
            b"",
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(data_of(&s)["foo"], "secret1", "{name}");
    }
}

/// Mirrors TestUnsealList and TestReadPrivKeySecret: key backups as a Secret, a
/// v1.List, and a SecretList written by Go's json.Marshal or yaml.Marshal (no
/// kind/apiVersion).
#[test]
fn unseal_with_key_backups() {
    let ss = seal_json(
        &secret_json("myname", "myns", &[("foo", b"secret1")], &[]),
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ss.json");
    std::fs::write(&f, serde_json::to_vec(&ss).unwrap()).unwrap();
    let pem = std::fs::read(keys().join("rsa2048.key")).unwrap();
    let other = std::fs::read(keys().join("rsa3072.key")).unwrap();
    let item = |name: &str, pem: &[u8]| {
        serde_json::json!({"metadata": {"name": name, "namespace": "kube-system"},
            "data": {"tls.key": b64(pem), "tls.crt": ""}, "type": "kubernetes.io/tls"})
    };
    let mut single = item("k1", &pem);
    single["apiVersion"] = "v1".into();
    single["kind"] = "Secret".into();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List",
        "items": [item("k0", &other), single.clone()]});
    let kindless =
        serde_json::json!({"metadata": {}, "items": [item("k0", &other), item("k1", &pem)]});
    for (name, v) in [
        ("secret.json", single),
        ("list.json", list),
        ("secretlist.json", kindless.clone()),
        ("secretlist.yaml", kindless),
    ] {
        let kf = dir.path().join(name);
        let bytes = if name.ends_with(".yaml") {
            serde_yaml::to_string(&v).unwrap().into_bytes()
        } else {
            serde_json::to_vec_pretty(&v).unwrap()
        };
        std::fs::write(&kf, bytes).unwrap();
        let out = run(
            &[
                "unseal",
                "--private-key",
                kf.to_str().unwrap(),
                "-f",
                f.to_str().unwrap(),
                "-o",
                "json",
            ],
            b"",
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(data_of(&s)["foo"], "secret1", "{name}");
    }
}

// ---- cmd/kubeseal/main_test.go ----

/// Mirrors TestVersion: --version prints the name and version, exit 0.
#[test]
fn version() {
    let out = ok(&["--version"], b"");
    let v = String::from_utf8(out).unwrap();
    assert!(
        v.starts_with("empseal ") && v.contains(env!("CARGO_PKG_VERSION")),
        "{v}"
    );
}

/// Mirrors TestMainError and integration "kubeseal (with invalid input)":
/// garbage input fails with one line on stderr and nothing on stdout.
#[test]
fn main_error_on_invalid_input() {
    let out = run(
        &["seal", "--cert", &k("rsa2048.crt")],
        b"this is: [not a secret",
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
}

/// Mirrors TestWriteToFile and TestFailToWriteToFile: -w writes the file; an
/// unwritable target fails with the I/O code and leaves nothing behind.
#[test]
fn write_to_file_and_fail_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    let w = dir.path().join("out.yaml");
    ok(
        &[
            "seal",
            "--cert",
            &k("rsa2048.crt"),
            "-w",
            w.to_str().unwrap(),
        ],
        &secret,
    );
    assert!(std::fs::read_to_string(&w)
        .unwrap()
        .starts_with("---\napiVersion: bitnami.com/v1alpha1\n"));
    let bad = dir.path().join("missing/out.yaml");
    let out = run(
        &[
            "seal",
            "--cert",
            &k("rsa2048.crt"),
            "-w",
            bad.to_str().unwrap(),
        ],
        &secret,
    );
    assert_eq!(out.status.code(), Some(7));
    assert!(!bad.exists());
}

// ---- integration/kubeseal_test.go (cluster-free parts) ----

/// Mirrors "kubeseal --recovery-unseal without --recovery-private-key": a usage
/// error; and "with valid --recovery-private-key" through the kubeseal alias.
#[test]
fn recovery_unseal_flags() {
    let out = run(&["unseal"], b"");
    assert_eq!(out.status.code(), Some(2));
    let ss = seal_json(&secret_json("myname", "myns", &[("foo", b"bar")], &[]), &[]);
    let out = ok(
        &[
            "unseal",
            "--recovery-private-key",
            &k("rsa2048.key"),
            "-o",
            "json",
        ],
        &serde_json::to_vec(&ss).unwrap(),
    );
    let s: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(data_of(&s)["foo"], "bar");
    assert_eq!(s["metadata"]["name"], "myname");
    assert_eq!(s["metadata"]["namespace"], "myns");
}

/// Mirrors "kubeseal --cert" with a certificate that does not exist: an error
/// naming the file, with the certificate exit code.
#[test]
fn cert_that_does_not_exist() {
    let secret = secret_json("myname", "myns", &[("foo", b"bar")], &[]);
    let out = run(&["seal", "--cert", "/nonexistent/cert.pem"], &secret);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("/nonexistent/cert.pem"));
}

// pkg/crypto/keys_test.go (TestSignKey) signs a generated key into a
// certificate, which only the controller does; empseal never creates keys, so
// there is no CLI behaviour to mirror.
