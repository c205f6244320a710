/* The live catalog (objects put and removed one at a time) and the
 * engine's incremental privileged-namespace count, as the Package
 * controller uses them. */

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "model/catalog.h"
#include "util/mem.h"

static json_t *source(const char *name, const char *ns, bool privileged)
{
	return json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:[{s:s, s:s, "
			 "s:{s:s, s:b}}]}]}}",
			 "apiVersion", "cozystack.io/v1alpha1", "kind",
			 "PackageSource", "metadata", "name", name, "spec",
			 "variants", "name", "default", "components", "name",
			 "c", "path", "c", "install", "namespace", ns,
			 "privileged", privileged);
}

static json_t *package(const char *name, const char *rv)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion",
			 "cozystack.io/v1alpha1", "kind", "Package", "metadata",
			 "name", name, "resourceVersion", rv);
}

static void put_source(cz_catalog *cat, json_t *obj)
{
	cz_catalog_put_source(cat, obj);
	json_decref(obj);
}

static void put_package(cz_catalog *cat, json_t *obj)
{
	cz_catalog_put_package(cat, obj);
	json_decref(obj);
}

/* Thousands of puts, replacements and removals: lookups, indexes and the
 * arrays stay consistent, and nothing leaks (checked under ASan). */
static void test_put_replace_remove(void **state)
{
	cz_catalog cat;
	char name[32];

	(void)state;
	cz_catalog_init(&cat);
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "p%04d", i);
		put_package(&cat, package(name, "1"));
		put_source(&cat, source(name, "ns", false));
	}
	for (int i = 0; i < 2000; i += 2) {
		snprintf(name, sizeof(name), "p%04d", i);
		put_package(&cat, package(name, "2"));
	}
	for (int i = 0; i < 2000; i += 3) {
		snprintf(name, sizeof(name), "p%04d", i);
		assert_true(cz_catalog_remove_package(&cat, name));
		assert_true(cz_catalog_remove_source(&cat, name));
		assert_false(cz_catalog_remove_package(&cat, name));
	}
	assert_int_equal(cat.npackages, 2000 - 667);
	assert_int_equal(cat.nsources, 2000 - 667);
	for (size_t i = 0; i < cat.npackages; i++) {
		const cz_package *p = cat.packages[i];

		assert_int_equal(p->index, i);
		assert_ptr_equal(cz_catalog_package(&cat, p->name), p);
	}
	for (int i = 0; i < 2000; i++) {
		const cz_package *p;

		snprintf(name, sizeof(name), "p%04d", i);
		p = cz_catalog_package(&cat, name);
		if (i % 3 == 0) {
			assert_null(p);
			assert_null(cz_catalog_source(&cat, name));
			continue;
		}
		assert_non_null(p);
		assert_string_equal(
			json_string_value(json_object_get(
				json_object_get(p->object, "metadata"),
				"resourceVersion")),
			i % 2 == 0 ? "2" : "1");
		assert_non_null(cz_catalog_source(&cat, name));
	}
	cz_catalog_release(&cat);
}

/* A namespace is privileged while some Package's active variant installs
 * a privileged component there; each change reports the flips. */
static void test_privileged_counts(void **state)
{
	cz_catalog cat;
	cz_engine e;
	json_t *flipped = json_array();

	(void)state;
	cz_catalog_init(&cat);
	cz_engine_init(&e, &cat, NULL);
	put_source(&cat, source("a", "shared", true));
	cz_engine_refresh_package(&e, "a", flipped);
	assert_int_equal(json_array_size(flipped), 0); /* no Package yet */
	put_package(&cat, package("a", "1"));
	cz_engine_refresh_package(&e, "a", flipped);
	assert_int_equal(json_array_size(flipped), 1);
	assert_true(cz_engine_is_privileged(&e, "shared"));

	put_source(&cat, source("b", "shared", true));
	put_package(&cat, package("b", "1"));
	json_array_clear(flipped);
	cz_engine_refresh_package(&e, "b", flipped);
	assert_int_equal(json_array_size(flipped), 0); /* already privileged */

	/* a stops being privileged: b still holds the namespace. */
	put_source(&cat, source("a", "shared", false));
	cz_engine_refresh_package(&e, "a", flipped);
	assert_true(cz_engine_is_privileged(&e, "shared"));
	assert_int_equal(json_array_size(flipped), 0);

	/* b's Package goes: the namespace flips back. */
	assert_true(cz_catalog_remove_package(&cat, "b"));
	cz_engine_refresh_package(&e, "b", flipped);
	assert_false(cz_engine_is_privileged(&e, "shared"));
	assert_int_equal(json_array_size(flipped), 1);
	assert_string_equal(json_string_value(json_array_get(flipped, 0)),
			    "shared");

	json_decref(flipped);
	cz_engine_release(&e);
	cz_catalog_release(&cat);
}

