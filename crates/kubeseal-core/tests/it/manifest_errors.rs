//! Bad manifests: each gives one clear line naming the file, the line and the field,
//! never a secret value (every file holds the value `hunter2`). Where kubeseal would
//! silently misread instead, the Go reference (sigs.k8s.io/yaml + go-yaml v2, as
//! kubeseal decodes) shows what it would have done.

use kubeseal_core::manifest::{
    read_private_key_backup, read_sealed_secrets, read_secrets, ManifestError,
};

use crate::goref;

const SECRET_TEXTS: &[&str] = &["hunter2", "hunter3", "aHVudGVyMg", "12345", "0123"];

/// (file under testdata/manifests/bad, line, text the message must contain)
const CASES: &[(&str, usize, &str)] = &[
    (
        "configmap.yaml",
        9,
        "document 2: the object is a ConfigMap (apiVersion \"v1\"), not a Secret",
    ),
    ("already-sealed.yaml", 3, "the object is a SealedSecret"),
    (
        "bad-base64.yaml",
        7,
        "data[\"PASSWORD\"] is not valid base64",
    ),
    (
        "yes-unquoted.yaml",
        7,
        "unquoted stringData[\"FEATURE_ENABLED\"] reads as a boolean in YAML 1.1",
    ),
    (
        "octal-pin.yaml",
        8,
        "unquoted stringData[\"PIN\"] reads as an integer",
    ),
    (
        "float-version.yaml",
        6,
        "unquoted metadata.labels[\"version\"] reads as a float",
    ),
    (
        "miscased-field.yaml",
        5,
        "field \"Data\" in the Secret is not \"data\"",
    ),
    (
        "duplicate-key.yaml",
        8,
        "key \"PASSWORD\" appears twice in stringData (first at line 6)",
    ),
    (
        "tab-indent.yaml",
        6,
        "found character that cannot start any token; fix the YAML syntax",
    ),
    (
        "bad-stream.json",
        11,
        "key must be a string; fix the JSON syntax",
    ),
    ("separator.yaml", 7, "invalid document separator"),
    ("merge-key.yaml", 8, "merge keys ('<<') are not supported"),
    (
        "binary-tag.yaml",
        6,
        "explicit YAML tag !!binary is not supported",
    ),
    (
        "sequence.yaml",
        1,
        "the document is a sequence, not an object",
    ),
    (
        "api-version.yaml",
        1,
        "Secret with apiVersion \"v2\", expected \"v1\"",
    ),
    (
        "number-data.yaml",
        6,
        "unquoted data[\"PASSWORD\"] reads as an integer",
    ),
    (
        "immutable-string.yaml",
        5,
        "immutable is a string, not a boolean",
    ),
    (
        "bad-key.yaml",
        6,
        "stringData key \"my password\" is not a valid Secret key",
    ),
    (
        "list-with-configmap.yaml",
        11,
        "document 1, item 2: the object is a ConfigMap",
    ),
    ("document-end.yaml", 8, "fix the YAML syntax"),
    ("unknown-alias.yaml", 6, "alias to an unknown anchor"),
    ("laughs.yaml", 10, "too many nodes after expanding aliases"),
    (
        "json-number.json",
        8,
        "stringData[\"PASSWORD\"] is a number, not a string",
    ),
    (
        "deployment.json",
        3,
        "document 2: the object is a Deployment (apiVersion \"apps/v1\")",
    ),
    (
        "sealed-legacy-spec-data.yaml",
        7,
        "spec.data (the single-blob format",
    ),
    (
        "sealed-encrypted-number.yaml",
        9,
        "spec.encryptedData[\"PIN\"] is an integer, not a string",
    ),
];

fn read(name: &str, bytes: &[u8]) -> Result<usize, ManifestError> {
    if name.starts_with("sealed") {
        read_sealed_secrets(name, bytes).map(|v| v.len())
    } else {
        read_secrets(name, bytes).map(|v| v.len())
    }
}

