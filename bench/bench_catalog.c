/* The memory of the live catalog as the controllers hold it: loads catalog
 * files, then puts every PackageSource and then every Package into a live
 * catalog one object at a time (as ctl_package.c does) and reports, per
 * object, the heap growth (mallinfo2 uordblks), the resident-set growth and
 * how much of each object's own arena is used, and the time per put.
 * Usage: bench_catalog FILE_OR_DIR... */

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "model/load.h"
#include "util/mem.h"

typedef struct sample {
	size_t heap; /* bytes in use by malloc */
	size_t rss;  /* resident bytes */
	double ms;   /* monotonic clock */
} sample;

typedef struct arena_use {
	size_t used;     /* bytes handed out */
	size_t reserved; /* bytes in chunks */
	size_t max_used;
} arena_use;

static sample measure(void)
{
	struct mallinfo2 mi = mallinfo2();
	sample s = { mi.uordblks, 0, 0 };
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s.ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) == 2)
			s.rss = resident * (size_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	return s;
}

static void add_use(arena_use *u, const cz_arena *a)
{
	u->used += a->total;
	u->reserved += a->reserved;
	if (a->total > u->max_used)
		u->max_used = a->total;
}

/* Compact JSON text length, for comparison with the arena's size. */
static size_t json_len(const json_t *obj)
{
	return json_dumpb(obj, NULL, 0, JSON_COMPACT);
}

static void report(const char *kind, size_t n, sample before, sample after,
		   const arena_use *u, size_t text)
{
	if (!n)
		return;
	printf("%-13s n=%zu  heap %7.0f B/object  RSS %7.0f B/object  "
	       "arena used %5.0f B (max %zu) of %6.0f B reserved (%.1f%%)  "
	       "JSON %5.0f B  put %.2f us\n",
	       kind, n, (double)(after.heap - before.heap) / (double)n,
	       ((double)after.rss - (double)before.rss) / (double)n,
	       (double)u->used / (double)n, u->max_used,
	       (double)u->reserved / (double)n,
	       u->reserved ? 100.0 * (double)u->used / (double)u->reserved : 0,
	       (double)text / (double)n,
	       (after.ms - before.ms) * 1e3 / (double)n);
}

int main(int argc, char **argv)
{
	cz_catalog staging, live;
	cz_diags diags;
	cz_loader ld;
	json_t **sources = NULL, **packages = NULL;
	size_t nsources = 0, npackages = 0, src_text = 0, pkg_text = 0;
	arena_use src_use = { 0 }, pkg_use = { 0 };
	sample s0, s1, s2;
	int rc = 1;

	cz_json_use_project_allocator();
	if (argc < 2) {
		fprintf(stderr, "usage: bench_catalog FILE_OR_DIR...\n");
		return 2;
	}
	cz_catalog_init(&staging);
	cz_catalog_init(&live);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &staging, &diags);
	for (int i = 1; i < argc; i++)
		cz_load_path(&ld, argv[i]);
	if (diags.nerrors) {
		cz_diags_print(&diags, stderr);
		goto cleanup;
	}
	/* Only the JSON objects outlive the staging catalog, so that the
	 * growth measured below is the live catalog's own. */
	nsources = staging.nsources;
	npackages = staging.npackages;
	sources = cz_xcalloc(nsources, sizeof(*sources));
	packages = cz_xcalloc(npackages, sizeof(*packages));
	for (size_t i = 0; i < nsources; i++) {
		sources[i] = json_incref(staging.sources[i]->object);
		src_text += json_len(sources[i]);
	}
	for (size_t i = 0; i < npackages; i++) {
		packages[i] = json_incref(staging.packages[i]->object);
		pkg_text += json_len(packages[i]);
	}
	cz_catalog_release(&staging);
	malloc_trim(0);

	s0 = measure();
	for (size_t i = 0; i < nsources; i++)
		cz_catalog_put_source(&live, sources[i]);
	s1 = measure();
	for (size_t i = 0; i < npackages; i++)
		cz_catalog_put_package(&live, packages[i]);
	s2 = measure();

	for (size_t i = 0; i < live.nsources; i++)
		add_use(&src_use, live.sources[i]->own);
	for (size_t i = 0; i < live.npackages; i++)
		add_use(&pkg_use, live.packages[i]->own);
	report("PackageSource", nsources, s0, s1, &src_use, src_text);
	report("Package", npackages, s1, s2, &pkg_use, pkg_text);
	rc = 0;

cleanup:
	cz_catalog_release(&live);
	cz_catalog_release(&staging);
	for (size_t i = 0; sources && i < nsources; i++)
		json_decref(sources[i]);
	for (size_t i = 0; packages && i < npackages; i++)
		json_decref(packages[i]);
	free(sources);
	free(packages);
	cz_diags_release(&diags);
	return rc;
}
