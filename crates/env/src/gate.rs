//! The provenance gate of a sealed environment.
//!
//! Offline, nobody can tell which RSA key produced an OAEP ciphertext, so
//! `check` does not guess: it trusts what empseal recorded when it sealed. For an
//! environment with a SealedSecret it verifies that
//! - the pin exists and is consistent (`sealing/cert.pem` with `pin.yaml`),
//! - no certificate of the env's keyring is demo material (a key whose private
//!   half is published in `testdata/keys/`),
//! - the sealed file's bytes are exactly the ones `sealing/record.yaml`
//!   describes (sha256): a value pasted in by hand or sealed elsewhere is caught
//!   every time, whatever its ciphertext looks like,
//! - the record's key is the current pinned key (clean), a previous key still in
//!   the keyring (a note: reseal), or neither (an error).

use std::path::Path;

use crate::pin::{is_demo_fingerprint, load_keyring, load_pin, KeyringEntry, PinnedCert};
use crate::record::{sha256_hex, Record};
use crate::secrets::EnvSecret;
use crate::workspace::{Env, Workspace};
use empseal_lint::{Code, Finding};

/// What the gate found about one environment.
#[derive(Debug, Clone, Default)]
pub struct EnvGate {
    /// Findings (provenance, pin, keyring, demo material).
    pub findings: Vec<Finding>,
    /// The certificate (PEM, shown path) of the key the record says sealed the
    /// file, when the file matches its record and that key is in the keyring:
    /// the key `check` compares values with.
    pub sealing_cert: Option<(Vec<u8>, String)>,
}

/// A gate finding at the top of `file`; `fix` is the env's own remedy, shown in
/// place of the code's generic hint (`None`: the code's hint).
fn finding(code: Code, file: String, message: String, fix: Option<String>) -> Finding {
    Finding {
        code,
        severity: code.severity(),
        file,
        line: 1,
        column: 1,
        message,
        object: None,
        key: None,
        fix,
    }
}

/// Whether empseal manages `env`'s sealing: it has a SealedSecret and any of
/// its pin, keyring or record exists. Path-mode `check` gates such envs; `check
/// --env` gates every env with a SealedSecret.
pub fn is_managed(ws: &Workspace, env: &Env) -> bool {
    let files = env.pin_files(ws);
    env.is_sealed()
        && (files.cert.exists()
            || files.pin.exists()
            || files.keyring_dir().exists()
            || env.secrets.iter().any(|s| s.record.exists()))
}

/// Runs the gate on `env` (nothing when it has no SealedSecret): the pin and
/// keyring once, then each of its sealed secrets against its record.
pub fn check_env(ws: &Workspace, env: &Env) -> EnvGate {
    check_env_secrets(ws, env, &env.secrets)
}

/// [`check_env`] for some of `env`'s secrets (`check --env E --secret NAME`).
pub fn check_env_secrets(ws: &Workspace, env: &Env, secrets: &[EnvSecret]) -> EnvGate {
    let mut out = EnvGate::default();
    if !secrets.iter().any(|s| s.sealed_secret.is_some()) {
        return out;
    }
    let files = env.pin_files(ws);
    let name = &env.name;
    let cert_shown = ws.display(&files.cert);
    let pin_shown = ws.display(&files.pin);
    let refetch = format!("`empseal cert fetch --env {name} --accept-new`");

    // The pin.
    let pinned = match load_pin(&files) {
        Ok(Some(p)) => {
            if !files.pin.exists() {
                out.findings.push(finding(
                    Code::PinMissing,
                    pin_shown.clone(),
                    format!(
                        "env {name}: {pin_shown} is missing, so {cert_shown} is not a pinned certificate (placed or replaced by hand?)"
                    ),
                    Some(format!("restore {pin_shown} from git, or re-pin with {refetch}")),
                ));
            }
            Some(p)
        }
        Ok(None) => {
            out.findings.push(finding(
                Code::PinMissing,
                cert_shown.clone(),
                format!(
                    "env {name} has no pinned certificate ({cert_shown} and {pin_shown} are missing), so its values cannot be checked"
                ),
                Some(format!("pin the controller's certificate with {refetch}")),
            ));
            None
        }
        Err(e) => {
            out.findings.push(finding(
                Code::PinMissing,
                cert_shown.clone(),
                format!("env {name}: {e}"),
                None,
            ));
            None
        }
    };
    let keyring = match load_keyring(&files) {
        Ok(k) => k,
        Err(e) => {
            out.findings.push(finding(
                Code::PinMissing,
                ws.display(&files.keyring_dir()),
                format!("env {name}: {e}"),
                None,
            ));
            Vec::new()
        }
    };

    // Demo material.
    if let Some(p) = &pinned {
        if p.is_demo() {
            out.findings.push(finding(
                Code::DemoKey,
                cert_shown.clone(),
                format!(
                    "env {name} is pinned to a demo certificate ({}) whose private key is published in testdata/keys: anyone can read what is sealed with it",
                    p.fingerprint()
                ),
                Some(format!(
                    "pin the controller's certificate with {refetch} and reseal (`empseal seal --env {name} --all`)"
                )),
            ));
        }
    }
    for k in &keyring {
        if is_demo_fingerprint(&k.fingerprint) {
            out.findings.push(finding(
                Code::DemoKey,
                ws.display(&k.path),
                format!(
                    "env {name}'s keyring holds a demo certificate ({}) whose private key is published in testdata/keys",
                    k.fingerprint
                ),
                Some(format!(
                    "reseal to the current key (`empseal seal --env {name} --all`) and retire it with `empseal cert retire --env {name} {}`",
                    k.fingerprint
                )),
            ));
        }
    }

    for secret in secrets {
        let Some(sealed_path) = secret.sealed_secret.as_deref() else {
            continue;
        };
        check_secret(
            ws,
            env,
            secret,
            sealed_path,
            pinned.as_ref(),
            &keyring,
            &mut out,
        );
    }
    out
}

