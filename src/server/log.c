#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "util/buf.h"

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

/* Values are quoted when they could break the key=value parsing. */
static void put_value(cz_buf *b, const char *key, const char *value)
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

void cz_log_request(const cz_req *req, double seconds)
{
	char ts[40];
	cz_buf line;
	const cz_target *t = &req->target;

	cz_buf_init(&line, 8192);
	timestamp(ts);
	cz_buf_printf(&line, "time=%s level=info msg=request id=%llu", ts,
		      (unsigned long long)req->id);
	put_value(&line, "user", req->user ? req->user->name : "");
	put_value(&line, "verb",
		  t->verb ? t->verb : req->method ? req->method : "");
	put_value(&line, "resource", t->res ? t->res->resource : req->path);
	if (t->sub)
		put_value(&line, "subresource", t->sub);
	if (t->ns)
		put_value(&line, "namespace", t->ns);
	if (t->name)
		put_value(&line, "name", t->name);
	cz_buf_printf(&line, " code=%d duration_ms=%.3f\n", req->code,
		      seconds * 1000.0);
	fwrite(line.data, 1, line.len, stderr);
	cz_buf_release(&line);
}

void cz_log(const char *level, const char *msg, const char *fmt, ...)
{
	char ts[40];
	cz_buf line;
	va_list ap;

	cz_buf_init(&line, 8192);
	timestamp(ts);
	cz_buf_printf(&line, "time=%s level=%s", ts, level);
	put_value(&line, "msg", msg);
	if (fmt && *fmt) {
		cz_buf_putc(&line, ' ');
		va_start(ap, fmt);
		cz_buf_vprintf(&line, fmt, ap);
		va_end(ap);
	}
	cz_buf_putc(&line, '\n');
	fwrite(line.data, 1, line.len, stderr);
	cz_buf_release(&line);
}
