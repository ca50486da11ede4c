//! The versions of an environment's sealed secret in git (`empseal history`) and
//! restoring one of them (`empseal rollback`), read with git2 (libgit2).
//!
//! A version is a commit that changed the env's SealedSecret file (git's
//! default history simplification: a commit is listed when the file differs
//! from every parent). For each: the key set, what changed against the previous
//! version (added / removed / changed ciphertext) and the certificate
//! fingerprint from that commit's `sealing/record.yaml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Sort};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fsio::{self, Sensitivity};
use crate::lock::lock_env;
use crate::message::one_line;
use crate::record::{sha256_hex, Record};
use crate::sealed_file::{is_placeholder, read_one_sealed};
use crate::state::rollback_marker;
use crate::workspace::{Env, Workspace, SEALED_SECRET_FILE};

/// Keys added, removed and changed (different ciphertext) between two versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyDiff {
    /// Keys only in the newer version.
    pub added: Vec<String>,
    /// Keys only in the older version.
    pub removed: Vec<String>,
    /// Keys in both whose ciphertext differs.
    pub changed: Vec<String>,
}

impl KeyDiff {
    /// Compares two `encryptedData` maps (older → newer).
    pub fn between(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> KeyDiff {
        KeyDiff {
            added: new
                .keys()
                .filter(|k| !old.contains_key(*k))
                .cloned()
                .collect(),
            removed: old
                .keys()
                .filter(|k| !new.contains_key(*k))
                .cloned()
                .collect(),
            changed: new
                .iter()
                .filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v))
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }

    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One version of the sealed file: a commit that changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// Full commit id.
    pub commit: String,
    /// Abbreviated commit id (as `git log --oneline` would print it).
    pub short: String,
    /// Commit time, Unix seconds.
    pub time: i64,
    /// Commit time, RFC 3339 UTC.
    pub date: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// The commit message's first line.
    pub subject: String,
    /// Whether the file exists in this commit (false: the commit deleted it).
    pub present: bool,
    /// Whether the file could be read as one SealedSecret.
    pub readable: bool,
    /// The keys in this version.
    pub keys: Vec<String>,
    /// Against the previous version (the first parent's file).
    pub diff: KeyDiff,
    /// Whether any value is a placeholder (`AgAAAA...`, `...`).
    pub placeholders: bool,
    /// Fingerprint of the certificate that sealed it, from that commit's record
    /// (None: no record, or a record describing other bytes).
    pub fingerprint: Option<String>,
}

fn git_err(e: git2::Error, what: &str) -> Error {
    Error::Git(format!("{what}: {}", one_line(e.message())))
}

