#ifndef CZ_REVISION_REVSTORE_H
#define CZ_REVISION_REVSTORE_H

/*
 * The git storage of package revisions (docs/revisions.md): the storages
 * of PackageRevision and PackageRevisionResources in the resource table
 * (apiserver/storage.h).  Git is the truth: every write goes to the
 * Repository's remote first (a draft is the branch <path>/<workspace>, a
 * published revision the tag <path>/vN on the published branch) and only
 * then to the store, which holds what git says so that reads, lists,
 * tables and watches are served as for every other kind.  Discovery
 * (cz_revstore_sync) makes the store agree with git again: revisions
 * tagged by other git clients appear, deleted ones go, and a publish that
 * was cut short after its tag was pushed is completed.
 *
 * The rules beyond the generic ones: only drafts are created, with a
 * unique workspace, in a Repository that exists; identity is immutable;
 * lifecycle changes follow pkgserver's table; publishing (the approval
 * subresource, or a spec update to published) and deleting a published
 * revision are for approvers; revision numbers are allocated here, never
 * reused, even after a tag is deleted; the resources of a published or
 * deletionProposed revision are immutable.
 */

#include <jansson.h>
#include <stddef.h>

#include "apiserver/storage.h"
#include "store/store.h"
#include "util/error.h"

typedef struct cz_revstore cz_revstore;

typedef struct cz_revstore_opts {
	const char *cache_dir; /* git mirrors live here (created) */
	size_t max_bytes;      /* one revision's files; 0: 16 MiB */
	size_t max_files;      /* 0: 10,000 */
	unsigned push_retries; /* 0: 5 */
} cz_revstore_opts;

/* *out is freed with cz_revstore_close(). */
int cz_revstore_open(const cz_revstore_opts *o, cz_revstore **out,
		     cz_error *err);
void cz_revstore_close(cz_revstore *rs);

/* Discovery for one Repository object: fetches its remote and makes the
 * store's revisions of it agree with the tags and branches found. */
int cz_revstore_sync(cz_revstore *rs, cz_store *store, const json_t *repo,
		     cz_error *err);

extern const cz_storage cz_revision_storage;
extern const cz_storage cz_revision_resources_storage;

#endif
