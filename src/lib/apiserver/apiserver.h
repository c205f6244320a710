#ifndef CZ_APISERVER_APISERVER_H
#define CZ_APISERVER_APISERVER_H

/*
 * The API server's verbs as a library: get, list, create, update, patch
 * (merge, JSON, strategic merge), server-side apply, delete and
 * delete-collection, with every rule kube-apiserver applies to them
 * (validation, defaulting, server-owned metadata, generation, no-op
 * skip, finalizers, managedFields, preconditions, resourceVersion
 * conflicts).  They never reply: each fills a cz_api_call with the answer
 * (the object, or a v1 Status) and returns a code.  The HTTP handlers of
 * cozypkgd, its garbage collector and the in-process client of the
 * controllers all call these functions, so every write obeys the same
 * rules whoever makes it.
 *
 * Authorisation is the caller's (it knows the user); the verbs trust it.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/resource.h"
#include "auth/token.h"
#include "store/store.h"
#include "util/error.h"

/* Request options come from the query string of whatever transport
 * carries the call: the function returns the value of key, or NULL. */
typedef const char *(*cz_api_query_fn)(void *ctx, const char *key);

/* A list answer: the selected stored objects in key order. */
typedef struct cz_api_list {
	cz_blob **items; /* references the call owns */
	size_t n;
	int64_t rv;       /* the snapshot's revision */
	char *next;       /* continue token, or NULL */
	size_t remaining; /* remainingItemCount when next is set */
} cz_api_list;

typedef struct cz_api_call {
	/* In: the target and the request's context, set by the caller. */
	cz_store *store;
	const cz_resource *res;
	char *ns;   /* owned (cz_api_call_release frees); NULL: none */
	char *name; /* owned; a create fills it from metadata.name */
	char *sub;  /* owned; "status", "finalize" or NULL */
	const char *user_agent; /* for the default field manager; may be NULL */
	cz_api_query_fn query;  /* may be NULL: no options */
	void *query_ctx;
	size_t max_body; /* cap on decoded continue tokens and documents */
	/* Package values against the charts' schemas (apiserver/values.h);
	 * NULL: not checked. */
	const struct cz_values_admission *values;
	/* Who asks, for the rules that depend on it (publishing a package
	 * revision); NULL: the server itself. */
	const cz_user *user;
	/* The git storage of package revisions (revision/revstore.h); NULL:
	 * they are not served. */
	struct cz_revstore *revisions;

	/* Out: what to answer, set by the verb.  On success code is the HTTP
	 * status (200, 201) and object and/or blob hold the answer; on
	 * failure code is the HTTP status of status, a v1 Status. */
	unsigned code;
	json_t *object;   /* owned, or NULL when blob alone answers */
	cz_blob *blob;    /* owned reference: the stored text of object */
	json_t *status;   /* owned, failures only */
	json_t *warnings; /* owned array of strings, or NULL */
	cz_api_list list; /* cz_api_list_objects only */
} cz_api_call;

/* Sets up c for r; ns, name, sub are copied (each may be NULL). */
void cz_api_call_init(cz_api_call *c, cz_store *store, const cz_resource *r,
		      const char *ns, const char *name, const char *sub);
/* Sets up c for the object a store key names; CZ_ENOTFOUND when the key
 * names no served resource. */
int cz_api_call_init_key(cz_api_call *c, cz_store *store, const char *key);
/* Frees what the call owns (its target and its answer). */
void cz_api_call_release(cz_api_call *c);

/* The verbs.  Each returns CZ_OK or a negative cz_code, and fills c's
 * answer either way.  obj and patch are borrowed (obj may be modified:
 * pass a copy when it must stay as it was).  CZ_ECONFLICT is a
 * resourceVersion conflict, CZ_EEXISTS an existing name, CZ_EINVALID a
 * refused object (422) or request (400). */
int cz_api_get(cz_api_call *c);
int cz_api_list_objects(cz_api_call *c);
int cz_api_create(cz_api_call *c, json_t *obj);
int cz_api_update(cz_api_call *c, json_t *obj);
/* content_type selects merge, JSON, strategic merge patch or apply. */
int cz_api_patch(cz_api_call *c, const char *content_type,
		 const json_t *patch);
