//! empseal's Secret reader against kubeseal's per-document decoder, reproduced with the
//! real Go libraries kubeseal uses (sigs.k8s.io/yaml over go-yaml v2 for YAML,
//! encoding/json for JSON; `tests/manifest/goref.go`).
//!
//! Thousands of generated documents put YAML 1.1 traps (`yes`, `0123`, `1.10`, `1e3`,
//! `0x1F`, `1_000`, `~`, `.inf`, ...) in every string field, in every quoting style,
//! as values and as keys. The property checked for each document:
//! - where Go reads every field as the text written, empseal reads the same values;
//! - where Go reads some field differently from the text written (kubeseal would seal
//!   something else), empseal refuses, on the line of such a field;
//! - where Go fails, empseal fails.

use base64::Engine;
use kubeseal_core::manifest::{read_secrets, ManifestError};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value as J};
use std::collections::BTreeMap;

use crate::goref;
use goref::go_decode;

// ---------------------------------------------------------------- generation

/// Texts that YAML 1.1 may read as something else when unquoted.
const TRICKY: &[&str] = &[
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "null",
    "Null",
    "NULL",
    "~",
    "nil",
    "yES",
    "oN",
    "0",
    "-0",
    "+0",
    "1",
    "-1",
    "+5",
    "0123",
    "08",
    "007",
    "00",
    "0x1F",
    "0X1f",
    "0o17",
    "0b101",
    "-0b101",
    "0b",
    "0x",
    "0xZZ",
    "1_000",
    "1__2",
    "0_1",
    "1_0.5",
    "1.10",
    "1.5",
    "1.0",
    "1.",
    ".5",
    "-.5",
    "+.5",
    "1e3",
    "1E3",
    "1e-7",
    "1.5e+3",
    "3.14159265358979",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1e400",
    ".inf",
    "-.Inf",
    "+.INF",
    ".nan",
    ".NaN",
    "100000",
    "1000000",
    "123456789",
    "0.0001",
    "0.00001",
    "1.2.3",
    "12:30",
    "2001-12-14",
    "2001-12-14T21:59:43.10-05:00",
    "1_000_000",
    "16777217",
    "0.1",
    "2.5e-5",
    "6.02e23",
    "hello",
    "hunter2",
    "p@ss",
    "a-b",
    "v1.2.3",
    "x86_64",
    "éé",
    "日本",
    "🔑",
    "AgAAAA",
    "true1",
    "yess",
];

/// Strings that are only safe quoted.
const QUOTED_ONLY: &[&str] = &[
    "",
    " lead",
    "trail ",
    "a: b",
    "a #b",
    "#x",
    "-",
    "- x",
    "[x]",
    "{x}",
    "'q'",
    "\"dq\"",
    "@at",
    "`bt`",
    "%p",
    "!t",
    "&a",
    "*a",
    "|",
    ">",
    "?",
    ":",
    "a,b",
    "tab\there",
    "back\\slash",
];

const MULTILINE: &[&str] = &[
    "line1\nline2",
    "line1\nline2\n",
    "-----BEGIN KEY-----\nMIIE\n-----END KEY-----\n",
];

const BASE64: &[&str] = &[
    "aGk=",
    "aGk",
    "aGl=",
    "aG k=",
    "aGVsbG8gd29ybGQ=",
    "",
    "YQ==",
    "YWI=",
    "AAAA",
    "1234",
    "12345678",
    "////",
    "++++",
    "a===",
    "=",
    "aGk=aGk=",
    "aGVs\nbG8=",
    "-_-_",
];

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Block,
}

fn quote(text: &str, style: Style, indent: usize) -> String {
    match style {
        Style::Plain => text.to_string(),
        Style::Single => format!("'{}'", text.replace('\'', "''")),
        Style::Double => serde_json::to_string(text).unwrap(),
        Style::Block => {
            let chomp = if text.ends_with('\n') { "|" } else { "|-" };
            let pad = " ".repeat(indent + 2);
            let body: Vec<String> = text
                .trim_end_matches('\n')
                .split('\n')
                .map(|l| format!("{pad}{l}"))
                .collect();
            format!("{chomp}\n{}", body.join("\n"))
        }
    }
}

