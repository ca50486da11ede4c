//! empseal's env-file / literal / file sources against the real kubectl on this machine:
//! `kubectl create secret generic NAME -n NS ... --dry-run=client -o json`.
//!
//! Hundreds of seeded, generated inputs (BOM, CRLF, comments, odd whitespace, quotes,
//! `=` in values, unicode, invalid UTF-8, bad keys, duplicates, variables taken from the
//! environment, set and unset). For each one: when kubectl succeeds we must produce the
//! same keys and value bytes; when kubectl fails we must fail too, for the same reason
//! and on the same key / line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use base64::Engine;
use kubeseal_core::envfile::{
    parse_env_bytes, split_list_flag, EnvFileError, KeyRule, SecretSources, MAX_LINE_BYTES,
};
use kubeseal_core::secret::SecretBytes;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zeroize::Zeroizing;

/// What kubectl answered.
#[derive(Debug)]
enum Kubectl {
    Ok {
        name: String,
        namespace: Option<String>,
        data: BTreeMap<String, Vec<u8>>,
    },
    Err(String),
}

fn kubectl_bin() -> &'static str {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "kubectl is missing: run `bash .ci/setup` (kubectl ships on this project's machines)"
    );
    "kubectl"
}

/// Runs kubectl with exactly `env` as its environment (plus PATH/HOME/KUBECONFIG).
fn kubectl(dir: &Path, args: &[String], env: &[(String, Vec<u8>)]) -> Kubectl {
    use std::os::unix::ffi::OsStrExt;
    let mut cmd = Command::new(kubectl_bin());
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("KUBECONFIG", dir.join("no-kubeconfig"))
        .args(["create", "secret", "generic"])
        .args(args)
        .args(["--dry-run=client", "-o", "json"]);
    for (k, v) in env {
        cmd.env(k, std::ffi::OsStr::from_bytes(v));
    }
    let out = cmd.output().expect("run kubectl");
    if !out.status.success() {
        return Kubectl::Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("kubectl json");
    let mut data = BTreeMap::new();
    if let Some(obj) = v.get("data").and_then(|d| d.as_object()) {
        for (k, b64) in obj {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.as_str().unwrap())
                .unwrap();
            data.insert(k.clone(), bytes);
        }
    }
    let name = v["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let namespace = v["metadata"]["namespace"].as_str().map(str::to_string);
    Kubectl::Ok {
        name,
        namespace,
        data,
    }
}

/// Reads a Go `%q`-quoted string at the start of `s`.
fn go_unquote_prefix(s: &str) -> String {
    let mut chars = s.strip_prefix('"').expect("quoted").chars();
    let mut out = String::new();
    let hex = |chars: &mut std::str::Chars, n: usize| {
        let h: String = chars.take(n).collect();
        u32::from_str_radix(&h, 16).unwrap()
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => return out,
            '\\' => match chars.next().unwrap() {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'a' => out.push('\u{07}'),
                'b' => out.push('\u{08}'),
                'f' => out.push('\u{0C}'),
                'v' => out.push('\u{0B}'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                'x' => out.push(char::from_u32(hex(&mut chars, 2)).unwrap()),
                'u' => out.push(char::from_u32(hex(&mut chars, 4)).unwrap()),
                'U' => out.push(char::from_u32(hex(&mut chars, 8)).unwrap()),
                other => panic!("unknown escape \\{other} in {s}"),
            },
            c => out.push(c),
        }
    }
    panic!("unterminated quote in {s}")
}

/// The key kubectl sees on a 1-based line (for comparing which line is blamed).
fn key_on_line(bytes: &[u8], line: usize) -> String {
    let raw = bytes.split(|&b| b == b'\n').nth(line - 1).unwrap();
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let text = String::from_utf8_lossy(raw);
    let text = if line == 1 {
        text.trim_start_matches('\u{FEFF}').to_string()
    } else {
        text.to_string()
    };
    let text = text.trim_start_matches(char::is_whitespace);
    text.split('=').next().unwrap().to_string()
}

// ---------------------------------------------------------------- the generator

const KEY_START: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-.";
const KEY_REST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.";

fn gen_key(rng: &mut ChaCha8Rng) -> String {
    let len = rng.random_range(1..12);
    let mut k = String::new();
    k.push(*KEY_START.choose(rng).unwrap() as char);
    for _ in 1..len {
        k.push(*KEY_REST.choose(rng).unwrap() as char);
    }
    if k.starts_with("..") || k == "." {
        k.insert(0, 'K');
    }
    k
}

const VALUE_PIECES: &[&str] = &[
    "plain",
    "with space",
    " ",
    "  ",
    "\t",
    "\"dq\"",
    "'sq'",
    "\"",
    "'",
    "=",
    "==",
    "a=b",
    "#",
    " # not a comment",
    "\\",
    "\\n",
    "$HOME",
    "${X}",
    "é",
    "日本",
    "🔑",
    "\u{A0}",
    "\u{2028}",
    "\u{FEFF}",
    "\r",
    "x\ry",
    ",",
    ";",
    "`",
    "0",
    "true",
    "null",
    "~",
    "-",
    "AgAAAA...",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC+/==",
];

fn gen_value(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let n = rng.random_range(0..5);
    let mut v = Vec::new();
    for _ in 0..n {
        v.extend_from_slice(VALUE_PIECES.choose(rng).unwrap().as_bytes());
    }
    if rng.random_bool(0.005) {
        v.push(0xFF); // invalid UTF-8
    }
    if rng.random_bool(0.005) {
        v.extend_from_slice(b"\xE2\x82"); // truncated sequence
    }
    v
}

const LEADING: &[&str] = &[
    "", "", "", " ", "  ", "\t", "\u{A0}", "\u{3000}", "\u{2003}", "\u{0B}", "\u{0C}", "\u{85}",
];

struct EnvCase {
    files: Vec<Vec<u8>>,
    env: Vec<(String, Vec<u8>)>,
}

fn gen_env_file(
    rng: &mut ChaCha8Rng,
    keys: &mut Vec<String>,
    env: &mut Vec<(String, Vec<u8>)>,
) -> Vec<u8> {
    let crlf = rng.random_bool(0.25);
    let mut out = Vec::new();
    if rng.random_bool(0.15) {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let lines = rng.random_range(0..14);
    for i in 0..lines {
        let lead = LEADING.choose(rng).unwrap().as_bytes();
        // About one line in twenty is a mistake, so that files fail and succeed alike.
        let line: Vec<u8> = if rng.random_bool(0.05) {
            match rng.random_range(0..14) {
                0 if !keys.is_empty() => {
                    let k = keys.choose(rng).unwrap().clone();
                    [lead, k.as_bytes(), b"=", &gen_value(rng)].concat()
                }
                1 => [lead, b"export ", gen_key(rng).as_bytes(), b"=v"].concat(),
                2 => [lead, gen_key(rng).as_bytes(), b" = v"].concat(),
                3 => [lead, b"=", &gen_value(rng)].concat(),
                4 => [lead, b"9", gen_key(rng).as_bytes(), b"=v"].concat(),
                5 => [lead, b"..", gen_key(rng).as_bytes(), b"=v"].concat(),
                6 => [lead, b".=v"].concat(),
                7 => [lead, "K\u{e9}".as_bytes(), b"=v"].concat(),
                8 => [lead, b"NAME value without equals"].concat(),
                9 => [lead, "A".repeat(254).as_bytes(), b"=v"].concat(),
                10 => [lead, b"\xEF\xBB\xBF", gen_key(rng).as_bytes(), b"=v"].concat(),
                11 => [lead, gen_key(rng).as_bytes(), b"\t=v"].concat(),
                12 => [lead, b"K=", &vec![b'x'; MAX_LINE_BYTES - 1]].concat(),
                _ => [lead, gen_key(rng).as_bytes(), b"=\xFF"].concat(),
            }
        } else {
            match rng.random_range(0..100) {
                0..=69 => {
                    let k = gen_key(rng);
                    keys.push(k.clone());
                    [lead, k.as_bytes(), b"=", &gen_value(rng)].concat()
                }
                70..=79 => [lead, b"#", &gen_value(rng)].concat(),
                80..=87 => lead.to_vec(),
                88..=89 => [lead, "A".repeat(253).as_bytes(), b"=v"].concat(),
                90 => [lead, b"K=", &vec![b'x'; MAX_LINE_BYTES - 2]].concat(),
                _ => {
                    // A variable from the environment: set (maybe to odd bytes) or unset.
                    let k = format!("EMPSEAL_T_{}", gen_key(rng).replace(['.', '-'], "_"));
                    if rng.random_bool(0.6) {
                        let mut v = gen_value(rng);
                        if rng.random_bool(0.2) {
                            v.extend_from_slice(b"\n\xFF");
                        }
                        v.retain(|&b| b != 0);
                        env.push((k.clone(), v));
                    }
                    keys.push(k.clone());
                    [lead, k.as_bytes()].concat()
                }
            }
        };
        out.extend_from_slice(&line);
        let last = i + 1 == lines;
        if !last || rng.random_bool(0.7) {
            out.extend_from_slice(if crlf || rng.random_bool(0.05) {
                b"\r\n"
            } else {
                b"\n"
            });
        }
    }
    out
}

fn gen_env_case(rng: &mut ChaCha8Rng) -> EnvCase {
    let mut keys = Vec::new();
    let mut env = Vec::new();
    let n = if rng.random_bool(0.2) {
        rng.random_range(2..4)
    } else {
        1
    };
    let files = (0..n)
        .map(|_| gen_env_file(rng, &mut keys, &mut env))
        .collect();
    env.sort();
    env.dedup_by(|a, b| a.0 == b.0);
    EnvCase { files, env }
}

/// How many generated cases to run: `default`, or `EMPSEAL_KUBECTL_CASES` for a longer
/// soak (each case starts kubectl, about a tenth of a second of CPU).
fn cases_count(default: usize) -> usize {
    std::env::var("EMPSEAL_KUBECTL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` over `cases` on two threads (the machine has two cores).
fn parallel<T: Sync>(cases: &[T], f: impl Fn(usize, &T) + Sync) {
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                if i >= cases.len() {
                    break;
                }
                f(i, &cases[i]);
            });
        }
    });
}

