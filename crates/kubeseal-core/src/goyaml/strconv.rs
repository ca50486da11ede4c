//! Ports of the parts of Go's `strconv` (Go 1.26, the Go kubeseal v0.36 is
//! built with) that go-yaml v2's resolver and sigs.k8s.io/yaml lean on.
//!
//! Rust's own parsers accept other spellings (no `0x`/`0o`/`0b` prefixes, no
//! leading-zero octal, no `_` separators, `inf`/`nan` in any case), so reading
//! YAML as kubeseal does needs Go's rules, not Rust's.

use std::borrow::Cow;

#[inline]
fn lower(c: u8) -> u8 {
    c | (b'x' - b'X')
}

/// strconv's `underscoreOK` for a number without its sign (every caller here
/// has the sign already behind it: `ParseUint` takes none, and `read_float`
/// passes the literal after it).
fn underscore_ok(s: &[u8]) -> bool {
    let mut saw = b'^';
    let mut i = 0;
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
pub fn parse_uint(s: &[u8], base: u32) -> Option<u64> {
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
pub fn parse_int(s: &[u8], base: u32) -> Option<i64> {
    let (neg, digits) = match s.first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let un = parse_uint(digits, base)?;
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

/// `strconv.ParseFloat(s, 64)` for decimal input: Go's syntax (including `_`
/// between digits and `inf`/`infinity`/`nan` in any case), `None` where Go
/// reports an error (out of range included). Hexadecimal literals (`0x1p-2`) are
/// refused rather than evaluated: go-yaml's resolver never passes one, since a
/// float must match `yamlStyleFloat` or start with `.` first.
pub fn parse_decimal_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if let Some(special) = special_float(b) {
        return Some(special);
    }
    if !is_decimal_float(b) {
        return None;
    }
    let digits: Cow<'_, str> = if s.contains('_') {
        Cow::Owned(s.replace('_', ""))
    } else {
        Cow::Borrowed(s)
    };
    // Once Go's syntax is checked, Rust's parser rounds the same way (correctly).
    digits.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// strconv's `special`: a whole-string `inf`/`infinity` (optionally signed) or
/// `nan`, in any case.
fn special_float(s: &[u8]) -> Option<f64> {
    let (negative, body) = match s.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    // NaN takes no sign.
    s.eq_ignore_ascii_case(b"nan").then_some(f64::NAN)
}

/// strconv's `readFloat` over the whole input, for base 10 only: whether `s`
/// is one well-formed decimal float literal (a `0x` prefix stops at the `x`,
/// so hexadecimal literals are not).
fn is_decimal_float(s: &[u8]) -> bool {
    let start = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let mut i = start;
    let mut saw_dot = false;
    let mut saw_digits = false;
    while let Some(&c) = s.get(i) {
        if c == b'_' {
            // Where underscores may stand is underscore_ok's question, below.
        } else if c == b'.' && !saw_dot {
            saw_dot = true;
        } else if c.is_ascii_digit() {
            saw_digits = true;
        } else {
            break;
        }
        i += 1;
    }
    if !saw_digits {
        return false;
    }
    if s.get(i).is_some_and(|c| lower(*c) == b'e') {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !s.get(i).is_some_and(u8::is_ascii_digit) {
            return false;
        }
        while s.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    // (Go asks only when it saw an underscore; without one the answer is yes.)
    if !underscore_ok(&s[start..i]) {
        return false;
    }
    // ParseFloat: the literal must be the whole string.
    i == s.len()
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: what sigs.k8s.io/yaml writes for a
/// YAML float that lands in a string field (go-yaml v2 decodes floats as
/// float64, encoding/json then formats them as float32 for a string target).
pub fn format_float32(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x.is_sign_positive() {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as Go's shortest mode.
    let e = format!("{:e}", x.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = x.is_sign_negative();
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let x_exp = dp - 1;
    if !(-4..6).contains(&x_exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if x_exp.is_negative() { '-' } else { '+' });
        out.push_str(&format!("{:02}", x_exp.abs()));
        return out;
    }
    if dp > 0 {
        for i in 0..dp {
            out.push(
                digits
                    .as_bytes()
                    .get(i as usize)
                    .map_or('0', |&c| c as char),
            );
        }
    } else {
        out.push('0');
    }
    let prec = (nd - dp).max(0);
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            // Positions before the first digit (a negative exponent) are zeros.
            let c = usize::try_from(dp + i)
                .ok()
                .and_then(|at| digits.as_bytes().get(at))
                .map_or('0', |&c| c as char);
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_formatting_like_go() {
        for (f, want) in [
            (1.1, "1.1"),
            (1000.0, "1000"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.23456789, "1.2345679"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e-7, "1e-07"),
            (f64::INFINITY, "+Inf"),
            (1e39, "+Inf"),
            (100.5, "100.5"),
        ] {
            assert_eq!(format_float32(f), want, "{f}");
        }
    }

    #[test]
    fn go_number_syntax() {
        assert_eq!(parse_int(b"0x1F", 0), Some(31));
        assert_eq!(parse_int(b"017", 0), Some(15));
        assert_eq!(parse_int(b"-0b101", 0), Some(-5));
        assert_eq!(parse_int(b"1_000", 0), Some(1000));
        assert_eq!(parse_int(b"1__000", 0), None);
        assert_eq!(parse_int(b"9223372036854775808", 0), None);
        assert_eq!(parse_uint(b"9223372036854775808", 0), Some(1 << 63));
        assert_eq!(parse_int(b"-9223372036854775808", 0), Some(i64::MIN));
        assert_eq!(parse_decimal_float(".5_5"), Some(0.55));
        assert_eq!(parse_decimal_float("1e400"), None);
        assert_eq!(parse_decimal_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_decimal_float("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_decimal_float("+nan"), None);
        assert_eq!(parse_decimal_float("0x1p-2"), None);
        assert_eq!(parse_decimal_float("1._5"), None);
        assert_eq!(parse_decimal_float("1."), Some(1.0));
    }
}