/// A text and a style that YAML can express.
fn gen_scalar(rng: &mut ChaCha8Rng, allow_block: bool) -> (String, Style) {
    let r = rng.random_range(0..100);
    if r < 70 {
        let t = TRICKY.choose(rng).unwrap().to_string();
        let style = *[Style::Plain, Style::Plain, Style::Single, Style::Double]
            .choose(rng)
            .unwrap();
        (t, style)
    } else if r < 90 || !allow_block {
        let t = QUOTED_ONLY.choose(rng).unwrap().to_string();
        (t, *[Style::Single, Style::Double].choose(rng).unwrap())
    } else {
        let t = MULTILINE.choose(rng).unwrap().to_string();
        (t, *[Style::Double, Style::Block].choose(rng).unwrap())
    }
}

/// A key: a valid Secret key text (possibly YAML-1.1-tricky) in some style.
fn gen_key(rng: &mut ChaCha8Rng, used: &mut Vec<String>) -> (String, Style) {
    loop {
        let t = if rng.random_bool(0.5) {
            TRICKY.choose(rng).unwrap().to_string()
        } else {
            format!("KEY_{}", rng.random_range(0..1000))
        };
        let valid = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            && !t.starts_with("..")
            && t != ".";
        if valid && !used.contains(&t) {
            used.push(t.clone());
            let style = *[Style::Plain, Style::Single, Style::Double]
                .choose(rng)
                .unwrap();
            return (t, style);
        }
    }
}

/// What a generated field means, as written (YAML 1.2 reading; null forms read as "").
struct Field {
    /// "stringData", "annotations", "labels", "name", "type".
    section: &'static str,
    key: String,
    value: String,
    /// Lines of the key and of the value in the document.
    lines: Vec<usize>,
}

/// The YAML 1.2 reading of a plain null (empty), which kubeseal agrees on.
fn intended(text: &str, style: Style) -> String {
    if style == Style::Plain && matches!(text, "~" | "null" | "Null" | "NULL" | "") {
        String::new()
    } else {
        text.to_string()
    }
}

struct YamlCase {
    doc: String,
    fields: Vec<Field>,
    data: Vec<(String, usize)>,
    has_data_or_immutable_trap: bool,
}

fn gen_yaml(rng: &mut ChaCha8Rng) -> YamlCase {
    let mut lines: Vec<String> = vec![
        "apiVersion: v1".into(),
        "kind: Secret".into(),
        "metadata:".into(),
    ];
    let mut fields = Vec::new();
    let mut data = Vec::new();
    let mut trap = false;
    let push = |lines: &mut Vec<String>, s: String| -> usize {
        let first = lines.len() + 1;
        lines.extend(s.split('\n').map(str::to_string));
        first
    };
    let (name, ns) = gen_scalar(rng, false);
    let l = push(&mut lines, format!("  name: {}", quote(&name, ns, 2)));
    fields.push(Field {
        section: "name",
        key: String::new(),
        value: intended(&name, ns),
        lines: vec![l],
    });
    for section in ["labels", "annotations"] {
        if rng.random_bool(0.6) {
            push(&mut lines, format!("  {section}:"));
            let mut used = Vec::new();
            for _ in 0..rng.random_range(1..4) {
                let (k, ks) = gen_key(rng, &mut used);
                let (v, vs) = gen_scalar(rng, true);
                let l = push(
                    &mut lines,
                    format!("    {}: {}", quote(&k, ks, 4), quote(&v, vs, 4)),
                );
                fields.push(Field {
                    section,
                    key: intended(&k, ks),
                    value: intended(&v, vs),
                    lines: vec![l],
                });
            }
        }
    }
    if rng.random_bool(0.3) {
        let (t, ts) = gen_scalar(rng, false);
        let l = push(&mut lines, format!("type: {}", quote(&t, ts, 0)));
        fields.push(Field {
            section: "type",
            key: String::new(),
            value: intended(&t, ts),
            lines: vec![l],
        });
    }
    if rng.random_bool(0.2) {
        let v = *[
            "true", "false", "yes", "no", "on", "Off", "y", "n", "True", "\"true\"", "1", "~", "0",
        ]
        .choose(rng)
        .unwrap();
        trap |= !matches!(v, "true" | "false");
        push(&mut lines, format!("immutable: {v}"));
    }
    if rng.random_bool(0.5) {
        push(&mut lines, "data:".into());
        let mut used = Vec::new();
        for _ in 0..rng.random_range(1..3) {
            let (k, ks) = gen_key(rng, &mut used);
            let v = BASE64.choose(rng).unwrap();
            let style = if v.contains('\n') {
                Style::Double
            } else {
                *[Style::Plain, Style::Double, Style::Single]
                    .choose(rng)
                    .unwrap()
            };
            let l = push(
                &mut lines,
                format!("  {}: {}", quote(&k, ks, 2), quote(v, style, 2)),
            );
            data.push((intended(&k, ks), l));
        }
    }
    if rng.random_bool(0.8) {
        push(&mut lines, "stringData:".into());
        let mut used = Vec::new();
        for _ in 0..rng.random_range(1..5) {
            let (k, ks) = gen_key(rng, &mut used);
            let (v, vs) = gen_scalar(rng, true);
            let l = push(
                &mut lines,
                format!("  {}: {}", quote(&k, ks, 2), quote(&v, vs, 2)),
            );
            fields.push(Field {
                section: "stringData",
                key: intended(&k, ks),
                value: intended(&v, vs),
                lines: vec![l],
            });
        }
    }
    YamlCase {
        doc: lines.join("\n") + "\n",
        fields,
        data,
        has_data_or_immutable_trap: trap,
    }
}

