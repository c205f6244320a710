#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/apply.h"
#include "api/patch.h"
#include "util/mem.h"

/*
 * update (PUT), patch (merge, JSON, strategic merge, server-side apply) and
 * the status subresource.  Every write goes through cz_write_update so that
 * the rules on server-owned metadata hold whatever the verb.
 */

#define PATCH_RETRIES 5

static const char *const server_owned[] = {
	"uid", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "generation", NULL,
};

/* Copies server-owned metadata from cur; keeps cur's managedFields when the
 * client sent none. */
static void carry_metadata(const json_t *cur, json_t *next)
{
	json_t *from = json_object_get(cur, "metadata");
	json_t *to = cz_meta(next);

	for (const char *const *f = server_owned; *f; f++) {
		json_t *v = json_object_get(from, *f);

		if (v)
			json_object_set(to, *f, v);
		else
			json_object_del(to, *f);
	}
	if (!json_object_get(to, "managedFields") &&
	    json_object_get(from, "managedFields"))
		json_object_set(to, "managedFields",
				json_object_get(from, "managedFields"));
	if (json_object_get(from, "namespace"))
		json_object_set(to, "namespace",
				json_object_get(from, "namespace"));
}

static bool listed(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

/* Whether a and b, two objects, have equal members apart from those named
 * in skip (NULL-terminated): compared in place, without copies, since
 * every write asks. */
static bool equal_except(const json_t *a, const json_t *b,
			 const char *const *skip)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)a, key, v) {
		if (!listed(skip, key) &&
		    !json_equal(v, json_object_get(b, key)))
			return false;
	}
	json_object_foreach ((json_t *)b, key, v) {
		if (!listed(skip, key) && !json_object_get(a, key))
			return false;
	}
	return true;
}

/* Everything but metadata and status: a change here is a new generation. */
static bool spec_changed(const json_t *a, const json_t *b)
{
	static const char *const outside_spec[] = { "metadata", "status",
						    NULL };

	return !equal_except(a, b, outside_spec);
}

/* A write that changes nothing but the bookkeeping is a no-op. */
static bool same_ignoring_managed(const json_t *a, const json_t *b)
{
	static const char *const top[] = { "metadata", NULL };
	static const char *const bookkeeping[] = { "managedFields",
						   "resourceVersion", NULL };
	json_t *ma = json_object_get(a, "metadata");
	json_t *mb = json_object_get(b, "metadata");

	if (!equal_except(a, b, top))
		return false;
	if (!json_is_object(ma) || !json_is_object(mb))
		return json_equal(ma, mb);
	return equal_except(ma, mb, bookkeeping);
}

static bool adds_finalizer(const json_t *cur, const json_t *next)
{
	json_t *old = json_object_get(json_object_get(cur, "metadata"),
				      "finalizers");
	json_t *now = json_object_get(json_object_get(next, "metadata"),
				      "finalizers");
	size_t i;
	json_t *v;

	json_array_foreach (now, i, v)
		if (!json_is_string(v) ||
		    cz_string_index(old, json_string_value(v)) < 0)
			return true;
	return false;
}

bool cz_deletion_finished(const cz_resource *r, const json_t *obj)
{
	if (!cz_meta_str(obj, "deletionTimestamp"))
		return false;
	if (json_array_size(json_object_get(json_object_get(obj, "metadata"),
					    "finalizers")))
		return false;
	return strcmp(r->resource, "namespaces") != 0 ||
	       !json_array_size(json_object_get(json_object_get(obj, "spec"),
						"finalizers"));
}

/* Shapes next from the request into the object to store. */
static json_t *prepare(const cz_resource *r, const json_t *cur, json_t *next,
		       bool status_only)
{
	json_t *out;

	if (status_only) {
		out = json_deep_copy(cur);
		if (json_object_get(next, "status"))
			json_object_set(out, "status",
					json_object_get(next, "status"));
		else
			json_object_del(out, "status");
		return out;
	}
	out = json_incref(next);
	if (r->has_status) {
		if (json_object_get(cur, "status"))
			json_object_set(out, "status",
					json_object_get(cur, "status"));
		else
			json_object_del(out, "status");
	}
	carry_metadata(cur, out);
	if (cz_tracks_generation(r) && spec_changed(cur, out))
		json_object_set_new(
			cz_meta(out), "generation",
			json_integer(json_integer_value(json_object_get(
					     json_object_get(cur, "metadata"),
					     "generation")) +
				     1));
	return out;
}

static int finish_deletion(cz_req *req, const char *key, json_t **out)
{
	cz_blob *done = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_store_delete(req->srv->store, key, 0, &done, &err);

	if (rc == CZ_OK) {
		json_decref(*out);
		*out = cz_blob_json(done);
	}
	cz_blob_unref(done);
	return rc == CZ_ENOTFOUND ? CZ_OK : rc;
}

