#include "object/linemap.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Grow before the table is 70% full: linear probing degrades fast past
 * that, and a slot is only 8 bytes. */
#define LOAD_NUM 7
#define LOAD_DEN 10
#define MIN_SLOTS 1024
/* How far ahead a batch insert prefetches its slot: enough cache misses
 * in flight to hide memory latency. */
#define PREFETCH_AHEAD 16

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch((p), 1)
#else
#define PREFETCH(p) ((void)(p))
#endif

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint32_t hash_key(const json_t *container, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)container;

	for (const unsigned char *s = (const unsigned char *)key; *s; s++) {
		h ^= *s;
		h *= 1099511628211ULL;
	}
	return (uint32_t)mix64(h);
}

static uint32_t hash_index(const json_t *container, size_t index)
{
	uint64_t h = (uint64_t)(uintptr_t)container * 0x9E3779B97F4A7C15ULL;

	return (uint32_t)mix64(h ^ (uint64_t)index);
}

void cz_linemap_init(cz_linemap *m)
{
	cz_linemap empty = CZ_LINEMAP_INIT;

	*m = empty;
}

void cz_linemap_release(cz_linemap *m)
{
	free(m->entries);
	free(m->slots);
	cz_arena_release(&m->keys);
	cz_linemap_init(m);
}

static bool same_slot(const cz_linemap_entry *a, const json_t *container,
		      const char *key, size_t index)
{
	if (a->container != container)
		return false;
	if (key)
		return a->key && strcmp(a->key, key) == 0;
	return !a->key && a->index == index;
}

/* The table position holding the slot, or the empty one where it would
 * go. */
static size_t probe(const cz_linemap *m, const json_t *container,
		    const char *key, size_t index, uint32_t hash)
{
	size_t mask = m->nslots - 1;
	size_t i = hash & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t ref = m->slots[2 * i];

		if (!ref || (m->slots[2 * i + 1] == hash &&
			     same_slot(&m->entries[ref - 1], container, key,
				       index)))
			return i;
	}
}

/* Indexes entry number i; a newer entry for the same slot replaces the
 * older one, whose entry then stays unused. */
static void index_entry(cz_linemap *m, size_t i)
{
	const cz_linemap_entry *e = &m->entries[i];
	size_t pos = probe(m, e->container, e->key, e->index, e->hash);

	m->slots[2 * pos] = (uint32_t)(i + 1);
	m->slots[2 * pos + 1] = e->hash;
}

/* Live entries are distinct, so a rehash needs no comparisons and never
 * reads the entries array. */
static void place(cz_linemap *m, uint32_t ref, uint32_t hash)
{
	size_t mask = m->nslots - 1;
	size_t i = hash & mask;

	while (m->slots[2 * i])
		i = (i + 1) & mask;
	m->slots[2 * i] = ref;
	m->slots[2 * i + 1] = hash;
}

static void prefetch_slot(const cz_linemap *m, uint32_t hash)
{
	PREFETCH(&m->slots[2 * (hash & (m->nslots - 1))]);
}

/* Rebuilds the table with room for need entries: one pass over the old
 * table, thanks to the hashes stored next to the entry numbers. */
static void resize(cz_linemap *m, size_t need)
{
	uint32_t *old = m->slots;
	size_t old_n = m->nslots;
	size_t n = MIN_SLOTS;

	while (need * LOAD_DEN > n * LOAD_NUM)
		n *= 2;
	m->slots = cz_xcalloc(n, 2 * sizeof(*m->slots));
	m->nslots = n;
	for (size_t i = 0; i < old_n; i++) {
		if (i + PREFETCH_AHEAD < old_n && old[2 * (i + PREFETCH_AHEAD)])
			prefetch_slot(m, old[2 * (i + PREFETCH_AHEAD) + 1]);
		if (old[2 * i])
			place(m, old[2 * i], old[2 * i + 1]);
	}
	free(old);
}

/* Brings the table up to date with entries appended in batch mode. */
static void index_pending(cz_linemap *m)
{
	if (m->indexed == m->len)
		return;
	if (m->len * LOAD_DEN > m->nslots * LOAD_NUM)
		resize(m, m->len);
	for (size_t i = m->indexed; i < m->len; i++) {
		if (i + PREFETCH_AHEAD < m->len)
			prefetch_slot(m, m->entries[i + PREFETCH_AHEAD].hash);
		index_entry(m, i);
	}
	m->indexed = m->len;
}

