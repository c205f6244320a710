/* API validation: one rule per test, and the engine's output is valid. */

#include "helpers.h"

#include <stdlib.h>

#include "api/resource.h"
#include "api/validate.h"
#include "engine/render.h"
#include "util/buf.h"
#include "util/mem.h"

#define FIXTURE_SOURCES "../shared/fixtures/cozystack-platform/sources"

static const cz_resource *res(const char *api_version, const char *kind)
{
	const cz_resource *r = cz_resource_by_kind(api_version, kind);

	assert_non_null(r);
	return r;
}

/* Validates obj as a body for its own kind; returns the rc. */
static int validate_as_own_kind(json_t *obj, cz_field_validation mode,
				cz_problems *p)
{
	cz_error err = CZ_ERROR_INIT;

	return cz_api_validate(
		res(json_string_value(json_object_get(obj, "apiVersion")),
		    json_string_value(json_object_get(obj, "kind"))),
		obj, mode, p, &err);
}

/* Validates text (JSON) as a body for its kind; returns the rc. */
static int check(const char *text, cz_field_validation mode, cz_problems *p,
		 json_t **obj_out)
{
	json_error_t jerr;
	json_t *obj = json_loads(text, 0, &jerr);
	int rc;

	if (!obj)
		fail_msg("bad test JSON: %s", jerr.text);
	rc = validate_as_own_kind(obj, mode, p);
	if (obj_out)
		*obj_out = obj;
	else
		json_decref(obj);
	return rc;
}

/* The single problem of p must be cause at field with message. */
static void assert_problem(const cz_problems *p, cz_cause cause,
			   const char *field, const char *message)
{
	for (size_t i = 0; i < p->len; i++)
		if (p->items[i].cause == cause &&
		    strcmp(p->items[i].field, field) == 0 &&
		    strcmp(p->items[i].message, message) == 0)
			return;
	for (size_t i = 0; i < p->len; i++)
		fprintf(stderr, "  %s %s: %s\n",
			cz_cause_reason(p->items[i].cause), p->items[i].field,
			p->items[i].message);
	fail_msg("no %s problem at %s: %s", cz_cause_reason(cause), field,
		 message);
}

#define PKG(spec)                                                              \
	"{\"apiVersion\":\"cozystack.io/v1alpha1\",\"kind\":\"Package\","   \
	"\"metadata\":{\"name\":\"cozystack.x\"},\"spec\":" spec "}"
#define SRC(spec)                                                              \
	"{\"apiVersion\":\"cozystack.io/v1alpha1\",\"kind\":"                 \
	"\"PackageSource\",\"metadata\":{\"name\":\"cozystack.x\"},"         \
	"\"spec\":" spec "}"

static void test_valid_package(void **state)
{
	cz_problems p;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check(PKG("{\"variant\":\"default\",\"components\":"
				   "{\"c\":{\"enabled\":false,\"values\":"
				   "{\"any\":[1,{\"x\":null}]}}}}"),
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_OK);
	assert_int_equal(p.len, 0);
	assert_int_equal(p.nwarnings, 0);
	cz_problems_release(&p);
}

static void test_required(void **state)
{
	cz_problems p;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check(SRC("{\"variants\":[{\"components\":"
				   "[{\"name\":\"c\"}]}]}"),
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_REQUIRED, "spec.variants[0].name",
		       "Required value");
	assert_problem(&p, CZ_CAUSE_REQUIRED,
		       "spec.variants[0].components[0].path", "Required value");
	assert_int_equal(cz_problems_count(&p, CZ_CAUSE_REQUIRED), 2);
	cz_problems_release(&p);
}

static void test_type_invalid(void **state)
{
	cz_problems p;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check(PKG("{\"variant\":3,\"components\":"
				   "{\"c\":{\"enabled\":\"no\"}}}"),
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_TYPE_INVALID, "spec.variant",
		       "Invalid value: \"integer\": spec.variant in body must "
		       "be of type string: \"integer\"");
	/* map entries are ".key" in API paths */
	assert_problem(&p, CZ_CAUSE_TYPE_INVALID, "spec.components.c.enabled",
		       "Invalid value: \"string\": spec.components.c.enabled "
		       "in body must be of type boolean: \"string\"");
	cz_problems_release(&p);
}

