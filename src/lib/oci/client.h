#ifndef CZ_OCI_CLIENT_H
#define CZ_OCI_CLIENT_H

/*
 * A client for one OCI registry host (distribution spec v1.1), over libcurl:
 * manifests and blobs, pull and push, tag lists, and Helm charts stored as
 * OCI artifacts.
 *
 * Auth: anonymous first; on 401 the registry's challenge decides.  Basic
 * sends the configured credentials; Bearer fetches a token from the
 * challenge's realm (with the credentials as Basic, when there are any)
 * for the scope of the request and caches it per scope until it expires.
 * Credentials come from opts (username/password) or from a docker config
 * JSON text (a kubernetes.io/dockerconfigjson Secret), looked up by host.
 * Neither credentials nor tokens ever appear in an error message or a log
 * line, and Authorization is only sent to the registry host itself (and
 * Basic credentials to the token realm it names): redirects are followed
 * by hand and lose the header when they leave that host.
 *
 * Failures that may pass (connection refused or reset, truncated or
 * corrupt bodies, 5xx, 429) are retried with exponential backoff and
 * jitter, honouring Retry-After up to a cap, for at most max_attempts
 * tries.  Every body from the network is capped: manifests at
 * max_manifest, blobs at max_blob and at the size their descriptor names,
 * tag lists at max_tags.  Content is verified against its digest before it
 * is handed out or stored; a blob that does not match is deleted, never
 * renamed into place.
 *
 * A handle keeps its connections alive and is used by one thread at a
 * time.  Every call returns CZ_OK or a negative cz_code with one line in
 * err: CZ_ENOTFOUND (404 / unknown name, manifest or blob), CZ_EDENIED
 * (401, 403), CZ_EINVALID (400, malformed answers, digest mismatch),
 * CZ_ETOOLARGE (a cap), CZ_EIO (transport), CZ_ERR (others).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/digest.h"
#include "oci/parse.h"
#include "util/error.h"

typedef struct cz_oci cz_oci;

typedef struct cz_oci_opts {
	bool insecure;         /* http:// instead of https:// */
	const char *ca_file;   /* PEM bundle to trust; NULL: the system's */
	const char *username;  /* with password: overrides docker_config */
	const char *password;
	const char *docker_config; /* docker config JSON text, or NULL */
	const char *user_agent;    /* NULL: "cozypkg/VERSION" */
	unsigned connect_timeout_seconds; /* 0: 15 */
	unsigned timeout_seconds; /* requests without a blob body; 0: 60 */
	/* A blob transfer slower than 1 KiB/s for this long is abandoned
	 * (and retried); 0: 30.  Blobs have no overall timeout. */
	unsigned stall_seconds;
	unsigned max_attempts;       /* tries per request; 0: 5 */
	unsigned retry_base_ms;      /* first backoff; 0: 200 */
	unsigned retry_max_ms;       /* backoff cap; 0: 10000 */
	unsigned retry_after_max_ms; /* cap on Retry-After; 0: 30000 */
	uint64_t max_blob;           /* 0: 4 GiB */
	size_t max_manifest;         /* 0: CZ_OCI_MANIFEST_MAX */
	size_t max_tags;             /* 0: 100000 */
	unsigned tags_page_size;     /* n= per page; 0: the registry's */
	size_t chunk_size; /* blob uploads in PATCH chunks of this size;
			    * 0: monolithic (POST, then PUT with the body) */
	bool verbose;      /* log retries and redirects (never secrets) */
} cz_oci_opts;

/* Counters for tests and benchmarks. */
typedef struct cz_oci_stats {
	unsigned requests;      /* HTTP exchanges, including retries */
	unsigned retries;       /* attempts after a retryable failure */
	unsigned token_fetches; /* requests to the token service */
	unsigned redirects;     /* redirects followed */
} cz_oci_stats;

/*
 * Opens a client for host ("host" or "host:port"); nothing is sent yet.
 * opts may be NULL and is copied.  Credentials for host are taken from
 * opts->username/password, else from opts->docker_config (an entry that is
 * missing is fine; a malformed config is CZ_EINVALID).  The handle is
 * freed with cz_oci_free().
 */
int cz_oci_open(const char *host, const cz_oci_opts *opts, cz_oci **out,
		cz_error *err);
void cz_oci_free(cz_oci *c);
/* Borrowed from the handle. */
const char *cz_oci_host(const cz_oci *c);
void cz_oci_stats_get(const cz_oci *c, cz_oci_stats *out);

/* GET /v2/: reachable and, when auth is asked for, the credentials work. */
int cz_oci_ping(cz_oci *c, cz_error *err);

/* ---- manifests ------------------------------------------------------ */

/* The Accept header value for manifests: the four kinds parse.h knows. */
#define CZ_OCI_MANIFEST_ACCEPT                                                 \
	CZ_OCI_MT_MANIFEST ", " CZ_OCI_MT_INDEX ", " CZ_OCI_MT_DOCKER_MANIFEST \
	", " CZ_OCI_MT_DOCKER_LIST

typedef struct cz_oci_raw_manifest {
	char *data;       /* the exact bytes, NUL-terminated; owned */
	size_t len;
	char *media_type; /* Content-Type as served; owned, may be NULL */
	char digest[CZ_OCI_DIGEST_BUF]; /* sha256 of data */
} cz_oci_raw_manifest;
void cz_oci_raw_manifest_release(cz_oci_raw_manifest *m);

/*
 * HEAD /v2/<repo>/manifests/<reference>.  *digest_out (Docker-Content-
 * Digest) and *media_type_out are malloc'ed (the caller frees them; each
 * out pointer may be NULL); *size_out is Content-Length.
 */
