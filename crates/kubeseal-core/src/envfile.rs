//! kubectl's `create secret generic` input rules: `--from-env-file`, `--from-literal`
//! and `--from-file`, exactly as kubectl v1.32 applies them (read from
//! `pkg/cmd/util/env_file.go`, `pkg/cmd/create/create_secret.go`, `pkg/util/util.go`
//! and apimachinery's `IsEnvVarName` / `IsConfigMapKey`).
//!
//! The rules, with kubectl's surprises:
//! - An env file is read line by line as Go's `bufio.Scanner` does: lines end at `\n`,
//!   one trailing `\r` is dropped (CRLF files work; a lone `\r` elsewhere stays in the
//!   value). A file whose entries are separated by `\r` alone (old Mac line endings)
//!   is one line to kubectl, which seals every later entry inside the first key's
//!   value; empseal refuses it ([`EnvFileError::CrLineEndings`]). A line of 65,536 bytes or more makes kubectl stop reading *silently*,
//!   keeping only the keys before it; empseal refuses such a file instead.
//! - The whole line must be valid UTF-8 (checked before anything else). A UTF-8 BOM is
//!   dropped from the first line only. Leading Unicode whitespace is trimmed (Go's
//!   `unicode.IsSpace`: also NBSP, U+2000..U+200A, U+3000, ...). Blank lines and lines
//!   whose first non-space character is `#` are skipped; there are no inline comments.
//! - The key is everything before the first `=`, untrimmed, so `KEY = v` and
//!   `export KEY=v` are errors (invalid key). The value is everything after the first
//!   `=`: quotes, `#`, `=` and trailing spaces are kept, and `KEY=` gives an empty value.
//! - A line without `=` names an environment variable whose value is copied; when that
//!   variable is unset kubectl silently uses the empty string ([`ValueOrigin::Unset`]).
//!   empseal seals the same, and reports an [`EnvWarning`] (file and line) for each.
//! - Keys must be valid environment variable names (`[-._a-zA-Z][-._a-zA-Z0-9]*`, not
//!   `.`/`..`, not starting with `..`) and valid Secret keys (at most 253 characters).
//! - A key repeated within or across env files, literals and files is an error.
//! - Sources are added literals first, then files, then env files, whatever the order
//!   on the command line; `--from-env-file` cannot be combined with the other two.
//! - `--from-file` and `--from-env-file` are comma-separated lists (pflag's CSV
//!   reading, see [`split_list_flag`]); `--from-literal` is not.
//!
//! Error messages never contain a value: for an invalid key the message gives the
//! column and the offending character instead of the key text, because a line without
//! `=` (a wrapped PEM line, a `KEY value` typo) makes the whole line, value included,
//! the "key".

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::secret::{
    validate_secret, ObjectMeta, Secret, SecretBytes, SecretOrigin, SecretTypeError,
};

/// Longest line (without its `\n`) that kubectl's `bufio.Scanner` accepts; a longer one
/// ends kubectl's reading of the file without any error.
pub const MAX_LINE_BYTES: usize = 65_535;

/// Longest Secret key kubectl accepts (`IsConfigMapKey`: DNS-1123 subdomain length).
pub const MAX_KEY_LEN: usize = 253;

/// How the value of an env-file entry was obtained (so the CLI can warn about
/// `KEY` lines whose variable is unset, which kubectl silently seals as empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOrigin {
    /// `KEY=VALUE` on the line.
    Line,
    /// A line with only `KEY`, copied from the environment.
    Environment,
    /// A line with only `KEY` whose variable is unset: the empty value, as kubectl.
    Unset,
}

/// One `KEY=VALUE` item read from an env file.
#[derive(Debug, Clone)]
pub struct EnvEntry {
    /// The key (a valid environment variable name and Secret key).
    pub key: String,
    /// The value, bytes exactly as kubectl would store them.
    pub value: SecretBytes,
    /// 1-based line number in the file.
    pub line: usize,
    /// Whether the value came from the line or the environment.
    pub value_origin: ValueOrigin,
}

/// Something kubectl accepts silently that is most likely a mistake; the entry is
/// sealed as kubectl would, and the CLI prints the warning. It names the file and
/// line only: the "key" of a line without `=` may be a value typed without a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvWarning {
    /// The env file.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// Where the value came from ([`ValueOrigin::Environment`] or [`ValueOrigin::Unset`]).
    pub value_origin: ValueOrigin,
}

impl fmt::Display for EnvWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.value_origin {
            ValueOrigin::Unset => "that variable is unset, so an empty value is sealed",
            _ => "its value is copied from the environment",
        };
        write!(
            f,
            "{}:{}: the line has no '=': kubectl takes the whole line as the name of an environment variable and {what}; write KEY=VALUE to seal a value from the file",
            self.origin, self.line
        )
    }
}

impl EnvWarning {
    /// The warnings for entries read from `origin`: one per line without `=`.
    pub fn for_entries(origin: &str, entries: &[EnvEntry]) -> Vec<EnvWarning> {
        entries
            .iter()
            .filter(|e| e.value_origin != ValueOrigin::Line)
            .map(|e| EnvWarning {
                origin: origin.to_string(),
                line: e.line,
                value_origin: e.value_origin,
            })
            .collect()
    }
}

