/* Cosign signatures without a registry: the tag and payload shapes, key
 * generation, and the checks one signature layer goes through. */

#include "helpers.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/fluxsource.h"
#include "market/cosign.h"
#include "tmpdir.h"
#include "util/base64.h"
#include "util/fileio.h"
#include "util/mem.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_A "sha256:" HEX_A
#define DIGEST_B                                                               \
	"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A key pair made by cz_cosign_keygen, read back. */
typedef struct keys {
	char *dir;
	char *priv; /* PEM */
	size_t priv_len;
	char *pub; /* PEM */
	size_t pub_len;
} keys;

static int keys_setup(void **state)
{
	keys *k = cz_xcalloc(1, sizeof(*k));
	cz_error err = CZ_ERROR_INIT;
	char *priv_path, *pub_path;

	k->dir = tmpdir_make();
	priv_path = cz_xasprintf("%s/k.key", k->dir);
	pub_path = cz_xasprintf("%s/k.pub", k->dir);
	if (cz_cosign_keygen(priv_path, pub_path, &err) != CZ_OK ||
	    cz_file_read(priv_path, 65536, &k->priv, &k->priv_len, &err) != 0 ||
	    cz_file_read(pub_path, 65536, &k->pub, &k->pub_len, &err) != 0) {
		fprintf(stderr, "keygen: %s\n", err.msg);
		return -1;
	}
	free(priv_path);
	free(pub_path);
	*state = k;
	return 0;
}

static int keys_teardown(void **state)
{
	keys *k = *state;

	tmpdir_remove(k->dir);
	free(k->dir);
	free(k->priv);
	free(k->pub);
	free(k);
	return 0;
}

/* A signature of payload under the test key; the caller frees it. */
static char *sign(const keys *k, const char *payload)
{
	cz_error err = CZ_ERROR_INIT;
	char *sig = NULL;

	assert_int_equal(cz_cosign_sign_payload(k->priv, k->priv_len, payload,
						strlen(payload), &sig, &err),
			 CZ_OK);
	return sig;
}

static int verify(const keys *k, const char *payload, const char *sig,
		  const char *digest, cz_error *err)
{
	return cz_cosign_verify_payload(k->pub, k->pub_len, payload,
					strlen(payload), sig, digest, err);
}

static void test_sig_tag(void **state)
{
	char *tag = cz_cosign_sig_tag(DIGEST_A);

	(void)state;
	assert_string_equal(tag, "sha256-" HEX_A ".sig");
	free(tag);
	assert_null(cz_cosign_sig_tag("sha256:abc"));
	assert_null(cz_cosign_sig_tag("latest"));
}

static void test_payload_shape(void **state)
{
	char *p = cz_cosign_payload("127.0.0.1:5000/team/app", DIGEST_A);

	(void)state;
	/* Byte for byte what cosign signs, so that its signatures and ours
	 * cover the same text. */
	assert_string_equal(
		p, "{\"critical\":{\"identity\":{\"docker-reference\":"
		   "\"127.0.0.1:5000/team/app\"},\"image\":{\"docker-manifest-"
		   "digest\":\"" DIGEST_A "\"},\"type\":\"cosign container "
		   "image signature\"},\"optional\":null}");
	free(p);
}

