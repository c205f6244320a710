/* libFuzzer target: semantic versions and constraints on arbitrary text.
 * The input is split at the first newline: a constraint, then a version;
 * every parsed version is also compared with itself and a fixed one, and
 * the whole input is tried as a semverFilter regex over a few tags. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/semver.h"

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

static const char *const tags[] = { "1.0.0", "v2.0.0", "2.0.0-rc.1", "x" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *version_text;
	cz_semver_constraint *constraint = NULL;
	cz_semver version, fixed;
	char printed[512];
	size_t picked;

	memcpy(text, data, size);
	text[size] = '\0';
	version_text = strchr(text, '\n');
	if (version_text)
		*version_text++ = '\0';
	else
		version_text = text;
	cz_semver_parse("1.2.3-rc.1", CZ_SEMVER_STRICT, &fixed, NULL);
	if (cz_semver_parse(version_text, CZ_SEMVER_ALLOW_V, &version, NULL) == 0) {
		cz_semver reparsed;

		if (cz_semver_compare(&version, &version) != 0)
			abort();
		if (cz_semver_compare(&version, &fixed) !=
		    -cz_semver_compare(&fixed, &version))
			abort();
		cz_semver_format(&version, printed, sizeof(printed));
		if (cz_semver_parse(printed, CZ_SEMVER_STRICT, &reparsed, NULL) != 0 ||
		    cz_semver_compare(&version, &reparsed) != 0)
			abort();
	}
	if (cz_semver_constraint_parse(text, &constraint, NULL) == 0) {
		cz_semver_constraint_matches(constraint, &fixed);
		if (cz_semver_parse(version_text, CZ_SEMVER_ALLOW_V, &version,
				    NULL) == 0)
			cz_semver_constraint_matches(constraint, &version);
		cz_semver_pick_highest(tags, 4, text, NULL, &picked, NULL);
		cz_semver_constraint_free(constraint);
	}
	if (size < 64)
		cz_semver_pick_highest(tags, 4, "*", version_text, &picked, NULL);
	free(text);
	return 0;
}
