/* cozypkg resume: a suspended Package managed again. */

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
		rc = cli_usage_error(cmd, "resume takes one PKG");
	if (rc == CLI_EXIT_OK)
		rc = cli_connect(&conn);
	if (rc == CLI_EXIT_OK)
		rc = cli_set_suspended(&conn, argv[first], false);
	cli_conn_close(&conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_resume = {
	.name = "resume",
	.run = run,
	.summary = "Let the controller and Flux manage a suspended Package's HelmReleases again",
	.usage = "resume PKG",
	.description = "Clears spec.suspend on every HelmRelease of PKG and the Package's mark, so that the controller writes its releases again and Flux reconciles them.",
	.opts = opts,
	.examples = "  cozypkg resume example.webapp\n",
};
