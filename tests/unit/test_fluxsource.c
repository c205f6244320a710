/* The pure parts of the Flux source controller: the spec checks, OCI
 * reference precedence, revision strings, artifact names and URLs, and
 * status building. */

#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "controller/fluxsource.h"
#include "util/mem.h"

#define DIGEST_A                                                               \
	"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B                                                               \
	"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int read_ref(const char *json, cz_fs_oci_ref *out, json_t **keep,
		    cz_error *err)
{
	*keep = json ? json_loads(json, 0, NULL) : NULL;
	return cz_fs_oci_ref_read(*keep, out, err);
}

static void test_oci_ref_precedence(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_fs_oci_ref r;
	json_t *j = NULL;

	(void)state;
	assert_int_equal(read_ref(NULL, &r, &j, &err), CZ_OK);
	assert_int_equal(r.kind, CZ_FS_OCI_TAG);
	assert_string_equal(r.tag, "latest");
	json_decref(j);

	assert_int_equal(read_ref("{\"tag\":\"v1\"}", &r, &j, &err), CZ_OK);
	assert_int_equal(r.kind, CZ_FS_OCI_TAG);
	assert_string_equal(r.tag, "v1");
	json_decref(j);

	assert_int_equal(read_ref("{\"tag\":\"v1\",\"semver\":\"^1\","
				  "\"semverFilter\":\"-rc\"}",
				  &r, &j, &err),
			 CZ_OK);
	assert_int_equal(r.kind, CZ_FS_OCI_SEMVER);
	assert_string_equal(r.semver, "^1");
	assert_string_equal(r.semver_filter, "-rc");
	json_decref(j);

	assert_int_equal(read_ref("{\"tag\":\"v1\",\"semver\":\"^1\","
				  "\"digest\":\"" DIGEST_A "\"}",
				  &r, &j, &err),
			 CZ_OK);
	assert_int_equal(r.kind, CZ_FS_OCI_DIGEST);
	assert_string_equal(r.digest, DIGEST_A);
	json_decref(j);

	/* Empty strings count as unset. */
	assert_int_equal(read_ref("{\"digest\":\"\",\"semver\":\"\"}", &r, &j,
				  &err),
			 CZ_OK);
	assert_int_equal(r.kind, CZ_FS_OCI_TAG);
	json_decref(j);
}

static void test_oci_ref_invalid(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_fs_oci_ref r;
	json_t *j = NULL;

	(void)state;
	assert_int_equal(read_ref("{\"digest\":\"sha256:abc\"}", &r, &j, &err),
			 CZ_EINVALID);
	assert_contains(err.msg, "invalid digest 'sha256:abc'");
	json_decref(j);
	assert_int_equal(read_ref("{\"semver\":\">>1\"}", &r, &j, &err),
			 CZ_EINVALID);
	assert_contains(err.msg, "invalid semver constraint '>>1'");
	json_decref(j);
	assert_int_equal(read_ref("{\"tag\":\"-x\"}", &r, &j, &err),
			 CZ_EINVALID);
	assert_contains(err.msg, "invalid tag '-x'");
	json_decref(j);
}

/* Reads spec (JSON text) with cz_fs_oci_spec_read(); *keep holds the
 * parsed spec the result borrows from. */
static int read_oci_spec(const char *json, cz_fs_oci_spec *out,
			 const char **reason, json_t **keep, cz_error *err)
{
	*keep = json_loads(json, 0, NULL);
	assert_non_null(*keep);
	return cz_fs_oci_spec_read(*keep, out, reason, err);
}

/* A spec error: CZ_EINVALID, reason and message as the status shows them. */
static void assert_oci_spec_error(const char *json, const char *reason,
				  const char *message)
{
	cz_error err = CZ_ERROR_INIT;
	cz_fs_oci_spec s;
	const char *why = NULL;
	json_t *keep = NULL;

	assert_int_equal(read_oci_spec(json, &s, &why, &keep, &err),
			 CZ_EINVALID);
	assert_string_equal(why, reason);
	assert_contains(err.msg, message);
	/* Left empty: nothing to release, nothing borrowed. */
	assert_null(s.url.host);
	assert_null(s.url.repo);
	json_decref(keep);
}

