#!/usr/bin/env bash
# Load test of cozypkgd with 10,000 Packages: creating them through the API,
# single-object GET with wrk (32 keep-alive connections), LIST of all,
# watch fan-out of updates to 100 watchers, and the server's peak RSS.
#   bench/server.sh BUILD_DIR [N]
set -euo pipefail
build=${1:-build}
n=${2:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$build/cozypkgd" --data "$work/data" --listen 127.0.0.1:0 --quiet --controllers=none >"$work/stdout" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do grep -q '^kubeconfig:' "$work/stdout" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/.*server: \(\S*\).*/\1/p' "$work/data/kubeconfig")
token=$(cat "$work/data/admin.token")
ca="$work/data/ca.crt"
pkgs="$url/apis/cozystack.io/v1alpha1/packages"

echo "cozypkgd load test: N=$n, $(nproc) cores, $(date -u +%Y-%m-%d)"
python3 "$root/bench/apiload.py" create "$url" "$token" "$ca" "$n" 4

cat >"$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
wrk -t2 -c32 -d10s --latency -s "$work/auth.lua" "$pkgs/bench.p00042" >"$work/wrk.out"
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
errors=$(grep -c 'Non-2xx' "$work/wrk.out" || true)
echo "GET one object, 32 connections, 10 s: $rps requests/s, p50 $p50, p99 $p99 (non-2xx lines: $errors)"

best=
for _ in 1 2 3 4 5; do
  t=$(curl -sS --cacert "$ca" -H "Authorization: Bearer $token" -o "$work/list.json" -w '%{time_total}' "$pkgs")
  if [[ -z $best ]] || awk "BEGIN {exit !($t < $best)}"; then best=$t; fi
done
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$work/list.json")
echo "LIST all $count: best of 5 $(awk "BEGIN {printf \"%.1f\", $best * 1000}") ms, $(stat -c %s "$work/list.json") bytes"

python3 "$root/bench/apiload.py" fanout "$url" "$token" "$ca" 100 20

echo "peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
