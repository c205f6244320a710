# cozypkg rpkg: pkgserver's PackageRevisions (pkg.pkgserver.dev/v1alpha1)
# against cozypkgd, one verb per lifecycle step: get, init, clone, pull,
# push, propose, reject, approve, propose-delete, del.

RPKG_GIT() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main "$@"; }

# rpkg_repo NAME [--deployment]: ./srv/NAME.git with packages/ and one
# commit, registered as the Repository NAME and synced.
rpkg_repo() {
  local name=$1; shift
  mkdir -p srv
  RPKG_GIT init -q --bare "srv/$name.git"
  RPKG_GIT init -q "seed-$name"
  mkdir -p "seed-$name/packages"
  echo '# packages' >"seed-$name/packages/README.md"
  RPKG_GIT -C "seed-$name" add -A && RPKG_GIT -C "seed-$name" commit -qm seed
  RPKG_GIT -C "seed-$name" push -q "$PWD/srv/$name.git" main
  "$COZYPKG" repo register "$name" "file://$PWD/srv/$name.git" --directory packages --wait "$@"
}
rpkg_catalog() { rpkg_repo catalog; }

# rpkg_field NAME JQ: one field of the PackageRevision NAME.
rpkg_field() {
  "$COZYPKG" rpkg get "$1" -o json | jq -r "$2"
}

# rpkg_tree DIR: a package's files, with what push must leave out.
rpkg_tree() {
  mkdir -p "$1/config/nested" "$1/.git"
  printf 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: example}\n' >"$1/Kptfile"
  printf 'kind: ConfigMap\n--- path: not-a-header\n\\ backslash\n' >"$1/config/cm.yaml"
  printf 'no final newline' >"$1/config/nested/raw.txt"
  : >"$1/config/empty"
  echo '[core]' >"$1/.git/config"
  ln -s Kptfile "$1/link"
}

test_rpkg_usage() {
  expect_exit 2 "$COZYPKG" rpkg
  contains err 'expected a verb'
  expect_exit 2 "$COZYPKG" rpkg frobnicate
  contains err 'unknown verb "frobnicate"'
  expect_exit 0 "$COZYPKG" rpkg --help
  contains out 'TARGET.REPOSITORY.REALM.PACKAGE.WORKSPACE'
  local v
  for v in get init clone pull push propose reject approve propose-delete del history rollback; do
    expect_exit 0 "$COZYPKG" rpkg "$v" --help
    contains out "cozypkg rpkg $v"
    contains out 'Examples:'
  done
  expect_exit 2 "$COZYPKG" rpkg init a.b.c
  contains err 'a.b.c: expected TARGET.REPOSITORY.REALM.PACKAGE.WORKSPACE'
  contains err "Run 'cozypkg rpkg init --help' for usage."
  expect_exit 2 "$COZYPKG" rpkg init catalog.catalog.nf..ws1
  contains err 'spec.packageRevID.package: Invalid value: ""'
  expect_exit 2 "$COZYPKG" rpkg init --target catalog --repository catalog --package p --workspace w
  contains err '--realm is missing'
  expect_exit 2 "$COZYPKG" rpkg init --target catalog --repository catalog --realm nf/Core --package p --workspace w
  contains err 'spec.packageRevID.realm: Invalid value: "nf/Core"'
  expect_exit 2 "$COZYPKG" rpkg init a.b.c.d.e --package p
  contains err 'not both'
  expect_exit 2 "$COZYPKG" rpkg clone a.b.c.d.e
  expect_exit 2 "$COZYPKG" rpkg propose
  expect_exit 2 "$COZYPKG" rpkg del
  expect_exit 2 "$COZYPKG" rpkg get -o xml
  expect_exit 2 "$COZYPKG" rpkg get --lifecycle final
  contains err 'expected draft, proposed, published or deletionProposed'
  expect_exit 2 "$COZYPKG" rpkg propose --output json x
  contains err 'unknown option'
  # Input push cannot send is refused before anything is asked.
  printf 'stray line\n--- path: a\n' | expect_exit 2 "$COZYPKG" rpkg push a.b.c.d.e
  contains err 'line 1: expected "--- path: FILE"'
  printf -- '--- path: ../escape\nx\n' | expect_exit 2 "$COZYPKG" rpkg push a.b.c.d.e
  contains err '"../escape" is not a path inside the package'
  expect_exit 2 "$COZYPKG" rpkg push a.b.c.d.e </dev/null
  contains err 'standard input: no files to push'
  mkdir big && head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' x >big/blob
  expect_exit 2 "$COZYPKG" rpkg push a.b.c.d.e big
  contains err 'big: more than 16 MiB of files'
}
t "rpkg: verbs, --help for each, usage errors and unreadable input (exit 2)" test_rpkg_usage

