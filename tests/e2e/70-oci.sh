# The OCI client (tests/drivers/oci_tool) against Debian's docker-registry,
# with skopeo as the second client: plain HTTP, htpasswd Basic auth, TLS,
# Bearer tokens (tools/tokenfront.py), and faults (tools/faultproxy.py).

OCI_TOOL="$BUILD/tests/drivers/oci_tool"
OCI_TOOLS="$E2E_DIR/tools"

# oci_stop_all, free_port, wait_port, start_registry and start_py are in
# lib.sh (shared with 85-sources.sh).

oci() { "$OCI_TOOL" "$@"; }

# make_chart NAME VERSION [SIZE_KB]: ./NAME-VERSION.tgz with random
# incompressible payload of SIZE_KB.
make_chart() {
  local name=$1 version=$2 kb=${3:-4}
  mkdir -p "src/$name/files"
  printf 'apiVersion: v2\nname: %s\nversion: %s\ndescription: test chart\nhome: https://example.com/%s\n' \
    "$name" "$version" "$name" >"src/$name/Chart.yaml"
  echo "replicas: 1" >"src/$name/values.yaml"
  head -c "$((kb * 1024))" /dev/urandom >"src/$name/files/payload.bin"
  tar -C src -czf "$name-$version.tgz" "$name"
}

sha() { sha256sum "$1" | cut -c1-64; }

# same_dirs A B: the same file names with the same bytes.
same_dirs() {
  local f
  [[ "$(cd "$1" && ls | grep -v '^version$' | sort)" == "$(cd "$2" && ls | grep -v '^version$' | sort)" ]] ||
    { ls -l "$1" "$2" >&2; fail "$1 and $2 hold different files"; }
  for f in $(cd "$1" && ls | grep -v '^version$'); do
    cmp "$1/$f" "$2/$f" || fail "$1/$f differs"
  done
}

# one_line FILE: exactly one line.
one_line() {
  [[ $(wc -l <"$1") -eq 1 ]] || { cat "$1" >&2; fail "$1 is not one line"; }
}

# --- tests ---------------------------------------------------------------

