#include "server.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "route.h"
#include "util/mem.h"

/* Requests are answered with kube's content type; Status errors too. */
#define JSON_TYPE "application/json"

const char *cz_req_query(cz_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
					   key);
}

const char *cz_req_header(cz_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, key);
}

bool cz_req_query_true(cz_req *req, const char *key)
{
	const char *v = cz_req_query(req, key);

	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

/* RFC 7234 warn-code 299 with the agent "-", as kube sends them; the text
 * is a quoted-string, so quotes and backslashes inside are escaped. */
static void add_warnings(cz_req *req, struct MHD_Response *resp)
{
	size_t i;
	json_t *w;

	json_array_foreach (req->warnings, i, w) {
		cz_buf line;

		cz_buf_init(&line, 4096);
		cz_buf_puts(&line, "299 - \"");
		for (const char *p = json_string_value(w); p && *p; p++) {
			if (*p == '"' || *p == '\\')
				cz_buf_putc(&line, '\\');
			cz_buf_putc(&line, (*p == '\r' || *p == '\n') ? ' ' : *p);
		}
		cz_buf_putc(&line, '"');
		MHD_add_response_header(resp, "Warning", line.data);
		cz_buf_release(&line);
	}
}

static int queue(cz_req *req, unsigned code, struct MHD_Response *resp,
		 const char *content_type)
{
	enum MHD_Result r;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				content_type);
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	add_warnings(req, resp);
	req->code = (int)code;
	r = MHD_queue_response(req->conn, code, resp);
	MHD_destroy_response(resp);
	return r == MHD_YES ? CZ_OK : CZ_EIO;
}

int cz_reply_raw(cz_req *req, unsigned code, const char *json, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)json, MHD_RESPMEM_MUST_COPY);

	if (!resp)
		return CZ_EIO;
	return queue(req, code, resp, JSON_TYPE);
}

/* An answer sent in pieces: the head, then for each item a comma (none
 * before the first) and its text, then the tail. */
typedef struct blob_stream {
	char *head;
	size_t head_len;
	cz_blob **items;
	size_t n;
	const char *tail;
	size_t piece; /* 0 head, 1 + 2i comma before item i, 2 + 2i item i,
			 1 + 2n tail */
	size_t off;   /* bytes of the current piece already sent */
} blob_stream;

#define STREAM_BLOCK (64 * 1024)

static void blob_stream_free(void *cls)
{
	blob_stream *s = cls;

	for (size_t i = 0; i < s->n; i++)
		cz_blob_unref(s->items[i]);
	free(s->items);
	free(s->head);
	free(s);
}

/* The bytes of piece p, or false past the last one. */
static bool stream_piece(const blob_stream *s, size_t p, const char **data,
			 size_t *len)
{
	if (p == 0) {
		*data = s->head;
		*len = s->head_len;
	} else if (p == 1 + 2 * s->n) {
		*data = s->tail;
		*len = strlen(s->tail);
	} else if (p > 1 + 2 * s->n) {
		return false;
	} else if (p % 2) {
		*data = ",";
		*len = p == 1 ? 0 : 1;
	} else {
		*data = s->items[p / 2 - 1]->data;
		*len = s->items[p / 2 - 1]->len;
	}
	return true;
}

/* MHD reads in order from its own connection thread, so a cursor is
 * enough: pos is where the cursor already is. */
static ssize_t blob_stream_read(void *cls, uint64_t pos, char *buf,
				size_t max)
{
	blob_stream *s = cls;
	size_t done = 0;
	const char *data;
	size_t len;

	(void)pos;
	while (done < max && stream_piece(s, s->piece, &data, &len)) {
		size_t take = len - s->off;

		if (take > max - done)
			take = max - done;
		memcpy(buf + done, data + s->off, take);
		done += take;
		s->off += take;
		if (s->off == len) {
			s->piece++;
			s->off = 0;
		}
	}
	return done ? (ssize_t)done : MHD_CONTENT_READER_END_OF_STREAM;
}

