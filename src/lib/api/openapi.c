#include "api/openapi.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/resource.h"
#include "model/schema.h"
#include "util/mem.h"

#define META "io.k8s.apimachinery.pkg.apis.meta.v1."

typedef enum flavor {
	SWAGGER_2,
	OPENAPI_3,
	CRD_SCHEMA, /* one self-contained structural schema, no $ref */
} flavor;

/* How deep CRD_SCHEMA inlines before it stops (a guard against a schema
 * that contains itself; the served schemas nest about ten levels). */
#define CRD_MAX_DEPTH 64

/* One document being built: its flavor and its definitions, by name. */
typedef struct doc {
	flavor flavor;
	json_t *defs;   /* name -> schema; borrowed from the document */
	unsigned depth; /* CRD_SCHEMA: current nesting */
} doc;

/* Schemas */

static json_t *schema_json(doc *d, const cz_schema *s, const char *desc);

static json_t *ref_json(const doc *d, const char *name, const char *desc)
{
	char *ref = cz_xasprintf("%s%s",
				 d->flavor == SWAGGER_2 ? "#/definitions/"
							: "#/components/schemas/",
				 name);
	json_t *o = json_pack("{s:s}", "$ref", ref);

	free(ref);
	if (!desc)
		return o;
	/* OpenAPI 3 ignores the siblings of $ref; Kubernetes wraps it. */
	if (d->flavor == OPENAPI_3)
		o = json_pack("{s:[o]}", "allOf", o);
	json_object_set_new(o, "description", json_string(desc));
	return o;
}

static void add_object_parts(doc *d, json_t *o, const cz_schema *s)
{
	json_t *props = json_object();
	json_t *required = json_array();

	for (const cz_field *f = s->fields; f && f->name; f++) {
		json_object_set_new(props, f->name,
				    schema_json(d, f->schema, f->description));
		if (f->required)
			json_array_append_new(required, json_string(f->name));
	}
	if (json_object_size(props))
		json_object_set(o, "properties", props);
	if (json_array_size(required))
		json_object_set(o, "required", required);
	json_decref(props);
	json_decref(required);
}

static void add_list_parts(doc *d, json_t *o, const cz_schema *s)
{
	json_object_set_new(o, "items", schema_json(d, s->items, NULL));
	if (!s->list_type)
		return;
	json_object_set_new(o, "x-kubernetes-list-type",
			    json_string(s->list_type));
	if (s->list_map_key)
		json_object_set_new(o, "x-kubernetes-list-map-keys",
				    json_pack("[s]", s->list_map_key));
	/* A CRD's JSONSchemaProps has no strategic-merge extensions. */
	if (d->flavor == CRD_SCHEMA)
		return;
	if (s->list_map_key)
		json_object_set_new(o, "x-kubernetes-patch-merge-key",
				    json_string(s->list_map_key));
	/* Keyed lists and sets merge under strategic merge patch. */
	if (s->list_map_key || strcmp(s->list_type, "set") == 0)
		json_object_set_new(o, "x-kubernetes-patch-strategy",
				    json_string("merge"));
}

/* The schema itself, never a reference to it. */
static json_t *schema_body(doc *d, const cz_schema *s, const char *desc)
{
	json_t *o = json_object();
	const char *type = cz_schema_type_name(s->type);

	if (desc || s->description)
		json_object_set_new(o, "description",
				    json_string(desc ? desc : s->description));
	if (type)
		json_object_set_new(o, "type", json_string(type));
	if (s->format)
		json_object_set_new(o, "format", json_string(s->format));
	if (s->enums) {
		json_t *values = json_array();

		for (const char *const *e = s->enums; *e; e++)
			json_array_append_new(values, json_string(*e));
		json_object_set_new(o, "enum", values);
	}
	if (s->type == CZ_T_OBJECT)
		add_object_parts(d, o, s);
	else if (s->type == CZ_T_ARRAY)
		add_list_parts(d, o, s);
	else if (s->type == CZ_T_MAP)
		json_object_set_new(o, "additionalProperties",
				    schema_json(d, s->items, NULL));
	if (s->preserve_unknown)
		json_object_set_new(o, "x-kubernetes-preserve-unknown-fields",
				    json_true());
	return o;
}

