#ifndef CZ_STORE_JSONCHECK_H
#define CZ_STORE_JSONCHECK_H

/*
 * A fast, allocation-free check that a text is one JSON object, accepting
 * what jansson's decoder accepts with no flags (strict RFC 8259: valid
 * UTF-8, no "\u0000", paired surrogates, integers that fit in 64 bits,
 * nesting up to 2048 levels).  Start-up uses it on every stored value:
 * building the values with jansson only to throw them away would cost most
 * of the load time.
 */

#include <stddef.h>

#include "util/error.h"

/* 0 when text[0..len) is one JSON object with nothing but white space
 * around it; otherwise CZ_EINVALID with "<reason> at byte <offset>" in
 * err.  text[len] must be '\0'. */
int cz_json_check_object(const char *text, size_t len, cz_error *err);

#endif
