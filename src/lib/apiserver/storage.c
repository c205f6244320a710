/* The storage table, and the SQLite store's storage. */

#include "apiserver/storage.h"

#include "revision/revstore.h"

static int store_get(cz_api_call *c, const char *key, cz_blob **out,
		     cz_error *err)
{
	return cz_store_get(c->store, key, out, err);
}

static int store_list(cz_store *store, const char *prefix,
		      const char *start_after, cz_blob ***items, size_t *n,
		      int64_t *rv, cz_error *err)
{
	return cz_store_list(store, prefix, start_after, items, n, rv, err);
}

static int store_create(cz_api_call *c, const char *key, json_t *obj,
			cz_blob **out, cz_error *err)
{
	return cz_store_create(c->store, key, obj, out, err);
}

static int store_update(cz_api_call *c, const char *key, const json_t *cur,
			json_t *obj, int64_t expect_rv, cz_blob **out,
			cz_error *err)
{
	(void)cur;
	return cz_store_update(c->store, key, obj, expect_rv, out, err);
}

static int store_remove(cz_api_call *c, const char *key, const json_t *cur,
			int64_t expect_rv, cz_blob **out, cz_error *err)
{
	(void)cur;
	return cz_store_delete(c->store, key, expect_rv, out, err);
}

static int store_watch(cz_store *store, const char *prefix, int64_t from_rv,
		       cz_watch **out, cz_error *err)
{
	return cz_store_watch(store, prefix, from_rv, out, err);
}

const cz_storage cz_store_storage = {
	.name = "store",
	.get = store_get,
	.list = store_list,
	.create = store_create,
	.update = store_update,
	.remove = store_remove,
	.watch = store_watch,
};

static const cz_storage *const storages[CZ_STORAGE_KINDS] = {
	[CZ_STORAGE_STORE] = &cz_store_storage,
	[CZ_STORAGE_REVISIONS] = &cz_revision_storage,
	[CZ_STORAGE_REVISION_RESOURCES] = &cz_revision_resources_storage,
};

const cz_storage *cz_storage_of(const cz_resource *r)
{
	return storages[r->storage];
}

int cz_api_storage_error(cz_api_call *c, int rc, const cz_error *err)
{
	if (c->status)
		return rc;
	return cz_api_error(c, rc, err ? err->msg : "storage failed");
}
