// Test helper for `empseal check`: replaces `{{linode<BITS>:<NAMESPACE>}}` tokens
// in the given files with values sealed at test time by the independent npm
// implementation @linode/kubeseal-encrypt (namespace-wide label), using
// CERTDIR/pub-<BITS>.pem.   usage: node seal_linode.mjs CERTDIR FILE...
import { readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const { encryptSecretItem } = require("@linode/kubeseal-encrypt");
const [certdir, ...files] = process.argv.slice(2);
const TOKEN = /\{\{linode(\d+):([^}]*)\}\}/g;

for (const file of files) {
  const text = readFileSync(file, "utf8");
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const pem = readFileSync(join(certdir, `pub-${m[1]}.pem`), "utf8");
    parts.push(text.slice(last, m.index));
    parts.push(await encryptSecretItem(pem, m[2], randomBytes(24).toString("hex")));
    last = m.index + m[0].length;
  }
  if (parts.length > 0) {
    parts.push(text.slice(last));
    writeFileSync(file, parts.join(""));
  }
}
