/* cozypkg repo register|get|unregister: pkgserver Repositories, as
 * porchctl repo does them, each step its own verb. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/mem.h"

enum {
	OPT_BRANCH = CLI_LONG_ONLY + 1,
	OPT_DIRECTORY,
	OPT_DEPLOYMENT,
	OPT_SECRET,
	OPT_WAIT,
};

static const cli_opt opts[] = {
	{ 'n', "namespace", "NS", "the Repository's namespace (default "
				  "default)" },
	{ OPT_BRANCH, "branch", "NAME", "the published branch (default main)" },
	{ OPT_DIRECTORY, "directory", "DIR",
	  "the sub-directory holding packages (default the root)" },
	{ OPT_DEPLOYMENT, "deployment", NULL,
	  "a deployment repository (default: a catalog)" },
	{ OPT_SECRET, "secret", "NAME",
	  "a basic-auth or token Secret in the namespace" },
	{ OPT_WAIT, "wait", NULL, "register: wait until it has synced" },
	{ 'o', "output", "FORMAT", "get: table (default), yaml or json" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct repo_args {
	const char *ns, *branch, *directory, *secret, *format;
	bool deployment, wait;
	cli_conn conn;
} repo_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	repo_args *a = ctx;

	switch (id) {
	case 'n': a->ns = arg; break;
	case OPT_BRANCH: a->branch = arg; break;
	case OPT_DIRECTORY: a->directory = arg; break;
	case OPT_DEPLOYMENT: a->deployment = true; break;
	case OPT_SECRET: a->secret = arg; break;
	case OPT_WAIT: a->wait = true; break;
	case 'o': a->format = arg; break;
	default:
		return cli_conn_option(&a->conn, id, arg) ? CLI_EXIT_OK
							  : CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static const cz_resource *res_repos(void)
{
	return cz_resource_find("config.pkg.pkgserver.dev", "v1alpha1",
				"repositories");
}

static const char *ready_of(const json_t *repo, const char **reason,
			    const char **message)
{
	size_t i;
	json_t *c;

	*reason = *message = "";
	json_array_foreach (json_object_get(json_object_get(repo, "status"),
					    "conditions"),
			    i, c) {
		if (strcmp(json_string_value(json_object_get(c, "type")),
			   "Ready") != 0)
			continue;
		*reason = json_string_value(json_object_get(c, "reason"));
		*message = json_string_value(json_object_get(c, "message"));
		return json_string_value(json_object_get(c, "status"));
	}
	return "Unknown";
}

/* Waits until the Repository has synced once; its message either way. */
static int wait_synced(repo_args *a, const char *path)
{
	int64_t deadline = cz_mono_ns() + CLI_DEFAULT_WAIT_NS;
	struct timespec pause = { 0, 200 * 1000000L };

	while (cz_mono_ns() < deadline) {
		cz_error err = CZ_ERROR_INIT;
		json_t *repo = NULL;
		const char *reason, *msg, *st;
		bool synced;
		int rc;

		if (cz_kube_get(a->conn.kube, path, &repo, &err) < 0)
			return cli_fail(&err);
		st = ready_of(repo, &reason, &msg);
		synced = strcmp(st, "Unknown") != 0;
		rc = strcmp(st, "True") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
		if (synced)
			fprintf(stderr, "%s %s: %s\n",
				rc == CLI_EXIT_OK ? "✓" : "✗", reason, msg);
		json_decref(repo);
		if (synced)
			return rc;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "cozypkg: timed out waiting for the first sync\n");
	return CLI_EXIT_FAILED;
}

static int do_register(repo_args *a, const char *name, const char *url)
{
	json_t *git = json_pack("{s:s, s:s}", "url", url, "ref",
				a->branch ? a->branch : "main");
	json_t *obj = NULL;
	char *path = NULL, *apply = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	if (a->directory)
		json_object_set_new(git, "directory",
				    json_string(a->directory));
	if (a->secret)
		json_object_set_new(git, "credentials", json_string(a->secret));
	obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:b, s:o}}",
			"apiVersion", "config.pkg.pkgserver.dev/v1alpha1",
			"kind", "Repository", "metadata", "name", name,
			"namespace", a->ns, "spec", "type", "git",
			"deployment", a->deployment, "git", git);
	path = cz_kube_path(res_repos(), a->ns, name, NULL, NULL);
	apply = cz_kube_path(res_repos(), a->ns, NULL, NULL,
			     "fieldManager=cozypkg");
	rc = cz_kube_create(a->conn.kube, apply, obj, NULL, &err) < 0
		     ? cli_fail(&err)
		     : CLI_EXIT_OK;
	if (rc == CLI_EXIT_OK)
		fprintf(stderr, "✓ Repository %s/%s registered (%s)\n", a->ns,
			name, a->deployment ? "deployment" : "catalog");
	if (rc == CLI_EXIT_OK && a->wait)
		rc = wait_synced(a, path);
	json_decref(obj);
	free(apply);
	free(path);
	return rc;
}

