/* Package repositories in git: a mirror, revision tags, draft branches,
 * and publishing without force (git/pkgrepo.h). */

#include "git/pkgrepo.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "git/internal.h"
#include "util/mem.h"

#define DEFAULT_RETRIES 5
#define DEFAULT_MAX_FILES 10000
#define DEFAULT_MAX_BYTES (16u * 1024 * 1024)

struct cz_pkgrepo {
	gctx c; /* first: the callbacks' payload is the repository */
	cz_pkgrepo_opts o;
	git_repository *repo;
	int lock_fd;
	char *branch_ref; /* refs/heads/<branch> */
	char *url, *cache_dir; /* copies o.git points to */
	char *push_status; /* why the last push refused a ref, or NULL */
	/* The package whose refs the last fetch brought and nothing has
	 * pushed since: a write to it need not fetch again.  A remote that
	 * moved meanwhile refuses the push, and the retry fetches. */
	char *fresh_path;
};

/* ---- names ------------------------------------------------------------- */

bool cz_pkgrepo_workspace_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)name[i]) ||
		      isdigit((unsigned char)name[i]) || name[i] == '-'))
			return false;
	return true;
}

char *cz_pkgrepo_directory(const char *d)
{
	size_t len;

	while (d && *d == '/')
		d++;
	len = d ? strlen(d) : 0;
	while (len && d[len - 1] == '/')
		len--;
	return cz_xstrndup(d ? d : "", len);
}

