# cozypkg render on the 99 real Cozystack PackageSources.

render_all() {
  need_fixtures
  packages_for_all >packages.yaml
  expect_exit 0 "$COZYPKG" render -f "$SOURCES" -f packages.yaml -o json
  mv out render.json
}

test_render_counts() {
  render_all
  # 135 installable components over all variants, minus those of the
  # variants not chosen (networking 9, engine oidc 6, the three capi
  # duplicates 3, scheduler linstor 1, gpu-operator 2, monitoring oidc 1).
  equals "$(jqv 'len(kind("HelmRelease"))')" 113
  equals "$(jqv 'len(kind("Package"))')" 99
  equals "$(jqv 'len(kind("PackageSource"))')" 99
  equals "$(jqv 'sorted(set(ready(p["metadata"]["name"]) for p in kind("Package")))')" '["True/ReconciliationSucceeded"]'
}
t "render: 99 real sources give 113 HelmReleases and every Package Ready" test_render_counts

test_render_cert_manager_depends_on() {
  render_all
  # component dependsOn first, then every HR of networking/kubeovn-cilium,
  # then gateway-api-crds (cozystack-operator.md §2.3.5, §6.2 rows 11, 31, 70).
  equals "$(jqv 'hr("cozy-cert-manager","cert-manager")["spec"]["dependsOn"]')" \
    '[{"name": "cert-manager-crds", "namespace": "cozy-cert-manager"}, {"name": "cilium", "namespace": "cozy-cilium"}, {"name": "cilium-networkpolicy", "namespace": "cozy-cilium"}, {"name": "kubeovn", "namespace": "cozy-kubeovn"}, {"name": "gateway-api-crds", "namespace": "cozy-gateway-api"}]'
  equals "$(jqv 'hr("cozy-gateway-api","gateway-api-crds")["spec"].get("dependsOn")')" null
}
t "render: cert-manager's dependsOn under networking=kubeovn-cilium" test_render_cert_manager_depends_on

test_render_helmrelease_fields() {
  render_all
  equals "$(jqv 'hr("cozy-cilium","cilium")["spec"]["chartRef"]')" \
    '{"kind": "ExternalArtifact", "name": "cozystack-networking-kubeovn-cilium-cilium", "namespace": "cozy-system"}'
  equals "$(jqv 'hr("cozy-cilium","cilium")["metadata"]["annotations"]')" \
    '{"cozyhr.cozystack.io/values-files": "values.yaml,values-talos.yaml,values-kubeovn.yaml"}'
  equals "$(jqv 'hr("cozy-cilium","cilium")["metadata"]["labels"]')" \
    '{"cozystack.io/package": "cozystack.networking", "cozystack.io/privileged": "true"}'
  equals "$(jqv 'hr("cozy-cilium","cilium")["metadata"]["ownerReferences"]')" \
    '[{"apiVersion": "cozystack.io/v1alpha1", "controller": true, "kind": "Package", "name": "cozystack.networking"}]'
  equals "$(jqv '[hr("cozy-cilium","cilium")["spec"][k] for k in ("interval","maxHistory","install","valuesFrom")]')" \
    '["5m0s", 5, {"strategy": {"name": "RetryOnFailure", "retryInterval": "30s"}, "timeout": "10m0s"}, [{"kind": "Secret", "name": "cozystack-values"}]]'
  # upgradeCRDs on exactly mongodb-operator, redis-operator and velero.
  equals "$(jqv 'sorted(h["metadata"]["name"] for h in kind("HelmRelease") if h["spec"]["upgrade"].get("crds") == "CreateReplace")')" \
    '["mongodb-operator", "redis-operator", "velero"]'
  # the one source with skip-cozystack-values.
  equals "$(jqv '"valuesFrom" in hr("cozy-monitoring","monitoring")["spec"]')" false
  # releaseName differs from the component name twice.
  equals "$(jqv 'hr("cozy-hetzner-robotlb","robotlb")["spec"]["chartRef"]["name"]')" cozystack-hetzner-robotlb-default-hetzner-robotlb
  equals "$(jqv 'hr("cozy-telepresence","traffic-manager")["metadata"]["labels"]["cozystack.io/package"]')" cozystack.telepresence
}
t "render: HelmRelease fields of the real sources" test_render_helmrelease_fields

