/* The OCI client's transport: handle, auth (Basic, Bearer tokens),
 * redirects followed by hand, retries with backoff.  The distribution API
 * itself is in registry.c. */

#include "oci/client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "oci/internal.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/mem.h"

#ifndef CZ_VERSION
#define CZ_VERSION "0.0.0"
#endif

#define DEFAULT_CONNECT_TIMEOUT 15
#define DEFAULT_TIMEOUT 60
#define DEFAULT_STALL 30
#define DEFAULT_ATTEMPTS 5
#define DEFAULT_RETRY_BASE_MS 200
#define DEFAULT_RETRY_MAX_MS 10000
#define DEFAULT_RETRY_AFTER_MAX_MS 30000
#define DEFAULT_MAX_BLOB (4ull * 1024 * 1024 * 1024)
#define DEFAULT_MAX_TAGS 100000
/* Header lines of one answer, all together. */
#define MAX_HEADERS (64u * 1024)
/* Error bodies are only read for their message. */
#define MAX_ERROR_BODY (16u * 1024)
#define MAX_TOKEN_BODY (1024u * 1024)
#define MAX_REDIRECTS 5
/* Cached tokens: one per scope a handle has used. */
#define MAX_TOKENS 32
/* A token is renewed this long before the service says it expires. */
#define TOKEN_MARGIN_SECONDS 10
#define TOKEN_DEFAULT_LIFETIME 60
/* Larger transfer buffers cut per-callback overhead on big blobs. */
#define BLOB_BUFFER_SIZE (512L * 1024)

typedef struct token_entry {
	char *scope; /* the request scope it was fetched for; "" for none */
	char *header; /* "Authorization: Bearer ..." */
	time_t expires;
} token_entry;

struct cz_oci {
	char *host;
	char *base; /* "https://host" or "http://host" */
	cz_oci_opts opts; /* its strings point at the copies below */
	char *ca_file;
	char *user_agent;
	char *basic_header; /* "Authorization: Basic ..." or NULL */
	bool send_basic;    /* the registry asked for Basic */
	bool have_bearer;   /* the registry asked for Bearer tokens */
	char *bearer_realm;
	char *bearer_service;
	token_entry tokens[MAX_TOKENS];
	size_t n_tokens;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	uint64_t rng;
	cz_oci_stats stats;
};

/* ---- set-up ---------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

/* libcurl's global state is created exactly once (it is not thread-safe
 * to create) and lives until the process exits. */
