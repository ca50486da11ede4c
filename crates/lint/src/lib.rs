//! `empseal check`: a CI lint for SealedSecret manifests.
//!
//! Deploy pipelines must never ship placeholder or broken ciphertext. This module
//! scans YAML and JSON files (several documents each), directories and stdin
//! bytes (e.g. `kubectl kustomize` output) and reports every problem with a
//! stable code, a severity, a one-line hint and the 1-based line and column of the
//! offending node: the value for ciphertext problems, the key for metadata
//! problems. See `docs/ci.md` for the codes and the output formats.
//!
//! Positions come from saphyr-parser's event stream (serde_yaml keeps none); each
//! file is parsed once and files are checked in parallel (rayon). Messages never
//! contain a secret: at most the first 12 characters of a ciphertext.

#![deny(missing_docs)]

mod analyze;
mod doc;
pub mod error;
mod exclude;
mod git;
mod output;
mod rules;
mod wire;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use kubeseal_core::secret::{read_secret_bytes, read_secret_file, SecretBytes};
use rayon::prelude::*;

/// The name of the ignore file `check` honours.
pub use exclude::IGNORE_FILE;
/// Output formats, re-exported for the CLI.
pub use output::{render, OutputFormat};
/// Finding codes and severities, re-exported for the CLI.
pub use rules::{Code, Severity};

pub use crate::error::{Error, Result};
use analyze::{FileChecker, Stats};

/// The key sealed values must have been made with: filled by the CLI from the
/// certificate given with `--cert` or the environment's pinned one. Plain data so
/// `check` does not depend on how certificates are parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedKey {
    /// The RSA modulus, big-endian (leading zero bytes are ignored).
    pub modulus: Vec<u8>,
    /// The certificate's `notAfter`, Unix seconds, when known.
    pub not_after: Option<i64>,
    /// Where the certificate came from (path or URL), for messages and findings.
    pub origin: String,
}

impl ExpectedKey {
    /// The modulus without leading zero bytes: its length is the RSA block size.
    fn modulus_trimmed(&self) -> &[u8] {
        let start = self
            .modulus
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(self.modulus.len());
        &self.modulus[start..]
    }
}

/// What to check and against what; the CLI builds it from its flags.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Check values against this key (`--cert` or the env's pinned certificate).
    pub expected_key: Option<ExpectedKey>,
    /// Treat every input as belonging to a sealed environment (`--sealed-only`,
    /// or `--env paper|prod`): plaintext Secrets with data are errors.
    pub sealed_only: bool,
    /// Environments whose overlays must be sealed: files under
    /// `.../overlays/<env>/...` are checked as with `sealed_only`.
    pub sealed_envs: Vec<String>,
    /// Current time, Unix seconds (injected for exact tests).
    pub now: i64,
    /// A certificate expiring within this many days is a warning.
    pub expiry_warning_days: i64,
    /// Report `*secrets.env` files tracked by the git repository holding an input.
    pub check_git: bool,
    /// The name stdin input (`-`) gets in findings.
    pub stdin_name: String,
    /// Overlay directories of sealed environments (canonical paths, from the
    /// workspace configuration): files under them are checked as with
    /// `sealed_only`, however the path was typed.
    pub sealed_dirs: Vec<PathBuf>,
    /// Files matching these patterns (gitignore syntax, relative to the current
    /// directory) are not checked (`--exclude`).
    pub exclude: Vec<String>,
    /// Honour `.empsealignore` files (gitignore syntax) above each checked path, up
    /// to the git work tree's root (off by default here; the CLI turns it on unless
    /// `--no-ignore-file`).
    pub ignore_files: bool,
    /// SealedSecrets with these `metadata.name`s are neither checked nor counted
    /// (`check --env E --secret S` checks S alone of the env's secrets).
    pub skip_sealed_secrets: Vec<String>,
}

