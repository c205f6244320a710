/* cozypkg validate: check a package repository, on disk or published,
 * before it is pushed or tapped. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "market/flux.h"
#include "util/fileio.h"
#include "util/mem.h"

enum { OPT_KNOWN = CLI_LONG_ONLY + 1, OPT_ALLOW_RESERVED };

static const cli_opt opts[] = {
	{ OPT_KNOWN, "known-source", "NAME",
	  "a PackageSource outside the repository that dependsOn may name "
	  "(repeatable)" },
	{ OPT_ALLOW_RESERVED, "allow-reserved-names", NULL,
	  "accept the reserved prefixes cozystack. and community. (the "
	  "platform's own tree)" },
	CLI_REGISTRY_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct validate_args {
	const char **known; /* NULL-terminated */
	size_t nknown, known_cap;
	bool allow_reserved;
	bool insecure;
} validate_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	validate_args *a = ctx;

	if (id == OPT_KNOWN) {
		CZ_GROW(a->known, a->nknown + 2, a->known_cap);
		a->known[a->nknown++] = arg;
		a->known[a->nknown] = NULL;
	} else if (id == OPT_ALLOW_RESERVED) {
		a->allow_reserved = true;
	} else if (id == CLI_OPT_INSECURE) {
		a->insecure = true;
	} else {
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* Pulls ref into a scratch repository (scratch/packages) and validates
 * that. */
static int validate_remote(const char *ref, const validate_args *a,
			   const cz_validate_opts *o)
{
	char *scratch = NULL;
	char *packages = NULL;
	cli_registry reg;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	if (cz_scratch_dir("cozypkg-validate", false, &scratch, &err) < 0) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		return CLI_EXIT_FAILED;
	}
	packages = cz_xasprintf("%s/packages", scratch);
	rc = cli_registry_open(ref, a->insecure, &reg, &err);
	if (rc == CZ_OK)
		rc = cz_flux_pull(reg.oci, reg.ref.repo,
				  cz_oci_ref_reference(&reg.ref), packages,
				  NULL, &err);
	if (rc < 0) {
		rc = rc == CZ_EINVALID && !reg.oci ? CLI_EXIT_USAGE
						   : CLI_EXIT_FAILED;
		fprintf(stderr, "cozypkg: %s\n", err.msg);
	} else {
		rc = cli_validate_print(scratch, ref, o, false);
	}
	cli_registry_close(&reg);
	cz_remove_tree(scratch);
	free(packages);
	free(scratch);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	validate_args a;
	cz_validate_opts o;
	int first, rc;

	memset(&a, 0, sizeof(a));
	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK && first >= argc)
		rc = cli_usage_error(cmd, "validate needs a PATH or an oci:// "
				     "reference");
	else if (rc == CLI_EXIT_OK && first + 1 < argc)
		rc = cli_usage_error(cmd, "unexpected argument \"%s\"",
				     argv[first + 1]);
	if (rc == CLI_EXIT_OK) {
		o.known_sources = a.known;
		o.allow_reserved_names = a.allow_reserved;
		rc = strncmp(argv[first], "oci://", 6) == 0
			     ? validate_remote(argv[first], &a, &o)
			     : cli_validate_print(argv[first], argv[first], &o,
						  false);
	}
	free(a.known);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_validate = {
	.name = "validate",
	.run = run,
	.summary = "Check a package repository before it is pushed or tapped",
	.usage = "validate PATH|oci://REF [--known-source NAME]... "
		 "[--allow-reserved-names]",
	.description =
		"Checks the package repository at PATH (a directory with "
		"packages/) or published at oci://REF: every PackageSource "
		"under packages/core/platform/sources/ against the schema, "
		"Kubernetes names and the reserved prefixes cozystack. and "
		"community., every component and library path is a chart "
		"with a valid Chart.yaml, every valuesFiles entry exists, "
		"every dependsOn names a source of the repository or a "
		"--known-source, no dependency cycle, and each chart's "
		"values.yaml against its values.schema.json.  Problems are "
		"printed as FILE:LINE: FIELD: message; privileged components "
		"are listed.\n\nExit codes: 0 clean, 1 problems, 2 usage.",
	.opts = opts,
	.examples = "  cozypkg validate .\n"
		    "  cozypkg validate oci://ghcr.io/acme/hello:v1.0.0\n"
		    "  cozypkg validate --allow-reserved-names "
		    "--known-source cozystack.networking ./platform\n",
};
