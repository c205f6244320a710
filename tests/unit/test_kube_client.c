/* The pure parts of the Kubernetes client: paths, escaping, the mapping of
 * answers to codes, and what a handle does before anything is sent. */

#include "helpers.h"

#include <stdlib.h>

#include "api/resource.h"
#include "kube/client.h"
#include "util/mem.h"

static const cz_resource *find(const char *group, const char *resource)
{
	const cz_resource *r =
		cz_resource_find(group, group[0] ? "v1alpha1" : "v1", resource);

	if (!r)
		fail_msg("no resource %s/%s", group, resource);
	return r;
}

static void path_is(const cz_resource *r, const char *ns, const char *name,
		    const char *sub, const char *query, const char *want)
{
	char *got = cz_kube_path(r, ns, name, sub, query);

	assert_string_equal(got, want);
	free(got);
}

static void test_core_paths(void **state)
{
	const cz_resource *cm = find("", "configmaps");
	const cz_resource *ns = find("", "namespaces");

	(void)state;
	path_is(cm, NULL, NULL, NULL, NULL, "/api/v1/configmaps");
	path_is(cm, "", NULL, NULL, NULL, "/api/v1/configmaps");
	path_is(cm, "kube-system", NULL, NULL, NULL,
		"/api/v1/namespaces/kube-system/configmaps");
	path_is(cm, "a", "b", NULL, "watch=1",
		"/api/v1/namespaces/a/configmaps/b?watch=1");
	/* Cluster-scoped: the namespace is ignored. */
	path_is(ns, "a", "demo", NULL, NULL, "/api/v1/namespaces/demo");
	path_is(ns, NULL, "demo", "status", "",
		"/api/v1/namespaces/demo/status");
}

static void test_group_paths(void **state)
{
	const cz_resource *pkg = find("cozystack.io", "packages");

	(void)state;
	assert_false(pkg->namespaced);
	path_is(pkg, NULL, NULL, NULL, "labelSelector=a%3Db",
		"/apis/cozystack.io/v1alpha1/packages?labelSelector=a%3Db");
	path_is(pkg, "ignored", "demo.app", "status", NULL,
		"/apis/cozystack.io/v1alpha1/packages/demo.app/status");
	/* A subresource without a name makes no sense and is dropped. */
	path_is(pkg, NULL, NULL, "status", NULL,
		"/apis/cozystack.io/v1alpha1/packages");
}

