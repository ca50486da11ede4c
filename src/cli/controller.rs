//! `empseal cert fetch`, `validate` and `reencrypt`: the controller's HTTP API
//! (kubeseal's `--fetch-cert`, `--validate` and `--re-encrypt`).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::exit::{Error, Result};
use empseal_env::fsio::Sensitivity;
use empseal_env::overlay;
use empseal_env::pin::{self, PinOutcome};
use kubeseal_core::cert::Certificate;
use kubeseal_core::secret::{Layout, SealedSecret};
use kubeseal_core::{emit, manifest};

use super::io::{emit_output, now, read_input, render_sealed};
use super::out::{note, say, verbose};
use super::ClusterArgs;

/// `empseal cert fetch`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("envs").args(["env", "all_envs"]).multiple(true)))]
pub struct CertFetchArgs {
    /// Pin the certificate for this environment (`k8s/overlays/<env>/sealing/`),
    /// fetched from the env's own kubeconfig context and controller when
    /// empseal.yaml names them (`context`, `controllerNamespace`,
    /// `controllerName`; flags win). Repeatable: each env in turn.
    #[arg(long, value_name = "ENV", conflicts_with = "output")]
    pub env: Vec<String>,
    /// Pin the certificate of every environment, each from its own cluster.
    #[arg(long = "all-envs", conflicts_with = "output")]
    pub all_envs: bool,
    /// With --env: replace a pin whose key differs (after checking the fingerprints shown).
    #[arg(long = "accept-new", requires = "envs")]
    pub accept_new: bool,
    /// With --env: pin even though the certificate came unauthenticated (the
    /// kubeconfig's insecure-skip-tls-verify, or plain http:// to another
    /// machine); check the fingerprint out of band first.
    #[arg(long = "insecure-pin", requires = "envs")]
    pub insecure_pin: bool,
    /// With --env: fetch and check, show what the pin would become (old and new
    /// fingerprints, files) and write nothing.
    #[arg(long = "dry-run", requires = "envs")]
    pub dry_run: bool,
    /// Write the PEM to this file (atomically) instead of stdout.
    #[arg(short = 'w', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The repository root holding `k8s/overlays/` (default: found from the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Cluster and controller.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `empseal validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// SealedSecret manifests (YAML or JSON, several documents); `-` or absent: stdin.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Cluster and controller.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `empseal reencrypt`.
#[derive(Debug, Args)]
pub struct ReencryptArgs {
    /// SealedSecret manifests (YAML or JSON, several documents); `-` or absent: stdin.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write the result to this file (atomically) instead of stdout.
    #[arg(
        short = 'w',
        long = "output",
        value_name = "FILE",
        conflicts_with = "in_place"
    )]
    pub output: Option<PathBuf>,
    /// Replace the input file (atomically), keeping its format and layout.
    #[arg(long = "in-place", requires = "file")]
    pub in_place: bool,
    /// With --in-place: ask the controller, then show which SealedSecrets and keys
    /// would be re-encrypted; write nothing.
    #[arg(long = "dry-run", requires = "in_place")]
    pub dry_run: bool,
    /// Cluster and controller.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `empseal cert fetch`: print or write the controller's certificate, or with
/// `--env`/`--all-envs` pin it for each env in turn (the first failure's exit code).
pub fn cert_fetch(a: CertFetchArgs) -> Result<i32> {
    if !a.env.is_empty() || a.all_envs {
        // The environments are checked before anything is fetched.
        let ws = super::io::workspace(a.root.as_deref())?;
        let names = super::envs::select(&ws, &a.env, a.all_envs, super::envs::AllEnvs::Every)?;
        let envs = names
            .iter()
            .map(|n| ws.env(n))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut envs = envs.into_iter();
        return Ok(super::envs::each(&names, |_| {
            let env = envs.next().expect("one resolved env per name");
            pin_env(&a, &ws, &env)
        }));
    }
    let fetched = a.cluster.controller()?.fetch_cert()?;
    let cert = Certificate::from_pem(&fetched.pem, &fetched.origin)?;
    cert.check_usable(now())?;
    verbose!(
        "fetched certificate from {} (fingerprint {})",
        fetched.origin,
        cert.fingerprint()
    );
    emit_output(a.output.as_deref(), &fetched.pem, Sensitivity::Public)?;
    if a.output.as_deref().is_some_and(|p| p.as_os_str() != "-") {
        note!("empseal: certificate {} written", cert.fingerprint());
    }
    Ok(0)
}