/// Why a key name is refused, in kubectl's terms but without repeating the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The key is empty (the line or literal starts with `=`).
    Empty,
    /// More than [`MAX_KEY_LEN`] characters.
    TooLong {
        /// The key's length in bytes.
        len: usize,
    },
    /// A character the rule does not allow, at a 1-based column of the key.
    BadChar {
        /// 1-based character position in the key.
        column: usize,
        /// The character.
        ch: char,
    },
    /// An environment variable name starts with a digit.
    LeadingDigit,
    /// The key is `.`.
    Dot,
    /// The key is `..`.
    DotDot,
    /// The key starts with `..`.
    DotDotPrefix,
}

/// Which of kubectl's two key rules a key failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    /// `IsEnvVarName`, applied to env-file keys.
    EnvVarName,
    /// `IsConfigMapKey`, applied to every Secret key.
    SecretKey,
}

impl KeyRule {
    fn describe(self) -> &'static str {
        match self {
            KeyRule::EnvVarName => {
                "a valid environment variable name consists of letters, digits, '_', '-' or '.' and does not start with a digit"
            }
            KeyRule::SecretKey => {
                "a valid Secret key consists of letters, digits, '-', '_' or '.' (at most 253 characters)"
            }
        }
    }
}

fn describe_char(ch: char) -> String {
    match ch {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        '\r' => "a carriage return".to_string(),
        c if c.is_ascii_graphic() => format!("'{c}'"),
        c if c.is_ascii() => format!("control character U+{:04X}", c as u32),
        c => format!("non-ASCII character U+{:04X}", c as u32),
    }
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProblem::Empty => write!(f, "the key is empty"),
            KeyProblem::TooLong { len } => {
                write!(
                    f,
                    "the key is {len} characters long, more than {MAX_KEY_LEN}"
                )
            }
            KeyProblem::BadChar { column, ch } => {
                write!(f, "{} at column {column} of the key", describe_char(*ch))
            }
            KeyProblem::LeadingDigit => write!(f, "the key starts with a digit"),
            KeyProblem::Dot => write!(f, "the key must not be '.'"),
            KeyProblem::DotDot => write!(f, "the key must not be '..'"),
            KeyProblem::DotDotPrefix => write!(f, "the key must not start with '..'"),
        }
    }
}

fn chdir_prefix(key: &str) -> Option<KeyProblem> {
    if key == "." {
        Some(KeyProblem::Dot)
    } else if key == ".." {
        Some(KeyProblem::DotDot)
    } else if key.starts_with("..") {
        Some(KeyProblem::DotDotPrefix)
    } else {
        None
    }
}

fn first_bad_char(key: &str, allowed: impl Fn(char) -> bool) -> Option<KeyProblem> {
    key.chars()
        .enumerate()
        .find(|(_, c)| !allowed(*c))
        .map(|(i, ch)| KeyProblem::BadChar { column: i + 1, ch })
}

