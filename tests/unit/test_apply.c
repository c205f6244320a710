/* Server-side apply and managedFields. */

#include "helpers.h"
#include "jsonhelp.h"

#include "api/apply.h"
#include "util/mem.h"

#define GV "cozystack.io/v1alpha1"
#define T0 "2024-01-01T00:00:00Z"
#define T1 "2024-01-02T00:00:00Z"
#define T2 "2024-01-03T00:00:00Z"

static const cz_merge_key keys[] = {
	{ "metadata.ownerReferences", "uid" },
	{ "status.conditions", "type" },
	{ NULL, NULL },
};

#define PKG(spec)                                                              \
	"{\"apiVersion\":\"" GV "\",\"kind\":\"Package\",\"metadata\":"      \
	"{\"name\":\"cilium\"},\"spec\":" spec "}"

/* The managedFields entry of manager (operation op), or NULL. */
static json_t *entry_of(const json_t *obj, const char *manager, const char *op)
{
	json_t *list = json_object_get(json_object_get(obj, "metadata"),
				       "managedFields");

	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);

		if (!strcmp(json_string_value(json_object_get(e, "manager")),
			    manager) &&
		    !strcmp(json_string_value(json_object_get(e, "operation")),
			    op))
			return e;
	}
	return NULL;
}

static void assert_fields(const json_t *obj, const char *manager,
			  const char *op, const char *fields)
{
	json_t *e = entry_of(obj, manager, op);

	if (!e)
		fail_msg("no %s entry for %s", op, manager);
	assert_json_text(json_object_get(e, "fieldsV1"), fields);
}

static size_t entry_count(const json_t *obj)
{
	return json_array_size(json_object_get(json_object_get(obj, "metadata"),
					       "managedFields"));
}

static void apply_ok(json_t **live, const char *applied, const char *manager,
		     bool force, const char *now)
{
	json_t *cfg = J(applied);
	cz_error err = CZ_ERROR_INIT;

	if (cz_apply(live, cfg, manager, force, GV, now, keys, NULL, &err) != 0)
		fail_msg("apply: %s", err.msg);
	json_decref(cfg);
}

/* An object created by a non-apply writer (as kubectl create would). */
static json_t *created_by(const char *manager, const char *text)
{
	json_t *obj = J(text);

	cz_managed_fields_update(obj, NULL, manager, "Update", NULL, GV, T0,
				 keys);
	return obj;
}

static void test_apply_creates(void **state)
{
	json_t *live = NULL;
	json_t *e;

	(void)state;
	apply_ok(&live,
		 "{\"apiVersion\":\"" GV "\",\"kind\":\"Package\",\"metadata\":"
		 "{\"name\":\"cilium\",\"labels\":{\"app\":\"x\"},"
		 "\"resourceVersion\":\"9\"},\"spec\":{\"variant\":\"default\","
		 "\"components\":{\"a\":{\"enabled\":true}},\"list\":[1,2]},"
		 "\"status\":{\"phase\":\"ignored\"}}",
		 "kubectl", false, T1);
	assert_null(json_object_get(live, "status"));
	assert_null(json_object_get(json_object_get(live, "metadata"),
				    "resourceVersion"));
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(live, "spec"), "variant")),
			    "default");
	assert_int_equal(entry_count(live), 1);
	e = entry_of(live, "kubectl", "Apply");
	assert_json(e, "{\"manager\":\"kubectl\",\"operation\":\"Apply\","
		       "\"apiVersion\":\"" GV "\",\"time\":\"" T1 "\","
		       "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{"
		       "\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},"
		       "\"f:spec\":{\"f:components\":{\"f:a\":{\"f:enabled\":{}}},"
		       "\"f:list\":{},\"f:variant\":{}}}}");
	json_decref(live);
}

