//! The operator docs (docs/layout.md, docs/secrets.md,
//! docs/paper-trading-profile.md) agree with the manifests: the environment
//! table is what renders, the kubectl commands they print name objects that
//! exist (the seeds' commands work as written), the Secret they build is the
//! one the SealedSecret must become, and every file they point at exists.

use crate::k8s_support;

use k8s_support::*;
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

const DOCS: [&str; 3] = [
    "docs/layout.md",
    "docs/secrets.md",
    "docs/paper-trading-profile.md",
];

fn read_doc(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The rows of the first markdown table whose header starts with `| setting |`.
fn env_table(md: &str) -> BTreeMap<String, Vec<String>> {
    let mut rows = BTreeMap::new();
    let mut lines = md.lines().skip_while(|l| !l.starts_with("| setting |"));
    let header: Vec<String> = cells(lines.next().expect("env table in docs/layout.md"));
    assert_eq!(header, ["setting", "dev", "paper", "prod"]);
    lines.next(); // |---|
    for l in lines.take_while(|l| l.starts_with('|')) {
        let c = cells(l);
        rows.insert(c[0].clone(), c[1..].to_vec());
    }
    rows
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

/// The text between the first pair of backticks of a cell.
fn code(cell: &str) -> &str {
    cell.split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no `code` in {cell:?}"))
}

#[test]
fn layout_table_is_what_the_overlays_render() {
    let rows = env_table(&read_doc("docs/layout.md"));
    let tree = Tree::new();
    for (i, sp) in SPECS.iter().enumerate() {
        // The table equals the spec the rendered manifests are held to ...
        let want: BTreeMap<&str, String> = BTreeMap::from([
            ("namespace", sp.namespace.to_string()),
            ("name suffix", format!("-{}", sp.env)),
            (
                "Secret",
                if sp.sealed {
                    sp.secret.to_string()
                } else {
                    format!("{}<hash>", sp.secret)
                },
            ),
            ("image tag", sp.image_tag.to_string()),
            ("EMP_TRADING_MODE", sp.trading_mode.to_string()),
            ("app replicas", sp.replicas.to_string()),
            ("nightly replay schedule", "0 3 * * *".to_string()),
            ("nightly replay time zone", "Etc/UTC".to_string()),
            ("nightly --min-confidence", sp.min_confidence.to_string()),
            ("replay list", sp.replay_list.to_string()),
            ("replay workers (min)", sp.min_workers.to_string()),
            ("replay workers (max)", sp.max_workers.to_string()),
            ("KEDA pollingInterval (s)", sp.polling_interval.to_string()),
            ("KEDA listLength target", sp.list_length.to_string()),
            ("ingress host", sp.host.to_string()),
            ("reports claim storage class", sp.reports_class.to_string()),
            ("reports claim size", sp.reports_size.to_string()),
            ("evidence retention (days)", sp.retention_days.to_string()),
        ]);
        let names: BTreeSet<&str> = rows.keys().map(String::as_str).collect();
        assert_eq!(names, want.keys().copied().collect(), "table rows");
        for (row, value) in &want {
            assert_eq!(
                code(&rows[*row][i]),
                value,
                "docs/layout.md {row} for {}",
                sp.env
            );
        }
        // ... and the rendered overlay meets that spec.
        let bad = spec_mismatches(sp, &tree.render(sp.env));
        assert!(bad.is_empty(), "{bad:#?}");
    }
}

/// Shell commands of the ```bash blocks, continuation lines joined.
fn bash_commands(md: &str) -> Vec<String> {
    let mut out = vec![];
    let mut in_block = false;
    let mut cur = String::new();
    for line in md.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_block = t == "```bash";
            continue;
        }
        if !in_block {
            continue;
        }
        let t = t.split(" # ").next().unwrap().trim_end();
        if let Some(head) = t.strip_suffix('\\') {
            cur.push_str(head);
            cur.push(' ');
        } else {
            cur.push_str(t);
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
        }
    }
    out
}

/// Inline `code` spans that are commands.
fn inline_commands(md: &str) -> Vec<String> {
    md.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with("kubectl ") || c.starts_with("empseal "))
        .map(str::to_string)
        .collect()
}

fn all_commands() -> Vec<(String, String)> {
    let mut out = vec![];
    for d in DOCS {
        let md = read_doc(d);
        for c in bash_commands(&md).into_iter().chain(inline_commands(&md)) {
            out.push((d.to_string(), c));
        }
    }
    out
}

