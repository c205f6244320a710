/* Git sources: fetch into a cache, resolve a Flux ref, export a tree. */

#include "git/source.h"
#include "git/internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "git/export.h"
#include "git/scrub.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

static int is_set(const char *s)
{
	return s && *s;
}

static int is_http(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 ||
	       strncasecmp(url, "https://", 8) == 0;
}

/* ---- the context shared by the libgit2 callbacks (git/internal.h) ---- */

static double elapsed_s(const gctx *c)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - c->t0.tv_sec) +
	       (double)(now.tv_nsec - c->t0.tv_nsec) / 1e9;
}

static int over_time(gctx *c)
{
	if (elapsed_s(c) > (double)c->timeout_s) {
		c->why = WHY_TIMEOUT;
		return 1;
	}
	return 0;
}

static int cb_transfer(const git_indexer_progress *st, void *payload)
{
	gctx *c = payload;

	c->bytes = st->received_bytes;
	c->objects = st->received_objects;
	if (st->received_bytes > c->max_bytes) {
		c->why = WHY_BYTES;
		return -1;
	}
	if (st->total_objects > c->max_objects) {
		c->why = WHY_OBJECTS;
		return -1;
	}
	return over_time(c) ? -1 : 0;
}

static int cb_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return over_time(payload) ? -1 : 0;
}

static int cb_credentials(git_credential **out, const char *url,
			  const char *username_from_url, unsigned int allowed,
			  void *payload)
{
	gctx *c = payload;
	const cz_git_options *o = c->o;
	const char *user;

	(void)url;
	c->cred_calls++;
	if (c->cred_calls > 1 || c->auth_header) {
		/* What we sent (a password, a token) was refused. */
		c->why = WHY_AUTH;
		return GIT_EAUTH;
	}
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && o->ssh_identity_file) {
		user = username_from_url && *username_from_url ? username_from_url
			: o->username && *o->username ? o->username : "git";
		return git_credential_ssh_key_new(out, user, NULL,
						  o->ssh_identity_file,
						  o->ssh_passphrase);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    (o->username || o->password)) {
		user = o->username ? o->username
			: username_from_url ? username_from_url : "";
		return git_credential_userpass_plaintext_new(
			out, user, o->password ? o->password : "");
	}
	if ((allowed & GIT_CREDENTIAL_USERNAME) &&
	    (username_from_url || o->username)) {
		return git_credential_username_new(
			out, o->username ? o->username : username_from_url);
	}
	c->why = WHY_NOAUTH;
	return GIT_EAUTH;
}

/* 1 when host matches one pattern of a known_hosts host list: "h",
 * "[h]:port" (any port: libgit2 does not say which one was used). */
static int host_in_list(const char *list, size_t len, const char *host)
{
	size_t hl = strlen(host);
	const char *p = list, *end = list + len;

	while (p < end) {
		const char *q = memchr(p, ',', (size_t)(end - p));
		const char *e = q ? q : end;
		const char *h = p;
		size_t n = (size_t)(e - p);

		if (n > 2 && h[0] == '[') {
			const char *rb = memchr(h, ']', n);

			if (rb) {
				h++;
				n = (size_t)(rb - h);
			}
		}
		if (n == hl && strncasecmp(h, host, n) == 0)
			return 1;
		p = q ? q + 1 : end;
	}
	return 0;
}

/* 0 when the raw host key of host is listed in the known_hosts file. */
static int known_host(const char *file, const char *host, const char *key,
		      size_t key_len)
{
	char *text = NULL, *b64 = NULL, *line, *save = NULL;
	cz_error ferr = CZ_ERROR_INIT;
	int rc = -1;

	if (cz_file_read(file, 4u << 20, &text, NULL, &ferr) != 0)
		goto cleanup;
	b64 = cz_base64_encode(key, key_len);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[3] = { NULL, NULL, NULL };
		char *s2 = NULL, *w;
		int i = 0;

		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || *line == '|' || *line == '@' || !*line)
			continue;
		for (w = strtok_r(line, " \t\r", &s2); w && i < 3;
		     w = strtok_r(NULL, " \t\r", &s2))
			f[i++] = w;
		if (i < 3)
			continue;
		if (host_in_list(f[0], strlen(f[0]), host) &&
		    strcmp(f[2], b64) == 0) {
			rc = 0;
			break;
		}
	}
