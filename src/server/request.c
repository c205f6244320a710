#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/protobuf.h"
#include "api/selector.h"
#include "api/validate.h"
#include "object/yaml.h"
#include "util/mem.h"

/* Request bodies: JSON, YAML or protobuf into the object a verb takes. */

static bool is_protobuf(cz_req *req)
{
	const char *ct = cz_req_header(req, "Content-Type");

	return ct && strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0;
}

static int body_failure(cz_api_call *c, int rc, const char *msg)
{
	if (rc == CZ_ETOOLARGE)
		return cz_api_fail(c, rc, 413, "RequestEntityTooLarge", NULL,
				   "%s", msg);
	return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL, "%s",
			   msg);
}

/* Built-in kinds arrive as protobuf from kubectl's typed commands
 * (create namespace, configmap, secret). */
static int decode_protobuf(cz_req *req, cz_api_call *c, json_t **out)
{
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_protobuf_decode(req->body.data, req->body.len,
				    req->srv->opts.max_request_bytes, out,
				    &err);

	if (rc == CZ_OK)
		return CZ_OK;
	if (rc == CZ_ETOOLARGE)
		return body_failure(c, rc, err.msg);
	return cz_api_fail(c, CZ_EINVALID, 415, "UnsupportedMediaType", NULL,
			   "%s", err.msg);
}

int cz_decode_body(cz_req *req, cz_api_call *c, json_t **out)
{
	cz_limits lim = cz_default_limits;
	cz_doc *docs = NULL;
	size_t n = 0;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	*out = NULL;
	if (is_protobuf(req))
		return decode_protobuf(req, c, out);
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
	if (rc == CZ_OK)
		*out = json_incref(docs[0].root);
	cz_docs_free(docs, n);
	return rc == CZ_OK ? CZ_OK : body_failure(c, rc, err.msg);
}

int cz_decode_json_array(cz_req *req, cz_api_call *c, json_t **out)
{
	json_error_t jerr;

	*out = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (*out && json_is_array(*out))
		return CZ_OK;
	json_decref(*out);
	*out = NULL;
	return cz_api_fail(c, CZ_EINVALID, 400, "BadRequest", NULL,
			   "the JSON patch is not an array of operations: %s",
			   jerr.text);
}
