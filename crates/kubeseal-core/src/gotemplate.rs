//! `spec.template.data`: the Go `text/template` subset the sealed-secrets
//! controller renders over a SealedSecret's decrypted values (`{{ .KEY }}`,
//! `{{ index . "db-password" }}`, pipelines through the controller's sprig
//! functions such as `b64enc`, `upper`, `trim`, `printf`, `default`).
//!
//! What the controller does and empseal follows: the data is the map of
//! decrypted values (key → string); a missing key prints `<no value>`; `{{-` and
//! `-}}` trim the whitespace next to them; comments print nothing. Control
//! structures (`if`, `range`, `with`, `define`, variables) are refused with a
//! message naming the key, never rendered differently from the controller.

use std::collections::BTreeMap;

/// Why a template cannot be rendered. Messages quote template text, never values.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

fn err<T>(msg: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError(msg.into()))
}

#[derive(Debug, Clone)]
enum Value<'d> {
    Str(String),
    Int(i64),
    Bool(bool),
    Missing,
    Data(&'d BTreeMap<String, String>),
}

impl Value<'_> {
    fn text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Missing => "<no value>".into(),
            Value::Data(m) => {
                let items: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("map[{}]", items.join(" "))
            }
        }
    }

    /// Sprig's notion of empty (for `default`).
    fn is_empty(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Int(i) => *i == 0,
            Value::Bool(b) => !b,
            Value::Missing => true,
            Value::Data(m) => m.is_empty(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(String),
    Dot,
    Str(String),
    Int(i64),
    Bool(bool),
    Ident(String),
    Pipe,
}

/// Renders `template` over `data` as the controller does.
pub fn render(template: &str, data: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let mut text = &rest[..open];
        let mut inner_start = open + 2;
        if rest[inner_start..].starts_with("- ")
            || rest[inner_start..].starts_with("-\t")
            || rest[inner_start..].starts_with("-\n")
        {
            text = text.trim_end();
            inner_start += 1;
        }
        out.push_str(text);
        let close = find_close(&rest[inner_start..])
            .map(|c| c + inner_start)
            .ok_or_else(|| TemplateError("unclosed action (no matching }})".into()))?;
        let mut inner = &rest[inner_start..close];
        let mut after = &rest[close + 2..];
        if inner.ends_with(" -") || inner.ends_with("\t-") || inner.ends_with("\n-") {
            inner = &inner[..inner.len() - 1];
            after = after.trim_start();
        }
        let action = inner.trim();
        if !(action.starts_with("/*") && action.ends_with("*/")) {
            out.push_str(&eval_pipeline(action, data)?.text());
        }
        rest = after;
    }
    // A stray "}}" outside an action is text, as in Go.
    out.push_str(rest);
    Ok(out)
}

/// The position of the `}}` closing an action, skipping string literals.
fn find_close(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if b[i + 1] == b'}' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn lex(action: &str) -> Result<Vec<Tok>, TemplateError> {
    let mut toks = Vec::new();
    let chars: Vec<char> = action.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '|' {
            toks.push(Tok::Pipe);
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return err("unterminated quoted string"),
                    Some('"') => break,
                    Some('\\') => {
                        i += 1;
                        match chars.get(i) {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some('\\') => s.push('\\'),
                            Some('"') => s.push('"'),
                            Some(o) => return err(format!("unsupported escape \\{o} in a string")),
                            None => return err("unterminated quoted string"),
                        }
                    }
                    Some(&o) => s.push(o),
                }
                i += 1;
            }
            i += 1;
            toks.push(Tok::Str(s));
        } else if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '`')
                .ok_or_else(|| TemplateError("unterminated raw string".into()))?;
            toks.push(Tok::Str(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if c == '.' {
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            if j == start {
                toks.push(Tok::Dot);
            } else {
                if chars.get(j) == Some(&'.') {
                    return err("chained fields (.A.B) are not supported: the data is a flat map");
                }
                toks.push(Tok::Field(chars[start..j].iter().collect()));
            }
            i = j;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            let n: String = chars[i..j].iter().collect();
            toks.push(Tok::Int(
                n.parse()
                    .map_err(|_| TemplateError("a number out of range".into()))?,
            ));
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let id: String = chars[i..j].iter().collect();
            toks.push(match id.as_str() {
                "true" => Tok::Bool(true),
                "false" => Tok::Bool(false),
                _ => Tok::Ident(id),
            });
            i = j;
        } else {
            return err(
                "unsupported syntax (variables, parentheses and control structures are not rendered by empseal)",
            );
        }
    }
    Ok(toks)
}

fn eval_pipeline<'d>(
    action: &str,
    data: &'d BTreeMap<String, String>,
) -> Result<Value<'d>, TemplateError> {
    let toks = lex(action)?;
    if let Some(Tok::Ident(k)) = toks.first() {
        if matches!(
            k.as_str(),
            "if" | "else"
                | "end"
                | "range"
                | "with"
                | "define"
                | "template"
                | "block"
                | "break"
                | "continue"
        ) {
            return err(format!(
                "{{{{{k}}}}} is not supported by empseal's template renderer; unseal this SealedSecret in the cluster"
            ));
        }
    }
    if toks.is_empty() {
        return err("missing value for command");
    }
    let mut piped: Option<Value<'d>> = None;
    for cmd in toks.split(|t| *t == Tok::Pipe) {
        if cmd.is_empty() {
            return err("missing command in a pipeline");
        }
        piped = Some(eval_command(cmd, piped.take(), data)?);
    }
    Ok(piped.unwrap_or(Value::Missing))
}