fn env_closure(env: &[(String, Vec<u8>)]) -> impl Fn(&str) -> Option<SecretBytes> + '_ {
    move |k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| Zeroizing::new(v.clone()))
    }
}

/// Checks that our error is the one kubectl gave, for env-file cases.
fn assert_same_env_error(
    case: &EnvCase,
    paths: &[PathBuf],
    ours: &EnvFileError,
    theirs: &str,
    ctx: &str,
) {
    let theirs = theirs.strip_prefix("error: ").unwrap_or(theirs);
    let file_bytes = |origin: &str| {
        let i = paths
            .iter()
            .position(|p| p.display().to_string() == origin)
            .unwrap();
        &case.files[i]
    };
    match ours {
        EnvFileError::InvalidUtf8 { origin, line, .. } => {
            let want = format!("env file {origin} contains invalid utf8 bytes at line {line}: ");
            assert!(
                theirs.starts_with(&want),
                "{ctx}: kubectl said {theirs:?}, we said {ours}"
            );
        }
        EnvFileError::InvalidEnvKey {
            origin, line, rule, ..
        } => {
            let key = go_unquote_prefix(theirs);
            assert_eq!(
                key,
                key_on_line(file_bytes(origin), *line),
                "{ctx}: blamed key ({ours})"
            );
            let rest = &theirs[theirs.find("\" is not").unwrap()..];
            match rule {
                KeyRule::EnvVarName => assert!(
                    rest.starts_with("\" is not a valid key name: "),
                    "{ctx}: {theirs}"
                ),
                KeyRule::SecretKey => assert!(
                    rest.starts_with("\" is not valid key name for a Secret "),
                    "{ctx}: {theirs}"
                ),
            }
        }
        EnvFileError::DuplicateKey { key, .. } => {
            assert_eq!(
                theirs,
                format!("cannot add key {key}, another key by that name already exists"),
                "{ctx}"
            );
        }
        other => panic!("{ctx}: unexpected error {other} (kubectl: {theirs})"),
    }
}

