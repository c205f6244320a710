#ifndef CZ_API_JSONTREE_H
#define CZ_API_JSONTREE_H

/*
 * Helpers shared by the JSON algorithms of the API server (patches,
 * server-side apply, managed fields): value equality as the API server
 * sees it, the list type of a field, and a bounded dotted-path builder.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "api/resource.h"

/* Documents deeper than this are refused.  It is the nesting limit of the
 * JSON decoder, so anything that decoded can be patched, and no patch can
 * build a document that could not be decoded again. */
#define CZ_JSON_MAX_DEPTH 2048

typedef enum cz_list_type {
	CZ_LIST_ATOMIC, /* replaced as a whole */
	CZ_LIST_MAP,    /* items identified by a key field */
	CZ_LIST_SET,    /* scalars merged as a set (metadata.finalizers) */
} cz_list_type;

/* The type of the list at dotted path (list indices are not part of the
 * path: "status.conditions").  For CZ_LIST_MAP, *key receives the item key
 * (borrowed from keys).  keys ends with a NULL path and may be NULL.
 * metadata.finalizers is a set on every kind, as ObjectMeta declares. */
cz_list_type cz_list_type_of(const cz_merge_key *keys, const char *path,
			     const char **key);

/* Deep equality where numbers compare by value (1 equals 1.0), as the API
 * server decodes every JSON number into the same type.  Objects compare
 * regardless of key order. */
bool cz_json_same(const json_t *a, const json_t *b);

/* Nesting depth of v (a scalar is 1), counting no further than limit. */
size_t cz_json_depth(const json_t *v, size_t limit);

/* Number of values in v (a scalar is 1), counting no further than limit. */
size_t cz_json_count(const json_t *v, size_t limit);

/* A dotted path under construction.  Pushes and pops nest.  A path longer
 * than the buffer reads as "" (cz_dpath_str), which matches no merge key:
 * none is that long. */
typedef struct cz_dpath {
	char s[512];
	size_t len;
	size_t over; /* pushes that did not fit and are not popped yet */
} cz_dpath;

void cz_dpath_init(cz_dpath *p);
/* Appends ".name" (or "name" at the root); returns the previous length
 * for cz_dpath_pop(). */
size_t cz_dpath_push(cz_dpath *p, const char *name);
void cz_dpath_pop(cz_dpath *p, size_t len);
const char *cz_dpath_str(const cz_dpath *p);

#endif
