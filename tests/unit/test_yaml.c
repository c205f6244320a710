/* Unit tests for object/yaml: YAML and JSON parsing into jansson, following
 * what Kubernetes (sigs.k8s.io/yaml on go-yaml v2) makes of a manifest. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object/linemap.h"
#include "object/yaml.h"
#include "util/buf.h"
#include "util/mem.h"

/* ---- helpers ---- */

static int parse(const char *text, const cz_limits *lim, cz_doc **docs,
		 size_t *n, cz_linemap *lines, cz_error *err)
{
	return cz_parse_stream(text, strlen(text), "in.yaml", lim, docs, n,
			       lines, err);
}

/* The root of a one-document stream (a new reference). */
static json_t *parse_one(const char *text)
{
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 0;
	json_t *root;
	int rc = parse(text, NULL, &docs, &n, NULL, &err);

	if (rc != CZ_OK)
		print_error("unexpected failure: %s\n", err.msg);
	assert_int_equal(rc, CZ_OK);
	assert_int_equal(n, 1);
	root = json_incref(docs[0].root);
	cz_docs_free(docs, n);
	return root;
}

static void assert_parses_to(const char *text, const char *expected_json)
{
	json_t *got = parse_one(text);
	json_t *want = json_loads(expected_json, JSON_DECODE_ANY, NULL);

	assert_non_null(want);
	if (!got || !json_equal(got, want)) {
		char *s = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;

		print_error("input:\n%s\ngot:  %s\nwant: %s\n", text,
			    s ? s : "(null)", expected_json);
		free(s);
		fail();
	}
	json_decref(got);
	json_decref(want);
}

/* Parses text expecting failure with code, a message starting with prefix
 * and containing fragment (when not NULL), and the failure contract. */
static void expect_error(const char *text, const cz_limits *lim, int code,
			 const char *prefix, const char *fragment)
{
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = (cz_doc *)&err; /* a sentinel the parser must reset */
	size_t n = 99;
	cz_linemap lines;
	int rc;

	cz_linemap_init(&lines);
	rc = parse(text, lim, &docs, &n, &lines, &err);
	cz_linemap_release(&lines);
	if (rc != code || strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
	    (fragment && !strstr(err.msg, fragment)))
		print_error("input:\n%s\nrc=%d msg=\"%s\"\nwant rc=%d "
			    "prefix=\"%s\" fragment=\"%s\"\n", text, rc,
			    err.msg, code, prefix, fragment ? fragment : "");
	assert_int_equal(rc, code);
	assert_null(docs);
	assert_int_equal(n, 0);
	assert_true(strncmp(err.msg, prefix, strlen(prefix)) == 0);
	if (fragment)
		assert_non_null(strstr(err.msg, fragment));
}

static void assert_plain(const char *text, const char *expected_json)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *got = cz_yaml_resolve_plain(text, strlen(text), &err);
	json_t *want = json_loads(expected_json, JSON_DECODE_ANY, NULL);

	assert_non_null(want);
	if (!got || !json_equal(got, want) ||
	    json_typeof(got) != json_typeof(want)) {
		char *s = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;

		print_error("plain \"%s\": got %s (%s), want %s\n", text,
			    s ? s : "(null)", err.msg, expected_json);
		free(s);
		fail();
	}
	json_decref(got);
	json_decref(want);
}

/* ---- scalar resolution ---- */

