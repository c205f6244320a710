/* What the marketplace commands share: which repositories the cluster has
 * tapped. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "market/tap.h"
#include "util/mem.h"

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

int cli_validate_print(const char *dir, const char *shown,
		       const cz_validate_opts *o, bool quiet_when_clean)
{
	cz_validate_report r;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	cz_validate_report_init(&r);
	if (cz_validate_repo(dir, o, &r, &err) < 0) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto cleanup;
	}
	cz_diags_print(&r.diags, stderr);
	rc = r.diags.nerrors ? CLI_EXIT_FAILED : CLI_EXIT_OK;
	if (rc == CLI_EXIT_OK && quiet_when_clean)
		goto cleanup;
	fprintf(stderr, "%s: %zu PackageSource(s), %zu chart(s): %zu "
		"problem(s)\n", shown, r.nsources, r.ncharts, r.diags.nerrors);
	for (size_t i = 0; i < r.nprivileged; i++)
		fprintf(stderr, "%s%s\n",
			i ? "  " : "privileged components (host access):\n  ",
			r.privileged[i]);
cleanup:
	cz_validate_report_release(&r);
	return rc;
}
