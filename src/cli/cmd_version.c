/* cozypkg version */

#include <stdio.h>

#include "cli.h"

static const cli_opt opts[] = { { 0, NULL, NULL, NULL } };

static int run(const cli_command *cmd, int argc, char **argv)
{
	cli_parser p;
	const char *arg;
	int c, rc = CLI_EXIT_OK;

	cli_parser_init(&p, cmd, argc, argv);
	while ((c = cli_next(&p, &arg)) != -1) {
		if (c == 'h') {
			cli_print_help(cmd, stdout);
			goto cleanup;
		}
		rc = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (cli_optind(&p) < argc) {
		rc = cli_usage_error(cmd, "unexpected argument \"%s\"",
				     argv[cli_optind(&p)]);
		goto cleanup;
	}
	printf("cozypkg %s\n", CZ_VERSION);
cleanup:
	cli_parser_release(&p);
	return rc;
}

const cli_command cmd_version = {
	.name = "version",
	.run = run,
	.summary = "Print the version of cozypkg",
	.usage = "version",
	.opts = opts,
	.examples = "  cozypkg version\n",
};
