//! Shared helpers for the tests/cli/k8s_*.rs modules: temporary copies
//! of the k8s/ tree, rendering with the real `kubectl kustomize`, and the
//! Python validator (tests/k8s/validate.py: kubernetes-validate + jsonschema
//! against the CRDs vendored in testdata/crds).
#![allow(dead_code)]

use empseal_testkit::gotool;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;

use serde_yaml::Value;

pub const ENVS: [&str; 3] = ["dev", "paper", "prod"];
pub const SETUP_HINT: &str = "run `bash .ci/setup` to install the test tools";

/// The repository root.
pub fn repo() -> PathBuf {
    empseal_testkit::repo_root()
}

/// The CRDs the custom kinds are validated against, vendored in
/// `testdata/crds` (see its README for their upstream source and version).
pub fn crds_dir() -> PathBuf {
    let dir = repo().join("testdata/crds");
    assert!(
        dir.join("bitnami.com_sealedsecrets.yaml").is_file()
            && dir.join("keda.sh_scaledjobs.yaml").is_file()
            && dir.join("keda.sh_triggerauthentications.yaml").is_file(),
        "the SealedSecret/ScaledJob/TriggerAuthentication CRDs are missing from {}",
        dir.display()
    );
    dir
}

static TOOLS: Once = Once::new();

/// Fails (never skips) when a tool the k8s tests shell out to is missing.
pub fn require_tools() {
    TOOLS.call_once(|| {
        let kubectl = Command::new("kubectl")
            .args(["version", "--client"])
            .output();
        assert!(
            matches!(&kubectl, Ok(o) if o.status.success()),
            "kubectl (with its built-in kustomize) is missing: {SETUP_HINT}"
        );
        let py = Command::new("python3")
            .args([
                "-c",
                "import kubernetes_validate, jsonschema, referencing, yaml",
            ])
            .output();
        assert!(
            matches!(&py, Ok(o) if o.status.success()),
            "python3 with kubernetes-validate and jsonschema is missing: {SETUP_HINT}"
        );
    });
}

/// Fails when Go (new enough to match kubeseal v0.36) or sigs.k8s.io/yaml
/// (kubeseal's serializer) is missing.
pub fn require_go() {
    gotool::require_go_libraries();
}