#[test]
fn generated_env_files_match_kubectl() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EA1_E4F1);
    let cases: Vec<EnvCase> = (0..cases_count(200))
        .map(|_| gen_env_case(&mut rng))
        .collect();
    let stats = Mutex::new((0usize, 0usize, 0usize));
    parallel(&cases, |i, case| {
        let ctx = format!("case {i}");
        let case_dir = dir.path().join(format!("c{i}"));
        std::fs::create_dir(&case_dir).unwrap();
        let paths: Vec<PathBuf> = case
            .files
            .iter()
            .enumerate()
            .map(|(j, bytes)| {
                let p = PathBuf::from(format!("f{j}.env"));
                std::fs::write(case_dir.join(&p), bytes).unwrap();
                p
            })
            .collect();
        let mut args = vec!["s".to_string(), "-n".into(), "ns".into()];
        for p in &paths {
            args.push(format!("--from-env-file={}", p.display()));
        }
        let theirs = kubectl(&case_dir, &args, &case.env);

        let env = env_closure(&case.env);
        let mut ours = build_env_case(&case_dir, &paths, &env);
        let mut compared = case;
        let truncated;
        let long = matches!(ours, Err(EnvFileError::LineTooLong { .. }));
        if long {
            // kubectl silently stops reading a file at a too-long line (and goes on with
            // the next file); we refuse. Model kubectl by cutting each file there, then
            // compare as usual.
            truncated = EnvCase {
                files: case.files.iter().map(|f| cut_at_long_line(f)).collect(),
                env: case.env.clone(),
            };
            for (p, bytes) in paths.iter().zip(&truncated.files) {
                std::fs::write(case_dir.join(p), bytes).unwrap();
            }
            ours = build_env_case(&case_dir, &paths, &env);
            compared = &truncated;
        }
        let mut st = stats.lock().unwrap_or_else(|e| e.into_inner());
        st.2 += usize::from(long);
        match (&theirs, &ours) {
            // We refuse a file without line feeds whose entries a bare CR separates,
            // which kubectl reads as one line (see cr_only_env_file_is_one_kubectl_line_and_refused).
            (_, Err(EnvFileError::CrLineEndings { origin, .. })) => {
                let i = paths
                    .iter()
                    .position(|p| p.display().to_string() == *origin)
                    .unwrap();
                let bytes = &compared.files[i];
                assert!(!bytes.contains(&b'\n') && bytes.contains(&b'\r'), "{ctx}");
            }
            (
                Kubectl::Ok {
                    name,
                    namespace,
                    data,
                },
                Ok(secret),
            ) => {
                st.0 += 1;
                assert_eq!(namespace.as_deref(), Some("ns"), "{ctx}");
                assert_eq!(secret.metadata.namespace, "ns");
                assert_eq!(&secret.metadata.name, name, "{ctx}: the Secret's name");
                let ours: BTreeMap<String, Vec<u8>> = secret
                    .data
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_vec()))
                    .collect();
                assert_eq!(&ours, data, "{ctx}: values differ");
            }
            (Kubectl::Err(msg), Err(e)) => {
                st.1 += 1;
                assert_same_env_error(compared, &paths, e, msg, &ctx);
                assert!(!e.to_string().contains('\n'), "{ctx}: one line: {e}");
            }
            (t, o) => panic!(
                "{ctx}: kubectl {t:?} vs ours {:?}",
                o.as_ref()
                    .map(|s| s.data.keys().collect::<Vec<_>>())
                    .map_err(|e| e.to_string())
            ),
        }
    });
    let (ok, err, long) = *stats.lock().unwrap();
    eprintln!("kubectl agreed on {ok} successes and {err} errors; {long} too-long-line files");
    // The generator must exercise both outcomes substantially.
    assert!(
        ok > 60 && err > 40 && long > 0,
        "ok={ok} err={err} long={long}"
    );
}

