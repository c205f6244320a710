/*
 * The Repository controller (config.pkg.pkgserver.dev Repository): keeps
 * each repository's status current from the cheap "changed?" check, an
 * ls-remote: Ready, the commit of the published branch, the number of
 * published revisions (revision tags under the directory), and the last
 * and next sync times.  Synced every --repository-interval and at once
 * when the spec or the reconcile.fluxcd.io/requestedAt annotation
 * changes.  An unreachable or refusing remote makes it Ready=False with
 * the cause, and the last good commit and count stay.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/internal.h"
#include "git/pkgrepo.h"
#include "git/source.h"
#include "util/base64.h"
#include "util/duration.h"
#include "util/mem.h"

#define REQUESTED_AT "reconcile.fluxcd.io/requestedAt"
/* One sync must not hold the worker for long. */
#define LIST_TIMEOUT_S 30

static const cz_resource *res_repositories(void)
{
	return cz_resource_find("config.pkg.pkgserver.dev", "v1alpha1",
				"repositories");
}

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Our own status writes come back as updates: only a new generation or
 * a new request is work. */
static void on_repository(void *ctx, json_t *old, json_t *new_obj)
{
	cz_manager *m = ctx;

	if (!new_obj)
		return;
	if (old &&
	    json_equal(json_object_get(json_object_get(old, "metadata"),
				       "generation"),
		       json_object_get(json_object_get(new_obj, "metadata"),
				       "generation")) &&
	    same_string(cz_annotation(old, REQUESTED_AT),
			cz_annotation(new_obj, REQUESTED_AT)))
		return;
	cz_enqueue_object(&m->ctl[CZ_C_REPOSITORY], new_obj);
}

void cz_repository_controller_setup(cz_manager *m)
{
	if (m->inf[CZ_W_REPOSITORIES])
		cz_informer_on_change(m->inf[CZ_W_REPOSITORIES], on_repository,
				      m);
}

/* ---- credentials --------------------------------------------------------- */

typedef struct repo_auth {
	char *username, *password, *token;
} repo_auth;

static void auth_release(repo_auth *a)
{
	if (a->password)
		explicit_bzero(a->password, strlen(a->password));
	if (a->token)
		explicit_bzero(a->token, strlen(a->token));
	free(a->username);
	free(a->password);
	free(a->token);
}

/* The credentials Secret named in the spec: basic-auth (username,
 * password) or a token. */
static int read_auth(cz_kube *kube, const char *ns, const char *name,
		     repo_auth *a, cz_error *err)
{
	const cz_resource *secrets = cz_resource_find("", "v1", "secrets");
	char *path = cz_kube_path(secrets, ns, name, NULL, NULL);
	json_t *secret = NULL;
	int rc = cz_kube_get(kube, path, &secret, err);

	if (rc == CZ_OK) {
		a->username = cz_secret_value(secret, "username", 0, NULL);
		a->password = cz_secret_value(secret, "password", 0, NULL);
		a->token = cz_secret_value(secret, "token", 0, NULL);
		if (!a->password && !a->token)
			rc = cz_fail(err, CZ_EINVALID, "Secret %s/%s has no "
				     "password or token", ns, name);
	} else {
		cz_error_prefix(err, "credentials");
	}
	json_decref(secret);
	free(path);
	return rc;
}

/* ---- what the remote says ---------------------------------------------- */

/* Revision tags ("refs/tags/[<dir>/]<path>/vN") among refs. */
static json_int_t count_revisions(const json_t *refs, const char *dir)
{
	char *prefix = cz_xasprintf("refs/tags/%s%s", dir, *dir ? "/" : "");
	size_t plen = strlen(prefix);
	json_int_t n = 0;
	const char *name;
	json_t *v;

	json_object_foreach ((json_t *)refs, name, v) {
		const char *last = strrchr(name, '/');

		if (strncmp(name, prefix, plen) == 0 && last &&
		    last > name + plen && cz_pkgrepo_revision_ok(last + 1))
			n++;
	}
	free(prefix);
	return n;
}

static void rfc3339_at(int64_t unix_s, char out[32])
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The status after a sync: synced (commit, count) or failed (message),
 * keeping what the last good sync found. */
