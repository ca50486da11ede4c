//! The pinned sealing certificate of an environment.
//!
//! `k8s/overlays/<env>/sealing/cert.pem` holds the controller's certificate and
//! `k8s/overlays/<env>/sealing/pin.yaml` its key fingerprint, validity, where it
//! was fetched and when. Both are public material meant to be committed: sealing
//! for the environment then needs no network, and a controller that suddenly
//! presents another key (a different cluster, a restored backup, a
//! man-in-the-middle) is refused until someone accepts it on purpose.

use kubeseal_core::cert::rfc3339;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::fsio::{write_atomic, Sensitivity};
use kubeseal_core::cert::{CertError, Certificate};

/// Why a pin could not be read, written or trusted.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The certificate itself is unusable (not PEM, not RSA, too small, expired).
    #[error("certificate: {0}")]
    Cert(String),
    /// A fetched certificate carries a different key than the environment's pin.
    #[error("pin: environment {env}: the fetched certificate has a different key than the pinned one: pinned {old} but fetched {new}; nothing was written. If the controller's key was replaced on purpose, re-run with --accept-new and reseal this environment's secrets")]
    PinMismatch {
        /// The environment (overlay directory name).
        env: String,
        /// The pinned certificate: fingerprint, validity, source.
        old: String,
        /// The fetched certificate: fingerprint, validity, source.
        new: String,
    },
    /// The pin files are unreadable or disagree with each other.
    #[error("pin: {}: {detail}", path.display())]
    Pin {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong and what to do.
        detail: String,
    },
}

/// Parses the first certificate of `pem` and refuses keys too small to seal for
/// (expiry is checked by the caller, which knows `now`).
fn inspect(pem: &[u8], origin: &str) -> Result<Certificate, CertError> {
    let c = Certificate::from_pem(pem, origin)?;
    c.check_key()?;
    Ok(c)
}

/// Directory under the overlay holding the pin.
pub const PIN_DIR: &str = "sealing";
/// The pinned certificate's file name.
pub const CERT_FILE: &str = "cert.pem";
/// The pin record's file name.
pub const PIN_FILE: &str = "pin.yaml";
/// Directory beside `cert.pem` holding the environment's previous certificates:
/// keys the controller renewed away from but still holds for decryption.
pub const KEYRING_DIR: &str = "keyring";

/// What `pin.yaml` records about the pinned certificate (only the fingerprint is
/// required: a record written by hand may hold nothing else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pin {
    /// The key fingerprint, `SHA256:...` (the controller's key id).
    pub fingerprint: String,
    /// The certificate's subject.
    #[serde(default)]
    pub subject: String,
    /// Validity start, RFC 3339 UTC.
    #[serde(default)]
    pub not_before: String,
    /// Validity end, RFC 3339 UTC.
    #[serde(default)]
    pub not_after: String,
    /// Where the certificate was fetched (no credentials).
    #[serde(default)]
    pub source: String,
    /// When it was fetched (or last renewed), RFC 3339 UTC.
    #[serde(default)]
    pub fetched_at: String,
    /// Set on demo pins (test key material committed for examples); a fetched
    /// certificate never carries it, so `--accept-new` over a demo pin drops it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub demo: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Pin {
    /// Whether this pin is demo material, whose private key is public: marked
    /// `demo: true`, or a demo certificate by its fingerprint (as a `cert fetch
    /// --env` from a cluster seeded with the demo keys pins it). The one notion
    /// of a demo certificate for sealing's warning, the example-values rule,
    /// the keyring and `check`.
    pub fn is_demo(&self) -> bool {
        self.demo || is_demo_fingerprint(&self.fingerprint)
    }

    fn describe(&self) -> String {
        format!(
            "{} (valid {} to {}, from {}, fetched {})",
            self.fingerprint, self.not_before, self.not_after, self.source, self.fetched_at
        )
    }
}

/// Where one environment's pin lives: the certificate sealing uses and `pin.yaml`
/// beside it. [`crate::workspace::Env::pin_files`] gives them as configured
/// (`empseal.yaml`'s `cert:` included); [`PinFiles::in_overlay`] the convention.
/// Every reader and writer of a pin ([`load_pin`], [`pin_certificate`],
/// [`require_pin`]) takes one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFiles {
    /// The environment's name (for messages).
    pub env: String,
    /// The pinned certificate (`cert.pem`).
    pub cert: PathBuf,
    /// The pin record (`pin.yaml`), beside the certificate.
    pub pin: PathBuf,
    /// Paths in messages are shown relative to this directory (the repository root).
    pub base: PathBuf,
}

