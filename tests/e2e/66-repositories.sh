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
  contains out 'repo-catalog           false        git    https://example.invalid/catalog.git'
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
