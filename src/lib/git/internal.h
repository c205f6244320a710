#ifndef CZ_GIT_INTERNAL_H
#define CZ_GIT_INTERNAL_H

/* What the git files share: the context of the libgit2 callbacks
 * (credentials, certificates, caps, the reason of a failure), the
 * connection and the local cache.  Not a public API. */

#include <git2.h>
#include <time.h>

#include "git/source.h"

/* ---- the context shared by the libgit2 callbacks ---- */

enum why {
	WHY_NONE,
	WHY_BYTES,
	WHY_OBJECTS,
	WHY_TIMEOUT,
	WHY_AUTH,       /* credentials were sent and refused */
	WHY_NOAUTH,     /* the server wants credentials we do not have */
	WHY_HOSTKEY,    /* ssh host key unknown */
	WHY_NOHOSTS,    /* ssh without a known_hosts file */
	WHY_TLS,        /* certificate not trusted by ca_file either */
};

typedef struct gctx {
	const cz_git_options *o;
	char *url_safe;
	uint64_t max_bytes;
	unsigned max_objects;
	unsigned timeout_s;
	struct timespec t0;
	int cred_calls;
	enum why why;
	uint64_t bytes;
	unsigned objects;
	char *auth_header;
	char *headers[1];
	git_strarray custom_headers;
	git_remote_callbacks cbs;
} gctx;

/* Sets c up for o (borrowed for c's life): credentials header, caps,
 * callbacks. */
int cz_gctx_init(gctx *c, const cz_git_options *o, cz_error *err);
void cz_gctx_release(gctx *c);
/* The last libgit2 error (rc) as a cz_error, secrets scrubbed; "what"
 * says what was being done.  Returns the code. */
int cz_gctx_fail(gctx *c, cz_error *err, int rc, const char *what);
int cz_gctx_connect(gctx *c, git_remote *remote, git_direction direction,
		    cz_error *err);
/* Opens (creating on first use when exclusive) the bare repository for
 * c's url in the cache, holding an flock on it in *lock_fd. */
int cz_gctx_cache_open(gctx *c, int exclusive, git_repository **repo,
		       int *lock_fd, cz_error *err);
/* An in-memory remote for url in repo, without insteadOf rewriting. */
int cz_git_remote_new(git_remote **out, git_repository *repo,
		      const char *url);

#endif
