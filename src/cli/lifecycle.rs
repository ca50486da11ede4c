//! The environment lifecycle commands: `seal --env`, `render`, `rotate`,
//! `history`, `rollback` (arguments and handlers; the work is in
//! `empseal_env::overlay` and `empseal_env::history`). Printing happens here: results on
//! stdout, warnings and the progress bar on stderr; never a secret value.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, ValueEnum};

use crate::cli::exit::{Error, Result};
use empseal_env::history::{self, KeyDiff};
use empseal_env::overlay::{self, RenderEvent, RenderOptions, RotateOptions, Workspace};

use empseal_env::plan::WritePlan;

use super::io::{now, rng, workspace};
use super::out::{list, note, say, verbose};

/// Where the repository is: `--root`, else the nearest parent of the current
/// directory holding `empseal.yaml` or `k8s/overlays`.
#[derive(Debug, Clone, Args, Default)]
pub struct RootArgs {
    /// The repository root (default: the nearest parent directory with empseal.yaml or k8s/overlays).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Says (with -v) which kustomize builds the overlays.
fn say_kustomize(ws: &Workspace) {
    if super::out::verbose_on() {
        match ws.kustomize() {
            Ok(k) => verbose!("overlays are built with `{}`", k.describe()),
            Err(e) => verbose!("kustomize: {e}"),
        }
    }
}

/// `--dry-run`'s account of a plan: each file (relative to the repository root)
/// and what would happen to it. Then `(dry run: nothing written)`.
pub fn print_plan(plan: &WritePlan) {
    let files = plan.files();
    if files
        .iter()
        .all(|(_, c)| *c == empseal_env::plan::FileChange::Unchanged)
    {
        say!("  files:    none would change");
    }
    for (file, change) in files {
        say!("  {:<9} {file}", format!("{}:", change.as_str()));
    }
    say!("  (dry run: nothing written)");
}

fn demo_warning(env: &str) -> String {
    format!(
        "empseal: warning: the pinned certificate of {env} is demo material (its private key is in testdata/); run `empseal cert fetch --env {env}` before deploying"
    )
}

/// `empseal seal --env ENV... [--all]` / `--all-envs`: the CLI's seal command
/// calls this when `--env` or `--all-envs` is given (`reseal_all` = `--all`).
/// Every env is planned first (inputs checked, values read, ciphertext
/// computed, each env's lock taken); only when every plan succeeded are they
/// applied, in env order. Prints what was sealed (keys only) and returns the
/// exit code: the first failing env's.
pub fn seal_env(
    root: Option<&Path>,
    envs: &[String],
    all_envs: bool,
    reseal_all: bool,
    guards: &overlay::SealGuards,
    dry_run: bool,
) -> Result<i32> {
    let ws = workspace(root)?;
    say_kustomize(&ws);
    let names = super::envs::select(&ws, envs, all_envs, super::envs::AllEnvs::Sealed)?;
    if let [env] = names.as_slice() {
        let (outs, plan) = overlay::plan_seal_env(&ws, env, reseal_all, guards, &mut rng(), now())?;
        print_seal_notes(&ws, env, &outs);
        if dry_run {
            print_seal_dry_run(&outs, &plan);
        } else {
            plan.apply()?;
            print_seal_applied(&outs);
        }
        return Ok(0);
    }
    // Plan every env before writing anything: a bad env file in one env leaves
    // every env's files untouched.
    let mut rng = rng();
    let now = now();
    let mut planned = Vec::new();
    let mut first_failure = None;
    for env in &names {
        match overlay::plan_seal_env(&ws, env, reseal_all, guards, &mut rng, now) {
            Ok((outs, plan)) => planned.push((env, outs, plan)),
            Err(e) => {
                let e = Error::from(e);
                super::envs::report(env, names.len(), &e);
                first_failure.get_or_insert(e.exit_code());
            }
        }
    }
    if let Some(code) = first_failure {
        if !dry_run {
            note!("empseal: nothing was written for any env (every env is planned before any is sealed)");
            return Ok(code);
        }
    }
    if dry_run {
        for (env, outs, plan) in &planned {
            say!("env {env}:");
            print_seal_notes(&ws, env, outs);
            print_seal_dry_run(outs, plan);
        }
        return Ok(first_failure.unwrap_or(0));
    }
    // Every env's files are staged (written beside their targets) before any is
    // renamed into place: a full disk or a read-only directory in the last env
    // leaves every env as it was.
    let mut staged = Vec::new();
    for (env, outs, plan) in planned {
        match plan.stage() {
            Ok(s) => staged.push((env, outs, s)),
            Err(e) => {
                let e = Error::from(e);
                super::envs::report(env, names.len(), &e);
                note!("empseal: nothing was written for any env (every env's files are staged before any is replaced)");
                return Ok(e.exit_code());
            }
        }
    }
    // Every env is committed before anything is printed: printing to a closed
    // stdout ends the process (exit 141), which must not leave envs staged but
    // never committed.
    let mut written = Vec::new();
    let mut failure = None;
    for (env, outs, plan) in staged {
        match plan.commit() {
            Ok(()) => written.push((env, outs)),
            Err(e) => {
                failure = Some((env, Error::from(e)));
                break;
            }
        }
    }
    for (env, outs) in &written {
        say!("env {env}:");
        print_seal_notes(&ws, env, outs);
        print_seal_applied(outs);
    }
    if let Some((env, e)) = failure {
        super::envs::report(env, names.len(), &e);
        note!(
            "empseal: sealed before the failure: {}; not sealed: {env} and the envs after it",
            if written.is_empty() {
                "none".to_string()
            } else {
                written
                    .iter()
                    .map(|(env, _)| env.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        return Ok(e.exit_code());
    }
    Ok(0)
}

/// What one env's sealing plan says before it is applied: the certificate
/// (with -v) and the demo warning.
fn print_seal_notes(ws: &Workspace, env: &str, outs: &[overlay::SealOutcome]) {
    for out in outs {
        say_cert(ws, env, out);
    }
    if outs.iter().any(|o| o.demo_cert) {
        note!("{}", demo_warning(env));
    }
}

/// `seal --env --dry-run`'s account of one env: keys, then files.
fn print_seal_dry_run(outs: &[overlay::SealOutcome], plan: &WritePlan) {
    for out in outs {
        print_seal_dry(out);
    }
    print_plan(plan);
}

/// What one env's applied sealing run did.
fn print_seal_applied(outs: &[overlay::SealOutcome]) {
    for out in outs {
        print_seal(out);
    }
}

/// Says (with -v) which certificate sealed and for what.
fn say_cert(ws: &Workspace, env: &str, out: &overlay::SealOutcome) {
    if super::out::verbose_on() {
        let cert = ws
            .env(env)
            .map(|e| ws.display(&e.cert))
            .unwrap_or_else(|_| "the pinned certificate".into());
        verbose!(
            "{env}: sealing with {cert} (fingerprint {}) for {}",
            out.fingerprint,
            out.target
        );
    }
}

/// The key-level account of a sealing run that was not applied.
fn print_seal_dry(out: &overlay::SealOutcome) {
    for w in &out.warnings {
        note!("empseal: warning: {w}");
    }
    let changed: Vec<String> = out
        .resealed
        .iter()
        .filter(|k| !out.added.contains(k))
        .cloned()
        .collect();
    say!(
        "would seal {} for {} with certificate {} -> {}",
        out.env,
        out.target,
        out.fingerprint,
        out.file
    );
    if let Some(why) = &out.reseal_all_reason {
        say!("  every key would be resealed: {why}");
    }
    say!("  added:    {}", list(&out.added));
    say!("  changed:  {}", list(&changed));
    say!("  removed:  {}", list(&out.removed));
    say!("  kept:     {}", list(&out.kept));
    if !out.unsealed.is_empty() {
        say!("  not sealed: {}", list(&out.unsealed));
    }
}

fn print_seal(out: &overlay::SealOutcome) {
    for w in &out.warnings {
        note!("empseal: warning: {w}");
    }
    if out.changed {
        say!(
            "sealed {} for {} with certificate {} -> {}",
            out.env,
            out.target,
            out.fingerprint,
            out.file
        );
    } else {
        say!(
            "{} is up to date ({} keys, certificate {})",
            out.file,
            out.keys.len(),
            out.fingerprint
        );
    }
    if let Some(why) = &out.reseal_all_reason {
        say!("  resealed every key: {why}");
    }
    say!("  resealed: {}", list(&out.resealed));
    say!("  kept:     {}", list(&out.kept));
    if !out.removed.is_empty() {
        say!("  removed:  {}", list(&out.removed));
    }
    if !out.unsealed.is_empty() {
        say!(
            "  not sealed (run `empseal seal --env {}`): {}",
            out.env,
            list(&out.unsealed)
        );
    }
    say!("  record:   {}", out.record);
}

/// `empseal render`.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["env", "all"])))]
pub struct RenderArgs {
    /// Render this environment (repeatable).
    #[arg(long, value_name = "ENV")]
    pub env: Vec<String>,
    /// Render every environment under k8s/overlays.
    #[arg(long)]
    pub all: bool,
    /// Directory for the rendered manifests (one ENV.yaml each, mode 0600);
    /// relative to the repository root, not the current directory.
    #[arg(long, value_name = "DIR", default_value = "rendered")]
    pub out_dir: PathBuf,
    /// Seal the committed example env files (*.env.example) instead of the real
    /// ones: renders with no secrets and no cluster.
    #[arg(long)]
    pub demo: bool,
    /// Reseal only this secret of the env (its rendered metadata.name); the
    /// env's other SealedSecrets render as committed. With one --env.
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Render and verify, then show which files would be written; write nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

/// Runs `empseal render`.
pub fn render(a: RenderArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    let opts = RenderOptions {
        envs: if a.all { Vec::new() } else { a.env.clone() },
        out_dir: a.out_dir.clone(),
        demo: a.demo,
        secret: a.secret.clone(),
    };
    say_kustomize(&ws);
    let bar = super::out::progress("rendering", 0);
    let mut on_event = |e: RenderEvent| match e {
        RenderEvent::Start(n) => bar.set_length(n as u64),
        RenderEvent::Env(name) => bar.set_message(name),
        RenderEvent::Done(_) => bar.inc(1),
    };
    let result = overlay::plan_render(&ws, &opts, &mut rng(), now(), &mut on_event);
    bar.finish_and_clear();
    let (done, plan) = result?;
    let plan = if a.dry_run {
        Some(plan)
    } else {
        plan.apply()?;
        None
    };
    for r in &done {
        let sealed: Vec<String> = r.sealed.iter().map(|t| t.to_string()).collect();
        if let Ok(e) = ws.env(&r.env) {
            if let Ok(Some(pinned)) = empseal_env::pin::load_pin(&e.pin_files(&ws)) {
                verbose!(
                    "{}: sealed with {} (fingerprint {})",
                    r.env,
                    ws.display(&e.cert),
                    pinned.pin.fingerprint
                );
            }
        }
        say!(
            "{} {} -> {} ({} objects{})",
            if a.dry_run {
                "would render"
            } else {
                "rendered"
            },
            r.env,
            ws.display(&r.path),
            r.objects,
            if sealed.is_empty() {
                String::new()
            } else {
                format!("; freshly sealed {}", sealed.join(", "))
            }
        );
        for f in &r.foreign {
            note!(
                "empseal: warning: {}: SealedSecret {f} was not sealed by empseal and is rendered as committed; check it with `empseal check`",
                r.env
            );
        }
    }
    if let Some(plan) = &plan {
        print_plan(plan);
    }
    if a.demo {
        note!(
            "empseal: note: --demo sealed the committed example values; never deploy this output"
        );
    }
    Ok(0)
}

/// `empseal rotate`.
#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    /// The environment.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// A key to rotate (repeatable; default: every key of the env file).
    #[arg(long = "key", value_name = "KEY")]
    pub keys: Vec<String>,
    /// Generate new random values (CSPRNG) and write them to the env file;
    /// without it, the values are taken from the env file as edited.
    #[arg(long)]
    pub generate: bool,
    /// Rotate only in the env's secret of this rendered name (with several
    /// secrets, a --key must otherwise be in exactly one of them).
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Length of generated values (characters from A-Z a-z 0-9 - _).
    #[arg(long, value_name = "N", default_value_t = overlay::DEFAULT_GENERATED_LENGTH, requires = "generate")]
    pub length: usize,
    /// Show the keys and files that would change and write nothing (no value is
    /// generated into the env file, nothing is resealed).
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

/// Runs `empseal rotate`.
pub fn rotate(a: RotateArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    let opts = RotateOptions {
        keys: a.keys.clone(),
        generate: a.generate,
        length: a.length,
        secret: a.secret.clone(),
    };
    say_kustomize(&ws);
    let (outs, plan) = overlay::plan_rotate(&ws, &a.env, &opts, &mut rng(), now())?;
    for out in &outs {
        say_cert(&ws, &a.env, &out.seal);
    }
    if outs.iter().any(|o| o.seal.demo_cert) {
        note!("{}", demo_warning(&a.env));
    }
    let several = outs.len() > 1;
    // With several secrets, each line names the secret (its rendered name).
    let place = |out: &overlay::RotateOutcome| {
        if several {
            format!("{} ({})", a.env, out.seal.target.name)
        } else {
            a.env.clone()
        }
    };
    if a.dry_run {
        for out in &outs {
            say!("would rotate in {}: {}", place(out), list(&out.rotated));
            if out.generated {
                say!("  new values would be generated into {}", out.env_file);
            }
            print_seal_dry(&out.seal);
        }
        print_plan(&plan);
        return Ok(0);
    }
    plan.apply()?;
    for out in &outs {
        print_rotated(&place(out), out);
    }
    Ok(0)
}

/// What one secret's rotation did.
fn print_rotated(place: &str, out: &overlay::RotateOutcome) {
    say!("rotated in {place}: {}", list(&out.rotated));
    if !out.unchanged.is_empty() {
        say!(
            "  unchanged: {} (the env file holds the value already sealed; ciphertext kept; use --generate for a new value)",
            list(&out.unchanged)
        );
    }
    if out.generated {
        say!("  new values written to {} (mode 0600)", out.env_file);
    }
    print_seal(&out.seal);
}

/// `--format` of `history`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum HistoryFormat {
    /// A table for people.
    #[default]
    Text,
    /// A JSON array for scripts.
    Json,
}

/// `empseal history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The environment.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Only the env's secret of this rendered name (default: each of its secrets).
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = HistoryFormat::Text)]
    pub format: HistoryFormat,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

fn changes(d: &KeyDiff) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(d.added.iter().map(|k| format!("+{k}")));
    parts.extend(d.changed.iter().map(|k| format!("~{k}")));
    parts.extend(d.removed.iter().map(|k| format!("-{k}")));
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" ")
    }
}

