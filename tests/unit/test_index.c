/* The marketplace index: entry parsing, every validation rule with its
 * file:line: field message, loading a directory with its caps, search
 * matching and order, and where the index location comes from. */

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "market/index.h"
#include "tmpdir.h"
#include "util/mem.h"

#define GOOD                                                                   \
	"name: acme.hello\n"                                                   \
	"ociRef: oci://ghcr.io/acme/hello-packages\n"                          \
	"version: v1.2.0\n"                                                    \
	"description: Hello world apps\n"                                      \
	"maintainer: Acme <ops@acme.example>\n"                                \
	"homepage: https://acme.example\n"                                     \
	"tags: [demo, hello]\n"                                                \
	"signing:\n"                                                           \
	"  identity: https://github.com/acme/hello/.github/workflows/r.yaml\n" \
	"  issuer: https://token.actions.githubusercontent.com\n"

static void test_parse_good(void **state)
{
	cz_market_entry e;
	cz_diags d;
	char *ref;

	(void)state;
	cz_diags_init(&d);
	assert_int_equal(cz_market_entry_parse(GOOD, strlen(GOOD), "e.yaml",
					       true, &e, &d),
			 CZ_OK);
	assert_int_equal(d.nerrors, 0);
	assert_string_equal(e.name, "acme.hello");
	assert_string_equal(e.oci_ref, "ghcr.io/acme/hello-packages");
	assert_string_equal(e.version, "v1.2.0");
	assert_null(e.digest);
	assert_int_equal(e.ntags, 2);
	assert_string_equal(e.tags[1], "hello");
	assert_int_equal(e.signing, CZ_MARKET_SIGNED_KEYLESS);
	assert_string_equal(cz_market_signing_name(e.signing), "keyless");
	ref = cz_market_entry_reference(&e);
	assert_string_equal(ref, "ghcr.io/acme/hello-packages:v1.2.0");
	free(ref);
	ref = cz_market_entry_url(&e);
	assert_string_equal(ref, "oci://ghcr.io/acme/hello-packages");
	free(ref);
	cz_market_entry_release(&e);
	cz_diags_release(&d);
}

/* Parses text; expects exactly one error and that it is want. */
static void expect_problem(const char *text, const char *want)
{
	cz_market_entry e;
	cz_diags d;

	cz_diags_init(&d);
	if (cz_market_entry_parse(text, strlen(text), "entries/x.yaml", true,
				  &e, &d) != CZ_EINVALID)
		fail_msg("accepted: %s", text);
	if (d.nerrors != 1 || strcmp(d.items[0].text, want) != 0) {
		cz_diags_print(&d, stderr);
		fail_msg("expected one problem: %s", want);
	}
	assert_null(e.name);
	cz_diags_release(&d);
}

/* GOOD with the line starting with key replaced by line (or dropped when
 * line is ""). */
static char *good_with(const char *key, const char *line)
{
	const char *at = strstr(GOOD, key);
	const char *eol = strchr(at, '\n') + 1;

	return cz_xasprintf("%.*s%s%s", (int)(at - GOOD), GOOD, line, eol);
}

static void expect_line(const char *key, const char *line, const char *want)
{
	char *text = good_with(key, line);

	expect_problem(text, want);
	free(text);
}

static void test_required_and_unknown(void **state)
{
	(void)state;
	expect_line("name:", "", "entries/x.yaml:1: name: required");
	expect_line("maintainer:", "", "entries/x.yaml:1: maintainer: required");
	expect_line("description:", "",
		    "entries/x.yaml:1: description: required");
	expect_line("version:", "", "entries/x.yaml:1: version: required");
	expect_problem(GOOD "colour: red\n",
		       "entries/x.yaml:11: colour: unknown field");
	expect_problem(GOOD "  extra: 1\n",
		       "entries/x.yaml:11: signing.extra: unknown field");
	expect_line("version:", "version: 1.0\n",
		    "entries/x.yaml:3: version: expected a string (quote it)");
	expect_line("maintainer:", "maintainer: ''\n",
		    "entries/x.yaml:5: maintainer: must not be empty");
}

