//! `empseal seal`, `unseal` and `cert show`.

use std::path::PathBuf;

use clap::Args;

use crate::cli::exit::{Error, Result};
use empseal_controller as source;
use empseal_env::fsio::{write_atomic, Sensitivity};
use kubeseal_core::cert::Certificate;
use kubeseal_core::seal::SealOptions;
use kubeseal_core::secret::{Format, Layout};
use kubeseal_core::{emit, envfile, manifest, seal as sealing, unseal as unsealing};

use super::io::{emit_output, now, read_input, read_path_or_stdin, render_sealed, rng};
use super::out::{note, say, warn_about};
use super::{ClusterArgs, FormatArg, LayoutArg, ScopeArg};

/// `empseal seal`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("envs").args(["env", "all_envs"]).multiple(true)))]
pub struct SealArgs {
    /// Seal this environment's env file with its pinned certificate into its
    /// sealedsecret.yaml (k8s/overlays/ENV); unchanged values keep their ciphertext.
    /// Repeatable: every env is planned (inputs checked, values read, sealed)
    /// before any file is written, so one env failing writes nothing for any env.
    #[arg(long, value_name = "ENV", conflicts_with_all = ["from_env_file", "from_literal", "secret_type"])]
    pub env: Vec<String>,
    /// Seal every sealed environment (each with a SealedSecret), as --env for each.
    #[arg(long = "all-envs", conflicts_with_all = ["from_env_file", "from_literal", "secret_type"])]
    pub all_envs: bool,
    /// With --env: reseal every key, not only the changed ones.
    #[arg(long, requires = "envs")]
    pub all: bool,
    /// With --env: show what would change (files, keys added/changed/removed/kept,
    /// certificate fingerprint) and write nothing. Never prints values.
    #[arg(long = "dry-run", requires = "envs")]
    pub dry_run: bool,
    /// With --env: the repository root (default: the nearest parent directory with
    /// empseal.yaml or k8s/overlays).
    #[arg(long, value_name = "DIR", requires = "envs")]
    pub root: Option<PathBuf>,
    /// With --env: seal even though rendered workloads reference KEY and the env file lacks it (repeatable).
    #[arg(long = "allow-missing", value_name = "KEY", requires = "envs")]
    pub allow_missing: Vec<String>,
    /// With --env: seal the env file's values over a sealed file restored by `empseal rollback`.
    #[arg(long = "overwrite-rollback", requires = "envs")]
    pub overwrite_rollback: bool,
    /// With one --env: seal only the env's secret of this rendered name (default: all of its secrets).
    #[arg(long, value_name = "NAME", requires = "envs")]
    pub secret: Option<String>,
    /// Read KEY=VALUE lines from an env file, as kubectl's --from-env-file (repeatable).
    #[arg(long = "from-env-file", value_name = "FILE")]
    pub from_env_file: Vec<PathBuf>,
    /// A literal item KEY=VALUE, as kubectl's --from-literal (repeatable).
    #[arg(long = "from-literal", value_name = "KEY=VALUE")]
    pub from_literal: Vec<String>,
    /// An item from a file or every file of a directory, [KEY=]PATH, as kubectl (repeatable).
    /// With --raw: the file holding the one value to seal.
    #[arg(
        long = "from-file",
        value_name = "[KEY=]PATH",
        env = "SEALED_SECRETS_FROM_FILE"
    )]
    pub from_file: Vec<String>,
    /// The Secret's type with --from-*, as kubectl create secret generic --type
    /// (e.g. kubernetes.io/tls); the API server's rules for it are checked before sealing.
    #[arg(long = "type", value_name = "TYPE")]
    pub secret_type: Option<String>,
    /// Name of the Secret (required with --from-*; overrides a manifest's name).
    #[arg(long, env = "SEALED_SECRETS_NAME")]
    pub name: Option<String>,
    /// Namespace (default: the kubeconfig context's namespace, else `default`).
    #[arg(short = 'n', long, env = "SEALED_SECRETS_NAMESPACE")]
    pub namespace: Option<String>,
    /// Secret manifests to seal (YAML or JSON, several documents); `-` or absent: stdin.
    #[arg(
        short = 'f',
        long = "secret-file",
        visible_alias = "file",
        value_name = "FILE",
        env = "SEALED_SECRETS_SECRET_FILE"
    )]
    pub file: Option<PathBuf>,
    /// Certificate file or URL (http, https, file); else $SEALED_SECRETS_CERT, else the cluster.
    #[arg(long, env = "SEALED_SECRETS_CERT", value_name = "PATH|URL")]
    pub cert: Option<String>,
    /// Sealing scope: strict, namespace-wide or cluster-wide; default (or an empty
    /// value, as kubeseal) strict, or the scope annotations on the input Secret.
    #[arg(long, value_parser = super::parse_scope, value_name = "SCOPE", env = "SEALED_SECRETS_SCOPE")]
    pub scope: Option<ScopeArg>,
    /// Output format (default yaml; a -w file ending in .json selects json).
    #[arg(
        short = 'o',
        long = "format",
        value_enum,
        env = "SEALED_SECRETS_FORMAT"
    )]
    pub format: Option<FormatArg>,
    /// Write the SealedSecrets to this file atomically instead of stdout.
    #[arg(
        short = 'w',
        long = "sealed-secret-file",
        visible_alias = "output",
        value_name = "FILE",
        env = "SEALED_SECRETS_SEALED_SECRET_FILE"
    )]
    pub output: Option<PathBuf>,
    /// Reproduce the bytes of this kubeseal generation.
    #[arg(long = "kubeseal-layout", value_enum, default_value_t = LayoutArg::Current)]
    pub layout: LayoutArg,
    /// Print one sealed value (base64) instead of a SealedSecret, as kubeseal --raw.
    #[arg(long, env = "SEALED_SECRETS_RAW")]
    pub raw: bool,
    /// Add or replace items in an existing SealedSecret file, in place, atomically.
    #[arg(
        long = "merge-into",
        value_name = "FILE",
        env = "SEALED_SECRETS_MERGE_INTO"
    )]
    pub merge_into: Option<PathBuf>,
    /// Allow sealing a Secret with no data.
    #[arg(long = "allow-empty-data", env = "SEALED_SECRETS_ALLOW_EMPTY_DATA")]
    pub allow_empty_data: bool,
    /// Cluster and controller, used when no --cert is given.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `empseal unseal`.
