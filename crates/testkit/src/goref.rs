//! The Go reference for kubeseal's printers (`tests/goref`: kubeseal's own
//! YAML/JSON code on the Go toolchain [`crate::gotool`] picks), built once per
//! test binary and fed JSON requests, and a readable diff of its output and ours.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde::Deserialize;

use crate::gotool::{self, SETUP_HINT};
use crate::paths::{repo_root, target_tmpdir};

/// One answer of the Go reference.
#[derive(Debug, Default, Deserialize)]
pub struct Answer {
    /// What kubeseal's YAML printer wrote.
    #[serde(default)]
    pub yaml: String,
    /// The YAML printer's error.
    #[serde(default)]
    pub yaml_err: String,
    /// What kubeseal's JSON printer wrote.
    #[serde(default)]
    pub json: String,
    /// The JSON printer's error.
    #[serde(default)]
    pub json_err: String,
    /// Go's unicode.IsLetter ranges.
    #[serde(default)]
    pub letter: Vec<(u32, u32)>,
    /// Go's unicode.IsDigit ranges.
    #[serde(default)]
    pub digit: Vec<(u32, u32)>,
    /// The code points Go's Unicode tables assign.
    #[serde(default)]
    pub assigned: Vec<(u32, u32)>,
    /// Why goref refused the request.
    #[serde(default)]
    pub err: String,
    /// Go's `json.Unmarshal` errors for a docker config value (the `unmarshal` op).
    #[serde(default)]
    pub unmarshal: Option<UnmarshalAnswer>,
    /// Go's `strconv` number parsers on one string (the `strconv` op).
    #[serde(default)]
    pub strconv: Option<StrconvAnswer>,
}

/// What Go's `strconv` parsers returned for one string (`None`: an error).
#[derive(Debug, Default, Deserialize)]
pub struct StrconvAnswer {
    /// `math.Float64bits(strconv.ParseFloat(s, 64))`, in decimal.
    pub float: Option<String>,
    /// `strconv.FormatFloat(that float, 'g', -1, 32)`.
    pub float32: Option<String>,
    /// `strconv.ParseInt(s, 0, 64)`, in decimal.
    pub int: Option<String>,
    /// `strconv.ParseUint(s, 0, 64)`, in decimal.
    pub uint: Option<String>,
}

/// What Go's `json.Unmarshal` returned for one value, per target (`None`: no error).
#[derive(Debug, Default, Deserialize)]
pub struct UnmarshalAnswer {
    /// Into `map[string]interface{}`: the API server's check of docker config Secrets.
    pub map: Option<String>,
    /// Into a mirror of Kubernetes' `DockerConfigJSON` (the kubelet's reading).
    pub dockerconfigjson: Option<String>,
    /// Into a mirror of Kubernetes' `DockerConfig` (`.dockercfg`).
    pub dockercfg: Option<String>,
}

/// The running Go reference process.
pub struct GoRef {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn build_goref() -> PathBuf {
    gotool::require_go_libraries();
    let tmp = target_tmpdir();
    let bin = tmp.join(format!("goref-{}", std::process::id()));
    let src = repo_root().join("tests/goref");
    let out = gotool::go_command(&tmp.join("goref"))
        .arg("build")
        .arg("-o")
        .arg(&bin)
        .arg(".")
        .current_dir(&src)
        .output()
        .expect("run go build");
    assert!(
        out.status.success(),
        "building tests/goref failed ({SETUP_HINT} if packages are missing):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

/// The Go reference, built once per test binary and shared by its tests.
pub fn goref() -> MutexGuard<'static, GoRef> {
    static GOREF: OnceLock<Mutex<GoRef>> = OnceLock::new();
    GOREF
        .get_or_init(|| {
            let bin = build_goref();
            let mut child = Command::new(&bin)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start goref");
            let stdin = child.stdin.take().expect("goref stdin");
            let stdout = BufReader::new(child.stdout.take().expect("goref stdout"));
            let _ = std::fs::remove_file(&bin);
            Mutex::new(GoRef {
                _child: child,
                stdin,
                stdout,
            })
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

impl GoRef {
    /// Sends every request (one JSON object each) and returns the answers in
    /// order. A writer thread keeps both pipes flowing.
    pub fn batch(&mut self, requests: &[String]) -> Vec<Answer> {
        let GoRef { stdin, stdout, .. } = self;
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || {
                let mut w = std::io::BufWriter::new(stdin);
                for r in requests {
                    w.write_all(r.as_bytes()).expect("write to goref");
                    w.write_all(b"\n").expect("write to goref");
                }
                w.flush().expect("flush to goref");
            });
            let mut answers = Vec::with_capacity(requests.len());
            let mut line = String::new();
            for _ in requests {
                line.clear();
                let n = stdout.read_line(&mut line).expect("read from goref");
                assert!(n > 0, "goref exited early");
                let a: Answer = serde_json::from_str(&line).expect("goref answer is JSON");
                assert!(a.err.is_empty(), "goref refused a request: {}", a.err);
                answers.push(a);
            }
            writer.join().expect("writer thread");
            answers
        })
    }

    /// Go's unicode.IsLetter / IsDigit / assigned ranges (Unicode 15.0.0 on Go 1.21–1.26).
    pub fn unicode(&mut self) -> Answer {
        self.batch(&["{\"op\":\"unicode\"}".to_owned()])
            .pop()
            .expect("one answer")
    }
}

// ------------------------------------------------------------- diffs ----

/// A short, readable account of where `ours` departs from `go`: the first
/// differing line with two lines of context, each line shown escaped.
pub fn diff(go: &str, ours: &str) -> String {
    let gl: Vec<&str> = go.split_inclusive('\n').collect();
    let ol: Vec<&str> = ours.split_inclusive('\n').collect();
    let first = gl
        .iter()
        .zip(ol.iter())
        .position(|(a, b)| a != b)
        .unwrap_or(gl.len().min(ol.len()));
    let from = first.saturating_sub(2);
    let mut s = format!("first difference at line {}:\n", first + 1);
    for (name, lines) in [("  go ", &gl), ("  ours", &ol)] {
        for (n, l) in lines.iter().enumerate().skip(from).take(first - from + 3) {
            let mark = if n == first { '>' } else { ' ' };
            s.push_str(&format!("{name} {mark}{:>4} {:?}\n", n + 1, l));
        }
        if lines.len() <= first {
            s.push_str(&format!(
                "{name} >   (end of output, {} lines)\n",
                lines.len()
            ));
        }
    }
    s
}
