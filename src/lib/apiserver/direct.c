#include "apiserver/direct.h"
#include "apiserver/storage.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/path.h"
#include "object/meta.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/mem.h"

/*
 * The in-process transport.  A request's path is parsed as the HTTP layer
 * parses a URL, authorised for the transport's user, and handed to the
 * verb; the answer is the call's object or Status, shared rather than
 * serialised.  A watch follows the store's event ring.
 */

#ifndef CZ_VERSION
#define CZ_VERSION "0.0.0"
#endif

#define WAKE_MS 1000
#define BOOKMARK_SECONDS 30
#define MAX_QUERY_PARAMS 32

/* Shared by every handle duplicated from one another. */
typedef struct direct_shared {
	cz_store *store;
	struct cz_revstore *revisions;
	cz_user user;
	char *user_agent; /* the field manager's source, as over HTTP */
	unsigned refs; /* guarded by lock */
	pthread_mutex_t lock;
} direct_shared;

typedef struct direct_ctx {
	direct_shared *shared;
} direct_ctx;

/* ---- the request's URL ---- */

typedef struct query {
	char *keys[MAX_QUERY_PARAMS];
	char *values[MAX_QUERY_PARAMS];
	size_t n;
} query;

/* Percent-decodes s[0, n) ("+" is a space, as in a form query). */
static char *unescape(const char *s, size_t n)
{
	char *out = cz_xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = i + 2 < n ? cz_hex_digit((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? cz_hex_digit((unsigned char)s[i + 2]) : -1;

		if (s[i] == '%' && hi >= 0 && lo >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static void query_parse(const char *text, query *q)
{
	memset(q, 0, sizeof(*q));
	while (text && *text && q->n < MAX_QUERY_PARAMS) {
		size_t len = strcspn(text, "&");
		const char *eq = memchr(text, '=', len);
		size_t klen = eq ? (size_t)(eq - text) : len;

		if (klen) {
			q->keys[q->n] = unescape(text, klen);
			q->values[q->n] = eq ? unescape(eq + 1, len - klen - 1)
					     : cz_xstrdup("");
			q->n++;
		}
		text += len + (text[len] == '&');
	}
}

static void query_release(query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->keys[i]);
		free(q->values[i]);
	}
}

static const char *query_get(void *ctx, const char *key)
{
	const query *q = ctx;

	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->keys[i], key) == 0)
			return q->values[i];
	return NULL;
}

static bool query_true(const query *q, const char *key)
{
	const char *v = query_get((void *)q, key);

	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

/* A request as the HTTP layer sees it: target, verb, options. */
typedef struct direct_req {
	cz_api_path target;
	query q;
	const char *verb;
} direct_req;

static const char *verb_for(const char *method, const direct_req *r)
{
	bool named = r->target.name != NULL;

	if (strcmp(method, "GET") == 0)
		return named ? "get" : query_true(&r->q, "watch") ? "watch"
								  : "list";
	if (strcmp(method, "POST") == 0)
		return named ? NULL : "create";
	if (strcmp(method, "PUT") == 0)
		return named ? "update" : NULL;
	if (strcmp(method, "PATCH") == 0)
		return named ? "patch" : NULL;
	if (strcmp(method, "DELETE") == 0)
		return named ? "delete" : "deletecollection";
	return NULL;
}

static json_t *status_new(unsigned code, const char *reason,
			  const char *message)
{
	return json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind",
			 "Status", "apiVersion", "v1", "metadata", "status",
			 "Failure", "message", message, "reason", reason,
			 "code", (int)code);
}

/* kube's RBAC denial, word for word, as the HTTP layer gives it. */
static json_t *forbidden(const direct_shared *sh, const direct_req *r)
{
	const cz_api_path *t = &r->target;
	char qualified[256];
	char sub[64] = "";
	char message[1024];

	if (t->sub)
		snprintf(sub, sizeof(sub), "/%s", t->sub);
	snprintf(message, sizeof(message),
		 "%s \"%s\" is forbidden: User \"%s\" cannot %s resource "
		 "\"%s%s\" in API group \"%s\"%s%s",
		 cz_qualified_resource(t->res, qualified, sizeof(qualified)),
		 t->name ? t->name : "", sh->user.name, r->verb,
		 t->res->resource, sub, t->res->group,
		 t->ns ? " in the namespace " : " at the cluster scope",
		 t->ns ? t->ns : "");
	return status_new(403, "Forbidden", message);
}

