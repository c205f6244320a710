#include "market/validate.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact/chart.h"
#include "engine/graph.h"
#include "model/catalog.h"
#include "model/load.h"
#include "model/names.h"
#include "object/jsonschema.h"
#include "object/linemap.h"
#include "object/yaml.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/strmap.h"

#define SOURCES_DIR "core/platform/sources"
#define FILE_MAX (4u << 20)
#define SCHEMA_ERRORS_MAX 20

typedef struct vctx {
	const cz_validate_opts *o;
	cz_validate_report *r;
	char *root;           /* DIR/packages */
	cz_catalog cat;       /* the repository's PackageSources */
	cz_strmap charts;     /* chart paths already checked */
	const char *file;     /* the source file being walked */
	const cz_linemap *lm; /* its lines */
} vctx;

void cz_validate_report_init(cz_validate_report *r)
{
	memset(r, 0, sizeof(*r));
	cz_diags_init(&r->diags);
}

void cz_validate_report_release(cz_validate_report *r)
{
	for (size_t i = 0; i < r->nprivileged; i++)
		free(r->privileged[i]);
	free(r->privileged);
	cz_diags_release(&r->diags);
	memset(r, 0, sizeof(*r));
}

bool cz_name_reserved(const char *name)
{
	static const char *const reserved[] = CZ_RESERVED_PREFIXES;

	for (size_t i = 0; reserved[i]; i++)
		if (strncmp(name, reserved[i], strlen(reserved[i])) == 0)
			return true;
	return false;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A path inside the artifact: relative, without ".." segments. */
static bool path_inside(const char *p)
{
	size_t n = strlen(p);

	if (!n || p[0] == '/')
		return false;
	for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2) {
		bool start = s == p || s[-1] == '/';
		bool end = s[2] == '\0' || s[2] == '/';

		if (start && end)
			return false;
	}
	return true;
}

/* ---- charts ------------------------------------------------------------ */

static json_t *read_doc(const char *path, cz_error *err)
{
	char *data = NULL;
	size_t len = 0, n = 0;
	cz_doc *docs = NULL;
	json_t *out = NULL;

	if (cz_file_read(path, FILE_MAX, &data, &len, err) == CZ_OK &&
	    cz_parse_stream(data, len, path, NULL, &docs, &n, NULL, err) ==
		    CZ_OK)
		out = n && docs[0].root ? json_incref(docs[0].root)
					: json_object();
	cz_docs_free(docs, n);
	free(data);
	return out;
}

/* values.yaml against values.schema.json, where the chart has both. */
static void check_values_schema(vctx *c, const char *chart, const char *rel)
{
	char *schema_path = cz_xasprintf("%s/values.schema.json", chart);
	char *values_path = cz_xasprintf("%s/values.yaml", chart);
	cz_error err = CZ_ERROR_INIT;
	json_t *schema = NULL, *values = NULL;
	cz_buf problems;
	size_t n = 0;

	cz_buf_init(&problems, CZ_BUF_UNLIMITED);
	if (!is_file(schema_path))
		goto cleanup;
	if (!(schema = read_doc(schema_path, &err)) ||
	    (is_file(values_path) && !(values = read_doc(values_path, &err)))) {
		cz_diags_add(&c->r->diags, CZ_DIAG_ERROR, "%s", err.msg);
		goto cleanup;
	}
	if (!values)
		values = json_object();
	if (cz_jsonschema_validate(schema, values, "", &problems,
				   SCHEMA_ERRORS_MAX, &n, &err) < 0 && !n) {
		cz_diags_add(&c->r->diags, CZ_DIAG_ERROR,
			     "packages/%s/values.schema.json: %s", rel, err.msg);
		goto cleanup;
	}
	for (char *line = problems.data; n && line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		cz_diags_add(&c->r->diags, CZ_DIAG_ERROR,
			     "packages/%s/values.yaml: %s (values.schema.json)",
			     rel, line);
		line = nl ? nl + 1 : NULL;
	}
cleanup:
	json_decref(schema);
	json_decref(values);
	cz_buf_release(&problems);
	free(schema_path);
	free(values_path);
}

