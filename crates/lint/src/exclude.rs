//! Which files `check` leaves alone: `.empsealignore` files (gitignore syntax) and
//! `--exclude` patterns.
//!
//! Real repositories hold YAML that is not a manifest until rendered (Helm
//! `templates/*.yaml`) and deliberately broken fixtures. An `.empsealignore` applies
//! to the files below its directory, as a `.gitignore` does; the ones that count for
//! a path are those in its directory and every parent up to the git work tree's
//! root (the directory holding `.git`), or up to `/` outside git. `--exclude`
//! patterns use the same syntax, relative to the current directory. Matching is the
//! `ignore` crate's gitignore matcher (the one ripgrep uses).

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use kubeseal_core::error::one_line;

use crate::error::{Error, Result};

/// The ignore file's name.
pub const IGNORE_FILE: &str = ".empsealignore";

/// The matchers for one run.
#[derive(Default)]
pub(crate) struct Excluder {
    /// `--exclude` patterns, rooted at the current directory.
    cli: Option<Gitignore>,
    /// Per directory, loaded on first use: its `.empsealignore` (`None`: no file
    /// there) and whether it is a git work tree's root (where the search stops).
    files: std::collections::HashMap<PathBuf, (Option<Gitignore>, bool)>,
    /// Read `.empsealignore` files at all.
    use_files: bool,
}

impl Excluder {
    /// Matchers for `--exclude` patterns (relative to `cwd`) and, when `use_files`,
    /// the `.empsealignore` files above each checked path.
    pub(crate) fn new(patterns: &[String], cwd: &Path, use_files: bool) -> Result<Excluder> {
        let cli =
            if patterns.is_empty() {
                None
            } else {
                let mut b = GitignoreBuilder::new(cwd);
                for p in patterns {
                    b.add_line(None, p).map_err(|e| {
                        Error::input(format!("--exclude {p:?}: {}", one_line(&e.to_string())))
                    })?;
                }
                Some(b.build().map_err(|e| {
                    Error::input(format!("--exclude: {}", one_line(&e.to_string())))
                })?)
            };
        Ok(Excluder {
            cli,
            files: Default::default(),
            use_files,
        })
    }

    fn dir_info(&mut self, dir: &Path) -> Result<&(Option<Gitignore>, bool)> {
        if !self.files.contains_key(dir) {
            let path = dir.join(IGNORE_FILE);
            let loaded = if path.is_file() {
                let mut b = GitignoreBuilder::new(dir);
                if let Some(e) = b.add(&path) {
                    return Err(Error::input(format!(
                        "{}: {}",
                        path.display(),
                        one_line(&e.to_string())
                    )));
                }
                Some(b.build().map_err(|e| {
                    Error::input(format!("{}: {}", path.display(), one_line(&e.to_string())))
                })?)
            } else {
                None
            };
            let git_root = dir.join(".git").exists();
            self.files.insert(dir.to_path_buf(), (loaded, git_root));
        }
        Ok(&self.files[dir])
    }

    /// Whether the file at `path` (absolute, symlinks in its directories resolved
    /// as the user named them) is excluded.
    pub(crate) fn excluded(&mut self, path: &Path, is_dir: bool) -> Result<bool> {
        if let Some(cli) = &self.cli {
            if path.starts_with(cli.path())
                && cli.matched_path_or_any_parents(path, is_dir).is_ignore()
            {
                return Ok(true);
            }
        }
        if !self.use_files {
            return Ok(false);
        }
        let Some(mut dir) = path.parent() else {
            return Ok(false);
        };
        loop {
            let (matcher, git_root) = self.dir_info(dir)?;
            if let Some(m) = matcher {
                let hit = m.matched_path_or_any_parents(path, is_dir);
                if hit.is_ignore() {
                    return Ok(true);
                }
                if hit.is_whitelist() {
                    return Ok(false);
                }
            }
            if *git_root {
                return Ok(false);
            }
            match dir.parent() {
                Some(p) => dir = p,
                None => return Ok(false),
            }
        }
    }
}

/// The absolute form of `path` as the user named it: the current directory joined
/// with a relative path, `.`/`..` resolved lexically through a canonical parent.
pub(crate) fn absolute(path: &Path) -> Result<PathBuf> {
    // Canonicalize the directory part so `..` and symlinked parents resolve; keep
    // the final component (a symlinked file is excluded by its own name).
    let abs = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => match parent.canonicalize() {
            Ok(p) => Ok(p.join(name)),
            Err(_) => Ok(abs),
        },
        _ => abs.canonicalize().map_err(|e| Error::io(path, e)),
    }
}
