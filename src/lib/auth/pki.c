#include "auth/pki.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/fileio.h"
#include "util/mem.h"

#define PEM_FILE_MAX (1024 * 1024)
#define CA_DAYS 3650
#define SERVER_DAYS 365
/* notBefore is set this far back so that a client whose clock is a little
 * behind still accepts a certificate issued a moment ago. */
#define BACKDATE_SECONDS 3600L

static const char *const builtin_sans[] = { "localhost", "127.0.0.1", "::1",
					    NULL };

/* Fails with the crypto library's latest reason appended to what. */
static int crypto_fail(cz_error *err, const char *what)
{
	char reason[256] = "unknown reason";
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return cz_fail(err, CZ_ERR, "%s: %s", what, reason);
}

/* ---- names ------------------------------------------------------------ */

static bool valid_dns_label(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool valid_dns_name(const char *name)
{
	const char *p = name;
	bool only_digits = true;

	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (*p == '\0' || strlen(name) > 253)
		return false;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q) && *q != '.')
			only_digits = false;
	/* "10.0.0" is a mistyped address, not a host name. */
	if (only_digits)
		return false;
	while (*p) {
		size_t len = strcspn(p, ".");

		if (!valid_dns_label(p, len))
			return false;
		p += len;
		if (*p == '.' && *++p == '\0')
			return false;
	}
	return true;
}

/* Appends one SAN to names unless it is already there; DNS names are
 * stored in lower case so that comparing names is comparing bytes. */
static int add_san(GENERAL_NAMES *names, const char *san, cz_error *err)
{
	GENERAL_NAME *gen = GENERAL_NAME_new();
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(san);
	ASN1_IA5STRING *dns = NULL;
	char *lower = NULL;
	int rc = CZ_OK;

	ERR_clear_error();
	if (ip) {
		GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
	} else if (valid_dns_name(san)) {
		lower = cz_xstrdup(san);
		for (char *c = lower; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		dns = ASN1_IA5STRING_new();
		ASN1_STRING_set(dns, lower, (int)strlen(lower));
		GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
	} else {
		rc = cz_fail(err, CZ_EINVALID,
			     "subject alternative name \"%s\": neither an IP "
			     "address nor a DNS name",
			     san);
		goto cleanup;
	}
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++)
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(names, i), gen) == 0)
			goto cleanup;
	sk_GENERAL_NAME_push(names, gen);
	gen = NULL;
cleanup:
	GENERAL_NAME_free(gen);
	free(lower);
	return rc;
}

/* Every name the server certificate must cover; *out is freed with
 * GENERAL_NAMES_free(). */
static int wanted_sans(const char *const *extra, GENERAL_NAMES **out,
		       cz_error *err)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	int rc = CZ_OK;

	for (size_t i = 0; builtin_sans[i] && rc == CZ_OK; i++)
		rc = add_san(names, builtin_sans[i], err);
	for (size_t i = 0; extra && extra[i] && rc == CZ_OK; i++)
		rc = add_san(names, extra[i], err);
	if (rc < 0) {
		GENERAL_NAMES_free(names);
		names = NULL;
	}
	*out = names;
	return rc;
}

static bool covers_sans(const X509 *cert, GENERAL_NAMES *want)
{
	GENERAL_NAMES *have =
		X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool all = have != NULL;

	for (int i = 0; all && i < sk_GENERAL_NAME_num(want); i++) {
		GENERAL_NAME *w = sk_GENERAL_NAME_value(want, i);
		bool found = false;

		for (int j = 0; !found && j < sk_GENERAL_NAME_num(have); j++)
			found = GENERAL_NAME_cmp(sk_GENERAL_NAME_value(have, j),
						 w) == 0;
		all = found;
	}
	GENERAL_NAMES_free(have);
	return all;
}

/* ---- PEM in and out --------------------------------------------------- */

/* Keys are never encrypted here; refusing a passphrase keeps OpenSSL from
 * prompting on the terminal for an encrypted key someone put in place. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static X509 *cert_from_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)
			 : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return cert;
}

static EVP_PKEY *key_from_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key =
		bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
		    : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return key;
}

/* Copies what a memory BIO holds into a NUL-terminated string. */
static char *bio_text(BIO *bio)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	return cz_xstrndup(data, len > 0 ? (size_t)len : 0);
}

static int cert_to_pem(X509 *cert, char **out, cz_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = CZ_OK;

	if (!bio || PEM_write_bio_X509(bio, cert) != 1)
		rc = crypto_fail(err, "encoding a certificate");
	else
		*out = bio_text(bio);
	BIO_free(bio);
	return rc;
}

/* The key goes through the secure heap, which is wiped when freed. */
static int key_to_pem(EVP_PKEY *key, char **out, cz_error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int rc = CZ_OK;

	if (!bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
					     NULL) != 1)
		rc = crypto_fail(err, "encoding a private key");
	else
		*out = bio_text(bio);
	BIO_free(bio);
	return rc;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Reads a PEM file; a missing file is not an error (*text stays NULL),
 * one that exists but cannot be read is. */
