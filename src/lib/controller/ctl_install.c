/*
 * The install gate (docs/revisions.md): the cluster follows git.  For each
 * package of a deployment Repository whose revisions list the readiness
 * gate pkg.pkgserver.dev/install, the latest published revision's objects
 * are server-side applied with the field manager cozypkg-install, and the
 * objects an earlier install applied that it no longer holds are deleted,
 * but only those still marked as ours.  What was applied is kept in an
 * inventory ConfigMap per package, so that a crash between applying and
 * pruning only delays the pruning.  The revision's install condition says
 * what was applied, or why not; earlier revisions become Superseded.
 * Publishing v4 rolls the platform forward; publishing v2's content again
 * as v5 (cozypkg rpkg rollback) rolls it back.
 */

#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "oci/digest.h"
#include "revision/install.h"
#include "revision/revid.h"
#include "util/mem.h"

#define INVENTORY_PREFIX "cozypkg-install-"
#define INVENTORY_PACKAGE "pkg.pkgserver.dev/package"

static const cz_resource *res_revisions(void)
{
	return cz_resource_find("pkg.pkgserver.dev", "v1alpha1",
				"packagerevisions");
}

static const cz_resource *res_resources(void)
{
	return cz_resource_find("pkg.pkgserver.dev", "v1alpha1",
				"packagerevisionresourceses");
}

static const cz_resource *res_configmaps(void)
{
	return cz_resource_find("", "v1", "configmaps");
}

/* "<namespace>/<name without the workspace>" of a deployment revision
 * with the install gate (malloc'ed), or NULL: the queue's key of its
 * package. */
static char *package_key(const json_t *pr)
{
	cz_revid id;
	char *name, *key;

	cz_revid_of(pr, &id);
	if (strcmp(id.target, "catalog") == 0 ||
	    !cz_revid_has_gate(pr, CZ_GATE_INSTALL))
		return NULL;
	id.workspace = "";
	name = cz_revid_name(&id);
	name[strlen(name) - 1] = '\0'; /* the dot before the workspace */
	key = cz_xasprintf("%s/%s", cz_meta_str(pr, "namespace"), name);
	free(name);
	return key;
}

static void on_revision(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	char *key = package_key(new_obj ? new_obj : old);

	if (key)
		cz_queue_add(m->ctl[CZ_C_INSTALL].queue, key);
	free(key);
}

void cz_install_controller_setup(cz_manager *m)
{
	if (m->inf[CZ_W_PKGREVISIONS])
		cz_informer_on_change(m->inf[CZ_W_PKGREVISIONS], on_revision,
				      m);
}

static const char *spec_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(
		json_object_get(json_object_get(obj, "spec"), key));

	return s ? s : "";
}

static const char *status_str(const json_t *obj, const char *key)
{
	return cz_json_str(json_object_get(obj, "status"), key);
}

/* Sets the install condition of pr when it differs. */
static int set_condition(cz_kube *kube, const json_t *pr, bool ok,
			 const char *reason, const char *message,
			 cz_error *err)
{
	const json_t *prev = cz_condition(pr, CZ_GATE_INSTALL);
	json_t *status, *conds, *c;
	size_t i;
	int rc;

	if (prev && strcmp(cz_json_str(prev, "status"), ok ? "True" : "False") == 0 &&
	    strcmp(cz_json_str(prev, "reason"), reason) == 0 &&
	    strcmp(cz_json_str(prev, "message"), message) == 0)
		return CZ_OK;
	status = json_deep_copy(json_object_get(pr, "status"));
	if (!json_is_object(status)) {
		json_decref(status);
		status = json_object();
	}
	conds = json_array();
	json_array_foreach (json_object_get(status, "conditions"), i, c)
		if (strcmp(cz_json_str(c, "type"), CZ_GATE_INSTALL) != 0)
			json_array_append(conds, c);
	json_array_append_new(conds,
			      cz_condition_new(prev, CZ_GATE_INSTALL,
					       ok ? "True" : "False", reason,
					       message, -1));
	json_object_set_new(status, "conditions", conds);
	rc = cz_write_status(kube, res_revisions(), pr, status, NULL, err);
	json_decref(status);
	return rc;
}

/* ---- the inventory ------------------------------------------------------ */

/* The inventory ConfigMap's name for the package key (malloc'ed). */
static char *inventory_name(const char *key, cz_error *err)
{
	char digest[CZ_OCI_DIGEST_BUF];

	if (cz_oci_digest_bytes(key, strlen(key), digest, err) < 0)
		return NULL;
	return cz_xasprintf(INVENTORY_PREFIX "%.16s",
			    digest + strlen("sha256:"));
}

