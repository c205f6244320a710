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

static int run(const cli_command *cmd, int argc, char **argv)
{
	const char **files = NULL;
	size_t nfiles = 0, cap = 0;
	cz_dot_opts dopts = { NULL, 0, false, false };
	cz_catalog cat;
	cz_buf out;
	cli_parser p;
	const char *arg;
	int c, rc = CLI_EXIT_OK;

	cz_catalog_init(&cat);
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	cli_parser_init(&p, cmd, argc, argv);
	while (rc == CLI_EXIT_OK && (c = cli_next(&p, &arg)) != -1) {
		if (c == 'h') {
			cli_print_help(cmd, stdout);
			goto cleanup;
		} else if (c == 'f') {
			CZ_GROW(files, nfiles + 1, cap);
			files[nfiles++] = arg;
		} else if (c == 'i') {
			dopts.installed_only = true;
		} else if (c == CLI_LONG_ONLY + 1) {
			dopts.components = true;
		} else {
			rc = CLI_EXIT_USAGE;
		}
	}
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	if (!nfiles) {
		rc = cli_usage_error(cmd, "no input: give -f FILE|DIR");
		goto cleanup;
	}
	rc = cli_load_files(files, nfiles, &cat);
	if (rc == CLI_EXIT_OK)
		rc = check_selected(argv + cli_optind(&p),
				    (size_t)(argc - cli_optind(&p)), &cat);
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	dopts.selected = (const char *const *)(argv + cli_optind(&p));
	dopts.nselected = (size_t)(argc - cli_optind(&p));
	cz_dot_write(&cat, &dopts, &out);
	rc = cli_write_stdout(out.data, out.len);
cleanup:
	cli_parser_release(&p);
	cz_buf_release(&out);
	cz_catalog_release(&cat);
	free(files);
	return rc;
}

const cli_command cmd_dot = {
	.name = "dot",
	.run = run,
	.summary = "Print the package dependency graph in Graphviz DOT",
	.usage = "dot [PKG]... -f FILE|DIR... [-i] [--components]",
	.description =
		"Draws PackageSources as blue boxes with edges from dependent to "
		"dependency\n(the union over all variants; an edge found in only "
		"some variants is\nlabelled with them). A dependency with no "
		"PackageSource is a red dashed\nedge to a coral node. PKG "
		"arguments restrict the graph to those sources.",
	.opts = opts,
	.examples = "  cozypkg dot -f sources/ | dot -Tpng > graph.png\n"
		    "  cozypkg dot cozystack.cert-manager --components -f "
		    "sources/\n",
};
