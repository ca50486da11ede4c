//! The four output formats of `empseal check`: human text, JSON for scripts,
//! GitHub Actions workflow commands, and SARIF 2.1.0 for code scanning.

use std::fmt::Write as _;
use std::str::FromStr;

use serde::Serialize;
use serde_json::json;

use super::{Code, Finding, Report, Severity};

/// How [`render`] prints a report (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// `file:line:col: severity[CODE]: message (hint)` lines and a summary.
    #[default]
    Text,
    /// One JSON object, schema `empseal-check/v1` (see docs/ci.md).
    Json,
    /// GitHub Actions workflow commands (`::error file=...,line=...::...`).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(OutputFormat::Text),
            "json" => Ok(OutputFormat::Json),
            "github" => Ok(OutputFormat::Github),
            "sarif" => Ok(OutputFormat::Sarif),
            other => Err(format!(
                "unknown format `{other}`: use text, json, github or sarif"
            )),
        }
    }
}

/// Prints `report` in `format`; the result ends with a newline.
pub fn render(report: &Report, format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => text(report),
        OutputFormat::Json => json_report(report),
        OutputFormat::Github => github(report),
        OutputFormat::Sarif => sarif(report),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The summary line shared by the text and GitHub formats.
fn summary(report: &Report) -> String {
    let scanned = format!(
        "{} ({}, {}, {})",
        plural(report.files, "file"),
        plural(report.documents, "document"),
        plural(report.sealed_secrets, "SealedSecret"),
        plural(report.values, "value")
    );
    if report.findings.is_empty() {
        format!("empseal check: no problems in {scanned}")
    } else {
        format!(
            "empseal check: {}, {}, {} in {scanned}",
            plural(report.count(Severity::Error), "error"),
            plural(report.count(Severity::Warning), "warning"),
            plural(report.count(Severity::Note), "note")
        )
    }
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {} ({})",
            f.file,
            f.line,
            f.column,
            f.severity,
            f.code,
            f.message,
            f.hint()
        );
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    schema: &'static str,
    tool: JsonTool,
    summary: JsonSummary,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    files: usize,
    documents: usize,
    sealed_secrets: usize,
    values: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
}

#[derive(Serialize)]
struct JsonObject<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    severity: &'static str,
    title: &'static str,
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    hint: &'a str,
    object: Option<JsonObject<'a>>,
    key: Option<&'a str>,
}

fn json_report(report: &Report) -> String {
    let doc = JsonReport {
        schema: "empseal-check/v1",
        tool: JsonTool {
            name: "empseal",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: JsonSummary {
            files: report.files,
            documents: report.documents,
            sealed_secrets: report.sealed_secrets,
            values: report.values,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            notes: report.count(Severity::Note),
        },
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                code: f.code.id(),
                severity: f.severity.as_str(),
                title: f.code.title(),
                file: &f.file,
                line: f.line,
                column: f.column,
                message: &f.message,
                hint: f.hint(),
                object: f.object.as_ref().map(|o| JsonObject {
                    kind: &o.kind,
                    namespace: o.namespace.as_deref(),
                    name: o.name.as_deref(),
                }),
                key: f.key.as_deref(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("report serializes");
    s.push('\n');
    s
}

/// Escapes workflow-command data as GitHub's toolkit does (`escapeData`).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (`escapeProperty`): data escaping
/// plus `:` and `,`.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},title={}::{}",
            escape_property(&f.file),
            f.line,
            f.column,
            escape_property(&format!("{} {}", f.code, f.code.title())),
            escape_data(&format!("{} ({})", f.message, f.hint()))
        );
    }
    out.push_str(&escape_data(&summary(report)));
    out.push('\n');
    out
}

/// Percent-encodes a path for a SARIF `uri`: unreserved characters and `/` stay.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The SARIF artifact location of a finding's file: relative paths stay relative
/// to the source root (`%SRCROOT%`), absolute ones become `file://` URIs.
fn artifact_location(file: &str) -> serde_json::Value {
    if file.contains("://") {
        return json!({ "uri": file });
    }
    let normal = file.replace('\\', "/");
    if normal.starts_with('/') {
        return json!({ "uri": format!("file://{}", percent_encode_path(&normal)) });
    }
    let mut rel = normal.as_str();
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    json!({ "uri": percent_encode_path(rel), "uriBaseId": "%SRCROOT%" })
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn sarif(report: &Report) -> String {
    let rules: Vec<_> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.id(),
                "name": format!("{c:?}"),
                "shortDescription": { "text": c.title() },
                "fullDescription": { "text": format!("{}.", c.title()) },
                "help": { "text": c.hint() },
                "defaultConfiguration": { "level": sarif_level(c.severity()) },
            })
        })
        .collect();
    let results: Vec<_> = report
        .findings
        .iter()
        .map(|f: &Finding| {
            let index = Code::ALL.iter().position(|c| *c == f.code).unwrap_or(0);
            json!({
                "ruleId": f.code.id(),
                "ruleIndex": index,
                "level": sarif_level(f.severity),
                // The rule's help holds the generic hint; a finding's own fix
                // (the env's commands) goes with its message.
                "message": { "text": match &f.fix {
                    Some(fix) => format!("{} ({fix})", f.message),
                    None => f.message.clone(),
                } },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact_location(&f.file),
                        "region": { "startLine": f.line, "startColumn": f.column },
                    }
                }],
            })
        })
        .collect();
    let mut driver = json!({
        "name": "empseal",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    let info = option_env!("CARGO_PKG_REPOSITORY")
        .filter(|s| !s.is_empty())
        .or(option_env!("CARGO_PKG_HOMEPAGE").filter(|s| !s.is_empty()));
    if let Some(uri) = info {
        driver["informationUri"] = json!(uri);
    }
    let doc = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping_follows_the_toolkit() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
    }

    #[test]
    fn sarif_uris() {
        assert_eq!(
            artifact_location("./k8s/over lays/x.yaml")["uri"],
            "k8s/over%20lays/x.yaml"
        );
        assert_eq!(
            artifact_location("/abs/x.yaml")["uri"],
            "file:///abs/x.yaml"
        );
        assert_eq!(artifact_location("<stdin>")["uri"], "%3Cstdin%3E");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("sarif".parse(), Ok(OutputFormat::Sarif));
        assert!("xml".parse::<OutputFormat>().is_err());
    }
}
