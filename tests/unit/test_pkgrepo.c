/* Package repositories in git against real bare repositories: drafts,
 * publishing onto the tip without force (receive.denyNonFastForwards),
 * two writers racing, another client's tag never moved, a number another
 * writer claimed given up, listing, reading, and bad input. */

#include "helpers.h"
#include "tmpdir.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "git/pkgrepo.h"
#include "util/mem.h"

static char *base_dir;
static char *remote_url; /* file:// */
static char *daemon_url; /* git://, through git receive-pack */
static long daemon_pid;

static char *run_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The output of a shell command (trailing newline dropped). */
static char *run_out(const char *fmt, ...)
{
	char cmd[4096], buf[65536];
	size_t n = 0;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	pclose(p);
	buf[n] = '\0';
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return cz_xstrdup(buf);
}

/* git daemon on a free loopback port, serving base_dir with pushes
 * enabled; returns the port. */
static char *start_daemon(void)
{
	char *port = run_out("python3 -c 'import socket; s=socket.socket(); "
			     "s.bind((\"127.0.0.1\",0)); "
			     "print(s.getsockname()[1])'");
	char *pid = run_out(
		"git daemon --reuseaddr --listen=127.0.0.1 --port=%s "
		"--base-path=%s --export-all --enable=receive-pack "
		"--pid-file=%s/daemon.pid --detach %s && sleep 0.3 && "
		"cat %s/daemon.pid",
		port, base_dir, base_dir, base_dir, base_dir);

	daemon_pid = atol(pid);
	assert_true(daemon_pid > 0);
	free(pid);
	return port;
}

static int setup(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	char *out;

	(void)state;
	assert_int_equal(cz_git_init(&err), CZ_OK);
	base_dir = tmpdir_make();
	out = run_out("git init -q --bare -b main %s/remote.git && git -C "
		      "%s/remote.git config receive.denyNonFastForwards true "
		      "&& echo ok",
		      base_dir, base_dir);
	assert_string_equal(out, "ok");
	free(out);
	remote_url = cz_xasprintf("file://%s/remote.git", base_dir);
	out = start_daemon();
	daemon_url = cz_xasprintf("git://127.0.0.1:%s/remote.git", out);
	free(out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kill((pid_t)daemon_pid, SIGTERM);
	if (!getenv("KEEP"))
		tmpdir_remove(base_dir);
	free(base_dir);
	free(remote_url);
	free(daemon_url);
	cz_git_shutdown();
	return 0;
}

static cz_pkgrepo *open_repo_at(const char *url, const char *cache)
{
	cz_pkgrepo_opts o;
	cz_pkgrepo *r = NULL;
	cz_error err = CZ_ERROR_INIT;
	char *dir = cz_xasprintf("%s/%s", base_dir, cache);

	memset(&o, 0, sizeof(o));
	o.git.url = url;
	o.git.cache_dir = dir;
	if (cz_pkgrepo_open(&o, &r, &err) != CZ_OK)
		fail_msg("open: %s", err.msg);
	free(dir);
	return r;
}

static cz_pkgrepo *open_repo(const char *cache)
{
	return open_repo_at(remote_url, cache);
}

static const cz_pkgrepo_who alice = { "Alice Approver", "alice@example.com" };

static void test_draft_publish_read(void **state)
{
	cz_pkgrepo *r = open_repo("cache-a");
	cz_error err = CZ_ERROR_INIT;
	json_t *files = json_pack("{s:s, s:s}", "Kptfile",
				  "apiVersion: kpt.dev/v1\n", "sub/app.yaml",
				  "kind: Package\n");
	json_t *list = NULL, *read = NULL;
	char commit[41];
	char *out;

	(void)state;
	assert_int_equal(cz_pkgrepo_write_draft(r, "nf/example", "ws1", NULL,
						files, &alice, "draft ws1",
						commit, &err),
			 CZ_OK);
	out = run_out("git -C %s/remote.git rev-parse refs/heads/nf/example/ws1",
		      base_dir);
	assert_string_equal(out, commit);
	free(out);
	assert_int_equal(cz_pkgrepo_list(r, "", &list, &err), CZ_OK);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(list, 0), "workspace")),
			    "ws1");
	json_decref(list);
	assert_int_equal(cz_pkgrepo_publish(r, "nf/example", "ws1", "v1",
					    &alice, commit, &err),
			 CZ_OK);
	out = run_out("git -C %s/remote.git rev-parse main refs/tags/nf/example/v1 "
		      "| uniq | wc -l; git -C %s/remote.git log -1 "
		      "--format='%%an <%%ae>|%%s' main; git -C %s/remote.git "
		      "show-ref | grep -c ws1",
		      base_dir, base_dir, base_dir);
	assert_string_equal(out, "1\nAlice Approver <alice@example.com>|"
				 "Publish nf/example v1 (workspace ws1)\n0");
	free(out);
	assert_int_equal(cz_pkgrepo_read(r, "refs/tags/nf/example/v1",
					 "nf/example", &read, &err),
			 CZ_OK);
	assert_true(json_equal(read, files));
	json_decref(read);
	/* Published once: the same revision again is refused. */
	cz_pkgrepo_write_draft(r, "nf/example", "ws2", NULL, files, &alice,
			       "again", NULL, &err);
	assert_int_equal(cz_pkgrepo_publish(r, "nf/example", "ws2", "v1",
					    &alice, NULL, &err),
			 CZ_EEXISTS);
	json_decref(files);
	cz_pkgrepo_close(r);
}

