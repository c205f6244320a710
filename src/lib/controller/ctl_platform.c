/*
 * Native platform upgrades (--platform-upgrades=native): the ordering the
 * platform chart gives the real system, without the chart.  The user moves
 * the operator-managed source (cozystack-platform); every PackageSource
 * reads the secondary source (cozystack-packages), which this controller
 * keeps as a copy of the primary's spec pinned to the digest whose
 * migrations have succeeded.  So no component sees a revision before its
 * migrations have run, and a failed migration holds the whole platform on
 * the revision it had.
 *
 * Migrations follow run-migrations.sh (cozystack-operator §5.1): the
 * version lives in the ConfigMap cozystack-version; a missing one is
 * stamped with the target and nothing runs; scripts CURRENT ... TARGET-1
 * run in order, each must stamp N+1 itself; a missing script refuses to
 * advance.  A failure is retried with backoff up to 3 times and shows on
 * the platform PackageSource as Ready=False, MigrationFailed.
 *
 * Executors: a subprocess per script (default) with a kubeconfig for a
 * short-lived identity in cozypkg:migrations, or in operator mode the
 * batch/v1 Job the real hook creates (--migrations-executor=job).
 */

#include <stdlib.h>
#include <string.h>

#include "artifact/extract.h"
#include "controller/internal.h"
#include "controller/platform.h"
#include "oci/digest.h"
#include "upgrade/migrations.h"
#include "util/fileio.h"
#include "util/mem.h"

#define FIELD_MANAGER "cozypkg-platform"
#define RETRIES 3
#define OUTPUT_KEEP (16 * 1024)
#define MESSAGE_LINES 5
/* The Job's progress is polled this often. */
#define JOB_POLL_NS (5LL * 1000000000)
#define ARTIFACT_MAX (1024u * 1024 * 1024)

/* What the controller knows about the revision it works on, for the
 * platform PackageSource's Ready condition. */
struct cz_platform {
	pthread_mutex_t lock;
	char *digest;       /* the revision this is about */
	long long script;   /* the failing script, -1 for none */
	unsigned failures;  /* of that script at that revision */
	json_t *condition;  /* {status, reason, message}, or NULL */
};

/* What one reconcile works with. */
typedef struct platform_run {
	cz_manager *m;
	cz_kube *kube;
	const char *key;
	json_t *primary;    /* the Flux source the user moves */
	const cz_resource *kind;
	const char *digest; /* of its stored artifact */
	char *tree;         /* the artifact, extracted */
	bool tree_owned;    /* downloaded here, removed at the end */
	cz_migrations mg;
} platform_run;

static const char *ns_of(const cz_manager *m)
{
	return m->opts.values_secret_namespace; /* cozy-system */
}

static char *platform_source_name(const cz_manager *m)
{
	return cz_xasprintf("cozystack.%s", m->opts.platform_source_name);
}

static bool is_platform_flux(const cz_manager *m, const json_t *obj)
{
	const char *ns = cz_meta_str(obj, "namespace");
	const char *name = cz_meta_str(obj, "name");

	return ns && name && strcmp(ns, ns_of(m)) == 0 &&
	       (strcmp(name, m->opts.platform_source_name) == 0 ||
		strcmp(name, m->opts.packages_source_name) == 0);
}

static void enqueue(cz_manager *m)
{
	cz_queue_add(m->ctl[CZ_C_PLATFORM].queue,
		     m->opts.platform_source_name);
}

static void on_flux(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	if (is_platform_flux(m, new_obj ? new_obj : old))
		enqueue(m);
}

static void on_package(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	char *name = platform_source_name(m);

	if (strcmp(cz_meta_str(new_obj ? new_obj : old, "name"), name) == 0)
		enqueue(m);
	free(name);
}

