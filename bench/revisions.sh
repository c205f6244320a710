#!/usr/bin/env bash
# Package revisions at scale: a catalog repository with N revision tags
# (N/10 packages of 10 revisions each), registered with cozypkgd; the time
# until discovery has made every revision an object, LIST of all of them,
# create -> proposed -> published of new revisions one at a time, and
# cozypkgd's peak RSS.
#   bench/revisions.sh BUILD_DIR [N] [PUBLISHES]
set -euo pipefail
build=${1:-build}
n=${2:-10000}
publishes=${3:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
dpid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null
  [[ -n $dpid ]] && kill "$dpid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
G() { git -c user.email=b@example.com -c user.name=b -c init.defaultBranch=main "$@"; }

# The repository: one commit holding every package, N tags on it.
G init -q --bare "$work/cat.git"
G init -q "$work/w"
pkgs=$((n / 10))
for ((p = 0; p < pkgs; p++)); do
  mkdir -p "$work/w/packages/bench/p$p"
  printf 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: p%d}\n' "$p" >"$work/w/packages/bench/p$p/Kptfile"
  printf 'replicas: %d\n' "$p" >"$work/w/packages/bench/p$p/values.yaml"
done
G -C "$work/w" add -A && G -C "$work/w" commit -qm packages
head=$(G -C "$work/w" rev-parse HEAD)
for ((p = 0; p < pkgs; p++)); do
  for ((v = 1; v <= 10; v++)); do echo "create refs/tags/packages/bench/p$p/v$v $head"; done
done | G -C "$work/w" update-ref --stdin
G -C "$work/w" push -q "$work/cat.git" main --tags
# As a git server's gc leaves them: one packed-refs file.
G --git-dir="$work/cat.git" pack-refs --all
# Served by git itself (git daemon, git://), as a remote is in use; the
# file:// transport of libgit2 lists a local remote's refs one file
# lookup at a time, which no server does.
G --git-dir="$work/cat.git" config daemon.receivepack true
gport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --export-all --enable=receive-pack --base-path="$work" --listen=127.0.0.1 --port="$gport" \
  "$work" 2>"$work/daemon.log" &
dpid=$!

${CZ_BENCH_WRAP:-} "$build/cozypkgd" --data "$work/data" --listen 127.0.0.1:0 --quiet --repository-interval 1h >"$work/stdout" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do grep -q '^kubeconfig:' "$work/stdout" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/.*server: \(\S*\).*/\1/p' "$work/data/kubeconfig")
token=$(cat "$work/data/admin.token")
echo "revisions: N=$n tags in one repository ($pkgs packages), $(nproc) cores, $(date -u +%Y-%m-%d)"
python3 "$root/bench/revload.py" "$url" "$token" "$work/data/ca.crt" "git://127.0.0.1:$gport/cat.git" "$n" "$publishes" "$pid"
if grep -q 'level=error' "$work/log"; then
  echo "server errors: $(grep -c 'level=error' "$work/log")"
  grep 'level=error' "$work/log" | head -3
fi
