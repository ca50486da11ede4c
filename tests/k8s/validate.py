#!/usr/bin/env python3
"""Validate rendered EMP manifests the way the API server and the controllers would.

Used by the Rust integration tests in tests/k8s_*.rs (and usable by hand):

  validate.py check --rendered FILE [--crds DIR] [--namespace NS]
                    [--sealed-source FILE]... [--external-secret NS/NAME]...
                    [--external-claim NAME]... [--k8s-version 1.30]
      Every object against its schema (core kinds: the Kubernetes OpenAPI
      schemas bundled with PyPI kubernetes-validate, strict, i.e. unknown
      fields are errors as with kubectl's default --validate=strict; custom
      kinds: the openAPIV3Schema of their CRD in DIR, by default
      testdata/crds), object names as the API
      server checks them, SealedSecret metadata == spec.template.metadata,
      every reference (Secrets and their keys, ConfigMaps, ServiceAccounts,
      TriggerAuthentications, Services, claims, $(VAR) in args, KEDA
      *FromEnv) resolves inside the rendered set, downward-API env fields
      are ones the API server accepts, every namespaced object is
      in NS, and (with --sealed-source, once per sealed file of the
      overlay) kustomize left the overlay's SealedSecrets exactly as the
      files have them, and rendered no other.

  validate.py drift --base FILE --rendered FILE --overlay DIR --env ENV
      Every difference between the rendered env and the rendered base is
      declared by the overlay: its patch files (strategic merge or JSON 6902),
      its namespace, its name suffix, its images entry and its Secret.

  validate.py refs --rendered FILE
      Every reference every object makes (JSON), for tests to assert on.

  validate.py kubeseal-json --file sealedsecret.yaml
      Rebuilds, from the file's names and keys only, the object kubeseal
      would print, as JSON in kubeseal's field order (fed to Go's
      sigs.k8s.io/yaml by the tests to compare bytes).

Output: one JSON document {"findings": [{"code", "object", "message"}...]} on
stdout. Exit 0 when there are no findings, 1 when there are, 2 on usage or
input errors (message on stderr).
"""

import argparse
import copy
import json
import os
import re
import sys

try:
    import jsonschema
    import kubernetes_validate
    import kubernetes_validate.utils as kvu
    import referencing
    import yaml
except ImportError as e:  # pragma: no cover - exercised on fresh machines
    sys.stderr.write(
        "validate.py: missing Python module (%s): run `bash .ci/setup`\n" % e.name)
    sys.exit(2)

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_K8S_VERSION = "1.30"
# The SealedSecret and KEDA CRDs vendored with the repository.
DEFAULT_CRDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "crds")
OBJECT_META_REF = ("https://kubernetes.io/api/_definitions.json#/$defs/"
                   "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
SCOPE_ANNOTATIONS = ("sealedsecrets.bitnami.com/namespace-wide",
                     "sealedsecrets.bitnami.com/cluster-wide")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding",
                  "CustomResourceDefinition", "StorageClass",
                  "PersistentVolume", "ClusterTriggerAuthentication",
                  "PriorityClass", "IngressClass"}


class Findings:
    def __init__(self):
        self.items = []

    def add(self, code, obj, message):
        self.items.append({"code": code, "object": obj, "message": message})


def die(msg):
    sys.stderr.write("validate.py: %s\n" % msg)
    sys.exit(2)


def load_docs(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.load_all(f, Loader=SafeLoader) if d]
    except OSError as e:
        die("cannot read %s: %s" % (path, e.strerror))
    except yaml.YAMLError as e:
        die("%s is not valid YAML: %s" % (path, str(e).replace("\n", " ")))


def oid(obj):
    md = obj.get("metadata") or {}
    ns = md.get("namespace")
    return "%s/%s%s" % (obj.get("kind"), (ns + "/") if ns else "", md.get("name"))


# --------------------------------------------------------------------------
# schemas