static json_t *sync_status(const json_t *repo, const char *commit,
			   json_int_t revisions, const char *failure,
			   const char *branch, int64_t interval_s)
{
	const json_t *old = json_object_get(repo, "status");
	json_int_t gen = json_integer_value(json_object_get(
		json_object_get(repo, "metadata"), "generation"));
	json_t *status = json_object();
	char now[32], next[32], *msg;

	rfc3339_at(time(NULL), now);
	rfc3339_at(time(NULL) + interval_s, next);
	msg = failure ? cz_xstrdup(failure)
		      : cz_xasprintf("synced %s at %.12s, %lld revision(s)",
				     branch, commit, (long long)revisions);
	json_object_set_new(
		status, "conditions",
		json_pack("[o]", cz_condition_new(
					 cz_condition(repo, "Ready"), "Ready",
					 failure ? "False" : "True",
					 failure ? "SyncFailed" : "Synced",
					 msg, gen)));
	json_object_set_new(status, "lastSyncTime", json_string(now));
	json_object_set_new(status, "nextSyncTime", json_string(next));
	if (!failure) {
		json_object_set_new(status, "lastSyncedCommit",
				    json_string(commit));
		json_object_set_new(status, "revisions",
				    json_integer(revisions));
	} else {
		json_t *c = json_object_get(old, "lastSyncedCommit");
		json_t *r = json_object_get(old, "revisions");

		if (c)
			json_object_set(status, "lastSyncedCommit", c);
		if (r)
			json_object_set(status, "revisions", r);
	}
	free(msg);
	return status;
}

/* Lists the remote and finds the branch's commit and the revisions. */
static int sync_remote(cz_kube *kube, const json_t *repo, const char *branch,
		       char **commit, json_int_t *revisions, cz_error *err)
{
	const json_t *git = json_object_get(json_object_get(repo, "spec"),
					    "git");
	const char *creds = json_string_value(json_object_get(git,
							      "credentials"));
	char *dir = cz_pkgrepo_directory(
		json_string_value(json_object_get(git, "directory")));
	char *head = cz_xasprintf("refs/heads/%s", branch);
	cz_git_options o;
	repo_auth auth = { NULL, NULL, NULL };
	json_t *refs = NULL;
	int rc = CZ_OK;

	memset(&o, 0, sizeof(o));
	o.url = json_string_value(json_object_get(git, "url"));
	o.timeout_s = LIST_TIMEOUT_S;
	if (creds && *creds)
		rc = read_auth(kube, cz_meta_str(repo, "namespace"), creds,
			       &auth, err);
	o.username = auth.username;
	o.password = auth.password;
	o.bearer_token = auth.token;
	if (rc == CZ_OK)
		rc = cz_git_list_refs(&o, &refs, err);
	if (rc == CZ_OK && !json_object_get(refs, head))
		rc = cz_fail(err, CZ_ENOTFOUND, "branch %s not found", branch);
	if (rc == CZ_OK) {
		*commit = cz_xstrdup(json_string_value(json_object_get(refs,
								       head)));
		*revisions = count_revisions(refs, dir);
	}
	json_decref(refs);
	auth_release(&auth);
	free(head);
	free(dir);
	return rc;
}

/* The revisions the remote has, into the server's storage (in process
 * only); a failure is the sync's. */
static void discover(cz_manager *m, const json_t *repo, cz_error *why)
{
	cz_error err = CZ_ERROR_INIT;

	if (!m->opts.discover_revisions ||
	    m->opts.discover_revisions(m->opts.revisions_ctx, repo, &err) ==
		    CZ_OK)
		return;
	*why = err;
	cz_error_prefix(why, "discovery");
}

int cz_repository_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			    cz_error *err)
{
	json_t *repo = m->inf[CZ_W_REPOSITORIES]
			       ? cz_informer_get_key(m->inf[CZ_W_REPOSITORIES],
						     key)
			       : NULL;
	const json_t *spec = json_object_get(repo, "spec");
	const char *type = json_string_value(json_object_get(spec, "type"));
	const char *branch = json_string_value(json_object_get(
		json_object_get(spec, "git"), "ref"));
	int64_t interval_s = m->opts.repository_interval_ns / 1000000000;
	cz_error why = CZ_ERROR_INIT;
	char *commit = NULL;
	json_int_t revisions = 0;
	json_t *status = NULL;
	int rc = CZ_OK;

	if (!repo || cz_meta_str(repo, "deletionTimestamp"))
		goto cleanup;
	branch = branch && *branch ? branch : "main";
	if (type && strcmp(type, "git") != 0)
		cz_fail(&why, CZ_EINVALID, "%s repositories are not "
			"implemented", type);
	else if (sync_remote(kube, repo, branch, &commit, &revisions,
			     &why) == CZ_OK)
		discover(m, repo, &why);
	status = sync_status(repo, commit, revisions,
			     why.code ? why.msg : NULL, branch, interval_s);
	rc = cz_write_status(kube, res_repositories(), repo, status, NULL,
			     err);
	if (rc == CZ_OK)
		cz_queue_add_after(m->ctl[CZ_C_REPOSITORY].queue, key,
				   m->opts.repository_interval_ns);
cleanup:
	json_decref(status);
	json_decref(repo);
	free(commit);
	return rc;
}
