//! The one way commands write to stdout and stderr.
//!
//! Rust ignores SIGPIPE, so writing to a closed pipe (`empseal cert show | head -c0`)
//! is an `EPIPE` error, which `print!` turns into a panic (exit 101). Everything a
//! command prints goes through [`stdout`] instead: a broken pipe ends the process
//! quietly with [`BROKEN_PIPE`] (141, what a shell reports for a process killed by
//! SIGPIPE, so `set -o pipefail` still sees that the output was not all delivered
//! and `check`'s findings can never turn into success); any other write failure is
//! an I/O error on `<stdout>` (exit 7). Diagnostics on stderr ([`note!`]) are best
//! effort: one that cannot be delivered is dropped, never a panic.

use std::io::{ErrorKind, Write};

use crate::cli::exit::{Error, Result};

/// Exit code after a broken pipe on stdout: 128 + SIGPIPE.
pub const BROKEN_PIPE: i32 = 141;

/// Writes `bytes` to stdout and flushes. A closed pipe ends the process quietly
/// (exit [`BROKEN_PIPE`]); other failures are `Error::Io` on `<stdout>`.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(BROKEN_PIPE),
        Err(e) => Err(Error::io("<stdout>", e)),
    }
}

/// [`stdout`] for a line of text; a failure other than a broken pipe is reported on
/// stderr and ends the process with the I/O exit code (for call sites that cannot
/// return an error).
pub fn line(text: std::fmt::Arguments<'_>) {
    let mut s = text.to_string();
    s.push('\n');
    if let Err(e) = stdout(s.as_bytes()) {
        stderr(format_args!("empseal: error: {e}"));
        std::process::exit(e.exit_code());
    }
}

/// A line on stderr, best effort.
pub fn stderr(text: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// `println!` through [`line`]: a closed stdout ends the process quietly.
macro_rules! say {
    ($($t:tt)*) => {
        $crate::cli::out::line(format_args!($($t)*))
    };
}

/// `eprintln!` through [`stderr`]: never panics.
macro_rules! note {
    ($($t:tt)*) => {
        $crate::cli::out::stderr(format_args!($($t)*))
    };
}

pub(crate) use {note, say};

static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns `-v/--verbose` on for this process.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `-v/--verbose` was given.
pub fn verbose_on() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// With `-v`: says on stderr what empseal is doing (`empseal: <text>`). Callers
/// pass names, paths, fingerprints and commands, never a value.
macro_rules! verbose {
    ($($t:tt)*) => {
        if $crate::cli::out::verbose_on() {
            $crate::cli::out::stderr(format_args!("empseal: {}", format_args!($($t)*)))
        }
    };
}

pub(crate) use verbose;

/// Whether progress may be drawn: stderr is a terminal and this is not a CI run
/// (`CI=true`, as GitHub Actions, GitLab and most CI systems set it).
pub fn interactive_stderr() -> bool {
    use std::io::IsTerminal;
    let ci = std::env::var("CI")
        .map(|v| v.eq_ignore_ascii_case("true") || v == "1")
        .unwrap_or(false);
    std::io::stderr().is_terminal() && !ci
}

/// A progress line on stderr (`{prefix} [bar] pos/len msg`) when
/// [`interactive_stderr`], else a hidden bar that draws nothing.
pub fn progress(prefix: &str, len: u64) -> indicatif::ProgressBar {
    if !interactive_stderr() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {prefix} [{{bar:24}}] {{pos}}/{{len}} {{msg}}"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A certificate expiring within this many seconds is warned about (30 days).
pub const EXPIRY_WARNING_SECS: i64 = 30 * 24 * 3600;

/// Prints the certificate's warnings (not yet valid, expiring soon, ...) on stderr.
pub fn warn_about(c: &kubeseal_core::cert::Certificate, now: i64) {
    for w in c.assess(now, EXPIRY_WARNING_SECS).warnings {
        note!("empseal: warning: {w}");
    }
}

/// Key names for a summary line: comma-separated, `-` for none.
pub fn list<S: AsRef<str>>(keys: &[S]) -> String {
    if keys.is_empty() {
        "-".to_string()
    } else {
        keys.iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
