/*
 * HelmRelease auto-recovery (FluxPlunger, cozystack-operator §3).  A
 * HelmRelease stuck with "has no deployed releases" is suspended, its
 * newest Helm release Secret deleted, and resumed, so helm-controller
 * retries from the previous release record.
 *
 * One deliberate difference makes every crash point recoverable: the
 * suspend and the annotation flux-plunger.cozystack.io/last-processed-version
 * are written in one patch, before the Secret is deleted.  A suspended
 * HelmRelease then always carries the version being processed:
 *   annotation == latest + 1  the Secret is gone: resume;
 *   annotation == latest      crashed before the delete: delete, resume;
 *   anything else             suspended by someone else: left alone.
 */

#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "util/mem.h"

#define ERROR_TEXT "has no deployed releases"
#define VERSION_ANNOTATION "flux-plunger.cozystack.io/last-processed-version"
#define RELEASE_TYPE "helm.sh/release.v1"

static bool has_error(const json_t *hr)
{
	json_t *c = cz_condition(hr, "Ready");
	const char *status = json_string_value(json_object_get(c, "status"));
	const char *msg = json_string_value(json_object_get(c, "message"));

	return status && strcmp(status, "False") == 0 && msg &&
	       strstr(msg, ERROR_TEXT);
}

static bool suspended(const json_t *hr)
{
	return json_is_true(json_object_get(json_object_get(hr, "spec"),
					    "suspend"));
}

static void on_release(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	(void)old;
	if (new_obj && (has_error(new_obj) ||
			(suspended(new_obj) &&
			 cz_annotation(new_obj, VERSION_ANNOTATION))))
		cz_enqueue_object(&m->ctl[CZ_C_PLUNGER], new_obj);
}

void cz_plunger_controller_setup(cz_manager *m)
{
	cz_informer_on_change(m->inf[CZ_W_RELEASES], on_release, m);
}

/* N of "sh.helm.release.v1.<name>.vN", or -1. */
static long secret_version(const char *name)
{
	const char *dot = strrchr(name, '.');
	char *end = NULL;
	long v;

	if (!dot || dot[1] != 'v')
		return -1;
	v = strtol(dot + 2, &end, 10);
	return end && !*end && end != dot + 2 && v >= 0 ? v : -1;
}

/* The highest release version among the HelmRelease's Secrets (0 when
 * there are none), read live: release Secrets are not cached. */
static int latest_version(cz_kube *kube, const char *ns, const char *name,
			  long *latest, cz_error *err)
{
	char *sel = cz_xasprintf("name=%s,owner=helm", name);
	json_t *list = NULL;
	size_t i;
	json_t *s;
	int rc = cz_kube_list(kube, cz_res_secrets(), ns, sel, &list, err);

	*latest = 0;
	json_array_foreach (json_object_get(list, "items"), i, s) {
		const char *type = json_string_value(json_object_get(s, "type"));
		long v = secret_version(cz_meta_str(s, "name"));

		if (type && strcmp(type, RELEASE_TYPE) == 0 && v > *latest)
			*latest = v;
	}
	json_decref(list);
	free(sel);
	return rc;
}

/* Suspends or resumes with the annotation set to version (>= 0), as a
 * merge patch guarded by resourceVersion. */
static int patch_release(cz_kube *kube, const json_t *hr, bool suspend,
			 long version, json_t **out, cz_error *err)
{
	char *path = cz_kube_path(cz_res_releases(), cz_meta_str(hr, "namespace"),
				  cz_meta_str(hr, "name"), NULL,
				  "fieldManager=flux-client-side-apply");
	json_t *patch = json_pack("{s:{s:s}, s:{s:b}}", "metadata",
				  "resourceVersion",
				  cz_meta_str(hr, "resourceVersion"), "spec",
				  "suspend", suspend);
	int rc;

	if (version >= 0) {
		char text[32];

		snprintf(text, sizeof(text), "%ld", version);
		json_object_set_new(json_object_get(patch, "metadata"),
				    "annotations",
				    json_pack("{s:s}", VERSION_ANNOTATION, text));
	}
	rc = cz_kube_patch(kube, path, "application/merge-patch+json", patch,
			   out, err);
	json_decref(patch);
	free(path);
	return rc;
}

static int delete_secret(cz_kube *kube, const char *ns, const char *name,
			 long version, cz_error *err)
{
	char *secret = cz_xasprintf("sh.helm.release.v1.%s.v%ld", name, version);
	char *path = cz_kube_path(cz_res_secrets(), ns, secret, NULL, NULL);
	int rc = cz_kube_delete(kube, path, NULL, NULL, err);

	free(path);
	free(secret);
	return rc == CZ_ENOTFOUND ? CZ_OK : rc;
}

/* Delete the newest release record, then resume: the patch is guarded
 * by the resourceVersion the suspend produced. */
static int finish(cz_manager *m, cz_kube *kube, const char *key,
		  const json_t *hr, long version, cz_error *err)
{
	const char *ns = cz_meta_str(hr, "namespace");
	const char *name = cz_meta_str(hr, "name");
	int rc = delete_secret(kube, ns, name, version, err);

	if (rc == CZ_OK)
		rc = patch_release(kube, hr, false, -1, NULL, err);
	if (rc == CZ_OK)
		cz_ctl_log(m, "info", "plunger", key,
			   "deleted release secret v%ld and resumed", version);
	return rc;
}

static long annotation_version(const json_t *hr)
{
	const char *a = cz_annotation(hr, VERSION_ANNOTATION);
	char *end = NULL;
	long v;

	if (!a)
		return -1;
	v = strtol(a, &end, 10);
	return end != a && !*end ? v : -1;
}

int cz_plunger_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err)
{
	const char *slash = strchr(key, '/');
	char *ns = slash ? cz_xstrndup(key, (size_t)(slash - key)) : NULL;
	json_t *hr = NULL;
	json_t *suspended_hr = NULL;
	long latest = 0;
	long seen;
	int rc = CZ_OK;

	if (!ns)
		goto cleanup;
	hr = cz_informer_get(m->inf[CZ_W_RELEASES], ns, slash + 1);
	if (!hr || (!suspended(hr) && !has_error(hr)))
		goto cleanup;
	rc = latest_version(kube, ns, slash + 1, &latest, err);
	if (rc != CZ_OK)
		goto cleanup;
	seen = annotation_version(hr);
	if (suspended(hr)) {
		if (seen >= 0 && seen == latest + 1)
			rc = patch_release(kube, hr, false, -1, NULL, err);
		else if (seen >= 0 && seen == latest && has_error(hr))
			rc = finish(m, kube, key, hr, latest, err);
		else
			cz_ctl_log(m, "info", "plunger", key,
				   "suspended by external process, skipping");
		goto cleanup;
	}
	if (latest == 0 || seen == latest + 1)
		goto cleanup;
	rc = patch_release(kube, hr, true, latest, &suspended_hr, err);
	if (rc == CZ_ECONFLICT) {
		cz_ctl_log(m, "info", "plunger", key,
			   "changed while suspending, will retry on its event");
		rc = CZ_OK;
		goto cleanup;
	}
	if (rc != CZ_OK)
		goto cleanup;
	/* The resume is guarded by the suspend's resourceVersion. */
	rc = finish(m, kube, key, suspended_hr, latest, err);
cleanup:
	json_decref(suspended_hr);
	json_decref(hr);
	free(ns);
	return rc;
}
