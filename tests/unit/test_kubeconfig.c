/* kubeconfig files: writing, reading, resolving, and refusing bad ones. */

#include "helpers.h"
#include "tmpdir.h"

#include <stdlib.h>

#include "kube/kubeconfig.h"
#include "util/fileio.h"
#include "util/mem.h"

#define CA_PEM                                                                 \
	"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
/* base64 of CA_PEM */
#define CA_B64                                                                 \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJ" \
	"RklDQVRFLS0tLS0K"

static void kc_load_ok(const char *path, const char *context, cz_kubeconfig *kc)
{
	cz_error err = CZ_ERROR_INIT;

	if (cz_kubeconfig_load(path, context, kc, &err) != CZ_OK)
		fail_msg("cz_kubeconfig_load: %s", err.msg);
}

/* Writes text as dir/config and loads it expecting code; returns the
 * message. */
static const char *load_fails(const char *dir, const char *text, int code)
{
	static cz_error err;
	char *path = cz_xasprintf("%s/config", dir);
	cz_kubeconfig kc;

	cz_error_clear(&err);
	tmpdir_write(dir, "config", text);
	assert_int_equal(cz_kubeconfig_load(path, NULL, &kc, &err), code);
	assert_contains(err.msg, "kubeconfig ");
	assert_contains(err.msg, path);
	cz_kubeconfig_release(&kc);
	free(path);
	return err.msg;
}

static void test_write_load_round_trip(void **state)
{
	char *dir = tmpdir_make();
	char *path = cz_xasprintf("%s/admin.kubeconfig", dir);
	cz_error err = CZ_ERROR_INIT;
	cz_kubeconfig kc;
	char *text = NULL;

	(void)state;
	assert_int_equal(cz_kubeconfig_write(path, "https://127.0.0.1:6443",
					     CA_PEM, "tok123", "cozypkgd",
					     &err),
			 CZ_OK);
	assert_int_equal(tmpdir_mode(dir, "admin.kubeconfig"), 0600);
	assert_int_equal(cz_file_read(path, 65536, &text, NULL, &err), CZ_OK);
	assert_contains(text, "apiVersion: v1\n");
	assert_contains(text, "kind: Config\n");
	assert_contains(text, "current-context: cozypkgd\n");
	assert_contains(text, "certificate-authority-data: " CA_B64 "\n");
	free(text);

	kc_load_ok(path, NULL, &kc);
	assert_string_equal(kc.context, "cozypkgd");
	assert_string_equal(kc.cluster, "cozypkgd");
	assert_string_equal(kc.user, "cozypkgd");
	assert_string_equal(kc.server, "https://127.0.0.1:6443");
	assert_string_equal(kc.ca_pem, CA_PEM);
	assert_string_equal(kc.token, "tok123");
	assert_string_equal(kc.namespace, "default");
	assert_false(kc.insecure_skip_tls_verify);
	assert_null(kc.client_cert_pem);
	assert_null(kc.client_key_pem);
	assert_null(kc.tls_server_name);
	cz_kubeconfig_release(&kc);

	/* rewriting replaces the file */
	assert_int_equal(cz_kubeconfig_write(path, "https://[::1]:6443", CA_PEM,
					     "tok456", "cozypkgd", &err),
			 CZ_OK);
	kc_load_ok(path, "cozypkgd", &kc);
	assert_string_equal(kc.token, "tok456");
	assert_string_equal(kc.server, "https://[::1]:6443");
	cz_kubeconfig_release(&kc);

	assert_int_equal(cz_kubeconfig_write(path, "", CA_PEM, "t", "n", &err),
			 CZ_EINVALID);
	tmpdir_remove(dir);
	free(path);
	free(dir);
}

