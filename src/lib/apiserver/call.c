#include "apiserver/internal.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/selector.h"
#include "object/meta.h"
#include "util/mem.h"

/* The call record, its answers, and the object helpers every verb uses. */

void cz_api_call_init(cz_api_call *c, cz_store *store, const cz_resource *r,
		      const char *ns, const char *name, const char *sub)
{
	memset(c, 0, sizeof(*c));
	c->store = store;
	c->res = r;
	c->ns = ns ? cz_xstrdup(ns) : NULL;
	c->name = name ? cz_xstrdup(name) : NULL;
	c->sub = sub ? cz_xstrdup(sub) : NULL;
	c->max_body = 3u * 1024 * 1024;
}

int cz_api_call_init_key(cz_api_call *c, cz_store *store, const char *key)
{
	const cz_resource *r = cz_key_resource(key);
	const char *name = strrchr(key, '/');
	const char *ns_end = name;
	const char *ns = name;
	char *ns_copy = NULL;

	if (!r || !name || !name[1])
		return CZ_ENOTFOUND;
	while (ns > key && ns[-1] != '/')
		ns--;
	if (ns < ns_end)
		ns_copy = cz_xstrndup(ns, (size_t)(ns_end - ns));
	cz_api_call_init(c, store, r, ns_copy, name + 1, NULL);
	free(ns_copy);
	return CZ_OK;
}

void cz_api_answer_reset(cz_api_call *c)
{
	json_decref(c->object);
	json_decref(c->status);
	cz_blob_unref(c->blob);
	c->object = NULL;
	c->status = NULL;
	c->blob = NULL;
}

void cz_api_call_release(cz_api_call *c)
{
	cz_api_answer_reset(c);
	for (size_t i = 0; i < c->list.n; i++)
		cz_blob_unref(c->list.items[i]);
	free(c->list.items);
	free(c->list.next);
	json_decref(c->warnings);
	free(c->ns);
	free(c->name);
	free(c->sub);
	memset(c, 0, sizeof(*c));
}

json_t *cz_api_answer_object(cz_api_call *c)
{
	if (c->object)
		return json_incref(c->object);
	return c->blob ? cz_blob_json(c->blob) : NULL;
}

const char *cz_api_query(const cz_api_call *c, const char *key)
{
	return c->query ? c->query(c->query_ctx, key) : NULL;
}