static void test_bool_spellings(void **state)
{
	static const char *const yes[] = {
		"true", "True", "TRUE", "TrUe", "yes", "Yes", "YES", "yEs",
		"on", "On", "ON", "oN", "y", "Y",
	};
	static const char *const no[] = {
		"false", "False", "FALSE", "fAlSe", "no", "No", "NO", "nO",
		"off", "Off", "OFF", "oFF", "n", "N",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_plain(yes[i], "true");
		assert_false(cz_yaml_plain_is_string(yes[i], strlen(yes[i])));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_plain(no[i], "false");
	assert_parses_to("a: TrUe\nb: Off\nc: y\nd: N\n",
			 "{\"a\": true, \"b\": false, \"c\": true, "
			 "\"d\": false}");
	/* Near misses stay strings. */
	assert_plain("yess", "\"yess\"");
	assert_plain("tru", "\"tru\"");
	assert_plain("onn", "\"onn\"");
	assert_plain("yes please", "\"yes please\"");
}

static void test_quoted_stays_string(void **state)
{
	(void)state;
	assert_parses_to("a: 'true'\nb: \"123\"\nc: '~'\nd: \"null\"\n"
			 "e: ''\nf: \"0x1F\"\ng: '1e3'\n",
			 "{\"a\": \"true\", \"b\": \"123\", \"c\": \"~\", "
			 "\"d\": \"null\", \"e\": \"\", \"f\": \"0x1F\", "
			 "\"g\": \"1e3\"}");
}

static void test_null_forms(void **state)
{
	(void)state;
	assert_plain("~", "null");
	assert_plain("null", "null");
	assert_plain("Null", "null");
	assert_plain("NULL", "null");
	assert_plain("nUlL", "null");
	assert_plain("", "null");
	assert_plain("~~", "\"~~\"");
	assert_parses_to("a: ~\nb:\nc: null\nd: [~, null]\n",
			 "{\"a\": null, \"b\": null, \"c\": null, "
			 "\"d\": [null, null]}");
}

static void test_integers(void **state)
{
	(void)state;
	assert_plain("0", "0");
	assert_plain("-0", "0");
	assert_plain("+12", "12");
	assert_plain("-12", "-12");
	assert_plain("1_000", "1000");
	assert_plain("0755", "493");
	assert_plain("0o17", "15");
	assert_plain("0x1F", "31");
	assert_plain("0X1f", "31");
	assert_plain("0x_1F", "31");
	assert_plain("0b101", "5");
	assert_plain("-0x10", "-16");
	assert_plain("9223372036854775807", "9223372036854775807");
	assert_plain("-9223372036854775808", "-9223372036854775808");
	/* int64 overflow falls through to the float rule. */
	assert_plain("9223372036854775808", "9223372036854775808.0");
	assert_plain("18446744073709551616", "18446744073709551616.0");
	/* Not numbers at all. */
	assert_plain("0x", "\"0x\"");
	assert_plain("0xG1", "\"0xG1\"");
	assert_plain("0b102", "\"0b102\"");
	assert_plain("1-2", "\"1-2\"");
	assert_plain("12:30", "\"12:30\"");
	assert_plain("+", "\"+\"");
	assert_plain("-", "\"-\"");
	assert_plain("_1", "\"_1\"");
}

static void test_floats(void **state)
{
	json_t *v;

	(void)state;
	assert_plain("08", "8.0"); /* not octal, so a float as in Go */
	assert_plain("09.5", "9.5");
	assert_plain("1e3", "1000.0");
	assert_plain("1E3", "1000.0");
	assert_plain(".5", "0.5");
	assert_plain("-.5", "-0.5");
	assert_plain("+.5", "0.5");
	assert_plain("1.", "1.0");
	assert_plain("1_000.5", "1000.5");
	assert_plain("+1.5e-3", "0.0015");
	assert_plain("6.02e+23", "6.02e23");
	/* Overflowing to infinity is no float in Go either. */
	assert_plain("1e400", "\"1e400\"");
	assert_plain(".5_0", "\".5_0\"");
	assert_plain(".", "\".\"");
	assert_plain("1.2.3", "\"1.2.3\"");
	assert_plain("1e", "\"1e\"");
	assert_plain("e3", "\"e3\"");
	assert_plain("nan", "\"nan\"");
	assert_plain("inf", "\"inf\"");
	/* Timestamps stay strings. */
	assert_plain("2001-12-14", "\"2001-12-14\"");
	assert_plain("2001-12-14t21:59:43.10-05:00",
		     "\"2001-12-14t21:59:43.10-05:00\"");

	v = parse_one("a: 08\n");
	assert_true(json_is_real(json_object_get(v, "a")));
	json_decref(v);
}

static void test_nonfinite_refused(void **state)
{
	static const char *const bad[] = {
		".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF",
		"+.inf", "+.INF", ".nan", ".NaN", ".NAN",
	};
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(cz_yaml_resolve_plain(bad[i], strlen(bad[i]),
						  &err));
		assert_int_equal(err.code, CZ_EINVALID);
		assert_non_null(strstr(err.msg, "in JSON"));
	}
	/* Casings go-yaml does not know are plain strings. */
	assert_plain(".InF", "\".InF\"");
	assert_plain(".nAn", "\".nAn\"");
	expect_error("a: 1\nx: .inf\n", NULL, CZ_EINVALID,
		     "in.yaml:2:4: cannot represent .inf in JSON", NULL);
	expect_error("- -.Inf\n", NULL, CZ_EINVALID, "in.yaml:1:3:",
		     "cannot represent -.Inf in JSON");
	/* Quoted, it is just text. */
	assert_parses_to("x: '.inf'\n", "{\"x\": \".inf\"}");
}