static void test_name_rules(void **state)
{
	(void)state;
	expect_line("name:", "name: Acme_Hello\n",
		    "entries/x.yaml:1: name: must be a lowercase RFC 1123 "
		    "name (a-z, 0-9, '-' and '.', starting and ending "
		    "alphanumeric, at most 253 characters)");
	expect_line("name:", "name: cozystack.postgres\n",
		    "entries/x.yaml:1: name: the prefixes \"cozystack.\" and "
		    "\"community.\" are reserved; prefix the name with your "
		    "organisation (acme.hello)");
	expect_line("name:", "name: community\n",
		    "entries/x.yaml:1: name: the prefixes \"cozystack.\" and "
		    "\"community.\" are reserved; prefix the name with your "
		    "organisation (acme.hello)");
}

static void test_oci_ref_rules(void **state)
{
	(void)state;
	expect_line("ociRef:", "ociRef: ghcr.io/acme/hello:v1\n",
		    "entries/x.yaml:2: ociRef: must not carry a tag: the tag "
		    "is the version field");
	expect_line("ociRef:",
		    "ociRef: ghcr.io/acme/hello@sha256:"
		    "0000000000000000000000000000000000000000000000000000000000000000\n",
		    "entries/x.yaml:2: ociRef: must not carry a digest: pin "
		    "it with the digest field");
	expect_line("ociRef:", "ociRef: https://ghcr.io/acme/hello\n",
		    "entries/x.yaml:2: ociRef: only oci:// may prefix the "
		    "reference (HOST/PATH)");
	expect_line("ociRef:", "ociRef: acme/hello\n",
		    "entries/x.yaml:2: ociRef: HOST must be a registry host "
		    "name with a dot or a port (e.g. ghcr.io, localhost:5000)");
	expect_line("ociRef:", "ociRef: ghcr.io\n",
		    "entries/x.yaml:2: ociRef: expected HOST/PATH, e.g. "
		    "ghcr.io/acme/packages");
	expect_line("ociRef:", "ociRef: ghcr.io/Acme/Hello\n",
		    "entries/x.yaml:2: ociRef: PATH is not a valid repository "
		    "name (lowercase letters, digits and separators . _ __ - "
		    "/)");
}

static void test_version_digest_homepage_tags(void **state)
{
	(void)state;
	expect_line("version:", "version: -bad\n",
		    "entries/x.yaml:3: version: not a valid OCI tag "
		    "([A-Za-z0-9_][A-Za-z0-9_.-], at most 128 characters)");
	expect_problem(GOOD "digest: sha256:abc\n",
		       "entries/x.yaml:11: digest: expected sha256: and 64 "
		       "lowercase hex digits");
	expect_line("homepage:", "homepage: ftp://acme.example\n",
		    "entries/x.yaml:6: homepage: expected an http(s):// URL");
	expect_line("tags:", "tags: [ok, Not OK]\n",
		    "entries/x.yaml:7: tags[1]: expected a word of a-z, 0-9 "
		    "and '-' (at most 63)");
	expect_line("tags:", "tags: demo\n",
		    "entries/x.yaml:7: tags: expected a list of words");
}

