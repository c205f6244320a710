#!/usr/bin/env bash
# `make run`: the whole chain on one machine.  Starts a docker-registry on
# loopback and cozypkgd (API, store and controllers in one process) with
# their data in BUILD/run; publishes the example platform
# (examples/platform: packages/ with its PackageSources under
# core/platform/sources/) with `cozypkg push`, signs it, taps it with
# --verify-key so that the cluster checks the signature of every revision,
# adds its Packages (values checked against the charts), waits until they
# are Ready, shows what the controllers made, and keeps serving until
# Ctrl-C.  RUN_ONCE=1 stops after the summary instead.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $build = /* ]] || build="$root/$build"
ex="$root/examples/platform"
data=${RUN_DATA:-$build/run}
listen=${LISTEN:-127.0.0.1:0}
pid=
reg_pid=

stop() {
  for p in $pid $reg_pid; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pid= reg_pid=
}
trap stop EXIT INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A registry of our own on loopback, storage under $data/registry.
start_registry() {
  local port
  port=$(free_port)
  mkdir -p "$data/registry"
  cat >"$data/registry.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $data/registry}, delete: {enabled: true}}
http: {addr: "127.0.0.1:$port"}
YML
  docker-registry serve "$data/registry.yml" >"$data/registry.log" 2>&1 &
  reg_pid=$!
  REG=127.0.0.1:$port
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "docker-registry did not start; see $data/registry.log" >&2
  exit 1
}

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
start_registry
echo "# a registry is serving on $REG"
cz() { "$build/cozypkg" "$@"; }
ref="oci://$REG/example/platform:v1"
rm -f "$data/cosign.key" "$data/cosign.pub"
echo "# cozypkg keygen; cozypkg push $ref; cozypkg sign"
cz keygen --output-key-prefix "$data/cosign" 2>&1 | sed 's/^/  /'
cz push --insecure --path "$ex" --source https://github.com/cozystack/cozypkg \
  --revision "example@sha1:$(git -C "$root" rev-parse HEAD 2>/dev/null || echo 0)" "$ref" 2>&1 | sed 's/^/  /'
cz sign --insecure --key "$data/cosign.key" "$ref" 2>&1 | sed 's/^/  /'
echo
echo "# cozypkg tap --verify-key cosign.pub $ref"
cz tap --insecure --verify-key "$data/cosign.pub" "$ref" </dev/null 2>&1 | sed 's/^/  /'
echo
echo "# cozypkg add -f packages.yaml --source-dir packages/ --wait"
cz add -f "$ex/packages.yaml" --source-dir "$ex/packages" --wait --timeout 60s </dev/null 2>&1 | sed 's/^/  /'
echo
echo "# kubectl get packagesources,externalartifacts"
k get packagesources
k get externalartifacts -A 2>/dev/null | head -20
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