#[test]
fn the_documented_secret_is_the_one_the_sealed_secret_becomes() {
    let tree = Tree::new();
    for env in ["paper", "prod"] {
        std::fs::copy(
            tree.overlay(env).join(format!("{env}-secrets.env.example")),
            tree.overlay(env).join(format!("{env}-secrets.env")),
        )
        .unwrap();
    }
    let mut ran = 0;
    for (doc, cmd) in all_commands() {
        if !cmd.starts_with("kubectl create secret generic emp-secrets-") || cmd.contains("$one") {
            continue;
        }
        // Run the documented kubectl part (up to a pipe or redirection) in a
        // copy of the tree: it builds the Secret locally.
        let kubectl = cmd.split(['|', '>']).next().unwrap().trim();
        assert!(
            kubectl.contains("--dry-run=client"),
            "{doc}: {cmd} would create the Secret in the cluster"
        );
        let out = Command::new("bash")
            .args(["-c", kubectl])
            .current_dir(tree.root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{doc}: {kubectl}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let secret: Value = serde_yaml::from_slice(&out.stdout).unwrap();
        let ns = s(&secret["metadata"]["namespace"]).to_string();
        let env = ns.strip_prefix("emp-system-").expect("env namespace");
        let rendered = docs(&tree.render(env));
        let ss = one(&rendered, "SealedSecret");
        let tmd = &ss["spec"]["template"]["metadata"];
        assert_eq!(secret["metadata"]["name"], tmd["name"], "{doc}: {cmd}");
        assert_eq!(
            secret["metadata"]["namespace"], tmd["namespace"],
            "{doc}: {cmd}"
        );
        let keys = |v: &Value| -> BTreeSet<String> {
            v.as_mapping()
                .unwrap()
                .keys()
                .map(|k| s(k).to_string())
                .collect()
        };
        assert_eq!(
            keys(&secret["data"]),
            keys(&ss["spec"]["encryptedData"]),
            "{doc}: {cmd}"
        );
        ran += 1;
    }
    assert!(
        ran >= 2,
        "expected the kubectl create secret commands of the docs, ran {ran}"
    );
}

#[test]
fn documented_kubectl_commands_name_objects_that_render() {
    let tree = Tree::new();
    let mut rendered: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for env in ENVS {
        rendered.insert(format!("emp-system-{env}"), docs(&tree.render(env)));
    }
    let kinds = BTreeMap::from([
        ("deployment", "Deployment"),
        ("cronjob", "CronJob"),
        ("scaledjob", "ScaledJob"),
        ("sealedsecret", "SealedSecret"),
        ("secret", "Secret"),
        ("pvc", "PersistentVolumeClaim"),
    ]);
    // Jobs exist only in a cluster: the ones the docs create from a
    // rendered CronJob (`kubectl create job NAME --from=cronjob/...`).
    let created_jobs: BTreeSet<String> = all_commands()
        .iter()
        .filter_map(|(_, c)| {
            let w: Vec<&str> = c.split_whitespace().collect();
            (w.len() > 3 && w[..3] == ["kubectl", "create", "job"]).then(|| {
                w.iter()
                    .skip(3)
                    .find(|x| !x.starts_with('-'))
                    .unwrap()
                    .to_string()
            })
        })
        .collect();
    assert!(
        created_jobs.contains("nightly-replay-manual"),
        "{created_jobs:?}"
    );
    let mut checked = 0;
    let mut selectors = 0;
    for (doc, cmd) in all_commands() {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.first() != Some(&"kubectl")
            || words.get(1) == Some(&"create") && words.get(2) == Some(&"secret")
        {
            continue; // `create secret` is the_documented_secret_is_the_one_the_sealed_secret_becomes
        }
        let Some(ns) = words
            .windows(2)
            .find(|w| w[0] == "-n" || w[0] == "--namespace")
            .map(|w| w[1])
        else {
            continue;
        };
        if !ns.starts_with("emp-") {
            continue; // the controller's namespace (key backups)
        }
        let Some(objs) = rendered.get(ns) else {
            panic!("{doc}: {cmd}: namespace {ns} is not an environment's");
        };
        // kind/name, `kind name`, and --from=kind/name
        let mut targets = vec![];
        for (i, w) in words.iter().enumerate() {
            let w = w.trim_start_matches("--from=");
            if let Some((k, n)) = w.split_once('/') {
                if kinds.contains_key(k) {
                    targets.push((k, n));
                }
            } else if kinds.contains_key(w) && i >= 2 {
                if let Some(n) = words.get(i + 1) {
                    if !n.starts_with('-') {
                        targets.push((w, *n));
                    }
                }
            }
        }
        // Label selectors of `get jobs`: the Jobs a rendered CronJob's job
        // template labels, or KEDA's label for a rendered ScaledJob's Jobs.
        if let Some(sel) = words.windows(2).find(|w| w[0] == "-l").map(|w| w[1]) {
            let (key, value) = sel.split_once('=').expect("key=value selector");
            let found = objs.iter().any(|o| match (s(&o["kind"]), key) {
                ("ScaledJob", "scaledjob.keda.sh/name") => o["metadata"]["name"] == value,
                ("CronJob", _) => o["spec"]["jobTemplate"]["metadata"]["labels"][key] == value,
                _ => false,
            });
            assert!(
                found,
                "{doc}: `{cmd}`: no rendered Job template carries {sel}"
            );
            selectors += 1;
        }
        for w in &words {
            if let Some(job) = w.trim_matches('"').strip_prefix("job/") {
                assert!(
                    created_jobs.contains(job) || job == "<replay-job>",
                    "{doc}: `{cmd}`: no documented command creates job {job}"
                );
                if job == "<replay-job>" {
                    // The placeholder comes with the command that lists them.
                    assert!(all_commands().iter().any(|(d, c)| *d == doc
                        && c.starts_with("kubectl get jobs")
                        && c.contains(" -l ")));
                }
            }
        }
        for (k, n) in targets {
            let kind = kinds[k];
            let found = objs.iter().any(|o| {
                let (ok, on) = (s(&o["kind"]), o["metadata"]["name"].as_str().unwrap_or(""));
                (ok == kind && on == n)
                    // the controller creates the Secret of a SealedSecret
                    || (kind == "Secret" && ok == "SealedSecret" && on == n)
            });
            assert!(found, "{doc}: `{cmd}`: no {kind} {n} in {ns}");
            checked += 1;
        }
    }
    // The seeds' own commands are among them.
    assert!(checked >= 15, "only {checked} object references checked");
    assert!(selectors >= 3, "only {selectors} label selectors checked");
    let all: Vec<String> = all_commands().into_iter().map(|(_, c)| c).collect();
    for seed in [
        "kubectl delete scaledjob emp-replay-autoscaler-paper -n emp-system-paper",
        "kubectl get deployments,cronjobs,scaledjobs -n emp-system-paper",
    ] {
        assert!(
            all.iter().any(|c| c == seed),
            "docs lost the seed command {seed:?}"
        );
    }
}

#[test]
fn docs_use_only_empseals_commands_and_flags() {
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        (
            "cert fetch",
            &[
                "--env",
                "--all-envs",
                "--controller-name",
                "--controller-namespace",
                "--accept-new",
                "--dry-run",
                "-v",
                "-w",
            ][..],
        ),
        ("cert show", &[][..]),
        ("cert retire", &["--env"][..]),
        ("adopt", &["--env"][..]),
        ("rollout", &["--env", "--dry-run"][..]),
        (
            "env add",
            &[
                "--from",
                "--dry-run",
                "--namespace",
                "--secret-name",
                "--cert",
            ][..],
        ),
        (
            "seal",
            &[
                "--env",
                "--all-envs",
                "--all",
                "--dry-run",
                "--from-env-file",
                "--name",
                "-n",
                "--cert",
                "-o",
                "-w",
                "--scope",
                "--merge-into",
                "--raw",
                "--from-file",
                "--type",
                "--allow-missing",
                "--overwrite-rollback",
            ][..],
        ),
        (
            "check",
            &["--env", "--all-envs", "--format", "--fail-on"][..],
        ),
        ("render", &["--all", "--demo", "--out-dir", "--env"][..]),
        ("rotate", &["--env", "--key", "--generate", "--length"][..]),
        ("history", &["--env"][..]),
        ("rollback", &["--env", "--to", "--dry-run"][..]),
        ("validate", &["-f"][..]),
        ("reencrypt", &["-f", "--in-place"][..]),
        ("unseal", &["--private-key", "-f"][..]),
    ]);
    let mut seen = BTreeSet::new();
    for (doc, cmd) in all_commands() {
        for part in cmd.split(['|', ';']).map(str::trim) {
            let Some(rest) = part.strip_prefix("empseal ") else {
                continue;
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let sub = if words[0] == "cert" || words[0] == "env" {
                format!("{} {}", words[0], words[1])
            } else {
                words[0].to_string()
            };
            let flags = allowed
                .get(sub.as_str())
                .unwrap_or_else(|| panic!("{doc}: `{part}`: empseal has no command {sub:?}"));
            for w in &words {
                if w.starts_with('-') && *w != "-" {
                    let f = w.split('=').next().unwrap();
                    assert!(flags.contains(&f), "{doc}: `{part}`: {sub} has no flag {f}");
                }
            }
            seen.insert(sub);
        }
    }
    let missing: Vec<&&str> = allowed.keys().filter(|k| !seen.contains(**k)).collect();
    assert!(
        missing.is_empty(),
        "the operator docs never show: {missing:?}"
    );
}

