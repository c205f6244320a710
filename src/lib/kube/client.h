#ifndef CZ_KUBE_CLIENT_H
#define CZ_KUBE_CLIENT_H

/*
 * A client for a Kubernetes API server (cozypkgd or any kube-apiserver),
 * over HTTPS with libcurl: the transport of the controllers, in-process and
 * in operator mode alike, and of the cozypkg CLI.
 *
 * A cz_kube handle keeps one connection alive and is used by one thread at
 * a time; a thread that needs its own connection takes cz_kube_dup().
 * Every response body is capped (CZ_KUBE_MAX_BODY by default) so a server
 * can never make the client grow without bound.
 *
 * Paths are API paths with their query string, e.g.
 * "/apis/cozystack.io/v1alpha1/packages?labelSelector=a%3Db"; build them
 * with cz_kube_path().
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/resource.h"
#include "kube/kubeconfig.h"
#include "object/project.h"
#include "util/blob.h"
#include "util/buf.h"
#include "util/error.h"

#define CZ_KUBE_MAX_BODY (256u * 1024 * 1024)

typedef struct cz_kube cz_kube;

typedef struct cz_kube_opts {
	const char *user_agent;   /* NULL: "cozypkg/VERSION" */
	unsigned timeout_seconds; /* per request, not watches; 0: 60 */
	size_t max_body;          /* 0: CZ_KUBE_MAX_BODY */
} cz_kube_opts;

/*
 * Opens a client for the server, CA, token or client certificate that kc
 * names (kc is copied; the caller keeps it).  Nothing is sent yet.  The
 * handle is freed with cz_kube_free().
 */
int cz_kube_open(const cz_kubeconfig *kc, const cz_kube_opts *opts,
		 cz_kube **out, cz_error *err);
/* A second handle to the same server with the same credentials, for
 * another thread; the caller frees it with cz_kube_free(). */
int cz_kube_dup(const cz_kube *k, cz_kube **out, cz_error *err);
void cz_kube_free(cz_kube *k);
/* The server URL, borrowed from the handle. */
const char *cz_kube_server(const cz_kube *k);

/*
 * Transports.  A handle sends its requests over libcurl (cz_kube_open) or
 * through a transport of the caller's: the in-process one of cozypkgd
 * (apiserver/direct.h) calls the API server's verbs without TLS, socket
 * or JSON text.  Whoever holds a cz_kube cannot tell which it has: the
 * answers, codes and watch events are the same.
 */
typedef struct cz_kube_response cz_kube_response;
/* One watch event; see cz_kube_watch. */
typedef int (*cz_kube_event_fn)(void *ctx, const char *type, json_t *object,
				cz_blob *text);
typedef struct cz_kube_transport {
	/* One request; proj (may be NULL) as for cz_kube_get_projected. */
	int (*request)(void *ctx, const char *method, const char *path,
		       const char *content_type, const json_t *body,
		       const cz_projection *proj, cz_kube_response *resp,
		       cz_error *err);
	/* A watch, as cz_kube_watch_projected. */
	int (*watch)(void *ctx, const char *path, const cz_projection *proj,
		     cz_kube_event_fn on_event, void *event_ctx,
		     volatile int *stop, cz_error *err);
	/* A context for another handle (another thread); NULL on failure. */
	void *(*dup)(void *ctx);
	void (*free)(void *ctx);
} cz_kube_transport;

/* A handle over transport t with context ctx (the handle takes it and
 * frees it with t->free); server names it in messages.  Freed with
 * cz_kube_free(). */
int cz_kube_open_transport(const cz_kube_transport *t, void *ctx,
			   const char *server, const cz_kube_opts *opts,
			   cz_kube **out, cz_error *err);

/*
 * Path of a collection (name NULL), an object, or a subresource (sub,
 * e.g. "status").  ns is ignored for cluster-scoped resources; NULL or ""
 * for a namespaced resource means all namespaces.  query (may be NULL) is
 * appended after "?" as given: the caller escapes its values with
 * cz_kube_escape().  Returns a malloc'ed string.
 */
char *cz_kube_path(const cz_resource *r, const char *ns, const char *name,
		   const char *sub, const char *query);
/* Percent-encodes s for a query value; malloc'ed. */
char *cz_kube_escape(const char *s);

/* One answer from the server. */
struct cz_kube_response {
	long status; /* HTTP status */
	json_t *body; /* parsed JSON body (owned), or NULL when not JSON */
};
void cz_kube_response_release(cz_kube_response *r);