/// apimachinery's `IsEnvVarName`: `^[-._a-zA-Z][-._a-zA-Z0-9]*$`, not `.`, `..` or `..*`.
pub fn check_env_var_name(key: &str) -> Result<(), KeyProblem> {
    if key.is_empty() {
        return Err(KeyProblem::Empty);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if let Some(p) = first_bad_char(key, allowed) {
        return Err(p);
    }
    if key.as_bytes()[0].is_ascii_digit() {
        return Err(KeyProblem::LeadingDigit);
    }
    chdir_prefix(key).map_or(Ok(()), Err)
}

/// apimachinery's `IsConfigMapKey` (used for every Secret key): at most 253 bytes,
/// `^[-._a-zA-Z0-9]+$`, not `.`, `..` or `..*`.
pub fn check_secret_key(key: &str) -> Result<(), KeyProblem> {
    if key.len() > MAX_KEY_LEN {
        return Err(KeyProblem::TooLong { len: key.len() });
    }
    if key.is_empty() {
        return Err(KeyProblem::Empty);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if let Some(p) = first_bad_char(key, allowed) {
        return Err(p);
    }
    chdir_prefix(key).map_or(Ok(()), Err)
}

/// Go's `unicode.IsSpace` (identical to the Unicode White_Space property).
fn go_is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Everything that can be wrong with kubectl-style Secret sources. Messages are one
/// line, `where: what is wrong; what to do`, and never contain a value.
#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    /// A file or directory could not be read.
    #[error("{}: cannot read: {source}; check the path and its permissions", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `--from-env-file` names a directory.
    #[error("{}: is a directory, not an env file; pass a file (--from-file reads a directory)", path.display())]
    EnvFileIsDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// A line is not valid UTF-8.
    #[error("{origin}:{line}: invalid UTF-8 at byte {column} of the line; save the file as UTF-8")]
    InvalidUtf8 {
        /// The env file.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based byte position of the first invalid byte in the line.
        column: usize,
    },
    /// A line is too long for kubectl, which would silently stop reading there.
    #[error("{origin}:{line}: line is longer than {MAX_LINE_BYTES} bytes, where kubectl silently stops reading the file; put large values in a file and use --from-file")]
    LineTooLong {
        /// The env file.
        origin: String,
        /// 1-based line.
        line: usize,
    },
    /// A file without line feeds whose entries are separated by a carriage return
    /// alone (old Mac line endings): kubectl sees one line and seals the later
    /// entries inside the first one's value.
    #[error("{origin}:{line}: entries are separated by a carriage return without a line feed (old Mac line endings): kubectl reads them as one line and would seal every later entry inside the first key's value; convert the file to LF line endings (e.g. `tr '\\r' '\\n'`)")]
    CrLineEndings {
        /// The env file.
        origin: String,
        /// 1-based line (as kubectl counts lines: at `\n`).
        line: usize,
    },
    /// An env-file key is not a valid environment variable name or Secret key.
    #[error("{origin}:{line}: invalid key: {problem}{hint}; {rule}", rule = rule.describe())]
    InvalidEnvKey {
        /// The env file.
        origin: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: KeyProblem,
        /// Which rule failed.
        rule: KeyRule,
        /// Extra advice for common mistakes (empty, or starting with " (").
        hint: String,
    },
    /// A literal, file or directory entry gives an invalid Secret key.
    #[error("{origin}: invalid key {key}: {problem}; {rule}", rule = KeyRule::SecretKey.describe())]
    InvalidKey {
        /// The source (`--from-literal #2`, a file path).
        origin: String,
        /// The key as shown (quoted, or `#N` when it may hold a value).
        key: String,
        /// What is wrong.
        problem: KeyProblem,
    },
    /// The same key is given twice.
    #[error("{origin}: key {key} is already defined by {first}; remove one of them")]
    DuplicateKey {
        /// Where the second definition is (`file:line` or a flag).
        origin: String,
        /// The key.
        key: String,
        /// Where the first definition is.
        first: String,
    },
    /// `--from-literal` without a key or without `=`.
    #[error("{origin}: {what}; write KEY=VALUE")]
    BadLiteral {
        /// `--from-literal #N`.
        origin: String,
        /// What is wrong.
        what: &'static str,
    },
    /// `--from-file` source that kubectl's `ParseFileSource` refuses.
    #[error("--from-file {source_text}: {what}")]
    BadFileSource {
        /// The flag value (a path, not a secret).
        source_text: String,
        /// What is wrong and what to do.
        what: &'static str,
    },
    /// `--from-env-file` together with `--from-literal` or `--from-file`.
    #[error("--from-env-file cannot be combined with --from-file or --from-literal (kubectl refuses it too); use one kind of source")]
    MixedSources,
    /// No Secret name.
    #[error("a Secret name is required; give --name")]
    MissingName,
    /// The built Secret is one the API server would refuse for its type or size.
    #[error(transparent)]
    RefusedByApiServer(#[from] SecretTypeError),
    /// A comma-separated flag value that pflag's CSV reading refuses.
    #[error("--{} {value:?}: {what}", flag.trim_start_matches('-'))]
    BadListFlag {
        /// The flag name, with or without its leading dashes.
        flag: String,
        /// The flag value (paths, not secrets).
        value: String,
        /// What is wrong.
        what: &'static str,
    },
}

impl From<EnvFileError> for crate::error::Error {
    fn from(e: EnvFileError) -> Self {
        match e {
            EnvFileError::Io { path, source } => crate::error::Error::Io { path, source },
            other => crate::error::Error::Input(other.to_string()),
        }
    }
}

/// The process environment as kubectl's `os.Getenv` sees it (raw bytes on Unix).
pub fn process_env(key: &str) -> Option<SecretBytes> {
    let v = std::env::var_os(key)?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(Zeroizing::new(v.into_vec()))
    }
    #[cfg(not(unix))]
    {
        Some(Zeroizing::new(
            v.to_string_lossy().into_owned().into_bytes(),
        ))
    }
}

/// Splits `bytes` into lines as Go's `bufio.Scanner` with `ScanLines` does, returning
/// `Err(line_number)` for the first line kubectl could not scan (too long).
fn scan_lines(bytes: &[u8]) -> impl Iterator<Item = Result<(usize, &[u8]), usize>> {
    let mut pos = 0usize;
    let mut line_no = 0usize;
    let mut done = false;
    std::iter::from_fn(move || {
        if done || pos >= bytes.len() {
            return None;
        }
        line_no += 1;
        let rest = &bytes[pos..];
        let (line, advance) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        if line.len() > MAX_LINE_BYTES {
            done = true;
            return Some(Err(line_no));
        }
        pos += advance;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(Ok((line_no, line)))
    })
}

fn env_key_hint(key: &str, has_equals: bool, open_quote: Option<usize>) -> String {
    if let Some(line) = open_quote {
        return format!(" (line {line} opens a quote that does not close there: kubectl reads no multi-line values; put such a value in a file and use --from-file)");
    }
    env_key_hint_static(key, has_equals).to_string()
}

fn env_key_hint_static(key: &str, has_equals: bool) -> &'static str {
    if !has_equals {
        " (the line has no '=': kubectl reads it as the name of an environment variable to copy; a value cannot continue over several lines)"
    } else if key.starts_with("export ") || key.starts_with("export\t") {
        " ('export' is not part of the env-file syntax: remove it)"
    } else if key.ends_with(' ') || key.ends_with('\t') {
        " (no spaces are allowed around '=')"
    } else {
        ""
    }
}

/// Parses env-file bytes by kubectl's rules. `origin` names the file in errors; `env`
/// looks up variables for lines without `=` (use [`process_env`] for the real one).
pub fn parse_env_bytes(
    origin: &str,
    bytes: &[u8],
    env: &dyn Fn(&str) -> Option<SecretBytes>,
) -> Result<Vec<EnvEntry>, EnvFileError> {
    let mut entries: Vec<EnvEntry> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for_each_env_entry(origin, bytes, env, &mut |entry| {
        if let Some(first) = seen.get(&entry.key) {
            return Err(EnvFileError::DuplicateKey {
                origin: format!("{origin}:{}", entry.line),
                key: entry.key,
                first: format!("line {first}"),
            });
        }
        seen.insert(entry.key.clone(), entry.line);
        entries.push(entry);
        Ok(())
    })?;
    Ok(entries)
}

