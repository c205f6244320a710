#ifndef CZ_SERVER_MARKET_H
#define CZ_SERVER_MARKET_H

/*
 * The marketplace index as cozypkgd serves it to the dashboard
 * (GET /market/search, docs/api.md): read from the location the CLI would
 * use (--index, else $COZYPKG_INDEX, else the config file, else the
 * default) and held for a short while.
 */

#include <stdbool.h>

#include "market/index.h"
#include "server.h"

/* The longest search term accepted. */
#define CZ_MARKET_MAX_TERM 256

typedef struct cz_market_cache cz_market_cache;

/* Resolves the index location from flag (may be NULL) as the CLI does;
 * nothing is fetched until the first search.  *out is owned by the
 * caller (cz_market_cache_free); NULL on failure (a config file that does
 * not parse). */
int cz_market_cache_open(const char *flag, bool insecure,
			 cz_market_cache **out, cz_error *err);
void cz_market_cache_free(cz_market_cache *c);

/* GET /market/search?q=TERM: the matching entries, each with the objects
 * a tap of it writes; any authenticated user. */
int cz_handle_market_search(cz_req *req);

#endif
