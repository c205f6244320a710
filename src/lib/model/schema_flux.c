/* Flux kinds: helm.toolkit.fluxcd.io/v2 HelmRelease and
 * source.toolkit.fluxcd.io/v1 OCIRepository, GitRepository and
 * ExternalArtifact, a faithful subset of the upstream CRDs (no defaults,
 * patterns or CEL rules). */

#include "model/schema_common.h"

#define DURATION_DOC(what) what " (a Go duration, e.g. \"5m\")."

/* Shared pieces */
static const char *const e_crds[] = { "Skip", "Create", "CreateReplace", NULL };
static const cz_schema s_crds = { .type = CZ_T_STRING, .enums = e_crds };

static const cz_field f_selector[] = {
	CZ_FIELD("annotationSelector", &cz_s_string,
		 "AnnotationSelector is a string that follows the label "
		 "selection expression."),
	CZ_FIELD("group", &cz_s_string, "Group is the API group to select "
					"resources from."),
	CZ_FIELD("kind", &cz_s_string, "Kind of the API Group to select "
				       "resources from."),
	CZ_FIELD("labelSelector", &cz_s_string,
		 "LabelSelector is a string that follows the label selection "
		 "expression."),
	CZ_FIELD("name", &cz_s_string, "Name to match resources with."),
	CZ_FIELD("namespace", &cz_s_string,
		 "Namespace to select resources from."),
	CZ_FIELD("version", &cz_s_string, "Version of the API Group to select "
					  "resources from."),
	CZ_END_FIELDS,
};
static const cz_schema s_selector = {
	.type = CZ_T_OBJECT,
	.description = "Selector specifies a set of resources.",
	.fields = f_selector,
};

static const cz_field f_health_check[] = {
	CZ_REQUIRED("apiVersion", &cz_s_string,
		    "APIVersion of the custom resource under evaluation."),
	CZ_REQUIRED("current", &cz_s_string,
		    "Current is the CEL expression that determines if the "
		    "status of the custom resource has reached the desired "
		    "state."),
	CZ_FIELD("failed", &cz_s_string,
		 "Failed is the CEL expression that determines if the status "
		 "of the custom resource has failed to reach the desired "
		 "state."),
	CZ_FIELD("inProgress", &cz_s_string,
		 "InProgress is the CEL expression that determines if the "
		 "status of the custom resource has not yet reached the "
		 "desired state."),
	CZ_REQUIRED("kind", &cz_s_string,
		    "Kind of the custom resource under evaluation."),
	CZ_END_FIELDS,
};
static const cz_schema s_health_check = {
	.type = CZ_T_OBJECT,
	.description = "CustomHealthCheck defines the health check for custom "
		       "resources.",
	.fields = f_health_check,
};
static const cz_schema s_health_checks = { .type = CZ_T_ARRAY,
					   .items = &s_health_check };

static const cz_field f_artifact[] = {
	CZ_REQUIRED("digest", &cz_s_string,
		    "Digest is the digest of the file in the form of "
		    "'<algorithm>:<checksum>'."),
	CZ_REQUIRED("lastUpdateTime", &cz_s_time,
		    "LastUpdateTime is the timestamp corresponding to the "
		    "last update of the Artifact."),
	CZ_FIELD("metadata", &cz_s_string_map,
		 "Metadata holds upstream information such as OCI "
		 "annotations."),
	CZ_REQUIRED("path", &cz_s_string,
		    "Path is the relative file path of the Artifact."),
	CZ_REQUIRED("revision", &cz_s_string,
		    "Revision is a human-readable identifier traceable in the "
		    "origin source system."),
	CZ_FIELD("size", &cz_s_int64,
		 "Size is the number of bytes in the file."),
	CZ_REQUIRED("url", &cz_s_string,
		    "URL is the HTTP address of the Artifact as exposed by the "
		    "controller managing the Source."),
	CZ_END_FIELDS,
};
static const cz_schema s_artifact = {
	.type = CZ_T_OBJECT,
	.description = "Artifact represents the output of a Source "
		       "reconciliation.",
	.fields = f_artifact,
};

/* HelmRelease */
static const char *const e_chart_source_kind[] = { "HelmRepository",
						   "GitRepository", "Bucket",
						   NULL };
static const cz_schema s_chart_source_kind = { .type = CZ_T_STRING,
					       .enums = e_chart_source_kind };
static const cz_field f_chart_source_ref[] = {
	CZ_FIELD("apiVersion", &cz_s_string, "APIVersion of the referent."),
	CZ_REQUIRED("kind", &s_chart_source_kind, "Kind of the referent."),
	CZ_REQUIRED("name", &cz_s_string, "Name of the referent."),
	CZ_FIELD("namespace", &cz_s_string,
		 "Namespace of the referent, defaults to the namespace of the "
		 "Kubernetes resource object that contains the reference."),
	CZ_END_FIELDS,
};
static const cz_schema s_chart_source_ref = {
	.type = CZ_T_OBJECT,
	.description = "The name and namespace of the v1.Source the chart is "
		       "available at.",
	.fields = f_chart_source_ref,
};

static const char *const e_verify_provider[] = { "cosign", "notation", NULL };
static const cz_schema s_verify_provider = { .type = CZ_T_STRING,
					     .enums = e_verify_provider };
static const cz_field f_chart_verify[] = {
	CZ_REQUIRED("provider", &s_verify_provider,
		    "Provider specifies the technology used to sign the OCI "
		    "Helm chart."),
	CZ_FIELD("secretRef", &cz_s_local_ref,
		 "SecretRef specifies the Kubernetes Secret containing the "
		 "trusted public keys."),
	CZ_END_FIELDS,
};
static const cz_schema s_chart_verify = {
	.type = CZ_T_OBJECT,
	.description = "Verify contains the secret name containing the trusted "
		       "public keys used to verify the signature.",
	.fields = f_chart_verify,
};

static const char *const e_reconcile_strategy[] = { "ChartVersion", "Revision",
						    NULL };
static const cz_schema s_reconcile_strategy = { .type = CZ_T_STRING,
						.enums = e_reconcile_strategy };
