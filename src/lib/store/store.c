#include "store/store.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "object/emit.h"
#include "util/blob.h"
#include "store/events.h"
#include "store/index.h"
#include "store/jsoncheck.h"
#include "util/mem.h"
#include "util/sort.h"
#include "util/strmap.h"

/* PRAGMA user_version of the schema below; 0 is a new, empty file. */
#define SCHEMA_VERSION 1

/* The prepared statements of the write path. */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_PUT,
	ST_DELETE,
	ST_SET_REVISION,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PUT] = "REPLACE INTO objects (key, rv, value) VALUES (?1, ?2, ?3)",
	[ST_DELETE] = "DELETE FROM objects WHERE key = ?1",
	[ST_SET_REVISION] = "UPDATE meta SET revision = ?1 WHERE id = 0",
};

static const char schema_sql[] =
	"BEGIN;"
	"CREATE TABLE objects ("
	" key TEXT NOT NULL UNIQUE,"
	" rv INTEGER NOT NULL,"
	" value TEXT NOT NULL);"
	"CREATE TABLE meta ("
	" id INTEGER PRIMARY KEY CHECK (id = 0),"
	" revision INTEGER NOT NULL);"
	"INSERT INTO meta (id, revision) VALUES (0, 0);"
	"PRAGMA user_version = 1;"
	"COMMIT;";

/* A write accepted into the open transaction. */
typedef struct pending {
	cz_event_type type;
	cz_blob *event; /* what watchers receive (owned) */
	bool removes;   /* a delete: event->key leaves the index */
} pending;

/* The outcome of one commit, kept until every writer of that batch has
 * read it (they wake within a commit or two; the ring is far larger). */
#define RESULT_RING 256
typedef struct batch_result {
	int rc;
	char msg[CZ_ERROR_MSG_MAX];
} batch_result;

/* The overlay's mark for a key deleted in the open transaction. */
static cz_blob gone_marker;

struct cz_store {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	/* Serialises writers, and with them every use of db after open. */
	pthread_mutex_t write_mu;
	/* Guards index and revision: readers share it, a writer takes it
	 * exclusively only to publish a committed change.  Writers read the
	 * index under write_mu alone, as only they change it. */
	pthread_rwlock_t lock;
	cz_index index;
	int64_t revision;
	cz_hub *hub;

	/* Group commit (under write_mu): writes accepted into the open
	 * transaction but not yet committed, in revision order, and what
	 * they make of their keys for the next writer's preconditions. */
	bool txn_open;
	int64_t accepted;  /* the last revision handed out */
	pending *pend;
	size_t npend, pend_cap;
	cz_strmap overlay; /* key -> pending blob, or &gone_marker */
	uint64_t batch;    /* the batch the next accepted write joins */
	/* Committing (under commit_mu): one writer at a time commits every
	 * accepted write; the others wait for their batch's result. */
	pthread_mutex_t commit_mu;
	pthread_cond_t committed;
	bool committing;
	uint64_t done_batch; /* every batch up to here has its result */
	batch_result results[RESULT_RING];
};

/* ---- SQLite ------------------------------------------------------------ */

static int sql_fail(cz_store *st, cz_error *err, const char *what)
{
	int code = sqlite3_errcode(st->db);
	int rc = (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? CZ_EINVALID
								    : CZ_EIO;

	return cz_fail(err, rc, "%s: %s: %s", st->path, what,
		       sqlite3_errmsg(st->db));
}

static int exec_sql(cz_store *st, const char *sql, cz_error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(st, err, sql);
	return CZ_OK;
}

/* Runs a query that yields one row of one column into *text (a copy the
 * caller frees) or *num; either may be NULL. */
static int query_one(cz_store *st, const char *sql, char **text,
		     int64_t *num, cz_error *err)
{
	sqlite3_stmt *q = NULL;
	int rc = CZ_OK;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		rc = sql_fail(st, err, sql);
		goto cleanup;
	}
	if (text) {
		const unsigned char *t = sqlite3_column_text(q, 0);

		*text = cz_xstrdup(t ? (const char *)t : "");
	}
	if (num)
		*num = sqlite3_column_int64(q, 0);
cleanup:
	sqlite3_finalize(q);
	return rc;
}

