# cozypkg dot on the real sources, checked with Graphviz.

test_dot_real_sources_render_with_graphviz() {
  need_fixtures
  expect_exit 0 "$COZYPKG" dot --offline -f "$SOURCES"
  mv out graph.dot
  dot -Tsvg graph.dot >graph.svg || fail "Graphviz rejected the output"
  contains graph.svg "<svg"
  head -2 graph.dot >head.txt
  contains head.txt 'digraph  {'
  contains head.txt 'nodesep="0.5";rankdir="RL";ranksep="1.0";'
  # 99 package nodes, 230 edges (cozystack-operator.md §6.3), no missing.
  equals "$(grep -c 'fillcolor="lightblue"' graph.dot)" 99
  equals "$(grep -c -- '->' graph.dot)" 230
  lacks graph.dot lightcoral
  # cozystack-engine -> keycloak only in the oidc variant.
  local engine keycloak
  engine=$(sed -n 's/^\t\(n[0-9]*\)\[.*label="cozystack.cozystack-engine".*/\1/p' graph.dot)
  keycloak=$(sed -n 's/^\t\(n[0-9]*\)\[.*label="cozystack.keycloak".*/\1/p' graph.dot)
  contains graph.dot "$engine->$keycloak[color=\"black\",label=\"oidc\"];"
}
t "dot: the real graph renders with Graphviz, 99 nodes and 230 edges" test_dot_real_sources_render_with_graphviz

test_dot_components_and_selection() {
  need_fixtures
  expect_exit 0 "$COZYPKG" dot --offline cozystack.cert-manager --components -f "$SOURCES"
  mv out graph.dot
  dot -Tsvg graph.dot >/dev/null || fail "Graphviz rejected the output"
  contains graph.dot 'label="cert-manager-crds"'
  contains graph.dot 'fillcolor="lightyellow"'
  contains graph.dot 'color="green"'
  # only cert-manager and its two direct dependencies are package nodes
  equals "$(grep -c 'fillcolor="lightblue"' graph.dot)" 3
  expect_exit 1 "$COZYPKG" dot --offline cozystack.nope -f "$SOURCES"
  contains err "PackageSource cozystack.nope not found"
}
t "dot: --components and a selected package" test_dot_components_and_selection

test_dot_missing_and_installed() {
  cat >in.yaml <<'Y'
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: x.app}
spec: {variants: [{name: default, dependsOn: [x.base, x.gone]}]}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: x.base}
spec: {variants: [{name: default}]}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: x.other}
spec: {variants: [{name: default}]}
---
{apiVersion: cozystack.io/v1alpha1, kind: Package, metadata: {name: x.app}}
---
{apiVersion: cozystack.io/v1alpha1, kind: Package, metadata: {name: x.base}}
Y
  expect_exit 0 "$COZYPKG" dot --offline -f in.yaml
  contains out 'n3[fillcolor="lightcoral",label="x.gone",shape="box",style="rounded,filled,dashed"];'
  contains out 'n1->n3[color="red",style="dashed"];'
  dot -Tsvg out >/dev/null
  expect_exit 0 "$COZYPKG" dot --offline -i -f in.yaml
  lacks out x.other
  lacks out x.gone
  contains out 'label="x.base"'
}
t "dot: missing dependencies in red, -i keeps installed packages" test_dot_missing_and_installed

test_dot_deterministic() {
  need_fixtures
  "$COZYPKG" dot --offline --components -f "$SOURCES" >a.dot
  "$COZYPKG" dot --offline --components -f "$SOURCES" >b.dot
  # Two empty outputs are equal too: the graph must be there first.
  head -1 a.dot | grep -q '^digraph '
  grep -q '"cozystack.networking"' a.dot
  [[ $(grep -c -- '->' a.dot) -ge 99 ]] || fail "too few edges in a.dot"
  cmp a.dot b.dot
  dot -Tsvg a.dot >a.svg
  grep -q '<svg' a.svg
}
t "dot: --components over the real sources is stable and renders" test_dot_deterministic