static bool segment_ok(const char *s, size_t n)
{
	if (n == 0 || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

bool cz_pkgrepo_path_ok(const char *path)
{
	const char *p = path;

	if (!p || !*p)
		return false;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (!segment_ok(p, n))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

/* ---- open, sync -------------------------------------------------------- */

static int on_push_update(const char *ref, const char *status, void *payload)
{
	cz_pkgrepo *r = payload;

	if (status && !r->push_status)
		r->push_status = cz_xasprintf("%s: %s", ref, status);
	return 0;
}

int cz_pkgrepo_open(const cz_pkgrepo_opts *o, cz_pkgrepo **out,
		    cz_error *err)
{
	cz_pkgrepo *r = cz_xcalloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	r->o = *o;
	r->url = cz_xstrdup(o->git.url ? o->git.url : "");
	r->cache_dir = cz_xstrdup(o->git.cache_dir ? o->git.cache_dir : ".");
	r->o.git.url = r->url;
	r->o.git.cache_dir = r->cache_dir;
	r->lock_fd = -1;
	r->branch_ref = cz_xasprintf("refs/heads/%s",
				     o->branch && *o->branch ? o->branch
							     : "main");
	rc = cz_gctx_init(&r->c, &r->o.git, err);
	if (rc == CZ_OK)
		rc = cz_gctx_cache_open(&r->c, 1, &r->repo, &r->lock_fd, err);
	if (rc != CZ_OK) {
		cz_pkgrepo_close(r);
		return rc;
	}
	r->c.cbs.push_update_reference = on_push_update;
	*out = r;
	return CZ_OK;
}

void cz_pkgrepo_close(cz_pkgrepo *r)
{
	if (!r)
		return;
	git_repository_free(r->repo);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	cz_gctx_release(&r->c);
	free(r->branch_ref);
	free(r->push_status);
	free(r->fresh_path);
	free(r->url);
	free(r->cache_dir);
	free(r);
}

/* Each operation gets its own time and byte budget. */
static void budget_reset(cz_pkgrepo *r)
{
	r->c.bytes = 0;
	r->c.objects = 0;
	r->c.cred_calls = 0;
	r->c.why = WHY_NONE;
	clock_gettime(CLOCK_MONOTONIC, &r->c.t0);
}

/* Fetches the refs of specs, pruning those gone upstream. */
/*
 * A new budget, fetch options with r's credentials and headers, and
 * *remote connected for fetching (the caller frees it in any case).
 * Connected first: libgit2 1.5's fetch leaks its copy of the headers
 * when its own connection is refused.
 */
static int connect_fetch(cz_pkgrepo *r, git_fetch_options *fo,
			 git_remote **remote, cz_error *err)
{
	budget_reset(r);
	git_fetch_options_init(fo, GIT_FETCH_OPTIONS_VERSION);
	fo->callbacks = r->c.cbs;
	fo->custom_headers = r->c.custom_headers;
	fo->update_fetchhead = 0;
	fo->download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (cz_git_remote_new(remote, r->repo, r->o.git.url) < 0)
		return cz_gctx_fail(&r->c, err, -1, "opening");
	return cz_gctx_connect(&r->c, *remote, GIT_DIRECTION_FETCH, err);
}

static int fetch(cz_pkgrepo *r, char **specs, size_t n, cz_error *err)
{
	git_strarray arr = { specs, n };
	git_fetch_options fo;
	git_remote *remote = NULL;
	int rc = connect_fetch(r, &fo, &remote, err);

	fo.prune = GIT_FETCH_PRUNE;
	if (rc == CZ_OK && git_remote_fetch(remote, &arr, &fo, NULL) < 0)
		rc = cz_gctx_fail(&r->c, err, -1, "fetching");
	git_remote_free(remote);
	return rc;
}

/* A fetch writes each new ref as a file of its own: with thousands of
 * revision tags every later listing would open thousands of files.  One
 * packed-refs file is read at once.  A failure only costs speed. */
static void pack_refs(cz_pkgrepo *r)
{
	git_refdb *db = NULL;

	if (git_repository_refdb(&db, r->repo) == 0 &&
	    git_refdb_compress(db) < 0)
		git_error_clear();
	git_refdb_free(db);
}

int cz_pkgrepo_sync(cz_pkgrepo *r, cz_error *err)
{
	char *specs[] = { "+refs/heads/*:refs/heads/*",
			  "+refs/tags/*:refs/tags/*" };
	int rc = fetch(r, specs, 2, err);

	if (rc == CZ_OK)
		pack_refs(r);
	return rc;
}

/* Fetches what a write to path needs unless it is fresh. */
static int sync_for_write(cz_pkgrepo *r, const char *path, cz_error *err)
{
	if (r->fresh_path && strcmp(r->fresh_path, path) == 0)
		return CZ_OK;
	return cz_pkgrepo_sync_package(r, path, err);
}

int cz_pkgrepo_sync_package(cz_pkgrepo *r, const char *path, cz_error *err)
{
	char *specs[3];
	int rc;

	specs[0] = cz_xasprintf("+%s:%s", r->branch_ref, r->branch_ref);
	specs[1] = cz_xasprintf("+refs/heads/%s/*:refs/heads/%s/*", path,
				path);
	specs[2] = cz_xasprintf("+refs/tags/%s/*:refs/tags/%s/*", path, path);
	rc = fetch(r, specs, 3, err);
	for (size_t i = 0; i < 3; i++)
		free(specs[i]);
	free(r->fresh_path);
	r->fresh_path = rc == CZ_OK ? cz_xstrdup(path) : NULL;
	return rc;
}

/* The tag one of specs ("src:dst") would move on the remote, or NULL.
 * A tag is only ever created: receive.denyNonFastForwards guards
 * branches only, and libgit2 sends a tag on a descendant of the commit
 * the remote's tag names as a fast-forward, so another writer's tag
 * would silently be taken over.  git push refuses that ("already
 * exists"); so do we.  A tag the remote lacks is sent with a zero old
 * value, which receive-pack creates only if it still does not exist. */
static const char *moves_tag(cz_pkgrepo *r, git_remote *remote, char **specs,
			     size_t n)
{
	const git_remote_head **heads;
	size_t nh;

	if (git_remote_ls(&heads, &nh, remote) < 0)
		return NULL; /* the push itself reports it */
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(specs[i], ':');
		const char *dst = colon ? colon + 1 : specs[i];
		char *src;
		git_oid local;
		int have;

		if (specs[i][0] == ':' || strncmp(dst, "refs/tags/", 10) != 0)
			continue;
		src = colon ? cz_xstrndup(specs[i], (size_t)(colon - specs[i]))
			    : cz_xstrdup(specs[i]);
		have = git_reference_name_to_id(&local, r->repo, src);
		free(src);
		for (size_t j = 0; j < nh; j++)
			if (strcmp(heads[j]->name, dst) == 0 &&
			    (have < 0 || !git_oid_equal(&heads[j]->oid, &local)))
				return dst;
	}
	return NULL;
}

/* Pushes specs (never forced, and never moving a tag); *rejected when
 * the remote refused one, which the caller may fetch and retry. */
static int push(cz_pkgrepo *r, char **specs, size_t n, bool *rejected,
		cz_error *err)
{
	git_strarray arr = { specs, n };
	git_push_options po;
	git_remote *remote = NULL;
	const char *moved = NULL;
	int rc;

	budget_reset(r);
	free(r->push_status);
	r->push_status = NULL;
	free(r->fresh_path);
	r->fresh_path = NULL;
	*rejected = false;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	po.callbacks = r->c.cbs;
	po.custom_headers = r->c.custom_headers;
	rc = cz_git_remote_new(&remote, r->repo, r->o.git.url);
	if (rc == 0 &&
	    cz_gctx_connect(&r->c, remote, GIT_DIRECTION_PUSH, NULL) != CZ_OK)
		rc = -1;
	if (rc == 0 && (moved = moves_tag(r, remote, specs, n)) != NULL)
		r->push_status = cz_xasprintf("%s: already exists", moved);
	else if (rc == 0)
		rc = git_remote_push(remote, &arr, &po);
	/* The remote moved since our fetch: found before sending. */
	if (rc == GIT_ENONFASTFORWARD)
		*rejected = true;
	if (rc < 0)
		rc = cz_gctx_fail(&r->c, err, rc, "pushing to");
	else if (r->push_status) {
		*rejected = true;
		rc = cz_fail(err, CZ_EAGAIN, "%s refused %s", r->c.url_safe,
			     r->push_status);
	}
	git_remote_free(remote);
	return rc;
}

/* ---- listing ----------------------------------------------------------- */

bool cz_pkgrepo_revision_ok(const char *s)
{
	if (s[0] != 'v' || !s[1])
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

static int by_path_then_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "path")),
		       json_string_value(json_object_get(y, "path")));
	const char *nx = json_string_value(json_object_get(x, "revision"));
	const char *ny = json_string_value(json_object_get(y, "revision"));

	if (c)
		return c;
	if (!nx)
		nx = json_string_value(json_object_get(x, "workspace"));
	if (!ny)
		ny = json_string_value(json_object_get(y, "workspace"));
	return strcmp(nx, ny);
}