/* options: the DeleteOptions body, or NULL. */
int cz_api_delete(cz_api_call *c, const json_t *options);
int cz_api_delete_collection(cz_api_call *c, const json_t *options);

/* The list answer of cz_api_list_objects as kube's JSON text, joined
 * from the stored texts (no parse), appended to out. */
struct cz_buf;
void cz_api_list_text(const cz_api_call *c, struct cz_buf *out);
/* The part of that text before the first item (up to `"items":[`); the
 * rest is the items' texts joined by commas, then CZ_API_LIST_TAIL. */
void cz_api_list_head(const cz_api_call *c, struct cz_buf *out);
#define CZ_API_LIST_TAIL "]}"

/* The answer's object, parsed from the blob when only the blob is held
 * (a new reference, or NULL when there is no object). */
json_t *cz_api_answer_object(cz_api_call *c);

/*
 * Failures.  cz_api_fail records a v1 Status {code, reason, message,
 * details (borrowed, may be NULL)} as the answer and returns rc.
 * cz_api_error records the Status kube-apiserver gives for a store or
 * library code (404 NotFound naming the object, 409 AlreadyExists or
 * Conflict, 400, 413, 403, 410, else 500) and returns code.
 */
int cz_api_fail(cz_api_call *c, int rc, unsigned http, const char *reason,
		const json_t *details, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int cz_api_error(cz_api_call *c, int code, const char *message);
/* The Status for a code, as cz_api_error builds it, for callers without a
 * call (new reference). */
json_t *cz_api_status_new(const cz_resource *r, const char *name, int code,
			  const char *message, unsigned *http);

/* The query option key, or NULL. */
const char *cz_api_query(const cz_api_call *c, const char *key);
bool cz_api_query_true(const cz_api_call *c, const char *key);
/* The field manager: ?fieldManager=, else the user agent's program name
 * ("kubectl" of "kubectl/v1.31"), else "unknown". */
const char *cz_api_field_manager(const cz_api_call *c, char *buf,
				 size_t size);

/* Parsed list filters: labelSelector and fieldSelector from the query.
 * CZ_EINVALID (with c's answer set to 400) on a malformed selector; *out
 * is freed with cz_filters_free either way. */
typedef struct cz_filters cz_filters;
int cz_filters_parse(cz_api_call *c, cz_filters **out);
bool cz_filters_empty(const cz_filters *f);
bool cz_filters_match(const cz_filters *f, const json_t *obj);
void cz_filters_free(cz_filters *f);

/* ---- object helpers shared by the verbs, the server and the GC ---- */

/* Parses the stored text of a blob; NULL only on a corrupt store. */
json_t *cz_blob_json(const cz_blob *b);
/* obj.metadata, created when missing (borrowed). */
json_t *cz_meta(json_t *obj);
int64_t cz_meta_rv(const json_t *obj);
/* Index of the string s in array, or -1. */
long cz_string_index(const json_t *array, const char *s);
/* A new random RFC 4122 version 4 UUID. */
void cz_new_uid(char out[37]);
/* Whether this kind records metadata.generation (custom resources do,
 * ConfigMaps and Secrets do not). */
bool cz_tracks_generation(const cz_resource *r);
/* Whether an object being deleted has no finalizer left (for a Namespace,
 * also none in spec.finalizers): then it goes. */
bool cz_deletion_finished(const cz_resource *r, const json_t *obj);

/* "packages.cozystack.io" or "namespaces": the name kube uses in
 * messages. */
const char *cz_qualified_resource(const cz_resource *r, char *buf,
				  size_t size);
/* Store key of an object, and the prefix of a list ("" namespace = all);
 * malloc'ed. */
char *cz_object_key(const cz_resource *r, const char *ns, const char *name);
char *cz_list_prefix(const cz_resource *r, const char *ns);
/* The resource whose objects a store key names, or NULL. */
const cz_resource *cz_key_resource(const char *key);

/* ---- the garbage collector's steps, under the same rules ---- */

/* Stores next, the object at c's target as read at rv (cur) with one step
 * of its deletion done (an owner reference or a finalizer removed), with
 * the rules of an update; the object goes when no finalizer is left.
 * CZ_ECONFLICT when it moved past rv. */
int cz_api_update_from(cz_api_call *c, const json_t *cur, json_t *next,
		       int64_t rv);

#endif
