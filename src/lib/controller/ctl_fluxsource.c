/*
 * The Flux source controller: OCIRepository and GitRepository
 * (source.toolkit.fluxcd.io/v1) turned into reproducible .tar.gz
 * artifacts in the content-addressed store (artifact/store.h), with the
 * status source-controller writes.  Active only when the manager has an
 * artifact directory (cozypkgd in-process).
 *
 * One reconcile: resolve the revision (a manifest HEAD, or an ls-remote);
 * when it equals status.artifact.revision for the current generation and
 * the blob is still stored, stop there.  Otherwise fetch (OCI blobs are
 * verified by the client), build the tarball, store it, record it under
 * the source's name and collect garbage (3 revisions kept).  The key is
 * queued again after spec.interval.  See docs/sources.md.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact/extract.h"
#include "artifact/store.h"
#include "artifact/tarball.h"
#include "controller/fluxsource.h"
#include "controller/internal.h"
#include "git/source.h"
#include "market/cosign.h"
#include "oci/client.h"
#include "oci/digest.h"
#include "oci/parse.h"
#include "oci/ref.h"
#include "util/base64.h"
#include "util/duration.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/semver.h"

/* Caps (docs/sources.md). */
#define FS_MAX_DOWNLOAD ((uint64_t)512 << 20)  /* one OCI layer */
#define FS_MAX_EXPANDED ((uint64_t)1 << 30)    /* extracted bytes */
#define FS_MAX_ENTRIES 100000u                 /* extracted entries */
#define FS_MAX_SECRET (1u << 20)               /* decoded Secret value */
#define FS_KEEP_REVISIONS 3
#define FS_GC_MIN_AGE 60
#define FS_DEFAULT_INTERVAL_NS (10LL * 60 * 1000000000LL)

#define REQUESTED_AT "reconcile.fluxcd.io/requestedAt"

/* One collection at a time in this process. */
static pthread_mutex_t gc_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- pure helpers (fluxsource.h) ----------------------------------- */

static const char *str_field(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v && *v ? v : NULL;
}

int cz_fs_oci_ref_read(const json_t *ref, cz_fs_oci_ref *out, cz_error *err)
{
	cz_semver_constraint *c = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->digest = str_field(ref, "digest");
	out->semver = str_field(ref, "semver");
	out->semver_filter = str_field(ref, "semverFilter");
	out->tag = str_field(ref, "tag");
	if (out->digest) {
		out->kind = CZ_FS_OCI_DIGEST;
		if (!cz_oci_digest_is_sha256(out->digest))
			return cz_fail(err, CZ_EINVALID,
				       "invalid digest '%s': expected "
				       "sha256:<64 hex digits>", out->digest);
		return CZ_OK;
	}
	if (out->semver) {
		out->kind = CZ_FS_OCI_SEMVER;
		rc = cz_semver_constraint_parse(out->semver, &c, err);
		cz_semver_constraint_free(c);
		if (rc < 0)
			cz_error_prefix(err, "invalid semver constraint '%s'",
					out->semver);
		return rc;
	}
	out->kind = CZ_FS_OCI_TAG;
	if (!out->tag)
		out->tag = "latest";
	if (!cz_oci_tag_valid(out->tag))
		return cz_fail(err, CZ_EINVALID, "invalid tag '%s'", out->tag);
	return CZ_OK;
}

/* spec.url: oci://host/repository, without a tag or digest. */
static int oci_url_read(const char *url, cz_oci_ref *out, cz_error *err)
{
	int rc;

	if (!url || strncmp(url, "oci://", 6) != 0)
		return cz_fail(err, CZ_EINVALID, "URL must start with oci://");
	if ((rc = cz_oci_ref_parse(url, out, err)) < 0) {
		cz_error_prefix(err, "invalid URL");
		return rc;
	}
	if (out->tag || out->digest) {
		cz_oci_ref_release(out);
		return cz_fail(err, CZ_EINVALID, "URL must not name a tag or a "
			       "digest; use spec.ref");
	}
	return CZ_OK;
}

/* spec.verify: only cosign with public keys from a Secret is done here;
 * anything else is refused rather than passed unverified. */
static int oci_verify_read(const json_t *verify, const char **secret_name,
			   cz_error *err)
{
	const char *provider = str_field(verify, "provider");

	*secret_name = NULL;
	if (!verify || json_is_null(verify))
		return CZ_OK;
	if (!provider || strcmp(provider, "cosign") != 0)
		return cz_fail(err, CZ_EINVALID, "verification provider '%s' is "
			       "not supported; use cosign",
			       provider ? provider : "");
	*secret_name = str_field(json_object_get(verify, "secretRef"), "name");
	if (!*secret_name)
		return cz_fail(err, CZ_EINVALID, "keyless cosign verification "
			       "is not supported; set verify.secretRef to a "
			       "Secret holding .pub keys");
	return CZ_OK;
}

int cz_fs_oci_spec_read(const json_t *spec, cz_fs_oci_spec *out,
			const char **reason, cz_error *err)
{
	const json_t *sel = json_object_get(spec, "layerSelector");
	const char *op = str_field(sel, "operation");
	int rc;

	memset(out, 0, sizeof(*out));
	*reason = "URLInvalid";
	if ((rc = oci_url_read(str_field(spec, "url"), &out->url, err)) < 0)
		goto cleanup;
	*reason = "InvalidReference";
	if ((rc = cz_fs_oci_ref_read(json_object_get(spec, "ref"), &out->ref,
				     err)) < 0)
		goto cleanup;
	*reason = "InvalidLayerSelector";
	if (op && strcmp(op, "copy") != 0 && strcmp(op, "extract") != 0) {
		rc = cz_fail(err, CZ_EINVALID, "layerSelector.operation must "
			     "be extract or copy");
		goto cleanup;
	}
	*reason = "VerificationError";
	if ((rc = oci_verify_read(json_object_get(spec, "verify"),
				  &out->verify_secret_name, err)) < 0)
		goto cleanup;
	*reason = NULL;
	out->layer_media_type = str_field(sel, "mediaType");
	out->layer_copy = op && strcmp(op, "copy") == 0;
	out->insecure = json_is_true(json_object_get(spec, "insecure"));
	out->secret_name = str_field(json_object_get(spec, "secretRef"),
				     "name");
	out->cert_secret_name = str_field(json_object_get(spec,
							  "certSecretRef"),
					  "name");
cleanup:
	if (rc < 0)
		cz_fs_oci_spec_release(out);
	return rc;
}

