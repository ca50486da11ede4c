// Test peer for empseal's crypto: sealed-secrets' hybrid scheme written against
// Go's standard library only (crypto/rsa, crypto/aes, crypto/cipher, crypto/x509),
// the same primitives the controller and kubeseal use. Reads a JSON array of
// requests on stdin and writes a JSON array of answers.
//
// Requests ({"op": ...}):
//   encrypt: cert, label, plaintext, random (hex)  -> wire (hex), random bytes used
//   decrypt: key, label, wire (hex)                 -> plaintext (hex) or error
//   cert:    cert                                   -> subject, issuer (pkix.Name.String()), subject_seq,
//            issuer_seq (RDNSequence.String() of the raw DN), not_before, not_after, bits, key_type
//   b64:     text                                   -> bytes (hex) or error, as base64.StdEncoding decodes
//
// Build: GO111MODULE=off go build -o hybrid hybrid.go
package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

type request struct {
	Op        string `json:"op"`
	Cert      string `json:"cert"`
	Key       string `json:"key"`
	Label     string `json:"label"`
	Plaintext string `json:"plaintext"`
	Random    string `json:"random"`
	Wire      string `json:"wire"`
	Text      string `json:"text"`
}

type answer struct {
	Wire       string `json:"wire,omitempty"`
	RandomUsed int    `json:"random_used,omitempty"`
	Plaintext  string `json:"plaintext,omitempty"`
	Bytes      string `json:"bytes,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Issuer     string `json:"issuer,omitempty"`
	SubjectSeq string `json:"subject_seq,omitempty"`
	IssuerSeq  string `json:"issuer_seq,omitempty"`
	NotBefore  int64  `json:"not_before,omitempty"`
	NotAfter   int64  `json:"not_after,omitempty"`
	Bits       int    `json:"bits,omitempty"`
	KeyType    string `json:"key_type,omitempty"`
	Error      string `json:"error,omitempty"`
}

// firstCert returns the first CERTIFICATE block of a PEM file, as kubeseal's ParseKey does.
func firstCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no CERTIFICATE block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

func privateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not RSA")
	}
	return rk, nil
}

// countingReader hands out the scripted random bytes and counts what was read.
type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func encrypt(q request) answer {
	cert, err := firstCert(q.Cert)
	if err != nil {
		return answer{Error: err.Error()}
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return answer{Error: "not RSA"}
	}
	label, _ := hex.DecodeString(q.Label)
	plain, _ := hex.DecodeString(q.Plaintext)
	rnd, _ := hex.DecodeString(q.Random)
	src := &countingReader{r: bytes.NewReader(rnd)}

	key := make([]byte, 32)
	if _, err := io.ReadFull(src, key); err != nil {
		return answer{Error: err.Error()}
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return answer{Error: err.Error()}
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return answer{Error: err.Error()}
	}
	rsaCT, err := rsa.EncryptOAEP(sha256.New(), src, pub, key, label)
	if err != nil {
		return answer{Error: err.Error()}
	}
	out := make([]byte, 2, 2+len(rsaCT)+len(plain)+gcm.Overhead())
	binary.BigEndian.PutUint16(out, uint16(len(rsaCT)))
	out = append(out, rsaCT...)
	out = gcm.Seal(out, make([]byte, gcm.NonceSize()), plain, nil)
	return answer{Wire: hex.EncodeToString(out), RandomUsed: src.n}
}

func decrypt(q request) answer {
	key, err := privateKey(q.Key)
	if err != nil {
		return answer{Error: err.Error()}
	}
	label, _ := hex.DecodeString(q.Label)
	wire, _ := hex.DecodeString(q.Wire)
	if len(wire) < 2 {
		return answer{Error: "too short"}
	}
	n := int(binary.BigEndian.Uint16(wire))
	if len(wire) < n+2 {
		return answer{Error: "too short"}
	}
	sk, err := rsa.DecryptOAEP(sha256.New(), nil, key, wire[2:n+2], label)
	if err != nil {
		return answer{Error: "rsa: " + err.Error()}
	}
	blk, err := aes.NewCipher(sk)
	if err != nil {
		return answer{Error: err.Error()}
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return answer{Error: err.Error()}
	}
	plain, err := gcm.Open(nil, make([]byte, gcm.NonceSize()), wire[n+2:], nil)
	if err != nil {
		return answer{Error: "gcm: " + err.Error()}
	}
	return answer{Plaintext: hex.EncodeToString(plain)}
}

func certInfo(q request) answer {
	cert, err := firstCert(q.Cert)
	if err != nil {
		return answer{Error: err.Error()}
	}
	a := answer{
		Subject:   cert.Subject.String(),
		Issuer:    cert.Issuer.String(),
		NotBefore: cert.NotBefore.Unix(),
		NotAfter:  cert.NotAfter.Unix(),
	}
	// The DN as encoded (RFC 4514 order of the raw RDN sequence); Name.String()
	// above regroups attributes by type.
	var subj, iss pkix.RDNSequence
	if _, err := asn1.Unmarshal(cert.RawSubject, &subj); err != nil {
		return answer{Error: err.Error()}
	}
	if _, err := asn1.Unmarshal(cert.RawIssuer, &iss); err != nil {
		return answer{Error: err.Error()}
	}
	a.SubjectSeq = subj.String()
	a.IssuerSeq = iss.String()
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		a.KeyType = "RSA"
		a.Bits = k.N.BitLen()
	default:
		a.KeyType = fmt.Sprintf("%T", k)
	}
	return a
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	answers := make([]answer, 0, len(reqs))
	for _, q := range reqs {
		switch q.Op {
		case "encrypt":
			answers = append(answers, encrypt(q))
		case "decrypt":
			answers = append(answers, decrypt(q))
		case "cert":
			answers = append(answers, certInfo(q))
		case "b64":
			b, err := base64.StdEncoding.DecodeString(q.Text)
			if err != nil {
				answers = append(answers, answer{Error: err.Error()})
			} else {
				answers = append(answers, answer{Bytes: "=" + hex.EncodeToString(b)})
			}
		default:
			answers = append(answers, answer{Error: "unknown op " + q.Op})
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(answers); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
