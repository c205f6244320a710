/*
 * The Package controller (cozystack-operator §2.3): one reconcile turns a
 * Package into its namespaces, status.dependencies, HelmReleases, orphan
 * cleanup and Ready condition, in the real operator's order.  The
 * decisions come from the engine over a live catalog; this file does the
 * I/O and keeps the catalog and the reverse dependency index current.
 */

#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "engine/engine.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/mem.h"

#define PACKAGE_LABEL "cozystack.io/package"
#define FIELD_MANAGER "cozystack-package-controller"
#define NOT_READY_REASON "HelmReleasesNotReady"

/* ---- the live catalog and the dependency index (under m->lock) ---- */

static const cz_variant *active_variant(const cz_catalog *cat,
					const cz_package *pkg)
{
	const cz_source *src = cz_catalog_source(cat, pkg->name);

	return src ? cz_source_variant(src, pkg->variant) : NULL;
}

/* Replaces name's entries in a reverse index (key -> {name: true}) by
 * the keys in after (a JSON array of strings, taken), remembering them in
 * forward (name -> keys); true when they are not what they were. */
static bool reindex(json_t *reverse, json_t *forward, const char *name,
		    json_t *after)
{
	json_t *before = json_object_get(forward, name);
	json_t *empty = json_array();
	bool changed = !json_equal(before ? before : empty, after);
	size_t i;
	json_t *key;

	json_array_foreach (before, i, key)
		json_object_del(json_object_get(reverse,
						json_string_value(key)),
				name);
	json_array_foreach (after, i, key) {
		const char *k = json_string_value(key);
		json_t *set = json_object_get(reverse, k);

		if (!set) {
			set = json_object();
			json_object_set_new(reverse, k, set);
		}
		json_object_set_new(set, name, json_true());
	}
	if (json_array_size(after))
		json_object_set_new(forward, name, after);
	else {
		json_object_del(forward, name);
		json_decref(after);
	}
	json_decref(empty);
	return changed;
}

/* Re-indexes what name depends on and the namespaces it installs into,
 * after it or its source changed; true when its dependencies are not
 * what they were. */
static bool refresh_indexes(cz_manager *m, const char *name)
{
	const cz_package *pkg = cz_catalog_package(&m->catalog, name);
	const cz_variant *v = pkg ? active_variant(&m->catalog, pkg) : NULL;
	json_t *deps = json_array();
	json_t *nss = json_array();

	for (size_t j = 0; v && j < v->depends_on.len; j++) {
		const char *d = v->depends_on.items[j];

		if (!cz_strlist_has(&pkg->ignore_dependencies, d))
			json_array_append_new(deps, json_string(d));
	}
	for (size_t j = 0; v && j < v->ncomponents; j++) {
		const cz_install *in = v->components[j].install;

		if (in)
			json_array_append_new(nss, json_string(in->namespace));
	}
	reindex(m->installers, m->installs, name, nss);
	return reindex(m->dependents, m->depends, name, deps);
}

/* The Packages to reconcile after name changed: itself, its dependents,
 * and those installing into a namespace whose privileged state flipped.
 * Returns a new array of names; call with m->lock held. */
static json_t *affected_packages(cz_manager *m, const char *name,
				 bool include_self, const json_t *flipped)
{
	json_t *out = include_self ? json_pack("[s]", name) : json_array();
	const char *dep;
	json_t *unused;
	size_t i;
	json_t *ns;

	json_object_foreach (json_object_get(m->dependents, name), dep, unused)
		json_array_append_new(out, json_string(dep));
	json_array_foreach (flipped, i, ns)
		json_object_foreach (json_object_get(m->installers,
						     json_string_value(ns)),
				     dep, unused)
			json_array_append_new(out, json_string(dep));
	return out;
}

/* Queues names (an array of names, or a set: an object whose keys are
 * names) all at once, so that a Package taken first finds the others
 * queued (see wait_for_settling). */
static void enqueue_names(cz_manager *m, json_t *names)
{
	size_t n = json_is_object(names) ? json_object_size(names)
					 : json_array_size(names);
	const char **keys;
	const char *name;
	json_t *v;
	size_t i = 0;

	if (!n)
		return; /* the common case after a reconcile: no one waits */
	keys = cz_xcalloc(n, sizeof(*keys));
	if (json_is_object(names))
		json_object_foreach (names, name, v)
			keys[i++] = name;
	else
		json_array_foreach (names, i, v)
			keys[i] = json_string_value(v);
	cz_queue_add_all(m->ctl[CZ_C_PACKAGE].queue, keys, n);
	free(keys);
}

/* Puts or removes a Package: new_obj is the informer's (from_watch) or a
 * status write's answer.  False when the catalog has this version
 * already, or a newer one: a status this controller wrote and put itself,
 * whose dependents it has nudged. */
