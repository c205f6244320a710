/* Semantic versions: strict parsing, precedence, Masterminds constraints
 * and picking the highest matching tag. */

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/mem.h"
#include "util/semver.h"

static void test_parse_valid(void **state)
{
	static const char *const valid[] = {
		"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1",
		"1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0+20130313144700",
		"1.0.0-beta+exp.sha.5114f85", "1.0.0-alpha-a.b-c",
		"18446744073709551615.0.0", "1.0.0-0A.is.legal",
	};
	cz_semver v;
	char text[300];

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		cz_error err = CZ_ERROR_INIT;

		if (cz_semver_parse(valid[i], CZ_SEMVER_STRICT, &v, &err) != 0)
			fail_msg("%s: %s", valid[i], err.msg);
		assert_string_equal(cz_semver_format(&v, text, sizeof(text)),
				    valid[i]);
	}
	assert_int_equal(cz_semver_parse("v1.2.3", CZ_SEMVER_ALLOW_V, &v, NULL),
			 0);
	assert_int_equal(v.minor, 2);
}

static void test_parse_invalid(void **state)
{
	static const char *const invalid[] = {
		"", "1", "1.2", "1.x", "1.2.x", "01.2.3", "1.02.3", "1.2.03",
		"v1.2.3", "1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b",
		"1.2.3-a_b", " 1.2.3", "1.2.3 ", "1.2.3.4",
		"18446744073709551616.0.0", "-1.2.3", "1.2.3+a+b",
	};
	cz_semver v;

	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		cz_error err = CZ_ERROR_INIT;

		if (cz_semver_parse(invalid[i], CZ_SEMVER_STRICT, &v, &err) == 0)
			fail_msg("\"%s\" was accepted", invalid[i]);
		assert_true(err.msg[0] != '\0');
	}
}

static void test_precedence(void **state)
{
	/* SemVer §11's example chain, in increasing order. */
	static const char *const chain[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
		"1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0",
	};
	size_t n = sizeof(chain) / sizeof(chain[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			cz_semver a, b;
			int cmp;

			assert_int_equal(cz_semver_parse(chain[i], 0, &a, NULL), 0);
			assert_int_equal(cz_semver_parse(chain[j], 0, &b, NULL), 0);
			cmp = cz_semver_compare(&a, &b);
			if ((i < j && cmp >= 0) || (i > j && cmp <= 0) ||
			    (i == j && cmp != 0))
				fail_msg("%s vs %s gave %d", chain[i], chain[j],
					 cmp);
		}
	}
	{
		cz_semver a, b;

		cz_semver_parse("1.0.0+a", 0, &a, NULL);
		cz_semver_parse("1.0.0+b", 0, &b, NULL);
		assert_int_equal(cz_semver_compare(&a, &b), 0);
	}
}

typedef struct match_case {
	const char *constraint;
	const char *version;
	bool want;
} match_case;

