/* Platform migrations: settings as the chart sees them, the version
 * ConfigMap, staging, and running a script with only our environment. */

#include "helpers.h"
#include "tmpdir.h"

#include <jansson.h>

#include "object/meta.h"
#include "upgrade/migrations.h"
#include "util/fileio.h"
#include "util/proc.h"

static char *chart_make(void)
{
	char *dir = tmpdir_make();
	char *sub = cz_xasprintf("%s/images", dir);

	mkdir(sub, 0700);
	free(sub);
	sub = cz_xasprintf("%s/images/migrations", dir);
	mkdir(sub, 0700);
	free(sub);
	sub = cz_xasprintf("%s/" CZ_MIGRATIONS_SUBDIR, dir);
	mkdir(sub, 0700);
	free(sub);
	tmpdir_write(dir, "values.yaml",
		     "migrations:\n  enabled: false\n  image: img:1\n"
		     "  targetVersion: 7\n");
	tmpdir_write(dir, "values-on.yaml", "migrations: {enabled: true}\n");
	return dir;
}

static void test_read_settings(void **state)
{
	char *dir = chart_make();
	static const char *on[] = { "values.yaml", "values-on.yaml" };
	const cz_strlist files = { on, 2 };
	cz_migrations mg;
	cz_error err = CZ_ERROR_INIT;
	json_t *overlay = json_pack("{s:{s:i, s:b}}", "migrations",
				    "targetVersion", 9, "etcdAdoptSkipBackup",
				    1);

	(void)state;
	assert_int_equal(cz_migrations_read(dir, NULL, NULL, &mg, &err), CZ_OK);
	assert_false(mg.enabled);
	assert_int_equal(mg.target, 7);
	assert_string_equal(mg.image, "img:1");
	cz_migrations_release(&mg);
	assert_int_equal(cz_migrations_read(dir, &files, overlay, &mg, &err),
			 CZ_OK);
	assert_true(mg.enabled);
	assert_int_equal(mg.target, 9);
	assert_true(mg.etcd_adopt_skip_backup);
	cz_migrations_release(&mg);
	/* Errors name the field or the file. */
	tmpdir_write(dir, "values.yaml", "migrations: {targetVersion: x}\n");
	assert_int_equal(cz_migrations_read(dir, NULL, NULL, &mg, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "migrations.targetVersion"));
	cz_migrations_release(&mg);
	tmpdir_write(dir, "values.yaml", "migrations: [1]\n");
	assert_int_equal(cz_migrations_read(dir, NULL, NULL, &mg, &err),
			 CZ_EINVALID);
	cz_migrations_release(&mg);
	tmpdir_write(dir, "values.yaml", "a: [\n");
	assert_int_equal(cz_migrations_read(dir, NULL, NULL, &mg, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "values.yaml"));
	cz_migrations_release(&mg);
	on[1] = "../escape.yaml";
	assert_int_equal(cz_migrations_read(dir, &files, NULL, &mg, &err),
			 CZ_EINVALID);
	cz_migrations_release(&mg);
	on[1] = "values-on.yaml";
	json_decref(overlay);
	tmpdir_remove(dir);
	free(dir);
}

static void test_version(void **state)
{
	static const char *const bad[] = { "", "x", "-1", "3a", " 3",
					   "99999999999999999999" };
	cz_error err = CZ_ERROR_INIT;
	long long v = 0;
	json_t *cm = cz_migrations_version_object("cozy-system", 42);

	(void)state;
	assert_int_equal(cz_migrations_version(cm, &v, &err), CZ_OK);
	assert_int_equal(v, 42);
	assert_string_equal(cz_label(cm, CZ_NO_DELETE_LABEL), "true");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object_set_new(json_object_get(cm, "data"), "version",
				    json_string(bad[i]));
		assert_int_equal(cz_migrations_version(cm, &v, &err),
				 CZ_EINVALID);
		assert_non_null(strstr(err.msg, "data.version"));
	}
	json_object_del(json_object_get(cm, "data"), "version");
	assert_int_equal(cz_migrations_version(cm, &v, &err), CZ_EINVALID);
	json_decref(cm);
}

static void test_stage_and_run(void **state)
{
	char *dir = chart_make();
	char *scripts = cz_xasprintf("%s/" CZ_MIGRATIONS_SUBDIR, dir);
	char *link = cz_xasprintf("%s/link", scripts);
	cz_migration_env env = { "ns", "/kc", 3, 7, false, "/usr/bin:/bin" };
	cz_migrations mg;
	cz_error err = CZ_ERROR_INIT;
	cz_proc_result r;
	char *staged = NULL, *script = NULL;

	(void)state;
	assert_int_equal(cz_migrations_read(dir, NULL, NULL, &mg, &err), CZ_OK);
	tmpdir_write(scripts, "3", "#!/bin/sh\nenv | sort\necho done >&2\n");
	tmpdir_write(scripts, "4", "#!/bin/sh\nexit 5\n");
	tmpdir_write(scripts, "5", "#!/bin/sh\nsleep 5\n");
	assert_int_equal(symlink("/etc/passwd", link), 0);
	assert_int_equal(cz_migrations_stage(&mg, NULL, &staged, &err), CZ_OK);
	/* Links are not copied; scripts become executable. */
	assert_int_equal(cz_migrations_script(staged, 3, &script, &err), CZ_OK);
	assert_int_equal(tmpdir_mode(staged, "3") & 0777, 0700);
	free(script);
	assert_int_equal(cz_migrations_script(staged, 9, &script, &err),
			 CZ_ENOTFOUND);
	assert_string_equal(err.msg, "migration 9 not found: refusing to "
				     "advance past a missing migration");
	free(script);
	script = cz_xasprintf("%s/link", staged);
	assert_int_equal(access(script, F_OK), -1);
	free(script);
	cz_migrations_script(staged, 3, &script, &err);
	assert_int_equal(cz_migrations_run_script(staged, script, &env,
						  5000000000LL, 4096, &r, &err),
			 CZ_OK);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(r.output, "CURRENT_VERSION=3\n"));
	assert_non_null(strstr(r.output, "TARGET_VERSION=7\n"));
	assert_non_null(strstr(r.output, "KUBECONFIG=/kc\n"));
	assert_non_null(strstr(r.output, "NAMESPACE=ns\n"));
	assert_null(strstr(r.output, "TMPDIR"));
	assert_string_equal(cz_last_lines(r.output, r.output_len, 1), "done\n");
	cz_proc_result_release(&r);
	free(script);
	cz_migrations_script(staged, 4, &script, &err);
	cz_migrations_run_script(staged, script, &env, 5000000000LL, 4096, &r,
				 &err);
	assert_int_equal(r.exit_code, 5);
	cz_proc_result_release(&r);
	free(script);
	cz_migrations_script(staged, 5, &script, &err);
	cz_migrations_run_script(staged, script, &env, 200000000LL, 4096, &r,
				 &err);
	assert_true(r.timed_out);
	cz_proc_result_release(&r);
	free(script);
	cz_migrations_release(&mg);
	tmpdir_remove(staged);
	free(staged);
	free(link);
	free(scripts);
	tmpdir_remove(dir);
	free(dir);
}

