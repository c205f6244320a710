/* The controllers' work queue: dedup, processing, delays, backoff, the
 * global bucket, shutdown and concurrent use, with real threads and real
 * time.  Timing checks have tight lower bounds (a delay is never cut short)
 * and generous upper ones (the sanitizers and a busy machine are slow). */

#include "helpers.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "controller/workqueue.h"
#include "util/mem.h"

#define MS (1000 * 1000LL)
#define SLACK_MS 150 /* how late a delayed key may come out */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Gets a key, checks it is want, and marks it done. */
static void get_done(cz_queue *q, const char *want)
{
	char *key = cz_queue_get(q);

	assert_non_null(key);
	assert_string_equal(key, want);
	cz_queue_done(q, key);
	free(key);
}

static void test_dedup(void **state)
{
	cz_queue *q = cz_queue_new("t", NULL);

	(void)state;
	assert_true(cz_queue_idle(q));
	cz_queue_add(q, "a");
	cz_queue_add(q, "b");
	cz_queue_add(q, "a");
	cz_queue_add(q, "a");
	assert_int_equal(cz_queue_len(q), 2);
	assert_false(cz_queue_idle(q));
	get_done(q, "a");
	get_done(q, "b");
	assert_int_equal(cz_queue_len(q), 0);
	assert_true(cz_queue_idle(q));
	cz_queue_free(q);
}

/* A key being processed is not handed out again; re-added, it comes back
 * once, after done. */
static void test_processing_readd(void **state)
{
	cz_queue *q = cz_queue_new("t", NULL);
	char *a;

	(void)state;
	cz_queue_add(q, "a");
	a = cz_queue_get(q);
	assert_string_equal(a, "a");
	cz_queue_add(q, "a");
	cz_queue_add(q, "a");
	assert_int_equal(cz_queue_len(q), 0); /* held until done */
	assert_false(cz_queue_idle(q));
	cz_queue_add(q, "b");
	get_done(q, "b"); /* not "a": it is still being processed */
	cz_queue_done(q, a);
	free(a);
	assert_int_equal(cz_queue_len(q), 1);
	get_done(q, "a");
	assert_true(cz_queue_idle(q));
	/* Done without a re-add: gone. */
	cz_queue_add(q, "c");
	get_done(q, "c");
	assert_int_equal(cz_queue_len(q), 0);
	assert_true(cz_queue_idle(q));
	cz_queue_free(q);
}

/* busy: queued or held by a worker, never a key waiting out a delay;
 * add_all queues every key once, in order. */
static void test_busy_and_add_all(void **state)
{
	cz_queue *q = cz_queue_new("t", NULL);
	const char *const keys[] = { "a", "b", "a", "c" };
	char *key;

	(void)state;
	assert_false(cz_queue_busy(q, "a"));
	cz_queue_add_all(q, keys, 4);
	assert_int_equal(cz_queue_len(q), 3);
	assert_true(cz_queue_busy(q, "b"));
	key = cz_queue_get(q);
	assert_string_equal(key, "a");
	assert_true(cz_queue_busy(q, "a"));
	cz_queue_done(q, key);
	free(key);
	assert_false(cz_queue_busy(q, "a"));
	cz_queue_add_after(q, "d", 60 * 1000 * MS);
	assert_false(cz_queue_busy(q, "d"));
	get_done(q, "b");
	get_done(q, "c");
	cz_queue_shutdown(q);
	cz_queue_free(q);
}

static void test_add_after_order(void **state)
{
	cz_queue *q = cz_queue_new("t", NULL);
	int64_t t0 = now_ms(), t;

	(void)state;
	cz_queue_add_after(q, "c", 300 * MS);
	cz_queue_add_after(q, "a", 100 * MS);
	cz_queue_add_after(q, "b", 200 * MS);
	cz_queue_add_after(q, "now", 0);
	assert_int_equal(cz_queue_len(q), 4);
	get_done(q, "now");
	assert_true(now_ms() - t0 < 100);
	get_done(q, "a");
	t = now_ms() - t0;
	assert_true(t >= 100 && t < 100 + SLACK_MS);
	get_done(q, "b");
	t = now_ms() - t0;
	assert_true(t >= 200 && t < 200 + SLACK_MS);
	get_done(q, "c");
	t = now_ms() - t0;
	assert_true(t >= 300 && t < 300 + SLACK_MS);
	assert_true(cz_queue_idle(q));
	cz_queue_free(q);
}