static bool put_package(cz_manager *m, const char *name, json_t *new_obj,
			bool from_watch)
{
	const cz_package *cur = cz_catalog_package(&m->catalog, name);

	if (!new_obj)
		return cz_catalog_remove_package(&m->catalog, name);
	if (cur && cz_rv_seen(new_obj, cur->object)) {
		/* The watch bringing the status this controller wrote: the
		 * catalog takes the informer's tree of that version in place
		 * of the write's answer, so one tree of it stays, not two.
		 * Nothing a Package's dependents read changed. */
		if (from_watch && cz_rv_same(new_obj, cur->object))
			cz_catalog_put_package(&m->catalog, new_obj);
		return false;
	}
	/* As the informers cache them: nothing here reads managedFields. */
	json_object_del(json_object_get(new_obj, "metadata"), "managedFields");
	cz_catalog_put_package(&m->catalog, new_obj);
	return true;
}

/* Catalog upkeep for one changed object, then the Packages it affects. */
static void catalog_changed(cz_manager *m, bool is_source, json_t *old,
			    json_t *new_obj)
{
	const char *name = cz_meta_str(new_obj ? new_obj : old, "name");
	json_t *flipped = NULL;
	json_t *affected = NULL;
	bool was_there;

	if (!name)
		return;
	pthread_rwlock_wrlock(&m->lock);
	was_there = cz_catalog_package(&m->catalog, name) != NULL;
	if (is_source && new_obj)
		cz_catalog_put_source_copy(&m->catalog, new_obj);
	else if (is_source)
		cz_catalog_remove_source(&m->catalog, name);
	else if (!put_package(m, name, new_obj, true))
		goto unlock;
	flipped = json_array();
	cz_engine_refresh_package(&m->engine, name, flipped);
	/* A Package that comes or goes may close or open a cycle through
	 * its dependents; otherwise only its own edges matter. */
	if (refresh_indexes(m, name) ||
	    was_there != (cz_catalog_package(&m->catalog, name) != NULL))
		m->graph_dirty = true;
	affected = affected_packages(m, name, true, flipped);
unlock:
	pthread_rwlock_unlock(&m->lock);
	enqueue_names(m, affected);
	json_decref(affected);
	json_decref(flipped);
}

static void on_package(void *ctx, json_t *old, json_t *new_obj)
{
	catalog_changed(ctx, false, old, new_obj);
}

static void on_source(void *ctx, json_t *old, json_t *new_obj)
{
	catalog_changed(ctx, true, old, new_obj);
}

/* Notes a HelmRelease this controller wrote, at the version written. */
static void remember_own_write(cz_manager *m, const json_t *hr)
{
	char *key = cz_object_cache_key(hr);
	const char *rv = cz_meta_str(hr, "resourceVersion");

	if (key && rv) {
		pthread_mutex_lock(&m->echo_lock);
		json_object_set_new(m->own_releases, key, json_string(rv));
		pthread_mutex_unlock(&m->echo_lock);
	}
	free(key);
}

/* Whether hr is the watch's echo of this controller's own write (which
 * is then forgotten). */
static bool is_own_echo(cz_manager *m, const json_t *hr)
{
	char *key = cz_object_cache_key(hr);
	const char *rv = cz_meta_str(hr, "resourceVersion");
	const char *mine;
	bool echo = false;

	if (!key || !rv)
		goto cleanup;
	pthread_mutex_lock(&m->echo_lock);
	mine = json_string_value(json_object_get(m->own_releases, key));
	echo = mine && strcmp(mine, rv) == 0;
	if (echo)
		json_object_del(m->own_releases, key);
	pthread_mutex_unlock(&m->echo_lock);
cleanup:
	free(key);
	return echo;
}

/* Owns(HelmRelease): a change to a generated HelmRelease reconciles its
 * Package (drift is undone; in healthy mode, health is re-read), unless
 * it is only the echo of the Package's own write. */
static void on_release(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	const char *owner = cz_label(new_obj ? new_obj : old, PACKAGE_LABEL);

	if (!owner || (new_obj && is_own_echo(m, new_obj)))
		return;
	cz_queue_add(m->ctl[CZ_C_PACKAGE].queue, owner);
}

void cz_package_controller_setup(cz_manager *m)
{
	cz_informer_on_change(m->inf[CZ_W_SOURCES], on_source, m);
	cz_informer_on_change(m->inf[CZ_W_PACKAGES], on_package, m);
	cz_informer_on_change(m->inf[CZ_W_RELEASES], on_release, m);
}

/* ---- the plan: every decision, taken under the read lock ---- */

