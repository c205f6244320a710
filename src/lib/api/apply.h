#ifndef CZ_API_APPLY_H
#define CZ_API_APPLY_H

/*
 * Server-side apply and metadata.managedFields, as kube-apiserver keeps
 * them (structured-merge-diff semantics on the subset of schema cozypkgd
 * knows: maps are granular, lists named by the resource's merge keys are
 * keyed maps, metadata.finalizers is a set, every other list is atomic).
 *
 * Field sets use the FieldsV1 format: {"f:spec":{"f:x":{}}}, keyed list
 * items as "k:{\"type\":\"Ready\"}", set items as "v:\"a\"", and "." for a
 * node that is itself owned when it also has owned children.
 *
 * Never owned by anybody: apiVersion, kind, metadata itself and its
 * name, namespace, uid, resourceVersion, generation, creationTimestamp,
 * selfLink, deletionTimestamp, deletionGracePeriodSeconds and
 * managedFields.  Writes to the main resource never own status; writes to
 * the status subresource own only status.
 *
 * Managed-field entries are identified as kube does: an "Apply" entry by
 * manager and subresource, an "Update" entry by manager, apiVersion and
 * subresource.  Entries whose set becomes empty are dropped, and entries
 * are kept sorted as kube sorts them (operation, time, manager,
 * apiVersion, subresource).  kube's cap of ten Update entries (older ones
 * folded into "ancient-changes") is not applied.
 */

#include <stdbool.h>

#include <jansson.h>

#include "api/resource.h"
#include "util/error.h"

/*
 * Applies the configuration `applied` (an object: what kubectl apply
 * --server-side sends) for manager, to the main resource.
 *
 *  - *live is the stored object, or NULL when it does not exist yet.  On
 *    success it is replaced by the result (a new reference the caller
 *    owns; the old one is released), with metadata.managedFields updated.
 *  - Conflicts: fields of the applied configuration that another manager
 *    owns and whose live value the apply would change.  Without force the
 *    call fails with CZ_ECONFLICT, *live unchanged, and kube's message,
 *    e.g. `Apply failed with 1 conflict: conflict with
 *    "kubectl-client-side-apply" using cozystack.io/v1alpha1: .spec.variant`;
 *    *conflicts_out (optional) then receives a new array of
 *    {"manager", "field", "message"} objects ("message" is kube's
 *    StatusCause message, "conflict with ...").  With force the fields move
 *    to manager.
 *  - Fields manager applied before but no longer applies are removed from
 *    the object unless another manager owns them too.
 *  - The applied values are then merged in (maps recursively, keyed lists
 *    by key, sets as unions, other lists replaced; nulls are skipped) and
 *    manager's Apply entry is replaced (apiVersion, time now when the
 *    object changed or the entry is new, fieldsType "FieldsV1").
 *  - status in `applied` is ignored, and so are server-set metadata (uid,
 *    resourceVersion, generation, creationTimestamp, managedFields).
 * keys ends with a NULL path (may be NULL).  CZ_EINVALID when applied is
 * not an object.
 */
int cz_apply(json_t **live, const json_t *applied, const char *manager,
	     bool force, const char *api_version, const char *now_rfc3339,
	     const cz_merge_key *keys, json_t **conflicts_out, cz_error *err);

/* cz_apply for the status subresource: only status is merged and owned;
 * the entry carries "subresource": "status". */
int cz_apply_status(json_t **live, const json_t *applied, const char *manager,
		    bool force, const char *api_version,
		    const char *now_rfc3339, const cz_merge_key *keys,
		    json_t **conflicts_out, cz_error *err);

/*
 * Records a create, update or patch made by manager, as kube-apiserver
 * does for non-apply writes: manager now owns every field whose value
 * changed between obj_old and obj_new (every field on create, when
 * obj_old is NULL), other managers lose those fields, every manager loses
 * the fields that were removed, and the fields are merged into manager's
 * entry for (operation, api_version, subresource), whose time becomes now.
 * When nothing changed the entries stay as they were.  Entries come from
 * obj_old (on create, from obj_new when it carries valid ones); the result
 * is written to obj_new's metadata.managedFields (removed when empty).
 * keys as for cz_apply.  subresource is NULL or "status".
 */
void cz_managed_fields_update(json_t *obj_new, const json_t *obj_old,
			      const char *manager, const char *operation,
			      const char *subresource, const char *api_version,
			      const char *now, const cz_merge_key *keys);

/* The field set of value in FieldsV1 format (every leaf, keyed list item
 * and set item; no stripping).  A new reference. */
json_t *cz_fields_of(const json_t *value, const cz_merge_key *keys);

#endif
