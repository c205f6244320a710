/* The store: writes and preconditions, restarts, ordered listing, watches,
 * concurrency, crash safety and damaged files. */

#include "helpers.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/jsoncheck.h"
#include "store/store.h"
#include "util/mem.h"
#include "util/sort.h"

typedef struct fixture {
	char dir[64];
	char path[128];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/cz-test-store-XXXXXX");
	if (!fx || !mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/store.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	char file[512];

	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", fx->dir, e->d_name);
		unlink(file);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static cz_store *open_window(const fixture *fx, size_t window)
{
	cz_store_opts opts = { fx->path, false, window };
	cz_error err = CZ_ERROR_INIT;
	cz_store *st = NULL;

	if (cz_store_open(&opts, &st, &err) < 0)
		fail_msg("open: %s", err.msg);
	return st;
}

static cz_store *open_store(const fixture *fx)
{
	return open_window(fx, 0);
}

static json_t *obj(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (!v)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return v;
}

/* Writes text under key (create when absent, else update); returns rv. */
static int64_t put(cz_store *st, const char *key, const char *text)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *v = obj(text);
	cz_blob *b = NULL;
	int64_t rv;
	int rc;

	rc = cz_store_create(st, key, v, &b, &err);
	if (rc == CZ_EEXISTS)
		rc = cz_store_update(st, key, v, 0, &b, &err);
	if (rc < 0)
		fail_msg("put %s: %s", key, err.msg);
	json_decref(v);
	rv = b->rv;
	cz_blob_unref(b);
	return rv;
}

static int64_t del(cz_store *st, const char *key)
{
	cz_error err = CZ_ERROR_INIT;
	cz_blob *b = NULL;
	int64_t rv;

	if (cz_store_delete(st, key, 0, &b, &err) < 0)
		fail_msg("delete %s: %s", key, err.msg);
	rv = b->rv;
	cz_blob_unref(b);
	return rv;
}

static void assert_stored(cz_store *st, const char *key, int64_t rv,
			  const char *data)
{
	cz_error err = CZ_ERROR_INIT;
	cz_blob *b = NULL;

	if (cz_store_get(st, key, &b, &err) < 0)
		fail_msg("get %s: %s", key, err.msg);
	assert_int_equal(b->rv, rv);
	assert_string_equal(b->key, key);
	if (data) {
		assert_string_equal(b->data, data);
		assert_int_equal(b->len, strlen(data));
	}
	cz_blob_unref(b);
}

static void test_create_get(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	json_t *v = obj("{\"kind\": \"ConfigMap\", \"apiVersion\": \"v1\", "
			"\"data\": {\"z\": \"1\", \"a\": \"2\"}}");
	cz_blob *b = NULL;

	assert_int_equal(cz_store_revision(st), 0);
	assert_int_equal(cz_store_create(st, "/configmaps/ns1/a", v, &b, &err),
			 0);
	/* key order kept, metadata appended, the rv a string */
	assert_string_equal(b->data,
			    "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\","
			    "\"data\":{\"z\":\"1\",\"a\":\"2\"},"
			    "\"metadata\":{\"resourceVersion\":\"1\"}}");
	assert_int_equal(b->rv, 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(v, "metadata"),
				    "resourceVersion")),
			    "1");
	assert_stored(st, "/configmaps/ns1/a", 1, b->data);
	assert_int_equal(cz_store_count(st), 1);
	assert_int_equal(cz_store_bytes(st), b->len);
	cz_blob_unref(b);

	assert_int_equal(cz_store_create(st, "/configmaps/ns1/a", v, NULL,
					 &err),
			 CZ_EEXISTS);
	assert_int_equal(cz_store_revision(st), 1);
	assert_int_equal(cz_store_get(st, "/configmaps/ns1/b", &b, &err),
			 CZ_ENOTFOUND);
	assert_null(b);
	json_decref(v);

	/* an existing metadata keeps its place and other fields */
	assert_int_equal(put(st, "k2",
			     "{\"metadata\": {\"name\": \"n\", "
			     "\"resourceVersion\": \"77\"}, \"x\": 1}"),
			 2);
	assert_stored(st, "k2", 2,
		      "{\"metadata\":{\"name\":\"n\","
		      "\"resourceVersion\":\"2\"},\"x\":1}");
	cz_store_close(st);
}