int cz_reply_blobs_take(cz_req *req, unsigned code, char *head,
			cz_blob **items, size_t n, const char *tail)
{
	blob_stream *s = cz_xcalloc(1, sizeof(*s));
	struct MHD_Response *resp;
	uint64_t size;

	s->head = head;
	s->head_len = strlen(head);
	s->items = items;
	s->n = n;
	s->tail = tail;
	size = s->head_len + strlen(tail) + (n ? n - 1 : 0);
	for (size_t i = 0; i < n; i++)
		size += items[i]->len;
	resp = MHD_create_response_from_callback(size, STREAM_BLOCK,
						 blob_stream_read, s,
						 blob_stream_free);
	if (!resp) {
		blob_stream_free(s);
		return CZ_EIO;
	}
	return queue(req, code, resp, JSON_TYPE);
}

int cz_reply_text(cz_req *req, unsigned code, const char *content_type,
		  const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);

	if (!resp)
		return CZ_EIO;
	return queue(req, code, resp, content_type);
}

int cz_reply_json(cz_req *req, unsigned code, const json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	struct MHD_Response *resp = NULL;

	if (!text)
		return cz_reply_text(req, 500, JSON_TYPE,
				     "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
				     "\"status\":\"Failure\",\"message\":\"the "
				     "response could not be encoded\",\"reason\":"
				     "\"InternalError\",\"code\":500}");
	resp = MHD_create_response_from_buffer(strlen(text), text,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return CZ_EIO;
	}
	return queue(req, code, resp, JSON_TYPE);
}

int cz_reply_json_new(cz_req *req, unsigned code, json_t *obj)
{
	int rc = cz_reply_json(req, code, obj);

	json_decref(obj);
	return rc;
}

int cz_reply_file(cz_req *req, unsigned code, int fd, uint64_t size,
		  const char *etag)
{
	struct MHD_Response *resp =
		fd >= 0 ? MHD_create_response_from_fd64(size, fd)
			: MHD_create_response_from_buffer(0, (void *)"",
							  MHD_RESPMEM_PERSISTENT);

	if (!resp) {
		if (fd >= 0)
			close(fd);
		return CZ_EIO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	return queue(req, code, resp, "application/gzip");
}

/* What a browser may do with the dashboard's files: run script and
 * style from this origin only (none inline), fetch only this origin, never
 * be framed, never guess a content type. */
#define UI_SECURITY_POLICY                                                   \
	"default-src 'self'; script-src 'self'; style-src 'self'; "          \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; "     \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static void add_ui_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				UI_SECURITY_POLICY);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

int cz_reply_asset(cz_req *req, const char *content_type,
		   const unsigned char *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)data, MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return CZ_EIO;
	add_ui_headers(resp);
	return queue(req, 200, resp, content_type);
}

int cz_reply_redirect(cz_req *req, const char *location)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		0, (void *)"", MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return CZ_EIO;
	add_ui_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	return queue(req, 301, resp, "text/plain; charset=utf-8");
}

int cz_reply_stream(cz_req *req, struct MHD_Response *resp)
{
	return queue(req, MHD_HTTP_OK, resp, JSON_TYPE);
}

static int vreply_status(cz_req *req, unsigned code, const char *reason,
			 const json_t *details, const char *fmt, va_list ap)
{
	char message[2048];
	json_t *status = NULL;

	vsnprintf(message, sizeof(message), fmt, ap);
	status = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind",
			   "Status", "apiVersion", "v1", "metadata", "status",
			   code < 400 ? "Success" : "Failure", "message",
			   message, "reason", reason, "code", (int)code);
	if (details)
		json_object_set(status, "details", (json_t *)details);
	return cz_reply_json_new(req, code, status);
}

int cz_reply_status(cz_req *req, unsigned code, const char *reason,
		    const json_t *details, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreply_status(req, code, reason, details, fmt, ap);
	va_end(ap);
	return rc;
}

int cz_refuse(cz_req *req, unsigned code, const char *reason,
	      const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreply_status(req, code, reason, NULL, fmt, ap);
	va_end(ap);
	return rc == CZ_OK ? CZ_EINVALID : rc;
}

int cz_reply_error(cz_req *req, int code, const char *message)
{
	unsigned http = 500;
	json_t *status = cz_api_status_new(req->target.res, req->target.name,
					   code, message, &http);

	return cz_reply_json_new(req, http, status);
}