void cz_platform_controller_setup(cz_manager *m)
{
	if (!m->opts.platform_upgrades_native)
		return;
	m->platform = cz_xcalloc(1, sizeof(*m->platform));
	pthread_mutex_init(&m->platform->lock, NULL);
	m->platform->script = -1;
	cz_informer_on_change(m->inf[CZ_W_OCIREPOS], on_flux, m);
	cz_informer_on_change(m->inf[CZ_W_GITREPOS], on_flux, m);
	cz_informer_on_change(m->inf[CZ_W_PACKAGES], on_package, m);
}

void cz_platform_controller_free(cz_manager *m)
{
	if (!m->platform)
		return;
	pthread_mutex_destroy(&m->platform->lock);
	free(m->platform->digest);
	json_decref(m->platform->condition);
	free(m->platform);
	m->platform = NULL;
}

/* ---- the state shown on the platform PackageSource ---------------------- */

/* Sets the condition (NULL clears it) and has the PackageSource
 * controller show it. */
static void show(cz_manager *m, const char *status, const char *reason,
		 const char *message)
{
	struct cz_platform *p = m->platform;
	char *name = platform_source_name(m);

	pthread_mutex_lock(&p->lock);
	json_decref(p->condition);
	p->condition = status ? json_pack("{s:s, s:s, s:s}", "status", status,
					  "reason", reason, "message",
					  message)
			      : NULL;
	pthread_mutex_unlock(&p->lock);
	cz_queue_add(m->ctl[CZ_C_SOURCE].queue, name);
	free(name);
}

json_t *cz_platform_condition(cz_manager *m, const char *source_name,
			      const json_t *previous, int64_t generation)
{
	struct cz_platform *p = m->platform;
	char *name;
	json_t *cond = NULL;

	if (!p)
		return NULL;
	name = platform_source_name(m);
	pthread_mutex_lock(&p->lock);
	if (p->condition && strcmp(source_name, name) == 0)
		cond = cz_condition_new(
			previous, "Ready",
			json_string_value(json_object_get(p->condition,
							  "status")),
			json_string_value(json_object_get(p->condition,
							  "reason")),
			json_string_value(json_object_get(p->condition,
							  "message")),
			generation);
	pthread_mutex_unlock(&p->lock);
	free(name);
	return cond;
}

/* Counts a failure of script at digest; true while retries are left. */
static bool count_failure(cz_manager *m, const char *digest, long long script,
			  unsigned *attempt)
{
	struct cz_platform *p = m->platform;
	bool retry;

	pthread_mutex_lock(&p->lock);
	if (!p->digest || strcmp(p->digest, digest) != 0 ||
	    p->script != script) {
		free(p->digest);
		p->digest = cz_xstrdup(digest);
		p->script = script;
		p->failures = 0;
	}
	*attempt = ++p->failures;
	retry = p->failures <= RETRIES;
	pthread_mutex_unlock(&p->lock);
	return retry;
}

/* Whether the retries for digest are spent (a new revision resets). */
static bool given_up(cz_manager *m, const char *digest)
{
	struct cz_platform *p = m->platform;
	bool spent;

	pthread_mutex_lock(&p->lock);
	spent = p->digest && strcmp(p->digest, digest) == 0 &&
		p->failures > RETRIES;
	pthread_mutex_unlock(&p->lock);
	return spent;
}

/* The secondary is on the primary's revision: nothing failed, nothing
 * runs, and the PackageSource shows its own Ready again. */
static void settle(cz_manager *m)
{
	struct cz_platform *p = m->platform;
	bool shown;

	pthread_mutex_lock(&p->lock);
	free(p->digest);
	p->digest = NULL;
	p->script = -1;
	p->failures = 0;
	shown = p->condition != NULL;
	pthread_mutex_unlock(&p->lock);
	if (shown)
		show(m, NULL, NULL, NULL);
}

