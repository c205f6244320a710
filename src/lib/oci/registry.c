/* The distribution API over the transport of client.c: manifests, blobs
 * (pull to file, push monolithic, chunked or by mount), tag lists, Helm
 * charts and whole-artifact pulls. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/client.h"
#include "oci/internal.h"
#include "oci/ref.h"
#include "util/fileio.h"
#include "util/mem.h"

/* One page of a tag list. */
#define MAX_TAGS_PAGE (4u * 1024 * 1024)
#define OCTET_STREAM "application/octet-stream"

/* ---- small helpers --------------------------------------------------- */

static char *scope_pull(const char *repo)
{
	return cz_xasprintf("repository:%s:pull", repo);
}

static char *scope_push(const char *repo)
{
	return cz_xasprintf("repository:%s:pull,push", repo);
}

/* Caller-supplied names go into URL paths: refuse what could change the
 * path's meaning. */
static int check_repo(const char *repo, cz_error *err)
{
	if (!cz_oci_repo_valid(repo))
		return cz_fail(err, CZ_EINVALID, "bad repository name \"%s\"",
			       repo ? repo : "");
	return CZ_OK;
}

static int check_reference(const char *reference, cz_error *err)
{
	if (!cz_oci_tag_valid(reference) && !cz_oci_digest_valid(reference))
		return cz_fail(err, CZ_EINVALID,
			       "bad tag or digest \"%s\"",
			       reference ? reference : "");
	return CZ_OK;
}

static int check_sha256(const char *digest, cz_error *err)
{
	if (!cz_oci_digest_is_sha256(digest))
		return cz_fail(err, CZ_EINVALID,
			       "digest \"%.100s\" is not a sha256 digest, the "
			       "only kind that can be verified",
			       digest ? digest : "");
	return CZ_OK;
}

/* url with "key=value" appended to its query. */
static char *with_query(const char *url, const char *key, const char *value)
{
	char *esc = oci_escape(value);
	char *out = cz_xasprintf("%s%c%s=%s", url, strchr(url, '?') ? '&' : '?',
				 key, esc);

	free(esc);
	return out;
}

/* Maps a non-2xx answer, or returns CZ_OK for a 2xx one. */
static int expect_2xx(cz_oci *c, const oci_req *rq, const oci_resp *resp,
		      cz_error *err)
{
	if (resp->status >= 200 && resp->status < 300)
		return CZ_OK;
	return oci_status_error(c, rq, resp, err);
}

/* ---- ping ------------------------------------------------------------ */

int cz_oci_ping(cz_oci *c, cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	int rc;

	oci_resp_init(&resp);
	rq.method = "GET";
	rq.url = "/v2/";
	rq.what = "ping";
	if ((rc = oci_exchange(c, &rq, &resp, err)) == CZ_OK)
		rc = expect_2xx(c, &rq, &resp, err);
	oci_resp_release(&resp);
	return rc;
}

/* ---- manifests ------------------------------------------------------- */

void cz_oci_raw_manifest_release(cz_oci_raw_manifest *m)
{
	if (!m)
		return;
	free(m->data);
	free(m->media_type);
	memset(m, 0, sizeof(*m));
}