typedef struct inventory {
	char *name;      /* the ConfigMap's */
	json_t *objects; /* references; an empty array when none */
	char *revision;  /* what was last installed completely; "" */
	char *commit;
	bool exists;
} inventory;

static void inventory_release(inventory *inv)
{
	free(inv->name);
	free(inv->revision);
	free(inv->commit);
	json_decref(inv->objects);
	memset(inv, 0, sizeof(*inv));
}

static int inventory_read(cz_kube *kube, const char *ns, const char *key,
			  inventory *inv, cz_error *err)
{
	json_t *cm = NULL, *data;
	char *path = NULL;
	int rc;

	memset(inv, 0, sizeof(*inv));
	if (!(inv->name = inventory_name(key, err)))
		return err->code;
	path = cz_kube_path(res_configmaps(), ns, inv->name, NULL, NULL);
	rc = cz_kube_get(kube, path, &cm, err);
	if (rc == CZ_ENOTFOUND)
		rc = CZ_OK;
	data = json_object_get(cm, "data");
	inv->exists = cm != NULL;
	inv->revision = cz_xstrdup(cz_json_str(data, "revision"));
	inv->commit = cz_xstrdup(cz_json_str(data, "commit"));
	inv->objects = json_loads(cz_json_str(data, "objects"), 0, NULL);
	if (!json_is_array(inv->objects)) {
		json_decref(inv->objects);
		inv->objects = json_array();
	}
	json_decref(cm);
	free(path);
	return rc;
}

/* Records objects as what the package's install applied; revision and
 * commit "" when the install did not finish. */
static int inventory_write(cz_kube *kube, const char *ns, const char *key,
			   const inventory *inv, const json_t *objects,
			   const char *revision, const char *commit,
			   cz_error *err)
{
	char *text = json_dumps(objects, JSON_COMPACT);
	const char *slash = strchr(key, '/');
	json_t *cm = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:{s:s}}, s:{s:s, s:s, s:s}}",
		"apiVersion", "v1", "kind", "ConfigMap", "metadata", "name",
		inv->name, "namespace", ns, "labels",
		"app.kubernetes.io/managed-by", CZ_INSTALL_MANAGER,
		"annotations", INVENTORY_PACKAGE, slash ? slash + 1 : key,
		"data", "revision", revision, "commit", commit, "objects",
		text);
	int rc = cz_apply_object(kube, res_configmaps(), cm,
				 CZ_INSTALL_MANAGER, NULL, err);

	json_decref(cm);
	free(text);
	return rc;
}

/* ---- applying and pruning ------------------------------------------------ */

/* Applies objs in order, each marked as the package's; the references of
 * those applied go to applied.  On a failure err names the object. */
static int apply_all(cz_kube *kube, const json_t *objs, const char *key,
		     json_t *applied, cz_error *err)
{
	size_t i;
	json_t *obj;
	int rc = CZ_OK;

	json_array_foreach (objs, i, obj) {
		const cz_resource *r = cz_resource_by_kind(
			cz_json_str(obj, "apiVersion"), cz_json_str(obj, "kind"));
		json_t *meta = json_object_get(obj, "metadata");
		json_t *notes = json_object_get(meta, "annotations");

		if (!json_is_object(notes))
			json_object_set_new(meta, "annotations",
					    notes = json_object());
		json_object_set_new(notes, CZ_INSTALL_OWNER, json_string(key));
		rc = cz_apply_object(kube, r, obj, CZ_INSTALL_MANAGER, NULL,
				     err);
		if (rc != CZ_OK) {
			const char *ns = cz_meta_str(obj, "namespace");

			cz_error_prefix(err, "%s %s%s%s",
					cz_json_str(obj, "kind"), ns ? ns : "",
					ns ? "/" : "", cz_meta_str(obj, "name"));
			break;
		}
		json_array_append_new(applied, cz_install_ref(obj));
	}
	return rc;
}

/* Deletes what refs name that is still marked as the package's; counts
 * the deletions in *pruned. */
