/* cozystack.io/v1alpha1 Package and PackageSource, as the real CRDs: no
 * defaults, no CEL, enums where the Go types carry an Enum marker. */

#include "model/schema_common.h"

/* PackageSource */
static const char *const e_source_kind[] = { "GitRepository", "OCIRepository",
					     NULL };
static const char *const e_upgrade_crds[] = { "Skip", "Create", "CreateReplace",
					      NULL };
static const char *const e_wait_strategy[] = { "poller", "legacy", NULL };

static const cz_schema s_source_kind = { .type = CZ_T_STRING,
					 .enums = e_source_kind };
static const cz_schema s_upgrade_crds = { .type = CZ_T_STRING,
					  .enums = e_upgrade_crds };
static const cz_schema s_wait_strategy = { .type = CZ_T_STRING,
					   .enums = e_wait_strategy };

static const cz_field f_source_ref[] = {
	CZ_REQUIRED("kind", &s_source_kind,
		    "Kind of the Flux source (GitRepository or OCIRepository)."),
	CZ_REQUIRED("name", &cz_s_string, "Name of the Flux source."),
	CZ_REQUIRED("namespace", &cz_s_string,
		    "Namespace of the Flux source."),
	CZ_FIELD("path", &cz_s_string,
		 "Base path inside the source; \"packages\" for GitRepository "
		 "and the root for OCIRepository when empty."),
	CZ_END_FIELDS,
};
static const cz_schema s_source_ref = {
	.type = CZ_T_OBJECT,
	.description = "The Flux source that holds the charts.",
	.fields = f_source_ref,
};

static const cz_field f_health_check[] = {
	CZ_REQUIRED("apiVersion", &cz_s_string,
		    "APIVersion of the custom resource under evaluation."),
	CZ_REQUIRED("current", &cz_s_string,
		    "CEL expression that is true when the resource is ready."),
	CZ_FIELD("failed", &cz_s_string,
		 "CEL expression that is true when the resource failed."),
	CZ_FIELD("inProgress", &cz_s_string,
		 "CEL expression that is true while the resource is being "
		 "reconciled."),
	CZ_REQUIRED("kind", &cz_s_string,
		    "Kind of the custom resource under evaluation."),
	CZ_END_FIELDS,
};
static const cz_schema s_health_check = {
	.type = CZ_T_OBJECT,
	.description = "A custom health check with CEL expressions.",
	.fields = f_health_check,
};
static const cz_schema s_health_checks = { .type = CZ_T_ARRAY,
					   .items = &s_health_check };

static const cz_field f_install[] = {
	CZ_FIELD("dependsOn", &cz_s_strings,
		 "Names of components of the same variant that must be "
		 "installed first."),
	CZ_FIELD("healthCheckExprs", &s_health_checks,
		 "Custom health checks written to the HelmRelease."),
	CZ_FIELD("namespace", &cz_s_string,
		 "Target namespace of the HelmRelease."),
	CZ_FIELD("privileged", &cz_s_bool,
		 "Run the component in a privileged namespace."),
	CZ_FIELD("releaseName", &cz_s_string,
		 "Name of the HelmRelease; the component name when empty."),
	CZ_FIELD("upgradeCRDs", &s_upgrade_crds,
		 "CRD policy on upgrade, written to the HelmRelease's "
		 "spec.upgrade.crds."),
	CZ_FIELD("waitStrategy", &s_wait_strategy,
		 "How Helm waits for resources to become ready."),
	CZ_END_FIELDS,
};
static const cz_schema s_install = {
	.type = CZ_T_OBJECT,
	.description = "How the component is installed; only components "
		       "with install become HelmReleases.",
	.fields = f_install,
};

static const cz_field f_component[] = {
	CZ_FIELD("install", &s_install, NULL),
	CZ_FIELD("libraries", &cz_s_strings,
		 "Names of variant libraries vendored into the chart."),
	CZ_REQUIRED("name", &cz_s_string, "Component name."),
	CZ_REQUIRED("path", &cz_s_string,
		    "Chart directory, relative to the base path."),
	CZ_FIELD("valuesFiles", &cz_s_strings,
		 "Values files merged into the chart's values.yaml, in "
		 "order."),
	CZ_END_FIELDS,
};
static const cz_schema s_component = {
	.type = CZ_T_OBJECT,
	.description = "A chart of the variant.",
	.fields = f_component,
};
static const cz_schema s_components = { .type = CZ_T_ARRAY,
					.items = &s_component };

static const cz_field f_library[] = {
	CZ_FIELD("name", &cz_s_string,
		 "Library name; the last segment of path when empty."),
	CZ_REQUIRED("path", &cz_s_string,
		    "Path of the library chart, relative to the base path."),
	CZ_END_FIELDS,
};
static const cz_schema s_library = {
	.type = CZ_T_OBJECT,
	.description = "A Helm library chart.",
	.fields = f_library,
};
static const cz_schema s_libraries = { .type = CZ_T_ARRAY,
				       .items = &s_library };

