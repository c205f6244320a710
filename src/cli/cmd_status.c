/* cozypkg status: one Package, its dependencies and HelmReleases, and what
 * it is waiting on, on one screen. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/buf.h"
#include "util/mem.h"

static const cli_opt opts[] = {
	{ 'o', "output", "FORMAT", "text (default), json or yaml" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

static const char *str_or(const char *s, const char *fallback)
{
	return s && *s ? s : fallback;
}

static json_t *condition_json(const json_t *obj)
{
	const char *reason = NULL, *message = NULL;
	const char *status = cli_ready_status(obj, &reason, &message);

	return json_pack("{s:s, s:s, s:s}", "status", status, "reason",
			 str_or(reason, ""), "message", str_or(message, ""));
}

static bool is_true(const json_t *cond)
{
	return strcmp(json_string_value(json_object_get(cond, "status")),
		      "True") == 0;
}

/* status.dependencies, each with the dependency Package's own Ready. */
static json_t *dependencies_json(cli_conn *conn, const json_t *pkg)
{
	json_t *deps = json_object_get(json_object_get(pkg, "status"),
				       "dependencies");
	json_t *out = json_array();
	const char *name;
	json_t *entry;

	json_object_foreach (deps, name, entry) {
		cz_error err = CZ_ERROR_INIT;
		json_t *dep = NULL, *item;

		item = json_pack("{s:s}", "name", name);
		if (cli_get(conn, cli_res_packages(), name, &dep, &err) == CZ_OK)
			json_object_set_new(item, "ready", condition_json(dep));
		else
			json_object_set_new(
				item, "ready",
				json_pack("{s:s, s:s, s:s}", "status", "False",
					  "reason", "NotInstalled", "message",
					  "no such Package"));
		json_array_append_new(out, item);
		json_decref(dep);
	}
	return out;
}

static int releases_json(cli_conn *conn, const char *pkg, json_t **out,
			 cz_error *err)
{
	const cz_resource *res =
		cz_resource_find("helm.toolkit.fluxcd.io", "v2", "helmreleases");
	char *sel = cz_xasprintf("cozystack.io/package=%s", pkg);
	json_t *list = NULL;
	size_t i;
	json_t *hr;
	int rc = cz_kube_list(conn->kube, res, NULL, sel, &list, err);

	*out = json_array();
	json_array_foreach (json_object_get(list, "items"), i, hr)
		json_array_append_new(
			*out, json_pack("{s:s, s:s, s:o}", "namespace",
					str_or(cz_meta_str(hr, "namespace"), ""),
					"name", str_or(cz_meta_str(hr, "name"), ""),
					"ready", condition_json(hr)));
	json_decref(list);
	free(sel);
	return rc;
}

/* What keeps the Package from Ready: dependencies, then HelmReleases. */
static json_t *waiting_json(const json_t *deps, const json_t *releases)
{
	json_t *out = json_array();
	size_t i;
	json_t *item;

	json_array_foreach (deps, i, item)
		if (!is_true(json_object_get(item, "ready")))
			json_array_append_new(
				out,
				json_pack("{s:s, s:s, s:O}", "kind", "Package",
					  "name",
					  json_string_value(
						  json_object_get(item, "name")),
					  "ready", json_object_get(item, "ready")));
	json_array_foreach (releases, i, item) {
		char *name;

		if (is_true(json_object_get(item, "ready")))
			continue;
		name = cz_xasprintf(
			"%s/%s",
			json_string_value(json_object_get(item, "namespace")),
			json_string_value(json_object_get(item, "name")));
		json_array_append_new(out, json_pack("{s:s, s:s, s:O}", "kind",
						     "HelmRelease", "name", name,
						     "ready",
						     json_object_get(item,
								     "ready")));
		free(name);
	}
	return out;
}

static void text_condition(cz_buf *b, const json_t *c)
{
	const char *reason = json_string_value(json_object_get(c, "reason"));
	const char *message = json_string_value(json_object_get(c, "message"));

	cz_buf_printf(b, "%s", json_string_value(json_object_get(c, "status")));
	if (*reason)
		cz_buf_printf(b, "  %s", reason);
	if (*message)
		cz_buf_printf(b, ": %s", message);
	cz_buf_putc(b, '\n');
}

