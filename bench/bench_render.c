/* Times the phases of `cozypkg render` inside one process: loading
 * (parse + validate + catalog), the engine to its fixed point, building
 * the output objects, and writing YAML.  Usage: bench_render FILE... */

#include <stdio.h>
#include <time.h>

#include "engine/render.h"
#include "model/load.h"
#include "util/mem.h"

static int count(void *ctx, const char *data, size_t len, cz_error *err)
{
	(void)data;
	(void)err;
	*(size_t *)ctx += len;
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	cz_catalog cat;
	cz_diags diags;
	cz_loader ld;
	cz_render r;
	size_t bytes = 0;
	double t0, t1, t2, t3;

	cz_json_use_project_allocator();
	if (argc < 2) {
		fprintf(stderr, "usage: bench_render FILE...\n");
		return 2;
	}
	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	t0 = now_ms();
	for (int i = 1; i < argc; i++)
		cz_load_path(&ld, argv[i]);
	cz_catalog_finish(&cat);
	if (diags.nerrors) {
		cz_diags_print(&diags, stderr);
		return 1;
	}
	t1 = now_ms();
	cz_render_run(&r, &cat, NULL, &diags);
	t2 = now_ms();
	cz_render_write(&r, CZ_RENDER_YAML, count, &bytes, &diags, NULL);
	t3 = now_ms();
	printf("packages=%zu load_ms=%.1f engine_ms=%.1f write_ms=%.1f "
	       "output_bytes=%zu\n",
	       cat.npackages, t1 - t0, t2 - t1, t3 - t2, bytes);
	cz_render_release(&r);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
	return 0;
}
