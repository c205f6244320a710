/* Discovery: the store's package revisions of a Repository made to agree
 * with its git remote (revision/revstore.h). */

#include "revision/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/meta.h"
#include "util/duration.h"
#include "util/mem.h"

typedef struct sync_state {
	cz_revstore *rs;
	cz_store *store;
	const json_t *repo;
	rev_repo h;
	const char *ns;
	/* "T <path> <rev>" or "B <path> <workspace>" -> the stored
	 * revision, for the Repository's revisions in the store. */
	json_t *known;
	json_t *seen; /* the same keys, for what git has */
	json_t *batch_keys, *batch_objs; /* to create in one transaction */
} sync_state;

static char *ref_key(bool tag, const char *path, const char *last)
{
	return cz_xasprintf("%c %s %s", tag ? 'T' : 'B', path, last);
}

/* The Repository's revisions in the store, by their git ref. */
static int load_known(sync_state *s, cz_error *err)
{
	char *prefix = cz_list_prefix(rev_res(), s->ns);
	const char *name = cz_meta_str(s->repo, "name");
	cz_blob **items = NULL;
	size_t n = 0;
	int64_t rv;
	int rc = cz_store_list(s->store, prefix, NULL, &items, &n, &rv, err);

	for (size_t i = 0; rc == CZ_OK && i < n; i++) {
		json_t *obj = cz_blob_json(items[i]);
		cz_revid id;
		char *path, *key;

		cz_revid_of(obj, &id);
		if (!obj || strcmp(id.repository, name) != 0) {
			json_decref(obj);
			continue;
		}
		path = cz_revid_path(&id, s->h.dir);
		key = *id.revision ? ref_key(true, path, id.revision)
				   : ref_key(false, path, id.workspace);
		json_object_set_new(s->known, key, obj);
		free(key);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(items[i]);
	free(items);
	free(prefix);
	return rc;
}

/* A published revision's object, as pkgserver's discovery makes it. */
static json_t *discovered_new(sync_state *s, const cz_revid *id,
			      const char *commit)
{
	char *name = cz_revid_name(id);
	char uid[37], now[32];
	json_t *obj;

	cz_new_uid(uid);
	cz_now_rfc3339(now);
	obj = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:I, s:{s:s}},"
		" s:{s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s}, s:{s:s}}",
		"apiVersion", "pkg.pkgserver.dev/v1alpha1", "kind",
		"PackageRevision", "metadata", "name", name, "namespace", s->ns,
		"uid", uid, "creationTimestamp", now, "generation",
		(json_int_t)1, "annotations", REV_DISCOVERED, "true", "spec",
		"packageRevID", "target", id->target, "repository",
		id->repository, "realm", id->realm, "package", id->package,
		"workspace", id->workspace, "revision", id->revision,
		"lifecycle", "published", "status", "commit", commit);
	rev_set_ready(obj, "Published", "discovered in git");
	free(name);
	return obj;
}

/* Adds obj at key (taken) to what discovery creates in one
 * transaction. */
static void batch_add(sync_state *s, char *key, json_t *obj)
{
	json_array_append_new(s->batch_keys, json_string(key));
	json_array_append(s->batch_objs, obj);
	free(key);
}

/* Stores pr and its resources read from git at ref: updated at once (a
 * completed publish), or created with the rest of the batch. */
static int store_with_resources(sync_state *s, json_t *pr, const char *ref,
				const char *path, bool update, cz_error *err)
{
	json_t *files = NULL;
	json_t *prr = NULL;
	char *pr_key = cz_object_key(rev_res(), s->ns, cz_meta_str(pr, "name"));
	char *prr_key = rev_resources_key(pr);
	const char *commit = json_string_value(json_object_get(
		json_object_get(pr, "status"), "commit"));
	int rc = cz_pkgrepo_read(s->h.repo, ref, path, &files, err);

	if (rc == CZ_OK)
		prr = rev_resources_new(pr, files, commit ? commit : "");
	if (rc == CZ_OK && !update) {
		batch_add(s, pr_key, pr);
		batch_add(s, prr_key, prr);
		pr_key = prr_key = NULL;
	} else if (rc == CZ_OK) {
		rc = cz_store_update(s->store, pr_key, pr, 0, NULL, err);
		if (rc == CZ_OK &&
		    cz_store_update(s->store, prr_key, prr, 0, NULL, NULL) ==
			    CZ_ENOTFOUND)
			rc = cz_store_create(s->store, prr_key, prr, NULL, err);
	}
	json_decref(files);
	json_decref(prr);
	free(pr_key);
	free(prr_key);
	return rc;
}

