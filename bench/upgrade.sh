#!/usr/bin/env bash
# `cozypkg upgrade plan` on the real platform: cozypkgd with the 99 real
# PackageSources Ready on the real tree pushed as v1 and a Package for
# each; v2 is the same tree with one component's values.yaml changed.
# Wall time and peak RSS of the plan (PackageSources, engine runs, every
# component assembled offline, values, migrations), best of N.
#   bench/upgrade.sh BUILD_DIR [N]
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

real_checkout real
start_registry plain
"$COZYPKG" push --insecure --allow-reserved-names --path real --source s --revision r "oci://$REG/p/packages:v1" >/dev/null 2>&1
echo 'bench: changed' >>real/packages/system/cert-manager/values.yaml
"$COZYPKG" push --insecure --allow-reserved-names --path real --source s --revision r "oci://$REG/p/packages:v2" >/dev/null 2>&1
start_server
k create namespace cozy-system >/dev/null
k apply --server-side -f "$SOURCES" >/dev/null
k apply -f - >/dev/null <<Y
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: cozystack-packages, namespace: cozy-system}
spec: {url: "oci://$REG/p/packages", ref: {tag: v1}, interval: 5m, insecure: true}
Y
packages_for_all | k apply -f - >/dev/null
until [[ $(api GET /apis/cozystack.io/v1alpha1/packagesources |
           jq '[.items[].status.conditions[]? | select(.type == "Ready" and .status == "True")] | length') == 99 ]]; do
  sleep 0.1
done
best=
for i in $(seq 1 "$runs"); do
  /usr/bin/time -f '%e %M' -o time "$COZYPKG" upgrade plan cozystack-packages --insecure --to v2 -o json >plan.json || true
  read -r wall rss <time
  echo "run $i: ${wall} s, $((rss / 1024)) MB"
  if [[ -z $best ]] || awk "BEGIN {exit !($wall < ${best%% *})}"; then best="$wall $rss"; fi
done
read -r wall rss <<<"$best"
printf 'upgrade plan, real platform (99 sources, %s artifacts: %s changed, %s unchanged): best %.2f s, %s MB peak RSS\n' \
  "$(jq '.artifacts | length' plan.json)" \
  "$(jq '[.artifacts[] | select(.status == "changed")] | length' plan.json)" \
  "$(jq '[.artifacts[] | select(.status == "unchanged")] | length' plan.json)" \
  "$wall" "$((rss / 1024))"
