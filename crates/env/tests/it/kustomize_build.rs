//! `Kustomize::build` against real kubectl: an output far larger than a pipe's
//! buffer, with a warning on stderr at the same time, comes back byte for byte as
//! `kubectl kustomize` prints it; a broken overlay is one line naming the overlay.

use std::process::Command;

use empseal_env::kustomize::Kustomize;
use empseal_testkit::tools::require_tool;

#[test]
fn a_large_render_with_warnings_comes_back_whole() {
    require_tool("kubectl");
    let dir = tempfile::tempdir().unwrap();
    // About 1.3 MB of generated ConfigMap (a pipe holds 64 KiB), and a deprecated
    // field kustomize warns about on stderr while it prints.
    let line = "0123456789abcdef".repeat(6);
    let big: String = (0..12_000).map(|i| format!("{i:05}{line}\n")).collect();
    std::fs::write(dir.path().join("big.txt"), &big).unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "commonLabels:\n  app: big\nconfigMapGenerator:\n- name: big\n  files:\n  - big.txt\n",
    )
    .unwrap();
    let direct = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(direct.status.success());
    assert!(
        String::from_utf8_lossy(&direct.stderr).contains("deprecated"),
        "kubectl no longer warns, the test lost its stderr: {}",
        String::from_utf8_lossy(&direct.stderr)
    );
    assert!(direct.stdout.len() > 1_000_000);
    let k = Kustomize::select("kubectl").unwrap();
    let ours = k.build(dir.path(), "big").unwrap();
    assert_eq!(ours.as_slice(), direct.stdout.as_slice());

    // A resource that does not exist: kustomize fails, and the message names the
    // overlay as shown, not the directory.
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "resources:\n- missing.yaml\n",
    )
    .unwrap();
    let e = k
        .build(dir.path(), "k8s/overlays/big")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("k8s/overlays/big: kubectl kustomize failed: ")
            && e.ends_with("; fix the overlay")
            && !e.contains('\n')
            && !e.contains(dir.path().to_str().unwrap()),
        "{e}"
    );
}