/// A throwaway copy of the repository's k8s/ tree (and .gitignore), so tests
/// can add env files or break the overlays without touching the working tree.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    /// Copies k8s/ (never any real `*secrets.env` file) and, for dev, puts the
    /// committed example in place of the untracked `dev-secrets.env`.
    pub fn new() -> Tree {
        require_tools();
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&repo().join("k8s"), &dir.path().join("k8s"));
        fs::copy(repo().join(".gitignore"), dir.path().join(".gitignore"))
            .expect("copy .gitignore");
        let t = Tree { dir };
        fs::copy(
            t.overlay("dev").join("dev-secrets.env.example"),
            t.overlay("dev").join("dev-secrets.env"),
        )
        .expect("copy dev-secrets.env.example");
        t
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn overlay(&self, env: &str) -> PathBuf {
        self.root().join("k8s/overlays").join(env)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// `kubectl kustomize` of `k8s/overlays/<env>` (or `k8s/base` for "base").
    pub fn try_render(&self, env: &str) -> Result<String, String> {
        let dir = if env == "base" {
            self.root().join("k8s/base")
        } else {
            self.overlay(env)
        };
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .expect("run kubectl kustomize");
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).expect("utf-8 render"))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    pub fn render(&self, env: &str) -> String {
        self.try_render(env)
            .unwrap_or_else(|e| panic!("kubectl kustomize {env} failed: {e}"))
    }

    /// Renders `env` and runs the full check on it (schemas, SealedSecret
    /// metadata, references, namespace, and that kustomize left each of the
    /// overlay's sealed files ([`EnvSpec::sealed_files`]) untouched and
    /// rendered no other SealedSecret).
    pub fn check_env(&self, env: &str) -> Vec<Finding> {
        let rendered = self.render(env);
        // No --external-claim: the overlay renders its reports claim, so a
        // pod mounting any other claim is a dangling reference.
        let mut args = vec!["--namespace".to_string(), format!("emp-system-{env}")];
        for file in spec(env).sealed_files() {
            args.push("--sealed-source".into());
            args.push(self.overlay(env).join(file).display().to_string());
        }
        check(&rendered, &args)
    }

    /// Base with the components `env`'s overlay includes (the KEDA
    /// component): what the overlay starts from before its own changes.
    pub fn render_base_for(&self, env: &str) -> String {
        let k: Value =
            serde_yaml::from_str(&self.read(&format!("k8s/overlays/{env}/kustomization.yaml")))
                .expect("kustomization.yaml");
        // A sibling of the overlay, so the overlay's relative component
        // paths (../../components/...) mean the same there.
        let dir = self.path(&format!("k8s/overlays/.base-for-{env}"));
        fs::create_dir_all(&dir).unwrap();
        let mut kz = serde_yaml::Mapping::new();
        kz.insert("resources".into(), vec!["../../base"].into());
        kz.insert("components".into(), k["components"].clone());
        fs::write(
            dir.join("kustomization.yaml"),
            serde_yaml::to_string(&kz).unwrap(),
        )
        .unwrap();
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .expect("run kubectl kustomize");
        fs::remove_dir_all(&dir).unwrap();
        assert!(
            out.status.success(),
            "kubectl kustomize base + {env}'s components: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 render")
    }

    /// Drift of `env` against base and the components its overlay includes
    /// (differences not declared by the overlay).
    pub fn drift(&self, env: &str) -> Vec<Finding> {
        let base = self.render_base_for(env);
        let rendered = self.render(env);
        let tmp = tempfile::tempdir().expect("tempdir");
        let (b, r) = (tmp.path().join("base.yaml"), tmp.path().join("env.yaml"));
        fs::write(&b, base).unwrap();
        fs::write(&r, rendered).unwrap();
        let overlay = self.overlay(env);
        findings(&validator(&[
            "drift",
            "--base",
            b.to_str().unwrap(),
            "--rendered",
            r.to_str().unwrap(),
            "--overlay",
            overlay.to_str().unwrap(),
            "--env",
            env,
        ]))
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        fs::write(self.path(rel), text).unwrap_or_else(|e| panic!("write {rel}: {e}"))
    }

    /// Replaces exactly one occurrence of `from` in a file of the tree.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert_eq!(
            text.matches(from).count(),
            1,
            "{rel} must contain {from:?} exactly once for this test to break it"
        );
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Edits a kustomization.yaml (or any YAML file) as a YAML value.
    pub fn edit_yaml(&self, rel: &str, f: impl FnOnce(&mut serde_yaml::Mapping)) {
        let mut v: Value = serde_yaml::from_str(&self.read(rel)).expect("yaml");
        f(v.as_mapping_mut().expect("mapping"));
        self.write(rel, &serde_yaml::to_string(&v).unwrap());
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else if ty.is_file() && !name.ends_with("secrets.env") {
            fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

/// One finding of tests/k8s/validate.py.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Finding {
    pub code: String,
    pub object: String,
    pub message: String,
}

/// Runs tests/k8s/validate.py with `args`; returns its stdout (exit 0 or 1).
pub fn validator(args: &[&str]) -> String {
    require_tools();
    let out = Command::new("python3")
        .arg(repo().join("tests/k8s/validate.py"))
        .args(args)
        .output()
        .expect("run validate.py");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "validate.py {args:?} failed (exit {code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn findings(json: &str) -> Vec<Finding> {
    #[derive(serde::Deserialize)]
    struct F {
        findings: Vec<Finding>,
    }
    serde_json::from_str::<F>(json)
        .expect("validate.py JSON")
        .findings
}

/// `validate.py check` of a rendered manifest, with extra arguments.
pub fn check(rendered: &str, extra: &[String]) -> Vec<Finding> {
    check_version(rendered, extra, None)
}

pub fn check_version(rendered: &str, extra: &[String], k8s: Option<&str>) -> Vec<Finding> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("rendered.yaml");
    fs::write(&f, rendered).unwrap();
    let crds = crds_dir();
    let mut args: Vec<String> = vec![
        "check".into(),
        "--rendered".into(),
        f.display().to_string(),
        "--crds".into(),
        crds.display().to_string(),
    ];
    if let Some(v) = k8s {
        args.push("--k8s-version".into());
        args.push(v.into());
    }
    args.extend(extra.iter().cloned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    findings(&validator(&refs))
}

/// Every reference the objects of a rendered manifest make.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Ref {
    pub object: String,
    pub namespace: Option<String>,
    pub kind: String,
    pub name: Option<String>,
    pub key: Option<String>,
    pub r#where: String,
}

