//! `empseal seal --env` (and `adopt`): an environment's env file sealed with its
//! pinned certificate for the SealedSecret's rendered identity, keeping the
//! ciphertext of unchanged values; planned first ([`plan_seal_env`]), then
//! applied. `rotate` reuses the same steps ([`prepare_seal`], then the plan).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rand::{CryptoRng, RngCore};

use crate::env_file::env_file_warnings;
use crate::error::{Error, Result};
use crate::fsio::{self, Sensitivity};
use crate::lock::lock_env;
use crate::pin::{require_pin, PinnedCert};
use crate::plan::WritePlan;
use crate::record::{
    read_record_file, record_file_differs, record_sealed_path, sha256_hex, Record,
};
use crate::sealed_file::{
    base_object, emit_sealed, is_placeholder, read_current_sealed, style_of, CurrentSealed,
};
use crate::secrets::{select_secrets, EnvSecret};
use crate::state::{read_rollback_marker, rollback_marker, State};
use crate::target::{resolve_target, OverlayRender, Target};
use crate::workspace::{Env, Workspace, SEALED_SECRET_FILE};
use kubeseal_core::secret::{SealedSecret, SecretBytes};

/// Which keys a sealing run encrypts anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reseal {
    /// Keys whose value changed since the last seal (per the local state); every
    /// key when the state is missing or was made for another certificate, target
    /// or file. Keys no longer in the env file are removed.
    Changed,
    /// Every key (`seal --env E --all`).
    All,
    /// Exactly these keys (`rotate`); the others keep their ciphertext and stay
    /// even if the env file no longer has them.
    Keys(Vec<String>),
}

/// What a sealing run did (never any value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealOutcome {
    /// The environment.
    pub env: String,
    /// The SealedSecret file written, relative to the root.
    pub file: String,
    /// The record file written, relative to the root.
    pub record: String,
    /// Fingerprint of the pinned certificate used.
    pub fingerprint: String,
    /// Whether the pinned certificate is demo material (test keys in testdata/:
    /// flagged in pin.yaml or known by its fingerprint, [`crate::pin::Pin::is_demo`]).
    pub demo_cert: bool,
    /// What the values are sealed for.
    pub target: Target,
    /// Every key in the written file.
    pub keys: Vec<String>,
    /// Keys encrypted anew by this run.
    pub resealed: Vec<String>,
    /// Of `resealed`, the keys the file did not have before.
    pub added: Vec<String>,
    /// Keys whose ciphertext was kept byte for byte.
    pub kept: Vec<String>,
    /// Keys removed from the file (no longer in the env file).
    pub removed: Vec<String>,
    /// Keys in the env file left unsealed (rotate of other keys only).
    pub unsealed: Vec<String>,
    /// Why every key was resealed, when that happened without being asked.
    pub reseal_all_reason: Option<String>,
    /// Whether the file's bytes changed.
    pub changed: bool,
    /// Problems worth telling the operator (e.g. plaintext files git does not ignore).
    pub warnings: Vec<String>,
}

/// `empseal seal --env E [--all]`: seals each of the env's secrets from its
/// sources with the pinned certificate for the SealedSecret's rendered name and
/// namespace, keeping the ciphertext of unchanged values, and writes the sealed
/// files, the records and the local states. One outcome per secret.
pub fn seal_env<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    reseal_all: bool,
    rng: &mut R,
    now: i64,
) -> Result<Vec<SealOutcome>> {
    seal_env_guarded(ws, env_name, reseal_all, &SealGuards::default(), rng, now)
}

/// What `seal --env` refuses unless told otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealGuards {
    /// Keys that rendered workloads reference but may be missing
    /// (`--allow-missing KEY`).
    pub allow_missing: Vec<String>,
    /// Reseal over a sealed file restored by `rollback` (`--overwrite-rollback`).
    pub overwrite_rollback: bool,
    /// Seal only the secret of this rendered name (`--secret NAME`).
    pub secret: Option<String>,
}

/// Keys the rendered overlay's workloads need from the env's SealedSecret
/// (named `secret`) that `have` lacks, minus `allowed`.
pub fn missing_required_keys(
    rendered: &[u8],
    example: &[String],
    secret: &str,
    have: &BTreeSet<String>,
    allowed: &[String],
) -> Vec<String> {
    missing_keys_of(
        crate::gate::referenced_keys(rendered, example),
        secret,
        have,
        allowed,
    )
}