typedef struct plan {
	json_t *object;     /* the Package as cached */
	json_t *namespaces; /* Namespace objects to apply */
	json_t *releases;   /* HelmReleases to create or update */
	json_t *orphans;    /* [{namespace, name}] to delete */
	json_t *status;     /* desired status, conditions without times */
	json_t *values;     /* the ValuesValid condition, or NULL */
	bool write_releases;
	bool cleanup;
	bool ready;
	bool deleting;
	bool deferred; /* nothing to write yet: see wait_for_settling */
} plan;

static void plan_release(plan *p)
{
	json_decref(p->object);
	json_decref(p->namespaces);
	json_decref(p->releases);
	json_decref(p->orphans);
	json_decref(p->status);
	json_decref(p->values);
}

/* Cycle search: depth-first over the active variants, through
 * dependencies that are not Ready, looking for the start again.  It runs
 * for every Package stuck at the gate, so it visits at most
 * CYCLE_SEARCH_LIMIT Packages: a longer cycle is not named. */
#define CYCLE_SEARCH_LIMIT 512

typedef struct cycle_search {
	const cz_catalog *cat;
	const char *start;
	cz_strmap visited; /* keys borrowed from the catalog */
	json_t *path;
} cycle_search;

static bool find_cycle(cycle_search *cs, const char *name)
{
	const cz_package *pkg = cz_catalog_package(cs->cat, name);
	const cz_variant *v = pkg ? active_variant(cs->cat, pkg) : NULL;

	json_array_append_new(cs->path, json_string(name));
	for (size_t i = 0; v && i < v->depends_on.len; i++) {
		const char *d = v->depends_on.items[i];
		const cz_package *dp = cz_catalog_package(cs->cat, d);

		if (cz_strlist_has(&pkg->ignore_dependencies, d) || !dp ||
		    cz_package_status_ready(dp))
			continue;
		if (strcmp(d, cs->start) == 0) {
			json_array_append_new(cs->path, json_string(d));
			return true;
		}
		if (cz_strmap_has(&cs->visited, d) ||
		    cs->visited.len >= CYCLE_SEARCH_LIMIT)
			continue;
		cz_strmap_put(&cs->visited, dp->name, NULL);
		if (find_cycle(cs, d))
			return true;
	}
	json_array_remove(cs->path, json_array_size(cs->path) - 1);
	return false;
}

/* Peels off, one by one, packages with no remaining dependency inside
 * the set (in_set: dependency -> dependents reversed), starting from
 * every package of set; what stays could reach a cycle. */
static void peel(json_t *set, json_t *edges, json_t *reverse)
{
	json_t *count = json_object();
	json_t *ready = json_array();
	const char *name;
	json_t *v;

	json_object_foreach (set, name, v) {
		size_t n = 0, i;
		json_t *d;

		json_array_foreach (json_object_get(edges, name), i, d)
			n += json_object_get(set, json_string_value(d)) != NULL;
		json_object_set_new(count, name, json_integer((json_int_t)n));
		if (!n)
			json_array_append_new(ready, json_string(name));
	}
	for (size_t i = 0; i < json_array_size(ready); i++) {
		const char *gone = json_string_value(json_array_get(ready, i));
		size_t k;
		json_t *up;

		json_array_foreach (json_object_get(reverse, gone), k, up) {
			const char *u = json_string_value(up);
			json_t *c = json_object_get(count, u);

			if (!json_object_get(set, u) || !c)
				continue;
			json_integer_set(c, json_integer_value(c) - 1);
			if (json_integer_value(c) == 0)
				json_array_append_new(ready, json_string(u));
		}
	}
	for (size_t i = 0; i < json_array_size(ready); i++)
		json_object_del(set, json_string_value(json_array_get(ready, i)));
	json_decref(ready);
	json_decref(count);
}

/* The packages that can both reach and be reached from a cycle: every
 * cycle's members, and few others.  Built from m->depends (dependencies
 * in the catalog only) by peeling both ways; call with m->lock held. */
static json_t *cycle_candidates(cz_manager *m)
{
	json_t *set = json_object();
	json_t *edges = json_object();
	json_t *reverse = json_object();
	const char *name;
	json_t *deps;

	json_object_foreach (m->depends, name, deps) {
		size_t i;
		json_t *d;
		json_t *kept = json_array();

		json_array_foreach (deps, i, d) {
			const char *dn = json_string_value(d);
			json_t *r;

			if (!cz_catalog_package(&m->catalog, dn))
				continue;
			json_array_append(kept, d);
			r = json_object_get(reverse, dn);
			if (!r) {
				r = json_array();
				json_object_set_new(reverse, dn, r);
			}
			json_array_append_new(r, json_string(name));
			json_object_set_new(set, dn, json_true());
		}
		json_object_set_new(edges, name, kept);
		json_object_set_new(set, name, json_true());
	}
	peel(set, edges, reverse);
	peel(set, reverse, edges);
	json_decref(edges);
	json_decref(reverse);
	return set;
}

