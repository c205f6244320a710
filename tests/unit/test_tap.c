/* What a tap writes for a marketplace index entry: the objects
 * cozypkgd's /market/search hands to the dashboard, built by the same
 * code as `cozypkg tap NAME`'s. */

#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "market/index.h"
#include "market/tap.h"
#include "util/mem.h"

#define PEM "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"

/* An entry pinned to a digest and signed with a key: the Secret first,
 * then the OCIRepository following the digest and verifying with it, as
 * `cozypkg tap NAME` writes them; JSON as `cozypkg search -o json`. */
static void test_tap_for_entry(void **state)
{
	char digest[] = "sha256:0123456789012345678901234567890123456789"
			"012345678901234567890123";
	char *tags[] = { "demo" };
	cz_market_entry e = { 0 };
	cz_error err = CZ_ERROR_INIT;
	json_t *out = NULL, *repo, *spec, *secret, *j;

	(void)state;
	e.name = "acme.hello";
	e.oci_ref = "registry.example:5000/acme/hello.packages";
	e.version = "v1.0.0";
	e.digest = digest;
	e.description = "d";
	e.maintainer = "m";
	e.tags = tags;
	e.ntags = 1;
	e.signing = CZ_MARKET_SIGNED_KEY;
	e.signing_key = PEM;
	assert_int_equal(cz_tap_for_entry(&e, true, &out, &err), CZ_OK);
	assert_string_equal(json_string_value(json_object_get(out, "name")),
			    "tap-acme-hello-packages");
	assert_string_equal(json_string_value(json_object_get(out, "url")),
			    "oci://registry.example:5000/acme/hello.packages");
	assert_int_equal(json_array_size(json_object_get(out, "objects")), 2);
	secret = json_array_get(json_object_get(out, "objects"), 0);
	repo = json_array_get(json_object_get(out, "objects"), 1);
	assert_string_equal(json_string_value(json_object_get(secret, "kind")),
			    "Secret");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(secret, "metadata"), "name")),
		"tap-acme-hello-packages-cosign");
	spec = json_object_get(repo, "spec");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(spec, "ref"), "digest")),
			    digest);
	assert_null(json_object_get(json_object_get(spec, "ref"), "tag"));
	assert_true(json_is_true(json_object_get(spec, "insecure")));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(spec, "verify"),
					"secretRef"),
			"name")),
		"tap-acme-hello-packages-cosign");
	assert_string_equal(cz_tap_label(repo), "tap-acme-hello-packages");
	assert_string_equal(cz_tap_label(secret), "tap-acme-hello-packages");
	json_decref(out);

	/* Unsigned and not pinned: the version is the tag, no Secret. */
	e.digest = NULL;
	e.signing = CZ_MARKET_UNSIGNED;
	e.signing_key = NULL;
	assert_int_equal(cz_tap_for_entry(&e, false, &out, &err), CZ_OK);
	assert_int_equal(json_array_size(json_object_get(out, "objects")), 1);
	spec = json_object_get(json_array_get(json_object_get(out, "objects"),
					      0),
			       "spec");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(spec, "ref"), "tag")),
			    "v1.0.0");
	assert_null(json_object_get(spec, "verify"));
	assert_null(json_object_get(spec, "insecure"));
	json_decref(out);

	j = cz_market_entry_json(&e);
	assert_string_equal(json_string_value(json_object_get(j, "signed")),
			    "no");
	assert_null(json_object_get(j, "digest"));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(j, "tags"), 0)),
			    "demo");
	json_decref(j);

	/* A reference that does not parse gives no objects. */
	e.oci_ref = "not a reference";
	assert_int_equal(cz_tap_for_entry(&e, false, &out, &err), CZ_EINVALID);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_for_entry),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
