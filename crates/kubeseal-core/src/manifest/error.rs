//! Why a manifest could not be read, in one line naming the file and line.

/// Why a manifest could not be read. One line: `origin:line: what; what to do`.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The input is not well-formed YAML or JSON.
    #[error("{origin}:{line}:{column}: {problem}; fix the {format} syntax")]
    Syntax {
        /// File name or `<stdin>`.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's description (never the input's text).
        problem: String,
    },
    /// Well-formed, but not what was expected.
    #[error("{origin}:{line}: {problem}; {todo}")]
    Invalid {
        /// File name or `<stdin>`.
        origin: String,
        /// 1-based line.
        line: usize,
        /// What is wrong, with the document number and field.
        problem: String,
        /// What to do about it.
        todo: String,
    },
    /// Nothing usable in the input.
    #[error("{origin}: {problem}; {todo}")]
    Empty {
        /// File name or `<stdin>`.
        origin: String,
        /// What is missing.
        problem: String,
        /// What to do.
        todo: String,
    },
}

impl From<ManifestError> for crate::error::Error {
    fn from(e: ManifestError) -> Self {
        crate::error::Error::Input(e.to_string())
    }
}

/// A [`ManifestError::Syntax`] at `line`:`column` of `origin`.
pub(super) fn syntax(
    origin: &str,
    line: usize,
    column: usize,
    format: &'static str,
    problem: impl Into<String>,
) -> ManifestError {
    ManifestError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        format,
        problem: problem.into(),
    }
}
