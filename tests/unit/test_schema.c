/* Validation of PackageSource and Package, one rule per test. */

#include "helpers.h"

#include "model/schema.h"
#include "util/duration.h"
#include "util/mem.h"

#define HEAD_SRC "apiVersion: cozystack.io/v1alpha1\nkind: PackageSource\nmetadata:\n  name: x.a\n"
#define HEAD_PKG "apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata:\n  name: x.a\n"

static void test_required_fields(void **state)
{
	(void)state;
	assert_contains(load_errors(HEAD_SRC "spec:\n  variants:\n  - components:\n    - name: c\n"),
			"t.yaml:7: spec.variants[0].name: required");
	assert_contains(load_errors(HEAD_SRC "spec:\n  variants:\n  - components:\n    - name: c\n"),
			"t.yaml:8: spec.variants[0].components[0].path: required");
	assert_contains(load_errors(HEAD_SRC "spec:\n  sourceRef: {kind: OCIRepository}\n"),
			"spec.sourceRef.name: required");
	assert_contains(load_errors(HEAD_SRC "spec:\n  variants: [{name: d, libraries: [{name: l}]}]\n"),
			"spec.variants[0].libraries[0].path: required");
	assert_contains(load_errors("apiVersion: cozystack.io/v1alpha1\nkind: Package\n"),
			"metadata: required");
}

static void test_types(void **state)
{
	(void)state;
	assert_contains(load_errors(HEAD_PKG "spec:\n  variant: 3\n"),
			"t.yaml:6: spec.variant: expected string, got integer");
	assert_contains(load_errors(HEAD_PKG "spec:\n  components:\n    c: {enabled: \"false\"}\n"),
			"spec.components[c].enabled: expected boolean, got string");
	assert_contains(load_errors(HEAD_SRC "spec:\n  variants:\n    name: d\n"),
			"spec.variants: expected array, got object");
	assert_contains(load_errors(HEAD_SRC "spec:\n  variants: [{name: d, dependsOn: [1]}]\n"),
			"spec.variants[0].dependsOn[0]: expected string, got integer");
}

static void test_enums(void **state)
{
	(void)state;
	assert_contains(load_errors(HEAD_SRC "spec:\n  variants: [{name: d, components: [{name: c, path: p, install: {waitStrategy: fast}}]}]\n"),
			"install.waitStrategy: unsupported value \"fast\": supported values: \"poller\", \"legacy\"");
	assert_string_equal(load_errors(HEAD_SRC "spec:\n  sourceRef: {kind: GitRepository, name: g, namespace: ns1}\n"), "");
}

static void test_unknown_fields(void **state)
{
	(void)state;
	assert_contains(load_errors(HEAD_SRC "spec:\n  variants: [{name: d, extra: 1}]\n"),
			"spec.variants[0].extra: unknown field");
	assert_contains(load_errors(HEAD_PKG "specs: {}\n"), "t.yaml:5: specs: unknown field");
	/* values are free-form */
	assert_string_equal(load_errors(HEAD_PKG "spec:\n  components:\n    c:\n      values: {any: [1, {x: y}]}\n"), "");
}

static void test_names(void **state)
{
	(void)state;
	assert_true(cz_is_dns_subdomain("cozystack.cert-manager"));
	assert_true(cz_is_dns_subdomain("a"));
	assert_false(cz_is_dns_subdomain("Upper"));
	assert_false(cz_is_dns_subdomain("-lead"));
	assert_false(cz_is_dns_subdomain("a..b"));
	assert_false(cz_is_dns_subdomain("trail."));
	assert_false(cz_is_dns_subdomain("under_score"));
	assert_true(cz_is_dns_label("cozy-system"));
	assert_false(cz_is_dns_label("cozy.system"));
	assert_contains(load_errors("apiVersion: cozystack.io/v1alpha1\nkind: Package\nmetadata: {name: Bad}\n"),
			"metadata.name: invalid value \"Bad\"");
}

static void test_lists_and_other_kinds(void **state)
{
	(void)state;
	assert_contains(load_errors("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
			"t.yaml:1: skipping v1 ConfigMap \"c\"");
	assert_contains(load_errors("apiVersion: cozystack.io/v1alpha1\nkind: PackageList\nitems:\n"
				    "- {apiVersion: cozystack.io/v1alpha1, kind: Package, metadata: {name: x.a}, spec: {variant: [x]}}\n"),
			"t.yaml:4: items[0].spec.variant: expected string, got array");
	assert_contains(load_errors("metadata: {name: x}\n"), "kind: required");
}

static void test_durations(void **state)
{
	char buf[32];
	int64_t ns;

	(void)state;
	assert_int_equal(cz_duration_parse("5m", &ns, NULL), 0);
	cz_duration_format(ns, buf, sizeof(buf));
	assert_string_equal(buf, "5m0s");
	assert_int_equal(cz_duration_parse("1h30m", &ns, NULL), 0);
	cz_duration_format(ns, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m0s");
	assert_int_equal(cz_duration_parse("1.5s", &ns, NULL), 0);
	cz_duration_format(ns, buf, sizeof(buf));
	assert_string_equal(buf, "1.5s");
	assert_int_equal(cz_duration_parse("300ms", &ns, NULL), 0);
	cz_duration_format(ns, buf, sizeof(buf));
	assert_string_equal(buf, "300ms");
	cz_duration_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	assert_int_equal(cz_duration_parse("5", &ns, NULL), CZ_EINVALID);
	assert_int_equal(cz_duration_parse("5x", &ns, NULL), CZ_EINVALID);
	assert_int_equal(cz_duration_parse("", &ns, NULL), CZ_EINVALID);
	assert_int_equal(cz_duration_parse("99999999999999h", &ns, NULL), CZ_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_lists_and_other_kinds),
		cmocka_unit_test(test_durations),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
