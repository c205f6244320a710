# cozypkg init and cozypkg validate: the scaffold, the real Cozystack tree,
# every check with its FILE:LINE: FIELD line, and published repositories.

# v_scaffold DIR: a fresh scaffold of acme.hello (app hello) in DIR.
v_scaffold() {
  "$COZYPKG" init "$1" --app hello --name acme.hello 2>/dev/null
}
V_SRC=packages/core/platform/sources/hello.yaml

test_init_scaffold() {
  expect_exit 0 "$COZYPKG" init hello --app hello --name acme.hello
  contains err 'Created package repository acme.hello in hello'
  for f in README.md $V_SRC packages/apps/hello/Chart.yaml packages/apps/hello/values.schema.json \
    packages/system/hello-rd/Chart.yaml packages/system/hello-rd/cozyrds/hello.yaml; do
    [[ -f hello/$f ]] || fail "missing $f"
  done
  contains hello/$V_SRC 'name: acme.hello'
  contains hello/$V_SRC 'name: hello-packages'
  expect_exit 0 "$COZYPKG" validate hello
  contains err 'hello: 1 PackageSource(s), 2 chart(s): 0 problem(s)'
  # Defaults, and what init refuses.
  mkdir d && (cd d && expect_exit 0 "$COZYPKG" init) && [[ -f d/packages/core/platform/sources/myapp.yaml ]]
  contains d/packages/core/platform/sources/myapp.yaml 'name: example.myapp'
  cp hello/README.md readme.before
  expect_exit 1 "$COZYPKG" init hello --app other
  contains err 'hello/packages already exists: init never overwrites'
  cmp readme.before hello/README.md
  expect_exit 2 "$COZYPKG" init x --name cozystack.x
  contains err 'reserved'
  expect_exit 2 "$COZYPKG" init x --name community.x
  expect_exit 2 "$COZYPKG" init x --app Bad_App
  contains err 'not an RFC 1123 label'
  expect_exit 2 "$COZYPKG" init x --name Acme.Hello
  contains err 'not a Kubernetes name'
  [[ ! -e x ]]
  expect_exit 2 "$COZYPKG" init a b
}
t "init: a scaffold that validates; reserved and bad names refused; nothing overwritten" test_init_scaffold

test_validate_real_tree() {
  need_fixtures
  expect_exit 1 "$COZYPKG" validate "$FIXTURES/cozystack-platform"
  equals "$(grep -c 'metadata.name: "cozystack\..*reserved' err)" 99
  contains err 'sources/backup-controller.yaml:5: metadata.name: "cozystack.backup-controller": the prefixes'
  expect_exit 0 "$COZYPKG" validate --allow-reserved-names "$FIXTURES/cozystack-platform"
  contains err '99 PackageSource(s), 157 chart(s): 0 problem(s)'
  contains err 'privileged components (host access):'
  contains err 'cozystack.velero: variant default: component velero'
}
t "validate: the real Cozystack tree is clean but for its reserved names" test_validate_real_tree

# v_bad NAME EXPECTED-LINE: validate exits 1 with exactly one problem,
# the EXPECTED-LINE text.
v_bad() {
  expect_exit 1 "$COZYPKG" validate "$1"
  contains err "$2"
  contains err ': 1 problem(s)'
}

test_validate_problems() {
  v_scaffold base
  cp -r base a && sed -i 's#path: apps/hello#path: apps/missing#' a/$V_SRC
  v_bad a "a/$V_SRC:18: spec.variants[0].components[0].path: \"apps/missing\" is not a chart: no such directory in packages/"
  cp -r base b && sed -i 's#      path: apps/hello#      path: apps/hello\n      valuesFiles: [values.yaml, values-extra.yaml]#' b/$V_SRC
  v_bad b "b/$V_SRC:19: spec.variants[0].components[0].valuesFiles[1]: \"values-extra.yaml\" is not a file of chart apps/hello"
  cp -r base c && sed -i 's#  - name: default#  - name: default\n    dependsOn: [acme.db]#' c/$V_SRC
  v_bad c "c/$V_SRC:14: spec.variants[0].dependsOn[0]: \"acme.db\" is neither a PackageSource of this repository nor a known source (--known-source)"
  expect_exit 0 "$COZYPKG" validate --known-source acme.db c
  cp -r base d && sed -i 's#  - name: default#  - name: default\n    dependsOn: [acme.hello]#' d/$V_SRC
  v_bad d "packages/core/platform/sources: dependsOn: dependency cycle: acme.hello -> acme.hello"
  cp -r base e && sed -i 's#replicas: 1#replicas: many#' e/packages/apps/hello/values.yaml
  v_bad e "packages/apps/hello/values.yaml: replicas: "
  contains err 'values.schema.json'
  cp -r base f && sed -i 's#name: acme.hello#name: acme_hello#' f/$V_SRC
  expect_exit 1 "$COZYPKG" validate f
  contains err "f/$V_SRC:4: metadata.name: \"acme_hello\" is not a Kubernetes name"
  cp -r base g && printf 'kind: PackageSource\nmetadata: {name: [\n' >>g/$V_SRC
  expect_exit 1 "$COZYPKG" validate g
  contains err "g/$V_SRC:"
  cp -r base h && sed -i 's#path: apps/hello#path: ../../etc#' h/$V_SRC
  v_bad h 'leaves the artifact'
  cp -r base i && sed -i 's#^version: .*#version: 1.x#' i/packages/apps/hello/Chart.yaml
  v_bad i 'is not a chart: Chart.yaml: version "1.x": not a semantic version'
  cp -r base j && sed -i 's#name: acme.hello#name: community.hello#' j/$V_SRC
  v_bad j 'the prefixes "cozystack." and "community." are reserved'
  expect_exit 0 "$COZYPKG" validate --allow-reserved-names j
  cp -r base k && sed -i 's#^  variants:#  variantz:#' k/$V_SRC
  expect_exit 1 "$COZYPKG" validate k
  contains err "k/$V_SRC:"
  # Usage.
  expect_exit 2 "$COZYPKG" validate
  expect_exit 2 "$COZYPKG" validate nowhere
  contains err 'nowhere: no packages/ directory'
  expect_exit 2 "$COZYPKG" validate base extra
}
t "validate: each problem is one FILE:LINE: FIELD line, exit 1; usage exit 2" test_validate_problems

test_validate_published() {
  start_registry plain
  v_scaffold ok
  expect_exit 0 "$COZYPKG" push --insecure --path ok --source s --revision v "oci://$REG/acme/hello:v1"
  expect_exit 0 "$COZYPKG" validate --insecure "oci://$REG/acme/hello:v1"
  contains err "oci://$REG/acme/hello:v1: 1 PackageSource(s), 2 chart(s): 0 problem(s)"
  cp -r ok bad && rm -r bad/packages/system/hello-rd
  expect_exit 0 "$COZYPKG" push --insecure --skip-validate --path bad --source s --revision v "oci://$REG/acme/hello:v2"
  expect_exit 1 "$COZYPKG" validate --insecure "oci://$REG/acme/hello:v2"
  contains err '"system/hello-rd" is not a chart'
  expect_exit 1 "$COZYPKG" validate --insecure "oci://$REG/acme/hello:v9"
  contains err 'v9'
  expect_exit 1 "$COZYPKG" validate --insecure "oci://127.0.0.1:$(free_port)/acme/hello:v1"
  equals "$(wc -l <err)" 1
}
t "validate oci://: a published repository is pulled and checked" test_validate_published
