#include "api/patch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsontree.h"
#include "util/mem.h"

/* Replaces the reference in *slot with v (whose reference it takes). */
static void swap_in(json_t **slot, json_t *v)
{
	json_decref(*slot);
	*slot = v;
}

/* jansson's iteration macros take non-const values; these loops only read. */
static json_t *unconst(const json_t *v)
{
	return (json_t *)(uintptr_t)v;
}

/* ------------------------------------------------------------------ */
/* JSON merge patch (RFC 7386)                                          */

static int merge_into(json_t **target, const json_t *patch, size_t depth,
		      cz_error *err)
{
	const char *key;
	json_t *value;

	if (depth > CZ_JSON_MAX_DEPTH)
		return cz_fail(err, CZ_ETOOLARGE, "patch is nested too deeply");
	if (!json_is_object(patch)) {
		swap_in(target, json_deep_copy(patch));
		return CZ_OK;
	}
	if (!json_is_object(*target))
		swap_in(target, json_object());
	json_object_foreach (unconst(patch), key, value) {
		json_t *child;
		int rc;

		if (json_is_null(value)) {
			json_object_del(*target, key);
			continue;
		}
		child = json_incref(json_object_get(*target, key));
		rc = merge_into(&child, value, depth + 1, err);
		if (rc < 0) {
			json_decref(child);
			return rc;
		}
		json_object_set_new(*target, key, child);
	}
	return CZ_OK;
}

int cz_merge_patch(json_t **doc, const json_t *patch, cz_error *err)
{
	json_t *work = json_deep_copy(*doc);
	int rc = merge_into(&work, patch, 0, err);

	if (rc < 0) {
		json_decref(work);
		return rc;
	}
	swap_in(doc, work);
	return CZ_OK;
}

/* ------------------------------------------------------------------ */
/* JSON pointers (RFC 6901)                                             */

typedef struct jptr {
	char **tok;
	size_t n;
} jptr;

static void jptr_release(jptr *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	p->tok = NULL;
	p->n = 0;
}

/* Unescapes one reference token of length len; NULL on a bad "~" escape. */
static char *unescape_token(const char *s, size_t len)
{
	char *out = cz_xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '~') {
			out[o++] = s[i];
		} else if (i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1')) {
			out[o++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			free(out);
			return NULL;
		}
	}
	out[o] = '\0';
	return out;
}

static int jptr_parse(const char *s, jptr *p, cz_error *err)
{
	size_t cap = 0;

	p->tok = NULL;
	p->n = 0;
	if (*s == '\0')
		return CZ_OK;
	if (*s != '/')
		return cz_fail(err, CZ_EINVALID, "invalid JSON pointer");
	while (*s == '/') {
		const char *start = s + 1;
		const char *end = strchr(start, '/');
		char *tok;

		if (!end)
			end = start + strlen(start);
		tok = unescape_token(start, (size_t)(end - start));
		if (!tok) {
			jptr_release(p);
			return cz_fail(err, CZ_EINVALID,
				       "invalid JSON pointer: bad \"~\" escape");
		}
		if (p->n >= CZ_JSON_MAX_DEPTH) {
			free(tok);
			jptr_release(p);
			return cz_fail(err, CZ_ETOOLARGE,
				       "JSON pointer is too deep");
		}
		CZ_GROW(p->tok, p->n + 1, cap);
		p->tok[p->n++] = tok;
		s = end;
	}
	return CZ_OK;
}

/* Parses an array index token: "0" or digits without a leading zero. */
static int parse_index(const char *tok, size_t size, bool allow_end,
		       size_t *out, cz_error *err)
{
	unsigned long long v;
	char *end;

	if (allow_end && strcmp(tok, "-") == 0) {
		*out = size;
		return CZ_OK;
	}
	if (strcmp(tok, "-") == 0)
		return cz_fail(err, CZ_EINVALID,
			       "\"-\" names no existing array element");
	if (tok[0] < '0' || tok[0] > '9' || (tok[0] == '0' && tok[1]))
		return cz_fail(err, CZ_EINVALID, "invalid array index \"%.64s\"",
			       tok);
	for (const char *c = tok; *c; c++)
		if (*c < '0' || *c > '9')
			return cz_fail(err, CZ_EINVALID,
				       "invalid array index \"%.64s\"", tok);
	errno = 0;
	v = strtoull(tok, &end, 10);
	if (errno == ERANGE || v > size - (allow_end ? 0 : 1) ||
	    (!allow_end && size == 0))
		return cz_fail(err, CZ_EINVALID,
			       "array index %.32s out of range", tok);
	*out = (size_t)v;
	return CZ_OK;
}

