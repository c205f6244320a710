# push, tap and untap against Debian's docker-registry and a real
# cozypkgd; skopeo reads what push wrote, kubectl checks the cluster.

TAP_EX="$ROOT/examples/platform"

# tap_push TAG [DIR]: pushes DIR (default: the example platform) to
# $REG/acme/platform:TAG; prints the manifest digest.
tap_push() {
  "$COZYPKG" push --insecure --path "${2:-$TAP_EX}" --source https://example.org/acme \
    --revision "$1@sha1:0" "oci://$REG/acme/platform:$1" 2>push.err
}

# tap_is KIND NAME JSONPATH VALUE: the field has that value now.
tap_is() {
  [[ $(k get "$1" "$2" -o jsonpath="$3" 2>/dev/null) == "$4" ]]
}
TAP_READY='{.status.conditions[?(@.type=="Ready")].status}'
TAP_REASON='{.status.conditions[?(@.type=="Ready")].reason}'

# tap_ready NAME...: every PackageSource Ready.
tap_ready() {
  local n
  for n in "$@"; do
    wait_until 30 tap_is packagesource "$n" "$TAP_READY" True ||
      fail "PackageSource $n not Ready: $(k get packagesource "$n" -o yaml 2>&1 | tail -12)"
  done
}

# tap_all_ready N: N PackageSources, all Ready.
tap_all_ready() {
  [[ $(k get packagesources -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True) == "$1" ]]
}

test_push_shape() {
  start_registry plain
  export SOURCE_DATE_EPOCH=1700000000
  local d1 d2 raw
  d1=$(tap_push v1)
  d2=$(tap_push v1)
  equals "$d1" "$d2"
  raw=$(skopeo inspect --tls-verify=false --raw "docker://$REG/acme/platform:v1")
  equals "$(jq -r .config.mediaType <<<"$raw")" application/vnd.cncf.flux.config.v1+json
  equals "$(jq -r '.layers | length' <<<"$raw")" 1
  equals "$(jq -r '.layers[0].mediaType' <<<"$raw")" application/vnd.cncf.flux.content.v1.tar+gzip
  equals "$(jq -r '.annotations["org.opencontainers.image.source"]' <<<"$raw")" https://example.org/acme
  equals "$(jq -r '.annotations["org.opencontainers.image.revision"]' <<<"$raw")" v1@sha1:0
  equals "$(jq -r '.annotations["org.opencontainers.image.created"]' <<<"$raw")" 2023-11-14T22:13:20Z
  # The same tree elsewhere, with other times, owners' modes and order:
  # the same layer; another created time: another manifest, same layer.
  cp -r "$TAP_EX" copy
  touch -d '2001-01-01' copy/packages/apps/webapp/values.yaml
  chmod 0600 copy/packages/apps/webapp/Chart.yaml
  SOURCE_DATE_EPOCH=1800000000 tap_push v2 copy >/dev/null
  equals "$(skopeo inspect --tls-verify=false --raw "docker://$REG/acme/platform:v2" | jq -r '.layers[0].digest')" \
    "$(jq -r '.layers[0].digest' <<<"$raw")"
  [[ $(skopeo inspect --tls-verify=false --raw "docker://$REG/acme/platform:v2" | sha256sum) != $(sha256sum <<<"$raw") ]]
  # The layer holds packages/ at its root, regular files only.
  skopeo copy -q --src-tls-verify=false "docker://$REG/acme/platform:v1" dir:pulled
  tar -tzf "pulled/$(jq -r '.layers[0].digest' <<<"$raw" | cut -d: -f2)" >list
  contains list 'apps/webapp/Chart.yaml'
  contains list 'core/platform/sources/webapp.yaml'
  lacks list 'packages/'
}
t "push: the Flux artifact shape, read by skopeo, reproducible" test_push_shape

