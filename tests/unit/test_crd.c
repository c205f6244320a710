/* The CustomResourceDefinitions of the served custom kinds: their names,
 * scope, columns and schemas, and the rules a real API server enforces on
 * a CRD that can be checked offline (structural schema, no $ref, no
 * additionalProperties beside properties, JSONSchemaProps fields only,
 * list-type rules, the root and metadata rules, printer columns). */

#include "helpers.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/crd.h"
#include "api/jsonpath.h"
#include "api/resource.h"
#include "jsonhelp.h"
#include "util/mem.h"

static const cz_resource *resource(const char *plural)
{
	const cz_resource *r = cz_resource_find("cozystack.io", "v1alpha1",
						plural);

	assert_non_null(r);
	return r;
}

/* Walks a dotted path of object keys ("spec.names.plural"); NULL when a
 * step is missing. */
static json_t *at(json_t *v, const char *path)
{
	char buf[256];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v;
	     k = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v)) {
			v = json_array_get(v, strtoul(k, NULL, 10));
			continue;
		}
		v = json_object_get(v, k);
	}
	return v;
}

static const char *str_at(json_t *v, const char *path)
{
	json_t *s = at(v, path);

	if (!json_is_string(s))
		fail_msg("%s is not a string", path);
	return json_string_value(s);
}

/* The schema of a property path inside an openAPIV3Schema: "spec" steps
 * into properties, "[]" into items, "{}" into additionalProperties. */
static json_t *prop(json_t *schema, const char *path)
{
	char buf[256];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && schema;
	     k = strtok_r(NULL, ".", &save)) {
		if (strcmp(k, "[]") == 0)
			schema = json_object_get(schema, "items");
		else if (strcmp(k, "{}") == 0)
			schema = json_object_get(schema, "additionalProperties");
		else
			schema = json_object_get(
				json_object_get(schema, "properties"), k);
	}
	if (!schema)
		fail_msg("no schema at %s", path);
	return schema;
}

static json_t *root_schema(json_t *crd)
{
	json_t *s = at(crd, "spec.versions.0.schema.openAPIV3Schema");

	assert_true(json_is_object(s));
	return s;
}

