#ifndef CZ_CONTROLLER_INFORMER_H
#define CZ_CONTROLLER_INFORMER_H

/*
 * Informers: a local, always-current copy of one resource, kept by listing
 * then watching from the list's resourceVersion, as client-go's reflector
 * does.  A dropped watch resumes from the last resourceVersion seen; a 410
 * Gone (history compacted) relists and reports the differences as events.
 * Each informer runs in its own thread with its own cz_kube handle.
 *
 * The cache holds the objects as the server returned them, indexed by
 * namespace/name, by namespace and by label; readers get new references
 * and must not modify them.
 *
 * Handlers run in the informer's thread after the cache is updated; they
 * should only enqueue keys.  old is NULL for an add, new is NULL for a
 * delete.  Both are borrowed from the cache and read-only, like everything
 * the cache hands out; a handler that keeps one takes a reference.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/resource.h"
#include "kube/client.h"
#include "object/project.h"
#include "util/error.h"

typedef struct cz_informer cz_informer;

typedef void (*cz_informer_fn)(void *ctx, json_t *old_obj, json_t *new_obj);

typedef struct cz_informer_opts {
	const cz_resource *resource;
	const char *namespace;      /* NULL: all namespaces */
	const char *label_selector; /* NULL: everything */
	const char *field_selector; /* NULL: everything */
	unsigned page_size;         /* list chunk; 0: 500 */
	/* Every resync_seconds (0: never) each cached object is handed to
	 * the handlers again as an update (old == new), as client-go's
	 * resync does, so that a missed or failed reconcile is retried. */
	unsigned resync_seconds;
	/* Cached objects drop metadata.managedFields (no controller reads
	 * them; they are often the largest part of an object) unless this
	 * is set. */
	bool keep_managed_fields;
	/* Cached objects are kept as compact JSON text and parsed anew for
	 * each get, list, resync and handler call, instead of as jansson
	 * trees about ten times their text's size: for resources with many
	 * objects that are read rarely (HelmReleases, ControllerRevisions).
	 * When the transport hands over each event's text as a shared blob
	 * (the in-process client passes the store's own), the cache keeps a
	 * reference to it and no text of its own.  What callers get is the
	 * same. */
	bool compact;
} cz_informer_opts;

/* The informer takes its own cz_kube_dup() of kube. */
int cz_informer_new(cz_kube *kube, const cz_informer_opts *opts,
		    cz_informer **out, cz_error *err);
/* Stops the thread if running and frees the cache. */
void cz_informer_free(cz_informer *inf);

/* Adds a handler; call before cz_informer_start().  Several allowed. */
void cz_informer_on_change(cz_informer *inf, cz_informer_fn fn, void *ctx);

int cz_informer_start(cz_informer *inf, cz_error *err);
/* Asks the thread to stop without waiting: a watch notices within a
 * second, so stopping many informers asks them all first.  NULL: none. */
void cz_informer_request_stop(cz_informer *inf);
/* Asks the thread to stop and joins it. */
void cz_informer_stop(cz_informer *inf);
/* True once the first list has been loaded into the cache. */
bool cz_informer_synced(cz_informer *inf);
/* Blocks until synced or *stop; false when stopped first. */
bool cz_informer_wait_synced(cz_informer *inf, volatile int *stop);

/* The cached object (new reference, read-only) or NULL.  ns NULL or ""
 * for cluster-scoped objects. */
json_t *cz_informer_get(cz_informer *inf, const char *ns, const char *name);
/* As cz_informer_get, where view (NULL: the whole object) names what the
 * caller reads: a compact cache over the in-process client parses only
 * that of the stored text.  Other caches hand over the whole object. */
json_t *cz_informer_get_view(cz_informer *inf, const char *ns,
			     const char *name, const cz_projection *view);
/* The same for a queue key, "ns/name" or "name". */
json_t *cz_informer_get_key(cz_informer *inf, const char *key);
/*
 * Cached objects (a new JSON array of read-only objects) in namespace ns
 * (NULL: all) with label key=value (key NULL: any labels), sorted by
 * namespace then name.
 */
json_t *cz_informer_list(cz_informer *inf, const char *ns,
			 const char *label_key, const char *label_value);
/* As cz_informer_list, but only [namespace, name] of each object ("" for
 * cluster-scoped ones): a compact cache parses nothing. */
json_t *cz_informer_list_names(cz_informer *inf, const char *ns,
			       const char *label_key, const char *label_value);
size_t cz_informer_count(cz_informer *inf);

/* Hands every cached object to the handlers as an update (old == new),
 * from the caller's thread. */
void cz_informer_resync(cz_informer *inf);

/* Counters for tests and metrics. */
typedef struct cz_informer_stats {
	unsigned long lists;    /* full lists (1 + relists) */
	unsigned long watches;  /* watch requests opened */
	unsigned long events;   /* events applied */
	unsigned long resyncs;  /* resyncs delivered */
	/* Cached objects held as the transport's shared text (a compact
	 * cache over the in-process client), not a copy of their own. */
	size_t shared;
} cz_informer_stats;
void cz_informer_get_stats(cz_informer *inf, cz_informer_stats *out);

/* "ns/name" or "name": the key of obj, malloc'ed. */
char *cz_object_cache_key(const json_t *obj);

#endif
