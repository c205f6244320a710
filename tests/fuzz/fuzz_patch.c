/* libFuzzer target: a JSON document and a patch (the input split at its
 * first newline) through JSON merge patch, JSON patch, strategic merge
 * patch, server-side apply and the managed-fields update. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "api/apply.h"
#include "api/patch.h"
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

static const cz_merge_key keys[] = {
	{ "metadata.ownerReferences", "uid" },
	{ "status.conditions", "type" },
	{ "spec.items", "name" },
	{ NULL, NULL },
};

static void run_patches(const json_t *doc, const json_t *patch)
{
	json_t *work;
	json_t *conflicts = NULL;
	cz_error err = CZ_ERROR_INIT;

	work = json_deep_copy(doc);
	cz_merge_patch(&work, patch, &err);
	json_decref(work);

	work = json_deep_copy(doc);
	cz_json_patch(&work, patch, &err);
	json_decref(work);

	work = json_deep_copy(doc);
	if (json_is_object(work))
		cz_strategic_merge_patch(&work, patch, keys, &err);
	json_decref(work);

	work = json_is_object(doc) ? json_deep_copy(doc) : NULL;
	cz_apply(&work, patch, "fuzz", false, "v1", "2024-01-01T00:00:00Z",
		 keys, &conflicts, &err);
	json_decref(conflicts);
	conflicts = NULL;
	cz_apply_status(&work, patch, "fuzz2", true, "v1",
			"2024-01-01T00:00:01Z", keys, &conflicts, &err);
	json_decref(conflicts);
	json_decref(work);

	if (json_is_object(doc) && json_is_object(patch)) {
		work = json_deep_copy(patch);
		cz_managed_fields_update(work, doc, "upd", "Update", NULL, "v1",
					 "2024-01-01T00:00:02Z", keys);
		json_decref(work);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	json_t *doc;
	json_t *patch;

	if (!nl)
		return 0;
	doc = json_loadb((const char *)data, (size_t)(nl - data),
			 JSON_DECODE_ANY, NULL);
	patch = json_loadb((const char *)nl + 1, size - (size_t)(nl - data) - 1,
			   JSON_DECODE_ANY, NULL);
	if (doc && patch)
		run_patches(doc, patch);
	json_decref(doc);
	json_decref(patch);
	return 0;
}