/* ---- structure ---- */

static void test_multi_document_stream(void **state)
{
	static const char text[] =
		"a: 1\n"           /* 1 */
		"---\n"            /* 2: empty */
		"---\n"            /* 3 */
		"# only a comment\n"
		"---\n"            /* 5 */
		"b: 2\n"
		"...\n"
		"--- ~\n"          /* 8: null root */
		"---\n"            /* 9 */
		"- x\n";
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(text, NULL, &docs, &n, NULL, &err), CZ_OK);
	assert_int_equal(n, 6);
	assert_int_equal(json_integer_value(json_object_get(docs[0].root,
							    "a")), 1);
	assert_int_equal(docs[0].line, 1);
	assert_null(docs[1].root);
	assert_int_equal(docs[1].line, 2);
	assert_null(docs[2].root);
	assert_int_equal(docs[2].line, 3);
	assert_int_equal(json_integer_value(json_object_get(docs[3].root,
							    "b")), 2);
	assert_int_equal(docs[3].line, 5);
	assert_null(docs[4].root);
	assert_int_equal(docs[4].line, 8);
	assert_true(json_is_array(docs[5].root));
	assert_int_equal(docs[5].line, 9);
	cz_docs_free(docs, n);
}

static void test_empty_and_comment_only_input(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 7;

	(void)state;
	assert_int_equal(parse("", NULL, &docs, &n, NULL, &err), CZ_OK);
	assert_int_equal(n, 0);
	cz_docs_free(docs, n);
	assert_int_equal(parse("# nothing\n\n# here\n", NULL, &docs, &n, NULL,
			       &err), CZ_OK);
	assert_int_equal(n, 0);
	cz_docs_free(docs, n);
}

static void test_comments_and_flow_style(void **state)
{
	(void)state;
	assert_parses_to("# leading comment\n"
			 "a: {b: [1, 2, {c: d}], e: 'f'}  # trailing\n"
			 "g: [  ]\n"
			 "h: {}\n"
			 "i: [yes, \"no\", 0x10]\n",
			 "{\"a\": {\"b\": [1, 2, {\"c\": \"d\"}], \"e\": \"f\"},"
			 " \"g\": [], \"h\": {}, \"i\": [true, \"no\", 16]}");
}

static void test_block_scalars(void **state)
{
	(void)state;
	assert_parses_to("keep: |+\n  true\n\nstrip: |-\n  123\n"
			 "clip: |\n  a\n  b\nfold: >\n  one\n  two\n\n  three\n"
			 "foldstrip: >-\n  null\n",
			 "{\"keep\": \"true\\n\\n\", \"strip\": \"123\", "
			 "\"clip\": \"a\\nb\\n\", \"fold\": \"one two\\nthree\\n\", "
			 "\"foldstrip\": \"null\"}");
}