static const cz_field f_chart_spec[] = {
	CZ_REQUIRED("chart", &cz_s_string,
		    "The name or path the Helm chart is available at in the "
		    "SourceRef."),
	CZ_FIELD("ignoreMissingValuesFiles", &cz_s_bool,
		 "IgnoreMissingValuesFiles controls whether to silently "
		 "ignore missing values files rather than failing."),
	CZ_FIELD("interval", &cz_s_duration,
		 DURATION_DOC("Interval at which to check the v1.Source for "
			      "updates")),
	CZ_FIELD("reconcileStrategy", &s_reconcile_strategy,
		 "Determines what enables the creation of a new artifact."),
	CZ_REQUIRED("sourceRef", &s_chart_source_ref, NULL),
	CZ_FIELD("valuesFiles", &cz_s_strings,
		 "Alternative list of values files to use as the chart "
		 "values."),
	CZ_FIELD("verify", &s_chart_verify, NULL),
	CZ_FIELD("version", &cz_s_string,
		 "Version semver expression; defaults to latest when "
		 "omitted."),
	CZ_END_FIELDS,
};
static const cz_schema s_chart_spec = {
	.type = CZ_T_OBJECT,
	.description = "Spec holds the template for the v1.HelmChartSpec for "
		       "this HelmRelease.",
	.fields = f_chart_spec,
};
static const cz_field f_labels_annotations[] = {
	CZ_FIELD("annotations", &cz_s_string_map,
		 "Annotations is an unstructured key value map."),
	CZ_FIELD("labels", &cz_s_string_map,
		 "Map of string keys and values that can be used to organize "
		 "and categorize (scope and select) objects."),
	CZ_END_FIELDS,
};
static const cz_schema s_labels_annotations = {
	.type = CZ_T_OBJECT,
	.description = "Labels and annotations.",
	.fields = f_labels_annotations,
};
static const cz_field f_chart[] = {
	CZ_FIELD("metadata", &s_labels_annotations,
		 "ObjectMeta holds the template for metadata like labels and "
		 "annotations."),
	CZ_REQUIRED("spec", &s_chart_spec, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_chart = {
	.type = CZ_T_OBJECT,
	.description = "Chart defines the template of the v1.HelmChart that "
		       "should be created for this HelmRelease.",
	.fields = f_chart,
};

static const char *const e_chart_ref_kind[] = { "OCIRepository", "HelmChart",
						"ExternalArtifact", NULL };
static const cz_schema s_chart_ref_kind = { .type = CZ_T_STRING,
					    .enums = e_chart_ref_kind };
static const cz_field f_chart_ref[] = {
	CZ_FIELD("apiVersion", &cz_s_string, "APIVersion of the referent."),
	CZ_REQUIRED("kind", &s_chart_ref_kind, "Kind of the referent."),
	CZ_REQUIRED("name", &cz_s_string, "Name of the referent."),
	CZ_FIELD("namespace", &cz_s_string,
		 "Namespace of the referent, defaults to the namespace of the "
		 "Kubernetes resource object that contains the reference."),
	CZ_END_FIELDS,
};
static const cz_schema s_chart_ref = {
	.type = CZ_T_OBJECT,
	.description = "ChartRef holds a reference to a source controller "
		       "resource containing the Helm chart artifact.",
	.fields = f_chart_ref,
};

static const cz_field f_secret_key_ref[] = {
	CZ_FIELD("key", &cz_s_string, "Key in the Secret, when not specified "
				      "an implementation-specific default key "
				      "is used."),
	CZ_REQUIRED("name", &cz_s_string, "Name of the Secret."),
	CZ_END_FIELDS,
};
static const cz_schema s_secret_key_ref = {
	.type = CZ_T_OBJECT,
	.description = "A reference to a key in a Secret.",
	.fields = f_secret_key_ref,
};
static const cz_field f_kubeconfig[] = {
	CZ_FIELD("configMapRef", &cz_s_local_ref,
		 "ConfigMapRef holds an optional name of a ConfigMap that "
		 "contains the provider configuration."),
	CZ_FIELD("secretRef", &s_secret_key_ref,
		 "SecretRef holds the name of a secret that contains a key "
		 "with the kubeconfig file as the value."),
	CZ_END_FIELDS,
};
static const cz_schema s_kubeconfig = {
	.type = CZ_T_OBJECT,
	.description = "KubeConfig for reconciling the HelmRelease on a remote "
		       "cluster.",
	.fields = f_kubeconfig,
};

static const cz_field f_depends_on[] = {
	CZ_REQUIRED("name", &cz_s_string, "Name of the referent."),
	CZ_FIELD("namespace", &cz_s_string,
		 "Namespace of the referent, when not specified it acts as "
		 "LocalObjectReference."),
	CZ_FIELD("readyExpr", &cz_s_string,
		 "ReadyExpr is a CEL expression that can be used to assess the "
		 "readiness of a dependency."),
	CZ_END_FIELDS,
};
static const cz_schema s_depends_on_item = {
	.type = CZ_T_OBJECT,
	.description = "A reference to a HelmRelease that must be ready "
		       "first.",
	.fields = f_depends_on,
};
static const cz_schema s_depends_on = { .type = CZ_T_ARRAY,
					.items = &s_depends_on_item };

static const char *const e_drift_mode[] = { "enabled", "warn", "disabled",
					    NULL };
static const cz_schema s_drift_mode = { .type = CZ_T_STRING,
					.enums = e_drift_mode };
static const cz_field f_ignore_rule[] = {
	CZ_REQUIRED("paths", &cz_s_strings,
		    "Paths is a list of JSON Pointer (RFC 6901) paths to be "
		    "excluded from consideration in a Kubernetes object."),
	CZ_FIELD("target", &s_selector,
		 "Target is a selector for specifying Kubernetes objects to "
		 "which this rule applies."),
	CZ_END_FIELDS,
};
static const cz_schema s_ignore_rule = {
	.type = CZ_T_OBJECT,
	.description = "IgnoreRule defines a rule to selectively disregard "
		       "specific changes during the drift detection process.",
	.fields = f_ignore_rule,
};
static const cz_schema s_ignore_rules = { .type = CZ_T_ARRAY,
					  .items = &s_ignore_rule };
static const cz_field f_drift[] = {
	CZ_FIELD("ignore", &s_ignore_rules,
		 "Ignore contains a list of rules for specifying which "
		 "changes to ignore during diffing."),
	CZ_FIELD("mode", &s_drift_mode,
		 "Mode defines how differences should be handled between the "
		 "Helm manifest and the manifest currently applied to the "
		 "cluster."),
	CZ_END_FIELDS,
};
static const cz_schema s_drift = {
	.type = CZ_T_OBJECT,
	.description = "DriftDetection holds the configuration for detecting "
		       "and handling differences between the manifest in the "
		       "Helm storage and the resources currently existing in "
		       "the cluster.",
	.fields = f_drift,
};

static const char *const e_strategy_name[] = { "RemediateOnFailure",
					       "RetryOnFailure", NULL };
static const cz_schema s_strategy_name = { .type = CZ_T_STRING,
					   .enums = e_strategy_name };
static const cz_field f_action_strategy[] = {
	CZ_REQUIRED("name", &s_strategy_name,
		    "Name of the strategy to use when an action fails."),
	CZ_FIELD("retryInterval", &cz_s_duration,
		 DURATION_DOC("RetryInterval is the interval at which to "
			      "retry a failed action with RetryOnFailure")),
	CZ_END_FIELDS,
};
static const cz_schema s_action_strategy = {
	.type = CZ_T_OBJECT,
	.description = "Strategy defines the behaviour when the action fails.",
	.fields = f_action_strategy,
};

static const cz_field f_install_remediation[] = {
	CZ_FIELD("ignoreTestFailures", &cz_s_bool,
		 "IgnoreTestFailures tells the controller to skip remediation "
		 "when the Helm tests are run after an install action but "
		 "fail."),
	CZ_FIELD("remediateLastFailure", &cz_s_bool,
		 "RemediateLastFailure tells the controller to remediate the "
		 "last failure, when no retries remain."),
	CZ_FIELD("retries", &cz_s_int64,
		 "Retries is the number of retries that should be attempted "
		 "on failures before bailing."),
	CZ_END_FIELDS,
};
static const cz_schema s_install_remediation = {
	.type = CZ_T_OBJECT,
	.description = "Remediation holds the remediation configuration for "
		       "when the Helm install action fails.",
	.fields = f_install_remediation,
};
static const cz_field f_install[] = {
	CZ_FIELD("createNamespace", &cz_s_bool,
		 "CreateNamespace tells the Helm install action to create the "
		 "HelmReleaseSpec.TargetNamespace if it does not exist yet."),
	CZ_FIELD("crds", &s_crds,
		 "CRDs upgrade CRDs from the Helm Chart's crds directory "
		 "according to the CRD upgrade policy provided here."),
	CZ_FIELD("disableHooks", &cz_s_bool,
		 "DisableHooks prevents hooks from running during the Helm "
		 "install action."),
	CZ_FIELD("disableOpenAPIValidation", &cz_s_bool,
		 "DisableOpenAPIValidation prevents the Helm install action "
		 "from validating rendered templates against the Kubernetes "
		 "OpenAPI Schema."),
	CZ_FIELD("disableSchemaValidation", &cz_s_bool,
		 "DisableSchemaValidation prevents the Helm install action "
		 "from validating the values against the JSON Schema."),
	CZ_FIELD("disableTakeOwnership", &cz_s_bool,
		 "DisableTakeOwnership disables taking ownership of existing "
		 "resources during the Helm install action."),
	CZ_FIELD("disableWait", &cz_s_bool,
		 "DisableWait disables the waiting for resources to be ready "
		 "after a Helm install has been performed."),
	CZ_FIELD("disableWaitForJobs", &cz_s_bool,
		 "DisableWaitForJobs disables waiting for jobs to complete "
		 "after a Helm install has been performed."),
	CZ_FIELD("remediation", &s_install_remediation, NULL),
	CZ_FIELD("replace", &cz_s_bool,
		 "Replace tells the Helm install action to re-use the "
		 "'ReleaseName', but only if that name is a deleted release "
		 "which remains in the history."),
	CZ_FIELD("skipCRDs", &cz_s_bool,
		 "SkipCRDs tells the Helm install action to not install any "
		 "CRDs. Deprecated: use crds: Skip."),
	CZ_FIELD("strategy", &s_action_strategy, NULL),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("Timeout is the time to wait for any individual "
			      "Kubernetes operation during a Helm install "
			      "action")),
	CZ_END_FIELDS,
};
static const cz_schema s_install = {
	.type = CZ_T_OBJECT,
	.description = "Install holds the configuration for Helm install "
		       "actions for this HelmRelease.",
	.fields = f_install,
};

static const char *const e_remediation_strategy[] = { "rollback", "uninstall",
						      NULL };
static const cz_schema s_remediation_strategy = {
	.type = CZ_T_STRING,
	.enums = e_remediation_strategy,
};
static const cz_field f_upgrade_remediation[] = {
	CZ_FIELD("ignoreTestFailures", &cz_s_bool,
		 "IgnoreTestFailures tells the controller to skip remediation "
		 "when the Helm tests are run after an upgrade action but "
		 "fail."),
	CZ_FIELD("remediateLastFailure", &cz_s_bool,
		 "RemediateLastFailure tells the controller to remediate the "
		 "last failure, when no retries remain."),
	CZ_FIELD("retries", &cz_s_int64,
		 "Retries is the number of retries that should be attempted "
		 "on failures before bailing."),
	CZ_FIELD("strategy", &s_remediation_strategy,
		 "Strategy to use for failure remediation. Defaults to "
		 "'rollback'."),
	CZ_END_FIELDS,
};
static const cz_schema s_upgrade_remediation = {
	.type = CZ_T_OBJECT,
	.description = "Remediation holds the remediation configuration for "
		       "when the Helm upgrade action fails.",
	.fields = f_upgrade_remediation,
};
static const cz_field f_upgrade[] = {
	CZ_FIELD("cleanupOnFail", &cz_s_bool,
		 "CleanupOnFail allows deletion of new resources created "
		 "during the Helm upgrade action when it fails."),
	CZ_FIELD("crds", &s_crds,
		 "CRDs upgrade CRDs from the Helm Chart's crds directory "
		 "according to the CRD upgrade policy provided here."),
	CZ_FIELD("disableHooks", &cz_s_bool,
		 "DisableHooks prevents hooks from running during the Helm "
		 "upgrade action."),
	CZ_FIELD("disableOpenAPIValidation", &cz_s_bool,
		 "DisableOpenAPIValidation prevents the Helm upgrade action "
		 "from validating rendered templates against the Kubernetes "
		 "OpenAPI Schema."),
	CZ_FIELD("disableSchemaValidation", &cz_s_bool,
		 "DisableSchemaValidation prevents the Helm upgrade action "
		 "from validating the values against the JSON Schema."),
	CZ_FIELD("disableTakeOwnership", &cz_s_bool,
		 "DisableTakeOwnership disables taking ownership of existing "
		 "resources during the Helm upgrade action."),
	CZ_FIELD("disableWait", &cz_s_bool,
		 "DisableWait disables the waiting for resources to be ready "
		 "after a Helm upgrade has been performed."),
	CZ_FIELD("disableWaitForJobs", &cz_s_bool,
		 "DisableWaitForJobs disables waiting for jobs to complete "
		 "after a Helm upgrade has been performed."),
	CZ_FIELD("force", &cz_s_bool,
		 "Force forces resource updates through a replacement "
		 "strategy."),
	CZ_FIELD("preserveValues", &cz_s_bool,
		 "PreserveValues will make Helm reuse the last release's "
		 "values and merge in overrides from 'Values'."),
	CZ_FIELD("remediation", &s_upgrade_remediation, NULL),
	CZ_FIELD("strategy", &s_action_strategy, NULL),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("Timeout is the time to wait for any individual "
			      "Kubernetes operation during a Helm upgrade "
			      "action")),
	CZ_END_FIELDS,
};
static const cz_schema s_upgrade = {
	.type = CZ_T_OBJECT,
	.description = "Upgrade holds the configuration for Helm upgrade "
		       "actions for this HelmRelease.",
	.fields = f_upgrade,
};

