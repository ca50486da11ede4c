//! Command-line definitions (clap) and dispatch. Printing happens here and only here.

mod check;
mod controller;
mod envs;
mod examples;
pub mod exit;
mod io;
mod lifecycle;
pub(crate) mod out;
mod seal;
mod shell;

pub use shell::{complete_envs, COMPLETE_ENVS};

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cli::exit::Result;
use kubeseal_core::secret::{Format, Layout, Scope};

/// Seal, check, render, rotate and roll back Bitnami SealedSecrets for the EMP stack.
///
/// Output is byte-for-byte what kubeseal v0.36 prints (except the random ciphertext).
#[derive(Debug, Parser)]
#[command(name = "empseal", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Say on stderr what empseal is doing: which certificate (and its
    /// fingerprint), controller, kubeconfig context and kustomize command. Never values.
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// empseal's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Seal Secrets (env files, literals, files or manifests) into SealedSecrets (kubeseal).
    #[command(after_help = examples::SEAL)]
    Seal(Box<seal::SealArgs>),
    /// Decrypt SealedSecrets with the controller's private keys (kubeseal --recovery-unseal).
    #[command(after_help = examples::UNSEAL)]
    Unseal(seal::UnsealArgs),
    /// Inspect or fetch the controller's sealing certificate.
    #[command(subcommand, after_help = examples::CERT)]
    Cert(CertCommand),
    /// Render overlays with freshly sealed SealedSecrets (one ENV.yaml each; never touches the tree).
    #[command(after_help = examples::RENDER)]
    Render(lifecycle::RenderArgs),
    /// New credentials for an env (generated or from its env file); only those keys are resealed.
    #[command(after_help = examples::ROTATE)]
    Rotate(lifecycle::RotateArgs),
    /// The commits that changed an env's sealed secret: keys changed and the sealing certificate.
    #[command(after_help = examples::HISTORY)]
    History(lifecycle::HistoryArgs),
    /// Restore an env's sealed secret (and its record) from a git revision.
    #[command(after_help = examples::ROLLBACK)]
    Rollback(lifecycle::RollbackArgs),
    /// Record an env's sealed file as sealed with its pinned certificate (values sealed elsewhere).
    #[command(after_help = examples::ADOPT)]
    Adopt(lifecycle::AdoptArgs),
    /// Rewrite an env's rollout patch for its sealed files as they are (e.g. sealed by hand).
    #[command(after_help = examples::ROLLOUT)]
    Rollout(lifecycle::RolloutArgs),
    /// Create environments: `env add NAME` scaffolds an overlay the first `seal --env` works on.
    #[command(subcommand, after_help = examples::ENV)]
    Env(EnvCommand),
    /// Lint SealedSecrets for CI: placeholders, wrong key, inconsistent metadata, plaintext.
    #[command(after_help = examples::CHECK)]
    Check(check::CheckArgs),
    /// Ask the controller whether it can decrypt SealedSecrets (kubeseal --validate).
    #[command(after_help = examples::VALIDATE)]
    Validate(controller::ValidateArgs),
    /// Re-encrypt SealedSecrets with the controller's newest key (kubeseal --re-encrypt).
    #[command(after_help = examples::REENCRYPT)]
    Reencrypt(controller::ReencryptArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = examples::COMPLETIONS)]
    Completions(shell::CompletionsArgs),
    /// Write man pages for empseal and every command into a directory.
    #[command(after_help = examples::MAN)]
    Man(shell::ManArgs),
}

/// `empseal cert ...`.
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Show subject, validity, key size and the controller key fingerprint of a certificate.
    #[command(after_help = examples::CERT_SHOW)]
    Show(seal::CertShowArgs),
    /// Fetch the controller's certificate (kubeseal --fetch-cert), or pin it for an env.
    #[command(after_help = examples::CERT_FETCH)]
    Fetch(Box<controller::CertFetchArgs>),
    /// Remove a previous key from an env's keyring (the controller no longer holds it).
    #[command(after_help = examples::CERT_RETIRE)]
    Retire(lifecycle::CertRetireArgs),
}