/* path (field at line) is a chart of the repository; checked once. */
static bool check_chart(vctx *c, const char *path, unsigned line,
			const char *field)
{
	cz_error err = CZ_ERROR_INIT;
	cz_chart_info info;
	char *full;
	bool ok;

	if (!path_inside(path)) {
		cz_diags_add(&c->r->diags, CZ_DIAG_ERROR, "%s:%u: %s: \"%s\" "
			     "leaves the artifact (a path is relative to "
			     "packages/, without \"..\")", c->file, line,
			     field, path);
		return false;
	}
	if (cz_strmap_has(&c->charts, path))
		return true;
	full = cz_xasprintf("%s/%s", c->root, path);
	ok = cz_chart_validate(full, &info, &err) == CZ_OK;
	if (!ok)
		cz_diags_add(&c->r->diags, CZ_DIAG_ERROR, "%s:%u: %s: \"%s\" is "
			     "not a chart: %s", c->file, line, field, path,
			     err.code == CZ_ENOTFOUND && !is_dir(full)
				     ? "no such directory in packages/"
				     : err.msg);
	else
		check_values_schema(c, full, path);
	{
		/* The map borrows its keys: this copy is its own value, freed
		 * with the map. */
		char *key = cz_xstrdup(path);

		cz_strmap_put(&c->charts, key, key);
	}
	c->r->ncharts += ok;
	free(full);
	return ok;
}

/* ---- one PackageSource ------------------------------------------------- */

static unsigned key_line(const vctx *c, const json_t *obj, const char *key,
			 unsigned fallback)
{
	unsigned l = cz_linemap_key(c->lm, obj, key);

	return l ? l : fallback;
}

static unsigned item_line(const vctx *c, const json_t *arr, size_t i,
			  unsigned fallback)
{
	unsigned l = cz_linemap_index(c->lm, arr, i);

	return l ? l : fallback;
}

static void note_name(void *ctx, const char *msg)
{
	cz_buf *b = ctx;

	cz_buf_printf(b, "%s%s", b->len ? "; " : "", msg);
}