/* The entry for one ref, or NULL when it is no revision or draft. */
static json_t *ref_entry(cz_pkgrepo *r, git_reference *ref,
			 const char *prefix)
{
	const char *name = git_reference_name(ref);
	bool tag = strncmp(name, "refs/tags/", 10) == 0;
	const char *rest = name + (tag ? 10 : 11);
	const char *last = strrchr(rest, '/');
	git_object *peeled = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	char *path;
	json_t *e;

	if ((!tag && strncmp(name, "refs/heads/", 11) != 0) || !last ||
	    strcmp(name, r->branch_ref) == 0 ||
	    strncmp(rest, prefix, strlen(prefix)) != 0 ||
	    (tag && !cz_pkgrepo_revision_ok(last + 1)) ||
	    git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) < 0)
		return NULL;
	git_oid_tostr(hex, sizeof(hex), git_object_id(peeled));
	git_object_free(peeled);
	path = cz_xstrndup(rest, (size_t)(last - rest));
	e = json_pack("{s:s, s:s, s:s}", "path", path,
		      tag ? "revision" : "workspace", last + 1, "commit", hex);
	free(path);
	return e;
}

int cz_pkgrepo_list(cz_pkgrepo *r, const char *prefix, json_t **out,
		    cz_error *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	json_t **items = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (git_reference_iterator_new(&it, r->repo) < 0)
		return cz_gctx_fail(&r->c, err, -1, "listing the mirror of");
	while (git_reference_next(&ref, it) == 0) {
		json_t *e = ref_entry(r, ref, prefix ? prefix : "");

		git_reference_free(ref);
		if (!e)
			continue;
		CZ_GROW(items, n + 1, cap);
		items[n++] = e;
	}
	git_reference_iterator_free(it);
	if (n)
		qsort(items, n, sizeof(*items), by_path_then_name);
	*out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(*out, items[i]);
	free(items);
	return CZ_OK;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct read_walk {
	cz_pkgrepo *r;
	json_t *files;
	size_t bytes;
	int rc;
	cz_error *err;
} read_walk;

static int on_entry(const char *root, const git_tree_entry *entry,
		    void *payload)
{
	read_walk *w = payload;
	git_filemode_t mode = git_tree_entry_filemode(entry);
	size_t max_files = w->r->o.max_files ? w->r->o.max_files
					     : DEFAULT_MAX_FILES;
	size_t max_bytes = w->r->o.max_bytes ? w->r->o.max_bytes
					     : DEFAULT_MAX_BYTES;
	git_blob *blob = NULL;
	char *rel;
	json_t *text;

	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0; /* trees are walked; links and submodules are no files */
	if (json_object_size(w->files) >= max_files) {
		w->rc = cz_fail(w->err, CZ_ETOOLARGE, "more than %zu files",
				max_files);
		return -1;
	}
	if (git_blob_lookup(&blob, w->r->repo, git_tree_entry_id(entry)) < 0) {
		w->rc = cz_fail(w->err, CZ_EIO, "a blob is missing");
		return -1;
	}
	rel = cz_xasprintf("%s%s", root, git_tree_entry_name(entry));
	w->bytes += (size_t)git_blob_rawsize(blob);
	text = json_stringn(git_blob_rawcontent(blob),
			    (size_t)git_blob_rawsize(blob));
	if (w->bytes > max_bytes)
		w->rc = cz_fail(w->err, CZ_ETOOLARGE, "more than %zu bytes",
				max_bytes);
	else if (!text)
		w->rc = cz_fail(w->err, CZ_EINVALID, "%s: not UTF-8 text", rel);
	else
		json_object_set(w->files, rel, text);
	json_decref(text);
	free(rel);
	git_blob_free(blob);
	return w->rc ? -1 : 0;
}

/* The tree of the package at path in commit, or CZ_ENOTFOUND. */
static int package_tree(cz_pkgrepo *r, const git_commit *commit,
			const char *path, git_tree **out)
{
	git_tree *root = NULL;
	git_tree_entry *entry = NULL;
	int rc = CZ_ENOTFOUND;

	*out = NULL;
	if (git_commit_tree(&root, commit) == 0 &&
	    git_tree_entry_bypath(&entry, root, path) == 0 &&
	    git_tree_entry_type(entry) == GIT_OBJECT_TREE &&
	    git_tree_lookup(out, r->repo, git_tree_entry_id(entry)) == 0)
		rc = CZ_OK;
	git_tree_entry_free(entry);
	git_tree_free(root);
	return rc;
}

static int lookup_commit(cz_pkgrepo *r, const char *ref, git_commit **out)
{
	git_reference *gr = NULL;
	git_object *peeled = NULL;
	int rc = CZ_ENOTFOUND;

	*out = NULL;
	if (git_reference_lookup(&gr, r->repo, ref) == 0 &&
	    git_reference_peel(&peeled, gr, GIT_OBJECT_COMMIT) == 0) {
		*out = (git_commit *)peeled;
		rc = CZ_OK;
	}
	git_reference_free(gr);
	return rc;
}

int cz_pkgrepo_read(cz_pkgrepo *r, const char *ref, const char *path,
		    json_t **out, cz_error *err)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	read_walk w = { r, NULL, 0, CZ_OK, err };
	int rc;

	*out = NULL;
	if (!cz_pkgrepo_path_ok(path))
		return cz_fail(err, CZ_EINVALID, "\"%s\": not a package path",
			       path);
	rc = lookup_commit(r, ref, &commit);
	if (rc == CZ_OK)
		rc = package_tree(r, commit, path, &tree);
	if (rc < 0) {
		cz_fail(err, rc, "%s has no package %s", ref, path);
		goto cleanup;
	}
	w.files = json_object();
	git_tree_walk(tree, GIT_TREEWALK_PRE, on_entry, &w);
	rc = w.rc;
	if (rc == CZ_OK) {
		*out = w.files;
		w.files = NULL;
	}
cleanup:
	json_decref(w.files);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* ---- writing ----------------------------------------------------------- */

/* The tree of files ({relative path: content}). */
static int files_tree(cz_pkgrepo *r, const json_t *files, git_oid *out,
		      cz_error *err)
{
	size_t n = json_object_size(files), i = 0;
	git_tree_update *ups = cz_xcalloc(n ? n : 1, sizeof(*ups));
	git_treebuilder *tb = NULL;
	git_tree *empty = NULL;
	git_oid empty_id;
	const char *rel;
	json_t *v;
	int rc = CZ_OK;

	json_object_foreach ((json_t *)files, rel, v) {
		if (!cz_pkgrepo_path_ok(rel) || !json_is_string(v)) {
			rc = cz_fail(err, CZ_EINVALID, "\"%s\": %s", rel,
				     json_is_string(v)
					     ? "not a path inside the package"
					     : "not text");
			goto cleanup;
		}
		ups[i].action = GIT_TREE_UPDATE_UPSERT;
		ups[i].filemode = GIT_FILEMODE_BLOB;
		ups[i].path = rel;
		if (git_blob_create_from_buffer(&ups[i].id, r->repo,
						json_string_value(v),
						json_string_length(v)) < 0) {
			rc = cz_gctx_fail(&r->c, err, -1, "writing to the mirror of");
			goto cleanup;
		}
		i++;
	}
	if (git_treebuilder_new(&tb, r->repo, NULL) < 0 ||
	    git_treebuilder_write(&empty_id, tb) < 0 ||
	    git_tree_lookup(&empty, r->repo, &empty_id) < 0 ||
	    git_tree_create_updated(out, r->repo, empty, n, ups) < 0)
		rc = cz_gctx_fail(&r->c, err, -1, "writing to the mirror of");
cleanup:
	git_tree_free(empty);
	git_treebuilder_free(tb);
	free(ups);
	return rc;
}

/* base with the entry at path (made of '/'-separated segments) set to the
 * tree sub: a new tree in *out. */
static int put_subtree(git_repository *repo, const git_tree *base,
		       const char *path, const git_oid *sub, git_oid *out)
{
	const char *slash = strchr(path, '/');
	char *head = slash ? cz_xstrndup(path, (size_t)(slash - path))
			   : cz_xstrdup(path);
	const git_tree_entry *entry = base ? git_tree_entry_byname(base, head)
					   : NULL;
	git_treebuilder *tb = NULL;
	git_tree *child = NULL;
	git_oid child_id;
	int rc = git_treebuilder_new(&tb, repo, base);

	if (rc == 0 && slash) {
		if (entry && git_tree_entry_type(entry) == GIT_OBJECT_TREE)
			rc = git_tree_lookup(&child, repo,
					     git_tree_entry_id(entry));
		if (rc == 0)
			rc = put_subtree(repo, child, slash + 1, sub, &child_id);
		sub = &child_id;
	}
	if (rc == 0)
		rc = git_treebuilder_insert(NULL, tb, head, sub,
					    GIT_FILEMODE_TREE);
	if (rc == 0)
		rc = git_treebuilder_write(out, tb);
	git_tree_free(child);
	git_treebuilder_free(tb);
	free(head);
	return rc;
}

/* A commit of parent (may be NULL) whose package at path is sub. */
static int commit_package(cz_pkgrepo *r, git_commit *parent, const char *path,
			  const git_oid *sub, const cz_pkgrepo_who *who,
			  const char *message, git_oid *out, cz_error *err)
{
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1] = { parent };
	git_oid tree_id;
	int rc = 0;

	if (parent)
		rc = git_commit_tree(&base, parent);
	if (rc == 0)
		rc = put_subtree(r->repo, base, path, sub, &tree_id);
	if (rc == 0)
		rc = git_tree_lookup(&tree, r->repo, &tree_id);
	if (rc == 0)
		rc = git_signature_now(&sig, who->name, who->email);
	if (rc == 0)
		rc = git_commit_create(out, r->repo, NULL, sig, sig, NULL,
				       message, tree, parent ? 1 : 0, parents);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	return rc < 0 ? cz_gctx_fail(&r->c, err, rc, "committing for") : CZ_OK;
}

