#ifndef CZ_UTIL_ERROR_H
#define CZ_UTIL_ERROR_H

/*
 * The one result convention of cozypkg.
 *
 * A function that can fail returns int: CZ_OK (0) or one of the negative
 * codes below.  The human-readable message goes into a cz_error slot that
 * the caller passes in (it may pass NULL when it only wants the code).
 * The HTTP layer maps codes to statuses, the CLI maps them to exit codes.
 */

#include <stdarg.h>
#include <stddef.h>

enum cz_code {
	CZ_OK = 0,
	CZ_ERR = -1,       /* anything not listed below */
	CZ_ENOTFOUND = -2, /* the named thing does not exist */
	CZ_EEXISTS = -3,   /* it exists already */
	CZ_ECONFLICT = -4, /* a precondition (version, state) does not hold */
	CZ_EINVALID = -5,  /* input is malformed or breaks a rule */
	CZ_ETOOLARGE = -6, /* input is over a size, depth or count limit */
	CZ_EIO = -7,       /* reading or writing a file or socket failed */
	CZ_ECYCLE = -8,    /* a dependency cycle */
	CZ_EGONE = -9,     /* asked-for history is no longer retained */
	CZ_EDENIED = -10,  /* the caller may not do this */
	CZ_EAGAIN = -11,   /* a lost race: the same step may be tried again */
};

#define CZ_ERROR_MSG_MAX 1024

typedef struct cz_error {
	int code;
	char msg[CZ_ERROR_MSG_MAX];
} cz_error;

#define CZ_ERROR_INIT { CZ_OK, "" }

/* Records code and message in err (when err is not NULL) and returns code,
 * so that failing is one line: return cz_fail(err, CZ_EINVALID, "...").  */
int cz_fail(cz_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cz_vfail(cz_error *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Prefixes the message already in err with "prefix: " (printf-style). */
void cz_error_prefix(cz_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void cz_error_clear(cz_error *err);

/* Static name of a code, e.g. "not found". */
const char *cz_code_name(int code);

#endif
