#!/usr/bin/env bash
# The marketplace against a local docker-registry (plain HTTP, loopback):
#  - `cozypkg push` of the real Cozystack tree beside `skopeo copy` of the
#    same artifact from an OCI layout, best of N, and the ratio;
#  - `cozypkg search` over a 10,000-entry index (bench/bench_search);
#  - from the start of push of the real tree to all 99 real PackageSources
#    Ready on it in cozypkgd (sources applied first, the OCIRepository
#    created as soon as push returns), best of N.
#   bench/market.sh BUILD_DIR [N]
set -euo pipefail
build=${1:-build}
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $build = /* ]] || build="$root/$build"
BUILD=$build
COZYPKG=$build/cozypkg
FIXTURES=$root/../shared/fixtures
SOURCES=$FIXTURES/cozystack-platform/sources
work=$(mktemp -d)
export BUILD COZYPKG FIXTURES SOURCES
# shellcheck source=../tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"
cd "$work"
trap 'e2e_cleanup; cd /; rm -rf "$work"' EXIT

now() { date +%s.%N; }
# Polled through the API (a few ms each), not kubectl (which would add
# its own start-up to every look).
best() { sort -n | head -1; }

real_checkout real
start_registry plain

# push beside skopeo copy: fresh repositories each time, so both upload.
# Cold: the layer built (--no-cache); warm: the tree unchanged since the
# last push, so the layer built then is uploaded (the checkout is let age
# past the two seconds in which a changed file is not cached).
export XDG_CACHE_HOME=$work/cache
sleep 3
"$COZYPKG" push --insecure --allow-reserved-names --path real --source s --revision r "oci://$REG/src/p:v1" >/dev/null 2>&1
skopeo copy -q --src-tls-verify=false "docker://$REG/src/p:v1" oci:layout:v1
: >push.t; : >warm.t; : >skopeo.t
for i in $(seq 1 "$runs"); do
  t0=$(now); "$COZYPKG" push --no-cache --insecure --allow-reserved-names --path real --source s --revision r "oci://$REG/a$i/p:v1" >/dev/null 2>&1; t1=$(now)
  echo "$t1 - $t0" | bc >>push.t
  t0=$(now); "$COZYPKG" push --insecure --allow-reserved-names --path real --source s --revision r "oci://$REG/w$i/p:v1" >/dev/null 2>&1; t1=$(now)
  echo "$t1 - $t0" | bc >>warm.t
  t0=$(now); skopeo copy -q --dest-tls-verify=false oci:layout:v1 "docker://$REG/b$i/p:v1"; t1=$(now)
  echo "$t1 - $t0" | bc >>skopeo.t
done
p=$(best <push.t); w=$(best <warm.t); s=$(best <skopeo.t)
printf 'push of the real tree (%s files, %s MB): skopeo copy (layout) %.3f s; cozypkg push, layer built %.3f s (ratio %.2f), tree unchanged %.3f s (ratio %.2f)\n' \
  "$(find real/packages -type f | wc -l)" "$(du -sm real/packages | cut -f1)" "$s" "$p" "$(echo "$p / $s" | bc -l)" \
  "$w" "$(echo "$w / $s" | bc -l)"

"$build/bench/bench_search"

# push -> 99 PackageSources Ready.
: >ready.t
for i in $(seq 1 "$runs"); do
  rm -rf data; DATA=$PWD/data start_server
  k create namespace cozy-system >/dev/null
  k apply --server-side -f "$SOURCES" >/dev/null
  t0=$(now)
  "$COZYPKG" push --no-cache --insecure --allow-reserved-names --path real --source s --revision r "oci://$REG/run$i/packages:v1" >/dev/null 2>&1
  k apply -f - >/dev/null <<Y
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: cozystack-packages, namespace: cozy-system}
spec: {url: "oci://$REG/run$i/packages", ref: {tag: v1}, interval: 5m, insecure: true}
Y
  until [[ $(api GET /apis/cozystack.io/v1alpha1/packagesources |
             jq '[.items[].status.conditions[]? | select(.type == "Ready" and .status == "True")] | length') == 99 ]]; do
    sleep 0.02
  done
  t1=$(now)
  echo "$t1 - $t0" | bc >>ready.t
  stop_server
done
printf 'push of the real tree -> 99 PackageSources Ready: best %.2f s of %s runs (%s)\n' \
  "$(best <ready.t)" "$runs" "$(tr '\n' ' ' <ready.t)"
