#ifndef CZ_UTIL_BASE64_H
#define CZ_UTIL_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Standard base64 (RFC 4648 §4) with padding.  Returns a NUL-terminated
 * string the caller frees. */
char *cz_base64_encode(const void *data, size_t len);

/* Decodes standard or URL-safe base64, padded or not.  Returns the bytes
 * (NUL-terminated for convenience; the caller frees) and their length in
 * *out_len, or NULL when text is not valid base64. */
char *cz_base64_decode(const char *text, size_t len, size_t *out_len);

/* True when text is valid standard padded base64 (Secret data). */
bool cz_base64_valid(const char *text, size_t len);

#endif
