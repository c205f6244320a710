# The corpus of bad inputs in tests/bad: each file names its expected exit
# code and a piece of the expected error (in "# expect-" header lines, or in
# FILE.expect for JSON), and nothing may be printed on stdout.

bad_case() {
  local file=$1 meta exit_code text
  meta=$file
  [[ -f $file.expect ]] && meta=$file.expect
  exit_code=$(sed -n 's/^# expect-exit: //p' "$meta")
  text=$(sed -n 's/^# expect-error: //p' "$meta")
  [[ -n $exit_code && -n $text ]] || fail "$file has no expectations"
  cp "$file" .
  expect_exit "$exit_code" "$COZYPKG" render -f "$(basename "$file")"
  contains err "$text"
  [[ ! -s out ]] || fail "stdout not empty for $(basename "$file")"
}

for bad_file in "$ROOT"/tests/bad/*; do
  [[ $bad_file == *.expect ]] && continue
  eval "test_bad_$(basename "$bad_file" | tr -c 'a-zA-Z0-9\n' _)() { bad_case '$bad_file'; }"
  t "bad input: $(basename "$bad_file")" "test_bad_$(basename "$bad_file" | tr -c 'a-zA-Z0-9\n' _)"
done

test_bad_huge_document() {
  python3 -c '
print("apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata:\n  name: cozystack.big\nspec:\n  components:\n    c:\n      values:")
for i in range(300000): print("        k%d: %s" % (i, "x" * 10))' >big.yaml
  expect_exit 2 "$COZYPKG" render -f big.yaml
  contains err "big.yaml:"
  contains err "document larger than"
}
t "bad input: a 6 MB document is refused" test_bad_huge_document

test_bad_deep_nesting() {
  python3 -c 'print("a: " + "[" * 500 + "]" * 500)' >deep.yaml
  expect_exit 2 "$COZYPKG" render -f deep.yaml
  contains err "nesting deeper than"
}
t "bad input: nesting 500 levels deep is refused" test_bad_deep_nesting

test_bad_all_errors_reported() {
  cp "$ROOT"/tests/bad/missing-path.yaml "$ROOT"/tests/bad/unknown-field.yaml .
  expect_exit 2 "$COZYPKG" render -f missing-path.yaml -f unknown-field.yaml
  contains err "missing-path.yaml:15:"
  contains err "unknown-field.yaml:8:"
  contains err "2 errors in the input"
}
t "bad input: every error in every file is reported" test_bad_all_errors_reported

test_bad_missing_file() {
  expect_exit 2 "$COZYPKG" render -f does-not-exist.yaml
  contains err "does-not-exist.yaml: No such file or directory"
}
t "bad input: a missing file" test_bad_missing_file

test_other_kinds_skipped() {
  cat >mixed.yaml <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: cozystack.a}
spec: {variants: [{name: default}]}
Y
  expect_exit 0 "$COZYPKG" render -f mixed.yaml
  contains err 'warning: mixed.yaml:1: skipping apps/v1 Deployment "web"'
}
t "input: documents of other kinds are skipped with a warning" test_other_kinds_skipped

test_duplicate_names_later_wins() {
  printf 'apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata: {name: cozystack.a}\nspec: {variant: one}\n' >a.yaml
  printf 'apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata: {name: cozystack.a}\nspec: {variant: two}\n' >b.yaml
  expect_exit 0 "$COZYPKG" render -f a.yaml -f b.yaml -o json
  contains err 'warning: package "cozystack.a" is defined in both a.yaml and b.yaml, using the latter'
  contains out '"variant": "two"'
  lacks out '"variant": "one"'
}
t "input: a name defined twice, the later one wins with a warning" test_duplicate_names_later_wins

test_package_cycle() {
  cat >cycle.yaml <<'Y'
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: cozystack.a}
spec: {variants: [{name: default, dependsOn: [cozystack.b], components: [{name: a, path: a, install: {namespace: ns-a}}]}]}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: cozystack.b}
spec: {variants: [{name: default, dependsOn: [cozystack.a], components: [{name: b, path: b, install: {namespace: ns-b}}]}]}
---
apiVersion: cozystack.io/v1alpha1
kind: PackageSource
metadata: {name: cozystack.c}
spec: {variants: [{name: default, dependsOn: [cozystack.b]}]}
---
{apiVersion: cozystack.io/v1alpha1, kind: Package, metadata: {name: cozystack.a}}
---
{apiVersion: cozystack.io/v1alpha1, kind: Package, metadata: {name: cozystack.b}}
---
{apiVersion: cozystack.io/v1alpha1, kind: Package, metadata: {name: cozystack.c}}
Y
  expect_exit 0 "$COZYPKG" render -f cycle.yaml -o json
  mv out render.json
  contains err "dependency cycle between Packages: cozystack.a -> cozystack.b -> cozystack.a"
  equals "$(jqv '[ready("cozystack.a"), ready("cozystack.b"), ready("cozystack.c")]')" \
    '["False/DependenciesNotReady", "False/DependenciesNotReady", "False/DependenciesNotReady"]'
  equals "$(jqv 'len(kind("HelmRelease"))')" 0
}
t "input: a dependency cycle is named and its members stay not Ready" test_package_cycle
