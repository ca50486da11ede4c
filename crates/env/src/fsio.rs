//! Atomic writes and file modes.
//!
//! Every file empseal writes goes through [`write_atomic`]: a temporary file
//! `.empseal-*.tmp` beside the file that is replaced (never in the current
//! directory), fsync, rename. A crash leaves the old file or the new one, never a
//! torn one. The rules, in one place:
//!
//! - **Modes.** [`Sensitivity::Secret`] files (anything that can hold plaintext or
//!   base64-encoded values) are always 0600. [`Sensitivity::Public`] files keep
//!   the permission bits of the file they replace, else 0644. setuid, setgid and
//!   the sticky bit are never carried over.
//! - **Symlinks.** A write to a symlink writes through to the file the link
//!   points at (the chain followed to its end), atomically in *that* file's
//!   directory; the link itself stays a link. Two exceptions refuse the write:
//!   a link another user left in a sticky world-writable directory (as the
//!   kernel's `protected_symlinks`), and, for the files empseal owns in a
//!   repository, a link leading out of it ([`ensure_inside`]; the user's env
//!   file may link to a vault anywhere).
//! - **Leftovers.** A write removes `.empseal-*.tmp` files older than
//!   [`STALE_TEMP_AGE_SECS`] from the directory it writes in: what a `kill -9`
//!   between write and rename leaves behind (0600, possibly plaintext).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Prefix of the temporary files [`write_atomic`] creates (and a crash can leave).
pub const TEMP_PREFIX: &str = ".empseal-";
/// Suffix of those temporary files.
pub const TEMP_SUFFIX: &str = ".tmp";
/// A leftover temporary file older than this (seconds) is removed by the next write
/// in its directory. Younger ones may belong to an empseal that is running.
pub const STALE_TEMP_AGE_SECS: u64 = 60;
/// Symlinks followed at most (as the kernel's own limit, ELOOP).
const MAX_SYMLINKS: usize = 40;

/// Whether the file holds plaintext secrets (created 0600) or public material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// Plaintext or base64-encoded secret values: the file is always mode 0600.
    Secret,
    /// Public material (sealed secrets, certificates): the replaced file's
    /// permission bits (0644 for a new file), without setuid/setgid/sticky.
    Public,
}

