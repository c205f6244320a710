#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "util/base64.h"
#include "util/mem.h"

/*
 * The resource verbs get, list, create, delete and deletecollection, and
 * the dispatcher for all of them.  Update and patch live in update.c,
 * watch in watch.c.
 */

static char *target_key(cz_req *req)
{
	return cz_object_key(req->target.res, req->target.ns,
			     req->target.name);
}

static int reply_object(cz_req *req, unsigned code, const json_t *obj)
{
	if (!cz_wants_table(req))
		return cz_reply_json(req, code, obj);
	return cz_reply_json_new(req, code,
				 cz_table_build(req, req->target.res,
						(json_t *const *)&obj, 1,
						true));
}

static int handle_get(cz_req *req)
{
	char *key = target_key(req);
	cz_blob *blob = NULL;
	json_t *obj = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_store_get(req->srv->store, key, &blob, &err);

	if (rc != CZ_OK) {
		rc = cz_reply_error(req, rc, err.msg);
		goto cleanup;
	}
	if (!cz_wants_table(req)) {
		/* The stored text is the answer: no parse, no copy beyond
		 * the response buffer. */
		rc = cz_reply_raw(req, 200, blob->data, blob->len);
		goto cleanup;
	}
	obj = cz_blob_json(blob);
	rc = obj ? reply_object(req, 200, obj)
		 : cz_reply_error(req, CZ_ERR, "corrupt stored object");
cleanup:
	json_decref(obj);
	cz_blob_unref(blob);
	free(key);
	return rc;
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

typedef struct list_page {
	cz_blob **items; /* selected, borrowed from the snapshot */
	json_t **parsed; /* when a table or filter needed them */
	size_t n;
	char *next; /* continue token, or NULL */
	size_t remaining;
} list_page;

static long parse_limit(cz_req *req)
{
	const char *v = cz_req_query(req, "limit");
	char *end = NULL;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	return *end || n < 0 ? 0 : n;
}

/* Picks the objects of a snapshot that pass the filters, up to limit. */
static void select_page(cz_req *req, cz_blob **all, size_t n, int64_t rv,
			const cz_filters *f, long limit, list_page *page)
{
	bool need_json = !cz_filters_empty(f) || cz_wants_table(req);
	size_t i;

	page->items = cz_xcalloc(n + 1, sizeof(*page->items));
	page->parsed = cz_xcalloc(n + 1, sizeof(*page->parsed));
	for (i = 0; i < n; i++) {
		json_t *obj = need_json ? cz_blob_json(all[i]) : NULL;

		if (limit && page->n == (size_t)limit) {
			json_decref(obj);
			break;
		}
		if (need_json && (!obj || !cz_filters_match(f, obj))) {
			json_decref(obj);
			continue;
		}
		page->items[page->n] = all[i];
		page->parsed[page->n++] = obj;
	}
	if (i < n && page->n) {
		page->next = encode_continue(page->items[page->n - 1]->key, rv);
		page->remaining = n - i;
	}
}

static void page_release(list_page *page)
{
	for (size_t i = 0; i < page->n; i++)
		json_decref(page->parsed[i]);
	free(page->parsed);
	free(page->items);
	free(page->next);
}

/* The list answer assembled from stored texts, so that a large list costs
 * one copy of each object. */
static int reply_list_raw(cz_req *req, const list_page *page, int64_t rv)
{
	const cz_resource *r = req->target.res;
	cz_buf out;
	int rc;

	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	cz_buf_printf(&out,
		      "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
		      "\"resourceVersion\":\"%lld\"",
		      r->list_kind, r->group_version, (long long)rv);
	if (page->next)
		cz_buf_printf(&out,
			      ",\"continue\":\"%s\",\"remainingItemCount\":%zu",
			      page->next, page->remaining);
	cz_buf_puts(&out, "},\"items\":[");
	for (size_t i = 0; i < page->n; i++) {
		if (i)
			cz_buf_putc(&out, ',');
		cz_buf_append(&out, page->items[i]->data, page->items[i]->len);
	}
	cz_buf_puts(&out, "]}");
	rc = cz_reply_raw(req, 200, out.data, out.len);
	cz_buf_release(&out);
	return rc;
}

static int reply_list_table(cz_req *req, const list_page *page, int64_t rv)
{
	json_t *table = cz_table_build(req, req->target.res, page->parsed,
				       page->n, true);
	json_t *meta = json_object_get(table, "metadata");
	char rvtext[32];

	snprintf(rvtext, sizeof(rvtext), "%lld", (long long)rv);
	json_object_set_new(meta, "resourceVersion", json_string(rvtext));
	if (page->next)
		json_object_set_new(meta, "continue", json_string(page->next));
	return cz_reply_json_new(req, 200, table);
}

static int handle_list(cz_req *req)
{
	char *prefix = cz_list_prefix(req->target.res, req->target.ns);
	const char *token = cz_req_query(req, "continue");
	char *start = NULL;
	cz_blob **all = NULL;
	size_t n = 0;
	int64_t rv = 0;
	cz_filters *filters = NULL;
	list_page page = { 0 };
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_filters_parse(req, &filters);

	if (rc != CZ_OK)
		goto cleanup;
	if (token && *token &&
	    decode_continue(token, prefix, &start, &err) != CZ_OK) {
		rc = cz_reply_error(req, CZ_EINVALID, err.msg);
		goto cleanup;
	}
	rc = cz_store_list(req->srv->store, prefix, start, &all, &n, &rv, &err);
	if (rc != CZ_OK) {
		rc = cz_reply_error(req, rc, err.msg);
		goto cleanup;
	}
	select_page(req, all, n, rv, filters, parse_limit(req), &page);
	rc = cz_wants_table(req) ? reply_list_table(req, &page, rv)
				 : reply_list_raw(req, &page, rv);
cleanup:
	page_release(&page);
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(all[i]);
	free(all);
	cz_filters_free(filters);
	free(start);
	free(prefix);
	return rc;
}

/* Fills name from generateName with five random characters from kube's
 * alphabet (no vowels, no look-alikes). */
static void generate_name(json_t *meta)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	const char *base = json_string_value(
		json_object_get(meta, "generateName"));
	char uid[37];
	char suffix[6];

	cz_new_uid(uid);
	for (int i = 0; i < 5; i++)
		suffix[i] = alphabet[(unsigned char)uid[i * 7] %
				     (sizeof(alphabet) - 1)];
	suffix[5] = '\0';
	json_object_set_new(meta, "name", json_sprintf("%s%s", base, suffix));
}