static void text_section(cz_buf *b, const char *title, const json_t *items,
			 bool with_ns)
{
	size_t i;
	json_t *item;

	cz_buf_printf(b, "\n%s (%zu):\n", title, json_array_size(items));
	if (!json_array_size(items))
		cz_buf_puts(b, "  none\n");
	json_array_foreach (items, i, item) {
		if (with_ns)
			cz_buf_printf(b, "  %s/%s   ",
				      json_string_value(json_object_get(
					      item, "namespace")),
				      json_string_value(
					      json_object_get(item, "name")));
		else
			cz_buf_printf(b, "  %s   ",
				      json_string_value(
					      json_object_get(item, "name")));
		text_condition(b, json_object_get(item, "ready"));
	}
}

static int write_text(const json_t *st)
{
	cz_buf b;
	size_t i;
	json_t *w;
	int rc;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_printf(&b, "Package:  %s\nVariant:  %s\nSource:   %s\nReady:    ",
		      json_string_value(json_object_get(st, "name")),
		      json_string_value(json_object_get(st, "variant")),
		      json_string_value(json_object_get(st, "source")));
	text_condition(&b, json_object_get(st, "ready"));
	text_section(&b, "Dependencies", json_object_get(st, "dependencies"),
		     false);
	text_section(&b, "HelmReleases", json_object_get(st, "helmReleases"),
		     true);
	if (json_array_size(json_object_get(st, "waitingOn"))) {
		cz_buf_puts(&b, "\nWaiting on:\n");
		json_array_foreach (json_object_get(st, "waitingOn"), i, w) {
			cz_buf_printf(&b, "  - %s %s: ",
				      json_string_value(json_object_get(w, "kind")),
				      json_string_value(json_object_get(w, "name")));
			text_condition(&b, json_object_get(w, "ready"));
		}
	}
	rc = cli_write_stdout(b.data, b.len);
	cz_buf_release(&b);
	return rc;
}

static json_t *source_text(cli_conn *conn, const char *name)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *src = NULL, *out;
	const char *status;

	if (cli_get(conn, cli_res_sources(), name, &src, &err) < 0)
		return json_sprintf("PackageSource %s (%s)", name, err.msg);
	status = cli_ready_status(src, NULL, NULL);
	out = json_sprintf("PackageSource %s (Ready: %s)", name, status);
	json_decref(src);
	return out;
}

static int status(cli_conn *conn, const char *name, const char *format)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *pkg = NULL, *st = NULL, *deps, *releases = NULL;
	const char *variant;
	int rc;

	if (cli_get(conn, cli_res_packages(), name, &pkg, &err) < 0 ||
	    releases_json(conn, name, &releases, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	variant = json_string_value(
		json_object_get(json_object_get(pkg, "spec"), "variant"));
	deps = dependencies_json(conn, pkg);
	st = json_pack("{s:s, s:s, s:o, s:o, s:o, s:O}", "name", name,
		       "variant", str_or(variant, "default"), "source",
		       source_text(conn, name), "ready", condition_json(pkg),
		       "dependencies", deps, "helmReleases", releases);
	json_object_set_new(st, "waitingOn", waiting_json(deps, releases));
	if (strcmp(format, "text") == 0)
		rc = write_text(st);
	else
		rc = cli_write_object(st, format);
cleanup:
	json_decref(pkg);
	json_decref(releases);
	json_decref(st);
	return rc;
}

typedef struct status_args {
	const char *format;
	cli_conn conn;
} status_args;

static int parse_option(void *ctx, int c, const char *arg)
{
	status_args *a = ctx;

	if (c == 'o')
		a->format = arg;
	else if (!cli_conn_option(&a->conn, c, arg))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", "yaml", NULL };
	status_args a = { "text", { NULL, NULL, NULL, NULL } };
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, parse_option, &a, &first);

	if (rc == CLI_EXIT_OK && argc - first != 1)
		rc = cli_usage_error(cmd, "status takes one package name");
	if (rc == CLI_EXIT_OK)
		rc = cli_check_format(cmd, a.format, formats);
	if (rc == CLI_EXIT_OK && (rc = cli_connect(&a.conn)) == CLI_EXIT_OK)
		rc = status(&a.conn, argv[first], a.format);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_status = {
	.name = "status",
	.run = run,
	.summary = "Show a Package, its dependencies and HelmReleases",
	.usage = "status PKG [-o text|json|yaml]",
	.description =
		"Shows the Package's variant and Ready condition, each dependency "
		"in\nstatus.dependencies with its own Ready condition, each "
		"HelmRelease labelled\ncozystack.io/package=PKG with its Ready "
		"condition, and, when the Package is\nnot Ready, what it is "
		"waiting on.",
	.opts = opts,
	.examples = "  cozypkg status cozystack.keycloak\n"
		    "  cozypkg status cozystack.keycloak -o json\n",
};
