//! `empseal check`: placeholder and sealed-secret lint for CI.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::exit::Result;
use empseal_lint::{self as check, CheckOptions, ExpectedKey, Input, OutputFormat, Severity};
use kubeseal_core::cert::Certificate;

use super::io::now;

/// `empseal check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files and directories (YAML/JSON, walked recursively); `-` reads stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also check that every value was sealed for this certificate's key, and its expiry.
    #[arg(long, value_name = "PATH|URL")]
    pub cert: Option<String>,
    /// Check this environment's overlay as kustomize renders it, against its pinned certificate.
    /// Repeatable: each env in turn, under an `env NAME:` heading (text and github formats).
    #[arg(long, value_name = "ENV")]
    pub env: Vec<String>,
    /// Check every sealed environment's overlay, as --env for each.
    #[arg(long = "all-envs")]
    pub all_envs: bool,
    /// With one --env: only this secret's findings (its rendered metadata.name);
    /// findings about the env as a whole (its pin, plaintext Secrets) stay.
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Treat every input as a sealed environment (plaintext Secrets with data are errors).
    #[arg(long = "sealed-only")]
    pub sealed_only: bool,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "github", "sarif"])]
    pub format: String,
    /// Lowest severity that fails the run.
    #[arg(long = "fail-on", default_value = "error", value_parser = ["error", "warning", "note"])]
    pub fail_on: String,
    /// Don't report `*secrets.env` files tracked by git.
    #[arg(long = "no-git")]
    pub no_git: bool,
    /// Don't check files matching this pattern (gitignore syntax, relative to the
    /// current directory; repeatable), e.g. `charts/*/templates/`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Ignore `.empsealignore` files.
    #[arg(long = "no-ignore-file")]
    pub no_ignore_file: bool,
    /// The repository root holding `k8s/overlays/` (with --env; default: found from here).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// `check` draws a progress line from this many files on.
const PROGRESS_FROM_FILES: usize = 200;

fn expected_key(pem: &[u8], origin: &str) -> Result<ExpectedKey> {
    let c = Certificate::from_pem(pem, origin)?;
    // A key `seal` refuses is no reference for `check` either (exit 4).
    c.check_key()?;
    super::out::warn_about(&c, now());
    Ok(ExpectedKey {
        modulus: c.public_key.modulus(),
        not_after: Some(c.not_after),
        origin: origin.to_string(),
    })
}

/// `empseal check`: exit 0 clean, 1 on findings at or above --fail-on; a failure
/// gets the exit code of its kind, as for every command (`error::Error::exit_code`).
/// Several envs (`--env` repeated, `--all-envs`) are checked one by one; the
/// exit code is the first failing env's.
pub fn check(mut a: CheckArgs) -> Result<i32> {
    if a.secret.is_some() && (a.env.len() != 1 || a.all_envs) {
        return Err(crate::cli::exit::Error::Usage(
            "--secret narrows one env: give exactly one --env with it".into(),
        ));
    }
    if a.env.len() <= 1 && !a.all_envs {
        let env = a.env.pop();
        return check_one(a, env);
    }
    if !a.paths.is_empty() {
        return Err(crate::cli::exit::Error::Usage(
            "several --env (or --all-envs) check overlays only; check PATHs in a run of their own"
                .into(),
        ));
    }
    if matches!(a.format.as_str(), "json" | "sarif") {
        return Err(crate::cli::exit::Error::Usage(format!(
            "--format {} makes one report per run; with several envs run `empseal check --env ENV --format {}` once per env",
            a.format, a.format
        )));
    }
    let ws = super::io::workspace(a.root.as_deref())?;
    let names = super::envs::select(
        &ws,
        &a.env,
        a.all_envs,
        super::envs::AllEnvs::SealedOrMarked,
    )?;
    Ok(super::envs::each(&names, |name| {
        check_one(a.clone(), Some(name.to_string()))
    }))
}

