#ifndef CZ_UTIL_SEMVER_H
#define CZ_UTIL_SEMVER_H

/*
 * Semantic versions (SemVer 2.0.0) and version constraints.
 *
 * Versions are parsed strictly, as Helm validates a chart's version:
 * MAJOR.MINOR.PATCH, numbers without leading zeros, an optional
 * "-prerelease" of dot-separated identifiers and an optional "+build".
 * Precedence follows SemVer §11 (build metadata is ignored).
 *
 * Constraints use the syntax of Masterminds/semver v3, which Flux uses for
 * the `semver` field of OCIRepository and GitRepository references:
 *   - comparators  =  !=  >  <  >=  <=  (also => and =<), a space between
 *     operator and version is allowed, no operator means =;
 *   - versions in comparators may be partial or wildcards: 1, 1.2, 1.2.x,
 *     1.x, *, with an optional leading v;
 *   - ~1.2.3 is >=1.2.3 <1.3.0, ~1 is >=1.0.0 <2.0.0 (~> is the same);
 *   - ^1.2.3 is >=1.2.3 <2.0.0, ^0.2.3 is >=0.2.3 <0.3.0, ^0.0.3 is =0.0.3;
 *   - "1.2 - 1.4.5" (spaces around the dash) is >=1.2 <=1.4.5;
 *   - comparators separated by spaces or commas must all hold (AND);
 *     groups separated by || are alternatives (OR).
 * A version with a prerelease only satisfies a comparator whose own version
 * has a prerelease (so ">=1.0.0" does not pick "2.0.0-rc.1").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CZ_SEMVER_PART_MAX 128 /* bytes of prerelease or build, plus NUL */

/* Flags of cz_semver_parse(). */
enum cz_semver_flags {
	CZ_SEMVER_STRICT = 0,
	CZ_SEMVER_ALLOW_V = 1 << 0, /* accept a leading "v" (tags like v1.2.3) */
};

typedef struct cz_semver {
	uint64_t major;
	uint64_t minor;
	uint64_t patch;
	char prerelease[CZ_SEMVER_PART_MAX]; /* "" when none */
	char build[CZ_SEMVER_PART_MAX];      /* "" when none */
} cz_semver;

/* Parses text (flags: enum cz_semver_flags) into *out.  Returns CZ_OK, or
 * CZ_EINVALID with a message saying what is wrong (the text is quoted by
 * the caller), or CZ_ETOOLARGE for a prerelease or build over the cap. */
int cz_semver_parse(const char *text, unsigned flags, cz_semver *out,
		    cz_error *err);

/* SemVer precedence: negative, 0 or positive as a is lower, equal or
 * higher than b.  Build metadata is not compared. */
int cz_semver_compare(const cz_semver *a, const cz_semver *b);

/* Writes the canonical text of v ("1.2.3-rc.1+build") into out, truncated
 * to size; returns out. */
char *cz_semver_format(const cz_semver *v, char *out, size_t size);

typedef struct cz_semver_constraint cz_semver_constraint;

/* Parses a constraint; *out is owned by the caller, who frees it with
 * cz_semver_constraint_free().  CZ_EINVALID names the bad comparator. */
int cz_semver_constraint_parse(const char *text, cz_semver_constraint **out,
			       cz_error *err);
bool cz_semver_constraint_matches(const cz_semver_constraint *c,
				  const cz_semver *v);
void cz_semver_constraint_free(cz_semver_constraint *c);

/*
 * Picks the highest of tags[0..ntags) that is a version (a leading v is
 * accepted), satisfies constraint and, when filter is not NULL, matches the
 * POSIX extended regular expression filter (unanchored, as Flux's
 * semverFilter).  Tags that are not versions are skipped.  Of tags with the
 * same precedence the smallest string wins, so the answer never depends on
 * the order of tags.  Returns CZ_OK with *index_out set, CZ_ENOTFOUND when
 * no tag qualifies, CZ_EINVALID for a bad constraint or regex.
 */
int cz_semver_pick_highest(const char *const *tags, size_t ntags,
			   const char *constraint, const char *filter,
			   size_t *index_out, cz_error *err);

#endif
