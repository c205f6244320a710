# Helpers for the end-to-end tests.  Every helper fails the test (returns
# non-zero with a message on stderr) when its check does not hold.

fail() { echo "FAILED: $*" >&2; return 1; }

# need_fixtures: the real PackageSources must be there; a test that needs
# them never passes without them.
need_fixtures() {
  [[ -d $SOURCES ]] || fail "fixtures not found at $SOURCES"
  local n
  n=$(ls "$SOURCES"/*.yaml | wc -l)
  [[ $n -eq 99 ]] || fail "expected 99 fixture sources, found $n"
}

# expect_exit CODE CMD...: runs CMD, stdout to ./out, stderr to ./err.
expect_exit() {
  local want=$1; shift
  local got=0
  "$@" >out 2>err || got=$?
  if [[ $got -ne $want ]]; then
    echo "--- stderr:" >&2; head -20 err >&2
    fail "exit code $got, expected $want: $*"
  fi
}

# contains FILE TEXT: FILE has the fixed string TEXT.
contains() {
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; head -30 "$1" >&2; fail "$1 does not contain: $2"; }
}
lacks() {
  ! grep -qF -- "$2" "$1" || fail "$1 contains: $2"
}
equals() {
  [[ "$1" == "$2" ]] || fail "got [$1], expected [$2]"
}

# jqv EXPR: evaluates EXPR over ./render.json (with python3, always there).
jqv() {
  python3 - "$1" <<'PY'
import json, sys
doc = json.load(open("render.json"))
items = doc["items"]
def hr(ns, name):
    for o in items:
        if o["kind"] == "HelmRelease" and o["metadata"]["namespace"] == ns and o["metadata"]["name"] == name:
            return o
    raise SystemExit("no HelmRelease %s/%s" % (ns, name))
def pkg(name):
    for o in items:
        if o["kind"] == "Package" and o["metadata"]["name"] == name:
            return o
    raise SystemExit("no Package %s" % name)
def ns(name):
    for o in items:
        if o["kind"] == "Namespace" and o["metadata"]["name"] == name:
            return o
    raise SystemExit("no Namespace %s" % name)
def kind(k):
    return [o for o in items if o["kind"] == k]
def ready(p):
    c = pkg(p)["status"]["conditions"][0]
    return c["status"] + "/" + c["reason"]
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
PY
}

# packages_for_all: one Package per real source; the sources without a
# "default" variant get one chosen here.
packages_for_all() {
  local f name variant
  for f in "$SOURCES"/*.yaml; do
    name=cozystack.$(basename "$f" .yaml)
    case $name in
      cozystack.networking) variant=kubeovn-cilium ;;
      cozystack.computeplane-application|cozystack.kubernetes-application|\
      cozystack.kubernetes-nodes-application|cozystack.virtualprivatecloud-application|\
      cozystack.vm-disk-application|cozystack.vm-instance-application) variant=kubevirt ;;
      *) variant= ;;
    esac
    printf -- '---\napiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata:\n  name: %s\n' "$name"
    [[ -n $variant ]] && printf 'spec:\n  variant: %s\n' "$variant"
  done
  return 0
}

# --- cozypkgd ------------------------------------------------------------

# start_server [ARGS...]: starts cozypkgd on a free loopback port with its
# data in ./data, waits until /readyz answers, and exports KUBECONFIG (and
# a private kubectl cache).  The server is stopped when the test ends.
start_server() {
  local data=${DATA:-$PWD/data}
  mkdir -p "$PWD/.srv"
  "$BUILD/cozypkgd" --data "$data" --listen 127.0.0.1:0 "$@" \
    >"$PWD/.srv/stdout" 2>>"$PWD/.srv/log" &
  SERVER_PID=$!
  trap e2e_cleanup EXIT
  local i
  for i in $(seq 1 200); do
    grep -q '^kubeconfig:' "$PWD/.srv/stdout" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$PWD/.srv/log" >&2; fail "cozypkgd exited"; }
    sleep 0.05
  done
  export KUBECONFIG="$data/kubeconfig"
  export KUBECACHEDIR="$PWD/.kube-cache"
  SERVER_URL=$(python3 -c 'import sys,re;print(re.search(r"server: (\S+)", open(sys.argv[1]).read()).group(1))' "$KUBECONFIG")
  TOKEN=$(cat "$data/admin.token")
  CA="$data/ca.crt"
  export SERVER_URL TOKEN CA
  for i in $(seq 1 100); do
    [[ $(api GET /readyz -o /dev/null -w '%{http_code}' 2>/dev/null) == 200 ]] && return 0
    sleep 0.05
  done
  fail "cozypkgd not ready"
}

# stop_server: SIGTERM, then wait for a clean exit: status 0, which under
# the sanitizers also means no leak and no error report.
stop_server() {
  [[ -n ${SERVER_PID:-} ]] || return 0
  local pid=$SERVER_PID status=0
  SERVER_PID=
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || status=$?
  if ((status != 0)); then
    tail -30 "$PWD/.srv/log" >&2
    fail "cozypkgd exited with status $status"
  fi
}

# start_operator NAME ARGS...: starts `cozypkgd --controllers-only ARGS`
# with its log in ./NAME.log; LAST_OP is its pid.  Stopped (and required
# to exit cleanly) when the test ends, unless killed by the test first
# (then the test removes it with forget_operator PID).
OP_PIDS=()
start_operator() {
  local name=$1; shift
  "$BUILD/cozypkgd" --controllers-only "$@" >"$PWD/$name.out" 2>"$PWD/$name.log" &
  LAST_OP=$!
  OP_PIDS+=("$LAST_OP")
}
forget_operator() {
  local keep=() p
  for p in "${OP_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  OP_PIDS=("${keep[@]}")
}
stop_operators() {
  local p status=0 rc
  for p in "${OP_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
    rc=0; wait "$p" 2>/dev/null || rc=$?
    ((rc == 0)) || { echo "operator $p exited with status $rc" >&2; status=1; }
  done
  OP_PIDS=()
  return $status
}

# golden NAME FILE [DIR]: FILE equals DIR/NAME (DIR: tests/golden/cli).
# UPDATE_GOLDEN=1 rewrites the golden file instead (review the diff
# before committing).
golden() {
  local dir=${3:-$ROOT/tests/golden/cli}
  if [[ ${UPDATE_GOLDEN:-} == 1 ]]; then
    mkdir -p "$dir"
    cp "$2" "$dir/$1"
  fi
  [[ -f $dir/$1 ]] || fail "golden file $dir/$1 is missing"
  diff -u "$dir/$1" "$2"
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds.
wait_until() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || { "$@" || true; fail "not true after ${limit}s: $*"; }
    sleep 0.1
  done
}

# api METHOD PATH [curl args...]: one request with the admin token.
api() {
  local method=$1 path=$2; shift 2
  curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" -X "$method" \
    "$SERVER_URL$path" "$@"
}

# api_code METHOD PATH [curl args...]: prints only the HTTP status; the body
# goes to ./body.
api_code() {
  local method=$1 path=$2; shift 2
  api "$method" "$path" -o body -w '%{http_code}' "$@"
}

k() { kubectl --request-timeout=20s "$@"; }

# --- registries and tool servers (70-oci.sh, 85-sources.sh) --------------

OCI_PIDS=()

# e2e_cleanup: the EXIT trap of every helper here: tool servers first, then
# the operators and cozypkgd (which must exit cleanly).
e2e_cleanup() {
  oci_stop_all
  stop_operators && stop_server || exit 1
}

# Every process a test starts is stopped, by pid, when the test ends.
oci_stop_all() {
  local p
  for p in "${OCI_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  OCI_PIDS=()
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  local i
  for i in $(seq 1 100); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on port $1"
}

# start_registry [plain|basic|tls]: docker-registry on a free loopback port
# with its storage in ./reg; REG is "127.0.0.1:PORT".  basic: user alice,
# password s3cret-pw (htpasswd, bcrypt).  tls: certificate for 127.0.0.1 in
# ./tls, CA file ./tls/ca.crt (self-signed, so the certificate itself).
start_registry() {
  local mode=${1:-plain} port
  port=$(free_port)
  mkdir -p reg
  {
    echo "version: 0.1"
    echo "log: {level: error, accesslog: {disabled: true}}"
    echo "storage: {filesystem: {rootdirectory: $PWD/reg}, delete: {enabled: true}}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    if [[ $mode == tls ]]; then
      echo "  tls: {certificate: $PWD/tls/ca.crt, key: $PWD/tls/key.pem}"
    fi
    if [[ $mode == basic ]]; then
      echo "auth: {htpasswd: {realm: test, path: $PWD/htpasswd}}"
    fi
  } >registry.yml
  if [[ $mode == basic ]]; then
    htpasswd -Bbn alice s3cret-pw >htpasswd
  fi
  if [[ $mode == tls ]]; then
    mkdir -p tls
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
      -addext subjectAltName=IP:127.0.0.1 -keyout tls/key.pem -out tls/ca.crt 2>/dev/null
  fi
  docker-registry serve registry.yml >registry.log 2>&1 &
  OCI_PIDS+=($!)
  trap e2e_cleanup EXIT
  REG=127.0.0.1:$port
  wait_port "$port"
}

# start_py NAME SCRIPT ARGS...: a tool from tests/e2e/tools that writes its
# port to ./NAME.port; sets PY_PORT.
start_py() {
  local name=$1 script=$2; shift 2
  rm -f "$name.port"
  python3 "$E2E_DIR/tools/$script" --port-file "$name.port" "$@" >"$name.log" 2>&1 &
  OCI_PIDS+=($!)
  trap e2e_cleanup EXIT
  local i
  for i in $(seq 1 100); do
    [[ -s $name.port ]] && break
    sleep 0.05
  done
  PY_PORT=$(cat "$name.port") || fail "$script did not start"
}


# real_checkout DIR: the real platform as its git checkout has it: a copy
# of the fixture (hard links, so cheap) whose packages/ has its 35
# symbolic links back.  The fixture holds each link as a small file with
# the link's target and no newline; `flux push artifact` and `cozypkg
# push` leave links out, so pushing DIR gives the published artifact.
real_checkout() {
  local dir=$1 f target n=0
  [[ -d $FIXTURES/cozystack-platform/packages ]] || fail "fixtures not found at $FIXTURES"
  mkdir -p "$dir"
  cp -rl "$FIXTURES/cozystack-platform/packages" "$dir/packages"
  find "$dir/packages" -type d -exec chmod u+w {} +
  while IFS= read -r -d '' f; do
    [[ $(wc -l <"$f") == 0 ]] || continue
    target=$(cat "$f")
    [[ $target == ../* ]] || continue
    rm -f "$f" && ln -s "$target" "$f"
    n=$((n + 1))
  done < <(find "$dir/packages" -type f -size -200c -print0)
  ((n == 35)) || fail "expected the 35 symbolic links of the real tree, found $n"
}

# market_signed_entry FILE [DIGEST]: the index entry acme-platform for
# $REG/acme/platform v1.0.0, signed with signer.pub (and pinned to DIGEST).
market_signed_entry() {
  {
    echo "name: acme-platform"
    echo "ociRef: $REG/acme/platform"
    echo "version: v1.0.0"
    [[ -z ${2:-} ]] || echo "digest: $2"
    echo "description: Example platform packages"
    echo "maintainer: acme"
    echo "tags: [example]"
    echo "signing:"
    echo "  key: |"
    sed 's/^/    /' signer.pub
  } >"$1"
}