/* The value at the first upto tokens of p, or NULL ("path not found"). */
static json_t *jptr_get(json_t *root, const jptr *p, size_t upto,
			cz_error *err)
{
	json_t *cur = root;

	for (size_t i = 0; i < upto; i++) {
		if (json_is_object(cur)) {
			cur = json_object_get(cur, p->tok[i]);
		} else if (json_is_array(cur)) {
			size_t idx;

			if (parse_index(p->tok[i], json_array_size(cur), false,
					&idx, err) < 0)
				return NULL;
			cur = json_array_get(cur, idx);
		} else {
			cur = NULL;
		}
		if (!cur) {
			cz_fail(err, CZ_EINVALID, "path not found");
			return NULL;
		}
	}
	return cur;
}

/* ------------------------------------------------------------------ */
/* JSON patch (RFC 6902)                                                */

typedef struct jpatch {
	json_t *root;   /* the working copy, owned */
	size_t copied;  /* values duplicated by copy so far */
} jpatch;

static int check_depth(const jptr *where, const json_t *value, cz_error *err)
{
	if (where->n + cz_json_depth(value, CZ_JSON_MAX_DEPTH) >
	    CZ_JSON_MAX_DEPTH)
		return cz_fail(err, CZ_ETOOLARGE,
			       "the result would be nested too deeply");
	return CZ_OK;
}

/* Adds value (whose reference it takes) at p. */
static int op_add_value(jpatch *jp, const jptr *p, json_t *value,
			cz_error *err)
{
	json_t *parent;
	const char *last;
	int rc;

	if ((rc = check_depth(p, value, err)) < 0)
		goto fail;
	if (p->n == 0) {
		swap_in(&jp->root, value);
		return CZ_OK;
	}
	rc = CZ_EINVALID;
	parent = jptr_get(jp->root, p, p->n - 1, err);
	if (!parent)
		goto fail;
	last = p->tok[p->n - 1];
	if (json_is_object(parent)) {
		if (json_object_set_new(parent, last, value) < 0)
			return cz_fail(err, CZ_EINVALID, "invalid member name");
		return CZ_OK;
	}
	if (json_is_array(parent)) {
		size_t idx;

		if ((rc = parse_index(last, json_array_size(parent), true, &idx,
				      err)) < 0)
			goto fail;
		json_array_insert_new(parent, idx, value);
		return CZ_OK;
	}
	cz_fail(err, CZ_EINVALID, "path not found");
fail:
	json_decref(value);
	return rc;
}

/* Detaches the value at p and hands its reference to *out (optional). */
static int op_remove_value(jpatch *jp, const jptr *p, json_t **out,
			   cz_error *err)
{
	json_t *parent;
	json_t *value;
	const char *last;

	if (p->n == 0)
		return cz_fail(err, CZ_EINVALID,
			       "the document root cannot be removed");
	parent = jptr_get(jp->root, p, p->n - 1, err);
	if (!parent)
		return CZ_EINVALID;
	last = p->tok[p->n - 1];
	if (json_is_object(parent)) {
		value = json_object_get(parent, last);
		if (!value)
			return cz_fail(err, CZ_EINVALID, "path not found");
		if (out)
			*out = json_incref(value);
		json_object_del(parent, last);
		return CZ_OK;
	}
	if (json_is_array(parent)) {
		size_t idx;
		int rc = parse_index(last, json_array_size(parent), false, &idx,
				     err);

		if (rc < 0)
			return rc;
		if (out)
			*out = json_incref(json_array_get(parent, idx));
		json_array_remove(parent, idx);
		return CZ_OK;
	}
	return cz_fail(err, CZ_EINVALID, "path not found");
}

static int op_replace(jpatch *jp, const jptr *p, const json_t *value,
		      cz_error *err)
{
	int rc;

	if (p->n == 0) {
		if ((rc = check_depth(p, value, err)) < 0)
			return rc;
		swap_in(&jp->root, json_deep_copy(value));
		return CZ_OK;
	}
	/* Remove-then-add at the same place, with remove's "must exist". */
	if ((rc = op_remove_value(jp, p, NULL, err)) < 0)
		return rc;
	return op_add_value(jp, p, json_deep_copy(value), err);
}

static bool is_proper_prefix(const jptr *a, const jptr *b)
{
	if (a->n >= b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->tok[i], b->tok[i]) != 0)
			return false;
	return true;
}

