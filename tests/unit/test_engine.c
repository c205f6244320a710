/* The engine, one rule of cozystack-operator §2.3 per test. */

#include "helpers.h"

#include <stdlib.h>

#include "engine/engine.h"
#include "engine/render.h"
#include "util/mem.h"

#define SRC(name, body)                                                        \
	"---\napiVersion: cozystack.io/v1alpha1\nkind: PackageSource\n"       \
	"metadata: {name: " name "}\nspec:\n" body "\n"
#define PKG(name, spec)                                                        \
	"---\napiVersion: cozystack.io/v1alpha1\nkind: Package\n"             \
	"metadata: {name: " name "}\nspec: " spec "\n"

typedef struct fixture {
	cz_catalog cat;
	cz_engine engine;
	cz_arena arena;
	bool *ready;
} fixture;

static void setup_fixture(fixture *f, const char *yaml)
{
	memset(f, 0, sizeof(*f));
	load_ok(&f->cat, yaml);
	cz_engine_init(&f->engine, &f->cat, NULL);
	f->ready = calloc(f->cat.npackages + 1, sizeof(bool));
}

static void teardown_fixture(fixture *f)
{
	free(f->ready);
	cz_engine_release(&f->engine);
	cz_arena_release(&f->arena);
	cz_catalog_release(&f->cat);
}

static void set_ready(fixture *f, const char *name, bool ready)
{
	const cz_package *p = cz_catalog_package(&f->cat, name);

	assert_non_null(p);
	f->ready[p->index] = ready;
}

static void reconcile(fixture *f, const char *name, const cz_hr_ref *existing,
		      size_t nexisting, cz_reconcile *out)
{
	cz_readiness r = { f->ready };
	const cz_package *p = cz_catalog_package(&f->cat, name);

	assert_non_null(p);
	cz_engine_reconcile(&f->engine, &f->arena, p, &r, existing, nexisting,
			    out);
}

static const char *const base_yaml =
	SRC("x.net", "  variants:\n"
		     "  - name: default\n"
		     "    components:\n"
		     "    - {name: cni, path: p/cni, install: {namespace: net, privileged: true}}\n"
		     "    - {name: policy, path: p/pol, install: {namespace: net, dependsOn: [cni]}}\n"
		     "    - {name: docs, path: p/docs}\n")
	SRC("x.crds", "  variants:\n"
		      "  - name: default\n"
		      "    components:\n"
		      "    - {name: crds, path: p/crds, install: {namespace: crds, releaseName: all-crds}}\n")
	SRC("x.app", "  variants:\n"
		     "  - name: default\n"
		     "    dependsOn: [x.net, x.crds]\n"
		     "    components:\n"
		     "    - {name: db, path: p/db, install: {namespace: app}}\n"
		     "    - {name: web, path: p/web, valuesFiles: [values.yaml, extra.yaml], install: {namespace: app, dependsOn: [db]}}\n"
		     "  - name: slim\n"
		     "    dependsOn: [x.net]\n"
		     "    components:\n"
		     "    - {name: web, path: p/web, install: {namespace: app}}\n")
	PKG("x.net", "{}") PKG("x.crds", "{}") PKG("x.app", "{}");

static void test_gate_blocks_until_dependencies_ready(void **state)
{
	fixture f;
	cz_reconcile r;

	(void)state;
	setup_fixture(&f, base_yaml);
	set_ready(&f, "x.net", true);
	reconcile(&f, "x.app", NULL, 0, &r);
	assert_false(r.ready);
	assert_string_equal(cz_reason_name(r.reason), "DependenciesNotReady");
	assert_string_equal(r.message, "One or more dependencies are not ready");
	assert_int_equal(r.nreleases, 0);
	assert_false(r.cleanup);
	/* namespaces come before the gate */
	assert_int_equal(r.nnamespaces, 1);
	assert_string_equal(r.namespaces[0], "app");
	assert_int_equal(r.ndependencies, 2);
	assert_string_equal(r.dependencies[0].name, "x.crds");
	assert_false(r.dependencies[0].ready);
	assert_string_equal(r.dependencies[1].name, "x.net");
	assert_true(r.dependencies[1].ready);

	set_ready(&f, "x.crds", true);
	reconcile(&f, "x.app", NULL, 0, &r);
	assert_true(r.ready);
	assert_string_equal(r.message,
			    "reconciliation succeeded, generated 2 helmrelease(s)");
	teardown_fixture(&f);
}

