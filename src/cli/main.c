/* cozypkg: the command-line entry point and its command table. */

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/mem.h"

static const cli_command *const commands[] = {
	&cmd_add,
	&cmd_list,
	&cmd_del,
	&cmd_dot,
	&cmd_status,
	&cmd_render,
	&cmd_init,
	&cmd_validate,
	&cmd_push,
	&cmd_sign,
	&cmd_verify,
	&cmd_keygen,
	&cmd_index,
	&cmd_search,
	&cmd_tap,
	&cmd_untap,
	&cmd_upgrade,
	&cmd_history,
	&cmd_rollback,
	&cmd_unpin,
	&cmd_repo,
	&cmd_rpkg,
	&cmd_suspend,
	&cmd_resume,
	&cmd_dashboard,
	&cmd_version,
	&cmd_completion,
	&cmd_man,
	NULL,
};

const cli_command *const *cli_commands(void)
{
	return commands;
}

static const cli_command *find_command(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_overview(FILE *out)
{
	fprintf(out, "cozypkg: Cozystack packages, offline and against any "
		     "Kubernetes API.\n\nUsage:\n  cozypkg COMMAND [OPTIONS]"
		     "\n\nCommands:\n");
	for (size_t i = 0; commands[i]; i++)
		if (!commands[i]->hidden)
			fprintf(out, "  %-10s %s\n", commands[i]->name,
				commands[i]->summary);
	fprintf(out, "  %-10s %s\n", "help", "show help for a command");
	fprintf(out, "\nRun 'cozypkg COMMAND --help' for a command's options."
		     "\n");
}

static int run_help(int argc, char **argv)
{
	const cli_command *cmd;

	if (argc < 3) {
		print_overview(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_command(argv[2]);
	if (!cmd)
		return cli_usage_error(NULL, "unknown command \"%s\"", argv[2]);
	cli_print_help(cmd, stdout);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	const cli_command *cmd;

	cz_json_use_project_allocator();
	if (argc < 2) {
		print_overview(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return run_help(argc, argv);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version.run(&cmd_version, 1, argv + 1);
	cmd = find_command(argv[1]);
	if (!cmd)
		return cli_usage_error(NULL, "unknown command \"%s\"", argv[1]);
	return cmd->run(cmd, argc - 1, argv + 1);
}
