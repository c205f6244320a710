#include "util/error.h"

#include <stdio.h>
#include <string.h>

int cz_vfail(cz_error *err, int code, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return code;
}

int cz_fail(cz_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cz_vfail(err, code, fmt, ap);
	va_end(ap);
	return code;
}

void cz_error_prefix(cz_error *err, const char *fmt, ...)
{
	/* Room for both parts; the result is cut to the slot's size. */
	char joined[2 * CZ_ERROR_MSG_MAX + 2];
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(joined, CZ_ERROR_MSG_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= CZ_ERROR_MSG_MAX)
		n = CZ_ERROR_MSG_MAX - 1;
	memcpy(joined + n, ": ", 2);
	memcpy(joined + n + 2, err->msg, strlen(err->msg) + 1);
	memcpy(err->msg, joined, CZ_ERROR_MSG_MAX - 1);
	err->msg[CZ_ERROR_MSG_MAX - 1] = '\0';
}

void cz_error_clear(cz_error *err)
{
	if (err) {
		err->code = CZ_OK;
		err->msg[0] = '\0';
	}
}

const char *cz_code_name(int code)
{
	switch (code) {
	case CZ_OK: return "ok";
	case CZ_ENOTFOUND: return "not found";
	case CZ_EEXISTS: return "already exists";
	case CZ_ECONFLICT: return "conflict";
	case CZ_EINVALID: return "invalid";
	case CZ_ETOOLARGE: return "too large";
	case CZ_EIO: return "i/o error";
	case CZ_ECYCLE: return "dependency cycle";
	case CZ_EGONE: return "gone";
	case CZ_EDENIED: return "denied";
	case CZ_EAGAIN: return "retry";
	default: return "error";
	}
}
