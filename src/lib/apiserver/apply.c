#include "apiserver/internal.h"
#include "apiserver/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/apply.h"
#include "object/meta.h"
#include "util/duration.h"

/* Server-side apply: the applied configuration merged into the live
 * object with field ownership, creating the object when it is missing. */

#define APPLY_RETRIES 5

static const char *text_of(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v ? v : "";
}

/* 409 with one FieldManagerConflict cause per contested field. */
static int fail_conflict(cz_api_call *c, const json_t *conflicts,
			 const char *message)
{
	json_t *causes = json_array();
	json_t *details = NULL;
	size_t i;
	json_t *conflict;
	int rc;

	json_array_foreach (conflicts, i, conflict) {
		json_array_append_new(
			causes, json_pack("{s:s, s:s++, s:s}", "reason",
					  "FieldManagerConflict", "message",
					  "conflict with \"",
					  text_of(conflict, "manager"), "\"",
					  "field", text_of(conflict, "field")));
	}
	details = json_pack("{s:s, s:s, s:o}", "name", c->name ? c->name : "",
			    "kind", c->res->resource, "causes", causes);
	if (c->res->group[0])
		json_object_set_new(details, "group",
				    json_string(c->res->group));
	rc = cz_api_fail(c, CZ_ECONFLICT, 409, "Conflict", details, "%s",
			 message);
	json_decref(details);
	return rc;
}

/* One attempt; CZ_EAGAIN when another writer won the race. */
static int apply_once(cz_api_call *c, const json_t *patch, const char *manager,
		      bool force)
{
	char *key = cz_object_key(c->res, c->ns, c->name);
	cz_blob *blob = NULL;
	json_t *cur = NULL;
	json_t *live = NULL;
	json_t *conflicts = NULL;
	cz_update_opts opts = { 0 };
	cz_error err = CZ_ERROR_INIT;
	char now[32];
	int rc = cz_storage_of(c->res)->get(c, key, &blob, &err);

	cz_now_rfc3339(now);
	if (rc != CZ_OK && rc != CZ_ENOTFOUND) {
		rc = cz_api_storage_error(c, rc, &err);
		goto cleanup;
	}
	cur = blob ? cz_blob_json(blob) : NULL;
	live = cur ? json_deep_copy(cur) : NULL;
	rc = (c->sub ? cz_apply_status : cz_apply)(
		&live, patch, manager, force, c->res->group_version, now,
		c->res->merge_keys, &conflicts, &err);
	if (rc == CZ_ECONFLICT) {
		rc = fail_conflict(c, conflicts, err.msg);
		goto cleanup;
	}
	if (rc != CZ_OK) {
		rc = cz_api_fail(c, CZ_EINVALID, 422, "Invalid", NULL, "%s",
				 err.msg);
		goto cleanup;
	}
	if (!cur) {
		/* Apply to a missing object creates it; when another writer
		 * created it first, the next attempt applies to theirs. */
		rc = cz_api_create_managed(c, live, manager, true);
		if (rc == CZ_EEXISTS)
			rc = CZ_EAGAIN;
		goto cleanup;
	}
	opts.fields_managed = true;
	opts.manager = manager;
	opts.expect_rv = blob->rv;
	opts.status_only = c->sub != NULL;
	rc = cz_api_write_update(c, cur, live, &opts);
	if (rc == CZ_ECONFLICT)
		rc = CZ_EAGAIN;
cleanup:
	json_decref(conflicts);
	json_decref(live);
	json_decref(cur);
	cz_blob_unref(blob);
	free(key);
	return rc;
}

int cz_api_apply(cz_api_call *c, const json_t *patch)
{
	const char *manager = cz_api_query(c, "fieldManager");
	bool force = cz_api_query_true(c, "force");
	int rc;

	if (!manager || !*manager)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "PATCH, application/apply-patch+yaml: "
				   "fieldManager is required for apply "
				   "requests");
	rc = cz_api_check_type(c, patch);
	if (rc != CZ_OK)
		return rc;
	rc = CZ_EAGAIN;
	for (int i = 0; i < APPLY_RETRIES && rc == CZ_EAGAIN; i++)
		rc = apply_once(c, patch, manager, force);
	if (rc == CZ_EAGAIN)
		rc = cz_api_error(c, CZ_ECONFLICT, NULL);
	return rc;
}
