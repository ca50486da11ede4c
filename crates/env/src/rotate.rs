//! `empseal rotate`: new values for some keys of an environment (generated, or as
//! edited in the env file), then only those keys resealed.

use std::collections::{BTreeMap, BTreeSet};

use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::env_file::{env_file_warnings, parse_env_values};
use crate::error::{Error, Result};
use crate::fsio::Sensitivity;
use crate::lock::lock_env;
use crate::plan::WritePlan;
use crate::seal::{
    chosen_secrets, not_sealed, prepare_seal, refuse_example_values, seal_prepared, Reseal,
    SealOutcome,
};
use crate::secrets::{select_secrets, EnvSecret};
use crate::state::State;
use crate::target::OverlayRender;
use crate::workspace::{Env, Workspace};
use kubeseal_core::secret::SecretBytes;

/// Default length of generated credentials.
pub const DEFAULT_GENERATED_LENGTH: usize = 32;
/// The alphabet of generated credentials: safe unquoted in env files, shells and URLs.
pub const GENERATED_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A newly generated credential (`--generate`): `len` characters drawn uniformly
/// from [`GENERATED_ALPHABET`] (6 bits of entropy each).
pub fn generate_value<R: RngCore + CryptoRng + ?Sized>(rng: &mut R, len: usize) -> SecretBytes {
    let mut raw = Zeroizing::new(vec![0u8; len]);
    rng.fill_bytes(&mut raw);
    Zeroizing::new(
        raw.iter()
            .map(|b| GENERATED_ALPHABET[usize::from(b & 63)])
            .collect(),
    )
}

/// Returns `original` env-file bytes with the values of the keys in `new`
/// replaced, every other byte (comments, blank lines, other keys, line endings,
/// a BOM) kept as it was. Errors name the file and line.
pub fn replace_env_values(
    shown: &str,
    original: &[u8],
    new: &BTreeMap<String, SecretBytes>,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(original.len() + 64 * new.len()));
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut rest = original;
    let mut line_no = 0usize;
    while !rest.is_empty() {
        line_no += 1;
        let (line, term, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let (l, t) = if i > 0 && rest[i - 1] == b'\r' {
                    (&rest[..i - 1], &rest[i - 1..=i])
                } else {
                    (&rest[..i], &rest[i..=i])
                };
                (l, t, &rest[i + 1..])
            }
            None => (rest, &b""[..], &b""[..]),
        };
        rest = next;
        let mut body = line;
        let mut prefix_len = 0;
        if line_no == 1 && body.starts_with(b"\xEF\xBB\xBF") {
            body = &body[3..];
            prefix_len = 3;
        }
        let lead = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(body.len());
        let trimmed = &body[lead..];
        prefix_len += lead;
        let key_end = trimmed.iter().position(|&b| b == b'=');
        let key = match key_end {
            Some(i) => &trimmed[..i],
            None => trimmed,
        };
        let key_str = std::str::from_utf8(key).unwrap_or("");
        let hit =
            !trimmed.is_empty() && trimmed[0] != b'#' && new.keys().any(|k| k.as_bytes() == key);
        if !hit {
            out.extend_from_slice(line);
            out.extend_from_slice(term);
            continue;
        }
        let Some(eq) = key_end else {
            return Err(Error::input(format!(
                "{shown}:{line_no}: {key_str} takes its value from the process environment (no '='); write KEY=VALUE there to rotate it"
            )));
        };
        if !seen.insert(
            new.keys()
                .find(|k| k.as_bytes() == key)
                .expect("hit")
                .as_str(),
        ) {
            return Err(Error::input(format!(
                "{shown}:{line_no}: {key_str} appears twice; remove one of the lines"
            )));
        }
        let value = &new[key_str];
        if value.iter().any(|&b| b == b'\n' || b == b'\r') {
            return Err(Error::input(format!(
                "{shown}:{line_no}: the new value of {key_str} contains a line break; env files hold one line per value"
            )));
        }
        out.extend_from_slice(&line[..prefix_len + eq + 1]);
        out.extend_from_slice(value);
        out.extend_from_slice(term);
    }
    for k in new.keys() {
        if !seen.contains(k.as_str()) {
            return Err(Error::input(format!(
                "{shown}: has no line {k}=...; add the key first"
            )));
        }
    }
    Ok(out)
}

