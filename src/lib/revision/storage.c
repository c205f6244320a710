/* PackageRevision and PackageRevisionResources as storages of the API
 * server (apiserver/storage.h): the lifecycle rules, then git, then the
 * store's copy. */

#include "revision/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/meta.h"
#include "util/duration.h"
#include "util/mem.h"

#define APPROVERS_ONLY                                                         \
	"only system:masters and members of cozypkg:approvers may"

/* ---- reads: the store's copy ------------------------------------------- */

static int cached_get(cz_api_call *c, const char *key, cz_blob **out,
		      cz_error *err)
{
	return cz_store_storage.get(c, key, out, err);
}

static int cached_list(cz_store *store, const char *prefix,
		       const char *start_after, cz_blob ***items, size_t *n,
		       int64_t *rv, cz_error *err)
{
	return cz_store_storage.list(store, prefix, start_after, items, n, rv,
				     err);
}

static int cached_watch(cz_store *store, const char *prefix, int64_t from_rv,
			cz_watch **out, cz_error *err)
{
	return cz_store_storage.watch(store, prefix, from_rv, out, err);
}

/* ---- refusals ---------------------------------------------------------- */

static int invalid(cz_api_call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int invalid(cz_api_call *c, const char *fmt, ...)
{
	char msg[CZ_ERROR_MSG_MAX];
	char q[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cz_api_fail(c, CZ_EINVALID, 422, "Invalid", NULL,
			   "%s \"%s\" is invalid: %s",
			   cz_qualified_resource(c->res, q, sizeof(q)),
			   c->name ? c->name : "", msg);
}

static int forbidden(cz_api_call *c, const char *what)
{
	char q[256];

	return cz_api_fail(c, CZ_EDENIED, 403, "Forbidden", NULL,
			   "%s \"%s\" is forbidden: User \"%s\" cannot %s: "
			   "%s do so",
			   cz_qualified_resource(c->res, q, sizeof(q)),
			   c->name ? c->name : "",
			   c->user ? c->user->name : "", what, APPROVERS_ONLY);
}

static bool may_approve(const cz_api_call *c)
{
	return !c->user || cz_user_may_approve(c->user);
}

static int not_served(cz_api_call *c)
{
	return cz_api_fail(c, CZ_EIO, 503, "ServiceUnavailable", NULL,
			   "package revisions are not served: cozypkgd has no "
			   "revision storage");
}

/* A git or store failure as its Status, prefixed with the step. */
static int failed(cz_api_call *c, int rc, const cz_error *err)
{
	if (rc == CZ_ENOTFOUND && strstr(err->msg, "spec.packageRevID"))
		return invalid(c, "%s", err->msg);
	if (rc == CZ_EINVALID)
		return invalid(c, "%s", err->msg);
	return cz_api_storage_error(c, rc, err);
}

static cz_lifecycle lifecycle_of(const json_t *obj)
{
	return cz_lifecycle_parse(json_string_value(json_object_get(
		json_object_get(obj, "spec"), "lifecycle")));
}

/* ---- create ------------------------------------------------------------ */

/* The create rules of a PackageRevision (pkgserver-porch §2.2). */
static int check_new(cz_api_call *c, json_t *obj, const cz_revid *id)
{
	cz_error err = CZ_ERROR_INIT;
	char *name = NULL;
	int rc = CZ_OK;
	cz_lifecycle lc = lifecycle_of(obj);
	const char *task = json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(obj, "spec"),
					       "tasks"),
			       0),
		"type"));

	if (lc != CZ_LC_DRAFT)
		return invalid(c, "spec.lifecycle: Unsupported value: \"%s\": "
			       "only drafts can be created",
			       cz_lifecycle_name(lc));
	if (*id->revision)
		return invalid(c, "spec.packageRevID.revision: Forbidden: "
			       "the server sets the revision when it "
			       "publishes");
	if (cz_revid_check(id, &err) != CZ_OK)
		return invalid(c, "%s", err.msg);
	name = cz_revid_name(id);
	if (strcmp(name, c->name) != 0)
		rc = invalid(c, "metadata.name: Invalid value: \"%s\": must be "
			     "<target>.<repository>.<realm>.<package>."
			     "<workspace> (%s)",
			     c->name, name);
	free(name);
	if (rc == CZ_OK && task && strcmp(task, "clone") == 0 &&
	    !json_is_object(json_object_get(json_object_get(obj, "spec"),
					    "upstream")))
		rc = invalid(c, "spec.upstream: Required value: a clone task "
			     "needs its upstream");
	return rc;
}

