/* libFuzzer target: a signature layer as a registry hands it over, the
 * payload bytes and the base64 signature annotation (split at the first
 * NUL of the input).  Whatever the bytes, checking it under a fixed key
 * must refuse or, only for a real signature of this key, accept; it must
 * never crash or accept a payload that names another digest. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "market/cosign.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A P-256 public key (the private half is not kept anywhere): no input
 * can carry a valid signature for it, so every input must be refused. */
static const char pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOIGlI3V2L4V730XXLIwMC/EKQm6N\n"
	"MfUUhOamMXsX/OWyqs1WSrdqqTKkA8UT1HA3s5FjScFRaMTiXLFwAcOzZg==\n"
	"-----END PUBLIC KEY-----\n";

static const char digest[] =
	"sha256:0000000000000000000000000000000000000000000000000000000000000000";

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
	const char *nul = memchr(text, '\0', size);
	size_t plen = nul ? (size_t)(nul - text) : size;
	char *sig = nul ? cz_xstrndup(nul + 1, size - plen - 1) : cz_xstrdup("");
	cz_error err = CZ_ERROR_INIT;
	int rc;

	rc = cz_cosign_verify_payload(pub, sizeof(pub) - 1, text, plen, sig,
				      digest, &err);
	if (rc == CZ_OK || (rc != CZ_EINVALID && rc != CZ_EDENIED) ||
	    !err.msg[0])
		abort();
	free(sig);
	return 0;
}
