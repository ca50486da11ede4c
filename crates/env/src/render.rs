//! `empseal render`: every environment rendered to `out_dir/E.yaml` from a
//! temporary copy of the k8s tree in which each sealed environment is resealed
//! (from its env file, or its committed example with `--demo`); the working
//! tree is never modified.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use kubeseal_core::cert::Certificate;
use kubeseal_core::secret::{SealedSecret, SecretBytes};
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zeroize::Zeroizing;

use crate::env_file::{read_env_file, read_example_env_file};
use crate::error::{Error, Result};
use crate::fsio::{self, Sensitivity, TEMP_PREFIX, TEMP_SUFFIX};
use crate::kustomize::Kustomize;
use crate::paths::lexical;
use crate::pin::require_pin;
use crate::plan::WritePlan;
use crate::rendered::{parse_rendered, verify_rendered};
use crate::seal::ensure_parent;
use crate::sealed_file::{base_object, emit_sealed, read_current_sealed, style_of, CurrentSealed};
use crate::secrets::{example_of, select_secrets, EnvSecret};
use crate::target::{resolve_target, OverlayRender, Target};
use crate::workspace::{kustomization_mentions, Env, Workspace};

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Environments to render (empty = all).
    pub envs: Vec<String>,
    /// Where `E.yaml` files go.
    pub out_dir: PathBuf,
    /// Use the committed example env files (no secrets needed).
    pub demo: bool,
    /// Reseal only this secret (its rendered name) of the one env rendered; the
    /// env's other SealedSecrets render as committed.
    pub secret: Option<String>,
}

/// Progress of a render, reported to the caller (the CLI draws a bar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderEvent {
    /// Rendering starts for this many environments.
    Start(usize),
    /// This environment is being rendered.
    Env(String),
    /// This environment is done.
    Done(String),
}

/// One rendered environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEnv {
    /// The environment.
    pub env: String,
    /// The written file.
    pub path: PathBuf,
    /// The SealedSecrets freshly sealed for it (targets).
    pub sealed: Vec<Target>,
    /// Number of objects in the output.
    pub objects: usize,
    /// SealedSecrets in the output that empseal did not seal (left as they are).
    pub foreign: Vec<String>,
}

/// `empseal render`: copies the k8s tree to a temporary directory, reseals each
/// sealed environment's SealedSecret there (from its env file, or its committed
/// example with `demo`), renders each overlay with kustomize, verifies every
/// SealedSecret is bound to its rendered name and namespace, and writes
/// `out_dir/E.yaml` atomically. The working tree is never modified.
pub fn render<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    opts: &RenderOptions,
    rng: &mut R,
    now: i64,
    progress: &mut dyn FnMut(RenderEvent),
) -> Result<Vec<RenderedEnv>> {
    let (done, plan) = plan_render(ws, opts, rng, now, progress)?;
    plan.apply()?;
    Ok(done)
}

/// [`render`] without touching the output directory: the rendered environments
/// and the writes (`out_dir/E.yaml`) it would make. Nothing is written unless
/// every environment rendered (all or nothing); `render --dry-run` describes it.
pub fn plan_render<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    opts: &RenderOptions,
    rng: &mut R,
    now: i64,
    progress: &mut dyn FnMut(RenderEvent),
) -> Result<(Vec<RenderedEnv>, WritePlan)> {
    plan_render_with(ws, opts, rng, now, progress, Builds::One).map(|(done, plan, _)| (done, plan))
}