test_oci_chart_roundtrip() {
  start_registry plain
  make_chart demo 1.2.3+build.7 64
  expect_exit 0 oci --insecure push-chart demo-1.2.3+build.7.tgz "oci://$REG/charts"
  contains out "$REG/charts/demo:1.2.3_build.7@sha256:"
  # skopeo sees the same manifest; the Helm media types and annotations.
  skopeo inspect --raw --tls-verify=false "docker://$REG/charts/demo:1.2.3_build.7" >skopeo.json
  oci --insecure manifest "$REG/charts/demo:1.2.3_build.7" >ours.json
  cmp skopeo.json ours.json
  python3 - <<'PY'
import json
m = json.load(open("ours.json"))
assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json", m
assert m["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json", m
assert [l["mediaType"] for l in m["layers"]] == ["application/vnd.cncf.helm.chart.content.v1.tar+gzip"], m
a = m["annotations"]
assert a["org.opencontainers.image.title"] == "demo" and a["org.opencontainers.image.version"] == "1.2.3+build.7", a
assert a["org.opencontainers.image.url"] == "https://example.com/demo", a
PY
  # skopeo copies it out; oci_tool pulls it: the same bytes.
  skopeo copy -q --src-tls-verify=false "docker://$REG/charts/demo:1.2.3_build.7" dir:by-skopeo
  mkdir by-us
  expect_exit 0 oci --insecure pull "$REG/charts/demo:1.2.3_build.7" by-us
  same_dirs by-skopeo by-us
  cmp demo-1.2.3+build.7.tgz "by-us/$(sha demo-1.2.3+build.7.tgz)"
  # The config is Chart.yaml as JSON.
  python3 -c 'import json,sys; c = json.load(open(sys.argv[1])); assert c["name"] == "demo" and c["version"] == "1.2.3+build.7", c' \
    "by-us/$(python3 -c 'import json; print(json.load(open("ours.json"))["config"]["digest"][7:])')"
  # By digest, and HEAD gives the digest.
  local digest
  digest=$(sed 's/.*@//' out)
  expect_exit 0 oci --insecure head "$REG/charts/demo:1.2.3_build.7"
  contains out "$digest application/vnd.oci.image.manifest.v1+json"
  oci --insecure manifest "$REG/charts/demo@$digest" | cmp - ours.json
  # Pushing again sends no blob.
  expect_exit 0 oci --insecure --stats push-chart demo-1.2.3+build.7.tgz "oci://$REG/charts"
}
t "oci: a chart pushed by oci_tool reads the same in skopeo, pulls back byte-identical" test_oci_chart_roundtrip

# An OCI image layout with a config and two layers, written by python.
make_layout() {
  python3 - "$1" <<'PY'
import gzip, hashlib, json, os, sys
d = sys.argv[1]
os.makedirs(d + "/blobs/sha256")
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open("%s/blobs/sha256/%s" % (d, h), "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
cfg = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode())
cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
layers = []
for n in (300000, 70000):
    l = blob(gzip.compress(os.urandom(n), mtime=0))
    l["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    layers.append(l)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": cfg, "layers": layers}).encode()
m = blob(man)
m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
m["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
json.dump({"schemaVersion": 2, "manifests": [m]}, open(d + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(d + "/oci-layout", "w"))
PY
}

test_oci_skopeo_push_we_pull() {
  start_registry plain
  make_layout layout
  skopeo copy -q --dest-tls-verify=false oci:layout:v1 "docker://$REG/apps/img:v1"
  mkdir pulled
  expect_exit 0 oci --insecure pull "$REG/apps/img:v1" pulled
  # skopeo keeps the blobs as they were (it may write the manifest anew).
  local d
  for d in $(python3 -c 'import json; m = json.load(open("pulled/manifest.json")); print(" ".join(x["digest"][7:] for x in [m["config"]] + m["layers"]))'); do
    cmp "layout/blobs/sha256/$d" "pulled/$d"
  done
  skopeo inspect --raw --tls-verify=false "docker://$REG/apps/img:v1" | cmp - pulled/manifest.json
  skopeo copy -q --src-tls-verify=false "docker://$REG/apps/img:v1" dir:by-skopeo
  same_dirs by-skopeo pulled
  # Pushed back to another repository, mounting the blobs.
  expect_exit 0 oci --insecure --mount-from apps/img push-dir pulled "$REG/apps/copy:v1"
  skopeo inspect --raw --tls-verify=false "docker://$REG/apps/copy:v1" | cmp - pulled/manifest.json
}
t "oci: what skopeo pushes, oci_tool pulls byte-identical (and pushes on with mounts)" test_oci_skopeo_push_we_pull

test_oci_chunked_and_mount() {
  start_registry plain
  head -c 1000000 /dev/urandom >blob.bin
  expect_exit 0 oci --insecure --chunk-size 65536 push-blob blob.bin "$REG/a/one:x"
  equals "$(cat out)" "sha256:$(sha blob.bin) uploaded"
  curl -sf "http://$REG/v2/a/one/blobs/sha256:$(sha blob.bin)" -o fetched.bin
  cmp blob.bin fetched.bin
  expect_exit 0 oci --insecure push-blob blob.bin "$REG/a/one:x"
  equals "$(cat out)" "sha256:$(sha blob.bin) existed"
  expect_exit 0 oci --insecure --mount-from a/one push-blob blob.bin "$REG/b/two:x"
  equals "$(cat out)" "sha256:$(sha blob.bin) mounted"
  curl -sfI "http://$REG/v2/b/two/blobs/sha256:$(sha blob.bin)" >/dev/null
  # A mount from a repository without the blob falls back to an upload.
  head -c 5000 /dev/urandom >small.bin
  expect_exit 0 oci --insecure --mount-from a/one push-blob small.bin "$REG/b/two:x"
  equals "$(cat out)" "sha256:$(sha small.bin) uploaded"
  # A chunk size that does not divide the blob, and an empty blob.
  expect_exit 0 oci --insecure --chunk-size 300001 push-blob blob.bin "$REG/c/three:x"
  contains out uploaded
  : >empty.bin
  expect_exit 0 oci --insecure --chunk-size 1000 push-blob empty.bin "$REG/c/three:x"
  contains out "sha256:$(sha empty.bin) uploaded"
}
t "oci: chunked uploads, cross-repository mounts and their fallback" test_oci_chunked_and_mount

test_oci_tags_pagination() {
  start_registry plain
  make_chart paged 0.1.0
  expect_exit 0 oci --insecure push-chart paged-0.1.0.tgz "oci://$REG/p"
  oci --insecure manifest "$REG/p/paged:0.1.0" >m.json
  local i
  for i in $(seq 1 24); do
    oci --insecure push-manifest m.json "$REG/p/paged:v$i" >/dev/null
  done
  # By digest too: no new tag.
  oci --insecure push-manifest m.json "$REG/p/paged@sha256:$(sha m.json)" >/dev/null
  skopeo list-tags --tls-verify=false "docker://$REG/p/paged" |
    python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin)["Tags"])))' >skopeo.tags
  equals "$(wc -l <skopeo.tags)" 25
  # This registry ignores n=: the proxy serves pages with Link headers...
  start_py proxy faultproxy.py --upstream "$REG"
  PX=127.0.0.1:$PY_PORT
  set_fault '{"mode":"paginate"}'
  expect_exit 0 oci --insecure --page-size 7 --stats tags "$PX/p/paged"
  diff out skopeo.tags
  contains err "requests=4 "
  expect_exit 0 oci --insecure --stats tags "$PX/p/paged"
  diff out skopeo.tags
  contains err "requests=3 "
  # ...or without them, when only ?n=&last= pages on.
  set_fault '{"mode":"paginate","link":false}'
  expect_exit 0 oci --insecure --page-size 7 --stats tags "$PX/p/paged"
  diff out skopeo.tags
  contains err "requests=4 "
  # The total is capped.
  set_fault '{"mode":"paginate"}'
  expect_exit 1 oci --insecure --max-tags 20 tags "$PX/p/paged"
  one_line err
  contains err "more than 20 tags"
}
t "oci: tag lists page on by Link headers or by n= and last=" test_oci_tags_pagination