/* Creates the batch in one transaction; when a name is taken (a draft
 * whose workspace looks like a revision), one at a time, skipping it. */
static int flush_batch(sync_state *s, cz_error *err)
{
	size_t n = json_array_size(s->batch_keys);
	const char **keys = cz_xcalloc(n ? n : 1, sizeof(*keys));
	json_t **objs = cz_xcalloc(n ? n : 1, sizeof(*objs));
	int rc = CZ_OK;

	for (size_t i = 0; i < n; i++) {
		keys[i] = json_string_value(json_array_get(s->batch_keys, i));
		objs[i] = json_array_get(s->batch_objs, i);
	}
	if (n)
		rc = cz_store_create_batch(s->store, n, keys, objs, err);
	for (size_t i = 0; rc == CZ_EEXISTS && i < n; i++) {
		int one = cz_store_create(s->store, keys[i], objs[i], NULL,
					  err);

		if (one != CZ_OK && one != CZ_EEXISTS) {
			rc = one;
			break;
		}
	}
	if (rc == CZ_EEXISTS)
		rc = CZ_OK;
	free(keys);
	free(objs);
	return rc;
}

/* "Publish <path> vN (workspace W)": the draft a tag was published from
 * (malloc'ed), or NULL. */
static char *published_workspace(sync_state *s, const char *commit,
				 const char *path, const char *rev)
{
	char *msg = NULL;
	char *head = cz_xasprintf("Publish %s %s (workspace ", path, rev);
	char *ws = NULL;

	if (cz_pkgrepo_commit_message(s->h.repo, commit, &msg, NULL) ==
		    CZ_OK &&
	    strncmp(msg, head, strlen(head)) == 0) {
		const char *w = msg + strlen(head);
		const char *end = strchr(w, ')');

		if (end)
			ws = cz_xstrndup(w, (size_t)(end - w));
	}
	free(msg);
	free(head);
	return ws;
}

/* The draft branch a publish cut short did not get to delete; when the
 * push fails the branch stays, and the next publish of the workspace
 * would find its content published already. */
static void drop_branch(sync_state *s, const char *path, const char *ws,
			const char *key)
{
	char *branch = cz_xasprintf("refs/heads/%s/%s", path, ws);

	if (json_object_get(s->seen, key))
		cz_pkgrepo_delete_ref(s->h.repo, branch, NULL);
	free(branch);
}

/* A tag the store does not know: a publish cut short (its draft is in the
 * store) is completed, anything else is a discovered revision. */
