// Command goref is the conformance reference for empseal's emitter (src/emit.rs).
//
// It runs the real Go serializers that kubeseal uses: encoding/json and
// sigs.k8s.io/yaml.JSONToYAML (go-yaml v2). It is built by the Rust test
// harness in GOPATH mode against Debian's packages:
//
//	GO111MODULE=off GOPATH=<tmp>:/usr/share/gocode go build -o <bin> .
//
// Protocol: one JSON request per line on stdin, one JSON response per line
// on stdout, in order.
//
//	{"op":"value","doc":<any JSON>}
//	    yaml: JSONToYAML(json.Marshal(doc)) (doc decoded with UseNumber, so
//	          map order is irrelevant: go-yaml sorts keys itself)
//	    json: json.MarshalIndent(doc, "", "  ") with the document's own key
//	          order (an ordered map type whose keys and values are encoded
//	          by encoding/json itself)
//	{"op":"sealed","layout":"current"|"legacy","obj":{...}}
//	{"op":"secret","layout":"current"|"legacy","obj":{...}}
//	    yaml and json of Go structs that mirror the upstream types field for
//	    field (json tags copied from k8s.io/apimachinery, k8s.io/api and
//	    bitnami-labs/sealed-secrets), filled from the neutral description obj.
//	{"op":"unicode"}
//	    ranges of unicode.IsLetter, unicode.IsDigit and "assigned" code points.
//	{"op":"unmarshal","obj":"<base64>"}
//	    encoding/json.Unmarshal's errors for a docker config value (unmarshal.go).
//	{"op":"strconv","doc":"<string>"}
//	    strconv.ParseFloat, ParseInt and ParseUint of the string (strconv.go).
//
// kubeseal v0.36 is built with Go 1.26 (encoding/json writes U+0008 and U+000C
// as \b and \f, Unicode 15.0.0 tables, omitzero): this program must run on a
// Go >= 1.22 (tests/gotool picks and checks it), so its answers are Go's own.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
	"unicode"

	"sigs.k8s.io/yaml"
)

type request struct {
	Op     string          `json:"op"`
	Doc    json.RawMessage `json:"doc"`
	Layout string          `json:"layout"`
	Obj    json.RawMessage `json:"obj"`
}

type response struct {
	YAML    string     `json:"yaml"`
	YAMLErr string     `json:"yaml_err,omitempty"`
	JSON    string     `json:"json"`
	JSONErr string     `json:"json_err,omitempty"`
	Letter  [][2]int32 `json:"letter,omitempty"`
	Digit   [][2]int32 `json:"digit,omitempty"`
	Assign  [][2]int32 `json:"assigned,omitempty"`
	Err     string     `json:"err,omitempty"`

	Unmarshal *unmarshalAnswer `json:"unmarshal,omitempty"`
	Strconv   *strconvAnswer   `json:"strconv,omitempty"`
}

func main() {
	in := json.NewDecoder(bufio.NewReaderSize(os.Stdin, 1<<20))
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	for {
		var req request
		if err := in.Decode(&req); err != nil {
			if err == io.EOF {
				break
			}
			fmt.Fprintln(os.Stderr, "goref: bad request:", err)
			os.Exit(2)
		}
		var resp response
		switch req.Op {
		case "value":
			resp = value(req.Doc)
		case "sealed", "secret":
			resp = object(req.Op, req.Layout, req.Obj)
		case "kubeseal":
			resp = kubesealOp(req.Layout, req.Obj)
		case "unicode":
			resp = unicodeRanges()
		case "unmarshal":
			resp = unmarshalOp(req.Obj)
		case "strconv":
			resp = strconvOp(req.Doc)
		default:
			resp.Err = "unknown op " + req.Op
		}
		if err := enc.Encode(&resp); err != nil {
			fmt.Fprintln(os.Stderr, "goref: write:", err)
			os.Exit(2)
		}
		// Flush when no further request is already buffered (only blanks
		// are left), so that a caller waiting for its answers gets them.
		if rest, _ := io.ReadAll(in.Buffered()); len(bytes.TrimSpace(rest)) == 0 {
			out.Flush()
		}
	}
	out.Flush()
}