static void check_name(vctx *c, const json_t *doc, unsigned doc_line)
{
	const json_t *meta = json_object_get(doc, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	unsigned line = key_line(c, meta, "name", doc_line);
	cz_buf why;

	if (!name)
		return; /* the schema check reports it */
	cz_buf_init(&why, CZ_BUF_UNLIMITED);
	cz_name_subdomain_msgs(name, note_name, &why);
	if (why.len)
		cz_diags_add(&c->r->diags, CZ_DIAG_ERROR, "%s:%u: metadata.name: "
			     "\"%s\" is not a Kubernetes name: %s", c->file,
			     line, name, why.data);
	else if (!c->o->allow_reserved_names && cz_name_reserved(name))
		cz_diags_add(&c->r->diags, CZ_DIAG_ERROR, "%s:%u: metadata.name: "
			     "\"%s\": the prefixes \"cozystack.\" and "
			     "\"community.\" are reserved; use your "
			     "organisation's (acme.%s)", c->file, line, name,
			     strchr(name, '.') + 1);
	cz_buf_release(&why);
}

static bool known_source(const vctx *c, const char *name)
{
	if (cz_catalog_source(&c->cat, name))
		return true;
	for (size_t i = 0; c->o->known_sources && c->o->known_sources[i]; i++)
		if (strcmp(c->o->known_sources[i], name) == 0)
			return true;
	return false;
}

static void check_depends(vctx *c, const json_t *variant, const char *vpath,
			  unsigned vline)
{
	const json_t *deps = json_object_get(variant, "dependsOn");
	size_t i;
	const json_t *d;

	json_array_foreach (deps, i, d) {
		const char *name = json_string_value(d);

		if (name && !known_source(c, name))
			cz_diags_add(&c->r->diags, CZ_DIAG_ERROR, "%s:%u: "
				     "%s.dependsOn[%zu]: \"%s\" is neither a "
				     "PackageSource of this repository nor a "
				     "known source (--known-source)", c->file,
				     item_line(c, deps, i, vline), vpath, i,
				     name);
	}
}

static void check_values_files(vctx *c, const json_t *comp, const char *path,
			       const char *cpath, unsigned cline)
{
	const json_t *files = json_object_get(comp, "valuesFiles");
	size_t i;
	const json_t *f;

	json_array_foreach (files, i, f) {
		const char *name = json_string_value(f);
		char *full;

		if (!name)
			continue;
		full = cz_xasprintf("%s/%s/%s", c->root, path, name);
		if (!path_inside(name) || !is_file(full))
			cz_diags_add(&c->r->diags, CZ_DIAG_ERROR, "%s:%u: "
				     "%s.valuesFiles[%zu]: \"%s\" is not a file "
				     "of chart %s", c->file,
				     item_line(c, files, i, cline), cpath, i,
				     name, path);
		free(full);
	}
}

static void note_privileged(vctx *c, const char *source, const char *variant,
			    const json_t *comp)
{
	const json_t *install = json_object_get(comp, "install");

	if (!json_is_true(json_object_get(install, "privileged")))
		return;
	CZ_GROW(c->r->privileged, c->r->nprivileged + 1, c->r->privileged_cap);
	c->r->privileged[c->r->nprivileged++] = cz_xasprintf(
		"%s: variant %s: component %s", source, variant,
		json_string_value(json_object_get(comp, "name")));
}

static void check_components(vctx *c, const char *source, const json_t *v,
			     const char *vpath, unsigned vline)
{
	const json_t *comps = json_object_get(v, "components");
	const char *vname = json_string_value(json_object_get(v, "name"));
	size_t j;
	const json_t *comp;

	json_array_foreach (comps, j, comp) {
		const char *path = json_string_value(json_object_get(comp,
								     "path"));
		char *cpath = cz_xasprintf("%s.components[%zu]", vpath, j);
		char *field = cz_xasprintf("%s.path", cpath);
		unsigned cline = item_line(c, comps, j, vline);

		if (path && check_chart(c, path, key_line(c, comp, "path",
							  cline),
					field))
			check_values_files(c, comp, path, cpath, cline);
		note_privileged(c, source, vname ? vname : "?", comp);
		free(field);
		free(cpath);
	}
}

static void check_libraries(vctx *c, const json_t *v, const char *vpath,
			    unsigned vline)
{
	const json_t *libs = json_object_get(v, "libraries");
	size_t k;
	const json_t *lib;

	json_array_foreach (libs, k, lib) {
		const char *path = json_string_value(json_object_get(lib,
								     "path"));
		char *field = cz_xasprintf("%s.libraries[%zu].path", vpath, k);

		if (path)
			check_chart(c, path,
				    key_line(c, lib, "path",
					     item_line(c, libs, k, vline)),
				    field);
		free(field);
	}
}

static void check_source(vctx *c, const json_t *doc, unsigned doc_line)
{
	const char *name = json_string_value(json_object_get(
		json_object_get(doc, "metadata"), "name"));
	const json_t *variants = json_object_get(json_object_get(doc, "spec"),
						 "variants");
	size_t i;
	const json_t *v;

	c->r->nsources++;
	check_name(c, doc, doc_line);
	json_array_foreach (variants, i, v) {
		char *vpath = cz_xasprintf("spec.variants[%zu]", i);
		unsigned vline = item_line(c, variants, i, doc_line);

		check_libraries(c, v, vpath, vline);
		check_components(c, name ? name : "?", v, vpath, vline);
		check_depends(c, v, vpath, vline);
		free(vpath);
	}
}

/* ---- files ------------------------------------------------------------- */

static bool yaml_name(const char *n)
{
	size_t len = strlen(n);

	return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(n + len - 4, ".yml") == 0) ||
	       (len > 5 && strcmp(n + len - 5, ".json") == 0);
}