/// `empseal env ...`.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// A new environment: overlay on the base, empty SealedSecret, example env file.
    #[command(after_help = examples::ENV_ADD)]
    Add(lifecycle::EnvAddArgs),
}

/// `--format` / `-o`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// YAML, preceded by `---` (kubeseal --format yaml).
    Yaml,
    /// JSON, indented by two spaces (kubeseal --format json).
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Yaml => Format::Yaml,
            FormatArg::Json => Format::Json,
        }
    }
}

/// `--scope`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScopeArg {
    /// Bound to namespace and name (default).
    Strict,
    /// Bound to the namespace.
    NamespaceWide,
    /// Unsealable anywhere in the cluster.
    ClusterWide,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::Strict => Scope::Strict,
            ScopeArg::NamespaceWide => Scope::NamespaceWide,
            ScopeArg::ClusterWide => Scope::ClusterWide,
        }
    }
}

/// `--scope` as kubeseal's `SealingScope.Set`: an empty value is the default
/// (strict), otherwise one of the three names.
pub fn parse_scope(v: &str) -> std::result::Result<ScopeArg, String> {
    if v.is_empty() {
        return Ok(ScopeArg::Strict);
    }
    ScopeArg::from_str(v, false)
        .map_err(|_| "must be one of: strict, namespace-wide, cluster-wide".to_string())
}

/// A kubectl duration (`--request-timeout`): a number with a unit (`500ms`, `30s`,
/// `1m`, `1h`, or combined as `1m30s`), or a bare number of seconds; `0` means
/// empseal's default.
pub fn parse_duration(v: &str) -> std::result::Result<std::time::Duration, String> {
    let bad = || format!("{v:?} is not a duration; use e.g. 30s, 1m or 500ms");
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total = 0f64;
    let mut rest = v;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(n);
        let num: f64 = num.parse().map_err(|_| bad())?;
        let u = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(u);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += num * scale;
        rest = tail;
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

/// Text from outside (git authors and subjects, file contents) made safe for a
/// terminal: control characters (escape sequences, carriage returns, ...) are
/// printed escaped (`\u{1b}`) instead of being sent to the terminal.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `--kubeseal-layout`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum LayoutArg {
    /// kubeseal built on Kubernetes libraries >= 0.34 (no creationTimestamp).
    #[default]
    Current,
    /// kubeseal up to about v0.32 (`creationTimestamp: null` in both metadata blocks).
    Legacy,
}

impl From<LayoutArg> for Layout {
    fn from(l: LayoutArg) -> Self {
        match l {
            LayoutArg::Current => Layout::Current,
            LayoutArg::Legacy => Layout::Legacy,
        }
    }
}

/// Where the cluster and the controller are (kubeseal's flags and variables).
#[derive(Debug, Clone, Args, Default)]
pub struct ClusterArgs {
    /// Path to a kubeconfig (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, global = false, env = "SEALED_SECRETS_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, env = "SEALED_SECRETS_CONTEXT")]
    pub context: Option<String>,
    /// The kubeconfig cluster to use (instead of the context's).
    #[arg(long, value_name = "NAME", env = "SEALED_SECRETS_CLUSTER")]
    pub cluster: Option<String>,
    /// The kubeconfig user to use (instead of the context's).
    #[arg(long, value_name = "NAME", env = "SEALED_SECRETS_USER")]
    pub user: Option<String>,
    /// The address and port of the Kubernetes API server (instead of the kubeconfig's).
    #[arg(long, short = 's', value_name = "URL", env = "SEALED_SECRETS_SERVER")]
    pub server: Option<String>,
    /// Bearer token for the API server (instead of the kubeconfig user's credentials).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SEALED_SECRETS_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// How long to wait for one request (kubectl's form: 30s, 1m, 500ms; 0 = empseal's default).
    #[arg(long, value_name = "DURATION", env = "SEALED_SECRETS_REQUEST_TIMEOUT", value_parser = parse_duration)]
    pub request_timeout: Option<std::time::Duration>,
    /// Name of the sealed-secrets controller Service [default: sealed-secrets-controller].
    #[arg(long, env = "SEALED_SECRETS_CONTROLLER_NAME")]
    pub controller_name: Option<String>,
    /// Namespace of the sealed-secrets controller [default: kube-system].
    #[arg(long, env = "SEALED_SECRETS_CONTROLLER_NAMESPACE")]
    pub controller_namespace: Option<String>,
    /// Talk to the controller at this URL (e.g. a port-forward) instead of through the API server.
    #[arg(long, value_name = "URL")]
    pub controller_url: Option<String>,
}

