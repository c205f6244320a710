# The dashboard (/ui/) in a real browser: Debian's chromium driven headless
# by playwright-core (tests/browser), against cozypkgd with the 99 real
# PackageSources and a Package for each.  Also the files' headers, the
# identity calls (/auth/whoami, /auth/session) and their bad input.

VIEWER_TOKEN=5f1e0c7a9b3d4e2f8a6b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f

# need_browser: the harness (npm ci in tests/browser) and chromium.
need_browser() {
  [[ -x /usr/bin/chromium ]] || fail "chromium is not installed (scripts/install-deps.sh)"
  if [[ ! -d $ROOT/tests/browser/node_modules/playwright-core ]]; then
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund >/dev/null 2>&1) || fail "npm ci in tests/browser failed"
  fi
}

browser() { # SCENARIO ARGS...
  node "$ROOT/tests/browser/dashboard.mjs" "$@"
}

dashboard_tokens() {
  printf '# token,user,uid,groups\n%s,viewer,1002,cozypkg:viewers\n' "$VIEWER_TOKEN" >tokens.csv
  chmod 600 tokens.csv
}

# platform_up [ARGS...]: cozypkgd with a viewer, the 99 real sources and a
# Package for each, every Package with its Ready condition.
platform_up() {
  need_fixtures
  need_browser
  dashboard_tokens
  start_server --token-file "$PWD/tokens.csv" "$@"
  k apply -f "$SOURCES" >/dev/null
  packages_for_all | k apply -f - >/dev/null
  wait_until 60 all_packages_have_ready
}

all_packages_have_ready() {
  k get packages -o json | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
ok = len(items) == 99 and all(any(c["type"] == "Ready" for c in (p.get("status") or {}).get("conditions", [])) for p in items)
sys.exit(0 if ok else 1)'
}

# expected_packages FILE: what kubectl lists, as the page's rows.
expected_packages() {
  k get packages -o json | python3 -c '
import json, sys
rows = []
for p in json.load(sys.stdin)["items"]:
    c = next((c for c in (p.get("status") or {}).get("conditions", []) if c["type"] == "Ready"), {})
    rows.append({"name": p["metadata"]["name"], "variant": (p.get("spec") or {}).get("variant", ""),
                 "ready": c.get("status", "Unknown"), "reason": c.get("reason", ""), "message": c.get("message", "")})
json.dump(rows, open(sys.argv[1], "w"))' "$1"
}

# expected_graph FILE: the nodes and edges of `cozypkg dot`, by name.
expected_graph() {
  "$COZYPKG" dot >graph.dot
  python3 - "$1" <<'PY'
import json, re, sys
attr = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
names, edges = {}, []
for line in open("graph.dot"):
    m = re.match(r'\s*(n\d+)\[(.*)\];', line)
    if m:
        names[m.group(1)] = dict(attr.findall(m.group(2)))["label"]
        continue
    m = re.match(r'\s*(n\d+)->(n\d+)(?:\[(.*)\])?;', line)
    if m:
        edges.append((m.group(1), m.group(2), dict(attr.findall(m.group(3) or "")).get("label", "")))
json.dump({"nodes": sorted(names.values()),
           "edges": [[names[a], names[b], l] for a, b, l in edges]}, open(sys.argv[1], "w"))
PY
}

test_dashboard_files() {
  dashboard_tokens
  start_server --controllers=none --token-file "$PWD/tokens.csv"
  curl -sS --cacert "$CA" -D headers -o index.html "$SERVER_URL/ui/"
  contains headers "HTTP/1.1 200"
  contains headers "Content-Type: text/html; charset=utf-8"
  contains headers "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';"
  contains headers "frame-ancestors 'none'"
  contains headers "X-Content-Type-Options: nosniff"
  contains index.html '<script type="module" src="app.js"></script>'
  lacks index.html "<script>"
  lacks index.html "style="
  curl -sS --cacert "$CA" -D headers -o /dev/null "$SERVER_URL/ui/app.js"
  contains headers "Content-Type: text/javascript; charset=utf-8"
  # Served without a token (they hold no data), and a wrong token does not
  # stop them either.
  equals "$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "$SERVER_URL/ui/style.css")" 200
  equals "$(curl -sS --cacert "$CA" -H 'Authorization: Bearer nope' -o /dev/null -w '%{http_code}' "$SERVER_URL/ui/")" 200
  curl -sS --cacert "$CA" -D headers -o /dev/null "$SERVER_URL/ui"
  contains headers "HTTP/1.1 301"
  contains headers "Location: /ui/"
  equals "$(curl -sS --cacert "$CA" -I -o /dev/null -w '%{http_code}' "$SERVER_URL/ui/app.js")" 200
}

