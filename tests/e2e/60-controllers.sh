# The controllers, against real cozypkgd processes, driven with kubectl.

# A small catalog: t.base (two variants, a privileged component), t.mid
# (depends on t.base, two components), t.top (depends on t.mid).
mini_sources() {
  cat <<'EOF'
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata:
  name: t.base
spec:
  sourceRef: {kind: OCIRepository, name: pkgs, namespace: cozy-system}
  variants:
  - name: default
    components:
    - name: base
      path: base
      install: {namespace: t-base, privileged: true}
  - name: alt
    components:
    - name: base-alt
      path: base-alt
      install: {namespace: t-base}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata:
  name: t.mid
spec:
  sourceRef: {kind: OCIRepository, name: pkgs, namespace: cozy-system}
  variants:
  - name: default
    dependsOn: [t.base]
    components:
    - name: mid
      path: mid
      install: {namespace: t-mid}
    - name: extra
      path: extra
      install: {namespace: t-mid, dependsOn: [mid]}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata:
  name: t.top
spec:
  sourceRef: {kind: OCIRepository, name: pkgs, namespace: cozy-system}
  variants:
  - name: default
    dependsOn: [t.mid]
    components:
    - name: top
      path: top
      install: {namespace: tenant-top}
EOF
}

mini_package() { # NAME [SPEC-YAML]
  printf 'apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata:\n  name: %s\n' "$1"
  [[ -z ${2:-} ]] || printf 'spec:\n%s\n' "$2"
}

# ready NAME: "Status/Reason" of the Package's Ready condition.
ready() {
  k get package "$1" -o jsonpath='{.status.conditions[0].status}/{.status.conditions[0].reason}'
}
is_ready() { [[ $(ready "$1") == "$2" ]]; }
hr_exists() { k get helmrelease -n "$1" "$2" >/dev/null 2>&1; }
hr_gone() { ! hr_exists "$1" "$2"; }
hr_field() { k get helmrelease -n "$1" "$2" -o jsonpath="$3"; }
hr_field_is() { [[ $(hr_field "$1" "$2" "$3") == "$4" ]]; }
hr_count() { k get helmreleases -A -o name | wc -l; }
hr_count_is() { [[ $(hr_count) -eq $1 ]]; }

# compare_with_render: everything in the API equals render.json.
compare_with_render() {
  k get helmreleases -A -o json >hrs.json
  k get packages -o json >pkgs.json
  k get namespaces -o json >nss.json
  python3 "$E2E_DIR/tools/compare_render.py" render.json hrs.json pkgs.json nss.json
}

# converged_like_render: used with wait_until.
converged_like_render() { compare_with_render >compare.out 2>&1; }

render_expected() { # FILES...
  local args=() f
  for f in "$@"; do args+=(-f "$f"); done
  "$COZYPKG" render "${args[@]}" -o json >render.json
}

apply_all_real() {
  need_fixtures
  packages_for_all >packages.yaml
  render_expected "$SOURCES" packages.yaml
  k apply --server-side -f "$SOURCES" >/dev/null
  k apply --server-side -f packages.yaml >/dev/null
}

test_ctl_real_sources_match_render() {
  start_server -q
  apply_all_real
  wait_until 60 converged_like_render || { cat compare.out >&2; return 1; }
  compare_with_render | tail -1 | grep -q '113 HelmReleases, 99 Packages compared, 0 problems'
}
t "controllers: 99 real sources, a Package each: the API equals cozypkg render" test_ctl_real_sources_match_render

