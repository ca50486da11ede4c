//! go-yaml v2's mapping key order (`keyList.Less` in sorter.go) for string
//! keys, and a sort that never panics on it.
//!
//! The rule compares rune by rune; at the first difference two letters
//! compare by code point, a letter sorts after a non-letter, and otherwise the
//! runs of digits starting there compare as numbers (then by run length, then
//! by code point). `unicode.IsLetter` / `unicode.IsDigit` are Go's (Unicode
//! 15.0.0 in Go 1.21–1.26), digit values are `rune - '0'` even for non-ASCII
//! digits, and the arithmetic wraps like Go's `int64`.
//!
//! The rule is not transitive (`-01` < `-0a` < `-1` < `-01`), so for such key
//! sets go-yaml's own order depends on Go's random map iteration order; here
//! a stable merge sort gives one fixed order.

use super::unicode_tables::{DIGIT, LETTER};

fn in_table(table: &[(u32, u32)], r: u32) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < r {
                std::cmp::Ordering::Less
            } else if lo > r {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Go's `unicode.IsLetter`.
#[inline]
pub(super) fn is_letter(r: u32) -> bool {
    if r < 0x80 {
        return (r | 0x20).wrapping_sub(u32::from(b'a')) < 26;
    }
    if r <= 0xFF {
        // Latin-1 letters: ª µ º À-Ö Ø-ö ø-ÿ.
        return matches!(r, 0xAA | 0xB5 | 0xBA | 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0xFF);
    }
    in_table(LETTER, r)
}

/// Go's `unicode.IsDigit`.
#[inline]
pub(super) fn is_digit(r: u32) -> bool {
    if r <= 0xFF {
        return (u32::from(b'0')..=u32::from(b'9')).contains(&r);
    }
    in_table(DIGIT, r)
}

/// A key seen as Go's `[]rune(key)`: bytes when ASCII, chars otherwise.
pub(super) enum Runes<'a> {
    Ascii(&'a [u8]),
    Wide(Vec<char>),
}

impl<'a> Runes<'a> {
    pub(super) fn new(s: &'a str) -> Runes<'a> {
        if s.is_ascii() {
            Runes::Ascii(s.as_bytes())
        } else {
            Runes::Wide(s.chars().collect())
        }
    }
}

/// `keyList.Less` for two string keys.
pub(super) fn less(a: &Runes<'_>, b: &Runes<'_>) -> bool {
    match (a, b) {
        (Runes::Ascii(a), Runes::Ascii(b)) => less_runes(a, b),
        (Runes::Ascii(a), Runes::Wide(b)) => less_runes(a, b),
        (Runes::Wide(a), Runes::Ascii(b)) => less_runes(a, b),
        (Runes::Wide(a), Runes::Wide(b)) => less_runes(a, b),
    }
}

fn less_runes<A, B>(ar: &[A], br: &[B]) -> bool
where
    A: Copy + Into<u32>,
    B: Copy + Into<u32>,
{
    const ZERO: u32 = b'0' as u32;
    let (la, lb) = (ar.len(), br.len());
    for i in 0..la.min(lb) {
        let (x, y): (u32, u32) = (ar[i].into(), br[i].into());
        if x == y {
            continue;
        }
        let (al, bl) = (is_letter(x), is_letter(y));
        if al && bl {
            return x < y;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if x == ZERO || y == ZERO {
            // A zero after a non-zero digit is part of a number, not padding.
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1].into()) {
                j -= 1;
                if ar[j].into() != ZERO {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < la && is_digit(ar[ai].into()) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai].into()) - i64::from(ZERO));
            ai += 1;
        }
        let mut bi = i;
        while bi < lb && is_digit(br[bi].into()) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi].into()) - i64::from(ZERO));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return x < y;
    }
    la < lb
}

/// Sorts `idx` by `less` (a stable merge sort: total for any predicate, so an
/// intransitive rule still yields some order instead of a panic).
pub(super) fn sort_by(idx: &mut [usize], less: &impl Fn(usize, usize) -> bool) {
    if idx.len() <= 12 {
        // Insertion sort, stable.
        for i in 1..idx.len() {
            let mut j = i;
            while j > 0 && less(idx[j], idx[j - 1]) {
                idx.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let mid = idx.len() / 2;
    sort_by(&mut idx[..mid], less);
    sort_by(&mut idx[mid..], less);
    let mut merged = Vec::with_capacity(idx.len());
    let (mut l, mut r) = (0, mid);
    while l < mid && r < idx.len() {
        if less(idx[r], idx[l]) {
            merged.push(idx[r]);
            r += 1;
        } else {
            merged.push(idx[l]);
            l += 1;
        }
    }
    merged.extend_from_slice(&idx[l..mid]);
    merged.extend_from_slice(&idx[r..]);
    idx.copy_from_slice(&merged);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lt(a: &str, b: &str) -> bool {
        less(&Runes::new(a), &Runes::new(b))
    }

    #[test]
    fn documented_examples() {
        // A non-letter sorts before a letter.
        assert!(lt("API_KEY", "APIKEY2"));
        // Digit runs compare as numbers.
        assert!(lt("KEY9", "KEY10"));
        assert!(!lt("KEY10", "KEY9"));
        // Equal numbers: the shorter run first.
        assert!(lt("a1", "a01"));
        assert!(lt("a", "ab"));
        assert!(!lt("ab", "ab"));
    }
}
