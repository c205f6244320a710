/* The offline parts of `cozypkg upgrade plan`: the component artifacts a
 * proposed revision would build, compared with the cluster's; installed
 * values against the new charts' schemas; and the platform migrations
 * that would run. */

#include <stdlib.h>
#include <string.h>

#include "artifact/assemble.h"
#include "cli.h"
#include "controller/artgen.h"
#include "upgrade/migrations.h"
#include "util/buf.h"
#include "util/mem.h"

/* As the controller, 4 threads; one pool for every source (two cores). */
#define PLAN_ASSEMBLY_THREADS 4

/* ExternalArtifact name -> {source, variant, component, digest}, for the
 * artifacts the cluster built from the given PackageSources ({name:
 * true}). */
static int cluster_artifacts(cli_conn *c, const json_t *from, json_t **out,
			     cz_error *err)
{
	static const char *const keep[] = { "items[].metadata",
					    "items[].status.artifact.digest",
					    NULL };
	const cz_resource *res = cz_resource_find("source.toolkit.fluxcd.io",
						  "v1", "externalartifacts");
	json_t *list = NULL;
	size_t i;
	json_t *ea;
	int rc = cli_list(c, res, keep, &list, err);

	*out = json_object();
	json_array_foreach (json_object_get(list, "items"), i, ea) {
		const char *ps = cz_label(ea, CZ_LABEL_PACKAGESOURCE);
		const char *variant = cz_label(ea, CZ_LABEL_VARIANT);
		const char *comp = cz_label(ea, CZ_LABEL_COMPONENT);
		const char *digest = json_string_value(json_object_get(
			json_object_get(json_object_get(ea, "status"),
					"artifact"),
			"digest"));

		if (ps && json_object_get(from, ps) &&
		    strcmp(cz_meta_str(ea, "namespace"), CZ_ARTGEN_NAMESPACE) ==
			    0)
			json_object_set_new(
				*out, cz_meta_str(ea, "name"),
				json_pack("{s:s, s:s?, s:s?, s:s}", "source",
					  ps, "variant", variant, "component",
					  comp, "digest", digest ? digest : ""));
	}
	json_decref(list);
	return rc;
}

/* One entry of the artifacts section; from and to are null where there
 * is no artifact (added, removed, failed). */
static json_t *entry_new(const char *name, const char *status,
			 const json_t *who, const char *from, const char *to)
{
	return json_pack("{s:s, s:O?, s:O?, s:O?, s:s, s:s?, s:s?}", "name",
			 name, "source", json_object_get(who, "source"),
			 "variant", json_object_get(who, "variant"),
			 "component", json_object_get(who, "component"),
			 "status", status, "from", from, "to", to);
}

static json_t *artifact_entry(const char *source, const cz_assembled *item,
			      const json_t *was)
{
	const char *from = json_string_value(json_object_get(was, "digest"));
	const char *to = item->error.code ? NULL : item->result.digest;
	const char *status = item->error.code ? "failed"
			     : !was		  ? "added"
			     : strcmp(from, to) == 0 ? "unchanged"
						     : "changed";
	json_t *who = json_pack("{s:s, s:s, s:s}", "source", source,
				"variant", item->variant, "component",
				item->component);
	json_t *e = entry_new(item->name, status, who, from, to);

	if (item->error.code)
		json_object_set_new(e, "error", json_string(item->error.msg));
	json_decref(who);
	return e;
}

int cli_plan_artifacts(cli_conn *c, const char *root, const char *scratch,
		       const cz_catalog *proposed, const json_t *current,
		       json_t **out, cz_error *err)
{
	cz_assemble_opts opts = { 0, 0, PLAN_ASSEMBLY_THREADS, 0 };
	size_t n = proposed->nsources;
	cz_assembly *built = cz_xcalloc(n ? n : 1, sizeof(*built));
	cz_artifact_store *store = NULL;
	char *dir = cz_xasprintf("%s/store", scratch);
	json_t *before = NULL;
	const char *name;
	json_t *was;
	int rc;

	*out = json_array();
	if ((rc = cluster_artifacts(c, current, &before, err)) < 0 ||
	    (rc = cz_artifact_store_open_scratch(dir, &store, err)) < 0 ||
	    (rc = cz_assemble_sources(root,
				      (const cz_source *const *)
					      proposed->sources,
				      n, store, &opts, built, err)) < 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < built[i].nitems; k++) {
			const cz_assembled *item = &built[i].items[k];

			json_array_append_new(
				*out, artifact_entry(proposed->sources[i]->name,
						     item,
						     json_object_get(
							     before,
							     item->name)));
			json_object_del(before, item->name);
		}
	json_object_foreach (before, name, was)
		json_array_append_new(
			*out, entry_new(name, "removed", was,
					json_string_value(json_object_get(
						was, "digest")),
					NULL));
cleanup:
	for (size_t i = 0; i < n; i++)
		cz_assembly_release(&built[i]);
	free(built);
	cz_artifact_store_close(store);
	json_decref(before);
	free(dir);
	return rc;
}