static void test_namespaced_group_path(void **state)
{
	size_t n;
	const cz_resource *all = cz_resources(&n);
	const cz_resource *r = NULL;

	(void)state;
	for (size_t i = 0; i < n && !r; i++)
		if (all[i].namespaced && all[i].group[0])
			r = &all[i];
	assert_non_null(r);
	char *got = cz_kube_path(r, "ns1", "x", NULL, NULL);
	char *want = cz_xasprintf("/apis/%s/%s/namespaces/ns1/%s/x", r->group,
				  r->version, r->resource);

	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_odd_names_are_escaped(void **state)
{
	const cz_resource *cm = find("", "configmaps");

	(void)state;
	path_is(cm, "a b", "x/y?z#w", NULL, NULL,
		"/api/v1/namespaces/a%20b/configmaps/x%2Fy%3Fz%23w");
	/* Dot segments would be taken as steps up the path. */
	path_is(cm, "..", ".", NULL, NULL,
		"/api/v1/namespaces/%2E%2E/configmaps/%2E");
	path_is(cm, "n", "%", NULL, NULL,
		"/api/v1/namespaces/n/configmaps/%25");
	path_is(cm, "n", "a.b-c_d~e", NULL, NULL,
		"/api/v1/namespaces/n/configmaps/a.b-c_d~e");
}

static void escape_is(const char *in, const char *want)
{
	char *got = cz_kube_escape(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	escape_is("", "");
	escape_is(NULL, "");
	escape_is("app=web,tier in (a,b)",
		  "app%3Dweb%2Ctier%20in%20%28a%2Cb%29");
	escape_is("AZaz09-._~", "AZaz09-._~");
	escape_is("\xc3\xa9+&", "%C3%A9%2B%26");
	escape_is("\x01\x7f", "%01%7F");
}

static int check(long status, const char *body_text, cz_error *err)
{
	cz_kube_response resp = { status, NULL };
	cz_kubeconfig kc = { .server = "https://127.0.0.1:1" };
	cz_kube *k = NULL;
	int rc;

	assert_int_equal(cz_kube_open(&kc, NULL, &k, NULL), CZ_OK);
	if (body_text)
		resp.body = json_loads(body_text, 0, NULL);
	rc = cz_kube_check(k, &resp, err);
	cz_kube_response_release(&resp);
	cz_kube_free(k);
	return rc;
}

static void test_status_mapping(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	static const struct {
		long status;
		const char *reason;
		int code;
	} rows[] = {
		{ 200, NULL, CZ_OK },
		{ 201, NULL, CZ_OK },
		{ 404, "NotFound", CZ_ENOTFOUND },
		{ 409, "AlreadyExists", CZ_EEXISTS },
		{ 409, "Conflict", CZ_ECONFLICT },
		{ 400, "BadRequest", CZ_EINVALID },
		{ 422, "Invalid", CZ_EINVALID },
		{ 401, "Unauthorized", CZ_EDENIED },
		{ 403, "Forbidden", CZ_EDENIED },
		{ 410, "Expired", CZ_EGONE },
		{ 413, "RequestEntityTooLarge", CZ_ETOOLARGE },
		{ 500, "InternalError", CZ_ERR },
		{ 503, NULL, CZ_ERR },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		char body[256];

		snprintf(body, sizeof(body),
			 "{\"kind\":\"Status\",\"reason\":\"%s\","
			 "\"message\":\"m%zu\"}",
			 rows[i].reason ? rows[i].reason : "", i);
		cz_error_clear(&err);
		assert_int_equal(check(rows[i].status, body, &err),
				 rows[i].code);
		if (rows[i].code != CZ_OK) {
			char want[16];

			snprintf(want, sizeof(want), "m%zu", i);
			assert_string_equal(err.msg, want);
		}
	}
}

static void test_status_without_body(void **state)
{
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(check(502, NULL, &err), CZ_ERR);
	assert_string_equal(err.msg, "https://127.0.0.1:1: HTTP status 502");
	assert_int_equal(check(409, "[1]", &err), CZ_ECONFLICT);
}

static void test_open_and_dup(void **state)
{
	cz_kubeconfig kc = { .server = "https://example.invalid:6443//",
			     .token = "t", .namespace = "default" };
	cz_error err = CZ_ERROR_INIT;
	cz_kube *k = NULL, *k2 = NULL;

	(void)state;
	assert_int_equal(cz_kube_open(&kc, NULL, &k, &err), CZ_OK);
	assert_string_equal(cz_kube_server(k), "https://example.invalid:6443");
	assert_int_equal(cz_kube_dup(k, &k2, &err), CZ_OK);
	assert_string_equal(cz_kube_server(k2), cz_kube_server(k));
	cz_kube_free(k);
	assert_string_equal(cz_kube_server(k2), "https://example.invalid:6443");
	cz_kube_free(k2);
	cz_kube_free(NULL);

	kc.server = "";
	assert_int_equal(cz_kube_open(&kc, NULL, &k, &err), CZ_EINVALID);
	assert_null(k);
	kc.server = "https://127.0.0.1:6443";
	kc.tls_server_name = "localhost";
	assert_int_equal(cz_kube_open(&kc, NULL, &k, &err), CZ_OK);
	assert_string_equal(cz_kube_server(k), "https://127.0.0.1:6443");
	cz_kube_free(k);
}

/* Nothing listens on port 1: the error is one line naming the server. */
static void test_unreachable(void **state)
{
	cz_kubeconfig kc = { .server = "https://127.0.0.1:1" };
	cz_kube_opts opts = { .timeout_seconds = 5 };
	cz_error err = CZ_ERROR_INIT;
	cz_kube *k = NULL;
	json_t *obj = NULL;
	volatile int stop = 0;

	(void)state;
	assert_int_equal(cz_kube_open(&kc, &opts, &k, &err), CZ_OK);
	assert_int_equal(cz_kube_get(k, "/api/v1/namespaces", &obj, &err),
			 CZ_EIO);
	assert_null(obj);
	assert_string_equal(err.msg,
			    "https://127.0.0.1:1: connection refused");
	assert_int_equal(cz_kube_watch(k, "/api/v1/namespaces?watch=1", NULL,
				       NULL, &stop, &err),
			 CZ_EIO);
	assert_null(strchr(err.msg, '\n'));
	cz_kube_free(k);
}

/* An empty query adds no "?". */
static void test_empty_query(void **state)
{
	(void)state;
	path_is(find("", "secrets"), "ns", "s", NULL, "",
		"/api/v1/namespaces/ns/secrets/s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_paths),
		cmocka_unit_test(test_group_paths),
		cmocka_unit_test(test_namespaced_group_path),
		cmocka_unit_test(test_odd_names_are_escaped),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_status_mapping),
		cmocka_unit_test(test_status_without_body),
		cmocka_unit_test(test_open_and_dup),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_empty_query),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
