#include "auth/session.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util/duration.h"
#include "util/mem.h"

typedef struct session {
	unsigned char digest[CZ_TOKEN_DIGEST_LEN]; /* first, as in token.c */
	int64_t expires_ns; /* monotonic */
	cz_user user;
} session;

struct cz_sessions {
	pthread_mutex_t lock;
	session *items;
	size_t len;
	size_t cap;
};

cz_sessions *cz_sessions_new(void)
{
	cz_sessions *s = cz_xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void drop(cz_sessions *s, size_t i)
{
	cz_user_release(&s->items[i].user);
	s->items[i] = s->items[--s->len];
	OPENSSL_cleanse(&s->items[s->len], sizeof(session));
}

/* Under the lock. */
static void drop_expired(cz_sessions *s, int64_t now)
{
	for (size_t i = s->len; i-- > 0;)
		if (s->items[i].expires_ns <= now)
			drop(s, i);
}

void cz_sessions_free(cz_sessions *s)
{
	if (!s)
		return;
	while (s->len)
		drop(s, s->len - 1);
	free(s->items);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int cz_sessions_issue(cz_sessions *s, const char *user, const char *uid,
		      const char *const *groups, int64_t ttl_ns,
		      char token_out[65], cz_error *err)
{
	session *e;
	int rc;

	token_out[0] = '\0';
	if (!user || !*user)
		return cz_fail(err, CZ_EINVALID, "empty user name");
	if (ttl_ns <= 0)
		return cz_fail(err, CZ_EINVALID, "a session needs a lifetime");
	if ((rc = cz_token_generate(token_out, err)) < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	drop_expired(s, cz_mono_ns());
	if (s->len >= CZ_SESSIONS_MAX) {
		rc = cz_fail(err, CZ_ETOOLARGE, "%d sessions are live already",
			     CZ_SESSIONS_MAX);
	} else {
		CZ_GROW(s->items, s->len + 1, s->cap);
		e = &s->items[s->len++];
		memset(e, 0, sizeof(*e));
		e->expires_ns = cz_mono_ns() + ttl_ns;
		cz_user_init(&e->user, user, uid, groups);
		rc = cz_token_digest(token_out, e->digest) < 0
			     ? cz_fail(err, CZ_ERR, "cannot hash the token")
			     : CZ_OK;
		if (rc < 0)
			drop(s, s->len - 1);
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		OPENSSL_cleanse(token_out, 65);
	return rc;
}

/* The index of token's live session, or -1.  Under the lock. */
static long find(const cz_sessions *s, const unsigned char *digest)
{
	return cz_token_digest_index(s->items, s->len, sizeof(session),
				     digest);
}

void cz_sessions_revoke(cz_sessions *s, const char *token)
{
	unsigned char digest[CZ_TOKEN_DIGEST_LEN];
	long i;

	if (!s || !token || !*token || cz_token_digest(token, digest) < 0)
		return;
	pthread_mutex_lock(&s->lock);
	i = find(s, digest);
	if (i >= 0)
		drop(s, (size_t)i);
	pthread_mutex_unlock(&s->lock);
	OPENSSL_cleanse(digest, sizeof(digest));
}

bool cz_sessions_lookup(cz_sessions *s, const char *token, cz_user *out)
{
	unsigned char digest[CZ_TOKEN_DIGEST_LEN];
	long i;

	if (!s || !token || !*token || cz_token_digest(token, digest) < 0)
		return false;
	pthread_mutex_lock(&s->lock);
	drop_expired(s, cz_mono_ns());
	i = find(s, digest);
	if (i >= 0)
		cz_user_copy(out, &s->items[i].user);
	pthread_mutex_unlock(&s->lock);
	OPENSSL_cleanse(digest, sizeof(digest));
	return i >= 0;
}

size_t cz_sessions_count(cz_sessions *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	drop_expired(s, cz_mono_ns());
	n = s->len;
	pthread_mutex_unlock(&s->lock);
	return n;
}
