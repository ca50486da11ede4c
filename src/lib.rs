//! empseal: the whole life of Bitnami SealedSecrets for a Kustomize stack.
//!
//! Data flows one way (see `docs/architecture.md`):
//! env file / literals / Secret manifests → [`secret`] model → [`seal`] (using
//! [`crypto`] and a certificate from [`cert`] / [`source`]) → SealedSecret model →
//! [`emit`] (kubeseal-exact bytes) → [`fsio`] atomic write.
//!
//! Library code never prints: it returns values and typed errors. Randomness and
//! time are passed in so every test can be exact.

pub mod cert;
pub mod check;
pub mod crypto;
pub mod emit;
pub mod envfile;
pub mod error;
pub mod fsio;
pub mod gate;
pub mod gotemplate;
pub mod history;
pub mod manifest;
pub mod overlay;
pub mod plan;
pub mod seal;
pub mod secret;
pub mod source;
pub mod splice;
pub mod unseal;

pub use error::{Error, Result};
