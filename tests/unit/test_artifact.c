/* Component artifacts: reproducible tarballs, values merging, chart
 * validation, the store (atomic puts, revisions, GC), assembly, and
 * hostile archives refused by the extractor. */

#include "helpers.h"
#include "tmpdir.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "artifact/assemble.h"
#include "artifact/chart.h"
#include "artifact/extract.h"
#include "artifact/store.h"
#include "artifact/tarball.h"
#include "util/fileio.h"
#include "util/mem.h"

static void write_text(const char *dir, const char *rel, const char *text)
{
	char *path = cz_xasprintf("%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	FILE *f;

	/* Create the parents. */
	mkdir(dir, 0755);
	for (char *p = path + strlen(dir) + 1; p <= slash; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static bool exists(const char *dir, const char *rel)
{
	char *path = cz_xasprintf("%s/%s", dir, rel);
	struct stat st;
	bool found = lstat(path, &st) == 0;

	free(path);
	return found;
}

static void pack_dir(const char *dir, cz_tar_result *res)
{
	cz_tarball t;
	cz_error err = CZ_ERROR_INIT;
	char *out = cz_xasprintf("%s.tgz", dir);

	cz_tarball_init(&t);
	if (cz_tarball_add_dir(&t, "chart", dir, &err) < 0 ||
	    cz_tarball_write_file(&t, out, res, &err) < 0)
		fail_msg("%s", err.msg);
	cz_tarball_release(&t);
	unlink(out);
	free(out);
}

/* --- reproducibility ---------------------------------------------------- */

static void test_reproducible_digest(void **state)
{
	char *a = tmpdir_make();
	char *b = tmpdir_make();
	cz_tar_result ra, rb, again;
	struct timeval old[2] = { { 1000000, 0 }, { 1000000, 0 } };
	char *path;

	(void)state;
	/* Same content, written in a different order, different times and
	 * modes (apart from the execute bit), and owner when root. */
	write_text(a, "Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0.0\n");
	write_text(a, "templates/a.yaml", "kind: A\n");
	write_text(a, "templates/b.yaml", "kind: B\n");
	write_text(a, "run.sh", "#!/bin/sh\n");
	path = cz_xasprintf("%s/run.sh", a);
	chmod(path, 0755);
	free(path);
	write_text(b, "templates/b.yaml", "kind: B\n");
	write_text(b, "run.sh", "#!/bin/sh\n");
	write_text(b, "templates/a.yaml", "kind: A\n");
	write_text(b, "Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0.0\n");
	path = cz_xasprintf("%s/run.sh", b);
	chmod(path, 0700);
	free(path);
	path = cz_xasprintf("%s/Chart.yaml", b);
	chmod(path, 0600);
	utimes(path, old);
	if (geteuid() == 0)
		assert_int_equal(chown(path, 1234, 5678), 0);
	free(path);

	pack_dir(a, &ra);
	pack_dir(a, &again);
	pack_dir(b, &rb);
	assert_string_equal(ra.digest, again.digest);
	assert_string_equal(ra.digest, rb.digest);
	assert_int_equal(ra.size, rb.size);
	assert_int_equal(ra.entries, 6); /* chart/, templates/, 4 files */

	/* A changed execute bit changes the digest. */
	path = cz_xasprintf("%s/run.sh", b);
	chmod(path, 0644);
	free(path);
	pack_dir(b, &rb);
	assert_string_not_equal(ra.digest, rb.digest);
	tmpdir_remove(a);
	tmpdir_remove(b);
	free(a);
	free(b);
}

static void test_tarball_overlay_and_conflict(void **state)
{
	char *dir = tmpdir_make();
	char *out = cz_xasprintf("%s/out.tgz", dir);
	cz_tarball t;
	cz_tar_result r1, r2;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	cz_tarball_init(&t);
	cz_tarball_add_bytes(&t, "c/values.yaml", "a: 1\n", 5, false);
	cz_tarball_add_bytes(&t, "c/values.yaml", "a: 2\n", 5, false);
	assert_int_equal(cz_tarball_write_file(&t, out, &r1, &err), 0);
	cz_tarball_release(&t);
	cz_tarball_init(&t);
	cz_tarball_add_bytes(&t, "c/values.yaml", "a: 2\n", 5, false);
	assert_int_equal(cz_tarball_write_file(&t, out, &r2, &err), 0);
	assert_string_equal(r1.digest, r2.digest); /* last one won */
	cz_tarball_add_bytes(&t, "c/values.yaml/x", "", 0, false);
	assert_int_equal(cz_tarball_write_file(&t, out, &r2, &err), CZ_EINVALID);
	assert_contains(err.msg, "both a file and a directory");
	cz_tarball_release(&t);
	tmpdir_remove(dir);
	free(dir);
	free(out);
}

/* --- values ------------------------------------------------------------- */

static void merge_case(const char *base, const char *overlay, const char *want)
{
	json_t *b = json_loads(base, 0, NULL);
	json_t *o = json_loads(overlay, 0, NULL);
	json_t *w = json_loads(want, 0, NULL);

	cz_values_merge(b, o);
	if (!json_equal(b, w)) {
		char *got = json_dumps(b, JSON_SORT_KEYS);

		fail_msg("merge %s + %s gave %s, expected %s", base, overlay, got,
			 want);
	}
	json_decref(b);
	json_decref(o);
	json_decref(w);
}

static void test_values_merge(void **state)
{
	(void)state;
	merge_case("{}", "{\"a\":1}", "{\"a\":1}");
	merge_case("{\"a\":1,\"b\":2}", "{\"a\":3}", "{\"a\":3,\"b\":2}");
	merge_case("{\"m\":{\"x\":1,\"y\":{\"z\":1}}}", "{\"m\":{\"y\":{\"w\":2}}}",
		   "{\"m\":{\"x\":1,\"y\":{\"z\":1,\"w\":2}}}");
	/* Lists are replaced, not appended. */
	merge_case("{\"l\":[1,2,3]}", "{\"l\":[4]}", "{\"l\":[4]}");
	/* A scalar replaces a map and a map replaces a scalar. */
	merge_case("{\"m\":{\"x\":1}}", "{\"m\":\"off\"}", "{\"m\":\"off\"}");
	merge_case("{\"m\":5}", "{\"m\":{\"x\":1}}", "{\"m\":{\"x\":1}}");
	/* null is a value like any other (later wins). */
	merge_case("{\"m\":{\"x\":1}}", "{\"m\":null}", "{\"m\":null}");
}

/* --- charts ------------------------------------------------------------- */

static void chart_error(const char *chart_yaml, const char *want)
{
	char *dir = tmpdir_make();
	cz_chart_info info;
	cz_error err = CZ_ERROR_INIT;

	if (chart_yaml)
		write_text(dir, "Chart.yaml", chart_yaml);
	if (cz_chart_validate(dir, &info, &err) == 0)
		fail_msg("accepted: %s", chart_yaml ? chart_yaml : "(none)");
	assert_contains(err.msg, want);
	tmpdir_remove(dir);
	free(dir);
}

static void test_chart_validation(void **state)
{
	char *dir = tmpdir_make();
	cz_chart_info info;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	write_text(dir, "Chart.yaml",
		   "apiVersion: v2\nname: my-chart_1.x\nversion: 1.2.3-rc.1\n"
		   "type: library\n");
	assert_int_equal(cz_chart_validate(dir, &info, &err), 0);
	assert_string_equal(info.name, "my-chart_1.x");
	assert_string_equal(info.version, "1.2.3-rc.1");
	assert_int_equal(info.api_version, 2);
	assert_true(info.is_library);
	tmpdir_remove(dir);
	free(dir);

	chart_error(NULL, "Chart.yaml: not found");
	chart_error("apiVersion: v3\nname: a\nversion: 1.0.0\n",
		    "apiVersion \"v3\": must be v1 or v2");
	chart_error("name: a\nversion: 1.0.0\n", "apiVersion is required");
	chart_error("apiVersion: v2\nversion: 1.0.0\n", "name is required");
	chart_error("apiVersion: v2\nname: a/b\nversion: 1.0.0\n",
		    "name \"a/b\": not a valid chart name");
	chart_error("apiVersion: v2\nname: ..\nversion: 1.0.0\n",
		    "not a valid chart name");
	chart_error("apiVersion: v2\nname: a\nversion: 1.x\n",
		    "Chart.yaml: version \"1.x\": not a semantic version");
	chart_error("apiVersion: v2\nname: a\nversion: v1.0.0\n",
		    "not a semantic version");
	chart_error("apiVersion: v2\nname: a\nversion: 1.0\n",
		    "version is not a string");
	chart_error("apiVersion: v2\nname: a\nversion: 1.0.0\ntype: app\n",
		    "type \"app\"");
	chart_error("- a\n", "not a single YAML mapping");
	chart_error("apiVersion: v2\nname: [a\n", "Chart.yaml:");
}

/* --- store -------------------------------------------------------------- */

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

static void put_bytes(cz_artifact_store *s, const char *text, cz_tar_result *r)
{
	cz_tarball t;
	cz_error err = CZ_ERROR_INIT;

	cz_tarball_init(&t);
	cz_tarball_add_bytes(&t, "c/values.yaml", text, strlen(text), false);
	if (cz_artifact_store_put(s, &t, r, &err) < 0)
		fail_msg("%s", err.msg);
	cz_tarball_release(&t);
}

/* A file moved in as is: named by its own sha256, gone from tmp/. */
static void test_store_put_file(void **state)
{
	char *dir = tmpdir_make();
	cz_artifact_store *s = NULL;
	cz_error err = CZ_ERROR_INIT;
	cz_tar_result r;
	char *src = NULL;
	char *path = NULL;
	uint64_t size = 0;

	(void)state;
	assert_int_equal(cz_artifact_store_open(dir, &s, &err), 0);
	write_text(cz_artifact_store_tmp_dir(s), "layer", "abc");
	src = cz_xasprintf("%s/layer", cz_artifact_store_tmp_dir(s));
	assert_int_equal(cz_artifact_store_put_file(s, src, &r, &err), 0);
	assert_string_equal(r.digest, "sha256:ba7816bf8f01cfea414140de5dae2223"
				      "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(r.size, 3);
	assert_int_equal(access(src, F_OK), -1);
	assert_int_equal(cz_artifact_store_lookup(s, r.digest, &path, &size,
						  &err), 0);
	assert_int_equal(size, 3);
	/* A file that is not there. */
	assert_true(cz_artifact_store_put_file(s, src, &r, &err) < 0);
	free(path);
	free(src);
	cz_artifact_store_close(s);
	tmpdir_remove(dir);
	free(dir);
}

static void test_store_put_lookup_gc(void **state)
{
	char *dir = tmpdir_make();
	char *blobs = cz_xasprintf("%s/artifacts/sha256", dir);
	char *tmp = cz_xasprintf("%s/artifacts/tmp", dir);
	cz_artifact_store *s = NULL;
	cz_error err = CZ_ERROR_INIT;
	cz_tar_result r[4];
	cz_artifact_revision *revs = NULL;
	cz_artifact_gc_stats gc;
	size_t n;
	char *path = NULL;
	uint64_t size;

	(void)state;
	assert_int_equal(cz_artifact_store_open(dir, &s, &err), 0);
	put_bytes(s, "v: 1\n", &r[0]);
	put_bytes(s, "v: 2\n", &r[1]);
	put_bytes(s, "v: 3\n", &r[2]);
	put_bytes(s, "v: 1\n", &r[3]); /* same content: same blob */
	assert_string_equal(r[0].digest, r[3].digest);
	assert_int_equal(count_files(blobs), 3);
	assert_int_equal(count_files(tmp), 0); /* nothing half-written left */

	assert_int_equal(cz_artifact_store_lookup(s, r[1].digest, &path, &size,
						  &err), 0);
	assert_int_equal(size, r[1].size);
	free(path);
	assert_int_equal(cz_artifact_store_lookup(s, "sha256:00", &path, NULL,
						  &err), CZ_EINVALID);
	assert_int_equal(cz_artifact_store_lookup(
				 s,
				 "sha256:000000000000000000000000000000000000"
				 "0000000000000000000000000000",
				 &path, NULL, &err),
			 CZ_ENOTFOUND);
	assert_int_equal(cz_artifact_store_record(s, "../evil", r[0].digest, 1,
						  &err), CZ_EINVALID);

	/* "a" had revisions 1, 2, 3; "b" still uses 1. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(cz_artifact_store_record(s, "a", r[i].digest,
							  r[i].size, &err), 0);
	assert_int_equal(cz_artifact_store_record(s, "a", r[2].digest, r[2].size,
						  &err), 0); /* no-op */
	assert_int_equal(cz_artifact_store_record(s, "b", r[0].digest, r[0].size,
						  &err), 0);
	assert_int_equal(cz_artifact_store_revisions(s, "a", &revs, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(revs[0].digest, r[2].digest);
	assert_string_equal(revs[2].digest, r[0].digest);
	free(revs);

	/* A crash mid-write leaves only a temporary file: never a blob. */
	write_text(tmp, "blob-crashed", "half");
	assert_int_equal(cz_artifact_store_gc(s, 1, 3600, &gc, &err), 0);
	assert_int_equal(gc.revisions_dropped, 2);
	assert_int_equal(gc.blobs_deleted, 0); /* too young */
	assert_int_equal(cz_artifact_store_gc(s, 1, 0, &gc, &err), 0);
	assert_int_equal(gc.blobs_deleted, 1); /* revision 2 */
	assert_int_equal(gc.blobs_kept, 2);    /* 3 for a, 1 for b */
	assert_int_equal(count_files(blobs), 2);
	assert_int_equal(count_files(tmp), 0);
	assert_int_equal(cz_artifact_store_lookup(s, r[0].digest, &path, NULL,
						  &err), 0);
	free(path);
	assert_int_equal(cz_artifact_store_lookup(s, r[1].digest, &path, NULL,
						  &err), CZ_ENOTFOUND);
	assert_int_equal(cz_artifact_store_revisions(s, "a", &revs, &n, &err), 0);
	assert_int_equal(n, 1);
	free(revs);
	assert_int_equal(cz_artifact_store_gc(s, 0, 0, &gc, &err), CZ_EINVALID);

	cz_artifact_store_close(s);
	tmpdir_remove(dir);
	free(dir);
	free(blobs);
	free(tmp);
}

/* A scratch store behaves as a durable one (same digests, revisions,
 * lookups, nothing half-written left); only the flushes are skipped. */
static void test_store_scratch(void **state)
{
	char *dir = tmpdir_make();
	char *durable_dir = cz_xasprintf("%s/durable", dir);
	char *scratch_dir = cz_xasprintf("%s/scratch", dir);
	char *index = cz_xasprintf("%s/artifacts/index", scratch_dir);
	char *file = cz_xasprintf("%s/plain.txt", dir);
	cz_artifact_store *durable = NULL, *scratch = NULL;
	cz_error err = CZ_ERROR_INIT;
	cz_artifact_revision *revs = NULL;
	cz_tar_result a, b;
	char *path = NULL, *text = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(cz_artifact_store_open(durable_dir, &durable, &err), 0);
	assert_int_equal(cz_artifact_store_open_scratch(scratch_dir, &scratch,
							&err), 0);
	put_bytes(durable, "v: 1\n", &a);
	put_bytes(scratch, "v: 1\n", &b);
	assert_string_equal(a.digest, b.digest);
	assert_int_equal(cz_artifact_store_record(scratch, "x", b.digest, b.size,
						  &err), 0);
	assert_int_equal(cz_artifact_store_revisions(scratch, "x", &revs, &n,
						     &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(revs[0].digest, b.digest);
	assert_int_equal(cz_artifact_store_lookup(scratch, b.digest, &path, NULL,
						  &err), 0);
	assert_int_equal(count_files(index), 1); /* x.json, no temporary */
	assert_int_equal(count_files(cz_artifact_store_tmp_dir(scratch)), 0);

	/* The file write under it: whole, replaced, no temporary left. */
	assert_int_equal(cz_file_replace(file, "one", 3, 0600, false, &err), 0);
	assert_int_equal(cz_file_replace(file, "two!", 4, 0600, false, &err), 0);
	assert_int_equal(cz_file_read(file, 64, &text, NULL, &err), 0);
	assert_string_equal(text, "two!");
	assert_int_equal(count_files(dir), 3); /* durable, scratch, plain.txt */

	free(text);
	free(revs);
	free(path);
	cz_artifact_store_close(durable);
	cz_artifact_store_close(scratch);
	tmpdir_remove(dir);
	free(file);
	free(index);
	free(scratch_dir);
	free(durable_dir);
	free(dir);
}

/* --- assembly ----------------------------------------------------------- */

static const char assemble_yaml[] =
	"apiVersion: cozystack.io/v1alpha1\n"
	"kind: PackageSource\n"
	"metadata:\n  name: demo.apps\n"
	"spec:\n"
	"  sourceRef: {kind: OCIRepository, name: s, namespace: cozy-system, path: /base/}\n"
	"  variants:\n"
	"  - name: default\n"
	"    libraries:\n"
	"    - path: lib/common\n"
	"    components:\n"
	"    - name: good\n"
	"      path: charts/good\n"
	"      libraries: [common, unknown]\n"
	"      valuesFiles: [values.yaml, extra.yaml]\n"
	"    - name: missing\n"
	"      path: charts/nowhere\n"
	"    - name: bad\n"
	"      path: charts/bad\n"
	"    - name: escape\n"
	"      path: ../outside\n"
	"    - name: novalues\n"
	"      path: charts/good\n"
	"      valuesFiles: [absent.yaml]\n";

static void test_assemble(void **state)
{
	char *dir = tmpdir_make();
	char *src = cz_xasprintf("%s/src", dir);
	char *store_dir = cz_xasprintf("%s/data", dir);
	cz_artifact_store *store = NULL;
	cz_catalog cat;
	cz_assembly out;
	cz_error err = CZ_ERROR_INIT;
	char *blob = NULL;
	char *unpacked = cz_xasprintf("%s/unpacked", dir);
	char *values = NULL;
	char *values_path = NULL;
	const cz_assembled *good;

	(void)state;
	write_text(src, "base/charts/good/Chart.yaml",
		   "apiVersion: v2\nname: good\nversion: 0.1.0\n");
	write_text(src, "base/charts/good/values.yaml",
		   "image:\n  tag: \"1\"\n  pull: Always\nlist: [1, 2]\n");
	write_text(src, "base/charts/good/extra.yaml",
		   "image:\n  tag: \"2\"\nlist: [3]\n");
	write_text(src, "base/charts/good/templates/a.yaml", "kind: A\n");
	write_text(src, "base/lib/common/Chart.yaml",
		   "apiVersion: v2\nname: common\nversion: 1.0.0\ntype: library\n");
	write_text(src, "base/lib/common/templates/_h.tpl", "{{/* h */}}\n");
	write_text(src, "base/charts/bad/Chart.yaml",
		   "apiVersion: v2\nname: bad\nversion: 1.x\n");
	load_ok(&cat, assemble_yaml);
	assert_int_equal(cz_artifact_store_open(store_dir, &store, &err), 0);
	assert_int_equal(cz_assemble_source(src, cat.sources[0], store, NULL, &out,
					    &err), 0);
	assert_int_equal(out.nitems, 5);
	assert_int_equal(out.nerrors, 4);
	good = &out.items[0];
	assert_string_equal(good->name, "demo-apps-default-good");
	assert_int_equal(good->error.code, 0);
	assert_string_equal(good->chart.version, "0.1.0");
	assert_contains(out.items[1].error.msg,
			"component demo.apps/missing: path \"charts/nowhere\": "
			"directory not found in the source");
	assert_contains(out.items[2].error.msg,
			"component demo.apps/bad: path \"charts/bad\": "
			"Chart.yaml: version \"1.x\": not a semantic version");
	assert_contains(out.items[3].error.msg, "not a path inside the source");
	assert_contains(out.items[4].error.msg,
			"values file \"absent.yaml\": not found");

	/* Unpack and check the layout and the merged values. */
	assert_int_equal(cz_artifact_store_lookup(store, good->result.digest,
						  &blob, NULL, &err), 0);
	assert_int_equal(cz_extract_file(blob, unpacked, NULL, NULL, &err), 0);
	assert_true(exists(unpacked, "good/Chart.yaml"));
	assert_true(exists(unpacked, "good/templates/a.yaml"));
	assert_true(exists(unpacked, "good/charts/common/Chart.yaml"));
	assert_true(exists(unpacked, "good/charts/common/templates/_h.tpl"));
	assert_false(exists(unpacked, "good/charts/unknown"));
	values_path = cz_xasprintf("%s/good/values.yaml", unpacked);
	assert_int_equal(cz_file_read(values_path, 4096, &values, NULL, &err), 0);
	assert_string_equal(values, "image:\n  tag: \"2\"\n  pull: Always\n"
				    "list:\n- 3\n");

	/* Assembling again gives the same digest. */
	{
		cz_assembly again;

		assert_int_equal(cz_assemble_source(src, cat.sources[0], store,
						    NULL, &again, &err), 0);
		assert_string_equal(again.items[0].result.digest,
				    good->result.digest);
		cz_assembly_release(&again);
	}
	cz_assembly_release(&out);
	cz_artifact_store_close(store);
	cz_catalog_release(&cat);
	tmpdir_remove(dir);
	free(values);
	free(values_path);
	free(blob);
	free(unpacked);
	free(dir);
	free(src);
	free(store_dir);
}

/* Two sources assembled in one pool of threads give, per source and in
 * spec order, what assembling each alone on one thread gives. */
static void test_assemble_sources(void **state)
{
	static const char more_yaml[] =
		"---\n"
		"apiVersion: cozystack.io/v1alpha1\n"
		"kind: PackageSource\n"
		"metadata:\n  name: demo.more\n"
		"spec:\n"
		"  sourceRef: {kind: OCIRepository, name: s, namespace: cozy-system, path: /base/}\n"
		"  variants:\n"
		"  - name: one\n"
		"    components:\n"
		"    - name: a\n"
		"      path: charts/good\n"
		"  - name: two\n"
		"    components:\n"
		"    - name: b\n"
		"      path: charts/good\n"
		"      valuesFiles: [extra.yaml]\n";
	cz_assemble_opts opts = { 0, 0, 4, 0 };
	char *dir = tmpdir_make();
	char *src = cz_xasprintf("%s/src", dir);
	char *yaml = cz_xasprintf("%s%s", assemble_yaml, more_yaml);
	char *pooled_dir = cz_xasprintf("%s/pooled", dir);
	char *alone_dir = cz_xasprintf("%s/alone", dir);
	cz_artifact_store *pooled = NULL, *alone = NULL;
	cz_assembly out[2], one;
	cz_error err = CZ_ERROR_INIT;
	cz_catalog cat;

	(void)state;
	write_text(src, "base/charts/good/Chart.yaml",
		   "apiVersion: v2\nname: good\nversion: 0.1.0\n");
	write_text(src, "base/charts/good/values.yaml", "a: 1\n");
	write_text(src, "base/charts/good/extra.yaml", "a: 2\n");
	write_text(src, "base/lib/common/Chart.yaml",
		   "apiVersion: v2\nname: common\nversion: 1.0.0\ntype: library\n");
	load_ok(&cat, yaml);
	assert_int_equal(cat.nsources, 2);
	assert_int_equal(cz_artifact_store_open_scratch(pooled_dir, &pooled,
							&err), 0);
	assert_int_equal(cz_artifact_store_open(alone_dir, &alone, &err), 0);
	assert_int_equal(cz_assemble_sources(src,
					     (const cz_source *const *)
						     cat.sources,
					     2, pooled, &opts, out, &err), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(cz_assemble_source(src, cat.sources[i], alone,
						    NULL, &one, &err), 0);
		assert_int_equal(out[i].nitems, one.nitems);
		assert_int_equal(out[i].nerrors, one.nerrors);
		for (size_t k = 0; k < one.nitems; k++) {
			assert_string_equal(out[i].items[k].name,
					    one.items[k].name);
			assert_int_equal(out[i].items[k].error.code,
					 one.items[k].error.code);
			assert_string_equal(out[i].items[k].result.digest,
					    one.items[k].result.digest);
		}
		cz_assembly_release(&one);
	}
	/* demo.apps as in test_assemble; demo.more's two in spec order. */
	assert_int_equal(out[0].nitems, 5);
	assert_int_equal(out[1].nitems, 2);
	assert_int_equal(out[1].nerrors, 0);
	assert_string_equal(out[1].items[0].name, "demo-more-one-a");
	assert_string_equal(out[1].items[1].name, "demo-more-two-b");
	assert_string_not_equal(out[1].items[0].result.digest,
				out[1].items[1].result.digest);
	cz_assembly_release(&out[0]);
	cz_assembly_release(&out[1]);

	/* No tree: nothing built, every assembly empty. */
	assert_int_equal(cz_assemble_sources("/nonexistent/tree",
					     (const cz_source *const *)
						     cat.sources,
					     2, pooled, &opts, out, &err),
			 CZ_ENOTFOUND);
	assert_int_equal(out[0].nitems + out[1].nitems, 0);

	cz_artifact_store_close(pooled);
	cz_artifact_store_close(alone);
	cz_catalog_release(&cat);
	tmpdir_remove(dir);
	free(alone_dir);
	free(pooled_dir);
	free(yaml);
	free(src);
	free(dir);
}

/* --- hostile archives ---------------------------------------------------- */

typedef struct hostile_entry {
	const char *path;
	mode_t type;      /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO */
	const char *link; /* symlink target, or hard link target (type 0) */
	const char *data;
} hostile_entry;

/* Builds a .tar.gz in memory from entries; *len_out its size. */
static void *build_archive(const hostile_entry *entries, size_t n,
			   size_t *len_out)
{
	size_t cap = 1 << 20;
	void *buf = cz_xmalloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_memory(a, buf, cap, len_out),
			 ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		size_t dlen = entries[i].data ? strlen(entries[i].data) : 0;

		archive_entry_clear(e);
		archive_entry_set_pathname(e, entries[i].path);
		if (entries[i].type == 0) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, entries[i].link);
		} else {
			archive_entry_set_filetype(e, entries[i].type);
		}
		if (entries[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, entries[i].link);
		archive_entry_set_perm(e, entries[i].type == AE_IFDIR ? 0755 : 0644);
		archive_entry_set_size(e, entries[i].type == AE_IFREG ? (int64_t)dlen
								      : 0);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (dlen)
			archive_write_data(a, entries[i].data, dlen);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	return buf;
}

/* Extracts entries into base/target and expects a refusal containing want,
 * with nothing appearing in base but the target. */
static void expect_refused(const hostile_entry *entries, size_t n,
			   const cz_extract_limits *lim, const char *want)
{
	char *base = tmpdir_make();
	char *target = cz_xasprintf("%s/target", base);
	size_t len = 0;
	void *data = build_archive(entries, n, &len);
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_extract_memory(data, len, target, lim, NULL, &err);

	if (rc == 0)
		fail_msg("archive with \"%s\" was accepted", entries[n - 1].path);
	assert_contains(err.msg, want);
	assert_int_equal(count_files(base), 1); /* only target/ */
	assert_false(exists(base, "x"));
	assert_false(exists(base, "escaped"));
	tmpdir_remove(base);
	free(base);
	free(target);
	free(data);
}

#define REFUSE(want, ...)                                                      \
	do {                                                                   \
		const hostile_entry list_[] = { __VA_ARGS__ };                 \
		expect_refused(list_, sizeof(list_) / sizeof(list_[0]), NULL,  \
			       want);                                          \
	} while (0)

static void test_hostile_archives(void **state)
{
	(void)state;
	REFUSE("entry \"../x\": path has a \"..\" component",
	       { "../x", AE_IFREG, NULL, "boom" });
	REFUSE("entry \"a/../../x\"", { "a/../../x", AE_IFREG, NULL, "boom" });
	REFUSE("entry \"/etc/x\": absolute path",
	       { "/etc/x", AE_IFREG, NULL, "boom" });
	REFUSE("entry \"link\": symbolic link to \"../../\" points outside",
	       { "link", AE_IFLNK, "../../", NULL },
	       { "link/escaped", AE_IFREG, NULL, "boom" });
	REFUSE("points outside", { "d/link", AE_IFLNK, "/etc", NULL });
	REFUSE("points outside", { "d/link", AE_IFLNK, "../..", NULL });
	/* A link that stays inside is fine, but nothing is written through
	 * it, so it cannot be retargeted by a later entry either. */
	REFUSE("entry \"sub/x\": path goes through \"sub\"",
	       { "real", AE_IFDIR, NULL, NULL },
	       { "sub", AE_IFLNK, "real", NULL },
	       { "sub/x", AE_IFREG, NULL, "boom" });
	REFUSE("entry \"h\": hard link target \"../escaped\"",
	       { "h", 0, "../escaped", NULL });
	REFUSE("hard link target \"/etc/passwd\"",
	       { "h", 0, "/etc/passwd", NULL });
	REFUSE("entry \"null\": character device entries are not allowed",
	       { "null", AE_IFCHR, NULL, NULL });
	REFUSE("entry \"fifo\": FIFO entries are not allowed",
	       { "fifo", AE_IFIFO, NULL, NULL });
	{
		const hostile_entry many[] = {
			{ "a", AE_IFREG, NULL, "1" }, { "b", AE_IFREG, NULL, "2" },
			{ "c", AE_IFREG, NULL, "3" },
		};
		const cz_extract_limits two = { 1000, 2 };
		const cz_extract_limits small = { 2, 100 };

		expect_refused(many, 3, &two, "entry \"c\": more than 2 entries");
		expect_refused(many, 3, &small,
			       "entry \"c\": archive expands beyond 2 bytes");
	}
}

static void test_safe_archive_extracts(void **state)
{
	const hostile_entry ok[] = {
		{ "./", AE_IFDIR, NULL, NULL },
		{ "./chart/", AE_IFDIR, NULL, NULL },
		{ "chart/Chart.yaml", AE_IFREG, NULL, "name: a\n" },
		{ "chart/link", AE_IFLNK, "Chart.yaml", NULL },
		{ "chart/t/up", AE_IFLNK, "../Chart.yaml", NULL },
		{ "chart/hard", 0, "chart/Chart.yaml", NULL },
		{ "chart/Chart.yaml", AE_IFREG, NULL, "name: b\n" },
	};
	char *dir = tmpdir_make();
	size_t len = 0;
	void *data = build_archive(ok, sizeof(ok) / sizeof(ok[0]), &len);
	cz_extract_stats stats;
	cz_error err = CZ_ERROR_INIT;
	char *text = NULL;
	char *path = cz_xasprintf("%s/chart/Chart.yaml", dir);

	(void)state;
	if (cz_extract_memory(data, len, dir, NULL, &stats, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(stats.entries, 7);
	assert_true(exists(dir, "chart/link"));
	assert_true(exists(dir, "chart/t/up"));
	assert_true(exists(dir, "chart/hard"));
	/* A later entry of the same path replaces the earlier one. */
	assert_int_equal(cz_file_read(path, 100, &text, NULL, &err), 0);
	assert_string_equal(text, "name: b\n");
	free(text);
	free(path);
	free(data);
	tmpdir_remove(dir);
	free(dir);
}

/* 1 GiB of zeros in one entry, gzip'd to about 1 MiB while streaming. */
static void test_decompression_bomb(void **state)
{
	size_t cap = 4 << 20;
	void *buf = cz_xmalloc(cap);
	size_t used = 0;
	char *zeros = cz_xcalloc(1, 1 << 20);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char *base = tmpdir_make();
	char *target = cz_xasprintf("%s/target", base);
	cz_extract_limits lim = { 64 << 20, 100 };
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "zeros");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (int64_t)1 << 30);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	for (int i = 0; i < 1024; i++)
		assert_int_equal(archive_write_data(a, zeros, 1 << 20), 1 << 20);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	assert_true(used < (8u << 20));
	assert_int_equal(cz_extract_memory(buf, used, target, &lim, NULL, &err),
			 CZ_ETOOLARGE);
	assert_contains(err.msg, "entry \"zeros\": archive expands beyond");
	assert_false(exists(target, "zeros")); /* refused before writing */
	archive_write_free(a);
	archive_entry_free(e);
	tmpdir_remove(base);
	free(base);
	free(target);
	free(zeros);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reproducible_digest),
		cmocka_unit_test(test_tarball_overlay_and_conflict),
		cmocka_unit_test(test_values_merge),
		cmocka_unit_test(test_chart_validation),
		cmocka_unit_test(test_store_put_lookup_gc),
		cmocka_unit_test(test_store_put_file),
		cmocka_unit_test(test_store_scratch),
		cmocka_unit_test(test_assemble),
		cmocka_unit_test(test_assemble_sources),
		cmocka_unit_test(test_hostile_archives),
		cmocka_unit_test(test_safe_archive_extracts),
		cmocka_unit_test(test_decompression_bomb),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