/* Steps a write statement to completion and resets it for the next use. */
static int step_done(cz_store *st, enum stmt_id id, cz_error *err)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = CZ_OK;

	if (sqlite3_step(s) != SQLITE_DONE)
		rc = sql_fail(st, err, stmt_sql[id]);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static int sql_put(cz_store *st, const cz_blob *b, cz_error *err)
{
	sqlite3_stmt *s = st->stmt[ST_PUT];

	/* SQLITE_STATIC: the blob outlives the statement's step. */
	sqlite3_bind_text(s, 1, b->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, b->rv);
	sqlite3_bind_text(s, 3, b->data, (int)b->len, SQLITE_STATIC);
	return step_done(st, ST_PUT, err);
}

static int sql_delete(cz_store *st, const char *key, cz_error *err)
{
	sqlite3_bind_text(st->stmt[ST_DELETE], 1, key, -1, SQLITE_STATIC);
	return step_done(st, ST_DELETE, err);
}

static int sql_commit(cz_store *st, int64_t revision, cz_error *err)
{
	int rc;

	sqlite3_bind_int64(st->stmt[ST_SET_REVISION], 1, revision);
	if ((rc = step_done(st, ST_SET_REVISION, err)) < 0 ||
	    (rc = step_done(st, ST_COMMIT, err)) < 0)
		return rc;
	return CZ_OK;
}

/* Undoes the open transaction after a failed step; a failed COMMIT may
 * have ended it already, so a failing ROLLBACK is expected then. */
static void sql_rollback(cz_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		step_done(st, ST_ROLLBACK, NULL);
}

/* ---- Opening and loading ---------------------------------------------- */

static int configure(cz_store *st, bool sync_full, cz_error *err)
{
	char *mode = NULL;
	int rc;

	/* One process owns the file: the in-memory index is only right while
	 * no one else writes.  Exclusive locking also lets WAL work without
	 * the shared-memory index file. */
	if ((rc = exec_sql(st, "PRAGMA locking_mode = EXCLUSIVE", err)) < 0)
		goto cleanup;
	/* The first statement that reads the file: a damaged or foreign file
	 * fails here. */
	if ((rc = query_one(st, "PRAGMA journal_mode = WAL", &mode, NULL,
			    err)) < 0) {
		if (sqlite3_errcode(st->db) == SQLITE_BUSY)
			rc = cz_fail(err, CZ_EIO, "%s: the store is in use by "
				     "another process", st->path);
		else
			rc = cz_fail(err, rc, "%s: cannot open the store: %s",
				     st->path, sqlite3_errmsg(st->db));
		goto cleanup;
	}
	if (strcmp(mode, "wal") != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: cannot switch to WAL mode "
			     "(journal mode is %s)", st->path, mode);
		goto cleanup;
	}
	rc = exec_sql(st, sync_full ? "PRAGMA synchronous = FULL"
				    : "PRAGMA synchronous = NORMAL", err);
cleanup:
	free(mode);
	return rc;
}

static int ensure_schema(cz_store *st, cz_error *err)
{
	int64_t version = 0;
	int rc;

	rc = query_one(st, "PRAGMA user_version", NULL, &version, err);
	if (rc < 0)
		return rc;
	if (version == 0)
		return exec_sql(st, schema_sql, err);
	if (version != SCHEMA_VERSION)
		return cz_fail(err, CZ_EINVALID,
			       "%s: store schema version %" PRId64
			       " is not supported (this build knows %d)",
			       st->path, version, SCHEMA_VERSION);
	return CZ_OK;
}