/// The gate's check of one sealed file against its record and the keys.
fn check_secret(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    sealed_path: &Path,
    pinned: Option<&PinnedCert>,
    keyring: &[KeyringEntry],
    out: &mut EnvGate,
) {
    let name = &env.name;
    let cert_shown = ws.display(&env.pin_files(ws).cert);
    // The sealed file against its record.
    let sealed_shown = ws.display(sealed_path);
    let Ok(bytes) = std::fs::read(sealed_path) else {
        // A missing sealed file breaks kustomize; `seal --env` creates it.
        return;
    };
    let record_shown = ws.display(&secret.record);
    let record = match std::fs::read(&secret.record) {
        Ok(b) => match Record::parse(&record_shown, &b) {
            Ok(r) => r,
            Err(e) => {
                out.findings.push(finding(
                    Code::NoSealRecord,
                    record_shown,
                    e.to_string(),
                    None,
                ));
                return;
            }
        },
        Err(_) => {
            out.findings.push(finding(
                Code::NoSealRecord,
                sealed_shown.clone(),
                format!(
                    "env {name}: {sealed_shown} has no seal record ({record_shown} is missing), so nobody can tell which key sealed it"
                ),
                Some(format!(
                    "reseal with `empseal seal --env {name} --all`, or record the file as it is with `empseal adopt --env {name}`"
                )),
            ));
            return;
        }
    };
    if record.sealed_sha256 != sha256_hex(&bytes) {
        out.findings.push(finding(
            Code::RecordMismatch,
            sealed_shown.clone(),
            format!(
                "env {name}: {sealed_shown} is not the file {record_shown} describes (sha256 differs): values were pasted in by hand or sealed elsewhere, for a key nobody recorded"
            ),
            Some(format!(
                "reseal with `empseal seal --env {name} --all`, or, if you know they were sealed with the pinned certificate, record them with `empseal adopt --env {name}`"
            )),
        ));
        return;
    }
    let Some(pinned) = pinned else {
        return;
    };
    if record.cert_fingerprint == pinned.fingerprint() {
        out.sealing_cert
            .get_or_insert((pinned.pem.clone(), cert_shown));
    } else if let Some(k) = keyring
        .iter()
        .find(|k| k.fingerprint == record.cert_fingerprint)
    {
        out.findings.push(finding(
            Code::PreviousKey,
            sealed_shown.clone(),
            format!(
                "env {name}: {sealed_shown} was sealed for the previous key {} (in the keyring: the controller still decrypts it)",
                k.fingerprint
            ),
            Some(format!(
                "reseal to the current key {} with `empseal seal --env {name} --all`, then retire the old one with `empseal cert retire --env {name} {}`",
                pinned.fingerprint(),
                k.fingerprint
            )),
        ));
        out.sealing_cert
            .get_or_insert((k.pem.clone(), ws.display(&k.path)));
    } else {
        out.findings.push(finding(
            Code::UnknownKey,
            sealed_shown.clone(),
            format!(
                "env {name}: {record_shown} says {sealed_shown} was sealed for key {}, which is neither the pinned key {} nor in the keyring: the controller may not decrypt it",
                record.cert_fingerprint,
                pinned.fingerprint()
            ),
            Some(format!("reseal with `empseal seal --env {name} --all`")),
        ));
    }
}