/// [`plan_render`] with one or two kustomize builds per sealed environment;
/// also returns how many builds ran.
fn plan_render_with<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    opts: &RenderOptions,
    rng: &mut R,
    now: i64,
    progress: &mut dyn FnMut(RenderEvent),
    builds: Builds,
) -> Result<(Vec<RenderedEnv>, WritePlan, usize)> {
    let names = if opts.envs.is_empty() {
        ws.env_names()?
    } else {
        opts.envs.clone()
    };
    if names.is_empty() {
        return Err(Error::input(format!(
            "{}: no environments found; add overlays with a kustomization.yaml",
            ws.display(&ws.overlays_dir())
        )));
    }
    let mut envs: Vec<Env> = names.iter().map(|n| ws.env(n)).collect::<Result<_>>()?;
    if let Some(name) = &opts.secret {
        let [env] = envs.as_mut_slice() else {
            return Err(Error::usage(
                "--secret narrows one env: give exactly one --env with it",
            ));
        };
        let chosen = select_secrets(ws, env, Some(name), &mut OverlayRender::new())?;
        let keep: Vec<Option<PathBuf>> = chosen.into_iter().map(|(s, _)| s.sealed_secret).collect();
        env.secrets
            .retain(|s| s.sealed_secret.is_none() || keep.contains(&s.sealed_secret));
    }
    let kustomize = ws.kustomize()?;
    // Check inputs before any work: sealed envs need their values, and so do
    // generator envs whose kustomization names their env file.
    for env in &envs {
        for secret in &env.secrets {
            let needed = secret.sealed_secret.is_some()
                || secret
                    .env_file
                    .as_deref()
                    .is_some_and(|e| kustomization_mentions(&env.dir, e));
            if !needed {
                continue;
            }
            if let (Some(env_file), Some(example)) = (&secret.env_file, &secret.example_env_file) {
                let input = if opts.demo { example } else { env_file };
                if !input.is_file() {
                    return Err(Error::input(format!(
                        "{}: missing; {}",
                        ws.display(input),
                        if opts.demo {
                            "commit an example env file for this environment".to_string()
                        } else {
                            format!(
                                "copy {} to it and fill it in, or render with --demo",
                                ws.display(example)
                            )
                        }
                    )));
                }
            }
            for file in secret.files.values() {
                let input = if opts.demo {
                    example_of(file)
                } else {
                    file.clone()
                };
                if !input.is_file() {
                    return Err(Error::input(format!(
                        "{}: missing; {}",
                        ws.display(&input),
                        if opts.demo {
                            "commit an example of this file (PATH.example) for --demo".to_string()
                        } else {
                            "put the secret's file there, or render with --demo".to_string()
                        }
                    )));
                }
            }
        }
    }

    // The temporary copy: the overlays dir's parent (k8s/), at the same relative place.
    let overlays = ws.overlays_dir();
    let tree = overlays.parent().unwrap_or(&ws.root).to_path_buf();
    let tmp = render_temp_dir(&tempfile::env::temp_dir())?;
    let copy_root = tmp.path().join("root");
    let rel_tree = tree.strip_prefix(&ws.root).unwrap_or(Path::new("k8s"));
    copy_tree(ws, &tree, &copy_root.join(rel_tree), opts.demo)?;
    // Every path render writes is inside the copy (or the out dir): files
    // configured outside the root map to `.outside/...` in the copy, so a render
    // (a demo above all) never touches a real env file or sealed file.
    let copy_ws = Workspace {
        root: copy_root.clone(),
        config: ws.config.clone(),
    };

    let ctx = RenderCtx {
        ws,
        copy_ws: &copy_ws,
        kustomize: &kustomize,
        demo: opts.demo,
        now,
        out_dir: render_out_dir(ws, &opts.out_dir),
        stand_in_prefix: stand_in_prefix(rng),
        builds,
        builds_run: AtomicUsize::new(0),
    };
    progress(RenderEvent::Start(envs.len()));
    // Every draw from the caller's rng happens here, in env order, before any
    // thread starts: one ChaCha20 stream per env, so the same seed gives the
    // same bytes however the threads are scheduled.
    let streams: Vec<ChaCha20Rng> = envs
        .iter()
        .map(|_| {
            let mut seed = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(&mut seed[..]);
            ChaCha20Rng::from_seed(*seed)
        })
        .collect();
    // Each env's inputs go into the copy before any kustomize build starts, so
    // no build reads a copy another env is still preparing. An env that fails
    // here is not built, nor is any env after it (its error wins anyway).
    let mut jobs = Vec::new();
    let mut first_failure = None;
    for (index, (env, stream)) in envs.iter().zip(streams).enumerate() {
        match prepare_env(&ctx, env, index, stream) {
            Ok(job) => jobs.push(job),
            Err(e) => {
                first_failure = Some(e);
                break;
            }
        }
    }
    // All or nothing: every environment is rendered (in memory) before the first
    // output file is written; of several failures, the first env's (in order) wins.
    let results = render_in_parallel(&ctx, jobs, progress);
    drop(tmp);
    let mut plan = WritePlan::new();
    plan.confine(&ws.root);
    let mut done = Vec::new();
    for result in results {
        let (r, bytes) = result?;
        // Rendered manifests can hold Secrets' base64 values: 0600, like every
        // file that can hold secret values. Written only once every environment
        // rendered (all or nothing), by `WritePlan::apply`.
        plan.write(&r.path, ws.display(&r.path), &bytes, Sensitivity::Secret);
        done.push(r);
    }
    if let Some(e) = first_failure {
        return Err(e);
    }
    Ok((done, plan, ctx.builds_run.into_inner()))
}