static void test_hand_written_with_files(void **state)
{
	char *dir = tmpdir_make();
	char *sub = cz_xasprintf("%s/kube", dir);
	char *certs = cz_xasprintf("%s/kube/certs", dir);
	char *path = cz_xasprintf("%s/kube/config", dir);
	char *abs_key = cz_xasprintf("%s/kube/certs/client.key", dir);
	char *text;
	cz_kubeconfig kc;

	(void)state;
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkdir(certs, 0700), 0);
	tmpdir_write(certs, "ca.crt", CA_PEM);
	tmpdir_write(certs, "client.crt", "CLIENT CERT\n");
	tmpdir_write(certs, "client.key", "CLIENT KEY\n");
	tmpdir_write(sub, "token", "  file-token\n\n");
	text = cz_xasprintf(
		"# hand written\n"
		"apiVersion: v1\n"
		"kind: Config\n"
		"current-context: dev\n"
		"preferences: {}\n"
		"clusters:\n"
		"- name: prod\n"
		"  cluster:\n"
		"    server: https://prod.example:6443\n"
		"    certificate-authority-data: " CA_B64 "\n"
		"- name: dev\n"
		"  cluster:\n"
		"    server: https://dev.example:6443\n"
		"    certificate-authority: certs/ca.crt\n"
		"    tls-server-name: api.dev\n"
		"- name: lab\n"
		"  cluster:\n"
		"    server: https://lab.example\n"
		"    insecure-skip-tls-verify: true\n"
		"contexts:\n"
		"- name: dev\n"
		"  context: {cluster: dev, user: dev-user, namespace: cozy}\n"
		"- name: prod\n"
		"  context: {cluster: prod, user: prod-user}\n"
		"- name: lab\n"
		"  context: {cluster: lab}\n"
		"users:\n"
		"- name: dev-user\n"
		"  user:\n"
		"    tokenFile: token\n"
		"    client-certificate: certs/client.crt\n"
		"    client-key: %s\n"
		"- name: prod-user\n"
		"  user:\n"
		"    token: inline\n"
		"    tokenFile: does-not-exist\n"
		"    client-certificate-data: Q0VSVA==\n"
		"    client-key-data: S0VZ\n",
		abs_key);
	tmpdir_write(sub, "config", text);

	kc_load_ok(path, NULL, &kc);
	assert_string_equal(kc.context, "dev");
	assert_string_equal(kc.server, "https://dev.example:6443");
	assert_string_equal(kc.ca_pem, CA_PEM);
	assert_string_equal(kc.tls_server_name, "api.dev");
	assert_string_equal(kc.token, "file-token");
	assert_string_equal(kc.client_cert_pem, "CLIENT CERT\n");
	assert_string_equal(kc.client_key_pem, "CLIENT KEY\n");
	assert_string_equal(kc.namespace, "cozy");
	cz_kubeconfig_release(&kc);

	kc_load_ok(path, "prod", &kc);
	assert_string_equal(kc.server, "https://prod.example:6443");
	assert_string_equal(kc.ca_pem, CA_PEM);
	assert_string_equal(kc.token, "inline");
	assert_string_equal(kc.client_cert_pem, "CERT");
	assert_string_equal(kc.client_key_pem, "KEY");
	assert_string_equal(kc.namespace, "default");
	cz_kubeconfig_release(&kc);

	kc_load_ok(path, "lab", &kc);
	assert_true(kc.insecure_skip_tls_verify);
	assert_null(kc.ca_pem);
	assert_null(kc.user);
	assert_null(kc.token);
	cz_kubeconfig_release(&kc);

	free(text);
	tmpdir_remove(dir);
	free(abs_key);
	free(path);
	free(certs);
	free(sub);
	free(dir);
}

#define HEAD "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
#define CTX "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
#define CLUSTER "clusters:\n- name: k\n  cluster: {server: https://x}\n"

