/* Helm charts as OCI artifacts (what Helm 3.8+ writes), and pulling an
 * image manifest with its blobs into a directory. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "oci/client.h"
#include "oci/ref.h"
#include "util/fileio.h"
#include "util/mem.h"

#define MAX_CONFIG_JSON (1024u * 1024)

static json_t *descriptor_json(const char *media_type,
			       const cz_oci_pushed *p)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest",
			 p->digest, "size", (json_int_t)p->size);
}

/* Layers sorted by digest, as Helm writes them, so that the same chart
 * always gives the same manifest. */
static int by_digest(const void *a, const void *b)
{
	const json_t *const *x = a, *const *y = b;

	return strcmp(json_string_value(json_object_get(*x, "digest")),
		      json_string_value(json_object_get(*y, "digest")));
}

/* Copies a string field of the chart config to an annotation. */
static void annotate_from(json_t *annotations, const char *key,
			  json_t *config, const char *field)
{
	json_t *v = json_object_get(config, field);

	if (json_is_array(v))
		v = json_array_get(v, 0);
	if (json_is_string(v) && json_string_length(v))
		json_object_set_new(annotations, key,
				    json_string(json_string_value(v)));
}

int cz_oci_push_chart(cz_oci *c, const char *repo, const cz_oci_chart *chart,
		      char digest_out[CZ_OCI_DIGEST_BUF], cz_error *err)
{
	cz_oci_pushed config_blob, chart_blob, prov_blob;
	json_t *config = NULL, *manifest = NULL, *layers = NULL;
	json_t *annotations = NULL, *sorted[2];
	char *config_text = NULL, *manifest_text = NULL, *tag = NULL;
	size_t n_layers = 0;
	int rc = CZ_OK;

	if (!chart || !chart->tgz_path || !chart->name || !chart->version) {
		rc = cz_fail(err, CZ_EINVALID,
			     "push chart: archive, name and version are "
			     "required");
		goto cleanup;
	}
	tag = cz_oci_tag_from_version(chart->version);
	if (!cz_oci_tag_valid(tag)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "push chart: version \"%s\" does not make a valid "
			     "tag",
			     chart->version);
		goto cleanup;
	}
	if (chart->config_json) {
		json_error_t jerr;

		if (strlen(chart->config_json) > MAX_CONFIG_JSON) {
			rc = cz_fail(err, CZ_ETOOLARGE,
				     "push chart: config larger than %u bytes",
				     MAX_CONFIG_JSON);
			goto cleanup;
		}
		config = json_loads(chart->config_json, 0, &jerr);
		if (!json_is_object(config)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "push chart: config is not a JSON object");
			goto cleanup;
		}
		config_text = cz_xstrdup(chart->config_json);
	} else {
		config = json_pack("{s:s, s:s, s:s}", "apiVersion", "v2", "name",
				   chart->name, "version", chart->version);
		config_text = json_dumps(config, JSON_COMPACT);
	}
	if ((rc = cz_oci_blob_push_buf(c, repo, config_text,
				       strlen(config_text), chart->mount_from,
				       &config_blob, err)) < 0 ||
	    (rc = cz_oci_blob_push_file(c, repo, chart->tgz_path,
					chart->mount_from, &chart_blob,
					err)) < 0)
		goto cleanup;
	sorted[n_layers++] = descriptor_json(CZ_OCI_MT_HELM_CHART, &chart_blob);
	if (chart->prov_path) {
		if ((rc = cz_oci_blob_push_file(c, repo, chart->prov_path,
						chart->mount_from, &prov_blob,
						err)) < 0)
			goto cleanup_layers;
		sorted[n_layers++] =
			descriptor_json(CZ_OCI_MT_HELM_PROV, &prov_blob);
	}
	qsort(sorted, n_layers, sizeof(sorted[0]), by_digest);
	layers = json_array();
	for (size_t i = 0; i < n_layers; i++)
		json_array_append(layers, sorted[i]);
	annotations = json_object();
	annotate_from(annotations, "org.opencontainers.image.description",
		      config, "description");
	annotate_from(annotations, "org.opencontainers.image.url", config,
		      "home");
	annotate_from(annotations, "org.opencontainers.image.source", config,
		      "sources");
	json_object_set_new(annotations, "org.opencontainers.image.title",
			    json_string(chart->name));
	json_object_set_new(annotations, "org.opencontainers.image.version",
			    json_string(chart->version));
	manifest = json_pack("{s:i, s:s, s:o, s:O, s:O}", "schemaVersion", 2,
			     "mediaType", CZ_OCI_MT_MANIFEST, "config",
			     descriptor_json(CZ_OCI_MT_HELM_CONFIG,
					     &config_blob),
			     "layers", layers, "annotations", annotations);
	manifest_text = json_dumps(manifest, JSON_COMPACT);
	rc = cz_oci_manifest_put(c, repo, tag, CZ_OCI_MT_MANIFEST,
				 manifest_text, strlen(manifest_text),
				 digest_out, err);
