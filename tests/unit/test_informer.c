/* Informers: cache keys, an empty cache, a thread that keeps failing to
 * connect yet stops promptly, and, over the in-process client on a real
 * SQLite store, adds, updates, deletes, a relist after 410 Gone and a
 * resync, and a compact cache sharing the store's text.  Over HTTPS the
 * same paths run in tests/e2e/50-client.sh. */

#include "helpers.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "api/resource.h"
#include "apiserver/direct.h"
#include "controller/informer.h"
#include "kube/client.h"
#include "object/meta.h"
#include "tmpdir.h"
#include "util/mem.h"

static void key_is(const char *json, const char *want)
{
	json_t *obj = json_loads(json, 0, NULL);
	char *got = cz_object_cache_key(obj);

	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
	free(got);
	json_decref(obj);
}

static void test_cache_key(void **state)
{
	(void)state;
	key_is("{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"}}", "ns/a");
	key_is("{\"metadata\":{\"name\":\"a\"}}", "a");
	key_is("{\"metadata\":{\"name\":\"a\",\"namespace\":\"\"}}", "a");
	key_is("{\"metadata\":{\"namespace\":\"ns\"}}", NULL);
	key_is("{}", NULL);
}

static cz_kube *unreachable(void)
{
	cz_kubeconfig kc = { .server = "https://127.0.0.1:1" };
	cz_kube *k = NULL;

	assert_int_equal(cz_kube_open(&kc, NULL, &k, NULL), CZ_OK);
	return k;
}

static const cz_resource *packages(void)
{
	return cz_resource_find("cozystack.io", "v1alpha1", "packages");
}

static void test_new_needs_resource(void **state)
{
	cz_kube *k = unreachable();
	cz_informer_opts opts = { 0 };
	cz_error err = CZ_ERROR_INIT;
	cz_informer *inf = NULL;

	(void)state;
	assert_int_equal(cz_informer_new(k, &opts, &inf, &err), CZ_EINVALID);
	assert_null(inf);
	cz_kube_free(k);
	cz_informer_free(NULL);
}

static void test_empty_cache(void **state)
{
	cz_kube *k = unreachable();
	cz_informer_opts opts = { .resource = packages() };
	cz_informer *inf = NULL;
	cz_informer_stats stats;
	volatile int stop = 1;
	json_t *list;

	(void)state;
	assert_int_equal(cz_informer_new(k, &opts, &inf, NULL), CZ_OK);
	cz_kube_free(k); /* the informer has its own handle */
	assert_false(cz_informer_synced(inf));
	assert_false(cz_informer_wait_synced(inf, &stop));
	assert_null(cz_informer_get(inf, NULL, "x"));
	assert_int_equal(cz_informer_count(inf), 0);
	list = cz_informer_list(inf, NULL, "a", "b");
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	list = cz_informer_list(inf, "ns", NULL, NULL);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	cz_informer_get_stats(inf, &stats);
	assert_int_equal(stats.lists + stats.watches + stats.events, 0);
	cz_informer_free(inf);
}

static void never(void *ctx, json_t *old_obj, json_t *new_obj)
{
	(void)ctx;
	(void)old_obj;
	(void)new_obj;
	fail_msg("no change expected");
}

