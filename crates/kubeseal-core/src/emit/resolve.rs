//! go-yaml v2's implicit resolver (resolve.go), reduced to the one question
//! the encoder asks of a string: would it read back as a string if written
//! plain? If not, the encoder quotes it (`stringv` in encode.go).
//!
//! Ported with the parts of Go's standard library it leans on:
//! `strconv.ParseInt/ParseUint/ParseFloat` and `time.Parse` (Go 1.26, the Go
//! kubeseal v0.36 is built with) for go-yaml's four timestamp layouts.

use std::borrow::Cow;

/// Whether go-yaml v2 writes `s` as a plain scalar when style allows: it
/// resolves to `!!str` and is not a YAML 1.1 base-60 float.
pub(super) fn can_use_plain(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false; // "" resolves to null.
    };
    match first {
        b'+' | b'-' | b'0'..=b'9' => {}
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            return !in_resolve_map(s);
        }
        b'.' => return !in_resolve_map(s) && !go_parse_float_ok(s),
        _ => return true,
    }
    // Hint 'D' or 'S': map, timestamp, int, float, binary; then base 60.
    if in_resolve_map(s) {
        return false;
    }
    if first.is_ascii_digit() && is_timestamp(b) {
        return false;
    }
    let plain: Cow<'_, str> = if s.contains('_') {
        Cow::Owned(s.replace('_', ""))
    } else {
        Cow::Borrowed(s)
    };
    let p = plain.as_bytes();
    if go_parse_int(p, 0).is_some() || go_parse_uint(p, 0).is_some() {
        return false;
    }
    if is_yaml_style_float(p) && plain.parse::<f64>().is_ok_and(f64::is_finite) {
        return false;
    }
    if let Some(rest) = p.strip_prefix(b"0b") {
        if go_parse_int(rest, 2).is_some() || go_parse_uint(rest, 2).is_some() {
            return false;
        }
    } else if let Some(rest) = p.strip_prefix(b"-0b") {
        let mut neg = Vec::with_capacity(rest.len() + 1);
        neg.push(b'-');
        neg.extend_from_slice(rest);
        if go_parse_int(&neg, 2).is_some() {
            return false;
        }
    }
    !is_base60_float(b)
}

/// resolve.go's `resolveMap`.
fn in_resolve_map(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "true"
            | "True"
            | "TRUE"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "false"
            | "False"
            | "FALSE"
            | "off"
            | "Off"
            | "OFF"
            | ""
            | "~"
            | "null"
            | "Null"
            | "NULL"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | "<<"
    )
}

#[inline]
fn lower(c: u8) -> u8 {
    c | (b'x' - b'X')
}

