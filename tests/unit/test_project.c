/* JSON projection: what is kept, what is skipped, and broken input. */

#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "object/project.h"
#include "util/mem.h"

/* Projects text through paths and returns the compact JSON of the result,
 * or "ERR: message". */
static char *project(const char *text, const char *const *paths, size_t n)
{
	cz_projection *p = cz_projection_new(paths, n);
	cz_error err = CZ_ERROR_INIT;
	json_t *out = NULL;
	char *s;

	assert_non_null(p);
	if (cz_json_project(text, strlen(text), p, &out, &err) < 0) {
		s = cz_xasprintf("ERR: %s", err.msg);
	} else {
		s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(out);
	}
	cz_projection_free(p);
	return s;
}

static void expect(const char *text, const char *const *paths, size_t n,
		   const char *want)
{
	char *got = project(text, paths, n);

	assert_string_equal(got, want);
	free(got);
}

static const char list[] =
	"{\"kind\":\"List\",\"items\":[\n"
	" {\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"f\":{\"x\":[1,2]}}]},"
	"  \"spec\":{\"variants\":[{\"name\":\"v1\",\"components\":[{\"name\":"
	"\"c\",\"path\":\"p \\\" ]}\"}]},{\"name\":\"v2\"}]},"
	"  \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}},"
	" {\"metadata\":{\"name\":\"b\\u00e9\"},\"spec\":{\"variants\":7}}\n]}";

static void test_keeps_only_the_paths(void **state)
{
	const char *paths[] = { "items[].metadata.name",
				"items[].spec.variants[].name",
				"items[].status.conditions" };

	(void)state;
	expect(list, paths, 3,
	       "{\"items\":[{\"metadata\":{\"name\":\"a\"},\"spec\":{\"variants"
	       "\":[{\"name\":\"v1\"},{\"name\":\"v2\"}]},\"status\":{\"condit"
	       "ions\":[{\"status\":\"True\",\"type\":\"Ready\"}]}},{\"metadat"
	       "a\":{\"name\":\"b\xc3\xa9\"},\"spec\":{}}]}");
}

static void test_whole_member_and_raw_text(void **state)
{
	const char *whole[] = { "items[].spec" };
	const char *raw[] = { "items[].metadata.name", "items[].spec~" };
	char *got;

	(void)state;
	got = project(list, whole, 1);
	assert_contains(got, "\"path\":\"p \\\" ]}\"");
	free(got);
	expect("{\"items\":[{\"metadata\":{\"name\":\"a\"},\"spec\": {\"x\": [1, 2]} }]}",
	       raw, 2,
	       "{\"items\":[{\"metadata\":{\"name\":\"a\"},\"spec\":\"{\\\"x\\\": [1, 2]}\"}]}");
}

static void test_escaped_keys_and_values(void **state)
{
	const char *paths[] = { "a.b", "c" };

	(void)state;
	expect("{\"\\u0061\":{\"b\":\"x\\ny\"},\"c\":-1.5e3,\"d\":[true]}", paths,
	       2, "{\"a\":{\"b\":\"x\\ny\"},\"c\":-1500.0}");
	expect("{\"a\":[1,2],\"c\":null}", paths, 2, "{\"c\":null}");
}

static void test_broken_input(void **state)
{
	const char *paths[] = { "items[].metadata.name" };
	static const char *const broken[] = {
		"", "{", "{\"items\":[", "{\"items\":[{\"metadata\":{\"name\":\"a}}]}",
		"{\"items\":[{\"x\":[[[]}]}", "{\"items\":[]} tail", "[1,2]",
		"{\"items\":[{\"metadata\":{\"name\":}}]}", "{\"items\" 5}",
		"{\"a\":]}", "{\"items\":[{\"x\":\"\\\\\"}]",
	};
	char *deep = malloc(2 * (CZ_PROJECT_MAX_DEPTH + 10) + 16);
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		char *got = project(broken[i], paths, 1);

		if (strncmp(got, "ERR: offset ", 12) != 0)
			fail_msg("accepted %s as %s", broken[i], got);
		free(got);
	}
	n += (size_t)sprintf(deep, "{\"x\":");
	for (size_t i = 0; i < CZ_PROJECT_MAX_DEPTH + 5; i++)
		deep[n++] = '[';
	for (size_t i = 0; i < CZ_PROJECT_MAX_DEPTH + 5; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	{
		char *got = project(deep, paths, 1);

		assert_contains(got, "nested too deeply");
		free(got);
	}
	free(deep);
}

