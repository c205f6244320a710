# Package revisions (pkg.pkgserver.dev PackageRevision and
# PackageRevisionResources) kept in git: the lifecycle through kubectl,
# approval as a permission of its own, immutable published content,
# monotonic revision numbers, discovery of tags made by other git clients,
# and a remote that refuses non-fast-forward pushes.

RV_GIT() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main "$@"; }

# rv_catalog: ./srv/cat.git (no non-fast-forward pushes), a catalog with
# nf/example v1 and v2 under packages/, and ./work its clone.
rv_catalog() {
  mkdir -p srv
  RV_GIT init -q --bare srv/cat.git
  RV_GIT -C srv/cat.git config receive.denyNonFastForwards true
  RV_GIT init -q work
  mkdir -p work/packages/nf/example
  printf 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: example}\n' >work/packages/nf/example/Kptfile
  RV_GIT -C work add -A && RV_GIT -C work commit -qm v1
  RV_GIT -C work tag packages/nf/example/v1
  echo 'replicas: 2' >work/packages/nf/example/values.yaml
  RV_GIT -C work add -A && RV_GIT -C work commit -qm v2
  RV_GIT -C work tag -a -m v2 packages/nf/example/v2
  RV_GIT -C work push -q "$PWD/srv/cat.git" main --tags
}

rv_tokens() {
  cat >tokens.csv <<'T'
viewer-token-0123456789abcdef0123456789,vera,u1,"cozypkg:viewers"
author-token-0123456789abcdef0123456789,alice,u2,"cozypkg:authors"
approver-token-0123456789abcdef012345678,bob,u3,"cozypkg:approvers"
T
}
RV_VIEWER=viewer-token-0123456789abcdef0123456789
RV_AUTHOR=author-token-0123456789abcdef0123456789
RV_APPROVER=approver-token-0123456789abcdef012345678

rv_register() {
  k apply -f - >/dev/null <<Y
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: ${1}, namespace: default}
spec: {deployment: ${3:-false}, git: {url: "${2}", directory: packages}}
Y
}

rv_lifecycle() {
  k get packagerevision -n default "$1" -o jsonpath='{.spec.lifecycle} {.spec.packageRevID.revision}' 2>/dev/null
}
rv_lifecycle_is() { [[ $(rv_lifecycle "$1") == "$2" ]]; }
rv_exists() { k get packagerevision -n default "$1" >/dev/null 2>&1; }
rv_gone() { ! rv_exists "$1"; }
rv_resync() {
  k annotate repository -n default "$1" reconcile.fluxcd.io/requestedAt="$(date +%s%N)" --overwrite >/dev/null
}

# rv_draft NAME REPO TARGET REALM PACKAGE WS: a draft with an init task.
rv_draft() {
  cat <<Y
apiVersion: pkg.pkgserver.dev/v1alpha1
kind: PackageRevision
metadata: {name: $1, namespace: default}
spec:
  packageRevID: {target: $3, repository: $2, realm: $4, package: $5, workspace: $6}
  lifecycle: draft
  tasks: [{type: init}]
Y
}

