/* Git sources against real repositories made with the git CLI and
 * libgit2: ref resolution and precedence, the cache, export, hostile
 * trees, caps and secret scrubbing. */

#include "helpers.h"
#include "tmpdir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <git2.h>

#include "git/export.h"
#include "git/scrub.h"
#include "git/source.h"

#include "git_semver_pick.h"
#include "util/mem.h"

typedef struct fixture {
	char *tmp;
	char *src;   /* a non-bare repository with history */
	char *url;   /* file:// URL of src */
	char *cache;
	char *out;
} fixture;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

/* The output of a command, first line, trailing newline removed. */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *sh_out(const char *fmt, ...)
{
	char cmd[8192], line[512] = "";
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p))
		fail_msg("no output: %s", cmd);
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return cz_xstrdup(line);
}

#define GIT "git -c user.email=t@example.com -c user.name=t " \
	    "-c init.defaultBranch=master -c advice.detachedHead=false"

static int setup(void **state)
{
	fixture *f = cz_xcalloc(1, sizeof(*f));

	f->tmp = tmpdir_make();
	f->src = cz_xasprintf("%s/src", f->tmp);
	f->url = cz_xasprintf("file://%s", f->src);
	f->cache = cz_xasprintf("%s/cache", f->tmp);
	f->out = cz_xasprintf("%s/out", f->tmp);
	sh("set -e; " GIT " init -q %s; cd %s; "
	   "echo hello > a.txt; mkdir -p d/e; printf '#!/bin/sh\\necho run\\n' > d/run.sh; "
	   "chmod +x d/run.sh; echo deep > d/e/f.txt; ln -s d/run.sh link; "
	   "ln -s ../a.txt d/up; "
	   GIT " add -A; " GIT " commit -qm one; "
	   GIT " tag v1.0.0; " GIT " tag -a v1.2.0 -m 'annotated'; "
	   GIT " tag v1.10.0-rc.1; "
	   "echo two > b.txt; " GIT " add -A; " GIT " commit -qm two; "
	   GIT " tag v1.9.3; " GIT " tag v2.0.0; " GIT " tag y; "
	   GIT " checkout -qb x; echo x > x.txt; " GIT " add -A; " GIT " commit -qm x; "
	   GIT " checkout -q master; " GIT " update-ref refs/pull/1/head x",
	   f->src, f->src);
	assert_int_equal(cz_git_init(NULL), CZ_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	cz_git_shutdown();
	tmpdir_remove(f->tmp);
	free(f->tmp);
	free(f->src);
	free(f->url);
	free(f->cache);
	free(f->out);
	free(f);
	return 0;
}

static cz_git_options opts(const fixture *f)
{
	cz_git_options o;

	memset(&o, 0, sizeof(o));
	o.url = f->url;
	o.cache_dir = f->cache;
	o.pick_semver = test_semver_pick;
	return o;
}

static char *rev(const fixture *f, const char *what)
{
	return sh_out("git -C %s rev-parse '%s^{commit}'", f->src, what);
}

/* Resolves (ls-remote) and fetches o, checks both give want_rev. */
static void expect_rev(const cz_git_options *o, const char *label,
		       const char *commit)
{
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;
	char want[256];

	if (label)
		snprintf(want, sizeof(want), "%s@sha1:%s", label, commit);
	else
		snprintf(want, sizeof(want), "sha1:%s", commit);
	if (cz_git_resolve(o, &r, &err) != CZ_OK)
		fail_msg("resolve: %s", err.msg);
	assert_string_equal(r.revision, want);
	assert_string_equal(r.commit, commit);
	cz_git_result_release(&r);
	if (cz_git_fetch(o, &r, &err) != CZ_OK)
		fail_msg("fetch: %s", err.msg);
	assert_string_equal(r.revision, want);
	assert_string_equal(r.commit, commit);
	cz_git_result_release(&r);
}

static void test_branch(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	char *master = rev(f, "master"), *x = rev(f, "x");

	expect_rev(&o, "master", master); /* no ref: master */
	o.ref.branch = "x";
	expect_rev(&o, "x", x);
	o.url = f->src; /* a plain path works as well */
	expect_rev(&o, "x", x);
	free(master);
	free(x);
}

static void test_tag(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	char *c1 = rev(f, "v1.0.0"), *c2 = rev(f, "v2.0.0");

	o.ref.tag = "v1.2.0"; /* annotated: the commit is reported */
	expect_rev(&o, "v1.2.0", c1);
	o.ref.tag = "v2.0.0";
	expect_rev(&o, "v2.0.0", c2);
	free(c1);
	free(c2);
}

static void test_semver(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;
	char *c1 = rev(f, "v1.0.0"), *c2 = rev(f, "v2.0.0");

	o.ref.semver = "^1"; /* 1.9.3 beats 1.2.0 numerically, rc ignored */
	expect_rev(&o, "v1.9.3", c2);
	o.ref.semver = ">=1.0.0 <1.5.0";
	expect_rev(&o, "v1.2.0", c1);
	o.ref.semver = "*";
	expect_rev(&o, "v2.0.0", c2);
	o.ref.semver = ">=3";
	assert_int_equal(cz_git_resolve(&o, &r, &err), CZ_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no tag matches semver >=3"));
	o.pick_semver = NULL;
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_EINVALID);
	free(c1);
	free(c2);
}

static void test_name(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_error err = CZ_ERROR_INIT;
	cz_git_result r;
	char *x = rev(f, "x"), *y = rev(f, "y");

	o.ref.name = "refs/heads/x";
	expect_rev(&o, "refs/heads/x", x);
	o.ref.name = "refs/tags/y";
	expect_rev(&o, "refs/tags/y", y);
	o.ref.name = "refs/pull/1/head";
	expect_rev(&o, "refs/pull/1/head", x);
	o.ref.name = "HEAD:refs/heads/evil";
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_EINVALID);
	o.ref.name = "refs/heads/*";
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_EINVALID);
	free(x);
	free(y);
}