/*
 * Sends one request.  body may be NULL; content_type defaults to
 * application/json when a body is given.  Returns CZ_OK whenever the
 * server answered, whatever the status: the caller reads resp->status.
 * Transport failures (connection refused, TLS, timeout, oversized body)
 * return CZ_EIO or CZ_ETOOLARGE with a one-line message naming the server
 * and the cause, e.g. "https://127.0.0.1:8443: connection refused".
 */
int cz_kube_request(cz_kube *k, const char *method, const char *path,
		    const char *content_type, const json_t *body,
		    cz_kube_response *resp, cz_error *err);

/*
 * GETs the absolute url into out (appended; out's cap bounds it), for
 * the artifacts Flux sources serve.  The handle's token and client
 * certificate go only to its own server: another host gets a plain
 * request.  A non-2xx answer maps as for the verbs below.  Not available
 * on an in-process handle (CZ_EINVALID).
 */
int cz_kube_fetch(cz_kube *k, const char *url, cz_buf *out, cz_error *err);

/*
 * The verbs, for the common case.  Each returns CZ_OK for a 2xx answer and
 * hands the returned object to *out (owned by the caller; out may be NULL).
 * A non-2xx answer maps to a code with the server's Status message in err:
 * 404 CZ_ENOTFOUND, 409 with reason AlreadyExists CZ_EEXISTS, other 409
 * CZ_ECONFLICT, 400/422 CZ_EINVALID, 401/403 CZ_EDENIED, 410 CZ_EGONE,
 * 413 CZ_ETOOLARGE, others CZ_ERR.
 */
int cz_kube_get(cz_kube *k, const char *path, json_t **out, cz_error *err);
int cz_kube_create(cz_kube *k, const char *path, const json_t *obj,
		   json_t **out, cz_error *err);
int cz_kube_update(cz_kube *k, const char *path, const json_t *obj,
		   json_t **out, cz_error *err);
/* patch_type: "application/merge-patch+json", "application/json-patch+json",
 * "application/strategic-merge-patch+json" or "application/apply-patch+yaml"
 * (for which body is sent as JSON, which is YAML). */
int cz_kube_patch(cz_kube *k, const char *path, const char *patch_type,
		  const json_t *patch, json_t **out, cz_error *err);
/* options: a DeleteOptions object, or NULL. */
int cz_kube_delete(cz_kube *k, const char *path, const json_t *options,
		   json_t **out, cz_error *err);
/* Creates the Namespace ns unless it exists (a concurrent creation is
 * fine).  For writers into a namespace a bare cluster may not have. */
int cz_kube_ensure_namespace(cz_kube *k, const char *ns, cz_error *err);

/* GET of r's collection in ns (NULL or "": all namespaces) whose labels
 * match label_selector (NULL: every object); *list is owned by the
 * caller. */
int cz_kube_list(cz_kube *k, const cz_resource *r, const char *ns,
		 const char *label_selector, json_t **list, cz_error *err);
/* GET keeping only what proj names of a successful answer (see
 * object/project.h): for large lists of which a caller reads little. */
int cz_kube_get_projected(cz_kube *k, const char *path,
			  const cz_projection *proj, json_t **out,
			  cz_error *err);
/* Maps an answer to a cz_code as the verbs above do; CZ_OK for 2xx. */
int cz_kube_check(const cz_kube *k, const cz_kube_response *resp,
		  cz_error *err);

/*
 * Watch stream.  Sends GET path (which must carry watch=1 or watch=true)
 * and calls on_event for every event line as it arrives: type is "ADDED",
 * "MODIFIED", "DELETED", "BOOKMARK" or "ERROR"; object is borrowed for the
 * duration of the call.  text, when the transport has it (the in-process
 * one does, HTTPS never), is the object's stored text as one shared
 * immutable blob, borrowed too (take a reference to keep it): object is
 * that text parsed, so a caller that keeps text rather than object holds
 * no copy of its own.  NULL otherwise.  Returns when the server ends the stream (CZ_OK),
 * when on_event returns non-zero (that value), when *stop becomes true
 * (CZ_OK, checked at least once a second), or on a transport failure
 * (CZ_EIO).  A non-2xx answer to the request itself maps as cz_kube_check.
 * Single event lines are capped at max_body.
 */
int cz_kube_watch(cz_kube *k, const char *path, cz_kube_event_fn on_event,
		  void *ctx, volatile int *stop, cz_error *err);
/* The same, where proj (may be NULL) says what of each object the caller
 * reads, e.g. "-metadata.managedFields": a transport that holds the
 * stored text (the in-process one) parses only that, so object is then
 * text projected through proj.  Over HTTPS the whole object comes: the
 * caller must accept either. */
int cz_kube_watch_projected(cz_kube *k, const char *path,
			    const cz_projection *proj,
			    cz_kube_event_fn on_event, void *ctx,
			    volatile int *stop, cz_error *err);

#endif