/// `empseal check` of the given PATHs and at most one env.
fn check_one(a: CheckArgs, env: Option<String>) -> Result<i32> {
    let checked_env = env.clone();
    let mut opts = CheckOptions::new(now());
    opts.sealed_only = a.sealed_only;
    opts.check_git = !a.no_git;
    opts.exclude = a.exclude;
    opts.ignore_files = !a.no_ignore_file;
    if let Some(spec) = &a.cert {
        let loaded = super::load_certificate(spec)?;
        opts.expected_key = Some(expected_key(&loaded.pem, &loaded.origin)?);
    }
    let format: OutputFormat = a
        .format
        .parse()
        .map_err(|_| crate::cli::exit::Error::Input(format!("unknown --format {:?}", a.format)))?;
    let annotations = matches!(format, OutputFormat::Github | OutputFormat::Sarif);
    let mut inputs: Vec<Input> = Vec::new();
    let mut gated: Vec<check::Finding> = Vec::new();
    let mut rendered_at: Option<RenderedAt> = None;
    // `--secret`: the other secrets' files, whose findings are dropped (their
    // objects are in `opts.skip_sealed_secrets`).
    let mut others: Option<Vec<String>> = None;
    if let Some(env_name) = &env {
        let ws = super::io::workspace(a.root.as_deref())?;
        let env = ws.env(env_name)?;
        let mut chosen_file = env.primary().sealed_secret.clone();
        if let Some(name) = &a.secret {
            let mut render = empseal_env::target::OverlayRender::new();
            let (chosen, skipped) =
                empseal_env::secrets::split_secrets(&ws, &env, Some(name), &mut render)?;
            chosen_file = chosen.first().and_then(|(s, _)| s.sealed_secret.clone());
            let mut files = Vec::new();
            for (s, t) in skipped {
                files.extend(s.sealed_secret.as_deref().map(|p| ws.display(p)));
                files.push(ws.display(&s.record));
                opts.skip_sealed_secrets.push(t.name);
            }
            others = Some(files);
        }
        let shown = ws.display(&env.dir);
        if !env.is_sealed()
            && env
                .primary()
                .env_file
                .as_deref()
                .is_some_and(|f| !f.exists() && overlay_reads(&env.dir, f))
            && env
                .primary()
                .example_env_file
                .as_deref()
                .is_some_and(Path::exists)
        {
            // A fresh clone: the env's secretGenerator input is untracked.
            let env_file = env.primary().env_file.clone().unwrap_or_default();
            let file = ws.display(&env_file);
            return Err(crate::cli::exit::Error::Input(format!(
                "{file} is missing (env files are untracked), so kustomize cannot render {shown}; create it from the committed example: `cp {} {file} && chmod 600 {file}` and put the {} credentials there",
                ws.display(env.primary().example_env_file.as_deref().unwrap_or(Path::new(""))),
                env.name
            )));
        }
        let kustomize = ws.kustomize()?;
        super::out::verbose!(
            "{env_name}: rendering {shown} with `{}`",
            kustomize.describe()
        );
        let rendered = kustomize.build(&env.dir, &shown)?;
        if ws.is_sealed_env(&env) || opts.sealed_envs.iter().any(|e| e == env_name) {
            opts.sealed_only = true;
        }
        if env.is_sealed() {
            // Provenance: pin, keyring, demo keys, the sealed file against its record.
            let gate = empseal_env::gate::check_env(&ws, &env);
            if opts.expected_key.is_none() {
                if let Some((pem, origin)) = &gate.sealing_cert {
                    if super::out::verbose_on() {
                        if let Ok(c) = Certificate::from_pem(pem, origin) {
                            super::out::verbose!(
                                "{env_name}: checking against {origin} (fingerprint {})",
                                c.fingerprint()
                            );
                        }
                    }
                    opts.expected_key = Some(expected_key(pem, origin)?);
                } else if let Ok(Some(pinned)) = empseal_env::pin::load_pin(&env.pin_files(&ws)) {
                    opts.expected_key = Some(expected_key(&pinned.pem, &ws.display(&env.cert))?);
                }
            }
            gated.extend(gate.findings);
            gated.extend(empseal_env::gate::missing_keys(
                &ws,
                &env,
                &rendered,
                &format!("kustomize {shown}"),
            ));
        } else if opts.expected_key.is_none() {
            if let Some(pinned) = empseal_env::pin::load_pin(&env.pin_files(&ws))? {
                let shown_cert = ws.display(&env.cert);
                if super::out::verbose_on() {
                    if let Ok(c) = Certificate::from_pem(&pinned.pem, &shown_cert) {
                        super::out::verbose!(
                            "{env_name}: checking against {shown_cert} (fingerprint {})",
                            c.fingerprint()
                        );
                    }
                }
                opts.expected_key = Some(expected_key(&pinned.pem, &shown_cert)?);
            }
        }
        // GitHub and SARIF need repository files: where kustomize read each object.
        let origins = if annotations {
            ws.kustomize()?
                .origins(&env.dir, &shown)?
                .into_iter()
                .map(|o| {
                    let shown = ws.display(&o.file);
                    (o, shown)
                })
                .collect()
        } else {
            Vec::new()
        };
        rendered_at = Some(RenderedAt {
            origin: format!("kustomize {shown}"),
            sealed_shown: chosen_file
                .as_deref()
                .map(|p| ws.display(p))
                .unwrap_or_default(),
            sealed: chosen_file,
            kustomization: ws.display(&env.dir.join("kustomization.yaml")),
            origins,
        });
        inputs.push(Input::Bytes {
            origin: format!("kustomize {shown}"),
            bytes: rendered,
        });
    }
    let stdin_wanted = a.paths.iter().any(|p| p.as_os_str() == "-");
    let paths: Vec<PathBuf> = a
        .paths
        .into_iter()
        .filter(|p| p.as_os_str() != "-")
        .collect();
    if paths.is_empty() && inputs.is_empty() && !stdin_wanted {
        return Err(crate::cli::exit::Error::Usage(
            "nothing to check: give files or directories, `-` for stdin, or --env ENV".into(),
        ));
    }
    if stdin_wanted {
        let (_, bytes) = super::io::read_path_or_stdin("-")?;
        inputs.push(Input::Bytes {
            origin: opts.stdin_name.clone(),
            bytes,
        });
    }
    // Path mode gates the empseal-managed sealed envs the paths are in or contain,
    // and classifies files by the workspace's sealed envs, not directory names.
    let mut seen: Vec<std::path::PathBuf> = Vec::new();
    // What only kustomize's render shows (patches, generators) is checked after
    // the files.
    let mut renders: Vec<Render> = Vec::new();
    for p in &paths {
        for d in empseal_env::gate::sealed_dirs_for_path(p) {
            if !opts.sealed_dirs.contains(&d) {
                opts.sealed_dirs.push(d);
            }
        }
        for (ws, env) in empseal_env::gate::envs_for_path(p) {
            if checked_env.as_deref() == Some(env.name.as_str()) || seen.contains(&env.dir) {
                continue;
            }
            seen.push(env.dir.clone());
            let mut found = empseal_env::gate::check_env(&ws, &env).findings;
            // What only the render shows (ES707): the overlay is rendered too,
            // findings placed at its kustomization.yaml.
            let shown = ws.display(&env.dir);
            match ws
                .kustomize()
                .and_then(|k| k.build_with_origins(&env.dir, &shown))
            {
                Ok((rendered, origins)) => {
                    let at = ws.display(&env.dir.join("kustomization.yaml"));
                    found.extend(
                        empseal_env::gate::missing_keys(&ws, &env, &rendered, &at),
                    );
                    let origins = origins
                        .into_iter()
                        .map(|o| {
                            let shown = ws.display(&o.file);
                            (o, shown)
                        })
                        .collect();
                    renders.push(Render {
                        origin: format!("kustomize {shown}"),
                        kustomization: at,
                        bytes: rendered,
                        sealed: ws.is_sealed_env(&env),
                        origins,
                    });
                }
                Err(e) => super::out::note!(
                    "empseal: note: {shown} could not be rendered, so keys its workloads reference were not checked (run `empseal check --env {}`): {e}",
                    env.name
                ),
            }
            for f in found {
                // Path mode honours --exclude and .empsealignore for these too.
                if !check::is_excluded(&ws.root.join(&f.file), &opts)? {
                    gated.push(f);
                }
            }
        }
    }
    inputs.extend(paths.into_iter().map(Input::Path));
    // A progress line on a terminal for large trees only (small runs finish
    // before it would be seen); never in CI logs or pipes.
    let bar = super::out::progress("checking", 0);
    let report = check::check_inputs_with_progress(
        inputs,
        &opts,
        &|n| {
            if n >= PROGRESS_FROM_FILES {
                bar.set_length(n as u64);
            } else {
                bar.finish_and_clear();
            }
        },
        &|| bar.inc(1),
    );
    bar.finish_and_clear();
    let mut report = report?;
    report.findings.extend(gated);
    report
        .findings
        .extend(render_only_findings(renders, &opts, &report.findings)?);
    if let Some(files) = &others {
        // The skipped secrets' own files (sealed file, record): the gate's
        // findings there. Their objects the lint skipped itself.
        report.findings.retain(|f| !files.contains(&f.file));
    }
    report.findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
    });
    let fail_on: Severity = a.fail_on.parse().map_err(|_| {
        crate::cli::exit::Error::Input(format!("unknown --fail-on {:?}", a.fail_on))
    })?;
    if annotations {
        if let Some(at) = &rendered_at {
            point_at_source_files(&mut report, at);
        }
    }
    super::out::stdout(check::render(&report, format).as_bytes())?;
    Ok(if report.fails(fail_on) {
        crate::cli::exit::code::FINDINGS
    } else {
        crate::cli::exit::code::OK
    })
}

