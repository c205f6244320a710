/* cozypkg untap: remove PackageSources that `cozypkg tap` made, and their
 * OCIRepository once no tapped source uses it. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "market/tap.h"
#include "util/mem.h"
#include "util/strmap.h"

enum { OPT_CASCADE = CLI_LONG_ONLY + 1 };

static const cli_opt opts[] = {
	{ 'y', "yes", NULL,
	  "go on although Packages of these sources are installed (they are "
	  "left without a source unless --cascade)" },
	{ OPT_CASCADE, "cascade", NULL,
	  "delete those Packages and their dependents first, dependents "
	  "first" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct untap_args {
	bool yes;
	bool cascade;
	cli_conn conn;
} untap_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	untap_args *a = ctx;

	if (id == 'y')
		a->yes = true;
	else if (id == OPT_CASCADE)
		a->cascade = true;
	else if (!cli_conn_option(&a->conn, id, arg))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

static const cz_resource *res_ocirepos(void)
{
	return cz_resource_find("source.toolkit.fluxcd.io", "v1",
				"ocirepositories");
}

/* Every name is a PackageSource that a tap made; taps receives the tap
 * of each (the OCIRepository names). */
static int check_tapped(untap_args *a, const cli_names *names,
			cli_names *taps)
{
	for (size_t i = 0; i < names->len; i++) {
		cz_error err = CZ_ERROR_INIT;
		json_t *src = NULL;
		const char *tap;
		int rc = cli_get(&a->conn, cli_res_sources(), names->items[i],
				 &src, &err);

		if (rc < 0)
			return cli_fail(&err);
		tap = cz_tap_label(src);
		if (!tap) {
			fprintf(stderr, "cozypkg: PackageSource %s was not "
					"made by tap (no %s label): untap only "
					"removes tapped sources\n",
				names->items[i], CZ_TAP_LABEL);
			json_decref(src);
			return CLI_EXIT_FAILED;
		}
		cli_names_add(taps, tap);
		json_decref(src);
	}
	return CLI_EXIT_OK;
}

/* The installed Packages of these sources and their dependents: none, or
 * --cascade deletes them, or --yes leaves them; otherwise refused. */
static int handle_packages(untap_args *a, const cli_names *names)
{
	cli_del_opts look = {
		.analyse_only = true,
		.quiet = true,
		.title = "These sources have installed Packages:",
	};
	cli_del_opts cascade = { .yes = a->yes, .quiet = true };
	size_t n = 0;
	int rc;

	if (a->cascade)
		return cli_del_packages(&a->conn, names, &cascade, NULL);
	rc = cli_del_packages(&a->conn, names, &look, &n);
	if (rc != CLI_EXIT_OK || n == 0)
		return rc;
	if (a->yes) {
		fprintf(stderr, "⚠ leaving %zu installed Package(s) without "
				"their source: they will report "
				"PackageSourceNotFound\n", n);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "cozypkg: %zu installed Package(s) use these "
			"sources: run again with --cascade to delete them "
			"too, or --yes to leave them without a source\n", n);
	return CLI_EXIT_FAILED;
}

static int delete_path(untap_args *a, const char *path, const char *what)
{
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_kube_delete(a->conn.kube, path, NULL, NULL, &err);

	if (rc == CZ_OK)
		fprintf(stderr, "✓ Deleted %s\n", what);
	else if (rc != CZ_ENOTFOUND)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

static int delete_sources(untap_args *a, const cli_names *names)
{
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; i < names->len && rc == CLI_EXIT_OK; i++) {
		char *path = cz_kube_path(cli_res_sources(), NULL,
					  names->items[i], NULL, NULL);
		char *what = cz_xasprintf("PackageSource %s", names->items[i]);

		rc = delete_path(a, path, what);
		free(what);
		free(path);
	}
	return rc;
}

/* The tap's OCIRepository and its Secrets, once no PackageSource of the
 * tap is left. */
