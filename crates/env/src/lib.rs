//! A repository of Kustomize environments whose secrets are sealed for a
//! sealed-secrets controller: layout conventions and configuration, the pinned
//! certificate and keyring of each environment, sealing (plan, then apply),
//! rotation, rendering, history and rollback, and the atomic file writer they
//! all share.
//!
//! This crate never talks to a cluster: the caller fetches a certificate and
//! hands its bytes to [`pin`], so sealing never touches the network. Library
//! code never prints: it returns values and typed errors. Randomness and time
//! are passed in (an RNG and `now`, Unix seconds) so every test can be exact.
//!
//! Modules, one idea each:
//! - [`workspace`]: the repository, its environments and their layout
//!   conventions, env-name validation;
//! - [`config`]: `empseal.yaml`, the overrides of those conventions;
//! - [`secrets`]: an env's SealedSecrets ([`secrets::EnvSecret`]), their sources
//!   and choosing them by rendered name;
//! - [`lock`]: the per-environment lock writers hold;
//! - [`kustomize`]: running kustomize, its errors, where rendered objects came from;
//! - [`rendered`]: the rendered objects, which one is an env's SealedSecret, and
//!   whether each is rendered under the identity it was sealed for;
//! - [`target`]: the name, namespace and scope values are sealed for;
//! - [`sealed_file`]: an env's sealed file, read and written in kubeseal's bytes;
//! - [`env_file`]: an env's plaintext env file, read by kubectl's rules;
//! - [`record`]: the committed `sealing/record.yaml`;
//! - [`state`]: the local, gitignored seal state and rollback marker;
//! - [`seal`]: `seal --env` and `adopt`; [`rotate`]: `rotate`; [`render`]: `render`;
//! - [`rollout`]: the patch that rolls workloads out when sealed files change;
//! - [`scaffold`]: `env add`, a new environment the first seal works on;
//! - [`pin`]: the pinned certificate and keyring; [`gate`]: the provenance gate
//!   of `check`; [`history`]: versions in git and rollback;
//! - [`plan`]: the writes a command would make; [`fsio`]: atomic writes;
//! - [`overlay`]: the stable facade re-exporting the lifecycle's items;
//! - [`message`], [`error`]: one-line messages and the error type.

#![deny(missing_docs)]

pub mod config;
pub mod env_file;
pub mod error;
pub mod fsio;
pub mod gate;
pub mod history;
pub mod kustomize;
pub mod lock;
pub mod message;
pub mod overlay;
mod paths;
pub mod pin;
pub mod plan;
pub mod record;
pub mod render;
pub mod rendered;
pub mod rollout;
pub mod rotate;
pub mod scaffold;
pub mod seal;
pub mod sealed_file;
pub mod secrets;
pub mod state;
pub mod target;
pub mod workspace;

pub use error::{Error, Result};