/// The width to fit `history`'s table to when stdout is a terminal: `COLUMNS`,
/// else the terminal's size. `None` for pipes and files.
fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
    {
        return Some(c);
    }
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| cols as usize)
}

/// `s` cut to `max` characters, the last one `…` when anything was cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Runs `empseal history`.
pub fn history(a: HistoryArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    let all = history::history(&ws, &a.env, a.secret.as_deref())?;
    if a.format == HistoryFormat::Json {
        // An env's only secret: its versions; several: one entry per secret.
        let text = match all.as_slice() {
            [one] if one.secret.is_none() => serde_json::to_string_pretty(&one.versions),
            _ => serde_json::to_string_pretty(&all),
        }
        .map_err(|e| Error::Input(format!("cannot print history as JSON: {e}")))?;
        say!("{text}");
        return Ok(0);
    }
    for (i, h) in all.iter().enumerate() {
        if let Some(name) = &h.secret {
            if i > 0 {
                say!("");
            }
            say!("secret {name} ({}):", h.file);
        }
        print_history(&a.env, &h.versions);
    }
    Ok(0)
}

/// `history`'s table of one secret's versions.
fn print_history(env: &str, versions: &[history::Version]) {
    {
        {
            if versions.is_empty() {
                say!("no commit changed the sealed secret of {}", env);
                return;
            }
            let rows: Vec<[String; 7]> = versions
                .iter()
                .map(|v| {
                    [
                        v.short.clone(),
                        v.date.clone(),
                        v.author.clone(),
                        v.fingerprint.clone().unwrap_or_else(|| "unknown".into()),
                        if !v.present {
                            "(deleted)".into()
                        } else if !v.readable {
                            "(unreadable)".into()
                        } else if v.placeholders {
                            format!("{} (placeholders)", v.keys.join(","))
                        } else {
                            v.keys.join(",")
                        },
                        changes(&v.diff),
                        v.subject.clone(),
                    ]
                    .map(|cell| super::printable(&cell))
                })
                .collect();
            let header = [
                "COMMIT", "DATE", "AUTHOR", "CERT", "KEYS", "CHANGES", "SUBJECT",
            ];
            let mut widths = header.map(str::len);
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r.iter()) {
                    *w = (*w).max(c.chars().count());
                }
            }
            // On a terminal the subject is cut to the width (`…`); pipes and
            // --format json keep it whole.
            let width = terminal_width();
            let print_row = |cells: &[&str]| {
                let mut line = String::new();
                for (i, c) in cells.iter().enumerate() {
                    if i + 1 == cells.len() {
                        let used = line.chars().count();
                        match width {
                            // At least a few characters of the subject even
                            // when the other columns already fill the width.
                            Some(w) => line.push_str(&truncate(c, w.saturating_sub(used).max(12))),
                            None => line.push_str(c),
                        }
                    } else {
                        line.push_str(&format!("{c:<w$}  ", w = widths[i]));
                    }
                }
                say!("{}", line.trim_end());
            };
            print_row(&header);
            for r in &rows {
                let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                print_row(&cells);
            }
        }
    }
}

