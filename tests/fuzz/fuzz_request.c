/* libFuzzer target: what cozypkgd does with a request before it touches the
 * store.  The first line of the input is the URL path, the rest the body:
 * the path is parsed as a resource URL, the body decoded as the server
 * decodes it (YAML/JSON, one object) and validated against the resource's
 * schema in the Strict and Warn modes, then merged into a stored object as
 * a merge patch would be. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/patch.h"
#include "api/path.h"
#include "api/validate.h"
#include "object/yaml.h"
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

static void validate_as(const cz_resource *r, const json_t *obj,
			cz_field_validation mode)
{
	json_t *copy = json_deep_copy(obj);
	cz_problems problems;
	json_t *status;

	cz_problems_init(&problems);
	cz_api_validate(r, copy, mode, &problems, NULL);
	status = cz_problems_status(&problems, r, "fuzz");
	json_decref(status);
	cz_problems_release(&problems);
	json_decref(copy);
}

static void decode_body(const cz_resource *r, const char *body, size_t len)
{
	cz_limits lim = cz_default_limits;
	cz_doc *docs = NULL;
	size_t n = 0;
	json_t *stored;

	lim.max_nodes = 100000;
	if (cz_parse_stream(body, len, "body", &lim, &docs, &n, NULL, NULL) !=
		    CZ_OK ||
	    n != 1 || !json_is_object(docs[0].root)) {
		cz_docs_free(docs, n);
		return;
	}
	if (r) {
		validate_as(r, docs[0].root, CZ_FIELD_VALIDATION_STRICT);
		validate_as(r, docs[0].root, CZ_FIELD_VALIDATION_WARN);
	}
	stored = json_pack("{s:s, s:{s:s}, s:{s:s}}", "kind", "Package",
			   "metadata", "name", "x", "spec", "variant", "a");
	cz_merge_patch(&stored, docs[0].root, NULL);
	json_decref(stored);
	cz_docs_free(docs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t path_len = nl ? (size_t)(nl - text) : size;
	char *path = malloc(path_len + 1);
	cz_api_path p;

	if (!path)
		return 0;
	memcpy(path, text, path_len);
	path[path_len] = '\0';
	if (strlen(path) == path_len && cz_api_path_parse(path, &p) == 0) {
		if (nl)
			decode_body(p.res, nl + 1, size - path_len - 1);
		cz_api_path_release(&p);
	} else if (nl) {
		decode_body(NULL, nl + 1, size - path_len - 1);
	}
	free(path);
	return 0;
}