static int read_optional(const char *path, char **text, cz_error *err)
{
	int rc = cz_file_read(path, PEM_FILE_MAX, text, NULL, err);

	if (rc == CZ_ENOTFOUND) {
		cz_error_clear(err);
		return CZ_OK;
	}
	return rc;
}

static int load_cert(const char *path, X509 **out, cz_error *err)
{
	char *text = NULL;
	int rc = read_optional(path, &text, err);

	*out = text ? cert_from_pem(text) : NULL;
	free(text);
	return rc;
}

static int load_key(const char *path, EVP_PKEY **out, cz_error *err)
{
	char *text = NULL;
	int rc = read_optional(path, &text, err);

	*out = text ? key_from_pem(text) : NULL;
	free_secret(text);
	return rc;
}

/* ---- checks ----------------------------------------------------------- */

static bool valid_at(const X509 *cert, time_t when)
{
	time_t t = when;

	return X509_cmp_time(X509_get0_notBefore(cert), &t) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(cert), &t) > 0;
}

static bool ca_usable(X509 *ca, EVP_PKEY *key, time_t now)
{
	bool ok = ca && key && X509_check_private_key(ca, key) == 1 &&
		  X509_check_ca(ca) >= 1 && valid_at(ca, now) &&
		  X509_verify(ca, key) == 1;

	ERR_clear_error();
	return ok;
}

static bool chains_to(X509 *cert, X509 *ca, time_t now)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;

	if (!store || !ctx || X509_STORE_add_cert(store, ca) != 1 ||
	    X509_STORE_CTX_init(ctx, store, cert, NULL) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1)
		goto cleanup;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	ok = X509_verify_cert(ctx) == 1;
cleanup:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok;
}

static bool server_usable(X509 *cert, EVP_PKEY *key, X509 *ca,
			  GENERAL_NAMES *want, time_t now)
{
	bool ok = cert && key && ca && X509_check_private_key(cert, key) == 1 &&
		  chains_to(cert, ca, now) &&
		  valid_at(cert, now + CZ_PKI_RENEW_BEFORE_SECONDS) &&
		  covers_sans(cert, want);

	ERR_clear_error();
	return ok;
}

/* ---- issuing ---------------------------------------------------------- */

static int new_key(EVP_PKEY **out, cz_error *err)
{
	*out = EVP_EC_gen("P-256");
	return *out ? CZ_OK : crypto_fail(err, "generating an EC P-256 key");
}