static int op_move(jpatch *jp, const jptr *from, const jptr *p,
		   cz_error *err)
{
	json_t *value = NULL;
	int rc;

	if (is_proper_prefix(from, p))
		return cz_fail(err, CZ_EINVALID,
			       "a value cannot be moved into one of its "
			       "children");
	if (!jptr_get(jp->root, from, from->n, err))
		return cz_fail(err, CZ_EINVALID, "\"from\" path not found");
	if (from->n == 0) /* from "" to "": nothing moves */
		return CZ_OK;
	if ((rc = op_remove_value(jp, from, &value, err)) < 0)
		return rc;
	return op_add_value(jp, p, value, err);
}

static int op_copy(jpatch *jp, const jptr *from, const jptr *p,
		   cz_error *err)
{
	json_t *src = jptr_get(jp->root, from, from->n, err);

	if (!src)
		return cz_fail(err, CZ_EINVALID, "\"from\" path not found");
	jp->copied += cz_json_count(src, CZ_JSON_PATCH_MAX_COPIED + 1);
	if (jp->copied > CZ_JSON_PATCH_MAX_COPIED)
		return cz_fail(err, CZ_ETOOLARGE,
			       "the patch copies more than %d values",
			       CZ_JSON_PATCH_MAX_COPIED);
	return op_add_value(jp, p, json_deep_copy(src), err);
}

static int op_test(jpatch *jp, const jptr *p, const json_t *value,
		   cz_error *err)
{
	json_t *cur = jptr_get(jp->root, p, p->n, err);

	if (!cur)
		return CZ_EINVALID;
	if (!cz_json_same(cur, value))
		return cz_fail(err, CZ_EINVALID, "test failed");
	return CZ_OK;
}

static const char *op_path_of(const json_t *op, const char *member)
{
	return json_string_value(json_object_get(op, member));
}

static int apply_op(jpatch *jp, const json_t *op, const char *name,
		    const char *path, cz_error *err)
{
	const json_t *value = json_object_get(op, "value");
	const char *from_s = op_path_of(op, "from");
	bool needs_value = !strcmp(name, "add") || !strcmp(name, "replace") ||
			   !strcmp(name, "test");
	bool needs_from = !strcmp(name, "move") || !strcmp(name, "copy");
	jptr p = { NULL, 0 };
	jptr from = { NULL, 0 };
	int rc;

	if (needs_value && !value)
		return cz_fail(err, CZ_EINVALID, "missing \"value\"");
	if (needs_from && !from_s)
		return cz_fail(err, CZ_EINVALID, "missing \"from\"");
	if ((rc = jptr_parse(path, &p, err)) < 0)
		goto cleanup;
	if (needs_from && (rc = jptr_parse(from_s, &from, err)) < 0)
		goto cleanup;
	if (!strcmp(name, "add"))
		rc = op_add_value(jp, &p, json_deep_copy(value), err);
	else if (!strcmp(name, "remove"))
		rc = op_remove_value(jp, &p, NULL, err);
	else if (!strcmp(name, "replace"))
		rc = op_replace(jp, &p, value, err);
	else if (!strcmp(name, "move"))
		rc = op_move(jp, &from, &p, err);
	else if (!strcmp(name, "copy"))
		rc = op_copy(jp, &from, &p, err);
	else if (!strcmp(name, "test"))
		rc = op_test(jp, &p, value, err);
	else
		rc = cz_fail(err, CZ_EINVALID, "unknown operation");
cleanup:
	jptr_release(&p);
	jptr_release(&from);
	return rc;
}