static int set_ref(cz_pkgrepo *r, const char *ref, const git_oid *id,
		   cz_error *err)
{
	git_reference *out = NULL;
	int rc = git_reference_create(&out, r->repo, ref, id, 1, NULL);

	git_reference_free(out);
	return rc < 0 ? cz_gctx_fail(&r->c, err, rc, "updating the mirror of")
		      : CZ_OK;
}

static void drop_ref(cz_pkgrepo *r, const char *ref)
{
	git_reference *gr = NULL;

	if (git_reference_lookup(&gr, r->repo, ref) == 0)
		git_reference_delete(gr);
	git_reference_free(gr);
}

static char *spec_of(const char *ref)
{
	return cz_xasprintf("%s:%s", ref, ref);
}

/* One attempt at a draft commit: the branch's tip (else base, else the
 * published branch) with the package replaced, pushed. */
static int draft_once(cz_pkgrepo *r, const char *branch, const char *base,
		      const char *path, const git_oid *sub,
		      const cz_pkgrepo_who *who, const char *message,
		      git_oid *commit, bool *rejected, cz_error *err)
{
	git_commit *parent = NULL;
	char *spec = spec_of(branch);
	int rc = base ? cz_pkgrepo_sync(r, err) : sync_for_write(r, path, err);

	if (rc == CZ_OK && lookup_commit(r, branch, &parent) < 0 &&
	    lookup_commit(r, base ? base : r->branch_ref, &parent) < 0)
		parent = NULL; /* an empty repository */
	if (rc == CZ_OK)
		rc = commit_package(r, parent, path, sub, who, message, commit,
				    err);
	if (rc == CZ_OK)
		rc = set_ref(r, branch, commit, err);
	if (rc == CZ_OK)
		rc = push(r, &spec, 1, rejected, err);
	git_commit_free(parent);
	free(spec);
	return rc;
}

