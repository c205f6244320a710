/* Semantic versions and Masterminds-style constraints (see semver.h). */

#include "util/semver.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-';
}

/* Reads decimal digits at *p into *out.  no_leading_zero refuses "01". */
static int parse_number(const char **p, bool no_leading_zero, uint64_t *out,
			cz_error *err)
{
	const char *s = *p;
	uint64_t value = 0;

	if (!is_digit(*s))
		return cz_fail(err, CZ_EINVALID, "expected a number at \"%s\"",
			       s);
	if (no_leading_zero && s[0] == '0' && is_digit(s[1]))
		return cz_fail(err, CZ_EINVALID,
			       "number \"%.20s\" has a leading zero", s);
	for (; is_digit(*s); s++) {
		uint64_t digit = (uint64_t)(*s - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return cz_fail(err, CZ_EINVALID,
				       "number \"%.30s\" is too large", *p);
		value = value * 10 + digit;
	}
	*out = value;
	*p = s;
	return CZ_OK;
}

/*
 * Reads dot-separated identifiers at *p (after '-' or '+') into out, up to
 * the first byte that is neither an identifier character nor a dot.
 * numeric_rules applies the prerelease rule that numeric identifiers have
 * no leading zero.
 */
static int parse_identifiers(const char **p, bool numeric_rules, char *out,
			     const char *what, cz_error *err)
{
	const char *s = *p;
	size_t len = 0;

	for (;;) {
		const char *start = s;
		bool all_digits = true;

		while (is_ident_char(*s)) {
			if (!is_digit(*s))
				all_digits = false;
			s++;
		}
		if (s == start)
			return cz_fail(err, CZ_EINVALID,
				       "%s has an empty identifier", what);
		if (numeric_rules && all_digits && start[0] == '0' &&
		    s - start > 1)
			return cz_fail(err, CZ_EINVALID,
				       "%s identifier \"%.*s\" has a leading zero",
				       what, (int)(s - start), start);
		if (*s != '.')
			break;
		s++;
	}
	len = (size_t)(s - *p);
	if (len >= CZ_SEMVER_PART_MAX)
		return cz_fail(err, CZ_ETOOLARGE, "%s is longer than %d bytes",
			       what, CZ_SEMVER_PART_MAX - 1);
	memcpy(out, *p, len);
	out[len] = '\0';
	*p = s;
	return CZ_OK;
}

/* Reads the optional "-prerelease" and "+build" at *p. */
static int parse_suffixes(const char **p, cz_semver *v, cz_error *err)
{
	int rc;

	v->prerelease[0] = '\0';
	v->build[0] = '\0';
	if (**p == '-') {
		(*p)++;
		rc = parse_identifiers(p, true, v->prerelease, "prerelease",
				       err);
		if (rc < 0)
			return rc;
	}
	if (**p == '+') {
		(*p)++;
		rc = parse_identifiers(p, false, v->build, "build metadata",
				       err);
		if (rc < 0)
			return rc;
	}
	return CZ_OK;
}

int cz_semver_parse(const char *text, unsigned flags, cz_semver *out,
		    cz_error *err)
{
	const char *p = text;
	cz_semver v;
	int rc;

	memset(&v, 0, sizeof(v));
	if ((flags & CZ_SEMVER_ALLOW_V) && *p == 'v')
		p++;
	if ((rc = parse_number(&p, true, &v.major, err)) < 0)
		return rc;
	if (*p != '.')
		return cz_fail(err, CZ_EINVALID,
			       "expected MAJOR.MINOR.PATCH");
	p++;
	if ((rc = parse_number(&p, true, &v.minor, err)) < 0)
		return rc;
	if (*p != '.')
		return cz_fail(err, CZ_EINVALID,
			       "expected MAJOR.MINOR.PATCH");
	p++;
	if ((rc = parse_number(&p, true, &v.patch, err)) < 0)
		return rc;
	if ((rc = parse_suffixes(&p, &v, err)) < 0)
		return rc;
	if (*p != '\0')
		return cz_fail(err, CZ_EINVALID, "unexpected \"%.20s\"", p);
	*out = v;
	return CZ_OK;
}

static int compare_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static bool all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return len > 0;
}