/// kubectl's `AddFromEnvFile`: hands each entry to `add` in line order and stops at the
/// first error, whether from a line or from `add` (so the first offending line wins).
fn for_each_env_entry(
    origin: &str,
    bytes: &[u8],
    env: &dyn Fn(&str) -> Option<SecretBytes>,
    add: &mut dyn FnMut(EnvEntry) -> Result<(), EnvFileError>,
) -> Result<(), EnvFileError> {
    // The last entry whose value opens a quote it does not close (for a better hint
    // when the next line fails: a value continued over several lines).
    let mut open_quote: Option<usize> = None;
    // Lines ended by a bare `\r` (old Mac files): no `\n` anywhere, so the whole
    // file is one line to kubectl.
    let cr_terminated = !bytes.contains(&b'\n');
    for item in scan_lines(bytes) {
        let (line_no, raw) = item.map_err(|line| EnvFileError::LineTooLong {
            origin: origin.to_string(),
            line,
        })?;
        let text = std::str::from_utf8(raw).map_err(|e| EnvFileError::InvalidUtf8 {
            origin: origin.to_string(),
            line: line_no,
            column: e.valid_up_to() + 1,
        })?;
        if cr_terminated && cr_separates_entries(text) {
            return Err(EnvFileError::CrLineEndings {
                origin: origin.to_string(),
                line: line_no,
            });
        }
        let text = if line_no == 1 {
            text.strip_prefix('\u{FEFF}').unwrap_or(text)
        } else {
            text
        };
        let text = text.trim_start_matches(go_is_space);
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (key, value) = match text.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (text, None),
        };
        let invalid = |problem: KeyProblem, rule: KeyRule| EnvFileError::InvalidEnvKey {
            origin: origin.to_string(),
            line: line_no,
            problem,
            rule,
            hint: env_key_hint(key, value.is_some(), open_quote),
        };
        check_env_var_name(key).map_err(|p| invalid(p, KeyRule::EnvVarName))?;
        let opens = |v: &str| {
            let q = v.chars().next().filter(|c| *c == '"' || *c == '\'');
            q.is_some_and(|q| v.len() < 2 || !v.ends_with(q))
        };
        let opened_here = value.is_some_and(opens).then_some(line_no);
        let (value, value_origin) = match value {
            Some(v) => (Zeroizing::new(v.as_bytes().to_vec()), ValueOrigin::Line),
            None => match env(key) {
                Some(v) => (v, ValueOrigin::Environment),
                None => (Zeroizing::new(Vec::new()), ValueOrigin::Unset),
            },
        };
        // kubectl then adds the pair under `IsConfigMapKey`, which only adds the length limit.
        check_secret_key(key).map_err(|p| invalid(p, KeyRule::SecretKey))?;
        add(EnvEntry {
            key: key.to_string(),
            value,
            line: line_no,
            value_origin,
        })?;
        open_quote = opened_here;
    }
    Ok(())
}

/// True when a carriage return inside `line` (its one trailing `\r` already
/// dropped) is followed by what reads as another entry (`NAME=...`) or a comment.
/// Asked only for a file without any `\n` (lines ended by `\r` alone, which
/// kubectl does not split at); in a file with line feeds a lone `\r` inside a
/// value is kept, as kubectl keeps it.
fn cr_separates_entries(line: &str) -> bool {
    line.split('\r').skip(1).any(|rest| {
        let rest = rest.trim_start_matches(go_is_space);
        rest.starts_with('#')
            || rest
                .split_once('=')
                .is_some_and(|(k, _)| check_env_var_name(k).is_ok())
    })
}

/// Reads a whole file into a zeroizing buffer (plaintext must not linger in memory).
fn read_secret_file(path: &Path) -> Result<SecretBytes, EnvFileError> {
    let io = |source| EnvFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let hint = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut buf = Zeroizing::new(Vec::with_capacity(hint.saturating_add(1)));
    f.read_to_end(&mut buf).map_err(io)?;
    Ok(buf)
}

/// Reads and parses an env file (see [`parse_env_bytes`]); a directory is refused as
/// kubectl refuses it.
pub fn parse_env_file(
    path: &Path,
    env: &dyn Fn(&str) -> Option<SecretBytes>,
) -> Result<Vec<EnvEntry>, EnvFileError> {
    let bytes = read_env_file(path)?;
    parse_env_bytes(&path.display().to_string(), &bytes, env)
}

fn read_env_file(path: &Path) -> Result<SecretBytes, EnvFileError> {
    let meta = std::fs::metadata(path).map_err(|source| EnvFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(EnvFileError::EnvFileIsDirectory {
            path: path.to_path_buf(),
        });
    }
    read_secret_file(path)
}

/// kubectl's `ParseLiteralSource`: `KEY=VALUE`, split at the first `=`; the value may
/// be empty. `origin` (e.g. `--from-literal #2`) names the source in errors.
pub fn parse_literal_source(
    origin: &str,
    source: &str,
) -> Result<(String, SecretBytes), EnvFileError> {
    match source.split_once('=') {
        Some(("", _)) => Err(EnvFileError::BadLiteral {
            origin: origin.to_string(),
            what: "the key before '=' is missing",
        }),
        Some((k, v)) => Ok((k.to_string(), Zeroizing::new(v.as_bytes().to_vec()))),
        None => Err(EnvFileError::BadLiteral {
            origin: origin.to_string(),
            what: "there is no '=' between key and value",
        }),
    }
}

