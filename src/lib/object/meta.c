/* Metadata and condition accessors shared by the server and the
 * controllers. */

#include "object/meta.h"

#include <string.h>

const char *cz_meta_str(const json_t *obj, const char *field)
{
	return json_string_value(
		json_object_get(json_object_get(obj, "metadata"), field));
}

static const char *meta_map_str(const json_t *obj, const char *map,
				const char *key)
{
	json_t *meta = json_object_get(obj, "metadata");

	return json_string_value(json_object_get(json_object_get(meta, map),
						 key));
}

const char *cz_label(const json_t *obj, const char *key)
{
	return meta_map_str(obj, "labels", key);
}

const char *cz_annotation(const json_t *obj, const char *key)
{
	return meta_map_str(obj, "annotations", key);
}

json_t *cz_condition(const json_t *obj, const char *type)
{
	json_t *conds = json_object_get(json_object_get(obj, "status"),
					"conditions");
	size_t i;
	json_t *c;

	json_array_foreach (conds, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));

		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}
