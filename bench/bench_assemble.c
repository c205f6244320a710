/* Times component artifacts: a source artifact of about 100 MB (N charts
 * of templates that compress like real YAML, a few large files, two
 * libraries) is packed once, then extracted and assembled into N
 * artifacts, as the ArtifactGenerator does on every source revision.
 * Usage: bench_assemble [-n COMPONENTS] [-j THREADS] [-l GZIP_LEVEL] [-d DIR]
 * (default 200 components, 2 threads, DIR under /tmp, removed at the end
 * unless -d is given). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "artifact/assemble.h"
#include "artifact/extract.h"
#include "artifact/store.h"
#include "artifact/tarball.h"
#include "model/load.h"
#include "util/buf.h"
#include "util/diags.h"
#include "util/mem.h"

#define BENCH_NAME "bench_assemble"
#include "bench.h"

#define TEMPLATES_PER_CHART 20
#define TEMPLATE_BYTES (16 * 1024)
#define BIG_EVERY 10               /* one chart in 10 has a big file */
#define BIG_BYTES (2 * 1024 * 1024) /* like a bundled CRD or dashboard */

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned long long next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *const words[] = {
	"name", "namespace", "labels", "app.kubernetes.io/name", "image",
	"containers", "resources", "limits", "requests", "cpu", "memory",
	"{{ .Values.image.tag }}", "{{- include \"common.labels\" . }}",
	"spec", "metadata", "selector", "matchLabels", "ports", "port",
	"targetPort", "protocol", "TCP", "volumeMounts", "mountPath",
	"readinessProbe", "httpGet", "path", "/healthz", "env", "value",
};

/* Writes size bytes of template-like text with random tokens. */
static void write_template(const char *path, size_t size)
{
	FILE *f = fopen(path, "w");
	size_t written = 0;

	if (!f)
		bench_die(path, NULL);
	while (written < size) {
		int indent = (int)(next_random() % 6) * 2;
		unsigned long long r = next_random();
		int n = fprintf(f, "%*s%s: %s-%08llx\n", indent, "",
				words[r % 30], words[(r >> 8) % 30],
				next_random() & 0xffffffffULL);

		written += (size_t)n;
	}
	fclose(f);
}

/* Writes about size bytes of flat YAML values. */
static void write_values(const char *path, size_t size)
{
	FILE *f = fopen(path, "w");
	size_t written = 0;

	if (!f)
		bench_die(path, NULL);
	for (unsigned k = 0; written < size; k++)
		written += (size_t)fprintf(f, "key%04u: value-%08llx\n", k,
					   next_random() & 0xffffffffULL);
	fclose(f);
}

/* Writes size bytes of base64-like text (incompressible-ish). */
static void write_big(const char *path, size_t size)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	FILE *f = fopen(path, "w");
	char line[77];

	if (!f)
		bench_die(path, NULL);
	for (size_t written = 0; written < size; written += sizeof(line)) {
		for (size_t i = 0; i < sizeof(line) - 1; i++)
			line[i] = alphabet[next_random() & 63];
		line[sizeof(line) - 1] = '\n';
		fwrite(line, 1, sizeof(line), f);
	}
	fclose(f);
}

static void write_small(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		bench_die(path, NULL);
	fputs(text, f);
	fclose(f);
}

static void make_chart(const char *root, const char *rel, const char *name,
		       bool library, size_t templates, bool big)
{
	char *dir = cz_xasprintf("%s/%s", root, rel);
	char *tdir = cz_xasprintf("%s/templates", dir);
	char *path;

	mkdir(dir, 0755);
	mkdir(tdir, 0755);
	path = cz_xasprintf("%s/Chart.yaml", dir);
	{
		char *text = cz_xasprintf("apiVersion: v2\nname: %s\nversion: "
					  "1.%zu.0\ntype: %s\n",
					  name, templates, library ? "library"
								   : "application");

		write_small(path, text);
		free(text);
	}
	free(path);
	path = cz_xasprintf("%s/values.yaml", dir);
	write_values(path, 4096);
	free(path);
	path = cz_xasprintf("%s/values-extra.yaml", dir);
	write_small(path, "replicas: 3\nimage:\n  tag: v2\n");
	free(path);
	for (size_t i = 0; i < templates; i++) {
		path = cz_xasprintf("%s/t%02zu.yaml", tdir, i);
		write_template(path, TEMPLATE_BYTES);
		free(path);
	}
	if (big) {
		path = cz_xasprintf("%s/big.yaml", dir);
		write_big(path, BIG_BYTES);
		free(path);
	}
	free(dir);
	free(tdir);
}

