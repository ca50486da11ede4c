//! kubeseal's behaviour as a Rust library: bytes in, kubeseal's bytes out.
//!
//! Data flows one way: env file / literals / Secret manifests → [`secret`]
//! model → [`seal`] (using [`crypto`] and a certificate from [`cert`]) →
//! SealedSecret model → [`emit`] (kubeseal-exact YAML/JSON bytes).
//!
//! The core never writes files, prints, reads the clock or draws its own
//! randomness: time and the random source are passed in, so the same input and
//! the same randomness give the same bytes.

pub mod cert;
pub mod crypto;
pub mod emit;
pub mod envfile;
pub mod error;
pub mod gotemplate;
pub mod goyaml;
pub mod manifest;
pub mod seal;
pub mod secret;
pub mod splice;
pub mod unseal;

pub use error::{Error, Result};
