#ifndef CZ_SERVER_HANDLERS_H
#define CZ_SERVER_HANDLERS_H

/* Shared by the resource handlers (objects.c, watch.c, request.c). */

#include "apiserver/apiserver.h"
#include "object/meta.h"
#include "server.h"

/* Decodes the request body (JSON, YAML or protobuf; one document, an
 * object) into *out (owned by the caller).  A failure is recorded as c's
 * answer (400, 413 or 415). */
int cz_decode_body(cz_req *req, cz_api_call *c, json_t **out);
/* The body as a JSON array (a JSON patch), recorded like cz_decode_body. */
int cz_decode_json_array(cz_req *req, cz_api_call *c, json_t **out);

/* Answers the request from a finished call: its Status when it failed,
 * else its object, blob or list (as a Table when asked).  Exactly one
 * answer per request goes through here. */
int cz_reply_call(cz_req *req, int rc, cz_api_call *c);
/* A list answer, joined from the stored texts or as a Table. */
int cz_reply_list(cz_req *req, const cz_api_call *c);
int cz_reply_list_table(cz_req *req, const cz_resource *r,
			const cz_api_list *page);

#endif
