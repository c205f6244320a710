# pkgserver's configuration kinds served by cozypkgd:
# config.pkg.pkgserver.dev/v1alpha1 Repository and PackageVariant, with
# pkgserver's fields, table columns and explain.  Not pkgserver's category
# "pkg": it is the Package's short name here, as in Cozystack's CRD.

test_pkg_config_kinds() {
  start_server
  k apply -f - >/dev/null <<'Y'
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: repo-catalog, namespace: default}
spec:
  type: git
  deployment: false
  git: {url: "https://example.invalid/catalog.git", ref: main, directory: packages, credentials: git-auth}
---
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: PackageVariant
metadata: {name: example, namespace: default}
spec:
  upstream: {repository: repo-catalog, realm: nf, package: example, revision: v3}
  downstream: {target: dummy, repository: repo-target, realm: nf, package: example}
  packageContext:
    readinessGates: [{conditionType: pkg.pkgserver.dev/process}]
    annotations: {policy.pkg.kform.dev/approval: initial}
  adoptionPolicy: adoptNone
  deletionPolicy: delete
Y
  k get repositories >out
  contains out 'NAME           READY   DEPLOYMENT   TYPE   ADDRESS'
  grep -q '^repo-catalog   \(True\|False\) *false        git    https://example.invalid/catalog.git$' out
  k get packagevariants >out
  contains out 'example   '
  k explain repository.spec.git >out
  contains out 'credentials'
  contains out 'Directory is the sub-directory'
  # Bad input names the field.
  expect_exit 1 k apply -f - <<'Y'
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: bad, namespace: default}
spec: {type: svn, git: {ref: main}}
Y
  contains err 'spec.type'
  contains err 'spec.git.url'
  expect_exit 1 k apply -f - <<'Y'
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: PackageVariant
metadata: {name: bad, namespace: default}
spec: {deletionPolicy: sometimes}
Y
  contains err 'spec.deletionPolicy'
}
t "pkgserver kinds: Repository and PackageVariant served with their fields, columns" test_pkg_config_kinds

REPO_GIT() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main "$@"; }

# repo_catalog: ./srv/cat.git, a catalog with nf/example v1 and v2 under
# packages/, a tag that is no revision, and ./work its clone.
repo_catalog() {
  mkdir -p srv
  REPO_GIT init -q --bare srv/cat.git
  REPO_GIT init -q work
  mkdir -p work/packages/nf/example
  echo 'apiVersion: kpt.dev/v1' >work/packages/nf/example/Kptfile
  REPO_GIT -C work add -A && REPO_GIT -C work commit -qm v1
  REPO_GIT -C work tag packages/nf/example/v1
  echo '# v2' >>work/packages/nf/example/Kptfile
  REPO_GIT -C work commit -qam v2
  REPO_GIT -C work tag -a -m v2 packages/nf/example/v2
  REPO_GIT -C work tag packages/nf/example/latest
  REPO_GIT -C work tag elsewhere/x/v9
  REPO_GIT -C work push -q "$PWD/srv/cat.git" main --tags
}

repo_status() {
  k get repository -n default "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.revisions} {.status.lastSyncedCommit}'
}
repo_status_is() { [[ $(repo_status "$1" 2>/dev/null) == "$2" ]]; }
repo_message() {
  k get repository -n default "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}'
}
repo_message_has() { [[ $(repo_message "$1" 2>/dev/null) == *"$2"* ]]; }

repo_apply() {
  k apply -f - >/dev/null <<Y
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: $1, namespace: default}
spec: {git: {url: "$2", directory: /packages/, credentials: "${3:-}"}}
Y
}