static int prepare_statements(cz_store *st, cz_error *err)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
				       NULL) != SQLITE_OK)
			return sql_fail(st, err, stmt_sql[i]);
	return CZ_OK;
}

static int cmp_blob_key(const void *a, const void *b)
{
	return strcmp((*(cz_blob *const *)a)->key, (*(cz_blob *const *)b)->key);
}

/* Checks one stored row before it is trusted: its value must be a JSON
 * object and its revision within the store's. */
static int check_row(cz_store *st, const char *key, int64_t rv,
		     const char *data, size_t len, cz_error *err)
{
	cz_error why = CZ_ERROR_INIT;

	if (cz_json_check_object(data, len, &why) < 0)
		return cz_fail(err, CZ_EINVALID,
			       "%s: stored object %s is not a valid JSON "
			       "object: %s",
			       st->path, key, why.msg);
	if (rv <= 0 || rv > st->revision)
		return cz_fail(err, CZ_EINVALID,
			       "%s: stored object %s has revision %" PRId64
			       " outside the store's 1..%" PRId64,
			       st->path, key, rv, st->revision);
	return CZ_OK;
}

/* Reads every row in table order, then sorts once: faster than reading
 * through the key index, which visits the table pages at random. */
static int load_objects(cz_store *st, cz_error *err)
{
	static const char sql[] = "SELECT key, rv, value FROM objects";
	sqlite3_stmt *q = NULL;
	cz_blob **all = NULL;
	size_t n = 0, cap = 0;
	int rc, step;

	if ((rc = query_one(st, "SELECT revision FROM meta WHERE id = 0", NULL,
			    &st->revision, err)) < 0)
		goto cleanup;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
		rc = sql_fail(st, err, sql);
		goto cleanup;
	}
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(q, 0);
		int64_t rv = sqlite3_column_int64(q, 1);
		const char *data = (const char *)sqlite3_column_text(q, 2);
		size_t len = (size_t)sqlite3_column_bytes(q, 2);

		if (!key || !data) {
			rc = cz_fail(err, CZ_EINVALID, "%s: a stored row has "
				     "no key or no value", st->path);
			goto cleanup;
		}
		if ((rc = check_row(st, key, rv, data, len, err)) < 0)
			goto cleanup;
		CZ_GROW(all, n + 1, cap);
		all[n++] = cz_blob_new(key, rv, data, len);
	}
	if (step != SQLITE_DONE) {
		rc = sql_fail(st, err, sql);
		goto cleanup;
	}
	cz_sort(all, n, sizeof(*all), cmp_blob_key);
	for (size_t i = 0; i < n; i++)
		cz_index_append(&st->index, all[i]);
	n = 0; /* the index holds them now */
cleanup:
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(all[i]);
	free(all);
	sqlite3_finalize(q);
	return rc;
}