impl PinFiles {
    /// The conventional files of the overlay in `overlay_dir`:
    /// `sealing/cert.pem` and `sealing/pin.yaml`; the env is the directory's name.
    pub fn in_overlay(overlay_dir: &Path) -> PinFiles {
        PinFiles {
            env: env_name(overlay_dir),
            cert: cert_path(overlay_dir),
            pin: pin_path(overlay_dir),
            base: PathBuf::new(),
        }
    }

    /// The keyring directory: `keyring/` beside the pinned certificate.
    pub fn keyring_dir(&self) -> PathBuf {
        self.cert
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(KEYRING_DIR)
    }

    /// `path` for messages (relative to [`PinFiles::base`] when under it).
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.base)
            .ok()
            .filter(|r| !r.as_os_str().is_empty() && !self.base.as_os_str().is_empty())
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// An environment's pinned certificate, its two files consistent: the one type
/// for a pin, whether `cert fetch --env` compares with it, sealing uses it, or
/// `check`/`rollback` compare fingerprints with it.
#[derive(Debug, Clone)]
pub struct PinnedCert {
    /// The record.
    pub pin: Pin,
    /// The certificate PEM (what sealing for this environment uses).
    pub pem: Vec<u8>,
    /// Path of `cert.pem`.
    pub cert_path: PathBuf,
    /// Path of `pin.yaml`.
    pub pin_path: PathBuf,
}

/// What [`pin_certificate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinOutcome {
    /// No pin existed; both files were written.
    Created(Pin),
    /// The same certificate is already pinned; nothing was written.
    Unchanged(Pin),
    /// Same key, new certificate (re-issued): both files were rewritten.
    Renewed {
        /// The previous record.
        old: Pin,
        /// The new record.
        new: Pin,
    },
    /// A different key, accepted with `accept_new`: both files were rewritten.
    Replaced {
        /// The previous record.
        old: Pin,
        /// The new record.
        new: Pin,
    },
}

impl PinnedCert {
    /// The pinned key's fingerprint (`SHA256:...`).
    pub fn fingerprint(&self) -> &str {
        &self.pin.fingerprint
    }

    /// Whether the pin is demo (test) material ([`Pin::is_demo`]).
    pub fn is_demo(&self) -> bool {
        self.pin.is_demo()
    }

    /// The certificate, parsed and checked usable at `now` (not expired, RSA of a
    /// usable size), for sealing; `origin` names it in errors.
    pub fn certificate(
        &self,
        origin: &str,
        now: i64,
    ) -> crate::error::Result<kubeseal_core::cert::Certificate> {
        let cert = kubeseal_core::cert::Certificate::from_pem(&self.pem, origin)
            .map_err(|e| crate::error::Error::cert(e.to_string()))?;
        cert.check_usable(now)
            .map_err(|e| crate::error::Error::cert(e.to_string()))?;
        Ok(cert)
    }
}

/// The environment's pin for sealing (never the network): refuses a missing,
/// inconsistent, unreadable or expired one, saying how to fix it.
pub fn require_pin(
    files: &PinFiles,
    now: i64,
) -> crate::error::Result<(PinnedCert, kubeseal_core::cert::Certificate)> {
    let Some(pinned) = load_pin(files)? else {
        return Err(crate::error::Error::cert(format!(
            "{}: no pinned certificate for env {}; run `empseal cert fetch --env {}`",
            files.shown(&files.cert),
            files.env,
            files.env
        )));
    };
    if !files.pin.exists() {
        return Err(crate::error::Error::cert(format!(
            "{}: missing, so {} is not a pinned certificate (placed or replaced by hand?); nothing was sealed. Restore {} from git, or pin the controller's certificate with `empseal cert fetch --env {} --accept-new`",
            files.shown(&files.pin),
            files.shown(&files.cert),
            files.shown(&files.pin),
            files.env
        )));
    }
    let cert = pinned.certificate(&files.shown(&files.cert), now)?;
    Ok((pinned, cert))
}

