# The Kubernetes client and the informer against a real cozypkgd, through
# the drivers in tests/drivers.

kc() { "$BUILD/tests/drivers/kube_check" "$@"; }

CM=/api/v1/namespaces/demo/configmaps

# pkgs N: N Packages p01..pN, odd ones labelled tier=a, even ones tier=b.
pkgs() {
  local i tier
  for i in $(seq 1 "$1"); do
    tier=b
    if ((i % 2)); then tier=a; fi
    printf -- '---\napiVersion: cozystack.io/v1alpha1\nkind: Package\n'
    printf 'metadata:\n  name: p%02d\n  labels:\n    tier: %s\n' "$i" "$tier"
    printf 'spec:\n  variant: default\n'
  done
}

one_pkg() { # NAME
  printf 'apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata:\n  name: %s\nspec:\n  variant: default\n' "$1"
}

# json_field FILE EXPR: a value out of a JSON file, e.g. 'metadata.resourceVersion'.
json_field() {
  python3 - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for part in sys.argv[2].split("."):
    v = v[part]
print(v)
PY
}

# restart_server: stops cozypkgd and starts it again on the same port and
# data directory, as a rolling restart does.
restart_server() {
  local port=${SERVER_URL##*:}
  stop_server
  start_server --controllers=none --listen "127.0.0.1:$port"
}

# --- the informer driver, spoken to through two FIFOs ---------------------

ic_start() {
  mkfifo ic.in ic.out
  "$BUILD/tests/drivers/informer_check" <ic.in >ic.out 2>ic.err &
  IC_PID=$!
  exec 3>ic.in 4<ic.out
}

# ic COMMAND...: sends one command; the answer (which must start "ok") is
# left in IC_REPLY.
ic() {
  echo "$*" >&3
  IFS= read -r -t 60 IC_REPLY <&4 || fail "informer_check: no answer to: $*"
  [[ $IC_REPLY == ok* ]] || { cat ic.err >&2; fail "informer_check $*: $IC_REPLY"; }
}

# ic_stat NAME: one counter of the last `ic stats`.
ic_stat() {
  local kv
  for kv in $IC_REPLY; do
    [[ $kv == "$1="* ]] && { echo "${kv#*=}"; return 0; }
  done
  fail "no $1 in: $IC_REPLY"
}

# ic_quit: the driver must exit 0, which under the sanitizers also means
# no leak.
ic_quit() {
  echo quit >&3
  exec 3>&- 4<&-
  local status=0
  wait "$IC_PID" || status=$?
  ((status == 0)) || { cat ic.err >&2; fail "informer_check exited with status $status"; }
}

# --- the client -----------------------------------------------------------

test_client_verbs() {
  start_server --controllers=none
  echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}' >ns.json
  kc create /api/v1/namespaces ns.json >out
  contains out '"name":"demo"'
  echo '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1","namespace":"demo"},"data":{"a":"1"}}' >cm.json
  kc create $CM cm.json >created.json
  expect_exit 1 kc create $CM cm.json
  equals "$(cat err)" 'already exists: configmaps "c1" already exists'
  expect_exit 1 kc get $CM/nope
  equals "$(cat err)" 'not found: configmaps "nope" not found'
  kc get $CM/c1 >out
  contains out '"a":"1"'
  # An update with the current resourceVersion succeeds; the same one
  # again is stale and conflicts.
  python3 - <<'PY'
import json
o = json.load(open("created.json"))
o["data"]["a"] = "2"
json.dump(o, open("update.json", "w"))
PY
  kc update $CM/c1 update.json >out
  contains out '"a":"2"'
  sed -i 's/"a": "2"/"a": "9"/' update.json
  expect_exit 1 kc update $CM/c1 update.json
  contains err 'conflict: '
  echo '{"metadata":{"labels":{"x":"y"}}}' >merge.json
  kc patch $CM/c1 application/merge-patch+json merge.json >out
  contains out '"x":"y"'
  echo '[{"op":"replace","path":"/data/a","value":"3"}]' >jsonpatch.json
  kc patch $CM/c1 application/json-patch+json jsonpatch.json >out
  contains out '"a":"3"'
  echo '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name","namespace":"demo"}}' >bad.json
  expect_exit 1 kc create $CM bad.json
  contains err 'invalid: '
  contains err 'Bad_Name'
  kc delete $CM/c1 >out
  expect_exit 1 kc delete $CM/c1
  contains err 'not found: '
  expect_exit 1 kc get $CM/c1
  contains err 'not found: '
  expect_exit 1 kc --token wrong-token get /api/v1/namespaces
  contains err 'denied: '
}

test_client_errors_are_one_line() {
  start_server --controllers=none
  expect_exit 1 kc --server https://127.0.0.1:1 get /api/v1/namespaces
  equals "$(cat err)" 'i/o error: https://127.0.0.1:1: connection refused'
  expect_exit 1 kc --server https://127.0.0.1:1 watch '/api/v1/namespaces?watch=1' 1
  equals "$(cat err)" 'i/o error: https://127.0.0.1:1: connection refused'
  # The certificate is checked against tls-server-name, not the address.
  expect_exit 1 kc --tls-server-name wrong.example get /api/v1/namespaces
  contains err "i/o error: $SERVER_URL: "
  contains err "wrong.example"
  equals "$(wc -l <err)" 1
  kc --tls-server-name localhost get /api/v1/namespaces/default >out
  contains out '"name":"default"'
}