/* Parses and authorises; on refusal *refusal is the answer. */
static int direct_route(const direct_shared *sh, const char *method,
			const char *path, direct_req *r, json_t **refusal,
			unsigned *code)
{
	const char *qmark = strchr(path, '?');
	char *bare = cz_xstrndup(path, qmark ? (size_t)(qmark - path)
					     : strlen(path));
	int rc = cz_api_path_parse(bare, &r->target);

	free(bare);
	query_parse(qmark ? qmark + 1 : NULL, &r->q);
	*refusal = NULL;
	if (rc != CZ_OK) {
		*code = 404;
		*refusal = status_new(404, "NotFound",
				      "the server could not find the "
				      "requested resource");
		return CZ_ENOTFOUND;
	}
	r->verb = verb_for(method, r);
	if (!r->verb) {
		*code = 405;
		*refusal = status_new(405, "MethodNotAllowed",
				      "the server does not allow this method "
				      "on the requested resource");
		return CZ_EINVALID;
	}
	if (r->target.sub &&
	    !cz_resource_has_subresource(r->target.res, r->target.sub)) {
		*code = 404;
		*refusal = status_new(404, "NotFound",
				      "the server could not find the "
				      "requested resource");
		return CZ_ENOTFOUND;
	}
	if (!cz_authorize(&sh->user, r->verb, r->target.res->group,
			  r->target.res->resource, r->target.sub)) {
		*code = 403;
		*refusal = forbidden(sh, r);
		return CZ_EDENIED;
	}
	return CZ_OK;
}

static void direct_req_release(direct_req *r)
{
	cz_api_path_release(&r->target);
	query_release(&r->q);
}

/* ---- answers ---- */

/* The list as kube answers it; through the projection from the stored
 * texts when there is one, else from parsed items. */
static int list_answer(const cz_api_call *c, const cz_projection *proj,
		       json_t **out, cz_error *err)
{
	const cz_api_list *l = &c->list;
	cz_buf text;
	json_t *items;
	char rv[32];
	int rc = CZ_OK;

	snprintf(rv, sizeof(rv), "%lld", (long long)l->rv);
	if (!proj) {
		items = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(items,
					      cz_blob_json(l->items[i]));
		*out = json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind",
				 c->res->list_kind, "apiVersion",
				 c->res->group_version, "metadata",
				 "resourceVersion", rv, "items", items);
		if (l->next) {
			json_t *meta = json_object_get(*out, "metadata");

			json_object_set_new(meta, "continue",
					    json_string(l->next));
			json_object_set_new(meta, "remainingItemCount",
					    json_integer((json_int_t)
							 l->remaining));
		}
		return CZ_OK;
	}
	cz_buf_init(&text, CZ_BUF_UNLIMITED);
	cz_api_list_text(c, &text);
	rc = cz_json_project(text.data, text.len, proj, out, err);
	cz_buf_release(&text);
	return rc;
}

static int success_answer(cz_api_call *c, const cz_projection *proj,
			  json_t **out, cz_error *err)
{
	if (c->list.items)
		return list_answer(c, proj, out, err);
	if (proj && c->blob)
		return cz_json_project(c->blob->data, c->blob->len, proj, out,
				       err);
	*out = cz_api_answer_object(c);
	return CZ_OK;
}

static int call_verb(cz_api_call *c, const char *verb,
		     const char *content_type, json_t *body)
{
	if (strcmp(verb, "get") == 0)
		return cz_api_get(c);
	if (strcmp(verb, "list") == 0)
		return cz_api_list_objects(c);
	if (strcmp(verb, "create") == 0)
		return cz_api_create(c, body);
	if (strcmp(verb, "update") == 0)
		return cz_api_update(c, body);
	if (strcmp(verb, "patch") == 0)
		return cz_api_patch(c, content_type, body);
	if (strcmp(verb, "delete") == 0)
		return cz_api_delete(c, body);
	return cz_api_delete_collection(c, body);
}

static int direct_request(void *ctx, const char *method, const char *path,
			  const char *content_type, const json_t *body,
			  const cz_projection *proj, cz_kube_response *resp,
			  cz_error *err)
{
	direct_shared *sh = ((direct_ctx *)ctx)->shared;
	direct_req r;
	cz_api_call c;
	json_t *copy = NULL;
	unsigned code = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	rc = direct_route(sh, method, path, &r, &resp->body, &code);
	if (rc != CZ_OK) {
		resp->status = code;
		rc = CZ_OK; /* answered */
		goto cleanup;
	}
	if (strcmp(r.verb, "watch") == 0) {
		rc = cz_fail(err, CZ_EINVALID, "%s: a watch is not a request",
			     path);
		goto cleanup;
	}
	cz_api_call_init(&c, sh->store, r.target.res, r.target.ns,
			 r.target.name, r.target.sub);
	c.query = query_get;
	c.query_ctx = &r.q;
	c.user_agent = sh->user_agent;
	c.user = &sh->user;
	c.revisions = sh->revisions;
	/* The verbs shape the object they are given: the caller's stays. */
	copy = body ? json_deep_copy(body) : NULL;
	rc = call_verb(&c, r.verb, content_type ? content_type
						 : "application/json",
		       copy);
	resp->status = c.code ? c.code : 500;
	if (rc == CZ_OK)
		rc = success_answer(&c, proj, &resp->body, err);
	else {
		resp->body = c.status ? json_incref(c.status)
				      : status_new(500, "InternalError",
						   "the request produced no "
						   "answer");
		rc = CZ_OK;
	}
cleanup:
	json_decref(copy);
	cz_api_call_release(&c);
	direct_req_release(&r);
	return rc;
}

