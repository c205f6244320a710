/*
 * Cosign-compatible key signatures (cosign.h).  OpenSSL does the ECDSA;
 * everything read from a registry is capped before it is fetched: the
 * signature manifest by the client's manifest cap, the layers looked at by
 * CZ_COSIGN_MAX_LAYERS and each payload by CZ_COSIGN_MAX_PAYLOAD.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "market/cosign.h"
#include "oci/digest.h"
#include "oci/parse.h"
#include "util/base64.h"
#include "util/mem.h"

#define MT_IMAGE_CONFIG "application/vnd.oci.image.config.v1+json"
/* The time cosign writes into its signature image config. */
#define ZERO_TIME "0001-01-01T00:00:00Z"

/* ---- keys ------------------------------------------------------------ */

/* Encrypted keys are refused rather than prompted for: a controller has no
 * terminal, and OpenSSL's default callback would read one. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Only P-256 with SHA-256: what cosign generates and what the payload
 * signature scheme names. */
static bool is_p256(EVP_PKEY *pkey)
{
	char group[64];
	size_t n = 0;

	if (!EVP_PKEY_is_a(pkey, "EC"))
		return false;
	if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &n))
		return false;
	return strcmp(group, "prime256v1") == 0 ||
	       strcmp(group, "P-256") == 0;
}

static int load_key(const char *pem, size_t len, bool private_key,
		    EVP_PKEY **out, cz_error *err)
{
	const char *what = private_key ? "private" : "public";
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int rc = CZ_OK;

	*out = NULL;
	if (len > CZ_COSIGN_MAX_KEY) {
		rc = cz_fail(err, CZ_ETOOLARGE, "%s key is over %u bytes", what,
			     CZ_COSIGN_MAX_KEY);
		goto cleanup;
	}
	if (private_key && memmem(pem, len, "ENCRYPTED", 9)) {
		rc = cz_fail(err, CZ_EINVALID, "the private key is encrypted; "
			     "use an unencrypted PKCS#8 PEM key (cozypkg "
			     "keygen writes one)");
		goto cleanup;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio)
		pkey = private_key
			       ? PEM_read_bio_PrivateKey(bio, NULL,
							 no_passphrase, NULL)
			       : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase,
						     NULL);
	if (!pkey) {
		rc = cz_fail(err, CZ_EINVALID, "%s key is not a PEM %s", what,
			     private_key ? "private key" : "PUBLIC KEY");
		goto cleanup;
	}
	if (!is_p256(pkey)) {
		rc = cz_fail(err, CZ_EINVALID, "%s key is not an ECDSA P-256 "
			     "key", what);
		goto cleanup;
	}
	*out = pkey;
	pkey = NULL;
cleanup:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int cz_cosign_pubkey_check(const char *pem, size_t len, cz_error *err)
{
	EVP_PKEY *pkey = NULL;
	int rc = load_key(pem, len, false, &pkey, err);

	EVP_PKEY_free(pkey);
	return rc;
}

/* Creates path exclusively with exactly mode and writes data to it. */
static int write_new_file(const char *path, const void *data, size_t len,
			  mode_t mode, cz_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      mode);
	int rc = CZ_OK;

	if (fd < 0)
		return cz_fail(err, errno == EEXIST ? CZ_EEXISTS : CZ_EIO,
			       "%s: %s", path,
			       errno == EEXIST ? "exists already; not "
						 "overwritten"
					       : strerror(errno));
	if (fchmod(fd, mode) != 0 || write(fd, data, len) != (ssize_t)len ||
	    fsync(fd) != 0)
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
	if (close(fd) != 0 && rc == CZ_OK)
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(path);
	return rc;
}

/* The PEM text a BIO holds, copied; *len_out its length. */
static char *bio_text(BIO *bio, size_t *len_out)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);

	*len_out = n > 0 ? (size_t)n : 0;
	return cz_xstrndup(data ? data : "", *len_out);
}

static void wipe_free(char *s, size_t len)
{
	if (s) {
		OPENSSL_cleanse(s, len);
		free(s);
	}
}

