/* Informers without a server: cache keys, an empty cache, and a thread
 * that keeps failing to connect yet stops promptly.  The list, watch,
 * resume and relist paths run against cozypkgd in tests/e2e/50-client.sh. */

#include "helpers.h"

#include <stdlib.h>
#include <time.h>

#include "api/resource.h"
#include "controller/informer.h"
#include "kube/client.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_key),
		cmocka_unit_test(test_new_needs_resource),
		cmocka_unit_test(test_empty_cache),
		cmocka_unit_test(test_stops_while_failing),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