/* ---- values ------------------------------------------------------------ */

/* "spec.components.c.values.x: message" lines as [{path, message}]. */
static json_t *report_errors(const cz_buf *report)
{
	json_t *errors = json_array();
	const char *line = report->data;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *sep = strstr(line, ": ");

		if (sep && sep < line + len)
			json_array_append_new(
				errors,
				json_pack("{s:s%, s:s%}", "path", line,
					  (size_t)(sep - line), "message",
					  sep + 2, len - (size_t)(sep + 2 - line)));
		line = end ? end + 1 : NULL;
	}
	return errors;
}

/* The values problems of one installed Package, or NULL. */
static json_t *package_values(const char *root, const cz_source *src,
			      const json_t *pkg)
{
	const json_t *spec = json_object_get(pkg, "spec");
	const char *vname = json_string_value(json_object_get(spec,
							      "variant"));
	const cz_variant *v = cz_source_variant(src, vname && *vname
							     ? vname
							     : "default");
	const json_t *comps = json_object_get(spec, "components");
	json_t *out = NULL;

	for (size_t i = 0; v && i < v->ncomponents; i++) {
		const cz_component *comp = &v->components[i];
		const json_t *values = json_object_get(
			json_object_get(comps, comp->name), "values");
		char *prefix;
		size_t n = 0;
		cz_buf report;

		if (!values)
			continue;
		cz_buf_init(&report, 1024 * 1024);
		prefix = cz_xasprintf("spec.components.%s.values", comp->name);
		cli_values_check(src, comp, values, root, prefix, &report, &n);
		if (n && !out)
			out = json_array();
		if (n)
			json_array_append_new(
				out, json_pack("{s:s, s:s, s:o}", "package",
					       cz_meta_str(pkg, "name"),
					       "component", comp->name,
					       "errors",
					       report_errors(&report)));
		free(prefix);
		cz_buf_release(&report);
	}
	return out;
}

json_t *cli_plan_values(const char *root, const cz_catalog *proposed,
			const json_t *packages)
{
	json_t *out = json_array();
	size_t i;
	json_t *pkg;

	json_array_foreach ((json_t *)packages, i, pkg) {
		const cz_source *src = cz_catalog_source(proposed,
							 cz_meta_str(pkg,
								     "name"));
		json_t *found = src ? package_values(root, src, pkg) : NULL;

		if (found)
			json_array_extend(out, found);
		json_decref(found);
	}
	return out;
}

/* ---- migrations -------------------------------------------------------- */

static json_t *find_by_name(const json_t *items, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach ((json_t *)items, i, o)
		if (strcmp(cz_meta_str(o, "name"), name) == 0)
			return o;
	return NULL;
}

/* The cluster's version: CZ_OK with *have false when none is recorded. */
static int cluster_version(cli_conn *c, bool *have, long long *version,
			   cz_error *err)
{
	const cz_resource *cm = cz_resource_find("", "v1", "configmaps");
	char *path = cz_kube_path(cm, "cozy-system", CZ_VERSION_CONFIGMAP,
				  NULL, NULL);
	json_t *obj = NULL;
	int rc = cz_kube_get(c->kube, path, &obj, err);

	*have = rc == CZ_OK;
	if (rc == CZ_ENOTFOUND) {
		cz_error_clear(err);
		rc = CZ_OK;
	} else if (rc == CZ_OK) {
		rc = cz_migrations_version(obj, version, err);
	}
	json_decref(obj);
	free(path);
	return rc;
}

int cli_plan_migrations(cli_conn *c, const char *root, const json_t *sources,
			const json_t *packages, json_t **out, cz_error *err)
{
	size_t i;
	json_t *ps;
	int rc = CZ_OK;

	*out = NULL;
	json_array_foreach ((json_t *)sources, i, ps) {
		const char *name = cz_meta_str(ps, "name");
		cz_migrations mg;
		long long version = 0;
		bool have = false;

		if (cz_migrations_for_package(root, ps,
					      find_by_name(packages, name),
					      &mg, NULL) < 0 ||
		    mg.target < 0) {
			cz_migrations_release(&mg);
			continue;
		}
		rc = cluster_version(c, &have, &version, err);
		if (rc == CZ_OK) {
			*out = cz_migrations_plan(&mg, have, version);
			json_object_set_new(*out, "packageSource",
					    json_string(name));
		}
		cz_migrations_release(&mg);
		break;
	}
	return rc;
}
