#ifndef CZ_UTIL_LOG_H
#define CZ_UTIL_LOG_H

/*
 * logfmt lines on stderr, one write per line so that threads never
 * interleave: "time=2026-11-21T10:00:00.123Z level=info msg=... key=value".
 * A value is quoted when it could break the key=value parsing.
 */

#include "util/buf.h"

/* Starts a line in b (initialised here): time and level. */
void cz_log_begin(cz_buf *b, const char *level);
/* Appends " key=value" to b. */
void cz_log_field(cz_buf *b, const char *key, const char *value);
/* Writes the line and releases b. */
void cz_log_end(cz_buf *b);

/* One line with msg and printf-style fields appended as given, e.g.
 * cz_log("info", "listening", "url=%s", url); fmt may be NULL. */
void cz_log(const char *level, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
