/*
 * The PackageVariant controller (config.pkg.pkgserver.dev PackageVariant,
 * pkgserver-porch §2.4): keeps each variant's downstream draft, a clone of
 * its upstream catalog revision in the downstream Repository.  The draft's
 * workspace is "pv-" and 16 hex digits of the digest of the variant's
 * spec, so a changed spec makes a new draft; the revisions the variant made
 * for an earlier spec then go (deletionPolicy delete): drafts and proposed
 * ones are deleted, published ones proposed for deletion.  The drafts are
 * owned by the variant, so deleting it deletes them.
 */

#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "oci/digest.h"
#include "revision/revid.h"
#include "util/mem.h"

/* Until discovery finds an upstream revision published meanwhile. */
#define RETRY_NS (10LL * 1000000000LL)

static const cz_resource *res_variants(void)
{
	return cz_resource_find("config.pkg.pkgserver.dev", "v1alpha1",
				"packagevariants");
}

static const cz_resource *res_revisions(void)
{
	return cz_resource_find("pkg.pkgserver.dev", "v1alpha1",
				"packagerevisions");
}

static void on_variant(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	if (!new_obj)
		return;
	if (old && json_equal(json_object_get(json_object_get(old, "metadata"),
					      "generation"),
			      json_object_get(json_object_get(new_obj,
							      "metadata"),
					      "generation")))
		return;
	cz_enqueue_object(&m->ctl[CZ_C_VARIANT], new_obj);
}

/* A catalog revision published (or gone) may be the latest upstream of
 * a variant that names no revision: the namespace's variants look
 * again. */
static void on_revision(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	const json_t *pr = new_obj ? new_obj : old;
	cz_revid id;
	json_t *names;
	size_t i;
	json_t *n;

	cz_revid_of(pr, &id);
	if (strcmp(id.target, "catalog") != 0 || !*id.revision ||
	    !m->inf[CZ_W_VARIANTS])
		return;
	names = cz_informer_list_names(m->inf[CZ_W_VARIANTS],
				       cz_meta_str(pr, "namespace"), NULL,
				       NULL);
	json_array_foreach (names, i, n) {
		char *key = cz_xasprintf(
			"%s/%s", json_string_value(json_array_get(n, 0)),
			json_string_value(json_array_get(n, 1)));

		cz_queue_add(m->ctl[CZ_C_VARIANT].queue, key);
		free(key);
	}
	json_decref(names);
}

void cz_variant_controller_setup(cz_manager *m)
{
	if (m->inf[CZ_W_VARIANTS])
		cz_informer_on_change(m->inf[CZ_W_VARIANTS], on_variant, m);
	if (m->inf[CZ_W_PKGREVISIONS])
		cz_informer_on_change(m->inf[CZ_W_PKGREVISIONS], on_revision,
				      m);
}

/* "pv-" and the first 16 hex digits of sha256(spec as compact JSON with
 * sorted keys). */
static int workspace_of(const json_t *spec, char out[32], cz_error *err)
{
	char *text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	char digest[CZ_OCI_DIGEST_BUF];
	int rc = cz_oci_digest_bytes(text, strlen(text), digest, err);

	if (rc == CZ_OK)
		snprintf(out, 32, "pv-%.16s", digest + strlen("sha256:"));
	free(text);
	return rc;
}

