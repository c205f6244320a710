# The whole community loop, as an author and an admin would run it:
# init -> validate -> push -> sign -> index entry -> search -> tap -> add
# -> Ready with HelmReleases -> untap refused -> untap --cascade.

test_full_loop() {
  start_registry plain
  start_server
  local d
  expect_exit 0 "$COZYPKG" init hello --app hello --name acme.hello
  expect_exit 0 "$COZYPKG" validate hello
  d=$("$COZYPKG" push --insecure --path hello --source https://example.org/acme/hello \
    --revision v0.1.0@sha1:0 "oci://$REG/acme/hello:v0.1.0" 2>push.err)
  [[ $d == sha256:* ]] || fail "push printed [$d]: $(cat push.err)"
  expect_exit 0 "$COZYPKG" keygen --output-key-prefix acme
  expect_exit 0 "$COZYPKG" sign --insecure --key acme.key "oci://$REG/acme/hello:v0.1.0"
  equals "$(cat out)" "$d"
  expect_exit 0 "$COZYPKG" verify --insecure --key acme.pub "oci://$REG/acme/hello:v0.1.0"
  mkdir -p index/entries
  {
    echo "name: acme-hello"
    echo "ociRef: $REG/acme/hello"
    echo "version: v0.1.0"
    echo "description: Hello world apps for Cozystack"
    echo "maintainer: Acme <ops@acme.example>"
    echo "tags: [demo, hello]"
    echo "signing:"
    echo "  key: |"
    sed 's/^/    /' acme.pub
  } >index/entries/acme-hello.yaml
  expect_exit 0 "$COZYPKG" index validate --online --insecure index
  expect_exit 0 "$COZYPKG" index push --insecure index "oci://$REG/acme/index:latest"
  export COZYPKG_INDEX="oci://$REG/acme/index:latest"
  expect_exit 0 "$COZYPKG" search hello --insecure
  contains out 'acme-hello'
  contains out 'v0.1.0'
  expect_exit 0 "$COZYPKG" tap --insecure acme-hello
  contains out 'packagesource/acme.hello'
  equals "$(k get ocirepository -n cozy-system tap-acme-hello -o jsonpath='{.spec.verify.provider}')" cosign
  wait_until 30 loop_source_ready
  expect_exit 0 "$COZYPKG" add acme.hello --wait --timeout 60s </dev/null
  contains err 'acme.hello is Ready'
  equals "$(k get helmreleases -n cozy-system -o jsonpath='{.items[*].metadata.name}')" hello-rd
  expect_exit 1 "$COZYPKG" untap acme.hello </dev/null
  contains err 'installed Package(s) use these sources'
  k get package acme.hello >/dev/null
  expect_exit 0 "$COZYPKG" untap acme.hello --cascade --yes </dev/null
  contains err 'Deleted Package acme.hello'
  contains err 'Deleted OCIRepository cozy-system/tap-acme-hello'
  expect_exit 1 k get packagesource acme.hello
  wait_until 30 loop_no_releases
}

loop_source_ready() {
  [[ $(k get packagesource acme.hello -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
loop_no_releases() {
  [[ -z $(k get helmreleases -A --no-headers 2>/dev/null) ]]
}
t "marketplace: init, validate, push, sign, index, search, tap, add, untap" test_full_loop
