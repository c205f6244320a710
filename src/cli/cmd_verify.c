/* cozypkg verify: whether an artifact in a registry carries a signature
 * the public key accepts. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "market/cosign.h"
#include "util/fileio.h"
#include "util/mem.h"

#define OPT_KEY (CLI_LONG_ONLY + 1)

static const cli_opt opts[] = {
	{ OPT_KEY, "key", "FILE", "public key (PEM, as cosign.pub)" },
	CLI_REGISTRY_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct verify_args {
	const char *key;
	bool insecure;
} verify_args;

static int parse_option(void *ctx, int c, const char *arg)
{
	verify_args *a = ctx;

	if (c == OPT_KEY)
		a->key = arg;
	else if (c == CLI_OPT_INSECURE)
		a->insecure = true;
	else
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

static int verify(const verify_args *a, const char *ref)
{
	cz_error err = CZ_ERROR_INIT;
	cli_registry r;
	char *key = NULL, *digest = NULL;
	size_t key_len = 0;
	int rc = CLI_EXIT_OK;

	memset(&r, 0, sizeof(r));
	/* A key that cannot be used is the caller's input, not a verdict
	 * on the artifact. */
	if (cz_file_read(a->key, CZ_COSIGN_MAX_KEY, &key, &key_len, &err) < 0 ||
	    cz_cosign_pubkey_check(key, key_len, &err) < 0) {
		fprintf(stderr, "cozypkg: %s: %s\n", a->key, err.msg);
		rc = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (cli_registry_open(ref, a->insecure, &r, &err) < 0) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (cli_registry_digest(&r, &digest, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	if (cz_cosign_verify(r.oci, r.ref.repo, digest, key, key_len, &err) <
	    0) {
		fprintf(stderr, "cozypkg: not verified: %s\n", err.msg);
		rc = CLI_EXIT_FAILED;
		goto cleanup;
	}
	printf("Verified %s/%s@%s\n", r.ref.host, r.ref.repo, digest);
cleanup:
	cli_registry_close(&r);
	free(key);
	free(digest);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	verify_args a = { NULL, false };
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, parse_option, &a, &first);

	if (rc == CLI_EXIT_OK && !a.key)
		rc = cli_usage_error(cmd, "--key is required");
	if (rc == CLI_EXIT_OK && argc - first != 1)
		rc = cli_usage_error(cmd, "verify takes one oci:// reference");
	if (rc == CLI_EXIT_OK)
		rc = verify(&a, argv[first]);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_verify = {
	.name = "verify",
	.run = run,
	.summary = "Verify an artifact's signature (cosign-compatible)",
	.usage = "verify --key FILE oci://HOST/REPO[:TAG][@DIGEST] [--insecure]",
	.description =
		"Resolves the reference to its manifest digest and looks for a "
		"signature of\nthat digest (the tag sha256-<hex>.sig, as cosign "
		"stores it) which the\npublic key verifies over the exact payload "
		"bytes, and whose payload names\nthe same digest.  Exit status: "
		"0 verified, 1 not verified (no signature,\nno signature that "
		"verifies, or the registry failed; the reason is printed),\n2 "
		"bad arguments or an unreadable key.",
	.opts = opts,
	.examples = "  cozypkg verify --key cosign.pub oci://ghcr.io/team/app:1.0.0\n",
};
