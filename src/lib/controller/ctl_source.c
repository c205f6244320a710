/*
 * The PackageSource controller (cozystack-operator §2.2): status.variants
 * and a Ready condition.  While the Flux source object the PackageSource
 * references is missing, has no Ready condition, is not Ready or has no
 * artifact, Ready reflects it (missing, no condition, or its own condition
 * copied through).  Once it is Ready with an artifact and the artifact
 * generator runs (ctl_artifacts.c), Ready is the generator's condition
 * for that artifact and this generation, copied through as the real
 * operator copies the ArtifactGenerator's; Unknown/ArtifactGeneratorNotReady
 * until that build is done.
 */

#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "engine/engine.h"
#include "util/mem.h"

static void on_source(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	cz_enqueue_object(&m->ctl[CZ_C_SOURCE], new_obj ? new_obj : old);
}

void cz_enqueue_sources_of(cz_manager *m, cz_controller *c, const char *kind,
			   const json_t *obj)
{
	const char *ns = cz_meta_str(obj, "namespace");
	const char *name = cz_meta_str(obj, "name");
	json_t *names = json_array();
	size_t i;
	json_t *n;

	pthread_rwlock_rdlock(&m->lock);
	for (size_t j = 0; j < m->catalog.nsources; j++) {
		const cz_source *src = m->catalog.sources[j];
		const cz_source_ref *ref = src->source_ref;

		if (ref && ns && name && strcmp(ref->kind, kind) == 0 &&
		    strcmp(ref->name, name) == 0 &&
		    strcmp(ref->namespace, ns) == 0)
			json_array_append_new(names, json_string(src->name));
	}
	pthread_rwlock_unlock(&m->lock);
	json_array_foreach (names, i, n)
		cz_queue_add(c->queue, json_string_value(n));
	json_decref(names);
}

static void on_oci(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	cz_enqueue_sources_of(m, &m->ctl[CZ_C_SOURCE], "OCIRepository",
			      new_obj ? new_obj : old);
}

static void on_git(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	cz_enqueue_sources_of(m, &m->ctl[CZ_C_SOURCE], "GitRepository",
			      new_obj ? new_obj : old);
}

void cz_source_controller_setup(cz_manager *m)
{
	cz_informer_on_change(m->inf[CZ_W_SOURCES], on_source, m);
	cz_informer_on_change(m->inf[CZ_W_OCIREPOS], on_oci, m);
	cz_informer_on_change(m->inf[CZ_W_GITREPOS], on_git, m);
}

static const char *field_or(const json_t *obj, const char *key,
			    const char *dflt)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v ? v : dflt;
}

/* No write when variants and the condition already read as wanted. */
static bool status_current(const json_t *src, const json_t *status,
			   const json_t *cond)
{
	json_t *have = json_object_get(src, "status");
	json_t *hv = json_object_get(have, "variants");

	return hv && json_equal(hv, json_object_get(status, "variants")) &&
	       json_array_size(json_object_get(have, "conditions")) == 1 &&
	       cz_condition_same(cz_condition(src, "Ready"), cond);
}