/* The thread backs off between failed lists and still stops at once. */
static void test_stops_while_failing(void **state)
{
	cz_kube *k = unreachable();
	cz_informer_opts opts = { .resource = packages(), .page_size = 5 };
	cz_error err = CZ_ERROR_INIT;
	cz_informer *inf = NULL;
	struct timespec pause = { 0, 300 * 1000000L }, t0, t1;

	(void)state;
	assert_int_equal(cz_informer_new(k, &opts, &inf, &err), CZ_OK);
	cz_informer_on_change(inf, never, NULL);
	assert_int_equal(cz_informer_start(inf, &err), CZ_OK);
	assert_int_equal(cz_informer_start(inf, &err), CZ_EINVALID);
	nanosleep(&pause, NULL);
	assert_false(cz_informer_synced(inf));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cz_informer_stop(inf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	cz_informer_stop(inf); /* twice is harmless */
	assert_int_equal(cz_informer_count(inf), 0);
	cz_informer_free(inf);
	cz_kube_free(k);
}

/* ---- against a real store, through the in-process client ---- */

typedef struct fixture {
	char *dir;
	cz_store *store;
	cz_kube *kube;
	pthread_mutex_t mu;
	json_t *seen; /* [{"op": add|update|delete|resync, "name", "rv"}] */
} fixture;

static void fixture_open(fixture *f, size_t window)
{
	static char group[] = CZ_GROUP_MASTERS;
	static char *groups[] = { group };
	static char name[] = "admin";
	const cz_user admin = { name, name, groups, 1 };
	char *db;
	cz_store_opts so = { 0 };

	memset(f, 0, sizeof(*f));
	f->dir = tmpdir_make();
	db = cz_xasprintf("%s/store.db", f->dir);
	so.path = db;
	so.event_window = window;
	assert_int_equal(cz_store_open(&so, &f->store, NULL), CZ_OK);
	free(db);
	assert_int_equal(cz_kube_open_direct(f->store, NULL, &admin, "in-process",
					     NULL, &f->kube, NULL),
			 CZ_OK);
	pthread_mutex_init(&f->mu, NULL);
	f->seen = json_array();
}

static void fixture_close(fixture *f)
{
	cz_kube_free(f->kube);
	cz_store_close(f->store);
	tmpdir_remove(f->dir);
	free(f->dir);
	json_decref(f->seen);
	pthread_mutex_destroy(&f->mu);
}

static void record(void *ctx, json_t *old_obj, json_t *new_obj)
{
	fixture *f = ctx;
	json_t *o = new_obj ? new_obj : old_obj;
	const char *op = !old_obj ? "add" : !new_obj ? "delete"
				: old_obj == new_obj ? "resync" : "update";

	pthread_mutex_lock(&f->mu);
	json_array_append_new(f->seen,
			      json_pack("{s:s, s:s, s:s}", "op", op, "name",
					cz_meta_str(o, "name"), "rv",
					cz_meta_str(o, "resourceVersion")));
	pthread_mutex_unlock(&f->mu);
}

static size_t count_seen(fixture *f, const char *op, const char *name)
{
	size_t n = 0, i;
	json_t *e;

	pthread_mutex_lock(&f->mu);
	json_array_foreach (f->seen, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "op")), op) &&
		    (!name ||
		     !strcmp(json_string_value(json_object_get(e, "name")),
			     name)))
			n++;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* Polls for up to five seconds. */
static bool eventually(fixture *f, const char *op, const char *name,
		       size_t at_least)
{
	struct timespec pause = { 0, 10 * 1000000L };

	for (int i = 0; i < 500; i++) {
		if (count_seen(f, op, name) >= at_least)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static void create_package(fixture *f, const char *name, const char *label)
{
	json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}",
				"apiVersion", "cozystack.io/v1alpha1", "kind",
				"Package", "metadata", "name", name, "labels",
				"tier", label, "spec", "variant", "default");
	char *path = cz_kube_path(packages(), NULL, NULL, NULL, NULL);
	cz_error err = CZ_ERROR_INIT;

	assert_int_equal(cz_kube_create(f->kube, path, obj, NULL, &err), CZ_OK);
	free(path);
	json_decref(obj);
}

static void patch_package(fixture *f, const char *name, const char *variant)
{
	json_t *patch = json_pack("{s:{s:s}}", "spec", "variant", variant);
	char *path = cz_kube_path(packages(), NULL, name, NULL, NULL);

	assert_int_equal(cz_kube_patch(f->kube, path, NULL, patch, NULL, NULL),
			 CZ_OK);
	free(path);
	json_decref(patch);
}

static void delete_package(fixture *f, const char *name)
{
	char *path = cz_kube_path(packages(), NULL, name, NULL, NULL);

	assert_int_equal(cz_kube_delete(f->kube, path, NULL, NULL, NULL), CZ_OK);
	free(path);
}

static cz_informer *started_cache(fixture *f, unsigned resync_seconds,
				  bool compact)
{
	cz_informer_opts opts = { .resource = packages(), .page_size = 2,
				  .resync_seconds = resync_seconds,
				  .compact = compact };
	cz_informer *inf = NULL;
	volatile int stop = 0;

	assert_int_equal(cz_informer_new(f->kube, &opts, &inf, NULL), CZ_OK);
	cz_informer_on_change(inf, record, f);
	assert_int_equal(cz_informer_start(inf, NULL), CZ_OK);
	assert_true(cz_informer_wait_synced(inf, &stop));
	return inf;
}

