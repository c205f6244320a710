/* cozypkg dot: the package dependency graph in Graphviz DOT. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/dot.h"
#include "util/buf.h"
#include "util/mem.h"

static const cli_opt opts[] = {
	{ 'f', "file", "FILE|DIR",
	  "read PackageSources and Packages from FILE, DIR or - (repeatable)" },
	{ 'i', "installed", NULL, "only sources that have a Package" },
	{ CLI_LONG_ONLY + 1, "components", NULL,
	  "add component nodes and their install.dependsOn edges" },
	{ CLI_LONG_ONLY + 2, "offline", NULL,
	  "draw the objects in the -f files instead of the cluster's" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

static int check_selected(char **names, size_t n, const cz_catalog *cat)
{
	for (size_t i = 0; i < n; i++) {
		if (!cz_catalog_source(cat, names[i])) {
			fprintf(stderr, "cozypkg: PackageSource %s not found\n",
				names[i]);
			return CLI_EXIT_FAILED;
		}
	}
	return CLI_EXIT_OK;
}

/* The catalog to draw and the names that restrict it: with --offline the
 * -f files are the catalog; otherwise the cluster is, and the -f files only
 * add names to the selection, as in the reference. */
static int load_catalog(cli_conn *conn, bool offline, const char **files,
			size_t nfiles, cz_catalog *cat, cli_names *selected)
{
	cli_fetch what = { true, cli_graph_source_paths, true,
			   cli_package_paths };
	cz_catalog named;
	int rc = CLI_EXIT_OK;

	if (offline) {
		if (!nfiles)
			return cli_usage_error(&cmd_dot,
					       "--offline needs -f FILE|DIR");
		return cli_load_files(files, nfiles, cat);
	}
	cz_catalog_init(&named);
	if (nfiles)
		rc = cli_load_files(files, nfiles, &named);
	if (rc == CLI_EXIT_OK)
		cli_names_from_catalog(selected, &named);
	cz_catalog_release(&named);
	if (rc == CLI_EXIT_OK && (rc = cli_connect(conn)) == CLI_EXIT_OK)
		rc = cli_fetch_catalog(conn, &what, cat, NULL, NULL);
	return rc;
}

typedef struct dot_args {
	const char **files;
	size_t nfiles, cap;
	cz_dot_opts dopts;
	bool offline;
	cli_conn conn;
} dot_args;

static int parse_option(void *ctx, int c, const char *arg)
{
	dot_args *a = ctx;

	if (c == 'f') {
		CZ_GROW(a->files, a->nfiles + 1, a->cap);
		a->files[a->nfiles++] = arg;
	} else if (c == 'i') {
		a->dopts.installed_only = true;
	} else if (c == CLI_LONG_ONLY + 1) {
		a->dopts.components = true;
	} else if (c == CLI_LONG_ONLY + 2) {
		a->offline = true;
	} else if (!cli_conn_option(&a->conn, c, arg)) {
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	dot_args a;
	cli_names selected;
	cz_catalog cat;
	cz_buf out;
	int first = 0, rc;

	memset(&a, 0, sizeof(a));
	cz_catalog_init(&cat);
	cli_names_init(&selected);
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	rc = cli_parse(cmd, argc, argv, parse_option, &a, &first);
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	for (int i = first; i < argc; i++)
		cli_names_add(&selected, argv[i]);
	rc = load_catalog(&a.conn, a.offline, a.files, a.nfiles, &cat,
			  &selected);
	if (rc == CLI_EXIT_OK)
		rc = check_selected(selected.items, selected.len, &cat);
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	a.dopts.selected = (const char *const *)selected.items;
	a.dopts.nselected = selected.len;
	cz_dot_write(&cat, &a.dopts, &out);
	rc = cli_write_stdout(out.data, out.len);
cleanup:
	cli_conn_close(&a.conn);
	cz_buf_release(&out);
	cz_catalog_release(&cat);
	cli_names_release(&selected);
	free(a.files);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_dot = {
	.name = "dot",
	.run = run,
	.summary = "Print the package dependency graph in Graphviz DOT",
	.usage = "dot [PKG]... [-f FILE|DIR]... [-i] [--components] "
		 "[--offline]",
	.description =
		"Draws PackageSources as blue boxes with edges from dependent to "
		"dependency\n(the union over all variants; an edge found in only "
		"some variants is\nlabelled with them). A dependency with no "
		"PackageSource is a red dashed\nedge to a coral node. PKG "
		"arguments and the names in -f files restrict the\ngraph to "
		"those sources (their dependencies still appear).  The graph "
		"is the\ncluster's; with --offline it is the one the -f files "
		"describe.",
	.opts = opts,
	.examples = "  cozypkg dot | dot -Tpng > graph.png\n"
		    "  cozypkg dot --installed --components\n"
		    "  cozypkg dot --offline -f sources/ cozystack.cert-manager\n",
};
