# The Flux source controller inside cozypkgd: OCIRepository against Debian's
# docker-registry (plain HTTP, htpasswd, TLS, faults through
# tools/faultproxy.py) and GitRepository over file:// and HTTP
# (tools/git_http.py), driven with kubectl.

SRC_OCI() { "$BUILD/tests/drivers/oci_tool" "$@"; }
SRC_GITC() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=master "$@"; }

# src_tgz DIR OUT: a gzip tarball of DIR's contents.
src_tgz() { tar -C "$1" -czf "$2" .; }

# src_layout OUT MEDIATYPE=FILE...: a skopeo dir: layout (manifest.json and
# blobs by hex) of an OCI artifact with these layers, for oci_tool push-dir.
src_layout() {
  python3 - "$@" <<'PY'
import hashlib, json, os, shutil, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(out, h), "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
cfg = blob(b"{}")
cfg["mediaType"] = "application/vnd.cncf.flux.config.v1+json"
layers = []
for arg in sys.argv[2:]:
    mt, path = arg.split("=", 1)
    d = blob(open(path, "rb").read())
    d["mediaType"] = mt
    layers.append(d)
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": cfg, "layers": layers}
open(os.path.join(out, "manifest.json"), "w").write(json.dumps(m))
PY
}

SRC_MT=application/vnd.cncf.flux.content.v1.tar+gzip

# src_push TAG CONTENT-DIR [REPO]: pushes CONTENT-DIR as a one-layer
# artifact to $REG/REPO:TAG (REPO: art); prints the manifest digest.
src_push() {
  local tag=$1 dir=$2 repo=${3:-art}
  src_tgz "$dir" "$dir.tgz"
  rm -rf "$dir.layout"
  src_layout "$dir.layout" "$SRC_MT=$dir.tgz"
  SRC_OCI --insecure ${SRC_AUTH:+--user "$SRC_AUTH"} push-dir "$dir.layout" "$REG/$repo:$tag"
}

# src_content NAME TEXT: ./NAME/ with a chart-ish tree holding TEXT.
src_content() {
  rm -rf "$1"; mkdir -p "$1/charts/app/templates"
  printf 'apiVersion: v2\nname: app\nversion: 1.0.0\n' >"$1/charts/app/Chart.yaml"
  printf 'text: %s\n' "$2" >"$1/charts/app/values.yaml"
  printf 'kind: ConfigMap\n' >"$1/charts/app/templates/cm.yaml"
}

# src_apply KIND NAME SPEC-YAML (indented two spaces): in namespace src.
src_apply() {
  k get namespace src >/dev/null 2>&1 || k create namespace src >/dev/null
  printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: %s\nmetadata: {name: %s, namespace: src}\nspec:\n%s\n' \
    "$1" "$2" "$3" | k apply -f - >/dev/null
}

# src_get KIND NAME JSONPATH
src_get() { k get "$1" -n src "$2" -o jsonpath="$3"; }
src_cond() { src_get "$1" "$2" "{.status.conditions[?(@.type==\"$3\")].status}/{.status.conditions[?(@.type==\"$3\")].reason}"; }
src_is() { [[ $(src_cond "$1" "$2" "$3") == "$4" ]]; }
src_rev() { src_get "$1" "$2" '{.status.artifact.revision}'; }
src_rev_is() { [[ $(src_rev "$1" "$2") == "$3" ]]; }
src_msg() { src_get "$1" "$2" "{.status.conditions[?(@.type==\"Ready\")].message}"; }