int main(int argc, char **argv)
{
	size_t n = 200;
	unsigned threads = 2;
	const char *given_dir = NULL;
	char tmpl[] = "/tmp/cz-bench-assemble-XXXXXX";
	char *work, *tree, *charts, *libs, *yaml_path, *archive, *extracted;
	cz_buf yaml;
	cz_tarball t;
	cz_tar_result packed;
	cz_error err = CZ_ERROR_INIT;
	cz_extract_stats xs;
	cz_catalog cat;
	cz_diags diags;
	cz_loader ld;
	cz_artifact_store *store = NULL;
	cz_assemble_opts opts = { 0, 0, 2, 0 };
	cz_assembly out;
	uint64_t out_bytes = 0;
	double t0, t1, t2;
	int opt;

	cz_json_use_project_allocator();
	while ((opt = getopt(argc, argv, "n:j:d:l:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (opt == 'j')
			threads = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'l')
			opts.compression_level = atoi(optarg);
		else if (opt == 'd')
			given_dir = optarg;
		else
			return 2;
	}
	opts.threads = threads;
	work = given_dir ? cz_xstrdup(given_dir) : cz_xstrdup(mkdtemp(tmpl));
	mkdir(work, 0755);
	tree = cz_xasprintf("%s/tree", work);
	charts = cz_xasprintf("%s/charts", tree);
	libs = cz_xasprintf("%s/lib", tree);
	mkdir(tree, 0755);
	mkdir(charts, 0755);
	mkdir(libs, 0755);

	yaml_path = cz_xasprintf("%s/source.yaml", work);
	archive = cz_xasprintf("%s/source.tar.gz", work);
	if (access(archive, F_OK) == 0)
		goto generated; /* -d with a tree from an earlier run */
	/* The source tree and its PackageSource. */
	cz_buf_init(&yaml, CZ_BUF_UNLIMITED);
	cz_buf_puts(&yaml, "apiVersion: cozystack.io/v1alpha1\nkind: PackageSource\n"
			   "metadata:\n  name: bench.platform\nspec:\n"
			   "  sourceRef:\n    kind: OCIRepository\n"
			   "    name: bench\n    namespace: cozy-system\n"
			   "    path: /\n  variants:\n  - name: default\n"
			   "    libraries:\n    - path: lib/common\n"
			   "    - path: lib/extra\n    components:\n");
	make_chart(tree, "lib/common", "common", true, 4, false);
	make_chart(tree, "lib/extra", "extra", true, 4, false);
	for (size_t i = 0; i < n; i++) {
		char rel[64], name[32];

		snprintf(rel, sizeof(rel), "charts/app%03zu", i);
		snprintf(name, sizeof(name), "app%03zu", i);
		make_chart(tree, rel, name, false, TEMPLATES_PER_CHART,
			   i % BIG_EVERY == 0);
		cz_buf_printf(&yaml,
			      "    - name: %s\n      path: %s\n"
			      "      libraries: [common%s]\n"
			      "      valuesFiles: [values.yaml%s]\n",
			      name, rel, i % 2 ? ", extra" : "",
			      i % 3 ? "" : ", values-extra.yaml");
	}
	write_small(yaml_path, yaml.data);
	cz_buf_release(&yaml);

	cz_tarball_init(&t);
	if (cz_tarball_add_dir(&t, "", tree, &err) < 0 ||
	    cz_tarball_write_file(&t, archive, &packed, &err) < 0)
		bench_die("pack", &err);
	cz_tarball_release(&t);
generated:
	sync(); /* the tree's writeback is not part of the timing */
	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cz_loader_init(&ld, &cat, &diags);
	cz_load_path(&ld, yaml_path);
	if (diags.nerrors) {
		cz_diags_print(&diags, stderr);
		return 1;
	}
	cz_catalog_finish(&cat);
	{
		char *data = cz_xasprintf("%s/data", work);

		if (cz_artifact_store_open(data, &store, &err) < 0)
			bench_die("store", &err);
		free(data);
	}

	/* Timed: extract, then assemble every component. */
	extracted = cz_xasprintf("%s/extracted", work);
	t0 = bench_now();
	if (cz_extract_file(archive, extracted, NULL, &xs, &err) < 0)
		bench_die("extract", &err);
	t1 = bench_now();
	if (cz_assemble_source(extracted, cat.sources[0], store, &opts, &out,
			       &err) < 0)
		bench_die("assemble", &err);
	t2 = bench_now();
	if (out.nerrors)
		bench_die("component",
		    &out.items[0].error);
	for (size_t i = 0; i < out.nitems; i++)
		out_bytes += out.items[i].result.size;

	printf("source: %zu entries, %.1f MB unpacked\n", xs.entries,
	       (double)xs.bytes / 1e6);
	printf("extract %.3f s; assemble %zu artifacts (%u threads) %.3f s, "
	       "%.1f MB written; total %.3f s\n",
	       t1 - t0, out.nitems, threads, t2 - t1, (double)out_bytes / 1e6,
	       t2 - t0);

	cz_assembly_release(&out);
	cz_artifact_store_close(store);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
	if (given_dir) {
		char *cmd = cz_xasprintf("rm -rf '%s' '%s/data'", extracted, work);

		if (system(cmd) != 0)
			fprintf(stderr, "bench_assemble: could not clean %s\n",
				work);
		free(cmd);
	} else {
		char *cmd = cz_xasprintf("rm -rf '%s'", work);

		if (system(cmd) != 0)
			fprintf(stderr, "bench_assemble: could not remove %s\n",
				work);
		free(cmd);
	}
	free(work);
	free(tree);
	free(charts);
	free(libs);
	free(yaml_path);
	free(archive);
	free(extracted);
	return 0;
}