/// One environment rendered: what is reported, and kustomize's output.
type EnvOutput = (RenderedEnv, Zeroizing<Vec<u8>>);

/// How many kustomize builds a sealed environment's render takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builds {
    /// One: the overlay is built with a stand-in value per key, and each
    /// ciphertext replaces its stand-in in kustomize's output when that is
    /// exactly what a build with the ciphertext prints (else [`Builds::Two`]).
    One,
    /// Two: the build with stand-ins locates the SealedSecrets, the sealed files
    /// are written with their ciphertext and the overlay is built again. The
    /// fallback of [`Builds::One`], and the reference the tests compare it with.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "chosen only by the tests; the fallback is reached from One"
        )
    )]
    Two,
}

/// What every environment's render shares.
struct RenderCtx<'a> {
    /// The repository.
    ws: &'a Workspace,
    /// The render's copy of the tree.
    copy_ws: &'a Workspace,
    /// The kustomize that builds the overlays.
    kustomize: &'a Kustomize,
    /// Whether the committed examples are sealed (`--demo`).
    demo: bool,
    /// The clock, for the pinned certificates' validity.
    now: i64,
    /// Where the `E.yaml` files go.
    out_dir: PathBuf,
    /// The start of every stand-in value of this render (random: it occurs
    /// nowhere else).
    stand_in_prefix: String,
    /// One or two builds per sealed environment.
    builds: Builds,
    /// How many kustomize builds ran.
    builds_run: AtomicUsize,
}

impl RenderCtx<'_> {
    /// The place of `p` inside the render's copy.
    fn in_copy(&self, p: &Path) -> PathBuf {
        path_in_copy(&self.ws.root, &self.copy_ws.root, p)
    }

    /// Builds `env`'s overlay in the copy, with errors naming the real paths.
    fn build(&self, env: &Env) -> Result<SecretBytes> {
        self.builds_run.fetch_add(1, Ordering::Relaxed);
        // kustomize's output can hold a Secret's base64 values (a SecretGenerator).
        self.kustomize
            .build(&self.in_copy(&env.dir), &self.ws.display(&env.dir))
            .map_err(|e| self.real_paths(e))
    }

    /// `e` with the copy's paths shown as the repository's.
    fn real_paths(&self, e: Error) -> Error {
        rename_paths(e, &self.copy_ws.root, &self.ws.root)
    }
}

/// The random start of this render's stand-in values: letters and digits only,
/// so each stand-in is a plain YAML string like a ciphertext.
fn stand_in_prefix<R: RngCore + ?Sized>(rng: &mut R) -> String {
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    format!("EmpsealStandIn{}", hex::encode(nonce))
}

/// One environment ready to be built: its inputs are in the copy, each sealed
/// file there holds a stand-in per value.
struct EnvJob<'a> {
    /// The environment.
    env: &'a Env,
    /// Its ChaCha20 stream (drawn from the caller's rng in env order).
    rng: ChaCha20Rng,
    /// Its pinned certificate, when it has sealed secrets.
    cert: Option<Certificate>,
    /// Its sealed secrets, in order.
    secrets: Vec<StandIn<'a>>,
}

/// One sealed secret of an environment as written to the copy for the first
/// build: its object with a stand-in instead of each ciphertext.
struct StandIn<'a> {
    /// The secret.
    secret: &'a EnvSecret,
    /// Its plaintext values, in key order.
    values: Vec<(String, SecretBytes)>,
    /// Its sealed file in the copy.
    copy_file: PathBuf,
    /// The committed sealed file, if any.
    current: Option<CurrentSealed>,
    /// The object written, with the stand-ins as `encryptedData`.
    object: SealedSecret,
    /// The bytes written.
    bytes: Vec<u8>,
}

