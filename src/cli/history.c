/* What history, rollback, unpin, suspend and resume share: the object a
 * PKG or source/NAME argument names, and its ControllerRevisions. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "controller/history.h"
#include "controller/manager.h"
#include "util/mem.h"

static const char *const flux_kinds[][2] = {
	{ "ocirepositories", "OCIRepository" },
	{ "gitrepositories", "GitRepository" },
};

void cli_owner_release(cli_owner *o)
{
	json_decref(o->obj);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

/* source/NAME or source/NS/NAME: an OCIRepository, else a GitRepository. */
static int find_source(cli_conn *c, const char *spec, cli_owner *o,
		       cz_error *err)
{
	const char *slash = strchr(spec, '/');
	char *ns = slash ? cz_xstrndup(spec, (size_t)(slash - spec))
			 : cz_xstrdup(CZ_HISTORY_DEFAULT_NAMESPACE);
	const char *name = slash ? slash + 1 : spec;
	int rc = CZ_ENOTFOUND;

	for (size_t i = 0; i < 2 && rc == CZ_ENOTFOUND; i++) {
		const cz_resource *r = cz_resource_find(
			"source.toolkit.fluxcd.io", "v1", flux_kinds[i][0]);

		free(o->path);
		o->path = cz_kube_path(r, ns, name, NULL, NULL);
		o->kind = flux_kinds[i][1];
		o->res = r;
		rc = cz_kube_get(c->kube, o->path, &o->obj, err);
	}
	if (rc == CZ_ENOTFOUND)
		cz_fail(err, rc, "no OCIRepository or GitRepository %s/%s", ns,
			name);
	snprintf(o->revisions_ns, sizeof(o->revisions_ns), "%s", ns);
	free(ns);
	return rc;
}

int cli_owner_find(cli_conn *c, const char *arg, cli_owner *o, cz_error *err)
{
	memset(o, 0, sizeof(*o));
	if (strncmp(arg, "source/", 7) == 0)
		return find_source(c, arg + 7, o, err);
	o->kind = "Package";
	o->res = cli_res_packages();
	o->path = cz_kube_path(o->res, NULL, arg, NULL, NULL);
	snprintf(o->revisions_ns, sizeof(o->revisions_ns), "%s",
		 CZ_HISTORY_DEFAULT_NAMESPACE);
	return cz_kube_get(c->kube, o->path, &o->obj, err);
}

static int by_revision(const void *a, const void *b)
{
	json_int_t x = json_integer_value(
		json_object_get(*(json_t *const *)a, "revision"));
	json_int_t y = json_integer_value(
		json_object_get(*(json_t *const *)b, "revision"));

	return x < y ? -1 : x > y;
}

int cli_owner_revisions(cli_conn *c, const cli_owner *o, json_t **out,
			cz_error *err)
{
	const char *uid = json_string_value(json_object_get(
		json_object_get(o->obj, "metadata"), "uid"));
	char *selector = cz_xasprintf("%s=%s", CZ_HISTORY_OWNER_UID,
				      uid ? uid : "none");
	json_t *list = NULL, *items;
	json_t **sorted = NULL;
	size_t n;
	int rc;

	*out = NULL;
	rc = cz_kube_list(c->kube,
			  cz_resource_find("apps", "v1", "controllerrevisions"),
			  o->revisions_ns, selector, &list, err);
	if (rc < 0)
		goto cleanup;
	items = json_object_get(list, "items");
	n = json_array_size(items);
	sorted = cz_xcalloc(n + 1, sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(items, i);
	qsort(sorted, n, sizeof(*sorted), by_revision);
	*out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(*out, sorted[i]);
cleanup:
	free(sorted);
	json_decref(list);
	free(selector);
	return rc;
}

json_t *cli_revision_find(const json_t *revisions, json_int_t n)
{
	size_t i;
	json_t *r;

	json_array_foreach (revisions, i, r)
		if (json_integer_value(json_object_get(r, "revision")) == n)
			return r;
	return NULL;
}

const char *cli_revision_annotation(const json_t *rev, const char *key)
{
	const char *v = json_string_value(json_object_get(
		json_object_get(json_object_get(rev, "metadata"),
				"annotations"),
		key));

	return v ? v : "";
}

/* Whether every item of arr is an object with a string name: lists the
 * model keys by name (variants, components, libraries). */
static bool named_items(const json_t *arr)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr) || !json_array_size(arr))
		return false;
	json_array_foreach (arr, i, v)
		if (!json_is_string(json_object_get(v, "name")))
			return false;
	return true;
}

static const json_t *item_named(const json_t *arr, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")),
			   name) == 0)
			return v;
	return NULL;
}

static void diff(cz_buf *out, const char *path, const json_t *a,
		 const json_t *b);

/* Items matched by name: "PATH[NAME]: added", "... removed", or their
 * own differences. */
static void diff_named(cz_buf *out, const char *path, const json_t *a,
		       const json_t *b)
{
	size_t i;
	json_t *v;

	json_array_foreach (a, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		char *sub = cz_xasprintf("%s[%s]", path, name);
		const json_t *w = item_named(b, name);

		if (w)
			diff(out, sub, v, w);
		else
			cz_buf_printf(out, "  %s: removed\n", sub);
		free(sub);
	}
	json_array_foreach (b, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));

		if (!item_named(a, name))
			cz_buf_printf(out, "  %s[%s]: added\n", path, name);
	}
}

