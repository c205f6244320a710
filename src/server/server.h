#ifndef CZ_SERVER_SERVER_H
#define CZ_SERVER_SERVER_H

/*
 * cozypkgd: the HTTP layer, the request context every handler receives,
 * and the helpers handlers use to answer.  The API semantics (verbs,
 * metadata, status subresource, errors) follow kube-apiserver.
 */

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "api/resource.h"
#include "apiserver/apiserver.h"
#include "auth/session.h"
#include "auth/token.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/error.h"

struct MHD_Connection;
struct MHD_Daemon;
struct MHD_Response;

typedef struct cz_metrics cz_metrics;
typedef struct cz_artifact_store cz_artifact_store;

typedef struct cz_server_opts {
	const char *data_dir;
	const char *listen; /* HOST:PORT */
	const char *token_file;
	bool insecure_http;
	bool sync_full;
	size_t max_request_bytes;
	unsigned max_watches_per_user;
	unsigned idle_timeout_seconds;
	unsigned max_connections;
	bool quiet; /* no request log */
	const char *values_admission; /* off, warn (default), enforce */
	const char *index;   /* marketplace index location, or NULL */
	bool index_insecure; /* plain HTTP for it and for taps of it */
} cz_server_opts;

typedef struct cz_server {
	cz_server_opts opts;
	cz_store *store;
	cz_artifact_store *artifacts; /* DIR/artifacts, served read-only */
	struct cz_values_admission *values; /* Package values vs schemas */
	struct cz_revstore *revisions; /* package revisions in git */
	struct cz_search_index *search_index; /* what /market/search reads */
	cz_tokens *tokens;
	cz_sessions *sessions; /* tokens cozypkgd issues for a while */
	char *ca_pem;          /* what clients of srv->url trust */
	cz_metrics *metrics;
	struct MHD_Daemon *daemon;
	unsigned port;
	char *url;
	volatile int stopping;
	pthread_mutex_t lock; /* guards watch counts */
	json_t *watches_by_user; /* user -> open watch count */
	pthread_t gc_thread;
	bool gc_started;
	uint64_t next_request_id;
	struct timespec started;
} cz_server;

/* What the URL names, parsed as kube-apiserver does. */
typedef struct cz_target {
	const cz_resource *res; /* NULL for non-resource paths */
	char *ns;               /* namespace in the URL, or NULL */
	char *name;             /* object name, or NULL */
	char *sub;              /* subresource ("status"), or NULL */
	const char *verb;       /* get, list, watch, create, ... */
} cz_target;

typedef struct cz_req {
	cz_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	char *path;
	uint64_t id;
	struct timespec start;
	cz_buf body;
	bool body_too_large;
	const cz_user *user;
	cz_user session_user; /* owned when user points here */
	cz_target target;
	int code; /* response status, for the log and metrics */
	json_t *warnings; /* strings sent as Warning headers */
	bool is_watch;
} cz_req;

/* Query parameter, or NULL. */
const char *cz_req_query(cz_req *req, const char *key);
/* Request header, or NULL. */
const char *cz_req_header(cz_req *req, const char *key);
bool cz_req_query_true(cz_req *req, const char *key);

/* Answers with obj (borrowed) as JSON. */
int cz_reply_json(cz_req *req, unsigned code, const json_t *obj);
/* As cz_reply_json, taking the caller's reference to obj (jansson's
 * "_new" convention). */
int cz_reply_json_new(cz_req *req, unsigned code, json_t *obj);
/* Answers with bytes of JSON text already serialised (copied). */
int cz_reply_raw(cz_req *req, unsigned code, const char *json, size_t len);
/* Answers with JSON text streamed from pieces, never joined: head
 * (malloc'ed, taken), the texts of items[0..n) separated by commas, then
 * tail (static).  Takes items, an array of n blob references, and frees it
 * once sent or on failure: a list of tens of thousands of objects is tens
 * of MB, which would otherwise be a second copy of the store's texts for
 * as long as the client takes to read it. */
int cz_reply_blobs_take(cz_req *req, unsigned code, char *head,
			cz_blob **items, size_t n, const char *tail);
/* Answers with a v1 Status error: reason, message, optional details
 * (borrowed). */
int cz_reply_status(cz_req *req, unsigned code, const char *reason,
		    const json_t *details, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Answers like cz_reply_status (no details) and returns CZ_EINVALID, or
 * CZ_EIO when nothing could be queued: for a step that refuses the request
 * and stops it, so that its caller only needs "not CZ_OK". */
int cz_refuse(cz_req *req, unsigned code, const char *reason,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Maps a cz_code from the store or a library to the kube error for the
 * target object ("packages.cozystack.io \"x\" not found"). */
int cz_reply_error(cz_req *req, int code, const char *message);
int cz_reply_text(cz_req *req, unsigned code, const char *content_type,
		  const char *text);
/* Answers with the file open at fd (the response takes it; -1 for no
 * body, as for 304), size bytes, as application/gzip with that ETag. */
int cz_reply_file(cz_req *req, unsigned code, int fd, uint64_t size,
		  const char *etag);
/* Answers 200 with len bytes of static data (not copied) and the
 * dashboard's security headers (Content-Security-Policy and others). */
int cz_reply_asset(cz_req *req, const char *content_type,
		   const unsigned char *data, size_t len);
/* Answers 301 to location, with the same headers. */
int cz_reply_redirect(cz_req *req, const char *location);
/* Queues a streaming response (watch). */
int cz_reply_stream(cz_req *req, struct MHD_Response *resp);

/* Handlers: a resource verb (objects.c), a watch (watch.c). */
int cz_handle_resource(cz_req *req);
int cz_handle_watch(cz_req *req);

/* Paths outside the resource tree, routed by a table (discovery.c):
 * health, version, metrics, OpenAPI, discovery documents and artifact
 * blobs.  public: answered without a token. */
typedef int (*cz_path_handler)(cz_req *req);
typedef struct cz_path_route {
	const char *path;
	bool prefix; /* path and everything below it */
	bool is_public;
	bool self_authorised; /* checks the user itself (artifact blobs) */
	cz_path_handler handle;
} cz_path_route;
/* The route for path, or NULL. */
const cz_path_route *cz_path_route_find(const char *path);
/* /artifacts and below (artifacts.c). */
int cz_handle_artifact(cz_req *req);

/* Tables (Accept: application/json;as=Table;v=v1;g=meta.k8s.io). */
bool cz_wants_table(cz_req *req);
/* A Table of objs (borrowed) for r; columns only when with_columns. */
json_t *cz_table_build(cz_req *req, const cz_resource *r, json_t *const *objs,
		       size_t n, bool with_columns);

/* Garbage collector thread: dependents of deleted owners, finalizers
 * "orphan" and "foregroundDeletion", namespace termination. */
int cz_gc_start(cz_server *srv, cz_error *err);
void cz_gc_stop(cz_server *srv);

/* Metrics. */
cz_metrics *cz_metrics_new(void);
void cz_metrics_free(cz_metrics *m);
void cz_metrics_observe(cz_metrics *m, const char *verb, const char *resource,
			unsigned code, double seconds);
void cz_metrics_render(cz_metrics *m, cz_server *srv, cz_buf *out);

/* The listener. */
int cz_http_start(cz_server *srv, const char *cert_pem, const char *key_pem,
		  cz_error *err);
void cz_http_stop(cz_server *srv);

#endif