static void test_signing_rules(void **state)
{
	static const char base[] =
		"name: acme.x\nociRef: ghcr.io/acme/x\nversion: '1'\n"
		"description: d\nmaintainer: m\n";
	char *text;
	cz_market_entry e;
	cz_diags d;

	(void)state;
	text = cz_xasprintf("%ssigning:\n  key: |\n    %s", base,
			    "-----BEGIN PUBLIC KEY-----\n    QUJD\n    "
			    "-----END PUBLIC KEY-----\n");
	expect_problem(text, "entries/x.yaml:7: signing.key: not a PEM public "
			     "key (-----BEGIN PUBLIC KEY-----, as cosign.pub)");
	free(text);
	text = cz_xasprintf("%ssigning:\n  identity: me\n", base);
	expect_problem(text, "entries/x.yaml:7: signing.issuer: required with "
			     "signing.identity (keyless)");
	free(text);
	text = cz_xasprintf("%ssigning:\n  identity: me\n  issuer: http://x\n",
			    base);
	expect_problem(text, "entries/x.yaml:8: signing.issuer: expected the "
			     "OIDC issuer's https:// URL");
	free(text);
	text = cz_xasprintf("%ssigning: {}\n", base);
	expect_problem(text, "entries/x.yaml:6: signing: expected key, or "
			     "identity and issuer (keyless)");
	free(text);
	/* A real key parses and marks the entry as key-signed. */
	text = cz_xasprintf("%ssigning:\n  key: |\n%s", base,
			    "    -----BEGIN PUBLIC KEY-----\n"
			    "    MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESN19Vmg+ZK4i"
			    "WGZ3m7HY7OuCyZ2x\n"
			    "    xdzzc23U9Yd+DtDqhCbOQ159zAUXp9XRq+GxCDl0qh80Hwi1"
			    "vZR7P28bjQ==\n"
			    "    -----END PUBLIC KEY-----\n");
	cz_diags_init(&d);
	if (cz_market_entry_parse(text, strlen(text), "k.yaml", true, &e, &d)
	    != CZ_OK) {
		cz_diags_print(&d, stderr);
		fail_msg("a real key was refused");
	}
	assert_int_equal(e.signing, CZ_MARKET_SIGNED_KEY);
	cz_market_entry_release(&e);
	cz_diags_release(&d);
	free(text);
}

static void test_malformed_yaml(void **state)
{
	cz_market_entry e;
	cz_diags d;
	static const char bad[] = "name: [unclosed\n";
	static const char list[] = "- a\n- b\n";

	(void)state;
	cz_diags_init(&d);
	assert_int_equal(cz_market_entry_parse(bad, strlen(bad), "b.yaml", true,
					       &e, &d),
			 CZ_EINVALID);
	assert_int_equal(d.nerrors, 1);
	assert_true(strncmp(d.items[0].text, "b.yaml:", 7) == 0);
	assert_int_equal(cz_market_entry_parse(list, strlen(list), "l.yaml",
					       true, &e, &d),
			 CZ_EINVALID);
	assert_string_equal(d.items[1].text, "l.yaml:1: expected one YAML "
					     "mapping (an index entry)");
	cz_diags_release(&d);
}

