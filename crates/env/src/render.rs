//! `empseal render`: every environment rendered to `out_dir/E.yaml` from a
//! temporary copy of the k8s tree in which each sealed environment is resealed
//! (from its env file, or its committed example with `--demo`); the working
//! tree is never modified.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::env_file::read_env_file;
use crate::error::{Error, Result};
use crate::fsio::{self, Sensitivity, TEMP_PREFIX, TEMP_SUFFIX};
use crate::paths::lexical;
use crate::pin::require_pin;
use crate::plan::WritePlan;
use crate::rendered::{parse_rendered, verify_rendered};
use crate::seal::ensure_parent;
use crate::sealed_file::{base_object, emit_sealed, read_current_sealed, style_of};
use crate::secrets::example_of;
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
    let envs: Vec<Env> = names.iter().map(|n| ws.env(n)).collect::<Result<_>>()?;
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
    let tmp = tempfile::Builder::new()
        .prefix("empseal-render-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let copy_root = tmp.path().join("root");
    let rel_tree = tree.strip_prefix(&ws.root).unwrap_or(Path::new("k8s"));
    copy_tree(ws, &tree, &copy_root.join(rel_tree), opts.demo)?;
    // Every path render writes is inside the copy (or the out dir): files
    // configured outside the root map to `.outside/...` in the copy, so a render
    // (a demo above all) never touches a real env file or sealed file.
    let in_copy = |p: &Path| -> PathBuf { path_in_copy(&ws.root, &copy_root, p) };
    let copy_ws = Workspace {
        root: copy_root.clone(),
        config: ws.config.clone(),
    };
    let out_dir = render_out_dir(ws, &opts.out_dir);

    let mut plan = WritePlan::new();
    progress(RenderEvent::Start(envs.len()));
    // All or nothing: every environment is rendered (in memory) before the first
    // output file is written.
    let mut rendered: Vec<(RenderedEnv, Zeroizing<Vec<u8>>)> = Vec::new();
    for env in &envs {
        progress(RenderEvent::Env(env.name.clone()));
        let shown = ws.display(&env.dir);
        for secret in &env.secrets {
            let (Some(env_file), Some(example)) = (&secret.env_file, &secret.example_env_file)
            else {
                continue;
            };
            let input = if opts.demo { example } else { env_file };
            // The generator input (dev) in the copy is the chosen input, checked by
            // kubectl's rules first: kustomize's own errors would quote its lines.
            if input.is_file() {
                if secret.sealed_secret.is_none() {
                    read_env_file(input, &ws.display(input))?;
                }
                let bytes = Zeroizing::new(
                    std::fs::read(input).map_err(|e| Error::io(ws.display(input), e))?,
                );
                let dest = in_copy(env_file);
                ensure_parent(&copy_ws, &dest)?;
                fsio::write_atomic(&dest, &bytes, Sensitivity::Secret)?;
            }
        }
        let mut sealed_targets = Vec::new();
        let mut sealed_values: Vec<BTreeMap<String, String>> = Vec::new();
        if env.is_sealed() {
            for (target, encrypted) in reseal_in_copy(ws, &copy_ws, env, opts.demo, rng, now)? {
                sealed_values.push(encrypted);
                sealed_targets.push(target);
            }
        }
        // kustomize's output can hold a Secret's base64 values (a SecretGenerator).
        let out = Zeroizing::new(
            kustomize
                .build(&in_copy(&env.dir), &shown)
                .map_err(|e| rename_paths(e, &copy_root, &ws.root))?,
        );
        let objects = parse_rendered(&shown, &out)?;
        let foreign = verify_rendered(&shown, &objects, &sealed_targets, &sealed_values)?;
        progress(RenderEvent::Done(env.name.clone()));
        rendered.push((
            RenderedEnv {
                env: env.name.clone(),
                path: out_dir.join(format!("{}.yaml", env.name)),
                sealed: sealed_targets,
                objects: objects.len(),
                foreign,
            },
            out,
        ));
    }
    drop(tmp);
    let mut done = Vec::new();
    for (r, bytes) in rendered {
        // Rendered manifests can hold Secrets' base64 values: 0600, like every
        // file that can hold secret values. Written only once every environment
        // rendered (all or nothing), by `WritePlan::apply`.
        plan.write(&r.path, ws.display(&r.path), &bytes, Sensitivity::Secret);
        done.push(r);
    }
    Ok((done, plan))
}

/// Reseals each of `env`'s SealedSecrets inside the render's copy (`copy_ws`)
/// with the values of its sources (their committed examples with `demo`), for
/// the target the copied overlay renders (the copy is rendered once to locate
/// them all), and writes the copy's sealed files. Returns each target and the
/// ciphertext written, by which [`verify_rendered`] recognises the object in
/// kustomize's output.
fn reseal_in_copy<R: RngCore + CryptoRng + ?Sized>(
    ws: &Workspace,
    copy_ws: &Workspace,
    env: &Env,
    demo: bool,
    rng: &mut R,
    now: i64,
) -> Result<Vec<(Target, BTreeMap<String, String>)>> {
    let in_copy = |p: &Path| -> PathBuf { path_in_copy(&ws.root, &copy_ws.root, p) };
    let mut cert = None;
    let mut copy_env = env.clone();
    copy_env.dir = in_copy(&env.dir);
    let mut render = OverlayRender::new();
    // Every secret's values and target first: the copy is rendered once, before
    // any of its sealed files changes.
    let mut planned = Vec::new();
    for secret in env.secrets.iter().filter(|s| s.sealed_secret.is_some()) {
        let values = secret.read_values(ws, demo)?;
        if values.is_empty() {
            return Err(Error::input(format!(
                "{}: has no keys; add KEY=VALUE lines",
                match (demo, &secret.example_env_file) {
                    (true, Some(ex)) => ws.display(ex),
                    _ => secret.sources_shown(ws),
                }
            )));
        }
        if cert.is_none() {
            cert = Some(require_pin(&env.pin_files(ws), now)?.1);
        }
        let copy_file = in_copy(secret.sealed_secret.as_deref().unwrap_or(Path::new("")));
        let current = read_current_sealed(copy_ws, &copy_file)?;
        let mut copy_secret = secret.clone();
        copy_secret.sealed_secret = Some(copy_file.clone());
        let target = resolve_target(
            copy_ws,
            &copy_env,
            &copy_secret,
            current.as_ref().map(|c| &c.object),
            &mut render,
        )
        .map_err(|e| rename_paths(e, &copy_ws.root, &ws.root))?;
        planned.push((secret, values, copy_file, current, target));
    }
    let mut out = Vec::new();
    let Some(cert) = cert else {
        return Ok(out);
    };
    for (secret, values, copy_file, current, target) in planned {
        let items: Vec<(&str, &[u8])> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let enc =
            kubeseal_core::seal::encrypt_items(rng, &cert.public_key, &target.label(), &items)?;
        let mut object = base_object(current.as_ref(), &target);
        if secret.type_.is_some() && object.template.type_ != secret.type_ {
            object.template.type_ = secret.type_.clone();
        }
        object.encrypted_data = items.iter().map(|(k, _)| k.to_string()).zip(enc).collect();
        ensure_parent(copy_ws, &copy_file)?;
        fsio::write_atomic(
            &copy_file,
            &emit_sealed(&object, style_of(current.as_ref())),
            Sensitivity::Public,
        )?;
        out.push((target, object.encrypted_data));
    }
    Ok(out)
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