cleanup:
	free(text);
	free(b64);
	return rc;
}

/* 1 when the DER certificate chains to ca_file and names host. */
static int trusted_by_ca_file(const char *ca_file, const unsigned char *der,
			      size_t len, const char *host)
{
	const unsigned char *p = der;
	X509 *leaf = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *sc = NULL;
	X509_VERIFY_PARAM *param;
	int ok = 0;

	if (len > LONG_MAX)
		goto cleanup;
	leaf = d2i_X509(NULL, &p, (long)len);
	store = X509_STORE_new();
	sc = X509_STORE_CTX_new();
	if (!leaf || !store || !sc ||
	    X509_STORE_load_locations(store, ca_file, NULL) != 1 ||
	    X509_STORE_CTX_init(sc, store, leaf, NULL) != 1)
		goto cleanup;
	param = X509_STORE_CTX_get0_param(sc);
	if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1 &&
	    X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		goto cleanup;
	ok = X509_verify_cert(sc) == 1;
cleanup:
	X509_STORE_CTX_free(sc);
	X509_STORE_free(store);
	X509_free(leaf);
	return ok;
}

static int cb_certificate(git_cert *cert, int valid, const char *host,
			  void *payload)
{
	gctx *c = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;

		if (!c->o->ssh_known_hosts_file) {
			c->why = WHY_NOHOSTS;
			return GIT_ECERTIFICATE;
		}
		if (!(hk->type & GIT_CERT_SSH_RAW) ||
		    known_host(c->o->ssh_known_hosts_file, host, hk->hostkey,
			       hk->hostkey_len) != 0) {
			c->why = WHY_HOSTKEY;
			return GIT_ECERTIFICATE;
		}
		return 0;
	}
	if (valid)
		return 0;
	if (cert->cert_type == GIT_CERT_X509 && c->o->ca_file) {
		const git_cert_x509 *x = (const git_cert_x509 *)cert;

		if (trusted_by_ca_file(c->o->ca_file, x->data, x->len, host))
			return 0;
		c->why = WHY_TLS;
		return GIT_ECERTIFICATE;
	}
	return GIT_PASSTHROUGH;
}

void cz_gctx_release(gctx *c)
{
	free(c->url_safe);
	if (c->auth_header)
		explicit_bzero(c->auth_header, strlen(c->auth_header));
	free(c->auth_header);
	memset(c, 0, sizeof(*c));
}

int cz_gctx_init(gctx *c, const cz_git_options *o, cz_error *err)
{
	memset(c, 0, sizeof(*c));
	if (!o || !o->url || !*o->url)
		return cz_fail(err, CZ_EINVALID, "git source: no url");
	c->o = o;
	c->url_safe = cz_git_url_redact(o->url);
	c->max_bytes = o->max_bytes ? o->max_bytes : CZ_GIT_DEFAULT_MAX_BYTES;
	c->max_objects = o->max_objects ? o->max_objects
					: CZ_GIT_DEFAULT_MAX_OBJECTS;
	c->timeout_s = o->timeout_s ? o->timeout_s : CZ_GIT_DEFAULT_TIMEOUT_S;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	/* Credentials go out with the first request, as Flux sends them: a
	 * bearer token wins over a username and password.  (libgit2 1.5
	 * also mishandles a 401 with a body on a kept-alive connection.) */
	if (is_set(o->bearer_token)) {
		if (strpbrk(o->bearer_token, "\r\n"))
			return cz_fail(err, CZ_EINVALID,
				       "git source %s: bearer token has a line break",
				       c->url_safe);
		c->auth_header = cz_xasprintf("Authorization: Bearer %s",
					      o->bearer_token);
	} else if ((o->username || o->password) && is_http(o->url)) {
		char *pair = cz_xasprintf("%s:%s", o->username ? o->username : "",
					  o->password ? o->password : "");
		char *b64 = cz_base64_encode(pair, strlen(pair));

		c->auth_header = cz_xasprintf("Authorization: Basic %s", b64);
		explicit_bzero(pair, strlen(pair));
		free(pair);
		free(b64);
		if (strpbrk(c->auth_header, "\r\n"))
			return cz_fail(err, CZ_EINVALID,
				       "git source %s: credentials have a line break",
				       c->url_safe);
	}
	if (c->auth_header) {
		c->headers[0] = c->auth_header;
		c->custom_headers.strings = c->headers;
		c->custom_headers.count = 1;
	}
	git_remote_init_callbacks(&c->cbs, GIT_REMOTE_CALLBACKS_VERSION);
	c->cbs.credentials = cb_credentials;
	c->cbs.certificate_check = cb_certificate;
	c->cbs.transfer_progress = cb_transfer;
	c->cbs.sideband_progress = cb_sideband;
	c->cbs.payload = c;
	return CZ_OK;
}

