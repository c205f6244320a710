/*
 * GET and HEAD /artifacts/sha256/<hex>.tar.gz: the blobs of the artifact
 * store (source and component artifacts), over the API's own listener and
 * authentication.  Whoever may get ExternalArtifacts may download them
 * (administrators and viewers).  The path must be exactly that shape
 * (controller/artgen.h); anything else under /artifacts is 404, so no
 * path ever reaches the file system but one built from 64 hex digits.
 * Files are streamed from their descriptor, never read whole.
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact/store.h"
#include "auth/token.h"
#include "controller/artgen.h"
#include "server.h"
#include "util/mem.h"

static int not_found(cz_req *req)
{
	return cz_reply_status(req, 404, "NotFound", NULL,
			       "the server could not find the requested "
			       "resource");
}

int cz_handle_artifact(cz_req *req)
{
	char digest[CZ_DIGEST_MAX];
	char etag[CZ_DIGEST_MAX + 2];
	const char *inm;
	char *path = NULL;
	cz_error err = CZ_ERROR_INIT;
	struct stat st;
	int fd = -1;
	int rc;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0)
		return cz_reply_status(req, 405, "MethodNotAllowed", NULL,
				       "the server does not allow this method "
				       "on the requested resource");
	if (!cz_authorize(req->user, "get", "source.toolkit.fluxcd.io",
			  "externalartifacts", NULL))
		return cz_reply_status(req, 403, "Forbidden", NULL,
				       "forbidden: User \"%s\" cannot get path "
				       "\"%s\"",
				       req->user ? req->user->name : "",
				       req->path);
	if (!req->srv->artifacts || !cz_artifact_url_digest(req->path, digest))
		return not_found(req);
	rc = cz_artifact_store_lookup(req->srv->artifacts, digest, &path, NULL,
				      &err);
	if (rc == CZ_OK) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
			rc = CZ_ENOTFOUND; /* collected in between */
	}
	free(path);
	if (rc != CZ_OK) {
		if (fd >= 0)
			close(fd);
		return not_found(req);
	}
	snprintf(etag, sizeof(etag), "\"%s\"", digest);
	inm = cz_req_header(req, "If-None-Match");
	if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) {
		close(fd);
		return cz_reply_file(req, 304, -1, 0, etag);
	}
	/* The response owns fd from here. */
	return cz_reply_file(req, 200, fd, (uint64_t)st.st_size, etag);
}