fn build_env_case(
    dir: &Path,
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<SecretBytes>,
) -> Result<kubeseal_core::secret::Secret, EnvFileError> {
    // Paths relative to the case directory, as given to kubectl, so errors name them alike.
    let mut sources = SecretSources::new();
    for p in paths {
        sources.env_file(p.clone());
    }
    with_cwd(dir, || sources.build("s", Some("ns"), env))
}

/// The part of an env file before its first line longer than kubectl's scanner allows.
fn cut_at_long_line(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if body.len() > MAX_LINE_BYTES {
            break;
        }
        out.extend_from_slice(line);
    }
    out
}

static CWD: Mutex<()> = Mutex::new(());

/// Runs `f` with the process's working directory set to `dir` (serialised).
fn with_cwd<T>(dir: &Path, f: impl FnOnce() -> T) -> T {
    let _g = CWD.lock().unwrap_or_else(|e| e.into_inner());
    let old = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir).unwrap();
    let r = f();
    std::env::set_current_dir(old).unwrap();
    r
}

// ------------------------------------------------- literals, files, directories

struct SourceCase {
    args: Vec<(String, String)>, // (flag, value) in command-line order
}

fn setup_tree(dir: &Path) {
    let w = |p: &str, b: &[u8]| {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    };
    w("bin.dat", &(0u8..=255).collect::<Vec<_>>());
    w("empty", b"");
    w("text.txt", "héllo\r\nworld\n".as_bytes());
    w("key.pem", b"-----BEGIN KEY-----\nMIIE\n-----END KEY-----\n");
    w("dir/a.txt", b"A");
    w("dir/.hidden", b"H");
    w("dir/b-c_d.e", b"B");
    w("dir/sub/inner", b"I");
    std::os::unix::fs::symlink("a.txt", dir.join("dir/link")).unwrap();
    w("baddir/ok", b"1");
    w("baddir/not ok", b"2");
    w("dup/text.txt", b"other");
    w("env/plain.env", b"E1=1\nE2=two\n");
    w("bad name.txt", b"x");
    w("a,b", b"comma");
    std::os::unix::fs::symlink("text.txt", dir.join("link.txt")).unwrap();
}