/* Turns the last libgit2 error (rc) into a cz_error; "what" says what was
 * being done.  The message is scrubbed of secrets and user information. */
int cz_gctx_fail(gctx *c, cz_error *err, int rc, const char *what)
{
	const git_error *ge = git_error_last();
	const char *secrets[3];
	char *msg = NULL;
	int code = CZ_EIO;

	switch (c->why) {
	case WHY_BYTES:
		return cz_fail(err, CZ_ETOOLARGE,
			       "%s %s: more than %llu bytes received", what,
			       c->url_safe, (unsigned long long)c->max_bytes);
	case WHY_OBJECTS:
		return cz_fail(err, CZ_ETOOLARGE,
			       "%s %s: more than %u objects", what, c->url_safe,
			       c->max_objects);
	case WHY_TIMEOUT:
		return cz_fail(err, CZ_EIO, "%s %s: timed out after %us", what,
			       c->url_safe, c->timeout_s);
	case WHY_AUTH:
		return cz_fail(err, CZ_EDENIED,
			       "%s %s: authentication failed", what,
			       c->url_safe);
	case WHY_NOAUTH:
		return cz_fail(err, CZ_EDENIED,
			       "%s %s: authentication required", what,
			       c->url_safe);
	case WHY_HOSTKEY:
		return cz_fail(err, CZ_EDENIED,
			       "%s %s: ssh host key not in known_hosts", what,
			       c->url_safe);
	case WHY_NOHOSTS:
		return cz_fail(err, CZ_EDENIED,
			       "%s %s: ssh needs a known_hosts file", what,
			       c->url_safe);
	case WHY_TLS:
		return cz_fail(err, CZ_EDENIED,
			       "%s %s: server certificate not trusted", what,
			       c->url_safe);
	case WHY_NONE:
		break;
	}
	if (rc == GIT_EAUTH)
		code = CZ_EDENIED;
	else if (rc == GIT_ECERTIFICATE)
		code = CZ_EDENIED;
	else if (rc == GIT_ENOTFOUND)
		code = CZ_ENOTFOUND;
	secrets[0] = c->o->password;
	secrets[1] = c->o->bearer_token;
	secrets[2] = c->o->ssh_passphrase;
	msg = cz_git_scrub(ge && ge->message ? ge->message : "unknown error",
			   secrets, 3);
	cz_fail(err, code, "%s %s: %s", what, c->url_safe, msg);
	free(msg);
	return code;
}

/* ---- small helpers ---- */

char *cz_git_url_redact(const char *url)
{
	const char *secrets[1] = { NULL };

	return cz_git_scrub(url ? url : "", secrets, 0);
}