/* A failed step: shown, logged, and retried with backoff until spent. */
static int failed(platform_run *r, long long script, const char *what)
{
	unsigned attempt = 0;
	bool retry = count_failure(r->m, r->digest, script, &attempt);
	char *msg = cz_xasprintf("%s (attempt %u of %u%s)", what, attempt,
				 RETRIES + 1,
				 retry ? "" : "; push a fixed revision to go on");

	cz_ctl_log(r->m, "error", "platform", r->key, "%s", msg);
	show(r->m, "False", "MigrationFailed", msg);
	if (retry)
		cz_queue_add_after(r->m->ctl[CZ_C_PLATFORM].queue, r->key,
				   r->m->opts.migrations_backoff_ns
					   << (attempt - 1));
	free(msg);
	return CZ_OK; /* the retry is ours, not the queue's backoff */
}

/* ---- reading the revision ---------------------------------------------- */

static int download_tree(platform_run *r, cz_error *err)
{
	const char *url = json_string_value(json_object_get(
		json_object_get(json_object_get(r->primary, "status"),
				"artifact"),
		"url"));
	char got[CZ_OCI_DIGEST_BUF];
	cz_buf body;
	int rc;

	if (!url)
		return cz_fail(err, CZ_ENOTFOUND, "the artifact has no url");
	cz_buf_init(&body, ARTIFACT_MAX);
	rc = cz_kube_fetch(r->kube, url, &body, err);
	if (rc == CZ_OK)
		rc = cz_oci_digest_bytes(body.data, body.len, got, err);
	if (rc == CZ_OK && strcmp(got, r->digest) != 0)
		rc = cz_fail(err, CZ_EINVALID, "%s: digest %s, not %s", url,
			     got, r->digest);
	if (rc == CZ_OK) {
		r->tree = cz_xasprintf("%s/cozypkg-platform-XXXXXX",
				       getenv("TMPDIR") ? getenv("TMPDIR")
							: "/tmp");
		r->tree_owned = mkdtemp(r->tree) != NULL;
		rc = r->tree_owned ? cz_extract_memory(body.data, body.len,
						       r->tree, NULL, NULL, err)
				   : cz_fail(err, CZ_EIO, "mkdtemp failed");
	}
	cz_buf_release(&body);
	return rc;
}

/* The source's artifact: from our store, or downloaded (operator mode,
 * where Flux's source-controller stores it). */
static int read_tree(platform_run *r, cz_error *err)
{
	if (r->m->artgen)
		return cz_artifacts_flux_tree(r->m, r->primary, &r->tree, err);
	return download_tree(r, err);
}

/* migrations.* as the installed platform chart sees them. */
static int read_settings(platform_run *r, cz_error *err)
{
	char *name = platform_source_name(r->m);
	json_t *pkg = cz_informer_get(r->m->inf[CZ_W_PACKAGES], NULL, name);
	json_t *src = cz_informer_get(r->m->inf[CZ_W_SOURCES], NULL, name);
	int rc = cz_migrations_for_package(r->tree, src, pkg, &r->mg, err);

	json_decref(src);
	json_decref(pkg);
	free(name);
	return rc;
}

/* ---- the version ConfigMap ---------------------------------------------- */

static char *version_path(const cz_manager *m)
{
	const cz_resource *cm = cz_resource_find("", "v1", "configmaps");

	return cz_kube_path(cm, ns_of(m), CZ_VERSION_CONFIGMAP, NULL, NULL);
}

/* The cluster's version; a missing ConfigMap is stamped with the target
 * (*stamped), as run-migrations.sh does on a first install. */
static int cluster_version(platform_run *r, long long *current,
			   bool *stamped, cz_error *err)
{
	char *path = version_path(r->m);
	json_t *cm = NULL;
	int rc = cz_kube_get(r->kube, path, &cm, err);

	*stamped = false;
	if (rc == CZ_ENOTFOUND) {
		json_t *obj = cz_migrations_version_object(ns_of(r->m),
							   r->mg.target);
		char *coll = cz_kube_path(cz_resource_find("", "v1",
							   "configmaps"),
					  ns_of(r->m), NULL, NULL, NULL);

		rc = cz_kube_create(r->kube, coll, obj, NULL, err);
		json_decref(obj);
		free(coll);
		*current = r->mg.target;
		*stamped = rc == CZ_OK;
		if (rc == CZ_OK)
			cz_ctl_log(r->m, "info", "platform", r->key,
				   "stamped version %lld (a first install: no "
				   "migration runs)", r->mg.target);
	} else if (rc == CZ_OK) {
		rc = cz_migrations_version(cm, current, err);
	}
	json_decref(cm);
	free(path);
	return rc;
}

