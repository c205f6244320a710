#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/*
 * The resource verbs over HTTP: each handler decodes what the request
 * carries, calls the verb in lib/apiserver and nothing else; the
 * dispatcher answers once, from the call's outcome.  Watch lives in
 * watch.c (a stream, not one answer).
 */

typedef int (*verb_fn)(cz_req *req, cz_api_call *c, json_t *body);

enum verb_flags {
	BODY_NONE,
	BODY_REQUIRED, /* an object (or patch) must be decoded first */
	BODY_OPTIONAL, /* DeleteOptions, when sent */
	BODY_PATCH,    /* a JSON patch is an array, the others an object */
};

static int do_get(cz_req *req, cz_api_call *c, json_t *body)
{
	(void)req;
	(void)body;
	return cz_api_get(c);
}

static int do_list(cz_req *req, cz_api_call *c, json_t *body)
{
	(void)req;
	(void)body;
	return cz_api_list_objects(c);
}

static int do_create(cz_req *req, cz_api_call *c, json_t *body)
{
	(void)req;
	return cz_api_create(c, body);
}

static int do_update(cz_req *req, cz_api_call *c, json_t *body)
{
	(void)req;
	return cz_api_update(c, body);
}

static int do_patch(cz_req *req, cz_api_call *c, json_t *body)
{
	return cz_api_patch(c, cz_req_header(req, "Content-Type"), body);
}

static int do_delete(cz_req *req, cz_api_call *c, json_t *body)
{
	(void)req;
	return cz_api_delete(c, body);
}

static int do_delete_collection(cz_req *req, cz_api_call *c, json_t *body)
{
	(void)req;
	return cz_api_delete_collection(c, body);
}

static const struct verb_route {
	const char *verb;
	verb_fn fn;
	enum verb_flags body;
} verb_routes[] = {
	{ "get", do_get, BODY_NONE },
	{ "list", do_list, BODY_NONE },
	{ "create", do_create, BODY_REQUIRED },
	{ "update", do_update, BODY_REQUIRED },
	{ "patch", do_patch, BODY_PATCH },
	{ "delete", do_delete, BODY_OPTIONAL },
	{ "deletecollection", do_delete_collection, BODY_OPTIONAL },
};

static const struct verb_route *find_verb(const char *verb)
{
	for (size_t i = 0; i < sizeof(verb_routes) / sizeof(verb_routes[0]);
	     i++)
		if (strcmp(verb_routes[i].verb, verb) == 0)
			return &verb_routes[i];
	return NULL;
}

static const char *query_of(void *ctx, const char *key)
{
	return cz_req_query(ctx, key);
}

static bool is_json_patch(cz_req *req)
{
	const char *ct = cz_req_header(req, "Content-Type");

	return ct && strncmp(ct, "application/json-patch+json", 27) == 0;
}

/* The body the verb needs, decoded; *body stays NULL when none is. */
static int read_body(cz_req *req, cz_api_call *c, enum verb_flags how,
		     json_t **body)
{
	*body = NULL;
	if (how == BODY_NONE || (how == BODY_OPTIONAL && req->body.len == 0))
		return CZ_OK;
	if (how == BODY_PATCH && is_json_patch(req))
		return cz_decode_json_array(req, c, body);
	return cz_decode_body(req, c, body);
}

/* The answer to a successful call, as JSON text or as a Table. */
static int reply_success(cz_req *req, cz_api_call *c)
{
	json_t *obj = NULL;

	if (c->list.items)
		return cz_reply_list(req, c);
	if (cz_wants_table(req)) {
		int rc;

		obj = cz_api_answer_object(c);
		rc = cz_reply_json_new(req, c->code,
				       cz_table_build(req, c->res,
						      (json_t *const *)&obj, 1,
						      true));
		json_decref(obj);
		return rc;
	}
	if (c->blob && !c->object)
		return cz_reply_raw(req, c->code, c->blob->data, c->blob->len);
	if (c->blob && c->object &&
	    cz_meta_rv(c->object) == c->blob->rv)
		return cz_reply_raw(req, c->code, c->blob->data, c->blob->len);
	return cz_reply_json(req, c->code, c->object);
}

int cz_reply_call(cz_req *req, int rc, cz_api_call *c)
{
	size_t i;
	json_t *w;
	int sent;

	json_array_foreach (c->warnings, i, w)
		json_array_append(req->warnings, w);
	if (rc == CZ_OK && c->code)
		sent = reply_success(req, c);
	else if (c->status)
		sent = cz_reply_json(req, c->code, c->status);
	else
		sent = cz_reply_error(req, rc == CZ_OK ? CZ_ERR : rc,
				      "the request produced no answer");
	return sent;
}

int cz_handle_resource(cz_req *req)
{
	const cz_target *t = &req->target;
	const struct verb_route *route = find_verb(t->verb);
	cz_api_call c;
	json_t *body = NULL;
	int rc;

	if (!route)
		return cz_reply_status(req, 405, "MethodNotAllowed", NULL,
				       "the server does not allow this method "
				       "on the requested resource");
	cz_api_call_init(&c, req->srv->store, t->res, t->ns, t->name, t->sub);
	c.values = req->srv->values;
	c.user = req->user;
	c.revisions = req->srv->revisions;
	c.query = query_of;
	c.query_ctx = req;
	c.user_agent = cz_req_header(req, "User-Agent");
	c.max_body = req->srv->opts.max_request_bytes;
	rc = read_body(req, &c, route->body, &body);
	if (rc == CZ_OK)
		rc = route->fn(req, &c, body);
	rc = cz_reply_call(req, rc, &c);
	json_decref(body);
	cz_api_call_release(&c);
	return rc;
}

/* The list answer streamed from the stored texts themselves, so that a
 * large list costs no copy of its objects; a Table parses them. */
int cz_reply_list(cz_req *req, const cz_api_call *c)
{
	cz_buf head;
	cz_blob **items = NULL;
	size_t len;

	if (cz_wants_table(req))
		return cz_reply_list_table(req, c->res, &c->list);
	cz_buf_init(&head, CZ_BUF_UNLIMITED);
	cz_api_list_head(c, &head);
	/* The call releases its own references when the handler returns;
	 * the answer is sent later, so it keeps references of its own. */
	if (c->list.n)
		items = cz_xcalloc(c->list.n, sizeof(*items));
	for (size_t i = 0; i < c->list.n; i++)
		items[i] = cz_blob_ref(c->list.items[i]);
	return cz_reply_blobs_take(req, 200, cz_buf_detach(&head, &len), items,
				   c->list.n, CZ_API_LIST_TAIL);
}

int cz_reply_list_table(cz_req *req, const cz_resource *r,
			const cz_api_list *page)
{
	json_t **objs = cz_xcalloc(page->n + 1, sizeof(*objs));
	json_t *table;
	json_t *meta;
	char rvtext[32];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < page->n; i++)
		if ((objs[n] = cz_blob_json(page->items[i])))
			n++;
	table = cz_table_build(req, r, objs, n, true);
	meta = json_object_get(table, "metadata");
	snprintf(rvtext, sizeof(rvtext), "%lld", (long long)page->rv);
	json_object_set_new(meta, "resourceVersion", json_string(rvtext));
	if (page->next)
		json_object_set_new(meta, "continue", json_string(page->next));
	rc = cz_reply_json_new(req, 200, table);
	for (size_t i = 0; i < n; i++)
		json_decref(objs[i]);
	free(objs);
	return rc;
}
