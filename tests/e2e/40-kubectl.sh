# cozypkgd with the machine's real kubectl: discovery, OpenAPI, every verb,
# output formats, watch, cascade deletion and the error paths.

package_yaml() { # NAME [VARIANT]
  cat <<EOF
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata:
  name: $1
spec:
  variant: ${2:-default}
EOF
}

test_server_starts() {
  start_server --controllers=none
  [[ -f data/kubeconfig && -f data/store.db && -f data/ca.crt ]] || fail "data directory incomplete"
  equals "$(stat -c %a data/admin.token)" 600
  api GET /version >out
  contains out '"major":"1"'
  k version -o json >out
  contains out '"serverVersion"'
  equals "$(api GET /healthz)" ok
  equals "$(api GET /livez)" ok
}

test_api_resources() {
  start_server --controllers=none
  k api-resources >out
  contains out "packages"
  grep -E '^packages +pkg,pkgs +cozystack.io/v1alpha1 +false +Package' out || fail "packages row: $(grep packages out)"
  grep -E '^packagesources +pks +cozystack.io/v1alpha1 +false +PackageSource' out || fail "packagesources row"
  grep -E '^helmreleases +hr +helm.toolkit.fluxcd.io/v2 +true +HelmRelease' out || fail "helmreleases row"
  grep -E '^leases .*coordination.k8s.io/v1 +true +Lease' out || fail "leases row"
  k api-versions >out
  for gv in v1 cozystack.io/v1alpha1 helm.toolkit.fluxcd.io/v2 source.toolkit.fluxcd.io/v1 coordination.k8s.io/v1; do
    grep -qx "$gv" out || fail "api-versions lacks $gv"
  done
}

test_explain() {
  start_server --controllers=none
  k explain packages.spec >out
  contains out "variant"
  contains out "components"
  k explain packagesource.spec.variants >out
  contains out "dependsOn"
  k explain helmrelease.spec >out
  contains out "chart"
}

test_apply_fixtures() {
  need_fixtures
  start_server --controllers=none
  k apply -f "$SOURCES" >out
  equals "$(grep -c 'created$' out)" 99
  equals "$(k get pks -o name | wc -l)" 99
  # Applying again changes nothing.
  k apply -f "$SOURCES" >out
  equals "$(grep -c 'unchanged$' out)" 99
  k get pks cozystack.networking -o json >obj.json
  python3 - <<'PY'
import json
o = json.load(open("obj.json"))
assert o["metadata"]["generation"] == 1, o["metadata"]
assert "kubectl.kubernetes.io/last-applied-configuration" in o["metadata"]["annotations"]
assert o["spec"]["variants"], "variants lost"
PY
}

test_apply_server_side() {
  need_fixtures
  start_server --controllers=none
  k apply --server-side -f "$SOURCES" >out
  equals "$(grep -c 'serverside-applied$' out)" 99
  k apply --server-side -f "$SOURCES" >out
  equals "$(grep -c 'serverside-applied$' out)" 99
  k get pks cozystack.networking -o json --show-managed-fields >obj.json
  python3 - <<'PY'
import json
o = json.load(open("obj.json"))
mf = o["metadata"]["managedFields"]
assert any(m["manager"] == "kubectl" and m["operation"] == "Apply" for m in mf), mf
assert o["metadata"]["generation"] == 1
PY
  # A field owned by another manager conflicts unless forced.
  package_yaml demo.app default | k apply --server-side -f - >/dev/null
  package_yaml demo.app other | expect_exit 1 k apply --server-side --field-manager=other -f -
  contains err "conflict"
  package_yaml demo.app other | k apply --server-side --field-manager=other --force-conflicts -f -
  equals "$(k get pkg demo.app -o jsonpath='{.spec.variant}')" other
}

test_get_output_formats() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  k get pkg demo.app -o yaml >out
  contains out "name: demo.app"
  contains out "variant: default"
  k get pkg demo.app -o json >out
  contains out '"variant": "default"'
  k get pkg >out
  grep -E '^NAME +VARIANT +READY +STATUS' out || fail "header: $(head -1 out)"
  grep -E '^demo.app +default' out || fail "row: $(cat out)"
  k get pkg -o wide >out
  contains out "VARIANT"
  equals "$(k get pkg -o name)" "package.cozystack.io/demo.app"
  equals "$(k get pkg demo.app -o jsonpath='{.metadata.name}/{.spec.variant}')" "demo.app/default"
  k get ns default >out 2>&1 || true
}

