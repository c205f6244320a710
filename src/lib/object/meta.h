#ifndef CZ_OBJECT_META_H
#define CZ_OBJECT_META_H

/* Reading an API object's metadata and conditions.  Everything returned
 * is borrowed from obj. */

#include <jansson.h>

/* metadata.<field> as a string, or NULL. */
const char *cz_meta_str(const json_t *obj, const char *field);
/* metadata.labels[key] / metadata.annotations[key], or NULL. */
const char *cz_label(const json_t *obj, const char *key);
const char *cz_annotation(const json_t *obj, const char *key);
/* The entry of status.conditions with that type, or NULL. */
json_t *cz_condition(const json_t *obj, const char *type);

#endif
