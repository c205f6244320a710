# cozypkg upgrade plan: revisions of the example platform pushed to
# Debian's docker-registry, planned against a cozypkgd that runs v1.

UPG_EX="$ROOT/examples/platform"
UPG_SRC=packages/core/platform/sources

# upg_push TAG DIR: DIR's repository to $REG/acme/platform:TAG.
upg_push() {
  "$COZYPKG" push --insecure --skip-validate --path "$2" --source s --revision r \
    "oci://$REG/acme/platform:$1" >/dev/null 2>&1
}

upg_setup() {
  start_registry plain
  start_server
  upg_push v1 "$UPG_EX"
  k create namespace cozy-system >/dev/null
  k apply -f - >/dev/null <<Y
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: example-packages, namespace: cozy-system}
spec: {url: "oci://$REG/acme/platform", ref: {tag: v1}, interval: 5m, insecure: true}
Y
  k apply --server-side -f "$UPG_EX/$UPG_SRC" >/dev/null
  k apply -f "$UPG_EX/packages.yaml" >/dev/null
}

# upg_copy DIR: a copy of the example in DIR; the tests edit its sources.
upg_copy() {
  cp -r "$UPG_EX" "$1"
}

test_plan_clean_and_unchanged() {
  upg_setup
  expect_exit 0 "$COZYPKG" upgrade plan example-packages --to v1
  contains out 'PackageSources: none'
  contains out 'Installed Packages that would break: none'
  contains out 'HelmReleases: none'
  expect_exit 2 "$COZYPKG" upgrade plan example-packages
  contains err '--to TAG|DIGEST is required'
  expect_exit 2 "$COZYPKG" upgrade example-packages --to v1
  expect_exit 1 "$COZYPKG" upgrade plan no-such-source --to v1
  contains err 'no OCIRepository or GitRepository cozy-system/no-such-source'
  expect_exit 1 "$COZYPKG" upgrade plan example-packages --to v9
  contains err 'v9'
}
t "upgrade plan: the same revision is a clean plan (exit 0); bad input" test_plan_clean_and_unchanged

test_plan_breaks() {
  upg_setup
  # v2: networking loses the cni variant that example.networking uses.
  upg_copy v2
  sed -i '/^  - name: cni$/,$d' "v2/$UPG_SRC/networking.yaml"
  upg_push v2 v2
  k get packages -o yaml >before.yaml
  expect_exit 1 "$COZYPKG" upgrade plan example-packages --to v2
  contains out 'changed example.networking'
  contains out 'spec.variants[cni]: removed'
  contains out 'VariantNotFound example.networking: Variant cni not found in PackageSource example.networking'
  contains out 'DependenciesNotReady example.webapp'
  contains out 'deleted example-cni/cni'
  expect_exit 1 "$COZYPKG" upgrade plan example-packages --to v2 -o json
  equals "$(jq -r '[.brokenPackages[] | .name + "=" + .reason] | join(",")' out)" \
    'example.certs=DependenciesNotReady,example.networking=VariantNotFound,example.webapp=DependenciesNotReady'
  equals "$(jq -r '.digest' out)" "$(skopeo inspect --tls-verify=false --raw docker://$REG/acme/platform:v2 | sha256sum | awk '{print "sha256:" $1}')"
  # The cluster is as it was: the source still on v1, the Packages untouched.
  equals "$(k get ocirepository -n cozy-system example-packages -o jsonpath='{.spec.ref.tag}')" v1
  k get packages -o yaml >after.yaml
  diff <(grep -v 'resourceVersion\|lastTransitionTime' before.yaml) <(grep -v 'resourceVersion\|lastTransitionTime' after.yaml) >/dev/null
}
t "upgrade plan: a removed variant an installed Package uses breaks it (exit 1); nothing changes" test_plan_breaks

test_plan_adds_and_removes() {
  upg_setup
  # v3: webapp gets a second installed component; worker is a new source.
  upg_copy v3
  printf '    - name: extra\n      path: apps/worker\n      install: {namespace: tenant-demo}\n' \
    >>"v3/$UPG_SRC/webapp.yaml"
  cat >"v3/$UPG_SRC/worker.yaml" <<'Y'
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: example.worker}
spec:
  sourceRef: {kind: OCIRepository, name: x, namespace: cozy-system, path: /}
  variants:
  - name: default
    components:
    - name: worker
      path: apps/worker