test_ctl_cascade_then_converge() {
  start_server -q
  need_fixtures
  packages_for_all | python3 -c '
import sys
docs = sys.stdin.read().split("---\n")
print("---\n".join(d for d in docs if "name: cozystack.networking\n" not in d))' >partial.yaml
  k apply --server-side -f "$SOURCES" >/dev/null
  k apply --server-side -f partial.yaml >/dev/null
  render_expected "$SOURCES" partial.yaml
  wait_until 60 converged_like_render || { cat compare.out >&2; return 1; }
  equals "$(ready cozystack.cert-manager)" False/DependenciesNotReady
  equals "$(k get package cozystack.cert-manager -o jsonpath='{.status.conditions[0].message}')" \
    "One or more dependencies are not ready"
  [[ $(hr_count) -lt 113 ]] || fail "expected fewer HelmReleases without networking"
  # Adding the missing dependency converges everything, no restart.
  packages_for_all >packages.yaml
  render_expected "$SOURCES" packages.yaml
  k apply --server-side -f packages.yaml >/dev/null
  wait_until 60 converged_like_render || { cat compare.out >&2; return 1; }
  hr_count_is 113
}
t "controllers: DependenciesNotReady cascade, then the missing Package converges all" test_ctl_cascade_then_converge

start_mini() { # PACKAGE-SPECS...
  start_server -q "$@"
  mini_sources | k apply -f - >/dev/null
  { mini_package t.base; echo ---; mini_package t.mid; echo ---; mini_package t.top; } |
    k apply -f - >/dev/null
  wait_until 30 is_ready t.top True/ReconciliationSucceeded
}

test_ctl_variant_switch_and_disable() {
  start_mini
  hr_exists t-base base
  equals "$(k get ns t-base -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" privileged
  equals "$(hr_field t-mid mid '{.spec.dependsOn}')" '[{"name":"base","namespace":"t-base"}]'
  # Variant switch: the old HelmRelease goes, the new one comes, the
  # dependents follow, the namespace stays but is no longer privileged.
  k patch package t.base --type=merge -p '{"spec":{"variant":"alt"}}' >/dev/null
  wait_until 20 hr_gone t-base base
  hr_exists t-base base-alt
  wait_until 20 hr_field_is t-mid mid '{.spec.dependsOn}' '[{"name":"base-alt","namespace":"t-base"}]'
  k get ns t-base >/dev/null
  wait_until 20 eval '[[ -z $(k get ns t-base -o jsonpath="{.metadata.labels.pod-security\.kubernetes\.io/enforce}") ]]'
  equals "$(k get ns t-base -o jsonpath='{.metadata.labels.cozystack\.io/system}')" true
  equals "$(k get ns tenant-top -o jsonpath='{.metadata.labels.cozystack\.io/system}')" ""
  # enabled: false removes that component's HelmRelease only.
  k patch package t.mid --type=merge -p '{"spec":{"components":{"extra":{"enabled":false}}}}' >/dev/null
  wait_until 20 hr_gone t-mid extra
  hr_exists t-mid mid
  equals "$(k get package t.mid -o jsonpath='{.status.conditions[0].message}')" \
    "reconciliation succeeded, generated 1 helmrelease(s)"
}
t "controllers: variant switch cleans orphans, enabled:false, privileged label follows" test_ctl_variant_switch_and_disable

test_ctl_values_and_suspend() {
  start_mini
  k patch package t.top --type=merge -p '{"spec":{"components":{"top":{"values":{"replicas":3}}}}}' >/dev/null
  wait_until 20 hr_field_is tenant-top top '{.spec.values.replicas}' 3
  # A manual suspend survives later reconciles; labels added by hand stay.
  k patch helmrelease -n tenant-top top --type=merge -p '{"spec":{"suspend":true},"metadata":{"labels":{"mine":"yes"}}}' >/dev/null
  k patch package t.top --type=merge -p '{"spec":{"components":{"top":{"values":{"replicas":4}}}}}' >/dev/null
  wait_until 20 hr_field_is tenant-top top '{.spec.values.replicas}' 4
  equals "$(hr_field tenant-top top '{.spec.suspend}')" true
  equals "$(hr_field tenant-top top '{.metadata.labels.mine}')" yes
  # Drift in the spec is undone.
  k patch helmrelease -n tenant-top top --type=merge -p '{"spec":{"interval":"1h"}}' >/dev/null
  wait_until 20 hr_field_is tenant-top top '{.spec.interval}' 5m0s
}
t "controllers: values reach spec.values, manual suspend and extra labels are kept" test_ctl_values_and_suspend