fn go_str_map(v: &J, path: &[&str]) -> BTreeMap<String, String> {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn ours_as_json(s: &kubeseal_core::secret::Secret) -> J {
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
    json!({
        "name": s.metadata.name,
        "labels": s.metadata.labels,
        "annotations": s.metadata.annotations,
        "type": s.type_.clone().unwrap_or_default(),
        "immutable": s.immutable,
        "data": s.data.iter().map(|(k, v)| (k.clone(), b64(v))).collect::<BTreeMap<_, _>>(),
        "stringData": s.string_data.iter().map(|(k, v)| (k.clone(), String::from_utf8(v.to_vec()).unwrap())).collect::<BTreeMap<_, _>>(),
    })
}

fn go_as_json(g: &J) -> J {
    json!({
        "name": g["metadata"]["name"].as_str().unwrap_or_default(),
        "labels": go_str_map(g, &["metadata", "labels"]),
        "annotations": go_str_map(g, &["metadata", "annotations"]),
        "type": g["type"].as_str().unwrap_or_default(),
        "immutable": g.get("immutable").cloned().unwrap_or(J::Null),
        "data": go_str_map(g, &["data"]),
        "stringData": go_str_map(g, &["stringData"]),
    })
}

#[test]
fn generated_yaml_documents_match_go_yaml_v2() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x00AA_11CE);
    let cases: Vec<YamlCase> = (0..2500).map(|_| gen_yaml(&mut rng)).collect();
    let docs: Vec<(String, bool)> = cases.iter().map(|c| (c.doc.clone(), false)).collect();
    let go = go_decode(&docs);
    let (mut same, mut refused, mut both_failed) = (0, 0, 0);
    for (i, (case, go)) in cases.iter().zip(&go).enumerate() {
        let ctx = format!("case {i}:\n{}", case.doc);
        let ours = read_secrets("gen.yaml", case.doc.as_bytes());
        match go {
            Err(go_err) => {
                both_failed += 1;
                let e = ours
                    .err()
                    .unwrap_or_else(|| panic!("{ctx}\nGo failed ({go_err}) but we read it"));
                assert!(!e.to_string().contains('\n'), "{ctx}: {e}");
            }
            Ok(g) => {
                // Which written fields does Go (kubeseal) read as something else?
                let mut misread_lines = Vec::new();
                for f in &case.fields {
                    // Go omits empty name and type; a map key Go renamed is missing.
                    let got = match f.section {
                        "name" => Some(
                            g["metadata"]["name"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                        ),
                        "type" => Some(g["type"].as_str().unwrap_or_default().to_string()),
                        "stringData" => go_str_map(g, &["stringData"]).get(&f.key).cloned(),
                        s => go_str_map(g, &["metadata", s]).get(&f.key).cloned(),
                    };
                    if got.as_ref() != Some(&f.value) {
                        misread_lines.extend(&f.lines);
                    }
                }
                for (k, line) in &case.data {
                    if !go_str_map(g, &["data"]).contains_key(k) {
                        misread_lines.push(*line);
                    }
                }
                if misread_lines.is_empty() {
                    let s = match ours {
                        Ok(mut v) => v.remove(0),
                        Err(e) if case.has_data_or_immutable_trap => {
                            panic!("{ctx}\nGo read it as written, we refused: {e}")
                        }
                        Err(e) => panic!("{ctx}\nGo read it as written, we refused: {e}"),
                    };
                    assert_eq!(ours_as_json(&s), go_as_json(g), "{ctx}");
                    same += 1;
                } else {
                    let e = match ours {
                        Err(e) => e,
                        Ok(_) => {
                            panic!("{ctx}\nGo misread lines {misread_lines:?} but we accepted")
                        }
                    };
                    let ManifestError::Invalid { line, .. } = &e else {
                        panic!("{ctx}: {e}")
                    };
                    assert!(
                        misread_lines.contains(line),
                        "{ctx}\nblamed line {line}, misread {misread_lines:?}: {e}"
                    );
                    refused += 1;
                }
            }
        }
    }
    eprintln!(
        "same values: {same}, refused YAML 1.1 misreads: {refused}, both failed: {both_failed}"
    );
    assert!(
        same > 300 && refused > 300 && both_failed > 50,
        "{same} {refused} {both_failed}"
    );
}

