//! Directory trees: copying fixtures and fingerprinting what a command left behind.

use std::path::{Path, PathBuf};

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
        }
    }
}

/// All files under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Every file under `dir` with its mode and bytes, every directory with its mode
/// and every symlink with its target (not followed), sorted: a dry run must leave
/// this unchanged.
pub fn tree_snapshot(dir: &Path) -> Vec<(String, u32, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if m.is_dir() {
                out.push((rel + "/", m.permissions().mode(), Vec::new()));
                stack.push(p);
            } else if m.file_type().is_symlink() {
                let to = std::fs::read_link(&p).unwrap();
                out.push((rel + " ->", 0, to.into_os_string().into_encoded_bytes()));
            } else {
                out.push((rel, m.permissions().mode(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// SHA-256 over every file under `dir` (paths and contents, sorted), skipping `skip` names.
pub fn tree_hash(dir: &Path, skip: &[&str]) -> String {
    use sha2::Digest;
    fn walk(d: &Path, base: &Path, skip: &[&str], out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if skip.contains(&name.as_str()) {
                continue;
            }
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(&p, base, skip, out);
            } else if ft.is_file() {
                use std::os::unix::fs::PermissionsExt;
                let mode = e.metadata().unwrap().permissions().mode();
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                out.push((format!("{rel} {mode:o}"), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, skip, &mut files);
    let mut h = sha2::Sha256::new();
    for (n, b) in files {
        h.update(n.as_bytes());
        h.update([0]);
        h.update((b.len() as u64).to_be_bytes());
        h.update(&b);
    }
    hex::encode(h.finalize())
}
