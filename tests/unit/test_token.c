/* Tokens: generation, the token file, lookup and the authorization rules. */

#include "helpers.h"
#include "tmpdir.h"

#include <ctype.h>

#include "auth/token.h"
#include "util/mem.h"

static cz_tokens *parse_ok(const char *text)
{
	cz_error err = CZ_ERROR_INIT;
	cz_tokens *tokens = NULL;

	if (cz_tokens_parse(text, strlen(text), "tokens.csv", &tokens, &err))
		fail_msg("cz_tokens_parse: %s", err.msg);
	return tokens;
}

/* Parses text expecting a failure; returns the message. */
static const char *parse_fails(const char *text, int code)
{
	static cz_error err;
	cz_tokens *tokens = NULL;

	cz_error_clear(&err);
	assert_int_equal(
		cz_tokens_parse(text, strlen(text), "tokens.csv", &tokens, &err),
		code);
	assert_null(tokens);
	return err.msg;
}

static void test_generate(void **state)
{
	char a[65], b[65];

	(void)state;
	assert_int_equal(cz_token_generate(a, NULL), CZ_OK);
	assert_int_equal(cz_token_generate(b, NULL), CZ_OK);
	assert_int_equal(strlen(a), 64);
	for (size_t i = 0; i < 64; i++)
		assert_true(isxdigit((unsigned char)a[i]) &&
			    !isupper((unsigned char)a[i]));
	assert_string_not_equal(a, b);
}

static void test_parse_good_file(void **state)
{
	cz_tokens *t;
	const cz_user *u;

	(void)state;
	t = parse_ok("# cozypkgd users\n"
		     "\n"
		     "s3cret,admin,uid-1,\"system:masters, cozypkg:viewers\"\n"
		     "   \t\n"
		     "tok2,alice,,cozypkg:viewers\r\n"
		     "\"to,k\"\"3\",bob,uid-3\n"
		     "tok4,\"carol, jr\",uid-4,\"\"");
	assert_int_equal(cz_tokens_count(t), 4);

	u = cz_tokens_find(t, "s3cret");
	assert_non_null(u);
	assert_string_equal(u->name, "admin");
	assert_string_equal(u->uid, "uid-1");
	assert_int_equal(u->ngroups, 2);
	assert_string_equal(u->groups[0], "system:masters");
	assert_string_equal(u->groups[1], "cozypkg:viewers");

	u = cz_tokens_find(t, "tok2");
	assert_non_null(u);
	assert_string_equal(u->uid, "");
	assert_int_equal(u->ngroups, 1);
	assert_string_equal(u->groups[0], "cozypkg:viewers");

	u = cz_tokens_find(t, "to,k\"3");
	assert_non_null(u);
	assert_string_equal(u->name, "bob");
	assert_int_equal(u->ngroups, 0);

	u = cz_tokens_find(t, "tok4");
	assert_non_null(u);
	assert_string_equal(u->name, "carol, jr");
	assert_int_equal(u->ngroups, 0);
	cz_tokens_free(t);
}

static void test_parse_empty_file(void **state)
{
	cz_tokens *t;

	(void)state;
	t = parse_ok("");
	assert_int_equal(cz_tokens_count(t), 0);
	assert_null(cz_tokens_find(t, "anything"));
	cz_tokens_free(t);
}

static void test_malformed_lines(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "ok,u,1\ntok\n", "tokens.csv:2: missing user" },
		{ "tok,,1\n", "tokens.csv:1: missing user" },
		{ "tok,user\n", "tokens.csv:1: missing uid" },
		{ "# c\n,user,1\n", "tokens.csv:2: empty token" },
		{ "\"\",user,1\n", "tokens.csv:1: empty token" },
		{ "tok,user,1,\"a,b\n", "tokens.csv:1: unterminated quote" },
		{ "tok,user,1,\"a,\nb\"\n", "tokens.csv:1: unterminated quote" },
		{ "tok,user,1,\"a\"b\n",
		  "tokens.csv:1: unexpected character after a closing quote" },
		{ "tok,us\"er,1\n",
		  "tokens.csv:1: quote inside an unquoted field" },
		{ "tok,user,1,g,extra\n", "tokens.csv:1: too many fields" },
		{ "a,u,1\n\nb,v,2\na,w,3\n",
		  "tokens.csv:4: duplicate token (first on line 1)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_contains(parse_fails(cases[i].text, CZ_EINVALID),
				cases[i].msg);
}

static void test_error_hides_token(void **state)
{
	const char *msg;

	(void)state;
	msg = parse_fails("topsecretvalue,u,1\ntopsecretvalue,v,2\n",
			  CZ_EINVALID);
	assert_null(strstr(msg, "topsecret"));
	msg = parse_fails("topsecretvalue\n", CZ_EINVALID);
	assert_null(strstr(msg, "topsecret"));
}

