//! Go `encoding/json`: `json.MarshalIndent(v, "", "  ")` of a [`Node`].
//!
//! Strings are escaped as Go >= 1.22 does (kubeseal v0.36 is built with Go
//! 1.26): `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control bytes as
//! `\u00xx` (lower-case hex), HTML-safe `\u003c`, `\u003e`, `\u0026`, and
//! `\u2028`, `\u2029`; everything else (DEL, U+0085, non-BMP, ...) raw.
//! Empty objects and arrays stay `{}` / `[]`.

use super::out::Out;
use super::Node;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A capacity guess for the indented output of `node`.
pub(super) fn size_hint(node: &Node) -> usize {
    fn walk(node: &Node, depth: usize) -> usize {
        match node {
            Node::Null | Node::Bool(_) => 5,
            Node::Int(_) => 20,
            Node::Str(s) => s.len() + s.len() / 8 + 2,
            Node::Seq(items) => {
                2 + items
                    .iter()
                    .map(|n| walk(n, depth + 1) + 2 * depth + 4)
                    .sum::<usize>()
            }
            Node::Map(entries) => {
                2 + entries
                    .iter()
                    .map(|(k, v)| k.len() + 6 + 2 * depth + walk(v, depth + 1))
                    .sum::<usize>()
            }
        }
    }
    walk(node, 1)
}

/// Appends the MarshalIndent bytes of `node`.
pub(super) fn write(out: &mut Out, node: &Node) {
    value(out, node, 0);
}

fn newline_indent(out: &mut Out, depth: usize) {
    out.push_byte(b'\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn value(out: &mut Out, node: &Node, depth: usize) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(true) => out.push_str("true"),
        Node::Bool(false) => out.push_str("false"),
        Node::Int(i) => out.push_str(fmt_i64(*i, &mut [0u8; 20])),
        Node::Str(s) => string(out, s),
        Node::Seq(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_byte(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push_byte(b',');
                }
                newline_indent(out, depth + 1);
                value(out, item, depth + 1);
            }
            newline_indent(out, depth);
            out.push_byte(b']');
        }
        Node::Map(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_byte(b'{');
            for (n, (k, v)) in entries.iter().enumerate() {
                if n > 0 {
                    out.push_byte(b',');
                }
                newline_indent(out, depth + 1);
                string(out, k);
                out.push_str(": ");
                value(out, v, depth + 1);
            }
            newline_indent(out, depth);
            out.push_byte(b'}');
        }
    }
}

/// Decimal integer, as strconv.FormatInt, formatted in `buf`.
pub(super) fn fmt_i64(i: i64, buf: &mut [u8; 20]) -> &str {
    let mut pos = buf.len();
    let mut u = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if i < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    // Only ASCII was written.
    std::str::from_utf8(&buf[pos..]).unwrap_or_default()
}

/// Whether encoding/json (with HTML escaping, as json.Marshal) writes the
/// ASCII byte `b` as itself.
#[inline]
fn html_safe(b: u8) -> bool {
    b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&')
}

/// A Go JSON string literal.
pub(super) fn string(out: &mut Out, s: &str) {
    let b = s.as_bytes();
    out.push_byte(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if html_safe(c) {
                i += 1;
                continue;
            }
            out.push_str(&s[start..i]);
            match c {
                b'\\' | b'"' => {
                    out.push_byte(b'\\');
                    out.push_byte(c);
                }
                0x08 => out.push_str("\\b"),
                0x0C => out.push_str("\\f"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                _ => {
                    out.push_str("\\u00");
                    out.push_byte(HEX[usize::from(c >> 4)]);
                    out.push_byte(HEX[usize::from(c & 0xF)]);
                }
            }
            i += 1;
            start = i;
            continue;
        }
        // U+2028 and U+2029 (E2 80 A8 / E2 80 A9).
        if c == 0xE2 && b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)) {
            out.push_str(&s[start..i]);
            out.push_str(if b[i + 2] == 0xA8 {
                "\\u2028"
            } else {
                "\\u2029"
            });
            i += 3;
            start = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&s[start..]);
    out.push_byte(b'"');
}
