#ifndef CZ_OCI_DIGEST_H
#define CZ_OCI_DIGEST_H

/*
 * Content digests as the OCI image spec writes them: "algorithm:encoded",
 * e.g. "sha256:" and 64 lowercase hex digits.  Only sha256 is computed
 * (what every registry and Helm use); other well-formed digests are
 * accepted by cz_oci_digest_valid() so that a manifest naming one still
 * parses, and fail later when content would have to be verified.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* "sha256:" + 64 hex + NUL. */
#define CZ_OCI_SHA256_DIGEST_LEN 71
#define CZ_OCI_DIGEST_BUF 72

/* A running SHA-256.  Initialise with cz_oci_sha256_init(), feed with
 * _update(), read with _final() and always _release(). */
typedef struct cz_oci_sha256 {
	void *ctx; /* OpenSSL EVP_MD_CTX, owned */
} cz_oci_sha256;

int cz_oci_sha256_init(cz_oci_sha256 *h, cz_error *err);
void cz_oci_sha256_update(cz_oci_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out; the hash must be initialised again before
 * it is fed more. */
void cz_oci_sha256_final(cz_oci_sha256 *h, char out[CZ_OCI_DIGEST_BUF]);
void cz_oci_sha256_release(cz_oci_sha256 *h);

/* The sha256 digest of data[0..len) into out. */
int cz_oci_digest_bytes(const void *data, size_t len,
			char out[CZ_OCI_DIGEST_BUF], cz_error *err);
/* The sha256 digest and size of the file at path.  Errors name the file. */
int cz_oci_digest_file(const char *path, char out[CZ_OCI_DIGEST_BUF],
		       uint64_t *size_out, cz_error *err);

/* True when s is a well-formed digest: algorithm [a-z0-9]+([+._-][a-z0-9]+)*,
 * ':', encoded [a-zA-Z0-9=_-]+, and for sha256 exactly 64 lowercase hex
 * digits, for sha512 128. */
bool cz_oci_digest_valid(const char *s);
/* True when s is a well-formed sha256 digest (the only one verified). */
bool cz_oci_digest_is_sha256(const char *s);

#endif
