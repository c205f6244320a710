/*
 * The history controller: every change of a Package's spec, and every new
 * artifact revision of a Flux source, is kept as an apps/v1
 * ControllerRevision owned by that object, as Kubernetes keeps a
 * workload's history, so that it works the same against cozypkgd and any
 * cluster.  Revisions are numbered from 1 per object and never reused;
 * the oldest beyond the history limit are deleted.
 *
 * Each revision carries the labels CZ_HISTORY_OWNER_UID (the owner's uid)
 * and CZ_HISTORY_KIND, and the annotation CZ_HISTORY_HASH (SHA-256 of its
 * data), so that the latest revision of an owner and whether it already
 * holds the current state are answered from a small in-memory index, not
 * by listing revisions for every event.
 */

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/history.h"
#include "controller/internal.h"
#include "util/mem.h"

#define KEY_PACKAGE "package/"
#define KEY_OCI "ocirepository/"
#define KEY_GIT "gitrepository/"

const char *cz_history_prefix(const char *kind)
{
	if (strcmp(kind, "Package") == 0)
		return "package";
	return strcmp(kind, "OCIRepository") == 0 ? "ocirepository"
						   : "gitrepository";
}

/* ---- the index: owner uid -> {max, hash, count} ------------------------ */

/* Notes rev in the index: counted when its watch event arrives (count),
 * numbered at once when this controller creates it (so that a change
 * queued before that event gets the next number). */
static void index_revision(cz_manager *m, const json_t *rev, bool deleted,
			   bool count)
{
	const json_t *meta = json_object_get(rev, "metadata");
	const char *uid = json_string_value(json_object_get(
		json_object_get(meta, "labels"), CZ_HISTORY_OWNER_UID));
	const char *hash = json_string_value(json_object_get(
		json_object_get(meta, "annotations"), CZ_HISTORY_HASH));
	json_int_t n = json_integer_value(json_object_get(rev, "revision"));
	json_t *e;

	if (!uid)
		return;
	pthread_mutex_lock(&m->history_lock);
	e = json_object_get(m->history, uid);
	if (!e) {
		e = json_pack("{s:I, s:s, s:I}", "max", (json_int_t)0, "hash", "",
			      "count", (json_int_t)0);
		json_object_set_new(m->history, uid, e);
	}
	if (count)
		json_object_set_new(e, "count",
				    json_integer(json_integer_value(
							 json_object_get(e, "count")) +
						 (deleted ? -1 : 1)));
	if (!deleted && n >= json_integer_value(json_object_get(e, "max"))) {
		json_object_set_new(e, "max", json_integer(n));
		json_object_set_new(e, "hash", json_string(hash ? hash : ""));
	}
	pthread_mutex_unlock(&m->history_lock);
}

/* Latest revision number, its data hash and how many there are. */
static void index_get(cz_manager *m, const char *uid, json_int_t *max,
		      char hash[65], json_int_t *count)
{
	json_t *e;

	pthread_mutex_lock(&m->history_lock);
	e = json_object_get(m->history, uid);
	*max = e ? json_integer_value(json_object_get(e, "max")) : 0;
	*count = e ? json_integer_value(json_object_get(e, "count")) : 0;
	snprintf(hash, 65, "%s",
		 e ? json_string_value(json_object_get(e, "hash")) : "");
	pthread_mutex_unlock(&m->history_lock);
}

/* ---- events ------------------------------------------------------------ */

/* The queue key of a revision's owner, from its labels and annotations;
 * malloc'ed, NULL when it is not one of ours. */
static char *owner_key(const json_t *rev)
{
	const json_t *meta = json_object_get(rev, "metadata");
	const char *kind = json_string_value(json_object_get(
		json_object_get(meta, "labels"), CZ_HISTORY_KIND));
	const char *name = json_string_value(json_object_get(
		json_object_get(meta, "annotations"), CZ_HISTORY_OWNER));

	if (!kind || !name)
		return NULL;
	if (strcmp(kind, "Package") == 0)
		return cz_xasprintf("%s%s", KEY_PACKAGE, name);
	return cz_xasprintf("%s/%s/%s", cz_history_prefix(kind),
			    cz_meta_str(rev, "namespace"), name);
}

