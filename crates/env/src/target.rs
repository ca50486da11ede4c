//! What an environment's values are sealed for: the rendered name, namespace
//! and scope of its SealedSecret, which decide the controller's OAEP label.

use serde::{Deserialize, Serialize};

use crate::config::CONFIG_FILE;
use crate::error::{Error, Result};
use crate::rendered::{locate_rendered, parse_rendered, RenderedObject};
use crate::secrets::EnvSecret;
use crate::workspace::{Env, Workspace};
use kubeseal_core::secret::{Scope, SealedSecret, SecretBytes};

/// The name, namespace and scope a SealedSecret's values are sealed for: its
/// rendered identity, which decides the OAEP label the controller uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Rendered `metadata.name`.
    pub name: String,
    /// Rendered `metadata.namespace`.
    pub namespace: String,
    /// Scope (`strict`, `namespace-wide`, `cluster-wide`).
    #[serde(with = "scope_serde")]
    pub scope: Scope,
}

impl Target {
    /// The RSA-OAEP label for values sealed for this target.
    pub fn label(&self) -> Vec<u8> {
        self.scope.label(&self.namespace, &self.name)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} ({})",
            self.namespace,
            self.name,
            self.scope.as_str()
        )
    }
}

mod scope_serde {
    use kubeseal_core::secret::Scope;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: &Scope, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Scope, D::Error> {
        let s = String::deserialize(de)?;
        Scope::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown scope {s:?}")))
    }
}

/// The overlay of one environment rendered by kustomize at most once per
/// command, however many secrets are located in it and keys checked against it.
#[derive(Debug, Default)]
pub struct OverlayRender {
    out: Option<(SecretBytes, Vec<RenderedObject>)>,
    workloads: Option<Vec<serde_yaml::Value>>,
}

impl OverlayRender {
    /// Nothing rendered yet.
    pub fn new() -> OverlayRender {
        OverlayRender::default()
    }

    /// An overlay already built (kustomize's output and its objects): `render`
    /// builds each overlay itself, once, and locates its SealedSecrets in it.
    pub fn from_rendered(out: SecretBytes, objects: Vec<RenderedObject>) -> OverlayRender {
        OverlayRender {
            out: Some((out, objects)),
            workloads: None,
        }
    }

    fn build(&mut self, ws: &Workspace, env: &Env) -> Result<&(SecretBytes, Vec<RenderedObject>)> {
        if self.out.is_none() {
            let shown = ws.display(&env.dir);
            let out = ws.kustomize()?.build(&env.dir, &shown)?;
            let objects = parse_rendered(&shown, &out)?;
            self.out = Some((out, objects));
        }
        Ok(self.out.as_ref().expect("just rendered"))
    }

    /// kustomize's output for `env`'s overlay.
    pub fn bytes(&mut self, ws: &Workspace, env: &Env) -> Result<&[u8]> {
        Ok(&self.build(ws, env)?.0)
    }

    /// The key references of `env`'s rendered workloads (see
    /// [`crate::gate::referenced_keys`]); the render is parsed once for all of
    /// the env's secrets.
    pub fn referenced_keys(
        &mut self,
        ws: &Workspace,
        env: &Env,
        example: &[String],
    ) -> Result<Vec<crate::gate::KeyRef>> {
        if self.workloads.is_none() {
            self.workloads = Some(crate::gate::workload_documents(self.bytes(ws, env)?));
        }
        let documents = self.workloads.as_deref().unwrap_or_default();
        Ok(crate::gate::referenced_keys_in(documents, example))
    }

    /// The rendered objects of `env`'s overlay.
    pub fn objects(&mut self, ws: &Workspace, env: &Env) -> Result<&[RenderedObject]> {
        Ok(&self.build(ws, env)?.1)
    }
}

/// The target of one of `env`'s SealedSecrets (`secret`): configured
/// name/namespace/scope win; the rest comes from the overlay rendered by
/// kustomize (once per `render`, shared by all of the env's secrets).
pub fn resolve_target(
    ws: &Workspace,
    env: &Env,
    secret: &EnvSecret,
    source: Option<&SealedSecret>,
    render: &mut OverlayRender,
) -> Result<Target> {
    let file = secret
        .sealed_secret
        .as_ref()
        .map(|p| ws.display(p))
        .unwrap_or_default();
    let mut target = match (&secret.secret_name, &secret.secret_namespace, source) {
        (Some(name), Some(ns), _) => Target {
            name: name.clone(),
            namespace: ns.clone(),
            scope: source.map(SealedSecret::scope).unwrap_or_default(),
        },
        (_, _, Some(source)) => {
            let shown = ws.display(&env.dir);
            let objects = render.objects(ws, env)?;
            let r = locate_rendered(objects, source, &shown, &file)?;
            Target {
                name: secret.secret_name.clone().unwrap_or_else(|| r.name.clone()),
                namespace: secret
                    .secret_namespace
                    .clone()
                    .unwrap_or_else(|| r.namespace.clone()),
                scope: r.scope(),
            }
        }
        (name, ns, None) => Target {
            name: name.clone().ok_or_else(|| {
                Error::input(format!(
                    "{file}: does not exist yet, so its rendered name is unknown; create it (e.g. a placeholder listed in the kustomization) or set secretName in {CONFIG_FILE}"
                ))
            })?,
            namespace: ns
                .clone()
                .or_else(|| env.namespace.clone())
                .unwrap_or_default(),
            scope: Scope::Strict,
        },
    };
    if let Some(scope) = secret.scope {
        target.scope = scope;
    }
    if target.name.is_empty() {
        return Err(Error::Overlay(format!(
            "{file}: the rendered SealedSecret has no name; give it metadata.name"
        )));
    }
    if target.scope != Scope::ClusterWide && target.namespace.is_empty() {
        return Err(Error::Overlay(format!(
            "{file}: the rendered SealedSecret {} has no namespace; set namespace: in the overlay's kustomization or secretNamespace in {CONFIG_FILE}",
            target.name
        )));
    }
    Ok(target)
}
