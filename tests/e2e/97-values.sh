# Values admission: Package values against the component charts'
# values.schema.json on every write, in cozypkgd's three modes.

VAL_EX="$ROOT/examples/platform"

# val_cond PKG: the ValuesValid condition as "status reason: message".
val_cond() {
  k get package "$1" -o jsonpath='{.status.conditions[?(@.type=="ValuesValid")].status} {.status.conditions[?(@.type=="ValuesValid")].reason}: {.status.conditions[?(@.type=="ValuesValid")].message}'
}
val_cond_is() { [[ $(val_cond "$1" 2>/dev/null) == "$2"* ]]; }

# val_bad_package FILE: example.webapp with a string for an integer.
val_bad_package() {
  cat >"$1" <<Y
apiVersion: cozystack.io/v1alpha1
kind: Package
metadata: {name: example.webapp}
spec:
  components:
    webapp:
      values: {replicas: "three"}
Y
}

val_built() {
  [[ -n $(k get externalartifacts -n cozy-system example-webapp-default-webapp \
    -o jsonpath='{.status.artifact.digest}' 2>/dev/null) ]]
}

# val_setup MODE: cozypkgd in MODE with the example platform tapped and
# its artifacts built; ./bad.yaml has a string for an integer.
val_setup() {
  start_registry plain
  start_server --values-admission "$1"
  "$COZYPKG" push --insecure --path "$VAL_EX" --source s --revision r "oci://$REG/acme/platform:v1" >/dev/null 2>&1
  "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1" >/dev/null 2>&1
  wait_until 30 val_built
  val_bad_package bad.yaml
}

test_values_enforce() {
  val_setup enforce
  expect_exit 1 k apply -f bad.yaml
  contains err 'spec.components.webapp.values.replicas: expected integer, got string "three"'
  expect_exit 1 k get package example.webapp
  equals "$(api POST /apis/cozystack.io/v1alpha1/packages -H 'Content-Type: application/yaml' \
    --data-binary @bad.yaml | jq -c '[.code, .details.causes[0].field, .details.causes[0].reason]')" \
    '[422,"spec.components.webapp.values.replicas","FieldValueInvalid"]'
  # Good values pass, and an update is checked too.
  sed -i 's/"three"/3/' bad.yaml
  expect_exit 0 k apply -f bad.yaml
  expect_exit 1 k patch package example.webapp --type=merge \
    -p '{"spec":{"components":{"webapp":{"values":{"replicas":-1}}}}}'
  contains err 'spec.components.webapp.values.replicas'
  # A component whose artifact is not built: passes, saying so.
  printf 'apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata: {name: acme.nothing}\nspec:\n  components:\n    x:\n      values: {a: 1}\n' >other.yaml
  expect_exit 0 k apply -f other.yaml
  contains err 'spec.components.x.values: not checked: the artifact of component x is not built yet'
  # The status says the same, and how the checked ones stand.
  wait_until 20 val_cond_is acme.nothing 'Unknown NotChecked: values not checked: the artifact of component x is not built yet'
  wait_until 20 val_cond_is example.webapp "True Valid: values validate against the charts' values.schema.json"
}
t "values admission enforce: 422 with the field path; unbuilt artifacts pass with a warning" test_values_enforce

test_values_warn_off() {
  val_setup warn
  expect_exit 0 k apply -f bad.yaml
  contains err 'Warning: spec.components.webapp.values.replicas: expected integer, got string "three"'
  wait_until 20 val_cond_is example.webapp 'False ValuesInvalid: spec.components.webapp.values.replicas: expected integer, got string "three"'
  k delete package example.webapp >/dev/null
  stop_server
  start_server --values-admission off
  expect_exit 0 k apply -f bad.yaml
  lacks err 'Warning'
  expect_exit 2 "$BUILD/cozypkgd" --data d2 --values-admission sometimes
  contains err 'expected off, warn or enforce'
}
t "values admission warn (kubectl warnings) and off (nothing)" test_values_warn_off

test_values_checked_later() {
  start_registry plain
  start_server
  val_bad_package early.yaml
  # Written before anything is built: it passes, and its status says so.
  expect_exit 0 k apply -f early.yaml
  wait_until 20 val_cond_is example.webapp 'Unknown NotChecked'
  # Once the artifacts exist, the controller checks what the write could not.
  "$COZYPKG" push --insecure --path "$VAL_EX" --source s --revision r "oci://$REG/acme/platform:v1" >/dev/null 2>&1
  "$COZYPKG" tap --insecure "oci://$REG/acme/platform:v1" >/dev/null 2>&1
  wait_until 60 val_cond_is example.webapp 'False ValuesInvalid: spec.components.webapp.values.replicas'
  # Values gone: so is the condition.
  k patch package example.webapp --type=json -p '[{"op":"remove","path":"/spec/components"}]' >/dev/null
  wait_until 20 val_cond_is example.webapp ' : '
}
t "values: a Package written before its artifacts says NotChecked, then is checked once they are built" test_values_checked_later