static const cz_field f_test_filter[] = {
	CZ_FIELD("exclude", &cz_s_bool,
		 "Exclude specifies whether the named test should be "
		 "excluded."),
	CZ_REQUIRED("name", &cz_s_string, "Name is the name of the test."),
	CZ_END_FIELDS,
};
static const cz_schema s_test_filter = {
	.type = CZ_T_OBJECT,
	.description = "Filter holds the configuration for individual Helm "
		       "test filters.",
	.fields = f_test_filter,
};
static const cz_schema s_test_filters = { .type = CZ_T_ARRAY,
					  .items = &s_test_filter };
static const cz_field f_test[] = {
	CZ_FIELD("enable", &cz_s_bool,
		 "Enable enables Helm test actions for this HelmRelease after "
		 "an Helm install or upgrade action has been performed."),
	CZ_FIELD("filters", &s_test_filters,
		 "Filters is a list of tests to run or exclude from running."),
	CZ_FIELD("ignoreFailures", &cz_s_bool,
		 "IgnoreFailures tells the controller to skip remediation "
		 "when the Helm tests are run but fail."),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("Timeout is the time to wait for any individual "
			      "Kubernetes operation during a Helm test "
			      "action")),
	CZ_END_FIELDS,
};
static const cz_schema s_test = {
	.type = CZ_T_OBJECT,
	.description = "Test holds the configuration for Helm test actions for "
		       "this HelmRelease.",
	.fields = f_test,
};

