#include "kube/client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "util/buf.h"
#include "util/mem.h"

#ifndef CZ_VERSION
#define CZ_VERSION "0.0.0"
#endif

#define DEFAULT_TIMEOUT_SECONDS 60
#define CONNECT_TIMEOUT_SECONDS 15
/* A TCP keep-alive probe finds a silently dead server under a long watch,
 * where no request timeout applies. */
#define KEEPALIVE_IDLE_SECONDS 30
#define KEEPALIVE_INTERVAL_SECONDS 10

struct cz_kube {
	cz_kubeconfig kc; /* deep copy */
	cz_kube_opts opts;
	char *user_agent;
	/* The URL requests go to: the server's, or with tls_server_name as
	 * the host, in which case connect_to sends the connection to the
	 * real host (libcurl has no separate SNI option). */
	char *base_url;
	struct curl_slist *connect_to;
	CURL *curl; /* keeps the connection alive between requests */
	char errbuf[CURL_ERROR_SIZE];
	const cz_kube_transport *transport; /* NULL: libcurl */
	void *transport_ctx;
};

/* ---- set-up ----------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

/* libcurl's global state is not thread-safe to create, so it is created
 * exactly once; it lives until the process exits. */
static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
	return s ? cz_xstrdup(s) : NULL;
}

static void kubeconfig_copy(cz_kubeconfig *dst, const cz_kubeconfig *src)
{
	dst->context = dup_or_null(src->context);
	dst->cluster = dup_or_null(src->cluster);
	dst->user = dup_or_null(src->user);
	dst->server = dup_or_null(src->server);
	dst->tls_server_name = dup_or_null(src->tls_server_name);
	dst->ca_pem = dup_or_null(src->ca_pem);
	dst->insecure_skip_tls_verify = src->insecure_skip_tls_verify;
	dst->token = dup_or_null(src->token);
	dst->client_cert_pem = dup_or_null(src->client_cert_pem);
	dst->client_key_pem = dup_or_null(src->client_key_pem);
	dst->namespace = dup_or_null(src->namespace);
}

/* The server URL without trailing slashes, so that paths append. */
static void trim_server(char *server)
{
	size_t n = strlen(server);

	while (n > 0 && server[n - 1] == '/')
		server[--n] = '\0';
}

/* Points requests at tls_server_name while connecting to the real host:
 * the name is then used for SNI and for checking the certificate. */
static int route_tls_server_name(cz_kube *k, cz_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *url = NULL, *entry = NULL;
	int rc = CZ_OK;

	if (!u)
		return cz_fail(err, CZ_ERR, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, k->kc.server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_HOST, k->kc.tls_server_name, 0) !=
		    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		rc = cz_fail(err, CZ_EINVALID,
			     "%s: cannot use tls-server-name %s", k->kc.server,
			     k->kc.tls_server_name);
		goto cleanup;
	}
	entry = cz_xasprintf("%s:%s:%s:%s", k->kc.tls_server_name, port, host,
			     port);
	k->connect_to = curl_slist_append(NULL, entry);
	free(k->base_url);
	k->base_url = cz_xstrdup(url);
	trim_server(k->base_url);
cleanup:
	free(entry);
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

int cz_kube_open(const cz_kubeconfig *kc, const cz_kube_opts *opts,
		 cz_kube **out, cz_error *err)
{
	cz_kube *k = NULL;
	int rc = CZ_OK;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return cz_fail(err, CZ_ERR, "libcurl: %s",
			       curl_easy_strerror(global_rc));
	if (!kc || !kc->server || !*kc->server)
		return cz_fail(err, CZ_EINVALID, "kubeconfig: no server");
	k = cz_xcalloc(1, sizeof(*k));
	kubeconfig_copy(&k->kc, kc);
	trim_server(k->kc.server);
	k->base_url = cz_xstrdup(k->kc.server);
	if (opts)
		k->opts = *opts;
	k->user_agent = opts && opts->user_agent
				? cz_xstrdup(opts->user_agent)
				: cz_xstrdup("cozypkg/" CZ_VERSION);
	k->opts.user_agent = k->user_agent;
	if (!k->opts.timeout_seconds)
		k->opts.timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
	if (!k->opts.max_body)
		k->opts.max_body = CZ_KUBE_MAX_BODY;
	if (k->kc.tls_server_name && *k->kc.tls_server_name &&
	    (rc = route_tls_server_name(k, err)) < 0)
		goto cleanup;
	k->curl = curl_easy_init();
	if (!k->curl)
		rc = cz_fail(err, CZ_ERR, "%s: cannot create a libcurl handle",
			     k->kc.server);
cleanup:
	if (rc < 0)
		cz_kube_free(k);
	else
		*out = k;
	return rc;
}

