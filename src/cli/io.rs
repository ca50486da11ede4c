//! The binary's contact with the world outside the libraries: the one clock,
//! the one random source, input from a file or stdin, output to `-w FILE` or
//! stdout in the format kubeseal would print, and the repository to work in.
//! The library crates take each of these as a parameter.

use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use empseal_env::fsio::{write_atomic, Sensitivity};
use empseal_env::overlay::Workspace;
use kubeseal_core::emit;
use kubeseal_core::secret::{Format, Layout, SealedSecret};

use super::exit::{Error, Result};
use super::out::{note, verbose};

/// The current time, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The one random source of every command that seals: ChaCha20 seeded from the
/// operating system (the library crates take it as a parameter, so tests seed it).
pub fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_os_rng()
}

/// Reads a file, or stdin for `None`/`-`; returns (origin for messages, bytes).
pub fn read_input(file: Option<&Path>) -> Result<(String, kubeseal_core::secret::SecretBytes)> {
    let spec = file.map(|p| p.to_string_lossy().into_owned());
    if spec.as_deref().is_none_or(|s| s == "-") {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            // kubeseal's hint, word for word, so a waiting prompt is not a mystery.
            note!("(tty detected: expecting json/yaml k8s resource in stdin)");
        }
    }
    read_path_or_stdin(spec.as_deref().unwrap_or("-"))
}

/// Reads the file at `path`, or standard input for `-`. Returns the origin to
/// name in errors (`<stdin>` or the path) and the bytes, in a zeroizing buffer
/// (Secret manifests hold plaintext).
pub fn read_path_or_stdin(path: &str) -> Result<(String, kubeseal_core::secret::SecretBytes)> {
    use kubeseal_core::secret::{read_secret_bytes, read_secret_file};
    if path == "-" {
        let buf =
            read_secret_bytes(std::io::stdin().lock(), 0).map_err(|e| Error::io("<stdin>", e))?;
        return Ok(("<stdin>".to_string(), buf));
    }
    let buf = read_secret_file(Path::new(path)).map_err(|e| Error::io(path, e))?;
    Ok((path.to_string(), buf))
}

/// Writes `bytes` to `path` atomically, or to stdout (no path, or `-`).
pub fn emit_output(path: Option<&Path>, bytes: &[u8], sensitivity: Sensitivity) -> Result<()> {
    match path.filter(|p| p.as_os_str() != "-") {
        Some(p) => Ok(write_atomic(p, bytes, sensitivity)?),
        None => super::out::stdout(bytes),
    }
}

/// Serialises SealedSecrets as kubeseal prints them.
/// Fails where kubeseal itself fails to print (e.g. control characters in YAML).
pub fn render_sealed(objects: &[SealedSecret], format: Format, layout: Layout) -> Result<String> {
    objects
        .iter()
        .map(|s| {
            emit::try_document(&emit::sealed_secret_node(s, layout), format).map_err(|e| {
                Error::Input(format!(
                    "SealedSecret {}: {e} (kubeseal cannot print this either; use -o json or change the value)",
                    s.metadata.name
                ))
            })
        })
        .collect()
}

/// Opens the workspace for a lifecycle command.
pub fn workspace(root: Option<&Path>) -> Result<Workspace> {
    let ws = match root {
        Some(r) => Workspace::open(r)?,
        None => {
            let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
            Workspace::discover(&cwd)?
        }
    };
    verbose!("repository root {}", ws.root.display());
    Ok(ws)
}