fn operand<'d>(t: &Tok, data: &'d BTreeMap<String, String>) -> Result<Value<'d>, TemplateError> {
    Ok(match t {
        Tok::Dot => Value::Data(data),
        Tok::Field(f) => data
            .get(f)
            .map(|v| Value::Str(v.clone()))
            .unwrap_or(Value::Missing),
        Tok::Str(s) => Value::Str(s.clone()),
        Tok::Int(i) => Value::Int(*i),
        Tok::Bool(b) => Value::Bool(*b),
        Tok::Ident(f) => call(f, Vec::new(), data)?,
        Tok::Pipe => return err("unexpected |"),
    })
}

fn eval_command<'d>(
    cmd: &[Tok],
    piped: Option<Value<'d>>,
    data: &'d BTreeMap<String, String>,
) -> Result<Value<'d>, TemplateError> {
    match &cmd[0] {
        Tok::Ident(f) => {
            let mut args = cmd[1..]
                .iter()
                .map(|t| operand(t, data))
                .collect::<Result<Vec<_>, _>>()?;
            args.extend(piped);
            call(f, args, data)
        }
        other => {
            if cmd.len() > 1 || piped.is_some() {
                return err("only a function can take arguments or a piped value");
            }
            operand(other, data)
        }
    }
}

fn want<'a, 'd>(
    f: &str,
    args: &'a [Value<'d>],
    n: usize,
) -> Result<&'a [Value<'d>], TemplateError> {
    if args.len() != n {
        return err(format!(
            "wrong number of args for {f}: want {n} got {}",
            args.len()
        ));
    }
    Ok(args)
}

fn int_arg(f: &str, v: &Value) -> Result<i64, TemplateError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Str(s) => s
            .parse()
            .map_err(|_| TemplateError(format!("{f}: expected a number"))),
        _ => err(format!("{f}: expected a number")),
    }
}

