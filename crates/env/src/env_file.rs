//! Reading an environment's env file (the untracked plaintext values) by
//! kubectl's rules, and the warnings about lines kubectl reads silently.

use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use kubeseal_core::envfile::{parse_env_bytes, process_env, EnvWarning, ValueOrigin};
use kubeseal_core::secret::SecretBytes;

/// Reads an env file by kubectl's rules (values from the process environment for
/// lines without `=`).
pub fn read_env_values(ws: &Workspace, path: &Path) -> Result<Vec<(String, SecretBytes)>> {
    if !path.is_file() {
        return Err(Error::input(format!(
            "{}: no such env file; copy the committed {}.example beside it and fill in the values",
            ws.display(path),
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        )));
    }
    read_env_file(path, &ws.display(path))
}

/// Reads an env file by kubectl's rules; `shown` names it in errors.
pub(crate) fn read_env_file(path: &Path, shown: &str) -> Result<Vec<(String, SecretBytes)>> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Error::io(shown, e))?);
    parse_env_values(&bytes, shown)
}

/// Parses env-file bytes by kubectl's rules into `(key, value)` pairs. A line
/// without `=` takes its value from the environment, as kubectl; one whose
/// variable is unset is refused: kubectl would seal an empty value under the
/// whole line as its key, and key names are stored unencrypted in the committed
/// SealedSecret (a value wrapped onto a line of its own would be published).
pub(crate) fn parse_env_values(bytes: &[u8], shown: &str) -> Result<Vec<(String, SecretBytes)>> {
    let entries = parse_env_bytes(shown, bytes, &process_env)?;
    if let Some(e) = entries
        .iter()
        .find(|e| e.value_origin == ValueOrigin::Unset)
    {
        return Err(Error::input(format!(
            "{shown}:{}: the line has no '=' and no environment variable of that name is set: kubectl would seal an empty value with the whole line as its key, and key names are stored unencrypted in the SealedSecret; write KEY=VALUE (or set the variable)",
            e.line
        )));
    }
    Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
}

/// Reads a committed example env file (`--demo`): every key has its value on its
/// line. A line without `=` is refused, never looked up in the environment of
/// whoever renders (a CI runner's real credentials would be sealed with the
/// demo key, whose private half is published, or rendered in the clear).
pub(crate) fn read_example_env_file(
    path: &Path,
    shown: &str,
) -> Result<Vec<(String, SecretBytes)>> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Error::io(shown, e))?);
    let entries = parse_env_bytes(shown, &bytes, &|_: &str| None)?;
    if let Some(e) = entries.iter().find(|e| e.value_origin != ValueOrigin::Line) {
        return Err(Error::input(format!(
            "{shown}:{}: an example env file gives every key its value on its line (KEY=value); a line without '=' would take a value from the environment of whoever renders",
            e.line
        )));
    }
    Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
}

/// What kubectl reads silently but is likely a mistake in an env file (lines
/// without `=`), as warnings naming the file and line (see `envfile::EnvWarning`).
pub(crate) fn env_file_warnings(ws: &Workspace, path: &Path) -> Vec<String> {
    let shown = ws.display(path);
    let Ok(bytes) = std::fs::read(path).map(Zeroizing::new) else {
        return Vec::new();
    };
    parse_env_bytes(&shown, &bytes, &process_env)
        .map(|entries| EnvWarning::for_entries(&shown, &entries))
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}