static void test_bad_input(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	json_t *arr = obj("[1]"), *meta = obj("{\"metadata\": 3}");
	json_t *good = obj("{}");

	assert_int_equal(cz_store_create(st, "a", arr, NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_store_create(st, "a", meta, NULL, &err),
			 CZ_EINVALID);
	assert_contains(err.msg, "metadata");
	assert_int_equal(cz_store_create(st, "", good, NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_store_create(st, NULL, good, NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_store_revision(st), 0);
	assert_int_equal(cz_store_count(st), 0);
	json_decref(arr);
	json_decref(meta);
	json_decref(good);
	cz_store_close(st);
}

static void test_update_cas(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	json_t *v = obj("{\"spec\": 1}");
	cz_blob *b = NULL;

	assert_int_equal(cz_store_update(st, "u", v, 0, &b, &err),
			 CZ_ENOTFOUND);
	assert_null(b);
	put(st, "u", "{\"spec\": 0}");
	put(st, "other", "{}");
	/* stale precondition */
	assert_int_equal(cz_store_update(st, "u", v, 2, &b, &err),
			 CZ_ECONFLICT);
	assert_contains(err.msg, "u has been modified");
	assert_null(b);
	assert_stored(st, "u", 1, "{\"spec\":0,\"metadata\":{"
				  "\"resourceVersion\":\"1\"}}");
	/* matching precondition */
	assert_int_equal(cz_store_update(st, "u", v, 1, &b, &err), 0);
	assert_int_equal(b->rv, 3);
	cz_blob_unref(b);
	/* unconditional */
	assert_int_equal(cz_store_update(st, "u", v, 0, NULL, &err), 0);
	assert_stored(st, "u", 4, "{\"spec\":1,\"metadata\":{"
				  "\"resourceVersion\":\"4\"}}");
	assert_int_equal(cz_store_count(st), 2);
	json_decref(v);
	cz_store_close(st);
}

static void test_delete_precondition(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	cz_blob *b = NULL;

	put(st, "d", "{\"a\": 1, \"metadata\": {\"name\": \"d\"}}");
	put(st, "e", "{}");
	assert_int_equal(cz_store_delete(st, "d", 2, &b, &err), CZ_ECONFLICT);
	assert_null(b);
	assert_int_equal(cz_store_delete(st, "d", 1, &b, &err), 0);
	/* the last state, stamped with the deletion's own revision */
	assert_int_equal(b->rv, 3);
	assert_string_equal(b->key, "d");
	assert_string_equal(b->data, "{\"a\":1,\"metadata\":{\"name\":\"d\","
				     "\"resourceVersion\":\"3\"}}");
	cz_blob_unref(b);
	assert_int_equal(cz_store_get(st, "d", &b, &err), CZ_ENOTFOUND);
	assert_int_equal(cz_store_delete(st, "d", 0, &b, &err), CZ_ENOTFOUND);
	assert_int_equal(cz_store_revision(st), 3);
	assert_int_equal(cz_store_count(st), 1);
	assert_int_equal(cz_store_bytes(st),
			 strlen("{\"metadata\":{\"resourceVersion\":\"2\"}}"));
	cz_store_close(st);
}

static void test_restart_keeps_objects_and_revision(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);

	put(st, "a", "{\"v\": \"a\"}");
	put(st, "b", "{\"v\": \"b\"}");
	put(st, "c", "{\"v\": \"c\"}");
	put(st, "a", "{\"v\": \"a2\"}");
	del(st, "b");
	del(st, "c"); /* the highest revision belongs to no stored object */
	cz_store_close(st);

	st = open_store(fx);
	assert_int_equal(cz_store_revision(st), 6);
	assert_int_equal(cz_store_count(st), 1);
	assert_stored(st, "a", 4, "{\"v\":\"a2\",\"metadata\":{"
				  "\"resourceVersion\":\"4\"}}");
	assert_int_equal(put(st, "d", "{}"), 7);
	cz_store_close(st);

	st = open_store(fx);
	assert_int_equal(cz_store_revision(st), 7);
	assert_int_equal(cz_store_count(st), 2);
	cz_store_close(st);
}

static void list_keys(cz_store *st, const char *prefix, const char *after,
		      size_t limit, char *out, size_t outsize, bool *more)
{
	cz_error err = CZ_ERROR_INIT;
	cz_blob **items = NULL;
	size_t n = 0;
	int64_t rv = -1;

	if (cz_store_list_page(st, prefix, after, limit, &items, &n, &rv, more,
			       &err) < 0)
		fail_msg("list: %s", err.msg);
	assert_int_equal(rv, cz_store_revision(st));
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(out, items[i]->key, outsize - strlen(out) - 2);
		strncat(out, " ", outsize - strlen(out) - 1);
		cz_blob_unref(items[i]);
	}
	free(items);
}

static void test_list_prefix_order(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	const char *keys[] = { "a/b/c", "b/x", "a/", "a/\xc3\xa9", "a/b",
			       "a/z", "a", "a/ba", "a/B", "a/b/" };
	char got[512];
	bool more = true;

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		put(st, keys[i], "{}");
	list_keys(st, "a/", NULL, 0, got, sizeof(got), &more);
	/* bytewise: 'B' < 'b', '/' < 'a', 0xc3 after ASCII */
	assert_string_equal(got, "a/ a/B a/b a/b/ a/b/c a/ba a/z a/\xc3\xa9 ");
	assert_false(more);
	list_keys(st, "a/", "a/b/", 0, got, sizeof(got), NULL);
	assert_string_equal(got, "a/b/c a/ba a/z a/\xc3\xa9 ");
	/* start_after need not be a stored key, nor under the prefix */
	list_keys(st, "a/", "a/b0", 0, got, sizeof(got), NULL);
	assert_string_equal(got, "a/ba a/z a/\xc3\xa9 ");
	list_keys(st, "a/", "0", 0, got, sizeof(got), NULL);
	assert_string_equal(got, "a/ a/B a/b a/b/ a/b/c a/ba a/z a/\xc3\xa9 ");
	list_keys(st, "a/", "b", 0, got, sizeof(got), NULL);
	assert_string_equal(got, "");
	list_keys(st, "", NULL, 0, got, sizeof(got), NULL);
	assert_string_equal(
		got, "a a/ a/B a/b a/b/ a/b/c a/ba a/z a/\xc3\xa9 b/x ");
	list_keys(st, "a/b", NULL, 3, got, sizeof(got), &more);
	assert_string_equal(got, "a/b a/b/ a/b/c ");
	assert_true(more);
	list_keys(st, "a/b", "a/b/c", 3, got, sizeof(got), &more);
	assert_string_equal(got, "a/ba ");
	assert_false(more);
	list_keys(st, "c", NULL, 0, got, sizeof(got), &more);
	assert_string_equal(got, "");
	cz_store_close(st);
}

/* Enough keys to split and empty index chunks; checked against qsort. */
static void test_list_many_keys(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	enum { N = 3000 };
	char **keys = calloc(N, sizeof(*keys));
	const char **alive = calloc(N, sizeof(*alive));
	json_t **objs = calloc(N, sizeof(*objs));
	cz_error err = CZ_ERROR_INIT;
	cz_blob **items = NULL;
	size_t n = 0, nalive = 0;
	int64_t rv;

	for (size_t i = 0; i < N; i++) {
		/* scattered order: i * 7919 mod N visits every i once */
		keys[i] = malloc(32);
		snprintf(keys[i], 32, "k/%05zu", (i * 7919) % N);
		objs[i] = obj("{}");
	}
	/* half in one batch, half one by one */
	assert_int_equal(cz_store_create_batch(st, N / 2,
					       (const char *const *)keys, objs,
					       &err),
			 0);
	for (size_t i = N / 2; i < N; i++)
		put(st, keys[i], "{}");
	for (size_t i = 0; i < N; i++)
		if (i % 3 == 0)
			del(st, keys[i]);
		else
			alive[nalive++] = keys[i];
	cz_sort(alive, nalive, sizeof(*alive), cz_cmp_str);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(cz_store_list(st, "k/", NULL, &items, &n, &rv,
					       &err),
				 0);
		assert_int_equal(n, nalive);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(items[i]->key, alive[i]);
			cz_blob_unref(items[i]);
		}
		free(items);
		/* and the same after loading from the file */
		cz_store_close(st);
		st = open_store(fx);
	}
	assert_int_equal(cz_store_count(st), nalive);
	for (size_t i = 0; i < N; i++) {
		free(keys[i]);
		json_decref(objs[i]);
	}
	free(keys);
	free(alive);
	free(objs);
	cz_store_close(st);
}

