#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/apply.h"
#include "api/selector.h"
#include "api/validate.h"
#include "util/base64.h"
#include "util/mem.h"

/*
 * Where the request meets the library: validation with the request's
 * fieldValidation mode, list filters, Secret stringData, managed fields
 * and server-side apply.
 */

int cz_validate_request(cz_req *req, json_t *obj)
{
	const cz_resource *r = req->target.res;
	const char *mode_text = cz_req_query(req, "fieldValidation");
	cz_field_validation mode = CZ_FIELD_VALIDATION_WARN;
	cz_problems problems;
	json_t *status = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	if (mode_text && *mode_text &&
	    cz_field_validation_parse(mode_text, &mode, &err) != CZ_OK)
		return cz_refuse(req, 400, "BadRequest", "%s", err.msg);
	cz_problems_init(&problems);
	rc = cz_api_validate(r, obj, mode, &problems, &err);
	for (size_t i = 0; i < problems.nwarnings; i++)
		json_array_append_new(req->warnings,
				      json_string(problems.warnings[i]));
	if (rc == CZ_EINVALID) {
		status = cz_problems_status(&problems, r,
					    cz_meta_str(obj, "name"));
		rc = cz_reply_json(
			req,
			(unsigned)json_integer_value(
				json_object_get(status, "code")),
			status);
		rc = rc == CZ_OK ? CZ_EINVALID : rc;
	} else if (rc != CZ_OK) {
		rc = cz_reply_error(req, rc, err.msg);
		rc = rc == CZ_OK ? CZ_ERR : rc;
	}
	json_decref(status);
	cz_problems_release(&problems);
	return rc;
}

struct cz_filters {
	cz_label_selector labels;
	cz_field_selector fields;
	bool has_labels;
	bool has_fields;
};

/* Fields selectable beyond metadata.name and metadata.namespace, per kind,
 * as upstream registers them. */
static const char *const *extra_fields(const cz_resource *r)
{
	static const char *const secret[] = { "type", NULL };
	static const char *const ns[] = { "status.phase", NULL };

	if (strcmp(r->resource, "secrets") == 0)
		return secret;
	if (strcmp(r->resource, "namespaces") == 0)
		return ns;
	return NULL;
}

int cz_filters_parse(cz_req *req, cz_filters **out)
{
	const char *labels = cz_req_query(req, "labelSelector");
	const char *fields = cz_req_query(req, "fieldSelector");
	cz_filters *f = cz_xcalloc(1, sizeof(*f));
	cz_error err = CZ_ERROR_INIT;
	int rc = CZ_OK;

	*out = f;
	if (labels && *labels) {
		f->has_labels = true;
		rc = cz_label_selector_parse(labels, &f->labels, &err);
	}
	if (rc == CZ_OK && fields && *fields) {
		f->has_fields = true;
		rc = cz_field_selector_parse(fields,
					     extra_fields(req->target.res),
					     &f->fields, &err);
	}
	return rc == CZ_OK ? CZ_OK
			   : cz_refuse(req, 400, "BadRequest", "%s", err.msg);
}

bool cz_filters_empty(const cz_filters *f)
{
	return !f || (!f->has_labels && !f->has_fields);
}

bool cz_filters_match(const cz_filters *f, const json_t *obj)
{
	if (!f)
		return true;
	if (f->has_labels && !cz_label_selector_matches(&f->labels, obj))
		return false;
	return !f->has_fields || cz_field_selector_matches(&f->fields, obj);
}

void cz_filters_free(cz_filters *f)
{
	if (!f)
		return;
	cz_label_selector_release(&f->labels);
	cz_field_selector_release(&f->fields);
	free(f);
}

void cz_secret_normalize(const cz_resource *r, json_t *obj)
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
	/* stringData is write-only: merged into data, as upstream. */
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

void cz_record_managed_fields(cz_req *req, json_t *obj, const json_t *old,
			      const char *manager)
{
	char now[32];
	const char *sub = req->target.sub;

	cz_now_rfc3339(now);
	cz_managed_fields_update(obj, old, manager, "Update", sub,
				 req->target.res->group_version, now,
				 req->target.res->merge_keys);
}