static bool has_string(const json_t *array, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void assert_required(json_t *schema, const char *path,
			    const char *field)
{
	if (!has_string(json_object_get(prop(schema, path), "required"),
			field))
		fail_msg("%s does not require %s", path, field);
}

static void assert_column(json_t *crd, size_t i, const char *name,
			  const char *type, const char *json_path)
{
	json_t *col = at(crd, "spec.versions.0.additionalPrinterColumns");

	col = json_array_get(col, i);
	assert_non_null(col);
	assert_string_equal(str_at(col, "name"), name);
	assert_string_equal(str_at(col, "type"), type);
	assert_string_equal(str_at(col, "jsonPath"), json_path);
}

static void test_package(void **state)
{
	json_t *crd = cz_crd_json(resource("packages"));
	json_t *s;

	(void)state;
	assert_non_null(crd);
	assert_string_equal(str_at(crd, "apiVersion"), "apiextensions.k8s.io/v1");
	assert_string_equal(str_at(crd, "kind"), "CustomResourceDefinition");
	assert_string_equal(str_at(crd, "metadata.name"),
			    "packages.cozystack.io");
	assert_string_equal(str_at(crd, "spec.group"), "cozystack.io");
	assert_string_equal(str_at(crd, "spec.scope"), "Cluster");
	assert_json(at(crd, "spec.names"),
		    "{\"kind\": \"Package\", \"listKind\": \"PackageList\","
		    " \"plural\": \"packages\", \"singular\": \"package\","
		    " \"shortNames\": [\"pkg\", \"pkgs\"],"
		    " \"categories\": [\"cozystack\"]}");
	assert_int_equal(json_array_size(at(crd, "spec.versions")), 1);
	assert_string_equal(str_at(crd, "spec.versions.0.name"), "v1alpha1");
	assert_true(json_is_true(at(crd, "spec.versions.0.served")));
	assert_true(json_is_true(at(crd, "spec.versions.0.storage")));
	assert_json(at(crd, "spec.versions.0.subresources"), "{\"status\": {}}");
	assert_int_equal(
		json_array_size(at(crd, "spec.versions.0.additionalPrinterColumns")),
		3);
	assert_column(crd, 0, "Variant", "string", ".spec.variant");
	assert_column(crd, 1, "Ready", "string",
		      ".status.conditions[?(@.type==\"Ready\")].status");
	assert_column(crd, 2, "Status", "string",
		      ".status.conditions[?(@.type==\"Ready\")].message");

	s = root_schema(crd);
	assert_string_equal(str_at(s, "type"), "object");
	assert_json(prop(s, "metadata"), "{\"type\": \"object\"}");
	assert_string_equal(str_at(prop(s, "spec.variant"), "type"), "string");
	assert_string_equal(str_at(prop(s, "spec.ignoreDependencies.[]"), "type"),
			    "string");
	/* spec.components is a map of overrides whose values are free. */
	assert_string_equal(str_at(prop(s, "spec.components"), "type"), "object");
	assert_null(json_object_get(prop(s, "spec.components"), "properties"));
	assert_string_equal(
		str_at(prop(s, "spec.components.{}.enabled"), "type"), "boolean");
	assert_true(json_is_true(json_object_get(
		prop(s, "spec.components.{}.values"),
		"x-kubernetes-preserve-unknown-fields")));
	assert_null(json_object_get(prop(s, "spec.components.{}.values"), "type"));
	assert_required(s, "status.dependencies.{}", "ready");
	assert_required(s, "status.conditions.[]", "type");
	assert_string_equal(
		str_at(prop(s, "status.conditions"), "x-kubernetes-list-type"),
		"map");
	assert_string_equal(
		str_at(prop(s, "status.conditions.[].lastTransitionTime"),
		       "format"),
		"date-time");
	json_decref(crd);
}

static void test_package_source(void **state)
{
	json_t *crd = cz_crd_json(resource("packagesources"));
	json_t *s;
	json_t *ns;

	(void)state;
	assert_non_null(crd);
	assert_string_equal(str_at(crd, "metadata.name"),
			    "packagesources.cozystack.io");
	assert_string_equal(str_at(crd, "spec.scope"), "Cluster");
	assert_string_equal(str_at(crd, "spec.names.kind"), "PackageSource");
	assert_string_equal(str_at(crd, "spec.names.listKind"),
			    "PackageSourceList");
	assert_string_equal(str_at(crd, "spec.names.singular"), "packagesource");
	assert_json(at(crd, "spec.names.shortNames"), "[\"pks\"]");
	assert_json(at(crd, "spec.versions.0.subresources"), "{\"status\": {}}");
	assert_column(crd, 0, "Variants", "string", ".status.variants");
	assert_column(crd, 1, "Ready", "string",
		      ".status.conditions[?(@.type==\"Ready\")].status");
	assert_column(crd, 2, "Status", "string",
		      ".status.conditions[?(@.type==\"Ready\")].message");

	s = root_schema(crd);
	assert_required(s, "spec.sourceRef", "kind");
	assert_required(s, "spec.sourceRef", "name");
	assert_required(s, "spec.sourceRef", "namespace");
	assert_json(json_object_get(prop(s, "spec.sourceRef.kind"), "enum"),
		    "[\"GitRepository\", \"OCIRepository\"]");
	assert_required(s, "spec.variants.[]", "name");
	assert_required(s, "spec.variants.[].components.[]", "name");
	assert_required(s, "spec.variants.[].components.[]", "path");
	assert_required(s, "spec.variants.[].libraries.[]", "path");
	ns = prop(s, "spec.variants.[].components.[].install.namespace");
	assert_string_equal(str_at(ns, "type"), "string");
	assert_non_null(json_object_get(ns, "description"));
	/* The operator requires a namespace; the CRD does not. */
	assert_false(has_string(
		json_object_get(prop(s, "spec.variants.[].components.[].install"),
				"required"),
		"namespace"));
	assert_string_equal(
		str_at(prop(s, "spec.variants.[].components.[].install.privileged"),
		       "type"),
		"boolean");
	assert_json(json_object_get(
			    prop(s, "spec.variants.[].components.[].install."
				    "upgradeCRDs"),
			    "enum"),
		    "[\"Skip\", \"Create\", \"CreateReplace\"]");
	assert_json(json_object_get(
			    prop(s, "spec.variants.[].components.[].install."
				    "waitStrategy"),
			    "enum"),
		    "[\"poller\", \"legacy\"]");
	assert_required(
		s, "spec.variants.[].components.[].install.healthCheckExprs.[]",
		"current");
	assert_string_equal(
		str_at(prop(s, "spec.variants.[].components.[].valuesFiles.[]"),
		       "type"),
		"string");
	assert_string_equal(str_at(prop(s, "status.variants"), "type"), "string");
	json_decref(crd);
}

/* Offline CRD validation, after k8s.io/apiextensions-apiserver's
 * ValidateCustomResourceDefinition and structuralschema.NewStructural. */

typedef struct problems {
	char text[4096];
	size_t count;
} problems;

static void problem(problems *p, const char *where, const char *what)
{
	size_t len = strlen(p->text);

	p->count++;
	snprintf(p->text + len, sizeof(p->text) - len, "%s: %s\n", where, what);
}

/* The JSON names of apiextensions/v1 JSONSchemaProps this package may use;
 * anything else is an unknown field a strict API server refuses. */
static const char *const schema_keys[] = {
	"description", "type", "format", "title", "enum", "required",
	"properties", "additionalProperties", "items", "nullable", "default",
	"maximum", "minimum", "maxLength", "minLength", "pattern", "maxItems",
	"minItems", "x-kubernetes-preserve-unknown-fields",
	"x-kubernetes-list-type", "x-kubernetes-list-map-keys",
	"x-kubernetes-map-type", "x-kubernetes-int-or-string",
	"x-kubernetes-embedded-resource", "x-kubernetes-validations", NULL,
};

static const char *const types[] = { "object", "array", "string", "integer",
				     "number", "boolean", NULL };

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool is_scalar_type(const char *t)
{
	return t && strcmp(t, "object") != 0 && strcmp(t, "array") != 0;
}

static void check_list_type(problems *p, const char *path, json_t *s)
{
	const char *lt = json_string_value(
		json_object_get(s, "x-kubernetes-list-type"));
	json_t *keys = json_object_get(s, "x-kubernetes-list-map-keys");
	json_t *items = json_object_get(s, "items");
	json_t *req = json_object_get(items, "required");
	size_t i;
	json_t *k;

	if (!lt) {
		if (keys)
			problem(p, path, "list-map-keys without list-type map");
		return;
	}
	if (!in_list((const char *const[]){ "atomic", "set", "map", NULL }, lt))
		problem(p, path, "unknown x-kubernetes-list-type");
	if (strcmp(lt, "map") != 0) {
		if (keys)
			problem(p, path, "list-map-keys need list-type map");
		if (strcmp(lt, "set") == 0 &&
		    !is_scalar_type(json_string_value(
			    json_object_get(items, "type"))))
			problem(p, path, "a set of non-scalar items");
		return;
	}
	if (!json_array_size(keys))
		problem(p, path, "list-type map without list-map-keys");
	if (strcmp(json_string_value(json_object_get(items, "type")) ?
			   json_string_value(json_object_get(items, "type")) :
			   "",
		   "object") != 0)
		problem(p, path, "list-type map of non-objects");
	json_array_foreach(keys, i, k) {
		json_t *ks = json_object_get(json_object_get(items, "properties"),
					     json_string_value(k));

		if (!ks)
			problem(p, path, "a map key that is not a property");
		else if (!is_scalar_type(json_string_value(
				 json_object_get(ks, "type"))))
			problem(p, path, "a map key that is not a scalar");
		if (!has_string(req, json_string_value(k)) &&
		    !json_object_get(ks, "default"))
			problem(p, path,
				"a map key neither required nor defaulted");
	}
}

static void check_schema(problems *p, const char *path, json_t *s)
{
	const char *key;
	json_t *v;
	json_t *props = json_object_get(s, "properties");
	json_t *type = json_object_get(s, "type");
	json_t *pu = json_object_get(s, "x-kubernetes-preserve-unknown-fields");
	json_t *items = json_object_get(s, "items");
	json_t *addl = json_object_get(s, "additionalProperties");
	char sub[512];

	if (!json_is_object(s)) {
		problem(p, path, "a schema that is not an object");
		return;
	}
	json_object_foreach(s, key, v)
		if (!in_list(schema_keys, key)) {
			snprintf(sub, sizeof(sub), "unknown field %s", key);
			problem(p, path, sub);
		}
	if (type && !(json_is_string(type) &&
		      in_list(types, json_string_value(type))))
		problem(p, path, "type must be one of the OpenAPI types");
	/* Structural: every node has a type unless it preserves unknown
	 * fields or is int-or-string. */
	if (!type && !json_is_true(pu) &&
	    !json_is_true(json_object_get(s, "x-kubernetes-int-or-string")))
		problem(p, path, "type missing (not structural)");
	if (pu && !json_is_true(pu))
		problem(p, path, "preserve-unknown-fields must be true or unset");
	if (props && addl)
		problem(p, path,
			"additionalProperties and properties are mutually "
			"exclusive");
	if ((props || addl) && type &&
	    strcmp(json_string_value(type), "object") != 0)
		problem(p, path, "properties on a non-object");
	if (json_is_boolean(addl))
		problem(p, path, "additionalProperties must be a schema");
	if (type && strcmp(json_string_value(type), "array") == 0 && !items)
		problem(p, path, "an array without items (not structural)");
	if (items && (!type || strcmp(json_string_value(type), "array") != 0))
		problem(p, path, "items on a non-array");
	if (json_object_get(s, "required")) {
		size_t i;
		json_t *r;

		json_array_foreach(json_object_get(s, "required"), i, r)
			if (!json_object_get(props, json_string_value(r)))
				problem(p, path, "a required field that is not "
						 "a property");
	}
	if (json_object_get(s, "enum") &&
	    !json_is_array(json_object_get(s, "enum")))
		problem(p, path, "enum is not a list");
	check_list_type(p, path, s);
	json_object_foreach(props, key, v) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		check_schema(p, sub, v);
	}
	if (items) {
		snprintf(sub, sizeof(sub), "%s[]", path);
		check_schema(p, sub, items);
	}
	if (json_is_object(addl)) {
		snprintf(sub, sizeof(sub), "%s{}", path);
		check_schema(p, sub, addl);
	}
}

