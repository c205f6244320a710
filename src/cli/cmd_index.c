/* cozypkg index: check a marketplace index checkout (validate) and publish
 * it as a Flux artifact (push). */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "market/cosign.h"
#include "market/flux.h"
#include "util/mem.h"

enum { OPT_ONLINE = CLI_LONG_ONLY + 1 };

static const cli_opt opts[] = {
	{ OPT_ONLINE, "online", NULL,
	  "validate: also check every ociRef:version (and pinned digest) in "
	  "its registry" },
	CLI_REGISTRY_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct index_args {
	bool online;
	bool insecure;
} index_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	index_args *a = ctx;

	(void)arg;
	if (id == OPT_ONLINE)
		a->online = true;
	else if (id == CLI_OPT_INSECURE)
		a->insecure = true;
	else
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

/* ---- validate ------------------------------------------------------------ */

/* The manifest digest ociRef:version has in its registry. */
static int resolve_version(const cz_market_entry *e, bool insecure,
			   cli_registry *reg, char digest[CZ_OCI_DIGEST_BUF],
			   cz_error *err)
{
	char *ref = cz_xasprintf("oci://%s:%s", e->oci_ref, e->version);
	cz_oci_raw_manifest m;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = cli_registry_open(ref, insecure, reg, err);
	if (rc == CZ_OK)
		rc = cz_oci_manifest_get(reg->oci, reg->ref.repo, e->version, &m,
					 err);
	if (rc == CZ_OK)
		memcpy(digest, m.digest, CZ_OCI_DIGEST_BUF);
	cz_oci_raw_manifest_release(&m);
	free(ref);
	return rc;
}

static void check_online(const cz_market_entry *e, bool insecure,
			 cz_diags *d)
{
	cli_registry reg = { CZ_OCI_REF_INIT, NULL };
	char digest[CZ_OCI_DIGEST_BUF] = "";
	cz_error err = CZ_ERROR_INIT;

	if (resolve_version(e, insecure, &reg, digest, &err) < 0) {
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: version: %s:%s: %s",
			     e->file, e->oci_ref, e->version, err.msg);
		goto cleanup;
	}
	if (e->digest && strcmp(e->digest, digest) != 0) {
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: digest: %s:%s is %s in "
			     "the registry, not the pinned %s", e->file,
			     e->oci_ref, e->version, digest, e->digest);
		goto cleanup;
	}
	if (e->signing == CZ_MARKET_SIGNED_KEY &&
	    cz_cosign_verify(reg.oci, reg.ref.repo, digest, e->signing_key,
			     strlen(e->signing_key), &err) < 0)
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: signing.key: %s", e->file,
			     err.msg);
cleanup:
	cli_registry_close(&reg);
}

