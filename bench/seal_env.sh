#!/usr/bin/env bash
# `empseal seal --env` with many secrets against one: the same 2,000 values of
# 32 characters sealed as 1 secret x 2,000 keys and as 10 secrets x 200 keys
# (each repository a temporary one: empseal.yaml `secrets:`, one env file and
# one SealedSecret per secret, the demo certificate testdata/keys/demo-paper.crt
# pinned as this repository pins it, RSA-4096). `--all` reseals every value on
# every run. Prints values per second and the ratio (goal: >= 80 %).
#
# Usage: bash bench/seal_env.sh   (RUNS=10 runs each, after 2 warm-ups)
# Needs what `bash .ci/setup` installs (hyperfine, kubectl).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
total=2000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v hyperfine >/dev/null 2>&1 || { echo "seal_env.sh: hyperfine is missing; run bash .ci/setup" >&2; exit 1; }

cargo build --release --quiet --bin empseal
bin=$PWD/target/release/empseal

# make_repo DIR SECRETS: an env `bench` whose SECRETS secrets share the values.
make_repo() {
  local dir=$1 n=$2 per=$((total / $2)) i k
  local overlay=$dir/k8s/overlays/bench
  mkdir -p "$overlay/sealing"
  cp k8s/overlays/paper/sealing/cert.pem k8s/overlays/paper/sealing/pin.yaml "$overlay/sealing/"
  printf 'envs:\n  bench:\n    rollout: false\n    secrets:\n' > "$dir/empseal.yaml"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: bench\nresources:\n' > "$overlay/kustomization.yaml"
  for i in $(seq -w 0 $((n - 1))); do
    printf '    - sealedSecret: k8s/overlays/bench/s%s.yaml\n      envFile: k8s/overlays/bench/s%s.env\n' "$i" "$i" >> "$dir/empseal.yaml"
    printf '  - s%s.yaml\n' "$i" >> "$overlay/kustomization.yaml"
    printf 'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s%s\n  namespace: bench\nspec:\n  encryptedData:\n    KEY: AgAAAA...\n  template:\n    metadata:\n      name: s%s\n      namespace: bench\n' "$i" "$i" > "$overlay/s$i.yaml"
    python3 - "$per" "$i" > "$overlay/s$i.env" <<'PY'
import random, string, sys
r = random.Random(int(sys.argv[2]))
for k in range(int(sys.argv[1])):
    print(f"KEY_{k}=" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(32)))
PY
  done
  (cd "$dir" && git init -q && printf '*.env\n*.state\n' > .gitignore)
  "$bin" seal --env bench --root "$dir" > /dev/null
}
make_repo "$work/one" 1
make_repo "$work/ten" 10

hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$work/h.json" \
  -n "1x2000" "$bin seal --env bench --all --root $work/one" \
  -n "10x200" "$bin seal --env bench --all --root $work/ten" >/dev/null

# Every value is sealed in each layout.
test "$(cat "$work"/one/k8s/overlays/bench/s*.yaml | grep -c '^    KEY_')" = "$total"
test "$(cat "$work"/ten/k8s/overlays/bench/s*.yaml | grep -c '^    KEY_')" = "$total"

# Interleaved: on a shared (virtual) machine the load drifts from minute to
# minute, so ROUNDS=15 rounds each seal one layout and then the other right
# after it, and the ratio is taken per round (wall time and CPU time).
python3 - "$work/h.json" "$total" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs" "${ROUNDS:-15}" \
  "$bin seal --env bench --all --root $work/one" "$bin seal --env bench --all --root $work/ten" <<'PY'
import json, os, subprocess, sys, time
h = json.load(open(sys.argv[1]))
total = int(sys.argv[2])
print(f"seal --env --all, {total} values, RSA-4096, {sys.argv[3]} CPUs, load average {sys.argv[4]}, {sys.argv[5]} runs each")
r = {x["command"]: x for x in h["results"]}
print(f"{'secrets x keys':<16}{'median s':>10}{'mean s':>9}{'± s':>8}{'CPU s':>8}{'values/s':>10}")
for n, x in r.items():
    print(f"{n:<16}{x['median']:>10.3f}{x['mean']:>9.3f}{x['stddev']:>8.3f}"
          f"{x['user'] + x['system']:>8.3f}{total / x['median']:>10.0f}")
ratio = r["1x2000"]["median"] / r["10x200"]["median"]
print(f"10 secrets x 200 keys: {100 * ratio:.0f} % of the one-secret rate per value by median wall time (goal: >= 80 %)")
def run(cmd):
    t, c = time.perf_counter(), os.times()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = os.times()
    return time.perf_counter() - t, d.children_user + d.children_system - c.children_user - c.children_system
walls, cpus = [], []
for _ in range(int(sys.argv[6])):
    (w1, c1), (w10, c10) = run(sys.argv[7]), run(sys.argv[8])
    walls.append(100 * w1 / w10)
    cpus.append(100 * c1 / c10)
walls.sort(); cpus.sort()
m = len(walls) // 2
print(f"interleaved, {len(walls)} rounds: 10x200 at {walls[m]:.0f} % of the 1x2000 rate by wall time "
      f"(range {walls[0]:.0f}-{walls[-1]:.0f} %), {cpus[m]:.0f} % by CPU time (range {cpus[0]:.0f}-{cpus[-1]:.0f} %); "
      f"load average now {open('/proc/loadavg').read().split()[0]}")
PY
