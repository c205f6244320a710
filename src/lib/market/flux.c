#include "market/flux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "artifact/extract.h"
#include "artifact/tarball.h"
#include "market/cache.h"
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

/* ---- the layer cache ------------------------------------------------------ */

/*
 * A layer is cached as <hex>.tar.gz beside <hex>.key, hex naming the
 * source directory.  The key file holds the hash of the identity of every
 * file the tree has (market/cache.h), symbolic links included since a
 * check may read through them, then "ENTRIES DIGEST TAG": the layer's
 * entry count and digest, and the check_tag of the check it passed ("-"
 * for none).  It is removed before the layer is replaced and written
 * after, so a key never vouches for another layer, and the manifest
 * names the digest computed while uploading: a layer damaged on disk is
 * caught and built again.
 */
typedef struct layer_cache {
	char *gz;  /* NULL: no cache for this push */
	char *key_path;
	unsigned char key[CZ_MARKET_CACHE_KEY_LEN];
	bool racy; /* a file changed too recently to be vouched for */
	char tag[128]; /* the check the cached layer passed; "-": none */
} layer_cache;

/* What the walk saw of each file, for the key. */
typedef struct seen_file {
	char *path;
	struct stat st;
} seen_file;

typedef struct walk_ctx {
	cz_flux_pushed *out;
	seen_file *files;
	size_t n, cap;
} walk_ctx;

static void note_file(void *ctx, const char *archive_path,
		      const struct stat *st)
{
	walk_ctx *w = ctx;

	CZ_GROW(w->files, w->n + 1, w->cap);
	w->files[w->n].path = cz_xstrdup(archive_path);
	w->files[w->n++].st = *st;
}

static void note_skipped_walk(void *ctx, const char *archive_path)
{
	walk_ctx *w = ctx;

	note_skipped(w->out, archive_path);
}

static void walk_release(walk_ctx *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->files[i].path);
	free(w->files);
}

static int cmp_seen(const void *a, const void *b)
{
	return strcmp(((const seen_file *)a)->path,
		      ((const seen_file *)b)->path);
}

/* The key of the tree from what the walk saw of it, in path order. */
static void layer_key(const cz_tarball *tb, walk_ctx *w, layer_cache *lc)
{
	cz_market_cache_hasher *h = cz_market_cache_hasher_new(NULL);
	time_t now = time(NULL);

	qsort(w->files, w->n, sizeof(*w->files), cmp_seen);
	cz_market_cache_hasher_add(h, &tb->compression_level,
				   sizeof(tb->compression_level));
	cz_market_cache_hasher_add(h, &tb->block_deflate,
				   sizeof(tb->block_deflate));
	for (size_t i = 0; i < w->n; i++)
		cz_market_cache_hasher_add_file(h, w->files[i].path,
						&w->files[i].st, now,
						&lc->racy);
	cz_market_cache_hasher_finish(h, lc->key);
}

static void layer_cache_open(const char *cache_dir, const char *dir,
			     const cz_tarball *tb, walk_ctx *w,
			     layer_cache *lc)
{
	char *real = realpath(dir, NULL);
	cz_error err = CZ_ERROR_INIT;

	if (real && cz_mkdirs(cache_dir, 0700, &err) == CZ_OK) {
		layer_key(tb, w, lc);
		lc->gz = cz_market_cache_path(cache_dir, real, ".tar.gz");
		lc->key_path = cz_market_cache_path(cache_dir, real, ".key");
	}
	free(real);
}

static void layer_cache_close(layer_cache *lc)
{
	free(lc->gz);
	free(lc->key_path);
}

/* Whether the cached layer is the one tb would build; its entry count,
 * digest and check tag then fill out and lc->tag. */
static bool layer_cache_hit(layer_cache *lc, cz_flux_pushed *out)
{
	cz_error err = CZ_ERROR_INIT;
	char *data = NULL;
	size_t len = 0, entries = 0;
	bool hit = false;

	if (!lc->gz || lc->racy ||
	    cz_file_read(lc->key_path, 512, &data, &len, &err) < 0)
		return false;
	if (len > CZ_MARKET_CACHE_KEY_LEN &&
	    memcmp(data, lc->key, CZ_MARKET_CACHE_KEY_LEN) == 0 &&
	    sscanf(data + CZ_MARKET_CACHE_KEY_LEN, "%zu %71s %127s", &entries,
		   out->layer_digest, lc->tag) == 3 &&
	    access(lc->gz, R_OK) == 0) {
		out->entries = entries;
		out->layer_cached = true;
		hit = true;
	}
	free(data);
	return hit;
}

