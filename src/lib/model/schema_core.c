/* k8s.io/api kinds: core/v1 Namespace, Secret, ConfigMap and
 * coordination/v1 Lease, named as upstream publishes them. */

#include "model/schema_common.h"

#define CORE "io.k8s.api.core.v1."
#define COORD "io.k8s.api.coordination.v1."

/* Namespace */
static const cz_schema s_ns_finalizers = {
	.type = CZ_T_ARRAY,
	.items = &cz_s_string,
	.list_type = "atomic",
};
static const cz_field f_namespace_spec[] = {
	CZ_FIELD("finalizers", &s_ns_finalizers,
		 "Finalizers is an opaque list of values that must be empty "
		 "to permanently remove object from storage."),
	CZ_END_FIELDS,
};
static const cz_schema s_namespace_spec = {
	.type = CZ_T_OBJECT,
	.definition = CORE "NamespaceSpec",
	.description = "NamespaceSpec describes the attributes on a Namespace.",
	.fields = f_namespace_spec,
};

static const cz_field f_namespace_condition[] = {
	CZ_FIELD("lastTransitionTime", &cz_s_time,
		 "Last time the condition transitioned from one status to "
		 "another."),
	CZ_FIELD("message", &cz_s_string,
		 "Human-readable message indicating details about last "
		 "transition."),
	CZ_FIELD("reason", &cz_s_string,
		 "Unique, one-word, CamelCase reason for the condition's last "
		 "transition."),
	CZ_REQUIRED("status", &cz_s_string,
		    "Status of the condition, one of True, False, Unknown."),
	CZ_REQUIRED("type", &cz_s_string, "Type of namespace controller "
					  "condition."),
	CZ_END_FIELDS,
};
static const cz_schema s_namespace_condition = {
	.type = CZ_T_OBJECT,
	.definition = CORE "NamespaceCondition",
	.description = "NamespaceCondition contains details about state of "
		       "namespace.",
	.fields = f_namespace_condition,
};
static const cz_schema s_namespace_conditions = {
	.type = CZ_T_ARRAY,
	.items = &s_namespace_condition,
	.list_type = "map",
	.list_map_key = "type",
};
static const cz_field f_namespace_status[] = {
	CZ_FIELD("conditions", &s_namespace_conditions,
		 "Represents the latest available observations of a "
		 "namespace's current state."),
	CZ_FIELD("phase", &cz_s_string,
		 "Phase is the current lifecycle phase of the namespace: "
		 "\"Active\" or \"Terminating\"."),
	CZ_END_FIELDS,
};
static const cz_schema s_namespace_status = {
	.type = CZ_T_OBJECT,
	.definition = CORE "NamespaceStatus",
	.description = "NamespaceStatus is information about the current "
		       "status of a Namespace.",
	.fields = f_namespace_status,
};