/// Of the key references `refs`, the keys of `secret` that `have` lacks, minus
/// `allowed`, sorted.
fn missing_keys_of(
    refs: Vec<crate::gate::KeyRef>,
    secret: &str,
    have: &BTreeSet<String>,
    allowed: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = refs
        .into_iter()
        .filter(|r| r.secret == secret && !have.contains(&r.key) && !allowed.contains(&r.key))
        .map(|r| r.key)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// [`seal_env`] with explicit [`SealGuards`]: refuses (nothing written) when the
/// sealed file was restored by `rollback` (unless `overwrite_rollback`), when a
/// key that rendered workloads reference is not in the env file (unless
/// allowed), and, for a non-demo pin, values equal to the committed example's.
pub fn seal_env_guarded<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    reseal_all: bool,
    guards: &SealGuards,
    rng: &mut R,
    now: i64,
) -> Result<Vec<SealOutcome>> {
    let (out, plan) = plan_seal_env(ws, env_name, reseal_all, guards, rng, now)?;
    plan.apply()?;
    Ok(out)
}

/// [`seal_env_guarded`] without writing: what it would do and the writes it
/// would make, with the same refusals (`seal --env E --dry-run` describes the
/// plan; `seal_env_guarded` applies it).
pub fn plan_seal_env<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    reseal_all: bool,
    guards: &SealGuards,
    rng: &mut R,
    now: i64,
) -> Result<(Vec<SealOutcome>, WritePlan)> {
    let env = ws.env(env_name)?;
    if !env.is_sealed() {
        return Err(not_sealed(ws, &env));
    }
    let lock = lock_env(ws, &env)?;
    let mut render = OverlayRender::new();
    let chosen = chosen_secrets(ws, &env, guards.secret.as_deref(), &mut render)?;
    let mode = if reseal_all {
        Reseal::All
    } else {
        Reseal::Changed
    };
    let mut plan = WritePlan::new();
    plan.confine(&ws.root);
    let mut outs = Vec::new();
    for secret in &chosen {
        let values = secret.read_values(ws, false)?;
        let sealed_path = secret.sealed_secret.clone().unwrap_or_default();
        if let Some((rev, sha)) = read_rollback_marker(secret) {
            let current = std::fs::read(&sealed_path).map(|b| sha256_hex(&b)).ok();
            if current.as_deref() == Some(sha.as_str()) && !guards.overwrite_rollback {
                return Err(Error::Git(format!(
                    "{}: was restored from {rev} by `empseal rollback`, and the values in {} are not the ones sealed there (sealing would undo the rollback); nothing was written. Keep the rollback (commit it), or re-run with --overwrite-rollback to seal the env file's values",
                    ws.display(&sealed_path),
                    secret.sources_shown(ws)
                )));
            }
        }
        check_seal_inputs(
            ws,
            &env,
            secret,
            &values,
            &guards.allow_missing,
            now,
            &mut render,
        )?;
        let ctx = prepare_seal(ws, &env, secret, now, &mut render)?;
        let (mut out, secret_plan) =
            seal_prepared(ws, &env, secret, ctx, &values, mode.clone(), rng, now)?;
        plan.extend(secret_plan);
        // Sealing settles a rollback: its marker goes.
        plan.remove(
            &rollback_marker(secret),
            ws.display(&rollback_marker(secret)),
        );
        if let Some(e) = &secret.env_file {
            out.warnings.extend(env_file_warnings(ws, e));
        }
        outs.push(out);
    }
    crate::rollout::plan_env_rollout(ws, &env, &mut render, &mut plan)?;
    // Held until the plan is applied: reads and writes are one critical section.
    plan.hold(lock);
    Ok((outs, plan))
}

/// The sealed secrets of `env` a command works on: all of them, or the one
/// whose rendered name is `name` (the overlay is then rendered, once).
pub(crate) fn chosen_secrets(
    ws: &Workspace,
    env: &Env,
    name: Option<&str>,
    render: &mut OverlayRender,
) -> Result<Vec<EnvSecret>> {
    Ok(match name {
        None => env
            .secrets
            .iter()
            .filter(|s| s.sealed_secret.is_some())
            .cloned()
            .collect(),
        Some(n) => select_secrets(ws, env, Some(n), render)?
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
    })
}