fn call<'d>(
    f: &str,
    args: Vec<Value<'d>>,
    data: &'d BTreeMap<String, String>,
) -> Result<Value<'d>, TemplateError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let s = |v: &Value| v.text();
    let one =
        |args: &[Value<'d>]| -> Result<String, TemplateError> { Ok(s(&want(f, args, 1)?[0])) };
    Ok(match f {
        "index" => {
            let a = want(f, &args, 2)?;
            match (&a[0], &a[1]) {
                // Go's index gives the element type's zero value ("") for a
                // missing key, where a field (.KEY) prints "<no value>".
                (Value::Data(m), k) => Value::Str(m.get(&s(k)).cloned().unwrap_or_default()),
                _ => return err("index of a value that is not the data map"),
            }
        }
        "print" => {
            // fmt.Sprint: a space between operands when neither is a string.
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
                    out.push(' ');
                }
                out.push_str(&s(a));
            }
            Value::Str(out)
        }
        "println" => Value::Str(args.iter().map(s).collect::<Vec<_>>().join(" ") + "\n"),
        "printf" => {
            let Some((fmt, rest)) = args.split_first() else {
                return err("printf needs a format");
            };
            Value::Str(printf(&s(fmt), rest)?)
        }
        "len" => match want(f, &args, 1)?.first() {
            Some(Value::Data(m)) => Value::Int(m.len() as i64),
            Some(v) => Value::Int(s(v).len() as i64),
            None => Value::Int(0),
        },
        "upper" => Value::Str(one(&args)?.to_uppercase()),
        "lower" => Value::Str(one(&args)?.to_lowercase()),
        "trim" => Value::Str(one(&args)?.trim().to_string()),
        "nospace" => Value::Str(one(&args)?.chars().filter(|c| !c.is_whitespace()).collect()),
        "toString" => Value::Str(one(&args)?),
        "quote" => Value::Str(
            args.iter()
                .map(|a| format!("{:?}", s(a)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "squote" => Value::Str(
            args.iter()
                .map(|a| format!("'{}'", s(a)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "cat" => Value::Str(
            args.iter()
                .filter(|a| !matches!(a, Value::Missing))
                .map(s)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "toJson" => Value::Str(match &want(f, &args, 1)?[0] {
            Value::Missing => "null".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Str(v) => crate::emit::to_json(&crate::emit::Node::Str(v.clone())),
            Value::Data(m) => crate::emit::to_json(&crate::emit::Node::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), crate::emit::Node::Str(v.clone())))
                    .collect(),
            )),
        }),
        "b64enc" => Value::Str(b64.encode(one(&args)?.as_bytes())),
        "b64dec" => {
            let v = one(&args)?;
            Value::Str(match b64.decode(v.as_bytes()) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => e.to_string(),
            })
        }
        "sha256sum" => {
            use sha2::Digest;
            Value::Str(hex(&sha2::Sha256::digest(one(&args)?.as_bytes())))
        }
        "trimPrefix" => {
            let a = want(f, &args, 2)?;
            let (p, v) = (s(&a[0]), s(&a[1]));
            Value::Str(v.strip_prefix(p.as_str()).unwrap_or(&v).to_string())
        }
        "trimSuffix" => {
            let a = want(f, &args, 2)?;
            let (p, v) = (s(&a[0]), s(&a[1]));
            Value::Str(v.strip_suffix(p.as_str()).unwrap_or(&v).to_string())
        }
        "trimAll" => {
            let a = want(f, &args, 2)?;
            let (cut, v) = (s(&a[0]), s(&a[1]));
            Value::Str(v.trim_matches(|c| cut.contains(c)).to_string())
        }
        "replace" => {
            let a = want(f, &args, 3)?;
            Value::Str(s(&a[2]).replace(&s(&a[0]), &s(&a[1])))
        }
        "repeat" => {
            let a = want(f, &args, 2)?;
            let n = int_arg(f, &a[0])?;
            if !(0..=1 << 16).contains(&n) {
                return err("repeat: count out of range");
            }
            Value::Str(s(&a[1]).repeat(n as usize))
        }
        "indent" | "nindent" => {
            let a = want(f, &args, 2)?;
            let n = int_arg(f, &a[0])?;
            if !(0..=1 << 10).contains(&n) {
                return err(format!("{f}: width out of range"));
            }
            let pad = " ".repeat(n as usize);
            let body = pad.clone() + &s(&a[1]).replace('\n', &format!("\n{pad}"));
            Value::Str(if f == "nindent" {
                format!("\n{body}")
            } else {
                body
            })
        }
        "default" => {
            // sprig: default DEFAULT GIVEN
            match args.len() {
                1 => args[0].clone(),
                2 if args[1].is_empty() => args[0].clone(),
                2 => args[1].clone(),
                n => return err(format!("wrong number of args for default: want 2 got {n}")),
            }
        }
        "env" | "expandenv" | "getHostByName" => {
            return err(format!(
                "function \"{f}\" not defined (the controller removes it)"
            ))
        }
        _ => {
            let _ = data;
            return err(format!(
                "function \"{f}\" not defined or not supported by empseal's template renderer"
            ));
        }
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `fmt.Sprintf` for the verbs templates use on strings: %s %v %q %d %%.
fn printf(fmt: &str, args: &[Value]) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(v @ ('s' | 'v' | 'q' | 'd')) => match it.next() {
                Some(a) => match v {
                    'q' => out.push_str(&format!("{:?}", a.text())),
                    'd' => out.push_str(&match a {
                        Value::Int(i) => i.to_string(),
                        other => format!("%!d(string={})", other.text()),
                    }),
                    _ => out.push_str(&a.text()),
                },
                None => out.push_str(&format!("%!{v}(MISSING)")),
            },
            Some(v) => return err(format!("printf verb %{v} is not supported")),
            None => out.push_str("%!(NOVERB)"),
        }
    }
    let extra: Vec<String> = it
        .map(|a| match a {
            Value::Int(i) => format!("int={i}"),
            Value::Bool(b) => format!("bool={b}"),
            Value::Missing => "<nil>".to_string(),
            Value::Data(_) => format!("map[string]string={}", a.text()),
            Value::Str(v) => format!("string={v}"),
        })
        .collect();
    if !extra.is_empty() {
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> BTreeMap<String, String> {
        [("user", "app"), ("pass", "s3cr3t"), ("db-host", "db.local")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn renders_fields_index_pipelines_and_trim_markers() {
        let d = data();
        assert_eq!(
            render(
                "postgres://{{ .user }}:{{ .pass }}@{{ index . \"db-host\" }}/x",
                &d
            )
            .unwrap(),
            "postgres://app:s3cr3t@db.local/x"
        );
        assert_eq!(render("{{ .pass | b64enc }}", &d).unwrap(), "czNjcjN0");
        assert_eq!(
            render("{{ .user | upper | quote }}", &d).unwrap(),
            "\"APP\""
        );
        assert_eq!(render("a  {{- .user -}}  b", &d).unwrap(), "aappb");
        assert_eq!(render("{{ .nope }}", &d).unwrap(), "<no value>");
        assert_eq!(render("{{ default \"x\" .nope }}", &d).unwrap(), "x");
        assert_eq!(
            render("{{ printf \"%s-%s\" .user .pass }}", &d).unwrap(),
            "app-s3cr3t"
        );
        assert_eq!(render("{{/* note */}}k", &d).unwrap(), "k");
        assert_eq!(render("{{ toJson .pass }}", &d).unwrap(), "\"s3cr3t\"");
        assert!(render("{{ if .user }}y{{ end }}", &d).is_err());
        assert!(render("{{ env \"HOME\" }}", &d).is_err());
        assert!(render("{{ .user", &d).is_err());
    }
}
