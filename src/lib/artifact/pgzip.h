#ifndef CZ_ARTIFACT_PGZIP_H
#define CZ_ARTIFACT_PGZIP_H

/*
 * A gzip writer that compresses on several threads and still gives the
 * same bytes whatever the number of threads: the input is cut into fixed
 * 128 KiB blocks, each deflated on its own with the 32 KiB before it as
 * its dictionary and ended on a byte boundary (a sync flush; the last one
 * finishes the stream), and the blocks are written in order as one gzip
 * member with no timestamp and no name.  Any gzip reader reads it; it is
 * a little larger than one stream (each block starts afresh but for the
 * dictionary).
 *
 *   cz_pgz *z = cz_pgz_new(6, threads, out_write, ctx);
 *   cz_pgz_write(z, data, len) ... ;
 *   cz_pgz_finish(z);          the trailer; then only cz_pgz_free
 *   cz_pgz_free(z);
 *
 * out_write receives the compressed bytes in order and returns 0, or
 * non-zero to stop: that result is then returned by cz_pgz_write() and
 * cz_pgz_finish().
 */

#include <stddef.h>

typedef struct cz_pgz cz_pgz;

typedef int (*cz_pgz_out)(void *ctx, const void *data, size_t len);

/* level 1..9 (anything else: 6); threads 0 or 1 compresses inline.  The
 * result is freed with cz_pgz_free(). */
cz_pgz *cz_pgz_new(int level, unsigned threads, cz_pgz_out out, void *ctx);
int cz_pgz_write(cz_pgz *z, const void *data, size_t len);
int cz_pgz_finish(cz_pgz *z);
void cz_pgz_free(cz_pgz *z);

/* The number of threads worth using here: the online processors, at most
 * 8. */
unsigned cz_pgz_default_threads(void);

#endif
