# The marketplace on the cluster's side with signatures and the index:
# tap --verify-key and tap NAME against Debian's docker-registry and a real
# cozypkgd; moved tags, wrong keys and missing signatures.

MKT_EX="$ROOT/examples/platform"

# mkt_push REPO:TAG [DIR]: pushes DIR (default the example) to $REG/REPO:TAG.
mkt_push() {
  "$COZYPKG" push --insecure --path "${2:-$MKT_EX}" --source https://example.org/acme \
    --revision "r@sha1:0" "oci://$REG/$1" 2>/dev/null
}

mkt_repo_is() {
  [[ $(k get ocirepository -n cozy-system "$1" -o jsonpath="$2" 2>/dev/null) == "$3" ]]
}
MKT_READY='{.status.conditions[?(@.type=="Ready")].status}'
MKT_REASON='{.status.conditions[?(@.type=="Ready")].reason}'

mkt_reconcile() {
  k annotate ocirepository -n cozy-system "$1" --overwrite \
    reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
}

test_tap_verified() {
  start_registry plain
  start_server
  local d1 d2
  "$COZYPKG" keygen --output-key-prefix signer >/dev/null 2>&1
  "$COZYPKG" keygen --output-key-prefix other >/dev/null 2>&1
  d1=$(mkt_push acme/platform:stable)
  # Unsigned, or signed by another key: refused before anything is made.
  expect_exit 1 "$COZYPKG" tap --insecure --verify-key signer.pub "oci://$REG/acme/platform:stable"
  contains err "verifying oci://$REG/acme/platform"
  expect_exit 1 k get ocirepository -n cozy-system tap-acme-platform
  "$COZYPKG" sign --insecure --key other.key "oci://$REG/acme/platform:stable" >/dev/null 2>&1
  expect_exit 1 "$COZYPKG" tap --insecure --verify-key signer.pub "oci://$REG/acme/platform:stable"
  expect_exit 1 k get packagesource example.webapp
  # Signed: tapped, and the cluster verifies too.
  "$COZYPKG" sign --insecure --key signer.key "oci://$REG/acme/platform:stable" >/dev/null 2>&1
  expect_exit 0 "$COZYPKG" tap --insecure --verify-key signer.pub "oci://$REG/acme/platform:stable"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.verify.provider} {.spec.verify.secretRef.name}')" \
    "cosign tap-acme-platform-cosign"
  wait_until 30 mkt_repo_is tap-acme-platform "$MKT_READY" True
  wait_until 30 mkt_repo_is tap-acme-platform '{.status.conditions[?(@.type=="SourceVerified")].status}' True
  # The tag moves to unsigned content: refused on the cluster, the stored
  # revision stays the signed one.
  cp -r "$MKT_EX" next && echo "# moved" >>next/packages/apps/webapp/values.yaml
  d2=$(mkt_push acme/platform:stable next)
  mkt_reconcile tap-acme-platform
  wait_until 30 mkt_repo_is tap-acme-platform "$MKT_REASON" VerificationError
  k get ocirepository -n cozy-system tap-acme-platform -o yaml >repo.yaml
  contains repo.yaml "$d2"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.status.artifact.revision}')" "stable@$d1"
  # Signing the new content makes it the stored revision.
  "$COZYPKG" sign --insecure --key signer.key "oci://$REG/acme/platform:stable" >/dev/null 2>&1
  mkt_reconcile tap-acme-platform
  wait_until 30 mkt_repo_is tap-acme-platform '{.status.artifact.revision}' "stable@$d2"
  mkt_repo_is tap-acme-platform "$MKT_READY" True
  # A later tap without --verify-key keeps the verification.
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:stable"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.verify.secretRef.name}')" tap-acme-platform-cosign
  # untap takes the key's Secret along with the OCIRepository.
  expect_exit 0 "$COZYPKG" untap example.certs example.crds example.networking example.webapp </dev/null
  expect_exit 1 k get secret -n cozy-system tap-acme-platform-cosign
}
t "tap --verify-key: checked locally, enforced on the cluster for every revision" test_tap_verified

test_tap_from_index() {
  start_registry plain
  start_server
  local d
  "$COZYPKG" keygen --output-key-prefix signer >/dev/null 2>&1
  d=$(mkt_push acme/platform:v1.0.0)
  "$COZYPKG" sign --insecure --key signer.key "oci://$REG/acme/platform:v1.0.0" >/dev/null 2>&1
  mkdir -p ix/entries
  market_signed_entry ix/entries/acme-platform.yaml
  expect_exit 0 "$COZYPKG" index validate --online --insecure ix
  export COZYPKG_INDEX=$PWD/ix
  expect_exit 0 "$COZYPKG" list --available -o wide
  contains out 'acme-platform'
  contains out "in the index, not tapped: Example platform packages"
  contains out "oci://$REG/acme/platform"
  expect_exit 0 "$COZYPKG" search platform
  contains out 'key'
  expect_exit 1 "$COZYPKG" tap --insecure no-such-entry
  contains err 'no-such-entry: no such entry in the index'
  expect_exit 0 "$COZYPKG" tap --insecure acme-platform
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.ref.tag} {.spec.verify.provider}')" "v1.0.0 cosign"
  expect_exit 0 "$COZYPKG" list --available
  lacks out 'acme-platform'
  expect_exit 0 "$COZYPKG" search platform -o json
  equals "$(jq -r '.items[0].tapped' out)" true
  # An entry that pins a digest: the tap follows the digest.
  echo "digest: $d" >>ix/entries/acme-platform.yaml
  expect_exit 0 "$COZYPKG" tap --insecure acme-platform
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.ref.digest}')" "$d"
  # A wrong key in the index: refused before the cluster is touched.
  "$COZYPKG" keygen --output-key-prefix other >/dev/null 2>&1
  sed -i '/^signing:/,$d' ix/entries/acme-platform.yaml
  { echo "signing:"; echo "  key: |"; sed 's/^/    /' other.pub; } >>ix/entries/acme-platform.yaml
  k delete ocirepository -n cozy-system tap-acme-platform >/dev/null
  k delete packagesources --all >/dev/null
  expect_exit 1 "$COZYPKG" tap --insecure acme-platform
  contains err 'verifying'
  expect_exit 1 k get ocirepository -n cozy-system tap-acme-platform
}
t "tap NAME: the index gives the reference, the pinned digest and the key" test_tap_from_index
