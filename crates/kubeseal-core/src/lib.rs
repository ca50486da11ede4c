//! kubeseal's behaviour as a Rust library: bytes in, kubeseal's bytes out.
//!
//! Data flows one way: env file / literals / Secret manifests → [`secret`]
//! model → [`seal`] (using [`crypto`] and a certificate from [`cert`]) →
//! SealedSecret model → [`emit`] (kubeseal-exact YAML/JSON bytes).
//!
//! The core never writes files, prints, reads the clock or draws its own
//! randomness: time and the random source are passed in, so the same input and
//! the same randomness give the same bytes.
//!
//! Around that flow: [`envfile`] reads kubectl's env files, literals and files,
//! [`manifest`] reads Secret and SealedSecret manifests as kubeseal's decoder
//! does, [`goyaml`] is go-yaml v2's scalar resolver both of them and [`emit`]
//! share, [`unseal`] turns SealedSecrets back into Secrets with the controller's
//! private keys, [`gotemplate`] renders `spec.template.data`, [`splice`] keeps a
//! rewritten file's comments.
//!
//! # Sealing an env file
//!
//! What `kubectl create secret generic app --from-env-file=paper.envfile -n
//! trading -o yaml | kubeseal --cert demo-dev.crt` prints, for a seeded random
//! source (the binary seeds ChaCha20 from the OS instead):
//!
//! ```
//! use kubeseal_core::cert::Certificate;
//! use kubeseal_core::secret::{Format, Layout, ObjectMeta, Secret};
//! use kubeseal_core::seal::{seal_secrets, SealOptions};
//! use kubeseal_core::{emit, envfile};
//! use rand_chacha::rand_core::SeedableRng;
//! use rand_chacha::ChaCha20Rng;
//!
//! let pem = include_bytes!("../../../testdata/keys/demo-dev.crt");
//! let cert = Certificate::from_pem(pem, "demo-dev.crt")?;
//!
//! let env_file = include_bytes!("../../../testdata/envfiles/paper.envfile");
//! // Lines without `=` would copy a variable from this environment: none here.
//! let entries = envfile::parse_env_bytes("paper.envfile", env_file, &|_| None)?;
//! let secret = Secret {
//!     metadata: ObjectMeta {
//!         name: "app".into(),
//!         namespace: "trading".into(),
//!         ..Default::default()
//!     },
//!     data: entries.into_iter().map(|e| (e.key, e.value)).collect(),
//!     ..Default::default()
//! };
//!
//! let seal = |seed| {
//!     let mut rng = ChaCha20Rng::seed_from_u64(seed);
//!     seal_secrets(&mut rng, &cert.public_key, vec![secret.clone()], &SealOptions::default())
//! };
//! let sealed = seal(7)?;
//! let yaml = emit::document(&emit::sealed_secret_node(&sealed[0], Layout::Current), Format::Yaml);
//!
//! assert!(yaml.starts_with("---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"));
//! assert!(yaml.contains("    POSTGRES_PASSWORD: Ag"));
//! assert!(!yaml.contains("paper-pg-pass"));
//! // The same seed gives the same bytes.
//! assert_eq!(seal(7)?[0].encrypted_data, sealed[0].encrypted_data);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `examples/seal_env_file.rs` does the same from the command line, reading the
//! env file with kubectl's rules ([`envfile::SecretSources`]).

#![deny(missing_docs)]

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