int cz_cosign_keygen(const char *priv_path, const char *pub_path,
		     cz_error *err)
{
	EVP_PKEY *pkey = NULL;
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	char *priv_pem = NULL, *pub_pem = NULL;
	size_t priv_len = 0, pub_len = 0;
	struct stat st;
	int rc = CZ_OK;

	/* Both are checked first so that neither is written when one is in
	 * the way; the exclusive create below closes the race. */
	if (lstat(priv_path, &st) == 0 || lstat(pub_path, &st) == 0) {
		rc = cz_fail(err, CZ_EEXISTS, "%s exists already; not "
			     "overwritten",
			     lstat(priv_path, &st) == 0 ? priv_path : pub_path);
		goto cleanup;
	}
	pkey = EVP_EC_gen("P-256");
	if (!pkey || !priv || !pub ||
	    !PEM_write_bio_PKCS8PrivateKey(priv, pkey, NULL, NULL, 0, NULL,
					   NULL) ||
	    !PEM_write_bio_PUBKEY(pub, pkey)) {
		rc = cz_fail(err, CZ_ERR, "generating a P-256 key failed");
		goto cleanup;
	}
	priv_pem = bio_text(priv, &priv_len);
	pub_pem = bio_text(pub, &pub_len);
	if ((rc = write_new_file(priv_path, priv_pem, priv_len, 0600, err)) < 0)
		goto cleanup;
	if ((rc = write_new_file(pub_path, pub_pem, pub_len, 0644, err)) < 0)
		unlink(priv_path);
cleanup:
	wipe_free(priv_pem, priv_len);
	free(pub_pem);
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

/* ---- payloads and signatures ---------------------------------------- */

char *cz_cosign_sig_tag(const char *digest)
{
	if (!digest || !cz_oci_digest_is_sha256(digest))
		return NULL;
	return cz_xasprintf("sha256-%s.sig", digest + 7);
}

char *cz_cosign_payload(const char *docker_reference, const char *digest)
{
	json_t *p = json_pack("{s:{s:{s:s}, s:{s:s}, s:s}, s:n}", "critical",
			      "identity", "docker-reference", docker_reference,
			      "image", "docker-manifest-digest", digest, "type",
			      CZ_COSIGN_TYPE, "optional");
	char *text = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(p);
	return text;
}

int cz_cosign_sign_payload(const char *key_pem, size_t key_len,
			   const char *payload, size_t len, char **sig_b64_out,
			   cz_error *err)
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int rc;

	*sig_b64_out = NULL;
	if ((rc = load_key(key_pem, key_len, true, &pkey, err)) < 0)
		goto cleanup;
	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)payload,
			   len) != 1) {
		rc = cz_fail(err, CZ_ERR, "signing failed");
		goto cleanup;
	}
	sig = cz_xmalloc(sig_len);
	if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)payload,
			   len) != 1) {
		rc = cz_fail(err, CZ_ERR, "signing failed");
		goto cleanup;
	}
	*sig_b64_out = cz_base64_encode(sig, sig_len);
cleanup:
	free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

/* The signature's bytes: base64 of a DER ECDSA-Sig-Value and nothing
 * after it; *out malloc'ed. */
static int decode_signature(const char *sig_b64, unsigned char **out,
			    size_t *len, cz_error *err)
{
	char *raw = sig_b64 ? cz_base64_decode(sig_b64, strlen(sig_b64), len)
			    : NULL;
	const unsigned char *p = (const unsigned char *)raw;
	ECDSA_SIG *sig = NULL;

	*out = NULL;
	if (!raw || *len == 0) {
		free(raw);
		return cz_fail(err, CZ_EINVALID, "signature is not base64");
	}
	sig = d2i_ECDSA_SIG(NULL, &p, (long)*len);
	if (!sig || p != (const unsigned char *)raw + *len) {
		ECDSA_SIG_free(sig);
		free(raw);
		ERR_clear_error();
		return cz_fail(err, CZ_EINVALID, "signature is not a DER "
			       "ECDSA signature");
	}
	ECDSA_SIG_free(sig);
	*out = (unsigned char *)raw;
	return CZ_OK;
}

static int check_signature(EVP_PKEY *pkey, const char *payload, size_t len,
			   const char *sig_b64, cz_error *err)
{
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	EVP_MD_CTX *ctx = NULL;
	int rc, ok;

	if ((rc = decode_signature(sig_b64, &sig, &sig_len, err)) < 0)
		goto cleanup;
	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1) {
		rc = cz_fail(err, CZ_ERR, "cannot set up the verification");
		goto cleanup;
	}
	ok = EVP_DigestVerify(ctx, sig, sig_len,
			      (const unsigned char *)payload, len);
	if (ok != 1)
		rc = cz_fail(err, CZ_EDENIED, "signature does not verify with "
			     "the key");
