//! The atomic writer's rules through the binary (crates/env/src/fsio.rs; the
//! library side is in empseal-env's tests): crash leftovers cleaned by the next
//! write, and `-` meaning stdout, never a file named `-`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use empseal_env::fsio::{write_atomic, Sensitivity, STALE_TEMP_AGE_SECS};

fn set_mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

fn demo_cert() -> String {
    empseal_testkit::paths::key_path("demo-paper.crt")
        .display()
        .to_string()
}

fn bin() -> PathBuf {
    PathBuf::from(crate::BIN)
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .unwrap()
}

#[test]
fn a_crash_leftover_temp_file_is_removed_by_the_next_write_in_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    // What `kill -9` between write and rename leaves: a 0600 temp file with plaintext.
    let stale = dir.path().join(".empseal-AbCdEf.tmp");
    std::fs::write(
        &stale,
        b"apiVersion: v1\nkind: Secret\ndata: {A: c2VjcmV0}\n",
    )
    .unwrap();
    set_mode(&stale, 0o600);
    let old =
        std::time::SystemTime::now() - std::time::Duration::from_secs(STALE_TEMP_AGE_SECS + 60);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    // A young one may belong to a running empseal: left alone.
    let young = dir.path().join(".empseal-young1.tmp");
    std::fs::write(&young, b"x").unwrap();
    let unrelated = dir.path().join(".empseal-notes");
    std::fs::write(&unrelated, b"x").unwrap();

    // The real binary, writing with a relative -w in the current directory.
    let out = run_in(
        dir.path(),
        &[
            "seal",
            "--cert",
            &demo_cert(),
            "--from-literal",
            "A=1",
            "--name",
            "s",
            "-n",
            "ns",
            "-w",
            "sealed.yaml",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stale.exists(), "the stale temp file was not cleaned");
    assert!(young.exists() && unrelated.exists());
    assert!(dir.path().join("sealed.yaml").is_file());
}

#[test]
fn dash_as_output_means_stdout_and_never_creates_a_file_named_dash() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "seal",
            "--cert",
            &demo_cert(),
            "--from-literal",
            "A=1",
            "--name",
            "s",
            "-n",
            "ns",
            "-w",
            "-",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("---\napiVersion: bitnami.com/v1alpha1\n"),
        "{text}"
    );
    assert!(!dir.path().join("-").exists());

    // --in-place with stdin as the file: refused before reading or contacting anything.
    let out = run_in(
        dir.path(),
        &[
            "reencrypt",
            "-f",
            "-",
            "--in-place",
            "--controller-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--in-place") && err.contains("-f -"), "{err}");
    assert!(!dir.path().join("-").exists());

    // The library refuses a file named exactly `-` too.
    let e = write_atomic(Path::new("-"), b"x", Sensitivity::Public).unwrap_err();
    assert!(
        matches!(e, empseal_env::Error::Core(kubeseal_core::Error::Input(_))),
        "{e}"
    );
    assert!(!Path::new("-").exists());
}
