#ifndef CZ_UTIL_STRMAP_H
#define CZ_UTIL_STRMAP_H

/*
 * cz_strmap: an open-addressing hash map from NUL-terminated strings to
 * pointers.  Keys are borrowed: the caller keeps them alive as long as the
 * map.  Iteration order is not defined; sort when order matters.
 */

#include <stdbool.h>
#include <stddef.h>

typedef struct cz_strmap_slot {
	const char *key;
	void *value;
	size_t hash;
} cz_strmap_slot;

typedef struct cz_strmap {
	cz_strmap_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t len;
} cz_strmap;

#define CZ_STRMAP_INIT { NULL, 0, 0 }

size_t cz_strhash(const char *s);

/* Sets key to value; returns the previous value or NULL. */
void *cz_strmap_put(cz_strmap *m, const char *key, void *value);
/* The value for key, or NULL. */
void *cz_strmap_get(const cz_strmap *m, const char *key);
bool cz_strmap_has(const cz_strmap *m, const char *key);
/*
 * Removes key; returns its value, or NULL when key was absent.  The key
 * pointer the map held is the caller's as before: a set that stores each
 * owned key as its own value frees the returned value.  Entries may move,
 * so do not delete while iterating.
 */
void *cz_strmap_del(cz_strmap *m, const char *key);
void cz_strmap_release(cz_strmap *m);
/* Frees every value with free(), then releases the map: for a map whose
 * values are owned (a set that stores each owned key as its value). */
void cz_strmap_release_owned(cz_strmap *m);

/* Iterate: for (size_t i = 0; cz_strmap_next(m, &i, &k, &v);) */
bool cz_strmap_next(const cz_strmap *m, size_t *pos, const char **key,
		    void **value);

#endif
