//! Peer tools the tests run must be installed: a missing one fails the test
//! (never skips it) with the hint to run `bash .ci/setup`.

use std::process::{Command, Stdio};

/// Fails when `name --version` (`kubectl version --client`) does not run.
pub fn require_tool(name: &str) {
    let ok = Command::new(name)
        .arg(if name == "kubectl" {
            "version"
        } else {
            "--version"
        })
        .args(if name == "kubectl" {
            &["--client"][..]
        } else {
            &[][..]
        })
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{name} is missing or broken on this machine; run `bash .ci/setup` (the lifecycle tests need it)"
    );
}

/// Fails when `cmd args` does not run successfully (for tools without `--version`).
pub fn require(cmd: &str, args: &[&str]) {
    let ok = Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`{cmd} {}` failed: this test needs it; run `bash .ci/setup`",
        args.join(" ")
    );
}

/// Fails when python3 with kubesealpy (the Python peer) is missing.
pub fn require_python() {
    let ok = Command::new("python3")
        .args(["-c", "import kubesealpy, cryptography"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 with kubesealpy is needed for these tests: run `bash .ci/setup`"
    );
}
