# History and rollback: ControllerRevisions of Packages and Flux sources
# kept by cozypkgd's controllers, cozypkg history, rollback, unpin, suspend
# and resume, against a real cozypkgd and Debian's docker-registry.

HIS_EX="$ROOT/examples/platform"

his_platform() {
  k apply --server-side -f "$HIS_EX/packages/core/platform/sources" >/dev/null
  k apply -f "$HIS_EX/packages.yaml" >/dev/null
}

his_replicas() {
  k patch package example.webapp --type=merge \
    -p "{\"spec\":{\"components\":{\"webapp\":{\"values\":{\"replicas\":$1}}}}}" >/dev/null
}

# his_revisions OWNER: the revision numbers `cozypkg history` lists.
his_revisions() {
  "$COZYPKG" history "$1" 2>/dev/null | awk 'NR > 1 {print $1}' | tr '\n' ' '
}
his_revisions_are() {
  [[ $(his_revisions "$1") == "$2" ]]
}
his_hr_is() {
  [[ $(k get hr -n tenant-demo webapp -o jsonpath="$1" 2>/dev/null) == "$2" ]]
}

test_package_history_rollback() {
  start_server --history-limit 3
  his_platform
  wait_until 20 his_revisions_are example.webapp "1 "
  his_replicas 5
  wait_until 20 his_revisions_are example.webapp "1 2 "
  expect_exit 0 "$COZYPKG" history example.webapp
  contains out 'kubectl-patch'
  expect_exit 0 "$COZYPKG" history example.webapp -o json --revision 1
  equals "$(jq -r '.data.spec.components.webapp.values.replicas' out)" 2
  equals "$(jq -r '.metadata.ownerReferences[0].kind' out)" Package
  # Without a terminal the question needs --yes; nothing changes.
  expect_exit 2 "$COZYPKG" rollback example.webapp </dev/null
  contains err 'spec.components.webapp.values.replicas: 5 -> 2'
  equals "$(k get package example.webapp -o jsonpath='{.spec.components.webapp.values.replicas}')" 5
  expect_exit 0 "$COZYPKG" rollback example.webapp --to-revision 1 --yes
  contains err 'rolled back to revision 1'
  equals "$(k get package example.webapp -o jsonpath='{.spec.components.webapp.values.replicas}')" 2
  wait_until 20 his_hr_is '{.spec.values.replicas}' 2
  # The rollback is itself the newest revision, by cozypkg.
  wait_until 20 his_revisions_are example.webapp "1 2 3 "
  expect_exit 0 "$COZYPKG" history example.webapp -o yaml
  contains out 'history.cozypkg.io/changed-by: cozypkg'
  # Past the limit the oldest go; numbers are never reused.
  his_replicas 6
  wait_until 20 his_revisions_are example.webapp "2 3 4 "
  his_replicas 7
  wait_until 20 his_revisions_are example.webapp "3 4 5 "
  expect_exit 1 "$COZYPKG" rollback example.webapp --to-revision 1 --yes
  contains err 'has no revision 1'
  expect_exit 2 "$COZYPKG" rollback example.webapp --to-revision zero
  expect_exit 1 "$COZYPKG" history no.such.package
  # The revisions belong to the Package: they go with it.
  k delete package example.webapp >/dev/null
  wait_until 20 his_no_revisions_of example.webapp
}
his_no_revisions_of() {
  ! k get controllerrevisions -n cozy-system --no-headers 2>/dev/null | grep -q "package.$1."
}
t "history: Package revisions, rollback --to-revision, the limit, ownership" test_package_history_rollback

