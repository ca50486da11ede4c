// Prints SealedSecret objects the way kubeseal v0.36 prints them with
// --format yaml: for each object a line "---", then sigs.k8s.io/yaml's
// rendering of its JSON (go-yaml v2 key order, indentation and quoting).
//
// Input on stdin: a JSON array of objects (fields in kubeseal's struct order;
// the order does not matter to YAML output, go-yaml sorts the keys).
// Build in GOPATH mode: GO111MODULE=off GOPATH=<dir>:/usr/share/gocode go run kubeseal_yaml.go
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"

	"sigs.k8s.io/yaml"
)

func main() {
	in, err := ioutil.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeseal_yaml: reading stdin:", err)
		os.Exit(2)
	}
	var objs []json.RawMessage
	if err := json.Unmarshal(in, &objs); err != nil {
		fmt.Fprintln(os.Stderr, "kubeseal_yaml: stdin is not a JSON array:", err)
		os.Exit(2)
	}
	for _, o := range objs {
		y, err := yaml.JSONToYAML(o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kubeseal_yaml:", err)
			os.Exit(2)
		}
		fmt.Print("---\n")
		os.Stdout.Write(y)
	}
}
