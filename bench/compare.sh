#!/usr/bin/env bash
# Whole-process comparison: seal the same 2,000-key env file with empseal (all cores,
# and pinned to one core), PyPI kubesealpy and npm @linode/kubeseal-encrypt, and print
# values per second side by side, by wall time (hyperfine) and by CPU time (user+sys,
# which stays meaningful on a machine shared with other work), with peak memory
# (/usr/bin/time -f %M) and `openssl speed rsa4096`'s public-operation (verify) rate,
# measured in CPU time, as the per-core ceiling (also interleaved with empseal runs,
# ROUNDS=5 rounds, so drifting machine speed cancels out). Then `empseal --version`
# start-up and `empseal check` over 10,000 files.
#
# Usage: bash bench/compare.sh [KEYS]   (default 2000; RUNS=5 runs per sealer)
# Needs what `bash .ci/setup` installs (hyperfine, kubesealpy, @linode/kubeseal-encrypt,
# GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
keys=${1:-2000}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in hyperfine taskset openssl python3 node /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compare.sh: $tool is missing; run bash .ci/setup" >&2; exit 1; }
done

cargo build --release --quiet --bin empseal
bin=$PWD/target/release/empseal
cert=testdata/keys/rsa4096.crt
export NODE_PATH="${NODE_PATH:-$(npm root -g)}"

python3 - "$keys" > "$work/bench.env" <<'PY'
import random, string, sys
r = random.Random(7)
for i in range(int(sys.argv[1])):
    print(f"KEY_{i}=" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(32)))
PY

names=(empseal empseal-1core kubesealpy linode)
cmds=(
  "$bin seal --cert $cert --from-env-file $work/bench.env --name bench -n bench -w $work/empseal.yaml"
  "taskset -c 0 $bin seal --cert $cert --from-env-file $work/bench.env --name bench -n bench -w $work/empseal1.yaml"
  "python3 bench/kubesealpy_seal.py $cert $work/bench.env bench bench > $work/py.yaml"
  "node bench/linode_seal.js $cert $work/bench.env bench > $work/node.txt"
)
args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$work/h.json" "${args[@]}" >/dev/null

# Every sealer really sealed every value.
test "$(grep -c '^    KEY_' "$work/empseal.yaml")" = "$keys"
test "$(grep -c '^    KEY_' "$work/py.yaml")" = "$keys"
test "$(grep -c '^KEY_' "$work/node.txt")" = "$keys"

# Peak resident memory (KiB), one run each.
for i in "${!names[@]}"; do
  /usr/bin/time -f '%M' -o "$work/rss.${names[$i]}" bash -c "${cmds[$i]}"
done

hyperfine --style basic -N --warmup 20 --runs 300 --export-json "$work/v.json" "$bin --version" >/dev/null

# `empseal check` over 10,000 SealedSecret files (100 directories of 100), each sealed
# for the certificate it is checked against (the key check decodes every ciphertext).
"$bin" seal --cert $cert --from-literal API_KEY=bench-key --from-literal API_SECRET=bench-secret \
  --name emp-secrets-paper -n emp-system-paper -w "$work/one.yaml"
for d in $(seq -w 0 99); do
  mkdir -p "$work/tree/$d"
  for f in $(seq -w 0 99); do cp "$work/one.yaml" "$work/tree/$d/s$f.yaml"; done
done
hyperfine --style basic -N --warmup 2 --runs 10 --export-json "$work/c.json" "$bin check --cert $cert $work/tree" >/dev/null
ceiling=$(openssl speed -seconds 3 rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ {print $(NF)}')

# Per core against the ceiling, interleaved: on a shared (virtual) machine the speed of
# a core drifts from minute to minute, so each round measures OpenSSL's rate and then
# empseal on one core right after it, and the ratio is taken per round.
rounds=${ROUNDS:-5}
: > "$work/rounds"
for r in $(seq "$rounds"); do
  rate=$(openssl speed -seconds 2 rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ {print $(NF)}')
  for i in 1 2 3; do
    /usr/bin/time -f '%U %S %e' -o "$work/t" taskset -c 0 ${cmds[0]} >/dev/null
    echo "$rate $(cat "$work/t")" >> "$work/rounds"
  done
done

python3 - "$work" "$keys" "$ceiling" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
work, keys, ceiling, ncpu, load = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
h = json.load(open(f"{work}/h.json"))
rows = []
for r in h["results"]:
    n = r["command"]
    cpu = r["user"] + r["system"]
    rss = int(open(f"{work}/rss.{n}").read().split()[-1])
    rows.append((n, r["mean"], r["stddev"], cpu, rss))
wall = {n: keys / m for n, m, _, _, _ in rows}
cpus = {n: keys / c for n, _, _, c, _ in rows}
print(f"{keys} values, RSA-4096, {ncpu} CPUs, load average {load}")
print(f"{'sealer':<15}{'wall s':>9}{'± s':>8}{'values/s':>10}{'vs py':>7}{'CPU s':>8}{'values/CPU-s':>14}{'vs py':>7}{'peak RSS':>11}")
for n, m, sd, c, rss in rows:
    print(f"{n:<15}{m:>9.3f}{sd:>8.3f}{wall[n]:>10.0f}{wall[n]/wall['kubesealpy']:>6.1f}x{c:>8.3f}"
          f"{cpus[n]:>14.0f}{cpus[n]/cpus['kubesealpy']:>6.1f}x{rss/1024:>8.1f} MiB")
print(f"openssl speed rsa4096, public op (verify/s, per CPU-second): {ceiling:.0f}/s")
print(f"empseal per core: {100*cpus['empseal-1core']/ceiling:.0f}% of the ceiling by CPU time, "
      f"{100*wall['empseal-1core']/ceiling:.0f}% by wall time (from the table above)")
ratios_cpu, ratios_wall = [], []
for line in open(f"{work}/rounds"):
    rate, user, sys_, wall_s = map(float, line.split())
    ratios_cpu.append(100 * keys / (user + sys_) / rate)
    ratios_wall.append(100 * keys / wall_s / rate)
med = lambda xs: sorted(xs)[len(xs) // 2]
print(f"empseal per core, interleaved with openssl speed ({len(ratios_cpu)} runs): median "
      f"{med(ratios_cpu):.0f}% by CPU time (range {min(ratios_cpu):.0f}-{max(ratios_cpu):.0f}%), "
      f"{med(ratios_wall):.0f}% by wall time (goal: 80%)")
print(f"empseal across {ncpu} cores: {wall['empseal']:.0f} values/s vs {wall['empseal-1core']:.0f} on one core "
      f"(speed-up {wall['empseal']/wall['empseal-1core']:.2f}x by wall time)")
v = json.load(open(f"{work}/v.json"))["results"][0]
print(f"empseal --version: mean {v['mean']*1000:.2f} ms ± {v['stddev']*1000:.2f}, "
      f"min {v['min']*1000:.2f} ms, median {v['median']*1000:.2f} ms, "
      f"CPU {1000*(v['user']+v['system']):.2f} ms (goal: < 5 ms)")
c = json.load(open(f"{work}/c.json"))["results"][0]
print(f"empseal check --cert, 10,000 files: mean {c['mean']*1000:.0f} ms ± {c['stddev']*1000:.0f}, "
      f"median {c['median']*1000:.0f} ms, CPU {1000*(c['user']+c['system']):.0f} ms (goal: < 1 s)")
PY
