//! Where the fixtures are. Tests live in several crates, so `CARGO_MANIFEST_DIR`
//! differs between them; these paths do not.

use std::path::{Path, PathBuf};

/// The workspace root (where the top Cargo.toml, testdata/, k8s/ and tests/ are),
/// whichever crate's tests ask.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit sits two levels below the workspace root")
        .to_path_buf()
}

/// A path under the workspace root (`testdata/keys/rsa2048.crt`, `tests/source/...`).
pub fn in_repo(rel: &str) -> PathBuf {
    repo_root().join(rel)
}

/// A path under `testdata/keys`.
pub fn key_path(name: &str) -> PathBuf {
    repo_root().join("testdata/keys").join(name)
}

/// The bytes of a file under `testdata/keys` (panics naming the file).
pub fn read_key_file(name: &str) -> Vec<u8> {
    let path = key_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scratch directory that outlives one test process (Go build outputs, the
/// fake server's PKI): the running test binary's `target/tmp`, what cargo
/// calls `CARGO_TARGET_TMPDIR` (only test targets see that variable, not this
/// library).
pub fn target_tmpdir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test binary>
    let target = exe
        .ancestors()
        .nth(3)
        .expect("test binaries live in target/<profile>/deps");
    let dir = target.join("tmp");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