/* Adds the named definition of s (once; the placeholder stops cycles). */
static void add_definition(doc *d, const char *name, const cz_schema *s)
{
	if (json_object_get(d->defs, name))
		return;
	json_object_set_new(d->defs, name, json_null());
	json_object_set_new(d->defs, name, schema_body(d, s, NULL));
}

static json_t *schema_json(doc *d, const cz_schema *s, const char *desc)
{
	json_t *o;

	if (d->flavor == CRD_SCHEMA) {
		if (d->depth >= CRD_MAX_DEPTH)
			return json_pack("{s:b}",
					 "x-kubernetes-preserve-unknown-fields",
					 1);
		d->depth++;
		o = schema_body(d, s, desc);
		d->depth--;
		return o;
	}
	if (!s->definition)
		return schema_body(d, s, desc);
	add_definition(d, s->definition, s);
	return ref_json(d, s->definition, desc);
}

json_t *cz_openapi_crd_schema(const cz_schema *s)
{
	doc d = { CRD_SCHEMA, NULL, 0 };

	return schema_json(&d, s, NULL);
}

static json_t *gvk_json(const cz_resource *r, const char *kind)
{
	return json_pack("{s:s, s:s, s:s}", "group", r->group, "kind", kind,
			 "version", r->version);
}

static char *list_definition(const cz_schema_kind *k)
{
	return cz_xasprintf("%sList", k->definition);
}

static void add_kind_definitions(doc *d, const cz_resource *r,
				 const cz_schema_kind *k)
{
	char *list_name = list_definition(k);
	char *list_desc = cz_xasprintf("%s is a list of %s", r->list_kind,
				       r->kind);
	json_t *body = schema_body(d, k->schema, NULL);
	json_t *list;

	json_object_set_new(body, "x-kubernetes-group-version-kind",
			    json_pack("[o]", gvk_json(r, r->kind)));
	json_object_set_new(d->defs, k->definition, body);
	list = json_pack(
		"{s:s, s:s, s:[s], s:{s:{s:s}, s:{s:s, s:o}, s:{s:s}, s:o},"
		" s:[o]}",
		"description", list_desc, "type", "object", "required", "items",
		"properties", "apiVersion", "type", "string", "items", "type",
		"array", "items", ref_json(d, k->definition, NULL), "kind",
		"type", "string", "metadata",
		schema_json(d, cz_schema_list_meta(), "Standard list metadata."),
		"x-kubernetes-group-version-kind", gvk_json(r, r->list_kind));
	json_object_set_new(d->defs, list_name, list);
	free(list_name);
	free(list_desc);
}

static void add_api_types(doc *d)
{
	size_t n;
	const cz_schema *const *types = cz_schema_api_types(&n);

	for (size_t i = 0; i < n; i++)
		add_definition(d, types[i]->definition, types[i]);
}

/* Parameters */

typedef struct param {
	const char *name;
	const char *in; /* "query" or "path" */
	const char *type;
	const char *description;
} param;