/* The files of the upstream revision of a clone.  When the upstream
 * Repository has the same remote as the draft's, its open mirror is used:
 * the mirror is locked while open, and a second open would wait for
 * itself. */
static int upstream_files(cz_api_call *c, rev_repo *h, const json_t *up,
			  json_t **files, cz_error *err)
{
	cz_revid uid = { "catalog", "", "", "", "", "" };
	json_t *repo = NULL;
	rev_repo uh;
	rev_repo *use = h;
	char *udir = NULL, *upath = NULL, *ref = NULL;
	int rc;

	memset(&uh, 0, sizeof(uh));
	uid.repository = json_string_value(json_object_get(up, "repository"));
	uid.realm = json_string_value(json_object_get(up, "realm"));
	uid.package = json_string_value(json_object_get(up, "package"));
	uid.revision = json_string_value(json_object_get(up, "revision"));
	if (!uid.repository || !uid.realm || !uid.package || !uid.revision)
		return cz_fail(err, CZ_EINVALID,
			       "spec.upstream: repository, realm, package and "
			       "revision are required");
	rc = rev_load_named(c->store, rev_res_repositories(), c->ns,
			    uid.repository, &repo, NULL);
	if (rc != CZ_OK)
		rc = cz_fail(err, CZ_EINVALID, "spec.upstream.repository: Not "
			     "found: \"%s\"", uid.repository);
	if (rc == CZ_OK && strcmp(rev_repo_url(repo), h->url) != 0) {
		rc = rev_repo_open_object(c->revisions, c->store, repo, &uh,
					  err);
		use = &uh;
	}
	if (rc == CZ_OK) {
		udir = cz_pkgrepo_directory(json_string_value(json_object_get(
			json_object_get(json_object_get(repo, "spec"), "git"),
			"directory")));
		upath = cz_revid_path(&uid, udir);
		ref = cz_xasprintf("refs/tags/%s/%s", upath, uid.revision);
		rc = cz_pkgrepo_sync_package(use->repo, upath, err);
	}
	if (rc == CZ_OK)
		rc = cz_pkgrepo_read(use->repo, ref, upath, files, err);
	if (rc == CZ_ENOTFOUND)
		rc = cz_fail(err, CZ_EINVALID, "spec.upstream: revision %s of "
			     "%s not found in Repository %s",
			     uid.revision, upath, uid.repository);
	rev_repo_close(&uh);
	json_decref(repo);
	free(udir);
	free(upath);
	free(ref);
	return rc;
}

/* The files a new draft starts from: the upstream revision's for a
 * clone, else the package's latest published revision, else a Kptfile. */
static int initial_files(cz_api_call *c, rev_repo *h, const json_t *obj,
			 const char *path, json_t **files, cz_error *err)
{
	const json_t *up = json_object_get(json_object_get(obj, "spec"),
					   "upstream");
	json_t *list = NULL;
	char *ref = NULL;
	int rc;

	*files = NULL;
	if (up)
		return upstream_files(c, h, up, files, err);
	rc = cz_pkgrepo_list(h->repo, path, &list, err);
	if (rc == CZ_OK && rev_highest_tag(list, path)) {
		ref = cz_xasprintf("refs/tags/%s/v%lu", path,
				   rev_highest_tag(list, path));
		rc = cz_pkgrepo_read(h->repo, ref, path, files, err);
	}
	if (rc == CZ_OK && !*files) {
		const char *pkg = strrchr(path, '/');

		*files = json_object();
		json_object_set_new(
			*files, "Kptfile",
			json_sprintf("apiVersion: kpt.dev/v1\nkind: Kptfile\n"
				     "metadata:\n  name: %s\ninfo:\n  "
				     "description: %s package\n",
				     pkg ? pkg + 1 : path,
				     pkg ? pkg + 1 : path));
	}
	json_decref(list);
	free(ref);
	return rc;
}

/* Whether git has the branch or tag "<path>/<last>" already. */
static bool git_has(rev_repo *h, const char *path, const char *field,
		    const char *last)
{
	json_t *list = NULL;
	bool found = false;
	size_t i;
	json_t *e;

	if (cz_pkgrepo_list(h->repo, path, &list, NULL) != CZ_OK)
		return false;
	json_array_foreach (list, i, e) {
		const char *v = json_string_value(json_object_get(e, field));

		if (v && strcmp(v, last) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "path")),
			   path) == 0)
			found = true;
	}
	json_decref(list);
	return found;
}

