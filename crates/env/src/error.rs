//! The environment lifecycle's error type, by the kind a caller tells apart.
//!
//! Errors of the core and of the linter keep their kind when they pass through
//! here (an env-file error stays [`Error::Input`]); pin errors are certificate
//! problems. Messages are one line, name the file involved and say what to do.

use std::path::PathBuf;

/// Any error of an environment operation, by kind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be carried out as asked (conflicting options, a
    /// reseal over a rollback without the flag that allows it).
    #[error("{0}")]
    Usage(String),
    /// Bad input: env file, manifest, configuration, environment name.
    #[error("{0}")]
    Input(String),
    /// Certificate or pin problem.
    #[error("{0}")]
    Cert(String),
    /// Decryption failed.
    #[error("{0}")]
    Decrypt(String),
    /// Git history problem (not a repository, unknown revision, uncommitted changes).
    #[error("{0}")]
    Git(String),
    /// Kustomize / overlay problem.
    #[error("{0}")]
    Overlay(String),
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

impl From<kubeseal_core::Error> for Error {
    fn from(e: kubeseal_core::Error) -> Self {
        use kubeseal_core::Error as Core;
        match e {
            Core::Usage(m) => Error::Usage(m),
            Core::Input(m) => Error::Input(m),
            Core::Cert(m) => Error::Cert(m),
            Core::Decrypt(m) => Error::Decrypt(m),
            Core::Io { path, source } => Error::Io { path, source },
        }
    }
}

impl From<kubeseal_core::envfile::EnvFileError> for Error {
    fn from(e: kubeseal_core::envfile::EnvFileError) -> Self {
        kubeseal_core::Error::from(e).into()
    }
}

impl From<kubeseal_core::manifest::ManifestError> for Error {
    fn from(e: kubeseal_core::manifest::ManifestError) -> Self {
        kubeseal_core::Error::from(e).into()
    }
}

impl From<empseal_lint::Error> for Error {
    fn from(e: empseal_lint::Error) -> Self {
        use empseal_lint::Error as Lint;
        match e {
            Lint::Input(m) => Error::Input(m),
            Lint::Git(m) => Error::Git(m),
            Lint::Io { path, source } => Error::Io { path, source },
        }
    }
}

impl From<crate::pin::PinError> for Error {
    fn from(e: crate::pin::PinError) -> Self {
        Error::Cert(e.to_string())
    }
}

/// Result with the environment lifecycle's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