pub fn refs(rendered: &str) -> Vec<Ref> {
    #[derive(serde::Deserialize)]
    struct R {
        refs: Vec<Ref>,
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("rendered.yaml");
    fs::write(&f, rendered).unwrap();
    serde_json::from_str::<R>(&validator(&["refs", "--rendered", f.to_str().unwrap()]))
        .expect("refs JSON")
        .refs
}

/// Asserts that `findings` holds at least one finding with `code` whose
/// message contains `needle`; prints all findings otherwise.
pub fn assert_finding(findings: &[Finding], code: &str, needle: &str) {
    assert!(
        findings
            .iter()
            .any(|f| f.code == code && (f.message.contains(needle) || f.object.contains(needle))),
        "expected a {code} finding mentioning {needle:?}, got: {findings:#?}"
    );
}

/// The YAML documents of a manifest.
pub fn docs(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).expect("yaml document"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// The one object of `kind` in `objs` (panics when there is not exactly one).
pub fn one<'a>(objs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = objs.iter().filter(|o| o["kind"] == kind).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {kind}, got {}",
        found.len()
    );
    found[0]
}

pub fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

/// What kubeseal's serializer (sigs.k8s.io/yaml over go-yaml v2, run by
/// tests/k8s/kubeseal_yaml.go) prints for the SealedSecret kubeseal would
/// build with the names and keys of the sealed secret file at `path`.
pub fn kubeseal_layout(path: &Path) -> String {
    require_go();
    let gopath = tempfile::tempdir().unwrap();
    let json = validator(&["kubeseal-json", "--file", path.to_str().unwrap()]);
    let (ok, printed, err) = run_with_stdin(
        gotool::go_command(gopath.path())
            .args(["run", "kubeseal_yaml.go"])
            .current_dir(repo().join("tests/k8s")),
        json.as_bytes(),
    );
    assert!(ok, "go run kubeseal_yaml.go: {err}");
    String::from_utf8(printed).unwrap()
}

