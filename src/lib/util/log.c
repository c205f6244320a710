#include "util/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void timestamp(char out[40])
{
	struct timeval tv;
	struct tm tm;
	char seconds[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(seconds, sizeof(seconds), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%03dZ", seconds, (int)(tv.tv_usec / 1000) % 1000);
}

void cz_log_begin(cz_buf *b, const char *level)
{
	char ts[40];

	cz_buf_init(b, 8192);
	timestamp(ts);
	cz_buf_printf(b, "time=%s level=%s", ts, level);
}

void cz_log_field(cz_buf *b, const char *key, const char *value)
{
	bool quote = !*value || strpbrk(value, " \"=\t\n") != NULL;

	cz_buf_printf(b, " %s=", key);
	if (!quote) {
		cz_buf_puts(b, value);
		return;
	}
	cz_buf_putc(b, '"');
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			cz_buf_putc(b, '\\');
		cz_buf_putc(b, *p == '\n' ? ' ' : *p);
	}
	cz_buf_putc(b, '"');
}

void cz_log_end(cz_buf *b)
{
	cz_buf_putc(b, '\n');
	fwrite(b->data, 1, b->len, stderr);
	cz_buf_release(b);
}

void cz_log(const char *level, const char *msg, const char *fmt, ...)
{
	cz_buf line;
	va_list ap;

	cz_log_begin(&line, level);
	cz_log_field(&line, "msg", msg);
	if (fmt && *fmt) {
		cz_buf_putc(&line, ' ');
		va_start(ap, fmt);
		cz_buf_vprintf(&line, fmt, ap);
		va_end(ap);
	}
	cz_log_end(&line);
}