/* A rebuild at most this often while the graph keeps changing (a burst
 * of creations); between rebuilds the bounded search runs as before. */
#define CANDIDATES_MIN_INTERVAL_NS (500 * 1000 * 1000LL)

/* Whether name may lie on a cycle; call with m->lock held. */
static bool may_be_cyclic(cz_manager *m, const char *name)
{
	int64_t now = cz_mono_ns();
	bool maybe = true;

	pthread_mutex_lock(&m->cycle_lock);
	/* Rebuilds take at most a tenth of the time: on a large graph one
	 * costs far more than the interval. */
	if (m->graph_dirty &&
	    now - m->candidates_at_ns >= CANDIDATES_MIN_INTERVAL_NS &&
	    now - m->candidates_at_ns >= 10 * m->candidates_cost_ns) {
		m->graph_dirty = false;
		json_decref(m->cycle_candidates);
		m->cycle_candidates = cycle_candidates(m);
		m->candidates_at_ns = cz_mono_ns();
		m->candidates_cost_ns = m->candidates_at_ns - now;
	}
	if (!m->graph_dirty && m->cycle_candidates)
		maybe = json_object_get(m->cycle_candidates, name) != NULL;
	pthread_mutex_unlock(&m->cycle_lock);
	return maybe;
}

/* "a -> b -> a" when name reaches itself, else NULL; malloc'ed. */
static char *cycle_text(cz_manager *m, const char *name)
{
	cycle_search cs = { &m->catalog, name, CZ_STRMAP_INIT, json_array() };
	char *text = NULL;

	if (may_be_cyclic(m, name) && find_cycle(&cs, name)) {
		cz_buf b;
		size_t i;
		json_t *n;

		cz_buf_init(&b, CZ_BUF_UNLIMITED);
		json_array_foreach (cs.path, i, n)
			cz_buf_printf(&b, "%s%s", i ? " -> " : "",
				      json_string_value(n));
		text = cz_buf_detach(&b, NULL);
	}
	cz_strmap_release(&cs.visited);
	json_decref(cs.path);
	return text;
}

/* The HelmReleases carrying the Package's label, for the orphan cleanup. */
static cz_hr_ref *existing_releases(cz_manager *m, const char *name,
				    cz_arena *arena, size_t *n)
{
	json_t *list = cz_informer_list_names(m->inf[CZ_W_RELEASES], NULL,
					      PACKAGE_LABEL, name);
	cz_hr_ref *refs = cz_arena_array(arena, json_array_size(list) + 1,
					 sizeof(*refs));
	size_t i;
	json_t *hr;

	*n = 0;
	json_array_foreach (list, i, hr) {
		refs[*n].namespace = cz_arena_strdup(
			arena, json_string_value(json_array_get(hr, 0)));
		refs[*n].name = cz_arena_strdup(
			arena, json_string_value(json_array_get(hr, 1)));
		(*n)++;
	}
	json_decref(list);
	return refs;
}

/* Status the real operator would write: the Ready condition and, once
 * step 5 ran, status.dependencies; before that the old map stays. */
static json_t *plan_status(cz_manager *m, const cz_reconcile *r,
			   const json_t *object)
{
	json_t *status = cz_package_status_json(r);
	json_t *old = json_object_get(json_object_get(object, "status"),
				      "dependencies");

	if (!r->has_dependencies && old)
		json_object_set(status, "dependencies", old);
	if (r->reason == CZ_REASON_DEPENDENCIES_NOT_READY) {
		char *cycle = cycle_text(m, r->package->name);

		if (cycle) {
			json_t *c = json_array_get(
				json_object_get(status, "conditions"), 0);
			char *msg = cz_xasprintf("%s (dependency cycle: %s)",
						 r->message, cycle);

			json_object_set_new(c, "message", json_string(msg));
			free(msg);
			free(cycle);
		}
	}
	return status;
}

static void plan_fill(cz_manager *m, const cz_reconcile *r, plan *p)
{
	const char *uid = cz_meta_str(p->object, "uid");

	p->namespaces = json_array();
	for (size_t i = 0; i < r->nnamespaces; i++)
		json_array_append_new(p->namespaces,
				      cz_namespace_json(&m->engine,
							r->namespaces[i]));
	p->write_releases = r->reason == CZ_REASON_RECONCILIATION_SUCCEEDED ||
			    r->reason == CZ_REASON_DEPENDS_ON_FAILED;
	p->releases = json_array();
	for (size_t i = 0; p->write_releases && i < r->nreleases; i++)
		json_array_append_new(p->releases,
				      cz_helmrelease_json(&m->engine,
							  &r->releases[i], uid));
	p->cleanup = r->cleanup;
	p->orphans = json_array();
	for (size_t i = 0; i < r->norphans; i++)
		json_array_append_new(p->orphans,
				      json_pack("{s:s, s:s}", "namespace",
						r->orphans[i].namespace, "name",
						r->orphans[i].name));
	p->ready = r->ready;
	p->status = plan_status(m, r, p->object);
}

