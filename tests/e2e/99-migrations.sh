# Native platform upgrades (--platform-upgrades=native): migrations from
# the pushed platform artifact run before the secondary source moves.

MIG_NS=cozy-system

# mig_tree DIR TARGET: a platform chart whose migrations go up to TARGET,
# off in the base values and on in the isp-full variant, as the real one.
mig_tree() {
  local d=$1/packages/core/platform
  mkdir -p "$d/images/migrations/migrations" "$d/templates"
  printf 'apiVersion: v2\nname: platform\nversion: 1.0.0\n' >"$d/Chart.yaml"
  cat >"$d/values.yaml" <<Y
migrations:
  enabled: false
  image: registry.example/platform-migrations:v1@sha256:$(printf '%064d' 1)
  targetVersion: $2
  etcdAdoptSkipBackup: false
Y
  printf 'migrations:\n  enabled: true\n' >"$d/values-isp-full.yaml"
  # One PackageSource of the platform, which reads the secondary.
  mkdir -p "$d/sources" "$1/packages/apps/demo"
  printf 'apiVersion: v2\nname: demo\nversion: 1.0.0\n' >"$1/packages/apps/demo/Chart.yaml"
  cat >"$d/sources/demo.yaml" <<Y
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: cozystack.demo}
spec:
  sourceRef: {kind: OCIRepository, name: cozystack-packages, namespace: cozy-system, path: /}
  variants:
  - name: default
    components:
    - {name: demo, path: apps/demo}
Y
}

# mig_script DIR N [BODY]: script N, which logs "N CURRENT_VERSION" to
# ./runs, runs BODY, and stamps N+1 as scripts 1-41 of the real tree do.
mig_script() {
  local f=$1/packages/core/platform/images/migrations/migrations/$2
  cat >"$f" <<S
#!/bin/sh
set -e
echo "$2 \$CURRENT_VERSION" >>"$PWD/runs"
${3:-}
kubectl create configmap cozystack-version -n "\$NAMESPACE" --from-literal=version=$(($2 + 1)) --dry-run=client -o yaml | kubectl apply -f - >/dev/null
S
  chmod +x "$f"
}

mig_push() {
  "$COZYPKG" push --insecure --skip-validate --path "$2" --source s --revision r \
    "oci://$REG/acme/platform:$1" >/dev/null 2>&1
  skopeo inspect --tls-verify=false --raw "docker://$REG/acme/platform:$1" >/dev/null
}

# The manifest digest of TAG, which pins it.
mig_layer() {
  skopeo inspect --tls-verify=false --raw "docker://$REG/acme/platform:$1" | sha256sum | awk '{print "sha256:" $1}'
}

# mig_server [TAG]: cozypkgd with the platform source at TAG (v1); the
# operator's flag is what a restart applies.
mig_server() {
  start_server --platform-upgrades=native \
    --platform-source-url "oci://$REG/acme/platform" --platform-source-ref "tag=${1:-v1}"
  wait_until 10 k get ocirepository -n $MIG_NS cozystack-platform
  k patch ocirepository -n $MIG_NS cozystack-platform --type merge -p '{"spec":{"insecure":true}}' >/dev/null
}

