//! Building SealedSecrets from Secrets exactly as kubeseal's `Seal` and
//! `NewSealedSecret` do, plus `--raw` values and `--merge-into`.
//!
//! Values are encrypted in parallel across cores. Randomness is drawn from the
//! caller's RNG in a fixed order (one 32-byte seed per value, in key order), so
//! a seeded RNG gives the same bytes however many threads run.

use std::collections::BTreeMap;

use rand::{CryptoRng, RngCore};

use crate::crypto::{self, RsaPublicKey};
use crate::error::{Error, Result};
use crate::secret::{
    ObjectMeta, Scope, SealedSecret, Secret, SecretTemplate, LAST_APPLIED_ANNOTATIONS,
};

/// How to seal, mirroring kubeseal's flags and kubeconfig.
#[derive(Debug, Clone, Default)]
pub struct SealOptions {
    /// `--scope`. kubeseal only rewrites the scope annotations when the scope is not
    /// the default (strict): an annotated input keeps its scope under `--scope strict`.
    pub scope: Scope,
    /// `--name`: overrides the input's `metadata.name`.
    pub name: Option<String>,
    /// Forces the namespace before any check (kubeseal's merge-into uses the target's).
    pub namespace_override: Option<String>,
    /// `--namespace` given explicitly on the command line.
    pub namespace_flag: Option<String>,
    /// The namespace of the current kubeconfig context, else `default`.
    pub context_namespace: String,
    /// `--allow-empty-data`.
    pub allow_empty_data: bool,
}

/// Applies kubeseal's `Seal` preparation to one input Secret: empty-data check,
/// name override, scope annotations, namespace defaulting, read-only fields cleared.
pub fn prepare(secret: &mut Secret, opts: &SealOptions) -> Result<()> {
    if secret.data.is_empty() && secret.string_data.is_empty() && !opts.allow_empty_data {
        return Err(Error::Input(
            "the input Secret has no data; add items, or pass --allow-empty-data to seal an empty Secret"
                .into(),
        ));
    }
    if let Some(name) = opts.name.as_deref().filter(|n| !n.is_empty()) {
        secret.metadata.name = name.to_string();
    }
    if secret.metadata.name.is_empty() {
        return Err(Error::Input(
            "the input Secret has no metadata.name; give one with --name".into(),
        ));
    }
    if let Some(ns) = opts.namespace_override.as_deref().filter(|n| !n.is_empty()) {
        secret.metadata.namespace = ns.to_string();
    }
    if opts.scope != Scope::Strict {
        opts.scope
            .apply_to_annotations(&mut secret.metadata.annotations);
    }
    if secret.scope() != Scope::ClusterWide {
        let ns = opts
            .namespace_flag
            .clone()
            .unwrap_or_else(|| opts.context_namespace.clone());
        if opts.namespace_flag.is_some()
            && !secret.metadata.namespace.is_empty()
            && secret.metadata.namespace != ns
        {
            return Err(Error::Input(format!(
                "namespace mismatch: the input Secret {:?} is in namespace {:?} but --namespace {:?} was given; drop one of them",
                secret.metadata.name, secret.metadata.namespace, ns
            )));
        }
        if secret.metadata.namespace.is_empty() {
            secret.metadata.namespace = ns;
        }
    }
    let m = &mut secret.metadata;
    m.self_link.clear();
    m.uid.clear();
    m.resource_version.clear();
    m.generation = 0;
    m.deletion_timestamp = None;
    m.deletion_grace_period_seconds = None;
    Ok(())
}

/// Encrypts each `(key, plaintext)` for `label` in parallel (see
/// [`crypto::seal_values_parallel`]), returning base64 wire values in item order.
pub fn encrypt_items<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    key: &RsaPublicKey,
    label: &[u8],
    items: &[(&str, &[u8])],
) -> Result<Vec<String>> {
    let values: Vec<&[u8]> = items.iter().map(|(_, v)| *v).collect();
    let wires = crypto::seal_values_parallel(rng, key, label, &values)
        .map_err(|e| Error::Cert(format!("sealing with this certificate failed: {e}")))?;
    Ok(wires.iter().map(|w| crypto::b64_encode(w)).collect())
}