/// Whether a YAML file of the overlay names `file` (a generator's `envs:` input),
/// not only its `.example`.
fn overlay_reads(dir: &std::path::Path, file: &std::path::Path) -> bool {
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return false;
    };
    rd.flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.ends_with(".yaml") || n.ends_with(".yml")
        })
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .any(|text| {
            text.match_indices(name).any(|(i, _)| {
                !text[i + name.len()..].starts_with('.')
                    && !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_')
            })
        })
}

/// What `--env` rendered, for pointing findings back at repository files.
struct RenderedAt {
    /// The findings' file name for the render (`kustomize k8s/overlays/ENV`).
    origin: String,
    /// The env's sealed file, and as shown.
    sealed: Option<std::path::PathBuf>,
    sealed_shown: String,
    /// The overlay's kustomization.yaml as shown: where unmapped findings go.
    kustomization: String,
    /// Each rendered object's source file (kustomize's origin annotations), as shown.
    origins: Vec<(empseal_env::overlay::RenderedOrigin, String)>,
}

/// GitHub annotations and SARIF results must name a file of the repository: a
/// finding in the rendered overlay about the env's SealedSecret points at its
/// sealed file (the key's line there); any other at the file kustomize read the
/// object from (its `kind:` line there), else at the overlay's kustomization.yaml;
/// the rendered position is kept in the message.
fn point_at_source_files(report: &mut check::Report, at: &RenderedAt) {
    let text = at
        .sealed
        .as_deref()
        .and_then(|p| std::fs::read_to_string(p).ok());
    for f in report.findings.iter_mut().filter(|f| f.file == at.origin) {
        let is_sealed = f.object.as_ref().is_some_and(|o| o.kind == "SealedSecret");
        if let (true, Some(text)) = (is_sealed, &text) {
            let (line, column) = f
                .key
                .as_deref()
                .and_then(|k| {
                    text.lines().enumerate().find_map(|(i, l)| {
                        let t = l.trim_start();
                        let t = t.strip_prefix('"').unwrap_or(t);
                        (t.starts_with(k) && t[k.len()..].trim_start_matches('"').starts_with(':'))
                            .then(|| (i + 1, l.len() - l.trim_start().len() + 1))
                    })
                })
                .unwrap_or((1, 1));
            f.file = at.sealed_shown.clone();
            f.line = line;
            f.column = column;
            continue;
        }
        f.message = format!(
            "{} (rendered at {}:{}:{})",
            f.message, at.origin, f.line, f.column
        );
        let source = f.object.as_ref().and_then(|o| {
            at.origins
                .iter()
                .find(|(r, _)| r.kind == o.kind && r.name == o.name && r.namespace == o.namespace)
        });
        match source {
            Some((r, shown)) => {
                f.line = kind_line(&r.file, &r.kind, r.name.as_deref());
                f.file = shown.clone();
            }
            None => {
                f.file = at.kustomization.clone();
                f.line = 1;
            }
        }
        f.column = 1;
    }
}

