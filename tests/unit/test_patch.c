/* JSON merge patch, JSON patch and strategic merge patch. */

#include "helpers.h"
#include "jsonhelp.h"

#include "api/patch.h"
#include "util/mem.h"

typedef struct patch_case {
	const char *doc;
	const char *patch;
	const char *want; /* NULL: the patch must fail */
	const char *error; /* expected message part when it fails */
} patch_case;

typedef int (*patch_fn)(json_t **doc, const json_t *patch, cz_error *err);

static const cz_merge_key smp_keys[] = {
	{ "metadata.ownerReferences", "uid" },
	{ "status.conditions", "type" },
	{ "spec.containers", "name" },
	{ "spec.containers.ports", "containerPort" },
	{ NULL, NULL },
};

static int smp_fn(json_t **doc, const json_t *patch, cz_error *err)
{
	return cz_strategic_merge_patch(doc, patch, smp_keys, err);
}

static void run_cases(const patch_case *cases, size_t n, patch_fn fn)
{
	for (size_t i = 0; i < n; i++) {
		const patch_case *c = &cases[i];
		json_t *doc = J(c->doc);
		json_t *before = json_deep_copy(doc);
		json_t *patch = J(c->patch);
		cz_error err = CZ_ERROR_INIT;
		int rc = fn(&doc, patch, &err);

		if (c->want) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, err.msg);
			assert_json(doc, c->want);
		} else {
			if (rc == 0)
				fail_msg("case %zu: succeeded", i);
			assert_contains(err.msg, c->error);
			/* all or nothing */
			assert_true(json_equal(doc, before));
		}
		json_decref(doc);
		json_decref(before);
		json_decref(patch);
	}
}

/* RFC 7386, Appendix A. */
static void test_merge_patch_rfc7386(void **state)
{
	static const patch_case cases[] = {
		{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}", NULL },
		{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}",
		  NULL },
		{ "{\"a\":\"b\"}", "{\"a\":null}", "{}", NULL },
		{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}",
		  NULL },
		{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}", NULL },
		{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}", NULL },
		{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
		  "{\"a\":{\"b\":\"d\"}}", NULL },
		{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}", NULL },
		{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]", NULL },
		{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]", NULL },
		{ "{\"a\":\"foo\"}", "null", "null", NULL },
		{ "{\"a\":\"foo\"}", "\"bar\"", "\"bar\"", NULL },
		{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}", NULL },
		{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}", NULL },
		{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}",
		  "{\"a\":{\"bb\":{}}}", NULL },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), cz_merge_patch);
}

#define FOO "{\"foo\":\"bar\"}"