/* The live catalog gives the engine the same answer as a loaded one. */
static void test_engine_over_live_catalog(void **state)
{
	cz_catalog cat;
	cz_engine e;
	cz_arena arena = CZ_ARENA_INIT;
	cz_reconcile r;

	(void)state;
	cz_catalog_init(&cat);
	cz_engine_init(&e, &cat, NULL);
	put_source(&cat, source("a", "ns-a", true));
	put_package(&cat, package("a", "1"));
	cz_engine_refresh_package(&e, "a", NULL);
	cz_engine_reconcile(&e, &arena, cz_catalog_package(&cat, "a"), NULL,
			    NULL, 0, &r);
	assert_true(r.ready);
	assert_int_equal(r.nreleases, 1);
	assert_string_equal(r.releases[0].artifact, "a-default-c");
	assert_string_equal(r.message,
			    "reconciliation succeeded, generated 1 helmrelease(s)");
	assert_true(cz_engine_is_privileged(&e, "ns-a"));
	assert_true(cz_catalog_remove_source(&cat, "a"));
	cz_engine_refresh_package(&e, "a", NULL);
	cz_engine_reconcile(&e, &arena, cz_catalog_package(&cat, "a"), NULL,
			    NULL, 0, &r);
	assert_false(r.ready);
	assert_string_equal(r.message, "PackageSource a not found");
	assert_false(cz_engine_is_privileged(&e, "ns-a"));
	cz_arena_release(&arena);
	cz_engine_release(&e);
	cz_catalog_release(&cat);
}

/* A source put as a copy keeps no reference to its object: everything
 * decoded, healthCheckExprs included, outlives it (checked under ASan),
 * and a replacement frees the copy it replaces. */
static void test_put_source_copy(void **state)
{
	cz_catalog cat;
	json_t *obj = source("s", "ns-s", true);
	json_t *install = json_object_get(json_array_get(json_object_get(
		json_array_get(json_object_get(json_object_get(obj, "spec"),
					       "variants"), 0),
		"components"), 0), "install");
	const cz_source *src;
	const cz_install *in;

	(void)state;
	cz_catalog_init(&cat);
	json_object_set_new(install, "healthCheckExprs",
			    json_pack("[{s:s}]", "current", "true"));
	cz_catalog_put_source_copy(&cat, obj);
	json_decref(obj);
	src = cz_catalog_source(&cat, "s");
	assert_non_null(src);
	assert_null(src->object);
	assert_string_equal(src->name, "s");
	assert_int_equal(src->nvariants, 1);
	assert_string_equal(src->variants[0].name, "default");
	in = src->variants[0].components[0].install;
	assert_string_equal(in->namespace, "ns-s");
	assert_string_equal(in->release_name, "c");
	assert_true(in->privileged);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(in->health_check_exprs, 0),
				    "current")),
			    "true");
	obj = source("s", "ns-t", false);
	cz_catalog_put_source_copy(&cat, obj);
	json_decref(obj);
	src = cz_catalog_source(&cat, "s");
	assert_string_equal(src->variants[0].components[0].install->namespace,
			    "ns-t");
	assert_null(src->variants[0].components[0].install->health_check_exprs);
	assert_int_equal(cat.nsources, 1);
	assert_true(cz_catalog_remove_source(&cat, "s"));
	cz_catalog_release(&cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_replace_remove),
		cmocka_unit_test(test_put_source_copy),
		cmocka_unit_test(test_privileged_counts),
		cmocka_unit_test(test_engine_over_live_catalog),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests_name("catalog_live", tests, NULL, NULL);
}
