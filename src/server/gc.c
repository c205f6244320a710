#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "object/project.h"
#include "util/mem.h"
#include "util/strmap.h"

/*
 * The garbage collector, one thread following the store's event stream:
 *  - an object all of whose owners are gone is deleted (background);
 *  - an owner deleted with propagationPolicy=Foreground keeps its
 *    "foregroundDeletion" finalizer until its dependents are gone;
 *  - an owner deleted with Orphan has its dependents' ownerReferences to
 *    it removed, then its "orphan" finalizer;
 *  - a terminating namespace is emptied, then its "kubernetes" finalizer
 *    goes and the namespace with it.
 * Owners may be cluster-scoped and dependents namespaced (a Package owns
 * HelmReleases), so the index is by uid, across all kinds.
 */

#define WAKE_MS 500

typedef struct gc_state {
	cz_server *srv;
	cz_projection *view; /* what the index reads of every object */
	/* The uid of every live object, each the map's own copy and its own
	 * value: the index asks only whether an owner is alive. */
	cz_strmap live;
	json_t *dependents; /* owner uid -> { dependent key: true } */
	json_t *pending;    /* keys of objects being deleted -> true */
} gc_state;

static void index_object(gc_state *gc, const char *key, const json_t *obj)
{
	const char *uid = cz_meta_str(obj, "uid");
	json_t *refs = json_object_get(json_object_get(obj, "metadata"),
				       "ownerReferences");
	size_t i;
	json_t *ref;

	if (uid && !cz_strmap_has(&gc->live, uid)) {
		char *own = cz_xstrdup(uid);

		cz_strmap_put(&gc->live, own, own);
	}
	json_array_foreach (refs, i, ref) {
		const char *owner = json_string_value(
			json_object_get(ref, "uid"));
		json_t *deps;

		if (!owner)
			continue;
		deps = json_object_get(gc->dependents, owner);
		if (!deps) {
			deps = json_object();
			json_object_set_new(gc->dependents, owner, deps);
		}
		json_object_set_new(deps, key, json_true());
	}
	if (cz_meta_str(obj, "deletionTimestamp"))
		json_object_set_new(gc->pending, key, json_true());
}

/* The members of a stored object the index needs, parsed without
 * building the rest: the collector sees every write. */
static json_t *view_of(const gc_state *gc, const cz_blob *b)
{
	json_t *out = NULL;

	if (cz_json_project(b->data, b->len, gc->view, &out, NULL) != CZ_OK)
		return NULL;
	return out;
}

static json_t *load(gc_state *gc, const char *key, int64_t *rv)
{
	cz_blob *blob = NULL;
	json_t *obj = NULL;

	if (cz_store_get(gc->srv->store, key, &blob, NULL) == CZ_OK) {
		obj = cz_blob_json(blob);
		if (rv)
			*rv = blob->rv;
	}
	cz_blob_unref(blob);
	return obj;
}

static void delete_key(gc_state *gc, const char *key, const char *policy)
{
	json_t *options = json_pack("{s:s}", "propagationPolicy", policy);
	cz_api_call c;
	int rc;

	if (cz_api_call_init_key(&c, gc->srv->store, key) != CZ_OK) {
		json_decref(options);
		return;
	}
	c.revisions = gc->srv->revisions;
	rc = cz_api_delete(&c, options);
	if (rc == CZ_OK)
		cz_log("info", "garbage collected", "key=%s policy=%s", key,
		       policy);
	else if (rc != CZ_ENOTFOUND)
		cz_log("warning", "garbage collection failed",
		       "key=%s error=\"%s\"", key,
		       json_string_value(json_object_get(c.status, "message")));
	cz_api_call_release(&c);
	json_decref(options);
}

/* Writes one step of a deletion (an owner reference or a finalizer gone)
 * through the verbs' rules; a lost race is picked up by the next event. */
static void write_step(gc_state *gc, const char *key, const json_t *cur,
		       json_t *next, int64_t rv)
{
	cz_api_call c;
	int rc;

	if (cz_api_call_init_key(&c, gc->srv->store, key) != CZ_OK)
		return;
	c.revisions = gc->srv->revisions;
	rc = cz_api_update_from(&c, cur, next, rv);
	if (rc != CZ_OK && rc != CZ_ECONFLICT && rc != CZ_ENOTFOUND)
		cz_log("warning", "garbage collection step failed",
		       "key=%s error=\"%s\"", key,
		       json_string_value(json_object_get(c.status, "message")));
	cz_api_call_release(&c);
}

/* True when obj names any owner. */
static bool has_owners(const json_t *obj)
{
	return json_array_size(json_object_get(json_object_get(obj, "metadata"),
					       "ownerReferences")) > 0;
}

/* True when at least one owner of obj still exists. */
static bool has_live_owner(gc_state *gc, const json_t *obj)
{
	json_t *refs = json_object_get(json_object_get(obj, "metadata"),
				       "ownerReferences");
	size_t i;
	json_t *ref;

	json_array_foreach (refs, i, ref) {
		const char *uid = json_string_value(json_object_get(ref, "uid"));

		if (uid && cz_strmap_has(&gc->live, uid))
			return true;
	}
	return false;
}