static void test_not_supported(void **state)
{
	cz_problems p;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check(SRC("{\"sourceRef\":{\"kind\":\"Bucket\","
				   "\"name\":\"a\",\"namespace\":\"b\"}}"),
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_NOT_SUPPORTED, "spec.sourceRef.kind",
		       "Unsupported value: \"Bucket\": supported values: "
		       "\"GitRepository\", \"OCIRepository\"");
	cz_problems_release(&p);
}

static void test_unknown_strict(void **state)
{
	cz_problems p;
	json_t *status;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check(PKG("{\"foo\":1,\"bar\":{}}"),
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_UNKNOWN_FIELD, "spec.foo",
		       "unknown field \"spec.foo\"");
	status = cz_problems_status(&p, res("cozystack.io/v1alpha1", "Package"),
				    "cozystack.x");
	assert_int_equal(json_integer_value(json_object_get(status, "code")),
			 400);
	assert_string_equal(json_string_value(json_object_get(status, "reason")),
			    "BadRequest");
	assert_string_equal(
		json_string_value(json_object_get(status, "message")),
		"Package in version \"v1alpha1\" cannot be handled as a "
		"Package: strict decoding error: unknown field \"spec.foo\", "
		"unknown field \"spec.bar\"");
	json_decref(status);
	cz_problems_release(&p);
}

static void test_unknown_warn_prunes(void **state)
{
	cz_problems p;
	json_t *obj;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check(PKG("{\"variant\":\"a\",\"foo\":1}"),
			       CZ_FIELD_VALIDATION_WARN, &p, &obj),
			 CZ_OK);
	assert_int_equal(p.len, 0);
	assert_int_equal(p.nwarnings, 1);
	assert_string_equal(p.warnings[0], "unknown field \"spec.foo\"");
	assert_null(json_object_get(json_object_get(obj, "spec"), "foo"));
	assert_non_null(json_object_get(json_object_get(obj, "spec"), "variant"));
	json_decref(obj);
	cz_problems_release(&p);
}

static void test_unknown_ignore_prunes(void **state)
{
	cz_problems p;
	json_t *obj;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check(PKG("{\"foo\":1}"), CZ_FIELD_VALIDATION_IGNORE,
			       &p, &obj),
			 CZ_OK);
	assert_int_equal(p.len + p.nwarnings, 0);
	assert_null(json_object_get(json_object_get(obj, "spec"), "foo"));
	json_decref(obj);
	cz_problems_release(&p);
}

static void test_preserve_unknown(void **state)
{
	cz_problems p;
	json_t *obj;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(
		check("{\"apiVersion\":\"helm.toolkit.fluxcd.io/v2\",\"kind\":"
		      "\"HelmRelease\",\"metadata\":{\"name\":\"a\","
		      "\"namespace\":\"n\"},\"spec\":{\"interval\":\"5m\","
		      "\"chartRef\":{\"kind\":\"OCIRepository\",\"name\":\"c\"},"
		      "\"values\":{\"deep\":{\"anything\":[true]}}}}",
		      CZ_FIELD_VALIDATION_STRICT, &p, &obj),
		CZ_OK);
	assert_non_null(json_object_get(
		json_object_get(json_object_get(obj, "spec"), "values"), "deep"));
	json_decref(obj);
	cz_problems_release(&p);
}

