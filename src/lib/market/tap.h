#ifndef CZ_MARKET_TAP_H
#define CZ_MARKET_TAP_H

/*
 * Taps: a package repository published as an OCI artifact, subscribed to
 * on a cluster.  A tap is one Flux OCIRepository in cozy-system named
 * tap-<org>-<repo> plus the PackageSources the artifact declares under
 * core/platform/sources/, each pointed at that OCIRepository.  All of them
 * carry the label CZ_TAP_LABEL whose value is the OCIRepository's name, so
 * that a tap's objects are found by label and never by a name prefix.
 *
 * The objects are built here so that `cozypkg tap` and the controller that
 * follows new revisions of a tap build them the same way.
 */

#include <stdbool.h>

#include <jansson.h>

#include "market/index.h"
#include "oci/ref.h"
#include "util/diags.h"
#include "util/error.h"

#define CZ_TAP_LABEL "apps.cozystack.io/marketplace-tap"
#define CZ_TAP_NAMESPACE "cozy-system"
#define CZ_TAP_FIELD_MANAGER "cozypkg"
/* Where an artifact declares its PackageSources, from its root. */
#define CZ_TAP_SOURCES_DIR "core/platform/sources"

/* "tap-<org>-<repo>" from the last two path segments of ref's repository
 * (one when there is only one), lowercased, every run of characters
 * outside [a-z0-9] written '-', cut to 63 characters; malloc'ed. */
char *cz_tap_name(const cz_oci_ref *ref);

/* "oci://host/repo", the URL a tap's OCIRepository has; malloc'ed. */
char *cz_tap_url(const cz_oci_ref *ref);

/*
 * Reads the PackageSources under root/core/platform/sources (root is an
 * extracted artifact) into *out, a new JSON array in name order.  Problems
 * go to diags (file, line and field) and make it CZ_EINVALID; an artifact
 * that declares none is CZ_ENOTFOUND.
 */
int cz_tap_read_sources(const char *root, json_t **out, cz_diags *diags,
			cz_error *err);

/* The PackageSource to apply for a declared one: its name and spec, the
 * tap label, and spec.sourceRef pointed at the tap's OCIRepository
 * (keeping the declared path).  New reference. */
json_t *cz_tap_source_object(const json_t *declared, const char *tap);

typedef struct cz_tap_repo {
	const char *name;       /* tap-<org>-<repo> */
	const char *url;        /* oci://host/repo */
	const char *tag;        /* spec.ref.tag, or NULL */
	const char *digest;     /* spec.ref.digest, or NULL (wins over tag) */
	const char *secret;     /* spec.secretRef.name, or NULL */
	const char *verify_secret; /* spec.verify secretRef, or NULL */
	bool insecure;          /* spec.insecure */
	const char *interval;   /* spec.interval; NULL: 5m */
} cz_tap_repo;

/* The OCIRepository object for a tap.  New reference. */
json_t *cz_tap_ocirepository(const cz_tap_repo *r);

/* The Secret in cozy-system holding a tap's cosign public key (pem,
 * len bytes) as data cosign.pub, named "<tap>-cosign", with the tap
 * label: what an OCIRepository's spec.verify points at.  New reference. */
json_t *cz_tap_verify_secret(const char *tap, const char *pem, size_t len);

/*
 * What tapping index entry e writes, as `cozypkg tap NAME` writes it
 * (without --tag, --pin or --secret): *out is a new object
 * {"name": tap-<org>-<repo>, "url": oci://host/repo, "objects": [...]}
 * whose objects are, in the order to apply them, the key's Secret when
 * the entry is signed with a key, then the OCIRepository (the pinned
 * digest when the entry has one, else its version as the tag; spec.verify
 * when signed with a key; spec.insecure when insecure).  The
 * PackageSources are not among them: the tap controller applies them
 * once the OCIRepository stores a revision.  CZ_EINVALID when the
 * entry's reference does not parse; *out is NULL then.
 */
int cz_tap_for_entry(const cz_market_entry *e, bool insecure, json_t **out,
		     cz_error *err);

/* The label value when obj carries the tap label, else NULL (borrowed). */
const char *cz_tap_label(const json_t *obj);

#endif