int cz_pkgrepo_write_draft(cz_pkgrepo *r, const char *path,
			   const char *workspace, const char *base,
			   const json_t *files, const cz_pkgrepo_who *who,
			   const char *message, char *commit_out,
			   cz_error *err)
{
	unsigned tries = r->o.push_retries ? r->o.push_retries
					   : DEFAULT_RETRIES;
	char *branch = NULL;
	bool rejected = true;
	git_oid sub, commit;
	int rc;

	if (!cz_pkgrepo_path_ok(path) || !cz_pkgrepo_workspace_ok(workspace))
		return cz_fail(err, CZ_EINVALID, "\"%s\" workspace \"%s\": "
			       "invalid", path, workspace);
	rc = files_tree(r, files, &sub, err);
	branch = cz_xasprintf("refs/heads/%s/%s", path, workspace);
	/* A lost race is fetched and built again on the new tip. */
	for (unsigned i = 0; rc == CZ_OK && rejected && i <= tries; i++) {
		rc = draft_once(r, branch, base, path, &sub, who, message,
				&commit, &rejected, err);
		if (rejected && i < tries)
			rc = CZ_OK;
	}
	if (rc == CZ_OK && commit_out)
		git_oid_tostr(commit_out, GIT_OID_HEXSZ + 1, &commit);
	free(branch);
	return rc;
}

