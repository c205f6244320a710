/* cozypkg rpkg's pure parts: PackageRevision names, the paths a package
 * may hold, and the text pull prints and push reads back. */

#include "helpers.h"

#include <stdlib.h>

#include "../../src/cli/cli.h"
#include "util/mem.h"

static void test_id_parse(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cli_rpkg_id id;
	char *back;

	(void)state;
	assert_int_equal(cli_rpkg_id_parse("catalog.repo.nf:core:x.example.ws1",
					   &id, &err), CZ_OK);
	assert_string_equal(id.id.target, "catalog");
	assert_string_equal(id.id.repository, "repo");
	assert_string_equal(id.id.realm, "nf/core/x");
	assert_string_equal(id.id.package, "example");
	assert_string_equal(id.id.workspace, "ws1");
	assert_string_equal(id.id.revision, "");
	/* The server's name for the identity is the name parsed. */
	back = cz_revid_name(&id.id);
	assert_string_equal(back, "catalog.repo.nf:core:x.example.ws1");
	free(back);
	cli_rpkg_id_release(&id);
}

static void test_id_parse_errors(void **state)
{
	static const char *const bad[] = {
		"a.b.c.d", "a.b.c.d.e.f", "", "a", ".b.c.d.e", "a..c.d.e",
		"a.b..d.e", "a.b.c..e", "a.b.c.d.", "A.b.c.d.e", "a.b.c:.d.e",
		"a.b.c::d.d.e", "a.b.c/d.d.e", "a.b_c.d.e.f",
	};
	cz_error err = CZ_ERROR_INIT;
	cli_rpkg_id id;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (cli_rpkg_id_parse(bad[i], &id, &err) != CZ_EINVALID)
			fail_msg("accepted \"%s\"", bad[i]);
		cli_rpkg_id_release(&id);
	}
	assert_int_equal(cli_rpkg_id_parse("a.b.c.d", &id, &err), CZ_EINVALID);
	assert_non_null(strstr(err.msg, "a.b.c.d: expected TARGET.REPOSITORY."
					"REALM.PACKAGE.WORKSPACE"));
	assert_non_null(strstr(err.msg, "got 4 parts"));
	cli_rpkg_id_release(&id);
	assert_int_equal(cli_rpkg_id_parse("a.b.c..e", &id, &err), CZ_EINVALID);
	assert_non_null(strstr(err.msg, "a.b.c..e: spec.packageRevID.package: "
					"Invalid value: \"\""));
	cli_rpkg_id_release(&id);
}

