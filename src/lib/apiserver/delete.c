#include "apiserver/internal.h"
#include "apiserver/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/meta.h"
#include "util/duration.h"
#include "util/mem.h"

/*
 * Deletion as kube-apiserver does it: preconditions, then either the object
 * goes at once, or (with finalizers, a Foreground or Orphan policy, or a
 * namespace) it gets a deletionTimestamp and stays until the garbage
 * collector or the finalizers' owners are done.
 */

#define DELETE_RETRIES 5

typedef struct delete_opts {
	const char *propagation; /* "Background", "Foreground", "Orphan" */
	const char *uid;         /* precondition, or NULL */
	int64_t rv;              /* precondition, or 0 */
	bool dry_run;
} delete_opts;

/* DeleteOptions from the body (kubectl sends them) and the query. */
static int read_options(cz_api_call *c, const json_t *body, delete_opts *o)
{
	const json_t *pre = json_object_get(body, "preconditions");
	const char *rv = json_string_value(
		json_object_get(pre, "resourceVersion"));
	const char *p;

	memset(o, 0, sizeof(*o));
	o->propagation = cz_api_query(c, "propagationPolicy");
	o->dry_run = cz_api_query(c, "dryRun") != NULL;
	if (body && !json_is_object(body))
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "DeleteOptions: expected an object");
	if (json_string_value(json_object_get(body, "propagationPolicy")))
		o->propagation = json_string_value(
			json_object_get(body, "propagationPolicy"));
	if (json_array_size(json_object_get(body, "dryRun")))
		o->dry_run = true;
	o->uid = json_string_value(json_object_get(pre, "uid"));
	if (rv)
		o->rv = strtoll(rv, NULL, 10);
	p = o->propagation;
	if (p && strcmp(p, "Background") != 0 &&
	    strcmp(p, "Foreground") != 0 && strcmp(p, "Orphan") != 0)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "propagationPolicy: Unsupported value: "
				   "\"%.100s\"",
				   p);
	return CZ_OK;
}

static int check_preconditions(const json_t *obj, const delete_opts *opts,
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

/* One attempt at key; CZ_EAGAIN when the object moved under it.  The
 * answer is the object as marked or as deleted. */
static int delete_once(cz_api_call *c, const char *key,
		       const delete_opts *opts, json_t **out, cz_error *err)
{
	cz_blob *blob = NULL;
	cz_blob *done = NULL;
	json_t *obj = NULL;
	json_t *cur = NULL;
	const cz_storage *storage = cz_storage_of(c->res);
	int rc = storage->get(c, key, &blob, err);

	if (rc != CZ_OK)
		goto cleanup;
	cur = cz_blob_json(blob);
	obj = cur ? json_deep_copy(cur) : NULL;
	if (!obj) {
		rc = cz_fail(err, CZ_ERR, "stored object %s is corrupt", key);
		goto cleanup;
	}
	rc = check_preconditions(obj, opts, err);
	if (rc != CZ_OK)
		goto cleanup;
	if (apply_policy(c->res, obj, opts->propagation)) {
		mark_deleting(obj);
		if (!opts->dry_run)
			rc = storage->update(c, key, cur, obj, blob->rv, NULL,
					     err);
	} else if (!opts->dry_run) {
		rc = storage->remove(c, key, cur, blob->rv, &done, err);
		if (rc == CZ_OK) {
			json_decref(obj);
			obj = cz_blob_json(done);
		}
	}
	if (rc == CZ_ECONFLICT && !c->status)
		rc = CZ_EAGAIN; /* preconditions held: the store moved */
	if (rc == CZ_OK)
		*out = json_incref(obj);
cleanup:
	cz_blob_unref(done);
	cz_blob_unref(blob);
	json_decref(obj);
	json_decref(cur);
	return rc;
}

static int delete_key(cz_api_call *c, const char *key, const delete_opts *o,
		      json_t **out, cz_error *err)
{
	int rc = CZ_EAGAIN;

	*out = NULL;
	for (int i = 0; i < DELETE_RETRIES && rc == CZ_EAGAIN; i++)
		rc = delete_once(c, key, o, out, err);
	if (rc == CZ_EAGAIN)
		rc = cz_fail(err, CZ_ECONFLICT, "%s",
			     "the object has been modified; please apply your "
			     "changes to the latest version and try again");
	return rc;
}

int cz_api_delete(cz_api_call *c, const json_t *options)
{
	delete_opts o;
	char *key = NULL;
	json_t *out = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc = read_options(c, options, &o);

	if (rc != CZ_OK)
		return rc;
	key = cz_object_key(c->res, c->ns, c->name);
	rc = delete_key(c, key, &o, &out, &err);
	free(key);
	if (rc != CZ_OK)
		return cz_api_storage_error(c, rc, &err);
	c->code = 200;
	c->object = out;
	return CZ_OK;
}

int cz_api_delete_collection(cz_api_call *c, const json_t *options)
{
	char *prefix = cz_list_prefix(c->res, c->ns);
	delete_opts o;
	json_t *items = json_array();
	cz_filters *filters = NULL;
	cz_blob **all = NULL;
	size_t n = 0;
	int64_t rv = 0;
	cz_error err = CZ_ERROR_INIT;
	int rc = read_options(c, options, &o);

	if (rc == CZ_OK)
		rc = cz_filters_parse(c, &filters);
	if (rc != CZ_OK)
		goto cleanup;
	rc = cz_storage_of(c->res)->list(c->store, prefix, NULL, &all, &n, &rv,
					 &err);
	if (rc != CZ_OK) {
		rc = cz_api_storage_error(c, rc, &err);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *obj = cz_blob_json(all[i]);
		json_t *out = NULL;
		cz_error one = CZ_ERROR_INIT;

		/* Objects that went meanwhile, or whose delete lost every
		 * race, are left out of the answer, as upstream. */
		if (obj && cz_filters_match(filters, obj) &&
		    delete_key(c, all[i]->key, &o, &out, &one) == CZ_OK)
			json_array_append_new(items, out);
		cz_api_answer_reset(c); /* a storage's refusal of one */
		json_decref(obj);
	}
	c->code = 200;
	c->object = json_pack("{s:s, s:s, s:{}, s:O}", "kind",
			      c->res->list_kind, "apiVersion",
			      c->res->group_version, "metadata", "items",
			      items);
cleanup:
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(all[i]);
	free(all);
	cz_filters_free(filters);
	json_decref(items);
	free(prefix);
	return rc;
}