/* Git first: the draft branch with its first files; then the store: the
 * revision and its resources. */
static int create_draft(cz_api_call *c, const char *key, json_t *obj,
			const cz_revid *id, cz_blob **out, cz_error *err)
{
	rev_repo h;
	json_t *files = NULL;
	json_t *prr = NULL;
	char *path = NULL;
	char *prr_key = NULL;
	char commit[41] = "";
	char name[128], email[192], msg[160];
	cz_pkgrepo_who who;
	cz_blob *exists = NULL;
	int rc = rev_repo_open(c->revisions, c->store, c->ns, id->repository,
			       &h, err);

	if (rc == CZ_OK && cz_store_get(c->store, key, &exists, NULL) == CZ_OK)
		rc = cz_fail(err, CZ_EEXISTS, "exists");
	cz_blob_unref(exists);
	if (rc != CZ_OK)
		goto cleanup;
	path = cz_revid_path(id, h.dir);
	rc = cz_pkgrepo_sync_package(h.repo, path, err);
	if (rc == CZ_OK && git_has(&h, path, "workspace", id->workspace))
		rc = cz_fail(err, CZ_EEXISTS, "workspace %s of %s exists in "
			     "git (branch %s/%s)",
			     id->workspace, path, path, id->workspace);
	if (rc == CZ_OK)
		rc = initial_files(c, &h, obj, path, &files, err);
	rev_who(c, name, email, &who);
	snprintf(msg, sizeof(msg), "Create %.80s workspace %s", path,
		 id->workspace);
	if (rc == CZ_OK)
		rc = cz_pkgrepo_write_draft(h.repo, path, id->workspace, NULL,
					    files, &who, msg, commit, err);
	if (rc != CZ_OK)
		goto cleanup;
	json_object_set_new(json_object_get(obj, "spec"), "lifecycle",
			    json_string("draft"));
	rev_set_ready(obj, "Draft", "draft in git");
	json_object_set_new(json_object_get(obj, "status"), "commit",
			    json_string(commit));
	prr = rev_resources_new(obj, files, commit);
	prr_key = rev_resources_key(obj);
	rc = cz_store_create(c->store, key, obj, out, err);
	if (rc == CZ_OK)
		rc = cz_store_create(c->store, prr_key, prr, NULL, err);
cleanup:
	rev_repo_close(&h);
	json_decref(files);
	json_decref(prr);
	free(prr_key);
	free(path);
	return rc;
}

static int rev_create(cz_api_call *c, const char *key, json_t *obj,
		      cz_blob **out, cz_error *err)
{
	cz_revid id;
	int rc;

	if (!c->revisions)
		return not_served(c);
	cz_revid_of(obj, &id);
	rc = check_new(c, obj, &id);
	if (rc != CZ_OK)
		return rc;
	pthread_mutex_lock(&c->revisions->lock);
	rc = create_draft(c, key, obj, &id, out, err);
	pthread_mutex_unlock(&c->revisions->lock);
	return rc == CZ_OK ? CZ_OK : failed(c, rc, err);
}

/* ---- update ------------------------------------------------------------ */

/* Publishes the draft of obj in git with the next revision number, and
 * records it in obj. */
static int publish(cz_api_call *c, json_t *obj, cz_error *err)
{
	cz_revid id;
	rev_repo h;
	char *path = NULL;
	char rev[32], commit[41] = "", now[32];
	char name[128], email[192], msg[96];
	cz_pkgrepo_who who;
	unsigned long n = 0;
	int rc;

	cz_revid_of(obj, &id);
	rc = rev_repo_open(c->revisions, c->store, c->ns, id.repository, &h,
			   err);
	if (rc == CZ_OK)
		path = cz_revid_path(&id, h.dir);
	rev_who(c, name, email, &who);
	/* Another writer may tag the number first: take the next one. */
	for (int i = 0; rc == CZ_OK && i < 5; i++) {
		rc = cz_pkgrepo_sync_package(h.repo, path, err);
		if (rc == CZ_OK)
			rc = rev_next_revision(c->revisions, &h, path, &n,
					       err);
		snprintf(rev, sizeof(rev), "v%lu", n);
		if (rc == CZ_OK)
			rc = cz_pkgrepo_publish(h.repo, path, id.workspace,
						rev, &who, commit, err);
		if (rc != CZ_EEXISTS)
			break;
		rc = CZ_OK;
	}
	if (rc == CZ_OK) {
		json_object_set_new(json_object_get(json_object_get(obj,
								    "spec"),
						    "packageRevID"),
				    "revision", json_string(rev));
		snprintf(msg, sizeof(msg), "published %s", rev);
		rev_set_ready(obj, "Published", msg);
		cz_now_rfc3339(now);
		json_object_set_new(json_object_get(obj, "status"),
				    "publishedBy", json_string(name));
		json_object_set_new(json_object_get(obj, "status"),
				    "publishTimestamp", json_string(now));
		json_object_set_new(json_object_get(obj, "status"), "commit",
				    json_string(commit));
	}
	free(path);
	rev_repo_close(&h);
	return rc;
}