static const char *text_of(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v ? v : "";
}

static int reply_apply_conflict(cz_req *req, const json_t *conflicts,
				const char *message)
{
	json_t *causes = json_array();
	json_t *details = NULL;
	size_t i;
	json_t *c;
	int rc;

	json_array_foreach (conflicts, i, c) {
		json_array_append_new(
			causes,
			json_pack("{s:s, s:s++, s:s}", "reason",
				  "FieldManagerConflict", "message",
				  "conflict with \"",
				  text_of(c, "manager"), "\"", "field",
				  text_of(c, "field")));
	}
	details = json_pack("{s:s, s:s, s:o}", "name",
			    req->target.name ? req->target.name : "", "kind",
			    req->target.res->resource, "causes", causes);
	if (req->target.res->group[0])
		json_object_set_new(details, "group",
				    json_string(req->target.res->group));
	rc = cz_reply_status(req, 409, "Conflict", details, "%s", message);
	json_decref(details);
	return rc;
}

static int apply_once(cz_req *req, const json_t *patch, const char *manager,
		      bool force, json_t **out)
{
	char *key = cz_object_key(req->target.res, req->target.ns,
				  req->target.name);
	cz_blob *blob = NULL;
	json_t *cur = NULL;
	json_t *live = NULL;
	json_t *conflicts = NULL;
	cz_update_opts opts = { 0 };
	cz_error err = CZ_ERROR_INIT;
	char now[32];
	int rc = cz_store_get(req->srv->store, key, &blob, &err);

	cz_now_rfc3339(now);
	if (rc != CZ_OK && rc != CZ_ENOTFOUND) {
		rc = cz_reply_error(req, rc, err.msg);
		goto cleanup;
	}
	cur = blob ? cz_blob_json(blob) : NULL;
	live = cur ? json_deep_copy(cur) : NULL;
	rc = (req->target.sub ? cz_apply_status : cz_apply)(
		&live, patch, manager, force, req->target.res->group_version,
		now, req->target.res->merge_keys, &conflicts, &err);
	if (rc == CZ_ECONFLICT) {
		rc = reply_apply_conflict(req, conflicts, err.msg);
		goto cleanup;
	}
	if (rc != CZ_OK) {
		rc = cz_reply_status(req, 422, "Invalid", NULL, "%s", err.msg);
		goto cleanup;
	}
	if (!cur) {
		/* Apply to a missing object creates it. */
		rc = cz_handle_create_object(req, live, manager, true);
		rc = rc == CZ_OK ? CZ_ERR : rc; /* answered */
		goto cleanup;
	}
	opts.dry_run = cz_req_query(req, "dryRun") != NULL;
	opts.fields_managed = true;
	opts.manager = manager;
	opts.expect_rv = blob->rv;
	opts.status_only = req->target.sub != NULL;
	rc = cz_write_update(req, cur, live, &opts, out);
	if (rc == CZ_ECONFLICT)
		rc = CZ_EEXISTS; /* lost a race: retry */
cleanup:
	json_decref(conflicts);
	json_decref(live);
	json_decref(cur);
	cz_blob_unref(blob);
	free(key);
	return rc;
}

int cz_handle_apply(cz_req *req, const json_t *patch)
{
	const char *manager = cz_req_query(req, "fieldManager");
	bool force = cz_req_query_true(req, "force");
	json_t *out = NULL;
	int rc = CZ_EEXISTS;

	if (!manager || !*manager)
		return cz_reply_status(req, 400, "BadRequest", NULL,
				       "PATCH, application/apply-patch+yaml: "
				       "fieldManager is required for apply "
				       "requests");
	rc = cz_check_type(req, patch);
	if (rc != CZ_OK)
		return rc;
	rc = CZ_EEXISTS;
	for (int i = 0; i < 5 && rc == CZ_EEXISTS; i++)
		rc = apply_once(req, patch, manager, force, &out);
	if (rc == CZ_EEXISTS)
		return cz_reply_error(req, CZ_ECONFLICT, NULL);
	if (rc == CZ_OK)
		rc = cz_reply_json_new(req, 200, out);
	return rc == CZ_ERR ? CZ_OK : rc;
}