static void test_commit(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;
	char *c1 = rev(f, "v1.0.0"), *x = rev(f, "x");

	o.ref.commit = c1;
	expect_rev(&o, NULL, c1);
	/* now cached: nothing asked of the remote, even a dead one */
	o.url = f->url;
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_OK);
	assert_int_equal(r.cache_hit, 1);
	cz_git_result_release(&r);
	/* with a branch: the branch names the revision, the commit must be in it */
	o.ref.branch = "master";
	expect_rev(&o, "master", c1);
	o.ref.commit = x;
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_ECONFLICT);
	assert_non_null(strstr(err.msg, "is not in branch master"));
	o.ref.branch = NULL;
	o.ref.commit = "0123456789012345678901234567890123456789";
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_ENOTFOUND);
	o.ref.commit = "abc";
	assert_int_equal(cz_git_resolve(&o, &r, &err), CZ_EINVALID);
	free(c1);
	free(x);
}

static void test_precedence(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	char *master = rev(f, "master"), *x = rev(f, "x"),
	     *c1 = rev(f, "v1.0.0");

	o.ref.branch = "x";
	o.ref.tag = "v1.0.0";
	expect_rev(&o, "v1.0.0", c1);        /* tag > branch */
	o.ref.semver = "2";
	expect_rev(&o, "v2.0.0", master);    /* semver > tag */
	o.ref.name = "refs/pull/1/head";
	expect_rev(&o, "refs/pull/1/head", x); /* name > semver */
	o.ref.commit = master;
	expect_rev(&o, "x", master);         /* commit > name (and in x) */
	free(master);
	free(x);
	free(c1);
}

static void test_not_found(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;

	o.ref.branch = "nope";
	assert_int_equal(cz_git_resolve(&o, &r, &err), CZ_ENOTFOUND);
	assert_non_null(strstr(err.msg, "refs/heads/nope not found"));
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_ENOTFOUND);
	o.ref.branch = NULL;
	o.url = "file:///nonexistent/repo";
	assert_true(cz_git_resolve(&o, &r, &err) < 0);
	o.url = "";
	assert_int_equal(cz_git_resolve(&o, &r, &err), CZ_EINVALID);
}

