#include "util/blob.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

cz_blob *cz_blob_new(const char *key, int64_t rv, const char *data,
		     size_t len)
{
	size_t keylen = strlen(key);
	cz_blob *b = cz_xmalloc(sizeof(*b) + keylen + 1 + len + 1);
	char *key_copy = (char *)(b + 1);
	char *data_copy = key_copy + keylen + 1;

	memcpy(key_copy, key, keylen + 1);
	memcpy(data_copy, data, len);
	data_copy[len] = '\0';
	atomic_init(&b->refs_, 1);
	b->rv = rv;
	b->key = key_copy;
	b->len = len;
	b->data = data_copy;
	return b;
}

cz_blob *cz_blob_ref(cz_blob *b)
{
	/* Taking a reference needs no ordering: the caller already holds one
	 * (or the lock that protects the holder), so the blob is alive. */
	atomic_fetch_add_explicit(&b->refs_, 1, memory_order_relaxed);
	return b;
}

void cz_blob_unref(cz_blob *b)
{
	if (!b)
		return;
	/* acq_rel: every use of the blob by other holders happens before the
	 * free by whoever drops the last reference. */
	if (atomic_fetch_sub_explicit(&b->refs_, 1, memory_order_acq_rel) == 1)
		free(b);
}
