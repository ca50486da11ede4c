//! The crate-wide error type and its mapping to process exit codes.
//!
//! Every module has its own `thiserror` enum; this one wraps them so the binary
//! can map any failure to a distinct exit code. Messages are one line, name the
//! file (and line) involved and say what to do. They never contain a secret value.

use std::path::PathBuf;

/// Exit codes of the `empseal` binary. Stable: scripts depend on them.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// `check` found problems at or above `--fail-on`.
    pub const FINDINGS: i32 = 1;
    /// Command-line usage error (clap's own code as well).
    pub const USAGE: i32 = 2;
    /// Bad input: env file, manifest, literal, key name.
    pub const INPUT: i32 = 3;
    /// Certificate or key problem: unreadable, expired, not RSA, too small, pin mismatch.
    pub const CERT: i32 = 4;
    /// Decryption failed: wrong key, wrong name/namespace, tampered value.
    pub const DECRYPT: i32 = 5;
    /// Talking to the cluster or controller failed.
    pub const NETWORK: i32 = 6;
    /// Reading or writing files failed.
    pub const IO: i32 = 7;
    /// Git history problem (not a repository, unknown revision, ...).
    pub const GIT: i32 = 8;
    /// Kustomize / overlay problem.
    pub const OVERLAY: i32 = 9;
}

/// Any error empseal can report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something that cannot be done (what clap cannot see).
    #[error("{0}")]
    Usage(String),
    /// Bad user input, with a location when there is one.
    #[error("{0}")]
    Input(String),
    /// Certificate or key problem.
    #[error("{0}")]
    Cert(String),
    /// Decryption failure.
    #[error("{0}")]
    Decrypt(String),
    /// Cluster / controller / HTTP failure.
    #[error("{0}")]
    Network(String),
    /// Git history failure.
    #[error("{0}")]
    Git(String),
    /// Kustomize / overlay failure.
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
    /// The process exit code for this error (see [`exit`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Input(_) => exit::INPUT,
            Error::Cert(_) => exit::CERT,
            Error::Decrypt(_) => exit::DECRYPT,
            Error::Network(_) => exit::NETWORK,
            Error::Git(_) => exit::GIT,
            Error::Overlay(_) => exit::OVERLAY,
            Error::Io { .. } => exit::IO,
        }
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with the crate-wide [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