static void test_cache_reuse(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r1, r2, r3;
	cz_error err = CZ_ERROR_INIT;
	char *path = NULL, *bare = cz_xasprintf("%s/srv.git", f->tmp);
	struct stat st;

	/* a bare server with one branch, as a real remote would be (the
	 * local transport sends every ref it has) */
	sh("set -e; git init -q --bare %s; git -C %s push -q %s master",
	   bare, f->src, bare);
	o.url = bare;
	assert_int_equal(cz_git_fetch(&o, &r1, &err), CZ_OK);
	assert_int_equal(r1.cache_hit, 0);
	assert_true(r1.received_objects > 0);
	assert_int_equal(cz_git_cache_path(f->cache, bare, &path, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* unchanged: nothing downloaded */
	assert_int_equal(cz_git_fetch(&o, &r2, &err), CZ_OK);
	assert_int_equal(r2.cache_hit, 1);
	assert_string_equal(r1.revision, r2.revision);
	/* one new commit: only its objects come */
	sh("set -e; cd %s; echo three > c.txt; " GIT " add -A; " GIT " commit -qm three; "
	   "git push -q %s master", f->src, bare);
	assert_int_equal(cz_git_fetch(&o, &r3, &err), CZ_OK);
	assert_int_equal(r3.cache_hit, 0);
	assert_string_not_equal(r1.revision, r3.revision);
	assert_true(r3.received_objects < r1.received_objects);
	assert_true(r3.received_objects >= 3); /* commit, tree, blob */
	cz_git_result_release(&r1);
	cz_git_result_release(&r2);
	cz_git_result_release(&r3);
	free(path);
	free(bare);
}

static void test_caps(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;

	o.max_bytes = 10;
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_ETOOLARGE);
	assert_non_null(strstr(err.msg, "more than 10 bytes"));
	o.max_bytes = 0;
	o.max_objects = 2;
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_ETOOLARGE);
	o.max_objects = 0;
	assert_int_equal(cz_git_fetch(&o, &r, &err), CZ_OK);
	/* export caps */
	o.max_export_files = 2;
	assert_int_equal(cz_git_export(&o, r.commit, f->out, &err),
			 CZ_ETOOLARGE);
	assert_true(tmpdir_mode(f->out, "a.txt") == (mode_t)-1); /* cleaned */
	o.max_export_files = 0;
	o.max_export_bytes = 5;
	assert_int_equal(cz_git_export(&o, r.commit, f->out, &err),
			 CZ_ETOOLARGE);
	cz_git_result_release(&r);
}

static void test_export(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;
	char target[256], *p;
	ssize_t n;

	o.ref.tag = "v1.0.0";
	if (cz_git_fetch_export(&o, f->out, &r, &err) != CZ_OK)
		fail_msg("export: %s", err.msg);
	assert_int_equal(tmpdir_mode(f->out, "a.txt"), 0644);
	assert_int_equal(tmpdir_mode(f->out, "d/run.sh"), 0755);
	assert_int_equal(tmpdir_mode(f->out, "d/e/f.txt"), 0644);
	assert_true(tmpdir_mode(f->out, "b.txt") == (mode_t)-1); /* later */
	assert_true(tmpdir_mode(f->out, ".git") == (mode_t)-1);
	p = cz_xasprintf("%s/link", f->out);
	n = readlink(p, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "d/run.sh");
	free(p);
	p = cz_xasprintf("cmp -s %s/d/e/f.txt %s/d/e/f.txt", f->out, f->src);
	assert_int_equal(system(p), 0);
	free(p);
	/* the target must be empty */
	assert_int_equal(cz_git_export(&o, r.commit, f->out, &err), CZ_EEXISTS);
	cz_git_result_release(&r);
}

/* Writes a commit whose root tree holds one entry (mode, name) pointing at
 * a blob with content, bypassing libgit2's checks; sets refs/heads/<br>. */
static void evil_commit(const fixture *f, const char *br, const char *mode,
			const char *name, const char *content)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid blob, tree, commit;
	git_tree *t = NULL;
	git_signature *sig = NULL;
	char raw[512];
	size_t len;
	char refname[128];

	assert_int_equal(git_repository_open(&repo, f->src), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_write(&blob, odb, content, strlen(content),
				       GIT_OBJECT_BLOB), 0);
	len = (size_t)snprintf(raw, sizeof(raw), "%s %s", mode, name) + 1;
	memcpy(raw + len, blob.id, GIT_OID_RAWSZ);
	len += GIT_OID_RAWSZ;
	assert_int_equal(git_odb_write(&tree, odb, raw, len, GIT_OBJECT_TREE),
			 0);
	assert_int_equal(git_tree_lookup(&t, repo, &tree), 0);
	assert_int_equal(git_signature_now(&sig, "t", "t@example.com"), 0);
	snprintf(refname, sizeof(refname), "refs/heads/%s", br);
	assert_int_equal(git_commit_create(&commit, repo, refname, sig, sig,
					   NULL, "evil", t, 0, NULL), 0);
	git_signature_free(sig);
	git_tree_free(t);
	git_odb_free(odb);
	git_repository_free(repo);
}

/* A command that succeeds when dir is empty. */
static const char *cz_buf_tmp_cmd(const char *dir)
{
	static char cmd[4200];

	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", dir);
	return cmd;
}

static void expect_hostile(fixture *f, const char *br, const char *mode,
			   const char *name, const char *content,
			   const char *msg)
{
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	evil_commit(f, br, mode, name, content);
	o.ref.branch = br;
	rc = cz_git_fetch_export(&o, f->out, &r, &err);
	if (rc != CZ_EINVALID)
		fail_msg("%s: rc %d (%s)", br, rc, err.msg);
	if (!strstr(err.msg, msg))
		fail_msg("%s: message [%s] lacks [%s]", br, err.msg, msg);
	/* nothing left behind */
	assert_int_equal(system(cz_buf_tmp_cmd(f->out)), 0);
}

