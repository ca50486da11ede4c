// The "unmarshal" op: what Go's encoding/json.Unmarshal says of a docker
// config value, read into the three targets that matter for a Secret of type
// kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg:
//
//	{"op":"unmarshal","obj":"<value, base64>"}
//	    unmarshal.map:              error of Unmarshal into map[string]interface{}
//	                                (what the API server's ValidateSecret checks)
//	    unmarshal.dockerconfigjson: error of Unmarshal into dockerConfigJSON
//	    unmarshal.dockercfg:        error of Unmarshal into dockerConfig
//	each null when Unmarshal returned no error.
//
// The two structs mirror the shape of Kubernetes' credential types (declared
// here, not imported): the kubelet's reading, stricter than the API server's.
package main

import (
	"encoding/base64"
	"encoding/json"
)

type dockerConfigEntry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Email    string `json:"email,omitempty"`
	Auth     string `json:"auth,omitempty"`
}

type dockerConfig map[string]dockerConfigEntry

type dockerConfigJSON struct {
	Auths       dockerConfig      `json:"auths"`
	HTTPHeaders map[string]string `json:"HttpHeaders,omitempty"`
}

type unmarshalAnswer struct {
	Map              *string `json:"map"`
	DockerConfigJSON *string `json:"dockerconfigjson"`
	DockerConfig     *string `json:"dockercfg"`
}

func errText(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

func unmarshalOp(obj json.RawMessage) (resp response) {
	var encoded string
	if err := json.Unmarshal(obj, &encoded); err != nil {
		resp.Err = "unmarshal: obj must be a base64 string: " + err.Error()
		return
	}
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		resp.Err = "unmarshal: " + err.Error()
		return
	}
	var a unmarshalAnswer
	a.Map = errText(json.Unmarshal(data, &map[string]interface{}{}))
	a.DockerConfigJSON = errText(json.Unmarshal(data, &dockerConfigJSON{}))
	a.DockerConfig = errText(json.Unmarshal(data, &dockerConfig{}))
	resp.Unmarshal = &a
	return
}