int cz_store_open(const cz_store_opts *opts, cz_store **out, cz_error *err)
{
	cz_store *st = NULL;
	size_t window;
	int rc;

	*out = NULL;
	if (!opts || !opts->path || !*opts->path)
		return cz_fail(err, CZ_EINVALID, "store: no database path");
	window = opts->event_window ? opts->event_window
				    : CZ_STORE_EVENT_WINDOW_DEFAULT;
	st = cz_xcalloc(1, sizeof(*st));
	st->path = cz_xstrdup(opts->path);
	pthread_mutex_init(&st->write_mu, NULL);
	pthread_mutex_init(&st->commit_mu, NULL);
	pthread_cond_init(&st->committed, NULL);
	pthread_rwlock_init(&st->lock, NULL);
	cz_index_init(&st->index);
	if (sqlite3_open_v2(st->path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = st->db ? sql_fail(st, err, "cannot open")
			    : cz_fail(err, CZ_EIO, "%s: cannot open",
				      st->path);
		goto cleanup;
	}
	sqlite3_extended_result_codes(st->db, 0);
	if ((rc = configure(st, opts->sync_full, err)) < 0 ||
	    (rc = ensure_schema(st, err)) < 0 ||
	    (rc = prepare_statements(st, err)) < 0 ||
	    (rc = load_objects(st, err)) < 0)
		goto cleanup;
	/* After a restart no history is kept: the window starts empty at the
	 * current revision. */
	st->hub = cz_hub_new(window, st->revision);
	st->accepted = st->revision;
	*out = st;
	st = NULL;
cleanup:
	cz_store_close(st);
	return rc;
}

void cz_store_close(cz_store *st)
{
	if (!st)
		return;
	if (st->hub)
		cz_hub_stop(st->hub);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db) {
		/* Folds the WAL into the database so that the file alone is
		 * the store again; a failure leaves the WAL, which the next
		 * open replays. */
		sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
			     NULL, NULL);
		sqlite3_close(st->db);
	}
	cz_index_release(&st->index);
	cz_hub_unref(st->hub);
	pthread_rwlock_destroy(&st->lock);
	pthread_mutex_destroy(&st->write_mu);
	pthread_mutex_destroy(&st->commit_mu);
	pthread_cond_destroy(&st->committed);
	cz_strmap_release(&st->overlay);
	free(st->pend);
	free(st->path);
	free(st);
}

/* ---- Reads -------------------------------------------------------------- */

int64_t cz_store_revision(cz_store *st)
{
	int64_t rv;

	pthread_rwlock_rdlock(&st->lock);
	rv = st->revision;
	pthread_rwlock_unlock(&st->lock);
	return rv;
}

size_t cz_store_count(cz_store *st)
{
	size_t n;

	pthread_rwlock_rdlock(&st->lock);
	n = st->index.count;
	pthread_rwlock_unlock(&st->lock);
	return n;
}

size_t cz_store_bytes(cz_store *st)
{
	size_t n;

	pthread_rwlock_rdlock(&st->lock);
	n = st->index.bytes;
	pthread_rwlock_unlock(&st->lock);
	return n;
}

static int check_key(const char *key, cz_error *err)
{
	if (!key || !*key)
		return cz_fail(err, CZ_EINVALID, "store: empty key");
	return CZ_OK;
}

int cz_store_get(cz_store *st, const char *key, cz_blob **out, cz_error *err)
{
	cz_blob *b;
	int rc;

	*out = NULL;
	if ((rc = check_key(key, err)) < 0)
		return rc;
	pthread_rwlock_rdlock(&st->lock);
	b = cz_index_get(&st->index, key);
	if (b)
		*out = cz_blob_ref(b);
	pthread_rwlock_unlock(&st->lock);
	if (!b)
		return cz_fail(err, CZ_ENOTFOUND, "%s not found", key);
	return CZ_OK;
}

int cz_store_list_page(cz_store *st, const char *prefix,
		       const char *start_after, size_t limit, cz_blob ***items,
		       size_t *n, int64_t *rv, bool *more, cz_error *err)
{
	cz_blob **got = NULL;
	size_t len = 0, cap = 0, prefix_len;
	cz_index_pos pos;
	cz_blob *b;
	bool truncated = false;

	(void)err; /* listing cannot fail; the slot keeps the usual shape */
	if (!prefix)
		prefix = "";
	prefix_len = strlen(prefix);
	pthread_rwlock_rdlock(&st->lock);
	pos = cz_index_seek(&st->index, prefix, false);
	if (start_after && strcmp(start_after, prefix) >= 0)
		pos = cz_index_seek(&st->index, start_after, true);
	for (; (b = cz_index_at(&st->index, pos)) != NULL;
	     cz_index_next(&st->index, &pos)) {
		if (strncmp(b->key, prefix, prefix_len) != 0)
			break;
		if (limit && len == limit) {
			truncated = true;
			break;
		}
		CZ_GROW(got, len + 1, cap);
		got[len++] = cz_blob_ref(b);
	}
	*rv = st->revision;
	pthread_rwlock_unlock(&st->lock);
	*items = got;
	*n = len;
	if (more)
		*more = truncated;
	return CZ_OK;
}