cleanup:
	free(sig);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* A member of obj by name, ignoring case as Go's JSON decoder does (old
 * payloads write "Docker-manifest-digest"); an exact match comes first, so
 * that the answer does not depend on the order of the keys. */
static json_t *member_nocase(const json_t *obj, const char *name)
{
	const char *key;
	json_t *v = json_object_get(obj, name);

	if (v)
		return v;
	json_object_foreach ((json_t *)obj, key, v)
		if (strcasecmp(key, name) == 0)
			return v;
	return NULL;
}

/* The payload's claims: its type and that it names digest. */
static int check_claims(const char *payload, size_t len, const char *digest,
			cz_error *err)
{
	json_t *doc = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *critical = member_nocase(doc, "critical");
	const char *type = json_string_value(member_nocase(critical, "type"));
	const char *named = json_string_value(member_nocase(
		member_nocase(critical, "image"), "docker-manifest-digest"));
	int rc = CZ_OK;

	if (!json_is_object(doc) || !json_is_object(critical) || !named)
		rc = cz_fail(err, CZ_EINVALID, "payload is not a simple-signing "
			     "payload with critical.image.docker-manifest-"
			     "digest");
	else if (!type || strcmp(type, CZ_COSIGN_TYPE) != 0)
		rc = cz_fail(err, CZ_EDENIED, "payload type is '%s', not '%s'",
			     type ? type : "", CZ_COSIGN_TYPE);
	else if (strcmp(named, digest) != 0)
		rc = cz_fail(err, CZ_EDENIED, "the signed payload names %s, "
			     "not %s", named, digest);
	json_decref(doc);
	return rc;
}

static int verify_with_key(EVP_PKEY *pkey, const char *payload, size_t len,
			   const char *sig_b64, const char *digest,
			   cz_error *err)
{
	int rc = check_signature(pkey, payload, len, sig_b64, err);

	return rc < 0 ? rc : check_claims(payload, len, digest, err);
}

int cz_cosign_verify_payload(const char *pub_pem, size_t pub_len,
			     const char *payload, size_t len,
			     const char *sig_b64, const char *digest,
			     cz_error *err)
{
	EVP_PKEY *pkey = NULL;
	int rc = load_key(pub_pem, pub_len, false, &pkey, err);

	if (rc == CZ_OK)
		rc = verify_with_key(pkey, payload, len, sig_b64, digest, err);
	EVP_PKEY_free(pkey);
	return rc;
}

/* ---- the registry ----------------------------------------------------- */

/* The signature manifest of repo@digest, parsed into *mf and as JSON
 * into *doc (when doc is not NULL; owned by the caller). */