int cz_json_patch(json_t **doc, const json_t *ops, cz_error *err)
{
	jpatch jp = { NULL, 0 };
	size_t n;
	int rc = CZ_OK;

	if (!json_is_array(ops))
		return cz_fail(err, CZ_EINVALID,
			       "a JSON patch must be an array of operations");
	n = json_array_size(ops);
	if (cz_json_depth(ops, CZ_JSON_MAX_DEPTH + 1) > CZ_JSON_MAX_DEPTH)
		return cz_fail(err, CZ_ETOOLARGE, "patch is nested too deeply");
	if (n > CZ_JSON_PATCH_MAX_OPS)
		return cz_fail(err, CZ_ETOOLARGE,
			       "the allowed maximum operations in a JSON patch "
			       "is %d, got %zu",
			       CZ_JSON_PATCH_MAX_OPS, n);
	jp.root = json_deep_copy(*doc);
	for (size_t i = 0; i < n; i++) {
		const json_t *op = json_array_get(ops, i);
		const char *name = op_path_of(op, "op");
		const char *path = op_path_of(op, "path");

		if (!name) {
			rc = cz_fail(err, CZ_EINVALID,
				     "op %zu: missing \"op\"", i);
			goto cleanup;
		}
		if (!path) {
			rc = cz_fail(err, CZ_EINVALID,
				     "op %zu (%.32s): missing \"path\"", i,
				     name);
			goto cleanup;
		}
		if ((rc = apply_op(&jp, op, name, path, err)) < 0) {
			cz_error_prefix(err, "op %zu (%.32s %.256s)", i, name,
					path);
			goto cleanup;
		}
	}
	swap_in(doc, jp.root);
	jp.root = NULL;
cleanup:
	json_decref(jp.root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Strategic merge patch                                                */

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DELETE_PREFIX "$deleteFromPrimitiveList"
#define ORDER_PREFIX "$setElementOrder"

typedef struct smp {
	const cz_merge_key *keys;
	cz_dpath path;
	cz_error *err;
} smp;

static int smp_map(smp *s, json_t **orig, json_t *patch, size_t depth);
static int smp_list(smp *s, json_t **orig, json_t *patch, bool delete_list,
		    size_t depth);

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_directive_key(const char *k)
{
	return !strcmp(k, DIRECTIVE) || !strcmp(k, RETAIN_KEYS) ||
	       has_prefix(k, DELETE_PREFIX) || has_prefix(k, ORDER_PREFIX);
}

/* A value taken whole from the patch: without directives and without null
 * members.  NULL when the value is itself a directive object (dropped). */
static json_t *smp_clean(const json_t *v)
{
	const char *key;
	json_t *child;
	json_t *out;

	if (json_is_object(v)) {
		if (json_object_get(v, DIRECTIVE))
			return NULL;
		out = json_object();
		json_object_foreach (unconst(v), key, child) {
			json_t *c;

			if (json_is_null(child) || is_directive_key(key))
				continue;
			if ((c = smp_clean(child)))
				json_object_set_new(out, key, c);
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *c = smp_clean(json_array_get(v, i));

			if (c)
				json_array_append_new(out, c);
		}
		return out;
	}
	return json_deep_copy(v);
}

/* Compact JSON of v for messages; the caller frees it. */
static char *brief(const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	return text ? text : cz_xstrdup("?");
}

static int no_merge_key(smp *s, const json_t *item, const char *key)
{
	char *text = brief(item);
	int rc = cz_fail(s->err, CZ_EINVALID,
			 "map: %.200s does not contain declared merge key: %s",
			 text, key);

	free(text);
	return rc;
}

/* The kind of a value as Go's decoder types it: numbers are one kind. */
static int value_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL: return JSON_REAL;
	case JSON_TRUE:
	case JSON_FALSE: return JSON_TRUE;
	default: return (int)json_typeof(v);
	}
}

/* The one kind of all items of a and b (-1 when both are empty). */
static int items_kind(smp *s, const json_t *a, const json_t *b, int *kind)
{
	const json_t *lists[2] = { a, b };

	*kind = -1;
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < json_array_size(lists[l]); i++) {
			int k = value_kind(json_array_get(lists[l], i));

			if (k == JSON_ARRAY)
				return cz_fail(s->err, CZ_EINVALID,
					       "lists of lists are not "
					       "supported");
			if (*kind >= 0 && k != *kind)
				return cz_fail(s->err, CZ_EINVALID,
					       "list element types are not "
					       "identical");
			*kind = k;
		}
	}
	return CZ_OK;
}

/* Whether two items are the same item: by merge key, or by value. */
static int same_item(smp *s, const json_t *a, const json_t *b,
		     const char *key, bool *same)
{
	const json_t *ka;
	const json_t *kb;

	if (!key) {
		*same = cz_json_same(a, b);
		return CZ_OK;
	}
	ka = json_object_get(a, key);
	kb = json_object_get(b, key);
	if (!ka)
		return no_merge_key(s, a, key);
	if (!kb)
		return no_merge_key(s, b, key);
	*same = cz_json_same(ka, kb);
	return CZ_OK;
}

/* Position of item in list (by key or value), or -1. */
static long index_of(const json_t *list, const json_t *item, const char *key)
{
	const json_t *want = key ? json_object_get(item, key) : item;

	for (size_t i = 0; want && i < json_array_size(list); i++) {
		const json_t *cand = json_array_get(list, i);

		if (key)
			cand = json_object_get(cand, key);
		if (cand && cz_json_same(cand, want))
			return (long)i;
	}
	return -1;
}