/* The root of openAPIV3Schema when the status subresource is enabled. */
static const char *const root_keys[] = {
	"description", "type", "required", "properties",
	"x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
	NULL,
};

static bool dns_label(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      *s == '-'))
			return false;
	return true;
}

static void check_names(problems *p, json_t *crd)
{
	json_t *names = at(crd, "spec.names");
	const char *keys[] = { "plural", "singular" };
	char want[256];
	size_t i;
	json_t *v;

	for (size_t k = 0; k < 2; k++) {
		const char *n = json_string_value(json_object_get(names, keys[k]));

		if (!n || !dns_label(n))
			problem(p, keys[k], "not a lower-case DNS label");
	}
	json_array_foreach(json_object_get(names, "shortNames"), i, v)
		if (!dns_label(json_string_value(v)))
			problem(p, "shortNames", "not a DNS label");
	json_array_foreach(json_object_get(names, "categories"), i, v)
		if (!dns_label(json_string_value(v)))
			problem(p, "categories", "not a DNS label");
	if (!json_string_value(json_object_get(names, "kind")) ||
	    !json_string_value(json_object_get(names, "listKind")))
		problem(p, "names", "kind and listKind are required");
	snprintf(want, sizeof(want), "%s.%s",
		 json_string_value(json_object_get(names, "plural")),
		 json_string_value(at(crd, "spec.group")));
	if (strcmp(str_at(crd, "metadata.name"), want) != 0)
		problem(p, "metadata.name", "must be <plural>.<group>");
	if (!strchr(str_at(crd, "spec.group"), '.'))
		problem(p, "spec.group", "must contain a dot");
	if (!in_list((const char *const[]){ "Cluster", "Namespaced", NULL },
		     str_at(crd, "spec.scope")))
		problem(p, "spec.scope", "must be Cluster or Namespaced");
}

