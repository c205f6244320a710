/* A tiny semver picker for the git source tests: the real one lives in
 * util/semver.  Tags "v1.2.3" or "1.2.3" (pre-releases ignored);
 * constraints: comparators (>= <= > < = != ~ ^) joined by spaces or
 * commas, all of which must hold, partial versions ("1", "1.2") and "*". */
#ifndef CZ_TEST_GIT_SEMVER_PICK_H
#define CZ_TEST_GIT_SEMVER_PICK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

/* Parses up to three numbers; returns how many, -1 when malformed. */
static inline int tsv_parse(const char *s, long v[3], int allow_partial)
{
	int n = 0;

	if (*s == 'v' || *s == 'V')
		s++;
	v[0] = v[1] = v[2] = 0;
	while (n < 3) {
		char *end;

		if (*s < '0' || *s > '9')
			return -1;
		v[n++] = strtol(s, &end, 10);
		s = end;
		if (*s != '.')
			break;
		s++;
	}
	if (*s != '\0' || (!allow_partial && n != 3))
		return -1;
	return n;
}

static inline int tsv_cmp(const long a[3], const long b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static inline int tsv_match_one(const long v[3], const char *c)
{
	char op[3] = "";
	long w[3], hi[3];
	int n, k = 0, cmp;

	if (strcmp(c, "*") == 0 || strcmp(c, "x") == 0)
		return 1;
	while (k < 2 && strchr("<>=!~^", c[k]))
		op[k] = c[k], k++;
	op[k] = '\0';
	n = tsv_parse(c + k, w, 1);
	if (n < 0)
		return -1;
	cmp = tsv_cmp(v, w);
	if (!*op || !strcmp(op, "=")) {
		for (int i = 0; i < n; i++)
			if (v[i] != w[i])
				return 0;
		return 1;
	}
	if (!strcmp(op, "!="))
		return cmp != 0;
	if (!strcmp(op, ">="))
		return cmp >= 0;
	if (!strcmp(op, ">"))
		return cmp > 0;
	if (!strcmp(op, "<="))
		return cmp <= 0;
	if (!strcmp(op, "<"))
		return cmp < 0;
	memcpy(hi, w, sizeof(hi));
	if (!strcmp(op, "~")) {
		if (n == 1)
			hi[0]++, hi[1] = 0;
		else
			hi[1]++;
		hi[2] = 0;
	} else if (!strcmp(op, "^")) {
		hi[0]++, hi[1] = hi[2] = 0;
	} else {
		return -1;
	}
	return cmp >= 0 && tsv_cmp(v, hi) < 0;
}

static inline int test_semver_pick(void *ctx, const char *const *tags,
				   size_t n, const char *constraint,
				   char **out, cz_error *err)
{
	long best[3] = { -1, -1, -1 };
	const char *best_tag = NULL;

	(void)ctx;
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		long v[3];
		char *cs = cz_xstrdup(constraint), *save = NULL, *tok;
		int ok = 1;

		if (tsv_parse(tags[i], v, 0) != 3) {
			free(cs);
			continue;
		}
		for (tok = strtok_r(cs, " ,", &save); tok && ok;
		     tok = strtok_r(NULL, " ,", &save)) {
			int m = tsv_match_one(v, tok);

			if (m < 0) {
				free(cs);
				return cz_fail(err, CZ_EINVALID,
					       "bad semver constraint %s",
					       constraint);
			}
			ok = m;
		}
		free(cs);
		if (ok && tsv_cmp(v, best) > 0) {
			memcpy(best, v, sizeof(best));
			best_tag = tags[i];
		}
	}
	if (!best_tag)
		return CZ_ENOTFOUND;
	*out = cz_xstrdup(best_tag);
	return CZ_OK;
}

#endif