static void test_create_batch(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	const char *keys[] = { "x/1", "x/2", "x/1" };
	json_t *objs[] = { obj("{}"), obj("{}"), obj("{}") };

	assert_int_equal(cz_store_create_batch(st, 3, keys, objs, &err),
			 CZ_EEXISTS);
	assert_contains(err.msg, "x/1 appears twice");
	assert_int_equal(cz_store_create_batch(st, 2, keys, objs, &err), 0);
	assert_int_equal(cz_store_revision(st), 2);
	assert_stored(st, "x/2", 2, NULL);
	assert_int_equal(cz_store_create_batch(st, 1, keys + 1, objs, &err),
			 CZ_EEXISTS);
	assert_int_equal(cz_store_count(st), 2);
	for (size_t i = 0; i < 3; i++)
		json_decref(objs[i]);
	cz_store_close(st);
}

/* The next event must be type for key at rv. */
static void expect_event(cz_watch *w, cz_event_type type, const char *key,
			 int64_t rv)
{
	cz_error err = CZ_ERROR_INIT;
	cz_event ev;

	if (cz_watch_next(w, 2000, &ev, &err) < 0)
		fail_msg("watch: %s", err.msg);
	assert_int_equal(ev.type, type);
	assert_non_null(ev.object);
	assert_string_equal(ev.object->key, key);
	assert_int_equal(ev.object->rv, rv);
	cz_blob_unref(ev.object);
}

static void expect_quiet(cz_watch *w)
{
	cz_error err = CZ_ERROR_INIT;
	cz_event ev;

	assert_int_equal(cz_watch_next(w, 20, &ev, &err), 0);
	assert_int_equal(ev.type, CZ_EV_NONE);
	assert_null(ev.object);
}