static const cz_field f_variant[] = {
	CZ_FIELD("components", &s_components, "Charts of the variant."),
	CZ_FIELD("dependsOn", &cz_s_strings,
		 "Packages this variant depends on."),
	CZ_FIELD("libraries", &s_libraries,
		 "Library charts the variant's components may vendor."),
	CZ_REQUIRED("name", &cz_s_string, "Variant name."),
	CZ_END_FIELDS,
};
static const cz_schema s_variant = {
	.type = CZ_T_OBJECT,
	.description = "One way to install the package.",
	.fields = f_variant,
};
static const cz_schema s_variants = { .type = CZ_T_ARRAY, .items = &s_variant };

static const cz_field f_source_spec[] = {
	CZ_FIELD("sourceRef", &s_source_ref, NULL),
	CZ_FIELD("variants", &s_variants, "The variants of the package."),
	CZ_END_FIELDS,
};
static const cz_schema s_source_spec = {
	.type = CZ_T_OBJECT,
	.description = "PackageSourceSpec defines the desired state of "
		       "PackageSource.",
	.fields = f_source_spec,
};

static const cz_field f_source_status[] = {
	CZ_FIELD("conditions", &cz_s_conditions,
		 "Conditions represent the latest available observations of "
		 "the PackageSource's state."),
	CZ_FIELD("variants", &cz_s_string,
		 "Comma-separated names of the available variants."),
	CZ_END_FIELDS,
};
static const cz_schema s_source_status = {
	.type = CZ_T_OBJECT,
	.description = "PackageSourceStatus defines the observed state of "
		       "PackageSource.",
	.fields = f_source_status,
};

static const cz_field f_package_source[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_source_spec, NULL),
	CZ_FIELD("status", &s_source_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_package_source = {
	.type = CZ_T_OBJECT,
	.description = "PackageSource is the Schema for the packagesources "
		       "API: the variants and components of a package and "
		       "where its charts come from.",
	.fields = f_package_source,
};

/* Package */
static const cz_field f_package_component[] = {
	CZ_FIELD("enabled", &cz_s_bool,
		 "Set to false to skip installing the component."),
	CZ_FIELD("values", &cz_s_any,
		 "Helm values, copied to the HelmRelease's spec.values."),
	CZ_END_FIELDS,
};
static const cz_schema s_package_component = {
	.type = CZ_T_OBJECT,
	.description = "Overrides for one component.",
	.fields = f_package_component,
};
static const cz_schema s_package_components = { .type = CZ_T_MAP,
						.items = &s_package_component };

static const cz_field f_package_spec[] = {
	CZ_FIELD("components", &s_package_components,
		 "Per-component overrides, keyed by component name."),
	CZ_FIELD("ignoreDependencies", &cz_s_strings,
		 "Package names left out of the variant's dependencies."),
	CZ_FIELD("variant", &cz_s_string,
		 "Variant of the same-named PackageSource; \"default\" when "
		 "empty."),
	CZ_END_FIELDS,
};
static const cz_schema s_package_spec = {
	.type = CZ_T_OBJECT,
	.description = "PackageSpec defines the desired state of Package.",
	.fields = f_package_spec,
};

static const cz_field f_dependency_status[] = {
	CZ_REQUIRED("ready", &cz_s_bool,
		    "Whether the dependency Package is Ready."),
	CZ_END_FIELDS,
};
static const cz_schema s_dependency_status = {
	.type = CZ_T_OBJECT,
	.description = "DependencyStatus is the readiness of one dependency.",
	.fields = f_dependency_status,
};
static const cz_schema s_dependencies = { .type = CZ_T_MAP,
					  .items = &s_dependency_status };

static const cz_field f_package_status[] = {
	CZ_FIELD("conditions", &cz_s_conditions,
		 "Conditions represent the latest available observations of "
		 "the Package's state."),
	CZ_FIELD("dependencies", &s_dependencies,
		 "Readiness of each dependency, keyed by package name."),
	CZ_END_FIELDS,
};
static const cz_schema s_package_status = {
	.type = CZ_T_OBJECT,
	.description = "PackageStatus defines the observed state of Package.",
	.fields = f_package_status,
};

static const cz_field f_package[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_package_spec, NULL),
	CZ_FIELD("status", &s_package_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_package = {
	.type = CZ_T_OBJECT,
	.description = "Package is the Schema for the packages API: the "
		       "chosen variant of the same-named PackageSource and "
		       "per-component overrides.",
	.fields = f_package,
};