impl PinOutcome {
    /// The record now in effect.
    pub fn pin(&self) -> &Pin {
        match self {
            PinOutcome::Created(p) | PinOutcome::Unchanged(p) => p,
            PinOutcome::Renewed { new, .. } | PinOutcome::Replaced { new, .. } => new,
        }
    }

    /// Whether files were written.
    pub fn wrote(&self) -> bool {
        !matches!(self, PinOutcome::Unchanged(_))
    }
}

/// `<overlay_dir>/sealing/cert.pem`.
pub fn cert_path(overlay_dir: &Path) -> PathBuf {
    overlay_dir.join(PIN_DIR).join(CERT_FILE)
}

/// `<overlay_dir>/sealing/pin.yaml`.
pub fn pin_path(overlay_dir: &Path) -> PathBuf {
    overlay_dir.join(PIN_DIR).join(PIN_FILE)
}

fn env_name(overlay_dir: &Path) -> String {
    overlay_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| overlay_dir.display().to_string())
}

/// Pins `pem` (fetched from `source`) as the environment's certificate.
///
/// - no pin yet: writes `cert.pem` and `pin.yaml` ([`PinOutcome::Created`]);
/// - same certificate: writes nothing ([`PinOutcome::Unchanged`]);
/// - same key, another certificate: rewrites both ([`PinOutcome::Renewed`]);
/// - another key: refuses with [`PinError::PinMismatch`] (old and new
///   fingerprint and validity; nothing written) unless `accept_new`
///   ([`PinOutcome::Replaced`]).
///
/// The certificate must parse, be RSA of at least 2048 bits and not be expired
/// at `now` (Unix seconds). Each file is written atomically; `cert.pem` first, so
/// an interruption leaves a pair that [`load_pin`] reports as inconsistent, never
/// a silently wrong one.
pub fn pin_certificate(
    files: &PinFiles,
    pem: &[u8],
    source: &str,
    accept_new: bool,
    now: i64,
) -> Result<PinOutcome, PinError> {
    let (outcome, previous) = plan_pin(files, pem, source, accept_new, now)?;
    if matches!(outcome, PinOutcome::Unchanged(_)) {
        return Ok(outcome);
    }
    let new_cert = inspect(pem, source).map_err(|e| PinError::Cert(e.to_string()))?;
    let (cpath, ppath) = (&files.cert, &files.pin);
    // The replaced key goes to the keyring (the controller keeps old keys for
    // decryption), before the pin moves on; a key accepted back leaves it.
    let retired = previous
        .map(|der| {
            let old =
                inspect(&der_to_pem(&der), "keyring").map_err(|e| PinError::Cert(e.to_string()))?;
            let path = files
                .keyring_dir()
                .join(keyring_file_name(&old.fingerprint()));
            Ok((old, path))
        })
        .transpose()?;
    // The pin of a repository's env is written only inside it (no link carries it out).
    if !files.base.as_os_str().is_empty() {
        let keyring_file = retired.as_ref().map(|(_, path)| path);
        for p in [cpath, ppath].into_iter().chain(keyring_file) {
            crate::fsio::ensure_inside(p, &files.shown(p), &files.base).map_err(to_pin_err)?;
        }
    }
    for dir in [cpath.parent(), ppath.parent()].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|e| crate_io(dir, e))?;
    }
    if let Some((old, path)) = &retired {
        let kdir = files.keyring_dir();
        std::fs::create_dir_all(&kdir).map_err(|e| crate_io(&kdir, e))?;
        write_atomic(path, canonical_pem(old).as_bytes(), Sensitivity::Public)
            .map_err(to_pin_err)?;
    }
    for entry in load_keyring(files)? {
        if entry.fingerprint == new_cert.fingerprint() {
            std::fs::remove_file(&entry.path).map_err(|e| crate_io(&entry.path, e))?;
        }
    }
    write_atomic(
        cpath,
        canonical_pem(&new_cert).as_bytes(),
        Sensitivity::Public,
    )
    .map_err(to_pin_err)?;
    write_atomic(
        ppath,
        render_pin(outcome.pin(), &files.env).as_bytes(),
        Sensitivity::Public,
    )
    .map_err(to_pin_err)?;
    Ok(outcome)
}

