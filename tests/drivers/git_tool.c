/*
 * git_tool: the git source from the command line, for the end-to-end tests.
 *
 *   git_tool resolve URL [REF] [AUTH] [--cache DIR]
 *       without --cache: ls-remote only (the "changed?" check);
 *       with --cache: a fetch into the cache.
 *   git_tool export URL REF DIR --cache DIR [AUTH]
 *
 * REF: --branch B | --tag T | --semver C | --name R | --commit SHA (any
 * combination; Flux's precedence applies).  For export, the positional REF
 * is "branch:B", "tag:T", "semver:C", "name:R", "commit:SHA", a full
 * "refs/..." name, 40 hex digits, or else a branch name.
 * AUTH: --user U --password P | --bearer TOKEN, --ca-file F,
 *       --ssh-key F [--ssh-passphrase P] --known-hosts F.
 * Caps: --max-bytes N, --max-objects N, --timeout S.
 *
 * Prints "revision=...", "commit=...", and for fetches "bytes=",
 * "objects=", "cache_hit=".  Exit 0 on success, 1 with one line on stderr
 * on failure, 2 on a usage error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "git/source.h"

#include "../unit/git_semver_pick.h"
#include "util/mem.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: git_tool resolve URL [--branch B|--tag T|--semver C|"
		"--name R|--commit SHA] [--user U --password P|--bearer T] "
		"[--cache DIR]\n"
		"       git_tool export URL REF DIR --cache DIR\n");
	return 2;
}

static int is_hex40(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	return i == 40;
}

static void positional_ref(cz_git_ref *r, const char *s)
{
	if (!strncmp(s, "branch:", 7))
		r->branch = s + 7;
	else if (!strncmp(s, "tag:", 4))
		r->tag = s + 4;
	else if (!strncmp(s, "semver:", 7))
		r->semver = s + 7;
	else if (!strncmp(s, "name:", 5))
		r->name = s + 5;
	else if (!strncmp(s, "commit:", 7))
		r->commit = s + 7;
	else if (!strncmp(s, "refs/", 5))
		r->name = s;
	else if (is_hex40(s))
		r->commit = s;
	else
		r->branch = s;
}

int main(int argc, char **argv)
{
	cz_git_options o;
	cz_git_result res;
	cz_error err = CZ_ERROR_INIT;
	const char *cmd, *dir = NULL;
	int i, rc, pos = 0;

	cz_json_use_project_allocator();
	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	o.pick_semver = test_semver_pick;
	if (argc < 3)
		return usage();
	cmd = argv[1];
	o.url = argv[2];
	for (i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-' || a[1] != '-') {
			if (strcmp(cmd, "export") || pos > 1)
				return usage();
			if (pos++ == 0)
				positional_ref(&o.ref, a);
			else
				dir = a;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--branch"))
			o.ref.branch = v;
		else if (!strcmp(a, "--tag"))
			o.ref.tag = v;
		else if (!strcmp(a, "--semver"))
			o.ref.semver = v;
		else if (!strcmp(a, "--name"))
			o.ref.name = v;
		else if (!strcmp(a, "--commit"))
			o.ref.commit = v;
		else if (!strcmp(a, "--user"))
			o.username = v;
		else if (!strcmp(a, "--password"))
			o.password = v;
		else if (!strcmp(a, "--bearer"))
			o.bearer_token = v;
		else if (!strcmp(a, "--ca-file"))
			o.ca_file = v;
		else if (!strcmp(a, "--ssh-key"))
			o.ssh_identity_file = v;
		else if (!strcmp(a, "--ssh-passphrase"))
			o.ssh_passphrase = v;
		else if (!strcmp(a, "--known-hosts"))
			o.ssh_known_hosts_file = v;
		else if (!strcmp(a, "--cache"))
			o.cache_dir = v;
		else if (!strcmp(a, "--max-bytes"))
			o.max_bytes = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--max-objects"))
			o.max_objects = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--timeout"))
			o.timeout_s = (unsigned)strtoul(v, NULL, 10);
		else
			return usage();
	}
	if (cz_git_init(&err) != CZ_OK) {
		fprintf(stderr, "git_tool: %s\n", err.msg);
		return 1;
	}
	if (!strcmp(cmd, "resolve")) {
		rc = o.cache_dir ? cz_git_fetch(&o, &res, &err)
				 : cz_git_resolve(&o, &res, &err);
	} else if (!strcmp(cmd, "export")) {
		if (!dir || !o.cache_dir) {
			cz_git_shutdown();
			return usage();
		}
		rc = cz_git_fetch_export(&o, dir, &res, &err);
	} else {
		cz_git_shutdown();
		return usage();
	}
	if (rc == CZ_OK) {
		printf("revision=%s\ncommit=%s\n", res.revision, res.commit);
		if (o.cache_dir)
			printf("bytes=%llu\nobjects=%u\ncache_hit=%d\n",
			       (unsigned long long)res.received_bytes,
			       res.received_objects, res.cache_hit);
	} else {
		fprintf(stderr, "git_tool: %s\n", err.msg);
	}
	cz_git_result_release(&res);
	cz_git_shutdown();
	return rc == CZ_OK ? 0 : 1;
}