/// Puts `env`'s inputs into the copy: the chosen generator env files, and each
/// sealed file as the object a seal starts from with a stand-in per value
/// (`{prefix}{env index}{key index}`, each one unique). Draws nothing.
fn prepare_env<'a>(
    ctx: &RenderCtx<'_>,
    env: &'a Env,
    index: usize,
    rng: ChaCha20Rng,
) -> Result<EnvJob<'a>> {
    let ws = ctx.ws;
    for secret in &env.secrets {
        let (Some(env_file), Some(example)) = (&secret.env_file, &secret.example_env_file) else {
            continue;
        };
        let input = if ctx.demo { example } else { env_file };
        // The generator input (dev) in the copy is the chosen input, checked by
        // kubectl's rules first: kustomize's own errors would quote its lines.
        if input.is_file() {
            if ctx.demo {
                read_example_env_file(input, &ws.display(input))?;
            } else if secret.sealed_secret.is_none() {
                read_env_file(input, &ws.display(input))?;
            }
            let bytes =
                Zeroizing::new(std::fs::read(input).map_err(|e| Error::io(ws.display(input), e))?);
            let dest = ctx.in_copy(env_file);
            ensure_parent(ctx.copy_ws, &dest)?;
            fsio::write_atomic(&dest, &bytes, Sensitivity::Secret)?;
        }
    }
    let mut job = EnvJob {
        env,
        rng,
        cert: None,
        secrets: Vec::new(),
    };
    if !env.is_sealed() {
        return Ok(job);
    }
    let copy_env = copy_env(ctx, env);
    let mut key_index = 0usize;
    for secret in env.secrets.iter().filter(|s| s.sealed_secret.is_some()) {
        let values = secret.read_values(ws, ctx.demo)?;
        if values.is_empty() {
            return Err(Error::input(format!(
                "{}: has no keys; add KEY=VALUE lines",
                match (ctx.demo, &secret.example_env_file) {
                    (true, Some(ex)) => ws.display(ex),
                    _ => secret.sources_shown(ws),
                }
            )));
        }
        if job.cert.is_none() {
            job.cert = Some(require_pin(&env.pin_files(ws), ctx.now)?.1);
        }
        let copy_file = ctx.in_copy(secret.sealed_secret.as_deref().unwrap_or(Path::new("")));
        let current = read_current_sealed(ctx.copy_ws, &copy_file)?;
        // The scope the seal will most likely write; a guess checked after the
        // build (a wrong guess costs the second build, never a wrong byte).
        let guess = match &current {
            Some(c) => Target {
                name: c.object.metadata.name.clone(),
                namespace: c.object.metadata.namespace.clone(),
                scope: secret.scope.unwrap_or_else(|| c.object.scope()),
            },
            None => resolve_target(
                ctx.copy_ws,
                &copy_env,
                &copy_secret(secret, &copy_file),
                None,
                &mut OverlayRender::new(),
            )
            .map_err(|e| ctx.real_paths(e))?,
        };
        let mut object = base_object(current.as_ref(), &guess, &secret.type_);
        object.encrypted_data = values
            .iter()
            .map(|(k, _)| {
                key_index += 1;
                let stand_in = format!("{}{index:04}{key_index:06}", ctx.stand_in_prefix);
                (k.clone(), stand_in)
            })
            .collect();
        let bytes = emit_sealed(&object, style_of(current.as_ref()));
        ensure_parent(ctx.copy_ws, &copy_file)?;
        fsio::write_atomic(&copy_file, &bytes, Sensitivity::Public)?;
        job.secrets.push(StandIn {
            secret,
            values,
            copy_file,
            current,
            object,
            bytes,
        });
    }
    Ok(job)
}

/// `env` with its overlay directory in the copy.
fn copy_env(ctx: &RenderCtx<'_>, env: &Env) -> Env {
    let mut copy = env.clone();
    copy.dir = ctx.in_copy(&env.dir);
    copy
}

/// `secret` with its sealed file at `copy_file`.
fn copy_secret(secret: &EnvSecret, copy_file: &Path) -> EnvSecret {
    let mut copy = secret.clone();
    copy.sealed_secret = Some(copy_file.to_path_buf());
    copy
}