/* RFC 6902, Appendix A, plus the ways a patch can go wrong. */
static void test_json_patch_rfc6902(void **state)
{
	static const patch_case cases[] = {
		/* A.1 - A.16 */
		{ FOO, "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
		  "{\"baz\":\"qux\",\"foo\":\"bar\"}", NULL },
		{ "{\"foo\":[\"bar\",\"baz\"]}",
		  "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
		  "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", NULL },
		{ "{\"baz\":\"qux\",\"foo\":\"bar\"}",
		  "[{\"op\":\"remove\",\"path\":\"/baz\"}]", FOO, NULL },
		{ "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
		  "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
		  "{\"foo\":[\"bar\",\"baz\"]}", NULL },
		{ "{\"baz\":\"qux\",\"foo\":\"bar\"}",
		  "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
		  "{\"baz\":\"boo\",\"foo\":\"bar\"}", NULL },
		{ "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},"
		  "\"qux\":{\"corge\":\"grault\"}}",
		  "[{\"op\":\"move\",\"from\":\"/foo/waldo\","
		  "\"path\":\"/qux/thud\"}]",
		  "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\","
		  "\"thud\":\"fred\"}}",
		  NULL },
		{ "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
		  "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
		  "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", NULL },
		{ "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
		  "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
		  "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
		  "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", NULL },
		{ "{\"baz\":\"qux\"}",
		  "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL,
		  "op 0 (test /baz): test failed" },
		{ FOO,
		  "[{\"op\":\"add\",\"path\":\"/child\",\"value\":"
		  "{\"grandchild\":{}}}]",
		  "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", NULL },
		{ FOO,
		  "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\","
		  "\"xyz\":123}]",
		  "{\"foo\":\"bar\",\"baz\":\"qux\"}", NULL },
		{ FOO,
		  "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
		  NULL, "op 0 (add /baz/bat): path not found" },
		{ "{\"/\":9,\"~1\":10}",
		  "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
		  "{\"/\":9,\"~1\":10}", NULL },
		{ "{\"/\":9,\"~1\":10}",
		  "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", NULL,
		  "test failed" },
		{ "{\"foo\":[\"bar\"]}",
		  "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\","
		  "\"def\"]}]",
		  "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}", NULL },
		/* pointers, indices and atomicity */
		{ "{\"a/b\":1}",
		  "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":2}]",
		  "{\"a/b\":2}", NULL },
		{ "{\"spec\":{}}",
		  "[{\"op\":\"add\",\"path\":\"/spec/a\",\"value\":1},"
		  "{\"op\":\"test\",\"path\":\"/spec/a\",\"value\":1.0},"
		  "{\"op\":\"replace\",\"path\":\"/spec/x\",\"value\":1}]",
		  NULL, "op 2 (replace /spec/x): path not found" },
		{ "{\"items\":[1]}",
		  "[{\"op\":\"add\",\"path\":\"/items/99999999999\","
		  "\"value\":1}]",
		  NULL, "array index 99999999999 out of range" },
		{ "{\"items\":[1]}",
		  "[{\"op\":\"remove\",\"path\":"
		  "\"/items/99999999999999999999999999\"}]",
		  NULL, "out of range" },
		{ "{\"items\":[1]}",
		  "[{\"op\":\"add\",\"path\":\"/items/01\",\"value\":1}]", NULL,
		  "invalid array index \"01\"" },
		{ "{\"items\":[1]}",
		  "[{\"op\":\"remove\",\"path\":\"/items/-\"}]", NULL,
		  "\"-\" names no existing array element" },
		{ "{\"items\":[1]}",
		  "[{\"op\":\"add\",\"path\":\"/items/-/x\",\"value\":1}]", NULL,
		  "op 0 (add /items/-/x)" },
		{ "{\"items\":[1]}",
		  "[{\"op\":\"add\",\"path\":\"/items/2\",\"value\":1}]", NULL,
		  "out of range" },
		{ "{\"items\":[1]}",
		  "[{\"op\":\"add\",\"path\":\"/items/1\",\"value\":2}]",
		  "{\"items\":[1,2]}", NULL },
		{ "{\"a\":{\"b\":{}}}",
		  "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", NULL,
		  "cannot be moved into one of its children" },
		{ "{\"a\":{\"b\":1}}",
		  "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/c\"}]",
		  "{\"a\":{\"b\":1,\"c\":{\"b\":1}}}", NULL },
		{ "{\"a\":1}",
		  "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
		  "{\"a\":1}", NULL },
		{ "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[]}]",
		  "[]", NULL },
		{ "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", NULL,
		  "root" },
		{ "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"a\"}]", NULL,
		  "invalid JSON pointer" },
		{ "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/~2\"}]", NULL,
		  "bad \"~\" escape" },
		{ "{\"a\":1}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL,
		  "op 0 (frob /a): unknown operation" },
		{ "{\"a\":1}", "[{\"path\":\"/a\"}]", NULL,
		  "op 0: missing \"op\"" },
		{ "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\"}]", NULL,
		  "missing \"value\"" },
		{ "{\"a\":1}", "[{\"op\":\"copy\",\"path\":\"/b\"}]", NULL,
		  "missing \"from\"" },
		{ "{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/z\",\"path\":\"/b\"}]",
		  NULL, "\"from\" path not found" },
		{ "{\"a\":1}", "{\"op\":\"add\"}", NULL, "must be an array" },
		{ "{\"a\":\"x\"}",
		  "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", NULL,
		  "path not found" },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), cz_json_patch);
}