/* Removes duplicates the way kube does: a duplicate is overwritten by the
 * last item and the list shrinks by one, so order may change. */
static void uniqify(json_t *list)
{
	size_t last = json_array_size(list);

	if (last == 0)
		return;
	last--;
	for (size_t i = 0; i < last; i++) {
		for (size_t j = i + 1; j <= last; j++) {
			if (!cz_json_same(json_array_get(list, i),
					  json_array_get(list, j)))
				continue;
			json_array_set(list, j, json_array_get(list, last));
			json_array_remove(list, last);
			last--;
			j--;
		}
	}
}

/* A scalar as Go's "%v" prints it, for kube's text ordering. */
static void scalar_text(const json_t *v, char *out, size_t size)
{
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(out, size, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		d = json_real_value(v);
		if (d == (double)(long long)d && d < 1e21 && d > -1e21)
			snprintf(out, size, "%.0f", d);
		else
			snprintf(out, size, "%.17g", d);
		break;
	case JSON_TRUE: snprintf(out, size, "true"); break;
	case JSON_FALSE: snprintf(out, size, "false"); break;
	default: snprintf(out, size, "<nil>"); break;
	}
}

typedef struct text_item {
	char text[256];
	json_t *value; /* borrowed */
} text_item;

static int text_item_cmp(const void *a, const void *b)
{
	return strcmp(((const text_item *)a)->text,
		      ((const text_item *)b)->text);
}

/* The items of list, deduplicated and sorted by text. */
static text_item *sorted_scalars(json_t *list, size_t *n)
{
	text_item *items;

	uniqify(list);
	*n = json_array_size(list);
	items = cz_xcalloc(*n ? *n : 1, sizeof(*items));
	for (size_t i = 0; i < *n; i++) {
		items[i].value = json_array_get(list, i);
		scalar_text(items[i].value, items[i].text,
			    sizeof(items[i].text));
	}
	qsort(items, *n, sizeof(*items), text_item_cmp);
	return items;
}

/* $deleteFromPrimitiveList: what is left of cur without the values in del,
 * deduplicated and sorted by text (kube's result order). */
static json_t *delete_from_list(json_t *cur, json_t *del)
{
	size_t nc;
	size_t nd;
	text_item *c = sorted_scalars(cur, &nc);
	text_item *d = sorted_scalars(del, &nd);
	json_t *out = json_array();
	size_t i = 0;
	size_t j = 0;

	while (i < nc && j < nd) {
		int cmp = strcmp(c[i].text, d[j].text);

		if (cmp == 0)
			i++;
		else if (cmp > 0)
			j++;
		else
			json_array_append(out, c[i++].value);
	}
	for (; i < nc; i++)
		json_array_append(out, c[i].value);
	free(c);
	free(d);
	return out;
}

/* Handles the {"$patch": ...} items of a keyed patch list: deletes from
 * *orig, sets *replace, and leaves the ordinary items in *rest. */
static int list_directives(smp *s, json_t *orig, json_t *patch,
			   const char *key, json_t **rest, bool *replace)
{
	*rest = json_array();
	*replace = false;
	for (size_t i = 0; i < json_array_size(patch); i++) {
		json_t *item = json_array_get(patch, i);
		const char *d = json_string_value(json_object_get(item,
								  DIRECTIVE));
		const json_t *kv;

		if (!json_object_get(item, DIRECTIVE)) {
			json_array_append(*rest, item);
		} else if (d && !strcmp(d, "delete")) {
			long at;

			if (!(kv = json_object_get(item, key)))
				return cz_fail(s->err, CZ_EINVALID,
					       "delete patch type with no merge "
					       "key defined");
			while ((at = index_of(orig, item, key)) >= 0)
				json_array_remove(orig, (size_t)at);
		} else if (d && !strcmp(d, "replace")) {
			*replace = true;
		} else if (d && !strcmp(d, "merge")) {
			return cz_fail(s->err, CZ_EINVALID,
				       "merging lists cannot yet be specified "
				       "in the patch");
		} else {
			return cz_fail(s->err, CZ_EINVALID,
				       "unknown patch type: %.64s in map",
				       d ? d : "(not a string)");
		}
	}
	return CZ_OK;
}

