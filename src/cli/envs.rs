//! Several environments in one command: `--env` repeated or `--all-envs` (for
//! `seal`, `check` and `cert fetch`). The environments are taken in sorted
//! order, each handled on its own under an `env NAME:` heading when there is
//! more than one; the exit code is the first failure's.

use crate::cli::exit::{Error, Result};
use empseal_env::overlay::Workspace;

use super::out::say;

/// Which environments `--all-envs` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllEnvs {
    /// Environments with a SealedSecret (`seal`).
    Sealed,
    /// Sealed environments, `sealed: true` in empseal.yaml included (`check`).
    SealedOrMarked,
    /// Every environment (`cert fetch`: each cluster's certificate is pinned).
    Every,
}

/// The environments a command works on: the `--env` values, or with
/// `all_envs` the workspace's environments of the kind `which`; sorted, each once.
pub fn select(
    ws: &Workspace,
    named: &[String],
    all_envs: bool,
    which: AllEnvs,
) -> Result<Vec<String>> {
    let mut names: Vec<String> = if all_envs {
        let mut out = Vec::new();
        for env in ws.envs()? {
            let keep = match which {
                AllEnvs::Sealed => env.is_sealed(),
                AllEnvs::SealedOrMarked => ws.is_sealed_env(&env),
                AllEnvs::Every => true,
            };
            if keep {
                out.push(env.name);
            }
        }
        if out.is_empty() {
            let kind = if which == AllEnvs::Every {
                ""
            } else {
                "sealed "
            };
            let dir = ws.display(&ws.overlays_dir());
            return Err(Error::Input(format!(
                "--all-envs: no {kind}environment under {dir}; see `ls {dir}`"
            )));
        }
        out
    } else {
        named.to_vec()
    };
    names.sort();
    names.dedup();
    Ok(names)
}

/// Runs `one` for each environment in turn (under an `env NAME:` heading on
/// stdout when there are several); a failing env's error is printed as `main`
/// prints one, and the next env still runs. Returns the first failure's exit
/// code, else 0.
pub fn each(names: &[String], mut one: impl FnMut(&str) -> Result<i32>) -> i32 {
    let mut first_failure = None;
    for name in names {
        if names.len() > 1 {
            say!("env {name}:");
        }
        let code = match one(name) {
            Ok(code) => code,
            Err(e) => {
                report(name, names.len(), &e);
                e.exit_code()
            }
        };
        if code != 0 && first_failure.is_none() {
            first_failure = Some(code);
        }
    }
    first_failure.unwrap_or(0)
}

/// Prints `e` as `main` prints a failure, prefixed with the env's name when
/// the command handles several.
pub fn report(name: &str, count: usize, e: &Error) {
    let text = super::printable(&e.to_string());
    if count > 1 {
        super::out::stderr(format_args!("empseal: error: env {name}: {text}"));
    } else {
        super::out::stderr(format_args!("empseal: error: {text}"));
    }
}
