/* POLLRDHUP (a peer that closed its end) is a Linux extension. */
#define _GNU_SOURCE
#include "handlers.h"

#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/storage.h"
#include "util/mem.h"

/*
 * Watch: a chunked stream of {"type":..., "object":...} lines, one per
 * event, as kube-apiserver sends them.  Each watch runs in its
 * connection's thread and blocks on the store's event ring; it wakes at
 * least once a second to notice a closed client, its deadline, a due
 * bookmark, or shutdown.
 */

#define WAKE_MS 1000
#define DEFAULT_TIMEOUT_SECONDS 1800
#define BOOKMARK_SECONDS 30

typedef struct watch_stream {
	cz_server *srv;
	struct MHD_Connection *conn;
	const cz_resource *res;
	cz_watch *watch;
	cz_filters *filters;
	bool table;
	bool bookmarks;
	bool first_table; /* column definitions not sent yet */
	bool done;
	time_t deadline;
	time_t next_bookmark;
	cz_blob **initial; /* synthetic ADDED events still to send */
	size_t ninitial;
	size_t next_initial;
	cz_buf pending;
	size_t sent;
	char *user;
	cz_req *req; /* for table building only; valid while the request is */
} watch_stream;

static const char *event_name(cz_event_type t)
{
	switch (t) {
	case CZ_EV_ADDED: return "ADDED";
	case CZ_EV_MODIFIED: return "MODIFIED";
	case CZ_EV_DELETED: return "DELETED";
	default: return "ERROR";
	}
}

static void append_event(watch_stream *ws, const char *type, const char *obj,
			 size_t len)
{
	cz_buf_printf(&ws->pending, "{\"type\":\"%s\",\"object\":", type);
	cz_buf_append(&ws->pending, obj, len);
	cz_buf_puts(&ws->pending, "}\n");
}

static void append_json_event(watch_stream *ws, const char *type,
			      const json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);

	if (text)
		append_event(ws, type, text, strlen(text));
	free(text);
}

/* Sends one stored object as an event, unless the filters reject it. */
static void emit_blob(watch_stream *ws, const char *type, const cz_blob *b)
{
	json_t *obj = NULL;
	json_t *table = NULL;

	if (cz_filters_empty(ws->filters) && !ws->table) {
		append_event(ws, type, b->data, b->len);
		return;
	}
	obj = cz_blob_json(b);
	if (!obj || !cz_filters_match(ws->filters, obj))
		goto cleanup;
	if (!ws->table) {
		append_event(ws, type, b->data, b->len);
		goto cleanup;
	}
	table = cz_table_build(ws->req, ws->res, (json_t *const *)&obj, 1,
			       ws->first_table);
	ws->first_table = false;
	append_json_event(ws, type, table);
cleanup:
	json_decref(table);
	json_decref(obj);
}

static void emit_bookmark(watch_stream *ws)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
		 "\"resourceVersion\":\"%lld\"}}",
		 ws->res->kind, ws->res->group_version,
		 (long long)cz_watch_revision(ws->watch));
	append_event(ws, "BOOKMARK", text, strlen(text));
}

static void emit_gone(watch_stream *ws, const char *message)
{
	json_t *status = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}",
				   "kind", "Status", "apiVersion", "v1",
				   "metadata", "status", "Failure", "message",
				   message, "reason", "Expired", "code", 410);

	append_json_event(ws, "ERROR", status);
	json_decref(status);
	ws->done = true;
}

/* True when the client has gone: a watch may sit idle for a long time and
 * must not keep a thread for a dead peer. */
static bool client_gone(watch_stream *ws)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		ws->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p;

	if (!info)
		return true;
	p.fd = info->connect_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* Produces the next bytes of the stream, waiting for them if need be. */
static void fill(watch_stream *ws)
{
	cz_event ev = { CZ_EV_NONE, NULL };
	cz_error err = CZ_ERROR_INIT;
	time_t now;
	int rc;

	if (ws->next_initial < ws->ninitial) {
		emit_blob(ws, "ADDED", ws->initial[ws->next_initial++]);
		return;
	}
	rc = cz_watch_next(ws->watch, WAKE_MS, &ev, &err);
	if (rc == CZ_EGONE) {
		emit_gone(ws, err.msg);
		return;
	}
	if (rc != CZ_OK || ws->srv->stopping) {
		ws->done = true;
		return;
	}
	if (ev.type != CZ_EV_NONE) {
		emit_blob(ws, event_name(ev.type), ev.object);
		cz_blob_unref(ev.object);
	}
	now = time(NULL);
	if (now >= ws->deadline || client_gone(ws))
		ws->done = true;
	else if (ws->bookmarks && now >= ws->next_bookmark) {
		emit_bookmark(ws);
		ws->next_bookmark = now + BOOKMARK_SECONDS;
	}
}

static ssize_t watch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	watch_stream *ws = cls;
	size_t n;

	(void)pos;
	while (ws->sent == ws->pending.len) {
		cz_buf_reset(&ws->pending);
		ws->sent = 0;
		if (ws->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		fill(ws);
	}
	n = ws->pending.len - ws->sent;
	if (n > max)
		n = max;
	memcpy(buf, ws->pending.data + ws->sent, n);
	ws->sent += n;
	return (ssize_t)n;
}

