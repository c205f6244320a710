/* libFuzzer target: the expression parsers of list requests - label and
 * field selectors and printer-column JSONPath - on arbitrary text, each
 * matched or evaluated against a fixed object. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/jsonpath.h"
#include "api/selector.h"
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

static const char object_json[] =
	"{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\",\"labels\":"
	"{\"app\":\"web\",\"n\":\"5\"}},\"type\":\"Opaque\",\"spec\":{\"a\":"
	"[1,2,{\"b\":true}]},\"status\":{\"conditions\":[{\"type\":\"Ready\","
	"\"status\":\"True\"}]}}";

static const char *const extra_fields[] = { "type", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_t *obj = json_loads(object_json, 0, NULL);
	cz_label_selector ls;
	cz_field_selector fs;
	cz_jsonpath *jp = NULL;

	memcpy(text, data, size);
	text[size] = '\0';
	if (cz_label_selector_parse(text, &ls, NULL) == 0)
		cz_label_selector_matches(&ls, obj);
	cz_label_selector_release(&ls);
	if (cz_field_selector_parse(text, extra_fields, &fs, NULL) == 0)
		cz_field_selector_matches(&fs, obj);
	cz_field_selector_release(&fs);
	if (cz_jsonpath_compile(text, &jp, NULL) == 0) {
		json_t *all = cz_jsonpath_all(jp, obj);
		json_t *cell = cz_jsonpath_cell(jp, obj, "string");

		json_decref(all);
		json_decref(cell);
		cz_jsonpath_free(jp);
	}
	json_decref(obj);
	free(text);
	return 0;
}