test_watch_events() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  k get pkg -w --output-watch-events >watch.out 2>watch.err &
  local w=$!
  sleep 1
  package_yaml demo.two | k apply -f - >/dev/null
  k label pkg demo.app tier=core >/dev/null
  k delete pkg demo.two >/dev/null
  sleep 1.5
  kill $w 2>/dev/null || true
  wait $w 2>/dev/null || true
  # Table events: the printer columns of every event, with its type.
  grep -E '^EVENT +NAME +VARIANT +READY +STATUS' watch.out || fail "header: $(head -2 watch.out)"
  grep -E '^ADDED +demo.app +default' watch.out || fail "initial ADDED"
  grep -E '^ADDED +demo.two +default' watch.out || fail "ADDED"
  grep -E '^MODIFIED +demo.app' watch.out || fail "MODIFIED"
  grep -E '^DELETED +demo.two' watch.out || fail "DELETED"
}

test_patch_kinds() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  k patch pkg demo.app --type=merge -p '{"spec":{"variant":"v2"}}' >/dev/null
  equals "$(k get pkg demo.app -o jsonpath='{.spec.variant}')" v2
  equals "$(k get pkg demo.app -o jsonpath='{.metadata.generation}')" 2
  k patch pkg demo.app --type=json -p '[{"op":"replace","path":"/spec/variant","value":"v3"}]' >/dev/null
  equals "$(k get pkg demo.app -o jsonpath='{.spec.variant}')" v3
  # The status subresource changes status only, and not the generation.
  k patch pkg demo.app --subresource=status --type=merge \
    -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]},"spec":{"variant":"ignored"}}' >/dev/null
  equals "$(k get pkg demo.app -o jsonpath='{.status.conditions[0].status}')" True
  equals "$(k get pkg demo.app -o jsonpath='{.spec.variant}')" v3
  equals "$(k get pkg demo.app -o jsonpath='{.metadata.generation}')" 3
  # Writes to the main resource never change status.
  k patch pkg demo.app --type=merge -p '{"status":{"conditions":[]}}' >/dev/null
  equals "$(k get pkg demo.app -o jsonpath='{.status.conditions[0].status}')" True
  k get pkg demo.app >out
  grep -E '^demo.app +v3 +True +ok' out || fail "table: $(cat out)"
  # Strategic merge patch on a built-in kind.
  k create namespace team >/dev/null
  k create configmap cfg -n team --from-literal=a=1 >/dev/null
  k patch configmap cfg -n team -p '{"data":{"b":"2"}}' >/dev/null
  equals "$(k get cm cfg -n team -o jsonpath='{.data.a}{.data.b}')" 12
}

test_label_annotate() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  package_yaml demo.two | k apply -f - >/dev/null
  k label pkg demo.app tier=core >/dev/null
  k annotate pkg demo.app note=hello >/dev/null
  equals "$(k get pkg -l tier=core -o name)" "package.cozystack.io/demo.app"
  equals "$(k get pkg -l 'tier notin (core)' -o name)" "package.cozystack.io/demo.two"
  equals "$(k get pkg -l '!tier' -o name)" "package.cozystack.io/demo.two"
  equals "$(k get pkg --field-selector metadata.name=demo.two -o name)" "package.cozystack.io/demo.two"
  equals "$(k get pkg demo.app -o jsonpath='{.metadata.annotations.note}')" hello
  k label pkg demo.app tier- >/dev/null
  equals "$(k get pkg -l tier=core -o name)" ""
}

# A Package owns HelmReleases in a namespace: deleting it deletes them.
test_delete_cascade() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  local uid
  uid=$(k get pkg demo.app -o jsonpath='{.metadata.uid}')
  k create namespace demo >/dev/null
  for name in one two; do
    cat <<EOF | k apply -f - >/dev/null
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: $name
  namespace: demo
  ownerReferences:
  - apiVersion: cozystack.io/v1alpha1
    kind: Package
    name: demo.app
    uid: $uid
    controller: true
    blockOwnerDeletion: true