static void change_watch_count(cz_server *srv, const char *user, int delta,
			       unsigned *now)
{
	json_t *v;
	json_int_t count;

	pthread_mutex_lock(&srv->lock);
	v = json_object_get(srv->watches_by_user, user);
	count = json_integer_value(v) + delta;
	json_object_set_new(srv->watches_by_user, user, json_integer(count));
	pthread_mutex_unlock(&srv->lock);
	if (now)
		*now = (unsigned)count;
}

static void watch_free(void *cls)
{
	watch_stream *ws = cls;

	change_watch_count(ws->srv, ws->user, -1, NULL);
	cz_watch_close(ws->watch);
	cz_filters_free(ws->filters);
	for (size_t i = 0; i < ws->ninitial; i++)
		cz_blob_unref(ws->initial[i]);
	free(ws->initial);
	cz_buf_release(&ws->pending);
	free(ws->user);
	free(ws);
}

static long query_long(cz_req *req, const char *key, long fallback)
{
	const char *v = cz_req_query(req, key);
	char *end = NULL;
	long n;

	if (!v || !*v)
		return fallback;
	n = strtol(v, &end, 10);
	return *end || n < 0 ? fallback : n;
}

/* Starts the watch at the requested version; without one (or with "0"),
 * first the current objects as ADDED events, as upstream. */
static int open_watch(cz_req *req, watch_stream *ws, const char *prefix,
		      cz_error *err)
{
	const char *rv = cz_req_query(req, "resourceVersion");
	const cz_storage *storage = cz_storage_of(req->target.res);
	int64_t from = 0;
	int rc;

	if (rv && *rv && strcmp(rv, "0") != 0) {
		char *end = NULL;

		from = strtoll(rv, &end, 10);
		if (*end || from < 0)
			return cz_fail(err, CZ_EINVALID,
				       "resourceVersion: Invalid value: "
				       "\"%.50s\"",
				       rv);
		rc = storage->watch(ws->srv->store, prefix, from, &ws->watch,
				    err);
		if (rc == CZ_EGONE) {
			/* Upstream answers 200 and a 410 ERROR event. */
			rc = storage->watch(ws->srv->store, prefix, 0,
					    &ws->watch, NULL);
			if (rc == CZ_OK)
				emit_gone(ws, err->msg);
		}
		return rc;
	}
	rc = storage->list(ws->srv->store, prefix, NULL, &ws->initial,
			   &ws->ninitial, &from, err);
	if (rc == CZ_OK)
		rc = storage->watch(ws->srv->store, prefix, from, &ws->watch,
				    err);
	return rc;
}

static const char *query_of(void *ctx, const char *key)
{
	return cz_req_query(ctx, key);
}

/* The watch's selectors; a malformed one is answered here. */
static int parse_filters(cz_req *req, cz_filters **out)
{
	cz_api_call c;
	int rc;

	cz_api_call_init(&c, req->srv->store, req->target.res, NULL, NULL,
			 NULL);
	c.query = query_of;
	c.query_ctx = req;
	rc = cz_filters_parse(&c, out);
	if (rc != CZ_OK)
		rc = cz_reply_call(req, rc, &c) == CZ_OK ? rc : CZ_EIO;
	cz_api_call_release(&c);
	return rc;
}

int cz_handle_watch(cz_req *req)
{
	const cz_target *t = &req->target;
	watch_stream *ws = NULL;
	struct MHD_Response *resp;
	char *prefix = NULL;
	unsigned open_now = 0;
	cz_error err = CZ_ERROR_INIT;
	const char *user = req->user ? req->user->name : "";
	int rc;

	change_watch_count(req->srv, user, 1, &open_now);
	if (open_now > req->srv->opts.max_watches_per_user) {
		change_watch_count(req->srv, user, -1, NULL);
		return cz_reply_status(req, 429, "TooManyRequests", NULL,
				       "too many open watches for user \"%s\" "
				       "(limit %u)",
				       user, req->srv->opts.max_watches_per_user);
	}
	ws = cz_xcalloc(1, sizeof(*ws));
	ws->srv = req->srv;
	ws->conn = req->conn;
	ws->res = t->res;
	ws->req = req;
	ws->user = cz_xstrdup(user);
	ws->table = cz_wants_table(req);
	ws->first_table = true;
	ws->bookmarks = cz_req_query_true(req, "allowWatchBookmarks");
	ws->deadline = time(NULL) + query_long(req, "timeoutSeconds",
					       DEFAULT_TIMEOUT_SECONDS);
	ws->next_bookmark = time(NULL) + BOOKMARK_SECONDS;
	cz_buf_init(&ws->pending, CZ_BUF_UNLIMITED);
	rc = parse_filters(req, &ws->filters);
	if (rc != CZ_OK)
		goto fail;
	prefix = cz_list_prefix(t->res, t->ns);
	rc = open_watch(req, ws, prefix, &err);
	free(prefix);
	if (rc != CZ_OK) {
		rc = cz_reply_error(req, rc, err.msg);
		goto fail;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024,
						 watch_read, ws, watch_free);
	if (!resp) {
		watch_free(ws);
		return CZ_EIO;
	}
	req->is_watch = true;
	MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT,
				  0u);
	return cz_reply_stream(req, resp);
fail:
	watch_free(ws);
	return rc;
}