static void test_explicit_tags(void **state)
{
	(void)state;
	assert_parses_to("a: !!str 12\nb: !!int \"12\"\nc: !!float 1\n"
			 "d: !foo 12\ne: !!binary aGk=\ng: !!bool yes\n"
			 "h: !!null ''\ni: !!str true\nj: !!float '2.5'\n"
			 "k: !!map {x: 1}\nl: !!seq [1]\nm: !bar [on]\n"
			 "o: !!timestamp 2001-12-14\n",
			 "{\"a\": \"12\", \"b\": 12, \"c\": 1.0, \"d\": 12, "
			 "\"e\": \"aGk=\", \"g\": true, \"h\": null, "
			 "\"i\": \"true\", \"j\": 2.5, \"k\": {\"x\": 1}, "
			 "\"l\": [1], \"m\": [true], \"o\": \"2001-12-14\"}");
	expect_error("a: !!int 1.5\n", NULL, CZ_EINVALID, "in.yaml:1:4:",
		     "!!int");
	expect_error("a: !!bool maybe\n", NULL, CZ_EINVALID, "in.yaml:1:4:",
		     "!!bool");
	expect_error("a: !!null x\n", NULL, CZ_EINVALID, "in.yaml:1:4:",
		     "!!null");
	expect_error("a: !!float .inf\n", NULL, CZ_EINVALID, "in.yaml:1:4:",
		     "cannot represent");
}

static void test_non_string_keys(void **state)
{
	(void)state;
	assert_parses_to("1: a\n1.5: b\ntrue: c\n~: d\n0x10: e\n1e3: f\n"
			 "Off: h\n'2': i\n-7: j\n.inf: k\n1e6: l\n",
			 "{\"1\": \"a\", \"1.5\": \"b\", \"true\": \"c\", "
			 "\"null\": \"d\", \"16\": \"e\", \"1000\": \"f\", "
			 "\"false\": \"h\", \"2\": \"i\", "
			 "\"-7\": \"j\", \".inf\": \"k\", \"1e+06\": \"l\"}");
	/* The classic Kubernetes surprise: y and n are booleans, keys too. */
	assert_parses_to("y: 1\nn: 2\n", "{\"true\": 1, \"false\": 2}");
	expect_error("y: 1\ntrue: 2\n", NULL, CZ_EINVALID,
		     "in.yaml:2:1: duplicate key \"true\"", NULL);
}

static void test_invalid_map_keys(void **state)
{
	(void)state;
	expect_error("a: 1\n? [x, y]\n: 1\n", NULL, CZ_EINVALID,
		     "in.yaml:2:3: invalid map key", NULL);
	expect_error("? {x: 1}\n: 1\n", NULL, CZ_EINVALID,
		     "in.yaml:1:3: invalid map key", NULL);
	expect_error("s: &s [1]\nt: {*s : 2}\n", NULL, CZ_EINVALID,
		     "in.yaml:2:5: invalid map key", NULL);
}

static void test_duplicate_key(void **state)
{
	(void)state;
	expect_error("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", NULL, CZ_EINVALID,
		     "in.yaml:5:3: duplicate key \"c\"", NULL);
	expect_error("a: {x: 1, x: 2}\n", NULL, CZ_EINVALID,
		     "in.yaml:1:11: duplicate key \"x\"", NULL);
	/* Keys that only become equal after resolution collide too. */
	expect_error("1: a\n0x1: b\n", NULL, CZ_EINVALID,
		     "in.yaml:2:1: duplicate key \"1\"", NULL);
	/* The same key in different mappings is fine. */
	assert_parses_to("a: {x: 1}\nb: {x: 2}\n",
			 "{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}");
}

static void test_merge_keys(void **state)
{
	(void)state;
	/* Explicit keys win whether they come before or after "<<". */
	assert_parses_to("base: &b {p: 1, q: 2, r: 3}\n"
			 "before:\n  q: 9\n  <<: *b\n"
			 "after:\n  <<: *b\n  p: 7\n",
			 "{\"base\": {\"p\": 1, \"q\": 2, \"r\": 3},"
			 " \"before\": {\"q\": 9, \"p\": 1, \"r\": 3},"
			 " \"after\": {\"p\": 7, \"q\": 2, \"r\": 3}}");
	/* Earlier sources of a list win over later ones. */
	assert_parses_to("a: &a {x: 1}\nb: &b {x: 2, w: 2}\n"
			 "c:\n  <<: [*a, *b]\n  z: 3\n"
			 "d:\n  <<: [{x: 5}, *b]\n",
			 "{\"a\": {\"x\": 1}, \"b\": {\"x\": 2, \"w\": 2},"
			 " \"c\": {\"x\": 1, \"w\": 2, \"z\": 3},"
			 " \"d\": {\"x\": 5, \"w\": 2}}");
	/* A quoted "<<" is an ordinary key. */
	assert_parses_to("'<<': {a: 1}\n", "{\"<<\": {\"a\": 1}}");
	/* An overridden merged key may be set once, not twice. */
	expect_error("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n  x: 3\n", NULL,
		     CZ_EINVALID, "in.yaml:5:3: duplicate key \"x\"", NULL);
	expect_error("a:\n  <<: 5\n", NULL, CZ_EINVALID, "in.yaml:2:3:",
		     "merge");
	expect_error("a:\n  <<: [{x: 1}, 2]\n", NULL, CZ_EINVALID,
		     "in.yaml:2:3:", "merge");
}

