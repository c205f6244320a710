/* The OCI client's parsers: references, digests, WWW-Authenticate, Link,
 * docker config and manifests, including malformed and hostile input. */

#include "helpers.h"

#include <stdlib.h>

#include "oci/digest.h"
#include "oci/parse.h"
#include "oci/ref.h"
#include "util/buf.h"
#include "util/mem.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- references ------------------------------------------------------ */

static void test_ref_forms(void **state)
{
	cz_oci_ref r;
	cz_error err = CZ_ERROR_INIT;
	char *s;

	(void)state;
	assert_int_equal(cz_oci_ref_parse("oci://ghcr.io:443/cozystack/charts/"
					  "cilium:1.2.3",
					  &r, &err),
			 CZ_OK);
	assert_string_equal(r.host, "ghcr.io:443");
	assert_string_equal(r.repo, "cozystack/charts/cilium");
	assert_string_equal(r.tag, "1.2.3");
	assert_null(r.digest);
	assert_string_equal(cz_oci_ref_reference(&r), "1.2.3");
	cz_oci_ref_release(&r);

	assert_int_equal(cz_oci_ref_parse("localhost:5000/a/b@sha256:" D64, &r,
					  &err),
			 CZ_OK);
	assert_null(r.tag);
	assert_string_equal(r.digest, "sha256:" D64);
	assert_string_equal(cz_oci_ref_reference(&r), "sha256:" D64);
	cz_oci_ref_release(&r);

	assert_int_equal(cz_oci_ref_parse("oci://[::1]:5000/x/y:v1_2@sha256:" D64,
					  &r, &err),
			 CZ_OK);
	assert_string_equal(r.host, "[::1]:5000");
	assert_string_equal(r.tag, "v1_2");
	s = cz_oci_ref_format(&r);
	assert_string_equal(s, "[::1]:5000/x/y:v1_2@sha256:" D64);
	free(s);
	cz_oci_ref_release(&r);

	/* Neither tag nor digest: "latest". */
	assert_int_equal(cz_oci_ref_parse("registry.local/app", &r, &err), CZ_OK);
	assert_string_equal(cz_oci_ref_reference(&r), "latest");
	cz_oci_ref_release(&r);

	/* Separators a name may hold. */
	assert_int_equal(cz_oci_ref_parse("h/a.b/c__d/e---f/g_h:t", &r, &err),
			 CZ_OK);
	cz_oci_ref_release(&r);
}

static const char *ref_fails(const char *text)
{
	static cz_error err;
	cz_oci_ref r;

	cz_error_clear(&err);
	assert_int_equal(cz_oci_ref_parse(text, &r, &err), CZ_EINVALID);
	assert_null(r.host);
	assert_null(r.repo);
	return err.msg;
}

static void test_ref_errors(void **state)
{
	char long_name[400];

	(void)state;
	assert_contains(ref_fails(""), "empty");
	assert_contains(ref_fails("https://h/a:1"), "scheme must be oci://");
	assert_contains(ref_fails("oci://h"), "no repository after the host");
	assert_contains(ref_fails("oci://h:0/a"), "bad host \"h:0\"");
	assert_contains(ref_fails("oci://h:123456/a"), "bad host");
	assert_contains(ref_fails("oci://-h/a"), "bad host");
	assert_contains(ref_fails("oci://h_x/a"), "bad host");
	assert_contains(ref_fails("oci://h/A/b"), "bad repository name \"A/b\"");
	assert_contains(ref_fails("oci://h/a//b"), "bad repository name");
	assert_contains(ref_fails("oci://h/a/"), "bad repository name");
	assert_contains(ref_fails("oci://h/a..b"), "bad repository name");
	assert_contains(ref_fails("oci://h/a/../b"), "bad repository name");
	assert_contains(ref_fails("oci://h/a_-b"), "bad repository name");
	assert_contains(ref_fails("oci://h/a:"), "bad tag \"\"");
	assert_contains(ref_fails("oci://h/a:.x"), "bad tag \".x\"");
	assert_contains(ref_fails("oci://h/a:1+2"), "bad tag \"1+2\"");
	assert_contains(ref_fails("oci://h/a@sha256:abc"), "bad digest");
	assert_contains(ref_fails("oci://h/a@sha256:" D64 "0"), "bad digest");
	assert_contains(ref_fails("oci://h/a@SHA256:" D64), "bad digest");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memcpy(long_name, "oci://h/", 8);
	assert_contains(ref_fails(long_name), "longer than");
}

