// Seal every KEY=VALUE line of an env file with npm @linode/kubeseal-encrypt (it seals one
// namespace-wide value per call) and print KEY: value lines: the peer in bench/compare.sh.
const fs = require('fs')
const { X509Certificate } = require('crypto')
const { encryptSecretItem } = require('@linode/kubeseal-encrypt')

async function main () {
  const [cert, envFile, namespace] = process.argv.slice(2)
  // The library takes an SPKI public key PEM, not the controller's certificate.
  const pem = new X509Certificate(fs.readFileSync(cert)).publicKey.export({ type: 'spki', format: 'pem' })
  const out = []
  for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue
    const i = line.indexOf('=')
    out.push(`${line.slice(0, i)}: ${await encryptSecretItem(pem, namespace, line.slice(i + 1))}`)
  }
  process.stdout.write(out.join('\n') + '\n')
}
main().catch((e) => { console.error(e.message); process.exit(1) })
