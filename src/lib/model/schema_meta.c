/* Shared schemas: scalars and k8s.io/apimachinery meta/v1 types. */

#include "model/schema.h"
#include "model/schema_common.h"

#define META "io.k8s.apimachinery.pkg.apis.meta.v1."

const cz_schema cz_s_string = { .type = CZ_T_STRING };
const cz_schema cz_s_bool = { .type = CZ_T_BOOL };
const cz_schema cz_s_int32 = { .type = CZ_T_INT, .format = "int32" };
const cz_schema cz_s_int64 = { .type = CZ_T_INT, .format = "int64" };
const cz_schema cz_s_any = { .type = CZ_T_ANY, .preserve_unknown = true };
const cz_schema cz_s_free_object = { .type = CZ_T_OBJECT,
				     .fields = (const cz_field[]){ CZ_END_FIELDS },
				     .preserve_unknown = true };
const cz_schema cz_s_strings = { .type = CZ_T_ARRAY, .items = &cz_s_string };
const cz_schema cz_s_string_map = { .type = CZ_T_MAP, .items = &cz_s_string };
const cz_schema cz_s_duration = {
	.type = CZ_T_STRING,
	.description = "A Go duration, e.g. \"5m\", \"1h30m\", \"30s\".",
};

static const cz_field f_local_ref[] = {
	CZ_REQUIRED("name", &cz_s_string, "Name of the referent."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_local_ref = {
	.type = CZ_T_OBJECT,
	.description = "A reference to an object in the same namespace.",
	.fields = f_local_ref,
};

const cz_schema cz_s_time = {
	.type = CZ_T_STRING,
	.format = "date-time",
	.definition = META "Time",
	.description = "Time is a wrapper around time.Time which supports "
		       "correct marshaling to YAML and JSON. Wrappers are "
		       "provided for many of the factory methods that the time "
		       "package offers.",
};
const cz_schema cz_s_micro_time = {
	.type = CZ_T_STRING,
	.format = "date-time",
	.definition = META "MicroTime",
	.description = "MicroTime is version of Time with microsecond level "
		       "precision.",
};

static const cz_field f_owner_reference[] = {
	CZ_REQUIRED("apiVersion", &cz_s_string, "API version of the referent."),
	CZ_FIELD("blockOwnerDeletion", &cz_s_bool,
		 "If true, AND if the owner has the \"foregroundDeletion\" "
		 "finalizer, then the owner cannot be deleted from the "
		 "key-value store until this reference is removed."),
	CZ_FIELD("controller", &cz_s_bool,
		 "If true, this reference points to the managing controller."),
	CZ_REQUIRED("kind", &cz_s_string, "Kind of the referent."),
	CZ_REQUIRED("name", &cz_s_string, "Name of the referent."),
	CZ_REQUIRED("uid", &cz_s_string, "UID of the referent."),
	CZ_END_FIELDS,
};
static const cz_schema s_owner_reference = {
	.type = CZ_T_OBJECT,
	.definition = META "OwnerReference",
	.description = "OwnerReference contains enough information to let you "
		       "identify an owning object. An owning object must be in "
		       "the same namespace as the dependent, or be "
		       "cluster-scoped, so there is no namespace field.",
	.fields = f_owner_reference,
};
static const cz_schema s_owner_references = {
	.type = CZ_T_ARRAY,
	.items = &s_owner_reference,
	.list_type = "map",
	.list_map_key = "uid",
};

static const cz_field f_managed_fields_entry[] = {
	CZ_FIELD("apiVersion", &cz_s_string,
		 "APIVersion defines the version of this resource that this "
		 "field set applies to."),
	CZ_FIELD("fieldsType", &cz_s_string,
		 "FieldsType is the discriminator for the different fields "
		 "format and version. There is currently only one possible "
		 "value: \"FieldsV1\""),
	CZ_FIELD("fieldsV1", &cz_s_free_object,
		 "FieldsV1 holds the first JSON version format as described "
		 "in the \"FieldsV1\" type."),
	CZ_FIELD("manager", &cz_s_string,
		 "Manager is an identifier of the workflow managing these "
		 "fields."),
	CZ_FIELD("operation", &cz_s_string,
		 "Operation is the type of operation which lead to this "
		 "ManagedFieldsEntry being created. The only valid values for "
		 "this field are 'Apply' and 'Update'."),
	CZ_FIELD("subresource", &cz_s_string,
		 "Subresource is the name of the subresource used to update "
		 "that object, or empty string if the object was updated "
		 "through the main resource."),
	CZ_FIELD("time", &cz_s_time,
		 "Time is the timestamp of when the ManagedFields entry was "
		 "added."),
	CZ_END_FIELDS,
};
static const cz_schema s_managed_fields_entry = {
	.type = CZ_T_OBJECT,
	.definition = META "ManagedFieldsEntry",
	.description = "ManagedFieldsEntry is a workflow-id, a FieldSet and "
		       "the group version of the resource that the fieldset "
		       "applies to.",
	.fields = f_managed_fields_entry,
};
static const cz_schema s_managed_fields = {
	.type = CZ_T_ARRAY,
	.items = &s_managed_fields_entry,
	.list_type = "atomic",
};
static const cz_schema s_finalizers = {
	.type = CZ_T_ARRAY,
	.items = &cz_s_string,
	.list_type = "set",
};

static const cz_field f_object_meta[] = {
	CZ_FIELD("annotations", &cz_s_string_map,
		 "Annotations is an unstructured key value map stored with a "
		 "resource that may be set by external tools to store and "
		 "retrieve arbitrary metadata. They are not queryable and "
		 "should be preserved when modifying objects."),
	CZ_FIELD("creationTimestamp", &cz_s_time,
		 "CreationTimestamp is a timestamp representing the server "
		 "time when this object was created. Populated by the system. "
		 "Read-only."),
	CZ_FIELD("deletionGracePeriodSeconds", &cz_s_int64,
		 "Number of seconds allowed for this object to gracefully "
		 "terminate before it will be removed from the system. Only "
		 "set when deletionTimestamp is also set. Read-only."),
	CZ_FIELD("deletionTimestamp", &cz_s_time,
		 "DeletionTimestamp is RFC 3339 date and time at which this "
		 "resource will be deleted. Populated by the system when a "
		 "graceful deletion is requested. Read-only."),
	CZ_FIELD("finalizers", &s_finalizers,
		 "Must be empty before the object is deleted from the "
		 "registry. Each entry is an identifier for the responsible "
		 "component that will remove the entry from the list."),
	CZ_FIELD("generateName", &cz_s_string,
		 "GenerateName is an optional prefix, used by the server, to "
		 "generate a unique name ONLY IF the Name field has not been "
		 "provided."),
	CZ_FIELD("generation", &cz_s_int64,
		 "A sequence number representing a specific generation of the "
		 "desired state. Populated by the system. Read-only."),
	CZ_FIELD("labels", &cz_s_string_map,
		 "Map of string keys and values that can be used to organize "
		 "and categorize (scope and select) objects."),
	CZ_FIELD("managedFields", &s_managed_fields,
		 "ManagedFields maps workflow-id and version to the set of "
		 "fields that are managed by that workflow."),
	CZ_FIELD("name", &cz_s_string,
		 "Name must be unique within a namespace. Is required when "
		 "creating resources, although some resources may allow a "
		 "client to request the generation of an appropriate name "
		 "automatically. Cannot be updated."),
	CZ_FIELD("namespace", &cz_s_string,
		 "Namespace defines the space within which each name must be "
		 "unique. An empty namespace is equivalent to the \"default\" "
		 "namespace. Cluster-scoped objects have no namespace."),
	CZ_FIELD("ownerReferences", &s_owner_references,
		 "List of objects depended by this object. If ALL objects in "
		 "the list have been deleted, this object will be garbage "
		 "collected."),
	CZ_FIELD("resourceVersion", &cz_s_string,
		 "An opaque value that represents the internal version of "
		 "this object that can be used by clients to determine when "
		 "objects have changed. Populated by the system. Read-only."),
	CZ_FIELD("selfLink", &cz_s_string,
		 "Deprecated: selfLink is a legacy read-only field that is no "
		 "longer populated by the system."),
	CZ_FIELD("uid", &cz_s_string,
		 "UID is the unique in time and space value for this object. "
		 "Populated by the system. Read-only."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_object_meta = {
	.type = CZ_T_OBJECT,
	.definition = META "ObjectMeta",
	.description = "ObjectMeta is metadata that all persisted resources "
		       "must have, which includes all objects users must "
		       "create.",
	.fields = f_object_meta,
};

static const cz_field f_list_meta[] = {
	CZ_FIELD("continue", &cz_s_string,
		 "continue may be set if the user set a limit on the number "
		 "of items returned, and indicates that the server has more "
		 "data available."),
	CZ_FIELD("remainingItemCount", &cz_s_int64,
		 "remainingItemCount is the number of subsequent items in the "
		 "list which are not included in this list response."),
	CZ_FIELD("resourceVersion", &cz_s_string,
		 "String that identifies the server's internal version of "
		 "this object that can be used by clients to determine when "
		 "objects have changed."),
	CZ_FIELD("selfLink", &cz_s_string,
		 "Deprecated: selfLink is a legacy read-only field that is no "
		 "longer populated by the system."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_list_meta = {
	.type = CZ_T_OBJECT,
	.definition = META "ListMeta",
	.description = "ListMeta describes metadata that synthetic resources "
		       "must have, including lists and various status objects.",
	.fields = f_list_meta,
};

static const char *const e_condition_status[] = { "True", "False", "Unknown",
						  NULL };
static const cz_schema s_condition_status = { .type = CZ_T_STRING,
					      .enums = e_condition_status };

static const cz_field f_condition[] = {
	CZ_REQUIRED("lastTransitionTime", &cz_s_time,
		    "lastTransitionTime is the last time the condition "
		    "transitioned from one status to another."),
	CZ_REQUIRED("message", &cz_s_string,
		    "message is a human readable message indicating details "
		    "about the transition. This may be an empty string."),
	CZ_FIELD("observedGeneration", &cz_s_int64,
		 "observedGeneration represents the .metadata.generation that "
		 "the condition was set based upon."),
	CZ_REQUIRED("reason", &cz_s_string,
		    "reason contains a programmatic identifier indicating the "
		    "reason for the condition's last transition."),
	CZ_REQUIRED("status", &s_condition_status,
		    "status of the condition, one of True, False, Unknown."),
	CZ_REQUIRED("type", &cz_s_string,
		    "type of condition in CamelCase or in "
		    "foo.example.com/CamelCase."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_condition = {
	.type = CZ_T_OBJECT,
	.definition = META "Condition",
	.description = "Condition contains details for one aspect of the "
		       "current state of this API Resource.",
	.fields = f_condition,
};
const cz_schema cz_s_conditions = {
	.type = CZ_T_ARRAY,
	.items = &cz_s_condition,
	.list_type = "map",
	.list_map_key = "type",
};

/* The API machinery types every group-version document carries. */

static const cz_field f_status_cause[] = {
	CZ_FIELD("field", &cz_s_string,
		 "The field of the resource that has caused this error, as "
		 "named by its JSON serialization."),
	CZ_FIELD("message", &cz_s_string,
		 "A human-readable description of the cause of the error."),
	CZ_FIELD("reason", &cz_s_string,
		 "A machine-readable description of the cause of the error."),
	CZ_END_FIELDS,
};
static const cz_schema s_status_cause = {
	.type = CZ_T_OBJECT,
	.definition = META "StatusCause",
	.description = "StatusCause provides more information about an "
		       "api.Status failure, including cases when multiple "
		       "errors are encountered.",
	.fields = f_status_cause,
};
static const cz_schema s_status_causes = { .type = CZ_T_ARRAY,
					   .items = &s_status_cause,
					   .list_type = "atomic" };
static const cz_field f_status_details[] = {
	CZ_FIELD("causes", &s_status_causes,
		 "The Causes array includes more details associated with the "
		 "StatusReason failure."),
	CZ_FIELD("group", &cz_s_string,
		 "The group attribute of the resource associated with the "
		 "status StatusReason."),
	CZ_FIELD("kind", &cz_s_string,
		 "The kind attribute of the resource associated with the "
		 "status StatusReason."),
	CZ_FIELD("name", &cz_s_string,
		 "The name attribute of the resource associated with the "
		 "status StatusReason (when there is a single name which can "
		 "be described)."),
	CZ_FIELD("retryAfterSeconds", &cz_s_int32,
		 "If specified, the time in seconds before the operation "
		 "should be retried."),
	CZ_FIELD("uid", &cz_s_string, "UID of the resource."),
	CZ_END_FIELDS,
};
static const cz_schema s_status_details = {
	.type = CZ_T_OBJECT,
	.definition = META "StatusDetails",
	.description = "StatusDetails is a set of additional properties that "
		       "MAY be set by the server to provide additional "
		       "information about a response.",
	.fields = f_status_details,
};
static const cz_field f_status[] = {
	CZ_FIELD("apiVersion", &cz_s_string,
		 "APIVersion defines the versioned schema of this "
		 "representation of an object."),
	CZ_FIELD("code", &cz_s_int32,
		 "Suggested HTTP return code for this status, 0 if not set."),
	CZ_FIELD("details", &s_status_details,
		 "Extended data associated with the reason."),
	CZ_FIELD("kind", &cz_s_string,
		 "Kind is a string value representing the REST resource this "
		 "object represents."),
	CZ_FIELD("message", &cz_s_string,
		 "A human-readable description of the status of this "
		 "operation."),
	CZ_FIELD("metadata", &cz_s_list_meta,
		 "Standard list metadata."),
	CZ_FIELD("reason", &cz_s_string,
		 "A machine-readable description of why this operation is in "
		 "the \"Failure\" status."),
	CZ_FIELD("status", &cz_s_string,
		 "Status of the operation. One of: \"Success\" or "
		 "\"Failure\"."),
	CZ_END_FIELDS,
};
static const cz_schema s_status = {
	.type = CZ_T_OBJECT,
	.definition = META "Status",
	.description = "Status is a return value for calls that don't return "
		       "other objects.",
	.fields = f_status,
};

static const cz_field f_preconditions[] = {
	CZ_FIELD("resourceVersion", &cz_s_string,
		 "Specifies the target ResourceVersion"),
	CZ_FIELD("uid", &cz_s_string, "Specifies the target UID."),
	CZ_END_FIELDS,
};
static const cz_schema s_preconditions = {
	.type = CZ_T_OBJECT,
	.definition = META "Preconditions",
	.description = "Preconditions must be fulfilled before an operation "
		       "(update, delete, etc.) is carried out.",
	.fields = f_preconditions,
};
static const cz_schema s_dry_run = { .type = CZ_T_ARRAY,
				     .items = &cz_s_string,
				     .list_type = "atomic" };
static const cz_field f_delete_options[] = {
	CZ_FIELD("apiVersion", &cz_s_string,
		 "APIVersion defines the versioned schema of this "
		 "representation of an object."),
	CZ_FIELD("dryRun", &s_dry_run,
		 "When present, indicates that modifications should not be "
		 "persisted. The only valid value is \"All\"."),
	CZ_FIELD("gracePeriodSeconds", &cz_s_int64,
		 "The duration in seconds before the object should be "
		 "deleted."),
	CZ_FIELD("kind", &cz_s_string,
		 "Kind is a string value representing the REST resource this "
		 "object represents."),
	CZ_FIELD("orphanDependents", &cz_s_bool,
		 "Deprecated: please use the PropagationPolicy."),
	CZ_FIELD("preconditions", &s_preconditions,
		 "Must be fulfilled before a deletion is carried out."),
	CZ_FIELD("propagationPolicy", &cz_s_string,
		 "Whether and how garbage collection will be performed: "
		 "'Orphan', 'Background' or 'Foreground'."),
	CZ_END_FIELDS,
};
static const cz_schema s_delete_options = {
	.type = CZ_T_OBJECT,
	.definition = META "DeleteOptions",
	.description = "DeleteOptions may be provided when deleting an API "
		       "object.",
	.fields = f_delete_options,
};
static const cz_schema s_patch = {
	.type = CZ_T_OBJECT,
	.definition = META "Patch",
	.description = "Patch is provided to give a concrete name and type to "
		       "the Kubernetes PATCH request body.",
	.fields = (const cz_field[]){ CZ_END_FIELDS },
	.preserve_unknown = true,
};
static const cz_field f_watch_event[] = {
	CZ_REQUIRED("object", &cz_s_free_object,
		    "Object is: * If Type is Added or Modified: the new state "
		    "of the object. * If Type is Deleted: the state of the "
		    "object immediately before deletion. * If Type is Error: "
		    "*Status is recommended."),
	CZ_REQUIRED("type", &cz_s_string,
		    "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."),
	CZ_END_FIELDS,
};
static const cz_schema s_watch_event = {
	.type = CZ_T_OBJECT,
	.definition = META "WatchEvent",
	.description = "Event represents a single event to a watched "
		       "resource.",
	.fields = f_watch_event,
};

static const cz_schema *const api_types[] = {
	&s_status, &s_delete_options, &s_patch, &s_watch_event,
};

const cz_schema *const *cz_schema_api_types(size_t *count)
{
	*count = sizeof(api_types) / sizeof(api_types[0]);
	return api_types;
}