/// `cert fetch --env E`: fetches the certificate from E's cluster and
/// controller (flags, else E's settings in empseal.yaml, see
/// [`super::ClusterArgs::for_env`]) and pins it, under E's lock.
fn pin_env(a: &CertFetchArgs, ws: &overlay::Workspace, env: &overlay::Env) -> Result<i32> {
    let cluster = a
        .cluster
        .for_env(&super::EnvCluster::of(ws.config.envs.get(&env.name)));
    let controller = cluster.controller()?;
    let fetched = controller.fetch_cert()?;
    let now = now();
    let cert = Certificate::from_pem(&fetched.pem, &fetched.origin)?;
    cert.check_usable(now)?;
    verbose!(
        "fetched certificate from {} (fingerprint {})",
        fetched.origin,
        cert.fingerprint()
    );
    if let Some(why) = controller.unverified_tls() {
        if !a.insecure_pin {
            return Err(Error::Network(format!(
                "{}: refusing to pin a certificate fetched over unverified TLS ({why}); nothing was written. Connect over verified https:// (the kubeconfig's certificate-authority), or check the fingerprint {} out of band and re-run with --insecure-pin",
                env.name,
                cert.fingerprint()
            )));
        }
        note!(
            "empseal: WARNING: {}: pinning a certificate fetched over UNVERIFIED TLS (--insecure-pin); make sure {} is the controller's key fingerprint",
            env.name,
            cert.fingerprint()
        );
    }
    if pin::is_demo_fingerprint(&cert.fingerprint()) {
        note!(
            "empseal: warning: {}: the controller's certificate {} is a demo certificate whose private key is published in testdata/keys: anyone can read what is sealed with it; give the controller its own key before sealing real values",
            env.name,
            cert.fingerprint()
        );
    }
    // The env's pin as configured (empseal.yaml's `cert:` included).
    let files = env.pin_files(ws);
    if a.dry_run {
        let outcome =
            pin::plan_pin_certificate(&files, &fetched.pem, &fetched.origin, a.accept_new, now)?;
        let name = &env.name;
        let (what, old) = match &outcome {
            PinOutcome::Created(_) => ("would pin", None),
            PinOutcome::Unchanged(_) => ("unchanged (already pinned)", None),
            PinOutcome::Renewed { old, .. } => {
                ("would renew (same key, new certificate)", Some(old))
            }
            PinOutcome::Replaced { old, .. } => ("would replace (new key)", Some(old)),
        };
        say!(
            "{name}: {what}: certificate {} valid until {}",
            outcome.pin().fingerprint,
            outcome.pin().not_after
        );
        if let Some(old) = old {
            say!(
                "  pinned now: {} valid until {}",
                old.fingerprint,
                old.not_after
            );
        }
        if !matches!(outcome, PinOutcome::Unchanged(_)) {
            for p in [&files.cert, &files.pin] {
                let change = if p.exists() { "modify:" } else { "create:" };
                say!("  {change:<9} {}", ws.display(p));
            }
        }
        say!("  (dry run: nothing written)");
        return Ok(0);
    }
    // Written under the env's lock.
    let _lock = overlay::lock_env(ws, env)?;
    let outcome = pin::pin_certificate(&files, &fetched.pem, &fetched.origin, a.accept_new, now)?;
    let pin = outcome.pin();
    let what = match &outcome {
        PinOutcome::Created(_) => "pinned".to_string(),
        PinOutcome::Unchanged(_) => "unchanged (already pinned)".to_string(),
        PinOutcome::Renewed { .. } => "renewed (same key, new certificate)".to_string(),
        PinOutcome::Replaced { .. } => "replaced (new key accepted)".to_string(),
    };
    note!(
        "empseal: {}: certificate {what}: {} valid until {} ({})",
        env.name,
        pin.fingerprint,
        pin.not_after,
        ws.display(&files.cert)
    );
    Ok(0)
}

fn object_name(s: &SealedSecret) -> String {
    if s.metadata.namespace.is_empty() {
        s.metadata.name.clone()
    } else {
        format!("{}/{}", s.metadata.namespace, s.metadata.name)
    }
}

/// The SealedSecret as the JSON kubeseal posts to the controller.
fn as_json(s: &SealedSecret) -> String {
    emit::to_json(&emit::sealed_secret_node(s, Layout::Current))
}

fn read_sealed(file: Option<&Path>) -> Result<(String, Vec<u8>, Vec<SealedSecret>)> {
    let (origin, bytes) = read_input(file)?;
    let sealed = manifest::read_sealed_secrets(&origin, &bytes)?;
    if sealed.is_empty() {
        return Err(Error::Input(format!(
            "{origin}: no SealedSecret found; give a SealedSecret manifest"
        )));
    }
    Ok((origin, bytes.to_vec(), sealed))
}