test_rpkg_init_get() {
  start_server
  rpkg_catalog
  local a=catalog.catalog.nf.alpha.ws1 b=catalog.catalog.core.beta.ws1
  expect_exit 0 "$COZYPKG" rpkg init "$a"
  contains err "✓ PackageRevision default/$a created (draft)"
  # The same from the parts.
  expect_exit 0 "$COZYPKG" rpkg init --target catalog --repository catalog \
    --realm core --package beta --workspace ws1
  contains err "✓ PackageRevision default/$b created (draft)"
  expect_exit 1 "$COZYPKG" rpkg init "$a"
  contains err 'already exists'
  # Only into a Repository that exists.
  expect_exit 1 "$COZYPKG" rpkg init catalog.nowhere.nf.alpha.ws1
  equals "$(rpkg_field "$a" '.spec.packageRevID | [.target, .repository, .realm, .package, .workspace] | join(" ")')" \
    "catalog catalog nf alpha ws1"
  equals "$(rpkg_field "$a" '.spec.lifecycle + " " + (.spec.tasks | map(.type) | join(","))')" "draft init"
  expect_exit 0 "$COZYPKG" rpkg get
  head -1 out >head.txt
  grep -q '^NAME  *READY  *REPOSITORY  *TARGET  *REALM  *PACKAGE  *REVISION  *WORKSPACE  *LIFECYCLE$' head.txt ||
    fail "table header: $(cat head.txt)"
  grep -q "^$a  *[A-Za-z]*  *catalog  *catalog  *nf  *alpha  *ws1  *draft\$" out || fail "no row for $a: $(cat out)"
  # Sorted by name: beta's row (core) before alpha's (nf).
  equals "$(awk 'NR > 1 {print $1}' out | tr '\n' ' ')" "$b $a "
  # The options select on the server, all at once.
  expect_exit 0 "$COZYPKG" rpkg get --package beta --lifecycle draft
  equals "$(awk 'NR > 1 {print $1}' out)" "$b"
  expect_exit 0 "$COZYPKG" rpkg get --package beta --realm nf
  equals "$(wc -l <out)" 1
  expect_exit 0 "$COZYPKG" rpkg get --repository catalog --target catalog --realm nf --workspace ws1 -o json
  equals "$(jq -r '[.items[].metadata.name] | join(" ")' out)" "$a"
  expect_exit 0 "$COZYPKG" rpkg get --lifecycle published -o json
  equals "$(jq '.items | length' out)" 0
  # Names: one is an object, a missing one is an error after the others.
  expect_exit 0 "$COZYPKG" rpkg get "$a" -o yaml
  contains out 'kind: PackageRevision'
  expect_exit 1 "$COZYPKG" rpkg get "$a" catalog.catalog.nf.none.ws1
  contains out "$a"
  contains err 'PackageRevision default/catalog.catalog.nf.none.ws1 not found'
  # Another namespace has none of them.
  k create namespace other >/dev/null
  expect_exit 0 "$COZYPKG" rpkg get -n other
  equals "$(wc -l <out)" 1
}
t "rpkg: init from a name or from parts, get with columns, order, field selectors, names, -o" test_rpkg_init_get

