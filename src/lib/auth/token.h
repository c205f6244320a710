#ifndef CZ_AUTH_TOKEN_H
#define CZ_AUTH_TOKEN_H

/*
 * Bearer tokens and what their holders may do.
 *
 * Authentication: cozypkgd reads a static token file in kube-apiserver's
 * --token-file format, one user per line:
 *
 *   token,user,uid[,"group1,group2"]
 *
 * Fields follow CSV rules: a field that starts with '"' is quoted, may hold
 * commas, and writes a literal quote as "".  Blank lines and lines whose
 * first character is '#' are ignored; a trailing "\r" is dropped.  The
 * groups field is split on commas, with spaces around each group trimmed
 * and empty groups skipped.
 *
 * The token set keeps only the SHA-256 digest of each token, never the
 * token itself, and lookups compare digests in constant time, so neither
 * memory nor timing gives a token away.
 *
 * Authorization is a fixed policy (see cz_authorize()); there are no roles
 * to configure.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* The largest token file accepted. */
#define CZ_TOKENS_MAX_BYTES (1024 * 1024)

/* Full access, as in Kubernetes. */
#define CZ_GROUP_MASTERS "system:masters"
/* Read-only access to everything but Secrets. */
#define CZ_GROUP_VIEWERS "cozypkg:viewers"
/* The migration runner's identity: every verb on every resource, as the
 * real migration hook's cluster-admin binding, for the life of one run. */
#define CZ_GROUP_MIGRATIONS "cozypkg:migrations"
/* The in-process controllers' identity: they read and write what they
 * reconcile, and delete only what they own. */
#define CZ_GROUP_CONTROLLERS "cozypkg:controllers"
/* The install gate's identity (docs/revisions.md): it applies whatever
 * kinds a published deployment revision holds and prunes what it applied:
 * every verb on every resource but deletecollection and approval. */
#define CZ_GROUP_INSTALLERS "cozypkg:installers"
/* Package revision authors: read like viewers, and create, edit and
 * delete package revisions, but not publish them. */
#define CZ_GROUP_AUTHORS "cozypkg:authors"
/* Authors who may also publish (approve) package revisions and delete
 * published ones. */
#define CZ_GROUP_APPROVERS "cozypkg:approvers"

typedef struct cz_user {
	char *name;
	char *uid;     /* may be "" */
	char **groups; /* ngroups strings */
	size_t ngroups;
} cz_user;

/* Fills user with copies of name, uid (NULL: "") and the non-empty
 * groups (NULL-terminated, may be NULL); released with cz_user_release(). */
void cz_user_init(cz_user *user, const char *name, const char *uid,
		  const char *const *groups);
/* dst becomes a deep copy of src; released with cz_user_release(). */
void cz_user_copy(cz_user *dst, const cz_user *src);
/* Frees what user holds and zeroes it. */
void cz_user_release(cz_user *user);

#define CZ_TOKEN_DIGEST_LEN 32
/* The SHA-256 of token, the only form in which tokens are kept. */
int cz_token_digest(const char *token, unsigned char out[CZ_TOKEN_DIGEST_LEN]);

/* The index of the item among n (each stride bytes, its digest first)
 * whose digest equals digest, or -1.  Every digest is compared in full
 * and the hit picked with masks, so the time depends only on n. */
long cz_token_digest_index(const void *items, size_t n, size_t stride,
			   const unsigned char digest[CZ_TOKEN_DIGEST_LEN]);

typedef struct cz_tokens cz_tokens;

/* Writes 32 random bytes as 64 lower-case hex digits and a NUL.  Returns
 * CZ_ERR when the random generator fails. */
int cz_token_generate(char out[65], cz_error *err);

/* A new, empty token set; freed with cz_tokens_free(). */
cz_tokens *cz_tokens_new(void);
void cz_tokens_free(cz_tokens *tokens);
size_t cz_tokens_count(const cz_tokens *tokens);

/*
 * Parses a token file held in data[0..len); name is used in messages.  On
 * success *out is a new set the caller frees with cz_tokens_free(); on
 * failure *out is NULL and err->msg is "NAME:LINE: reason" (CZ_EINVALID)
 * or "NAME: larger than ..." (CZ_ETOOLARGE).  Errors never quote a token.
 */
int cz_tokens_parse(const char *data, size_t len, const char *name,
		    cz_tokens **out, cz_error *err);

/* Reads and parses the token file at path, as cz_tokens_parse() does;
 * CZ_ENOTFOUND / CZ_EIO name the file when it cannot be read. */
int cz_tokens_load(const char *path, cz_tokens **out, cz_error *err);

/*
 * Adds a user.  token and user must be non-empty; uid may be NULL or "";
 * groups is a NULL-terminated list (NULL for none).  Everything is copied.
 * Returns CZ_EINVALID for an empty token or user, CZ_EEXISTS when the
 * token is already in the set.
 */
int cz_tokens_add(cz_tokens *tokens, const char *token, const char *user,
		  const char *uid, const char *const *groups, cz_error *err);

/*
 * The user holding token, or NULL.  Takes the same time whatever the
 * token's contents: every entry's digest is compared in full.  The result
 * is borrowed from the set.
 */
const cz_user *cz_tokens_find(const cz_tokens *tokens, const char *token);

/*
 * Appends one token-file line (with its "\n") to out, quoting the fields
 * that need it; groups as for cz_tokens_add().  Returns CZ_EINVALID for a
 * value the format cannot hold (a line break, a comma inside a group name,
 * an empty token or user) and CZ_ETOOLARGE when out is full.
 */
int cz_tokens_format_line(cz_buf *out, const char *token, const char *user,
			  const char *uid, const char *const *groups,
			  cz_error *err);

bool cz_user_in_group(const cz_user *user, const char *group);
/* Whether user may publish package revisions: system:masters and
 * cozypkg:approvers. */
bool cz_user_may_approve(const cz_user *user);

/*
 * Whether user may perform verb (get, list, watch, create, update, patch,
 * delete, deletecollection) on resource (plural, e.g. "packages") of API
 * group (NULL or "" for the core group), optionally on a subresource
 * ("status"; NULL or "" for none):
 *
 *   - system:masters may do everything;
 *   - cozypkg:viewers may get, list and watch everything except core-group
 *     secrets (and their subresources);
 *   - cozypkg:migrations may do everything to resources (no other path);
 *   - cozypkg:controllers may read, create, update and patch everything,
 *     delete only the objects controllers own (HelmReleases, Secrets,
 *     ExternalArtifacts) and never delete a collection;
 *   - cozypkg:authors read as viewers do, and write package revisions
 *     and their resources (not a whole collection); cozypkg:approvers
 *     too;
 *   - the approval subresource of a package revision is for
 *     system:masters and cozypkg:approvers only, whatever else a group
 *     may do;
 *   - everything else, and a NULL user, is denied.
 */
bool cz_authorize(const cz_user *user, const char *verb, const char *group,
		  const char *resource, const char *subresource);

/*
 * Whether user may fetch a non-resource path: any authenticated user may
 * read discovery (/api, /apis and below), /version, /openapi/... and the
 * health endpoints (/healthz, /livez, /readyz and below); system:masters
 * may fetch any path.  Only call this for requests the server has already
 * found not to name a resource; the caller has normalised the path (no
 * "..", no query string).
 */
bool cz_authorize_nonresource(const cz_user *user, const char *path);

#endif