static int set_random_serial(X509 *cert)
{
	unsigned char bytes[16];
	BIGNUM *bn = NULL;
	int ok = 0;

	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return 0;
	/* Positive, and with a fixed length so it is never zero. */
	bytes[0] = (unsigned char)((bytes[0] & 0x3f) | 0x40);
	bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	ok = ext && X509_add_ext(cert, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key with subject CN=cn, valid from now (backdated) for
 * days; extensions are added by the caller before signing. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, time_t now, int days)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_get_subject_name(cert);
	time_t t = now;

	if (!cert || X509_set_version(cert, X509_VERSION_3) != 1 ||
	    !set_random_serial(cert) ||
	    !X509_time_adj_ex(X509_getm_notBefore(cert), 0, -BACKDATE_SECONDS,
			      &t) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, &t) ||
	    X509_set_pubkey(cert, key) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static int issue_ca(EVP_PKEY *key, time_t now, X509 **out, cz_error *err)
{
	X509 *ca = new_cert(key, "cozypkgd-ca", now, CA_DAYS);

	if (!ca || X509_set_issuer_name(ca, X509_get_subject_name(ca)) != 1 ||
	    !add_ext(ca, ca, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(ca, ca, NID_key_usage,
		     "critical,keyCertSign,cRLSign,digitalSignature") ||
	    !add_ext(ca, ca, NID_subject_key_identifier, "hash") ||
	    X509_sign(ca, key, EVP_sha256()) <= 0) {
		X509_free(ca);
		*out = NULL;
		return crypto_fail(err, "creating the CA certificate");
	}
	*out = ca;
	return CZ_OK;
}

static int issue_server(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
			GENERAL_NAMES *sans, time_t now, X509 **out,
			cz_error *err)
{
	X509 *cert = new_cert(key, "cozypkgd", now, SERVER_DAYS);

	if (!cert ||
	    X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
	    !add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, ca, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
	    !add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") ||
	    X509_add1_ext_i2d(cert, NID_subject_alt_name, sans, 0,
			      X509V3_ADD_DEFAULT) != 1 ||
	    X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
		X509_free(cert);
		*out = NULL;
		return crypto_fail(err, "creating the server certificate");
	}
	*out = cert;
	return CZ_OK;
}

/* ---- files ------------------------------------------------------------ */

static int write_cert(const char *path, X509 *cert, cz_error *err)
{
	char *pem = NULL;
	int rc = cert_to_pem(cert, &pem, err);

	if (rc == CZ_OK)
		rc = cz_file_write_atomic(path, pem, strlen(pem), 0644, err);
	free(pem);
	return rc;
}

static int write_key(const char *path, EVP_PKEY *key, cz_error *err)
{
	char *pem = NULL;
	int rc = key_to_pem(key, &pem, err);

	if (rc == CZ_OK)
		rc = cz_file_write_atomic(path, pem, strlen(pem), 0600, err);
	free_secret(pem);
	return rc;
}

static int ensure_dir(const char *dir, cz_error *err)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return CZ_OK;
	if (errno != EEXIST)
		return cz_fail(err, CZ_EIO, "%s: %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cz_fail(err, CZ_EIO, "%s: not a directory", dir);
	return CZ_OK;
}

/* Makes sure *ca and *ca_key can sign, replacing both (and their files)
 * when they cannot. */
static int ensure_ca(cz_pki *pki, time_t now, X509 **ca, EVP_PKEY **ca_key,
		     cz_error *err)
{
	int rc = load_key(pki->ca_key_path, ca_key, err);

	if (rc < 0 || ca_usable(*ca, *ca_key, now))
		return rc;
	X509_free(*ca);
	EVP_PKEY_free(*ca_key);
	*ca = NULL;
	if ((rc = new_key(ca_key, err)) < 0 ||
	    (rc = issue_ca(*ca_key, now, ca, err)) < 0 ||
	    (rc = write_key(pki->ca_key_path, *ca_key, err)) < 0 ||
	    (rc = write_cert(pki->ca_cert_path, *ca, err)) < 0)
		return rc;
	pki->ca_generated = true;
	return CZ_OK;
}

static int issue_and_write_server(cz_pki *pki, X509 *ca, EVP_PKEY *ca_key,
				  GENERAL_NAMES *sans, time_t now,
				  X509 **cert, EVP_PKEY **key, cz_error *err)
{
	int rc;

	X509_free(*cert);
	EVP_PKEY_free(*key);
	*cert = NULL;
	if ((rc = new_key(key, err)) < 0 ||
	    (rc = issue_server(ca, ca_key, *key, sans, now, cert, err)) < 0 ||
	    (rc = write_key(pki->server_key_path, *key, err)) < 0 ||
	    (rc = write_cert(pki->server_cert_path, *cert, err)) < 0)
		return rc;
	pki->server_generated = true;
	return CZ_OK;
}

int cz_pki_ensure_at(const char *dir, const char *const *extra_sans,
		     time_t now, cz_pki *out, cz_error *err)
{
	GENERAL_NAMES *sans = NULL;
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->ca_cert_path = cz_xasprintf("%s/ca.crt", dir);
	out->ca_key_path = cz_xasprintf("%s/ca.key", dir);
	out->server_cert_path = cz_xasprintf("%s/server.crt", dir);
	out->server_key_path = cz_xasprintf("%s/server.key", dir);
	if ((rc = wanted_sans(extra_sans, &sans, err)) < 0 ||
	    (rc = ensure_dir(dir, err)) < 0 ||
	    (rc = load_cert(out->ca_cert_path, &ca, err)) < 0 ||
	    (rc = load_cert(out->server_cert_path, &cert, err)) < 0 ||
	    (rc = load_key(out->server_key_path, &key, err)) < 0)
		goto cleanup;
	if (!server_usable(cert, key, ca, sans, now)) {
		if ((rc = ensure_ca(out, now, &ca, &ca_key, err)) < 0 ||
		    (rc = issue_and_write_server(out, ca, ca_key, sans, now,
						 &cert, &key, err)) < 0)
			goto cleanup;
	}
	if ((rc = cert_to_pem(ca, &out->ca_cert_pem, err)) < 0 ||
	    (rc = cert_to_pem(cert, &out->server_cert_pem, err)) < 0 ||
	    (rc = key_to_pem(key, &out->server_key_pem, err)) < 0)
		goto cleanup;
cleanup:
	GENERAL_NAMES_free(sans);
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return rc;
}

int cz_pki_ensure(const char *dir, const char *const *extra_sans, cz_pki *out,
		  cz_error *err)
{
	return cz_pki_ensure_at(dir, extra_sans, time(NULL), out, err);
}

void cz_pki_release(cz_pki *pki)
{
	free(pki->ca_cert_pem);
	free(pki->server_cert_pem);
	free_secret(pki->server_key_pem);
	free(pki->ca_cert_path);
	free(pki->ca_key_path);
	free(pki->server_cert_path);
	free(pki->server_key_path);
	memset(pki, 0, sizeof(*pki));
}
