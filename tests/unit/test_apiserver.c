/* The API server's verbs without HTTP (lib/apiserver): the rules on
 * server-owned metadata, generation, no-op writes, conflicts, finalizers
 * and deletion, each answer a Status; and the in-process client refusing
 * what its user may not do. */

#include "helpers.h"

#include <stdlib.h>

#include "apiserver/direct.h"
#include "object/meta.h"
#include "tmpdir.h"
#include "util/mem.h"

typedef struct env {
	char *dir;
	cz_store *store;
} env;

static void env_open(env *e)
{
	char *db;
	cz_store_opts so = { 0 };

	e->dir = tmpdir_make();
	db = cz_xasprintf("%s/store.db", e->dir);
	so.path = db;
	assert_int_equal(cz_store_open(&so, &e->store, NULL), CZ_OK);
	free(db);
}

static void env_close(env *e)
{
	cz_store_close(e->store);
	tmpdir_remove(e->dir);
	free(e->dir);
}

static const cz_resource *packages(void)
{
	return cz_resource_find("cozystack.io", "v1alpha1", "packages");
}

static json_t *package(const char *name, const char *variant)
{
	return json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}}", "apiVersion",
			 "cozystack.io/v1alpha1", "kind", "Package",
			 "metadata", "name", name, "spec", "variant", variant,
			 "status", "x", "client-set");
}

static const char *agent_query(void *ctx, const char *key)
{
	(void)ctx;
	(void)key;
	return NULL;
}

/* Runs one verb on a fresh call (taking body) and hands back the
 * answer. */
static int run(env *e, const char *verb, const char *name, const char *sub,
	       json_t *body, json_t **answer, unsigned *code)
{
	cz_api_call c;
	int rc;

	cz_api_call_init(&c, e->store, packages(), NULL, name, sub);
	c.user_agent = "kubectl/v1.31";
	c.query = agent_query;
	if (!strcmp(verb, "create"))
		rc = cz_api_create(&c, body);
	else if (!strcmp(verb, "update"))
		rc = cz_api_update(&c, body);
	else if (!strcmp(verb, "merge"))
		rc = cz_api_patch(&c, "application/merge-patch+json", body);
	else if (!strcmp(verb, "delete"))
		rc = cz_api_delete(&c, body);
	else
		rc = cz_api_get(&c);
	*code = c.code;
	*answer = rc == CZ_OK ? cz_api_answer_object(&c)
			      : json_incref(c.status);
	cz_api_call_release(&c);
	json_decref(body);
	return rc;
}

static int64_t generation(const json_t *obj)
{
	return json_integer_value(
		json_object_get(json_object_get(obj, "metadata"), "generation"));
}

static void test_create_sets_server_metadata(void **state)
{
	env e;
	json_t *out = NULL;
	unsigned code = 0;
	json_t *mf;

	(void)state;
	env_open(&e);
	assert_int_equal(run(&e, "create", NULL, NULL, package("a", "v1"),
			     &out, &code),
			 CZ_OK);
	assert_int_equal(code, 201);
	assert_non_null(cz_meta_str(out, "uid"));
	assert_non_null(cz_meta_str(out, "creationTimestamp"));
	assert_non_null(cz_meta_str(out, "resourceVersion"));
	assert_int_equal(generation(out), 1);
	/* status belongs to the status subresource */
	assert_null(json_object_get(out, "status"));
	mf = json_object_get(json_object_get(out, "metadata"), "managedFields");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(mf, 0), "manager")),
			    "kubectl");
	json_decref(out);
	/* The same name again: 409 AlreadyExists, naming the object. */
	assert_int_equal(run(&e, "create", NULL, NULL, package("a", "v1"),
			     &out, &code),
			 CZ_EEXISTS);
	assert_int_equal(code, 409);
	assert_string_equal(json_string_value(json_object_get(out, "reason")),
			    "AlreadyExists");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(out, "details"), "name")),
			    "a");
	json_decref(out);
	env_close(&e);
}

static void test_update_rules(void **state)
{
	env e;
	json_t *cur = NULL, *next, *out = NULL;
	unsigned code = 0;
	const char *rv;

	(void)state;
	env_open(&e);
	run(&e, "create", NULL, NULL, package("a", "v1"), &cur, &code);
	rv = cz_meta_str(cur, "resourceVersion");
	/* No resourceVersion: 422. */
	next = package("a", "v2");
	assert_int_equal(run(&e, "update", "a", NULL, next, &out, &code),
			 CZ_EINVALID);
	assert_int_equal(code, 422);
	json_decref(out);
	/* A no-op write keeps the version. */
	next = json_deep_copy(cur);
	assert_int_equal(run(&e, "update", "a", NULL, next, &out, &code),
			 CZ_OK);
	assert_string_equal(cz_meta_str(out, "resourceVersion"), rv);
	json_decref(out);
	/* A spec change bumps generation; a stale version then conflicts. */
	next = json_deep_copy(cur);
	json_object_set_new(json_object_get(next, "spec"), "variant",
			    json_string("v2"));
	assert_int_equal(run(&e, "update", "a", NULL, next, &out, &code),
			 CZ_OK);
	assert_int_equal(generation(out), 2);
	json_decref(out);
	next = json_deep_copy(cur);
	assert_int_equal(run(&e, "update", "a", NULL, next, &out, &code),
			 CZ_ECONFLICT);
	assert_int_equal(code, 409);
	assert_string_equal(json_string_value(json_object_get(out, "reason")),
			    "Conflict");
	json_decref(out);
	/* The status subresource changes status only: no new generation. */
	assert_int_equal(run(&e, "get", "a", NULL, NULL, &out, &code), CZ_OK);
	next = json_deep_copy(out);
	json_decref(out);
	json_object_set_new(next, "status", json_pack("{s:s}", "x", "ok"));
	json_object_set_new(json_object_get(next, "spec"), "variant",
			    json_string("ignored"));
	assert_int_equal(run(&e, "update", "a", "status", next, &out, &code),
			 CZ_OK);
	assert_int_equal(generation(out), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(out, "spec"), "variant")),
			    "v2");
	json_decref(out);
	json_decref(cur);
	env_close(&e);
}

