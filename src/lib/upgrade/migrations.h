#ifndef CZ_UPGRADE_MIGRATIONS_H
#define CZ_UPGRADE_MIGRATIONS_H

/*
 * Platform migrations as the platform chart defines them
 * (cozystack-operator §5.1): numbered scripts in
 * <chart>/images/migrations/migrations/<N>, the target version in the
 * chart values (migrations.targetVersion), whether they run at all in
 * migrations.enabled, and the cluster's current version in the ConfigMap
 * cozy-system/cozystack-version (data.version).  Script N migrates version
 * N to N+1 and stamps N+1 itself.
 *
 * This file reads those settings and stages and runs the scripts; the
 * platform controller (controller/ctl_platform.c) decides when, and
 * `cozypkg upgrade plan` shows which would run.
 */

#include <jansson.h>
#include <stdbool.h>

#include "model/catalog.h"
#include "util/error.h"
#include "util/proc.h"

#define CZ_VERSION_CONFIGMAP "cozystack-version"
/* Where the scripts are, relative to the platform chart. */
#define CZ_MIGRATIONS_SUBDIR "images/migrations/migrations"
/* The label that marks the version ConfigMap as never to be deleted. */
#define CZ_NO_DELETE_LABEL "platform.cozystack.io/no-delete"

typedef struct cz_migrations {
	bool enabled;
	long long target;            /* migrations.targetVersion; -1: unset */
	char *image;                 /* migrations.image, or NULL */
	bool etcd_adopt_skip_backup; /* migrations.etcdAdoptSkipBackup */
	char *scripts_dir;           /* <chart>/images/migrations/migrations */
} cz_migrations;

/*
 * Reads the settings of the platform chart at chart_dir as the chart sees
 * them: values_files (relative to chart_dir, merged in order; an empty
 * list means values.yaml), then overlay (a Package's values for the
 * component, may be NULL) merged on top.  *out is released with
 * cz_migrations_release() whatever is returned.  Errors name the file or
 * the field (migrations.targetVersion must be a non-negative integer).
 */
int cz_migrations_read(const char *chart_dir, const cz_strlist *values_files,
		       const json_t *overlay, cz_migrations *out,
		       cz_error *err);
void cz_migrations_release(cz_migrations *mg);

/*
 * The settings of the platform chart in the artifact tree for the
 * PackageSource src (NULL: the chart at core/platform with its
 * values.yaml) and its installed Package pkg (NULL: not installed, and so
 * never enabled: no chart is there to ask for migrations): the chart is
 * the first component of pkg's variant (default "default") under the
 * source's path, its valuesFiles merged, pkg's values for that component
 * on top, as the chart sees them.
 */
int cz_migrations_for_package(const char *tree, const json_t *src,
			      const json_t *pkg, cz_migrations *out,
			      cz_error *err);

/*
 * What would run for the cluster at version current (have_version false:
 * no version record yet): {"enabled", "current" (or null), "target",
 * "run": [N...], "missing": N or null, "note"}; a new reference.
 */
json_t *cz_migrations_plan(const cz_migrations *mg, bool have_version,
			   long long current);

/* data.version of the version ConfigMap; CZ_EINVALID naming the field
 * when it is missing or not a non-negative integer. */
int cz_migrations_version(const json_t *configmap, long long *out,
			  cz_error *err);

/* The version ConfigMap at version, as the chart's stamp writes it (the
 * no-delete label, helm's keep policy); a new reference. */
json_t *cz_migrations_version_object(const char *ns, long long version);

/*
 * The script for version n in dir (a path, malloc'ed into *out), checked
 * to be a regular file.  CZ_ENOTFOUND, with the reference's message, when
 * it is missing: "migration N not found: refusing to advance past a
 * missing migration".
 */
int cz_migrations_script(const char *dir, long long n, char **out,
			 cz_error *err);

/* Copies scripts_dir (regular files, executable) into a new private
 * directory made under parent (NULL: $TMPDIR or /tmp); *dir_out is
 * malloc'ed; remove it with cz_remove_tree(). */
int cz_migrations_stage(const cz_migrations *mg, const char *parent,
			char **dir_out, cz_error *err);

/* What one script run is given. */
typedef struct cz_migration_env {
	const char *namespace;
	const char *kubeconfig; /* path, or NULL */
	long long current;      /* the version the script migrates from */
	long long target;
	bool etcd_adopt_skip_backup;
	const char *path;       /* PATH for the script */
} cz_migration_env;

/* Runs script (in staged dir, its working directory) with only the
 * environment env describes, up to timeout_ns, keeping the last
 * output_keep bytes of its output.  As cz_proc_run(). */
int cz_migrations_run_script(const char *dir, const char *script,
			     const cz_migration_env *env, int64_t timeout_ns,
			     size_t output_keep, cz_proc_result *r,
			     cz_error *err);

#endif