#[test]
fn docs_point_only_at_files_that_exist() {
    let root = repo();
    for d in DOCS {
        let md = read_doc(d);
        // repository paths in code spans and commands
        for word in md.split(|c: char| c.is_whitespace() || "`()[]<>'\",".contains(c)) {
            let w = word.trim_end_matches(['.', ':', ';']);
            if !(w.starts_with("k8s/") || w.starts_with("docs/") || w.starts_with("tests/k8s")) {
                continue;
            }
            // untracked or created-by-empseal files are named, not committed
            if w.ends_with("-secrets.env")
                || w.ends_with("pull-secret.dockerconfigjson")
                || w.ends_with(".new")
                || w.contains("/sealing")
                || w.contains('*')
                || w.contains('{')
            {
                continue;
            }
            assert!(
                root.join(w).exists(),
                "{d} mentions {w}, which does not exist"
            );
        }
        // relative markdown links
        for link in md.split("](").skip(1) {
            let target = link.split(')').next().unwrap();
            if target.starts_with("http") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                root.join(d)
            } else {
                root.join("docs").join(file)
            };
            assert!(path.is_file(), "{d}: broken link {target}");
            if !anchor.is_empty() {
                let text = std::fs::read_to_string(&path).unwrap();
                let anchors: Vec<String> = text
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .map(|l| {
                        l.trim_start_matches('#')
                            .trim()
                            .to_lowercase()
                            .chars()
                            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                            .map(|c| if c == ' ' { '-' } else { c })
                            .collect()
                    })
                    .collect();
                assert!(
                    anchors.iter().any(|a| a == anchor),
                    "{d}: broken anchor {target}"
                );
            }
        }
    }
}