static void test_json_patch_limits(void **state)
{
	json_t *doc = J("{\"a\":[1,2,3,4,5,6,7,8]}");
	json_t *ops = json_array();
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	/* Doubling by copy must stop at the copy budget, not exhaust memory. */
	for (int i = 0; i < 40; i++)
		json_array_append_new(ops, J("{\"op\":\"copy\",\"from\":\"/a\","
					     "\"path\":\"/a/-\"}"));
	assert_int_equal(cz_json_patch(&doc, ops, &err), CZ_ETOOLARGE);
	assert_contains(err.msg, "copies more than");
	json_array_clear(ops);
	/* Nesting a document into itself again and again hits the depth cap. */
	for (int i = 0; i < 40; i++)
		json_array_append_new(ops, J("{\"op\":\"copy\",\"from\":\"\","
					     "\"path\":\"/a/0\"}"));
	assert_true(cz_json_patch(&doc, ops, &err) < 0);
	json_array_clear(ops);
	for (int i = 0; i <= CZ_JSON_PATCH_MAX_OPS; i++)
		json_array_append_new(ops, J("{\"op\":\"test\",\"path\":\"\","
					     "\"value\":1}"));
	assert_int_equal(cz_json_patch(&doc, ops, &err), CZ_ETOOLARGE);
	assert_contains(err.msg, "maximum operations");
	assert_json(doc, "{\"a\":[1,2,3,4,5,6,7,8]}");
	json_decref(ops);
	json_decref(doc);
}

static void test_smp_maps_and_lists(void **state)
{
	static const patch_case cases[] = {
		/* maps merge, null deletes, other lists replace */
		{ "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}},"
		  "\"spec\":{\"args\":[\"x\",\"y\"]}}",
		  "{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"}},"
		  "\"spec\":{\"args\":[\"z\"]}}",
		  "{\"metadata\":{\"labels\":{\"b\":\"2\",\"c\":\"3\"}},"
		  "\"spec\":{\"args\":[\"z\"]}}",
		  NULL },
		/* keyed list: merge by key, append new, delete directive */
		{ "{\"status\":{\"conditions\":[{\"type\":\"Ready\","
		  "\"status\":\"False\",\"reason\":\"X\"},{\"type\":\"Stalled\","
		  "\"status\":\"True\"}]}}",
		  "{\"status\":{\"conditions\":[{\"type\":\"Ready\","
		  "\"status\":\"True\",\"reason\":null},{\"type\":\"New\","
		  "\"status\":\"True\",\"x\":null},{\"type\":\"Stalled\","
		  "\"$patch\":\"delete\"}]}}",
		  "{\"status\":{\"conditions\":[{\"type\":\"Ready\","
		  "\"status\":\"True\"},{\"type\":\"New\",\"status\":\"True\"}]}}",
		  NULL },
		/* $patch: replace in a keyed list */
		{ "{\"status\":{\"conditions\":[{\"type\":\"A\"},{\"type\":\"B\"}]}}",
		  "{\"status\":{\"conditions\":[{\"type\":\"C\"},"
		  "{\"$patch\":\"replace\"}]}}",
		  "{\"status\":{\"conditions\":[{\"type\":\"C\"}]}}", NULL },
		/* nested keyed list inside a keyed item */
		{ "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":"
		  "[{\"containerPort\":80,\"name\":\"http\"}]}]}}",
		  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":"
		  "[{\"containerPort\":80,\"protocol\":\"TCP\"},"
		  "{\"containerPort\":443}]}]}}",
		  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":"
		  "[{\"containerPort\":80,\"name\":\"http\",\"protocol\":\"TCP\"},"
		  "{\"containerPort\":443}]}]}}",
		  NULL },
		/* $patch on maps */
		{ "{\"data\":{\"a\":\"1\",\"b\":\"2\"},\"x\":1}",
		  "{\"data\":{\"$patch\":\"replace\",\"c\":\"3\"}}",
		  "{\"data\":{\"c\":\"3\"},\"x\":1}", NULL },
		{ "{\"data\":{\"a\":\"1\"},\"x\":1}",
		  "{\"data\":{\"$patch\":\"delete\"}}", "{\"data\":{},\"x\":1}",
		  NULL },
		{ "{\"x\":1}", "{\"data\":{\"$patch\":\"delete\"}}", "{\"x\":1}",
		  NULL },
		/* finalizers merge as a set; $deleteFromPrimitiveList */
		{ "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
		  "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}",
		  "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}", NULL },
		{ "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"]}}",
		  "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":"
		  "[\"a\"]}}",
		  "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}", NULL },
		/* $retainKeys */
		{ "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\","
		  "\"rollingUpdate\":{\"maxSurge\":1}}}}",
		  "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],"
		  "\"type\":\"Recreate\"}}}",
		  "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}", NULL },
		{ "{\"spec\":{}}",
		  "{\"spec\":{\"$retainKeys\":[\"a\"],\"b\":1}}", NULL,
		  "invalid patch format of retainKeys" },
		/* errors */
		{ "{\"status\":{\"conditions\":[{\"type\":\"A\"}]}}",
		  "{\"status\":{\"conditions\":[{\"status\":\"x\"}]}}", NULL,
		  "does not contain declared merge key: type" },
		{ "{\"status\":{\"conditions\":[{\"type\":\"A\"}]}}",
		  "{\"status\":{\"conditions\":[{\"$patch\":\"delete\"}]}}",
		  NULL, "delete patch type with no merge key defined" },
		{ "{\"status\":{\"conditions\":[{\"type\":\"A\"}]}}",
		  "{\"status\":{\"conditions\":[{\"$patch\":\"merge\"}]}}", NULL,
		  "merging lists cannot yet be specified" },
		{ "{\"a\":{}}", "{\"a\":{\"$patch\":\"frob\"}}", NULL,
		  "unknown patch type: frob" },
		{ "{\"metadata\":{\"finalizers\":[\"a\"]}}",
		  "{\"metadata\":{\"finalizers\":[{\"x\":1}]}}", NULL,
		  "list element types are not identical" },
		{ "{\"status\":{\"conditions\":[{\"type\":\"A\"}]}}",
		  "{\"status\":{\"conditions\":[[1]]}}", NULL,
		  "lists of lists" },
		{ "{\"a\":1}", "[1]", NULL, "must be JSON objects" },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), smp_fn);
}