/// Go's `path.Base(filepath.ToSlash(p))` on Unix: the last slash-separated element.
fn go_path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

/// kubectl's `ParseFileSource`: `PATH` (key = basename) or `KEY=PATH`; returns the key
/// and whether it was given explicitly, and the path.
pub fn parse_file_source(source: &str) -> Result<(String, bool, PathBuf), EnvFileError> {
    let bad = |what| EnvFileError::BadFileSource {
        source_text: source.to_string(),
        what,
    };
    match source.matches('=').count() {
        0 => Ok((go_path_base(source), false, PathBuf::from(source))),
        1 if source.starts_with('=') => Err(bad("the key name before '=' is missing; write KEY=PATH or just PATH")),
        1 if source.ends_with('=') => Err(bad("the file path after '=' is missing; write KEY=PATH")),
        1 => {
            let (k, p) = source.split_once('=').unwrap_or_default();
            Ok((k.to_string(), true, PathBuf::from(p)))
        }
        _ => Err(bad("key names and file paths cannot contain '=' (kubectl's rule); rename the file or give KEY=PATH without '=' in either")),
    }
}

/// pflag's reading of a `StringSlice` flag value (`--from-file`, `--from-env-file`):
/// one CSV record, so `a,b` is two items and `"a,b"` one; `""` is no item.
pub fn split_list_flag(flag: &str, value: &str) -> Result<Vec<String>, EnvFileError> {
    let bad = |what| EnvFileError::BadListFlag {
        flag: flag.to_string(),
        value: value.to_string(),
        what,
    };
    // encoding/csv skips empty lines before the first record and reads one record.
    let normalized = value.replace("\r\n", "\n");
    let mut rest = normalized.trim_start_matches('\n');
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('"') {
            let mut field = String::new();
            let mut chars = after.char_indices();
            let end;
            loop {
                match chars.next() {
                    Some((i, '"')) => {
                        if after[i + 1..].starts_with('"') {
                            field.push('"');
                            chars.next();
                        } else {
                            end = i + 1;
                            break;
                        }
                    }
                    Some((_, c)) => field.push(c),
                    None => return Err(bad("unterminated quoted field; close the '\"'")),
                }
            }
            fields.push(field);
            let tail = &after[end..];
            if let Some(t) = tail.strip_prefix(',') {
                rest = t;
            } else if tail.is_empty() || tail.starts_with('\n') {
                return Ok(fields);
            } else {
                return Err(bad("text after a closing '\"'; quote the whole item"));
            }
        } else {
            let end = rest.find([',', '\n']).unwrap_or(rest.len());
            let field = &rest[..end];
            if field.contains('"') {
                return Err(bad(
                    "a '\"' inside an unquoted item; quote the item and double the '\"'",
                ));
            }
            fields.push(field.to_string());
            match rest[end..].chars().next() {
                Some(',') => rest = &rest[end + 1..],
                _ => return Ok(fields),
            }
        }
    }
}

/// Collects kubectl-style sources and builds the Secret `kubectl create secret generic`
/// would print, with kubectl's ordering, key rules and duplicate detection.
#[derive(Debug, Default, Clone)]
pub struct SecretSources {
    env_files: Vec<PathBuf>,
    literals: Vec<Zeroizing<String>>,
    files: Vec<String>,
    type_: Option<String>,
    origin: Option<String>,
}

impl SecretSources {
    /// No sources yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one `--from-env-file` path (already split, see [`split_list_flag`]).
    pub fn env_file(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.env_files.push(path.into());
        self
    }

    /// Adds one `--from-literal KEY=VALUE`.
    pub fn literal(&mut self, source: &str) -> &mut Self {
        self.literals.push(Zeroizing::new(source.to_string()));
        self
    }

    /// Adds one `--from-file [KEY=]PATH` (already split, see [`split_list_flag`]).
    pub fn file(&mut self, source: &str) -> &mut Self {
        self.files.push(source.to_string());
        self
    }

    /// Sets `--type` (kubectl omits `type` when it is not given).
    pub fn secret_type(&mut self, type_: Option<String>) -> &mut Self {
        self.type_ = type_.filter(|t| !t.is_empty());
        self
    }

    /// Names the Secret in messages about it as a whole, e.g. a key its type
    /// needs but no source gives (default: `Secret "NAME" (from SOURCES)`).
    pub fn origin(&mut self, origin: impl Into<String>) -> &mut Self {
        self.origin = Some(origin.into());
        self
    }

    /// True when no source was added.
    pub fn is_empty(&self) -> bool {
        self.env_files.is_empty() && self.literals.is_empty() && self.files.is_empty()
    }

    /// Builds the Secret: literals, then files, then env files (kubectl's order).
    /// `namespace` is `None` when `-n` was not given (kubectl then prints none).
    /// Unlike kubectl, refuses a Secret the API server would refuse
    /// ([`validate_secret`]: its type's required keys and value format, 1 MiB),
    /// naming the file that held the value. Warnings are dropped; see
    /// [`SecretSources::build_with_warnings`].
    pub fn build(
        &self,
        name: &str,
        namespace: Option<&str>,
        env: &dyn Fn(&str) -> Option<SecretBytes>,
    ) -> Result<Secret, EnvFileError> {
        self.build_with_warnings(name, namespace, env)
            .map(|(s, _)| s)
    }

