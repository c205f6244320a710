#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "model/load.h"
#include "util/duration.h"
#include "util/mem.h"

#define HELP_ID 'h'

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc,
		     char **argv)
{
	size_t n = 0, s = 0;
	struct option *longopts;

	while (cmd->opts && cmd->opts[n].id)
		n++;
	longopts = cz_xcalloc(n + 2, sizeof(*longopts));
	p->shortopts[s++] = ':'; /* report a missing argument as ':' */
	for (size_t i = 0; i < n; i++) {
		const cli_opt *o = &cmd->opts[i];

		longopts[i].name = o->long_name;
		longopts[i].has_arg = o->arg ? required_argument : no_argument;
		longopts[i].val = o->id;
		if (o->id < CLI_LONG_ONLY && s + 3 < sizeof(p->shortopts)) {
			p->shortopts[s++] = (char)o->id;
			if (o->arg)
				p->shortopts[s++] = ':';
		}
	}
	longopts[n].name = "help";
	longopts[n].val = HELP_ID;
	p->shortopts[s++] = HELP_ID;
	p->shortopts[s] = '\0';
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	p->longopts = longopts;
	optind = 1;
	opterr = 0;
}

static const char *opt_name(const cli_parser *p)
{
	const char *arg = p->argv[optind - 1];

	return arg ? arg : "?";
}

int cli_next(cli_parser *p, const char **arg)
{
	int c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);

	*arg = optarg;
	if (c == '?') {
		if (optopt && optopt < CLI_LONG_ONLY)
			cli_usage_error(p->cmd, "unknown option -%c", optopt);
		else
			cli_usage_error(p->cmd, "unknown option %s",
					opt_name(p));
		return '?';
	}
	if (c == ':') {
		cli_usage_error(p->cmd, "option %s needs an argument",
				opt_name(p));
		return '?';
	}
	return c;
}

int cli_optind(const cli_parser *p)
{
	(void)p;
	return optind;
}

void cli_parser_release(cli_parser *p)
{
	free(p->longopts);
	p->longopts = NULL;
}

int cli_parse(const cli_command *cmd, int argc, char **argv,
	      cli_opt_fn on_opt, void *ctx, int *first)
{
	cli_parser p;
	const char *arg;
	int c, rc = CLI_EXIT_OK;

	cli_parser_init(&p, cmd, argc, argv);
	while (rc == CLI_EXIT_OK && (c = cli_next(&p, &arg)) != -1) {
		if (c == 'h') {
			cli_print_help(cmd, stdout);
			rc = CLI_HELP_SHOWN;
		} else if (c == '?') {
			rc = CLI_EXIT_USAGE;
		} else {
			rc = on_opt(ctx, c, arg);
		}
	}
	*first = cli_optind(&p);
	cli_parser_release(&p);
	return rc;
}

int cli_check_format(const cli_command *cmd, const char *format,
		     const char *const *allowed)
{
	char list[256] = "";
	size_t n = 0;

	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(format, allowed[i]) == 0)
			return CLI_EXIT_OK;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? (allowed[i + 1] ? ", " : " or ") : "",
				      allowed[i]);
		if (n >= sizeof(list))
			break;
	}
	return cli_usage_error(cmd, "-o: expected %s, got \"%s\"", list,
			       format);
}

void cli_print_help(const cli_command *cmd, FILE *out)
{
	fprintf(out, "%s\n\nUsage:\n  cozypkg %s\n", cmd->summary, cmd->usage);
	if (cmd->description)
		fprintf(out, "\n%s\n", cmd->description);
	fprintf(out, "\nOptions:\n");
	for (const cli_opt *o = cmd->opts; o && o->id; o++) {
		char left[64];

		if (o->id < CLI_LONG_ONLY)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id,
				 o->long_name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-36s %s\n", left, o->help);
	}
	fprintf(out, "  %-36s %s\n", "-h, --help", "show this help");
	if (cmd->examples)
		fprintf(out, "\nExamples:\n%s", cmd->examples);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cozypkg: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nRun 'cozypkg %s --help' for usage.\n",
			cmd->name);
	else
		fprintf(stderr, "\nRun 'cozypkg --help' for usage.\n");
	return CLI_EXIT_USAGE;
}

int cli_load_files(const char *const *paths, size_t npaths, cz_catalog *cat)
{
	cz_diags diags;
	cz_loader ld;
	int rc = CLI_EXIT_OK;

	cz_diags_init(&diags);
	cz_loader_init(&ld, cat, &diags);
	for (size_t i = 0; i < npaths; i++)
		cz_load_path(&ld, paths[i]);
	cz_catalog_finish(cat);
	cz_diags_print(&diags, stderr);
	if (diags.nerrors) {
		fprintf(stderr, "cozypkg: %zu error%s in the input\n",
			diags.nerrors, diags.nerrors == 1 ? "" : "s");
		rc = CLI_EXIT_USAGE;
	}
	cz_diags_release(&diags);
	return rc;
}

int cli_write_stdout(const char *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "cozypkg: writing the output: %s\n",
			strerror(errno));
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

static int parse_max_history(const char *arg, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 0 || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_engine_option(const cli_command *cmd, int id, const char *arg,
		      cz_engine_opts *opts, bool *handled)
{
	int64_t *targets[] = { &opts->interval_ns, &opts->retry_interval_ns,
			       &opts->install_timeout_ns,
			       &opts->upgrade_timeout_ns };
	cz_error err = CZ_ERROR_INIT;
	int k = id - (CLI_LONG_ONLY + 100);

	*handled = k >= 0 && k <= 4;
	if (!*handled)
		return CLI_EXIT_OK;
	if (k == 4) {
		if (parse_max_history(arg, &opts->max_history) < 0)
			return cli_usage_error(cmd,
					       "--helmrelease-max-history: "
					       "expected a whole number >= 0, "
					       "got \"%s\"",
					       arg);
		return CLI_EXIT_OK;
	}
	if (cz_duration_parse(arg, targets[k], &err) < 0 || *targets[k] < 0)
		return cli_usage_error(cmd, "%s", err.code ? err.msg :
				       "durations must not be negative");
	return CLI_EXIT_OK;
}