test_dashboard_bad_input() {
  dashboard_tokens
  start_server --controllers=none --token-file "$PWD/tokens.csv"
  local path
  for path in /ui/nope.js /ui/../version /ui/..%2fversion /ui/%2e%2e/version /ui/.hidden \
              /ui/a/index.html /ui//index.html /ui/$(printf 'a%.0s' {1..300}).js; do
    equals "$(curl -sS --path-as-is --cacert "$CA" -o body -w '%{http_code}' "$SERVER_URL$path")" 404 || fail "$path"
  done
  contains body '"reason":"NotFound"'
  for m in POST PUT DELETE PATCH; do
    equals "$(curl -sS --cacert "$CA" -X $m -o body -w '%{http_code}' "$SERVER_URL/ui/")" 405
  done
  contains body '"reason":"MethodNotAllowed"'
  # The identity calls need a token.
  equals "$(curl -sS --cacert "$CA" -X POST -o body -w '%{http_code}' "$SERVER_URL/auth/session")" 401
  equals "$(curl -sS --cacert "$CA" -o body -w '%{http_code}' "$SERVER_URL/auth/whoami")" 401
  equals "$(curl -sS --cacert "$CA" -H 'Authorization: Bearer wrong' -o body -w '%{http_code}' "$SERVER_URL/auth/whoami")" 401
  equals "$(api_code GET /auth/session)" 405
  equals "$(api_code DELETE /auth/whoami)" 405
  for q in 0 -1 901 abc 1e3 "" 99999999999999999999; do
    equals "$(api_code POST "/auth/session?expirationSeconds=$q")" 400 || fail "expirationSeconds=$q"
  done
  contains body "expirationSeconds must be a whole number from 1 to 900"
  head -c 4000000 /dev/zero | tr '\0' x >big
  equals "$(api_code POST /auth/session --data-binary @big)" 413
  equals "$(api_code POST /auth/session -H 'Content-Type: application/json' --data-binary '{not json')" 201
}