int cz_store_list(cz_store *st, const char *prefix, const char *start_after,
		  cz_blob ***items, size_t *n, int64_t *rv, cz_error *err)
{
	return cz_store_list_page(st, prefix, start_after, 0, items, n, rv,
				  NULL, err);
}

/* ---- Writes ------------------------------------------------------------- */

static int set_resource_version(json_t *obj, int64_t rv, cz_error *err)
{
	char text[24];
	json_t *meta;

	if (!json_is_object(obj))
		return cz_fail(err, CZ_EINVALID, "the object is not a JSON "
			       "object");
	meta = json_object_get(obj, "metadata");
	if (!meta) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	} else if (!json_is_object(meta)) {
		return cz_fail(err, CZ_EINVALID, "metadata is not an object");
	}
	snprintf(text, sizeof(text), "%" PRId64, rv);
	json_object_set_new(meta, "resourceVersion", json_string(text));
	return CZ_OK;
}

/* Stamps obj with rv and serialises it into a new blob (*out, one
 * reference the caller owns). */
static int make_blob(const char *key, json_t *obj, int64_t rv,
		     cz_blob **out, cz_error *err)
{
	cz_buf text;
	cz_error inner = CZ_ERROR_INIT;
	int rc;

	*out = NULL;
	if ((rc = set_resource_version(obj, rv, err)) < 0)
		return rc;
	/* The object keeps its own key order. */
	cz_buf_init(&text, CZ_BUF_UNLIMITED);
	rc = cz_emit_json_stored(&text, obj, &inner);
	if (rc == CZ_OK)
		*out = cz_blob_new(key, rv, text.data, text.len);
	else
		rc = cz_fail(err, CZ_EINVALID, "%s: cannot serialise the "
			     "object: %s", key, inner.msg);
	cz_buf_release(&text);
	return rc;
}

/* Makes a committed change visible: the index, the revision and the event
 * change together under the write lock, so a LIST at revision r and a
 * WATCH from r never miss or repeat a change. */
static void publish(cz_store *st, const pending *p)
{
	cz_blob *old;

	pthread_rwlock_wrlock(&st->lock);
	if (p->removes)
		old = cz_index_remove(&st->index, p->event->key);
	else
		old = cz_index_put(&st->index, cz_blob_ref(p->event));
	st->revision = p->event->rv;
	cz_hub_append(st->hub, p->event->rv, p->type, p->event);
	pthread_rwlock_unlock(&st->lock);
	cz_blob_unref(old);
}

/* Values beyond SQLite's length limit (a billion bytes by default) could
 * not be stored; refusing them here keeps the failure out of the commit. */
static int check_size(cz_store *st, const cz_blob *b, cz_error *err)
{
	int limit = sqlite3_limit(st->db, SQLITE_LIMIT_LENGTH, -1);

	if (b->len >= (size_t)limit)
		return cz_fail(err, CZ_ETOOLARGE,
			       "%s: the object is %zu bytes, over the limit "
			       "of %d", b->key, b->len, limit);
	return CZ_OK;
}

/* The current blob of key as the next write sees it: the open
 * transaction's, else the index's; NULL when absent.  write_mu is held. */
static cz_blob *current(cz_store *st, const char *key)
{
	cz_blob *b = cz_strmap_get(&st->overlay, key);

	if (b)
		return b == &gone_marker ? NULL : b;
	return cz_index_get(&st->index, key);
}

/* Adds a write to the open transaction (begun on first use); the store
 * takes event.  Returns the batch that will commit it.  write_mu is
 * held. */