#[test]
fn documented_patches_and_annotations_apply_to_the_rendered_objects() {
    // Every `kubectl patch` / `kubectl annotate` of the docs, run with
    // --local on the object the overlay renders: it must apply and change it.
    let tree = Tree::new();
    let tmp = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for (doc, cmd) in all_commands() {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.first() != Some(&"kubectl")
            || !matches!(words.get(1), Some(&"patch" | &"annotate"))
        {
            continue;
        }
        let (verb, kind, name) = (words[1], words[2], words[3]);
        let ns = words
            .windows(2)
            .find(|w| w[0] == "-n")
            .map(|w| w[1])
            .unwrap_or_else(|| panic!("{doc}: `{cmd}` names no namespace"));
        let env = ns.strip_prefix("emp-system-").expect("env namespace");
        let objs = docs(&tree.render(env));
        let obj = objs
            .iter()
            .find(|o| s(&o["kind"]).to_lowercase() == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{doc}: `{cmd}`: no {kind} {name} in {ns}"));
        let file = tmp.path().join(format!("{kind}-{name}.yaml"));
        std::fs::write(&file, serde_yaml::to_string(obj).unwrap()).unwrap();
        let local = cmd
            .replacen(
                &format!("kubectl {verb} {kind} {name}"),
                &format!("kubectl {verb} --local -f {} -o json", file.display()),
                1,
            )
            .replacen(&format!("-n {ns}"), "", 1);
        let out = Command::new("bash").args(["-c", &local]).output().unwrap();
        assert!(
            out.status.success(),
            "{doc}: `{cmd}`: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let after: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let before: serde_json::Value = serde_json::to_value(obj).unwrap();
        assert_ne!(after, before, "{doc}: `{cmd}` changes nothing");
        if cmd.contains(r#"{"spec":{"suspend":true}}"#) {
            assert_eq!(after["spec"]["suspend"], true, "{doc}: `{cmd}`");
        }
        ran += 1;
    }
    // Suspending the nightly replay and the retention job, pausing the
    // autoscaler.
    assert!(ran >= 3, "ran {ran}");
}