/*
 * Settling.  A Package held at the dependency gate while a reconcile
 * still to end lies on the path of its unready dependencies has nothing
 * worth writing yet: that reconcile may make the path Ready, and an
 * intermediate DependenciesNotReady would cost a status write, a cycle
 * search and a watch event per wave.  The search follows dependencies
 * that are not Ready to one that is queued or that a worker holds.  The
 * Package then waits on it and is queued again once the queue has let it
 * go (cz_package_done), whatever it wrote.  Nothing waits forever: what it
 * waits on is certain to end, and it is never the Package itself, so two
 * Packages on a cycle cannot wait for each other.  The check and the
 * registration happen under settle_lock and the wake-up after the queue
 * let go, so no wake-up is missed.  The search visits at most
 * SETTLE_SEARCH_LIMIT Packages; past that the status is written.
 */
#define SETTLE_SEARCH_LIMIT 64

typedef struct settle_search {
	cz_manager *m;
	const char *self;
	cz_strmap visited; /* keys borrowed from the catalog */
} settle_search;

/* The Package below pkg whose reconcile is still to end, or NULL; call
 * with m->lock and m->settle_lock held. */
static const char *unsettled_below(settle_search *s, const cz_package *pkg)
{
	const cz_variant *v = active_variant(&s->m->catalog, pkg);

	for (size_t i = 0; v && i < v->depends_on.len; i++) {
		const char *d = v->depends_on.items[i];
		const cz_package *dp = cz_catalog_package(&s->m->catalog, d);
		const char *found;

		if (!dp || cz_strlist_has(&pkg->ignore_dependencies, d) ||
		    cz_package_status_ready(dp) ||
		    cz_meta_str(dp->object, "deletionTimestamp") ||
		    strcmp(d, s->self) == 0 || cz_strmap_has(&s->visited, d))
			continue;
		if (s->visited.len >= SETTLE_SEARCH_LIMIT)
			return NULL;
		cz_strmap_put(&s->visited, d, NULL);
		if (cz_queue_busy(s->m->ctl[CZ_C_PACKAGE].queue, d))
			return d;
		if ((found = unsettled_below(s, dp)))
			return found;
	}
	return NULL;
}

/* True when pkg waits for a reconcile on its dependency path to end, and
 * is then registered to be queued again; call with m->lock held. */
static bool wait_for_settling(cz_manager *m, const cz_package *pkg)
{
	settle_search s = { m, pkg->name, CZ_STRMAP_INIT };
	const char *on;
	json_t *waiters;

	pthread_mutex_lock(&m->settle_lock);
	on = unsettled_below(&s, pkg);
	if (on) {
		waiters = json_object_get(m->settle_waiters, on);
		if (!waiters) {
			waiters = json_object();
			json_object_set_new(m->settle_waiters, on, waiters);
		}
		json_object_set_new(waiters, pkg->name, json_true());
	}
	pthread_mutex_unlock(&m->settle_lock);
	cz_strmap_release(&s.visited);
	return on != NULL;
}

void cz_package_done(cz_manager *m, const char *key)
{
	json_t *waiters;

	pthread_mutex_lock(&m->settle_lock);
	waiters = json_incref(json_object_get(m->settle_waiters, key));
	json_object_del(m->settle_waiters, key);
	pthread_mutex_unlock(&m->settle_lock);
	enqueue_names(m, waiters);
	json_decref(waiters);
}

/* Returns false when the Package is not in the catalog. */
static bool make_plan(cz_manager *m, const char *name, plan *p)
{
	cz_arena arena = CZ_ARENA_INIT;
	const cz_package *pkg;
	cz_reconcile r;
	cz_hr_ref *existing;
	size_t nexisting;
	bool found = false;

	pthread_rwlock_rdlock(&m->lock);
	pkg = cz_catalog_package(&m->catalog, name);
	if (!pkg)
		goto cleanup;
	found = true;
	p->object = json_incref(pkg->object);
	if (cz_meta_str(pkg->object, "deletionTimestamp")) {
		p->deleting = true;
		goto cleanup;
	}
	existing = existing_releases(m, name, &arena, &nexisting);
	cz_engine_reconcile(&m->engine, &arena, pkg, NULL, existing, nexisting,
			    &r);
	if (r.reason == CZ_REASON_DEPENDENCIES_NOT_READY &&
	    wait_for_settling(m, pkg)) {
		p->deferred = true;
		goto cleanup;
	}
	plan_fill(m, &r, p);
cleanup:
	pthread_rwlock_unlock(&m->lock);
	cz_arena_release(&arena);
	return found;
}

