/* The arena's chunk sizes: small first, doubling to a cap, an exact first
 * chunk on request, and chunks of their own for large requests. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/arena.h"
#include "util/mem.h"

/* Allocates small pieces until the arena takes a new chunk; returns the
 * size of that chunk. */
static size_t fill_until_new_chunk(cz_arena *a)
{
	size_t before = a->reserved;

	while (a->reserved == before)
		cz_arena_alloc(a, 16);
	return a->reserved - before;
}

static void test_geometric_growth(void **state)
{
	cz_arena a = CZ_ARENA_INIT;
	size_t expect = 1024;

	(void)state;
	assert_int_equal(fill_until_new_chunk(&a), 1024);
	for (int i = 0; i < 6; i++) {
		expect *= 2;
		assert_int_equal(fill_until_new_chunk(&a), expect);
	}
	assert_int_equal(expect, 64 * 1024);
	/* Capped: the chunks after 64 KiB stay 64 KiB. */
	assert_int_equal(fill_until_new_chunk(&a), 64 * 1024);
	assert_int_equal(fill_until_new_chunk(&a), 64 * 1024);
	assert_true(a.total <= a.reserved);
	cz_arena_release(&a);
	assert_int_equal(a.reserved, 0);
	assert_int_equal(a.total, 0);
	assert_null(a.head);
}

/* A caller that knows its size gets one chunk of exactly that size
 * (rounded to the alignment), and the arena grows normally after it. */
static void test_sized_first_chunk(void **state)
{
	cz_arena a;

	(void)state;
	cz_arena_init_sized(&a, 100);
	cz_arena_alloc(&a, 40);
	cz_arena_alloc(&a, 60);
	assert_int_equal(a.reserved, 112);
	assert_int_equal(a.total, 48 + 64);
	cz_arena_alloc(&a, 1);
	assert_int_equal(a.reserved, 112 + 1024);
	cz_arena_release(&a);
	/* Released arenas keep their first-chunk size for reuse. */
	cz_arena_alloc(&a, 8);
	assert_int_equal(a.reserved, 112);
	cz_arena_release(&a);
}

/* A first request larger than the first chunk gets a chunk its size. */
static void test_large_first_request(void **state)
{
	cz_arena a = CZ_ARENA_INIT;
	unsigned char *p;

	(void)state;
	p = cz_arena_alloc(&a, 5000);
	assert_int_equal(a.reserved, 5008);
	for (size_t i = 0; i < 5000; i++)
		assert_int_equal(p[i], 0);
	cz_arena_alloc(&a, 16);
	assert_int_equal(a.reserved, 5008 + 2 * 5008); /* doubled */
	cz_arena_release(&a);
}

/* A request larger than the next chunk goes into a chunk of its own
 * behind the head, and the head keeps serving small requests. */
static void test_large_request_keeps_head(void **state)
{
	cz_arena a = CZ_ARENA_INIT;
	char *small, *big, *after;

	(void)state;
	small = cz_arena_alloc(&a, 16);
	assert_int_equal(a.reserved, 1024);
	big = cz_arena_alloc(&a, 200000);
	assert_int_equal(a.reserved, 1024 + 200000);
	memset(big, 'x', 200000);
	after = cz_arena_alloc(&a, 16);
	assert_int_equal(a.reserved, 1024 + 200000);
	assert_ptr_equal(after, small + 16);
	/* The next chunk still doubles from the head, not from the big one. */
	assert_int_equal(fill_until_new_chunk(&a), 2048);
	cz_arena_release(&a);
}

static void test_alignment_zeroing_strings(void **state)
{
	cz_arena a = CZ_ARENA_INIT;
	char *s;

	(void)state;
	for (size_t size = 0; size < 300; size += 7) {
		unsigned char *p = cz_arena_alloc(&a, size);

		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < size; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xff, size);
	}
	s = cz_arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	s = cz_arena_strndup(&a, "hello world", 5);
	assert_string_equal(s, "hello");
	s = cz_arena_printf(&a, "%s-%d", "n", 42);
	assert_string_equal(s, "n-42");
	assert_non_null(cz_arena_array(&a, 0, 8));
	cz_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometric_growth),
		cmocka_unit_test(test_sized_first_chunk),
		cmocka_unit_test(test_large_first_request),
		cmocka_unit_test(test_large_request_keeps_head),
		cmocka_unit_test(test_alignment_zeroing_strings),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
