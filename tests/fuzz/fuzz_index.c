/* libFuzzer target: one marketplace index entry file.  Whatever the
 * bytes, parsing must either give a valid entry or report at least one
 * problem, and a valid entry must survive the searches and references
 * built from it. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "market/index.h"
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

static void use_entry(const cz_market_entry *e)
{
	cz_market_index idx = { (cz_market_entry *)e, 1, 1, 1, 0 };
	const cz_market_entry **res = NULL;
	char *ref = cz_market_entry_reference(e);
	char *url = cz_market_entry_url(e);

	if (!e->name || !e->oci_ref || !e->version || strchr(e->oci_ref, '@'))
		abort();
	if (cz_market_search(&idx, e->name, &res) != 1 || res[0] != e)
		abort();
	if (cz_market_find(&idx, e->name) != e)
		abort();
	free(res);
	free(ref);
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cz_market_entry e;
	cz_diags d;
	int rc;

	cz_diags_init(&d);
	rc = cz_market_entry_parse((const char *)data, size, "fuzz.yaml",
				   size < 4096, &e, &d);
	if (rc == CZ_OK) {
		if (d.nerrors)
			abort();
		use_entry(&e);
		cz_market_entry_release(&e);
	} else if (d.nerrors == 0) {
		abort();
	}
	cz_diags_release(&d);
	return 0;
}