test_oci_basic_auth() {
  start_registry basic
  make_chart secret 1.0.0
  expect_exit 1 oci --insecure push-chart secret-1.0.0.tgz "oci://$REG/s"
  one_line err
  contains err "no credentials for $REG"
  expect_exit 1 oci --insecure --user alice:wrong-pw push-chart secret-1.0.0.tgz "oci://$REG/s"
  one_line err
  contains err "rejected the credentials"
  lacks err wrong-pw
  expect_exit 0 oci --insecure --user alice:s3cret-pw push-chart secret-1.0.0.tgz "oci://$REG/s"
  # A dockerconfigjson with "auth", then with username/password.
  printf '{"auths":{"other.example":{"auth":"eDp5"},"%s":{"auth":"%s"}}}' \
    "$REG" "$(printf alice:s3cret-pw | base64)" >config.json
  mkdir p1 p2
  expect_exit 0 oci --insecure --docker-config config.json pull "$REG/s/secret:1.0.0" p1
  printf '{"auths":{"http://%s/v2/":{"username":"alice","password":"s3cret-pw"}}}' "$REG" >config2.json
  expect_exit 0 oci --insecure --docker-config config2.json pull "$REG/s/secret:1.0.0" p2
  same_dirs p1 p2
  skopeo inspect --raw --tls-verify=false --creds alice:s3cret-pw "docker://$REG/s/secret:1.0.0" | cmp - p1/manifest.json
  printf '{"auths":{"%s":{"auth":"not base64!"}}}' "$REG" >bad.json
  expect_exit 1 oci --insecure --docker-config bad.json tags "$REG/s/secret"
  contains err "is not base64 of user:password"
}
t "oci: htpasswd Basic auth, from flags and from a docker config" test_oci_basic_auth