test_render_namespaces() {
  render_all
  # 53 install namespaces exist in all variants; with the chosen ones
  # cozy-kilo (cilium-kilo only) and cozy-keycloak (via keycloak) vary.
  equals "$(jqv 'ns("cozy-kubevirt")["metadata"]["labels"]')" \
    '{"cozystack.io/system": "true", "pod-security.kubernetes.io/enforce": "privileged"}'
  equals "$(jqv 'ns("cozy-cert-manager")["metadata"]["labels"]')" '{"cozystack.io/system": "true"}'
  equals "$(jqv 'ns("kube-system")["metadata"]["annotations"]')" '{"helm.sh/resource-policy": "keep"}'
  equals "$(jqv '"cozy-kilo" in [n["metadata"]["name"] for n in kind("Namespace")]')" false
  equals "$(jqv 'len(kind("Namespace"))')" "$(jqv 'len(set(h["metadata"]["namespace"] for h in kind("HelmRelease")))')"
}
t "render: namespaces, privileged resolution and keep annotation" test_render_namespaces

test_render_status() {
  render_all
  equals "$(jqv 'pkg("cozystack.gateway-application")["status"]["conditions"][0]["message"]')" \
    "reconciliation succeeded, generated 0 helmrelease(s)"
  equals "$(jqv 'pkg("cozystack.cert-manager")["status"]["dependencies"]')" \
    '{"cozystack.gateway-api-crds": {"ready": true}, "cozystack.networking": {"ready": true}}'
  equals "$(jqv '[s["status"]["variants"] for s in kind("PackageSource") if s["metadata"]["name"] == "cozystack.networking"][0]')" \
    "noop,cilium,cilium-kilo,cilium-generic,kubeovn-cilium,kubeovn-cilium-generic"
}
t "render: Package and PackageSource status" test_render_status

test_render_order_and_determinism() {
  render_all
  equals "$(jqv '[o["kind"] for o in items] == sorted([o["kind"] for o in items], key=["Namespace","HelmRelease","Package","PackageSource"].index)')" true
  equals "$(jqv '[(h["metadata"]["namespace"], h["metadata"]["name"]) for h in kind("HelmRelease")] == sorted((h["metadata"]["namespace"], h["metadata"]["name"]) for h in kind("HelmRelease"))')" true
  "$COZYPKG" render -f "$SOURCES" -f packages.yaml >a.yaml
  "$COZYPKG" render -f packages.yaml -f "$SOURCES" >b.yaml
  cmp a.yaml b.yaml || fail "output depends on input order"
  python3 -c 'import json,sys,yaml' 2>/dev/null && python3 - <<'PY'
import json, yaml
a = yaml.safe_load(open("a.yaml"))
b = json.load(open("render.json"))
assert a == b, "YAML and JSON outputs differ"
PY
  return 0
}
t "render: item order, sorting and byte-identical output" test_render_order_and_determinism

test_render_cascade_without_networking() {
  need_fixtures
  packages_for_all | python3 -c '
import sys
docs = sys.stdin.read().split("---\n")
print("---\n".join(d for d in docs if "name: cozystack.networking\n" not in d))' >partial.yaml
  expect_exit 0 "$COZYPKG" render -f "$SOURCES" -f partial.yaml -o json
  mv out render.json
  # Everything reaches networking except the two roots and
  # cozystack-scheduler/default (§6.3).
  equals "$(jqv 'sorted(p["metadata"]["name"] for p in kind("Package") if ready(p["metadata"]["name"]).startswith("True"))')" \
    '["cozystack.cozystack-scheduler", "cozystack.gateway-api-crds", "cozystack.prometheus-operator-crds"]'
  equals "$(jqv 'ready("cozystack.vm-disk-application")')" "False/DependenciesNotReady"
  equals "$(jqv 'pkg("cozystack.cert-manager")["status"]["dependencies"]')" \
    '{"cozystack.gateway-api-crds": {"ready": true}, "cozystack.networking": {"ready": false}}'
  equals "$(jqv 'pkg("cozystack.cert-manager")["status"]["conditions"][0]["message"]')" "One or more dependencies are not ready"
  equals "$(jqv 'sorted(set(h["metadata"]["labels"]["cozystack.io/package"] for h in kind("HelmRelease")))')" \
    '["cozystack.cozystack-scheduler", "cozystack.gateway-api-crds", "cozystack.prometheus-operator-crds"]'
  # Namespaces are applied before the gate, so gated packages still get theirs.
  equals "$(jqv '"cozy-cert-manager" in [n["metadata"]["name"] for n in kind("Namespace")]')" true
}
t "render: leaving networking out cascades DependenciesNotReady" test_render_cascade_without_networking