/// The sealed envs of the workspace holding `path` whose overlay `path` is in
/// or contains (for path-mode `check`); none when `path` is in no workspace.
pub fn envs_for_path(path: &Path) -> Vec<(Workspace, Env)> {
    let Some((abs, ws, envs)) = workspace_around(path) else {
        return Vec::new();
    };
    envs.into_iter()
        .filter(|e| {
            let dir = e.dir.canonicalize().unwrap_or_else(|_| e.dir.clone());
            dir.starts_with(&abs) || abs.starts_with(&dir)
        })
        .filter(|e| is_managed(&ws, e))
        .map(|e| (ws.clone(), e))
        .collect()
}

/// The keys of a committed example env file (`KEY=...` lines), empty when it is
/// missing: the keys `envFrom.secretRef` consumers of a secret need.
pub fn example_file_keys(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = text
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A reference from a rendered object to a key of a secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyRef {
    /// The secret's name.
    pub secret: String,
    /// The key.
    pub key: String,
    /// Who references it (`CronJob emp-cron`), and how.
    pub by: String,
}

fn s(v: &serde_yaml::Value, k: &str) -> Option<String> {
    v.get(k).and_then(|x| x.as_str()).map(str::to_string)
}

fn walk_refs(
    v: &serde_yaml::Value,
    by: &str,
    example: &[String],
    kind: &str,
    out: &mut Vec<KeyRef>,
) {
    use serde_yaml::Value;
    match v {
        Value::Mapping(m) => {
            if let Some(r) = m.get("secretKeyRef") {
                let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
                if let (Some(n), Some(k), false) = (s(r, "name"), s(r, "key"), optional) {
                    out.push(KeyRef {
                        secret: n,
                        key: k,
                        by: format!("{by} (secretKeyRef)"),
                    });
                }
            }
            if let Some(r) = m.get("secretRef") {
                let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
                if let (Some(n), false) = (s(r, "name"), optional) {
                    for k in example {
                        out.push(KeyRef {
                            secret: n.clone(),
                            key: k.clone(),
                            by: format!("{by} (envFrom.secretRef; the example env file's keys)"),
                        });
                    }
                }
            }
            if let Some(sec) = m.get("secret") {
                if let (Some(n), Some(items)) = (
                    s(sec, "secretName"),
                    sec.get("items").and_then(Value::as_sequence),
                ) {
                    let optional = sec.get("optional").and_then(Value::as_bool) == Some(true);
                    for it in items {
                        if let (Some(k), false) = (s(it, "key"), optional) {
                            out.push(KeyRef {
                                secret: n.clone(),
                                key: k,
                                by: format!("{by} (volume items)"),
                            });
                        }
                    }
                }
            }
            if kind == "TriggerAuthentication" || kind == "ClusterTriggerAuthentication" {
                if let Some(items) = m.get("secretTargetRef").and_then(Value::as_sequence) {
                    for it in items {
                        if let (Some(n), Some(k)) = (s(it, "name"), s(it, "key")) {
                            out.push(KeyRef {
                                secret: n,
                                key: k,
                                by: format!("{by} (secretTargetRef)"),
                            });
                        }
                    }
                }
            }
            for (_, x) in m {
                walk_refs(x, by, example, kind, out);
            }
        }
        Value::Sequence(items) => {
            for x in items {
                walk_refs(x, by, example, kind, out);
            }
        }
        _ => {}
    }
}

/// Keys referenced by rendered workloads (`secretKeyRef`, `envFrom.secretRef`
/// with `example` as its required set, KEDA `secretTargetRef`, secret volumes'
/// `items`) that the SealedSecret of the same name does not provide, as
/// `(secret, key, referenced by)`. References to secrets no rendered
/// SealedSecret provides are not judged (they come from elsewhere).
pub fn missing_in_render(rendered: &[u8], example: &[String]) -> Vec<KeyRef> {
    let (provided, refs) = scan_render(rendered, example);
    let mut missing: Vec<KeyRef> = refs
        .into_iter()
        .filter(|r| provided.get(&r.secret).is_some_and(|k| !k.contains(&r.key)))
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

/// Every key reference of the rendered workloads (see [`missing_in_render`]).
pub fn referenced_keys(rendered: &[u8], example: &[String]) -> Vec<KeyRef> {
    scan_render(rendered, example).1
}

/// The rendered objects other than SealedSecrets (the ones that can reference
/// a secret's keys), parsed once so that each of an env's secrets is checked
/// against them without parsing the render again ([`referenced_keys_in`]).
pub fn workload_documents(rendered: &[u8]) -> Vec<serde_yaml::Value> {
    use serde::Deserialize as _;
    serde_yaml::Deserializer::from_slice(rendered)
        .filter_map(|doc| serde_yaml::Value::deserialize(doc).ok())
        .filter(|v| s(v, "kind").as_deref() != Some("SealedSecret"))
        .collect()
}

/// [`referenced_keys`] over documents from [`workload_documents`].
pub fn referenced_keys_in(documents: &[serde_yaml::Value], example: &[String]) -> Vec<KeyRef> {
    let mut refs = Vec::new();
    for v in documents {
        let kind = s(v, "kind").unwrap_or_default();
        let name = v
            .get("metadata")
            .and_then(|m| s(m, "name"))
            .unwrap_or_default();
        walk_refs(v, &format!("{kind} {name}"), example, &kind, &mut refs);
    }
    refs
}

type Provided = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

fn scan_render(rendered: &[u8], example: &[String]) -> (Provided, Vec<KeyRef>) {
    use serde::Deserialize as _;
    use std::collections::BTreeSet;
    let mut provided = Provided::new();
    let mut refs = Vec::new();
    for doc in serde_yaml::Deserializer::from_slice(rendered) {
        let Ok(v) = serde_yaml::Value::deserialize(doc) else {
            continue;
        };
        let kind = s(&v, "kind").unwrap_or_default();
        let name = v
            .get("metadata")
            .and_then(|m| s(m, "name"))
            .unwrap_or_default();
        if kind == "SealedSecret" {
            let spec = v.get("spec");
            let mut keys = BTreeSet::new();
            for field in [
                spec.and_then(|x| x.get("encryptedData")),
                spec.and_then(|x| x.get("template"))
                    .and_then(|t| t.get("data")),
            ]
            .into_iter()
            .flatten()
            {
                if let Some(m) = field.as_mapping() {
                    keys.extend(m.keys().filter_map(|k| k.as_str().map(str::to_string)));
                }
            }
            let tname = spec
                .and_then(|x| x.get("template"))
                .and_then(|t| t.get("metadata"))
                .and_then(|m| s(m, "name"))
                .unwrap_or_else(|| name.clone());
            provided.entry(tname).or_default().extend(keys);
            continue;
        }
        walk_refs(&v, &format!("{kind} {name}"), example, &kind, &mut refs);
    }
    (provided, refs)
}

/// [`missing_in_render`] for `env`'s rendered overlay, as ES707 findings at
/// `origin`. Each secret's `envFrom.secretRef` consumers need its own example
/// keys; with several secrets, a secret's rendered name is found in `rendered`.
pub fn missing_keys(_ws: &Workspace, env: &Env, rendered: &[u8], origin: &str) -> Vec<Finding> {
    let mut refs: Vec<KeyRef> = Vec::new();
    if env.secrets.len() == 1 {
        refs = missing_in_render(rendered, &env.primary().example_keys());
    } else {
        let objects = crate::rendered::parse_rendered(origin, rendered).unwrap_or_default();
        for secret in &env.secrets {
            let rendered_name = secret
                .sealed_secret
                .as_deref()
                .and_then(|p| std::fs::read(p).ok())
                .and_then(|b| crate::sealed_file::read_one_sealed("", &b).ok())
                .and_then(|(obj, _, _)| {
                    crate::rendered::locate_rendered(&objects, &obj, origin, "")
                        .ok()
                        .map(|o| o.name.clone())
                });
            let by_example = |r: &KeyRef| r.by.contains("envFrom.secretRef");
            refs.extend(
                missing_in_render(rendered, &secret.example_keys())
                    .into_iter()
                    .filter(|r| !by_example(r) || Some(&r.secret) == rendered_name.as_ref()),
            );
        }
        refs.sort();
        refs.dedup();
    }
    refs.into_iter()
        .map(|r| {
            finding(
                Code::MissingKey,
                origin.to_string(),
                format!(
                    "env {}: {} needs key {} of secret {}, which its SealedSecret does not hold: the pod will not start",
                    env.name, r.by, r.key, r.secret
                ),
                Some(format!(
                    "add {} to the env file and reseal (`empseal seal --env {}`), or remove the reference",
                    r.key, env.name
                )),
            )
        })
        .collect()
}

/// The canonical overlay directories of the sealed envs ([`Workspace::is_sealed_env`])
/// of the workspace holding `path` (none outside a workspace).
pub fn sealed_dirs_for_path(path: &Path) -> Vec<std::path::PathBuf> {
    let Some((_, ws, envs)) = workspace_around(path) else {
        return Vec::new();
    };
    envs.iter()
        .filter(|e| ws.is_sealed_env(e))
        .filter_map(|e| e.dir.canonicalize().ok())
        .collect()
}

/// `path` made canonical, the workspace holding it (found from the path's directory)
/// and that workspace's envs; `None` when the path does not exist or is in no
/// workspace.
fn workspace_around(path: &Path) -> Option<(std::path::PathBuf, Workspace, Vec<Env>)> {
    let abs = path.canonicalize().ok()?;
    let start = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let ws = Workspace::discover(&start).ok()?;
    let envs = ws.envs().ok()?;
    Some((abs, ws, envs))
}
