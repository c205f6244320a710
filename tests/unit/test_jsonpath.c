/* The JSONPath subset of printer columns and the table cells. */

#include "helpers.h"
#include "jsonhelp.h"

#include "api/jsonpath.h"
#include "util/mem.h"

static const char *package_json =
	"{\"apiVersion\":\"cozystack.io/v1alpha1\",\"kind\":\"Package\","
	"\"metadata\":{\"name\":\"cilium\",\"creationTimestamp\":"
	"\"2024-05-01T12:00:00+02:00\",\"annotations\":{\"a.b/c\":\"dot\"},"
	"\"labels\":{\"x\":\"<&>\"}},"
	"\"spec\":{\"variant\":\"default\",\"replicas\":3,\"ratio\":0.5,"
	"\"big\":1000000.0,\"enabled\":true,\"components\":{\"b\":1,\"a\":[1,2]},"
	"\"nothing\":null},"
	"\"status\":{\"conditions\":["
	"{\"type\":\"Installed\",\"status\":\"True\",\"n\":1},"
	"{\"type\":\"Ready\",\"status\":\"False\",\"message\":\"waiting\","
	"\"n\":2}]}}";

static json_t *obj;

static int setup(void **state)
{
	(void)state;
	obj = J(package_json);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(obj);
	return 0;
}

/* The first match of expr, as compact JSON ("" when none). */
static const char *first(const char *expr)
{
	static char text[512];
	cz_jsonpath *p = NULL;
	cz_error err = CZ_ERROR_INIT;
	json_t *v;
	char *dump;

	if (cz_jsonpath_compile(expr, &p, &err) != 0)
		fail_msg("%s: %s", expr, err.msg);
	v = cz_jsonpath_first(p, obj);
	text[0] = '\0';
	if (v) {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(text, sizeof(text), "%s", dump);
		free(dump);
	}
	cz_jsonpath_free(p);
	return text;
}

static json_t *cell(const char *expr, const char *type)
{
	cz_jsonpath *p = NULL;
	cz_error err = CZ_ERROR_INIT;
	json_t *c;

	if (cz_jsonpath_compile(expr, &p, &err) != 0)
		fail_msg("%s: %s", expr, err.msg);
	c = cz_jsonpath_cell(p, obj, type);
	cz_jsonpath_free(p);
	return c;
}

static void assert_cell(const char *expr, const char *type, const char *want)
{
	json_t *c = cell(expr, type);

	assert_json_text(c, want);
	json_decref(c);
}

static void test_steps(void **state)
{
	(void)state;
	assert_string_equal(first(".spec.variant"), "\"default\"");
	assert_string_equal(first("{.spec.variant}"), "\"default\"");
	assert_string_equal(first("$.spec.variant"), "\"default\"");
	assert_string_equal(first(".spec['variant']"), "\"default\"");
	assert_string_equal(first(".metadata.annotations[\"a.b/c\"]"),
			    "\"dot\"");
	assert_string_equal(first(".metadata.annotations.a\\.b/c"), "\"dot\"");
	assert_string_equal(first(".status.conditions[0].type"),
			    "\"Installed\"");
	assert_string_equal(first(".status.conditions[-1].type"), "\"Ready\"");
	assert_string_equal(first(".status.conditions[5].type"), "");
	assert_string_equal(first(".status.conditions[*].type"),
			    "\"Installed\"");
	assert_string_equal(first(".status.conditions[1:].type"), "\"Ready\"");
	assert_string_equal(first(".spec.missing.deeper"), "");
	assert_string_equal(first(".spec.variant.deeper"), "");
	assert_string_equal(first(".spec.components.*"), "1");
}

static void test_filters(void **state)
{
	(void)state;
	assert_string_equal(
		first(".status.conditions[?(@.type==\"Ready\")].status"),
		"\"False\"");
	assert_string_equal(
		first(".status.conditions[?(@.type=='Ready')].message"),
		"\"waiting\"");
	assert_string_equal(
		first(".status.conditions[?(@.type == 'Ready')].status"),
		"\"False\"");
	assert_string_equal(
		first(".status.conditions[?(@.type!='Installed')].type"),
		"\"Ready\"");
	assert_string_equal(first(".status.conditions[?(@.message)].type"),
			    "\"Ready\"");
	assert_string_equal(first(".status.conditions[?(@.n>1)].type"),
			    "\"Ready\"");
	assert_string_equal(first(".status.conditions[?(@.n<=1)].type"),
			    "\"Installed\"");
	assert_string_equal(
		first(".status.conditions[?(@.type=='Nope')].status"), "");
}

static void test_all_matches(void **state)
{
	cz_jsonpath *p = NULL;
	json_t *all;

	(void)state;
	assert_int_equal(cz_jsonpath_compile(".status.conditions[*].type", &p,
					     NULL),
			 0);
	all = cz_jsonpath_all(p, obj);
	assert_json_text(all, "[\"Installed\",\"Ready\"]");
	json_decref(all);
	cz_jsonpath_free(p);
}

static void test_compile_errors(void **state)
{
	static const char *const bad[] = {
		".status..type", ".a[", ".a['x", ".a[?(@.x==)]", ".a[x]",
		".a[?@.x]",      "a b", ".a[?(@.x=={})]", ".",
	};
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cz_jsonpath *p = NULL;

		if (cz_jsonpath_compile(bad[i], &p, &err) == 0)
			fail_msg("\"%s\" compiled", bad[i]);
		assert_null(p);
		assert_contains(err.msg, "invalid JSONPath at offset");
	}
	cz_jsonpath_compile(".status..type", &(cz_jsonpath *){ NULL }, &err);
	assert_contains(err.msg, "recursive descent");
}

static void test_cells(void **state)
{
	(void)state;
	assert_cell(".spec.variant", "string", "\"default\"");
	assert_cell(".spec.replicas", "string", "\"3\"");
	assert_cell(".spec.ratio", "string", "\"0.5\"");
	assert_cell(".spec.big", "string", "\"1e+06\"");
	assert_cell(".spec.enabled", "string", "\"true\"");
	assert_cell(".spec.components", "string",
		    "\"{\\\"a\\\":[1,2],\\\"b\\\":1}\"");
	assert_cell(".metadata.labels", "string",
		    "\"{\\\"x\\\":\\\"\\\\u003c\\\\u0026\\\\u003e\\\"}\"");
	assert_cell(".spec.nothing", "string", "null");
	assert_cell(".spec.absent", "string", "null");
	assert_cell(".status.conditions[*].type", "string", "\"Installed\"");
	assert_cell(".spec.replicas", "integer", "3");
	assert_cell(".spec.ratio", "integer", "0");
	assert_cell(".spec.replicas", "number", "3.0");
	assert_cell(".spec.variant", "integer", "null");
	assert_cell(".spec.enabled", "boolean", "true");
	assert_cell(".spec.variant", "boolean", "null");
	assert_cell(".metadata.creationTimestamp", "date",
		    "\"2024-05-01T10:00:00Z\"");
	assert_cell(".spec.variant", "date", "\"<invalid>\"");
	assert_cell(".spec.replicas", "date", "null");
	assert_cell(".spec.variant", "unknown", "null");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_all_matches),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_cells),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, setup, teardown);
}