/* ---- the process executor ------------------------------------------------ */

/* A kubeconfig for the script in dir: a short-lived identity from the
 * server (in process), or the controllers' own file (operator mode). */
static int script_kubeconfig(cz_manager *m, const char *dir, char **path,
			     char token[65], cz_error *err)
{
	const cz_manager_opts *o = &m->opts;

	token[0] = '\0';
	*path = NULL;
	if (!o->issue_kubeconfig) {
		*path = o->migrations_kubeconfig
				? cz_xstrdup(o->migrations_kubeconfig)
				: NULL;
		return CZ_OK;
	}
	*path = cz_xasprintf("%s/.kubeconfig", dir);
	return o->issue_kubeconfig(o->credentials_ctx, *path,
				   o->migrations_timeout_ns, token, err);
}

/* Runs script n; CZ_OK when it exited 0 and stamped n+1. */
static int run_one(platform_run *r, const char *dir, long long n,
		   const char *kubeconfig, char **why)
{
	cz_migration_env env = { ns_of(r->m), kubeconfig, n, r->mg.target,
				 r->mg.etcd_adopt_skip_backup,
				 getenv("PATH") };
	cz_error err = CZ_ERROR_INIT;
	cz_proc_result res;
	char *script = NULL;
	long long now = -1;
	bool stamped = false;
	int rc = cz_migrations_script(dir, n, &script, &err);

	memset(&res, 0, sizeof(res));
	if (rc == CZ_OK)
		rc = cz_migrations_run_script(dir, script, &env,
					      r->m->opts.migrations_timeout_ns,
					      OUTPUT_KEEP, &res, &err);
	if (rc == CZ_OK && (res.timed_out || res.signal || res.exit_code)) {
		const char *tail = cz_last_lines(res.output, res.output_len,
						 MESSAGE_LINES);

		rc = CZ_ERR;
		*why = res.timed_out
			       ? cz_xasprintf("migration %lld timed out: %s", n,
					      tail)
			       : cz_xasprintf("migration %lld failed (%s %d): %s",
					      n, res.signal ? "signal" : "exit",
					      res.signal ? res.signal
							 : res.exit_code,
					      tail);
	} else if (rc == CZ_OK &&
		   (rc = cluster_version(r, &now, &stamped, &err)) == CZ_OK &&
		   now != n + 1) {
		rc = CZ_ERR;
		*why = cz_xasprintf("migration %lld exited 0 but did not stamp "
				    "version %lld (the version is %lld)",
				    n, n + 1, now);
	} else if (rc < 0) {
		*why = cz_xstrdup(err.msg);
	}
	cz_proc_result_release(&res);
	free(script);
	return rc;
}

static int run_scripts(platform_run *r, long long current, cz_error *err)
{
	char *dir = NULL, *kubeconfig = NULL, *why = NULL;
	char token[65] = "";
	int rc = cz_migrations_stage(&r->mg, NULL, &dir, err);

	if (rc == CZ_OK)
		rc = script_kubeconfig(r->m, dir, &kubeconfig, token, err);
	if (rc < 0)
		goto cleanup;
	for (long long n = current; n < r->mg.target; n++) {
		char *msg = cz_xasprintf("running migration %lld (version "
					 "%lld of %lld)", n, n, r->mg.target);

		show(r->m, "Unknown", "MigrationsRunning", msg);
		cz_ctl_log(r->m, "info", "platform", r->key, "%s", msg);
		free(msg);
		if (run_one(r, dir, n, kubeconfig, &why) < 0) {
			rc = failed(r, n, why);
			rc = rc == CZ_OK ? CZ_EAGAIN : rc;
			goto cleanup;
		}
		cz_ctl_log(r->m, "info", "platform", r->key,
			   "migration %lld completed", n);
	}
cleanup:
	if (token[0] && r->m->opts.revoke_token)
		r->m->opts.revoke_token(r->m->opts.credentials_ctx, token);
	if (dir)
		cz_remove_tree(dir);
	free(dir);
	free(kubeconfig);
	free(why);
	return rc;
}

