//! Helpers for the one-line messages every error of this crate is made of.

/// `; did you mean "paper"?` when one of `candidates` is close to `name`
/// (Jaro-Winkler similarity, as clap suggests subcommands), else nothing.
pub fn did_you_mean(name: &str, candidates: &[String]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("; did you mean {c:?}?"))
        .unwrap_or_default()
}

pub(crate) use kubeseal_core::error::one_line;