static void test_anchors_and_aliases(void **state)
{
	json_t *root;

	(void)state;
	assert_parses_to("a: &x {p: [1, 2]}\nb: *x\nc: &s hello\nd: *s\n"
			 "e: [*s, *x]\nf: &n 12\ng: *n\n",
			 "{\"a\": {\"p\": [1, 2]}, \"b\": {\"p\": [1, 2]},"
			 " \"c\": \"hello\", \"d\": \"hello\","
			 " \"e\": [\"hello\", {\"p\": [1, 2]}],"
			 " \"f\": 12, \"g\": 12}");
	/* An anchor may be redefined; aliases see the latest one. */
	assert_parses_to("- &a 1\n- *a\n- &a 2\n- *a\n", "[1, 1, 2, 2]");
	/* Aliased containers are shared, as the header documents. */
	root = parse_one("a: &x {p: 1}\nb: *x\n");
	assert_ptr_equal(json_object_get(root, "a"),
			 json_object_get(root, "b"));
	json_decref(root);
	/* Anchors do not leak from one document into the next. */
	expect_error("a: &x 1\n---\nb: *x\n", NULL, CZ_EINVALID,
		     "in.yaml:3:4: unknown anchor \"x\"", NULL);
}

static char *billion_laughs(int levels, int width)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_puts(&b, "l0: &l0 [lol]\n");
	for (int i = 1; i < levels; i++) {
		cz_buf_printf(&b, "l%d: &l%d [", i, i);
		for (int j = 0; j < width; j++)
			cz_buf_printf(&b, "%s*l%d", j ? ", " : "", i - 1);
		cz_buf_puts(&b, "]\n");
	}
	return cz_buf_detach(&b, NULL);
}

static void test_alias_bomb_refused(void **state)
{
	char *bomb = billion_laughs(9, 10);
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(bomb, NULL, &docs, &n, NULL, &err),
			 CZ_ETOOLARGE);
	assert_null(docs);
	assert_non_null(strstr(err.msg, "alias expansion"));
	assert_true(strncmp(err.msg, "in.yaml:", 8) == 0);
	free(bomb);

	/* A small fan-out stays within the limit and is expanded. */
	bomb = billion_laughs(3, 3);
	assert_int_equal(parse(bomb, NULL, &docs, &n, NULL, &err), CZ_OK);
	assert_int_equal(json_array_size(json_array_get(
				 json_array_get(json_object_get(docs[0].root,
								"l2"), 2),
				 2)), 1);
	cz_docs_free(docs, n);
	free(bomb);
}

static void test_recursive_alias_refused(void **state)
{
	(void)state;
	expect_error("a: &a [*a]\n", NULL, CZ_EINVALID,
		     "in.yaml:1:8: unknown anchor \"a\"", NULL);
	expect_error("a: &a {b: *a}\n", NULL, CZ_EINVALID, "in.yaml:1:11:",
		     "unknown anchor");
	expect_error("x: *nowhere\n", NULL, CZ_EINVALID, "in.yaml:1:4:",
		     "unknown anchor");
}

static char *nested_flow(int levels)
{
	char *s = malloc((size_t)levels * 2 + 2);

	for (int i = 0; i < levels; i++) {
		s[i] = '[';
		s[levels + i] = ']';
	}
	s[2 * levels] = '\n';
	s[2 * levels + 1] = '\0';
	return s;
}

/* "x: " and levels - 1 nested flow sequences: levels containers deep. */
static char *nested_yaml(int levels)
{
	char *inner = nested_flow(levels - 1);
	size_t len = strlen(inner) + 4;
	char *s = malloc(len);

	snprintf(s, len, "x: %s", inner);
	free(inner);
	return s;
}

