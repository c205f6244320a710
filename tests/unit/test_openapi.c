/* The OpenAPI documents: well-formed, complete, usable by kubectl. */

#include "helpers.h"

#include <stdlib.h>

#include "api/openapi.h"
#include "api/resource.h"
#include "model/schema.h"
#include "util/buf.h"
#include "util/mem.h"

static json_t *parse(const cz_buf *b)
{
	json_error_t jerr;
	json_t *doc = json_loadb(b->data, b->len, 0, &jerr);

	if (!doc)
		fail_msg("not JSON: %s", jerr.text);
	return doc;
}

static json_t *v2_doc(void)
{
	cz_buf b;
	cz_error err = CZ_ERROR_INIT;
	json_t *doc;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_openapi_v2(&b, &err), CZ_OK);
	doc = parse(&b);
	cz_buf_release(&b);
	return doc;
}

/* "api/v1" or "apis/<group>/<version>" of a resource. */
static char *gv_path(const cz_resource *r)
{
	return *r->group ? cz_xasprintf("apis/%s", r->group_version)
			 : cz_xasprintf("api/%s", r->group_version);
}

static json_t *v3_doc(const char *path)
{
	cz_buf b;
	cz_error err = CZ_ERROR_INIT;
	json_t *doc;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_openapi_v3_group(path, &b, &err), CZ_OK);
	doc = parse(&b);
	cz_buf_release(&b);
	return doc;
}

static bool gvk_matches(const json_t *gvk, const cz_resource *r,
			const char *kind)
{
	return json_is_object(gvk) &&
	       strcmp(json_string_value(json_object_get(gvk, "group")),
		      r->group) == 0 &&
	       strcmp(json_string_value(json_object_get(gvk, "version")),
		      r->version) == 0 &&
	       strcmp(json_string_value(json_object_get(gvk, "kind")), kind) ==
		       0;
}

/* The definition (by GVK extension, as kubectl explain finds it). */
static json_t *find_definition(json_t *defs, const cz_resource *r,
			       const char *kind)
{
	const char *name;
	json_t *def;

	json_object_foreach (defs, name, def) {
		json_t *list =
			json_object_get(def, "x-kubernetes-group-version-kind");
		size_t i;
		json_t *gvk;

		json_array_foreach (list, i, gvk)
			if (gvk_matches(gvk, r, kind))
				return def;
	}
	return NULL;
}

static bool has_param(const json_t *op, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach (json_object_get(op, "parameters"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), name) ==
			    0 &&
		    strcmp(json_string_value(json_object_get(p, "in")),
			   "query") == 0)
			return true;
	return false;
}

/* Every write of r's kind lists fieldValidation, dryRun and fieldManager;
 * returns the number of PATCH operations seen. */
static size_t check_write_params(json_t *paths, const cz_resource *r)
{
	static const char *const writes[] = { "post", "put", "patch" };
	const char *path;
	json_t *item;
	size_t patches = 0;

	json_object_foreach (paths, path, item) {
		for (size_t i = 0; i < 3; i++) {
			json_t *op = json_object_get(item, writes[i]);

			if (!op || !gvk_matches(json_object_get(
							op,
							"x-kubernetes-group-version-kind"),
						r, r->kind))
				continue;
			assert_true(has_param(op, "fieldValidation"));
			assert_true(has_param(op, "dryRun"));
			assert_true(has_param(op, "fieldManager"));
			patches += i == 2;
		}
	}
	return patches;
}

static void test_v2_every_resource(void **state)
{
	json_t *doc = v2_doc();
	json_t *defs = json_object_get(doc, "definitions");
	size_t n;
	const cz_resource *rs = cz_resources(&n);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(doc, "swagger")),
			    "2.0");
	for (size_t i = 0; i < n; i++) {
		json_t *def = find_definition(defs, &rs[i], rs[i].kind);

		assert_non_null(def);
		assert_non_null(find_definition(defs, &rs[i], rs[i].list_kind));
		assert_non_null(json_object_get(
			json_object_get(def, "properties"), "metadata"));
		assert_true(check_write_params(json_object_get(doc, "paths"),
					       &rs[i]) >= 1);
	}
	assert_non_null(json_object_get(defs, "io.cozystack.v1alpha1.Package"));
	assert_non_null(json_object_get(defs, "io.k8s.api.core.v1.Namespace"));
	assert_non_null(json_object_get(
		defs, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(json_object_get(
							defs,
							"io.cozystack.v1alpha1.Package"),
						"properties"),
					"metadata"),
			"$ref")),
		"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
	json_decref(doc);
}

static void test_v2_paths(void **state)
{
	json_t *doc = v2_doc();
	json_t *paths = json_object_get(doc, "paths");
	json_t *patch;

	(void)state;
	assert_non_null(json_object_get(paths, "/api/v1/namespaces/{name}"));
	assert_non_null(json_object_get(
		paths, "/api/v1/namespaces/{namespace}/secrets/{name}"));
	assert_non_null(json_object_get(paths, "/api/v1/secrets"));
	assert_non_null(json_object_get(
		paths, "/apis/cozystack.io/v1alpha1/packages/{name}/status"));
	assert_null(json_object_get(
		paths,
		"/api/v1/namespaces/{namespace}/secrets/{name}/status"));
	patch = json_object_get(
		json_object_get(paths, "/apis/helm.toolkit.fluxcd.io/v2/"
				       "namespaces/{namespace}/helmreleases/{name}"),
		"patch");
	assert_non_null(patch);
	assert_string_equal(
		json_string_value(json_object_get(patch, "operationId")),
		"patchHelmToolkitFluxcdIoV2NamespacedHelmRelease");
	/* custom resources take no strategic merge patch; Secrets do */
	assert_int_equal(json_array_size(json_object_get(patch, "consumes")), 3);
	patch = json_object_get(
		json_object_get(paths,
				"/api/v1/namespaces/{namespace}/secrets/{name}"),
		"patch");
	assert_string_equal(
		json_string_value(json_object_get(patch, "operationId")),
		"patchCoreV1NamespacedSecret");
	assert_int_equal(json_array_size(json_object_get(patch, "consumes")), 4);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(
						paths,
						"/apis/coordination.k8s.io/v1/"
						"namespaces/{namespace}/leases"),
					"delete"),
			"operationId")),
		"deleteCoordinationV1CollectionNamespacedLease");
	json_decref(doc);
}

