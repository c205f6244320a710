/* cozypkg resume: a suspended Package managed again. */

#include "cli.h"

static const cli_opt opts[] = {
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

static int apply(cli_conn *c, const char *pkg, void *ctx)
{
	(void)ctx;
	return cli_set_suspended(c, pkg, false);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	return cli_run_on_one(cmd, argc, argv, "PKG", apply, NULL);
}

const cli_command cmd_resume = {
	.name = "resume",
	.run = run,
	.summary = "Let the controller and Flux manage a suspended "
		   "Package's HelmReleases again",
	.usage = "resume PKG",
	.description =
		"Clears spec.suspend on every HelmRelease of PKG and the "
		"Package's mark, so that the controller writes its releases "
		"again and Flux reconciles them.",
	.opts = opts,
	.examples = "  cozypkg resume example.webapp\n",
};
