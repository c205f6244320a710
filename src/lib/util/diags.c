#include "util/diags.h"

#include <stdarg.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/mem.h"

void cz_diags_init(cz_diags *d)
{
	d->items = NULL;
	d->len = 0;
	d->cap = 0;
	d->nerrors = 0;
	d->nwarnings = 0;
	d->max_errors = CZ_DIAGS_MAX_ERRORS;
}

void cz_diags_release(cz_diags *d)
{
	for (size_t i = 0; i < d->len; i++)
		free(d->items[i].text);
	free(d->items);
	cz_diags_init(d);
}

void cz_diags_add(cz_diags *d, cz_diag_level level, const char *fmt, ...)
{
	cz_buf text;
	va_list ap;

	if (level == CZ_DIAG_ERROR && d->nerrors++ >= d->max_errors)
		return;
	if (level == CZ_DIAG_WARNING)
		d->nwarnings++;
	cz_buf_init(&text, CZ_BUF_UNLIMITED);
	va_start(ap, fmt);
	cz_buf_vprintf(&text, fmt, ap);
	va_end(ap);
	CZ_GROW(d->items, d->len + 1, d->cap);
	d->items[d->len].level = level;
	d->items[d->len].text = cz_buf_detach(&text, NULL);
	d->len++;
}

void cz_diags_print(const cz_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->len; i++) {
		if (d->items[i].level == CZ_DIAG_WARNING)
			fprintf(out, "warning: %s\n", d->items[i].text);
		else
			fprintf(out, "%s\n", d->items[i].text);
	}
	if (d->nerrors > d->max_errors)
		fprintf(out, "... and %zu more errors\n",
			d->nerrors - d->max_errors);
}