spec:
  interval: 5m0s
  chartRef:
    kind: ExternalArtifact
    name: demo
    namespace: cozy-system
EOF
  done
  equals "$(k get hr -n demo -o name | wc -l)" 2
  k delete pkg demo.app >/dev/null
  local i
  for i in $(seq 1 50); do
    [[ $(k get hr -n demo -o name | wc -l) -eq 0 ]] && break
    sleep 0.1
  done
  equals "$(k get hr -n demo -o name | wc -l)" 0
  # A dependent written after its owner went (a controller acting on a
  # cache from before the deletion) is collected too.
  k create configmap late -n demo -o json --dry-run=client --from-literal=a=b |
    python3 -c "import json,sys; o=json.load(sys.stdin); o['metadata']['ownerReferences']=[{'apiVersion':'cozystack.io/v1alpha1','kind':'Package','name':'demo.app','uid':'$uid'}]; print(json.dumps(o))" |
    k create -f - >/dev/null
  wait_until 10 eval '! k get cm late -n demo >/dev/null 2>&1'
  # Foreground: the owner stays until its dependents are gone.
  package_yaml demo.fg | k apply -f - >/dev/null
  uid=$(k get pkg demo.fg -o jsonpath='{.metadata.uid}')
  k create configmap dep -n demo -o json --dry-run=client --from-literal=a=b |
    python3 -c "import json,sys; o=json.load(sys.stdin); o['metadata']['ownerReferences']=[{'apiVersion':'cozystack.io/v1alpha1','kind':'Package','name':'demo.fg','uid':'$uid'}]; print(json.dumps(o))" |
    k create -f - >/dev/null
  k delete pkg demo.fg --cascade=foreground >/dev/null
  expect_exit 1 k get cm dep -n demo
  expect_exit 1 k get pkg demo.fg
  # Deleting a namespace deletes what is in it.
  k create configmap left -n demo --from-literal=a=b >/dev/null
  k delete namespace demo >/dev/null
  expect_exit 1 k get cm left -n demo
  expect_exit 1 k get ns demo
}

test_wait_ready() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  (sleep 1; k patch pkg demo.app --subresource=status --type=merge \
    -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' >/dev/null) &
  local patcher=$!
  k wait --for=condition=Ready pkg/demo.app --timeout=20s >out
  contains out "condition met"
  wait $patcher
}

test_diff() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  package_yaml demo.app | expect_exit 0 k diff -f -
  package_yaml demo.app v2 | expect_exit 1 k diff -f -
  contains out "+  variant: v2"
  contains out "-  variant: default"
}

test_error_paths() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  # 409 on a stale update.
  k get pkg demo.app -o json >old.json
  k patch pkg demo.app --type=merge -p '{"spec":{"variant":"v2"}}' >/dev/null
  expect_exit 1 k replace -f old.json
  contains err "the object has been modified"
  equals "$(api_code PUT /apis/cozystack.io/v1alpha1/packages/demo.app -H 'Content-Type: application/json' --data @old.json)" 409
  contains body '"reason":"Conflict"'
  # A stale version conflicts even when the body matches what is stored.
  k get pkg demo.app -o json >same.json
  k annotate pkg demo.app touched=yes >/dev/null
  k annotate pkg demo.app touched- >/dev/null
  k get pkg demo.app -o json >now.json
  python3 - <<'PY'
import json
a, b = json.load(open("same.json")), json.load(open("now.json"))
assert a["metadata"]["resourceVersion"] != b["metadata"]["resourceVersion"]
for o in (a, b):
    for k in ("resourceVersion", "managedFields"):
        o["metadata"].pop(k, None)