/// A secret's plaintext values, by key.
type Values = Vec<(String, SecretBytes)>;

/// What `rotate` did to one secret (keys only, never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateOutcome {
    /// The keys rotated.
    pub rotated: Vec<String>,
    /// Keys asked for whose env-file value is the one already sealed: their
    /// ciphertext was kept.
    pub unchanged: Vec<String>,
    /// Whether new values were generated and written to the env file.
    pub generated: bool,
    /// The env file (else the secret's first source file), relative to the root.
    pub env_file: String,
    /// The sealing run's outcome.
    pub seal: SealOutcome,
}

/// How to rotate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateOptions {
    /// Keys to rotate; empty = every key of the chosen secrets' sources.
    pub keys: Vec<String>,
    /// Generate new values (else take them from the env file as edited).
    pub generate: bool,
    /// Length of generated values.
    pub length: usize,
    /// Rotate only in the secret of this rendered name (`--secret NAME`).
    pub secret: Option<String>,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            keys: Vec::new(),
            generate: false,
            length: DEFAULT_GENERATED_LENGTH,
            secret: None,
        }
    }
}

/// `empseal rotate --env E [--secret NAME] [--key K]... [--generate [--length N]]`:
/// new values (generated, written to the env file atomically with mode 0600, or
/// as edited there), then only those keys resealed. One outcome per secret.
pub fn rotate<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    opts: &RotateOptions,
    rng: &mut R,
    now: i64,
) -> Result<Vec<RotateOutcome>> {
    let (out, plan) = plan_rotate(ws, env_name, opts, rng, now)?;
    plan.apply()?;
    Ok(out)
}

