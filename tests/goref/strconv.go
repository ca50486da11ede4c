// The "strconv" op: what Go's strconv says of one string, for the port of its
// number parsers that reads YAML as go-yaml v2 does (crates/kubeseal-core/src/goyaml/strconv.rs):
//
//	{"op":"strconv","doc":"<string>"}
//	    strconv.float: math.Float64bits of ParseFloat(s, 64) in decimal, null on error
//	    strconv.float32: FormatFloat(that float, 'g', -1, 32), as sigs.k8s.io/yaml
//	                   writes a YAML float into a string field; null on error
//	    strconv.int:   ParseInt(s, 0, 64) in decimal, null on error
//	    strconv.uint:  ParseUint(s, 0, 64) in decimal, null on error
package main

import (
	"encoding/json"
	"math"
	"strconv"
)

type strconvAnswer struct {
	Float   *string `json:"float"`
	Float32 *string `json:"float32"`
	Int   *string `json:"int"`
	Uint  *string `json:"uint"`
}

func strconvOp(doc json.RawMessage) (resp response) {
	var s string
	if err := json.Unmarshal(doc, &s); err != nil {
		resp.Err = "strconv: doc must be a string: " + err.Error()
		return
	}
	var a strconvAnswer
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		t := strconv.FormatUint(math.Float64bits(f), 10)
		a.Float = &t
		g := strconv.FormatFloat(f, 'g', -1, 32)
		a.Float32 = &g
	}
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		t := strconv.FormatInt(i, 10)
		a.Int = &t
	}
	if u, err := strconv.ParseUint(s, 0, 64); err == nil {
		t := strconv.FormatUint(u, 10)
		a.Uint = &t
	}
	resp.Strconv = &a
	return
}
