# The artifact chain in cozypkgd: a Flux source's artifact in the store ->
# the artifact generator -> ExternalArtifacts served at /artifacts/ ->
# HelmReleases that name them.  The Flux source is played by the test: an
# OCIRepository made with kubectl, a tarball put into the store of the
# running server with tests/drivers/assemble_tool put, and its status
# patched Ready with that artifact, as the source controller writes it
# (the object is suspended, so the real source controller leaves it alone).

ART_TOOL="$BUILD/tests/drivers/assemble_tool"
EXAMPLE="$ROOT/examples/platform"
# Every variant x component of examples/platform/packages/core/platform/sources.
CHAIN_ARTIFACTS="example-certs-default-certs example-certs-default-certs-crds
example-crds-default-crds example-networking-cni-cni
example-networking-cni-cni-policy example-webapp-default-webapp
example-webapp-default-worker"

# put_source DIR: the tree DIR packed into the server's store; sets DIGEST
# and SIZE.
put_source() {
  local out
  out=$("$ART_TOOL" put "$PWD/data" "$1") || fail "put $1"
  DIGEST=${out% *}
  SIZE=${out#* }
}

# set_source DIGEST SIZE: the OCIRepository Ready with that artifact.
set_source() {
  local hex=${1#sha256:}
  k patch ocirepository -n cozy-system example-packages --subresource=status --type=merge -p "{\"status\":{
    \"artifact\":{\"url\":\"$SERVER_URL/artifacts/sha256/$hex.tar.gz\",\"path\":\"sha256/$hex.tar.gz\",
      \"revision\":\"latest@$1\",\"digest\":\"$1\",\"size\":$2,\"lastUpdateTime\":\"2026-01-01T00:00:00Z\"},
    \"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Succeeded\",
      \"message\":\"stored artifact for digest $1\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}" >/dev/null
}

# start_chain [SERVER-ARGS...]: server, cozy-system, the OCIRepository with
# the example repo as its artifact, the example PackageSources.
start_chain() {
  start_server -q "$@"
  k create namespace cozy-system >/dev/null
  k apply -f - >/dev/null <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: example-packages, namespace: cozy-system}
spec: {url: "oci://registry.example/packages", interval: 5m, suspend: true}
EOF
  put_source "$EXAMPLE/packages"
  D1=$DIGEST S1=$SIZE
  set_source "$D1" "$S1"
  k apply --server-side -f "$EXAMPLE/packages/core/platform/sources" >/dev/null
}

ea() { k get externalartifact -n cozy-system "$1" -o jsonpath="$2"; }
ea_digest() { ea "$1" '{.status.artifact.digest}'; }
ea_digest_is() { [[ $(ea_digest "$1" 2>/dev/null) == "$2" ]]; }
ea_count() { k get externalartifacts -n cozy-system -o name | wc -l; }
ea_count_is() { [[ $(ea_count) -eq $1 ]]; }
all_built() {
  local n
  for n in $CHAIN_ARTIFACTS; do
    [[ $(ea_digest "$n" 2>/dev/null) == sha256:* ]] || return 1
  done
}
ps_ready() {
  k get packagesource "$1" -o jsonpath='{.status.conditions[0].status}/{.status.conditions[0].reason}'
}
ps_ready_is() { [[ $(ps_ready "$1") == "$2" ]]; }
ps_message() { k get packagesource "$1" -o jsonpath='{.status.conditions[0].message}'; }
# digests: "name digest" of every ExternalArtifact, sorted.
digests() {
  k get externalartifacts -n cozy-system \
    -o jsonpath='{range .items[*]}{.metadata.name} {.status.artifact.digest}{"\n"}{end}' | sort
}
hr_specs() {
  k get helmreleases -A -o json | python3 -c '
import json, sys
for o in json.load(sys.stdin)["items"]:
    print(o["metadata"]["namespace"], o["metadata"]["name"], json.dumps(o["spec"], sort_keys=True))' | sort
}

# fetch NAME: downloads the ExternalArtifact's URL to NAME.tgz and checks
# its sha256 and size against the status.
fetch() {
  local url digest size
  url=$(ea "$1" '{.status.artifact.url}')
  digest=$(ea "$1" '{.status.artifact.digest}')
  size=$(ea "$1" '{.status.artifact.size}')
  [[ $url == "$SERVER_URL/artifacts/sha256/${digest#sha256:}.tar.gz" ]] || fail "url $url"
  curl -sSf --cacert "$CA" -H "Authorization: Bearer $TOKEN" -o "$1.tgz" "$url"
  equals "sha256:$(sha256sum "$1.tgz" | cut -d' ' -f1)" "$digest"
  equals "$(stat -c %s "$1.tgz")" "$size"
}

test_chain_artifacts_served() {
  start_chain
  wait_until 30 all_built
  ea_count_is 7
  local n
  for n in $CHAIN_ARTIFACTS; do fetch "$n"; done
  # Libraries vendored under charts/, values merged in order.
  tar -tzf example-webapp-default-webapp.tgz >list
  contains list webapp/Chart.yaml
  contains list webapp/charts/common/Chart.yaml
  contains list webapp/charts/common/templates/_helpers.tpl
  tar -xzf example-networking-cni-cni.tgz cni/values.yaml
  contains cni/values.yaml "policyEnforcement: strict"
  contains cni/values.yaml "mtu: 1450"
  contains cni/values.yaml "logLevel: debug"
  # Labels, owner, source reference, revision, condition.
  equals "$(ea example-webapp-default-worker '{.metadata.labels.cozystack\.io/packagesource}')" example.webapp
  equals "$(ea example-webapp-default-worker '{.metadata.labels.cozystack\.io/component}')" worker
  equals "$(ea example-webapp-default-worker '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].uid}')" \
    "PackageSource/example.webapp/$(k get packagesource example.webapp -o jsonpath='{.metadata.uid}')"
  equals "$(ea example-webapp-default-worker '{.status.artifact.revision}')" \
    "latest@$(ea_digest example-webapp-default-worker)"
  equals "$(ea example-webapp-default-worker '{.status.conditions[0].status}/{.status.conditions[0].reason}')" True/Succeeded
  equals "$(ea example-webapp-default-worker '{.status.artifact.metadata.chart\.name}')" worker
  # The PackageSources copy the generator's condition.
  for n in example.certs example.crds example.networking example.webapp; do
    wait_until 20 ps_ready_is "$n" True/Succeeded
  done
  equals "$(ps_message example.webapp)" \
    "reconciliation succeeded, generated 2 artifact(s) from revision latest@$D1"
  # The whole platform converges on them.
  k apply --server-side -f "$EXAMPLE/packages.yaml" >/dev/null
  wait_until 30 eval '[[ $(k get package example.webapp -o jsonpath="{.status.conditions[0].reason}") == ReconciliationSucceeded ]]'
  equals "$(k get helmrelease -n tenant-demo webapp -o jsonpath='{.spec.chartRef.kind}/{.spec.chartRef.name}/{.spec.chartRef.namespace}')" \
    ExternalArtifact/example-webapp-default-webapp/cozy-system
  # A PackageSource that goes takes its ExternalArtifacts with it.
  k delete packagesource example.webapp >/dev/null
  wait_until 20 ea_count_is 5
}
t "artifacts: Flux source -> ExternalArtifacts served, digests, charts/ and values; PackageSource Ready" test_chain_artifacts_served

test_chain_update_and_rollback() {
  start_chain
  wait_until 30 all_built
  k apply --server-side -f "$EXAMPLE/packages.yaml" >/dev/null
  wait_until 30 eval '[[ $(k get helmreleases -A -o name | wc -l) -eq 6 ]]'
  sleep 0.5
  digests >d1
  hr_specs >hr1
  # A new source revision changes the webapp chart only.
  cp -r "$EXAMPLE/packages" repo2
  echo "# revision 2" >>repo2/apps/webapp/values.yaml
  put_source repo2
  local d2=$DIGEST
  set_source "$DIGEST" "$SIZE"
  wait_until 30 eval '! ea_digest_is example-webapp-default-webapp "$(grep "^example-webapp-default-webapp " d1 | cut -d" " -f2)"'
  wait_until 20 eval '[[ $(ps_message example.webapp) == *"latest@$d2" ]]'
  digests >d2
  diff d1 d2 >changes || true
  equals "$(grep -c '^[<>]' changes)" 2
  contains changes "example-webapp-default-webapp"
  fetch example-webapp-default-webapp
  tar -xzf example-webapp-default-webapp.tgz webapp/values.yaml
  contains webapp/values.yaml "# revision 2"
  # HelmReleases name ExternalArtifacts, so they stay as they were.
  sleep 0.5
  hr_specs >hr2
  diff hr1 hr2
  # Package values touch spec.values only.
  k patch package example.webapp --type=merge -p '{"spec":{"components":{"webapp":{"values":{"replicas":3}}}}}' >/dev/null
  wait_until 20 eval '[[ $(k get helmrelease -n tenant-demo webapp -o jsonpath="{.spec.values.replicas}") == 3 ]]'
  hr_specs >hr3
  python3 - hr2 hr3 <<'PY'
import json, sys
def load(p):
    return {tuple(l.split(" ", 2)[:2]): json.loads(l.split(" ", 2)[2]) for l in open(p)}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys()
for k in a:
    x, y = dict(a[k]), dict(b[k])
    if k == ("tenant-demo", "webapp"):
        assert x["values"] != y["values"]
        x.pop("values"); y.pop("values")
    assert x == y, (k, x, y)
PY
  # Rollback: the old artifact again gives the old digests.
  set_source "$D1" "$S1"
  wait_until 30 eval 'digests >d3 && diff -q d1 d3'
}
t "artifacts: a new source revision updates ExternalArtifacts, HelmReleases keep their spec; rollback" test_chain_update_and_rollback

test_chain_broken_charts() {
  start_chain
  wait_until 30 all_built
  local good
  good=$(ea_digest example-crds-default-crds)
  cp -r "$EXAMPLE/packages" repo2
  rm repo2/system/crds/Chart.yaml
  sed -i 's/^version: .*/version: 1.x/' repo2/system/certs/Chart.yaml
  put_source repo2
  set_source "$DIGEST" "$SIZE"
  wait_until 30 ps_ready_is example.crds False/BuildFailed
  ps_message example.crds >msg
  contains msg 'component example.crds/crds: path "system/crds"'
  contains msg 'Chart.yaml'
  wait_until 30 ps_ready_is example.certs False/BuildFailed
  ps_message example.certs >msg
  contains msg 'component example.certs/certs: path "system/certs"'
  contains msg 'not a semantic version'
  lacks msg 'certs-crds'
  # The failed artifact keeps serving its last good build, marked failed.
  equals "$(ea_digest example-crds-default-crds)" "$good"
  equals "$(ea example-crds-default-crds '{.status.conditions[0].status}/{.status.conditions[0].reason}')" False/BuildFailed
  # Unrelated sources stay Ready.
  wait_until 20 ps_ready_is example.webapp True/Succeeded
  # A component path that does not exist.
  k patch packagesource example.webapp --type=json \
    -p '[{"op":"replace","path":"/spec/variants/0/components/1/path","value":"apps/nope"}]' >/dev/null
  wait_until 30 ps_ready_is example.webapp False/BuildFailed
  ps_message example.webapp >msg
  contains msg 'component example.webapp/worker: path "apps/nope"'
  contains msg 'not found'
  # Fixed: Ready again.
  set_source "$D1" "$S1"
  wait_until 30 ps_ready_is example.crds True/Succeeded
  wait_until 30 ps_ready_is example.certs True/Succeeded
  # The source not ready any more: the source's own reasons again.
  k patch ocirepository -n cozy-system example-packages --subresource=status --type=merge \
    -p '{"status":{"conditions":[{"type":"Ready","status":"False","reason":"OCIArtifactPullFailed","message":"failed to pull","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' >/dev/null
  wait_until 20 ps_ready_is example.crds False/OCIArtifactPullFailed
  k delete ocirepository -n cozy-system example-packages >/dev/null
  wait_until 20 ps_ready_is example.crds False/SourceNotFound
}
t "artifacts: broken charts and missing paths give PackageSource Ready=False naming component and path" test_chain_broken_charts

test_chain_route() {
  printf 'viewer-token-0123456789abcdef0123456789,carol,u2,"cozypkg:viewers"\n' >tokens.csv
  start_chain --token-file "$PWD/tokens.csv"
  wait_until 30 all_built
  local digest hex url
  digest=$(ea_digest example-crds-default-crds)
  hex=${digest#sha256:}
  url="$SERVER_URL/artifacts/sha256/$hex.tar.gz"
  # No token, a bad token: 401.
  equals "$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "$url")" 401
  equals "$(curl -sS --cacert "$CA" -H 'Authorization: Bearer nope' -o /dev/null -w '%{http_code}' "$url")" 401
  # A viewer may read.
  equals "$(curl -sS --cacert "$CA" -H 'Authorization: Bearer viewer-token-0123456789abcdef0123456789' \
    -o viewer.tgz -w '%{http_code}' "$url")" 200
  equals "sha256:$(sha256sum viewer.tgz | cut -d' ' -f1)" "$digest"
  # Headers: type, ETag, length; HEAD has no body; If-None-Match.
  api GET "/artifacts/sha256/$hex.tar.gz" -o /dev/null -D headers
  contains headers "Content-Type: application/gzip"
  contains headers "ETag: \"$digest\""
  api HEAD "/artifacts/sha256/$hex.tar.gz" -I >head
  contains head "HTTP/1.1 200"
  contains head "Content-Length: $(ea example-crds-default-crds '{.status.artifact.size}')"
  equals "$(api_code GET "/artifacts/sha256/$hex.tar.gz" -H "If-None-Match: \"$digest\"")" 304
  # Anything but the exact shape is 404, and never leaves the store.
  local p
  for p in "/artifacts/sha256/../../store.db" "/artifacts/sha256/..%2f..%2fstore.db" \
    "/artifacts/sha256/${hex:0:63}.tar.gz" "/artifacts/sha256/${hex}0.tar.gz" \
    "/artifacts/sha256/${hex^^}.tar.gz" "/artifacts/sha256/$hex.tar" "/artifacts/sha256/$hex.tar.gz/" \
    "/artifacts/sha512/$hex.tar.gz" "/artifacts/sha256/$hex" "/artifacts/index/example-crds-default-crds.json" \
    "/artifacts/sha256/$(printf '0%.0s' {1..64}).tar.gz" "/artifacts/" "/artifacts"; do
    equals "$(api_code GET "$p" --path-as-is)" 404 || fail "path $p"
  done
  equals "$(api_code POST "/artifacts/sha256/$hex.tar.gz")" 405
  equals "$(api_code DELETE "/artifacts/sha256/$hex.tar.gz")" 405
}
t "artifacts: the route: auth (401, viewers), HEAD, ETag, 304, strict paths (404)" test_chain_route

# --- publishing ------------------------------------------------------------

CHAIN_PIDS=()
chain_stop_all() {
  local p
  for p in "${CHAIN_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  CHAIN_PIDS=()
}

# chain_registry: Debian's docker-registry on a free loopback port; REG.
chain_registry() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p reg
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/reg}}\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$PWD" "$port" >registry.yml
  docker-registry serve registry.yml >registry.log 2>&1 &
  CHAIN_PIDS+=($!)
  REG=127.0.0.1:$port
  local i
  for i in $(seq 1 100); do
    curl -s "http://$REG/v2/" >/dev/null && return 0
    sleep 0.05
  done
  fail "docker-registry did not start"
}

