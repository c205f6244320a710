/* cz_blob: one allocation holding copies of key and data, references taken
 * and dropped from many threads, the last one freeing (the sanitizer build
 * catches a free too early or never). */

#include "helpers.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/blob.h"

static void test_copies_key_and_data(void **state)
{
	char key[] = "g/r/ns/a";
	char data[] = "{\"a\":1}trailing";
	cz_blob *b;

	(void)state;
	b = cz_blob_new(key, 7, data, 7);
	/* The caller's buffers may change or go: the blob has its own. */
	key[0] = 'x';
	data[0] = 'x';
	assert_string_equal(b->key, "g/r/ns/a");
	assert_int_equal(b->len, 7);
	/* Only len bytes are taken, and the copy is NUL-terminated so it
	 * parses as a string. */
	assert_string_equal(b->data, "{\"a\":1}");
	assert_int_equal(b->rv, 7);
	cz_blob_unref(b);
}

static void test_empty_data(void **state)
{
	cz_blob *b;

	(void)state;
	b = cz_blob_new("k", 1, "", 0);
	assert_int_equal(b->len, 0);
	assert_string_equal(b->data, "");
	cz_blob_unref(b);
	cz_blob_unref(NULL);
}

static void test_ref_returns_same_blob(void **state)
{
	cz_blob *b, *r;

	(void)state;
	b = cz_blob_new("k", 1, "x", 1);
	r = cz_blob_ref(b);
	assert_ptr_equal(r, b);
	cz_blob_unref(b);
	/* Still held by r. */
	assert_string_equal(r->data, "x");
	cz_blob_unref(r);
}

enum { THREADS = 4, ROUNDS = 20000 };

static void *churn(void *arg)
{
	cz_blob *b = arg;

	for (int i = 0; i < ROUNDS; i++) {
		cz_blob *r = cz_blob_ref(b);

		if (r->data[0] != 'v')
			abort();
		cz_blob_unref(r);
	}
	/* Each thread was handed one reference; it drops it. */
	cz_blob_unref(b);
	return NULL;
}

/* Readers on other threads, as the store's watchers and the informer
 * caches are, each dropping their own reference; whichever is last
 * frees. */
static void test_threads_share_and_release(void **state)
{
	pthread_t t[THREADS];
	cz_blob *b;

	(void)state;
	b = cz_blob_new("k", 3, "value", 5);
	for (int i = 0; i < THREADS; i++)
		cz_blob_ref(b);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, b), 0);
	cz_blob_unref(b);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies_key_and_data),
		cmocka_unit_test(test_empty_data),
		cmocka_unit_test(test_ref_returns_same_blob),
		cmocka_unit_test(test_threads_share_and_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