/// The line of the `kind: KIND` that starts the object in `file` (of several, the
/// one whose `name:` the rendered name begins with, since overlays add suffixes);
/// 1 when the file cannot be read or names no such kind.
fn kind_line(file: &std::path::Path, kind: &str, rendered_name: Option<&str>) -> usize {
    let Ok(text) = std::fs::read_to_string(file) else {
        return 1;
    };
    let want = format!("kind: {kind}");
    let mut first = None;
    let mut current: Option<usize> = None;
    for (i, l) in text.lines().enumerate() {
        if l == "---" {
            current = None;
        } else if l.trim_end() == want {
            current = Some(i + 1);
            first.get_or_insert(i + 1);
        } else if let (Some(at), Some(name)) = (current, rendered_name) {
            // `metadata.name` of a top-level object.
            if let Some(n) = l.strip_prefix("  name:") {
                let n = n.trim().trim_matches(|c| c == '"' || c == '\'');
                if !n.is_empty() && name.starts_with(n) {
                    return at;
                }
            }
        }
    }
    first.unwrap_or(1)
}

/// An overlay rendered in path mode.
struct Render {
    /// The findings' file name for the render (`kustomize k8s/overlays/ENV`).
    origin: String,
    /// The overlay's kustomization.yaml as shown.
    kustomization: String,
    /// The render, origin annotations included (wiped when dropped).
    bytes: kubeseal_core::secret::SecretBytes,
    /// Whether the env is sealed (plaintext Secrets are errors).
    sealed: bool,
    /// Each object's source file, as shown.
    origins: Vec<(empseal_env::overlay::RenderedOrigin, String)>,
}