static void test_finalizers_hold_deletion(void **state)
{
	env e;
	json_t *obj = package("a", "v1"), *out = NULL, *next;
	unsigned code = 0;

	(void)state;
	env_open(&e);
	json_object_set_new(json_object_get(obj, "metadata"), "finalizers",
			    json_pack("[s]", "example.com/hold"));
	run(&e, "create", NULL, NULL, obj, &out, &code);
	json_decref(out);
	assert_int_equal(run(&e, "delete", "a", NULL, NULL, &out, &code), CZ_OK);
	assert_non_null(cz_meta_str(out, "deletionTimestamp"));
	/* No new finalizer once deleting. */
	next = json_deep_copy(out);
	json_array_append_new(json_object_get(json_object_get(next, "metadata"),
					      "finalizers"),
			      json_string("example.com/more"));
	json_decref(out);
	assert_int_equal(run(&e, "update", "a", NULL, next, &out, &code),
			 CZ_EINVALID);
	assert_int_equal(code, 422);
	json_decref(out);
	/* The last finalizer removed: the object goes. */
	assert_int_equal(run(&e, "merge", "a", NULL,
			     json_pack("{s:{s:n}}", "metadata", "finalizers"),
			     &out, &code),
			 CZ_OK);
	json_decref(out);
	assert_int_equal(run(&e, "get", "a", NULL, NULL, &out, &code),
			 CZ_ENOTFOUND);
	assert_int_equal(code, 404);
	assert_string_equal(json_string_value(json_object_get(out, "message")),
			    "packages.cozystack.io \"a\" not found");
	json_decref(out);
	env_close(&e);
}

static void test_delete_preconditions(void **state)
{
	env e;
	json_t *out = NULL;
	unsigned code = 0;

	(void)state;
	env_open(&e);
	run(&e, "create", NULL, NULL, package("a", "v1"), &out, &code);
	json_decref(out);
	assert_int_equal(run(&e, "delete", "a", NULL,
			     json_pack("{s:{s:s}}", "preconditions", "uid",
				       "not-this-one"),
			     &out, &code),
			 CZ_ECONFLICT);
	assert_non_null(strstr(json_string_value(json_object_get(out,
								 "message")),
			       "Precondition failed: UID"));
	json_decref(out);
	assert_int_equal(run(&e, "delete", "a", NULL,
			     json_pack("{s:s}", "propagationPolicy", "Sideways"),
			     &out, &code),
			 CZ_EINVALID);
	assert_int_equal(code, 400);
	json_decref(out);
	env_close(&e);
}

/* The controllers' user through the in-process client: what it may not do
 * is refused with kube's 403, what it may do goes through. */
static void test_inprocess_authorisation(void **state)
{
	static char group[] = CZ_GROUP_CONTROLLERS;
	static char *groups[] = { group };
	static char name[] = "system:cozypkg-controllers";
	const cz_user user = { name, name, groups, 1 };
	env e;
	cz_kube *k = NULL;
	cz_error err = CZ_ERROR_INIT;
	json_t *out = NULL;
	unsigned code = 0;
	char *path;

	(void)state;
	env_open(&e);
	run(&e, "create", NULL, NULL, package("a", "v1"), &out, &code);
	json_decref(out);
	assert_int_equal(cz_kube_open_direct(e.store, NULL, &user, "in-process", NULL,
					     &k, NULL),
			 CZ_OK);
	path = cz_kube_path(packages(), NULL, "a", NULL, NULL);
	assert_int_equal(cz_kube_get(k, path, &out, &err), CZ_OK);
	json_decref(out);
	assert_int_equal(cz_kube_delete(k, path, NULL, NULL, &err), CZ_EDENIED);
	assert_string_equal(err.msg,
			    "packages.cozystack.io \"a\" is forbidden: User "
			    "\"system:cozypkg-controllers\" cannot delete "
			    "resource \"packages\" in API group "
			    "\"cozystack.io\" at the cluster scope");
	free(path);
	path = cz_kube_path(packages(), NULL, NULL, NULL, NULL);
	assert_int_equal(cz_kube_delete(k, path, NULL, NULL, &err), CZ_EDENIED);
	free(path);
	/* Still there. */
	assert_int_equal(run(&e, "get", "a", NULL, NULL, &out, &code), CZ_OK);
	json_decref(out);
	cz_kube_free(k);
	env_close(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_sets_server_metadata),
		cmocka_unit_test(test_update_rules),
		cmocka_unit_test(test_finalizers_hold_deletion),
		cmocka_unit_test(test_delete_preconditions),
		cmocka_unit_test(test_inprocess_authorisation),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
