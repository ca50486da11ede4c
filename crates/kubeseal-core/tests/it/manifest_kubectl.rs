//! The manifest reader on what real tools print: Secrets from the real kubectl
//! (`create secret`, `annotate/label/patch --local`, YAML and JSON), multi-document
//! streams compared with how kubectl itself splits them (it uses the same
//! apimachinery decoder as kubeseal), `v1.List`s printed by kubectl's YAML printer
//! (sigs.k8s.io/yaml), a controller key backup built from real `kubectl create secret
//! tls` output, and SealedSecrets written by kubesealpy (PyYAML).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use kubeseal_core::manifest::{
    detect_style, parse_documents, read_private_key_backup, read_sealed_secrets, read_secrets,
};
use kubeseal_core::secret::{Format, Layout, Secret};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value as J;

use crate::goref;

fn kubectl(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("kubectl")
        .current_dir(dir)
        .env("KUBECONFIG", dir.join("no-kubeconfig"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("kubectl is missing ({e}): run `bash .ci/setup`"));
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

fn ok(r: Result<Vec<u8>, String>) -> Vec<u8> {
    r.unwrap_or_else(|e| panic!("kubectl failed: {e}"))
}

fn data_of(s: &Secret) -> BTreeMap<String, Vec<u8>> {
    s.data
        .iter()
        .map(|(k, v)| (k.clone(), v.to_vec()))
        .collect()
}

/// Annotation values that need quoting, folding or block style in YAML.
const TRICKY_VALUES: &[&str] = &[
    "yes", "no", "on", "off", "y", "n", "true", "False", "1.10", "0123", "0x1F", "1e3", "1_000", "~",
    "null", "", " lead", "trail ", "a: b", "a #b", "#x", "- x", "'q'", "\"dq\"", "tab\there", "back\\slash",
    "multi\nline\n", "no newline\nat end", "trailing blank lines\n\n\n", "日本 🔑 é", "<>&", "\u{2028}",
    "a very long annotation value with many words that kubectl's YAML printer folds at about eighty columns, and then some more words",
    "[1, 2]", "{a: 1}", "*alias", "&anchor", "!tag", "%x", "@x", "`x`", "|", ">", "2001-12-14",
];

/// Label values are restricted by kubectl; these are valid and still YAML-1.1-tricky.
const TRICKY_LABELS: &[&str] = &[
    "yes", "no", "on", "true", "1.10", "0123", "1e3", "null", "y", "0x1F", "v1.2", "a-b_c.d",
];

#[test]
fn kubectl_created_secrets_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("s.env"),
        "PLAIN=1\nQUOTED=\"q\" \nEQ=a=b\nUNI=日本\nEMPTY=\nYES=yes\n",
    )
    .unwrap();
    std::fs::write(d.join("bin.dat"), (0u8..=255).collect::<Vec<u8>>()).unwrap();
    let created = ok(kubectl(
        d,
        &[
            "create",
            "secret",
            "generic",
            "app-secrets",
            "-n",
            "emp-system-paper",
            "--from-env-file=s.env",
            "--type=custom/type",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
    ));
    std::fs::write(d.join("base.yaml"), &created).unwrap();
    let with_file = ok(kubectl(
        d,
        &[
            "create",
            "secret",
            "generic",
            "files",
            "--from-file=bin.dat",
            "--from-literal=k=v",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
    ));
    let theirs = read_secrets("files.yaml", &with_file).unwrap();
    assert_eq!(
        theirs[0].data["bin.dat"].as_slice(),
        (0u8..=255).collect::<Vec<u8>>()
    );
    assert_eq!(theirs[0].metadata.namespace, "");

    // Annotate with every tricky value (one key each), label with tricky labels.
    let mut args: Vec<String> = vec![
        "annotate".into(),
        "--local".into(),
        "-f".into(),
        "base.yaml".into(),
    ];
    let mut want_ann = BTreeMap::new();
    for (i, v) in TRICKY_VALUES.iter().enumerate() {
        args.push(format!("example.com/a{i}={v}"));
        want_ann.insert(format!("example.com/a{i}"), v.to_string());
    }
    args.extend(["-o".into(), "yaml".into()]);
    let annotated = ok(kubectl(
        d,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    std::fs::write(d.join("annotated.yaml"), &annotated).unwrap();
    let mut args: Vec<String> = vec![
        "label".into(),
        "--local".into(),
        "-f".into(),
        "annotated.yaml".into(),
    ];
    let mut want_lab = BTreeMap::new();
    for (i, v) in TRICKY_LABELS.iter().enumerate() {
        args.push(format!("l{i}={v}"));
        want_lab.insert(format!("l{i}"), v.to_string());
    }
    args.extend(["-o".into(), "yaml".into()]);
    let labelled = ok(kubectl(
        d,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    std::fs::write(d.join("labelled.yaml"), &labelled).unwrap();
    let patched = ok(kubectl(
        d,
        &[
            "patch",
            "--local",
            "-f",
            "labelled.yaml",
            "--type",
            "merge",
            "-p",
            r#"{"immutable":true,"stringData":{"SD_YES":"yes","SD_NUM":"0123","SD_ML":"a\nb\n"}}"#,
            "-o",
            "yaml",
        ],
    ));
    std::fs::write(d.join("patched.yaml"), &patched).unwrap();
    let as_json = ok(kubectl(
        d,
        &[
            "patch",
            "--local",
            "-f",
            "patched.yaml",
            "--type",
            "merge",
            "-p",
            "{}",
            "-o",
            "json",
        ],
    ));

    let want_data: BTreeMap<String, Vec<u8>> = [
        ("PLAIN", "1"),
        ("QUOTED", "\"q\" "),
        ("EQ", "a=b"),
        ("UNI", "日本"),
        ("EMPTY", ""),
        ("YES", "yes"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect();
    for (origin, bytes) in [("patched.yaml", &patched), ("patched.json", &as_json)] {
        let mut secrets = read_secrets(origin, bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(secrets.len(), 1, "{origin}");
        let s = secrets.remove(0);
        assert_eq!(s.metadata.name, "app-secrets", "{origin}");
        assert_eq!(s.metadata.namespace, "emp-system-paper", "{origin}");
        assert_eq!(s.type_.as_deref(), Some("custom/type"), "{origin}");
        assert_eq!(s.immutable, Some(true), "{origin}");
        assert_eq!(s.metadata.annotations, want_ann, "{origin}");
        assert_eq!(s.metadata.labels, want_lab, "{origin}");
        assert_eq!(data_of(&s), want_data, "{origin}");
        let sd: BTreeMap<String, Vec<u8>> = s
            .string_data
            .iter()
            .map(|(k, v)| (k.clone(), v.to_vec()))
            .collect();
        assert_eq!(sd["SD_YES"], b"yes");
        assert_eq!(sd["SD_NUM"], b"0123");
        assert_eq!(sd["SD_ML"], b"a\nb\n");
        // kubectl 1.32 still prints `creationTimestamp: null`: the legacy layout.
        let fmt = if origin.ends_with("json") {
            Format::Json
        } else {
            Format::Yaml
        };
        assert_eq!(detect_style(bytes), (fmt, Layout::Legacy), "{origin}");
    }
}

// ------------------------------------------------------------- stream splitting

const SEPARATORS: &[&str] = &[
    "---\n",
    "--- # comment\n",
    "---   \n",
    "---\t# c\n",
    "---\n---\n",
    "---\n# only a comment\n---\n",
    "---\n\n\n---\n",
];

fn gen_stream(rng: &mut ChaCha8Rng, docs: &[Vec<u8>]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    if rng.random_bool(0.3) {
        out.extend_from_slice(b"# a header comment\n");
    }
    if rng.random_bool(0.4) {
        out.extend_from_slice(b"---\n");
    }
    let n = rng.random_range(1..5);
    for i in 0..n {
        if i > 0 {
            out.extend_from_slice(SEPARATORS.choose(rng).unwrap().as_bytes());
        }
        out.extend_from_slice(docs.choose(rng).unwrap());
    }
    if rng.random_bool(0.3) {
        out.extend_from_slice(b"---\n");
    }
    if rng.random_bool(0.2) {
        while out.last() == Some(&b'\n') {
            out.pop();
        }
    }
    let crlf = rng.random_bool(0.25);
    if crlf {
        let mut c = Vec::new();
        for &b in &out {
            if b == b'\n' {
                c.push(b'\r');
            }
            c.push(b);
        }
        out = c;
    }
    let bad = rng.random_bool(0.1);
    if bad {
        if out.last() != Some(&b'\n') {
            out.push(b'\n');
        }
        let bad_sep: &[u8] = [&b"--- a: b\n"[..], b"----\n", b"---x\n"]
            .choose(rng)
            .unwrap();
        out.extend_from_slice(bad_sep);
        out.extend_from_slice(docs.choose(rng).unwrap());
    }
    (out, bad)
}

/// A Secret's name and decoded data.
type NamedData = (String, BTreeMap<String, Vec<u8>>);

/// (name, data) of each object kubectl read from a stream (it prints a JSON stream).
fn kubectl_objects(dir: &Path, file: &str) -> Result<Vec<NamedData>, String> {
    let out = kubectl(
        dir,
        &["annotate", "--local", "-f", file, "probe=1", "-o", "json"],
    )?;
    let mut objs = Vec::new();
    for v in serde_json::Deserializer::from_slice(&out).into_iter::<J>() {
        let v = v.unwrap();
        let data = v["data"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, b)| {
                        (
                            k.clone(),
                            base64::engine::general_purpose::STANDARD
                                .decode(b.as_str().unwrap())
                                .unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        objs.push((v["metadata"]["name"].as_str().unwrap().to_string(), data));
    }
    Ok(objs)
}

#[test]
fn streams_split_like_kubectl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut yaml_docs = Vec::new();
    let mut json_docs = Vec::new();
    for i in 0..6 {
        let name = format!("s{i}");
        let lit = format!("--from-literal=K{i}=value {i}: with # and ---");
        yaml_docs.push(ok(kubectl(
            d,
            &[
                "create",
                "secret",
                "generic",
                &name,
                &lit,
                "--dry-run=client",
                "-o",
                "yaml",
            ],
        )));
        json_docs.push(ok(kubectl(
            d,
            &[
                "create",
                "secret",
                "generic",
                &name,
                &lit,
                "--dry-run=client",
                "-o",
                "json",
            ],
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0x0057_BEA5);
    let (mut agreed, mut refused) = (0, 0);
    for case in 0..60 {
        let (bytes, json) = if case % 4 == 3 {
            // A JSON stream: objects one after another, with or without whitespace.
            let mut out = Vec::new();
            for _ in 0..rng.random_range(1..4) {
                let doc = json_docs.choose(&mut rng).unwrap();
                if rng.random_bool(0.5) {
                    out.extend_from_slice(doc);
                } else {
                    let compact =
                        serde_json::to_vec(&serde_json::from_slice::<J>(doc).unwrap()).unwrap();
                    out.extend_from_slice(&compact);
                }
            }
            (out, true)
        } else {
            (gen_stream(&mut rng, &yaml_docs).0, false)
        };
        let file = format!("stream{case}.{}", if json { "json" } else { "yaml" });
        std::fs::write(d.join(&file), &bytes).unwrap();
        let theirs = kubectl_objects(d, &file);
        let ours = read_secrets(&file, &bytes);
        let ctx = format!("case {case}:\n{}", String::from_utf8_lossy(&bytes));
        match (theirs, ours) {
            (Ok(t), Ok(o)) => {
                let o: Vec<NamedData> = o
                    .iter()
                    .map(|s| (s.metadata.name.clone(), data_of(s)))
                    .collect();
                assert_eq!(o, t, "{ctx}");
                agreed += 1;
            }
            (Err(t), Err(o)) => {
                assert!(
                    t.contains("invalid Yaml document separator"),
                    "{ctx}\nkubectl: {t}"
                );
                assert!(
                    o.to_string().contains("invalid document separator"),
                    "{ctx}\nours: {o}"
                );
                refused += 1;
            }
            (t, o) => panic!(
                "{ctx}\nkubectl: {t:?}\nours: {:?}",
                o.map(|v| v.len()).map_err(|e| e.to_string())
            ),
        }
    }
    eprintln!("streams: {agreed} read alike, {refused} refused by both");
    assert!(agreed > 40 && refused > 0);
}

// ------------------------------------------------------------- Lists and key backups

fn openssl_key_and_cert(dir: &Path, name: &str) -> (Vec<u8>, Vec<u8>) {
    let key = dir.join(format!("{name}.key"));
    let crt = dir.join(format!("{name}.crt"));
    let st = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=sealed-secret/O=sealed-secret",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .expect("openssl is missing: run `bash .ci/setup`");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    (std::fs::read(key).unwrap(), std::fs::read(crt).unwrap())
}

#[test]
fn controller_key_backup_as_kubectl_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut items = Vec::new();
    let mut keys = Vec::new();
    for name in ["sealed-secrets-keyabcde", "sealed-secrets-keyfghij"] {
        let (key, _crt) = openssl_key_and_cert(d, name);
        let tls = ok(kubectl(
            d,
            &[
                "create",
                "secret",
                "tls",
                name,
                "-n",
                "kube-system",
                &format!("--cert={name}.crt"),
                &format!("--key={name}.key"),
                "--dry-run=client",
                "-o",
                "yaml",
            ],
        ));
        std::fs::write(d.join(format!("{name}.yaml")), &tls).unwrap();
        let labelled = ok(kubectl(
            d,
            &[
                "label",
                "--local",
                "-f",
                &format!("{name}.yaml"),
                "sealedsecrets.bitnami.com/sealed-secrets-key=active",
                "-o",
                "json",
            ],
        ));
        items.push(serde_json::from_slice::<J>(&labelled).unwrap());
        keys.push((name.to_string(), key));
    }
    // `kubectl get secret -l ... -o yaml` prints a v1.List through sigs.k8s.io/yaml.
    let list = serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}});
    let list_json = serde_json::to_string_pretty(&list).unwrap();
    let list_yaml = goref::go_json_to_yaml(std::slice::from_ref(&list_json)).remove(0);
    assert!(list_yaml.contains("kind: List\n"), "{list_yaml}");
    for (origin, bytes) in [
        ("backup.yaml", list_yaml.as_bytes()),
        ("backup.json", list_json.as_bytes()),
    ] {
        let got = read_private_key_backup(origin, bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.len(), 2);
        for (g, (name, key)) in got.iter().zip(&keys) {
            assert_eq!(&g.name, name);
            assert_eq!(g.namespace, "kube-system");
            assert_eq!(g.pem.as_slice(), key.as_slice());
        }
        // The same List read as Secrets: two kubernetes.io/tls Secrets.
        let secrets = read_secrets(origin, bytes).unwrap();
        assert!(secrets
            .iter()
            .all(|s| s.type_.as_deref() == Some("kubernetes.io/tls")));
    }
    // Go's json.Marshal of a typed v1.SecretList (client-go leaves TypeMeta empty):
    // no kind or apiVersion anywhere. kubeseal decodes the backup into a v1.List
    // first, and apimachinery takes the missing kind from that target, so it is a
    // list of the two keys: as JSON, as YAML, and as YAML after a `---`.
    let untyped = |o: &mut J| {
        let o = o.as_object_mut().unwrap();
        o.remove("kind");
        o.remove("apiVersion");
    };
    let mut kindless = list.clone();
    untyped(&mut kindless);
    kindless["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .for_each(untyped);
    let kindless_json = serde_json::to_string(&kindless).unwrap();
    let kindless_yaml = goref::go_json_to_yaml(std::slice::from_ref(&kindless_json)).remove(0);
    for (origin, text) in [
        ("kindless.json", kindless_json.clone()),
        ("kindless.yaml", kindless_yaml.clone()),
        ("kindless-marked.yaml", format!("---\n{kindless_yaml}")),
    ] {
        let got = read_private_key_backup(origin, text.as_bytes())
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
        let names: Vec<&str> = got.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            ["sealed-secrets-keyabcde", "sealed-secrets-keyfghij"],
            "{origin}"
        );
        for (g, (_, key)) in got.iter().zip(&keys) {
            assert_eq!(g.pem.as_slice(), key.as_slice(), "{origin}");
        }
    }
    // A kindless object without items is one Secret (here without a key).
    let e = read_private_key_backup("meta.json", br#"{"metadata": {"name": "x"}}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("Secret \"x\" has no data[\"tls.key\"]"), "{e}");
    // A PEM key after other text (openssl's "Bag Attributes" header), as Go's
    // pem.Decode finds it: the whole file is the key's PEM, and it parses.
    let mut with_header = b"Bag Attributes\n    localKeyID: 01 00 00 00\n".to_vec();
    with_header.extend_from_slice(&keys[1].1);
    let got = read_private_key_backup("bag.pem", &with_header).unwrap();
    assert_eq!(
        (got.len(), got[0].pem.as_slice()),
        (1, with_header.as_slice())
    );
    kubeseal_core::crypto::RsaPrivateKey::from_pem(&got[0].pem).unwrap();
    // A single Secret, and a bare PEM file.
    let single = std::fs::read(d.join("sealed-secrets-keyabcde.yaml")).unwrap();
    let got = read_private_key_backup("one.yaml", &single).unwrap();
    assert_eq!(got[0].pem.as_slice(), keys[0].1.as_slice());
    let got = read_private_key_backup("k.pem", &keys[1].1).unwrap();
    assert_eq!((got.len(), got[0].name.as_str()), (1, ""));
    assert_eq!(got[0].pem.as_slice(), keys[1].1.as_slice());
    // An ordinary Secret is not a key backup.
    let plain = ok(kubectl(
        d,
        &[
            "create",
            "secret",
            "generic",
            "x",
            "--from-literal=a=hunter2",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
    ));
    let e = read_private_key_backup("x.yaml", &plain)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("x.yaml: ") && e.contains("tls.key") && !e.contains("hunter2"),
        "{e}"
    );
}

#[test]
fn lists_printed_by_kubectl_are_read_item_by_item() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let items: Vec<J> = (0..3)
        .map(|i| {
            let out = ok(kubectl(
                d,
                &[
                    "create",
                    "secret",
                    "generic",
                    &format!("l{i}"),
                    &format!("--from-literal=k=v{i}"),
                    "-n",
                    "ns",
                    "--dry-run=client",
                    "-o",
                    "json",
                ],
            ));
            serde_json::from_slice(&out).unwrap()
        })
        .collect();
    let list = serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}});
    let json = serde_json::to_string_pretty(&list).unwrap();
    let yaml = goref::go_json_to_yaml(std::slice::from_ref(&json)).remove(0);
    for bytes in [json.as_bytes(), yaml.as_bytes()] {
        let s = read_secrets("list", bytes).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.metadata.name.as_str()).collect();
        assert_eq!(names, ["l0", "l1", "l2"]);
        assert_eq!(s[2].data["k"].as_slice(), b"v2");
    }
}

// ------------------------------------------------------------- SealedSecrets from kubesealpy

#[test]
fn sealed_secrets_written_by_kubesealpy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_key, crt) = openssl_key_and_cert(d, "controller");
    std::fs::write(d.join("cert.pem"), &crt).unwrap();
    // kubesealpy seals and prints with PyYAML; PyYAML (YAML 1.1 too) reads it back as the
    // independent view of what the file says.
    let seal = |annotations: &str| {
        let script = format!(
            r#"
import json, sys, yaml
from kubesealpy import Sealer, Secret
sealer = Sealer.from_certificate_pem(open(sys.argv[1], 'rb').read())
secret = Secret.from_string_data(
    name="emp-secrets-paper", namespace="emp-system-paper",
    data={{"POSTGRES_PASSWORD": "hunter2", "API_KEY": "k", "yes": "on"}},
    labels={{"app": "emp", "on": "yes", "v": "1.10"}},
    annotations={annotations},
)
text = sealer.seal_secret(secret).to_yaml()
print(json.dumps({{"yaml": text, "parsed": yaml.safe_load(text)}}))
"#
        );
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(d.join("cert.pem"))
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "kubesealpy failed (run `bash .ci/setup`): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let out = seal(r#"{"note": "a: b", "num": "0123", "ml": "x\ny\n", "e": "", "true": "False"}"#);
    let v: J = serde_json::from_slice(&out.stdout).unwrap();
    let yaml = v["yaml"].as_str().unwrap();
    let parsed = &v["parsed"];
    let json = serde_json::to_string_pretty(parsed).unwrap();
    for (origin, bytes) in [("py.yaml", yaml.as_bytes()), ("py.json", json.as_bytes())] {
        let ss =
            read_sealed_secrets(origin, bytes).unwrap_or_else(|e| panic!("{origin}: {e}\n{yaml}"));
        assert_eq!(ss.len(), 1);
        let ss = &ss[0];
        assert_eq!(
            ss.metadata.name,
            parsed["metadata"]["name"].as_str().unwrap()
        );
        assert_eq!(
            ss.metadata.namespace,
            parsed["metadata"]["namespace"].as_str().unwrap()
        );
        let enc: BTreeMap<String, String> = parsed["spec"]["encryptedData"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        assert_eq!(ss.encrypted_data, enc);
        let tm = &parsed["spec"]["template"]["metadata"];
        if !tm.is_null() {
            let want: BTreeMap<String, String> = tm["labels"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            assert_eq!(ss.template.metadata.labels, want);
            let want: BTreeMap<String, String> = tm["annotations"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            assert_eq!(ss.template.metadata.annotations, want);
        }
        assert_eq!(
            ss.template.type_.as_deref(),
            parsed["spec"]["template"]["type"].as_str()
        );
        assert_eq!(detect_style(bytes).1, Layout::Current);
    }
    // PyYAML (YAML 1.1 without y/n booleans) writes the key `n` unquoted; go-yaml v2
    // reads it as the boolean false, so kubeseal and the controller tooling would see an
    // annotation "false". We refuse that file, on the key's line.
    let out = seal(r#"{"n": "x"}"#);
    let v: J = serde_json::from_slice(&out.stdout).unwrap();
    let yaml_n = v["yaml"].as_str().unwrap();
    let go = goref::go_decode(&[(yaml_n.to_string(), false)])
        .remove(0)
        .unwrap();
    assert_eq!(
        go["metadata"]["annotations"]["false"], "x",
        "go-yaml v2 reads the key n as false"
    );
    let e = read_sealed_secrets("n.yaml", yaml_n.as_bytes())
        .unwrap_err()
        .to_string();
    let line = yaml_n
        .lines()
        .position(|l| l.trim_start().starts_with("n: "))
        .unwrap()
        + 1;
    assert!(
        e.starts_with(&format!("n.yaml:{line}: ")) && e.contains("reads as a boolean"),
        "{e}\n{yaml_n}"
    );

    // The same file read as Secrets is refused: it is already sealed.
    let e = read_secrets("py.yaml", yaml.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("SealedSecret") && e.contains("not a Secret"),
        "{e}"
    );
    assert_eq!(
        parse_documents("py.yaml", yaml.as_bytes()).unwrap().len(),
        1
    );
}