void cz_fs_oci_spec_release(cz_fs_oci_spec *s)
{
	cz_oci_ref_release(&s->url);
	memset(s, 0, sizeof(*s));
}

/* The transports GitRepository.spec.url may name. */
static bool git_url_supported(const char *url)
{
	return url && (strncmp(url, "https://", 8) == 0 ||
		       strncmp(url, "http://", 7) == 0 ||
		       strncmp(url, "ssh://", 6) == 0 ||
		       strncmp(url, "file://", 7) == 0);
}

int cz_fs_git_spec_read(const json_t *spec, cz_fs_git_spec *out,
			const char **reason, cz_error *err)
{
	const json_t *ref = json_object_get(spec, "ref");
	cz_semver_constraint *constraint = NULL;
	int rc = CZ_OK;

	memset(out, 0, sizeof(*out));
	*reason = NULL;
	out->url = str_field(spec, "url");
	if (!git_url_supported(out->url)) {
		*reason = "URLInvalid";
		rc = cz_fail(err, CZ_EINVALID, "URL must start with https://, "
			     "http://, ssh:// or file://");
		goto cleanup;
	}
	out->ref.branch = str_field(ref, "branch");
	out->ref.tag = str_field(ref, "tag");
	out->ref.semver = str_field(ref, "semver");
	out->ref.name = str_field(ref, "name");
	out->ref.commit = str_field(ref, "commit");
	/* Parsed here only to be checked: the pick parses it again. */
	if (out->ref.semver && (rc = cz_semver_constraint_parse(
					out->ref.semver, &constraint, err)) < 0) {
		*reason = "InvalidReference";
		cz_error_prefix(err, "invalid semver constraint '%s'",
				out->ref.semver);
		goto cleanup;
	}
	out->secret_name = str_field(json_object_get(spec, "secretRef"),
				     "name");
cleanup:
	cz_semver_constraint_free(constraint);
	return rc;
}

char *cz_fs_oci_revision(const char *tag, const char *digest)
{
	if (!tag)
		return cz_xstrdup(digest);
	return cz_xasprintf("%s@%s", tag, digest);
}

char *cz_fs_artifact_name(const char *kind, const char *ns, const char *name)
{
	return cz_xasprintf("%s_%s_%s", kind, ns, name);
}

char *cz_fs_artifact_url(const char *base, const char *digest)
{
	const char *hex = strchr(digest, ':');
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return cz_xasprintf("%.*s/artifacts/sha256/%s.tar.gz", (int)n, base,
			    hex ? hex + 1 : digest);
}

static void add_condition(json_t *conds, const json_t *prev_status,
			  const char *type, const char *status,
			  const char *reason, const char *message,
			  int64_t generation)
{
	const json_t *prev = NULL;
	size_t i;
	json_t *c;

	json_array_foreach (json_object_get(prev_status, "conditions"), i, c)
		if (json_is_string(json_object_get(c, "type")) &&
		    strcmp(json_string_value(json_object_get(c, "type")),
			   type) == 0)
			prev = c;
	json_array_append_new(conds, cz_condition_new(prev, type, status,
						      reason, message,
						      generation));
}

static const json_t *prev_condition(const json_t *prev_status,
				    const char *type)
{
	size_t i;
	json_t *c;

	json_array_foreach (json_object_get(prev_status, "conditions"), i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));

		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

/* SourceVerified, as Flux sets it, when spec.verify was asked for. */
static void add_verified_condition(json_t *conds, const json_t *prev,
				   const cz_fs_outcome *o, int64_t generation)
{
	char *msg;

	if (o->verify == CZ_FS_VERIFY_FAILED) {
		add_condition(conds, prev, "SourceVerified", "False",
			      "VerificationError", o->message, generation);
	} else if (o->verify == CZ_FS_VERIFY_OK) {
		msg = cz_xasprintf("verified signature of revision %s",
				   o->revision ? o->revision : "");
		add_condition(conds, prev, "SourceVerified", "True",
			      "Succeeded", msg, generation);
		free(msg);
	}
}

/* The artifact object; the previous one (with its time) when equal. */
static json_t *artifact_json(const json_t *prev, const cz_fs_outcome *o)
{
	char now[32];

	if (prev && str_field(prev, "digest") && str_field(prev, "revision") &&
	    str_field(prev, "url") &&
	    strcmp(str_field(prev, "digest"), o->digest) == 0 &&
	    strcmp(str_field(prev, "revision"), o->revision) == 0 &&
	    strcmp(str_field(prev, "url"), o->url) == 0)
		return json_deep_copy(prev);
	cz_now_rfc3339(now);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "path", o->path,
			 "url", o->url, "revision", o->revision, "digest",
			 o->digest, "size", (json_int_t)o->size,
			 "lastUpdateTime", now);
}

json_t *cz_fs_status_build(const json_t *prev, const cz_fs_outcome *o,
			   int64_t generation, const char *requested_at)
{
	json_t *st = json_object();
	json_t *conds = json_array();
	json_t *prev_art = json_object_get(prev, "artifact");
	json_t *art = NULL;
	char *msg = NULL;

	if (o->result == CZ_FS_READY)
		art = artifact_json(prev_art, o);
	else if (prev_art)
		art = json_deep_copy(prev_art);
	switch (o->result) {
	case CZ_FS_READY:
		msg = cz_xasprintf("stored artifact for revision '%s'",
				   o->revision);
		add_condition(conds, prev, "Ready", "True", "Succeeded", msg,
			      generation);
		add_condition(conds, prev, "ArtifactInStorage", "True",
			      "Succeeded", msg, generation);
		break;
	case CZ_FS_PROGRESSING:
		msg = cz_xasprintf("building artifact: new revision '%s'",
				   o->revision);
		add_condition(conds, prev, "Reconciling", "True", "Progressing",
			      msg, generation);
		add_condition(conds, prev, "Ready", "Unknown", "Progressing",
			      msg, generation);
		break;
	case CZ_FS_FAILED:
	case CZ_FS_STALLED:
		/* Content that failed verification was fetched fine. */
		if (o->result == CZ_FS_STALLED ||
		    o->verify != CZ_FS_VERIFY_FAILED)
			add_condition(conds, prev,
				      o->result == CZ_FS_STALLED
					      ? "Stalled"
					      : "FetchFailed",
				      "True", o->reason, o->message,
				      generation);
		add_condition(conds, prev, "Ready", "False", o->reason,
			      o->message, generation);
		break;
	}
	add_verified_condition(conds, prev, o, generation);
	/* The artifact stays in storage whatever happens to the source. */
	if (o->result != CZ_FS_READY && art) {
		const json_t *c = prev_condition(prev, "ArtifactInStorage");

		if (c)
			json_array_append_new(conds, json_deep_copy(c));
	}
	json_object_set_new(st, "conditions", conds);
	if (art) {
		json_object_set_new(st, "artifact", art);
		json_object_set(st, "url", json_object_get(art, "url"));
	}
	if (o->result == CZ_FS_PROGRESSING &&
	    json_is_integer(json_object_get(prev, "observedGeneration")))
		json_object_set(st, "observedGeneration",
				json_object_get(prev, "observedGeneration"));
	else if (o->result != CZ_FS_PROGRESSING)
		json_object_set_new(st, "observedGeneration",
				    json_integer(generation));
	if (requested_at)
		json_object_set_new(st, "lastHandledReconcileAt",
				    json_string(requested_at));
	free(msg);
	return st;
}