/* ---- the Job executor ---------------------------------------------------- */

#define JOB_NAME "cozystack-migration-hook"
#define JOB_DIGEST_ANNOTATION "platform.cozypkg.io/digest"

static const cz_resource *res_jobs(void)
{
	return cz_resource_find("batch", "v1", "jobs");
}

/* The Job the real hook renders (templates/migration-hook.yaml). */
static json_t *job_object(platform_run *r, long long current)
{
	char cur[32], tgt[32];

	snprintf(cur, sizeof(cur), "%lld", current);
	snprintf(tgt, sizeof(tgt), "%lld", r->mg.target);
	return json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:i, s:{s:{s:{s:s}}, "
		"s:{s:s, s:s, s:[{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, "
		"{s:s, s:s}, {s:s, s:s}]}]}}}}",
		"apiVersion", "batch/v1", "kind", "Job", "metadata", "name",
		JOB_NAME, "namespace", ns_of(r->m), "annotations",
		JOB_DIGEST_ANNOTATION, r->digest, "spec", "backoffLimit", 3,
		"template", "metadata", "labels",
		"policy.cozystack.io/allow-to-apiserver", "true", "spec",
		"serviceAccountName", JOB_NAME, "restartPolicy", "Never",
		"containers", "name", "migrations", "image", r->mg.image,
		"env", "name", "NAMESPACE", "value", ns_of(r->m), "name",
		"CURRENT_VERSION", "value", cur, "name", "TARGET_VERSION",
		"value", tgt, "name", "ETCD_ADOPT_SKIP_BACKUP", "value",
		r->mg.etcd_adopt_skip_backup ? "1" : "0");
}

static bool job_failed(const json_t *job)
{
	json_t *cond = cz_condition(job, "Failed");
	const char *status = json_string_value(json_object_get(cond,
							       "status"));
	return status && strcmp(status, "True") == 0;
}

/* Creates the Job for this revision (replacing an older one, as the
 * hook's before-hook-creation policy does) or reads how it went:
 * CZ_OK when it succeeded, CZ_EAGAIN while it runs. */
static int run_job(platform_run *r, long long current, cz_error *err)
{
	char *path = cz_kube_path(res_jobs(), ns_of(r->m), JOB_NAME, NULL,
				  NULL);
	json_t *job = NULL;
	const char *for_digest;
	int rc = cz_kube_get(r->kube, path, &job, err);

	if (rc < 0 && rc != CZ_ENOTFOUND)
		goto cleanup;
	for_digest = job ? cz_annotation(job, JOB_DIGEST_ANNOTATION) : NULL;
	if (job && for_digest && strcmp(for_digest, r->digest) == 0) {
		json_t *st = json_object_get(job, "status");

		if (json_integer_value(json_object_get(st, "succeeded")) > 0)
			rc = CZ_OK;
		else if (job_failed(job))
			rc = cz_fail(err, CZ_ERR, "Job %s/%s failed; see kubectl "
				     "logs -n %s job/%s", ns_of(r->m), JOB_NAME,
				     ns_of(r->m), JOB_NAME);
		else
			rc = CZ_EAGAIN;
		goto cleanup;
	}
	if (!r->mg.image) {
		rc = cz_fail(err, CZ_EINVALID, "migrations.image is not set");
		goto cleanup;
	}
	if (job) {
		json_t *opts = json_pack("{s:s}", "propagationPolicy",
					 "Background");

		rc = cz_kube_delete(r->kube, path, opts, NULL, err);
		json_decref(opts);
		if (rc < 0 && rc != CZ_ENOTFOUND)
			goto cleanup;
	}
	json_decref(job);
	job = job_object(r, current);
	rc = cz_apply_object(r->kube, res_jobs(), job, FIELD_MANAGER, NULL,
			     err);
	if (rc == CZ_OK) {
		cz_ctl_log(r->m, "info", "platform", r->key, "created Job %s/%s "
			   "for versions %lld to %lld", ns_of(r->m), JOB_NAME,
			   current, r->mg.target);
		rc = CZ_EAGAIN;
	}
cleanup:
	json_decref(job);
	free(path);
	return rc;
}