static void test_status_validated(void **state)
{
	cz_problems p;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(
		check("{\"apiVersion\":\"cozystack.io/v1alpha1\",\"kind\":"
		      "\"Package\",\"metadata\":{\"name\":\"a\"},\"status\":"
		      "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Yes\","
		      "\"reason\":\"R\",\"message\":\"\",\"lastTransitionTime\":"
		      "\"yesterday\"}],\"dependencies\":{\"b\":{}}}}",
		      CZ_FIELD_VALIDATION_STRICT, &p, NULL),
		CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_NOT_SUPPORTED, "status.conditions[0].status",
		       "Unsupported value: \"Yes\": supported values: \"True\", "
		       "\"False\", \"Unknown\"");
	assert_problem(&p, CZ_CAUSE_TYPE_INVALID,
		       "status.conditions[0].lastTransitionTime",
		       "Invalid value: \"yesterday\": "
		       "status.conditions[0].lastTransitionTime in body must be "
		       "of type date-time: \"yesterday\"");
	assert_problem(&p, CZ_CAUSE_REQUIRED, "status.dependencies.b.ready",
		       "Required value");
	cz_problems_release(&p);
}

static void test_names(void **state)
{
	cz_problems p;
	json_t *status;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check("{\"apiVersion\":\"cozystack.io/v1alpha1\","
			       "\"kind\":\"Package\",\"metadata\":{}}",
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_REQUIRED, "metadata.name",
		       "Required value: name or generateName is required");
	cz_problems_release(&p);

	assert_int_equal(check("{\"apiVersion\":\"cozystack.io/v1alpha1\","
			       "\"kind\":\"Package\",\"metadata\":"
			       "{\"generateName\":\"cozystack.x-\"}}",
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_OK);

	assert_int_equal(check("{\"apiVersion\":\"cozystack.io/v1alpha1\","
			       "\"kind\":\"Package\",\"metadata\":"
			       "{\"name\":\"Bad_Name\"}}",
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_INVALID, "metadata.name",
		       "Invalid value: \"Bad_Name\": a lowercase RFC 1123 "
		       "subdomain must consist of lower case alphanumeric "
		       "characters, '-' or '.', and must start and end with an "
		       "alphanumeric character (e.g. 'example.com', regex used "
		       "for validation is "
		       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
		       "[a-z0-9])?)*')");
	status = cz_problems_status(&p, res("cozystack.io/v1alpha1", "Package"),
				    "Bad_Name");
	assert_int_equal(json_integer_value(json_object_get(status, "code")),
			 422);
	assert_string_equal(json_string_value(json_object_get(status, "reason")),
			    "Invalid");
	assert_non_null(strstr(json_string_value(json_object_get(status,
								 "message")),
			       "Package.cozystack.io \"Bad_Name\" is invalid: "
			       "metadata.name: Invalid value: \"Bad_Name\""));
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(json_object_get(status,
								       "details"),
						       "causes"),
				       0),
			"reason")),
		"FieldValueInvalid");
	json_decref(status);
	cz_problems_release(&p);

	/* namespaces are DNS labels: dots are refused */
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
			       "\"metadata\":{\"name\":\"cozy.system\"}}",
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_INVALID, "metadata.name",
		       "Invalid value: \"cozy.system\": must not contain dots");
	cz_problems_release(&p);
}

