#include "apiserver/internal.h"
#include "apiserver/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/buf.h"
#include "util/mem.h"

/* get and list: answers straight from the store's shared texts. */

int cz_api_get(cz_api_call *c)
{
	char *key = cz_object_key(c->res, c->ns, c->name);
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_storage_of(c->res)->get(c, key, &c->blob, &err);

	free(key);
	if (rc != CZ_OK)
		return cz_api_storage_error(c, rc, &err);
	c->code = 200;
	return CZ_OK;
}

/* The continue token: the last key served and the list's revision, in
 * base64url JSON like kube's ("{"v":"meta.k8s.io/v1","rv":N,"start":K}"). */
static char *encode_continue(const char *key, int64_t rv)
{
	json_t *t = json_pack("{s:s, s:I, s:s}", "v", "meta.k8s.io/v1", "rv",
			      (json_int_t)rv, "start", key);
	char *text = json_dumps(t, JSON_COMPACT);
	char *out = cz_base64_encode(text, strlen(text));

	free(text);
	json_decref(t);
	return out;
}

static int decode_continue(const char *token, const char *prefix,
			   char **start, cz_error *err)
{
	size_t len = 0;
	char *text = cz_base64_decode(token, strlen(token), &len);
	json_t *t = text ? json_loadb(text, len, 0, NULL) : NULL;
	const char *key = json_string_value(json_object_get(t, "start"));
	int rc = CZ_OK;

	if (!key || strncmp(key, prefix, strlen(prefix)) != 0)
		rc = cz_fail(err, CZ_EINVALID,
			     "continue key is not valid: malformed token");
	else
		*start = cz_xstrdup(key);
	json_decref(t);
	free(text);
	return rc;
}

static long parse_limit(const cz_api_call *c)
{
	const char *v = cz_api_query(c, "limit");
	char *end = NULL;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	return *end || n < 0 ? 0 : n;
}

/* Keeps the objects of a snapshot that pass the filters, up to limit;
 * takes over the references of all (the rest are dropped). */
static void select_page(cz_api_call *c, cz_blob **all, size_t n,
			const cz_filters *f, long limit)
{
	cz_api_list *page = &c->list;
	bool filtered = !cz_filters_empty(f);
	size_t i;

	page->items = cz_xcalloc(n + 1, sizeof(*page->items));
	for (i = 0; i < n; i++) {
		json_t *obj = NULL;
		bool keep = true;

		if (limit && page->n == (size_t)limit)
			break;
		if (filtered) {
			obj = cz_blob_json(all[i]);
			keep = obj && cz_filters_match(f, obj);
			json_decref(obj);
		}
		if (keep)
			page->items[page->n++] = cz_blob_ref(all[i]);
	}
	if (i < n && page->n) {
		page->next = encode_continue(page->items[page->n - 1]->key,
					     page->rv);
		page->remaining = n - i;
	}
}

int cz_api_list_objects(cz_api_call *c)
{
	char *prefix = cz_list_prefix(c->res, c->ns);
	const char *token = cz_api_query(c, "continue");
	char *start = NULL;
	cz_blob **all = NULL;
	size_t n = 0;
	cz_filters *filters = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_filters_parse(c, &filters);

	if (rc != CZ_OK)
		goto cleanup;
	if (token && *token &&
	    decode_continue(token, prefix, &start, &err) != CZ_OK) {
		rc = cz_api_error(c, CZ_EINVALID, err.msg);
		goto cleanup;
	}
	rc = cz_storage_of(c->res)->list(c->store, prefix, start, &all, &n,
					 &c->list.rv, &err);
	if (rc != CZ_OK) {
		rc = cz_api_storage_error(c, rc, &err);
		goto cleanup;
	}
	select_page(c, all, n, filters, parse_limit(c));
	c->code = 200;
cleanup:
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(all[i]);
	free(all);
	cz_filters_free(filters);
	free(start);
	free(prefix);
	return rc;
}

void cz_api_list_head(const cz_api_call *c, cz_buf *out)
{
	const cz_api_list *l = &c->list;

	cz_buf_printf(out,
		      "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
		      "\"resourceVersion\":\"%lld\"",
		      c->res->list_kind, c->res->group_version, (long long)l->rv);
	if (l->next)
		cz_buf_printf(out,
			      ",\"continue\":\"%s\",\"remainingItemCount\":%zu",
			      l->next, l->remaining);
	cz_buf_puts(out, "},\"items\":[");
}

void cz_api_list_text(const cz_api_call *c, cz_buf *out)
{
	const cz_api_list *l = &c->list;

	cz_api_list_head(c, out);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			cz_buf_putc(out, ',');
		cz_buf_append(out, l->items[i]->data, l->items[i]->len);
	}
	cz_buf_puts(out, CZ_API_LIST_TAIL);
}