static void check_columns(problems *p, json_t *cols)
{
	size_t i;
	json_t *c;

	json_array_foreach(cols, i, c) {
		const char *path = json_string_value(json_object_get(c, "jsonPath"));
		cz_jsonpath *jp = NULL;

		if (!json_string_value(json_object_get(c, "name")))
			problem(p, "column", "name required");
		if (!in_list((const char *const[]){ "integer", "number", "string",
						     "boolean", "date", NULL },
			     json_string_value(json_object_get(c, "type")) ?
				     json_string_value(json_object_get(c, "type")) :
				     ""))
			problem(p, "column", "type not supported");
		if (!path || path[0] != '.')
			problem(p, "column",
				"jsonPath must be a simple json path starting "
				"with .");
		else if (cz_jsonpath_compile(path, &jp, NULL) != CZ_OK)
			problem(p, "column", "jsonPath does not parse");
		cz_jsonpath_free(jp);
	}
}

static void check_crd(problems *p, json_t *crd)
{
	json_t *versions = at(crd, "spec.versions");
	json_t *root = root_schema(crd);
	size_t storage = 0;
	size_t i;
	json_t *ver;
	const char *key;
	json_t *v;

	check_names(p, crd);
	json_array_foreach(versions, i, ver) {
		if (json_is_true(json_object_get(ver, "storage")))
			storage++;
		check_columns(p, json_object_get(ver,
						 "additionalPrinterColumns"));
		if (json_object_get(json_object_get(ver, "subresources"),
				    "status")) {
			json_object_foreach(root, key, v)
				if (!in_list(root_keys, key))
					problem(p, key,
						"not allowed at the root with "
						"the status subresource");
			if (strcmp(str_at(root, "type"), "object") != 0)
				problem(p, "type", "must be object at the root");
		}
	}
	if (storage != 1)
		problem(p, "spec.versions", "exactly one storage version");
	if (json_is_true(json_object_get(root, "nullable")))
		problem(p, "nullable", "cannot be true at the root");
	/* Only name and generateName may be restricted in metadata. */
	json_object_foreach(json_object_get(prop(root, "metadata"), "properties"),
			    key, v)
		if (strcmp(key, "name") != 0 && strcmp(key, "generateName") != 0)
			problem(p, "metadata", "only name and generateName");
	check_schema(p, "openAPIV3Schema", root);
}