static void test_bad_input(void **state)
{
	cz_pkgrepo *r = open_repo("cache-b");
	cz_error err = CZ_ERROR_INIT;
	json_t *files = json_pack("{s:s}", "a", "b");
	json_t *bad = json_pack("{s:s}", "../etc/passwd", "x");
	json_t *out = NULL;

	(void)state;
	assert_false(cz_pkgrepo_workspace_ok("-ws"));
	assert_false(cz_pkgrepo_workspace_ok("WS"));
	assert_false(cz_pkgrepo_workspace_ok(""));
	assert_true(cz_pkgrepo_workspace_ok("pv-0123abcd"));
	assert_false(cz_pkgrepo_path_ok("/abs"));
	assert_false(cz_pkgrepo_path_ok("a/../b"));
	assert_false(cz_pkgrepo_path_ok("a//b"));
	assert_true(cz_pkgrepo_path_ok("cluster-1/nf/example"));
	assert_int_equal(cz_pkgrepo_write_draft(r, "a/../b", "ws", NULL, files,
						&alice, "m", NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_pkgrepo_write_draft(r, "ok", "Bad_WS", NULL,
						files, &alice, "m", NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_pkgrepo_write_draft(r, "ok", "ws", NULL, bad,
						&alice, "m", NULL, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "../etc/passwd"));
	assert_int_equal(cz_pkgrepo_publish(r, "ok", "ws", "latest", &alice,
					    NULL, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_pkgrepo_read(r, "refs/tags/nothing", "ok", &out,
					 &err),
			 CZ_ENOTFOUND);
	assert_int_equal(cz_pkgrepo_publish(r, "none", "ws", "v1", &alice,
					    NULL, &err),
			 CZ_ENOTFOUND);
	json_decref(files);
	json_decref(bad);
	cz_pkgrepo_close(r);
}

typedef struct writer {
	const char *cache;
	const char *package;
	int failures;
	char msg[CZ_ERROR_MSG_MAX];
} writer;

/* Ten publishes of its own package, racing the other writer. */
static void *write_ten(void *arg)
{
	writer *w = arg;
	cz_pkgrepo *r = open_repo_at(daemon_url, w->cache);

	for (int i = 1; i <= 10; i++) {
		cz_error err = CZ_ERROR_INIT;
		char *rev = cz_xasprintf("v%d", i);
		char *text = cz_xasprintf("revision: %d\n", i);
		json_t *files = json_pack("{s:s}", "Kptfile", text);

		if (cz_pkgrepo_write_draft(r, w->package, "ws", NULL, files,
					   &alice, "edit", NULL, &err) != CZ_OK ||
		    cz_pkgrepo_publish(r, w->package, "ws", rev, &alice, NULL,
				       &err) != CZ_OK) {
			w->failures++;
			snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
		}
		json_decref(files);
		free(text);
		free(rev);
	}
	cz_pkgrepo_close(r);
	return NULL;
}

static void test_two_writers(void **state)
{
	writer a = { "cache-w1", "race/one", 0, "" };
	writer b = { "cache-w2", "race/two", 0, "" };
	pthread_t ta, tb;
	char *out;

	(void)state;
	pthread_create(&ta, NULL, write_ten, &a);
	pthread_create(&tb, NULL, write_ten, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (a.failures || b.failures)
		fail_msg("failures: %d %d: %s %s", a.failures, b.failures,
			 a.msg, b.msg);
	/* 20 tags, each on a commit of a linear main with its content. */
	out = run_out("cd %s/remote.git && git tag -l 'race/*' | wc -l && "
		      "git rev-list --merges main | wc -l && "
		      "git rev-list main -- race | wc -l && "
		      "git show race/one/v7:race/one/Kptfile && "
		      "git merge-base --is-ancestor race/two/v10 main && "
		      "echo ancestor",
		      base_dir);
	assert_string_equal(out, "20\n0\n20\nrevision: 7\nancestor");
	free(out);
}

/* Another client's clone of the remote in base_dir/other, at the remote's
 * main; cmd runs in it after that and its output is returned. */
static char *other_client(const char *cmd)
{
	return run_out("cd %s && { [ -d other ] || git clone -q remote.git "
		       "other 2>/dev/null; } && cd other && git fetch -q "
		       "origin && { git reset -q --hard origin/main "
		       "2>/dev/null || true; } && git -c user.name=o -c "
		       "user.email=o@example.com %s",
		       base_dir, cmd);
}

/* A full sync writes one packed-refs file: every branch and tag of the
 * remote, annotated tags readable, nothing loose left to shadow it, and a
 * tag deleted upstream gone after the next sync. */
static void test_sync_packed(void **state)
{
	cz_pkgrepo *r = open_repo_at(daemon_url, "cache-sync");
	cz_error err = CZ_ERROR_INIT;
	json_t *read = NULL;
	char *out, *theirs;

	(void)state;
	free(other_client("status -s"));
	free(run_out("cd %s/other && export GIT_AUTHOR_NAME=o "
		     "GIT_AUTHOR_EMAIL=o@example.com GIT_COMMITTER_NAME=o "
		     "GIT_COMMITTER_EMAIL=o@example.com && mkdir -p sync/p && "
		     "echo k > sync/p/Kptfile && git add sync && git commit "
		     "-qm sync && git push -q origin HEAD:main && git tag "
		     "sync/p/v1 && git tag -a -m two sync/p/v2 && git push -q "
		     "origin sync/p/v1 sync/p/v2 HEAD:refs/heads/sync/p/ws",
		     base_dir));
	assert_int_equal(cz_pkgrepo_sync(r, &err), CZ_OK);
	out = run_out("cd %s/cache-sync && g=$(dirname $(find . -name HEAD "
		      "-maxdepth 2 | head -1)) && grep -c 'refs/tags/sync/p/v[12]"
		      "$\\|refs/heads/sync/p/ws$' $g/packed-refs; find "
		      "$g/refs/tags $g/refs/heads -type f | wc -l",
		      base_dir);
	assert_string_equal(out, "3\n0");
	free(out);
	assert_int_equal(cz_pkgrepo_read(r, "refs/tags/sync/p/v2", "sync/p",
					 &read, &err),
			 CZ_OK);
	assert_string_equal(json_string_value(json_object_get(read, "Kptfile")),
			    "k\n");
	json_decref(read);
	theirs = other_client("rev-parse sync/p/v2^{commit}");
	out = run_out("cd %s/cache-sync && git --git-dir=$(dirname $(find . "
		      "-name HEAD -maxdepth 2 | head -1)) rev-parse "
		      "sync/p/v2^{commit}",
		      base_dir);
	assert_string_equal(out, theirs);
	free(out);
	free(theirs);
	free(other_client("push -q origin :refs/tags/sync/p/v1"));
	assert_int_equal(cz_pkgrepo_sync(r, &err), CZ_OK);
	out = run_out("cd %s/cache-sync && g=$(dirname $(find . -name HEAD "
		      "-maxdepth 2 | head -1)) && git --git-dir=$g tag -l "
		      "'sync/*'",
		      base_dir);
	assert_string_equal(out, "sync/p/v2");
	free(out);
	assert_int_equal(cz_pkgrepo_read(r, "refs/tags/sync/p/v1", "sync/p",
					 &read, &err),
			 CZ_ENOTFOUND);
	cz_pkgrepo_close(r);
}

/* A tag is never moved: another client tags the number on a commit we
 * then build on (libgit2 would send ours as a fast-forward of theirs,
 * and receive.denyNonFastForwards guards branches only). */
static void test_tag_never_moved(void **state)
{
	cz_pkgrepo *r = open_repo_at(daemon_url, "cache-tag");
	cz_error err = CZ_ERROR_INIT;
	json_t *files = json_pack("{s:s}", "Kptfile", "mine\n");
	char *theirs, *tag;

	(void)state;
	assert_int_equal(cz_pkgrepo_write_draft(r, "race/tag", "ws", NULL,
						files, &alice, "edit", NULL,
						&err),
			 CZ_OK);
	theirs = other_client("commit -q --allow-empty -m other && git push "
			      "-q origin HEAD:main && git rev-parse HEAD");
	assert_int_equal(cz_pkgrepo_sync_package(r, "race/tag", &err), CZ_OK);
	free(other_client("tag race/tag/v1 && git push -q origin "
			  "race/tag/v1"));
	assert_int_equal(cz_pkgrepo_publish(r, "race/tag", "ws", "v1", &alice,
					    NULL, &err),
			 CZ_EEXISTS);
	tag = run_out("git --git-dir=%s/remote.git rev-parse race/tag/v1",
		      base_dir);
	assert_string_equal(tag, theirs);
	free(tag);
	free(theirs);
	json_decref(files);
	cz_pkgrepo_close(r);
}

/* A lost race to a writer that published the same number (its branch
 * pushed, its tag not yet): the number is given up, not published a
 * second time on top of theirs. */
static void test_number_claimed(void **state)
{
	cz_pkgrepo *r = open_repo_at(daemon_url, "cache-claim");
	cz_error err = CZ_ERROR_INIT;
	json_t *files = json_pack("{s:s}", "Kptfile", "mine\n");
	char *theirs, *out;

	(void)state;
	assert_int_equal(cz_pkgrepo_write_draft(r, "race/claim", "ws", NULL,
						files, &alice, "edit", NULL,
						&err),
			 CZ_OK);
	assert_int_equal(cz_pkgrepo_sync_package(r, "race/claim", &err),
			 CZ_OK);
	theirs = other_client("commit -q --allow-empty -m 'Publish race/claim "
			      "v1 (workspace theirs)' && git push -q origin "
			      "HEAD:main && git rev-parse HEAD");
	assert_int_equal(cz_pkgrepo_publish(r, "race/claim", "ws", "v1",
					    &alice, NULL, &err),
			 CZ_EEXISTS);
	out = run_out("git --git-dir=%s/remote.git rev-parse main", base_dir);
	assert_string_equal(out, theirs);
	free(out);
	/* The next number goes on top of theirs, named for itself. */
	assert_int_equal(cz_pkgrepo_publish(r, "race/claim", "ws", "v2",
					    &alice, NULL, &err),
			 CZ_OK);
	out = run_out("git --git-dir=%s/remote.git log -2 --format=%%s main "
		      "&& git --git-dir=%s/remote.git rev-parse race/claim/v2 "
		      "main | uniq | wc -l",
		      base_dir, base_dir);
	assert_string_equal(out, "Publish race/claim v2 (workspace ws)\n"
				 "Publish race/claim v1 (workspace theirs)\n"
				 "1");
	free(out);
	free(theirs);
	json_decref(files);
	cz_pkgrepo_close(r);
}

/* Our own publish whose tag push was refused after its branch push
 * landed: the retry tags that commit, it does not give the number up. */
static void test_tag_refused_once(void **state)
{
	cz_pkgrepo *r = open_repo_at(daemon_url, "cache-once");
	cz_error err = CZ_ERROR_INIT;
	json_t *files = json_pack("{s:s}", "Kptfile", "mine\n");
	char *out;

	(void)state;
	out = run_out("cd %s/remote.git && printf '#!/bin/sh\\nwhile read "
		      "o n ref; do [ \"$ref\" = refs/tags/race/once/v1 ] && "
		      "[ ! -e ../refused ] && touch ../refused && exit 1; "
		      "done\\nexit 0\\n' >hooks/pre-receive && chmod +x "
		      "hooks/pre-receive && echo ok",
		      base_dir);
	assert_string_equal(out, "ok");
	free(out);
	assert_int_equal(cz_pkgrepo_write_draft(r, "race/once", "ws", NULL,
						files, &alice, "edit", NULL,
						&err),
			 CZ_OK);
	if (cz_pkgrepo_publish(r, "race/once", "ws", "v1", &alice, NULL,
			       &err) != CZ_OK)
		fail_msg("publish: %s", err.msg);
	out = run_out("cd %s && rm remote.git/hooks/pre-receive && ls refused "
		      "&& git --git-dir=remote.git log --format=%%s main | "
		      "grep -c race/once && git --git-dir=remote.git rev-parse "
		      "race/once/v1 main | uniq | wc -l",
		      base_dir);
	assert_string_equal(out, "refused\n1\n1");
	free(out);
	json_decref(files);
	cz_pkgrepo_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draft_publish_read),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_two_writers),
		cmocka_unit_test(test_sync_packed),
		cmocka_unit_test(test_tag_never_moved),
		cmocka_unit_test(test_number_claimed),
		cmocka_unit_test(test_tag_refused_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
