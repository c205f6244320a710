#ifndef CZ_OBJECT_LINEMAP_H
#define CZ_OBJECT_LINEMAP_H

/*
 * cz_linemap: where in the source file each slot of a parsed document came
 * from, so that a validation error can point at "file:line".
 *
 * Lines are kept per container slot (object + key, or array + index) rather
 * than per json_t because jansson shares one json_t for every true, false
 * and null, so a node cannot carry its own position.
 *
 * Containers are identified by address.  The map holds no reference to
 * them: it must not outlive the documents it describes, or a freed
 * container's address reused by a new one would inherit stale lines.
 * Key strings are copied into the map's own arena, so deleting a key from
 * an object never leaves a dangling pointer here.
 *
 * Outside batch mode (below) lookups only read the map, so several threads
 * may query it at once.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

typedef struct cz_linemap_entry {
	const json_t *container;
	const char *key; /* arena copy; NULL for an array item */
	size_t index;    /* array items only */
	uint32_t hash;
	unsigned line;
	unsigned col;
} cz_linemap_entry;

typedef struct cz_linemap {
	cz_linemap_entry *entries; /* in insertion order */
	size_t len;
	size_t cap;
	/* Open addressing over entries[0..indexed): per slot, the entry
	 * number + 1 (0 is empty) and its 32-bit hash, so most probes never
	 * touch the entries array.  In batch mode new entries are only
	 * appended, and indexed in one prefetching pass later: random
	 * inserts into a table bigger than the cache are what would
	 * otherwise dominate the cost. */
	uint32_t *slots;
	size_t nslots; /* a power of two, or 0 */
	size_t indexed;
	bool batch;
	cz_arena keys;
} cz_linemap;

#define CZ_LINEMAP_INIT { NULL, 0, 0, NULL, 0, 0, false, CZ_ARENA_INIT }

void cz_linemap_init(cz_linemap *m);
/* Frees everything; the map is empty and usable again afterwards. */
void cz_linemap_release(cz_linemap *m);

/* Records (or overwrites) the position of a slot.  line and col are
 * 1-based. */
void cz_linemap_set_key(cz_linemap *m, const json_t *object, const char *key,
			unsigned line, unsigned col);
void cz_linemap_set_index(cz_linemap *m, const json_t *array, size_t index,
			  unsigned line, unsigned col);

/* Batch mode, for a parser recording hundreds of thousands of slots: sets
 * only append, and leaving batch mode (on = false) indexes everything in
 * one pass.  A lookup made during a batch indexes what is there first, so
 * lookups stay correct; but then the map must not be shared between
 * threads.  Returns the previous mode. */
bool cz_linemap_batch(cz_linemap *m, bool on);

/* 1-based line of the key `key` in `object` (the line of the key token), or
 * 0 when unknown.  m may be NULL. */
unsigned cz_linemap_key(const cz_linemap *m, const json_t *object,
			const char *key);
/* 1-based line where item `index` of `array` starts, or 0.  m may be NULL. */
unsigned cz_linemap_index(const cz_linemap *m, const json_t *array,
			  size_t index);

/* Line and column of a slot; false (and *line = *col = 0) when unknown. */
bool cz_linemap_key_pos(const cz_linemap *m, const json_t *object,
			const char *key, unsigned *line, unsigned *col);
bool cz_linemap_index_pos(const cz_linemap *m, const json_t *array,
			  size_t index, unsigned *line, unsigned *col);

#endif
