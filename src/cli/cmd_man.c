/* cozypkg __man: the manual page, written from the command table
 * (make man keeps docs/cozypkg.1 up to date with it). */

#include <string.h>

#include "cli.h"
#include "util/buf.h"

static const cli_opt opts[] = {
	{ 0, NULL, NULL, NULL },
};

/* Text escaped for roff: backslashes and hyphens, and a control
 * character at the start of a line neutralised. */
static void roff(cz_buf *b, const char *s)
{
	bool line_start = true;

	for (; *s; s++) {
		if (line_start && (*s == '.' || *s == '\''))
			cz_buf_puts(b, "\\&");
		if (*s == '\\')
			cz_buf_puts(b, "\\e");
		else if (*s == '-')
			cz_buf_puts(b, "\\-");
		else
			cz_buf_putc(b, *s);
		line_start = *s == '\n';
	}
}

static void option_item(cz_buf *b, const cli_opt *o)
{
	cz_buf_puts(b, ".TP\n.B ");
	if (o->id < CLI_LONG_ONLY)
		cz_buf_printf(b, "\\-%c, ", o->id);
	cz_buf_puts(b, "\\-\\-");
	roff(b, o->long_name);
	if (o->arg) {
		cz_buf_puts(b, " \\fI");
		roff(b, o->arg);
		cz_buf_puts(b, "\\fR");
	}
	cz_buf_putc(b, '\n');
	roff(b, o->help);
	cz_buf_putc(b, '\n');
}

static void command_section(cz_buf *b, const cli_command *c)
{
	cz_buf_puts(b, ".SS \"cozypkg ");
	roff(b, c->usage);
	cz_buf_puts(b, "\"\n");
	roff(b, c->summary);
	cz_buf_puts(b, ".\n");
	if (c->description) {
		cz_buf_puts(b, ".PP\n");
		roff(b, c->description);
		cz_buf_putc(b, '\n');
	}
	for (const cli_opt *o = c->opts; o && o->id; o++)
		option_item(b, o);
	if (c->examples) {
		cz_buf_puts(b, ".PP\nExamples:\n.PP\n.nf\n");
		roff(b, c->examples);
		cz_buf_puts(b, ".fi\n");
	}
}

static void write_man(cz_buf *b)
{
	const cli_command *const *all = cli_commands();

	cz_buf_printf(b, ".TH COZYPKG 1 \"\" \"cozypkg %s\" \"User Commands\"\n",
		      CZ_VERSION);
	cz_buf_puts(b, ".SH NAME\ncozypkg \\- Cozystack packages, offline and "
		       "against any Kubernetes API\n"
		       ".SH SYNOPSIS\n.B cozypkg\n\\fICOMMAND\\fR "
		       "[\\fIOPTIONS\\fR]\n"
		       ".SH DESCRIPTION\n"
		       "cozypkg installs, lists, deletes and draws Cozystack "
		       "packages (Package and\nPackageSource objects of "
		       "cozystack.io/v1alpha1) on a cluster, and renders\nwhat "
		       "the package controller would create from files.  It "
		       "reaches the cluster\nas kubectl does and needs nothing "
		       "but the API server.\n"
		       ".SH COMMANDS\n");
	for (size_t i = 0; all[i]; i++)
		if (!all[i]->hidden)
			command_section(b, all[i]);
	cz_buf_puts(b, ".SH EXIT STATUS\n"
		       ".TP\n.B 0\nsuccess\n"
		       ".TP\n.B 1\nthe operation failed (server unreachable, "
		       "refused, not found)\n"
		       ".TP\n.B 2\nusage error or invalid input (flags, files, "
		       "kubeconfig, values)\n"
		       ".TP\n.B 3\ncancelled by the user\n"
		       ".SH ENVIRONMENT\n"
		       ".TP\n.B KUBECONFIG\ncolon\\-separated kubeconfig files, "
		       "merged as kubectl merges them\n"
		       ".TP\n.B HOME\n~/.kube/config is read when neither "
		       "\\-\\-kubeconfig nor KUBECONFIG is given\n"
		       ".SH SEE ALSO\n.BR kubectl (1),\n.BR dot (1)\n");
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	cz_buf b;
	int rc;

	(void)cmd;
	if (argc > 1)
		return cli_usage_error(NULL, "__man takes no arguments, got "
					     "\"%s\"",
				       argv[1]);
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	write_man(&b);
	rc = cli_write_stdout(b.data, b.len);
	cz_buf_release(&b);
	return rc;
}

const cli_command cmd_man = {
	.name = "__man",
	.run = run,
	.summary = "Print the manual page in roff",
	.usage = "__man",
	.opts = opts,
	.hidden = true,
};