static const cz_field f_namespace[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_namespace_spec,
		 "Spec defines the behavior of the Namespace."),
	CZ_FIELD("status", &s_namespace_status,
		 "Status describes the current status of a Namespace."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_namespace = {
	.type = CZ_T_OBJECT,
	.description = "Namespace provides a scope for Names. Use of multiple "
		       "namespaces is optional.",
	.fields = f_namespace,
};

/* Secret */
static const cz_schema s_bytes = { .type = CZ_T_STRING, .format = "byte" };
static const cz_schema s_byte_map = { .type = CZ_T_MAP, .items = &s_bytes };

static const cz_field f_secret[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("data", &s_byte_map,
		 "Data contains the secret data. Each key must consist of "
		 "alphanumeric characters, '-', '_' or '.'. The serialized "
		 "form of the secret data is a base64 encoded string."),
	CZ_FIELD("immutable", &cz_s_bool,
		 "Immutable, if set to true, ensures that data stored in the "
		 "Secret cannot be updated (only object metadata can be "
		 "modified)."),
	CZ_FIELD("stringData", &cz_s_string_map,
		 "stringData allows specifying non-binary secret data in "
		 "string form. It is provided as a write-only input field for "
		 "convenience. All keys and values are merged into the data "
		 "field on write, overwriting any existing values."),
	CZ_FIELD("type", &cz_s_string,
		 "Used to facilitate programmatic handling of secret data."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_secret = {
	.type = CZ_T_OBJECT,
	.description = "Secret holds secret data of a certain type. The total "
		       "bytes of the values in the Data field must be less "
		       "than MaxSecretSize bytes.",
	.fields = f_secret,
};

/* ConfigMap */
static const cz_field f_configmap[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("binaryData", &s_byte_map,
		 "BinaryData contains the binary data. Each key must consist "
		 "of alphanumeric characters, '-', '_' or '.'."),
	CZ_FIELD("data", &cz_s_string_map,
		 "Data contains the configuration data. Each key must consist "
		 "of alphanumeric characters, '-', '_' or '.'."),
	CZ_FIELD("immutable", &cz_s_bool,
		 "Immutable, if set to true, ensures that data stored in the "
		 "ConfigMap cannot be updated (only object metadata can be "
		 "modified)."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_configmap = {
	.type = CZ_T_OBJECT,
	.description = "ConfigMap holds configuration data for pods to "
		       "consume.",
	.fields = f_configmap,
};

/* Lease */
static const cz_field f_lease_spec[] = {
	CZ_FIELD("acquireTime", &cz_s_micro_time,
		 "acquireTime is a time when the current lease was acquired."),
	CZ_FIELD("holderIdentity", &cz_s_string,
		 "holderIdentity contains the identity of the holder of a "
		 "current lease."),
	CZ_FIELD("leaseDurationSeconds", &cz_s_int32,
		 "leaseDurationSeconds is a duration that candidates for a "
		 "lease need to wait to force acquire it."),
	CZ_FIELD("leaseTransitions", &cz_s_int32,
		 "leaseTransitions is the number of transitions of a lease "
		 "between holders."),
	CZ_FIELD("preferredHolder", &cz_s_string,
		 "PreferredHolder signals to a lease holder that the lease "
		 "has a more optimal holder and should be given up."),
	CZ_FIELD("renewTime", &cz_s_micro_time,
		 "renewTime is a time when the current holder of a lease has "
		 "last updated the lease."),
	CZ_FIELD("strategy", &cz_s_string,
		 "Strategy indicates the strategy for picking the leader for "
		 "coordinated leader election."),
	CZ_END_FIELDS,
};
static const cz_schema s_lease_spec = {
	.type = CZ_T_OBJECT,
	.definition = COORD "LeaseSpec",
	.description = "LeaseSpec is a specification of a Lease.",
	.fields = f_lease_spec,
};
static const cz_field f_lease[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &s_lease_spec,
		 "spec contains the specification of the Lease."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_lease = {
	.type = CZ_T_OBJECT,
	.description = "Lease defines a lease concept.",
	.fields = f_lease,
};

/* ControllerRevision (apps/v1): the history of Packages and Flux sources
 * is kept in these, as Kubernetes keeps a workload's. */
static const cz_field f_controllerrevision[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("data", &cz_s_any, "Data is the serialized representation "
		 "of the state."),
	{ "revision", &cz_s_int64, true,
	  "Revision indicates the revision of the state represented by "
	  "Data." },
	CZ_END_FIELDS,
};
const cz_schema cz_s_controllerrevision = {
	.type = CZ_T_OBJECT,
	.description = "ControllerRevision implements an immutable snapshot "
		       "of state data. Clients are responsible for "
		       "serializing and deserializing the objects that "
		       "contain their internal state.",
	.fields = f_controllerrevision,
};

/* Job (batch/v1): served so that the migration executor's Job can be
 * created and followed against cozypkgd as against Kubernetes; nothing
 * here runs pods, so spec and status stay open. */
static const cz_field f_job[] = {
	CZ_KIND_FIELDS,
	CZ_FIELD("spec", &cz_s_any, "Specification of the desired behavior "
		 "of a job."),
	CZ_FIELD("status", &cz_s_any, "Current status of a job."),
	CZ_END_FIELDS,
};
const cz_schema cz_s_job = {
	.type = CZ_T_OBJECT,
	.description = "Job represents the configuration of a single job.",
	.fields = f_job,
};