/* ---- publishing -------------------------------------------------------- */

/* Whether the tip already has sub at path: a publish that pushed the
 * branch and was interrupted before the tag only needs the tag. */
static bool tip_has(cz_pkgrepo *r, git_commit *tip, const char *path,
		    const git_oid *sub)
{
	git_tree *have = NULL;
	bool same = tip && package_tree(r, tip, path, &have) == CZ_OK &&
		    git_oid_equal(git_tree_id(have), sub);

	git_tree_free(have);
	return same;
}

/* Whether a commit on tip and not on since says claim ("Publish <path>
 * vN (") and is not ours (message): another writer's publish of the same
 * number that pushed the branch and not yet its tag.  Ours is one whose
 * tag push failed after its branch push; it only needs the tag. */
static bool claimed(cz_pkgrepo *r, git_commit *tip, const git_oid *since,
		    const char *claim, const char *message)
{
	git_revwalk *walk = NULL;
	git_oid id;
	bool found = false;

	if (git_revwalk_new(&walk, r->repo) < 0 ||
	    git_revwalk_push(walk, git_commit_id(tip)) < 0) {
		git_revwalk_free(walk);
		return false;
	}
	if (git_revwalk_hide(walk, since) < 0)
		git_error_clear(); /* history rewritten: all of it is new */
	while (!found && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, r->repo, &id) < 0)
			continue;
		found = strncmp(git_commit_message(c), claim,
				strlen(claim)) == 0 &&
			strncmp(git_commit_message(c), message,
				strlen(message)) != 0;
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	return found;
}