/* The namespace of a namespaced create must exist and not be going away. */
static int check_namespace(cz_req *req, const char *ns)
{
	const cz_resource *nsr = cz_resource_find("", "v1", "namespaces");
	char *key = cz_object_key(nsr, NULL, ns);
	cz_blob *blob = NULL;
	json_t *obj = NULL;
	int rc = cz_store_get(req->srv->store, key, &blob, NULL);

	free(key);
	if (rc == CZ_ENOTFOUND)
		return cz_refuse(req, 404, "NotFound",
				 "namespaces \"%s\" not found", ns);
	if (rc != CZ_OK)
		return cz_reply_error(req, rc, "namespace lookup failed");
	obj = cz_blob_json(blob);
	cz_blob_unref(blob);
	if (obj && cz_meta_str(obj, "deletionTimestamp")) {
		json_decref(obj);
		return cz_refuse(req, 403, "Forbidden",
				 "unable to create new content in namespace "
				 "%s because it is being terminated",
				 ns);
	}
	json_decref(obj);
	return CZ_OK;
}

/* Namespace checks of a create: the body's namespace agrees with the URL,
 * and exists. */
static int place_object(cz_req *req, json_t *meta)
{
	const cz_resource *r = req->target.res;
	const char *body_ns = json_string_value(
		json_object_get(meta, "namespace"));

	if (!r->namespaced) {
		json_object_del(meta, "namespace");
		return CZ_OK;
	}
	if (body_ns && *body_ns && strcmp(body_ns, req->target.ns) != 0)
		return cz_refuse(req, 400, "BadRequest",
				 "the namespace of the provided object does "
				 "not match the namespace sent on the request");
	json_object_set_new(meta, "namespace", json_string(req->target.ns));
	return check_namespace(req, req->target.ns);
}

