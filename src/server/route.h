#ifndef CZ_SERVER_ROUTE_H
#define CZ_SERVER_ROUTE_H

#include "server.h"

/* Parses req->path as a resource URL (/api/v1/..., /apis/G/V/...) into
 * req->target, including the verb.  CZ_ENOTFOUND when the path is not a
 * resource URL (discovery documents, unknown resources): the caller then
 * answers it as a non-resource path.  Other codes have been answered. */
int cz_route_resource(cz_req *req);

void cz_target_release(cz_target *t);

#endif