    /// [`SecretSources::build`], plus what kubectl accepts silently but is most
    /// likely a mistake (env-file lines without `=`), for the caller to print.
    pub fn build_with_warnings(
        &self,
        name: &str,
        namespace: Option<&str>,
        env: &dyn Fn(&str) -> Option<SecretBytes>,
    ) -> Result<(Secret, Vec<EnvWarning>), EnvFileError> {
        if name.is_empty() {
            return Err(EnvFileError::MissingName);
        }
        if !self.env_files.is_empty() && (!self.files.is_empty() || !self.literals.is_empty()) {
            return Err(EnvFileError::MixedSources);
        }
        let mut data = DataBuilder::default();
        for (i, lit) in self.literals.iter().enumerate() {
            let origin = format!("--from-literal #{}", i + 1);
            let (key, value) = parse_literal_source(&origin, lit)?;
            // The key of a malformed literal may be a mistyped value: show its position only.
            check_secret_key(&key).map_err(|problem| EnvFileError::InvalidKey {
                origin: origin.clone(),
                key: "before '='".to_string(),
                problem,
            })?;
            data.add(key, value, origin.clone(), origin)?;
        }
        for source in &self.files {
            self.add_file_source(source, &mut data)?;
        }
        let mut warnings = Vec::new();
        for path in &self.env_files {
            let origin = path.display().to_string();
            let bytes = read_env_file(path)?;
            for_each_env_entry(&origin, &bytes, env, &mut |entry| {
                let at = format!("{origin}:{}", entry.line);
                if entry.value_origin != ValueOrigin::Line {
                    warnings.push(EnvWarning {
                        origin: origin.clone(),
                        line: entry.line,
                        value_origin: entry.value_origin,
                    });
                }
                data.add(entry.key, entry.value, at.clone(), at)
            })?;
        }
        let secret = Secret {
            metadata: ObjectMeta {
                name: name.to_string(),
                namespace: namespace.unwrap_or_default().to_string(),
                ..ObjectMeta::default()
            },
            immutable: None,
            data: data.data,
            string_data: BTreeMap::new(),
            type_: self.type_.clone(),
        };
        let origin = SecretOrigin {
            secret: self.origin.clone().unwrap_or_else(|| self.describe(name)),
            values: data.locations,
        };
        validate_secret(&secret, &origin)?;
        Ok((secret, warnings))
    }

    /// `Secret "NAME" (from SOURCES)`: the files and flags the Secret is built from.
    fn describe(&self, name: &str) -> String {
        let mut sources: Vec<String> = self
            .files
            .iter()
            .map(|f| match parse_file_source(f) {
                Ok((_, _, path)) => path.display().to_string(),
                Err(_) => f.clone(),
            })
            .collect();
        sources.extend(self.env_files.iter().map(|p| p.display().to_string()));
        if !self.literals.is_empty() {
            sources.push("--from-literal".to_string());
        }
        format!("Secret {name:?} (from {})", sources.join(", "))
    }