# src_stored KIND NAME: the artifact's file exists under data/artifacts, its
# sha256 and size are status.artifact's, and the URL names it.
src_stored() {
  local digest hex
  digest=$(src_get "$1" "$2" '{.status.artifact.digest}')
  hex=${digest#sha256:}
  [[ -f data/artifacts/sha256/$hex.tar.gz ]] || fail "no stored file for $digest"
  equals "sha256:$(sha256sum "data/artifacts/sha256/$hex.tar.gz" | cut -c1-64)" "$digest"
  equals "$(stat -c %s "data/artifacts/sha256/$hex.tar.gz")" "$(src_get "$1" "$2" '{.status.artifact.size}')"
  equals "$(src_get "$1" "$2" '{.status.artifact.url}')" "$SERVER_URL/artifacts/sha256/$hex.tar.gz"
}

src_blobs() { ls data/artifacts/sha256 2>/dev/null | wc -l; }

# --- OCIRepository ---------------------------------------------------------

test_src_oci_revisions() {
  start_server -q
  start_registry plain
  src_content v1 one; src_content v2 two; src_content v3 three
  local d1 d2 d3 a1 stamp
  d1=$(src_push stable v1)
  src_apply OCIRepository app "  url: oci://$REG/art
  ref: {tag: stable}
  interval: 1h
  insecure: true"
  wait_until 30 src_is OCIRepository app Ready True/Succeeded
  src_is OCIRepository app ArtifactInStorage True/Succeeded
  equals "$(src_rev OCIRepository app)" "stable@$d1"
  equals "$(src_msg OCIRepository app)" "stored artifact for revision 'stable@$d1'"
  src_stored OCIRepository app
  a1=$(src_get OCIRepository app '{.status.artifact.digest}')
  equals "$(src_get OCIRepository app '{.status.observedGeneration}')" 1
  # The stored tarball holds the layer's tree.
  tar -tzf "data/artifacts/sha256/${a1#sha256:}.tar.gz" >list
  contains list "charts/app/Chart.yaml"
  contains list "charts/app/templates/cm.yaml"
  # A new push under the same tag: picked up at once on request.
  d2=$(src_push stable v2)
  stamp=$(date +%s%N)
  k annotate ocirepository -n src app "reconcile.fluxcd.io/requestedAt=$stamp" --overwrite >/dev/null
  wait_until 10 src_rev_is OCIRepository app "stable@$d2"
  wait_until 10 eval '[[ $(src_get OCIRepository app "{.status.lastHandledReconcileAt}") == '"$stamp"' ]]'
  src_stored OCIRepository app
  # A short interval polls on its own.
  k patch ocirepository -n src app --type=merge -p '{"spec":{"interval":"2s"}}' >/dev/null
  wait_until 10 eval '[[ $(src_get OCIRepository app "{.status.observedGeneration}") == 2 ]]'
  d3=$(src_push stable v3)
  wait_until 15 src_rev_is OCIRepository app "stable@$d3"
  # Rollback: the old content again gives the old artifact, byte for byte.
  equals "$(SRC_OCI --insecure push-dir v1.layout "$REG/art:stable")" "$d1"
  wait_until 15 src_rev_is OCIRepository app "stable@$d1"
  equals "$(src_get OCIRepository app '{.status.artifact.digest}')" "$a1"
  src_stored OCIRepository app
  # At most three revisions of one source are kept.
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["revisions"]; assert len(r) <= 3, r' \
    data/artifacts/index/OCIRepository_src_app.json
}
t "sources: OCIRepository stores the artifact; requestedAt, interval polling and rollback" test_src_oci_revisions

test_src_oci_refs() {
  start_server -q
  start_registry plain
  local v d
  for v in 1.0.0 1.2.0 1.3.0-rc.1 2.0.0; do
    src_content "c$v" "$v"; src_push "$v" "c$v" >/dev/null
  done
  src_content cdev dev; src_push 1.9.0-dev cdev >/dev/null
  # semver with a filter.
  src_apply OCIRepository sem "  url: oci://$REG/art
  ref: {semver: '>=1.0.0 <2.0.0'}
  interval: 1h
  insecure: true"
  d=$(SRC_OCI --insecure head "$REG/art:1.2.0" | cut -d' ' -f1)
  wait_until 30 src_rev_is OCIRepository sem "1.2.0@$d"
  src_apply OCIRepository semf "  url: oci://$REG/art
  ref: {semver: '>=1.0.0-0', semverFilter: '.*-dev$'}
  interval: 1h
  insecure: true"
  d=$(SRC_OCI --insecure head "$REG/art:1.9.0-dev" | cut -d' ' -f1)
  wait_until 30 src_rev_is OCIRepository semf "1.9.0-dev@$d"
  # digest wins over semver and tag.
  d=$(SRC_OCI --insecure head "$REG/art:1.0.0" | cut -d' ' -f1)
  src_apply OCIRepository dig "  url: oci://$REG/art
  ref: {digest: $d, semver: '*', tag: 2.0.0}
  interval: 1h
  insecure: true"
  wait_until 30 src_rev_is OCIRepository dig "$d"
  # Invalid specs stall, and are not retried.
  src_apply OCIRepository badsem "  url: oci://$REG/art
  ref: {semver: '>>1'}
  interval: 1h
  insecure: true"
  wait_until 20 src_is OCIRepository badsem Stalled True/InvalidReference
  src_is OCIRepository badsem Ready False/InvalidReference
  src_apply OCIRepository badurl "  url: https://$REG/art
  interval: 1h"
  wait_until 20 src_is OCIRepository badurl Stalled True/URLInvalid
  # layerSelector: copy keeps the layer's bytes, extract repacks.
  src_content lay layer; src_tgz lay lay.tgz
  printf 'other' >other.bin
  src_layout two "application/x-other=other.bin" "$SRC_MT=lay.tgz"
  SRC_OCI --insecure push-dir two "$REG/two:v1" >/dev/null
  src_apply OCIRepository copy "  url: oci://$REG/two
  ref: {tag: v1}
  layerSelector: {mediaType: '$SRC_MT', operation: copy}
  interval: 1h
  insecure: true"
  src_apply OCIRepository extract "  url: oci://$REG/two
  ref: {tag: v1}
  layerSelector: {mediaType: '$SRC_MT'}
  interval: 1h
  insecure: true"
  wait_until 30 src_is OCIRepository copy Ready True/Succeeded
  wait_until 30 src_is OCIRepository extract Ready True/Succeeded
  equals "$(src_get OCIRepository copy "{.status.artifact.digest}")" "sha256:$(sha256sum lay.tgz | cut -c1-64)" || { k get ocirepository -n src copy -o yaml; ls -l data/artifacts/sha256; sha256sum lay.tgz two/*; false; }
  [[ $(src_get OCIRepository extract '{.status.artifact.digest}') != "sha256:$(sha256sum lay.tgz | cut -c1-64)" ]] ||
    fail "extract stored the layer as is"
  src_stored OCIRepository copy
  src_stored OCIRepository extract
  # No selector: the first layer, which is not an archive.
  src_apply OCIRepository first "  url: oci://$REG/two
  ref: {tag: v1}
  interval: 1h
  insecure: true"
  wait_until 30 src_is OCIRepository first Ready False/OCIArtifactLayerOperationFailed
}
t "sources: OCIRepository semver and semverFilter, digest precedence, stalled specs, layerSelector" test_src_oci_refs

test_src_oci_auth() {
  start_server -q
  start_registry basic
  src_content c secret-content
  local d
  d=$(SRC_AUTH=alice:s3cret-pw src_push v1 c)
  k create namespace src >/dev/null
  src_apply OCIRepository noauth "  url: oci://$REG/art
  ref: {tag: v1}
  interval: 1h
  insecure: true"
  wait_until 30 src_is OCIRepository noauth Ready False/AuthenticationFailed
  k create secret docker-registry -n src regcred --docker-server="$REG" \
    --docker-username=alice --docker-password=s3cret-pw >/dev/null
  k create secret docker-registry -n src badcred --docker-server="$REG" \
    --docker-username=alice --docker-password=wrong-pw-77 >/dev/null
  src_apply OCIRepository auth "  url: oci://$REG/art
  ref: {tag: v1}
  secretRef: {name: regcred}
  interval: 1h
  insecure: true"
  src_apply OCIRepository bad "  url: oci://$REG/art
  ref: {tag: v1}
  secretRef: {name: badcred}
  interval: 1h
  insecure: true"
  wait_until 30 src_rev_is OCIRepository auth "v1@$d"
  src_stored OCIRepository auth
  wait_until 30 src_is OCIRepository bad Ready False/AuthenticationFailed
  # The passwords appear nowhere: status, events, the server's log.
  k get ocirepositories -n src -o yaml >all.yaml
  k get events -A -o yaml >events.yaml 2>/dev/null || true
  lacks all.yaml s3cret-pw; lacks all.yaml wrong-pw-77
  lacks events.yaml s3cret-pw; lacks events.yaml wrong-pw-77
  lacks .srv/log s3cret-pw; lacks .srv/log wrong-pw-77
  lacks .srv/log "$(printf alice:s3cret-pw | base64)"
}
t "sources: OCIRepository with a dockerconfigjson Secret; credentials never shown" test_src_oci_auth

test_src_oci_tls() {
  start_server -q
  start_registry tls
  src_content c tls
  local d
  src_tgz c c.tgz; src_layout c.layout "$SRC_MT=c.tgz"
  d=$(SRC_OCI --cacert tls/ca.crt push-dir c.layout "$REG/art:v1")
  k create namespace src >/dev/null
  k create secret generic -n src regca --from-file=ca.crt=tls/ca.crt >/dev/null
  src_apply OCIRepository untrusted "  url: oci://$REG/art
  ref: {tag: v1}
  interval: 1h"
  src_apply OCIRepository trusted "  url: oci://$REG/art
  ref: {tag: v1}
  certSecretRef: {name: regca}
  interval: 1h"
  wait_until 30 src_rev_is OCIRepository trusted "v1@$d"
  src_stored OCIRepository trusted
  wait_until 30 src_is OCIRepository untrusted Ready False/OCIArtifactPullFailed
}
t "sources: OCIRepository over TLS with the CA of certSecretRef" test_src_oci_tls

test_src_oci_faults() {
  start_server -q
  start_registry plain
  start_py proxy faultproxy.py --upstream "$REG"
  local px=127.0.0.1:$PY_PORT d1 d2 n
  set_fault() { curl -sf -X PUT --data "$1" "http://$px/_faultproxy/rule" >/dev/null; }
  src_content v1 one; src_content v2 two
  d1=$(src_push v1 v1)
  # Transient faults are retried within one reconcile.
  set_fault '{"mode": "reset", "count": 2}'
  src_apply OCIRepository app "  url: oci://$px/art
  ref: {tag: v1}
  interval: 2s
  insecure: true"
  wait_until 30 src_rev_is OCIRepository app "v1@$d1"
  set_fault '{"mode": "500", "count": 2, "match": "/blobs/"}'
  d2=$(src_push v1 v2)
  wait_until 30 src_rev_is OCIRepository app "v1@$d2"
  set_fault '{"mode": "429", "count": 1, "retry_after": 1}'
  src_push v1 v1 >/dev/null
  wait_until 30 src_rev_is OCIRepository app "v1@$d1"
  # Persistent corruption of blobs: Ready=False, nothing new stored.
  n=$(src_blobs)
  set_fault '{"mode": "corrupt", "match": "/blobs/"}'
  src_push v1 v2 >/dev/null
  wait_until 60 src_is OCIRepository app Ready False/OCIArtifactPullFailed
  src_msg OCIRepository app >msg
  contains msg "after 5 attempts"
  equals "$(src_rev OCIRepository app)" "v1@$d1"
  equals "$(src_blobs)" "$n"
  # Faults off: the next poll recovers.
  curl -sf -X DELETE "http://$px/_faultproxy/rule" >/dev/null
  wait_until 60 src_rev_is OCIRepository app "v1@$d2"
  src_is OCIRepository app Ready True/Succeeded
}
t "sources: OCIRepository through faultproxy: retries, persistent corruption, recovery" test_src_oci_faults

test_src_oci_suspend_hostile() {
  start_server -q
  start_registry plain
  local d1 d2 n
  src_content v1 one; src_content v2 two
  d1=$(src_push v1 v1)
  src_apply OCIRepository app "  url: oci://$REG/art
  ref: {tag: v1}
  interval: 1s
  insecure: true"
  wait_until 30 src_rev_is OCIRepository app "v1@$d1"
  k patch ocirepository -n src app --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
  sleep 1
  d2=$(src_push v1 v2)
  sleep 4
  equals "$(src_rev OCIRepository app)" "v1@$d1"
  k patch ocirepository -n src app --type=merge -p '{"spec":{"suspend":false}}' >/dev/null
  wait_until 15 src_rev_is OCIRepository app "v1@$d2"
  # A layer with an entry that climbs out of the tree.
  python3 - <<'PY'
import io, tarfile
with tarfile.open("evil.tgz", "w:gz") as t:
    for name, data in (("ok.txt", b"fine"), ("../../escape.txt", b"evil")):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
  src_layout evil "$SRC_MT=evil.tgz"
  SRC_OCI --insecure push-dir evil "$REG/evil:v1" >/dev/null
  n=$(src_blobs)
  src_apply OCIRepository evil "  url: oci://$REG/evil
  ref: {tag: v1}
  interval: 1h
  insecure: true"
  wait_until 30 src_is OCIRepository evil Ready False/OCIArtifactLayerOperationFailed
  src_msg OCIRepository evil >msg
  contains msg "../../escape.txt"
  equals "$(src_blobs)" "$n"
  [[ ! -e data/escape.txt && ! -e escape.txt && ! -e data/artifacts/escape.txt ]] || fail "an entry escaped"
  [[ -z $(src_get OCIRepository evil '{.status.artifact}') ]] || fail "an artifact was recorded"
}
t "sources: suspend stops polling; a tar-slip layer is refused and nothing stored" test_src_oci_suspend_hostile

# --- GitRepository ---------------------------------------------------------

src_git_repo() {
  mkdir -p srv
  SRC_GITC init -q --bare srv/repo.git
  SRC_GITC init -q work
  (
    cd work
    mkdir -p charts/app; echo 'name: app' >charts/app/Chart.yaml; echo one >a.txt
    SRC_GITC add -A; SRC_GITC commit -qm one; SRC_GITC tag v1.0.0
    echo two >b.txt; SRC_GITC add -A; SRC_GITC commit -qm two; SRC_GITC tag v1.1.0
    echo three >c.txt; SRC_GITC add -A; SRC_GITC commit -qm three; SRC_GITC tag v2.0.0
    SRC_GITC push -q ../srv/repo.git master --tags
  )
}
src_git_commit() { (cd work && echo "$1" >"$1.txt" && SRC_GITC add -A && SRC_GITC commit -qm "$1" && SRC_GITC push -q ../srv/repo.git master); }
src_sha() { git -C srv/repo.git rev-parse "$1^{commit}"; }

test_src_git() {
  start_server -q
  src_git_repo
  rm -f http.port
  python3 "$E2E_DIR/tools/git_http.py" "$PWD/srv" "$PWD/http.port" --basic bob:g1t-pass-99 --log "$PWD/http.log" 2>http.err &
  OCI_PIDS+=($!)
  local i
  for i in $(seq 1 100); do [[ -s http.port ]] && break; sleep 0.05; done
  local port; port=$(cat http.port)
  k create namespace src >/dev/null
  k create secret generic -n src gitcred --from-literal=username=bob --from-literal=password=g1t-pass-99 >/dev/null
  src_apply GitRepository br "  url: file://$PWD/srv/repo.git
  ref: {branch: master}
  interval: 2s"
  src_apply GitRepository tag "  url: http://127.0.0.1:$port/repo.git
  ref: {tag: v1.0.0}
  secretRef: {name: gitcred}
  interval: 1h"
  src_apply GitRepository sem "  url: http://127.0.0.1:$port/repo.git
  ref: {semver: '~1.0 || ~1.1'}
  secretRef: {name: gitcred}
  interval: 1h"
  src_apply GitRepository noauth "  url: http://127.0.0.1:$port/repo.git
  ref: {branch: master}
  interval: 1h"
  wait_until 30 src_rev_is GitRepository br "master@sha1:$(src_sha master)"
  wait_until 30 src_rev_is GitRepository tag "v1.0.0@sha1:$(src_sha v1.0.0)"
  wait_until 30 src_rev_is GitRepository sem "v1.1.0@sha1:$(src_sha v1.1.0)"
  wait_until 30 src_is GitRepository noauth Ready False/AuthenticationFailed
  src_stored GitRepository br
  src_stored GitRepository tag
  local a; a=$(src_get GitRepository tag '{.status.artifact.digest}')
  tar -tzf "data/artifacts/sha256/${a#sha256:}.tar.gz" >list
  contains list "charts/app/Chart.yaml"
  lacks list "b.txt"
  lacks list ".git"
  # A new commit: a new revision on the next poll.
  src_git_commit four
  wait_until 20 src_rev_is GitRepository br "master@sha1:$(src_sha master)"
  src_stored GitRepository br
  k get gitrepositories -n src -o yaml >all.yaml
  lacks all.yaml g1t-pass-99
  lacks .srv/log g1t-pass-99
}
t "sources: GitRepository over file:// and HTTP with auth: branch, tag, semver, new commits" test_src_git
