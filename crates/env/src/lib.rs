//! A repository of Kustomize environments whose secrets are sealed for a
//! sealed-secrets controller: layout conventions and configuration, the pinned
//! certificate and keyring of each environment, sealing (plan, then apply),
//! rotation, rendering, history and rollback, and the atomic file writer they
//! all share.
//!
//! This crate never talks to a cluster: the caller fetches a certificate and
//! hands its bytes to [`pin`], so sealing never touches the network. Library
//! code never prints: it returns values and typed errors. Randomness and time
//! are passed in so every test can be exact.

pub mod error;
pub mod fsio;
pub mod gate;
pub mod history;
pub mod overlay;
pub mod pin;
pub mod plan;

pub use error::{Error, Result};