int cz_git_cache_path(const char *cache_dir, const char *url, char **out,
		      cz_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *safe = NULL;
	int rc = CZ_OK;

	*out = NULL;
	if (!cache_dir || !*cache_dir) {
		rc = cz_fail(err, CZ_EINVALID, "git source: no cache directory");
		goto cleanup;
	}
	safe = cz_git_url_redact(url);
	if (EVP_Digest(safe, strlen(safe), md, &mdlen, EVP_sha256(), NULL) != 1) {
		rc = cz_fail(err, CZ_ERR, "git source: sha256 failed");
		goto cleanup;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*out = cz_xasprintf("%s/%s.git", cache_dir, hex);
cleanup:
	free(safe);
	return rc;
}


static int valid_commit_hex(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return i == GIT_OID_HEXSZ;
}

static int valid_refname(const char *name)
{
	int valid = 0;

	return git_reference_name_is_valid(&valid, name) == 0 && valid &&
	       strncmp(name, "refs/", 5) == 0 && !strpbrk(name, "*:");
}

void cz_git_result_release(cz_git_result *r)
{
	if (!r)
		return;
	free(r->revision);
	free(r->ref);
	memset(r, 0, sizeof(*r));
}

int cz_git_init(cz_error *err)
{
	if (git_libgit2_init() < 0)
		return cz_fail(err, CZ_ERR, "libgit2 initialisation failed");
	return CZ_OK;
}

void cz_git_shutdown(void)
{
	git_libgit2_shutdown();
}

/* ---- resolving a ref against the advertised heads ---- */

enum kind { K_BRANCH, K_TAG, K_SEMVER, K_NAME, K_COMMIT };

typedef struct plan {
	enum kind kind;
	char *ref;      /* full ref name; NULL for a bare commit */
	char *label;    /* the part of the revision before '@'; may be NULL */
	git_oid want;   /* advertised object (a tag object for annotated tags) */
	git_oid commit; /* the commit, when known */
	int have_commit;
} plan;

static void plan_release(plan *p)
{
	free(p->ref);
	free(p->label);
	memset(p, 0, sizeof(*p));
}

/* Fills p from the ref alone (kind, ref, label), before any remote
 * listing; semver refs get their tag later. */
static int plan_start(gctx *c, plan *p, cz_error *err)
{
	const cz_git_ref *r = &c->o->ref;

	memset(p, 0, sizeof(*p));
	if (is_set(r->commit)) {
		p->kind = K_COMMIT;
		if (!valid_commit_hex(r->commit))
			return cz_fail(err, CZ_EINVALID,
				       "git source %s: commit %s is not 40 hex digits",
				       c->url_safe, r->commit);
		if (git_oid_fromstr(&p->commit, r->commit) < 0)
			return cz_fail(err, CZ_EINVALID,
				       "git source %s: bad commit %s",
				       c->url_safe, r->commit);
		p->have_commit = 1;
		if (is_set(r->branch)) {
			p->ref = cz_xasprintf("refs/heads/%s", r->branch);
			p->label = cz_xstrdup(r->branch);
		}
	} else if (is_set(r->name)) {
		p->kind = K_NAME;
		p->ref = cz_xstrdup(r->name);
		p->label = cz_xstrdup(r->name);
	} else if (is_set(r->semver)) {
		p->kind = K_SEMVER;
		if (!c->o->pick_semver)
			return cz_fail(err, CZ_EINVALID,
				       "git source %s: semver ref without a version picker",
				       c->url_safe);
	} else if (is_set(r->tag)) {
		p->kind = K_TAG;
		p->ref = cz_xasprintf("refs/tags/%s", r->tag);
		p->label = cz_xstrdup(r->tag);
	} else {
		const char *b = is_set(r->branch) ? r->branch : "master";

		p->kind = K_BRANCH;
		p->ref = cz_xasprintf("refs/heads/%s", b);
		p->label = cz_xstrdup(b);
	}
	if (p->ref && !valid_refname(p->ref))
		return cz_fail(err, CZ_EINVALID,
			       "git source %s: invalid reference %s", c->url_safe,
			       p->ref);
	return CZ_OK;
}

static const git_remote_head *find_head(const git_remote_head **heads,
					size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, name) == 0)
			return heads[i];
	return NULL;
}

