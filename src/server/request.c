#include "handlers.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/protobuf.h"
#include "api/selector.h"
#include "api/validate.h"
#include "object/yaml.h"
#include "util/mem.h"

/* Request decoding and the small pieces of object metadata handling that
 * every verb shares. */

static bool is_protobuf(cz_req *req)
{
	const char *ct = cz_req_header(req, "Content-Type");

	return ct && strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0;
}

/* Built-in kinds arrive as protobuf from kubectl's typed commands
 * (create namespace, configmap, secret). */
static int decode_protobuf(cz_req *req, json_t **out)
{
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_protobuf_decode(req->body.data, req->body.len,
				    req->srv->opts.max_request_bytes, out,
				    &err);

	if (rc == CZ_OK)
		return CZ_OK;
	return cz_refuse(req, rc == CZ_ETOOLARGE ? 413 : 415,
			 rc == CZ_ETOOLARGE ? "RequestEntityTooLarge"
					    : "UnsupportedMediaType",
			 "%s", err.msg);
}

int cz_decode_body(cz_req *req, json_t **out)
{
	cz_limits lim = cz_default_limits;
	cz_doc *docs = NULL;
	size_t n = 0;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	*out = NULL;
	if (is_protobuf(req))
		return decode_protobuf(req, out);
	lim.max_document_bytes = req->srv->opts.max_request_bytes;
	lim.max_total_bytes = req->srv->opts.max_request_bytes;
	rc = cz_parse_stream(req->body.data, req->body.len, "request body",
			     &lim, &docs, &n, NULL, &err);
	if (rc == CZ_OK && n != 1)
		rc = cz_fail(&err, CZ_EINVALID,
			     "request body: expected one object, got %zu "
			     "documents",
			     n);
	if (rc == CZ_OK && !json_is_object(docs[0].root))
		rc = cz_fail(&err, CZ_EINVALID,
			     "request body: expected an object");
	if (rc != CZ_OK) {
		cz_docs_free(docs, n);
		return cz_refuse(req, rc == CZ_ETOOLARGE ? 413 : 400,
				 rc == CZ_ETOOLARGE ? "RequestEntityTooLarge"
						    : "BadRequest",
				 "%s", err.msg);
	}
	*out = json_incref(docs[0].root);
	cz_docs_free(docs, n);
	return CZ_OK;
}

int cz_check_type(cz_req *req, const json_t *obj)
{
	const cz_resource *r = req->target.res;
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (!kind || !*kind)
		return cz_refuse(req, 400, "BadRequest",
				 "Object 'Kind' is missing in the request "
				 "body");
	if (!api || !*api)
		return cz_refuse(req, 400, "BadRequest",
				 "Object 'apiVersion' is missing in the "
				 "request body");
	if (strcmp(api, r->group_version) != 0)
		return cz_refuse(req, 400, "BadRequest",
				 "the API version in the data (%.100s) does "
				 "not match the expected API version (%s)",
				 api, r->group_version);
	if (strcmp(kind, r->kind) != 0)
		return cz_refuse(req, 400, "BadRequest",
				 "the kind in the data (%.100s) does not match "
				 "the expected kind (%s)",
				 kind, r->kind);
	return CZ_OK;
}

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

const char *cz_field_manager(cz_req *req, char *buf, size_t size)
{
	const char *m = cz_req_query(req, "fieldManager");
	const char *agent;
	size_t len;

	if (m && *m)
		return m;
	agent = cz_req_header(req, "User-Agent");
	if (!agent || !*agent)
		return "unknown";
	len = strcspn(agent, "/");
	if (len >= size)
		len = size - 1;
	memcpy(buf, agent, len);
	buf[len] = '\0';
	return buf;
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