static void on_revision(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;
	const json_t *rev = new_obj ? new_obj : old;
	const char *uid = json_string_value(json_object_get(
		json_object_get(json_object_get(rev, "metadata"), "labels"),
		CZ_HISTORY_OWNER_UID));
	json_int_t max = 0, count = 0;
	char hash[65];
	char *key;

	/* Revisions are immutable: an update changes nothing we index. */
	if (old && new_obj)
		return;
	index_revision(m, rev, !new_obj, true);
	if (!new_obj || !uid)
		return;
	/* One more than the limit: its owner is pruned. */
	index_get(m, uid, &max, hash, &count);
	if (count > (json_int_t)m->opts.history_limit &&
	    (key = owner_key(rev)) != NULL) {
		cz_queue_add(m->ctl[CZ_C_HISTORY].queue, key);
		free(key);
	}
}

static void enqueue(cz_manager *m, const char *prefix, const json_t *obj)
{
	const char *ns = cz_meta_str(obj, "namespace");
	char *key = ns ? cz_xasprintf("%s%s/%s", prefix, ns,
				      cz_meta_str(obj, "name"))
		       : cz_xasprintf("%s%s", prefix, cz_meta_str(obj, "name"));

	cz_queue_add(m->ctl[CZ_C_HISTORY].queue, key);
	free(key);
}

static void on_package(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	if (new_obj && (!old || !json_equal(json_object_get(old, "spec"),
					    json_object_get(new_obj, "spec"))))
		enqueue(m, KEY_PACKAGE, new_obj);
}

static const json_t *artifact_of(const json_t *src)
{
	return json_object_get(json_object_get(src, "status"), "artifact");
}

static void on_oci(void *ctx, json_t *old, json_t *new_obj)
{
	if (new_obj && artifact_of(new_obj) &&
	    (!old || !json_equal(artifact_of(old), artifact_of(new_obj))))
		enqueue(ctx, KEY_OCI, new_obj);
}

static void on_git(void *ctx, json_t *old, json_t *new_obj)
{
	if (new_obj && artifact_of(new_obj) &&
	    (!old || !json_equal(artifact_of(old), artifact_of(new_obj))))
		enqueue(ctx, KEY_GIT, new_obj);
}

void cz_history_controller_setup(cz_manager *m)
{
	m->history = json_object();
	pthread_mutex_init(&m->history_lock, NULL);
	cz_informer_on_change(m->inf[CZ_W_REVISIONS], on_revision, m);
	cz_informer_on_change(m->inf[CZ_W_PACKAGES], on_package, m);
	cz_informer_on_change(m->inf[CZ_W_OCIREPOS], on_oci, m);
	cz_informer_on_change(m->inf[CZ_W_GITREPOS], on_git, m);
}

void cz_history_controller_free(cz_manager *m)
{
	if (!m->history)
		return;
	json_decref(m->history);
	m->history = NULL;
	pthread_mutex_destroy(&m->history_lock);
}

/* ---- one owner --------------------------------------------------------- */

/* SHA-256 hex of data's canonical JSON. */
static void data_hash(const json_t *data, char out[65])
{
	char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	free(text);
}

/* Whether fields (a managedFields fieldsV1 node) owns a leaf that
 * differs between before and after. */
static bool owns_change(const json_t *fields, const json_t *before,
			const json_t *after)
{
	const json_t *sides[2] = { before, after };

	for (int s = 0; s < 2; s++) {
		const char *key;
		json_t *v;

		json_object_foreach ((json_t *)sides[s], key, v) {
			const json_t *a = json_object_get(before, key);
			const json_t *b = json_object_get(after, key);
			char *fk;
			const json_t *sub;

			if (json_equal(a, b))
				continue;
			fk = cz_xasprintf("f:%s", key);
			sub = json_object_get(fields, fk);
			free(fk);
			if (!sub)
				continue;
			if (!json_is_object(a) || !json_is_object(b) ||
			    json_object_size(sub) == 0 ||
			    owns_change(sub, a, b))
				return true;
		}
	}
	return false;
}

/*
 * Who made the change, as Kubernetes can tell (it keeps no user in an
 * object): the field manager that now owns a field of data that differs
 * from the previous revision's (prev, NULL for the first), else the
 * manager of the latest write.
 */