/* ---- the writes ---- */

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A namespace whose labels and annotation already read as desired is not
 * applied again: the apply would change nothing. */
static bool namespace_current(cz_manager *m, const json_t *want)
{
	static const char *const labels[] = {
		"cozystack.io/system", "pod-security.kubernetes.io/enforce"
	};
	json_t *have = cz_informer_get(m->inf[CZ_W_NAMESPACES], NULL,
				       cz_meta_str(want, "name"));
	bool same = have != NULL &&
		    same_string(cz_annotation(have, "helm.sh/resource-policy"),
				"keep");

	for (size_t i = 0; same && i < 2; i++)
		same = same_string(cz_label(have, labels[i]),
				   cz_label(want, labels[i]));
	json_decref(have);
	return same;
}

static int apply_namespaces(cz_manager *m, cz_kube *kube, const plan *p,
			    cz_error *err)
{
	size_t i;
	json_t *ns;

	json_array_foreach (p->namespaces, i, ns) {
		int rc;

		if (namespace_current(m, ns))
			continue;
		rc = cz_apply_object(kube, cz_res_namespaces(), ns, FIELD_MANAGER,
				     NULL, err);
		if (rc != CZ_OK) {
			cz_error_prefix(err, "failed to reconcile namespace %s",
					cz_meta_str(ns, "name"));
			return rc;
		}
	}
	return CZ_OK;
}

/* §2.3.2 update: labels and annotations merged (desired values win),
 * ownerReferences and spec replaced, spec.suspend kept. */
static json_t *merge_release(const json_t *have, const json_t *want)
{
	json_t *out = json_deep_copy(have);
	json_t *meta = json_object_get(out, "metadata");
	const json_t *want_meta = json_object_get(want, "metadata");
	json_t *spec = json_deep_copy(json_object_get(want, "spec"));
	json_t *suspend = json_object_get(json_object_get(have, "spec"),
					  "suspend");

	cz_meta_add_maps(out, want);
	json_object_set(meta, "ownerReferences",
			json_object_get(want_meta, "ownerReferences"));
	if (suspend)
		json_object_set(spec, "suspend", suspend);
	json_object_set_new(out, "spec", spec);
	return out;
}

/* Get, then create or update (a Get from the cache; a create that finds
 * the object already there falls back to a live Get and an update). */
static int write_release(cz_manager *m, cz_kube *kube, const json_t *want,
			 json_t **result, cz_error *err)
{
	const char *ns = cz_meta_str(want, "namespace");
	const char *name = cz_meta_str(want, "name");
	json_t *have = cz_informer_get(m->inf[CZ_W_RELEASES], ns, name);
	json_t *merged = NULL;
	char *path = NULL;
	int rc = CZ_OK;

	if (!have) {
		path = cz_kube_path(cz_res_releases(), ns, NULL, NULL, NULL);
		rc = cz_kube_create(kube, path, want, result, err);
		free(path);
		path = cz_kube_path(cz_res_releases(), ns, name, NULL, NULL);
		if (rc == CZ_OK)
			remember_own_write(m, *result);
		if (rc != CZ_EEXISTS)
			goto cleanup;
		rc = cz_kube_get(kube, path, &have, err);
		if (rc != CZ_OK)
			goto cleanup;
	}
	merged = merge_release(have, want);
	if (json_equal(merged, have)) {
		*result = json_incref(have);
		goto cleanup;
	}
	if (!path)
		path = cz_kube_path(cz_res_releases(), ns, name, NULL, NULL);
	rc = cz_kube_update(kube, path, merged, result, err);
	if (rc == CZ_OK)
		remember_own_write(m, *result);
cleanup:
	json_decref(merged);
	json_decref(have);
	free(path);
	return rc;
}

static void delete_orphans(cz_manager *m, cz_kube *kube, const plan *p)
{
	size_t i;
	json_t *o;

	json_array_foreach (p->orphans, i, o) {
		const char *ns = json_string_value(json_object_get(o,
								  "namespace"));
		const char *name = json_string_value(json_object_get(o, "name"));
		char *path = cz_kube_path(cz_res_releases(), ns, name, NULL, NULL);
		cz_error err = CZ_ERROR_INIT;
		int rc = cz_kube_delete(kube, path, NULL, NULL, &err);

		if (rc != CZ_OK && rc != CZ_ENOTFOUND)
			cz_ctl_log(m, "error", "package",
				   cz_meta_str(p->object, "name"),
				   "failed to delete orphaned HelmRelease "
				   "%s/%s: %s",
				   ns, name, err.msg);
		free(path);
	}
}

/* Healthy mode: Ready only when every HelmRelease reports Ready=True for
 * its current generation.  Returns the ones still waiting, or NULL. */
