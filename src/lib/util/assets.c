#include "util/assets.h"

#include <stdbool.h>
#include <string.h>

/* Longer names are no file of ours; the cap keeps the scan bounded. */
#define ASSET_NAME_MAX 64

static bool is_plain_name(const char *name)
{
	size_t len = 0;

	if (name[0] == '.')
		return false;
	for (const char *p = name; *p; p++, len++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
			  *p == '.';

		if (!ok || len >= ASSET_NAME_MAX)
			return false;
	}
	return true;
}

const cz_asset *cz_asset_find(const cz_asset *assets, size_t n,
			      const char *name)
{
	if (!name)
		return NULL;
	if (!*name)
		name = "index.html";
	if (!is_plain_name(name))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(assets[i].name, name) == 0)
			return &assets[i];
	return NULL;
}
