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
    _dir: std::fs::File,
}

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
    let wait = std::env::var(LOCK_WAIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_LOCK_WAIT_SECS);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(EnvLock { _dir: file }),
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
