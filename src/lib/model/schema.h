#ifndef CZ_MODEL_SCHEMA_H
#define CZ_MODEL_SCHEMA_H

/*
 * Schemas of the served kinds (model/schema_types.h) and the one walk that
 * checks a JSON value against them: types, required fields, enums, formats
 * and unknown fields.  The walk reports each problem through a callback and
 * leaves the wording to its caller, so the file loader ("file:line: path:
 * msg") and the API server (Kubernetes status causes) share every rule.
 *
 * The file validator of cozystack.io/v1alpha1 objects sits on top:
 * "sources/foo.yaml:12: spec.variants[1].components[0].path: required".
 */

#include <jansson.h>
#include <stdbool.h>

#include "model/names.h"
#include "model/schema_types.h"
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

/* Every kind with a schema, in a fixed order; static storage. */
const cz_schema_kind *cz_schema_kinds(size_t *count);
/* The kind entry for apiVersion/kind, or NULL. */
const cz_schema_kind *cz_schema_kind_find(const char *api_version,
					  const char *kind);
/* The schema of apiVersion/kind, or NULL when the kind is not served. */
const cz_schema *cz_schema_for_kind(const char *api_version, const char *kind);

/* The list metadata every List kind carries (meta/v1 ListMeta). */
const cz_schema *cz_schema_list_meta(void);
/* The API machinery definitions (Status, DeleteOptions, Patch,
 * WatchEvent) that every OpenAPI document carries; static storage. */
const cz_schema *const *cz_schema_api_types(size_t *count);

/* What a value broke. */
typedef enum cz_violation {
	CZ_V_REQUIRED, /* a required field is missing (value is NULL) */
	CZ_V_TYPE,     /* the JSON type differs from schema->type */
	CZ_V_ENUM,     /* a string outside schema->enums */
	CZ_V_FORMAT,   /* a string or integer that breaks schema->format */
	CZ_V_UNKNOWN,  /* a field the schema does not list */
} cz_violation;

/* Where a value sits: its container and key (or index), up to the top.
 * The top-level object has no location (NULL). */
typedef struct cz_schema_loc cz_schema_loc;
struct cz_schema_loc {
	const json_t *container;
	const char *key; /* NULL for an array index */
	size_t index;
	const cz_schema_loc *up;
};

typedef struct cz_schema_issue {
	cz_violation what;
	const char *path;        /* e.g. "spec.variants[0].name" */
	const json_t *value;     /* the offending value; NULL for REQUIRED */
	const cz_schema *schema; /* what the value should have matched */
	/* The value's location; for REQUIRED the location of the object
	 * that misses the field.  Valid only during the callback, like
	 * path and value. */
	const cz_schema_loc *at;
} cz_schema_issue;

typedef void (*cz_schema_report_fn)(void *ctx, const cz_schema_issue *issue);

typedef struct cz_schema_check {
	cz_schema_report_fn report;
	void *ctx;
	/* Map entries as "labels.key" (Kubernetes field paths) rather than
	 * "labels[key]" (the file loader's messages). */
	bool dotted_map_keys;
	/* Remove each unknown field from the value after reporting it. */
	bool prune_unknown;
	/* Leave the top-level "status" alone (files may carry any status). */
	bool skip_status;
} cz_schema_check;

/* Checks value against s, reporting every problem through check->report;
 * returns the number of problems.  value is modified only when
 * check->prune_unknown is set.  A null value counts as absent. */
size_t cz_schema_validate(json_t *value, const cz_schema *s,
			  const cz_schema_check *check);

/* Where an object came from, for messages. */
typedef struct cz_where {
	const char *file;
	unsigned line;           /* line of the object, 0 when unknown */
	const cz_linemap *lines; /* may be NULL (JSON input) */
	const char *path_prefix; /* e.g. "items[3]." inside a List, or "" */
} cz_where;

/* Validates obj (a Package or PackageSource) and adds one diagnostic per
 * problem to diags.  Returns true when obj is valid.  obj is not changed. */
bool cz_validate_object(json_t *obj, cz_kind kind, const cz_where *where,
			cz_diags *diags);

/* JSON type names as kube-openapi words them in messages: "object",
 * "array", "string", "integer", "number", "boolean", "null"; for a schema
 * type, NULL when it allows anything (x-kubernetes-preserve-unknown-fields
 * without a type). */
const char *cz_json_type_name(const json_t *v);
const char *cz_schema_type_name(cz_type t);


#endif
