#ifndef CZ_APISERVER_STORAGE_H
#define CZ_APISERVER_STORAGE_H

/*
 * Where a resource's objects live, chosen by its row in the resource table
 * (cz_resource.storage), as kube-apiserver's registry gives each resource
 * its own storage.  The verbs apply every generic rule first (validation,
 * server-owned metadata, managedFields, preconditions) and then read and
 * write through the resource's storage, so handlers, watches, tables and
 * the in-process client are the same whatever the storage is.
 *
 *   - CZ_STORAGE_STORE: the SQLite store (cz_store), for every kind that
 *     has always been there;
 *   - CZ_STORAGE_REVISIONS, CZ_STORAGE_REVISION_RESOURCES: package
 *     revisions in git (revision/revstore.h); git is the truth, and the
 *     store holds what git says as the cache reads and watches are served
 *     from.
 *
 * Every function returns CZ_OK or a code with err's message.  A storage
 * that refuses a write for a reason of its own (a lifecycle rule, a
 * permission) records the answer in c with cz_api_fail and returns its
 * code: the verb then answers with it as it is.  CZ_ECONFLICT is a stale
 * expect_rv, which the verbs may retry.  *out (may be NULL) receives a
 * reference to the stored blob.
 */

#include "apiserver/apiserver.h"

typedef struct cz_storage {
	const char *name;
	int (*get)(cz_api_call *c, const char *key, cz_blob **out,
		   cz_error *err);
	/* As cz_store_list. */
	int (*list)(cz_store *store, const char *prefix,
		    const char *start_after, cz_blob ***items, size_t *n,
		    int64_t *rv, cz_error *err);
	/* obj is complete (metadata set, validated); it stays the
	 * caller's. */
	int (*create)(cz_api_call *c, const char *key, json_t *obj,
		      cz_blob **out, cz_error *err);
	/* cur is the stored object the update was computed from. */
	int (*update)(cz_api_call *c, const char *key, const json_t *cur,
		      json_t *obj, int64_t expect_rv, cz_blob **out,
		      cz_error *err);
	/* The object goes (no finalizer left); *out is the deleted one. */
	int (*remove)(cz_api_call *c, const char *key, const json_t *cur,
		      int64_t expect_rv, cz_blob **out, cz_error *err);
	/* Watches need no call: they outlive the request's. */
	int (*watch)(cz_store *store, const char *prefix, int64_t from_rv,
		     cz_watch **out, cz_error *err);
} cz_storage;

/* The storage of r's objects. */
const cz_storage *cz_storage_of(const cz_resource *r);

/* The SQLite store's storage, which the git-backed ones keep their cache
 * in. */
extern const cz_storage cz_store_storage;

/* The answer for a storage failure: the storage's own when it recorded
 * one, else the Status of rc; returns rc. */
int cz_api_storage_error(cz_api_call *c, int rc, const cz_error *err);

#endif