/// `empseal adopt --env E`: records the sealed file as it is now, as sealed with
/// the env's pinned certificate. Offline nobody can verify that (OAEP hides the
/// key): the caller vouches for it, and the record says so in `resealed: []`.
/// Removes the local seal state (it described other bytes). Returns the record.
/// One record per secret (or only the one named `secret`).
pub fn adopt(
    ws: &Workspace,
    env_name: &str,
    secret: Option<&str>,
    now: i64,
) -> Result<Vec<(EnvSecret, Record)>> {
    let env = ws.env(env_name)?;
    if !env.is_sealed() {
        return Err(not_sealed(ws, &env));
    }
    let _lock = lock_env(ws, &env)?;
    let (pinned, _) = require_pin(&env.pin_files(ws), now)?;
    let mut render = OverlayRender::new();
    let chosen = chosen_secrets(ws, &env, secret, &mut render)?;
    let mut records = Vec::new();
    for s in &chosen {
        let path = s.sealed_secret.clone().unwrap_or_default();
        let Some(current) = read_current_sealed(ws, &path)? else {
            return Err(Error::input(format!(
                "{}: does not exist; nothing to adopt (seal it with `empseal seal --env {}`)",
                ws.display(&path),
                env.name
            )));
        };
        let target = resolve_target(ws, &env, s, Some(&current.object), &mut render)?;
        let record = Record {
            env: env.name.clone(),
            sealed_secret: record_sealed_path(&env, s, &path),
            cert_fingerprint: pinned.fingerprint().to_string(),
            sealed_for: target,
            sealed_at: kubeseal_core::cert::rfc3339(now),
            sealed_sha256: sha256_hex(&current.bytes),
            keys: current.object.encrypted_data.keys().cloned().collect(),
            resealed: Vec::new(),
        };
        records.push((s.clone(), record));
    }
    for (s, _) in &records {
        fsio::ensure_inside(&s.record, &ws.display(&s.record), &ws.root)?;
    }
    for (s, record) in &records {
        ensure_parent(ws, &s.record)?;
        fsio::write_atomic(&s.record, &record.to_bytes(), Sensitivity::Public)?;
        match std::fs::remove_file(&s.state) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(ws.display(&s.state), e)),
        }
        let _ = std::fs::remove_file(rollback_marker(s));
    }
    Ok(records)
}

/// The refusals shared by `seal --env` and `rotate`: referenced keys missing
/// from `values` (unless in `allow_missing`), and, unless the pin is demo
/// material, values equal to the committed example's (named by key only).
#[allow(clippy::too_many_arguments)]
pub fn check_seal_inputs(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    values: &[(String, SecretBytes)],
    allow_missing: &[String],
    now: i64,
    render: &mut OverlayRender,
) -> Result<()> {
    // The pin's own errors first (missing, replaced, expired: exit 4).
    let (pinned, _) = require_pin(&env.pin_files(ws), now)?;
    let have: BTreeSet<String> = values.iter().map(|(k, _)| k.clone()).collect();
    let shown = ws.display(&env.dir);
    let refs = render.referenced_keys(ws, env, &secret.example_keys())?;
    let current = match &secret.sealed_secret {
        Some(p) => read_current_sealed(ws, p)?,
        None => None,
    };
    let target = resolve_target(ws, env, secret, current.as_ref().map(|c| &c.object), render)?;
    let missing = missing_keys_of(refs, &target.name, &have, allow_missing);
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "{}: has no {}, which workloads in {shown} reference from secret {} (pods would not start); nothing was sealed. Add {} to the env file, or re-run with --allow-missing {} if the reference is going away",
            secret.sources_shown(ws),
            missing.join(", "),
            target.name,
            if missing.len() == 1 { "it" } else { "them" },
            missing.join(" --allow-missing ")
        )));
    }
    refuse_example_values(ws, env, secret, &pinned, values)
}