int cz_oci_manifest_head(cz_oci *c, const char *repo, const char *reference,
			 char **digest_out, char **media_type_out,
			 uint64_t *size_out, cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	char *path = NULL, *scope = NULL, *what = NULL, *len = NULL;
	char *digest = NULL;
	int rc;

	oci_resp_init(&resp);
	if (digest_out)
		*digest_out = NULL;
	if (media_type_out)
		*media_type_out = NULL;
	if (size_out)
		*size_out = 0;
	if ((rc = check_repo(repo, err)) < 0 ||
	    (rc = check_reference(reference, err)) < 0)
		goto cleanup;
	path = cz_xasprintf("/v2/%s/manifests/%s", repo, reference);
	scope = scope_pull(repo);
	what = cz_xasprintf("manifest %s:%s", repo, reference);
	rq.method = "HEAD";
	rq.url = path;
	rq.what = what;
	rq.scope = scope;
	rq.accept = CZ_OCI_MANIFEST_ACCEPT;
	if ((rc = oci_exchange(c, &rq, &resp, err)) < 0 ||
	    (rc = expect_2xx(c, &rq, &resp, err)) < 0)
		goto cleanup;
	digest = oci_resp_header(&resp, "Docker-Content-Digest", 0);
	if (digest && !cz_oci_digest_valid(digest)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "%s: %s: malformed Docker-Content-Digest",
			     cz_oci_host(c), what);
		goto cleanup;
	}
	if (size_out && (len = oci_resp_header(&resp, "Content-Length", 0)))
		*size_out = strtoull(len, NULL, 10);
	if (media_type_out)
		*media_type_out = oci_resp_header(&resp, "Content-Type", 0);
	if (digest_out) {
		*digest_out = digest;
		digest = NULL;
	}
cleanup:
	free(path);
	free(scope);
	free(what);
	free(len);
	free(digest);
	oci_resp_release(&resp);
	return rc;
}

int cz_oci_manifest_get(cz_oci *c, const char *repo, const char *reference,
			cz_oci_raw_manifest *out, cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	cz_buf body;
	char *path = NULL, *scope = NULL, *what = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	oci_resp_init(&resp);
	cz_buf_init(&body, oci_opts(c)->max_manifest);
	if ((rc = check_repo(repo, err)) < 0 ||
	    (rc = check_reference(reference, err)) < 0)
		goto cleanup;
	if (cz_oci_digest_valid(reference) &&
	    (rc = check_sha256(reference, err)) < 0)
		goto cleanup;
	path = cz_xasprintf("/v2/%s/manifests/%s", repo, reference);
	scope = scope_pull(repo);
	what = cz_xasprintf("manifest %s:%s", repo, reference);
	rq.method = "GET";
	rq.url = path;
	rq.what = what;
	rq.scope = scope;
	rq.accept = CZ_OCI_MANIFEST_ACCEPT;
	rq.out_buf = &body;
	if (cz_oci_digest_valid(reference))
		rq.expect_digest = reference;
	rq.check_served_digest = true;
	if ((rc = oci_exchange(c, &rq, &resp, err)) < 0 ||
	    (rc = expect_2xx(c, &rq, &resp, err)) < 0)
		goto cleanup;
	out->media_type = oci_resp_header(&resp, "Content-Type", 0);
	memcpy(out->digest, resp.digest, sizeof(out->digest));
	out->data = cz_buf_detach(&body, &out->len);
cleanup:
	free(path);
	free(scope);
	free(what);
	cz_buf_release(&body);
	oci_resp_release(&resp);
	return rc;
}

int cz_oci_manifest_put(cz_oci *c, const char *repo, const char *reference,
			const char *media_type, const void *data, size_t len,
			char digest_out[CZ_OCI_DIGEST_BUF], cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	char digest[CZ_OCI_DIGEST_BUF];
	char *path = NULL, *scope = NULL, *what = NULL, *stored = NULL;
	int rc;

	oci_resp_init(&resp);
	if ((rc = check_repo(repo, err)) < 0 ||
	    (rc = check_reference(reference, err)) < 0 ||
	    (rc = cz_oci_digest_bytes(data, len, digest, err)) < 0)
		goto cleanup;
	if (cz_oci_digest_valid(reference) && strcmp(reference, digest)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "manifest put by digest %s: the bytes have digest "
			     "%s",
			     reference, digest);
		goto cleanup;
	}
	if (len > oci_opts(c)->max_manifest) {
		rc = cz_fail(err, CZ_ETOOLARGE,
			     "manifest larger than %zu bytes",
			     oci_opts(c)->max_manifest);
		goto cleanup;
	}
	path = cz_xasprintf("/v2/%s/manifests/%s", repo, reference);
	scope = scope_push(repo);
	what = cz_xasprintf("put manifest %s:%s", repo, reference);
	rq.method = "PUT";
	rq.url = path;
	rq.what = what;
	rq.scope = scope;
	rq.content_type = media_type;
	rq.has_body = true;
	rq.body_mem = data;
	rq.body_len = len;
	if ((rc = oci_exchange(c, &rq, &resp, err)) < 0 ||
	    (rc = expect_2xx(c, &rq, &resp, err)) < 0)
		goto cleanup;
	stored = oci_resp_header(&resp, "Docker-Content-Digest", 0);
	if (stored && cz_oci_digest_is_sha256(stored) && strcmp(stored, digest)) {
		rc = cz_fail(err, CZ_ERR,
			     "%s: %s: the registry stored digest %s, not %s",
			     cz_oci_host(c), what, stored, digest);
		goto cleanup;
	}
	if (digest_out)
		memcpy(digest_out, digest, CZ_OCI_DIGEST_BUF);