static void test_keygen_files(void **state)
{
	keys *k = *state;
	cz_error err = CZ_ERROR_INIT;
	char *priv_path = cz_xasprintf("%s/k.key", k->dir);
	char *pub_path = cz_xasprintf("%s/k.pub", k->dir);
	char *other = cz_xasprintf("%s/other.pub", k->dir);
	char *again = NULL;
	struct stat st;

	assert_int_equal(stat(priv_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(pub_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_non_null(strstr(k->priv, "-----BEGIN PRIVATE KEY-----"));
	assert_non_null(strstr(k->pub, "-----BEGIN PUBLIC KEY-----"));
	/* Existing files are refused, and neither is touched. */
	assert_int_equal(cz_cosign_keygen(priv_path, other, &err), CZ_EEXISTS);
	assert_non_null(strstr(err.msg, "k.key"));
	assert_int_equal(stat(other, &st), -1);
	assert_int_equal(cz_file_read(priv_path, 65536, &again, NULL, &err),
			 CZ_OK);
	assert_string_equal(again, k->priv);
	free(again);
	free(priv_path);
	free(pub_path);
	free(other);
}

static void test_sign_verify(void **state)
{
	keys *k = *state;
	char *payload = cz_cosign_payload("h/r", DIGEST_A);
	char *sig = sign(k, payload);
	cz_error err = CZ_ERROR_INIT;

	assert_int_equal(verify(k, payload, sig, DIGEST_A, &err), CZ_OK);
	free(sig);
	free(payload);
}

static void test_malformed_key(void **state)
{
	keys *k = *state;
	char *payload = cz_cosign_payload("h/r", DIGEST_A);
	char *sig = sign(k, payload);
	cz_error err = CZ_ERROR_INIT;
	const char *junk = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n"
			   "-----END PUBLIC KEY-----\n";
	const char *encrypted = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY---"
				"--\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED "
				"SIGSTORE PRIVATE KEY-----\n";
	char *out = NULL;

	assert_int_equal(cz_cosign_verify_payload(junk, strlen(junk), payload,
						  strlen(payload), sig,
						  DIGEST_A, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "public key"));
	/* A private key where the public one belongs is not accepted. */
	assert_int_equal(cz_cosign_verify_payload(k->priv, k->priv_len, payload,
						  strlen(payload), sig,
						  DIGEST_A, &err),
			 CZ_EINVALID);
	/* Nor a public key, or an encrypted cosign key, to sign with. */
	assert_int_equal(cz_cosign_sign_payload(k->pub, k->pub_len, payload,
						strlen(payload), &out, &err),
			 CZ_EINVALID);
	assert_null(out);
	assert_int_equal(cz_cosign_sign_payload(encrypted, strlen(encrypted),
						payload, strlen(payload), &out,
						&err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "encrypted"));
	free(sig);
	free(payload);
}

static void test_malformed_signature(void **state)
{
	keys *k = *state;
	char *payload = cz_cosign_payload("h/r", DIGEST_A);
	char *sig = sign(k, payload);
	char *raw, *b64;
	size_t n = 0;
	cz_error err = CZ_ERROR_INIT;

	assert_int_equal(verify(k, payload, "not base64!", DIGEST_A, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "base64"));
	assert_int_equal(verify(k, payload, "", DIGEST_A, &err), CZ_EINVALID);
	/* Base64, but not DER. */
	assert_int_equal(verify(k, payload, "aGVsbG8gd29ybGQ=", DIGEST_A, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "DER"));
	/* A valid DER signature followed by a stray byte. */
	raw = cz_base64_decode(sig, strlen(sig), &n);
	raw = cz_xrealloc(raw, n + 1);
	raw[n] = 0;
	b64 = cz_base64_encode(raw, n + 1);
	assert_int_equal(verify(k, payload, b64, DIGEST_A, &err), CZ_EINVALID);
	free(b64);
	/* A well-formed signature with one bit flipped does not verify. */
	raw[n - 1] ^= 1;
	b64 = cz_base64_encode(raw, n);
	assert_int_equal(verify(k, payload, b64, DIGEST_A, &err), CZ_EDENIED);
	free(b64);
	free(raw);
	free(sig);
	free(payload);
}

static void test_tampered_payload(void **state)
{
	keys *k = *state;
	char *payload = cz_cosign_payload("h/r", DIGEST_A);
	char *sig = sign(k, payload);
	cz_error err = CZ_ERROR_INIT;
	char *tampered = cz_xstrdup(payload);

	/* The signature covers the exact bytes: even whitespace matters. */
	tampered[strlen(tampered) - 1] = ' ';
	assert_int_equal(verify(k, tampered, sig, DIGEST_A, &err), CZ_EDENIED);
	assert_non_null(strstr(err.msg, "does not verify"));
	free(tampered);
	free(sig);
	free(payload);
}

static void test_wrong_digest(void **state)
{
	keys *k = *state;
	char *payload = cz_cosign_payload("h/r", DIGEST_B);
	char *sig = sign(k, payload);
	cz_error err = CZ_ERROR_INIT;

	assert_int_equal(verify(k, payload, sig, DIGEST_A, &err), CZ_EDENIED);
	assert_non_null(strstr(err.msg, DIGEST_A));
	assert_non_null(strstr(err.msg, DIGEST_B));
	free(sig);
	free(payload);
}

static void test_payload_claims(void **state)
{
	keys *k = *state;
	cz_error err = CZ_ERROR_INIT;
	const char *old = "{\"critical\":{\"identity\":{\"docker-reference\":"
			  "\"h/r\"},\"image\":{\"Docker-manifest-digest\":\""
			  DIGEST_A "\"},\"type\":\"cosign container image "
			  "signature\"},\"optional\":{\"creator\":\"x\"}}";
	const char *other_type = "{\"critical\":{\"image\":{\"docker-manifest-"
				 "digest\":\"" DIGEST_A "\"},\"type\":\"x\"}}";
	const char *not_json = "sha256:" HEX_A;
	char *sig;

	/* Older cosign writes the key capitalised; Go reads it either way. */
	sig = sign(k, old);
	assert_int_equal(verify(k, old, sig, DIGEST_A, &err), CZ_OK);
	free(sig);
	sig = sign(k, other_type);
	assert_int_equal(verify(k, other_type, sig, DIGEST_A, &err),
			 CZ_EDENIED);
	assert_non_null(strstr(err.msg, "type"));
	free(sig);
	sig = sign(k, not_json);
	assert_int_equal(verify(k, not_json, sig, DIGEST_A, &err), CZ_EINVALID);
	free(sig);
}

/* spec.verify as the Flux source controller reads it. */
static int read_spec(const char *verify, cz_fs_oci_spec *out,
		     const char **reason, cz_error *err)
{
	char *text = cz_xasprintf("{\"url\":\"oci://h/r\",\"verify\":%s}",
				  verify);
	json_t *spec = json_loads(text, 0, NULL);
	int rc = cz_fs_oci_spec_read(spec, out, reason, err);

	/* Borrowed strings are compared before the spec goes. */
	if (rc == CZ_OK && out->verify_secret_name)
		rc = strcmp(out->verify_secret_name, "keys") == 0 ? CZ_OK
								  : CZ_ERR;
	cz_fs_oci_spec_release(out);
	json_decref(spec);
	free(text);
	return rc;
}

static void test_spec_verify(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	const char *reason = NULL;
	cz_fs_oci_spec s;

	(void)state;
	assert_int_equal(read_spec("{\"provider\":\"cosign\",\"secretRef\":"
				   "{\"name\":\"keys\"}}",
				   &s, &reason, &err),
			 CZ_OK);
	assert_int_equal(read_spec("null", &s, &reason, &err), CZ_OK);
	/* What cannot be checked here stalls instead of passing. */
	assert_int_equal(read_spec("{\"provider\":\"notation\",\"secretRef\":"
				   "{\"name\":\"keys\"}}",
				   &s, &reason, &err),
			 CZ_EINVALID);
	assert_string_equal(reason, "VerificationError");
	assert_non_null(strstr(err.msg, "notation"));
	assert_int_equal(read_spec("{\"provider\":\"cosign\"}", &s, &reason,
				   &err),
			 CZ_EINVALID);
	assert_string_equal(reason, "VerificationError");
	assert_non_null(strstr(err.msg, "keyless"));
}

static const char *cond(const json_t *st, const char *type, const char *key)
{
	size_t i;
	json_t *c;

	json_array_foreach (json_object_get(st, "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")),
			   type) == 0)
			return json_string_value(json_object_get(c, key));
	return NULL;
}

static void test_status_source_verified(void **state)
{
	cz_fs_outcome o;
	json_t *st;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.result = CZ_FS_READY;
	o.revision = "v1@" DIGEST_A;
	o.digest = DIGEST_B;
	o.path = "p";
	o.url = "u";
	o.verify = CZ_FS_VERIFY_OK;
	st = cz_fs_status_build(NULL, &o, 1, NULL);
	assert_string_equal(cond(st, "SourceVerified", "status"), "True");
	assert_string_equal(cond(st, "SourceVerified", "reason"), "Succeeded");
	assert_string_equal(cond(st, "SourceVerified", "message"),
			    "verified signature of revision v1@" DIGEST_A);
	json_decref(st);

	/* Refused: Ready=False and SourceVerified=False, no artifact, and no
	 * FetchFailed, since the fetch of the signature worked. */
	memset(&o, 0, sizeof(o));
	o.result = CZ_FS_FAILED;
	o.reason = "VerificationError";
	o.message = "no signature for r@" DIGEST_A;
	o.verify = CZ_FS_VERIFY_FAILED;
	st = cz_fs_status_build(NULL, &o, 1, NULL);
	assert_string_equal(cond(st, "Ready", "status"), "False");
	assert_string_equal(cond(st, "Ready", "reason"), "VerificationError");
	assert_string_equal(cond(st, "SourceVerified", "status"), "False");
	assert_string_equal(cond(st, "SourceVerified", "message"), o.message);
	assert_null(cond(st, "FetchFailed", "status"));
	assert_null(json_object_get(st, "artifact"));
	json_decref(st);

	/* Without spec.verify, no SourceVerified at all. */
	memset(&o, 0, sizeof(o));
	o.result = CZ_FS_READY;
	o.revision = "v1@" DIGEST_A;
	o.digest = DIGEST_B;
	o.path = "p";
	o.url = "u";
	st = cz_fs_status_build(NULL, &o, 1, NULL);
	assert_null(cond(st, "SourceVerified", "status"));
	json_decref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_tag),
		cmocka_unit_test(test_payload_shape),
		cmocka_unit_test(test_keygen_files),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_malformed_key),
		cmocka_unit_test(test_malformed_signature),
		cmocka_unit_test(test_tampered_payload),
		cmocka_unit_test(test_wrong_digest),
		cmocka_unit_test(test_payload_claims),
		cmocka_unit_test(test_spec_verify),
		cmocka_unit_test(test_status_source_verified),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
