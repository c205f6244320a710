#ifndef CZ_API_PATCH_H
#define CZ_API_PATCH_H

/*
 * The three PATCH formats of the API server, on jansson values.
 *
 * Each function takes *doc (owned by the caller) and, on success, replaces
 * it with the patched document: the old value is released and *doc points
 * to a new reference the caller owns.  On failure *doc is left exactly as
 * it was, and err says why.  The patch itself is borrowed and not changed.
 */

#include <jansson.h>

#include "api/resource.h"
#include "util/error.h"

/* The most operations a JSON patch may hold, as kube-apiserver allows. */
#define CZ_JSON_PATCH_MAX_OPS 10000
/* The most values all "copy" operations of one JSON patch may duplicate,
 * so that a short patch cannot grow a document exponentially. */
#define CZ_JSON_PATCH_MAX_COPIED 1000000

/*
 * JSON merge patch (RFC 7386, application/merge-patch+json): members of an
 * object patch merge recursively, a null member deletes, and any other
 * patch (array, scalar) replaces the target.
 * Fails with CZ_ETOOLARGE when the patch is nested too deeply.
 */
int cz_merge_patch(json_t **doc, const json_t *patch, cz_error *err);

/*
 * JSON patch (RFC 6902, application/json-patch+json): ops is an array of
 * operations add, remove, replace, move, copy and test, with JSON pointer
 * paths (RFC 6901: "~1" is "/", "~0" is "~", "-" appends to an array).
 * All or nothing: on any failure the document is unchanged.
 *
 * Errors name the operation, e.g. "op 2 (replace /spec/x): path not found".
 * A malformed or inapplicable operation, including a failed "test", is
 * CZ_EINVALID: kube-apiserver answers every failure to apply a JSON patch,
 * a failed test included, with 422 Unprocessable Entity.  More than
 * CZ_JSON_PATCH_MAX_OPS operations, or a result nested deeper than the
 * decoder accepts, or copies past CZ_JSON_PATCH_MAX_COPIED values, is
 * CZ_ETOOLARGE (kube: 413 for the operation count).
 */
int cz_json_patch(json_t **doc, const json_t *ops, cz_error *err);

/*
 * Strategic merge patch (application/strategic-merge-patch+json) as
 * kube-apiserver applies it to the built-in kinds.  doc and patch must be
 * objects.  keys (ending with a NULL path; may be NULL) names the lists
 * that merge by a key; metadata.finalizers merges as a set of scalars; all
 * other lists are replaced.
 *
 *  - Objects merge recursively; a null member deletes.
 *  - "$patch": "replace" in an object replaces it with the rest of the
 *    patch object; "$patch": "delete" empties it (kube returns an empty
 *    object, not an absent one).
 *  - In a keyed list, patch items merge into the live item with the same
 *    key or are appended; an item {"$patch": "delete", <key>: v} removes
 *    every live item with that key; an item {"$patch": "replace"} makes the
 *    list exactly the other patch items.
 *  - Set lists are the union of live and patch items, deduplicated the way
 *    kube does it (a duplicate is overwritten by the last item).
 *  - "$deleteFromPrimitiveList/<field>": [values] removes those values from
 *    the scalar list <field>; like kube, the remaining items come back
 *    deduplicated and sorted by their text.  (kube, on a list that is not a
 *    merge list, would instead replace the list with the values to delete;
 *    here they are always deleted.)
 *  - "$setElementOrder/<field>": [items] orders a keyed or set list: the
 *    patched items in the given order, merged with the items only the live
 *    list has at their relative live positions, as kube does.  It is
 *    ignored on lists that are replaced.
 *  - "$retainKeys": [names] drops the live members not named (after
 *    checking that every non-null patch member is named).
 * Values new to the document are taken from the patch without directives
 * and without null members, as kube does with IgnoreUnmatchedNulls.
 * Errors are CZ_EINVALID, with kube's wording where it has one.
 */
int cz_strategic_merge_patch(json_t **doc, const json_t *patch,
			     const cz_merge_key *keys, cz_error *err);

#endif