/// Renders the prepared environments on threads (one kustomize child each,
/// at most twice as many at once as there are cores), forwarding their
/// progress from this thread. Returns each env's result in the jobs' order.
fn render_in_parallel(
    ctx: &RenderCtx<'_>,
    jobs: Vec<EnvJob<'_>>,
    progress: &mut dyn FnMut(RenderEvent),
) -> Vec<Result<EnvOutput>> {
    let count = jobs.len();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .min(count);
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let mut results: Vec<Option<Result<EnvOutput>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let (events, received) = mpsc::channel();
        let threads: Vec<_> = (0..workers)
            .map(|_| {
                let events = events.clone();
                let queue = &queue;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                        let Some((i, job)) = next else { break };
                        let name = job.env.name.clone();
                        let _ = events.send(RenderEvent::Env(name.clone()));
                        let result = render_env(ctx, job);
                        if result.is_ok() {
                            let _ = events.send(RenderEvent::Done(name));
                        }
                        out.push((i, result));
                    }
                    out
                })
            })
            .collect();
        drop(events);
        for event in received {
            progress(event);
        }
        for thread in threads {
            match thread.join() {
                Ok(out) => {
                    for (i, result) in out {
                        results[i] = Some(result);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// Renders one prepared environment: builds its overlay once with the
/// stand-ins, locates each SealedSecret there (its target), seals its values
/// for it, and puts each ciphertext in place of its stand-in in kustomize's
/// output (or, when that is not provably what a build with the ciphertext
/// prints, writes the sealed files and builds again); then checks the result
/// with [`verify_rendered`].
fn render_env(ctx: &RenderCtx<'_>, job: EnvJob<'_>) -> Result<EnvOutput> {
    let EnvJob {
        env,
        mut rng,
        cert,
        secrets,
    } = job;
    let shown = ctx.ws.display(&env.dir);
    let first = ctx.build(env)?;
    let (mut sealed_targets, mut sealed_values) = (Vec::new(), Vec::new());
    let out = match &cert {
        None => first,
        Some(cert) => {
            let objects = parse_rendered(&shown, &first)?;
            let mut render = OverlayRender::from_rendered(SecretBytes::default(), objects);
            let copy_env = copy_env(ctx, env);
            let mut targets = Vec::new();
            for s in &secrets {
                let target = resolve_target(
                    ctx.copy_ws,
                    &copy_env,
                    &copy_secret(s.secret, &s.copy_file),
                    s.current.as_ref().map(|_| &s.object),
                    &mut render,
                )
                .map_err(|e| ctx.real_paths(e))?;
                targets.push(target);
            }
            // Each ciphertext and the stand-in it replaces; whether the file
            // written for the build is the one a seal writes, stand-ins aside.
            let mut replacements: BTreeMap<&str, String> = BTreeMap::new();
            let mut same_files = ctx.builds == Builds::One;
            let mut objects = Vec::new();
            for (s, target) in secrets.iter().zip(&targets) {
                let items: Vec<(&str, &[u8])> = s
                    .values
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_slice()))
                    .collect();
                let enc = kubeseal_core::seal::encrypt_items(
                    &mut rng,
                    &cert.public_key,
                    &target.label(),
                    &items,
                )?;
                let mut object = base_object(s.current.as_ref(), target, &s.secret.type_);
                object.encrypted_data = s.object.encrypted_data.clone();
                same_files &= emit_sealed(&object, style_of(s.current.as_ref())) == s.bytes;
                object.encrypted_data = items.iter().map(|(k, _)| k.to_string()).zip(enc).collect();
                for (k, stand_in) in &s.object.encrypted_data {
                    replacements.insert(stand_in, object.encrypted_data[k].clone());
                }
                sealed_values.push(object.encrypted_data.clone());
                objects.push((s, object));
            }
            sealed_targets = targets;
            let substituted = if same_files {
                substitute_stand_ins(&first, &ctx.stand_in_prefix, &replacements)
            } else {
                None
            };
            match substituted {
                Some(out) => out,
                None => {
                    for (s, object) in &objects {
                        fsio::write_atomic(
                            &s.copy_file,
                            &emit_sealed(object, style_of(s.current.as_ref())),
                            Sensitivity::Public,
                        )?;
                    }
                    ctx.build(env)?
                }
            }
        }
    };
    if contains(&out, &ctx.stand_in_prefix) {
        return Err(Error::Overlay(format!(
            "{shown}: kustomize renders another environment's sealed file; give each environment its own"
        )));
    }
    let objects = parse_rendered(&shown, &out)?;
    let foreign = verify_rendered(&shown, &objects, &sealed_targets, &sealed_values)?;
    Ok((
        RenderedEnv {
            env: env.name.clone(),
            path: ctx.out_dir.join(format!("{}.yaml", env.name)),
            sealed: sealed_targets,
            objects: objects.len(),
            foreign,
        },
        out,
    ))
}

/// kustomize's output `out` with each stand-in replaced by its ciphertext
/// (`replacements`), when that is exactly what kustomize prints for the
/// ciphertext: every stand-in occurs once, as a whole plain scalar at the end
/// of its line (`key: STAND_IN` then a line break: kustomize neither quotes nor
/// folds such a scalar, long or short, and a ciphertext is such a scalar too).
/// `None` (build again) otherwise: a stand-in missing, repeated (copied by a
/// transformer), quoted, or one this env does not own.
fn substitute_stand_ins(
    out: &[u8],
    prefix: &str,
    replacements: &BTreeMap<&str, String>,
) -> Option<Zeroizing<Vec<u8>>> {
    let text = std::str::from_utf8(out).ok()?;
    let mut result = Zeroizing::new(Vec::with_capacity(
        out.len() + replacements.values().map(String::len).sum::<usize>(),
    ));
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let (before, from) = rest.split_at(at);
        let end = from.find('\n')?;
        let token = &from[..end];
        let replacement = replacements.get(token)?;
        if !before.ends_with(' ') || !seen.insert(token) {
            return None;
        }
        result.extend_from_slice(before.as_bytes());
        result.extend_from_slice(replacement.as_bytes());
        rest = &from[end..];
    }
    result.extend_from_slice(rest.as_bytes());
    (seen.len() == replacements.len()).then_some(result)
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &str) -> bool {
    match std::str::from_utf8(haystack) {
        Ok(text) => text.contains(needle),
        Err(_) => haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes()),
    }
}

