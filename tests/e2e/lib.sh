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
