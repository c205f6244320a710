#ifndef CZ_MODEL_SCHEMA_TYPES_H
#define CZ_MODEL_SCHEMA_TYPES_H

/*
 * The shape of a schema: a structural subset of OpenAPI v3 (the subset
 * Kubernetes CRDs use), written as static tables.  One table per kind feeds
 * the file validator, the API validator and the OpenAPI documents, so a
 * field added here is checked, pruned and explained everywhere at once.
 *
 * Everything here is static, read-only data; nothing is ever freed.
 */

#include <stdbool.h>
#include <stddef.h>

typedef enum cz_type {
	CZ_T_STRING,
	CZ_T_BOOL,
	CZ_T_INT,
	CZ_T_NUMBER,
	CZ_T_OBJECT, /* fixed fields */
	CZ_T_ARRAY,  /* items of one schema */
	CZ_T_MAP,    /* string keys, values of one schema */
	CZ_T_ANY,    /* anything (x-kubernetes-preserve-unknown-fields) */
} cz_type;

typedef struct cz_field cz_field;

typedef struct cz_schema {
	cz_type type;
	const char *description;
	const cz_field *fields;        /* CZ_T_OBJECT: ends with a NULL name */
	const struct cz_schema *items; /* CZ_T_ARRAY items, CZ_T_MAP values */
	const char *const *enums;      /* CZ_T_STRING: NULL-terminated */
	/* "date-time", "int32", "int64", "byte": checked by the validators
	 * and published in OpenAPI; any other format is only published. */
	const char *format;
	/* CZ_T_OBJECT: fields not listed are kept rather than unknown
	 * (x-kubernetes-preserve-unknown-fields); CZ_T_ANY always keeps. */
	bool preserve_unknown;
	/* Name of a shared OpenAPI definition for this schema, e.g.
	 * "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"; NULL inlines it. */
	const char *definition;
	/* CZ_T_ARRAY: x-kubernetes-list-type ("atomic", "set", "map") and,
	 * for "map", the item field that identifies an item. */
	const char *list_type;
	const char *list_map_key;
} cz_schema;

struct cz_field {
	const char *name;
	const cz_schema *schema;
	bool required;
	const char *description; /* NULL: the schema's own description */
};

#define CZ_FIELD(name, schema, desc) { (name), (schema), false, (desc) }
#define CZ_REQUIRED(name, schema, desc) { (name), (schema), true, (desc) }
#define CZ_END_FIELDS { NULL, NULL, false, NULL }

/* A served kind and its schema. */
typedef struct cz_schema_kind {
	const char *api_version; /* "v1", "cozystack.io/v1alpha1", ... */
	const char *kind;
	/* OpenAPI definition name as upstream publishes it, e.g.
	 * "io.cozystack.v1alpha1.Package", "io.k8s.api.core.v1.Secret". */
	const char *definition;
	const cz_schema *schema;
} cz_schema_kind;

#endif
