/* cozypkg keygen: a key pair for cozypkg sign and verify (and cosign). */

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "market/cosign.h"
#include "util/mem.h"

#define OPT_PREFIX (CLI_LONG_ONLY + 1)

static const cli_opt opts[] = {
	{ OPT_PREFIX, "output-key-prefix", "PREFIX",
	  "write PREFIX.key and PREFIX.pub (default cosign)" },
	{ 0, NULL, NULL, NULL },
};

static int parse_option(void *ctx, int c, const char *arg)
{
	if (c != OPT_PREFIX)
		return CLI_EXIT_USAGE;
	*(const char **)ctx = arg;
	return CLI_EXIT_OK;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	const char *prefix = "cosign";
	cz_error err = CZ_ERROR_INIT;
	char *priv = NULL, *pub = NULL;
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, parse_option, &prefix, &first);

	if (rc == CLI_EXIT_OK && first < argc)
		rc = cli_usage_error(cmd, "unexpected argument \"%s\"",
				     argv[first]);
	if (rc == CLI_EXIT_OK && !*prefix)
		rc = cli_usage_error(cmd, "--output-key-prefix is empty");
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	priv = cz_xasprintf("%s.key", prefix);
	pub = cz_xasprintf("%s.pub", prefix);
	if (cz_cosign_keygen(priv, pub, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	printf("Private key written to %s\nPublic key written to %s\n", priv,
	       pub);
cleanup:
	free(priv);
	free(pub);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_keygen = {
	.name = "keygen",
	.run = run,
	.summary = "Generate a key pair for signing artifacts",
	.usage = "keygen [--output-key-prefix PREFIX]",
	.description =
		"Writes a new ECDSA P-256 key pair: the private key, unencrypted "
		"PKCS#8 PEM,\nto PREFIX.key (mode 0600) and the public key, PKIX "
		"PEM as cosign.pub, to\nPREFIX.pub.  Existing files are never "
		"overwritten.",
	.opts = opts,
	.examples = "  cozypkg keygen\n"
		    "  cozypkg keygen --output-key-prefix release\n",
};