/// `empseal rollback`.
#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// The environment.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The revision to restore (commit id, tag, HEAD~2, ...), see `empseal history`.
    #[arg(long, value_name = "REV")]
    pub to: String,
    /// Show the key-set change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite uncommitted changes of the sealed file and its record.
    #[arg(long)]
    pub force: bool,
    /// Restore only the env's secret of this rendered name (default: all of its secrets).
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

/// Runs `empseal rollback`.
pub fn rollback(a: RollbackArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    let plan = history::plan_rollback(&ws, &a.env, &a.to, a.secret.as_deref())?;
    for w in plan.warnings() {
        note!("empseal: warning: {w}");
    }
    let describe = |verb: &str| {
        for s in &plan.secrets {
            say!(
                "{verb} {} at {} ({}): keys {}",
                s.file,
                plan.short,
                plan.rev,
                list(&s.keys)
            );
            say!("  added:   {}", list(&s.diff.added));
            say!("  removed: {}", list(&s.diff.removed));
            say!("  changed: {}", list(&s.diff.changed));
        }
    };
    if a.dry_run {
        describe("would restore");
        if !plan.dirty.is_empty() && !a.force {
            note!("empseal: warning: {}", history::dirty_error(&plan.dirty));
        }
        say!("  (dry run: nothing written)");
        return Ok(0);
    }
    history::apply_rollback(&ws, &plan, a.force)?;
    describe("restored");
    if plan.secrets.iter().all(|s| s.unchanged) {
        say!("  (the working tree already held exactly these bytes)");
    }
    for s in &plan.secrets {
        say!(
            "  {} {}; the local seal state was reset, so the next `empseal seal --env {}` reseals every key",
            s.record_file,
            if s.record.is_some() {
                "restored"
            } else {
                "removed (that version had no record)"
            },
            a.env
        );
    }
    Ok(0)
}