static int fetch_sig_manifest(cz_oci *c, const char *repo, const char *digest,
			      cz_oci_manifest *mf, json_t **doc, cz_error *err)
{
	char *tag = cz_cosign_sig_tag(digest);
	cz_oci_raw_manifest raw = { 0 };
	int rc;

	memset(mf, 0, sizeof(*mf));
	if (doc)
		*doc = NULL;
	if (!tag) {
		rc = cz_fail(err, CZ_EINVALID, "'%s' is not a sha256 digest",
			     digest);
		goto cleanup;
	}
	rc = cz_oci_manifest_get(c, repo, tag, &raw, err);
	if (rc == CZ_ENOTFOUND) {
		rc = cz_fail(err, CZ_ENOTFOUND, "no signature for %s@%s (no "
			     "tag %s)", repo, digest, tag);
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	rc = cz_oci_manifest_parse(raw.data, raw.len, raw.media_type, mf, err);
	if (rc == CZ_OK && mf->is_index) {
		cz_oci_manifest_release(mf);
		rc = cz_fail(err, CZ_EINVALID, "is an image index");
	}
	if (rc < 0) {
		cz_error_prefix(err, "signature manifest %s:%s", repo, tag);
		goto cleanup;
	}
	if (doc)
		*doc = json_loadb(raw.data, raw.len, 0, NULL);
cleanup:
	cz_oci_raw_manifest_release(&raw);
	free(tag);
	return rc;
}

/* One signature layer: CZ_OK when it verifies; a transport failure is
 * returned as it is (not a verdict on the signature). */
static int verify_layer(cz_oci *c, const char *repo, const char *digest,
			EVP_PKEY *pkey, const cz_oci_descriptor *layer,
			cz_error *err)
{
	const char *sig = cz_oci_annotation_get(layer->annotations,
						layer->n_annotations,
						CZ_COSIGN_ANN_SIGNATURE);
	char *payload = NULL;
	size_t len = 0;
	int rc;

	if (!sig)
		return cz_fail(err, CZ_EINVALID, "layer %s has no %s annotation",
			       layer->digest, CZ_COSIGN_ANN_SIGNATURE);
	if (layer->size > CZ_COSIGN_MAX_PAYLOAD)
		return cz_fail(err, CZ_ETOOLARGE, "payload %s is %llu bytes, "
			       "over the %u-byte cap", layer->digest,
			       (unsigned long long)layer->size,
			       CZ_COSIGN_MAX_PAYLOAD);
	rc = cz_oci_blob_get_buf(c, repo, layer->digest, CZ_COSIGN_MAX_PAYLOAD,
				 &payload, &len, err);
	if (rc == CZ_OK)
		rc = verify_with_key(pkey, payload, len, sig, digest, err);
	free(payload);
	return rc;
}

/* Whether a layer failure is about the layer (the next one is tried)
 * rather than about reaching the registry. */
static bool layer_verdict(int rc)
{
	return rc == CZ_EINVALID || rc == CZ_EDENIED || rc == CZ_ETOOLARGE ||
	       rc == CZ_ENOTFOUND;
}

static int verify_layers(cz_oci *c, const char *repo, const char *digest,
			 EVP_PKEY *pkey, const cz_oci_manifest *mf,
			 cz_error *err)
{
	cz_error first = CZ_ERROR_INIT, one = CZ_ERROR_INIT;
	size_t tried = 0;
	int rc;

	if (mf->n_layers > CZ_COSIGN_MAX_LAYERS)
		return cz_fail(err, CZ_ETOOLARGE, "the signature manifest of "
			       "%s@%s has %zu layers, over the cap of %u",
			       repo, digest, mf->n_layers,
			       CZ_COSIGN_MAX_LAYERS);
	for (size_t i = 0; i < mf->n_layers; i++) {
		if (strcmp(mf->layers[i].media_type, CZ_COSIGN_MT_PAYLOAD) != 0)
			continue;
		rc = verify_layer(c, repo, digest, pkey, &mf->layers[i], &one);
		if (rc == CZ_OK)
			return CZ_OK;
		if (!layer_verdict(rc))
			return cz_fail(err, rc, "%s", one.msg);
		if (tried++ == 0)
			first = one;
	}
	if (!tried)
		return cz_fail(err, CZ_EDENIED, "the signature manifest of "
			       "%s@%s has no %s layer", repo, digest,
			       CZ_COSIGN_MT_PAYLOAD);
	return cz_fail(err, CZ_EDENIED, "no signature of %s@%s verifies: %s%s",
		       repo, digest, first.msg,
		       tried > 1 ? " (and the other signatures fail too)" : "");
}

int cz_cosign_verify(cz_oci *c, const char *repo, const char *digest,
		     const char *pub_pem, size_t pub_len, cz_error *err)
{
	EVP_PKEY *pkey = NULL;
	cz_oci_manifest mf;
	bool parsed = false;
	int rc;

	memset(&mf, 0, sizeof(mf));
	if ((rc = load_key(pub_pem, pub_len, false, &pkey, err)) < 0)
		goto cleanup;
	if ((rc = fetch_sig_manifest(c, repo, digest, &mf, NULL, err)) < 0)
		goto cleanup;
	parsed = true;
	rc = verify_layers(c, repo, digest, pkey, &mf, err);
cleanup:
	if (parsed)
		cz_oci_manifest_release(&mf);
	EVP_PKEY_free(pkey);
	return rc;
}

/* ---- signing ---------------------------------------------------------- */

static json_t *descriptor_json(const char *media_type,
			       const cz_oci_pushed *p)
{
	return json_pack("{s:s, s:I, s:s}", "mediaType", media_type, "size",
			 (json_int_t)p->size, "digest", p->digest);
}

/* The layers of the existing signature manifest (a new reference), or an
 * empty array when there is none. */
static int existing_layers(cz_oci *c, const char *repo, const char *digest,
			   json_t **out, cz_error *err)
{
	cz_oci_manifest mf;
	json_t *doc = NULL;
	int rc = fetch_sig_manifest(c, repo, digest, &mf, &doc, err);

	*out = NULL;
	if (rc == CZ_ENOTFOUND) {
		*out = json_array();
		return CZ_OK;
	}
	if (rc < 0)
		return rc;
	if (mf.n_layers >= CZ_COSIGN_MAX_LAYERS)
		rc = cz_fail(err, CZ_ETOOLARGE, "%s@%s has %zu signatures "
			     "already, the cap is %u", repo, digest,
			     mf.n_layers, CZ_COSIGN_MAX_LAYERS);
	else if (!json_is_array(json_object_get(doc, "layers")))
		*out = json_array();
	else
		*out = json_incref(json_object_get(doc, "layers"));
	cz_oci_manifest_release(&mf);
	json_decref(doc);
	return rc;
}

/* The image config cosign writes: empty, with the layers' digests as
 * rootfs diff_ids. */
static char *config_text(const json_t *layers)
{
	json_t *ids = json_array();
	json_t *cfg, *l;
	size_t i;
	char *text;

	json_array_foreach (layers, i, l)
		json_array_append(ids, json_object_get(l, "digest"));
	cfg = json_pack("{s:s, s:s, s:[{s:s}], s:s, s:{s:s, s:o}, s:{}}",
			"architecture", "", "created", ZERO_TIME, "history",
			"created", ZERO_TIME, "os", "", "rootfs", "type",
			"layers", "diff_ids", ids, "config");
	text = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(cfg);
	return text;
}

/* Pushes the config for layers and puts the manifest under the tag. */
static int put_sig_manifest(cz_oci *c, const char *repo, const char *digest,
			    json_t *layers, cz_error *err)
{
	char *tag = cz_cosign_sig_tag(digest);
	char *cfg = config_text(layers);
	json_t *m = NULL;
	char *text = NULL;
	cz_oci_pushed pushed;
	int rc;

	rc = cz_oci_blob_push_buf(c, repo, cfg, strlen(cfg), NULL, &pushed,
				  err);
	if (rc < 0)
		goto cleanup;
	m = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType",
		      CZ_OCI_MT_MANIFEST, "config",
		      descriptor_json(MT_IMAGE_CONFIG, &pushed), "layers",
		      layers);
	text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = cz_oci_manifest_put(c, repo, tag, CZ_OCI_MT_MANIFEST, text,
				 strlen(text), NULL, err);
cleanup:
	free(text);
	json_decref(m);
	free(cfg);
	free(tag);
	return rc;
}

