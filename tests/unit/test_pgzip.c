/* The block-parallel gzip writer: zlib reads back exactly what went in,
 * for sizes around the block boundaries; the bytes do not depend on the
 * number of threads or on how the input is cut into writes; a failing
 * output stops it. */

#include "helpers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "artifact/pgzip.h"
#include "util/buf.h"
#include "util/mem.h"

#define BLOCK ((size_t)128 << 10)

typedef struct collected {
	cz_buf b;
	size_t fail_after; /* 0: never fail */
} collected;

static int collect(void *ctx, const void *data, size_t len)
{
	collected *c = ctx;

	if (c->fail_after && c->b.len + len > c->fail_after)
		return 1;
	return cz_buf_append(&c->b, data, len) == CZ_OK ? 0 : 1;
}

/* Text-like bytes that compress, with some noise so that blocks differ. */
static unsigned char *sample(size_t n)
{
	unsigned char *p = cz_xmalloc(n ? n : 1);
	uint32_t x = 12345;
	static const char words[] = "apiVersion: v1 kind: Package metadata "
				    "name values replicas image tag ";

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (x >> 24) % 7 == 0 ? (unsigned char)(x >> 16)
					  : (unsigned char)words[i % (sizeof(words) - 1)];
	}
	return p;
}

/* Compresses data[0..n) with threads, writing it in chunks of chunk
 * bytes (0: at once); the gzip bytes, malloc'ed, their length in *len. */
static char *pgz_bytes(const unsigned char *data, size_t n, unsigned threads,
		      size_t chunk, size_t *len)
{
	collected c;
	cz_pgz *z;

	cz_buf_init(&c.b, CZ_BUF_UNLIMITED);
	c.fail_after = 0;
	z = cz_pgz_new(6, threads, collect, &c);
	for (size_t off = 0; off < n;) {
		size_t step = chunk && chunk < n - off ? chunk : n - off;

		assert_int_equal(cz_pgz_write(z, data + off, step), 0);
		off += step;
	}
	assert_int_equal(cz_pgz_finish(z), 0);
	cz_pgz_free(z);
	return cz_buf_detach(&c.b, len);
}

/* zlib's gzip reader must give back exactly data[0..n). */
static void assert_inflates_to(const char *gz, size_t len,
			       const unsigned char *data, size_t n)
{
	unsigned char *out = cz_xmalloc(n + 16);
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)gz;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)(n + 16);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, n);
	assert_int_equal(zs.avail_in, 0); /* one member, nothing after it */
	assert_memory_equal(out, data, n);
	inflateEnd(&zs);
	free(out);
}

static void test_round_trip_and_threads(void **state)
{
	const size_t sizes[] = { 0,	    1,		BLOCK - 1, BLOCK,
				 BLOCK + 1, 32 * BLOCK, 33 * BLOCK + 77 };
	const unsigned threads[] = { 2, 3, 8 };

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned char *data = sample(sizes[s]);
		size_t len1 = 0;
		char *one = pgz_bytes(data, sizes[s], 1, 0, &len1);

		assert_inflates_to(one, len1, data, sizes[s]);
		for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]);
		     t++) {
			size_t len = 0;
			char *many = pgz_bytes(data, sizes[s], threads[t], 0,
					      &len);

			assert_int_equal(len, len1);
			assert_memory_equal(many, one, len);
			free(many);
		}
		free(one);
		free(data);
	}
}

static void test_chunks_do_not_matter(void **state)
{
	size_t n = 9 * BLOCK + 5, len_whole = 0;
	unsigned char *data = sample(n);
	char *whole = pgz_bytes(data, n, 2, 0, &len_whole);
	const size_t chunks[] = { 1, 7, 4096, BLOCK, 65537 };

	(void)state;
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		size_t len = 0;
		char *cut = pgz_bytes(data, n, 2, chunks[i], &len);

		assert_int_equal(len, len_whole);
		assert_memory_equal(cut, whole, len);
		free(cut);
	}
	/* It compresses: the sample is mostly text. */
	assert_true(len_whole < n / 2);
	free(whole);
	free(data);
}

static void test_output_failure(void **state)
{
	size_t n = 40 * BLOCK;
	unsigned char *data = sample(n);
	collected c;
	cz_pgz *z;
	int rc = 0;

	(void)state;
	cz_buf_init(&c.b, CZ_BUF_UNLIMITED);
	c.fail_after = 100;
	z = cz_pgz_new(6, 2, collect, &c);
	for (size_t off = 0; off < n && rc == 0; off += BLOCK)
		rc = cz_pgz_write(z, data + off, BLOCK);
	if (rc == 0)
		rc = cz_pgz_finish(z);
	assert_int_not_equal(rc, 0);
	/* Later calls keep failing. */
	assert_int_not_equal(cz_pgz_write(z, data, 10), 0);
	assert_true(c.b.len <= 100);
	cz_pgz_free(z);
	cz_buf_release(&c.b);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_threads),
		cmocka_unit_test(test_chunks_do_not_matter),
		cmocka_unit_test(test_output_failure),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