test_suspend_resume() {
  start_server
  his_platform
  wait_until 20 his_hr_is '{.spec.values.replicas}' 2
  expect_exit 0 "$COZYPKG" suspend example.webapp
  contains err 'Package example.webapp suspended: 1 HelmRelease(s)'
  equals "$(k get hr -n tenant-demo webapp -o jsonpath='{.spec.suspend}')" true
  his_replicas 9
  wait_until 20 his_package_reason Suspended
  sleep 1
  his_hr_is '{.spec.values.replicas}' 2
  expect_exit 0 "$COZYPKG" resume example.webapp
  wait_until 20 his_hr_is '{.spec.values.replicas} {.spec.suspend}' '9 false'
  wait_until 20 his_package_reason ReconciliationSucceeded
  expect_exit 2 "$COZYPKG" suspend
}
his_package_reason() {
  [[ $(k get package example.webapp -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}') == "$1" ]]
}
t "suspend and resume: the controller leaves a suspended Package's releases alone" test_suspend_resume

# his_push TAG DIR: the example platform (or DIR) to $REG/acme/platform:TAG.
his_push() {
  "$COZYPKG" push --insecure --path "${2:-$HIS_EX}" --source s --revision "$1@sha1:0" \
    "oci://$REG/acme/platform:$1" 2>/dev/null
}
his_source_revision_is() {
  [[ $(k get ocirepository -n cozy-system plat -o jsonpath='{.status.artifact.revision}') == "$1" ]]
}

# The component artifacts' digests and the HelmReleases' specs.
his_artifacts() {
  k get externalartifacts -n cozy-system -o json |
    jq -c '[.items[] | .metadata.name + "=" + (.status.artifact.digest // "")] | sort'
}
his_releases() {
  k get hr -A -o json | jq -c '[.items[] | {n: (.metadata.namespace + "/" + .metadata.name), s: .spec}] | sort_by(.n)'
}
his_artifacts_are() { [[ $(his_artifacts) == "$1" ]]; }
his_artifacts_differ() { [[ $(his_artifacts) != "$1" ]]; }
his_sources_ready() {
  local s
  s=$(k get packagesources -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
  [[ -n $s ]] && ! grep -qv '^True$' <<<"$s"
}

test_source_rollback_unpin() {
  start_registry plain
  start_server
  local d1 d2
  d1=$(his_push stable)
  k create namespace cozy-system >/dev/null
  k apply -f - >/dev/null <<Y
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: plat, namespace: cozy-system}
spec: {url: "oci://$REG/acme/platform", ref: {tag: stable}, interval: 5m, insecure: true}
Y
  wait_until 30 his_source_revision_is "stable@$d1"
  wait_until 20 his_revisions_are source/plat "1 "
  # The example platform installed from it.
  sed 's/name: example-packages/name: plat/' "$HIS_EX"/packages/core/platform/sources/*.yaml |
    k apply --server-side -f - >/dev/null
  k apply -f "$HIS_EX/packages.yaml" >/dev/null
  wait_until 60 his_sources_ready
  local a1 r1
  a1=$(his_artifacts)
  r1=$(his_releases)
  cp -r "$HIS_EX" next && echo "# v2" >>next/packages/apps/webapp/values.yaml
  d2=$(his_push stable next)
  k annotate ocirepository -n cozy-system plat --overwrite reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
  wait_until 30 his_source_revision_is "stable@$d2"
  wait_until 20 his_revisions_are source/plat "1 2 "
  wait_until 30 his_artifacts_differ "$a1"
  expect_exit 0 "$COZYPKG" history source/plat
  contains out "stable@$d1"
  contains out "stable@$d2"
  expect_exit 0 "$COZYPKG" rollback source/plat --yes
  contains err "spec.ref.digest: (none) -> $d1"
  equals "$(k get ocirepository -n cozy-system plat -o jsonpath='{.spec.ref.digest} {.spec.ref.tag}')" "$d1 stable"
  # A digest reference's revision is the digest alone, as Flux has it.
  wait_until 30 his_source_revision_is "$d1"
  # Every artifact digest and HelmRelease spec is back to v1's.
  wait_until 30 his_artifacts_are "$a1"
  equals "$(his_releases)" "$r1"
  expect_exit 0 "$COZYPKG" unpin source/plat
  contains err 'follows its tag stable again'
  equals "$(k get ocirepository -n cozy-system plat -o jsonpath='{.spec.ref.digest}')" ""
  wait_until 30 his_source_revision_is "stable@$d2"
  expect_exit 0 "$COZYPKG" unpin source/plat
  contains err 'is not pinned'
  expect_exit 2 "$COZYPKG" unpin plat
  expect_exit 1 "$COZYPKG" history source/nothing
  contains err 'no OCIRepository or GitRepository cozy-system/nothing'
}
t "rollback source/NAME pins an earlier digest; unpin follows the tag again" test_source_rollback_unpin
