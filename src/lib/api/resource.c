#include "api/resource.h"

#include <string.h>

/* Printer columns follow the real CRDs (cozystack.io) and the upstream
 * Flux and core printers for the rest. */
#define READY_STATUS ".status.conditions[?(@.type==\"Ready\")].status"
#define READY_MESSAGE ".status.conditions[?(@.type==\"Ready\")].message"
#define AGE_COLUMN { "Age", "date", ".metadata.creationTimestamp", "", 0 }
#define END_COLUMNS { NULL, NULL, NULL, NULL, 0 }

static const cz_printer_column c_package[] = {
	{ "Variant", "string", ".spec.variant", "Selected variant", 0 },
	{ "Ready", "string", READY_STATUS, "Ready condition status", 0 },
	{ "Status", "string", READY_MESSAGE, "Ready condition message", 0 },
	END_COLUMNS,
};
static const cz_printer_column c_source[] = {
	{ "Variants", "string", ".status.variants", "Available variants", 0 },
	{ "Ready", "string", READY_STATUS, "Ready condition status", 0 },
	{ "Status", "string", READY_MESSAGE, "Ready condition message", 0 },
	END_COLUMNS,
};
static const cz_printer_column c_flux[] = {
	AGE_COLUMN,
	{ "Ready", "string", READY_STATUS, "", 0 },
	{ "Status", "string", READY_MESSAGE, "", 0 },
	END_COLUMNS,
};
static const cz_printer_column c_oci[] = {
	{ "URL", "string", ".spec.url", "", 0 },
	AGE_COLUMN,
	{ "Ready", "string", READY_STATUS, "", 0 },
	{ "Status", "string", READY_MESSAGE, "", 0 },
	END_COLUMNS,
};
static const cz_printer_column c_namespace[] = {
	{ "Status", "string", ".status.phase", "", 0 },
	AGE_COLUMN,
	END_COLUMNS,
};
static const cz_printer_column c_secret[] = {
	{ "Type", "string", ".type", "", 0 },
	AGE_COLUMN,
	END_COLUMNS,
};
static const cz_printer_column c_age_only[] = {
	AGE_COLUMN,
	END_COLUMNS,
};
static const cz_printer_column c_revision[] = {
	{ "Controller", "string", ".metadata.ownerReferences[0].name", "", 0 },
	{ "Revision", "integer", ".revision", "", 0 },
	AGE_COLUMN,
	END_COLUMNS,
};
static const cz_printer_column c_job[] = {
	{ "Succeeded", "integer", ".status.succeeded", "", 0 },
	{ "Failed", "integer", ".status.failed", "", 0 },
	AGE_COLUMN,
	END_COLUMNS,
};
static const cz_printer_column c_pkg_repository[] = {
	{ "Ready", "string", READY_STATUS, "", 0 },
	{ "Deployment", "boolean", ".spec.deployment", "", 0 },
	{ "Type", "string", ".spec.type", "", 0 },
	{ "Address", "string", ".spec.git.url", "", 0 },
	{ "Revisions", "integer", ".status.revisions", "", 1 },
	{ "Commit", "string", ".status.lastSyncedCommit", "", 1 },
	END_COLUMNS,
};
static const cz_printer_column c_pkg_variant[] = {
	{ "Ready", "string", READY_STATUS, "", 0 },
	AGE_COLUMN,
	END_COLUMNS,
};
/* pkgserver's columns (its table convertor), and the files of a PRR. */
static const cz_printer_column c_pkg_revision[] = {
	{ "Ready", "string", READY_STATUS, "", 0 },
	{ "Repository", "string", ".spec.packageRevID.repository", "", 0 },
	{ "Target", "string", ".spec.packageRevID.target", "", 0 },
	{ "Realm", "string", ".spec.packageRevID.realm", "", 0 },
	{ "Package", "string", ".spec.packageRevID.package", "", 0 },
	{ "Revision", "string", ".spec.packageRevID.revision", "", 0 },
	{ "Workspace", "string", ".spec.packageRevID.workspace", "", 0 },
	{ "Lifecycle", "string", ".spec.lifecycle", "", 0 },
	END_COLUMNS,
};
static const cz_printer_column c_pkg_resources[] = {
	{ "Repository", "string", ".spec.packageRevID.repository", "", 0 },
	{ "Package", "string", ".spec.packageRevID.package", "", 0 },
	{ "Revision", "string", ".spec.packageRevID.revision", "", 0 },
	{ "Workspace", "string", ".spec.packageRevID.workspace", "", 0 },
	{ "Files", "integer", ".status.files", "", 0 },
	END_COLUMNS,
};
static const cz_printer_column c_lease[] = {
	{ "Holder", "string", ".spec.holderIdentity", "", 0 },
	AGE_COLUMN,
	END_COLUMNS,
};

