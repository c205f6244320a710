#!/usr/bin/env bash
# The dashboard in Debian's chromium (headless): time from navigation start
# to the first render of the Packages view and of the graph, best and
# median of 5 fresh pages, for the 99 real sources with a Package each
# (controllers running) and for an N-package synthetic catalog
# (gencatalog; controllers off, so the page lists Packages without status).
#   bench/dashboard.sh BUILD_DIR [N]
set -euo pipefail
build=${1:-build}
n=${2:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $build = /* ]] || build="$root/$build"
sources="$root/../shared/fixtures/cozystack-platform/sources"
work=$(mktemp -d)
pid=
stop() {
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
cleanup() { stop; rm -rf "$work"; }
trap cleanup EXIT

[[ -d $root/tests/browser/node_modules/playwright-core ]] ||
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund >/dev/null)

# serve NAME ARGS...: cozypkgd on a free port with its data in work/NAME.
serve() {
  local name=$1; shift
  "$build/cozypkgd" --data "$work/$name" --listen 127.0.0.1:0 --quiet "$@" \
    >"$work/$name.out" 2>"$work/$name.log" &
  pid=$!
  for _ in $(seq 1 200); do grep -q '^kubeconfig:' "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
  export KUBECONFIG="$work/$name/kubeconfig"
  SERVER_URL=$(sed -n 's/.*server: \(\S*\).*/\1/p' "$KUBECONFIG")
  TOKEN=$(cat "$work/$name/admin.token")
  export SERVER_URL TOKEN
}

# packages_for_all: the real platform's Packages, as the e2e tests make them.
SOURCES=$sources
source "$root/tests/e2e/lib.sh"

echo "dashboard: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(/usr/bin/chromium --version 2>/dev/null | head -1), $(date -u +%Y-%m-%d)"
serve real
kubectl apply -f "$sources" >/dev/null
packages_for_all | kubectl apply -f - >/dev/null
sleep 5 # the controllers write every Package's status
echo "real platform (99 sources, 99 Packages):"
node "$root/tests/browser/dashboard.mjs" bench 5 | sed 's/^/  /'
stop

"$build/bench/gencatalog" -n "$n" -o "$work/catalog" 2>"$work/gen.log"
serve synthetic --controllers=none
kubectl create -f "$work/catalog/sources.yaml" >/dev/null
kubectl create -f "$work/catalog/packages.yaml" >/dev/null
echo "synthetic catalog: $(cat "$work/gen.log")"
node "$root/tests/browser/dashboard.mjs" bench 5 | sed 's/^/  /'
