#ifndef CZ_UTIL_DURATION_H
#define CZ_UTIL_DURATION_H

/*
 * Durations in Go's syntax ("5m", "1h30m", "1.5s", "300ms"), because the
 * objects we write (HelmRelease intervals and timeouts) are read by Go
 * programs that format them with time.Duration.String(): "5m0s", "30s".
 */

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Parses text into nanoseconds.  CZ_EINVALID on bad syntax or overflow. */
int cz_duration_parse(const char *text, int64_t *ns_out, cz_error *err);
/* Formats ns exactly as Go's time.Duration.String() does. */
void cz_duration_format(int64_t ns, char *buf, size_t size);

/* The current time as Kubernetes writes metav1.Time: RFC 3339 UTC with
 * seconds, e.g. "2026-11-21T10:00:00Z". */
void cz_now_rfc3339(char out[32]);

/* The monotonic clock in nanoseconds, for delays and deadlines that a
 * wall-clock step must not move. */
int64_t cz_mono_ns(void);

#endif