static int accept(cz_store *st, cz_event_type type, cz_blob *event,
		  uint64_t *batch, cz_error *err)
{
	bool removes = type == CZ_EV_DELETED;
	int rc = CZ_OK;

	if (!st->txn_open) {
		if ((rc = step_done(st, ST_BEGIN, err)) < 0)
			goto fail;
		st->txn_open = true;
	}
	/* A failed statement leaves the transaction as it was (SQLite rolls
	 * back that statement alone): only this write fails. */
	rc = removes ? sql_delete(st, event->key, err) : sql_put(st, event, err);
	if (rc < 0)
		goto fail;
	CZ_GROW(st->pend, st->npend + 1, st->pend_cap);
	st->pend[st->npend++] = (pending){ type, event, removes };
	cz_strmap_put(&st->overlay, event->key,
		      removes ? &gone_marker : event);
	st->accepted = event->rv;
	*batch = st->batch;
	return CZ_OK;
fail:
	cz_blob_unref(event);
	return rc;
}

/* Commits the open transaction, publishes what it held, and records the
 * outcome as batch's.  write_mu is held. */
static int commit_locked(cz_store *st, uint64_t batch, cz_error *err)
{
	int rc = CZ_OK;

	if (st->txn_open) {
		rc = sql_commit(st, st->accepted, err);
		if (rc < 0)
			sql_rollback(st);
		st->txn_open = false;
	}
	for (size_t i = 0; i < st->npend; i++) {
		if (rc == CZ_OK)
			publish(st, &st->pend[i]);
		cz_blob_unref(st->pend[i].event);
	}
	st->npend = 0;
	cz_strmap_release(&st->overlay);
	if (rc < 0)
		st->accepted = st->revision; /* nothing of the batch stands */
	st->batch = batch + 1;
	return rc;
}

/* Waits until batch is committed, committing it (and whatever joined it)
 * when no other writer is; returns the batch's outcome.  Writers that
 * arrive while a commit runs join the next batch, so that under load one
 * COMMIT serves many writes. */
static int wait_committed(cz_store *st, uint64_t batch, cz_error *err)
{
	batch_result *res = &st->results[batch % RESULT_RING];
	int rc;

	pthread_mutex_lock(&st->commit_mu);
	while (st->done_batch < batch + 1) {
		cz_error cerr = CZ_ERROR_INIT;
		uint64_t b;

		if (st->committing) {
			pthread_cond_wait(&st->committed, &st->commit_mu);
			continue;
		}
		st->committing = true;
		pthread_mutex_unlock(&st->commit_mu);
		pthread_mutex_lock(&st->write_mu);
		b = st->batch;
		rc = commit_locked(st, b, &cerr);
		pthread_mutex_unlock(&st->write_mu);
		pthread_mutex_lock(&st->commit_mu);
		st->results[b % RESULT_RING].rc = rc;
		snprintf(st->results[b % RESULT_RING].msg, CZ_ERROR_MSG_MAX, "%s",
			 cerr.msg);
		st->done_batch = b + 1;
		st->committing = false;
		pthread_cond_broadcast(&st->committed);
	}
	rc = res->rc;
	if (rc < 0)
		cz_fail(err, rc, "%s", res->msg);
	pthread_mutex_unlock(&st->commit_mu);
	return rc;
}

/* Accepts event for key (blob ownership passes) and waits for its commit;
 * *out (optional) then gets a reference to event.  write_mu is held on
 * entry and released. */
static int write_and_wait(cz_store *st, cz_event_type type, cz_blob *event,
			  cz_blob **out, cz_error *err)
{
	uint64_t batch = 0;
	int rc;

	cz_blob_ref(event); /* one for the transaction, one for the caller */
	rc = accept(st, type, event, &batch, err);
	pthread_mutex_unlock(&st->write_mu);
	if (rc == CZ_OK)
		rc = wait_committed(st, batch, err);
	if (rc == CZ_OK && out)
		*out = event;
	else
		cz_blob_unref(event);
	return rc;
}