static int migrate_with_job(platform_run *r, long long current,
			    cz_error *err)
{
	long long now = -1;
	bool stamped = false;
	char *msg = NULL;
	int rc = run_job(r, current, err);

	if (rc == CZ_EAGAIN) {
		msg = cz_xasprintf("Job %s/%s runs migrations %lld to %lld",
				   ns_of(r->m), JOB_NAME, current,
				   r->mg.target - 1);
		show(r->m, "Unknown", "MigrationsRunning", msg);
		cz_queue_add_after(r->m->ctl[CZ_C_PLATFORM].queue, r->key,
				   JOB_POLL_NS);
	} else if (rc == CZ_OK &&
		   (rc = cluster_version(r, &now, &stamped, err)) == CZ_OK &&
		   now < r->mg.target) {
		rc = cz_fail(err, CZ_ERR, "Job %s/%s succeeded but the version "
			     "is %lld, not %lld", ns_of(r->m), JOB_NAME, now,
			     r->mg.target);
	}
	if (rc < 0 && rc != CZ_EAGAIN) {
		/* The Job retried already (backoffLimit). */
		(void)failed(r, current, err->msg);
		rc = CZ_EAGAIN;
	}
	free(msg);
	return rc;
}

/* ---- the secondary source ------------------------------------------------ */

/* What pins the revision the primary stored, from its artifact revision:
 * the manifest digest of an OCI one ("<tag>@sha256:<digest>"), the
 * commit of a Git one ("<ref>@sha1:<commit>"). */
static const char *revision_pin(const json_t *primary, bool oci)
{
	const char *rev = json_string_value(json_object_get(
		json_object_get(json_object_get(primary, "status"),
				"artifact"),
		"revision"));
	const char *at = rev ? strrchr(rev, '@') : NULL;
	const char *pin = at ? at + 1 : rev;

	if (!pin)
		return NULL;
	if (oci)
		return strncmp(pin, "sha256:", 7) == 0 ? pin : NULL;
	return strchr(pin, ':') ? strchr(pin, ':') + 1 : pin;
}

/* The primary's spec pinned to what was migrated; a new reference. */
static json_t *pinned_spec(const platform_run *r)
{
	json_t *spec = json_deep_copy(json_object_get(r->primary, "spec"));
	json_t *ref = json_object_get(spec, "ref");
	bool oci = strcmp(r->kind->resource, "ocirepositories") == 0;

	if (!json_is_object(ref)) {
		ref = json_object();
		json_object_set_new(spec, "ref", ref);
	}
	if (revision_pin(r->primary, oci))
		json_object_set_new(ref, oci ? "digest" : "commit",
				    json_string(revision_pin(r->primary, oci)));
	json_object_del(spec, "suspend");
	return spec;
}

/* Every field of want is in have with the same value. */
static bool covers(const json_t *have, const json_t *want)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)want, key, v)
		if (!json_equal(json_object_get(have, key), v))
			return false;
	return true;
}

static bool secondary_current(const platform_run *r, const json_t *spec)
{
	cz_informer *inf =
		r->m->inf[strcmp(r->kind->resource, "ocirepositories") == 0
				  ? CZ_W_OCIREPOS
				  : CZ_W_GITREPOS];
	json_t *cur = cz_informer_get(inf, ns_of(r->m),
				      r->m->opts.packages_source_name);
	const char *pinned = cur ? cz_annotation(cur, CZ_MIGRATED_ANNOTATION)
				 : NULL;
	bool same = cur && pinned && strcmp(pinned, r->digest) == 0 &&
		    covers(json_object_get(cur, "spec"), spec);

	json_decref(cur);
	return same;
}