int cz_cosign_sign(cz_oci *c, const char *repo, const char *digest,
		   const char *docker_reference, const char *key_pem,
		   size_t key_len, cz_error *err)
{
	char *payload = NULL, *sig = NULL;
	json_t *layers = NULL, *layer;
	cz_oci_pushed pushed;
	int rc;

	if (!cz_oci_digest_is_sha256(digest)) {
		rc = cz_fail(err, CZ_EINVALID, "'%s' is not a sha256 digest",
			     digest);
		goto cleanup;
	}
	payload = cz_cosign_payload(docker_reference, digest);
	if ((rc = cz_cosign_sign_payload(key_pem, key_len, payload,
					 strlen(payload), &sig, err)) < 0)
		goto cleanup;
	if ((rc = existing_layers(c, repo, digest, &layers, err)) < 0)
		goto cleanup;
	rc = cz_oci_blob_push_buf(c, repo, payload, strlen(payload), NULL,
				  &pushed, err);
	if (rc < 0)
		goto cleanup;
	layer = descriptor_json(CZ_COSIGN_MT_PAYLOAD, &pushed);
	json_object_set_new(layer, "annotations",
			    json_pack("{s:s}", CZ_COSIGN_ANN_SIGNATURE, sig));
	json_array_append_new(layers, layer);
	rc = put_sig_manifest(c, repo, digest, layers, err);
cleanup:
	json_decref(layers);
	free(sig);
	free(payload);
	return rc;
}
