//! Recovery: decrypting SealedSecrets back to Secrets with the controller's
//! private keys, as `kubeseal --recovery-unseal` does.
//!
//! Errors name the object and the item, and say whether the key was wrong (or the
//! value was moved to another name/namespace) or the value was tampered with.

use crate::crypto::{self, CryptoError, RsaPrivateKey};
use crate::error::{Error, Result};
use crate::secret::{SealedSecret, Secret};

/// Template annotation that stops the controller from setting owner references.
pub const SKIP_SET_OWNER_REFERENCES_ANNOTATION: &str =
    "sealedsecrets.bitnami.com/skip-set-owner-references";

/// Decrypts every item of `sealed` with the first key that opens it, building the
/// Secret the controller would create (template metadata, owner reference back to
/// the SealedSecret, type, immutable).
pub fn unseal(sealed: &SealedSecret, keys: &[RsaPrivateKey]) -> Result<Secret> {
    let ns = &sealed.metadata.namespace;
    let name = &sealed.metadata.name;
    let object = if ns.is_empty() {
        name.clone()
    } else {
        format!("{ns}/{name}")
    };
    let label = sealed.label();
    let mut secret = Secret {
        metadata: sealed.template.metadata.clone(),
        immutable: sealed.template.immutable,
        type_: sealed.template.type_.clone(),
        ..Default::default()
    };
    secret.metadata.name = name.clone();
    secret.metadata.namespace = ns.clone();
    let mut errors = Vec::new();
    for (item, value) in &sealed.encrypted_data {
        let wire = match crypto::b64_decode(value) {
            Ok(w) => w,
            Err(_) => {
                errors.push(format!("item {item:?} is not valid base64"));
                continue;
            }
        };
        match crypto::hybrid_decrypt(keys, &wire, &label) {
            Ok(plain) => {
                secret.data.insert(item.clone(), plain);
            }
            Err(CryptoError::NoKey) => errors.push(format!(
                "item {item:?}: no given private key decrypts it (wrong key, or sealed for another name, namespace or scope than {} {object})",
                sealed.scope().as_str()
            )),
            Err(CryptoError::Tampered) => errors.push(format!(
                "item {item:?} was tampered with (authentication failed)"
            )),
            Err(e) => errors.push(format!("item {item:?}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Decrypt(format!(
            "cannot unseal SealedSecret {object}: {}",
            errors.join("; ")
        )));
    }
    // spec.template.data: Go templates over the decrypted values, rendered as the
    // controller renders them (a key there replaces an encryptedData key).
    if !sealed.template.data.is_empty() {
        let mut values: std::collections::BTreeMap<String, String> = secret
            .data
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        let mut errors = Vec::new();
        for (key, template) in &sealed.template.data {
            match crate::gotemplate::render(template, &values) {
                Ok(text) => {
                    secret
                        .data
                        .insert(key.clone(), zeroize::Zeroizing::new(text.into_bytes()));
                }
                Err(e) => errors.push(format!("spec.template.data[{key:?}]: {e}")),
            }
        }
        for v in values.values_mut() {
            zeroize::Zeroize::zeroize(v);
        }
        if !errors.is_empty() {
            return Err(Error::Input(format!(
                "cannot unseal SealedSecret {object}: {}",
                errors.join("; ")
            )));
        }
    }
    if sealed
        .template
        .metadata
        .annotations
        .get(SKIP_SET_OWNER_REFERENCES_ANNOTATION)
        .map(String::as_str)
        != Some("true")
    {
        secret.metadata.owner_references = vec![serde_json::json!({
            "apiVersion": "bitnami.com/v1alpha1",
            "kind": "SealedSecret",
            "name": name,
            // The controller's (and kubeseal's) reference carries the SealedSecret's
            // uid; Go's OwnerReference.UID has no omitempty, so it prints "" when the
            // input has none.
            "uid": sealed.metadata.uid,
            "controller": true,
        })];
    }
    Ok(secret)
}

/// Reads private keys as kubeseal's `--recovery-private-key` does: a PEM key
/// (PKCS#1 or PKCS#8), or a backup of the controller's key Secrets (a Secret or a
/// `v1.List` as `kubectl get secret -o yaml|json` prints it).
pub fn load_private_keys(origin: &str, bytes: &[u8]) -> Result<Vec<RsaPrivateKey>> {
    crate::manifest::read_private_key_backup(origin, bytes)?
        .into_iter()
        .map(|k| {
            let what = if k.name.is_empty() {
                origin.to_string()
            } else {
                format!("{origin}: Secret {}/{}", k.namespace, k.name)
            };
            RsaPrivateKey::from_pem(&k.pem)
                .map_err(|e| Error::Cert(format!("{what}: not a usable RSA private key: {e}")))
        })
        .collect()
}