/// What [`pin_certificate`] would do, with the same checks and refusals, writing
/// nothing (`cert fetch --env E --dry-run`).
pub fn plan_pin_certificate(
    files: &PinFiles,
    pem: &[u8],
    source: &str,
    accept_new: bool,
    now: i64,
) -> Result<PinOutcome, PinError> {
    plan_pin(files, pem, source, accept_new, now).map(|(outcome, _)| outcome)
}

/// [`plan_pin_certificate`], plus the DER of a replaced (non-demo) key that
/// belongs in the keyring.
fn plan_pin(
    files: &PinFiles,
    pem: &[u8],
    source: &str,
    accept_new: bool,
    now: i64,
) -> Result<(PinOutcome, Option<Vec<u8>>), PinError> {
    let new_cert = inspect(pem, source).map_err(|e| PinError::Cert(e.to_string()))?;
    // Expired when `now` is after notAfter, as kubeseal (and `cert`) judge it.
    if now > new_cert.not_after {
        return Err(PinError::Cert(
            kubeseal_core::cert::CertError::Expired {
                origin: source.to_string(),
                not_after: rfc3339(new_cert.not_after),
            }
            .to_string(),
        ));
    }
    let new_pin = Pin {
        fingerprint: new_cert.fingerprint(),
        subject: new_cert.subject.clone(),
        not_before: rfc3339(new_cert.not_before),
        not_after: rfc3339(new_cert.not_after),
        source: source.to_string(),
        fetched_at: rfc3339(now),
        demo: false,
    };
    let env = files.env.clone();
    let ppath = files.pin.clone();

    let mut previous: Option<Vec<u8>> = None;
    let outcome = match read_existing(files)? {
        Existing::None => PinOutcome::Created(new_pin),
        Existing::Consistent { pin, der } => {
            if pin.fingerprint == new_cert.fingerprint() {
                if der == new_cert.der {
                    if ppath.exists() {
                        return Ok((PinOutcome::Unchanged(pin), None));
                    }
                    // A cert.pem placed by hand without its record: write the record.
                    PinOutcome::Created(new_pin)
                } else {
                    PinOutcome::Renewed {
                        old: pin,
                        new: new_pin,
                    }
                }
            } else if accept_new {
                // A demo pin was never a controller's key: it is not kept.
                if !pin.is_demo() {
                    previous = Some(der);
                }
                PinOutcome::Replaced {
                    old: pin,
                    new: new_pin,
                }
            } else {
                return Err(PinError::PinMismatch {
                    env,
                    old: pin.describe(),
                    new: new_pin.describe(),
                });
            }
        }
        Existing::Broken { path, detail, pin } => {
            if !accept_new {
                return Err(PinError::Pin {
                    path: PathBuf::from(files.shown(&path)),
                    detail: format!(
                        "{detail}; nothing was written: restore the pin from git, or re-run with --accept-new to replace it with the fetched certificate {}",
                        new_pin.describe()
                    ),
                });
            }
            match pin {
                Some(old) => PinOutcome::Replaced { old, new: new_pin },
                None => PinOutcome::Created(new_pin),
            }
        }
    };
    Ok((outcome, previous))
}

/// Reads the environment's pin, if there is one, checking that the certificate
/// is the one `pin.yaml` records. `Ok(None)` when neither file exists. A
/// certificate without `pin.yaml` (placed by hand) is the pin; `pin.yaml`
/// without its certificate, or files that disagree, are an error.
pub fn load_pin(files: &PinFiles) -> Result<Option<PinnedCert>, PinError> {
    match read_existing(files)? {
        Existing::None => Ok(None),
        Existing::Broken { path, detail, .. } => Err(PinError::Pin {
            path: PathBuf::from(files.shown(&path)),
            detail: format!(
                "{detail}; restore the pin from git, or fetch it again with `empseal cert fetch --env {} --accept-new`",
                files.env
            ),
        }),
        Existing::Consistent { pin, .. } => {
            let pem = std::fs::read(&files.cert).map_err(|e| PinError::Pin {
                path: PathBuf::from(files.shown(&files.cert)),
                detail: format!("cannot read: {e}"),
            })?;
            Ok(Some(PinnedCert {
                pin,
                pem,
                cert_path: files.cert.clone(),
                pin_path: files.pin.clone(),
            }))
        }
    }
}

