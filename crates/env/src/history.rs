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
use crate::fsio::Sensitivity;
use crate::lock::lock_env;
use crate::message::one_line;
use crate::plan::WritePlan;
use crate::record::{sha256_hex, Record};
use crate::sealed_file::{is_placeholder, read_one_sealed};
use crate::secrets::{select_secrets, EnvSecret};
use crate::state::rollback_marker;
use crate::target::OverlayRender;
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

/// The SealedSecret file's path of `secret` of `env` (the conventional one when
/// it does not exist in the working tree).
pub fn sealed_path(env: &Env, secret: &EnvSecret) -> PathBuf {
    secret
        .sealed_secret
        .clone()
        .unwrap_or_else(|| env.dir.join(SEALED_SECRET_FILE))
}

/// The secrets `history` and `rollback` work on, each with its rendered name:
/// all of `env`'s, or the one named `name`. An env's only secret, when no name
/// is asked for, needs no name (nothing is rendered).
fn named_secrets(
    ws: &Workspace,
    env: &Env,
    name: Option<&str>,
) -> Result<Vec<(EnvSecret, Option<String>)>> {
    if name.is_none() && env.secrets.len() == 1 {
        return Ok(vec![(env.primary().clone(), None)]);
    }
    Ok(select_secrets(ws, env, name, &mut OverlayRender::new())?
        .into_iter()
        .map(|(s, t)| (s, Some(t.name)))
        .collect())
}

/// The versions of one secret of an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretHistory {
    /// The secret's rendered name (`None`: the env's only secret, not rendered).
    pub secret: Option<String>,
    /// The sealed file, relative to the root.
    pub file: String,
    /// Its versions, newest first.
    pub versions: Vec<Version>,
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

/// `empseal history --env E [--secret NAME]`: per secret, the commits that
/// changed its sealed file, newest first.
pub fn history(ws: &Workspace, env_name: &str, secret: Option<&str>) -> Result<Vec<SecretHistory>> {
    let env = ws.env(env_name)?;
    let (repo, workdir) = open_repo(ws)?;
    named_secrets(ws, &env, secret)?
        .into_iter()
        .map(|(s, name)| {
            let path = sealed_path(&env, &s);
            Ok(SecretHistory {
                secret: name,
                file: ws.display(&path),
                versions: secret_history(ws, &repo, &workdir, &path, &s.record)?,
            })
        })
        .collect()
}