# rv_call TOKEN METHOD PATH [BODYFILE]: the HTTP status; the answer in ./body.
rv_call() {
  local args=(-sS --cacert "$CA" -H "Authorization: Bearer $1" -X "$2" -o body -w '%{http_code}')
  [[ -n ${4:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$4")
  curl "${args[@]}" "$SERVER_URL$3"
}
RV_PR=/apis/pkg.pkgserver.dev/v1alpha1/namespaces/default/packagerevisions
RV_PRR=/apis/pkg.pkgserver.dev/v1alpha1/namespaces/default/packagerevisionresourceses

# rv_set_lifecycle TOKEN NAME LIFECYCLE [SUB]: a PUT of the revision (or its
# SUB subresource) with spec.lifecycle changed; prints the status.
rv_set_lifecycle() {
  k get packagerevision -n default "$2" -o json | jq --arg l "$3" '.spec.lifecycle=$l' >lc.json
  rv_call "$1" PUT "$RV_PR/$2${4:+/$4}" lc.json
}

test_revision_lifecycle() {
  rv_catalog
  rv_tokens
  start_server --repository-interval 1h --token-file "$PWD/tokens.csv"
  rv_register catalog "file://$PWD/srv/cat.git"
  # Discovery: the two tags are published revisions.
  wait_until 20 rv_lifecycle_is catalog.catalog.nf.example.v2 "published v2"
  rv_lifecycle_is catalog.catalog.nf.example.v1 "published v1"
  k get packagerevisions -n default >out
  contains out 'NAME                            READY   REPOSITORY   TARGET    REALM   PACKAGE   REVISION   WORKSPACE   LIFECYCLE'
  contains out 'catalog.catalog.nf.example.v2   True    catalog      catalog   nf      example   v2         v2          published'
  k get packagerevisionresourceses -n default catalog.catalog.nf.example.v2 -o json >prr.json
  equals "$(jq -r '.spec.resources."values.yaml"' prr.json)" 'replicas: 2'
  # Discovery names the approval subresource, as Porch's does.
  k get --raw /apis/pkg.pkgserver.dev/v1alpha1 | jq -r '.resources[].name' | sort >res
  equals "$(tr '\n' ' ' <res)" 'packagerevisionresourceses packagerevisionresourceses/status packagerevisions packagerevisions/approval packagerevisions/status '

  # A draft: the branch packages/nf/example/ws1 in the remote, starting
  # from the latest published content.
  rv_draft catalog.catalog.nf.example.ws1 catalog catalog nf example ws1 >d.yaml
  k --token=$RV_AUTHOR apply -f d.yaml >/dev/null
  git --git-dir=srv/cat.git rev-parse -q --verify refs/heads/packages/nf/example/ws1 >/dev/null || fail "no draft branch"
  k get packagerevisionresourceses -n default catalog.catalog.nf.example.ws1 -o json >prr.json
  equals "$(jq -r '.spec.resources."values.yaml"' prr.json)" 'replicas: 2'
  # Its content changes through the resources; the branch has it.
  jq '.spec.resources."values.yaml"="replicas: 3\n" | .spec.resources."extra.yaml"="a: b\n"' prr.json >prr2.json
  equals "$(rv_call $RV_AUTHOR PUT "$RV_PRR/catalog.catalog.nf.example.ws1" prr2.json)" 200
  equals "$(git --git-dir=srv/cat.git show packages/nf/example/ws1:packages/nf/example/values.yaml)" 'replicas: 3'
  k get packagerevision -n default catalog.catalog.nf.example.ws1 -o jsonpath='{.status.commit}' >commit
  equals "$(cat commit)" "$(git --git-dir=srv/cat.git rev-parse packages/nf/example/ws1)"

  # draft -> published is not a transition; proposing is.
  equals "$(rv_set_lifecycle $RV_APPROVER catalog.catalog.nf.example.ws1 published)" 422
  contains body 'cannot change from draft to published'
  equals "$(rv_set_lifecycle $RV_AUTHOR catalog.catalog.nf.example.ws1 proposed)" 200
  # Publishing: not for a viewer, not for an author (approval or a spec
  # update), only for an approver.
  equals "$(rv_set_lifecycle $RV_VIEWER catalog.catalog.nf.example.ws1 published approval)" 403
  equals "$(rv_set_lifecycle $RV_AUTHOR catalog.catalog.nf.example.ws1 published approval)" 403
  equals "$(rv_set_lifecycle $RV_AUTHOR catalog.catalog.nf.example.ws1 published)" 403
  contains body 'cozypkg:approvers'
  rv_lifecycle_is catalog.catalog.nf.example.ws1 "proposed "
  equals "$(rv_set_lifecycle $RV_APPROVER catalog.catalog.nf.example.ws1 published approval)" 200
  rv_lifecycle_is catalog.catalog.nf.example.ws1 "published v3"
  # In git: the tag on a commit of main by the approver, the draft branch gone.
  equals "$(git --git-dir=srv/cat.git log -1 --format='%an %s' packages/nf/example/v3)" 'bob Publish packages/nf/example v3 (workspace ws1)'
  equals "$(git --git-dir=srv/cat.git rev-parse packages/nf/example/v3^{commit})" "$(git --git-dir=srv/cat.git rev-parse main)"
  equals "$(git --git-dir=srv/cat.git show main:packages/nf/example/extra.yaml)" 'a: b'
  if git --git-dir=srv/cat.git rev-parse -q --verify refs/heads/packages/nf/example/ws1 >/dev/null; then fail "draft branch left"; fi
  k get packagerevision -n default catalog.catalog.nf.example.ws1 -o jsonpath='{.status.publishedBy}' >by
  equals "$(cat by)" bob

  # Published content is immutable; deleting needs deletionProposed first.
  k get packagerevisionresourceses -n default catalog.catalog.nf.example.ws1 -o json |
    jq '.spec.resources."values.yaml"="replicas: 9\n"' >prr3.json
  equals "$(rv_call $RV_APPROVER PUT "$RV_PRR/catalog.catalog.nf.example.ws1" prr3.json)" 422
  contains body 'package revision is published: its resources are immutable'
  equals "$(rv_call $RV_APPROVER DELETE "$RV_PR/catalog.catalog.nf.example.ws1")" 409
  contains body 'propose its deletion first'
  equals "$(rv_set_lifecycle $RV_AUTHOR catalog.catalog.nf.example.ws1 deletionProposed)" 200
  equals "$(rv_call $RV_AUTHOR DELETE "$RV_PR/catalog.catalog.nf.example.ws1")" 403
  equals "$(rv_call $RV_APPROVER DELETE "$RV_PR/catalog.catalog.nf.example.ws1")" 200
  if git --git-dir=srv/cat.git rev-parse -q --verify refs/tags/packages/nf/example/v3 >/dev/null; then fail "tag v3 left"; fi
  rv_gone catalog.catalog.nf.example.ws1
  expect_exit 1 k get packagerevisionresourceses -n default catalog.catalog.nf.example.ws1

  # Numbers are never reused: v3's tag is gone, the next one is v4.
  rv_draft catalog.catalog.nf.example.ws2 catalog catalog nf example ws2 | k apply -f - >/dev/null
  equals "$(rv_set_lifecycle "$TOKEN" catalog.catalog.nf.example.ws2 proposed)" 200
  equals "$(rv_set_lifecycle "$TOKEN" catalog.catalog.nf.example.ws2 published)" 200
  rv_lifecycle_is catalog.catalog.nf.example.ws2 "published v4"
  # pkgserver's field selectors all match, realm and lifecycle too.
  k get packagerevisions -n default -o name \
    --field-selector spec.lifecycle=published,spec.packageRevID.realm=nf,spec.packageRevID.revision=v4 >sel
  equals "$(cat sel)" 'packagerevision.pkg.pkgserver.dev/catalog.catalog.nf.example.ws2'
  # The remote's history is linear: nothing was forced.
  equals "$(git --git-dir=srv/cat.git log --merges --oneline main | wc -l)" 0
  equals "$(git --git-dir=srv/cat.git log --format=%s main | head -2 | tr '\n' '|')" 'Publish packages/nf/example v4 (workspace ws2)|Publish packages/nf/example v3 (workspace ws1)|'
}
t "revisions: draft in a branch, resources, propose, approval for approvers only, publish as a tag, immutability, delete via deletionProposed, numbers never reused" test_revision_lifecycle

test_revision_discovery_and_rules() {
  rv_catalog
  start_server --repository-interval 1h
  rv_register catalog "file://$PWD/srv/cat.git"
  wait_until 20 rv_exists catalog.catalog.nf.example.v2
  # Another git client tags v3 and deletes v1: they appear and go.
  echo 'replicas: 5' >work/packages/nf/example/values.yaml
  RV_GIT -C work commit -qam v3
  RV_GIT -C work tag packages/nf/example/v3
  RV_GIT -C work push -q "$PWD/srv/cat.git" main --tags
  RV_GIT -C work push -q "$PWD/srv/cat.git" :refs/tags/packages/nf/example/v1
  rv_resync catalog
  wait_until 20 rv_exists catalog.catalog.nf.example.v3
  wait_until 20 rv_gone catalog.catalog.nf.example.v1
  k get packagerevisionresourceses -n default catalog.catalog.nf.example.v3 -o jsonpath='{.spec.resources.values\.yaml}' >v
  equals "$(cat v)" 'replicas: 5'

  # Create rules: a draft only, a valid and unique workspace, a name that
  # is the identity, a Repository that exists, no revision.
  rv_draft catalog.catalog.nf.example.Bad catalog catalog nf example Bad >bad.yaml
  expect_exit 1 k apply -f bad.yaml
  contains err 'spec.packageRevID.workspace: Invalid value: "Bad"'
  # Names are path segments, as pkgserver's aggregated API has them.
  jq -n '{apiVersion: "pkg.pkgserver.dev/v1alpha1", kind: "PackageRevision", metadata: {name: "..", namespace: "default"},
    spec: {packageRevID: {target: "catalog", repository: "catalog", realm: "nf", package: "example", workspace: "ws1"}}}' >bad.json
  equals "$(api_code POST "$RV_PR" -H 'Content-Type: application/json' --data-binary @bad.json)" 422
  contains body '"field":"metadata.name"'
  contains body "may not be '..'"
  rv_draft catalog.catalog.nf.example.ws9 catalog catalog nf example ws_9 >bad.yaml
  expect_exit 1 k apply -f bad.yaml
  contains err 'spec.packageRevID.workspace: Invalid value: "ws_9"'
  rv_draft catalog.nothere.nf.example.ws1 nothere catalog nf example ws1 >bad.yaml
  expect_exit 1 k apply -f bad.yaml
  contains err 'spec.packageRevID.repository: Not found'
  rv_draft catalog.catalog.nf.other.ws1 catalog catalog nf example ws1 >bad.yaml
  expect_exit 1 k apply -f bad.yaml
  contains err 'metadata.name'
  rv_draft catalog.catalog.nf.example.ws1 catalog catalog nf example ws1 |
    sed 's/lifecycle: draft/lifecycle: published/' >bad.yaml
  expect_exit 1 k apply -f bad.yaml
  contains err 'only drafts can be created'
  rv_draft catalog.catalog.nf.example.ws1 catalog catalog nf example ws1 | k apply -f - >/dev/null
  rv_draft catalog.catalog.nf.example.ws1 catalog catalog nf example ws1 >dup.yaml
  expect_exit 1 k create -f dup.yaml
  contains err 'already exists'
  # Identity is immutable; the revision is the server's.
  k get packagerevision -n default catalog.catalog.nf.example.ws1 -o json |
    jq '.spec.packageRevID.package="other"' >imm.json
  equals "$(api_code PUT "$RV_PR/catalog.catalog.nf.example.ws1" -H 'Content-Type: application/json' --data-binary @imm.json)" 422
  contains body 'spec.packageRevID: Invalid value: field is immutable'
  # Resources: paths that leave the package, and size over the cap.
  k get packagerevisionresourceses -n default catalog.catalog.nf.example.ws1 -o json >prr.json
  for p in ../escape /abs a/../../b ''; do
    jq --arg p "$p" '.spec.resources[$p]="x"' prr.json >bad.json
    equals "$(api_code PUT "$RV_PRR/catalog.catalog.nf.example.ws1" -H 'Content-Type: application/json' --data-binary @bad.json)" 422
    contains body 'spec.resources['
  done
  python3 -c 'import json,sys; d=json.load(open("prr.json")); d["spec"]["resources"]={"f%d.yaml"%i: "x"*1048000 for i in range(17)}; json.dump(d, open("big.json","w"))'
  code=$(api_code PUT "$RV_PRR/catalog.catalog.nf.example.ws1" -H 'Content-Type: application/json' --data-binary @big.json)
  equals "$code" 413
  # Resources are made and removed with their revision.
  equals "$(api_code DELETE "$RV_PRR/catalog.catalog.nf.example.ws1")" 405
  # A realm of several segments: "/" is ":" in the name.
  rv_draft catalog.catalog.nf:core.example.ws1 catalog catalog nf/core example ws1 | k apply -f - >/dev/null
  git --git-dir=srv/cat.git rev-parse -q --verify refs/heads/packages/nf/core/example/ws1 >/dev/null || fail "no branch for nf/core"
  # A clone from the same repository (its mirror is already open).
  k apply -f - >/dev/null <<'Y'
apiVersion: pkg.pkgserver.dev/v1alpha1
kind: PackageRevision
metadata: {name: catalog.catalog.nf.copy.ws1, namespace: default}
spec:
  packageRevID: {target: catalog, repository: catalog, realm: nf, package: copy, workspace: ws1}
  tasks: [{type: clone}]
  upstream: {repository: catalog, realm: nf, package: example, revision: v3}
Y
  equals "$(git --git-dir=srv/cat.git show packages/nf/copy/ws1:packages/nf/copy/values.yaml)" 'replicas: 5'
  # A draft's deletion removes its branch.
  k delete packagerevision -n default catalog.catalog.nf.example.ws1 >/dev/null
  if git --git-dir=srv/cat.git rev-parse -q --verify refs/heads/packages/nf/example/ws1 >/dev/null; then fail "branch left"; fi
  # The garbage collector deletes a draft whose owner went, with its branch.
  k create configmap owner -n default >/dev/null
  local uid
  uid=$(k get configmap owner -n default -o jsonpath='{.metadata.uid}')
  rv_draft catalog.catalog.nf.owned.ws1 catalog catalog nf owned ws1 |
    sed "s/^metadata: {name: \([^,]*\), namespace: default}/metadata: {name: \1, namespace: default, ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: $uid}]}/" |
    k apply -f - >/dev/null
  git --git-dir=srv/cat.git rev-parse -q --verify refs/heads/packages/nf/owned/ws1 >/dev/null || fail "no owned branch"
  k delete configmap owner -n default >/dev/null
  wait_until 20 rv_gone catalog.catalog.nf.owned.ws1
  if git --git-dir=srv/cat.git rev-parse -q --verify refs/heads/packages/nf/owned/ws1 >/dev/null; then fail "owned branch left"; fi
  # The server kept serving throughout.
  k get packagerevisions -n default >/dev/null
}
t "revisions: tags by other git clients appear and go, create rules, immutable identity, hostile paths, size cap, branch deleted with its draft" test_revision_discovery_and_rules

# rv_git_http ARGS...: git http-backend serving ./srv (tests/e2e/tools);
# RV_HTTP is its base URL.
rv_git_http() {
  rm -f gh.port
  python3 "$E2E_DIR/tools/git_http.py" "$PWD/srv" "$PWD/gh.port" --log "$PWD/gh.log" "$@" 2>>gh.err &
  OCI_PIDS+=($!)
  trap e2e_cleanup EXIT
  local i
  for i in $(seq 1 100); do [[ -s gh.port ]] && break; sleep 0.05; done
  [[ -s gh.port ]] || { cat gh.err >&2; fail "git_http.py did not start"; }
  RV_HTTP="http://127.0.0.1:$(cat gh.port)"
}

# rv_publish NAME: propose and approve as the admin.
rv_publish() {
  equals "$(rv_set_lifecycle "$TOKEN" "$1" proposed)" 200
  equals "$(rv_set_lifecycle "$TOKEN" "$1" published approval)" 200
}

# rv_push_files NAME FILE=CONTENT...: the revision's resources become these.
rv_push_files() {
  local name=$1 kv; shift
  k get packagerevisionresourceses -n default "$name" -o json | jq '.spec.resources={}' >push.json
  for kv in "$@"; do
    jq --arg p "${kv%%=*}" --arg c "${kv#*=}" '.spec.resources[$p]=$c' push.json >push2.json
    mv push2.json push.json
  done
  equals "$(api_code PUT "$RV_PRR/$name" -H 'Content-Type: application/json' --data-binary @push.json)" 200
}

test_revision_kpt_clone_watch() {
  rv_catalog
  rv_git_http --basic 'alice:s3cr3t-pw'
  RV_GIT init -q --bare srv/deploy.git
  RV_GIT -C srv/deploy.git config receive.denyNonFastForwards true
  RV_GIT -C work push -q "$PWD/srv/deploy.git" main
  start_server --repository-interval 1h
  k create secret generic git-auth -n default --from-literal=username=alice --from-literal=password=s3cr3t-pw >/dev/null
  k apply -f - >/dev/null <<Y
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: catalog, namespace: default}
spec: {git: {url: "$RV_HTTP/cat.git", directory: packages, credentials: git-auth}}
---
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: deploy, namespace: default}
spec: {deployment: true, git: {url: "$RV_HTTP/deploy.git", credentials: git-auth}}
Y
  wait_until 20 rv_exists catalog.catalog.nf.example.v2
  # A new catalog revision, published through http-backend with auth.
  rv_draft catalog.catalog.nf.example.ws1 catalog catalog nf example ws1 | k apply -f - >/dev/null
  # Watchers hear the content change as MODIFIED on the revision.
  k get packagerevision -n default catalog.catalog.nf.example.ws1 -w --output-watch-events -o json >watch.out 2>&1 &
  local watcher=$!
  OCI_PIDS+=("$watcher")
  sleep 1
  rv_push_files catalog.catalog.nf.example.ws1 Kptfile="$(cat work/packages/nf/example/Kptfile)" \
    values.yaml=$'replicas: 3\n' config/app.yaml=$'kind: ConfigMap\n'
  wait_until 10 grep -q "\"MODIFIED\"" watch.out
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  rv_publish catalog.catalog.nf.example.ws1
  rv_lifecycle_is catalog.catalog.nf.example.ws1 "published v3"

  # kpt reads what was published: kpt pkg get of v2, then update to v3.
  rm -rf kpt-pkg kpt-home && mkdir kpt-home
  HOME=$PWD/kpt-home git config --global url."http://alice:s3cr3t-pw@127.0.0.1:$(cat gh.port)/".insteadOf "$RV_HTTP/"
  HOME=$PWD/kpt-home kpt pkg get "$RV_HTTP/cat.git/packages/nf/example@packages/nf/example/v2" kpt-pkg >kpt.out 2>&1 ||
    { cat kpt.out >&2; fail "kpt pkg get"; }
  k get packagerevisionresourceses -n default catalog.catalog.nf.example.v2 -o json >v2.json
  (cd kpt-pkg && find . -type f ! -name Kptfile | sed 's|^\./||' | sort) >kpt.files
  jq -r '.spec.resources | keys[] | select(. != "Kptfile")' v2.json | sort >api.files
  diff -u api.files kpt.files
  equals "$(cat kpt-pkg/values.yaml)" "$(jq -r '.spec.resources."values.yaml"' v2.json)"
  (cd kpt-pkg && RV_GIT init -q && RV_GIT add -A && RV_GIT commit -qm got)
  HOME=$PWD/kpt-home kpt pkg update "kpt-pkg@packages/nf/example/v3" >kpt.out 2>&1 ||
    { cat kpt.out >&2; fail "kpt pkg update"; }
  equals "$(cat kpt-pkg/values.yaml)" 'replicas: 3'
  equals "$(cat kpt-pkg/config/app.yaml)" 'kind: ConfigMap'

  # Clone into the deployment repository: the draft holds v3's files on
  # the branch dummy/nf/example/ws1.
  k apply -f - >/dev/null <<'Y'
apiVersion: pkg.pkgserver.dev/v1alpha1
kind: PackageRevision
metadata: {name: dummy.deploy.nf.example.ws1, namespace: default}
spec:
  packageRevID: {target: dummy, repository: deploy, realm: nf, package: example, workspace: ws1}
  lifecycle: draft
  tasks: [{type: clone}]
  upstream: {repository: catalog, realm: nf, package: example, revision: v3}
Y
  equals "$(git --git-dir=srv/deploy.git show dummy/nf/example/ws1:dummy/nf/example/values.yaml)" 'replicas: 3'
  rv_publish dummy.deploy.nf.example.ws1
  rv_lifecycle_is dummy.deploy.nf.example.ws1 "published v1"
  # A clone of a revision that does not exist says so.
  k apply -f - >clone.out 2>&1 <<'Y' && fail "clone of v9 accepted"
apiVersion: pkg.pkgserver.dev/v1alpha1
kind: PackageRevision
metadata: {name: dummy.deploy.nf.example.ws2, namespace: default}
spec:
  packageRevID: {target: dummy, repository: deploy, realm: nf, package: example, workspace: ws2}
  tasks: [{type: clone}]
  upstream: {repository: catalog, realm: nf, package: example, revision: v9}
Y
  contains clone.out 'revision v9 of packages/nf/example not found'

  # Credentials that fail: one line, and no secret in any output.
  k create secret generic bad-auth -n default --from-literal=username=alice --from-literal=password=wrong-pw-42 >/dev/null
  k patch repository -n default deploy --type merge -p '{"spec":{"git":{"credentials":"bad-auth"}}}' >/dev/null
  rv_draft dummy.deploy.nf.example.ws3 deploy dummy nf example ws3 >d3.yaml
  expect_exit 1 k apply -f d3.yaml
  [[ $(wc -l <err) -le 1 ]] || fail "a multi-line error"
  lacks err 'wrong-pw-42'
  lacks err 's3cr3t-pw'
  if grep -rq 'wrong-pw-42' .srv/log; then fail "the password is in the log"; fi
}
t "revisions: kpt pkg get/update read what is published, clone into a deployment repository, MODIFIED on content change, http-backend with auth, failing credentials" test_revision_kpt_clone_watch

