//! The linter's error type: why a check could not run (findings are data, not errors).

use std::path::PathBuf;

/// Why `check` could not look at its input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: an unreadable pattern, an ignore file that cannot be parsed.
    #[error("{0}")]
    Input(String),
    /// Git could not answer (for `--changed` scans).
    #[error("{0}")]
    Git(String),
    /// An I/O failure on a named path.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with the linter's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
