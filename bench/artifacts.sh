#!/usr/bin/env bash
# Component artifacts: a source artifact of about 100 MB (200 charts of
# template-like text, every tenth with a 2 MB file, two libraries) is
# extracted and assembled into 200 component artifacts, as the
# ArtifactGenerator does on each source revision.  Best of 3 runs, at gzip
# levels 1 (the default) and 6, with the work directory on disk and on
# tmpfs.
#   bench/artifacts.sh BUILD_DIR [COMPONENTS]
set -euo pipefail
build=${1:-build}
n=${2:-200}
disk=$(mktemp -d)
shm=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$disk" "$shm"' EXIT

echo "component artifacts: N=$n, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d)"
for where in "$disk" "$shm"; do
  "$build/bench/bench_assemble" -n "$n" -d "$where/w" >/dev/null
  for level in 1 6; do
    best=
    best_total=
    for run in 1 2 3; do
      line=$("$build/bench/bench_assemble" -n "$n" -l "$level" -d "$where/w" | tail -1)
      total=${line##*total }
      total=${total% s}
      if [[ -z $best ]] || awk "BEGIN {exit !($total < $best_total)}"; then
        best="$line"
        best_total=$total
      fi
    done
    fs=$(df --output=fstype "$where" | tail -1)
    echo "$fs, gzip -$level: $best"
  done
done
