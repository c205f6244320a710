/* libFuzzer target: JSON projection over arbitrary text, with the path
 * sets the CLI uses, and whatever it keeps checked to be valid JSON; and
 * the informers' "-metadata.managedFields", checked against jansson's own
 * parse of the whole text without that member. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "object/project.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer calls this once, before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cz_json_use_project_allocator();
	return 0;
}

static const char *const paths[] = {
	"items[].metadata.name", "items[].spec.variants[].name",
	"items[].spec.variants[].components[].install", "items[].status",
	"items[].spec~",
};

static const char *const no_fields[] = { "-metadata.managedFields" };

/* Whatever jansson reads as an object, the projection reads the same,
 * less metadata.managedFields. */
static void check_leaving_out(const uint8_t *data, size_t size)
{
	cz_projection *p = cz_projection_new(no_fields, 1);
	json_t *whole = json_loadb((const char *)data, size, 0, NULL);
	json_t *out = NULL;
	json_t *meta;

	if (whole && json_is_object(whole)) {
		meta = json_object_get(whole, "metadata");
		if (json_is_object(meta))
			json_object_del(meta, "managedFields");
		if (cz_json_project((const char *)data, size, p, &out, NULL) !=
			    CZ_OK ||
		    !json_equal(out, whole))
			abort();
	}
	json_decref(out);
	json_decref(whole);
	cz_projection_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cz_projection *p = cz_projection_new(paths, 5);
	cz_error err = CZ_ERROR_INIT;
	json_t *out = NULL;

	check_leaving_out(data, size);
	if (cz_json_project((const char *)data, size, p, &out, &err) == CZ_OK) {
		char *text = json_dumps(out, JSON_COMPACT);

		if (!text)
			abort();
		free(text);
		json_decref(out);
	}
	cz_projection_free(p);
	return 0;
}