cleanup_layers:
	for (size_t i = 0; i < n_layers; i++)
		json_decref(sorted[i]);
cleanup:
	json_decref(config);
	json_decref(manifest);
	json_decref(layers);
	json_decref(annotations);
	free(config_text);
	free(manifest_text);
	free(tag);
	return rc;
}

/* The blob is in dir already, complete and intact. */
static bool blob_present(const char *path, const cz_oci_descriptor *d)
{
	char digest[CZ_OCI_DIGEST_BUF];
	uint64_t size = 0;
	struct stat st;

	if (stat(path, &st) != 0 || (uint64_t)st.st_size != d->size)
		return false;
	return cz_oci_digest_file(path, digest, &size, NULL) == CZ_OK &&
	       !strcmp(digest, d->digest);
}

static int pull_blob(cz_oci *c, const char *repo, const char *dir,
		     const cz_oci_descriptor *d, cz_error *err)
{
	char *path = NULL;
	int rc = CZ_OK;

	if (!cz_oci_digest_is_sha256(d->digest)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "blob %s: only sha256 digests can be verified",
			     d->digest);
		goto cleanup;
	}
	path = cz_xasprintf("%s/%s", dir, d->digest + 7);
	if (!blob_present(path, d))
		rc = cz_oci_blob_get_file(c, repo, d->digest, (int64_t)d->size,
					  path, err);
cleanup:
	free(path);
	return rc;
}

int cz_oci_pull(cz_oci *c, const char *repo, const char *reference,
		const char *dir, char digest_out[CZ_OCI_DIGEST_BUF],
		cz_error *err)
{
	cz_oci_raw_manifest raw;
	cz_oci_manifest m;
	char *path = NULL;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = cz_oci_manifest_get(c, repo, reference, &raw, err)) < 0)
		return rc;
	if ((rc = cz_oci_manifest_parse(raw.data, raw.len, raw.media_type, &m,
					err)) < 0) {
		cz_error_prefix(err, "%s/%s:%s", cz_oci_host(c), repo,
				reference);
		goto cleanup;
	}
	if (m.is_index) {
		rc = cz_fail(err, CZ_EINVALID,
			     "%s/%s:%s is an image index of %zu manifests: pull "
			     "one of them by digest",
			     cz_oci_host(c), repo, reference, m.n_manifests);
		goto cleanup;
	}
	if ((rc = pull_blob(c, repo, dir, &m.config, err)) < 0)
		goto cleanup;
	for (size_t i = 0; i < m.n_layers; i++)
		if ((rc = pull_blob(c, repo, dir, &m.layers[i], err)) < 0)
			goto cleanup;
	/* The manifest goes last: its presence means the pull completed. */
	path = cz_xasprintf("%s/manifest.json", dir);
	if ((rc = cz_file_write_atomic(path, raw.data, raw.len, 0644, err)) < 0)
		goto cleanup;
	if (digest_out)
		memcpy(digest_out, raw.digest, CZ_OCI_DIGEST_BUF);
cleanup:
	free(path);
	cz_oci_manifest_release(&m);
	cz_oci_raw_manifest_release(&raw);
	return rc;
}
