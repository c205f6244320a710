#include "api/apply.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsontree.h"
#include "util/buf.h"
#include "util/mem.h"

/*
 * Field sets are kept as JSON trees in FieldsV1 shape, except that every
 * owned node carries "." (a FieldsV1 leaf {} is {".":{}} here), so that
 * union, difference and intersection are plain recursive walks.
 */

static json_t *unconst(const json_t *v)
{
	return (json_t *)(uintptr_t)v;
}

/* ------------------------------------------------------------------ */
/* Field sets                                                           */

static json_t *fs_child(json_t *node, const char *pe)
{
	json_t *c = json_object_get(node, pe);

	if (!c) {
		c = json_object();
		json_object_set_new(node, pe, c);
	}
	return c;
}

static void fs_mark(json_t *node)
{
	json_object_set_new(node, ".", json_object());
}

static bool fs_member(const json_t *node)
{
	return json_object_get(node, ".") != NULL;
}

static void fs_union(json_t *dst, const json_t *src)
{
	const char *pe;
	json_t *c;

	json_object_foreach (unconst(src), pe, c) {
		if (!strcmp(pe, "."))
			fs_mark(dst);
		else
			fs_union(fs_child(dst, pe), c);
	}
}

static void fs_subtract(json_t *dst, const json_t *src)
{
	const char *pe;
	json_t *c;

	json_object_foreach (unconst(src), pe, c) {
		json_t *d = json_object_get(dst, pe);

		if (!d)
			continue;
		if (!strcmp(pe, ".")) {
			json_object_del(dst, ".");
			continue;
		}
		fs_subtract(d, c);
		if (json_object_size(d) == 0)
			json_object_del(dst, pe);
	}
}

static json_t *fs_intersect(const json_t *a, const json_t *b)
{
	json_t *out = json_object();
	const char *pe;
	json_t *c;

	json_object_foreach (unconst(a), pe, c) {
		const json_t *o = json_object_get(b, pe);
		json_t *sub;

		if (!o)
			continue;
		if (!strcmp(pe, ".")) {
			fs_mark(out);
			continue;
		}
		sub = fs_intersect(c, o);
		if (json_object_size(sub))
			json_object_set_new(out, pe, sub);
		else
			json_decref(sub);
	}
	return out;
}

static void fs_drop_empty(json_t *node)
{
	const char *pe;
	json_t *c;
	void *tmp;

	json_object_foreach_safe (node, tmp, pe, c) {
		if (!strcmp(pe, "."))
			continue;
		fs_drop_empty(c);
		if (json_object_size(c) == 0)
			json_object_del(node, pe);
	}
}

static int pe_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;

	/* "." first, then the order of the path elements' text. */
	if (!strcmp(x, "."))
		return strcmp(y, ".") ? -1 : 0;
	if (!strcmp(y, "."))
		return 1;
	return strcmp(x, y);
}

/* The path elements of node, sorted; the caller frees the array. */
static const char **sorted_pes(const json_t *node, size_t *n)
{
	const char **pes = cz_xcalloc(json_object_size(node) + 1,
				      sizeof(*pes));
	const char *pe;
	json_t *c;

	*n = 0;
	json_object_foreach (unconst(node), pe, c)
		pes[(*n)++] = pe;
	qsort(pes, *n, sizeof(*pes), pe_cmp);
	return pes;
}

/* Internal form to FieldsV1, with kube's element order. */
static json_t *fs_encode(const json_t *node)
{
	json_t *out = json_object();
	size_t n;
	const char **pes = sorted_pes(node, &n);

	if (!(n == 1 && !strcmp(pes[0], "."))) {
		for (size_t i = 0; i < n; i++)
			json_object_set_new(out, pes[i],
					    strcmp(pes[i], ".")
						    ? fs_encode(json_object_get(
							      node, pes[i]))
						    : json_object());
	}
	free(pes);
	return out;
}

/* FieldsV1 to the internal form; NULL when it is not a field set. */
static json_t *fs_decode(const json_t *v, size_t depth)
{
	json_t *out;
	const char *pe;
	json_t *c;

	if (!json_is_object(v) || depth > CZ_JSON_MAX_DEPTH)
		return NULL;
	out = json_object();
	if (json_object_size(v) == 0)
		fs_mark(out);
	json_object_foreach (unconst(v), pe, c) {
		json_t *sub;

		if (!strcmp(pe, ".")) {
			fs_mark(out);
			continue;
		}
		if (!(sub = fs_decode(c, depth + 1))) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, pe, sub);
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Path elements of values                                              */

static char *pe_field(const char *name)
{
	return cz_xasprintf("f:%s", name);
}

static char *pe_json(const char *prefix, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
					   JSON_SORT_KEYS);
	char *pe = cz_xasprintf("%s%s", prefix, text ? text : "null");

	free(text);
	return pe;
}

