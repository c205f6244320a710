#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Deletion as kube-apiserver does it: preconditions, then either the object
 * goes at once, or (with finalizers, a Foreground or Orphan policy, or a
 * namespace) it gets a deletionTimestamp and stays until the garbage
 * collector or the finalizers' owners are done.
 */

#define DELETE_RETRIES 5

static int check_preconditions(const json_t *obj, const cz_delete_opts *opts,
			       cz_error *err)
{
	const char *uid = cz_meta_str(obj, "uid");
	const char *rv = cz_meta_str(obj, "resourceVersion");

	if (opts->uid && (!uid || strcmp(opts->uid, uid) != 0))
		return cz_fail(err, CZ_ECONFLICT,
			       "Precondition failed: UID in precondition: %s, "
			       "UID in object meta: %s",
			       opts->uid, uid ? uid : "");
	if (opts->rv && opts->rv != cz_meta_rv(obj))
		return cz_fail(err, CZ_ECONFLICT,
			       "Precondition failed: ResourceVersion in "
			       "precondition: %lld, ResourceVersion in object "
			       "meta: %s",
			       (long long)opts->rv, rv ? rv : "");
	return CZ_OK;
}

/* Adds the finalizer the propagation policy asks for; true when the object
 * now waits for finalizers. */
static bool apply_policy(const cz_resource *r, json_t *obj,
			 const char *policy)
{
	json_t *meta = cz_meta(obj);
	json_t *fin = json_object_get(meta, "finalizers");
	const char *wanted = NULL;

	if (policy && strcmp(policy, "Orphan") == 0)
		wanted = "orphan";
	else if (policy && strcmp(policy, "Foreground") == 0)
		wanted = "foregroundDeletion";
	if (wanted && !cz_meta_str(obj, "deletionTimestamp") &&
	    cz_string_index(fin, wanted) < 0) {
		if (!json_is_array(fin)) {
			fin = json_array();
			json_object_set_new(meta, "finalizers", fin);
		}
		json_array_append_new(fin, json_string(wanted));
	}
	if (strcmp(r->resource, "namespaces") == 0) {
		json_object_set_new(obj, "status",
				    json_pack("{s:s}", "phase", "Terminating"));
		if (json_array_size(json_object_get(
			    json_object_get(obj, "spec"), "finalizers")))
			return true;
	}
	return json_array_size(json_object_get(meta, "finalizers")) > 0;
}

static void mark_deleting(json_t *obj)
{
	json_t *meta = cz_meta(obj);
	char now[32];

	if (json_object_get(meta, "deletionTimestamp"))
		return;
	cz_now_rfc3339(now);
	json_object_set_new(meta, "deletionTimestamp", json_string(now));
	json_object_set_new(meta, "deletionGracePeriodSeconds",
			    json_integer(0));
}

/* One attempt; CZ_ECONFLICT from the store means "read again". */
static int delete_once(cz_server *srv, const cz_resource *r, const char *key,
		       const cz_delete_opts *opts, json_t **out, cz_error *err)
{
	cz_blob *blob = NULL;
	cz_blob *done = NULL;
	json_t *obj = NULL;
	int64_t rv;
	int rc = cz_store_get(srv->store, key, &blob, err);

	if (rc != CZ_OK)
		goto cleanup;
	obj = cz_blob_json(blob);
	rv = blob->rv;
	if (!obj) {
		rc = cz_fail(err, CZ_ERR, "stored object %s is corrupt", key);
		goto cleanup;
	}
	rc = check_preconditions(obj, opts, err);
	if (rc != CZ_OK)
		goto cleanup;
	if (apply_policy(r, obj, opts->propagation)) {
		mark_deleting(obj);
		if (!opts->dry_run)
			rc = cz_store_update(srv->store, key, obj, rv, NULL,
					     err);
	} else if (!opts->dry_run) {
		rc = cz_store_delete(srv->store, key, rv, &done, err);
		if (rc == CZ_OK) {
			json_decref(obj);
			obj = cz_blob_json(done);
		}
	}
	if (rc == CZ_OK)
		*out = json_incref(obj);
cleanup:
	cz_blob_unref(done);
	cz_blob_unref(blob);
	json_decref(obj);
	return rc;
}

int cz_delete_object(cz_server *srv, const cz_resource *r, const char *key,
		     const cz_delete_opts *opts, json_t **out, cz_error *err)
{
	int rc = CZ_ECONFLICT;

	*out = NULL;
	for (int i = 0; i < DELETE_RETRIES && rc == CZ_ECONFLICT; i++) {
		rc = delete_once(srv, r, key, opts, out, err);
		/* A failed precondition is final; a lost race is retried. */
		if (rc == CZ_ECONFLICT && strncmp(err->msg, "Precondition", 12) == 0)
			break;
	}
	return rc;
}