mig_secondary_digest() {
  k get ocirepository -n $MIG_NS cozystack-packages -o jsonpath='{.spec.ref.digest}'
}
mig_secondary_on() { [[ $(mig_secondary_digest 2>/dev/null) == "$1" ]]; }
mig_packages_ready() {
  [[ $(k get ocirepository -n $MIG_NS cozystack-packages -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
mig_version() { k get configmap -n $MIG_NS cozystack-version -o jsonpath='{.data.version}'; }
mig_version_is() { [[ $(mig_version 2>/dev/null) == "$1" ]]; }
mig_ready() {
  k get packagesource cozystack.cozystack-platform \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}'
}
mig_ready_has() { [[ $(mig_ready 2>/dev/null) == *"$1"* ]]; }
mig_settled() { [[ $(mig_ready 2>/dev/null) != Migration* ]]; }

mig_install_platform() {
  k apply -f - >/dev/null <<Y
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: cozystack.cozystack-platform}
spec: {variant: ${1:-isp-full}}
Y
}

mig_move() {
  k patch ocirepository -n $MIG_NS cozystack-platform --type merge \
    -p "{\"spec\":{\"ref\":{\"tag\":\"$1\"}}}" >/dev/null
}

# mig_installed_v1: v1 (no migrations) followed, the platform Package on
# isp-full (migrations enabled), and ./v2 a copy of v1 to change.
mig_installed_v1() {
  start_registry plain
  mig_tree v1 1
  mig_push v1 v1
  mig_server
  wait_until 20 mig_secondary_on "$(mig_layer v1)"
  mig_install_platform isp-full
  cp -r v1 v2
}

mig_count() { grep -c "^$1 " runs 2>/dev/null || true; }

test_migrations_in_order() {
  start_registry plain
  mig_tree v1 1
  mig_push v1 v1
  SECRET_SENTINEL=do-not-pass mig_server v1
  # A first install: the version is stamped with the target, nothing runs.
  wait_until 20 mig_secondary_on "$(mig_layer v1)"
  equals "$(mig_version)" 1
  equals "$(k get configmap -n $MIG_NS cozystack-version -o jsonpath='{.metadata.labels.platform\.cozystack\.io/no-delete}')" true
  [[ ! -e runs ]]
  # The secondary is the primary's spec pinned to the migrated digest.
  equals "$(k get ocirepository -n $MIG_NS cozystack-packages -o jsonpath='{.spec.url} {.spec.ref.tag} {.spec.insecure}')" \
    "oci://$REG/acme/platform v1 true"
  wait_until 20 mig_packages_ready
  mig_install_platform isp-full
  cp -r v1 v2
  mig_tree v2 5
  for n in 1 2 3 4; do mig_script v2 $n; done
  # Script 1 also shows its environment and keeps its kubeconfig.
  mig_script v2 1 "env | sort >\"$PWD/env1\"; cp \"\$KUBECONFIG\" \"$PWD/kc1\""
  mig_push v2 v2
  # The plan of the primary compares with what its follower feeds, and
  # lists the migrations.
  k apply --server-side -f v1/packages/core/platform/sources >/dev/null
  expect_exit 0 "$COZYPKG" upgrade plan cozystack-platform --to v2
  contains out 'PackageSources: none'
  contains out 'Migrations (cozystack.cozystack-platform, target 5): run 1, 2, 3, 4'
  expect_exit 0 "$COZYPKG" upgrade plan cozystack-platform --to v2 -o json
  equals "$(jq -c '.migrations | [.current, .target, .run]' out)" '[1,5,[1,2,3,4]]'
  [[ ! -e runs ]]
  mig_move v2
  wait_until 60 mig_secondary_on "$(mig_layer v2)"
  wait_until 20 mig_packages_ready
  equals "$(cat runs | tr '\n' ,)" "1 1,2 2,3 3,4 4,"
  equals "$(mig_version)" 5
  grep -q '^NAMESPACE=cozy-system$' env1
  grep -q '^TARGET_VERSION=5$' env1
  grep -q '^CURRENT_VERSION=1$' env1
  if grep -q SECRET_SENTINEL env1; then fail "the server's environment leaked"; fi
  # The scripts ran as the migrations identity, whose token is revoked.
  grep -q 'user=system:cozypkg-migrations' .srv/log
  expect_exit 1 kubectl --kubeconfig kc1 get namespaces
  contains err 'Unauthorized'
  wait_until 10 mig_settled
  # The same revision again: nothing runs twice.
  k annotate ocirepository -n $MIG_NS cozystack-platform reconcile.fluxcd.io/requestedAt=now --overwrite >/dev/null
  sleep 2
  equals "$(wc -l <runs)" 4
}
t "migrations: a new platform revision runs its scripts in order, once, then moves cozystack-packages" test_migrations_in_order

test_migrations_failure() {
  mig_installed_v1
  mig_tree v2 4
  mig_script v2 1
  mig_script v2 2
  mig_script v2 3 'echo "boom in 3" >&2; exit 3'
  mig_push v2 v2
  mig_move v2
  wait_until 60 mig_ready_has 'attempt 4 of 4'
  mig_ready_has 'MigrationFailed: migration 3 failed (exit 3): boom in 3'
  equals "$(mig_count 3)" 4
  equals "$(mig_count 1),$(mig_count 2)" 1,1
  equals "$(mig_version)" 3
  mig_secondary_on "$(mig_layer v1)"
  # Fixed and pushed again: it resumes at 3.
  cp -r v2 v3
  mig_script v3 3
  mig_push v3 v3
  mig_move v3
  wait_until 30 mig_secondary_on "$(mig_layer v3)"
  equals "$(mig_count 3),$(mig_count 1),$(mig_count 2)" 5,1,1
  equals "$(mig_version)" 4
  wait_until 10 mig_settled
  # A missing script refuses to advance.
  cp -r v3 v4
  mig_tree v4 6
  mig_script v4 5
  mig_push v4 v4
  expect_exit 1 "$COZYPKG" upgrade plan cozystack-platform --to v4
  contains out 'Migrations (cozystack.cozystack-platform, target 6): 4 missing; a script is missing'
  mig_move v4
  wait_until 30 mig_ready_has 'migration 4 not found: refusing to advance past a missing migration'
  equals "$(mig_count 5)" 0
  equals "$(mig_version)" 4
  mig_secondary_on "$(mig_layer v3)"
  # Bad input names the field: a target that is no number, a version
  # record that is none.
  cp -r v4 v5
  sed -i 's/targetVersion: 6/targetVersion: six/' v5/packages/core/platform/values.yaml
  mig_push v5 v5
  mig_move v5
  wait_until 30 mig_ready_has 'migrations.targetVersion: must be a non-negative integer'
  k create configmap cozystack-version -n $MIG_NS --from-literal=version=abc --dry-run=client -o yaml | k apply -f - >/dev/null 2>&1
  mig_move v4
  wait_until 30 mig_ready_has 'data.version: "abc" is not a version'
  mig_secondary_on "$(mig_layer v3)"
  kill -0 "$SERVER_PID"
}
t "migrations: a failure stops and is retried 3 times, cozystack-packages stays; a fix resumes; a missing script refuses" test_migrations_failure

test_migrations_crash() {
  mig_installed_v1
  mig_tree v2 3
  mig_script v2 1
  mig_script v2 2 "if [ ! -e \"$PWD/mark\" ]; then touch \"$PWD/mark\"; sleep 60; fi"
  mig_push v2 v2
  mig_move v2
  wait_until 30 test -e mark
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  # The script died with the server: it never stamped.
  wait_until 5 mig_not_running
  mig_server v2
  wait_until 60 mig_secondary_on "$(mig_layer v2)"
  equals "$(cat runs | tr '\n' ,)" "1 1,2 2,2 2,"
  equals "$(mig_version)" 3
}
mig_not_running() { ! pgrep -f "cozypkg-migrations-.*/2" >/dev/null; }
t "migrations: kill -9 during a script, restart: it runs again, nothing before it twice" test_migrations_crash

test_migrations_operator_job() {
  start_server --controllers none
  mig_tree v1 3
  # Enabled in the base values: the platform Package is on its default variant.
  sed -i 's/enabled: false/enabled: true/' v1/packages/core/platform/values.yaml
  tar -C v1/packages -czf artifact.tar.gz .
  local port digest
  port=$(free_port)
  python3 -m http.server "$port" --bind 127.0.0.1 >http.log 2>&1 &
  OCI_PIDS+=($!)
  wait_port "$port"
  digest=sha256:$(sha256sum artifact.tar.gz | cut -d' ' -f1)
  start_operator op --kubeconfig "$KUBECONFIG" --platform-upgrades=native \
    --migrations-executor=job --platform-source-url oci://registry.example/platform \
    --platform-source-ref tag=v1
  wait_until 20 k get ocirepository -n $MIG_NS cozystack-platform
  k create configmap cozystack-version -n $MIG_NS --from-literal=version=1 >/dev/null
  mig_install_platform default
  # Flux's source-controller would store the artifact and say so.
  k patch ocirepository -n $MIG_NS cozystack-platform --subresource=status --type merge -p "{\"status\":{\"artifact\":{\"url\":\"http://127.0.0.1:$port/artifact.tar.gz\",\"digest\":\"$digest\",\"revision\":\"v1@$digest\",\"path\":\"x\",\"lastUpdateTime\":\"2026-12-04T00:00:00Z\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Succeeded\",\"message\":\"stored\",\"lastTransitionTime\":\"2026-12-04T00:00:00Z\"}]}}" >/dev/null
  wait_until 30 k get job -n $MIG_NS cozystack-migration-hook
  k get job -n $MIG_NS cozystack-migration-hook -o json >job.json
  equals "$(jq -r '.spec.template.spec.containers[0].image' job.json)" "registry.example/platform-migrations:v1@sha256:$(printf '%064d' 1)"
  equals "$(jq -r '[.spec.template.spec.containers[0].env[] | .name + "=" + .value] | join(",")' job.json)" \
    "NAMESPACE=cozy-system,CURRENT_VERSION=1,TARGET_VERSION=3,ETCD_ADOPT_SKIP_BACKUP=0"
  equals "$(jq -r '[.spec.backoffLimit, .spec.template.spec.restartPolicy, .spec.template.spec.serviceAccountName] | join(",")' job.json)" \
    "3,Never,cozystack-migration-hook"
  wait_until 10 mig_ready_has 'MigrationsRunning'
  if k get ocirepository -n $MIG_NS cozystack-packages 2>/dev/null; then fail "moved before the Job"; fi
  # The Job's pod stamps the version and the Job succeeds.
  k create configmap cozystack-version -n $MIG_NS --from-literal=version=3 --dry-run=client -o yaml | k apply -f - >/dev/null 2>&1
  k patch job -n $MIG_NS cozystack-migration-hook --subresource=status --type merge -p '{"status":{"succeeded":1}}' >/dev/null
  wait_until 20 mig_secondary_on "$digest"
  # History in operator mode: the platform Package and the source's revision.
  wait_until 10 k get controllerrevision -n $MIG_NS ocirepository.cozystack-platform.1
  equals "$(k get controllerrevision -n $MIG_NS ocirepository.cozystack-platform.1 -o jsonpath='{.metadata.ownerReferences[0].kind} {.revision}')" "OCIRepository 1"
  wait_until 10 k get controllerrevision -n $MIG_NS package.cozystack.cozystack-platform.1
  stop_operators
}
t "migrations in operator mode: the hook's Job against a second cozypkgd, then the secondary; ControllerRevisions there too" test_migrations_operator_job