cleanup:
	free(path);
	free(scope);
	free(what);
	free(stored);
	oci_resp_release(&resp);
	return rc;
}

/* ---- blobs: pull ----------------------------------------------------- */

int cz_oci_blob_exists(cz_oci *c, const char *repo, const char *digest,
		       bool *exists, uint64_t *size_out, cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	char *path = NULL, *scope = NULL, *what = NULL, *len = NULL;
	int rc;

	*exists = false;
	oci_resp_init(&resp);
	if ((rc = check_repo(repo, err)) < 0)
		goto cleanup;
	if (!cz_oci_digest_valid(digest)) {
		rc = cz_fail(err, CZ_EINVALID, "bad digest \"%s\"",
			     digest ? digest : "");
		goto cleanup;
	}
	path = cz_xasprintf("/v2/%s/blobs/%s", repo, digest);
	scope = scope_pull(repo);
	what = cz_xasprintf("blob %s@%s", repo, digest);
	rq.method = "HEAD";
	rq.url = path;
	rq.what = what;
	rq.scope = scope;
	if ((rc = oci_exchange(c, &rq, &resp, err)) < 0)
		goto cleanup;
	if (resp.status == 404)
		goto cleanup;
	if ((rc = expect_2xx(c, &rq, &resp, err)) < 0)
		goto cleanup;
	*exists = true;
	if (size_out && (len = oci_resp_header(&resp, "Content-Length", 0)))
		*size_out = strtoull(len, NULL, 10);
cleanup:
	free(path);
	free(scope);
	free(what);
	free(len);
	oci_resp_release(&resp);
	return rc;
}

/* Fills rq for GET of a blob; path, scope and what are the caller's. */
static void blob_get_req(oci_req *rq, const char *path, const char *scope,
			 const char *what, const char *digest)
{
	rq->method = "GET";
	rq->url = path;
	rq->what = what;
	rq->scope = scope;
	rq->blob = true;
	rq->expect_digest = digest;
}