/* metadata.ownerReferences merges by uid on every kind, as upstream. */
static const cz_merge_key k_common[] = {
	{ "metadata.ownerReferences", "uid" },
	{ NULL, NULL },
};

static const char *const sn_package[] = { "pkg", "pkgs", NULL };
static const char *const sn_source[] = { "pks", NULL };
static const char *const sn_hr[] = { "hr", NULL };
static const char *const sn_ocirepo[] = { "ocirepo", NULL };
static const char *const sn_gitrepo[] = { "gitrepo", NULL };
static const char *const sn_ns[] = { "ns", NULL };
static const char *const sn_cm[] = { "cm", NULL };
static const char *const cat_cozy[] = { "cozystack", NULL };
static const char *const sub_finalize[] = { "finalize", NULL };
static const char *const sub_approval[] = { "approval", NULL };
/* Field selectors as upstream registers them; pkgserver's all match. */
static const char *const f_namespace[] = { "status.phase", NULL };
static const char *const f_secret[] = { "type", NULL };
static const char *const f_pkg_revision[] = {
	"spec.packageRevID.target",    "spec.packageRevID.repository",
	"spec.packageRevID.realm",     "spec.packageRevID.package",
	"spec.packageRevID.workspace", "spec.packageRevID.revision",
	"spec.lifecycle",	       NULL,
};
static const char *const cat_flux[] = { "all", "flux", NULL };

#define CORE "", "v1", "v1"
#define COZY "cozystack.io", "v1alpha1", "cozystack.io/v1alpha1"
#define HELM "helm.toolkit.fluxcd.io", "v2", "helm.toolkit.fluxcd.io/v2"
#define SRC "source.toolkit.fluxcd.io", "v1", "source.toolkit.fluxcd.io/v1"
#define COORD "coordination.k8s.io", "v1", "coordination.k8s.io/v1"
#define APPS "apps", "v1", "apps/v1"
#define BATCH "batch", "v1", "batch/v1"
#define PKG "pkg.pkgserver.dev", "v1alpha1", "pkg.pkgserver.dev/v1alpha1"
#define PKGCONFIG                                                              \
	"config.pkg.pkgserver.dev", "v1alpha1",                                \
		"config.pkg.pkgserver.dev/v1alpha1"