/* SemVer §11.4: identifiers compared one by one, numeric ones as numbers
 * and lower than alphanumeric ones; a shorter list is lower. */
static int compare_prerelease(const char *a, const char *b)
{
	if (!*a || !*b)
		return *a ? -1 : *b ? 1 : 0; /* none ranks above any */
	for (;;) {
		size_t alen = strcspn(a, ".");
		size_t blen = strcspn(b, ".");
		bool anum = all_digits(a, alen);
		bool bnum = all_digits(b, blen);
		int cmp;

		if (anum && bnum) {
			/* No leading zeros: a longer number is larger. */
			cmp = alen != blen ? (alen < blen ? -1 : 1)
					   : memcmp(a, b, alen);
		} else if (anum != bnum) {
			cmp = anum ? -1 : 1;
		} else {
			size_t n = alen < blen ? alen : blen;

			cmp = memcmp(a, b, n);
			if (cmp == 0)
				cmp = compare_u64(alen, blen);
		}
		if (cmp != 0)
			return cmp < 0 ? -1 : 1;
		a += alen;
		b += blen;
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
		a++;
		b++;
	}
}

int cz_semver_compare(const cz_semver *a, const cz_semver *b)
{
	int cmp = compare_u64(a->major, b->major);

	if (cmp == 0)
		cmp = compare_u64(a->minor, b->minor);
	if (cmp == 0)
		cmp = compare_u64(a->patch, b->patch);
	if (cmp == 0)
		cmp = compare_prerelease(a->prerelease, b->prerelease);
	return cmp;
}

char *cz_semver_format(const cz_semver *v, char *out, size_t size)
{
	snprintf(out, size, "%llu.%llu.%llu%s%s%s%s",
		 (unsigned long long)v->major, (unsigned long long)v->minor,
		 (unsigned long long)v->patch, v->prerelease[0] ? "-" : "",
		 v->prerelease, v->build[0] ? "+" : "", v->build);
	return out;
}

/* --- constraints ------------------------------------------------------- */

typedef enum comparator_op {
	OP_EQ,
	OP_NE,
	OP_GT,
	OP_LT,
	OP_GE,
	OP_LE,
	OP_TILDE,
	OP_CARET,
} comparator_op;

typedef struct comparator {
	comparator_op op;
	cz_semver version;  /* missing and wildcard parts are 0 */
	bool any_major;     /* "*", "x": nothing was given */
	bool minor_dirty;   /* "1", "1.x": minor and patch are wildcards */
	bool patch_dirty;   /* "1.2", "1.2.x": patch is a wildcard */
} comparator;

typedef struct comparator_group {
	size_t first;
	size_t count;
} comparator_group;

struct cz_semver_constraint {
	comparator *items;
	size_t nitems;
	size_t items_cap;
	comparator_group *groups;
	size_t ngroups;
	size_t groups_cap;
};

static const struct {
	const char *text;
	comparator_op op;
} operators[] = {
	/* Two-byte operators first, so that ">=" is not read as ">". */
	{ "!=", OP_NE }, { ">=", OP_GE }, { "=>", OP_GE }, { "<=", OP_LE },
	{ "=<", OP_LE }, { "~>", OP_TILDE }, { ">", OP_GT }, { "<", OP_LT },
	{ "=", OP_EQ },  { "~", OP_TILDE }, { "^", OP_CARET },
};

static bool is_wildcard(char c)
{
	return c == 'x' || c == 'X' || c == '*';
}

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/* One part of a partial version: a number, or a wildcard (*wild set). */
static int parse_part(const char **p, uint64_t *value, bool *wild,
		      cz_error *err)
{
	if (is_wildcard(**p)) {
		(*p)++;
		*wild = true;
		*value = 0;
		return CZ_OK;
	}
	*wild = false;
	return parse_number(p, false, value, err);
}

/* Parses the version of a comparator, text[0..len), which may be partial
 * or hold wildcards. */