static void test_nul_byte(void **state)
{
	static const char text[] = "tok\0x,user,1\n";
	cz_error err = CZ_ERROR_INIT;
	cz_tokens *t = NULL;

	(void)state;
	assert_int_equal(cz_tokens_parse(text, sizeof(text) - 1, "f", &t, &err),
			 CZ_EINVALID);
	assert_string_equal(err.msg, "f:1: NUL byte");
}

static void test_oversized(void **state)
{
	size_t len = CZ_TOKENS_MAX_BYTES + 1;
	char *big = malloc(len);
	char *dir = tmpdir_make();
	char *path = cz_xasprintf("%s/tokens.csv", dir);
	cz_error err = CZ_ERROR_INIT;
	cz_tokens *t = NULL;
	FILE *f;

	(void)state;
	memset(big, '#', len);
	assert_int_equal(cz_tokens_parse(big, len, "big.csv", &t, &err),
			 CZ_ETOOLARGE);
	assert_contains(err.msg, "big.csv: larger than");
	f = fopen(path, "wb");
	fwrite(big, 1, len, f);
	fclose(f);
	assert_int_equal(cz_tokens_load(path, &t, &err), CZ_ETOOLARGE);
	assert_contains(err.msg, path);
	assert_null(t);
	/* exactly at the cap is fine */
	assert_int_equal(cz_tokens_parse(big, len - 1, "big.csv", &t, &err),
			 CZ_OK);
	cz_tokens_free(t);
	tmpdir_remove(dir);
	free(path);
	free(dir);
	free(big);
}

static void test_load_file(void **state)
{
	char *dir = tmpdir_make();
	char *path = cz_xasprintf("%s/tokens.csv", dir);
	char *missing = cz_xasprintf("%s/none.csv", dir);
	cz_error err = CZ_ERROR_INIT;
	cz_tokens *t = NULL;

	(void)state;
	tmpdir_write(dir, "tokens.csv", "abc,admin,0,system:masters\n"
					"ok,u,1\nbad\n");
	assert_int_equal(cz_tokens_load(path, &t, &err), CZ_EINVALID);
	assert_contains(err.msg, path);
	assert_contains(err.msg, ":3: missing user");
	tmpdir_write(dir, "tokens.csv", "abc,admin,0,system:masters\n");
	assert_int_equal(cz_tokens_load(path, &t, &err), CZ_OK);
	assert_non_null(cz_tokens_find(t, "abc"));
	cz_tokens_free(t);
	assert_int_equal(cz_tokens_load(missing, &t, &err), CZ_ENOTFOUND);
	assert_contains(err.msg, missing);
	tmpdir_remove(dir);
	free(missing);
	free(path);
	free(dir);
}