/* The resources follow their revision's identity (its new revision). */
static void resources_follow(cz_api_call *c, const json_t *pr)
{
	char *key = rev_resources_key(pr);
	json_t *prr = NULL;

	if (rev_load(c->store, key, &prr, NULL, NULL) == CZ_OK) {
		json_object_set(json_object_get(prr, "spec"), "packageRevID",
				json_object_get(json_object_get(pr, "spec"),
						"packageRevID"));
		json_object_set(json_object_get(prr, "status"), "commit",
				json_object_get(json_object_get(pr, "status"),
						"commit"));
		cz_store_update(c->store, key, prr, 0, NULL, NULL);
	}
	json_decref(prr);
	free(key);
}

static int check_delete(cz_api_call *c, const json_t *cur);

/* The update rules: identity, the lifecycle table, who may publish. */
static int check_update(cz_api_call *c, const json_t *cur, json_t *obj,
			bool *publishing)
{
	cz_revid a, b;
	cz_lifecycle from = lifecycle_of(cur), to = lifecycle_of(obj);
	bool approval = c->sub && strcmp(c->sub, "approval") == 0;

	*publishing = false;
	cz_revid_of(cur, &a);
	cz_revid_of(obj, &b);
	if (!cz_revid_same_package(&a, &b))
		return invalid(c, "spec.packageRevID: Invalid value: field is "
			       "immutable");
	if (strcmp(a.revision, b.revision) != 0)
		return invalid(c, "spec.packageRevID.revision: Forbidden: the "
			       "server sets the revision when it publishes");
	if (approval && to != CZ_LC_PUBLISHED)
		return invalid(c, "spec.lifecycle: Unsupported value: \"%s\": "
			       "approval publishes (published)",
			       cz_lifecycle_name(to));
	if (!cz_lifecycle_allowed(from, to))
		return invalid(c, "spec.lifecycle: Invalid value: \"%s\": "
			       "cannot change from %s to %s",
			       cz_lifecycle_name(to), cz_lifecycle_name(from),
			       cz_lifecycle_name(to));
	if (to == CZ_LC_PUBLISHED && from != CZ_LC_PUBLISHED && !*a.revision &&
	    from != CZ_LC_PROPOSED)
		return invalid(c, "spec.lifecycle: Invalid value: "
			       "\"published\": a revision is published from "
			       "proposed");
	if (to == CZ_LC_PUBLISHED && from != CZ_LC_PUBLISHED &&
	    !may_approve(c))
		return forbidden(c, "publish package revisions");
	if (cz_meta_str(obj, "deletionTimestamp") &&
	    !cz_meta_str(cur, "deletionTimestamp"))
		return check_delete(c, cur);
	*publishing = from == CZ_LC_PROPOSED && to == CZ_LC_PUBLISHED;
	return CZ_OK;
}

static int rev_update(cz_api_call *c, const char *key, const json_t *cur,
		      json_t *obj, int64_t expect_rv, cz_blob **out,
		      cz_error *err)
{
	bool publishing = false;
	int rc;

	if (!c->revisions)
		return not_served(c);
	rc = check_update(c, cur, obj, &publishing);
	if (rc != CZ_OK)
		return rc;
	pthread_mutex_lock(&c->revisions->lock);
	if (publishing) {
		rc = publish(c, obj, err);
		/* Published in git: the store records it whatever moved. */
		expect_rv = 0;
	}
	if (rc == CZ_OK)
		rc = cz_store_update(c->store, key, obj, expect_rv, out, err);
	if (rc == CZ_OK && publishing)
		resources_follow(c, obj);
	pthread_mutex_unlock(&c->revisions->lock);
	return rc == CZ_OK || rc == CZ_ECONFLICT ? rc : failed(c, rc, err);
}

/* ---- delete ------------------------------------------------------------ */