/// [`rotate`] without writing: the outcomes and the writes it would make (per
/// secret: the env file first when values are generated, then the sealed file,
/// record and state). `rotate --dry-run` describes it.
///
/// With several secrets and no `--secret`, each `--key` must be in exactly one
/// secret's sources; without `--key`, every key of every secret is rotated.
pub fn plan_rotate<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env_name: &str,
    opts: &RotateOptions,
    rng: &mut R,
    now: i64,
) -> Result<(Vec<RotateOutcome>, WritePlan)> {
    let env = ws.env(env_name)?;
    if !env.is_sealed() {
        return Err(not_sealed(ws, &env));
    }
    if opts.generate && !(8..=4096).contains(&opts.length) {
        return Err(Error::input(format!(
            "--length {} is out of range; use 8 to 4096 characters",
            opts.length
        )));
    }
    let lock = lock_env(ws, &env)?;
    let mut render = OverlayRender::new();
    let chosen = chosen_secrets(ws, &env, opts.secret.as_deref(), &mut render)?;
    let mut jobs: Vec<(EnvSecret, Values, Vec<String>)> = Vec::new();
    if chosen.len() == 1 {
        let secret = chosen.into_iter().next().expect("one secret");
        let values = secret.read_values(ws, false)?;
        jobs.push((secret, values, opts.keys.clone()));
    } else if opts.keys.is_empty() {
        for secret in chosen {
            let values = secret.read_values(ws, false)?;
            jobs.push((secret, values, Vec::new()));
        }
    } else {
        let named = select_secrets(ws, &env, None, &mut render)?;
        let mut all: Vec<(EnvSecret, String, Values)> = Vec::new();
        for (secret, target) in named {
            let values = secret.read_values(ws, false)?;
            all.push((secret, target.name, values));
        }
        let mut wanted: Vec<Vec<String>> = vec![Vec::new(); all.len()];
        for k in &opts.keys {
            let holders: Vec<usize> = (0..all.len())
                .filter(|i| all[*i].2.iter().any(|(key, _)| key == k))
                .collect();
            match holders.as_slice() {
                [i] => wanted[*i].push(k.clone()),
                [] => {
                    return Err(Error::input(format!(
                        "env {}: no secret holds key {k}; its secrets: {}",
                        env.name,
                        all.iter()
                            .map(|(_, n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
                many => {
                    return Err(Error::input(format!(
                        "env {}: key {k} is in secrets {}; choose one with --secret NAME",
                        env.name,
                        many.iter()
                            .map(|i| all[*i].1.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
        for ((secret, _, values), keys) in all.into_iter().zip(wanted) {
            if !keys.is_empty() {
                jobs.push((secret, values, keys));
            }
        }
    }
    let mut plan = WritePlan::new();
    plan.confine(&ws.root);
    let mut outs = Vec::new();
    for (secret, values, keys) in jobs {
        let (out, p) =
            plan_rotate_secret(ws, &env, &secret, values, keys, opts, &mut render, rng, now)?;
        plan.extend(p);
        outs.push(out);
    }
    crate::rollout::plan_env_rollout(ws, &env, &mut render, &mut plan)?;
    // Held until the plan is applied: reads and writes are one critical section.
    plan.hold(lock);
    Ok((outs, plan))
}

/// The rotation of `keys` (empty: all) of one secret whose current values are `values`.
#[allow(clippy::too_many_arguments)]
fn plan_rotate_secret<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    mut values: Vec<(String, SecretBytes)>,
    keys: Vec<String>,
    opts: &RotateOptions,
    render: &mut OverlayRender,
    rng: &mut R,
    now: i64,
) -> Result<(RotateOutcome, WritePlan)> {
    let shown = secret.sources_shown(ws);
    let all_keys: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();
    let mut keys: Vec<String> = if keys.is_empty() {
        all_keys.clone()
    } else {
        keys
    };
    keys.sort();
    keys.dedup();
    for k in &keys {
        if !all_keys.contains(k) {
            return Err(Error::input(format!(
                "{shown}: has no key {k}; known keys: {}",
                all_keys.join(", ")
            )));
        }
    }
    // Everything that can fail before writing is checked first.
    let ctx = prepare_seal(ws, env, secret, now, render)?;
    let mut plan = WritePlan::new();
    plan.confine(&ws.root);
    let mut unchanged: Vec<String> = Vec::new();
    if opts.generate {
        if let Some(k) = keys.iter().find(|k| secret.files.contains_key(*k)) {
            return Err(Error::input(format!(
                "{}: holds the value of {k}, and empseal never writes files: sources; put the new value there and run rotate without --generate",
                ws.display(&secret.files[k])
            )));
        }
        let env_file = secret.env_file.clone().unwrap_or_default();
        plan.cleanup(&[env_file.parent()]);
        let original =
            Zeroizing::new(std::fs::read(&env_file).map_err(|e| Error::io(shown.clone(), e))?);
        let mut new: BTreeMap<String, SecretBytes> = BTreeMap::new();
        for k in &keys {
            new.insert(k.clone(), generate_value(rng, opts.length));
        }
        let bytes = replace_env_values(&shown, &original, &new)?;
        // Re-read through the real parser so the file is what kubectl will read.
        let check = parse_env_values(&bytes, &shown)?;
        for (k, v) in &check {
            if let Some(n) = new.get(k) {
                if n.as_slice() != v.as_slice() {
                    return Err(Error::input(format!(
                        "{shown}: the rewritten line of {k} does not read back as written; edit it by hand"
                    )));
                }
            }
        }
        plan.write_through(&env_file, shown.clone(), &bytes, Sensitivity::Secret);
        for (k, v) in check {
            match values.iter_mut().find(|(ek, _)| *ek == k) {
                Some(slot) => slot.1 = v,
                None => values.push((k, v)),
            }
        }
    } else {
        if let Some(env_file) = &secret.env_file {
            plan.cleanup(&[env_file.parent()]);
        }
        // A value the sources hold already sealed (the local state vouches for
        // it) is unchanged: its ciphertext is kept, and it is not "rotated".
        if let (Some(st), Some(cur)) = (State::load(&secret.state), ctx.current.as_ref()) {
            if ctx.describes_current(&st.cert_fingerprint, &st.sealed_for, &st.sealed_sha256) {
                for (k, v) in &values {
                    if keys.contains(k)
                        && cur.object.encrypted_data.contains_key(k)
                        && st.values.get(k) == Some(&st.mac(v))
                    {
                        unchanged.push(k.clone());
                    }
                }
            }
        }
        keys.retain(|k| !unchanged.contains(k));
        let rotated: Vec<(String, SecretBytes)> = values
            .iter()
            .filter(|(k, _)| keys.contains(k))
            .cloned()
            .collect();
        refuse_example_values(ws, env, secret, &ctx.pinned, &rotated)?;
        if let Some(env_file) = &secret.env_file {
            plan.chmod(env_file, shown.clone(), 0o600);
        }
    }
    let (mut seal, seal_plan) = seal_prepared(
        ws,
        env,
        secret,
        ctx,
        &values,
        Reseal::Keys(keys.clone()),
        rng,
        now,
    )?;
    plan.extend(seal_plan);
    if let Some(env_file) = &secret.env_file {
        seal.warnings.extend(env_file_warnings(ws, env_file));
    }
    Ok((
        RotateOutcome {
            unchanged,
            rotated: keys,
            generated: opts.generate,
            env_file: shown,
            seal,
        },
        plan,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, SecretBytes> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Zeroizing::new(v.as_bytes().to_vec())))
            .collect()
    }

    #[test]
    fn replace_env_values_keeps_every_other_byte() {
        let original =
            b"\xEF\xBB\xBF# comment\r\nA=old a\r\n\n  B=x=y  \nC\n   # B=not this\nD=last";
        let out =
            replace_env_values("f.env", original, &map(&[("B", "NEW"), ("D", "dd")])).unwrap();
        assert_eq!(
            &out[..],
            &b"\xEF\xBB\xBF# comment\r\nA=old a\r\n\n  B=NEW\nC\n   # B=not this\nD=dd"[..]
        );
        let out = replace_env_values("f.env", original, &map(&[("A", "z")])).unwrap();
        assert_eq!(
            &out[..],
            &b"\xEF\xBB\xBF# comment\r\nA=z\r\n\n  B=x=y  \nC\n   # B=not this\nD=last"[..]
        );
    }

    #[test]
    fn replace_env_values_errors_name_file_and_line() {
        let e = replace_env_values("f.env", b"A=1\nC\n", &map(&[("C", "x")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.env:2: C takes its value from the process environment (no '='); write KEY=VALUE there to rotate it"
        );
        let e = replace_env_values("f.env", b"A=1\n", &map(&[("Z", "x")])).unwrap_err();
        assert!(e.to_string().starts_with("f.env: has no line Z=..."), "{e}");
        let e = replace_env_values("f.env", b"A=1\nA=2\n", &map(&[("A", "x")])).unwrap_err();
        assert!(e.to_string().starts_with("f.env:2: A appears twice"), "{e}");
        // The value never appears in an error.
        let e = replace_env_values("f.env", b"A=1\n", &map(&[("A", "se\ncret")])).unwrap_err();
        assert!(!e.to_string().contains("se"), "{e}");
    }

    #[test]
    fn generated_values_use_the_safe_alphabet_uniformly() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let v = generate_value(&mut rng, 64_000);
        assert_eq!(v.len(), 64_000);
        let mut counts = [0usize; 256];
        for b in v.iter() {
            assert!(GENERATED_ALPHABET.contains(b));
            counts[*b as usize] += 1;
        }
        // 1000 expected per symbol; all 64 symbols appear, none wildly off.
        for c in GENERATED_ALPHABET {
            let n = counts[*c as usize];
            assert!(
                (800..1200).contains(&n),
                "{} appeared {n} times",
                *c as char
            );
        }
        let mut rng2 = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        assert_eq!(
            generate_value(&mut rng2, 64_000),
            v,
            "same seed, same value"
        );
    }
}
