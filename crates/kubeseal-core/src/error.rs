//! The core's error type: what went wrong, by the kind a caller tells apart.
//!
//! Every module has its own `thiserror` enum (`EnvFileError`, `ManifestError`,
//! `CryptoError`, `CertError`); this one sums them up by kind so a caller (the
//! `empseal` binary maps each kind to an exit code) can react without parsing
//! messages. Messages are one line, name the file (and line) involved and say
//! what to do. They never contain a secret value.

use std::path::PathBuf;

/// Any error of the core, by kind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be carried out as asked (conflicting options).
    #[error("{0}")]
    Usage(String),
    /// Bad input (env file, manifest, literal, key name), with its location.
    #[error("{0}")]
    Input(String),
    /// Certificate or key problem: unreadable, expired, not RSA, too small.
    #[error("{0}")]
    Cert(String),
    /// Decryption failed: wrong key, wrong name/namespace, tampered value.
    #[error("{0}")]
    Decrypt(String),
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

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Squashes a message onto one line (every run of whitespace, newlines
/// included, becomes one space): our messages are one line, and foreign errors
/// (OpenSSL, parsers, HTTP bodies) often are not.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
