//! An environment's sealed file: reading the one SealedSecret it holds (with its
//! format and layout), the object a seal starts from, and kubeseal's exact bytes
//! for the object a seal writes back.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::target::Target;
use crate::workspace::Workspace;
use kubeseal_core::secret::{Format, Layout, ObjectMeta, Scope, SealedSecret, SecretTemplate};

/// The sealed file of `env` as it is now: object, style and bytes (None when absent).
pub struct CurrentSealed {
    /// The SealedSecret.
    pub object: SealedSecret,
    /// Its format.
    pub format: Format,
    /// Its layout.
    pub layout: Layout,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Reads `path` (shown as relative to the root); a missing file is `None`.
pub(crate) fn read_current_sealed(ws: &Workspace, path: &Path) -> Result<Option<CurrentSealed>> {
    let shown = ws.display(path);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(shown, e)),
    };
    let (object, format, layout) = read_one_sealed(&shown, &bytes)?;
    Ok(Some(CurrentSealed {
        object,
        format,
        layout,
        bytes,
    }))
}

/// Reads the single SealedSecret of an env's sealed file (bytes), with its style.
pub fn read_one_sealed(shown: &str, bytes: &[u8]) -> Result<(SealedSecret, Format, Layout)> {
    let mut all = kubeseal_core::manifest::read_sealed_secrets(shown, bytes)?;
    if all.len() != 1 {
        return Err(Error::input(format!(
            "{shown}: holds {} SealedSecrets; an environment's sealed file must hold exactly one",
            all.len()
        )));
    }
    let (format, layout) = kubeseal_core::manifest::detect_style(bytes);
    Ok((all.remove(0), format, layout))
}

/// The SealedSecret a seal starts from: the current file's object, else a new
/// one for `target`; either way carrying `target`'s scope annotations and, when
/// configured, the Secret `type_`. The caller then sets its `encryptedData`.
pub(crate) fn base_object(
    current: Option<&CurrentSealed>,
    target: &Target,
    type_: &Option<String>,
) -> SealedSecret {
    let mut object = match current {
        Some(c) => c.object.clone(),
        None => new_object(target),
    };
    apply_scope(&mut object, target.scope);
    if type_.is_some() && object.template.type_ != *type_ {
        object.template.type_ = type_.clone();
    }
    object
}

/// The style a seal writes in: the current file's, else YAML in the current layout.
pub(crate) fn style_of(current: Option<&CurrentSealed>) -> (Format, Layout) {
    current
        .map(|c| (c.format, c.layout))
        .unwrap_or((Format::Yaml, Layout::Current))
}

/// kubeseal's exact bytes for `object` in `format` and `layout`.
pub(crate) fn emit_sealed(object: &SealedSecret, (format, layout): (Format, Layout)) -> Vec<u8> {
    kubeseal_core::emit::document(
        &kubeseal_core::emit::sealed_secret_node(object, layout),
        format,
    )
    .into_bytes()
}

/// A new SealedSecret for `target`, shaped as kubeseal shapes the output of
/// `kubectl create secret generic NAME -n NS --from-env-file F`.
fn new_object(target: &Target) -> SealedSecret {
    let meta = ObjectMeta {
        name: target.name.clone(),
        namespace: if target.scope == Scope::ClusterWide {
            String::new()
        } else {
            target.namespace.clone()
        },
        ..Default::default()
    };
    SealedSecret {
        metadata: meta.clone(),
        template: SecretTemplate {
            metadata: meta,
            ..Default::default()
        },
        encrypted_data: BTreeMap::new(),
    }
}

/// Sets the scope annotations on both metadata blocks, as kubeseal does when a
/// non-default scope is given (strict removes them).
fn apply_scope(object: &mut SealedSecret, scope: Scope) {
    if object.scope() == scope
        && Scope::from_annotations(&object.template.metadata.annotations) == scope
    {
        return;
    }
    scope.apply_to_annotations(&mut object.metadata.annotations);
    scope.apply_to_annotations(&mut object.template.metadata.annotations);
}

/// Whether a sealed value is a placeholder rather than ciphertext (`AgAAAA...`
/// or containing `...`).
pub fn is_placeholder(value: &str) -> bool {
    value.starts_with("AgAAAA") || value.contains("...") || value.trim().is_empty()
}