int cz_write_update(cz_req *req, const json_t *cur, json_t *next,
		    const cz_update_opts *opts, json_t **out)
{
	const cz_resource *r = req->target.res;
	json_t *obj = prepare(r, cur, next, opts->status_only);
	char *key = cz_object_key(r, req->target.ns, req->target.name);
	cz_error err = CZ_ERROR_INIT;
	int rc;

	*out = NULL;
	if (cz_meta_str(cur, "deletionTimestamp") && adds_finalizer(cur, obj)) {
		rc = cz_refuse(req, 422, "Invalid",
			       "metadata.finalizers: Forbidden: no new "
			       "finalizers can be added if the object is being "
			       "deleted");
		goto cleanup;
	}
	cz_secret_normalize(r, obj);
	rc = cz_validate_request(req, obj);
	if (rc != CZ_OK)
		goto cleanup;
	/* A stale version conflicts even when the write would change
	 * nothing, as in kube-apiserver: compare-and-swap must not pass on a
	 * version the writer never saw. */
	if (opts->expect_rv && opts->expect_rv != cz_meta_rv(cur)) {
		rc = CZ_ECONFLICT;
		goto cleanup;
	}
	if (same_ignoring_managed(cur, obj)) {
		/* kube-apiserver skips no-op writes: same version, no event. */
		*out = json_deep_copy(cur);
		goto cleanup;
	}
	if (!opts->fields_managed)
		cz_record_managed_fields(req, obj, cur, opts->manager);
	if (opts->dry_run) {
		*out = json_incref(obj);
		goto cleanup;
	}
	rc = cz_store_update(req->srv->store, key, obj, opts->expect_rv, NULL,
			     &err);
	if (rc == CZ_OK) {
		*out = json_incref(obj);
		if (cz_deletion_finished(r, obj))
			rc = finish_deletion(req, key, out);
	}
	if (rc == CZ_ECONFLICT)
		goto cleanup; /* the caller retries or answers */
	if (rc != CZ_OK)
		rc = cz_reply_error(req, rc, err.msg);
cleanup:
	json_decref(obj);
	free(key);
	return rc;
}

static bool is_status(const cz_req *req)
{
	return req->target.sub && strcmp(req->target.sub, "status") == 0;
}

static int reply_conflict(cz_req *req)
{
	return cz_reply_error(req, CZ_ECONFLICT, NULL);
}

/* The stored object at the target, parsed. */
static int load_current(cz_req *req, json_t **cur, cz_error *err)
{
	char *key = cz_object_key(req->target.res, req->target.ns,
				  req->target.name);
	cz_blob *blob = NULL;
	int rc = cz_store_get(req->srv->store, key, &blob, err);

	*cur = NULL;
	if (rc == CZ_OK) {
		*cur = cz_blob_json(blob);
		if (!*cur)
			rc = cz_fail(err, CZ_ERR, "stored object is corrupt");
	}
	cz_blob_unref(blob);
	free(key);
	return rc;
}

int cz_handle_update(cz_req *req)
{
	json_t *next = NULL;
	json_t *cur = NULL;
	json_t *out = NULL;
	char manager[128];
	cz_update_opts opts = { 0 };
	cz_error err = CZ_ERROR_INIT;
	const char *name;
	int rc = cz_decode_body(req, &next);

	if (rc == CZ_OK)
		rc = cz_check_type(req, next);
	if (rc != CZ_OK)
		goto cleanup;
	name = cz_meta_str(next, "name");
	if (!name || strcmp(name, req->target.name) != 0) {
		rc = cz_reply_status(req, 400, "BadRequest", NULL,
				     "the name of the object (%.100s) does not "
				     "match the name on the URL (%s)",
				     name ? name : "", req->target.name);
		goto cleanup;
	}
	rc = load_current(req, &cur, &err);
	if (rc != CZ_OK) {
		rc = cz_reply_error(req, rc, err.msg);
		goto cleanup;
	}
	opts.status_only = is_status(req);
	opts.dry_run = cz_req_query(req, "dryRun") != NULL;
	opts.manager = cz_field_manager(req, manager, sizeof(manager));
	opts.expect_rv = cz_meta_rv(next);
	if (!opts.expect_rv && !req->target.res->strategic_merge) {
		rc = cz_reply_status(req, 422, "Invalid", NULL,
				     "%s.%s \"%s\" is invalid: "
				     "metadata.resourceVersion: Invalid value: "
				     "0: must be specified for an update",
				     req->target.res->resource,
				     req->target.res->group, req->target.name);
		goto cleanup;
	}
	rc = cz_write_update(req, cur, next, &opts, &out);
	if (rc == CZ_ECONFLICT)
		rc = reply_conflict(req);
	else if (rc == CZ_OK)
		rc = cz_reply_json_new(req, 200, out);
cleanup:
	json_decref(next);
	json_decref(cur);
	return rc;
}

typedef enum patch_type {
	PATCH_MERGE,
	PATCH_JSON,
	PATCH_STRATEGIC,
	PATCH_APPLY,
	PATCH_UNKNOWN,
} patch_type;