static cz_informer *started(fixture *f, unsigned resync_seconds)
{
	return started_cache(f, resync_seconds, false);
}

/* The same behaviour whether the cache keeps trees or text. */
static void follows(bool compact)
{
	static const char *const name_path[] = { "metadata.name" };
	cz_projection *name_only = cz_projection_new(name_path, 1);
	fixture f;
	cz_informer *inf;
	cz_informer_stats stats;
	json_t *obj, *list;

	fixture_open(&f, 0);
	create_package(&f, "a", "web");
	create_package(&f, "b", "web");
	create_package(&f, "c", "db");
	inf = started_cache(&f, 1, compact);
	/* The first list came in pages of two and is complete. */
	assert_int_equal(cz_informer_count(inf), 3);
	assert_true(eventually(&f, "add", NULL, 3));
	create_package(&f, "d", "db");
	assert_true(eventually(&f, "add", "d", 1));
	patch_package(&f, "a", "other");
	assert_true(eventually(&f, "update", "a", 1));
	obj = cz_informer_get(inf, NULL, "a");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(obj, "spec"), "variant")),
			    "other");
	/* Cached objects do not keep what no controller reads. */
	assert_null(json_object_get(json_object_get(obj, "metadata"),
				    "managedFields"));
	json_decref(obj);
	/* A view parses only what it names of the store's shared text; a
	 * cache of trees hands over the whole object. */
	obj = cz_informer_get_view(inf, NULL, "a", name_only);
	assert_string_equal(cz_meta_str(obj, "name"), "a");
	assert_true(!json_object_get(obj, "spec") == compact);
	json_decref(obj);
	delete_package(&f, "b");
	assert_true(eventually(&f, "delete", "b", 1));
	assert_null(cz_informer_get(inf, NULL, "b"));
	list = cz_informer_list(inf, NULL, "tier", "db");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(cz_meta_str(json_array_get(list, 0), "name"), "c");
	assert_string_equal(cz_meta_str(json_array_get(list, 1), "name"), "d");
	json_decref(list);
	/* The same selection as names only. */
	list = cz_informer_list_names(inf, NULL, "tier", "db");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_array_get(
				    json_array_get(list, 0), 0)), "");
	assert_string_equal(json_string_value(json_array_get(
				    json_array_get(list, 1), 1)), "d");
	json_decref(list);
	assert_int_equal(cz_informer_count(inf), 3);
	/* Over the in-process client a compact cache holds what came by
	 * the watch ("a" patched, "d" added) as the store's own text; the
	 * first list's "c" is text of its own. */
	cz_informer_get_stats(inf, &stats);
	assert_int_equal(stats.shared, compact ? 2 : 0);
	/* A resync hands every cached object over, parsed anew from text
	 * in a compact cache. */
	assert_true(eventually(&f, "resync", "d", 1));
	cz_informer_free(inf);
	fixture_close(&f);
	cz_projection_free(name_only);
}

static void test_follows_adds_updates_deletes(void **state)
{
	(void)state;
	follows(false);
}

static void test_compact_cache_follows(void **state)
{
	(void)state;
	follows(true);
}

/* Writes made while the informer was stopped fall out of a window of
 * four events: resuming gets 410 Gone, and the relist reports the
 * difference as a delete and an add. */
static void test_relists_after_gone(void **state)
{
	fixture f;
	cz_informer *inf;
	cz_informer_stats stats;

	(void)state;
	fixture_open(&f, 4);
	create_package(&f, "a", "web");
	create_package(&f, "b", "web");
	inf = started(&f, 0);
	cz_informer_stop(inf);
	delete_package(&f, "a");
	for (int i = 0; i < 6; i++)
		patch_package(&f, "b", i % 2 ? "one" : "two");
	create_package(&f, "z", "web");
	assert_int_equal(cz_informer_start(inf, NULL), CZ_OK);
	assert_true(eventually(&f, "add", "z", 1));
	assert_true(eventually(&f, "delete", "a", 1));
	assert_null(cz_informer_get(inf, NULL, "a"));
	assert_int_equal(cz_informer_count(inf), 2);
	cz_informer_get_stats(inf, &stats);
	assert_true(stats.lists >= 2);
	cz_informer_free(inf);
	fixture_close(&f);
}