test_oci_tls() {
  start_registry tls
  make_chart secure 2.0.0
  expect_exit 1 oci push-chart secure-2.0.0.tgz "oci://$REG/t"
  one_line err
  contains err "certificate"
  expect_exit 0 oci --cacert tls/ca.crt push-chart secure-2.0.0.tgz "oci://$REG/t"
  mkdir certs pulled && cp tls/ca.crt certs/ca.crt
  skopeo copy -q --src-cert-dir certs "docker://$REG/t/secure:2.0.0" dir:by-skopeo
  expect_exit 0 oci --cacert tls/ca.crt pull "$REG/t/secure:2.0.0" pulled
  same_dirs by-skopeo pulled
  # http:// to a TLS port is no way around the check.
  expect_exit 1 oci --insecure pull "$REG/t/secure:2.0.0" pulled
  one_line err
}
t "oci: TLS with a CA file; skopeo reads the same" test_oci_tls

test_oci_bearer() {
  start_registry plain
  start_py front tokenfront.py --upstream "$REG" --user bob:t0ken-pw --redirect-blobs --expires-in 120
  local front=127.0.0.1:$PY_PORT
  make_chart tok 3.1.0 32
  expect_exit 0 oci --insecure --user bob:t0ken-pw --stats push-chart tok-3.1.0.tgz "oci://$front/b"
  # One token for pull (the existence checks), one for pull,push.
  contains err "token_fetches=2 "
  mkdir pulled by-skopeo
  expect_exit 0 oci --insecure --user bob:t0ken-pw --stats pull "$front/b/tok:3.1.0" pulled
  contains err "token_fetches=1 "
  contains err "redirects=2"
  cmp tok-3.1.0.tgz "pulled/$(sha tok-3.1.0.tgz)"
  skopeo copy -q --src-tls-verify=false --src-creds bob:t0ken-pw "docker://$front/b/tok:3.1.0" dir:by-skopeo
  same_dirs by-skopeo pulled
  # The storage host never saw an Authorization header.
  curl -sf "http://$front/_tokenfront/stats" >stats.json
  python3 -c 'import json; s = json.load(open("stats.json")); assert s["storage"] >= 2 and s["storage_with_auth"] == 0, s'
  # Wrong password: one line, no secret in it.
  expect_exit 1 oci --insecure --user bob:nope-pw pull "$front/b/tok:3.1.0" pulled
  one_line err
  contains err "token service refused the credentials"
  lacks err nope-pw
  # Anonymous: refused here.
  expect_exit 1 oci --insecure tags "$front/b/tok"
  contains err "refused anonymous access"
}
t "oci: Bearer tokens per scope, redirects to storage without Authorization" test_oci_bearer

# Starts a registry with a chart in it and a fault proxy in front: PX is
# the proxy's host:port.
faulty_setup() {
  start_registry plain
  make_chart flaky 0.9.0 256
  oci --insecure push-chart flaky-0.9.0.tgz "oci://$REG/f" >/dev/null
  start_py proxy faultproxy.py --upstream "$REG"
  PX=127.0.0.1:$PY_PORT
}

set_fault() { curl -sf -X PUT --data "$1" "http://$PX/_faultproxy/rule" >/dev/null; }

test_oci_faults_retried() {
  faulty_setup
  local rule
  for rule in '{"mode":"reset","count":2}' \
              '{"mode":"500","count":2}' \
              '{"mode":"429","count":2,"retry_after":0}' \
              '{"mode":"truncate","count":2,"match":"/blobs/"}' \
              '{"mode":"corrupt","count":2,"match":"/blobs/"}' \
              '{"mode":"corrupt","count":1,"match":"/manifests/"}' \
              '{"mode":"reset","count":2,"method":"PUT"}' \
              '{"mode":"500","count":1,"method":"PATCH"}'; do
    echo "rule $rule"
    set_fault "$rule"
    rm -rf pulled && mkdir pulled
    if [[ $rule == *PUT* || $rule == *PATCH* ]]; then
      head -c 200000 /dev/urandom >up.bin
      expect_exit 0 oci --insecure --retry-base-ms 5 --chunk-size 50000 --stats push-blob up.bin "$PX/f/up:x"
      curl -sf "http://$REG/v2/f/up/blobs/sha256:$(sha up.bin)" | cmp - up.bin
    else
      expect_exit 0 oci --insecure --retry-base-ms 5 --stats pull "$PX/f/flaky:0.9.0" pulled
      cmp flaky-0.9.0.tgz "pulled/$(sha flaky-0.9.0.tgz)"
      contains err "retries=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["count"])' "$rule")"
    fi
    curl -sf "http://$PX/_faultproxy/stats" | python3 -c 'import json,sys; s = json.load(sys.stdin); assert s["faulted"] >= 1, s'
  done
  # Retry-After is honoured (1 s), and capped by --retry-after-max-ms.
  set_fault '{"mode":"429","count":1,"retry_after":1}'
  /usr/bin/time -f %e -o took "$OCI_TOOL" --insecure tags "$PX/f/flaky" >/dev/null
  python3 -c 'import sys; t = float(open("took").read()); sys.exit(0 if t >= 0.9 else "Retry-After not honoured: %.2fs" % t)'
  set_fault '{"mode":"429","count":1,"retry_after":60}'
  /usr/bin/time -f %e -o took "$OCI_TOOL" --insecure --retry-after-max-ms 100 tags "$PX/f/flaky" >/dev/null
  python3 -c 'import sys; t = float(open("took").read()); sys.exit(0 if t < 5 else "Retry-After not capped: %.2fs" % t)'
}
t "oci: resets, 5xx, 429, truncated and corrupt bodies are retried and pass" test_oci_faults_retried

