/* cozypkg suspend: the first step of an emergency rollback. */

#include "cli.h"

static const cli_opt opts[] = {
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

static int apply(cli_conn *c, const char *pkg, void *ctx)
{
	(void)ctx;
	return cli_set_suspended(c, pkg, true);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	return cli_run_on_one(cmd, argc, argv, "PKG", apply, NULL);
}

const cli_command cmd_suspend = {
	.name = "suspend",
	.run = run,
	.summary = "Stop the controller and Flux from changing a "
		   "Package's HelmReleases",
	.usage = "suspend PKG",
	.description =
		"Sets spec.suspend on every HelmRelease of PKG (as `flux "
		"suspend hr` does) and marks the Package, so that the "
		"controller leaves its releases alone until `cozypkg "
		"resume`: the first step of an emergency rollback "
		"(docs/upgrades.md).",
	.opts = opts,
	.examples = "  cozypkg suspend example.webapp\n",
};
