#include "apiserver/internal.h"
#include "apiserver/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/patch.h"
#include "object/meta.h"
#include "util/mem.h"

/*
 * update (PUT), patch (merge, JSON, strategic merge) and the status
 * subresource.  Every write goes through cz_api_write_update so that the
 * rules on server-owned metadata hold whatever the verb.
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

/* The last finalizer went: the object goes, and the answer is the
 * deleted object. */
static int finish_deletion(cz_api_call *c, const char *key,
			   const json_t *cur)
{
	cz_blob *done = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_storage_of(c->res)->remove(c, key, cur, 0, &done, &err);

	if (rc == CZ_OK) {
		json_decref(c->object);
		cz_blob_unref(c->blob);
		c->object = NULL;
		c->blob = done;
		return CZ_OK;
	}
	cz_blob_unref(done);
	return rc == CZ_ENOTFOUND ? CZ_OK : cz_api_storage_error(c, rc, &err);
}

int cz_api_write_update(cz_api_call *c, const json_t *cur, json_t *next,
			const cz_update_opts *opts)
{
	json_t *obj = prepare(c->res, cur, next, opts->status_only);
	char *key = cz_object_key(c->res, c->ns, c->name);
	cz_error err = CZ_ERROR_INIT;
	int rc = CZ_OK;

	c->code = 200;
	if (cz_meta_str(cur, "deletionTimestamp") && adds_finalizer(cur, obj)) {
		rc = cz_api_fail(c, CZ_EINVALID, 422, "Invalid", NULL,
				 "metadata.finalizers: Forbidden: no new "
				 "finalizers can be added if the object is "
				 "being deleted");
		goto cleanup;
	}
	cz_api_secret_normalize(c->res, obj);
	rc = cz_api_validate_object(c, obj);
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
		c->object = json_deep_copy(cur);
		goto cleanup;
	}
	if (!opts->fields_managed)
		cz_api_record_managed_fields(c, obj, cur, opts->manager);
	if (cz_api_query(c, "dryRun")) {
		c->object = json_incref(obj);
		goto cleanup;
	}
	rc = cz_storage_of(c->res)->update(c, key, cur, obj, opts->expect_rv,
					   &c->blob, &err);
	if (rc == CZ_OK) {
		c->object = json_incref(obj);
		if (cz_deletion_finished(c->res, obj))
			rc = finish_deletion(c, key, obj);
	} else if (rc != CZ_ECONFLICT || c->status) {
		rc = cz_api_storage_error(c, rc, &err);
	}
cleanup:
	json_decref(obj);
	free(key);
	return rc;
}

static bool is_status(const cz_api_call *c)
{
	return c->sub && strcmp(c->sub, "status") == 0;
}

int cz_api_load_current(cz_api_call *c, json_t **cur, int64_t *rv)
{
	char *key = cz_object_key(c->res, c->ns, c->name);
	cz_blob *blob = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_storage_of(c->res)->get(c, key, &blob, &err);

	*cur = NULL;
	if (rc == CZ_OK) {
		*cur = cz_blob_json(blob);
		if (rv)
			*rv = blob->rv;
		if (!*cur)
			rc = cz_fail(&err, CZ_ERR, "stored object is corrupt");
	}
	cz_blob_unref(blob);
	free(key);
	return rc == CZ_OK ? CZ_OK : cz_api_error(c, rc, err.msg);
}

int cz_api_update(cz_api_call *c, json_t *next)
{
	json_t *cur = NULL;
	char manager[128];
	cz_update_opts opts = { 0 };
	const char *name;
	int rc = cz_api_check_type(c, next);

	if (rc != CZ_OK)
		goto cleanup;
	name = cz_meta_str(next, "name");
	if (!name || !c->name || strcmp(name, c->name) != 0) {
		rc = cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				 "the name of the object (%.100s) does not "
				 "match the name on the URL (%s)",
				 name ? name : "", c->name ? c->name : "");
		goto cleanup;
	}
	rc = cz_api_load_current(c, &cur, NULL);
	if (rc != CZ_OK)
		goto cleanup;
	opts.status_only = is_status(c);
	opts.manager = cz_api_field_manager(c, manager, sizeof(manager));
	opts.expect_rv = cz_meta_rv(next);
	if (!opts.expect_rv && !c->res->strategic_merge) {
		rc = cz_api_fail(c, CZ_EINVALID, 422, "Invalid", NULL,
				 "%s.%s \"%s\" is invalid: "
				 "metadata.resourceVersion: Invalid value: "
				 "0: must be specified for an update",
				 c->res->resource, c->res->group, c->name);
		goto cleanup;
	}
	rc = cz_api_write_update(c, cur, next, &opts);
	if (rc == CZ_ECONFLICT)
		rc = cz_api_error(c, CZ_ECONFLICT, NULL);
