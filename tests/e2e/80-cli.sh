# The cozypkg CLI against real cozypkgd processes: add, list, del, dot and
# status, with prompts answered through a real terminal (tmux).

# --- helpers ---------------------------------------------------------------

# real_cluster [ARGS...]: cozypkgd with the 99 real PackageSources.
real_cluster() {
  need_fixtures
  start_server "$@"
  k apply -f "$SOURCES" >/dev/null
}

# union_deps_json: {"pkg": [deps over all variants]} of the cluster's sources.
union_deps_json() {
  k get packagesources -o json | python3 -c '
import json, sys
out = {}
for s in json.load(sys.stdin)["items"]:
    deps = []
    for v in s["spec"].get("variants", []):
        for d in v.get("dependsOn", []) or []:
            if d not in deps:
                deps.append(d)
    out[s["metadata"]["name"]] = deps
print(json.dumps(out))' >deps.json
}

# check_order FILE MARK dependencies|dependents: the package names on the
# lines of FILE that start with MARK come in an order where each one's
# dependencies (or dependents) among them come before it.
check_order() {
  union_deps_json
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, mark, way = sys.argv[1:]
deps = json.load(open("deps.json"))
names = [l.split(mark, 1)[1].split()[0] for l in open(path) if mark in l]
pos = {n: i for i, n in enumerate(names)}
assert names, "no lines with " + mark
for n in names:
    for d in deps.get(n, []):
        if d not in pos:
            continue
        if way == "dependencies" and pos[d] > pos[n]:
            sys.exit("%s came before its dependency %s" % (n, d))
        if way == "dependents" and pos[d] < pos[n]:
            sys.exit("%s was deleted after its dependent %s" % (d, n))
print(len(names))
PY
}

# In a tmux session (a real terminal on stdin): run CMD, its output and
# prompts copied to ./NAME.log, its exit status to ./NAME.status.
TMUX_SOCK=
pty_start() {
  local name=$1; shift
  TMUX_SOCK="$PWD/tmux.sock"
  printf '%q ' "$@" >"$name.cmd"
  tmux -S "$TMUX_SOCK" new-session -d -s "$name" -x 220 -y 50 \
    "cd $PWD; export KUBECONFIG=$KUBECONFIG; bash $name.cmd 2>&1 | tee $name.log; echo \${PIPESTATUS[0]} >$name.status; sleep 30"
}
pty_stop() {
  [[ -n $TMUX_SOCK ]] && tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
  return 0
}
# pty_prompts NAME PATTERN: how many prompts matching PATTERN were shown.
pty_prompts() { grep -oF -- "$2" "$1.log" 2>/dev/null | wc -l; }
# pty_wait_prompt NAME PATTERN N: waits until the N-th such prompt is on the
# screen (capture-pane, which drops trailing blanks) and in the log.
pty_wait_prompt() {
  local i
  for i in $(seq 1 200); do
    if (($(pty_prompts "$1" "$2") >= $3)) &&
       tmux -S "$TMUX_SOCK" capture-pane -p -t "$1" | grep -qF -- "${2% }"; then
      return 0
    fi
    [[ -f $1.status ]] && fail "$1 exited before prompt $3 ($2)"
    sleep 0.05
  done
  fail "no prompt $2 #$3 in $1"
}
pty_send() { tmux -S "$TMUX_SOCK" send-keys -t "$1" "$2" Enter; }
pty_wait_exit() {
  wait_until 30 test -s "$1.status"
  cat "$1.status"
}

# --- add ------------------------------------------------------------------

# Answers every variant prompt of `cozypkg add` in the terminal: a wrong
# number first for cozystack.networking, then cilium; the first variant
# for the other real choices; Enter where there is one variant.
answer_add_prompts() {
  local asked=0 n line bad_done=0
  while [[ ! -s add.status ]]; do
    n=$(pty_prompts add 'Select variant')
    if ((n > asked)); then
      line=$(grep -o 'Select variant [^:]*:' add.log | tail -1)
      case $line in
        *'(1-6):') if ((bad_done == 0)); then pty_send add 9; bad_done=1; else pty_send add 2; fi ;;
        *'(1-'*) pty_send add 1 ;;
        *'[1]:') pty_send add '' ;;
      esac
      asked=$n
    fi
    sleep 0.05
  done
}