bool cz_linemap_batch(cz_linemap *m, bool on)
{
	bool was = m->batch;

	m->batch = on;
	if (!on)
		index_pending(m);
	return was;
}

static cz_linemap_entry *append(cz_linemap *m, const json_t *container,
				const char *key, size_t index, uint32_t hash)
{
	cz_linemap_entry *e;

	CZ_GROW(m->entries, m->len + 1, m->cap);
	e = &m->entries[m->len++];
	e->container = container;
	e->key = key ? cz_arena_strdup(&m->keys, key) : NULL;
	e->index = index;
	e->hash = hash;
	return e;
}

/* Outside batch mode: update the slot in place or index the new entry
 * right away. */
static void set_now(cz_linemap *m, const json_t *container, const char *key,
		    size_t index, uint32_t hash, unsigned line, unsigned col)
{
	cz_linemap_entry *e;
	size_t pos;

	index_pending(m);
	if ((m->len + 1) * LOAD_DEN > m->nslots * LOAD_NUM)
		resize(m, m->len + 1);
	pos = probe(m, container, key, index, hash);
	if (m->slots[2 * pos]) {
		e = &m->entries[m->slots[2 * pos] - 1];
	} else {
		e = append(m, container, key, index, hash);
		m->slots[2 * pos] = (uint32_t)m->len;
		m->slots[2 * pos + 1] = hash;
		m->indexed = m->len;
	}
	e->line = line;
	e->col = col;
}

static void set(cz_linemap *m, const json_t *container, const char *key,
		size_t index, uint32_t hash, unsigned line, unsigned col)
{
	cz_linemap_entry *e;

	/* Entry numbers are stored in 32 bits; past that, positions are
	 * simply not recorded (they only serve messages). */
	if (m->len >= UINT32_MAX - 1)
		return;
	if (!m->batch) {
		set_now(m, container, key, index, hash, line, col);
		return;
	}
	e = append(m, container, key, index, hash);
	e->line = line;
	e->col = col;
}

void cz_linemap_set_key(cz_linemap *m, const json_t *object, const char *key,
			unsigned line, unsigned col)
{
	set(m, object, key, 0, hash_key(object, key), line, col);
}

void cz_linemap_set_index(cz_linemap *m, const json_t *array, size_t index,
			  unsigned line, unsigned col)
{
	set(m, array, NULL, index, hash_index(array, index), line, col);
}

static const cz_linemap_entry *find(const cz_linemap *m,
				    const json_t *container, const char *key,
				    size_t index, uint32_t hash)
{
	uint32_t ref;

	/* Only a map in batch mode has pending entries; indexing them is
	 * invisible to the caller, hence the cast. */
	index_pending((cz_linemap *)m);
	if (!m->nslots)
		return NULL;
	ref = m->slots[2 * probe(m, container, key, index, hash)];
	return ref ? &m->entries[ref - 1] : NULL;
}

static bool report(const cz_linemap_entry *e, unsigned *line, unsigned *col)
{
	if (line)
		*line = e ? e->line : 0;
	if (col)
		*col = e ? e->col : 0;
	return e != NULL;
}

bool cz_linemap_key_pos(const cz_linemap *m, const json_t *object,
			const char *key, unsigned *line, unsigned *col)
{
	const cz_linemap_entry *e = NULL;

	if (m && object && key)
		e = find(m, object, key, 0, hash_key(object, key));
	return report(e, line, col);
}

bool cz_linemap_index_pos(const cz_linemap *m, const json_t *array,
			  size_t index, unsigned *line, unsigned *col)
{
	const cz_linemap_entry *e = NULL;

	if (m && array)
		e = find(m, array, NULL, index, hash_index(array, index));
	return report(e, line, col);
}

unsigned cz_linemap_key(const cz_linemap *m, const json_t *object,
			const char *key)
{
	unsigned line;

	cz_linemap_key_pos(m, object, key, &line, NULL);
	return line;
}

unsigned cz_linemap_index(const cz_linemap *m, const json_t *array,
			  size_t index)
{
	unsigned line;

	cz_linemap_index_pos(m, array, index, &line, NULL);
	return line;
}