/// Refuses (exit 3, keys named, never values) values equal to the committed
/// example's, unless `pinned` is demo material (the explicit demo path).
pub(crate) fn refuse_example_values(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    pinned: &PinnedCert,
    values: &[(String, SecretBytes)],
) -> Result<()> {
    if !pinned.is_demo() {
        let example_values = secret.example_values(ws)?;
        let same: Vec<String> = values
            .iter()
            .filter(|(k, v)| {
                !v.is_empty()
                    && example_values
                        .iter()
                        .any(|(ek, ev)| ek == k && ev.as_slice() == v.as_slice())
            })
            .map(|(k, _)| k.clone())
            .collect();
        if !same.is_empty() {
            // Where each refused value's example is: a `files:` key's own
            // PATH.example, else the example env file.
            let mut examples: Vec<String> = Vec::new();
            for k in &same {
                let example = match secret.files.get(k) {
                    Some(p) => Some(ws.display(&crate::secrets::example_of(p))),
                    None => secret
                        .example_env_file
                        .as_deref()
                        .filter(|e| e.exists())
                        .map(|e| ws.display(e)),
                };
                if let Some(e) = example.filter(|e| !examples.contains(e)) {
                    examples.push(e);
                }
            }
            // `rotate --generate` writes env files only, never a `files:` source.
            let in_env_file = same.iter().all(|k| !secret.files.contains_key(k));
            return Err(Error::input(format!(
                "{}: {} still {} the example value from {}; nothing was sealed. Put the real credentials there{}",
                secret.sources_shown(ws),
                same.join(", "),
                if same.len() == 1 { "has" } else { "have" },
                if examples.is_empty() {
                    "the committed .example files".into()
                } else {
                    examples.join(", ")
                },
                if in_env_file {
                    format!(" (or `empseal rotate --env {} --generate --key KEY`)", env.name)
                } else {
                    String::new()
                }
            )));
        }
    }
    Ok(())
}

/// Seals `values` into `env`'s sealed file per `mode`; writes the file (kubeseal
/// bytes, same format/layout as before), then the record, then the local state,
/// each atomically.
pub fn seal_values<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    values: &[(String, SecretBytes)],
    mode: Reseal,
    rng: &mut R,
    now: i64,
) -> Result<SealOutcome> {
    let ctx = prepare_seal(ws, env, secret, now, &mut OverlayRender::new())?;
    let (out, plan) = seal_prepared(ws, env, secret, ctx, values, mode, rng, now)?;
    plan.apply()?;
    Ok(out)
}

/// Everything a sealing run needs that can fail before anything is written:
/// the pinned certificate, the current file, the rendered target.
pub struct SealContext {
    /// The sealed file.
    pub(crate) path: PathBuf,
    /// The pinned certificate's pin.
    pub(crate) pinned: PinnedCert,
    /// The pinned certificate.
    pub(crate) cert: kubeseal_core::cert::Certificate,
    /// The sealed file as it is now, if it exists.
    pub(crate) current: Option<CurrentSealed>,
    /// What the values are sealed for.
    pub(crate) target: Target,
    /// The Secret type the template carries, when configured.
    pub(crate) type_: Option<String>,
}

/// Checks the pinned certificate, reads the current sealed file and resolves the
/// rendered target (runs kustomize). Writes nothing.
pub fn prepare_seal(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    now: i64,
    render: &mut OverlayRender,
) -> Result<SealContext> {
    let Some(path) = secret.sealed_secret.clone() else {
        return Err(not_sealed(ws, env));
    };
    let (pinned, cert) = require_pin(&env.pin_files(ws), now)?;
    let current = read_current_sealed(ws, &path)?;
    let target = resolve_target(ws, env, secret, current.as_ref().map(|c| &c.object), render)?;
    Ok(SealContext {
        path,
        pinned,
        cert,
        current,
        target,
        type_: secret.type_.clone(),
    })
}

impl SealContext {
    /// Whether a seal made with the certificate `fingerprint`, for `sealed_for`,
    /// that wrote bytes hashing to `sealed_sha256`, describes the current file
    /// under the pinned certificate and for the current target: what a state or
    /// record must show for the file's ciphertext to be kept.
    pub(crate) fn describes_current(
        &self,
        fingerprint: &str,
        sealed_for: &Target,
        sealed_sha256: &str,
    ) -> bool {
        fingerprint == self.pinned.fingerprint()
            && *sealed_for == self.target
            && self
                .current
                .as_ref()
                .is_some_and(|c| sha256_hex(&c.bytes) == sealed_sha256)
    }
}