/* The bearer token from the Authorization header, or NULL. */
static const char *bearer_token(cz_req *req)
{
	const char *auth = cz_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return NULL;
	auth += 7;
	while (*auth == ' ')
		auth++;
	return *auth ? auth : NULL;
}

/* Health probes answer without a token, as kube-apiserver's do for
 * system:unauthenticated: the route table says which. */
static bool is_public_path(const char *path)
{
	const cz_path_route *route = cz_path_route_find(path);

	return route && route->is_public;
}

static int authenticate(cz_req *req)
{
	const char *token = bearer_token(req);

	if (token)
		req->user = cz_tokens_find(req->srv->tokens, token);
	if (token && !req->user &&
	    cz_sessions_lookup(req->srv->sessions, token, &req->session_user))
		req->user = &req->session_user;
	if (req->user || is_public_path(req->path))
		return CZ_OK;
	return cz_refuse(req, 401, "Unauthorized", "Unauthorized");
}

/* Refuses bodies over the cap before reading them when the client says
 * how large they are. */
static bool declared_too_large(cz_req *req)
{
	const char *len = cz_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end = NULL;
	unsigned long long n;

	if (!len)
		return false;
	n = strtoull(len, &end, 10);
	return end != len && n > req->srv->opts.max_request_bytes;
}

static int reply_too_large(cz_req *req)
{
	return cz_reply_status(req, 413, "RequestEntityTooLarge", NULL,
			       "Request entity too large: limit is %zu bytes",
			       req->srv->opts.max_request_bytes);
}

static cz_req *req_new(cz_server *srv, struct MHD_Connection *conn,
		       const char *method, const char *url)
{
	cz_req *req = cz_xcalloc(1, sizeof(*req));

	req->srv = srv;
	req->conn = conn;
	req->method = method;
	req->path = cz_xstrdup(url);
	req->id = __atomic_add_fetch(&srv->next_request_id, 1,
				     __ATOMIC_RELAXED);
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	cz_buf_init(&req->body, srv->opts.max_request_bytes);
	req->warnings = json_array();
	return req;
}

static void req_free(cz_req *req)
{
	cz_buf_release(&req->body);
	cz_target_release(&req->target);
	cz_user_release(&req->session_user);
	json_decref(req->warnings);
	free(req->path);
	free(req);
}

/* kube's RBAC denial, word for word. */
static int forbidden(cz_req *req)
{
	const cz_target *t = &req->target;
	char qualified[256];
	char sub[64] = "";

	if (t->sub)
		snprintf(sub, sizeof(sub), "/%s", t->sub);
	return cz_refuse(
		req, 403, "Forbidden",
		"%s \"%s\" is forbidden: User \"%s\" cannot %s resource "
		"\"%s%s\" in API group \"%s\"%s%s",
		cz_qualified_resource(t->res, qualified, sizeof(qualified)),
		t->name ? t->name : "", req->user ? req->user->name : "",
		t->verb, t->res->resource, sub, t->res->group,
		t->ns ? " in the namespace " : " at the cluster scope",
		t->ns ? t->ns : "");
}

static bool is_resource_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strncmp(path, "/apis/", 6) == 0;
}

static int dispatch_path(cz_req *req)
{
	const cz_path_route *route = cz_path_route_find(req->path);

	if (route && route->self_authorised)
		return route->handle(req);
	if (!(route && route->is_public) &&
	    !cz_authorize_nonresource(req->user, req->path))
		return cz_reply_status(req, 403, "Forbidden", NULL,
				       "forbidden: User \"%s\" cannot get path "
				       "\"%s\"",
				       req->user ? req->user->name : "",
				       req->path);
	if (!route)
		return cz_reply_status(req, 404, "NotFound", NULL,
				       "the server could not find the "
				       "requested resource");
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD"))
		return cz_reply_status(req, 405, "MethodNotAllowed", NULL,
				       "the server does not allow this method "
				       "on the requested resource");
	return route->handle(req);
}