cleanup:
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

static patch_type patch_type_of(const char *ct)
{
	static const struct {
		const char *media;
		patch_type type;
	} types[] = {
		{ "application/merge-patch+json", PATCH_MERGE },
		{ "application/json-patch+json", PATCH_JSON },
		{ "application/strategic-merge-patch+json", PATCH_STRATEGIC },
		{ "application/apply-patch+yaml", PATCH_APPLY },
	};

	for (size_t i = 0; ct && i < sizeof(types) / sizeof(types[0]); i++)
		if (strncasecmp(ct, types[i].media, strlen(types[i].media)) ==
		    0)
			return types[i].type;
	return PATCH_UNKNOWN;
}

static int apply_patch(cz_api_call *c, patch_type type, const json_t *patch,
		       json_t **doc, cz_error *err)
{
	switch (type) {
	case PATCH_MERGE: return cz_merge_patch(doc, patch, err);
	case PATCH_JSON: return cz_json_patch(doc, patch, err);
	default:
		return cz_strategic_merge_patch(doc, patch, c->res->merge_keys,
						err);
	}
}

/* One attempt; CZ_EAGAIN when another writer won the race. */
static int patch_once(cz_api_call *c, patch_type type, const json_t *patch,
		      const char *manager)
{
	json_t *cur = NULL;
	json_t *doc = NULL;
	cz_update_opts opts = { 0 };
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_api_load_current(c, &cur, NULL);

	if (rc != CZ_OK)
		goto cleanup;
	doc = json_deep_copy(cur);
	rc = apply_patch(c, type, patch, &doc, &err);
	if (rc != CZ_OK) {
		rc = rc == CZ_EINVALID
			     ? cz_api_fail(c, rc, 422, "Invalid", NULL, "%s",
					   err.msg)
			     : cz_api_error(c, rc, err.msg);
		goto cleanup;
	}
	opts.status_only = is_status(c);
	opts.manager = manager;
	/* A resourceVersion in the patch is a precondition; otherwise the
	 * patch applies to whatever is current, retried on a lost race. */
	opts.expect_rv = cz_meta_rv(doc) ? cz_meta_rv(doc) : cz_meta_rv(cur);
	rc = cz_api_write_update(c, cur, doc, &opts);
	if (rc == CZ_ECONFLICT && cz_meta_rv(doc) != cz_meta_rv(cur))
		rc = cz_api_error(c, CZ_ECONFLICT, NULL);
	else if (rc == CZ_ECONFLICT)
		rc = CZ_EAGAIN;
cleanup:
	json_decref(doc);
	json_decref(cur);
	return rc;
}

static int unsupported_patch(cz_api_call *c, patch_type type)
{
	if (type == PATCH_STRATEGIC)
		return cz_api_fail(c, CZ_EINVALID, 415, "UnsupportedMediaType",
				   NULL,
				   "strategic merge patch is not supported "
				   "for %s",
				   c->res->kind);
	return cz_api_fail(c, CZ_EINVALID, 415, "UnsupportedMediaType", NULL,
			   "the body of the request was in an unknown format "
			   "- accepted media types include: "
			   "application/json-patch+json, "
			   "application/merge-patch+json, "
			   "application/apply-patch+yaml%s",
			   c->res->strategic_merge
				   ? ", application/strategic-merge-patch+json"
				   : "");
}

int cz_api_patch(cz_api_call *c, const char *content_type,
		 const json_t *patch)
{
	patch_type type = patch_type_of(content_type);
	char manager[128];
	const char *m;
	int rc = CZ_EAGAIN;

	if (type == PATCH_UNKNOWN ||
	    (type == PATCH_STRATEGIC && !c->res->strategic_merge))
		return unsupported_patch(c, type);
	if (type == PATCH_JSON ? !json_is_array(patch)
			       : !json_is_object(patch))
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   type == PATCH_JSON
					   ? "the JSON patch is not an array "
					     "of operations"
					   : "request body: expected an "
					     "object");
	if (type == PATCH_APPLY)
		return cz_api_apply(c, patch);
	m = cz_api_field_manager(c, manager, sizeof(manager));
	for (int i = 0; i < PATCH_RETRIES && rc == CZ_EAGAIN; i++)
		rc = patch_once(c, type, patch, m);
	if (rc == CZ_EAGAIN)
		rc = cz_api_error(c, CZ_ECONFLICT, NULL);
	return rc;
}

int cz_api_update_from(cz_api_call *c, const json_t *cur, json_t *next,
		       int64_t rv)
{
	/* The collector claims no fields: managedFields stay the owners'. */
	cz_update_opts opts = { .fields_managed = true, .expect_rv = rv };
	int rc = cz_api_write_update(c, cur, next, &opts);

	return rc == CZ_ECONFLICT ? cz_api_error(c, rc, NULL) : rc;
}