impl CheckOptions {
    /// Defaults: no expected key, paper and prod sealed, 30-day expiry warning,
    /// git check on, stdin shown as `<stdin>`, nothing excluded, ignore files not read.
    pub fn new(now: i64) -> Self {
        CheckOptions {
            expected_key: None,
            sealed_only: false,
            sealed_envs: vec!["paper".into(), "prod".into()],
            now,
            expiry_warning_days: 30,
            check_git: true,
            stdin_name: "<stdin>".into(),
            sealed_dirs: Vec::new(),
            exclude: Vec::new(),
            ignore_files: false,
            skip_sealed_secrets: Vec::new(),
        }
    }

    fn in_sealed_context(&self, origin: &str) -> bool {
        if self.sealed_only {
            return true;
        }
        if !self.sealed_dirs.is_empty() {
            if let Ok(p) = Path::new(origin).canonicalize() {
                if self.sealed_dirs.iter().any(|d| p.starts_with(d)) {
                    return true;
                }
            }
        }
        let parts: Vec<&str> = origin.split(['/', '\\']).collect();
        parts
            .windows(2)
            .any(|w| w[0] == "overlays" && self.sealed_envs.iter().any(|e| e == w[1]))
    }
}

/// The object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// `SealedSecret` or `Secret`.
    pub kind: String,
    /// `metadata.namespace`, when set.
    pub namespace: Option<String>,
    /// `metadata.name`, when set.
    pub name: Option<String>,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(self.name.as_deref().unwrap_or("<unnamed>"))
    }
}

/// One problem at one place. The message never contains a secret value (at most
/// a 12-character ciphertext prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// The code's severity.
    pub severity: Severity,
    /// The file as given (or found under a given directory), or the stdin name,
    /// or the certificate's origin for certificate findings.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in Unicode scalar values.
    pub column: usize,
    /// What is wrong, naming the object and key.
    pub message: String,
    /// The object involved, if any.
    pub object: Option<ObjectRef>,
    /// The `encryptedData` key involved, if any.
    pub key: Option<String>,
    /// What to do about this finding in particular (the env's own commands), when
    /// the finder knows better than its code's generic hint.
    pub fix: Option<String>,
}

impl Finding {
    /// What to do: the finding's own fix, else its code's one-line hint.
    pub fn hint(&self) -> &str {
        self.fix.as_deref().unwrap_or(self.code.hint())
    }
}

/// Everything a run found, plus what it looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Findings sorted by file, line, column, code.
    pub findings: Vec<Finding>,
    /// Files (and stdin) read.
    pub files: usize,
    /// YAML/JSON documents parsed.
    pub documents: usize,
    /// SealedSecret objects seen.
    pub sealed_secrets: usize,
    /// `encryptedData` values checked.
    pub values: usize,
}

impl Report {
    /// How many findings have exactly this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether any finding reaches `fail_on` (the CLI then exits 1).
    pub fn fails(&self, fail_on: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= fail_on)
    }

    fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
        });
    }
}

/// One input to [`check_inputs`].
#[derive(Debug, Clone)]
pub enum Input {
    /// A file or a directory (walked recursively for `*.yaml`, `*.yml`, `*.json`
    /// in any letter case, following symlinks, each directory once, skipping
    /// `.git`, `target` and `node_modules`).
    Path(PathBuf),
    /// Bytes already read (stdin, kustomize output), with the name findings show.
    Bytes {
        /// The name in findings.
        origin: String,
        /// The content (it can hold a plaintext Secret: wiped when dropped).
        bytes: SecretBytes,
    },
}

fn key_info(opts: &CheckOptions) -> Option<wire::KeyInfo<'_>> {
    opts.expected_key.as_ref().map(|k| wire::KeyInfo {
        modulus: k.modulus_trimmed(),
        origin: &k.origin,
    })
}