static int move_secondary(platform_run *r, json_t *spec, cz_error *err)
{
	json_t *obj = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:O}", "apiVersion",
		r->kind->group_version, "kind", r->kind->kind, "metadata",
		"name", r->m->opts.packages_source_name, "namespace",
		ns_of(r->m), "annotations", CZ_MIGRATED_ANNOTATION, r->digest,
		"spec", spec);
	int rc = cz_apply_object(r->kube, r->kind, obj, FIELD_MANAGER, NULL,
				 err);

	if (rc == CZ_OK)
		cz_ctl_log(r->m, "info", "platform", r->key, "%s/%s now on %s",
			   ns_of(r->m), r->m->opts.packages_source_name,
			   r->digest);
	json_decref(obj);
	return rc;
}

/* ---- reconcile ----------------------------------------------------------- */

static int migrate(platform_run *r, cz_error *err)
{
	long long current = -1;
	bool stamped = false;
	int rc;

	if (r->mg.target < 0)
		return CZ_OK; /* this chart has no migrations */
	rc = cluster_version(r, &current, &stamped, err);
	if (rc < 0 || stamped || !r->mg.enabled || current >= r->mg.target)
		return rc;
	if (r->m->opts.migrations_executor == CZ_MIGRATIONS_JOB)
		return migrate_with_job(r, current, err);
	return run_scripts(r, current, err);
}

static json_t *get_primary(cz_manager *m, const cz_resource **kind)
{
	static const enum cz_watched which[] = { CZ_W_OCIREPOS,
						 CZ_W_GITREPOS };
	static const char *const plural[] = { "ocirepositories",
					      "gitrepositories" };

	for (size_t i = 0; i < 2; i++) {
		json_t *obj = cz_informer_get(m->inf[which[i]], ns_of(m),
					      m->opts.platform_source_name);

		if (obj) {
			*kind = cz_resource_find("source.toolkit.fluxcd.io",
						 "v1", plural[i]);
			return obj;
		}
	}
	return NULL;
}

static int follow(platform_run *r, cz_error *err)
{
	json_t *spec = NULL;
	int rc;

	if (given_up(r->m, r->digest))
		return CZ_OK;
	spec = pinned_spec(r);
	if (secondary_current(r, spec)) {
		settle(r->m);
		json_decref(spec);
		return CZ_OK;
	}
	if ((rc = read_tree(r, err)) == CZ_OK &&
	    (rc = read_settings(r, err)) == CZ_OK)
		rc = migrate(r, err);
	/* A revision or a version record that cannot be used is shown
	 * where a failed migration is, and retried as one. */
	if (rc == CZ_EINVALID)
		rc = failed(r, -1, err->msg) == CZ_OK ? CZ_EAGAIN : rc;
	if (rc == CZ_OK)
		rc = move_secondary(r, spec, err);
	if (rc == CZ_OK)
		settle(r->m);
	json_decref(spec);
	return rc == CZ_EAGAIN ? CZ_OK : rc;
}

int cz_platform_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			  cz_error *err)
{
	platform_run r;
	int rc = CZ_OK;

	memset(&r, 0, sizeof(r));
	r.m = m;
	r.kube = kube;
	r.key = key;
	r.mg.target = -1;
	r.primary = get_primary(m, &r.kind);
	r.digest = json_string_value(json_object_get(
		json_object_get(json_object_get(r.primary, "status"),
				"artifact"),
		"digest"));
	if (m->platform && r.primary && r.kind && r.digest)
		rc = follow(&r, err);
	if (r.tree_owned)
		cz_remove_tree(r.tree);
	free(r.tree);
	cz_migrations_release(&r.mg);
	json_decref(r.primary);
	return rc;
}