static bool refers_to(const json_t *obj, const char *owner_uid)
{
	json_t *refs = json_object_get(json_object_get(obj, "metadata"),
				       "ownerReferences");
	size_t i;
	json_t *ref;

	json_array_foreach (refs, i, ref) {
		const char *uid = json_string_value(json_object_get(ref, "uid"));

		if (uid && strcmp(uid, owner_uid) == 0)
			return true;
	}
	return false;
}

/* Keys of the live objects that still name owner_uid as an owner. */
static json_t *live_dependents(gc_state *gc, const char *owner_uid)
{
	json_t *deps = json_object_get(gc->dependents, owner_uid);
	json_t *live = json_array();
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe (deps, tmp, key, v) {
		json_t *obj = load(gc, key, NULL);

		if (obj && refers_to(obj, owner_uid))
			json_array_append_new(live, json_string(key));
		else
			json_object_del(deps, key);
		json_decref(obj);
	}
	return live;
}

static void remove_owner_ref(gc_state *gc, const char *key,
			     const char *owner_uid)
{
	int64_t rv = 0;
	json_t *cur = load(gc, key, &rv);
	json_t *obj = cur ? json_deep_copy(cur) : NULL;
	json_t *refs = json_object_get(json_object_get(obj, "metadata"),
				       "ownerReferences");

	for (size_t i = json_array_size(refs); i-- > 0;) {
		const char *uid = json_string_value(
			json_object_get(json_array_get(refs, i), "uid"));

		if (uid && strcmp(uid, owner_uid) == 0)
			json_array_remove(refs, i);
	}
	if (obj)
		write_step(gc, key, cur, obj, rv);
	json_decref(obj);
	json_decref(cur);
}

/* Stores the object's progress: gone once nothing holds it any more. */
static void store_progress(gc_state *gc, const char *key, const json_t *cur,
			   json_t *obj, int64_t rv)
{
	const cz_resource *r = cz_key_resource(key);

	if (r && cz_deletion_finished(r, obj))
		json_object_del(gc->pending, key);
	write_step(gc, key, cur, obj, rv);
}

/* Drops the finalizer at index i of the object's finalizers. */
static void finish_finalizer(gc_state *gc, const char *key,
			     const json_t *cur, json_t *obj, int64_t rv,
			     long i)
{
	json_array_remove(json_object_get(json_object_get(obj, "metadata"),
					  "finalizers"),
			  (size_t)i);
	store_progress(gc, key, cur, obj, rv);
}

static size_t empty_namespace(gc_state *gc, const char *ns)
{
	size_t n, left = 0;
	const cz_resource *all = cz_resources(&n);

	for (size_t i = 0; i < n; i++) {
		char *prefix;
		cz_blob **items = NULL;
		size_t count = 0;
		int64_t rv;

		if (!all[i].namespaced)
			continue;
		prefix = cz_list_prefix(&all[i], ns);
		if (cz_store_list(gc->srv->store, prefix, NULL, &items, &count,
				  &rv, NULL) == CZ_OK) {
			for (size_t j = 0; j < count; j++) {
				delete_key(gc, items[j]->key, "Background");
				cz_blob_unref(items[j]);
			}
			left += count;
		}
		free(items);
		free(prefix);
	}
	return left;
}

/* Moves an object with a deletionTimestamp one step towards deletion. */
static void process_deleting(gc_state *gc, const char *key)
{
	int64_t rv = 0;
	json_t *cur = load(gc, key, &rv);
	json_t *obj = cur ? json_deep_copy(cur) : NULL;
	json_t *meta = json_object_get(obj, "metadata");
	json_t *fin = json_object_get(meta, "finalizers");
	const char *uid = cz_meta_str(obj, "uid");
	const cz_resource *r = cz_key_resource(key);
	json_t *deps = NULL;
	long i;

	if (!obj || !uid || !r || !cz_meta_str(obj, "deletionTimestamp")) {
		json_object_del(gc->pending, key);
		goto cleanup;
	}
	deps = live_dependents(gc, uid);
	if ((i = cz_string_index(fin, "orphan")) >= 0) {
		for (size_t d = 0; d < json_array_size(deps); d++)
			remove_owner_ref(gc, json_string_value(
						     json_array_get(deps, d)),
					 uid);
		finish_finalizer(gc, key, cur, obj, rv, i);
		goto cleanup;
	}
	if ((i = cz_string_index(fin, "foregroundDeletion")) >= 0) {
		for (size_t d = 0; d < json_array_size(deps); d++)
			delete_key(gc, json_string_value(json_array_get(deps, d)),
				   "Foreground");
		if (json_array_size(deps) == 0)
			finish_finalizer(gc, key, cur, obj, rv, i);
		goto cleanup;
	}
	if (strcmp(r->resource, "namespaces") == 0 &&
	    empty_namespace(gc, cz_meta_str(obj, "name")) == 0) {
		json_array_clear(json_object_get(json_object_get(obj, "spec"),
						 "finalizers"));
		store_progress(gc, key, cur, obj, rv);
	}
cleanup:
	json_decref(deps);
	json_decref(obj);
	json_decref(cur);
}