/// `empseal validate`.
pub fn validate(a: ValidateArgs) -> Result<i32> {
    let (origin, _, sealed) = read_sealed(a.file.as_deref())?;
    let controller = a.cluster.controller()?;
    for s in &sealed {
        controller.verify(as_json(s).as_bytes()).map_err(|e| {
            let e: Error = e.into();
            prefix(e, &format!("{origin}: SealedSecret {}", object_name(s)))
        })?;
        super::out::say!("{origin}: SealedSecret {}: valid", object_name(s));
    }
    Ok(0)
}

/// `empseal reencrypt`.
pub fn reencrypt(a: ReencryptArgs) -> Result<i32> {
    if a.in_place && a.file.as_deref().is_some_and(|f| f.as_os_str() == "-") {
        return Err(Error::Input(
            "--in-place needs a file: `-f -` reads stdin; give -f FILE, or drop --in-place to print to stdout".into(),
        ));
    }
    let (origin, bytes, sealed) = read_sealed(a.file.as_deref())?;
    let (format, layout) = manifest::detect_style(&bytes);
    let controller = a.cluster.controller()?;
    let mut out = Vec::with_capacity(sealed.len());
    for s in &sealed {
        let answer = controller.rotate(as_json(s).as_bytes()).map_err(|e| {
            let e: Error = e.into();
            prefix(e, &format!("{origin}: SealedSecret {}", object_name(s)))
        })?;
        let mut rotated = manifest::read_sealed_secrets("the controller's answer", &answer)?;
        if rotated.len() != 1 {
            return Err(Error::Network(format!(
                "controller: re-encrypting {} returned {} objects instead of one",
                object_name(s),
                rotated.len()
            )));
        }
        let mut r = rotated.remove(0);
        // As kubeseal: server-set fields are not carried into the file.
        for m in [&mut r.metadata, &mut r.template.metadata] {
            m.generation = 0;
            m.deletion_timestamp = None;
            m.uid.clear();
            m.resource_version.clear();
            m.self_link.clear();
            m.managed_fields.clear();
        }
        out.push(r);
    }
    let text = render_sealed(&out, format, layout)?;
    if a.dry_run {
        let fingerprint = controller
            .fetch_cert()
            .ok()
            .and_then(|f| Certificate::from_pem(&f.pem, &f.origin).ok())
            .map(|c| c.fingerprint())
            .unwrap_or_else(|| "unknown".into());
        let change = if text.as_bytes() == bytes.as_slice() {
            "unchanged"
        } else {
            "modify"
        };
        say!("would re-encrypt {origin} with the controller's newest key (certificate {fingerprint})");
        for (old, new) in sealed.iter().zip(&out) {
            let changed: Vec<&str> = new
                .encrypted_data
                .iter()
                .filter(|(k, v)| old.encrypted_data.get(*k) != Some(*v))
                .map(|(k, _)| k.as_str())
                .collect();
            let kept: Vec<&str> = new
                .encrypted_data
                .iter()
                .filter(|(k, v)| old.encrypted_data.get(*k) == Some(*v))
                .map(|(k, _)| k.as_str())
                .collect();
            say!("  SealedSecret {}:", object_name(old));
            say!("    changed: {}", super::out::list(&changed));
            say!("    kept:    {}", super::out::list(&kept));
        }
        say!("  {change:<9} {origin}", change = format!("{change}:"));
        say!("  (dry run: nothing written)");
        return Ok(0);
    }
    let target = if a.in_place {
        a.file.clone()
    } else {
        a.output.clone()
    };
    emit_output(target.as_deref(), text.as_bytes(), Sensitivity::Public)?;
    Ok(0)
}

/// Puts `what` in front of an error's message, keeping its kind (and exit code).
fn prefix(e: Error, what: &str) -> Error {
    match e {
        Error::Usage(m) => Error::Usage(format!("{what}: {m}")),
        Error::Input(m) => Error::Input(format!("{what}: {m}")),
        Error::Cert(m) => Error::Cert(format!("{what}: {m}")),
        Error::Decrypt(m) => Error::Decrypt(format!("{what}: {m}")),
        Error::Network(m) => Error::Network(format!("{what}: {m}")),
        Error::Git(m) => Error::Git(format!("{what}: {m}")),
        Error::Overlay(m) => Error::Overlay(format!("{what}: {m}")),
        e @ Error::Io { .. } => e,
    }
}