test_oci_faults_persistent() {
  faulty_setup
  mkdir pulled
  set_fault '{"mode":"corrupt","match":"/blobs/"}'
  expect_exit 1 oci --insecure --retry-base-ms 5 --attempts 3 pull "$PX/f/flaky:0.9.0" pulled
  one_line err
  contains err "does not match its digest"
  contains err "after 3 attempts"
  equals "$(ls -A pulled)" ""
  set_fault '{"mode":"truncate","match":"/blobs/"}'
  expect_exit 1 oci --insecure --retry-base-ms 5 --attempts 2 pull "$PX/f/flaky:0.9.0" pulled
  one_line err
  contains err "closed before the whole body arrived"
  equals "$(ls -A pulled)" ""
  set_fault '{"mode":"500"}'
  expect_exit 1 oci --insecure --retry-base-ms 5 --attempts 2 pull "$PX/f/flaky:0.9.0" pulled
  one_line err
  contains err "HTTP 500 UNKNOWN: injected fault"
  set_fault '{"mode":"reset"}'
  expect_exit 1 oci --insecure --retry-base-ms 5 --attempts 2 pull "$PX/f/flaky:0.9.0" pulled
  one_line err
  equals "$(ls -A pulled)" ""
  # The faults stop: the next pull succeeds.
  curl -sf -X DELETE "http://$PX/_faultproxy/rule" >/dev/null
  expect_exit 0 oci --insecure pull "$PX/f/flaky:0.9.0" pulled
  cmp flaky-0.9.0.tgz "pulled/$(sha flaky-0.9.0.tgz)"
  # The control file works as well as the endpoint.
  start_py proxy2 faultproxy.py --upstream "$REG" --control rule.json
  echo '{"mode":"500"}' >rule.json
  expect_exit 1 oci --insecure --retry-base-ms 5 --attempts 2 tags "127.0.0.1:$PY_PORT/f/flaky"
  : >rule.json
  expect_exit 0 oci --insecure tags "127.0.0.1:$PY_PORT/f/flaky"
}
t "oci: persistent corruption or truncation stores nothing and fails in one line" test_oci_faults_persistent

test_oci_bad_references() {
  expect_exit 1 oci manifest 'oci://127.0.0.1:5000/Bad/Name:1'
  contains err 'bad repository name "Bad/Name"'
  expect_exit 1 oci manifest 'oci://127.0.0.1:5000/ok/name:-x'
  contains err 'bad tag "-x"'
  expect_exit 1 oci manifest 'oci://127.0.0.1:5000/ok/name@sha256:abc'
  contains err 'bad digest "sha256:abc"'
  expect_exit 1 oci manifest 'oci://bad_host:99999/ok/name:1'
  contains err 'bad host "bad_host:99999"'
  expect_exit 1 oci manifest 'https://127.0.0.1/ok/name:1'
  contains err 'scheme must be oci://'
  expect_exit 1 oci manifest '127.0.0.1:5000'
  contains err 'no repository after the host'
}
t "oci: reference errors name the bad part" test_oci_bad_references
