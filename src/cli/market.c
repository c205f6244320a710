/* What the marketplace commands share: which repositories the cluster has
 * tapped. */

#include "cli.h"
#include "market/tap.h"

int cli_tapped_urls(cz_kube *kube, cz_strmap *urls, json_t **list,
		    cz_error *err)
{
	const cz_resource *res = cz_resource_find("source.toolkit.fluxcd.io",
						  "v1", "ocirepositories");
	size_t i;
	json_t *item;
	int rc;

	*list = NULL;
	rc = cz_kube_list(kube, res, CZ_TAP_NAMESPACE, CZ_TAP_LABEL, list, err);
	if (rc < 0)
		return rc;
	json_array_foreach (json_object_get(*list, "items"), i, item) {
		const char *url = json_string_value(json_object_get(
			json_object_get(item, "spec"), "url"));

		if (url)
			cz_strmap_put(urls, url, item);
	}
	return CZ_OK;
}