static void test_conflict_with_updater(void **state)
{
	json_t *live = created_by("kubectl-client-side-apply",
				  PKG("{\"variant\":\"default\",\"x\":1}"));
	json_t *before = json_deep_copy(live);
	json_t *cfg = J(PKG("{\"variant\":\"big\",\"x\":2}"));
	json_t *one = J(PKG("{\"variant\":\"big\"}"));
	json_t *conflicts = NULL;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_fields(live, "kubectl-client-side-apply", "Update",
		      "{\"f:spec\":{\".\":{},\"f:variant\":{},\"f:x\":{}}}");
	assert_int_equal(cz_apply(&live, one, "kubectl", false, GV, T1, keys,
				  &conflicts, &err),
			 CZ_ECONFLICT);
	assert_string_equal(err.msg,
			    "Apply failed with 1 conflict: conflict with "
			    "\"kubectl-client-side-apply\" using " GV
			    ": .spec.variant");
	assert_json(conflicts,
		    "[{\"manager\":\"kubectl-client-side-apply\","
		    "\"field\":\".spec.variant\",\"message\":\"conflict with "
		    "\\\"kubectl-client-side-apply\\\" using " GV "\"}]");
	json_decref(conflicts);
	assert_true(json_equal(live, before));
	assert_int_equal(cz_apply(&live, cfg, "kubectl", false, GV, T1, keys,
				  NULL, &err),
			 CZ_ECONFLICT);
	assert_string_equal(err.msg,
			    "Apply failed with 2 conflicts: conflicts with "
			    "\"kubectl-client-side-apply\" using " GV ":\n"
			    "- .spec.variant\n- .spec.x");
	assert_true(json_equal(live, before));
	json_decref(before);
	json_decref(cfg);
	json_decref(one);
	json_decref(live);
}

static void test_same_value_is_shared(void **state)
{
	json_t *live = created_by("kubectl-client-side-apply",
				  PKG("{\"variant\":\"default\",\"x\":1}"));

	(void)state;
	apply_ok(&live, PKG("{\"variant\":\"default\"}"), "kubectl", false,
		 T1);
	assert_fields(live, "kubectl", "Apply",
		      "{\"f:spec\":{\"f:variant\":{}}}");
	assert_fields(live, "kubectl-client-side-apply", "Update",
		      "{\"f:spec\":{\".\":{},\"f:variant\":{},\"f:x\":{}}}");
	json_decref(live);
}

static void test_force_takes_ownership(void **state)
{
	json_t *live = created_by("kubectl-client-side-apply",
				  PKG("{\"variant\":\"default\",\"x\":1}"));

	(void)state;
	apply_ok(&live, PKG("{\"variant\":\"big\"}"), "kubectl", true, T1);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(live, "spec"), "variant")),
			    "big");
	assert_fields(live, "kubectl", "Apply",
		      "{\"f:spec\":{\"f:variant\":{}}}");
	assert_fields(live, "kubectl-client-side-apply", "Update",
		      "{\"f:spec\":{\".\":{},\"f:x\":{}}}");
	/* Taking x leaves only the spec map itself to the updater. */
	apply_ok(&live, PKG("{\"variant\":\"big\",\"x\":5}"), "kubectl", true,
		 T2);
	assert_fields(live, "kubectl-client-side-apply", "Update",
		      "{\"f:spec\":{}}");
	json_decref(live);
}

static void test_apply_removes_given_up_fields(void **state)
{
	json_t *live = NULL;
	json_t *labels;

	(void)state;
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
		 "{\"name\":\"c\",\"labels\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}},"
		 "\"data\":{\"k\":\"v\",\"old\":\"x\"}}",
		 "kubectl", false, T1);
	/* another applier shares c */
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
		 "{\"name\":\"c\",\"labels\":{\"c\":\"3\"}}}",
		 "other", false, T1);
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
		 "{\"name\":\"c\",\"labels\":{\"a\":\"1\"}},\"data\":{\"k\":\"v\"}}",
		 "kubectl", false, T2);
	labels = json_object_get(json_object_get(live, "metadata"), "labels");
	assert_json(labels, "{\"a\":\"1\",\"c\":\"3\"}");
	assert_json(json_object_get(live, "data"), "{\"k\":\"v\"}");
	assert_fields(live, "kubectl", "Apply",
		      "{\"f:data\":{\"f:k\":{}},\"f:metadata\":{\"f:labels\":"
		      "{\"f:a\":{}}}}");
	assert_fields(live, "other", "Apply",
		      "{\"f:metadata\":{\"f:labels\":{\"f:c\":{}}}}");
	/* Giving up every label drops the empty map, as ObjectMeta does. */
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
		 "{\"name\":\"c\"}}",
		 "other", false, T2);
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
		 "{\"name\":\"c\"}}",
		 "kubectl", false, T2);
	assert_null(json_object_get(json_object_get(live, "metadata"),
				    "labels"));
	assert_null(json_object_get(json_object_get(live, "metadata"),
				    "managedFields"));
	json_decref(live);
}

