/*
 * cozystack-values replication (cozystack-operator §5.2): the Secret
 * cozy-system/cozystack-values is copied into every namespace that matches
 * the selector, kept in sync, and removed when the source or the label
 * goes.  Unlike the real replicator, all namespaces are watched, so a
 * namespace that loses the label also loses its copy.  Keys are namespace
 * names.
 */

#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"

static bool is_source_namespace(const cz_manager *m, const char *ns)
{
	return strcmp(ns, m->opts.values_secret_namespace) == 0;
}

/* The source changes every copy: all namespaces, and any that hold one. */
static void enqueue_all(cz_manager *m)
{
	json_t *nss = cz_informer_list(m->inf[CZ_W_NAMESPACES], NULL, NULL,
				       NULL);
	json_t *copies = cz_informer_list(m->inf[CZ_W_VALUES_SECRETS], NULL,
					  NULL, NULL);
	size_t i;
	json_t *o;

	json_array_foreach (nss, i, o)
		cz_queue_add(m->ctl[CZ_C_VALUES].queue, cz_meta_str(o, "name"));
	json_array_foreach (copies, i, o)
		cz_queue_add(m->ctl[CZ_C_VALUES].queue,
			     cz_meta_str(o, "namespace"));
	json_decref(nss);
	json_decref(copies);
}

static void on_secret(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	const char *ns = cz_meta_str(new_obj ? new_obj : old, "namespace");

	if (!ns)
		return;
	if (is_source_namespace(m, ns))
		enqueue_all(m);
	else
		cz_queue_add(m->ctl[CZ_C_VALUES].queue, ns);
}

static void on_namespace(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	const char *name = cz_meta_str(new_obj ? new_obj : old, "name");

	if (name && new_obj)
		cz_queue_add(m->ctl[CZ_C_VALUES].queue, name);
}

void cz_values_controller_setup(cz_manager *m)
{
	cz_informer_on_change(m->inf[CZ_W_VALUES_SECRETS], on_secret, m);
	cz_informer_on_change(m->inf[CZ_W_NAMESPACES], on_namespace, m);
}

static int delete_copy(cz_manager *m, cz_kube *kube, const char *ns,
		       cz_error *err)
{
	char *path = cz_kube_path(cz_res_secrets(), ns,
				  m->opts.values_secret_name, NULL, NULL);
	int rc = cz_kube_delete(kube, path, NULL, NULL, err);

	free(path);
	if (rc == CZ_OK)
		cz_ctl_log(m, "info", "values", ns, "deleted the copy");
	return rc == CZ_ENOTFOUND ? CZ_OK : rc;
}

/* The copy as it should be: data and type from the source, its labels
 * and annotations added to those the copy has. */
static json_t *desired_copy(const cz_manager *m, const json_t *src,
			    const json_t *have, const char *ns)
{
	json_t *out = have ? json_deep_copy(have)
			   : json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion",
				       "v1", "kind", "Secret", "metadata",
				       "name", m->opts.values_secret_name,
				       "namespace", ns);
	json_t *data = json_object_get(src, "data");

	cz_meta_add_maps(out, src);
	json_object_set_new(out, "data", data ? json_deep_copy(data)
					      : json_object());
	json_object_del(out, "stringData");
	json_object_set(out, "type", json_object_get(src, "type"));
	return out;
}

static int write_copy(cz_manager *m, cz_kube *kube, const json_t *src,
		      json_t *have, const char *ns, cz_error *err)
{
	json_t *want = NULL;
	char *path = NULL;
	int rc = CZ_OK;

	/* A Secret's type cannot change: a copy of another type is
	 * replaced. */
	if (have && !json_equal(json_object_get(have, "type"),
				json_object_get(src, "type"))) {
		rc = delete_copy(m, kube, ns, err);
		have = NULL;
		if (rc != CZ_OK)
			goto cleanup;
	}
	want = desired_copy(m, src, have, ns);
	if (have && json_equal(want, have))
		goto cleanup;
	if (have) {
		path = cz_kube_path(cz_res_secrets(), ns,
				    m->opts.values_secret_name, NULL, NULL);
		rc = cz_kube_update(kube, path, want, NULL, err);
	} else {
		path = cz_kube_path(cz_res_secrets(), ns, NULL, NULL, NULL);
		rc = cz_kube_create(kube, path, want, NULL, err);
	}
	if (rc == CZ_OK)
		cz_ctl_log(m, "info", "values", ns, "%s the copy",
			   have ? "updated" : "created");
cleanup:
	free(path);
	json_decref(want);
	return rc;
}

int cz_values_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			cz_error *err)
{
	json_t *ns = cz_informer_get(m->inf[CZ_W_NAMESPACES], "", key);
	json_t *src = cz_informer_get(m->inf[CZ_W_VALUES_SECRETS],
				      m->opts.values_secret_namespace,
				      m->opts.values_secret_name);
	json_t *copy = cz_informer_get(m->inf[CZ_W_VALUES_SECRETS], key,
				       m->opts.values_secret_name);
	bool wanted;
	int rc = CZ_OK;

	if (!ns || is_source_namespace(m, key) ||
	    cz_meta_str(ns, "deletionTimestamp"))
		goto cleanup;
	wanted = src && cz_label_selector_matches(&m->values_selector, ns);
	if (!wanted) {
		if (copy)
			rc = delete_copy(m, kube, key, err);
		goto cleanup;
	}
	rc = write_copy(m, kube, src, copy, key, err);
cleanup:
	json_decref(ns);
	json_decref(src);
	json_decref(copy);
	return rc;
}