int cz_oci_blob_get_file(cz_oci *c, const char *repo, const char *digest,
			 int64_t size, const char *path, cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	char *url = NULL, *scope = NULL, *what = NULL, *prefix = NULL;
	cz_tmpfile tmp = { -1, NULL };
	const char *slash;
	int rc;

	oci_resp_init(&resp);
	if ((rc = check_repo(repo, err)) < 0 ||
	    (rc = check_sha256(digest, err)) < 0)
		goto cleanup;
	if (size >= 0 && (uint64_t)size > oci_opts(c)->max_blob) {
		rc = cz_fail(err, CZ_ETOOLARGE,
			     "blob %s is %lld bytes, over the limit of %llu",
			     digest, (long long)size,
			     (unsigned long long)oci_opts(c)->max_blob);
		goto cleanup;
	}
	/* Beside the target, so that the rename is atomic; a dot name keeps
	 * it out of globs. */
	slash = strrchr(path, '/');
	prefix = slash ? cz_xasprintf("%.*s/.%s", (int)(slash - path), path,
				      slash + 1)
		       : cz_xasprintf(".%s", path);
	if ((rc = cz_tmpfile_open(&tmp, prefix, err)) < 0)
		goto cleanup;
	url = cz_xasprintf("/v2/%s/blobs/%s", repo, digest);
	scope = scope_pull(repo);
	what = cz_xasprintf("blob %s@%s", repo, digest);
	blob_get_req(&rq, url, scope, what, digest);
	rq.out_fd = tmp.fd;
	rq.max_body = oci_opts(c)->max_blob;
	rq.expect_size = size;
	if ((rc = oci_exchange(c, &rq, &resp, err)) < 0 ||
	    (rc = expect_2xx(c, &rq, &resp, err)) < 0)
		goto cleanup;
	/* Whatever arrived was not the blob unless the exchange verified
	 * it: only then is it renamed into place.  Not synced: callers that
	 * keep blobs put them in the artifact store, which syncs. */
	rc = cz_tmpfile_commit(&tmp, path, 0644, false, err);
cleanup:
	cz_tmpfile_discard(&tmp);
	free(prefix);
	free(url);
	free(scope);
	free(what);
	oci_resp_release(&resp);
	return rc;
}

int cz_oci_blob_get_buf(cz_oci *c, const char *repo, const char *digest,
			size_t max, char **data_out, size_t *len_out,
			cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	cz_buf body;
	char *url = NULL, *scope = NULL, *what = NULL;
	int rc;

	*data_out = NULL;
	*len_out = 0;
	oci_resp_init(&resp);
	cz_buf_init(&body, max);
	if ((rc = check_repo(repo, err)) < 0 ||
	    (rc = check_sha256(digest, err)) < 0)
		goto cleanup;
	url = cz_xasprintf("/v2/%s/blobs/%s", repo, digest);
	scope = scope_pull(repo);
	what = cz_xasprintf("blob %s@%s", repo, digest);
	blob_get_req(&rq, url, scope, what, digest);
	rq.out_buf = &body;
	if ((rc = oci_exchange(c, &rq, &resp, err)) < 0 ||
	    (rc = expect_2xx(c, &rq, &resp, err)) < 0)
		goto cleanup;
	*data_out = cz_buf_detach(&body, len_out);
cleanup:
	free(url);
	free(scope);
	free(what);
	cz_buf_release(&body);
	oci_resp_release(&resp);
	return rc;
}

/* ---- blobs: push ----------------------------------------------------- */

/* Where the bytes of a blob to push come from. */
typedef struct blob_src {
	const char *mem;
	int fd;
	uint64_t len;
	char digest[CZ_OCI_DIGEST_BUF];
} blob_src;

/* The upload session URL in a 202 answer, absolute; NULL when missing. */
static char *upload_location(const oci_resp *resp)
{
	char *loc = oci_resp_header(resp, "Location", 0);
	char *abs = NULL;

	if (loc && *loc)
		abs = oci_url_resolve(resp->url, loc);
	free(loc);
	return abs;
}

/*
 * Opens an upload session: a mount attempt first when mount_from is set.
 * *location_out is the session URL (malloc'ed), or NULL when the mount
 * succeeded (*mounted).
 */