/* A blob of obj for key at the next revision; write_mu is held. */
static int next_blob(cz_store *st, const char *key, json_t *obj,
		     cz_blob **out, cz_error *err)
{
	int rc = make_blob(key, obj, st->accepted + 1, out, err);

	if (rc == CZ_OK && (rc = check_size(st, *out, err)) < 0) {
		cz_blob_unref(*out);
		*out = NULL;
	}
	return rc;
}

int cz_store_create(cz_store *st, const char *key, json_t *obj,
		    cz_blob **out, cz_error *err)
{
	cz_blob *b = NULL;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check_key(key, err)) < 0)
		return rc;
	pthread_mutex_lock(&st->write_mu);
	if (current(st, key))
		rc = cz_fail(err, CZ_EEXISTS, "%s already exists", key);
	else
		rc = next_blob(st, key, obj, &b, err);
	if (rc < 0) {
		pthread_mutex_unlock(&st->write_mu);
		return rc;
	}
	return write_and_wait(st, CZ_EV_ADDED, b, out, err);
}

/* The stored blob of key when it exists and matches expect_rv (0 = any);
 * write_mu is held. */
static int check_current(cz_store *st, const char *key, int64_t expect_rv,
			 cz_blob **cur, cz_error *err)
{
	*cur = current(st, key);
	if (!*cur)
		return cz_fail(err, CZ_ENOTFOUND, "%s not found", key);
	if (expect_rv && (*cur)->rv != expect_rv)
		return cz_fail(err, CZ_ECONFLICT,
			       "%s has been modified: resourceVersion is %"
			       PRId64 ", not %" PRId64,
			       key, (*cur)->rv, expect_rv);
	return CZ_OK;
}

int cz_store_update(cz_store *st, const char *key, json_t *obj,
		    int64_t expect_rv, cz_blob **out, cz_error *err)
{
	cz_blob *cur;
	cz_blob *b = NULL;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check_key(key, err)) < 0)
		return rc;
	pthread_mutex_lock(&st->write_mu);
	if ((rc = check_current(st, key, expect_rv, &cur, err)) == CZ_OK)
		rc = next_blob(st, key, obj, &b, err);
	if (rc < 0) {
		pthread_mutex_unlock(&st->write_mu);
		return rc;
	}
	return write_and_wait(st, CZ_EV_MODIFIED, b, out, err);
}

/* The last state of cur restamped with the deleting revision rv. */
static int make_tombstone(const cz_blob *cur, int64_t rv, cz_blob **out,
			  cz_error *err)
{
	json_error_t jerr;
	json_t *obj = json_loadb(cur->data, cur->len, 0, &jerr);
	int rc;

	if (!obj)
		return cz_fail(err, CZ_EINVALID, "%s: stored value: %s",
			       cur->key, jerr.text);
	rc = make_blob(cur->key, obj, rv, out, err);
	json_decref(obj);
	return rc;
}

int cz_store_delete(cz_store *st, const char *key, int64_t expect_rv,
		    cz_blob **out, cz_error *err)
{
	cz_blob *cur;
	cz_blob *gone = NULL;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check_key(key, err)) < 0)
		return rc;
	pthread_mutex_lock(&st->write_mu);
	if ((rc = check_current(st, key, expect_rv, &cur, err)) == CZ_OK)
		rc = make_tombstone(cur, st->accepted + 1, &gone, err);
	if (rc < 0) {
		pthread_mutex_unlock(&st->write_mu);
		return rc;
	}
	return write_and_wait(st, CZ_EV_DELETED, gone, out, err);
}