static void test_malformed(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} cases[] = {
		{ HEAD CTX CLUSTER "users:\n- name: u\n  user: {token: 12}\n",
		  CZ_EINVALID, "users[0].user.token: expected string" },
		{ HEAD CTX CLUSTER "users:\n- name: u\n  user: {token: [a]}\n",
		  CZ_EINVALID, "users[0].user.token: expected string" },
		{ HEAD CTX
		  "clusters:\n- name: k\n  cluster: {server: https://x, "
		  "insecure-skip-tls-verify: maybe}\n",
		  CZ_EINVALID,
		  "clusters[0].cluster.insecure-skip-tls-verify: expected "
		  "boolean" },
		{ HEAD CTX "clusters:\n- name: k\n  cluster: {}\n", CZ_EINVALID,
		  "clusters[0].cluster.server: missing" },
		{ HEAD CTX "clusters: {k: 1}\n", CZ_EINVALID,
		  "clusters: expected a list" },
		{ HEAD CTX "clusters:\n- k\n", CZ_EINVALID,
		  "clusters[0]: expected a mapping" },
		{ HEAD CTX "clusters:\n- name: k\n  cluster: x\n", CZ_EINVALID,
		  "clusters[0].cluster: expected a mapping" },
		{ HEAD CTX
		  "clusters:\n- name: k\n  cluster: {server: https://x, "
		  "certificate-authority-data: '!!notbase64'}\n",
		  CZ_EINVALID,
		  "clusters[0].cluster.certificate-authority-data: not valid "
		  "base64" },
		{ HEAD CTX
		  "clusters:\n- name: k\n  cluster: {server: https://x, "
		  "certificate-authority: missing.crt}\n",
		  CZ_ENOTFOUND, "clusters[0].cluster.certificate-authority: " },
		{ HEAD CTX CLUSTER
		  "users:\n- name: u\n  user: {client-certificate-data: "
		  "Q0VSVA==}\n",
		  CZ_EINVALID, "users[0].user: a client certificate needs" },
		{ HEAD CTX "clusters: []\n", CZ_ENOTFOUND,
		  "contexts[0].context.cluster: cluster \"k\" not found" },
		{ HEAD CTX CLUSTER "users: []\n", CZ_ENOTFOUND,
		  "contexts[0].context.user: user \"u\" not found" },
		{ HEAD "contexts: []\n", CZ_ENOTFOUND,
		  "context \"c\" not found" },
		{ HEAD "contexts:\n- name: c\n  context: {user: u}\n",
		  CZ_EINVALID, "contexts[0].context.cluster: missing" },
		{ "apiVersion: v1\nkind: Config\n", CZ_ENOTFOUND,
		  "current-context is not set" },
		{ "current-context: [c]\n", CZ_EINVALID,
		  "current-context: expected string" },
		{ "- a\n- b\n", CZ_EINVALID,
		  "expected a mapping at the top level" },
		{ "# nothing\n", CZ_EINVALID, "empty file" },
		{ "a: 1\n---\nb: 2\n", CZ_EINVALID,
		  "more than one YAML document" },
		{ "a: [1\n", CZ_EINVALID, "config:" },
	};
	char *dir = tmpdir_make();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_contains(load_fails(dir, cases[i].text, cases[i].code),
				cases[i].msg);
	tmpdir_remove(dir);
	free(dir);
}

static void test_missing_file(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_kubeconfig kc;

	(void)state;
	assert_int_equal(cz_kubeconfig_load("/nonexistent/cozypkg/config", NULL,
					    &kc, &err),
			 CZ_ENOTFOUND);
	assert_contains(err.msg, "kubeconfig /nonexistent/cozypkg/config: ");
	cz_kubeconfig_release(&kc);
}