/// The plan of a sealing run, in named steps: what the last seal left
/// ([`PriorSeal::read`]), the local state's key ([`PriorSeal::fresh_state`]),
/// which keys to encrypt ([`choose_keys`]), the new object ([`seal_object`]),
/// the new state ([`next_state`]), then the writes and the outcome.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal_prepared<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    ctx: SealContext,
    values: &[(String, SecretBytes)],
    mode: Reseal,
    rng: &mut R,
    now: i64,
) -> Result<(SealOutcome, WritePlan)> {
    let shown = ws.display(&ctx.path);
    if values.is_empty() {
        return Err(Error::input(format!(
            "{}: has no keys; add KEY=VALUE lines",
            secret.sources_shown(ws)
        )));
    }
    let mut plan = WritePlan::new();
    plan.confine(&ws.root);
    plan.cleanup(&[
        ctx.path.parent(),
        secret.record.parent(),
        secret.state.parent(),
    ]);

    let value_map: BTreeMap<&str, &SecretBytes> =
        values.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let existing_keys: BTreeSet<String> = ctx
        .current
        .as_ref()
        .map(|c| c.object.encrypted_data.keys().cloned().collect())
        .unwrap_or_default();

    let prior = PriorSeal::read(ws, secret, &ctx)?;
    // Drawn before any value is encrypted: the order a seeded rng is used in.
    let fresh_state = prior.fresh_state(&ctx, rng);
    let choice = choose_keys(ws, secret, &ctx, &prior, &mode, &value_map, &existing_keys)?;
    let object = seal_object(rng, &ctx, &choice, &value_map)?;

    let removed: Vec<String> = existing_keys
        .iter()
        .filter(|k| !object.encrypted_data.contains_key(*k))
        .cloned()
        .collect();
    let unsealed: Vec<String> = value_map
        .keys()
        .filter(|k| !object.encrypted_data.contains_key(**k))
        .map(|k| k.to_string())
        .collect();

    let bytes = emit_sealed(&object, style_of(ctx.current.as_ref()));
    let sha = sha256_hex(&bytes);
    let changed = ctx
        .current
        .as_ref()
        .map(|c| c.bytes != bytes)
        .unwrap_or(true);
    let new_state = next_state(fresh_state, &prior, &choice, &value_map, sha.clone());

    let keys: Vec<String> = object.encrypted_data.keys().cloned().collect();
    let record = Record {
        env: env.name.clone(),
        sealed_secret: record_sealed_path(env, secret, &ctx.path),
        cert_fingerprint: ctx.pinned.fingerprint().to_string(),
        sealed_for: ctx.target.clone(),
        sealed_at: kubeseal_core::cert::rfc3339(now),
        sealed_sha256: sha,
        keys: keys.clone(),
        resealed: choice.reseal.iter().cloned().collect(),
    };

    if changed {
        plan.write(&ctx.path, shown.clone(), &bytes, Sensitivity::Public);
    }
    if changed || record_file_differs(secret, &record) {
        plan.write(
            &secret.record,
            ws.display(&secret.record),
            &record.to_bytes(),
            Sensitivity::Public,
        );
    }
    if prior.state.as_ref() != Some(&new_state) {
        plan.write(
            &secret.state,
            ws.display(&secret.state),
            &new_state.to_bytes(),
            Sensitivity::Secret,
        );
    }

    let KeyChoice {
        reseal,
        keep,
        reason,
    } = choice;
    let added: Vec<String> = reseal
        .iter()
        .filter(|k| !existing_keys.contains(*k))
        .cloned()
        .collect();
    let outcome = SealOutcome {
        env: env.name.clone(),
        file: shown,
        record: ws.display(&secret.record),
        fingerprint: ctx.pinned.fingerprint().to_string(),
        demo_cert: ctx.pinned.is_demo(),
        target: ctx.target,
        keys,
        resealed: reseal.into_iter().collect(),
        added,
        kept: keep
            .into_iter()
            .filter(|k| object.encrypted_data.contains_key(k))
            .collect(),
        removed,
        unsealed,
        reseal_all_reason: reason,
        changed,
        warnings: unignored_plaintext(
            ws,
            &secret
                .env_file
                .iter()
                .chain(secret.files.values())
                .chain([&secret.state])
                .map(PathBuf::as_path)
                .collect::<Vec<_>>(),
        ),
    };
    Ok((outcome, plan))
}

/// What the last seal left (the local state, the committed record) and whether
/// the current file's ciphertext may be kept.
struct PriorSeal {
    /// The local state, when readable.
    state: Option<State>,
    /// The committed record, when readable.
    record: Option<Record>,
    /// The state describes the current file, certificate and target.
    state_valid: bool,
    /// The current file holds placeholders rather than ciphertext.
    has_placeholder: bool,
    /// The state or the record vouches for the current ciphertext, and it
    /// holds no placeholder.
    reusable: bool,
}