test_ctl_ignore_dependencies() {
  start_server -q
  mini_sources | k apply -f - >/dev/null
  mini_package t.top '  ignoreDependencies: [t.mid]' | k apply -f - >/dev/null
  wait_until 20 is_ready t.top True/ReconciliationSucceeded
  equals "$(hr_field tenant-top top '{.spec.dependsOn}')" ""
  mini_package t.mid | k apply -f - >/dev/null
  wait_until 20 is_ready t.mid False/DependenciesNotReady
  equals "$(k get package t.mid -o jsonpath='{.status.dependencies}')" '{"t.base":{"ready":false}}'
}
t "controllers: ignoreDependencies opens the gate; status.dependencies lists the rest" test_ctl_ignore_dependencies

test_ctl_delete_package_gc() {
  start_mini
  k delete package t.mid >/dev/null
  wait_until 20 hr_gone t-mid mid
  wait_until 20 hr_gone t-mid extra
  k get ns t-mid >/dev/null
  wait_until 20 is_ready t.top False/DependenciesNotReady
  hr_exists tenant-top top
  # A deleted PackageSource: PackageSourceNotFound, HelmReleases kept.
  k delete packagesource t.top >/dev/null
  wait_until 20 is_ready t.top False/PackageSourceNotFound
  equals "$(k get package t.top -o jsonpath='{.status.conditions[0].message}')" "PackageSource t.top not found"
  hr_exists tenant-top top
}
t "controllers: Package deletion removes its HelmReleases, never namespaces" test_ctl_delete_package_gc

test_ctl_invalid_source_fixed() {
  start_server -q
  mini_sources | k apply -f - >/dev/null
  mini_package t.base '  variant: blue' | k apply -f - >/dev/null
  wait_until 20 is_ready t.base False/VariantNotFound
  equals "$(k get package t.base -o jsonpath='{.status.conditions[0].message}')" \
    "Variant blue not found in PackageSource t.base"
  k patch packagesource t.base --type=json \
    -p '[{"op":"add","path":"/spec/variants/-","value":{"name":"blue","components":[{"name":"b","path":"b","install":{"namespace":"t-blue"}}]}}]' >/dev/null
  wait_until 20 is_ready t.base True/ReconciliationSucceeded
  hr_exists t-blue b
  equals "$(k get packagesource t.base -o jsonpath='{.status.variants}')" default,alt,blue
}
t "controllers: a missing variant, then the PackageSource fixed, converges" test_ctl_invalid_source_fixed

# requests: the server's request count so far.
requests() {
  api GET /metrics | awk '/^cozypkgd_requests_total/ {s += $NF} END {print s + 0}'
}

test_ctl_cycle_bounded() {
  start_server -q
  cat <<'EOF' | k apply -f - >/dev/null
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: c.a}
spec:
  variants:
  - name: default
    dependsOn: [c.b]
    components: [{name: a, path: a, install: {namespace: c-a}}]
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: c.b}
spec:
  variants:
  - name: default
    dependsOn: [c.a]
    components: [{name: b, path: b, install: {namespace: c-b}}]
---
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: c.a}
---
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: c.b}
EOF
  wait_until 20 is_ready c.a False/DependenciesNotReady
  wait_until 20 eval '[[ $(k get package c.a -o jsonpath="{.status.conditions[0].message}") == *"dependency cycle: c.a -> c.b -> c.a"* ]]'
  sleep 1
  local before after
  before=$(requests)
  sleep 3
  after=$(requests)
  # Only this test's two metric reads, at most a few more.
  (( after - before <= 6 )) || fail "request count grew by $((after - before)) in 3 s"
  hr_count_is 0
}
t "controllers: a dependency cycle is named in status, with no request storm" test_ctl_cycle_bounded