fn gen_json(rng: &mut ChaCha8Rng) -> String {
    let any_string = |rng: &mut ChaCha8Rng| -> J {
        match rng.random_range(0..20) {
            0 => J::Null,
            1 => J::Bool(rng.random_bool(0.5)),
            2 => json!(rng.random_range(-5..100000)),
            3 => json!(1.5),
            _ => J::String(
                TRICKY
                    .iter()
                    .chain(QUOTED_ONLY)
                    .chain(MULTILINE)
                    .copied()
                    .collect::<Vec<_>>()
                    .choose(rng)
                    .unwrap()
                    .to_string(),
            ),
        }
    };
    let mut obj = serde_json::Map::new();
    obj.insert("apiVersion".into(), json!("v1"));
    obj.insert("kind".into(), json!("Secret"));
    let mut meta = serde_json::Map::new();
    meta.insert("name".into(), any_string(rng));
    let mut ann = serde_json::Map::new();
    for i in 0..rng.random_range(0..3) {
        ann.insert(format!("a{i}"), any_string(rng));
    }
    meta.insert("annotations".into(), J::Object(ann));
    obj.insert("metadata".into(), J::Object(meta));
    let mut data = serde_json::Map::new();
    for i in 0..rng.random_range(0..3) {
        let v = if rng.random_bool(0.9) {
            J::String(BASE64.choose(rng).unwrap().to_string())
        } else {
            any_string(rng)
        };
        data.insert(format!("d{i}"), v);
    }
    obj.insert("data".into(), J::Object(data));
    let mut sd = serde_json::Map::new();
    for i in 0..rng.random_range(0..3) {
        sd.insert(format!("s{i}"), any_string(rng));
    }
    obj.insert("stringData".into(), J::Object(sd));
    if rng.random_bool(0.3) {
        obj.insert(
            "immutable".into(),
            [json!(true), json!(false), json!("true"), json!(1), J::Null]
                .choose(rng)
                .unwrap()
                .clone(),
        );
    }
    if rng.random_bool(0.3) {
        obj.insert("type".into(), any_string(rng));
    }
    if rng.random_bool(0.5) {
        serde_json::to_string_pretty(&J::Object(obj)).unwrap()
    } else {
        serde_json::to_string(&J::Object(obj)).unwrap()
    }
}

#[test]
fn generated_json_documents_match_encoding_json() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x0000_150F);
    let docs: Vec<(String, bool)> = (0..1500).map(|_| (gen_json(&mut rng), true)).collect();
    let go = go_decode(&docs);
    let (mut ok, mut err) = (0, 0);
    for ((doc, _), go) in docs.iter().zip(&go) {
        let ours = read_secrets("gen.json", doc.as_bytes());
        match (go, ours) {
            (Ok(g), Ok(mut v)) => {
                ok += 1;
                assert_eq!(ours_as_json(&v.remove(0)), go_as_json(g), "{doc}");
            }
            (Err(_), Err(e)) => {
                err += 1;
                assert!(!e.to_string().contains('\n'));
            }
            (g, o) => panic!(
                "{doc}\nGo: {g:?}\nours: {:?}",
                o.map(|v| ours_as_json(&v[0])).map_err(|e| e.to_string())
            ),
        }
    }
    eprintln!("JSON: {ok} read alike, {err} refused by both");
    assert!(ok > 200 && err > 200, "{ok} {err}");
}
