/* libFuzzer target: the token-file parser on arbitrary bytes, then a
 * lookup of every line's first field against what was parsed. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer calls this once, before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cz_json_use_project_allocator();
	return 0;
}

static void look_up_lines(const cz_tokens *tokens, const char *text,
			  size_t len)
{
	const char *p = text;
	const char *end = text + len;

	while (p < end) {
		size_t n = strcspn(p, ",\n");
		char *first = cz_xstrndup(p, n);

		cz_tokens_find(tokens, first);
		free(first);
		p += n;
		p += p < end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cz_error err = CZ_ERROR_INIT;
	cz_tokens *tokens = NULL;
	char *text = cz_xstrndup((const char *)data, size);

	if (cz_tokens_parse((const char *)data, size, "fuzz.csv", &tokens,
			    &err) == CZ_OK)
		look_up_lines(tokens, text, strlen(text));
	cz_tokens_free(tokens);
	free(text);
	return 0;
}
