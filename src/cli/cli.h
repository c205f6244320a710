#ifndef CZ_CLI_CLI_H
#define CZ_CLI_CLI_H

/*
 * The cozypkg command line.  One file per command; the table in main.c
 * drives dispatch, --help, completion and the man page.
 *
 * Adding a command: write cmd_<name>.c with a cli_command definition,
 * declare it below, add it to the table in main.c, add e2e tests under
 * tests/e2e/ and a section in docs/.
 */

#include <stdbool.h>
#include <stdio.h>

#include "engine/engine.h"
#include "model/catalog.h"
#include "util/diags.h"

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILED = 1,    /* the operation failed */
	CLI_EXIT_USAGE = 2,     /* bad arguments or invalid input */
	CLI_EXIT_CANCELLED = 3, /* the user said no */
};

/* Options with an id over this have no short form. */
#define CLI_LONG_ONLY 256

typedef struct cli_opt {
	int id;                /* short option letter, or CLI_LONG_ONLY + n */
	const char *long_name;
	const char *arg;       /* argument placeholder; NULL for a flag */
	const char *help;
} cli_opt;

typedef struct cli_command {
	const char *name;
	int (*run)(const struct cli_command *cmd, int argc, char **argv);
	const char *summary;
	const char *usage;     /* after "cozypkg " */
	const char *description;
	const cli_opt *opts;   /* ends with a zero id */
	const char *examples;
} cli_command;

extern const cli_command cmd_render;
extern const cli_command cmd_dot;
extern const cli_command cmd_version;

/* The table, for help and completion. */
const cli_command *const *cli_commands(void);

/*
 * Option parsing over a command's table.  Call cli_next() until it returns
 * -1; *arg receives the option's argument.  It returns '?' after printing
 * a usage error, and 'h' for --help.
 */
typedef struct cli_parser {
	const cli_command *cmd;
	int argc;
	char **argv;
	void *longopts;
	char shortopts[128];
} cli_parser;

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc,
		     char **argv);
int cli_next(cli_parser *p, const char **arg);
/* Index of the first positional argument once cli_next() returned -1. */
int cli_optind(const cli_parser *p);
void cli_parser_release(cli_parser *p);

void cli_print_help(const cli_command *cmd, FILE *out);
/* Prints "cozypkg: <message>" and the hint to use --help; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Loads every -f path into cat (finished, sorted) and prints diagnostics to
 * stderr.  Returns CLI_EXIT_OK, or CLI_EXIT_USAGE when any input is
 * invalid (errors printed, nothing loaded is to be used). */
int cli_load_files(const char *const *paths, size_t npaths, cz_catalog *cat);

/* Writes len bytes to stdout; CLI_EXIT_FAILED on a write error. */
int cli_write_stdout(const char *data, size_t len);

/* Parses the --helmrelease-* engine options; CLI_EXIT_USAGE on error. */
int cli_engine_option(const cli_command *cmd, int id, const char *arg,
		      cz_engine_opts *opts, bool *handled);
#define CLI_ENGINE_OPTIONS                                                     \
	{ CLI_LONG_ONLY + 100, "helmrelease-interval", "DURATION",             \
	  "HelmRelease spec.interval (default 5m)" },                          \
	{ CLI_LONG_ONLY + 101, "helmrelease-retry-interval", "DURATION",       \
	  "install/upgrade strategy retryInterval (default 30s)" },            \
	{ CLI_LONG_ONLY + 102, "helmrelease-install-timeout", "DURATION",      \
	  "spec.install.timeout (default 10m)" },                              \
	{ CLI_LONG_ONLY + 103, "helmrelease-upgrade-timeout", "DURATION",      \
	  "spec.upgrade.timeout (default 10m)" },                              \
	{ CLI_LONG_ONLY + 104, "helmrelease-max-history", "N",                 \
	  "spec.maxHistory, 0 for unlimited (default 5)" }

#endif