/// Runs a command with stdin, returning (status ok, stdout, stderr).
pub fn run_with_stdin(cmd: &mut Command, stdin: &[u8]) -> (bool, Vec<u8>, String) {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What each environment must render to. Paper's values are the paper
/// trading profile's (docs/paper-trading-profile.md); dev's and prod's are the
/// layout's choices, documented in docs/layout.md (tests/cli/k8s_docs.rs checks
/// that table against this one).
#[derive(Debug, Clone, Copy)]
pub struct EnvSpec {
    pub env: &'static str,
    pub namespace: &'static str,
    pub replay_list: &'static str,
    pub min_workers: i64,
    pub max_workers: i64,
    pub polling_interval: i64,
    pub list_length: &'static str,
    pub min_confidence: &'static str,
    pub replicas: i64,
    pub image_tag: &'static str,
    pub host: &'static str,
    pub trading_mode: &'static str,
    /// Name of the Secret the env produces: exact for sealed envs, a prefix
    /// (before kustomize's content hash) for dev's generated Secret.
    pub secret: &'static str,
    pub sealed: bool,
    /// The env's image-pull secret (a second SealedSecret, type
    /// kubernetes.io/dockerconfigjson, in pull-secret.yaml), named by the
    /// imagePullSecrets of the app, the nightly replay and the replay workers.
    pub pull_secret: Option<&'static str>,
    /// The reports claim's storage class and requested size.
    pub reports_class: &'static str,
    pub reports_size: &'static str,
    /// Days the retention CronJob keeps replay evidence.
    pub retention_days: &'static str,
}

pub const SPECS: [EnvSpec; 3] = [
    EnvSpec {
        env: "dev",
        namespace: "emp-system-dev",
        replay_list: "emp:replay:dev",
        min_workers: 0,
        max_workers: 2,
        polling_interval: 60,
        list_length: "10",
        min_confidence: "0.5",
        replicas: 1,
        image_tag: "1.5.0-rc.1",
        host: "emp-dev.example.internal",
        trading_mode: "paper",
        secret: "emp-secrets-dev-",
        sealed: false,
        pull_secret: None,
        reports_class: "shared-rwx",
        reports_size: "5Gi",
        retention_days: "7",
    },
    EnvSpec {
        env: "paper",
        namespace: "emp-system-paper",
        replay_list: "emp:replay:paper",
        min_workers: 1,
        max_workers: 8,
        polling_interval: 15,
        list_length: "5",
        min_confidence: "0.65",
        replicas: 2,
        image_tag: "1.4.0",
        host: "emp-paper.example.internal",
        trading_mode: "paper",
        secret: "emp-secrets-paper",
        sealed: true,
        pull_secret: Some("emp-registry-paper"),
        reports_class: "shared-rwx",
        reports_size: "50Gi",
        retention_days: "90",
    },
    EnvSpec {
        env: "prod",
        namespace: "emp-system-prod",
        replay_list: "emp:replay:prod",
        min_workers: 2,
        max_workers: 16,
        polling_interval: 10,
        list_length: "3",
        min_confidence: "0.75",
        replicas: 3,
        image_tag: "1.3.2",
        host: "emp.example.com",
        trading_mode: "live",
        secret: "emp-secrets-prod",
        sealed: true,
        pull_secret: None,
        reports_class: "shared-rwx",
        reports_size: "200Gi",
        retention_days: "400",
    },
];

impl EnvSpec {
    /// The overlay's committed SealedSecret files: the credentials'
    /// sealedsecret.yaml (sealed envs) and the image-pull secret's
    /// pull-secret.yaml.
    pub fn sealed_files(&self) -> Vec<&'static str> {
        let mut files = vec![];
        if self.sealed {
            files.push("sealedsecret.yaml");
        }
        if self.pull_secret.is_some() {
            files.push("pull-secret.yaml");
        }
        files
    }
}

pub fn spec(env: &str) -> EnvSpec {
    *SPECS.iter().find(|s| s.env == env).expect("known env")
}

/// Every way a rendered env departs from its spec and from the seeds'
/// common values (schedule, artefact path, claim, names); empty when it
/// matches.
pub fn spec_mismatches(sp: &EnvSpec, rendered: &str) -> Vec<String> {
    spec_mismatches_keda(sp, rendered, true)
}