static const param params[] = {
	{ "allowWatchBookmarks", "query", "boolean",
	  "allowWatchBookmarks requests watch events with type \"BOOKMARK\"." },
	{ "continue", "query", "string",
	  "The continue option should be set when retrieving more results "
	  "from the server." },
	{ "dryRun", "query", "string",
	  "When present, indicates that modifications should not be "
	  "persisted. The only valid value is: All." },
	{ "fieldManager", "query", "string",
	  "fieldManager is a name associated with the actor or entity that "
	  "is making these changes." },
	{ "fieldSelector", "query", "string",
	  "A selector to restrict the list of returned objects by their "
	  "fields. Defaults to everything." },
	{ "fieldValidation", "query", "string",
	  "fieldValidation instructs the server on how to handle objects in "
	  "the request containing unknown or duplicate fields: Ignore, Warn "
	  "(the default) or Strict." },
	{ "force", "query", "boolean",
	  "Force is going to \"force\" Apply requests. It means user will "
	  "re-acquire conflicting fields owned by other people." },
	{ "gracePeriodSeconds", "query", "integer",
	  "The duration in seconds before the object should be deleted." },
	{ "labelSelector", "query", "string",
	  "A selector to restrict the list of returned objects by their "
	  "labels. Defaults to everything." },
	{ "limit", "query", "integer",
	  "limit is a maximum number of responses to return for a list "
	  "call." },
	{ "name", "path", "string", "name of the object" },
	{ "namespace", "path", "string",
	  "object name and auth scope, such as for teams and projects" },
	{ "orphanDependents", "query", "boolean",
	  "Deprecated: please use the PropagationPolicy." },
	{ "pretty", "query", "string",
	  "If 'true', then the output is pretty printed." },
	{ "propagationPolicy", "query", "string",
	  "Whether and how garbage collection will be performed: 'Orphan', "
	  "'Background' or 'Foreground'." },
	{ "resourceVersion", "query", "string",
	  "resourceVersion sets a constraint on what resource versions a "
	  "request may be served from." },
	{ "resourceVersionMatch", "query", "string",
	  "resourceVersionMatch determines how resourceVersion is applied "
	  "to list calls." },
	{ "sendInitialEvents", "query", "boolean",
	  "`sendInitialEvents=true` may be set together with `watch=true`." },
	{ "timeoutSeconds", "query", "integer",
	  "Timeout for the list/watch call." },
	{ "watch", "query", "boolean",
	  "Watch for changes to the described resources and return them as "
	  "a stream of add, update, and remove notifications." },
};

static json_t *param_json(const doc *d, const char *name)
{
	const param *p = params;
	json_t *o;
	json_t *type;

	while (strcmp(p->name, name) != 0)
		p++;
	o = json_pack("{s:s, s:s, s:s}", "name", p->name, "in", p->in,
		      "description", p->description);
	if (strcmp(p->in, "path") == 0)
		json_object_set_new(o, "required", json_true());
	type = json_pack("{s:s, s:b}", "type", p->type, "uniqueItems", 1);
	if (d->flavor == SWAGGER_2)
		json_object_update(o, type);
	else
		json_object_set(o, "schema", type);
	json_decref(type);
	return o;
}

static json_t *params_json(const doc *d, const char *const *names)
{
	json_t *list = json_array();

	for (; names && *names; names++)
		json_array_append_new(list, param_json(d, *names));
	return list;
}

/* Operations */

typedef enum body_kind { BODY_NONE, BODY_OBJECT, BODY_PATCH, BODY_DELETE } body_kind;
typedef enum resp_kind { RESP_OBJECT, RESP_LIST, RESP_STATUS } resp_kind;

typedef struct op_spec {
	const char *method; /* "get", "post", ... */
	const char *action; /* x-kubernetes-action */
	const char *verb;   /* operationId prefix */
	const char *const *query;
	body_kind body;
	resp_kind resp;
	const char *const *codes; /* success codes */
} op_spec;

#define LIST_PARAMS                                                            \
	"allowWatchBookmarks", "continue", "fieldSelector", "labelSelector",   \
		"limit", "resourceVersion", "resourceVersionMatch",            \
		"sendInitialEvents", "timeoutSeconds", "watch"
#define DELETE_PARAMS                                                          \
	"dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"

static const char *const q_list[] = { LIST_PARAMS, NULL };
static const char *const q_write[] = { "dryRun", "fieldManager",
				       "fieldValidation", NULL };
static const char *const q_patch[] = { "dryRun", "fieldManager",
				       "fieldValidation", "force", NULL };
static const char *const q_delete[] = { DELETE_PARAMS, NULL };
static const char *const q_delete_collection[] = { LIST_PARAMS, DELETE_PARAMS,
						   NULL };
