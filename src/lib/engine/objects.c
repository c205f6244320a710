/* The JSON objects the engine's decisions turn into (§2.3.2, §2.3.4). */

#include <string.h>

#include "engine/engine.h"
#include "util/buf.h"
#include "util/duration.h"

#define PACKAGE_LABEL "cozystack.io/package"
#define PRIVILEGED_LABEL "cozystack.io/privileged"
#define VALUES_FILES_ANNOTATION "cozyhr.cozystack.io/values-files"
#define SYSTEM_LABEL "cozystack.io/system"
#define ENFORCE_LABEL "pod-security.kubernetes.io/enforce"
#define ARTIFACT_NAMESPACE "cozy-system"
#define VALUES_SECRET "cozystack-values"

static json_t *duration_json(int64_t ns)
{
	char text[64];

	cz_duration_format(ns, text, sizeof(text));
	return json_string(text);
}

static json_t *hr_metadata(const cz_helmrelease *hr, const char *owner_uid)
{
	const cz_component *c = hr->component;
	json_t *labels = json_object();
	json_t *owner;
	json_t *meta;

	json_object_set_new(labels, PACKAGE_LABEL, json_string(hr->package->name));
	if (c->install->privileged)
		json_object_set_new(labels, PRIVILEGED_LABEL, json_string("true"));
	owner = json_pack("{s:s, s:s, s:s}", "apiVersion", "cozystack.io/v1alpha1",
			  "kind", "Package", "name", hr->package->name);
	if (owner_uid)
		json_object_set_new(owner, "uid", json_string(owner_uid));
	json_object_set_new(owner, "controller", json_true());
	meta = json_pack("{s:s, s:s, s:o}", "name", c->install->release_name,
			 "namespace", c->install->namespace, "labels", labels);
	if (c->values_files.len) {
		cz_buf joined;

		cz_buf_init(&joined, CZ_BUF_UNLIMITED);
		for (size_t i = 0; i < c->values_files.len; i++)
			cz_buf_printf(&joined, "%s%s", i ? "," : "",
				      c->values_files.items[i]);
		json_object_set_new(meta, "annotations",
				    json_pack("{s:s}", VALUES_FILES_ANNOTATION,
					      joined.data));
		cz_buf_release(&joined);
	}
	json_object_set_new(meta, "ownerReferences", json_pack("[o]", owner));
	return meta;
}

static json_t *strategy_json(const cz_engine *e, int64_t timeout_ns)
{
	return json_pack("{s:o, s:{s:s, s:o}}", "timeout",
			 duration_json(timeout_ns), "strategy", "name",
			 "RetryOnFailure", "retryInterval",
			 duration_json(e->opts.retry_interval_ns));
}

static json_t *depends_on_json(const cz_helmrelease *hr)
{
	json_t *list = json_array();

	for (size_t i = 0; i < hr->ndepends_on; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "name",
						      hr->depends_on[i].name,
						      "namespace",
						      hr->depends_on[i].namespace));
	return list;
}

static void add_wait_strategy(json_t *spec, const cz_install *in)
{
	/* ResolveWaitStrategy: health expressions imply the poller. */
	const char *name = in->wait_strategy;

	if (in->health_check_exprs) {
		json_object_set(spec, "healthCheckExprs", in->health_check_exprs);
		if (!name)
			name = "poller";
	}
	if (name)
		json_object_set_new(spec, "waitStrategy",
				    json_pack("{s:s}", "name", name));
}

static json_t *hr_spec(const cz_engine *e, const cz_helmrelease *hr)
{
	const cz_install *in = hr->component->install;
	const cz_package_component *pc =
		cz_package_component_get(hr->package, hr->component->name);
	json_t *spec = json_object();
	json_t *upgrade = strategy_json(e, e->opts.upgrade_timeout_ns);

	json_object_set_new(spec, "chartRef",
			    json_pack("{s:s, s:s, s:s}", "kind",
				      "ExternalArtifact", "name", hr->artifact,
				      "namespace", ARTIFACT_NAMESPACE));
	json_object_set_new(spec, "interval", duration_json(e->opts.interval_ns));
	if (hr->ndepends_on)
		json_object_set_new(spec, "dependsOn", depends_on_json(hr));
	json_object_set_new(spec, "maxHistory", json_integer(e->opts.max_history));
	json_object_set_new(spec, "install",
			    strategy_json(e, e->opts.install_timeout_ns));
	if (in->upgrade_crds)
		json_object_set_new(upgrade, "crds", json_string(in->upgrade_crds));
	json_object_set_new(spec, "upgrade", upgrade);
	if (!hr->source->skip_cozystack_values)
		json_object_set_new(spec, "valuesFrom",
				    json_pack("[{s:s, s:s}]", "kind", "Secret",
					      "name", VALUES_SECRET));
	if (pc && pc->values)
		json_object_set(spec, "values", pc->values);
	add_wait_strategy(spec, in);
	return spec;
}

json_t *cz_helmrelease_json(const cz_engine *e, const cz_helmrelease *hr,
			    const char *owner_uid)
{
	return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion",
			 "helm.toolkit.fluxcd.io/v2", "kind", "HelmRelease",
			 "metadata", hr_metadata(hr, owner_uid), "spec",
			 hr_spec(e, hr));
}

json_t *cz_namespace_json(const cz_engine *e, const char *name)
{
	json_t *labels = json_object();
	json_t *meta = json_pack("{s:s}", "name", name);

	if (strncmp(name, "tenant-", 7) != 0)
		json_object_set_new(labels, SYSTEM_LABEL, json_string("true"));
	if (cz_engine_is_privileged(e, name))
		json_object_set_new(labels, ENFORCE_LABEL,
				    json_string("privileged"));
	if (json_object_size(labels))
		json_object_set_new(meta, "labels", labels);
	else
		json_decref(labels);
	json_object_set_new(meta, "annotations",
			    json_pack("{s:s}", "helm.sh/resource-policy", "keep"));
	return json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind",
			 "Namespace", "metadata", meta);
}

json_t *cz_package_status_json(const cz_reconcile *r)
{
	json_t *cond = json_pack("{s:s, s:s, s:s, s:s}", "type", "Ready",
				 "status", r->ready ? "True" : "False", "reason",
				 cz_reason_name(r->reason), "message",
				 r->message);
	json_t *status = json_pack("{s:[o]}", "conditions", cond);

	if (r->has_dependencies && r->ndependencies) {
		json_t *deps = json_object();

		for (size_t i = 0; i < r->ndependencies; i++)
			json_object_set_new(deps, r->dependencies[i].name,
					    json_pack("{s:b}", "ready",
						      r->dependencies[i].ready));
		json_object_set_new(status, "dependencies", deps);
	}
	return status;
}

json_t *cz_source_status_json(const cz_source *src)
{
	cz_buf names;
	json_t *status;

	cz_buf_init(&names, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < src->nvariants; i++)
		cz_buf_printf(&names, "%s%s", i ? "," : "", src->variants[i].name);
	status = json_pack("{s:s}", "variants", names.data);
	cz_buf_release(&names);
	return status;
}