static void test_apply_keyed_lists_and_status(void **state)
{
	json_t *live = J(PKG("{\"variant\":\"default\"}"));
	json_t *st = J("{\"apiVersion\":\"" GV "\",\"kind\":\"Package\","
		       "\"metadata\":{\"name\":\"cilium\"},\"spec\":"
		       "{\"variant\":\"ignored\"},\"status\":{\"conditions\":["
		       "{\"type\":\"Ready\",\"status\":\"False\"}]}}");
	json_t *other = J("{\"status\":{\"conditions\":[{\"type\":\"Ready\","
			  "\"status\":\"True\"},{\"type\":\"Synced\","
			  "\"status\":\"True\"}]}}");
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_apply_status(&live, st, "controller", false, GV, T1,
					 keys, NULL, &err),
			 0);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(live, "spec"), "variant")),
			    "default");
	assert_fields(live, "controller", "Apply",
		      "{\"f:status\":{\"f:conditions\":{\"k:{\\\"type\\\":"
		      "\\\"Ready\\\"}\":{\".\":{},\"f:status\":{},"
		      "\"f:type\":{}}}}}");
	assert_string_equal(
		json_string_value(json_object_get(
			entry_of(live, "controller", "Apply"), "subresource")),
		"status");
	assert_int_equal(cz_apply_status(&live, other, "other", false, GV, T1,
					 keys, NULL, &err),
			 CZ_ECONFLICT);
	assert_string_equal(err.msg,
			    "Apply failed with 1 conflict: conflict with "
			    "\"controller\" with subresource \"status\": "
			    ".status.conditions[type=\"Ready\"].status");
	assert_int_equal(cz_apply_status(&live, other, "other", true, GV, T2,
					 keys, NULL, &err),
			 0);
	assert_json(json_object_get(live, "status"),
		    "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
		    "{\"type\":\"Synced\",\"status\":\"True\"}]}");
	assert_fields(live, "controller", "Apply",
		      "{\"f:status\":{\"f:conditions\":{\"k:{\\\"type\\\":"
		      "\\\"Ready\\\"}\":{\".\":{},\"f:type\":{}}}}}");
	json_decref(st);
	json_decref(other);
	json_decref(live);
}

static void test_apply_invalid(void **state)
{
	json_t *live = NULL;
	json_t *bad = J("[1]");
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_apply(&live, bad, "m", false, GV, T1, keys, NULL,
				  &err),
			 CZ_EINVALID);
	assert_null(live);
	json_decref(bad);
}

static void test_update_on_create(void **state)
{
	json_t *obj = created_by(
		"kubectl-create",
		"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
		"{\"name\":\"n\",\"labels\":{\"a\":\"1\"},\"finalizers\":[\"f\"],"
		"\"ownerReferences\":[{\"uid\":\"u1\",\"name\":\"o\"}]},"
		"\"spec\":{\"finalizers\":[\"kubernetes\"]}}");

	(void)state;
	assert_json(entry_of(obj, "kubectl-create", "Update"),
		    "{\"manager\":\"kubectl-create\",\"operation\":\"Update\","
		    "\"apiVersion\":\"" GV "\",\"time\":\"" T0 "\","
		    "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{"
		    "\"f:finalizers\":{\".\":{},\"v:\\\"f\\\"\":{}},"
		    "\"f:labels\":{\".\":{},\"f:a\":{}},"
		    "\"f:ownerReferences\":{\".\":{},\"k:{\\\"uid\\\":\\\"u1\\\"}\":"
		    "{\".\":{},\"f:name\":{},\"f:uid\":{}}}},"
		    "\"f:spec\":{\".\":{},\"f:finalizers\":{}}}}");
	json_decref(obj);
}

