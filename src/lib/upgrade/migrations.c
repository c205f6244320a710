#include "upgrade/migrations.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact/assemble.h"
#include "util/fileio.h"
#include "util/mem.h"

/* Scripts are small; anything larger is not one. */
#define SCRIPT_MAX (4 * 1024 * 1024)

void cz_migrations_release(cz_migrations *mg)
{
	free(mg->image);
	free(mg->scripts_dir);
	memset(mg, 0, sizeof(*mg));
	mg->target = -1;
}

static int read_settings(const json_t *values, cz_migrations *out,
			 cz_error *err)
{
	const json_t *mig = json_object_get(values, "migrations");
	const json_t *target = json_object_get(mig, "targetVersion");
	const json_t *image = json_object_get(mig, "image");

	if (mig && !json_is_object(mig))
		return cz_fail(err, CZ_EINVALID, "migrations: must be a mapping");
	out->enabled = json_is_true(json_object_get(mig, "enabled"));
	out->etcd_adopt_skip_backup =
		json_is_true(json_object_get(mig, "etcdAdoptSkipBackup"));
	if (json_is_string(image) && *json_string_value(image))
		out->image = cz_xstrdup(json_string_value(image));
	if (!target)
		return CZ_OK;
	if (!json_is_integer(target) || json_integer_value(target) < 0)
		return cz_fail(err, CZ_EINVALID, "migrations.targetVersion: "
			       "must be a non-negative integer");
	out->target = json_integer_value(target);
	return CZ_OK;
}

int cz_migrations_read(const char *chart_dir, const cz_strlist *values_files,
		       const json_t *overlay, cz_migrations *out,
		       cz_error *err)
{
	static const char *base[] = { "values.yaml" };
	const cz_strlist only_base = { base, 1 };
	json_t *values = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->target = -1;
	out->scripts_dir = cz_xasprintf("%s/" CZ_MIGRATIONS_SUBDIR, chart_dir);
	rc = cz_values_files_merge(chart_dir,
				   values_files && values_files->len
					   ? values_files
					   : &only_base,
				   0, &values, err);
	if (rc < 0)
		goto cleanup;
	if (json_is_object(overlay))
		cz_values_merge(values, (json_t *)overlay);
	rc = read_settings(values, out, err);
cleanup:
	json_decref(values);
	return rc;
}

/* The variant's first component of a PackageSource object: its chart
 * path relative to the tree, values files and name. */
static const json_t *platform_component(const json_t *src,
					const char *variant)
{
	size_t i;
	const json_t *v;

	json_array_foreach (json_object_get(json_object_get(src, "spec"),
					    "variants"),
			    i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));

		if (name && strcmp(name, variant) == 0)
			return json_array_get(json_object_get(v, "components"),
					      0);
	}
	return NULL;
}

static char *chart_path(const char *tree, const json_t *src,
			const json_t *comp)
{
	const char *base = json_string_value(json_object_get(
		json_object_get(json_object_get(src, "spec"), "sourceRef"),
		"path"));
	const char *path = json_string_value(json_object_get(comp, "path"));

	while (base && *base == '/')
		base++;
	return cz_xasprintf("%s/%s%s%s", tree, base ? base : "",
			    base && *base ? "/" : "",
			    path ? path : "core/platform");
}

int cz_migrations_for_package(const char *tree, const json_t *src,
			      const json_t *pkg, cz_migrations *out,
			      cz_error *err)
{
	const json_t *spec = json_object_get(pkg, "spec");
	const char *variant = json_string_value(json_object_get(spec,
								"variant"));
	const json_t *comp = platform_component(src, variant ? variant
							     : "default");
	const char *name = json_string_value(json_object_get(comp, "name"));
	const json_t *files = json_object_get(comp, "valuesFiles");
	const char **items = cz_xcalloc(json_array_size(files) + 1,
					sizeof(char *));
	cz_strlist list = { items, 0 };
	char *chart = chart_path(tree, src, comp);
	int rc;

	for (size_t i = 0; i < json_array_size(files); i++)
		if (json_is_string(json_array_get(files, i)))
			items[list.len++] =
				json_string_value(json_array_get(files, i));
	if (!cz_path_relative_safe(chart + strlen(tree) + 1)) {
		memset(out, 0, sizeof(*out));
		out->target = -1;
		rc = cz_fail(err, CZ_EINVALID, "the platform chart path leaves "
			     "the artifact");
	} else {
		rc = cz_migrations_read(
			chart, &list,
			json_object_get(json_object_get(json_object_get(
						spec, "components"),
						name ? name : "platform"),
					"values"),
			out, err);
	}
	if (rc < 0)
		cz_error_prefix(err, "platform chart");
	if (!pkg)
		out->enabled = false;
	free(items);
	free(chart);
	return rc;
}