assert a == b, (a, b)
PY
  equals "$(api_code PUT /apis/cozystack.io/v1alpha1/packages/demo.app -H 'Content-Type: application/json' --data @same.json)" 409
  # 422 with the field path.
  equals "$(api_code POST /apis/cozystack.io/v1alpha1/packages -H 'Content-Type: application/json' \
    --data '{"apiVersion":"cozystack.io/v1alpha1","kind":"Package","metadata":{"name":"bad"},"spec":{"variant":7}}')" 422
  contains body '"field":"spec.variant"'
  contains body '"reason":"Invalid"'
  # 401 without a token.
  equals "$(curl -sS --cacert "$CA" -o body -w '%{http_code}' "$SERVER_URL/apis/cozystack.io/v1alpha1/packages")" 401
  contains body '"reason":"Unauthorized"'
  # 413 for a body over the cap.
  python3 -c 'print("{\"a\":\"" + "x" * (4 * 1024 * 1024) + "\"}")' >big.json
  equals "$(api_code POST /apis/cozystack.io/v1alpha1/packages -H 'Content-Type: application/json' --data-binary @big.json)" 413
  # 404 with kube's message.
  expect_exit 1 k get pkg missing
  contains err 'packages.cozystack.io "missing" not found'
  expect_exit 1 k get ns missing
  contains err 'namespaces "missing" not found'
  expect_exit 1 k get cm missing
  contains err 'configmaps "missing" not found'
  # 409 AlreadyExists.
  package_yaml demo.app >dup.yaml
  expect_exit 1 k create -f dup.yaml
  contains err "already exists"
  # The server keeps serving after all of it.
  k get pkg demo.app >/dev/null
}

test_viewer_forbidden() {
  echo 'viewtoken123,viewer,u2,"cozypkg:viewers"' >tokens.csv
  start_server --controllers=none --token-file "$PWD/tokens.csv"
  package_yaml demo.app | k apply -f - >/dev/null
  k create namespace team >/dev/null
  k create secret generic s -n team --from-literal=a=b >/dev/null
  local v=(--token=viewtoken123)
  k "${v[@]}" get pkg demo.app >/dev/null
  package_yaml demo.two | expect_exit 1 k "${v[@]}" apply -f -
  contains err "forbidden"
  expect_exit 1 k "${v[@]}" get secret s -n team
  contains err "forbidden"
  equals "$(curl -sS --cacert "$CA" -H 'Authorization: Bearer viewtoken123' -o body -w '%{http_code}' \
    -X DELETE "$SERVER_URL/apis/cozystack.io/v1alpha1/packages/demo.app")" 403
  expect_exit 1 k --token=wrong get pkg
}

test_field_validation() {
  start_server --controllers=none
  cat >unknown.yaml <<'EOF'
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata:
  name: demo.app
spec:
  variant: default
  colour: blue
EOF
  expect_exit 1 k apply -f unknown.yaml
  contains err 'unknown field "spec.colour"'
  k apply --validate=warn -f unknown.yaml >out 2>err
  contains err 'unknown field "spec.colour"'
  # Pruned from the object (kubectl's own annotation still records it).
  k get pkg demo.app -o jsonpath='{.spec}' >out
  contains out variant
  lacks out colour
}

test_create_options() {
  start_server --controllers=none
  cat >gen.json <<'EOF'
{"apiVersion":"cozystack.io/v1alpha1","kind":"Package","metadata":{"generateName":"demo-"},"spec":{}}
EOF
  equals "$(api_code POST '/apis/cozystack.io/v1alpha1/packages?dryRun=All' -H 'Content-Type: application/json' --data @gen.json)" 201
  equals "$(k get pkg -o name | wc -l)" 0
  k create -f gen.json >out
  grep -E 'package.cozystack.io/demo-[a-z0-9]{5} created' out || fail "generateName: $(cat out)"
  k create -f gen.json >/dev/null
  equals "$(k get pkg -o name | wc -l)" 2
  k delete pkg --all >/dev/null
  equals "$(k get pkg -o name | wc -l)" 0
}

test_pagination() {
  start_server --controllers=none
  local i
  for i in $(seq 1 25); do package_yaml "p$(printf %02d "$i")"; echo ---; done >many.yaml
  k apply -f many.yaml >/dev/null
  equals "$(k get pkg --chunk-size=7 -o name | wc -l)" 25
  api GET '/apis/cozystack.io/v1alpha1/packages?limit=10' >page1
  python3 - <<'PY'
import json
p = json.load(open("page1"))
assert len(p["items"]) == 10 and p["metadata"]["continue"], p["metadata"]
assert p["metadata"]["remainingItemCount"] == 15
PY
}