static const cz_resource resources[] = {
	{ CORE, "namespaces", "namespace", "Namespace", "NamespaceList", false,
	  true, true, sn_ns, NULL, c_namespace, k_common, CZ_NAME_LABEL,
	  false, sub_finalize, f_namespace, CZ_STORAGE_STORE },
	{ CORE, "secrets", "secret", "Secret", "SecretList", true, false, true,
	  NULL, NULL, c_secret, k_common, CZ_NAME_SUBDOMAIN, true, NULL,
	  f_secret, CZ_STORAGE_STORE },
	{ CORE, "configmaps", "configmap", "ConfigMap", "ConfigMapList", true,
	  false, true, sn_cm, NULL, c_age_only, k_common, CZ_NAME_SUBDOMAIN,
	  false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ COZY, "packages", "package", "Package", "PackageList", false, true,
	  false, sn_package, cat_cozy, c_package, k_common, CZ_NAME_SUBDOMAIN,
	  false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ COZY, "packagesources", "packagesource", "PackageSource",
	  "PackageSourceList", false, true, false, sn_source, cat_cozy,
	  c_source, k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ HELM, "helmreleases", "helmrelease", "HelmRelease", "HelmReleaseList",
	  true, true, false, sn_hr, cat_flux, c_flux, k_common,
	  CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ SRC, "ocirepositories", "ocirepository", "OCIRepository",
	  "OCIRepositoryList", true, true, false, sn_ocirepo, cat_flux, c_oci,
	  k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ SRC, "gitrepositories", "gitrepository", "GitRepository",
	  "GitRepositoryList", true, true, false, sn_gitrepo, cat_flux, c_oci,
	  k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ SRC, "externalartifacts", "externalartifact", "ExternalArtifact",
	  "ExternalArtifactList", true, true, false, NULL, cat_flux, c_flux,
	  k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ COORD, "leases", "lease", "Lease", "LeaseList", true, false, true,
	  NULL, NULL, c_lease, k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ APPS, "controllerrevisions", "controllerrevision",
	  "ControllerRevision", "ControllerRevisionList", true, false, true,
	  NULL, NULL, c_revision, k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ BATCH, "jobs", "job", "Job", "JobList", true, true, true, NULL, NULL,
	  c_job, k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ PKGCONFIG, "repositories", "repository", "Repository",
	  "RepositoryList", true, true, false, NULL, NULL,
	  c_pkg_repository, k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ PKGCONFIG, "packagevariants", "packagevariant", "PackageVariant",
	  "PackageVariantList", true, true, false, NULL, NULL,
	  c_pkg_variant, k_common, CZ_NAME_SUBDOMAIN, false, NULL, NULL,
	  CZ_STORAGE_STORE },
	{ PKG, "packagerevisions", "packagerevision", "PackageRevision",
	  "PackageRevisionList", true, true, false, NULL, NULL,
	  c_pkg_revision, k_common, CZ_NAME_SEGMENT, false, sub_approval,
	  f_pkg_revision, CZ_STORAGE_REVISIONS },
	{ PKG, "packagerevisionresourceses", "packagerevisionresources",
	  "PackageRevisionResources", "PackageRevisionResourcesList", true,
	  true, false, NULL, NULL, c_pkg_resources, k_common,
	  CZ_NAME_SEGMENT, false, NULL, f_pkg_revision,
	  CZ_STORAGE_REVISION_RESOURCES },
};

#define N_RESOURCES (sizeof(resources) / sizeof(resources[0]))

static const char *const group_versions[] = {
	"v1",
	"cozystack.io/v1alpha1",
	"helm.toolkit.fluxcd.io/v2",
	"source.toolkit.fluxcd.io/v1",
	"coordination.k8s.io/v1",
	"apps/v1",
	"batch/v1",
	"config.pkg.pkgserver.dev/v1alpha1",
	"pkg.pkgserver.dev/v1alpha1",
};

const cz_resource *cz_resources(size_t *count)
{
	*count = N_RESOURCES;
	return resources;
}

const cz_resource *cz_resource_find(const char *group, const char *version,
				    const char *resource)
{
	for (size_t i = 0; i < N_RESOURCES; i++) {
		const cz_resource *r = &resources[i];

		if (strcmp(r->group, group) == 0 &&
		    strcmp(r->version, version) == 0 &&
		    strcmp(r->resource, resource) == 0)
			return r;
	}
	return NULL;
}

const cz_resource *cz_resource_by_kind(const char *api_version,
				       const char *kind)
{
	for (size_t i = 0; i < N_RESOURCES; i++) {
		const cz_resource *r = &resources[i];

		if (strcmp(r->group_version, api_version) == 0 &&
		    strcmp(r->kind, kind) == 0)
			return r;
	}
	return NULL;
}

const char *const *cz_group_versions(size_t *count)
{
	*count = sizeof(group_versions) / sizeof(group_versions[0]);
	return group_versions;
}

bool cz_resource_has_subresource(const cz_resource *r, const char *sub)
{
	if (!sub)
		return false;
	if (strcmp(sub, "status") == 0)
		return r->has_status;
	for (size_t i = 0; r->subresources && r->subresources[i]; i++)
		if (strcmp(r->subresources[i], sub) == 0)
			return true;
	return false;
}