test_rpkg_pull_push() {
  start_server
  rpkg_catalog
  local a=catalog.catalog.nf.alpha.ws1
  "$COZYPKG" rpkg init "$a" 2>/dev/null
  rpkg_tree src
  expect_exit 0 "$COZYPKG" rpkg push "$a" src
  contains err "✓ 4 files pushed to default/$a"
  expect_exit 0 "$COZYPKG" rpkg pull "$a" dst
  contains err "✓ 4 files written under dst"
  diff -r --exclude=.git --exclude=link src dst
  [[ ! -e dst/.git && ! -e dst/link ]] || fail ".git or the link was pushed"
  # To standard output, in path order, and back to the same bytes.
  expect_exit 0 "$COZYPKG" rpkg pull "$a"
  mv out pulled.txt
  equals "$(grep '^--- path: ' pulled.txt | tr '\n' ' ')" \
    "--- path: Kptfile --- path: config/cm.yaml --- path: config/empty --- path: config/nested/raw.txt "
  contains pulled.txt '\--- path: not-a-header'
  contains pulled.txt '\ No newline at end of file'
  expect_exit 0 "$COZYPKG" rpkg push "$a" <pulled.txt
  expect_exit 0 "$COZYPKG" rpkg pull "$a" again
  diff -r dst again
  # Push replaces: a file left out is gone.
  printf -- '--- path: only\none file\n' | expect_exit 0 "$COZYPKG" rpkg push "$a"
  expect_exit 0 "$COZYPKG" rpkg pull "$a"
  equals "$(cat out)" "$(printf -- '--- path: only\none file')"
  # What is not there is an error naming it.
  expect_exit 1 "$COZYPKG" rpkg pull catalog.catalog.nf.none.ws1
  contains err 'not found'
  expect_exit 1 "$COZYPKG" rpkg push catalog.catalog.nf.none.ws1 src
  contains err 'not found'
}
t "rpkg: push a directory (.git and links left out), pull to a directory and to stdout, push stdin back" test_rpkg_pull_push