/* Appends a line per leaf that differs between a and b, under path. */
static void diff(cz_buf *out, const char *path, const json_t *a,
		 const json_t *b)
{
	const char *key;
	json_t *v;

	if (named_items(a) && named_items(b)) {
		diff_named(out, path, a, b);
		return;
	}

	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach ((json_t *)a, key, v) {
			char *sub = cz_xasprintf("%s.%s", path, key);

			diff(out, sub, v, json_object_get(b, key));
			free(sub);
		}
		json_object_foreach ((json_t *)b, key, v)
			if (!json_object_get(a, key)) {
				char *sub = cz_xasprintf("%s.%s", path, key);

				diff(out, sub, NULL, v);
				free(sub);
			}
		return;
	}
	if (json_equal(a, b) || (!a && !b))
		return;
	{
		char *x = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY)
			    : cz_xstrdup("(none)");
		char *y = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY)
			    : cz_xstrdup("(none)");

		cz_buf_printf(out, "  %s: %s -> %s\n", path, x, y);
		free(x);
		free(y);
	}
}

void cli_json_diff(cz_buf *out, const char *path, const json_t *from,
		   const json_t *to)
{
	diff(out, path, from, to);
}

int cli_confirm(bool yes, const char *question)
{
	char *answer;
	bool ok;

	if (yes)
		return CLI_EXIT_OK;
	if (!cli_interactive()) {
		fprintf(stderr, "cozypkg: this needs a confirmation and stdin "
				"is not a terminal: run again with --yes\n");
		return CLI_EXIT_USAGE;
	}
	answer = cli_ask(question);
	ok = answer && (strcmp(answer, "y") == 0 || strcmp(answer, "yes") == 0);
	free(answer);
	if (!ok) {
		fprintf(stderr, "cozypkg: cancelled\n");
		return CLI_EXIT_CANCELLED;
	}
	return CLI_EXIT_OK;
}

/* spec.suspend of every HelmRelease of pkg. */
static int suspend_releases(cli_conn *c, const char *pkg, bool on,
			    size_t *n, cz_error *err)
{
	const cz_resource *hr = cz_resource_find("helm.toolkit.fluxcd.io",
						 "v2", "helmreleases");
	char *selector = cz_xasprintf("cozystack.io/package=%s", pkg);
	json_t *list = NULL;
	json_t *patch = json_pack("{s:{s:b}}", "spec", "suspend", on);
	size_t i;
	json_t *item;
	int rc = cz_kube_list(c->kube, hr, NULL, selector, &list, err);

	*n = 0;
	json_array_foreach (json_object_get(list, "items"), i, item) {
		char *path;

		if (rc < 0)
			break;
		path = cz_kube_path(hr, cz_meta_str(item, "namespace"),
				    cz_meta_str(item, "name"), NULL, NULL);
		rc = cz_kube_patch(c->kube, path,
				   "application/merge-patch+json", patch, NULL,
				   err);
		*n += rc == CZ_OK;
		free(path);
	}
	json_decref(patch);
	json_decref(list);
	free(selector);
	return rc;
}

int cli_set_suspended(cli_conn *c, const char *pkg, bool on)
{
	cz_error err = CZ_ERROR_INIT;
	char *path = cz_kube_path(cli_res_packages(), NULL, pkg, NULL, NULL);
	json_t *patch = json_pack("{s:{s:{s:s?}}}", "metadata", "annotations",
				  CZ_SUSPEND_ANNOTATION, on ? "true" : NULL);
	size_t n = 0;
	int rc;

	if (!on)
		json_object_set_new(json_object_get(json_object_get(patch,
								    "metadata"),
						    "annotations"),
				    CZ_SUSPEND_ANNOTATION, json_null());
	/* The Package first when suspending, so that the controller no
	 * longer writes the releases being suspended; last when resuming,
	 * so that it rewrites them once they are resumed. */
	rc = on ? cz_kube_patch(c->kube, path, "application/merge-patch+json",
				patch, NULL, &err)
		: CZ_OK;
	if (rc == CZ_OK)
		rc = suspend_releases(c, pkg, on, &n, &err);
	if (rc == CZ_OK && !on)
		rc = cz_kube_patch(c->kube, path,
				   "application/merge-patch+json", patch, NULL,
				   &err);
	json_decref(patch);
	free(path);
	if (rc < 0)
		return cli_fail(&err);
	fprintf(stderr, "✓ Package %s %s: %zu HelmRelease(s)\n", pkg,
		on ? "suspended" : "resumed", n);
	return CLI_EXIT_OK;
}

static int conn_opt(void *ctx, int id, const char *arg)
{
	return cli_conn_option(ctx, id, arg) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int cli_run_on_one(const cli_command *cmd, int argc, char **argv,
		   const char *what, cli_one_fn fn, void *ctx)
{
	cli_conn conn;
	int first, rc;

	memset(&conn, 0, sizeof(conn));
	rc = cli_parse(cmd, argc, argv, conn_opt, &conn, &first);
	if (rc == CLI_EXIT_OK && first + 1 != argc)
		rc = cli_usage_error(cmd, "%s takes one %s", cmd->name, what);
	if (rc == CLI_EXIT_OK)
		rc = cli_connect(&conn);
	if (rc == CLI_EXIT_OK)
		rc = fn(&conn, argv[first], ctx);
	cli_conn_close(&conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}
