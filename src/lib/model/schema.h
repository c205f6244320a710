#ifndef CZ_MODEL_SCHEMA_H
#define CZ_MODEL_SCHEMA_H

/*
 * Structural validation of cozystack.io/v1alpha1 objects against the
 * schemas of the real CRDs (required fields, types, enums, unknown fields),
 * plus Kubernetes object-name rules.  Errors name the file, the line and the
 * field path: "sources/foo.yaml:12: spec.variants[1].components[0].path:
 * required".
 */

#include <jansson.h>
#include <stdbool.h>

#include "object/linemap.h"
#include "util/diags.h"

typedef enum cz_kind {
	CZ_KIND_OTHER,
	CZ_KIND_PACKAGE,
	CZ_KIND_PACKAGE_SOURCE,
} cz_kind;

#define CZ_GROUP_VERSION "cozystack.io/v1alpha1"

/* Kind of obj from its apiVersion and kind (CZ_KIND_OTHER for anything that
 * is not a cozystack.io/v1alpha1 Package or PackageSource). */
cz_kind cz_kind_of(const json_t *obj);

/* Where an object came from, for messages. */
typedef struct cz_where {
	const char *file;
	unsigned line;           /* line of the object, 0 when unknown */
	const cz_linemap *lines; /* may be NULL (JSON input) */
	const char *path_prefix; /* e.g. "items[3]." inside a List, or "" */
} cz_where;

/* Validates obj (a Package or PackageSource) and adds one diagnostic per
 * problem to diags.  Returns true when obj is valid. */
bool cz_validate_object(const json_t *obj, cz_kind kind, const cz_where *where,
			cz_diags *diags);

/* True when name is an RFC 1123 subdomain, as Kubernetes requires for the
 * names of most objects. */
bool cz_is_dns_subdomain(const char *name);
/* True when name is an RFC 1123 label (namespaces). */
bool cz_is_dns_label(const char *name);

#endif