const FILE_SOURCES: &[&str] = &[
    "bin.dat",
    "empty",
    "text.txt",
    "key.pem",
    "dir",
    "dir/",
    "baddir",
    "dup",
    "k1=text.txt",
    "k2=bin.dat",
    "text.txt=empty",
    "K.E-Y_=key.pem",
    "bad name.txt",
    "good=bad name.txt",
    "missing",
    "k=missing",
    "=text.txt",
    "k=",
    "a=b=c",
    "k=dir",
    "link.txt",
    "dir/link",
    "..x=empty",
    ".=empty",
    "dir/a.txt",
    "env/plain.env",
    "\"a,b\"",
    "x=\"a,b\"",
    "empty,text.txt",
    "bin.dat,k3=empty",
    "",
];

const LITERALS: &[&str] = &[
    "a=1",
    "b=",
    "c==",
    "d=x=y",
    "e= spaced ",
    "f=\"quoted\"",
    "g=héllo",
    "h=line\nbreak",
    "text.txt=shadow",
    "k1=dup",
    "=novalue",
    "nokey",
    "bad key=1",
    "..a=1",
    "A=1",
    "a=again",
    "x,y=1",
    "ok.key-1_=v",
    "é=1",
];

fn gen_source_case(rng: &mut ChaCha8Rng) -> SourceCase {
    let mut args = Vec::new();
    for _ in 0..rng.random_range(1..5) {
        match rng.random_range(0..10) {
            0..=4 => args.push((
                "from-file".to_string(),
                FILE_SOURCES.choose(rng).unwrap().to_string(),
            )),
            5..=8 => args.push((
                "from-literal".to_string(),
                LITERALS.choose(rng).unwrap().to_string(),
            )),
            _ => args.push(("from-env-file".to_string(), "env/plain.env".to_string())),
        }
    }
    SourceCase { args }
}

fn assert_same_source_error(ours: &EnvFileError, theirs: &str, ctx: &str) {
    let theirs = theirs.strip_prefix("error: ").unwrap_or(theirs);
    let ok = match ours {
        EnvFileError::BadLiteral { .. } => theirs.starts_with("invalid literal source "),
        EnvFileError::InvalidKey { .. } => {
            theirs.contains("\" is not valid key name for a Secret ")
        }
        EnvFileError::DuplicateKey { key, .. } => {
            theirs == format!("cannot add key {key}, another key by that name already exists")
        }
        EnvFileError::Io { path, .. } => {
            theirs.starts_with(&format!("error reading {}: ", path.display()))
        }
        EnvFileError::BadFileSource { what, .. } => {
            (what.contains("directory") && theirs == "cannot give a key name for a directory path")
                || (what.contains("key name before")
                    && theirs.starts_with("key name for file path "))
                || (what.contains("file path after")
                    && theirs.starts_with("file path for key name "))
                || (what.contains("cannot contain '='")
                    && theirs == "key names or file paths cannot contain '='")
        }
        EnvFileError::MixedSources => {
            theirs == "from-env-file cannot be combined with from-file or from-literal"
        }
        _ => false,
    };
    assert!(ok, "{ctx}: kubectl said {theirs:?}, we said {ours}");
    assert!(!ours.to_string().contains('\n'), "{ctx}: one line: {ours}");
}

