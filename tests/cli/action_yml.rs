//! The composite GitHub Action (`action.yml`): its structure (inputs declared and
//! used, step outputs written before they are read, shell scripts that `bash -n`
//! accepts and that take inputs only through `env:`, never by `${{ }}` splicing),
//! and its scripts run in bash as the runner runs them, with the runner's files
//! (GITHUB_OUTPUT, GITHUB_PATH) and with `curl`/`cargo` stand-ins where the runner
//! would reach GitHub: the release .deb (built by `.ci/package`) is unpacked and
//! runs, a missing release falls back to `cargo install --git --tag`, and the check
//! step reports in the `github` format with the exit code of `fail-on`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;

use crate::BIN;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Value {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn steps(a: &Value) -> Vec<Value> {
    a["runs"]["steps"].as_sequence().unwrap().clone()
}

fn step(a: &Value, id: &str) -> Value {
    steps(a)
        .into_iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// Every `${{ ... }}` expression in a YAML value's strings.
fn expressions(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${{") {
                let end = rest[i..].find("}}").expect("closed expression") + i;
                out.push(rest[i + 3..end].trim().to_string());
                rest = &rest[end + 2..];
            }
        }
        Value::Sequence(s) => s.iter().for_each(|x| expressions(x, out)),
        Value::Mapping(m) => m.iter().for_each(|(k, x)| {
            expressions(k, out);
            expressions(x, out)
        }),
        _ => {}
    }
}

#[test]
fn structure_inputs_outputs_and_scripts() {
    let a = action();
    assert!(a["name"].as_str().is_some() && a["description"].as_str().is_some());
    assert_eq!(a["runs"]["using"].as_str(), Some("composite"));
    let inputs: BTreeSet<String> = a["inputs"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            assert!(
                v["description"].as_str().is_some(),
                "{k:?} has a description"
            );
            k.as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        inputs,
        ["env", "fail-on", "paths", "version"]
            .map(String::from)
            .into()
    );

    let mut used_inputs = BTreeSet::new();
    let mut written: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in steps(&a) {
        let id = s["id"].as_str().unwrap_or("").to_string();
        let mut exprs = Vec::new();
        expressions(&s, &mut exprs);
        for e in &exprs {
            if let Some(name) = e.strip_prefix("inputs.") {
                assert!(inputs.contains(name), "undeclared input {name}");
                used_inputs.insert(name.to_string());
            }
            if let Some(rest) = e.strip_prefix("steps.") {
                let mut parts = rest.split('.');
                let (sid, kind, out) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap().split_whitespace().next().unwrap(),
                );
                assert_eq!(kind, "outputs", "{e}");
                let outs = written
                    .get(sid)
                    .unwrap_or_else(|| panic!("{e}: no earlier step {sid}"));
                assert!(
                    outs.contains(out) || outs.contains("*"),
                    "{e}: step {sid} does not write {out}"
                );
            }
        }
        if let Some(script) = s["run"].as_str() {
            assert_eq!(s["shell"].as_str(), Some("bash"), "step {id}");
            // Inputs reach scripts through env only (no injection by splicing).
            assert!(!script.contains("${{"), "step {id} splices an expression");
            let out = Command::new("bash")
                .args(["-n", "-c", script])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "bash -n, step {id}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Outputs it writes: `echo "NAME=..."` lines.
            let outs: BTreeSet<String> = script
                .lines()
                .filter_map(|l| l.trim().strip_prefix("echo \""))
                .filter_map(|l| l.split_once('=').map(|(n, _)| n.to_string()))
                .collect();
            written.insert(id, outs);
        } else {
            let uses = s["uses"].as_str().expect("a step runs or uses");
            assert!(uses.contains("@v"), "{uses} pinned to a major version");
            written.insert(id, ["*".to_string()].into());
        }
    }
    assert_eq!(used_inputs, inputs, "every input is used");
    // The release path never compiles when the cache has the binary.
    assert_eq!(
        step(&a, "install")["if"].as_str(),
        Some("steps.cache.outputs.cache-hit != 'true'")
    );
}

struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let r = Runner {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(r.path("output"), "").unwrap();
        std::fs::write(r.path("path"), "").unwrap();
        std::fs::create_dir_all(r.path("stubs")).unwrap();
        r
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn stub(&self, name: &str, body: &str) {
        let p = self.path("stubs").join(name);
        std::fs::write(&p, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Runs step `id`'s script with `env` (plus the runner's variables), cwd `cwd`.
    fn run(&self, id: &str, env: &[(&str, &str)], cwd: &Path) -> Output {
        let script = step(&action(), id)["run"].as_str().unwrap().to_string();
        let path = format!(
            "{}:{}",
            self.path("stubs").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.args(["-e", "-c", &script])
            .current_dir(cwd)
            .env("PATH", path)
            .env("GITHUB_OUTPUT", self.path("output"))
            .env("GITHUB_PATH", self.path("path"))
            .env("RUNNER_TOOL_CACHE", self.path("toolcache"))
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env_remove("SEALED_SECRETS_CERT");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.path("output"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{:?}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn resolve_finds_repository_and_tag() {
    let r = Runner::new();
    let cwd = r.dir.path();
    // The runner left github.action_repository empty: the action path says it.
    let ap = "/home/runner/work/_actions/acme/empseal/v0.1.0";
    ok(&r.run(
        "resolve",
        &[
            ("GITHUB_ACTION_PATH", ap),
            ("ACTION_REPOSITORY", ""),
            ("ACTION_REF", ""),
            ("VERSION", ""),
        ],
        cwd,
    ));
    let o = r.outputs();
    assert_eq!(o["repo"], "acme/empseal");
    assert_eq!(o["tag"], "v0.1.0");
    assert_eq!(o["source"], "release");
    assert_eq!(o["key"], "acme-empseal-v0.1.0");
    assert_eq!(
        o["dir"],
        format!(
            "{}/empseal/acme-empseal-v0.1.0",
            r.path("toolcache").display()
        )
    );

    // `version` wins over the ref the action is used at.
    let r = Runner::new();
    ok(&r.run(
        "resolve",
        &[
            ("GITHUB_ACTION_PATH", ap),
            ("ACTION_REPOSITORY", "acme/empseal"),
            ("ACTION_REF", "main"),
            ("VERSION", "v0.2.0"),
        ],
        cwd,
    ));
    assert_eq!(r.outputs()["tag"], "v0.2.0");

    // `uses: ./` in a checkout of empseal: build the checkout.
    let r = Runner::new();
    let here = repo();
    ok(&r.run(
        "resolve",
        &[
            ("GITHUB_ACTION_PATH", here.to_str().unwrap()),
            ("ACTION_REPOSITORY", ""),
            ("ACTION_REF", ""),
            ("VERSION", ""),
        ],
        cwd,
    ));
    assert_eq!(r.outputs()["source"], "path");
}

#[test]
fn install_unpacks_the_release_deb_or_builds_the_tag() {
    // The release asset, as `.ci/package` builds it (from the test's debug binary).
    let r = Runner::new();
    let target_dir = Path::new(BIN).parent().unwrap().parent().unwrap();
    let debs = r.path("debs");
    ok(&Command::new("bash")
        .arg(repo().join(".ci/package"))
        .args(["--profile", "dev", "--no-build", "--output"])
        .arg(&debs)
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .unwrap());
    let version = env!("CARGO_PKG_VERSION");
    // curl: serves files from `debs` for the release URL, records what was asked.
    r.stub(
        "curl",
        &format!(
            r#"out=""; url=""
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2;; -*) shift;; *) url="$1"; shift;; esac; done
echo "$url" >>"{log}"
f="{debs}/${{url##*/}}"
[ -f "$f" ] || exit 22
cp "$f" "$out""#,
            log = r.path("curl.log").display(),
            debs = debs.display()
        ),
    );
    r.stub(
        "cargo",
        &format!(r#"echo "$*" >>"{}""#, r.path("cargo.log").display()),
    );
    r.stub(
        "dpkg",
        r#"if [ "$1" = --print-architecture ]; then echo amd64; else exec /usr/bin/dpkg "$@"; fi"#,
    );
    let dir = r.path("toolcache/empseal/acme-empseal-v0.1.0");
    let env = |tag: &'static str| {
        vec![
            ("REPO", "acme/empseal".to_string()),
            ("TAG", tag.to_string()),
            ("SOURCE", "release".to_string()),
            ("DIR", dir.display().to_string()),
            ("GITHUB_ACTION_PATH", "/nowhere".to_string()),
        ]
    };
    let tag: &'static str = Box::leak(format!("v{version}").into_boxed_str());
    let e = env(tag);
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = ok(&r.run("install", &e, r.dir.path()));
    assert!(out.contains("from the"), "{out}");
    let asked = std::fs::read_to_string(r.path("curl.log")).unwrap();
    assert_eq!(
        asked.trim(),
        format!(
            "https://github.com/acme/empseal/releases/download/{tag}/empseal_{version}-1_amd64.deb"
        )
    );
    assert!(
        !r.path("cargo.log").exists(),
        "no build when the release has a .deb"
    );
    let v = ok(&Command::new(dir.join("bin/empseal"))
        .arg("--version")
        .output()
        .unwrap());
    assert_eq!(v, format!("empseal {version}\n"));

    // A release without a .deb: built from the tag (once; the cache keeps it).
    let e = env("v9.9.9");
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = ok(&r.run("install", &e, r.dir.path()));
    assert!(out.contains("building acme/empseal@v9.9.9"), "{out}");
    let built = std::fs::read_to_string(r.path("cargo.log")).unwrap();
    assert_eq!(
        built.trim(),
        format!(
            "install --locked --root {} --git https://github.com/acme/empseal --tag v9.9.9 empseal",
            dir.display()
        )
    );
}

#[test]
fn check_step_reports_for_github_and_honours_fail_on() {
    let r = Runner::new();
    let dir = r.path("tool");
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::os::unix::fs::symlink(BIN, dir.join("bin/empseal")).unwrap();
    let work = r.path("work");
    std::fs::create_dir_all(work.join("k8s")).unwrap();
    std::fs::create_dir_all(work.join("more")).unwrap();
    std::fs::write(
        work.join("more/s.yaml"),
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData:\n    K: AgAAAA...\n",
    )
    .unwrap();
    std::fs::write(work.join("k8s/cm.yaml"), "kind: ConfigMap\n").unwrap();
    let d = dir.display().to_string();
    let run = |paths: &str, fail_on: &str| {
        r.run(
            "check",
            &[
                ("DIR", &d),
                ("PATHS", paths),
                ("ENV_NAME", ""),
                ("FAIL_ON", fail_on),
            ],
            &work,
        )
    };
    let clean = run("k8s/", "error");
    ok(&clean);
    assert_eq!(
        std::fs::read_to_string(r.path("path")).unwrap(),
        format!("{d}/bin\n")
    );
    // Several paths, newline separated as a YAML block gives them.
    let bad = run("k8s/\nmore/s.yaml\n", "error");
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("::error file=more/s.yaml,line=7"), "{out}");
    // fail-on reaches --fail-on: clap refuses an unknown severity (usage, 2).
    let wrong = run("k8s/", "fatal");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("fatal"));
}
