/* libFuzzer target: one marketplace index entry file.  Whatever the
 * bytes, parsing must either give a valid entry or report at least one
 * problem, and a valid entry must survive the searches and references
 * built from it and a trip through the index cache.  The same bytes are
 * also read as an index cache file (market/cache.h), with the key they
 * carry: anything decoded must encode back to the same bytes. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "market/cache.h"
#include "market/index.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer calls this once, before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cz_json_use_project_allocator();
	return 0;
}

static const unsigned char KEY[CZ_MARKET_CACHE_KEY_LEN] = { 7 };

static void cache_trip(const cz_market_index *idx)
{
	cz_market_index back = CZ_MARKET_INDEX_INIT;
	size_t len = 0;
	char *bytes = cz_market_cache_encode(idx, KEY, &len);

	if (cz_market_cache_decode(bytes, len, KEY, &back) != CZ_OK ||
	    back.len != 1 || strcmp(back.entries[0].name, idx->entries[0].name))
		abort();
	cz_market_index_release(&back);
	free(bytes);
}

/* The input as a cache file, under whatever key it names after the
 * 22-byte magic line. */
static void decode_as_cache(const uint8_t *data, size_t size)
{
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	unsigned char key[CZ_MARKET_CACHE_KEY_LEN];
	size_t len = 0;
	char *again;

	if (size < 22 + CZ_MARKET_CACHE_KEY_LEN)
		return;
	memcpy(key, data + 22, sizeof(key));
	if (cz_market_cache_decode((const char *)data, size, key, &idx) != CZ_OK)
		return;
	again = cz_market_cache_encode(&idx, key, &len);
	if (len != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
	cz_market_index_release(&idx);
}

static void use_entry(const cz_market_entry *e)
{
	cz_market_index idx = { (cz_market_entry *)e, 1, 1, 1, 0 };
	const cz_market_entry **res = NULL;
	char *ref = cz_market_entry_reference(e);
	char *url = cz_market_entry_url(e);

	if (!e->name || !e->oci_ref || !e->version || strchr(e->oci_ref, '@'))
		abort();
	if (cz_market_search(&idx, e->name, &res) != 1 || res[0] != e)
		abort();
	if (cz_market_find(&idx, e->name) != e)
		abort();
	free(res);
	free(ref);
	free(url);
	cache_trip(&idx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cz_market_entry e;
	cz_diags d;
	int rc;

	decode_as_cache(data, size);
	cz_diags_init(&d);
	rc = cz_market_entry_parse((const char *)data, size, "fuzz.yaml",
				   size < 4096, &e, &d);
	if (rc == CZ_OK) {
		if (d.nerrors)
			abort();
		use_entry(&e);
		cz_market_entry_release(&e);
	} else if (d.nerrors == 0) {
		abort();
	}
	cz_diags_release(&d);
	return 0;
}