impl PriorSeal {
    /// Reads the local state and the record and checks them against `ctx`.
    fn read(ws: &Workspace, secret: &EnvSecret, ctx: &SealContext) -> Result<PriorSeal> {
        let record = read_record_file(ws, secret)?;
        let state = State::load(&secret.state);
        let state_valid = state.as_ref().is_some_and(|s| {
            ctx.describes_current(&s.cert_fingerprint, &s.sealed_for, &s.sealed_sha256)
        });
        let record_valid = record.as_ref().is_some_and(|r| {
            ctx.describes_current(&r.cert_fingerprint, &r.sealed_for, &r.sealed_sha256)
        });
        let has_placeholder = ctx
            .current
            .as_ref()
            .map(|c| c.object.encrypted_data.values().any(|v| is_placeholder(v)))
            .unwrap_or(false);
        Ok(PriorSeal {
            reusable: (state_valid || record_valid) && !has_placeholder,
            state,
            record,
            state_valid,
            has_placeholder,
        })
    }

    /// Why the current ciphertext cannot be kept, for the operator.
    fn why_not(&self, ctx: &SealContext, shown: &str) -> String {
        if ctx.current.is_none() {
            format!("{shown} does not exist yet")
        } else if self.has_placeholder {
            format!("{shown} holds placeholders")
        } else if self.state.is_none() && self.record.is_none() {
            "no local seal state and no seal record".into()
        } else if let Some(s) = &self.state {
            if s.cert_fingerprint != ctx.pinned.fingerprint() {
                format!(
                    "the pinned certificate changed ({} -> {})",
                    s.cert_fingerprint,
                    ctx.pinned.fingerprint()
                )
            } else if s.sealed_for != ctx.target {
                format!("the target changed ({} -> {})", s.sealed_for, ctx.target)
            } else {
                format!("{shown} changed since the last seal (e.g. a checkout or rollback)")
            }
        } else {
            "no local seal state (fresh clone or rollback)".into()
        }
    }

    /// The state this run starts from, with no values yet: a valid state keeps
    /// its HMAC key (a no-op seal then rewrites nothing); otherwise a fresh
    /// random key.
    fn fresh_state<R: RngCore + CryptoRng + ?Sized>(
        &self,
        ctx: &SealContext,
        rng: &mut R,
    ) -> State {
        match &self.state {
            Some(s) if self.state_valid => State {
                values: BTreeMap::new(),
                ..s.clone()
            },
            _ => State::new(rng, ctx.pinned.fingerprint(), &ctx.target),
        }
    }
}

/// Which keys a run encrypts anew and which keep their ciphertext.
struct KeyChoice {
    /// Keys encrypted anew.
    reseal: BTreeSet<String>,
    /// Keys whose ciphertext is kept.
    keep: BTreeSet<String>,
    /// Why every key is resealed, when that was not asked for.
    reason: Option<String>,
}

/// Applies `mode` to the env file's keys (`value_map`) and the file's
/// (`existing_keys`): every key, the changed ones (per a valid local state), or
/// exactly the ones asked for; every key whenever the current ciphertext
/// cannot be kept.
fn choose_keys(
    ws: &Workspace,
    secret: &EnvSecret,
    ctx: &SealContext,
    prior: &PriorSeal,
    mode: &Reseal,
    value_map: &BTreeMap<&str, &SecretBytes>,
    existing_keys: &BTreeSet<String>,
) -> Result<KeyChoice> {
    let shown = ws.display(&ctx.path);
    let mut reseal: BTreeSet<String> = BTreeSet::new();
    let mut keep: BTreeSet<String> = BTreeSet::new();
    let mut reason = None;
    match mode {
        Reseal::All => reseal.extend(value_map.keys().map(|k| k.to_string())),
        Reseal::Changed if !(prior.reusable && prior.state_valid) => {
            reason = Some(prior.why_not(ctx, &shown));
            reseal.extend(value_map.keys().map(|k| k.to_string()));
        }
        Reseal::Changed => {
            let s = prior.state.as_ref().expect("state_valid implies a state");
            for (k, v) in value_map {
                let same = existing_keys.contains(*k)
                    && s.values.get(*k).map(|m| m == &s.mac(v)).unwrap_or(false);
                if same {
                    keep.insert(k.to_string());
                } else {
                    reseal.insert(k.to_string());
                }
            }
        }
        Reseal::Keys(keys) => {
            for k in keys {
                if !value_map.contains_key(k.as_str()) {
                    return Err(Error::input(format!(
                        "{}: has no key {k}; add it there first",
                        secret.sources_shown(ws)
                    )));
                }
            }
            if !prior.reusable {
                reason = Some(prior.why_not(ctx, &shown));
                reseal.extend(value_map.keys().map(|k| k.to_string()));
            } else {
                reseal.extend(keys.iter().cloned());
                keep.extend(
                    existing_keys
                        .iter()
                        .filter(|k| !reseal.contains(*k))
                        .cloned(),
                );
            }
        }
    }
    Ok(KeyChoice {
        reseal,
        keep,
        reason,
    })
}