test_push_cache() {
  start_registry plain
  export XDG_CACHE_HOME=$PWD/cache SOURCE_DATE_EPOCH=1700000000
  local l1 l2
  cp -r "$TAP_EX" tree
  # a tree changed in the last two seconds is built, not cached
  tap_push v0 tree >/dev/null
  lacks push.err 'unchanged since the last push'
  [[ ! -e cache/cozypkg/layers ]] || equals "$(ls cache/cozypkg/layers | wc -l)" 0
  sleep 3
  tap_push v1 tree >/dev/null
  lacks push.err 'unchanged since the last push'
  tap_push v2 tree >/dev/null
  contains push.err 'unchanged since the last push: not validated again'
  # other validation options: the same layer, validated again
  "$COZYPKG" push --insecure --allow-reserved-names --path tree --source https://example.org/acme \
    --revision v2@sha1:0 "oci://$REG/acme/platform:v2b" >/dev/null 2>push.err
  contains push.err 'unchanged since the last push)'
  layer() { skopeo inspect --tls-verify=false --raw "docker://$REG/acme/platform:$1" | jq -r '.layers[0].digest'; }
  l1=$(layer v1)
  equals "$(layer v2)" "$l1"
  equals "$(layer v0)" "$l1"
  # an edit of the same size is a new layer, the one --no-cache builds
  sed -i 's/replicas: 1/replicas: 2/' tree/packages/apps/webapp/values.yaml
  grep -q 'replicas: 2' tree/packages/apps/webapp/values.yaml || fail "the edit did not apply"
  tap_push v3 tree >/dev/null
  lacks push.err 'unchanged since the last push'
  l2=$(layer v3)
  [[ $l2 != "$l1" ]] || fail "an edited tree kept its layer"
  "$COZYPKG" push --insecure --no-cache --path tree --source https://example.org/acme \
    --revision v4@sha1:0 "oci://$REG/acme/platform:v4" >/dev/null 2>push.err
  equals "$(layer v4)" "$l2"
  # a damaged cached layer is not published: the layer is built again
  sleep 3
  tap_push v5 tree >/dev/null
  local gz; gz=$(ls cache/cozypkg/layers/*.tar.gz)
  printf 'damaged' | dd of="$gz" bs=1 seek=100 conv=notrunc 2>/dev/null
  tap_push v6 tree >/dev/null
  lacks push.err 'unchanged since the last push'
  equals "$(layer v6)" "$(layer v5)"
  skopeo copy -q --src-tls-verify=false "docker://$REG/acme/platform:v6" dir:pulled
  tar -tzf "pulled/$(layer v6 | cut -d: -f2)" >list
  contains list 'apps/webapp/values.yaml'
}
t "push: an unchanged tree reuses its layer; an edit, --no-cache or a damaged cache builds it again" test_push_cache

test_push_links_and_errors() {
  start_registry plain
  mkdir -p r/packages/apps/a && echo x >r/packages/apps/a/f && ln -s f r/packages/apps/a/link
  expect_exit 0 "$COZYPKG" push --insecure --skip-validate --path r --source s --revision v "oci://$REG/x/y:1"
  contains err 'left out'
  contains err 'packages/apps/a/link'
  # Validated first: a repository that declares nothing is not pushed.
  expect_exit 2 "$COZYPKG" push --insecure --path r --source s --revision v "oci://$REG/x/z:1"
  contains err 'declares no PackageSources'
  contains err 'r does not validate: nothing was pushed'
  expect_exit 1 skopeo inspect --tls-verify=false --raw "docker://$REG/x/z:1"
  expect_exit 2 "$COZYPKG" push --insecure --path nowhere --source s --revision v "oci://$REG/x/y:1"
  contains err 'nowhere: no packages/ directory'
  expect_exit 2 "$COZYPKG" push --insecure --path r "oci://$REG/x/y:1"
  contains err 'pass --source and --revision'
  expect_exit 2 "$COZYPKG" push --insecure --path r --source s --revision v "$REG/x/y:1"
  contains err 'expected an oci:// reference'
  expect_exit 1 "$COZYPKG" push --insecure --skip-validate --path r --source s --revision v "oci://127.0.0.1:$(free_port)/x/y:1"
  contains err '127.0.0.1'
  expect_exit 2 "$COZYPKG" push
}
t "push: symbolic links left out with a warning; bad input is one line" test_push_links_and_errors

test_tap_add_untap() {
  start_registry plain
  start_server
  local d
  d=$(tap_push v1)
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1"
  contains out 'packagesource/example.webapp'
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.url} {.spec.ref.tag} {.metadata.labels.apps\.cozystack\.io/marketplace-tap}')" \
    "oci://$REG/acme/platform v1 tap-acme-platform"
  equals "$(k get packagesource example.webapp -o jsonpath='{.spec.sourceRef.name} {.metadata.labels.apps\.cozystack\.io/marketplace-tap}')" \
    "tap-acme-platform tap-acme-platform"
  equals "$(k get packagesource example.webapp -o jsonpath='{.metadata.managedFields[0].manager}')" cozypkg
  tap_ready example.certs example.crds example.networking example.webapp
  wait_until 30 tap_is externalartifacts -A '{.items[0].kind}' ExternalArtifact
  # Again: idempotent.
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1"
  equals "$(k get ocirepositories -A --no-headers | wc -l)" 1
  expect_exit 0 "$COZYPKG" add -f "$TAP_EX/packages.yaml" --wait --timeout 60s </dev/null
  equals "$(k get helmreleases -A --no-headers | wc -l)" 6
  # untap: refused while Packages are installed, and for official sources.
  expect_exit 1 "$COZYPKG" untap example.crds </dev/null
  contains err 'installed Package(s) use these sources'
  contains err 'example.certs'
  contains err 'example.webapp'
  k get packagesource example.crds >/dev/null
  expect_exit 0 "$COZYPKG" untap example.webapp --cascade --yes </dev/null
  contains err 'Deleted Package example.webapp'
  contains err 'Deleted PackageSource example.webapp'
  lacks err 'Deleted Package example.certs'
  lacks err 'Deleted OCIRepository'
  expect_exit 1 k get package example.webapp
  expect_exit 0 "$COZYPKG" untap example.certs example.crds example.networking --yes </dev/null
  contains err 'without their source'
  contains err 'Deleted OCIRepository cozy-system/tap-acme-platform'
  equals "$(k get ocirepositories -A --no-headers 2>/dev/null | wc -l)" 0
  wait_until 30 tap_is package example.crds "$TAP_REASON" PackageSourceNotFound
}
t "tap: PackageSources Ready, add, untap refused then --cascade" test_tap_add_untap

test_tap_refusals() {
  start_registry plain
  start_server
  tap_push v1 >/dev/null
  # An official source of the same name: refused, nothing created.
  sed 's/name: example.crds/name: example.crds/' "$TAP_EX/packages/core/platform/sources/crds.yaml" | k apply -f - >/dev/null
  expect_exit 1 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1"
  contains err 'PackageSource example.crds is already on the cluster and is not from a tap'
  expect_exit 1 k get ocirepository -n cozy-system tap-acme-platform
  equals "$(k get packagesources --no-headers | wc -l)" 1
  expect_exit 1 "$COZYPKG" untap example.crds </dev/null
  contains err 'was not made by tap'
  k delete packagesource example.crds >/dev/null
  # The same tap name for another URL: refused.
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1"
  "$COZYPKG" push --insecure --path "$TAP_EX" --source s --revision v "oci://$REG/other/acme/platform:v1" >/dev/null 2>&1
  expect_exit 1 "$COZYPKG" tap --insecure "oci://$REG/other/acme/platform:v1"
  contains err "tap-acme-platform already taps oci://$REG/acme/platform"
  # Unreachable registry, missing tag, no sources: one line, nothing made.
  expect_exit 1 "$COZYPKG" tap --insecure "oci://127.0.0.1:$(free_port)/a/b:v1"
  equals "$(wc -l <err)" 1
  expect_exit 1 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:nope"
  contains err 'pulling'
  mkdir -p bare/packages/apps/a && echo x >bare/packages/apps/a/f
  "$COZYPKG" push --insecure --skip-validate --path bare --source s --revision v "oci://$REG/acme/bare:v1" >/dev/null 2>&1
  expect_exit 1 "$COZYPKG" tap --insecure "oci://$REG/acme/bare:v1"
  contains err 'declares no PackageSources'
  expect_exit 1 k get ocirepository -n cozy-system tap-acme-bare
}
t "tap: collisions refused, never overwritten; failures create nothing" test_tap_refusals

test_tap_pin_and_secret() {
  start_registry plain
  start_server
  local d
  d=$(tap_push v1)
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform@$d"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.ref.digest}|{.spec.ref.tag}')" "$d|"
  expect_exit 0 "$COZYPKG" tap --insecure --pin --secret pull-creds "oci://$REG/acme/platform:v1"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.ref.digest} {.spec.secretRef.name}')" "$d pull-creds"
  # --secret is kept by a later tap, and cleared by --secret "".
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.ref.tag} {.spec.secretRef.name}')" "v1 pull-creds"
  expect_exit 0 "$COZYPKG" tap --insecure --secret "" "oci://$REG/acme/platform:v1"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.secretRef.name}')" ""
  expect_exit 2 "$COZYPKG" tap --insecure --pin "oci://$REG/acme/platform@$d"
}
t "tap: @sha256 and --pin follow a digest; --secret is sticky" test_tap_pin_and_secret

test_tap_follows_revisions() {
  start_registry plain
  start_server
  tap_push stable >/dev/null
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:stable"
  tap_ready example.certs example.crds example.networking example.webapp
  # The next revision on the same tag drops webapp and adds worker.
  cp -r "$TAP_EX" next
  rm next/packages/core/platform/sources/webapp.yaml
  cat >next/packages/core/platform/sources/worker.yaml <<'EOF'
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: example.worker}
spec:
  sourceRef: {kind: OCIRepository, name: example-packages, namespace: cozy-system, path: /}
  variants:
  - name: default
    components:
    - name: worker
      path: apps/worker
      install: {namespace: tenant-demo}
EOF
  tap_push stable next >/dev/null
  k annotate ocirepository -n cozy-system tap-acme-platform --overwrite \
    reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
  wait_until 30 tap_is packagesource example.worker '{.metadata.labels.apps\.cozystack\.io/marketplace-tap}' tap-acme-platform
  wait_until 30 expect_exit 1 k get packagesource example.webapp
  tap_ready example.worker
  grep -q 'PackageSource example.webapp is no longer in the tapped artifact' .srv/log
}
t "tap: a new revision that adds and drops PackageSources is followed" test_tap_follows_revisions

test_real_tree_pushed() {
  need_fixtures
  start_registry plain
  start_server
  real_checkout real
  expect_exit 0 "$COZYPKG" push --insecure --allow-reserved-names --path real --source https://github.com/cozystack/cozystack \
    --revision main@sha1:3c780acd417f086f8f18d040d0d7020ff55d3ba3 "oci://$REG/cozystack/packages:v1"
  contains err '35 symbolic links or special files left out'
  contains err 'packages/core/flux-aio/manifests'
  k create namespace cozy-system >/dev/null
  k apply -f - >/dev/null <<Y
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: cozystack-packages, namespace: cozy-system}
spec: {url: "oci://$REG/cozystack/packages", ref: {tag: v1}, interval: 5m, insecure: true}
Y
  k apply --server-side -f "$SOURCES" >/dev/null
  wait_until 120 tap_all_ready 99 ||
    fail "not Ready: $(k get packagesources | grep -v True | head -5)"
  # Each component of each variant has its artifact.
  [[ $(k get externalartifacts -A --no-headers | wc -l) -ge 99 ]]
}
t "push: the real Cozystack tree as an artifact; all 99 real sources Ready on it" test_real_tree_pushed

tap_repo_ready_is() {
  [[ $(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath="$TAP_READY") == "$1" ]]
}

test_private_registry() {
  start_registry basic
  start_server
  local auth
  auth=$(printf 'alice:s3cret-pw' | base64)
  export DOCKER_CONFIG=$PWD/docker
  # No credentials: refused, and the message says so.
  expect_exit 1 "$COZYPKG" push --insecure --path "$TAP_EX" --source s --revision v "oci://$REG/acme/platform:v1"
  contains err "authentication required and no credentials for $REG"
  mkdir -p docker
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$auth" >docker/config.json
  expect_exit 0 "$COZYPKG" push --insecure --path "$TAP_EX" --source s --revision v "oci://$REG/acme/platform:v1"
  cat out err >push.log
  # The cluster's pull reads the Secret named by --secret.
  k create namespace cozy-system >/dev/null
  k create secret docker-registry regcred -n cozy-system --docker-server="$REG" \
    --docker-username=alice --docker-password=s3cret-pw >/dev/null
  expect_exit 0 "$COZYPKG" tap --insecure --secret regcred "oci://$REG/acme/platform:v1"
  cat out err >>push.log
  tap_ready example.certs example.crds example.networking example.webapp
  # Without the Secret's reference the cluster's pull is refused.
  expect_exit 0 "$COZYPKG" tap --insecure --secret "" "oci://$REG/acme/platform:v1"
  k annotate ocirepository -n cozy-system tap-acme-platform --overwrite \
    reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
  wait_until 30 tap_repo_ready_is False
  k get ocirepository -n cozy-system tap-acme-platform -o yaml >repo.yaml
  k get packagesources -o yaml >>repo.yaml
  for f in push.log repo.yaml .srv/log; do
    lacks "$f" s3cret-pw
    lacks "$f" "$auth"
  done
}
t "tap: a private registry through ~/.docker/config.json and --secret; no credential shown" test_private_registry