test_client_watch() {
  start_server --controllers=none
  k create namespace demo >/dev/null
  kc get $CM >list.json
  local rv
  rv=$(json_field list.json metadata.resourceVersion)
  # From the list's version, so no event is missed while connecting.
  kc watch "$CM?watch=1&resourceVersion=$rv" 3 20 >watch.out 2>watch.err &
  local watcher=$!
  k -n demo create configmap c1 --from-literal=a=1 >/dev/null
  k -n demo label configmap c1 x=y >/dev/null
  k -n demo delete configmap c1 >/dev/null
  wait $watcher || { cat watch.err >&2; fail "watch failed"; }
  equals "$(cat watch.out)" $'ADDED c1\nMODIFIED c1\nDELETED c1'
  # The stop flag ends an idle watch within a second.
  kc watch-stop '/api/v1/namespaces?watch=1' 1.5 >out
  python3 -c 'import sys; t = float(open("out").read().split()[-1]); sys.exit(0 if t <= 1.2 else "took %.1fs" % t)'
  # History before a restart is gone: an ERROR event with code 410.
  restart_server
  kc watch "$CM?watch=1&resourceVersion=$rv" 1 10 >out
  equals "$(cat out)" 'ERROR 410'
}

# --- the informer ---------------------------------------------------------

test_informer_list_and_events() {
  start_server --controllers=none
  pkgs 25 | k apply -f - >/dev/null
  ic_start
  ic start packages 7
  ic wait-synced
  equals "$IC_REPLY" "ok 25"
  # 25 objects in pages of 7: four list requests.
  equals "$(grep -c 'verb=list resource=packages' .srv/log)" 4
  ic stats
  equals "$(ic_stat lists) $(ic_stat adds) $(ic_stat bad)" "1 25 0"
  one_pkg new.one | k apply -f - >/dev/null
  ic wait-count 26
  k label pkg p01 tier=c --overwrite >/dev/null
  k delete pkg p02 >/dev/null
  ic wait-obj p01 tier c
  ic wait-gone p02
  ic wait-count 25
  ic stats
  equals "$(ic_stat adds) $(ic_stat updates) $(ic_stat deletes) $(ic_stat bad)" "26 1 1 0"
  equals "$(ic_stat lists) $(ic_stat watches)" "1 1"
  ic_quit
}

test_informer_indexes() {
  start_server --controllers=none
  pkgs 6 | k apply -f - >/dev/null
  k create namespace ns1 >/dev/null
  k create namespace ns2 >/dev/null
  k -n ns1 create configmap web --from-literal=a=1 >/dev/null
  k -n ns1 create configmap db --from-literal=a=1 >/dev/null
  k -n ns2 create configmap web --from-literal=a=1 >/dev/null
  k -n ns1 label configmap web app=web >/dev/null
  k -n ns2 label configmap web app=web >/dev/null
  k -n ns1 label configmap db app=db >/dev/null
  ic_start
  ic start configmaps 2
  ic wait-synced
  ic list ns1 - -
  equals "$IC_REPLY" "ok ns1/db,ns1/web"
  ic list - app web
  equals "$IC_REPLY" "ok ns1/web,ns2/web"
  ic list ns2 app web
  equals "$IC_REPLY" "ok ns2/web"
  ic list ns2 app db
  equals "$IC_REPLY" "ok "
  # The label index follows changes.
  k -n ns1 label configmap db app=web --overwrite >/dev/null
  ic wait-label app web 3
  ic list - app db
  equals "$IC_REPLY" "ok "
  k -n ns2 delete configmap web >/dev/null
  ic wait-label app web 2
  ic list - app web
  equals "$IC_REPLY" "ok ns1/db,ns1/web"
  ic stats
  equals "$(ic_stat bad)" 0
  ic_quit
}

test_informer_resumes_after_restart() {
  start_server --controllers=none
  pkgs 5 | k apply -f - >/dev/null
  ic_start
  ic start packages 0
  ic wait-synced
  restart_server
  one_pkg after.restart | k apply -f - >/dev/null
  k label pkg p01 tier=z --overwrite >/dev/null
  ic wait-obj p01 tier z
  ic wait-count 6
  ic stats
  (( $(ic_stat watches) >= 2 )) || fail "no new watch: $IC_REPLY"
  equals "$(ic_stat adds) $(ic_stat updates) $(ic_stat bad)" "6 1 0"
  ic_quit
}

test_informer_relists_on_gone() {
  start_server --controllers=none
  pkgs 10 | k apply -f - >/dev/null
  ic_start
  ic start packages 3
  ic wait-synced
  # Changes the informer does not see, then a restart, which forgets the
  # history: its next watch gets 410 and it must relist.
  ic stop
  one_pkg extra.one | k apply -f - >/dev/null
  k label pkg p01 tier=z --overwrite >/dev/null
  k delete pkg p02 >/dev/null
  restart_server
  ic resume
  ic wait-gone p02
  ic wait-obj p01 tier z
  ic wait-count 10
  ic stats
  # Only the differences are reported: one add, one update, one delete.
  equals "$(ic_stat lists) $(ic_stat adds) $(ic_stat updates) $(ic_stat deletes) $(ic_stat bad)" "2 11 1 1 0"
  ic list - tier a
  equals "$IC_REPLY" "ok p03,p05,p07,p09"
  ic_quit
}

t "client: verbs and their error codes" test_client_verbs
t "client: transport errors are one line naming the server" test_client_errors_are_one_line
t "client: watch events, stop flag, 410" test_client_watch
t "informer: paged list, then events" test_informer_list_and_events
t "informer: namespace and label indexes" test_informer_indexes
t "informer: resumes after a server restart" test_informer_resumes_after_restart
t "informer: relists on 410 and reports the differences" test_informer_relists_on_gone