/// [`spec_mismatches`] of an overlay rendered with (`keda`) or without the
/// KEDA component: without it, no ScaledJob and no TriggerAuthentication.
pub fn spec_mismatches_keda(sp: &EnvSpec, rendered: &str, keda: bool) -> Vec<String> {
    let objs = docs(rendered);
    let bad = std::cell::RefCell::new(Vec::new());
    let expect = |what: &str, got: &Value, want: Value| {
        if *got != want {
            bad.borrow_mut()
                .push(format!("{}: {what} is {got:?}, expected {want:?}", sp.env));
        }
    };
    let env = sp.env;
    let by = |kind: &str| -> Vec<&Value> { objs.iter().filter(|o| o["kind"] == kind).collect() };

    let ns = by("Namespace");
    expect(
        "Namespace count",
        &Value::from(ns.len() as i64),
        Value::from(1),
    );
    if let Some(n) = ns.first() {
        expect(
            "Namespace name",
            &n["metadata"]["name"],
            sp.namespace.into(),
        );
    }

    let cm = by("ConfigMap");
    if let Some(cm) = cm.first() {
        expect(
            "ConfigMap name",
            &cm["metadata"]["name"],
            format!("emp-config-{env}").into(),
        );
        expect(
            "EMP_REPLAY_QUEUE",
            &cm["data"]["EMP_REPLAY_QUEUE"],
            sp.replay_list.into(),
        );
        expect(
            "EMP_REPLAY_ARTIFACT_DIR",
            &cm["data"]["EMP_REPLAY_ARTIFACT_DIR"],
            "/app/artifacts/nightly_replay".into(),
        );
        expect(
            "EMP_ENVIRONMENT",
            &cm["data"]["EMP_ENVIRONMENT"],
            env.into(),
        );
        expect(
            "EMP_TRADING_MODE",
            &cm["data"]["EMP_TRADING_MODE"],
            sp.trading_mode.into(),
        );
    } else {
        bad.borrow_mut().push(format!("{env}: no ConfigMap"));
    }

    for d in by("Deployment") {
        expect(
            "Deployment name",
            &d["metadata"]["name"],
            format!("emp-app-{env}").into(),
        );
        expect(
            "Deployment imagePullSecrets",
            &d["spec"]["template"]["spec"]["imagePullSecrets"],
            image_pull_secrets(sp),
        );
        expect(
            "Deployment replicas",
            &d["spec"]["replicas"],
            sp.replicas.into(),
        );
        expect(
            "Deployment image",
            &d["spec"]["template"]["spec"]["containers"][0]["image"],
            format!("ghcr.io/emp-trading/emp:{}", sp.image_tag).into(),
        );
    }
    for i in by("Ingress") {
        expect(
            "Ingress host",
            &i["spec"]["rules"][0]["host"],
            sp.host.into(),
        );
    }

    let runner: Value = format!("emp-replay-runner-{env}").into();
    let cron = by("CronJob");
    expect(
        "CronJob count",
        &Value::from(cron.len() as i64),
        Value::from(2),
    );
    let nightly_name = format!("emp-nightly-replay-{env}");
    let nightly: Vec<&Value> = cron
        .iter()
        .copied()
        .filter(|c| c["metadata"]["name"] == nightly_name.as_str())
        .collect();
    expect(
        "CronJob emp-nightly-replay count",
        &Value::from(nightly.len() as i64),
        Value::from(1),
    );
    for c in nightly {
        expect(
            "CronJob schedule",
            &c["spec"]["schedule"],
            "0 3 * * *".into(),
        );
        expect("CronJob timeZone", &c["spec"]["timeZone"], "Etc/UTC".into());
        let pod = &c["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        expect(
            "CronJob imagePullSecrets",
            &pod["imagePullSecrets"],
            image_pull_secrets(sp),
        );
        expect(
            "CronJob serviceAccountName",
            &pod["serviceAccountName"],
            runner.clone(),
        );
        let args: Vec<&str> = pod["containers"][0]["args"]
            .as_sequence()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let after = |flag: &str| -> Value {
            args.iter()
                .position(|a| *a == flag)
                .and_then(|i| args.get(i + 1))
                .map(|v| Value::from(*v))
                .unwrap_or(Value::Null)
        };
        expect(
            "nightly --min-confidence",
            &after("--min-confidence"),
            sp.min_confidence.into(),
        );
        expect(
            "nightly --output-dir",
            &after("--output-dir"),
            "/app/artifacts/nightly_replay".into(),
        );
        bad.borrow_mut()
            .extend(artefacts_on_reports_claim(env, "CronJob", pod));
        bad.borrow_mut()
            .extend(replay_identity(sp, "CronJob", pod, &objs));
    }
    bad.borrow_mut().extend(retention_mismatches(sp, &objs));
    bad.borrow_mut().extend(reports_claim_mismatches(sp, &objs));

    let keda_count = Value::from(if keda { 1 } else { 0 });
    let sj = by("ScaledJob");
    expect(
        "ScaledJob count",
        &Value::from(sj.len() as i64),
        keda_count.clone(),
    );
    for j in sj {
        expect(
            "ScaledJob name",
            &j["metadata"]["name"],
            format!("emp-replay-autoscaler-{env}").into(),
        );
        expect(
            "ScaledJob minReplicaCount",
            &j["spec"]["minReplicaCount"],
            sp.min_workers.into(),
        );
        expect(
            "ScaledJob maxReplicaCount",
            &j["spec"]["maxReplicaCount"],
            sp.max_workers.into(),
        );
        expect(
            "ScaledJob pollingInterval",
            &j["spec"]["pollingInterval"],
            sp.polling_interval.into(),
        );
        let t = &j["spec"]["triggers"][0];
        expect("trigger type", &t["type"], "redis".into());
        expect(
            "trigger listName",
            &t["metadata"]["listName"],
            sp.replay_list.into(),
        );
        expect(
            "trigger listLength",
            &t["metadata"]["listLength"],
            sp.list_length.into(),
        );
        expect(
            "trigger authenticationRef",
            &t["authenticationRef"]["name"],
            format!("emp-replay-trigger-auth-{env}").into(),
        );
        let pod = &j["spec"]["jobTargetRef"]["template"]["spec"];
        expect(
            "ScaledJob imagePullSecrets",
            &pod["imagePullSecrets"],
            image_pull_secrets(sp),
        );
        expect(
            "ScaledJob serviceAccountName",
            &pod["serviceAccountName"],
            runner.clone(),
        );
        bad.borrow_mut()
            .extend(artefacts_on_reports_claim(env, "ScaledJob", pod));
        bad.borrow_mut()
            .extend(replay_identity(sp, "ScaledJob", pod, &objs));
    }

    let ta = by("TriggerAuthentication");
    expect(
        "TriggerAuthentication count",
        &Value::from(ta.len() as i64),
        keda_count,
    );
    for t in ta {
        let r = &t["spec"]["secretTargetRef"][0];
        expect(
            "secretTargetRef parameter",
            &r["parameter"],
            "password".into(),
        );
        expect("secretTargetRef key", &r["key"], "REDIS_PASSWORD".into());
    }

    let sas: Vec<&Value> = by("ServiceAccount");
    let mut names: Vec<String> = sas
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    names.sort();
    expect(
        "ServiceAccounts",
        &Value::from(names),
        Value::from(vec![
            format!("emp-app-{env}"),
            format!("emp-replay-runner-{env}"),
        ]),
    );

    // The env's Secret: sealed (paper, prod) or generated (dev).
    let (sealed, secrets) = (by("SealedSecret"), by("Secret"));
    if sp.sealed {
        // The credentials, and the image-pull secret where the env has one.
        let want: Vec<&str> = [sp.secret].into_iter().chain(sp.pull_secret).collect();
        expect(
            "SealedSecret count",
            &Value::from(sealed.len() as i64),
            Value::from(want.len() as i64),
        );
        expect(
            "plain Secret count",
            &Value::from(secrets.len() as i64),
            Value::from(0),
        );
        let mut names: Vec<&str> = sealed
            .iter()
            .map(|s| s["metadata"]["name"].as_str().unwrap_or(""))
            .collect();
        names.sort();
        let mut want_names = want.clone();
        want_names.sort();
        expect(
            "SealedSecret names",
            &Value::from(names),
            Value::from(want_names),
        );
        for s in sealed {
            expect(
                "SealedSecret namespace",
                &s["metadata"]["namespace"],
                sp.namespace.into(),
            );
            let want_type = if Some(s["metadata"]["name"].as_str().unwrap_or("")) == sp.pull_secret
            {
                "kubernetes.io/dockerconfigjson"
            } else {
                "Opaque"
            };
            expect(
                "SealedSecret type",
                &s["spec"]["template"]["type"],
                want_type.into(),
            );
        }
    } else {
        expect(
            "SealedSecret count",
            &Value::from(sealed.len() as i64),
            Value::from(0),
        );
        expect(
            "Secret count",
            &Value::from(secrets.len() as i64),
            Value::from(1),
        );
        for s in secrets {
            let n = s["metadata"]["name"].as_str().unwrap_or("");
            if !(n.starts_with(sp.secret) && n.len() == sp.secret.len() + 10) {
                bad.borrow_mut().push(format!(
                    "{env}: generated Secret is named {n:?}, expected {}<hash>",
                    sp.secret
                ));
            }
        }
    }
    bad.into_inner()
}

