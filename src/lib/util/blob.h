#ifndef CZ_UTIL_BLOB_H
#define CZ_UTIL_BLOB_H

/*
 * cz_blob: an immutable, reference-counted stored value.  The store keeps
 * one per object and hands the same one to GET, LIST and every watcher;
 * the in-process client passes it on with each watch event, so a compact
 * informer cache holds a reference instead of a copy of the text.  Lives
 * here, not in the store, so that the client and the informers can hold
 * blobs without depending on the store.
 */

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* data is the compact JSON text of an object, with
 * metadata.resourceVersion equal to rv; NUL-terminated.  key and data live
 * as long as the blob. */
typedef struct cz_blob {
	atomic_size_t refs_; /* private: use cz_blob_ref/cz_blob_unref */
	int64_t rv;
	const char *key; /* the store key */
	size_t len;
	const char *data;
} cz_blob;

/* A new blob with one reference (the caller's), holding copies of key and
 * data[0..len) in a single allocation; released with cz_blob_unref(). */
cz_blob *cz_blob_new(const char *key, int64_t rv, const char *data,
		     size_t len);
/* Takes one more reference; returns b.  Any thread may take and drop
 * references; the data never changes. */
cz_blob *cz_blob_ref(cz_blob *b);
/* Drops one reference; the last one frees the blob.  NULL-safe. */
void cz_blob_unref(cz_blob *b);

#endif