static int validate(const char *dir, const index_args *a)
{
	cz_market_load_opts o;
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_error err = CZ_ERROR_INIT;
	cz_diags d;
	size_t keyless = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.verify_keys = true;
	cz_diags_init(&d);
	if (cz_market_load_dir(dir, &o, &idx, &d, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	for (size_t i = 0; a->online && i < idx.len; i++) {
		check_online(&idx.entries[i], a->insecure, &d);
		keyless += idx.entries[i].signing == CZ_MARKET_SIGNED_KEYLESS;
	}
	cz_diags_print(&d, stderr);
	if (keyless)
		fprintf(stderr, "warning: %zu keyless signing identit%s not "
			"checked (--online verifies key signatures only)\n",
			keyless, keyless == 1 ? "y" : "ies");
	if (d.nerrors) {
		fprintf(stderr, "%s: %zu problem%s in %zu of %zu entries\n", dir,
			d.nerrors, d.nerrors == 1 ? "" : "s",
			idx.ninvalid,
			idx.nfiles);
		rc = CLI_EXIT_FAILED;
	} else {
		printf("%s: %zu entries, all valid%s\n", dir, idx.nfiles,
		       a->online ? " and present in their registries" : "");
		rc = CLI_EXIT_OK;
	}
cleanup:
	cz_market_index_release(&idx);
	cz_diags_release(&d);
	return rc;
}

/* ---- push ---------------------------------------------------------------- */

/* A clean index only: a push never publishes what validate rejects. */
static int validate_quietly(const char *dir, cz_error *err)
{
	cz_market_load_opts o;
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_diags d;
	int rc;

	memset(&o, 0, sizeof(o));
	o.verify_keys = true;
	cz_diags_init(&d);
	rc = cz_market_load_dir(dir, &o, &idx, &d, err);
	if (rc == CZ_OK && d.nerrors) {
		cz_diags_print(&d, stderr);
		rc = cz_fail(err, CZ_EINVALID, "%s: %zu problem%s; nothing was "
			     "pushed", dir, d.nerrors,
			     d.nerrors == 1 ? "" : "s");
	}
	cz_market_index_release(&idx);
	cz_diags_release(&d);
	return rc;
}

static int push(const char *dir, const char *target, const index_args *a)
{
	cli_registry reg = { CZ_OCI_REF_INIT, NULL };
	cz_flux_pushed pushed;
	cz_flux_push_opts po = { .created = time(NULL) };
	cz_error err = CZ_ERROR_INIT;
	int rc;

	memset(&pushed, 0, sizeof(pushed));
	if ((rc = validate_quietly(dir, &err)) < 0 ||
	    (rc = cli_registry_open(target, a->insecure, &reg, &err)) < 0)
		goto cleanup;
	if (reg.ref.digest) {
		rc = cz_fail(&err, CZ_EINVALID, "%s: push to a tag, not a "
			     "digest", target);
		goto cleanup;
	}
	po.source = "cozypkg index push";
	rc = cz_flux_push(reg.oci, reg.ref.repo, cz_oci_ref_reference(&reg.ref),
			  dir, &po, &pushed, &err);
	if (rc == CZ_OK) {
		fprintf(stderr, "pushed %s/%s:%s (%zu files and directories)\n",
			reg.ref.host, reg.ref.repo,
			cz_oci_ref_reference(&reg.ref), pushed.entries);
		printf("%s\n", pushed.manifest_digest);
	}
cleanup:
	if (rc < 0)
		rc = cli_fail(&err);
	cz_flux_pushed_release(&pushed);
	cli_registry_close(&reg);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

static int run(const cli_command *cmd, int argc, char **argv)
{
	index_args a = { false, false };
	const char *sub = argc > 1 ? argv[1] : NULL;
	int first = 0, rc;

	if (!sub || *sub == '-') {
		rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
		if (rc == CLI_HELP_SHOWN)
			return CLI_EXIT_OK;
		return cli_usage_error(cmd, "expected validate or push");
	}
	rc = cli_parse(cmd, argc - 1, argv + 1, on_opt, &a, &first);
	if (rc == CLI_HELP_SHOWN)
		return CLI_EXIT_OK;
	if (rc != CLI_EXIT_OK)
		return rc;
	argc -= 1 + first;
	argv += 1 + first;
	if (strcmp(sub, "validate") == 0 && argc == 1)
		return validate(argv[0], &a);
	if (strcmp(sub, "push") == 0 && argc == 2 && !a.online)
		return push(argv[0], argv[1], &a);
	if (strcmp(sub, "validate") == 0)
		return cli_usage_error(cmd, "index validate takes one DIR");
	if (strcmp(sub, "push") == 0)
		return cli_usage_error(cmd, "index push takes DIR and "
				       "oci://REF (and no --online)");
	return cli_usage_error(cmd, "unknown subcommand \"%s\" (validate or "
			       "push)", sub);
}

const cli_command cmd_index = {
	.name = "index",
	.run = run,
	.summary = "Validate or publish a marketplace index",
	.usage = "index validate DIR [--online] [--insecure] | index push DIR "
		 "oci://REF [--insecure]",
	.description =
		"validate checks every entries/*.yaml of the index in DIR: "
		"the fields, their\nshape, unique names and the size limits "
		"(64 KiB per entry, 100,000 entries,\n64 MiB in all); each "
		"problem is one line FILE:LINE: FIELD: message.  With\n"
		"--online it also asks each registry for ociRef:version and "
		"compares a pinned\ndigest.  Exit status 0 when clean, 1 with "
		"problems, 2 for bad usage.\n\npush validates DIR, then "
		"publishes it as a Flux artifact to oci://REF (what\nsearch "
		"--index oci://REF reads) and prints the manifest digest.",
	.opts = opts,
	.examples = "  cozypkg index validate ./packages-index\n"
		    "  cozypkg index validate ./packages-index --online\n"
		    "  cozypkg index push ./packages-index "
		    "oci://ghcr.io/acme/packages-index:latest\n",
};
