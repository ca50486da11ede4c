package main

// The "kubeseal" op: kubeseal v0.36's Seal + NewSealedSecret transformation
// (pkg/kubeseal/kubeseal.go, pkg/apis/sealedsecrets/v1alpha1), re-expressed on
// the mirror structs of this program, so a test can check empseal's whole
// seal path — not only the emitter — against Go. The ciphertexts are given
// (they are random); everything else is computed here.
//
//	{"op":"kubeseal","layout":...,"obj":{"input":"<Secret YAML or JSON>",
//	  "scope":"strict"|"namespace-wide"|"cluster-wide"|"", "name":"", "namespace":"",
//	  "encrypted":{"KEY":"AgB..."}}}

import (
	"encoding/json"
	"fmt"
	"sort"

	"sigs.k8s.io/yaml"
)

type kubesealIn struct {
	Input     string            `json:"input"`
	Scope     string            `json:"scope"`
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Encrypted map[string]string `json:"encrypted"`
}

const (
	annoNamespaceWide = "sealedsecrets.bitnami.com/namespace-wide"
	annoClusterWide   = "sealedsecrets.bitnami.com/cluster-wide"
)

func scopeOf(anno map[string]string) string {
	if anno[annoClusterWide] == "true" {
		return "cluster-wide"
	}
	if anno[annoNamespaceWide] == "true" {
		return "namespace-wide"
	}
	return "strict"
}

func updateScopeAnnotations(anno map[string]string, scope string) map[string]string {
	if anno == nil {
		anno = map[string]string{}
	}
	delete(anno, annoNamespaceWide)
	delete(anno, annoClusterWide)
	if scope == "namespace-wide" {
		anno[annoNamespaceWide] = "true"
	}
	if scope == "cluster-wide" {
		anno[annoClusterWide] = "true"
	}
	return anno
}

func copyMeta(m metaIn) metaIn {
	b, _ := json.Marshal(m)
	var out metaIn
	_ = json.Unmarshal(b, &out)
	return out
}

func kubesealOp(layout string, raw json.RawMessage) (resp response) {
	var in kubesealIn
	if err := json.Unmarshal(raw, &in); err != nil {
		resp.Err = err.Error()
		return
	}
	var sec Secret[metaIn]
	if err := yaml.Unmarshal([]byte(in.Input), &sec); err != nil {
		resp.Err = "decode input: " + err.Error()
		return
	}
	// Seal()
	if in.Name != "" {
		sec.ObjectMeta.Name = in.Name
	}
	if in.Scope != "" && in.Scope != "strict" {
		sec.ObjectMeta.Annotations = updateScopeAnnotations(sec.ObjectMeta.Annotations, in.Scope)
	}
	if scopeOf(sec.ObjectMeta.Annotations) != "cluster-wide" {
		ns := in.Namespace
		if ns == "" {
			ns = "default"
		}
		if in.Namespace != "" && sec.ObjectMeta.Namespace != "" && sec.ObjectMeta.Namespace != ns {
			resp.Err = "namespace mismatch"
			return
		}
		if sec.ObjectMeta.Namespace == "" {
			sec.ObjectMeta.Namespace = ns
		}
	}
	m := &sec.ObjectMeta
	m.SelfLink, m.UID, m.ResourceVersion, m.Generation = "", "", "", 0
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
	// NewSealedSecret()
	var out sealedIn
	out.Metadata.Name = sec.ObjectMeta.Name
	out.Metadata.Namespace = sec.ObjectMeta.Namespace
	out.Template.Metadata = copyMeta(sec.ObjectMeta)
	if sec.Type != "" {
		t := sec.Type
		out.Template.Type = &t
	}
	out.Template.Immutable = sec.Immutable
	if a := out.Template.Metadata.Annotations; a != nil {
		delete(a, "kubectl.kubernetes.io/last-applied-configuration")
		delete(a, "kubecfg.ksonnet.io/last-applied-configuration")
	}
	out.Template.Metadata.OwnerReferences = nil
	want := map[string]bool{}
	for k := range sec.Data {
		want[k] = true
	}
	for k := range sec.StringData {
		want[k] = true
	}
	var missing []string
	for k := range want {
		if _, ok := in.Encrypted[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 || len(want) != len(in.Encrypted) {
		sort.Strings(missing)
		resp.Err = fmt.Sprintf("encrypted keys differ from the input's: missing %v, %d given, %d expected", missing, len(in.Encrypted), len(want))
		return
	}
	out.EncryptedData = in.Encrypted
	anno := updateScopeAnnotations(nil, scopeOf(sec.ObjectMeta.Annotations))
	if len(anno) > 0 {
		out.Metadata.Annotations = anno
	}
	b, _ := json.Marshal(out)
	return object("sealed", layout, b)
}
