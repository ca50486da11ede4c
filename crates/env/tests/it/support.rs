//! What the env tests share: the kit's lifecycle repository with the demo
//! certificates pinned, and the kit's fake API server / controller with the
//! network options the controller client is tested with.
#![allow(dead_code)]

use std::time::Duration;

use empseal_controller::{NetOptions, ProxyEnv};

pub use empseal_testkit::fake::*;
pub use empseal_testkit::pki::openssl_fingerprint;
pub use empseal_testkit::pki::{openssl_date, pki, ssh_fingerprint};
pub use empseal_testkit::repo::{env_pairs, Repo};
pub use empseal_testkit::repo_root as project;

/// Pins a demo certificate as `cert fetch --env` pins it: cert.pem with its pin.yaml.
pub fn pin_demo_certificate(overlay: &std::path::Path, cert_pem: &[u8], origin: &str) {
    let files = empseal_env::pin::PinFiles::in_overlay(overlay);
    empseal_env::pin::pin_certificate(&files, cert_pem, origin, false, 1_800_000_000).unwrap();
}

/// The kit's lifecycle [`Repo`] with every env's demo certificate pinned.
pub fn pinned_repo() -> Repo {
    Repo::new(&pin_demo_certificate)
}

/// Network options for tests: short timeouts, quick retries, no proxy from the environment.
pub fn net() -> NetOptions {
    NetOptions {
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
        get_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        proxy_env: ProxyEnv::none(),
        extra_root_ca_pem: None,
    }
}