/* One attempt at a publish.  *seen: the tip the last attempt built on
 * (zero before the first); the commits that came since are checked for
 * another writer's publish of the same revision. */
static int publish_once(cz_pkgrepo *r, const char *path, const char *draft,
			const char *tag, const char *message,
			const char *claim, const cz_pkgrepo_who *who,
			git_oid *seen, git_oid *commit, bool *rejected,
			cz_error *err)
{
	git_commit *ws = NULL, *tip = NULL;
	git_tree *sub = NULL;
	char *specs[2] = { spec_of(r->branch_ref), spec_of(tag) };
	int rc = sync_for_write(r, path, err);

	*rejected = false;
	if (rc == CZ_OK && lookup_commit(r, tag, &tip) == CZ_OK)
		rc = cz_fail(err, CZ_EEXISTS, "%s exists already", tag);
	git_commit_free(tip);
	tip = NULL;
	if (rc == CZ_OK && (lookup_commit(r, draft, &ws) < 0 ||
			    package_tree(r, ws, path, &sub) < 0))
		rc = cz_fail(err, CZ_ENOTFOUND, "draft %s has no package %s",
			     draft, path);
	if (rc == CZ_OK && lookup_commit(r, r->branch_ref, &tip) < 0)
		tip = NULL;
	/* A retry after a lost race: if the winner published this very
	 * number, the caller takes the next one instead of a second
	 * "Publish ... vN" commit whose tag push would then fail. */
	if (rc == CZ_OK && tip && !git_oid_is_zero(seen) &&
	    !git_oid_equal(seen, git_commit_id(tip)) &&
	    claimed(r, tip, seen, claim, message))
		rc = cz_fail(err, CZ_EEXISTS, "%s is being published by "
			     "another writer", tag);
	if (rc == CZ_OK && tip)
		git_oid_cpy(seen, git_commit_id(tip));
	if (rc == CZ_OK && tip_has(r, tip, path, git_tree_id(sub)))
		git_oid_cpy(commit, git_commit_id(tip));
	else if (rc == CZ_OK &&
		 (rc = commit_package(r, tip, path, git_tree_id(sub), who,
				      message, commit, err)) == CZ_OK &&
		 (rc = set_ref(r, r->branch_ref, commit, err)) == CZ_OK)
		rc = push(r, &specs[0], 1, rejected, err);
	/* The tag last: published exactly when it exists. */
	if (rc == CZ_OK && (rc = set_ref(r, tag, commit, err)) == CZ_OK)
		rc = push(r, &specs[1], 1, rejected, err);
	if (rc != CZ_OK)
		drop_ref(r, tag);
	git_tree_free(sub);
	git_commit_free(ws);
	git_commit_free(tip);
	free(specs[0]);
	free(specs[1]);
	return rc;
}

