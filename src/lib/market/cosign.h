#ifndef CZ_MARKET_COSIGN_H
#define CZ_MARKET_COSIGN_H

/*
 * Cosign-compatible key signatures of OCI artifacts (cosign's
 * SIGNATURE_SPEC): the signature of repo@sha256:<hex> is stored in the
 * same repository under the tag "sha256-<hex>.sig", as an image manifest
 * whose layers are simple-signing payloads
 * (application/vnd.dev.cosign.simplesigning.v1+json) each carrying its
 * base64 ECDSA P-256 / SHA-256 signature in the annotation
 * dev.cosignproject.cosign/signature.  Public keys are PKIX PEM ("PUBLIC
 * KEY", as cosign.pub); private keys PKCS#8 PEM.
 */

#include <stddef.h>

#include "oci/client.h"
#include "util/error.h"

#define CZ_COSIGN_MT_PAYLOAD "application/vnd.dev.cosign.simplesigning.v1+json"
#define CZ_COSIGN_ANN_SIGNATURE "dev.cosignproject.cosign/signature"
#define CZ_COSIGN_TYPE "cosign container image signature"

/* Caps on what verification reads from a registry: one payload blob, and
 * the signature layers looked at per digest. */
#define CZ_COSIGN_MAX_PAYLOAD (64u * 1024)
#define CZ_COSIGN_MAX_LAYERS 100

/* Private key files are read up to this size. */
#define CZ_COSIGN_MAX_KEY (64u * 1024)

/* Writes a new P-256 key pair: the private key to priv_path (mode 0600)
 * and the public key to pub_path (0644).  Existing files are refused
 * (CZ_EEXISTS). */
int cz_cosign_keygen(const char *priv_path, const char *pub_path,
		     cz_error *err);

/*
 * Signs repo@digest (digest "sha256:<hex>", the manifest digest) with the
 * PEM private key in key_pem[0..key_len), adding a layer to the signature
 * manifest (an existing signature manifest keeps its other layers).
 * docker_reference is "host/repo" as written in the payload.
 */
int cz_cosign_sign(cz_oci *c, const char *repo, const char *digest,
		   const char *docker_reference, const char *key_pem,
		   size_t key_len, cz_error *err);

/*
 * Verifies that repo@digest carries at least one signature that the PEM
 * public key in pub_pem[0..pub_len) accepts and whose payload names that
 * digest.  CZ_ENOTFOUND when there is no signature manifest; CZ_EDENIED
 * when signatures exist but none verifies (err says why, naming the
 * digest); CZ_EINVALID for a malformed key or signature manifest.
 */
int cz_cosign_verify(cz_oci *c, const char *repo, const char *digest,
		     const char *pub_pem, size_t pub_len, cz_error *err);

/* ---- the pure parts, for tests and for callers that fetched already -- */

/* The tag the signature of digest ("sha256:<hex>") is stored under:
 * "sha256-<hex>.sig".  NULL when digest is not a sha256 digest; else
 * malloc'ed, the caller frees it. */
char *cz_cosign_sig_tag(const char *digest);

/* The simple-signing payload cosign writes for docker_reference
 * ("host/repo") and digest, byte for byte as cosign marshals it (compact,
 * "optional":null).  malloc'ed, the caller frees it. */
char *cz_cosign_payload(const char *docker_reference, const char *digest);

/* CZ_OK when pem[0..len) is a PEM ECDSA P-256 public key; CZ_EINVALID
 * (or CZ_ETOOLARGE) saying what it is not. */
int cz_cosign_pubkey_check(const char *pem, size_t len, cz_error *err);

/* Signs payload[0..len) with the PEM private key: *sig_b64_out is the
 * base64 of the DER ECDSA signature over its SHA-256 (malloc'ed, the caller
 * frees it).  CZ_EINVALID for a key that is not an unencrypted PEM EC
 * private key. */
int cz_cosign_sign_payload(const char *key_pem, size_t key_len,
			   const char *payload, size_t len, char **sig_b64_out,
			   cz_error *err);

/*
 * Checks one signature layer: sig_b64 is a valid signature of the exact
 * bytes payload[0..len) under the PEM public key, and the payload is a
 * cosign simple-signing payload whose docker-manifest-digest is digest.
 * CZ_EINVALID for a malformed key, signature (not base64, not DER) or
 * payload; CZ_EDENIED when the signature does not verify or the payload
 * names another digest (the message names both).
 */
int cz_cosign_verify_payload(const char *pub_pem, size_t pub_len,
			     const char *payload, size_t len,
			     const char *sig_b64, const char *digest,
			     cz_error *err);

#endif
