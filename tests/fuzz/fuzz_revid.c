/* libFuzzer target: package revision identities from arbitrary text - the
 * checks of each part, the name and path built from them, and a path
 * found in git split back into target, realm and package - which must
 * agree with each other. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "revision/revid.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The n-th of the NUL-separated fields of text ("" past the last). */
static const char *field(const char *text, size_t len, int n)
{
	const char *p = text;

	for (int i = 0; i < n; i++) {
		p += strlen(p) + 1;
		if (p >= text + len)
			return "";
	}
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	cz_revid id;
	cz_revid_parts parts;
	char *path;

	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		if (text[i] == '\n')
			text[i] = '\0';
	id.target = field(text, size, 0);
	id.repository = field(text, size, 1);
	id.realm = field(text, size, 2);
	id.package = field(text, size, 3);
	id.workspace = field(text, size, 4);
	id.revision = "";
	if (cz_revid_check(&id, NULL) == 0) {
		free(cz_revid_name(&id));
		path = cz_revid_path(&id, "packages");
		/* A valid identity's path splits back into its parts. */
		if (cz_revid_parse_path(path, "packages",
					strcmp(id.target, "catalog") != 0,
					&parts) != 0 ||
		    strcmp(parts.realm, id.realm) != 0 ||
		    strcmp(parts.package, id.package) != 0)
			abort();
		cz_revid_parts_free(&parts);
		free(path);
	}
	if (cz_revid_parse_path(text, field(text, size, 1), size % 2, &parts) ==
	    0)
		cz_revid_parts_free(&parts);
	cz_lifecycle_allowed(cz_lifecycle_parse(text),
			     cz_lifecycle_parse(field(text, size, 1)));
	free(text);
	return 0;
}