static int parse_partial(const char *text, size_t len, comparator *c,
			 cz_error *err)
{
	char copy[3 * CZ_SEMVER_PART_MAX];
	const char *p = copy;
	bool wild = false;
	int rc;

	if (len >= sizeof(copy))
		return cz_fail(err, CZ_ETOOLARGE, "version is too long");
	memcpy(copy, text, len);
	copy[len] = '\0';
	memset(&c->version, 0, sizeof(c->version));
	c->any_major = c->minor_dirty = c->patch_dirty = false;
	if (*p == 'v' || *p == 'V')
		p++;
	if ((rc = parse_part(&p, &c->version.major, &wild, err)) < 0)
		return rc;
	if (wild) {
		c->any_major = true;
		goto skip_rest;
	}
	if (*p != '.') {
		c->minor_dirty = c->patch_dirty = true;
		goto suffixes;
	}
	p++;
	if ((rc = parse_part(&p, &c->version.minor, &wild, err)) < 0)
		return rc;
	if (wild) {
		c->minor_dirty = c->patch_dirty = true;
		c->version.minor = 0;
		goto skip_rest;
	}
	if (*p != '.') {
		c->patch_dirty = true;
		goto suffixes;
	}
	p++;
	if ((rc = parse_part(&p, &c->version.patch, &wild, err)) < 0)
		return rc;
	if (wild) {
		c->patch_dirty = true;
		goto skip_rest;
	}
	goto suffixes;
skip_rest:
	/* Parts after a wildcard do not matter ("1.x.3" is "1.x"). */
	while (*p == '.' && (is_digit(p[1]) || is_wildcard(p[1]))) {
		p++;
		while (is_digit(*p) || is_wildcard(*p))
			p++;
	}
suffixes:
	if ((rc = parse_suffixes(&p, &c->version, err)) < 0)
		return rc;
	if (*p != '\0')
		return cz_fail(err, CZ_EINVALID, "unexpected \"%s\"", p);
	return CZ_OK;
}

static void add_comparator(cz_semver_constraint *c, const comparator *item)
{
	CZ_GROW(c->items, c->nitems + 1, c->items_cap);
	c->items[c->nitems++] = *item;
	c->groups[c->ngroups - 1].count++;
}

/* Reads an operator at *p (none means =); *given says whether there was
 * one. */
static comparator_op read_operator(const char **p, bool *given)
{
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
		size_t n = strlen(operators[i].text);

		if (strncmp(*p, operators[i].text, n) == 0) {
			*p += n;
			*given = true;
			return operators[i].op;
		}
	}
	*given = false;
	return OP_EQ;
}

/* Reads "[op] version" at *p into *out; *op_given tells whether an operator
 * was written. */
static int read_comparator(const char **p, const char *end, comparator *out,
			   bool *op_given, cz_error *err)
{
	const char *start = *p;
	const char *version;
	int rc;

	out->op = read_operator(p, op_given);
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	version = *p;
	while (*p < end && !is_separator(**p))
		(*p)++;
	if (*p == version)
		return cz_fail(err, CZ_EINVALID,
			       "comparator \"%.*s\": missing version",
			       (int)(*p - start), start);
	rc = parse_partial(version, (size_t)(*p - version), out, err);
	if (rc < 0)
		cz_error_prefix(err, "comparator \"%.*s\"", (int)(*p - start),
				start);
	return rc;
}

/* Parses one AND group, text[0..end), into c. */
static int parse_group(cz_semver_constraint *c, const char *p, const char *end,
		       cz_error *err)
{
	CZ_GROW(c->groups, c->ngroups + 1, c->groups_cap);
	c->groups[c->ngroups].first = c->nitems;
	c->groups[c->ngroups].count = 0;
	c->ngroups++;
	for (;;) {
		comparator item;
		bool op_given;
		const char *look;
		int rc;

		while (p < end && is_separator(*p))
			p++;
		if (p == end)
			break;
		if ((rc = read_comparator(&p, end, &item, &op_given, err)) < 0)
			return rc;
		look = p;
		while (look < end && (*look == ' ' || *look == '\t'))
			look++;
		if (look < end && *look == '-' && look > p &&
		    (look + 1 == end || look[1] == ' ' || look[1] == '\t')) {
			comparator upper;
			bool upper_op;

			if (op_given)
				return cz_fail(err, CZ_EINVALID,
					       "a hyphen range takes versions "
					       "without operators");
			p = look + 1;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p == end)
				return cz_fail(err, CZ_EINVALID,
					       "hyphen range without an "
					       "upper bound");
			rc = read_comparator(&p, end, &upper, &upper_op, err);
			if (rc < 0)
				return rc;
			if (upper_op)
				return cz_fail(err, CZ_EINVALID,
					       "a hyphen range takes versions "
					       "without operators");
			item.op = OP_GE;
			upper.op = OP_LE;
			add_comparator(c, &item);
			add_comparator(c, &upper);
			continue;
		}
		add_comparator(c, &item);
	}
	if (c->groups[c->ngroups - 1].count == 0)
		return cz_fail(err, CZ_EINVALID, "empty alternative");
	return CZ_OK;
}