static void test_fan_out_order(void **state)
{
	fixture f;
	cz_reconcile r;
	const cz_helmrelease *web;

	(void)state;
	setup_fixture(&f, base_yaml);
	set_ready(&f, "x.net", true);
	set_ready(&f, "x.crds", true);
	reconcile(&f, "x.app", NULL, 0, &r);
	web = &r.releases[1];
	assert_string_equal(web->component->name, "web");
	/* component level first, then every HR of x.net, then x.crds */
	assert_int_equal(web->ndepends_on, 4);
	assert_string_equal(web->depends_on[0].name, "db");
	assert_string_equal(web->depends_on[1].name, "cni");
	assert_string_equal(web->depends_on[2].name, "policy");
	assert_string_equal(web->depends_on[3].name, "all-crds");
	assert_string_equal(web->depends_on[3].namespace, "crds");
	assert_string_equal(web->artifact, "x-app-default-web");
	teardown_fixture(&f);
}

static void test_ignore_dependencies(void **state)
{
	fixture f;
	cz_reconcile r;

	(void)state;
	setup_fixture(&f, SRC("x.net", "  variants: [{name: default, components: [{name: cni, path: p, install: {namespace: net}}]}]")
			  SRC("x.app", "  variants: [{name: default, dependsOn: [x.net, x.gone], components: [{name: web, path: p, install: {namespace: app}}]}]")
			  PKG("x.net", "{}")
			  PKG("x.app", "{ignoreDependencies: [x.gone]}"));
	set_ready(&f, "x.net", true);
	reconcile(&f, "x.app", NULL, 0, &r);
	assert_true(r.ready);
	assert_int_equal(r.ndependencies, 1);
	assert_string_equal(r.dependencies[0].name, "x.net");
	assert_int_equal(r.releases[0].ndepends_on, 1);
	assert_string_equal(r.releases[0].depends_on[0].name, "cni");
	teardown_fixture(&f);
}

static void test_disabled_component(void **state)
{
	fixture f;
	cz_reconcile r;
	cz_hr_ref existing[] = { { "cni", "net" }, { "policy", "net" } };

	(void)state;
	setup_fixture(&f, SRC("x.net", "  variants: [{name: default, components: [{name: cni, path: p, install: {namespace: net}}, {name: policy, path: p, install: {namespace: pol}}]}]")
			  SRC("x.app", "  variants: [{name: default, dependsOn: [x.net], components: [{name: web, path: p, install: {namespace: app}}]}]")
			  PKG("x.net", "{components: {policy: {enabled: false}}}")
			  PKG("x.app", "{}"));
	reconcile(&f, "x.net", existing, 2, &r);
	assert_true(r.ready);
	assert_int_equal(r.nreleases, 1);
	assert_int_equal(r.nnamespaces, 1); /* "pol" is not applied */
	assert_int_equal(r.norphans, 1);
	assert_string_equal(r.orphans[0].name, "policy");
	set_ready(&f, "x.net", true);
	reconcile(&f, "x.app", NULL, 0, &r);
	assert_int_equal(r.releases[0].ndepends_on, 1); /* not the disabled one */
	teardown_fixture(&f);
}

