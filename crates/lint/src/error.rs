//! The linter's error type: why a check could not run (findings are data, not errors).

use std::path::PathBuf;

/// Why `check` could not look at its input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input (an unreadable pattern, an ignore file that cannot be parsed)
    /// or an I/O failure: the core's kinds.
    #[error(transparent)]
    Core(#[from] kubeseal_core::Error),
    /// Git could not answer (for `--changed` scans).
    #[error("{0}")]
    Git(String),
}

impl Error {
    /// Bad input, with its location.
    pub fn input(message: impl Into<String>) -> Self {
        Error::Core(kubeseal_core::Error::Input(message.into()))
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Core(kubeseal_core::Error::io(path, source))
    }
}

/// Result with the linter's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
