//! go-yaml v2's implicit resolver (resolve.go) for untagged plain scalars, and
//! the encoder's question built on it (encode.go's `stringv`): may a string be
//! written plain, or would it read back as something else?

use std::borrow::Cow;

use super::strconv::{parse_decimal_float, parse_int, parse_uint};
use super::timestamp::is_timestamp;

/// What go-yaml v2's `resolve` makes of an unquoted scalar, as decoded into a
/// Go `interface{}` (sigs.k8s.io/yaml's first step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved {
    /// A string (the text itself; timestamps included, as go-yaml v2 keeps them
    /// as strings in an `interface{}`).
    Str,
    /// `~`, `null`, `Null`, `NULL` or nothing.
    Null,
    /// `true`/`yes`/`on`/`y`... or `false`/`no`/`off`/`n`... in their accepted spellings.
    Bool(bool),
    /// An integer (decimal, `0x`, `0o`, `0b`, leading-zero octal, `_` ignored).
    Int(i64),
    /// An integer above `i64::MAX`.
    Uint(u64),
    /// A float (including `.inf`, `.nan`).
    Float(f64),
}

/// go-yaml v2's `resolve` for an untagged plain scalar (YAML 1.1 core types), as
/// kubeseal's decoder reads it.
pub fn resolve_plain(s: &str) -> Resolved {
    match resolve(s) {
        Resolution::Value(resolved) => resolved,
        Resolution::Timestamp => Resolved::Str,
    }
}

/// Whether go-yaml v2 writes `s` as a plain scalar when style allows: it
/// resolves to `!!str` (not `!!timestamp`) and is not a YAML 1.1 base-60 float.
pub fn can_use_plain(s: &str) -> bool {
    matches!(resolve(s), Resolution::Value(Resolved::Str)) && !is_base60_float(s.as_bytes())
}

/// The tag `resolve` gives, where the decoder and the encoder need to tell a
/// timestamp from a string.
enum Resolution {
    Value(Resolved),
    /// `!!timestamp`: decoded as the string itself, but quoted when encoded.
    Timestamp,
}

/// resolve.go's `resolve("", s)`: the first byte picks what to try (its
/// `resolveTable` hint), then the `resolveMap` words, then numbers.
fn resolve(s: &str) -> Resolution {
    let hint = match s.as_bytes().first() {
        None => return Resolution::Value(Resolved::Null),
        Some(b'+' | b'-' | b'0'..=b'9') => Hint::Number,
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => {
            Hint::Word
        }
        Some(b'.') => Hint::Dot,
        Some(_) => return Resolution::Value(Resolved::Str),
    };
    if let Some(resolved) = resolve_map(s) {
        return Resolution::Value(resolved);
    }
    match hint {
        Hint::Word => Resolution::Value(Resolved::Str),
        Hint::Dot => {
            Resolution::Value(parse_decimal_float(s).map_or(Resolved::Str, Resolved::Float))
        }
        Hint::Number => resolve_number(s),
    }
}

/// resolve.go's `resolveTable` hints (bytes without one resolve to `!!str`).
#[derive(Clone, Copy)]
enum Hint {
    /// `'D'` or `'S'`: a digit or a sign; an int, float or timestamp.
    Number,
    /// `'M'`: only a `resolveMap` word.
    Word,
    /// `'.'`: a `resolveMap` word or a float.
    Dot,
}

/// resolve.go's `resolveMap` (its `<<` merge key has no hint byte, so
/// `resolve` never looks it up).
fn resolve_map(s: &str) -> Option<Resolved> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// resolve.go's `'D', 'S'` case: a timestamp, then (with every `_` removed) an
/// int, a uint, a YAML-style float, and last the `0b`/`-0b` binary forms.
fn resolve_number(s: &str) -> Resolution {
    if is_timestamp(s.as_bytes()) {
        return Resolution::Timestamp;
    }
    let plain: Cow<'_, str> = if s.contains('_') {
        Cow::Owned(s.replace('_', ""))
    } else {
        Cow::Borrowed(s)
    };
    let p = plain.as_bytes();
    let resolved = if let Some(i) = parse_int(p, 0) {
        Resolved::Int(i)
    } else if let Some(u) = parse_uint(p, 0) {
        Resolved::Uint(u)
    } else if let Some(f) = is_yaml_style_float(p)
        .then(|| parse_decimal_float(&plain))
        .flatten()
    {
        Resolved::Float(f)
    } else if let Some(rest) = p.strip_prefix(b"0b") {
        parse_int(rest, 2)
            .map(Resolved::Int)
            .or_else(|| parse_uint(rest, 2).map(Resolved::Uint))
            .unwrap_or(Resolved::Str)
    } else if let Some(rest) = p.strip_prefix(b"-0b") {
        let mut negative = Vec::with_capacity(rest.len() + 1);
        negative.push(b'-');
        negative.extend_from_slice(rest);
        parse_int(&negative, 2).map_or(Resolved::Str, Resolved::Int)
    } else {
        Resolved::Str
    };
    Resolution::Value(resolved)
}

