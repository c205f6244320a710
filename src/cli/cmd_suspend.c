/* cozypkg suspend: the first step of an emergency rollback. */

#include <string.h>

#include "cli.h"

static const cli_opt opts[] = {
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

static int on_opt(void *ctx, int id, const char *arg)
{
	return cli_conn_option(ctx, id, arg) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	cli_conn conn;
	int first, rc;

	memset(&conn, 0, sizeof(conn));
	rc = cli_parse(cmd, argc, argv, on_opt, &conn, &first);
	if (rc == CLI_EXIT_OK && first + 1 != argc)
		rc = cli_usage_error(cmd, "suspend takes one PKG");
	if (rc == CLI_EXIT_OK)
		rc = cli_connect(&conn);
	if (rc == CLI_EXIT_OK)
		rc = cli_set_suspended(&conn, argv[first], true);
	cli_conn_close(&conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_suspend = {
	.name = "suspend",
	.run = run,
	.summary = "Stop the controller and Flux from changing a Package's HelmReleases",
	.usage = "suspend PKG",
	.description = "Sets spec.suspend on every HelmRelease of PKG (as `flux suspend hr` does) and marks the Package, so that the controller leaves its releases alone until `cozypkg resume`: the first step of an emergency rollback (docs/upgrades.md).",
	.opts = opts,
	.examples = "  cozypkg suspend example.webapp\n",
};
