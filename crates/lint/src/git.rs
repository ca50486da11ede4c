//! The `*secrets.env` rule: plaintext env files must never be tracked by git.
//!
//! Uses the index of the repository holding each input (what is tracked, and
//! what a pre-commit hook is about to commit), through libgit2.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// True for file names the env-file convention reserves for real credentials.
pub(crate) fn is_secrets_env_name(name: &str) -> bool {
    name.ends_with("secrets.env")
}

/// The tracked `*secrets.env` files at or under each root, shown relative to
/// the root as the user gave it. Roots outside any git work tree are skipped.
pub(crate) fn tracked_env_files(roots: &[PathBuf]) -> Result<Vec<String>> {
    let mut found = BTreeSet::new();
    for root in roots {
        let abs = root.canonicalize().map_err(|e| Error::io(root, e))?;
        let start = if abs.is_dir() {
            abs.as_path()
        } else {
            abs.parent().unwrap_or(Path::new("/"))
        };
        let repo = match git2::Repository::discover(start) {
            Ok(r) => r,
            Err(e) if e.code() == git2::ErrorCode::NotFound => continue,
            Err(e) => return Err(git_error(root, &e)),
        };
        let Some(workdir) = repo.workdir() else {
            continue;
        };
        let workdir = workdir.canonicalize().map_err(|e| Error::io(workdir, e))?;
        let Ok(rel) = abs.strip_prefix(&workdir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let index = repo.index().map_err(|e| git_error(root, &e))?;
        for entry in index.iter() {
            let path = String::from_utf8_lossy(&entry.path);
            let name = path.rsplit('/').next().unwrap_or(&path);
            if !is_secrets_env_name(name) {
                continue;
            }
            let shown = if rel.is_empty() {
                root.join(path.as_ref())
            } else if *path == *rel {
                root.clone()
            } else if let Some(rest) = path.strip_prefix(&format!("{rel}/")) {
                root.join(rest)
            } else {
                continue;
            };
            found.insert(shown.to_string_lossy().into_owned());
        }
    }
    Ok(found.into_iter().collect())
}

fn git_error(root: &Path, e: &git2::Error) -> Error {
    Error::Git(format!(
        "{}: cannot read the git index: {}",
        root.display(),
        e.message()
    ))
}