/// `empseal adopt`.
#[derive(Debug, Clone, Args)]
pub struct AdoptArgs {
    /// The environment whose sealed file to record as it is.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Only the env's secret of this rendered name (default: all of its secrets).
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

/// Runs `empseal adopt`.
pub fn adopt(a: AdoptArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    let records = overlay::adopt(&ws, &a.env, a.secret.as_deref(), now())?;
    for (secret, record) in &records {
        say!(
            "adopted {}: recorded as sealed with the pinned certificate {} (keys {}) -> {}",
            record.sealed_secret,
            record.cert_fingerprint,
            list(&record.keys),
            ws.display(&secret.record)
        );
    }
    if let Some((_, record)) = records.first() {
        note!(
            "empseal: note: adopt cannot verify offline that the values decrypt with {}: it records what you vouch for; `empseal validate` asks the controller",
            record.cert_fingerprint
        );
    }
    Ok(0)
}

/// `empseal cert retire`.
#[derive(Debug, Clone, Args)]
pub struct CertRetireArgs {
    /// The environment.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The previous key's fingerprint (`SHA256:...`), as `empseal check` names it.
    #[arg(value_name = "FINGERPRINT")]
    pub fingerprint: String,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

/// Runs `empseal cert retire`: removes a previous key from the env's keyring.
pub fn cert_retire(a: CertRetireArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    let env = ws.env(&a.env)?;
    let _lock = overlay::lock_env(&ws, &env)?;
    let entry = empseal_env::pin::retire_key(&env.pin_files(&ws), &a.fingerprint)?;
    say!(
        "retired {} from env {}'s keyring ({} removed); values still sealed for it now fail `empseal check`",
        entry.fingerprint,
        env.name,
        ws.display(&entry.path)
    );
    Ok(0)
}

/// `empseal env add`.
#[derive(Debug, Clone, Args)]
pub struct EnvAddArgs {
    /// The new environment's name (its overlay directory under k8s/overlays).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Its namespace (default: the other envs' pattern, e.g. emp-system-NAME).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// The Secret its SealedSecret produces (default: the one the base's workloads read).
    #[arg(long, value_name = "NAME")]
    pub secret_name: Option<String>,
    /// Also give the example env file the keys of this env's example.
    #[arg(long, value_name = "ENV")]
    pub from: Option<String>,
    /// Pin this controller certificate (PEM) for the new env, as `cert fetch --env` would.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Say which files would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

/// Runs `empseal env add`.
pub fn env_add(a: EnvAddArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    say_kustomize(&ws);
    let opts = empseal_env::scaffold::NewEnvOptions {
        name: a.name.clone(),
        namespace: a.namespace.clone(),
        secret_name: a.secret_name.clone(),
        from: a.from.clone(),
    };
    let cert = match &a.cert {
        Some(path) => Some((
            std::fs::read(path).map_err(|e| Error::io(path, e))?,
            path.display().to_string(),
        )),
        None => None,
    };
    let new = empseal_env::scaffold::plan_new_env(&ws, &opts)?;
    say!(
        "env {}: namespace {}, SealedSecret {} ({} keys in the example: {})",
        a.name,
        new.namespace,
        new.secret_name,
        new.keys.len(),
        list(&new.keys)
    );
    if a.dry_run {
        print_plan(&new.plan);
        return Ok(0);
    }
    let files = new.plan.files();
    new.plan.apply()?;
    for (file, _) in files {
        say!("  wrote     {file}");
    }
    if let Some((pem, origin)) = cert {
        let files = empseal_env::pin::PinFiles::in_overlay(&new.dir);
        empseal_env::pin::pin_certificate(&files, &pem, &origin, false, now())?;
        say!("  pinned    {}", ws.display(&files.cert));
    }
    say!(
        "next: cp {0} {1}, put the real values in, {2}then `empseal seal --env {3}`",
        ws.display(&new.example_env_file),
        ws.display(&new.dir.join(format!("{}-secrets.env", a.name))),
        if a.cert.is_some() {
            String::new()
        } else {
            format!("`empseal cert fetch --env {}`, ", a.name)
        },
        a.name
    );
    Ok(0)
}

/// `empseal rollout`.
#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    /// The environment whose rollout patch to rewrite.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Say which files would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Repository root.
    #[command(flatten)]
    pub root: RootArgs,
}

/// Runs `empseal rollout`: the env's rollout patch for its sealed files as they
/// are (`seal`, `rotate` and `rollback` keep it up to date themselves).
pub fn rollout(a: RolloutArgs) -> Result<i32> {
    let ws = workspace(a.root.root.as_deref())?;
    say_kustomize(&ws);
    let env = ws.env(&a.env)?;
    if !env.rollout {
        say!(
            "env {}: rollout: false in empseal.yaml; its workloads are rolled out by hand",
            env.name
        );
        return Ok(0);
    }
    let lock = overlay::lock_env(&ws, &env)?;
    let mut plan = WritePlan::new();
    plan.confine(&ws.root);
    empseal_env::rollout::plan_env_rollout(
        &ws,
        &env,
        &mut empseal_env::target::OverlayRender::new(),
        &mut plan,
    )?;
    plan.hold(lock);
    if a.dry_run {
        print_plan(&plan);
        return Ok(0);
    }
    let files = plan.files();
    plan.apply()?;
    if files.is_empty() {
        say!("env {}: the rollout patch is up to date", env.name);
    }
    for (file, change) in files {
        say!("  {:<9} {file}", format!("{}:", change.as_str()));
    }
    Ok(0)
}