static const char *const c_ok[] = { "200", NULL };
static const char *const c_create[] = { "200", "201", "202", NULL };
static const char *const c_replace[] = { "200", "201", NULL };
static const char *const c_delete[] = { "200", "202", NULL };

static const op_spec op_list = { "get", "list", "list", q_list, BODY_NONE,
				 RESP_LIST, c_ok };
static const op_spec op_create = { "post", "post", "create", q_write,
				   BODY_OBJECT, RESP_OBJECT, c_create };
static const op_spec op_delete_collection = {
	"delete", "deletecollection", "delete", q_delete_collection,
	BODY_DELETE, RESP_STATUS, c_ok
};
static const op_spec op_read = { "get", "get", "read", NULL, BODY_NONE,
				 RESP_OBJECT, c_ok };
static const op_spec op_replace = { "put", "put", "replace", q_write,
				    BODY_OBJECT, RESP_OBJECT, c_replace };
static const op_spec op_patch = { "patch", "patch", "patch", q_patch,
				  BODY_PATCH, RESP_OBJECT, c_replace };
static const op_spec op_delete = { "delete", "delete", "delete", q_delete,
				   BODY_DELETE, RESP_OBJECT, c_delete };

/* Where an operation sits: the resource and the path's flavor. */
typedef struct op_where {
	const cz_resource *r;
	const cz_schema_kind *k;
	bool namespaced;    /* under /namespaces/{namespace} */
	const char *suffix; /* "", "Status" or "ForAllNamespaces" */
} op_where;

static void put_capitalized(cz_buf *b, const char *s, size_t n)
{
	if (!n)
		return;
	cz_buf_putc(b, (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s));
	cz_buf_append(b, s + 1, n - 1);
}

/* "CoreV1", "CoordinationV1", "CozystackIoV1alpha1": built-in groups by
 * their first label, others label by label, as upstream names them. */
static void put_group_version_id(cz_buf *b, const cz_resource *r)
{
	const char *g = r->group;
	const char *builtin = strstr(g, ".k8s.io");

	if (!*g) {
		cz_buf_puts(b, "Core");
	} else if (builtin && builtin[7] == '\0') {
		put_capitalized(b, g, (size_t)(builtin - g));
	} else {
		while (*g) {
			size_t n = strcspn(g, ".");

			put_capitalized(b, g, n);
			g += n + (g[n] == '.');
		}
	}
	put_capitalized(b, r->version, strlen(r->version));
}

static char *operation_id(const op_spec *op, const op_where *w)
{
	cz_buf id;

	cz_buf_init(&id, CZ_BUF_UNLIMITED);
	cz_buf_puts(&id, op->verb);
	put_group_version_id(&id, w->r);
	if (op == &op_delete_collection)
		cz_buf_puts(&id, "Collection");
	if (w->namespaced)
		cz_buf_puts(&id, "Namespaced");
	cz_buf_printf(&id, "%s%s", w->r->kind, w->suffix);
	return cz_buf_detach(&id, NULL);
}

/* "core_v1", "cozystackIo_v1alpha1": the operation's tag. */
static char *tag_name(const cz_resource *r)
{
	cz_buf tag;

	cz_buf_init(&tag, CZ_BUF_UNLIMITED);
	put_group_version_id(&tag, r);
	/* The version starts at the last capital V: "CoreV1" -> "core_v1". */
	tag.len = (size_t)(strrchr(tag.data, 'V') - tag.data);
	tag.data[tag.len] = '\0';
	cz_buf_printf(&tag, "_%s", r->version);
	tag.data[0] = (char)(tag.data[0] - 'A' + 'a');
	return cz_buf_detach(&tag, NULL);
}

static json_t *media_schema(const char *const *types, json_t *schema)
{
	json_t *content = json_object();

	for (; *types; types++)
		json_object_set_new(content, *types,
				json_pack("{s:O}", "schema", schema));
	json_decref(schema);
	return content;
}

static const char *const produces[] = { "application/json", "application/yaml",
					NULL };
static const char *const patch_types[] = { "application/apply-patch+yaml",
					   "application/json-patch+json",
					   "application/merge-patch+json",
					   NULL };