test_metrics_and_logs() {
  start_server --controllers=none
  k get pkg >/dev/null
  api GET /metrics >out
  contains out 'cozypkgd_requests_total{verb="list",resource="packages",code="200"}'
  contains out 'cozypkgd_request_duration_seconds_bucket{verb="list",le="+Inf"}'
  contains out 'cozypkgd_store_objects'
  contains out 'cozypkgd_watches'
  contains .srv/log 'msg=request'
  grep -E 'user=admin verb=list resource=packages code=200 duration_ms=' .srv/log >/dev/null || fail "log line: $(tail -3 .srv/log)"
}

test_watch_gone_and_restart() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  local rv
  rv=$(k get pkg demo.app -o jsonpath='{.metadata.resourceVersion}')
  k label pkg demo.app a=b >/dev/null
  stop_server
  start_server --controllers=none
  # Objects and the revision counter survive; history before the restart
  # is gone (410 in an ERROR event, as after compaction).
  equals "$(k get pkg demo.app -o jsonpath='{.metadata.labels.a}')" b
  api GET "/apis/cozystack.io/v1alpha1/packages?watch=1&resourceVersion=$rv&timeoutSeconds=1" >out
  contains out '"type":"ERROR"'
  contains out '"code":410'
  # From the current version a watch ends cleanly after timeoutSeconds.
  rv=$(k get pkg demo.app -o jsonpath='{.metadata.resourceVersion}')
  timeout 10 curl -sS --cacert "$CA" -H "Authorization: Bearer $TOKEN" \
    "$SERVER_URL/apis/cozystack.io/v1alpha1/packages?watch=1&resourceVersion=$rv&timeoutSeconds=1&allowWatchBookmarks=true" >out
}

# SIGTERM: an open watch ends with its final chunk and the server exits 0.
test_graceful_shutdown() {
  start_server --controllers=none
  package_yaml demo.app | k apply -f - >/dev/null
  (api GET '/apis/cozystack.io/v1alpha1/packages?watch=1' -N >watch.out 2>watch.err
   echo "curl status $?" >>watch.err) &
  local watcher=$!
  sleep 1
  stop_server
  wait $watcher
  contains watch.err "curl status 0"
  contains watch.out '"type":"ADDED"'
  contains .srv/log 'msg=stopped'
}

test_insecure_refused_off_loopback() {
  expect_exit 1 "$BUILD/cozypkgd" --data data --listen 0.0.0.0:0 --insecure-http
  contains err "refused on the non-loopback address"
  expect_exit 2 "$BUILD/cozypkgd"
  contains err "--data DIR is required"
  "$BUILD/cozypkgd" --help >out
  contains out "Usage: cozypkgd"
}

t "server: starts, writes kubeconfig, health and version" test_server_starts
t "server: kubectl api-resources and api-versions" test_api_resources
t "server: kubectl explain" test_explain
t "server: kubectl apply of the 99 real sources" test_apply_fixtures
t "server: kubectl apply --server-side, conflicts and force" test_apply_server_side
t "server: kubectl get in every output format" test_get_output_formats
t "server: kubectl get -w sees add, modify, delete" test_watch_events
t "server: patch merge/json/strategic and the status subresource" test_patch_kinds
t "server: label, annotate and selectors" test_label_annotate
t "server: delete cascades to owned objects and namespace contents" test_delete_cascade
t "server: kubectl wait --for=condition=Ready" test_wait_ready
t "server: kubectl diff" test_diff
t "server: 409, 422, 401, 413, 404 error paths" test_error_paths
t "server: viewers read but may not write or read secrets" test_viewer_forbidden
t "server: fieldValidation strict and warn" test_field_validation
t "server: generateName, dryRun, deletecollection" test_create_options
t "server: limit and continue" test_pagination
t "server: metrics and request log" test_metrics_and_logs
t "server: restart keeps objects; old watch versions are gone" test_watch_gone_and_restart
t "server: SIGTERM ends open watches cleanly" test_graceful_shutdown
t "server: option errors" test_insecure_refused_off_loopback
