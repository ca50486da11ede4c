//! Keeping a file's comments when a command rewrites it (`seal --merge-into`).
//!
//! The file is re-rendered from the model in kubeseal's bytes, which knows nothing
//! of comments. [`keep_comments`] lines the file up against the rendering of the
//! object as it was read (each line equal, or equal plus a trailing ` # comment`;
//! comment-only and blank lines in between are the file's own), then applies the
//! line difference between that rendering and the new one to the file's text:
//! every line the change does not touch — comments, blank lines, trailing comments
//! — stays byte for byte. When the file does not line up (hand formatted, another
//! layout), there is nothing safe to splice into and the caller decides.

/// One line of the old rendering, where it sits in the file.
struct Placed<'a> {
    /// The file's comment-only and blank lines just before it.
    before: Vec<&'a str>,
    /// The file's line (with its trailing comment), or `None` for a `---` the
    /// rendering has and the file does not.
    line: Option<&'a str>,
}

/// `new_render` with the comments of `file`, where `file` is `old_render` plus
/// comments (see the module docs); `None` when `file` does not line up with
/// `old_render`. Lines keep their own endings (`\n`).
pub fn keep_comments(file: &str, old_render: &str, new_render: &str) -> Option<String> {
    let file_lines: Vec<&str> = file.split_inclusive('\n').collect();
    let old: Vec<&str> = old_render.split_inclusive('\n').collect();
    let new: Vec<&str> = new_render.split_inclusive('\n').collect();

    // Line the file up against the old rendering.
    let mut placed: Vec<Placed<'_>> = Vec::with_capacity(old.len());
    let mut f = 0;
    for want in &old {
        let start = f;
        let mut before = Vec::new();
        let mut found = None;
        while let Some(&have) = file_lines.get(f) {
            f += 1;
            if same_code(have, want) {
                found = Some(have);
                break;
            }
            if !is_comment_or_blank(have) {
                break;
            }
            before.push(have);
        }
        match found {
            Some(line) => placed.push(Placed {
                before,
                line: Some(line),
            }),
            // A file without the leading document marker: the lines seen belong
            // to the next rendered line.
            None if want.trim_end() == "---" => {
                f = start;
                placed.push(Placed {
                    before: Vec::new(),
                    line: None,
                });
            }
            None => return None,
        }
    }
    let tail: Vec<&str> = file_lines[f..].to_vec();
    if !tail.iter().all(|l| is_comment_or_blank(l)) {
        return None;
    }

    let mut out = String::with_capacity(file.len() + new_render.len() / 4);
    let mut pending_comment: Option<(&str, &str)> = None;
    for op in diff(&old, &new)? {
        match op {
            Op::Equal(i, _) => {
                pending_comment = None;
                let p = &placed[i];
                p.before.iter().for_each(|l| out.push_str(l));
                if let Some(l) = p.line {
                    out.push_str(l);
                }
            }
            Op::Delete(i) => {
                let p = &placed[i];
                p.before.iter().for_each(|l| out.push_str(l));
                // A replaced line keeps its trailing comment when its key stays.
                pending_comment = p
                    .line
                    .and_then(|l| trailing_comment(l, old[i]).map(|c| (key_prefix(old[i]), c)));
            }
            Op::Insert(j) => {
                let line = new[j];
                match pending_comment.take() {
                    Some((key, comment)) if !key.is_empty() && key_prefix(line) == key => {
                        out.push_str(line.strip_suffix('\n').unwrap_or(line));
                        out.push_str(comment);
                        if line.ends_with('\n') {
                            out.push('\n');
                        }
                    }
                    _ => out.push_str(line),
                }
            }
        }
    }
    tail.iter().for_each(|l| out.push_str(l));
    Some(out)
}

/// `have` is `want`, or `want` plus a trailing ` # comment` (same line ending).
fn same_code(have: &str, want: &str) -> bool {
    have == want || trailing_comment(have, want).is_some()
}

/// The ` # comment` (without the line ending) that `have` adds to `want`.
fn trailing_comment<'a>(have: &'a str, want: &str) -> Option<&'a str> {
    let want = want.strip_suffix('\n').unwrap_or(want);
    let rest = have.strip_prefix(want)?;
    let rest = rest.strip_suffix('\n').unwrap_or(rest);
    let body = rest.trim_start_matches([' ', '\t']);
    (rest.len() > body.len() && body.starts_with('#') && !want.trim().is_empty()).then_some(rest)
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t']);
    t.trim_end().is_empty() || t.starts_with('#')
}

/// `  KEY:` of a mapping line (indentation and key), or `""`.
fn key_prefix(line: &str) -> &str {
    match line.find(": ") {
        Some(i) => &line[..i + 1],
        None => "",
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Op {
    Equal(usize, usize),
    Delete(usize),
    Insert(usize),
}

/// Most cells of the middle's LCS table (a 4,000 x 4,000-line change); beyond
/// it the caller falls back to the plain rendering.
const MAX_DIFF_CELLS: usize = 16_000_000;

/// A line diff: common prefix and suffix, then a longest common subsequence of
/// the middle (manifests are small; the middle is what the change touched).
fn diff(a: &[&str], b: &[&str]) -> Option<Vec<Op>> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Equal(i, i)).collect();
    // lcs[i][j]: LCS length of am[i..] and bm[j..].
    let (n, m) = (am.len(), bm.len());
    if (n + 1).saturating_mul(m + 1) > MAX_DIFF_CELLS {
        return None;
    }
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if am[i] == bm[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && am[i] == bm[j] {
            ops.push(Op::Equal(prefix + i, prefix + j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(Op::Delete(prefix + i));
            i += 1;
        } else {
            ops.push(Op::Insert(prefix + j));
            j += 1;
        }
    }
    let (sa, sb) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|k| Op::Equal(sa + k, sb + k)));
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::keep_comments;

    const OLD: &str = "---\napiVersion: v1\nspec:\n  encryptedData:\n    A: AgA1\n    C: AgC1\n  template:\n    data:\n      f: |\n        # not a comment\n        x\n";

    #[test]
    fn untouched_lines_and_comments_survive_byte_for_byte() {
        let file = "# header\n---\napiVersion: v1\nspec:\n  # the values\n  encryptedData:\n    A: AgA1  # rotated monthly\n\n    C: AgC1\n  template:\n    data:\n      f: |\n        # not a comment\n        x\n# end\n";
        let new = OLD
            .replace("A: AgA1", "A: AgA2")
            .replace("    C: AgC1\n", "    B: AgB1\n    C: AgC1\n");
        let got = keep_comments(file, OLD, &new).unwrap();
        assert_eq!(
            got,
            "# header\n---\napiVersion: v1\nspec:\n  # the values\n  encryptedData:\n    A: AgA2  # rotated monthly\n    B: AgB1\n\n    C: AgC1\n  template:\n    data:\n      f: |\n        # not a comment\n        x\n# end\n"
        );
        // No comments: exactly the new rendering.
        assert_eq!(keep_comments(OLD, OLD, &new).unwrap(), new);
        // No leading `---` in the file: still none.
        let bare = &file.replace("---\n", "");
        let got = keep_comments(bare, OLD, &new).unwrap();
        assert!(got.starts_with("# header\napiVersion: v1\n"), "{got}");
    }

    #[test]
    fn a_file_that_does_not_line_up_is_left_to_the_caller() {
        let hand = OLD.replace("A: AgA1", "A: \"AgA1\"");
        assert_eq!(keep_comments(&hand, OLD, OLD), None);
        assert_eq!(keep_comments(&format!("{OLD}extra: 1\n"), OLD, OLD), None);
    }
}
