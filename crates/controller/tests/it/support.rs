//! The kit's fake API server / controller and its PKI, with the network
//! options the controller client is tested with.
#![allow(dead_code)]

use std::time::Duration;

use empseal_controller::{NetOptions, ProxyEnv};

pub use empseal_testkit::fake::*;
pub use empseal_testkit::pki::pki;

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