/// kubeseal's `NewSealedSecret`: outer metadata is name + namespace (+ scope
/// annotation); the template is the Secret's metadata minus last-applied
/// annotations and owner references; every data and stringData item is sealed.
pub fn new_sealed_secret<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    key: &RsaPublicKey,
    secret: &Secret,
) -> Result<SealedSecret> {
    let scope = secret.scope();
    if scope != Scope::ClusterWide && secret.metadata.namespace.is_empty() {
        return Err(Error::Input(format!(
            "Secret {:?} must declare a namespace (or be cluster-wide)",
            secret.metadata.name
        )));
    }
    let mut template_meta = secret.metadata.clone();
    for a in LAST_APPLIED_ANNOTATIONS {
        template_meta.annotations.remove(a);
    }
    template_meta.owner_references.clear();

    let label = scope.label(&secret.metadata.namespace, &secret.metadata.name);
    // data first, then stringData (which wins on a shared key), as kubeseal does.
    let mut merged: BTreeMap<&str, &[u8]> = BTreeMap::new();
    for (k, v) in &secret.data {
        merged.insert(k, v);
    }
    for (k, v) in &secret.string_data {
        merged.insert(k, v);
    }
    let items: Vec<(&str, &[u8])> = merged.into_iter().collect();
    let values = encrypt_items(rng, key, &label, &items)?;
    let encrypted_data = items
        .iter()
        .map(|(k, _)| k.to_string())
        .zip(values)
        .collect();

    let mut outer = ObjectMeta {
        name: secret.metadata.name.clone(),
        namespace: secret.metadata.namespace.clone(),
        ..Default::default()
    };
    scope.apply_to_annotations(&mut outer.annotations);
    Ok(SealedSecret {
        metadata: outer,
        template: SecretTemplate {
            metadata: template_meta,
            type_: secret.type_.clone(),
            immutable: secret.immutable,
            data: BTreeMap::new(),
        },
        encrypted_data,
    })
}

/// Seals every input Secret as kubeseal's `Seal` does (prepare, then seal).
pub fn seal_secrets<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    key: &RsaPublicKey,
    secrets: Vec<Secret>,
    opts: &SealOptions,
) -> Result<Vec<SealedSecret>> {
    if secrets.is_empty() {
        return Err(Error::Input(
            "no Secret found in the input; give a Secret manifest (YAML or JSON) or --from-env-file/--from-literal".into(),
        ));
    }
    secrets
        .into_iter()
        .map(|mut s| {
            prepare(&mut s, opts)?;
            new_sealed_secret(rng, key, &s)
        })
        .collect()
}

/// `kubeseal --raw`: one sealed value (base64, no newline) for name/namespace/scope.
pub fn seal_raw<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    key: &RsaPublicKey,
    scope: Scope,
    namespace: &str,
    name: &str,
    value: &[u8],
) -> Result<String> {
    if scope != Scope::ClusterWide && namespace.is_empty() {
        return Err(Error::Input(format!(
            "--raw with --scope {} needs --namespace",
            scope.as_str()
        )));
    }
    if scope == Scope::Strict && name.is_empty() {
        return Err(Error::Input(
            "--raw with --scope strict needs --name".into(),
        ));
    }
    let label = scope.label(namespace, name);
    Ok(encrypt_items(rng, key, &label, &[("raw", value)])?.remove(0))
}

/// kubeseal's `--merge-into`: the update's encrypted items, template labels and
/// annotations (and template data) are added to or replace the original's; every
/// other value of the original stays as it was.
pub fn merge_into(original: &mut SealedSecret, update: &SealedSecret) {
    for (k, v) in &update.encrypted_data {
        original.encrypted_data.insert(k.clone(), v.clone());
    }
    for (k, v) in &update.template.metadata.annotations {
        original
            .template
            .metadata
            .annotations
            .insert(k.clone(), v.clone());
    }
    for (k, v) in &update.template.metadata.labels {
        original
            .template
            .metadata
            .labels
            .insert(k.clone(), v.clone());
    }
    for (k, v) in &update.template.data {
        original.template.data.insert(k.clone(), v.clone());
    }
}