static int merge_keyed_items(smp *s, json_t *orig, json_t *patch,
			     const char *key, size_t depth)
{
	json_t *rest = NULL;
	bool replace;
	int rc;

	if ((rc = list_directives(s, orig, patch, key, &rest, &replace)) < 0)
		goto cleanup;
	if (replace) {
		json_array_clear(orig);
		for (size_t i = 0; i < json_array_size(rest); i++) {
			json_t *c = smp_clean(json_array_get(rest, i));

			if (c)
				json_array_append_new(orig, c);
		}
		goto cleanup;
	}
	for (size_t i = 0; i < json_array_size(rest); i++) {
		json_t *item = json_array_get(rest, i);
		long at;

		if (!json_object_get(item, key)) {
			rc = no_merge_key(s, item, key);
			goto cleanup;
		}
		at = index_of(orig, item, key);
		if (at < 0) {
			json_array_append_new(orig, smp_clean(item));
		} else {
			json_t *cur = json_incref(json_array_get(orig,
								 (size_t)at));

			rc = smp_map(s, &cur, item, depth + 1);
			json_array_set_new(orig, (size_t)at, cur);
			if (rc < 0)
				goto cleanup;
		}
	}
cleanup:
	json_decref(rest);
	return rc;
}

static int smp_list(smp *s, json_t **orig, json_t *patch, bool delete_list,
		    size_t depth)
{
	const char *key;
	cz_list_type type = cz_list_type_of(s->keys, cz_dpath_str(&s->path),
					    &key);
	int kind;
	int rc;

	if (type == CZ_LIST_ATOMIC && !delete_list) {
		swap_in(orig, json_deep_copy(patch));
		return CZ_OK;
	}
	if ((rc = items_kind(s, *orig, patch, &kind)) < 0)
		return rc;
	if (kind < 0)
		return CZ_OK;
	if (kind != JSON_OBJECT) {
		json_t *both;

		if (delete_list) {
			swap_in(orig, delete_from_list(*orig, patch));
			return CZ_OK;
		}
		both = json_copy(*orig);
		json_array_extend(both, patch);
		uniqify(both);
		swap_in(orig, both);
		return CZ_OK;
	}
	if (type != CZ_LIST_MAP)
		return cz_fail(s->err, CZ_EINVALID,
			       "cannot merge lists without merge key for %s",
			       cz_dpath_str(&s->path));
	return merge_keyed_items(s, *orig, patch, key, depth);
}

static int retain_keys(smp *s, json_t *orig, json_t *patch)
{
	json_t *list = json_incref(json_object_get(patch, RETAIN_KEYS));
	const char *key;
	json_t *value;
	void *tmp;
	int rc = CZ_OK;

	if (!list)
		return CZ_OK;
	json_object_del(patch, RETAIN_KEYS);
	if (!json_is_array(list)) {
		rc = cz_fail(s->err, CZ_EINVALID,
			     "invalid patch format of retainKeys");
		goto cleanup;
	}
	json_object_foreach (patch, key, value) {
		json_t *name = json_string(key);
		long at;

		if (json_is_null(value) || has_prefix(key, DELETE_PREFIX) ||
		    has_prefix(key, ORDER_PREFIX)) {
			json_decref(name);
			continue;
		}
		at = index_of(list, name, NULL);
		json_decref(name);
		if (at < 0) {
			rc = cz_fail(s->err, CZ_EINVALID,
				     "invalid patch format of retainKeys: "
				     "%.200s is not in the list",
				     key);
			goto cleanup;
		}
	}
	json_object_foreach_safe (orig, tmp, key, value) {
		json_t *name = json_string(key);

		if (index_of(list, name, NULL) < 0)
			json_object_del(orig, key);
		json_decref(name);
	}
cleanup:
	json_decref(list);
	return rc;
}

/* Checks that the patch items appear in the order list in the same
 * relative order (kube's validatePatchWithSetOrderList). */
static int check_order(smp *s, const json_t *plist, const json_t *order,
		       const char *key)
{
	size_t pi = 0;
	size_t oi = 0;
	size_t np = json_array_size(plist);
	size_t no = json_array_size(order);

	while (pi < np && oi < no) {
		const json_t *item = json_array_get(plist, pi);
		bool same = false;
		int rc;

		if (json_object_get(item, DIRECTIVE)) {
			pi++;
			continue;
		}
		rc = same_item(s, item, json_array_get(order, oi), key, &same);
		if (rc < 0)
			return rc;
		if (same)
			pi++;
		oi++;
	}
	if (pi < np)
		return cz_fail(s->err, CZ_EINVALID,
			       "the order in patch list doesn't match %s list",
			       ORDER_PREFIX);
	return CZ_OK;
}

