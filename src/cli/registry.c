/* Registry access for the commands that push and pull: the reference,
 * --insecure and the user's docker credentials. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci/digest.h"
#include "util/fileio.h"
#include "util/mem.h"

#define DOCKER_CONFIG_MAX (4u << 20)

/* $DOCKER_CONFIG/config.json, else ~/.docker/config.json; malloc'ed, or
 * NULL when neither variable is set. */
static char *docker_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");

	if (dir && *dir)
		return cz_xasprintf("%s/config.json", dir);
	if (home && *home)
		return cz_xasprintf("%s/.docker/config.json", home);
	return NULL;
}

/* The docker config text (*out malloc'ed, NULL when there is no file). */
static int read_docker_config(char **out, cz_error *err)
{
	char *path = docker_config_path();
	size_t len = 0;
	int rc = CZ_OK;

	*out = NULL;
	if (path) {
		rc = cz_file_read(path, DOCKER_CONFIG_MAX, out, &len, err);
		if (rc == CZ_ENOTFOUND)
			rc = CZ_OK;
	}
	free(path);
	return rc;
}

int cli_registry_open(const char *text, bool insecure, cli_registry *r,
		      cz_error *err)
{
	cz_oci_opts opts;
	char *docker_config = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (strncmp(text, "oci://", 6) != 0) {
		rc = cz_fail(err, CZ_EINVALID, "%s: expected an oci:// "
			     "reference (oci://HOST/REPO[:TAG][@DIGEST])",
			     text);
		goto cleanup;
	}
	if ((rc = cz_oci_ref_parse(text, &r->ref, err)) < 0)
		goto cleanup;
	if ((rc = read_docker_config(&docker_config, err)) < 0)
		goto cleanup;
	memset(&opts, 0, sizeof(opts));
	opts.insecure = insecure;
	opts.docker_config = docker_config;
	rc = cz_oci_open(r->ref.host, &opts, &r->oci, err);
	if (rc < 0)
		cz_error_prefix(err, "credentials for %s", r->ref.host);
cleanup:
	free(docker_config);
	return rc;
}

void cli_registry_close(cli_registry *r)
{
	if (r->oci)
		cz_oci_free(r->oci);
	cz_oci_ref_release(&r->ref);
	memset(r, 0, sizeof(*r));
}

/* A tag is resolved with HEAD, falling back to the manifest itself when
 * the registry sends no sha256 Docker-Content-Digest. */
int cli_registry_digest(cli_registry *r, char **digest_out, cz_error *err)
{
	const char *reference = cz_oci_ref_reference(&r->ref);
	cz_oci_raw_manifest raw = { 0 };
	char *digest = NULL;
	int rc;

	*digest_out = NULL;
	if (r->ref.digest) {
		*digest_out = cz_xstrdup(r->ref.digest);
		return CZ_OK;
	}
	rc = cz_oci_manifest_head(r->oci, r->ref.repo, reference, &digest,
				  NULL, NULL, err);
	/* Without a sha256 Docker-Content-Digest, the manifest itself. */
	if (rc == CZ_OK && (!digest || !cz_oci_digest_is_sha256(digest))) {
		free(digest);
		digest = NULL;
		rc = cz_oci_manifest_get(r->oci, r->ref.repo, reference, &raw,
					 err);
		if (rc == CZ_OK)
			digest = cz_xstrdup(raw.digest);
		cz_oci_raw_manifest_release(&raw);
	}
	if (rc < 0)
		cz_error_prefix(err, "resolving %s/%s:%s", r->ref.host,
				r->ref.repo, reference);
	else
		*digest_out = digest;
	return rc;
}