# A fan-in: w.top depends on w.a and on eight w.bN, which depend on w.a;
# w.a depends on w.root, created last.
fanin_source() { # NAME COMPONENT PATH NAMESPACE [DEPENDS-ON]
  printf -- '---\napiVersion: cozystack.io/v1alpha1\nkind: PackageSource\nmetadata: {name: %s}\nspec:\n  variants:\n  - name: default\n' "$1"
  [[ -z ${5:-} ]] || printf '    dependsOn: [%s]\n' "$5"
  printf '    components: [{name: %s, path: %s, install: {namespace: %s}}]\n' "$2" "$3" "$4"
}

fanin_catalog() {
  local i deps="w.a"
  fanin_source w.root root root w-root
  fanin_source w.a a a w-a w.root
  for i in 1 2 3 4 5 6 7 8; do
    fanin_source "w.b$i" "b$i" b w-b w.a
    deps+=", w.b$i"
  done
  fanin_source w.top top top w-top "$deps"
}

test_ctl_settles_before_status() {
  start_server -q
  fanin_catalog | k apply -f - >/dev/null
  local p
  for p in w.a w.b1 w.b2 w.b3 w.b4 w.b5 w.b6 w.b7 w.b8 w.top; do
    echo ---; mini_package "$p"
  done | k apply -f - >/dev/null
  wait_until 20 is_ready w.top False/DependenciesNotReady
  wait_until 20 is_ready w.b8 False/DependenciesNotReady
  k get packages --watch-only -o jsonpath='{.metadata.name} {.status.conditions[0].reason}{"\n"}' >events.txt &
  local watcher=$!
  sleep 1
  mini_package w.root | k apply -f - >/dev/null
  wait_until 20 is_ready w.top True/ReconciliationSucceeded
  sleep 1
  kill "$watcher"; wait "$watcher" 2>/dev/null || true
  # Each dependent flips once: no DependenciesNotReady rewritten while
  # w.a's dependents were still to be reconciled.
  equals "$(grep -c '^w.top ' events.txt)" 1
  equals "$(grep '^w.top ' events.txt)" "w.top ReconciliationSucceeded"
  equals "$(grep -c '^w.b' events.txt)" 8
  equals "$(grep -c 'DependenciesNotReady' events.txt)" 0
}
t "controllers: a Package waits for its dependencies' pending reconciles and writes its status once" test_ctl_settles_before_status

test_ctl_healthy_readiness() {
  start_server -q --package-ready=healthy
  mini_sources | k apply -f - >/dev/null
  { mini_package t.base; echo ---; mini_package t.mid; } | k apply -f - >/dev/null
  wait_until 20 hr_exists t-base base
  wait_until 20 is_ready t.base False/HelmReleasesNotReady
  equals "$(k get package t.base -o jsonpath='{.status.conditions[0].message}')" \
    "Waiting for HelmRelease(s) to become Ready: t-base/base"
  equals "$(ready t.mid)" False/DependenciesNotReady
  hr_gone t-mid mid
  # Flux reports the release Ready for the current generation.
  local gen
  gen=$(hr_field t-base base '{.metadata.generation}')
  k patch helmrelease -n t-base base --subresource=status --type=merge \
    -p "{\"status\":{\"observedGeneration\":$gen,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"InstallSucceeded\",\"message\":\"ok\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}" >/dev/null
  wait_until 20 is_ready t.base True/ReconciliationSucceeded
  wait_until 20 hr_exists t-mid mid
  # A new generation that Flux has not seen makes it wait again.
  k patch package t.base --type=merge -p '{"spec":{"components":{"base":{"values":{"x":1}}}}}' >/dev/null
  wait_until 20 is_ready t.base False/HelmReleasesNotReady
}
t "controllers: --package-ready=healthy waits for HelmReleases Ready at their generation" test_ctl_healthy_readiness

# helm_secret NS RELEASE VERSION: a Helm release record.
helm_secret() {
  k create -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: sh.helm.release.v1.$2.v$3
  namespace: $1
  labels: {name: "$2", owner: helm}
type: helm.sh/release.v1
data: {release: eA==}
EOF
}

no_deployed() { # NS NAME
  k patch helmrelease -n "$1" "$2" --subresource=status --type=merge \
    -p '{"status":{"conditions":[{"type":"Ready","status":"False","reason":"UpgradeFailed","message":"Helm upgrade failed: \"x\" has no deployed releases","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' >/dev/null
}