/* Semver: lists the advertised tags and asks the picker. */
static int plan_semver(gctx *c, plan *p, const git_remote_head **heads,
		       size_t n, cz_error *err)
{
	const char **tags = NULL;
	size_t ntags = 0;
	char *picked = NULL;
	int rc;

	tags = cz_xcalloc(n ? n : 1, sizeof(*tags));
	for (size_t i = 0; i < n; i++) {
		const char *name = heads[i]->name;
		size_t len = strlen(name);

		if (strncmp(name, "refs/tags/", 10) != 0 ||
		    (len > 3 && strcmp(name + len - 3, "^{}") == 0))
			continue;
		tags[ntags++] = name + 10;
	}
	rc = c->o->pick_semver(c->o->pick_semver_ctx, tags, ntags,
			       c->o->ref.semver, &picked, err);
	if (rc == CZ_ENOTFOUND || (rc == CZ_OK && !picked)) {
		rc = cz_fail(err, CZ_ENOTFOUND,
			     "git source %s: no tag matches semver %s",
			     c->url_safe, c->o->ref.semver);
		goto cleanup;
	}
	if (rc != CZ_OK) {
		cz_error_prefix(err, "git source %s", c->url_safe);
		goto cleanup;
	}
	p->ref = cz_xasprintf("refs/tags/%s", picked);
	p->label = picked;
	picked = NULL;
	if (!valid_refname(p->ref))
		rc = cz_fail(err, CZ_EINVALID,
			     "git source %s: invalid reference %s", c->url_safe,
			     p->ref);
cleanup:
	free(picked);
	free(tags);
	return rc;
}

/* Resolves a non-commit plan against the advertisement. */
static int plan_heads(gctx *c, plan *p, const git_remote_head **heads,
		      size_t n, cz_error *err)
{
	const git_remote_head *h, *peeled;
	char *pname = NULL;
	int rc;

	if (p->kind == K_SEMVER &&
	    (rc = plan_semver(c, p, heads, n, err)) != CZ_OK)
		return rc;
	h = find_head(heads, n, p->ref);
	if (!h)
		return cz_fail(err, CZ_ENOTFOUND,
			       "git source %s: %s not found", c->url_safe,
			       p->ref);
	git_oid_cpy(&p->want, &h->oid);
	pname = cz_xasprintf("%s^{}", p->ref);
	peeled = find_head(heads, n, pname);
	free(pname);
	/* An annotated tag comes with a peeled "^{}" entry naming its
	 * commit; anything else points at the commit itself (a fetch peels
	 * again from the objects, so a server that does not peel is fine). */
	git_oid_cpy(&p->commit, peeled ? &peeled->oid : &h->oid);
	p->have_commit = 1;
	return CZ_OK;
}

static void fill_result(const plan *p, const git_oid *commit,
			cz_git_result *r)
{
	git_oid_tostr(r->commit, sizeof(r->commit), commit);
	if (p->label)
		r->revision = cz_xasprintf("%s@sha1:%s", p->label, r->commit);
	else
		r->revision = cz_xasprintf("sha1:%s", r->commit);
	r->ref = p->ref ? cz_xstrdup(p->ref) : NULL;
}

int cz_gctx_connect(gctx *c, git_remote *remote, git_direction direction,
		    cz_error *err)
{
	git_remote_connect_options co;
	int rc;

	git_remote_connect_options_init(&co,
					GIT_REMOTE_CONNECT_OPTIONS_VERSION);
	co.callbacks = c->cbs;
	co.custom_headers = c->custom_headers;
	if (c->auth_header)
		co.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	rc = git_remote_connect_ext(remote, direction, &co);
	if (rc < 0)
		return cz_gctx_fail(c, err, rc, "connecting to");
	return CZ_OK;
}

/* Connects a detached remote for url and lists its heads (owned by
 * *remote, which the caller disconnects and frees). */
static int ls_remote(gctx *c, const char *url, git_remote **remote,
		     const git_remote_head ***heads, size_t *n, cz_error *err)
{
	int rc = git_remote_create_detached(remote, url);

	if (rc < 0)
		return cz_gctx_fail(c, err, rc, "opening");
	if ((rc = cz_gctx_connect(c, *remote, GIT_DIRECTION_FETCH, err)) != CZ_OK)
		return rc;
	if ((rc = git_remote_ls(heads, n, *remote)) < 0)
		return cz_gctx_fail(c, err, rc, "listing");
	return CZ_OK;
}