static const char *changed_by(const json_t *obj, const json_t *data,
			      const json_t *prev)
{
	const json_t *mf = json_object_get(json_object_get(obj, "metadata"),
					   "managedFields");
	const char *latest = NULL, *when = "";
	size_t i;
	const json_t *e;

	json_array_foreach (mf, i, e) {
		const char *t = json_string_value(json_object_get(e, "time"));
		const char *who = json_string_value(json_object_get(e,
								    "manager"));
		const json_t *fields = json_object_get(e, "fieldsV1");

		if (!who || json_object_get(e, "subresource"))
			continue;
		if (prev && owns_change(fields, prev, data))
			return who;
		if (t && strcmp(t, when) >= 0) {
			when = t;
			latest = who;
		}
	}
	return latest ? latest : "unknown";
}

/* The data of uid's latest revision in ns, or NULL (a new reference). */
static json_t *previous_data(cz_manager *m, const char *ns, const char *uid)
{
	json_t *all = cz_informer_list(m->inf[CZ_W_REVISIONS], ns,
				       CZ_HISTORY_OWNER_UID, uid);
	json_t *best = NULL;
	size_t i;
	json_t *r;

	json_array_foreach (all, i, r)
		if (!best || json_integer_value(json_object_get(r, "revision")) >
				     json_integer_value(
					     json_object_get(best, "revision")))
			best = r;
	best = best ? json_incref(json_object_get(best, "data")) : NULL;
	json_decref(all);
	return best;
}

typedef struct owner {
	const char *kind;        /* "Package", "OCIRepository", ... */
	const char *api_version;
	const char *namespace;   /* where its revisions live */
	json_t *obj;             /* read from the server (fresh) */
	json_t *data;            /* what the revision keeps */
} owner;

static json_t *revision_object(cz_manager *m, const owner *o, json_int_t n,
			       const char *hash)
{
	json_t *prev = previous_data(m, o->namespace,
				     cz_meta_str(o->obj, "uid"));
	/* The data maps mirror the object ({"spec": ...}), so a Package's
	 * fieldsV1 reads against them directly. */
	const char *who = changed_by(o->obj, o->data, prev);
	const char *name = cz_meta_str(o->obj, "name");
	const char *uid = cz_meta_str(o->obj, "uid");
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	char *rname = cz_xasprintf("%s.%s.%lld", cz_history_prefix(o->kind),
				   name, (long long)n);
	json_t *rev;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rev = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, "
		"s:s}, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]}, s:O, s:I}",
		"apiVersion", "apps/v1", "kind", "ControllerRevision",
		"metadata", "name", rname, "namespace", o->namespace, "labels",
		CZ_HISTORY_OWNER_UID, uid, CZ_HISTORY_KIND, o->kind,
		"annotations", CZ_HISTORY_HASH, hash, CZ_HISTORY_OWNER,
		name, CZ_HISTORY_CHANGED_BY, who,
		CZ_HISTORY_CHANGED_AT, now, "ownerReferences", "apiVersion",
		o->api_version, "kind", o->kind, "name", name, "uid", uid,
		"controller", 1, "blockOwnerDeletion", 0, "data", o->data,
		"revision", n);
	json_decref(prev);
	free(rname);
	return rev;
}

/* Deletes the oldest revisions of uid beyond the limit. */
static int prune(cz_manager *m, cz_kube *kube, const owner *o, cz_error *err)
{
	const char *uid = cz_meta_str(o->obj, "uid");
	json_t *all = cz_informer_list(m->inf[CZ_W_REVISIONS], o->namespace,
				       CZ_HISTORY_OWNER_UID, uid);
	size_t n = json_array_size(all), excess;
	json_int_t *nums = cz_xcalloc(n + 1, sizeof(*nums));
	const cz_resource *res = cz_res_revisions();
	int rc = CZ_OK;

	excess = n > m->opts.history_limit ? n - m->opts.history_limit : 0;
	for (size_t i = 0; i < n; i++)
		nums[i] = json_integer_value(
			json_object_get(json_array_get(all, i), "revision"));
	/* The `excess` smallest revision numbers go. */
	for (size_t k = 0; k < excess && rc == CZ_OK; k++) {
		size_t low = 0;
		char *path;

		for (size_t i = 1; i < n; i++)
			if (nums[i] < nums[low])
				low = i;
		path = cz_kube_path(res, o->namespace,
				    cz_meta_str(json_array_get(all, low),
						"name"),
				    NULL, NULL);
		rc = cz_kube_delete(kube, path, NULL, NULL, err);
		rc = rc == CZ_ENOTFOUND ? CZ_OK : rc;
		nums[low] = INT64_MAX;
		free(path);
	}
	free(nums);
	json_decref(all);
	return rc;
}