static void test_depth_limit(void **state)
{
	char *ok = nested_yaml(64);
	char *deep = nested_yaml(65);
	cz_limits lim = cz_default_limits;
	json_t *root;

	(void)state;
	root = parse_one(ok);
	json_decref(root);
	/* The 65th container is the 64th '[' at column 3 + 64. */
	expect_error(deep, NULL, CZ_ETOOLARGE, "in.yaml:1:67:",
		     "nesting deeper than 64 levels");
	lim.max_depth = 2;
	expect_error("a:\n  b:\n    c: 1\n", &lim, CZ_ETOOLARGE,
		     "in.yaml:3:5: nesting deeper than 2 levels", NULL);
	free(ok);
	free(deep);
}

static void test_document_size_limit(void **state)
{
	cz_limits lim = cz_default_limits;
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 0;
	cz_buf b;
	unsigned line = 0;

	(void)state;
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	lim.max_document_bytes = 1024;
	for (int i = 0; i < 200000; i++)
		cz_buf_printf(&b, "- item%d\n", i);
	assert_int_equal(parse(b.data, &lim, &docs, &n, NULL, &err),
			 CZ_ETOOLARGE);
	assert_non_null(strstr(err.msg, "document larger than 1024 bytes"));
	/* Refused where the limit was passed, not at the end. */
	assert_int_equal(sscanf(err.msg, "in.yaml:%u:", &line), 1);
	assert_true(line > 50 && line < 200);

	/* One huge scalar is refused before libyaml has read all of it. */
	cz_buf_reset(&b);
	cz_buf_puts(&b, "a: ");
	for (int i = 0; i < 1000000; i++)
		cz_buf_puts(&b, "xxxxxxxxxx");
	assert_int_equal(parse(b.data, &lim, &docs, &n, NULL, &err),
			 CZ_ETOOLARGE);
	assert_non_null(strstr(err.msg, "document larger than 1024 bytes"));
	assert_int_equal(sscanf(err.msg, "in.yaml:1:%u:", &line), 1);
	assert_true(line < 1000000);

	/* The limit is per document: many small ones are fine. */
	cz_buf_reset(&b);
	for (int i = 0; i < 2000; i++)
		cz_buf_printf(&b, "---\nname: doc%d\nvalue: [1, 2, 3]\n", i);
	assert_int_equal(parse(b.data, &lim, &docs, &n, NULL, &err), CZ_OK);
	assert_int_equal(n, 2000);
	cz_docs_free(docs, n);
	cz_buf_release(&b);
}

static void test_node_limit(void **state)
{
	cz_limits lim = cz_default_limits;

	(void)state;
	lim.max_nodes = 7;
	/* map + 3 keys + 3 values = 7 nodes; the fourth key is one too many. */
	expect_error("a: 1\nb: 2\nc: 3\nd: 4\n", &lim, CZ_ETOOLARGE,
		     "in.yaml:4:1:", "more than 7 nodes");
}

/* ---- JSON input ---- */

static void test_json_object(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_linemap lines;
	cz_doc *docs = NULL;
	size_t n = 0;

	(void)state;
	assert_parses_to("  \n{\"a\": [1, 2.5, \"x\", true, null], "
			 "\"b\": {}}",
			 "{\"a\": [1, 2.5, \"x\", true, null], \"b\": {}}");
	/* JSON strings are never resolved: "true" stays a string. */
	assert_parses_to("{\"a\": \"true\", \"b\": \"0755\"}",
			 "{\"a\": \"true\", \"b\": \"0755\"}");
	cz_linemap_init(&lines);
	assert_int_equal(parse("\n\n[1, 2]\n", NULL, &docs, &n, &lines, &err),
			 CZ_OK);
	assert_int_equal(n, 1);
	assert_int_equal(docs[0].line, 3);
	assert_int_equal(lines.len, 0);
	cz_docs_free(docs, n);
	cz_linemap_release(&lines);
}