/* ---- informer handlers ---------------------------------------------- */

static void enqueue(cz_manager *m, const char *kind, const json_t *obj)
{
	const char *ns = cz_meta_str(obj, "namespace");
	const char *name = cz_meta_str(obj, "name");
	char *key;

	if (!ns || !name)
		return;
	key = cz_xasprintf("%s/%s/%s", kind, ns, name);
	cz_queue_add(m->ctl[CZ_C_FLUXSOURCE].queue, key);
	free(key);
}

static const json_t *meta_member(const json_t *obj, const char *key)
{
	return json_object_get(json_object_get(obj, "metadata"), key);
}

/* json_equal() with two absent values equal. */
static bool same(const json_t *a, const json_t *b)
{
	return (!a && !b) || (a && b && json_equal(a, b));
}

/* Whether an update asks for a reconcile: a new generation (spec,
 * suspend), a new requestedAt, or deletion.  The controller's own status
 * writes do not; polling comes from the delayed requeue, so reacting to
 * them would only ask the remote again after every reconcile. */
static bool wants_reconcile(const json_t *old, const json_t *new_obj)
{
	if (!old || !new_obj)
		return true;
	return !same(meta_member(old, "generation"),
		     meta_member(new_obj, "generation")) ||
	       !same(meta_member(old, "deletionTimestamp"),
		     meta_member(new_obj, "deletionTimestamp")) ||
	       !same(json_object_get(meta_member(old, "annotations"),
				     REQUESTED_AT),
		     json_object_get(meta_member(new_obj, "annotations"),
				     REQUESTED_AT));
}

static void on_oci(void *ctx, json_t *old, json_t *new_obj)
{
	if (wants_reconcile(old, new_obj))
		enqueue(ctx, "OCIRepository", new_obj ? new_obj : old);
}

static void on_git(void *ctx, json_t *old, json_t *new_obj)
{
	if (wants_reconcile(old, new_obj))
		enqueue(ctx, "GitRepository", new_obj ? new_obj : old);
}

void cz_fluxsource_controller_setup(cz_manager *m)
{
	if (!m->opts.artifact_dir)
		return;
	cz_informer_on_change(m->inf[CZ_W_OCIREPOS], on_oci, m);
	cz_informer_on_change(m->inf[CZ_W_GITREPOS], on_git, m);
	m->git_ready = cz_git_init(NULL) == CZ_OK;
}

void cz_fluxsource_controller_free(cz_manager *m)
{
	if (m->git_ready)
		cz_git_shutdown();
	m->git_ready = false;
}

/* ---- one reconcile -------------------------------------------------- */

typedef struct fs_job {
	cz_manager *m;
	cz_kube *kube;
	const char *kind; /* "OCIRepository" or "GitRepository" */
	const char *ns;
	const char *name;
	json_t *obj;      /* the object as last read or written; owned */
	json_t *first;    /* the object as read, which spec points into */
	const json_t *spec;
	int64_t generation;
	const char *requested_at;
	cz_artifact_store *store; /* owned */
	char *tmp_dir;    /* a private directory under the store's tmp/ */
	/* The outcome, with the strings it points at (owned). */
	cz_fs_outcome out;
	char *revision;
	char *message;
	char *url;
	char *path;
	char digest[CZ_DIGEST_MAX];
} fs_job;

/* Records a failure outcome; the message is copied. */
static void job_set_failure(fs_job *j, cz_fs_result result,
			    const char *reason, const char *message)
{
	free(j->message);
	j->message = cz_xstrdup(message);
	j->out.result = result;
	j->out.reason = reason;
	j->out.message = j->message;
}

/* Records a failure that may pass (FetchFailed) and returns code (< 0),
 * which the caller returns: the job stops and the work queue retries the
 * key with backoff. */
static int job_fail(fs_job *j, int code, const char *reason,
		    const char *message)
{
	job_set_failure(j, CZ_FS_FAILED, reason, message);
	return code;
}

/* Records a spec error (Stalled) and returns CZ_EINVALID, which the
 * caller returns: the job stops; see FS_STALLED_NOT_RETRIED for what the
 * work queue is told. */
static int job_stall(fs_job *j, const char *reason, const char *message)
{
	job_set_failure(j, CZ_FS_STALLED, reason, message);
	return CZ_EINVALID;
}

