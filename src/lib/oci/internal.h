#ifndef CZ_OCI_INTERNAL_H
#define CZ_OCI_INTERNAL_H

/*
 * Shared between client.c (transport, auth, retries) and registry.c (the
 * distribution API on top of it).  Not part of the public API.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/client.h"
#include "util/buf.h"

/* One request as registry.c describes it to the transport. */
typedef struct oci_req {
	const char *method;  /* GET HEAD POST PUT PATCH DELETE */
	const char *url;     /* "/v2/..." on the registry, or absolute */
	const char *what;    /* for messages, e.g. "manifest 1.0" */
	const char *scope;   /* token scope(s), space-separated; NULL: none */
	const char *accept;  /* NULL: none */
	const char *content_type;
	const char *content_range; /* PATCH chunks */
	/* Body: bytes in memory, or a range of an open file; none when
	 * has_body is false (a POST or PUT then sends Content-Length: 0). */
	bool has_body;
	const char *body_mem;
	int body_fd;
	uint64_t body_offset;
	uint64_t body_len;
	bool retry;  /* safe to send again after a failure */
	/* A request to the token service: Basic credentials go to the realm's
	 * own host, no Bearer token, no challenge handling.  client.c only. */
	bool to_token_service;
	bool blob;   /* a blob transfer: stall limit, no overall timeout */
	/* Response body of a 2xx answer: into out_buf (capped by its max) or
	 * written to out_fd, which is emptied (truncated to 0) before each
	 * attempt; discarded when neither is given. */
	cz_buf *out_buf;
	int out_fd;
	uint64_t max_body;         /* cap for out_fd; 0: none */
	const char *expect_digest; /* sha256 the 2xx body must have, or NULL */
	int64_t expect_size;       /* size it must have, or -1 */
	/* The 2xx body must match the sha256 Docker-Content-Digest the
	 * registry names, when it names one: a tag then resolves to exactly
	 * these bytes. */
	bool check_served_digest;
} oci_req;

#define OCI_REQ_INIT                                                           \
	{ .body_fd = -1, .out_fd = -1, .expect_size = -1, .retry = true }

typedef struct oci_resp {
	long status;
	cz_buf headers;  /* the final answer's header lines */
	cz_buf err_body; /* the body of a non-2xx answer, truncated */
	char digest[CZ_OCI_DIGEST_BUF]; /* sha256 of the 2xx body */
	uint64_t body_len;
	char *url; /* the URL that answered (after redirects); owned */
	bool retryable; /* the failure may pass when tried again */
} oci_resp;

void oci_resp_init(oci_resp *r);
void oci_resp_release(oci_resp *r);

/* The nth (from 0) value of header name in r, trimmed; malloc'ed, the
 * caller frees it; NULL when absent. */
char *oci_resp_header(const oci_resp *r, const char *name, unsigned nth);

/*
 * Sends rq, with auth, redirects and (when rq->retry) retries.  Returns
 * CZ_OK whenever a final answer arrived, whatever its status (the caller
 * reads resp->status); transport failures, caps and digest mismatches
 * that outlived the retries return their code with one line in err.
 */
int oci_exchange(cz_oci *c, const oci_req *rq, oci_resp *resp, cz_error *err);

/* The error for a non-2xx answer: code by status, message with the
 * registry's error code and text. */
int oci_status_error(const cz_oci *c, const oci_req *rq, const oci_resp *resp,
		     cz_error *err);

/* True when a failed exchange (rc, resp) may pass if tried again. */
bool oci_retryable(int rc, const oci_resp *resp);
/* Sleeps the backoff before attempt number attempt (1 = first retry). */
void oci_backoff(cz_oci *c, unsigned attempt, const oci_resp *resp);
unsigned oci_max_attempts(const cz_oci *c);
const cz_oci_opts *oci_opts(const cz_oci *c);

/* Resolves ref (absolute or relative) against base; malloc'ed or NULL. */
char *oci_url_resolve(const char *base, const char *ref);
/* Percent-encodes s for a query value; malloc'ed. */
char *oci_escape(const char *s);

#endif