// value answers both serializations of an arbitrary JSON document.
func value(doc json.RawMessage) (resp response) {
	// YAML: what apimachinery's YAML serializer does with json.Marshal bytes.
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		resp.Err = err.Error()
		return
	}
	j, err := json.Marshal(v)
	if err != nil {
		resp.Err = err.Error()
		return
	}
	if y, err := yaml.JSONToYAML(j); err != nil {
		resp.YAMLErr = err.Error()
	} else {
		resp.YAML = string(y)
	}
	// JSON: MarshalIndent of an order-preserving value.
	ov, err := decodeOrdered(doc)
	if err != nil {
		resp.Err = err.Error()
		return
	}
	if b, err := json.MarshalIndent(ov, "", "  "); err != nil {
		resp.JSONErr = err.Error()
	} else {
		resp.JSON = string(b)
	}
	return
}

// ordered is a JSON object that keeps its key order. Keys and values are
// encoded by encoding/json itself; MarshalIndent then compacts and indents.
type ordered struct {
	keys []string
	vals []interface{}
}

func (o *ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func decodeOrdered(doc []byte) (interface{}, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	return readOrdered(d)
}

func readOrdered(d *json.Decoder) (interface{}, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &ordered{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := readOrdered(d)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, kt.(string))
				o.vals = append(o.vals, v)
			}
			_, err := d.Token() // '}'
			return o, err
		case '[':
			l := []interface{}{}
			for d.More() {
				v, err := readOrdered(d)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := d.Token() // ']'
			return l, err
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	default:
		return t, nil
	}
}

// ---- Mirrors of the upstream types (json tags as upstream) ----

// Time mirrors k8s.io/apimachinery/pkg/apis/meta/v1.Time's JSON form.
type Time struct{ time.Time }

func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(time.RFC3339) + `"`), nil
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	pt, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = pt.Local()
	return nil
}

