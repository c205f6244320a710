/* Shared helpers for the cmocka unit tests. */
#ifndef CZ_TEST_HELPERS_H
#define CZ_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/catalog.h"
#include "model/load.h"
#include "util/diags.h"

/* Loads yaml into a finished catalog; fails the test on any error. */
static inline void load_ok(cz_catalog *cat, const char *yaml)
{
	cz_diags diags;
	cz_loader ld;
	int rc;

	cz_catalog_init(cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, cat, &diags);
	rc = cz_load_buffer(&ld, yaml, strlen(yaml), "test.yaml");
	if (rc != 0 || diags.nerrors) {
		cz_diags_print(&diags, stderr);
		fail_msg("loading failed");
	}
	cz_catalog_finish(cat);
	cz_diags_release(&diags);
}

/* Loads yaml expecting errors; returns the diagnostics' text joined. */
static inline char *load_errors(const char *yaml)
{
	static char text[8192];
	cz_catalog cat;
	cz_diags diags;
	cz_loader ld;

	text[0] = '\0';
	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	cz_load_buffer(&ld, yaml, strlen(yaml), "t.yaml");
	for (size_t i = 0; i < diags.len; i++) {
		strncat(text, diags.items[i].text, sizeof(text) - strlen(text) - 2);
		strncat(text, "\n", sizeof(text) - strlen(text) - 1);
	}
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
	return text;
}

#define assert_contains(haystack, needle)                                      \
	do {                                                                   \
		const char *h_ = (haystack);                                   \
		if (!strstr(h_, (needle)))                                     \
			fail_msg("\"%s\" does not contain \"%s\"", h_,         \
				 (needle));                                    \
	} while (0)

#endif