static patch_type patch_type_of(cz_req *req)
{
	const char *ct = cz_req_header(req, "Content-Type");

	if (!ct)
		return PATCH_UNKNOWN;
	if (strncasecmp(ct, "application/merge-patch+json", 28) == 0)
		return PATCH_MERGE;
	if (strncasecmp(ct, "application/json-patch+json", 27) == 0)
		return PATCH_JSON;
	if (strncasecmp(ct, "application/strategic-merge-patch+json", 38) ==
	    0)
		return PATCH_STRATEGIC;
	if (strncasecmp(ct, "application/apply-patch+yaml", 28) == 0)
		return PATCH_APPLY;
	return PATCH_UNKNOWN;
}

static int apply_patch(cz_req *req, patch_type type, const json_t *patch,
		       json_t **doc, cz_error *err)
{
	switch (type) {
	case PATCH_MERGE: return cz_merge_patch(doc, patch, err);
	case PATCH_JSON: return cz_json_patch(doc, patch, err);
	default:
		return cz_strategic_merge_patch(doc, patch,
						req->target.res->merge_keys,
						err);
	}
}

/* The patch body: JSON patch is an array, the others an object. */
static int decode_patch(cz_req *req, patch_type type, json_t **out)
{
	json_error_t jerr;

	if (type != PATCH_JSON)
		return cz_decode_body(req, out);
	*out = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!*out || !json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return cz_refuse(req, 400, "BadRequest",
				 "the JSON patch is not an array of "
				 "operations: %s",
				 jerr.text);
	}
	return CZ_OK;
}

static int reply_patch_error(cz_req *req, int rc, const cz_error *err)
{
	if (rc == CZ_EINVALID)
		return cz_reply_status(req, 422, "Invalid", NULL, "%s",
				       err->msg);
	return cz_reply_error(req, rc, err->msg);
}

static int patch_once(cz_req *req, patch_type type, const json_t *patch,
		      const char *manager, json_t **out)
{
	json_t *cur = NULL;
	json_t *doc = NULL;
	cz_update_opts opts = { 0 };
	cz_error err = CZ_ERROR_INIT;
	int rc = load_current(req, &cur, &err);

	if (rc != CZ_OK) {
		rc = cz_reply_error(req, rc, err.msg);
		goto cleanup;
	}
	doc = json_deep_copy(cur);
	rc = apply_patch(req, type, patch, &doc, &err);
	if (rc != CZ_OK) {
		rc = reply_patch_error(req, rc, &err);
		goto cleanup;
	}
	opts.status_only = is_status(req);
	opts.dry_run = cz_req_query(req, "dryRun") != NULL;
	opts.manager = manager;
	/* A resourceVersion in the patch is a precondition; otherwise the
	 * patch applies to whatever is current, retried on a lost race. */
	opts.expect_rv = cz_meta_rv(doc) ? cz_meta_rv(doc) : cz_meta_rv(cur);
	rc = cz_write_update(req, cur, doc, &opts, out);
	if (rc == CZ_ECONFLICT && cz_meta_rv(doc) != cz_meta_rv(cur))
		rc = reply_conflict(req);
	else if (rc == CZ_ECONFLICT)
		rc = CZ_EEXISTS; /* retry */
cleanup:
	json_decref(doc);
	json_decref(cur);
	return rc;
}

int cz_handle_patch(cz_req *req)
{
	patch_type type = patch_type_of(req);
	json_t *patch = NULL;
	json_t *out = NULL;
	char manager[128];
	int rc;

	if (type == PATCH_UNKNOWN)
		return cz_reply_status(req, 415, "UnsupportedMediaType", NULL,
				       "the body of the request was in an "
				       "unknown format - accepted media types "
				       "include: application/json-patch+json, "
				       "application/merge-patch+json, "
				       "application/apply-patch+yaml%s",
				       req->target.res->strategic_merge
					       ? ", application/strategic-"
						 "merge-patch+json"
					       : "");
	if (type == PATCH_STRATEGIC && !req->target.res->strategic_merge)
		return cz_reply_status(req, 415, "UnsupportedMediaType", NULL,
				       "strategic merge patch is not supported "
				       "for %s",
				       req->target.res->kind);
	rc = decode_patch(req, type, &patch);
	if (rc != CZ_OK)
		return rc;
	if (type == PATCH_APPLY)
		rc = cz_handle_apply(req, patch);
	else {
		const char *m = cz_field_manager(req, manager, sizeof(manager));

		rc = CZ_EEXISTS;
		for (int i = 0; i < PATCH_RETRIES && rc == CZ_EEXISTS; i++)
			rc = patch_once(req, type, patch, m, &out);
		if (rc == CZ_EEXISTS)
			rc = reply_conflict(req);
		else if (rc == CZ_OK)
			rc = cz_reply_json_new(req, 200, out);
	}
	json_decref(patch);
	return rc;
}