static void test_watch_from_now(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	cz_watch *w = NULL, *all = NULL;
	cz_event ev;

	put(st, "ns/a", "{}");
	assert_int_equal(cz_store_watch(st, "ns/", 0, &w, &err), 0);
	assert_int_equal(cz_store_watch(st, "", 0, &all, &err), 0);
	assert_int_equal(cz_store_watch_count(st), 2);
	assert_int_equal(cz_watch_revision(w), 1);
	expect_quiet(w);
	assert_int_equal(cz_watch_next(w, 0, &ev, &err), 0);
	assert_int_equal(ev.type, CZ_EV_NONE);

	put(st, "ns/b", "{}");
	put(st, "other/x", "{}");
	put(st, "ns/a", "{\"v\": 2}");
	del(st, "ns/b");
	expect_event(w, CZ_EV_ADDED, "ns/b", 2);
	expect_event(w, CZ_EV_MODIFIED, "ns/a", 4);
	expect_event(w, CZ_EV_DELETED, "ns/b", 5);
	expect_quiet(w);
	/* skipped events count for the bookmark */
	assert_int_equal(cz_watch_revision(w), 5);
	expect_event(all, CZ_EV_ADDED, "ns/b", 2);
	expect_event(all, CZ_EV_ADDED, "other/x", 3);
	assert_int_equal(cz_watch_revision(all), 3);
	cz_watch_close(w);
	cz_watch_close(all);
	assert_int_equal(cz_store_watch_count(st), 0);
	cz_store_close(st);
}

static void test_watch_from_past(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_window(fx, 4);
	cz_error err = CZ_ERROR_INIT;
	cz_watch *w = NULL;
	cz_event ev;

	put(st, "a", "{}"); /* 1 */
	put(st, "b", "{}"); /* 2 */
	put(st, "a", "{}"); /* 3 */
	assert_int_equal(cz_store_watch(st, "", 1, &w, &err), 0);
	expect_event(w, CZ_EV_ADDED, "b", 2);
	expect_event(w, CZ_EV_MODIFIED, "a", 3);
	expect_quiet(w);
	cz_watch_close(w);

	for (int i = 0; i < 7; i++)
		put(st, "c", "{}"); /* 4..10: the ring keeps 7..10 */
	assert_int_equal(cz_store_watch(st, "", 5, &w, &err), CZ_EGONE);
	assert_null(w);
	assert_contains(err.msg, "too old resource version: 5");
	assert_int_equal(cz_store_watch(st, "", 6, &w, &err), 0);
	expect_event(w, CZ_EV_MODIFIED, "c", 7);
	cz_watch_close(w);
	assert_int_equal(cz_store_watch(st, "", 10, &w, &err), 0);
	expect_quiet(w);
	assert_int_equal(cz_watch_next(w, 0, &ev, &err), 0);
	cz_watch_close(w);
	/* a future revision waits for its turn */
	assert_int_equal(cz_store_watch(st, "", 11, &w, &err), 0);
	put(st, "d", "{}");
	put(st, "e", "{}");
	expect_event(w, CZ_EV_ADDED, "e", 12);
	cz_watch_close(w);
	cz_store_close(st);
}

static void test_watch_gone_after_restart(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	cz_watch *w = NULL;

	put(st, "a", "{}");
	put(st, "b", "{}");
	put(st, "c", "{}");
	cz_store_close(st);
	st = open_store(fx);
	assert_int_equal(cz_store_watch(st, "", 1, &w, &err), CZ_EGONE);
	assert_int_equal(cz_store_watch(st, "", 2, &w, &err), CZ_EGONE);
	assert_int_equal(cz_store_watch(st, "", 3, &w, &err), 0);
	expect_quiet(w);
	put(st, "d", "{}");
	expect_event(w, CZ_EV_ADDED, "d", 4);
	cz_watch_close(w);
	assert_int_equal(cz_store_watch(st, "", 0, &w, &err), 0);
	assert_int_equal(cz_watch_revision(w), 4);
	cz_watch_close(w);
	cz_store_close(st);
}

static void test_watch_falls_behind(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_window(fx, 4);
	cz_error err = CZ_ERROR_INIT;
	cz_watch *slow = NULL, *filtered = NULL;
	cz_event ev;

	assert_int_equal(cz_store_watch(st, "", 0, &slow, &err), 0);
	/* a watcher whose prefix matches nothing still falls behind: the
	 * events it missed are unknown, not known to be irrelevant */
	assert_int_equal(cz_store_watch(st, "zzz", 0, &filtered, &err), 0);
	put(st, "a", "{}");
	expect_quiet(filtered);
	for (int i = 0; i < 4; i++)
		put(st, "a", "{}");
	expect_quiet(filtered); /* it kept up: 2..5 all looked at */
	for (int i = 0; i < 10; i++)
		put(st, "a", "{}");
	assert_int_equal(cz_watch_next(slow, 100, &ev, &err), CZ_EGONE);
	assert_contains(err.msg, "fell behind");
	assert_null(ev.object);
	assert_int_equal(cz_watch_next(filtered, 100, &ev, &err), CZ_EGONE);
	cz_watch_close(slow);
	cz_watch_close(filtered);
	cz_store_close(st);
}

