/* Content-addressed artifact store (see store.h). */

#include "artifact/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/digest.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/strmap.h"

#define INDEX_MAX (4 * 1024 * 1024)
#define HEX_LEN 64

struct cz_artifact_store {
	char *root;      /* DIR/artifacts */
	char *blobs;     /* DIR/artifacts/sha256 */
	char *index;     /* DIR/artifacts/index */
	char *tmp;       /* DIR/artifacts/tmp */
	bool durable;    /* flush blobs, indexes and directories */
};

static int make_dir(const char *path, cz_error *err)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return cz_fail(err, CZ_EIO, "mkdir %s: %s", path, strerror(errno));
	return CZ_OK;
}

void cz_artifact_store_close(cz_artifact_store *s)
{
	if (!s)
		return;
	free(s->root);
	free(s->blobs);
	free(s->index);
	free(s->tmp);
	free(s);
}

static int store_open(const char *data_dir, bool durable,
		      cz_artifact_store **out, cz_error *err)
{
	cz_artifact_store *s = cz_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->durable = durable;
	s->root = cz_xasprintf("%s/artifacts", data_dir);
	s->blobs = cz_xasprintf("%s/sha256", s->root);
	s->index = cz_xasprintf("%s/index", s->root);
	s->tmp = cz_xasprintf("%s/tmp", s->root);
	if ((rc = make_dir(data_dir, err)) < 0 ||
	    (rc = make_dir(s->root, err)) < 0 ||
	    (rc = make_dir(s->blobs, err)) < 0 ||
	    (rc = make_dir(s->index, err)) < 0 ||
	    (rc = make_dir(s->tmp, err)) < 0)
		goto cleanup;
	*out = s;
	s = NULL;
cleanup:
	cz_artifact_store_close(s);
	return rc;
}

int cz_artifact_store_open(const char *data_dir, cz_artifact_store **out,
			   cz_error *err)
{
	return store_open(data_dir, true, out, err);
}

int cz_artifact_store_open_scratch(const char *data_dir,
				   cz_artifact_store **out, cz_error *err)
{
	return store_open(data_dir, false, out, err);
}

static char *blob_path(const cz_artifact_store *s, const char *digest)
{
	return cz_xasprintf("%s/%s.tar.gz", s->blobs, digest + 7);
}

int cz_artifact_store_put(cz_artifact_store *s, const cz_tarball *t,
			  cz_tar_result *out, cz_error *err)
{
	char *prefix = cz_xasprintf("%s/blob", s->tmp);
	char *final_path = NULL;
	struct stat st;
	cz_tmpfile tmp;
	int rc = cz_tmpfile_open(&tmp, prefix, err);

	if (rc < 0 || (rc = cz_tarball_write_fd(t, tmp.fd, out, err)) < 0)
		goto cleanup;
	final_path = blob_path(s, out->digest);
	/* The same content stored before: the temporary copy goes. */
	if (stat(final_path, &st) == 0 && (uint64_t)st.st_size == out->size)
		goto cleanup;
	rc = cz_tmpfile_commit(&tmp, final_path, 0644, s->durable, err);
cleanup:
	cz_tmpfile_discard(&tmp);
	free(prefix);
	free(final_path);
	return rc;
}

int cz_artifact_store_put_file(cz_artifact_store *s, const char *path,
			       cz_tar_result *out, cz_error *err)
{
	char digest[CZ_OCI_DIGEST_BUF];
	char *final_path = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cz_oci_digest_file(path, digest, &out->size, err)) < 0)
		return rc;
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	if (chmod(path, 0644) != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	final_path = blob_path(s, out->digest);
	if (rename(path, final_path) != 0) {
		rc = cz_fail(err, CZ_EIO, "rename to %s: %s", final_path,
			     strerror(errno));
		goto cleanup;
	}
	rc = s->durable ? cz_dir_sync(s->blobs, err) : CZ_OK;
cleanup:
	free(final_path);
	return rc;
}

const char *cz_artifact_store_tmp_dir(const cz_artifact_store *s)
{
	return s->tmp;
}

int cz_artifact_store_lookup(const cz_artifact_store *s, const char *digest,
			     char **path_out, uint64_t *size_out,
			     cz_error *err)
{
	char *path = NULL;
	struct stat st;
	int rc;

	*path_out = NULL;
	if (!cz_oci_digest_is_sha256(digest))
		return cz_fail(err, CZ_EINVALID,
			       "digest \"%s\": expected sha256:<64 hex digits>",
			       digest);
	path = blob_path(s, digest);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "artifact %s: not in the store",
			     digest);
		goto cleanup;
	}
	if (size_out)
		*size_out = (uint64_t)st.st_size;
	*path_out = path;
	path = NULL;
	rc = CZ_OK;
