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

#endif
