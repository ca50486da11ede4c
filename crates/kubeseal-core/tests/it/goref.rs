//! Builds and runs `goref.go`, the Go reference for kubeseal's per-document decoding
//! (shared by the manifest tests).

use empseal_testkit::gotool;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{json, Value as J};

pub fn goref() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("manifest-goref");
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("goref");
        let src = empseal_testkit::repo_root().join("tests/manifest/goref.go");
        gotool::require_go_libraries();
        let status = gotool::go_command(&dir)
            .args(["build", "-o"])
            .arg(&out)
            .arg(&src)
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "cannot build the Go reference (needs go, golang-k8s-sigs-yaml-dev, golang-gopkg-yaml.v2-dev): run `bash .ci/setup`"
        );
        out
    })
}

/// Decodes each document with the Go reference: `Ok(secret as JSON)` or `Err(message)`.
#[allow(dead_code)]
pub fn go_decode(docs: &[(String, bool)]) -> Vec<Result<J, String>> {
    let input: Vec<J> = docs
        .iter()
        .map(|(d, j)| json!({"doc": d, "json": j}))
        .collect();
    let mut child = Command::new(goref())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || serde_json::to_writer(stdin, &input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let results: Vec<J> = serde_json::from_slice(&out.stdout).unwrap();
    results
        .into_iter()
        .map(|r| match r.get("err") {
            Some(e) => Err(e.as_str().unwrap().to_string()),
            None => Ok(r["ok"].clone()),
        })
        .collect()
}

/// Prints JSON documents as YAML the way kubectl does (`sigs.k8s.io/yaml.JSONToYAML`).
#[allow(dead_code)]
pub fn go_json_to_yaml(docs: &[String]) -> Vec<String> {
    let input: Vec<J> = docs
        .iter()
        .map(|d| json!({"doc": d, "op": "json2yaml"}))
        .collect();
    let out = Command::new(goref())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            serde_json::to_writer(child.stdin.take().unwrap(), &input).unwrap();
            child.wait_with_output()
        })
        .unwrap();
    let results: Vec<J> = serde_json::from_slice(&out.stdout).unwrap();
    results
        .into_iter()
        .map(|r| {
            r["yaml"]
                .as_str()
                .unwrap_or_else(|| panic!("json2yaml: {r}"))
                .to_string()
        })
        .collect()
}
