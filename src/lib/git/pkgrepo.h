#ifndef CZ_GIT_PKGREPO_H
#define CZ_GIT_PKGREPO_H

/*
 * A package repository in git, as package revisions see it
 * (docs/revisions.md): packages are directories, a published revision is
 * the tag "<path>/<vN>" on a commit of the published branch, and a draft
 * is the branch "<path>/<workspace>" (path includes the repository's
 * directory).  A local bare mirror in a cache is fetched from the remote
 * and every write is pushed to it:
 *
 *   - never forced: a draft commit goes on the tip of its branch, a
 *     publish commit on the tip of the published branch, and a push that
 *     loses a race is fetched again and rebuilt, a bounded number of times;
 *   - a publish pushes the branch and the tag in one push, so a revision is
 *     published exactly when its tag exists.
 *
 * One cz_pkgrepo is used by one thread at a time; the mirror is locked
 * against other processes while it is open.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "git/source.h"
#include "util/error.h"

typedef struct cz_pkgrepo cz_pkgrepo;

typedef struct cz_pkgrepo_opts {
	cz_git_options git;    /* url, cache_dir, credentials, caps */
	const char *branch;    /* the published branch; NULL: "main" */
	unsigned push_retries; /* after a lost race; 0: 5 */
	size_t max_files;      /* per package; 0: 10,000 */
	size_t max_bytes;      /* per package; 0: 16 MiB */
} cz_pkgrepo_opts;

/* Who a commit is by: the approving user for a publish. */
typedef struct cz_pkgrepo_who {
	const char *name;
	const char *email;
} cz_pkgrepo_who;

/* Opens (creating on first use) the mirror of o->git.url under
 * o->git.cache_dir; nothing is fetched yet.  *out is freed with
 * cz_pkgrepo_close().  o is copied with its url and cache_dir; the
 * credentials in o->git are borrowed while the repository is open. */
int cz_pkgrepo_open(const cz_pkgrepo_opts *o, cz_pkgrepo **out,
		    cz_error *err);
void cz_pkgrepo_close(cz_pkgrepo *r);

/* Fetches every branch and tag, pruning those gone upstream. */
int cz_pkgrepo_sync(cz_pkgrepo *r, cz_error *err);
/* Fetches only the published branch and the branches and tags of the
 * package at path: what a write to one package needs, whatever the
 * number of revisions in the repository. */
int cz_pkgrepo_sync_package(cz_pkgrepo *r, const char *path, cz_error *err);

/*
 * The revisions of the mirror under prefix ("" for all): a new array of
 * {"path", "revision", "commit"} for each tag "<path>/vN" and
 * {"path", "workspace", "commit"} for each branch "<path>/<ws>" other
 * than the published branch, sorted by path then name.
 */
int cz_pkgrepo_list(cz_pkgrepo *r, const char *prefix, json_t **out,
		    cz_error *err);

/* The files of the package at path in ref (a full ref name): a new object
 * {relative path: content}.  CZ_ENOTFOUND when ref or path is missing,
 * CZ_ETOOLARGE over the caps, CZ_EINVALID for a file that is not UTF-8
 * text or a path that leaves the package. */
int cz_pkgrepo_read(cz_pkgrepo *r, const char *ref, const char *path,
		    json_t **out, cz_error *err);

/* Writes files ({relative path: content}) as the whole package at path on
 * the draft branch "<path>/<workspace>", created from base (a full ref;
 * NULL: the published branch) when missing, and pushes it.  commit_out
 * (41 bytes, may be NULL) gets the new commit. */
int cz_pkgrepo_write_draft(cz_pkgrepo *r, const char *path,
			   const char *workspace, const char *base,
			   const json_t *files, const cz_pkgrepo_who *who,
			   const char *message, char *commit_out,
			   cz_error *err);

/* Publishes the draft "<path>/<workspace>" as revision: its files become
 * the package at path in a commit on the tip of the published branch,
 * tagged "<path>/<revision>", both pushed at once (retried on a lost
 * race, never forced); then the draft branch is deleted.  CZ_EEXISTS when
 * the tag exists already. */
int cz_pkgrepo_publish(cz_pkgrepo *r, const char *path, const char *workspace,
		       const char *revision, const cz_pkgrepo_who *who,
		       char *commit_out, cz_error *err);

/* Walks the published branch from its tip back to since (a commit; NULL
 * or "": to the start) and records in maxima {path: N} the highest N of
 * every "Publish <path> vN" commit, so that a revision number whose tag
 * was deleted is still known to be used.  tip_out (41 bytes) gets the tip
 * walked from ("" when the branch does not exist yet). */
int cz_pkgrepo_scan_publishes(cz_pkgrepo *r, const char *since,
			      json_t *maxima, char *tip_out, cz_error *err);

/* The message of a commit (40 hex digits) of the mirror; *out is
 * malloc'ed. */
int cz_pkgrepo_commit_message(cz_pkgrepo *r, const char *commit, char **out,
			      cz_error *err);

/* Deletes a branch or tag (a full ref name) here and upstream. */
int cz_pkgrepo_delete_ref(cz_pkgrepo *r, const char *ref, cz_error *err);

/* A Repository's spec.git.directory (may be NULL) without leading and
 * trailing '/': the prefix of every package path; malloc'ed. */
char *cz_pkgrepo_directory(const char *directory);

/* Whether name is a valid workspace: 1-63 of [a-z0-9-], no leading or
 * trailing '-'. */
bool cz_pkgrepo_workspace_ok(const char *name);
/* Whether s is a revision: "v" and digits, as pkgserver numbers them. */
bool cz_pkgrepo_revision_ok(const char *s);
/* Whether path is a package path: relative, segments of [A-Za-z0-9._-]
 * that are not "." or "..". */
bool cz_pkgrepo_path_ok(const char *path);

#endif