int cz_git_resolve(const cz_git_options *o, cz_git_result *r, cz_error *err)
{
	gctx c;
	plan p;
	git_remote *remote = NULL;
	const git_remote_head **heads = NULL;
	size_t n = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	if ((rc = cz_gctx_init(&c, o, err)) != CZ_OK)
		goto cleanup;
	if ((rc = plan_start(&c, &p, err)) != CZ_OK)
		goto cleanup;
	if (p.kind == K_COMMIT) {
		fill_result(&p, &p.commit, r);
		goto cleanup;
	}
	if ((rc = ls_remote(&c, o->url, &remote, &heads, &n, err)) != CZ_OK)
		goto cleanup;
	if ((rc = plan_heads(&c, &p, heads, n, err)) != CZ_OK)
		goto cleanup;
	fill_result(&p, &p.commit, r);
cleanup:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	plan_release(&p);
	cz_gctx_release(&c);
	if (rc != CZ_OK)
		cz_git_result_release(r);
	return rc;
}

/* Each advertised ref as name -> commit, annotated tags peeled (the
 * "^{}" entry wins over the tag object's own). */
static json_t *refs_json(const git_remote_head **heads, size_t n)
{
	json_t *refs = json_object();

	for (size_t i = 0; i < n; i++) {
		const char *name = heads[i]->name;
		size_t len = strlen(name);
		char hex[GIT_OID_HEXSZ + 1];
		char *plain;

		git_oid_tostr(hex, sizeof(hex), &heads[i]->oid);
		if (len > 3 && strcmp(name + len - 3, "^{}") == 0) {
			plain = cz_xstrndup(name, len - 3);
			json_object_set_new(refs, plain, json_string(hex));
			free(plain);
		} else if (!json_object_get(refs, name)) {
			json_object_set_new(refs, name, json_string(hex));
		}
	}
	return refs;
}

int cz_git_list_refs(const cz_git_options *o, json_t **out, cz_error *err)
{
	gctx c;
	git_remote *remote = NULL;
	const git_remote_head **heads = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = cz_gctx_init(&c, o, err)) != CZ_OK)
		goto cleanup;
	if ((rc = ls_remote(&c, o->url, &remote, &heads, &n, err)) != CZ_OK)
		goto cleanup;
	*out = refs_json(heads, n);
cleanup:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	cz_gctx_release(&c);
	return rc;
}

/* ---- the cache ---- */

/* Opens (creating on first use) the bare repository for o->url, holding
 * an flock on "<path>.lock" (exclusive or shared) in *lock_fd. */
int cz_gctx_cache_open(gctx *c, int exclusive, git_repository **repo,
		      int *lock_fd, cz_error *err)
{
	char *path = NULL, *lock = NULL;
	int rc, gr;

	*repo = NULL;
	*lock_fd = -1;
	if ((rc = cz_git_cache_path(c->o->cache_dir, c->o->url, &path, err)))
		goto cleanup;
	if ((rc = cz_mkdirs(c->o->cache_dir, 0755, err)) != CZ_OK)
		goto cleanup;
	lock = cz_xasprintf("%s.lock", path);
	*lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*lock_fd < 0 ||
	    flock(*lock_fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
		rc = cz_fail(err, CZ_EIO, "locking %s: %s", lock,
			     strerror(errno));
		goto cleanup;
	}
	gr = git_repository_open_bare(repo, path);
	if (gr == GIT_ENOTFOUND && exclusive)
		gr = git_repository_init(repo, path, 1);
	if (gr < 0) {
		const git_error *ge = git_error_last();

		rc = cz_fail(err, gr == GIT_ENOTFOUND ? CZ_ENOTFOUND : CZ_EIO,
			     "git cache for %s: %s", c->url_safe,
			     ge ? ge->message : "cannot open");
		goto cleanup;
	}
cleanup:
	if (rc != CZ_OK && *lock_fd >= 0) {
		close(*lock_fd);
		*lock_fd = -1;
	}
	free(lock);
	free(path);
	return rc;
}