fn check_one(origin: &str, bytes: &[u8], opts: &CheckOptions) -> (Vec<Finding>, Stats) {
    let mut checker = FileChecker::new(origin, opts.in_sealed_context(origin), key_info(opts));
    checker.skip_sealed = &opts.skip_sealed_secrets;
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let pos = position_of_byte(bytes, e.valid_up_to());
            checker.push(
                Code::Unparseable,
                pos,
                None,
                None,
                "not UTF-8 text (YAML and JSON manifests must be UTF-8)".into(),
            );
            return (checker.findings, checker.stats);
        }
    };
    let result = doc::for_each_document(text, |d| checker.document(&d));
    if let Err(failure) = result {
        let (code, message) = if failure.alias_budget {
            (Code::AliasBudget, failure.message)
        } else {
            (
                Code::Unparseable,
                format!("cannot parse YAML/JSON: {}", failure.message),
            )
        };
        checker.push(code, failure.pos, None, None, message);
    }
    (checker.findings, checker.stats)
}

fn position_of_byte(bytes: &[u8], offset: usize) -> doc::Pos {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    doc::Pos { line, col }
}

/// Checks the documents in `bytes` as if read from `origin` (which decides
/// whether the file sits in a sealed environment). No certificate or git
/// findings: those belong to a whole run ([`check_inputs`]).
pub fn check_bytes(origin: &str, bytes: &[u8], opts: &CheckOptions) -> Vec<Finding> {
    let mut findings = check_one(origin, bytes, opts).0;
    findings.sort_by_key(|f| (f.line, f.column, f.code));
    findings
}

/// Findings about the expected certificate itself: expired (error) or expiring
/// within `opts.expiry_warning_days` (warning). Reported at line 1 of its origin.
pub fn check_certificate(key: &ExpectedKey, opts: &CheckOptions) -> Vec<Finding> {
    let Some(not_after) = key.not_after else {
        return Vec::new();
    };
    let (code, message) = if not_after <= opts.now {
        (
            Code::CertExpired,
            format!(
                "certificate {} expired on {}",
                key.origin,
                readable_utc(not_after)
            ),
        )
    } else if not_after - opts.now <= opts.expiry_warning_days * 86_400 {
        let days = (not_after - opts.now) / 86_400;
        (
            Code::CertExpiring,
            format!(
                "certificate {} expires in {days} day{} ({})",
                key.origin,
                if days == 1 { "" } else { "s" },
                readable_utc(not_after)
            ),
        )
    } else {
        return Vec::new();
    };
    vec![Finding {
        code,
        severity: code.severity(),
        file: key.origin.clone(),
        line: 1,
        column: 1,
        message,
        object: None,
        key: None,
        fix: None,
    }]
}

/// `YYYY-MM-DD HH:MM:SS UTC` for Unix seconds: how check's messages show a time
/// (records and pins store RFC 3339, [`kubeseal_core::cert::rfc3339`]).
fn readable_utc(ts: i64) -> String {
    // `2036-11-19T04:51:54Z` → `2036-11-19 04:51:54 UTC`.
    kubeseal_core::cert::rfc3339(ts)
        .replacen('T', " ", 1)
        .replace('Z', " UTC")
}

/// Whether `path` (absolute) is left alone by `opts.exclude` and, when
/// `opts.ignore_files`, the `.empsealignore` files above it: what path-mode
/// findings outside the walked files (the provenance gate's) are filtered by.
pub fn is_excluded(path: &Path, opts: &CheckOptions) -> Result<bool> {
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| Error::io(".", e))?;
    let mut x = exclude::Excluder::new(&opts.exclude, &cwd, opts.ignore_files)?;
    x.excluded(path, false)
}

/// Checks files, directories and byte inputs: parallel across files, plus the
/// certificate findings and the tracked-`*secrets.env` check. I/O failures (a
/// missing path, an unreadable file) are errors, not findings.
pub fn check_inputs(inputs: Vec<Input>, opts: &CheckOptions) -> Result<Report> {
    check_inputs_with_progress(inputs, opts, &|_| {}, &|| {})
}