Y
  upg_push v3 v3
  expect_exit 0 "$COZYPKG" upgrade plan example-packages --to v3
  contains out 'added example.worker'
  contains out 'spec.variants[default].components[extra]: added'
  contains out 'Installed Packages that would break: none'
  contains out 'created tenant-demo/extra'
  # v4: crds is gone; what depends on it goes with it.
  upg_copy v4
  rm "v4/$UPG_SRC/crds.yaml"
  upg_push v4 v4
  expect_exit 1 "$COZYPKG" upgrade plan example-packages --to v4
  contains out 'removed example.crds'
  contains out 'PackageSourceNotFound example.crds'
  contains out 'deleted example-crds/crds'
}
t "upgrade plan: added and removed sources and components, created and deleted HelmReleases" test_plan_adds_and_removes

upg_hr_exists() {
  k get hr -n tenant-demo "$1" >/dev/null 2>&1
}

test_upgrade_wait() {
  start_registry plain
  start_server
  upg_push v1 "$UPG_EX"
  # A tapped repository: the tap controller applies each revision's
  # PackageSources, as the platform chart does for the platform.
  expect_exit 0 "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1"
  k apply -f "$UPG_EX/packages.yaml" >/dev/null
  upg_copy v3
  printf '    - name: extra\n      path: apps/worker\n      install: {namespace: tenant-demo}\n' \
    >>"v3/$UPG_SRC/webapp.yaml"
  upg_push v3 v3
  local d3
  d3=$(skopeo inspect --tls-verify=false --raw "docker://$REG/acme/platform:v3" | sha256sum | awk '{print "sha256:" $1}')
  # Without a terminal the move needs --yes; nothing changes.
  expect_exit 2 "$COZYPKG" upgrade tap-acme-platform --to v3 </dev/null
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.ref.digest}')" ""
  expect_exit 0 "$COZYPKG" upgrade tap-acme-platform --to v3 --yes --wait --timeout 90s </dev/null
  contains out 'created tenant-demo/extra'
  contains err "pinned to $d3"
  contains err "tap-acme-platform stores $d3"
  contains err "Upgraded: 4 Package(s) on $d3"
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.ref.digest} {.spec.ref.tag}')" "$d3 v1"
  wait_until 30 upg_hr_exists extra
  # The history has both revisions of the source.
  expect_exit 0 "$COZYPKG" history source/tap-acme-platform
  contains out "$d3"
}
t "upgrade --yes --wait: the source pinned to the planned digest, its Packages Ready on it" test_upgrade_wait