typedef struct waiter {
	cz_watch *w;
	int rc;
} waiter;

static void *wait_for_event(void *arg)
{
	waiter *wt = arg;
	cz_event ev;

	wt->rc = cz_watch_next(wt->w, -1, &ev, NULL);
	cz_blob_unref(ev.object);
	return NULL;
}

static void test_stop_watches(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	cz_watch *w = NULL, *late = NULL, *outlives = NULL;
	waiter wt = { NULL, 1 };
	pthread_t t;
	cz_event ev;

	assert_int_equal(cz_store_watch(st, "", 0, &w, &err), 0);
	wt.w = w;
	pthread_create(&t, NULL, wait_for_event, &wt);
	usleep(20000);
	cz_store_stop_watches(st);
	pthread_join(t, NULL);
	assert_int_equal(wt.rc, CZ_EIO);
	assert_int_equal(cz_store_watch(st, "", 0, &late, &err), CZ_EIO);
	cz_watch_close(w);
	cz_store_close(st);

	/* a watch left open when the store closes ends, and closes after */
	st = open_store(fx);
	assert_int_equal(cz_store_watch(st, "", 0, &outlives, &err), 0);
	put(st, "a", "{}");
	cz_store_close(st);
	assert_int_equal(cz_watch_next(outlives, 10, &ev, &err), CZ_EIO);
	cz_watch_close(outlives);
}

/* A write wakes only the sleeping watches its key falls under: a watch of
 * another resource sleeps through it. */
static void test_watch_woken_only_for_its_prefix(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	cz_watch *w = NULL, *other = NULL;
	waiter wt = { NULL, 1 };
	pthread_t t;
	char key[32];

	assert_int_equal(cz_store_watch(st, "b/", 0, &w, &err), 0);
	assert_int_equal(cz_store_watch(st, "a/", 0, &other, &err), 0);
	wt.w = w;
	pthread_create(&t, NULL, wait_for_event, &wt);
	usleep(50000); /* the waiter is asleep */
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "a/%d", i);
		put(st, key, "{}");
	}
	put(st, "b/x", "{}");
	pthread_join(t, NULL);
	assert_int_equal(wt.rc, 0);
	/* One wake-up for b/x; none for the fifty writes under a/. */
	assert_true(cz_watch_wakeups(w) <= 1);
	/* The writes it slept through are still the other watch's. */
	expect_event(other, CZ_EV_ADDED, "a/0", 1);
	cz_watch_close(w);
	cz_watch_close(other);
	cz_store_close(st);
}

enum { WATCHERS = 100, FANOUT_EVENTS = 60 };

typedef struct recorder {
	cz_watch *w;
	int64_t rv[FANOUT_EVENTS];
	cz_event_type type[FANOUT_EVENTS];
	char key[FANOUT_EVENTS][16];
	int got;
	int rc;
} recorder;

static void *record_events(void *arg)
{
	recorder *r = arg;
	cz_event ev;

	while (r->got < FANOUT_EVENTS) {
		r->rc = cz_watch_next(r->w, 5000, &ev, NULL);
		if (r->rc < 0 || ev.type == CZ_EV_NONE)
			break;
		r->rv[r->got] = ev.object->rv;
		r->type[r->got] = ev.type;
		snprintf(r->key[r->got], sizeof(r->key[0]), "%s",
			 ev.object->key);
		r->got++;
		cz_blob_unref(ev.object);
	}
	return NULL;
}

static void test_many_watchers(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cz_error err = CZ_ERROR_INIT;
	static recorder rec[WATCHERS];
	pthread_t threads[WATCHERS];
	char key[16];
	int third = FANOUT_EVENTS / 3;

	memset(rec, 0, sizeof(rec));
	for (int i = 0; i < WATCHERS; i++) {
		assert_int_equal(cz_store_watch(st, "w/", 0, &rec[i].w, &err),
				 0);
		pthread_create(&threads[i], NULL, record_events, &rec[i]);
	}
	for (int i = 0; i < third; i++) {
		snprintf(key, sizeof(key), "w/%02d", i);
		put(st, key, "{}");
	}
	for (int i = 0; i < third; i++) {
		snprintf(key, sizeof(key), "w/%02d", i);
		put(st, key, "{\"v\": 2}");
	}
	for (int i = 0; i < third; i++) {
		snprintf(key, sizeof(key), "w/%02d", i);
		del(st, key);
	}
	for (int i = 0; i < WATCHERS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(rec[i].rc, 0);
		assert_int_equal(rec[i].got, FANOUT_EVENTS);
		for (int e = 0; e < FANOUT_EVENTS; e++) {
			snprintf(key, sizeof(key), "w/%02d", e % third);
			assert_int_equal(rec[i].rv[e], e + 1);
			assert_int_equal(rec[i].type[e], e / third + 1);
			assert_string_equal(rec[i].key[e], key);
		}
		cz_watch_close(rec[i].w);
	}
	cz_store_close(st);
}