test_add_deep_package_through_prompts() {
  real_cluster
  trap 'pty_stop; stop_operators && stop_server || exit 1' EXIT
  pty_start add "$COZYPKG" add cozystack.vm-disk-application
  answer_add_prompts
  equals "$(pty_wait_exit add)" 0
  # The reference's prompt text, the invalid answer and the retry.
  contains add.log "Installing cozystack.vm-disk-application and its dependencies..."
  contains add.log "PackageSource: cozystack.networking"
  contains add.log "Available variants:"
  contains add.log "  2. cilium"
  contains add.log "Select variant (1-6): "
  contains add.log "Select variant [1]: "
  equals "$(grep -c 'Invalid choice. Please enter a number between 1 and 6.' add.log)" 1
  # Every prompt came before the first Package was created.
  python3 - <<'PY'
log = open("add.log").read()
assert log.rindex("Select variant") < log.index("Added Package"), \
    "a Package was created before the last prompt"
PY
  equals "$(check_order add.log '✓ Added Package ' dependencies)" 22
  equals "$(k get package cozystack.networking -o jsonpath='{.spec.variant}')" cilium
  equals "$(k get packages -o name | wc -l)" 22
  # A second add reports what is installed and creates nothing.
  expect_exit 0 "$COZYPKG" add cozystack.vm-disk-application </dev/null
  contains err "✓ cozystack.networking (already installed, variant: cilium)"
  lacks err "Added Package"
}
t "cli: add of a deep package installs its chain in order through the prompts" test_add_deep_package_through_prompts

# The flags that answer prompts for scripts: networking and the two other
# real choices of the vm-disk chain.
VM_DISK_VARIANTS=(--variant cozystack.networking=cilium
                  --variant cozystack.cozystack-engine=default
                  --variant cozystack.monitoring-application=default)

test_add_without_terminal() {
  real_cluster
  # A real choice without a terminal fails at once and creates nothing.
  expect_exit 2 "$COZYPKG" add cozystack.vm-disk-application </dev/null
  contains err "cozypkg: PackageSource cozystack.networking has 6 variants (noop, cilium, cilium-kilo, cilium-generic, kubeovn-cilium, kubeovn-cilium-generic) and stdin is not a terminal: choose one with --variant cozystack.networking=VARIANT"
  equals "$(k get packages -o name | wc -l)" 0
  # A single-variant source needs no answer.
  expect_exit 0 "$COZYPKG" add cozystack.cert-manager --variant cozystack.networking=noop </dev/null
  contains err "PackageSource cozystack.gateway-api-crds: variant default (its only one)"
  equals "$(k get package cozystack.networking -o jsonpath='{.spec.variant}')" noop
  # A wrong variant or a flag for a package outside the tree is a usage error.
  expect_exit 2 "$COZYPKG" add cozystack.keycloak --variant cozystack.keycloak=nope </dev/null
  contains err 'PackageSource cozystack.keycloak has no variant "nope" (it has: default)'
  expect_exit 2 "$COZYPKG" add cozystack.keycloak --variant cozystack.kubevirt=default </dev/null
  contains err "cozystack.kubevirt is not among the packages to add"
  lacks out "x"
  expect_exit 2 "$COZYPKG" add --variant x </dev/null
  contains err "--variant: expected PKG=VARIANT"
  expect_exit 2 "$COZYPKG" add </dev/null
  contains err "no packages specified"
  # An unknown package: one line, exit 1, nothing created.
  expect_exit 1 "$COZYPKG" add cozystack.nope </dev/null
  equals "$(cat err)" "cozypkg: failed to get PackageSource cozystack.nope: not found"
}
t "cli: add without a terminal: one-variant sources, --variant, usage errors" test_add_without_terminal

