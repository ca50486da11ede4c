#!/usr/bin/env python3
"""Seals and unseals SealedSecrets with kubesealpy (an independent implementation)
for empseal's source tests.

  kubeseal_peer.py seal CERT.pem NAMESPACE NAME SCOPE KEY=VALUE...   -> SealedSecret JSON on stdout
  kubeseal_peer.py unseal KEY.pem < sealed.json                        -> {"KEY": "VALUE"} JSON on stdout
                                                                         (exit 3 when the key cannot decrypt)
"""

import json
import sys

from kubesealpy import Sealer, SealingScope, Unsealer
from kubesealpy.exceptions import KubesealPyError
from kubesealpy.models import SealedSecret


def main():
    cmd = sys.argv[1]
    if cmd == "seal":
        cert, ns, name, scope = sys.argv[2:6]
        data = dict(kv.split("=", 1) for kv in sys.argv[6:])
        sealer = Sealer.from_certificate_file(cert)
        ss = sealer.seal(
            name=name,
            namespace=ns,
            data={k: v.encode() for k, v in data.items()},
            scope=SealingScope(scope),
        )
        print(json.dumps(ss.model_dump(by_alias=True, exclude_none=True)))
    elif cmd == "unseal":
        unsealer = Unsealer.from_private_key_file(sys.argv[2])
        ss = SealedSecret.model_validate(json.load(sys.stdin))
        try:
            secret = unsealer.unseal(ss)
        except KubesealPyError:
            sys.exit(3)
        import base64

        print(json.dumps({k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