static void test_constraints(void **state)
{
	static const match_case cases[] = {
		{ ">=1.2.0 <2.0.0", "1.2.0", true },
		{ ">=1.2.0 <2.0.0", "1.9.9", true },
		{ ">=1.2.0 <2.0.0", "2.0.0", false },
		{ ">=1.2.0, <2.0.0", "1.5.0", true },
		{ ">= 1.2.0, < 2.0.0", "1.1.0", false },
		{ "<1.0.0 || >=3.0.0", "0.5.0", true },
		{ "<1.0.0 || >=3.0.0", "2.0.0", false },
		{ "<1.0.0 || >=3.0.0", "3.1.0", true },
		{ "~1.2.3", "1.2.9", true },
		{ "~1.2.3", "1.3.0", false },
		{ "~1.2", "1.2.0", true },
		{ "~1", "1.9.0", true },
		{ "~1", "2.0.0", false },
		{ "~>1.2", "1.2.5", true },
		{ "^1.2.3", "1.9.0", true },
		{ "^1.2.3", "2.0.0", false },
		{ "^1.2.3", "1.2.2", false },
		{ "^0.2.3", "0.2.9", true },
		{ "^0.2.3", "0.3.0", false },
		{ "^0.0.3", "0.0.3", true },
		{ "^0.0.3", "0.0.4", false },
		{ "^0", "0.9.0", true },
		{ "^1.x", "1.5.0", true },
		{ "1.2.x", "1.2.7", true },
		{ "1.2.x", "1.3.0", false },
		{ "1.2", "1.2.7", true },
		{ "1.x", "1.0.0", true },
		{ "1.X", "2.0.0", false },
		{ "*", "5.6.7", true },
		{ "x", "0.0.1", true },
		{ "=1.2.3", "1.2.3", true },
		{ "1.2.3", "1.2.4", false },
		{ "v1.2.3", "1.2.3", true },
		{ "!=1.2.3", "1.2.4", true },
		{ "!=1.2.3", "1.2.3", false },
		{ "!=1.2.x", "1.2.5", false },
		{ "!=1.2.x", "1.3.0", true },
		{ ">1.2", "1.2.9", false },
		{ ">1.2", "1.3.0", true },
		{ ">1", "1.9.0", false },
		{ ">1", "2.0.0", true },
		{ ">1.2.3", "1.2.4", true },
		{ "<=1.2", "1.2.9", true },
		{ "<=1.2", "1.3.0", false },
		{ "=<1.2.3", "1.2.3", true },
		{ "=>1.2.3", "1.2.3", true },
		{ "<1.2.x", "1.1.9", true },
		{ "<1.2.x", "1.2.0", false },
		{ "1.2 - 1.4.5", "1.2.0", true },
		{ "1.2 - 1.4.5", "1.4.5", true },
		{ "1.2 - 1.4.5", "1.4.6", false },
		{ "1.2.3 - 2", "2.9.0", true },
		{ "1.2.3 - 2", "3.0.0", false },
		{ "1.2.3 - 2", "1.2.2", false },
		/* Prereleases only where the comparator asks for one. */
		{ ">=1.0.0", "2.0.0-rc.1", false },
		{ "*", "1.0.0-rc.1", false },
		{ ">=1.0.0-0", "1.0.0-rc.1", true },
		{ ">=2.0.0-rc.1", "2.0.0-rc.2", true },
		{ ">=2.0.0-rc.1", "2.0.0-rc.0", false },
		{ "~1.2.3-beta", "1.2.3-beta.2", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cz_semver_constraint *c = NULL;
		cz_error err = CZ_ERROR_INIT;
		cz_semver v;

		if (cz_semver_constraint_parse(cases[i].constraint, &c, &err) != 0)
			fail_msg("%s: %s", cases[i].constraint, err.msg);
		assert_int_equal(cz_semver_parse(cases[i].version, 0, &v, NULL),
				 0);
		if (cz_semver_constraint_matches(c, &v) != cases[i].want)
			fail_msg("\"%s\" on %s: expected %s", cases[i].constraint,
				 cases[i].version,
				 cases[i].want ? "match" : "no match");
		cz_semver_constraint_free(c);
	}
}

static void test_bad_constraints(void **state)
{
	static const char *const bad[] = {
		"", "||", ">=1.0 ||", ">=", ">= ,", "1.2.3 -", ">1 - 2",
		"1 - >2", "abc", "1.2.3.4.5", ">=1.0.0-", "1.2.3 || foo",
		"==1.2.3",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cz_semver_constraint *c = NULL;
		cz_error err = CZ_ERROR_INIT;

		if (cz_semver_constraint_parse(bad[i], &c, &err) == 0)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_null(c);
		assert_contains(err.msg, "constraint \"");
	}
}

static void test_pick_highest(void **state)
{
	static const char *const tags[] = {
		"latest", "v1.0.0", "1.2.0", "v1.10.0", "1.9.0", "2.0.0-rc.1",
		"2.0.0", "v1.10.0-rc.1", "1.10.0", "1.5.0-flavor-a",
	};
	size_t n = sizeof(tags) / sizeof(tags[0]);
	size_t idx = 99;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_semver_pick_highest(tags, n, "*", NULL, &idx, &err), 0);
	assert_string_equal(tags[idx], "2.0.0");
	/* Same precedence: the smallest string wins, whatever the order. */
	assert_int_equal(cz_semver_pick_highest(tags, n, "<2.0.0", NULL, &idx,
						&err), 0);
	assert_string_equal(tags[idx], "1.10.0");
	assert_int_equal(cz_semver_pick_highest(tags, n, "<2.0.0", "^v", &idx,
						&err), 0);
	assert_string_equal(tags[idx], "v1.10.0");
	assert_int_equal(cz_semver_pick_highest(tags, n, ">=1.0.0-0", "flavor-a$",
						&idx, &err), 0);
	assert_string_equal(tags[idx], "1.5.0-flavor-a");
	assert_int_equal(cz_semver_pick_highest(tags, n, ">=3", NULL, &idx, &err),
			 CZ_ENOTFOUND);
	assert_contains(err.msg, "no tag matches");
	assert_int_equal(cz_semver_pick_highest(tags, n, "*", "(", &idx, &err),
			 CZ_EINVALID);
	assert_contains(err.msg, "semverFilter");
	assert_int_equal(cz_semver_pick_highest(tags, n, "*", "a+++++++", &idx,
						&err), CZ_EINVALID);
	assert_contains(err.msg, "stacked repetitions");
	assert_int_equal(cz_semver_pick_highest(tags, n, "*", "[+*]+", &idx, &err),
			 CZ_ENOTFOUND);
	assert_int_equal(cz_semver_pick_highest(NULL, 0, "*", NULL, &idx, &err),
			 CZ_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_bad_constraints),
		cmocka_unit_test(test_pick_highest),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