/* "-" paths: everything but the member named, as jansson would parse it. */
static void test_leaves_out_a_member(void **state)
{
	const char *no_fields[] = { "-metadata.managedFields" };
	const char *object = "{\"kind\":\"X\",\"metadata\":{\"name\":\"a\","
			     "\"managedFields\":[{\"f\":{\"x\":[1,2]}}],"
			     "\"labels\":{\"k\":\"v\"}},\"spec\":{\"n\":"
			     "[1,{\"m\":\"\\u00e9\"}]},\"data\":null}";
	const char *mixed[] = { "-metadata.managedFields", "status.phase" };
	json_t *whole = json_loads(object, 0, NULL);
	char *want;

	(void)state;
	json_object_del(json_object_get(whole, "metadata"), "managedFields");
	want = json_dumps(whole, JSON_COMPACT | JSON_SORT_KEYS);
	expect(object, no_fields, 1, want);
	/* No metadata object: nothing to leave out, all else stays. */
	expect("{\"metadata\":[1],\"a\":{}}", no_fields, 1,
	       "{\"a\":{},\"metadata\":[1]}");
	/* A kept path beside: the root keeps everything still. */
	expect("{\"status\":{\"phase\":1,\"x\":2},\"metadata\":{"
	       "\"managedFields\":[],\"uid\":\"u\"}}",
	       mixed, 2,
	       "{\"metadata\":{\"uid\":\"u\"},\"status\":{\"phase\":1}}");
	free(want);
	json_decref(whole);
}

/* No projection: the whole document; a fixed one: built once. */
static void test_whole_and_static(void **state)
{
	static const char *const paths[] = { "a" };
	static cz_static_projection fixed = { paths, 1, NULL };
	cz_error err = CZ_ERROR_INIT;
	json_t *out = NULL;

	(void)state;
	assert_int_equal(cz_json_project("{\"a\":1,\"b\":[2]}", 15, NULL, &out,
					 &err), CZ_OK);
	assert_int_equal(json_object_size(out), 2);
	json_decref(out);
	assert_int_equal(cz_json_project("{\"a\":", 5, NULL, &out, &err),
			 CZ_EINVALID);
	assert_null(out);
	assert_contains(err.msg, "offset ");
	assert_ptr_equal(cz_projection_static(&fixed),
			 cz_projection_static(&fixed));
	assert_int_equal(cz_json_project("{\"a\":1,\"b\":[2]}", 15,
					 cz_projection_static(&fixed), &out,
					 &err), CZ_OK);
	assert_int_equal(json_object_size(out), 1);
	json_decref(out);
}

static void test_bad_paths(void **state)
{
	const char *bad[][1] = { { "" }, { "a..b" }, { "a[x]" }, { "a[].b[" },
				 { ".a" }, { "-" }, { "-a[].b" }, { "-a~" } };
	/* A "-" path and a kept one that would undo each other. */
	const char *clash[][2] = { { "a.b", "-a.b" }, { "-a.b", "a.b" },
				   { "a", "-a.b" }, { "-a.b", "a.b.c" },
				   { "a.b.c", "-a.b" } };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(cz_projection_new(bad[i], 1));
	for (size_t i = 0; i < sizeof(clash) / sizeof(clash[0]); i++)
		assert_null(cz_projection_new(clash[i], 2));
	assert_null(cz_projection_new(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_only_the_paths),
		cmocka_unit_test(test_whole_member_and_raw_text),
		cmocka_unit_test(test_escaped_keys_and_values),
		cmocka_unit_test(test_broken_input),
		cmocka_unit_test(test_leaves_out_a_member),
		cmocka_unit_test(test_whole_and_static),
		cmocka_unit_test(test_bad_paths),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