json_t *cz_migrations_plan(const cz_migrations *mg, bool have_version,
			   long long current)
{
	json_t *plan = json_pack("{s:b, s:o, s:I, s:[], s:n}", "enabled",
				 mg->enabled, "current",
				 have_version ? json_integer(current)
					      : json_null(),
				 "target", (json_int_t)mg->target, "run",
				 "missing");
	json_t *run = json_object_get(plan, "run");
	const char *note;

	if (mg->target < 0)
		note = "the chart has no migrations";
	else if (!have_version)
		note = "no version recorded: it is stamped with the target "
		       "and nothing runs";
	else if (!mg->enabled)
		note = "migrations are not enabled for the installed variant";
	else if (current >= mg->target)
		note = "the cluster is at the target";
	else
		note = NULL;
	for (long long n = current; !note && n < mg->target; n++) {
		char *script = NULL;

		if (cz_migrations_script(mg->scripts_dir, n, &script, NULL) <
		    0) {
			json_object_set_new(plan, "missing", json_integer(n));
			note = "a script is missing: the run would stop there";
			break;
		}
		free(script);
		json_array_append_new(run, json_integer(n));
	}
	json_object_set_new(plan, "note", note ? json_string(note)
					       : json_string(""));
	return plan;
}

int cz_migrations_version(const json_t *configmap, long long *out,
			  cz_error *err)
{
	const char *text = json_string_value(json_object_get(
		json_object_get(configmap, "data"), "version"));
	char *end = NULL;
	long long v;

	*out = -1;
	if (!text)
		return cz_fail(err, CZ_EINVALID, "ConfigMap " CZ_VERSION_CONFIGMAP
			       ": data.version: missing");
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno)
		return cz_fail(err, CZ_EINVALID, "ConfigMap " CZ_VERSION_CONFIGMAP
			       ": data.version: \"%.40s\" is not a version",
			       text);
	*out = v;
	return CZ_OK;
}

json_t *cz_migrations_version_object(const char *ns, long long version)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld", version);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:{s:s}}, "
			 "s:{s:s}}",
			 "apiVersion", "v1", "kind", "ConfigMap", "metadata",
			 "name", CZ_VERSION_CONFIGMAP, "namespace", ns,
			 "labels", CZ_NO_DELETE_LABEL, "true", "annotations",
			 "helm.sh/resource-policy", "keep", "data", "version",
			 text);
}

int cz_migrations_script(const char *dir, long long n, char **out,
			 cz_error *err)
{
	char *path = cz_xasprintf("%s/%lld", dir, n);
	struct stat st;

	*out = NULL;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return cz_fail(err, CZ_ENOTFOUND, "migration %lld not found: "
			       "refusing to advance past a missing migration",
			       n);
	}
	*out = path;
	return CZ_OK;
}

int cz_migrations_stage(const cz_migrations *mg, const char *parent,
			char **dir_out, cz_error *err)
{
	const char *tmp = parent ? parent : getenv("TMPDIR");
	char *dir = cz_xasprintf("%s/cozypkg-migrations-XXXXXX",
				 tmp && *tmp ? tmp : "/tmp");
	int rc;

	*dir_out = NULL;
	if (!mkdtemp(dir)) {
		rc = cz_fail(err, CZ_EIO, "mkdtemp %s: %s", dir,
			     strerror(errno));
		free(dir);
		return rc;
	}
	rc = cz_copy_tree(mg->scripts_dir, dir, 0700, SCRIPT_MAX, err);
	if (rc == CZ_ENOTFOUND)
		rc = cz_fail(err, rc, "the artifact has no migrations "
			     "directory (" CZ_MIGRATIONS_SUBDIR ")");
	if (rc < 0) {
		cz_remove_tree(dir);
		free(dir);
		return rc;
	}
	*dir_out = dir;
	return CZ_OK;
}

int cz_migrations_run_script(const char *dir, const char *script,
			     const cz_migration_env *env, int64_t timeout_ns,
			     size_t output_keep, cz_proc_result *r,
			     cz_error *err)
{
	char *vars[9] = { NULL };
	const char *argv[] = { script, NULL };
	cz_proc_opts o = { argv, (const char *const *)vars, dir, timeout_ns,
			   output_keep };
	size_t n = 0;
	int rc;

	vars[n++] = cz_xasprintf("PATH=%s", env->path ? env->path
						      : "/usr/bin:/bin");
	vars[n++] = cz_xasprintf("HOME=%s", dir);
	vars[n++] = cz_xasprintf("NAMESPACE=%s", env->namespace);
	vars[n++] = cz_xasprintf("CURRENT_VERSION=%lld", env->current);
	vars[n++] = cz_xasprintf("TARGET_VERSION=%lld", env->target);
	vars[n++] = cz_xasprintf("ETCD_ADOPT_SKIP_BACKUP=%d",
				 env->etcd_adopt_skip_backup ? 1 : 0);
	vars[n++] = cz_xasprintf("MIGRATIONS_DIR=%s", dir);
	if (env->kubeconfig)
		vars[n++] = cz_xasprintf("KUBECONFIG=%s", env->kubeconfig);
	rc = cz_proc_run(&o, r, err);
	for (size_t i = 0; i < n; i++)
		free(vars[i]);
	return rc;
}