secret_gone() { ! k get secret -n "$1" "$2" >/dev/null 2>&1; }

test_ctl_plunger_recovers() {
  start_mini
  helm_secret t-mid mid 1
  helm_secret t-mid mid 2
  no_deployed t-mid mid
  wait_until 20 secret_gone t-mid sh.helm.release.v1.mid.v2
  k get secret -n t-mid sh.helm.release.v1.mid.v1 >/dev/null
  wait_until 20 hr_field_is t-mid mid '{.metadata.annotations.flux-plunger\.cozystack\.io/last-processed-version}' 2
  wait_until 20 hr_field_is t-mid mid '{.spec.suspend}' false
  # The same incident is not processed twice.
  sleep 1
  k get secret -n t-mid sh.helm.release.v1.mid.v1 >/dev/null
}
t "controllers: auto-recovery deletes the newest release Secret and resumes" test_ctl_plunger_recovers

test_ctl_plunger_crash_points() {
  start_mini
  # Crashed after the delete, before the resume: annotation = latest + 1.
  helm_secret t-mid mid 1
  k patch helmrelease -n t-mid mid --type=merge \
    -p '{"metadata":{"annotations":{"flux-plunger.cozystack.io/last-processed-version":"2"}},"spec":{"suspend":true}}' >/dev/null
  wait_until 20 hr_field_is t-mid mid '{.spec.suspend}' false
  k get secret -n t-mid sh.helm.release.v1.mid.v1 >/dev/null
  # Crashed after suspending, before the delete: annotation = latest.
  helm_secret t-mid extra 1
  helm_secret t-mid extra 2
  no_deployed t-mid extra
  k patch helmrelease -n t-mid extra --type=merge \
    -p '{"metadata":{"annotations":{"flux-plunger.cozystack.io/last-processed-version":"2"}},"spec":{"suspend":true}}' >/dev/null
  wait_until 20 secret_gone t-mid sh.helm.release.v1.extra.v2
  wait_until 20 hr_field_is t-mid extra '{.spec.suspend}' false
  # Suspended by someone else: left alone.
  helm_secret t-base base 1
  k patch helmrelease -n t-base base --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
  no_deployed t-base base
  sleep 2
  equals "$(hr_field t-base base '{.spec.suspend}')" true
  k get secret -n t-base sh.helm.release.v1.base.v1 >/dev/null
  grep -q 'suspended by external process' .srv/log
}
t "controllers: auto-recovery resumes after a crash at either point, leaves others alone" test_ctl_plunger_crash_points

copy_of() { k get secret -n "$1" cozystack-values -o jsonpath='{.data.values\.yaml}'; }
copy_is() { [[ $(copy_of "$1" 2>/dev/null) == "$2" ]]; }
no_copy() { ! k get secret -n "$1" cozystack-values >/dev/null 2>&1; }

test_ctl_values_replication() {
  start_server -q
  k create namespace cozy-system >/dev/null
  k create namespace sys-a >/dev/null
  k label namespace sys-a cozystack.io/system=true >/dev/null
  k create namespace plain-b >/dev/null
  k create secret generic cozystack-values -n cozy-system --from-literal=values.yaml='_cluster: {a: 1}' >/dev/null
  local v1 v2
  v1=$(printf '_cluster: {a: 1}' | base64)
  v2=$(printf '_cluster: {a: 2}' | base64)
  wait_until 20 copy_is sys-a "$v1"
  no_copy plain-b
  # Kept in sync, and manual edits are reverted.
  k create secret generic cozystack-values -n cozy-system --from-literal=values.yaml='_cluster: {a: 2}' --dry-run=client -o yaml | k apply -f - >/dev/null 2>&1
  wait_until 20 copy_is sys-a "$v2"
  k patch secret -n sys-a cozystack-values --type=merge -p '{"data":{"values.yaml":"eA=="}}' >/dev/null
  wait_until 20 copy_is sys-a "$v2"
  # A namespace that gains the label gets a copy; one that loses it, none.
  k label namespace plain-b cozystack.io/system=true >/dev/null
  wait_until 20 copy_is plain-b "$v2"
  k label namespace sys-a cozystack.io/system- >/dev/null
  wait_until 20 no_copy sys-a
  # The source goes: every copy goes.
  k delete secret -n cozy-system cozystack-values >/dev/null
  wait_until 20 no_copy plain-b
}
t "controllers: cozystack-values replicated, kept in sync, removed with label or source" test_ctl_values_replication

