/*
 * The tap controller: a tapped repository is a standing subscription, so
 * when its OCIRepository stores a new revision, the PackageSources that
 * revision declares are applied and the ones it no longer declares are
 * removed, each removal logged with the installed Package it leaves
 * without a source.  A declared name that an official source or another
 * tap already has is skipped and logged, never overwritten, as `cozypkg
 * tap` refuses it.
 */

#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "market/tap.h"
#include "util/diags.h"
#include "util/mem.h"
#include "util/strmap.h"

static void on_oci(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	const json_t *obj = new_obj ? new_obj : old;

	if (new_obj && m->artgen && cz_tap_label(obj))
		cz_enqueue_object(&m->ctl[CZ_C_TAP], obj);
}

void cz_tap_controller_setup(cz_manager *m)
{
	m->tap_applied = json_object();
	pthread_mutex_init(&m->tap_lock, NULL);
	cz_informer_on_change(m->inf[CZ_W_OCIREPOS], on_oci, m);
}

void cz_tap_controller_free(cz_manager *m)
{
	if (!m->tap_applied)
		return;
	json_decref(m->tap_applied);
	m->tap_applied = NULL;
	pthread_mutex_destroy(&m->tap_lock);
}

/* Whether digest was applied for key already (by this process). */
static bool applied(cz_manager *m, const char *key, const char *digest)
{
	bool done;

	pthread_mutex_lock(&m->tap_lock);
	done = digest &&
	       strcmp(json_string_value(json_object_get(m->tap_applied, key))
			      ? json_string_value(
					json_object_get(m->tap_applied, key))
			      : "",
		      digest) == 0;
	pthread_mutex_unlock(&m->tap_lock);
	return done;
}

static void mark_applied(cz_manager *m, const char *key, const char *digest)
{
	pthread_mutex_lock(&m->tap_lock);
	json_object_set_new(m->tap_applied, key, json_string(digest));
	pthread_mutex_unlock(&m->tap_lock);
}

/* A declared source may be applied when it is absent or this tap's. */
static bool ours_to_apply(cz_manager *m, const char *tap, const char *name,
			  const char *key)
{
	json_t *cur = cz_informer_get(m->inf[CZ_W_SOURCES], NULL, name);
	const char *label = cur ? cz_tap_label(cur) : NULL;
	bool ok = !cur || (label && strcmp(label, tap) == 0);

	if (!ok)
		cz_ctl_log(m, "warning", "tap", key, "PackageSource %s already "
			   "exists %s; not overwritten", name,
			   label ? "from another tap" : "and is not from a tap");
	json_decref(cur);
	return ok;
}

static int apply_declared(cz_manager *m, cz_kube *kube, const char *tap,
			  const char *key, const json_t *declared,
			  cz_strmap *names, cz_error *err)
{
	size_t i;
	const json_t *src;
	int rc = CZ_OK;

	json_array_foreach (declared, i, src) {
		const char *name = cz_meta_str(src, "name");
		json_t *obj;

		cz_strmap_put(names, name, (void *)name);
		if (!ours_to_apply(m, tap, name, key))
			continue;
		obj = cz_tap_source_object(src, tap);
		rc = cz_apply_object(kube, cz_res_sources(), obj,
				     CZ_TAP_FIELD_MANAGER, NULL, err);
		json_decref(obj);
		if (rc < 0)
			break;
	}
	return rc;
}

/* Removes this tap's sources that the revision no longer declares. */
static int drop_undeclared(cz_manager *m, cz_kube *kube, const char *tap,
			   const char *key, const cz_strmap *names,
			   cz_error *err)
{
	json_t *all = cz_informer_list(m->inf[CZ_W_SOURCES], NULL,
				       CZ_TAP_LABEL, tap);
	size_t i;
	json_t *src;
	int rc = CZ_OK;

	json_array_foreach (all, i, src) {
		const char *name = cz_meta_str(src, "name");
		json_t *pkg;
		char *path;

		if (cz_strmap_has(names, name))
			continue;
		path = cz_kube_path(cz_res_sources(), NULL, name, NULL, NULL);
		rc = cz_kube_delete(kube, path, NULL, NULL, err);
		free(path);
		if (rc < 0 && rc != CZ_ENOTFOUND)
			break;
		rc = CZ_OK;
		pkg = cz_informer_get(m->inf[CZ_W_PACKAGES], NULL, name);
		cz_ctl_log(m, "warning", "tap", key, "PackageSource %s is no "
			   "longer in the tapped artifact: removed%s%s%s", name,
			   pkg ? "; installed Package " : "",
			   pkg ? name : "",
			   pkg ? " now has no source" : "");
		json_decref(pkg);
	}
	json_decref(all);
	return rc;
}

static int follow(cz_manager *m, cz_kube *kube, const char *key,
		  const json_t *repo, const char *digest, cz_error *err)
{
	const char *tap = cz_tap_label(repo);
	char *tree = NULL;
	json_t *declared = NULL;
	cz_strmap names = CZ_STRMAP_INIT;
	cz_diags diags;
	int rc;

	cz_diags_init(&diags);
	if ((rc = cz_artifacts_flux_tree(m, repo, &tree, err)) < 0)
		goto cleanup;
	rc = cz_tap_read_sources(tree, &declared, &diags, err);
	if (rc < 0) {
		if (diags.len)
			cz_error_prefix(err, "%s", diags.items[0].text);
		goto cleanup;
	}
	if ((rc = apply_declared(m, kube, tap, key, declared, &names, err)) <
		    0 ||
	    (rc = drop_undeclared(m, kube, tap, key, &names, err)) < 0)
		goto cleanup;
	mark_applied(m, key, digest);
cleanup:
	json_decref(declared);
	cz_diags_release(&diags);
	cz_strmap_release(&names);
	free(tree);
	return rc;
}

int cz_tap_reconcile(cz_manager *m, cz_kube *kube, const char *key,
		     cz_error *err)
{
	json_t *repo = cz_informer_get_key(m->inf[CZ_W_OCIREPOS], key);
	const char *digest = json_string_value(json_object_get(
		json_object_get(json_object_get(repo, "status"), "artifact"),
		"digest"));
	int rc = CZ_OK;

	/* Gone, untapped or not stored yet: nothing to follow. */
	if (repo && cz_tap_label(repo) && digest && !applied(m, key, digest))
		rc = follow(m, kube, key, repo, digest, err);
	json_decref(repo);
	return rc;
}