bool cz_api_query_true(const cz_api_call *c, const char *key)
{
	const char *v = cz_api_query(c, key);

	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

const char *cz_api_field_manager(const cz_api_call *c, char *buf, size_t size)
{
	const char *m = cz_api_query(c, "fieldManager");
	const char *agent = c->user_agent;
	size_t len;

	if (m && *m)
		return m;
	if (!agent || !*agent)
		return "unknown";
	len = strcspn(agent, "/");
	if (len >= size)
		len = size - 1;
	memcpy(buf, agent, len);
	buf[len] = '\0';
	return buf;
}

/* ---- answers ---- */

static json_t *status_object(unsigned http, const char *reason,
			     const json_t *details, const char *message)
{
	json_t *status = json_pack(
		"{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status",
		"apiVersion", "v1", "metadata", "status",
		http < 400 ? "Success" : "Failure", "message", message,
		"reason", reason, "code", (int)http);

	if (details)
		json_object_set(status, "details", (json_t *)details);
	return status;
}

int cz_api_fail(cz_api_call *c, int rc, unsigned http, const char *reason,
		const json_t *details, const char *fmt, ...)
{
	char message[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	cz_api_answer_reset(c);
	c->code = http;
	c->status = status_object(http, reason, details, message);
	return rc;
}

const char *cz_qualified_resource(const cz_resource *r, char *buf,
				  size_t size)
{
	if (!r->group[0])
		return r->resource;
	snprintf(buf, size, "%s.%s", r->resource, r->group);
	return buf;
}

static json_t *object_details(const cz_resource *r, const char *name)
{
	json_t *details = json_pack("{s:s, s:s}", "name", name ? name : "",
				    "kind", r->resource);

	if (r->group[0])
		json_object_set_new(details, "group", json_string(r->group));
	return details;
}

/* The HTTP status, reason and message kube-apiserver gives a code. */
static unsigned describe(const cz_resource *r, const char *name, int code,
			 const char *message, const char **reason,
			 char *text, size_t size)
{
	char buf[256];
	const char *q = r ? cz_qualified_resource(r, buf, sizeof(buf))
			  : "object";

	name = name ? name : "";
	message = message ? message : "";
	switch (code) {
	case CZ_ENOTFOUND:
		*reason = "NotFound";
		if (r)
			snprintf(text, size, "%s \"%s\" not found", q, name);
		else
			snprintf(text, size, "%s", message);
		return 404;
	case CZ_EEXISTS:
		*reason = "AlreadyExists";
		snprintf(text, size, "%s \"%s\" already exists", q, name);
		return 409;
	case CZ_ECONFLICT:
		*reason = "Conflict";
		snprintf(text, size,
			 "Operation cannot be fulfilled on %s \"%s\": %s", q,
			 name,
			 *message ? message
				  : "the object has been modified; please "
				    "apply your changes to the latest version "
				    "and try again");
		return 409;
	case CZ_EINVALID:
		*reason = "BadRequest";
		snprintf(text, size, "%s", message);
		return 400;
	case CZ_ETOOLARGE:
		*reason = "RequestEntityTooLarge";
		snprintf(text, size, "%s", message);
		return 413;
	case CZ_EDENIED:
		*reason = "Forbidden";
		snprintf(text, size, "%s", message);
		return 403;
	case CZ_EGONE:
		*reason = "Expired";
		snprintf(text, size, "%s", message);
		return 410;
	default:
		*reason = "InternalError";
		snprintf(text, size, "Internal error occurred: %s", message);
		return 500;
	}
}

/* Only these kinds of failure name the object in details, as upstream. */
static bool has_details(int code)
{
	return code == CZ_ENOTFOUND || code == CZ_EEXISTS ||
	       code == CZ_ECONFLICT || code == CZ_EDENIED;
}

json_t *cz_api_status_new(const cz_resource *r, const char *name, int code,
			  const char *message, unsigned *http)
{
	const char *reason = NULL;
	char text[2048];
	json_t *details = r && has_details(code) ? object_details(r, name)
						  : NULL;
	json_t *status;

	*http = describe(r, name, code, message, &reason, text, sizeof(text));
	status = status_object(*http, reason, details, text);
	json_decref(details);
	return status;
}

int cz_api_error(cz_api_call *c, int code, const char *message)
{
	unsigned http = 500;
	json_t *status = cz_api_status_new(c->res, c->name, code, message,
					   &http);

	cz_api_answer_reset(c);
	c->code = http;
	c->status = status;
	return code == CZ_OK ? CZ_ERR : code;
}

/* ---- object helpers ---- */

json_t *cz_blob_json(const cz_blob *b)
{
	return json_loadb(b->data, b->len, 0, NULL);
}

json_t *cz_meta(json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");

	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	return meta;
}

int64_t cz_meta_rv(const json_t *obj)
{
	const char *rv = cz_meta_str(obj, "resourceVersion");

	return rv ? strtoll(rv, NULL, 10) : 0;
}

long cz_string_index(const json_t *array, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (array, i, v) {
		const char *text = json_string_value(v);

		if (text && strcmp(text, s) == 0)
			return (long)i;
	}
	return -1;
}

void cz_new_uid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		abort(); /* no randomness: nothing safe is left to do */
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x"
		 "%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool cz_tracks_generation(const cz_resource *r)
{
	return r->group[0] != '\0';
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

/* Store keys are "GROUP/RESOURCE/NAMESPACE/NAME", the core group spelt
 * "core" and a cluster-scoped object's namespace empty, so that a prefix
 * lists a resource, or a resource in one namespace. */
static const char *key_group(const cz_resource *r)
{
	return r->group[0] ? r->group : "core";
}

char *cz_object_key(const cz_resource *r, const char *ns, const char *name)
{
	return cz_xasprintf("%s/%s/%s/%s", key_group(r), r->resource,
			    ns ? ns : "", name);
}

char *cz_list_prefix(const cz_resource *r, const char *ns)
{
	if (ns && *ns)
		return cz_xasprintf("%s/%s/%s/", key_group(r), r->resource,
				    ns);
	return cz_xasprintf("%s/%s/", key_group(r), r->resource);
}

const cz_resource *cz_key_resource(const char *key)
{
	size_t n;
	const cz_resource *all = cz_resources(&n);

	for (size_t i = 0; i < n; i++) {
		const char *group = key_group(&all[i]);
		size_t glen = strlen(group);
		size_t rlen = strlen(all[i].resource);

		if (strncmp(key, group, glen) == 0 && key[glen] == '/' &&
		    strncmp(key + glen + 1, all[i].resource, rlen) == 0 &&
		    key[glen + 1 + rlen] == '/')
			return &all[i];
	}
	return NULL;
}

/* ---- list filters ---- */

struct cz_filters {
	cz_label_selector labels;
	cz_field_selector fields;
	bool has_labels;
	bool has_fields;
};

int cz_filters_parse(cz_api_call *c, cz_filters **out)
{
	const char *labels = cz_api_query(c, "labelSelector");
	const char *fields = cz_api_query(c, "fieldSelector");
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
		rc = cz_field_selector_parse(fields, c->res->fields,
					     &f->fields, &err);
	}
	return rc == CZ_OK ? CZ_OK
			   : cz_api_fail(c, CZ_EINVALID, 400, "BadRequest",
					 NULL, "%s", err.msg);
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
