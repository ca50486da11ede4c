#!/usr/bin/env python3
"""Test helper for `empseal check`: fills corpus templates with real ciphertext
sealed by an independent implementation (PyPI kubesealpy) at test time.

    seal_tokens.py CERTDIR FILE...          rewrite tokens in FILEs in place
    seal_tokens.py CERTDIR --emit OUTDIR    write kubesealpy's own manifests

A token `{{kubesealpy<BITS>:<LABEL>}}` becomes a fresh value sealed with
CERTDIR/cert-<BITS>.pem for the OAEP label LABEL: `ns/name` (strict), `ns`
(namespace-wide) or empty (cluster-wide). Options: `|cut=N` keeps the first N
base64 characters (a truncated real value); `|len=N` seals N plaintext bytes
(default 24; 0 gives the smallest possible value); `|wrap=N` breaks the base64
every N characters with the two characters `\n` (a newline once the value sits
in a double-quoted YAML string, which Go's decoder skips). Plaintexts are random
and thrown away.
"""
import base64
import json
import os
import re
import secrets
import sys

from kubesealpy import Sealer, SealingScope

TOKEN = re.compile(r"\{\{kubesealpy(\d+):([^}|]*)((?:\|(?:cut|len|wrap)=\d+)*)\}\}")
_sealers = {}


def sealer(certdir, bits):
    if bits not in _sealers:
        _sealers[bits] = Sealer.from_certificate_file(os.path.join(certdir, f"cert-{bits}.pem"))
    return _sealers[bits]


def seal(certdir, bits, label, size=24):
    s = sealer(certdir, bits)
    plain = secrets.token_bytes(size)
    if "/" in label:
        ns, name = label.split("/", 1)
        wire = s.seal_value(plain, ns, name, SealingScope.STRICT)
    elif label:
        wire = s.seal_value(plain, label, None, SealingScope.NAMESPACE_WIDE)
    else:
        wire = s.seal_value(plain, None, None, SealingScope.CLUSTER_WIDE)
    return base64.b64encode(wire).decode("ascii")


def fill(certdir, path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()

    def repl(m):
        opts = dict(o.split("=") for o in m.group(3).split("|") if o)
        value = seal(certdir, m.group(1), m.group(2), int(opts.get("len", 24)))
        if "cut" in opts:
            value = value[: int(opts["cut"])]
        if "wrap" in opts:
            n = int(opts["wrap"])
            value = "\\n".join(value[i : i + n] for i in range(0, len(value), n))
        return value

    new = TOKEN.sub(repl, text)
    if new != text:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(new)


def emit(certdir, outdir):
    s = sealer(certdir, "4096")
    keys = {"POSTGRES_PASSWORD": secrets.token_bytes(20), "REDIS_PASSWORD": secrets.token_bytes(20),
            "API_KEY": secrets.token_bytes(32)}
    objs = [
        s.seal(name="emp-secrets", namespace="emp-system-paper", data=keys,
               labels={"app.kubernetes.io/name": "emp"}),
        s.seal(name="emp-shared", namespace="emp-system-paper", data=keys,
               scope=SealingScope.NAMESPACE_WIDE),
        s.seal(name="emp-global", namespace="emp-system", data=keys,
               scope=SealingScope.CLUSTER_WIDE, annotations={"team": "trading"}),
    ]
    for i, o in enumerate(objs):
        with open(os.path.join(outdir, f"kubesealpy-{i}.yaml"), "w") as f:
            f.write(o.to_yaml())
    with open(os.path.join(outdir, "kubesealpy-stream.json"), "w") as f:
        for o in objs:
            f.write(json.dumps(o.model_dump(by_alias=True, exclude_none=True), indent=2))
            f.write("\n")
    with open(os.path.join(outdir, "kubesealpy-multi.yaml"), "w") as f:
        f.write("".join("---\n" + o.to_yaml() for o in objs))


def main():
    certdir = sys.argv[1]
    if sys.argv[2] == "--emit":
        emit(certdir, sys.argv[3])
    else:
        for path in sys.argv[2:]:
            fill(certdir, path)


if __name__ == "__main__":
    main()