/// An environment's own cluster and controller (`context`,
/// `controllerNamespace`, `controllerName` in empseal.yaml), used where the
/// command line does not say.
#[derive(Debug, Clone, Default)]
pub struct EnvCluster {
    /// The kubeconfig context.
    pub context: Option<String>,
    /// The controller's namespace.
    pub controller_namespace: Option<String>,
    /// The controller's Service name.
    pub controller_name: Option<String>,
}

impl EnvCluster {
    /// The settings of `envs.<env>` in empseal.yaml.
    pub fn of(config: Option<&empseal_env::config::EnvConfig>) -> EnvCluster {
        EnvCluster {
            context: config.and_then(|c| c.context.clone()),
            controller_namespace: config.and_then(|c| c.controller_namespace.clone()),
            controller_name: config.and_then(|c| c.controller_name.clone()),
        }
    }
}

/// `value` unless it came from the environment variable `var` rather than
/// the command line (clap reads both into one field): a flag wins over an
/// env's setting in empseal.yaml, the setting wins over the variable.
fn given_on_command_line(value: &Option<String>, var: &str) -> Option<String> {
    value
        .clone()
        .filter(|v| std::env::var(var).ok().as_deref() != Some(v.as_str()))
}

impl ClusterArgs {
    /// These flags with an env's own settings filled in, in the one order of
    /// precedence: the command line's flag, then the env's setting in
    /// empseal.yaml, then the SEALED_SECRETS_* variable, then the default (the
    /// kubeconfig's current context; kube-system/sealed-secrets-controller).
    pub fn for_env(&self, env: &EnvCluster) -> ClusterArgs {
        let mut out = self.clone();
        for (field, setting, var) in [
            (&mut out.context, &env.context, "SEALED_SECRETS_CONTEXT"),
            (
                &mut out.controller_namespace,
                &env.controller_namespace,
                empseal_controller::ENV_CONTROLLER_NAMESPACE,
            ),
            (
                &mut out.controller_name,
                &env.controller_name,
                empseal_controller::ENV_CONTROLLER_NAME,
            ),
        ] {
            if let Some(setting) = setting {
                *field = given_on_command_line(field, var).or(Some(setting.clone()));
            }
        }
        out
    }

    /// The kubeconfig selection these flags make.
    pub fn kube(&self) -> empseal_controller::KubeOptions {
        let mut k = empseal_controller::KubeOptions::from_process(
            self.kubeconfig.clone(),
            self.context.clone(),
        );
        k.cluster = self.cluster.clone();
        k.user = self.user.clone();
        k.server = self.server.clone();
        k.token = self
            .token
            .clone()
            .map(|t| empseal_controller::Token(zeroize::Zeroizing::new(t)));
        k
    }

    /// The controller these flags designate, as kubeseal resolves it.
    pub fn endpoint(&self) -> Result<empseal_controller::ControllerEndpoint> {
        if let Some(url) = &self.controller_url {
            return Ok(empseal_controller::ControllerEndpoint::Url(url.clone()));
        }
        let controller = empseal_controller::ControllerRef::resolve(
            self.controller_name.as_deref(),
            self.controller_namespace.as_deref(),
            |k| std::env::var(k).ok(),
        )?;
        Ok(empseal_controller::ControllerEndpoint::Cluster {
            kube: self.kube(),
            controller,
        })
    }

