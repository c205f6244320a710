#ifndef CZ_REVISION_INTERNAL_H
#define CZ_REVISION_INTERNAL_H

/* Shared by the files of the package revision storage; not a public
 * API. */

#include <pthread.h>

#include "apiserver/internal.h"
#include "git/pkgrepo.h"
#include "revision/revid.h"
#include "revision/revstore.h"

#define REV_DEFAULT_MAX_BYTES (16u * 1024 * 1024)
#define REV_DEFAULT_MAX_FILES 10000u
/* Annotation of revisions found in git rather than made through the API
 * (pkgserver's name for it). */
#define REV_DISCOVERED "pkg.pkgserver.dev/DiscoveredPkgRev"

struct cz_revstore {
	char *cache_dir;
	size_t max_bytes, max_files;
	unsigned push_retries;
	/* Every git operation and the store writes that follow it: one
	 * writer at a time keeps git and the cache in step. */
	pthread_mutex_t lock;
	/* {"<url>\n<dir>": {"tip": commit, "max": {path: N}}}: the highest
	 * revision number each package has used, from the published
	 * branch's history up to tip. */
	json_t *high_water;
};

/* An open Repository: its mirror and what it was opened with. */
typedef struct rev_repo {
	cz_pkgrepo *repo;
	char *name;
	char *dir; /* spec.git.directory, trimmed */
	char *url; /* spec.git.url: one mirror per remote */
	char *key; /* url and dir: the high-water entry */
	bool deployment;
	char *username, *password, *token;
} rev_repo;

const cz_resource *rev_res(void);
const cz_resource *rev_res_resources(void);
const cz_resource *rev_res_repositories(void);

int rev_load(cz_store *store, const char *key, json_t **out, int64_t *rv,
	     cz_error *err);
int rev_load_named(cz_store *store, const cz_resource *r, const char *ns,
		   const char *name, json_t **out, cz_error *err);

/* Opens the mirror of the Repository ns/name (CZ_ENOTFOUND naming the
 * field when it does not exist), or of the object repo.  h is released
 * with rev_repo_close() either way. */
int rev_repo_open(cz_revstore *rs, cz_store *store, const char *ns,
		  const char *name, rev_repo *h, cz_error *err);
int rev_repo_open_object(cz_revstore *rs, cz_store *store, const json_t *repo,
			 rev_repo *h, cz_error *err);
void rev_repo_close(rev_repo *h);
/* A Repository object's spec.git.url ("" when missing). */
const char *rev_repo_url(const json_t *repo);

/* status.conditions becomes [Ready=True reason message]. */
void rev_set_ready(json_t *obj, const char *reason, const char *message);
/* The PackageRevisionResources of the revision pr holding files (new). */
json_t *rev_resources_new(const json_t *pr, const json_t *files,
			  const char *commit);
/* The store key of pr's resources (malloc'ed). */
char *rev_resources_key(const json_t *pr);
/* The commit author for c's user. */
void rev_who(const cz_api_call *c, char name[128], char email[192],
	     cz_pkgrepo_who *who);
/* The highest N of the tags "<path>/vN" in a cz_pkgrepo_list() answer
 * (0: none). */
unsigned long rev_highest_tag(const json_t *list, const char *path);
/* The next revision number of path, never one used before (by a tag or a
 * publish commit); the mirror must be synced. */
int rev_next_revision(cz_revstore *rs, rev_repo *h, const char *path,
		      unsigned long *out, cz_error *err);

#endif