static const cz_field f_rollback[] = {
	CZ_FIELD("cleanupOnFail", &cz_s_bool,
		 "CleanupOnFail allows deletion of new resources created "
		 "during the Helm rollback action when it fails."),
	CZ_FIELD("disableHooks", &cz_s_bool,
		 "DisableHooks prevents hooks from running during the Helm "
		 "rollback action."),
	CZ_FIELD("disableWait", &cz_s_bool,
		 "DisableWait disables the waiting for resources to be ready "
		 "after a Helm rollback has been performed."),
	CZ_FIELD("disableWaitForJobs", &cz_s_bool,
		 "DisableWaitForJobs disables waiting for jobs to complete "
		 "after a Helm rollback has been performed."),
	CZ_FIELD("force", &cz_s_bool,
		 "Force forces resource updates through a replacement "
		 "strategy."),
	CZ_FIELD("recreate", &cz_s_bool,
		 "Recreate performs pod restarts for the resource if "
		 "applicable."),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("Timeout is the time to wait for any individual "
			      "Kubernetes operation during a Helm rollback "
			      "action")),
	CZ_END_FIELDS,
};
static const cz_schema s_rollback = {
	.type = CZ_T_OBJECT,
	.description = "Rollback holds the configuration for Helm rollback "
		       "actions for this HelmRelease.",
	.fields = f_rollback,
};

static const char *const e_deletion_propagation[] = { "background",
						      "foreground", "orphan",
						      NULL };
static const cz_schema s_deletion_propagation = {
	.type = CZ_T_STRING,
	.enums = e_deletion_propagation,
};
static const cz_field f_uninstall[] = {
	CZ_FIELD("deletionPropagation", &s_deletion_propagation,
		 "DeletionPropagation specifies the deletion propagation "
		 "policy when a Helm uninstall is performed."),
	CZ_FIELD("disableHooks", &cz_s_bool,
		 "DisableHooks prevents hooks from running during the Helm "
		 "rollback action."),
	CZ_FIELD("disableWait", &cz_s_bool,
		 "DisableWait disables waiting for all the resources to be "
		 "deleted after a Helm uninstall is performed."),
	CZ_FIELD("keepHistory", &cz_s_bool,
		 "KeepHistory tells Helm to remove all associated resources "
		 "and mark the release as deleted, but retain the release "
		 "history."),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("Timeout is the time to wait for any individual "
			      "Kubernetes operation during a Helm uninstall "
			      "action")),
	CZ_END_FIELDS,
};
static const cz_schema s_uninstall = {
	.type = CZ_T_OBJECT,
	.description = "Uninstall holds the configuration for Helm uninstall "
		       "actions for this HelmRelease.",
	.fields = f_uninstall,
};

static const char *const e_values_kind[] = { "Secret", "ConfigMap", NULL };
static const cz_schema s_values_kind = { .type = CZ_T_STRING,
					 .enums = e_values_kind };
static const cz_field f_values_ref[] = {
	CZ_REQUIRED("kind", &s_values_kind, "Kind of the values referent, "
					    "valid values are ('Secret', "
					    "'ConfigMap')."),
	CZ_REQUIRED("name", &cz_s_string,
		    "Name of the values referent. Should reside in the same "
		    "namespace as the referring resource."),
	CZ_FIELD("optional", &cz_s_bool,
		 "Optional marks this ValuesReference as optional."),
	CZ_FIELD("targetPath", &cz_s_string,
		 "TargetPath is the YAML dot notation path the value should "
		 "be merged at."),
	CZ_FIELD("valuesKey", &cz_s_string,
		 "ValuesKey is the data key where the values.yaml or a "
		 "specific value can be found at. Defaults to 'values.yaml'."),
	CZ_END_FIELDS,
};
static const cz_schema s_values_ref = {
	.type = CZ_T_OBJECT,
	.description = "ValuesReference contains a reference to a resource "
		       "containing Helm values, and optionally the key they "
		       "can be found at.",
	.fields = f_values_ref,
};
static const cz_schema s_values_from = { .type = CZ_T_ARRAY,
					 .items = &s_values_ref };