int cz_kube_open_transport(const cz_kube_transport *t, void *ctx,
			   const char *server, const cz_kube_opts *opts,
			   cz_kube **out, cz_error *err)
{
	cz_kube *k = NULL;

	*out = NULL;
	if (!ctx)
		return cz_fail(err, CZ_ERR, "%s: no transport", server);
	k = cz_xcalloc(1, sizeof(*k));
	k->transport = t;
	k->transport_ctx = ctx;
	k->kc.server = cz_xstrdup(server);
	k->base_url = cz_xstrdup(server);
	if (opts)
		k->opts = *opts;
	k->user_agent = cz_xstrdup(opts && opts->user_agent
					   ? opts->user_agent
					   : "cozypkg/" CZ_VERSION);
	k->opts.user_agent = k->user_agent;
	if (!k->opts.max_body)
		k->opts.max_body = CZ_KUBE_MAX_BODY;
	*out = k;
	return CZ_OK;
}

int cz_kube_dup(const cz_kube *k, cz_kube **out, cz_error *err)
{
	if (k->transport)
		return cz_kube_open_transport(
			k->transport, k->transport->dup(k->transport_ctx),
			k->kc.server, &k->opts, out, err);
	return cz_kube_open(&k->kc, &k->opts, out, err);
}

void cz_kube_free(cz_kube *k)
{
	if (!k)
		return;
	if (k->curl)
		curl_easy_cleanup(k->curl);
	if (k->transport)
		k->transport->free(k->transport_ctx);
	curl_slist_free_all(k->connect_to);
	cz_kubeconfig_release(&k->kc);
	free(k->user_agent);
	free(k->base_url);
	free(k);
}

const char *cz_kube_server(const cz_kube *k)
{
	return k->kc.server;
}

/* ---- paths ------------------------------------------------------------ */

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void put_escaped(cz_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			cz_buf_putc(b, (char)c);
		} else {
			cz_buf_putc(b, '%');
			cz_buf_putc(b, hex[c >> 4]);
			cz_buf_putc(b, hex[c & 15]);
		}
	}
}

char *cz_kube_escape(const char *s)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	put_escaped(&b, s ? s : "");
	return cz_buf_detach(&b, NULL);
}

/* A path segment; "." and ".." would be taken as relative steps, so they
 * are escaped even though their bytes are unreserved. */
static void put_segment(cz_buf *b, const char *s)
{
	cz_buf_putc(b, '/');
	if (!strcmp(s, "."))
		cz_buf_puts(b, "%2E");
	else if (!strcmp(s, ".."))
		cz_buf_puts(b, "%2E%2E");
	else
		put_escaped(b, s);
}

char *cz_kube_path(const cz_resource *r, const char *ns, const char *name,
		   const char *sub, const char *query)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	if (!r->group || !*r->group)
		cz_buf_puts(&b, "/api");
	else
		cz_buf_printf(&b, "/apis/%s", r->group);
	cz_buf_printf(&b, "/%s", r->version);
	if (r->namespaced && ns && *ns) {
		cz_buf_puts(&b, "/namespaces");
		put_segment(&b, ns);
	}
	cz_buf_printf(&b, "/%s", r->resource);
	if (name) {
		put_segment(&b, name);
		if (sub && *sub)
			put_segment(&b, sub);
	}
	if (query && *query)
		cz_buf_printf(&b, "?%s", query);
	return cz_buf_detach(&b, NULL);
}

/* ---- one transfer ----------------------------------------------------- */

void cz_kube_response_release(cz_kube_response *r)
{
	if (!r)
		return;
	json_decref(r->body);
	r->body = NULL;
	r->status = 0;
}

