#ifndef CZ_CONTROLLER_FLUXSOURCE_H
#define CZ_CONTROLLER_FLUXSOURCE_H

/*
 * The pure parts of the Flux source controller (ctl_fluxsource.c), kept
 * apart so that unit tests reach them: the spec checks, reference
 * precedence, revision strings, artifact names and URLs, and the status an
 * outcome gives.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "git/source.h"
#include "oci/ref.h"
#include "util/error.h"

/* OCIRepository.spec.ref, by Flux's precedence digest > semver > tag. */
typedef enum cz_fs_oci_ref_kind {
	CZ_FS_OCI_TAG,
	CZ_FS_OCI_SEMVER,
	CZ_FS_OCI_DIGEST,
} cz_fs_oci_ref_kind;

typedef struct cz_fs_oci_ref {
	cz_fs_oci_ref_kind kind;
	const char *tag;           /* "latest" when no field is set */
	const char *semver;        /* the constraint */
	const char *semver_filter; /* NULL when absent */
	const char *digest;        /* "sha256:<64 hex>" */
} cz_fs_oci_ref;

/*
 * Reads spec.ref (may be NULL) into *out; strings are borrowed from ref.
 * CZ_EINVALID for a digest that is not sha256:<64 hex>, a constraint that
 * does not parse, or a tag that breaks the distribution grammar.
 */
int cz_fs_oci_ref_read(const json_t *ref, cz_fs_oci_ref *out, cz_error *err);

/* OCIRepository.spec, checked before a registry is asked anything. */
typedef struct cz_fs_oci_spec {
	cz_oci_ref url;    /* host and repository of spec.url; owned */
	cz_fs_oci_ref ref; /* borrowed from the spec */
	const char *layer_media_type; /* NULL: the first layer */
	bool layer_copy;   /* operation copy: the layer stored as it is */
	bool insecure;
	const char *secret_name;      /* spec.secretRef.name; NULL: none */
	const char *cert_secret_name; /* spec.certSecretRef.name; NULL: none */
	/* spec.verify (provider cosign, with a key Secret): the Secret whose
	 * .pub keys a signature of the digest must verify with; NULL: no
	 * verification. */
	const char *verify_secret_name;
} cz_fs_oci_spec;

/*
 * Reads and checks spec into *out, whose strings are borrowed from spec
 * but for url's, freed by cz_fs_oci_spec_release().  A spec error is
 * CZ_EINVALID, with the message in err and the Flux reason in *reason
 * (URLInvalid, InvalidReference, InvalidLayerSelector, or
 * VerificationError for a verify this controller cannot do: a provider
 * other than cosign, or cosign keyless without secretRef); *out is then
 * left empty.
 */
int cz_fs_oci_spec_read(const json_t *spec, cz_fs_oci_spec *out,
			const char **reason, cz_error *err);
void cz_fs_oci_spec_release(cz_fs_oci_spec *s);

/* GitRepository.spec, checked; strings borrowed from the spec. */
typedef struct cz_fs_git_spec {
	const char *url;
	cz_git_ref ref;
	const char *secret_name; /* spec.secretRef.name; NULL: none */
} cz_fs_git_spec;

/*
 * Reads and checks spec into *out.  A spec error is CZ_EINVALID, with the
 * message in err and the Flux reason in *reason (URLInvalid or
 * InvalidReference).
 */
int cz_fs_git_spec_read(const json_t *spec, cz_fs_git_spec *out,
			const char **reason, cz_error *err);

/* The Flux revision of an OCI artifact: "<tag>@<digest>", or "<digest>"
 * when tag is NULL (a digest reference).  The caller frees it. */
char *cz_fs_oci_revision(const char *tag, const char *digest);

/* The store name of a source: "<Kind>_<namespace>_<name>" ('_' appears in
 * no Kubernetes name, so the name is unambiguous).  The caller frees it. */
char *cz_fs_artifact_name(const char *kind, const char *ns, const char *name);

/* "<base>/artifacts/sha256/<hex>.tar.gz" for digest "sha256:<hex>"; the
 * caller frees it. */
char *cz_fs_artifact_url(const char *base, const char *digest);

/* Whether spec.verify was asked for, and what it found. */
typedef enum cz_fs_verify {
	CZ_FS_VERIFY_NONE,   /* not asked: no SourceVerified condition */
	CZ_FS_VERIFY_OK,     /* SourceVerified=True */
	CZ_FS_VERIFY_FAILED, /* SourceVerified=False, the outcome's message */
} cz_fs_verify;

/* What one reconcile found. */
typedef enum cz_fs_result {
	CZ_FS_READY,       /* an artifact for the current revision is stored */
	CZ_FS_PROGRESSING, /* a new revision is being fetched */
	CZ_FS_FAILED,      /* a failure that may pass: retried */
	CZ_FS_STALLED,     /* the spec is invalid: not retried until it changes */
} cz_fs_result;

typedef struct cz_fs_outcome {
	cz_fs_result result;
	const char *reason;  /* Flux reason, e.g. "OCIArtifactPullFailed" */
	const char *message; /* never holds credentials */
	/* The artifact (READY), or the revision being fetched (PROGRESSING). */
	const char *revision;
	const char *digest; /* "sha256:<hex>" of the stored tarball */
	uint64_t size;
	const char *path; /* "<kind>/<ns>/<name>/<hex>.tar.gz" as Flux shows */
	const char *url;
	cz_fs_verify verify;
} cz_fs_outcome;

/*
 * The new status from the previous one (may be NULL): the artifact (kept,
 * with its lastUpdateTime, when digest and revision did not change; kept
 * as it was on failure), Ready, ArtifactInStorage, Reconciling, Stalled,
 * FetchFailed and SourceVerified conditions as Flux writes them (a
 * verification failure is not a FetchFailed), observedGeneration and
 * lastHandledReconcileAt (requested_at, may be NULL).  A status built
 * twice from the same inputs is json_equal, so a reconcile that changes
 * nothing writes nothing.
 */
json_t *cz_fs_status_build(const json_t *prev, const cz_fs_outcome *o,
			   int64_t generation, const char *requested_at);

#endif
