#ifndef CZ_MODEL_SCHEMA_COMMON_H
#define CZ_MODEL_SCHEMA_COMMON_H

/*
 * Building blocks shared by the per-group schema tables (schema_meta.c,
 * schema_core.c, schema_cozy.c, schema_flux.c) and the kinds they define.
 * Private to src/lib/model: users go through model/schema.h.
 */

#include "model/schema_types.h"

/* Scalars and small shapes. */
extern const cz_schema cz_s_string;
extern const cz_schema cz_s_bool;
extern const cz_schema cz_s_int32;
extern const cz_schema cz_s_int64;
extern const cz_schema cz_s_any;
extern const cz_schema cz_s_free_object; /* object, unknown fields kept */
extern const cz_schema cz_s_strings;
extern const cz_schema cz_s_string_map;
extern const cz_schema cz_s_duration; /* Go duration string, e.g. "5m" */
extern const cz_schema cz_s_local_ref; /* {name} */

/* k8s.io/apimachinery meta/v1 */
extern const cz_schema cz_s_time;
extern const cz_schema cz_s_micro_time;
extern const cz_schema cz_s_object_meta;
extern const cz_schema cz_s_list_meta;
extern const cz_schema cz_s_condition;
extern const cz_schema cz_s_conditions; /* list-type map keyed by type */

/* Kinds. */
extern const cz_schema cz_s_namespace;
extern const cz_schema cz_s_secret;
extern const cz_schema cz_s_configmap;
extern const cz_schema cz_s_lease;
extern const cz_schema cz_s_controllerrevision;
extern const cz_schema cz_s_job;
extern const cz_schema cz_s_package;
extern const cz_schema cz_s_package_source;
extern const cz_schema cz_s_helmrelease;
extern const cz_schema cz_s_ocirepository;
extern const cz_schema cz_s_gitrepository;
extern const cz_schema cz_s_externalartifact;
extern const cz_schema cz_s_pkg_repository;
extern const cz_schema cz_s_pkg_package_variant;
extern const cz_schema cz_s_pkg_package_revision;
extern const cz_schema cz_s_pkg_package_revision_resources;

/* The top-level fields every kind has, then its spec and status. */
#define CZ_KIND_FIELDS                                                         \
	CZ_FIELD("apiVersion", &cz_s_string,                                   \
		 "APIVersion defines the versioned schema of this "            \
		 "representation of an object. Servers should convert "       \
		 "recognized schemas to the latest internal value, and may "  \
		 "reject unrecognized values."),                               \
	CZ_FIELD("kind", &cz_s_string,                                         \
		 "Kind is a string value representing the REST resource "      \
		 "this object represents. Servers may infer this from the "   \
		 "endpoint the client submits requests to. Cannot be "        \
		 "updated. In CamelCase."),                                    \
	CZ_FIELD("metadata", &cz_s_object_meta,                                \
		 "Standard object's metadata.")

#endif
