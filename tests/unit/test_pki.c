/* The generated CA and server certificate: contents, reuse, renewal. */

#include "helpers.h"
#include "tmpdir.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth/pki.h"
#include "util/mem.h"

#define DAY (24L * 3600)

static X509 *parse_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	BIO_free(bio);
	assert_non_null(cert);
	return cert;
}

static bool verifies(const cz_pki *pki, time_t at)
{
	X509 *ca = parse_cert(pki->ca_cert_pem);
	X509 *cert = parse_cert(pki->server_cert_pem);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok;

	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(ctx, store, cert, NULL);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
	ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(cert);
	X509_free(ca);
	return ok;
}

static void ensure_ok(const char *dir, const char *const *sans, time_t now,
		      cz_pki *pki)
{
	cz_error err = CZ_ERROR_INIT;
	int rc = cz_pki_ensure_at(dir, sans, now, pki, &err);

	if (rc != CZ_OK)
		fail_msg("cz_pki_ensure: %s", err.msg);
}

static void test_generates_verifiable_chain(void **state)
{
	static const char *const sans[] = { "cozy.Example.com", "10.1.2.3",
					    "fd00::7", NULL };
	char *dir = tmpdir_make();
	char *sub = cz_xasprintf("%s/pki", dir);
	time_t now = time(NULL);
	cz_pki pki;
	X509 *cert, *ca;

	(void)state;
	ensure_ok(sub, sans, now, &pki);
	assert_true(pki.ca_generated);
	assert_true(pki.server_generated);
	assert_true(verifies(&pki, now));
	assert_false(verifies(&pki, now + 400 * DAY));

	cert = parse_cert(pki.server_cert_pem);
	assert_int_equal(X509_check_host(cert, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(cert, "cozy.example.com", 0, 0, NULL),
			 1);
	assert_int_equal(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(cert, "::1", 0), 1);
	assert_int_equal(X509_check_ip_asc(cert, "10.1.2.3", 0), 1);
	assert_int_equal(X509_check_ip_asc(cert, "fd00::7", 0), 1);
	assert_int_equal(X509_check_host(cert, "other.example.com", 0, 0, NULL),
			 0);
	assert_true(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE);
	assert_false(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN);
	assert_true(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(cert), 0);
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(cert)),
			 EVP_PKEY_EC);

	ca = parse_cert(pki.ca_cert_pem);
	assert_int_equal(X509_check_ca(ca), 1);
	assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
	assert_int_equal(X509_check_issued(ca, cert), X509_V_OK);
	assert_int_equal(X509_cmp(ca, cert) != 0, 1);
	{
		char cn[64];

		X509_NAME_get_text_by_NID(X509_get_subject_name(ca),
					  NID_commonName, cn, sizeof(cn));
		assert_string_equal(cn, "cozypkgd-ca");
	}
	/* ~10 years for the CA, ~1 year for the server */
	assert_true(X509_cmp_time(X509_get0_notAfter(ca),
				  &(time_t){ now + 3600 * DAY }) > 0);
	assert_true(X509_cmp_time(X509_get0_notAfter(cert),
				  &(time_t){ now + 364 * DAY }) > 0);
	assert_true(X509_cmp_time(X509_get0_notAfter(cert),
				  &(time_t){ now + 366 * DAY }) < 0);
	assert_contains(pki.server_key_pem, "BEGIN PRIVATE KEY");
	X509_free(ca);
	X509_free(cert);

	assert_int_equal(tmpdir_mode(sub, "server.key"), 0600);
	assert_int_equal(tmpdir_mode(sub, "ca.key"), 0600);
	assert_int_equal(tmpdir_mode(sub, "server.crt"), 0644);
	assert_int_equal(tmpdir_mode(dir, "pki"), 0700);
	assert_contains(pki.server_key_path, "/pki/server.key");
	cz_pki_release(&pki);
	tmpdir_remove(dir);
	free(sub);
	free(dir);
}

static void test_serials_random(void **state)
{
	char *dir = tmpdir_make();
	time_t now = time(NULL);
	cz_pki pki;
	X509 *ca, *cert;

	(void)state;
	ensure_ok(dir, NULL, now, &pki);
	ca = parse_cert(pki.ca_cert_pem);
	cert = parse_cert(pki.server_cert_pem);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca),
					      X509_get0_serialNumber(cert)),
			     0);
	assert_true(ASN1_STRING_length(X509_get0_serialNumber(cert)) >= 16);
	X509_free(ca);
	X509_free(cert);
	cz_pki_release(&pki);
	tmpdir_remove(dir);
	free(dir);
}

static void test_reload_reuses_files(void **state)
{
	char *dir = tmpdir_make();
	time_t now = time(NULL);
	cz_pki first, second;

	(void)state;
	ensure_ok(dir, NULL, now, &first);
	ensure_ok(dir, NULL, now + DAY, &second);
	assert_false(second.ca_generated);
	assert_false(second.server_generated);
	assert_string_equal(first.ca_cert_pem, second.ca_cert_pem);
	assert_string_equal(first.server_cert_pem, second.server_cert_pem);
	assert_string_equal(first.server_key_pem, second.server_key_pem);
	cz_pki_release(&first);
	cz_pki_release(&second);
	tmpdir_remove(dir);
	free(dir);
}