static const char *const patch_types_smp[] = {
	"application/apply-patch+yaml", "application/json-patch+json",
	"application/merge-patch+json", "application/strategic-merge-patch+json",
	NULL
};
static const char *const any_type[] = { "*/*", NULL };

static char *response_definition(const op_spec *op, const op_where *w)
{
	if (op->resp == RESP_LIST)
		return list_definition(w->k);
	if (op->resp == RESP_STATUS)
		return cz_xstrdup(META "Status");
	return cz_xstrdup(w->k->definition);
}

static json_t *responses_json(const doc *d, const op_spec *op,
			      const op_where *w)
{
	static const struct {
		const char *code;
		const char *text;
	} texts[] = { { "200", "OK" }, { "201", "Created" }, { "202", "Accepted" } };
	json_t *out = json_object();
	char *def = response_definition(op, w);

	for (const char *const *c = op->codes; *c; c++) {
		const char *text = "OK";
		json_t *resp;

		for (size_t i = 0; i < 3; i++)
			if (strcmp(texts[i].code, *c) == 0)
				text = texts[i].text;
		resp = json_pack("{s:s}", "description", text);
		if (d->flavor == SWAGGER_2)
			json_object_set_new(resp, "schema",
					    ref_json(d, def, NULL));
		else
			json_object_set_new(resp, "content",
					    media_schema(produces,
							 ref_json(d, def, NULL)));
		json_object_set_new(out, *c, resp);
	}
	json_object_set_new(out, "401",
			    json_pack("{s:s}", "description", "Unauthorized"));
	free(def);
	return out;
}

static const char *body_definition(const op_spec *op, const op_where *w)
{
	if (op->body == BODY_PATCH)
		return META "Patch";
	if (op->body == BODY_DELETE)
		return META "DeleteOptions";
	return w->k->definition;
}

static void add_body(const doc *d, json_t *o, const op_spec *op,
		     const op_where *w)
{
	const char *def = body_definition(op, w);
	const char *const *types = any_type;

	if (op->body == BODY_NONE)
		return;
	if (op->body == BODY_PATCH)
		types = w->r->strategic_merge ? patch_types_smp : patch_types;
	if (d->flavor == SWAGGER_2) {
		json_t *p = json_pack("{s:s, s:s, s:o}", "name", "body", "in",
				      "body", "schema", ref_json(d, def, NULL));

		if (op->body != BODY_DELETE)
			json_object_set_new(p, "required", json_true());
		json_array_append_new(json_object_get(o, "parameters"), p);
		if (op->body == BODY_PATCH) {
			json_t *consumes = json_array();

			for (; *types; types++)
				json_array_append_new(consumes,
						      json_string(*types));
			json_object_set_new(o, "consumes", consumes);
		}
		return;
	}
	json_object_set_new(o, "requestBody",
			    json_pack("{s:o}", "content",
				      media_schema(types,
						   ref_json(d, def, NULL))));
	if (op->body != BODY_DELETE)
		json_object_set_new(json_object_get(o, "requestBody"),
				    "required", json_true());
}

static json_t *operation_json(const doc *d, const op_spec *op,
			      const op_where *w)
{
	char *id = operation_id(op, w);
	char *tag = tag_name(w->r);
	char *summary = cz_xasprintf("%s %s%s of kind %s", op->action,
				     strcmp(w->suffix, "Status") == 0 ?
					     "status of " :
					     "",
				     op->resp == RESP_LIST ? "objects" :
							     "the object",
				     w->r->kind);
	json_t *o = json_pack("{s:s, s:s, s:[s], s:o, s:s, s:o}", "description",
			      summary, "operationId", id, "tags", tag,
			      "parameters", params_json(d, op->query),
			      "x-kubernetes-action", op->action,
			      "x-kubernetes-group-version-kind",
			      gvk_json(w->r, w->r->kind));

	add_body(d, o, op, w);
	json_object_set_new(o, "responses", responses_json(d, op, w));
	if (d->flavor == SWAGGER_2) {
		json_t *p = json_array();

		for (const char *const *t = produces; *t; t++)
			json_array_append_new(p, json_string(*t));
		json_object_set_new(o, "produces", p);
		json_object_set_new(o, "schemes", json_pack("[s]", "https"));
	}
	free(id);
	free(tag);
	free(summary);
	return o;
}

