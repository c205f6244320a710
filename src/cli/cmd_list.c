/* cozypkg list: PackageSources (or installed Packages) as a table. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "market/index.h"
#include "util/buf.h"
#include "util/mem.h"

/* The reference cuts VARIANTS past 28 bytes to 25 and STATUS past 48 to
 * 45, each followed by "...". */
#define VARIANTS_LIMIT 28
#define VARIANTS_KEEP 25
#define STATUS_LIMIT 48
#define STATUS_KEEP 45

enum { OPT_COMPONENTS = CLI_LONG_ONLY + 1, OPT_AVAILABLE };

static const cli_opt opts[] = {
	{ 'i', "installed", NULL, "list installed Packages instead of sources" },
	{ OPT_COMPONENTS, "components", NULL,
	  "add one row per component below each package" },
	{ 'o', "output", "FORMAT",
	  "table (default), wide (no truncation, more columns), json or "
	  "yaml" },
	{ OPT_AVAILABLE, "available", NULL,
	  "add the index's repositories that the cluster has not tapped" },
	CLI_INDEX_OPTION,
	CLI_REGISTRY_OPTIONS,
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct list_args {
	bool installed;
	bool components;
	bool available;
	const char *index;
	bool insecure;
	bool wide;
	const char *format; /* "table", "wide", "json", "yaml" */
	cli_conn conn;
} list_args;

static char *variant_names(const cz_source *src)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < src->nvariants; i++)
		cz_buf_printf(&b, "%s%s", i ? "," : "", src->variants[i].name);
	return cz_buf_detach(&b, NULL);
}

static const char *source_ref_text(const cz_source *src, char *buf, size_t n)
{
	if (!src->source_ref)
		return "";
	snprintf(buf, n, "%s/%s", src->source_ref->kind,
		 src->source_ref->name);
	return buf;
}

/* Cells of one package row: name, variant(s), ready, status[, extra]. */
static void add_row(cli_table *t, const list_args *a, const char *name,
		    const char *variants, const json_t *obj, const char *extra)
{
	const char *message = NULL;
	const char *ready = cli_ready_status(obj, NULL, &message);
	char *v = a->wide ? cz_xstrdup(variants)
			  : cli_truncate(variants, VARIANTS_LIMIT, VARIANTS_KEEP);
	char *m = a->wide ? cz_xstrdup(message ? message : "")
			  : cli_truncate(message ? message : "", STATUS_LIMIT,
					 STATUS_KEEP);
	const char *cells[] = { name, v, ready, m, extra };

	cli_table_row(t, cells);
	free(v);
	free(m);
}

static void add_component_rows(cli_table *t, const cz_source *src,
			       const cz_variant *v)
{
	for (size_t c = 0; c < v->ncomponents; c++) {
		char *name = cz_xasprintf("  %s.%s", src->name,
					  v->components[c].name);
		const char *cells[] = { name, v->name, "", "", "" };

		cli_table_row(t, cells);
		free(name);
	}
}

static void source_rows(cli_table *t, const list_args *a,
			const cz_catalog *cat)
{
	char ref[512];

	for (size_t i = 0; i < cat->nsources; i++) {
		const cz_source *src = cat->sources[i];
		char *variants = variant_names(src);

		add_row(t, a, src->name, variants, src->object,
			source_ref_text(src, ref, sizeof(ref)));
		free(variants);
		for (size_t k = 0; a->components && k < src->nvariants; k++)
			add_component_rows(t, src, &src->variants[k]);
	}
}

static void package_rows(cli_table *t, const list_args *a,
			 const cz_catalog *cat)
{
	for (size_t i = 0; i < cat->npackages; i++) {
		const cz_package *pkg = cat->packages[i];
		const cz_source *src = cz_catalog_source(cat, pkg->name);
		const cz_variant *v = src ? cz_source_variant(src, pkg->variant)
					  : NULL;
		const char *reason = NULL;

		cli_ready_status(pkg->object, &reason, NULL);
		add_row(t, a, pkg->name, pkg->variant, pkg->object,
			reason ? reason : "");
		if (a->components && v)
			add_component_rows(t, src, v);
	}
}

/* The index entries that no tap's OCIRepository follows, sorted by name
 * (borrowed from idx; *n_out of them). */
static int untapped_entries(list_args *a, const cz_market_index *idx,
			    const cz_market_entry ***out, size_t *n_out)
{
	cz_strmap urls = CZ_STRMAP_INIT;
	cz_error err = CZ_ERROR_INIT;
	json_t *taps = NULL;
	size_t n = 0;

	*out = cz_xcalloc(idx->len + 1, sizeof(**out));
	if (cli_tapped_urls(a->conn.kube, &urls, &taps, &err) < 0) {
		cz_strmap_release(&urls);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < idx->len; i++) {
		char *url = cz_market_entry_url(&idx->entries[i]);

		if (!cz_strmap_has(&urls, url))
			(*out)[n++] = &idx->entries[i];
		free(url);
	}
	*n_out = n;
	cz_strmap_release(&urls);
	json_decref(taps);
	return CLI_EXIT_OK;
}

static void available_rows(cli_table *t, const list_args *a,
			   const cz_market_entry *const *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *status = cz_xasprintf("in the index, not tapped: %s",
					    entries[i]->description);
		char *url = cz_market_entry_url(entries[i]);
		char *s = a->wide ? cz_xstrdup(status)
				  : cli_truncate(status, STATUS_LIMIT,
						 STATUS_KEEP);
		const char *cells[] = { entries[i]->name, "-", "-", s, url };

		cli_table_row(t, cells);
		free(s);
		free(url);
		free(status);
	}
}