/* ---- watch ---- */

typedef struct direct_watch {
	cz_kube_event_fn on_event;
	void *ctx;
	const cz_projection *proj; /* what of each object to parse */
	cz_filters *filters;
	bool bookmarks;
	time_t deadline;
	time_t next_bookmark;
} direct_watch;

static const char *event_type(cz_event_type t)
{
	switch (t) {
	case CZ_EV_ADDED: return "ADDED";
	case CZ_EV_MODIFIED: return "MODIFIED";
	default: return "DELETED";
	}
}

static int deliver(direct_watch *dw, const char *type, cz_blob *b)
{
	json_t *obj = NULL;
	int rc = CZ_OK;

	/* Cannot fail: the store wrote the text. */
	cz_json_project(b->data, b->len, dw->proj, &obj, NULL);
	if (obj && cz_filters_match(dw->filters, obj))
		rc = dw->on_event(dw->ctx, type, obj, b);
	json_decref(obj);
	return rc;
}

static int deliver_gone(direct_watch *dw, const char *message)
{
	json_t *status = status_new(410, "Expired", message);
	int rc = dw->on_event(dw->ctx, "ERROR", status, NULL);

	json_decref(status);
	return rc;
}

static int deliver_bookmark(direct_watch *dw, const cz_resource *r,
			    int64_t rv)
{
	json_t *obj = json_pack("{s:s, s:s, s:{s:s++}}", "kind", r->kind,
				"apiVersion", r->group_version, "metadata",
				"resourceVersion", "", "", "");
	char text[32];
	int rc;

	snprintf(text, sizeof(text), "%lld", (long long)rv);
	json_object_set_new(json_object_get(obj, "metadata"),
			    "resourceVersion", json_string(text));
	rc = dw->on_event(dw->ctx, "BOOKMARK", obj, NULL);
	json_decref(obj);
	return rc;
}

/* Opens the store watch at the asked version; without one, first the
 * current objects as ADDED events, as the HTTP watch does. */
static int open_watch(cz_store *st, const cz_resource *res,
		      const char *prefix, const query *q,
		      direct_watch *dw, cz_watch **w, cz_error *err)
{
	const char *rv = query_get((void *)q, "resourceVersion");
	cz_blob **items = NULL;
	size_t n = 0;
	const cz_storage *storage = cz_storage_of(res);
	int64_t from = 0;
	int rc;

	if (rv && *rv && strcmp(rv, "0") != 0) {
		from = strtoll(rv, NULL, 10);
		rc = storage->watch(st, prefix, from, w, err);
		if (rc == CZ_EGONE) {
			rc = storage->watch(st, prefix, 0, w, NULL);
			if (rc == CZ_OK)
				rc = deliver_gone(dw, err->msg);
		}
		return rc;
	}
	rc = storage->list(st, prefix, NULL, &items, &n, &from, err);
	if (rc == CZ_OK)
		rc = storage->watch(st, prefix, from, w, err);
	for (size_t i = 0; i < n; i++) {
		if (rc == CZ_OK)
			rc = deliver(dw, "ADDED", items[i]);
		cz_blob_unref(items[i]);
	}
	free(items);
	return rc;
}

/* Follows w until the caller stops, the deadline, or the end. */
static int follow(direct_watch *dw, const cz_resource *r, cz_watch *w,
		  volatile int *stop, cz_error *err)
{
	int rc = CZ_OK;

	while (rc == CZ_OK && !(stop && *stop) && time(NULL) < dw->deadline) {
		cz_event ev = { CZ_EV_NONE, NULL };

		rc = cz_watch_next(w, WAKE_MS, &ev, err);
		if (rc == CZ_EGONE)
			return deliver_gone(dw, err->msg);
		if (rc == CZ_EIO)
			return CZ_OK; /* the store is stopping: stream ends */
		if (rc == CZ_OK && ev.type != CZ_EV_NONE)
			rc = deliver(dw, event_type(ev.type), ev.object);
		cz_blob_unref(ev.object);
		if (rc == CZ_OK && dw->bookmarks &&
		    time(NULL) >= dw->next_bookmark) {
			dw->next_bookmark = time(NULL) + BOOKMARK_SECONDS;
			rc = deliver_bookmark(dw, r, cz_watch_revision(w));
		}
	}
	return rc;
}

