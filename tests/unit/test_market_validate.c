/* Package repository validation (market/validate.h) on small trees
 * written into a temporary directory. */

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "market/validate.h"
#include "util/fileio.h"
#include "util/mem.h"

static char *tree; /* the repository of the current test */

static void put(const char *rel, const char *text)
{
	char *path = cz_xasprintf("%s/%s", tree, rel);
	cz_error err = CZ_ERROR_INIT;

	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_int_equal(cz_file_write_atomic(path, text, strlen(text), 0644,
					      &err),
			 0);
	free(path);
}

static void chart(const char *dir)
{
	char *rel = cz_xasprintf("packages/%s/Chart.yaml", dir);

	put(rel, "apiVersion: v2\nname: c\nversion: 1.0.0\n");
	free(rel);
}

/* A source NAME with one component at PATH and the extra variant lines. */
static void source(const char *name, const char *path, const char *extra)
{
	char *rel = cz_xasprintf("packages/core/platform/sources/%s.yaml",
				 name);
	char *text = cz_xasprintf(
		"apiVersion: cozystack.io/v1alpha1\nkind: PackageSource\n"
		"metadata:\n  name: %s\nspec:\n  sourceRef: {kind: "
		"OCIRepository, name: r, namespace: cozy-system, path: /}\n"
		"  variants:\n  - name: default\n%s    components:\n"
		"    - name: c\n      path: %s\n      install: {namespace: x, "
		"privileged: true}\n",
		name, extra, path);

	put(rel, text);
	free(text);
	free(rel);
}

static int setup(void **state)
{
	(void)state;
	tree = cz_xstrdup("/tmp/cz-validate-test.XXXXXX");
	assert_non_null(mkdtemp(tree));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cz_remove_tree(tree);
	free(tree);
	return 0;
}

/* Validates the tree; returns the diagnostics joined by newlines. */
static char *run(const cz_validate_opts *o, cz_validate_report *r)
{
	static char text[16384];
	cz_error err = CZ_ERROR_INIT;
	size_t at = 0;

	cz_validate_report_init(r);
	assert_int_equal(cz_validate_repo(tree, o, r, &err), 0);
	text[0] = '\0';
	for (size_t i = 0; i < r->diags.len && at < sizeof(text); i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%s\n",
				       r->diags.items[i].text);
	return text;
}

static void test_clean_and_privileged(void **state)
{
	cz_validate_report r;

	(void)state;
	chart("apps/a");
	source("acme.a", "apps/a", "");
	run(NULL, &r);
	assert_int_equal(r.diags.nerrors, 0);
	assert_int_equal(r.nsources, 1);
	assert_int_equal(r.ncharts, 1);
	assert_int_equal(r.nprivileged, 1);
	assert_string_equal(r.privileged[0],
			    "acme.a: variant default: component c");
	cz_validate_report_release(&r);
}

static void test_missing_chart_and_dependency(void **state)
{
	cz_validate_report r;
	const char *const known[] = { "acme.db", NULL };
	cz_validate_opts o = { known, false };
	char *text;

	(void)state;
	source("acme.a", "apps/none", "    dependsOn: [acme.db]\n");
	text = run(NULL, &r);
	assert_int_equal(r.diags.nerrors, 2);
	assert_non_null(strstr(text, "acme.a.yaml:12: spec.variants[0]."
				     "components[0].path: \"apps/none\" is "
				     "not a chart"));
	assert_non_null(strstr(text, "acme.a.yaml:9: spec.variants[0]."
				     "dependsOn[0]: \"acme.db\""));
	cz_validate_report_release(&r);
	run(&o, &r);
	assert_int_equal(r.diags.nerrors, 1);
	cz_validate_report_release(&r);
}

static void test_reserved_and_escape(void **state)
{
	cz_validate_report r;
	cz_validate_opts allow = { NULL, true };
	char *text;

	(void)state;
	chart("apps/a");
	source("cozystack.a", "apps/a", "");
	source("acme.b", "../outside", "");
	text = run(NULL, &r);
	assert_int_equal(r.diags.nerrors, 2);
	assert_non_null(strstr(text, "\"cozystack.a\": the prefixes"));
	assert_non_null(strstr(text, "leaves the artifact"));
	cz_validate_report_release(&r);
	run(&allow, &r);
	assert_int_equal(r.diags.nerrors, 1);
	cz_validate_report_release(&r);
	assert_true(cz_name_reserved("community.x"));
	assert_false(cz_name_reserved("communityx.y"));
}

static void test_cycle_and_schema(void **state)
{
	cz_validate_report r;
	char *text;

	(void)state;
	chart("apps/a");
	put("packages/apps/a/values.yaml", "replicas: many\n");
	put("packages/apps/a/values.schema.json",
	    "{\"type\": \"object\", \"properties\": {\"replicas\": "
	    "{\"type\": \"integer\"}}}");
	source("acme.a", "apps/a", "    dependsOn: [acme.b]\n");
	source("acme.b", "apps/a", "    dependsOn: [acme.a]\n");
	text = run(NULL, &r);
	assert_int_equal(r.diags.nerrors, 2);
	assert_non_null(strstr(text, "dependency cycle: acme.a -> acme.b -> "
				     "acme.a"));
	assert_non_null(strstr(text, "packages/apps/a/values.yaml: replicas"));
	/* The chart shared by two sources is checked once. */
	assert_int_equal(r.ncharts, 1);
	cz_validate_report_release(&r);
}

static void test_no_packages(void **state)
{
	cz_validate_report r;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	cz_validate_report_init(&r);
	assert_int_equal(cz_validate_repo(tree, NULL, &r, &err), CZ_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no packages/ directory"));
	cz_validate_report_release(&r);
	chart("apps/a");
	run(NULL, &r);
	assert_int_equal(r.diags.nerrors, 1);
	assert_non_null(strstr(r.diags.items[0].text,
			       "declares no PackageSources"));
	cz_validate_report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_and_privileged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_missing_chart_and_dependency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_and_escape,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_and_schema, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_packages, setup,
						teardown),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