// TypeMeta mirrors metav1.TypeMeta.
type TypeMeta struct {
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// OwnerReference mirrors metav1.OwnerReference.
type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

// FieldsV1 mirrors metav1.FieldsV1: raw JSON kept as given.
type FieldsV1 struct{ Raw []byte }

func (f FieldsV1) MarshalJSON() ([]byte, error) {
	if f.Raw == nil {
		return []byte("null"), nil
	}
	return f.Raw, nil
}

func (f *FieldsV1) UnmarshalJSON(b []byte) error {
	if string(b) != "null" {
		f.Raw = append([]byte(nil), b...)
	}
	return nil
}

// ManagedFieldsEntry mirrors metav1.ManagedFieldsEntry.
type ManagedFieldsEntry struct {
	Manager     string    `json:"manager,omitempty"`
	Operation   string    `json:"operation,omitempty"`
	APIVersion  string    `json:"apiVersion,omitempty"`
	Time        *Time     `json:"time,omitempty"`
	FieldsType  string    `json:"fieldsType,omitempty"`
	FieldsV1    *FieldsV1 `json:"fieldsV1,omitempty"`
	Subresource string    `json:"subresource,omitempty"`
}

// ObjectMetaLegacy mirrors metav1.ObjectMeta before k8s 0.34: the zero
// CreationTimestamp is a struct, which omitempty never omits, so it is
// written as null.
type ObjectMetaLegacy struct {
	Name                       string               `json:"name,omitempty"`
	GenerateName               string               `json:"generateName,omitempty"`
	Namespace                  string               `json:"namespace,omitempty"`
	SelfLink                   string               `json:"selfLink,omitempty"`
	UID                        string               `json:"uid,omitempty"`
	ResourceVersion            string               `json:"resourceVersion,omitempty"`
	Generation                 int64                `json:"generation,omitempty"`
	CreationTimestamp          Time                 `json:"creationTimestamp,omitempty"`
	DeletionTimestamp          *Time                `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64               `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string    `json:"labels,omitempty"`
	Annotations                map[string]string    `json:"annotations,omitempty"`
	OwnerReferences            []OwnerReference     `json:"ownerReferences,omitempty"`
	Finalizers                 []string             `json:"finalizers,omitempty"`
	ManagedFields              []ManagedFieldsEntry `json:"managedFields,omitempty"`
}

// ObjectMetaCurrent mirrors metav1.ObjectMeta since k8s 0.34, whose tag is
// `json:"creationTimestamp,omitempty,omitzero"` (omitzero: Go >= 1.24).
type ObjectMetaCurrent struct {
	Name                       string               `json:"name,omitempty"`
	GenerateName               string               `json:"generateName,omitempty"`
	Namespace                  string               `json:"namespace,omitempty"`
	SelfLink                   string               `json:"selfLink,omitempty"`
	UID                        string               `json:"uid,omitempty"`
	ResourceVersion            string               `json:"resourceVersion,omitempty"`
	Generation                 int64                `json:"generation,omitempty"`
	CreationTimestamp          Time                 `json:"creationTimestamp,omitempty,omitzero"`
	DeletionTimestamp          *Time                `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64               `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string    `json:"labels,omitempty"`
	Annotations                map[string]string    `json:"annotations,omitempty"`
	OwnerReferences            []OwnerReference     `json:"ownerReferences,omitempty"`
	Finalizers                 []string             `json:"finalizers,omitempty"`
	ManagedFields              []ManagedFieldsEntry `json:"managedFields,omitempty"`
}

// SecretTemplateSpec mirrors bitnami.com/v1alpha1 SecretTemplateSpec.
type SecretTemplateSpec[M any] struct {
	ObjectMeta M                 `json:"metadata,omitempty"`
	Type       string            `json:"type,omitempty"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
}

// SealedSecretSpec mirrors bitnami.com/v1alpha1 SealedSecretSpec.
type SealedSecretSpec[M any] struct {
	Template      SecretTemplateSpec[M] `json:"template,omitempty"`
	Data          []byte                `json:"data,omitempty"`
	EncryptedData map[string]string     `json:"encryptedData"`
}

// SealedSecretStatus stands for the upstream status (always nil here).
type SealedSecretStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// SealedSecret mirrors bitnami.com/v1alpha1 SealedSecret.
type SealedSecret[M any] struct {
	TypeMeta   `json:",inline"`
	ObjectMeta M                   `json:"metadata,omitempty"`
	Spec       SealedSecretSpec[M] `json:"spec"`
	Status     *SealedSecretStatus `json:"status,omitempty"`
}

// Secret mirrors k8s.io/api/core/v1 Secret.
type Secret[M any] struct {
	TypeMeta   `json:",inline"`
	ObjectMeta M                 `json:"metadata,omitempty"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string][]byte `json:"data,omitempty"`
	StringData map[string]string `json:"stringData,omitempty"`
	Type       string            `json:"type,omitempty"`
}

// ---- The neutral description the tests send ----

type metaIn struct {
	Name                       string               `json:"name"`
	GenerateName               string               `json:"generateName"`
	Namespace                  string               `json:"namespace"`
	SelfLink                   string               `json:"selfLink"`
	UID                        string               `json:"uid"`
	ResourceVersion            string               `json:"resourceVersion"`
	Generation                 int64                `json:"generation"`
	DeletionTimestamp          *Time                `json:"deletionTimestamp"`
	DeletionGracePeriodSeconds *int64               `json:"deletionGracePeriodSeconds"`
	Labels                     map[string]string    `json:"labels"`
	Annotations                map[string]string    `json:"annotations"`
	OwnerReferences            []OwnerReference     `json:"ownerReferences"`
	Finalizers                 []string             `json:"finalizers"`
	ManagedFields              []ManagedFieldsEntry `json:"managedFields"`
}

type sealedIn struct {
	Metadata metaIn `json:"metadata"`
	Template struct {
		Metadata  metaIn            `json:"metadata"`
		Type      *string           `json:"type"`
		Immutable *bool             `json:"immutable"`
		Data      map[string]string `json:"data"`
	} `json:"template"`
	EncryptedData map[string]string `json:"encryptedData"`
}

type secretIn struct {
	Metadata   metaIn            `json:"metadata"`
	Immutable  *bool             `json:"immutable"`
	Data       map[string][]int  `json:"data"`
	StringData map[string][]int  `json:"stringData"`
	Type       *string           `json:"type"`
}