#[test]
fn generated_literal_and_file_sources_match_kubectl() {
    let dir = tempfile::tempdir().unwrap();
    setup_tree(dir.path());
    let mut rng = ChaCha8Rng::seed_from_u64(0x000F_11E5);
    let cases: Vec<SourceCase> = (0..cases_count(120))
        .map(|_| gen_source_case(&mut rng))
        .collect();
    let stats = Mutex::new((0usize, 0usize));
    parallel(&cases, |i, case| {
        let ctx = format!("case {i}: {:?}", case.args);
        let args: Vec<String> = std::iter::once("s".to_string())
            .chain(case.args.iter().map(|(f, v)| format!("--{f}={v}")))
            .collect();
        let theirs = kubectl(dir.path(), &args, &[]);
        let mut sources = SecretSources::new();
        let mut split_err = None;
        for (flag, value) in &case.args {
            match flag.as_str() {
                "from-literal" => {
                    sources.literal(value);
                }
                f => match split_list_flag(f, value) {
                    Ok(items) => {
                        for item in items {
                            if f == "from-file" {
                                sources.file(&item);
                            } else {
                                sources.env_file(item);
                            }
                        }
                    }
                    Err(e) => split_err = Some(e),
                },
            }
        }
        let mut st = stats.lock().unwrap();
        if let Some(e) = split_err {
            // pflag refuses the flag value before kubectl looks at any source.
            st.1 += 1;
            let Kubectl::Err(msg) = &theirs else {
                panic!("{ctx}: kubectl accepted, we said {e}")
            };
            assert!(
                msg.contains("invalid argument") && msg.contains("flag: parse error"),
                "{ctx}: {msg}"
            );
            return;
        }
        let ours = with_cwd(dir.path(), || sources.build("s", None, &|_| None));
        match (&theirs, &ours) {
            (
                Kubectl::Ok {
                    name,
                    namespace,
                    data,
                },
                Ok(secret),
            ) => {
                st.0 += 1;
                assert_eq!(namespace, &None, "{ctx}");
                assert_eq!(secret.metadata.namespace, "");
                assert_eq!(&secret.metadata.name, name, "{ctx}: the Secret's name");
                let ours: BTreeMap<String, Vec<u8>> = secret
                    .data
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_vec()))
                    .collect();
                assert_eq!(&ours, data, "{ctx}");
            }
            (Kubectl::Err(msg), Err(e)) => {
                st.1 += 1;
                assert_same_source_error(e, msg, &ctx);
            }
            (t, o) => panic!(
                "{ctx}: kubectl {t:?} vs ours {:?}",
                o.as_ref()
                    .map(|s| s.data.keys().collect::<Vec<_>>())
                    .map_err(|e| e.to_string())
            ),
        }
    });
    let (ok, err) = *stats.lock().unwrap();
    eprintln!("kubectl agreed on {ok} successes and {err} errors");
    assert!(ok > 20 && err > 20, "ok={ok} err={err}");
}

#[test]
fn list_flag_splitting_matches_kubectl() {
    let dir = tempfile::tempdir().unwrap();
    setup_tree(dir.path());
    for value in [
        "text.txt,empty",
        "\"a,b\"",
        "\"a,b\",empty",
        "text.txt,",
        ",text.txt",
        "",
        "text.txt\nempty",
        "\"text\"\".txt\"",
        "x\"y",
        "\"unterminated",
        "\"a,b\"x",
        "k1=text.txt,k2=text.txt",
        "k1=text.txt,k1=empty",
    ] {
        let ctx = format!("--from-file={value:?}");
        let theirs = kubectl(
            dir.path(),
            &["s".to_string(), format!("--from-file={value}")],
            &[],
        );
        let ours = split_list_flag("from-file", value).map(|items| {
            let mut s = SecretSources::new();
            for it in &items {
                s.file(it);
            }
            with_cwd(dir.path(), || s.build("s", None, &|_| None))
        });
        match (&theirs, ours) {
            (Kubectl::Ok { data, .. }, Ok(Ok(secret))) => {
                let ours: BTreeMap<String, Vec<u8>> = secret
                    .data
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_vec()))
                    .collect();
                assert_eq!(&ours, data, "{ctx}");
            }
            (Kubectl::Err(msg), Err(e)) => {
                assert!(
                    msg.contains("invalid argument") && msg.contains("for \"--from-file\" flag"),
                    "{ctx}: {msg}"
                );
                assert!(matches!(e, EnvFileError::BadListFlag { .. }));
            }
            (Kubectl::Err(msg), Ok(Err(e))) => assert_same_source_error(&e, msg, &ctx),
            (t, o) => panic!(
                "{ctx}: kubectl {t:?} vs ours {:?}",
                o.map(|r| r
                    .map(|s| s.data.keys().cloned().collect::<Vec<_>>())
                    .map_err(|e| e.to_string()))
                    .map_err(|e| e.to_string())
            ),
        }
    }
}