/* What the write callback fills: the body, capped. */
typedef struct body_sink {
	cz_buf buf;
	bool too_large;
} body_sink;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	body_sink *s = ctx;

	if (cz_buf_append(&s->buf, data, size * n) < 0) {
		s->too_large = true;
		return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* Options that every request carries; set again after each
 * curl_easy_reset(), which keeps the live connection. */
static void set_common(cz_kube *k, const char *path,
		       struct curl_slist *headers)
{
	CURL *c = k->curl;
	char *url = cz_xasprintf("%s%s", k->base_url, path);

	k->errbuf[0] = '\0';
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	free(url); /* libcurl copies string options */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads */
	curl_easy_setopt(c, CURLOPT_USERAGENT, k->user_agent);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			 (long)CONNECT_TIMEOUT_SECONDS);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, (long)KEEPALIVE_IDLE_SECONDS);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL,
			 (long)KEEPALIVE_INTERVAL_SECONDS);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	if (k->connect_to)
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, k->connect_to);
	if (k->kc.ca_pem) {
		struct curl_blob ca = { k->kc.ca_pem, strlen(k->kc.ca_pem),
					CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	}
	if (k->kc.client_cert_pem && k->kc.client_key_pem) {
		struct curl_blob cert = { k->kc.client_cert_pem,
					  strlen(k->kc.client_cert_pem),
					  CURL_BLOB_COPY };
		struct curl_blob key = { k->kc.client_key_pem,
					 strlen(k->kc.client_key_pem),
					 CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (k->kc.insecure_skip_tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static struct curl_slist *make_headers(const cz_kube *k,
				       const char *content_type)
{
	struct curl_slist *h = NULL;
	char *line = NULL;

	h = curl_slist_append(h, "Accept: application/json");
	/* No "Expect: 100-continue" round trip before a body. */
	h = curl_slist_append(h, "Expect:");
	if (content_type) {
		line = cz_xasprintf("Content-Type: %s", content_type);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (k->kc.token && *k->kc.token) {
		line = cz_xasprintf("Authorization: Bearer %s", k->kc.token);
		h = curl_slist_append(h, line);
		free(line);
	}
	return h;
}

static void set_method(CURL *c, const char *method, const char *body,
		       size_t len)
{
	if (!strcmp(method, "GET"))
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POST, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
}

/* The cause of a failed transfer, for "SERVER: cause"; one line. */
static void describe_failure(const cz_kube *k, CURLcode cc, char *out,
			     size_t size)
{
	long os_errno = 0;

	curl_easy_getinfo(k->curl, CURLINFO_OS_ERRNO, &os_errno);
	if (cc == CURLE_COULDNT_CONNECT && os_errno)
		snprintf(out, size, "%s", strerror((int)os_errno));
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(out, size, "timed out (%s)",
			 k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc));
	else
		snprintf(out, size, "%s",
			 k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc));
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	/* "Failed to ..." reads as "failed to ..." after "SERVER: ", but an
	 * acronym ("SSL: ...") keeps its case. */
	if (out[0] && islower((unsigned char)out[1]))
		out[0] = (char)tolower((unsigned char)out[0]);
}

static int transfer_failed(const cz_kube *k, CURLcode cc, bool too_large,
			   cz_error *err)
{
	char cause[CURL_ERROR_SIZE + 64];

	if (too_large)
		return cz_fail(err, CZ_ETOOLARGE,
			       "%s: response larger than %zu bytes",
			       k->kc.server, k->opts.max_body);
	describe_failure(k, cc, cause, sizeof(cause));
	return cz_fail(err, CZ_EIO, "%s: %s", k->kc.server, cause);
}

static json_t *parse_body(const cz_buf *b)
{
	if (!b->len)
		return NULL;
	return json_loadb(b->data, b->len, 0, NULL);
}

/* A successful answer goes through the projection when there is one;
 * error answers are parsed whole, for their Status. */
static int parse_answer(cz_kube *k, const cz_buf *b, const cz_projection *proj,
			cz_kube_response *resp, cz_error *err)
{
	cz_error inner = CZ_ERROR_INIT;

	if (!proj || resp->status < 200 || resp->status > 299 || !b->len) {
		resp->body = parse_body(b);
		return CZ_OK;
	}
	if (cz_json_project(b->data, b->len, proj, &resp->body, &inner) < 0)
		return cz_fail(err, CZ_EINVALID, "%s: the answer is not JSON: %s",
			       k->kc.server, inner.msg);
	return CZ_OK;
}

/* One request, as set up, into sink, within the handle's timeout. */
static CURLcode transfer(cz_kube *k, body_sink *sink)
{
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT,
			 (long)k->opts.timeout_seconds);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, sink);
	return curl_easy_perform(k->curl);
}

static int perform(cz_kube *k, const char *method, const char *path,
		   const char *content_type, const json_t *body,
		   const cz_projection *proj, cz_kube_response *resp,
		   cz_error *err)
{
	struct curl_slist *headers = NULL;
	char *text = NULL;
	body_sink sink = { .too_large = false };
	CURLcode cc;
	int rc = CZ_OK;

	resp->status = 0;
	resp->body = NULL;
	if (k->transport)
		return k->transport->request(k->transport_ctx, method, path,
					     content_type, body, proj, resp,
					     err);
	cz_buf_init(&sink.buf, k->opts.max_body);
	if (body) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text) {
			rc = cz_fail(err, CZ_EINVALID,
				     "%s %s: body cannot be encoded", method,
				     path);
			goto cleanup;
		}
		if (!content_type)
			content_type = "application/json";
	}
	headers = make_headers(k, body ? content_type : NULL);
	set_common(k, path, headers);
	set_method(k->curl, method, text, text ? strlen(text) : 0);
	cc = transfer(k, &sink);
	if (cc != CURLE_OK) {
		rc = transfer_failed(k, cc, sink.too_large, err);
		goto cleanup;
	}
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	rc = parse_answer(k, &sink.buf, proj, resp, err);
cleanup:
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	free(text);
	cz_buf_release(&sink.buf);
	return rc;
}

