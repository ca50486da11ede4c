#!/usr/bin/env bash
# Whole-process comparison for `empseal render`: `render --all --demo` on this
# repository's k8s/ tree (every sealed env resealed from its committed example,
# every overlay rendered) against the three sequential `kubectl kustomize` calls
# that render the same overlays as they are (and `kustomize build`, when a
# kustomize binary is on PATH). Prints the medians and the ratio (goal: <= 1.0x).
#
# Usage: bash bench/render.sh   (RUNS=10 runs each, after 2 warm-ups)
# Needs what `bash .ci/setup` installs (hyperfine, kubectl).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in hyperfine kubectl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "render.sh: $tool is missing; run bash .ci/setup" >&2; exit 1; }
done

cargo build --release --quiet --bin empseal
bin=$PWD/target/release/empseal
envs=(dev paper prod)

# kubectl renders a copy of k8s/ in which each env file is its committed
# example (what `render --demo` renders; dev's SecretGenerator needs its file).
cp -r k8s "$work/k8s"
for example in "$work"/k8s/overlays/*/*.env.example; do
  cp "$example" "${example%.example}"
done
names=(empseal-render kubectl-kustomize-x3)
cmds=(
  "$bin render --all --demo --out-dir $work/out 2>/dev/null"
  "$(printf "kubectl kustomize $work/k8s/overlays/%s >/dev/null && " "${envs[@]}") true"
)
if command -v kustomize >/dev/null 2>&1; then
  names+=(kustomize-build-x3)
  cmds+=("$(printf "kustomize build $work/k8s/overlays/%s >/dev/null && " "${envs[@]}") true")
fi
args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$work/h.json" "${args[@]}" >/dev/null

# The render really rendered every env.
for env in "${envs[@]}"; do test -s "$work/out/$env.yaml"; done

# Interleaved: on a shared (virtual) machine the load drifts from minute to
# minute, so ROUNDS=15 rounds each time empseal and then the three kubectl calls
# right after it, and the ratio is taken per round.
python3 - "$work/h.json" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs" "${ROUNDS:-15}" "${cmds[0]}" "${cmds[1]}" <<'PY'
import json, subprocess, sys, time
h = json.load(open(sys.argv[1]))
print(f"render --all --demo, {sys.argv[2]} CPUs, load average {sys.argv[3]}, {sys.argv[4]} runs each")
r = {x["command"]: x for x in h["results"]}
base = r["kubectl-kustomize-x3"]["median"]
print(f"{'command':<24}{'median s':>10}{'mean s':>9}{'± s':>8}{'CPU s':>8}{'ratio':>8}")
for n, x in r.items():
    print(f"{n:<24}{x['median']:>10.3f}{x['mean']:>9.3f}{x['stddev']:>8.3f}"
          f"{x['user'] + x['system']:>8.3f}{x['median'] / base:>7.2f}x")
print(f"empseal render --all --demo / 3 sequential kubectl kustomize: "
      f"{r['empseal-render']['median'] / base:.2f}x by median wall time (goal: <= 1.0x)")
def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t
ratios = sorted(wall(sys.argv[6]) / wall(sys.argv[7]) for _ in range(int(sys.argv[5])))
print(f"interleaved, {len(ratios)} rounds: ratio median {ratios[len(ratios) // 2]:.2f}x "
      f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}x), load average now {open('/proc/loadavg').read().split()[0]}")
PY
