/* Checks the values of -f Package documents against the charts they will
 * reach, before anything is created: Helm would refuse them much later,
 * inside the HelmRelease. */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/patch.h"
#include "artifact/assemble.h"
#include "cli.h"
#include "object/jsonschema.h"
#include "object/yaml.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

#define SCHEMA_MAX_BYTES (4u * 1024 * 1024)
#define VALUES_MAX_BYTES (16u * 1024 * 1024)

/* Reads one YAML or JSON document; *out is NULL when the file is absent. */
static int read_doc(const char *path, size_t max, json_t **out, cz_error *err)
{
	char *data = NULL;
	size_t len = 0, ndocs = 0;
	cz_doc *docs = NULL;
	int rc;

	*out = NULL;
	rc = cz_file_read(path, max, &data, &len, err);
	if (rc == CZ_ENOTFOUND) {
		cz_error_clear(err);
		return CZ_OK;
	}
	if (rc == CZ_OK)
		rc = cz_parse_stream(data, len, path, NULL, &docs, &ndocs, NULL,
				     err);
	if (rc == CZ_OK && ndocs && docs[0].root)
		*out = json_incref(docs[0].root);
	if (rc == CZ_OK && !*out)
		*out = json_object();
	cz_docs_free(docs, ndocs);
	free(data);
	return rc;
}

/* The chart's defaults as the artifact will carry them: its valuesFiles
 * merged as the artifact generator merges them, or its own values.yaml. */
static int chart_defaults(const char *chart, const cz_component *comp,
			  json_t **out, cz_error *err)
{
	char *path = NULL;
	int rc;

	/* The generator's own cap (0): a file it refuses is refused here. */
	if (comp->values_files.len)
		return cz_values_files_merge(chart, &comp->values_files, 0, out,
					     err);
	path = cz_xasprintf("%s/values.yaml", chart);
	rc = read_doc(path, VALUES_MAX_BYTES, out, err);
	if (rc == CZ_OK && !json_is_object(*out)) {
		json_decref(*out);
		*out = json_object();
	}
	free(path);
	return rc;
}

/* The chart directory of comp under dir, from the source's base path as
 * the artifact generator reads it; malloc'ed. */
static char *chart_dir(const char *dir, const cz_source *src,
		       const cz_component *comp)
{
	cz_arena arena = CZ_ARENA_INIT;
	const char *base = cz_source_base_path(&arena, src);
	char *out = *base ? cz_xasprintf("%s/%s/%s", dir, base, comp->path)
			  : cz_xasprintf("%s/%s", dir, comp->path);

	cz_arena_release(&arena);
	return out;
}

int cli_values_check(const cz_source *src, const cz_component *comp,
		     const json_t *values, const char *dir, const char *prefix,
		     cz_buf *report, size_t *nerrors)
{
	cz_error err = CZ_ERROR_INIT;
	char *chart = chart_dir(dir, src, comp);
	char *schema_path = cz_xasprintf("%s/values.schema.json", chart);
	json_t *schema = NULL, *merged = NULL;
	size_t n = 0;
	int rc;

	rc = read_doc(schema_path, SCHEMA_MAX_BYTES, &schema, &err);
	if (rc < 0 || !schema)
		goto cleanup;
	if ((rc = chart_defaults(chart, comp, &merged, &err)) < 0 ||
	    (values && (rc = cz_merge_patch(&merged, values, &err)) < 0))
		goto cleanup;
	rc = cz_jsonschema_validate(schema, merged, prefix, report, 0, &n,
				    &err);
	*nerrors += n;
	if (rc == CZ_EINVALID)
		rc = CZ_OK;
cleanup:
	if (rc < 0) {
		cz_buf_printf(report, "%s: %s\n", schema_path, err.msg);
		(*nerrors)++;
	}
	json_decref(schema);
	json_decref(merged);
	free(schema_path);
	free(chart);
	return rc;
}

/* Validates one component's values; violations go to report. */
static int check_component(const cz_package *pkg, const cz_source *src,
			   const cz_package_component *pc,
			   const cz_component *comp, const char *dir,
			   cz_buf *report, size_t *nerrors)
{
	char *prefix = cz_xasprintf("%s:%u: spec.components.%s.values",
				    pkg->origin.file, pkg->origin.line,
				    pc->name);
	int rc = cli_values_check(src, comp, pc->values, dir, prefix, report,
				  nerrors);

	free(prefix);
	return rc;
}

/* The PackageSource a Package document installs from: from the files,
 * else from the cluster (*fetched keeps it alive). */
static const cz_source *find_source(const cz_catalog *files, cli_conn *conn,
				    const char *name, cz_catalog *fetched)
{
	const cz_source *src = cz_catalog_source(files, name);
	cz_error err = CZ_ERROR_INIT;
	json_t *obj = NULL;

	if (src)
		return src;
	if ((src = cz_catalog_source(fetched, name)))
		return src;
	if (cli_get(conn, cli_res_sources(), name, &obj, &err) < 0)
		return NULL;
	cz_catalog_put_source(fetched, obj);
	json_decref(obj);
	return cz_catalog_source(fetched, name);
}

static void check_package(const cz_package *pkg, const cz_source *src,
			  const char *dir, cz_buf *report, size_t *nerrors)
{
	const cz_variant *v = cz_source_variant(src, pkg->variant);

	for (size_t i = 0; v && i < pkg->ncomponents; i++) {
		const cz_package_component *pc = &pkg->components[i];
		const cz_component *comp = cz_variant_component(v, pc->name);

		if (pc->values && comp)
			check_component(pkg, src, pc, comp, dir, report,
					nerrors);
	}
}

int cli_check_values(const cz_catalog *files, cli_conn *conn, const char *dir)
{
	cz_catalog fetched;
	cz_buf report;
	size_t nerrors = 0;
	struct stat st;
	int rc = CLI_EXIT_OK;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "cozypkg: --source-dir %s: not a directory\n",
			dir);
		return CLI_EXIT_USAGE;
	}
	cz_catalog_init(&fetched);
	cz_buf_init(&report, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < files->npackages; i++) {
		const cz_package *pkg = files->packages[i];
		const cz_source *src =
			find_source(files, conn, pkg->name, &fetched);

		if (src)
			check_package(pkg, src, dir, &report, &nerrors);
	}
	if (nerrors) {
		fputs(report.data, stderr);
		fprintf(stderr, "cozypkg: %zu value error%s; nothing was "
				"created\n",
			nerrors, nerrors == 1 ? "" : "s");
		rc = CLI_EXIT_USAGE;
	}
	cz_buf_release(&report);
	cz_catalog_release(&fetched);
	return rc;
}