enum Existing {
    None,
    Consistent {
        pin: Pin,
        der: Vec<u8>,
    },
    Broken {
        path: PathBuf,
        detail: String,
        pin: Option<Pin>,
    },
}

fn read_existing(files: &PinFiles) -> Result<Existing, PinError> {
    let cpath = files.cert.clone();
    let ppath = files.pin.clone();
    let cert_bytes = read_opt(&cpath)?;
    let pin_bytes = read_opt(&ppath)?;
    let pin = match &pin_bytes {
        None => None,
        Some(b) => match serde_yaml::from_slice::<Pin>(b) {
            Ok(p) => Some(p),
            Err(e) => {
                let at = e
                    .location()
                    .map(|l| format!(" at line {}", l.line()))
                    .unwrap_or_default();
                return Ok(Existing::Broken {
                    path: ppath,
                    detail: format!("not a valid pin record{at}"),
                    pin: None,
                });
            }
        },
    };
    let cert = match &cert_bytes {
        None => None,
        Some(b) => match inspect(b, &files.shown(&cpath)) {
            Ok(c) => Some(c),
            Err(e) => {
                return Ok(Existing::Broken {
                    path: cpath,
                    detail: format!("the pinned certificate is unusable ({e})"),
                    pin,
                })
            }
        },
    };
    Ok(match (pin, cert) {
        (None, None) => Existing::None,
        (Some(p), None) => Existing::Broken {
            path: cpath,
            detail: format!(
                "missing, but {} records {}",
                files.shown(&ppath),
                p.fingerprint
            ),
            pin: Some(p),
        },
        // A certificate placed by hand, never pinned: treat it as the pin.
        (None, Some(c)) => Existing::Consistent {
            pin: Pin {
                fingerprint: c.fingerprint(),
                subject: c.subject.clone(),
                not_before: rfc3339(c.not_before),
                not_after: rfc3339(c.not_after),
                source: files.shown(&cpath),
                fetched_at: "unknown".to_string(),
                demo: false,
            },
            der: c.der,
        },
        (Some(p), Some(c)) if p.fingerprint == c.fingerprint() => {
            Existing::Consistent { pin: p, der: c.der }
        }
        (Some(p), Some(c)) => Existing::Broken {
            path: cpath,
            detail: format!(
                "holds key {} but {} records {}: the two files disagree (edited by hand?)",
                c.fingerprint(),
                files.shown(&ppath),
                p.fingerprint
            ),
            pin: Some(p),
        },
    })
}

fn read_opt(path: &Path) -> Result<Option<Vec<u8>>, PinError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PinError::Pin {
            path: path.to_path_buf(),
            detail: format!("cannot read: {e}"),
        }),
    }
}

fn crate_io(path: &Path, e: std::io::Error) -> PinError {
    PinError::Pin {
        path: path.to_path_buf(),
        detail: format!("cannot create: {e}"),
    }
}

fn to_pin_err(e: crate::error::Error) -> PinError {
    match e {
        crate::error::Error::Core(kubeseal_core::Error::Io { path, source }) => PinError::Pin {
            path,
            detail: format!("cannot write: {source}"),
        },
        other => PinError::Pin {
            path: PathBuf::new(),
            detail: other.to_string(),
        },
    }
}