test_add_dry_run_and_wait() {
  real_cluster
  expect_exit 0 "$COZYPKG" add cozystack.vm-disk-application --dry-run "${VM_DISK_VARIANTS[@]}" </dev/null
  contains out "Packages to add, in install order:"
  contains out "HelmReleases they would give (31):"
  contains out "cozy-keycloak                    keycloak"
  equals "$(k get packages -o name | wc -l)" 0
  # The dry run's HelmReleases are the engine's: the same as render gives
  # for the same Packages.
  expect_exit 0 "$COZYPKG" add cozystack.vm-disk-application --dry-run -o json "${VM_DISK_VARIANTS[@]}" </dev/null
  mv out plan.json
  python3 - <<'PY' >pkgs.yaml
import json
for o in json.load(open("plan.json"))["items"]:
    if o["kind"] == "Package":
        print("---"); print(json.dumps(o))
PY
  "$COZYPKG" render -f "$SOURCES" -f pkgs.yaml -o json >render.json 2>/dev/null
  python3 - <<'PY'
import json
plan = [o for o in json.load(open("plan.json"))["items"] if o["kind"] == "HelmRelease"]
rend = [o for o in json.load(open("render.json"))["items"] if o["kind"] == "HelmRelease"]
key = lambda o: (o["metadata"]["namespace"], o["metadata"]["name"])
assert len(plan) == 31, len(plan)
assert sorted(map(key, plan)) == sorted(map(key, rend)), "different HelmReleases"
r = {key(o): o["spec"] for o in rend}
for o in plan:
    assert o["spec"] == r[key(o)], key(o)
PY
  # --wait returns once every added Package is Ready.
  expect_exit 0 "$COZYPKG" add cozystack.vm-disk-application --wait --timeout 60s "${VM_DISK_VARIANTS[@]}" </dev/null
  contains err "Waiting for 22 Package(s) to become Ready..."
  contains err "✓ cozystack.vm-disk-application is Ready"
  equals "$(k get packages -o jsonpath='{range .items[*]}{.status.conditions[0].status}{"\n"}{end}' | sort -u)" True
}
t "cli: add --dry-run equals render; --wait returns when all are Ready" test_add_dry_run_and_wait

test_add_wait_times_out() {
  start_server
  cat >src.yaml <<'EOF'
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: w.slow}
spec:
  sourceRef: {kind: OCIRepository, name: pkgs, namespace: cozy-system}
  variants:
  - name: default
    dependsOn: [w.absent]
    components:
    - {name: c, path: c, install: {namespace: w}}
EOF
  k apply -f src.yaml >/dev/null
  # The dependency's source is missing: add refuses before creating.
  expect_exit 1 "$COZYPKG" add w.slow </dev/null
  contains err "cozypkg: PackageSource w.absent not found (required by w.slow)"
  equals "$(wc -l <err)" 2
  # Created by hand, w.slow waits on w.absent forever: --wait gives up.
  k create -f - >/dev/null <<'EOF'
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: w.slow}
EOF
  printf 'apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata: {name: w.other}\n' >p.yaml
  cat >>src.yaml <<'EOF'
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: w.other}
spec:
  sourceRef: {kind: OCIRepository, name: pkgs, namespace: cozy-system}
  variants:
  - name: default
    dependsOn: [w.slow]
    components:
    - {name: c, path: c, install: {namespace: w}}
EOF
  k apply -f src.yaml >/dev/null
  expect_exit 1 "$COZYPKG" add -f p.yaml --wait --timeout 1500ms </dev/null
  contains err "✓ Added Package w.other"
  contains err "cozypkg: timed out after 1.5s; not Ready:"
  contains err "w.other: Ready=False DependenciesNotReady"
}
t "cli: add: missing dependency source, verbatim -f, --wait timeout" test_add_wait_times_out

test_add_file_values_checked() {
  start_server
  local ex=$ROOT/examples/platform
  k apply --server-side -f "$ex/packages/core/platform/sources" >/dev/null
  cat >bad.yaml <<'EOF'
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata:
  name: example.webapp
spec:
  components:
    webapp:
      values:
        replicas: "three"
        image: {tag: "1.25", color: blue}
EOF
  expect_exit 2 "$COZYPKG" add -f bad.yaml --source-dir "$ex/packages" </dev/null
  contains err "bad.yaml:1: spec.components.webapp.values.replicas: expected integer, got string \"three\""
  contains err 'spec.components.webapp.values.image: property "color" is not allowed'
  contains err "nothing was created"
  equals "$(k get packages -o name | wc -l)" 0
  # The example's own Packages pass, and are created as written.
  expect_exit 0 "$COZYPKG" add -f "$ex/packages.yaml" --source-dir "$ex/packages" --wait --timeout 60s </dev/null
  contains err "✓ Added Package example.webapp"
  equals "$(k get package example.webapp -o jsonpath='{.spec.components.webapp.values.replicas}')" 2
  equals "$(k get package example.networking -o jsonpath='{.spec.variant}')" cni
}
t "cli: add -f: values checked against values.schema.json, then created verbatim" test_add_file_values_checked

