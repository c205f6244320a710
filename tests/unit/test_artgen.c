/* The artifact generator's pure pieces: the route's path check, artifact
 * URLs, ExternalArtifact objects and status, the generator's condition,
 * publishing targets. */

#include "helpers.h"

#include <stdlib.h>

#include "controller/artgen.h"
#include "util/mem.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:" HEX

static void test_url_digest_accepts_exact_shape(void **state)
{
	char d[CZ_DIGEST_MAX];

	(void)state;
	assert_true(cz_artifact_url_digest("/artifacts/sha256/" HEX ".tar.gz", d));
	assert_string_equal(d, DIGEST);
}

static void test_url_digest_refuses_everything_else(void **state)
{
	static const char *const bad[] = {
		"/artifacts/sha256/../../store.db",
		"/artifacts/sha256/" HEX ".tar.gz/",
		"/artifacts/sha256/" HEX ".tar",
		"/artifacts/sha256/" HEX,
		"/artifacts/sha256/0" HEX ".tar.gz",
		"/artifacts/sha256/" "0123456789ABCDEF0123456789abcdef0123456789"
		"abcdef0123456789abcdef.tar.gz",
		"/artifacts/sha512/" HEX ".tar.gz",
		"/artifacts//sha256/" HEX ".tar.gz",
		"//artifacts/sha256/" HEX ".tar.gz",
		"/artifacts/sha256/" HEX ".tar.gz?x=1",
		"/artifacts/sha256/../sha256/" HEX ".tar.gz",
		"/artifacts/index/x.json",
		"/artifacts/",
		"/artifacts",
		"",
		NULL,
	};
	char d[CZ_DIGEST_MAX];

	(void)state;
	for (size_t i = 0; bad[i]; i++)
		assert_false(cz_artifact_url_digest(bad[i], d));
	assert_false(cz_artifact_url_digest(NULL, d));
	/* 63 hex digits and a non-hex one. */
	assert_false(cz_artifact_url_digest(
		"/artifacts/sha256/0123456789abcdef0123456789abcdef0123456789abc"
		"def0123456789abcdeg.tar.gz",
		d));
}

static void test_artifact_url(void **state)
{
	char *u;

	(void)state;
	u = cz_artifact_url("https://127.0.0.1:8443", DIGEST);
	assert_string_equal(u, "https://127.0.0.1:8443/artifacts/sha256/" HEX
			       ".tar.gz");
	free(u);
	u = cz_artifact_url("https://h/", DIGEST);
	assert_string_equal(u, "https://h/artifacts/sha256/" HEX ".tar.gz");
	free(u);
	assert_null(cz_artifact_url("https://h", "sha256:abc"));
	assert_null(cz_artifact_url("https://h", "md5:" HEX));
}

static cz_assembled item_ok(void)
{
	cz_assembled it;

	memset(&it, 0, sizeof(it));
	it.name = "example-webapp-default-webapp";
	it.variant = "default";
	it.component = "webapp";
	it.path = "apps/webapp";
	strcpy(it.chart.name, "webapp");
	strcpy(it.chart.version, "0.1.0+abc");
	strcpy(it.result.digest, DIGEST);
	it.result.size = 1234;
	return it;
}

static void test_external_artifact_object(void **state)
{
	json_t *src = json_pack("{s:{s:s, s:s}}", "metadata", "name",
				"example.webapp", "uid", "u-1");
	cz_assembled it = item_ok();
	json_t *ea = cz_external_artifact_new(src, &it);
	json_t *meta = json_object_get(ea, "metadata");
	json_t *owner = json_array_get(json_object_get(meta, "ownerReferences"),
				       0);
	json_t *labels = json_object_get(meta, "labels");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(ea, "kind")),
			    "ExternalArtifact");
	assert_string_equal(
		json_string_value(json_object_get(ea, "apiVersion")),
		"source.toolkit.fluxcd.io/v1");
	assert_string_equal(json_string_value(json_object_get(meta, "name")),
			    "example-webapp-default-webapp");
	assert_string_equal(
		json_string_value(json_object_get(meta, "namespace")),
		"cozy-system");
	assert_string_equal(json_string_value(json_object_get(
				    labels, "cozystack.io/packagesource")),
			    "example.webapp");
	assert_string_equal(json_string_value(json_object_get(
				    labels, "cozystack.io/component")),
			    "webapp");
	assert_string_equal(json_string_value(json_object_get(owner, "uid")),
			    "u-1");
	assert_string_equal(json_string_value(json_object_get(owner, "kind")),
			    "PackageSource");
	assert_true(json_is_true(json_object_get(owner, "controller")));
	assert_null(json_object_get(ea, "status"));
	json_decref(ea);
	json_decref(src);
}

static const char *ready_field(const json_t *status, const char *key)
{
	return json_string_value(json_object_get(
		json_array_get(json_object_get(status, "conditions"), 0), key));
}