static void test_unknown_component_dependency(void **state)
{
	fixture f;
	cz_reconcile r;

	(void)state;
	setup_fixture(&f, SRC("x.a", "  variants: [{name: default, components: [{name: one, path: p, install: {namespace: a}}, {name: two, path: p, install: {namespace: a, dependsOn: [three]}}]}]")
			  PKG("x.a", "{}"));
	reconcile(&f, "x.a", NULL, 0, &r);
	assert_false(r.ready);
	assert_string_equal(cz_reason_name(r.reason), "DependsOnFailed");
	assert_string_equal(r.message,
			    "Failed to build DependsOn for component two: "
			    "component three not found in variant for "
			    "dependency two");
	/* the HelmRelease before the failing one was already written */
	assert_int_equal(r.nreleases, 1);
	assert_false(r.cleanup);
	teardown_fixture(&f);
}

static void test_empty_namespace(void **state)
{
	fixture f;
	cz_reconcile r;

	(void)state;
	setup_fixture(&f, SRC("x.a", "  variants: [{name: default, components: [{name: ok, path: p, install: {namespace: a}}, {name: bad, path: p, install: {privileged: true}}]}]")
			  PKG("x.a", "{}"));
	reconcile(&f, "x.a", NULL, 0, &r);
	assert_false(r.ready);
	assert_string_equal(cz_reason_name(r.reason), "InvalidConfiguration");
	assert_string_equal(r.message,
			    "Component bad has empty namespace in Install section");
	assert_int_equal(r.nnamespaces, 0);
	assert_int_equal(r.nreleases, 0);
	teardown_fixture(&f);
}

static void test_privileged_across_packages(void **state)
{
	fixture f;
	json_t *ns;

	(void)state;
	setup_fixture(&f, SRC("x.a", "  variants: [{name: default, components: [{name: a, path: p, install: {namespace: shared}}]}]")
			  SRC("x.b", "  variants: [{name: default, components: [{name: b, path: p, install: {namespace: shared, privileged: true}}]}, {name: calm, components: [{name: b, path: p, install: {namespace: shared}}]}]")
			  SRC("x.c", "  variants: [{name: default, components: [{name: c, path: p, install: {namespace: tenant-x, privileged: true}}]}]")
			  PKG("x.a", "{}") PKG("x.b", "{}") PKG("x.c", "{}"));
	assert_true(cz_engine_is_privileged(&f.engine, "shared"));
	ns = cz_namespace_json(&f.engine, "shared");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(ns, "metadata"), "labels"), "pod-security.kubernetes.io/enforce")), "privileged");
	json_decref(ns);
	/* tenant- namespaces get no cozystack.io/system label */
	ns = cz_namespace_json(&f.engine, "tenant-x");
	assert_null(json_object_get(json_object_get(json_object_get(ns, "metadata"), "labels"), "cozystack.io/system"));
	json_decref(ns);
	teardown_fixture(&f);

	/* the privileged component is in a variant nobody uses */
	setup_fixture(&f, SRC("x.a", "  variants: [{name: default, components: [{name: a, path: p, install: {namespace: shared}}]}]")
			  SRC("x.b", "  variants: [{name: default, components: [{name: b, path: p, install: {namespace: shared, privileged: true}}]}, {name: calm, components: [{name: b, path: p, install: {namespace: shared}}]}]")
			  PKG("x.a", "{}") PKG("x.b", "{variant: calm}"));
	assert_false(cz_engine_is_privileged(&f.engine, "shared"));
	teardown_fixture(&f);
}

static void test_skip_values_annotation(void **state)
{
	fixture f;
	cz_reconcile r;
	json_t *hr;

	(void)state;
	setup_fixture(&f, "apiVersion: cozystack.io/v1alpha1\nkind: PackageSource\n"
			  "metadata:\n  name: x.a\n  annotations:\n"
			  "    operator.cozystack.io/skip-cozystack-values: \"true\"\n"
			  "spec: {variants: [{name: default, components: [{name: a, path: p, install: {namespace: a}}]}]}\n"
			  PKG("x.a", "{components: {a: {values: {replicas: 2}}}}"));
	reconcile(&f, "x.a", NULL, 0, &r);
	hr = cz_helmrelease_json(&f.engine, &r.releases[0], "uid-1");
	assert_null(json_object_get(json_object_get(hr, "spec"), "valuesFrom"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(hr, "spec"), "values"), "replicas")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(hr, "metadata"), "ownerReferences"), 0), "uid")), "uid-1");
	json_decref(hr);
	teardown_fixture(&f);
}

