/* The terminal side of the CLI: prompts and aligned tables. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/mem.h"

#define TABLE_PADDING 3
/* An answer longer than this is not a variant number or a yes. */
#define ANSWER_MAX 4096

bool cli_interactive(void)
{
	return isatty(STDIN_FILENO) == 1;
}

char *cli_ask(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, stderr);
	fflush(stderr);
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > ANSWER_MAX)
		line[ANSWER_MAX] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

void cli_table_init(cli_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void cli_table_row(cli_table *t, const char *const *cells)
{
	CZ_GROW(t->cells, (t->nrows + 1) * t->ncols, t->cap);
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] =
			cz_xstrdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

/* Go's tabwriter counts UTF-8 characters, not bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void cli_table_write(const cli_table *t, cz_buf *out)
{
	size_t *width = cz_xcalloc(t->ncols ? t->ncols : 1, sizeof(*width));

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c + 1 < t->ncols; c++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			cz_buf_puts(out, cell);
			if (c + 1 == t->ncols)
				break;
			for (size_t pad = text_width(cell);
			     pad < width[c] + TABLE_PADDING; pad++)
				cz_buf_putc(out, ' ');
		}
		cz_buf_putc(out, '\n');
	}
	free(width);
}

void cli_table_release(cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

char *cli_truncate(const char *s, size_t limit, size_t keep)
{
	if (strlen(s) <= limit)
		return cz_xstrdup(s);
	return cz_xasprintf("%.*s...", (int)keep, s);
}

int cli_table_print(cli_table *t)
{
	cz_buf out;
	int rc;

	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	cli_table_write(t, &out);
	rc = cli_write_stdout(out.data, out.len);
	cz_buf_release(&out);
	cli_table_release(t);
	return rc;
}