/// The directory the temporary file of a write to `path` goes in: `path`'s own
/// directory (`.` only for a bare file name, which is relative to the current
/// directory anyway).
pub fn temp_dir_for(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The file a write to `path` replaces: `path` itself, or for a symlink the end
/// of its chain (relative link targets resolved against the link's directory).
/// A dangling link resolves to the missing file it names (the write creates it).
pub fn write_target(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                if planted_link(&p, &m) {
                    return Err(Error::io(
                        path,
                        std::io::Error::other(format!(
                            "{} is a symlink another user left in a shared directory (sticky and world-writable, like /tmp): not followed, as the kernel's protected_symlinks would not; remove it or write elsewhere",
                            p.display()
                        )),
                    ));
                }
                let to = std::fs::read_link(&p).map_err(|e| Error::io(&p, e))?;
                p = if to.is_absolute() {
                    to
                } else {
                    temp_dir_for(&p).join(to)
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::io(
        path,
        std::io::Error::other("too many levels of symbolic links; point the link at a file"),
    ))
}

/// Whether following the symlink `link` (its own metadata `meta`) is what
/// Linux's `fs.protected_symlinks` refuses: a link in a sticky, world-writable
/// directory (`/tmp`) owned neither by us nor by the directory's owner, which
/// someone else planted there to redirect our write. [`write_target`] resolves
/// links itself (to write atomically in the target's directory), so the
/// kernel's rule would not apply without this.
fn planted_link(link: &Path, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(dir) = std::fs::metadata(temp_dir_for(link)) else {
        return false;
    };
    let shared = dir.mode() & 0o1002 == 0o1002;
    let me = rustix::process::geteuid().as_raw();
    shared && meta.uid() != me && meta.uid() != dir.uid()
}

/// Refuses a write to `path`, a file of the repository at `root` (canonical),
/// that symlinks would carry outside `root`: a link committed in a pull request
/// (`.prod-secrets.state -> ../../../../.bashrc`, or a linked `sealing/`
/// directory) must not turn `seal` into a write anywhere the user can write.
/// Links that stay inside the repository are followed. A `path` that is itself
/// outside `root` (configured so in `empseal.yaml`, or given on the command line)
/// is the user's explicit choice and passes.
pub fn ensure_inside(path: &Path, shown: &str, root: &Path) -> Result<()> {
    if !lexical(path).starts_with(root) {
        return Ok(());
    }
    let target = write_target(path)?;
    let dir = lexical(temp_dir_for(&target));
    // Directories a plan creates do not exist yet: resolve the nearest ancestor
    // that does (links among the existing ones included), then the rest as named.
    let existing = dir
        .ancestors()
        .find(|d| d.exists())
        .unwrap_or(Path::new("/"));
    let resolved = existing
        .canonicalize()
        .map_err(|e| Error::io(existing, e))?
        .join(dir.strip_prefix(existing).unwrap_or(Path::new("")));
    if resolved.starts_with(root) {
        return Ok(());
    }
    Err(Error::input(format!(
        "{shown}: a symlink leads this write out of the repository (to {}); empseal writes through links only inside it: replace the link with the file itself, or name the outside path in empseal.yaml",
        resolved.join(target.file_name().unwrap_or_default()).display()
    )))
}

/// `path` with `.` and `..` resolved by name (no file system access), as the
/// directory a configured path names before any link is followed.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The permission bits a write gives the file: 0600 for secrets; for public
/// material the replaced file's bits (`existing`, None for a new file: 0644),
/// never setuid, setgid or sticky.
pub fn mode_for(sensitivity: Sensitivity, existing: Option<u32>) -> u32 {
    match sensitivity {
        Sensitivity::Secret => 0o600,
        Sensitivity::Public => existing.map(|m| m & 0o777).unwrap_or(0o644),
    }
}

/// Writes `bytes` to `path` atomically (temp file beside the target + fsync +
/// rename), following the module's rules on modes, symlinks and leftovers.
///
/// A path that is exactly `-` is refused: on empseal's command line `-` means
/// stdout (or stdin), never a file named `-`.
pub fn write_atomic(path: &Path, bytes: &[u8], sensitivity: Sensitivity) -> Result<()> {
    stage_atomic(path, bytes, sensitivity)?.commit()
}

/// The first half of [`write_atomic`], for writes that must all happen or none
/// ([`crate::plan::WritePlan::apply`]): the new bytes are in a synced temporary
/// file beside the target, with the target's final mode. [`StagedWrite::commit`]
/// renames it into place; dropped uncommitted, the temporary file is removed and
/// the target was never touched.
#[derive(Debug)]
pub struct StagedWrite {
    tmp: tempfile::NamedTempFile,
    /// The file replaced (the end of a symlink chain).
    target: PathBuf,
    /// The path as given, for messages.
    path: PathBuf,
}

/// Stages a write of `bytes` to `path` (see [`StagedWrite`]), following the
/// module's rules; `-` is refused as in [`write_atomic`].
pub fn stage_atomic(path: &Path, bytes: &[u8], sensitivity: Sensitivity) -> Result<StagedWrite> {
    use std::os::unix::fs::PermissionsExt;
    if path.as_os_str() == "-" {
        return Err(Error::input(
            "-: `-` means stdout, not a file; write to stdout with `-w -` or give a file name (./- for a file named -)",
        ));
    }
    let target = write_target(path)?;
    let dir = temp_dir_for(&target);
    remove_stale_temps(&[Some(dir)]);
    let existing = std::fs::metadata(&target)
        .ok()
        .map(|m| m.permissions().mode());
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    // Created 0600 (before any byte is written); widen only public files.
    let mode = mode_for(sensitivity, existing);
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    Ok(StagedWrite {
        tmp,
        target,
        path: path.to_path_buf(),
    })
}

impl StagedWrite {
    /// Renames the staged file over its target and syncs the directory.
    pub fn commit(self) -> Result<()> {
        let StagedWrite { tmp, target, path } = self;
        tmp.persist(&target)
            .map_err(|e| Error::io(&path, e.error))?;
        if let Ok(d) = std::fs::File::open(temp_dir_for(&target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Removes `.empseal-*.tmp` files older than [`STALE_TEMP_AGE_SECS`] from the
/// given directories: leftovers of a write interrupted by a crash (they may hold
/// plaintext values, mode 0600). Younger ones may belong to a running empseal
/// and are left alone. Returns how many were removed. A file's age is measured
/// against the system clock on purpose, not an injected `now`: its mtime comes
/// from that clock, and a test's fixed `now` would make every real file look
/// young or old.
pub fn remove_stale_temps(dirs: &[Option<&Path>]) -> usize {
    let mut removed = 0;
    let mut seen = std::collections::BTreeSet::new();
    for dir in dirs.iter().flatten() {
        if !seen.insert(dir.to_path_buf()) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let n = name.to_string_lossy();
            if !(n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX)) {
                continue;
            }
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let old = meta
                .modified()
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() >= STALE_TEMP_AGE_SECS);
            if meta.is_file() && old && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temp_file_goes_beside_the_target_never_in_the_cwd() {
        assert_eq!(temp_dir_for(Path::new("/a/b/c.yaml")), Path::new("/a/b"));
        assert_eq!(temp_dir_for(Path::new("b/c.yaml")), Path::new("b"));
        assert_eq!(temp_dir_for(Path::new("c.yaml")), Path::new("."));
        assert_eq!(temp_dir_for(Path::new("/")), Path::new("."));
    }

    fn aged(path: &Path, secs: u64) {
        std::fs::write(path, b"x").unwrap();
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn only_stale_temp_files_of_our_naming_are_removed_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let old = STALE_TEMP_AGE_SECS + 5;
        aged(&d.join(".empseal-a.tmp"), old);
        aged(&d.join(".empseal-b.tmp"), old);
        aged(&d.join(".empseal-young.tmp"), 0);
        aged(&d.join(".empseal-notes"), old);
        aged(&d.join("x.tmp"), old);
        std::fs::create_dir(d.join(".empseal-dir.tmp")).unwrap();
        // A directory listed twice is cleaned once.
        assert_eq!(remove_stale_temps(&[Some(d), None, Some(d)]), 2);
        let mut left: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".empseal-dir.tmp",
                ".empseal-notes",
                ".empseal-young.tmp",
                "x.tmp"
            ]
        );
        assert_eq!(remove_stale_temps(&[Some(d)]), 0);
    }

    #[test]
    fn stale_temps_are_removed_young_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".empseal-old.tmp");
        let young = dir.path().join(".empseal-young.tmp");
        let other = dir.path().join("keep.tmp");
        for p in [&old, &young, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let f = std::fs::File::options().write(true).open(&old).unwrap();
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .unwrap();
        assert_eq!(remove_stale_temps(&[Some(dir.path())]), 1);
        assert!(!old.exists() && young.exists() && other.exists());
    }

    #[test]
    fn modes_drop_special_bits_and_secrets_are_always_0600() {
        assert_eq!(mode_for(Sensitivity::Public, None), 0o644);
        assert_eq!(mode_for(Sensitivity::Public, Some(0o100640)), 0o640);
        assert_eq!(mode_for(Sensitivity::Public, Some(0o106755)), 0o755);
        assert_eq!(mode_for(Sensitivity::Public, Some(0o101777)), 0o777);
        assert_eq!(mode_for(Sensitivity::Secret, Some(0o104755)), 0o600);
        assert_eq!(mode_for(Sensitivity::Secret, None), 0o600);
    }
}
