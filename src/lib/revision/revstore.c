/* The git storage of package revisions (revision/revstore.h): opening a
 * Repository's mirror, and the objects the store caches. */

#include "revision/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "git/source.h"
#include "object/meta.h"
#include "util/base64.h"
#include "util/duration.h"
#include "util/mem.h"

int cz_revstore_open(const cz_revstore_opts *o, cz_revstore **out,
		     cz_error *err)
{
	cz_revstore *rs;

	*out = NULL;
	if (!o->cache_dir || !*o->cache_dir)
		return cz_fail(err, CZ_EINVALID, "revisions: no cache "
			       "directory");
	/* libgit2 stays up while revisions are served, whatever else
	 * starts or stops (the garbage collector may delete a revision
	 * after the controllers are gone). */
	if (cz_git_init(err) != CZ_OK)
		return CZ_EIO;
	rs = cz_xcalloc(1, sizeof(*rs));
	rs->cache_dir = cz_xstrdup(o->cache_dir);
	rs->max_bytes = o->max_bytes ? o->max_bytes : REV_DEFAULT_MAX_BYTES;
	rs->max_files = o->max_files ? o->max_files : REV_DEFAULT_MAX_FILES;
	rs->push_retries = o->push_retries;
	rs->high_water = json_object();
	pthread_mutex_init(&rs->lock, NULL);
	*out = rs;
	return CZ_OK;
}

void cz_revstore_close(cz_revstore *rs)
{
	if (!rs)
		return;
	pthread_mutex_destroy(&rs->lock);
	json_decref(rs->high_water);
	free(rs->cache_dir);
	free(rs);
	cz_git_shutdown();
}

/* ---- resources and keys ------------------------------------------------ */

const cz_resource *rev_res(void)
{
	return cz_resource_find("pkg.pkgserver.dev", "v1alpha1",
				"packagerevisions");
}

const cz_resource *rev_res_resources(void)
{
	return cz_resource_find("pkg.pkgserver.dev", "v1alpha1",
				"packagerevisionresourceses");
}

const cz_resource *rev_res_repositories(void)
{
	return cz_resource_find("config.pkg.pkgserver.dev", "v1alpha1",
				"repositories");
}

/* The stored object at key, parsed; CZ_ENOTFOUND when absent. */
int rev_load(cz_store *store, const char *key, json_t **out, int64_t *rv,
	     cz_error *err)
{
	cz_blob *blob = NULL;
	int rc = cz_store_get(store, key, &blob, err);

	*out = NULL;
	if (rc != CZ_OK)
		return rc;
	*out = cz_blob_json(blob);
	if (rv)
		*rv = blob->rv;
	cz_blob_unref(blob);
	return *out ? CZ_OK
		    : cz_fail(err, CZ_ERR, "stored object %s is corrupt", key);
}

int rev_load_named(cz_store *store, const cz_resource *r, const char *ns,
		   const char *name, json_t **out, cz_error *err)
{
	char *key = cz_object_key(r, ns, name);
	int rc = rev_load(store, key, out, NULL, err);

	free(key);
	return rc;
}

/* ---- the Repository's mirror ------------------------------------------- */

static void wipe(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static int read_credentials(cz_store *store, const char *ns,
			    const char *name, rev_repo *h, cz_error *err)
{
	const cz_resource *secrets = cz_resource_find("", "v1", "secrets");
	json_t *secret = NULL;
	int rc = rev_load_named(store, secrets, ns, name, &secret, NULL);

	if (rc != CZ_OK) {
		json_decref(secret);
		return cz_fail(err, CZ_EINVALID,
			       "credentials: Secret %s/%s not found", ns, name);
	}
	h->username = cz_secret_value(secret, "username", 0, NULL);
	h->password = cz_secret_value(secret, "password", 0, NULL);
	h->token = cz_secret_value(secret, "token", 0, NULL);
	json_decref(secret);
	if (!h->password && !h->token)
		return cz_fail(err, CZ_EINVALID, "credentials: Secret %s/%s "
			       "has no password or token", ns, name);
	return CZ_OK;
}

const char *rev_repo_url(const json_t *repo)
{
	const char *url = json_string_value(json_object_get(
		json_object_get(json_object_get(repo, "spec"), "git"), "url"));

	return url ? url : "";
}

int rev_repo_open_object(cz_revstore *rs, cz_store *store, const json_t *repo,
			 rev_repo *h, cz_error *err)
{
	const json_t *spec = json_object_get(repo, "spec");
	const json_t *git = json_object_get(spec, "git");
	const char *creds = json_string_value(json_object_get(git,
							      "credentials"));
	const char *branch = json_string_value(json_object_get(git, "ref"));
	cz_pkgrepo_opts o;
	int rc = CZ_OK;

	memset(h, 0, sizeof(*h));
	h->name = cz_xstrdup(cz_meta_str(repo, "name"));
	h->dir = cz_pkgrepo_directory(
		json_string_value(json_object_get(git, "directory")));
	h->deployment = json_is_true(json_object_get(spec, "deployment"));
	memset(&o, 0, sizeof(o));
	o.git.url = json_string_value(json_object_get(git, "url"));
	o.git.cache_dir = rs->cache_dir;
	o.branch = branch && *branch ? branch : "main";
	o.push_retries = rs->push_retries;
	o.max_bytes = rs->max_bytes;
	o.max_files = rs->max_files;
	if (!o.git.url)
		return cz_fail(err, CZ_EINVALID, "Repository %s has no "
			       "spec.git.url", h->name);
	if (creds && *creds)
		rc = read_credentials(store, cz_meta_str(repo, "namespace"),
				      creds, h, err);
	o.git.username = h->username;
	o.git.password = h->password;
	o.git.bearer_token = h->token;
	if (rc == CZ_OK)
		rc = cz_pkgrepo_open(&o, &h->repo, err);
	h->url = cz_xstrdup(o.git.url);
	h->key = cz_xasprintf("%s\n%s", o.git.url, h->dir);
	return rc;
}

int rev_repo_open(cz_revstore *rs, cz_store *store, const char *ns,
		  const char *name, rev_repo *h, cz_error *err)
{
	json_t *repo = NULL;
	int rc = rev_load_named(store, rev_res_repositories(), ns, name, &repo,
				NULL);

	memset(h, 0, sizeof(*h));
	if (rc == CZ_ENOTFOUND)
		rc = cz_fail(err, CZ_ENOTFOUND,
			     "spec.packageRevID.repository: Not found: "
			     "\"%s\": no Repository %s/%s",
			     name, ns, name);
	if (rc == CZ_OK)
		rc = rev_repo_open_object(rs, store, repo, h, err);
	json_decref(repo);
	return rc;
}

void rev_repo_close(rev_repo *h)
{
	cz_pkgrepo_close(h->repo);
	free(h->name);
	free(h->dir);
	free(h->key);
	free(h->url);
	free(h->username);
	wipe(h->password);
	wipe(h->token);
	memset(h, 0, sizeof(*h));
}

/* ---- objects the store caches ------------------------------------------ */

void rev_set_ready(json_t *obj, const char *reason, const char *message)
{
	json_t *status = json_object_get(obj, "status");
	json_t *cond, *conds, *c;
	size_t i;

	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(obj, "status", status);
	}
	cond = cz_condition_new(cz_condition(obj, "Ready"), "Ready", "True",
				reason, message, -1);
	conds = json_pack("[o]", cond);
	/* The readiness gates' conditions are the controllers': kept. */
	json_array_foreach (json_object_get(status, "conditions"), i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));

		if (type && strcmp(type, "Ready") != 0)
			json_array_append(conds, c);
	}
	json_object_set_new(status, "conditions", conds);
}