#[test]
fn env_file_from_process_environment_and_directory_refusal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e.env"), b"FROM_ENV\nNOT_SET\nPLAIN=1\n").unwrap();
    let env = vec![("FROM_ENV".to_string(), b"v\xffal\nue".to_vec())];
    let args = ["s".to_string(), "--from-env-file=e.env".to_string()];
    let Kubectl::Ok { data, .. } = kubectl(dir.path(), &args, &env) else {
        panic!("kubectl failed")
    };
    let ours =
        parse_env_bytes("e.env", b"FROM_ENV\nNOT_SET\nPLAIN=1\n", &env_closure(&env)).unwrap();
    let ours: BTreeMap<String, Vec<u8>> = ours
        .into_iter()
        .map(|e| (e.key, e.value.to_vec()))
        .collect();
    assert_eq!(ours, data);
    assert_eq!(data["NOT_SET"], b"");

    let theirs = kubectl(
        dir.path(),
        &["s".to_string(), "--from-env-file=.".to_string()],
        &[],
    );
    let mut s = SecretSources::new();
    s.env_file(".");
    let ours = with_cwd(dir.path(), || s.build("s", None, &|_| None)).unwrap_err();
    let Kubectl::Err(msg) = theirs else { panic!() };
    assert_eq!(msg, "error: env secret file cannot be a directory");
    assert!(
        matches!(ours, EnvFileError::EnvFileIsDirectory { .. }),
        "{ours}"
    );
}

/// Old Mac line endings: kubectl reads a CR-only file as one line and seals the
/// first key with every later entry inside its value. empseal refuses the file,
/// naming it and the line, instead of sealing what nobody meant.
#[test]
fn cr_only_env_file_is_one_kubectl_line_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"A=v-one-41\rB=v-two-42\r# note\rC=v-three-43\r";
    std::fs::write(dir.path().join("mac.env"), bytes).unwrap();
    let args = ["s".to_string(), "--from-env-file=mac.env".to_string()];
    let Kubectl::Ok { data, .. } = kubectl(dir.path(), &args, &[]) else {
        panic!("kubectl failed")
    };
    let want: BTreeMap<String, Vec<u8>> = [(
        "A".to_string(),
        b"v-one-41\rB=v-two-42\r# note\rC=v-three-43".to_vec(),
    )]
    .into();
    assert_eq!(data, want, "kubectl's one-key reading");

    let e = parse_env_bytes("mac.env", bytes, &|_| None).unwrap_err();
    assert!(
        matches!(&e, EnvFileError::CrLineEndings { origin, line: 1 } if origin == "mac.env"),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with("mac.env:1: ") && !msg.contains('\n'),
        "{msg}"
    );
    for value in ["v-one-41", "v-two-42", "v-three-43"] {
        assert!(!msg.contains(value), "{msg}");
    }
    // In a file with line feeds a lone CR stays in its value, as kubectl keeps it,
    // even before text that reads like an entry.
    std::fs::write(dir.path().join("v.env"), b"A=x\ry=1\nB=2\r\n").unwrap();
    let args = ["s".to_string(), "--from-env-file=v.env".to_string()];
    let Kubectl::Ok { data, .. } = kubectl(dir.path(), &args, &[]) else {
        panic!("kubectl failed")
    };
    let kept = parse_env_bytes("v.env", b"A=x\ry=1\nB=2\r\n", &|_| None).unwrap();
    let kept: BTreeMap<String, Vec<u8>> = kept
        .into_iter()
        .map(|e| (e.key, e.value.to_vec()))
        .collect();
    assert_eq!(kept, data);
    assert_eq!(data["A"], b"x\ry=1");
}