test_rpkg_lifecycle() {
  echo 'authortoken123,author,u2,"cozypkg:authors"' >tokens.csv
  start_server --token-file "$PWD/tokens.csv"
  rpkg_catalog
  rpkg_repo deploy --deployment
  local a=catalog.catalog.nf.alpha.ws1
  "$COZYPKG" rpkg init "$a" 2>/dev/null
  printf -- '--- path: Kptfile\napiVersion: kpt.dev/v1\n' | "$COZYPKG" rpkg push "$a" 2>/dev/null
  # Only a published revision can be cloned.
  expect_exit 1 "$COZYPKG" rpkg clone edge.deploy.nf.alpha.ws1 "$a"
  contains err "cannot clone $a: it is draft; only a published revision can be cloned"
  expect_exit 1 "$COZYPKG" rpkg approve "$a"
  contains err "cannot approve $a: it is draft"
  expect_exit 1 "$COZYPKG" rpkg propose-delete "$a"
  contains err 'propose-delete takes a published revision'
  expect_exit 0 "$COZYPKG" rpkg propose "$a"
  contains err "✓ default/$a: draft → proposed"
  equals "$(rpkg_field "$a" '.spec.lifecycle + " " + (.spec.tasks // [] | length | tostring)')" "proposed 0"
  expect_exit 0 "$COZYPKG" rpkg propose "$a"
  contains err "is proposed already"
  expect_exit 0 "$COZYPKG" rpkg reject "$a"
  contains err "✓ default/$a: proposed → draft"
  expect_exit 0 "$COZYPKG" rpkg propose "$a"
  # An author may write revisions but not publish them: the server's
  # refusal, exit 1, and nothing changed.
  sed 's/^\( *token:\).*/\1 authortoken123/' "$KUBECONFIG" >author.kubeconfig
  grep -q 'token: authortoken123' author.kubeconfig || fail "no token in the kubeconfig"
  expect_exit 1 "$COZYPKG" rpkg approve "$a" --kubeconfig author.kubeconfig
  contains err "cozypkg: approve default/$a: "
  contains err 'forbidden'
  equals "$(rpkg_field "$a" .spec.lifecycle)" proposed
  expect_exit 0 "$COZYPKG" rpkg approve "$a"
  contains err "✓ default/$a: proposed → published"
  equals "$(rpkg_field "$a" .spec.lifecycle)" published
  # A clone of the published revision, into a deployment repository,
  # names it upstream and starts from its files.
  expect_exit 0 "$COZYPKG" rpkg clone edge.deploy.nf.alpha.ws1 "$a"
  "$COZYPKG" rpkg get edge.deploy.nf.alpha.ws1 -o json >copy.json
  equals "$(jq -r '.spec.lifecycle + " " + (.spec.tasks | map(.type) | join(","))' copy.json)" "draft clone"
  equals "$(jq -r '.spec.upstream | [.repository, .realm, .package] | join(" ")' copy.json)" "catalog nf alpha"
  equals "$(jq -r '.spec.upstream.revision' copy.json)" "$(rpkg_field "$a" .spec.packageRevID.revision)"
  expect_exit 0 "$COZYPKG" rpkg pull edge.deploy.nf.alpha.ws1
  contains out 'apiVersion: kpt.dev/v1'
  # Deleting a published revision is proposed first; reject undoes that.
  expect_exit 0 "$COZYPKG" rpkg propose-delete "$a"
  contains err "✓ default/$a: published → deletionProposed"
  expect_exit 0 "$COZYPKG" rpkg reject "$a"
  contains err "✓ default/$a: deletionProposed → published"
  expect_exit 0 "$COZYPKG" rpkg propose-delete "$a"
  expect_exit 0 "$COZYPKG" rpkg del "$a" edge.deploy.nf.alpha.ws1
  contains err "✓ PackageRevision default/$a deleted"
  contains err "✓ PackageRevision default/edge.deploy.nf.alpha.ws1 deleted"
  expect_exit 1 "$COZYPKG" rpkg get "$a"
  expect_exit 1 "$COZYPKG" rpkg del "$a"
  contains err 'not found'
  expect_exit 1 "$COZYPKG" rpkg propose "$a"
  contains err 'not found'
}
t "rpkg: propose, reject, approve (approvers only), clone of a published revision, propose-delete, del" test_rpkg_lifecycle