/// strconv's `underscoreOK`.
fn underscore_ok(s: &[u8]) -> bool {
    let mut saw = b'^';
    let mut i = 0;
    let s = match s.first() {
        Some(b'-' | b'+') => &s[1..],
        _ => s,
    };
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(lower(s[1]), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = lower(s[1]) == b'x';
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&lower(c))) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, base, 64)`; base 0 means "from the prefix".
pub(super) fn go_parse_uint(s: &[u8], base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let base0 = base == 0;
    let s0 = s;
    let mut s = s;
    let mut base = base;
    if base0 {
        base = 10;
        if s[0] == b'0' {
            if s.len() >= 3 && lower(s[1]) == b'b' {
                base = 2;
                s = &s[2..];
            } else if s.len() >= 3 && lower(s[1]) == b'o' {
                base = 8;
                s = &s[2..];
            } else if s.len() >= 3 && lower(s[1]) == b'x' {
                base = 16;
                s = &s[2..];
            } else {
                base = 8;
                s = &s[1..];
            }
        }
    }
    let mut underscores = false;
    let mut n: u64 = 0;
    for &c in s {
        let d = if c == b'_' && base0 {
            underscores = true;
            continue;
        } else if c.is_ascii_digit() {
            c - b'0'
        } else if lower(c).is_ascii_lowercase() {
            lower(c) - b'a' + 10
        } else {
            return None;
        };
        if u32::from(d) >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    if underscores && !underscore_ok(s0) {
        return None;
    }
    Some(n)
}

/// `strconv.ParseInt(s, base, 64)`.
pub(super) fn go_parse_int(s: &[u8], base: u32) -> Option<i64> {
    let (neg, digits) = match s.first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let un = go_parse_uint(digits, base)?;
    const CUTOFF: u64 = 1 << 63;
    if !neg && un >= CUTOFF {
        return None;
    }
    if neg && un > CUTOFF {
        return None;
    }
    Some(if neg {
        (un as i64).wrapping_neg()
    } else {
        un as i64
    })
}

/// Whether `strconv.ParseFloat(s, 64)` succeeds (syntax as strconv's
/// `readFloat`, including underscores between digits; out of range fails).
pub(super) fn go_parse_float_ok(s: &str) -> bool {
    let b = s.as_bytes();
    if go_special_float(b) {
        return true;
    }
    let Some(hex) = go_read_float(b) else {
        return false;
    };
    if hex {
        return true; // Not reachable from the resolver ('.'-prefixed input).
    }
    let digits: Cow<'_, str> = if s.contains('_') {
        Cow::Owned(s.replace('_', ""))
    } else {
        Cow::Borrowed(s)
    };
    digits.parse::<f64>().is_ok_and(f64::is_finite)
}

/// strconv's `special`: a whole-string inf/infinity/nan.
fn go_special_float(s: &[u8]) -> bool {
    let body = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    let eq = |w: &str| body.eq_ignore_ascii_case(w.as_bytes());
    if eq("inf") || eq("infinity") {
        return true;
    }
    // NaN takes no sign.
    s.eq_ignore_ascii_case(b"nan")
}

/// strconv's `readFloat` over the whole input: `Some(is_hex)` when `s` is one
/// well-formed float literal.
fn go_read_float(s: &[u8]) -> Option<bool> {
    let mut i = 0;
    let mut underscores = false;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut base = 10u32;
    let mut exp_char = b'e';
    if i + 2 < s.len() && s[i] == b'0' && lower(s[i + 1]) == b'x' {
        base = 16;
        i += 2;
        exp_char = b'p';
    }
    let mut saw_dot = false;
    let mut saw_digits = false;
    while i < s.len() {
        let c = s[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if saw_dot {
                break;
            }
            saw_dot = true;
        } else if c.is_ascii_digit() || (base == 16 && (b'a'..=b'f').contains(&lower(c))) {
            saw_digits = true;
        } else {
            break;
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    if i < s.len() && lower(s[i]) == exp_char {
        i += 1;
        if i >= s.len() {
            return None;
        }
        if s[i] == b'+' || s[i] == b'-' {
            i += 1;
        }
        if i >= s.len() || !s[i].is_ascii_digit() {
            return None;
        }
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
            if s[i] == b'_' {
                underscores = true;
            }
            i += 1;
        }
    } else if base == 16 {
        return None;
    }
    if underscores && !underscore_ok(&s[..i]) {
        return None;
    }
    // ParseFloat: the literal must be the whole string.
    (i == s.len()).then_some(base == 16)
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
    match s.first() {
        Some(b'+' | b'-' | b'0'..=b'9') => {}
        _ => return false,
    }
    if !s.contains(&b':') {
        return false;
    }
    let mut i = 0;
    if matches!(s[0], b'+' | b'-') {
        i = 1;
    }
    if !s.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while s.get(i) == Some(&b':') {
        i += 1;
        let d1 = s.get(i).copied();
        let d2 = s.get(i + 1).copied();
        match (d1, d2) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
            i += 1;
        }
    }
    i == s.len()
}

/// resolve.go's `parseTimestamp`: `time.Parse` with the layouts
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`, after the quick check that the
/// value starts with four digits and `-`.
fn is_timestamp(s: &[u8]) -> bool {
    if s.len() < 5 || !s[..4].iter().all(u8::is_ascii_digit) || s[4] != b'-' {
        return false;
    }
    [
        Layout::DateTimeT(b'T'),
        Layout::DateTimeT(b't'),
        Layout::DateTimeSpace,
        Layout::Date,
    ]
    .into_iter()
    .any(|l| go_time_parse(l, s))
}