/* What kubectl apply sends to reorder: $setElementOrder lists. */
static void test_smp_set_element_order(void **state)
{
	json_t *doc = J("{\"status\":{\"conditions\":[{\"type\":\"A\"},"
			"{\"type\":\"S\"},{\"type\":\"B\"}]},"
			"\"metadata\":{\"finalizers\":[\"x\",\"y\"]}}");
	json_t *patch = J("{\"status\":{\"$setElementOrder/conditions\":"
			  "[{\"type\":\"B\"},{\"type\":\"C\"},{\"type\":\"A\"}],"
			  "\"conditions\":[{\"type\":\"C\"}]},"
			  "\"metadata\":{\"$setElementOrder/finalizers\":"
			  "[\"z\",\"y\",\"x\"],\"finalizers\":[\"z\"]}}");
	json_t *bad = J("{\"status\":{\"$setElementOrder/conditions\":"
			"[{\"type\":\"A\"},{\"type\":\"C\"}],"
			"\"conditions\":[{\"type\":\"C\"},{\"type\":\"A\"}]}}");
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_strategic_merge_patch(&doc, patch, smp_keys, &err),
			 0);
	/* S only lives on the server; kube places it by live positions: S
	 * was before B there, so it comes first. */
	assert_json_text(json_object_get(doc, "status"),
			 "{\"conditions\":[{\"type\":\"S\"},{\"type\":\"B\"},"
			 "{\"type\":\"C\"},{\"type\":\"A\"}]}");
	assert_json_text(json_object_get(doc, "metadata"),
			 "{\"finalizers\":[\"z\",\"y\",\"x\"]}");
	assert_true(cz_strategic_merge_patch(&doc, bad, smp_keys, &err) < 0);
	assert_contains(err.msg, "doesn't match $setElementOrder list");
	json_decref(doc);
	json_decref(patch);
	json_decref(bad);
}

static void test_deep_nesting(void **state)
{
	json_t *doc = J("{}");
	json_t *deep = json_object();
	json_t *cur = deep;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	for (int i = 0; i < CZ_JSON_MAX_DEPTH + 10; i++) {
		json_t *next = json_object();

		json_object_set_new(cur, "a", next);
		cur = next;
	}
	assert_int_equal(cz_merge_patch(&doc, deep, &err), CZ_ETOOLARGE);
	assert_int_equal(cz_strategic_merge_patch(&doc, deep, NULL, &err),
			 CZ_ETOOLARGE);
	assert_json(doc, "{}");
	json_decref(deep);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_patch_rfc7386),
		cmocka_unit_test(test_json_patch_rfc6902),
		cmocka_unit_test(test_json_patch_limits),
		cmocka_unit_test(test_smp_maps_and_lists),
		cmocka_unit_test(test_smp_set_element_order),
		cmocka_unit_test(test_deep_nesting),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
