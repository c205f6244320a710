/* config.pkg.pkgserver.dev/v1alpha1: Repository and PackageVariant, as
 * pkgserver defines them (pkgserver-porch §1.2, §1.6), so that its
 * clients' objects are accepted as they are. */

#include "model/schema_common.h"

static const char *const repo_types[] = { "git", "oci", NULL };
static const cz_schema s_repo_type = { .type = CZ_T_STRING,
				       .enums = repo_types };

static const cz_field f_repo_git[] = {
	CZ_FIELD("credentials", &cz_s_string,
		 "Credentials is the name of a Secret in the Repository's "
		 "namespace: kubernetes.io/basic-auth (username, password) or "
		 "a token (key token)."),
	CZ_FIELD("directory", &cz_s_string,
		 "Directory is the sub-directory of the repository that holds "
		 "the packages; empty is the root."),
	CZ_FIELD("ref", &cz_s_string,
		 "Ref is the branch that holds published packages; empty is "
		 "main."),
	CZ_REQUIRED("url", &cz_s_string,
		    "URL is the address of the git repository."),
	CZ_END_FIELDS,
};
static const cz_schema s_repo_git = {
	.type = CZ_T_OBJECT,
	.description = "GitRepository describes a git repository.",
	.fields = f_repo_git,
};
static const cz_field f_repo_oci[] = {
	CZ_FIELD("credentials", &cz_s_string, NULL),
	CZ_FIELD("registry", &cz_s_string, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_repo_oci = {
	.type = CZ_T_OBJECT,
	.description = "OciRepository describes an OCI repository (not "
		       "implemented: refused by the Repository controller).",
	.fields = f_repo_oci,
};
static const cz_field f_repo_spec[] = {
	CZ_FIELD("deployment", &cz_s_bool,
		 "Deployment marks a deployment repository, whose packages "
		 "target clusters and are not discovered; false is a "
		 "catalog."),
	CZ_FIELD("git", &s_repo_git, NULL),
	CZ_FIELD("oci", &s_repo_oci, NULL),
	CZ_FIELD("type", &s_repo_type,
		 "Type of the repository: git (default) or oci."),
	CZ_END_FIELDS,
};
static const cz_schema s_repo_spec = {
	.type = CZ_T_OBJECT,
	.description = "RepositorySpec defines the desired state of a "
		       "Repository.",
	.fields = f_repo_spec,
};
static const cz_field f_repo_status[] = {
	CZ_FIELD("conditions", &cz_s_conditions,
		 "Conditions of the repository; Ready tells whether it "
		 "synced."),
	CZ_FIELD("lastSyncedCommit", &cz_s_string,
		 "LastSyncedCommit is the commit of the published branch at "
		 "the last sync."),
	CZ_FIELD("lastSyncTime", &cz_s_time,
		 "LastSyncTime is when the repository was last synced."),
	CZ_FIELD("nextSyncTime", &cz_s_time,
		 "NextSyncTime is when it will be synced next."),
	CZ_FIELD("revisions", &cz_s_int64,
		 "Revisions is the number of published package revisions "
		 "(revision tags) found at the last sync."),
	CZ_END_FIELDS,
};
static const cz_schema s_repo_status = {
	.type = CZ_T_OBJECT,
	.description = "RepositoryStatus defines the observed state of a "
		       "Repository.",
	.fields = f_repo_status,
};
static const cz_field f_repository[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_repo_spec, NULL),
	CZ_FIELD("status", &s_repo_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_pkg_repository = {
	.type = CZ_T_OBJECT,
	.description = "Repository is a git repository of packages: a "
		       "catalog or a deployment repository.",
	.fields = f_repository,
};

/* ---- PackageVariant ---------------------------------------------------- */

static const cz_field f_upstream[] = {
	CZ_FIELD("package", &cz_s_string, NULL),
	CZ_FIELD("realm", &cz_s_string, NULL),
	CZ_FIELD("repository", &cz_s_string, NULL),
	CZ_FIELD("revision", &cz_s_string, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_upstream = {
	.type = CZ_T_OBJECT,
	.description = "Upstream names a published catalog package revision.",
	.fields = f_upstream,
};
static const cz_field f_downstream[] = {
	CZ_FIELD("package", &cz_s_string, NULL),
	CZ_FIELD("realm", &cz_s_string, NULL),
	CZ_FIELD("repository", &cz_s_string, NULL),
	CZ_FIELD("target", &cz_s_string, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_downstream = {
	.type = CZ_T_OBJECT,
	.description = "Downstream names the deployment package to create.",
	.fields = f_downstream,
};
static const cz_field f_gate[] = {
	CZ_FIELD("conditionType", &cz_s_string, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_gate = { .type = CZ_T_OBJECT, .fields = f_gate };
static const cz_schema s_gates = { .type = CZ_T_ARRAY, .items = &s_gate };
static const cz_schema s_inputs = { .type = CZ_T_ARRAY,
				    .items = &cz_s_free_object };
static const cz_field f_context[] = {
	CZ_FIELD("annotations", &cz_s_string_map, NULL),
	CZ_FIELD("inputs", &s_inputs, NULL),
	CZ_FIELD("labels", &cz_s_string_map, NULL),
	CZ_FIELD("readinessGates", &s_gates, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_context = {
	.type = CZ_T_OBJECT,
	.description = "PackageContext is copied onto the downstream "
		       "revision.",
	.fields = f_context,
};
static const char *const adoption[] = { "adoptExisting", "adoptNone", NULL };
static const cz_schema s_adoption = { .type = CZ_T_STRING, .enums = adoption };
static const char *const deletion[] = { "delete", "orphan", NULL };
static const cz_schema s_deletion = { .type = CZ_T_STRING, .enums = deletion };
static const cz_field f_variant_spec[] = {
	CZ_FIELD("adoptionPolicy", &s_adoption, NULL),
	CZ_FIELD("deletionPolicy", &s_deletion, NULL),
	CZ_FIELD("downstream", &s_downstream, NULL),
	CZ_FIELD("packageContext", &s_context, NULL),
	CZ_FIELD("upstream", &s_upstream, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_variant_spec = {
	.type = CZ_T_OBJECT,
	.description = "PackageVariantSpec clones an upstream revision into a "
		       "downstream draft.",
	.fields = f_variant_spec,
};
static const cz_field f_variant_status[] = {
	CZ_FIELD("conditions", &cz_s_conditions, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_variant_status = { .type = CZ_T_OBJECT,
					    .fields = f_variant_status };
static const cz_field f_package_variant[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_variant_spec, NULL),
	CZ_FIELD("status", &s_variant_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_pkg_package_variant = {
	.type = CZ_T_OBJECT,
	.description = "PackageVariant keeps a downstream package revision "
		       "cloned from an upstream one.",
	.fields = f_package_variant,
};

/* ---- pkg.pkgserver.dev: PackageRevision, PackageRevisionResources ------- */

static const cz_field f_rev_id[] = {
	CZ_FIELD("package", &cz_s_string, "Package is the package's name."),
	CZ_FIELD("realm", &cz_s_string,
		 "Realm groups packages; it may contain '/' (a path)."),
	CZ_FIELD("repository", &cz_s_string,
		 "Repository is the name of the Repository in this "
		 "namespace."),
	CZ_FIELD("revision", &cz_s_string,
		 "Revision is set by the server when the revision is "
		 "published: v1, v2, ..."),
	CZ_FIELD("target", &cz_s_string,
		 "Target is the deployment target; catalog for catalog "
		 "packages."),
	CZ_FIELD("workspace", &cz_s_string,
		 "Workspace names the draft: its git branch is "
		 "<path>/<workspace>."),
	CZ_END_FIELDS,
};
static const cz_schema s_rev_id = {
	.type = CZ_T_OBJECT,
	.description = "PackageRevID identifies a package revision.",
	.fields = f_rev_id,
};
static const char *const lifecycles[] = { "draft", "proposed", "published",
					  "deletionProposed", NULL };
static const cz_schema s_lifecycle = { .type = CZ_T_STRING,
				       .enums = lifecycles };
static const char *const policies[] = { "loose", "strict", NULL };
static const cz_schema s_policy = { .type = CZ_T_STRING, .enums = policies };
static const char *const task_types[] = { "init", "clone", NULL };
static const cz_schema s_task_type = { .type = CZ_T_STRING,
				       .enums = task_types };
static const cz_field f_task[] = {
	CZ_FIELD("type", &s_task_type, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_task = { .type = CZ_T_OBJECT, .fields = f_task };
static const cz_schema s_tasks = { .type = CZ_T_ARRAY, .items = &s_task };
static const cz_field f_rev_spec[] = {
	CZ_FIELD("inputs", &s_inputs, NULL),
	CZ_FIELD("lifecycle", &s_lifecycle,
		 "Lifecycle: draft, proposed, published or "
		 "deletionProposed."),
	CZ_FIELD("packageRevID", &s_rev_id, NULL),
	CZ_FIELD("readinessGates", &s_gates, NULL),
	CZ_FIELD("tasks", &s_tasks,
		 "Tasks: init (a new package) or clone (from upstream)."),
	CZ_FIELD("updatePolicy", &s_policy, NULL),
	CZ_FIELD("upstream", &s_upstream, NULL),
	CZ_END_FIELDS,
};
static const cz_schema s_rev_spec = {
	.type = CZ_T_OBJECT,
	.description = "PackageRevisionSpec defines the desired state of a "
		       "package revision.",
	.fields = f_rev_spec,
};
static const cz_field f_rev_status[] = {
	CZ_FIELD("commit", &cz_s_string,
		 "Commit is the git commit holding the revision's content."),
	CZ_FIELD("conditions", &cz_s_conditions, NULL),
	CZ_FIELD("dependencies", &cz_s_free_object, NULL),
	CZ_FIELD("publishTimestamp", &cz_s_time,
		 "PublishTimestamp is when the revision was published."),
	CZ_FIELD("publishedBy", &cz_s_string,
		 "PublishedBy is the user who approved it."),
	CZ_END_FIELDS,
};
static const cz_schema s_rev_status = { .type = CZ_T_OBJECT,
					.fields = f_rev_status };
static const cz_field f_package_revision[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_rev_spec, NULL),
	CZ_FIELD("status", &s_rev_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_pkg_package_revision = {
	.type = CZ_T_OBJECT,
	.description = "PackageRevision is one revision of a package in a "
		       "Repository, with its lifecycle; its content is in "
		       "git.",
	.fields = f_package_revision,
};

static const cz_field f_res_spec[] = {
	CZ_FIELD("packageRevID", &s_rev_id, NULL),
	CZ_FIELD("resources", &cz_s_string_map,
		 "Resources maps each file's path in the package to its "
		 "content."),
	CZ_END_FIELDS,
};
static const cz_schema s_res_spec = { .type = CZ_T_OBJECT,
				      .fields = f_res_spec };
static const cz_field f_res_status[] = {
	CZ_FIELD("commit", &cz_s_string, NULL),
	CZ_FIELD("conditions", &cz_s_conditions, NULL),
	CZ_FIELD("files", &cz_s_int64, "Files is the number of files."),
	CZ_END_FIELDS,
};
static const cz_schema s_res_status = { .type = CZ_T_OBJECT,
					.fields = f_res_status };
static const cz_field f_package_revision_resources[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_res_spec, NULL),
	CZ_FIELD("status", &s_res_status, NULL),
	CZ_END_FIELDS,
};
const cz_schema cz_s_pkg_package_revision_resources = {
	.type = CZ_T_OBJECT,
	.description = "PackageRevisionResources is the content of a package "
		       "revision: its files.",
	.fields = f_package_revision_resources,
};
