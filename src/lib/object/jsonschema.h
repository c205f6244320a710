#ifndef CZ_OBJECT_JSONSCHEMA_H
#define CZ_OBJECT_JSONSCHEMA_H

/*
 * JSON Schema validation of Helm chart values (values.schema.json), with
 * the draft-07 semantics Helm applies.  docs/jsonschema.md lists the
 * keywords, where this validator differs from draft-07, and the caps that
 * protect it from hostile schemas.
 *
 * Violations are reported one per line as "<path>: <message>", where the
 * path is written as the rest of cozypkg writes field paths
 * (spec.components.webapp.values.ports[0].name).  A problem with the
 * schema itself is not a violation: it fails with a message that names
 * the schema location as a JSON pointer (#/properties/replicas/minimum).
 */

#include <stddef.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/error.h"

/* Nesting allowed in the schema document, and in one evaluation (subschema
 * inside subschema, $ref hops included). */
#define CZ_JSONSCHEMA_MAX_DEPTH 256
/* Subschemas the check may visit, and subschema evaluations plus
 * uniqueItems comparisons one validation may spend. */
#define CZ_JSONSCHEMA_MAX_STEPS 1000000
/* Distinct "pattern"/"patternProperties" regular expressions in a schema. */
#define CZ_JSONSCHEMA_MAX_PATTERNS 256
/* Bytes in one pattern. */
#define CZ_JSONSCHEMA_MAX_PATTERN_LEN 2048
/* Atoms that bounded repeats ({n,m}) add when the regex library expands
 * them, in one pattern and in all patterns of a schema: the matcher's
 * memory grows with the square of it. */
#define CZ_JSONSCHEMA_MAX_PATTERN_COPIES 1000
#define CZ_JSONSCHEMA_MAX_PATTERNS_COPIES 4000
/* Violations reported when the caller passes max_errors 0. */
#define CZ_JSONSCHEMA_DEFAULT_MAX_ERRORS 100

/*
 * Schema problems use codes that a violation never does, so that a caller
 * of cz_jsonschema_validate() tells "the values are wrong" (CZ_EINVALID)
 * from "the chart's schema is unusable" by the code alone:
 *   CZ_ERR        a known keyword with a malformed value, a pattern that
 *                 does not compile, a $ref that is not a local reference
 *   CZ_ENOTFOUND  a $ref whose target does not exist
 *   CZ_ECYCLE     $refs that lead back to themselves without descending
 *                 into the instance
 *   CZ_ETOOLARGE  over one of the caps above
 */

/*
 * Checks that schema (borrowed) is usable: every keyword this validator
 * knows has a well-formed value, every pattern compiles, every $ref
 * resolves, and nothing nests deeper than the caps.  Returns CZ_OK or one
 * of the schema problem codes above, with the schema location in err.
 * $ref loops (CZ_ECYCLE) are found only by validation, when a value is
 * walked through them.
 */
int cz_jsonschema_check(const json_t *schema, cz_error *err);

/*
 * Validates instance against schema; both are borrowed.
 *
 * Each violation appends one line "<prefix><path>: <message>\n" to errors.
 * prefix is the path of instance itself (e.g. "spec.values"; NULL or ""
 * when it is the document root, written "(root)" when nothing follows);
 * the path below it joins members with "." and indexes with "[i]", and
 * quotes member names that are not plain identifiers: a["x.y"].  After
 * max_errors violations (0: CZ_JSONSCHEMA_DEFAULT_MAX_ERRORS) the walk
 * stops; a full errors buffer stops it too.  *nerrors (optional) receives
 * the number of lines appended.
 *
 * Returns CZ_OK when instance is valid and CZ_EINVALID when it is not;
 * err is untouched then.  When the schema is unusable (checked first, as
 * by cz_jsonschema_check) it returns a schema problem code with the
 * message in err, errors is left as it was and *nerrors is 0.  errors
 * must have been initialised with cz_buf_init(); the caller keeps owning
 * it and its bytes.
 */
int cz_jsonschema_validate(const json_t *schema, const json_t *instance,
			   const char *prefix, cz_buf *errors,
			   size_t max_errors, size_t *nerrors, cz_error *err);

#endif