/* A key waiting twice keeps the earlier time, and comes out once. */
static void test_add_after_earlier_wins(void **state)
{
	cz_queue *q = cz_queue_new("t", NULL);
	int64_t t0 = now_ms(), t;

	(void)state;
	cz_queue_add_after(q, "x", 10000 * MS);
	cz_queue_add_after(q, "y", 150 * MS);
	cz_queue_add_after(q, "x", 50 * MS);
	cz_queue_add_after(q, "x", 5000 * MS); /* later: ignored */
	assert_int_equal(cz_queue_len(q), 2);
	get_done(q, "x");
	t = now_ms() - t0;
	assert_true(t >= 50 && t < 50 + SLACK_MS);
	get_done(q, "y");
	assert_true(cz_queue_idle(q));
	cz_queue_free(q);
}

/* Rate-limited add, then the delay until the key comes out, in ms. */
static int64_t limited_delay(cz_queue *q, const char *key)
{
	int64_t t0 = now_ms();

	cz_queue_add_rate_limited(q, key);
	get_done(q, key);
	return now_ms() - t0;
}

static void test_backoff_doubles_caps_forgets(void **state)
{
	/* A bucket that never limits, to see the per-key backoff alone. */
	cz_queue_opts o = { 20 * MS, 100 * MS, 1e6, 1000000 };
	cz_queue *q = cz_queue_new("t", &o);
	const int64_t want[] = { 20, 40, 80, 100, 100 };
	int64_t d;

	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(cz_queue_failures(q, "k"), i);
		d = limited_delay(q, "k");
		if (d < want[i] || d >= want[i] + SLACK_MS)
			fail_msg("failure %u: delay %lld ms, expected %lld",
				 i, (long long)d, (long long)want[i]);
	}
	assert_int_equal(cz_queue_failures(q, "k"), 5);
	/* Another key has its own count. */
	assert_int_equal(cz_queue_failures(q, "other"), 0);
	cz_queue_forget(q, "k");
	assert_int_equal(cz_queue_failures(q, "k"), 0);
	d = limited_delay(q, "k");
	assert_true(d >= 20 && d < 20 + SLACK_MS);
	assert_int_equal(cz_queue_failures(q, "k"), 1);
	cz_queue_forget(q, "k");
	cz_queue_forget(q, "never");
	cz_queue_free(q);
}

/* A long failure streak saturates at the cap instead of overflowing. */
static void test_backoff_saturates(void **state)
{
	cz_queue_opts o = { 1, 30 * MS, 1e6, 1000000 };
	cz_queue *q = cz_queue_new("t", &o);
	int64_t d;

	(void)state;
	for (int i = 0; i < 200; i++) {
		cz_queue_add_rate_limited(q, "k");
		cz_queue_forget(q, "unrelated");
	}
	assert_int_equal(cz_queue_failures(q, "k"), 200);
	get_done(q, "k"); /* the earliest of the 200 adds */
	d = limited_delay(q, "k");
	assert_true(d >= 30 && d < 30 + SLACK_MS);
	cz_queue_free(q);
}

/* qps 10, burst 5: of 20 distinct keys added at once, 5 come out at once
 * and the others one every 100 ms. */
static void test_bucket_limits_burst(void **state)
{
	cz_queue_opts o = { 1000, 1000, 10, 5 };
	cz_queue *q = cz_queue_new("t", &o);
	int64_t t0, at[20];
	char name[16];

	(void)state;
	t0 = now_ms();
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "key-%02d", i);
		cz_queue_add_rate_limited(q, name);
	}
	for (int i = 0; i < 20; i++) {
		char *key = cz_queue_get(q);

		at[i] = now_ms() - t0;
		snprintf(name, sizeof(name), "key-%02d", i);
		assert_string_equal(key, name);
		cz_queue_done(q, key);
		free(key);
	}
	for (int i = 0; i < 5; i++)
		assert_true(at[i] < 50);
	for (int i = 5; i < 20; i++) {
		int64_t want = (i - 4) * 100;

		/* Tokens refill while the adds run, so allow a few ms. */
		if (at[i] < want - 10 || at[i] >= want + SLACK_MS)
			fail_msg("key %d out at %lld ms, expected %lld", i,
				 (long long)at[i], (long long)want);
	}
	cz_queue_free(q);
}

