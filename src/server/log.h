#ifndef CZ_SERVER_LOG_H
#define CZ_SERVER_LOG_H

#include "server.h"

/* One logfmt line per request on stderr: time, id, user, verb, resource,
 * namespace, name, code, duration. */
void cz_log_request(const cz_req *req, double seconds);

/* One logfmt line with msg and printf-style fields, e.g.
 * cz_log("info", "listening", "url=%s", url). */
void cz_log(const char *level, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
