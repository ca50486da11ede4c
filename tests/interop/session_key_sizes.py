"""Test peer: seals values in sealed-secrets' hybrid format with a session key of any
length, written from the format alone with Python `cryptography` (installed with
kubesealpy). sealed-secrets writes 32-byte keys; the controller's Go code opens 16-
and 24-byte ones too (aes.NewCipher), and other sealers may write them.

Reads JSON on stdin: {"cert": PATH, "label": TEXT, "values": [[KEY_LEN, HEX], ...]}
and writes a JSON array of base64 wire values:
  u16be(len(rsa)) || RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session key)
                  || AES-GCM(session key, 12 zero bytes nonce)(value) with its tag.
A key length AES does not have (neither 16, 24 nor 32) gets an AES-GCM part made
with another, random 16-byte key: a reader must refuse such a value.
"""

import base64
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

req = json.load(sys.stdin)
with open(req["cert"], "rb") as f:
    public_key = x509.load_pem_x509_certificate(f.read()).public_key()
oaep = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()),
    algorithm=hashes.SHA256(),
    label=req["label"].encode() or None,
)
out = []
for key_len, value in req["values"]:
    session_key = os.urandom(key_len)
    rsa_block = public_key.encrypt(session_key, oaep)
    aes_key = session_key if key_len in (16, 24, 32) else os.urandom(16)
    aes_block = AESGCM(aes_key).encrypt(b"\0" * 12, bytes.fromhex(value), None)
    wire = struct.pack(">H", len(rsa_block)) + rsa_block + aes_block
    out.append(base64.b64encode(wire).decode("ascii"))
json.dump(out, sys.stdout)
