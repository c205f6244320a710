#include "api/crd.h"

#include <stdlib.h>
#include <string.h>

#include "api/openapi.h"
#include "model/schema.h"
#include "util/mem.h"

/* NULL-terminated strings as a JSON array; NULL when there are none, so
 * that empty lists are left out as kube's omitempty leaves them out. */
static json_t *strings_json(const char *const *list)
{
	json_t *a;

	if (!list || !*list)
		return NULL;
	a = json_array();
	for (; *list; list++)
		json_array_append_new(a, json_string(*list));
	return a;
}

static json_t *names_json(const cz_resource *r)
{
	json_t *names = json_pack("{s:s, s:s, s:s, s:s}", "kind", r->kind,
				  "listKind", r->list_kind, "plural",
				  r->resource, "singular", r->singular);
	json_t *v;

	if ((v = strings_json(r->short_names)))
		json_object_set_new(names, "shortNames", v);
	if ((v = strings_json(r->categories)))
		json_object_set_new(names, "categories", v);
	return names;
}

static json_t *columns_json(const cz_resource *r)
{
	json_t *cols = json_array();

	for (const cz_printer_column *c = r->columns; c && c->name; c++) {
		json_t *col = json_pack("{s:s, s:s, s:s}", "name", c->name,
					"type", c->type, "jsonPath",
					c->json_path);

		if (c->description && *c->description)
			json_object_set_new(col, "description",
					    json_string(c->description));
		if (c->priority > 0)
			json_object_set_new(col, "priority",
					    json_integer(c->priority));
		json_array_append_new(cols, col);
	}
	return cols;
}

/* The openAPIV3Schema of a kind: the structural schema, with the
 * top-level metadata reduced to {"type": "object"}, since the API server
 * allows nothing else there but restrictions on name and generateName. */
static json_t *kind_schema_json(const cz_schema *s)
{
	json_t *root = cz_openapi_crd_schema(s);
	json_t *props = json_object_get(root, "properties");

	if (json_object_get(props, "metadata"))
		json_object_set_new(props, "metadata",
				    json_pack("{s:s}", "type", "object"));
	return root;
}

json_t *cz_crd_json(const cz_resource *r)
{
	const cz_schema *s;
	json_t *version;
	json_t *columns;
	char *name;
	json_t *crd;

	/* A group without a dot (apps, batch) is one Kubernetes builds in. */
	if (!r || !strchr(r->group, '.'))
		return NULL;
	s = cz_schema_for_kind(r->group_version, r->kind);
	if (!s)
		return NULL;
	version = json_pack("{s:s, s:b, s:b, s:{s:o}}", "name", r->version,
			    "served", 1, "storage", 1, "schema",
			    "openAPIV3Schema", kind_schema_json(s));
	columns = columns_json(r);
	if (json_array_size(columns))
		json_object_set(version, "additionalPrinterColumns", columns);
	json_decref(columns);
	if (r->has_status)
		json_object_set_new(version, "subresources",
				    json_pack("{s:{}}", "status"));
	name = cz_xasprintf("%s.%s", r->resource, r->group);
	crd = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:o, s:s, s:[o]}}",
			"apiVersion", "apiextensions.k8s.io/v1", "kind",
			"CustomResourceDefinition", "metadata", "name", name,
			"spec", "group", r->group, "names", names_json(r),
			"scope", r->namespaced ? "Namespaced" : "Cluster",
			"versions", version);
	free(name);
	return crd;
}

int cz_crd_list(const char *group, json_t **out_list, cz_error *err)
{
	size_t n;
	const cz_resource *rs = cz_resources(&n);
	json_t *items = NULL;
	int rc = CZ_OK;

	*out_list = NULL;
	if (!group || !*group)
		return cz_fail(err, CZ_EINVALID,
			       "the core group has no CustomResourceDefinitions");
	items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *crd;

		if (strcmp(rs[i].group, group) != 0)
			continue;
		crd = cz_crd_json(&rs[i]);
		if (!crd) {
			rc = cz_fail(err, CZ_ERR, "no schema for %s %s",
				     rs[i].group_version, rs[i].kind);
			goto cleanup;
		}
		json_array_append_new(items, crd);
	}
	if (!json_array_size(items)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "no resources in group %s",
			     group);
		goto cleanup;
	}
	*out_list = json_pack("{s:s, s:s, s:{}, s:O}", "apiVersion", "v1",
			      "kind", "List", "metadata", "items", items);
cleanup:
	json_decref(items);
	return rc;
}

int cz_crd_all(json_t **out_list, cz_error *err)
{
	return cz_crd_list(CZ_CRD_GROUP, out_list, err);
}