/* "k:{"<key>":<value>}" for a keyed item. */
static char *pe_key(const json_t *item, const char *key)
{
	json_t *k = json_object();
	char *pe;

	json_object_set(k, key, json_object_get(item, key));
	pe = pe_json("k:", k);
	json_decref(k);
	return pe;
}

/* How the list at the current path behaves for these items: keyed only
 * when every item is an object with a scalar key, a set only when every
 * item is a scalar; anything else is handled as atomic. */
static cz_list_type list_mode(const cz_merge_key *keys, const cz_dpath *path,
			      const json_t *list, const char **key)
{
	cz_list_type type = cz_list_type_of(keys, cz_dpath_str(path), key);

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *item = json_array_get(list, i);
		const json_t *kv;

		if (type == CZ_LIST_MAP) {
			kv = json_object_get(item, *key);
			if (!kv || json_is_object(kv) || json_is_array(kv))
				return CZ_LIST_ATOMIC;
		} else if (type == CZ_LIST_SET &&
			   (json_is_object(item) || json_is_array(item))) {
			return CZ_LIST_ATOMIC;
		}
	}
	return type;
}

/* The item of a keyed list with the same key as item, or -1. */
static long find_keyed(const json_t *list, const json_t *item,
		       const char *key)
{
	const json_t *want = json_object_get(item, key);

	for (size_t i = 0; want && i < json_array_size(list); i++) {
		const json_t *kv = json_object_get(json_array_get(list, i),
						   key);

		if (kv && cz_json_same(kv, want))
			return (long)i;
	}
	return -1;
}

static long find_value(const json_t *list, const json_t *v)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (cz_json_same(json_array_get(list, i), v))
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* The field set of a value                                             */

typedef struct walker {
	const cz_merge_key *keys;
	cz_dpath path;
} walker;

static void fields_of(walker *w, const json_t *v, json_t *node);

static void list_fields(walker *w, const json_t *list, json_t *node)
{
	const char *key;
	cz_list_type mode = list_mode(w->keys, &w->path, list, &key);

	if (mode == CZ_LIST_ATOMIC || json_array_size(list) == 0) {
		fs_mark(node);
		return;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *item = json_array_get(list, i);
		char *pe = mode == CZ_LIST_MAP ? pe_key(item, key)
					       : pe_json("v:", item);
		json_t *child = fs_child(node, pe);

		fs_mark(child);
		if (mode == CZ_LIST_MAP)
			fields_of(w, item, child);
		free(pe);
	}
}

static void fields_of(walker *w, const json_t *v, json_t *node)
{
	const char *name;
	json_t *c;

	json_object_foreach (unconst(v), name, c) {
		char *pe;
		json_t *child;
		size_t at;

		if (json_is_null(c))
			continue;
		pe = pe_field(name);
		child = fs_child(node, pe);
		free(pe);
		at = cz_dpath_push(&w->path, name);
		if (json_is_object(c) && json_object_size(c))
			fields_of(w, c, child);
		else if (json_is_array(c))
			list_fields(w, c, child);
		else
			fs_mark(child);
		cz_dpath_pop(&w->path, at);
	}
}

json_t *cz_fields_of(const json_t *value, const cz_merge_key *keys)
{
	walker w;
	json_t *set = json_object();
	json_t *out;

	w.keys = keys;
	cz_dpath_init(&w.path);
	if (json_is_object(value))
		fields_of(&w, value, set);
	out = fs_encode(set);
	json_decref(set);
	return out;
}

/* ------------------------------------------------------------------ */
/* Comparing two versions of an object                                  */

typedef struct comparison {
	json_t *modified;
	json_t *added;
	json_t *removed;
} comparison;

typedef struct cmp_nodes {
	json_t *mod;
	json_t *add;
	json_t *rem;
} cmp_nodes;

static cmp_nodes cmp_child(cmp_nodes n, const char *pe)
{
	cmp_nodes c = { fs_child(n.mod, pe), fs_child(n.add, pe),
			 fs_child(n.rem, pe) };

	return c;
}

/* Every node of v, v itself and its maps and items included, into node:
 * what a version adds or removes when the other has nothing there. */
static void subtree(walker *w, const json_t *v, json_t *node)
{
	const char *key;
	cz_list_type mode;

	fs_mark(node);
	if (json_is_object(v)) {
		const char *name;
		json_t *c;

		json_object_foreach (unconst(v), name, c) {
			char *pe;
			size_t at;

			if (json_is_null(c))
				continue;
			pe = pe_field(name);
			at = cz_dpath_push(&w->path, name);
			subtree(w, c, fs_child(node, pe));
			cz_dpath_pop(&w->path, at);
			free(pe);
		}
		return;
	}
	if (!json_is_array(v))
		return;
	mode = list_mode(w->keys, &w->path, v, &key);
	for (size_t i = 0; mode != CZ_LIST_ATOMIC && i < json_array_size(v);
	     i++) {
		const json_t *item = json_array_get(v, i);
		char *pe = mode == CZ_LIST_MAP ? pe_key(item, key)
					       : pe_json("v:", item);

		subtree(w, mode == CZ_LIST_MAP ? item : NULL,
			fs_child(node, pe));
		free(pe);
	}
}

