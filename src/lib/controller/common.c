/* Helpers every controller uses: metadata, conditions, status writes. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/mem.h"

void cz_ctl_log(cz_manager *m, const char *level, const char *controller,
		const char *key, const char *fmt, ...)
{
	char msg[1024];
	cz_buf line;
	va_list ap;

	if (m->opts.quiet && strcmp(level, "error") != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cz_log_begin(&line, level);
	cz_log_field(&line, "controller", controller);
	cz_log_field(&line, "key", key);
	cz_log_field(&line, "msg", msg);
	cz_log_end(&line);
}

const cz_resource *cz_res_packages(void)
{
	return cz_resource_find("cozystack.io", "v1alpha1", "packages");
}

const cz_resource *cz_res_sources(void)
{
	return cz_resource_find("cozystack.io", "v1alpha1", "packagesources");
}

const cz_resource *cz_res_releases(void)
{
	return cz_resource_find("helm.toolkit.fluxcd.io", "v2", "helmreleases");
}

const cz_resource *cz_res_namespaces(void)
{
	return cz_resource_find("", "v1", "namespaces");
}

const cz_resource *cz_res_secrets(void)
{
	return cz_resource_find("", "v1", "secrets");
}

const cz_resource *cz_res_revisions(void)
{
	return cz_resource_find("apps", "v1", "controllerrevisions");
}

bool cz_condition_same(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "type", "status", "reason",
					    "message", "observedGeneration" };

	if (!a || !b)
		return a == b;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *x = json_object_get(a, keys[i]);
		json_t *y = json_object_get(b, keys[i]);

		if (!(x == y || (x && y && json_equal(x, y))))
			return false;
	}
	return true;
}

/* A new object with those of src's members named in names (NULL-ended)
 * that it has, shared with src. */
static json_t *copy_members(const json_t *src, const char *const *names)
{
	json_t *out = json_object();

	for (size_t i = 0; names[i]; i++)
		if (json_object_get(src, names[i]))
			json_object_set(out, names[i],
					json_object_get(src, names[i]));
	return out;
}

/* The body of a status write: the status subresource takes only status
 * from it and keeps everything else as stored, as kube-apiserver does, so
 * the identity is enough (a PackageSource's spec is most of its size). */
static json_t *status_body(const json_t *obj, json_t *status)
{
	static const char *const type[] = { "apiVersion", "kind", NULL };
	static const char *const identity[] = { "name", "namespace",
						"resourceVersion", "uid",
						NULL };
	json_t *body = copy_members(obj, type);

	json_object_set_new(body, "metadata",
			    copy_members(json_object_get(obj, "metadata"),
					 identity));
	json_object_set(body, "status", status);
	return body;
}

int cz_write_status(cz_kube *kube, const cz_resource *r, const json_t *obj,
		    json_t *status, json_t **out, cz_error *err)
{
	json_t *body = status_body(obj, status);
	char *path = cz_kube_path(r, cz_meta_str(obj, "namespace"),
				  cz_meta_str(obj, "name"), "status", NULL);
	int rc;

	rc = cz_kube_update(kube, path, body, out, err);
	json_decref(body);
	free(path);
	return rc;
}

int cz_apply_object(cz_kube *kube, const cz_resource *r, const json_t *obj,
		    const char *manager, json_t **out, cz_error *err)
{
	char *mgr = cz_kube_escape(manager);
	char *query = NULL;
	char *path = NULL;
	int rc;

	query = cz_xasprintf("fieldManager=%s&force=true", mgr);
	path = cz_kube_path(r, cz_meta_str(obj, "namespace"),
			    cz_meta_str(obj, "name"), NULL, query);
	rc = cz_kube_patch(kube, path, "application/apply-patch+yaml", obj,
			   out, err);
	/* Two appliers creating the same object at once: the loser's apply
	 * now finds it and updates it. */
	if (rc == CZ_EEXISTS)
		rc = cz_kube_patch(kube, path, "application/apply-patch+yaml",
				   obj, out, err);
	free(path);
	free(query);
	free(mgr);
	return rc;
}

bool cz_rv_seen(const json_t *candidate, const json_t *current)
{
	const char *a = cz_meta_str(candidate, "resourceVersion");
	const char *b = cz_meta_str(current, "resourceVersion");
	char *end_a = NULL;
	char *end_b = NULL;
	unsigned long long x, y;

	if (!a || !b)
		return false;
	x = strtoull(a, &end_a, 10);
	y = strtoull(b, &end_b, 10);
	if (*end_a || *end_b || end_a == a || end_b == b)
		return strcmp(a, b) == 0;
	return x <= y;
}

bool cz_rv_same(const json_t *a, const json_t *b)
{
	const char *x = cz_meta_str(a, "resourceVersion");
	const char *y = cz_meta_str(b, "resourceVersion");

	return x && y && strcmp(x, y) == 0;
}

void cz_enqueue_object(cz_controller *c, const json_t *obj)
{
	const char *ns = cz_meta_str(obj, "namespace");
	const char *name = cz_meta_str(obj, "name");
	char *key;

	if (!name)
		return;
	if (!ns || !*ns) {
		cz_queue_add(c->queue, name);
		return;
	}
	key = cz_xasprintf("%s/%s", ns, name);
	cz_queue_add(c->queue, key);
	free(key);
}

void cz_meta_add_maps(json_t *into, const json_t *from)
{
	static const char *const maps[] = { "labels", "annotations" };
	json_t *meta = json_object_get(into, "metadata");

	for (size_t i = 0; i < 2; i++) {
		json_t *add = json_object_get(json_object_get(from, "metadata"),
					      maps[i]);
		json_t *cur = json_object_get(meta, maps[i]);

		if (!json_object_size(add))
			continue;
		if (!json_is_object(cur)) {
			cur = json_object();
			json_object_set_new(meta, maps[i], cur);
		}
		json_object_update(cur, add);
	}
}

json_t *cz_live_source(cz_manager *m, const char *name)
{
	return cz_live_source_view(m, name, NULL);
}

json_t *cz_live_source_view(cz_manager *m, const char *name,
			    const cz_projection *view)
{
	json_t *obj = cz_informer_get_view(m->inf[CZ_W_SOURCES], NULL, name,
					   view);

	if (obj && cz_meta_str(obj, "deletionTimestamp")) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}