/* The -o json/yaml form of the untapped entries. */
static json_t *available_json(const cz_market_entry *const *entries, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:s}", "name",
				       entries[i]->name, "ociRef",
				       entries[i]->oci_ref, "version",
				       entries[i]->version, "description",
				       entries[i]->description));
	return arr;
}

static int write_table(const list_args *a, const cz_catalog *cat,
		       const cz_market_entry *const *avail, size_t navail)
{
	static const char *const source_head[] = { "NAME", "VARIANTS", "READY",
						   "STATUS", "SOURCE" };
	static const char *const package_head[] = { "NAME", "VARIANT", "READY",
						    "STATUS", "REASON" };
	cli_table t;
	int rc;

	/* wide adds a fifth column: the Flux source, or the Ready reason. */
	cli_table_init(&t, a->wide ? 5 : 4);
	cli_table_row(&t, a->installed ? package_head : source_head);
	if (a->installed)
		package_rows(&t, a, cat);
	else
		source_rows(&t, a, cat);
	available_rows(&t, a, avail, navail);
	rc = cli_table_print(&t);
	return rc;
}

static int parse_option(void *ctx, int c, const char *arg)
{
	list_args *a = ctx;

	if (c == 'i')
		a->installed = true;
	else if (c == OPT_COMPONENTS)
		a->components = true;
	else if (c == 'o')
		a->format = arg;
	else if (c == OPT_AVAILABLE)
		a->available = true;
	else if (c == CLI_OPT_INDEX)
		a->index = arg;
	else if (c == CLI_OPT_INSECURE)
		a->insecure = true;
	else if (!cli_conn_option(&a->conn, c, arg))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

static int parse_args(const cli_command *cmd, int argc, char **argv,
		      list_args *a)
{
	static const char *const formats[] = { "table", "wide", "json", "yaml",
					       NULL };
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, parse_option, a, &first);

	if (rc == CLI_EXIT_OK && first < argc)
		rc = cli_usage_error(cmd, "list takes no arguments, got \"%s\"",
				     argv[first]);
	if (rc == CLI_EXIT_OK && a->available && a->installed)
		rc = cli_usage_error(cmd, "--available lists what can be "
				     "tapped; it does not go with -i");
	if (rc == CLI_EXIT_OK)
		rc = cli_check_format(cmd, a->format, formats);
	a->wide = strcmp(a->format, "wide") == 0;
	return rc;
}

/* Packages are read only for -i, and sources only when shown; the table
 * reads projected lists, json and yaml the objects whole. */
static cli_fetch fetch_what(const list_args *a)
{
	bool whole = strcmp(a->format, "json") == 0 ||
		     strcmp(a->format, "yaml") == 0;
	cli_fetch f = { !a->installed || a->components,
			whole ? NULL
			      : a->components ? cli_graph_source_paths
					      : cli_list_source_paths,
			a->installed, whole ? NULL : cli_package_paths };

	return f;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	list_args a = { .format = "table" };
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	const cz_market_entry **avail = NULL;
	size_t navail = 0;
	json_t *sources = NULL, *packages = NULL;
	cli_fetch what;
	cz_catalog cat;
	int rc;

	cz_catalog_init(&cat);
	rc = parse_args(cmd, argc, argv, &a);
	if (rc != CLI_EXIT_OK) {
		rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
		goto cleanup;
	}
	what = fetch_what(&a);
	if ((rc = cli_connect(&a.conn)) != CLI_EXIT_OK ||
	    (rc = cli_fetch_catalog(&a.conn, &what, &cat, &sources,
				    &packages)) != CLI_EXIT_OK)
		goto cleanup;
	if (a.available &&
	    ((rc = cli_index_load(a.index, a.insecure, &idx)) != CLI_EXIT_OK ||
	     (rc = untapped_entries(&a, &idx, &avail, &navail)) !=
		     CLI_EXIT_OK))
		goto cleanup;
	if (a.available && sources)
		json_object_set_new(sources, "available",
				    available_json(avail, navail));
	if (strcmp(a.format, "json") == 0 || strcmp(a.format, "yaml") == 0)
		rc = cli_write_object(a.installed ? packages : sources,
				      a.format);
	else
		rc = write_table(&a, &cat, avail, navail);
cleanup:
	free(avail);
	cz_market_index_release(&idx);
	json_decref(sources);
	json_decref(packages);
	cz_catalog_release(&cat);
	cli_conn_close(&a.conn);
	return rc;
}

const cli_command cmd_list = {
	.name = "list",
	.run = run,
	.summary = "List PackageSources, or installed Packages",
	.usage = "list [-i] [--components] [--available] "
		 "[-o table|wide|json|yaml]",
	.description =
		"Lists the PackageSources of the cluster with their variants and "
		"Ready condition,\nor with -i the installed Packages with their "
		"variant.  The table is the\nreference one: VARIANTS is cut after "
		"25 characters and STATUS after 45, each\nfollowed by \"...\"; "
		"-o wide shows them whole and adds the Flux source (or the\n"
		"Ready reason).  Rows come in name order.  --available adds "
		"the repositories\nof the index (see `cozypkg search`) that "
		"the cluster has not tapped yet.",
	.opts = opts,
	.examples = "  cozypkg list\n"
		    "  cozypkg list -i --components\n"
		    "  cozypkg list -o json | jq '.items[].metadata.name'\n",
};
