/* libFuzzer target: the whole loader (YAML/JSON parsing, List unwrapping,
 * validation, catalog building) on arbitrary bytes, then the engine over
 * whatever loaded. */

#include <stddef.h>
#include <stdint.h>

#include "engine/render.h"
#include "model/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cz_catalog cat;
	cz_diags diags;
	cz_loader ld;
	cz_render r;
	json_t *list;

	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	ld.limits.max_nodes = 100000;
	cz_load_buffer(&ld, (const char *)data, size, "fuzz.yaml");
	cz_catalog_finish(&cat);
	cz_render_run(&r, &cat, NULL, &diags);
	list = cz_render_list(&r, &diags);
	json_decref(list);
	cz_render_release(&r);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
	return 0;
}
