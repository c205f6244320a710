#ifndef CZ_API_PATH_H
#define CZ_API_PATH_H

/*
 * Resource URLs as kube-apiserver lays them out:
 *   /api/v1/RESOURCE[/NAME[/SUB]]
 *   /api/v1/namespaces/NS/RESOURCE[/NAME[/SUB]]
 *   /apis/GROUP/VERSION/... the same
 * The namespace form applies only to namespaced resources; a path such as
 * /api/v1/namespaces/NAME/status names the Namespace object itself.
 */

#include "api/resource.h"

typedef struct cz_api_path {
	const cz_resource *res;
	char *ns;   /* owned, or NULL */
	char *name; /* owned, or NULL (a collection) */
	char *sub;  /* owned, or NULL */
} cz_api_path;

/* Parses path (without the query string) into *out, which the caller
 * releases with cz_api_path_release (also after a failure).  CZ_ENOTFOUND
 * when path names no served resource (discovery documents, unknown
 * resources, too many segments). */
int cz_api_path_parse(const char *path, cz_api_path *out);
void cz_api_path_release(cz_api_path *p);

#endif