static void test_hostile(void **state)
{
	fixture *f = *state;

	expect_hostile(f, "dotdot", "100644", "..", "x",
		       "refusing tree entry \"..\"");
	expect_hostile(f, "dotgit", "100644", ".git", "x",
		       "refusing tree entry \".git\"");
	expect_hostile(f, "dotgitcase", "100755", ".GiT", "x",
		       "refusing tree entry \".GiT\"");
	expect_hostile(f, "slash", "100644", "a/b", "x",
		       "refusing tree entry \"a/b\"");
	expect_hostile(f, "abslink", "120000", "l", "/etc/passwd",
		       "symbolic link l points outside the tree");
	expect_hostile(f, "uplink", "120000", "l", "../../x",
		       "symbolic link l points outside the tree");
}

static void test_link_chain(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;

	/* a/b -> ".." (the root: fine alone); l -> a/b/.. looks inside as
	 * text but leaves the tree on disk. */
	sh("set -e; cd %s; " GIT " checkout -q -b chain; mkdir a; ln -s .. a/b; "
	   "ln -s a/b/../outside l; " GIT " add -A; " GIT " commit -qm chain; "
	   GIT " checkout -q master", f->src);
	o.ref.branch = "chain";
	assert_int_equal(cz_git_fetch_export(&o, f->out, &r, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "symbolic link l points outside"));
}

static void test_submodule_skipped(void **state)
{
	fixture *f = *state;
	cz_git_options o = opts(f);
	cz_git_result r;
	cz_error err = CZ_ERROR_INIT;
	char *c1 = rev(f, "v1.0.0");

	sh("set -e; cd %s; " GIT " checkout -q -b sub; "
	   GIT " update-index --add --cacheinfo 160000,%s,vendor; "
	   GIT " commit -qm sub; " GIT " checkout -q -f master", f->src, c1);
	o.ref.branch = "sub";
	if (cz_git_fetch_export(&o, f->out, &r, &err) != CZ_OK)
		fail_msg("export: %s", err.msg);
	assert_true(tmpdir_mode(f->out, "vendor") == (mode_t)-1);
	assert_int_equal(tmpdir_mode(f->out, "a.txt"), 0644);
	cz_git_result_release(&r);
	free(c1);
}

static void test_names_and_links(void **state)
{
	(void)state;
	assert_true(cz_git_entry_name_ok("a"));
	assert_true(cz_git_entry_name_ok(".gitignore"));
	assert_true(cz_git_entry_name_ok("..."));
	assert_false(cz_git_entry_name_ok(""));
	assert_false(cz_git_entry_name_ok("."));
	assert_false(cz_git_entry_name_ok(".."));
	assert_false(cz_git_entry_name_ok(".GIT"));
	assert_false(cz_git_entry_name_ok("a\\b"));
	assert_true(cz_git_link_target_ok("", "a/b"));
	assert_true(cz_git_link_target_ok("d", "../a"));
	assert_true(cz_git_link_target_ok("d/e", "../../a"));
	assert_true(cz_git_link_target_ok("", "./x/../y"));
	assert_false(cz_git_link_target_ok("d", "../../a"));
	assert_false(cz_git_link_target_ok("", "x/../../y"));
	assert_false(cz_git_link_target_ok("", "/abs"));
	assert_false(cz_git_link_target_ok("", ""));
}

static void test_scrub(void **state)
{
	const char *secrets[3] = { "hunter2", NULL, "tok-123" };
	char *s;

	(void)state;
	s = cz_git_scrub("failed https://bob:hunter2@example.com/r.git: 401 "
			 "for http://x@h:80/p and tok-123",
			 secrets, 3);
	assert_string_equal(s, "failed https://example.com/r.git: 401 for "
			       "http://h:80/p and [redacted]");
	free(s);
	s = cz_git_url_redact("ssh://git@example.com:22/r");
	assert_string_equal(s, "ssh://example.com:22/r");
	free(s);
	s = cz_git_url_redact("/plain/path");
	assert_string_equal(s, "/plain/path");
	free(s);
}

static void test_cache_path(void **state)
{
	char *a = NULL, *b = NULL;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	/* credentials in the URL do not change (or leak into) the path */
	assert_int_equal(cz_git_cache_path("/c", "https://u:p@h/r", &a, &err), 0);
	assert_int_equal(cz_git_cache_path("/c", "https://h/r", &b, &err), 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), strlen("/c/") + 64 + 4);
	free(a);
	assert_int_equal(cz_git_cache_path(NULL, "x", &a, &err), CZ_EINVALID);
	assert_null(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_semver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submodule_skipped, setup,
						teardown),
		cmocka_unit_test(test_names_and_links),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_cache_path),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("git", tests, NULL, NULL);
}