/* The Ready condition for the referenced source: kind, namespace, name. */
static json_t *ready_condition(cz_manager *m, const json_t *src,
			       const json_t *ref, int64_t generation)
{
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *ns = json_string_value(json_object_get(ref, "namespace"));
	json_t *prev = cz_condition(src, "Ready");
	cz_informer *inf = NULL;
	json_t *obj = NULL;
	json_t *cond = NULL;
	json_t *theirs;
	json_t *generated = NULL;
	const char *digest;
	char *msg = NULL;

	/* While the platform's revision is migrated, that is its state. */
	cond = cz_platform_condition(m, cz_meta_str(src, "name"), prev,
				     generation);
	if (cond)
		goto cleanup;
	if (kind && strcmp(kind, "OCIRepository") == 0)
		inf = m->inf[CZ_W_OCIREPOS];
	else if (kind && strcmp(kind, "GitRepository") == 0)
		inf = m->inf[CZ_W_GITREPOS];
	obj = inf && name ? cz_informer_get(inf, ns ? ns : "", name) : NULL;
	if (!obj) {
		msg = cz_xasprintf("%s %s/%s not found", kind ? kind : "source",
				   ns ? ns : "", name ? name : "");
		cond = cz_condition_new(prev, "Ready", "False", "SourceNotFound",
					msg, generation);
		goto cleanup;
	}
	theirs = cz_condition(obj, "Ready");
	if (!theirs) {
		msg = cz_xasprintf("%s %s/%s has no Ready condition yet", kind,
				   ns ? ns : "", name);
		cond = cz_condition_new(prev, "Ready", "Unknown",
					"SourceNotReady", msg, generation);
		goto cleanup;
	}
	digest = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "status"), "artifact"),
		"digest"));
	if (cz_artifacts_enabled(m) && digest &&
	    strcmp(field_or(theirs, "status", ""), "True") == 0) {
		/* The source is there: Ready is the generator's. */
		theirs = generated = cz_artifacts_condition(
			m, cz_meta_str(src, "name"), generation, digest);
		if (!generated) {
			msg = cz_xasprintf("artifacts of %s %s/%s (%s) are "
					   "being generated",
					   kind, ns ? ns : "", name, digest);
			cond = cz_condition_new(prev, "Ready", "Unknown",
						"ArtifactGeneratorNotReady",
						msg, generation);
			goto cleanup;
		}
	}
	cond = cz_condition_new(prev, "Ready",
				field_or(theirs, "status", "Unknown"),
				field_or(theirs, "reason", "Unknown"),
				field_or(theirs, "message", ""), generation);
cleanup:
	json_decref(generated);
	free(msg);
	json_decref(obj);
	return cond;
}

/* What this controller reads of a PackageSource: not its variants, which
 * are most of it and which it takes from the live catalog. */
static const char *const source_paths[] = {
	"apiVersion",	       "kind",
	"metadata.name",       "metadata.namespace",
	"metadata.uid",	       "metadata.resourceVersion",
	"metadata.generation", "metadata.deletionTimestamp",
	"spec.sourceRef",      "status",
};
static cz_static_projection source_view = {
	source_paths, sizeof(source_paths) / sizeof(*source_paths), NULL
};

/*
 * The PackageSource (new reference) with the engine's status.variants
 * from the live catalog, or NULL when it is gone or going.  The cache may
 * be an event ahead of the catalog; that event then updates the catalog
 * before it enqueues this source again (the Package controller's handler
 * runs first), so a status from the older variants does not last.
 */
static json_t *source_and_variants(cz_manager *m, const char *name,
				   json_t **status)
{
	json_t *obj = cz_live_source_view(m, name,
					  cz_projection_static(&source_view));
	const cz_source *src;

	if (!obj)
		return NULL;
	pthread_rwlock_rdlock(&m->lock);
	src = cz_catalog_source(&m->catalog, name);
	if (src)
		*status = cz_source_status_json(src);
	pthread_rwlock_unlock(&m->lock);
	if (!src) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

int cz_source_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			cz_error *err)
{
	json_t *status = NULL;
	json_t *src = source_and_variants(m, key, &status);
	json_t *ref = json_object_get(json_object_get(src, "spec"),
				      "sourceRef");
	json_t *gen = json_object_get(json_object_get(src, "metadata"),
				      "generation");
	int64_t generation = json_is_integer(gen) ? json_integer_value(gen) : 0;
	json_t *cond = NULL;
	int rc = CZ_OK;

	if (!src)
		goto cleanup;
	if (!ref)
		cond = cz_condition_new(cz_condition(src, "Ready"), "Ready",
					"Unknown", "SourceRefNotSet",
					"SourceRef is not configured",
					generation);
	else
		cond = ready_condition(m, src, ref, generation);
	json_object_set_new(status, "conditions", json_pack("[O]", cond));
	if (status_current(src, status, cond))
		goto cleanup;
	rc = cz_write_status(kube, cz_res_sources(), src, status, NULL, err);
cleanup:
	json_decref(cond);
	json_decref(status);
	json_decref(src);
	return rc;
}
