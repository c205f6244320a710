/* cozypkg del: delete packages and every installed package that depends on
 * them, dependents first. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "engine/graph.h"
#include "util/buf.h"
#include "util/mem.h"

enum { OPT_DRY_RUN = CLI_LONG_ONLY + 1 };

static const cli_opt opts[] = {
	{ 'f', "file", "FILE|DIR",
	  "delete the Packages and PackageSources named in FILE or DIR "
	  "(repeatable)" },
	{ 'y', "yes", NULL, "do not ask for confirmation" },
	{ OPT_DRY_RUN, "dry-run", NULL,
	  "show what would be deleted, in order; delete nothing" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct del_args {
	const char **files;
	size_t nfiles, files_cap;
	cli_del_opts o;
	cli_conn conn;
} del_args;

typedef struct del_run {
	const cli_del_opts *o;
	cli_conn *conn;
	cz_catalog cat;      /* installed Packages and their sources */
	cz_graph graph;      /* union dependsOn among installed packages */
	bool *requested;     /* by graph node */
	bool *doomed;        /* requested plus their dependents */
	size_t *order;       /* doomed nodes, dependents first */
	size_t norder;
} del_run;

static int parse_option(void *ctx, int c, const char *arg)
{
	del_args *a = ctx;

	if (c == 'f') {
		CZ_GROW(a->files, a->nfiles + 1, a->files_cap);
		a->files[a->nfiles++] = arg;
	} else if (c == 'y') {
		a->o.yes = true;
	} else if (c == OPT_DRY_RUN) {
		a->o.dry_run = true;
	} else if (!cli_conn_option(&a->conn, c, arg)) {
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static int collect_names(del_args *a, char **argv, size_t n, cli_names *names)
{
	cz_catalog files;
	int rc = CLI_EXIT_OK;

	cz_catalog_init(&files);
	for (size_t i = 0; i < n; i++)
		cli_names_add(names, argv[i]);
	if (a->nfiles)
		rc = cli_load_files(a->files, a->nfiles, &files);
	if (rc == CLI_EXIT_OK)
		cli_names_from_catalog(names, &files);
	cz_catalog_release(&files);
	if (rc == CLI_EXIT_OK && !names->len)
		rc = cli_usage_error(&cmd_del, "no packages specified");
	return rc;
}

/* Installed Packages and only their own PackageSources, so that the graph
 * has edges among installed packages alone, as in the reference. */
static int load_installed(del_run *r)
{
	cz_catalog all;
	cli_fetch what = { true, cli_graph_source_paths, true,
			   cli_package_paths };
	int rc;

	cz_catalog_init(&all);
	rc = cli_fetch_catalog(r->conn, &what, &all, NULL, NULL);
	for (size_t i = 0; rc == CLI_EXIT_OK && i < all.npackages; i++) {
		const cz_source *src =
			cz_catalog_source(&all, all.packages[i]->name);

		cz_catalog_put_package(&r->cat, all.packages[i]->object);
		if (src)
			cz_catalog_put_source(&r->cat, src->object);
	}
	cz_catalog_finish(&r->cat);
	cz_catalog_release(&all);
	return rc;
}

static size_t mark_requested(del_run *r, const cli_names *names)
{
	size_t n = 0;

	for (size_t i = 0; i < names->len; i++) {
		size_t k = cz_graph_find(&r->graph, names->items[i]);

		if (!cz_catalog_package(&r->cat, names->items[i]) ||
		    k == (size_t)-1) {
			if (!r->o->quiet)
				fprintf(stderr, "⚠ Package %s is not "
						"installed, skipping\n",
					names->items[i]);
			continue;
		}
		r->requested[k] = r->doomed[k] = true;
		n++;
	}
	return n;
}

/* Dependents first: Kahn's order (dependencies first) read backwards.
 * Doomed nodes left out of Kahn's order sit on a cycle. */
static int order_doomed(del_run *r)
{
	size_t *all = cz_xcalloc(r->graph.n + 1, sizeof(*all));
	size_t sorted = cz_graph_toposort(&r->graph, all);
	cz_buf cyc;
	int rc = CLI_EXIT_OK;

	r->order = cz_xcalloc(r->graph.n + 1, sizeof(*r->order));
	for (size_t i = sorted; i-- > 0;)
		if (r->doomed[all[i]])
			r->order[r->norder++] = all[i];
	cz_buf_init(&cyc, CZ_BUF_UNLIMITED);
	for (size_t i = sorted; i < r->graph.n; i++)
		if (r->doomed[all[i]])
			cz_buf_printf(&cyc, "%s%s", cyc.len ? " " : "",
				      r->graph.names[all[i]]);
	if (cyc.len) {
		fprintf(stderr, "cozypkg: dependency cycle detected: the "
				"following packages form a cycle and cannot "
				"be deleted: [%s]\n",
			cyc.data);
		rc = CLI_EXIT_FAILED;
	}
	cz_buf_release(&cyc);
	free(all);
	return rc;
}

static void print_listing(const del_run *r)
{
	size_t total = 0;
	bool dependents = false;

	fprintf(stderr, "%s\nRequested packages:\n",
		r->o->title ? r->o->title
			    : "The following packages will be deleted:");
	for (size_t i = 0; i < r->graph.n; i++) {
		if (r->requested[i])
			fprintf(stderr, "  - %s\n", r->graph.names[i]);
		total += r->doomed[i];
		dependents = dependents || (r->doomed[i] && !r->requested[i]);
	}
	if (dependents) {
		fprintf(stderr, "Dependent packages (will also be deleted):\n");
		for (size_t i = 0; i < r->graph.n; i++)
			if (r->doomed[i] && !r->requested[i])
				fprintf(stderr, "  - %s\n", r->graph.names[i]);
	}
	fprintf(stderr, "Total: %zu package(s)\n", total);
}

static int confirm(const del_run *r)
{
	char *answer;
	bool yes;

	if (r->o->yes)
		return CLI_EXIT_OK;
	if (!cli_interactive()) {
		fprintf(stderr, "cozypkg: deleting needs a confirmation and "
				"stdin is not a terminal: run again with "
				"--yes\n");
		return CLI_EXIT_USAGE;
	}
	answer = cli_ask("Do you want to continue? [y/N]: ");
	yes = answer && (strcasecmp(answer, "y") == 0 ||
			 strcasecmp(answer, "yes") == 0);
	free(answer);
	if (!yes) {
		fprintf(stderr, "cozypkg: deletion cancelled\n");
		return CLI_EXIT_CANCELLED;
	}
	return CLI_EXIT_OK;
}

static int delete_all(del_run *r)
{
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; i < r->norder && rc == CLI_EXIT_OK; i++) {
		const char *name = r->graph.names[r->order[i]];
		char *path = cz_kube_path(cli_res_packages(), NULL, name, NULL,
					  NULL);
		cz_error err = CZ_ERROR_INIT;
		int code = cz_kube_delete(r->conn->kube, path, NULL, NULL,
					  &err);

		if (code == CZ_OK)
			fprintf(stderr, "✓ Deleted Package %s\n", name);
		else if (code == CZ_ENOTFOUND)
			fprintf(stderr, "⚠ Package %s not found, skipping\n",
				name);
		else
			rc = cli_fail(&err);
		free(path);
	}
	return rc;
}

static void print_order(const del_run *r)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_puts(&b, "Deletion order:\n");
	for (size_t i = 0; i < r->norder; i++)
		cz_buf_printf(&b, "  %zu. %s\n", i + 1,
			      r->graph.names[r->order[i]]);
	cli_write_stdout(b.data, b.len);
	cz_buf_release(&b);
}

