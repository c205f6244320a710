#ifndef CZ_ARTIFACT_STORE_H
#define CZ_ARTIFACT_STORE_H

/*
 * Content-addressed artifact store under a data directory:
 *
 *   DIR/artifacts/sha256/<hex>.tar.gz   one blob per distinct content
 *   DIR/artifacts/index/<name>.json     revisions of one artifact name,
 *                                       newest first
 *   DIR/artifacts/tmp/                  blobs being written
 *
 * A blob is written to tmp/, flushed, then renamed to its final name and
 * the directory flushed: after a crash a blob is either complete or
 * absent.  Index files are replaced atomically the same way.  Garbage
 * collection keeps the newest K revisions of every name and deletes a blob
 * only when no index references it; a crash between the two steps leaves
 * unreferenced blobs, which the next collection deletes.
 *
 * A store is used by one process at a time; a collection must not run
 * while another thread puts blobs that are not recorded yet (the blobs
 * younger than min_age_seconds are kept to make that window harmless).
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "artifact/tarball.h"
#include "util/error.h"

typedef struct cz_artifact_store cz_artifact_store;

typedef struct cz_artifact_revision {
	char digest[CZ_DIGEST_MAX];
	uint64_t size;
	int64_t created; /* Unix seconds */
} cz_artifact_revision;

typedef struct cz_artifact_gc_stats {
	size_t revisions_dropped;
	size_t blobs_deleted;
	size_t blobs_kept;
	uint64_t bytes_freed;
} cz_artifact_gc_stats;

/* Opens (creating the directories) the store under data_dir.  *out is
 * freed with cz_artifact_store_close(). */
int cz_artifact_store_open(const char *data_dir, cz_artifact_store **out,
			   cz_error *err);
/* The same for a store thrown away after use (a plan's scratch store):
 * blobs and indexes still appear whole or not at all to readers, but
 * nothing is flushed to disk, since no restart will read it again. */
int cz_artifact_store_open_scratch(const char *data_dir,
				   cz_artifact_store **out, cz_error *err);
void cz_artifact_store_close(cz_artifact_store *s);

/* Writes the tarball as a blob (a no-op apart from the hashing when the
 * same content is there already) and fills *out with its digest and size. */
int cz_artifact_store_put(cz_artifact_store *s, const cz_tarball *t,
			  cz_tar_result *out, cz_error *err);

/* Moves the file at path into the store as is (a blob whose bytes are
 * already an archive, e.g. an OCI layer kept unchanged): its sha256 and
 * size go to *out (entries 0), and the file is renamed into place, so path
 * must be on the store's file system (cz_artifact_store_tmp_dir()).  On
 * success path no longer exists; on failure it is left to the caller. */
int cz_artifact_store_put_file(cz_artifact_store *s, const char *path,
			       cz_tar_result *out, cz_error *err);
/* The store's directory for files being written (borrowed). */
const char *cz_artifact_store_tmp_dir(const cz_artifact_store *s);
/* Path of the blob of digest ("sha256:<hex>"); *path_out is malloc'ed
 * (the caller frees it).  CZ_ENOTFOUND when absent, CZ_EINVALID for a
 * malformed digest. */
int cz_artifact_store_lookup(const cz_artifact_store *s, const char *digest,
			     char **path_out, uint64_t *size_out,
			     cz_error *err);

/* Records digest as the newest revision of name, unless it is already the
 * newest.  name: letters, digits, '.', '_', '-' (an artifact name). */
int cz_artifact_store_record(cz_artifact_store *s, const char *name,
			     const char *digest, uint64_t size, cz_error *err);

/* Revisions of name, newest first; *out is malloc'ed (the caller frees
 * it), *n may be 0 (then *out is NULL). */
int cz_artifact_store_revisions(const cz_artifact_store *s, const char *name,
				cz_artifact_revision **out, size_t *n,
				cz_error *err);

/* Keeps the newest keep (>= 1) revisions of every name and deletes every
 * blob no name references, except blobs modified less than
 * min_age_seconds ago; stats may be NULL. */
int cz_artifact_store_gc(cz_artifact_store *s, size_t keep,
			 unsigned min_age_seconds, cz_artifact_gc_stats *stats,
			 cz_error *err);

#endif