    fn add_file_source(&self, source: &str, data: &mut DataBuilder) -> Result<(), EnvFileError> {
        let (key, explicit, path) = parse_file_source(source)?;
        let meta = std::fs::metadata(&path).map_err(|e| EnvFileError::Io {
            path: path.clone(),
            source: e,
        })?;
        if !meta.is_dir() {
            check_secret_key(&key).map_err(|problem| EnvFileError::InvalidKey {
                origin: format!("--from-file {source}"),
                key: format!("{key:?}"),
                problem,
            })?;
            let value = read_secret_file(&path)?;
            let location = path.display().to_string();
            return data.add(key, value, format!("--from-file {source}"), location);
        }
        if explicit {
            return Err(EnvFileError::BadFileSource {
                source_text: source.to_string(),
                what: "a key name cannot be given for a directory; give the directory alone, or KEY=FILE",
            });
        }
        let io = |e| EnvFileError::Io {
            path: path.clone(),
            source: e,
        };
        let mut items = Vec::new();
        for entry in std::fs::read_dir(&path).map_err(io)? {
            let entry = entry.map_err(io)?;
            // Go's ReadDir reports the entry's own type: symlinks, directories, pipes
            // and devices are skipped.
            if entry.file_type().map_err(io)?.is_file() {
                items.push(entry.file_name());
            }
        }
        // Go's os.ReadDir sorts by name (bytes).
        items.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
        for name in items {
            let item_path = path.join(&name);
            let key = name.to_string_lossy().into_owned();
            let shown = item_path.display().to_string();
            check_secret_key(&key).map_err(|problem| EnvFileError::InvalidKey {
                origin: shown.clone(),
                key: format!("{key:?}"),
                problem,
            })?;
            let value = read_secret_file(&item_path)?;
            data.add(key, value, shown.clone(), shown)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct DataBuilder {
    data: BTreeMap<String, SecretBytes>,
    /// Key → the source that defined it, as duplicate-key messages name it.
    origins: BTreeMap<String, String>,
    /// Key → where its value is (the file itself for `--from-file`).
    locations: BTreeMap<String, String>,
}

impl DataBuilder {
    fn add(
        &mut self,
        key: String,
        value: SecretBytes,
        origin: String,
        location: String,
    ) -> Result<(), EnvFileError> {
        if let Some(first) = self.origins.get(&key) {
            return Err(EnvFileError::DuplicateKey {
                origin,
                key,
                first: first.clone(),
            });
        }
        self.origins.insert(key.clone(), origin);
        self.locations.insert(key.clone(), location);
        self.data.insert(key, value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<SecretBytes> {
        None
    }

    /// Lines without `=` warn, once each, with what kubectl did with them; the
    /// others do not.
    #[test]
    fn lines_without_equals_warn_with_what_kubectl_did() {
        let env = |k: &str| (k == "FROM_ENV").then(|| SecretBytes::from(b"x".to_vec()));
        let entries = parse_env_bytes("a.env", b"A=1\nFROM_ENV\nUNSET_ONE\nB=2\n", &env).unwrap();
        let warnings = EnvWarning::for_entries("a.env", &entries);
        assert_eq!(
            warnings,
            [
                EnvWarning {
                    origin: "a.env".into(),
                    line: 2,
                    value_origin: ValueOrigin::Environment
                },
                EnvWarning {
                    origin: "a.env".into(),
                    line: 3,
                    value_origin: ValueOrigin::Unset
                },
            ]
        );
        assert_eq!(
            warnings[0].to_string(),
            "a.env:2: the line has no '=': kubectl takes the whole line as the name of an environment variable and its value is copied from the environment; write KEY=VALUE to seal a value from the file"
        );
        assert_eq!(
            warnings[1].to_string(),
            "a.env:3: the line has no '=': kubectl takes the whole line as the name of an environment variable and that variable is unset, so an empty value is sealed; write KEY=VALUE to seal a value from the file"
        );
    }

    /// A value that opens a quote it does not close (a lone `"`, or `"abc`) makes
    /// the next bad line's message point at it; a closed quote (`""`) does not.
    #[test]
    fn an_unclosed_quote_is_named_in_the_next_lines_error() {
        let message = |bytes: &[u8]| {
            parse_env_bytes("q.env", bytes, &no_env)
                .unwrap_err()
                .to_string()
        };
        for opened in [&b"A=\"\n"[..], b"A='\n", b"A=\"abc\n"] {
            let mut text = opened.to_vec();
            text.extend_from_slice(b"rest of it\"\n");
            let m = message(&text);
            assert!(
                m.contains("(line 1 opens a quote that does not close there"),
                "{m}"
            );
        }
        for closed in [&b"A=\"\"\n"[..], b"A='x'\n", b"A=x\"\n"] {
            let mut text = closed.to_vec();
            text.extend_from_slice(b"rest of it\"\n");
            let m = message(&text);
            assert!(!m.contains("opens a quote"), "{m}");
        }
    }

    /// `process_env` is the real environment: a variable every test process
    /// has, byte for byte, and none for a name nobody sets.
    #[test]
    fn process_env_reads_the_real_environment() {
        let path = std::env::var_os("PATH").expect("PATH is set");
        assert_eq!(
            process_env("PATH").map(|v| v.to_vec()),
            Some(path.to_string_lossy().into_owned().into_bytes())
        );
        assert!(process_env("EMPSEAL_TEST_SURELY_UNSET_VARIABLE_4711").is_none());
    }

    /// `secret_type` sets the built Secret's type; an empty one is no type, as
    /// kubectl omits `type` when `--type` is empty.
    #[test]
    fn the_secret_type_reaches_the_built_secret_and_empty_means_none() {
        let built = |t: Option<&str>| {
            let mut s = SecretSources::new();
            s.literal("username=u").secret_type(t.map(str::to_string));
            s.build("s", Some("ns"), &no_env).unwrap().type_
        };
        assert_eq!(
            built(Some("kubernetes.io/basic-auth")).as_deref(),
            Some("kubernetes.io/basic-auth")
        );
        assert_eq!(built(Some("")), None);
        assert_eq!(built(None), None);
    }

    /// A refusal about the Secret as a whole names it by `origin` when one is
    /// given, else by its name and sources.
    #[test]
    fn a_whole_secret_refusal_names_the_origin_given() {
        let refused = |origin: Option<&str>| {
            let mut s = SecretSources::new();
            s.literal("other=x")
                .secret_type(Some("kubernetes.io/basic-auth".to_string()));
            if let Some(o) = origin {
                s.origin(o);
            }
            s.build("s", Some("ns"), &no_env).unwrap_err().to_string()
        };
        let named = refused(Some("empseal.yaml envs.paper.secrets[1]"));
        assert!(
            named.starts_with("empseal.yaml envs.paper.secrets[1]"),
            "{named}"
        );
        let default = refused(None);
        assert!(default.contains("Secret \"s\""), "{default}");
    }

    /// Which sources a Secret has: none, or any one kind of them.
    #[test]
    fn sources_are_empty_until_one_of_any_kind_is_added() {
        assert!(SecretSources::new().is_empty());
        assert!(!SecretSources::new().literal("A=1").is_empty());
        assert!(!SecretSources::new().file("k=/nonexistent").is_empty());
        assert!(!SecretSources::new().env_file("/nonexistent.env").is_empty());
    }

    /// The env-file lines without `=` come back as warnings from the builder,
    /// and the default name of the Secret lists its sources.
    #[test]
    fn the_builder_warns_about_lines_without_equals_and_names_its_sources() {
        let dir = tempfile::tempdir().unwrap();
        let env_file = dir.path().join("a.env");
        std::fs::write(&env_file, "A=1\nB\n").unwrap();
        let mut s = SecretSources::new();
        s.env_file(&env_file);
        let (secret, warnings) = s.build_with_warnings("s", None, &no_env).unwrap();
        assert_eq!(secret.data.len(), 2);
        assert_eq!(
            warnings,
            [EnvWarning {
                origin: env_file.display().to_string(),
                line: 2,
                value_origin: ValueOrigin::Unset
            }]
        );
        assert_eq!(
            s.describe("s"),
            format!("Secret \"s\" (from {})", env_file.display())
        );
        let mut lit = SecretSources::new();
        lit.literal("A=1");
        assert_eq!(lit.describe("s"), "Secret \"s\" (from --from-literal)");
    }

    /// A bad key's message names the character (printable, control or
    /// non-ASCII) and the rule of the check that refused it.
    #[test]
    fn bad_keys_name_the_character_and_the_rule() {
        let message = |bytes: &[u8]| {
            parse_env_bytes("k.env", bytes, &no_env)
                .unwrap_err()
                .to_string()
        };
        let m = message(b"A$B=1\n");
        assert!(m.contains("'$' at column 2 of the key"), "{m}");
        assert!(m.contains(KeyRule::EnvVarName.describe()), "{m}");
        let m = message(b"A\x01B=1\n");
        assert!(m.contains("control character U+0001 at column 2"), "{m}");
        let m = message("A\u{e9}B=1\n".as_bytes());
        assert!(m.contains("non-ASCII character U+00E9 at column 2"), "{m}");
        assert_ne!(
            KeyRule::EnvVarName.describe(),
            KeyRule::SecretKey.describe()
        );
        assert!(KeyRule::SecretKey.describe().contains("Secret key"));
        assert!(KeyRule::EnvVarName
            .describe()
            .contains("environment variable"));
    }

    fn kv(entries: &[EnvEntry]) -> Vec<(String, Vec<u8>)> {
        entries
            .iter()
            .map(|e| (e.key.clone(), e.value.to_vec()))
            .collect()
    }

    #[test]
    fn line_rules() {
        let got = parse_env_bytes(
            "t.env",
            b"\xEF\xBB\xBFA=1\r\n \t# c\n\n\xC2\xA0B=x=y \"q\" \r\r\nC=\n",
            &no_env,
        )
        .unwrap();
        assert_eq!(
            kv(&got),
            vec![
                ("A".into(), b"1".to_vec()),
                ("B".into(), b"x=y \"q\" \r".to_vec()),
                ("C".into(), b"".to_vec()),
            ]
        );
        assert_eq!(got.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 4, 5]);
    }

    #[test]
    fn bom_only_on_first_line() {
        let e = parse_env_bytes("t.env", b"\n\xEF\xBB\xBFA=1\n", &no_env).unwrap_err();
        assert!(
            matches!(e, EnvFileError::InvalidEnvKey { line: 2, .. }),
            "{e}"
        );
    }

    #[test]
    fn environment_lookup_is_injected() {
        let env = |k: &str| (k == "SET").then(|| Zeroizing::new(b"from-env".to_vec()));
        let got = parse_env_bytes("t.env", b"SET\nUNSET\n", &env).unwrap();
        assert_eq!(got[0].value.as_slice(), b"from-env");
        assert_eq!(got[0].value_origin, ValueOrigin::Environment);
        assert_eq!(got[1].value.as_slice(), b"");
        assert_eq!(got[1].value_origin, ValueOrigin::Unset);
    }

    #[test]
    fn errors_never_show_values() {
        for input in [
            &b"PASSWORD hunter2\n"[..],
            b"MIIEv+QIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7=\n",
            b"A=hunter2\xff\n",
            b"export A=hunter2\n",
        ] {
            let e = parse_env_bytes("t.env", input, &no_env)
                .unwrap_err()
                .to_string();
            assert!(!e.contains("hunter2") && !e.contains("MIIE"), "{e}");
            assert!(e.starts_with("t.env:1: "), "{e}");
        }
    }

    #[test]
    fn key_rules() {
        assert_eq!(check_env_var_name("1A"), Err(KeyProblem::LeadingDigit));
        assert_eq!(check_env_var_name("..a"), Err(KeyProblem::DotDotPrefix));
        assert_eq!(check_env_var_name("-a.b_C"), Ok(()));
        assert_eq!(check_secret_key("1A"), Ok(()));
        assert_eq!(
            check_secret_key(&"a".repeat(254)),
            Err(KeyProblem::TooLong { len: 254 })
        );
    }

    #[test]
    fn too_long_line_is_refused() {
        let mut input = b"A=".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES - 2));
        assert!(parse_env_bytes("t", &input, &no_env).is_ok());
        input.push(b'x');
        let e = parse_env_bytes("t", &input, &no_env).unwrap_err();
        assert!(matches!(e, EnvFileError::LineTooLong { line: 1, .. }));
    }

    #[test]
    fn file_sources() {
        assert_eq!(parse_file_source("a/b/").unwrap().0, "b");
        assert_eq!(parse_file_source("k=a/b").unwrap().0, "k");
        assert!(parse_file_source("=a").is_err());
        assert!(parse_file_source("k=").is_err());
        assert!(parse_file_source("a=b=c").is_err());
        assert_eq!(go_path_base("/"), "/");
        assert_eq!(go_path_base(""), ".");
    }

    #[test]
    fn list_flags() {
        let s = |v: &str| split_list_flag("from-file", v);
        assert_eq!(s("a,b").unwrap(), ["a", "b"]);
        assert_eq!(s("\"a,b\",c").unwrap(), ["a,b", "c"]);
        assert_eq!(s("\"a\"\"b\"").unwrap(), ["a\"b"]);
        assert_eq!(s("a,").unwrap(), ["a", ""]);
        assert_eq!(s("a\nb").unwrap(), ["a"]);
        assert!(s("").unwrap().is_empty());
        assert!(s("x\"y").is_err());
    }
}
