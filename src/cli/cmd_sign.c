/* cozypkg sign: a cosign-compatible signature of an artifact in a
 * registry. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "market/cosign.h"
#include "util/fileio.h"
#include "util/mem.h"

#define OPT_KEY (CLI_LONG_ONLY + 1)

static const cli_opt opts[] = {
	{ OPT_KEY, "key", "FILE", "private key (PEM, as cozypkg keygen "
				  "writes it)" },
	CLI_REGISTRY_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct sign_args {
	const char *key;
	bool insecure;
} sign_args;

static int parse_option(void *ctx, int c, const char *arg)
{
	sign_args *a = ctx;

	if (c == OPT_KEY)
		a->key = arg;
	else if (c == CLI_OPT_INSECURE)
		a->insecure = true;
	else
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

static int sign(const sign_args *a, const char *ref)
{
	cz_error err = CZ_ERROR_INIT;
	cli_registry r;
	char *key = NULL, *digest = NULL, *docker_ref = NULL;
	size_t key_len = 0;
	int rc = CLI_EXIT_OK;

	memset(&r, 0, sizeof(r));
	if (cz_file_read(a->key, CZ_COSIGN_MAX_KEY, &key, &key_len, &err) < 0) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
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
	docker_ref = cz_xasprintf("%s/%s", r.ref.host, r.ref.repo);
	if (cz_cosign_sign(r.oci, r.ref.repo, digest, docker_ref, key, key_len,
			   &err) < 0) {
		rc = err.code == CZ_EINVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		goto cleanup;
	}
	printf("%s\n", digest);
cleanup:
	cli_registry_close(&r);
	if (key)
		explicit_bzero(key, key_len);
	free(key);
	free(digest);
	free(docker_ref);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	sign_args a = { NULL, false };
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, parse_option, &a, &first);

	if (rc == CLI_EXIT_OK && !a.key)
		rc = cli_usage_error(cmd, "--key is required");
	if (rc == CLI_EXIT_OK && argc - first != 1)
		rc = cli_usage_error(cmd, "sign takes one oci:// reference");
	if (rc == CLI_EXIT_OK)
		rc = sign(&a, argv[first]);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_sign = {
	.name = "sign",
	.run = run,
	.summary = "Sign an artifact in a registry (cosign-compatible)",
	.usage = "sign --key FILE oci://HOST/REPO[:TAG][@DIGEST] [--insecure]",
	.description =
		"Signs the manifest a reference names: a tag is resolved to its "
		"digest\nfirst, and the digest is what is signed and printed.  "
		"The signature is\nstored as cosign stores it, under the tag "
		"sha256-<hex>.sig of the same\nrepository, next to any signatures "
		"already there, so that cosign verify\n--key and Flux's "
		"OCIRepository spec.verify accept it.",
	.opts = opts,
	.examples = "  cozypkg sign --key cosign.key oci://ghcr.io/team/app:1.0.0\n"
		    "  cozypkg sign --key cosign.key --insecure "
		    "oci://127.0.0.1:5000/app@sha256:...\n",
};
