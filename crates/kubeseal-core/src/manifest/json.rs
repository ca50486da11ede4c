//! Reading a stream of JSON objects (kubeseal's `--format json` output, and what
//! apimachinery's `GuessJSONStream` takes for JSON) into the positioned tree.

use zeroize::Zeroizing;

use super::error::{syntax, ManifestError};
use super::tree::{Node, Scalar, Value};

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

struct RawEntries<'a>(Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawEntries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = RawEntries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) =
                    m.next_entry::<String, &'de serde_json::value::RawValue>()?
                {
                    out.push((k, v));
                }
                Ok(RawEntries(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Builds a positioned node from a raw JSON value that borrows from `full`.
fn json_node(full: &str, raw: &serde_json::value::RawValue) -> Result<Node, serde_json::Error> {
    let s = raw.get();
    let offset = s.as_ptr() as usize - full.as_ptr() as usize;
    let (line, column) = line_col(full, offset);
    let value = match s.as_bytes().first() {
        Some(b'{') => {
            let entries: RawEntries = serde_json::from_str(s)?;
            let mut out = Vec::with_capacity(entries.0.len());
            for (k, v) in entries.0 {
                let child = json_node(full, v)?;
                let key = Node {
                    value: Value::Scalar(Scalar::Str(Zeroizing::new(k))),
                    line: child.line,
                    column: child.column,
                };
                out.push((key, child));
            }
            Value::Map(out)
        }
        Some(b'[') => {
            let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(s)?;
            Value::Seq(
                items
                    .into_iter()
                    .map(|v| json_node(full, v))
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(b'"') => Value::Scalar(Scalar::Str(Zeroizing::new(serde_json::from_str(s)?))),
        Some(b't') => Value::Scalar(Scalar::JsonBool(true)),
        Some(b'f') => Value::Scalar(Scalar::JsonBool(false)),
        Some(b'n') => Value::Scalar(Scalar::JsonNull),
        _ => Value::Scalar(Scalar::JsonNumber(s.to_string())),
    };
    Ok(Node {
        value,
        line,
        column,
    })
}

/// apimachinery's `GuessJSONStream`: JSON when the first non-space character within
/// the first 4096 bytes is `{`.
pub(super) fn looks_like_json(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    text.trim_start_matches(char::is_whitespace)
        .starts_with('{')
}

pub(super) fn parse_json_stream(
    origin: &str,
    text: &str,
) -> Result<Vec<Node>, (bool, ManifestError)> {
    let mut out = Vec::new();
    let mut stream =
        serde_json::Deserializer::from_str(text).into_iter::<&serde_json::value::RawValue>();
    loop {
        match stream.next() {
            None => return Ok(out),
            Some(Ok(raw)) => {
                let node = json_node(text, raw).map_err(|e| {
                    (
                        out.is_empty(),
                        syntax(origin, e.line(), e.column(), "JSON", json_problem(&e)),
                    )
                })?;
                out.push(node);
            }
            Some(Err(e)) => {
                return Err((
                    out.is_empty(),
                    syntax(origin, e.line(), e.column(), "JSON", json_problem(&e)),
                ));
            }
        }
    }
}

/// serde_json's message without its " at line L column C" suffix (we print our own).
fn json_problem(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