static int check_delete(cz_api_call *c, const json_t *cur)
{
	cz_lifecycle lc = lifecycle_of(cur);
	char q[256];

	if (lc == CZ_LC_PUBLISHED)
		return cz_api_fail(c, CZ_ECONFLICT, 409, "Conflict", NULL,
				   "%s \"%s\" is published: propose its "
				   "deletion first (spec.lifecycle: "
				   "deletionProposed)",
				   cz_qualified_resource(c->res, q, sizeof(q)),
				   c->name);
	if (lc == CZ_LC_DELETION_PROPOSED && !may_approve(c))
		return forbidden(c, "delete published package revisions");
	return CZ_OK;
}

/* The branch of a draft, or the tag of a published revision, goes. */
static int delete_in_git(cz_api_call *c, const json_t *cur, cz_error *err)
{
	cz_revid id;
	rev_repo h;
	char *path = NULL;
	char *ref = NULL;
	bool tagged;
	int rc;

	cz_revid_of(cur, &id);
	tagged = *id.revision != '\0';
	rc = rev_repo_open(c->revisions, c->store, c->ns, id.repository, &h,
			   err);
	if (rc == CZ_ENOTFOUND) {
		/* The Repository is gone: nothing left to delete in git. */
		rev_repo_close(&h);
		return CZ_OK;
	}
	path = rc == CZ_OK ? cz_revid_path(&id, h.dir) : NULL;
	if (rc == CZ_OK)
		rc = cz_pkgrepo_sync_package(h.repo, path, err);
	if (rc == CZ_OK &&
	    git_has(&h, path, tagged ? "revision" : "workspace",
		    tagged ? id.revision : id.workspace)) {
		ref = cz_xasprintf("refs/%s/%s/%s", tagged ? "tags" : "heads",
				   path, tagged ? id.revision : id.workspace);
		rc = cz_pkgrepo_delete_ref(h.repo, ref, err);
	}
	free(ref);
	free(path);
	rev_repo_close(&h);
	return rc;
}

static int rev_remove(cz_api_call *c, const char *key, const json_t *cur,
		      int64_t expect_rv, cz_blob **out, cz_error *err)
{
	char *prr_key = NULL;
	int rc;

	if (!c->revisions)
		return not_served(c);
	rc = check_delete(c, cur);
	if (rc != CZ_OK)
		return rc;
	pthread_mutex_lock(&c->revisions->lock);
	rc = delete_in_git(c, cur, err);
	if (rc == CZ_OK)
		rc = cz_store_delete(c->store, key, expect_rv, out, err);
	if (rc == CZ_OK) {
		prr_key = rev_resources_key(cur);
		cz_store_delete(c->store, prr_key, 0, NULL, NULL);
	}
	pthread_mutex_unlock(&c->revisions->lock);
	free(prr_key);
	return rc == CZ_OK || rc == CZ_ECONFLICT ? rc : failed(c, rc, err);
}

const cz_storage cz_revision_storage = {
	.name = "git",
	.get = cached_get,
	.list = cached_list,
	.create = rev_create,
	.update = rev_update,
	.remove = rev_remove,
	.watch = cached_watch,
};

/* ---- PackageRevisionResources ------------------------------------------ */

static int with_revision(cz_api_call *c, const char *what)
{
	return cz_api_fail(c, CZ_EINVALID, 405, "MethodNotAllowed", NULL,
			   "package revision resources are %s with their "
			   "PackageRevision",
			   what);
}

static int res_create(cz_api_call *c, const char *key, json_t *obj,
		      cz_blob **out, cz_error *err)
{
	(void)key;
	(void)obj;
	(void)out;
	(void)err;
	return with_revision(c, "created");
}

static int res_remove(cz_api_call *c, const char *key, const json_t *cur,
		      int64_t expect_rv, cz_blob **out, cz_error *err)
{
	(void)key;
	(void)cur;
	(void)expect_rv;
	(void)out;
	(void)err;
	return with_revision(c, "deleted");
}

/* Every file a relative path inside the package, the whole under the
 * caps. */
