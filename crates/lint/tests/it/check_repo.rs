//! `check` over a k8s/ tree shaped like the project's (testdata/check/repo), over
//! real `kubectl kustomize` output read from a pipe (stdin input), and over a real
//! git repository with a tracked `*secrets.env` file.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use empseal_lint::{check_inputs, check_paths_with_stdin, Code, Input};
use support::*;

const ENVS: [&str; 2] = ["paper", "prod"];

/// The committed placeholders of the miniature tree: (file, code, line, column).
fn committed_placeholders(prefix: &str) -> BTreeSet<(String, String, usize, usize)> {
    let mut set = BTreeSet::new();
    for env in ENVS {
        let file = format!("{prefix}/overlays/{env}/sealedsecret.yaml");
        // `    API_KEY: AgAAAA...`, `    POSTGRES_PASSWORD: ...`, `    REDIS_PASSWORD: ...`
        for (line, col) in [(10, 14), (11, 24), (12, 21)] {
            set.insert((file.clone(), "ES101".to_string(), line, col));
        }
    }
    set
}

fn located(report: &empseal_lint::Report) -> BTreeSet<(String, String, usize, usize)> {
    report
        .findings
        .iter()
        .map(|f| (f.file.clone(), f.code.id().to_string(), f.line, f.column))
        .collect()
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("git; run `bash .ci/setup`");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn k8s_tree_reports_exactly_the_committed_placeholders() {
    // Relative path, as CI runs it from the repository root (these tests run in
    // crates/lint); the git check is on (this checkout tracks only *.env.example
    // files there).
    let k8s = "../../testdata/check/repo/k8s";
    let mut opts = options(None);
    opts.check_git = true;
    let report = check_inputs(vec![Input::Path(PathBuf::from(k8s))], &opts).unwrap();
    assert_eq!(located(&report), committed_placeholders(k8s));
    assert_eq!(report.sealed_secrets, 2);
    assert_eq!(report.values, 6);
    assert!(report.fails(empseal_lint::Severity::Error));
    for f in &report.findings {
        assert_eq!(
            f.key
                .as_deref()
                .map(|k| k.ends_with("_KEY") || k.ends_with("_PASSWORD")),
            Some(true)
        );
    }
}

fn freshly_sealed_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&root().join("testdata/check/repo"), tmp.path());
    let mut files = Vec::new();
    for env in ENVS {
        let file = tmp
            .path()
            .join(format!("k8s/overlays/{env}/sealedsecret.yaml"));
        let text = std::fs::read_to_string(&file).unwrap().replace(
            "AgAAAA...",
            &format!("{{{{kubesealpy4096:emp-system-{env}/emp-secrets-{env}}}}}"),
        );
        std::fs::write(&file, text).unwrap();
        files.push(file);
    }
    fill_tokens(&files);
    tmp
}

#[test]
fn a_freshly_sealed_tree_is_clean() {
    let tmp = freshly_sealed_copy();
    let k8s = tmp.path().join("k8s");
    let report = check_inputs(
        vec![Input::Path(k8s.clone())],
        &options(Some(certs().expected_key(4096))),
    )
    .unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.values, 6);

    // The same through kustomize, as `check --env paper` sees it.
    for env in ENVS {
        let report = kustomize_check(&k8s.join("overlays").join(env), true);
        assert!(report.findings.is_empty(), "{env}: {:#?}", report.findings);
        assert_eq!(report.sealed_secrets, 1);
    }
}

/// Pipes `kubectl kustomize DIR` into `check -` (stdin), as a sealed env or not.
fn kustomize_check(dir: &Path, sealed_only: bool) -> empseal_lint::Report {
    require("kubectl", &["version", "--client"]);
    let mut child = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("kubectl; run `bash .ci/setup`");
    let mut opts = options(None);
    opts.sealed_only = sealed_only;
    let stdout = child.stdout.take().unwrap();
    let report = check_paths_with_stdin(&[PathBuf::from("-")], &opts, stdout).unwrap();
    assert!(
        child.wait().unwrap().success(),
        "kubectl kustomize {}",
        dir.display()
    );
    report
}

fn kustomize(dir: &Path) -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl; run `bash .ci/setup`");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// (line, column) of `needle` in `text`, both 1-based, found by plain search.
fn find(text: &str, line_prefix: &str, needle: &str) -> (usize, usize) {
    let (i, l) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with(line_prefix))
        .unwrap_or_else(|| panic!("{line_prefix} not in rendered output"));
    (i + 1, l.find(needle).unwrap() + 1)
}

#[test]
fn stdin_input_checks_kustomize_output_at_rendered_positions() {
    let paper = root().join("testdata/check/repo/k8s/overlays/paper");
    let rendered = kustomize(&paper);
    let report = kustomize_check(&paper, true);
    let mut expected = BTreeSet::new();
    for key in ["API_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"] {
        let (l, c) = find(&rendered, &format!("{key}: AgAAAA"), "AgAAAA");
        expected.insert(("<stdin>".to_string(), "ES101".to_string(), l, c));
    }
    assert_eq!(located(&report), expected);
    assert_eq!(report.files, 1);
    assert!(report.documents >= 3);

    // dev renders a plaintext Secret: fine for dev, an error when the env must be sealed.
    let dev = root().join("testdata/check/repo/k8s/overlays/dev");
    assert!(kustomize_check(&dev, false).findings.is_empty());
    let report = kustomize_check(&dev, true);
    let rendered = kustomize(&dev);
    let secret_doc_start = rendered.find("kind: Secret").unwrap();
    let data_line = rendered[..secret_doc_start]
        .rfind("\ndata:")
        .map(|i| rendered[..i].lines().count() + 1)
        .unwrap();
    assert_eq!(located(&report).len(), 1);
    let f = &report.findings[0];
    assert_eq!(
        (f.code, f.line, f.column),
        (Code::PlaintextSecret, data_line, 1)
    );
    assert!(!f.message.contains("ZGV2") && !f.message.contains("dev-api-key"));
}