static void test_variant_switch_orphans(void **state)
{
	fixture f;
	cz_reconcile r;
	/* what the default variant had written before the switch */
	cz_hr_ref existing[] = { { "db", "app" }, { "web", "app" } };

	(void)state;
	setup_fixture(&f, SRC("x.app", "  variants:\n"
				       "  - {name: default, components: [{name: db, path: p, install: {namespace: app}}, {name: web, path: p, install: {namespace: app}}]}\n"
				       "  - {name: slim, components: [{name: web, path: p, install: {namespace: app}}]}")
			  PKG("x.app", "{variant: slim}"));
	reconcile(&f, "x.app", existing, 2, &r);
	assert_true(r.ready);
	assert_int_equal(r.norphans, 1);
	assert_string_equal(r.orphans[0].name, "db");
	assert_string_equal(r.releases[0].artifact, "x-app-slim-web");
	teardown_fixture(&f);
}

static void test_source_and_variant_not_found(void **state)
{
	fixture f;
	cz_reconcile r;

	(void)state;
	setup_fixture(&f, SRC("x.a", "  variants: [{name: default}]")
			  PKG("x.a", "{variant: other}") PKG("x.b", "{}"));
	reconcile(&f, "x.a", NULL, 0, &r);
	assert_string_equal(cz_reason_name(r.reason), "VariantNotFound");
	assert_string_equal(r.message, "Variant other not found in PackageSource x.a");
	assert_false(r.has_dependencies);
	reconcile(&f, "x.b", NULL, 0, &r);
	assert_string_equal(cz_reason_name(r.reason), "PackageSourceNotFound");
	assert_string_equal(r.message, "PackageSource x.b not found");
	teardown_fixture(&f);
}

static void test_wait_strategy_and_crds(void **state)
{
	fixture f;
	cz_reconcile r;
	json_t *hr, *spec;

	(void)state;
	setup_fixture(&f, SRC("x.a", "  variants: [{name: default, components: [{name: a, path: p, install: {namespace: a, upgradeCRDs: CreateReplace, healthCheckExprs: [{apiVersion: v1, kind: Pod, current: 'true'}]}}]}]")
			  PKG("x.a", "{}"));
	reconcile(&f, "x.a", NULL, 0, &r);
	hr = cz_helmrelease_json(&f.engine, &r.releases[0], NULL);
	spec = json_object_get(hr, "spec");
	assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "waitStrategy"), "name")), "poller");
	assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "upgrade"), "crds")), "CreateReplace");
	assert_int_equal(json_array_size(json_object_get(spec, "healthCheckExprs")), 1);
	json_decref(hr);
	teardown_fixture(&f);
}

static void test_render_fixed_point(void **state)
{
	cz_catalog cat;
	cz_render r;
	cz_diags diags;

	(void)state;
	load_ok(&cat, base_yaml);
	cz_diags_init(&diags);
	cz_render_run(&r, &cat, NULL, &diags);
	for (size_t i = 0; i < r.nresults; i++)
		assert_true(r.results[i].ready);
	cz_render_release(&r);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_blocks_until_dependencies_ready),
		cmocka_unit_test(test_fan_out_order),
		cmocka_unit_test(test_ignore_dependencies),
		cmocka_unit_test(test_disabled_component),
		cmocka_unit_test(test_unknown_component_dependency),
		cmocka_unit_test(test_empty_namespace),
		cmocka_unit_test(test_privileged_across_packages),
		cmocka_unit_test(test_skip_values_annotation),
		cmocka_unit_test(test_variant_switch_orphans),
		cmocka_unit_test(test_source_and_variant_not_found),
		cmocka_unit_test(test_wait_strategy_and_crds),
		cmocka_unit_test(test_render_fixed_point),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
