//! Running processes: the `empseal` binary under test and the peer tools.
//!
//! Cargo tells only the root package's tests where the binary is
//! (`CARGO_BIN_EXE_empseal`), so the runners here take its path.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs the `empseal` at `bin` with `dir` as the current directory and no
/// `SEALED_SECRETS_CERT` from the caller's environment.
pub fn empseal_in(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .current_dir(dir)
        .args(args)
        .env_remove("SEALED_SECRETS_CERT")
        .output()
        .unwrap()
}

/// stdout + stderr as one string.
pub fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs a peer tool with `stdin` (or none); a missing tool fails the test with
/// the setup hint.
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            panic!("cannot run `{program}` ({e}): run `bash .ci/setup` to install the test peers")
        }
    };
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // Write on a thread so a chatty child cannot deadlock us.
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    } else {
        child.wait_with_output().unwrap()
    }
}

/// Runs a peer tool and demands success; returns stdout.
pub fn run_ok(cmd: &mut Command, stdin: Option<&[u8]>) -> Vec<u8> {
    let desc = format!("{cmd:?}");
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "{desc} failed ({}): {}\n(if a tool or package is missing, run `bash .ci/setup`)",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs a peer tool and demands success; returns stdout as UTF-8 text.
pub fn run_text(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}; run `bash .ci/setup`"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}; run `bash .ci/setup` if a tool is missing",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}
