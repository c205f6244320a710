#ifndef CZ_UTIL_DIAGS_H
#define CZ_UTIL_DIAGS_H

/*
 * cz_diags: a list of errors and warnings collected while reading input,
 * so that one run reports every problem in every file instead of stopping
 * at the first.  Each entry's text already names its file, line and field.
 */

#include <stdio.h>
#include <stddef.h>

typedef enum cz_diag_level {
	CZ_DIAG_ERROR,
	CZ_DIAG_WARNING,
} cz_diag_level;

typedef struct cz_diag {
	cz_diag_level level;
	char *text; /* owned */
} cz_diag;

typedef struct cz_diags {
	cz_diag *items;
	size_t len;
	size_t cap;
	size_t nerrors;
	size_t nwarnings;
	size_t max_errors; /* entries past this many errors are counted, not kept */
} cz_diags;

#define CZ_DIAGS_MAX_ERRORS 200

void cz_diags_init(cz_diags *d);
void cz_diags_release(cz_diags *d);
void cz_diags_add(cz_diags *d, cz_diag_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Errors as "TEXT", warnings as "warning: TEXT", one per line, in order. */
void cz_diags_print(const cz_diags *d, FILE *out);

#endif