static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Secrets are wiped before their memory is returned. */
static void free_secret(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static char *basic_header_for(const char *user, const char *pass)
{
	char *pair = cz_xasprintf("%s:%s", user, pass);
	char *encoded = cz_base64_encode(pair, strlen(pair));
	char *header = cz_xasprintf("Authorization: Basic %s", encoded);

	free_secret(pair);
	free_secret(encoded);
	return header;
}

/* Credentials: explicit ones win over the docker config. */
static int set_credentials(cz_oci *c, const cz_oci_opts *opts, cz_error *err)
{
	char *user = NULL, *pass = NULL;
	int rc = CZ_OK;

	if (opts->username && opts->password) {
		c->basic_header = basic_header_for(opts->username,
						   opts->password);
		goto cleanup;
	}
	if (!opts->docker_config)
		goto cleanup;
	rc = cz_oci_docker_config_lookup(opts->docker_config,
					 strlen(opts->docker_config), c->host,
					 &user, &pass, err);
	if (rc == CZ_ENOTFOUND) {
		cz_error_clear(err);
		rc = CZ_OK; /* anonymous */
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	c->basic_header = basic_header_for(user, pass);
cleanup:
	free_secret(user);
	free_secret(pass);
	return rc;
}

int cz_oci_open(const char *host, const cz_oci_opts *opts, cz_oci **out,
		cz_error *err)
{
	static const cz_oci_opts none = { 0 };
	cz_oci *c = NULL;
	int rc = CZ_OK;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return cz_fail(err, CZ_ERR, "libcurl: %s",
			       curl_easy_strerror(global_rc));
	if (!host || !*host || strpbrk(host, "/ \t\r\n@"))
		return cz_fail(err, CZ_EINVALID, "bad registry host \"%s\"",
			       host ? host : "");
	if (!opts)
		opts = &none;
	c = cz_xcalloc(1, sizeof(*c));
	c->host = cz_xstrdup(host);
	c->base = cz_xasprintf("%s://%s", opts->insecure ? "http" : "https",
			       host);
	c->opts = *opts;
	/* Only the handle's own copies are kept: the caller's strings (and
	 * its secrets) may go away after this call. */
	c->opts.username = c->opts.password = c->opts.docker_config = NULL;
	c->ca_file = opts->ca_file ? cz_xstrdup(opts->ca_file) : NULL;
	c->opts.ca_file = c->ca_file;
	c->user_agent = cz_xstrdup(opts->user_agent ? opts->user_agent
						    : "cozypkg/" CZ_VERSION);
	c->opts.user_agent = c->user_agent;
#define DEFAULT(field, value)                                                  \
	if (!c->opts.field)                                                    \
	c->opts.field = (value)
	DEFAULT(connect_timeout_seconds, DEFAULT_CONNECT_TIMEOUT);
	DEFAULT(timeout_seconds, DEFAULT_TIMEOUT);
	DEFAULT(stall_seconds, DEFAULT_STALL);
	DEFAULT(max_attempts, DEFAULT_ATTEMPTS);
	DEFAULT(retry_base_ms, DEFAULT_RETRY_BASE_MS);
	DEFAULT(retry_max_ms, DEFAULT_RETRY_MAX_MS);
	DEFAULT(retry_after_max_ms, DEFAULT_RETRY_AFTER_MAX_MS);
	DEFAULT(max_blob, DEFAULT_MAX_BLOB);
	DEFAULT(max_manifest, CZ_OCI_MANIFEST_MAX);
	DEFAULT(max_tags, DEFAULT_MAX_TAGS);
#undef DEFAULT
	c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
		 (uint64_t)(uintptr_t)c;
	if ((rc = set_credentials(c, opts, err)) < 0)
		goto cleanup;
	c->curl = curl_easy_init();
	if (!c->curl)
		rc = cz_fail(err, CZ_ERR, "%s: cannot create a libcurl handle",
			     host);
cleanup:
	if (rc < 0)
		cz_oci_free(c);
	else
		*out = c;
	return rc;
}

static void tokens_clear(cz_oci *c)
{
	for (size_t i = 0; i < c->n_tokens; i++) {
		free(c->tokens[i].scope);
		free_secret(c->tokens[i].header);
	}
	c->n_tokens = 0;
}

void cz_oci_free(cz_oci *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	tokens_clear(c);
	free_secret(c->basic_header);
	free(c->bearer_realm);
	free(c->bearer_service);
	free(c->host);
	free(c->base);
	free(c->ca_file);
	free(c->user_agent);
	free(c);
}

const char *cz_oci_host(const cz_oci *c)
{
	return c->host;
}

void cz_oci_stats_get(const cz_oci *c, cz_oci_stats *out)
{
	*out = c->stats;
}

const cz_oci_opts *oci_opts(const cz_oci *c)
{
	return &c->opts;
}

unsigned oci_max_attempts(const cz_oci *c)
{
	return c->opts.max_attempts;
}

/* ---- responses and URLs ---------------------------------------------- */

void oci_resp_init(oci_resp *r)
{
	memset(r, 0, sizeof(*r));
	cz_buf_init(&r->headers, MAX_HEADERS);
	cz_buf_init(&r->err_body, MAX_ERROR_BODY);
}

void oci_resp_release(oci_resp *r)
{
	cz_buf_release(&r->headers);
	cz_buf_release(&r->err_body);
	free(r->url);
	r->url = NULL;
}

/* Empties r for another attempt, keeping its buffers' caps. */
static void resp_reset(oci_resp *r)
{
	r->status = 0;
	cz_buf_reset(&r->headers);
	cz_buf_reset(&r->err_body);
	r->digest[0] = '\0';
	r->body_len = 0;
	r->retryable = false;
}

char *oci_resp_header(const oci_resp *r, const char *name, unsigned nth)
{
	const char *p = r->headers.data;
	size_t name_len = strlen(name);

	while (*p) {
		size_t line_len = strcspn(p, "\r\n");

		if (line_len > name_len && p[name_len] == ':' &&
		    !strncasecmp(p, name, name_len) && nth-- == 0) {
			const char *v = p + name_len + 1;
			const char *end = p + line_len;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			return cz_xstrndup(v, (size_t)(end - v));
		}
		p += line_len;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	return NULL;
}

char *oci_url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *got = NULL, *url = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &got, 0) == CURLUE_OK)
		url = cz_xstrdup(got);
	curl_free(got);
	curl_url_cleanup(u);
	return url;
}

char *oci_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
		    ch == '~') {
			cz_buf_putc(&b, (char)ch);
		} else {
			cz_buf_putc(&b, '%');
			cz_buf_putc(&b, hex[ch >> 4]);
			cz_buf_putc(&b, hex[ch & 15]);
		}
	}
	return cz_buf_detach(&b, NULL);
}

/* scheme://host:port of url, lowercased, with the default port filled
 * in; malloc'ed or NULL when url does not parse. */