# rpkg_fake_api: a stand-in API server on plain HTTP, for what a real one
# cannot be made to do on cue: lose a race (409) between the client's read
# and its write.  It serves one PackageRevision r1 and its resources in
# namespace default, logs every request as a JSON line to ./fake.log, and
# takes its state with PUT /_fake (lifecycle, conflicts: how many
# PackageRevision writes to refuse, each after another writer's change;
# prr_conflict: refuse the resources' write).  ./fake.kubeconfig reaches it.
rpkg_fake_api() {
  cat >fake.py <<'PY'
import http.server, json, sys, urllib.parse
BASE = "/apis/pkg.pkgserver.dev/v1alpha1/namespaces/default/"
st = {}
def reset(cfg):
    st.clear()
    st.update(conflicts=cfg.get("conflicts", 0), prr_conflict=cfg.get("prr_conflict", False), rv=7)
    st["rev"] = {"apiVersion": "pkg.pkgserver.dev/v1alpha1", "kind": "PackageRevision",
                 "metadata": {"name": "r1", "namespace": "default", "resourceVersion": "7"},
                 "spec": {"packageRevID": {"target": "catalog", "repository": "catalog", "realm": "nf",
                                           "package": "p", "workspace": "ws1"},
                          "lifecycle": cfg.get("lifecycle", "draft"), "tasks": [{"type": "init"}]}}
    st["prr"] = {"apiVersion": "pkg.pkgserver.dev/v1alpha1", "kind": "PackageRevisionResources",
                 "metadata": {"name": "r1", "namespace": "default", "resourceVersion": "7"},
                 "spec": {"resources": {"Kptfile": "kind: Kptfile\n"}}}
reset({})
def conflict(what):
    return 409, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409,
                 "message": 'Operation cannot be fulfilled on %s "r1": the object has been modified; '
                            'please apply your changes to the latest version and try again' % what}
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
    def handle_one(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n)) if n else None
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/_fake":
            reset(body); open("fake.log", "w").close(); return self.answer(200, {})
        with open("fake.log", "a") as f:
            f.write(json.dumps({"method": method, "path": u.path, "query": urllib.parse.parse_qs(u.query), "body": body}) + "\n")
        rest = u.path[len(BASE):] if u.path.startswith(BASE) else None
        if method == "GET" and rest == "packagerevisions":
            return self.answer(200, {"kind": "PackageRevisionList", "apiVersion": "pkg.pkgserver.dev/v1alpha1",
                                     "metadata": {}, "items": [st["rev"]]})
        if method == "GET" and rest == "packagerevisions/r1":
            return self.answer(200, st["rev"])
        if method == "GET" and rest == "packagerevisionresourceses/r1":
            return self.answer(200, st["prr"])
        if method == "PUT" and rest in ("packagerevisions/r1", "packagerevisions/r1/approval"):
            if st["conflicts"] > 0:
                st["conflicts"] -= 1
                st["rv"] += 1
                st["rev"]["metadata"]["resourceVersion"] = str(st["rv"])
                return self.answer(*conflict("packagerevisions.pkg.pkgserver.dev"))
            st["rev"] = body
            return self.answer(200, body)
        if method == "PUT" and rest == "packagerevisionresourceses/r1":
            if st["prr_conflict"]:
                return self.answer(*conflict("packagerevisionresourceses.pkg.pkgserver.dev"))
            st["prr"] = body
            return self.answer(200, body)
        return self.answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                 "code": 404, "message": "not found: " + u.path})
    def do_GET(self): self.handle_one("GET")
    def do_PUT(self): self.handle_one("PUT")
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
  rm -f fake.port
  python3 fake.py fake.port >fake.out 2>&1 &
  OCI_PIDS+=($!)
  trap e2e_cleanup EXIT
  local i
  for i in $(seq 1 100); do [[ -s fake.port ]] && break; sleep 0.05; done
  [[ -s fake.port ]] || fail "the stand-in API server did not start"
  cat >fake.kubeconfig <<Y
apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "http://127.0.0.1:$(cat fake.port)"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: fake, context: {cluster: fake, user: u}}]
current-context: fake
Y
}

# rpkg_fake STATE: resets the stand-in's object and log.
rpkg_fake() {
  curl -sS -X PUT -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$(cat fake.port)/_fake" >/dev/null
}

# rpkg_requests: "METHOD PATH" of each logged request, one a line.
rpkg_requests() {
  jq -r '.method + " " + (.path | sub("^/apis/pkg.pkgserver.dev/v1alpha1/namespaces/default/"; ""))' fake.log
}