# --- list, dot, status ------------------------------------------------------

# Every PackageSource has its Ready condition.
all_sources_have_status() {
  [[ -z $(k get packagesources -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[0].status}{"\n"}{end}' | awk 'NF < 2') ]]
}

test_list_and_dot_golden() {
  real_cluster
  wait_until 20 all_sources_have_status
  expect_exit 0 "$COZYPKG" list
  golden list.txt out
  expect_exit 0 "$COZYPKG" list --components
  golden list-components.txt out
  expect_exit 0 "$COZYPKG" list -o wide
  contains out "NAME"
  contains out "OCIRepository/cozystack-packages"
  expect_exit 0 "$COZYPKG" list -o json
  equals "$(python3 -c 'import json;print(len(json.load(open("out"))["items"]))')" 99
  expect_exit 0 "$COZYPKG" dot
  golden dot.dot out
  dot -Tsvg out >graph.svg
  # The cluster's graph is the one the files describe.
  "$COZYPKG" dot --offline -f "$SOURCES" >offline.dot
  diff -u offline.dot out
  expect_exit 0 "$COZYPKG" dot --components cozystack.keycloak
  golden dot-keycloak-components.dot out
  dot -Tsvg out >/dev/null
  expect_exit 1 "$COZYPKG" dot cozystack.nope
  contains err "PackageSource cozystack.nope not found"
  # Installed packages.
  "$COZYPKG" add cozystack.keycloak --variant cozystack.networking=cilium --wait --timeout 60s </dev/null 2>/dev/null
  expect_exit 0 "$COZYPKG" list -i --components
  golden list-installed.txt out
  expect_exit 0 "$COZYPKG" dot -i
  golden dot-installed.dot out
}
t "cli: list and dot of the 99 real sources equal the golden files" test_list_and_dot_golden

test_status() {
  real_cluster
  "$COZYPKG" add cozystack.keycloak --variant cozystack.networking=cilium --wait --timeout 60s </dev/null 2>/dev/null
  expect_exit 0 "$COZYPKG" status cozystack.keycloak
  contains out "Package:  cozystack.keycloak"
  contains out "Ready:    True  ReconciliationSucceeded: reconciliation succeeded, generated 1 helmrelease(s)"
  contains out "Dependencies (2):"
  contains out "cozystack.postgres-operator"
  contains out "HelmReleases (1):"
  contains out "cozy-keycloak/keycloak"
  # A dependency that breaks shows up as what the Package waits on.
  k delete package cozystack.postgres-operator >/dev/null
  wait_until 10 bash -c "\"$COZYPKG\" status cozystack.keycloak -o json | grep -q DependenciesNotReady"
  expect_exit 0 "$COZYPKG" status cozystack.keycloak -o json
  python3 - <<'PY'
import json
s = json.load(open("out"))
assert s["ready"]["status"] == "False", s["ready"]
assert s["ready"]["reason"] == "DependenciesNotReady", s["ready"]
w = [x for x in s["waitingOn"] if x["kind"] == "Package"]
assert [x["name"] for x in w] == ["cozystack.postgres-operator"], w
PY
  expect_exit 0 "$COZYPKG" status cozystack.keycloak
  contains out "Waiting on:"
  contains out "  - Package cozystack.postgres-operator: False  NotInstalled: no such Package"
  expect_exit 1 "$COZYPKG" status cozystack.nope
  contains err 'cozypkg: '
  contains err 'not found'
  expect_exit 2 "$COZYPKG" status
}
t "cli: status shows conditions, dependencies, HelmReleases and what it waits on" test_status

# --- del --------------------------------------------------------------------

test_del_cascade_with_confirmation() {
  real_cluster
  trap 'pty_stop; stop_operators && stop_server || exit 1' EXIT
  "$COZYPKG" add cozystack.vm-disk-application "${VM_DISK_VARIANTS[@]}" </dev/null 2>/dev/null
  # No: nothing is deleted, exit 3.
  pty_start no "$COZYPKG" del cozystack.cert-manager
  pty_wait_prompt no "Do you want to continue? [y/N]: " 1
  pty_send no n
  equals "$(pty_wait_exit no)" 3
  contains no.log "Requested packages:"
  contains no.log "  - cozystack.cert-manager"
  contains no.log "Dependent packages (will also be deleted):"
  contains no.log "  - cozystack.keycloak"
  contains no.log "Total: 18 package(s)"
  contains no.log "deletion cancelled"
  equals "$(k get packages -o name | wc -l)" 22
  # Yes: dependents first, then the package itself.
  pty_start yes "$COZYPKG" del cozystack.cert-manager
  pty_wait_prompt yes "Do you want to continue? [y/N]: " 1
  pty_send yes YES
  equals "$(pty_wait_exit yes)" 0
  equals "$(check_order yes.log '✓ Deleted Package ' dependents)" 18
  equals "$(grep '✓ Deleted Package' yes.log | tail -1)" "✓ Deleted Package cozystack.cert-manager"
  equals "$(k get packages -o name | sort | tr '\n' ' ')" "package.cozystack.io/cozystack.gateway-api-crds package.cozystack.io/cozystack.grafana-operator package.cozystack.io/cozystack.networking package.cozystack.io/cozystack.prometheus-operator-crds "
}
t "cli: del lists dependents, asks, and deletes them first" test_del_cascade_with_confirmation

test_del_scripted() {
  real_cluster
  "$COZYPKG" add cozystack.keycloak --variant cozystack.networking=cilium </dev/null 2>/dev/null
  expect_exit 0 "$COZYPKG" del cozystack.postgres-operator --dry-run
  equals "$(cat out)" "$(printf 'Deletion order:\n  1. cozystack.keycloak\n  2. cozystack.postgres-operator')"
  equals "$(k get packages -o name | wc -l)" 6
  expect_exit 2 "$COZYPKG" del cozystack.postgres-operator </dev/null
  contains err "run again with --yes"
  expect_exit 0 "$COZYPKG" del cozystack.postgres-operator cozystack.nope --yes
  contains err "⚠ Package cozystack.nope is not installed, skipping"
  contains err "✓ Deleted Package cozystack.keycloak"
  expect_exit 0 "$COZYPKG" del cozystack.nope --yes
  contains err "No packages found to delete"
  expect_exit 2 "$COZYPKG" del
  contains err "no packages specified"
}
t "cli: del --dry-run, --yes, and nothing to delete" test_del_scripted

test_del_cycle() {
  start_server
  cat >cyc.yaml <<'EOF'
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: c.a}
spec:
  sourceRef: {kind: OCIRepository, name: pkgs, namespace: cozy-system}
  variants: [{name: default, dependsOn: [c.b], components: [{name: a, path: a}]}]
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: c.b}
spec:
  sourceRef: {kind: OCIRepository, name: pkgs, namespace: cozy-system}
  variants: [{name: default, dependsOn: [c.a], components: [{name: b, path: b}]}]
---
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: c.a}
---
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: c.b}
EOF
  k apply -f cyc.yaml >/dev/null
  expect_exit 1 "$COZYPKG" add c.a </dev/null
  contains err "cozypkg: dependency cycle detected: c.a -> c.b -> c.a"
  expect_exit 1 "$COZYPKG" del c.a --yes
  contains err "cozypkg: dependency cycle detected: the following packages form a cycle and cannot be deleted: [c.a c.b]"
  equals "$(k get packages -o name | wc -l)" 2
}
t "cli: cycles are named by add and del, and nothing changes" test_del_cycle