/* ---- directories ------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = cz_xasprintf("%s/entries/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static char *entry_text(const char *name, const char *desc, const char *tags)
{
	return cz_xasprintf("name: %s\nociRef: ghcr.io/o/%s\nversion: '1'\n"
			    "description: %s\nmaintainer: m\ntags: [%s]\n",
			    name, name, desc, tags);
}

static char *index_dir(void)
{
	char *dir = tmpdir_make();
	char *entries = cz_xasprintf("%s/entries", dir);

	mkdir(entries, 0755);
	free(entries);
	return dir;
}

static void add_entry(const char *dir, const char *file, const char *name,
		      const char *desc, const char *tags)
{
	char *text = entry_text(name, desc, tags);

	write_file(dir, file, text);
	free(text);
}

static void test_load_dir_duplicates(void **state)
{
	char *dir = index_dir();
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_error err = CZ_ERROR_INIT;
	cz_diags d;

	(void)state;
	cz_diags_init(&d);
	add_entry(dir, "a.yaml", "acme.db", "a database", "db");
	add_entry(dir, "b.yaml", "acme.db", "again", "db");
	add_entry(dir, "c.yml", "acme.cache", "a cache", "kv");
	write_file(dir, "README.md", "not an entry");
	assert_int_equal(cz_market_load_dir(dir, NULL, &idx, &d, &err), CZ_OK);
	assert_int_equal(idx.len, 2);
	assert_int_equal(idx.nfiles, 3);
	assert_int_equal(idx.ninvalid, 1);
	assert_string_equal(idx.entries[0].name, "acme.cache");
	assert_string_equal(d.items[0].text, "entries/b.yaml:1: name: "
					     "\"acme.db\" is already used by "
					     "entries/a.yaml");
	assert_non_null(cz_market_find(&idx, "acme.db"));
	assert_string_equal(cz_market_find(&idx, "acme.db")->file,
			    "entries/a.yaml");
	assert_null(cz_market_find(&idx, "acme.nope"));
	cz_market_index_release(&idx);
	cz_diags_release(&d);
	tmpdir_remove(dir);
	free(dir);
}

static void test_load_dir_caps(void **state)
{
	char *dir = index_dir();
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_error err = CZ_ERROR_INIT;
	cz_market_limits lim = { 200, 3, 0 };
	cz_market_load_opts o;
	cz_diags d;
	char *big = cz_xasprintf(GOOD "# %0300d\n", 0);

	(void)state;
	memset(&o, 0, sizeof(o));
	o.limits = &lim;
	cz_diags_init(&d);
	add_entry(dir, "a.yaml", "acme.a", "a", "x");
	write_file(dir, "big.yaml", big);
	assert_int_equal(cz_market_load_dir(dir, &o, &idx, &d, &err), CZ_OK);
	assert_int_equal(idx.len, 1);
	assert_true(strstr(d.items[0].text, "entries/big.yaml: ") ==
		    d.items[0].text);
	assert_non_null(strstr(d.items[0].text, "over the 200-byte limit"));
	cz_market_index_release(&idx);
	/* Too many entries: one error for the whole index. */
	add_entry(dir, "c.yaml", "acme.c", "c", "x");
	add_entry(dir, "d.yaml", "acme.d", "d", "x");
	assert_int_equal(cz_market_load_dir(dir, &o, &idx, &d, &err),
			 CZ_ETOOLARGE);
	assert_non_null(strstr(err.msg, "more than 3 entries"));
	cz_market_index_release(&idx);
	/* Too many bytes in all. */
	lim.max_entries = 0;
	lim.max_total_bytes = 300;
	assert_int_equal(cz_market_load_dir(dir, &o, &idx, &d, &err),
			 CZ_ETOOLARGE);
	assert_non_null(strstr(err.msg, "over 300 bytes"));
	cz_market_index_release(&idx);
	/* No entries/ at all. */
	assert_int_equal(cz_market_load_dir("/nonexistent", NULL, &idx, &d,
					    &err),
			 CZ_ENOTFOUND);
	cz_diags_release(&d);
	free(big);
	tmpdir_remove(dir);
	free(dir);
}

/* ---- search ------------------------------------------------------------ */

static void test_search(void **state)
{
	char *dir = index_dir();
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_error err = CZ_ERROR_INIT;
	const cz_market_entry **res = NULL;
	cz_diags d;
	size_t n;

	(void)state;
	cz_diags_init(&d);
	add_entry(dir, "1.yaml", "zeta.redis", "Key-value store", "cache");
	add_entry(dir, "2.yaml", "alpha.pg", "PostgreSQL with REDIS sidecar",
		  "db");
	add_entry(dir, "3.yaml", "redis", "the plain one", "kv");
	add_entry(dir, "4.yaml", "mid.queue", "a queue", "redis-compatible");
	add_entry(dir, "5.yaml", "other.thing", "nothing", "x");
	assert_int_equal(cz_market_load_dir(dir, NULL, &idx, &d, &err), CZ_OK);
	assert_int_equal(d.nerrors, 0);
	/* Exact name first, then name order; description and tags match,
	 * any case. */
	n = cz_market_search(&idx, "Redis", &res);
	assert_int_equal(n, 4);
	assert_string_equal(res[0]->name, "redis");
	assert_string_equal(res[1]->name, "alpha.pg");
	assert_string_equal(res[2]->name, "mid.queue");
	assert_string_equal(res[3]->name, "zeta.redis");
	free(res);
	n = cz_market_search(&idx, NULL, &res);
	assert_int_equal(n, 5);
	assert_string_equal(res[0]->name, "alpha.pg");
	assert_string_equal(res[4]->name, "zeta.redis");
	free(res);
	n = cz_market_search(&idx, "KEY-VALUE", &res);
	assert_int_equal(n, 1);
	assert_string_equal(res[0]->name, "zeta.redis");
	free(res);
	n = cz_market_search(&idx, "absent", &res);
	assert_int_equal(n, 0);
	free(res);
	cz_market_index_release(&idx);
	cz_diags_release(&d);
	tmpdir_remove(dir);
	free(dir);
}

