#ifndef CZ_UTIL_ASSETS_H
#define CZ_UTIL_ASSETS_H

/*
 * Files compiled into a binary (the dashboard's page, script and style),
 * looked up by the name a URL gives.  The table is generated at build
 * time (scripts/embed-assets.sh); every entry and its bytes are static.
 */

#include <stddef.h>

typedef struct cz_asset {
	const char *name;         /* file name, no directory */
	const char *content_type; /* from the extension */
	const unsigned char *data;
	size_t len;
} cz_asset;

/*
 * The asset that name (what follows the prefix in the URL, e.g. "app.js")
 * names among the n in assets, or NULL.  An empty name means index.html.
 * Only a single segment of letters, digits, '-', '_' and '.' that does not
 * start with '.' can match: a URL with a directory, "..", a NUL or an
 * encoded byte never reaches the table, so nothing outside it is served.
 * The returned asset is borrowed from the table.
 */
const cz_asset *cz_asset_find(const cz_asset *assets, size_t n,
			      const char *name);

#endif
