#include "apiserver/internal.h"
#include "apiserver/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/apply.h"
#include "api/validate.h"
#include "apiserver/values.h"
#include "object/meta.h"
#include "object/project.h"
#include "util/duration.h"
#include "util/base64.h"
#include "util/mem.h"

/*
 * create and update, and the rules every write shares: validation with
 * the request's fieldValidation mode, Secret stringData, server-owned
 * metadata, generation, no-op skip, finalizers, managedFields.
 */

static void add_warning(cz_api_call *c, const char *text)
{
	if (!c->warnings)
		c->warnings = json_array();
	json_array_append_new(c->warnings, json_string(text));
}

int cz_api_validate_object(cz_api_call *c, json_t *obj)
{
	const char *mode_text = cz_api_query(c, "fieldValidation");
	cz_field_validation mode = CZ_FIELD_VALIDATION_WARN;
	cz_problems problems;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	if (mode_text && *mode_text &&
	    cz_field_validation_parse(mode_text, &mode, &err) != CZ_OK)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "%s", err.msg);
	cz_problems_init(&problems);
	rc = cz_api_validate(c->res, obj, mode, &problems, &err);
	for (size_t i = 0; i < problems.nwarnings; i++)
		add_warning(c, problems.warnings[i]);
	if (rc == CZ_EINVALID) {
		json_decref(c->status);
		c->status = cz_problems_status(&problems, c->res,
					       cz_meta_str(obj, "name"));
		c->code = (unsigned)json_integer_value(
			json_object_get(c->status, "code"));
	} else if (rc != CZ_OK) {
		rc = cz_api_error(c, rc, err.msg);
	} else if (c->values && !c->sub &&
		   strcmp(c->res->resource, "packages") == 0) {
		rc = cz_values_admit(c->values, c, obj);
	}
	cz_problems_release(&problems);
	return rc;
}

void cz_api_secret_normalize(const cz_resource *r, json_t *obj)
{
	json_t *string_data = json_object_get(obj, "stringData");
	json_t *data;
	const char *key;
	json_t *value;

	if (strcmp(r->resource, "secrets") != 0)
		return;
	if (!json_string_value(json_object_get(obj, "type")) ||
	    !*json_string_value(json_object_get(obj, "type")))
		json_object_set_new(obj, "type", json_string("Opaque"));
	if (!json_is_object(string_data))
		return;
	data = json_object_get(obj, "data");
	if (!json_is_object(data)) {
		data = json_object();
		json_object_set_new(obj, "data", data);
	}
	/* stringData is write-only: merged into data (base64), as upstream. */
	json_object_foreach (string_data, key, value) {
		const char *text = json_string_value(value);
		char *encoded;

		if (!text)
			continue;
		encoded = cz_base64_encode(text, strlen(text));
		json_object_set_new(data, key, json_string(encoded));
		free(encoded);
	}
	json_object_del(obj, "stringData");
}

void cz_api_record_managed_fields(const cz_api_call *c, json_t *obj,
				  const json_t *old, const char *manager)
{
	char now[32];

	cz_now_rfc3339(now);
	cz_managed_fields_update(obj, old, manager, "Update", c->sub,
				 c->res->group_version, now,
				 c->res->merge_keys);
}

/* ---- create ---- */

/* Fills name from generateName with five random characters from kube's
 * alphabet (no vowels, no look-alikes). */
static void generate_name(json_t *meta)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	const char *base = json_string_value(
		json_object_get(meta, "generateName"));
	char uid[37];
	char suffix[6];

	cz_new_uid(uid);
	for (int i = 0; i < 5; i++)
		suffix[i] = alphabet[(unsigned char)uid[i * 7] %
				     (sizeof(alphabet) - 1)];
	suffix[5] = '\0';
	json_object_set_new(meta, "name", json_sprintf("%s%s", base, suffix));
}

/* The namespace of a namespaced create must exist and not be going away. */
static int check_namespace(cz_api_call *c, const char *ns)
{
	/* All a create reads of its Namespace. */
	static const char *const paths[] = { "metadata.deletionTimestamp" };
	static cz_static_projection terminating = { paths, 1, NULL };
	const cz_resource *nsr = cz_resource_find("", "v1", "namespaces");
	char *key = cz_object_key(nsr, NULL, ns);
	cz_blob *blob = NULL;
	json_t *obj = NULL;
	int rc = cz_store_get(c->store, key, &blob, NULL);

	free(key);
	if (rc == CZ_ENOTFOUND)
		return cz_api_fail(c, CZ_ENOTFOUND, 404, "NotFound", NULL,
				   "namespaces \"%s\" not found", ns);
	if (rc != CZ_OK)
		return cz_api_error(c, rc, "namespace lookup failed");
	/* Cannot fail: the store wrote the text. */
	cz_json_project(blob->data, blob->len,
			cz_projection_static(&terminating), &obj, NULL);
	cz_blob_unref(blob);
	if (obj && cz_meta_str(obj, "deletionTimestamp"))
		rc = cz_api_fail(c, CZ_EDENIED, 403, "Forbidden", NULL,
				 "unable to create new content in namespace "
				 "%s because it is being terminated",
				 ns);
	json_decref(obj);
	return rc;
}

