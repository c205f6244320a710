/* Scratch directories: where they go ($TMPDIR, memory, /tmp), their mode,
 * and the error naming the parent. */

#include "helpers.h"
#include "tmpdir.h"

#include <sys/statvfs.h>

#include "util/fileio.h"
#include "util/mem.h"

/* TMPDIR as it was before a test changed it; NULL when unset. */
static char *saved_tmpdir;

static int save_env(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	saved_tmpdir = t ? cz_xstrdup(t) : NULL;
	return 0;
}

static int restore_env(void **state)
{
	(void)state;
	if (saved_tmpdir)
		setenv("TMPDIR", saved_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	free(saved_tmpdir);
	saved_tmpdir = NULL;
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* $TMPDIR wins, in memory or not; the directory is private. */
static void test_scratch_tmpdir(void **state)
{
	char *base = tmpdir_make();
	char *want = cz_xasprintf("%s/cozypkg-x.", base);
	cz_error err = CZ_ERROR_INIT;
	char *dir = NULL;
	struct stat st;

	(void)state;
	setenv("TMPDIR", base, 1);
	for (int in_memory = 0; in_memory < 2; in_memory++) {
		assert_int_equal(cz_scratch_dir("cozypkg-x", in_memory, &dir,
						&err), 0);
		assert_true(starts_with(dir, want));
		assert_int_equal(strlen(dir), strlen(want) + 6);
		assert_int_equal(stat(dir, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0700);
		rmdir(dir);
		free(dir);
	}
	tmpdir_remove(base);
	free(want);
	free(base);
}

/* Without $TMPDIR: /tmp, or /dev/shm for in-memory scratch when it has
 * room (what this machine has decides which). */
static void test_scratch_default(void **state)
{
	struct statvfs vfs;
	bool room = statvfs("/dev/shm", &vfs) == 0 &&
		    access("/dev/shm", W_OK | X_OK) == 0 &&
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize >=
			    CZ_SCRATCH_MEMORY_MIN;
	cz_error err = CZ_ERROR_INIT;
	char *dir = NULL;

	(void)state;
	setenv("TMPDIR", "", 1);
	assert_int_equal(cz_scratch_dir("cozypkg-x", false, &dir, &err), 0);
	assert_true(starts_with(dir, "/tmp/cozypkg-x."));
	rmdir(dir);
	free(dir);
	unsetenv("TMPDIR");
	assert_int_equal(cz_scratch_dir("cozypkg-x", true, &dir, &err), 0);
	assert_true(starts_with(dir, room ? "/dev/shm/cozypkg-x."
					  : "/tmp/cozypkg-x."));
	rmdir(dir);
	free(dir);
}

/* A parent that cannot hold it: CZ_EIO naming the parent, no path. */
static void test_scratch_error(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	char *dir = (char *)"untouched";

	(void)state;
	setenv("TMPDIR", "/nonexistent/cz-test", 1);
	assert_int_equal(cz_scratch_dir("cozypkg-x", true, &dir, &err),
			 CZ_EIO);
	assert_null(dir);
	assert_contains(err.msg, "creating a scratch directory in "
				 "/nonexistent/cz-test: ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scratch_tmpdir, save_env,
						restore_env),
		cmocka_unit_test_setup_teardown(test_scratch_default, save_env,
						restore_env),
		cmocka_unit_test_setup_teardown(test_scratch_error, save_env,
						restore_env),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