/* Whether a step recorded a failure outcome (job_fail, job_stall). */
static bool job_failed(const fs_job *j)
{
	return j->out.result == CZ_FS_FAILED || j->out.result == CZ_FS_STALLED;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Reads the Secret ns/name of the job's namespace; *out owned. */
static int read_secret(fs_job *j, const char *name, json_t **out,
		       cz_error *err)
{
	char *path = cz_kube_path(cz_res_secrets(), j->ns, name, NULL, NULL);
	int rc = cz_kube_get(j->kube, path, out, err);

	free(path);
	if (rc < 0)
		cz_fail(err, rc, "failed to get secret '%s/%s'%s", j->ns, name,
			rc == CZ_ENOTFOUND ? ": not found" : "");
	return rc;
}

/* The decoded value of key in the Secret name of the job's namespace;
 * *out owned (wipe_free()).  CZ_EINVALID when the key is missing or is not
 * base64. */
static int read_secret_key(fs_job *j, const char *name, const char *key,
			   char **out, size_t *len, cz_error *err)
{
	json_t *secret = NULL;
	int rc = read_secret(j, name, &secret, err);

	if (rc == CZ_OK &&
	    !(*out = cz_secret_value(secret, key, FS_MAX_SECRET, len)))
		rc = cz_fail(err, CZ_EINVALID, "secret '%s/%s' has no valid %s",
			     j->ns, name, key);
	json_decref(secret);
	return rc;
}

/* Writes a CA bundle into the job's tmp directory; *path_out owned. */
static int write_ca(fs_job *j, const char *pem, size_t len, char **path_out,
		    cz_error *err)
{
	char *path = cz_xasprintf("%s/ca.crt", j->tmp_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);

	if (fd < 0 || write(fd, pem, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		free(path);
		return cz_fail(err, CZ_EIO, "cannot write the CA bundle");
	}
	close(fd);
	*path_out = path;
	return CZ_OK;
}

static int store_tree(fs_job *j, const char *dir, cz_tar_result *res,
		      cz_error *err)
{
	cz_tarball t;
	int rc;

	cz_tarball_init(&t);
	rc = cz_tarball_add_dir(&t, "", dir, err);
	if (rc == CZ_OK)
		rc = cz_artifact_store_put(j->store, &t, res, err);
	cz_tarball_release(&t);
	return rc;
}

/* Records the stored blob under the source's name, collects garbage (when
 * collect: after a new blob) and fills the READY outcome. */
static int publish(fs_job *j, const cz_tar_result *res, bool collect,
		   cz_error *err)
{
	char *aname = cz_fs_artifact_name(j->kind, j->ns, j->name);
	const char *hex = strchr(res->digest, ':') + 1;
	char *lower = cz_xstrdup(j->kind);
	int rc;

	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	rc = cz_artifact_store_record(j->store, aname, res->digest, res->size,
				      err);
	if (rc == CZ_OK && collect) {
		pthread_mutex_lock(&gc_lock);
		rc = cz_artifact_store_gc(j->store, FS_KEEP_REVISIONS,
					  FS_GC_MIN_AGE, NULL, err);
		pthread_mutex_unlock(&gc_lock);
	}
	if (rc == CZ_OK) {
		snprintf(j->digest, sizeof(j->digest), "%s", res->digest);
		free(j->url);
		free(j->path);
		j->url = cz_fs_artifact_url(j->m->opts.artifact_base_url
						    ? j->m->opts.artifact_base_url
						    : "",
					    res->digest);
		j->path = cz_xasprintf("%s/%s/%s/%s.tar.gz", lower, j->ns,
				       j->name, hex);
		j->out.result = CZ_FS_READY;
		j->out.revision = j->revision;
		j->out.digest = j->digest;
		j->out.size = res->size;
		j->out.url = j->url;
		j->out.path = j->path;
	}
	free(lower);
	free(aname);
	return rc;
}

/* Publishes the blob a store put gave (rc: what the put returned); a
 * failure of either is the job's (ArchiveOperationFailed). */
static int publish_stored(fs_job *j, int rc, const cz_tar_result *res,
			  cz_error *err)
{
	if (rc == CZ_OK)
		rc = publish(j, res, true, err);
	if (rc < 0)
		rc = job_fail(j, rc, "ArchiveOperationFailed", err->msg);
	return rc;
}

/* The artifact in status is for this revision and generation and its
 * blob is still stored: set READY from it and return true. */
static bool unchanged(fs_job *j)
{
	const json_t *st = json_object_get(j->obj, "status");
	const json_t *art = json_object_get(st, "artifact");
	json_t *og = json_object_get(st, "observedGeneration");
	const char *rev = str_field(art, "revision");
	const char *digest = str_field(art, "digest");
	const json_t *size = json_object_get(art, "size");
	cz_error err = CZ_ERROR_INIT;
	char *path = NULL;
	uint64_t have = 0;
	cz_tar_result res;

	if (!rev || !digest || strcmp(rev, j->revision) != 0 ||
	    !json_is_integer(og) || json_integer_value(og) != j->generation ||
	    !json_is_integer(size))
		return false;
	if (cz_artifact_store_lookup(j->store, digest, &path, &have, &err) < 0)
		return false;
	free(path);
	if (have != (uint64_t)json_integer_value(size))
		return false;
	memset(&res, 0, sizeof(res));
	snprintf(res.digest, sizeof(res.digest), "%s", digest);
	res.size = have;
	/* Recording again is a no-op; it keeps the name's index current
	 * after a restore of status without the store. */
	return publish(j, &res, false, &err) == CZ_OK;
}

/* Reconciling=True before a download, on the object it answers with. */
static int write_progress(fs_job *j, cz_error *err)
{
	cz_fs_outcome o;
	json_t *st;
	json_t *answer = NULL;
	const cz_resource *r = strcmp(j->kind, "OCIRepository") == 0
				       ? cz_resource_find(
						 "source.toolkit.fluxcd.io",
						 "v1", "ocirepositories")
				       : cz_resource_find(
						 "source.toolkit.fluxcd.io",
						 "v1", "gitrepositories");
	const json_t *ready = cz_condition(j->obj, "Ready");
	const char *rs = json_string_value(json_object_get(ready, "status"));
	int rc;

	/* A retry after a failure keeps the failure showing until the
	 * outcome changes, so that the status does not flap. */
	if (rs && strcmp(rs, "False") == 0)
		return CZ_OK;
	memset(&o, 0, sizeof(o));
	o.result = CZ_FS_PROGRESSING;
	o.revision = j->revision;
	o.verify = j->out.verify;
	st = cz_fs_status_build(json_object_get(j->obj, "status"), &o,
				j->generation, NULL);
	rc = cz_write_status(j->kube, r, j->obj, st, &answer, err);
	json_decref(st);
	if (rc == CZ_OK && answer) {
		if (j->obj != j->first)
			json_decref(j->obj);
		j->obj = answer;
	} else {
		json_decref(answer);
	}
	return rc;
}

/* ---- OCIRepository -------------------------------------------------- */

/*
 * One OCIRepository reconcile runs three steps, each stopping the job with
 * its failure recorded: oci_parse (the spec), oci_resolve (credentials,
 * CA, the reference to a manifest digest and revision) and oci_fetch (the
 * layer pulled, stored and published).  What a step hands on:
 */
typedef struct oci_steps {
	cz_fs_oci_spec spec; /* oci_parse */
	cz_oci *client;      /* oci_resolve: with the credentials; owned */
	char *digest;        /* oci_resolve: the manifest's; owned */
} oci_steps;

static void oci_steps_release(oci_steps *s)
{
	cz_fs_oci_spec_release(&s->spec);
	cz_oci_free(s->client);
	free(s->digest);
	memset(s, 0, sizeof(*s));
}

static const char *oci_reason(int rc)
{
	return rc == CZ_EDENIED ? "AuthenticationFailed"
				: "OCIArtifactPullFailed";
}

static int oci_parse(fs_job *j, oci_steps *s, cz_error *err)
{
	const char *reason = NULL;
	int rc = cz_fs_oci_spec_read(j->spec, &s->spec, &reason, err);

	if (rc < 0)
		rc = job_stall(j, reason, err->msg);
	return rc;
}

/* Opens the registry client with the credentials of spec.secretRef and
 * the CA of spec.certSecretRef; the client keeps copies of both. */
static int oci_open_client(fs_job *j, oci_steps *s, cz_error *err)
{
	cz_oci_opts opts;
	char *docker_config = NULL;
	char *ca_pem = NULL;
	char *ca_path = NULL;
	size_t len = 0;
	int rc = CZ_OK;

	memset(&opts, 0, sizeof(opts));
	if (s->spec.secret_name &&
	    read_secret_key(j, s->spec.secret_name, ".dockerconfigjson",
			    &docker_config, &len, err) < 0) {
		rc = job_fail(j, CZ_EDENIED, "AuthenticationFailed", err->msg);
		goto cleanup;
	}
	if (s->spec.cert_secret_name) {
		rc = read_secret_key(j, s->spec.cert_secret_name, "ca.crt",
				     &ca_pem, &len, err);
		if (rc == CZ_OK)
			rc = write_ca(j, ca_pem, len, &ca_path, err);
		if (rc < 0) {
			rc = job_fail(j, rc, "AuthenticationFailed", err->msg);
			goto cleanup;
		}
	}
	opts.insecure = s->spec.insecure;
	opts.docker_config = docker_config;
	opts.ca_file = ca_path;
	opts.max_blob = FS_MAX_DOWNLOAD;
	rc = cz_oci_open(s->spec.url.host, &opts, &s->client, err);
	if (rc < 0)
		rc = job_fail(j, rc, "AuthenticationFailed", err->msg);
cleanup:
	wipe_free(docker_config);
	wipe_free(ca_pem);
	free(ca_path);
	return rc;
}

/* The highest tag of the repository the semver reference matches; *out
 * owned. */
static int oci_semver_tag(fs_job *j, oci_steps *s, char **out, cz_error *err)
{
	const cz_fs_oci_ref *want = &s->spec.ref;
	char **tags = NULL;
	size_t ntags = 0;
	size_t idx;
	int rc;

	rc = cz_oci_tags_list(s->client, s->spec.url.repo, &tags, &ntags, err);
	if (rc == CZ_OK)
		rc = cz_semver_pick_highest((const char *const *)tags, ntags,
					    want->semver, want->semver_filter,
					    &idx, err);
	if (rc == CZ_OK) {
		*out = cz_xstrdup(tags[idx]);
	} else {
		if (rc == CZ_ENOTFOUND && tags)
			cz_fail(err, rc, "no tag matches semver '%s'",
				want->semver);
		rc = job_fail(j, rc, oci_reason(rc), err->msg);
	}
	cz_oci_tags_free(tags, ntags);
	return rc;
}

/* The digest of the manifest tag names; *out owned. */
static int oci_tag_digest(oci_steps *s, const char *tag, char **out,
			  cz_error *err)
{
	cz_oci_raw_manifest raw = { 0 };
	char *digest = NULL;
	int rc;

	rc = cz_oci_manifest_head(s->client, s->spec.url.repo, tag, &digest,
				  NULL, NULL, err);
	/* A HEAD answer without a sha256 digest: the manifest itself. */
	if (rc == CZ_OK && (!digest || !cz_oci_digest_is_sha256(digest))) {
		free(digest);
		digest = NULL;
		rc = cz_oci_manifest_get(s->client, s->spec.url.repo, tag, &raw,
					 err);
		if (rc == CZ_OK)
			digest = cz_xstrdup(raw.digest);
		cz_oci_raw_manifest_release(&raw);
	}
	if (rc == CZ_OK) {
		*out = digest;
		digest = NULL;
	}
	free(digest);
	return rc;
}

/* The manifest digest and the revision, by precedence digest > semver >
 * tag. */
static int oci_resolve_revision(fs_job *j, oci_steps *s, cz_error *err)
{
	const cz_fs_oci_ref *want = &s->spec.ref;
	char *picked = NULL;
	const char *tag = NULL;
	int rc = CZ_OK;

	if (want->kind == CZ_FS_OCI_DIGEST) {
		s->digest = cz_xstrdup(want->digest);
		goto cleanup;
	}
	if (want->kind == CZ_FS_OCI_SEMVER) {
		if ((rc = oci_semver_tag(j, s, &picked, err)) < 0)
			goto cleanup;
		tag = picked;
	} else {
		tag = want->tag;
	}
	if ((rc = oci_tag_digest(s, tag, &s->digest, err)) < 0) {
		cz_error_prefix(err, "failed to resolve '%s'", tag);
		rc = job_fail(j, rc, oci_reason(rc), err->msg);
	}
cleanup:
	if (rc == CZ_OK)
		j->revision = cz_fs_oci_revision(tag, s->digest);
	free(picked);
	return rc;
}

static int oci_resolve(fs_job *j, oci_steps *s, cz_error *err)
{
	int rc = oci_open_client(j, s, err);

	if (rc == CZ_OK)
		rc = oci_resolve_revision(j, s, err);
	return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Tries the public keys of the Secret in turn; CZ_OK at the first that
 * verifies a signature of the digest.  A failure that no other key can
 * change (no signature at all, the registry failing) stops the search. */
static int oci_verify_keys(fs_job *j, oci_steps *s, const json_t *secret,
			   cz_error *err)
{
	const char *key;
	json_t *value;
	size_t nkeys = 0;
	int rc = CZ_OK;

	json_object_foreach ((json_t *)json_object_get(secret, "data"), key,
			     value) {
		size_t len = 0;
		char *pem;

		if (!ends_with(key, ".pub"))
			continue;
		nkeys++;
		pem = cz_secret_value(secret, key, FS_MAX_SECRET, &len);
		if (!pem) {
			rc = cz_fail(err, CZ_EINVALID, "%s is not base64", key);
			continue;
		}
		rc = cz_cosign_verify(s->client, s->spec.url.repo, s->digest,
				      pem, len, err);
		free(pem);
		if (rc == CZ_OK || rc == CZ_ENOTFOUND || rc == CZ_EIO ||
		    rc == CZ_ERR)
			break;
	}
	if (!nkeys)
		rc = cz_fail(err, CZ_EINVALID, "secret '%s/%s' has no .pub key",
			     j->ns, s->spec.verify_secret_name);
	return rc;
}

/*
 * spec.verify: the resolved digest must carry a cosign signature that a
 * key of the Secret verifies, before anything is downloaded or stored.
 * Any failure (no Secret, no signature, a bad one) is a VerificationError
 * that is retried, since signatures and Secrets may appear later.
 */
static int oci_verify(fs_job *j, oci_steps *s, cz_error *err)
{
	json_t *secret = NULL;
	char *msg;
	int rc;

	if (!s->spec.verify_secret_name)
		return CZ_OK;
	rc = read_secret(j, s->spec.verify_secret_name, &secret, err);
	if (rc == CZ_OK)
		rc = oci_verify_keys(j, s, secret, err);
	json_decref(secret);
	if (rc == CZ_OK) {
		j->out.verify = CZ_FS_VERIFY_OK;
		return CZ_OK;
	}
	msg = cz_xasprintf("failed to verify the signature of %s using "
			   "provider 'cosign': %s", s->digest, err->msg);
	rc = job_fail(j, rc, "VerificationError", msg);
	j->out.verify = CZ_FS_VERIFY_FAILED;
	free(msg);
	return rc;
}

/* The layer the selector names (first layer when none). */
static const cz_oci_descriptor *pick_layer(const cz_oci_manifest *mf,
					   const char *media_type)
{
	for (size_t i = 0; i < mf->n_layers; i++)
		if (!media_type ||
		    strcmp(mf->layers[i].media_type, media_type) == 0)
			return &mf->layers[i];
	return NULL;
}

/* The layer the selector names in the manifest: its blob downloaded
 * into the file blob and its digest in *layer_digest (owned). */
static int oci_download_layer(fs_job *j, oci_steps *s, const char *blob,
			      char **layer_digest, cz_error *err)
{
	const char *media = s->spec.layer_media_type;
	cz_oci_raw_manifest raw = { 0 };
	cz_oci_manifest mf;
	const cz_oci_descriptor *layer;
	bool parsed = false;
	int rc;

	memset(&mf, 0, sizeof(mf));
	rc = cz_oci_manifest_get(s->client, s->spec.url.repo, s->digest, &raw,
				 err);
	if (rc < 0) {
		rc = job_fail(j, rc, oci_reason(rc), err->msg);
		goto cleanup;
	}
	rc = cz_oci_manifest_parse(raw.data, raw.len, raw.media_type, &mf, err);
	if (rc < 0) {
		rc = job_fail(j, rc, "OCIArtifactPullFailed", err->msg);
		goto cleanup;
	}
	parsed = true;
	if (mf.is_index) {
		rc = cz_fail(err, CZ_EINVALID, "%s is an image index; point "
			     "the reference at one of its manifests",
			     s->digest);
		rc = job_fail(j, rc, "OCIArtifactPullFailed", err->msg);
		goto cleanup;
	}
	if (!(layer = pick_layer(&mf, media))) {
		rc = cz_fail(err, CZ_ENOTFOUND, "no layer%s%s in artifact %s",
			     media ? " with media type " : "",
			     media ? media : "", s->digest);
		rc = job_fail(j, rc, "OCIArtifactLayerOperationFailed",
			      err->msg);
		goto cleanup;
	}
	if (layer->size > FS_MAX_DOWNLOAD) {
		rc = cz_fail(err, CZ_ETOOLARGE, "layer %s is %llu bytes, over "
			     "the %llu-byte cap", layer->digest,
			     (unsigned long long)layer->size,
			     (unsigned long long)FS_MAX_DOWNLOAD);
		rc = job_fail(j, rc, "OCIArtifactPullFailed", err->msg);
		goto cleanup;
	}
	rc = cz_oci_blob_get_file(s->client, s->spec.url.repo, layer->digest,
				  (int64_t)layer->size, blob, err);
	if (rc < 0) {
		rc = job_fail(j, rc, oci_reason(rc), err->msg);
		goto cleanup;
	}
	*layer_digest = cz_xstrdup(layer->digest);
cleanup:
	if (parsed)
		cz_oci_manifest_release(&mf);
	cz_oci_raw_manifest_release(&raw);
	return rc;
}

/* Stores the downloaded layer as the artifact: as it is (copy) or its
 * extracted tree (extract), then publishes it. */
static int oci_store_layer(fs_job *j, oci_steps *s, const char *blob,
			   const char *layer_digest, cz_error *err)
{
	cz_extract_limits lim = { FS_MAX_EXPANDED, FS_MAX_ENTRIES };
	char *tree = NULL;
	cz_tar_result res;
	int rc;

	if (s->spec.layer_copy) {
		rc = cz_artifact_store_put_file(j->store, blob, &res, err);
		rc = publish_stored(j, rc, &res, err);
		goto cleanup;
	}
	tree = cz_xasprintf("%s/tree", j->tmp_dir);
	if ((rc = cz_extract_file(blob, tree, &lim, NULL, err)) < 0) {
		cz_error_prefix(err, "extracting layer %s", layer_digest);
		rc = job_fail(j, rc, "OCIArtifactLayerOperationFailed",
			      err->msg);
		goto cleanup;
	}
	rc = store_tree(j, tree, &res, err);
	rc = publish_stored(j, rc, &res, err);
cleanup:
	free(tree);
	return rc;
}

/* Pulls the artifact of the resolved digest and stores it. */
static int oci_fetch(fs_job *j, oci_steps *s, cz_error *err)
{
	char *blob = cz_xasprintf("%s/layer", j->tmp_dir);
	char *layer_digest = NULL;
	int rc;

	if ((rc = write_progress(j, err)) < 0)
		goto cleanup;
	if ((rc = oci_download_layer(j, s, blob, &layer_digest, err)) < 0)
		goto cleanup;
	rc = oci_store_layer(j, s, blob, layer_digest, err);
cleanup:
	free(layer_digest);
	free(blob);
	return rc;
}

/* An unchanged revision whose blob is still stored is not fetched again. */
static int oci_run(fs_job *j, cz_error *err)
{
	oci_steps s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = oci_parse(j, &s, err);
	if (rc == CZ_OK)
		rc = oci_resolve(j, &s, err);
	if (rc == CZ_OK)
		rc = oci_verify(j, &s, err);
	if (rc == CZ_OK && !unchanged(j))
		rc = oci_fetch(j, &s, err);
	oci_steps_release(&s);
	return rc;
}

/* ---- GitRepository -------------------------------------------------- */

/*
 * The same three steps for a GitRepository: git_parse (the spec),
 * git_resolve (credentials, CA, the reference to a revision by an
 * ls-remote) and git_fetch (the commit fetched, its tree stored and
 * published).  What a step hands on:
 */
typedef struct git_steps {
	cz_fs_git_spec spec; /* git_parse */
	/* git_resolve: the spec, the cache and the credentials, which
	 * borrow the strings below. */
	cz_git_options opts;
	char *cache_dir;
	char *username;     /* wiped */
	char *password;     /* wiped */
	char *bearer_token; /* wiped */
	char *ca_path;
} git_steps;

static void git_steps_release(git_steps *s)
{
	free(s->cache_dir);
	wipe_free(s->username);
	wipe_free(s->password);
	wipe_free(s->bearer_token);
	free(s->ca_path);
	memset(s, 0, sizeof(*s));
}

static int pick_semver(void *ctx, const char *const *tags, size_t n,
		       const char *constraint, char **out, cz_error *err)
{
	size_t idx;
	int rc;

	(void)ctx;
	rc = cz_semver_pick_highest(tags, n, constraint, NULL, &idx, err);
	if (rc == CZ_OK)
		*out = cz_xstrdup(tags[idx]);
	else if (rc == CZ_ENOTFOUND)
		rc = cz_fail(err, rc, "no tag matches semver '%s'",
			     constraint);
	return rc;
}

static const char *git_reason(int rc)
{
	return rc == CZ_EDENIED ? "AuthenticationFailed" : "GitOperationFailed";
}

static int git_parse(fs_job *j, git_steps *s, cz_error *err)
{
	const char *reason = NULL;
	int rc = cz_fs_git_spec_read(j->spec, &s->spec, &reason, err);

	if (rc < 0)
		rc = job_stall(j, reason, err->msg);
	return rc;
}

/* Basic auth, bearer token and CA from spec.secretRef, into s->opts. */
static int git_credentials(fs_job *j, git_steps *s, cz_error *err)
{
	json_t *secret = NULL;
	char *ca_pem = NULL;
	size_t ca_len = 0;
	int rc = CZ_OK;

	if (!s->spec.secret_name)
		goto cleanup;
	if ((rc = read_secret(j, s->spec.secret_name, &secret, err)) < 0) {
		rc = job_fail(j, rc, "AuthenticationFailed", err->msg);
		goto cleanup;
	}
	s->username = cz_secret_value(secret, "username", FS_MAX_SECRET, NULL);
	s->password = cz_secret_value(secret, "password", FS_MAX_SECRET, NULL);
	s->bearer_token = cz_secret_value(secret, "bearerToken", FS_MAX_SECRET,
					  NULL);
	ca_pem = cz_secret_value(secret, "ca.crt", FS_MAX_SECRET, &ca_len);
	if (ca_pem && (rc = write_ca(j, ca_pem, ca_len, &s->ca_path, err)) < 0) {
		rc = job_fail(j, rc, "AuthenticationFailed", err->msg);
		goto cleanup;
	}
	s->opts.username = s->username;
	s->opts.password = s->password;
	s->opts.bearer_token = s->bearer_token;
	s->opts.ca_file = s->ca_path;
cleanup:
	json_decref(secret);
	wipe_free(ca_pem);
	return rc;
}

/* The revision the reference names now, from an ls-remote. */
static int git_resolve(fs_job *j, git_steps *s, cz_error *err)
{
	cz_git_result resolved;
	int rc;

	memset(&resolved, 0, sizeof(resolved));
	s->cache_dir = cz_xasprintf("%s/git-cache", j->m->opts.artifact_dir);
	s->opts.url = s->spec.url;
	s->opts.ref = s->spec.ref;
	s->opts.cache_dir = s->cache_dir;
	s->opts.pick_semver = pick_semver;
	if ((rc = git_credentials(j, s, err)) < 0)
		goto cleanup;
	if (!j->m->git_ready) {
		rc = cz_fail(err, CZ_ERR, "libgit2 initialisation failed");
		rc = job_fail(j, rc, "GitOperationFailed", err->msg);
		goto cleanup;
	}
	if ((rc = cz_git_resolve(&s->opts, &resolved, err)) < 0) {
		rc = job_fail(j, rc, git_reason(rc), err->msg);
		goto cleanup;
	}
	j->revision = cz_xstrdup(resolved.revision);
cleanup:
	cz_git_result_release(&resolved);
	return rc;
}

/* Fetches the commit, exports its tree and stores it. */
static int git_fetch(fs_job *j, git_steps *s, cz_error *err)
{
	char *tree = cz_xasprintf("%s/tree", j->tmp_dir);
	cz_git_result fetched;
	cz_tar_result res;
	int rc;

	memset(&fetched, 0, sizeof(fetched));
	if ((rc = write_progress(j, err)) < 0)
		goto cleanup;
	if ((rc = cz_git_fetch_export(&s->opts, tree, &fetched, err)) < 0) {
		rc = job_fail(j, rc, git_reason(rc), err->msg);
		goto cleanup;
	}
	/* The artifact is named after the commit exported, which may be
	 * newer than the one the resolve saw. */
	free(j->revision);
	j->revision = cz_xstrdup(fetched.revision);
	rc = store_tree(j, tree, &res, err);
	rc = publish_stored(j, rc, &res, err);
cleanup:
	cz_git_result_release(&fetched);
	free(tree);
	return rc;
}

/* An unchanged revision whose blob is still stored is not fetched again. */
static int git_run(fs_job *j, cz_error *err)
{
	git_steps s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = git_parse(j, &s, err);
	if (rc == CZ_OK)
		rc = git_resolve(j, &s, err);
	if (rc == CZ_OK && !unchanged(j))
		rc = git_fetch(j, &s, err);
	git_steps_release(&s);
	return rc;
}

/* ---- the reconcile -------------------------------------------------- */

static const cz_resource *kind_resource(const char *kind)
{
	return cz_resource_find("source.toolkit.fluxcd.io", "v1",
				strcmp(kind, "OCIRepository") == 0
					? "ocirepositories"
					: "gitrepositories");
}

static int write_final(fs_job *j, cz_error *err)
{
	json_t *prev = json_object_get(j->obj, "status");
	json_t *st = cz_fs_status_build(prev, &j->out, j->generation,
					j->requested_at);
	int rc = CZ_OK;

	if (!prev || !json_equal(prev, st))
		rc = cz_write_status(j->kube, kind_resource(j->kind), j->obj,
				     st, NULL, err);
	json_decref(st);
	return rc;
}

/*
 * What the work queue is told about a stalled source once its status is
 * written: done, so that the key is forgotten instead of retried with
 * backoff.  Its spec is invalid and only a spec change can fix that; the
 * change is a new generation, which queues the key anyway.
 */
#define FS_STALLED_NOT_RETRIED CZ_OK

/* Writes the status of a job a spec error stopped. */
static int write_stalled(fs_job *j, cz_error *err)
{
	int rc = write_final(j, err);

	return rc < 0 ? rc : FS_STALLED_NOT_RETRIED;
}

/*
 * Writes the status of a job that ran (rc: what its steps returned) and
 * queues the next poll.  Returns what the work queue is told: a failed job
 * stays a failure (retried with backoff) whether or not its status could
 * be written.
 */
static int job_finish(fs_job *j, const char *key, int64_t interval_ns,
		      int rc, cz_error *err)
{
	cz_error write_err = CZ_ERROR_INIT;
	int wrc;

	if (j->out.result == CZ_FS_STALLED) {
		rc = write_stalled(j, err);
		cz_ctl_log(j->m, "error", "fluxsource", key, "%s: %s",
			   j->out.reason, j->out.message);
	} else {
		/* rc < 0 with no outcome: a write failed (e.g. a conflict),
		 * and the retry writes the status. */
		if (rc == CZ_OK || job_failed(j)) {
			/* err keeps the job's failure, which a failed status
			 * write must not replace. */
			wrc = write_final(j, rc < 0 ? &write_err : err);
			if (rc == CZ_OK)
				rc = wrc;
		}
		cz_queue_add_after(j->m->ctl[CZ_C_FLUXSOURCE].queue, key,
				   interval_ns);
	}
	return rc;
}

int cz_fluxsource_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			    cz_error *err)
{
	char *copy = cz_xstrdup(key);
	char *ns = strchr(copy, '/');
	char *name = ns ? strchr(ns + 1, '/') : NULL;
	const char *interval = NULL;
	int64_t interval_ns = FS_DEFAULT_INTERVAL_NS;
	cz_error ierr = CZ_ERROR_INIT;
	fs_job j;
	json_t *gen;
	int rc = CZ_OK;

	memset(&j, 0, sizeof(j));
	if (!ns || !name || !m->opts.artifact_dir)
		goto cleanup;
	*ns++ = '\0';
	*name++ = '\0';
	j.m = m;
	j.kube = kube;
	j.kind = copy;
	j.ns = ns;
	j.name = name;
	j.obj = cz_informer_get(m->inf[strcmp(copy, "OCIRepository") == 0
						? CZ_W_OCIREPOS
						: CZ_W_GITREPOS],
				ns, name);
	j.first = j.obj;
	if (!j.obj || cz_meta_str(j.obj, "deletionTimestamp"))
		goto cleanup;
	j.spec = json_object_get(j.obj, "spec");
	if (json_is_true(json_object_get(j.spec, "suspend")))
		goto cleanup; /* resumed by the update that clears it */
	gen = json_object_get(json_object_get(j.obj, "metadata"), "generation");
	j.generation = json_is_integer(gen) ? json_integer_value(gen) : 0;
	j.requested_at = json_string_value(json_object_get(
		json_object_get(json_object_get(j.obj, "metadata"),
				"annotations"),
		REQUESTED_AT));
	interval = str_field(j.spec, "interval");
	if (interval && (cz_duration_parse(interval, &interval_ns, &ierr) < 0 ||
			 interval_ns <= 0)) {
		char *msg = cz_xasprintf("invalid interval '%s'", interval);

		rc = job_stall(&j, "InvalidInterval", msg);
		free(msg);
		/* Not through job_finish(): no step ran, and the interval to
		 * poll after is what is invalid. */
		rc = write_stalled(&j, err);
		goto cleanup;
	}
	if ((rc = cz_artifact_store_open(m->opts.artifact_dir, &j.store,
					 err)) < 0)
		goto cleanup;
	j.tmp_dir = cz_xasprintf("%s/src-XXXXXX",
				 cz_artifact_store_tmp_dir(j.store));
	if (!mkdtemp(j.tmp_dir)) {
		rc = cz_fail(err, CZ_EIO, "cannot create a directory under %s",
			     cz_artifact_store_tmp_dir(j.store));
		j.tmp_dir[0] = '\0';
		goto cleanup;
	}
	if (strcmp(j.kind, "OCIRepository") == 0)
		rc = oci_run(&j, err);
	else
		rc = git_run(&j, err);
	rc = job_finish(&j, key, interval_ns, rc, err);
cleanup:
	if (j.tmp_dir)
		cz_remove_tree(j.tmp_dir);
	free(j.tmp_dir);
	cz_artifact_store_close(j.store);
	if (j.obj != j.first)
		json_decref(j.obj);
	json_decref(j.first);
	free(j.revision);
	free(j.message);
	free(j.url);
	free(j.path);
	free(copy);
	return rc;
}