/* Puts the layer just uploaded from path into the cache, then its key. */
static void layer_cache_keep(const layer_cache *lc, const char *path,
			     const cz_flux_pushed *p, const char *tag)
{
	cz_error err = CZ_ERROR_INIT;
	char *text;

	if (rename(path, lc->gz) != 0)
		return;
	text = cz_xasprintf("%*s%zu %s %s\n", CZ_MARKET_CACHE_KEY_LEN, "",
			    p->entries, p->layer_digest, tag ? tag : "-");
	memcpy(text, lc->key, CZ_MARKET_CACHE_KEY_LEN);
	cz_file_replace(lc->key_path, text,
			CZ_MARKET_CACHE_KEY_LEN + strlen(text +
						      CZ_MARKET_CACHE_KEY_LEN),
			0600, false, &err);
	free(text);
}

/* The check, unless the cached layer already passed the same one. */
static int check_tree(const cz_flux_push_opts *opts, const layer_cache *lc,
		      cz_flux_pushed *out, cz_error *err)
{
	if (!opts->check)
		return CZ_OK;
	if (out->layer_cached && opts->check_tag &&
	    strcmp(lc->tag, opts->check_tag) == 0) {
		out->check_skipped = true;
		return CZ_OK;
	}
	return opts->check(opts->check_ctx, err);
}

/*
 * Packs dir into a layer file, its path in *layer_path: the cached one
 * when its key matches, else a new one.  *keep is set when the new one
 * should go into the cache once uploaded: it is then written beside the
 * cache under this process's own name, so that concurrent pushes never
 * share a file being written, and the old key is removed first.
 */
static int pack_layer(const char *dir, const char *scratch,
		      const cz_flux_push_opts *opts, layer_cache *lc,
		      char **layer_path, bool *keep, cz_flux_pushed *out,
		      cz_error *err)
{
	walk_ctx w = { out, NULL, 0, 0 };
	cz_tar_dir_opts topts = { true, note_skipped_walk, &w,
				  opts->cache_dir ? note_file : NULL };
	cz_tarball tb;
	cz_tar_result res;
	struct stat st;
	int rc;

	*keep = false;
	cz_tarball_init(&tb);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "%s: not a directory", dir);
		goto cleanup;
	}
	/* A 56 MB tree takes most of a second to deflate on one core. */
	tb.block_deflate = true;
	if ((rc = cz_tarball_add_dir_opts(&tb, "", dir, &topts, err)) < 0)
		goto cleanup;
	if (opts->cache_dir)
		layer_cache_open(opts->cache_dir, dir, &tb, &w, lc);
	if (layer_cache_hit(lc, out)) {
		if ((rc = check_tree(opts, lc, out, err)) == CZ_OK)
			*layer_path = cz_xstrdup(lc->gz);
		goto cleanup;
	}
	if ((rc = check_tree(opts, lc, out, err)) < 0)
		goto cleanup;
	*keep = lc->gz && !lc->racy;
	if (*keep) {
		unlink(lc->key_path);
		*layer_path = cz_xasprintf("%s.%ld", lc->gz, (long)getpid());
	} else {
		*layer_path = cz_xasprintf("%s/layer.tar.gz", scratch);
	}
	if ((rc = cz_tarball_write_file(&tb, *layer_path, &res, err)) < 0)
		goto cleanup;
	out->entries = res.entries;
cleanup:
	walk_release(&w);
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
	layer_cache lc = { 0 };
	bool keep = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cz_scratch_dir("cozypkg-flux", false, &scratch, err)) < 0)
		goto cleanup;
	rc = pack_layer(dir, scratch, opts, &lc, &layer_path, &keep, out,
			err);
	if (rc < 0)
		goto cleanup;
	rc = cz_oci_blob_push_buf(c, repo, flux_config, sizeof(flux_config) - 1,
				  NULL, &config, err);
	if (rc < 0)
		goto cleanup;
	rc = cz_oci_blob_push_file(c, repo, layer_path, NULL, &layer, err);
	if (rc < 0)
		goto cleanup;
	/* A cached layer that is not what it was recorded as (damaged on
	 * disk) is left unreferenced and the layer built again. */
	if (out->layer_cached &&
	    strcmp(layer.digest, out->layer_digest) != 0) {
		cz_flux_push_opts fresh = *opts;

		fresh.cache_dir = NULL;
		unlink(lc.key_path);
		cz_flux_pushed_release(out);
		rc = cz_flux_push(c, repo, tag, dir, &fresh, out, err);
		goto cleanup;
	}
	/* What was uploaded, hashed on the way, is what the manifest names. */
	snprintf(out->layer_digest, sizeof(out->layer_digest), "%s",
		 layer.digest);
	out->layer_size = layer.size;
	if (keep)
		layer_cache_keep(&lc, layer_path, out,
				 opts->check ? opts->check_tag : NULL);
	manifest = manifest_text(config.digest, out, opts);
	rc = cz_oci_manifest_put(c, repo, tag, CZ_OCI_MT_MANIFEST, manifest,
				 strlen(manifest), out->manifest_digest, err);
cleanup:
	if (keep && layer_path)
		unlink(layer_path); /* left only when the push failed */
	layer_cache_close(&lc);
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