/* Peels obj id to a commit present in repo; CZ_ENOTFOUND when missing. */
static int peel_commit(git_repository *repo, const git_oid *id, git_oid *out)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc = CZ_ENOTFOUND;

	if (git_object_lookup(&obj, repo, id, GIT_OBJECT_ANY) < 0)
		goto cleanup;
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0)
		goto cleanup;
	git_oid_cpy(out, git_object_id(peeled));
	rc = CZ_OK;
cleanup:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

/* Fetches the refspecs specs[0..nspecs) (at most 2). */
static int do_fetch(gctx *c, git_remote *remote, const char *const *specs,
		    size_t nspecs, cz_git_result *r, cz_error *err)
{
	git_fetch_options fo;
	git_strarray arr;
	char *copy[2] = { NULL, NULL };
	int rc;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	for (size_t i = 0; i < nspecs && i < 2; i++)
		copy[i] = cz_xstrdup(specs[i]);
	arr.strings = copy;
	arr.count = nspecs < 2 ? nspecs : 2;
	fo.callbacks = c->cbs;
	fo.custom_headers = c->custom_headers;
	if (c->auth_header)
		fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	rc = git_remote_fetch(remote, &arr, &fo, NULL);
	free(copy[0]);
	free(copy[1]);
	if (rc < 0)
		return cz_gctx_fail(c, err, rc, "fetching");
	r->received_bytes = c->bytes;
	r->received_objects = c->objects;
	return CZ_OK;
}

/* An in-memory remote for url in repo.  url.<base>.insteadOf from any git
 * configuration is not applied: the URL fetched is the one given (and
 * libgit2 1.5 leaks a regex match block on every insteadOf lookup). */
int cz_git_remote_new(git_remote **out, git_repository *repo,
			 const char *url)
{
	git_remote_create_options co;

	git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	co.repository = repo;
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		   GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(out, url, &co);
}

int cz_git_fetch(const cz_git_options *o, cz_git_result *r, cz_error *err)
{
	gctx c;
	plan p;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	const git_remote_head **heads = NULL;
	size_t n = 0;
	int lock_fd = -1, rc;
	char *spec = NULL;
	git_oid commit, tip;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	if ((rc = cz_gctx_init(&c, o, err)) != CZ_OK)
		goto cleanup;
	if ((rc = plan_start(&c, &p, err)) != CZ_OK)
		goto cleanup;
	if ((rc = cz_gctx_cache_open(&c, 1, &repo, &lock_fd, err)) != CZ_OK)
		goto cleanup;

	/* A pinned commit without a branch that is cached already: nothing
	 * to ask the remote. */
	if (p.kind == K_COMMIT && !p.ref &&
	    peel_commit(repo, &p.commit, &commit) == CZ_OK &&
	    git_oid_equal(&commit, &p.commit)) {
		r->cache_hit = 1;
		fill_result(&p, &commit, r);
		goto cleanup;
	}
	if ((rc = cz_git_remote_new(&remote, repo, o->url)) < 0) {
		rc = cz_gctx_fail(&c, err, rc, "opening");
		goto cleanup;
	}
	if ((rc = cz_gctx_connect(&c, remote, GIT_DIRECTION_FETCH, err)) != CZ_OK)
		goto cleanup;
	if ((rc = git_remote_ls(&heads, &n, remote)) < 0) {
		rc = cz_gctx_fail(&c, err, rc, "listing");
		goto cleanup;
	}

	if (p.kind == K_COMMIT && !p.ref) {
		static const char *const all[2] = {
			"+refs/heads/*:refs/heads/*",
			"+refs/tags/*:refs/tags/*",
		};

		if ((rc = do_fetch(&c, remote, all, 2, r, err)) != CZ_OK)
			goto cleanup;
		if (peel_commit(repo, &p.commit, &commit) != CZ_OK ||
		    !git_oid_equal(&commit, &p.commit)) {
			rc = cz_fail(err, CZ_ENOTFOUND,
				     "git source %s: commit %s not found",
				     c.url_safe, o->ref.commit);
			goto cleanup;
		}
		fill_result(&p, &commit, r);
		goto cleanup;
	}

	if (p.kind == K_COMMIT) {
		/* commit within a branch: resolve the branch tip first */
		plan bp;

		memset(&bp, 0, sizeof(bp));
		bp.kind = K_BRANCH;
		bp.ref = p.ref;
		rc = plan_heads(&c, &bp, heads, n, err);
		if (rc != CZ_OK)
			goto cleanup;
		git_oid_cpy(&p.want, &bp.want);
	} else if ((rc = plan_heads(&c, &p, heads, n, err)) != CZ_OK) {
		goto cleanup;
	}

	if (peel_commit(repo, &p.want, &tip) == CZ_OK) {
		r->cache_hit = 1;
	} else {
		const char *specs[1];

		spec = cz_xasprintf("+%s:%s", p.ref, p.ref);
		specs[0] = spec;
		if ((rc = do_fetch(&c, remote, specs, 1, r, err)) != CZ_OK)
			goto cleanup;
		if (peel_commit(repo, &p.want, &tip) != CZ_OK) {
			rc = cz_fail(err, CZ_ENOTFOUND,
				     "git source %s: %s does not lead to a commit",
				     c.url_safe, p.ref);
			goto cleanup;
		}
	}

	if (p.kind == K_COMMIT) {
		if (peel_commit(repo, &p.commit, &commit) != CZ_OK ||
		    !git_oid_equal(&commit, &p.commit)) {
			rc = cz_fail(err, CZ_ENOTFOUND,
				     "git source %s: commit %s not found",
				     c.url_safe, o->ref.commit);
			goto cleanup;
		}
		if (!git_oid_equal(&tip, &commit) &&
		    git_graph_descendant_of(repo, &tip, &commit) != 1) {
			rc = cz_fail(err, CZ_ECONFLICT,
				     "git source %s: commit %s is not in branch %s",
				     c.url_safe, o->ref.commit, o->ref.branch);
			goto cleanup;
		}
	} else {
		git_oid_cpy(&commit, &tip);
	}
	fill_result(&p, &commit, r);
cleanup:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	git_repository_free(repo);
	if (lock_fd >= 0)
		close(lock_fd);
	free(spec);
	plan_release(&p);
	cz_gctx_release(&c);
	if (rc != CZ_OK)
		cz_git_result_release(r);
	return rc;
}

