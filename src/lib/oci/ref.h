#ifndef CZ_OCI_REF_H
#define CZ_OCI_REF_H

/*
 * References to content in an OCI registry:
 *
 *   oci://host[:port]/path/name[:tag][@sha256:...]
 *   host[:port]/path/name[:tag][@sha256:...]
 *
 * There is no default registry: the first segment is always the host.  A
 * reference with neither tag nor digest means the tag "latest", as in
 * Flux.  Names and tags follow the distribution spec's grammar; errors name
 * the part that breaks it.
 */

#include <stdbool.h>

#include "util/error.h"

typedef struct cz_oci_ref {
	char *host;   /* "host" or "host:port"; owned */
	char *repo;   /* repository name, "path/name"; owned */
	char *tag;    /* owned; NULL when none was given */
	char *digest; /* owned; NULL when none was given */
} cz_oci_ref;

#define CZ_OCI_REF_INIT { NULL, NULL, NULL, NULL }

/* Parses text into *out (whose strings the caller frees with
 * cz_oci_ref_release(); on failure *out is left empty).  Returns
 * CZ_EINVALID with a message naming the bad part. */
int cz_oci_ref_parse(const char *text, cz_oci_ref *out, cz_error *err);
void cz_oci_ref_release(cz_oci_ref *r);

/* What goes after /manifests/: the digest when there is one, else the tag,
 * else "latest".  Borrowed from r. */
const char *cz_oci_ref_reference(const cz_oci_ref *r);

/* "host/repo[:tag][@digest]"; malloc'ed, the caller frees it. */
char *cz_oci_ref_format(const cz_oci_ref *r);

bool cz_oci_repo_valid(const char *repo);
bool cz_oci_tag_valid(const char *tag);

/* The tag Helm stores a chart version under: '+' (SemVer build metadata,
 * forbidden in tags) written as '_'.  malloc'ed, the caller frees it. */
char *cz_oci_tag_from_version(const char *version);

#endif
