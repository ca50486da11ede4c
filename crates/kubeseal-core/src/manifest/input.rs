//! Getting a manifest's bytes: a file, or standard input for `-`.

use zeroize::Zeroizing;

use crate::secret::SecretBytes;

/// input for `-`. Returns the origin to name in errors (`<stdin>` or the path) and
/// the bytes, in a zeroizing buffer (Secret manifests hold plaintext).
pub fn read_input(path: &str) -> Result<(String, SecretBytes), crate::error::Error> {
    use std::io::Read;
    let mut buf = Zeroizing::new(Vec::new());
    if path == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| crate::error::Error::io("<stdin>", e))?;
        return Ok(("<stdin>".to_string(), buf));
    }
    let mut f = std::fs::File::open(path).map_err(|e| crate::error::Error::io(path, e))?;
    let len = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
    buf.reserve(len.saturating_add(1));
    f.read_to_end(&mut buf)
        .map_err(|e| crate::error::Error::io(path, e))?;
    Ok((path.to_string(), buf))
}