static void row(cli_table *t, const json_t *repo)
{
	const json_t *spec = json_object_get(repo, "spec");
	const json_t *git = json_object_get(spec, "git");
	const json_t *st = json_object_get(repo, "status");
	const char *reason, *msg, *ready = ready_of(repo, &reason, &msg);
	const char *commit = json_string_value(json_object_get(
		st, "lastSyncedCommit"));
	char revisions[32], shortc[13];
	const char *cells[8];

	snprintf(revisions, sizeof(revisions), "%lld",
		 (long long)json_integer_value(json_object_get(st,
							       "revisions")));
	snprintf(shortc, sizeof(shortc), "%.12s", commit ? commit : "");
	cells[0] = cz_meta_str(repo, "name");
	cells[1] = ready;
	cells[2] = json_is_true(json_object_get(spec, "deployment"))
			   ? "deployment"
			   : "catalog";
	cells[3] = json_string_value(json_object_get(git, "ref"))
			   ? json_string_value(json_object_get(git, "ref"))
			   : "main";
	cells[4] = json_string_value(json_object_get(git, "url"))
			   ? json_string_value(json_object_get(git, "url"))
			   : "";
	cells[5] = revisions;
	cells[6] = shortc;
	cells[7] = msg ? msg : "";
	cli_table_row(t, cells);
}

static int do_get(repo_args *a, const char *name)
{
	static const char *const head[] = { "NAME",   "READY",     "KIND",
					    "BRANCH", "ADDRESS",   "REVISIONS",
					    "COMMIT", "MESSAGE" };
	json_t *list = NULL, *items;
	cz_error err = CZ_ERROR_INIT;
	char *path = cz_kube_path(res_repos(), a->ns, name, NULL, NULL);
	cli_table t;
	size_t i;
	json_t *r;
	int rc;

	if (cz_kube_get(a->conn.kube, path, &list, &err) < 0) {
		free(path);
		return cli_fail(&err);
	}
	free(path);
	if (strcmp(a->format, "table") != 0) {
		rc = cli_write_object(list, a->format);
		json_decref(list);
		return rc;
	}
	items = name ? NULL : json_object_get(list, "items");
	cli_table_init(&t, 8);
	cli_table_row(&t, head);
	if (name)
		row(&t, list);
	json_array_foreach (items, i, r)
		row(&t, r);
	rc = cli_table_print(&t);
	json_decref(list);
	return rc;
}

static int do_unregister(repo_args *a, const char *name)
{
	char *path = cz_kube_path(res_repos(), a->ns, name, NULL, NULL);
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_kube_delete(a->conn.kube, path, NULL, NULL, &err) < 0
			 ? cli_fail(&err)
			 : CLI_EXIT_OK;

	if (rc == CLI_EXIT_OK)
		fprintf(stderr, "✓ Repository %s/%s unregistered\n", a->ns,
			name);
	free(path);
	return rc;
}

static int dispatch(const cli_command *cmd, repo_args *a, const char *sub,
		    int argc, char **argv)
{
	static const char *const formats[] = { "table", "yaml", "json", NULL };
	int rc = cli_check_format(cmd, a->format, formats);

	if (rc != CLI_EXIT_OK)
		return rc;
	if (strcmp(sub, "register") == 0 && argc != 2)
		return cli_usage_error(cmd, "repo register takes NAME and URL");
	if ((strcmp(sub, "unregister") == 0 && argc != 1) ||
	    (strcmp(sub, "get") == 0 && argc > 1))
		return cli_usage_error(cmd, "repo %s takes %s", sub,
				       strcmp(sub, "get") == 0 ? "[NAME]"
							       : "NAME");
	if (strcmp(sub, "register") != 0 && strcmp(sub, "get") != 0 &&
	    strcmp(sub, "unregister") != 0)
		return cli_usage_error(cmd, "unknown subcommand \"%s\" "
				       "(register, get or unregister)", sub);
	if ((rc = cli_connect(&a->conn)) != CLI_EXIT_OK)
		return rc;
	if (strcmp(sub, "register") == 0)
		return do_register(a, argv[0], argv[1]);
	if (strcmp(sub, "get") == 0)
		return do_get(a, argc ? argv[0] : NULL);
	return do_unregister(a, argv[0]);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	repo_args a;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int first = 0, rc;

	memset(&a, 0, sizeof(a));
	a.ns = "default";
	a.format = "table";
	if (!sub || *sub == '-') {
		rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
		return rc == CLI_HELP_SHOWN
			       ? CLI_EXIT_OK
			       : cli_usage_error(cmd, "expected register, get "
						      "or unregister");
	}
	rc = cli_parse(cmd, argc - 1, argv + 1, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK)
		rc = dispatch(cmd, &a, sub, argc - 1 - first,
			      argv + 1 + first);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_repo = {
	.name = "repo",
	.run = run,
	.summary = "Register, show or unregister package repositories in git",
	.usage = "repo register NAME URL [--branch B] [--directory D] "
		 "[--deployment] [--secret S] [--wait] | repo get [NAME] [-o "
		 "FORMAT] | repo unregister NAME",
	.description =
		"Package repositories are pkgserver's Repository objects "
		"(config.pkg.pkgserver.dev/v1alpha1): a git repository of "
		"packages, a catalog or a deployment repository.  register "
		"creates one (fails when it exists); cozypkgd then syncs it "
		"with ls-remote and reports Ready, the published branch's "
		"commit and the number of published revisions, which get "
		"shows.  --secret names a kubernetes.io/basic-auth Secret "
		"(username, password) or one with a token key.  unregister "
		"deletes the Repository; the git repository is not "
		"touched.\n\nExit codes: 0 done, 1 failed (or not synced "
		"with --wait), 2 usage.",
	.opts = opts,
	.examples = "  cozypkg repo register catalog "
		    "https://git.example/catalog.git --directory packages "
		    "--wait\n"
		    "  cozypkg repo register prod https://git.example/prod.git "
		    "--deployment --secret git-auth\n"
		    "  cozypkg repo get\n"
		    "  cozypkg repo unregister catalog\n",
};
