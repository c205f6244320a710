#ifndef CZ_API_CRD_H
#define CZ_API_CRD_H

/*
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) of the served custom
 * kinds, built from the resource table (api/resource.h) and the kinds'
 * schemas (model/schema.h), for operator mode's --install-crds.
 *
 * Each CRD has the table's group, names (plural, singular, kind, listKind,
 * shortNames, categories) and scope, one version that is served and
 * stored, the status subresource when the row serves it, the row's printer
 * columns, and a structural openAPIV3Schema (api/openapi.h,
 * cz_openapi_crd_schema) whose top-level metadata is {"type": "object"},
 * as the API server requires.  The same build always produces the same
 * objects.
 */

#include <jansson.h>

#include "api/resource.h"
#include "util/error.h"

/* The group whose CRDs operator mode installs. */
#define CZ_CRD_GROUP "cozystack.io"

/* The CustomResourceDefinition of r, named "<plural>.<group>".  Returns a
 * new reference, or NULL when r cannot be a CRD (a resource of the core
 * group or of another built-in group such as apps, or a kind without a
 * schema). */
json_t *cz_crd_json(const cz_resource *r);

/* A v1 List of the CRDs of every served resource of group (CZ_CRD_GROUP
 * for operator mode), in the table's order.  On success *out_list is a new
 * reference the caller releases with json_decref.  CZ_ENOTFOUND when no
 * resource of that group is served, CZ_EINVALID for the core group ("");
 * *out_list is NULL on failure. */
int cz_crd_list(const char *group, json_t **out_list, cz_error *err);

/* cz_crd_list(CZ_CRD_GROUP, out_list, err): Package and PackageSource. */
int cz_crd_all(json_t **out_list, cz_error *err);

#endif