#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// Private key: PEM (PKCS#1 or PKCS#8) or a backup of the controller's key Secret(s)
    /// (`kubectl get secret -o yaml`, a Secret or a v1.List). Repeatable.
    #[arg(
        long = "private-key",
        visible_alias = "recovery-private-key",
        env = "SEALED_SECRETS_RECOVERY_PRIVATE_KEY",
        required = true,
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub private_key: Vec<PathBuf>,
    /// SealedSecret manifests (YAML or JSON, several documents); `-` or absent: stdin.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t = FormatArg::Yaml, env = "SEALED_SECRETS_FORMAT")]
    pub format: FormatArg,
    /// Write the Secrets to this file (created 0600, atomically) instead of stdout.
    #[arg(short = 'w', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Layout of the printed Secret.
    #[arg(long = "kubeseal-layout", value_enum, default_value_t = LayoutArg::Current)]
    pub layout: LayoutArg,
}

/// `empseal cert show`.
#[derive(Debug, Args)]
pub struct CertShowArgs {
    /// The certificate: a PEM file or a URL.
    #[arg(value_name = "CERT")]
    pub cert: String,
}

/// Loads and checks the sealing certificate from --cert / $SEALED_SECRETS_CERT, or
/// the cluster; warns on stderr when it expires within 30 days (and when it came
/// over an unauthenticated transport).
fn sealing_certificate(cert: Option<&str>, cluster: &ClusterArgs, now: i64) -> Result<Certificate> {
    let fetched = match cert {
        Some(spec) => super::load_certificate(spec)?,
        None => cluster.controller()?.fetch_cert()?,
    };
    let origin = fetched.origin;
    let c = Certificate::from_pem(&fetched.pem, &origin)?;
    c.check_usable(now)?;
    super::out::verbose!(
        "sealing with certificate {origin} (fingerprint {})",
        c.fingerprint()
    );
    warn_about(&c, now);
    Ok(c)
}

/// Where `seal --raw` takes its one value from.
enum RawSource<'a> {
    Stdin,
    File(&'a str),
    Literal(&'a str),
}

/// `--raw` seals exactly one value: from one `--from-file`, one `--from-literal`,
/// or stdin when neither is given. Anything else is ambiguous (which value would
/// be sealed?) and refused as a usage error, before any input is read.
fn raw_source(a: &SealArgs) -> std::result::Result<RawSource<'_>, String> {
    let ignored = [
        (!a.from_env_file.is_empty(), "--from-env-file"),
        (a.file.is_some(), "-f/--secret-file"),
        (a.merge_into.is_some(), "--merge-into"),
    ];
    if let Some((_, flag)) = ignored.iter().find(|(given, _)| *given) {
        return Err(format!(
            "--raw seals one value from --from-file, --from-literal or stdin; {flag} cannot be used with it"
        ));
    }
    match (a.from_file.as_slice(), a.from_literal.as_slice()) {
        ([], []) => Ok(RawSource::Stdin),
        ([one], []) => Ok(RawSource::File(one)),
        ([], [one]) => Ok(RawSource::Literal(one)),
        (files, literals) => Err(format!(
            "--raw seals exactly one value, but {} --from-file and {} --from-literal were given; give exactly one of --from-file, --from-literal or stdin",
            files.len(),
            literals.len()
        )),
    }
}