# --- against a cluster that is not cozypkgd's own -----------------------------

test_operator_mode_cluster() {
  need_fixtures
  start_server --controllers=none
  k apply -f "$SOURCES" >/dev/null
  start_operator op --kubeconfig "$KUBECONFIG"
  expect_exit 0 "$COZYPKG" add cozystack.keycloak --variant cozystack.networking=cilium --wait --timeout 60s </dev/null
  contains err "✓ cozystack.keycloak is Ready"
  expect_exit 0 "$COZYPKG" list -i
  grep -Eq '^cozystack\.keycloak +default +True +reconciliation succeeded, generated 1 helmrel\.\.\.$' out ||
    fail "keycloak is not Ready in: $(cat out)"
  expect_exit 0 "$COZYPKG" status cozystack.keycloak
  contains out "cozy-keycloak/keycloak"
  expect_exit 0 "$COZYPKG" del cozystack.networking --yes
  contains err "Total: 4 package(s)"
  equals "$(k get packages -o name | sort | tr '\n' ' ')" "package.cozystack.io/cozystack.gateway-api-crds package.cozystack.io/cozystack.prometheus-operator-crds "
}
t "cli: the same commands against cozypkgd run as a plain API server plus an operator" test_operator_mode_cluster

# --- connection errors ----------------------------------------------------------