/* Every CRD this package can produce, of every group, passes. */
static void test_structural(void **state)
{
	size_t n;
	const cz_resource *rs = cz_resources(&n);
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		json_t *crd = cz_crd_json(&rs[i]);
		problems p = { "", 0 };

		if (!strchr(rs[i].group, '.')) {
			assert_null(crd); /* core, apps: Kubernetes has them */
			continue;
		}
		assert_non_null(crd);
		check_crd(&p, crd);
		if (p.count)
			fail_msg("%s.%s:\n%s", rs[i].resource, rs[i].group,
				 p.text);
		checked++;
		json_decref(crd);
	}
	assert_true(checked >= 2);
}

/* The checker itself catches what it is meant to catch. */
static void test_checker_catches(void **state)
{
	json_t *bad = J("{\"type\": \"object\", \"properties\": {"
			"\"a\": {\"type\": \"object\", \"properties\": {\"x\":"
			" {\"type\": \"string\"}}, \"additionalProperties\":"
			" {\"type\": \"string\"}},"
			"\"b\": {\"description\": \"no type\"},"
			"\"c\": {\"$ref\": \"#/definitions/C\"},"
			"\"d\": {\"type\": \"array\"},"
			"\"e\": {\"type\": \"array\", \"items\": {\"type\":"
			" \"object\", \"properties\": {\"k\": {\"type\":"
			" \"string\"}}}, \"x-kubernetes-list-type\": \"map\","
			" \"x-kubernetes-list-map-keys\": [\"k\"],"
			" \"x-kubernetes-patch-merge-key\": \"k\"},"
			"\"f\": {\"x-kubernetes-preserve-unknown-fields\":"
			" false}}}");
	problems p = { "", 0 };

	(void)state;
	check_schema(&p, "s", bad);
	assert_contains(p.text, "s.a: additionalProperties and properties");
	assert_contains(p.text, "s.b: type missing");
	assert_contains(p.text, "s.c: unknown field $ref");
	assert_contains(p.text, "s.d: an array without items");
	assert_contains(p.text, "s.e: unknown field x-kubernetes-patch-merge-key");
	assert_contains(p.text, "s.e: a map key neither required");
	assert_contains(p.text, "s.f: preserve-unknown-fields must be true");
	json_decref(bad);
}