def crd_to_jsonschema(node):
    """openAPIV3Schema (structural, with x-kubernetes extensions) -> JSON Schema.

    Unknown fields are errors (kubectl's default --validate=strict makes the
    API server reject them) unless the schema preserves unknown fields.
    """
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("properties", "patternProperties"):
            out[k] = {pk: crd_to_jsonschema(pv) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties", "not"):
            out[k] = crd_to_jsonschema(v)
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [crd_to_jsonschema(x) for x in v]
        elif k.startswith("x-kubernetes-") or k in ("nullable", "description"):
            continue
        else:
            out[k] = v
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        if "anyOf" not in out:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


class Schemas:
    def __init__(self, crds_dir, version):
        self.version = version
        self.crds = {}  # (apiVersion, kind) -> (validator, scope)
        self.crd_kinds = {}  # kind -> [served apiVersions]
        schema_dir = "v%s.0-local-strict" % version
        try:
            defs = kvu.schema_contents(
                "kubernetes-json-schema/%s/_definitions.json" % schema_dir, version)
        except kvu.VersionNotSupportedError:
            die("kubernetes-validate %s has no schemas for Kubernetes %s"
                % (kubernetes_validate.__version__, version))
        self.registry = referencing.Resource.from_contents(defs) @ referencing.Registry()
        if not os.path.isdir(crds_dir):
            die("CRD directory %s does not exist" % crds_dir)
        for fn in sorted(os.listdir(crds_dir)):
            if not fn.endswith((".yaml", ".yml")):
                continue
            for crd in load_docs(os.path.join(crds_dir, fn)):
                if crd.get("kind") != "CustomResourceDefinition":
                    continue
                spec = crd["spec"]
                kind = spec["names"]["kind"]
                for v in spec["versions"]:
                    if not v.get("served", False):
                        continue
                    api = "%s/%s" % (spec["group"], v["name"])
                    schema = crd_to_jsonschema(v["schema"]["openAPIV3Schema"])
                    schema.setdefault("properties", {})["metadata"] = {"$ref": OBJECT_META_REF}
                    schema["required"] = sorted(set(schema.get("required", [])) | {"metadata"})
                    schema["additionalProperties"] = False
                    schema["properties"].setdefault("apiVersion", {"type": "string"})
                    schema["properties"].setdefault("kind", {"type": "string"})
                    validator = jsonschema.Draft202012Validator(schema, registry=self.registry)
                    self.crds[(api, kind)] = (validator, spec.get("scope", "Namespaced"))
                    self.crd_kinds.setdefault(kind, []).append(api)

    def namespaced(self, obj):
        key = (obj.get("apiVersion"), obj.get("kind"))
        if key in self.crds:
            return self.crds[key][1] == "Namespaced"
        return obj.get("kind") not in CLUSTER_SCOPED

    def validate(self, obj, findings):
        key = (obj.get("apiVersion"), obj.get("kind"))
        if key in self.crds:
            validator = self.crds[key][0]
            errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
            for e in errors:
                path = ".".join(str(p) for p in e.absolute_path) or "(root)"
                findings.add("crd-schema", oid(obj), "%s: %s" % (path, e.message))
            return
        if obj.get("kind") in self.crd_kinds:
            findings.add("crd-schema", oid(obj), "apiVersion %s is not served for %s (served: %s)"
                         % (obj.get("apiVersion"), obj.get("kind"),
                            ", ".join(self.crd_kinds[obj["kind"]])))
            return
        # kubernetes-validate's bundled schemas, looked up as its validate()
        # does, but reporting every error rather than the first.
        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", obj["apiVersion"])
        fn = "kubernetes-json-schema/v%s.0-local-strict/%s-%s.json" % (
            self.version, str(obj["kind"]).lower(), api)
        try:
            schema = kvu.schema_contents(fn, self.version)
        except FileNotFoundError:
            findings.add("no-schema", oid(obj), "no schema for %s %s in Kubernetes %s or the CRDs"
                         % (obj["apiVersion"], obj["kind"], self.version))
            return
        validator = jsonschema.Draft202012Validator(schema, registry=self.registry)
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            path = ".".join(str(p) for p in e.absolute_path) or "(root)"
            findings.add("schema", oid(obj), "%s: %s (Kubernetes %s)" % (path, e.message, self.version))


# --------------------------------------------------------------------------
# names as the API server validates them

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def check_names(obj, findings):
    kind = obj.get("kind")
    md = obj.get("metadata") or {}
    name = md.get("name")
    if not isinstance(name, str) or not name:
        findings.add("invalid-name", oid(obj), "metadata.name is missing")
        return
    if kind == "Service":
        ok, rule = DNS1035_LABEL.match(name) and len(name) <= 63, "an RFC 1035 label (at most 63)"
    elif kind == "Namespace":
        ok, rule = DNS1123_LABEL.match(name) and len(name) <= 63, "an RFC 1123 label (at most 63)"
    elif kind == "CronJob":
        ok, rule = DNS1123_SUBDOMAIN.match(name) and len(name) <= 52, \
            "an RFC 1123 subdomain of at most 52 characters"
    else:
        ok, rule = DNS1123_SUBDOMAIN.match(name) and len(name) <= 253, "an RFC 1123 subdomain"
    if not ok:
        findings.add("invalid-name", oid(obj), "name %r must be %s" % (name, rule))
    ns = md.get("namespace")
    if ns is not None and not (DNS1123_LABEL.match(ns) and len(ns) <= 63):
        findings.add("invalid-name", oid(obj), "namespace %r must be an RFC 1123 label" % ns)
    for k, v in (md.get("labels") or {}).items():
        if not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE.match(v):
            findings.add("invalid-name", oid(obj), "label %s has an invalid value %r" % (k, v))
    if kind in ("ConfigMap", "Secret"):
        for section in ("data", "stringData", "binaryData"):
            for k in (obj.get(section) or {}):
                if not CONFIG_KEY.match(k):
                    findings.add("invalid-name", oid(obj), "key %r in %s is not a valid key" % (k, section))


# --------------------------------------------------------------------------
# references


def pod_specs(obj):
    """(path, pod spec) pairs for every pod template an object carries."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return [("spec", spec)]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                "ReplicationController"):
        return [("spec.template.spec", ((spec.get("template") or {}).get("spec") or {}))]
    if kind == "CronJob":
        t = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {})
        return [("spec.jobTemplate.spec.template.spec", t.get("spec") or {})]
    if kind == "ScaledJob":
        t = ((spec.get("jobTargetRef") or {}).get("template") or {})
        return [("spec.jobTargetRef.template.spec", t.get("spec") or {})]
    return []


def containers(pod):
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(field) or []:
            yield field, c


def collect_refs(obj):
    """Every reference an object makes: dicts with kind, name, key, optional, where."""
    refs = []

    def ref(kind, name, where, key=None, optional=False):
        refs.append({"kind": kind, "name": name, "key": key, "optional": bool(optional),
                     "where": where})

    for base, pod in pod_specs(obj):
        if pod.get("serviceAccountName"):
            ref("ServiceAccount", pod["serviceAccountName"], base + ".serviceAccountName")
        for i, s in enumerate(pod.get("imagePullSecrets") or []):
            ref("Secret", s.get("name"), "%s.imagePullSecrets[%d]" % (base, i))
        for field, c in containers(pod):
            cw = "%s.%s[%s]" % (base, field, c.get("name"))
            for i, ef in enumerate(c.get("envFrom") or []):
                if "secretRef" in ef:
                    ref("Secret", ef["secretRef"].get("name"), "%s.envFrom[%d].secretRef" % (cw, i),
                        optional=ef["secretRef"].get("optional"))
                if "configMapRef" in ef:
                    ref("ConfigMap", ef["configMapRef"].get("name"),
                        "%s.envFrom[%d].configMapRef" % (cw, i),
                        optional=ef["configMapRef"].get("optional"))
            for e in c.get("env") or []:
                vf = e.get("valueFrom") or {}
                if "secretKeyRef" in vf:
                    r = vf["secretKeyRef"]
                    ref("Secret", r.get("name"), "%s.env[%s].valueFrom.secretKeyRef" % (cw, e.get("name")),
                        key=r.get("key"), optional=r.get("optional"))
                if "configMapKeyRef" in vf:
                    r = vf["configMapKeyRef"]
                    ref("ConfigMap", r.get("name"),
                        "%s.env[%s].valueFrom.configMapKeyRef" % (cw, e.get("name")),
                        key=r.get("key"), optional=r.get("optional"))
        for v in pod.get("volumes") or []:
            vw = "%s.volumes[%s]" % (base, v.get("name"))
            if "secret" in v:
                s = v["secret"]
                for it in s.get("items") or [{"key": None}]:
                    ref("Secret", s.get("secretName"), vw + ".secret", key=it.get("key"),
                        optional=s.get("optional"))
            if "configMap" in v:
                s = v["configMap"]
                for it in s.get("items") or [{"key": None}]:
                    ref("ConfigMap", s.get("name"), vw + ".configMap", key=it.get("key"),
                        optional=s.get("optional"))
            if "persistentVolumeClaim" in v:
                ref("PersistentVolumeClaim", v["persistentVolumeClaim"].get("claimName"),
                    vw + ".persistentVolumeClaim")
            for j, src in enumerate((v.get("projected") or {}).get("sources") or []):
                for kind, field in (("Secret", "secret"), ("ConfigMap", "configMap")):
                    if field in src:
                        s = src[field]
                        for it in s.get("items") or [{"key": None}]:
                            ref(kind, s.get("name"), "%s.projected.sources[%d].%s" % (vw, j, field),
                                key=it.get("key"), optional=s.get("optional"))
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "TriggerAuthentication":
        for i, r in enumerate(spec.get("secretTargetRef") or []):
            ref("Secret", r.get("name"), "spec.secretTargetRef[%d]" % i, key=r.get("key"))
        for i, r in enumerate(spec.get("configMapTargetRef") or []):
            ref("ConfigMap", r.get("name"), "spec.configMapTargetRef[%d]" % i, key=r.get("key"))
    if kind in ("ScaledJob", "ScaledObject"):
        for i, t in enumerate(spec.get("triggers") or []):
            a = t.get("authenticationRef")
            if a:
                ref(a.get("kind") or "TriggerAuthentication", a.get("name"),
                    "spec.triggers[%d].authenticationRef" % i)
    if kind == "Ingress":
        for i, t in enumerate(spec.get("tls") or []):
            if t.get("secretName"):
                ref("Secret", t["secretName"], "spec.tls[%d].secretName" % i)
        backends = []
        if spec.get("defaultBackend"):
            backends.append(("spec.defaultBackend", spec["defaultBackend"]))
        for i, rule in enumerate(spec.get("rules") or []):
            for j, p in enumerate(((rule.get("http") or {}).get("paths")) or []):
                backends.append(("spec.rules[%d].http.paths[%d].backend" % (i, j), p.get("backend") or {}))
        for where, b in backends:
            if b.get("service"):
                ref("Service", b["service"].get("name"), where + ".service")
    if kind == "ServiceAccount":
        for i, s in enumerate(obj.get("secrets") or []):
            ref("Secret", s.get("name"), "secrets[%d]" % i)
        for i, s in enumerate(obj.get("imagePullSecrets") or []):
            ref("Secret", s.get("name"), "imagePullSecrets[%d]" % i)
    return refs


def produced(objs):
    """(kind, namespace, name) -> set of keys (None: keys unknown) for every object."""
    out = {}
    for o in objs:
        md = o.get("metadata") or {}
        kind, ns, name = o.get("kind"), md.get("namespace"), md.get("name")
        if kind == "Secret":
            out[("Secret", ns, name)] = set(o.get("data") or {}) | set(o.get("stringData") or {})
        elif kind == "SealedSecret":
            tmd = ((o.get("spec") or {}).get("template") or {}).get("metadata") or {}
            spec = o.get("spec") or {}
            keys = set(spec.get("encryptedData") or {}) | set((spec.get("template") or {}).get("data") or {})
            out[("Secret", tmd.get("namespace") or ns, tmd.get("name") or name)] = keys
            out[(kind, ns, name)] = None
        elif kind == "ConfigMap":
            out[(kind, ns, name)] = set(o.get("data") or {}) | set(o.get("binaryData") or {})
        else:
            out[(kind, ns, name)] = None
    return out


ENV_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def check_env_usage(obj, prod, findings):
    """$(VAR) in command/args and KEDA *FromEnv must name a variable the container has."""
    ns = (obj.get("metadata") or {}).get("namespace")
    for base, pod in pod_specs(obj):
        for field, c in containers(pod):
            names = {e.get("name") for e in c.get("env") or []}
            for ef in c.get("envFrom") or []:
                for kind, f in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if f in ef:
                        keys = prod.get((kind, ns, ef[f].get("name")))
                        names |= {(ef.get("prefix") or "") + k for k in (keys or ())}
            for f in ("command", "args"):
                for a in c.get(f) or []:
                    for var in ENV_REF.findall(str(a)):
                        if var not in names:
                            findings.add("unresolved-env", oid(obj), "%s.%s[%s].%s uses $(%s), which the "
                                         "container does not define" % (base, field, c.get("name"), f, var))
            if obj.get("kind") == "ScaledJob" and field == "containers":
                envsrc = (obj.get("spec") or {}).get("envSourceContainerName")
                if envsrc and envsrc != c.get("name"):
                    continue
                for i, t in enumerate((obj.get("spec") or {}).get("triggers") or []):
                    for mk, mv in (t.get("metadata") or {}).items():
                        if mk.endswith("FromEnv") and mv not in names:
                            findings.add("unresolved-env", oid(obj),
                                         "spec.triggers[%d].metadata.%s names %s, which container %s "
                                         "does not define" % (i, mk, mv, c.get("name")))
                if not envsrc:
                    break  # KEDA reads the first container unless told otherwise


# What the API server accepts in env[].valueFrom.fieldRef.fieldPath
# (validEnvDownwardAPIFieldPathExpressions, plus subscripted labels and
# annotations with a valid key).
ENV_FIELD_PATHS = {"metadata.name", "metadata.namespace", "metadata.uid",
                   "spec.nodeName", "spec.serviceAccountName", "status.hostIP",
                   "status.hostIPs", "status.podIP", "status.podIPs"}
SUBSCRIPTED_FIELD_PATH = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")
QUALIFIED_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                            r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def check_field_refs(obj, findings):
    """Downward-API env fields must be ones the API server lets a container read."""
    for base, pod in pod_specs(obj):
        for field, c in containers(pod):
            for e in c.get("env") or []:
                fr = (e.get("valueFrom") or {}).get("fieldRef")
                if fr is None:
                    continue
                path = fr.get("fieldPath")
                m = SUBSCRIPTED_FIELD_PATH.match(path or "")
                if path in ENV_FIELD_PATHS or (m and QUALIFIED_NAME.match(m.group(2))):
                    if fr.get("apiVersion", "v1") != "v1":
                        findings.add("invalid-field-ref", oid(obj), "%s.%s[%s].env[%s]: apiVersion %r "
                                     "(only v1)" % (base, field, c.get("name"), e.get("name"),
                                                     fr.get("apiVersion")))
                    continue
                findings.add("invalid-field-ref", oid(obj), "%s.%s[%s].env[%s]: fieldPath %r is not "
                             "supported by the downward API for environment variables"
                             % (base, field, c.get("name"), e.get("name"), path))


def check_refs(objs, findings, external_secrets, external_claims):
    prod = produced(objs)
    for o in objs:
        ns = (o.get("metadata") or {}).get("namespace")
        for r in collect_refs(o):
            if r["kind"] == "PersistentVolumeClaim":
                if ("PersistentVolumeClaim", ns, r["name"]) not in prod and r["name"] not in external_claims:
                    findings.add("dangling-ref", oid(o), "%s: claim %s is neither rendered nor a declared "
                                 "external claim" % (r["where"], r["name"]))
                continue
            if r["kind"] == "Secret" and "%s/%s" % (ns, r["name"]) in external_secrets:
                continue
            target = (r["kind"], ns, r["name"])
            if target not in prod:
                if r["optional"]:
                    continue
                code = "dangling-secret-ref" if r["kind"] == "Secret" else "dangling-ref"
                findings.add(code, oid(o), "%s: %s %s/%s is not produced by this overlay"
                             % (r["where"], r["kind"], ns, r["name"]))
                continue
            keys = prod[target]
            if r["key"] is not None and keys is not None and r["key"] not in keys and not r["optional"]:
                code = "missing-secret-key" if r["kind"] == "Secret" else "missing-key"
                findings.add(code, oid(o), "%s: %s %s/%s has no key %s (it has: %s)"
                             % (r["where"], r["kind"], ns, r["name"], r["key"],
                                ", ".join(sorted(keys)) or "none"))
        check_env_usage(o, prod, findings)
        check_field_refs(o, findings)


# --------------------------------------------------------------------------
# SealedSecrets


def check_sealed(objs, findings):
    for o in objs:
        if o.get("kind") != "SealedSecret":
            continue
        md = o.get("metadata") or {}
        tmd = ((o.get("spec") or {}).get("template") or {}).get("metadata") or {}
        for field in ("name", "namespace"):
            if md.get(field) != tmd.get(field):
                findings.add("sealed-metadata-mismatch", oid(o),
                             "metadata.%s is %r but spec.template.metadata.%s is %r: the controller "
                             "refuses this, and strict-scope values only decrypt under the name and "
                             "namespace they were sealed for" % (field, md.get(field), field, tmd.get(field)))
        for a in SCOPE_ANNOTATIONS:
            ma = (md.get("annotations") or {}).get(a)
            ta = (tmd.get("annotations") or {}).get(a)
            if ma != ta:
                findings.add("sealed-metadata-mismatch", oid(o),
                             "scope annotation %s is %r in metadata but %r in spec.template.metadata"
                             % (a, ma, ta))
        # kubeseal puts nothing in the outer block that the template lacks;
        # kustomize's labels/annotations transformers add to the outer block
        # only, and the controller's rotate compares the two blocks whole.
        for field in ("labels", "annotations"):
            for k, v in (md.get(field) or {}).items():
                if k in SCOPE_ANNOTATIONS:
                    continue
                if (tmd.get(field) or {}).get(k) != v:
                    findings.add("sealed-metadata-mismatch", oid(o),
                                 "metadata.%s.%s=%r is not in spec.template.metadata: the two "
                                 "blocks must agree" % (field, k, v))
        for k in md:
            if k not in ("name", "namespace", "labels", "annotations"):
                findings.add("sealed-metadata-mismatch", oid(o),
                             "metadata.%s is set; kubeseal's outer metadata carries only name, "
                             "namespace and the scope annotation" % k)


def check_sealed_source(objs, sources, findings):
    """Every SealedSecret of the overlay's sealed files is rendered exactly as its file
    has it, and the render holds no other SealedSecret."""
    want = [(d, s) for s in sources for d in load_docs(s) if d.get("kind") == "SealedSecret"]
    got = [o for o in objs if o.get("kind") == "SealedSecret"]
    for w, source in want:
        match = [g for g in got if g == w]
        if not match:
            same_kind = ", ".join(oid(g) for g in got) or "none"
            findings.add("sealed-changed-by-kustomize", oid(w),
                         "the rendered output does not contain this SealedSecret exactly as %s has it "
                         "(rendered SealedSecrets: %s); kustomize must not rename, move or edit it"
                         % (os.path.basename(source), same_kind))
    if len(got) != len(want):
        findings.add("sealed-changed-by-kustomize", "SealedSecret",
                     "%d SealedSecret(s) rendered but %s %s %d"
                     % (len(got), " and ".join(os.path.basename(s) for s in sources),
                        "has" if len(sources) == 1 else "have", len(want)))


# --------------------------------------------------------------------------
# namespaces


def check_namespaces(objs, namespace, schemas, findings):
    seen = {}
    for o in objs:
        key = oid(o)
        if key in seen:
            findings.add("duplicate-object", key, "rendered twice")
        seen[key] = True
        if namespace is None:
            continue
        md = o.get("metadata") or {}
        if schemas.namespaced(o):
            if md.get("namespace") != namespace:
                findings.add("wrong-namespace", oid(o), "is in namespace %r, expected %r"
                             % (md.get("namespace"), namespace))
        elif o.get("kind") == "Namespace" and md.get("name") != namespace:
            findings.add("wrong-namespace", oid(o), "Namespace object %r, expected %r"
                         % (md.get("name"), namespace))
    if namespace is not None and not any(o.get("kind") == "Namespace" and
                                         (o.get("metadata") or {}).get("name") == namespace for o in objs):
        findings.add("wrong-namespace", "Namespace/" + namespace, "the overlay does not create its namespace")


def cmd_check(args):
    objs = load_docs(args.rendered)
    if not objs:
        die("%s holds no objects" % args.rendered)
    schemas = Schemas(args.crds, args.k8s_version)
    f = Findings()
    for o in objs:
        if not isinstance(o, dict) or "kind" not in o or "apiVersion" not in o:
            f.add("schema", str(o)[:60], "not a Kubernetes object (no apiVersion/kind)")
            continue
        schemas.validate(o, f)
        check_names(o, f)
    objs = [o for o in objs if isinstance(o, dict) and "kind" in o]
    check_sealed(objs, f)
    check_refs(objs, f, set(args.external_secret), set(args.external_claim))
    check_namespaces(objs, args.namespace, schemas, f)
    if args.sealed_source:
        check_sealed_source(objs, args.sealed_source, f)
    return f


# --------------------------------------------------------------------------
# drift: the env differs from base only where the overlay says so


def flatten(node, prefix=()):
    """path tuple -> scalar; named list items are keyed [name], others [index]."""
    out = {}
    if isinstance(node, dict):
        if not node:
            out[prefix] = {}
        for k, v in node.items():
            out.update(flatten(v, prefix + (k,)))
    elif isinstance(node, list):
        if not node:
            out[prefix] = []
        named = all(isinstance(x, dict) and isinstance(x.get("name"), str) for x in node)
        for i, v in enumerate(node):
            out.update(flatten(v, prefix + ("[%s]" % (v["name"] if named else i),)))
    else:
        out[prefix] = node
    return out


def smp_declared(patch, prefix=()):
    """Paths a strategic-merge patch sets (lists of scalars/unnamed items: the whole list;
    a named item: its name, so an item the patch adds, e.g. an imagePullSecrets entry
    that holds only a name, is declared too)."""
    out = []
    if isinstance(patch, dict):
        for k, v in patch.items():
            if prefix == () and k in ("apiVersion", "kind", "metadata"):
                continue
            out += smp_declared(v, prefix + (k,))
    elif isinstance(patch, list):
        if patch and all(isinstance(x, dict) and isinstance(x.get("name"), str) for x in patch):
            for x in patch:
                item = prefix + ("[%s]" % x["name"],)
                out.append(item + ("name",))
                out += smp_declared({k: v for k, v in x.items() if k != "name"}, item)
        else:
            out.append(prefix)
    else:
        out.append(prefix)
    return out


def json6902_declared(ops, base_obj):
    out = []
    for op in ops:
        if op.get("op") in ("test",):
            continue
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node, path = base_obj, []
        for p in parts:
            if isinstance(node, list):
                i = int(p) if p.isdigit() else None
                item = node[i] if i is not None and i < len(node) else None
                named = all(isinstance(x, dict) and isinstance(x.get("name"), str) for x in node)
                path.append("[%s]" % (item["name"] if named and item is not None else p))
                node = item
            else:
                path.append(p)
                node = node.get(p) if isinstance(node, dict) else None
        out.append(tuple(path))
    return out


def renamed(node, rename):
    """The object with every string equal to an env-specific name mapped to its base name."""
    if isinstance(node, dict):
        return {k: renamed(v, rename) for k, v in node.items()}
    if isinstance(node, list):
        return [renamed(v, rename) for v in node]
    if isinstance(node, str):
        return rename.get(node, node)
    return node


def dotted(path):
    return ".".join(path).replace(".[", "[")


def covered(path, declared):
    """Whether a declared path (or a prefix of it) matches; "*" matches any one step."""
    return any(len(path) >= len(d) and all(x == "*" or x == p for x, p in zip(d, path))
               for d in declared)


def replacement_path(field_path):
    """A kustomize replacement fieldPath as a flatten() path: `a.[name=x].b` -> (a, [x], b)."""
    out = []
    for part in re.findall(r"\[[^\]]*\]|[^.\[\]]+", field_path):
        if part.startswith("["):
            out.append("[%s]" % part[1:-1].split("=", 1)[-1])
        else:
            out.append(part)
    return tuple(out)


def base_name(name, env):
    m = re.match(r"^(.*)-%s(-[a-z0-9]{10})?$" % re.escape(env), name or "")
    return m.group(1) if m else name


def cmd_drift(args):
    f = Findings()
    base = load_docs(args.base)
    env = load_docs(args.rendered)
    kz_path = os.path.join(args.overlay, "kustomization.yaml")
    kz = (load_docs(kz_path) or [{}])[0]
    base_ns = next((o["metadata"]["name"] for o in base if o.get("kind") == "Namespace"), None)
    env_ns = kz.get("namespace")

    def key(o):
        return (o.get("kind"), base_name(o["metadata"]["name"], args.env))

    # renamed values: env names (and namespace) back to base names
    rename = {o["metadata"]["name"]: key(o)[1] for o in env}
    if env_ns and base_ns:
        rename[env_ns] = base_ns
    base_by_key = {(o["kind"], o["metadata"]["name"]): o for o in base}
    # The env's Secret is declared by its generator (dev) or its sealed
    # secret resource file (paper, prod); base has none by design.
    gen = bool(kz.get("generators") or kz.get("secretGenerator"))
    sealed_files = [r for r in kz.get("resources") or [] if r.endswith((".yaml", ".yml"))]
    sealed_docs = [d for r in sealed_files for d in load_docs(os.path.join(args.overlay, r))]

    declared = {}  # (kind, base name) -> [paths]
    for p in kz.get("patches") or []:
        if "path" in p:
            docs = load_docs(os.path.join(args.overlay, p["path"]))
        else:
            docs = [d for d in yaml.safe_load_all(p["patch"]) if d]
        if docs and isinstance(docs[0], list):  # JSON 6902
            t = p.get("target") or {}
            tgt = base_by_key.get((t.get("kind"), t.get("name")))
            if tgt is None:
                f.add("drift", "%s/%s" % (t.get("kind"), t.get("name")), "patch target not in base")
                continue
            declared.setdefault((t["kind"], t["name"]), []).extend(json6902_declared(docs[0], tgt))
        else:
            # A strategic-merge patch with a target (empseal's rollout patches)
            # declares its fields on the selected object, not the one it names.
            t = p.get("target") or {}
            for d in docs:
                k = (t["kind"], t["name"]) if t.get("kind") and t.get("name") else \
                    (d["kind"], d["metadata"]["name"])
                # The patch's values in base terms, as the rendered object is
                # compared (e.g. an imagePullSecrets entry naming the env's Secret).
                declared.setdefault(k, []).extend(smp_declared(renamed(d, rename)))
    # Replacements declare the fields they set (their select: kind, and
    # name when given, as base names it).
    replaced = []  # (kind, base name or None, path)
    for r in kz.get("replacements") or []:
        for t in r.get("targets") or []:
            sel = t.get("select") or {}
            for fp in t.get("fieldPaths") or []:
                replaced.append((sel.get("kind"), sel.get("name"), replacement_path(fp)))
    images = {i["name"] for i in kz.get("images") or []}

    env_keys = set()
    for o in env:
        k = key(o)
        env_keys.add(k)
        if k not in base_by_key and ((o.get("kind") == "Secret" and gen) or o in sealed_docs):
            continue
        b = base_by_key.get(k)
        if b is None:
            f.add("drift", oid(o), "object not in base and not declared by the overlay")
            continue
        fb, fe = flatten(b), flatten(renamed(o, rename))
        dec = declared.get(k, []) + [("metadata", "name"), ("metadata", "namespace")]
        dec += [p for kind, name, p in replaced if kind == k[0] and name in (None, k[1])]
        for path in sorted(set(fb) | set(fe), key=str):
            vb, ve = fb.get(path, "<absent>"), fe.get(path, "<absent>")
            if vb == ve or covered(path, dec):
                continue
            if path[-1] == "image" and isinstance(fe.get(path), str) and \
                    fe[path].rsplit(":", 1)[0] in images:
                continue
            f.add("drift", oid(o), "%s differs from base (%r -> %r) but no patch of the overlay sets it"
                  % (dotted(path), vb, ve))
    for k in base_by_key:
        if k not in env_keys:
            f.add("drift", "%s/%s" % k, "in base but missing from the rendered overlay")
    return f


# --------------------------------------------------------------------------
# kubeseal's object for a SealedSecret file's names and keys


def cmd_kubeseal_json(args):
    docs = load_docs(args.file)
    out = []
    for d in docs:
        md = d["metadata"]
        meta = {"name": md["name"], "namespace": md["namespace"]}
        if md.get("annotations"):
            meta["annotations"] = md["annotations"]
        tmeta = {"name": md["name"], "namespace": md["namespace"]}
        tmpl = {"metadata": tmeta}
        ttype = ((d.get("spec") or {}).get("template") or {}).get("type")
        if ttype:
            tmpl["type"] = ttype
        out.append({"kind": "SealedSecret", "apiVersion": "bitnami.com/v1alpha1", "metadata": meta,
                    "spec": {"template": tmpl, "encryptedData": d["spec"]["encryptedData"]}})
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return None


def cmd_refs(args):
    out = []
    for o in load_docs(args.rendered):
        for r in collect_refs(o):
            r["object"] = oid(o)
            r["namespace"] = (o.get("metadata") or {}).get("namespace")
            out.append(r)
    json.dump({"refs": out}, sys.stdout, indent=1)
    sys.stdout.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--rendered", required=True)
    c.add_argument("--crds", default=DEFAULT_CRDS,
                   help="directory of CRD files (default: the repository's testdata/crds)")
    c.add_argument("--namespace")
    c.add_argument("--sealed-source", action="append", default=[])
    c.add_argument("--external-secret", action="append", default=[])
    c.add_argument("--external-claim", action="append", default=[])
    c.add_argument("--k8s-version", default=DEFAULT_K8S_VERSION)
    d = sub.add_parser("drift")
    d.add_argument("--base", required=True)
    d.add_argument("--rendered", required=True)
    d.add_argument("--overlay", required=True)
    d.add_argument("--env", required=True)
    r = sub.add_parser("refs")
    r.add_argument("--rendered", required=True)
    k = sub.add_parser("kubeseal-json")
    k.add_argument("--file", required=True)
    args = ap.parse_args()
    if args.cmd == "check":
        if not re.match(r"^1\.\d+$", args.k8s_version):
            die("--k8s-version takes MAJOR.MINOR, e.g. 1.30")
        f = cmd_check(args)
    elif args.cmd == "drift":
        f = cmd_drift(args)
    elif args.cmd == "refs":
        cmd_refs(args)
        return 0
    else:
        cmd_kubeseal_json(args)
        return 0
    json.dump({"findings": f.items}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 1 if f.items else 0


if __name__ == "__main__":
    sys.exit(main())