static void test_path_ok(void **state)
{
	static const char *const good[] = { "Kptfile", "a/b/c.yaml",
					    ".gitignore", "a/.github/x",
					    "..x", "x.." };
	static const char *const bad[] = { "", "/etc/passwd", "../x",
					   "a/../../x", "a/..", "a//b", "a/",
					   "./a", "a/./b", ".git/config",
					   "a/.git/hooks/pre-commit", ".git",
					   "a\nb", "a\rb", "tab\there" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(cli_rpkg_path_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (cli_rpkg_path_ok(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
}

static char *text_of(const json_t *files)
{
	cz_error err = CZ_ERROR_INIT;
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cli_rpkg_text_write(files, &b, &err), CZ_OK);
	return cz_buf_detach(&b, NULL);
}

/* What pull prints, for the plain case: sorted, verbatim. */
static void test_text_plain(void **state)
{
	json_t *files = json_pack("{s:s, s:s}", "b/x.yaml", "kind: X\n",
				  "Kptfile", "apiVersion: kpt.dev/v1\n");
	char *text = text_of(files);

	(void)state;
	assert_string_equal(text, "--- path: Kptfile\napiVersion: kpt.dev/v1\n"
				  "--- path: b/x.yaml\nkind: X\n");
	free(text);
	json_decref(files);
}

/* Every awkward content reads back to the same bytes. */
static void test_text_round_trip(void **state)
{
	json_t *files = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "empty", "",
		"no-newline", "a\nb", "header-inside",
		"x\n--- path: evil\n--- path: evil\n", "backslashes",
		"\\\n\\\\x\n\\ No newline at end of file\n", "marker-last",
		"a\n\\ No newline at end of file", "only-newline", "\n",
		"crlf", "a\r\nb\r\n", "utf8", "é ✓\n");
	json_t *back = NULL;
	cz_error err = CZ_ERROR_INIT;
	char *text = text_of(files);

	(void)state;
	assert_int_equal(cli_rpkg_text_read(text, strlen(text), &back, &err),
			 CZ_OK);
	if (!json_equal(files, back))
		fail_msg("not the same after a round trip:\n%s", text);
	assert_non_null(strstr(text, "--- path: no-newline\na\nb\n\\ No "
				     "newline at end of file\n"));
	assert_non_null(strstr(text, "x\n\\--- path: evil\n"));
	free(text);
	json_decref(back);
	json_decref(files);
}

/* Text written by hand: a last line without a newline is content. */
static void test_text_read_by_hand(void **state)
{
	const char *text = "--- path: a\none\n--- path: d/b\ntwo";
	cz_error err = CZ_ERROR_INIT;
	json_t *files = NULL;

	(void)state;
	assert_int_equal(cli_rpkg_text_read(text, strlen(text), &files, &err),
			 CZ_OK);
	assert_int_equal(json_object_size(files), 2);
	assert_string_equal(json_string_value(json_object_get(files, "a")),
			    "one\n");
	assert_string_equal(json_string_value(json_object_get(files, "d/b")),
			    "two");
	json_decref(files);
}

static void read_fails(const char *text, size_t len, const char *msg)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *files = (json_t *)"untouched";

	assert_int_equal(cli_rpkg_text_read(text, len, &files, &err),
			 CZ_EINVALID);
	assert_null(files);
	if (!strstr(err.msg, msg))
		fail_msg("\"%s\" does not say \"%s\"", err.msg, msg);
}

static void test_text_read_errors(void **state)
{
	(void)state;
	read_fails("hello\n--- path: a\n", 18, "line 1: expected \"--- path: "
					       "FILE\"");
	read_fails("--- path: ../x\ny\n", 17, "line 1: \"../x\" is not a path "
					      "inside the package");
	read_fails("--- path: /etc/x\n", 17, "not a path inside");
	read_fails("--- path: .git/config\n", 22, "not a path inside");
	read_fails("--- path: a\n--- path: a\n", 24, "line 2: \"a\" is given "
						 "twice");
	read_fails("--- path: a\n\\ No newline at end of file\n", 40,
		   "line 2: \"\\ No newline at end of file\" follows no line");
	read_fails("--- path: a\nx\xff\n", 15, "a: not UTF-8 text");
	read_fails("--- path: a\nx\0y\n", 16, "a: not UTF-8 text");
}

/* A resource pull cannot print is refused, not printed. */
static void test_text_write_errors(void **state)
{
	json_t *files = json_pack("{s:s}", "../escape", "x");
	cz_error err = CZ_ERROR_INIT;
	cz_buf b;

	(void)state;
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cli_rpkg_text_write(files, &b, &err), CZ_EINVALID);
	assert_string_equal(err.msg, "resource \"../escape\": not a path "
				     "inside the package");
	json_decref(files);
	files = json_pack("{s:i}", "n", 1);
	assert_int_equal(cli_rpkg_text_write(files, &b, &err), CZ_EINVALID);
	assert_string_equal(err.msg, "resource \"n\": not text");
	json_decref(files);
	cz_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_parse),
		cmocka_unit_test(test_id_parse_errors),
		cmocka_unit_test(test_path_ok),
		cmocka_unit_test(test_text_plain),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_text_read_by_hand),
		cmocka_unit_test(test_text_read_errors),
		cmocka_unit_test(test_text_write_errors),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