cleanup:
	free(path);
	return rc;
}

static bool artifact_name_valid(const char *name)
{
	if (!*name || *name == '.' || strlen(name) > 253)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

/* Loads the index file at path: a new reference to its "revisions" array
 * (empty when the file is missing). */
static int load_index(const char *path, json_t **revisions_out, cz_error *err)
{
	char *text = NULL;
	size_t len = 0;
	json_t *doc = NULL;
	json_t *revisions;
	json_error_t jerr;
	cz_error read_err = CZ_ERROR_INIT;
	int rc;

	*revisions_out = NULL;
	rc = cz_file_read(path, INDEX_MAX, &text, &len, &read_err);
	if (rc == CZ_ENOTFOUND) {
		*revisions_out = json_array();
		rc = CZ_OK;
		goto cleanup;
	}
	if (rc < 0) {
		cz_fail(err, rc, "%s", read_err.msg);
		goto cleanup;
	}
	doc = json_loadb(text, len, 0, &jerr);
	revisions = json_object_get(doc, "revisions");
	if (!json_is_array(revisions)) {
		rc = cz_fail(err, CZ_EINVALID, "%s: not an artifact index", path);
		goto cleanup;
	}
	*revisions_out = json_incref(revisions);
cleanup:
	json_decref(doc);
	free(text);
	return rc;
}

static int save_index(const cz_artifact_store *s, const char *path,
		      const char *name, json_t *revisions, cz_error *err)
{
	json_t *doc = json_pack("{s:s, s:O}", "name", name, "revisions",
				revisions);
	char *text = json_dumps(doc, JSON_INDENT(1));
	int rc;

	if (!text)
		abort();
	rc = cz_file_replace(path, text, strlen(text), 0644, s->durable, err);
	free(text);
	json_decref(doc);
	return rc;
}

int cz_artifact_store_record(cz_artifact_store *s, const char *name,
			     const char *digest, uint64_t size, cz_error *err)
{
	char *path = NULL;
	json_t *revisions = NULL;
	json_t *first;
	json_t *kept = NULL;
	int rc;

	if (!artifact_name_valid(name))
		return cz_fail(err, CZ_EINVALID, "artifact name \"%s\" is not "
			       "valid", name);
	if (!cz_oci_digest_is_sha256(digest))
		return cz_fail(err, CZ_EINVALID, "digest \"%s\" is not valid",
			       digest);
	path = cz_xasprintf("%s/%s.json", s->index, name);
	if ((rc = load_index(path, &revisions, err)) < 0)
		goto cleanup;
	first = json_array_get(revisions, 0);
	if (first && json_is_string(json_object_get(first, "digest")) &&
	    strcmp(json_string_value(json_object_get(first, "digest")),
		   digest) == 0)
		goto cleanup; /* already the newest */
	kept = json_array();
	json_array_append_new(kept,
			      json_pack("{s:s, s:I, s:I}", "digest", digest,
					"size", (json_int_t)size, "created",
					(json_int_t)time(NULL)));
	for (size_t i = 0; i < json_array_size(revisions); i++) {
		json_t *rev = json_array_get(revisions, i);
		const char *d = json_string_value(json_object_get(rev, "digest"));

		if (d && strcmp(d, digest) != 0)
			json_array_append(kept, rev);
	}
	rc = save_index(s, path, name, kept, err);
cleanup:
	json_decref(kept);
	json_decref(revisions);
	free(path);
	return rc;
}

int cz_artifact_store_revisions(const cz_artifact_store *s, const char *name,
				cz_artifact_revision **out, size_t *n,
				cz_error *err)
{
	char *path = NULL;
	json_t *revisions = NULL;
	cz_artifact_revision *list = NULL;
	size_t count = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!artifact_name_valid(name))
		return cz_fail(err, CZ_EINVALID, "artifact name \"%s\" is not "
			       "valid", name);
	path = cz_xasprintf("%s/%s.json", s->index, name);
	if ((rc = load_index(path, &revisions, err)) < 0)
		goto cleanup;
	if (json_array_size(revisions))
		list = cz_xcalloc(json_array_size(revisions), sizeof(*list));
	for (size_t i = 0; i < json_array_size(revisions); i++) {
		json_t *rev = json_array_get(revisions, i);
		const char *d = json_string_value(json_object_get(rev, "digest"));

		if (!d || !cz_oci_digest_is_sha256(d))
			continue;
		snprintf(list[count].digest, sizeof(list[count].digest), "%s", d);
		list[count].size =
			(uint64_t)json_integer_value(json_object_get(rev, "size"));
		list[count].created =
			json_integer_value(json_object_get(rev, "created"));
		count++;
	}
	*out = list;
	*n = count;
	list = NULL;
cleanup:
	free(list);
	json_decref(revisions);
	free(path);
	return rc;
}