/* An owner is gone: its dependents without another live owner follow. */
static void owner_gone(gc_state *gc, const char *uid)
{
	json_t *deps = live_dependents(gc, uid);

	for (size_t i = 0; i < json_array_size(deps); i++) {
		const char *key = json_string_value(json_array_get(deps, i));
		json_t *obj = load(gc, key, NULL);

		if (obj && !has_live_owner(gc, obj))
			delete_key(gc, key, "Background");
		json_decref(obj);
	}
	json_decref(deps);
	json_object_del(gc->dependents, uid);
}

static void handle_event(gc_state *gc, const cz_event *ev)
{
	json_t *obj = view_of(gc, ev->object);
	const char *uid = cz_meta_str(obj, "uid");

	if (!obj)
		return;
	if (ev->type == CZ_EV_DELETED) {
		if (uid)
			free(cz_strmap_del(&gc->live, uid));
		json_object_del(gc->pending, ev->object->key);
		if (uid)
			owner_gone(gc, uid);
	} else {
		index_object(gc, ev->object->key, obj);
		/* Written after its every owner went (a controller that read
		 * its cache just before the owner's deletion): kube's collector
		 * deletes such a dangling dependent, as the start-up sweep
		 * does here. */
		if (ev->type == CZ_EV_ADDED && has_owners(obj) &&
		    !has_live_owner(gc, obj))
			delete_key(gc, ev->object->key, "Background");
	}
	json_decref(obj);
}

/* Objects whose every owner vanished while the server was down. */
static void sweep_orphans(gc_state *gc, cz_blob **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *obj = view_of(gc, items[i]);

		if (has_owners(obj) && !has_live_owner(gc, obj))
			delete_key(gc, items[i]->key, "Background");
		json_decref(obj);
	}
}

static void process_pending(gc_state *gc)
{
	json_t *keys = json_array();
	const char *key;
	json_t *v;

	json_object_foreach (gc->pending, key, v)
		json_array_append_new(keys, json_string(key));
	for (size_t i = 0; i < json_array_size(keys); i++)
		process_deleting(gc,
				 json_string_value(json_array_get(keys, i)));
	json_decref(keys);
}

static int start_watch(gc_state *gc, cz_watch **w)
{
	cz_blob **items = NULL;
	size_t n = 0;
	int64_t rv = 0;
	int rc = cz_store_list(gc->srv->store, "", NULL, &items, &n, &rv, NULL);

	if (rc != CZ_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		json_t *obj = view_of(gc, items[i]);

		if (obj)
			index_object(gc, items[i]->key, obj);
		json_decref(obj);
	}
	rc = cz_store_watch(gc->srv->store, "", rv, w, NULL);
	if (rc == CZ_OK)
		sweep_orphans(gc, items, n);
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(items[i]);
	free(items);
	return rc;
}

static void reset_index(gc_state *gc)
{
	cz_strmap_release_owned(&gc->live);
	json_object_clear(gc->dependents);
	json_object_clear(gc->pending);
}

static void *gc_main(void *arg)
{
	static const char *const view[] = { "metadata.uid",
					    "metadata.ownerReferences",
					    "metadata.deletionTimestamp" };
	gc_state gc = { arg, cz_projection_new(view, 3), CZ_STRMAP_INIT,
			json_object(), json_object() };
	cz_watch *w = NULL;

	while (!gc.srv->stopping) {
		cz_event ev = { CZ_EV_NONE, NULL };
		bool due;
		int rc;

		if (!w && start_watch(&gc, &w) != CZ_OK)
			break;
		rc = cz_watch_next(w, WAKE_MS, &ev, NULL);
		if (rc == CZ_EGONE) {
			/* Fell behind the event window: rebuild from a list. */
			cz_watch_close(w);
			w = NULL;
			reset_index(&gc);
			continue;
		}
		if (rc != CZ_OK)
			break;
		/* Deletions in progress move on when a dependent goes, when
		 * they themselves change, and on the idle tick; not on every
		 * unrelated write. */
		due = ev.type == CZ_EV_NONE || ev.type == CZ_EV_DELETED;
		if (ev.type != CZ_EV_NONE) {
			handle_event(&gc, &ev);
			due = due || json_object_get(gc.pending, ev.object->key);
			cz_blob_unref(ev.object);
		}
		if (due)
			process_pending(&gc);
	}
	cz_watch_close(w);
	cz_projection_free(gc.view);
	cz_strmap_release_owned(&gc.live);
	json_decref(gc.dependents);
	json_decref(gc.pending);
	return NULL;
}

int cz_gc_start(cz_server *srv, cz_error *err)
{
	if (pthread_create(&srv->gc_thread, NULL, gc_main, srv) != 0)
		return cz_fail(err, CZ_ERR,
			       "cannot start the garbage collector");
	srv->gc_started = true;
	return CZ_OK;
}

void cz_gc_stop(cz_server *srv)
{
	if (!srv->gc_started)
		return;
	pthread_join(srv->gc_thread, NULL);
	srv->gc_started = false;
}