static int prune(cz_kube *kube, const json_t *refs, const char *key,
		 size_t *pruned, cz_error *err)
{
	size_t i;
	json_t *ref;
	int rc = CZ_OK;

	json_array_foreach (refs, i, ref) {
		const cz_resource *r = cz_resource_by_kind(
			cz_json_str(ref, "apiVersion"), cz_json_str(ref, "kind"));
		json_t *live = NULL;
		const char *owner;
		char *path;

		if (!r)
			continue; /* no longer served: nothing to delete */
		path = cz_kube_path(r, *cz_json_str(ref, "namespace")
					       ? cz_json_str(ref, "namespace")
					       : NULL,
				    cz_json_str(ref, "name"), NULL, NULL);
		rc = cz_kube_get(kube, path, &live, err);
		owner = cz_annotation(live, CZ_INSTALL_OWNER);
		if (rc == CZ_OK && owner && strcmp(owner, key) == 0) {
			rc = cz_kube_delete(kube, path, NULL, NULL, err);
			if (rc == CZ_OK)
				(*pruned)++;
		}
		if (rc == CZ_ENOTFOUND)
			rc = CZ_OK;
		json_decref(live);
		free(path);
		if (rc != CZ_OK)
			break;
	}
	return rc;
}

/* ---- reconcile ------------------------------------------------------------ */

/* The revisions of the package key among items: the latest published one
 * (borrowed, or NULL) and the others that say they are installed (a new
 * array). */
static const json_t *latest_of(const json_t *items, const char *key,
			       json_t **installed)
{
	const json_t *latest = NULL;
	unsigned long best = 0;
	size_t i;
	json_t *pr;

	*installed = json_array();
	json_array_foreach (items, i, pr) {
		char *k = package_key(pr);
		cz_revid id;
		unsigned long n;

		cz_revid_of(pr, &id);
		n = cz_revid_number(id.revision);
		if (k && strcmp(k, key) == 0 &&
		    strcmp(spec_str(pr, "lifecycle"), "published") == 0 &&
		    n > best) {
			best = n;
			latest = pr;
		}
		if (k && strcmp(k, key) == 0 &&
		    strcmp(cz_json_str(cz_condition(pr, CZ_GATE_INSTALL), "status"),
			   "True") == 0)
			json_array_append(*installed, pr);
		free(k);
	}
	return latest;
}

/* Why pr is not installed yet, or NULL: its Repository must be a
 * deployment, and the gate before install (pkgserver's chain) True. */
static char *not_yet(cz_manager *m, const json_t *pr, const char **reason)
{
	cz_revid id;
	json_t *repo = NULL;
	const json_t *gates = json_object_get(json_object_get(pr, "spec"),
					      "readinessGates");
	const char *prev = NULL;
	char *why = NULL;
	size_t i;
	json_t *g;

	cz_revid_of(pr, &id);
	if (m->inf[CZ_W_REPOSITORIES])
		repo = cz_informer_get(m->inf[CZ_W_REPOSITORIES],
				       cz_meta_str(pr, "namespace"),
				       id.repository);
	if (!json_is_true(json_object_get(json_object_get(repo, "spec"),
					  "deployment"))) {
		*reason = "NotDeployment";
		why = cz_xasprintf("Repository %s is not a deployment "
				   "repository: only deployment revisions are "
				   "installed",
				   id.repository);
	}
	json_array_foreach (gates, i, g) {
		if (strcmp(cz_json_str(g, "conditionType"), CZ_GATE_INSTALL) == 0)
			break;
		prev = cz_json_str(g, "conditionType");
	}
	if (!why && prev &&
	    strcmp(cz_json_str(cz_condition(pr, prev), "status"), "True") != 0) {
		*reason = "Waiting";
		why = cz_xasprintf("waiting for %s", prev);
	}
	json_decref(repo);
	return why;
}

/* Every other revision that said it was installed is superseded. */
static int supersede(cz_kube *kube, const json_t *installed,
		     const json_t *latest, cz_error *err)
{
	cz_revid id;
	char *msg;
	size_t i;
	json_t *pr;
	int rc = CZ_OK;

	cz_revid_of(latest, &id);
	msg = cz_xasprintf("%s is installed", id.revision);
	json_array_foreach (installed, i, pr)
		if (rc == CZ_OK && pr != latest)
			rc = set_condition(kube, pr, false, "Superseded", msg,
					   err);
	free(msg);
	return rc;
}

/* Applies the revision pr (published, latest, allowed) and prunes what the
 * last install applied that it drops; *done when it is installed (a
 * revision whose files are not objects is not, and is not retried). */
