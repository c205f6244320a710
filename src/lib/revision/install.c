/* The objects of a deployment revision and what an install drops
 * (revision/install.h). */

#include "revision/install.h"

#include <stdlib.h>
#include <string.h>

#include "api/resource.h"
#include "object/meta.h"
#include "object/yaml.h"
#include "util/mem.h"
#include "util/sort.h"

enum { CLASS_NAMESPACE, CLASS_CRD, CLASS_CONFIG, CLASS_OTHER, CLASS_PACKAGE };

static int class_of(const json_t *obj)
{
	const char *kind = cz_json_str(obj, "kind");

	if (strcmp(kind, "Namespace") == 0)
		return CLASS_NAMESPACE;
	if (strcmp(kind, "CustomResourceDefinition") == 0)
		return CLASS_CRD;
	if (strcmp(kind, "Secret") == 0 || strcmp(kind, "ConfigMap") == 0 ||
	    strcmp(kind, "ServiceAccount") == 0)
		return CLASS_CONFIG;
	if (strcmp(kind, "Package") == 0 &&
	    strncmp(cz_json_str(obj, "apiVersion"), "cozystack.io/", 13) == 0)
		return CLASS_PACKAGE;
	return CLASS_OTHER;
}

static bool is_manifest(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(path);

	base = base ? base + 1 : path;
	if (strcmp(base, "Kptfile") == 0)
		return false;
	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(path + n - 4, ".yml") == 0) ||
	       (n > 5 && strcmp(path + n - 5, ".json") == 0);
}

static bool same_ref(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "apiVersion", "kind", "namespace",
					    "name" };

	for (size_t i = 0; i < 4; i++)
		if (strcmp(cz_json_str(a, keys[i]), cz_json_str(b, keys[i])) != 0)
			return false;
	return true;
}

static bool has_ref(const json_t *list, const json_t *ref)
{
	size_t i;
	json_t *it;

	json_array_foreach (list, i, it)
		if (same_ref(it, ref))
			return true;
	return false;
}

json_t *cz_install_ref(const json_t *obj)
{
	const char *ns = cz_meta_str(obj, "namespace");

	return json_pack("{s:s, s:s, s:s, s:s}", "apiVersion",
			 cz_json_str(obj, "apiVersion"), "kind", cz_json_str(obj, "kind"),
			 "namespace", ns ? ns : "", "name",
			 cz_meta_str(obj, "name") ? cz_meta_str(obj, "name")
						  : "");
}

/* Checks one document and completes its namespace. */
static int check_object(json_t *obj, const char *ns, const char *where,
			cz_error *err)
{
	const cz_resource *r;
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = cz_meta_str(obj, "name");
	const char *obj_ns = cz_meta_str(obj, "namespace");

	if (!json_is_object(obj) || !*cz_json_str(obj, "apiVersion") ||
	    !*cz_json_str(obj, "kind") || !json_is_object(meta) || !name || !*name)
		return cz_fail(err, CZ_EINVALID, "%s: expected an object with "
			       "apiVersion, kind and metadata.name", where);
	r = cz_resource_by_kind(cz_json_str(obj, "apiVersion"), cz_json_str(obj, "kind"));
	if (!r)
		return cz_fail(err, CZ_EINVALID, "%s: %s %s is not a kind the "
			       "server serves", where, cz_json_str(obj, "apiVersion"),
			       cz_json_str(obj, "kind"));
	if (!r->namespaced && obj_ns && *obj_ns)
		return cz_fail(err, CZ_EINVALID, "%s: metadata.namespace: "
			       "%s is cluster-scoped", where, r->kind);
	if (r->namespaced && (!obj_ns || !*obj_ns))
		json_object_set_new(meta, "namespace", json_string(ns));
	return CZ_OK;
}

/* "apiVersion kind namespace name" of obj, malloc'ed: one key per object
 * for the duplicate check. */
static char *ref_key(const json_t *obj)
{
	const char *ns = cz_meta_str(obj, "namespace");

	return cz_xasprintf("%s %s %s %s", cz_json_str(obj, "apiVersion"),
			    cz_json_str(obj, "kind"), ns ? ns : "",
			    cz_meta_str(obj, "name"));
}

/* Appends the objects of one file to out; seen holds the key of every
 * object so far. */
static int file_objects(const char *path, const char *text, const char *ns,
			json_t *out, json_t *seen, cz_error *err)
{
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	char where[512];
	int rc = cz_parse_stream(text, strlen(text), path, NULL, &docs, &ndocs,
				 NULL, err);

	for (size_t i = 0; rc == CZ_OK && i < ndocs; i++) {
		json_t *obj = docs[i].root;
		const char *local;
		char *key = NULL;

		if (!obj)
			continue;
		local = cz_annotation(obj, "config.kubernetes.io/local-config");
		if (local && strcmp(local, "true") == 0)
			continue;
		snprintf(where, sizeof(where), "%s:%u", path, docs[i].line);
		obj = json_deep_copy(obj); /* aliases are shared */
		rc = check_object(obj, ns, where, err);
		if (rc == CZ_OK && json_object_get(seen, key = ref_key(obj)))
			rc = cz_fail(err, CZ_EINVALID, "%s: %s %s is defined "
				     "twice", where, cz_json_str(obj, "kind"),
				     cz_meta_str(obj, "name"));
		if (rc == CZ_OK) {
			json_object_set_new(seen, key, json_true());
			json_array_append(out, obj);
		}
		free(key);
		json_decref(obj);
	}
	cz_docs_free(docs, ndocs);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The items of in in class order (ascending, or descending when
 * reverse), stable: a new array. */
static json_t *by_class(const json_t *in, bool reverse)
{
	json_t *out = json_array();

	for (int k = 0; k <= CLASS_PACKAGE; k++) {
		int want = reverse ? CLASS_PACKAGE - k : k;
		size_t i;
		json_t *it;

		json_array_foreach (in, i, it)
			if (class_of(it) == want)
				json_array_append(out, it);
	}
	return out;
}

int cz_install_objects(const json_t *resources, const char *ns,
		       json_t **out, cz_error *err)
{
	const char **paths = cz_xcalloc(json_object_size(resources) + 1,
					sizeof(*paths));
	json_t *all = json_array(), *seen = json_object();
	const char *path;
	json_t *content;
	size_t n = 0;
	int rc = CZ_OK;

	*out = NULL;
	json_object_foreach ((json_t *)resources, path, content)
		if (is_manifest(path) && json_is_string(content))
			paths[n++] = path;
	cz_sort(paths, n, sizeof(*paths), cmp_path);
	for (size_t i = 0; rc == CZ_OK && i < n; i++)
		rc = file_objects(paths[i],
				  json_string_value(
					  json_object_get(resources, paths[i])),
				  ns, all, seen, err);
	if (rc == CZ_OK)
		*out = by_class(all, false);
	json_decref(all);
	json_decref(seen);
	free(paths);
	return rc;
}

json_t *cz_install_dropped(const json_t *old, const json_t *now)
{
	json_t *gone = json_array(), *out;
	size_t i;
	json_t *ref;

	json_array_foreach (old, i, ref)
		if (!has_ref(now, ref))
			json_array_append(gone, ref);
	out = by_class(gone, true);
	json_decref(gone);
	return out;
}

json_t *cz_install_union(const json_t *a, const json_t *b)
{
	json_t *out = json_array();
	size_t i;
	json_t *ref;

	json_array_foreach (a, i, ref)
		if (!has_ref(out, ref))
			json_array_append(out, ref);
	json_array_foreach (b, i, ref)
		if (!has_ref(out, ref))
			json_array_append(out, ref);
	return out;
}