static int direct_watch_run(void *ctx, const char *path,
			    const cz_projection *proj,
			    cz_kube_event_fn on_event, void *event_ctx,
			    volatile int *stop, cz_error *err)
{
	direct_shared *sh = ((direct_ctx *)ctx)->shared;
	direct_watch dw = { on_event, event_ctx, proj, NULL, false, 0, 0 };
	direct_req r;
	cz_api_call c;
	cz_watch *w = NULL;
	json_t *refusal = NULL;
	char *prefix = NULL;
	const char *timeout;
	unsigned code = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	rc = direct_route(sh, "GET", path, &r, &refusal, &code);
	if (rc == CZ_OK && strcmp(r.verb, "watch") != 0)
		rc = cz_fail(err, CZ_EINVALID, "%s: not a watch", path);
	else if (rc != CZ_OK)
		rc = cz_fail(err, rc, "%s",
			     json_string_value(
				     json_object_get(refusal, "message")));
	if (rc != CZ_OK)
		goto cleanup;
	cz_api_call_init(&c, sh->store, r.target.res, NULL, NULL, NULL);
	c.query = query_get;
	c.query_ctx = &r.q;
	if (cz_filters_parse(&c, &dw.filters) != CZ_OK) {
		rc = cz_fail(err, CZ_EINVALID, "%s",
			     json_string_value(
				     json_object_get(c.status, "message")));
		goto cleanup;
	}
	timeout = query_get(&r.q, "timeoutSeconds");
	dw.deadline = time(NULL) + (timeout ? strtol(timeout, NULL, 10)
					    : 1800);
	dw.bookmarks = query_true(&r.q, "allowWatchBookmarks");
	dw.next_bookmark = time(NULL) + BOOKMARK_SECONDS;
	prefix = cz_list_prefix(r.target.res, r.target.ns);
	rc = open_watch(sh->store, r.target.res, prefix, &r.q, &dw, &w, err);
	if (rc == CZ_OK && w)
		rc = follow(&dw, r.target.res, w, stop, err);
cleanup:
	cz_watch_close(w);
	free(prefix);
	cz_filters_free(dw.filters);
	json_decref(refusal);
	cz_api_call_release(&c);
	direct_req_release(&r);
	return rc;
}

/* ---- handles ---- */

static void *direct_dup(void *ctx)
{
	direct_shared *sh = ((direct_ctx *)ctx)->shared;
	direct_ctx *copy = cz_xcalloc(1, sizeof(*copy));

	pthread_mutex_lock(&sh->lock);
	sh->refs++;
	pthread_mutex_unlock(&sh->lock);
	copy->shared = sh;
	return copy;
}

static void shared_free(direct_shared *sh)
{
	free(sh->user_agent);
	free(sh->user.name);
	free(sh->user.uid);
	for (size_t i = 0; i < sh->user.ngroups; i++)
		free(sh->user.groups[i]);
	free(sh->user.groups);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

static void direct_free(void *ctx)
{
	direct_shared *sh = ((direct_ctx *)ctx)->shared;
	unsigned left;

	pthread_mutex_lock(&sh->lock);
	left = --sh->refs;
	pthread_mutex_unlock(&sh->lock);
	if (!left)
		shared_free(sh);
	free(ctx);
}

static const cz_kube_transport direct_transport = {
	direct_request,
	direct_watch_run,
	direct_dup,
	direct_free,
};

int cz_kube_open_direct(cz_store *store, struct cz_revstore *revisions,
			const cz_user *user,
			const char *name, const cz_kube_opts *opts,
			cz_kube **out, cz_error *err)
{
	direct_shared *sh = cz_xcalloc(1, sizeof(*sh));
	direct_ctx *ctx = cz_xcalloc(1, sizeof(*ctx));

	sh->store = store;
	sh->revisions = revisions;
	sh->user_agent = cz_xstrdup(opts && opts->user_agent
					    ? opts->user_agent
					    : "cozypkg/" CZ_VERSION);
	sh->user.name = cz_xstrdup(user->name);
	sh->user.uid = cz_xstrdup(user->uid ? user->uid : "");
	sh->user.ngroups = user->ngroups;
	sh->user.groups = cz_xcalloc(user->ngroups + 1, sizeof(char *));
	for (size_t i = 0; i < user->ngroups; i++)
		sh->user.groups[i] = cz_xstrdup(user->groups[i]);
	sh->refs = 1;
	pthread_mutex_init(&sh->lock, NULL);
	ctx->shared = sh;
	return cz_kube_open_transport(&direct_transport, ctx, name, opts, out,
				      err);
}