static char *unhealthy_releases(const json_t *written)
{
	cz_buf b;
	size_t i;
	json_t *hr;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	json_array_foreach (written, i, hr) {
		json_t *c = cz_condition(hr, "Ready");
		json_t *gen = json_object_get(json_object_get(hr, "metadata"),
					      "generation");
		json_t *seen = json_object_get(json_object_get(hr, "status"),
					       "observedGeneration");
		const char *st = json_string_value(json_object_get(c, "status"));
		bool ok = st && strcmp(st, "True") == 0 &&
			  (!gen || (seen && json_equal(gen, seen)));

		if (!ok)
			cz_buf_printf(&b, "%s%s/%s", b.len ? ", " : "",
				      cz_meta_str(hr, "namespace"),
				      cz_meta_str(hr, "name"));
	}
	if (!b.len) {
		cz_buf_release(&b);
		return NULL;
	}
	return cz_buf_detach(&b, NULL);
}

static void set_ready(plan *p, bool ready, const char *reason,
		      const char *message)
{
	json_t *c = json_array_get(json_object_get(p->status, "conditions"), 0);

	json_object_set_new(c, "status", json_string(ready ? "True" : "False"));
	json_object_set_new(c, "reason", json_string(reason));
	json_object_set_new(c, "message", json_string(message));
	p->ready = ready;
}

static int write_releases(cz_manager *m, cz_kube *kube, plan *p,
			  cz_error *err)
{
	json_t *written = json_array();
	char *waiting = NULL;
	size_t i;
	json_t *want;
	int rc = CZ_OK;

	json_array_foreach (p->releases, i, want) {
		json_t *result = NULL;

		rc = write_release(m, kube, want, &result, err);
		if (rc != CZ_OK) {
			char *msg = cz_xasprintf(
				"Failed to create HelmRelease %s: %s",
				cz_meta_str(want, "name"), err->msg);

			set_ready(p, false, "HelmReleaseFailed", msg);
			free(msg);
			goto cleanup;
		}
		json_array_append_new(written, result);
	}
	if (p->cleanup)
		delete_orphans(m, kube, p);
	if (p->ready && m->opts.ready_mode == CZ_READY_HEALTHY &&
	    (waiting = unhealthy_releases(written))) {
		char *msg = cz_xasprintf(
			"Waiting for HelmRelease(s) to become Ready: %s",
			waiting);

		set_ready(p, false, NOT_READY_REASON, msg);
		free(msg);
	}
cleanup:
	free(waiting);
	json_decref(written);
	return rc;
}

/* The status as it will be written: lastTransitionTime carried over from
 * the current condition when its status did not change. */
static json_t *final_status(const plan *p, bool *changed)
{
	json_t *have = json_object_get(p->object, "status");
	json_t *old = cz_condition(p->object, "Ready");
	json_t *want = json_array_get(json_object_get(p->status, "conditions"),
				      0);
	json_t *cond = cz_condition_new(
		old, "Ready", json_string_value(json_object_get(want, "status")),
		json_string_value(json_object_get(want, "reason")),
		json_string_value(json_object_get(want, "message")), -1);
	json_t *status = json_deep_copy(p->status);
	json_t *a = json_object_get(have, "dependencies");
	json_t *b = json_object_get(status, "dependencies");

	json_t *old_values = cz_condition(p->object, "ValuesValid");
	json_t *values = NULL;

	json_array_set_new(json_object_get(status, "conditions"), 0, cond);
	if (p->values) {
		values = cz_condition_new(
			old_values, "ValuesValid",
			json_string_value(json_object_get(p->values, "status")),
			json_string_value(json_object_get(p->values, "reason")),
			json_string_value(json_object_get(p->values,
							  "message")),
			-1);
		json_array_append(json_object_get(status, "conditions"),
				  values);
	}
	*changed = !cz_condition_same(old, cond) ||
		   json_array_size(json_object_get(have, "conditions")) !=
			   json_array_size(json_object_get(status,
							   "conditions")) ||
		   (values && !cz_condition_same(old_values, values)) ||
		   !((!a && !b) || (a && b && json_equal(a, b)));
	json_decref(values);
	return status;
}

static bool has_values(const json_t *pkg)
{
	const char *name;
	json_t *c;

	json_object_foreach (json_object_get(json_object_get(pkg, "spec"),
					     "components"),
			     name, c)
		if (json_is_object(json_object_get(c, "values")))
			return true;
	return false;
}

/* "a; b; c and N more" of the causes' "field: message". */
static char *causes_text(const json_t *causes)
{
	cz_buf b;
	size_t i;
	json_t *c;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	json_array_foreach (causes, i, c) {
		if (i == 3) {
			cz_buf_printf(&b, " and %zu more",
				      json_array_size(causes) - 3);
			break;
		}
		cz_buf_printf(&b, "%s%s: %s", i ? "; " : "",
			      json_string_value(json_object_get(c, "field")),
			      json_string_value(json_object_get(c, "message")));
	}
	return cz_buf_detach(&b, NULL);
}