static int start_upload(cz_oci *c, const char *repo, const blob_src *src,
			const char *mount_from, bool *mounted,
			char **location_out, uint64_t *min_chunk,
			oci_resp *resp, cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	char *url = NULL, *scope = NULL, *what = NULL, *esc = NULL;
	char *min = NULL;
	int rc;

	*mounted = false;
	*location_out = NULL;
	if (mount_from) {
		esc = oci_escape(src->digest);
		url = cz_xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s",
				   repo, esc, mount_from);
		scope = cz_xasprintf("repository:%s:pull,push "
				     "repository:%s:pull",
				     repo, mount_from);
		what = cz_xasprintf("mount %s from %s into %s", src->digest,
				    mount_from, repo);
	} else {
		url = cz_xasprintf("/v2/%s/blobs/uploads/", repo);
		scope = scope_push(repo);
		what = cz_xasprintf("start upload to %s", repo);
	}
	rq.method = "POST";
	rq.url = url;
	rq.what = what;
	rq.scope = scope;
	if ((rc = oci_exchange(c, &rq, resp, err)) < 0)
		goto cleanup;
	if (mount_from && resp->status == 201) {
		*mounted = true;
		goto cleanup;
	}
	if (resp->status != 202) {
		rc = oci_status_error(c, &rq, resp, err);
		goto cleanup;
	}
	*location_out = upload_location(resp);
	if (!*location_out) {
		rc = cz_fail(err, CZ_ERR, "%s: %s: 202 without a Location",
			     cz_oci_host(c), what);
		goto cleanup;
	}
	min = oci_resp_header(resp, "OCI-Chunk-Min-Length", 0);
	if (min && min_chunk)
		*min_chunk = strtoull(min, NULL, 10);
cleanup:
	free(url);
	free(scope);
	free(what);
	free(esc);
	free(min);
	return rc;
}

/* Fills rq with a body range of src. */
static void set_body(oci_req *rq, const blob_src *src, uint64_t offset,
		     uint64_t len)
{
	rq->has_body = true;
	rq->body_mem = src->mem ? src->mem + offset : NULL;
	rq->body_fd = src->fd;
	rq->body_offset = offset;
	rq->body_len = len;
}

/* PATCHes src in chunks to *location (updated from each answer). */
static int upload_chunks(cz_oci *c, const char *repo, const blob_src *src,
			 uint64_t chunk, char **location, oci_resp *resp,
			 cz_error *err)
{
	char *scope = scope_push(repo);
	char *what = NULL, *range = NULL, *next = NULL;
	uint64_t offset = 0;
	int rc = CZ_OK;

	while (offset < src->len) {
		oci_req rq = OCI_REQ_INIT;
		uint64_t n = src->len - offset < chunk ? src->len - offset
						       : chunk;

		free(what);
		free(range);
		what = cz_xasprintf("upload chunk %llu-%llu of %s to %s",
				    (unsigned long long)offset,
				    (unsigned long long)(offset + n - 1),
				    src->digest, repo);
		range = cz_xasprintf("%llu-%llu", (unsigned long long)offset,
				     (unsigned long long)(offset + n - 1));
		rq.method = "PATCH";
		rq.url = *location;
		rq.what = what;
		rq.scope = scope;
		rq.content_type = OCTET_STREAM;
		rq.content_range = range;
		rq.blob = true;
		rq.retry = false; /* the session may hold part of it */
		set_body(&rq, src, offset, n);
		if ((rc = oci_exchange(c, &rq, resp, err)) < 0)
			goto cleanup;
		if (resp->status != 202) {
			rc = oci_status_error(c, &rq, resp, err);
			goto cleanup;
		}
		next = upload_location(resp);
		if (next) {
			free(*location);
			*location = next;
			next = NULL;
		}
		offset += n;
	}
cleanup:
	free(scope);
	free(what);
	free(range);
	free(next);
	return rc;
}

/* Closes the session with PUT ?digest=, carrying the whole body when
 * monolithic is set. */
static int finish_upload(cz_oci *c, const char *repo, const blob_src *src,
			 const char *location, bool monolithic, oci_resp *resp,
			 cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	char *url = with_query(location, "digest", src->digest);
	char *scope = scope_push(repo);
	char *what = cz_xasprintf("upload %s to %s", src->digest, repo);
	int rc;

	rq.method = "PUT";
	rq.url = url;
	rq.what = what;
	rq.scope = scope;
	rq.retry = false; /* a failed PUT starts a new session instead */
	rq.blob = true;
	if (monolithic) {
		rq.content_type = OCTET_STREAM;
		set_body(&rq, src, 0, src->len);
	}
	if ((rc = oci_exchange(c, &rq, resp, err)) == CZ_OK &&
	    resp->status != 201 && resp->status != 204)
		rc = expect_2xx(c, &rq, resp, err);
	free(url);
	free(scope);
	free(what);
	return rc;
}

