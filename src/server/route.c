#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "api/path.h"

void cz_target_release(cz_target *t)
{
	free(t->ns);
	free(t->name);
	free(t->sub);
	memset(t, 0, sizeof(*t));
}

static const char *verb_for(cz_req *req, const cz_target *t)
{
	const char *m = req->method;

	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		if (t->name)
			return "get";
		return cz_req_query_true(req, "watch") ? "watch" : "list";
	}
	if (strcmp(m, "POST") == 0)
		return t->name ? NULL : "create";
	if (strcmp(m, "PUT") == 0)
		return t->name ? "update" : NULL;
	if (strcmp(m, "PATCH") == 0)
		return t->name ? "patch" : NULL;
	if (strcmp(m, "DELETE") == 0)
		return t->name ? "delete" : "deletecollection";
	return NULL;
}

int cz_route_resource(cz_req *req)
{
	cz_target *t = &req->target;
	cz_api_path p;
	int rc = cz_api_path_parse(req->path, &p);

	if (rc != CZ_OK)
		return rc;
	t->res = p.res;
	t->ns = p.ns;
	t->name = p.name;
	t->sub = p.sub;
	t->verb = verb_for(req, t);
	if (!t->verb)
		return cz_refuse(req, 405, "MethodNotAllowed",
				 "the server does not allow this method on the "
				 "requested resource");
	if (t->sub && !cz_resource_has_subresource(t->res, t->sub))
		return cz_refuse(req, 404, "NotFound",
				 "the server could not find the requested "
				 "resource");
	return CZ_OK;
}