static void test_external_artifact_status(void **state)
{
	cz_assembled it = item_ok();
	json_t *s1 = cz_external_artifact_status(NULL, "https://h:1", &it, NULL);
	json_t *a = json_object_get(s1, "artifact");
	json_t *s2;
	json_t *s3;
	json_t *s4;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(a, "url")),
			    "https://h:1/artifacts/sha256/" HEX ".tar.gz");
	assert_string_equal(json_string_value(json_object_get(a, "path")),
			    "sha256/" HEX ".tar.gz");
	assert_string_equal(json_string_value(json_object_get(a, "revision")),
			    "latest@" DIGEST);
	assert_string_equal(json_string_value(json_object_get(a, "digest")),
			    DIGEST);
	assert_int_equal(json_integer_value(json_object_get(a, "size")), 1234);
	assert_non_null(json_object_get(a, "lastUpdateTime"));
	assert_string_equal(ready_field(s1, "status"), "True");
	assert_string_equal(ready_field(s1, "reason"), "Succeeded");
	/* Built again from the same content: nothing to write. */
	json_object_set_new(a, "lastUpdateTime",
			    json_string("2020-01-01T00:00:00Z"));
	s2 = cz_external_artifact_status(s1, "https://h:1", &it, NULL);
	assert_true(cz_external_artifact_status_same(s1, s2));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(s2, "artifact"), "lastUpdateTime")),
		"2020-01-01T00:00:00Z");
	/* A publish failure: artifact kept, Ready False. */
	s3 = cz_external_artifact_status(s2, "https://h:1", &it, "down");
	assert_false(cz_external_artifact_status_same(s2, s3));
	assert_string_equal(ready_field(s3, "reason"), "PublishFailed");
	assert_string_equal(ready_field(s3, "message"), "down");
	assert_non_null(json_object_get(s3, "artifact"));
	/* A failed build keeps the last good artifact. */
	cz_fail(&it.error, CZ_EINVALID, "component x/y: path \"p\": bad");
	s4 = cz_external_artifact_status(s2, "https://h:1", &it, NULL);
	assert_string_equal(ready_field(s4, "reason"), "BuildFailed");
	assert_string_equal(ready_field(s4, "message"),
			    "component x/y: path \"p\": bad");
	assert_true(json_equal(json_object_get(s4, "artifact"),
			       json_object_get(s2, "artifact")));
	json_decref(s1);
	json_decref(s2);
	json_decref(s3);
	json_decref(s4);
}

static void test_generator_condition(void **state)
{
	cz_assembled items[3];
	cz_assembly a;
	json_t *c;

	(void)state;
	items[0] = item_ok();
	items[1] = item_ok();
	items[2] = item_ok();
	memset(&a, 0, sizeof(a));
	a.items = items;
	a.nitems = 3;
	c = cz_artgen_condition(&a, "latest@sha256:1");
	assert_string_equal(json_string_value(json_object_get(c, "status")),
			    "True");
	assert_string_equal(json_string_value(json_object_get(c, "message")),
			    "reconciliation succeeded, generated 3 artifact(s) "
			    "from revision latest@sha256:1");
	json_decref(c);
	cz_fail(&items[0].error, CZ_ENOTFOUND,
		"component s/a: path \"x\": directory not found in the source");
	cz_fail(&items[2].error, CZ_EINVALID,
		"component s/c: path \"z\": Chart.yaml: no version");
	a.nerrors = 2;
	c = cz_artgen_condition(&a, NULL);
	assert_string_equal(json_string_value(json_object_get(c, "status")),
			    "False");
	assert_string_equal(json_string_value(json_object_get(c, "reason")),
			    "BuildFailed");
	assert_string_equal(
		json_string_value(json_object_get(c, "message")),
		"component s/a: path \"x\": directory not found in the source; "
		"component s/c: path \"z\": Chart.yaml: no version");
	json_decref(c);
}

static void test_publish_target(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	char *host = NULL;
	char *path = NULL;
	char *repo;

	(void)state;
	assert_int_equal(cz_publish_target_parse("oci://127.0.0.1:5000/charts/x/",
						 &host, &path, &err),
			 CZ_OK);
	assert_string_equal(host, "127.0.0.1:5000");
	assert_string_equal(path, "charts/x");
	repo = cz_publish_repo(path, "a-b-c");
	assert_string_equal(repo, "charts/x/a-b-c");
	free(repo);
	free(host);
	free(path);
	assert_int_equal(cz_publish_target_parse("oci://reg.example", &host,
						 &path, &err),
			 CZ_OK);
	assert_string_equal(host, "reg.example");
	assert_string_equal(path, "");
	repo = cz_publish_repo(path, "a");
	assert_string_equal(repo, "a");
	free(repo);
	free(host);
	free(path);
	assert_int_equal(cz_publish_target_parse("https://reg/x", &host, &path,
						 &err),
			 CZ_EINVALID);
	assert_int_equal(cz_publish_target_parse("oci:///x", &host, &path,
						 &err),
			 CZ_EINVALID);
	assert_int_equal(cz_publish_target_parse("oci://reg/Bad/Path", &host,
						 &path, &err),
			 CZ_EINVALID);
	assert_null(host);
	assert_null(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_digest_accepts_exact_shape),
		cmocka_unit_test(test_url_digest_refuses_everything_else),
		cmocka_unit_test(test_artifact_url),
		cmocka_unit_test(test_external_artifact_object),
		cmocka_unit_test(test_external_artifact_status),
		cmocka_unit_test(test_generator_condition),
		cmocka_unit_test(test_publish_target),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