#[test]
fn a_kustomize_rename_that_breaks_strict_values_is_caught_in_rendered_output() {
    let tmp = freshly_sealed_copy();
    let paper = tmp.path().join("k8s/overlays/paper");
    let kfile = paper.join("kustomization.yaml");
    let k = std::fs::read_to_string(&kfile).unwrap();
    std::fs::write(&kfile, format!("{k}nameSuffix: -v2\n")).unwrap();
    let rendered = kustomize(&paper);
    let report = kustomize_check(&paper, true);
    // kustomize renamed metadata.name but not spec.template.metadata.name: the
    // template's `name:` is the last line naming the old name.
    assert!(rendered.contains("name: emp-secrets-paper-v2\n"));
    let (l, c) = rendered
        .lines()
        .enumerate()
        .filter(|(_, x)| x.trim() == "name: emp-secrets-paper")
        .map(|(i, x)| (i + 1, x.find("name").unwrap() + 1))
        .last()
        .unwrap();
    assert_eq!(
        located(&report),
        BTreeSet::from([("<stdin>".to_string(), "ES301".to_string(), l, c)])
    );
}

#[test]
fn a_tracked_secrets_env_file_is_reported() {
    require("git", &["--version"]);
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&root().join("testdata/check/repo"), repo.path());
    std::fs::write(
        repo.path().join(".gitignore"),
        "*secrets.env\n!*secrets.env.example\n",
    )
    .unwrap();
    let paper_env = repo.path().join("k8s/overlays/paper/paper-secrets.env");
    std::fs::write(&paper_env, "API_KEY=S3cr3t-PLAINTEXT-api\n").unwrap();
    std::fs::write(
        repo.path().join("k8s/overlays/prod/prod-secrets.env"),
        "API_KEY=S3cr3t-PLAINTEXT-untracked\n",
    )
    .unwrap();
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(
        repo.path(),
        &["add", "-f", "k8s/overlays/paper/paper-secrets.env"],
    );
    git(repo.path(), &["commit", "-q", "-m", "oops"]);
    // Staged but not committed: a pre-commit hook must see it too.
    let dev_env = repo.path().join("k8s/overlays/dev/dev-secrets.env");
    std::fs::write(&dev_env, "API_KEY=S3cr3t-PLAINTEXT-dev\n").unwrap();
    git(
        repo.path(),
        &["add", "-f", "k8s/overlays/dev/dev-secrets.env"],
    );

    let k8s = repo.path().join("k8s");
    let report = check_inputs(vec![Input::Path(k8s.clone())], &{
        let mut o = options(None);
        o.check_git = true;
        o
    })
    .unwrap();
    let tracked: BTreeSet<_> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::TrackedEnvFile)
        .map(|f| (f.file.clone(), f.line, f.column))
        .collect();
    assert_eq!(
        tracked,
        BTreeSet::from([
            (dev_env.to_string_lossy().into_owned(), 1, 1),
            (paper_env.to_string_lossy().into_owned(), 1, 1),
        ])
    );
    let k8s_s = k8s.to_string_lossy().into_owned();
    let others: BTreeSet<_> = located(&report)
        .into_iter()
        .filter(|(_, c, _, _)| c != "ES502")
        .collect();
    assert_eq!(others, committed_placeholders(&k8s_s));
    for f in &report.findings {
        assert!(!f.message.contains("S3cr3t"), "{}", f.message);
    }

    let git_opts = {
        let mut o = options(None);
        o.check_git = true;
        o
    };
    // The env file given directly (as pre-commit passes staged files).
    let direct = check_inputs(vec![Input::Path(paper_env.clone())], &git_opts).unwrap();
    assert_eq!(located(&direct).len(), 1);
    assert_eq!(direct.findings[0].code, Code::TrackedEnvFile);
    assert_eq!(direct.files, 0, "an env file is never parsed");
    // A subtree without tracked env files, and the same tree with the check off.
    let prod = check_inputs(vec![Input::Path(k8s.join("overlays/prod"))], &git_opts).unwrap();
    assert!(prod.findings.iter().all(|f| f.code != Code::TrackedEnvFile));
    let off = check_inputs(vec![Input::Path(k8s.clone())], &options(None)).unwrap();
    assert!(off.findings.iter().all(|f| f.code != Code::TrackedEnvFile));
    // Outside any repository: no finding, no error.
    let loose = tempfile::tempdir().unwrap();
    std::fs::write(loose.path().join("x-secrets.env"), "A=b\n").unwrap();
    let report = check_inputs(vec![Input::Path(loose.path().to_path_buf())], &git_opts).unwrap();
    assert!(report.findings.is_empty());
}

#[test]
fn a_missing_path_is_an_io_error_not_a_finding() {
    let err = check_inputs(
        vec![Input::Path(PathBuf::from("testdata/check/no-such-dir"))],
        &options(None),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        empseal_lint::Error::Core(kubeseal_core::Error::Io { .. })
    ));
    assert!(err.to_string().contains("testdata/check/no-such-dir"));
}

#[test]
fn the_pre_commit_hook_manifest_is_valid() {
    require("pre-commit", &["--version"]);
    let out = Command::new("pre-commit")
        .arg("validate-manifest")
        .arg(root().join(".pre-commit-hooks.yaml"))
        .output()
        .expect("pre-commit; run `bash .ci/setup`");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.contains("id: empseal-check") && hooks.contains("entry: empseal check"));
}