test_repository_sync() {
  repo_catalog
  start_server --repository-interval 1h
  local main
  main=$(git -C work rev-parse main)
  repo_apply catalog "file://$PWD/srv/cat.git"
  wait_until 20 repo_status_is catalog "True 2 $main"
  k get repository -n default catalog -o json >r.json
  [[ $(jq -r '.status.lastSyncTime' r.json) < $(jq -r '.status.nextSyncTime' r.json) ]] || fail "next sync not after last"
  repo_message_has catalog "synced main at ${main:0:12}, 2 revision(s)"
  # Another client tags v3 and pushes a commit: the next sync (asked for
  # now, not in an hour) sees both.
  echo '# v3' >>work/packages/nf/example/Kptfile
  REPO_GIT -C work commit -qam v3
  REPO_GIT -C work tag packages/nf/example/v3
  REPO_GIT -C work push -q "$PWD/srv/cat.git" main --tags
  main=$(git -C work rev-parse main)
  k annotate repository -n default catalog reconcile.fluxcd.io/requestedAt="$(date +%s%N)" >/dev/null
  wait_until 20 repo_status_is catalog "True 3 $main"
  # A tag removed upstream is gone at the next sync.
  REPO_GIT -C work push -q "$PWD/srv/cat.git" :refs/tags/packages/nf/example/v1
  k annotate repository -n default catalog reconcile.fluxcd.io/requestedAt="$(date +%s%N)" --overwrite >/dev/null
  wait_until 20 repo_status_is catalog "True 2 $main"
  # An unreachable remote: Ready=False with the cause; the last good
  # commit and count stay.
  mv srv/cat.git srv/moved.git
  k annotate repository -n default catalog reconcile.fluxcd.io/requestedAt="$(date +%s%N)" --overwrite >/dev/null
  wait_until 20 repo_status_is catalog "False 2 $main"
  repo_message_has catalog 'SyncFailed: '
  # A missing branch says so.
  k apply -f - >/dev/null <<Y
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: nobranch, namespace: default}
spec: {git: {url: "file://$PWD/srv/moved.git", ref: release}}
Y
  wait_until 20 repo_message_has nobranch 'SyncFailed: branch release not found'
  # OCI is pkgserver's schema, not implemented: said so.
  k apply -f - >/dev/null <<Y
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: oci, namespace: default}
spec: {type: oci, oci: {registry: example.invalid}}
Y
  wait_until 20 repo_message_has oci 'oci repositories are not implemented'
}
t "repositories: synced from ls-remote (commit, revision tags), on request, tags removed, failures keep the last good state" test_repository_sync

test_repository_credentials() {
  repo_catalog
  rm -f http.port
  python3 "$E2E_DIR/tools/git_http.py" "$PWD/srv" "$PWD/http.port" --basic 'alice:s3cr3t-pw' --log "$PWD/http.log" 2>>http.err &
  OCI_PIDS+=($!)
  local i
  for i in $(seq 1 100); do [[ -s http.port ]] && break; sleep 0.05; done
  start_server --repository-interval 1h
  k create secret generic good -n default --type kubernetes.io/basic-auth \
    --from-literal=username=alice --from-literal=password=s3cr3t-pw >/dev/null
  k create secret generic bad -n default --type kubernetes.io/basic-auth \
    --from-literal=username=alice --from-literal=password=wr0ng-pw >/dev/null
  repo_apply private "http://127.0.0.1:$(cat http.port)/cat.git" good
  wait_until 20 repo_status_is private "True 2 $(git -C work rev-parse main)"
  repo_apply refused "http://127.0.0.1:$(cat http.port)/cat.git" bad
  wait_until 20 repo_message_has refused 'SyncFailed: connecting to http://127.0.0.1'
  repo_message_has refused 'authentication failed'
  repo_apply nosecret "http://127.0.0.1:$(cat http.port)/cat.git" missing
  wait_until 20 repo_message_has nosecret 'credentials: '
  k get repositories -n default -o yaml >all.yaml
  if grep -q 'wr0ng-pw\|s3cr3t-pw' all.yaml .srv/log; then fail "a password was shown"; fi
}
t "repositories: basic-auth credentials from a Secret; a refused or missing one is one line, no secret shown" test_repository_credentials

test_repo_cli() {
  repo_catalog
  start_server --repository-interval 1h
  expect_exit 0 "$COZYPKG" repo register catalog "file://$PWD/srv/cat.git" --directory packages --wait
  contains err '✓ Repository default/catalog registered (catalog)'
  contains err '✓ Synced: synced main at'
  expect_exit 0 "$COZYPKG" repo get
  contains out 'NAME      READY   KIND      BRANCH   ADDRESS'
  grep -q "^catalog   True    catalog   main     file://$PWD/srv/cat.git   2  " out
  expect_exit 0 "$COZYPKG" repo get catalog -o json
  equals "$(jq -r '.status.revisions' out)" 2
  # A second registration of the name fails; a bad one says why.
  expect_exit 1 "$COZYPKG" repo register catalog "file://$PWD/srv/cat.git"
  contains err 'already exists'
  expect_exit 1 "$COZYPKG" repo register broken "file://$PWD/srv/none.git" --deployment --wait
  contains err '✗ SyncFailed: '
  expect_exit 0 "$COZYPKG" repo unregister broken
  expect_exit 1 "$COZYPKG" repo get broken
  expect_exit 2 "$COZYPKG" repo register onlyname
  expect_exit 2 "$COZYPKG" repo frobnicate
  contains err 'unknown subcommand "frobnicate"'
  expect_exit 2 "$COZYPKG" repo get -o xml
  expect_exit 0 "$COZYPKG" repo --help
  contains out 'repo register NAME URL'
}
t "cozypkg repo: register (--wait), get, unregister; usage errors" test_repo_cli