void cz_semver_constraint_free(cz_semver_constraint *c)
{
	if (!c)
		return;
	free(c->items);
	free(c->groups);
	free(c);
}

int cz_semver_constraint_parse(const char *text, cz_semver_constraint **out,
			       cz_error *err)
{
	cz_semver_constraint *c = cz_xcalloc(1, sizeof(*c));
	const char *p = text;
	int rc = CZ_OK;

	*out = NULL;
	for (;;) {
		const char *bar = strstr(p, "||");
		const char *end = bar ? bar : p + strlen(p);

		if ((rc = parse_group(c, p, end, err)) < 0)
			goto cleanup;
		if (!bar)
			break;
		p = bar + 2;
	}
	*out = c;
	c = NULL;
cleanup:
	if (rc < 0)
		cz_error_prefix(err, "constraint \"%s\"", text);
	cz_semver_constraint_free(c);
	return rc;
}

static bool tilde_matches(const comparator *c, const cz_semver *v)
{
	const cz_semver *want = &c->version;

	if (cz_semver_compare(v, want) < 0)
		return false;
	if (want->major == 0 && want->minor == 0 && want->patch == 0 &&
	    !c->minor_dirty && !c->patch_dirty)
		return true; /* ~0.0.0 is >=0.0.0 */
	if (v->major != want->major)
		return false;
	return c->minor_dirty || v->minor == want->minor;
}

static bool caret_matches(const comparator *c, const cz_semver *v)
{
	const cz_semver *want = &c->version;

	if (cz_semver_compare(v, want) < 0)
		return false;
	if (want->major > 0 || c->minor_dirty)
		return v->major == want->major;
	if (v->major > 0)
		return false;
	if (want->minor > 0 || c->patch_dirty)
		return v->minor == want->minor;
	if (v->minor > 0)
		return false;
	return v->patch == want->patch;
}

/* > on a partial version: past every version the wildcard covers. */
static bool greater_matches(const comparator *c, const cz_semver *v)
{
	const cz_semver *want = &c->version;

	if (c->minor_dirty)
		return v->major > want->major;
	if (c->patch_dirty)
		return v->major > want->major ||
		       (v->major == want->major && v->minor > want->minor);
	return cz_semver_compare(v, want) > 0;
}

/* <= on a partial version: up to the last version the wildcard covers. */
static bool less_equal_matches(const comparator *c, const cz_semver *v)
{
	const cz_semver *want = &c->version;

	if (c->minor_dirty)
		return v->major <= want->major;
	if (c->patch_dirty)
		return v->major < want->major ||
		       (v->major == want->major && v->minor <= want->minor);
	return cz_semver_compare(v, want) <= 0;
}

static bool comparator_matches(const comparator *c, const cz_semver *v)
{
	if (v->prerelease[0] && !c->version.prerelease[0])
		return false;
	if (c->any_major)
		return c->op != OP_NE && c->op != OP_LT && c->op != OP_GT;
	switch (c->op) {
	case OP_EQ:
		if (c->minor_dirty || c->patch_dirty)
			return tilde_matches(c, v);
		return cz_semver_compare(v, &c->version) == 0;
	case OP_NE:
		if (c->minor_dirty || c->patch_dirty)
			return !tilde_matches(c, v);
		return cz_semver_compare(v, &c->version) != 0;
	case OP_GT:
		return greater_matches(c, v);
	case OP_LT:
		return cz_semver_compare(v, &c->version) < 0;
	case OP_GE:
		return cz_semver_compare(v, &c->version) >= 0;
	case OP_LE:
		return less_equal_matches(c, v);
	case OP_TILDE:
		return tilde_matches(c, v);
	case OP_CARET:
		return caret_matches(c, v);
	}
	return false;
}

