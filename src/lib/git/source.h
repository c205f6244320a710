#ifndef CZ_GIT_SOURCE_H
#define CZ_GIT_SOURCE_H

/*
 * Git sources: what a Flux GitRepository does, for cozypkg.
 *
 * A remote (https, http, ssh, git, file:// or a plain local path) is
 * fetched into a cache: one bare repository per URL under the cache
 * directory, reused by later fetches (a fetch, never a re-clone).  The
 * reference is resolved with Flux's precedence
 *
 *     commit > name > semver > tag > branch      (default: branch master)
 *
 * and reported as a Flux revision:
 *
 *     branch   "main@sha1:<hex>"
 *     tag      "v1.0.0@sha1:<hex>"   (the commit, annotated tags peeled)
 *     semver   "<picked tag>@sha1:<hex>"
 *     name     "refs/pull/1/head@sha1:<hex>"   (the full ref name)
 *     commit   "sha1:<hex>", or "<branch>@sha1:<hex>" with a branch
 *
 * The tree of the resolved commit is exported into a directory from the
 * git objects (no checkout, no .git): regular and executable files,
 * directories, symbolic links that stay inside the tree; submodules are
 * skipped.  Hostile entries ("..", ".git", a '/' in a name, a symbolic link
 * leaving the tree) fail the export with the path named.
 *
 * Secrets (password, bearer token) are never logged and never appear in an
 * error message; URLs in messages lose their user information.
 */

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Picks, among tags[0..n), the highest one matching constraint (a semver
 * range).  On success *out is a malloc'ed copy of the chosen tag name (the
 * callee allocates, the caller frees); CZ_ENOTFOUND when none matches. */
typedef int (*cz_git_semver_pick_fn)(void *ctx, const char *const *tags,
				     size_t n, const char *constraint,
				     char **out, cz_error *err);

/* GitRepository.spec.ref: every field may be NULL or empty. */
typedef struct cz_git_ref {
	const char *branch;
	const char *tag;
	const char *semver;
	const char *name;   /* a full ref: refs/heads/x, refs/pull/1/head */
	const char *commit; /* 40 hex digits */
} cz_git_ref;

/* Default caps, used when the option is 0. */
#define CZ_GIT_DEFAULT_MAX_BYTES ((uint64_t)1 << 30)      /* transfer */
#define CZ_GIT_DEFAULT_MAX_OBJECTS 1000000u
#define CZ_GIT_DEFAULT_MAX_EXPORT_BYTES ((uint64_t)1 << 30)
#define CZ_GIT_DEFAULT_MAX_EXPORT_FILES 100000u
#define CZ_GIT_DEFAULT_TIMEOUT_S 60u

/* Everything a fetch needs; borrowed strings, all optional but url. */
typedef struct cz_git_options {
	const char *url;
	cz_git_ref ref;
	/* Where bare repositories are kept (created when missing). */
	const char *cache_dir;
	/* http(s): basic auth, or a bearer token sent as
	 * "Authorization: Bearer <token>". */
	const char *username;
	const char *password;
	const char *bearer_token;
	/* https: a PEM bundle trusted in addition to the system roots. */
	const char *ca_file;
	/* ssh: a private key file (and its passphrase), and a known_hosts
	 * file the server key must appear in (required for ssh). */
	const char *ssh_identity_file;
	const char *ssh_passphrase;
	const char *ssh_known_hosts_file;
	/* Caps; 0 means the CZ_GIT_DEFAULT_* value. */
	uint64_t max_bytes;      /* bytes received in one fetch */
	unsigned max_objects;    /* objects in one fetch */
	uint64_t max_export_bytes;
	unsigned max_export_files;
	unsigned timeout_s;      /* whole operation, checked while data moves */
	/* Required when ref.semver is used (and no name or commit wins). */
	cz_git_semver_pick_fn pick_semver;
	void *pick_semver_ctx;
} cz_git_options;

typedef struct cz_git_result {
	char *revision;     /* Flux revision, see above; owned */
	char *ref;          /* full ref resolved ("refs/heads/main"), NULL for
			       a bare commit; owned */
	char commit[41];    /* hex sha1 of the commit */
	uint64_t received_bytes;   /* by the fetch; 0 for a cache hit */
	unsigned received_objects;
	int cache_hit;      /* 1 when the commit was already in the cache and
			       nothing was downloaded */
} cz_git_result;

/* Frees the strings in r and zeroes it. */
void cz_git_result_release(cz_git_result *r);

/* Initialises libgit2 (reference counted): call once per user before the
 * functions below, and cz_git_shutdown() as many times when done. */
int cz_git_init(cz_error *err);
void cz_git_shutdown(void);

/*
 * The "changed?" check: lists the remote's references (ls-remote) and
 * resolves o->ref without downloading objects.  r->revision is what a
 * fetch would produce; a controller skips the fetch when it equals the
 * revision it has.  For a commit ref the remote is not contacted.
 * Returns CZ_ENOTFOUND when the ref does not exist, CZ_EDENIED on an
 * authentication failure, CZ_EIO on a transport error.
 */
int cz_git_resolve(const cz_git_options *o, cz_git_result *r, cz_error *err);

/*
 * Lists the remote's references (ls-remote; o->ref is ignored): *out is
 * a new object, full ref name -> commit hex, annotated tags peeled.
 * Errors as cz_git_resolve.
 */
int cz_git_list_refs(const cz_git_options *o, json_t **out, cz_error *err);

/*
 * Fetches o->url into the cache (creating the bare repository on first
 * use) and resolves o->ref to a commit present in the cache.  Only the
 * needed refs are fetched; a commit already cached is not downloaded
 * again.  Errors as cz_git_resolve, plus CZ_ETOOLARGE over a cap and
 * CZ_ECONFLICT when ref.commit is not in ref.branch.
 */
int cz_git_fetch(const cz_git_options *o, cz_git_result *r, cz_error *err);

/*
 * Writes the tree of commit_hex from the cached repository of o->url into
 * dir, which must be missing or empty (it is created with its parents).
 * On failure what was written is removed again.  CZ_EINVALID names a
 * hostile entry; CZ_ETOOLARGE over max_export_bytes or max_export_files.
 */
int cz_git_export(const cz_git_options *o, const char *commit_hex,
		  const char *dir, cz_error *err);

/* cz_git_fetch followed by cz_git_export of the resolved commit. */
int cz_git_fetch_export(const cz_git_options *o, const char *dir,
			cz_git_result *r, cz_error *err);

/* The cache path for url: "<cache_dir>/<sha256 of the url without user
 * information>.git".  *out is malloc'ed; the caller frees it. */
int cz_git_cache_path(const char *cache_dir, const char *url, char **out,
		      cz_error *err);

/* Copies url into a new string without its user information
 * ("https://u:p@h/r" becomes "https://h/r"); the caller frees it. */
char *cz_git_url_redact(const char *url);

#endif