static void test_v3_index(void **state)
{
	cz_buf b;
	cz_error err = CZ_ERROR_INIT;
	json_t *index;
	json_t *paths;
	size_t n;
	const char *const *gvs = cz_group_versions(&n);

	(void)state;
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_openapi_v3_index(&b, &err), CZ_OK);
	index = parse(&b);
	paths = json_object_get(index, "paths");
	assert_int_equal(json_object_size(paths), n);
	for (size_t i = 0; i < n; i++) {
		char *key = strchr(gvs[i], '/') ? cz_xasprintf("apis/%s", gvs[i])
						: cz_xasprintf("api/%s", gvs[i]);
		const char *url = json_string_value(json_object_get(
			json_object_get(paths, key), "serverRelativeURL"));
		char *prefix = cz_xasprintf("/openapi/v3/%s?hash=", key);

		assert_non_null(url);
		assert_memory_equal(url, prefix, strlen(prefix));
		assert_int_equal(strlen(url), strlen(prefix) + 128);
		free(prefix);
		free(key);
	}
	json_decref(index);
	cz_buf_release(&b);
}

static void test_v3_groups(void **state)
{
	size_t n;
	const cz_resource *rs = cz_resources(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		char *path = gv_path(&rs[i]);
		json_t *doc = v3_doc(path);
		json_t *schemas = json_object_get(
			json_object_get(doc, "components"), "schemas");
		json_t *def = find_definition(schemas, &rs[i], rs[i].kind);
		json_t *meta;

		assert_string_equal(
			json_string_value(json_object_get(doc, "openapi")),
			"3.0.0");
		assert_non_null(def);
		meta = json_object_get(json_object_get(def, "properties"),
				       "metadata");
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(json_object_get(meta, "allOf"),
					       0),
				"$ref")),
			"#/components/schemas/"
			"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
		assert_non_null(json_object_get(
			schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
		/* kubectl apply: every PATCH of the kind has fieldValidation */
		assert_true(check_write_params(json_object_get(doc, "paths"),
					       &rs[i]) >= 1);
		json_decref(doc);
		free(path);
	}
}

static void test_v3_unknown_group(void **state)
{
	cz_buf b;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_openapi_v3_group("apis/storage.k8s.io/v1", &b, &err),
			 CZ_ENOTFOUND);
	assert_int_equal(cz_openapi_v3_group("api/cozystack.io/v1alpha1", &b,
					     &err),
			 CZ_ENOTFOUND);
	assert_int_equal(cz_openapi_v3_group("apis/v1", &b, &err),
			 CZ_ENOTFOUND);
	cz_buf_release(&b);
}

static void test_schema_details(void **state)
{
	json_t *doc = v3_doc("apis/cozystack.io/v1alpha1");
	json_t *schemas =
		json_object_get(json_object_get(doc, "components"), "schemas");
	json_t *pkg = json_object_get(schemas, "io.cozystack.v1alpha1.Package");
	json_t *values;
	json_t *kind;

	(void)state;
	values = json_object_get(
		json_object_get(
			json_object_get(json_object_get(json_object_get(
							json_object_get(pkg, "properties"),
							"spec"),
						"properties"),
					"components"),
			"additionalProperties"),
		"properties");
	assert_true(json_is_true(json_object_get(
		json_object_get(values, "values"),
		"x-kubernetes-preserve-unknown-fields")));
	kind = json_object_get(
		json_object_get(
			json_object_get(json_object_get(json_object_get(
							json_object_get(
								json_object_get(
									schemas,
									"io.cozystack.v1alpha1.PackageSource"),
								"properties"),
							"spec"),
						"properties"),
					"sourceRef"),
			"properties"),
		"kind");
	assert_int_equal(json_array_size(json_object_get(kind, "enum")), 2);
	assert_non_null(json_object_get(
		json_object_get(json_object_get(json_object_get(pkg, "properties"),
						"spec"),
				"properties"),
		"variant"));
	assert_non_null(json_object_get(
		json_object_get(json_object_get(json_object_get(pkg, "properties"),
						"status"),
				"properties"),
		"dependencies"));
	json_decref(doc);
}

static void test_deterministic(void **state)
{
	cz_buf a;
	cz_buf b;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	cz_buf_init(&a, CZ_BUF_UNLIMITED);
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_openapi_v2(&a, &err), CZ_OK);
	assert_int_equal(cz_openapi_v2(&b, &err), CZ_OK);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	cz_buf_reset(&a);
	cz_buf_reset(&b);
	assert_int_equal(cz_openapi_v3_index(&a, &err), CZ_OK);
	assert_int_equal(cz_openapi_v3_index(&b, &err), CZ_OK);
	assert_string_equal(a.data, b.data);
	cz_buf_release(&a);
	cz_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_every_resource),
		cmocka_unit_test(test_v2_paths),
		cmocka_unit_test(test_v3_index),
		cmocka_unit_test(test_v3_groups),
		cmocka_unit_test(test_v3_unknown_group),
		cmocka_unit_test(test_schema_details),
		cmocka_unit_test(test_deterministic),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("openapi", tests, NULL, NULL);
}