# Published exactly when the tag exists: cozypkgd killed while its tag
# push is held by the remote's pre-receive hook, then restarted.
test_revision_kill_during_publish() {
  rv_catalog
  cat >srv/cat.git/hooks/pre-receive <<H
#!/bin/sh
while read old new ref; do
  case \$ref in refs/tags/*) touch "$PWD/held"; sleep 3;; esac
done
exit 0
H
  chmod +x srv/cat.git/hooks/pre-receive
  rv_git_http
  start_server --repository-interval 1h
  rv_register catalog "$RV_HTTP/cat.git"
  wait_until 20 rv_exists catalog.catalog.nf.example.v2
  rm -f held
  rv_draft catalog.catalog.nf.example.ws1 catalog catalog nf example ws1 | k apply -f - >/dev/null
  rv_push_files catalog.catalog.nf.example.ws1 Kptfile=$'kind: Kptfile\n' values.yaml=$'replicas: 7\n'
  equals "$(rv_set_lifecycle "$TOKEN" catalog.catalog.nf.example.ws1 proposed)" 200
  rv_set_lifecycle "$TOKEN" catalog.catalog.nf.example.ws1 published approval >/dev/null 2>&1 &
  local approver=$!
  wait_until 20 test -e held
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  wait "$approver" 2>/dev/null || true
  SERVER_PID=
  sleep 3.5 # the hook lets the push through once it has held it
  start_server --repository-interval 1h
  # Consistent after the restart's sync: the tag exists and the revision
  # is published with it, or neither.
  rv_consistent() {
    local state
    state=$(rv_lifecycle catalog.catalog.nf.example.ws1)
    if git --git-dir=srv/cat.git rev-parse -q --verify refs/tags/packages/nf/example/v3 >/dev/null; then
      [[ $state == "published v3" ]]
    else
      [[ $state == "proposed " ]]
    fi
  }
  wait_until 20 rv_consistent
  if [[ $(rv_lifecycle catalog.catalog.nf.example.ws1) == "proposed " ]]; then
    equals "$(rv_set_lifecycle "$TOKEN" catalog.catalog.nf.example.ws1 published approval)" 200
  fi
  # One publish commit for the content, no draft branch left, the content
  # served is the tag's.
  equals "$(git --git-dir=srv/cat.git log --format=%s main | grep -c 'workspace ws1')" 1
  if git --git-dir=srv/cat.git rev-parse -q --verify refs/heads/packages/nf/example/ws1 >/dev/null; then fail "draft branch left"; fi
  local rev
  rev=$(k get packagerevision -n default catalog.catalog.nf.example.ws1 -o jsonpath='{.spec.packageRevID.revision}')
  equals "$(git --git-dir=srv/cat.git show "packages/nf/example/$rev:packages/nf/example/values.yaml")" 'replicas: 7'
  k get packagerevisionresourceses -n default catalog.catalog.nf.example.ws1 -o jsonpath='{.spec.packageRevID.revision}' >prrrev
  equals "$(cat prrrev)" "$rev"
}
t "revisions: kill -9 during a publish, restart: published exactly when the tag exists, completed from git" test_revision_kill_during_publish

rv_variant_ready() {
  [[ $(k get packagevariant -n default "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == "$2" ]]
}
# rv_owned PV: the names of the revisions PV owns, sorted.
rv_owned() {
  local uid
  uid=$(k get packagevariant -n default "$1" -o jsonpath='{.metadata.uid}')
  k get packagerevisions -n default -o json |
    jq -r --arg u "$uid" '.items[] | select(any(.metadata.ownerReferences[]?; .uid == $u)) | .metadata.name' | sort
}

test_revision_package_variant() {
  rv_catalog
  RV_GIT init -q --bare srv/deploy.git
  RV_GIT -C srv/deploy.git config receive.denyNonFastForwards true
  RV_GIT -C work push -q "$PWD/srv/deploy.git" main
  start_server --repository-interval 1h
  rv_register catalog "file://$PWD/srv/cat.git"
  rv_register deploy "file://$PWD/srv/deploy.git" true
  wait_until 20 rv_exists catalog.catalog.nf.example.v2
  rv_pv() {
    k apply -f - >/dev/null <<Y
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: PackageVariant
metadata: {name: example, namespace: default}
spec:
  upstream: {repository: catalog, realm: nf, package: example, revision: $1}
  downstream: {target: dummy, repository: deploy, realm: nf, package: example}
  packageContext:
    annotations: {policy.example.com/approval: initial}
    readinessGates: [{conditionType: pkg.pkgserver.dev/process}]
Y
  }
  # An upstream that is not published says so.
  rv_pv v9
  wait_until 20 rv_variant_ready example False
  k get packagevariant -n default example -o jsonpath='{.status.conditions[0].message}' >m
  contains m 'upstream catalog/nf/example@v9 is not a published revision'
  # The downstream draft: cloned from v2, owned by the variant, with its
  # context.
  rv_pv v2
  wait_until 20 rv_variant_ready example True
  local first
  first=$(rv_owned example)
  [[ $first == dummy.deploy.nf.example.pv-* ]] || fail "owned: $first"
  k get packagerevision -n default "$first" -o json >pr.json
  equals "$(jq -r '.spec.tasks[0].type + " " + .spec.upstream.revision + " " + .metadata.annotations."policy.example.com/approval"' pr.json)" 'clone v2 initial'
  equals "$(jq -r '.spec.readinessGates[0].conditionType' pr.json)" 'pkg.pkgserver.dev/process'
  local ws=${first##*.}
  equals "$(git --git-dir=srv/deploy.git show "packages/dummy/nf/example/$ws:packages/dummy/nf/example/values.yaml")" 'replicas: 2'
  rv_publish "$first"
  rv_lifecycle_is "$first" "published v1"
  # A changed spec: a new draft from v1; the published one is proposed
  # for deletion.
  rv_pv v1
  wait_until 20 rv_lifecycle_is "$first" "deletionProposed v1"
  wait_until 20 eval '[[ $(rv_owned example | wc -l) == 2 ]]'
  local second
  second=$(rv_owned example | grep -v "^$first$")
  rv_lifecycle_is "$second" "draft "
  if git --git-dir=srv/deploy.git show "packages/dummy/nf/example/${second##*.}:packages/dummy/nf/example/values.yaml" >/dev/null 2>&1; then
    fail "v1 has no values.yaml"
  fi
  # Deleting the variant deletes what it owns, the draft's branch too.
  k delete packagevariant -n default example >/dev/null
  wait_until 20 rv_gone "$second"
  if git --git-dir=srv/deploy.git rev-parse -q --verify "refs/heads/packages/dummy/nf/example/${second##*.}" >/dev/null; then fail "branch left"; fi
  # No revision named: the latest published upstream, and a new draft
  # when a newer one is published (here by another git client).
  rv_pv '""'
  wait_until 20 rv_variant_ready example True
  local third
  third=$(rv_owned example)
  equals "$(k get packagerevision -n default "$third" -o jsonpath='{.spec.upstream.revision}')" v2
  echo 'replicas: 3' >work/packages/nf/example/values.yaml
  RV_GIT -C work commit -qam v3
  RV_GIT -C work tag packages/nf/example/v3
  RV_GIT -C work push -q "$PWD/srv/cat.git" main --tags
  rv_resync catalog
  wait_until 20 rv_exists catalog.catalog.nf.example.v3
  wait_until 20 rv_gone "$third"
  local fourth
  fourth=$(rv_owned example)
  equals "$(k get packagerevision -n default "$fourth" -o jsonpath='{.spec.upstream.revision}')" v3
  k get packagevariant -n default example -o jsonpath='{.status.conditions[0].message}' >m
  contains m "downstream draft $fourth of v3"
}
t "revisions: PackageVariant keeps a downstream draft cloned from its upstream (named or the latest), replaces it when the spec or the latest changes, owns what it made" test_revision_package_variant
