/* Session tokens: issue, lookup with a copied identity, revoke, expiry,
 * the cap, and the migrations group's permissions. */

#include "helpers.h"

#include <time.h>

#include "auth/session.h"
#include "auth/token.h"

static void test_issue_lookup_revoke(void **state)
{
	static const char *const groups[] = { CZ_GROUP_MIGRATIONS, "", NULL };
	cz_sessions *s = cz_sessions_new();
	cz_error err = CZ_ERROR_INIT;
	char a[65], b[65];
	cz_user u;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_int_equal(cz_sessions_issue(s, "mig", "uid-1", groups,
					   60000000000LL, a, &err),
			 CZ_OK);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(cz_sessions_issue(s, "other", NULL, NULL,
					   60000000000LL, b, &err),
			 CZ_OK);
	assert_string_not_equal(a, b);
	assert_true(cz_sessions_lookup(s, a, &u));
	assert_string_equal(u.name, "mig");
	assert_string_equal(u.uid, "uid-1");
	assert_int_equal(u.ngroups, 1); /* the empty group is dropped */
	assert_string_equal(u.groups[0], CZ_GROUP_MIGRATIONS);
	/* The copy outlives the session. */
	cz_sessions_revoke(s, a);
	assert_string_equal(u.name, "mig");
	cz_user_release(&u);
	assert_false(cz_sessions_lookup(s, a, &u));
	assert_false(cz_sessions_lookup(s, "", &u));
	assert_false(cz_sessions_lookup(s, NULL, &u));
	assert_false(cz_sessions_lookup(s, "x", &u));
	assert_int_equal(cz_sessions_count(s), 1);
	cz_sessions_revoke(s, "unknown");
	assert_int_equal(cz_sessions_count(s), 1);
	cz_sessions_free(s);
}

static void test_expiry_and_limits(void **state)
{
	cz_sessions *s = cz_sessions_new();
	cz_error err = CZ_ERROR_INIT;
	struct timespec pause = { 0, 20000000 };
	char tok[65];
	cz_user u;
	int rc = CZ_OK;

	(void)state;
	assert_int_equal(cz_sessions_issue(s, "", NULL, NULL, 1, tok, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_sessions_issue(s, "u", NULL, NULL, 0, tok, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_sessions_issue(s, "u", NULL, NULL, 1000000, tok,
					   &err),
			 CZ_OK);
	nanosleep(&pause, NULL);
	assert_false(cz_sessions_lookup(s, tok, &u));
	assert_int_equal(cz_sessions_count(s), 0);
	for (int i = 0; i < CZ_SESSIONS_MAX && rc == CZ_OK; i++)
		rc = cz_sessions_issue(s, "u", NULL, NULL, 60000000000LL, tok,
				       &err);
	assert_int_equal(rc, CZ_OK);
	assert_int_equal(cz_sessions_issue(s, "u", NULL, NULL, 60000000000LL,
					   tok, &err),
			 CZ_ETOOLARGE);
	assert_string_equal(tok, "");
	cz_sessions_free(s);
}

static void test_migrations_group(void **state)
{
	static char group[] = CZ_GROUP_MIGRATIONS;
	static char *groups[] = { group };
	static char name[] = "system:cozypkg-migrations";
	const cz_user u = { name, name, groups, 1 };

	(void)state;
	assert_true(cz_authorize(&u, "delete", "", "secrets", NULL));
	assert_true(cz_authorize(&u, "patch", "cozystack.io", "packages",
				 "status"));
	assert_true(cz_authorize(&u, "deletecollection", "apps",
				 "controllerrevisions", NULL));
	assert_false(cz_authorize(&u, "get", NULL, "", NULL));
	assert_false(cz_authorize_nonresource(&u, "/metrics"));
	assert_true(cz_authorize_nonresource(&u, "/api"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_lookup_revoke),
		cmocka_unit_test(test_expiry_and_limits),
		cmocka_unit_test(test_migrations_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