/* The delay is the later of the key's backoff and the bucket's. */
static void test_backoff_and_bucket_max(void **state)
{
	cz_queue_opts o = { 200 * MS, 1000 * MS, 1000, 1000 };
	cz_queue *q = cz_queue_new("t", &o);
	int64_t d;

	(void)state;
	d = limited_delay(q, "k");
	assert_true(d >= 200 && d < 200 + SLACK_MS);
	cz_queue_free(q);
}

static void *getter(void *arg)
{
	return cz_queue_get(arg);
}

static void shutdown_wakes(cz_queue *q)
{
	pthread_t th[3];
	void *got;

	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, getter, q), 0);
	sleep_ms(100); /* let them block */
	cz_queue_shutdown(q);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], &got), 0);
		assert_null(got);
	}
	/* From then on: get returns NULL at once, adds are ignored. */
	cz_queue_add(q, "late");
	cz_queue_add_after(q, "late", MS);
	cz_queue_add_rate_limited(q, "late");
	assert_null(cz_queue_get(q));
}

static void test_shutdown_wakes_getters(void **state)
{
	cz_queue *q = cz_queue_new("t", NULL);

	(void)state;
	shutdown_wakes(q);
	cz_queue_free(q);
	/* Getters in a timed wait for a far delayed key, too; the key is
	 * freed with the queue. */
	q = cz_queue_new("t", NULL);
	cz_queue_add_after(q, "far", 3600 * 1000 * MS);
	shutdown_wakes(q);
	cz_queue_free(q);
}

/* --- several producers and workers --------------------------------------- */

enum { NKEYS = 200, NPRODUCERS = 4, NWORKERS = 3, ROUNDS = 5 };

typedef struct shared {
	cz_queue *q;
	pthread_mutex_t mu;
	int in_flight[NKEYS];
	int processed[NKEYS];
	int twice; /* a key handed to two workers at once */
} shared;

static void *producer(void *arg)
{
	shared *s = arg;
	char name[16];

	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NKEYS; i++) {
			snprintf(name, sizeof(name), "k%d", i);
			if (i % 3 == 0)
				cz_queue_add_after(s->q, name, MS);
			else
				cz_queue_add(s->q, name);
		}
	}
	return NULL;
}

static void *worker(void *arg)
{
	shared *s = arg;
	char *key;

	while ((key = cz_queue_get(s->q))) {
		int i = atoi(key + 1);

		pthread_mutex_lock(&s->mu);
		if (s->in_flight[i]++)
			s->twice++;
		pthread_mutex_unlock(&s->mu);
		sched_yield();
		pthread_mutex_lock(&s->mu);
		s->in_flight[i]--;
		s->processed[i]++;
		pthread_mutex_unlock(&s->mu);
		cz_queue_done(s->q, key);
		free(key);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	shared s = { .q = cz_queue_new("t", NULL) };
	pthread_t prod[NPRODUCERS], work[NWORKERS];
	int total = 0;

	(void)state;
	pthread_mutex_init(&s.mu, NULL);
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&work[i], NULL, worker, &s);
	for (int i = 0; i < NPRODUCERS; i++)
		pthread_create(&prod[i], NULL, producer, &s);
	for (int i = 0; i < NPRODUCERS; i++)
		pthread_join(prod[i], NULL);
	for (int i = 0; i < 500 && !cz_queue_idle(s.q); i++)
		sleep_ms(10);
	assert_true(cz_queue_idle(s.q));
	cz_queue_shutdown(s.q);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(work[i], NULL);
	assert_int_equal(s.twice, 0);
	for (int i = 0; i < NKEYS; i++) {
		assert_true(s.processed[i] >= 1);
		assert_true(s.processed[i] <= NPRODUCERS * ROUNDS);
		total += s.processed[i];
	}
	/* Dedup folded most of the 4000 adds together. */
	assert_true(total < NKEYS * NPRODUCERS * ROUNDS);
	pthread_mutex_destroy(&s.mu);
	cz_queue_free(s.q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_processing_readd),
		cmocka_unit_test(test_busy_and_add_all),
		cmocka_unit_test(test_add_after_order),
		cmocka_unit_test(test_add_after_earlier_wins),
		cmocka_unit_test(test_backoff_doubles_caps_forgets),
		cmocka_unit_test(test_backoff_saturates),
		cmocka_unit_test(test_bucket_limits_burst),
		cmocka_unit_test(test_backoff_and_bucket_max),
		cmocka_unit_test(test_shutdown_wakes_getters),
		cmocka_unit_test(test_concurrent),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
