//! Exhaustive inputs for differential tests: every short string over the
//! characters a parser's rules turn on.

/// Every string of `alphabet`'s characters from 1 to `max_len` characters long,
/// shortest first (`alphabet.len()^max_len` of the longest: keep both small).
pub fn all_strings(alphabet: &str, max_len: usize) -> Vec<String> {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut out = Vec::new();
    let mut layer = vec![String::new()];
    for _ in 0..max_len {
        layer = layer
            .iter()
            .flat_map(|s| chars.iter().map(move |c| format!("{s}{c}")))
            .collect();
        out.extend(layer.iter().cloned());
    }
    out
}
