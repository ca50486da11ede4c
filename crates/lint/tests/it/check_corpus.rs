//! The `check` corpus: every bad file yields exactly the findings its
//! `.expected` file lists (code, line, column), and every good file, with values
//! sealed at test time by kubesealpy and @linode/kubeseal-encrypt, yields none.

use crate::support;

use std::path::PathBuf;

use empseal_lint::{check_inputs, Code, Input};
use support::*;

#[test]
fn bad_files_produce_exactly_their_expected_findings() {
    let corpus = materialize("bad");
    let files: Vec<PathBuf> = files_under(corpus.path())
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".expected"))
        .collect();
    assert!(files.len() >= 20, "corpus too small: {files:?}");
    let mut failures = Vec::new();
    for file in &files {
        let expected_path = PathBuf::from(format!("{}.expected", file.display()));
        assert!(
            expected_path.exists(),
            "{} has no .expected file",
            file.display()
        );
        let expected = read_expected(&expected_path);
        let key = expected.cert_bits.map(|b| certs().expected_key(b));
        let report = check_inputs(vec![Input::Path(file.clone())], &options(key)).unwrap();
        for f in &report.findings {
            assert_eq!(f.file, file.to_string_lossy(), "finding names its file");
            assert_eq!(f.severity, f.code.severity());
            assert!(!f.message.is_empty() && !f.hint().is_empty());
        }
        let got = positions(&report.findings);
        if got != expected.findings {
            failures.push(format!(
                "{}:\n  expected {:?}\n  got      {:?}\n  messages {:#?}",
                file.strip_prefix(corpus.path()).unwrap().display(),
                expected.findings,
                got,
                report
                    .findings
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
            ));
        }
        // Key-dependent findings disappear without the certificate; nothing else changes.
        if expected.cert_bits.is_some() {
            let report = check_inputs(vec![Input::Path(file.clone())], &options(None)).unwrap();
            let without: std::collections::BTreeSet<_> = expected
                .findings
                .iter()
                .filter(|(c, _, _)| !c.starts_with("ES2"))
                .cloned()
                .collect();
            assert_eq!(positions(&report.findings), without, "{}", file.display());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn good_files_are_never_flagged() {
    let corpus = materialize("good");
    let generated = corpus.path().join("generated");
    emit_kubesealpy(&generated);
    // Directories the walker must skip, holding what would be findings.
    for skipped in ["node_modules", "target", ".git"] {
        let dir = corpus.path().join(skipped);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("placeholder.yaml"),
            "kind: SealedSecret\nmetadata: {name: x, namespace: y}\nspec: {encryptedData: {K: AgAAAA...}}\n",
        )
        .unwrap();
    }

    let manifests: Vec<PathBuf> = files_under(corpus.path())
        .into_iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            !["/node_modules/", "/target/", "/.git/"]
                .iter()
                .any(|d| s.contains(d))
                && [".yaml", ".yml", ".json"].iter().any(|e| s.ends_with(e))
        })
        .collect();

    let report = check_inputs(
        vec![Input::Path(corpus.path().to_path_buf())],
        &options(None),
    )
    .unwrap();
    assert!(
        report.findings.is_empty(),
        "good corpus flagged: {:#?}",
        report.findings
    );
    assert_eq!(
        report.files,
        manifests.len(),
        "every manifest read, skipped dirs not"
    );
    // The templates hold 24 sealed values plus one alias in 16 SealedSecrets;
    // kubesealpy emitted 3 objects x 3 keys three times (single files, a JSON
    // stream, a multi-document file).
    assert_eq!(report.values, 25 + 27, "values checked");
    assert_eq!(report.sealed_secrets, 16 + 9, "SealedSecrets seen");

    // Files sealed only for the 4096-bit certificate are clean against it too.
    let key = certs().expected_key(4096);
    let for_4096: Vec<Input> = manifests
        .iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            s.contains("-4096.") || s.contains("/generated/")
        })
        .map(|p| Input::Path(p.clone()))
        .collect();
    assert!(for_4096.len() >= 10);
    let report = check_inputs(for_4096, &options(Some(key))).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let report = check_inputs(
        vec![Input::Path(corpus.path().join("kubeseal-legacy-2048.yaml"))],
        &options(Some(certs().expected_key(2048))),
    )
    .unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let report = check_inputs(
        vec![Input::Path(corpus.path().join("kubeseal-3072.json"))],
        &options(Some(certs().expected_key(3072))),
    )
    .unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn certificate_expiry_findings_use_the_certificates_not_after() {
    let key = certs().expected_key(4096);
    let not_after = key.not_after.unwrap();
    let run = |now: i64| {
        let mut o = options(Some(key.clone()));
        o.now = now;
        check_inputs(Vec::new(), &o).unwrap().findings
    };
    assert!(run(not_after - 31 * 86_400).is_empty());
    let soon = run(not_after - 10 * 86_400);
    assert_eq!(soon.len(), 1);
    assert_eq!(soon[0].code, Code::CertExpiring);
    assert_eq!(soon[0].file, "cert-4096.pem");
    assert!(soon[0].message.contains("10 days"), "{}", soon[0].message);
    let expired = run(not_after + 1);
    assert_eq!(expired[0].code, Code::CertExpired);
    assert_eq!(expired.len(), 1);
}

/// What a finding says, where the code alone does not tell: a null
/// encryptedData is "empty" (not "null, not a mapping"), and template data and
/// template stringData get their own explanations.
#[test]
fn messages_say_which_case_the_finding_is() {
    // Only the two files asked about (sealing a whole corpus takes seconds).
    let corpus = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = ["empty-encrypted-data.yaml", "template-plaintext.yaml"]
        .iter()
        .map(|f| {
            let to = corpus.path().join(f);
            std::fs::copy(root().join("testdata/check/bad").join(f), &to).unwrap();
            to
        })
        .collect();
    fill_tokens(&files);
    let message = |file: &str, line: usize| {
        let report =
            check_inputs(vec![Input::Path(corpus.path().join(file))], &options(None)).unwrap();
        report
            .findings
            .iter()
            .find(|f| f.line == line)
            .unwrap_or_else(|| panic!("{file}:{line}: no finding in {:#?}", report.findings))
            .message
            .clone()
    };
    let null = message("empty-encrypted-data.yaml", 15);
    assert!(null.contains("spec.encryptedData is empty"), "{null}");
    let data = message("template-plaintext.yaml", 14);
    assert!(
        data.contains("spec.template.data value has no template reference"),
        "{data}"
    );
    let string_data = message("template-plaintext.yaml", 24);
    assert!(
        string_data.contains("spec.template.stringData value is plaintext"),
        "{string_data}"
    );
}
