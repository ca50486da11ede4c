// Test peer: encrypt values with npm @linode/kubeseal-encrypt (Web Crypto in Node.js).
// Run with NODE_PATH="$(npm root -g)". Reads JSON on stdin:
//   {"pem": "-----BEGIN PUBLIC KEY-----...", "namespace": NS, "values": [STRING, ...]}
// and writes a JSON array of base64 sealed values (namespace-wide: the OAEP label
// is the namespace). An invalid input is reported as {"error": MESSAGE}.
const { encryptSecretItem } = require('@linode/kubeseal-encrypt');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const req = JSON.parse(input);
  try {
    const out = [];
    for (const value of req.values) {
      out.push(await encryptSecretItem(req.pem, req.namespace, value));
    }
    process.stdout.write(JSON.stringify(out));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
  }
});