static void test_update_moves_and_drops(void **state)
{
	json_t *old = created_by("creator",
				 "{\"metadata\":{\"name\":\"p\",\"labels\":"
				 "{\"a\":\"1\"}},\"spec\":{\"x\":1,\"y\":2}}");
	json_t *upd = json_deep_copy(old);
	json_t *same;

	(void)state;
	json_object_set_new(json_object_get(upd, "spec"), "x", json_integer(5));
	json_object_del(json_object_get(json_object_get(upd, "metadata"),
					"labels"),
			"a");
	cz_managed_fields_update(upd, old, "controller", "Update", NULL, GV,
				 T1, keys);
	assert_fields(upd, "controller", "Update",
		      "{\"f:spec\":{\"f:x\":{}}}");
	assert_fields(upd, "creator", "Update",
		      "{\"f:metadata\":{\"f:labels\":{}},"
		      "\"f:spec\":{\".\":{},\"f:y\":{}}}");
	/* Entries sort by operation, then time: creator (T0) first. */
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(json_object_get(upd,
								       "metadata"),
						       "managedFields"),
				       0),
			"manager")),
		"creator");
	/* A write that changes nothing keeps everything, times included. */
	same = json_deep_copy(upd);
	cz_managed_fields_update(same, upd, "third", "Update", NULL, GV, T2,
				 keys);
	assert_true(json_equal(same, upd));
	/* The controller writes x again: its entry merges, its time moves. */
	json_object_set_new(json_object_get(same, "spec"), "z", json_integer(1));
	cz_managed_fields_update(same, upd, "controller", "Update", NULL, GV,
				 T2, keys);
	assert_fields(same, "controller", "Update",
		      "{\"f:spec\":{\"f:x\":{},\"f:z\":{}}}");
	assert_string_equal(json_string_value(json_object_get(
				    entry_of(same, "controller", "Update"),
				    "time")),
			    T2);
	json_decref(same);
	json_decref(upd);
	json_decref(old);
}

static void test_update_status_subresource(void **state)
{
	json_t *old = created_by("creator", PKG("{\"x\":1}"));
	json_t *upd = json_deep_copy(old);

	(void)state;
	json_object_set_new(upd, "status", J("{\"phase\":\"Ready\"}"));
	cz_managed_fields_update(upd, old, "controller", "Update", "status", GV,
				 T1, keys);
	assert_fields(upd, "controller", "Update",
		      "{\"f:status\":{\".\":{},\"f:phase\":{}}}");
	assert_string_equal(
		json_string_value(json_object_get(
			entry_of(upd, "controller", "Update"), "subresource")),
		"status");
	json_decref(upd);
	json_decref(old);
}

static void test_fields_of(void **state)
{
	json_t *v = J("{\"a\":{\"b\":1,\"c\":null},\"e\":{},\"l\":[{\"x\":1}]}");
	json_t *f = cz_fields_of(v, keys);

	(void)state;
	assert_json_text(f, "{\"f:a\":{\"f:b\":{}},\"f:e\":{},\"f:l\":{}}");
	json_decref(f);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_creates),
		cmocka_unit_test(test_conflict_with_updater),
		cmocka_unit_test(test_same_value_is_shared),
		cmocka_unit_test(test_force_takes_ownership),
		cmocka_unit_test(test_apply_removes_given_up_fields),
		cmocka_unit_test(test_apply_keyed_lists_and_status),
		cmocka_unit_test(test_apply_invalid),
		cmocka_unit_test(test_update_on_create),
		cmocka_unit_test(test_update_moves_and_drops),
		cmocka_unit_test(test_update_status_subresource),
		cmocka_unit_test(test_fields_of),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
