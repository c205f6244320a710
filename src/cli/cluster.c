/* What the commands that talk to a cluster share: the connection, typed
 * reads of PackageSources and Packages, and the names -f files define. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model/load.h"
#include "object/emit.h"
#include "util/mem.h"

#define COZY_GROUP "cozystack.io"
#define COZY_VERSION "v1alpha1"

const cz_resource *cli_res_sources(void)
{
	return cz_resource_find(COZY_GROUP, COZY_VERSION, "packagesources");
}

const cz_resource *cli_res_packages(void)
{
	return cz_resource_find(COZY_GROUP, COZY_VERSION, "packages");
}

bool cli_conn_option(cli_conn *c, int id, const char *arg)
{
	if (id == CLI_OPT_KUBECONFIG)
		c->kubeconfig = arg;
	else if (id == CLI_OPT_CONTEXT)
		c->context = arg;
	else if (id == CLI_OPT_REQUEST_TIMEOUT)
		c->timeout = arg;
	else
		return false;
	return true;
}

static int parse_timeout(const char *arg, unsigned *seconds, cz_error *err)
{
	int64_t ns = 0;

	*seconds = 0;
	if (!arg)
		return CZ_OK;
	if (cz_duration_parse(arg, &ns, err) < 0)
		return CZ_EINVALID;
	if (ns <= 0)
		return cz_fail(err, CZ_EINVALID,
			       "--request-timeout: must be positive");
	*seconds = (unsigned)((ns + 999999999) / 1000000000);
	return CZ_OK;
}

int cli_connect(cli_conn *c)
{
	cz_kubeconfig kc;
	cz_kube_opts opts = { NULL, 0, 0 };
	cz_error err = CZ_ERROR_INIT;
	int rc;

	memset(&kc, 0, sizeof(kc));
	if (parse_timeout(c->timeout, &opts.timeout_seconds, &err) < 0) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	rc = cz_kubeconfig_load_default(c->kubeconfig, c->context, &kc, &err);
	if (rc == CZ_OK)
		rc = cz_kube_open(&kc, &opts, &c->kube, &err);
	cz_kubeconfig_release(&kc);
	if (rc < 0) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

void cli_conn_close(cli_conn *c)
{
	cz_kube_free(c->kube);
	c->kube = NULL;
}

int cli_fail(const cz_error *err)
{
	fprintf(stderr, "cozypkg: %s\n", err->msg);
	return CLI_EXIT_FAILED;
}

int cli_get(cli_conn *c, const cz_resource *res, const char *name,
	    json_t **out, cz_error *err)
{
	char *path = cz_kube_path(res, NULL, name, NULL, NULL);
	int rc = cz_kube_get(c->kube, path, out, err);

	free(path);
	return rc;
}

int cli_list(cli_conn *c, const cz_resource *res, const char *const *keep,
	     json_t **list, cz_error *err)
{
	char *path = cz_kube_path(res, NULL, NULL, NULL, NULL);
	cz_projection *proj = NULL;
	size_t nkeep = 0;
	int rc;

	while (keep && keep[nkeep])
		nkeep++;
	if (nkeep)
		proj = cz_projection_new(keep, nkeep);
	rc = proj ? cz_kube_get_projected(c->kube, path, proj, list, err)
		  : cz_kube_get(c->kube, path, list, err);
	cz_projection_free(proj);
	free(path);
	if (rc == CZ_OK && !json_is_array(json_object_get(*list, "items"))) {
		json_decref(*list);
		*list = NULL;
		rc = cz_fail(err, CZ_EINVALID, "%s: the %s list has no items",
			     cz_kube_server(c->kube), res->resource);
	}
	return rc;
}

void cli_catalog_add(cz_catalog *cat, const cz_resource *res, json_t *items)
{
	size_t i;
	json_t *obj;
	bool is_source = res == cli_res_sources();

	json_array_foreach (items, i, obj) {
		if (!json_is_object(obj) ||
		    !json_is_string(json_object_get(
			    json_object_get(obj, "metadata"), "name")))
			continue;
		if (is_source)
			cz_catalog_put_source(cat, obj);
		else
			cz_catalog_put_package(cat, obj);
	}
}

const char *const cli_graph_source_paths[] = {
	"items[].metadata.name",
	"items[].spec.sourceRef",
	"items[].spec.variants[].name",
	"items[].spec.variants[].dependsOn",
	"items[].spec.variants[].components[].name",
	"items[].spec.variants[].components[].install",
	"items[].status.conditions",
	NULL,
};

const char *const cli_list_source_paths[] = {
	"items[].metadata.name",
	"items[].spec.sourceRef",
	"items[].spec.variants[].name",
	"items[].status.conditions",
	NULL,
};

const char *const cli_package_paths[] = {
	"items[].metadata.name",
	"items[].spec",
	"items[].status.conditions",
	NULL,
};

int cli_fetch_catalog(cli_conn *c, const cli_fetch *what, cz_catalog *cat,
		      json_t **sources, json_t **packages)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *s = NULL, *p = NULL;
	int rc = CLI_EXIT_OK;

	if ((what->sources &&
	     cli_list(c, cli_res_sources(), what->source_paths, &s,
		      &err) < 0) ||
	    (what->packages &&
	     cli_list(c, cli_res_packages(), what->package_paths, &p,
		      &err) < 0)) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	if (s)
		cli_catalog_add(cat, cli_res_sources(),
				json_object_get(s, "items"));
	if (p)
		cli_catalog_add(cat, cli_res_packages(),
				json_object_get(p, "items"));
	cz_catalog_finish(cat);
	if (sources)
		*sources = json_incref(s);
	if (packages)
		*packages = json_incref(p);
cleanup:
	json_decref(s);
	json_decref(p);
	return rc;
}

void cli_names_init(cli_names *n)
{
	memset(n, 0, sizeof(*n));
}

void cli_names_add(cli_names *n, const char *name)
{
	if (cz_strmap_get(&n->seen, name))
		return;
	CZ_GROW(n->items, n->len + 1, n->cap);
	n->items[n->len] = cz_xstrdup(name);
	cz_strmap_put(&n->seen, n->items[n->len], n->items[n->len]);
	n->len++;
}

void cli_names_release(cli_names *n)
{
	for (size_t i = 0; i < n->len; i++)
		free(n->items[i]);
	free(n->items);
	cz_strmap_release(&n->seen);
	memset(n, 0, sizeof(*n));
}

void cli_names_from_catalog(cli_names *n, const cz_catalog *files)
{
	for (size_t i = 0; i < files->npackages; i++)
		cli_names_add(n, files->packages[i]->name);
	for (size_t i = 0; i < files->nsources; i++)
		cli_names_add(n, files->sources[i]->name);
}

int cli_write_object(const json_t *obj, const char *format)
{
	cz_buf out;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	if (strcmp(format, "json") == 0)
		rc = cz_emit_json(&out, obj, false, &err);
	else
		rc = cz_emit_yaml(&out, obj, &err);
	if (rc == CZ_OK && strcmp(format, "json") == 0)
		rc = cz_buf_putc(&out, '\n');
	rc = rc < 0 ? cli_fail(&err) : cli_write_stdout(out.data, out.len);
	cz_buf_release(&out);
	return rc;
}

const char *cli_ready_status(const json_t *obj, const char **reason,
			     const char **message)
{
	const json_t *cond = cz_condition(obj, "Ready");
	const char *status = json_string_value(json_object_get(cond, "status"));

	if (reason)
		*reason = json_string_value(json_object_get(cond, "reason"));
	if (message)
		*message = json_string_value(json_object_get(cond, "message"));
	return status ? status : "Unknown";
}