test_ctl_packagesource_status() {
  start_server -q
  mini_sources | k apply -f - >/dev/null
  wait_until 20 eval '[[ $(k get packagesource t.base -o jsonpath="{.status.conditions[0].reason}") == SourceNotFound ]]'
  equals "$(k get packagesource t.base -o jsonpath='{.status.variants}')" default,alt
  k create namespace cozy-system >/dev/null
  k apply -f - >/dev/null <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: pkgs, namespace: cozy-system}
spec: {url: "oci://registry.example/pkgs", interval: 5m, suspend: true}
EOF
  wait_until 20 eval '[[ $(k get packagesource t.base -o jsonpath="{.status.conditions[0].reason}") == SourceNotReady ]]'
  k patch ocirepository -n cozy-system pkgs --subresource=status --type=merge \
    -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Succeeded","message":"stored artifact for digest sha256:abc","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' >/dev/null
  wait_until 20 eval '[[ $(k get packagesource t.mid -o jsonpath="{.status.conditions[0].status}/{.status.conditions[0].reason}") == True/Succeeded ]]'
  equals "$(k get packagesource t.mid -o jsonpath='{.status.conditions[0].message}')" "stored artifact for digest sha256:abc"
}
t "controllers: PackageSource status.variants and Ready from its source object" test_ctl_packagesource_status

test_ctl_bootstrap() {
  start_server -q --platform-source-url oci://ghcr.io/cozystack/cozystack/cozystack-packages \
    --platform-source-ref digest=sha256:0123abcd
  wait_until 20 k get packagesource cozystack.cozystack-platform
  equals "$(k get packagesource cozystack.cozystack-platform -o jsonpath='{.status.variants}')" \
    default,isp-full,isp-hosted,isp-full-generic
  equals "$(k get ocirepository -n cozy-system cozystack-platform -o jsonpath='{.spec.ref.digest}')" sha256:0123abcd
  equals "$(k get packagesource cozystack.cozystack-platform -o jsonpath='{.spec.variants[1].components[0].valuesFiles}')" \
    '["values.yaml","values-isp-full.yaml"]'
  # Bad flags are refused before anything starts.
  expect_exit 1 "$BUILD/cozypkgd" --data d2 --listen 127.0.0.1:0 --platform-source-url ftp://x
  contains err "unsupported source URL scheme"
  expect_exit 1 "$BUILD/cozypkgd" --data d3 --listen 127.0.0.1:0 --platform-source-url oci://x --platform-source-ref colour=red
  contains err 'invalid OCI reference key "colour"'
  expect_exit 2 "$BUILD/cozypkgd" --data d4 --package-ready=sometimes
  contains err "expected applied or healthy"
}
t "controllers: bootstrap of the platform source; bad flags refused" test_ctl_bootstrap

test_ctl_operator_mode() {
  start_server -q --controllers=none
  apply_all_real
  sleep 1
  hr_count_is 0
  start_operator op1 --kubeconfig "$KUBECONFIG" -q
  wait_until 60 converged_like_render || { cat compare.out op1.log >&2; return 1; }
}
t "controllers: operator mode against a --controllers=none server equals in-process" test_ctl_operator_mode

dump_converged() { # OUT
  k get packages -o json >d-pkgs.json
  k get helmreleases -A -o json >d-hrs.json
  k get namespaces -o json >d-nss.json
  k get secrets -A -o json >d-secrets.json
  python3 "$E2E_DIR/tools/normalize_objects.py" d-pkgs.json d-hrs.json \
    d-nss.json d-secrets.json >"$1"
}