enum { WRITERS = 4, WRITES_EACH = 150 };

typedef struct writer {
	cz_store *st;
	int id;
	int64_t rv[WRITES_EACH];
	int failed;
} writer;

static void *write_many(void *arg)
{
	writer *wr = arg;
	cz_error err = CZ_ERROR_INIT;
	char key[32];

	for (int i = 0; i < WRITES_EACH; i++) {
		json_t *v = json_pack("{s:i, s:i}", "writer", wr->id, "i", i);
		cz_blob *b = NULL;

		snprintf(key, sizeof(key), "c/%d/%03d", wr->id, i);
		if (cz_store_create(wr->st, key, v, &b, &err) < 0)
			wr->failed++;
		else
			wr->rv[i] = b->rv;
		cz_blob_unref(b);
		json_decref(v);
	}
	return NULL;
}

typedef struct reader {
	cz_store *st;
	atomic_bool *done;
	int bad;
	int lists;
} reader;

/* Only creates run meanwhile, so a snapshot at revision r holds exactly r
 * objects, none newer than r. */
static void *list_while_writing(void *arg)
{
	reader *rd = arg;
	cz_blob **items;
	size_t n;
	int64_t rv;

	while (!atomic_load(rd->done)) {
		cz_store_list(rd->st, "c/", NULL, &items, &n, &rv, NULL);
		if ((int64_t)n != rv)
			rd->bad++;
		for (size_t i = 0; i < n; i++) {
			if (items[i]->rv > rv)
				rd->bad++;
			cz_blob_unref(items[i]);
		}
		free(items);
		rd->lists++;
	}
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	static writer wr[WRITERS];
	pthread_t threads[WRITERS], list_thread;
	atomic_bool done;
	reader rd = { st, &done, 0, 0 };
	static bool seen[WRITERS * WRITES_EACH + 1];

	atomic_init(&done, false);
	memset(seen, 0, sizeof(seen));
	pthread_create(&list_thread, NULL, list_while_writing, &rd);
	for (int i = 0; i < WRITERS; i++) {
		wr[i] = (writer){ .st = st, .id = i };
		pthread_create(&threads[i], NULL, write_many, &wr[i]);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(threads[i], NULL);
	atomic_store(&done, true);
	pthread_join(list_thread, NULL);
	assert_int_equal(rd.bad, 0);
	assert_true(rd.lists > 0);
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(wr[i].failed, 0);
		for (int k = 0; k < WRITES_EACH; k++) {
			int64_t rv = wr[i].rv[k];

			assert_true(rv >= 1 && rv <= WRITERS * WRITES_EACH);
			assert_false(seen[rv]);
			seen[rv] = true;
			if (k)
				assert_true(rv > wr[i].rv[k - 1]);
		}
	}
	assert_int_equal(cz_store_revision(st), WRITERS * WRITES_EACH);
	assert_int_equal(cz_store_count(st), WRITERS * WRITES_EACH);
	cz_store_close(st);
}

/* Compare-and-swap increments of one key from several threads: each
 * write that succeeds read the latest value, even while earlier writes
 * still wait in the same group commit, so no increment is lost. */
#define CAS_THREADS 4
#define CAS_EACH 150

typedef struct cas_worker {
	cz_store *st;
	int conflicts;
} cas_worker;

static void *increment_many(void *arg)
{
	cas_worker *w = arg;

	for (int done = 0; done < CAS_EACH;) {
		cz_blob *cur = NULL;
		json_t *obj;
		int64_t n;
		int rc;

		if (cz_store_get(w->st, "cas/counter", &cur, NULL) != CZ_OK)
			return NULL;
		obj = json_loadb(cur->data, cur->len, 0, NULL);
		n = json_integer_value(json_object_get(obj, "n"));
		json_object_set_new(obj, "n", json_integer(n + 1));
		rc = cz_store_update(w->st, "cas/counter", obj, cur->rv, NULL,
				     NULL);
		if (rc == CZ_OK)
			done++;
		else if (rc == CZ_ECONFLICT)
			w->conflicts++;
		else
			return NULL;
		json_decref(obj);
		cz_blob_unref(cur);
	}
	return NULL;
}

