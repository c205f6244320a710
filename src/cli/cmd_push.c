/* cozypkg push: publish a package repository's packages/ tree as a Flux
 * artifact to any OCI registry. */

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "market/cache.h"
#include "market/flux.h"
#include "util/mem.h"

enum {
	OPT_PATH = CLI_LONG_ONLY + 1,
	OPT_SOURCE,
	OPT_REVISION,
	OPT_SKIP_VALIDATE,
	OPT_KNOWN,
	OPT_ALLOW_RESERVED,
	OPT_NO_CACHE,
};

static const cli_opt opts[] = {
	{ OPT_PATH, "path", "DIR",
	  "the repository to publish; its packages/ goes in (default .)" },
	{ OPT_SOURCE, "source", "URL",
	  "org.opencontainers.image.source (default: the git remote origin)" },
	{ OPT_REVISION, "revision", "REV",
	  "org.opencontainers.image.revision (default: BRANCH@sha1:COMMIT)" },
	{ OPT_SKIP_VALIDATE, "skip-validate", NULL,
	  "publish without validating first" },
	{ OPT_KNOWN, "known-source", "NAME",
	  "validation: a source outside the repository that dependsOn may "
	  "name (repeatable)" },
	{ OPT_ALLOW_RESERVED, "allow-reserved-names", NULL,
	  "validation: accept the prefixes cozystack. and community." },
	{ OPT_NO_CACHE, "no-cache", NULL,
	  "build the layer afresh instead of reusing the one built last time "
	  "for this directory when none of its files changed" },
	CLI_REGISTRY_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct push_args {
	const char *path;
	const char *source;
	const char *revision;
	bool skip_validate;
	bool insecure;
	const char **known; /* NULL-terminated */
	size_t nknown, known_cap;
	bool allow_reserved;
	bool no_cache;
	bool invalid; /* validation failed */
} push_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	push_args *a = ctx;

	switch (id) {
	case OPT_PATH: a->path = arg; break;
	case OPT_SOURCE: a->source = arg; break;
	case OPT_REVISION: a->revision = arg; break;
	case OPT_SKIP_VALIDATE: a->skip_validate = true; break;
	case OPT_ALLOW_RESERVED: a->allow_reserved = true; break;
	case OPT_NO_CACHE: a->no_cache = true; break;
	case OPT_KNOWN:
		CZ_GROW(a->known, a->nknown + 2, a->known_cap);
		a->known[a->nknown++] = arg;
		a->known[a->nknown] = NULL;
		break;
	case CLI_OPT_INSECURE: a->insecure = true; break;
	default: return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
static int created_time(time_t *out, cz_error *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end = NULL;
	long long v;

	*out = time(NULL);
	if (!s || !*s)
		return CZ_OK;
	v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return cz_fail(err, CZ_EINVALID, "SOURCE_DATE_EPOCH: expected "
			       "seconds since 1970, got \"%s\"", s);
	*out = (time_t)v;
	return CZ_OK;
}

/* The provenance git gives for dir: origin's URL and BRANCH@sha1:COMMIT,
 * only when dir's packages/ is tracked in that repository, so that a
 * scaffold inside some unrelated checkout does not claim its history. */
static void git_provenance(const char *dir, char **source, char **revision)
{
	git_repository *repo = NULL;
	git_remote *origin = NULL;
	git_reference *head = NULL;
	git_index *index = NULL;
	char *real = realpath(dir, NULL);
	const char *workdir;
	char *prefix = NULL;
	size_t at;
	char hex[GIT_OID_HEXSZ + 1];

	git_libgit2_init();
	if (!real || git_repository_open_ext(&repo, real, 0, NULL) != 0)
		goto cleanup;
	workdir = git_repository_workdir(repo);
	if (!workdir || strncmp(real, workdir, strlen(workdir) - 1) != 0)
		goto cleanup;
	prefix = cz_xasprintf("%s%spackages/", real + strlen(workdir) - 1,
			      strlen(real) + 1 > strlen(workdir) ? "/" : "");
	if (git_repository_index(&index, repo) != 0 ||
	    git_index_find_prefix(&at, index, *prefix == '/' ? prefix + 1
								: prefix) != 0)
		goto cleanup;
	if (git_remote_lookup(&origin, repo, "origin") == 0 && !*source)
		*source = cz_xstrdup(git_remote_url(origin));
	if (git_repository_head(&head, repo) == 0 && !*revision) {
		git_oid_tostr(hex, sizeof(hex), git_reference_target(head));
		*revision = cz_xasprintf("%s@sha1:%s",
					 git_reference_shorthand(head), hex);
	}
cleanup:
	git_index_free(index);
	git_reference_free(head);
	git_remote_free(origin);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(prefix);
	free(real);
}

static void print_skipped(const cz_flux_pushed *p)
{
	if (p->nskipped == 0)
		return;
	fprintf(stderr, "cozypkg: warning: %zu symbolic link%s or special "
		"file%s left out (Flux artifacts hold regular files only):\n",
		p->nskipped, p->nskipped == 1 ? "" : "s",
		p->nskipped == 1 ? "" : "s");
	for (size_t i = 0; i < p->nskipped; i++)
		fprintf(stderr, "  packages/%s\n", p->skipped[i]);
}

/* The repository passes `cozypkg validate` before anything is sent
 * (called by cz_flux_push() unless the tree passed it unchanged). */
static int validate_first(void *ctx, cz_error *err)
{
	push_args *a = ctx;
	cz_validate_opts o = { a->known, a->allow_reserved };

	if (cli_validate_print(a->path, a->path, &o, true) == CLI_EXIT_OK)
		return CZ_OK;
	a->invalid = true;
	return cz_fail(err, CZ_EINVALID, "%s does not validate: nothing was "
		       "pushed (fix it, or --skip-validate)", a->path);
}

/* What validation decides on besides the tree: this version's rules
 * (in the cache key already) and the options; hex, malloc'ed. */
static char *validation_tag(const push_args *a)
{
	cz_market_cache_hasher *h = cz_market_cache_hasher_new(NULL);
	unsigned char key[CZ_MARKET_CACHE_KEY_LEN];
	char *hex = cz_xmalloc(2 * sizeof(key) + 1);

	cz_market_cache_hasher_add(h, a->allow_reserved ? "r" : "-", 1);
	for (size_t i = 0; i < a->nknown; i++)
		cz_market_cache_hasher_add(h, a->known[i],
					   strlen(a->known[i]) + 1);
	cz_market_cache_hasher_finish(h, key);
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	return hex;
}

/* Checks what the arguments name before anything is sent. */
static int prepare(const push_args *a, const char *target, char **packages,
		   char **source, char **revision, cli_registry *reg,
		   cz_error *err)
{
	struct stat st;
	int rc;

	*packages = cz_xasprintf("%s/packages", a->path);
	if (stat(*packages, &st) != 0 || !S_ISDIR(st.st_mode))
		return cz_fail(err, CZ_EINVALID, "%s: no packages/ directory "
			       "(use --path to name the repository)", a->path);
	*source = a->source ? cz_xstrdup(a->source) : NULL;
	*revision = a->revision ? cz_xstrdup(a->revision) : NULL;
	if (!*source || !*revision)
		git_provenance(a->path, source, revision);
	if (!*source || !*revision)
		return cz_fail(err, CZ_EINVALID, "%s is not a git checkout with "
			       "an origin remote that tracks packages/: pass "
			       "--source and --revision", a->path);
	if ((rc = cli_registry_open(target, a->insecure, reg, err)) < 0)
		return rc;
	if (reg->ref.digest)
		return cz_fail(err, CZ_EINVALID, "%s: push to a tag, not a "
			       "digest", target);
	return CZ_OK;
}

static int push(push_args *a, const char *target)
{
	cli_registry reg = { 0 };
	cz_flux_pushed pushed = { 0 };
	cz_flux_push_opts po = { 0 };
	cz_error err = CZ_ERROR_INIT;
	char *packages = NULL, *source = NULL, *revision = NULL;
	char *cache = a->no_cache ? NULL : cz_market_cache_default_dir("layers");
	char *tag = NULL;
	int rc;

	rc = prepare(a, target, &packages, &source, &revision, &reg, &err);
	if (rc == CZ_OK)
		rc = created_time(&po.created, &err);
	if (rc < 0) {
		rc = rc == CZ_EINVALID ? CLI_EXIT_USAGE : cli_fail(&err);
		if (rc == CLI_EXIT_USAGE)
			fprintf(stderr, "cozypkg: %s\n", err.msg);
		goto cleanup;
	}
	po.source = source;
	po.revision = revision;
	po.cache_dir = cache;
	if (!a->skip_validate) {
		tag = validation_tag(a);
		po.check = validate_first;
		po.check_ctx = a;
		po.check_tag = tag;
	}
	rc = cz_flux_push(reg.oci, reg.ref.repo, cz_oci_ref_reference(&reg.ref),
			  packages, &po, &pushed, &err);
	if (rc < 0 && a->invalid) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (rc < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	print_skipped(&pushed);
	fprintf(stderr, "pushed %s/%s:%s (%zu entries, layer %s, %llu bytes%s)\n",
		reg.ref.host, reg.ref.repo, cz_oci_ref_reference(&reg.ref),
		pushed.entries, pushed.layer_digest,
		(unsigned long long)pushed.layer_size,
		pushed.layer_cached ? (pushed.check_skipped
					       ? ", unchanged since the last "
						 "push: not validated again"
					       : ", unchanged since the last push")
				    : "");
	printf("%s\n", pushed.manifest_digest);
	rc = CLI_EXIT_OK;
cleanup:
	cz_flux_pushed_release(&pushed);
	cli_registry_close(&reg);
	free(packages);
	free(source);
	free(revision);
	free(cache);
	free(tag);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	push_args a = { .path = "." };
	int first, rc;

	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_HELP_SHOWN)
		return CLI_EXIT_OK;
	if (rc != CLI_EXIT_OK)
		return rc;
	if (first >= argc)
		return cli_usage_error(cmd, "push needs an oci:// reference");
	if (first + 1 < argc)
		rc = cli_usage_error(cmd, "unexpected argument \"%s\"",
				     argv[first + 1]);
	else
		rc = push(&a, argv[first]);
	free(a.known);
	return rc;
}

const cli_command cmd_push = {
	.name = "push",
	.run = run,
	.summary = "Publish a package repository to an OCI registry",
	.usage = "push oci://REGISTRY/REPO:TAG [--path DIR] [--source URL] "
		 "[--revision REV]",
	.description =
		"Validates the repository at --path (unless --skip-validate), "
		"then publishes its packages/ directory as a Flux artifact, "
		"in the shape `flux push artifact` gives, so that Flux "
		"source-controllers and cozypkgd read it.  The layer is "
		"reproducible: the same tree gives the same digest on any "
		"machine, and with SOURCE_DATE_EPOCH set (it fixes the "
		"created time) the same manifest digest too.  Symbolic links "
		"are left out, with a warning.  The manifest digest is "
		"printed on stdout.  Credentials come from "
		"~/.docker/config.json (or $DOCKER_CONFIG).",
	.opts = opts,
	.examples = "  cozypkg push oci://ghcr.io/acme/packages:v1.0.0\n"
		    "  cozypkg push --insecure --path ./repo \\\n"
		    "      --source https://github.com/acme/packages "
		    "--revision v1@sha1:0123abc \\\n"
		    "      oci://127.0.0.1:5000/acme/packages:v1\n",
};