# The in-process client and libcurl over HTTPS must give the same
# cluster, byte for byte once server-assigned fields are set aside.
test_ctl_inprocess_equals_operator() {
  start_server -q
  apply_all_real
  wait_until 60 converged_like_render || { cat compare.out >&2; return 1; }
  dump_converged inprocess.txt
  stop_server
  DATA=$PWD/data2 start_server -q --controllers=none
  apply_all_real
  start_operator op1 --kubeconfig "$KUBECONFIG" -q
  wait_until 60 converged_like_render || { cat compare.out op1.log >&2; return 1; }
  dump_converged operator.txt
  [[ $(grep -c '^{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease"' inprocess.txt) -eq 113 ]] ||
    fail "expected 113 HelmReleases"
  [[ $(grep -c '^{"apiVersion": "cozystack.io/v1alpha1", "kind": "Package"' inprocess.txt) -eq 99 ]] ||
    fail "expected 99 Packages"
  diff inprocess.txt operator.txt >&2
}
t "controllers: in-process and operator mode converge to identical objects" test_ctl_inprocess_equals_operator

lease_holder() {
  k get lease -n cozy-system cozystack-operator.cozystack.io -o jsonpath='{.spec.holderIdentity}'
}
holder_is() { [[ $(lease_holder 2>/dev/null) == "$1" ]]; }

test_ctl_two_replicas() {
  start_server -q --controllers=none
  k create namespace cozy-system >/dev/null
  start_operator op1 --kubeconfig "$KUBECONFIG" --leader-elect --lease-seconds 3 --identity one
  local p1=$LAST_OP
  wait_until 20 holder_is one
  start_operator op2 --kubeconfig "$KUBECONFIG" --leader-elect --lease-seconds 3 --identity two
  local p2=$LAST_OP
  mini_sources | k apply -f - >/dev/null
  mini_package t.base | k apply -f - >/dev/null
  wait_until 20 is_ready t.base True/ReconciliationSucceeded
  grep -q 'started leading' op1.log
  ! grep -q 'started leading' op2.log || fail "both replicas lead"
  # The leader dies without releasing: the other takes over in a lease.
  kill -9 "$p1"; wait "$p1" 2>/dev/null || true; forget_operator "$p1"
  local start=$SECONDS
  wait_until 10 holder_is two
  (( SECONDS - start <= 6 )) || fail "takeover took $((SECONDS - start)) s"
  mini_package t.mid | k apply -f - >/dev/null
  wait_until 20 is_ready t.mid True/ReconciliationSucceeded
  grep -q 'started leading' op2.log
}
t "controllers: two replicas, one leader; kill -9 it and the other takes over" test_ctl_two_replicas

test_ctl_restart_mid_reconcile() {
  start_server -q
  apply_all_real
  sleep 0.3
  kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  start_server -q
  wait_until 60 converged_like_render || { cat compare.out >&2; return 1; }
  # No duplicates: every HelmRelease name appears once per namespace.
  [[ $(k get helmreleases -A -o name | sort | uniq -d | wc -l) -eq 0 ]]
}
t "controllers: kill -9 in the middle of reconciling, restart, same result" test_ctl_restart_mid_reconcile

test_ctl_make_run() {
  RUN_ONCE=1 RUN_DATA="$PWD/rundata" expect_exit 0 "$ROOT/scripts/run-example.sh" "$BUILD"
  for p in example.certs example.crds example.networking example.webapp; do
    grep -qE "^$p +[a-z]* *True +reconciliation succeeded" out || { cat out >&2; fail "$p not Ready"; }
  done
  contains out "tenant-demo     webapp"
  contains out "export KUBECONFIG=$PWD/rundata/kubeconfig"
  # The script stops its server.
  ! pgrep -f "cozypkgd --data $PWD/rundata" >/dev/null || fail "cozypkgd still running"
}
t "make run: the example platform applied, Packages Ready, server stopped" test_ctl_make_run
