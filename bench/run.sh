#!/usr/bin/env bash
# Benchmarks of cozypkg render on synthetic catalogs (bench/gencatalog):
# whole-process wall time and peak RSS, and the in-process phases.
#   bench/run.sh BUILD_DIR [N...]
set -euo pipefail
build=${1:-build}
shift || true
sizes=("$@")
((${#sizes[@]})) || sizes=(1000 10000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m); $(date -u +%Y-%m-%d)"
for n in "${sizes[@]}"; do
  "$build/bench/gencatalog" -n "$n" -o "$work/$n" 2>/dev/null
  for fmt in yaml json; do
    best=
    for run in 1 2 3; do
      /usr/bin/time -f '%e %M' -o "$work/time" \
        "$build/cozypkg" render -f "$work/$n" -o "$fmt" >"$work/out" 2>/dev/null
      read -r wall rss <"$work/time"
      if [[ -z $best ]] || awk "BEGIN {exit !($wall < ${best%% *})}"; then
        best="$wall $rss"
      fi
    done
    read -r wall rss <<<"$best"
    printf 'render N=%-6s -o %-4s wall %6.3f s  peak RSS %6.1f MB  output %s bytes\n' \
      "$n" "$fmt" "$wall" "$(awk "BEGIN {print $rss/1024}")" "$(stat -c %s "$work/out")"
  done
  echo "phases N=$n: $("$build/bench/bench_render" "$work/$n")"
  "$build/bench/bench_catalog" "$work/$n"
done
echo "store N=100000: open, GET, LIST, single writes (NORMAL, FULL), fan-out to 100 watchers"
"$build/bench/bench_store" -n 100000
"$(dirname "$0")/server.sh" "$build" 10000
"$(dirname "$0")/controllers.sh" "$build" 1000
"$(dirname "$0")/controllers.sh" "$build" 10000
"$(dirname "$0")/cli.sh" "$build" 10000
"$(dirname "$0")/oci.sh" "$build"
"$(dirname "$0")/artifacts.sh" "$build" 200
"$(dirname "$0")/market.sh" "$build" 3
"$(dirname "$0")/upgrade.sh" "$build" 3
"$(dirname "$0")/revisions.sh" "$build" 10000 30
"$(dirname "$0")/dashboard.sh" "$build" 1000
