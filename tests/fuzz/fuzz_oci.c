/* libFuzzer target: the OCI client's parsers on arbitrary bytes.  The
 * input is split at its first NUL (when there is one) into a Content-Type
 * and a body; the body goes to the manifest parser, and as a header value
 * to the WWW-Authenticate and Link parsers, and as a docker config. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/parse.h"
#include "oci/ref.h"
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
	const char *nul = memchr(text, '\0', size);
	char *content_type = nul ? cz_xstrndup(text, (size_t)(nul - text)) : NULL;
	const char *body = nul ? nul + 1 : text;
	size_t body_len = nul ? size - (size_t)(nul - text) - 1 : size;
	char *header = cz_xstrndup(body, body_len);
	cz_oci_manifest m;
	cz_oci_challenge ch;
	cz_oci_ref ref;
	char *url = NULL, *user = NULL, *pass = NULL;

	if (cz_oci_manifest_parse(body, body_len, content_type, &m, NULL) ==
	    CZ_OK) {
		for (size_t i = 0; i < m.n_layers; i++)
			cz_oci_annotation_get(m.layers[i].annotations,
					      m.layers[i].n_annotations, "k");
		cz_oci_manifest_release(&m);
	}
	if (cz_oci_challenge_parse(header, &ch, NULL) == CZ_OK)
		cz_oci_challenge_release(&ch);
	if (cz_oci_link_next(header, &url, NULL) == CZ_OK)
		free(url);
	if (cz_oci_docker_config_lookup(body, body_len,
					content_type ? content_type : "h",
					&user, &pass, NULL) == CZ_OK) {
		free(user);
		free(pass);
	}
	if (cz_oci_ref_parse(header, &ref, NULL) == CZ_OK) {
		char *s = cz_oci_ref_format(&ref);

		free(s);
		cz_oci_ref_release(&ref);
	}
	free(header);
	free(content_type);
	return 0;
}