static int del(del_run *r, const cli_names *names, size_t *ndoomed)
{
	int rc;

	if ((rc = load_installed(r)) != CLI_EXIT_OK)
		return rc;
	cz_graph_union(&r->graph, &r->cat);
	r->requested = cz_xcalloc(r->graph.n + 1, sizeof(bool));
	r->doomed = cz_xcalloc(r->graph.n + 1, sizeof(bool));
	if (!mark_requested(r, names)) {
		if (!r->o->quiet)
			fprintf(stderr, "No packages found to delete\n");
		return CLI_EXIT_OK;
	}
	cz_graph_closure(&r->graph, r->doomed, true);
	print_listing(r);
	if ((rc = order_doomed(r)) != CLI_EXIT_OK)
		return rc;
	*ndoomed = r->norder;
	if (r->o->analyse_only)
		return CLI_EXIT_OK;
	if (r->o->dry_run) {
		print_order(r);
		return CLI_EXIT_OK;
	}
	if ((rc = confirm(r)) != CLI_EXIT_OK)
		return rc;
	return delete_all(r);
}

int cli_del_packages(cli_conn *conn, const cli_names *names,
		     const cli_del_opts *o, size_t *ndoomed)
{
	del_run r;
	size_t n = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.conn = conn;
	cz_catalog_init(&r.cat);
	rc = del(&r, names, &n);
	if (ndoomed)
		*ndoomed = n;
	cz_graph_release(&r.graph);
	free(r.requested);
	free(r.doomed);
	free(r.order);
	cz_catalog_release(&r.cat);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	del_args a;
	cli_names names;
	int first = 0, rc;

	memset(&a, 0, sizeof(a));
	cli_names_init(&names);
	rc = cli_parse(cmd, argc, argv, parse_option, &a, &first);
	if (rc == CLI_EXIT_OK)
		rc = collect_names(&a, argv + first, (size_t)(argc - first),
				   &names);
	if (rc == CLI_EXIT_OK)
		rc = cli_connect(&a.conn);
	if (rc == CLI_EXIT_OK)
		rc = cli_del_packages(&a.conn, &names, &a.o, NULL);
	rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	cli_names_release(&names);
	cli_conn_close(&a.conn);
	free(a.files);
	return rc;
}

const cli_command cmd_del = {
	.name = "del",
	.run = run,
	.summary = "Delete packages and the installed packages that need them",
	.usage = "del [PKG]... [-f FILE|DIR]... [--yes] [--dry-run]",
	.description =
		"Deletes each PKG and, first, every installed package that "
		"depends on it,\ndirectly or not (the union of dependsOn over "
		"all variants, among installed\npackages).  It lists them all and "
		"asks before deleting; --yes skips the\nquestion, and without a "
		"terminal on stdin --yes is required.  PackageSources\nare never "
		"deleted.\n\nExit codes: 0 done, 1 failed, 2 usage, 3 cancelled.",
	.opts = opts,
	.examples = "  cozypkg del cozystack.keycloak\n"
		    "  cozypkg del cozystack.cert-manager --dry-run\n"
		    "  cozypkg del -f packages.yaml --yes\n",
};
