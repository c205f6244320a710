#ifndef CZ_AUTH_SESSION_H
#define CZ_AUTH_SESSION_H

/*
 * Short-lived bearer tokens that cozypkgd issues itself: the migration
 * runner's kubeconfig, a dashboard link.  Each token belongs to one
 * identity, stops working at its expiry or when revoked, and is kept only
 * as a SHA-256 digest, like the static tokens (auth/token.h).  The set is
 * safe to use from any thread; a lookup copies the identity out, so a
 * token revoked while a request runs leaves that request's user intact.
 */

#include <stdint.h>

#include "auth/token.h"
#include "util/error.h"

/* At most this many live sessions; issuing more fails (CZ_ETOOLARGE). */
#define CZ_SESSIONS_MAX 4096

typedef struct cz_sessions cz_sessions;

/* A new, empty set; freed with cz_sessions_free(). */
cz_sessions *cz_sessions_new(void);
void cz_sessions_free(cz_sessions *s);

/*
 * Issues a token for user (uid may be NULL; groups NULL-terminated, may
 * be NULL) that expires ttl_ns from now, written to token_out as 64 hex
 * digits and a NUL.  CZ_EINVALID for an empty user or a ttl that is not
 * positive, CZ_ETOOLARGE when CZ_SESSIONS_MAX sessions are live.
 */
int cz_sessions_issue(cz_sessions *s, const char *user, const char *uid,
		      const char *const *groups, int64_t ttl_ns,
		      char token_out[65], cz_error *err);

/* Ends the session of token at once; an unknown token is ignored. */
void cz_sessions_revoke(cz_sessions *s, const char *token);

/*
 * Whether token is a live session; if so *out receives a copy of its
 * identity that the caller releases with cz_user_release().  Compares
 * every live digest in full, whatever the token holds.
 */
bool cz_sessions_lookup(cz_sessions *s, const char *token, cz_user *out);

/* Live sessions (expired ones are dropped first). */
size_t cz_sessions_count(cz_sessions *s);

#endif