/* ValuesValid for a Package that sets values, when the server checks
 * them: the write went through under warn, or before the artifacts were
 * built, so the status says how they stand now ({status, reason,
 * message}, new reference, or NULL). */
static json_t *values_condition(cz_manager *m, const json_t *pkg)
{
	json_t *causes, *unchecked, *cond;
	char *msg;

	if (!m->opts.check_values || !has_values(pkg))
		return NULL;
	causes = json_array();
	unchecked = json_array();
	m->opts.check_values(m->opts.values_ctx, pkg, causes, unchecked);
	if (json_array_size(causes)) {
		msg = causes_text(causes);
		cond = json_pack("{s:s, s:s, s:s}", "status", "False",
				 "reason", "ValuesInvalid", "message", msg);
	} else if (json_array_size(unchecked)) {
		msg = cz_xasprintf("values not checked: the artifact of "
				   "component %s is not built yet",
				   json_string_value(
					   json_array_get(unchecked, 0)));
		cond = json_pack("{s:s, s:s, s:s}", "status", "Unknown",
				 "reason", "NotChecked", "message", msg);
	} else {
		msg = cz_xstrdup("values validate against the charts' "
				 "values.schema.json");
		cond = json_pack("{s:s, s:s, s:s}", "status", "True",
				 "reason", "Valid", "message", msg);
	}
	free(msg);
	json_decref(causes);
	json_decref(unchecked);
	return cond;
}

static bool condition_true(const json_t *cond)
{
	const char *st = json_string_value(json_object_get(cond, "status"));

	return st && strcmp(st, "True") == 0;
}

/* Whether dependents of a Package see a difference between its current
 * object and the status about to be written: they read its readiness
 * only (the engine's gate, status.dependencies, the cycle search), and
 * whether it has been reconciled at all. */
static bool readiness_changed(const json_t *object, const json_t *status)
{
	const json_t *before = cz_condition(object, "Ready");
	const json_t *after = json_array_get(json_object_get(status,
							     "conditions"),
					     0);

	return !before || condition_true(before) != condition_true(after);
}

static int write_package_status(cz_manager *m, cz_kube *kube, const plan *p,
				cz_error *err)
{
	bool changed = false;
	json_t *status = final_status(p, &changed);
	json_t *result = NULL;
	json_t *affected;
	int rc = CZ_OK;

	if (!changed)
		goto cleanup;
	rc = cz_write_status(kube, cz_res_packages(), p->object, status, &result,
			     err);
	if (rc != CZ_OK)
		goto cleanup;
	/* The new status is what dependents read: put it in the catalog now
	 * rather than when the watch brings it, and nudge them when what
	 * they read of it, readiness, changed (or first appeared). */
	pthread_rwlock_wrlock(&m->lock);
	put_package(m, cz_meta_str(p->object, "name"), result, false);
	affected = readiness_changed(p->object, status)
			   ? affected_packages(m, cz_meta_str(p->object, "name"),
					       false, NULL)
			   : NULL;
	pthread_rwlock_unlock(&m->lock);
	enqueue_names(m, affected);
	json_decref(affected);
cleanup:
	json_decref(result);
	json_decref(status);
	return rc;
}

static bool suspended(const json_t *pkg)
{
	const char *v = json_string_value(json_object_get(
		json_object_get(json_object_get(pkg, "metadata"),
				"annotations"),
		CZ_SUSPEND_ANNOTATION));

	return v && strcmp(v, "true") == 0;
}

int cz_package_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err)
{
	cz_error status_err = CZ_ERROR_INIT;
	plan p;
	int rc = CZ_OK;
	int wrc = CZ_OK;

	memset(&p, 0, sizeof(p));
	if (!make_plan(m, key, &p) || p.deleting || p.deferred)
		goto cleanup;
	rc = apply_namespaces(m, kube, &p, err);
	if (rc != CZ_OK)
		goto cleanup;
	p.values = values_condition(m, p.object);
	if (p.write_releases && suspended(p.object))
		set_ready(&p, p.ready, "Suspended",
			  "HelmReleases are suspended: the controller leaves "
			  "them alone until `cozypkg resume`");
	else if (p.write_releases)
		wrc = write_releases(m, kube, &p, err);
	/* A failed write is the error to report; the status naming it is
	 * written all the same. */
	rc = write_package_status(m, kube, &p,
				  wrc == CZ_OK ? err : &status_err);
	if (wrc != CZ_OK)
		rc = wrc;
cleanup:
	plan_release(&p);
	return rc;
}