/// What `seal --env ENV` asks the environment lifecycle for, once its flags are
/// judged (the dispatcher hands it to `lifecycle::seal_env`).
pub struct EnvSeal {
    /// `--root`.
    pub root: Option<PathBuf>,
    /// The environments named by `--env`.
    pub envs: Vec<String>,
    /// `--all-envs`: every sealed environment.
    pub all_envs: bool,
    /// `--all`: reseal every key.
    pub all: bool,
    /// `--allow-missing`, `--overwrite-rollback`.
    pub guards: empseal_env::overlay::SealGuards,
    /// `--dry-run`.
    pub dry_run: bool,
}

/// What `seal` is asked to do.
pub enum SealMode {
    /// Seal an environment.
    Env(EnvSeal),
    /// kubeseal's seal of a Secret, literals or files.
    Kubeseal(Box<SealArgs>),
    /// Refused before anything was done, with this exit code.
    Refused(i32),
}

/// Judges `seal`'s flags: `--env` takes the environment's own settings, so
/// kubeseal's flags that it decides are refused (or ignored, with a note, when
/// they come from SEALED_SECRETS_* variables).
pub fn seal_mode(mut a: SealArgs) -> Result<SealMode> {
    // kubeseal reads an empty --cert / SEALED_SECRETS_CERT as "no certificate given":
    // fetch it from the cluster.
    if a.cert.as_deref() == Some("") {
        a.cert = None;
    }
    if !a.env.is_empty() || a.all_envs {
        let env = match a.env.as_slice() {
            [one] if !a.all_envs => one.clone(),
            _ => "each env".to_string(),
        };
        if a.secret.is_some() && (a.env.len() > 1 || a.all_envs) {
            note!("empseal: error: --secret NAME narrows one env to one of its secrets; give a single --env with it");
            return Ok(SealMode::Refused(crate::cli::exit::code::USAGE));
        }
        // kubeseal's flags that --env decides itself: refused on the command line,
        // ignored (with a note) when they come from SEALED_SECRETS_* variables.
        let decided = [
            (a.name.is_some(), "--name", "SEALED_SECRETS_NAME"),
            (
                a.namespace.is_some(),
                "--namespace",
                "SEALED_SECRETS_NAMESPACE",
            ),
            (
                a.file.is_some(),
                "--secret-file",
                "SEALED_SECRETS_SECRET_FILE",
            ),
            (a.scope.is_some(), "--scope", "SEALED_SECRETS_SCOPE"),
            (a.format.is_some(), "--format", "SEALED_SECRETS_FORMAT"),
            (
                a.output.is_some(),
                "--sealed-secret-file",
                "SEALED_SECRETS_SEALED_SECRET_FILE",
            ),
            (a.raw, "--raw", "SEALED_SECRETS_RAW"),
            (
                a.merge_into.is_some(),
                "--merge-into",
                "SEALED_SECRETS_MERGE_INTO",
            ),
            (
                !a.from_file.is_empty(),
                "--from-file",
                "SEALED_SECRETS_FROM_FILE",
            ),
        ];
        for (given, flag, var) in decided {
            if !given {
                continue;
            }
            if std::env::var_os(var).is_none() {
                note!("empseal: error: {flag} cannot be used with --env: {env}'s overlay decides it (see `empseal seal --help`)");
                return Ok(SealMode::Refused(crate::cli::exit::code::USAGE));
            }
            note!("empseal: note: {var} is ignored with --env ({env}'s overlay decides it)");
        }
        // --env seals with the env's pinned certificate, never --cert.
        if a.cert.is_some() {
            if std::env::var_os("SEALED_SECRETS_CERT").is_none() {
                let repin = match a.env.as_slice() {
                    [one] if !a.all_envs => format!("--env {one}"),
                    _ => "--env ENV".to_string(),
                };
                return Err(Error::Input(format!(
                    "--cert cannot be combined with --env: {env} is sealed with its pinned certificate (repin it with `empseal cert fetch {repin}`)"
                )));
            }
            note!("empseal: note: SEALED_SECRETS_CERT is ignored with --env (the pinned certificate is used)");
        }
        return Ok(SealMode::Env(EnvSeal {
            root: a.root.clone(),
            envs: a.env.clone(),
            all_envs: a.all_envs,
            all: a.all,
            guards: empseal_env::overlay::SealGuards {
                allow_missing: a.allow_missing.clone(),
                overwrite_rollback: a.overwrite_rollback,
                secret: a.secret.clone(),
            },
            dry_run: a.dry_run,
        }));
    }
    Ok(SealMode::Kubeseal(Box::new(a)))
}

