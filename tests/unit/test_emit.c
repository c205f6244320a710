/* Unit tests for object/emit: the YAML and JSON writers and the float
 * formatting they share. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object/emit.h"
#include "object/yaml.h"
#include "util/buf.h"
#include "util/mem.h"

/* ---- helpers ---- */

static json_t *parse_yaml_text(const char *text, size_t len)
{
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 0;
	json_t *root;
	int rc = cz_parse_stream(text, len, "out.yaml", NULL, &docs, &n, NULL,
				 &err);

	if (rc != CZ_OK)
		print_error("emitted text does not parse: %s\n%s\n", err.msg,
			    text);
	assert_int_equal(rc, CZ_OK);
	assert_int_equal(n, 1);
	root = json_incref(docs[0].root);
	cz_docs_free(docs, n);
	return root;
}

static char *emit_yaml(const json_t *v)
{
	cz_error err = CZ_ERROR_INIT;
	cz_buf b;
	int rc;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	rc = cz_emit_yaml(&b, v, &err);
	if (rc != CZ_OK)
		print_error("emit failed: %s\n", err.msg);
	assert_int_equal(rc, CZ_OK);
	return cz_buf_detach(&b, NULL);
}

static char *emit_json(const json_t *v, bool compact)
{
	cz_error err = CZ_ERROR_INIT;
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_emit_json(&b, v, compact, &err), CZ_OK);
	return cz_buf_detach(&b, NULL);
}

#define JSON_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* emit -> parse must give back an equal value, through YAML and JSON. */
static void assert_round_trip(const json_t *v)
{
	char *yaml = emit_yaml(v);
	char *json = emit_json(v, false);
	char *compact = emit_json(v, true);
	json_t *back = parse_yaml_text(yaml, strlen(yaml));
	json_t *from_json = json_loads(json, JSON_FLAGS, NULL);
	json_t *from_compact = json_loads(compact, JSON_FLAGS, NULL);

	if (!json_equal(back, v)) {
		char *want = json_dumps(v, JSON_ENCODE_ANY);
		char *got = json_dumps(back, JSON_ENCODE_ANY);

		print_error("YAML round trip differs\nemitted:\n%s\nwant: %s\n"
			    "got:  %s\n", yaml, want, got);
		free(want);
		free(got);
		fail();
	}
	assert_true(json_equal(from_json, v));
	assert_true(json_equal(from_compact, v));
	json_decref(back);
	json_decref(from_json);
	json_decref(from_compact);
	free(yaml);
	free(json);
	free(compact);
}

/* Every string as a value, as a key and as a sequence item. */
static void round_trip_string(const char *s, size_t len)
{
	json_t *v = json_object();
	json_t *seq = json_array();
	json_t *key = json_object();
	char *k = malloc(len + 1);

	memcpy(k, s, len);
	k[len] = '\0';
	json_object_set_new(v, "value", json_stringn(s, len));
	json_array_append_new(seq, json_stringn(s, len));
	json_array_append_new(seq, json_integer(1));
	json_object_set_new(v, "seq", seq);
	if (!memchr(s, '\0', len)) {
		json_object_set_new(key, k, json_stringn(s, len));
		json_object_set_new(v, "nested", key);
	} else {
		json_decref(key);
	}
	assert_non_null(json_object_get(v, "value"));
	assert_round_trip(v);
	/* And alone, as a whole document. */
	assert_round_trip(json_object_get(v, "value"));
	json_decref(v);
	free(k);
}

static void assert_yaml_text(const json_t *v, const char *expected)
{
	char *got = emit_yaml(v);

	if (strcmp(got, expected) != 0)
		print_error("got:\n%s\nwant:\n%s\n", got, expected);
	assert_string_equal(got, expected);
	free(got);
}

static json_t *json_of(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (!v)
		print_error("bad test JSON: %s\n", je.text);
	assert_non_null(v);
	return v;
}

/* ---- round trips ---- */