static int adopt_tag(sync_state *s, const json_t *e, cz_error *err)
{
	const char *path = json_string_value(json_object_get(e, "path"));
	const char *rev = json_string_value(json_object_get(e, "revision"));
	const char *commit = json_string_value(json_object_get(e, "commit"));
	char *ref = cz_xasprintf("refs/tags/%s/%s", path, rev);
	char *ws = published_workspace(s, commit, path, rev);
	char *draft_key = ws ? ref_key(false, path, ws) : NULL;
	json_t *draft = draft_key ? json_object_get(s->known, draft_key) : NULL;
	cz_revid_parts parts;
	json_t *obj = NULL;
	int rc = CZ_OK;

	if (draft) {
		obj = json_deep_copy(draft);
		json_object_set_new(json_object_get(obj, "spec"), "lifecycle",
				    json_string("published"));
		json_object_set_new(json_object_get(json_object_get(obj,
								    "spec"),
						    "packageRevID"),
				    "revision", json_string(rev));
		rev_set_ready(obj, "Published", "published (completed)");
		json_object_set_new(json_object_get(obj, "status"), "commit",
				    json_string(commit));
		rc = store_with_resources(s, obj, ref, path, true, err);
		drop_branch(s, path, ws, draft_key);
		json_object_set_new(s->seen, draft_key, json_true());
	} else if (cz_revid_parse_path(path, s->h.dir, s->h.deployment,
				       &parts) == CZ_OK) {
		cz_revid id = { parts.target, s->h.name, parts.realm,
				parts.package, rev, rev };

		if (cz_revid_check(&id, NULL) == CZ_OK) {
			obj = discovered_new(s, &id, commit);
			rc = store_with_resources(s, obj, ref, path, false,
						  err);
		}
		cz_revid_parts_free(&parts);
	}
	json_decref(obj);
	free(draft_key);
	free(ws);
	free(ref);
	return rc;
}

static const char *entry_str(const json_t *e, const char *key)
{
	return json_string_value(json_object_get(e, key));
}

/* First what git has, then the tags the store does not know. */
static int walk_git(sync_state *s, cz_error *err)
{
	json_t *list = NULL;
	size_t i;
	json_t *e;
	int rc = cz_pkgrepo_list(s->h.repo, s->h.dir, &list, err);

	json_array_foreach (list, i, e) {
		const char *rev = entry_str(e, "revision");
		char *key = ref_key(rev != NULL, entry_str(e, "path"),
				    rev ? rev : entry_str(e, "workspace"));

		json_object_set_new(s->seen, key, json_true());
		free(key);
	}
	json_array_foreach (list, i, e) {
		const char *rev = entry_str(e, "revision");
		char *key = rev ? ref_key(true, entry_str(e, "path"), rev)
				: NULL;

		if (rc == CZ_OK && key && !json_object_get(s->known, key))
			rc = adopt_tag(s, e, err);
		free(key);
	}
	json_decref(list);
	return rc;
}

/* Revisions whose tag or branch is gone from git leave the store. */
static void drop_vanished(sync_state *s)
{
	const char *key;
	json_t *obj;

	json_object_foreach (s->known, key, obj) {
		char *pr_key, *prr_key;

		if (json_object_get(s->seen, key))
			continue;
		pr_key = cz_object_key(rev_res(), s->ns,
				       cz_meta_str(obj, "name"));
		prr_key = rev_resources_key(obj);
		cz_store_delete(s->store, pr_key, 0, NULL, NULL);
		cz_store_delete(s->store, prr_key, 0, NULL, NULL);
		free(pr_key);
		free(prr_key);
	}
}

int cz_revstore_sync(cz_revstore *rs, cz_store *store, const json_t *repo,
		     cz_error *err)
{
	sync_state s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.rs = rs;
	s.store = store;
	s.repo = repo;
	s.ns = cz_meta_str(repo, "namespace");
	s.known = json_object();
	s.seen = json_object();
	s.batch_keys = json_array();
	s.batch_objs = json_array();
	pthread_mutex_lock(&rs->lock);
	rc = rev_repo_open_object(rs, store, repo, &s.h, err);
	if (rc == CZ_OK)
		rc = cz_pkgrepo_sync(s.h.repo, err);
	if (rc == CZ_OK)
		rc = load_known(&s, err);
	if (rc == CZ_OK)
		rc = walk_git(&s, err);
	if (rc == CZ_OK)
		rc = flush_batch(&s, err);
	/* Only a complete picture of git may remove anything. */
	if (rc == CZ_OK)
		drop_vanished(&s);
	rev_repo_close(&s.h);
	pthread_mutex_unlock(&rs->lock);
	json_decref(s.known);
	json_decref(s.seen);
	json_decref(s.batch_keys);
	json_decref(s.batch_objs);
	return rc;
}
