/* Removing credentials from text about git remotes. */

#include "git/scrub.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

static int ends_authority(char ch)
{
	return ch == '\0' || strchr("/?# \t\r\n'\"<>", ch) != NULL;
}

/* Copies text into b without URL user information. */
static void strip_userinfo(const char *text, cz_buf *b)
{
	const char *p = text;

	while (*p) {
		const char *sep = strstr(p, "://");
		const char *auth, *end, *at = NULL;

		if (!sep) {
			cz_buf_puts(b, p);
			return;
		}
		auth = sep + 3;
		for (end = auth; !ends_authority(*end); end++)
			if (*end == '@')
				at = end;
		cz_buf_append(b, p, (size_t)(auth - p));
		if (at)
			auth = at + 1;
		cz_buf_append(b, auth, (size_t)(end - auth));
		p = end;
	}
}

/* Replaces every occurrence of secret in *text (malloc'ed). */
static void redact(char **text, const char *secret)
{
	size_t sl = strlen(secret);
	const char *p = *text, *hit;
	cz_buf b;

	if (!sl || !strstr(*text, secret))
		return;
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	while ((hit = strstr(p, secret))) {
		cz_buf_append(&b, p, (size_t)(hit - p));
		cz_buf_puts(&b, "[redacted]");
		p = hit + sl;
	}
	cz_buf_puts(&b, p);
	free(*text);
	*text = cz_buf_detach(&b, NULL);
}

char *cz_git_scrub(const char *text, const char *const *secrets, size_t n)
{
	cz_buf b;
	char *out;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	strip_userinfo(text ? text : "", &b);
	out = cz_buf_detach(&b, NULL);
	for (size_t i = 0; i < n; i++)
		if (secrets[i])
			redact(&out, secrets[i]);
	return out;
}