/* Trims every index to keep revisions and adds the digests they still
 * reference to live (keys owned by the map, as their own values). */
static int trim_indexes(cz_artifact_store *s, size_t keep, cz_strmap *live,
			cz_artifact_gc_stats *stats, cz_error *err)
{
	DIR *d = opendir(s->index);
	struct dirent *de;
	char *path = NULL;
	char *name = NULL;
	json_t *revisions = NULL;
	int rc = CZ_OK;

	if (!d)
		return cz_fail(err, CZ_EIO, "%s: %s", s->index, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		size_t total;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		free(path);
		free(name);
		json_decref(revisions);
		revisions = NULL;
		path = cz_xasprintf("%s/%s", s->index, de->d_name);
		name = cz_xstrndup(de->d_name, len - 5);
		if ((rc = load_index(path, &revisions, err)) < 0)
			goto cleanup;
		total = json_array_size(revisions);
		if (total > keep) {
			while (json_array_size(revisions) > keep)
				json_array_remove(revisions,
						  json_array_size(revisions) - 1);
			if ((rc = save_index(s, path, name, revisions,
					       err)) < 0)
				goto cleanup;
			stats->revisions_dropped += total - keep;
		}
		for (size_t i = 0; i < json_array_size(revisions); i++) {
			const char *digest = json_string_value(json_object_get(
				json_array_get(revisions, i), "digest"));

			if (digest && !cz_strmap_has(live, digest)) {
				char *key = cz_xstrdup(digest);

				cz_strmap_put(live, key, key);
			}
		}
	}
cleanup:
	json_decref(revisions);
	free(path);
	free(name);
	closedir(d);
	return rc;
}

/* Deletes the files of dir that are older than min_age and, when live is
 * not NULL, whose "sha256:<name without .tar.gz>" is not in live. */
static int sweep(const char *dir, const cz_strmap *live, unsigned min_age,
		 cz_artifact_gc_stats *stats, cz_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);
	char *path = NULL;
	char digest[CZ_DIGEST_MAX];
	int rc = CZ_OK;

	if (!d)
		return cz_fail(err, CZ_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		free(path);
		path = cz_xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (live) {
			snprintf(digest, sizeof(digest), "sha256:%.*s", HEX_LEN,
				 de->d_name);
			if (cz_strmap_has(live, digest)) {
				stats->blobs_kept++;
				continue;
			}
		}
		if (now - st.st_mtime < (time_t)min_age) {
			stats->blobs_kept += live != NULL;
			continue;
		}
		if (unlink(path) != 0) {
			rc = cz_fail(err, CZ_EIO, "unlink %s: %s", path,
				     strerror(errno));
			goto cleanup;
		}
		if (live) {
			stats->blobs_deleted++;
			stats->bytes_freed += (uint64_t)st.st_size;
		}
	}
cleanup:
	free(path);
	closedir(d);
	return rc;
}

int cz_artifact_store_gc(cz_artifact_store *s, size_t keep,
			 unsigned min_age_seconds, cz_artifact_gc_stats *stats,
			 cz_error *err)
{
	cz_artifact_gc_stats local;
	cz_strmap live = CZ_STRMAP_INIT;
	int rc;

	memset(&local, 0, sizeof(local));
	if (keep < 1)
		return cz_fail(err, CZ_EINVALID, "gc must keep at least one "
			       "revision");
	if ((rc = trim_indexes(s, keep, &live, &local, err)) < 0)
		goto cleanup;
	if ((rc = sweep(s->blobs, &live, min_age_seconds, &local, err)) < 0)
		goto cleanup;
	if ((rc = sweep(s->tmp, NULL, min_age_seconds, &local, err)) < 0)
		goto cleanup;
	rc = s->durable ? cz_dir_sync(s->blobs, err) : CZ_OK;
cleanup:
	cz_strmap_release_owned(&live);
	if (stats)
		*stats = local;
	return rc;
}