static void test_concurrent_compare_and_swap(void **state)
{
	fixture *fx = *state;
	cz_store *st = open_store(fx);
	cas_worker w[CAS_THREADS];
	pthread_t threads[CAS_THREADS];
	json_t *zero = json_pack("{s:i}", "n", 0);
	cz_blob *b = NULL;
	json_t *obj;

	assert_int_equal(cz_store_create(st, "cas/counter", zero, NULL, NULL),
			 CZ_OK);
	for (int i = 0; i < CAS_THREADS; i++) {
		w[i] = (cas_worker){ st, 0 };
		pthread_create(&threads[i], NULL, increment_many, &w[i]);
	}
	for (int i = 0; i < CAS_THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(cz_store_get(st, "cas/counter", &b, NULL), CZ_OK);
	obj = json_loadb(b->data, b->len, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(obj, "n")),
			 CAS_THREADS * CAS_EACH);
	assert_int_equal(cz_store_revision(st), 1 + CAS_THREADS * CAS_EACH);
	json_decref(obj);
	cz_blob_unref(b);
	json_decref(zero);
	cz_store_close(st);
	/* Reopened, the file has the same. */
	st = open_store(fx);
	assert_int_equal(cz_store_revision(st), 1 + CAS_THREADS * CAS_EACH);
	cz_store_close(st);
}

/* The child of the crash test: writes until killed, reporting each write
 * through fd only once the store has acknowledged it. */
static void crash_child(const char *path, int fd)
{
	cz_store_opts opts = { path, false, 0 };
	cz_error err = CZ_ERROR_INIT;
	cz_store *st = NULL;
	char key[32], pad[300];

	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	if (cz_store_open(&opts, &st, &err) < 0)
		_exit(3);
	for (int i = 0;; i++) {
		json_t *v = json_pack("{s:i, s:s}", "i", i, "pad", pad);
		cz_blob *b = NULL;

		snprintf(key, sizeof(key), "crash/%07d", i);
		if (cz_store_create(st, key, v, &b, &err) < 0)
			_exit(4);
		dprintf(fd, "%d %lld\n", i, (long long)b->rv);
		cz_blob_unref(b);
		json_decref(v);
	}
}

static void test_crash_safety(void **state)
{
	fixture *fx = *state;
	enum { MAX_ACKS = 1 << 20 };
	int64_t *acked = calloc(MAX_ACKS, sizeof(*acked));
	int fds[2], status, i, nacks = 0, kill_after;
	long long rv;
	char key[32], want[64], line[64];
	cz_error err = CZ_ERROR_INIT;
	cz_blob **items;
	size_t n;
	int64_t list_rv;
	cz_store *st;
	FILE *in;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		crash_child(fx->path, fds[1]);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	/* a different moment on each run */
	kill_after = 200 + (int)(getpid() % 300);
	while (fgets(line, sizeof(line), in)) {
		/* a torn last line is not an acknowledgement */
		if (!strchr(line, '\n') ||
		    sscanf(line, "%d %lld", &i, &rv) != 2)
			break;
		assert_int_equal(i, nacks);
		acked[nacks++] = rv;
		if (nacks == kill_after)
			kill(pid, SIGKILL);
		if (nacks == MAX_ACKS)
			break;
	}
	fclose(in);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(nacks >= kill_after);

	st = open_store(fx);
	for (i = 0; i < nacks; i++) {
		cz_blob *b = NULL;

		snprintf(key, sizeof(key), "crash/%07d", i);
		if (cz_store_get(st, key, &b, &err) < 0)
			fail_msg("acknowledged write %s lost", key);
		assert_int_equal(b->rv, acked[i]);
		snprintf(want, sizeof(want), "{\"i\":%d,\"pad\":\"ppp", i);
		assert_true(strncmp(b->data, want, strlen(want)) == 0);
		cz_blob_unref(b);
	}
	/* at most the one write in flight at the kill got in besides */
	assert_int_equal(cz_store_list(st, "", NULL, &items, &n, &list_rv,
				       &err),
			 0);
	assert_true(n == (size_t)nacks || n == (size_t)nacks + 1);
	assert_true(list_rv == acked[nacks - 1] ||
		    list_rv == acked[nacks - 1] + 1);
	snprintf(key, sizeof(key), "crash/%07d", nacks);
	if (n > (size_t)nacks)
		assert_string_equal(items[n - 1]->key, key);
	for (size_t k = 0; k < n; k++)
		cz_blob_unref(items[k]);
	free(items);
	cz_store_close(st);
	free(acked);
}

static void test_corrupt_file(void **state)
{
	fixture *fx = *state;
	cz_store_opts opts = { fx->path, false, 0 };
	cz_error err = CZ_ERROR_INIT;
	cz_store *st = NULL;
	FILE *f = fopen(fx->path, "w");

	for (int i = 0; i < 200; i++)
		fputs("this is not a database, just some text. ", f);
	fclose(f);
	assert_int_equal(cz_store_open(&opts, &st, &err), CZ_EINVALID);
	assert_null(st);
	assert_contains(err.msg, fx->path);
	assert_contains(err.msg, "not a database");
}