/// `empseal seal` without `--env`: kubeseal's seal.
pub fn seal(a: SealArgs) -> Result<i32> {
    let now = now();
    let format: Format = match (a.format, &a.output) {
        (Some(f), _) => f.into(),
        (None, Some(p)) if p.extension().is_some_and(|e| e == "json") => Format::Json,
        _ => Format::Yaml,
    };
    let layout: Layout = a.layout.into();
    let scope = a.scope.map(Into::into).unwrap_or_default();
    // kubeseal's clientConfig.Namespace(): only consulted when -n is not given.
    let context_ns = if a.namespace.is_some() {
        String::new()
    } else {
        source::context_namespace(&a.cluster.kube())?
    };
    let flag_sources =
        !a.from_env_file.is_empty() || !a.from_literal.is_empty() || !a.from_file.is_empty();
    if a.secret_type.is_some() && (a.raw || !flag_sources) {
        note!("empseal: error: --type sets the type of a Secret built from --from-env-file/--from-literal/--from-file; a manifest's Secret has its own type, and --raw seals a value, not a Secret");
        return Ok(crate::cli::exit::code::USAGE);
    }

    if a.raw {
        let value = match raw_source(&a) {
            Ok(RawSource::Stdin) => read_input(None)?.1,
            Ok(RawSource::File(spec)) => {
                let path = spec.split_once('=').map(|(_, p)| p).unwrap_or(spec);
                read_path_or_stdin(path)?.1
            }
            Ok(RawSource::Literal(lit)) => envfile::parse_literal_source("--from-literal", lit)?.1,
            Err(usage) => {
                note!("empseal: error: {usage}");
                return Ok(crate::cli::exit::code::USAGE);
            }
        };
        let cert = sealing_certificate(a.cert.as_deref(), &a.cluster, now)?;
        let ns = a.namespace.clone().unwrap_or(context_ns);
        let mut rng = rng();
        let out = sealing::seal_raw(
            &mut rng,
            &cert.public_key,
            scope,
            &ns,
            a.name.as_deref().unwrap_or(""),
            &value,
        )?;
        emit_output(a.output.as_deref(), out.as_bytes(), Sensitivity::Public)?;
        return Ok(0);
    }

    let secrets = if flag_sources {
        let name = a.name.clone().ok_or_else(|| {
            Error::Input("--from-env-file/--from-literal/--from-file need --name NAME".into())
        })?;
        let mut sources = envfile::SecretSources::new();
        for f in &a.from_env_file {
            for item in envfile::split_list_flag("--from-env-file", &f.to_string_lossy())? {
                sources.env_file(item);
            }
        }
        for l in &a.from_literal {
            sources.literal(l);
        }
        for f in &a.from_file {
            for item in envfile::split_list_flag("--from-file", f)? {
                sources.file(&item);
            }
        }
        sources.secret_type(a.secret_type.clone());
        let (secret, warnings) =
            sources.build_with_warnings(&name, a.namespace.as_deref(), &envfile::process_env)?;
        for w in &warnings {
            note!("empseal: warning: {w}");
        }
        vec![secret]
    } else {
        let (origin, bytes) = read_input(a.file.as_deref())?;
        let secrets = manifest::read_secrets(&origin, &bytes)?;
        if secrets.is_empty() {
            return Err(Error::Input(format!(
                "{origin}: no Secret found; give a Secret manifest (YAML or JSON) or --from-env-file/--from-literal with --name"
            )));
        }
        secrets
    };

    let mut opts = SealOptions {
        scope,
        name: a.name.clone(),
        namespace_override: None,
        namespace_flag: a.namespace.clone(),
        context_namespace: context_ns,
        allow_empty_data: a.allow_empty_data,
    };

    if let Some(target) = &a.merge_into {
        let original_bytes = std::fs::read(target).map_err(|e| Error::io(target, e))?;
        let origin = target.display().to_string();
        let (file_format, file_layout) = manifest::detect_style(&original_bytes);
        let mut originals = manifest::read_sealed_secrets(&origin, &original_bytes)?;
        if originals.len() != 1 {
            return Err(Error::Input(format!(
                "{origin}: --merge-into needs a file with exactly one SealedSecret, found {}",
                originals.len()
            )));
        }
        let mut original = originals.remove(0);
        // New items get the target's scope (kubeseal seals them with the input's,
        // so a strict item lands in a namespace-wide file and cannot decrypt).
        let target_scope = original.scope();
        if let Some(asked) = a.scope.map(kubeseal_core::secret::Scope::from) {
            if asked != target_scope {
                note!(
                    "empseal: error: --scope {} conflicts with {origin}, which is {}: every value of one SealedSecret has its scope; drop --scope, or seal into another file",
                    asked.as_str(),
                    target_scope.as_str()
                );
                return Ok(crate::cli::exit::code::USAGE);
            }
        }
        let mut secrets = secrets;
        for s in &mut secrets {
            target_scope.apply_to_annotations(&mut s.metadata.annotations);
        }
        opts.scope = target_scope;
        opts.name = Some(original.metadata.name.clone());
        opts.namespace_override = Some(original.metadata.namespace.clone());
        let cert = sealing_certificate(a.cert.as_deref(), &a.cluster, now)?;
        let mut rng = rng();
        let update = sealing::seal_secrets(&mut rng, &cert.public_key, secrets, &opts)?;
        let before = render_sealed(std::slice::from_ref(&original), file_format, file_layout)?;
        for u in &update {
            sealing::merge_into(&mut original, u);
        }
        let after = render_sealed(std::slice::from_ref(&original), file_format, file_layout)?;
        // Keep the file's comments: splice the change into its text.
        let out = match std::str::from_utf8(&original_bytes)
            .ok()
            .and_then(|text| kubeseal_core::splice::keep_comments(text, &before, &after))
        {
            Some(kept) => kept,
            None => {
                if original_bytes.contains(&b'#') && file_format == Format::Yaml {
                    note!("empseal: warning: {origin}: the file is not laid out as kubeseal prints it, so it is rewritten in kubeseal's layout and its comments are not kept");
                }
                after
            }
        };
        write_atomic(target, out.as_bytes(), Sensitivity::Public)?;
        return Ok(0);
    }

    let cert = sealing_certificate(a.cert.as_deref(), &a.cluster, now)?;
    let mut rng = rng();
    let sealed = sealing::seal_secrets(&mut rng, &cert.public_key, secrets, &opts)?;
    let out = render_sealed(&sealed, format, layout)?;
    emit_output(a.output.as_deref(), out.as_bytes(), Sensitivity::Public)?;
    Ok(0)
}

