#ifndef CZ_STORE_BLOB_H
#define CZ_STORE_BLOB_H

/* Making blobs; private to the store (users only ref and unref them). */

#include "store/store.h"

/* A new blob with one reference, holding copies of key and data[0..len)
 * in a single allocation; released with cz_blob_unref(). */
cz_blob *cz_blob_new(const char *key, int64_t rv, const char *data,
		     size_t len);

#endif