test_connection_errors() {
  start_server --controllers=none
  local good=$KUBECONFIG
  # Unreachable: one line naming the server.
  sed "s#server: .*#server: https://127.0.0.1:1#" "$good" >down.yaml
  expect_exit 1 "$COZYPKG" list --kubeconfig down.yaml
  contains err "https://127.0.0.1:1"
  equals "$(wc -l <err)" 1
  # A token the server does not know (revoked or expired).
  sed "s#token: .*#token: not-a-valid-token#" "$good" >badtoken.yaml
  expect_exit 1 "$COZYPKG" list --kubeconfig badtoken.yaml
  contains err "Unauthorized"
  equals "$(wc -l <err)" 1
  # A kubeconfig that is not one.
  printf 'clusters: [\n' >broken.yaml
  expect_exit 2 "$COZYPKG" list --kubeconfig broken.yaml
  contains err "broken.yaml"
  equals "$(wc -l <err)" 1
  expect_exit 2 "$COZYPKG" list --kubeconfig nowhere.yaml
  contains err "nowhere.yaml"
  expect_exit 2 "$COZYPKG" list --context nope
  contains err 'context "nope" not found'
  # KUBECONFIG merges files: the cluster and user from one, the context
  # from another; the first current-context wins; --context picks one.
  python3 - "$good" <<'PY'
import sys
text = open(sys.argv[1]).read()
head, rest = text.split("contexts:\n", 1)
ctx, tail = rest.split("current-context: cozypkgd\n", 1)
open("a.yaml", "w").write(head + tail)
open("b.yaml", "w").write("contexts:\n" + ctx.replace("name: cozypkgd", "name: merged") +
                          "current-context: missing\n")
PY
  KUBECONFIG="$PWD/missing.yaml:$PWD/a.yaml:$PWD/b.yaml" expect_exit 2 "$COZYPKG" list
  contains err 'context "missing" not found'
  KUBECONFIG="$PWD/missing.yaml:$PWD/a.yaml:$PWD/b.yaml" expect_exit 0 "$COZYPKG" list --context merged
  contains out "NAME"
  KUBECONFIG="$PWD/none1.yaml:$PWD/none2.yaml" expect_exit 2 "$COZYPKG" list
  contains err "none of these files exists"
}
t "cli: unreachable server, bad token, bad kubeconfig, merged KUBECONFIG" test_connection_errors

# --- help, completion, manual -----------------------------------------------------

test_help_completion_man() {
  local c
  for c in add list del dot status render version completion; do
    expect_exit 0 "$COZYPKG" "$c" --help
    contains out "Usage:"
    contains out "Examples:"
  done
  expect_exit 2 "$COZYPKG" list --bogus
  contains err "unknown option --bogus"
  expect_exit 0 "$COZYPKG" completion bash
  mv out comp.bash
  bash -c "source comp.bash; complete -p cozypkg" >complete.txt
  contains complete.txt "_cozypkg"
  bash -c 'source comp.bash; COMP_WORDS=(cozypkg a); COMP_CWORD=1; _cozypkg; echo "${COMPREPLY[@]}"' >words.txt
  equals "$(cat words.txt)" "add"
  bash -c 'source comp.bash; COMP_WORDS=(cozypkg del --y); COMP_CWORD=2; _cozypkg; echo "${COMPREPLY[@]}"' >words.txt
  equals "$(cat words.txt)" "--yes"
  expect_exit 0 "$COZYPKG" completion zsh
  contains out "#compdef cozypkg"
  expect_exit 2 "$COZYPKG" completion fish
  # The manual page is the command table's, and up to date.
  "$COZYPKG" __man >cozypkg.1
  diff -u "$ROOT/docs/cozypkg.1" cozypkg.1
  for c in add list del dot status render; do
    contains cozypkg.1 ".SS \"cozypkg $c"
  done
  if command -v groff >/dev/null; then
    groff -man -Tutf8 -ww cozypkg.1 >/dev/null 2>groff.err
    [[ ! -s groff.err ]] || { cat groff.err >&2; fail "groff warnings"; }
  fi
}
t "cli: --help everywhere, bash and zsh completion, the manual page" test_help_completion_man