test_chain_publish() {
  command -v docker-registry >/dev/null || fail "docker-registry not installed"
  command -v skopeo >/dev/null || fail "skopeo not installed"
  chain_registry
  # The registry is down at first: publishing fails, shows, and is retried.
  local port=${REG#*:}
  kill "${CHAIN_PIDS[0]}"; wait "${CHAIN_PIDS[0]}" 2>/dev/null || true; CHAIN_PIDS=()
  start_chain --publish-registry "oci://$REG/charts" --publish-insecure
  trap 'chain_stop_all; stop_operators && stop_server || exit 1' EXIT
  wait_until 30 eval '[[ $(ea example-crds-default-crds "{.status.conditions[0].reason}") == PublishFailed ]]'
  ea example-crds-default-crds '{.status.conditions[0].message}' >msg
  contains msg "publishing to oci://$REG/charts/example-crds-default-crds"
  # Up again: every artifact ends up pushed and Ready.
  docker-registry serve registry.yml >registry.log 2>&1 &
  CHAIN_PIDS+=($!)
  wait_until 10 curl -sf "http://$REG/v2/"
  wait_until 60 eval '[[ $(ea example-crds-default-crds "{.status.conditions[0].reason}") == Succeeded ]]'
  wait_until 30 eval '[[ $(ea example-webapp-default-webapp "{.status.conditions[0].reason}") == Succeeded ]]'
  skopeo inspect --raw --tls-verify=false "docker://$REG/charts/example-webapp-default-webapp:0.1.0" >manifest.json
  contains manifest.json "application/vnd.cncf.helm.config.v1+json"
  contains manifest.json "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
  skopeo list-tags --tls-verify=false "docker://$REG/charts/example-crds-default-crds" >tags
  contains tags '"0.1.0"'
  mkdir out
  skopeo copy --src-tls-verify=false "docker://$REG/charts/example-webapp-default-webapp:0.1.0" dir:out >/dev/null
  # The chart layer is the artifact itself.
  local digest
  digest=$(ea_digest example-webapp-default-webapp)
  [[ -f out/${digest#sha256:} ]] || fail "the chart layer is not the artifact ${digest}"
  chain_stop_all
}
t "artifacts: --publish-registry pushes each artifact as a Helm chart; failures show and retry" test_chain_publish

# chain_push TAG DIR: DIR as a one-layer Flux OCI artifact at
# $REG/packages:TAG, as `flux push artifact` makes it.
chain_push() {
  tar -C "$2" -czf "$2.tgz" .
  rm -rf "$2.layout"
  python3 - "$2.layout" "$2.tgz" <<'PY'
import hashlib, json, os, sys
out, layer = sys.argv[1], sys.argv[2]
os.makedirs(out)
def blob(data, mt):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(out, h), "wb").write(data)
    return {"mediaType": mt, "digest": "sha256:" + h, "size": len(data)}
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": blob(b"{}", "application/vnd.cncf.flux.config.v1+json"),
     "layers": [blob(open(layer, "rb").read(), "application/vnd.cncf.flux.content.v1.tar+gzip")]}
open(os.path.join(out, "manifest.json"), "w").write(json.dumps(m))
PY
  "$BUILD/tests/drivers/oci_tool" --insecure push-dir "$2.layout" "$REG/packages:$1" >/dev/null
}

test_chain_real_source() {
  command -v docker-registry >/dev/null || fail "docker-registry not installed"
  chain_registry
  start_server -q
  trap 'chain_stop_all; stop_operators && stop_server || exit 1' EXIT
  cp -r "$EXAMPLE/packages" v1
  cp -r "$EXAMPLE/packages" v2
  echo "# revision 2" >>v2/apps/webapp/values.yaml
  chain_push v1 v1
  chain_push v2 v2
  k create namespace cozy-system >/dev/null
  k apply -f - >/dev/null <<EOF2
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: example-packages, namespace: cozy-system}
spec: {url: "oci://$REG/packages", ref: {tag: v1}, interval: 1h, insecure: true}
EOF2
  k apply --server-side -f "$EXAMPLE/packages/core/platform/sources" >/dev/null
  # The source controller fetches, the generator builds, all from cozypkgd.
  wait_until 60 all_built
  wait_until 20 ps_ready_is example.webapp True/Succeeded
  ps_message example.webapp >msg
  contains msg "from revision v1@sha256:"
  fetch example-webapp-default-webapp
  tar -tzf example-webapp-default-webapp.tgz >list
  contains list webapp/charts/common/Chart.yaml
  digests >d1
  # A new tag: only the changed chart gets a new artifact.
  k patch ocirepository -n cozy-system example-packages --type=merge -p '{"spec":{"ref":{"tag":"v2"}}}' >/dev/null
  wait_until 60 eval '[[ $(ps_message example.webapp) == *"from revision v2@sha256:"* ]]'
  digests >d2
  diff d1 d2 >changes || true
  equals "$(grep -c '^[<>]' changes)" 2
  contains changes example-webapp-default-webapp
  # Back to v1: the same digests as before.
  k patch ocirepository -n cozy-system example-packages --type=merge -p '{"spec":{"ref":{"tag":"v1"}}}' >/dev/null
  wait_until 60 eval 'digests >d3 && diff -q d1 d3'
  chain_stop_all
}
t "artifacts: the whole chain in cozypkgd: registry -> OCIRepository -> ExternalArtifacts; new tag, back again" test_chain_real_source