/* The downstream draft of variant pv in workspace ws, cloned from up. */
static json_t *draft_new(const json_t *pv, const json_t *up, const char *ws)
{
	const json_t *spec = json_object_get(pv, "spec");
	const json_t *down = json_object_get(spec, "downstream");
	const json_t *ctx = json_object_get(spec, "packageContext");
	cz_revid id = { cz_json_str(down, "target"), cz_json_str(down, "repository"),
			cz_json_str(down, "realm"), cz_json_str(down, "package"), ws, "" };
	char *name = cz_revid_name(&id);
	json_t *meta = json_pack(
		"{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]}", "name", name,
		"namespace", cz_meta_str(pv, "namespace"), "ownerReferences",
		"apiVersion", "config.pkg.pkgserver.dev/v1alpha1", "kind",
		"PackageVariant", "name", cz_meta_str(pv, "name"), "uid",
		cz_meta_str(pv, "uid"), "controller", 1, "blockOwnerDeletion",
		1);
	json_t *obj;

	if (json_object_get(ctx, "labels"))
		json_object_set(meta, "labels", json_object_get(ctx, "labels"));
	if (json_object_get(ctx, "annotations"))
		json_object_set(meta, "annotations",
				json_object_get(ctx, "annotations"));
	obj = json_pack("{s:s, s:s, s:o, s:{s:{s:s, s:s, s:s, s:s, s:s},"
			" s:s, s:[{s:s}], s:O}}",
			"apiVersion", "pkg.pkgserver.dev/v1alpha1", "kind",
			"PackageRevision", "metadata", meta, "spec",
			"packageRevID", "target", id.target, "repository",
			id.repository, "realm", id.realm, "package", id.package,
			"workspace", ws, "lifecycle", "draft", "tasks", "type",
			"clone", "upstream", up);
	if (json_object_get(ctx, "readinessGates"))
		json_object_set(json_object_get(obj, "spec"), "readinessGates",
				json_object_get(ctx, "readinessGates"));
	if (json_object_get(ctx, "inputs"))
		json_object_set(json_object_get(obj, "spec"), "inputs",
				json_object_get(ctx, "inputs"));
	free(name);
	return obj;
}

/* The upstream revision among items, published: the one named, or the
 * highest when spec.upstream names no revision (pkgserver: latest
 * published upstream wins).  A new reference to a copy of up with the
 * revision filled in, or NULL. */
static json_t *resolve_upstream(const json_t *items, const json_t *up)
{
	const char *want = cz_json_str(up, "revision");
	unsigned long best = 0;
	const char *found = NULL;
	size_t i;
	json_t *pr, *out;

	json_array_foreach (items, i, pr) {
		cz_revid id;
		unsigned long n;

		cz_revid_of(pr, &id);
		n = cz_revid_number(id.revision);
		if (strcmp(id.target, "catalog") != 0 ||
		    strcmp(id.repository, cz_json_str(up, "repository")) != 0 ||
		    strcmp(id.realm, cz_json_str(up, "realm")) != 0 ||
		    strcmp(id.package, cz_json_str(up, "package")) != 0 ||
		    strcmp(cz_json_str(json_object_get(pr, "spec"), "lifecycle"),
			   "published") != 0 ||
		    (*want && strcmp(id.revision, want) != 0) || n <= best)
			continue;
		best = n;
		found = id.revision;
	}
	if (!found)
		return NULL;
	out = json_deep_copy(up);
	json_object_set_new(out, "revision", json_string(found));
	return out;
}

static bool owned_by(const json_t *obj, const char *uid)
{
	size_t i;
	json_t *ref;

	json_array_foreach (json_object_get(json_object_get(obj, "metadata"),
					    "ownerReferences"),
			    i, ref)
		if (strcmp(cz_json_str(ref, "uid"), uid) == 0)
			return true;
	return false;
}

/* The revisions pv made for an earlier spec go: deleted, or proposed for
 * deletion when published.  deletionPolicy orphan leaves them. */
static int retire_old(cz_kube *kube, const json_t *pv, const json_t *items,
		      const char *ws, cz_error *err)
{
	const char *uid = cz_meta_str(pv, "uid");
	size_t i;
	json_t *pr;
	int rc = CZ_OK;

	if (strcmp(cz_json_str(json_object_get(pv, "spec"), "deletionPolicy"),
		   "orphan") == 0)
		return CZ_OK;
	json_array_foreach (items, i, pr) {
		cz_revid id;
		const char *lc = cz_json_str(json_object_get(pr, "spec"), "lifecycle");
		char *path;

		cz_revid_of(pr, &id);
		if (!owned_by(pr, uid) || strcmp(id.workspace, ws) == 0 ||
		    strcmp(lc, "deletionProposed") == 0)
			continue;
		path = cz_kube_path(res_revisions(), cz_meta_str(pr, "namespace"),
				    cz_meta_str(pr, "name"), NULL, NULL);
		if (strcmp(lc, "published") == 0) {
			json_t *patch = json_pack("{s:{s:s}}", "spec",
						  "lifecycle",
						  "deletionProposed");

			rc = cz_kube_patch(kube, path,
					   "application/merge-patch+json",
					   patch, NULL, err);
			json_decref(patch);
		} else {
			rc = cz_kube_delete(kube, path, NULL, NULL, err);
			if (rc == CZ_ENOTFOUND)
				rc = CZ_OK;
		}
		free(path);
		if (rc != CZ_OK)
			break;
	}
	return rc;
}

