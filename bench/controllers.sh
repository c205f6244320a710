#!/usr/bin/env bash
# The controllers under load: N synthetic PackageSources (gencatalog), then
# N Packages created at once through the API; the time until every Package
# is Ready and every HelmRelease written, the latency of one changed
# Package, and cozypkgd's peak RSS (API, store and controllers in one
# process).  The client is bench/ctlload.c.
#   bench/controllers.sh BUILD_DIR [N]
set -euo pipefail
build=${1:-build}
n=${2:-10000}

work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$build/bench/gencatalog" -n "$n" -o "$work/catalog" 2>"$work/gen.log"
"$build/cozypkg" render -f "$work/catalog" -o json >"$work/render.json"

"$build/cozypkgd" --data "$work/data" --listen 127.0.0.1:0 --quiet >"$work/stdout" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do grep -q '^kubeconfig:' "$work/stdout" 2>/dev/null && break; sleep 0.05; done
echo "controllers load test: N=$n, $(nproc) cores, $(date -u +%Y-%m-%d)"
cat "$work/gen.log"
"$build/bench/ctlload" "$work/data/kubeconfig" "$work/render.json" "$pid"
if grep -q 'level=error' "$work/log"; then
  echo "controller errors: $(grep -c 'level=error' "$work/log")"
  grep 'level=error' "$work/log" | head -3
fi