static int code_for(long status, const char *reason);

/* A foreign server gets neither the token nor the client certificate. */
static void forget_credentials(cz_kube *k, const char *url)
{
	curl_easy_setopt(k->curl, CURLOPT_URL, url);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(k->curl, CURLOPT_SSLCERT_BLOB, NULL);
	curl_easy_setopt(k->curl, CURLOPT_SSLKEY_BLOB, NULL);
	curl_easy_setopt(k->curl, CURLOPT_CAINFO_BLOB, NULL);
	curl_easy_setopt(k->curl, CURLOPT_CONNECT_TO, NULL);
}

int cz_kube_fetch(cz_kube *k, const char *url, cz_buf *out, cz_error *err)
{
	size_t base = strlen(k->base_url);
	bool ours = strncmp(url, k->base_url, base) == 0 && url[base] == '/';
	struct curl_slist *headers = NULL;
	body_sink sink = { .too_large = false };
	long status = 0;
	CURLcode cc;
	int rc = CZ_OK;

	if (k->transport)
		return cz_fail(err, CZ_EINVALID, "%s: not fetched in process",
			       url);
	sink.buf = *out;
	headers = make_headers(k, NULL);
	set_common(k, ours ? url + base : "/", headers);
	if (!ours)
		forget_credentials(k, url);
	cc = transfer(k, &sink);
	*out = sink.buf;
	if (cc != CURLE_OK) {
		rc = sink.too_large
			     ? cz_fail(err, CZ_ETOOLARGE, "%s: larger than %zu "
				       "bytes", url, out->max)
			     : cz_fail(err, CZ_EIO, "%s: %s", url,
				       k->errbuf[0] ? k->errbuf
						    : curl_easy_strerror(cc));
		goto cleanup;
	}
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		rc = cz_fail(err, code_for(status, NULL), "%s: HTTP %ld", url,
			     status);
cleanup:
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return rc;
}

int cz_kube_request(cz_kube *k, const char *method, const char *path,
		    const char *content_type, const json_t *body,
		    cz_kube_response *resp, cz_error *err)
{
	return perform(k, method, path, content_type, body, NULL, resp, err);
}

/* ---- status mapping --------------------------------------------------- */

static const char *status_string(const json_t *body, const char *key)
{
	const char *s = json_string_value(json_object_get(body, key));

	return s && *s ? s : NULL;
}

static int code_for(long status, const char *reason)
{
	switch (status) {
	case 404: return CZ_ENOTFOUND;
	case 409:
		return reason && !strcmp(reason, "AlreadyExists") ? CZ_EEXISTS
								  : CZ_ECONFLICT;
	case 400:
	case 422: return CZ_EINVALID;
	case 401:
	case 403: return CZ_EDENIED;
	case 410: return CZ_EGONE;
	case 413: return CZ_ETOOLARGE;
	default: return CZ_ERR;
	}
}

int cz_kube_check(const cz_kube *k, const cz_kube_response *resp,
		  cz_error *err)
{
	const char *reason = status_string(resp->body, "reason");
	const char *message = status_string(resp->body, "message");

	if (resp->status >= 200 && resp->status < 300)
		return CZ_OK;
	if (message)
		return cz_fail(err, code_for(resp->status, reason), "%s",
			       message);
	return cz_fail(err, code_for(resp->status, reason),
		       "%s: HTTP status %ld%s%s", k->kc.server, resp->status,
		       reason ? " " : "", reason ? reason : "");
}