/// `empseal unseal`.
pub fn unseal(a: UnsealArgs) -> Result<i32> {
    let mut keys = Vec::new();
    for path in &a.private_key {
        let (origin, bytes) = read_path_or_stdin(&path.to_string_lossy())?;
        keys.extend(unsealing::load_private_keys(&origin, &bytes)?);
    }
    let (origin, bytes) = read_input(a.file.as_deref())?;
    let sealed = manifest::read_sealed_secrets(&origin, &bytes)?;
    if sealed.is_empty() {
        return Err(Error::Input(format!("{origin}: no SealedSecret found")));
    }
    let format: Format = a.format.into();
    let layout: Layout = a.layout.into();
    let mut out = zeroize::Zeroizing::new(String::new());
    for s in &sealed {
        let secret = unsealing::unseal(s, &keys)?;
        let doc = emit::secret_document(&secret, layout, format)
            .map_err(|e| Error::Input(format!("Secret {}: {e}", secret.metadata.name)))?;
        out.push_str(&doc);
    }
    emit_output(a.output.as_deref(), out.as_bytes(), Sensitivity::Secret)?;
    Ok(0)
}

/// `empseal cert show`.
pub fn cert_show(a: CertShowArgs) -> Result<i32> {
    let now = now();
    let loaded = super::load_certificate(&a.cert)?;
    let origin = loaded.origin;
    let c = Certificate::from_pem(&loaded.pem, &origin)?;
    let state = c
        .assess(now, super::out::EXPIRY_WARNING_SECS)
        .state
        .as_str();
    say!("certificate: {origin}");
    say!("subject:     {}", super::printable(&c.subject));
    say!("issuer:      {}", super::printable(&c.issuer));
    say!(
        "not before:  {}",
        kubeseal_core::cert::rfc3339(c.not_before)
    );
    say!(
        "not after:   {} ({state})",
        kubeseal_core::cert::rfc3339(c.not_after)
    );
    say!("key:         RSA {} bits", c.bits);
    say!("fingerprint: {}", c.fingerprint());
    warn_about(&c, now);
    Ok(0)
}