static void test_output_tail(void **state)
{
	const char *argv[] = { "/bin/sh", "-c",
			       "i=0; while [ $i -lt 2000 ]; do echo line $i; "
			       "i=$((i+1)); done",
			       NULL };
	const char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	cz_proc_opts o = { argv, envp, NULL, 5000000000LL, 100 };
	cz_error err = CZ_ERROR_INIT;
	cz_proc_result r;

	(void)state;
	assert_int_equal(cz_proc_run(&o, &r, &err), CZ_OK);
	assert_int_equal(r.output_len, 100);
	assert_true(r.output_cut);
	assert_string_equal(cz_last_lines(r.output, r.output_len, 2),
			    "line 1998\nline 1999\n");
	cz_proc_result_release(&r);
	argv[0] = "/no/such/program";
	assert_int_equal(cz_proc_run(&o, &r, &err), CZ_OK);
	assert_int_equal(r.exit_code, 127);
	cz_proc_result_release(&r);
}

/* The chart, variant and values that a platform Package gives, and what
 * a plan would run. */
static void test_for_package_and_plan(void **state)
{
	char *tree = tmpdir_make();
	char *chart = cz_xasprintf("%s/core", tree);
	char *sub = NULL;
	cz_migrations mg;
	cz_error err = CZ_ERROR_INIT;
	json_t *src = json_loads(
		"{\"spec\": {\"sourceRef\": {\"path\": \"/\"}, \"variants\": ["
		"{\"name\": \"default\", \"components\": [{\"name\": "
		"\"platform\", \"path\": \"core/platform\", \"valuesFiles\": "
		"[\"values.yaml\"]}]}, {\"name\": \"isp\", \"components\": "
		"[{\"name\": \"platform\", \"path\": \"core/platform\", "
		"\"valuesFiles\": [\"values.yaml\", \"values-on.yaml\"]}]}]}}",
		0, NULL);
	json_t *pkg = json_loads("{\"spec\": {\"variant\": \"isp\"}}", 0,
				 NULL);
	json_t *plan;

	(void)state;
	mkdir(chart, 0700);
	free(chart);
	chart = chart_make();
	sub = cz_xasprintf("%s/core/platform", tree);
	assert_int_equal(rename(chart, sub), 0);
	tmpdir_write(sub, CZ_MIGRATIONS_SUBDIR "/5", "#!/bin/sh\n");
	tmpdir_write(sub, CZ_MIGRATIONS_SUBDIR "/6", "#!/bin/sh\n");
	/* Not installed: never enabled. */
	assert_int_equal(cz_migrations_for_package(tree, src, NULL, &mg, &err),
			 CZ_OK);
	assert_false(mg.enabled);
	cz_migrations_release(&mg);
	assert_int_equal(cz_migrations_for_package(tree, src, pkg, &mg, &err),
			 CZ_OK);
	assert_true(mg.enabled);
	assert_int_equal(mg.target, 7);
	plan = cz_migrations_plan(&mg, true, 5);
	assert_int_equal(json_array_size(json_object_get(plan, "run")), 2);
	assert_true(json_is_null(json_object_get(plan, "missing")));
	json_decref(plan);
	plan = cz_migrations_plan(&mg, true, 4);
	assert_int_equal(json_integer_value(json_object_get(plan, "missing")),
			 4);
	json_decref(plan);
	plan = cz_migrations_plan(&mg, false, 0);
	assert_int_equal(json_array_size(json_object_get(plan, "run")), 0);
	assert_non_null(strstr(json_string_value(json_object_get(plan, "note")),
			       "stamped"));
	json_decref(plan);
	cz_migrations_release(&mg);
	/* A chart path out of the tree is refused. */
	json_object_set_new(json_array_get(json_object_get(json_array_get(
		json_object_get(json_object_get(src, "spec"), "variants"), 1),
		"components"), 0), "path", json_string("../x"));
	assert_int_equal(cz_migrations_for_package(tree, src, pkg, &mg, &err),
			 CZ_EINVALID);
	cz_migrations_release(&mg);
	json_decref(src);
	json_decref(pkg);
	free(sub);
	free(chart);
	tmpdir_remove(tree);
	free(tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_settings),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_stage_and_run),
		cmocka_unit_test(test_output_tail),
		cmocka_unit_test(test_for_package_and_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