/* Sends one request and maps the answer; the body goes to *out. */
static int verb(cz_kube *k, const char *method, const char *path,
		const char *content_type, const json_t *body, json_t **out,
		cz_error *err)
{
	cz_kube_response resp = { 0, NULL };
	int rc;

	if (out)
		*out = NULL;
	if ((rc = cz_kube_request(k, method, path, content_type, body, &resp,
				  err)) < 0 ||
	    (rc = cz_kube_check(k, &resp, err)) < 0)
		goto cleanup;
	if (out) {
		*out = resp.body;
		resp.body = NULL;
	}
cleanup:
	cz_kube_response_release(&resp);
	return rc;
}

int cz_kube_get_projected(cz_kube *k, const char *path,
			  const cz_projection *proj, json_t **out,
			  cz_error *err)
{
	cz_kube_response resp = { 0, NULL };
	int rc;

	*out = NULL;
	if ((rc = perform(k, "GET", path, NULL, NULL, proj, &resp, err)) < 0 ||
	    (rc = cz_kube_check(k, &resp, err)) < 0)
		goto cleanup;
	*out = resp.body;
	resp.body = NULL;
cleanup:
	cz_kube_response_release(&resp);
	return rc;
}

int cz_kube_list(cz_kube *k, const cz_resource *r, const char *ns,
		 const char *label_selector, json_t **list, cz_error *err)
{
	char *esc = label_selector ? cz_kube_escape(label_selector) : NULL;
	char *query = esc ? cz_xasprintf("labelSelector=%s", esc) : NULL;
	char *path = cz_kube_path(r, ns, NULL, NULL, query);
	int rc = cz_kube_get(k, path, list, err);

	free(path);
	free(query);
	free(esc);
	return rc;
}

int cz_kube_get(cz_kube *k, const char *path, json_t **out, cz_error *err)
{
	return verb(k, "GET", path, NULL, NULL, out, err);
}

int cz_kube_create(cz_kube *k, const char *path, const json_t *obj,
		   json_t **out, cz_error *err)
{
	return verb(k, "POST", path, NULL, obj, out, err);
}

int cz_kube_update(cz_kube *k, const char *path, const json_t *obj,
		   json_t **out, cz_error *err)
{
	return verb(k, "PUT", path, NULL, obj, out, err);
}

int cz_kube_patch(cz_kube *k, const char *path, const char *patch_type,
		  const json_t *patch, json_t **out, cz_error *err)
{
	return verb(k, "PATCH", path,
		    patch_type ? patch_type : "application/merge-patch+json",
		    patch, out, err);
}

int cz_kube_delete(cz_kube *k, const char *path, const json_t *options,
		   json_t **out, cz_error *err)
{
	return verb(k, "DELETE", path, NULL, options, out, err);
}

/* ---- watch ------------------------------------------------------------ */

typedef struct watch_state {
	cz_kube *k;
	cz_kube_event_fn on_event;
	void *ctx;
	volatile int *stop;
	cz_buf line;      /* bytes of the event being received */
	size_t scanned;   /* line[0, scanned) holds no newline */
	bool checked;     /* the status has been looked at */
	bool streaming;   /* 2xx: the body is events, else a Status */
	bool too_large;
	int result;       /* the handler's non-zero value, or an error */
	cz_error *err;
} watch_state;

/* Decodes one event line and hands it over; returns the handler's value
 * or a negative code for a malformed line. */
static int dispatch_line(watch_state *w, const char *text, size_t len)
{
	json_t *ev = NULL;
	const char *type;
	json_t *object;
	int rc;

	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (!len)
		return CZ_OK; /* blank line: nothing to say */
	ev = json_loadb(text, len, 0, NULL);
	type = json_string_value(json_object_get(ev, "type"));
	object = json_object_get(ev, "object");
	if (!type || !json_is_object(object))
		rc = cz_fail(w->err, CZ_EINVALID,
			     "%s: malformed watch event", w->k->kc.server);
	else
		rc = w->on_event(w->ctx, type, object, NULL);
	json_decref(ev);
	return rc;
}