/// [`check_inputs`], reporting progress: `total` once with the number of inputs
/// found, then `tick` after each one is checked (from worker threads).
pub fn check_inputs_with_progress(
    inputs: Vec<Input>,
    opts: &CheckOptions,
    total: &dyn Fn(usize),
    tick: &(dyn Fn() + Sync),
) -> Result<Report> {
    enum Job {
        File { display: String, path: PathBuf },
        Bytes { origin: String, bytes: SecretBytes },
    }
    let mut jobs = Vec::new();
    let mut roots = Vec::new();
    let mut visited = Visited::default();
    let mut excluder = None;
    for input in inputs {
        match input {
            Input::Bytes { origin, bytes } => jobs.push(Job::Bytes { origin, bytes }),
            Input::Path(path) => {
                let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
                let excluder = match &mut excluder {
                    Some(x) => x,
                    None => {
                        let cwd = std::env::current_dir()
                            .and_then(|d| d.canonicalize())
                            .map_err(|e| Error::io(".", e))?;
                        excluder.insert(exclude::Excluder::new(
                            &opts.exclude,
                            &cwd,
                            opts.ignore_files,
                        )?)
                    }
                };
                let abs = exclude::absolute(&path)?;
                if meta.is_dir() {
                    let mut found = Vec::new();
                    walk(&path, &mut visited, &mut found)?;
                    for p in found {
                        let logical = match p.strip_prefix(&path) {
                            Ok(rel) => abs.join(rel),
                            Err(_) => exclude::absolute(&p)?,
                        };
                        if !excluder.excluded(&logical, false)? {
                            jobs.push(Job::File {
                                display: display(&p),
                                path: p,
                            });
                        }
                    }
                } else if !is_env_file(&path) && !excluder.excluded(&abs, false)? {
                    jobs.push(Job::File {
                        display: display(&path),
                        path: path.clone(),
                    });
                }
                roots.push(path);
            }
        }
    }

    total(jobs.len());
    let results: Vec<Result<(Vec<Finding>, Stats)>> = jobs
        .into_par_iter()
        .map(|job| {
            let r = match job {
                Job::File { display, path } => {
                    // A file checked can be a plaintext Secret: read into a buffer
                    // wiped when dropped.
                    let bytes = read_secret_file(&path).map_err(|e| Error::io(&path, e))?;
                    Ok(check_one(&display, &bytes, opts))
                }
                Job::Bytes { origin, bytes } => Ok(check_one(&origin, &bytes, opts)),
            };
            tick();
            r
        })
        .collect();

    let mut report = Report::default();
    for r in results {
        let (findings, stats) = r?;
        report.files += 1;
        report.documents += stats.documents;
        report.sealed_secrets += stats.sealed_secrets;
        report.values += stats.values;
        report.findings.extend(findings);
    }
    if let Some(key) = &opts.expected_key {
        report.findings.extend(check_certificate(key, opts));
    }
    if opts.check_git {
        for file in git::tracked_env_files(&roots)? {
            report.findings.push(Finding {
                code: Code::TrackedEnvFile,
                severity: Code::TrackedEnvFile.severity(),
                message: format!(
                    "{file} is tracked by git: plaintext credentials are in the repository"
                ),
                file,
                line: 1,
                column: 1,
                object: None,
                key: None,
                fix: None,
            });
        }
    }
    report.sort();
    Ok(report)
}

/// [`check_inputs`] over paths, where `-` reads all of `stdin` (shown as
/// `opts.stdin_name`).
pub fn check_paths_with_stdin(
    paths: &[PathBuf],
    opts: &CheckOptions,
    mut stdin: impl Read,
) -> Result<Report> {
    let mut inputs = Vec::with_capacity(paths.len());
    let mut stdin_read = false;
    for p in paths {
        if p.as_os_str() == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let bytes = read_secret_bytes(&mut stdin, 0).map_err(|e| Error::io("-", e))?;
            inputs.push(Input::Bytes {
                origin: opts.stdin_name.clone(),
                bytes,
            });
        } else {
            inputs.push(Input::Path(p.clone()));
        }
    }
    check_inputs(inputs, opts)
}

/// `empseal check PATH...`: files, directories, and `-` for the process's stdin.
pub fn check_paths(paths: &[PathBuf], opts: &CheckOptions) -> Result<Report> {
    check_paths_with_stdin(paths, opts, std::io::stdin().lock())
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn is_env_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "env")
}

