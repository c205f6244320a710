/* libFuzzer target: the whole loader (YAML/JSON parsing, List unwrapping,
 * validation, catalog building) on arbitrary bytes, then the engine over
 * whatever loaded. */

#include <stddef.h>
#include <stdint.h>

#include "engine/render.h"
#include "model/load.h"
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

static int discard(void *ctx, const char *data, size_t len, cz_error *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	(void)err;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cz_catalog cat;
	cz_diags diags;
	cz_loader ld;
	cz_render r;

	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	ld.limits.max_nodes = 100000;
	cz_load_buffer(&ld, (const char *)data, size, "fuzz.yaml");
	cz_catalog_finish(&cat);
	cz_render_run(&r, &cat, NULL, &diags);
	cz_render_write(&r, CZ_RENDER_YAML, discard, NULL, &diags, NULL);
	cz_render_write(&r, CZ_RENDER_JSON, discard, NULL, &diags, NULL);
	cz_render_release(&r);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
	return 0;
}
