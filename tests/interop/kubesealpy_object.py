#!/usr/bin/env python3
"""Whole-object peer for tests/cli_seal.rs, using PyPI kubesealpy.

  unseal KEY            stdin: SealedSecret YAML  -> stdout: {"KEY": "<base64 value>"} JSON
  seal CERT NAME NS SCOPE  stdin: {"KEY": "<base64 value>"} JSON -> stdout: SealedSecret YAML
"""
import base64
import json
import sys

from kubesealpy import Sealer, Unsealer
from kubesealpy.models import SealedSecret
from kubesealpy.scopes import SealingScope

SCOPES = {
    "strict": SealingScope.STRICT,
    "namespace-wide": SealingScope.NAMESPACE_WIDE,
    "cluster-wide": SealingScope.CLUSTER_WIDE,
}

mode = sys.argv[1]
if mode == "unseal":
    sealed = SealedSecret.from_yaml(sys.stdin.read())
    secret = Unsealer.from_private_key_file(sys.argv[2]).unseal(sealed)
    json.dump(dict(secret.data or {}), sys.stdout, sort_keys=True)
elif mode == "seal":
    cert, name, ns, scope = sys.argv[2:6]
    data = {k: base64.b64decode(v) for k, v in json.load(sys.stdin).items()}
    sealed = Sealer.from_certificate_file(cert).seal(name=name, namespace=ns, data=data, scope=SCOPES[scope])
    sys.stdout.write(sealed.to_yaml())
else:
    sys.exit("usage: kubesealpy_object.py unseal KEY | seal CERT NAME NS SCOPE")