/* One process owns the file; a second one is told so. */
static void test_second_process_refused(void **state)
{
	fixture *fx = *state;
	cz_store_opts opts = { fx->path, false, 0 };
	cz_error err = CZ_ERROR_INIT;
	cz_store *st = open_store(fx);
	int fds[2], status;
	char verdict[8] = "";
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cz_store *other = NULL;
		int rc = cz_store_open(&opts, &other, &err);
		bool named = strstr(err.msg, "in use by another process") &&
			     strstr(err.msg, fx->path);

		dprintf(fds[1], "%s",
			rc == CZ_EIO && named ? "refused" : "opened");
		_exit(0);
	}
	close(fds[1]);
	assert_true(read(fds[0], verdict, sizeof(verdict) - 1) > 0);
	close(fds[0]);
	waitpid(pid, &status, 0);
	assert_string_equal(verdict, "refused");
	put(st, "still", "{}");
	cz_store_close(st);
}

static void test_bad_json_row(void **state)
{
	fixture *fx = *state;
	cz_store_opts opts = { fx->path, false, 0 };
	cz_error err = CZ_ERROR_INIT;
	cz_store *st = open_store(fx);
	sqlite3 *db = NULL;

	put(st, "good", "{}");
	put(st, "/configmaps/ns1/broken", "{\"a\": 1}");
	cz_store_close(st);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE objects SET value = "
					  "'{\"a\": 1,' WHERE key = "
					  "'/configmaps/ns1/broken'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	assert_int_equal(cz_store_open(&opts, &st, &err), CZ_EINVALID);
	assert_null(st);
	assert_contains(err.msg, fx->path);
	assert_contains(err.msg, "/configmaps/ns1/broken");
}

/* The scanner must agree with jansson, which later parses the values. */
static void test_json_check(void **state)
{
	static const char *const texts[] = {
		"{}", " {\"a\" : [1, -2.5e+3, true, false, null, \"x\"]} ",
		"{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
		"{\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		"{\"n\":9223372036854775807}", "{\"n\":-9223372036854775808}",
		"{\"n\":0.5}", "{\"n\":1e308}", "{\"a\":{\"b\":{\"c\":[[]]}}}",
		"", "[]", "{} {}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
		"{\"n\":01}", "{\"n\":1.}", "{\"n\":.5}", "{\"n\":1e}",
		"{\"n\":-}", "{\"n\":9223372036854775808}",
		"{\"n\":-9223372036854775809}", "{\"n\":1e999}",
		"{\"s\":\"\\u0000\"}", "{\"s\":\"\\ud800\"}",
		"{\"s\":\"\\udc00\"}", "{\"s\":\"\\ud800\\u0041\"}",
		"{\"s\":\"\\x\"}", "{\"s\":\"\\u12\"}", "{\"s\":\"a\nb\"}",
		"{\"s\":\"\xc0\xaf\"}", "{\"s\":\"\xed\xa0\x80\"}",
		"{\"s\":\"\xf4\x90\x80\x80\"}", "{\"s\":\"\xe2\x82\"}",
		"{\"s\":\"abc", "{\"t\":tru}", "{\"t\":nul}", "{\"a\":[1 2]}",
		"{\"a\":[1,]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		json_error_t jerr;
		json_t *v = json_loads(texts[i], 0, &jerr);
		bool jansson_ok = v && json_is_object(v);
		cz_error err = CZ_ERROR_INIT;
		int rc = cz_json_check_object(texts[i], strlen(texts[i]), &err);

		if ((rc == 0) != jansson_ok)
			fail_msg("%s: scanner says %s, jansson %s", texts[i],
				 rc == 0 ? "valid" : err.msg,
				 jansson_ok ? "valid" : jerr.text);
		json_decref(v);
	}
}

static void test_json_check_depth(void **state)
{
	enum { DEEP = 3000 };
	char *text = malloc(2 * DEEP + 16);
	cz_error err = CZ_ERROR_INIT;
	size_t len = 0;

	(void)state;
	text[len++] = '{';
	memcpy(text + len, "\"a\":", 4);
	len += 4;
	for (int i = 0; i < DEEP; i++)
		text[len++] = '[';
	for (int i = 0; i < DEEP; i++)
		text[len++] = ']';
	text[len++] = '}';
	text[len] = '\0';
	assert_int_equal(cz_json_check_object(text, len, &err), CZ_EINVALID);
	assert_contains(err.msg, "nesting too deep");
	free(text);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_get),
		T(test_bad_input),
		T(test_update_cas),
		T(test_delete_precondition),
		T(test_restart_keeps_objects_and_revision),
		T(test_list_prefix_order),
		T(test_list_many_keys),
		T(test_create_batch),
		T(test_watch_from_now),
		T(test_watch_from_past),
		T(test_watch_gone_after_restart),
		T(test_watch_falls_behind),
		T(test_stop_watches),
		T(test_watch_woken_only_for_its_prefix),
		T(test_many_watchers),
		T(test_concurrent_writers),
		T(test_concurrent_compare_and_swap),
		T(test_crash_safety),
		T(test_corrupt_file),
		T(test_second_process_refused),
		T(test_bad_json_row),
		cmocka_unit_test(test_json_check),
		cmocka_unit_test(test_json_check_depth),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