static void compare_values(walker *w, const json_t *a, const json_t *b,
			   cmp_nodes n);

static void compare_maps(walker *w, const json_t *a, const json_t *b,
			 cmp_nodes n)
{
	const char *name;
	json_t *c;

	json_object_foreach (unconst(a), name, c) {
		const json_t *o = json_object_get(b, name);
		char *pe = pe_field(name);
		size_t at = cz_dpath_push(&w->path, name);

		if (!json_is_null(c) && (!o || json_is_null(o)))
			subtree(w, c, fs_child(n.rem, pe));
		else if (!json_is_null(c) && !cz_json_same(c, o))
			compare_values(w, c, o, cmp_child(n, pe));
		cz_dpath_pop(&w->path, at);
		free(pe);
	}
	json_object_foreach (unconst(b), name, c) {
		const json_t *o = json_object_get(a, name);
		char *pe;
		size_t at;

		if (json_is_null(c) || (o && !json_is_null(o)))
			continue;
		pe = pe_field(name);
		at = cz_dpath_push(&w->path, name);
		subtree(w, c, fs_child(n.add, pe));
		cz_dpath_pop(&w->path, at);
		free(pe);
	}
}

static void compare_items(walker *w, const json_t *a, const json_t *b,
			  cz_list_type mode, const char *key, cmp_nodes n)
{
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *item = json_array_get(a, i);
		char *pe = mode == CZ_LIST_MAP ? pe_key(item, key)
					       : pe_json("v:", item);
		long at = mode == CZ_LIST_MAP ? find_keyed(b, item, key)
					      : find_value(b, item);

		if (at < 0)
			subtree(w, mode == CZ_LIST_MAP ? item : NULL,
				fs_child(n.rem, pe));
		else if (mode == CZ_LIST_MAP)
			compare_values(w, item,
				       json_array_get(b, (size_t)at),
				       cmp_child(n, pe));
		free(pe);
	}
	for (size_t i = 0; i < json_array_size(b); i++) {
		const json_t *item = json_array_get(b, i);
		long at = mode == CZ_LIST_MAP ? find_keyed(a, item, key)
					      : find_value(a, item);
		char *pe;

		if (at >= 0)
			continue;
		pe = mode == CZ_LIST_MAP ? pe_key(item, key)
					 : pe_json("v:", item);
		subtree(w, mode == CZ_LIST_MAP ? item : NULL,
			fs_child(n.add, pe));
		free(pe);
	}
}

static void compare_values(walker *w, const json_t *a, const json_t *b,
			   cmp_nodes n)
{
	/* Equal subtrees hold no change; most of a typical update is one. */
	if (cz_json_same(a, b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		compare_maps(w, a, b, n);
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		const char *key;
		cz_list_type ma = list_mode(w->keys, &w->path, a, &key);
		cz_list_type mb = list_mode(w->keys, &w->path, b, &key);

		if (ma == mb && ma != CZ_LIST_ATOMIC) {
			compare_items(w, a, b, ma, key, n);
			return;
		}
	}
	if (!cz_json_same(a, b))
		fs_mark(n.mod);
}

static void compare(const cz_merge_key *keys, const json_t *a,
		    const json_t *b, comparison *out)
{
	walker w;
	cmp_nodes n;

	w.keys = keys;
	cz_dpath_init(&w.path);
	out->modified = json_object();
	out->added = json_object();
	out->removed = json_object();
	n.mod = out->modified;
	n.add = out->added;
	n.rem = out->removed;
	compare_maps(&w, a, b, n);
	fs_drop_empty(out->modified);
	fs_drop_empty(out->added);
	fs_drop_empty(out->removed);
}

static void comparison_release(comparison *c)
{
	json_decref(c->modified);
	json_decref(c->added);
	json_decref(c->removed);
}

/* ------------------------------------------------------------------ */
/* Fields nobody owns                                                   */

static const char *const server_meta[] = {
	"name",         "namespace",         "uid",
	"resourceVersion", "generation",     "creationTimestamp",
	"selfLink",     "deletionTimestamp", "deletionGracePeriodSeconds",
	"managedFields", NULL,
};

/* Removes from set what no manager owns for this subresource. */
static void strip_set(json_t *set, const char *subresource)
{
	json_t *meta = json_object_get(set, "f:metadata");

	json_object_del(set, ".");
	json_object_del(set, "f:apiVersion");
	json_object_del(set, "f:kind");
	if (meta) {
		json_object_del(meta, ".");
		for (size_t i = 0; server_meta[i]; i++) {
			char *pe = pe_field(server_meta[i]);

			json_object_del(meta, pe);
			free(pe);
		}
	}
	if (!subresource) {
		json_object_del(set, "f:status");
	} else {
		json_t *status = json_incref(json_object_get(set, "f:status"));

		json_object_clear(set);
		if (status)
			json_object_set_new(set, "f:status", status);
	}
	fs_drop_empty(set);
}

/* ------------------------------------------------------------------ */
/* Managed-field entries                                                */

typedef struct entry {
	char *manager;
	char *operation;
	char *api_version;
	char *time;        /* may be NULL */
	char *subresource; /* NULL for the main resource */
	json_t *set;       /* internal form, owned */
} entry;

typedef struct entries {
	entry *items;
	size_t n;
	size_t cap;
} entries;

static char *dup_or_null(const char *s)
{
	return s && *s ? cz_xstrdup(s) : NULL;
}

static void entries_release(entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->items[i].manager);
		free(es->items[i].operation);
		free(es->items[i].api_version);
		free(es->items[i].time);
		free(es->items[i].subresource);
		json_decref(es->items[i].set);
	}
	free(es->items);
	es->items = NULL;
	es->n = 0;
}