static void test_list(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *list = NULL;
	json_t *again = NULL;
	char *a;
	char *b;

	(void)state;
	assert_int_equal(cz_crd_all(&list, &err), CZ_OK);
	assert_string_equal(str_at(list, "apiVersion"), "v1");
	assert_string_equal(str_at(list, "kind"), "List");
	assert_int_equal(json_array_size(at(list, "items")), 2);
	assert_string_equal(str_at(list, "items.0.metadata.name"),
			    "packages.cozystack.io");
	assert_string_equal(str_at(list, "items.1.metadata.name"),
			    "packagesources.cozystack.io");
	/* The same build always produces the same bytes. */
	assert_int_equal(cz_crd_list(CZ_CRD_GROUP, &again, &err), CZ_OK);
	a = json_dumps(list, JSON_COMPACT);
	b = json_dumps(again, JSON_COMPACT);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(list);
	json_decref(again);

	assert_int_equal(cz_crd_list("", &list, &err), CZ_EINVALID);
	assert_null(list);
	assert_int_equal(cz_crd_list("example.com", &list, &err), CZ_ENOTFOUND);
	assert_null(list);
	assert_contains(err.msg, "example.com");
	assert_null(cz_crd_json(cz_resource_find("", "v1", "namespaces")));
	assert_null(cz_crd_json(NULL));
}

/* With CZ_CRD_PRINT set, prints the List as JSON: a way to look at the
 * CRDs (or feed them to kubectl) without any program of their own. */
static void test_print(void **state)
{
	const char *where = getenv("CZ_CRD_PRINT");
	json_t *list = NULL;
	FILE *f;

	(void)state;
	if (!where || !*where)
		return;
	assert_int_equal(cz_crd_all(&list, NULL), CZ_OK);
	f = strcmp(where, "-") == 0 ? stdout : fopen(where, "w");
	assert_non_null(f);
	json_dumpf(list, f, JSON_INDENT(2));
	fputc('\n', f);
	if (f != stdout)
		fclose(f);
	json_decref(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_package),
		cmocka_unit_test(test_package_source),
		cmocka_unit_test(test_structural),
		cmocka_unit_test(test_checker_catches),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_print),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
