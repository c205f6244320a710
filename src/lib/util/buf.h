#ifndef CZ_UTIL_BUF_H
#define CZ_UTIL_BUF_H

/*
 * cz_buf: the one growable string buffer, with a size cap.
 *
 * Invariants once initialised with cz_buf_init(): data is never NULL, it is
 * always NUL-terminated, and len never exceeds max.  An append that would
 * pass max fails with CZ_ETOOLARGE and leaves the buffer as it was, so a
 * buffer fed from the network can never grow past what its owner allowed.
 * cz_buf_detach() is the only way to take ownership of the bytes.
 */

#include <stdarg.h>
#include <stddef.h>

#include "util/error.h"

#define CZ_BUF_UNLIMITED ((size_t)-1)

typedef struct cz_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
} cz_buf;

void cz_buf_init(cz_buf *b, size_t max);
/* Frees the bytes; the buffer is empty and usable again afterwards. */
void cz_buf_release(cz_buf *b);
void cz_buf_reset(cz_buf *b);

/* Makes room for extra more bytes (and the NUL) so that appends up to
 * that size do not move the bytes; CZ_ETOOLARGE past max. */
int cz_buf_reserve(cz_buf *b, size_t extra);
int cz_buf_append(cz_buf *b, const void *data, size_t len);
int cz_buf_puts(cz_buf *b, const char *s);
int cz_buf_putc(cz_buf *b, char c);
int cz_buf_printf(cz_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cz_buf_vprintf(cz_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Appends s in double quotes as Go's %q writes printable text: quote and
 * backslash escaped, \n \t \r, other control bytes as \xNN.  Kubernetes
 * messages quote values this way. */
int cz_buf_put_quoted(cz_buf *b, const char *s);

/* Hands the bytes to the caller, who frees them with free(); the buffer is
 * left empty.  *len_out (optional) receives the length. */
char *cz_buf_detach(cz_buf *b, size_t *len_out);

#endif