func legacyMeta(m metaIn) ObjectMetaLegacy {
	return ObjectMetaLegacy{
		Name: m.Name, GenerateName: m.GenerateName, Namespace: m.Namespace,
		SelfLink: m.SelfLink, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, DeletionTimestamp: m.DeletionTimestamp,
		DeletionGracePeriodSeconds: m.DeletionGracePeriodSeconds,
		Labels: m.Labels, Annotations: m.Annotations,
		OwnerReferences: m.OwnerReferences, Finalizers: m.Finalizers,
		ManagedFields: m.ManagedFields,
	}
}

func currentMeta(m metaIn) ObjectMetaCurrent {
	return ObjectMetaCurrent{
		Name: m.Name, GenerateName: m.GenerateName, Namespace: m.Namespace,
		SelfLink: m.SelfLink, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, DeletionTimestamp: m.DeletionTimestamp,
		DeletionGracePeriodSeconds: m.DeletionGracePeriodSeconds,
		Labels: m.Labels, Annotations: m.Annotations,
		OwnerReferences: m.OwnerReferences, Finalizers: m.Finalizers,
		ManagedFields: m.ManagedFields,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func bytesOf(v []int) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

func sealed[M any](in sealedIn, meta func(metaIn) M) interface{} {
	s := &SealedSecret[M]{
		TypeMeta:   TypeMeta{Kind: "SealedSecret", APIVersion: "bitnami.com/v1alpha1"},
		ObjectMeta: meta(in.Metadata),
	}
	s.Spec.Template.ObjectMeta = meta(in.Template.Metadata)
	s.Spec.Template.Type = deref(in.Template.Type)
	s.Spec.Template.Immutable = in.Template.Immutable
	s.Spec.Template.Data = in.Template.Data
	// NewSealedSecret starts from an empty, non-nil map.
	s.Spec.EncryptedData = map[string]string{}
	for k, v := range in.EncryptedData {
		s.Spec.EncryptedData[k] = v
	}
	return s
}

func secret[M any](in secretIn, meta func(metaIn) M) interface{} {
	s := &Secret[M]{
		TypeMeta:   TypeMeta{Kind: "Secret", APIVersion: "v1"},
		ObjectMeta: meta(in.Metadata),
		Immutable:  in.Immutable,
		Type:       deref(in.Type),
	}
	if len(in.Data) > 0 {
		s.Data = map[string][]byte{}
		for k, v := range in.Data {
			s.Data[k] = bytesOf(v)
		}
	}
	if len(in.StringData) > 0 {
		s.StringData = map[string]string{}
		for k, v := range in.StringData {
			s.StringData[k] = string(bytesOf(v))
		}
	}
	return s
}

func object(op, layout string, raw json.RawMessage) (resp response) {
	var obj interface{}
	switch op {
	case "sealed":
		var in sealedIn
		if err := json.Unmarshal(raw, &in); err != nil {
			resp.Err = err.Error()
			return
		}
		if layout == "legacy" {
			obj = sealed(in, legacyMeta)
		} else {
			obj = sealed(in, currentMeta)
		}
	case "secret":
		var in secretIn
		if err := json.Unmarshal(raw, &in); err != nil {
			resp.Err = err.Error()
			return
		}
		if layout == "legacy" {
			obj = secret(in, legacyMeta)
		} else {
			obj = secret(in, currentMeta)
		}
	}
	// What apimachinery's json serializer does (pkg/runtime/serializer/json).
	if j, err := json.Marshal(obj); err != nil {
		resp.YAMLErr = err.Error()
	} else if y, err := yaml.JSONToYAML(j); err != nil {
		resp.YAMLErr = err.Error()
	} else {
		resp.YAML = string(y)
	}
	if b, err := json.MarshalIndent(obj, "", "  "); err != nil {
		resp.JSONErr = err.Error()
	} else {
		resp.JSON = string(b)
	}
	return
}

func unicodeRanges() (resp response) {
	add := func(rs [][2]int32, r rune) [][2]int32 {
		if n := len(rs); n > 0 && rs[n-1][1] == r-1 {
			rs[n-1][1] = r
			return rs
		}
		return append(rs, [2]int32{r, r})
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.IsLetter(r) {
			resp.Letter = add(resp.Letter, r)
		}
		if unicode.IsDigit(r) {
			resp.Digit = add(resp.Digit, r)
		}
		if unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C) {
			resp.Assign = add(resp.Assign, r)
		}
	}
	return
}