static void test_round_trip_lookalike_strings(void **state)
{
	static const char *const strings[] = {
		"true", "True", "TRUE", "TrUe", "false", "No", "no", "yes",
		"on", "Off", "y", "Y", "n", "N", "~", "null", "Null", "NULL",
		"123", "-1", "+1", "0", "0755", "0x1F", "0o17", "0b101", "08",
		"1e3", "1E3", ".5", "-.5", "1.", "1_000", "6.02e23",
		"9223372036854775808", ".inf", "-.inf", "+.inf", ".nan",
		".NaN", "1e400", "2001-12-14", "12:30", "<<", ".", "..",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		round_trip_string(strings[i], strlen(strings[i]));
}

static void test_round_trip_indicator_strings(void **state)
{
	static const char *const strings[] = {
		"", " ", "-", "--", "--flag=value", "-x", "- item", "---",
		"--- x", "...", "... x", "?", "? q", "?x", ":", ":x", "x:",
		"a: b", "a:b", "a #b", "a#b", "#hash", " lead", "trail ",
		"@at", "`tick", "%pct", "!bang", "&amp", "*star", "|pipe",
		">gt", "'sq", "\"dq", "it's", "say \"hi\"", "[x", "]x", "{x",
		"}x", ",x", "x,y", "a [b] {c}", "back\\slash", "tab\there",
		"\t", "ctrl\x01", "del\x7f", "bell\a", "esc\x1b", "cr\rx",
		"= eq", "x: y: z", "url: http://a.b/c?d=e#f", "%YAML 1.2",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		round_trip_string(strings[i], strlen(strings[i]));
	round_trip_string("nul\0byte", 8);
}

static void test_round_trip_unicode(void **state)
{
	static const char *const strings[] = {
		"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		"emoji \xf0\x9f\x98\x80", "nel\xc2\x85x", "c1\xc2\x80x",
		"nbsp\xc2\xa0x", "ls\xe2\x80\xa8x", "ps\xe2\x80\xa9x",
		"bom\xef\xbb\xbfx", "\xef\xbb\xbf", "nonchar\xef\xbf\xbe",
		"\xc3\xa9: \xc3\xa9",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		round_trip_string(strings[i], strlen(strings[i]));
}

static void test_round_trip_multiline(void **state)
{
	static const char *const strings[] = {
		"multi\nline", "multi\nline\n", "multi\nline\n\n",
		"multi\n\n\nline", "\nleading newline", "\n\nx\n",
		"trailing spaces \nx", "x\ntrailing spaces ", "  indented\nx",
		"x\n  indented\n", "a\r\nb\r\n", "\n", "\n\n", "tab\tin\nline",
		"\tlead tab\nx", "x\n\tlead tab", "#!/bin/sh\necho hi\n",
		"- a\n- b\n", "key: value\nother: 1\n", "---\n...\n",
		"true\n", "\"q\"\n'q'\n", "last line no newline\nend",
		"unicode \xc3\xa9\n\xe6\x97\xa5\n", "nel\xc2\x85\nx",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		round_trip_string(strings[i], strlen(strings[i]));
}

static void test_round_trip_structures(void **state)
{
	static const char *const docs[] = {
		"{}", "[]", "{\"a\": {}}", "{\"a\": []}", "[{}, [], {}]",
		"[[[]]]", "[[1, [2, []]], {\"a\": [{}]}]",
		"{\"a\": {\"b\": {\"c\": {\"d\": [1, {\"e\": []}]}}}}",
		"[null, true, false, 0, -1, 9223372036854775807, "
		"-9223372036854775808, 0.5, -2.5e-9, 1.5e300, \"s\"]",
		"{\"list\": [[\"a\", \"b\"], [\"c\"]], \"m\": [{\"k\": "
		"\"multi\\nline\\n\", \"j\": [1]}]}",
		"{\"\": \"empty key\", \" \": 1, \"true\": \"key\", "
		"\"1\": 2, \"a\\nb\": \"newline key\", \"-\": 3}",
		"\"top-level string\"", "\"top\\nlevel\\nlines\\n\"", "42",
		"null", "true",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *v = json_of(docs[i]);

		if (json_is_null(v))
			/* A null document parses to an empty one. */
			assert_yaml_text(v, "null\n");
		else
			assert_round_trip(v);
		json_decref(v);
	}
}

static void test_round_trip_long_keys(void **state)
{
	char key[2000];
	json_t *v = json_object();
	json_t *inner = json_object();

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	json_object_set_new(v, key, json_string("long plain key"));
	key[200] = '\0';
	json_object_set_new(inner, key, json_pack("[i, i]", 1, 2));
	key[150] = ' ';
	json_object_set_new(inner, key, json_pack("{s:i}", "a", 1));
	key[150] = '\n';
	json_object_set_new(inner, key, json_string("x"));
	json_object_set_new(v, "inner", inner);
	assert_round_trip(v);
	json_decref(v);
}

static void test_round_trip_parsed_manifest(void **state)
{
	static const char text[] =
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata:\n"
		"  name: web\n"
		"  labels: {app: web, tier: \"1\"}\n"
		"  annotations:\n"
		"    note: |\n"
		"      line one\n"
		"      line two\n"
		"spec:\n"
		"  replicas: 3\n"
		"  template:\n"
		"    spec:\n"
		"      containers:\n"
		"      - name: web\n"
		"        image: nginx:1.25\n"
		"        args: [--port=80, -v, \"on\"]\n"
		"        env:\n"
		"        - {name: A, value: 'yes'}\n"
		"        - name: B\n"
		"          value: \"0755\"\n"
		"        ratio: 0.25\n";
	json_t *v = parse_yaml_text(text, strlen(text));

	(void)state;
	assert_round_trip(v);
	json_decref(v);
}

/* ---- exact output ---- */

static void test_yaml_exact_layout(void **state)
{
	json_t *v = json_of(
		"{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\","
		" \"metadata\": {\"name\": \"cfg\", \"labels\": {}},"
		" \"items\": [{\"name\": \"a\", \"ports\": [80, 443]},"
		" [\"x\", \"y\"], {}, []],"
		" \"data\": {\"enabled\": \"true\", \"mode\": \"0755\","
		" \"script\": \"echo hi\\nexit 0\\n\", \"empty\": \"\","
		" \"ratio\": 0.5, \"big\": 1e21, \"n\": null, \"t\": true,"
		" \"arg\": \"--flag\", \"colon\": \"a: b\"}}");

	(void)state;
	assert_yaml_text(v,
			 "apiVersion: v1\n"
			 "kind: ConfigMap\n"
			 "metadata:\n"
			 "  name: cfg\n"
			 "  labels: {}\n"
			 "items:\n"
			 "- name: a\n"
			 "  ports:\n"
			 "  - 80\n"
			 "  - 443\n"
			 "- - x\n"
			 "  - \"y\"\n"
			 "- {}\n"
			 "- []\n"
			 "data:\n"
			 "  enabled: \"true\"\n"
			 "  mode: \"0755\"\n"
			 "  script: |\n"
			 "    echo hi\n"
			 "    exit 0\n"
			 "  empty: \"\"\n"
			 "  ratio: 0.5\n"
			 "  big: 1e+21\n"
			 "  \"n\": null\n"
			 "  t: true\n"
			 "  arg: --flag\n"
			 "  colon: \"a: b\"\n");
	json_decref(v);
}

static void test_yaml_exact_scalars(void **state)
{
	json_t *v;

	(void)state;
	v = json_of("{}");
	assert_yaml_text(v, "{}\n");
	json_decref(v);
	v = json_of("[]");
	assert_yaml_text(v, "[]\n");
	json_decref(v);
	v = json_of("\"plain\"");
	assert_yaml_text(v, "plain\n");
	json_decref(v);
	v = json_of("[\"a\\nb\", \"a\\nb\\n\", \"a\\n\\n\", \"tab\\tx\","
		    " \"x \\ny\", \"nel\\u0085\", \"\\u0001\", \"\\u2028\","
		    " \"k: v\\n\"]");
	assert_yaml_text(v,
			 "- |-\n  a\n  b\n"
			 "- |\n  a\n  b\n"
			 "- |+\n  a\n\n"
			 "- \"tab\\tx\"\n"
			 "- \"x \\ny\"\n"
			 "- \"nel\\N\"\n"
			 "- \"\\x01\"\n"
			 "- \"\\L\"\n"
			 "- |\n  k: v\n");
	json_decref(v);
	v = json_of("{\"a\": {\"b\": \"x\\ny\"}, \"c\": [{\"d\": \"p\\nq\\n\"}]}");
	assert_yaml_text(v,
			 "a:\n  b: |-\n    x\n    y\n"
			 "c:\n- d: |\n    p\n    q\n");
	json_decref(v);
}

/* The store's text: every value reads back as itself, reals as reals. */
static void test_json_stored_round_trip(void **state)
{
	json_t *v = json_of("{\"whole\": 1000.0, \"neg\": -2.0, \"tenth\": 0.1,"
			    " \"big\": 1e21, \"tiny\": 1e-7, \"int\": 7,"
			    " \"s\": \"<&>\\u2028\", \"l\": [0.0, 3]}");
	cz_buf out;
	json_t *back;

	(void)state;
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	assert_int_equal(cz_emit_json_stored(&out, v, NULL), CZ_OK);
	assert_string_equal(out.data,
			    "{\"whole\":1000.0,\"neg\":-2.0,\"tenth\":0.1,"
			    "\"big\":1e+21,\"tiny\":1e-7,\"int\":7,"
			    "\"s\":\"\\u003c\\u0026\\u003e\\u2028\","
			    "\"l\":[0.0,3]}");
	back = json_loadb(out.data, out.len, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, v));
	assert_true(json_is_real(json_object_get(back, "whole")));
	assert_true(json_is_integer(json_object_get(back, "int")));
	json_decref(back);
	cz_buf_release(&out);
	json_decref(v);
}

static void test_json_exact(void **state)
{
	json_t *v = json_of("{\"kind\": \"List\", \"items\": [{\"a\": 1,"
			    " \"b\": [true, null, 2.5]}, {}, []],"
			    " \"s\": \"<tag> & \\\"q\\\" \\\\ \\n\\t\\u0001\\u2028"
			    "\\u00e9\", \"big\": 1e21, \"whole\": 1000.0}");
	char *pretty = emit_json(v, false);
	char *compact = emit_json(v, true);

	(void)state;
	assert_string_equal(pretty,
			    "{\n"
			    "    \"kind\": \"List\",\n"
			    "    \"items\": [\n"
			    "        {\n"
			    "            \"a\": 1,\n"
			    "            \"b\": [\n"
			    "                true,\n"
			    "                null,\n"
			    "                2.5\n"
			    "            ]\n"
			    "        },\n"
			    "        {},\n"
			    "        []\n"
			    "    ],\n"
			    "    \"s\": \"\\u003ctag\\u003e \\u0026 \\\"q\\\" \\\\ "
			    "\\n\\t\\u0001\\u2028\xc3\xa9\",\n"
			    "    \"big\": 1e+21,\n"
			    "    \"whole\": 1000\n"
			    "}\n");
	assert_string_equal(compact,
			    "{\"kind\":\"List\",\"items\":[{\"a\":1,\"b\":"
			    "[true,null,2.5]},{},[]],\"s\":\"\\u003ctag\\u003e "
			    "\\u0026 \\\"q\\\" \\\\ \\n\\t\\u0001\\u2028\xc3\xa9\","
			    "\"big\":1e+21,\"whole\":1000}");
	free(pretty);
	free(compact);
	json_decref(v);
}

/* ---- failures ---- */

static void test_emit_refuses_invalid_utf8(void **state)
{
	json_t *v = json_pack("{s:o}", "a", json_stringn_nocheck("x\xff", 2));
	cz_error err = CZ_ERROR_INIT;
	cz_buf b;

	(void)state;
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_puts(&b, "kept");
	assert_int_equal(cz_emit_yaml(&b, v, &err), CZ_EINVALID);
	assert_non_null(strstr(err.msg, "UTF-8"));
	assert_string_equal(b.data, "kept");
	assert_int_equal(cz_emit_json(&b, v, false, &err), CZ_EINVALID);
	assert_string_equal(b.data, "kept");
	cz_buf_release(&b);
	json_decref(v);
}

static void test_emit_respects_buffer_cap(void **state)
{
	json_t *v = json_array();
	cz_error err = CZ_ERROR_INIT;
	cz_buf b;

	(void)state;
	for (int i = 0; i < 100000; i++)
		json_array_append_new(v, json_string("some text"));
	cz_buf_init(&b, 1000);
	cz_buf_puts(&b, "head");
	assert_int_equal(cz_emit_yaml(&b, v, &err), CZ_ETOOLARGE);
	assert_string_equal(b.data, "head");
	assert_int_equal(cz_emit_json(&b, v, true, &err), CZ_ETOOLARGE);
	assert_string_equal(b.data, "head");
	cz_buf_release(&b);
	json_decref(v);
}

/* ---- float formatting ---- */

static void assert_format(double v, const char *json_style,
			  const char *g_style)
{
	char buf[32];

	cz_format_double(v, buf, sizeof(buf));
	if (strcmp(buf, json_style) != 0)
		print_error("cz_format_double(%.17g) = %s, want %s\n", v, buf,
			    json_style);
	assert_string_equal(buf, json_style);
	cz_format_double_g(v, buf, sizeof(buf));
	if (strcmp(buf, g_style) != 0)
		print_error("cz_format_double_g(%.17g) = %s, want %s\n", v,
			    buf, g_style);
	assert_string_equal(buf, g_style);
}

static void test_format_double(void **state)
{
	char small[4];

	(void)state;
	assert_format(1000.0, "1000", "1000");
	assert_format(0.1, "0.1", "0.1");
	assert_format(1e21, "1e+21", "1e+21");
	assert_format(1e20, "100000000000000000000", "1e+20");
	assert_format(123456.0, "123456", "123456");
	assert_format(1234567.0, "1234567", "1.234567e+06");
	assert_format(1e6, "1000000", "1e+06");
	assert_format(1e-6, "0.000001", "1e-06");
	assert_format(1e-7, "1e-7", "1e-07");
	assert_format(0.0001, "0.0001", "0.0001");
	assert_format(0.00001, "0.00001", "1e-05");
	assert_format(-2.5, "-2.5", "-2.5");
	assert_format(0.0, "0", "0");
	assert_format(-0.0, "-0", "-0");
	assert_format(8.0, "8", "8");
	assert_format(0.30000000000000004, "0.30000000000000004",
		      "0.30000000000000004");
	assert_format(1.0 / 3.0, "0.3333333333333333", "0.3333333333333333");
	assert_format(5e-324, "5e-324", "5e-324");
	assert_format(1.7976931348623157e308, "1.7976931348623157e+308",
		      "1.7976931348623157e+308");
	assert_format(9007199254740993.0, "9007199254740992",
		      "9.007199254740992e+15");
	assert_format(123456789.125, "123456789.125", "1.23456789125e+08");
	/* Truncation keeps the result NUL-terminated. */
	cz_format_double(123456.5, small, sizeof(small));
	assert_string_equal(small, "123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_lookalike_strings),
		cmocka_unit_test(test_round_trip_indicator_strings),
		cmocka_unit_test(test_round_trip_unicode),
		cmocka_unit_test(test_round_trip_multiline),
		cmocka_unit_test(test_round_trip_structures),
		cmocka_unit_test(test_round_trip_long_keys),
		cmocka_unit_test(test_round_trip_parsed_manifest),
		cmocka_unit_test(test_yaml_exact_layout),
		cmocka_unit_test(test_yaml_exact_scalars),
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_json_stored_round_trip),
		cmocka_unit_test(test_emit_refuses_invalid_utf8),
		cmocka_unit_test(test_emit_respects_buffer_cap),
		cmocka_unit_test(test_format_double),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