static int dispatch(cz_req *req)
{
	const cz_target *t = &req->target;
	int rc;

	if (req->body_too_large)
		return reply_too_large(req);
	if (!is_resource_path(req->path))
		return dispatch_path(req);
	rc = cz_route_resource(req);
	if (rc == CZ_ENOTFOUND)
		return dispatch_path(req); /* discovery under /api, /apis */
	if (rc != CZ_OK)
		return rc; /* answered */
	if (!cz_authorize(req->user, t->verb, t->res->group, t->res->resource,
			  t->sub))
		return forbidden(req);
	return strcmp(t->verb, "watch") == 0 ? cz_handle_watch(req)
					     : cz_handle_resource(req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	cz_server *srv = cls;
	cz_req *req = *con_cls;

	(void)version;
	if (!req) {
		req = req_new(srv, conn, method, url);
		*con_cls = req;
		if (authenticate(req) != CZ_OK)
			return MHD_YES;
		if (declared_too_large(req))
			return reply_too_large(req) == CZ_OK ? MHD_YES : MHD_NO;
		return MHD_YES;
	}
	if (req->code)
		/* Already answered (401, 413): drain and ignore the body. */
		return (*upload_data_size = 0, MHD_YES);
	if (*upload_data_size) {
		if (!req->body_too_large &&
		    cz_buf_append(&req->body, upload_data, *upload_data_size))
			req->body_too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(req) == CZ_EIO && !req->code ? MHD_NO : MHD_YES;
}

static double elapsed_seconds(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	cz_server *srv = cls;
	cz_req *req = *con_cls;
	double seconds;
	const char *resource;

	(void)conn;
	(void)toe;
	if (!req)
		return;
	seconds = elapsed_seconds(&req->start);
	resource = req->target.res ? req->target.res->resource : "";
	cz_metrics_observe(srv->metrics,
			   req->target.verb ? req->target.verb : "nonresource",
			   resource, (unsigned)req->code, seconds);
	if (!srv->opts.quiet)
		cz_log_request(req, seconds);
	req_free(req);
	*con_cls = NULL;
}

static int parse_listen(const char *listen, struct sockaddr_in *addr,
			cz_error *err)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	char *end = NULL;
	long port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return cz_fail(err, CZ_EINVALID,
			       "--listen %s: expected HOST:PORT", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return cz_fail(err, CZ_EINVALID, "--listen %s: bad port",
			       listen);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
		return cz_fail(err, CZ_EINVALID,
			       "--listen %s: not an IPv4 address", listen);
	return CZ_OK;
}

static bool is_loopback(const struct sockaddr_in *addr)
{
	return (ntohl(addr->sin_addr.s_addr) >> 24) == 127;
}

int cz_http_start(cz_server *srv, const char *cert_pem, const char *key_pem,
		  cz_error *err)
{
	struct sockaddr_in addr;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	char url[300];
	int rc = parse_listen(srv->opts.listen, &addr, err);

	if (rc)
		return rc;
	if (srv->opts.insecure_http && !is_loopback(&addr))
		return cz_fail(err, CZ_EINVALID,
			       "--insecure-http is refused on the non-loopback "
			       "address %s",
			       srv->opts.listen);
	if (!srv->opts.insecure_http)
		flags |= MHD_USE_TLS;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)srv->opts.idle_timeout_seconds,
		MHD_OPTION_CONNECTION_LIMIT, srv->opts.max_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)128 * 1024,
		srv->opts.insecure_http ? MHD_OPTION_END
					: MHD_OPTION_HTTPS_MEM_CERT,
		cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
	if (!srv->daemon)
		return cz_fail(err, CZ_EIO, "cannot listen on %s",
			       srv->opts.listen);
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : ntohs(addr.sin_port);
	inet_ntop(AF_INET, &addr.sin_addr, url, sizeof(url));
	srv->url = cz_xasprintf("%s://%s:%u",
				srv->opts.insecure_http ? "http" : "https", url,
				srv->port);
	return CZ_OK;
}

void cz_http_stop(cz_server *srv)
{
	if (!srv->daemon)
		return;
	MHD_quiesce_daemon(srv->daemon);
	cz_store_stop_watches(srv->store);
	/* Give each watch stream a moment to send its last chunk, so that
	 * clients see a clean end rather than a cut connection. */
	for (int i = 0; i < 100 && cz_store_watch_count(srv->store) > 0; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
}