static int install(cz_kube *kube, const json_t *pr, const char *key,
		   inventory *inv, bool *done_out, cz_error *err)
{
	const char *ns = cz_meta_str(pr, "namespace");
	json_t *prr = NULL, *objs = NULL, *dropped = NULL, *done = NULL;
	json_t *applied = json_array();
	char *path = cz_kube_path(res_resources(), ns, cz_meta_str(pr, "name"),
				  NULL, NULL);
	cz_error why = CZ_ERROR_INIT;
	cz_revid id;
	char *msg = NULL;
	size_t pruned = 0;
	int rc = cz_kube_get(kube, path, &prr, err);

	*done_out = false;
	cz_revid_of(pr, &id);
	if (rc != CZ_OK)
		goto cleanup;
	if (cz_install_objects(json_object_get(json_object_get(prr, "spec"),
					       "resources"),
			       ns, &objs, &why) < 0) {
		/* Only a new revision mends its files: no retry. */
		msg = cz_xasprintf("%s: %s", id.revision, why.msg);
		rc = set_condition(kube, pr, false, "InvalidResources", msg,
				   err);
		goto cleanup;
	}
	if (apply_all(kube, objs, key, applied, &why) < 0) {
		/* Whatever was applied is ours to prune later. */
		done = cz_install_union(inv->objects, applied);
		msg = cz_xasprintf("%s: %s", id.revision, why.msg);
		rc = inventory_write(kube, ns, key, inv, done, "", "", err);
		if (rc == CZ_OK)
			rc = set_condition(kube, pr, false, "ApplyFailed", msg,
					   err);
		if (rc == CZ_OK)
			rc = cz_fail(err, why.code, "%s", msg);
		goto cleanup;
	}
	dropped = cz_install_dropped(inv->objects, applied);
	if (prune(kube, dropped, key, &pruned, &why) < 0) {
		/* The inventory keeps what is left to prune. */
		msg = cz_xasprintf("%s: applied, but pruning failed: %s",
				   id.revision, why.msg);
		rc = set_condition(kube, pr, false, "PruneFailed", msg, err);
		if (rc == CZ_OK)
			rc = cz_fail(err, why.code, "%s", msg);
		goto cleanup;
	}
	rc = inventory_write(kube, ns, key, inv, applied, id.revision,
			     status_str(pr, "commit"), err);
	msg = cz_xasprintf("%s: %zu object%s applied, %zu pruned", id.revision,
			   json_array_size(applied),
			   json_array_size(applied) == 1 ? "" : "s", pruned);
	if (rc == CZ_OK)
		rc = set_condition(kube, pr, true, "Installed", msg, err);
	*done_out = rc == CZ_OK;
cleanup:
	json_decref(prr);
	json_decref(objs);
	json_decref(dropped);
	json_decref(done);
	json_decref(applied);
	free(path);
	free(msg);
	return rc;
}

/* No published revision left: nothing of the package stays. */
static int uninstall(cz_kube *kube, const char *ns, const char *key,
		     inventory *inv, cz_error *err)
{
	size_t pruned = 0;
	char *path;
	int rc = prune(kube, inv->objects, key, &pruned, err);

	if (rc != CZ_OK || !inv->exists)
		return rc;
	path = cz_kube_path(res_configmaps(), ns, inv->name, NULL, NULL);
	rc = cz_kube_delete(kube, path, NULL, NULL, err);
	free(path);
	return rc == CZ_ENOTFOUND ? CZ_OK : rc;
}

int cz_install_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err)
{
	const char *slash = strchr(key, '/');
	char *ns = slash ? cz_xstrndup(key, (size_t)(slash - key)) : NULL;
	json_t *items = NULL, *others = NULL;
	const json_t *latest;
	const char *reason = NULL;
	char *why = NULL;
	inventory inv;
	bool installed = true;
	int rc;

	memset(&inv, 0, sizeof(inv));
	if (!ns || !m->inf[CZ_W_PKGREVISIONS]) {
		free(ns);
		return CZ_OK;
	}
	items = cz_informer_list(m->inf[CZ_W_PKGREVISIONS], ns, NULL, NULL);
	latest = latest_of(items, key, &others);
	rc = inventory_read(kube, ns, key, &inv, err);
	if (rc != CZ_OK)
		goto cleanup;
	if (!latest) {
		rc = uninstall(kube, ns, key, &inv, err);
		goto cleanup;
	}
	if ((why = not_yet(m, latest, &reason))) {
		rc = set_condition(kube, latest, false, reason, why, err);
		goto cleanup;
	}
	if (strcmp(inv.revision, cz_json_str(json_object_get(json_object_get(
						     latest, "spec"),
					     "packageRevID"),
				     "revision")) != 0 ||
	    strcmp(inv.commit, status_str(latest, "commit")) != 0 ||
	    strcmp(cz_json_str(cz_condition(latest, CZ_GATE_INSTALL), "status"),
		   "True") != 0)
		rc = install(kube, latest, key, &inv, &installed, err);
	/* The revisions before stay installed until the latest is. */
	if (rc == CZ_OK && installed)
		rc = supersede(kube, others, latest, err);
cleanup:
	inventory_release(&inv);
	json_decref(items);
	json_decref(others);
	free(why);
	free(ns);
	return rc;
}