bool cz_semver_constraint_matches(const cz_semver_constraint *c,
				  const cz_semver *v)
{
	for (size_t g = 0; g < c->ngroups; g++) {
		const comparator_group *group = &c->groups[g];
		bool all = true;

		for (size_t i = 0; i < group->count && all; i++)
			all = comparator_matches(&c->items[group->first + i], v);
		if (all)
			return true;
	}
	return false;
}

#define FILTER_MAX 256

/*
 * glibc's regcomp() takes memory exponential in stacked repetitions
 * ("a+++++", "a{9}{9}{9}"); Flux evaluates semverFilter with Go's linear
 * RE2, which has no such cost.  Refuses a repetition operator right after
 * another one, outside brackets and escapes.
 */
static bool filter_has_stacked_repetition(const char *re)
{
	bool after_repetition = false;

	for (const char *p = re; *p; p++) {
		if (*p == '\\') {
			after_repetition = false;
			if (p[1])
				p++;
			continue;
		}
		if (*p == '[') {
			/* Skip the bracket expression; "]" first is literal. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']')
				p++;
			if (!*p)
				return false; /* regcomp reports it */
			after_repetition = false;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			if (after_repetition)
				return true;
			if (*p == '{')
				while (p[1] && *p != '}')
					p++;
			after_repetition = true;
			continue;
		}
		after_repetition = false;
	}
	return false;
}

int cz_semver_pick_highest(const char *const *tags, size_t ntags,
			   const char *constraint, const char *filter,
			   size_t *index_out, cz_error *err)
{
	cz_semver_constraint *want = NULL;
	regex_t filter_re;
	bool have_filter = false;
	bool found = false;
	cz_semver best;
	size_t best_index = 0;
	int rc;

	memset(&best, 0, sizeof(best));
	if ((rc = cz_semver_constraint_parse(constraint, &want, err)) < 0)
		goto cleanup;
	if (filter && (strlen(filter) > FILTER_MAX ||
		       filter_has_stacked_repetition(filter))) {
		rc = cz_fail(err, CZ_EINVALID,
			     "semverFilter \"%.64s\": longer than %d bytes or "
			     "with stacked repetitions",
			     filter, FILTER_MAX);
		goto cleanup;
	}
	if (filter) {
		int re_rc = regcomp(&filter_re, filter, REG_EXTENDED | REG_NOSUB);

		if (re_rc != 0) {
			char why[256];

			regerror(re_rc, &filter_re, why, sizeof(why));
			rc = cz_fail(err, CZ_EINVALID,
				     "semverFilter \"%s\": %s", filter, why);
			goto cleanup;
		}
		have_filter = true;
	}
	for (size_t i = 0; i < ntags; i++) {
		cz_semver v;
		int cmp;

		if (have_filter && regexec(&filter_re, tags[i], 0, NULL, 0) != 0)
			continue;
		if (cz_semver_parse(tags[i], CZ_SEMVER_ALLOW_V, &v, NULL) < 0)
			continue;
		if (!cz_semver_constraint_matches(want, &v))
			continue;
		cmp = found ? cz_semver_compare(&v, &best) : 1;
		if (cmp > 0 || (cmp == 0 && strcmp(tags[i], tags[best_index]) < 0)) {
			best = v;
			best_index = i;
			found = true;
		}
	}
	if (!found) {
		rc = cz_fail(err, CZ_ENOTFOUND,
			     "no tag matches constraint \"%s\"%s%s%s", constraint,
			     filter ? " and filter \"" : "", filter ? filter : "",
			     filter ? "\"" : "");
		goto cleanup;
	}
	*index_out = best_index;
	rc = CZ_OK;
cleanup:
	if (have_filter)
		regfree(&filter_re);
	cz_semver_constraint_free(want);
	return rc;
}
