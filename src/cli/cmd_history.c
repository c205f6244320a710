/* cozypkg history: the recorded revisions of a Package or a Flux source. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "controller/history.h"
#include "util/mem.h"

enum { OPT_REVISION = CLI_LONG_ONLY + 1 };

static const cli_opt opts[] = {
	{ 'o', "output", "FORMAT",
	  "table (default), or yaml or json: one revision (--revision, "
	  "default the latest)" },
	{ OPT_REVISION, "revision", "N", "the revision -o yaml|json shows" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct history_args {
	const char *format;
	json_int_t revision;
	cli_conn conn;
} history_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	history_args *a = ctx;
	char *end = NULL;

	if (id == 'o') {
		a->format = arg;
	} else if (id == OPT_REVISION) {
		a->revision = strtoll(arg, &end, 10);
		if (*end || a->revision < 1)
			return cli_usage_error(&cmd_history, "--revision: "
					       "expected a number from 1, got "
					       "\"%s\"", arg);
	} else if (!cli_conn_option(&a->conn, id, arg)) {
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* What changed in one line: a Package's variant, a source's revision. */
static char *summary(const json_t *rev)
{
	const json_t *data = json_object_get(rev, "data");
	const json_t *spec = json_object_get(data, "spec");
	const char *variant;

	if (!spec) {
		const char *revision = json_string_value(
			json_object_get(data, "revision"));

		return cz_xstrdup(revision ? revision : "");
	}
	variant = json_string_value(json_object_get(spec, "variant"));
	return cz_xasprintf("variant %s, %zu component setting(s)",
			    variant && *variant ? variant : "default",
			    json_object_size(json_object_get(spec,
							     "components")));
}

static int write_table(const json_t *revisions)
{
	static const char *const head[] = { "REVISION", "CHANGED-AT",
					    "CHANGED-BY", "SUMMARY" };
	cli_table t;
	size_t i;
	json_t *r;
	int rc;

	cli_table_init(&t, 4);
	cli_table_row(&t, head);
	json_array_foreach (revisions, i, r) {
		char num[24];
		char *sum = summary(r);
		const char *cells[] = {
			num, cli_revision_annotation(r, CZ_HISTORY_CHANGED_AT),
			cli_revision_annotation(r, CZ_HISTORY_CHANGED_BY), sum
		};

		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(
				 json_object_get(r, "revision")));
		cli_table_row(&t, cells);
		free(sum);
	}
	rc = cli_table_print(&t);
	return rc;
}

static int show(history_args *a, const char *arg)
{
	cli_owner o;
	cz_error err = CZ_ERROR_INIT;
	json_t *revs = NULL;
	const json_t *one;
	int rc;

	if ((rc = cli_connect(&a->conn)) != CLI_EXIT_OK)
		return rc;
	if (cli_owner_find(&a->conn, arg, &o, &err) < 0 ||
	    cli_owner_revisions(&a->conn, &o, &revs, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	if (strcmp(a->format, "table") == 0) {
		rc = json_array_size(revs) ? write_table(revs) : CLI_EXIT_OK;
		if (!json_array_size(revs))
			fprintf(stderr, "No history recorded for %s yet\n", arg);
		goto cleanup;
	}
	one = a->revision ? cli_revision_find(revs, a->revision)
			  : json_array_get(revs, json_array_size(revs) - 1);
	if (!one) {
		fprintf(stderr, "cozypkg: %s has no revision %lld\n", arg,
			(long long)a->revision);
		rc = CLI_EXIT_FAILED;
		goto cleanup;
	}
	rc = cli_write_object(one, a->format);
cleanup:
	json_decref(revs);
	cli_owner_release(&o);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	static const char *const formats[] = { "table", "yaml", "json", NULL };
	history_args a;
	int first, rc;

	memset(&a, 0, sizeof(a));
	a.format = "table";
	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK)
		rc = cli_check_format(cmd, a.format, formats);
	if (rc == CLI_EXIT_OK && first + 1 != argc)
		rc = cli_usage_error(cmd, "history takes one PKG or "
				     "source/NAME");
	if (rc == CLI_EXIT_OK)
		rc = show(&a, argv[first]);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_history = {
	.name = "history",
	.run = run,
	.summary = "Show the recorded revisions of a Package or a Flux source",
	.usage = "history PKG|source/[NS/]NAME [-o table|yaml|json] "
		 "[--revision N]",
	.description =
		"Lists the ControllerRevisions the controllers keep for a "
		"Package (every change of its spec) or a Flux source (every "
		"new artifact revision): number, time, the field manager "
		"that made the change, and a summary.  -o yaml or json shows "
		"one revision whole (the latest, or --revision N).  These "
		"numbers are what `cozypkg rollback --to-revision` takes.",
	.opts = opts,
	.examples = "  cozypkg history example.webapp\n"
		    "  cozypkg history example.webapp -o yaml --revision 2\n"
		    "  cozypkg history source/cozystack-packages\n",
};
