/* libFuzzer target: Kubernetes protobuf bodies.  Every input either
 * decodes into an object or fails with a message; the decoded object is
 * dumped, as the server would store it. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/protobuf.h"
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
	cz_error err = CZ_ERROR_INIT;
	json_t *out = NULL;
	char *text;
	int rc;

	rc = cz_protobuf_decode(data, size, 1u << 20, &out, &err);
	if ((rc == 0) != (out != NULL) || (rc != 0 && err.msg[0] == '\0'))
		abort();
	text = out ? json_dumps(out, JSON_COMPACT) : NULL;
	if (out && !text)
		abort(); /* every decoded object must serialise */
	free(text);
	json_decref(out);
	return 0;
}