/* Fails on a key that is stored already or repeats within keys. */
static int check_batch_keys(cz_store *st, size_t n, const char *const *keys,
			    cz_error *err)
{
	const char **sorted = cz_xmalloc((n ? n : 1) * sizeof(*sorted));
	int rc = CZ_OK;

	for (size_t i = 0; i < n && rc == CZ_OK; i++) {
		rc = check_key(keys[i], err);
		if (rc == CZ_OK && current(st, keys[i]))
			rc = cz_fail(err, CZ_EEXISTS, "%s already exists",
				     keys[i]);
		sorted[i] = keys[i];
	}
	if (rc == CZ_OK) {
		cz_sort(sorted, n, sizeof(*sorted), cz_cmp_str);
		for (size_t i = 1; i < n && rc == CZ_OK; i++)
			if (strcmp(sorted[i - 1], sorted[i]) == 0)
				rc = cz_fail(err, CZ_EEXISTS,
					     "%s appears twice in the batch",
					     sorted[i]);
	}
	free(sorted);
	return rc;
}

/* All of n blobs in their own transaction, or none: committed at once,
 * apart from any batch of single writes.  write_mu is held. */
static int create_all_locked(cz_store *st, size_t n, cz_blob **blobs,
			     cz_error *err)
{
	int rc;

	/* Single writes accepted before this go first, in their own commit,
	 * so that a failure here cannot take them along. */
	if (st->npend || st->txn_open) {
		cz_error cerr = CZ_ERROR_INIT;
		uint64_t b = st->batch;

		rc = commit_locked(st, b, &cerr);
		pthread_mutex_lock(&st->commit_mu);
		st->results[b % RESULT_RING].rc = rc;
		snprintf(st->results[b % RESULT_RING].msg, CZ_ERROR_MSG_MAX,
			 "%s", cerr.msg);
		if (st->done_batch < b + 1)
			st->done_batch = b + 1;
		pthread_cond_broadcast(&st->committed);
		pthread_mutex_unlock(&st->commit_mu);
	}
	if ((rc = step_done(st, ST_BEGIN, err)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == CZ_OK; i++)
		rc = sql_put(st, blobs[i], err);
	if (rc < 0 || (rc = sql_commit(st, blobs[n - 1]->rv, err)) < 0) {
		sql_rollback(st);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		publish(st, &(pending){ CZ_EV_ADDED, blobs[i], false });
	st->accepted = blobs[n - 1]->rv;
	return CZ_OK;
}

int cz_store_create_batch(cz_store *st, size_t n, const char *const *keys,
			  json_t *const *objs, cz_error *err)
{
	cz_blob **blobs = NULL;
	int rc;

	pthread_mutex_lock(&st->write_mu);
	if ((rc = check_batch_keys(st, n, keys, err)) < 0 || n == 0)
		goto cleanup;
	blobs = cz_xcalloc(n, sizeof(*blobs));
	for (size_t i = 0; i < n; i++)
		if ((rc = make_blob(keys[i], objs[i],
				    st->accepted + 1 + (int64_t)i, &blobs[i],
				    err)) < 0 ||
		    (rc = check_size(st, blobs[i], err)) < 0)
			goto cleanup;
	rc = create_all_locked(st, n, blobs, err);
cleanup:
	for (size_t i = 0; blobs && i < n; i++)
		cz_blob_unref(blobs[i]);
	free(blobs);
	pthread_mutex_unlock(&st->write_mu);
	return rc;
}

/* ---- Watches ------------------------------------------------------------ */

int cz_store_watch(cz_store *st, const char *prefix, int64_t from_rv,
		   cz_watch **out, cz_error *err)
{
	int rc;

	/* Under the read lock "now" is a revision whose event is already in
	 * the ring (publish changes both under the write lock). */
	pthread_rwlock_rdlock(&st->lock);
	rc = cz_hub_watch(st->hub, prefix, from_rv, out, err);
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

size_t cz_store_watch_count(cz_store *st)
{
	return cz_hub_watch_count(st->hub);
}

void cz_store_stop_watches(cz_store *st)
{
	cz_hub_stop(st->hub);
}
