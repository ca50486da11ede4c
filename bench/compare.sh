#!/usr/bin/env bash
# Whole-process comparison: seal the same 2,000-key env file with empseal, PyPI
# kubesealpy and npm @linode/kubeseal-encrypt (hyperfine), and print values per
# second side by side, with `openssl speed rsa4096`'s public-operation rate as the
# ceiling. Usage: bash bench/compare.sh [KEYS] (default 2000). Needs `bash .ci/setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
keys=${1:-2000}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/empseal
cert=testdata/keys/rsa4096.crt
export NODE_PATH="${NODE_PATH:-$(npm root -g)}"

python3 - "$keys" > "$work/bench.env" <<'PY'
import random, string, sys
r = random.Random(7)
for i in range(int(sys.argv[1])):
    print(f"KEY_{i}=" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(32)))
PY

hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$work/h.json" \
  -n empseal "$bin seal --cert $cert --from-env-file $work/bench.env --name bench -n bench -w $work/empseal.yaml" \
  -n empseal-1core "taskset -c 0 $bin seal --cert $cert --from-env-file $work/bench.env --name bench -n bench -w $work/empseal1.yaml" \
  -n kubesealpy "python3 bench/kubesealpy_seal.py $cert $work/bench.env bench bench > $work/py.yaml" \
  -n linode "node bench/linode_seal.js $cert $work/bench.env bench > $work/node.txt" >/dev/null

ceiling=$(openssl speed -seconds 3 rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ {print $(NF)}')
python3 - "$work/h.json" "$keys" "$ceiling" <<'PY'
import json, sys
h = json.load(open(sys.argv[1])); keys = int(sys.argv[2]); ceiling = float(sys.argv[3])
rows = [(r["command"], r["mean"], r["stddev"], r.get("max_rss") or 0) for r in h["results"]]
base = {n: keys / m for n, m, _, _ in rows}
print(f"{'sealer':<16}{'mean s':>10}{'± s':>8}{'values/s':>12}{'vs kubesealpy':>15}")
for n, m, sd, _ in rows:
    print(f"{n:<16}{m:>10.3f}{sd:>8.3f}{keys/m:>12.0f}{(keys/m)/base['kubesealpy']:>14.1f}x")
print(f"{'openssl rsa4096 public op (1 core ceiling)':<46}{ceiling:>12.0f}/s")
print(f"empseal on one core: {100*base['empseal-1core']/ceiling:.0f}% of the ceiling")
PY
