#include "api/path.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

#define MAX_SEGMENTS 8
#define MAX_PATH 4096

void cz_api_path_release(cz_api_path *p)
{
	free(p->ns);
	free(p->name);
	free(p->sub);
	memset(p, 0, sizeof(*p));
}

/* Splits copy in place into non-empty segments; more than MAX_SEGMENTS
 * yields MAX_SEGMENTS + 1. */
static size_t split_path(char *copy, char **seg)
{
	size_t n = 0;
	char *save = NULL;

	for (char *s = strtok_r(copy, "/", &save); s;
	     s = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGMENTS)
			return MAX_SEGMENTS + 1;
		seg[n++] = s;
	}
	return n;
}

/* Fills out from the segments after the group and version. */
static int parse_rest(const char *group, const char *version, char **seg,
		      size_t n, cz_api_path *out)
{
	const cz_resource *r;
	size_t i = 0;

	if (n >= 3 && strcmp(seg[0], "namespaces") == 0 &&
	    (r = cz_resource_find(group, version, seg[2])) && r->namespaced) {
		out->ns = cz_xstrdup(seg[1]);
		i = 2;
	}
	if (i >= n)
		return CZ_ENOTFOUND;
	r = cz_resource_find(group, version, seg[i]);
	if (!r || n - i > 3)
		return CZ_ENOTFOUND;
	if (!out->ns && r->namespaced && n - i > 1)
		return CZ_ENOTFOUND; /* a namespaced object needs its namespace */
	out->res = r;
	if (n - i > 1)
		out->name = cz_xstrdup(seg[i + 1]);
	if (n - i > 2)
		out->sub = cz_xstrdup(seg[i + 2]);
	return CZ_OK;
}

int cz_api_path_parse(const char *path, cz_api_path *out)
{
	char *copy = NULL;
	char *seg[MAX_SEGMENTS];
	size_t n;
	int rc = CZ_ENOTFOUND;

	memset(out, 0, sizeof(*out));
	if (strlen(path) > MAX_PATH)
		return CZ_ENOTFOUND;
	copy = cz_xstrdup(path);
	n = split_path(copy, seg);
	if (n > MAX_SEGMENTS)
		goto cleanup;
	if (n >= 3 && strcmp(seg[0], "api") == 0)
		rc = parse_rest("", seg[1], seg + 2, n - 2, out);
	else if (n >= 4 && strcmp(seg[0], "apis") == 0)
		rc = parse_rest(seg[1], seg[2], seg + 3, n - 3, out);
cleanup:
	if (rc != CZ_OK)
		cz_api_path_release(out);
	free(copy);
	return rc;
}
