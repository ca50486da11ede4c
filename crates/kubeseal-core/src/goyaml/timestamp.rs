//! go-yaml v2's `parseTimestamp` with the part of Go's `time.Parse` (Go 1.26)
//! it uses: an unquoted scalar that parses as one of go-yaml's four timestamp
//! layouts resolves to `!!timestamp`, so the encoder must quote such a string.

/// resolve.go's `parseTimestamp`: `time.Parse` with the layouts
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`. (Its quick check, four digits
/// and `-`, is the first thing each layout asks anyway.)
pub(super) fn is_timestamp(s: &[u8]) -> bool {
    [
        Layout::DateTimeT(b'T'),
        Layout::DateTimeT(b't'),
        Layout::DateTimeSpace,
        Layout::Date,
    ]
    .into_iter()
    .any(|l| go_time_parse(l, s))
}

/// Go's `time.Parse(time.RFC3339, s)` succeeds: what `metav1.Time` (a Kubernetes
/// object's `creationTimestamp`, `deletionTimestamp`) accepts besides `null`.
/// (Go tries a strict fast path first and falls back to the general parser, which
/// accepts everything the fast path does and more: a one-digit hour, a `,`
/// before the fraction, a zone offset up to `+24:60`.)
pub(crate) fn is_go_rfc3339(s: &[u8]) -> bool {
    go_time_parse(Layout::Rfc3339, s)
}

#[derive(Clone, Copy)]
enum Layout {
    /// `2006-01-02T15:04:05Z07:00` (`time.RFC3339`).
    Rfc3339,
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

/// Go 1.26 `time.Parse(layout, value)` succeeds, for the layouts above.
fn go_time_parse(layout: Layout, v: &[u8]) -> bool {
    go_time_parse_opt(layout, v).is_some()
}

fn go_time_parse_opt(layout: Layout, v: &[u8]) -> Option<()> {
    // go-yaml's quick check and stdLongYear: four digits, then `-`.
    let year_digits = v.get(..4).filter(|d| d.iter().all(u8::is_ascii_digit))?;
    let year: u32 = std::str::from_utf8(year_digits).ok()?.parse().ok()?;
    // RFC 3339's layout has two-digit fields (`01`, `02`, `04`, `05`) but a
    // one-or-two-digit hour (`15`); go-yaml's have one-or-two-digit fields.
    let fixed = matches!(layout, Layout::Rfc3339);
    let v = literal(&v[4..], b'-')?;
    let (month, v) = getnum(v, fixed)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let v = literal(v, b'-')?;
    let (day, mut v) = getnum(v, fixed)?;
    match layout {
        Layout::Date => {}
        Layout::Rfc3339 => v = literal(v, b'T')?,
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
        let (min, rest) = getnum(rest, fixed)?;
        if min >= 60 {
            return None;
        }
        let rest = literal(rest, b':')?;
        let (sec, mut rest) = getnum(rest, fixed)?;
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
        if let Layout::DateTimeT(_) | Layout::Rfc3339 = layout {
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
}