static void test_json_stream(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse("{\"kind\": \"A\"}\n\n{\n  \"kind\": \"B\"\n}"
			       "[3]\n", NULL, &docs, &n, NULL, &err), CZ_OK);
	assert_int_equal(n, 3);
	assert_string_equal(json_string_value(json_object_get(docs[0].root,
							      "kind")), "A");
	assert_int_equal(docs[0].line, 1);
	assert_string_equal(json_string_value(json_object_get(docs[1].root,
							      "kind")), "B");
	assert_int_equal(docs[1].line, 3);
	assert_int_equal(docs[2].line, 5);
	cz_docs_free(docs, n);
}

static void test_json_errors(void **state)
{
	cz_limits lim = cz_default_limits;
	char *deep = nested_flow(65);

	(void)state;
	expect_error("{\"a\": 1,\n \"a\": 2}", NULL, CZ_EINVALID,
		     "in.yaml:2:", "duplicate");
	expect_error("{\"a\": 1}\n{\"b\": 1,\n\n  ]\n", NULL, CZ_EINVALID,
		     "in.yaml:4:", NULL);
	expect_error("{\"a\": 1} x", NULL, CZ_EINVALID, "in.yaml:1:", NULL);
	expect_error(deep, NULL, CZ_ETOOLARGE, "in.yaml:1:1:",
		     "nesting deeper than 64 levels");
	lim.max_document_bytes = 64;
	expect_error("{\"a\": 1}\n{\"padding\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
		     &lim, CZ_ETOOLARGE, "in.yaml:2:1:",
		     "document larger than 64 bytes");
	free(deep);
}

/* ---- malformed YAML ---- */

static void test_malformed_yaml(void **state)
{
	(void)state;
	expect_error("a: b: c\n", NULL, CZ_EINVALID, "in.yaml:1:5:",
		     "mapping values are not allowed");
	expect_error("a:\n  b: 1\n c: 2\n", NULL, CZ_EINVALID, "in.yaml:3:2:",
		     NULL);
	expect_error("a: 1\nb: \"unclosed\nc: 2\n", NULL, CZ_EINVALID,
		     "in.yaml:4:1:", "quoted scalar");
	expect_error("a:\n\tb: 1\n", NULL, CZ_EINVALID, "in.yaml:2:1:",
		     "cannot start any token");
	expect_error("a: [1, 2\nb: 3\n", NULL, CZ_EINVALID, "in.yaml:", NULL);
	expect_error("a: 1\nb: \x01\n", NULL, CZ_EINVALID, "in.yaml:2:4:",
		     "control characters");
	expect_error("a: 1\nb: caf\xe9\n", NULL, CZ_EINVALID, "in.yaml:2:",
		     "UTF-8");
}

/* ---- line map ---- */

static void test_linemap_lines(void **state)
{
	static const char text[] =
		"apiVersion: v1\n"        /* 1 */
		"kind: List\n"            /* 2 */
		"items:\n"                /* 3 */
		"- name: first\n"         /* 4 */
		"  ports:\n"              /* 5 */
		"  - 80\n"                /* 6 */
		"  -   443\n"             /* 7 */
		"- name: second\n"        /* 8 */
		"  # comment\n"           /* 9 */
		"  labels: {a: x,\n"      /* 10 */
		"    b: y}\n";            /* 11 */
	cz_error err = CZ_ERROR_INIT;
	cz_linemap lines;
	cz_doc *docs = NULL;
	size_t n = 0;
	json_t *items, *first, *second, *ports;
	unsigned line, col;

	(void)state;
	cz_linemap_init(&lines);
	assert_int_equal(parse(text, NULL, &docs, &n, &lines, &err), CZ_OK);
	items = json_object_get(docs[0].root, "items");
	first = json_array_get(items, 0);
	second = json_array_get(items, 1);
	ports = json_object_get(first, "ports");
	assert_int_equal(cz_linemap_key(&lines, docs[0].root, "apiVersion"), 1);
	assert_int_equal(cz_linemap_key(&lines, docs[0].root, "kind"), 2);
	assert_int_equal(cz_linemap_key(&lines, docs[0].root, "items"), 3);
	assert_int_equal(cz_linemap_index(&lines, items, 0), 4);
	assert_int_equal(cz_linemap_index(&lines, items, 1), 8);
	assert_int_equal(cz_linemap_key(&lines, first, "name"), 4);
	assert_int_equal(cz_linemap_key(&lines, first, "ports"), 5);
	assert_int_equal(cz_linemap_index(&lines, ports, 0), 6);
	assert_int_equal(cz_linemap_index(&lines, ports, 1), 7);
	assert_int_equal(cz_linemap_key(&lines, second, "labels"), 10);
	assert_int_equal(cz_linemap_key(&lines,
					json_object_get(second, "labels"),
					"b"), 11);
	assert_true(cz_linemap_index_pos(&lines, ports, 1, &line, &col));
	assert_int_equal(line, 7);
	assert_int_equal(col, 7);
	/* Unknown slots. */
	assert_int_equal(cz_linemap_key(&lines, first, "nope"), 0);
	assert_int_equal(cz_linemap_index(&lines, ports, 2), 0);
	assert_int_equal(cz_linemap_key(NULL, first, "name"), 0);
	assert_false(cz_linemap_key_pos(&lines, second, "zzz", &line, &col));
	assert_int_equal(line, 0);
	cz_docs_free(docs, n);
	cz_linemap_release(&lines);
}

