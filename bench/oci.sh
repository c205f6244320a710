#!/usr/bin/env bash
# OCI pull and push of a 50 MB Helm chart against a local docker-registry
# (plain HTTP on loopback): oci_tool (the cozypkg client) and skopeo side
# by side in one run, best of N wall times, and the ratio.
#   bench/oci.sh BUILD_DIR [N] [SIZE_MB]
set -euo pipefail
build=${1:-build}
runs=${2:-5}
mb=${3:-50}
tool="$build/tests/drivers/oci_tool"
work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
cat >"$work/registry.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/reg}}
http: {addr: "$reg"}
YML
# start_registry: a registry with empty storage (pushes then really
# upload: skopeo remembers where it saw a blob and would mount it).
start_registry() {
  if [[ -n $pid ]]; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work/reg"
  docker-registry serve "$work/registry.yml" >>"$work/registry.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://$reg/v2/" >/dev/null && break; sleep 0.05; done
}
start_registry

# The chart: Chart.yaml first, then an incompressible payload.
mkdir -p "$work/src/big/files"
printf 'apiVersion: v2\nname: big\nversion: 1.0.0\n' >"$work/src/big/Chart.yaml"
head -c "$((mb * 1024 * 1024))" /dev/urandom >"$work/src/big/files/payload.bin"
tar -C "$work/src" -czf "$work/big-1.0.0.tgz" big/Chart.yaml big/files
"$tool" --insecure push-chart "$work/big-1.0.0.tgz" "oci://$reg/bench" >/dev/null
# The same artifact as a local directory for each tool to push from.
mkdir -p "$work/dir"
"$tool" --insecure pull "$reg/bench/big:1.0.0" "$work/dir" >/dev/null
skopeo copy -q --src-tls-verify=false "docker://$reg/bench/big:1.0.0" "oci:$work/layout:1.0.0"

now() { date +%s.%N; }
# best CMD...: runs CMD (with {} replaced by the run number) N times from a
# clean target; sets BEST to the best wall time in seconds (no subshell, so
# that a restarted registry stays known to cleanup).  With FRESH=1 each
# run meets a registry with empty storage.
best() {
  local best= i t0 t1 dt fresh=${FRESH:-0}
  for i in $(seq 1 "$runs"); do
    rm -rf "$work/out"
    if [[ $fresh == 1 ]]; then start_registry; fi
    local args=("${@//\{\}/$i}")
    t0=$(now)
    "${args[@]}" >/dev/null || return 1
    t1=$(now)
    dt=$(awk "BEGIN {printf \"%.3f\", $t1 - $t0}")
    if [[ -z $best ]] || awk "BEGIN {exit !($dt < $best)}"; then best=$dt; fi
  done
  BEST=$best
}

FRESH=0 best bash -c "mkdir -p $work/out && $tool --insecure pull $reg/bench/big:1.0.0 $work/out"
pull_ours=$BEST
FRESH=0 best skopeo copy -q --src-tls-verify=false "docker://$reg/bench/big:1.0.0" "oci:$work/out:1.0.0"
pull_skopeo=$BEST
FRESH=1 best "$tool" --insecure push-dir "$work/dir" "$reg/ours{}/big:1.0.0"
push_ours=$BEST
FRESH=1 best "$tool" --insecure push-chart "$work/big-1.0.0.tgz" "oci://$reg/chart{}"
push_chart=$BEST
FRESH=1 best skopeo copy -q --dest-tls-verify=false "oci:$work/layout:1.0.0" "docker://$reg/skopeo{}/big:1.0.0"
push_skopeo=$BEST
# And when the registry has the blobs in another repository: skopeo
# mounts what it remembers, oci_tool what --mount-from names.
start_registry
"$tool" --insecure push-dir "$work/dir" "$reg/seed/big:1.0.0" >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:1.0.0" "docker://$reg/seed2/big:1.0.0"
FRESH=0 best "$tool" --insecure --mount-from seed/big push-dir "$work/dir" "$reg/m{}/big:1.0.0"
mount_ours=$BEST
FRESH=0 best skopeo copy -q --dest-tls-verify=false "oci:$work/layout:1.0.0" "docker://$reg/s{}/big:1.0.0"
mount_skopeo=$BEST

echo "OCI pull and push: ${mb} MB chart, docker-registry on loopback (plain HTTP), best of $runs"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u +%Y-%m-%d)"
printf '%-34s %8s %8s %7s\n' "" "oci_tool" "skopeo" "ratio"
printf '%-34s %7.3fs %7.3fs %6.2fx\n' "pull (to a directory)" "$pull_ours" "$pull_skopeo" \
  "$(awk "BEGIN {print $pull_ours / $pull_skopeo}")"
printf '%-34s %7.3fs %7.3fs %6.2fx\n' "push (from a directory, new repo)" "$push_ours" "$push_skopeo" \
  "$(awk "BEGIN {print $push_ours / $push_skopeo}")"
printf '%-34s %7.3fs %7.3fs %6.2fx\n' "push, blobs mounted (other repo)" "$mount_ours" "$mount_skopeo" \
  "$(awk "BEGIN {print $mount_ours / $mount_skopeo}")"
printf '%-34s %7.3fs %8s\n' "push-chart (from the .tgz)" "$push_chart" "-"
