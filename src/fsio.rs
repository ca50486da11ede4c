//! Atomic writes and file modes.
//!
//! Every file empseal writes goes through here: a temporary file in the same
//! directory, fsync, rename. A crash leaves the old file or the new one, never a
//! torn one. Files holding plaintext are created 0600.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Whether the file holds plaintext secrets (created 0600) or public material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// Plaintext secrets: the file is created with mode 0600.
    Secret,
    /// Public material (sealed secrets, certificates): mode 0644, or the existing file's mode.
    Public,
}

/// Writes `bytes` to `path` atomically (temp file in the same directory + fsync + rename).
///
/// An existing file's permissions are kept for [`Sensitivity::Public`]; secret files
/// are always 0600.
pub fn write_atomic(path: &Path, bytes: &[u8], sensitivity: Sensitivity) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".empseal-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    // tempfile creates files 0600 already; widen only public files.
    let mode = match sensitivity {
        Sensitivity::Secret => 0o600,
        Sensitivity::Public => std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644),
    };
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