static void test_linemap_merged_keys_and_growth(void **state)
{
	cz_linemap lines;
	json_t *objs[64];
	char key[32];

	(void)state;
	cz_linemap_init(&lines);
	/* Enough entries to force several rehashes; keys are copied, so
	 * the caller's buffer may change under the map. */
	for (int o = 0; o < 64; o++) {
		objs[o] = json_object();
		for (unsigned k = 0; k < 1000; k++) {
			snprintf(key, sizeof(key), "key%u", k);
			cz_linemap_set_key(&lines, objs[o], key, k + 1, 3);
			cz_linemap_set_index(&lines, objs[o], k, k + 7, 1);
		}
	}
	assert_int_equal(lines.len, 64 * 2000);
	for (int o = 0; o < 64; o++) {
		assert_int_equal(cz_linemap_key(&lines, objs[o], "key999"),
				 1000);
		assert_int_equal(cz_linemap_index(&lines, objs[o], 0), 7);
	}
	/* Setting again overwrites rather than adding. */
	cz_linemap_set_key(&lines, objs[0], "key5", 42, 1);
	assert_int_equal(cz_linemap_key(&lines, objs[0], "key5"), 42);
	assert_int_equal(lines.len, 64 * 2000);
	for (int o = 0; o < 64; o++)
		json_decref(objs[o]);
	cz_linemap_release(&lines);
}

static void test_linemap_merge_points_at_source(void **state)
{
	cz_error err = CZ_ERROR_INIT;
	cz_linemap lines;
	cz_doc *docs = NULL;
	size_t n = 0;
	json_t *b;

	(void)state;
	cz_linemap_init(&lines);
	assert_int_equal(parse("a: &a\n  x: 1\n  z: 2\nb:\n  <<: *a\n  z: 3\n",
			       NULL, &docs, &n, &lines, &err), CZ_OK);
	b = json_object_get(docs[0].root, "b");
	assert_int_equal(cz_linemap_key(&lines, b, "x"), 2);
	assert_int_equal(cz_linemap_key(&lines, b, "z"), 6);
	cz_docs_free(docs, n);
	cz_linemap_release(&lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool_spellings),
		cmocka_unit_test(test_quoted_stays_string),
		cmocka_unit_test(test_null_forms),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_nonfinite_refused),
		cmocka_unit_test(test_multi_document_stream),
		cmocka_unit_test(test_empty_and_comment_only_input),
		cmocka_unit_test(test_comments_and_flow_style),
		cmocka_unit_test(test_block_scalars),
		cmocka_unit_test(test_explicit_tags),
		cmocka_unit_test(test_non_string_keys),
		cmocka_unit_test(test_invalid_map_keys),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_anchors_and_aliases),
		cmocka_unit_test(test_alias_bomb_refused),
		cmocka_unit_test(test_recursive_alias_refused),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_document_size_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_json_object),
		cmocka_unit_test(test_json_stream),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_malformed_yaml),
		cmocka_unit_test(test_linemap_lines),
		cmocka_unit_test(test_linemap_merged_keys_and_growth),
		cmocka_unit_test(test_linemap_merge_points_at_source),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
