//! The environment lifecycle's error type, by the kind a caller tells apart.
//!
//! The kinds the core already has (usage, input, certificate, decryption, I/O)
//! are the core's own [`kubeseal_core::Error`], so an env-file error keeps its
//! kind on the way up; this crate adds git and kustomize failures. Pin errors
//! are certificate problems. Messages are one line, name the file involved and
//! say what to do.

use std::path::PathBuf;

/// Any error of an environment operation, by kind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A kind the core distinguishes: usage, input, certificate, decryption, I/O.
    #[error(transparent)]
    Core(#[from] kubeseal_core::Error),
    /// Git history problem (not a repository, unknown revision, uncommitted changes).
    #[error("{0}")]
    Git(String),
    /// Kustomize / overlay problem.
    #[error("{0}")]
    Overlay(String),
}

impl Error {
    /// The request cannot be carried out as asked (conflicting options, a reseal
    /// over a rollback without the flag that allows it).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Core(kubeseal_core::Error::Usage(message.into()))
    }

    /// Bad input: env file, manifest, configuration, environment name.
    pub fn input(message: impl Into<String>) -> Self {
        Error::Core(kubeseal_core::Error::Input(message.into()))
    }

    /// Certificate or pin problem.
    pub fn cert(message: impl Into<String>) -> Self {
        Error::Core(kubeseal_core::Error::Cert(message.into()))
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Core(kubeseal_core::Error::io(path, source))
    }
}

/// The core's per-module errors keep their kind through the core's error.
macro_rules! through_core {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::Core(kubeseal_core::Error::from(e))
            }
        }
    )*};
}
through_core!(
    kubeseal_core::envfile::EnvFileError,
    kubeseal_core::manifest::ManifestError
);

impl From<empseal_lint::Error> for Error {
    fn from(e: empseal_lint::Error) -> Self {
        match e {
            empseal_lint::Error::Core(c) => Error::Core(c),
            empseal_lint::Error::Git(m) => Error::Git(m),
        }
    }
}

impl From<crate::pin::PinError> for Error {
    fn from(e: crate::pin::PinError) -> Self {
        Error::cert(e.to_string())
    }
}

/// Result with the environment lifecycle's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
