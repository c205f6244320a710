#ifndef CZ_STORE_INDEX_H
#define CZ_STORE_INDEX_H

/*
 * cz_index: the in-memory ordered map from key to blob behind the store.
 *
 * A sorted array of chunks, each a sorted array of up to CZ_INDEX_CHUNK
 * blob pointers: two binary searches find a key (O(log n)); an insert moves
 * at most one chunk's pointers and, when the chunk is full, splits it; an
 * ordered scan walks the chunks in turn.  That keeps writes cheap at a few
 * hundred thousand keys, where one flat sorted array would move megabytes
 * per insert.  Keys sort with strcmp.  The index owns one reference to each
 * blob it holds.  Not synchronised: the store locks around it.
 */

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define CZ_INDEX_CHUNK 512

typedef struct cz_index_chunk cz_index_chunk;

typedef struct cz_index {
	cz_index_chunk **chunks; /* none of them empty */
	size_t nchunks;
	size_t cap;
	size_t count; /* blobs held */
	size_t bytes; /* sum of their len */
} cz_index;

/* A place in the scan order: chunk nchunks is the end. */
typedef struct cz_index_pos {
	size_t chunk;
	size_t slot;
} cz_index_pos;

void cz_index_init(cz_index *ix);
/* Drops every blob reference and frees the chunks. */
void cz_index_release(cz_index *ix);

/* The blob stored under key, borrowed, or NULL. */
cz_blob *cz_index_get(const cz_index *ix, const char *key);
/* Stores b under b->key, taking over the caller's reference.  Returns the
 * blob it replaced, whose reference passes to the caller, or NULL. */
cz_blob *cz_index_put(cz_index *ix, cz_blob *b);
/* Adds b after every key held (the caller guarantees b->key sorts last),
 * taking over the reference; fills chunks densely, for loading. */
void cz_index_append(cz_index *ix, cz_blob *b);
/* Removes key; returns the removed blob's reference (the caller's now), or
 * NULL when key is absent. */
cz_blob *cz_index_remove(cz_index *ix, const char *key);

/* The position of the first key >= key (> key when after is true). */
cz_index_pos cz_index_seek(const cz_index *ix, const char *key, bool after);
/* The blob at pos, borrowed, or NULL at the end. */
cz_blob *cz_index_at(const cz_index *ix, cz_index_pos pos);
void cz_index_next(const cz_index *ix, cz_index_pos *pos);

#endif