#[derive(Clone, Copy)]
enum Layout {
    /// `2006-1-2T15:4:5.999999999Z07:00` (with `T` or `t`).
    DateTimeT(u8),
    /// `2006-1-2 15:4:5.999999999`.
    DateTimeSpace,
    /// `2006-1-2`.
    Date,
}

/// time.go's `getnum`: one or two digits (two when `fixed`).
fn getnum(v: &[u8], fixed: bool) -> Option<(u32, &[u8])> {
    let d0 = *v.first().filter(|c| c.is_ascii_digit())?;
    match v.get(1).filter(|c| c.is_ascii_digit()) {
        Some(&d1) => Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &v[2..])),
        None if fixed => None,
        None => Some((u32::from(d0 - b'0'), &v[1..])),
    }
}

fn literal(v: &[u8], c: u8) -> Option<&[u8]> {
    v.strip_prefix(&[c])
}

/// Go 1.26 `time.Parse(layout, value)` succeeds, for the four layouts above.
fn go_time_parse(layout: Layout, v: &[u8]) -> bool {
    go_time_parse_opt(layout, v).is_some()
}

fn go_time_parse_opt(layout: Layout, v: &[u8]) -> Option<()> {
    // stdLongYear: four bytes, all digits here (checked by the caller).
    let year: u32 = std::str::from_utf8(&v[..4]).ok()?.parse().ok()?;
    let v = literal(&v[4..], b'-')?;
    let (month, v) = getnum(v, false)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let v = literal(v, b'-')?;
    let (day, mut v) = getnum(v, false)?;
    match layout {
        Layout::Date => {}
        Layout::DateTimeT(t) => v = literal(v, t)?,
        Layout::DateTimeSpace => {
            // A space in the layout matches any run of spaces (none at the end).
            if v.first().is_some_and(|&c| c != b' ') {
                return None;
            }
            while v.first() == Some(&b' ') {
                v = &v[1..];
            }
        }
    }
    if !matches!(layout, Layout::Date) {
        let (hour, rest) = getnum(v, false)?;
        if hour >= 24 {
            return None;
        }
        let rest = literal(rest, b':')?;
        let (min, rest) = getnum(rest, false)?;
        if min >= 60 {
            return None;
        }
        let rest = literal(rest, b':')?;
        let (sec, mut rest) = getnum(rest, false)?;
        if sec >= 60 {
            return None;
        }
        // stdFracSecond9: `.` or `,` and at least one digit, then every digit.
        if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
            let mut n = 2;
            while n < rest.len() && rest[n].is_ascii_digit() {
                n += 1;
            }
            rest = &rest[n..];
        }
        if let Layout::DateTimeT(_) = layout {
            // stdISO8601ColonTZ: `Z`, or `±hh:mm`.
            if rest.first() == Some(&b'Z') {
                rest = &rest[1..];
            } else {
                if rest.len() < 6 || rest[3] != b':' {
                    return None;
                }
                let (hh, _) = getnum(&rest[1..3], true)?;
                let (mm, _) = getnum(&rest[4..6], true)?;
                if hh > 24 || mm > 60 || !matches!(rest[0], b'+' | b'-') {
                    return None;
                }
                rest = &rest[6..];
            }
        }
        v = rest;
    }
    if !v.is_empty() {
        return None; // extra text
    }
    (1..=days_in(month, year)).contains(&day).then_some(())
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_1_26_time_parse_rules() {
        // Go >= 1.20 takes any number of fractional digits (Go 1.19 stops at
        // nine; tests/emit_support's TIMESTAMPS show it against Go itself).
        assert!(is_timestamp(b"2024-01-02 03:04:05.1234567890"));
        // Go >= 1.20 requires two-digit zone hours and minutes, in range.
        assert!(is_timestamp(b"2024-01-02T03:04:05+24:00"));
        assert!(!is_timestamp(b"2024-01-02T03:04:05+25:00"));
        assert!(!is_timestamp(b"2024-01-02T03:04:05+01:61"));
        assert!(!is_timestamp(b"2024-01-02T03:04:05+-1:00"));
        assert!(!is_timestamp(b"2024-02-30"));
        assert!(is_timestamp(b"2024-02-29"));
        assert!(!is_timestamp(b"2023-02-29"));
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
}
