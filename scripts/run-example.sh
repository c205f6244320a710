#!/usr/bin/env bash
# `make run`: starts cozypkgd (API, store and controllers in one process)
# with its data in BUILD/run, applies the bundled example sources, adds
# its Packages with cozypkg (values checked against the charts), waits
# until they are Ready, shows what the controllers made, and keeps
# serving until Ctrl-C.  RUN_ONCE=1 stops it after the summary instead.
# Only sources/ and packages.yaml are manifests: examples/platform/repo/ is
# the chart tree the PackageSources point at.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $build = /* ]] || build="$root/$build"
ex="$root/examples/platform"
data=${RUN_DATA:-$build/run}
listen=${LISTEN:-127.0.0.1:0}
pid=

stop() {
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
trap stop EXIT INT TERM

mkdir -p -m 0700 "$data"
"$build/cozypkgd" --data "$data" --listen "$listen" -q >"$data/cozypkgd.out" 2>"$data/cozypkgd.log" &
pid=$!
for _ in $(seq 1 200); do
  grep -q '^kubeconfig:' "$data/cozypkgd.out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$data/cozypkgd.log" >&2; exit 1; }
  sleep 0.05
done
export KUBECONFIG="$data/kubeconfig"
k() { kubectl --request-timeout=20s "$@"; }

echo "# cozypkgd is serving; its data and log are in $data"
k apply --server-side -f "$ex/packages/core/platform/sources" | sed 's/^/  /'
echo
echo "# cozypkg add -f packages.yaml --source-dir repo/ --wait"
"$build/cozypkg" add -f "$ex/packages.yaml" --source-dir "$ex/packages" --wait --timeout 60s </dev/null 2>&1 | sed 's/^/  /'
echo
echo "# cozypkg list -i"
"$build/cozypkg" list -i
echo
echo "# kubectl get packages"
k get packages
echo
echo "# kubectl get helmreleases -A"
k get helmreleases -A
echo
echo "# kubectl get namespaces -l cozystack.io/system=true"
k get namespaces -l cozystack.io/system=true
cat <<EOF

Look around:
  export KUBECONFIG=$data/kubeconfig
  kubectl get packages,packagesources
  kubectl get helmreleases -A -o yaml
  kubectl patch package example.webapp --type=merge \\
    -p '{"spec":{"components":{"webapp":{"values":{"replicas":3}}}}}'
  $build/cozypkg list --components
  $build/cozypkg status example.webapp
  $build/cozypkg dot | dot -Tsvg >graph.svg
  $build/cozypkg del example.certs --dry-run
  $build/cozypkg render -f $ex/packages/core/platform/sources -f $ex/packages.yaml
  $build/cozypkg dot --offline -f $ex/packages/core/platform/sources -f $ex/packages.yaml | dot -Tsvg >graph.svg
EOF
if [[ ${RUN_ONCE:-} == 1 ]]; then
  exit 0
fi
echo
echo "Serving until Ctrl-C."
wait "$pid"