/* Dispatches every complete line in the buffer and keeps the rest. */
static int drain_lines(watch_state *w)
{
	size_t start = 0;
	int rc = CZ_OK;

	for (size_t i = w->scanned; i < w->line.len; i++) {
		if (w->line.data[i] != '\n')
			continue;
		if ((rc = dispatch_line(w, w->line.data + start, i - start)))
			break;
		start = i + 1;
	}
	if (start) {
		memmove(w->line.data, w->line.data + start,
			w->line.len - start);
		w->line.len -= start;
		w->line.data[w->line.len] = '\0';
	}
	w->scanned = w->line.len;
	return rc;
}

static size_t on_watch_data(char *data, size_t size, size_t n, void *ctx)
{
	watch_state *w = ctx;
	long status = 0;

	if (!w->checked) {
		curl_easy_getinfo(w->k->curl, CURLINFO_RESPONSE_CODE, &status);
		w->streaming = status >= 200 && status < 300;
		w->checked = true;
	}
	if (cz_buf_append(&w->line, data, size * n) < 0) {
		w->too_large = true;
		return 0;
	}
	if (!w->streaming)
		return size * n; /* a Status, read whole at the end */
	if ((w->result = drain_lines(w)))
		return 0; /* ends the transfer */
	return size * n;
}

/* Called by libcurl about once a second even when no data flows, which
 * is what lets *stop end an idle watch. */
static int on_watch_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
			     curl_off_t ultotal, curl_off_t ulnow)
{
	watch_state *w = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return w->stop && *w->stop;
}

/* How a finished watch transfer ends, once libcurl has returned cc. */
static int watch_result(watch_state *w, CURLcode cc)
{
	cz_kube_response resp = { 0, NULL };
	int rc;

	if (w->result)
		return w->result;
	if (cc == CURLE_ABORTED_BY_CALLBACK && w->stop && *w->stop)
		return CZ_OK;
	if (w->too_large)
		return cz_fail(w->err, CZ_ETOOLARGE,
			       "%s: watch event larger than %zu bytes",
			       w->k->kc.server, w->k->opts.max_body);
	if (cc != CURLE_OK)
		return transfer_failed(w->k, cc, false, w->err);
	curl_easy_getinfo(w->k->curl, CURLINFO_RESPONSE_CODE, &resp.status);
	if (resp.status < 200 || resp.status >= 300) {
		resp.body = parse_body(&w->line);
		rc = cz_kube_check(w->k, &resp, w->err);
		cz_kube_response_release(&resp);
		return rc;
	}
	/* The stream may end without a final newline. */
	return dispatch_line(w, w->line.data, w->line.len);
}

int cz_kube_watch(cz_kube *k, const char *path, cz_kube_event_fn on_event,
		  void *ctx, volatile int *stop, cz_error *err)
{
	return cz_kube_watch_projected(k, path, NULL, on_event, ctx, stop,
				       err);
}

int cz_kube_watch_projected(cz_kube *k, const char *path,
			    const cz_projection *proj,
			    cz_kube_event_fn on_event, void *ctx,
			    volatile int *stop, cz_error *err)
{
	struct curl_slist *headers = NULL;
	watch_state w = { .k = k, .on_event = on_event, .ctx = ctx,
			  .stop = stop, .err = err };
	CURLcode cc;
	int rc;

	if (k->transport)
		return k->transport->watch(k->transport_ctx, path, proj,
					   on_event, ctx, stop, err);
	headers = make_headers(k, NULL);
	cz_buf_init(&w.line, k->opts.max_body);
	set_common(k, path, headers);
	curl_easy_setopt(k->curl, CURLOPT_HTTPGET, 1L);
	/* No overall timeout: a watch lasts as long as the server keeps it. */
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(k->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, on_watch_progress);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFODATA, &w);
	cc = curl_easy_perform(k->curl);
	rc = watch_result(&w, cc);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	cz_buf_release(&w.line);
	return rc;
}

int cz_kube_ensure_namespace(cz_kube *k, const char *ns, cz_error *err)
{
	const cz_resource *res = cz_resource_find("", "v1", "namespaces");
	char *path = cz_kube_path(res, NULL, ns, NULL, NULL);
	json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1",
				"kind", "Namespace", "metadata", "name", ns);
	int rc = cz_kube_get(k, path, NULL, err);

	if (rc == CZ_ENOTFOUND) {
		free(path);
		path = cz_kube_path(res, NULL, NULL, NULL, NULL);
		rc = cz_kube_create(k, path, obj, NULL, err);
		rc = rc == CZ_EEXISTS ? CZ_OK : rc;
	}
	json_decref(obj);
	free(path);
	return rc;
}