/* Server-owned metadata of a new object; status is the server's to set
 * when the kind has a status subresource. */
static void init_metadata(const cz_resource *r, json_t *obj, json_t *meta)
{
	char uid[37];
	char now[32];

	cz_new_uid(uid);
	cz_now_rfc3339(now);
	json_object_set_new(meta, "uid", json_string(uid));
	json_object_set_new(meta, "creationTimestamp", json_string(now));
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	if (cz_tracks_generation(r))
		json_object_set_new(meta, "generation", json_integer(1));
	else
		json_object_del(meta, "generation");
	if (r->has_status)
		json_object_del(obj, "status");
	if (strcmp(r->resource, "namespaces") == 0) {
		json_object_set_new(obj, "spec",
				    json_pack("{s:[s]}", "finalizers",
					      "kubernetes"));
		json_object_set_new(obj, "status",
				    json_pack("{s:s}", "phase", "Active"));
	}
}

int cz_handle_create_object(cz_req *req, json_t *obj, const char *manager,
			    bool fields_managed)
{
	const cz_resource *r = req->target.res;
	json_t *meta = cz_meta(obj);
	char *key = NULL;
	cz_blob *blob = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	if (cz_meta_str(obj, "resourceVersion") &&
	    *cz_meta_str(obj, "resourceVersion")) {
		rc = cz_reply_status(req, 400, "BadRequest", NULL,
				     "resourceVersion should not be set on "
				     "objects to be created");
		goto cleanup;
	}
	if (!cz_meta_str(obj, "name") && cz_meta_str(obj, "generateName"))
		generate_name(meta);
	rc = place_object(req, meta);
	if (rc != CZ_OK)
		goto cleanup;
	init_metadata(r, obj, meta);
	cz_secret_normalize(r, obj);
	rc = cz_validate_request(req, obj);
	if (rc != CZ_OK)
		goto cleanup;
	if (!fields_managed)
		cz_record_managed_fields(req, obj, NULL, manager);
	if (cz_req_query(req, "dryRun")) {
		rc = reply_object(req, 201, obj);
		goto cleanup;
	}
	free(req->target.name);
	req->target.name = cz_xstrdup(cz_meta_str(obj, "name"));
	key = target_key(req);
	rc = cz_store_create(req->srv->store, key, obj, &blob, &err);
	if (rc != CZ_OK) {
		rc = cz_reply_error(req, rc, err.msg);
		goto cleanup;
	}
	rc = cz_wants_table(req) ? reply_object(req, 201, obj)
				 : cz_reply_raw(req, 201, blob->data,
						blob->len);
cleanup:
	cz_blob_unref(blob);
	free(key);
	return rc;
}

static int handle_create(cz_req *req)
{
	json_t *obj = NULL;
	char manager[128];
	int rc = cz_decode_body(req, &obj);

	if (rc == CZ_OK)
		rc = cz_check_type(req, obj);
	if (rc == CZ_OK)
		rc = cz_handle_create_object(
			req, obj, cz_field_manager(req, manager, sizeof(manager)),
			false);
	json_decref(obj);
	return rc;
}

/* DeleteOptions from the body (kubectl sends them) and the query. */
static int delete_options(cz_req *req, cz_delete_opts *opts, json_t **body)
{
	json_t *pre;
	int rc;

	memset(opts, 0, sizeof(*opts));
	opts->propagation = cz_req_query(req, "propagationPolicy");
	opts->dry_run = cz_req_query(req, "dryRun") != NULL;
	*body = NULL;
	if (req->body.len == 0)
		return CZ_OK;
	rc = cz_decode_body(req, body);
	if (rc != CZ_OK)
		return rc;
	if (json_string_value(json_object_get(*body, "propagationPolicy")))
		opts->propagation = json_string_value(
			json_object_get(*body, "propagationPolicy"));
	if (json_array_size(json_object_get(*body, "dryRun")))
		opts->dry_run = true;
	pre = json_object_get(*body, "preconditions");
	opts->uid = json_string_value(json_object_get(pre, "uid"));
	if (json_string_value(json_object_get(pre, "resourceVersion")))
		opts->rv = strtoll(json_string_value(json_object_get(
					   pre, "resourceVersion")),
				   NULL, 10);
	return CZ_OK;
}

