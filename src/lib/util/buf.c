#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

static char empty_data[1];

void cz_buf_init(cz_buf *b, size_t max)
{
	b->data = empty_data;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void cz_buf_release(cz_buf *b)
{
	if (b->cap)
		free(b->data);
	b->data = empty_data;
	b->len = 0;
	b->cap = 0;
}

void cz_buf_reset(cz_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

static int reserve(cz_buf *b, size_t extra)
{
	size_t need;
	size_t cap;

	if (extra > b->max || b->len > b->max - extra)
		return CZ_ETOOLARGE;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return CZ_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	if (b->cap) {
		b->data = cz_xrealloc(b->data, cap);
	} else {
		b->data = cz_xmalloc(cap);
		b->data[0] = '\0';
	}
	b->cap = cap;
	return CZ_OK;
}

int cz_buf_reserve(cz_buf *b, size_t extra)
{
	return reserve(b, extra);
}

int cz_buf_append(cz_buf *b, const void *data, size_t len)
{
	int rc = reserve(b, len);

	if (rc < 0)
		return rc;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return CZ_OK;
}

int cz_buf_puts(cz_buf *b, const char *s)
{
	return cz_buf_append(b, s, strlen(s));
}

int cz_buf_putc(cz_buf *b, char c)
{
	return cz_buf_append(b, &c, 1);
}

int cz_buf_vprintf(cz_buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int len;
	int rc;

	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		return CZ_EINVALID;
	rc = reserve(b, (size_t)len);
	if (rc < 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
	b->len += (size_t)len;
	return CZ_OK;
}

int cz_buf_printf(cz_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cz_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *cz_buf_detach(cz_buf *b, size_t *len_out)
{
	char *out;

	if (len_out)
		*len_out = b->len;
	out = b->cap ? b->data : cz_xstrdup("");
	b->data = empty_data;
	b->len = 0;
	b->cap = 0;
	return out;
}

int cz_buf_put_quoted(cz_buf *b, const char *s)
{
	int rc = cz_buf_putc(b, '"');

	for (; *s && rc == CZ_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rc = cz_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rc = cz_buf_puts(b, "\\n");
		else if (c == '\t')
			rc = cz_buf_puts(b, "\\t");
		else if (c == '\r')
			rc = cz_buf_puts(b, "\\r");
		else if (c < 0x20 || c == 0x7f)
			rc = cz_buf_printf(b, "\\x%02x", c);
		else
			rc = cz_buf_putc(b, *s);
	}
	return rc == CZ_OK ? cz_buf_putc(b, '"') : rc;
}