/// Path mode and `--env` agree: the overlays the walked paths belong to are checked
/// as kustomize renders them too, and what only the render shows (an inline patch
/// writing a placeholder, a secretGenerator's plaintext Secret in a sealed env) is
/// reported at the file kustomize read the object from (its `kind:` line), or at
/// the overlay's kustomization.yaml for generated objects, the rendered position in
/// the message. A rendered finding that a walked file already reports (same code,
/// key and object; overlays may add a suffix to the name), or whose source file
/// `--exclude`/.empsealignore leaves out, is not repeated.
fn render_only_findings(
    renders: Vec<Render>,
    opts: &CheckOptions,
    found: &[check::Finding],
) -> Result<Vec<check::Finding>> {
    let same_object = |a: &Option<check::ObjectRef>, b: &Option<check::ObjectRef>| match (a, b) {
        (Some(a), Some(b)) => {
            a.kind == b.kind
                && a.namespace == b.namespace
                && match (&a.name, &b.name) {
                    (Some(x), Some(y)) => x.starts_with(y.as_str()) || y.starts_with(x.as_str()),
                    (x, y) => x == y,
                }
        }
        (None, None) => true,
        _ => false,
    };
    let mut out = Vec::new();
    // The overlay's own files as checked directly, by path: a finding the render
    // shows that one of them shows too is reported at its place there.
    let mut direct: Vec<(std::path::PathBuf, Vec<check::Finding>)> = Vec::new();
    for r in renders {
        let mut o = opts.clone();
        o.sealed_only = o.sealed_only || r.sealed;
        let rendered = check::check_inputs(
            vec![Input::Bytes {
                origin: r.origin.clone(),
                bytes: r.bytes,
            }],
            &o,
        )?;
        for mut f in rendered.findings {
            let known = found
                .iter()
                .chain(out.iter())
                .any(|g| g.code == f.code && g.key == f.key && same_object(&g.object, &f.object));
            if known {
                continue;
            }
            let source = f.object.as_ref().and_then(|obj| {
                r.origins.iter().find(|(o, _)| {
                    o.kind == obj.kind && o.name == obj.name && o.namespace == obj.namespace
                })
            });
            let (file, line) = match source {
                Some((src, shown)) => {
                    if check::is_excluded(&src.file, opts)? {
                        continue;
                    }
                    let at = match direct.iter().position(|(p, _)| *p == src.file) {
                        Some(i) => i,
                        None => {
                            let mut checked = check::check_inputs(
                                vec![Input::Path(src.file.clone())],
                                &CheckOptions {
                                    check_git: false,
                                    ..o.clone()
                                },
                            )?
                            .findings;
                            for g in &mut checked {
                                g.file = shown.clone();
                            }
                            direct.push((src.file.clone(), checked));
                            direct.len() - 1
                        }
                    };
                    let in_file = direct[at].1.iter().find(|g| {
                        g.code == f.code && g.key == f.key && same_object(&g.object, &f.object)
                    });
                    if let Some(g) = in_file {
                        // Not render-only: a file of the overlay that was not
                        // among the paths has it as written.
                        out.push(g.clone());
                        continue;
                    }
                    (
                        shown.clone(),
                        kind_line(&src.file, &src.kind, src.name.as_deref()),
                    )
                }
                None => (r.kustomization.clone(), 1),
            };
            f.message = format!(
                "{} (only in the render: {}:{}:{}; `empseal check --env` shows it in place)",
                f.message, r.origin, f.line, f.column
            );
            f.file = file;
            f.line = line;
            f.column = 1;
            out.push(f);
        }
    }
    Ok(out)
}