static int check_files(cz_api_call *c, const json_t *files)
{
	size_t bytes = 0;
	const char *path;
	json_t *v;

	if (!json_is_object(files) || json_object_size(files) == 0)
		return invalid(c, "spec.resources: Required value: a package "
			       "has at least one file");
	if (json_object_size(files) > c->revisions->max_files)
		return cz_api_fail(c, CZ_ETOOLARGE, 413,
				   "RequestEntityTooLarge", NULL,
				   "spec.resources: %zu files, over the limit "
				   "of %zu",
				   json_object_size(files),
				   c->revisions->max_files);
	json_object_foreach ((json_t *)files, path, v) {
		if (!cz_pkgrepo_path_ok(path))
			return invalid(c, "spec.resources[\"%.200s\"]: Invalid "
				       "value: a relative path of segments "
				       "of [A-Za-z0-9._-], no \".\" or "
				       "\"..\"",
				       path);
		bytes += json_string_length(v) + strlen(path);
	}
	if (bytes > c->revisions->max_bytes)
		return cz_api_fail(c, CZ_ETOOLARGE, 413,
				   "RequestEntityTooLarge", NULL,
				   "spec.resources: %zu bytes, over the limit "
				   "of %zu",
				   bytes, c->revisions->max_bytes);
	return CZ_OK;
}

static int check_resources(cz_api_call *c, const json_t *cur,
			   const json_t *obj, json_t **pr)
{
	cz_revid a, b;
	cz_lifecycle lc;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	cz_revid_of(cur, &a);
	cz_revid_of(obj, &b);
	if (!cz_revid_same_package(&a, &b) || strcmp(a.revision, b.revision))
		return invalid(c, "spec.packageRevID: Invalid value: field is "
			       "immutable");
	rc = rev_load_named(c->store, rev_res(), c->ns, c->name, pr, &err);
	if (rc != CZ_OK)
		return cz_api_error(c, rc, err.msg);
	lc = lifecycle_of(*pr);
	if (lc == CZ_LC_PUBLISHED || lc == CZ_LC_DELETION_PROPOSED)
		return invalid(c, "spec.resources: Forbidden: the package "
			       "revision is %s: its resources are immutable",
			       cz_lifecycle_name(lc));
	return check_files(c, json_object_get(json_object_get(obj, "spec"),
					      "resources"));
}

static int write_resources(cz_api_call *c, const char *key, json_t *obj,
			   json_t *pr, int64_t expect_rv, cz_blob **out,
			   cz_error *err)
{
	cz_revid id;
	rev_repo h;
	char *path = NULL;
	char *pr_key = NULL;
	char commit[41] = "";
	char name[128], email[192], msg[160];
	cz_pkgrepo_who who;
	const json_t *files = json_object_get(json_object_get(obj, "spec"),
					      "resources");
	int rc;

	cz_revid_of(pr, &id);
	rc = rev_repo_open(c->revisions, c->store, c->ns, id.repository, &h,
			   err);
	path = cz_revid_path(&id, h.dir);
	rev_who(c, name, email, &who);
	snprintf(msg, sizeof(msg), "Update %.80s workspace %s", path,
		 id.workspace);
	if (rc == CZ_OK)
		rc = cz_pkgrepo_write_draft(h.repo, path, id.workspace, NULL,
					    files, &who, msg, commit, err);
	if (rc == CZ_OK) {
		json_t *status = json_pack("{s:I, s:s}", "files",
					   (json_int_t)json_object_size(files),
					   "commit", commit);

		json_object_set_new(obj, "status", status);
		rc = cz_store_update(c->store, key, obj, expect_rv, out, err);
	}
	if (rc == CZ_OK) {
		/* The revision's content changed: its watchers hear it. */
		json_object_set_new(json_object_get(pr, "status"), "commit",
				    json_string(commit));
		pr_key = cz_object_key(rev_res(), c->ns, c->name);
		cz_store_update(c->store, pr_key, pr, 0, NULL, NULL);
	}
	free(pr_key);
	free(path);
	rev_repo_close(&h);
	return rc;
}

static int res_update(cz_api_call *c, const char *key, const json_t *cur,
		      json_t *obj, int64_t expect_rv, cz_blob **out,
		      cz_error *err)
{
	json_t *pr = NULL;
	int rc;

	if (!c->revisions)
		return not_served(c);
	rc = check_resources(c, cur, obj, &pr);
	if (rc == CZ_OK) {
		pthread_mutex_lock(&c->revisions->lock);
		rc = write_resources(c, key, obj, pr, expect_rv, out, err);
		pthread_mutex_unlock(&c->revisions->lock);
		if (rc != CZ_OK && rc != CZ_ECONFLICT)
			rc = failed(c, rc, err);
	}
	json_decref(pr);
	return rc;
}

const cz_storage cz_revision_resources_storage = {
	.name = "git",
	.get = cached_get,
	.list = cached_list,
	.create = res_create,
	.update = res_update,
	.remove = res_remove,
	.watch = cached_watch,
};