static void add_path(const doc *d, json_t *paths, const char *path,
		     const op_where *w, const op_spec *const *ops,
		     const char *const *path_params)
{
	json_t *item = json_object();

	for (; *ops; ops++)
		json_object_set_new(item, (*ops)->method,
				    operation_json(d, *ops, w));
	json_object_set_new(item, "parameters", params_json(d, path_params));
	json_object_set_new(paths, path, item);
}

static const op_spec *const ops_collection[] = { &op_list, &op_create,
						 &op_delete_collection, NULL };
static const op_spec *const ops_item[] = { &op_read, &op_replace, &op_patch,
					   &op_delete, NULL };
static const op_spec *const ops_status[] = { &op_read, &op_replace, &op_patch,
					     NULL };
static const op_spec *const ops_all_namespaces[] = { &op_list, NULL };

static const char *const pp_cluster[] = { "pretty", NULL };
static const char *const pp_cluster_item[] = { "name", "pretty", NULL };
static const char *const pp_ns[] = { "namespace", "pretty", NULL };
static const char *const pp_ns_item[] = { "name", "namespace", "pretty", NULL };

static void add_resource_paths(const doc *d, json_t *paths, const cz_resource *r,
			       const cz_schema_kind *k)
{
	char *base = *r->group ? cz_xasprintf("/apis/%s/%s", r->group, r->version)
			       : cz_xasprintf("/api/%s", r->version);
	char *scope = r->namespaced ?
			      cz_xasprintf("%s/namespaces/{namespace}/%s", base,
					   r->resource) :
			      cz_xasprintf("%s/%s", base, r->resource);
	char *item = cz_xasprintf("%s/{name}", scope);
	char *status = cz_xasprintf("%s/{name}/status", scope);
	op_where w = { r, k, r->namespaced, "" };
	op_where ws = { r, k, r->namespaced, "Status" };

	add_path(d, paths, scope, &w, ops_collection,
		 r->namespaced ? pp_ns : pp_cluster);
	add_path(d, paths, item, &w, ops_item,
		 r->namespaced ? pp_ns_item : pp_cluster_item);
	if (r->has_status)
		add_path(d, paths, status, &ws, ops_status,
			 r->namespaced ? pp_ns_item : pp_cluster_item);
	if (r->namespaced) {
		op_where wa = { r, k, false, "ForAllNamespaces" };
		char *all = cz_xasprintf("%s/%s", base, r->resource);

		add_path(d, paths, all, &wa, ops_all_namespaces, pp_cluster);
		free(all);
	}
	free(base);
	free(scope);
	free(item);
	free(status);
}

/* Documents */

/* Adds the definitions and paths of every resource of group_version (or
 * of every resource, when NULL). */
static int add_resources(doc *d, json_t *paths, const char *group_version,
			 cz_error *err)
{
	size_t n;
	const cz_resource *rs = cz_resources(&n);

	for (size_t i = 0; i < n; i++) {
		const cz_resource *r = &rs[i];
		const cz_schema_kind *k;

		if (group_version && strcmp(r->group_version, group_version) != 0)
			continue;
		k = cz_schema_kind_find(r->group_version, r->kind);
		if (!k)
			return cz_fail(err, CZ_ERR, "no schema for %s %s",
				       r->group_version, r->kind);
		add_kind_definitions(d, r, k);
		add_resource_paths(d, paths, r, k);
	}
	add_api_types(d);
	return CZ_OK;
}

static int dump_into(json_t *root, cz_buf *out, cz_error *err)
{
	char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return cz_fail(err, CZ_ERR, "cannot serialize the document");
	rc = cz_buf_puts(out, text);
	free(text);
	if (rc < 0)
		return cz_fail(err, rc, "the OpenAPI document is too large");
	return CZ_OK;
}

