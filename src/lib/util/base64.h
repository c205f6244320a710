#ifndef CZ_UTIL_BASE64_H
#define CZ_UTIL_BASE64_H

/*
 * Standard base64 (RFC 4648 §4, padded) as Go's encoding/base64.StdEncoding
 * reads and writes it: the form of Secret data, kubeconfig *-data fields and
 * bytes in Kubernetes JSON.  Like Go's decoder, line breaks are skipped.
 * Hexadecimal digits too, for \u escapes and percent-encoding.
 */

#include <stdbool.h>
#include <stddef.h>

/* Returns a NUL-terminated string the caller frees. */
char *cz_base64_encode(const void *data, size_t len);

/* Returns the decoded bytes (NUL-terminated for convenience; the caller
 * frees them) and their length in *out_len (optional), or NULL when text is
 * not valid padded standard base64. */
char *cz_base64_decode(const char *text, size_t len, size_t *out_len);

/* True when text is valid padded standard base64. */
bool cz_base64_valid(const char *text, size_t len);

/* The value of one hexadecimal digit (either case), or -1. */
int cz_hex_digit(unsigned char c);

#endif
