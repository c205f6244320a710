#ifndef CZ_OBJECT_PROJECT_H
#define CZ_OBJECT_PROJECT_H

/*
 * JSON projection: parse only the members a caller needs out of a large
 * JSON text, skipping the rest without building it.
 *
 * A list of 10,000 PackageSources is about 15 MB of JSON, most of it
 * components and managedFields that `cozypkg list` never reads; building
 * all of it with jansson costs about 200 instructions a byte, skipping it
 * a few.  A projection names the kept members as paths:
 *
 *   "items[].metadata.name"   the name of every item
 *   "items[].status"          every item's whole status
 *
 * "[]" after a member means "every element of this array".  A kept path's
 * last member is parsed whole (with jansson, so its values are exact); a
 * path ending in "~" ("items[].spec~") keeps that member's JSON text as a
 * string instead, for a caller that will parse only a few of many items.
 * Members on no path are skipped; objects along a path keep only the
 * members on some path; a value of the wrong type along a path (an array
 * where an object is expected) is dropped.
 *
 * A path starting with "-" names what to leave out instead:
 * "-metadata.managedFields" keeps the whole document but that member.
 * The objects along such a path keep, whole, every member no path names;
 * a value that is not an object where one is expected is kept whole.  A
 * "-" path has no "[]" or "~", ends where no kept path continues, and
 * meets no kept path's end.
 *
 * Skipped text is scanned for structure (strings, brackets, nesting) but
 * not validated token by token; any imbalance, a truncated text or nesting
 * deeper than CZ_PROJECT_MAX_DEPTH is an error naming the byte offset.
 */

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "util/error.h"

/* jansson's own limit: whatever the store accepts, a projection reads. */
#define CZ_PROJECT_MAX_DEPTH 2048

typedef struct cz_projection cz_projection;

/* Builds a projection from paths (copied).  Returns NULL for an empty or
 * malformed path list.  Freed with cz_projection_free(). */
cz_projection *cz_projection_new(const char *const *paths, size_t npaths);
void cz_projection_free(cz_projection *p);

/*
 * Parses data[0..len) keeping what p names (p NULL: the whole document, an
 * object or an array); *out (owned by the caller) receives the projected
 * document.  CZ_EINVALID with "offset N: ..." in err when the text is not
 * JSON.
 */
int cz_json_project(const char *data, size_t len, const cz_projection *p,
		    json_t **out, cz_error *err);

/*
 * A projection of fixed paths built on first use and kept for the life of
 * the process, for readers on a hot path in any thread:
 *
 *   static const char *const paths[] = { "metadata.name", "status" };
 *   static cz_static_projection view = { paths, 2, NULL };
 *   ... cz_projection_static(&view) ...
 */
typedef struct cz_static_projection {
	const char *const *paths;
	size_t npaths;
	_Atomic(cz_projection *) built; /* NULL until the first use */
} cz_static_projection;

const cz_projection *cz_projection_static(cz_static_projection *s);

#endif