static void test_oci_spec_errors(void **state)
{
	(void)state;
	assert_oci_spec_error("{}", "URLInvalid", "URL must start with oci://");
	assert_oci_spec_error("{\"url\":\"\"}", "URLInvalid",
			      "URL must start with oci://");
	assert_oci_spec_error("{\"url\":\"https://h/r\"}", "URLInvalid",
			      "URL must start with oci://");
	assert_oci_spec_error("{\"url\":\"oci://h/Bad\"}", "URLInvalid",
			      "invalid URL: ");
	assert_oci_spec_error("{\"url\":\"oci://h/r:v1\"}", "URLInvalid",
			      "URL must not name a tag or a digest; use "
			      "spec.ref");
	assert_oci_spec_error("{\"url\":\"oci://h/r@" DIGEST_A "\"}",
			      "URLInvalid",
			      "URL must not name a tag or a digest");
	assert_oci_spec_error("{\"url\":\"oci://h/r\","
			      "\"ref\":{\"semver\":\">>1\"}}",
			      "InvalidReference",
			      "invalid semver constraint '>>1'");
	assert_oci_spec_error("{\"url\":\"oci://h/r\","
			      "\"ref\":{\"digest\":\"sha256:abc\"}}",
			      "InvalidReference",
			      "invalid digest 'sha256:abc'");
	assert_oci_spec_error("{\"url\":\"oci://h/r\","
			      "\"ref\":{\"tag\":\"-x\"}}",
			      "InvalidReference", "invalid tag '-x'");
	assert_oci_spec_error("{\"url\":\"oci://h/r\","
			      "\"layerSelector\":{\"operation\":\"move\"}}",
			      "InvalidLayerSelector",
			      "layerSelector.operation must be extract or "
			      "copy");
	/* The checks run in the order of the fields: the URL first. */
	assert_oci_spec_error("{\"url\":\"oci://h/r:v1\","
			      "\"ref\":{\"semver\":\">>1\"},"
			      "\"layerSelector\":{\"operation\":\"move\"}}",
			      "URLInvalid", "URL must not name a tag");
	assert_oci_spec_error("{\"url\":\"oci://h/r\","
			      "\"ref\":{\"semver\":\">>1\"},"
			      "\"layerSelector\":{\"operation\":\"move\"}}",
			      "InvalidReference", "invalid semver constraint");
}

static void test_oci_spec_read(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_fs_oci_spec s;
	const char *why = NULL;
	json_t *keep = NULL;

	(void)state;
	assert_int_equal(
		read_oci_spec("{\"url\":\"oci://h:5000/a/b\","
			      "\"ref\":{\"semver\":\"^1\"},"
			      "\"layerSelector\":{\"operation\":\"copy\","
			      "\"mediaType\":\"application/x-tar\"},"
			      "\"insecure\":true,"
			      "\"secretRef\":{\"name\":\"pull\"},"
			      "\"certSecretRef\":{\"name\":\"ca\"}}",
			      &s, &why, &keep, &err),
		CZ_OK);
	assert_null(why);
	assert_string_equal(s.url.host, "h:5000");
	assert_string_equal(s.url.repo, "a/b");
	assert_int_equal(s.ref.kind, CZ_FS_OCI_SEMVER);
	assert_string_equal(s.ref.semver, "^1");
	assert_string_equal(s.layer_media_type, "application/x-tar");
	assert_true(s.layer_copy);
	assert_true(s.insecure);
	assert_string_equal(s.secret_name, "pull");
	assert_string_equal(s.cert_secret_name, "ca");
	cz_fs_oci_spec_release(&s);
	assert_null(s.url.host);
	json_decref(keep);

	/* The defaults: tag latest, first layer extracted, no secrets (an
	 * empty name is none). */
	assert_int_equal(read_oci_spec("{\"url\":\"oci://h/r\","
				       "\"layerSelector\":{\"operation\":"
				       "\"extract\"},"
				       "\"secretRef\":{\"name\":\"\"}}",
				       &s, &why, &keep, &err),
			 CZ_OK);
	assert_int_equal(s.ref.kind, CZ_FS_OCI_TAG);
	assert_string_equal(s.ref.tag, "latest");
	assert_null(s.layer_media_type);
	assert_false(s.layer_copy);
	assert_false(s.insecure);
	assert_null(s.secret_name);
	assert_null(s.cert_secret_name);
	cz_fs_oci_spec_release(&s);
	json_decref(keep);
}

