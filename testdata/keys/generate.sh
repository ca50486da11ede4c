#!/usr/bin/env bash
# Regenerates the TEST / DEMO key material in this directory with the openssl CLI.
# Everything here is public test material: never use it for a real cluster.
# Run from this directory: bash generate.sh   (overwrites every file it makes)
set -euo pipefail
cd "$(dirname "$0")"

subj='/O=sealed-secret/CN=sealed-secret'
# The controller's certificate: self-signed, CA, key usage "encipher only", 10 years.
ext=(-addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,encipherOnly')

for bits in 2048 3072 4096; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits -out rsa$bits.pk8.key 2>/dev/null
  openssl pkey -in rsa$bits.pk8.key -traditional -out rsa$bits.key          # PKCS#1
  openssl req -new -x509 -key rsa$bits.pk8.key -days 3650 -subj "$subj" "${ext[@]}" -out rsa$bits.crt
done
# DER forms of the 2048-bit material.
openssl pkcs8 -topk8 -nocrypt -in rsa2048.pk8.key -outform DER -out rsa2048.pk8.der            # PKCS#8 DER
openssl rsa -in rsa2048.key -outform DER -traditional -out rsa2048.pkcs1.der 2>/dev/null  # PKCS#1 DER
openssl x509 -in rsa2048.crt -outform DER -out rsa2048.crt.der
openssl pkey -in rsa2048.pk8.key -pubout -out rsa2048.pub.pem                      # SPKI PEM
openssl rsa -in rsa2048.key -RSAPublicKey_out -out rsa2048.pkcs1.pub.pem 2>/dev/null # PKCS#1 public PEM
# An encrypted private key (passphrase "test"), which empseal must refuse clearly.
openssl pkey -in rsa2048.pk8.key -aes256 -passout pass:test -out rsa2048.encrypted.key

# Certificates with a validity window in the past and in the future (openssl ca lets
# us set exact dates). The key is the 2048-bit one.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
touch "$tmp/index.txt"; echo 01 > "$tmp/serial"
cat > "$tmp/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $tmp
database = $tmp/index.txt
serial = $tmp/serial
new_certs_dir = $tmp
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = ext
[ any ]
organizationName = optional
commonName = supplied
[ ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,encipherOnly
CNF
openssl req -new -key rsa2048.pk8.key -subj "$subj" -out "$tmp/req.csr"
openssl ca -batch -config "$tmp/ca.cnf" -selfsign -keyfile rsa2048.pk8.key -in "$tmp/req.csr" \
  -startdate 20200101000000Z -enddate 20210101000000Z -notext -out expired.crt 2>/dev/null
openssl ca -batch -config "$tmp/ca.cnf" -selfsign -keyfile rsa2048.pk8.key -in "$tmp/req.csr" \
  -startdate 20990101000000Z -enddate 21090101000000Z -notext -out not-yet-valid.crt 2>/dev/null

# Certificates sealed-secrets cannot use.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
openssl req -new -x509 -key ec.key -days 3650 -subj "$subj" -out ec.crt
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
openssl req -new -x509 -key rsa1024.key -days 3650 -subj "$subj" -out rsa1024.crt
printf 'this is not a certificate\n-----BEGIN CERTIFICATE-----\nbm90IERFUg==\n-----END CERTIFICATE-----\n' > garbage.crt
# A bundle: a private key block, then two certificates; the first CERTIFICATE (3072) counts.
cat rsa3072.key rsa3072.crt rsa4096.crt > bundle.pem

# DEMO keys for the three environments (the committed pinned certificates until an
# operator runs `empseal cert fetch --env`).
for env in dev paper prod; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out demo-$env.key 2>/dev/null
  openssl req -new -x509 -key demo-$env.key -days 3650 \
    -subj "/O=empseal-demo-$env/CN=sealed-secret" "${ext[@]}" -out demo-$env.crt
done
