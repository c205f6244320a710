/* libFuzzer target: a deployment revision's files turned into the objects
 * the install gate applies.  Whatever the text, the result is an error or
 * a list of complete objects, each once, that pruning would drop again in
 * full. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "revision/install.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_t *files = json_object(), *objs = NULL, *refs, *none, *gone;
	cz_error err = CZ_ERROR_INIT;
	size_t i;
	json_t *o;

	memcpy(text, data, size);
	text[size] = '\0';
	/* Two files: the text, and its second half (another document order
	 * and line numbering). */
	json_object_set_new(files, "a.yaml", json_string(text));
	json_object_set_new(files, "b/c.yml", json_string(text + size / 2));
	if (cz_install_objects(files, "fuzz", &objs, &err) == 0) {
		refs = json_array();
		json_array_foreach (objs, i, o) {
			json_t *r = cz_install_ref(o);

			if (!*json_string_value(json_object_get(r, "name")) ||
			    !*json_string_value(json_object_get(r, "kind")))
				abort();
			json_array_append_new(refs, r);
		}
		none = json_array();
		gone = cz_install_dropped(refs, none);
		if (json_array_size(gone) != json_array_size(refs))
			abort();
		json_decref(gone);
		json_decref(none);
		json_decref(refs);
	}
	json_decref(objs);
	json_decref(files);
	free(text);
	return 0;
}