test_render_missing_source_and_variant() {
  cat >in.yaml <<'Y'
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: cozystack.nothing}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: cozystack.one}
spec:
  variants:
  - name: a
    components: [{name: c, path: x, install: {namespace: ns1}}]
---
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: cozystack.one}
Y
  expect_exit 0 "$COZYPKG" render -f in.yaml -o json
  mv out render.json
  equals "$(jqv 'pkg("cozystack.nothing")["status"]["conditions"][0]')" \
    '{"message": "PackageSource cozystack.nothing not found", "reason": "PackageSourceNotFound", "status": "False", "type": "Ready"}'
  equals "$(jqv 'pkg("cozystack.one")["status"]["conditions"][0]["message"]')" "Variant default not found in PackageSource cozystack.one"
  equals "$(jqv 'len(kind("HelmRelease")) + len(kind("Namespace"))')" 0
}
t "render: PackageSourceNotFound and VariantNotFound" test_render_missing_source_and_variant

test_render_yaml_output_parses() {
  render_all
  "$COZYPKG" render -f "$SOURCES" -f packages.yaml >all.yaml
  head -3 all.yaml >head.txt
  contains head.txt "apiVersion: v1"
  contains all.yaml "kind: HelmRelease"
  # the output is valid input for the loader again (Lists are unwrapped;
  # HelmReleases and Namespaces are skipped with warnings).
  expect_exit 0 "$COZYPKG" render -f all.yaml -o json
  python3 - <<'PY'
import json
a = json.load(open("render.json")); b = json.load(open("out"))
assert a == b, "render of its own output differs"
PY
}
t "render: YAML output loads back and renders the same" test_render_yaml_output_parses

test_render_help_and_usage() {
  expect_exit 0 "$COZYPKG" render --help
  contains out "Usage:"
  contains out "--output"
  expect_exit 2 "$COZYPKG" render
  contains err "no input"
  expect_exit 2 "$COZYPKG" render -f x.yaml -o xml
  contains err 'unknown output format "xml"'
  expect_exit 2 "$COZYPKG" render --bogus
  contains err "unknown option --bogus"
  expect_exit 2 "$COZYPKG" frobnicate
  contains err 'unknown command "frobnicate"'
  expect_exit 0 "$COZYPKG" --help
  contains out "render"
  expect_exit 0 "$COZYPKG" version
  contains out "cozypkg "
}
t "cli: --help, usage errors and version" test_render_help_and_usage

test_render_engine_flags() {
  render_all
  expect_exit 0 "$COZYPKG" render -f "$SOURCES" -f packages.yaml -o json \
    --helmrelease-interval 1h30m --helmrelease-retry-interval 90s \
    --helmrelease-install-timeout 15m --helmrelease-max-history 0
  mv out render.json
  equals "$(jqv '[hr("cozy-cilium","cilium")["spec"][k] for k in ("interval","maxHistory")]')" '["1h30m0s", 0]'
  equals "$(jqv 'hr("cozy-cilium","cilium")["spec"]["install"]')" '{"strategy": {"name": "RetryOnFailure", "retryInterval": "1m30s"}, "timeout": "15m0s"}'
  expect_exit 2 "$COZYPKG" render -f "$SOURCES" --helmrelease-interval 5x
  contains err 'invalid duration "5x"'
}
t "render: --helmrelease-* flags" test_render_engine_flags