/// The repository holding the workspace, and the workspace-relative `path`
/// expressed relative to the repository's work tree.
fn open_repo(ws: &Workspace) -> Result<(Repository, PathBuf)> {
    let repo = Repository::discover(&ws.root).map_err(|_| {
        Error::Git(format!(
            "{}: not inside a git repository; history and rollback read the sealed files' git history",
            ws.root.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
        ))
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::Git("the git repository is bare; run empseal in a work tree".into()))?
        .canonicalize()
        .map_err(|e| Error::io("git work tree", e))?;
    Ok((repo, workdir))
}

fn repo_rel(ws: &Workspace, workdir: &Path, path: &Path) -> Result<PathBuf> {
    path.strip_prefix(workdir)
        .map(Path::to_path_buf)
        .map_err(|_| {
            Error::Git(format!(
                "{}: is outside the git work tree",
                ws.display(path)
            ))
        })
}

fn blob_at(commit: &git2::Commit<'_>, rel: &Path) -> Option<Oid> {
    let tree = commit.tree().ok()?;
    let entry = tree.get_path(rel).ok()?;
    (entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id())
}

fn blob_bytes(repo: &Repository, id: Oid) -> Result<Vec<u8>> {
    repo.find_blob(id)
        .map(|b| b.content().to_vec())
        .map_err(|e| git_err(e, "reading a blob"))
}

/// The SealedSecret file's path of `env` (the conventional one when it does not
/// exist in the working tree).
pub fn sealed_path(env: &Env) -> PathBuf {
    env.sealed_secret
        .clone()
        .unwrap_or_else(|| env.dir.join(SEALED_SECRET_FILE))
}

fn encrypted_data(shown: &str, bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    read_one_sealed(shown, bytes)
        .ok()
        .map(|(s, _, _)| s.encrypted_data)
}

/// The record's fingerprint, when the record describes exactly `sealed` bytes.
fn record_fingerprint(record: Option<&[u8]>, sealed: &[u8]) -> Option<String> {
    let r = Record::parse("", record?).ok()?;
    (r.sealed_sha256 == sha256_hex(sealed)).then_some(r.cert_fingerprint)
}

/// `empseal history --env E`: the commits that changed the env's sealed file,
/// newest first.
pub fn history(ws: &Workspace, env_name: &str) -> Result<Vec<Version>> {
    let env = ws.env(env_name)?;
    let (repo, workdir) = open_repo(ws)?;
    let sealed_rel = repo_rel(ws, &workdir, &sealed_path(&env))?;
    let record_rel = repo_rel(ws, &workdir, &env.record)?;
    let mut walk = repo.revwalk().map_err(|e| git_err(e, "walking history"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(|e| git_err(e, "walking history"))?;
    if walk.push_head().is_err() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for oid in walk {
        let oid = oid.map_err(|e| git_err(e, "walking history"))?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| git_err(e, "reading a commit"))?;
        let here = blob_at(&commit, &sealed_rel);
        let parents: Vec<git2::Commit<'_>> = commit.parents().collect();
        let parent_blobs: Vec<Option<Oid>> =
            parents.iter().map(|p| blob_at(p, &sealed_rel)).collect();
        let touched = if parent_blobs.is_empty() {
            here.is_some()
        } else {
            parent_blobs.iter().all(|p| *p != here)
        };
        if !touched {
            continue;
        }
        let shown = format!("{}:{}", short_id(&repo, oid), sealed_rel.display());
        let (keys, readable, data, placeholders, fingerprint) = match here {
            Some(id) => {
                let bytes = blob_bytes(&repo, id)?;
                let data = encrypted_data(&shown, &bytes);
                let record = blob_at(&commit, &record_rel)
                    .map(|rid| blob_bytes(&repo, rid))
                    .transpose()?;
                let fp = record_fingerprint(record.as_deref(), &bytes);
                match data {
                    Some(d) => (
                        d.keys().cloned().collect(),
                        true,
                        d.clone(),
                        d.values().any(|v| is_placeholder(v)),
                        fp,
                    ),
                    None => (Vec::new(), false, BTreeMap::new(), false, fp),
                }
            }
            None => (Vec::new(), true, BTreeMap::new(), false, None),
        };
        let previous = match parent_blobs.first().copied().flatten() {
            Some(pid) => {
                let pbytes = blob_bytes(&repo, pid)?;
                encrypted_data(&shown, &pbytes).unwrap_or_default()
            }
            None => BTreeMap::new(),
        };
        let author = commit.author();
        out.push(Version {
            commit: oid.to_string(),
            short: short_id(&repo, oid),
            time: commit.time().seconds(),
            date: kubeseal_core::cert::rfc3339(commit.time().seconds()),
            author: author.name().unwrap_or("").to_string(),
            email: author.email().unwrap_or("").to_string(),
            subject: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .into_owned(),
            present: here.is_some(),
            readable,
            keys,
            diff: KeyDiff::between(&previous, &data),
            placeholders,
            fingerprint,
        });
    }
    Ok(out)
}

fn short_id(repo: &Repository, oid: Oid) -> String {
    repo.find_object(oid, None)
        .and_then(|o| o.short_id())
        .ok()
        .and_then(|b| b.as_str().ok().map(str::to_string))
        .unwrap_or_else(|| oid.to_string()[..7].to_string())
}

/// What a rollback will do (or did): the version restored and its effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPlan {
    /// The environment.
    pub env: String,
    /// The revision as given.
    pub rev: String,
    /// The commit it resolved to (full id).
    pub commit: String,
    /// Abbreviated commit id.
    pub short: String,
    /// The sealed file, relative to the root.
    pub file: String,
    /// The record file, relative to the root.
    pub record_file: String,
    /// The sealed file's bytes at that commit.
    pub sealed: Vec<u8>,
    /// The record's bytes at that commit (None: it had no record; the working
    /// tree's record is then removed, since it would describe other bytes).
    pub record: Option<Vec<u8>>,
    /// Keys in the restored version.
    pub keys: Vec<String>,
    /// Working tree → restored version.
    pub diff: KeyDiff,
    /// Fingerprint of the certificate that sealed the restored version (None: unknown).
    pub fingerprint: Option<String>,
    /// Fingerprint of the currently pinned certificate (None: no readable pin).
    pub pinned: Option<String>,
    /// Whether the working tree already holds exactly these bytes.
    pub unchanged: bool,
    /// Files (relative to the root) with uncommitted changes that the rollback
    /// would overwrite or remove; [`apply_rollback`] refuses them unless forced.
    pub dirty: Vec<String>,
}

impl RollbackPlan {
    /// A warning for stderr when the restored version was sealed for a certificate
    /// other than the pinned one (or for an unknown one).
    pub fn warning(&self) -> Option<String> {
        match (&self.fingerprint, &self.pinned) {
            (Some(f), Some(p)) if f == p => None,
            (Some(f), Some(p)) => Some(format!(
                "{} at {} was sealed with certificate {f}, but the pinned certificate is {p}; the controller can only decrypt it if it still holds that key",
                self.file, self.short
            )),
            (Some(f), None) => Some(format!(
                "{} at {} was sealed with certificate {f}; there is no readable pinned certificate to compare with",
                self.file, self.short
            )),
            (None, _) => Some(format!(
                "{} at {} has no matching seal record, so the certificate that sealed it is unknown; make sure the controller can decrypt it (empseal validate)",
                self.file, self.short
            )),
        }
    }
}

/// Resolves `rev` and prepares restoring `env`'s sealed file (and record) from
/// it. Refuses an unknown revision, a revision without the file, and a version
/// holding placeholders. Writes nothing.
pub fn plan_rollback(ws: &Workspace, env_name: &str, rev: &str) -> Result<RollbackPlan> {
    let env = ws.env(env_name)?;
    let (repo, workdir) = open_repo(ws)?;
    let path = sealed_path(&env);
    let sealed_rel = repo_rel(ws, &workdir, &path)?;
    let record_rel = repo_rel(ws, &workdir, &env.record)?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| {
            Error::Git(format!(
                "unknown revision {rev:?}; pick a commit from `empseal history --env {env_name}`"
            ))
        })?;
    let short = short_id(&repo, commit.id());
    let file = ws.display(&path);
    let Some(blob) = blob_at(&commit, &sealed_rel) else {
        return Err(Error::Git(format!(
            "{file} does not exist at {rev} ({short}); pick a commit from `empseal history --env {env_name}`"
        )));
    };
    let sealed = blob_bytes(&repo, blob)?;
    let shown = format!("{short}:{}", sealed_rel.display());
    let (object, _, _) = read_one_sealed(&shown, &sealed)?;
    let bad: Vec<&String> = object
        .encrypted_data
        .iter()
        .filter(|(_, v)| is_placeholder(v))
        .map(|(k, _)| k)
        .collect();
    if !bad.is_empty() {
        return Err(Error::input(format!(
            "{shown}: holds placeholder values for {}; refusing to roll back to it, pick a sealed version from `empseal history --env {env_name}`",
            bad.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let record = blob_at(&commit, &record_rel)
        .map(|id| blob_bytes(&repo, id))
        .transpose()?;
    let fingerprint = record_fingerprint(record.as_deref(), &sealed);
    let pinned = crate::pin::load_pin(&env.pin_files(ws))
        .ok()
        .flatten()
        .map(|p| p.pin.fingerprint);
    let current = std::fs::read(&path).ok();
    let current_data = current
        .as_deref()
        .and_then(|b| encrypted_data(&file, b))
        .unwrap_or_default();
    let dirty = uncommitted(
        ws,
        &repo,
        &workdir,
        &[(&path, Some(&sealed[..])), (&env.record, record.as_deref())],
    )?;
    Ok(RollbackPlan {
        env: env.name.clone(),
        rev: rev.to_string(),
        commit: commit.id().to_string(),
        short,
        file,
        record_file: ws.display(&env.record),
        keys: object.encrypted_data.keys().cloned().collect(),
        diff: KeyDiff::between(&current_data, &object.encrypted_data),
        unchanged: current.as_deref() == Some(&sealed[..]),
        sealed,
        record,
        fingerprint,
        pinned,
        dirty,
    })
}

/// Which of `files` hold uncommitted work that writing the given bytes (None:
/// removing the file) would lose: the file exists, differs from what would be
/// written, and git does not have it as it is (modified, staged or untracked).
fn uncommitted(
    ws: &Workspace,
    repo: &Repository,
    workdir: &Path,
    files: &[(&Path, Option<&[u8]>)],
) -> Result<Vec<String>> {
    let mut dirty = Vec::new();
    for (path, new) in files {
        let Ok(now) = std::fs::read(path) else {
            continue;
        };
        if Some(&now[..]) == *new {
            continue;
        }
        let rel = repo_rel(ws, workdir, path)?;
        let clean = repo
            .status_file(&rel)
            .map(|s| s.is_empty())
            .unwrap_or(false);
        if !clean {
            dirty.push(ws.display(path));
        }
    }
    Ok(dirty)
}

/// The one-line refusal for files with uncommitted changes.
pub fn dirty_error(files: &[String]) -> Error {
    Error::Git(format!(
        "{} {} uncommitted changes that the rollback would overwrite; commit or stash them, or re-run with --force to discard them",
        files.join(" and "),
        if files.len() == 1 { "has" } else { "have" }
    ))
}

/// Restores the planned version: first invalidates the local seal state (so the
/// next `seal --env` reseals every key), then writes the sealed file and the
/// record atomically, bytes exactly as in git. Holds the env's lock throughout.
///
/// Refuses (a [`Error::Git`], nothing written) when the sealed file or the record
/// has uncommitted changes the rollback would lose, unless `force`.
pub fn apply_rollback(ws: &Workspace, plan: &RollbackPlan, force: bool) -> Result<()> {
    let env = ws.env(&plan.env)?;
    let _lock = lock_env(ws, &env)?;
    let path = sealed_path(&env);
    if !force {
        let (repo, workdir) = open_repo(ws)?;
        let dirty = uncommitted(
            ws,
            &repo,
            &workdir,
            &[
                (&path, Some(&plan.sealed[..])),
                (&env.record, plan.record.as_deref()),
            ],
        )?;
        if !dirty.is_empty() {
            return Err(dirty_error(&dirty));
        }
    }
    fsio::remove_stale_temps(&[path.parent(), env.record.parent()]);
    match std::fs::remove_file(&env.state) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(ws.display(&env.state), e)),
    }
    fsio::write_atomic(&path, &plan.sealed, Sensitivity::Public)?;
    // The next `seal --env` must not silently undo this: it refuses while the
    // sealed file still holds these bytes, unless --overwrite-rollback.
    fsio::write_atomic(
        &rollback_marker(&env),
        format!(
            "# empseal rollback marker (local, gitignored)\nrev: {}\nsha256: {}\n",
            plan.short,
            sha256_hex(&plan.sealed)
        )
        .as_bytes(),
        Sensitivity::Public,
    )?;
    match &plan.record {
        Some(bytes) => {
            if let Some(dir) = env.record.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(ws.display(dir), e))?;
            }
            fsio::write_atomic(&env.record, bytes, Sensitivity::Public)?;
        }
        None => match std::fs::remove_file(&env.record) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(ws.display(&env.record), e)),
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_diff_classifies_keys() {
        let old: BTreeMap<String, String> = [("A", "1"), ("B", "2"), ("C", "3")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let new: BTreeMap<String, String> = [("B", "2"), ("C", "x"), ("D", "4")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let d = KeyDiff::between(&old, &new);
        assert_eq!(d.added, ["D"]);
        assert_eq!(d.removed, ["A"]);
        assert_eq!(d.changed, ["C"]);
        assert!(KeyDiff::between(&new, &new).is_empty());
    }
}