static int read_git_spec(const char *json, cz_fs_git_spec *out,
			 const char **reason, json_t **keep, cz_error *err)
{
	*keep = json_loads(json, 0, NULL);
	assert_non_null(*keep);
	return cz_fs_git_spec_read(*keep, out, reason, err);
}

static void test_git_spec_errors(void **state)
{
	static const char *const bad_urls[] = {
		"{}",
		"{\"url\":\"\"}",
		"{\"url\":\"git://h/r\"}",
		"{\"url\":\"/srv/repo\"}",
		"{\"url\":\"h:r.git\",\"ref\":{\"semver\":\">>1\"}}",
	};
	cz_error err = CZ_ERROR_INIT;
	cz_fs_git_spec s;
	const char *why = NULL;
	json_t *keep = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		assert_int_equal(read_git_spec(bad_urls[i], &s, &why, &keep,
					       &err),
				 CZ_EINVALID);
		assert_string_equal(why, "URLInvalid");
		assert_string_equal(err.msg, "URL must start with https://, "
					     "http://, ssh:// or file://");
		json_decref(keep);
	}
	assert_int_equal(read_git_spec("{\"url\":\"https://h/r\","
				       "\"ref\":{\"semver\":\">>1\"}}",
				       &s, &why, &keep, &err),
			 CZ_EINVALID);
	assert_string_equal(why, "InvalidReference");
	assert_contains(err.msg, "invalid semver constraint '>>1'");
	json_decref(keep);
}

static void test_git_spec_read(void **state)
{
	static const char *const good_urls[] = {
		"https://h/r", "http://h/r", "ssh://git@h/r", "file:///srv/r",
	};
	cz_error err = CZ_ERROR_INIT;
	cz_fs_git_spec s;
	const char *why = NULL;
	json_t *keep = NULL;
	char *json;

	(void)state;
	for (size_t i = 0; i < sizeof(good_urls) / sizeof(good_urls[0]);
	     i++) {
		json = cz_xasprintf("{\"url\":\"%s\"}", good_urls[i]);
		assert_int_equal(read_git_spec(json, &s, &why, &keep, &err),
				 CZ_OK);
		assert_string_equal(s.url, good_urls[i]);
		assert_null(s.ref.branch);
		assert_null(s.secret_name);
		json_decref(keep);
		free(json);
	}
	assert_int_equal(read_git_spec("{\"url\":\"https://h/r\","
				       "\"ref\":{\"branch\":\"main\","
				       "\"tag\":\"v1\",\"semver\":\"^1\","
				       "\"name\":\"refs/pull/1/head\","
				       "\"commit\":\"\"},"
				       "\"secretRef\":{\"name\":\"auth\"}}",
				       &s, &why, &keep, &err),
			 CZ_OK);
	assert_null(why);
	assert_string_equal(s.ref.branch, "main");
	assert_string_equal(s.ref.tag, "v1");
	assert_string_equal(s.ref.semver, "^1");
	assert_string_equal(s.ref.name, "refs/pull/1/head");
	assert_null(s.ref.commit); /* empty counts as unset */
	assert_string_equal(s.secret_name, "auth");
	json_decref(keep);
}

static void test_strings(void **state)
{
	char *s;

	(void)state;
	s = cz_fs_oci_revision("v1", DIGEST_A);
	assert_string_equal(s, "v1@" DIGEST_A);
	free(s);
	s = cz_fs_oci_revision(NULL, DIGEST_A);
	assert_string_equal(s, DIGEST_A);
	free(s);
	s = cz_fs_artifact_name("GitRepository", "ns", "a.b");
	assert_string_equal(s, "GitRepository_ns_a.b");
	free(s);
	s = cz_fs_artifact_url("https://h:1/", DIGEST_B);
	assert_string_equal(s, "https://h:1/artifacts/sha256/"
			       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
			       "bbbbbbbbbbbbb.tar.gz");
	free(s);
}

static const char *cond(const json_t *st, const char *type, const char *key)
{
	size_t i;
	json_t *c;

	json_array_foreach (json_object_get(st, "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")),
			   type) == 0)
			return json_string_value(json_object_get(c, key));
	return NULL;
}

static cz_fs_outcome ready_outcome(const char *rev, const char *digest)
{
	cz_fs_outcome o;

	memset(&o, 0, sizeof(o));
	o.result = CZ_FS_READY;
	o.revision = rev;
	o.digest = digest;
	o.size = 42;
	o.path = "ocirepository/ns/n/x.tar.gz";
	o.url = "https://h/artifacts/sha256/x.tar.gz";
	return o;
}