test_rpkg_races() {
  rpkg_fake_api
  local kc=(--kubeconfig fake.kubeconfig)
  # One lost race: read again, write again.
  rpkg_fake '{"lifecycle": "draft", "conflicts": 1}'
  expect_exit 0 "$COZYPKG" rpkg propose r1 "${kc[@]}"
  contains err '✓ default/r1: draft → proposed'
  equals "$(rpkg_requests | tr '\n' ' ')" \
    "GET packagerevisions/r1 PUT packagerevisions/r1 GET packagerevisions/r1 PUT packagerevisions/r1 "
  # The second write carries what the second read gave, without tasks.
  equals "$(jq -sr '.[3].body | .metadata.resourceVersion + " " + .spec.lifecycle + " " + (has("tasks") or (.spec | has("tasks")) | tostring)' fake.log)" \
    "8 proposed false"
  # Two: the server's message, naming the object.
  rpkg_fake '{"lifecycle": "draft", "conflicts": 2}'
  expect_exit 1 "$COZYPKG" rpkg propose r1 "${kc[@]}"
  contains err 'cozypkg: propose default/r1: Operation cannot be fulfilled on packagerevisions.pkg.pkgserver.dev "r1"'
  equals "$(grep -c '"PUT"' fake.log)" 2
  # approve writes the approval subresource.
  rpkg_fake '{"lifecycle": "proposed"}'
  expect_exit 0 "$COZYPKG" rpkg approve r1 "${kc[@]}"
  equals "$(rpkg_requests | tr '\n' ' ')" "GET packagerevisions/r1 PUT packagerevisions/r1/approval "
  equals "$(jq -sr '.[1].body.spec.lifecycle' fake.log)" published
  rpkg_fake '{"lifecycle": "deletionProposed"}'
  expect_exit 0 "$COZYPKG" rpkg reject r1 "${kc[@]}"
  contains err '✓ default/r1: deletionProposed → published'
  # A push whose object changed since it was read is an error naming it.
  rpkg_fake '{"prr_conflict": true}'
  printf -- '--- path: Kptfile\nkind: Kptfile\n' | expect_exit 1 "$COZYPKG" rpkg push r1 "${kc[@]}"
  contains err 'PackageRevisionResources default/r1 changed since it was read (resourceVersion 7)'
  equals "$(jq -sr '.[1].body.metadata.resourceVersion + " " + (.[1].body.spec.resources | keys | join(","))' fake.log)" "7 Kptfile"
  # get sends the options as one field selector.
  rpkg_fake '{}'
  expect_exit 0 "$COZYPKG" rpkg get "${kc[@]}" --repository catalog --lifecycle published --realm nf/core
  equals "$(jq -r '.query.fieldSelector[0]' fake.log)" \
    "spec.packageRevID.repository=catalog,spec.packageRevID.realm=nf/core,spec.lifecycle=published"
}
t "rpkg: a lost race is read and written again once, then an error naming the object; approval subresource; one field selector" test_rpkg_races

# ---- GitOps: the install gate, history, rollback, pruning ---------------

RPKG_EX="$ROOT/examples/platform"
RPKG_PLATFORM=edge.deploy.platform.example

