//! What empseal's tests share (a dev-dependency only, never published): where
//! the fixtures are, how to run the binary and the peer tools, temporary git
//! repositories, test PKIs and the fake Kubernetes API server.
//!
//! It depends on no workspace library crate: it hands out plain data (paths,
//! bytes, processes), so each crate's integration tests can use it.

pub mod fake;
pub mod files;
pub mod goref;
pub mod gotool;
pub mod inputs;
pub mod paths;
pub mod pki;
pub mod process;
pub mod repo;
pub mod tools;

pub use paths::repo_root;
pub use tools::require_tool;

/// The `empseal` binary's exit codes as its users rely on them (the README's
/// table). Tests state the contract here, independently of the binary's own
/// table in `src/cli/exit.rs`, so a change to either is caught.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// `check` found problems at or above `--fail-on`.
    pub const FINDINGS: i32 = 1;
    /// Command-line usage error.
    pub const USAGE: i32 = 2;
    /// Bad input: env file, manifest, literal, key name.
    pub const INPUT: i32 = 3;
    /// Certificate or key problem.
    pub const CERT: i32 = 4;
    /// Decryption failed.
    pub const DECRYPT: i32 = 5;
    /// Talking to the cluster or controller failed.
    pub const NETWORK: i32 = 6;
    /// Reading or writing files failed.
    pub const IO: i32 = 7;
    /// Git history problem.
    pub const GIT: i32 = 8;
    /// Kustomize / overlay problem.
    pub const OVERLAY: i32 = 9;
}