static void test_tags_and_digests(void **state)
{
	char *tag;
	char tag129[130];
	char d[CZ_OCI_DIGEST_BUF];

	(void)state;
	tag = cz_oci_tag_from_version("1.2.3+build.7");
	assert_string_equal(tag, "1.2.3_build.7");
	assert_true(cz_oci_tag_valid(tag));
	free(tag);
	memset(tag129, 'a', 129);
	tag129[129] = '\0';
	assert_false(cz_oci_tag_valid(tag129));
	tag129[128] = '\0';
	assert_true(cz_oci_tag_valid(tag129));
	assert_true(cz_oci_digest_valid("sha256:" D64));
	assert_true(cz_oci_digest_valid("sha512:" D64 D64));
	assert_true(cz_oci_digest_valid("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"));
	assert_false(cz_oci_digest_valid("sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(cz_oci_digest_valid("sha256:"));
	assert_false(cz_oci_digest_valid(":abc"));
	assert_false(cz_oci_digest_valid("sha256"));
	assert_false(cz_oci_digest_valid("x:a/b"));
	assert_false(cz_oci_digest_is_sha256("sha512:" D64 D64));
	assert_int_equal(cz_oci_digest_bytes("", 0, d, NULL), CZ_OK);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* ---- WWW-Authenticate ----------------------------------------------- */

static void test_challenge_bearer(void **state)
{
	cz_oci_challenge c;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_oci_challenge_parse(
				 "Bearer realm=\"https://auth.docker.io/token\","
				 "service=\"registry.docker.io\","
				 "scope=\"repository:samalba/my-app:pull,push\"",
				 &c, &err),
			 CZ_OK);
	assert_true(cz_oci_challenge_is(&c, "bearer"));
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:samalba/my-app:pull,push");
	assert_null(c.error);
	cz_oci_challenge_release(&c);

	/* Spaces, token values, escapes, unknown and repeated parameters,
	 * error="insufficient_scope". */
	assert_int_equal(cz_oci_challenge_parse(
				 "bearer  realm = \"https://a/t?x=\\\"y\\\"\" , "
				 "service=reg, foo=bar, realm=\"ignored\", "
				 "error=\"insufficient_scope\"",
				 &c, &err),
			 CZ_OK);
	assert_string_equal(c.realm, "https://a/t?x=\"y\"");
	assert_string_equal(c.service, "reg");
	assert_string_equal(c.error, "insufficient_scope");
	assert_null(c.scope);
	cz_oci_challenge_release(&c);

	/* Several challenges: Bearer wins. */
	assert_int_equal(cz_oci_challenge_parse(
				 "Basic realm=\"x\", Bearer realm=\"https://t\", "
				 "Negotiate abc==",
				 &c, &err),
			 CZ_OK);
	assert_true(cz_oci_challenge_is(&c, "Bearer"));
	assert_string_equal(c.realm, "https://t");
	cz_oci_challenge_release(&c);
	assert_int_equal(cz_oci_challenge_parse("Basic realm=\"Registry\"", &c,
						&err),
			 CZ_OK);
	assert_true(cz_oci_challenge_is(&c, "Basic"));
	assert_string_equal(c.realm, "Registry");
	cz_oci_challenge_release(&c);
}

static void test_challenge_malformed(void **state)
{
	cz_oci_challenge c;
	cz_error err = CZ_ERROR_INIT;
	cz_buf big;

	(void)state;
	assert_int_equal(cz_oci_challenge_parse("", &c, &err), CZ_EINVALID);
	assert_int_equal(cz_oci_challenge_parse(NULL, &c, &err), CZ_EINVALID);
	assert_int_equal(cz_oci_challenge_parse("Bearer realm=\"open", &c, &err),
			 CZ_EINVALID);
	assert_contains(err.msg, "unterminated");
	assert_int_equal(cz_oci_challenge_parse("\"Bearer\"", &c, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_oci_challenge_parse("Bearer realm=\"a\" junk\"", &c,
						&err),
			 CZ_EINVALID);
	assert_null(c.scheme);
	cz_buf_init(&big, CZ_BUF_UNLIMITED);
	cz_buf_puts(&big, "Bearer realm=\"");
	for (int i = 0; i < 10000; i++)
		cz_buf_putc(&big, 'a');
	cz_buf_puts(&big, "\"");
	assert_int_equal(cz_oci_challenge_parse(big.data, &c, &err),
			 CZ_ETOOLARGE);
	cz_buf_release(&big);
}

/* ---- Link ------------------------------------------------------------ */

static void test_link(void **state)
{
	char *url = NULL;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_oci_link_next("</v2/x/tags/list?n=2&last=b>; "
					  "rel=\"next\"",
					  &url, &err),
			 CZ_OK);
	assert_string_equal(url, "/v2/x/tags/list?n=2&last=b");
	free(url);
	assert_int_equal(cz_oci_link_next("<https://a/prev>; rel=prev, "
					  "<https://a/n>;type=\"x\"; "
					  "rel=\"first next\"",
					  &url, &err),
			 CZ_OK);
	assert_string_equal(url, "https://a/n");
	free(url);
	assert_int_equal(cz_oci_link_next("<https://a/prev>; rel=\"prev\"", &url,
					  &err),
			 CZ_OK);
	assert_null(url);
	assert_int_equal(cz_oci_link_next("", &url, &err), CZ_OK);
	assert_null(url);
	assert_int_equal(cz_oci_link_next("/v2/x; rel=next", &url, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_oci_link_next("<unterminated; rel=next", &url, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_oci_link_next("<a>; rel=\"next", &url, &err),
			 CZ_EINVALID);
	assert_int_equal(cz_oci_link_next("<a> junk", &url, &err), CZ_EINVALID);
	assert_null(url);
}

/* ---- docker config --------------------------------------------------- */

static void test_docker_config(void **state)
{
	/* "YWxpY2U6cDQ1czp3b3Jk" is base64("alice:p45s:word"). */
	const char *cfg =
		"{\"auths\":{\"other:5000\":{\"auth\":\"eDp5\"},"
		"\"https://reg.example:5000/v1/\":{\"auth\":\"YWxpY2U6cDQ1czp3b3Jk\"},"
		"\"plain.example\":{\"username\":\"bob\",\"password\":\"pw\"}}}";
	char *user = NULL, *pass = NULL;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_oci_docker_config_lookup(cfg, strlen(cfg),
						     "reg.example:5000", &user,
						     &pass, &err),
			 CZ_OK);
	assert_string_equal(user, "alice");
	assert_string_equal(pass, "p45s:word");
	free(user);
	free(pass);
	assert_int_equal(cz_oci_docker_config_lookup(cfg, strlen(cfg),
						     "plain.example", &user,
						     &pass, &err),
			 CZ_OK);
	assert_string_equal(user, "bob");
	assert_string_equal(pass, "pw");
	free(user);
	free(pass);
	assert_int_equal(cz_oci_docker_config_lookup(cfg, strlen(cfg),
						     "reg.example", &user, &pass,
						     &err),
			 CZ_ENOTFOUND);
	assert_null(user);
	/* The older .dockercfg form. */
	cfg = "{\"h\":{\"auth\":\"eDp5\"}}";
	assert_int_equal(cz_oci_docker_config_lookup(cfg, strlen(cfg), "h",
						     &user, &pass, &err),
			 CZ_OK);
	assert_string_equal(user, "x");
	assert_string_equal(pass, "y");
	free(user);
	free(pass);
}

static void docker_config_fails(const char *cfg, const char *want)
{
	char *user = NULL, *pass = NULL;
	cz_error err = CZ_ERROR_INIT;

	assert_int_equal(cz_oci_docker_config_lookup(cfg, strlen(cfg), "h",
						     &user, &pass, &err),
			 CZ_EINVALID);
	assert_contains(err.msg, want);
	assert_null(user);
	assert_null(pass);
	/* No secret in any message. */
	assert_null(strstr(err.msg, "s3cret"));
}

static void test_docker_config_malformed(void **state)
{
	(void)state;
	docker_config_fails("", "not a JSON object");
	docker_config_fails("[1]", "not a JSON object");
	docker_config_fails("{\"auths\":{\"h\":{\"auth\":\"s3cret\"}}", "not a JSON");
	docker_config_fails("{\"auths\":[]}", "auths is not an object");
	docker_config_fails("{\"auths\":{\"h\":\"s3cret\"}}", "is not an object");
	docker_config_fails("{\"auths\":{\"h\":{\"auth\":\"!!s3cret\"}}}",
			    "not base64 of user:password");
	/* base64("s3cret") has no colon. */
	docker_config_fails("{\"auths\":{\"h\":{\"auth\":\"czNjcmV0\"}}}",
			    "not base64 of user:password");
	docker_config_fails("{\"auths\":{\"h\":{\"username\":\"u\"}}}",
			    "neither auth nor username and password");
	docker_config_fails("{\"auths\":{\"h\":{\"auth\":\"eDp5\"},\"h\":{}}}",
			    "not a JSON object");
}

/* ---- manifests ------------------------------------------------------- */

#define CHART_MANIFEST                                                         \
	"{\"schemaVersion\":2,\"mediaType\":\"" CZ_OCI_MT_MANIFEST "\","      \
	"\"config\":{\"mediaType\":\"" CZ_OCI_MT_HELM_CONFIG "\","            \
	"\"digest\":\"sha256:" D64 "\",\"size\":117},"                         \
	"\"layers\":[{\"mediaType\":\"" CZ_OCI_MT_HELM_CHART "\","            \
	"\"digest\":\"sha256:" D64 "\",\"size\":3645,"                         \
	"\"annotations\":{\"org.opencontainers.image.title\":\"c.tgz\"}}],"   \
	"\"annotations\":{\"org.opencontainers.image.version\":\"1.0.0\"}}"

static void test_manifest_chart(void **state)
{
	cz_oci_manifest m;
	cz_error err = CZ_ERROR_INIT;
	const char *text = CHART_MANIFEST;

	(void)state;
	assert_int_equal(cz_oci_manifest_parse(text, strlen(text),
					       CZ_OCI_MT_MANIFEST, &m, &err),
			 CZ_OK);
	assert_false(m.is_index);
	assert_string_equal(m.media_type, CZ_OCI_MT_MANIFEST);
	assert_true(m.has_config);
	assert_string_equal(m.config.media_type, CZ_OCI_MT_HELM_CONFIG);
	assert_int_equal(m.config.size, 117);
	assert_int_equal(m.n_layers, 1);
	assert_string_equal(m.layers[0].media_type, CZ_OCI_MT_HELM_CHART);
	assert_int_equal(m.layers[0].size, 3645);
	assert_string_equal(cz_oci_annotation_get(m.layers[0].annotations,
						  m.layers[0].n_annotations,
						  "org.opencontainers.image.title"),
			    "c.tgz");
	assert_string_equal(cz_oci_annotation_get(m.annotations, m.n_annotations,
						  "org.opencontainers.image.version"),
			    "1.0.0");
	cz_oci_manifest_release(&m);
}

static void test_manifest_kinds(void **state)
{
	cz_oci_manifest m;
	cz_error err = CZ_ERROR_INIT;
	const char *index =
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" CZ_OCI_MT_MANIFEST
		"\",\"digest\":\"sha256:" D64 "\",\"size\":7,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	const char *docker =
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":"
		"\"sha256:" D64 "\",\"size\":1},\"layers\":[]}";

	(void)state;
	/* An index told by its Content-Type, then by its shape. */
	assert_int_equal(cz_oci_manifest_parse(index, strlen(index),
					       CZ_OCI_MT_INDEX, &m, &err),
			 CZ_OK);
	assert_true(m.is_index);
	assert_int_equal(m.n_manifests, 1);
	assert_string_equal(m.manifests[0].platform_os, "linux");
	assert_string_equal(m.manifests[0].platform_arch, "amd64");
	cz_oci_manifest_release(&m);
	assert_int_equal(cz_oci_manifest_parse(index, strlen(index),
					       "application/json", &m, &err),
			 CZ_OK);
	assert_true(m.is_index);
	assert_string_equal(m.media_type, CZ_OCI_MT_INDEX);
	cz_oci_manifest_release(&m);
	/* Docker schema 2 by Content-Type (with parameters). */
	assert_int_equal(cz_oci_manifest_parse(docker, strlen(docker),
					       CZ_OCI_MT_DOCKER_MANIFEST
					       "; charset=utf-8",
					       &m, &err),
			 CZ_OK);
	assert_false(m.is_index);
	assert_string_equal(m.media_type, CZ_OCI_MT_DOCKER_MANIFEST);
	assert_int_equal(m.n_layers, 0);
	cz_oci_manifest_release(&m);
	assert_int_equal(cz_oci_manifest_parse(index, strlen(index),
					       CZ_OCI_MT_DOCKER_LIST, &m, &err),
			 CZ_OK);
	assert_true(m.is_index);
	cz_oci_manifest_release(&m);
}

static void manifest_fails(const char *text, const char *content_type,
			   int code, const char *want)
{
	cz_oci_manifest m;
	cz_error err = CZ_ERROR_INIT;

	assert_int_equal(cz_oci_manifest_parse(text, strlen(text), content_type,
					       &m, &err),
			 code);
	assert_contains(err.msg, want);
	assert_null(m.layers);
	assert_null(m.media_type);
}

static void test_manifest_malformed(void **state)
{
	(void)state;
	manifest_fails("", NULL, CZ_EINVALID, "manifest:");
	manifest_fails("[]", NULL, CZ_EINVALID, "not a JSON object");
	manifest_fails("{\"schemaVersion\":1,\"fsLayers\":[]}", NULL,
		       CZ_EINVALID, "schemaVersion is not 2");
	manifest_fails("{\"schemaVersion\":\"2\"}", NULL, CZ_EINVALID,
		       "schemaVersion");
	manifest_fails("{\"schemaVersion\":2}", NULL, CZ_EINVALID,
		       "neither an image manifest nor an index");
	manifest_fails("{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", NULL,
		       CZ_EINVALID, "unsupported mediaType");
	manifest_fails("{\"schemaVersion\":2,\"mediaType\":\"" CZ_OCI_MT_INDEX
		       "\",\"manifests\":[]}",
		       CZ_OCI_MT_MANIFEST, CZ_EINVALID, "does not match");
	manifest_fails("{\"schemaVersion\":2,\"layers\":[]}", NULL, CZ_EINVALID,
		       "config is not an object");
	manifest_fails("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		       "\"digest\":\"sha256:" D64 "\",\"size\":1}}",
		       NULL, CZ_EINVALID, "layers is missing");
	manifest_fails("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" D64
		       "\",\"size\":1},\"layers\":[]}",
		       NULL, CZ_EINVALID, "config has no mediaType");
	manifest_fails("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		       "\"digest\":\"md5:../../etc\",\"size\":1},\"layers\":[]}",
		       NULL, CZ_EINVALID, "config.digest is missing or malformed");
	manifest_fails("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		       "\"digest\":\"sha256:" D64 "\",\"size\":-1},\"layers\":[]}",
		       NULL, CZ_EINVALID, "config.size is not a non-negative");
	manifest_fails("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		       "\"digest\":\"sha256:" D64 "\",\"size\":1.5},\"layers\":[]}",
		       NULL, CZ_EINVALID, "config.size");
	manifest_fails("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		       "\"digest\":\"sha256:" D64 "\",\"size\":1},\"layers\":[7]}",
		       NULL, CZ_EINVALID, "layers[0] is not an object");
	manifest_fails("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		       "\"digest\":\"sha256:" D64 "\",\"size\":1,"
		       "\"annotations\":{\"k\":1}},\"layers\":[]}",
		       NULL, CZ_EINVALID, "config.annotations[\"k\"] is not a string");
	/* Duplicate keys could make two readers see two manifests. */
	manifest_fails("{\"schemaVersion\":2,\"schemaVersion\":2,\"layers\":[]}",
		       NULL, CZ_EINVALID, "duplicate");
	/* A NUL escape inside a string. */
	manifest_fails("{\"schemaVersion\":2,\"mediaType\":\"a\\u0000b\"}", NULL,
		       CZ_EINVALID, "manifest:");
}

static void test_manifest_hostile(void **state)
{
	cz_buf b;
	cz_oci_manifest m;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	/* Over the size cap: refused before parsing. */
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_puts(&b, "{\"schemaVersion\":2,\"x\":\"");
	while (b.len <= CZ_OCI_MANIFEST_MAX)
		cz_buf_puts(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	cz_buf_puts(&b, "\"}");
	assert_int_equal(cz_oci_manifest_parse(b.data, b.len, NULL, &m, &err),
			 CZ_ETOOLARGE);
	/* Too many layers. */
	cz_buf_reset(&b);
	cz_buf_puts(&b, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
			"\"digest\":\"sha256:" D64 "\",\"size\":1},\"layers\":[");
	for (int i = 0; i <= CZ_OCI_MAX_DESCRIPTORS; i++)
		cz_buf_printf(&b, "%s{\"mediaType\":\"x\",\"digest\":\"sha256:" D64
				  "\",\"size\":1}",
			      i ? "," : "");
	cz_buf_puts(&b, "]}");
	assert_int_equal(cz_oci_manifest_parse(b.data, b.len, NULL, &m, &err),
			 CZ_ETOOLARGE);
	assert_contains(err.msg, "more than 4096 layers");
	/* Deep nesting in an ignored member. */
	cz_buf_reset(&b);
	cz_buf_puts(&b, "{\"schemaVersion\":2,\"x\":");
	for (int i = 0; i < 100000; i++)
		cz_buf_putc(&b, '[');
	assert_int_equal(cz_oci_manifest_parse(b.data, b.len, NULL, &m, &err),
			 CZ_EINVALID);
	/* Too many annotations. */
	cz_buf_reset(&b);
	cz_buf_puts(&b, "{\"schemaVersion\":2,\"manifests\":[],\"annotations\":{");
	for (int i = 0; i <= CZ_OCI_MAX_ANNOTATIONS; i++)
		cz_buf_printf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
	cz_buf_puts(&b, "}}");
	assert_int_equal(cz_oci_manifest_parse(b.data, b.len, NULL, &m, &err),
			 CZ_ETOOLARGE);
	/* A size past 2^63 does not wrap to a small number. */
	cz_buf_reset(&b);
	cz_buf_puts(&b, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
			"\"digest\":\"sha256:" D64 "\",\"size\":18446744073709551615},"
			"\"layers\":[]}");
	assert_int_equal(cz_oci_manifest_parse(b.data, b.len, NULL, &m, &err),
			 CZ_EINVALID);
	cz_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_forms),
		cmocka_unit_test(test_ref_errors),
		cmocka_unit_test(test_tags_and_digests),
		cmocka_unit_test(test_challenge_bearer),
		cmocka_unit_test(test_challenge_malformed),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_docker_config),
		cmocka_unit_test(test_docker_config_malformed),
		cmocka_unit_test(test_manifest_chart),
		cmocka_unit_test(test_manifest_kinds),
		cmocka_unit_test(test_manifest_malformed),
		cmocka_unit_test(test_manifest_hostile),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