/// The commits that changed the sealed file at `sealed`, whose record is `record`.
fn secret_history(
    ws: &Workspace,
    repo: &Repository,
    workdir: &Path,
    sealed: &Path,
    record: &Path,
) -> Result<Vec<Version>> {
    let sealed_rel = repo_rel(ws, workdir, sealed)?;
    let record_rel = repo_rel(ws, workdir, record)?;
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
        let shown = format!("{}:{}", short_id(repo, oid), sealed_rel.display());
        let (keys, readable, data, placeholders, fingerprint) = match here {
            Some(id) => {
                let bytes = blob_bytes(repo, id)?;
                let data = encrypted_data(&shown, &bytes);
                let record = blob_at(&commit, &record_rel)
                    .map(|rid| blob_bytes(repo, rid))
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
                let pbytes = blob_bytes(repo, pid)?;
                encrypted_data(&shown, &pbytes).unwrap_or_default()
            }
            None => BTreeMap::new(),
        };
        let author = commit.author();
        out.push(Version {
            commit: oid.to_string(),
            short: short_id(repo, oid),
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

/// What a rollback will do (or did): the version restored and its effect on
/// each of the env's secrets.
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
    /// Fingerprint of the currently pinned certificate (None: no readable pin).
    pub pinned: Option<String>,
    /// The secrets restored.
    pub secrets: Vec<SecretRollback>,
    /// Files (relative to the root) with uncommitted changes that the rollback
    /// would overwrite or remove; [`apply_rollback`] refuses them unless forced.
    pub dirty: Vec<String>,
}

/// The restore of one secret's sealed file and record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRollback {
    /// The secret's rendered name (`None`: the env's only secret, not rendered).
    pub name: Option<String>,
    /// The secret (its paths).
    pub secret: EnvSecret,
    /// The sealed file's path.
    pub path: PathBuf,
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
    /// Whether the working tree already holds exactly these bytes.
    pub unchanged: bool,
}

impl RollbackPlan {
    /// Warnings for stderr, one per secret whose restored version was sealed for
    /// a certificate other than the pinned one (or for an unknown one).
    pub fn warnings(&self) -> Vec<String> {
        self.secrets
            .iter()
            .filter_map(|s| match (&s.fingerprint, &self.pinned) {
            (Some(f), Some(p)) if f == p => None,
            (Some(f), Some(p)) => Some(format!(
                "{} at {} was sealed with certificate {f}, but the pinned certificate is {p}; the controller can only decrypt it if it still holds that key",
                s.file, self.short
            )),
            (Some(f), None) => Some(format!(
                "{} at {} was sealed with certificate {f}; there is no readable pinned certificate to compare with",
                s.file, self.short
            )),
            (None, _) => Some(format!(
                "{} at {} has no matching seal record, so the certificate that sealed it is unknown; make sure the controller can decrypt it (empseal validate)",
                s.file, self.short
            )),
        })
            .collect()
    }
}

/// Resolves `rev` and prepares restoring the sealed files (and records) of
/// `env`'s secrets (or of the one named `secret`) from it. Refuses an unknown
/// revision, a revision without a file, and a version holding placeholders.
/// Writes nothing.
pub fn plan_rollback(
    ws: &Workspace,
    env_name: &str,
    rev: &str,
    secret: Option<&str>,
) -> Result<RollbackPlan> {
    let env = ws.env(env_name)?;
    let (repo, workdir) = open_repo(ws)?;
    let chosen = named_secrets(ws, &env, secret)?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| {
            Error::Git(format!(
                "unknown revision {rev:?}; pick a commit from `empseal history --env {env_name}`"
            ))
        })?;
    let short = short_id(&repo, commit.id());
    // A rollback restores a version this branch had: a commit of another
    // branch (a pull request fetched for review) is not in its history.
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| Error::Git(format!("cannot read HEAD: {}", e.message())))?;
    let in_history = head.id() == commit.id()
        || repo
            .graph_descendant_of(head.id(), commit.id())
            .map_err(|e| Error::Git(format!("cannot walk the history: {}", e.message())))?;
    if !in_history {
        return Err(Error::Git(format!(
            "{rev} ({short}) is not in the history of HEAD (another branch?): rollback restores a version this branch had; pick a commit from `empseal history --env {env_name}`, or merge that branch first"
        )));
    }
    let pinned = crate::pin::load_pin(&env.pin_files(ws))
        .ok()
        .flatten()
        .map(|p| p.pin.fingerprint);
    let mut secrets = Vec::new();
    let mut dirty = Vec::new();
    for (s, name) in chosen {
        let path = sealed_path(&env, &s);
        let sealed_rel = repo_rel(ws, &workdir, &path)?;
        let record_rel = repo_rel(ws, &workdir, &s.record)?;
        let file = ws.display(&path);
        let Some(blob) = blob_at(&commit, &sealed_rel) else {
            return Err(Error::Git(format!(
                "{file} does not exist at {rev} ({short}); pick a commit from `empseal history --env {env_name}`{}",
                if env.secrets.len() > 1 && secret.is_none() {
                    " or roll back one secret with --secret NAME"
                } else {
                    ""
                }
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
        let current = std::fs::read(&path).ok();
        let current_data = current
            .as_deref()
            .and_then(|b| encrypted_data(&file, b))
            .unwrap_or_default();
        dirty.extend(uncommitted(
            ws,
            &repo,
            &workdir,
            &[(&path, Some(&sealed[..])), (&s.record, record.as_deref())],
        )?);
        secrets.push(SecretRollback {
            name,
            record_file: ws.display(&s.record),
            keys: object.encrypted_data.keys().cloned().collect(),
            diff: KeyDiff::between(&current_data, &object.encrypted_data),
            unchanged: current.as_deref() == Some(&sealed[..]),
            secret: s,
            path,
            file,
            sealed,
            record,
            fingerprint,
        });
    }
    Ok(RollbackPlan {
        env: env.name.clone(),
        rev: rev.to_string(),
        commit: commit.id().to_string(),
        short,
        pinned,
        secrets,
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

/// Restores the planned version of every planned secret through one
/// [`WritePlan`]: first invalidates their local seal states (so the next `seal
/// --env` reseals every key), then writes each sealed file and record
/// atomically, bytes exactly as in git. Holds the env's lock throughout.
///
/// Refuses (a [`Error::Git`], nothing written) when a sealed file or record
/// has uncommitted changes the rollback would lose, unless `force`.
pub fn apply_rollback(ws: &Workspace, plan: &RollbackPlan, force: bool) -> Result<()> {
    let env = ws.env(&plan.env)?;
    let lock = lock_env(ws, &env)?;
    if !force {
        let (repo, workdir) = open_repo(ws)?;
        let mut dirty = Vec::new();
        for s in &plan.secrets {
            dirty.extend(uncommitted(
                ws,
                &repo,
                &workdir,
                &[
                    (&s.path, Some(&s.sealed[..])),
                    (&s.secret.record, s.record.as_deref()),
                ],
            )?);
        }
        if !dirty.is_empty() {
            return Err(dirty_error(&dirty));
        }
    }
    let mut writes = WritePlan::new();
    writes.confine(&ws.root);
    for s in &plan.secrets {
        writes.cleanup(&[s.path.parent(), s.secret.record.parent()]);
    }
    // Removed when the plan is applied, before any write: a failure before
    // that (kustomize, while planning the rollout patch) leaves the state.
    for s in &plan.secrets {
        writes.remove_required(&s.secret.state, ws.display(&s.secret.state));
    }
    for s in &plan.secrets {
        writes.write(&s.path, s.file.clone(), &s.sealed, Sensitivity::Public);
        // The next `seal --env` must not silently undo this: it refuses while the
        // sealed file still holds these bytes, unless --overwrite-rollback.
        let marker = rollback_marker(&s.secret);
        writes.write(
            &marker,
            ws.display(&marker),
            format!(
                "# empseal rollback marker (local, gitignored)\nrev: {}\nsha256: {}\n",
                plan.short,
                sha256_hex(&s.sealed)
            )
            .as_bytes(),
            Sensitivity::Public,
        );
        match &s.record {
            Some(bytes) => writes.write(
                &s.secret.record,
                s.record_file.clone(),
                bytes,
                Sensitivity::Public,
            ),
            None => writes.remove(&s.secret.record, s.record_file.clone()),
        }
    }
    crate::rollout::plan_env_rollout(
        ws,
        &env,
        &mut crate::target::OverlayRender::new(),
        &mut writes,
    )?;
    writes.hold(lock);
    writes.apply()
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
