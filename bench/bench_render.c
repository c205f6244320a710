/* Times the phases of `cozypkg render` inside one process: loading
 * (parse + validate + catalog), the engine to its fixed point, building
 * the output objects, and writing YAML.  Usage: bench_render FILE... */

#include <stdio.h>
#include <time.h>

#include "engine/render.h"
#include "model/load.h"
#include "object/emit.h"
#include "util/buf.h"

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
	cz_buf out;
	json_t *list;
	double t0, t1, t2, t3, t4;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_render FILE...\n");
		return 2;
	}
	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
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
	list = cz_render_list(&r, &diags);
	t3 = now_ms();
	cz_emit_yaml(&out, list, NULL);
	t4 = now_ms();
	printf("packages=%zu load_ms=%.1f engine_ms=%.1f objects_ms=%.1f "
	       "emit_ms=%.1f output_bytes=%zu\n",
	       cat.npackages, t1 - t0, t2 - t1, t3 - t2, t4 - t3, out.len);
	json_decref(list);
	cz_render_release(&r);
	cz_buf_release(&out);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
	return 0;
}
