/* The block-parallel gzip writer (see pgzip.h). */

#include "artifact/pgzip.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "util/mem.h"

#define BLOCK ((size_t)128 << 10)
#define DICT ((size_t)32 << 10)
#define BLOCKS_PER_THREAD 4
#define MAX_THREADS 8

typedef struct job {
	const unsigned char *in;
	size_t len;
	size_t dict_len; /* the dict_len bytes before in */
	bool last;
	unsigned char *out;
	size_t out_len;
	size_t out_cap;
	bool failed;
} job;

struct cz_pgz {
	int level;
	unsigned threads;
	cz_pgz_out out;
	void *ctx;
	/* [DICT bytes of the previous batch's end][this batch's input] */
	unsigned char *buf;
	size_t batch;    /* input bytes a batch holds */
	size_t dict_len; /* valid bytes at the end of the DICT area */
	size_t fill;     /* input bytes in this batch */
	job *jobs;
	size_t njobs;
	uLong crc;
	uint64_t total;
	bool header_written;
	int failed;
};

unsigned cz_pgz_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

cz_pgz *cz_pgz_new(int level, unsigned threads, cz_pgz_out out, void *ctx)
{
	cz_pgz *z = cz_xcalloc(1, sizeof(*z));

	z->level = level >= 1 && level <= 9 ? level : 6;
	z->threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS
							       : threads;
	z->out = out;
	z->ctx = ctx;
	z->njobs = (size_t)z->threads * BLOCKS_PER_THREAD;
	z->batch = z->njobs * BLOCK;
	z->buf = cz_xmalloc(DICT + z->batch);
	z->jobs = cz_xcalloc(z->njobs, sizeof(*z->jobs));
	z->crc = crc32(0L, Z_NULL, 0);
	return z;
}

void cz_pgz_free(cz_pgz *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->njobs; i++)
		free(z->jobs[i].out);
	free(z->jobs);
	free(z->buf);
	free(z);
}

/* Deflates one block as raw deflate data ending on a byte boundary. */
static void run_job(job *j, int level)
{
	z_stream zs;
	size_t need;
	int flush = j->last ? Z_FINISH : Z_SYNC_FLUSH, rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		j->failed = true;
		return;
	}
	/* deflateBound covers a finished stream; a sync flush adds at most
	 * an empty stored block. */
	need = deflateBound(&zs, (uLong)j->len) + 16;
	if (j->out_cap < need) {
		free(j->out);
		j->out = cz_xmalloc(need);
		j->out_cap = need;
	}
	if (j->dict_len &&
	    deflateSetDictionary(&zs, j->in - j->dict_len,
				 (uInt)j->dict_len) != Z_OK)
		j->failed = true;
	zs.next_in = (Bytef *)(uintptr_t)j->in;
	zs.avail_in = (uInt)j->len;
	zs.next_out = j->out;
	zs.avail_out = (uInt)j->out_cap;
	rc = j->failed ? Z_STREAM_ERROR : deflate(&zs, flush);
	if ((j->last && rc != Z_STREAM_END) ||
	    (!j->last && (rc != Z_OK || zs.avail_in != 0)))
		j->failed = true;
	j->out_len = j->out_cap - zs.avail_out;
	deflateEnd(&zs);
}

typedef struct worker {
	cz_pgz *z;
	size_t first; /* jobs first, first + threads, ... */
	size_t n;
} worker;

static void *run_worker(void *arg)
{
	worker *w = arg;

	for (size_t i = w->first; i < w->n; i += w->z->threads)
		run_job(&w->z->jobs[i], w->z->level);
	return NULL;
}

static int emit(cz_pgz *z, const void *data, size_t len)
{
	if (!z->failed && len && z->out(z->ctx, data, len) != 0)
		z->failed = -1;
	return z->failed;
}

static int write_header(cz_pgz *z)
{
	/* No time, no name, no extra flags; OS 3 (Unix) as gzip writes. */
	static const unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0,
						  0,    0,    0, 0, 3 };

	z->header_written = true;
	return emit(z, header, sizeof(header));
}

/* Compresses the batch, writes it in order and keeps its last DICT bytes
 * as the next batch's dictionary. */
static int flush_batch(cz_pgz *z, bool last)
{
	unsigned char *data = z->buf + DICT;
	size_t n = last && z->fill == 0 ? 1 : (z->fill + BLOCK - 1) / BLOCK;
	pthread_t tids[MAX_THREADS];
	worker workers[MAX_THREADS];
	bool started[MAX_THREADS] = { false };

	if (!z->header_written && write_header(z) != 0)
		return z->failed;
	for (size_t i = 0; i < n; i++) {
		job *j = &z->jobs[i];
		size_t off = i * BLOCK;

		j->in = data + off;
		j->len = z->fill - off < BLOCK ? z->fill - off : BLOCK;
		j->dict_len = i ? DICT : z->dict_len;
		j->last = last && i == n - 1;
		j->failed = false;
	}
	for (unsigned t = 0; t < z->threads; t++)
		workers[t] = (worker){ z, t, n };
	for (unsigned t = 1; t < z->threads && t < n; t++)
		started[t] = pthread_create(&tids[t], NULL, run_worker,
					    &workers[t]) == 0;
	run_worker(&workers[0]);
	for (unsigned t = 1; t < z->threads && t < n; t++) {
		if (started[t])
			pthread_join(tids[t], NULL);
		else
			run_worker(&workers[t]);
	}
	for (size_t i = 0; i < n; i++) {
		if (z->jobs[i].failed)
			z->failed = -1;
		if (emit(z, z->jobs[i].out, z->jobs[i].out_len) != 0)
			return z->failed;
	}
	if (z->fill >= DICT) {
		memcpy(z->buf, data + z->fill - DICT, DICT);
		z->dict_len = DICT;
	}
	z->fill = 0;
	return z->failed;
}

int cz_pgz_write(cz_pgz *z, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (z->failed)
		return z->failed;
	z->crc = crc32_z(z->crc, p, len);
	z->total += len;
	while (len) {
		size_t room;

		/* A full batch waits for more input: only then is it known
		 * not to hold the stream's last block. */
		if (z->fill == z->batch && flush_batch(z, false) != 0)
			return z->failed;
		room = z->batch - z->fill;
		room = room < len ? room : len;
		memcpy(z->buf + DICT + z->fill, p, room);
		z->fill += room;
		p += room;
		len -= room;
	}
	return 0;
}

int cz_pgz_finish(cz_pgz *z)
{
	unsigned char trailer[8];
	uint32_t size = (uint32_t)z->total;

	if (z->failed || flush_batch(z, true) != 0)
		return z->failed;
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(z->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(size >> (8 * i));
	}
	return emit(z, trailer, sizeof(trailer));
}
