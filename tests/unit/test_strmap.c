/* cz_strmap: put, get, delete, and lookups staying right across deletes. */

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/mem.h"
#include "util/strmap.h"

static void test_put_get_replace(void **state)
{
	cz_strmap m = CZ_STRMAP_INIT;
	int a = 1, b = 2;

	(void)state;
	assert_null(cz_strmap_get(&m, "x"));
	assert_false(cz_strmap_has(&m, "x"));
	assert_null(cz_strmap_put(&m, "x", &a));
	assert_ptr_equal(cz_strmap_get(&m, "x"), &a);
	assert_ptr_equal(cz_strmap_put(&m, "x", &b), &a);
	assert_ptr_equal(cz_strmap_get(&m, "x"), &b);
	assert_int_equal(m.len, 1);
	cz_strmap_release(&m);
}

static void test_del(void **state)
{
	cz_strmap m = CZ_STRMAP_INIT;
	int a = 1, b = 2;

	(void)state;
	assert_null(cz_strmap_del(&m, "x")); /* empty map, no slots */
	cz_strmap_put(&m, "x", &a);
	cz_strmap_put(&m, "y", &b);
	assert_null(cz_strmap_del(&m, "z"));
	assert_ptr_equal(cz_strmap_del(&m, "x"), &a);
	assert_false(cz_strmap_has(&m, "x"));
	assert_null(cz_strmap_del(&m, "x"));
	assert_ptr_equal(cz_strmap_get(&m, "y"), &b);
	assert_int_equal(m.len, 1);
	/* Put again after a delete. */
	assert_null(cz_strmap_put(&m, "x", &b));
	assert_ptr_equal(cz_strmap_get(&m, "x"), &b);
	assert_int_equal(m.len, 2);
	cz_strmap_release(&m);
}

/* Random puts and deletes against a plain array: after every step each
 * key is found exactly when the reference has it, which exercises the
 * backward shift across probe chains and the wrap at the table's end. */
static void test_del_keeps_chains(void **state)
{
	enum { NKEYS = 300, STEPS = 20000 };
	static char names[NKEYS][16];
	bool present[NKEYS] = { false };
	cz_strmap m = CZ_STRMAP_INIT;
	size_t len = 0;
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < NKEYS; i++)
		snprintf(names[i], sizeof(names[i]), "key-%d", i);
	for (int step = 0; step < STEPS; step++) {
		int k;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 8) % NKEYS);
		if (present[k]) {
			assert_ptr_equal(cz_strmap_del(&m, names[k]), names[k]);
			present[k] = false;
			len--;
		} else {
			assert_null(cz_strmap_put(&m, names[k], names[k]));
			present[k] = true;
			len++;
		}
		assert_int_equal(m.len, len);
		if (step % 97 == 0) {
			for (int i = 0; i < NKEYS; i++)
				assert_int_equal(cz_strmap_has(&m, names[i]),
						 present[i]);
		}
	}
	for (int i = 0; i < NKEYS; i++)
		assert_int_equal(cz_strmap_get(&m, names[i]) != NULL,
				 present[i]);
	cz_strmap_release(&m);
}

static void test_iterate_after_deletes(void **state)
{
	cz_strmap m = CZ_STRMAP_INIT;
	const char *keys[] = { "a", "b", "c", "d", "e" };
	const char *k;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < 5; i++)
		cz_strmap_put(&m, keys[i], (void *)keys[i]);
	cz_strmap_del(&m, "b");
	cz_strmap_del(&m, "d");
	for (size_t i = 0; cz_strmap_next(&m, &i, &k, NULL);) {
		assert_true(strcmp(k, "b") != 0 && strcmp(k, "d") != 0);
		n++;
	}
	assert_int_equal(n, 3);
	cz_strmap_release(&m);
}

/* A set that owns its keys as values: release_owned frees them all and
 * leaves an empty map that can be used again (a leak shows under the
 * sanitizers and valgrind). */
static void test_release_owned(void **state)
{
	cz_strmap m = CZ_STRMAP_INIT;
	char *own;

	(void)state;
	for (int i = 0; i < 100; i++) {
		own = cz_xasprintf("uid-%d", i);
		cz_strmap_put(&m, own, own);
	}
	free(cz_strmap_del(&m, "uid-7"));
	assert_int_equal(m.len, 99);
	cz_strmap_release_owned(&m);
	assert_int_equal(m.len, 0);
	assert_null(m.slots);
	assert_false(cz_strmap_has(&m, "uid-1"));
	own = cz_xstrdup("again");
	cz_strmap_put(&m, own, own);
	assert_true(cz_strmap_has(&m, "again"));
	cz_strmap_release_owned(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_replace),
		cmocka_unit_test(test_del),
		cmocka_unit_test(test_del_keeps_chains),
		cmocka_unit_test(test_iterate_after_deletes),
		cmocka_unit_test(test_release_owned),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
