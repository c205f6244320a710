/* cozypkg render: what the controller would apply, computed offline. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/render.h"
#include "util/mem.h"

static const cli_opt opts[] = {
	{ 'f', "file", "FILE|DIR",
	  "read PackageSources and Packages from FILE, DIR (recursively) or - "
	  "(repeatable)" },
	{ 'o', "output", "FORMAT", "yaml (default) or json" },
	CLI_ENGINE_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct render_args {
	const char **files;
	size_t nfiles;
	size_t files_cap;
	bool json;
	cz_engine_opts engine;
} render_args;

static int parse_args(const cli_command *cmd, int argc, char **argv,
		      render_args *a, bool *help)
{
	cli_parser p;
	const char *arg;
	int c, rc = CLI_EXIT_OK;

	cli_parser_init(&p, cmd, argc, argv);
	while (rc == CLI_EXIT_OK && (c = cli_next(&p, &arg)) != -1) {
		bool handled;

		if (c == 'h') {
			*help = true;
		} else if (c == 'f') {
			CZ_GROW(a->files, a->nfiles + 1, a->files_cap);
			a->files[a->nfiles++] = arg;
		} else if (c == 'o') {
			if (strcmp(arg, "json") != 0 && strcmp(arg, "yaml") != 0)
				rc = cli_usage_error(cmd,
						     "unknown output format \"%s\" "
						     "(use yaml or json)",
						     arg);
			a->json = strcmp(arg, "json") == 0;
		} else if (c == '?') {
			rc = CLI_EXIT_USAGE;
		} else {
			rc = cli_engine_option(cmd, c, arg, &a->engine, &handled);
		}
	}
	if (rc == CLI_EXIT_OK && !*help && cli_optind(&p) < argc)
		rc = cli_usage_error(cmd, "unexpected argument \"%s\" (inputs "
					  "are given with -f)",
				     argv[cli_optind(&p)]);
	if (rc == CLI_EXIT_OK && !*help && !a->nfiles)
		rc = cli_usage_error(cmd, "no input: give -f FILE|DIR (or -f - "
					  "for standard input)");
	cli_parser_release(&p);
	return rc;
}

static int write_stdout(void *ctx, const char *data, size_t len,
			cz_error *err)
{
	(void)ctx;
	if (cli_write_stdout(data, len) != CLI_EXIT_OK)
		return cz_fail(err, CZ_EIO, "writing the output failed");
	return CZ_OK;
}

static int render_catalog(const cz_catalog *cat, const render_args *a)
{
	cz_render r;
	cz_diags diags;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	cz_diags_init(&diags);
	cz_render_run(&r, cat, &a->engine, &diags);
	rc = cz_render_write(&r, a->json ? CZ_RENDER_JSON : CZ_RENDER_YAML,
			     write_stdout, NULL, &diags, &err);
	cz_diags_print(&diags, stderr);
	if (rc < 0 && err.code != CZ_EIO)
		fprintf(stderr, "cozypkg: %s\n", err.msg);
	cz_render_release(&r);
	cz_diags_release(&diags);
	return rc < 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	render_args a;
	cz_catalog cat;
	bool help = false;
	int rc;

	memset(&a, 0, sizeof(a));
	cz_engine_opts_default(&a.engine);
	cz_catalog_init(&cat);
	rc = parse_args(cmd, argc, argv, &a, &help);
	if (rc != CLI_EXIT_OK || help) {
		if (help)
			cli_print_help(cmd, stdout);
		goto cleanup;
	}
	rc = cli_load_files(a.files, a.nfiles, &cat);
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	rc = render_catalog(&cat, &a);
cleanup:
	cz_catalog_release(&cat);
	free(a.files);
	return rc;
}

const cli_command cmd_render = {
	.name = "render",
	.run = run,
	.summary = "Print what the package controller would apply (offline)",
	.usage = "render -f FILE|DIR... [-o yaml|json] [--helmrelease-* ...]",
	.description =
		"Reads PackageSources and Packages and prints, as one v1 List, "
		"what the\ncontroller applies once everything has converged: "
		"the Namespaces, the\nHelmReleases, every Package with its "
		"status and every PackageSource with\nits status. A Package is "
		"Ready when its source and variant exist, its\nconfiguration is "
		"valid and its dependencies are Ready. Invalid input exits\n2 "
		"with the errors on stderr and nothing on stdout.",
	.opts = opts,
	.examples =
		"  cozypkg render -f sources/ -f packages.yaml\n"
		"  cozypkg render -f platform/ -o json | jq '.items[] | "
		"select(.kind==\"HelmRelease\")'\n"
		"  cat all.yaml | cozypkg render -f -\n",
};