/// Where `render` writes: `--out-dir` relative to the repository root (an
/// absolute path as given).
pub fn render_out_dir(ws: &Workspace, out_dir: &Path) -> PathBuf {
    lexical(&ws.root.join(out_dir))
}

/// The place of `p` (a path under `root`, or anywhere) inside the render's copy
/// of the tree at `copy_root`; always inside `copy_root`, never `p` itself.
fn path_in_copy(root: &Path, copy_root: &Path, p: &Path) -> PathBuf {
    let p = lexical(&root.join(p));
    match p.strip_prefix(root) {
        Ok(rel) => copy_root.join(rel),
        Err(_) => copy_root
            .join(".outside")
            .join(p.strip_prefix("/").unwrap_or(&p)),
    }
}

/// `e` with the paths of the render's copy (`from`) shown as the real ones (`to`).
fn rename_paths(e: Error, from: &Path, to: &Path) -> Error {
    let f = from.display().to_string();
    let fix = |s: String| {
        s.replace(&format!("{f}/"), "")
            .replace(&f, &to.display().to_string())
    };
    match e {
        Error::Overlay(s) => Error::Overlay(fix(s)),
        Error::Core(kubeseal_core::Error::Input(s)) => Error::input(fix(s)),
        other => other,
    }
}

/// Prefix of the temporary directory a render copies the k8s tree into (in the
/// system's temporary directory); a killed render leaves one behind.
pub const RENDER_DIR_PREFIX: &str = "empseal-render-";
/// A leftover render directory older than this (seconds) is removed by the next
/// render of the same user. Younger ones may belong to a render that is running.
pub const STALE_RENDER_DIR_AGE_SECS: u64 = 3600;