/// The SealedSecret this run writes: the current object (or a new one) with the
/// target's scope, the kept keys' ciphertext as it was, and the resealed keys
/// encrypted in key order (deterministic for a seeded rng).
fn seal_object<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    ctx: &SealContext,
    choice: &KeyChoice,
    value_map: &BTreeMap<&str, &SecretBytes>,
) -> Result<SealedSecret> {
    let items: Vec<(&str, &[u8])> = choice
        .reseal
        .iter()
        .map(|k| (k.as_str(), value_map[k.as_str()].as_slice()))
        .collect();
    let fresh =
        kubeseal_core::seal::encrypt_items(rng, &ctx.cert.public_key, &ctx.target.label(), &items)?;
    let mut object = base_object(ctx.current.as_ref(), &ctx.target, &ctx.type_);
    let old = std::mem::take(&mut object.encrypted_data);
    for k in &choice.keep {
        if let Some(v) = old.get(k) {
            object.encrypted_data.insert(k.clone(), v.clone());
        }
    }
    for ((k, _), v) in items.iter().zip(fresh) {
        object.encrypted_data.insert(k.to_string(), v);
    }
    Ok(object)
}

/// The local state after this run (`state` from [`PriorSeal::fresh_state`]):
/// fresh MACs for resealed keys; kept keys carry their old MAC when the old
/// state vouches for it (else they are left out: resealed next time).
fn next_state(
    mut state: State,
    prior: &PriorSeal,
    choice: &KeyChoice,
    value_map: &BTreeMap<&str, &SecretBytes>,
    sealed_sha256: String,
) -> State {
    for k in &choice.reseal {
        let mac = state.mac(value_map[k.as_str()]);
        state.values.insert(k.clone(), mac);
    }
    if prior.state_valid {
        // Same key: an old MAC stays valid while the env file has the same value.
        let s = prior.state.as_ref().expect("state_valid implies a state");
        for k in &choice.keep {
            if let (Some(old_mac), Some(v)) = (s.values.get(k), value_map.get(k.as_str())) {
                if &s.mac(v) == old_mac {
                    state.values.insert(k.clone(), old_mac.clone());
                }
            }
        }
    }
    state.sealed_sha256 = sealed_sha256;
    state
}

/// Plaintext-derived files inside the git work tree that git does not ignore
/// (they could be committed by accident), as warnings. Outside a repository: none.
pub fn unignored_plaintext(ws: &Workspace, paths: &[&Path]) -> Vec<String> {
    let Ok(repo) = git2::Repository::discover(&ws.root) else {
        return Vec::new();
    };
    let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Vec::new();
    };
    paths
        .iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&workdir).ok()?;
            match repo.is_path_ignored(rel) {
                Ok(false) => Some(format!(
                    "{} holds plaintext-derived data but git does not ignore it; add it to .gitignore",
                    ws.display(p)
                )),
                _ => None,
            }
        })
        .collect()
}

/// The error of a seal asked of an environment without a SealedSecret file.
pub(crate) fn not_sealed(ws: &Workspace, env: &Env) -> Error {
    Error::input(format!(
        "env {} has no {}: it is not a sealed environment (its Secret comes from {} through a SecretGenerator); nothing to seal",
        env.name,
        ws.display(&env.dir.join(SEALED_SECRET_FILE)),
        env.primary().sources_shown(ws)
    ))
}

/// Creates the directory `path` goes in, if missing.
pub(crate) fn ensure_parent(ws: &Workspace, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(ws.display(dir), e))?;
    }
    Ok(())
}
