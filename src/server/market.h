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

typedef struct cz_search_index cz_search_index;

/* Resolves the index location from flag (may be NULL) as the CLI does;
 * nothing is fetched until the first search.  *out is owned by the
 * caller (cz_search_index_free); NULL on failure (a config file that does
 * not parse). */
int cz_search_index_open(const char *flag, bool insecure,
			 cz_search_index **out, cz_error *err);
void cz_search_index_free(cz_search_index *c);

/* GET /market/search?q=TERM: the matching entries, each with the objects
 * a tap of it writes; any authenticated user. */
int cz_handle_market_search(cz_req *req);

#endif