fn canonical_pem(c: &Certificate) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(&c.der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn render_pin(pin: &Pin, env: &str) -> String {
    let body = serde_yaml::to_string(pin).unwrap_or_default();
    format!(
        "# The sealing certificate pinned for environment {env} (public material: commit it).\n\
         # Written by `empseal cert fetch --env {env}`; sealing for {env} uses cert.pem beside it.\n\
         # A certificate with another key is refused unless fetched with --accept-new.\n{body}"
    )
}

fn der_to_pem(der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out.into_bytes()
}

/// A previous certificate of an environment (in `sealing/keyring/`): a key the
/// controller renewed away from but still holds, so values sealed for it still
/// decrypt.
#[derive(Debug, Clone)]
pub struct KeyringEntry {
    /// The key fingerprint, `SHA256:...`.
    pub fingerprint: String,
    /// The certificate's `notAfter`, RFC 3339 UTC.
    pub not_after: String,
    /// The certificate PEM.
    pub pem: Vec<u8>,
    /// Its file.
    pub path: PathBuf,
}

/// The keyring file name for a fingerprint: 16 hex digits of its SHA-256 (the
/// fingerprint itself holds `/` and `+`). Readers never rely on the name.
pub fn keyring_file_name(fingerprint: &str) -> String {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(fingerprint.as_bytes());
    format!("{}.pem", &hex::encode(h)[..16])
}

/// The environment's previous certificates (`sealing/keyring/*.pem`), sorted by
/// fingerprint; none when the directory does not exist. An unreadable or
/// unparseable file is an error naming it.
pub fn load_keyring(files: &PinFiles) -> Result<Vec<KeyringEntry>, PinError> {
    let dir = files.keyring_dir();
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(PinError::Pin {
                path: PathBuf::from(files.shown(&dir)),
                detail: format!("cannot read: {e}"),
            })
        }
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| PinError::Pin {
            path: PathBuf::from(files.shown(&dir)),
            detail: format!("cannot read: {e}"),
        })?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("pem") {
            continue;
        }
        let pem = std::fs::read(&path).map_err(|e| PinError::Pin {
            path: PathBuf::from(files.shown(&path)),
            detail: format!("cannot read: {e}"),
        })?;
        let c = inspect(&pem, &files.shown(&path)).map_err(|e| PinError::Pin {
            path: PathBuf::from(files.shown(&path)),
            detail: format!(
                "not a usable keyring certificate ({e}); restore it from git or retire it with `empseal cert retire --env {} FINGERPRINT`",
                files.env
            ),
        })?;
        out.push(KeyringEntry {
            fingerprint: c.fingerprint(),
            not_after: rfc3339(c.not_after),
            pem,
            path,
        });
    }
    out.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    Ok(out)
}

/// Removes a previous key from the environment's keyring (the controller no
/// longer holds it: values sealed for it would not decrypt). Refuses the current
/// key and a fingerprint that is not in the keyring.
pub fn retire_key(files: &PinFiles, fingerprint: &str) -> Result<KeyringEntry, PinError> {
    if let Some(p) = load_pin(files)? {
        if p.fingerprint() == fingerprint {
            return Err(PinError::Pin {
                path: PathBuf::from(files.shown(&files.cert)),
                detail: format!(
                    "{fingerprint} is env {}'s current key, not a previous one; pin the controller's new key first (`empseal cert fetch --env {} --accept-new`)",
                    files.env, files.env
                ),
            });
        }
    }
    let ring = load_keyring(files)?;
    let Some(entry) = ring.into_iter().find(|e| e.fingerprint == fingerprint) else {
        return Err(PinError::Pin {
            path: PathBuf::from(files.shown(&files.keyring_dir())),
            detail: format!(
                "no previous key {fingerprint} in env {}'s keyring; `empseal history --env {}` and the files there list the fingerprints",
                files.env, files.env
            ),
        });
    };
    std::fs::remove_file(&entry.path).map_err(|e| PinError::Pin {
        path: PathBuf::from(files.shown(&entry.path)),
        detail: format!("cannot remove: {e}"),
    })?;
    Ok(entry)
}

/// Fingerprints of the demo certificates committed in `testdata/keys/`, whose
/// private keys are public: computed from the certificates (once), never
/// hard-coded.
fn demo_fingerprints() -> &'static [String] {
    static FINGERPRINTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    FINGERPRINTS.get_or_init(compute_demo_fingerprints)
}

fn compute_demo_fingerprints() -> Vec<String> {
    const DEMO: &[(&str, &[u8])] = &[
        (
            "demo-dev.crt",
            include_bytes!("../../../testdata/keys/demo-dev.crt"),
        ),
        (
            "demo-paper.crt",
            include_bytes!("../../../testdata/keys/demo-paper.crt"),
        ),
        (
            "demo-prod.crt",
            include_bytes!("../../../testdata/keys/demo-prod.crt"),
        ),
    ];
    DEMO.iter()
        .filter_map(|(name, pem)| inspect(pem, name).ok().map(|c| c.fingerprint()))
        .collect()
}

/// Whether `fingerprint` (`SHA256:...`) is the fingerprint of a demo certificate in
/// `testdata/keys/`, whose private keys are public.
pub fn is_demo_fingerprint(fingerprint: &str) -> bool {
    demo_fingerprints().iter().any(|d| d == fingerprint)
}