static int delete_unused_tap(untap_args *a, const char *tap)
{
	char *selector = cz_xasprintf("%s=%s", CZ_TAP_LABEL, tap);
	const cz_resource *secrets = cz_resource_find("", "v1", "secrets");
	cz_error err = CZ_ERROR_INIT;
	json_t *left = NULL, *owned = NULL;
	char *path = NULL, *what = NULL;
	int rc;

	if (cz_kube_list(a->conn.kube, cli_res_sources(), NULL, selector, &left,
			 &err) < 0 ||
	    cz_kube_list(a->conn.kube, secrets, CZ_TAP_NAMESPACE, selector,
			 &owned, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	rc = CLI_EXIT_OK;
	if (json_array_size(json_object_get(left, "items")) > 0)
		goto cleanup;
	path = cz_kube_path(res_ocirepos(), CZ_TAP_NAMESPACE, tap, NULL, NULL);
	what = cz_xasprintf("OCIRepository %s/%s", CZ_TAP_NAMESPACE, tap);
	rc = delete_path(a, path, what);
	for (size_t i = 0; rc == CLI_EXIT_OK &&
			   i < json_array_size(json_object_get(owned, "items"));
	     i++) {
		const char *name = json_string_value(json_object_get(
			json_object_get(json_array_get(json_object_get(owned,
								       "items"),
						       i),
					"metadata"),
			"name"));

		free(path);
		free(what);
		path = cz_kube_path(secrets, CZ_TAP_NAMESPACE, name, NULL,
				    NULL);
		what = cz_xasprintf("Secret %s/%s", CZ_TAP_NAMESPACE, name);
		rc = delete_path(a, path, what);
	}
cleanup:
	json_decref(left);
	json_decref(owned);
	free(path);
	free(what);
	free(selector);
	return rc;
}

static int untap(untap_args *a, const cli_names *names)
{
	cli_names taps;
	int rc;

	cli_names_init(&taps);
	if ((rc = cli_connect(&a->conn)) != CLI_EXIT_OK ||
	    (rc = check_tapped(a, names, &taps)) != CLI_EXIT_OK ||
	    (rc = handle_packages(a, names)) != CLI_EXIT_OK ||
	    (rc = delete_sources(a, names)) != CLI_EXIT_OK)
		goto cleanup;
	for (size_t i = 0; i < taps.len && rc == CLI_EXIT_OK; i++)
		rc = delete_unused_tap(a, taps.items[i]);
cleanup:
	cli_names_release(&taps);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	untap_args a;
	cli_names names;
	int first, rc;

	memset(&a, 0, sizeof(a));
	cli_names_init(&names);
	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK && first >= argc)
		rc = cli_usage_error(cmd, "untap needs a PackageSource name");
	for (int i = first; rc == CLI_EXIT_OK && i < argc; i++)
		cli_names_add(&names, argv[i]);
	if (rc == CLI_EXIT_OK)
		rc = untap(&a, &names);
	cli_names_release(&names);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_untap = {
	.name = "untap",
	.run = run,
	.summary = "Remove tapped PackageSources",
	.usage = "untap NAME... [--yes] [--cascade]",
	.description =
		"Removes PackageSources that `cozypkg tap` made (it refuses "
		"any other).  When Packages of those sources are installed it "
		"lists them and the installed Packages that depend on them, "
		"as `cozypkg del` does, and refuses: --cascade deletes them "
		"first, dependents first (asking, unless --yes); --yes alone "
		"leaves them in place without a source.  The tap's "
		"OCIRepository and its Secrets go once no PackageSource of "
		"the tap is left.\n\nExit codes: 0 done, 1 refused or failed, "
		"2 usage, 3 cancelled.",
	.opts = opts,
	.examples = "  cozypkg untap acme.hello\n"
		    "  cozypkg untap acme.hello --cascade --yes\n",
};