    /// Prepares a client for the controller (no request is sent yet). Says so on
    /// stderr when the kubeconfig turns TLS verification off: that is never followed
    /// silently.
    pub fn controller(&self) -> Result<empseal_controller::Controller> {
        let mut net = empseal_controller::NetOptions::default();
        if let Some(t) = self.request_timeout.filter(|t| !t.is_zero()) {
            net.request_timeout = t;
        }
        let c = empseal_controller::Controller::connect(self.endpoint()?, net)?;
        out::verbose!("controller: {}", c.describe());
        if let Some(why) = c.unverified_tls() {
            warn_unverified_transport(why);
        }
        Ok(c)
    }
}

/// Says on stderr, in one line, that what comes over this transport is not
/// authenticated (`why`: plain http:// to another machine, or TLS verification
/// off): a certificate from there may be anyone's, and so may be what reads
/// the values sealed with it.
fn warn_unverified_transport(why: &str) {
    out::note!("empseal: warning: {why}; anyone on the network path can answer in its place (use https:// with a verified certificate)");
}

/// The certificate at `spec` (`--cert` / `SEALED_SECRETS_CERT`, or `cert
/// show`'s argument: a file or a URL), warning on stderr when it came over an
/// unauthenticated transport, as for the controller's.
pub fn load_certificate(spec: &str) -> Result<empseal_controller::FetchedCert> {
    let fetched = empseal_controller::load_cert_bytes(spec)?;
    if let Some(why) = &fetched.unverified {
        warn_unverified_transport(why);
    }
    Ok(fetched)
}

/// The command line definition, with the rules every argument follows whatever
/// its declaration says: an argument backed by an environment variable never
/// shows the variable's value in `--help` (it may hold a URL with a password).
pub fn command() -> clap::Command {
    fn harden(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|a| a.hide_env_values(true))
            .mut_subcommands(harden)
    }
    harden(<Cli as clap::CommandFactory>::command())
}

/// Parses this process's command line with [`command`]; `--help`, `--version`
/// and usage errors come back as clap's error for `main` to print.
pub fn try_parse() -> std::result::Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = command().try_get_matches()?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command()))
}

/// Runs the parsed command line; returns the exit code on success.
pub fn run(cli: Cli) -> Result<i32> {
    out::set_verbose(cli.verbose);
    match cli.command {
        Command::Seal(a) => match seal::seal_mode(*a)? {
            seal::SealMode::Env(s) => lifecycle::seal_env(
                s.root.as_deref(),
                &s.envs,
                s.all_envs,
                s.all,
                &s.guards,
                s.dry_run,
            ),
            seal::SealMode::Kubeseal(a) => seal::seal(*a),
            seal::SealMode::Refused(code) => Ok(code),
        },
        Command::Unseal(a) => seal::unseal(a),
        Command::Cert(CertCommand::Show(a)) => seal::cert_show(a),
        Command::Cert(CertCommand::Fetch(a)) => controller::cert_fetch(*a),
        Command::Check(a) => check::check(a),
        Command::Validate(a) => controller::validate(a),
        Command::Reencrypt(a) => controller::reencrypt(a),
        Command::Render(a) => lifecycle::render(a),
        Command::Rotate(a) => lifecycle::rotate(a),
        Command::History(a) => lifecycle::history(a),
        Command::Rollback(a) => lifecycle::rollback(a),
        Command::Adopt(a) => lifecycle::adopt(a),
        Command::Env(EnvCommand::Add(a)) => lifecycle::env_add(a),
        Command::Rollout(a) => lifecycle::rollout(a),
        Command::Cert(CertCommand::Retire(a)) => lifecycle::cert_retire(a),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
    }
}