static void test_status_ready_is_stable(void **state)
{
	cz_fs_outcome o = ready_outcome("v1@" DIGEST_A, DIGEST_B);
	json_t *a, *b, *c;

	(void)state;
	a = cz_fs_status_build(NULL, &o, 3, "now");
	assert_string_equal(cond(a, "Ready", "status"), "True");
	assert_string_equal(cond(a, "Ready", "reason"), "Succeeded");
	assert_string_equal(cond(a, "Ready", "message"),
			    "stored artifact for revision 'v1@" DIGEST_A "'");
	assert_string_equal(cond(a, "ArtifactInStorage", "status"), "True");
	assert_null(cond(a, "Reconciling", "status"));
	assert_int_equal(json_integer_value(json_object_get(a,
							    "observedGeneration")),
			 3);
	assert_string_equal(json_string_value(json_object_get(
				    a, "lastHandledReconcileAt")),
			    "now");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(a, "artifact"), "digest")),
			    DIGEST_B);
	/* The same outcome again: the same status (times kept). */
	json_object_set_new(json_object_get(a, "artifact"), "lastUpdateTime",
			    json_string("2020-01-01T00:00:00Z"));
	b = cz_fs_status_build(a, &o, 3, "now");
	assert_true(json_equal(a, b));
	/* A new revision: a new artifact time. */
	o = ready_outcome("v2@" DIGEST_A, DIGEST_A);
	c = cz_fs_status_build(b, &o, 3, "now");
	assert_string_not_equal(
		json_string_value(json_object_get(
			json_object_get(c, "artifact"), "lastUpdateTime")),
		"2020-01-01T00:00:00Z");
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_status_failures(void **state)
{
	cz_fs_outcome o = ready_outcome("v1@" DIGEST_A, DIGEST_B);
	cz_fs_outcome f;
	json_t *ok, *bad, *stalled, *prog;

	(void)state;
	ok = cz_fs_status_build(NULL, &o, 1, NULL);
	assert_null(json_object_get(ok, "lastHandledReconcileAt"));
	memset(&f, 0, sizeof(f));
	f.result = CZ_FS_FAILED;
	f.reason = "OCIArtifactPullFailed";
	f.message = "boom";
	bad = cz_fs_status_build(ok, &f, 2, NULL);
	/* The artifact stays, with its condition. */
	assert_true(json_equal(json_object_get(ok, "artifact"),
			       json_object_get(bad, "artifact")));
	assert_string_equal(cond(bad, "Ready", "status"), "False");
	assert_string_equal(cond(bad, "Ready", "reason"),
			    "OCIArtifactPullFailed");
	assert_string_equal(cond(bad, "FetchFailed", "status"), "True");
	assert_string_equal(cond(bad, "ArtifactInStorage", "status"), "True");
	assert_null(cond(bad, "Stalled", "status"));
	f.result = CZ_FS_STALLED;
	f.reason = "URLInvalid";
	stalled = cz_fs_status_build(NULL, &f, 4, NULL);
	assert_string_equal(cond(stalled, "Stalled", "reason"), "URLInvalid");
	assert_string_equal(cond(stalled, "Ready", "status"), "False");
	assert_null(json_object_get(stalled, "artifact"));
	assert_int_equal(json_integer_value(json_object_get(
				 stalled, "observedGeneration")),
			 4);
	/* Progressing keeps the previous observedGeneration. */
	memset(&f, 0, sizeof(f));
	f.result = CZ_FS_PROGRESSING;
	f.revision = "v2@" DIGEST_A;
	prog = cz_fs_status_build(ok, &f, 9, NULL);
	assert_string_equal(cond(prog, "Reconciling", "status"), "True");
	assert_string_equal(cond(prog, "Ready", "status"), "Unknown");
	assert_int_equal(json_integer_value(json_object_get(
				 prog, "observedGeneration")),
			 1);
	json_decref(ok);
	json_decref(bad);
	json_decref(stalled);
	json_decref(prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci_ref_precedence),
		cmocka_unit_test(test_oci_ref_invalid),
		cmocka_unit_test(test_oci_spec_errors),
		cmocka_unit_test(test_oci_spec_read),
		cmocka_unit_test(test_git_spec_errors),
		cmocka_unit_test(test_git_spec_read),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_status_ready_is_stable),
		cmocka_unit_test(test_status_failures),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
