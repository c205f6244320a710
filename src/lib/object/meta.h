#ifndef CZ_OBJECT_META_H
#define CZ_OBJECT_META_H

/* Reading an API object's metadata and conditions.  Everything returned
 * is borrowed from obj, except new conditions. */

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* obj[key] as a string; "" when absent or not a string. */
const char *cz_json_str(const json_t *obj, const char *key);
/* metadata.<field> as a string, or NULL. */
const char *cz_meta_str(const json_t *obj, const char *field);
/* metadata.labels[key] / metadata.annotations[key], or NULL. */
const char *cz_label(const json_t *obj, const char *key);
const char *cz_annotation(const json_t *obj, const char *key);
/* The entry of status.conditions with that type, or NULL. */
json_t *cz_condition(const json_t *obj, const char *type);
/* A Secret's data[key], decoded (malloc'ed; the caller wipes and frees
 * it), with its length in *len (may be NULL); NULL when absent, not
 * base64, or longer than max bytes (0: no limit). */
char *cz_secret_value(const json_t *secret, const char *key, size_t max,
		      size_t *len);
/*
 * A new metav1.Condition {type, status, reason, message,
 * lastTransitionTime [, observedGeneration]}: lastTransitionTime is kept
 * from previous (may be NULL) when the status did not change.
 * observed_generation < 0: none.
 */
json_t *cz_condition_new(const json_t *previous, const char *type,
			 const char *status, const char *reason,
			 const char *message, int64_t observed_generation);

#endif