static void test_labels_and_annotations(void **state)
{
	cz_problems p;
	cz_buf big;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(
		check("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
		      "\"metadata\":{\"name\":\"c\",\"namespace\":\"n\","
		      "\"labels\":{\"bad key\":\"v\",\"ok/k\":\"bad value\","
		      "\"cozystack.io/package\":\"x\"},\"annotations\":"
		      "{\"/x\":\"\"}}}",
		      CZ_FIELD_VALIDATION_STRICT, &p, NULL),
		CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_INVALID, "metadata.labels",
		       "Invalid value: \"bad key\": name part must consist of "
		       "alphanumeric characters, '-', '_' or '.', and must "
		       "start and end with an alphanumeric character (e.g. "
		       "'MyName',  or 'my.name',  or '123-abc', regex used for "
		       "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?"
		       "[A-Za-z0-9]')");
	assert_problem(&p, CZ_CAUSE_INVALID, "metadata.labels",
		       "Invalid value: \"bad value\": a valid label must be an "
		       "empty string or consist of alphanumeric characters, "
		       "'-', '_' or '.', and must start and end with an "
		       "alphanumeric character (e.g. 'MyValue',  or "
		       "'my_value',  or '12345', regex used for validation is "
		       "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
	assert_problem(&p, CZ_CAUSE_INVALID, "metadata.annotations",
		       "Invalid value: \"/x\": prefix part must be non-empty");
	assert_int_equal(p.len, 3);
	cz_problems_release(&p);

	/* annotations over 256 KiB in total */
	cz_buf_init(&big, CZ_BUF_UNLIMITED);
	cz_buf_puts(&big, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
			  "\"metadata\":{\"name\":\"c\",\"annotations\":"
			  "{\"a\":\"");
	for (int i = 0; i < 300 * 1024; i++)
		cz_buf_putc(&big, 'x');
	cz_buf_puts(&big, "\"}}}");
	assert_int_equal(check(big.data, CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_TOO_LONG, "metadata.annotations",
		       "Too long: may not be more than 262144 bytes");
	cz_buf_release(&big);
	cz_problems_release(&p);
}

static void test_secret_data(void **state)
{
	cz_problems p;

	(void)state;
	cz_problems_init(&p);
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
			       "\"metadata\":{\"name\":\"s\",\"namespace\":"
			       "\"n\"},\"type\":\"Opaque\",\"immutable\":true,"
			       "\"data\":{\"values.yaml\":\"aGVsbG8=\"},"
			       "\"stringData\":{\"k\":\"plain\"}}",
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_OK);
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
			       "\"metadata\":{\"name\":\"s\"},\"data\":"
			       "{\"k\":\"not base64!\",\"bad/key\":\"\"}}",
			       CZ_FIELD_VALIDATION_STRICT, &p, NULL),
			 CZ_EINVALID);
	assert_problem(&p, CZ_CAUSE_TYPE_INVALID, "data.k",
		       "Invalid value: \"not base64!\": data.k in body must be "
		       "of type byte: \"not base64!\"");
	assert_problem(&p, CZ_CAUSE_INVALID, "data[bad/key]",
		       "Invalid value: \"bad/key\": a valid config key must "
		       "consist of alphanumeric characters, '-', '_' or '.' "
		       "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
		       "used for validation is '[-._a-zA-Z0-9]+')");
	cz_problems_release(&p);
}

static void test_field_validation_parse(void **state)
{
	cz_field_validation mode;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_field_validation_parse(NULL, &mode, &err), CZ_OK);
	assert_int_equal(mode, CZ_FIELD_VALIDATION_WARN);
	assert_int_equal(cz_field_validation_parse("Strict", &mode, &err), CZ_OK);
	assert_int_equal(mode, CZ_FIELD_VALIDATION_STRICT);
	assert_int_equal(cz_field_validation_parse("Ignore", &mode, &err), CZ_OK);
	assert_int_equal(mode, CZ_FIELD_VALIDATION_IGNORE);
	assert_int_equal(cz_field_validation_parse("strict", &mode, &err),
			 CZ_EINVALID);
	assert_string_equal(err.msg,
			    "fieldValidation: Unsupported value: \"strict\": "
			    "supported values: \"\", \"Ignore\", \"Strict\", "
			    "\"Warn\"");
}

/* Collects rendered output. */
static int collect(void *ctx, const char *data, size_t len, cz_error *err)
{
	(void)err;
	return cz_buf_append(ctx, data, len);
}

/* One Package per fixture source, with the variant the platform uses
 * where a source has no "default" one (as tests/e2e/10-render.sh). */
