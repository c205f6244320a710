#ifndef CZ_API_OPENAPI_H
#define CZ_API_OPENAPI_H

/*
 * The OpenAPI documents of the served resources, generated from the
 * resource table (api/resource.h) and the kinds' schemas (model/schema.h):
 *
 *   /openapi/v2                    cz_openapi_v2: one Swagger 2.0 document
 *   /openapi/v3                    cz_openapi_v3_index: the discovery index
 *   /openapi/v3/api/v1, /openapi/v3/apis/<group>/<version>
 *                                  cz_openapi_v3_group: OpenAPI 3.0 per
 *                                  group-version
 *
 * Definitions are named as upstream names them (io.k8s.api.core.v1.Secret,
 * io.cozystack.v1alpha1.Package, ...) and carry
 * x-kubernetes-group-version-kind, so kubectl explain finds them; every
 * PATCH operation lists the fieldValidation parameter, so kubectl apply
 * leaves validation to the server.  The output is compact JSON with sorted
 * keys: the same build always produces the same bytes.  See docs/api.md,
 * "OpenAPI".
 */

#include <jansson.h>

#include "model/schema_types.h"
#include "util/buf.h"
#include "util/error.h"

/* Appends the Swagger 2.0 document of every served resource to out. */
int cz_openapi_v2(cz_buf *out, cz_error *err);

/* Appends the /openapi/v3 index to out: {"paths": {"api/v1":
 * {"serverRelativeURL": "/openapi/v3/api/v1?hash=<SHA-512, hex>"}, ...}},
 * one entry per served group-version. */
int cz_openapi_v3_index(cz_buf *out, cz_error *err);

/* Appends the OpenAPI 3.0 document of one group-version to out;
 * group_version_path is "api/v1" or "apis/<group>/<version>" (as in the
 * index).  CZ_ENOTFOUND when that group-version is not served. */
int cz_openapi_v3_group(const char *group_version_path, cz_buf *out,
			cz_error *err);

/* The schema s as one self-contained structural OpenAPI v3 schema, the
 * form a CustomResourceDefinition's openAPIV3Schema takes: every named
 * definition is inlined (CRDs allow no $ref), nodes that allow anything
 * carry x-kubernetes-preserve-unknown-fields instead of a type, and the
 * strategic-merge extensions (x-kubernetes-patch-*), which JSONSchemaProps
 * does not have, are left out.  Returns a new reference. */
json_t *cz_openapi_crd_schema(const cz_schema *s);

#endif
