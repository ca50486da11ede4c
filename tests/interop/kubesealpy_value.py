"""Test peer: seal and unseal single values with PyPI kubesealpy (Python `cryptography`).

Reads a JSON array of requests on stdin, writes a JSON array of answers.
  {"op": "seal", "cert": PATH, "scope": "strict|namespace-wide|cluster-wide",
   "namespace": NS, "name": NAME, "values": [HEX, ...]}
      -> {"values": [BASE64, ...]}
  {"op": "unseal", "keys": [PATH, ...], "scope": ..., "namespace": NS, "name": NAME,
   "values": [BASE64, ...]}
      -> {"values": [{"plaintext": HEX} | {"error": "ExceptionClass"}, ...]}
"""

import base64
import json
import sys

from kubesealpy import Sealer, SealingScope, Unsealer
from kubesealpy.certificate import load_private_key_from_file


def seal(req):
    sealer = Sealer.from_certificate_file(req["cert"])
    scope = SealingScope(req["scope"])
    out = []
    for value in req["values"]:
        ct = sealer.seal_value(bytes.fromhex(value), req["namespace"], req["name"], scope)
        out.append(base64.b64encode(ct).decode("ascii"))
    return {"values": out}


def unseal(req):
    unsealer = Unsealer([load_private_key_from_file(p) for p in req["keys"]])
    scope = SealingScope(req["scope"])
    out = []
    for value in req["values"]:
        try:
            pt = unsealer.unseal_value(base64.b64decode(value), req["namespace"], req["name"], scope)
            out.append({"plaintext": pt.hex()})
        except Exception as e:  # noqa: BLE001 - the class name is the answer
            out.append({"error": type(e).__name__})
    return {"values": out}


def main():
    answers = []
    for req in json.load(sys.stdin):
        answers.append({"seal": seal, "unseal": unseal}[req["op"]](req))
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