static void test_add_and_find(void **state)
{
	static const char *const groups[] = { "system:masters", "", NULL };
	cz_error err = CZ_ERROR_INIT;
	cz_tokens *t = cz_tokens_new();
	const cz_user *u;

	(void)state;
	assert_int_equal(cz_tokens_add(t, "aaaa", "admin", NULL, groups, &err),
			 CZ_OK);
	assert_int_equal(cz_tokens_add(t, "aaab", "other", "7", NULL, &err),
			 CZ_OK);
	assert_int_equal(cz_tokens_add(t, "aaaa", "again", NULL, NULL, &err),
			 CZ_EEXISTS);
	assert_contains(err.msg, "duplicate token");
	assert_int_equal(cz_tokens_add(t, "", "x", NULL, NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_tokens_add(t, "x", "", NULL, NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_tokens_count(t), 2);

	u = cz_tokens_find(t, "aaaa");
	assert_non_null(u);
	assert_string_equal(u->name, "admin");
	assert_string_equal(u->uid, "");
	assert_int_equal(u->ngroups, 1);
	assert_string_equal(cz_tokens_find(t, "aaab")->name, "other");
	assert_null(cz_tokens_find(t, "aaa"));
	assert_null(cz_tokens_find(t, "aaaaa"));
	assert_null(cz_tokens_find(t, ""));
	assert_null(cz_tokens_find(t, NULL));
	assert_null(cz_tokens_find(NULL, "aaaa"));
	cz_tokens_free(t);
}

static void test_format_line_round_trip(void **state)
{
	static const char *const groups[] = { "system:masters",
					      "cozypkg:viewers", NULL };
	static const char *const bad_groups[] = { "a,b", NULL };
	cz_error err = CZ_ERROR_INIT;
	cz_buf out;
	cz_tokens *t;
	const cz_user *u;

	(void)state;
	cz_buf_init(&out, 4096);
	assert_int_equal(cz_tokens_format_line(&out, "t1", "admin", "0", groups,
					       &err),
			 CZ_OK);
	assert_string_equal(out.data,
			    "t1,admin,0,\"system:masters,cozypkg:viewers\"\n");
	assert_int_equal(cz_tokens_format_line(&out, "#t\"2", "a,b", NULL, NULL,
					       &err),
			 CZ_OK);
	assert_int_equal(cz_tokens_format_line(&out, "t3", "x\ny", NULL, NULL,
					       &err),
			 CZ_EINVALID);
	assert_int_equal(cz_tokens_format_line(&out, "t3", "x", NULL,
					       bad_groups, &err),
			 CZ_EINVALID);
	t = parse_ok(out.data);
	assert_int_equal(cz_tokens_count(t), 2);
	u = cz_tokens_find(t, "#t\"2");
	assert_non_null(u);
	assert_string_equal(u->name, "a,b");
	assert_int_equal(cz_tokens_find(t, "t1")->ngroups, 2);
	cz_tokens_free(t);
	cz_buf_release(&out);
}

static char *masters_groups[] = { CZ_GROUP_MASTERS };
static char *viewers_groups[] = { "developers", CZ_GROUP_VIEWERS };
static char *other_groups[] = { "developers" };
static const cz_user masters = { "admin", "0", masters_groups, 1 };
static const cz_user viewer = { "alice", "1", viewers_groups, 2 };
static const cz_user other = { "bob", "2", other_groups, 1 };
static const cz_user groupless = { "carol", "3", NULL, 0 };

static void test_authorize_matrix(void **state)
{
	static const char *const verbs[] = { "get",    "list",  "watch",
					     "create", "update", "patch",
					     "delete", "deletecollection" };

	(void)state;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++) {
		bool read = i < 3;

		assert_true(cz_authorize(&masters, verbs[i], "", "secrets",
					 NULL));
		assert_true(cz_authorize(&masters, verbs[i], "cozystack.io",
					 "packages", "status"));
		assert_int_equal(cz_authorize(&viewer, verbs[i], "cozystack.io",
					      "packages", NULL),
				 read);
		assert_int_equal(cz_authorize(&viewer, verbs[i], NULL,
					      "configmaps", NULL),
				 read);
		assert_int_equal(cz_authorize(&viewer, verbs[i], "cozystack.io",
					      "packages", "status"),
				 read);
		assert_false(cz_authorize(&viewer, verbs[i], "", "secrets",
					  NULL));
		assert_false(cz_authorize(&viewer, verbs[i], NULL, "secrets",
					  NULL));
		/* a "secrets" resource in another group is not a Secret */
		assert_int_equal(cz_authorize(&viewer, verbs[i], "example.io",
					      "secrets", NULL),
				 read);
		assert_false(cz_authorize(&other, verbs[i], "cozystack.io",
					  "packages", NULL));
		assert_false(cz_authorize(&groupless, verbs[i], "",
					  "configmaps", NULL));
		assert_false(cz_authorize(NULL, verbs[i], "", "configmaps",
					  NULL));
	}
	assert_true(cz_authorize(&masters, "escalate", "", "anything", NULL));
	assert_false(cz_authorize(&viewer, "GET", "", "pods", NULL));
	assert_false(cz_authorize(&viewer, "get", "", "", NULL));
	assert_false(cz_authorize(&viewer, NULL, "", "pods", NULL));
	assert_true(cz_user_in_group(&viewer, CZ_GROUP_VIEWERS));
	assert_false(cz_user_in_group(&groupless, CZ_GROUP_VIEWERS));
}

static void test_authorize_nonresource(void **state)
{
	static const char *const open[] = {
		"/api",	       "/api/v1",    "/apis",
		"/apis/cozystack.io/v1alpha1", "/version",   "/version/",
		"/openapi/v2", "/openapi/v3/apis/x", "/healthz",
		"/livez",      "/readyz/ping",
	};
	static const char *const closed[] = {
		"/metrics", "/",	   "/apiserver", "/versions",
		"/debug/pprof", "/version/../metrics", "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(open) / sizeof(*open); i++) {
		assert_true(cz_authorize_nonresource(&groupless, open[i]));
		assert_true(cz_authorize_nonresource(&viewer, open[i]));
		assert_false(cz_authorize_nonresource(NULL, open[i]));
	}
	for (size_t i = 0; i < sizeof(closed) / sizeof(*closed); i++) {
		assert_false(cz_authorize_nonresource(&other, closed[i]));
		assert_false(cz_authorize_nonresource(&viewer, closed[i]));
		assert_true(cz_authorize_nonresource(&masters, closed[i]));
	}
	assert_false(cz_authorize_nonresource(&masters, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_parse_good_file),
		cmocka_unit_test(test_parse_empty_file),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_error_hides_token),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_add_and_find),
		cmocka_unit_test(test_format_line_round_trip),
		cmocka_unit_test(test_authorize_matrix),
		cmocka_unit_test(test_authorize_nonresource),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