/// resolve.go's `yamlStyleFloat`:
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &[u8]) -> bool {
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if s.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if s.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == s.len()
}

/// encode.go's `isBase60Float`:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &[u8]) -> bool {
    // One pass, no shortcuts: every step is a step of the regular expression.
    let digits_or_underscores = |i: &mut usize| {
        while s.get(*i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            *i += 1;
        }
    };
    let mut i = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    if !s.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    digits_or_underscores(&mut i);
    let mut sexagesimal = false;
    while s.get(i) == Some(&b':') {
        i += 1;
        match (s.get(i), s.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        sexagesimal = true;
    }
    if !sexagesimal {
        return false;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        digits_or_underscores(&mut i);
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_resolution() {
        use Resolved::*;
        for (s, want) in [
            ("yes", Bool(true)),
            ("Off", Bool(false)),
            ("y", Bool(true)),
            ("yES", Str),
            ("~", Null),
            ("", Null),
            ("NULL", Null),
            ("nil", Str),
            ("0123", Int(83)),
            ("08", Float(8.0)),
            ("0x1F", Int(31)),
            ("0o17", Int(15)),
            ("0b101", Int(5)),
            ("-0b101", Int(-5)),
            ("0b-101", Int(-5)),
            ("1_000", Int(1000)),
            ("+5", Int(5)),
            ("18446744073709551615", Uint(u64::MAX)),
            ("1.10", Float(1.1)),
            ("1e3", Float(1000.0)),
            (".5", Float(0.5)),
            (".5_5", Float(0.55)),
            ("._5", Str),
            ("1e400", Str),
            ("2001-12-14", Str),
            ("12:30", Str),
            (".inf", Float(f64::INFINITY)),
            ("-.Inf", Float(f64::NEG_INFINITY)),
            ("0x", Str),
            ("1.2.3", Str),
            ("-", Str),
            ("+", Str),
            ("1e", Str),
            ("1.", Float(1.0)),
            ("<<", Str),
        ] {
            let got = resolve_plain(s);
            match (got, want) {
                (Float(a), Float(b)) => assert!(a == b, "{s}: {got:?}"),
                _ => assert_eq!(got, want, "{s}"),
            }
        }
        assert!(matches!(resolve_plain(".NaN"), Float(f) if f.is_nan()));
    }

    #[test]
    fn resolver_examples() {
        for s in [
            "true",
            "yes",
            "On",
            "~",
            "null",
            "",
            "123",
            "1e3",
            "0x1F",
            "1:20",
            ".inf",
            "0b-101",
            "1_000",
            ".5_5",
            "2024-01-01",
        ] {
            assert!(!can_use_plain(s), "{s:?} must be quoted");
        }
        for s in [
            "abc",
            "+.nan",
            "1e999",
            "<<",
            "0x",
            "1:60",
            "yes please",
            "2024-13-01",
            "._5",
        ] {
            assert!(can_use_plain(s), "{s:?} may be plain");
        }
    }

    /// The hand-written matchers against the regular expressions go-yaml v2
    /// compiles (resolve.go's `yamlStyleFloat`, encode.go's `base60float`), run by
    /// the regex crate over every short string of the characters that matter.
    #[test]
    fn float_matchers_agree_with_go_yamls_regular_expressions() {
        use empseal_testkit::inputs::all_strings;
        let style =
            regex::bytes::Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
                .unwrap();
        for s in all_strings("09.eE+-_x", 6) {
            let s = s.as_bytes();
            assert_eq!(
                is_yaml_style_float(s),
                style.is_match(s),
                "yamlStyleFloat {:?}",
                String::from_utf8_lossy(s)
            );
        }
        let base60 =
            regex::bytes::Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
                .unwrap();
        for s in all_strings("0569_:.+-a", 6) {
            let s = s.as_bytes();
            assert_eq!(
                is_base60_float(s),
                base60.is_match(s),
                "base60float {:?}",
                String::from_utf8_lossy(s)
            );
        }
    }
}