fn assert_clean_message(msg: &str, origin: &str, line: usize) {
    assert!(
        msg.starts_with(&format!("{origin}:{line}: "))
            || msg.starts_with(&format!("{origin}:{line}:")),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "one line: {msg:?}");
    for s in SECRET_TEXTS {
        // "0123" is legitimately absent: we never echo values.
        assert!(!msg.contains(s), "message leaks {s:?}: {msg}");
    }
    assert!(msg.contains("; "), "message says what to do: {msg}");
}

#[test]
fn every_bad_manifest_gives_one_clear_line() {
    let dir = empseal_testkit::repo_root().join("testdata/manifests/bad");
    let mut seen = 0;
    for (name, line, text) in CASES {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let e = read(name, &bytes)
            .err()
            .unwrap_or_else(|| panic!("{name} was accepted"));
        let msg = e.to_string();
        assert_clean_message(&msg, name, *line);
        assert!(msg.contains(text), "{name}: {msg}");
        // Bad input is an input error (the CLI's exit code 3).
        assert!(matches!(
            kubeseal_core::Error::from(e),
            kubeseal_core::Error::Input(_)
        ));
        seen += 1;
    }
    // Every file in the corpus has an expectation.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), seen);
}

#[test]
fn inline_bad_inputs() {
    let cases: &[(&[u8], usize, &str)] = &[
        // libyaml's reader errors carry a byte offset: line and column (in bytes)
        // come from it.
        (
            b"apiVersion: v1\nkind: Secret\nstringData:\n  P: hunter2\xff\n",
            4,
            "in.yaml:4:13: invalid leading UTF-8 octet; fix the YAML syntax",
        ),
        (
            b"kind: Secret\xff\n",
            1,
            "in.yaml:1:13: invalid leading UTF-8 octet",
        ),
        (
            b"{\"kind\": \"Secret\", \"stringData\": {\"P\": \"hunter2\xff\"}}",
            1,
            "invalid UTF-8",
        ),
        (
            b"apiVersion: v1\nkind: Secret\nstringData: hunter2\n",
            3,
            "stringData is a string, not a mapping",
        ),
        (
            b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: [hunter2]\n",
            4,
            "metadata.name is a sequence, not a string",
        ),
        (
            b"kind: Secret\ndata:\n  ~: aHVudGVyMg==\n",
            3,
            "unquoted key in data reads as null",
        ),
        (
            b"apiVersion: apps/v1\nmetadata: {name: x}\n",
            1,
            "without a kind",
        ),
    ];
    for (bytes, line, text) in cases {
        let msg = read_secrets("in.yaml", bytes).unwrap_err().to_string();
        assert_clean_message(&msg, "in.yaml", *line);
        assert!(msg.contains(text), "{msg}");
    }
    // Nothing at all is not an error for the reader (the caller says "no secrets found").
    assert_eq!(read_secrets("empty.yaml", b"").unwrap().len(), 0);
    assert_eq!(
        read_secrets("c.yaml", b"# only a comment\n---\n---\n")
            .unwrap()
            .len(),
        0
    );
    let e = read_private_key_backup("none.yaml", b"# nothing\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("none.yaml: no Secret and no PEM key found; "),
        "{e}"
    );
}

/// The refusals are warranted: the Go decoder kubeseal uses silently reads something
/// other than what these files say.
#[test]
fn kubeseal_would_misread_what_we_refuse() {
    let dir = empseal_testkit::repo_root().join("testdata/manifests/bad");
    let doc = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let go = goref::go_decode(&[
        (doc("yes-unquoted.yaml"), false),
        (doc("octal-pin.yaml"), false),
        (doc("float-version.yaml"), false),
        (doc("miscased-field.yaml"), false),
        (doc("duplicate-key.yaml"), false),
    ]);
    let ok: Vec<serde_json::Value> = go.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(ok[0]["stringData"]["FEATURE_ENABLED"], "true");
    assert_eq!(ok[1]["stringData"]["PIN"], "83");
    assert_eq!(ok[2]["metadata"]["labels"]["version"], "1.1");
    assert_eq!(
        ok[3]["data"]["PASSWORD"], "aHVudGVyMg==",
        "Go matches `Data` to `data`"
    );
    assert_eq!(
        ok[4]["stringData"]["PASSWORD"], "hunter3",
        "Go keeps the last duplicate"
    );
}
