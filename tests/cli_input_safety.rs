//! Hardening of empseal's inputs and outputs, through the real binary: a YAML
//! alias bomb costs `check` a bounded amount of memory, `check` walks what
//! kustomize reads (upper-case extensions, symlinked directories, each directory
//! once), and every printing command ends quietly on a closed stdout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_empseal");

#[allow(dead_code)]
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
        .map(|f| format!("{}:{} {}", f["file"].as_str().unwrap(), f["line"], f["code"].as_str().unwrap()))
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
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    std::fs::write(dir.path().join("shared/e.yaml"), placeholder).unwrap();
    symlink("../shared", tree.join("linked")).unwrap();
    // A loop back to the root and a second way into real/: walked once each.
    symlink("..", tree.join("real/loop")).unwrap();
    symlink("real", tree.join("again")).unwrap();
    symlink("missing", tree.join("dangling.yaml")).unwrap();
    let out = empseal(&["check", "--no-git", "--format", "json", "k8s"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
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