static void test_expired_server_reissued(void **state)
{
	char *dir = tmpdir_make();
	time_t now = time(NULL);
	cz_pki first, later, renewal;

	(void)state;
	ensure_ok(dir, NULL, now, &first);
	ensure_ok(dir, NULL, now + 400 * DAY, &later);
	assert_false(later.ca_generated);
	assert_true(later.server_generated);
	assert_string_equal(first.ca_cert_pem, later.ca_cert_pem);
	assert_string_not_equal(first.server_key_pem, later.server_key_pem);
	assert_true(verifies(&later, now + 400 * DAY));
	/* within the renewal window, though not yet expired */
	ensure_ok(dir, NULL, now + 740 * DAY, &renewal);
	assert_true(renewal.server_generated);
	assert_false(renewal.ca_generated);
	cz_pki_release(&first);
	cz_pki_release(&later);
	cz_pki_release(&renewal);
	tmpdir_remove(dir);
	free(dir);
}

static void test_expired_ca_regenerated(void **state)
{
	char *dir = tmpdir_make();
	time_t now = time(NULL);
	cz_pki first, later;

	(void)state;
	ensure_ok(dir, NULL, now, &first);
	ensure_ok(dir, NULL, now + 3700 * DAY, &later);
	assert_true(later.ca_generated);
	assert_true(later.server_generated);
	assert_string_not_equal(first.ca_cert_pem, later.ca_cert_pem);
	assert_true(verifies(&later, now + 3700 * DAY));
	cz_pki_release(&first);
	cz_pki_release(&later);
	tmpdir_remove(dir);
	free(dir);
}

static void test_corrupt_server_cert_reissued(void **state)
{
	char *dir = tmpdir_make();
	time_t now = time(NULL);
	cz_pki first, again;

	(void)state;
	ensure_ok(dir, NULL, now, &first);
	tmpdir_write(dir, "server.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n");
	ensure_ok(dir, NULL, now, &again);
	assert_true(again.server_generated);
	assert_false(again.ca_generated);
	assert_string_equal(first.ca_cert_pem, again.ca_cert_pem);
	assert_true(verifies(&again, now));
	cz_pki_release(&first);
	cz_pki_release(&again);
	tmpdir_remove(dir);
	free(dir);
}

static void test_mismatched_key_reissued(void **state)
{
	char *dir = tmpdir_make();
	char *path = NULL;
	time_t now = time(NULL);
	cz_pki first, again;

	(void)state;
	ensure_ok(dir, NULL, now, &first);
	/* a valid key, but not the certificate's */
	path = cz_xasprintf("%s/server.key", dir);
	assert_int_equal(rename(first.ca_key_path, path), 0);
	ensure_ok(dir, NULL, now, &again);
	assert_true(again.server_generated);
	/* ca.key is gone, so the CA had to be replaced as well */
	assert_true(again.ca_generated);
	assert_true(verifies(&again, now));
	assert_int_equal(tmpdir_mode(dir, "ca.key"), 0600);
	cz_pki_release(&first);
	cz_pki_release(&again);
	tmpdir_remove(dir);
	free(path);
	free(dir);
}

static void test_new_san_reissued(void **state)
{
	static const char *const more[] = { "api.cozy.local", NULL };
	char *dir = tmpdir_make();
	time_t now = time(NULL);
	cz_pki first, again, same;
	X509 *cert;

	(void)state;
	ensure_ok(dir, NULL, now, &first);
	ensure_ok(dir, more, now, &again);
	assert_true(again.server_generated);
	assert_false(again.ca_generated);
	cert = parse_cert(again.server_cert_pem);
	assert_int_equal(X509_check_host(cert, "api.cozy.local", 0, 0, NULL), 1);
	X509_free(cert);
	ensure_ok(dir, more, now, &same);
	assert_false(same.server_generated);
	cz_pki_release(&first);
	cz_pki_release(&again);
	cz_pki_release(&same);
	tmpdir_remove(dir);
	free(dir);
}

static void test_bad_san_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "bad name", NULL }, { "a..b", NULL }, { "10.0.0", NULL },
		{ "-x.example", NULL }, { "", NULL },  { "a,DNS:b", NULL },
	};
	char *dir = tmpdir_make();
	cz_error err = CZ_ERROR_INIT;
	cz_pki pki;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(cz_pki_ensure(dir, bad[i], &pki, &err),
				 CZ_EINVALID);
		assert_contains(err.msg, "subject alternative name");
		cz_pki_release(&pki);
	}
	tmpdir_remove(dir);
	free(dir);
}

static void test_unreadable_file_named(void **state)
{
	char *dir = tmpdir_make();
	char *path = cz_xasprintf("%s/server.crt", dir);
	cz_error err = CZ_ERROR_INIT;
	cz_pki pki;

	(void)state;
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(cz_pki_ensure(dir, NULL, &pki, &err), CZ_EIO);
	assert_contains(err.msg, path);
	cz_pki_release(&pki);
	tmpdir_remove(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generates_verifiable_chain),
		cmocka_unit_test(test_serials_random),
		cmocka_unit_test(test_reload_reuses_files),
		cmocka_unit_test(test_expired_server_reissued),
		cmocka_unit_test(test_expired_ca_regenerated),
		cmocka_unit_test(test_corrupt_server_cert_reissued),
		cmocka_unit_test(test_mismatched_key_reissued),
		cmocka_unit_test(test_new_san_reissued),
		cmocka_unit_test(test_bad_san_refused),
		cmocka_unit_test(test_unreadable_file_named),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