test_dashboard_identity_calls() {
  dashboard_tokens
  start_server --controllers=none --token-file "$PWD/tokens.csv"
  api GET /auth/whoami >out
  contains out '"user":"admin"'
  contains out '"packages.delete":true'
  curl -sS --cacert "$CA" -H "Authorization: Bearer $VIEWER_TOKEN" "$SERVER_URL/auth/whoami" >out
  contains out '"user":"viewer","groups":["cozypkg:viewers"],"session":false'
  contains out '"packages.delete":false'
  contains out '"secrets.list":false'
  contains out '"packagerevisions.approval":false'
  # A session of the viewer's own identity, which cannot mint another.
  curl -sS --cacert "$CA" -X POST -H "Authorization: Bearer $VIEWER_TOKEN" "$SERVER_URL/auth/session?expirationSeconds=2" >session.json
  local tok
  tok=$(python3 -c 'import json,sys;print(json.load(open("session.json"))["token"])')
  [[ ${#tok} -eq 64 && $tok != "$VIEWER_TOKEN" ]] || fail "session token $tok"
  curl -sS --cacert "$CA" -H "Authorization: Bearer $tok" "$SERVER_URL/auth/whoami" >out
  contains out '"user":"viewer","groups":["cozypkg:viewers"],"session":true'
  equals "$(curl -sS --cacert "$CA" -X POST -H "Authorization: Bearer $tok" -o body -w '%{http_code}' "$SERVER_URL/auth/session")" 403
  contains body "a session token cannot issue another session token"
  equals "$(curl -sS --cacert "$CA" -H "Authorization: Bearer $tok" -o /dev/null -w '%{http_code}' "$SERVER_URL/api/v1/namespaces/default/secrets")" 403
  sleep 3
  equals "$(curl -sS --cacert "$CA" -H "Authorization: Bearer $tok" -o /dev/null -w '%{http_code}' "$SERVER_URL/auth/whoami")" 401
}

test_dashboard_login() {
  platform_up
  browser login
}

test_dashboard_packages_view() {
  platform_up
  sleep 2 # let the controllers settle, so that kubectl and the page see the same
  expected_packages want.json
  browser packages want.json
}

test_dashboard_graph() {
  platform_up
  expected_graph want.json
  equals "$(python3 -c 'import json;print(len(json.load(open("want.json"))["nodes"]))')" \
         "$(k get packagesources -o name | wc -l)"
  browser graph want.json cozystack.cert-manager
}

# The page follows a kubectl patch within 2 s, and after cozypkgd restarts
# (the watch stream drops) it resumes from its last resourceVersion.
test_dashboard_live() {
  platform_up
  local port=${SERVER_URL##*:}
  cat >restart.sh <<EOF
kill -TERM $SERVER_PID
while kill -0 $SERVER_PID 2>/dev/null; do sleep 0.05; done
"$BUILD/cozypkgd" --data "$PWD/data" --listen 127.0.0.1:$port --token-file "$PWD/tokens.csv" >>"$PWD/.srv/stdout" 2>>"$PWD/.srv/log" &
echo \$! >"$PWD/restarted.pid"
for i in \$(seq 1 100); do
  curl -s --cacert "$CA" -o /dev/null "$SERVER_URL/readyz" && exit 0
  sleep 0.05
done
exit 1
EOF
  browser live cozystack.networking cilium noop "$PWD/restart.sh" >out || { cat out; SERVER_PID=$(cat restarted.pid 2>/dev/null); false; }
  cat out
  # The restarted server is no child of this shell: stop it by its pid.
  local pid
  pid=$(cat restarted.pid)
  SERVER_PID=
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

test_dashboard_viewer() {
  platform_up
  browser viewer "$VIEWER_TOKEN" cozystack.cert-manager
}

# A proposed package revision in a git repository (docs/revisions.md):
# approvers get the Approve button, authors do not.
test_dashboard_approve() {
  need_browser
  local git=(git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main)
  "${git[@]}" init -q --bare cat.git
  "${git[@]}" init -q work
  mkdir -p work/packages/nf/example
  printf 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: example}\n' >work/packages/nf/example/Kptfile
  "${git[@]}" -C work add -A && "${git[@]}" -C work commit -qm v1
  "${git[@]}" -C work tag packages/nf/example/v1
  "${git[@]}" -C work push -q "$PWD/cat.git" main --tags
  cat >tokens.csv <<T
author-token-0123456789abcdef0123456789,alice,u2,"cozypkg:authors"
approver-token-0123456789abcdef012345678,bob,u3,"cozypkg:approvers"
T
  start_server --controllers=none --token-file "$PWD/tokens.csv"
  k apply -f - >/dev/null <<Y
apiVersion: config.pkg.pkgserver.dev/v1alpha1
kind: Repository
metadata: {name: catalog, namespace: default}
spec: {deployment: false, git: {url: "file://$PWD/cat.git", directory: packages}}
---
apiVersion: pkg.pkgserver.dev/v1alpha1
kind: PackageRevision
metadata: {name: catalog.catalog.nf.example.ws1, namespace: default}
spec:
  packageRevID: {target: catalog, repository: catalog, realm: nf, package: example, workspace: ws1}
  lifecycle: draft
  tasks: [{type: init}]
Y
  k patch packagerevision -n default catalog.catalog.nf.example.ws1 --type=merge -p '{"spec":{"lifecycle":"proposed"}}' >/dev/null
  browser approve approver-token-0123456789abcdef012345678 author-token-0123456789abcdef0123456789 \
    catalog.catalog.nf.example.ws1
  equals "$(k get packagerevision -n default catalog.catalog.nf.example.ws1 -o jsonpath='{.spec.lifecycle} {.spec.packageRevID.revision}')" "published v2"
}

test_dashboard_markup_is_text() {
  platform_up
  k patch package cozystack.hami --type=merge \
    -p '{"spec":{"variant":"<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"}}' >/dev/null
  wait_until 10 bash -c "kubectl get package cozystack.hami -o jsonpath='{.status.conditions[0].message}' | grep -qF '<script>'"
  browser xss cozystack.hami '<script>window.__xss=1</script><img src=x onerror=window.__xss=2>'
}

test_dashboard_command() {
  platform_up
  expect_exit 0 "$COZYPKG" dashboard --help
  contains out "Print a link to cozypkgd's web dashboard"
  expect_exit 2 "$COZYPKG" dashboard --expire 1h
  expect_exit 2 "$COZYPKG" dashboard extra
  expect_exit 0 "$COZYPKG" dashboard
  local url tok
  url=$(cat out)
  [[ $url == "$SERVER_URL/ui/#token="* ]] || fail "link $url"
  tok=${url##*#token=}
  [[ ${#tok} -eq 64 && $tok != "$TOKEN" ]] || fail "the link carries the admin token"
  contains err "until"
  browser link "$url" admin 0
  # A viewer's link signs in as the viewer.
  sed "s/token: .*/token: $VIEWER_TOKEN/" "$KUBECONFIG" >viewer.kubeconfig
  expect_exit 0 "$COZYPKG" dashboard --kubeconfig viewer.kubeconfig --expire 10s
  url=$(cat out)
  curl -sS --cacert "$CA" -H "Authorization: Bearer ${url##*#token=}" "$SERVER_URL/auth/whoami" >who
  contains who '"user":"viewer","groups":["cozypkg:viewers"],"session":true'
  browser link "$url" viewer 10000
  equals "$(curl -sS --cacert "$CA" -H "Authorization: Bearer ${url##*#token=}" -o /dev/null -w '%{http_code}' "$SERVER_URL/auth/whoami")" 401
}

# The watch streams dropped under the open page (its test hook, no
# restart): each resumes from the last resourceVersion, and a change made
# meanwhile shows within 2 s.
test_dashboard_resume() {
  platform_up
  browser resume cozystack.networking cilium
}

# dash_index DIR: three entries in a directory index: acme-platform
# (pinned and key-signed, pushed to $REG), acme-mirror (another URL, the
# same tap name) and one whose text is markup.
dash_index() {
  mkdir -p "$1/entries"
  market_signed_entry "$1/entries/acme-platform.yaml" "$2"
  printf '%s\n' "name: acme-mirror" "ociRef: $REG/mirror/acme/platform" "version: v1.0.0" \
    "description: A mirror of the example platform" "maintainer: acme" "tags: [example, mirror]" \
    >"$1/entries/acme-mirror.yaml"
  printf '%s\n' "name: odd-markup" "ociRef: $REG/odd/markup" "version: v1" \
    "description: '<img src=x onerror=window.__xss=1><script>window.__xss=2</script>'" \
    "maintainer: '<b>odd</b>'" >"$1/entries/odd-markup.yaml"
}

# dash_tap_objects FILE: the tap's OCIRepository (labels, spec) and key
# Secret (labels, type, data) as they are on the cluster.
dash_tap_objects() {
  {
    k get ocirepository -n cozy-system tap-acme-platform -o json
    k get secret -n cozy-system tap-acme-platform-cosign -o json
  } | python3 -c '
import json, sys
dec = json.JSONDecoder(); text = sys.stdin.read(); objs = []; i = 0
while i < len(text):
    if text[i].isspace(): i += 1; continue
    o, i = dec.raw_decode(text, i); objs.append(o)
repo, sec = objs
json.dump({"labels": repo["metadata"].get("labels"), "spec": repo["spec"],
           "secret": {"labels": sec["metadata"].get("labels"), "type": sec.get("type"), "data": sec.get("data")}},
          open(sys.argv[1], "w"), indent=1, sort_keys=True)' "$1"
}

test_dashboard_marketplace() {
  need_browser
  start_registry plain
  dashboard_tokens
  "$COZYPKG" keygen --output-key-prefix signer >/dev/null 2>&1
  local d term
  d=$("$COZYPKG" push --insecure --path "$ROOT/examples/platform" --source https://example.org/acme \
    --revision "r@sha1:0" "oci://$REG/acme/platform:v1.0.0" 2>/dev/null)
  "$COZYPKG" sign --insecure --key signer.key "oci://$REG/acme/platform:v1.0.0" >/dev/null 2>&1
  dash_index ix "$d"
  expect_exit 0 "$COZYPKG" index validate ix
  start_server --token-file "$PWD/tokens.csv" --index "$PWD/ix" --index-insecure
  export COZYPKG_INDEX=$PWD/ix
  # The server's answer is cozypkg search's (the page shows TAPPED from
  # the OCIRepositories it follows), each entry with what a tap writes.
  echo '{}' >want.json
  for term in "" platform mirror MARKUP nothing; do
    "$COZYPKG" search -o json ${term:+"$term"} >cli.json
    api GET "/market/search?q=$term" >srv.json
    python3 - "$term" <<'PY' || fail "search \"$term\": the server and cozypkg search differ"
import json, sys
term = sys.argv[1]
cli = json.load(open("cli.json"))["items"]
srv = json.load(open("srv.json"))
assert srv["kind"] == "MarketSearch", srv
items = srv["items"]
strip = lambda es, k: [{f: v for f, v in e.items() if f != k} for e in es]
if strip(cli, "tapped") != strip(items, "tap"):
    print("cli:", strip(cli, "tapped"), "\nsrv:", strip(items, "tap"), file=sys.stderr)
    sys.exit(1)
for e in items:
    assert e["tap"]["objects"][-1]["kind"] == "OCIRepository", e
want = json.load(open("want.json"))
want[term] = cli
json.dump(want, open("want.json", "w"))
PY
  done
  api GET "/market/search?q=acme-platform" >srv.json
  equals "$(jq -r '.items[0].name + " " + .items[0].tap.name + " " + .items[0].signing.key[0:26]' srv.json)" \
    "acme-platform tap-acme-platform -----BEGIN PUBLIC KEY-----"
  browser market "$VIEWER_TOKEN" want.json acme-platform acme-mirror
  # The page's tap: the key's Secret and the OCIRepository pinned to the
  # digest and verified; the cluster stores the signed revision and the
  # tap controller applies the PackageSources it declares.
  equals "$(k get ocirepository -n cozy-system tap-acme-platform -o jsonpath='{.spec.url} {.spec.ref.digest} {.spec.verify.provider} {.spec.verify.secretRef.name}')" \
    "oci://$REG/acme/platform $d cosign tap-acme-platform-cosign"
  local n
  for n in example.certs example.crds example.networking example.webapp; do
    wait_until 60 bash -c "kubectl get packagesource $n -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True" ||
      fail "PackageSource $n not Ready"
  done
  equals "$(k get packagesource example.webapp -o jsonpath='{.metadata.labels.apps\.cozystack\.io/marketplace-tap}')" tap-acme-platform
  # The CLI writes the same objects: tapped again from nothing by
  # `cozypkg tap NAME`, they are equal field for field.
  dash_tap_objects page.json
  k delete ocirepository -n cozy-system tap-acme-platform >/dev/null
  k delete secret -n cozy-system tap-acme-platform-cosign >/dev/null
  expect_exit 0 "$COZYPKG" tap --insecure acme-platform
  dash_tap_objects cli.json
  diff -u cli.json page.json || fail "the page's tap differs from cozypkg tap's"
  # Adding a Package from the page.
  browser add "$VIEWER_TOKEN" example.webapp default '{"webapp": {"enabled": "yes"}}'
}

# /market/search's bad input, and an index that cannot be read.
test_dashboard_market_bad_input() {
  dashboard_tokens
  start_server --controllers=none --token-file "$PWD/tokens.csv" --index "$PWD/nowhere"
  equals "$(curl -sS --cacert "$CA" -o body -w '%{http_code}' "$SERVER_URL/market/search?q=x")" 401
  equals "$(curl -sS --cacert "$CA" -H 'Authorization: Bearer wrong' -o body -w '%{http_code}' "$SERVER_URL/market/search?q=x")" 401
  equals "$(api_code GET /market/search)" 400
  contains body 'q is required'
  equals "$(api_code GET "/market/search?q=$(printf 'a%.0s' {1..257})")" 400
  contains body 'q is longer than 256 bytes'
  equals "$(api_code POST "/market/search?q=x")" 405
  equals "$(api_code DELETE "/market/search?q=x")" 405
  equals "$(api_code GET "/market/search/more?q=x")" 404
  # Any authenticated user may search; an absent index is a clear error.
  equals "$(curl -sS --cacert "$CA" -H "Authorization: Bearer $VIEWER_TOKEN" -o body -w '%{http_code}' "$SERVER_URL/market/search?q=x")" 503
  contains body '"reason":"ServiceUnavailable"'
  contains body "cannot read the marketplace index: $PWD/nowhere"
  api GET /auth/whoami >out
  contains out '"ocirepositories.create":true'
  curl -sS --cacert "$CA" -H "Authorization: Bearer $VIEWER_TOKEN" "$SERVER_URL/auth/whoami" >out
  contains out '"ocirepositories.create":false'
  contains out '"secrets.create":false'
  need_browser
  browser market_error "$(cat body | jq -r .message)"
  # The location follows the CLI's order: COZYPKG_INDEX without --index.
  stop_server
  mkdir -p ix/entries
  printf '%s\n' "name: solo" "ociRef: example.org/solo/pkgs" "version: v1" "description: d" "maintainer: m" >ix/entries/solo.yaml
  COZYPKG_INDEX=$PWD/ix start_server --controllers=none --token-file "$PWD/tokens.csv"
  equals "$(api GET "/market/search?q=" | jq -r '[.items[].name] | join(",")')" solo
}

test_dashboard_screenshots() {
  local reg=registry.example
  mkdir -p ix/entries
  printf '%s\n' "name: acme-platform" "ociRef: $reg/acme/platform" "version: v1.0.0" \
    "description: Example platform packages, a web application with its certificates and network" \
    "maintainer: Acme <ops@acme.example>" "tags: [example]" >ix/entries/acme-platform.yaml
  printf '%s\n' "name: beta-databases" "ociRef: $reg/beta/databases" "version: v2.3.1" \
    "description: Managed PostgreSQL and Redis for tenants" "maintainer: Beta DB team" "tags: [database]" \
    "signing:" "  identity: https://github.com/beta/databases/.github/workflows/release.yaml@refs/heads/main" \
    "  issuer: https://token.actions.githubusercontent.com" >ix/entries/beta-databases.yaml
  platform_up --index "$PWD/ix"
  local dir=${DASHBOARD_SCREENSHOTS:-$ROOT/docs/img}
  mkdir -p "$dir"
  k patch package cozystack.hami --type=merge -p '{"spec":{"variant":"gpu-missing"}}' >/dev/null
  sleep 1
  browser screenshots "$dir" cozystack.kubevirt
  for v in login packages package graph sources revisions marketplace; do
    [[ -s $dir/dashboard-$v.png ]] || fail "no screenshot of $v"
  done
}

t "dashboard: the files, their security headers, served without a token" test_dashboard_files
t "dashboard: unknown files, traversal, methods, bad expirationSeconds, oversized bodies" test_dashboard_bad_input
t "dashboard: whoami and session tokens of the caller's identity that expire" test_dashboard_identity_calls
t "dashboard: sign in with a token; a wrong token is refused with a message" test_dashboard_login
t "dashboard: the Packages view lists what kubectl lists" test_dashboard_packages_view
t "dashboard: the graph has the nodes and edges of cozypkg dot; a click opens the Package" test_dashboard_graph
t "dashboard: a kubectl patch shows within 2 s, also after the watch stream drops" test_dashboard_live
t "dashboard: a viewer requests no Secret and sees no action button" test_dashboard_viewer
t "dashboard: approvers approve a proposed package revision; authors get no button" test_dashboard_approve
t "dashboard: markup in a message is shown as text" test_dashboard_markup_is_text
t "dashboard: cozypkg dashboard links sign in as the caller and expire" test_dashboard_command
t "dashboard: a dropped watch stream resumes from the last resourceVersion" test_dashboard_resume
t "dashboard: marketplace search equals cozypkg search; tap as cozypkg tap does; add a Package" test_dashboard_marketplace
t "dashboard: /market/search's bad input, an unreadable index, the location order" test_dashboard_market_bad_input
t "dashboard: screenshots of every view" test_dashboard_screenshots
