//! The per-environment lock: every command that writes an environment's state
//! holds it from its first read to its last write.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::workspace::{Env, Workspace};

/// Environment variable: how long (seconds) a command waits for another one
/// writing the same environment before giving up (default [`DEFAULT_LOCK_WAIT_SECS`]).
pub const LOCK_WAIT_ENV: &str = "EMPSEAL_LOCK_TIMEOUT";
/// Default wait for an env's lock, in seconds.
pub const DEFAULT_LOCK_WAIT_SECS: u64 = 30;

/// An exclusive lock on one environment's state, held until dropped (or the
/// process dies: the kernel releases it, so a crash never leaves a stale lock).
#[derive(Debug)]
pub struct EnvLock {
    _dir: std::sync::Arc<std::fs::File>,
}

/// A held directory lock: the directory's device and inode, and the thread
/// holding it.
type HeldKey = (u64, u64, std::thread::ThreadId);

/// The directory locks this process holds, so that one thread working on
/// several environments (`seal --all-envs` holds every env's lock until all
/// plans are applied) shares one lock between envs whose lock directory is
/// the same (envs reading one env file) instead of waiting for itself. Other
/// threads still wait, as other processes do.
static HELD: std::sync::Mutex<Vec<(HeldKey, std::sync::Weak<std::fs::File>)>> =
    std::sync::Mutex::new(Vec::new());

/// The directory whose lock guards `env` (one lock for all of its secrets): the
/// directory of its first secret's local state (the env file's directory), else
/// the overlay directory.
pub fn lock_dir(env: &Env) -> PathBuf {
    env.primary()
        .state
        .parent()
        .filter(|d| d.is_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| env.dir.clone())
}

/// Takes `env`'s lock: every command that writes an env's state (the env file,
/// the sealed file, the record, the local state, the pin) holds it from its first
/// read to its last write, so two of them never interleave. The lock is an
/// advisory `flock` on the directory of the env's local state (no lock file is
/// created). A second writer waits up to [`LOCK_WAIT_ENV`] seconds
/// (default [`DEFAULT_LOCK_WAIT_SECS`]), then fails with a one-line message.
pub fn lock_env(ws: &Workspace, env: &Env) -> Result<EnvLock> {
    let dir = lock_dir(env);
    let shown = ws.display(&dir);
    let file = std::fs::File::open(&dir).map_err(|e| Error::io(shown.clone(), e))?;
    let id = {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata().map_err(|e| Error::io(shown.clone(), e))?;
        (m.dev(), m.ino(), std::thread::current().id())
    };
    {
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        held.retain(|(_, w)| w.strong_count() > 0);
        if let Some(shared) = held
            .iter()
            .find(|(i, _)| *i == id)
            .and_then(|(_, w)| w.upgrade())
        {
            return Ok(EnvLock { _dir: shared });
        }
    }
    let wait = std::env::var(LOCK_WAIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_LOCK_WAIT_SECS);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait);
    loop {
        match file.try_lock() {
            Ok(()) => {
                let file = std::sync::Arc::new(file);
                HELD.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((id, std::sync::Arc::downgrade(&file)));
                return Ok(EnvLock { _dir: file });
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                if std::time::Instant::now() >= deadline {
                    return Err(Error::io(
                        shown,
                        std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            format!(
                                "another empseal is writing env {} (seal --env, rotate, rollback or cert fetch --env) and still holds its lock after {wait} s; let it finish and run the command again (set {LOCK_WAIT_ENV} to wait longer)",
                                env.name
                            ),
                        ),
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(shown, e)),
        }
    }
}
