// goref decodes Kubernetes Secret documents the way kubeseal does for each document
// of its input: YAML through sigs.k8s.io/yaml (go-yaml v2, YAML 1.1, then JSON into
// the typed struct), JSON through encoding/json. It is the conformance reference for
// empseal's manifest reader.
//
// stdin: a JSON array of {"doc": "...", "json": bool, "sealed": bool, "op": ""|"json2yaml"}.
// stdout: a JSON array of {"ok": <the Secret re-encoded as JSON>} or {"err": "..."}
// ("sealed": the document decoded as kubeseal decodes a SealedSecret instead);
// for op "json2yaml", {"yaml": "..."}: the JSON document printed as YAML the way
// kubectl's YAML printer does it (sigs.k8s.io/yaml.JSONToYAML).
//
// Build (GOPATH mode): GO111MODULE=off GOPATH=<dir>:/usr/share/gocode go build goref.go
package main

import (
	"encoding/json"
	"os"
	"time"

	"sigs.k8s.io/yaml"
)

// The fields of k8s.io/api/core/v1.Secret and metav1.ObjectMeta that matter here,
// with the same Go types and JSON names.
// ownerReferences and managedFields are kept as generic JSON (their inner
// fields are not what the tests vary); the two timestamps as metaTime.
type objectMeta struct {
	Name                       string                   `json:"name,omitempty"`
	GenerateName               string                   `json:"generateName,omitempty"`
	Namespace                  string                   `json:"namespace,omitempty"`
	SelfLink                   string                   `json:"selfLink,omitempty"`
	UID                        string                   `json:"uid,omitempty"`
	ResourceVersion            string                   `json:"resourceVersion,omitempty"`
	Generation                 int64                    `json:"generation,omitempty"`
	CreationTimestamp          metaTime                 `json:"creationTimestamp,omitempty"`
	DeletionTimestamp          *metaTime                `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64                   `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string        `json:"labels,omitempty"`
	Annotations                map[string]string        `json:"annotations,omitempty"`
	OwnerReferences            []map[string]interface{} `json:"ownerReferences,omitempty"`
	Finalizers                 []string                 `json:"finalizers,omitempty"`
	ManagedFields              []map[string]interface{} `json:"managedFields,omitempty"`
}

// metaTime accepts exactly what metav1.Time's UnmarshalJSON accepts (null, or a
// JSON string that time.Parse reads with the RFC 3339 layout) and keeps the text
// as written, so the tests compare what was read rather than Go's reformatting.
type metaTime struct{ text string }

func (t *metaTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.text = ""
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	if _, err := time.Parse(time.RFC3339, str); err != nil {
		return err
	}
	t.text = str
	return nil
}

func (t metaTime) MarshalJSON() ([]byte, error) {
	if t.text == "" {
		return []byte("null"), nil
	}
	return json.Marshal(t.text)
}

type secret struct {
	Kind       string            `json:"kind,omitempty"`
	APIVersion string            `json:"apiVersion,omitempty"`
	Metadata   objectMeta        `json:"metadata,omitempty"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string][]byte `json:"data,omitempty"`
	StringData map[string]string `json:"stringData,omitempty"`
	Type       string            `json:"type,omitempty"`
}

// The fields of bitnami.com/v1alpha1 SealedSecret that kubeseal reads, with the same
// Go types and JSON names (status is never read).
type sealedSecret struct {
	Kind       string           `json:"kind,omitempty"`
	APIVersion string           `json:"apiVersion,omitempty"`
	Metadata   objectMeta       `json:"metadata,omitempty"`
	Spec       sealedSecretSpec `json:"spec"`
}

type sealedSecretSpec struct {
	Template      secretTemplateSpec `json:"template,omitempty"`
	Data          []byte             `json:"data,omitempty"`
	EncryptedData encryptedData      `json:"encryptedData"`
}

type secretTemplateSpec struct {
	Metadata  objectMeta        `json:"metadata,omitempty"`
	Type      string            `json:"type,omitempty"`
	Immutable *bool             `json:"immutable,omitempty"`
	Data      map[string]string `json:"data,omitempty"`
}

// encryptedData behaves as the controller's SealedSecretEncryptedData: its own
// UnmarshalJSON that ignores the decoding error, so an entry of another type is
// dropped (and a value that is no object leaves the map empty) without a word.
type encryptedData map[string]string

func (e *encryptedData) UnmarshalJSON(data []byte) error {
	entries := map[string]string{}
	_ = json.Unmarshal(data, &entries)
	*e = entries
	return nil
}

type input struct {
	Doc    string `json:"doc"`
	JSON   bool   `json:"json"`
	Sealed bool   `json:"sealed"`
	Op     string `json:"op"`
}

type output struct {
	Ok   interface{} `json:"ok,omitempty"`
	Err  string      `json:"err,omitempty"`
	YAML *string     `json:"yaml,omitempty"`
}

func main() {
	var inputs []input
	if err := json.NewDecoder(os.Stdin).Decode(&inputs); err != nil {
		panic(err)
	}
	outputs := make([]output, 0, len(inputs))
	for _, in := range inputs {
		if in.Op == "json2yaml" {
			y, err := yaml.JSONToYAML([]byte(in.Doc))
			if err != nil {
				outputs = append(outputs, output{Err: err.Error()})
			} else {
				text := string(y)
				outputs = append(outputs, output{YAML: &text})
			}
			continue
		}
		var target interface{} = &secret{}
		if in.Sealed {
			target = &sealedSecret{}
		}
		var err error
		if in.JSON {
			err = json.Unmarshal([]byte(in.Doc), target)
		} else {
			err = yaml.Unmarshal([]byte(in.Doc), target)
		}
		if err != nil {
			outputs = append(outputs, output{Err: err.Error()})
		} else {
			outputs = append(outputs, output{Ok: target})
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(outputs); err != nil {
		panic(err)
	}
}