static int push_blob(cz_oci *c, const char *repo, const blob_src *src,
		     const char *mount_from, cz_oci_pushed *out, cz_error *err)
{
	oci_resp resp;
	char *location = NULL;
	uint64_t have_size = 0, min_chunk = 0, chunk;
	bool exists = false, mounted = false;
	unsigned attempt = 1;
	int rc;

	oci_resp_init(&resp);
	memcpy(out->digest, src->digest, CZ_OCI_DIGEST_BUF);
	out->size = src->len;
	if ((rc = check_repo(repo, err)) < 0 ||
	    (mount_from && (rc = check_repo(mount_from, err)) < 0))
		goto cleanup;
	if (mount_from && !strcmp(mount_from, repo))
		mount_from = NULL;
	if ((rc = cz_oci_blob_exists(c, repo, src->digest, &exists, &have_size,
				     err)) < 0)
		goto cleanup;
	if (exists && have_size == src->len) {
		out->how = CZ_OCI_PUSH_EXISTED;
		goto cleanup;
	}
	for (;;) {
		free(location);
		location = NULL;
		rc = start_upload(c, repo, src, attempt == 1 ? mount_from : NULL,
				  &mounted, &location, &min_chunk, &resp, err);
		if (rc == CZ_OK && mounted) {
			out->how = CZ_OCI_PUSH_MOUNTED;
			goto cleanup;
		}
		chunk = oci_opts(c)->chunk_size;
		if (chunk && chunk < min_chunk)
			chunk = min_chunk;
		if (rc == CZ_OK && chunk && src->len > 0)
			rc = upload_chunks(c, repo, src, chunk, &location, &resp,
					   err);
		if (rc == CZ_OK)
			rc = finish_upload(c, repo, src, location,
					   !chunk || src->len == 0, &resp, err);
		if (rc == CZ_OK) {
			out->how = CZ_OCI_PUSH_UPLOADED;
			goto cleanup;
		}
		if (attempt >= oci_max_attempts(c) || !oci_retryable(rc, &resp))
			goto cleanup;
		cz_error_clear(err);
		oci_backoff(c, attempt, rc == CZ_OK ? NULL : &resp);
		attempt++;
	}
cleanup:
	free(location);
	oci_resp_release(&resp);
	return rc;
}

int cz_oci_blob_push_file(cz_oci *c, const char *repo, const char *path,
			  const char *mount_from, cz_oci_pushed *out,
			  cz_error *err)
{
	blob_src src = { .fd = -1 };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cz_oci_digest_file(path, src.digest, &src.len, err)) < 0)
		goto cleanup;
	src.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src.fd < 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	rc = push_blob(c, repo, &src, mount_from, out, err);
cleanup:
	if (src.fd >= 0)
		close(src.fd);
	return rc;
}

int cz_oci_blob_push_buf(cz_oci *c, const char *repo, const void *data,
			 size_t len, const char *mount_from, cz_oci_pushed *out,
			 cz_error *err)
{
	blob_src src = { .mem = data, .fd = -1, .len = len };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cz_oci_digest_bytes(data, len, src.digest, err)) < 0)
		return rc;
	return push_blob(c, repo, &src, mount_from, out, err);
}

/* ---- tags ------------------------------------------------------------ */

void cz_oci_tags_free(char **tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(tags[i]);
	free(tags);
}

