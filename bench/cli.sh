#!/usr/bin/env bash
# The CLI against a large cluster: N synthetic PackageSources (gencatalog)
# in cozypkgd, then the wall time of `cozypkg list`, `cozypkg add
# --dry-run` of the deepest dependency chain, and `cozypkg dot` of the
# whole graph (best and median of 7 runs, each a fresh process).
#   bench/cli.sh BUILD_DIR [N]
set -euo pipefail
build=${1:-build}
n=${2:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $build = /* ]] || build="$root/$build"
work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$build/bench/gencatalog" -n "$n" -o "$work/catalog" 2>"$work/gen.log"
"$build/cozypkg" render -f "$work/catalog/sources.yaml" -o json >"$work/render.json"
"$build/cozypkgd" --data "$work/data" --listen 127.0.0.1:0 --quiet --controllers=none \
  >"$work/stdout" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do grep -q '^kubeconfig:' "$work/stdout" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/.*server: \(\S*\).*/\1/p' "$work/data/kubeconfig")

echo "cozypkg CLI: N=$n sources, $(nproc) cores, $(date -u +%Y-%m-%d)"
cat "$work/gen.log"
python3 "$root/bench/cliload.py" "$build/cozypkg" "$url" "$(cat "$work/data/admin.token")" \
  "$work/data/ca.crt" "$work/render.json" "$work/data/kubeconfig"
