/* Package revision identity (names, paths in git), pkgserver's lifecycle
 * table, and who may publish. */

#include "helpers.h"

#include "auth/token.h"
#include "revision/revid.h"

static void test_name_and_path(void **state)
{
	cz_revid catalog = { "catalog", "repo-catalog", "nf/core",
			     "example", "ws1", "" };
	cz_revid target = { "dummy", "repo-target", "nf", "example", "ws1",
			    "" };
	char *s;

	(void)state;
	s = cz_revid_name(&catalog);
	assert_string_equal(s, "catalog.repo-catalog.nf:core.example.ws1");
	free(s);
	s = cz_revid_path(&catalog, "packages");
	assert_string_equal(s, "packages/nf/core/example");
	free(s);
	s = cz_revid_path(&target, "");
	assert_string_equal(s, "dummy/nf/example");
	free(s);
	s = cz_revid_path(&target, NULL);
	assert_string_equal(s, "dummy/nf/example");
	free(s);
}

static void test_parse_path(void **state)
{
	cz_revid_parts p;

	(void)state;
	assert_int_equal(cz_revid_parse_path("packages/nf/core/example",
					     "packages", false, &p),
			 CZ_OK);
	assert_string_equal(p.target, "catalog");
	assert_string_equal(p.realm, "nf/core");
	assert_string_equal(p.package, "example");
	cz_revid_parts_free(&p);
	assert_int_equal(cz_revid_parse_path("dummy/nf/example", "", true, &p),
			 CZ_OK);
	assert_string_equal(p.target, "dummy");
	assert_string_equal(p.realm, "nf");
	assert_string_equal(p.package, "example");
	cz_revid_parts_free(&p);
	/* Too few segments, or outside the directory. */
	assert_int_equal(cz_revid_parse_path("example", "", false, &p),
			 CZ_EINVALID);
	assert_int_equal(cz_revid_parse_path("nf/example", "", true, &p),
			 CZ_EINVALID);
	assert_int_equal(cz_revid_parse_path("packagesx/nf/example",
					     "packages", false, &p),
			 CZ_EINVALID);
}

static void test_check(void **state)
{
	cz_revid ok = { "catalog", "repo", "nf/core", "example", "ws-1", "" };
	cz_revid bad = ok;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_revid_check(&ok, &err), CZ_OK);
	bad.workspace = "Ws1";
	assert_int_equal(cz_revid_check(&bad, &err), CZ_EINVALID);
	assert_non_null(strstr(err.msg, "spec.packageRevID.workspace"));
	bad = ok;
	bad.realm = "nf/../x";
	assert_int_equal(cz_revid_check(&bad, &err), CZ_EINVALID);
	assert_non_null(strstr(err.msg, "spec.packageRevID.realm"));
	bad = ok;
	bad.realm = "/nf";
	assert_int_equal(cz_revid_check(&bad, &err), CZ_EINVALID);
	bad = ok;
	bad.package = "a.b"; /* a dot would make the name ambiguous */
	assert_int_equal(cz_revid_check(&bad, &err), CZ_EINVALID);
	assert_non_null(strstr(err.msg, "spec.packageRevID.package"));
	bad = ok;
	bad.target = "";
	assert_int_equal(cz_revid_check(&bad, &err), CZ_EINVALID);
	bad = ok;
	bad.repository = "r-0123456789012345678901234567890123456789012345678"
			 "9012345678901";
	assert_int_equal(cz_revid_check(&bad, &err), CZ_EINVALID);
}

static void test_lifecycle_table(void **state)
{
	/* pkgserver-porch §2.2, row by row. */
	static const bool want[4][4] = {
		{ true, true, false, true },
		{ true, true, true, true },
		{ false, false, true, true },
		{ false, false, true, true },
	};

	(void)state;
	for (int from = 0; from < 4; from++)
		for (int to = 0; to < 4; to++)
			assert_int_equal(cz_lifecycle_allowed(
						 (cz_lifecycle)from,
						 (cz_lifecycle)to),
					 want[from][to]);
	assert_int_equal(cz_lifecycle_parse(NULL), CZ_LC_DRAFT);
	assert_int_equal(cz_lifecycle_parse("deletionProposed"),
			 CZ_LC_DELETION_PROPOSED);
	assert_int_equal(cz_lifecycle_parse("Published"), CZ_LC_INVALID);
	assert_false(cz_lifecycle_allowed(CZ_LC_INVALID, CZ_LC_DRAFT));
	assert_string_equal(cz_lifecycle_name(CZ_LC_PROPOSED), "proposed");
}

