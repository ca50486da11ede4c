//! `sealing/record.yaml`: the committed record of which certificate sealed an
//! environment's SealedSecret file, for what, when and which keys; and the
//! digests and timestamps it is written with.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::message::one_line;
use crate::secrets::EnvSecret;
use crate::target::Target;
use crate::workspace::{Env, Workspace};

/// `sealing/record.yaml`: the committed record of which certificate sealed the
/// env's SealedSecret file, for what, when and which keys. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The environment.
    pub env: String,
    /// The sealed file, relative to the record's directory's parent (the overlay).
    pub sealed_secret: String,
    /// The controller key fingerprint (`SHA256:...`) of the certificate used.
    pub cert_fingerprint: String,
    /// Name, namespace and scope the values are sealed for.
    pub sealed_for: Target,
    /// When, RFC 3339 UTC.
    pub sealed_at: String,
    /// SHA-256 (hex) of the sealed file's bytes this record describes.
    pub sealed_sha256: String,
    /// Every key in the sealed file.
    pub keys: Vec<String>,
    /// The keys (re)sealed by the run that wrote this record.
    pub resealed: Vec<String>,
}

const RECORD_HEADER: &str = "# Written by empseal (seal --env, rotate, rollback). Records which certificate\n# sealed the SealedSecret file; commit it with that file. It holds no secret.\n";

impl Record {
    /// The record's file bytes (a comment header, then YAML).
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = serde_yaml::to_string(self).expect("a record always serializes");
        format!("{RECORD_HEADER}{body}").into_bytes()
    }

    /// Parses a record; `origin` names it in errors.
    pub fn parse(origin: &str, bytes: &[u8]) -> Result<Record> {
        serde_yaml::from_slice(bytes).map_err(|e| {
            Error::input(format!(
                "{origin}: not a readable seal record: {}; restore it from git or reseal with `empseal seal --env ENV --all`",
                one_line(&e.to_string())
            ))
        })
    }
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How a record names its sealed file: relative to the directory that holds the
/// record's `sealing/` directory (the overlay, by default), else as given.
pub(crate) fn record_sealed_path(env: &Env, secret: &EnvSecret, path: &Path) -> String {
    path.strip_prefix(
        secret
            .record
            .parent()
            .and_then(Path::parent)
            .unwrap_or(&env.dir),
    )
    .unwrap_or(path)
    .display()
    .to_string()
}

/// Whether the record file must be (re)written: missing, unreadable, or
/// describing other bytes, another certificate, target or key set. A run that
/// changed nothing leaves an accurate record alone (no git noise).
pub(crate) fn record_file_differs(secret: &EnvSecret, record: &Record) -> bool {
    match std::fs::read(&secret.record) {
        Ok(b) => Record::parse("", &b)
            .map(|old| {
                old.env != record.env
                    || old.sealed_secret != record.sealed_secret
                    || old.sealed_sha256 != record.sealed_sha256
                    || old.cert_fingerprint != record.cert_fingerprint
                    || old.sealed_for != record.sealed_for
                    || old.keys != record.keys
            })
            .unwrap_or(true),
        Err(_) => true,
    }
}

/// The record file as it is now: `None` when it is missing or not a readable
/// record (the caller then trusts only the local state, or reseals); an error
/// only when the file exists but cannot be read.
pub(crate) fn read_record_file(ws: &Workspace, secret: &EnvSecret) -> Result<Option<Record>> {
    match std::fs::read(&secret.record) {
        Ok(b) => Ok(Record::parse(&ws.display(&secret.record), &b).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(ws.display(&secret.record), e)),
    }
}