static bool valid_propagation(const char *p)
{
	return !p || strcmp(p, "Background") == 0 ||
	       strcmp(p, "Foreground") == 0 || strcmp(p, "Orphan") == 0;
}

static int handle_delete(cz_req *req)
{
	cz_delete_opts opts;
	json_t *body = NULL;
	json_t *out = NULL;
	char *key = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc = delete_options(req, &opts, &body);

	if (rc != CZ_OK)
		goto cleanup;
	if (!valid_propagation(opts.propagation)) {
		rc = cz_reply_status(req, 400, "BadRequest", NULL,
				     "propagationPolicy: Unsupported value: "
				     "\"%.100s\"",
				     opts.propagation);
		goto cleanup;
	}
	key = target_key(req);
	rc = cz_delete_object(req->srv, req->target.res, key, &opts, &out,
			      &err);
	rc = rc == CZ_OK ? reply_object(req, 200, out)
			 : cz_reply_error(req, rc, err.msg);
cleanup:
	json_decref(out);
	json_decref(body);
	free(key);
	return rc;
}

static int handle_delete_collection(cz_req *req)
{
	char *prefix = cz_list_prefix(req->target.res, req->target.ns);
	cz_delete_opts opts;
	json_t *body = NULL;
	json_t *items = json_array();
	cz_filters *filters = NULL;
	cz_blob **all = NULL;
	size_t n = 0;
	int64_t rv = 0;
	cz_error err = CZ_ERROR_INIT;
	int rc = delete_options(req, &opts, &body);

	if (rc == CZ_OK)
		rc = cz_filters_parse(req, &filters);
	if (rc != CZ_OK)
		goto cleanup;
	rc = cz_store_list(req->srv->store, prefix, NULL, &all, &n, &rv, &err);
	for (size_t i = 0; rc == CZ_OK && i < n; i++) {
		json_t *obj = cz_blob_json(all[i]);
		json_t *out = NULL;

		if (obj && cz_filters_match(filters, obj) &&
		    cz_delete_object(req->srv, req->target.res, all[i]->key,
				     &opts, &out, &err) == CZ_OK)
			json_array_append_new(items, out);
		json_decref(obj);
	}
	rc = rc == CZ_OK
		     ? cz_reply_json_new(req, 200,
					 json_pack("{s:s, s:s, s:{}, s:O}", "kind",
						   req->target.res->list_kind,
						   "apiVersion",
						   req->target.res->group_version,
						   "metadata", "items", items))
		     : cz_reply_error(req, rc, err.msg);
cleanup:
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(all[i]);
	free(all);
	cz_filters_free(filters);
	json_decref(items);
	json_decref(body);
	free(prefix);
	return rc;
}

int cz_handle_resource(cz_req *req)
{
	const cz_target *t = &req->target;
	const char *verb = t->verb;

	if (t->sub && strcmp(t->sub, "status") == 0 && !t->res->has_status)
		return cz_reply_status(req, 404, "NotFound", NULL,
				       "the server could not find the "
				       "requested resource");
	if (strcmp(verb, "get") == 0)
		return handle_get(req);
	if (strcmp(verb, "list") == 0)
		return handle_list(req);
	if (strcmp(verb, "create") == 0)
		return handle_create(req);
	if (strcmp(verb, "update") == 0)
		return cz_handle_update(req);
	if (strcmp(verb, "patch") == 0)
		return cz_handle_patch(req);
	if (strcmp(verb, "delete") == 0)
		return handle_delete(req);
	return handle_delete_collection(req);
}