static void test_who_may_approve(void **state)
{
	static const char *const approvers[] = { CZ_GROUP_APPROVERS, NULL };
	static const char *const authors[] = { CZ_GROUP_AUTHORS, NULL };
	static const char *const viewers[] = { CZ_GROUP_VIEWERS, NULL };
	cz_user a, b, v;
	const char *g = "pkg.pkgserver.dev";

	(void)state;
	cz_user_init(&a, "bob", NULL, approvers);
	cz_user_init(&b, "alice", NULL, authors);
	cz_user_init(&v, "vera", NULL, viewers);
	assert_true(cz_user_may_approve(&a));
	assert_false(cz_user_may_approve(&b));
	assert_true(cz_authorize(&a, "update", g, "packagerevisions",
				 "approval"));
	assert_false(cz_authorize(&b, "update", g, "packagerevisions",
				  "approval"));
	assert_false(cz_authorize(&v, "update", g, "packagerevisions",
				  "approval"));
	/* Authors write revisions and their resources, nothing else. */
	assert_true(cz_authorize(&b, "create", g, "packagerevisions", NULL));
	assert_true(cz_authorize(&b, "update", g,
				 "packagerevisionresourceses", NULL));
	assert_false(cz_authorize(&b, "deletecollection", g,
				  "packagerevisions", NULL));
	assert_false(cz_authorize(&b, "create", "cozystack.io", "packages",
				  NULL));
	assert_true(cz_authorize(&b, "list", "cozystack.io", "packages", NULL));
	assert_false(cz_authorize(&b, "get", "", "secrets", NULL));
	assert_false(cz_authorize(&v, "create", g, "packagerevisions", NULL));
	cz_user_release(&a);
	cz_user_release(&b);
	cz_user_release(&v);
}

/* The install gate applies and prunes any kind, but never a collection,
 * and never publishes. */
static void test_installers(void **state)
{
	static const char *const installers[] = { CZ_GROUP_INSTALLERS, NULL };
	cz_user u;

	(void)state;
	cz_user_init(&u, "system:cozypkg-installer", NULL, installers);
	assert_true(cz_authorize(&u, "patch", "cozystack.io", "packages",
				 NULL));
	assert_true(cz_authorize(&u, "delete", "cozystack.io", "packages",
				 NULL));
	assert_true(cz_authorize(&u, "get", "", "secrets", NULL));
	assert_false(cz_authorize(&u, "deletecollection", "", "configmaps",
				  NULL));
	assert_false(cz_authorize(&u, "update", "pkg.pkgserver.dev",
				  "packagerevisions", "approval"));
	assert_false(cz_authorize(&u, "get", NULL, NULL, NULL));
	cz_user_release(&u);
}

/* The controllers delete a PackageVariant's drafts, and no Package. */
static void test_controllers_delete(void **state)
{
	static const char *const controllers[] = { CZ_GROUP_CONTROLLERS,
						   NULL };
	cz_user u;

	(void)state;
	cz_user_init(&u, "system:cozypkg-controllers", NULL, controllers);
	assert_true(cz_authorize(&u, "delete", "pkg.pkgserver.dev",
				 "packagerevisions", NULL));
	assert_false(cz_authorize(&u, "delete", "cozystack.io", "packages",
				  NULL));
	assert_false(cz_authorize(&u, "deletecollection", "pkg.pkgserver.dev",
				  "packagerevisions", NULL));
	cz_user_release(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_and_path),
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_lifecycle_table),
		cmocka_unit_test(test_who_may_approve),
		cmocka_unit_test(test_installers),
		cmocka_unit_test(test_controllers_delete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
