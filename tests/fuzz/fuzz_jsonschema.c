/* libFuzzer target: the JSON Schema validator on an arbitrary schema and
 * instance.  The input's first line is the schema, the rest the instance
 * (both JSON, any value); without a newline the input is tried as both.
 * Any outcome is fine except a crash, a leak or an undefined operation;
 * the results are also checked against the API's promises. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "object/jsonschema.h"
#include "util/buf.h"
#include "util/error.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *newline = memchr(data, '\n', size);
	size_t schema_len = newline ? (size_t)(newline - text) : size;
	const char *rest = newline ? newline + 1 : text;
	size_t rest_len = newline ? size - schema_len - 1 : size;
	json_t *schema = json_loadb(text, schema_len, JSON_DECODE_ANY, NULL);
	json_t *instance = json_loadb(rest, rest_len, JSON_DECODE_ANY, NULL);
	cz_error err = CZ_ERROR_INIT;
	cz_error check_err = CZ_ERROR_INIT;
	cz_buf errors;
	size_t nerrors = 0;
	int rc, check_rc;

	cz_buf_init(&errors, CZ_BUF_UNLIMITED);
	if (!schema || !instance)
		goto cleanup;
	check_rc = cz_jsonschema_check(schema, &check_err);
	rc = cz_jsonschema_validate(schema, instance, "values", &errors, 5,
				    &nerrors, &err);
	/* A schema the check refuses is refused by validation the same way;
	 * a violation is reported with at least one line, within the cap. */
	if (check_rc < 0 && (rc != check_rc || strcmp(err.msg, check_err.msg)))
		abort();
	if (rc == CZ_OK && (nerrors || errors.len))
		abort();
	if (rc == CZ_EINVALID && (!nerrors || nerrors > 5 || err.msg[0]))
		abort();
	if (rc != CZ_OK && rc != CZ_EINVALID && (nerrors || errors.len))
		abort();
cleanup:
	cz_buf_release(&errors);
	json_decref(schema);
	json_decref(instance);
	return 0;
}