/* ---- export ---- */

int cz_git_export(const cz_git_options *o, const char *commit_hex,
		  const char *dir, cz_error *err)
{
	gctx c;
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid id;
	int lock_fd = -1, rc;
	cz_git_export_limits lim;

	if ((rc = cz_gctx_init(&c, o, err)) != CZ_OK)
		goto cleanup;
	if (!commit_hex || !valid_commit_hex(commit_hex) ||
	    git_oid_fromstr(&id, commit_hex) < 0) {
		rc = cz_fail(err, CZ_EINVALID, "git export: bad commit %s",
			     commit_hex ? commit_hex : "(none)");
		goto cleanup;
	}
	if ((rc = cz_gctx_cache_open(&c, 0, &repo, &lock_fd, err)) != CZ_OK)
		goto cleanup;
	if (git_commit_lookup(&commit, repo, &id) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		rc = cz_fail(err, CZ_ENOTFOUND,
			     "git export %s: commit %s not in the cache",
			     c.url_safe, commit_hex);
		goto cleanup;
	}
	lim.max_bytes = o->max_export_bytes ? o->max_export_bytes
					    : CZ_GIT_DEFAULT_MAX_EXPORT_BYTES;
	lim.max_files = o->max_export_files ? o->max_export_files
					    : CZ_GIT_DEFAULT_MAX_EXPORT_FILES;
	rc = cz_git_export_tree(repo, tree, dir, &lim, err);
cleanup:
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	if (lock_fd >= 0)
		close(lock_fd);
	cz_gctx_release(&c);
	return rc;
}

int cz_git_fetch_export(const cz_git_options *o, const char *dir,
			cz_git_result *r, cz_error *err)
{
	int rc = cz_git_fetch(o, r, err);

	if (rc != CZ_OK)
		return rc;
	rc = cz_git_export(o, r->commit, dir, err);
	if (rc != CZ_OK)
		cz_git_result_release(r);
	return rc;
}
