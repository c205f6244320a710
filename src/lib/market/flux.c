#include "market/flux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "artifact/extract.h"
#include "artifact/tarball.h"
#include "oci/parse.h"
#include "util/fileio.h"
#include "util/mem.h"

/* What `flux push artifact` writes as the config blob. */
static const char flux_config[] = "{}";

void cz_flux_pushed_release(cz_flux_pushed *p)
{
	for (size_t i = 0; i < p->nskipped; i++)
		free(p->skipped[i]);
	free(p->skipped);
	memset(p, 0, sizeof(*p));
}

static void note_skipped(void *ctx, const char *archive_path)
{
	cz_flux_pushed *p = ctx;

	p->skipped = cz_xrealloc(p->skipped,
				 (p->nskipped + 1) * sizeof(*p->skipped));
	p->skipped[p->nskipped++] = cz_xstrdup(archive_path);
}

/* Packs dir into scratch/layer.tar.gz; digest and size into *out. */
static int pack_layer(const char *dir, const char *layer_path,
		      cz_flux_pushed *out, cz_error *err)
{
	cz_tar_dir_opts topts = { true, note_skipped, out };
	cz_tarball tb;
	cz_tar_result res;
	struct stat st;
	int rc;

	cz_tarball_init(&tb);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "%s: not a directory", dir);
		goto cleanup;
	}
	if ((rc = cz_tarball_add_dir_opts(&tb, "", dir, &topts, err)) < 0)
		goto cleanup;
	if ((rc = cz_tarball_write_file(&tb, layer_path, &res, err)) < 0)
		goto cleanup;
	snprintf(out->layer_digest, sizeof(out->layer_digest), "%s",
		 res.digest);
	out->layer_size = res.size;
	out->entries = res.entries;
cleanup:
	cz_tarball_release(&tb);
	return rc;
}

static json_t *descriptor(const char *media_type, const char *digest,
			  uint64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest",
			 digest, "size", (json_int_t)size);
}

/* The manifest text, keys in a fixed order so that the same inputs give
 * the same bytes; malloc'ed. */
static char *manifest_text(const char *config_digest, const cz_flux_pushed *p,
			   const cz_flux_push_opts *opts)
{
	char created[32];
	struct tm tm;
	json_t *ann = json_object();
	json_t *mf;
	char *text;

	gmtime_r(&opts->created, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(ann, CZ_OCI_ANN_CREATED, json_string(created));
	if (opts->revision)
		json_object_set_new(ann, CZ_OCI_ANN_REVISION,
				    json_string(opts->revision));
	if (opts->source)
		json_object_set_new(ann, CZ_OCI_ANN_SOURCE,
				    json_string(opts->source));
	mf = json_pack("{s:i, s:s, s:o, s:[o], s:o}", "schemaVersion", 2,
		       "mediaType", CZ_OCI_MT_MANIFEST, "config",
		       descriptor(CZ_FLUX_MT_CONFIG, config_digest,
				  sizeof(flux_config) - 1),
		       "layers",
		       descriptor(CZ_FLUX_MT_CONTENT, p->layer_digest,
				  p->layer_size),
		       "annotations", ann);
	text = json_dumps(mf, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(mf);
	return text;
}

int cz_flux_push(cz_oci *c, const char *repo, const char *tag,
		 const char *dir, const cz_flux_push_opts *opts,
		 cz_flux_pushed *out, cz_error *err)
{
	char *scratch = NULL;
	char *layer_path = NULL;
	char *manifest = NULL;
	cz_oci_pushed config, layer;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cz_scratch_dir("cozypkg-flux", false, &scratch, err)) < 0)
		goto cleanup;
	layer_path = cz_xasprintf("%s/layer.tar.gz", scratch);
	if ((rc = pack_layer(dir, layer_path, out, err)) < 0)
		goto cleanup;
	rc = cz_oci_blob_push_buf(c, repo, flux_config, sizeof(flux_config) - 1,
				  NULL, &config, err);
	if (rc < 0)
		goto cleanup;
	rc = cz_oci_blob_push_file(c, repo, layer_path, NULL, &layer, err);
	if (rc < 0)
		goto cleanup;
	manifest = manifest_text(config.digest, out, opts);
	rc = cz_oci_manifest_put(c, repo, tag, CZ_OCI_MT_MANIFEST, manifest,
				 strlen(manifest), out->manifest_digest, err);
cleanup:
	free(manifest);
	free(layer_path);
	if (scratch)
		cz_remove_tree(scratch);
	free(scratch);
	return rc;
}

/* The content layer of a pulled manifest: the Flux media type, else the
 * single tar+gzip layer of another kind of artifact. */
static const cz_oci_descriptor *content_layer(const cz_oci_manifest *mf)
{
	const cz_oci_descriptor *found = NULL;
	size_t tgz = 0;

	for (size_t i = 0; i < mf->n_layers; i++) {
		const char *mt = mf->layers[i].media_type;
		size_t n = strlen(mt);

		if (strcmp(mt, CZ_FLUX_MT_CONTENT) == 0)
			return &mf->layers[i];
		if (n >= 7 && strcmp(mt + n - 7, "tar+gzip") == 0) {
			found = &mf->layers[i];
			tgz++;
		}
	}
	return tgz == 1 ? found : NULL;
}

static int pull_layer(cz_oci *c, const char *repo, const cz_oci_manifest *mf,
		      const char *reference, const char *dest_dir,
		      const char *scratch, cz_error *err)
{
	const cz_oci_descriptor *layer = content_layer(mf);
	char *blob = NULL;
	int rc;

	if (mf->is_index)
		return cz_fail(err, CZ_EINVALID, "%s@%s is an image index, not "
			       "a Flux artifact", repo, reference);
	if (!layer)
		return cz_fail(err, CZ_EINVALID, "%s@%s has no %s layer: not a "
			       "Flux artifact", repo, reference,
			       CZ_FLUX_MT_CONTENT);
	blob = cz_xasprintf("%s/layer", scratch);
	rc = cz_oci_blob_get_file(c, repo, layer->digest, (int64_t)layer->size,
				  blob, err);
	if (rc == CZ_OK)
		rc = cz_extract_file(blob, dest_dir, NULL, NULL, err);
	if (rc < 0)
		cz_error_prefix(err, "%s layer %s", repo, layer->digest);
	free(blob);
	return rc;
}

int cz_flux_pull(cz_oci *c, const char *repo, const char *reference,
		 const char *dest_dir, char digest_out[CZ_OCI_DIGEST_BUF],
		 cz_error *err)
{
	cz_oci_raw_manifest raw = { 0 };
	cz_oci_manifest mf;
	bool parsed = false;
	char *scratch = NULL;
	int rc;

	memset(&mf, 0, sizeof(mf));
	if ((rc = cz_oci_manifest_get(c, repo, reference, &raw, err)) < 0)
		goto cleanup;
	rc = cz_oci_manifest_parse(raw.data, raw.len, raw.media_type, &mf, err);
	if (rc < 0)
		goto cleanup;
	parsed = true;
	if ((rc = cz_scratch_dir("cozypkg-flux", false, &scratch, err)) < 0)
		goto cleanup;
	rc = pull_layer(c, repo, &mf, reference, dest_dir, scratch, err);
	if (rc == CZ_OK && digest_out)
		snprintf(digest_out, CZ_OCI_DIGEST_BUF, "%s", raw.digest);
cleanup:
	if (parsed)
		cz_oci_manifest_release(&mf);
	cz_oci_raw_manifest_release(&raw);
	if (scratch)
		cz_remove_tree(scratch);
	free(scratch);
	return rc;
}
