// Test peer for tests/kubeseal_parity.rs: renders templates with Go's own
// text/template over a map[string]string, the way the sealed-secrets controller
// renders spec.template.data (stdlib functions only; sprig is not packaged here).
// Input (stdin): a JSON array of {"template": "...", "data": {...}}.
// Output: a JSON array of {"ok": "..."} or {"err": "..."}.
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"text/template"
)

type request struct {
	Template string            `json:"template"`
	Data     map[string]string `json:"data"`
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		panic(err)
	}
	out := []map[string]string{}
	for _, r := range reqs {
		t, err := template.New("k").Parse(r.Template)
		if err != nil {
			out = append(out, map[string]string{"err": err.Error()})
			continue
		}
		var b bytes.Buffer
		if err := t.Execute(&b, r.Data); err != nil {
			out = append(out, map[string]string{"err": err.Error()})
			continue
		}
		out = append(out, map[string]string{"ok": b.String()})
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