/* Walks one file's PackageSource documents with their lines (decoding
 * errors were reported by the loader already). */
static void check_file(vctx *c, const char *path)
{
	cz_linemap lm = CZ_LINEMAP_INIT;
	cz_error err = CZ_ERROR_INIT;
	char *data = NULL;
	size_t len = 0, n = 0;
	cz_doc *docs = NULL;

	if (cz_file_read(path, FILE_MAX, &data, &len, &err) != CZ_OK ||
	    cz_parse_stream(data, len, path, NULL, &docs, &n, &lm, &err) !=
		    CZ_OK)
		goto cleanup;
	c->file = path;
	c->lm = &lm;
	for (size_t i = 0; i < n; i++) {
		const char *kind = json_string_value(
			json_object_get(docs[i].root, "kind"));

		if (kind && strcmp(kind, "PackageSource") == 0)
			check_source(c, docs[i].root, docs[i].line);
	}
	c->lm = NULL;
cleanup:
	cz_docs_free(docs, n);
	cz_linemap_release(&lm);
	free(data);
}

static void check_files(vctx *c, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char *path = cz_xasprintf("%s/%s", dir, names[i]->d_name);

		if (yaml_name(names[i]->d_name) && is_file(path))
			check_file(c, path);
		free(path);
		free(names[i]);
	}
	free(names);
}

/* Every dependency cycle among the repository's sources. */
static void check_cycles(vctx *c)
{
	cz_graph g;
	cz_buf lines;

	memset(&g, 0, sizeof(g));
	cz_buf_init(&lines, CZ_BUF_UNLIMITED);
	cz_graph_union(&g, &c->cat);
	if (cz_graph_cycles(&g, &lines))
		for (char *l = lines.data; l && *l;) {
			char *nl = strchr(l, '\n');

			if (nl)
				*nl = '\0';
			cz_diags_add(&c->r->diags, CZ_DIAG_ERROR,
				     "packages/%s: dependsOn: dependency "
				     "cycle: %s", SOURCES_DIR, l);
			l = nl ? nl + 1 : NULL;
		}
	cz_buf_release(&lines);
	cz_graph_release(&g);
}

static void release_charts(cz_strmap *charts)
{
	size_t pos = 0;
	const char *key;
	void *value;

	while (cz_strmap_next(charts, &pos, &key, &value))
		free(value);
	cz_strmap_release(charts);
}

int cz_validate_repo(const char *dir, const cz_validate_opts *o,
		     cz_validate_report *r, cz_error *err)
{
	static const cz_validate_opts none = { NULL, false };
	vctx c;
	cz_loader ld;
	char *sources = NULL;
	int rc = CZ_OK;

	memset(&c, 0, sizeof(c));
	c.o = o ? o : &none;
	c.r = r;
	c.root = cz_xasprintf("%s/packages", dir);
	cz_catalog_init(&c.cat);
	if (!is_dir(c.root)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "%s: no packages/ directory",
			     dir);
		goto cleanup;
	}
	sources = cz_xasprintf("%s/%s", c.root, SOURCES_DIR);
	if (!is_dir(sources)) {
		cz_diags_add(&r->diags, CZ_DIAG_ERROR, "%s: no %s/: the "
			     "repository declares no PackageSources",
			     c.root, SOURCES_DIR);
		goto cleanup;
	}
	cz_loader_init(&ld, &c.cat, &r->diags);
	cz_load_path(&ld, sources);
	cz_catalog_finish(&c.cat);
	check_files(&c, sources);
	check_cycles(&c);
cleanup:
	release_charts(&c.charts);
	cz_catalog_release(&c.cat);
	free(sources);
	free(c.root);
	return rc;
}