static int record(cz_manager *m, cz_kube *kube, const owner *o,
		  cz_error *err)
{
	const char *uid = cz_meta_str(o->obj, "uid");
	json_int_t max = 0, count = 0;
	char hash[65], last[65];
	json_t *rev = NULL;
	char *path = NULL;
	int rc;

	if (!uid)
		return CZ_OK;
	data_hash(o->data, hash);
	index_get(m, uid, &max, last, &count);
	if (strcmp(hash, last) == 0)
		return count > (json_int_t)m->opts.history_limit
			       ? prune(m, kube, o, err)
			       : CZ_OK;
	if ((rc = cz_kube_ensure_namespace(kube, o->namespace, err)) < 0)
		return rc;
	rev = revision_object(m, o, max + 1, hash);
	path = cz_kube_path(cz_res_revisions(), o->namespace, NULL, NULL, NULL);
	rc = cz_kube_create(kube, path, rev, NULL, err);
	if (rc == CZ_OK) {
		/* Indexed now, so that a second change queued before the
		 * watch event arrives gets the next number. */
		index_revision(m, rev, false, false);
		if (count + 1 > (json_int_t)m->opts.history_limit)
			rc = prune(m, kube, o, err);
	}
	json_decref(rev);
	free(path);
	return rc;
}

/* A Package's revision: its spec ({} for a Package without one). */
static json_t *package_data(const json_t *pkg)
{
	const json_t *spec = json_object_get(pkg, "spec");

	return json_pack("{s:o}", "spec",
			 spec ? json_deep_copy(spec) : json_object());
}

/* The Flux source's revision: where it came from and what was stored. */
static json_t *source_data(const json_t *src)
{
	const json_t *art = artifact_of(src);
	const json_t *spec = json_object_get(src, "spec");

	return json_pack("{s:O?, s:O?, s:O?, s:O?}", "url",
			 json_object_get(spec, "url"), "ref",
			 json_object_get(spec, "ref"), "revision",
			 json_object_get(art, "revision"), "digest",
			 json_object_get(art, "digest"));
}

int cz_history_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err)
{
	owner o = { 0 };
	const cz_resource *res;
	char *path = NULL, *ns = NULL;
	const char *rest, *slash;
	int rc;

	if (strncmp(key, KEY_PACKAGE, strlen(KEY_PACKAGE)) == 0) {
		o.kind = "Package";
		o.api_version = "cozystack.io/v1alpha1";
		o.namespace = m->opts.history_namespace;
		res = cz_res_packages();
		path = cz_kube_path(res, NULL, key + strlen(KEY_PACKAGE), NULL,
				    NULL);
	} else {
		bool oci = strncmp(key, KEY_OCI, strlen(KEY_OCI)) == 0;

		rest = key + strlen(oci ? KEY_OCI : KEY_GIT);
		if (!(slash = strchr(rest, '/')))
			return CZ_OK;
		ns = cz_xstrndup(rest, (size_t)(slash - rest));
		o.kind = oci ? "OCIRepository" : "GitRepository";
		o.api_version = "source.toolkit.fluxcd.io/v1";
		o.namespace = ns;
		res = cz_resource_find("source.toolkit.fluxcd.io", "v1",
				       oci ? "ocirepositories"
					   : "gitrepositories");
		path = cz_kube_path(res, ns, slash + 1, NULL, NULL);
	}
	rc = cz_kube_get(kube, path, &o.obj, err);
	if (rc == CZ_ENOTFOUND) {
		rc = CZ_OK; /* gone: its revisions go with it (ownerReferences) */
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	o.data = strcmp(o.kind, "Package") == 0 ? package_data(o.obj)
						 : source_data(o.obj);
	if (strcmp(o.kind, "Package") == 0 || artifact_of(o.obj))
		rc = record(m, kube, &o, err);
cleanup:
	json_decref(o.obj);
	json_decref(o.data);
	free(path);
	free(ns);
	return rc;
}
