#ifndef CZ_STORE_STORE_H
#define CZ_STORE_STORE_H

/*
 * cz_store: where cozypkgd keeps every API object.
 *
 * SQLite in WAL mode makes each write durable; an in-memory ordered index
 * serves every read; a shared ring of recent events feeds Kubernetes-style
 * watches.  All functions may be called from many threads at once: reads
 * run concurrently, writes are serialised.  See docs/store.md.
 *
 * Keys are opaque non-empty strings ("group/resource/namespace/name" as
 * built by the API layer); LIST orders them bytewise (strcmp).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/blob.h"
#include "util/error.h"

typedef struct cz_store cz_store;

typedef struct cz_store_opts {
	const char *path;    /* SQLite database file; created if missing */
	bool sync_full;      /* PRAGMA synchronous=FULL instead of NORMAL */
	size_t event_window; /* events retained for watches; 0 = 10000 */
} cz_store_opts;

#define CZ_STORE_EVENT_WINDOW_DEFAULT 10000

/* The stored values are cz_blobs (util/blob.h): one immutable copy of each
 * object shared by GET, LIST and every watcher. */

/* Opens (creating when missing) the database at opts->path and loads every
 * object into memory.  On success *out is a store the caller closes with
 * cz_store_close().  CZ_EIO when the file cannot be opened or read (or
 * another process has it open), CZ_EINVALID when it is not a database, is
 * damaged, or holds a damaged row; the message names the file, and the key
 * of a damaged row. */
int cz_store_open(const cz_store_opts *opts, cz_store **out, cz_error *err);
/* Ends all watches, checkpoints the WAL (TRUNCATE), closes.  NULL-safe.
 * No other call on st may be running or follow; open cz_watch handles stay
 * valid (their next call returns CZ_EIO) and must still be closed. */
void cz_store_close(cz_store *st);

int64_t cz_store_revision(cz_store *st); /* last assigned revision */
size_t cz_store_count(cz_store *st);     /* objects stored */
size_t cz_store_bytes(cz_store *st);     /* sum of value lengths */

/* *out receives a reference the caller unrefs.  CZ_ENOTFOUND when absent. */
int cz_store_get(cz_store *st, const char *key, cz_blob **out,
		 cz_error *err);

/*
 * Writes.  The store assigns the next revision (one monotonic counter for
 * the whole store), sets obj's metadata.resourceVersion to it as a decimal
 * string (creating metadata if needed), serialises obj compactly in its own
 * key order, commits the SQLite transaction, updates the index, appends the
 * event, wakes watchers, and only then returns: a returned write is durable
 * against kill -9.  *out (optional) receives a reference to the new blob,
 * which the caller unrefs.  obj stays the caller's; it is modified only in
 * metadata.resourceVersion.  CZ_EINVALID when obj is not an object or its
 * metadata is not an object; CZ_EIO when SQLite fails (nothing changed).
 */
int cz_store_create(cz_store *st, const char *key, json_t *obj,
		    cz_blob **out, cz_error *err); /* CZ_EEXISTS */
/* expect_rv 0 = unconditional; otherwise CZ_ECONFLICT when the stored rv
 * differs.  CZ_ENOTFOUND if absent. */
int cz_store_update(cz_store *st, const char *key, json_t *obj,
		    int64_t expect_rv, cz_blob **out, cz_error *err);
/* Removes key.  The DELETED event, and *out, carry the last stored object
 * with metadata.resourceVersion set to the deletion's own new revision (as
 * kube-apiserver does).  expect_rv as for update. */
int cz_store_delete(cz_store *st, const char *key, int64_t expect_rv,
		    cz_blob **out, cz_error *err);

/* Creates n objects in one SQLite transaction with consecutive revisions:
 * all of them or, on any error, none (CZ_EEXISTS names the first key that
 * exists or repeats).  One commit instead of n makes seeding and bulk
 * imports fast; watchers see n ADDED events. */
int cz_store_create_batch(cz_store *st, size_t n, const char *const *keys,
			  json_t *const *objs, cz_error *err);

/*
 * A consistent snapshot of every object whose key starts with prefix and
 * sorts strictly after start_after (NULL = from the first), in bytewise key
 * order: *items is a malloc'd array of *n blob references (caller unrefs
 * each and frees the array; NULL when *n is 0); *rv the store revision of
 * the snapshot.
 */
int cz_store_list(cz_store *st, const char *prefix, const char *start_after,
		  cz_blob ***items, size_t *n, int64_t *rv, cz_error *err);
/* cz_store_list returning at most limit items (0 = no limit); *more (may be
 * NULL) tells whether further matching keys follow the last one returned,
 * which is then the start_after of the next page. */
int cz_store_list_page(cz_store *st, const char *prefix,
		       const char *start_after, size_t limit, cz_blob ***items,
		       size_t *n, int64_t *rv, bool *more, cz_error *err);

typedef enum cz_event_type {
	CZ_EV_NONE,
	CZ_EV_ADDED,
	CZ_EV_MODIFIED,
	CZ_EV_DELETED
} cz_event_type;

typedef struct cz_event {
	cz_event_type type;
	cz_blob *object; /* a reference the receiver owns (unref it), NULL
			    for NONE */
} cz_event;

typedef struct cz_watch cz_watch;

/* Events for keys under prefix with revision > from_rv.  from_rv 0 means
 * "from now".  CZ_EGONE when from_rv is older than the retained window
 * (after a restart the window starts empty at the current revision, so any
 * from_rv < current revision is gone, as after an etcd compaction).  A
 * from_rv beyond the current revision waits for that revision.  CZ_EIO
 * after cz_store_stop_watches().  *out is closed with cz_watch_close(). */
int cz_store_watch(cz_store *st, const char *prefix, int64_t from_rv,
		   cz_watch **out, cz_error *err);
/* Waits up to timeout_ms (negative: without limit) for the next event.  0
 * with ev->type CZ_EV_NONE on timeout; CZ_EGONE when this watcher fell
 * behind the window; CZ_EIO when the store is stopping.  Events arrive in
 * revision order.  One thread at a time per watch. */
int cz_watch_next(cz_watch *w, int timeout_ms, cz_event *ev, cz_error *err);
/* The revision up to which this watcher has seen every event (delivered,
 * or skipped for not matching its prefix), or its start: a bookmark. */
int64_t cz_watch_revision(cz_watch *w);
/* How many times a write (or the stop) woke this watch from its wait: a
 * write wakes only the watches whose prefix its key is under.  For tests
 * and metrics. */
size_t cz_watch_wakeups(cz_watch *w);
void cz_watch_close(cz_watch *w); /* NULL-safe */
size_t cz_store_watch_count(cz_store *st);
/* Wakes every watcher so that cz_watch_next returns CZ_EIO (graceful
 * shutdown); later cz_store_watch calls fail with CZ_EIO too. */
void cz_store_stop_watches(cz_store *st);

#endif
