#ifndef CZ_OCI_PARSE_H
#define CZ_OCI_PARSE_H

/*
 * The pure parsers of the OCI client: everything that reads bytes a
 * registry, a token service or a Secret sent, with no I/O, so that the unit
 * tests and the fuzz target reach all of it.
 *
 *   - WWW-Authenticate challenges (RFC 7235; Docker's token auth),
 *   - Link headers (RFC 8288) for tag-list pagination,
 *   - docker config JSON (kubernetes.io/dockerconfigjson Secrets),
 *   - manifests: OCI image manifest and index, Docker schema 2 manifest and
 *     manifest list.
 *
 * Every function that hands out memory says who frees it; on failure
 * nothing is handed out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CZ_OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CZ_OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define CZ_OCI_MT_DOCKER_MANIFEST                                              \
	"application/vnd.docker.distribution.manifest.v2+json"
#define CZ_OCI_MT_DOCKER_LIST                                                  \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define CZ_OCI_MT_HELM_CONFIG "application/vnd.cncf.helm.config.v1+json"
#define CZ_OCI_MT_HELM_CHART "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define CZ_OCI_MT_HELM_PROV "application/vnd.cncf.helm.chart.provenance.v1.prov"

/* Manifests larger than this are refused (the spec asks registries to take
 * at least 4 MiB, so nothing valid is larger). */
#define CZ_OCI_MANIFEST_MAX (4u * 1024 * 1024)
/* Descriptors per manifest (layers or index entries) and annotations per
 * object: far above anything real, low enough to bound the work. */
#define CZ_OCI_MAX_DESCRIPTORS 4096
#define CZ_OCI_MAX_ANNOTATIONS 1024

/* ---- WWW-Authenticate ----------------------------------------------- */

typedef struct cz_oci_challenge {
	char *scheme;  /* as sent, e.g. "Bearer" or "Basic"; owned */
	char *realm;   /* owned; NULL when absent (also below) */
	char *service; /* owned */
	char *scope;   /* owned; may hold several scopes separated by spaces */
	char *error;   /* owned; e.g. "insufficient_scope" */
} cz_oci_challenge;

/*
 * Parses one WWW-Authenticate header value.  When it carries several
 * challenges, the first Bearer one is taken, else the first.  Fills *out
 * (released with cz_oci_challenge_release()).  CZ_EINVALID when the value
 * is not a challenge list.
 */
int cz_oci_challenge_parse(const char *header, cz_oci_challenge *out,
			   cz_error *err);
void cz_oci_challenge_release(cz_oci_challenge *c);
/* True when the challenge's scheme is scheme (case-insensitive). */
bool cz_oci_challenge_is(const cz_oci_challenge *c, const char *scheme);

/* ---- Link ----------------------------------------------------------- */

/*
 * The target of the first link with relation "next" in a Link header
 * value, e.g. "</v2/x/tags/list?n=2&last=b>; rel=\"next\"".  *url_out is
 * malloc'ed (the caller frees it), or NULL when there is no next link.
 * CZ_EINVALID when the value is malformed.
 */
int cz_oci_link_next(const char *header, char **url_out, cz_error *err);

/* ---- docker config -------------------------------------------------- */

/*
 * Looks host ("host" or "host:port") up in a docker config JSON text:
 * {"auths": {"<host>": {"auth": base64("user:password")} or
 * {"username": ..., "password": ...}}}.  Keys may carry a scheme and a
 * path ("https://host/v1/"); the old .dockercfg form (no "auths") is read
 * too.  On success *user_out and *pass_out are malloc'ed (the caller frees
 * them).  CZ_ENOTFOUND when there is no entry for host, CZ_EINVALID when
 * the text or the entry is malformed; messages never contain secrets.
 */
int cz_oci_docker_config_lookup(const char *json, size_t len,
				const char *host, char **user_out,
				char **pass_out, cz_error *err);

/* ---- manifests ------------------------------------------------------ */

typedef struct cz_oci_annotation {
	char *key;   /* owned */
	char *value; /* owned */
} cz_oci_annotation;

typedef struct cz_oci_descriptor {
	char *media_type;    /* owned */
	char *digest;        /* owned, well-formed (cz_oci_digest_valid) */
	uint64_t size;
	char *artifact_type; /* owned; NULL when absent */
	char *platform_os;   /* index entries only; owned; NULL when absent */
	char *platform_arch; /* idem */
	cz_oci_annotation *annotations; /* owned array */
	size_t n_annotations;
} cz_oci_descriptor;

typedef struct cz_oci_manifest {
	char *media_type; /* the effective media type (one of the four); owned */
	bool is_index;    /* an image index or manifest list */
	char *artifact_type; /* owned; NULL when absent */
	bool has_config;  /* image manifests always have one */
	cz_oci_descriptor config;
	cz_oci_descriptor *layers; /* owned array (image manifests) */
	size_t n_layers;
	cz_oci_descriptor *manifests; /* owned array (indexes) */
	size_t n_manifests;
	cz_oci_annotation *annotations; /* owned array */
	size_t n_annotations;
} cz_oci_manifest;

/*
 * Parses a manifest.  content_type is the Content-Type it was served with
 * (may be NULL): it decides the kind when the JSON has no mediaType, and
 * must agree with the JSON's mediaType when both name one of the four
 * kinds.  Refuses (CZ_EINVALID, naming the field) anything that is not
 * schemaVersion 2, a descriptor without mediaType, digest or a
 * non-negative integer size, duplicate JSON keys; CZ_ETOOLARGE over
 * CZ_OCI_MANIFEST_MAX bytes or the descriptor and annotation caps.  *out is
 * released with cz_oci_manifest_release().
 */
int cz_oci_manifest_parse(const char *data, size_t len,
			  const char *content_type, cz_oci_manifest *out,
			  cz_error *err);
void cz_oci_manifest_release(cz_oci_manifest *m);

/* The value of key among annotations, borrowed; NULL when absent. */
const char *cz_oci_annotation_get(const cz_oci_annotation *a, size_t n,
				  const char *key);

/* True when media_type (parameters after ';' ignored) is one of the four
 * manifest kinds. */
bool cz_oci_manifest_media_type_known(const char *media_type);

#endif