/* Namespace checks of a create: the body's namespace agrees with the
 * target's, and exists. */
static int place_object(cz_api_call *c, json_t *meta)
{
	const char *body_ns = json_string_value(
		json_object_get(meta, "namespace"));

	if (!c->res->namespaced) {
		json_object_del(meta, "namespace");
		return CZ_OK;
	}
	if (!c->ns)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "a namespaced object needs a namespace");
	if (body_ns && *body_ns && strcmp(body_ns, c->ns) != 0)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "the namespace of the provided object does "
				   "not match the namespace sent on the "
				   "request");
	json_object_set_new(meta, "namespace", json_string(c->ns));
	return check_namespace(c, c->ns);
}

/* Server-owned metadata of a new object; status is the server's to set
 * when the kind has a status subresource. */
static void init_metadata(const cz_resource *r, json_t *obj, json_t *meta)
{
	char uid[37];
	char now[32];

	cz_new_uid(uid);
	cz_now_rfc3339(now);
	json_object_set_new(meta, "uid", json_string(uid));
	json_object_set_new(meta, "creationTimestamp", json_string(now));
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	if (cz_tracks_generation(r))
		json_object_set_new(meta, "generation", json_integer(1));
	else
		json_object_del(meta, "generation");
	if (r->has_status)
		json_object_del(obj, "status");
	if (strcmp(r->resource, "namespaces") == 0) {
		json_object_set_new(obj, "spec",
				    json_pack("{s:[s]}", "finalizers",
					      "kubernetes"));
		json_object_set_new(obj, "status",
				    json_pack("{s:s}", "phase", "Active"));
	}
}

int cz_api_create_managed(cz_api_call *c, json_t *obj, const char *manager,
			  bool fields_managed)
{
	json_t *meta = cz_meta(obj);
	char *key = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	if (cz_meta_str(obj, "resourceVersion") &&
	    *cz_meta_str(obj, "resourceVersion"))
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "resourceVersion should not be set on "
				   "objects to be created");
	if (!cz_meta_str(obj, "name") && cz_meta_str(obj, "generateName"))
		generate_name(meta);
	rc = place_object(c, meta);
	if (rc != CZ_OK)
		return rc;
	init_metadata(c->res, obj, meta);
	cz_api_secret_normalize(c->res, obj);
	rc = cz_api_validate_object(c, obj);
	if (rc != CZ_OK)
		return rc;
	if (!fields_managed)
		cz_api_record_managed_fields(c, obj, NULL, manager);
	free(c->name);
	c->name = cz_xstrdup(cz_meta_str(obj, "name"));
	c->code = 201;
	if (cz_api_query(c, "dryRun")) {
		c->object = json_incref(obj);
		return CZ_OK;
	}
	key = cz_object_key(c->res, c->ns, c->name);
	rc = cz_storage_of(c->res)->create(c, key, obj, &c->blob, &err);
	free(key);
	if (rc != CZ_OK)
		return cz_api_storage_error(c, rc, &err);
	c->object = json_incref(obj);
	return CZ_OK;
}

int cz_api_create(cz_api_call *c, json_t *obj)
{
	char manager[128];
	int rc = cz_api_check_type(c, obj);

	if (rc != CZ_OK)
		return rc;
	return cz_api_create_managed(
		c, obj, cz_api_field_manager(c, manager, sizeof(manager)),
		false);
}

int cz_api_check_type(cz_api_call *c, const json_t *obj)
{
	const cz_resource *r = c->res;
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (!json_is_object(obj))
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "request body: expected an object");
	if (!kind || !*kind)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "Object 'Kind' is missing in the request "
				   "body");
	if (!api || !*api)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "Object 'apiVersion' is missing in the "
				   "request body");
	if (strcmp(api, r->group_version) != 0)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "the API version in the data (%.100s) does "
				   "not match the expected API version (%s)",
				   api, r->group_version);
	if (strcmp(kind, r->kind) != 0)
		return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
				   "the kind in the data (%.100s) does not "
				   "match the expected kind (%s)",
				   kind, r->kind);
	return CZ_OK;
}