static void add_packages(cz_buf *yaml)
{
	static const char *const variants[][2] = {
		{ "networking", "kubeovn-cilium" },
		{ "computeplane-application", "kubevirt" },
		{ "kubernetes-application", "kubevirt" },
		{ "kubernetes-nodes-application", "kubevirt" },
		{ "virtualprivatecloud-application", "kubevirt" },
		{ "vm-disk-application", "kubevirt" },
		{ "vm-instance-application", "kubevirt" },
	};
	FILE *ls = popen("ls " FIXTURE_SOURCES, "r");
	char line[256];

	assert_non_null(ls);
	while (fgets(line, sizeof(line), ls)) {
		char *dot = strstr(line, ".yaml");

		if (!dot)
			continue;
		*dot = '\0';
		cz_buf_printf(yaml,
			      "---\napiVersion: cozystack.io/v1alpha1\nkind: "
			      "Package\nmetadata: {name: cozystack.%s}\n",
			      line);
		for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]);
		     i++)
			if (strcmp(variants[i][0], line) == 0)
				cz_buf_printf(yaml, "spec: {variant: %s}\n",
					      variants[i][1]);
	}
	pclose(ls);
}

/* What the server adds to what render prints offline: the owner's uid and
 * the conditions' transition time. */
static void complete_like_server(json_t *item)
{
	json_t *owners = json_object_get(json_object_get(item, "metadata"),
					 "ownerReferences");
	json_t *conditions =
		json_object_get(json_object_get(item, "status"), "conditions");
	size_t i;
	json_t *v;

	json_array_foreach (owners, i, v)
		json_object_set_new(v, "uid", json_string("0b6b6c3e-uid"));
	json_array_foreach (conditions, i, v)
		json_object_set_new(v, "lastTransitionTime",
				    json_string("2026-01-02T03:04:05Z"));
}

static void test_engine_output_valid(void **state)
{
	cz_catalog cat;
	cz_diags diags;
	cz_loader ld;
	cz_render r;
	cz_buf yaml;
	cz_buf out;
	cz_error err = CZ_ERROR_INIT;
	json_t *list;
	size_t i;
	json_t *item;
	size_t hrs = 0;

	(void)state;
	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	assert_int_equal(cz_load_path(&ld, FIXTURE_SOURCES), CZ_OK);
	cz_buf_init(&yaml, CZ_BUF_UNLIMITED);
	add_packages(&yaml);
	assert_int_equal(cz_load_buffer(&ld, yaml.data, yaml.len, "pkgs.yaml"),
			 CZ_OK);
	assert_int_equal(diags.nerrors, 0);
	cz_catalog_finish(&cat);
	memset(&r, 0, sizeof(r));
	cz_render_run(&r, &cat, NULL, &diags);
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_render_write(&r, CZ_RENDER_JSON, collect, &out,
					 &diags, &err),
			 CZ_OK);
	list = json_loads(out.data, 0, NULL);
	assert_non_null(list);
	assert_true(json_array_size(json_object_get(list, "items")) > 300);
	json_array_foreach (json_object_get(list, "items"), i, item) {
		const char *kind = json_string_value(json_object_get(item, "kind"));
		cz_problems p;

		cz_problems_init(&p);
		complete_like_server(item);
		if (validate_as_own_kind(item, CZ_FIELD_VALIDATION_STRICT, &p) !=
		    CZ_OK)
			fail_msg("items[%zu] (%s) is invalid: %s: %s", i, kind,
				 p.items[0].field, p.items[0].message);
		hrs += strcmp(kind, "HelmRelease") == 0;
		cz_problems_release(&p);
	}
	assert_int_equal(hrs, 113);
	json_decref(list);
	cz_buf_release(&out);
	cz_buf_release(&yaml);
	cz_render_release(&r);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_package),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_type_invalid),
		cmocka_unit_test(test_not_supported),
		cmocka_unit_test(test_unknown_strict),
		cmocka_unit_test(test_unknown_warn_prunes),
		cmocka_unit_test(test_unknown_ignore_prunes),
		cmocka_unit_test(test_preserve_unknown),
		cmocka_unit_test(test_status_validated),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_labels_and_annotations),
		cmocka_unit_test(test_secret_data),
		cmocka_unit_test(test_field_validation_parse),
		cmocka_unit_test(test_engine_output_valid),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