int cz_pkgrepo_publish(cz_pkgrepo *r, const char *path, const char *workspace,
		       const char *revision, const cz_pkgrepo_who *who,
		       char *commit_out, cz_error *err)
{
	unsigned tries = r->o.push_retries ? r->o.push_retries
					   : DEFAULT_RETRIES;
	char *draft = cz_xasprintf("refs/heads/%s/%s", path, workspace);
	char *tag = cz_xasprintf("refs/tags/%s/%s", path, revision);
	char *message = cz_xasprintf("Publish %s %s (workspace %s)", path,
				     revision, workspace);
	char *claim = cz_xasprintf("Publish %s %s (", path, revision);
	bool rejected = true;
	git_oid commit, seen;
	int rc = CZ_OK;

	memset(&seen, 0, sizeof(seen));

	if (!cz_pkgrepo_path_ok(path) || !cz_pkgrepo_workspace_ok(workspace) ||
	    !cz_pkgrepo_revision_ok(revision))
		rc = cz_fail(err, CZ_EINVALID, "\"%s\" workspace \"%s\" "
			     "revision \"%s\": invalid", path, workspace,
			     revision);
	for (unsigned i = 0; rc == CZ_OK && rejected && i <= tries; i++) {
		rc = publish_once(r, path, draft, tag, message, claim, who,
				  &seen, &commit, &rejected, err);
		if (rejected && i < tries)
			rc = CZ_OK;
	}
	if (rc == CZ_OK)
		rc = cz_pkgrepo_delete_ref(r, draft, err);
	if (rc == CZ_OK && commit_out)
		git_oid_tostr(commit_out, GIT_OID_HEXSZ + 1, &commit);
	free(claim);
	free(message);
	free(tag);
	free(draft);
	return rc;
}

int cz_pkgrepo_delete_ref(cz_pkgrepo *r, const char *ref, cz_error *err)
{
	char *spec = cz_xasprintf(":%s", ref);
	bool rejected = false;
	int rc = push(r, &spec, 1, &rejected, err);

	if (rc == CZ_OK)
		drop_ref(r, ref);
	free(spec);
	return rc;
}

/* ---- history ----------------------------------------------------------- */

/* "Publish <path> vN (workspace W)": path and N into maxima. */
static void note_publish(const char *message, json_t *maxima)
{
	const char *p, *sp;
	char *path, *end = NULL;
	unsigned long n;

	if (strncmp(message, "Publish ", 8) != 0)
		return;
	p = message + 8;
	sp = strchr(p, ' ');
	if (!sp || sp[1] != 'v' || !isdigit((unsigned char)sp[2]))
		return;
	n = strtoul(sp + 2, &end, 10);
	if (*end != ' ' && *end != '\0' && *end != '\n')
		return;
	path = cz_xstrndup(p, (size_t)(sp - p));
	if ((json_int_t)n > json_integer_value(json_object_get(maxima, path)))
		json_object_set_new(maxima, path, json_integer((json_int_t)n));
	free(path);
}

int cz_pkgrepo_scan_publishes(cz_pkgrepo *r, const char *since,
			      json_t *maxima, char *tip_out, cz_error *err)
{
	git_revwalk *walk = NULL;
	git_commit *tip = NULL;
	git_oid id, stop;
	bool has_stop = since && *since && git_oid_fromstr(&stop, since) == 0;
	int rc = CZ_OK;

	tip_out[0] = '\0';
	if (lookup_commit(r, r->branch_ref, &tip) != CZ_OK)
		return CZ_OK; /* nothing published yet */
	git_oid_tostr(tip_out, GIT_OID_HEXSZ + 1, git_commit_id(tip));
	if (git_revwalk_new(&walk, r->repo) < 0 ||
	    git_revwalk_push(walk, git_commit_id(tip)) < 0) {
		rc = cz_gctx_fail(&r->c, err, -1, "walking the history of");
		goto cleanup;
	}
	/* A since the mirror lacks (history rewritten upstream): walk all. */
	if (has_stop && git_revwalk_hide(walk, &stop) < 0)
		git_error_clear();
	while (git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, r->repo, &id) < 0)
			continue;
		note_publish(git_commit_message(c), maxima);
		git_commit_free(c);
	}
cleanup:
	git_revwalk_free(walk);
	git_commit_free(tip);
	return rc;
}

int cz_pkgrepo_commit_message(cz_pkgrepo *r, const char *commit, char **out,
			      cz_error *err)
{
	git_commit *c = NULL;
	git_oid id;

	*out = NULL;
	if (git_oid_fromstr(&id, commit) < 0 ||
	    git_commit_lookup(&c, r->repo, &id) < 0)
		return cz_fail(err, CZ_ENOTFOUND, "commit %.40s not found",
			       commit);
	*out = cz_xstrdup(git_commit_message(c));
	git_commit_free(c);
	return CZ_OK;
}
