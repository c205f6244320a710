/*
 * The artifact generator: what Flux's ArtifactGenerator does for a
 * PackageSource (cozystack-operator §2.2), in-process.  For a PackageSource
 * whose OCIRepository or GitRepository is Ready with an artifact in the
 * store, the source tarball is extracted once per digest, every variant x
 * component is assembled (artifact/assemble.h) into the store, and one
 * ExternalArtifact per artifact is applied in cozy-system with its
 * status.artifact pointing at the blob as cozypkgd serves it.
 * ExternalArtifacts of components that went are deleted, the store keeps
 * the newest 3 revisions of every name, and with --publish-registry each
 * artifact is also pushed as a Helm chart.
 *
 * The outcome of a build (Ready True/Succeeded or False/BuildFailed) is
 * kept per PackageSource, with the source digest and the PackageSource
 * generation it was made from; the PackageSource controller copies it.
 *
 * Runs only when the manager has an artifact directory (cozypkgd
 * in-process); one worker, so the store and the scratch trees have one
 * user.
 */

#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact/assemble.h"
#include "artifact/extract.h"
#include "artifact/store.h"
#include "controller/artgen.h"
#include "controller/internal.h"
#include "oci/client.h"
#include "oci/ref.h"
#include "util/fileio.h"
#include "util/mem.h"

#define KEEP_REVISIONS 3
/* Blobs younger than this survive a collection: a put not yet recorded
 * (here or by the source controller) is never lost. */
#define GC_MIN_AGE_SECONDS 300
#define ASSEMBLY_THREADS 4
#define DOCKER_CONFIG_MAX (1024 * 1024)
#define WORK_DIR "artifacts-work"

struct cz_artgen {
	pthread_mutex_t lock; /* guards built */
	/* PackageSource name -> {digest, generation, condition, complete} */
	json_t *built;
	/* Used by the one worker only. */
	cz_artifact_store *store;
	json_t *pushed; /* "repo@digest" -> true, for this process */
	char *publish_host;
	char *publish_path;
};

static const cz_resource *res_artifacts(void)
{
	return cz_resource_find("source.toolkit.fluxcd.io", "v1",
				"externalartifacts");
}

/* ---- state shared with the PackageSource controller ------------------ */

static void set_built(cz_manager *m, const char *name, const char *digest,
		      int64_t generation, json_t *cond, bool complete)
{
	struct cz_artgen *g = m->artgen;

	pthread_mutex_lock(&g->lock);
	if (!cond) {
		json_object_del(g->built, name);
	} else {
		json_object_set_new(g->built, name,
				    json_pack("{s:s, s:I, s:O, s:b}", "digest",
					      digest, "generation",
					      (json_int_t)generation,
					      "condition", cond, "complete",
					      complete));
	}
	pthread_mutex_unlock(&g->lock);
}

/* True when name was fully built from digest at generation. */
static bool built_current(cz_manager *m, const char *name, const char *digest,
			  int64_t generation)
{
	struct cz_artgen *g = m->artgen;
	json_t *b;
	bool current;

	pthread_mutex_lock(&g->lock);
	b = json_object_get(g->built, name);
	current = b && json_is_true(json_object_get(b, "complete")) &&
		  json_integer_value(json_object_get(b, "generation")) ==
			  generation &&
		  strcmp(json_string_value(json_object_get(b, "digest")),
			 digest) == 0;
	pthread_mutex_unlock(&g->lock);
	return current;
}

bool cz_artifacts_enabled(const cz_manager *m)
{
	return m->artgen != NULL;
}

json_t *cz_artifacts_condition(cz_manager *m, const char *name,
			       int64_t generation, const char *digest)
{
	struct cz_artgen *g = m->artgen;
	json_t *cond = NULL;
	json_t *b;

	if (!g)
		return NULL;
	pthread_mutex_lock(&g->lock);
	b = json_object_get(g->built, name);
	if (b && digest &&
	    json_integer_value(json_object_get(b, "generation")) ==
		    generation &&
	    strcmp(json_string_value(json_object_get(b, "digest")), digest) ==
		    0)
		cond = json_deep_copy(json_object_get(b, "condition"));
	pthread_mutex_unlock(&g->lock);
	return cond;
}

/* ---- setup ------------------------------------------------------------ */

static void on_source(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	cz_enqueue_object(&m->ctl[CZ_C_ARTIFACTS], new_obj ? new_obj : old);
}