static char *origin_of(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *origin = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		    CURLUE_OK) {
		origin = cz_xasprintf("%s://%s:%s", scheme, host, port);
		for (char *p = origin; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return origin;
}

static bool same_origin(const char *a, const char *b)
{
	char *oa = origin_of(a), *ob = origin_of(b);
	bool same = oa && ob && !strcmp(oa, ob);

	free(oa);
	free(ob);
	return same;
}

/* The URL with its query string cut off, for messages: upload URLs carry
 * session state that means nothing to a reader. */
static void put_url_for_message(cz_buf *b, const char *url)
{
	cz_buf_append(b, url, strcspn(url, "?#"));
}

/* ---- one HTTP exchange ----------------------------------------------- */

typedef struct xfer {
	const oci_req *rq;
	oci_resp *resp;
	cz_oci_sha256 hash;
	uint64_t received;
	uint64_t sent;
	bool too_large;
	bool headers_too_large;
	int write_errno;
} xfer;

static bool success_status(long status)
{
	return status >= 200 && status < 300;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	xfer *x = ctx;
	size_t len = size * n;

	/* A new status line (after a 100 Continue) starts a new answer. */
	if (len > 12 && !strncmp(data, "HTTP/", 5)) {
		const char *sp = memchr(data, ' ', len);

		cz_buf_reset(&x->resp->headers);
		x->resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	if (cz_buf_append(&x->resp->headers, data, len) < 0) {
		x->headers_too_large = true;
		return 0;
	}
	return len;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	xfer *x = ctx;
	const oci_req *rq = x->rq;
	size_t len = size * n;

	if (!success_status(x->resp->status)) {
		/* Only read for its message: a long one is cut, not fatal. */
		size_t room = x->resp->err_body.max - x->resp->err_body.len;

		cz_buf_append(&x->resp->err_body, data, len < room ? len : room);
		return len;
	}
	if ((rq->max_body && x->received + len > rq->max_body) ||
	    (rq->expect_size >= 0 &&
	     x->received + len > (uint64_t)rq->expect_size)) {
		x->too_large = true;
		return 0;
	}
	cz_oci_sha256_update(&x->hash, data, len);
	x->received += len;
	if (rq->out_buf) {
		if (cz_buf_append(rq->out_buf, data, len) < 0) {
			x->too_large = true;
			return 0;
		}
	} else if (rq->out_fd >= 0) {
		if ((x->write_errno = write_all(rq->out_fd, data, len)) != 0)
			return 0;
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
	xfer *x = ctx;
	const oci_req *rq = x->rq;
	uint64_t left = rq->body_len - x->sent;
	size_t want = size * n;
	ssize_t got;

	if (want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	if (rq->body_mem) {
		memcpy(buf, rq->body_mem + x->sent, want);
		x->sent += want;
		return want;
	}
	do
		got = pread(rq->body_fd, buf, want,
			    (off_t)(rq->body_offset + x->sent));
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return CURL_READFUNC_ABORT; /* the file shrank or failed */
	x->sent += (uint64_t)got;
	return (size_t)got;
}

/* libcurl rewinds the body when it must send it again on the same
 * transfer (e.g. a connection that dropped before any answer). */
static int on_seek(void *ctx, curl_off_t offset, int origin)
{
	xfer *x = ctx;

	if (origin != SEEK_SET || offset < 0 ||
	    (uint64_t)offset > x->rq->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static struct curl_slist *add_header(struct curl_slist *h, const char *name,
				     const char *value)
{
	char *line;

	if (!value)
		return h;
	line = cz_xasprintf("%s: %s", name, value);
	h = curl_slist_append(h, line);
	free(line);
	return h;
}

static void set_options(cz_oci *c, const oci_req *rq, const char *url,
			struct curl_slist *headers, xfer *x)
{
	CURL *h = c->curl;
	const char *m = rq->method;

	c->errbuf[0] = '\0';
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
			 (long)c->opts.connect_timeout_seconds);
	if (rq->blob) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
				 (long)c->opts.stall_seconds);
		curl_easy_setopt(h, CURLOPT_BUFFERSIZE, BLOB_BUFFER_SIZE);
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, BLOB_BUFFER_SIZE);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT,
				 (long)c->opts.timeout_seconds);
	}
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	if (!strcmp(m, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(m, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(m, "DELETE")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	} else {
		/* POST, PUT, PATCH: the body (possibly empty) is read through
		 * on_read, so that a file streams and Content-Length is
		 * always sent. */
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(rq->has_body ? rq->body_len : 0));
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
	}
}

/* Starts "HOST: what" in b, the head of every message about rq. */
static void message_head(const cz_oci *c, const oci_req *rq, cz_buf *b)
{
	cz_buf_printf(b, "%s: %s", c->host, rq->what ? rq->what : rq->method);
}

/* One line about a failed transfer; never includes request headers. */
static int transfer_error(cz_oci *c, const oci_req *rq, CURLcode cc,
			  const xfer *x, cz_error *err)
{
	cz_buf b;
	long os_errno = 0;
	int code = CZ_EIO;
	int rc;

	cz_buf_init(&b, CZ_ERROR_MSG_MAX);
	message_head(c, rq, &b);
	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	if (x->too_large) {
		code = CZ_ETOOLARGE;
		if (rq->expect_size >= 0)
			cz_buf_printf(&b, ": body larger than the %lld bytes "
					  "expected",
				      (long long)rq->expect_size);
		else
			cz_buf_printf(&b, ": body larger than %llu bytes",
				      (unsigned long long)(rq->max_body
								   ? rq->max_body
								   : rq->out_buf->max));
	} else if (x->headers_too_large) {
		code = CZ_ETOOLARGE;
		cz_buf_printf(&b, ": response headers larger than %u bytes",
			      MAX_HEADERS);
	} else if (x->write_errno) {
		cz_buf_printf(&b, ": writing the body: %s",
			      strerror(x->write_errno));
	} else if (cc == CURLE_PARTIAL_FILE) {
		cz_buf_puts(&b, ": connection closed before the whole body "
				"arrived");
	} else if (cc == CURLE_COULDNT_CONNECT && os_errno) {
		cz_buf_printf(&b, ": %s", strerror((int)os_errno));
	} else if ((cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR) &&
		   os_errno) {
		cz_buf_printf(&b, ": connection failed: %s",
			      strerror((int)os_errno));
	} else {
		cz_buf_printf(&b, ": %s",
			      c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
	}
	for (char *p = b.data; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	rc = cz_fail(err, code, "%s", b.data);
	cz_buf_release(&b);
	return rc;
}

static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int check_served_digest(const cz_oci *c, const oci_req *rq,
			       oci_resp *resp, cz_error *err)
{
	char *served = oci_resp_header(resp, "Docker-Content-Digest", 0);
	int rc = CZ_OK;

	if (served && cz_oci_digest_is_sha256(served) &&
	    strcmp(served, resp->digest)) {
		resp->retryable = true;
		rc = cz_fail(err, CZ_EINVALID,
			     "%s: %s: content does not match the "
			     "Docker-Content-Digest %s",
			     c->host, rq->what ? rq->what : rq->method, served);
	}
	free(served);
	return rc;
}

/*
 * Sends rq to url once.  auth is the Authorization header line or NULL.
 * CZ_OK when an answer arrived; then a 2xx body has been checked against
 * rq's expected digest and size.
 */
static int perform_once(cz_oci *c, const oci_req *rq, const char *url,
			const char *auth, oci_resp *resp, cz_error *err)
{
	struct curl_slist *headers = NULL;
	xfer x = { .rq = rq, .resp = resp };
	CURLcode cc;
	int rc = CZ_OK;

	resp_reset(resp);
	free(resp->url);
	resp->url = cz_xstrdup(url);
	if (rq->out_buf)
		cz_buf_reset(rq->out_buf);
	if (rq->out_fd >= 0 && (ftruncate(rq->out_fd, 0) != 0 ||
				lseek(rq->out_fd, 0, SEEK_SET) != 0)) {
		rc = cz_fail(err, CZ_EIO, "%s: emptying the target file: %s",
			     c->host, strerror(errno));
		goto cleanup;
	}
	if ((rc = cz_oci_sha256_init(&x.hash, err)) < 0)
		goto cleanup;
	/* No "Expect: 100-continue" round trip before a body. */
	headers = curl_slist_append(headers, "Expect:");
	headers = add_header(headers, "Accept", rq->accept);
	headers = add_header(headers, "Content-Type", rq->content_type);
	headers = add_header(headers, "Content-Range", rq->content_range);
	if (auth)
		headers = curl_slist_append(headers, auth);
	set_options(c, rq, url, headers, &x);
	c->stats.requests++;
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		resp->retryable = !x.too_large && !x.headers_too_large &&
				  !x.write_errno && retryable_curl(cc);
		rc = transfer_error(c, rq, cc, &x, err);
		goto cleanup;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (!success_status(resp->status) || !strcmp(rq->method, "HEAD"))
		goto cleanup;
	cz_oci_sha256_final(&x.hash, resp->digest);
	resp->body_len = x.received;
	if (rq->expect_size >= 0 && x.received != (uint64_t)rq->expect_size) {
		resp->retryable = true;
		rc = cz_fail(err, CZ_EINVALID,
			     "%s: %s: got %llu bytes, expected %lld", c->host,
			     rq->what ? rq->what : rq->method,
			     (unsigned long long)x.received,
			     (long long)rq->expect_size);
		goto cleanup;
	}
	if (rq->expect_digest && strcmp(rq->expect_digest, resp->digest)) {
		resp->retryable = true;
		rc = cz_fail(err, CZ_EINVALID,
			     "%s: %s: content does not match its digest (got "
			     "%s)",
			     c->host, rq->what ? rq->what : rq->method,
			     resp->digest);
		goto cleanup;
	}
	if (rq->check_served_digest &&
	    (rc = check_served_digest(c, rq, resp, err)) < 0)
		goto cleanup;
cleanup:
	if (c->curl)
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	cz_oci_sha256_release(&x.hash);
	return rc;
}

/* ---- retries --------------------------------------------------------- */

static bool retryable_status(long status)
{
	return status == 408 || status == 429 || status == 500 ||
	       status == 502 || status == 503 || status == 504;
}

bool oci_retryable(int rc, const oci_resp *resp)
{
	/* A failure is either a transfer that went wrong (resp->retryable
	 * says whether it may pass) or an answer with a status that may. */
	if (rc < 0 && resp->retryable)
		return true;
	return retryable_status(resp->status);
}

static uint64_t next_random(cz_oci *c)
{
	/* xorshift64: jitter needs spread, not strength. */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/* Retry-After in milliseconds (seconds or an HTTP date), or -1. */
static long long retry_after_ms(const oci_resp *resp)
{
	char *v = oci_resp_header(resp, "Retry-After", 0);
	long long ms = -1;
	char *end;

	if (!v)
		return -1;
	if (*v) {
		long long secs = strtoll(v, &end, 10);

		if (*end == '\0' && secs >= 0) {
			ms = secs > 86400 ? 86400000LL : secs * 1000;
		} else {
			time_t when = curl_getdate(v, NULL);

			if (when > 0)
				ms = when > time(NULL)
					     ? (long long)(when - time(NULL)) *
						       1000
					     : 0;
		}
	}
	free(v);
	return ms;
}

void oci_backoff(cz_oci *c, unsigned attempt, const oci_resp *resp)
{
	long long after = resp ? retry_after_ms(resp) : -1;
	uint64_t delay;
	struct timespec ts;

	if (after >= 0) {
		delay = (uint64_t)after < c->opts.retry_after_max_ms
				? (uint64_t)after
				: c->opts.retry_after_max_ms;
	} else {
		/* Exponential, capped, with "equal jitter": half fixed, half
		 * random, so that clients that failed together spread out. */
		uint64_t base = c->opts.retry_base_ms;

		for (unsigned i = 1; i < attempt && base < c->opts.retry_max_ms;
		     i++)
			base *= 2;
		if (base > c->opts.retry_max_ms)
			base = c->opts.retry_max_ms;
		delay = base / 2 + next_random(c) % (base / 2 + 1);
	}
	if (c->opts.verbose)
		cz_log("warn", "oci: retrying", "host=%s attempt=%u delay_ms=%llu",
		       c->host, attempt + 1, (unsigned long long)delay);
	ts.tv_sec = (time_t)(delay / 1000);
	ts.tv_nsec = (long)(delay % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- tokens ---------------------------------------------------------- */

static token_entry *token_find(cz_oci *c, const char *scope)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < c->n_tokens; i++)
		if (!strcmp(c->tokens[i].scope, scope))
			return c->tokens[i].expires > now ? &c->tokens[i] : NULL;
	return NULL;
}

static void token_store(cz_oci *c, const char *scope, char *header,
			time_t expires)
{
	token_entry *e = NULL;

	for (size_t i = 0; i < c->n_tokens; i++)
		if (!strcmp(c->tokens[i].scope, scope))
			e = &c->tokens[i];
	if (!e && c->n_tokens == MAX_TOKENS) {
		/* Full: the oldest entry makes room. */
		free(c->tokens[0].scope);
		free_secret(c->tokens[0].header);
		memmove(&c->tokens[0], &c->tokens[1],
			(MAX_TOKENS - 1) * sizeof(c->tokens[0]));
		c->n_tokens--;
	}
	if (!e) {
		e = &c->tokens[c->n_tokens++];
		e->scope = cz_xstrdup(scope);
	} else {
		free_secret(e->header);
	}
	e->header = header;
	e->expires = expires;
}

/* Appends " scope" words of list to b unless b has them already. */
static void add_scopes(cz_buf *words, const char *list)
{
	const char *p = list;

	while (p && *p) {
		size_t n;
		char *w;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (!n)
			break;
		w = cz_xstrndup(p, n);
		bool have = false;
		for (const char *q = words->data; *q;) {
			size_t m = strcspn(q, " ");

			if (m == n && !strncmp(q, w, n))
				have = true;
			q += m;
			while (*q == ' ')
				q++;
		}
		if (!have) {
			if (words->len)
				cz_buf_putc(words, ' ');
			cz_buf_puts(words, w);
		}
		free(w);
		p += n;
	}
}

static int exchange(cz_oci *c, const oci_req *rq, oci_resp *resp,
		    cz_error *err);

/* A token must be a plain header value: nothing that could end the line. */
static bool token_printable(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if ((unsigned char)*t < 0x21 || (unsigned char)*t > 0x7e)
			return false;
	return true;
}

/*
 * Fetches a token for scope (the request's; "" for none) plus the scopes
 * the challenge named, and caches it under scope.
 */
static int fetch_token(cz_oci *c, const char *scope, const char *extra,
		       cz_error *err)
{
	oci_req rq = OCI_REQ_INIT;
	oci_resp resp;
	cz_buf url, words, body;
	json_t *root = NULL, *tok, *life;
	char *esc = NULL;
	long long lifetime = TOKEN_DEFAULT_LIFETIME;
	int rc = CZ_OK;

	oci_resp_init(&resp);
	cz_buf_init(&url, CZ_BUF_UNLIMITED);
	cz_buf_init(&words, CZ_BUF_UNLIMITED);
	cz_buf_init(&body, MAX_TOKEN_BODY);
	if (strncmp(c->bearer_realm, "https://", 8) &&
	    !(c->opts.insecure && !strncmp(c->bearer_realm, "http://", 7))) {
		rc = cz_fail(err, CZ_EDENIED,
			     "%s: token realm %s is not an https URL", c->host,
			     c->bearer_realm);
		goto cleanup;
	}
	cz_buf_puts(&url, c->bearer_realm);
	cz_buf_putc(&url, strchr(c->bearer_realm, '?') ? '&' : '?');
	if (c->bearer_service) {
		esc = oci_escape(c->bearer_service);
		cz_buf_printf(&url, "service=%s", esc);
		free(esc);
		esc = NULL;
	}
	add_scopes(&words, scope);
	add_scopes(&words, extra);
	for (const char *p = words.data; *p;) {
		size_t n = strcspn(p, " ");
		char *w = cz_xstrndup(p, n);

		esc = oci_escape(w);
		free(w);
		cz_buf_printf(&url, "%sscope=%s",
			      url.data[url.len - 1] == '?' ? "" : "&", esc);
		free(esc);
		esc = NULL;
		p += n;
		while (*p == ' ')
			p++;
	}
	rq.method = "GET";
	rq.url = url.data;
	rq.what = "token service";
	rq.accept = "application/json";
	rq.out_buf = &body;
	rq.to_token_service = true;
	c->stats.token_fetches++;
	if ((rc = exchange(c, &rq, &resp, err)) < 0)
		goto cleanup;
	if (resp.status == 401 || resp.status == 403) {
		rc = cz_fail(err, CZ_EDENIED,
			     "%s: the token service refused %s (HTTP %ld)",
			     c->host,
			     c->basic_header ? "the credentials"
					     : "anonymous access",
			     resp.status);
		goto cleanup;
	}
	if (!success_status(resp.status)) {
		rc = cz_fail(err, resp.status == 404 ? CZ_ENOTFOUND : CZ_ERR,
			     "%s: token service: HTTP %ld", c->host,
			     resp.status);
		goto cleanup;
	}
	root = json_loadb(body.data, body.len, 0, NULL);
	tok = json_object_get(root, "token");
	if (!json_is_string(tok) || !json_string_length(tok))
		tok = json_object_get(root, "access_token");
	if (!json_is_string(tok) || !token_printable(json_string_value(tok))) {
		rc = cz_fail(err, CZ_EDENIED,
			     "%s: the token service answered without a usable "
			     "token",
			     c->host);
		goto cleanup;
	}
	life = json_object_get(root, "expires_in");
	if (json_is_integer(life) && json_integer_value(life) > 0)
		lifetime = json_integer_value(life);
	if (lifetime > 86400)
		lifetime = 86400;
	lifetime = lifetime > 2 * TOKEN_MARGIN_SECONDS
			   ? lifetime - TOKEN_MARGIN_SECONDS
			   : lifetime / 2 + 1;
	token_store(c, scope,
		    cz_xasprintf("Authorization: Bearer %s",
				 json_string_value(tok)),
		    time(NULL) + (time_t)lifetime);
cleanup:
	if (root) {
		/* The token's text lives in the parsed tree too. */
		if (json_is_string(tok = json_object_get(root, "token")))
			memset((char *)json_string_value(tok), 0,
			       json_string_length(tok));
		if (json_is_string(tok = json_object_get(root, "access_token")))
			memset((char *)json_string_value(tok), 0,
			       json_string_length(tok));
	}
	json_decref(root);
	if (body.data)
		memset(body.data, 0, body.len);
	cz_buf_release(&body);
	cz_buf_release(&url);
	cz_buf_release(&words);
	oci_resp_release(&resp);
	return rc;
}

/* Handles a 401 from the registry: learns the challenge and gets what it
 * asks for.  CZ_OK when the request is worth sending again. */
static int answer_challenge(cz_oci *c, const oci_req *rq, oci_resp *resp,
			    cz_error *err)
{
	cz_oci_challenge ch = { 0 }, best = { 0 };
	char *value = NULL;
	int rc = CZ_OK;

	for (unsigned i = 0; (value = oci_resp_header(resp, "WWW-Authenticate",
						      i)) != NULL;
	     i++) {
		cz_error perr = CZ_ERROR_INIT;

		if (cz_oci_challenge_parse(value, &ch, &perr) == CZ_OK) {
			if (!best.scheme || (cz_oci_challenge_is(&ch, "Bearer") &&
					     !cz_oci_challenge_is(&best, "Bearer"))) {
				cz_oci_challenge_release(&best);
				best = ch;
				memset(&ch, 0, sizeof(ch));
			}
		}
		cz_oci_challenge_release(&ch);
		free(value);
		value = NULL;
	}
	if (cz_oci_challenge_is(&best, "Bearer")) {
		if (!best.realm || !*best.realm) {
			rc = cz_fail(err, CZ_EDENIED,
				     "%s: Bearer challenge without a realm",
				     c->host);
			goto cleanup;
		}
		free(c->bearer_realm);
		free(c->bearer_service);
		c->bearer_realm = cz_xstrdup(best.realm);
		c->bearer_service = best.service ? cz_xstrdup(best.service)
						 : NULL;
		c->have_bearer = true;
		rc = fetch_token(c, rq->scope ? rq->scope : "", best.scope, err);
		goto cleanup;
	}
	if (cz_oci_challenge_is(&best, "Basic")) {
		if (!c->basic_header) {
			rc = cz_fail(err, CZ_EDENIED,
				     "%s: authentication required and no "
				     "credentials for %s",
				     c->host, c->host);
			goto cleanup;
		}
		if (c->send_basic) {
			rc = cz_fail(err, CZ_EDENIED,
				     "%s: the registry rejected the credentials",
				     c->host);
			goto cleanup;
		}
		c->send_basic = true;
		goto cleanup;
	}
	rc = cz_fail(err, CZ_EDENIED,
		     "%s: %s: 401 without a usable WWW-Authenticate challenge",
		     c->host, rq->what ? rq->what : rq->method);
cleanup:
	cz_oci_challenge_release(&best);
	cz_oci_challenge_release(&ch);
	free(value);
	return rc;
}

/* The Authorization line for a request to url, or NULL (borrowed). */
static const char *auth_for(cz_oci *c, const oci_req *rq, const char *url)
{
	token_entry *t;

	if (rq->to_token_service)
		return same_origin(url, rq->url) ? c->basic_header : NULL;
	if (!same_origin(url, c->base))
		return NULL;
	if (c->have_bearer &&
	    (t = token_find(c, rq->scope ? rq->scope : "")) != NULL)
		return t->header;
	if (c->send_basic)
		return c->basic_header;
	return NULL;
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/* Follows a redirect answer: *url becomes the Location it names. */
static int follow_redirect(cz_oci *c, const oci_req *rq, oci_resp *resp,
			   char **url, unsigned *hops, cz_error *err)
{
	char *location = oci_resp_header(resp, "Location", 0);
	char *next = NULL;
	int rc = CZ_OK;

	if (!location || !*location) {
		rc = cz_fail(err, CZ_ERR, "%s: %s: redirect without Location",
			     c->host, rq->what ? rq->what : rq->method);
		goto cleanup;
	}
	if (++*hops > MAX_REDIRECTS) {
		rc = cz_fail(err, CZ_ERR, "%s: %s: more than %d redirects",
			     c->host, rq->what ? rq->what : rq->method,
			     MAX_REDIRECTS);
		goto cleanup;
	}
	next = oci_url_resolve(*url, location);
	if (!next || (strncmp(next, "https://", 8) &&
		      !(c->opts.insecure && !strncmp(next, "http://", 7)))) {
		cz_buf b;

		cz_buf_init(&b, CZ_ERROR_MSG_MAX);
		cz_buf_printf(&b, "%s: %s: refusing a redirect to ", c->host,
			      rq->what ? rq->what : rq->method);
		put_url_for_message(&b, location);
		rc = cz_fail(err, CZ_EDENIED, "%s", b.data);
		cz_buf_release(&b);
		goto cleanup;
	}
	if (c->opts.verbose)
		cz_log("info", "oci: redirect", "host=%s status=%ld cross_host=%s",
		       c->host, resp->status,
		       same_origin(next, c->base) ? "false" : "true");
	c->stats.redirects++;
	free(*url);
	*url = next;
	next = NULL;
cleanup:
	free(location);
	free(next);
	return rc;
}

/* Fetches a token before the request when the registry is known to want
 * one and none is cached for this scope: saves a 401 round trip. */
static int prefetch_token(cz_oci *c, const oci_req *rq, const char *url,
			  cz_error *err)
{
	if (rq->to_token_service || !c->have_bearer ||
	    !same_origin(url, c->base) ||
	    token_find(c, rq->scope ? rq->scope : ""))
		return CZ_OK;
	return fetch_token(c, rq->scope ? rq->scope : "", NULL, err);
}

static int exchange(cz_oci *c, const oci_req *rq, oci_resp *resp,
		    cz_error *err)
{
	char *url = NULL;
	unsigned attempt = 1, auth_rounds = 0, hops = 0;
	int rc = CZ_OK;

	for (;;) {
		if (!url) {
			url = rq->url[0] == '/'
				      ? cz_xasprintf("%s%s", c->base, rq->url)
				      : cz_xstrdup(rq->url);
			hops = 0;
		}
		if ((rc = prefetch_token(c, rq, url, err)) < 0)
			goto cleanup;
		rc = perform_once(c, rq, url, auth_for(c, rq, url), resp, err);
		if (rc == CZ_OK) {
			long s = resp->status;

			if (s == 401 && !rq->to_token_service &&
			    same_origin(url, c->base) && auth_rounds < 2) {
				auth_rounds++;
				if ((rc = answer_challenge(c, rq, resp, err)) < 0)
					goto cleanup;
				continue;
			}
			if (is_redirect(s) && (!strcmp(rq->method, "GET") ||
					       !strcmp(rq->method, "HEAD"))) {
				if ((rc = follow_redirect(c, rq, resp, &url,
							  &hops, err)) < 0)
					goto cleanup;
				continue;
			}
			if (!retryable_status(s))
				goto cleanup;
		}
		if (!rq->retry || attempt >= c->opts.max_attempts ||
		    !oci_retryable(rc, resp))
			break;
		oci_backoff(c, attempt, rc == CZ_OK ? resp : NULL);
		attempt++;
		c->stats.retries++;
		/* Start again from the registry: a redirect target (signed
		 * storage URL) may have expired. */
		free(url);
		url = NULL;
	}
	if (rc < 0 && attempt > 1)
		cz_error_prefix(err, "after %u attempts", attempt);
cleanup:
	free(url);
	return rc;
}

int oci_exchange(cz_oci *c, const oci_req *rq, oci_resp *resp, cz_error *err)
{
	return exchange(c, rq, resp, err);
}

/* ---- status errors --------------------------------------------------- */

static int code_for_status(long status)
{
	switch (status) {
	case 404: return CZ_ENOTFOUND;
	case 401:
	case 403: return CZ_EDENIED;
	case 400:
	case 405:
	case 416: return CZ_EINVALID;
	case 409: return CZ_ECONFLICT;
	case 413: return CZ_ETOOLARGE;
	default: return CZ_ERR;
	}
}

/* Appends printable bytes of s (at most max), so that a hostile message
 * cannot forge lines or terminal escapes. */
static void put_printable(cz_buf *b, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		cz_buf_putc(b, ch >= 0x20 && ch < 0x7f ? (char)ch : '?');
	}
}

int oci_status_error(const cz_oci *c, const oci_req *rq, const oci_resp *resp,
		     cz_error *err)
{
	json_t *root = json_loadb(resp->err_body.data, resp->err_body.len, 0,
				  NULL);
	json_t *first = json_array_get(json_object_get(root, "errors"), 0);
	const char *code = json_string_value(json_object_get(first, "code"));
	const char *msg = json_string_value(json_object_get(first, "message"));
	cz_buf b;
	int rc;

	cz_buf_init(&b, CZ_ERROR_MSG_MAX);
	message_head(c, rq, &b);
	cz_buf_printf(&b, ": HTTP %ld", resp->status);
	if (code) {
		cz_buf_putc(&b, ' ');
		put_printable(&b, code, 64);
	}
	if (msg) {
		cz_buf_puts(&b, ": ");
		put_printable(&b, msg, 300);
	}
	rc = cz_fail(err, code_for_status(resp->status), "%s", b.data);
	cz_buf_release(&b);
	json_decref(root);
	return rc;
}