static json_t *info_json(void)
{
	return json_pack("{s:s, s:s}", "title", "cozypkg", "version",
			 CZ_VERSION);
}

int cz_openapi_v2(cz_buf *out, cz_error *err)
{
	doc d = { SWAGGER_2, json_object(), 0 };
	json_t *paths = json_object();
	json_t *root = NULL;
	int rc;

	rc = add_resources(&d, paths, NULL, err);
	if (rc < 0)
		goto cleanup;
	root = json_pack("{s:s, s:o, s:O, s:O}", "swagger", "2.0", "info",
			 info_json(), "paths", paths, "definitions", d.defs);
	rc = dump_into(root, out, err);
cleanup:
	json_decref(root);
	json_decref(paths);
	json_decref(d.defs);
	return rc;
}

/* "api/v1" -> "v1", "apis/g/v" -> "g/v" when served; NULL otherwise. */
static const char *served_group_version(const char *path)
{
	size_t n;
	const char *const *gvs = cz_group_versions(&n);
	const char *gv = NULL;

	if (strncmp(path, "api/", 4) == 0)
		gv = path + 4;
	else if (strncmp(path, "apis/", 5) == 0)
		gv = path + 5;
	if (!gv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool core = strchr(gvs[i], '/') == NULL;

		if (strcmp(gvs[i], gv) == 0 && core == (path[3] == '/'))
			return gvs[i];
	}
	return NULL;
}

int cz_openapi_v3_group(const char *group_version_path, cz_buf *out,
			cz_error *err)
{
	const char *gv = served_group_version(group_version_path);
	doc d = { OPENAPI_3, json_object(), 0 };
	json_t *paths = json_object();
	json_t *root = NULL;
	int rc;

	if (!gv) {
		rc = cz_fail(err, CZ_ENOTFOUND, "no OpenAPI document for %s",
			     group_version_path);
		goto cleanup;
	}
	rc = add_resources(&d, paths, gv, err);
	if (rc < 0)
		goto cleanup;
	root = json_pack("{s:s, s:o, s:O, s:{s:O}}", "openapi", "3.0.0", "info",
			 info_json(), "paths", paths, "components", "schemas",
			 d.defs);
	rc = dump_into(root, out, err);
cleanup:
	json_decref(root);
	json_decref(paths);
	json_decref(d.defs);
	return rc;
}

/* Upper-case hex SHA-512 of data, as kube-openapi hashes its documents. */
static int sha512_hex(const char *data, size_t len, char hex[129],
		      cz_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha512(), NULL))
		return cz_fail(err, CZ_ERR, "SHA-512 failed");
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	return CZ_OK;
}

int cz_openapi_v3_index(cz_buf *out, cz_error *err)
{
	size_t n;
	const char *const *gvs = cz_group_versions(&n);
	json_t *paths = json_object();
	json_t *root = NULL;
	cz_buf doc_text;
	int rc = CZ_OK;

	cz_buf_init(&doc_text, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < n; i++) {
		char *key = strchr(gvs[i], '/') ?
				    cz_xasprintf("apis/%s", gvs[i]) :
				    cz_xasprintf("api/%s", gvs[i]);
		char hex[129];
		char *url;

		cz_buf_reset(&doc_text);
		rc = cz_openapi_v3_group(key, &doc_text, err);
		if (rc >= 0)
			rc = sha512_hex(doc_text.data, doc_text.len, hex, err);
		if (rc < 0) {
			free(key);
			goto cleanup;
		}
		url = cz_xasprintf("/openapi/v3/%s?hash=%s", key, hex);
		json_object_set_new(paths, key,
				    json_pack("{s:s}", "serverRelativeURL", url));
		free(url);
		free(key);
	}
	root = json_pack("{s:O}", "paths", paths);
	rc = dump_into(root, out, err);
cleanup:
	cz_buf_release(&doc_text);
	json_decref(root);
	json_decref(paths);
	return rc;
}