typedef struct ranked {
	long rank;
	size_t pos;
	json_t *value; /* borrowed */
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
	const ranked *x = a;
	const ranked *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The items of merged that are (in_order) or are not in order, sorted
 * stably by their position in by. */
static ranked *partition(const json_t *merged, const json_t *order,
			 bool in_order, const json_t *by, const char *key,
			 size_t *n)
{
	ranked *out = cz_xcalloc(json_array_size(merged) + 1, sizeof(*out));

	*n = 0;
	for (size_t i = 0; i < json_array_size(merged); i++) {
		json_t *item = json_array_get(merged, i);

		if ((index_of(order, item, key) >= 0) != in_order)
			continue;
		out[*n].rank = index_of(by, item, key);
		out[*n].pos = i;
		out[*n].value = item;
		(*n)++;
	}
	qsort(out, *n, sizeof(*out), ranked_cmp);
	return out;
}

/* kube's normalizeElementOrder: patch items in the order list's order,
 * server-only items in live order, interleaved by live positions. */
static json_t *ordered(const json_t *merged, const json_t *order,
		       const json_t *live, const char *key)
{
	size_t np;
	size_t ns;
	ranked *p = partition(merged, order, true, order, key, &np);
	ranked *so = partition(merged, order, false, live, key, &ns);
	json_t *out = json_array();
	size_t i = 0;
	size_t j = 0;

	while (i < ns || j < np) {
		bool take_server;

		if (i >= ns) {
			take_server = false;
		} else if (j >= np) {
			take_server = true;
		} else {
			long li = index_of(live, so[i].value, key);
			long ri = index_of(live, p[j].value, key);

			take_server = li >= 0 && ri >= 0 && li < ri;
		}
		if (take_server)
			json_array_append(out, so[i++].value);
		else
			json_array_append(out, p[j++].value);
	}
	free(p);
	free(so);
	return out;
}

static int order_items_valid(smp *s, const json_t *order, const char *key)
{
	for (size_t i = 0; key && i < json_array_size(order); i++) {
		const json_t *item = json_array_get(order, i);

		if (!json_object_get(item, key))
			return no_merge_key(s, item, key);
	}
	return CZ_OK;
}

/* One "$setElementOrder/<name>": merges the list <name> and orders it. */
static int set_order_one(smp *s, json_t *orig, json_t *patch,
			 const char *name, json_t *order, size_t depth)
{
	json_t *live = json_object_get(orig, name);
	json_t *plist = json_object_get(patch, name);
	json_t *live_order = NULL; /* live's items before merging */
	json_t *merged = NULL;
	const char *key;
	size_t at = cz_dpath_push(&s->path, name);
	cz_list_type type = cz_list_type_of(s->keys, cz_dpath_str(&s->path),
					    &key);
	int rc = CZ_OK;

	if (!json_is_array(order) || (live && !json_is_array(live)) ||
	    (plist && !json_is_array(plist))) {
		rc = cz_fail(s->err, CZ_EINVALID,
			     "invalid patch format of setElementOrder list");
		goto cleanup;
	}
	/* A list that is replaced keeps the patch's order; nothing to do. */
	if (type == CZ_LIST_ATOMIC || (!live && !plist))
		goto cleanup;
	if ((rc = order_items_valid(s, order, key)) < 0 ||
	    (plist && (rc = check_order(s, plist, order, key)) < 0))
		goto cleanup;
	live_order = live ? json_copy(live) : json_array();
	if (live && plist) {
		merged = json_incref(live);
		if ((rc = smp_list(s, &merged, plist, false, depth + 1)) < 0)
			goto cleanup;
	} else {
		merged = live ? json_incref(live) : smp_clean(plist);
	}
	json_object_set_new(orig, name,
			    ordered(merged, order, live_order, key));
	json_object_del(patch, name);
cleanup:
	json_decref(live_order);
	json_decref(merged);
	cz_dpath_pop(&s->path, at);
	return rc;
}

static int set_element_orders(smp *s, json_t *orig, json_t *patch,
			      size_t depth)
{
	json_t *orders = json_object();
	const char *key;
	json_t *value;
	void *tmp;
	int rc = CZ_OK;

	/* Take the directives out first: merging changes the patch. */
	json_object_foreach_safe (patch, tmp, key, value) {
		if (!has_prefix(key, ORDER_PREFIX))
			continue;
		if (strncmp(key, ORDER_PREFIX "/", sizeof(ORDER_PREFIX)) != 0) {
			rc = cz_fail(s->err, CZ_EINVALID,
				     "invalid patch format of setElementOrder "
				     "list");
			goto cleanup;
		}
		json_object_set(orders, key + sizeof(ORDER_PREFIX), value);
		json_object_del(patch, key);
	}
	json_object_foreach (orders, key, value) {
		if ((rc = set_order_one(s, orig, patch, key, value, depth)) < 0)
			goto cleanup;
	}
cleanup:
	json_decref(orders);
	return rc;
}

static int map_directive(smp *s, json_t **orig, json_t *patch)
{
	const char *d = json_string_value(json_object_get(patch, DIRECTIVE));

	if (d && !strcmp(d, "replace")) {
		json_object_del(patch, DIRECTIVE);
		swap_in(orig, smp_clean(patch));
		return CZ_OK;
	}
	if (d && !strcmp(d, "delete")) {
		swap_in(orig, json_object());
		return CZ_OK;
	}
	return cz_fail(s->err, CZ_EINVALID, "unknown patch type: %.64s in map",
		       d ? d : "(not a string)");
}

/* Merges one patch member (name, value) into orig. */
static int smp_member(smp *s, json_t *orig, const char *name, json_t *value,
		      bool delete_list, size_t depth)
{
	json_t *cur = json_object_get(orig, name);
	size_t at;
	int rc = CZ_OK;

	if (json_is_null(value)) {
		json_object_del(orig, name);
		return CZ_OK;
	}
	if (!cur) {
		json_t *c = delete_list ? NULL : smp_clean(value);

		if (c)
			json_object_set_new(orig, name, c);
		return CZ_OK;
	}
	if (value_kind(cur) != value_kind(value) ||
	    (!json_is_object(value) && !json_is_array(value))) {
		json_t *c = smp_clean(value);

		if (c)
			json_object_set_new(orig, name, c);
		else
			json_object_del(orig, name);
		return CZ_OK;
	}
	cur = json_incref(cur);
	at = cz_dpath_push(&s->path, name);
	if (json_is_object(value))
		rc = smp_map(s, &cur, value, depth + 1);
	else
		rc = smp_list(s, &cur, value, delete_list, depth + 1);
	cz_dpath_pop(&s->path, at);
	json_object_set_new(orig, name, cur);
	return rc;
}

static int smp_map(smp *s, json_t **orig, json_t *patch, size_t depth)
{
	const char *key;
	json_t *value;
	int rc;

	if (depth > CZ_JSON_MAX_DEPTH)
		return cz_fail(s->err, CZ_ETOOLARGE,
			       "patch is nested too deeply");
	if (json_object_get(patch, DIRECTIVE))
		return map_directive(s, orig, patch);
	if (!json_is_object(*orig))
		swap_in(orig, json_object());
	if ((rc = retain_keys(s, *orig, patch)) < 0 ||
	    (rc = set_element_orders(s, *orig, patch, depth)) < 0)
		return rc;
	json_object_foreach (patch, key, value) {
		const char *name = key;
		bool delete_list = false;

		if (has_prefix(key, DELETE_PREFIX)) {
			if (strncmp(key, DELETE_PREFIX "/",
				    sizeof(DELETE_PREFIX)) != 0)
				return cz_fail(s->err, CZ_EINVALID,
					       "invalid patch format of "
					       "primitive list");
			name = key + sizeof(DELETE_PREFIX);
			delete_list = true;
		}
		rc = smp_member(s, *orig, name, value, delete_list, depth);
		if (rc < 0)
			return rc;
	}
	return CZ_OK;
}

int cz_strategic_merge_patch(json_t **doc, const json_t *patch,
			     const cz_merge_key *keys, cz_error *err)
{
	smp s;
	json_t *work = NULL;
	json_t *p = NULL;
	int rc;

	if (!json_is_object(*doc) || !json_is_object(patch))
		return cz_fail(err, CZ_EINVALID,
			       "a strategic merge patch and its target must "
			       "be JSON objects");
	if (cz_json_depth(patch, CZ_JSON_MAX_DEPTH + 1) > CZ_JSON_MAX_DEPTH)
		return cz_fail(err, CZ_ETOOLARGE, "patch is nested too deeply");
	s.keys = keys;
	s.err = err;
	cz_dpath_init(&s.path);
	work = json_deep_copy(*doc);
	p = json_deep_copy(patch);
	if ((rc = smp_map(&s, &work, p, 0)) < 0)
		goto cleanup;
	swap_in(doc, work);
	work = NULL;
cleanup:
	json_decref(work);
	json_decref(p);
	return rc;
}