static int write_ready(cz_kube *kube, const json_t *pv, bool ok,
		       const char *reason, const char *message, cz_error *err)
{
	json_int_t gen = json_integer_value(
		json_object_get(json_object_get(pv, "metadata"), "generation"));
	json_t *status = json_pack(
		"{s:[o]}", "conditions",
		cz_condition_new(cz_condition(pv, "Ready"), "Ready",
				 ok ? "True" : "False", reason, message, gen));
	int rc = cz_write_status(kube, res_variants(), pv, status, NULL, err);

	json_decref(status);
	return rc;
}

/* The downstream draft exists (created when missing); its name in *name. */
static int ensure_draft(cz_kube *kube, const json_t *pv, const json_t *up,
			const char *ws, const json_t *items, char **name,
			cz_error *err)
{
	json_t *draft = draft_new(pv, up, ws);
	char *path = cz_kube_path(res_revisions(), cz_meta_str(pv, "namespace"),
				  NULL, NULL, NULL);
	size_t i;
	json_t *pr;
	int rc = CZ_OK;
	bool have = false;

	*name = cz_xstrdup(cz_meta_str(draft, "name"));
	json_array_foreach (items, i, pr)
		if (strcmp(cz_meta_str(pr, "name"), *name) == 0)
			have = true;
	if (!have) {
		rc = cz_kube_create(kube, path, draft, NULL, err);
		if (rc == CZ_EEXISTS)
			rc = CZ_OK;
	}
	free(path);
	json_decref(draft);
	return rc;
}

int cz_variant_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err)
{
	json_t *pv = m->inf[CZ_W_VARIANTS]
			     ? cz_informer_get_key(m->inf[CZ_W_VARIANTS], key)
			     : NULL;
	const json_t *spec = json_object_get(pv, "spec");
	json_t *list = NULL, *up = NULL, *resolved = NULL;
	char ws[32];
	char *name = NULL, *msg = NULL;
	cz_error why = CZ_ERROR_INIT;
	int rc = CZ_OK;

	if (!pv || cz_meta_str(pv, "deletionTimestamp"))
		goto cleanup;
	rc = cz_kube_list(kube, res_revisions(), cz_meta_str(pv, "namespace"),
			  NULL, &list, err);
	if (rc != CZ_OK)
		goto cleanup;
	up = resolve_upstream(json_object_get(list, "items"),
			      json_object_get(spec, "upstream"));
	if (!up) {
		const json_t *u = json_object_get(spec, "upstream");

		msg = cz_xasprintf("upstream %s/%s/%s@%s is not a published "
				   "revision",
				   cz_json_str(u, "repository"), cz_json_str(u, "realm"),
				   cz_json_str(u, "package"),
				   *cz_json_str(u, "revision") ? cz_json_str(u, "revision")
						       : "latest");
		rc = write_ready(kube, pv, false, "UpstreamNotFound", msg, err);
		cz_queue_add_after(m->ctl[CZ_C_VARIANT].queue, key, RETRY_NS);
		goto cleanup;
	}
	/* The workspace follows the resolved upstream: a newer latest
	 * revision makes a new draft. */
	resolved = json_deep_copy(spec);
	json_object_set(resolved, "upstream", up);
	rc = workspace_of(resolved, ws, err);
	if (rc != CZ_OK)
		goto cleanup;
	if (ensure_draft(kube, pv, up, ws, json_object_get(list, "items"),
			 &name, &why) != CZ_OK) {
		rc = write_ready(kube, pv, false, "CloneFailed", why.msg, err);
		cz_queue_add_after(m->ctl[CZ_C_VARIANT].queue, key, RETRY_NS);
		goto cleanup;
	}
	rc = retire_old(kube, pv, json_object_get(list, "items"), ws, err);
	msg = cz_xasprintf("downstream draft %s of %s", name,
			   cz_json_str(up, "revision"));
	if (rc == CZ_OK)
		rc = write_ready(kube, pv, true, "Cloned", msg, err);
cleanup:
	json_decref(list);
	json_decref(up);
	json_decref(resolved);
	json_decref(pv);
	free(name);
	free(msg);
	return rc;
}