/// The `imagePullSecrets` of a pod template running the ghcr.io image: the
/// env's pull secret, or none (Null: the field is absent).
fn image_pull_secrets(sp: &EnvSpec) -> Value {
    match sp.pull_secret {
        Some(name) => serde_yaml::from_str(&format!("[{{name: {name}}}]")).unwrap(),
        None => Value::Null,
    }
}

/// The artefact directory is on a volume mount of the emp-reports-pvc claim.
fn artefacts_on_reports_claim(env: &str, what: &str, pod: &Value) -> Vec<String> {
    let claim_vols: Vec<&str> = pod["volumes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter(|v| v["persistentVolumeClaim"]["claimName"] == "emp-reports-pvc")
        .filter_map(|v| v["name"].as_str())
        .collect();
    let mounted = pod["containers"][0]["volumeMounts"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|m| {
            let mp = m["mountPath"].as_str().unwrap_or("-");
            claim_vols.contains(&m["name"].as_str().unwrap_or(""))
                && "/app/artifacts/nightly_replay/"
                    .starts_with(&format!("{}/", mp.trim_end_matches('/')))
        });
    if mounted {
        vec![]
    } else {
        vec![format!(
            "{env}: {what} does not write /app/artifacts/nightly_replay on claim emp-reports-pvc"
        )]
    }
}

/// The value a container's environment gives `name`: its `env` entry (a
/// literal or a downward-API field path, as `fieldRef:<path>`), else the
/// key of an `envFrom` ConfigMap of `objs`.
pub fn container_env(container: &Value, objs: &[Value], name: &str) -> Option<String> {
    for e in container["env"].as_sequence().into_iter().flatten() {
        if e["name"] == name {
            if let Some(v) = e["value"].as_str() {
                return Some(v.to_string());
            }
            if let Some(p) = e["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
                return Some(format!("fieldRef:{p}"));
            }
            return Some(format!("{:?}", e["valueFrom"]));
        }
    }
    for ef in container["envFrom"].as_sequence().into_iter().flatten() {
        let Some(cm) = ef["configMapRef"]["name"].as_str() else {
            continue;
        };
        let prefix = ef["prefix"].as_str().unwrap_or("");
        let Some(key) = name.strip_prefix(prefix) else {
            continue;
        };
        if let Some(o) = objs
            .iter()
            .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == cm)
        {
            if let Some(v) = o["data"][key].as_str() {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// Every container of a replay pod learns where and what it runs as: the
/// namespace, Job and pod names from the downward API (the pods mount no
/// API token), the environment from emp-config, and the image tag its own
/// image has.
fn replay_identity(sp: &EnvSpec, what: &str, pod: &Value, objs: &[Value]) -> Vec<String> {
    let mut bad = vec![];
    let containers = pod["containers"].as_sequence().cloned().unwrap_or_default();
    if containers.is_empty() {
        bad.push(format!("{}: {what} has no containers", sp.env));
    }
    for c in &containers {
        let cname = c["name"].as_str().unwrap_or("?");
        let tag = c["image"]
            .as_str()
            .and_then(|i| i.rsplit_once(':'))
            .map(|(_, t)| t.to_string());
        let want: [(&str, Option<String>); 5] = [
            ("EMP_NAMESPACE", Some("fieldRef:metadata.namespace".into())),
            (
                "EMP_JOB_NAME",
                Some("fieldRef:metadata.labels['batch.kubernetes.io/job-name']".into()),
            ),
            ("EMP_POD_NAME", Some("fieldRef:metadata.name".into())),
            ("EMP_ENVIRONMENT", Some(sp.env.into())),
            ("EMP_IMAGE_TAG", Some(sp.image_tag.into())),
        ];
        for (var, value) in want {
            let got = container_env(c, objs, var);
            if got != value {
                bad.push(format!(
                    "{}: {what} container {cname}: {var} is {got:?}, expected {value:?}",
                    sp.env
                ));
            }
        }
        if tag.as_deref() != Some(sp.image_tag) {
            bad.push(format!(
                "{}: {what} container {cname} runs image tag {tag:?}, expected {}",
                sp.env, sp.image_tag
            ));
        }
    }
    bad
}

/// The retention CronJob: one, daily, in UTC, on the reports claim over the
/// artefact directory, told the environment's retention in days and its
/// namespace, and the only job that deletes anything.
fn retention_mismatches(sp: &EnvSpec, objs: &[Value]) -> Vec<String> {
    let env = sp.env;
    let name = format!("emp-replay-retention-{env}");
    let found: Vec<&Value> = objs
        .iter()
        .filter(|o| o["kind"] == "CronJob" && o["metadata"]["name"] == name.as_str())
        .collect();
    if found.len() != 1 {
        return vec![format!(
            "{env}: {} CronJob(s) {name}, expected 1",
            found.len()
        )];
    }
    let c = found[0];
    let mut bad = vec![];
    if c["spec"]["timeZone"] != "Etc/UTC" || c["spec"]["schedule"] != "0 5 * * *" {
        bad.push(format!(
            "{env}: {name} runs at {:?} {:?}, expected \"0 5 * * *\" Etc/UTC",
            c["spec"]["schedule"], c["spec"]["timeZone"]
        ));
    }
    if c["spec"]["suspend"] == true {
        bad.push(format!("{env}: {name} is suspended"));
    }
    let pod = &c["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    bad.extend(artefacts_on_reports_claim(env, &name, pod));
    // Its public busybox image needs no registry credentials.
    if !pod["imagePullSecrets"].is_null() {
        bad.push(format!(
            "{env}: {name} has imagePullSecrets {:?}, expected none",
            pod["imagePullSecrets"]
        ));
    }
    let ctr = &pod["containers"][0];
    for (var, want) in [
        ("EMP_REPLAY_RETENTION_DAYS", sp.retention_days.to_string()),
        (
            "EMP_REPLAY_ARTIFACT_DIR",
            "/app/artifacts/nightly_replay".to_string(),
        ),
        ("EMP_NAMESPACE", "fieldRef:metadata.namespace".to_string()),
    ] {
        let got = container_env(ctr, objs, var);
        if got.as_deref() != Some(want.as_str()) {
            bad.push(format!(
                "{env}: {name}: {var} is {got:?}, expected {want:?}"
            ));
        }
    }
    let script = retention_script(c);
    for var in ["$EMP_REPLAY_RETENTION_DAYS", "$EMP_REPLAY_ARTIFACT_DIR"] {
        if !script.contains(var) {
            bad.push(format!("{env}: {name} does not read {var}"));
        }
    }
    bad
}

/// The shell script the retention CronJob's container runs (`sh -c SCRIPT`).
pub fn retention_script(cronjob: &Value) -> String {
    let ctr = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let argv: Vec<&str> = ctr["command"]
        .as_sequence()
        .into_iter()
        .flatten()
        .chain(ctr["args"].as_sequence().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    assert!(
        argv.len() == 3 && argv[0].ends_with("sh") && argv[1] == "-c",
        "the retention container runs `sh -c SCRIPT`, got {argv:?}"
    );
    argv[2].to_string()
}

/// The reports claim: one, unsuffixed, ReadWriteMany, with the
/// environment's class and size.
fn reports_claim_mismatches(sp: &EnvSpec, objs: &[Value]) -> Vec<String> {
    let env = sp.env;
    let pvcs: Vec<&Value> = objs
        .iter()
        .filter(|o| o["kind"] == "PersistentVolumeClaim")
        .collect();
    if pvcs.len() != 1 {
        return vec![format!(
            "{env}: {} PersistentVolumeClaims, expected 1",
            pvcs.len()
        )];
    }
    let p = pvcs[0];
    let mut bad = vec![];
    let want = [
        (
            "name",
            &p["metadata"]["name"],
            Value::from("emp-reports-pvc"),
        ),
        (
            "namespace",
            &p["metadata"]["namespace"],
            sp.namespace.into(),
        ),
        (
            "accessModes",
            &p["spec"]["accessModes"],
            Value::from(vec!["ReadWriteMany"]),
        ),
        (
            "storageClassName",
            &p["spec"]["storageClassName"],
            sp.reports_class.into(),
        ),
        (
            "storage request",
            &p["spec"]["resources"]["requests"]["storage"],
            sp.reports_size.into(),
        ),
    ];
    for (what, got, want) in want {
        if *got != want {
            bad.push(format!(
                "{env}: reports claim {what} is {got:?}, expected {want:?}"
            ));
        }
    }
    bad
}
