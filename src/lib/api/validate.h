#ifndef CZ_API_VALIDATE_H
#define CZ_API_VALIDATE_H

/*
 * Validation of a create or update body, as kube-apiserver validates the
 * kinds it serves: the schema of the kind (types, required fields, enums,
 * formats, unknown fields) and the ObjectMeta rules (name, generateName,
 * namespace, label and annotation keys and values), plus the config-key
 * rule of Secret and ConfigMap data.  Messages and cause types are
 * Kubernetes' own, so kubectl prints what it prints against a real
 * cluster.  See docs/api.md, "Validation".
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/resource.h"
#include "util/error.h"

/* The fieldValidation query parameter. */
typedef enum cz_field_validation {
	CZ_FIELD_VALIDATION_STRICT, /* unknown fields fail the request (400) */
	CZ_FIELD_VALIDATION_WARN,   /* pruned, one warning each (default) */
	CZ_FIELD_VALIDATION_IGNORE, /* pruned silently */
} cz_field_validation;

/* Parses "Strict", "Warn" or "Ignore"; NULL or "" gives Warn, as in
 * Kubernetes.  Anything else fails with CZ_EINVALID and kube's message. */
int cz_field_validation_parse(const char *text, cz_field_validation *out,
			      cz_error *err);

/* Kubernetes cause types (metav1.CauseType). */
typedef enum cz_cause {
	CZ_CAUSE_INVALID,       /* FieldValueInvalid */
	CZ_CAUSE_TYPE_INVALID,  /* FieldValueTypeInvalid */
	CZ_CAUSE_REQUIRED,      /* FieldValueRequired */
	CZ_CAUSE_NOT_SUPPORTED, /* FieldValueNotSupported */
	CZ_CAUSE_TOO_LONG,      /* FieldValueTooLong */
	CZ_CAUSE_FORBIDDEN,     /* FieldValueForbidden */
	CZ_CAUSE_DUPLICATE,     /* FieldValueDuplicate */
	/* A field the schema does not know, under fieldValidation=Strict:
	 * a strict decoding error (400 BadRequest), not a 422 cause. */
	CZ_CAUSE_UNKNOWN_FIELD, /* FieldValueUnknown */
} cz_cause;

/* The cause's reason string, e.g. "FieldValueRequired". */
const char *cz_cause_reason(cz_cause cause);

typedef struct cz_problem {
	cz_cause cause;
	char *field;   /* owned; e.g. "spec.variants[0].name" */
	char *message; /* owned; kube's error body, e.g. "Required value" */
} cz_problem;

typedef struct cz_problems {
	cz_problem *items;
	size_t len;
	size_t cap;
	char **warnings; /* owned; e.g. "unknown field \"spec.foo\"" */
	size_t nwarnings;
	size_t wcap;
} cz_problems;

void cz_problems_init(cz_problems *p);
/* Frees every problem and warning; p is empty and usable afterwards. */
void cz_problems_release(cz_problems *p);
/* Adds a problem (field and message are copied). */
void cz_problems_add(cz_problems *p, cz_cause cause, const char *field,
		     const char *message);
/* Number of problems of this cause. */
size_t cz_problems_count(const cz_problems *p, cz_cause cause);

/*
 * Validates obj, a create or update body (or a status write) for resource
 * r, and adds what it finds to out.  Unknown fields are removed from obj in
 * every mode; under STRICT each is a CZ_CAUSE_UNKNOWN_FIELD problem, under
 * WARN a warning, under IGNORE nothing.  A missing metadata.name is
 * accepted when metadata.generateName is set (the server generates the
 * name first).
 *
 * Returns CZ_OK when obj may be stored (out may hold warnings),
 * CZ_EINVALID when out holds problems, CZ_ENOTFOUND when r has no schema.
 */
int cz_api_validate(const cz_resource *r, json_t *obj, cz_field_validation mode,
		    cz_problems *out, cz_error *err);

/*
 * The Status the server answers with when p holds problems: 400 BadRequest
 * with "<Kind> in version \"<v>\" cannot be handled as a <Kind>: strict
 * decoding error: unknown field \"a\", ..." when there are unknown fields,
 * otherwise 422 Invalid with "<Kind>.<group> \"<name>\" is invalid: ..."
 * and details.causes.  name may be NULL.  Returns a new reference, or NULL
 * when p has no problems.
 */
json_t *cz_problems_status(const cz_problems *p, const cz_resource *r,
			   const char *name);

#endif
