/* Metadata and condition accessors shared by the server and the
 * controllers. */

#include "object/meta.h"

#include <string.h>

#include "util/base64.h"
#include "util/duration.h"

const char *cz_json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

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

json_t *cz_condition_new(const json_t *previous, const char *type,
			 const char *status, const char *reason,
			 const char *message, int64_t observed_generation)
{
	const char *prev_status =
		json_string_value(json_object_get(previous, "status"));
	json_t *prev_time = json_object_get(previous, "lastTransitionTime");
	json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "status",
			      status, "reason", reason, "message", message);
	char now[32];

	if (observed_generation >= 0)
		json_object_set_new(c, "observedGeneration",
				    json_integer(observed_generation));
	if (prev_status && strcmp(prev_status, status) == 0 &&
	    json_is_string(prev_time)) {
		json_object_set(c, "lastTransitionTime", prev_time);
	} else {
		cz_now_rfc3339(now);
		json_object_set_new(c, "lastTransitionTime", json_string(now));
	}
	return c;
}

char *cz_secret_value(const json_t *secret, const char *key, size_t max,
		      size_t *len)
{
	const char *b64 = json_string_value(
		json_object_get(json_object_get(secret, "data"), key));

	if (!b64 || (max && strlen(b64) > max * 4 / 3 + 4))
		return NULL;
	return cz_base64_decode(b64, strlen(b64), len);
}
