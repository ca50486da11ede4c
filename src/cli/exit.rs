//! The exit-code table, and the one error type the commands return.
//!
//! Every library crate has its own typed errors; each converts here by kind
//! (`From`), so any failure maps to a distinct, documented exit code (the
//! README's table, checked by `tests/cli/cli_exit_codes.rs`). Messages are one line,
//! name the file (and line) involved and say what to do. They never contain a
//! secret value.

use std::path::PathBuf;

/// Exit codes of the `empseal` binary. Stable: scripts depend on them.
pub mod code {
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

/// Any error a command can report, by the kind that picks its exit code.
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
    /// The process exit code for this error (see [`code`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => code::USAGE,
            Error::Input(_) => code::INPUT,
            Error::Cert(_) => code::CERT,
            Error::Decrypt(_) => code::DECRYPT,
            Error::Network(_) => code::NETWORK,
            Error::Git(_) => code::GIT,
            Error::Overlay(_) => code::OVERLAY,
            Error::Io { .. } => code::IO,
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

/// Result with the commands' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

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

impl From<empseal_env::Error> for Error {
    fn from(e: empseal_env::Error) -> Self {
        use empseal_env::Error as Env;
        match e {
            Env::Core(c) => c.into(),
            Env::Git(m) => Error::Git(m),
            Env::Overlay(m) => Error::Overlay(m),
        }
    }
}

impl From<empseal_lint::Error> for Error {
    fn from(e: empseal_lint::Error) -> Self {
        match e {
            empseal_lint::Error::Core(c) => c.into(),
            empseal_lint::Error::Git(m) => Error::Git(m),
        }
    }
}

impl From<empseal_env::pin::PinError> for Error {
    /// The environment crate decides what kind a pin error is.
    fn from(e: empseal_env::pin::PinError) -> Self {
        empseal_env::Error::from(e).into()
    }
}

/// The core's per-module errors convert through the core's [`kubeseal_core::Error`].
macro_rules! through_core {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                kubeseal_core::Error::from(e).into()
            }
        }
    )*};
}
through_core!(
    kubeseal_core::envfile::EnvFileError,
    kubeseal_core::manifest::ManifestError,
    kubeseal_core::cert::CertError,
    kubeseal_core::crypto::CryptoError
);

impl From<empseal_controller::SourceError> for Error {
    fn from(e: empseal_controller::SourceError) -> Self {
        use empseal_controller::Kind;
        let message = e.to_string();
        match e.kind() {
            Kind::Input => Error::Input(message),
            // An unreadable --cert is a certificate problem (README: exit 4).
            Kind::Cert => Error::Cert(message),
            Kind::Decrypt => Error::Decrypt(message),
            Kind::Network => Error::Network(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use empseal_controller::SourceError;

    #[test]
    fn each_crate_error_maps_to_its_exit_code() {
        let net: Error = SourceError::Proxy {
            detail: "d".into(),
            hint: "h".into(),
        }
        .into();
        assert_eq!(net.exit_code(), code::NETWORK);
        let c: Error = SourceError::CannotDecrypt {
            object: "a/b".into(),
            operation: "POST /v1/verify".into(),
        }
        .into();
        assert_eq!(c.exit_code(), code::DECRYPT);
        let p: Error = empseal_env::pin::PinError::PinMismatch {
            env: "paper".into(),
            old: "o".into(),
            new: "n".into(),
        }
        .into();
        assert_eq!(p.exit_code(), code::CERT);
        let g: Error = empseal_lint::Error::Git("g".into()).into();
        assert_eq!(g.exit_code(), code::GIT);
        let o: Error = empseal_env::Error::Overlay("o".into()).into();
        assert_eq!(o.exit_code(), code::OVERLAY);
        let i: Error = kubeseal_core::Error::Input("i".into()).into();
        assert_eq!(i.exit_code(), code::INPUT);
    }
}