/* ---- location ---------------------------------------------------------- */

static void test_location_order(void **state)
{
	char *home = tmpdir_make();
	char *cfgdir = cz_xasprintf("%s/cozypkg", home);
	char *cfg = cz_xasprintf("%s/config.yaml", cfgdir);
	cz_error err = CZ_ERROR_INIT;
	cz_market_origin origin;
	char *loc = NULL;
	FILE *f;

	(void)state;
	unsetenv("HOME");
	setenv("XDG_CONFIG_HOME", home, 1);
	unsetenv(CZ_MARKET_INDEX_ENV);
	/* Nothing set: the default. */
	assert_int_equal(cz_market_location(NULL, &loc, &origin, &err), CZ_OK);
	assert_string_equal(loc, CZ_MARKET_DEFAULT_INDEX);
	assert_int_equal(origin, CZ_MARKET_FROM_DEFAULT);
	free(loc);
	/* The config file. */
	mkdir(cfgdir, 0755);
	f = fopen(cfg, "w");
	fputs("other: 1\nindex: /from/config\n", f);
	fclose(f);
	assert_int_equal(cz_market_location(NULL, &loc, &origin, &err), CZ_OK);
	assert_string_equal(loc, "/from/config");
	assert_int_equal(origin, CZ_MARKET_FROM_CONFIG);
	free(loc);
	/* The environment beats the file, the flag beats both. */
	setenv(CZ_MARKET_INDEX_ENV, "/from/env", 1);
	assert_int_equal(cz_market_location(NULL, &loc, &origin, &err), CZ_OK);
	assert_string_equal(loc, "/from/env");
	assert_int_equal(origin, CZ_MARKET_FROM_ENV);
	free(loc);
	assert_int_equal(cz_market_location("/flag", &loc, &origin, &err),
			 CZ_OK);
	assert_string_equal(loc, "/flag");
	assert_int_equal(origin, CZ_MARKET_FROM_FLAG);
	free(loc);
	/* A bad config file is an error naming file and line. */
	unsetenv(CZ_MARKET_INDEX_ENV);
	f = fopen(cfg, "w");
	fputs("other: 1\nindex: [a]\n", f);
	fclose(f);
	assert_int_equal(cz_market_location(NULL, &loc, &origin, &err),
			 CZ_EINVALID);
	assert_non_null(strstr(err.msg, "config.yaml:2: index: "));
	assert_null(loc);
	unsetenv("XDG_CONFIG_HOME");
	tmpdir_remove(home);
	free(home);
	free(cfgdir);
	free(cfg);
}

static void test_location_kind(void **state)
{
	cz_market_kind k;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_market_location_kind("oci://r.io/a/b", &k, &err), 0);
	assert_int_equal(k, CZ_MARKET_OCI);
	assert_int_equal(cz_market_location_kind("file:///x.git#main", &k,
						 &err),
			 0);
	assert_int_equal(k, CZ_MARKET_GIT);
	assert_int_equal(cz_market_location_kind("ssh://git@h/x", &k, &err),
			 0);
	assert_int_equal(k, CZ_MARKET_GIT);
	assert_int_equal(cz_market_location_kind("./dir", &k, &err), 0);
	assert_int_equal(k, CZ_MARKET_DIR);
	assert_int_equal(cz_market_location_kind("s3://b/x", &k, &err),
			 CZ_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_required_and_unknown),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_oci_ref_rules),
		cmocka_unit_test(test_version_digest_homepage_tags),
		cmocka_unit_test(test_signing_rules),
		cmocka_unit_test(test_malformed_yaml),
		cmocka_unit_test(test_load_dir_duplicates),
		cmocka_unit_test(test_load_dir_caps),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_location_order),
		cmocka_unit_test(test_location_kind),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