static entry *entries_add(entries *es, const char *manager,
			  const char *operation, const char *api_version,
			  const char *subresource)
{
	entry *e;

	CZ_GROW(es->items, es->n + 1, es->cap);
	e = &es->items[es->n++];
	memset(e, 0, sizeof(*e));
	e->manager = cz_xstrdup(manager);
	e->operation = cz_xstrdup(operation);
	e->api_version = dup_or_null(api_version);
	e->subresource = dup_or_null(subresource);
	e->set = json_object();
	return e;
}

static const char *str_of(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

/* Reads metadata.managedFields; entries that are not well formed are
 * skipped (kube resets managedFields it cannot decode). */
static void entries_load(entries *es, const json_t *obj)
{
	const json_t *list = json_object_get(json_object_get(obj, "metadata"),
					     "managedFields");

	es->items = NULL;
	es->n = 0;
	es->cap = 0;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *m = json_array_get(list, i);
		const char *fields_type = str_of(m, "fieldsType");
		json_t *set;
		entry *e;

		if (!str_of(m, "manager") || !str_of(m, "operation") ||
		    (fields_type && strcmp(fields_type, "FieldsV1")))
			continue;
		set = fs_decode(json_object_get(m, "fieldsV1"), 0);
		if (!set)
			set = json_object();
		e = entries_add(es, str_of(m, "manager"),
				str_of(m, "operation"), str_of(m, "apiVersion"),
				str_of(m, "subresource"));
		e->time = dup_or_null(str_of(m, "time"));
		json_decref(e->set);
		e->set = set;
	}
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* kube's manager identity: Apply entries ignore apiVersion. */
static entry *entries_find(entries *es, const char *manager,
			   const char *operation, const char *api_version,
			   const char *subresource)
{
	bool apply = !strcmp(operation, "Apply");

	for (size_t i = 0; i < es->n; i++) {
		entry *e = &es->items[i];

		if (!strcmp(e->manager, manager) &&
		    !strcmp(e->operation, operation) &&
		    same_str(e->subresource, subresource) &&
		    (apply || same_str(e->api_version, api_version)))
			return e;
	}
	return NULL;
}

static int str_order(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int entry_cmp(const void *pa, const void *pb)
{
	const entry *a = pa;
	const entry *b = pb;
	int c;

	if ((c = strcmp(a->operation, b->operation)) ||
	    (c = str_order(a->time, b->time)) ||
	    (c = strcmp(a->manager, b->manager)) ||
	    (c = str_order(a->api_version, b->api_version)))
		return c;
	return str_order(a->subresource, b->subresource);
}

static json_t *entry_encode(const entry *e)
{
	json_t *m = json_object();

	json_object_set_new(m, "manager", json_string(e->manager));
	json_object_set_new(m, "operation", json_string(e->operation));
	if (e->api_version)
		json_object_set_new(m, "apiVersion",
				    json_string(e->api_version));
	if (e->time)
		json_object_set_new(m, "time", json_string(e->time));
	json_object_set_new(m, "fieldsType", json_string("FieldsV1"));
	json_object_set_new(m, "fieldsV1", fs_encode(e->set));
	if (e->subresource)
		json_object_set_new(m, "subresource",
				    json_string(e->subresource));
	return m;
}

/* Writes the non-empty entries, sorted, into obj's metadata. */
static void entries_store(entries *es, json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *list = json_array();

	if (es->n)
		qsort(es->items, es->n, sizeof(*es->items), entry_cmp);
	for (size_t i = 0; i < es->n; i++)
		if (json_object_size(es->items[i].set))
			json_array_append_new(list,
					      entry_encode(&es->items[i]));
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	if (json_array_size(list))
		json_object_set_new(meta, "managedFields", list);
	else {
		json_object_del(meta, "managedFields");
		json_decref(list);
	}
}

/* obj without metadata.managedFields, for the read-only comparison: a
 * shallow copy of the top level and of metadata that shares everything
 * else, since every write of every object comes through here. */
static json_t *without_managed(const json_t *obj)
{
	json_t *copy;
	json_t *meta;

	if (!obj)
		return json_object();
	copy = json_copy(unconst(obj));
	meta = json_object_get(copy, "metadata");
	if (json_is_object(meta)) {
		meta = json_copy(meta);
		json_object_del(meta, "managedFields");
		json_object_set_new(copy, "metadata", meta);
	}
	return copy;
}

/* {"status": obj's status}: all a subresource's write can own (see
 * strip_set), so all its comparison needs to walk. */
static json_t *status_only(const json_t *obj)
{
	json_t *status = json_object_get(obj, "status");
	json_t *out = json_object();

	if (status)
		json_object_set(out, "status", status);
	return out;
}

/* a ∪ b (a new reference), sharing b when a is empty: a create's
 * changes are all additions, and copying a whole object's field set
 * twice cost more than computing it.  The sets are not changed after. */
static json_t *union_of(const json_t *a, const json_t *b)
{
	json_t *out;

	if (!json_object_size(a))
		return json_incref(unconst(b));
	out = json_object();
	fs_union(out, a);
	fs_union(out, b);
	return out;
}

/* *set ∪= add, taking a reference to add when *set is empty. */
static void add_to_set(json_t **set, json_t *add)
{
	if (json_object_size(*set)) {
		fs_union(*set, add);
		return;
	}
	json_decref(*set);
	*set = json_incref(add);
}

/* ------------------------------------------------------------------ */
/* Update                                                               */

static void take_changes(entries *es, const comparison *cmp,
			 const json_t *changed)
{
	for (size_t i = 0; i < es->n; i++) {
		fs_subtract(es->items[i].set, changed);
		fs_subtract(es->items[i].set, cmp->removed);
	}
}

void cz_managed_fields_update(json_t *obj_new, const json_t *obj_old,
			      const char *manager, const char *operation,
			      const char *subresource, const char *api_version,
			      const char *now, const cz_merge_key *keys)
{
	entries es;
	comparison cmp;
	json_t *old_plain = subresource ? status_only(obj_old)
					: without_managed(obj_old);
	json_t *new_plain = subresource ? status_only(obj_new)
					: without_managed(obj_new);
	json_t *changed;
	entry *e;

	entries_load(&es, obj_old ? obj_old : obj_new);
	compare(keys, old_plain, new_plain, &cmp);
	strip_set(cmp.modified, subresource);
	strip_set(cmp.added, subresource);
	strip_set(cmp.removed, subresource);
	changed = union_of(cmp.modified, cmp.added);
	take_changes(&es, &cmp, changed);
	if (json_object_size(changed)) {
		e = entries_find(&es, manager, operation, api_version,
				 subresource);
		if (!e)
			e = entries_add(&es, manager, operation, api_version,
					subresource);
		add_to_set(&e->set, changed);
		free(e->time);
		e->time = dup_or_null(now);
	}
	entries_store(&es, obj_new);
	entries_release(&es);
	comparison_release(&cmp);
	json_decref(changed);
	json_decref(old_plain);
	json_decref(new_plain);
}

/* ------------------------------------------------------------------ */
/* Apply: merging the configuration                                     */

static json_t *copy_without_nulls(const json_t *v)
{
	json_t *out;
	const char *k;
	json_t *c;

	if (!json_is_object(v))
		return json_deep_copy(v);
	out = json_object();
	json_object_foreach (unconst(v), k, c)
		if (!json_is_null(c))
			json_object_set_new(out, k, copy_without_nulls(c));
	return out;
}

static void merge_value(walker *w, json_t *dst, const char *name,
			const json_t *v);

static void merge_map(walker *w, json_t *dst, const json_t *src)
{
	const char *name;
	json_t *v;

	json_object_foreach (unconst(src), name, v) {
		size_t at;

		if (json_is_null(v))
			continue;
		at = cz_dpath_push(&w->path, name);
		merge_value(w, dst, name, v);
		cz_dpath_pop(&w->path, at);
	}
}

static void merge_list(walker *w, json_t *dst, const json_t *src)
{
	const char *key;
	cz_list_type md = list_mode(w->keys, &w->path, dst, &key);
	cz_list_type ms = list_mode(w->keys, &w->path, src, &key);

	for (size_t i = 0; i < json_array_size(src); i++) {
		const json_t *item = json_array_get(src, i);
		long at = md == CZ_LIST_MAP ? find_keyed(dst, item, key)
					    : find_value(dst, item);

		if (at < 0)
			json_array_append_new(dst, copy_without_nulls(item));
		else if (md == CZ_LIST_MAP && ms == CZ_LIST_MAP)
			merge_map(w, json_array_get(dst, (size_t)at), item);
	}
}

static void merge_value(walker *w, json_t *dst, const char *name,
			const json_t *v)
{
	json_t *cur = json_object_get(dst, name);
	const char *key;

	if (json_is_object(cur) && json_is_object(v)) {
		merge_map(w, cur, v);
		return;
	}
	if (json_is_array(cur) && json_is_array(v) &&
	    list_mode(w->keys, &w->path, cur, &key) != CZ_LIST_ATOMIC &&
	    list_mode(w->keys, &w->path, v, &key) ==
		    list_mode(w->keys, &w->path, cur, &key)) {
		merge_list(w, cur, v);
		return;
	}
	json_object_set_new(dst, name, copy_without_nulls(v));
}

/* ------------------------------------------------------------------ */
/* Apply: removing fields the applier gave up                           */

/* The value addressed by pe inside v (borrowed), or NULL; *index gets the
 * list position of an item. */
static json_t *locate(const json_t *v, const char *pe, size_t *index)
{
	json_t *want;
	long at = -1;

	if (!strncmp(pe, "f:", 2))
		return json_object_get(v, pe + 2);
	if (!json_is_array(v) || (strncmp(pe, "k:", 2) && strncmp(pe, "v:", 2)))
		return NULL;
	want = json_loads(pe + 2, JSON_DECODE_ANY, NULL);
	if (!want)
		return NULL;
	for (size_t i = 0; at < 0 && i < json_array_size(v); i++) {
		const json_t *item = json_array_get(v, i);

		if (pe[0] == 'v') {
			if (cz_json_same(item, want))
				at = (long)i;
			continue;
		}
		at = (long)i;
		{
			const char *k;
			json_t *kv;

			json_object_foreach (want, k, kv)
				if (!cz_json_same(json_object_get(item, k), kv))
					at = -1;
		}
	}
	json_decref(want);
	if (at < 0)
		return NULL;
	*index = (size_t)at;
	return json_array_get(v, *index);
}

static void delete_at(json_t *v, const char *pe, size_t index)
{
	if (!strncmp(pe, "f:", 2))
		json_object_del(v, pe + 2);
	else
		json_array_remove(v, index);
}

/* Removes from v what gone names, except what keep (owned by anybody
 * now) holds at or below it. */
static void prune(json_t *v, const json_t *gone, const json_t *keep)
{
	size_t n;
	const char **pes = sorted_pes(gone, &n);

	/* Items are found by key each time, so deleting keeps positions
	 * right. */
	for (size_t i = 0; i < n; i++) {
		const char *pe = pes[i];
		const json_t *g = json_object_get(gone, pe);
		const json_t *k = json_object_get(keep, pe);
		size_t index = 0;
		json_t *child;

		if (!strcmp(pe, "."))
			continue;
		child = locate(v, pe, &index);
		if (!child)
			continue;
		if (fs_member(g) && !k)
			delete_at(v, pe, index);
		else
			prune(child, g, k);
	}
	free(pes);
}

/* ObjectMeta drops empty label and annotation maps when it is written. */
static void drop_empty_meta_maps(json_t *obj)
{
	static const char *const maps[] = { "labels", "annotations" };
	json_t *meta = json_object_get(obj, "metadata");

	for (size_t i = 0; i < 2; i++) {
		json_t *m = json_object_get(meta, maps[i]);

		if (json_is_object(m) && json_object_size(m) == 0)
			json_object_del(meta, maps[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Apply: conflicts                                                     */

/* The path of a field for messages: .spec.x, [type="Ready"], [="a"]. */
static void path_text(cz_buf *b, const char *pe)
{
	json_t *v;

	if (!strncmp(pe, "f:", 2)) {
		cz_buf_printf(b, ".%s", pe + 2);
		return;
	}
	if (!strncmp(pe, "i:", 2)) {
		cz_buf_printf(b, "[%s]", pe + 2);
		return;
	}
	v = json_loads(pe + 2, JSON_DECODE_ANY, NULL);
	if (pe[0] == 'k' && json_is_object(v)) {
		const char *k;
		json_t *kv;
		bool first = true;

		cz_buf_putc(b, '[');
		json_object_foreach (v, k, kv) {
			char *text = json_dumps(kv, JSON_COMPACT |
							    JSON_ENCODE_ANY);

			cz_buf_printf(b, "%s%s=%s", first ? "" : ",", k,
				      text ? text : "null");
			free(text);
			first = false;
		}
		cz_buf_putc(b, ']');
	} else {
		cz_buf_printf(b, "[=%s]", pe + 2);
	}
	json_decref(v);
}

/* Appends every owned path of set to out, in set order. */
static void member_paths(const json_t *set, cz_buf *prefix, json_t *out)
{
	size_t n;
	const char **pes = sorted_pes(set, &n);

	for (size_t i = 0; i < n; i++) {
		size_t len = prefix->len;

		if (!strcmp(pes[i], ".")) {
			json_array_append_new(out, json_string(prefix->data));
			continue;
		}
		path_text(prefix, pes[i]);
		member_paths(json_object_get(set, pes[i]), prefix, out);
		prefix->len = len;
		prefix->data[len] = '\0';
	}
	free(pes);
}

/* kube's printManager: "name" for appliers, "name" using v for updaters,
 * with "with subresource" when there is one. */
static char *manager_text(const entry *e)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_printf(&b, "\"%s\"", e->manager);
	if (e->subresource)
		cz_buf_printf(&b, " with subresource \"%s\"", e->subresource);
	if (!strcmp(e->operation, "Update"))
		cz_buf_printf(&b, " using %s",
			      e->api_version ? e->api_version : "");
	return cz_buf_detach(&b, NULL);
}

typedef struct conflict_set {
	const entry *owner;
	json_t *set;
} conflict_set;

static int conflict_owner_cmp(const void *a, const void *b)
{
	const entry *x = ((const conflict_set *)a)->owner;
	const entry *y = ((const conflict_set *)b)->owner;
	int c = strcmp(x->manager, y->manager);

	return c ? c : strcmp(x->operation, y->operation);
}

/* Builds the conflicts array and kube's message into err. */
static int report_conflicts(conflict_set *cs, size_t n, json_t **out,
			    cz_error *err)
{
	json_t *all = json_array();
	cz_buf msg;
	cz_buf prefix;
	size_t total = 0;
	int rc;

	qsort(cs, n, sizeof(*cs), conflict_owner_cmp);
	cz_buf_init(&msg, CZ_ERROR_MSG_MAX - 64);
	cz_buf_init(&prefix, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < n; i++) {
		json_t *paths = json_array();
		char *who = manager_text(cs[i].owner);

		member_paths(cs[i].set, &prefix, paths);
		cz_buf_printf(&msg, "%sconflicts with %s:", i ? "\n" : "", who);
		for (size_t j = 0; j < json_array_size(paths); j++) {
			const char *p = json_string_value(
				json_array_get(paths, j));
			json_t *c = json_object();

			json_object_set_new(c, "manager",
					    json_string(cs[i].owner->manager));
			json_object_set_new(c, "field", json_string(p));
			json_object_set_new(c, "message",
					    json_sprintf("conflict with %s",
							 who));
			json_array_append_new(all, c);
			cz_buf_printf(&msg, "\n- %s", p);
			total++;
		}
		free(who);
		json_decref(paths);
	}
	if (total == 1) {
		json_t *c = json_array_get(all, 0);

		rc = cz_fail(err, CZ_ECONFLICT,
			     "Apply failed with 1 conflict: %s: %s",
			     json_string_value(json_object_get(c, "message")),
			     json_string_value(json_object_get(c, "field")));
	} else {
		rc = cz_fail(err, CZ_ECONFLICT,
			     "Apply failed with %zu conflicts: %s", total,
			     msg.data);
	}
	if (out)
		*out = all;
	else
		json_decref(all);
	cz_buf_release(&msg);
	cz_buf_release(&prefix);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Apply                                                                */

typedef struct apply_req {
	const char *manager;
	bool force;
	const char *api_version;
	const char *now;
	const char *subresource;
	const cz_merge_key *keys;
} apply_req;

/* What of the configuration is merged: never managedFields or
 * server-set metadata; status only for the status subresource, and
 * nothing but status there. */
static json_t *mergeable_config(const json_t *applied, const char *sub)
{
	json_t *cfg = json_deep_copy(applied);
	json_t *meta = json_object_get(cfg, "metadata");

	/* server_meta[0..1] are name and namespace: those are merged. */
	for (size_t i = 2; server_meta[i]; i++)
		json_object_del(meta, server_meta[i]);
	if (!sub) {
		json_object_del(cfg, "status");
	} else {
		json_t *status = json_incref(json_object_get(cfg, "status"));

		json_object_clear(cfg);
		if (status)
			json_object_set_new(cfg, "status", status);
	}
	return cfg;
}

static bool is_self(const entry *e, const apply_req *r)
{
	return !strcmp(e->manager, r->manager) &&
	       !strcmp(e->operation, "Apply") &&
	       same_str(e->subresource, r->subresource);
}

/* Removes the fields the applier owned before and does not apply now,
 * unless somebody else owns them. */
static void prune_given_up(json_t *obj, const entries *es, const entry *self,
			   const json_t *config_set)
{
	json_t *gone;
	json_t *keep = json_deep_copy(config_set);

	if (!self)
		goto cleanup;
	for (size_t i = 0; i < es->n; i++)
		if (&es->items[i] != self)
			fs_union(keep, es->items[i].set);
	gone = json_deep_copy(self->set);
	fs_subtract(gone, config_set);
	prune(obj, gone, keep);
	json_decref(gone);
	drop_empty_meta_maps(obj);
cleanup:
	json_decref(keep);
}

/* The other managers' fields the apply changes; empty when none. */
static size_t find_conflicts(entries *es, const apply_req *r,
			     const json_t *changed, conflict_set **out)
{
	conflict_set *cs = cz_xcalloc(es->n + 1, sizeof(*cs));
	size_t n = 0;

	for (size_t i = 0; i < es->n; i++) {
		json_t *c;

		if (is_self(&es->items[i], r))
			continue;
		c = fs_intersect(es->items[i].set, changed);
		fs_drop_empty(c);
		if (json_object_size(c) == 0) {
			json_decref(c);
			continue;
		}
		cs[n].owner = &es->items[i];
		cs[n++].set = c;
	}
	*out = cs;
	return n;
}

static void set_self(entries *es, const apply_req *r, json_t *config_set,
		     bool changed)
{
	entry *e = entries_find(es, r->manager, "Apply", NULL, r->subresource);

	if (!e) {
		e = entries_add(es, r->manager, "Apply", r->api_version,
				r->subresource);
		changed = true;
	}
	free(e->api_version);
	e->api_version = dup_or_null(r->api_version);
	if (changed || !e->time) {
		free(e->time);
		e->time = dup_or_null(r->now);
	}
	json_decref(e->set);
	e->set = json_incref(config_set);
}

static int apply_impl(json_t **live, const json_t *applied,
		      const apply_req *r, json_t **conflicts_out,
		      cz_error *err)
{
	entries es = { NULL, 0, 0 };
	walker w;
	comparison cmp = { NULL, NULL, NULL };
	conflict_set *cs = NULL;
	size_t ncs = 0;
	json_t *live_plain = NULL;
	json_t *config = NULL;
	json_t *config_set = json_object();
	json_t *result = NULL;
	json_t *changed = json_object();
	int rc = CZ_OK;

	if (conflicts_out)
		*conflicts_out = NULL;
	if (!json_is_object(applied) ||
	    cz_json_depth(applied, CZ_JSON_MAX_DEPTH + 1) > CZ_JSON_MAX_DEPTH) {
		rc = cz_fail(err, CZ_EINVALID,
			     "the applied configuration must be an object");
		goto cleanup;
	}
	w.keys = r->keys;
	cz_dpath_init(&w.path);
	if (*live)
		entries_load(&es, *live);
	live_plain = without_managed(*live);
	config = mergeable_config(applied, r->subresource);
	fields_of(&w, config, config_set);
	strip_set(config_set, r->subresource);

	result = json_deep_copy(live_plain);
	merge_map(&w, result, config);
	for (size_t i = 0; i < es.n; i++)
		if (is_self(&es.items[i], r))
			prune_given_up(result, &es, &es.items[i],
				       config_set);

	compare(r->keys, live_plain, result, &cmp);
	strip_set(cmp.modified, r->subresource);
	strip_set(cmp.added, r->subresource);
	strip_set(cmp.removed, r->subresource);
	fs_union(changed, cmp.modified);
	fs_union(changed, cmp.added);
	ncs = find_conflicts(&es, r, changed, &cs);
	if (ncs && !r->force) {
		rc = report_conflicts(cs, ncs, conflicts_out, err);
		goto cleanup;
	}
	for (size_t i = 0; i < ncs; i++)
		fs_subtract(cs[i].owner->set, cs[i].set);
	for (size_t i = 0; i < es.n; i++)
		fs_subtract(es.items[i].set, cmp.removed);
	set_self(&es, r, config_set,
		 !cz_json_same(live_plain, result) || !*live);
	entries_store(&es, result);
	json_decref(*live);
	*live = result;
	result = NULL;
cleanup:
	for (size_t i = 0; i < ncs; i++)
		json_decref(cs[i].set);
	free(cs);
	entries_release(&es);
	if (cmp.modified)
		comparison_release(&cmp);
	json_decref(live_plain);
	json_decref(config);
	json_decref(config_set);
	json_decref(result);
	json_decref(changed);
	return rc;
}

int cz_apply(json_t **live, const json_t *applied, const char *manager,
	     bool force, const char *api_version, const char *now_rfc3339,
	     const cz_merge_key *keys, json_t **conflicts_out, cz_error *err)
{
	apply_req r = { manager, force, api_version, now_rfc3339, NULL, keys };

	return apply_impl(live, applied, &r, conflicts_out, err);
}

int cz_apply_status(json_t **live, const json_t *applied, const char *manager,
		    bool force, const char *api_version,
		    const char *now_rfc3339, const cz_merge_key *keys,
		    json_t **conflicts_out, cz_error *err)
{
	apply_req r = { manager, force, api_version, now_rfc3339, "status",
			keys };

	return apply_impl(live, applied, &r, conflicts_out, err);
}
