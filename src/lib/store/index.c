#include "store/index.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Chunks filled by cz_index_append keep a quarter free so that the first
 * inserts after loading do not split every chunk. */
#define APPEND_FILL (CZ_INDEX_CHUNK * 3 / 4)

struct cz_index_chunk {
	size_t n;
	cz_blob *items[CZ_INDEX_CHUNK];
};

void cz_index_init(cz_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void cz_index_release(cz_index *ix)
{
	for (size_t c = 0; c < ix->nchunks; c++) {
		for (size_t i = 0; i < ix->chunks[c]->n; i++)
			cz_blob_unref(ix->chunks[c]->items[i]);
		free(ix->chunks[c]);
	}
	free(ix->chunks);
	cz_index_init(ix);
}

/* The last chunk whose first key is <= key, or chunk 0 when key sorts
 * before everything; the index must not be empty. */
static size_t find_chunk(const cz_index *ix, const char *key)
{
	size_t lo = 1, hi = ix->nchunks;

	/* invariant: chunk lo-1 starts at or before key (or is chunk 0);
	 * chunks from hi on start after key */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->chunks[mid]->items[0]->key, key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* The first slot of ch holding a key >= key (> key when after). */
static size_t find_slot(const cz_index_chunk *ch, const char *key, bool after)
{
	size_t lo = 0, hi = ch->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(ch->items[mid]->key, key);

		if (cmp < 0 || (after && cmp == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

cz_blob *cz_index_get(const cz_index *ix, const char *key)
{
	const cz_index_chunk *ch;
	size_t slot;

	if (!ix->nchunks)
		return NULL;
	ch = ix->chunks[find_chunk(ix, key)];
	slot = find_slot(ch, key, false);
	if (slot < ch->n && strcmp(ch->items[slot]->key, key) == 0)
		return ch->items[slot];
	return NULL;
}

static cz_index_chunk *insert_chunk(cz_index *ix, size_t at)
{
	cz_index_chunk *ch = cz_xmalloc(sizeof(*ch));

	ch->n = 0;
	CZ_GROW(ix->chunks, ix->nchunks + 1, ix->cap);
	memmove(ix->chunks + at + 1, ix->chunks + at,
		(ix->nchunks - at) * sizeof(*ix->chunks));
	ix->chunks[at] = ch;
	ix->nchunks++;
	return ch;
}

static void insert_slot(cz_index_chunk *ch, size_t slot, cz_blob *b)
{
	memmove(ch->items + slot + 1, ch->items + slot,
		(ch->n - slot) * sizeof(*ch->items));
	ch->items[slot] = b;
	ch->n++;
}

static void account(cz_index *ix, const cz_blob *added, const cz_blob *gone)
{
	if (added) {
		ix->count++;
		ix->bytes += added->len;
	}
	if (gone) {
		ix->count--;
		ix->bytes -= gone->len;
	}
}

cz_blob *cz_index_put(cz_index *ix, cz_blob *b)
{
	cz_index_chunk *ch, *upper;
	size_t c, slot, half = CZ_INDEX_CHUNK / 2;

	if (!ix->nchunks)
		insert_chunk(ix, 0);
	c = find_chunk(ix, b->key);
	ch = ix->chunks[c];
	slot = find_slot(ch, b->key, false);
	if (slot < ch->n && strcmp(ch->items[slot]->key, b->key) == 0) {
		cz_blob *old = ch->items[slot];

		ch->items[slot] = b;
		account(ix, b, old);
		return old;
	}
	if (ch->n == CZ_INDEX_CHUNK) {
		upper = insert_chunk(ix, c + 1);
		memcpy(upper->items, ch->items + half,
		       (CZ_INDEX_CHUNK - half) * sizeof(*ch->items));
		upper->n = CZ_INDEX_CHUNK - half;
		ch->n = half;
		if (slot > half) {
			ch = upper;
			slot -= half;
		}
	}
	insert_slot(ch, slot, b);
	account(ix, b, NULL);
	return NULL;
}

void cz_index_append(cz_index *ix, cz_blob *b)
{
	cz_index_chunk *last = ix->nchunks ? ix->chunks[ix->nchunks - 1] : NULL;

	if (!last || last->n >= APPEND_FILL)
		last = insert_chunk(ix, ix->nchunks);
	last->items[last->n++] = b;
	account(ix, b, NULL);
}

cz_blob *cz_index_remove(cz_index *ix, const char *key)
{
	cz_index_chunk *ch;
	cz_blob *gone;
	size_t c, slot;

	if (!ix->nchunks)
		return NULL;
	c = find_chunk(ix, key);
	ch = ix->chunks[c];
	slot = find_slot(ch, key, false);
	if (slot == ch->n || strcmp(ch->items[slot]->key, key) != 0)
		return NULL;
	gone = ch->items[slot];
	memmove(ch->items + slot, ch->items + slot + 1,
		(ch->n - slot - 1) * sizeof(*ch->items));
	ch->n--;
	if (!ch->n) {
		free(ch);
		memmove(ix->chunks + c, ix->chunks + c + 1,
			(ix->nchunks - c - 1) * sizeof(*ix->chunks));
		ix->nchunks--;
	}
	account(ix, NULL, gone);
	return gone;
}

/* Moves a position that is past its chunk's last slot to the next chunk. */
static void normalise(const cz_index *ix, cz_index_pos *pos)
{
	if (pos->chunk < ix->nchunks &&
	    pos->slot >= ix->chunks[pos->chunk]->n) {
		pos->chunk++;
		pos->slot = 0;
	}
}

cz_index_pos cz_index_seek(const cz_index *ix, const char *key, bool after)
{
	cz_index_pos pos = { 0, 0 };

	if (!ix->nchunks)
		return pos;
	pos.chunk = find_chunk(ix, key);
	pos.slot = find_slot(ix->chunks[pos.chunk], key, after);
	normalise(ix, &pos);
	return pos;
}

cz_blob *cz_index_at(const cz_index *ix, cz_index_pos pos)
{
	if (pos.chunk >= ix->nchunks)
		return NULL;
	return ix->chunks[pos.chunk]->items[pos.slot];
}

void cz_index_next(const cz_index *ix, cz_index_pos *pos)
{
	if (pos->chunk >= ix->nchunks)
		return;
	pos->slot++;
	normalise(ix, pos);
}
