/*
 * Test driver for component artifacts.
 *   assemble_tool [-j N] SOURCE_DIR PACKAGESOURCE_YAML OUT_DIR
 *       builds every artifact of every PackageSource in the file (or
 *       directory) from the tree SOURCE_DIR into the store under OUT_DIR;
 *       prints "NAME DIGEST SIZE CHART-VERSION" per artifact and
 *       "error NAME: MESSAGE" per failed one; exits 1 when any failed.
 *   assemble_tool extract ARCHIVE DIR [MAX_BYTES [MAX_ENTRIES]]
 *   assemble_tool pack DIR OUT.tgz      prints "DIGEST SIZE"
 *   assemble_tool gc OUT_DIR KEEP       prints what was collected
 *   assemble_tool put DATA_DIR DIR [NAME]
 *       packs DIR reproducibly into the store under DATA_DIR (the one a
 *       running cozypkgd serves), recorded as NAME when given; prints
 *       "DIGEST SIZE"
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact/assemble.h"
#include "artifact/extract.h"
#include "artifact/store.h"
#include "artifact/tarball.h"
#include "model/load.h"
#include "util/diags.h"
#include "util/mem.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: assemble_tool [-j N] SOURCE_DIR PACKAGESOURCE_YAML OUT_DIR\n"
		"       assemble_tool extract ARCHIVE DIR [MAX_BYTES [MAX_ENTRIES]]\n"
		"       assemble_tool pack DIR OUT.tgz\n"
		"       assemble_tool gc OUT_DIR KEEP\n"
		"       assemble_tool put DATA_DIR DIR [NAME]\n");
	return 2;
}

static int cmd_extract(int argc, char **argv)
{
	cz_extract_limits lim = cz_extract_default_limits;
	cz_extract_stats stats;
	cz_error err = CZ_ERROR_INIT;

	if (argc < 4 || argc > 6)
		return usage();
	if (argc > 4)
		lim.max_total_bytes = strtoull(argv[4], NULL, 10);
	if (argc > 5)
		lim.max_entries = strtoull(argv[5], NULL, 10);
	if (cz_extract_file(argv[2], argv[3], &lim, &stats, &err) < 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	printf("%zu entries %llu bytes\n", stats.entries,
	       (unsigned long long)stats.bytes);
	return 0;
}

static int cmd_pack(int argc, char **argv)
{
	cz_tarball t;
	cz_tar_result res;
	cz_error err = CZ_ERROR_INIT;
	int status = 1;

	if (argc != 4)
		return usage();
	cz_tarball_init(&t);
	if (cz_tarball_add_dir(&t, "", argv[2], &err) < 0 ||
	    cz_tarball_write_file(&t, argv[3], &res, &err) < 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		goto cleanup;
	}
	printf("%s %llu\n", res.digest, (unsigned long long)res.size);
	status = 0;
cleanup:
	cz_tarball_release(&t);
	return status;
}

static int cmd_put(int argc, char **argv)
{
	cz_artifact_store *store = NULL;
	cz_tarball t;
	cz_tar_result res;
	cz_error err = CZ_ERROR_INIT;
	int status = 1;

	if (argc != 4 && argc != 5)
		return usage();
	cz_tarball_init(&t);
	if (cz_artifact_store_open(argv[2], &store, &err) < 0 ||
	    cz_tarball_add_dir(&t, "", argv[3], &err) < 0 ||
	    cz_artifact_store_put(store, &t, &res, &err) < 0 ||
	    (argc == 5 && cz_artifact_store_record(store, argv[4], res.digest,
						   res.size, &err) < 0)) {
		fprintf(stderr, "error: %s\n", err.msg);
		goto cleanup;
	}
	printf("%s %llu\n", res.digest, (unsigned long long)res.size);
	status = 0;
cleanup:
	cz_tarball_release(&t);
	cz_artifact_store_close(store);
	return status;
}

static int cmd_gc(int argc, char **argv)
{
	cz_artifact_store *store = NULL;
	cz_artifact_gc_stats stats;
	cz_error err = CZ_ERROR_INIT;
	int status = 1;

	if (argc != 4)
		return usage();
	if (cz_artifact_store_open(argv[2], &store, &err) < 0 ||
	    cz_artifact_store_gc(store, strtoul(argv[3], NULL, 10), 0, &stats,
				 &err) < 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		goto cleanup;
	}
	printf("dropped %zu revisions, deleted %zu blobs (%llu bytes), kept %zu\n",
	       stats.revisions_dropped, stats.blobs_deleted,
	       (unsigned long long)stats.bytes_freed, stats.blobs_kept);
	status = 0;
cleanup:
	cz_artifact_store_close(store);
	return status;
}

static int cmd_assemble(int argc, char **argv)
{
	cz_assemble_opts opts = { 0, 0, 1, 0 };
	cz_catalog cat;
	cz_diags diags;
	cz_loader ld;
	cz_artifact_store *store = NULL;
	cz_error err = CZ_ERROR_INIT;
	int argi = 1;
	int status = 1;

	if (argc > 2 && strcmp(argv[1], "-j") == 0) {
		opts.threads = (unsigned)strtoul(argv[2], NULL, 10);
		argi = 3;
	}
	if (argc - argi != 3)
		return usage();
	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	cz_load_path(&ld, argv[argi + 1]);
	if (diags.nerrors) {
		cz_diags_print(&diags, stderr);
		goto cleanup;
	}
	cz_catalog_finish(&cat);
	if (cz_artifact_store_open(argv[argi + 2], &store, &err) < 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		goto cleanup;
	}
	status = 0;
	for (size_t s = 0; s < cat.nsources; s++) {
		cz_assembly out;

		if (cz_assemble_source(argv[argi], cat.sources[s], store, &opts,
				       &out, &err) < 0) {
			fprintf(stderr, "error: %s\n", err.msg);
			status = 1;
			cz_assembly_release(&out);
			break;
		}
		for (size_t i = 0; i < out.nitems; i++) {
			const cz_assembled *a = &out.items[i];

			if (a->error.code != CZ_OK) {
				printf("error %s: %s\n", a->name, a->error.msg);
				status = 1;
				continue;
			}
			printf("%s %s %llu %s-%s\n", a->name, a->result.digest,
			       (unsigned long long)a->result.size, a->chart.name,
			       a->chart.version);
		}
		cz_assembly_release(&out);
	}
cleanup:
	cz_artifact_store_close(store);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
	return status;
}

int main(int argc, char **argv)
{
	cz_json_use_project_allocator();

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "extract") == 0)
		return cmd_extract(argc, argv);
	if (strcmp(argv[1], "pack") == 0)
		return cmd_pack(argc, argv);
	if (strcmp(argv[1], "gc") == 0)
		return cmd_gc(argc, argv);
	if (strcmp(argv[1], "put") == 0)
		return cmd_put(argc, argv);
	return cmd_assemble(argc, argv);
}