json_t *rev_resources_new(const json_t *pr, const json_t *files,
			  const char *commit)
{
	const json_t *meta = json_object_get(pr, "metadata");
	json_t *m = json_object();
	json_t *obj;
	static const char *const copied[] = { "name",	   "namespace",
					      "uid",	   "creationTimestamp",
					      "labels",    "annotations",
					      NULL };

	for (size_t i = 0; copied[i]; i++)
		if (json_object_get(meta, copied[i]))
			json_object_set(m, copied[i],
					json_object_get(meta, copied[i]));
	obj = json_pack("{s:s, s:s, s:o, s:{s:O, s:O}, s:{s:I, s:s}}",
			"apiVersion", "pkg.pkgserver.dev/v1alpha1", "kind",
			"PackageRevisionResources", "metadata", m, "spec",
			"packageRevID",
			json_object_get(json_object_get(pr, "spec"),
					"packageRevID"),
			"resources", files, "status", "files",
			(json_int_t)json_object_size(files), "commit", commit);
	return obj;
}

char *rev_resources_key(const json_t *pr)
{
	return cz_object_key(rev_res_resources(), cz_meta_str(pr, "namespace"),
			     cz_meta_str(pr, "name"));
}

/* ---- who writes -------------------------------------------------------- */

void rev_who(const cz_api_call *c, char name[128], char email[192],
	     cz_pkgrepo_who *who)
{
	const char *user = c->user && c->user->name ? c->user->name
						   : "cozypkgd";

	snprintf(name, 128, "%s", user);
	snprintf(email, 192, "%s@cozypkg.invalid", user);
	for (char *p = email; *p; p++)
		if (*p == ' ' || *p == '<' || *p == '>')
			*p = '-';
	who->name = name;
	who->email = email;
}

/* ---- revision numbers -------------------------------------------------- */

unsigned long rev_highest_tag(const json_t *list, const char *path)
{
	unsigned long max = 0;
	size_t i;
	json_t *e;

	json_array_foreach (list, i, e) {
		const json_t *r = json_object_get(e, "revision");
		const char *rev = json_string_value(r);
		const char *p = json_string_value(json_object_get(e, "path"));
		unsigned long n;

		if (!rev || strcmp(p, path) != 0)
			continue;
		n = cz_revid_number(rev);
		if (n > max)
			max = n;
	}
	return max;
}

int rev_next_revision(cz_revstore *rs, rev_repo *h, const char *path,
		      unsigned long *out, cz_error *err)
{
	json_t *seen = json_object_get(rs->high_water, h->key);
	json_t *maxima;
	json_t *list = NULL;
	char tip[41];
	const char *since;
	unsigned long n;
	int rc;

	if (!seen) {
		seen = json_pack("{s:s, s:{}}", "tip", "", "max");
		json_object_set_new(rs->high_water, h->key, seen);
	}
	maxima = json_object_get(seen, "max");
	since = json_string_value(json_object_get(seen, "tip"));
	rc = cz_pkgrepo_scan_publishes(h->repo, since, maxima, tip, err);
	if (rc == CZ_OK)
		rc = cz_pkgrepo_list(h->repo, path, &list, err);
	if (rc != CZ_OK)
		goto cleanup;
	if (*tip)
		json_object_set_new(seen, "tip", json_string(tip));
	n = (unsigned long)json_integer_value(json_object_get(maxima, path));
	if (rev_highest_tag(list, path) > n)
		n = rev_highest_tag(list, path);
	*out = n + 1;
	/* Allocated: a publish that fails after this still used it. */
	json_object_set_new(maxima, path, json_integer((json_int_t)*out));
cleanup:
	json_decref(list);
	return rc;
}