static void create_in(fixture *f, const char *resource, const char *ns,
		      const char *name, const char *value)
{
	const cz_resource *r = cz_resource_find("", "v1", resource);
	json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1",
				"kind", r->kind, "metadata", "name", name);
	char *path = cz_kube_path(r, ns, NULL, NULL, NULL);

	if (value)
		json_object_set_new(obj, "stringData",
				    json_pack("{s:s}", "v", value));
	assert_int_equal(cz_kube_create(f->kube, path, obj, NULL, NULL), CZ_OK);
	free(path);
	json_decref(obj);
}

static void names_are(cz_informer *inf, const char *ns, const char *want)
{
	json_t *list = cz_informer_list_names(inf, ns, NULL, NULL);
	char *got = json_dumps(list, JSON_COMPACT);

	assert_string_equal(got, want);
	free(got);
	json_decref(list);
}

/* Namespaced objects: one name in two namespaces are two entries, found
 * by namespace and name, by key, and by namespace in a list. */
static void namespaced(bool compact)
{
	cz_informer_opts opts = { .resource = cz_resource_find("", "v1",
							       "secrets"),
				  .compact = compact };
	fixture f;
	cz_informer *inf = NULL;
	volatile int stop = 0;
	json_t *obj;

	fixture_open(&f, 0);
	create_in(&f, "namespaces", NULL, "ns1", NULL);
	create_in(&f, "namespaces", NULL, "ns2", NULL);
	create_in(&f, "secrets", "ns1", "s", "one");
	assert_int_equal(cz_informer_new(f.kube, &opts, &inf, NULL), CZ_OK);
	cz_informer_on_change(inf, record, &f);
	assert_int_equal(cz_informer_start(inf, NULL), CZ_OK);
	assert_true(cz_informer_wait_synced(inf, &stop));
	create_in(&f, "secrets", "ns2", "s", "two");
	create_in(&f, "secrets", "ns1", "t", "three");
	assert_true(eventually(&f, "add", "t", 1));
	assert_int_equal(cz_informer_count(inf), 3);
	obj = cz_informer_get(inf, "ns2", "s");
	assert_string_equal(cz_meta_str(obj, "namespace"), "ns2");
	json_decref(obj);
	obj = cz_informer_get_key(inf, "ns1/s");
	assert_string_equal(cz_meta_str(obj, "namespace"), "ns1");
	assert_non_null(cz_meta_str(obj, "resourceVersion"));
	json_decref(obj);
	assert_null(cz_informer_get(inf, "ns3", "s"));
	assert_null(cz_informer_get(inf, NULL, "s"));
	names_are(inf, NULL, "[[\"ns1\",\"s\"],[\"ns1\",\"t\"],[\"ns2\",\"s\"]]");
	names_are(inf, "ns1", "[[\"ns1\",\"s\"],[\"ns1\",\"t\"]]");
	cz_informer_free(inf);
	fixture_close(&f);
}

static void test_namespaced_objects(void **state)
{
	(void)state;
	namespaced(false);
	namespaced(true);
}

static void test_resync_redelivers(void **state)
{
	fixture f;
	cz_informer *inf;
	cz_informer_stats stats;

	(void)state;
	fixture_open(&f, 0);
	create_package(&f, "a", "web");
	create_package(&f, "b", "web");
	inf = started(&f, 1);
	assert_int_equal(count_seen(&f, "resync", NULL), 0);
	/* The periodic resync hands each object over as old == new. */
	assert_true(eventually(&f, "resync", "a", 1));
	assert_true(eventually(&f, "resync", "b", 1));
	cz_informer_resync(inf);
	assert_true(count_seen(&f, "resync", "a") >= 2);
	cz_informer_get_stats(inf, &stats);
	assert_true(stats.resyncs >= 2);
	cz_informer_free(inf);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_key),
		cmocka_unit_test(test_new_needs_resource),
		cmocka_unit_test(test_empty_cache),
		cmocka_unit_test(test_stops_while_failing),
		cmocka_unit_test(test_follows_adds_updates_deletes),
		cmocka_unit_test(test_compact_cache_follows),
		cmocka_unit_test(test_relists_after_gone),
		cmocka_unit_test(test_resync_redelivers),
		cmocka_unit_test(test_namespaced_objects),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