/// `*.yaml`, `*.yml`, `*.json` in any letter case: kustomize reads `x.YAML` too.
fn is_manifest(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["yaml", "yml", "json"]
            .iter()
            .any(|m| e.eq_ignore_ascii_case(m))
    })
}

const SKIP_DIRS: [&str; 3] = [".git", "target", "node_modules"];

/// A directory's identity, so one reached twice (through a symlink, a symlink
/// loop, or two overlapping arguments) is walked once.
#[cfg(unix)]
fn dir_id(meta: &std::fs::Metadata, _path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dir_id(_meta: &std::fs::Metadata, path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Directories already walked in one run.
#[derive(Default)]
struct Visited(std::collections::HashSet<DirId>);

#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

impl Visited {
    /// True the first time `dir` (whose metadata, symlinks followed, is `meta`) is seen.
    fn first_visit(&mut self, dir: &Path, meta: &std::fs::Metadata) -> bool {
        self.0.insert(dir_id(meta, dir))
    }
}

/// Collects manifests under `root`, sorted, following symlinks to files and to
/// directories (kustomize follows both), each directory at most once per run.
/// Symlinked directories are walked after the real tree, so a file reachable both
/// ways is reported under its real path.
fn walk(root: &Path, visited: &mut Visited, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut linked = std::collections::VecDeque::new();
    walk_dir(root, visited, out, &mut linked)?;
    while let Some(dir) = linked.pop_front() {
        walk_dir(&dir, visited, out, &mut linked)?;
    }
    Ok(())
}

fn walk_dir(
    dir: &Path,
    visited: &mut Visited,
    out: &mut Vec<PathBuf>,
    linked: &mut std::collections::VecDeque<PathBuf>,
) -> Result<()> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !visited.first_visit(dir, &meta) {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        let skipped = SKIP_DIRS.iter().any(|s| entry.file_name() == *s);
        if ft.is_symlink() {
            // A symlink counts as what it points to; a dangling or looping one
            // (ELOOP) points to nothing and is skipped.
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() && !skipped => linked.push_back(path),
                Ok(m) if m.is_file() && is_manifest(&path) => out.push(path),
                _ => {}
            }
        } else if ft.is_dir() {
            if !skipped {
                walk_dir(&path, visited, out, linked)?;
            }
        } else if ft.is_file() && is_manifest(&path) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(readable_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(readable_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(readable_utc(2_000_000_000), "2033-05-18 03:33:20 UTC");
    }

    #[test]
    fn sealed_context_from_path() {
        let o = CheckOptions::new(0);
        assert!(o.in_sealed_context("k8s/overlays/paper/x.yaml"));
        assert!(o.in_sealed_context("./k8s/overlays/prod/sub/x.yaml"));
        assert!(!o.in_sealed_context("k8s/overlays/dev/x.yaml"));
        assert!(!o.in_sealed_context("paper/x.yaml"));
        assert!(!o.in_sealed_context("<stdin>"));
    }

    #[test]
    fn invalid_utf8_is_a_positioned_finding() {
        let f = check_bytes("x.yaml", b"a: 1\nb: \xff\n", &CheckOptions::new(0));
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code, f[0].line, f[0].column),
            (Code::Unparseable, 2, 4)
        );
    }

    #[test]
    fn certificate_expiry() {
        let mut key = ExpectedKey {
            modulus: vec![0, 1],
            not_after: Some(1_000_000),
            origin: "c.pem".into(),
        };
        let at = |now| check_certificate(&key, &CheckOptions::new(now));
        assert_eq!(at(1_000_000)[0].code, Code::CertExpired);
        assert_eq!(at(1_000_000 - 30 * 86_400)[0].code, Code::CertExpiring);
        assert!(at(1_000_000 - 30 * 86_400 - 1).is_empty());
        key.not_after = None;
        assert!(check_certificate(&key, &CheckOptions::new(0)).is_empty());
    }
}