/// A fresh render directory in `parent`, created 0700: the copy in it holds
/// every env's plaintext env files and `files:` sources, which other local users
/// must not read while kustomize runs (the files keep their own modes, so the
/// directory is what keeps them private). Then removes this user's stale render
/// directories there ([`remove_stale_render_dirs`]), which a Ctrl-C or a kill
/// leaves behind.
fn render_temp_dir(parent: &Path) -> Result<tempfile::TempDir> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempfile::Builder::new()
        .prefix(RENDER_DIR_PREFIX)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    // The directory just created is owned by this process's user.
    let uid = std::fs::metadata(tmp.path())
        .map_err(|e| Error::io(tmp.path(), e))?
        .uid();
    remove_stale_render_dirs(parent, uid);
    Ok(tmp)
}

/// Removes the render directories in `parent` (exactly [`RENDER_DIR_PREFIX`]
/// followed by anything) that are owned by `uid` and older than
/// [`STALE_RENDER_DIR_AGE_SECS`]: what an interrupted render leaves behind. Other
/// users' directories, symlinks and files of that name, and young directories
/// are left alone. Returns how many were removed. Age is measured against the
/// system clock, as in [`fsio::remove_stale_temps`].
fn remove_stale_render_dirs(parent: &Path, uid: u32) -> usize {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name
            .as_encoded_bytes()
            .starts_with(RENDER_DIR_PREFIX.as_bytes())
        {
            continue;
        }
        // Not followed: a link of that name (anyone's, in a shared /tmp) is no
        // directory of ours.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() >= STALE_RENDER_DIR_AGE_SECS);
        if meta.is_dir()
            && meta.uid() == uid
            && old
            && std::fs::remove_dir_all(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Copies a directory tree (regular files and directories; symlinks as their
/// targets), skipping local state and temporary files, and with
/// `skip_env_files` the real (plaintext) `*.env` files.
fn copy_tree(ws: &Workspace, from: &Path, to: &Path, skip_env_files: bool) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| Error::io(ws.display(from), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(ws.display(from), e))?;
        let name = entry.file_name();
        let n = name.to_string_lossy();
        if (n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX))
            || n.ends_with(".state")
            || (skip_env_files && n.ends_with(".env"))
        {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let meta = std::fs::metadata(&src).map_err(|e| Error::io(ws.display(&src), e))?;
        if meta.is_dir() {
            copy_tree(ws, &src, &dst, skip_env_files)?;
        } else if meta.is_file() {
            std::fs::copy(&src, &dst).map_err(|e| Error::io(ws.display(&src), e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stand_ins<'a>(pairs: &[(&'a str, &str)]) -> BTreeMap<&'a str, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn stand_ins_are_replaced_only_when_each_is_a_whole_plain_scalar_once() {
        let r = stand_ins(&[("PfxA01", "AgB+/="), ("PfxA02", "AgC")]);
        let out = b"spec:\n  encryptedData:\n    A: PfxA01\n    B: PfxA02\n";
        assert_eq!(
            substitute_stand_ins(out, "PfxA", &r).unwrap().as_slice(),
            b"spec:\n  encryptedData:\n    A: AgB+/=\n    B: AgC\n"
        );
        // Missing, repeated, quoted, inside a longer scalar, another env's.
        for out in [
            &b"A: PfxA01\n"[..],
            b"A: PfxA01\nB: PfxA02\nC: PfxA02\n",
            b"A: 'PfxA01'\nB: PfxA02\n",
            b"A: xPfxA01\nB: PfxA02\n",
            b"A: PfxA01 x\nB: PfxA02\n",
            b"A: PfxA01\nB: PfxA02\nC: PfxA03\n",
            b"A: PfxA01\nB: PfxA02",
        ] {
            assert!(
                substitute_stand_ins(out, "PfxA", &r).is_none(),
                "{}",
                String::from_utf8_lossy(out)
            );
        }
    }

    /// This repository's own overlays (dev: a generator; paper and prod: sealed,
    /// with rollout patches), rendered with `--demo` from a seeded rng.
    fn render_repo(seed: u64, builds: Builds) -> (Vec<(String, Vec<u8>)>, usize) {
        let ws = Workspace::open(&empseal_testkit::repo_root()).unwrap();
        let out_dir = tempfile::tempdir().unwrap();
        let opts = RenderOptions {
            envs: Vec::new(),
            out_dir: out_dir.path().to_path_buf(),
            demo: true,
            secret: None,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (done, plan, builds_run) =
            plan_render_with(&ws, &opts, &mut rng, now, &mut |_| {}, builds).unwrap();
        let files = done
            .iter()
            .map(|r| (r.env.clone(), plan.planned_bytes(&r.path).unwrap().to_vec()))
            .collect();
        (files, builds_run)
    }

    #[test]
    fn one_build_per_env_prints_the_bytes_of_a_second_build() {
        empseal_testkit::tools::require_tool("kubectl");
        for seed in [1, 2] {
            let (one, one_builds) = render_repo(seed, Builds::One);
            let (two, two_builds) = render_repo(seed, Builds::Two);
            let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["dev", "paper", "prod"]);
            assert_eq!(one_builds, 3, "one build per env");
            assert_eq!(two_builds, 5, "dev once, paper and prod twice");
            for ((env, a), (_, b)) in one.iter().zip(&two) {
                assert!(
                    a == b,
                    "{env}: the one-build render differs from the second build"
                );
                assert!(!contains(a, "EmpsealStandIn"), "{env}");
            }
        }
    }

    #[test]
    fn the_same_seed_renders_the_same_bytes_whatever_the_threads_do() {
        empseal_testkit::tools::require_tool("kubectl");
        let (a, _) = render_repo(7, Builds::One);
        let (b, _) = render_repo(7, Builds::One);
        let (c, _) = render_repo(8, Builds::One);
        assert_eq!(a, b);
        assert_eq!(a[0], c[0], "dev seals nothing");
        assert_ne!(a[1], c[1]);
        assert_ne!(a[2], c[2]);
    }

    /// Sets a file's or directory's mtime `secs` seconds in the past.
    fn age(path: &Path, secs: u64) {
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
        std::fs::File::open(path).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn the_render_directory_is_private_to_its_user() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let tmp = render_temp_dir(parent.path()).unwrap();
        let name = tmp.path().file_name().unwrap().to_string_lossy();
        assert!(name.starts_with(RENDER_DIR_PREFIX), "{name}");
        let mode = std::fs::metadata(tmp.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }

    #[test]
    fn only_this_users_stale_render_directories_are_swept() {
        use std::os::unix::fs::MetadataExt;
        let parent = tempfile::tempdir().unwrap();
        let d = parent.path();
        let old = STALE_RENDER_DIR_AGE_SECS + 60;
        let make_dir = |name: &str, secs: u64| {
            std::fs::create_dir(d.join(name)).unwrap();
            std::fs::write(d.join(name).join("x.env"), b"A=1\n").unwrap();
            age(&d.join(name), secs);
        };
        make_dir("empseal-render-stale", old);
        make_dir("empseal-render-fresh", 0);
        make_dir("empseal-renderXstale", old);
        make_dir("my-empseal-render-stale", old);
        std::fs::write(d.join("empseal-render-file"), b"x").unwrap();
        age(&d.join("empseal-render-file"), old);
        std::os::unix::fs::symlink(
            d.join("empseal-render-stale"),
            d.join("empseal-render-link"),
        )
        .unwrap();
        let uid = std::fs::metadata(d).unwrap().uid();
        // Another user's directory of that name stays (here: the same directory
        // seen by another uid).
        assert_eq!(remove_stale_render_dirs(d, uid.wrapping_add(1)), 0);
        assert!(d.join("empseal-render-stale/x.env").exists());
        // The symlink is not followed (it is no directory), its target is swept.
        assert_eq!(remove_stale_render_dirs(d, uid), 1);
        let mut left: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "empseal-render-file",
                "empseal-render-fresh",
                "empseal-render-link",
                "empseal-renderXstale",
                "my-empseal-render-stale"
            ]
        );
        assert_eq!(remove_stale_render_dirs(d, uid), 0);
    }

    #[test]
    fn a_new_render_directory_sweeps_the_stale_ones_of_its_user() {
        let parent = tempfile::tempdir().unwrap();
        let stale = parent.path().join("empseal-render-killed");
        std::fs::create_dir(&stale).unwrap();
        age(&stale, STALE_RENDER_DIR_AGE_SECS + 60);
        let fresh = parent.path().join("empseal-render-running");
        std::fs::create_dir(&fresh).unwrap();
        let tmp = render_temp_dir(parent.path()).unwrap();
        assert!(!stale.exists() && fresh.exists() && tmp.path().exists());
    }
}
