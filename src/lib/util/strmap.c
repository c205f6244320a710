#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

size_t cz_strhash(const char *s)
{
	/* FNV-1a, 64-bit. */
	unsigned long long h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static cz_strmap_slot *find_slot(cz_strmap_slot *slots, size_t cap,
				 const char *key, size_t hash)
{
	size_t i = hash & (cap - 1);

	while (slots[i].key &&
	       (slots[i].hash != hash || strcmp(slots[i].key, key) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static void grow(cz_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	cz_strmap_slot *slots = cz_xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < m->cap; i++) {
		cz_strmap_slot *old = &m->slots[i];

		if (old->key)
			*find_slot(slots, cap, old->key, old->hash) = *old;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

void *cz_strmap_put(cz_strmap *m, const char *key, void *value)
{
	size_t hash = cz_strhash(key);
	cz_strmap_slot *slot;
	void *old;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	slot = find_slot(m->slots, m->cap, key, hash);
	if (!slot->key) {
		slot->key = key;
		slot->hash = hash;
		slot->value = value;
		m->len++;
		return NULL;
	}
	old = slot->value;
	slot->key = key;
	slot->value = value;
	return old;
}

void *cz_strmap_get(const cz_strmap *m, const char *key)
{
	cz_strmap_slot *slot;

	if (!m->len)
		return NULL;
	slot = find_slot(m->slots, m->cap, key, cz_strhash(key));
	return slot->key ? slot->value : NULL;
}

bool cz_strmap_has(const cz_strmap *m, const char *key)
{
	if (!m->len)
		return false;
	return find_slot(m->slots, m->cap, key, cz_strhash(key))->key != NULL;
}

/* True when slot j may stay where it is after slot i is emptied: its home
 * slot lies cyclically in (i, j], so lookups still reach it. */
static bool stays(size_t i, size_t j, size_t home)
{
	if (i < j)
		return home > i && home <= j;
	return home > i || home <= j;
}

void *cz_strmap_del(cz_strmap *m, const char *key)
{
	size_t mask = m->cap - 1;
	cz_strmap_slot *slot;
	size_t i, j;
	void *value;

	if (!m->len)
		return NULL;
	slot = find_slot(m->slots, m->cap, key, cz_strhash(key));
	if (!slot->key)
		return NULL;
	value = slot->value;
	/* Backward-shift deletion: linear probing has no tombstones, so the
	 * entries after the hole move up until none depends on it. */
	i = (size_t)(slot - m->slots);
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		if (stays(i, j, m->slots[j].hash & mask))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i] = (cz_strmap_slot){ NULL, NULL, 0 };
	m->len--;
	return value;
}

bool cz_strmap_next(const cz_strmap *m, size_t *pos, const char **key,
		    void **value)
{
	while (*pos < m->cap) {
		cz_strmap_slot *slot = &m->slots[(*pos)++];

		if (slot->key) {
			if (key)
				*key = slot->key;
			if (value)
				*value = slot->value;
			return true;
		}
	}
	return false;
}

void cz_strmap_release(cz_strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->len = 0;
}

void cz_strmap_release_owned(cz_strmap *m)
{
	void *value;

	for (size_t i = 0; cz_strmap_next(m, &i, NULL, &value);)
		free(value);
	cz_strmap_release(m);
}
