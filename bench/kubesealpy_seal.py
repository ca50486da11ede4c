#!/usr/bin/env python3
"""Seal every KEY=VALUE line of an env file with PyPI kubesealpy (strict scope) and
print the SealedSecret YAML: the peer in bench/compare.sh."""
import sys

from kubesealpy import Sealer

cert, env_file, name, namespace = sys.argv[1:5]
data = {}
with open(env_file, "rb") as f:
    for line in f:
        line = line.rstrip(b"\n")
        if not line or line.startswith(b"#"):
            continue
        k, _, v = line.partition(b"=")
        data[k.decode()] = v
sealed = Sealer.from_certificate_file(cert).seal(name=name, namespace=namespace, data=data)
sys.stdout.write(sealed.to_yaml())
