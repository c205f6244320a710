/* The dashboard's file lookup: which URL names reach an embedded file. */

#include "helpers.h"

#include "util/assets.h"

static const unsigned char page[] = "<!doctype html>";
static const unsigned char script[] = "export {};";

static const cz_asset table[] = {
	{ "index.html", "text/html; charset=utf-8", page, sizeof(page) - 1 },
	{ "app.js", "text/javascript; charset=utf-8", script,
	  sizeof(script) - 1 },
};
#define N (sizeof(table) / sizeof(table[0]))

static void test_names_that_match(void **state)
{
	(void)state;
	assert_ptr_equal(cz_asset_find(table, N, ""), &table[0]);
	assert_ptr_equal(cz_asset_find(table, N, "index.html"), &table[0]);
	assert_ptr_equal(cz_asset_find(table, N, "app.js"), &table[1]);
	assert_string_equal(cz_asset_find(table, N, "app.js")->content_type,
			    "text/javascript; charset=utf-8");
}

static void test_names_that_never_match(void **state)
{
	static const char *const refused[] = {
		"..", "../index.html", "./app.js", ".app.js", "a/app.js",
		"/app.js", "app.js/", "app.js?x=1", "app.js%00", "APP.JS",
		"app.js ", "%2e%2e", "..%2fapp.js", "app\\..\\x", "missing.js",
		"index.html\n", NULL,
	};
	char longname[200];

	(void)state;
	for (size_t i = 0; refused[i]; i++)
		assert_null(cz_asset_find(table, N, refused[i]));
	assert_null(cz_asset_find(table, N, NULL));
	memset(longname, 'a', sizeof(longname) - 4);
	memcpy(longname + sizeof(longname) - 4, ".js", 4);
	assert_null(cz_asset_find(table, N, longname));
	assert_null(cz_asset_find(NULL, 0, "app.js"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_that_match),
		cmocka_unit_test(test_names_that_never_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
