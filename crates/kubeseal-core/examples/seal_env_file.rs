//! Seals an env file for a certificate and prints the SealedSecret YAML, the
//! bytes `kubectl create secret generic NAME --from-env-file=ENV_FILE -n
//! NAMESPACE -o yaml | kubeseal --cert CERT` would print (ciphertext aside,
//! which is random).
//!
//! ```text
//! cargo run -p kubeseal-core --example seal_env_file -- \
//!     testdata/keys/demo-dev.crt testdata/envfiles/paper.envfile app trading
//! ```

use std::process::ExitCode;

use kubeseal_core::cert::Certificate;
use kubeseal_core::envfile::{process_env, SecretSources};
use kubeseal_core::seal::{seal_secrets, SealOptions};
use kubeseal_core::secret::{Format, Layout};
use kubeseal_core::{emit, Error};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cert_path, env_path, name, namespace] = args.as_slice() else {
        eprintln!("usage: seal_env_file CERT ENV_FILE NAME NAMESPACE");
        return ExitCode::from(2);
    };
    match seal_env_file(cert_path, env_path, name, namespace) {
        Ok(yaml) => {
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("seal_env_file: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The SealedSecret YAML for the env file at `env_path`, sealed for the
/// certificate at `cert_path` as Secret `name` in `namespace`.
fn seal_env_file(
    cert_path: &str,
    env_path: &str,
    name: &str,
    namespace: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let pem = std::fs::read(cert_path).map_err(|e| Error::io(cert_path, e))?;
    let cert = Certificate::from_pem(&pem, cert_path)?;
    // kubectl's env-file rules; a line without `=` copies that variable from
    // this process's environment, as kubectl does.
    let secret =
        SecretSources::new()
            .env_file(env_path)
            .build(name, Some(namespace), &process_env)?;
    let opts = SealOptions {
        namespace_flag: Some(namespace.to_string()),
        context_namespace: namespace.to_string(),
        ..SealOptions::default()
    };
    // The library draws no randomness of its own: seed a CSPRNG from the OS here.
    let mut rng = ChaCha20Rng::from_os_rng();
    let sealed = seal_secrets(&mut rng, &cert.public_key, vec![secret], &opts)?;
    Ok(sealed
        .iter()
        .map(|s| emit::document(&emit::sealed_secret_node(s, Layout::Current), Format::Yaml))
        .collect())
}