static const cz_field f_patch[] = {
	CZ_REQUIRED("patch", &cz_s_string,
		    "Patch contains an inline StrategicMerge patch or an "
		    "inline JSON6902 patch with an array of operation "
		    "objects."),
	CZ_FIELD("target", &s_selector,
		 "Target points to the resources that the patch document "
		 "should be applied to."),
	CZ_END_FIELDS,
};
static const cz_schema s_patch = {
	.type = CZ_T_OBJECT,
	.description = "Patch contains an inline StrategicMerge or JSON6902 "
		       "patch, and the target the patch should be applied "
		       "to.",
	.fields = f_patch,
};
static const cz_schema s_patches = { .type = CZ_T_ARRAY, .items = &s_patch };
static const cz_field f_image[] = {
	CZ_FIELD("digest", &cz_s_string,
		 "Digest is the value used to replace the original image tag."),
	CZ_REQUIRED("name", &cz_s_string,
		    "Name is a tag-less image name."),
	CZ_FIELD("newName", &cz_s_string,
		 "NewName is the value used to replace the original name."),
	CZ_FIELD("newTag", &cz_s_string,
		 "NewTag is the value used to replace the original tag."),
	CZ_END_FIELDS,
};
static const cz_schema s_image = {
	.type = CZ_T_OBJECT,
	.description = "Image contains an image name, a new name, a new tag "
		       "or digest, which will replace the original name and "
		       "tag.",
	.fields = f_image,
};
static const cz_schema s_images = { .type = CZ_T_ARRAY, .items = &s_image };
static const cz_field f_kustomize[] = {
	CZ_FIELD("images", &s_images,
		 "Images is a list of (image name, new name, new tag or "
		 "digest) for changing image names, tags or digests."),
	CZ_FIELD("patches", &s_patches,
		 "Strategic merge and JSON patches, defined as inline YAML "
		 "objects."),
	CZ_END_FIELDS,
};
static const cz_schema s_kustomize = {
	.type = CZ_T_OBJECT,
	.description = "Kustomization to apply as PostRenderer.",
	.fields = f_kustomize,
};
static const cz_field f_post_renderer[] = {
	CZ_FIELD("kustomize", &s_kustomize, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_post_renderer = {
	.type = CZ_T_OBJECT,
	.description = "PostRenderer contains a Helm PostRenderer "
		       "specification.",
	.fields = f_post_renderer,
};
static const cz_schema s_post_renderers = { .type = CZ_T_ARRAY,
					    .items = &s_post_renderer };

static const char *const e_wait_strategy[] = { "poller", "legacy", NULL };
static const cz_schema s_wait_strategy_name = { .type = CZ_T_STRING,
						.enums = e_wait_strategy };
static const cz_field f_wait_strategy[] = {
	CZ_REQUIRED("name", &s_wait_strategy_name,
		    "Name is Helm's strategy for waiting for resources to "
		    "become ready."),
	CZ_END_FIELDS,
};
static const cz_schema s_wait_strategy = {
	.type = CZ_T_OBJECT,
	.description = "WaitStrategy defines how Helm waits for the resources "
		       "of the release to become ready.",
	.fields = f_wait_strategy,
};

static const cz_field f_hr_spec[] = {
	CZ_FIELD("chart", &s_chart, NULL),
	CZ_FIELD("chartRef", &s_chart_ref, NULL),
	CZ_FIELD("commonMetadata", &s_labels_annotations,
		 "CommonMetadata specifies the common labels and annotations "
		 "that are applied to all resources."),
	CZ_FIELD("dependsOn", &s_depends_on,
		 "DependsOn may contain a NamespacedObjectReference slice "
		 "with references to HelmRelease resources that must be ready "
		 "before this HelmRelease can be reconciled."),
	CZ_FIELD("driftDetection", &s_drift, NULL),
	CZ_FIELD("healthCheckExprs", &s_health_checks,
		 "HealthCheckExprs is a list of healthcheck expressions for "
		 "evaluating the health of custom resources using Common "
		 "Expression Language (CEL)."),
	CZ_FIELD("install", &s_install, NULL),
	CZ_REQUIRED("interval", &cz_s_duration,
		    DURATION_DOC("Interval at which to reconcile the Helm "
				 "release")),
	CZ_FIELD("kubeConfig", &s_kubeconfig, NULL),
	CZ_FIELD("maxHistory", &cz_s_int64,
		 "MaxHistory is the number of revisions saved by Helm for "
		 "this HelmRelease. Use '0' for an unlimited number of "
		 "revisions; defaults to '5'."),
	CZ_FIELD("persistentClient", &cz_s_bool,
		 "PersistentClient tells the controller to use a persistent "
		 "Kubernetes client for this release."),
	CZ_FIELD("postRenderers", &s_post_renderers,
		 "PostRenderers holds an array of Helm PostRenderers, which "
		 "will be applied in order of their definition."),
	CZ_FIELD("releaseName", &cz_s_string,
		 "ReleaseName used for the Helm release. Defaults to a "
		 "composition of '[TargetNamespace-]Name'."),
	CZ_FIELD("rollback", &s_rollback, NULL),
	CZ_FIELD("serviceAccountName", &cz_s_string,
		 "The name of the Kubernetes service account to impersonate "
		 "when reconciling this HelmRelease."),
	CZ_FIELD("storageNamespace", &cz_s_string,
		 "StorageNamespace used for the Helm storage. Defaults to the "
		 "namespace of the HelmRelease."),
	CZ_FIELD("suspend", &cz_s_bool,
		 "Suspend tells the controller to suspend reconciliation for "
		 "this HelmRelease."),
	CZ_FIELD("targetNamespace", &cz_s_string,
		 "TargetNamespace to target when performing operations for "
		 "the HelmRelease. Defaults to the namespace of the "
		 "HelmRelease."),
	CZ_FIELD("test", &s_test, NULL),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("Timeout is the time to wait for any individual "
			      "Kubernetes operation during the performance of "
			      "a Helm action")),
	CZ_FIELD("uninstall", &s_uninstall, NULL),
	CZ_FIELD("upgrade", &s_upgrade, NULL),
	CZ_FIELD("values", &cz_s_any,
		 "Values holds the values for this Helm release."),
	CZ_FIELD("valuesFrom", &s_values_from,
		 "ValuesFrom holds references to resources containing Helm "
		 "values for this HelmRelease, and information about how they "
		 "should be merged."),
	CZ_FIELD("waitStrategy", &s_wait_strategy, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_hr_spec = {
	.type = CZ_T_OBJECT,
	.description = "HelmReleaseSpec defines the desired state of a Helm "
		       "release.",
	.fields = f_hr_spec,
};

static const cz_schema s_test_hooks = { .type = CZ_T_MAP,
					.items = &cz_s_free_object };
static const cz_field f_snapshot[] = {
	CZ_FIELD("apiVersion", &cz_s_string,
		 "APIVersion is the API version of the Snapshot."),
	CZ_FIELD("appVersion", &cz_s_string,
		 "AppVersion is the chart app version of the release object "
		 "in storage."),
	CZ_REQUIRED("chartName", &cz_s_string,
		    "ChartName is the chart name of the release object in "
		    "storage."),
	CZ_REQUIRED("chartVersion", &cz_s_string,
		    "ChartVersion is the chart version of the release object "
		    "in storage."),
	CZ_REQUIRED("configDigest", &cz_s_string,
		    "ConfigDigest is the checksum of the config (better known "
		    "as \"values\") of the release object in storage."),
	CZ_FIELD("deleted", &cz_s_time,
		 "Deleted is when the release was deleted."),
	CZ_REQUIRED("digest", &cz_s_string,
		    "Digest is the checksum of the release object in storage."),
	CZ_REQUIRED("firstDeployed", &cz_s_time,
		    "FirstDeployed is when the release was first deployed."),
	CZ_REQUIRED("lastDeployed", &cz_s_time,
		    "LastDeployed is when the release was last deployed."),
	CZ_REQUIRED("name", &cz_s_string, "Name is the name of the release."),
	CZ_REQUIRED("namespace", &cz_s_string,
		    "Namespace is the namespace the release is deployed to."),
	CZ_FIELD("ociDigest", &cz_s_string,
		 "OCIDigest is the digest of the OCI artifact associated with "
		 "the release."),
	CZ_REQUIRED("status", &cz_s_string,
		    "Status is the current state of the release."),
	CZ_FIELD("testHooks", &s_test_hooks,
		 "TestHooks is the list of test hooks for the release as "
		 "observed to be run by the controller."),
	CZ_REQUIRED("version", &cz_s_int64,
		    "Version is the version of the release object in "
		    "storage."),
	CZ_END_FIELDS,
};
static const cz_schema s_snapshot = {
	.type = CZ_T_OBJECT,
	.description = "Snapshot captures a point-in-time copy of the status "
		       "information for a Helm release, as managed by the "
		       "controller.",
	.fields = f_snapshot,
};
static const cz_schema s_history = { .type = CZ_T_ARRAY, .items = &s_snapshot };

static const char *const e_release_action[] = { "install", "upgrade", NULL };
static const cz_schema s_release_action = { .type = CZ_T_STRING,
					    .enums = e_release_action };
static const cz_field f_hr_status[] = {
	CZ_FIELD("conditions", &cz_s_conditions,
		 "Conditions holds the conditions for the HelmRelease."),
	CZ_FIELD("failures", &cz_s_int64,
		 "Failures is the reconciliation failure count against the "
		 "latest desired state."),
	CZ_FIELD("helmChart", &cz_s_string,
		 "HelmChart is the namespaced name of the HelmChart resource "
		 "created by the controller for the HelmRelease."),
	CZ_FIELD("history", &s_history,
		 "History holds the history of Helm releases performed for "
		 "this HelmRelease up to the last successfully completed "
		 "release."),
	CZ_FIELD("installFailures", &cz_s_int64,
		 "InstallFailures is the install failure count against the "
		 "latest desired state."),
	CZ_FIELD("lastAttemptedConfigDigest", &cz_s_string,
		 "LastAttemptedConfigDigest is the digest for the config "
		 "(better known as \"values\") of the last reconciliation "
		 "attempt."),
	CZ_FIELD("lastAttemptedGeneration", &cz_s_int64,
		 "LastAttemptedGeneration is the last generation the "
		 "controller attempted to reconcile."),
	CZ_FIELD("lastAttemptedReleaseAction", &s_release_action,
		 "LastAttemptedReleaseAction is the last release action "
		 "performed for this HelmRelease."),
	CZ_FIELD("lastAttemptedRevision", &cz_s_string,
		 "LastAttemptedRevision is the Source revision of the last "
		 "reconciliation attempt."),
	CZ_FIELD("lastAttemptedRevisionDigest", &cz_s_string,
		 "LastAttemptedRevisionDigest is the digest of the last "
		 "reconciliation attempt."),
	CZ_FIELD("lastHandledForceAt", &cz_s_string,
		 "LastHandledForceAt holds the value of the most recent force "
		 "request value."),
	CZ_FIELD("lastHandledReconcileAt", &cz_s_string,
		 "LastHandledReconcileAt holds the value of the most recent "
		 "reconcile request value."),
	CZ_FIELD("lastHandledResetAt", &cz_s_string,
		 "LastHandledResetAt holds the value of the most recent reset "
		 "request value."),
	CZ_FIELD("observedCommonMetadataDigest", &cz_s_string,
		 "ObservedCommonMetadataDigest is the digest for the common "
		 "metadata of the last successful reconciliation attempt."),
	CZ_FIELD("observedGeneration", &cz_s_int64,
		 "ObservedGeneration is the last observed generation."),
	CZ_FIELD("observedPostRenderersDigest", &cz_s_string,
		 "ObservedPostRenderersDigest is the digest for the post "
		 "renderers of the last successful reconciliation attempt."),
	CZ_FIELD("storageNamespace", &cz_s_string,
		 "StorageNamespace is the namespace of the Helm release "
		 "storage for the current release."),
	CZ_FIELD("upgradeFailures", &cz_s_int64,
		 "UpgradeFailures is the upgrade failure count against the "
		 "latest desired state."),
	CZ_END_FIELDS,
};
static const cz_schema s_hr_status = {
	.type = CZ_T_OBJECT,
	.description = "HelmReleaseStatus defines the observed state of a "
		       "HelmRelease.",
	.fields = f_hr_status,
};

static const cz_field f_helmrelease[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_hr_spec, NULL),
	CZ_FIELD("status", &s_hr_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_helmrelease = {
	.type = CZ_T_OBJECT,
	.description = "HelmRelease is the Schema for the helmreleases API",
	.fields = f_helmrelease,
};

/* Source kinds: the status parts they share. */
#define SOURCE_STATUS_FIELDS                                                   \
	CZ_FIELD("artifact", &s_artifact,                                      \
		 "Artifact represents the last successful reconciliation."),  \
	CZ_FIELD("conditions", &cz_s_conditions,                               \
		 "Conditions holds the conditions for the source."),           \
	CZ_FIELD("lastHandledReconcileAt", &cz_s_string,                       \
		 "LastHandledReconcileAt holds the value of the most recent "  \
		 "reconcile request value."),                                  \
	CZ_FIELD("observedGeneration", &cz_s_int64,                            \
		 "ObservedGeneration is the last observed generation.")

/* OCIRepository */
static const cz_field f_oci_ref[] = {
	CZ_FIELD("digest", &cz_s_string,
		 "Digest is the image digest to pull, takes precedence over "
		 "SemVer."),
	CZ_FIELD("semver", &cz_s_string,
		 "SemVer is the range of tags to pull selecting the latest "
		 "within the range, takes precedence over Tag."),
	CZ_FIELD("semverFilter", &cz_s_string,
		 "SemverFilter is a regex pattern to filter the tags within "
		 "the SemVer range."),
	CZ_FIELD("tag", &cz_s_string, "Tag is the image tag to pull, defaults "
				      "to latest."),
	CZ_END_FIELDS,
};
static const cz_schema s_oci_ref = {
	.type = CZ_T_OBJECT,
	.description = "The OCI reference to pull and monitor for changes, "
		       "defaults to the latest tag.",
	.fields = f_oci_ref,
};
static const char *const e_layer_operation[] = { "extract", "copy", NULL };
static const cz_schema s_layer_operation = { .type = CZ_T_STRING,
					     .enums = e_layer_operation };
static const cz_field f_layer_selector[] = {
	CZ_FIELD("mediaType", &cz_s_string,
		 "MediaType specifies the OCI media type of the layer which "
		 "should be extracted from the OCI Artifact."),
	CZ_FIELD("operation", &s_layer_operation,
		 "Operation specifies how the selected layer should be "
		 "processed."),
	CZ_END_FIELDS,
};
static const cz_schema s_layer_selector = {
	.type = CZ_T_OBJECT,
	.description = "LayerSelector specifies which layer should be "
		       "extracted from the OCI artifact.",
	.fields = f_layer_selector,
};
static const cz_field f_oidc_identity[] = {
	CZ_REQUIRED("issuer", &cz_s_string,
		    "Issuer specifies the regex pattern to match against to "
		    "verify the OIDC issuer in the Fulcio certificate."),
	CZ_REQUIRED("subject", &cz_s_string,
		    "Subject specifies the regex pattern to match against to "
		    "verify the identity subject in the Fulcio certificate."),
	CZ_END_FIELDS,
};
static const cz_schema s_oidc_identity = {
	.type = CZ_T_OBJECT,
	.description = "OIDCIdentityMatch specifies options for verifying the "
		       "certificate identity.",
	.fields = f_oidc_identity,
};
static const cz_schema s_oidc_identities = { .type = CZ_T_ARRAY,
					     .items = &s_oidc_identity };
static const cz_field f_oci_verify[] = {
	CZ_FIELD("matchOIDCIdentity", &s_oidc_identities,
		 "MatchOIDCIdentity specifies the identity matching criteria "
		 "to use while verifying an OCI artifact which was signed "
		 "using Cosign keyless signing."),
	CZ_REQUIRED("provider", &s_verify_provider,
		    "Provider specifies the technology used to sign the OCI "
		    "Artifact."),
	CZ_FIELD("secretRef", &cz_s_local_ref,
		 "SecretRef specifies the Kubernetes Secret containing the "
		 "trusted public keys."),
	CZ_END_FIELDS,
};
static const cz_schema s_oci_verify = {
	.type = CZ_T_OBJECT,
	.description = "Verify contains the secret name containing the trusted "
		       "public keys used to verify the signature and "
		       "specifies which provider to use to check whether OCI "
		       "image is authentic.",
	.fields = f_oci_verify,
};
static const char *const e_oci_provider[] = { "generic", "aws", "azure", "gcp",
					      NULL };
static const cz_schema s_oci_provider = { .type = CZ_T_STRING,
					  .enums = e_oci_provider };
static const cz_field f_oci_spec[] = {
	CZ_FIELD("certSecretRef", &cz_s_local_ref,
		 "CertSecretRef can be given the name of a Secret containing "
		 "either or both of a PEM-encoded client certificate and "
		 "private key, and a PEM-encoded CA certificate."),
	CZ_FIELD("ignore", &cz_s_string,
		 "Ignore overrides the set of excluded patterns in the "
		 ".sourceignore format."),
	CZ_FIELD("insecure", &cz_s_bool,
		 "Insecure allows connecting to a non-TLS HTTP container "
		 "registry."),
	CZ_REQUIRED("interval", &cz_s_duration,
		    DURATION_DOC("Interval at which the OCIRepository URL is "
				 "checked for updates")),
	CZ_FIELD("layerSelector", &s_layer_selector, NULL),
	CZ_FIELD("provider", &s_oci_provider,
		 "The provider used for authentication, can be 'aws', "
		 "'azure', 'gcp' or 'generic'."),
	CZ_FIELD("proxySecretRef", &cz_s_local_ref,
		 "ProxySecretRef specifies the Secret containing the proxy "
		 "configuration to use while communicating with the container "
		 "registry."),
	CZ_FIELD("ref", &s_oci_ref, NULL),
	CZ_FIELD("secretRef", &cz_s_local_ref,
		 "SecretRef contains the secret name containing the registry "
		 "login credentials to resolve image metadata."),
	CZ_FIELD("serviceAccountName", &cz_s_string,
		 "ServiceAccountName is the name of the Kubernetes "
		 "ServiceAccount used to authenticate the image pull if the "
		 "service account has attached pull secrets."),
	CZ_FIELD("suspend", &cz_s_bool,
		 "This flag tells the controller to suspend the reconciliation "
		 "of this source."),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("The timeout for remote OCI Repository "
			      "operations like pulling")),
	CZ_REQUIRED("url", &cz_s_string,
		    "URL is a reference to an OCI artifact repository hosted "
		    "on a remote container registry."),
	CZ_FIELD("verify", &s_oci_verify, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_oci_spec = {
	.type = CZ_T_OBJECT,
	.description = "OCIRepositorySpec defines the desired state of "
		       "OCIRepository.",
	.fields = f_oci_spec,
};
static const cz_field f_oci_status[] = {
	SOURCE_STATUS_FIELDS,
	CZ_FIELD("observedIgnore", &cz_s_string,
		 "ObservedIgnore is the observed exclusion patterns used for "
		 "constructing the source artifact."),
	CZ_FIELD("observedLayerSelector", &s_layer_selector,
		 "ObservedLayerSelector is the observed layer selector used "
		 "for constructing the source artifact."),
	CZ_FIELD("url", &cz_s_string,
		 "URL is the download link for the artifact output of the "
		 "last OCI Repository sync."),
	CZ_END_FIELDS,
};
static const cz_schema s_oci_status = {
	.type = CZ_T_OBJECT,
	.description = "OCIRepositoryStatus defines the observed state of "
		       "OCIRepository.",
	.fields = f_oci_status,
};
static const cz_field f_ocirepository[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_oci_spec, NULL),
	CZ_FIELD("status", &s_oci_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_ocirepository = {
	.type = CZ_T_OBJECT,
	.description = "OCIRepository is the Schema for the ocirepositories "
		       "API",
	.fields = f_ocirepository,
};

/* GitRepository */
static const cz_field f_git_ref[] = {
	CZ_FIELD("branch", &cz_s_string, "Branch to check out, defaults to "
					 "'master' if no other field is "
					 "defined."),
	CZ_FIELD("commit", &cz_s_string,
		 "Commit SHA to check out, takes precedence over all "
		 "reference fields."),
	CZ_FIELD("name", &cz_s_string,
		 "Name of the reference to check out; takes precedence over "
		 "Branch, Tag and SemVer."),
	CZ_FIELD("semver", &cz_s_string,
		 "SemVer tag expression to check out, takes precedence over "
		 "Tag."),
	CZ_FIELD("tag", &cz_s_string, "Tag to check out, takes precedence "
				      "over Branch."),
	CZ_END_FIELDS,
};
static const cz_schema s_git_ref = {
	.type = CZ_T_OBJECT,
	.description = "Reference specifies the Git reference to resolve and "
		       "monitor for changes, defaults to the 'master' branch.",
	.fields = f_git_ref,
};
static const char *const e_git_verify_mode[] = { "HEAD", "Tag", "TagAndHEAD",
						 NULL };
static const cz_schema s_git_verify_mode = { .type = CZ_T_STRING,
					     .enums = e_git_verify_mode };
static const cz_field f_git_verify[] = {
	CZ_FIELD("mode", &s_git_verify_mode,
		 "Mode specifies which Git object(s) should be verified."),
	CZ_REQUIRED("secretRef", &cz_s_local_ref,
		    "SecretRef specifies the Secret containing the public "
		    "keys of trusted Git authors."),
	CZ_END_FIELDS,
};
static const cz_schema s_git_verify = {
	.type = CZ_T_OBJECT,
	.description = "Verification specifies the configuration to verify the "
		       "authenticity of a commit or tag.",
	.fields = f_git_verify,
};
static const cz_field f_git_include[] = {
	CZ_FIELD("fromPath", &cz_s_string,
		 "FromPath specifies the path to copy contents from, defaults "
		 "to the root of the Artifact."),
	CZ_REQUIRED("repository", &cz_s_local_ref,
		    "GitRepositoryRef specifies the GitRepository which "
		    "Artifact contents must be included."),
	CZ_FIELD("toPath", &cz_s_string,
		 "ToPath specifies the path to copy contents to, defaults to "
		 "the name of the GitRepositoryRef."),
	CZ_END_FIELDS,
};
static const cz_schema s_git_include = {
	.type = CZ_T_OBJECT,
	.description = "GitRepositoryInclude specifies a local reference to a "
		       "GitRepository which Artifact is to be included.",
	.fields = f_git_include,
};
static const cz_schema s_git_includes = { .type = CZ_T_ARRAY,
					  .items = &s_git_include };
static const char *const e_git_provider[] = { "generic", "azure", "github",
					      NULL };
static const cz_schema s_git_provider = { .type = CZ_T_STRING,
					  .enums = e_git_provider };
static const cz_field f_git_spec[] = {
	CZ_FIELD("ignore", &cz_s_string,
		 "Ignore overrides the set of excluded patterns in the "
		 ".sourceignore format."),
	CZ_FIELD("include", &s_git_includes,
		 "Include specifies a list of GitRepository resources which "
		 "Artifacts should be included in the Artifact produced for "
		 "this GitRepository."),
	CZ_REQUIRED("interval", &cz_s_duration,
		    DURATION_DOC("Interval at which the GitRepository URL is "
				 "checked for updates")),
	CZ_FIELD("provider", &s_git_provider,
		 "Provider used for authentication, can be 'azure', 'github', "
		 "'generic'."),
	CZ_FIELD("proxySecretRef", &cz_s_local_ref,
		 "ProxySecretRef specifies the Secret containing the proxy "
		 "configuration to use while communicating with the Git "
		 "server."),
	CZ_FIELD("recurseSubmodules", &cz_s_bool,
		 "RecurseSubmodules enables the initialization of all "
		 "submodules within the GitRepository as cloned from the URL."),
	CZ_FIELD("ref", &s_git_ref, NULL),
	CZ_FIELD("secretRef", &cz_s_local_ref,
		 "SecretRef specifies the Secret containing authentication "
		 "credentials for the GitRepository."),
	CZ_FIELD("serviceAccountName", &cz_s_string,
		 "ServiceAccountName is the name of the Kubernetes "
		 "ServiceAccount used to authenticate to the GitRepository."),
	CZ_FIELD("sparseCheckout", &cz_s_strings,
		 "SparseCheckout specifies a list of directories to checkout "
		 "when cloning the repository."),
	CZ_FIELD("suspend", &cz_s_bool,
		 "Suspend tells the controller to suspend the reconciliation "
		 "of this GitRepository."),
	CZ_FIELD("timeout", &cz_s_duration,
		 DURATION_DOC("Timeout for Git operations like cloning")),
	CZ_REQUIRED("url", &cz_s_string,
		    "URL specifies the Git repository URL, it can be an HTTP/S "
		    "or SSH address."),
	CZ_FIELD("verify", &s_git_verify, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_git_spec = {
	.type = CZ_T_OBJECT,
	.description = "GitRepositorySpec specifies the required configuration "
		       "to produce an Artifact for a Git repository.",
	.fields = f_git_spec,
};
static const cz_schema s_artifacts = { .type = CZ_T_ARRAY,
				       .items = &s_artifact };
static const cz_field f_git_status[] = {
	SOURCE_STATUS_FIELDS,
	CZ_FIELD("includedArtifacts", &s_artifacts,
		 "IncludedArtifacts contains a list of the last successfully "
		 "included Artifacts as instructed by "
		 "GitRepositorySpec.Include."),
	CZ_FIELD("observedIgnore", &cz_s_string,
		 "ObservedIgnore is the observed exclusion patterns used for "
		 "constructing the source artifact."),
	CZ_FIELD("observedInclude", &s_git_includes,
		 "ObservedInclude is the observed list of GitRepository "
		 "resources used to produce the current Artifact."),
	CZ_FIELD("observedRecurseSubmodules", &cz_s_bool,
		 "ObservedRecurseSubmodules is the observed resource "
		 "submodules configuration used to produce the current "
		 "Artifact."),
	CZ_FIELD("observedSparseCheckout", &cz_s_strings,
		 "ObservedSparseCheckout is the observed list of directories "
		 "used to produce the current Artifact."),
	CZ_FIELD("sourceVerificationMode", &cz_s_string,
		 "SourceVerificationMode is the last used verification mode "
		 "indicating which Git object(s) have been verified."),
	CZ_END_FIELDS,
};
static const cz_schema s_git_status = {
	.type = CZ_T_OBJECT,
	.description = "GitRepositoryStatus records the observed state of a "
		       "Git repository.",
	.fields = f_git_status,
};
static const cz_field f_gitrepository[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_git_spec, NULL),
	CZ_FIELD("status", &s_git_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_gitrepository = {
	.type = CZ_T_OBJECT,
	.description = "GitRepository is the Schema for the gitrepositories "
		       "API.",
	.fields = f_gitrepository,
};

/* ExternalArtifact */
static const cz_field f_ea_source_ref[] = {
	CZ_FIELD("apiVersion", &cz_s_string, "API version of the referent."),
	CZ_REQUIRED("kind", &cz_s_string, "Kind of the referent."),
	CZ_REQUIRED("name", &cz_s_string, "Name of the referent."),
	CZ_FIELD("namespace", &cz_s_string,
		 "Namespace of the referent, when not specified it acts as "
		 "LocalObjectReference."),
	CZ_END_FIELDS,
};
static const cz_schema s_ea_source_ref = {
	.type = CZ_T_OBJECT,
	.description = "SourceRef points to the Kubernetes custom resource for "
		       "which the artifact is generated.",
	.fields = f_ea_source_ref,
};
static const cz_field f_ea_spec[] = {
	CZ_FIELD("sourceRef", &s_ea_source_ref, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_ea_spec = {
	.type = CZ_T_OBJECT,
	.description = "ExternalArtifactSpec defines the desired state of "
		       "ExternalArtifact.",
	.fields = f_ea_spec,
};
static const cz_field f_ea_status[] = {
	CZ_FIELD("artifact", &s_artifact,
		 "Artifact represents the output of an ExternalArtifact "
		 "reconciliation."),
	CZ_FIELD("conditions", &cz_s_conditions,
		 "Conditions holds the conditions for the ExternalArtifact."),
	CZ_END_FIELDS,
};
static const cz_schema s_ea_status = {
	.type = CZ_T_OBJECT,
	.description = "ExternalArtifactStatus defines the observed state of "
		       "ExternalArtifact.",
	.fields = f_ea_status,
};
static const cz_field f_externalartifact[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_ea_spec, NULL),
	CZ_FIELD("status", &s_ea_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_externalartifact = {
	.type = CZ_T_OBJECT,
	.description = "ExternalArtifact is the Schema for the external "
		       "artifacts API",
	.fields = f_externalartifact,
};