static void test_default_path(void **state)
{
	char *saved_kc = getenv("KUBECONFIG") ? strdup(getenv("KUBECONFIG"))
					      : NULL;
	char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char *p;

	(void)state;
	setenv("KUBECONFIG", "::/a/first:/b/second", 1);
	setenv("HOME", "/home/someone", 1);
	p = cz_kubeconfig_default_path();
	assert_string_equal(p, "/a/first");
	free(p);
	setenv("KUBECONFIG", "", 1);
	p = cz_kubeconfig_default_path();
	assert_string_equal(p, "/home/someone/.kube/config");
	free(p);
	unsetenv("KUBECONFIG");
	unsetenv("HOME");
	assert_null(cz_kubeconfig_default_path());
	if (saved_kc)
		setenv("KUBECONFIG", saved_kc, 1);
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_kc);
	free(saved_home);
}

/* KUBECONFIG merging: the first file to name a cluster, user or context
 * wins, so does the first current-context, and relative references stay
 * relative to their own file. */
static void test_merge_files(void **state)
{
	char *dir = tmpdir_make();
	char *sub = cz_xasprintf("%s/sub", dir);
	char *a = cz_xasprintf("%s/a", dir), *b = cz_xasprintf("%s/sub/b", dir);
	char *missing = cz_xasprintf("%s/none", dir);
	char *list = cz_xasprintf("%s:%s:%s", missing, a, b);
	const char *paths[] = { missing, a, b };
	char *saved = getenv("KUBECONFIG") ? cz_xstrdup(getenv("KUBECONFIG"))
					   : NULL;
	cz_error err = CZ_ERROR_INIT;
	cz_kubeconfig kc;

	(void)state;
	assert_int_equal(mkdir(sub, 0700), 0);
	tmpdir_write(dir, "a",
		     "clusters:\n- name: c1\n  cluster: {server: https://one}\n"
		     "users:\n- name: u1\n  user: {token: first}\n"
		     "contexts:\n- name: cx\n  context: {cluster: c1, user: u1}\n");
	tmpdir_write(sub, "b",
		     "current-context: cy\n"
		     "clusters:\n- name: c1\n  cluster: {server: https://shadowed}\n"
		     "- name: c2\n  cluster: {server: https://two}\n"
		     "users:\n- name: u2\n  user: {tokenFile: tok}\n"
		     "contexts:\n- name: cy\n  context: {cluster: c2, user: u2, "
		     "namespace: ns}\n- name: cx\n  context: {cluster: c2}\n");
	tmpdir_write(sub, "tok", " from-file\n");
	if (cz_kubeconfig_load_files(paths, 3, NULL, &kc, &err) != CZ_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(kc.context, "cy");
	assert_string_equal(kc.server, "https://two");
	assert_string_equal(kc.token, "from-file");
	assert_string_equal(kc.namespace, "ns");
	cz_kubeconfig_release(&kc);
	/* cx comes from the first file; c1 too, not the shadowed one. */
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(cz_kubeconfig_load_default(NULL, "cx", &kc, &err), CZ_OK);
	assert_string_equal(kc.server, "https://one");
	assert_string_equal(kc.token, "first");
	cz_kubeconfig_release(&kc);
	/* An explicit path is the only file read. */
	assert_int_equal(cz_kubeconfig_load_default(a, "cy", &kc, &err),
			 CZ_ENOTFOUND);
	assert_contains(err.msg, "context \"cy\" not found");
	cz_kubeconfig_release(&kc);
	/* Nothing there at all. */
	assert_int_equal(cz_kubeconfig_load_files(paths, 1, NULL, &kc, &err),
			 CZ_ENOTFOUND);
	cz_kubeconfig_release(&kc);
	{
		const char *none[] = { missing, missing };

		assert_int_equal(cz_kubeconfig_load_files(none, 2, NULL, &kc,
							  &err),
				 CZ_ENOTFOUND);
		assert_contains(err.msg, "none of these files exists");
		cz_kubeconfig_release(&kc);
	}
	if (saved)
		setenv("KUBECONFIG", saved, 1);
	else
		unsetenv("KUBECONFIG");
	free(saved);
	free(list);
	free(missing);
	free(a);
	free(b);
	free(sub);
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_load_round_trip),
		cmocka_unit_test(test_hand_written_with_files),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_merge_files),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