/* Appends the tags of one page; *added counts them. */
static int take_page(const cz_oci *c, const char *what, const cz_buf *body,
		     char ***tags, size_t *n, size_t *cap, size_t *added,
		     cz_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body->data, body->len, 0, &jerr);
	json_t *list, *tag;
	size_t i;
	int rc = CZ_OK;

	*added = 0;
	list = json_object_get(root, "tags");
	if (!json_is_object(root) || (list && !json_is_array(list) &&
				      !json_is_null(list))) {
		rc = cz_fail(err, CZ_EINVALID, "%s: %s: not a tag list",
			     cz_oci_host(c), what);
		goto cleanup;
	}
	json_array_foreach(list, i, tag) {
		if (!json_is_string(tag)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "%s: %s: a tag is not a string",
				     cz_oci_host(c), what);
			goto cleanup;
		}
		if (*n >= oci_opts(c)->max_tags) {
			rc = cz_fail(err, CZ_ETOOLARGE,
				     "%s: %s: more than %zu tags",
				     cz_oci_host(c), what,
				     oci_opts(c)->max_tags);
			goto cleanup;
		}
		CZ_GROW(*tags, *n + 1, *cap);
		(*tags)[(*n)++] = cz_xstrdup(json_string_value(tag));
		(*added)++;
	}
cleanup:
	json_decref(root);
	return rc;
}

int cz_oci_tags_list(cz_oci *c, const char *repo, char ***tags_out,
		     size_t *n_out, cz_error *err)
{
	oci_resp resp;
	cz_buf body;
	char **tags = NULL;
	size_t n = 0, cap = 0, added;
	char *url = NULL, *scope = NULL, *what = NULL, *link = NULL;
	char *next = NULL, *esc = NULL;
	unsigned page_size = oci_opts(c)->tags_page_size;
	int rc;

	*tags_out = NULL;
	*n_out = 0;
	oci_resp_init(&resp);
	cz_buf_init(&body, MAX_TAGS_PAGE);
	if ((rc = check_repo(repo, err)) < 0)
		goto cleanup;
	scope = scope_pull(repo);
	what = cz_xasprintf("tags of %s", repo);
	url = page_size ? cz_xasprintf("/v2/%s/tags/list?n=%u", repo, page_size)
			: cz_xasprintf("/v2/%s/tags/list", repo);
	for (;;) {
		oci_req rq = OCI_REQ_INIT;

		rq.method = "GET";
		rq.url = url;
		rq.what = what;
		rq.scope = scope;
		rq.accept = "application/json";
		rq.out_buf = &body;
		if ((rc = oci_exchange(c, &rq, &resp, err)) < 0 ||
		    (rc = expect_2xx(c, &rq, &resp, err)) < 0 ||
		    (rc = take_page(c, what, &body, &tags, &n, &cap, &added,
				    err)) < 0)
			goto cleanup;
		free(link);
		link = oci_resp_header(&resp, "Link", 0);
		if (link) {
			char *target = NULL;
			bool has_target;

			if ((rc = cz_oci_link_next(link, &target, err)) < 0) {
				cz_error_prefix(err, "%s: %s", cz_oci_host(c),
						what);
				goto cleanup;
			}
			has_target = target != NULL;
			free(next);
			next = target ? oci_url_resolve(resp.url, target) : NULL;
			free(target);
			if (has_target && !next) {
				rc = cz_fail(err, CZ_EINVALID,
					     "%s: %s: bad Link target",
					     cz_oci_host(c), what);
				goto cleanup;
			}
		} else if (page_size && added == page_size) {
			/* No Link: page on with last= as the spec allows. */
			free(esc);
			esc = oci_escape(tags[n - 1]);
			free(next);
			next = cz_xasprintf("/v2/%s/tags/list?n=%u&last=%s", repo,
					    page_size, esc);
		} else {
			break;
		}
		if (!next || added == 0)
			break;
		free(url);
		url = next;
		next = NULL;
	}
	*tags_out = tags;
	*n_out = n;
	tags = NULL;
	n = 0;
cleanup:
	cz_oci_tags_free(tags, n);
	free(url);
	free(scope);
	free(what);
	free(link);
	free(next);
	free(esc);
	cz_buf_release(&body);
	oci_resp_release(&resp);
	return rc;
}
