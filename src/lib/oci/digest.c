#include "oci/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/mem.h"

#define READ_CHUNK (1u << 20)

int cz_oci_sha256_init(cz_oci_sha256 *h, cz_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = NULL;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return cz_fail(err, CZ_ERR, "cannot start a SHA-256 digest");
	}
	h->ctx = ctx;
	return CZ_OK;
}

void cz_oci_sha256_update(cz_oci_sha256 *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
}

void cz_oci_sha256_final(cz_oci_sha256 *h, char out[CZ_OCI_DIGEST_BUF])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *p = out;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	memcpy(p, "sha256:", 7);
	p += 7;
	for (unsigned int i = 0; i < n && i < 32; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

void cz_oci_sha256_release(cz_oci_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int cz_oci_digest_bytes(const void *data, size_t len,
			char out[CZ_OCI_DIGEST_BUF], cz_error *err)
{
	cz_oci_sha256 h;
	int rc;

	if ((rc = cz_oci_sha256_init(&h, err)) < 0)
		return rc;
	cz_oci_sha256_update(&h, data, len);
	cz_oci_sha256_final(&h, out);
	cz_oci_sha256_release(&h);
	return CZ_OK;
}

int cz_oci_digest_file(const char *path, char out[CZ_OCI_DIGEST_BUF],
		       uint64_t *size_out, cz_error *err)
{
	cz_oci_sha256 h = { NULL };
	unsigned char *chunk = NULL;
	uint64_t size = 0;
	int fd = -1;
	int rc = CZ_OK;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = cz_fail(err, errno == ENOENT ? CZ_ENOTFOUND : CZ_EIO,
			     "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if ((rc = cz_oci_sha256_init(&h, err)) < 0)
		goto cleanup;
	chunk = cz_xmalloc(READ_CHUNK);
	while ((n = read(fd, chunk, READ_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = cz_fail(err, CZ_EIO, "%s: %s", path,
				     strerror(errno));
			goto cleanup;
		}
		cz_oci_sha256_update(&h, chunk, (size_t)n);
		size += (uint64_t)n;
	}
	cz_oci_sha256_final(&h, out);
	if (size_out)
		*size_out = size;
cleanup:
	free(chunk);
	cz_oci_sha256_release(&h);
	if (fd >= 0)
		close(fd);
	return rc;
}

static bool alg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

bool cz_oci_digest_valid(const char *s)
{
	const char *p = s, *colon;

	if (!s)
		return false;
	/* algorithm-component (separator algorithm-component)* */
	for (;;) {
		if (!alg_char(*p))
			return false;
		while (alg_char(*p))
			p++;
		if (*p == '+' || *p == '.' || *p == '_' || *p == '-')
			p++;
		else
			break;
	}
	if (*p != ':')
		return false;
	colon = p++;
	if (!*p)
		return false;
	if (colon - s == 6 && !strncmp(s, "sha256", 6))
		return strlen(p) == 64 && lower_hex(p, 64);
	if (colon - s == 6 && !strncmp(s, "sha512", 6))
		return strlen(p) == 128 && lower_hex(p, 128);
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '=' || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

bool cz_oci_digest_is_sha256(const char *s)
{
	return s && !strncmp(s, "sha256:", 7) && strlen(s + 7) == 64 &&
	       lower_hex(s + 7, 64);
}
