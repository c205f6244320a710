#ifndef CZ_SERVER_LOG_H
#define CZ_SERVER_LOG_H

#include "server.h"
#include "util/log.h"

/* One logfmt line per request on stderr: time, id, user, verb, resource,
 * namespace, name, code, duration. */
void cz_log_request(const cz_req *req, double seconds);

#endif