static void on_oci(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	cz_enqueue_sources_of(m, &m->ctl[CZ_C_ARTIFACTS], "OCIRepository",
			      new_obj ? new_obj : old);
}

static void on_git(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	cz_enqueue_sources_of(m, &m->ctl[CZ_C_ARTIFACTS], "GitRepository",
			      new_obj ? new_obj : old);
}

void cz_artifacts_controller_setup(cz_manager *m)
{
	struct cz_artgen *g;
	cz_error err = CZ_ERROR_INIT;

	if (!m->opts.artifact_dir)
		return;
	g = cz_xcalloc(1, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->built = json_object();
	g->pushed = json_object();
	if (m->opts.publish_registry &&
	    cz_publish_target_parse(m->opts.publish_registry, &g->publish_host,
				    &g->publish_path, &err) != CZ_OK)
		/* cozypkgd checks the flag first; this only logs. */
		cz_ctl_log(m, "error", "artifacts", "", "--publish-registry %s",
			   err.msg);
	m->artgen = g;
	cz_informer_on_change(m->inf[CZ_W_SOURCES], on_source, m);
	cz_informer_on_change(m->inf[CZ_W_OCIREPOS], on_oci, m);
	cz_informer_on_change(m->inf[CZ_W_GITREPOS], on_git, m);
}

void cz_artifacts_free(cz_manager *m)
{
	struct cz_artgen *g = m->artgen;

	if (!g)
		return;
	cz_artifact_store_close(g->store);
	json_decref(g->built);
	json_decref(g->pushed);
	free(g->publish_host);
	free(g->publish_path);
	pthread_mutex_destroy(&g->lock);
	free(g);
	m->artgen = NULL;
}

/* ---- scratch trees: one extraction per source digest ------------------ */

static int ensure_dir(const char *dir, cz_error *err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cz_fail(err, CZ_EIO, "%s: %s", dir, strerror(errno));
	return CZ_OK;
}

/*
 * The extracted tree of the source blob of digest (at blob_path), made
 * once: it is unpacked beside its final name and renamed into place, so a
 * directory named by the digest is always complete.  *tree_out is
 * malloc'ed.
 */
static int source_tree(cz_manager *m, const char *digest, const char *blob_path,
		       char **tree_out, cz_error *err)
{
	char *work = cz_xasprintf("%s/" WORK_DIR, m->opts.artifact_dir);
	char *tree = cz_xasprintf("%s/%s", work, digest + strlen("sha256:"));
	/* Unique, as two controllers may unpack the same digest at once. */
	char *tmp = cz_xasprintf("%s.tmp.XXXXXX", tree);
	struct stat st;
	int rc;

	*tree_out = NULL;
	if (stat(tree, &st) == 0 && S_ISDIR(st.st_mode)) {
		*tree_out = tree;
		tree = NULL;
		rc = CZ_OK;
		goto cleanup;
	}
	if ((rc = ensure_dir(work, err)) != CZ_OK)
		goto cleanup;
	if (!mkdtemp(tmp)) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	rc = cz_extract_file(blob_path, tmp, NULL, NULL, err);
	if (rc != CZ_OK) {
		cz_error_prefix(err, "source artifact %s", digest);
		cz_remove_tree(tmp);
		goto cleanup;
	}
	if (rename(tmp, tree) != 0 && stat(tree, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		cz_remove_tree(tmp); /* the other one won */
	} else if (stat(tree, &st) != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", tree, strerror(errno));
		cz_remove_tree(tmp);
		goto cleanup;
	}
	*tree_out = tree;
	tree = NULL;
cleanup:
	free(work);
	free(tree);
	free(tmp);
	return rc;
}

/* Whether hex is the artifact digest of some Flux source in the caches. */
static bool digest_in_use(cz_manager *m, const char *hex)
{
	static const enum cz_watched kinds[] = { CZ_W_OCIREPOS, CZ_W_GITREPOS };
	bool used = false;

	for (size_t k = 0; k < 2 && !used; k++) {
		json_t *all = cz_informer_list(m->inf[kinds[k]], NULL, NULL,
					       NULL);
		size_t i;
		json_t *o;

		json_array_foreach (all, i, o) {
			const char *d = json_string_value(json_object_get(
				json_object_get(json_object_get(o, "status"),
						"artifact"),
				"digest"));

			if (d && strncmp(d, "sha256:", 7) == 0 &&
			    strcmp(d + 7, hex) == 0)
				used = true;
		}
		json_decref(all);
	}
	return used;
}

/* Removes the scratch trees of digests no Flux source has any more. */
static void prune_trees(cz_manager *m)
{
	char *work = cz_xasprintf("%s/" WORK_DIR, m->opts.artifact_dir);
	DIR *d = opendir(work);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *path;

		if (e->d_name[0] == '.' || strchr(e->d_name, '.') ||
		    digest_in_use(m, e->d_name))
			continue;
		path = cz_xasprintf("%s/%s", work, e->d_name);
		cz_remove_tree(path);
		free(path);
	}
	if (d)
		closedir(d);
	free(work);
}

/* ---- publishing ------------------------------------------------------- */

/* Pushes item as a Helm chart unless this process did already; a message
 * (malloc'ed) on failure, NULL on success. */
static char *publish(cz_manager *m, cz_oci **client, const cz_assembled *item,
		     const char *blob_path)
{
	struct cz_artgen *g = m->artgen;
	char *repo = cz_publish_repo(g->publish_path, item->name);
	char *key = cz_xasprintf("%s@%s", repo, item->result.digest);
	char *config = NULL;
	char *msg = NULL;
	cz_error err = CZ_ERROR_INIT;
	cz_oci_chart chart;
	int rc = CZ_OK;

	if (json_object_get(g->pushed, key))
		goto cleanup;
	if (!*client) {
		cz_oci_opts o;

		memset(&o, 0, sizeof(o));
		o.insecure = m->opts.publish_insecure;
		if (m->opts.publish_docker_config &&
		    (rc = cz_file_read(m->opts.publish_docker_config,
				       DOCKER_CONFIG_MAX, &config, NULL,
				       &err)) != CZ_OK)
			goto cleanup;
		o.docker_config = config;
		if ((rc = cz_oci_open(g->publish_host, &o, client, &err)) !=
		    CZ_OK)
			goto cleanup;
	}
	memset(&chart, 0, sizeof(chart));
	chart.tgz_path = blob_path;
	chart.name = item->chart.name;
	chart.version = item->chart.version;
	rc = cz_oci_push_chart(*client, repo, &chart, NULL, &err);
	if (rc == CZ_OK)
		json_object_set_new(g->pushed, key, json_true());
cleanup:
	if (rc != CZ_OK)
		msg = cz_xasprintf("publishing to oci://%s/%s: %s",
				   g->publish_host, repo, err.msg);
	free(config);
	free(key);
	free(repo);
	return msg;
}

/* ---- ExternalArtifacts ------------------------------------------------ */

/* Applies the ExternalArtifact of item and brings its status up to date. */
static int write_artifact(cz_manager *m, cz_kube *kube, const json_t *src_obj,
			  const cz_assembled *item, const char *publish_error,
			  cz_error *err)
{
	json_t *ea = cz_external_artifact_new(src_obj, item);
	json_t *cur = NULL;
	json_t *status = NULL;
	int rc;

	rc = cz_apply_object(kube, res_artifacts(), ea,
			     CZ_ARTGEN_FIELD_MANAGER, &cur, err);
	if (rc != CZ_OK)
		goto cleanup;
	status = cz_external_artifact_status(json_object_get(cur, "status"),
					     m->opts.artifact_base_url, item,
					     publish_error);
	if (!cz_external_artifact_status_same(json_object_get(cur, "status"),
					      status))
		rc = cz_write_status(kube, res_artifacts(), cur, status, NULL,
				     err);
cleanup:
	if (rc != CZ_OK)
		cz_error_prefix(err, "ExternalArtifact %s/%s",
				CZ_ARTGEN_NAMESPACE, item->name);
	json_decref(status);
	json_decref(cur);
	json_decref(ea);
	return rc;
}

/* Deletes the ExternalArtifacts of source name that a is not building. */
static int delete_stale(cz_kube *kube, const char *name, const cz_assembly *a,
			cz_error *err)
{
	char *sel = cz_xasprintf(CZ_LABEL_PACKAGESOURCE "=%s", name);
	json_t *list = NULL;
	size_t i;
	json_t *o;
	int rc = cz_kube_list(kube, res_artifacts(), CZ_ARTGEN_NAMESPACE, sel,
			      &list, err);

	if (rc == CZ_ENOTFOUND)
		rc = CZ_OK; /* no cozy-system yet: nothing to delete */
	json_array_foreach (json_object_get(list, "items"), i, o) {
		const char *have = cz_meta_str(o, "name");
		bool wanted = false;
		char *opath;

		for (size_t k = 0; k < a->nitems && !wanted; k++)
			wanted = have && strcmp(a->items[k].name, have) == 0;
		if (wanted || !have || rc != CZ_OK)
			continue;
		opath = cz_kube_path(res_artifacts(), CZ_ARTGEN_NAMESPACE,
				     have, NULL, NULL);
		rc = cz_kube_delete(kube, opath, NULL, NULL, err);
		if (rc == CZ_ENOTFOUND)
			rc = CZ_OK;
		free(opath);
	}
	json_decref(list);
	free(sel);
	return rc;
}

/* ---- reconcile -------------------------------------------------------- */

/* The Flux source ref names (new reference) when it is Ready=True with an
 * artifact, else NULL. */
static json_t *ready_flux_source(cz_manager *m, const json_t *ref)
{
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *ns = json_string_value(json_object_get(ref, "namespace"));
	cz_informer *inf = NULL;
	json_t *obj;
	json_t *ready;

	if (kind && strcmp(kind, "OCIRepository") == 0)
		inf = m->inf[CZ_W_OCIREPOS];
	else if (kind && strcmp(kind, "GitRepository") == 0)
		inf = m->inf[CZ_W_GITREPOS];
	if (!inf || !name)
		return NULL;
	obj = cz_informer_get(inf, ns ? ns : "", name);
	ready = cz_condition(obj, "Ready");
	if (!obj ||
	    !json_is_string(json_object_get(
		    json_object_get(json_object_get(obj, "status"), "artifact"),
		    "digest")) ||
	    !ready ||
	    strcmp(json_string_value(json_object_get(ready, "status"))
			   ? json_string_value(json_object_get(ready, "status"))
			   : "",
		   "True") != 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* Opened on first use, by whichever controller comes first. */
static int open_store(cz_manager *m, cz_error *err)
{
	struct cz_artgen *g = m->artgen;
	int rc = CZ_OK;

	pthread_mutex_lock(&g->lock);
	if (!g->store)
		rc = cz_artifact_store_open(m->opts.artifact_dir, &g->store,
					    err);
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int cz_artifacts_flux_tree(cz_manager *m, const json_t *flux,
			   char **tree_out, cz_error *err)
{
	struct cz_artgen *g = m->artgen;
	const char *digest = json_string_value(json_object_get(
		json_object_get(json_object_get(flux, "status"), "artifact"),
		"digest"));
	char *blob = NULL;
	int rc;

	*tree_out = NULL;
	if (!g)
		return cz_fail(err, CZ_EINVALID, "no artifact store");
	if (!digest)
		return cz_fail(err, CZ_ENOTFOUND, "no artifact yet");
	rc = open_store(m, err);
	if (rc == CZ_OK)
		rc = cz_artifact_store_lookup(g->store, digest, &blob, NULL,
					      err);
	if (rc == CZ_OK)
		rc = source_tree(m, digest, blob, tree_out, err);
	free(blob);
	return rc;
}

/* The store name that keeps a Flux source's blob referenced (so the
 * collection below never takes a source still in use). */
static char *source_record_name(const json_t *flux)
{
	const char *kind = json_string_value(json_object_get(flux, "kind"));

	return cz_xasprintf("source.%s.%s.%s",
			    kind && strcmp(kind, "GitRepository") == 0
				    ? "gitrepository"
				    : "ocirepository",
			    cz_meta_str(flux, "namespace"),
			    cz_meta_str(flux, "name"));
}

/* Builds, writes and publishes every artifact of src_obj from flux. */
static int generate(cz_manager *m, cz_kube *kube, const char *key,
		    json_t *src_obj, const json_t *flux, int64_t generation,
		    cz_error *err)
{
	struct cz_artgen *g = m->artgen;
	const json_t *fa =
		json_object_get(json_object_get(flux, "status"), "artifact");
	const char *digest = json_string_value(json_object_get(fa, "digest"));
	const char *revision =
		json_string_value(json_object_get(fa, "revision"));
	cz_assemble_opts opts = { 0, 0, ASSEMBLY_THREADS, 0 };
	cz_catalog cat;
	const cz_source *src;
	cz_assembly a;
	cz_oci *client = NULL;
	char *blob = NULL;
	char *tree = NULL;
	char *record = NULL;
	json_t *cond = NULL;
	uint64_t size = 0;
	bool complete = true;
	int rc;

	memset(&a, 0, sizeof(a));
	cz_catalog_init(&cat);
	if ((rc = open_store(m, err)) != CZ_OK)
		goto cleanup;
	record = source_record_name(flux);
	if ((rc = cz_artifact_store_lookup(g->store, digest, &blob, &size,
					   err)) != CZ_OK ||
	    (rc = cz_artifact_store_record(g->store, record, digest, size,
					   err)) != CZ_OK ||
	    (rc = source_tree(m, digest, blob, &tree, err)) != CZ_OK) {
		/* Shown on the PackageSource, and retried with backoff. */
		cz_error_prefix(err, "source artifact of %s %s/%s",
				json_string_value(json_object_get(flux, "kind")),
				cz_meta_str(flux, "namespace"),
				cz_meta_str(flux, "name"));
		cond = json_pack("{s:s, s:s, s:s}", "status", "False", "reason",
				 "ArtifactFailed", "message", err->msg);
		set_built(m, key, digest, generation, cond, false);
		goto cleanup;
	}
	cz_catalog_put_source(&cat, src_obj);
	src = cz_catalog_source(&cat, key);
	if (!src) {
		rc = cz_fail(err, CZ_EINVALID, "PackageSource %s: not decoded",
			     key);
		goto cleanup;
	}
	rc = cz_assemble_source(tree, src, g->store, &opts, &a, err);
	if (rc != CZ_OK)
		goto cleanup;
	for (size_t i = 0; i < a.nitems; i++) {
		const cz_assembled *item = &a.items[i];
		char *pub_err = NULL;
		char *item_blob = NULL;
		cz_error werr = CZ_ERROR_INIT;
		int wrc;

		if (item->error.code == CZ_OK && g->publish_host &&
		    cz_artifact_store_lookup(g->store, item->result.digest,
					     &item_blob, NULL, &werr) == CZ_OK)
			pub_err = publish(m, &client, item, item_blob);
		wrc = write_artifact(m, kube, src_obj, item, pub_err, &werr);
		if (wrc != CZ_OK && rc == CZ_OK) {
			rc = wrc;
			*err = werr;
		}
		if (pub_err) {
			complete = false;
			if (rc == CZ_OK)
				rc = cz_fail(err, CZ_EIO, "%s", pub_err);
		}
		free(pub_err);
		free(item_blob);
	}
	if (rc == CZ_OK)
		rc = delete_stale(kube, key, &a, err);
	cond = cz_artgen_condition(&a, revision);
	set_built(m, key, digest, generation, cond, rc == CZ_OK && complete);
	if (rc == CZ_OK) {
		cz_error gerr = CZ_ERROR_INIT;

		if (cz_artifact_store_gc(g->store, KEEP_REVISIONS,
					 GC_MIN_AGE_SECONDS, NULL,
					 &gerr) != CZ_OK)
			cz_ctl_log(m, "error", "artifacts", key, "gc: %s",
				   gerr.msg);
		prune_trees(m);
		cz_ctl_log(m, "info", "artifacts", key, "%s",
			   json_string_value(json_object_get(cond, "message")));
	}
cleanup:
	cz_oci_free(client);
	json_decref(cond);
	cz_assembly_release(&a);
	cz_catalog_release(&cat);
	free(record);
	free(tree);
	free(blob);
	return rc;
}

int cz_artifacts_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			   cz_error *err)
{
	json_t *src = NULL;
	json_t *flux = NULL;
	json_t *ref;
	json_t *gen;
	int64_t generation;
	const char *digest;
	int rc = CZ_OK;

	if (!m->artgen)
		return CZ_OK;
	src = cz_live_source(m, key);
	ref = json_object_get(json_object_get(src, "spec"), "sourceRef");
	flux = ref ? ready_flux_source(m, ref) : NULL;
	if (!flux) {
		/* Nothing to build from: the PackageSource controller
		 * reports the source's own state.  Artifacts already made
		 * stay until the PackageSource goes (owner references). */
		set_built(m, key, NULL, 0, NULL, false);
		goto done;
	}
	gen = json_object_get(json_object_get(src, "metadata"), "generation");
	generation = json_is_integer(gen) ? json_integer_value(gen) : 0;
	digest = json_string_value(json_object_get(
		json_object_get(json_object_get(flux, "status"), "artifact"),
		"digest"));
	if (built_current(m, key, digest, generation))
		goto cleanup;
	rc = generate(m, kube, key, src, flux, generation, err);
done:
	cz_queue_add(m->ctl[CZ_C_SOURCE].queue, key);
cleanup:
	json_decref(flux);
	json_decref(src);
	return rc;
}