# rpkg_platform_dir DIR: the example platform as a deployment package, its
# PackageSources and Packages.
rpkg_platform_dir() {
  mkdir -p "$1/sources"
  printf 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: example}\n' >"$1/Kptfile"
  cp "$RPKG_EX"/packages/core/platform/sources/*.yaml "$1/sources/"
  cp "$RPKG_EX/packages.yaml" "$1/packages.yaml"
  echo 'a README is not an object' >"$1/README.md"
}

# rpkg_release WS DIR: the draft RPKG_PLATFORM.WS with DIR's files and the
# install gate, proposed and approved; prints nothing.
rpkg_release() {
  local name=$RPKG_PLATFORM.$1
  "$COZYPKG" rpkg init "$name" 2>/dev/null
  k patch packagerevision "$name" --type=merge \
    -p '{"spec":{"readinessGates":[{"conditionType":"pkg.pkgserver.dev/install"}]}}' >/dev/null
  "$COZYPKG" rpkg push "$name" "$2" 2>/dev/null
  "$COZYPKG" rpkg propose "$name" 2>/dev/null
  "$COZYPKG" rpkg approve "$name" 2>/dev/null
}

# rpkg_installed NAME: "status reason message" of NAME's install condition.
rpkg_installed() {
  k get packagerevision "$1" -o json |
    jq -r '.status.conditions[]? | select(.type == "pkg.pkgserver.dev/install") | "\(.status) \(.reason) \(.message)"'
}
rpkg_installed_is() { [[ $(rpkg_installed "$1") == "$2" ]]; }
rpkg_variant_is() {
  [[ $(k get package "$1" -o jsonpath='{.spec.variant}' 2>/dev/null) == "$2" ]]
}
rpkg_install_failed() { [[ $(rpkg_installed "$1") == False* ]]; }
rpkg_no_package() { ! k get package "$1" >/dev/null 2>&1; }
rpkg_hr_exists() { k get hr -n "$1" "$2" >/dev/null 2>&1; }

test_rpkg_gitops() {
  start_server
  rpkg_repo deploy --deployment
  rpkg_platform_dir v1
  # v1: the platform is installed from git and converges.
  rpkg_release ws1 v1
  wait_until 30 rpkg_installed_is "$RPKG_PLATFORM.ws1" "True Installed v1: 8 objects applied, 0 pruned"
  equals "$(k get packages -o name | sort | tr '\n' ' ')" \
    "package.cozystack.io/example.certs package.cozystack.io/example.crds package.cozystack.io/example.networking package.cozystack.io/example.webapp "
  contains_cmd() { k get package example.networking -o jsonpath='{.metadata.managedFields[*].manager}'; }
  contains_cmd | grep -qw cozypkg-install || fail "not applied by cozypkg-install: $(contains_cmd)"
  equals "$(k get package example.webapp -o jsonpath='{.metadata.annotations.pkg\.pkgserver\.dev/installed-by}')" \
    "default/$RPKG_PLATFORM"
  wait_until 30 rpkg_hr_exists tenant-demo webapp
  wait_until 30 rpkg_hr_exists example-cni cni
  # v2 changes a variant: the cluster follows.
  cp -r v1 v2
  sed -i 's/variant: cni/variant: noop/' v2/packages.yaml
  rpkg_release ws2 v2
  wait_until 30 rpkg_installed_is "$RPKG_PLATFORM.ws2" "True Installed v2: 8 objects applied, 0 pruned"
  wait_until 30 rpkg_variant_is example.networking noop
  wait_until 30 rpkg_installed_is "$RPKG_PLATFORM.ws1" "False Superseded v2 is installed"
  # v3 drops a Package: pruned, and only that one.
  cp -r v2 v3
  python3 - v3/packages.yaml <<'PY'
import sys
p = sys.argv[1]
docs = open(p).read().split('---\n')
open(p, 'w').write('---\n'.join(d for d in docs if 'name: example.webapp' not in d))
PY
  rpkg_release ws3 v3
  wait_until 30 rpkg_installed_is "$RPKG_PLATFORM.ws3" "True Installed v3: 7 objects applied, 1 pruned"
  wait_until 30 rpkg_no_package example.webapp
  k get package example.certs >/dev/null
  # An object someone else now owns is not pruned: the mark is gone.
  k annotate package example.certs pkg.pkgserver.dev/installed-by- >/dev/null
  # Rollback to v1 publishes v4 with v1's content: variant and Package back.
  expect_exit 0 "$COZYPKG" rpkg rollback "$RPKG_PLATFORM.ws3" --to v1
  contains err "✓ default/$RPKG_PLATFORM.rollback-v1-from-v3 published as v4 with the content of v1"
  wait_until 30 rpkg_installed_is "$RPKG_PLATFORM.rollback-v1-from-v3" "True Installed v4: 8 objects applied, 0 pruned"
  wait_until 30 rpkg_variant_is example.networking cni
  k get package example.webapp >/dev/null
  "$COZYPKG" rpkg pull "$RPKG_PLATFORM.ws1" >v1.txt
  "$COZYPKG" rpkg pull "$RPKG_PLATFORM.rollback-v1-from-v3" >v4.txt
  cmp v1.txt v4.txt || fail "v4 is not v1's content"
  # History: linear in git, the install condition per revision.
  expect_exit 0 "$COZYPKG" rpkg history "$RPKG_PLATFORM.ws2"
  equals "$(awk 'NR > 1 {print $1, $2, $6}' out | tr '\n' ' ')" \
    "v1 published False v2 published False v3 published False v4 published True "
  expect_exit 0 "$COZYPKG" rpkg history "$RPKG_PLATFORM.ws2" -o json
  equals "$(jq -r '[.items[].spec.packageRevID.revision] | join(",")' out)" "v1,v2,v3,v4"
  equals "$(git --git-dir srv/deploy.git rev-list --merges main | wc -l)" 0
  equals "$(git --git-dir srv/deploy.git log --format=%s main | grep -c '^Publish packages/edge/platform/example v')" 4
  expect_exit 0 "$COZYPKG" rpkg rollback "$RPKG_PLATFORM.ws2" --to v4
  contains err 'v4 is the latest revision already'
  expect_exit 1 "$COZYPKG" rpkg rollback "$RPKG_PLATFORM.ws2" --to v9
  contains err 'has no revision v9'
  expect_exit 2 "$COZYPKG" rpkg rollback "$RPKG_PLATFORM.ws2" --to latest
  contains err '--to: expected a revision vN'
  expect_exit 2 "$COZYPKG" rpkg rollback "$RPKG_PLATFORM.ws2" --to v1 --workspace Bad_WS
  # A broken revision is not installed, and the cluster keeps v4.
  cp -r v1 v5
  printf -- '---\napiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata: {name: [oops\n' >>v5/packages.yaml
  rpkg_release ws5 v5
  wait_until 30 rpkg_install_failed "$RPKG_PLATFORM.ws5"
  rpkg_installed "$RPKG_PLATFORM.ws5" | grep -q '^False InvalidResources v5: packages.yaml:[0-9]*:[0-9]*: ' ||
    fail "install condition: $(rpkg_installed "$RPKG_PLATFORM.ws5")"
  k get package example.webapp >/dev/null
  rpkg_installed_is "$RPKG_PLATFORM.rollback-v1-from-v3" "True Installed v4: 8 objects applied, 0 pruned"
}
t "rpkg: GitOps: a deployment package installed, v2 changes a variant, v3 prunes a Package, rollback to v1, history, a broken revision" test_rpkg_gitops

# rpkg_publish_gated NAME DIR: the draft NAME with DIR's files and the
# gates approve then install, proposed and approved.
rpkg_publish_gated() {
  "$COZYPKG" rpkg init "$1" 2>/dev/null
  k patch packagerevision "$1" --type=merge \
    -p '{"spec":{"readinessGates":[{"conditionType":"pkg.pkgserver.dev/approve"},{"conditionType":"pkg.pkgserver.dev/install"}]}}' >/dev/null
  "$COZYPKG" rpkg push "$1" "$2" 2>/dev/null
  "$COZYPKG" rpkg propose "$1" 2>/dev/null
  "$COZYPKG" rpkg approve "$1" 2>/dev/null
}

test_rpkg_install_refused() {
  start_server
  rpkg_repo notdeploy
  mkdir pkg
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-git}\ndata: {a: "1"}\n' >pkg/cm.yaml
  # A catalog revision is never installed, whatever its gates say.
  local name=edge.notdeploy.platform.cm.ws1
  rpkg_publish_gated "$name" pkg
  wait_until 30 rpkg_installed_is "$name" "False NotDeployment Repository notdeploy is not a deployment repository: only deployment revisions are installed"
  ! k get configmap from-git >/dev/null 2>&1 || fail "installed from a repository that is not a deployment"
  # In a deployment repository the gate before install must be True first.
  rpkg_repo deploy --deployment
  name=edge.deploy.platform.cm.ws1
  rpkg_publish_gated "$name" pkg
  wait_until 30 rpkg_installed_is "$name" "False Waiting waiting for pkg.pkgserver.dev/approve"
  ! k get configmap from-git >/dev/null 2>&1 || fail "installed before its gate"
  k get packagerevision "$name" -o json |
    jq '.status.conditions += [{"type":"pkg.pkgserver.dev/approve","status":"True","reason":"Approved","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]' >st.json
  k replace --subresource=status -f st.json >/dev/null
  wait_until 30 rpkg_installed_is "$name" "True Installed v1: 1 object applied, 0 pruned"
  equals "$(k get configmap from-git -o jsonpath='{.data.a}')" 1
  # The whole package proposed for deletion and deleted: nothing stays.
  "$COZYPKG" rpkg propose-delete "$name" 2>/dev/null
  "$COZYPKG" rpkg del "$name" 2>/dev/null
  wait_until 30 rpkg_no_configmap from-git
}
rpkg_no_configmap() { ! k get configmap "$1" >/dev/null 2>&1; }
t "rpkg: the install gate waits for the gate before it, refuses repositories that are not deployments, and uninstalls a deleted package" test_rpkg_install_refused
