/* cozypkg completion: shell completion scripts, written from the command
 * table so that they never drift from the commands. */

#include <string.h>

#include "cli.h"
#include "util/buf.h"

static const cli_opt opts[] = {
	{ 0, NULL, NULL, NULL },
};

static void option_words(const cli_command *c, cz_buf *b)
{
	for (const cli_opt *o = c->opts; o && o->id; o++) {
		if (o->id < CLI_LONG_ONLY)
			cz_buf_printf(b, "-%c ", o->id);
		cz_buf_printf(b, "--%s ", o->long_name);
	}
	cz_buf_puts(b, "--help");
}

/* Options whose next word is a file or directory. */
static void file_options(const cli_command *c, cz_buf *b)
{
	for (const cli_opt *o = c->opts; o && o->id; o++) {
		if (!o->arg || (!strstr(o->arg, "FILE") && !strstr(o->arg, "DIR")))
			continue;
		if (o->id < CLI_LONG_ONLY)
			cz_buf_printf(b, "-%c|", o->id);
		cz_buf_printf(b, "--%s|", o->long_name);
	}
}

static void write_bash(cz_buf *b)
{
	const cli_command *const *all = cli_commands();

	cz_buf_puts(b, "# bash completion for cozypkg; load with\n"
		       "#   source <(cozypkg completion bash)\n"
		       "_cozypkg() {\n"
		       "  local cur prev cmd words\n"
		       "  cur=${COMP_WORDS[COMP_CWORD]}\n"
		       "  prev=${COMP_WORDS[COMP_CWORD-1]}\n"
		       "  if ((COMP_CWORD == 1)); then\n"
		       "    COMPREPLY=($(compgen -W '");
	for (size_t i = 0; all[i]; i++)
		if (!all[i]->hidden)
			cz_buf_printf(b, "%s ", all[i]->name);
	cz_buf_puts(b, "help --version' -- \"$cur\"))\n"
		       "    return\n"
		       "  fi\n"
		       "  cmd=${COMP_WORDS[1]}\n"
		       "  case $cmd in\n");
	for (size_t i = 0; all[i]; i++) {
		cz_buf files;

		if (all[i]->hidden)
			continue;
		cz_buf_init(&files, CZ_BUF_UNLIMITED);
		file_options(all[i], &files);
		cz_buf_printf(b, "  %s)\n", all[i]->name);
		if (files.len) {
			files.data[files.len - 1] = '\0';
			cz_buf_printf(b,
				      "    case $prev in %s) COMPREPLY=($(compgen "
				      "-f -- \"$cur\")); return ;; esac\n",
				      files.data);
		}
		cz_buf_puts(b, "    words='");
		option_words(all[i], b);
		cz_buf_puts(b, "' ;;\n");
		cz_buf_release(&files);
	}
	cz_buf_puts(b, "  *) words='' ;;\n"
		       "  esac\n"
		       "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
		       "}\n"
		       "complete -F _cozypkg cozypkg\n");
}

static void write_zsh(cz_buf *b)
{
	cz_buf_puts(b, "#compdef cozypkg\n"
		       "# zsh completion for cozypkg; load with\n"
		       "#   source <(cozypkg completion zsh)\n"
		       "autoload -U +X bashcompinit && bashcompinit\n");
	write_bash(b);
}

/* completion has no options of its own. */
static int no_option(void *ctx, int c, const char *arg)
{
	(void)ctx;
	(void)c;
	(void)arg;
	return CLI_EXIT_USAGE;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	const char *shell;
	cz_buf b;
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, no_option, NULL, &first);

	if (rc != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	shell = argc - first == 1 ? argv[first] : "";
	if (strcmp(shell, "bash") != 0 && strcmp(shell, "zsh") != 0)
		return cli_usage_error(cmd, "expected one shell: bash or zsh");
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	if (strcmp(shell, "bash") == 0)
		write_bash(&b);
	else
		write_zsh(&b);
	rc = cli_write_stdout(b.data, b.len);
	cz_buf_release(&b);
	return rc;
}

const cli_command cmd_completion = {
	.name = "completion",
	.run = run,
	.summary = "Print a shell completion script",
	.usage = "completion bash|zsh",
	.description = "Prints a completion script for bash or zsh, made from "
		       "the same table as\nthe commands and their options.",
	.opts = opts,
	.examples = "  source <(cozypkg completion bash)\n"
		    "  cozypkg completion zsh > \"${fpath[1]}/_cozypkg\"\n",
};