upg_sources_ready() {
  local s
  s=$(k get packagesources -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
  [[ -n $s ]] && ! grep -qv '^True$' <<<"$s"
}

# upg_cluster_state: what a plan must leave alone: the source's spec, the
# Packages' and PackageSources' specs, the ExternalArtifacts' digests and
# the HelmReleases' specs.
upg_cluster_state() {
  k get ocirepository -n cozy-system example-packages -o json | jq -S .spec
  k get packages -o json | jq -S '[.items[] | {n: .metadata.name, spec}]'
  k get packagesources -o json | jq -S '[.items[] | {n: .metadata.name, spec}]'
  k get externalartifacts -A -o json |
    jq -S '[.items[] | {n: .metadata.name, d: .status.artifact.digest}]'
  k get helmreleases -A -o json |
    jq -S '[.items[] | {n: (.metadata.namespace + "/" + .metadata.name), spec}]'
}

test_plan_artifacts_values() {
  upg_setup
  wait_until 60 upg_sources_ready
  # The same tree pushed again under another tag: every component
  # assembled offline is byte for byte what the controller built.
  upg_push v1-again "$UPG_EX"
  expect_exit 0 "$COZYPKG" upgrade plan example-packages --to v1-again -o json
  local total
  total=$(jq '.artifacts | length' out)
  equals "$total" "$(k get externalartifacts -n cozy-system --no-headers | wc -l)"
  equals "$total" 7
  equals "$(jq -r '[.artifacts[].status] | unique | join(",")' out)" unchanged
  equals "$(jq -r '[.artifacts[] | select(.from != .to)] | length' out)" 0
  equals "$(jq -r '.values | length' out)" 0
  equals "$(jq -r '.migrations' out)" null
  expect_exit 0 "$COZYPKG" upgrade plan example-packages --to v1-again
  contains out "Component artifacts: 0 changed, 0 added, 0 removed, $total unchanged"
  contains out 'Installed values the new charts refuse: none'
  # v5: an added component (webapp's extra), a removed variant that an
  # installed Package uses (networking's cni), a changed values file
  # (certs), a schema that rejects installed values (webapp now wants 3
  # replicas, the Package has 2); crds and worker are unchanged.
  upg_copy v5
  sed -i 's/"minimum": 1/"minimum": 3/' v5/packages/apps/webapp/values.schema.json
  printf 'extra: true\n' >>v5/packages/system/certs/values.yaml
  printf '    - name: extra\n      path: apps/worker\n      install: {namespace: tenant-demo}\n' \
    >>"v5/$UPG_SRC/webapp.yaml"
  sed -i '/^  - name: cni$/,$d' "v5/$UPG_SRC/networking.yaml"
  upg_push v5 v5
  upg_cluster_state >before.json
  expect_exit 1 "$COZYPKG" upgrade plan example-packages --to v5 -o json
  cp out plan.json
  equals "$(jq -r '[.artifacts[] | select(.status != "unchanged") | .status + " " + .source + " " + .variant + "/" + .component] | join(",")' plan.json)" \
    "changed example.certs default/certs,changed example.webapp default/webapp,added example.webapp default/extra,removed example.networking cni/cni,removed example.networking cni/cni-policy"
  equals "$(jq -r '[.artifacts[] | select(.status == "unchanged") | .name] | join(",")' plan.json)" \
    "example-certs-default-certs-crds,example-crds-default-crds,example-webapp-default-worker"
  # Digests: changed ones differ, added ones have no "from", removed ones
  # no "to", and an unchanged one is the cluster's.
  equals "$(jq -r '[.artifacts[] | select(.status == "changed") | (.from != .to and (.from | test("^sha256:[0-9a-f]{64}$")) and (.to | test("^sha256:[0-9a-f]{64}$")))] | all' plan.json)" true
  equals "$(jq -r '[.artifacts[] | select(.status == "added") | (.from == null and (.to | test("^sha256:")))] | all' plan.json)" true
  equals "$(jq -r '[.artifacts[] | select(.status == "removed") | (.to == null and (.from | test("^sha256:")))] | all' plan.json)" true
  equals "$(jq -r '.artifacts[] | select(.name == "example-crds-default-crds") | .to' plan.json)" \
    "$(k get externalartifact -n cozy-system example-crds-default-crds -o jsonpath='{.status.artifact.digest}')"
  equals "$(jq -c '.values' plan.json)" \
    '[{"package":"example.webapp","component":"webapp","errors":[{"path":"spec.components.webapp.values.replicas","message":"must be >= 3, got 2"}]}]'
  equals "$(jq -r '[.brokenPackages[] | .name + "=" + .reason] | join(",")' plan.json)" \
    'example.certs=DependenciesNotReady,example.networking=VariantNotFound,example.webapp=DependenciesNotReady'
  expect_exit 1 "$COZYPKG" upgrade plan example-packages --to v5 -o yaml
  contains out 'status: removed'
  expect_exit 1 "$COZYPKG" upgrade plan example-packages --to v5
  sed -E 's/sha256:[0-9a-f]{12,64}/sha256:X/g' out >plan.txt
  golden upgrade-plan-v5.txt plan.txt "$ROOT/tests/golden/upgrade"
  # Nothing on the cluster moved.
  upg_cluster_state >after.json
  diff before.json after.json
}
t "upgrade plan: component artifacts assembled offline (unchanged, changed, added, removed) and installed values against the new schemas; nothing changes" test_plan_artifacts_values
