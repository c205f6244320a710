/* cozypkg unpin: a Flux source pinned by `rollback` follows its tag,
 * semver range or branch again. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/mem.h"

static const cli_opt opts[] = {
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

/* What the source follows once the pin is gone, or NULL: nothing. */
static const char *followed(const json_t *ref, bool oci)
{
	static const char *const oci_keys[] = { "semver", "tag", NULL };
	static const char *const git_keys[] = { "semver", "tag", "branch",
						"name", NULL };

	for (const char *const *k = oci ? oci_keys : git_keys; *k; k++)
		if (json_string_value(json_object_get(ref, *k)))
			return *k;
	return NULL;
}

static int unpin(cli_conn *c, const char *arg, void *ctx)
{
	cli_owner o;
	cz_error err = CZ_ERROR_INIT;
	json_t *ref, *patch = NULL;
	const char *field, *to;
	bool oci;
	int rc;

	(void)ctx;
	if (strncmp(arg, "source/", 7) != 0)
		return cli_usage_error(&cmd_unpin, "unpin takes source/NAME");
	if (cli_owner_find(c, arg, &o, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	oci = strcmp(o.kind, "OCIRepository") == 0;
	field = oci ? "digest" : "commit";
	ref = json_object_get(json_object_get(o.obj, "spec"), "ref");
	if (!json_object_get(ref, field)) {
		fprintf(stderr, "%s is not pinned (no spec.ref.%s)\n", arg,
			field);
		rc = CLI_EXIT_OK;
		goto cleanup;
	}
	if (!(to = followed(ref, oci))) {
		fprintf(stderr, "cozypkg: %s has only its pin (spec.ref.%s): "
				"nothing to return to\n",
			arg, field);
		rc = CLI_EXIT_FAILED;
		goto cleanup;
	}
	patch = json_pack("{s:{s:{s:n}}}", "spec", "ref", field);
	if (cz_kube_patch(c->kube, o.path, "application/merge-patch+json",
			  patch, NULL, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	fprintf(stderr, "✓ %s %s follows its %s %s again\n", o.kind, arg, to,
		json_string_value(json_object_get(ref, to)));
	rc = CLI_EXIT_OK;
cleanup:
	json_decref(patch);
	cli_owner_release(&o);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	return cli_run_on_one(cmd, argc, argv, "source/NAME", unpin, NULL);
}

const cli_command cmd_unpin = {
	.name = "unpin",
	.run = run,
	.summary = "Let a Flux source pinned by rollback follow its tag again",
	.usage = "unpin source/[NS/]NAME",
	.description =
		"Removes spec.ref.digest (OCIRepository) or spec.ref.commit "
		"(GitRepository), so that the source follows its tag, semver "
		"range or branch again.",
	.opts = opts,
	.examples = "  cozypkg unpin source/cozystack-packages\n",
};
