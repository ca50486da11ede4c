//! go-yaml's key order depends on Go's `unicode.IsLetter` / `unicode.IsDigit`.
//! Our tables are Unicode 15.0.0 (Go 1.21–1.26; kubeseal v0.36 is built with
//! Go 1.26), and so are the reference Go's (tests/gotool). For every code point
//! Go's tables assign, both must agree. The letter / digit
//! status is observed through the public API: the order `to_yaml` gives two
//! keys.

use crate::emit_support;

use emit_support::GoUnicode;
use kubeseal_core::emit::{self, Node};

/// Whether `to_yaml` prints key `a` before key `b`.
fn a_first(a: &str, b: &str) -> bool {
    let yaml = emit::to_yaml(&Node::Map(vec![
        (a.to_owned(), Node::Int(0)),
        (b.to_owned(), Node::Int(1)),
    ]));
    // One line per key (`<key>: 0`), whatever quoting the key needs.
    yaml.lines().next().unwrap_or_default().ends_with(": 0")
}

/// go-yaml puts a letter after a non-letter at the first difference, and
/// compares two letters by code point: with "a" (a letter, below every
/// non-ASCII code point), `c` sorts first exactly when it is not a letter.
fn letter_by_order(c: char) -> bool {
    a_first("a", &c.to_string())
}

/// Between two non-letters a digit run compares as the number `c - '0'`,
/// larger than the empty run of U+10FFFD (not a letter, not a digit), which
/// would otherwise win by code point.
fn digit_by_order(c: char) -> bool {
    a_first("\u{10FFFD}", &c.to_string())
}

#[test]
fn letters_and_digits_agree_with_go() {
    let u = GoUnicode::get();
    let mut checked = 0usize;
    let mut bad = Vec::new();
    for cp in 0x80..=0x10FFFFu32 {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        // Unassigned in Go's tables, or private use (never letters or digits).
        if !u.is_assigned(c) || (0xE000..=0xF8FF).contains(&cp) || cp >= 0xF0000 {
            continue;
        }
        // C1 controls, line separators and non-characters are refused or
        // make multi-line keys; they are neither letters nor digits anyway.
        let plain_key = !matches!(cp, 0x80..=0x9F | 0x2028 | 0x2029 | 0xFFFE | 0xFFFF);
        if !plain_key {
            assert!(!u.is_letter(c) && !u.is_digit(c), "U+{cp:04X}");
            continue;
        }
        checked += 1;
        let (ours_l, go_l) = (letter_by_order(c), u.is_letter(c));
        if ours_l != go_l {
            bad.push(format!("U+{cp:04X} letter: ours {ours_l}, go {go_l}"));
        }
        if !go_l {
            let (ours_d, go_d) = (digit_by_order(c), u.is_digit(c));
            if ours_d != go_d {
                bad.push(format!("U+{cp:04X} digit: ours {ours_d}, go {go_d}"));
            }
        }
    }
    eprintln!("checked {checked} code points");
    assert!(checked > 50_000, "too few code points checked: {checked}");
    assert!(
        bad.is_empty(),
        "{} differences:\n{}",
        bad.len(),
        bad[..bad.len().min(40)].join("\n")
    );
}