int cz_oci_manifest_head(cz_oci *c, const char *repo, const char *reference,
			 char **digest_out, char **media_type_out,
			 uint64_t *size_out, cz_error *err);

/*
 * GET /v2/<repo>/manifests/<reference>, capped at max_manifest.  The bytes
 * are checked against reference when it is a digest, and against
 * Docker-Content-Digest when the registry sends a sha256 one.  *out is
 * released with cz_oci_raw_manifest_release().
 */
int cz_oci_manifest_get(cz_oci *c, const char *repo, const char *reference,
			cz_oci_raw_manifest *out, cz_error *err);

/*
 * PUT /v2/<repo>/manifests/<reference> (a tag or the data's digest) with
 * Content-Type media_type.  digest_out (may be NULL) receives the sha256 of
 * data, which is what the registry stores it under.
 */
int cz_oci_manifest_put(cz_oci *c, const char *repo, const char *reference,
			const char *media_type, const void *data, size_t len,
			char digest_out[CZ_OCI_DIGEST_BUF], cz_error *err);

/* ---- blobs ---------------------------------------------------------- */

/* HEAD /v2/<repo>/blobs/<digest>: *exists, and *size_out (may be NULL). */
int cz_oci_blob_exists(cz_oci *c, const char *repo, const char *digest,
		       bool *exists, uint64_t *size_out, cz_error *err);

/*
 * GET /v2/<repo>/blobs/<digest> into the file path.  The body streams into
 * a temporary file next to path while its sha256 is computed; it must
 * match digest (a sha256) and size (when size >= 0), and stay under
 * max_blob, or the temporary file is deleted and nothing is stored.  On
 * success the file is renamed to path (replacing any file there).
 */
int cz_oci_blob_get_file(cz_oci *c, const char *repo, const char *digest,
			 int64_t size, const char *path, cz_error *err);

/* The same into memory, capped at max bytes: *data_out (NUL-terminated,
 * the caller frees it) and *len_out. */
int cz_oci_blob_get_buf(cz_oci *c, const char *repo, const char *digest,
			size_t max, char **data_out, size_t *len_out,
			cz_error *err);

typedef enum cz_oci_push_how {
	CZ_OCI_PUSH_EXISTED,  /* the registry had it; nothing sent */
	CZ_OCI_PUSH_MOUNTED,  /* mounted from another repository */
	CZ_OCI_PUSH_UPLOADED, /* uploaded (monolithic or chunked) */
} cz_oci_push_how;

typedef struct cz_oci_pushed {
	char digest[CZ_OCI_DIGEST_BUF];
	uint64_t size;
	cz_oci_push_how how;
} cz_oci_pushed;

/*
 * Pushes the file at path as a blob of repo: its digest is computed, a
 * HEAD skips what the registry has, mount_from (a repository on the same
 * registry, or NULL) is tried as a cross-repository mount (a 202 answer
 * falls back to an upload), then the body is uploaded monolithically or in
 * chunk_size PATCH chunks.  A failed upload starts over with a new session,
 * within max_attempts.
 */
int cz_oci_blob_push_file(cz_oci *c, const char *repo, const char *path,
			  const char *mount_from, cz_oci_pushed *out,
			  cz_error *err);
/* The same for bytes in memory. */
int cz_oci_blob_push_buf(cz_oci *c, const char *repo, const void *data,
			 size_t len, const char *mount_from, cz_oci_pushed *out,
			 cz_error *err);

/* ---- tags ----------------------------------------------------------- */

/*
 * GET /v2/<repo>/tags/list, following Link rel="next" pages (n=
 * tags_page_size when set), at most max_tags tags in all (CZ_ETOOLARGE
 * past it).  *tags_out is an array of *n_out malloc'ed strings, in the
 * registry's order; free it with cz_oci_tags_free().
 */
int cz_oci_tags_list(cz_oci *c, const char *repo, char ***tags_out,
		     size_t *n_out, cz_error *err);
void cz_oci_tags_free(char **tags, size_t n);

/* ---- whole artifacts ------------------------------------------------ */

typedef struct cz_oci_chart {
	const char *tgz_path;    /* the chart archive as `helm package` wrote it */
	const char *name;        /* chart name (Chart.yaml name) */
	const char *version;     /* chart version (SemVer; '+' allowed) */
	const char *config_json; /* Chart.yaml as JSON; NULL: generated from
				  * name and version */
	const char *prov_path;   /* provenance file, or NULL */
	const char *mount_from;  /* repository to mount blobs from, or NULL */
} cz_oci_chart;

/*
 * Pushes a Helm chart as Helm 3.8+ does: config
 * application/vnd.cncf.helm.config.v1+json, chart layer
 * application/vnd.cncf.helm.chart.content.v1.tar+gzip (and the provenance
 * layer), an OCI image manifest with title and version annotations, tagged
 * with the version where '+' is written '_'.  digest_out (may be NULL)
 * receives the manifest digest.
 */
int cz_oci_push_chart(cz_oci *c, const char *repo, const cz_oci_chart *chart,
		      char digest_out[CZ_OCI_DIGEST_BUF], cz_error *err);

/*
 * Pulls an image manifest and everything it references into dir (which
 * must exist), in the layout of skopeo's dir: transport: manifest.json
 * (the exact bytes) and each blob in a file named by its digest's hex
 * part.  Blobs already present with the right size are verified, not
 * fetched again.  An image index is refused (pull one of its manifests by
 * digest).  digest_out (may be NULL) receives the manifest digest.
 */
int cz_oci_pull(cz_oci *c, const char *repo, const char *reference,
		const char *dir, char digest_out[CZ_OCI_DIGEST_BUF],
		cz_error *err);

#endif
