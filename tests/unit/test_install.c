/* What installing a deployment revision means without a cluster: which
 * files are objects, their apply order, namespaces, the errors that name
 * file and line, and what a later revision drops. */

#include "helpers.h"

#include "revision/install.h"

static json_t *files(const char *path, const char *text, ...)
{
	json_t *out = json_object();
	va_list ap;

	va_start(ap, text);
	while (path) {
		json_object_set_new(out, path, json_string(text));
		path = va_arg(ap, const char *);
		if (path)
			text = va_arg(ap, const char *);
	}
	va_end(ap);
	return out;
}

static const char *at(const json_t *objs, size_t i, const char *key)
{
	const json_t *o = json_array_get(objs, i);

	if (strcmp(key, "namespace") == 0 || strcmp(key, "name") == 0)
		return json_string_value(json_object_get(
			json_object_get(o, "metadata"), key));
	return json_string_value(json_object_get(o, key));
}

static void test_order_and_namespaces(void **state)
{
	json_t *res = files(
		"a/packages.yaml",
		"apiVersion: cozystack.io/v1alpha1\nkind: Package\n"
		"metadata: {name: p1}\n",
		"b/cm.yaml",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n",
		"Kptfile", "apiVersion: kpt.dev/v1\nkind: Kptfile\n",
		"README.md", "not: [an object",
		"c/local.yml",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: l\n"
		"  annotations: {config.kubernetes.io/local-config: \"true\"}\n",
		"d/src.json",
		"{\"apiVersion\": \"cozystack.io/v1alpha1\", \"kind\": "
		"\"PackageSource\", \"metadata\": {\"name\": \"s\"}}",
		NULL);
	json_t *objs = NULL;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	if (cz_install_objects(res, "team", &objs, &err) != CZ_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(json_array_size(objs), 4);
	/* Namespaces first, ConfigMaps next, other kinds, Packages last. */
	assert_string_equal(at(objs, 0, "kind"), "Namespace");
	assert_string_equal(at(objs, 1, "kind"), "ConfigMap");
	assert_string_equal(at(objs, 1, "namespace"), "team");
	assert_string_equal(at(objs, 2, "kind"), "PackageSource");
	assert_null(at(objs, 2, "namespace"));
	assert_string_equal(at(objs, 3, "kind"), "Package");
	json_decref(objs);
	json_decref(res);
}

static void expect_refused(const char *path, const char *text,
			   const char *msg)
{
	json_t *res = files(path, text, NULL);
	json_t *objs = NULL;
	cz_error err = CZ_ERROR_INIT;

	assert_int_equal(cz_install_objects(res, "ns", &objs, &err),
			 CZ_EINVALID);
	assert_null(objs);
	if (!strstr(err.msg, msg))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, msg);
	json_decref(res);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("x.yaml", "a: [1\n", "x.yaml:2:");
	expect_refused("x.yaml",
		       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
		       "---\nkind: ConfigMap\n",
		       "x.yaml:4: expected an object with apiVersion, kind "
		       "and metadata.name");
	expect_refused("x.yaml", "- 1\n- 2\n", "x.yaml:1: expected an object");
	expect_refused("x.yaml",
		       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
		       "---\napiVersion: example.com/v1\nkind: Widget\n"
		       "metadata: {name: w}\n",
		       "x.yaml:4: example.com/v1 Widget is not a kind the "
		       "server serves");
	expect_refused("x.yaml",
		       "apiVersion: v1\nkind: Namespace\n"
		       "metadata: {name: a, namespace: b}\n",
		       "x.yaml:1: metadata.namespace: Namespace is "
		       "cluster-scoped");
	expect_refused("x.yaml",
		       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
		       "---\napiVersion: v1\nkind: ConfigMap\n"
		       "metadata: {name: a, namespace: ns}\n",
		       "x.yaml:4: ConfigMap a is defined twice");
}

static json_t *ref(const char *kind, const char *name)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "apiVersion",
			 strcmp(kind, "Package") == 0 ? "cozystack.io/v1alpha1"
						      : "v1",
			 "kind", kind, "namespace", "", "name", name);
}

static void test_dropped_and_union(void **state)
{
	json_t *old = json_pack("[o, o, o]", ref("Namespace", "n"),
				ref("Package", "a"), ref("Package", "b"));
	json_t *now = json_pack("[o]", ref("Package", "b"));
	json_t *gone, *all;

	(void)state;
	gone = cz_install_dropped(old, now);
	/* Packages go before the Namespace they may live in. */
	assert_int_equal(json_array_size(gone), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(gone, 0), "kind")),
			    "Package");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(gone, 1), "kind")),
			    "Namespace");
	all = cz_install_union(now, old);
	assert_int_equal(json_array_size(all), 3);
	json_decref(gone);
	json_decref(all);
	json_decref(old);
	json_decref(now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_namespaces),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_dropped_and_union),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
