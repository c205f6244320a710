/* JSON Schema validation of chart values: one test per keyword group with
 * exact messages, a realistic chart schema, and hostile schemas that must
 * fail cleanly. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "object/jsonschema.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/mem.h"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("bad test JSON: %s: %s", jerr.text, text);
	return v;
}

/* The outcome of one validation. */
typedef struct outcome {
	int rc;
	size_t nerrors;
	char lines[8192];
	char err[CZ_ERROR_MSG_MAX];
} outcome;

static outcome run_with(const json_t *schema, const json_t *instance,
			const char *prefix, size_t max_errors)
{
	outcome o;
	cz_error err = CZ_ERROR_INIT;
	cz_buf errors;

	cz_buf_init(&errors, CZ_BUF_UNLIMITED);
	o.rc = cz_jsonschema_validate(schema, instance, prefix, &errors,
				      max_errors, &o.nerrors, &err);
	snprintf(o.lines, sizeof(o.lines), "%s", errors.data);
	snprintf(o.err, sizeof(o.err), "%s", err.msg);
	cz_buf_release(&errors);
	return o;
}

static outcome run(const char *schema_text, const char *instance_text)
{
	json_t *schema = parse(schema_text);
	json_t *instance = parse(instance_text);
	outcome o = run_with(schema, instance, "", 0);

	json_decref(schema);
	json_decref(instance);
	return o;
}

/* instance is valid against schema. */
static void valid(const char *schema, const char *instance)
{
	outcome o = run(schema, instance);

	if (o.rc != CZ_OK)
		fail_msg("%s against %s: rc %d, lines:\n%s%s", instance, schema,
			 o.rc, o.lines, o.err);
	assert_int_equal(o.nerrors, 0);
	assert_string_equal(o.lines, "");
}

/* instance is invalid against schema with exactly these lines. */
static void invalid(const char *schema, const char *instance,
		    const char *lines)
{
	outcome o = run(schema, instance);

	if (o.rc != CZ_EINVALID)
		fail_msg("%s against %s: rc %d (%s)", instance, schema, o.rc,
			 o.err);
	assert_string_equal(o.lines, lines);
	assert_string_equal(o.err, "");
}

/* schema is unusable, failing with code and this message. */
static void unusable(const char *schema, int code, const char *msg)
{
	outcome o = run(schema, "{}");
	cz_error err = CZ_ERROR_INIT;
	json_t *s = parse(schema);

	if (o.rc != code)
		fail_msg("%s: rc %d, expected %d (%s)", schema, o.rc, code,
			 o.err);
	assert_string_equal(o.err, msg);
	assert_string_equal(o.lines, "");
	assert_int_equal(o.nerrors, 0);
	/* Loops show only when a value is walked through them. */
	if (code != CZ_ECYCLE) {
		assert_int_equal(cz_jsonschema_check(s, &err), code);
		assert_string_equal(err.msg, msg);
	}
	json_decref(s);
}

static void test_type(void **state)
{
	json_t *schema = parse("{\"properties\":{\"replicas\":"
			       "{\"type\":\"integer\"}}}");
	json_t *values = parse("{\"replicas\":\"three\"}");
	outcome o;

	(void)state;
	o = run_with(schema, values, "spec.components.webapp.values", 0);
	assert_int_equal(o.rc, CZ_EINVALID);
	assert_int_equal(o.nerrors, 1);
	assert_string_equal(o.lines,
			    "spec.components.webapp.values.replicas: expected "
			    "integer, got string \"three\"\n");
	json_decref(schema);
	json_decref(values);

	valid("{\"type\":\"integer\"}", "3");
	valid("{\"type\":\"integer\"}", "3.0"); /* a zero fraction */
	valid("{\"type\":\"number\"}", "3");
	valid("{\"type\":\"number\"}", "3.5");
	valid("{\"type\":[\"string\",\"null\"]}", "null");
	valid("{\"type\":\"boolean\"}", "false");
	valid("{\"type\":\"array\"}", "[]");
	valid("{}", "{\"anything\":[1,2]}");
	invalid("{\"type\":\"integer\"}", "3.5",
		"(root): expected integer, got number 3.5\n");
	invalid("{\"type\":\"string\"}", "null",
		"(root): expected string, got null\n");
	invalid("{\"type\":\"object\"}", "[1]",
		"(root): expected object, got array\n");
	invalid("{\"type\":\"array\"}", "{}",
		"(root): expected array, got object\n");
	invalid("{\"type\":\"boolean\"}", "\"yes\"",
		"(root): expected boolean, got string \"yes\"\n");
	invalid("{\"type\":[\"string\",\"null\"]}", "3",
		"(root): expected string or null, got integer 3\n");
	invalid("{\"type\":[\"string\",\"integer\",\"null\"]}", "true",
		"(root): expected string, integer or null, got boolean "
		"true\n");
	/* The wrong type says it all: enum is not reported as well. */
	invalid("{\"type\":\"string\",\"enum\":[\"a\"]}", "1",
		"(root): expected string, got integer 1\n");
}

static void test_enum_const(void **state)
{
	(void)state;
	valid("{\"enum\":[\"a\",\"b\"]}", "\"b\"");
	valid("{\"enum\":[1,{\"x\":[true]}]}", "{\"x\":[true]}");
	valid("{\"enum\":[1]}", "1.0");
	valid("{\"const\":{\"a\":1,\"b\":2}}", "{\"b\":2,\"a\":1}");
	invalid("{\"enum\":[\"a\",\"b\"]}", "\"c\"",
		"(root): must be one of \"a\", \"b\", got \"c\"\n");
	invalid("{\"enum\":[\"ClusterIP\",\"NodePort\",null,3]}", "false",
		"(root): must be one of \"ClusterIP\", \"NodePort\", null, 3, "
		"got false\n");
	invalid("{\"enum\":[\"only\"]}", "\"other\"",
		"(root): must be \"only\", got \"other\"\n");
	invalid("{\"enum\":[]}", "1",
		"(root): no value is allowed (enum is empty)\n");
	invalid("{\"enum\":[0,1,2,3,4,5,6,7,8,9,10,11]}", "12",
		"(root): must be one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... "
		"(12 values), got 12\n");
	invalid("{\"const\":\"v1\"}", "\"v2\"",
		"(root): must be \"v1\", got \"v2\"\n");
	invalid("{\"const\":{\"a\":1}}", "{\"a\":2}",
		"(root): must be {\"a\":1}, got an object\n");
}

static void test_numbers(void **state)
{
	(void)state;
	valid("{\"minimum\":1,\"maximum\":10}", "1");
	valid("{\"minimum\":1,\"maximum\":10}", "10");
	valid("{\"minimum\":1}", "\"strings are not numbers\"");
	valid("{\"exclusiveMinimum\":0}", "0.001");
	valid("{\"multipleOf\":5}", "-15");
	valid("{\"multipleOf\":0.1}", "0.3");
	valid("{\"multipleOf\":0.5}", "2");
	invalid("{\"minimum\":1}", "0", "(root): must be >= 1, got 0\n");
	invalid("{\"maximum\":10}", "10.5",
		"(root): must be <= 10, got 10.5\n");
	invalid("{\"exclusiveMinimum\":1}", "1",
		"(root): must be > 1, got 1\n");
	invalid("{\"exclusiveMaximum\":1.5}", "1.5",
		"(root): must be < 1.5, got 1.5\n");
	/* The draft-4 boolean form modifies minimum and maximum. */
	invalid("{\"minimum\":1,\"exclusiveMinimum\":true}", "1",
		"(root): must be > 1, got 1\n");
	invalid("{\"maximum\":5,\"exclusiveMaximum\":true}", "5.0",
		"(root): must be < 5, got 5\n");
	valid("{\"minimum\":1,\"exclusiveMinimum\":false}", "1");
	invalid("{\"multipleOf\":5}", "7",
		"(root): must be a multiple of 5, got 7\n");
	invalid("{\"multipleOf\":0.1}", "0.35",
		"(root): must be a multiple of 0.1, got 0.35\n");
	/* Integers beyond double precision still compare exactly. */
	invalid("{\"maximum\":9007199254740992}", "9007199254740993",
		"(root): must be <= 9007199254740992, got 9007199254740993\n");
	invalid("{\"minimum\":0,\"maximum\":-1}", "0.5",
		"(root): must be <= -1, got 0.5\n");
}

static void test_strings(void **state)
{
	(void)state;
	valid("{\"minLength\":3,\"maxLength\":3}", "\"h\xc3\xa9\xc3\xa9\"");
	valid("{\"minLength\":1}", "5");
	invalid("{\"minLength\":3}", "\"ab\"",
		"(root): must be at least 3 characters long, got 2\n");
	invalid("{\"maxLength\":1}", "\"\xc3\xa9\xc3\xa9\"",
		"(root): must be at most 1 character long, got 2\n");
	valid("{\"pattern\":\"^[a-z]+$\"}", "\"abc\"");
	valid("{\"pattern\":\"b\"}", "\"abc\""); /* not anchored */
	invalid("{\"pattern\":\"^[a-z]+$\"}", "\"Abc\"",
		"(root): does not match pattern \"^[a-z]+$\"\n");
	/* ECMA escapes and groups translated to POSIX. */
	valid("{\"pattern\":\"^\\\\d{3}-\\\\w+$\"}", "\"123-ab_9\"");
	invalid("{\"pattern\":\"^\\\\d{3}$\"}", "\"12a\"",
		"(root): does not match pattern \"^\\\\d{3}$\"\n");
	valid("{\"pattern\":\"^[\\\\w.-]+$\"}", "\"a.b-c\"");
	invalid("{\"pattern\":\"^[\\\\w.-]+$\"}", "\"a b\"",
		"(root): does not match pattern \"^[\\\\w.-]+$\"\n");
	valid("{\"pattern\":\"^\\\\S+$\"}", "\"x\"");
	invalid("{\"pattern\":\"^\\\\S+$\"}", "\"x y\"",
		"(root): does not match pattern \"^\\\\S+$\"\n");
	valid("{\"pattern\":\"^(?:ab)+?c$\"}", "\"ababc\"");
	valid("{\"pattern\":\"^a{,2}$\"}", "\"a{,2}\""); /* a literal brace */
	valid("{\"pattern\":\"^[\\\\]\\\\^\\\\-]+$\"}", "\"]^-\"");
	invalid("{\"pattern\":\"^[\\\\]\\\\^\\\\-]+$\"}", "\"a\"",
		"(root): does not match pattern \"^[\\\\]\\\\^\\\\-]+$\"\n");
	valid("{\"pattern\":\"^[\\\\^]$\"}", "\"^\"");
	valid("{\"pattern\":\"^\\\\$\\\\{[A-Z_]+\\\\}$\"}", "\"${HOME_DIR}\"");
	valid("{\"pattern\":\"^\xc3\xa9{2}$\"}", "\"\xc3\xa9\xc3\xa9\"");
	valid("{\"pattern\":\"^[0-9]+(m|Mi|Gi)?$\"}", "\"512Mi\"");
	valid("{\"format\":\"ipv4\"}", "\"10.0.0.1\"");
	valid("{\"format\":\"ipv6\"}", "\"fd00::1\"");
	valid("{\"format\":\"date-time\"}", "\"2024-02-29T12:30:00.5+01:00\"");
	valid("{\"format\":\"date\"}", "\"2000-02-29\"");
	valid("{\"format\":\"hostname\"}", "\"db-1.example.com\"");
	valid("{\"format\":\"uuid\"}",
	      "\"123e4567-e89b-12d3-a456-426614174000\"");
	valid("{\"format\":\"email\"}", "\"ops@example.com\"");
	valid("{\"format\":\"no-such-format\"}", "\"anything\"");
	valid("{\"format\":\"ipv4\"}", "42");
	invalid("{\"format\":\"ipv4\"}", "\"10.0.0.256\"",
		"(root): does not match format \"ipv4\", got \"10.0.0.256\"\n");
	invalid("{\"format\":\"date\"}", "\"2023-02-29\"",
		"(root): does not match format \"date\", got \"2023-02-29\"\n");
	invalid("{\"format\":\"hostname\"}", "\"-bad.example\"",
		"(root): does not match format \"hostname\", got "
		"\"-bad.example\"\n");
	invalid("{\"format\":\"date-time\"}", "\"2024-01-01 10:00:00Z\"",
		"(root): does not match format \"date-time\", got "
		"\"2024-01-01 10:00:00Z\"\n");
}

static void test_arrays(void **state)
{
	(void)state;
	valid("{\"items\":{\"type\":\"integer\"}}", "[1,2,3]");
	invalid("{\"items\":{\"type\":\"integer\"}}", "[1,\"x\",true]",
		"[1]: expected integer, got string \"x\"\n"
		"[2]: expected integer, got boolean true\n");
	valid("{\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}",
	      "[\"a\",1,null]");
	invalid("{\"items\":[{\"type\":\"string\"}],\"additionalItems\":"
		"false}",
		"[\"a\",1]", "[1]: is not allowed\n");
	invalid("{\"items\":[true],\"additionalItems\":{\"type\":\"string\"}}",
		"[1,2]", "[1]: expected string, got integer 2\n");
	invalid("{\"minItems\":1}", "[]",
		"(root): must have at least 1 item, got 0\n");
	invalid("{\"maxItems\":2}", "[1,2,3]",
		"(root): must have at most 2 items, got 3\n");
	valid("{\"uniqueItems\":true}", "[1,\"1\",[1],{\"a\":1},{\"a\":2}]");
	invalid("{\"uniqueItems\":true}", "[1,2,1.0,2]",
		"(root): must not contain duplicate items, [0] and [2] are "
		"equal\n");
	invalid("{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]",
		"(root): must not contain duplicate items, [0] and [1] are "
		"equal\n");
	valid("{\"uniqueItems\":false}", "[1,1]");
	valid("{\"contains\":{\"const\":\"x\"}}", "[1,\"x\"]");
	invalid("{\"contains\":{\"const\":\"x\"}}", "[]",
		"(root): must contain at least one item matching the "
		"\"contains\" schema\n");
}

static void test_objects(void **state)
{
	(void)state;
	invalid("{\"required\":[\"image\",\"name\"]}", "{\"name\":\"x\"}",
		"(root): required property \"image\" is missing\n");
	invalid("{\"properties\":{\"a\":{\"type\":\"string\"}},"
		"\"additionalProperties\":false}",
		"{\"a\":1,\"foo\":2}",
		"a: expected string, got integer 1\n"
		"(root): property \"foo\" is not allowed\n");
	invalid("{\"additionalProperties\":{\"type\":\"integer\"}}",
		"{\"a\":1,\"b\":\"2\"}", "b: expected integer, got string \"2\"\n");
	valid("{\"patternProperties\":{\"^x-\":{\"type\":\"string\"}},"
	      "\"additionalProperties\":false}",
	      "{\"x-a\":\"1\"}");
	invalid("{\"patternProperties\":{\"^x-\":{\"type\":\"string\"}},"
		"\"additionalProperties\":false}",
		"{\"x-a\":1,\"y\":2}",
		"x-a: expected string, got integer 1\n"
		"(root): property \"y\" is not allowed\n");
	invalid("{\"propertyNames\":{\"pattern\":\"^[a-z]+$\"}}",
		"{\"ok\":1,\"Bad\":2}",
		"(root): property name \"Bad\" is not valid: does not match "
		"pattern \"^[a-z]+$\"\n");
	invalid("{\"propertyNames\":{\"maxLength\":3}}", "{\"long\":1}",
		"(root): property name \"long\" is not valid: must be at most "
		"3 characters long, got 4\n");
	invalid("{\"minProperties\":1}", "{}",
		"(root): must have at least 1 property, got 0\n");
	invalid("{\"maxProperties\":1}", "{\"a\":1,\"b\":2}",
		"(root): must have at most 1 property, got 2\n");
	valid("{\"dependencies\":{\"tls\":[\"cert\"]}}", "{\"cert\":1}");
	invalid("{\"dependencies\":{\"tls\":[\"cert\",\"key\"]}}",
		"{\"tls\":true,\"key\":1}",
		"(root): property \"cert\" is required when \"tls\" is "
		"present\n");
	invalid("{\"dependencies\":{\"tls\":{\"required\":[\"cert\"]}}}",
		"{\"tls\":true}",
		"(root): required property \"cert\" is missing\n");
	invalid("{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"a\":1}",
		"(root): property \"b\" is required when \"a\" is present\n");
	invalid("{\"dependentSchemas\":{\"a\":{\"maxProperties\":1}}}",
		"{\"a\":1,\"b\":2}",
		"(root): must have at most 1 property, got 2\n");
	valid("{\"required\":[\"a\"]}", "[\"not an object\"]");
}

static void test_combinators(void **state)
{
	(void)state;
	invalid("{\"allOf\":[{\"minimum\":1},{\"multipleOf\":2}]}", "-1",
		"(root): must be >= 1, got -1\n"
		"(root): must be a multiple of 2, got -1\n");
	valid("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}",
	      "3");
	invalid("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}",
		"true",
		"(root): must match at least one of the 2 schemas in anyOf, "
		"matched none\n");
	valid("{\"oneOf\":[{\"type\":\"string\"},"
	      "{\"type\":\"integer\",\"minimum\":5}]}",
	      "\"x\"");
	invalid("{\"oneOf\":[{\"type\":\"string\"},{\"minimum\":5},"
		"{\"maximum\":0}]}",
		"3",
		"(root): must match exactly one of the 3 schemas in oneOf, "
		"matched none\n");
	invalid("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":5},"
		"{\"maximum\":0}]}",
		"7",
		"(root): must match exactly one of the 3 schemas in oneOf, "
		"matched [0] and [1]\n");
	invalid("{\"not\":{\"type\":\"null\"}}", "null",
		"(root): must not match the \"not\" schema\n");
	valid("{\"not\":{\"type\":\"null\"}}", "0");
	/* if/then/else reports the branch's own messages. */
	invalid("{\"if\":{\"properties\":{\"kind\":{\"const\":\"s3\"}}},"
		"\"then\":{\"required\":[\"bucket\"]},"
		"\"else\":{\"required\":[\"path\"]}}",
		"{\"kind\":\"s3\"}",
		"(root): required property \"bucket\" is missing\n");
	invalid("{\"if\":{\"properties\":{\"kind\":{\"const\":\"s3\"}}},"
		"\"then\":{\"required\":[\"bucket\"]},"
		"\"else\":{\"required\":[\"path\"]}}",
		"{\"kind\":\"local\"}",
		"(root): required property \"path\" is missing\n");
	valid("{\"if\":{\"const\":1},\"then\":{\"const\":1}}", "2");
}

static void test_refs(void **state)
{
	(void)state;
	valid("{\"definitions\":{\"port\":{\"type\":\"integer\"}},"
	      "\"properties\":{\"p\":{\"$ref\":\"#/definitions/port\"}}}",
	      "{\"p\":80}");
	invalid("{\"$defs\":{\"port\":{\"maximum\":65535}},"
		"\"properties\":{\"p\":{\"$ref\":\"#/$defs/port\"}}}",
		"{\"p\":70000}", "p: must be <= 65535, got 70000\n");
	/* ~1 is "/", ~0 is "~", %25 is "%"; array indices step into lists. */
	invalid("{\"definitions\":{\"a/b\":{\"const\":1},\"c~d\":{\"const\":2},"
		"\"e f%\":{\"const\":3}},\"x-list\":[{\"const\":4}],"
		"\"items\":[{\"$ref\":\"#/definitions/a~1b\"},"
		"{\"$ref\":\"#/definitions/c~0d\"},"
		"{\"$ref\":\"#/definitions/e%20f%25\"},"
		"{\"$ref\":\"#/x-list/0\"}]}",
		"[0,0,0,0]",
		"[0]: must be 1, got 0\n[1]: must be 2, got 0\n"
		"[2]: must be 3, got 0\n[3]: must be 4, got 0\n");
	/* Draft-07: the siblings of $ref are ignored. */
	valid("{\"definitions\":{\"s\":{\"type\":\"string\"}},"
	      "\"$ref\":\"#/definitions/s\",\"minLength\":10}",
	      "\"short\"");
	/* Recursion that descends into the value is fine. */
	valid("{\"definitions\":{\"node\":{\"type\":\"object\",\"properties\":"
	      "{\"children\":{\"type\":\"array\",\"items\":"
	      "{\"$ref\":\"#/definitions/node\"}}}}},"
	      "\"$ref\":\"#/definitions/node\"}",
	      "{\"children\":[{\"children\":[]},{\"children\":[{}]}]}");
	invalid("{\"definitions\":{\"node\":{\"type\":\"object\",\"properties\":"
		"{\"children\":{\"type\":\"array\",\"items\":"
		"{\"$ref\":\"#/definitions/node\"}}}}},"
		"\"$ref\":\"#/definitions/node\"}",
		"{\"children\":[{\"children\":[3]}]}",
		"children[0].children[0]: expected object, got integer 3\n");
	valid("{\"$id\":\"http://example.com/s.json\",\"$schema\":"
	      "\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\"}",
	      "{}");
	unusable("{\"properties\":{\"a\":{\"$ref\":\"#/definitions/nope\"}}}",
		 CZ_ENOTFOUND,
		 "#/properties/a/$ref: \"#/definitions/nope\" does not "
		 "resolve");
	unusable("{\"$ref\":\"other.json#/x\"}", CZ_ERR,
		 "#/$ref: \"other.json#/x\" only references inside the schema "
		 "(\"#/...\") are supported");
	unusable("{\"$ref\":\"#foo\"}", CZ_ERR,
		 "#/$ref: \"#foo\" only JSON pointer fragments (\"#/...\") "
		 "are supported");
	unusable("{\"$ref\":\"#/a~2\"}", CZ_ERR,
		 "#/$ref: \"#/a~2\" has a \"~\" not followed by 0 or 1");
	unusable("{\"a\":3,\"$ref\":\"#/a\"}", CZ_ERR,
		 "#/$ref: \"#/a\" does not point to a schema");
	/* A target outside the known keywords is checked too. */
	unusable("{\"x-extra\":{\"minimum\":\"1\"},\"$ref\":\"#/x-extra\"}",
		 CZ_ERR, "#/x-extra/minimum: must be a number");
}

static void test_boolean_schemas(void **state)
{
	(void)state;
	valid("true", "{\"a\":1}");
	invalid("false", "1", "(root): is not allowed\n");
	invalid("{\"properties\":{\"legacy\":false}}", "{\"legacy\":1}",
		"legacy: is not allowed\n");
	valid("{\"properties\":{\"legacy\":false}}", "{}");
}

static void test_paths(void **state)
{
	json_t *schema = parse("{\"additionalProperties\":{\"items\":"
			       "{\"additionalProperties\":{\"type\":\"string\"}}}}");
	json_t *values = parse("{\"annotations\":[{\"kubernetes.io/class\":1}],"
			       "\"plain_name-1\":[{\"a\":true}]}");
	outcome o = run_with(schema, values, "spec.values", 0);

	(void)state;
	assert_int_equal(o.rc, CZ_EINVALID);
	assert_string_equal(o.lines,
			    "spec.values.annotations[0][\"kubernetes.io/class\"]: "
			    "expected string, got integer 1\n"
			    "spec.values.plain_name-1[0].a: expected string, got "
			    "boolean true\n");
	json_decref(schema);
	json_decref(values);

	schema = parse("{\"type\":\"object\"}");
	values = parse("[]");
	o = run_with(schema, values, "spec.values", 0);
	assert_string_equal(o.lines,
			    "spec.values: expected object, got array\n");
	o = run_with(schema, values, NULL, 0);
	assert_string_equal(o.lines, "(root): expected object, got array\n");
	json_decref(schema);
	json_decref(values);

	/* Long strings are cut in messages. */
	invalid("{\"type\":\"integer\"}",
		"\"0123456789012345678901234567890123456789012345678901234567890"
		"123456789\"",
		"(root): expected integer, got string \"0123456789012345678901"
		"234567890123456789012345678901234567890123\"...\n");
}

static void test_max_errors(void **state)
{
	json_t *schema = parse("{\"items\":{\"type\":\"string\"}}");
	json_t *values = parse("[1,2,3,4,5]");
	cz_error err = CZ_ERROR_INIT;
	cz_buf small;
	size_t n = 0;
	outcome o = run_with(schema, values, "v", 2);

	(void)state;
	assert_int_equal(o.rc, CZ_EINVALID);
	assert_int_equal(o.nerrors, 2);
	assert_string_equal(o.lines,
			    "v[0]: expected string, got integer 1\n"
			    "v[1]: expected string, got integer 2\n");
	o = run_with(schema, values, "v", 0);
	assert_int_equal(o.nerrors, 5);

	/* A capped buffer keeps whole lines only. */
	cz_buf_init(&small, 60);
	assert_int_equal(cz_jsonschema_validate(schema, values, "v", &small, 0,
						&n, &err),
			 CZ_EINVALID);
	assert_int_equal(n, 1);
	assert_string_equal(small.data, "v[0]: expected string, got integer 1\n");
	cz_buf_release(&small);
	json_decref(schema);
	json_decref(values);
}

/* A values.schema.json like a typical web application chart's. */
static const char chart_schema[] =
	"{"
	" \"$schema\": \"http://json-schema.org/draft-07/schema#\","
	" \"title\": \"webapp values\","
	" \"type\": \"object\","
	" \"required\": [\"image\"],"
	" \"additionalProperties\": false,"
	" \"definitions\": {"
	"  \"quantity\": {\"type\": [\"string\", \"number\"],"
	"   \"pattern\": \"^[0-9]+(\\\\.[0-9]+)?(m|Ki|Mi|Gi)?$\"},"
	"  \"resources\": {\"type\": \"object\", \"additionalProperties\": false,"
	"   \"properties\": {"
	"    \"cpu\": {\"$ref\": \"#/definitions/quantity\"},"
	"    \"memory\": {\"$ref\": \"#/definitions/quantity\"}}},"
	"  \"port\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 65535}"
	" },"
	" \"properties\": {"
	"  \"replicas\": {\"type\": \"integer\", \"minimum\": 1,"
	"   \"default\": 1},"
	"  \"image\": {\"type\": \"object\", \"required\": [\"repository\"],"
	"   \"properties\": {"
	"    \"repository\": {\"type\": \"string\", \"minLength\": 1},"
	"    \"tag\": {\"type\": \"string\"},"
	"    \"pullPolicy\": {\"enum\": [\"Always\", \"IfNotPresent\","
	"     \"Never\"]}}},"
	"  \"service\": {\"type\": \"object\", \"properties\": {"
	"    \"type\": {\"enum\": [\"ClusterIP\", \"NodePort\","
	"     \"LoadBalancer\"]},"
	"    \"port\": {\"$ref\": \"#/definitions/port\"}}},"
	"  \"ingress\": {\"type\": \"object\", \"properties\": {"
	"    \"enabled\": {\"type\": \"boolean\"},"
	"    \"className\": {\"type\": [\"string\", \"null\"]},"
	"    \"annotations\": {\"type\": \"object\","
	"     \"additionalProperties\": {\"type\": \"string\"}},"
	"    \"hosts\": {\"type\": \"array\", \"items\": {"
	"      \"type\": \"object\", \"required\": [\"host\"],"
	"      \"properties\": {"
	"       \"host\": {\"type\": \"string\", \"format\": \"hostname\"},"
	"       \"paths\": {\"type\": \"array\", \"minItems\": 1, \"items\": {"
	"         \"type\": \"object\", \"properties\": {"
	"          \"path\": {\"type\": \"string\", \"pattern\": \"^/\"},"
	"          \"pathType\": {\"enum\": [\"Prefix\", \"Exact\","
	"           \"ImplementationSpecific\"]}}}}}}}},"
	"   \"if\": {\"properties\": {\"enabled\": {\"const\": true}}},"
	"   \"then\": {\"required\": [\"hosts\"]}},"
	"  \"resources\": {\"type\": \"object\", \"properties\": {"
	"    \"limits\": {\"$ref\": \"#/definitions/resources\"},"
	"    \"requests\": {\"$ref\": \"#/definitions/resources\"}}},"
	"  \"env\": {\"type\": \"array\", \"uniqueItems\": true, \"items\": {"
	"    \"type\": \"object\", \"required\": [\"name\"],"
	"    \"properties\": {\"name\": {\"type\": \"string\","
	"     \"pattern\": \"^[A-Za-z_][A-Za-z0-9_]*$\"},"
	"     \"value\": {\"type\": \"string\"}}}},"
	"  \"persistence\": {\"type\": \"object\","
	"   \"properties\": {\"enabled\": {\"type\": \"boolean\"},"
	"    \"size\": {\"$ref\": \"#/definitions/quantity\"},"
	"    \"storageClass\": {\"type\": \"string\"}},"
	"   \"dependencies\": {\"storageClass\": [\"size\"]}},"
	"  \"nodeSelector\": {\"type\": \"object\","
	"   \"additionalProperties\": {\"type\": \"string\"}},"
	"  \"tolerations\": {\"type\": \"array\"}"
	" }"
	"}";

static void test_chart_schema(void **state)
{
	json_t *schema = parse(chart_schema);
	json_t *good = parse(
		"{\"replicas\":2,\"image\":{\"repository\":\"nginx\","
		"\"tag\":\"1.27\",\"pullPolicy\":\"IfNotPresent\"},"
		"\"service\":{\"type\":\"ClusterIP\",\"port\":80},"
		"\"ingress\":{\"enabled\":true,\"className\":null,"
		"\"annotations\":{\"cert-manager.io/cluster-issuer\":\"le\"},"
		"\"hosts\":[{\"host\":\"web.example.com\",\"paths\":"
		"[{\"path\":\"/\",\"pathType\":\"Prefix\"}]}]},"
		"\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"512Mi\"},"
		"\"requests\":{\"cpu\":0.25}},"
		"\"env\":[{\"name\":\"LOG_LEVEL\",\"value\":\"debug\"}],"
		"\"persistence\":{\"enabled\":true,\"size\":\"10Gi\"},"
		"\"nodeSelector\":{\"kubernetes.io/os\":\"linux\"},"
		"\"tolerations\":[]}");
	json_t *bad = parse(
		"{\"replicas\":\"three\",\"image\":{\"tag\":1.27,"
		"\"pullPolicy\":\"Sometimes\"},"
		"\"service\":{\"port\":0},"
		"\"ingress\":{\"enabled\":true},"
		"\"resources\":{\"limits\":{\"cpu\":\"half\",\"gpu\":1}},"
		"\"env\":[{\"name\":\"1BAD\"},{\"value\":\"x\"}],"
		"\"persistence\":{\"storageClass\":\"fast\"},"
		"\"nodeSelector\":{\"disk\":true},"
		"\"replicaCount\":3}");
	outcome o;

	(void)state;
	o = run_with(schema, good, "spec.components.webapp.values", 0);
	if (o.rc != CZ_OK)
		fail_msg("good values rejected: %s%s", o.lines, o.err);
	o = run_with(schema, bad, "spec.components.webapp.values", 0);
	assert_int_equal(o.rc, CZ_EINVALID);
	assert_string_equal(
		o.lines,
		"spec.components.webapp.values.replicas: expected integer, got "
		"string \"three\"\n"
		"spec.components.webapp.values.image: required property "
		"\"repository\" is missing\n"
		"spec.components.webapp.values.image.tag: expected string, got "
		"number 1.27\n"
		"spec.components.webapp.values.image.pullPolicy: must be one of "
		"\"Always\", \"IfNotPresent\", \"Never\", got \"Sometimes\"\n"
		"spec.components.webapp.values.service.port: must be >= 1, got "
		"0\n"
		"spec.components.webapp.values.ingress: required property "
		"\"hosts\" is missing\n"
		"spec.components.webapp.values.resources.limits.cpu: does not "
		"match pattern \"^[0-9]+(\\\\.[0-9]+)?(m|Ki|Mi|Gi)?$\"\n"
		"spec.components.webapp.values.resources.limits: property "
		"\"gpu\" is not allowed\n"
		"spec.components.webapp.values.env[0].name: does not match "
		"pattern \"^[A-Za-z_][A-Za-z0-9_]*$\"\n"
		"spec.components.webapp.values.env[1]: required property "
		"\"name\" is missing\n"
		"spec.components.webapp.values.persistence: property \"size\" "
		"is required when \"storageClass\" is present\n"
		"spec.components.webapp.values.nodeSelector.disk: expected "
		"string, got boolean true\n"
		"spec.components.webapp.values: property \"replicaCount\" is "
		"not allowed\n");
	assert_int_equal(o.nerrors, 13);
	json_decref(schema);
	json_decref(good);
	json_decref(bad);
}

/* Drops a chain of single-child containers from the top, one level at a
 * time, so that freeing it does not recurse 10,000 deep. */
static void free_chain(json_t *top, const char *key)
{
	while (top) {
		json_t *next = json_is_object(top) ? json_object_get(top, key)
						   : json_array_get(top, 0);

		json_incref(next);
		json_decref(top);
		top = next;
	}
}

static void test_hostile_depth(void **state)
{
	json_t *schema = json_true();
	json_t *instance = json_array();
	json_t *recursive = parse("{\"items\":{\"$ref\":\"#\"}}");
	outcome o;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		json_t *outer = json_object();

		json_object_set_new(outer, "not", schema);
		schema = outer;
	}
	o = run_with(schema, instance, "v", 0);
	assert_int_equal(o.rc, CZ_ETOOLARGE);
	if (!strstr(o.err, "schema nests deeper than 256 levels"))
		fail_msg("%s", o.err);
	assert_string_equal(o.lines, "");
	free_chain(schema, "not");

	/* An instance 10,000 deep against a schema that recurses with it. */
	for (int i = 0; i < 10000; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, instance);
		instance = outer;
	}
	o = run_with(recursive, instance, "v", 0);
	assert_int_equal(o.rc, CZ_ETOOLARGE);
	assert_non_null(strstr(o.err, "evaluation nests deeper than 256 "
				      "levels"));
	assert_string_equal(o.lines, "");
	free_chain(instance, NULL);
	json_decref(recursive);

	/* A deeply nested const is refused before anything compares it. */
	schema = json_null();
	for (int i = 0; i < 10000; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, schema);
		schema = outer;
	}
	recursive = json_object();
	json_object_set(recursive, "const", schema);
	instance = json_null();
	o = run_with(recursive, instance, "v", 0);
	assert_int_equal(o.rc, CZ_ETOOLARGE);
	assert_string_equal(o.err, "#/const: nests deeper than 256 levels");
	json_object_del(recursive, "const");
	json_decref(recursive);
	json_decref(instance);
	free_chain(schema, NULL);
}

static void test_hostile_refs(void **state)
{
	(void)state;
	unusable("{\"$ref\":\"#\"}", CZ_ECYCLE,
		 "#: $ref \"#\" loops back to a schema already applied to the "
		 "same value");
	unusable("{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},"
		 "\"b\":{\"allOf\":[{\"$ref\":\"#/definitions/a\"}]}},"
		 "\"$ref\":\"#/definitions/a\"}",
		 CZ_ECYCLE,
		 "#/definitions/b/allOf/0: $ref \"#/definitions/a\" loops back "
		 "to a schema already applied to the same value");
}

static void test_hostile_refs_in_values(void **state)
{
	/* The loop is only reached through a member of the value: the
	 * schema error still wins over any verdict. */
	outcome o = run("{\"definitions\":{\"a\":{\"anyOf\":"
			"[{\"$ref\":\"#/definitions/a\"}]}},"
			"\"properties\":{\"x\":{\"$ref\":\"#/definitions/a\"}},"
			"\"required\":[\"y\"]}",
			"{\"x\":1}");

	(void)state;
	assert_int_equal(o.rc, CZ_ECYCLE);
	assert_string_equal(o.err,
			    "#/definitions/a/anyOf/0: $ref \"#/definitions/a\" "
			    "loops back to a schema already applied to the "
			    "same value");
	assert_string_equal(o.lines, "");
	assert_int_equal(o.nerrors, 0);
}

/* Each definition tries the next one twice: 2^40 evaluations unless the
 * step budget stops it. */
static void test_hostile_steps(void **state)
{
	json_t *schema = json_object();
	json_t *defs = json_object();
	json_t *instance = json_integer(1);
	outcome o;
	char name[32], ref[64];

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(ref, sizeof(ref), "#/definitions/d%d", i + 1);
		json_object_set_new(defs, name,
				    json_pack("{s:[{s:s},{s:s}]}", "anyOf", "$ref",
					      ref, "$ref", ref));
	}
	json_object_set_new(defs, "d40", json_false());
	json_object_set_new(schema, "definitions", defs);
	json_object_set_new(schema, "$ref", json_string("#/definitions/d0"));
	o = run_with(schema, instance, "", 0);
	assert_int_equal(o.rc, CZ_ETOOLARGE);
	assert_non_null(strstr(o.err, "validation needs more than 1000000 "
				      "steps"));
	json_decref(schema);
	json_decref(instance);
}

/* 100,000 definitions, each a reference to the next: checked in linear
 * time, and the chain is cut by the depth cap when followed. */
static void test_hostile_ref_chain(void **state)
{
	json_t *schema = json_object();
	json_t *defs = json_object();
	json_t *instance = json_integer(1);
	outcome o;
	char name[32], ref[64];

	(void)state;
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(ref, sizeof(ref), "#/definitions/d%d", i + 1);
		json_object_set_new(defs, name, json_pack("{s:s}", "$ref", ref));
	}
	json_object_set_new(defs, "d100000", json_true());
	json_object_set_new(schema, "definitions", defs);
	json_object_set_new(schema, "$ref", json_string("#/definitions/d0"));
	o = run_with(schema, instance, "", 0);
	assert_int_equal(o.rc, CZ_ETOOLARGE);
	assert_string_equal(o.err, "#/definitions/d255: evaluation nests "
				   "deeper than 256 levels");
	json_decref(schema);
	json_decref(instance);
}

static void test_hostile_patterns(void **state)
{
	json_t *schema = json_object();
	json_t *props = json_object();
	json_t *instance = json_object();
	outcome o;
	char pat[32];

	(void)state;
	unusable("{\"properties\":{\"a\":{\"pattern\":\"([a-z]\"}}}", CZ_ERR,
		 "#/properties/a/pattern: pattern \"([a-z]\" has an "
		 "unbalanced (");
	unusable("{\"pattern\":\"^(?=a)\"}", CZ_ERR,
		 "#/pattern: pattern \"^(?=a)\" uses a lookaround or a named "
		 "group, which POSIX lacks");
	unusable("{\"pattern\":\"\\\\bword\"}", CZ_ERR,
		 "#/pattern: pattern \"\\bword\" uses an escape that is not "
		 "supported (see docs/jsonschema.md)");
	unusable("{\"pattern\":\"(a)\\\\1\"}", CZ_ERR,
		 "#/pattern: pattern \"(a)\\1\" uses an escape that is not "
		 "supported (see docs/jsonschema.md)");
	unusable("{\"pattern\":\"*a\"}", CZ_ERR,
		 "#/pattern: pattern \"*a\" has a quantifier with nothing to "
		 "repeat");
	unusable("{\"pattern\":\"[z-a]\"}", CZ_ERR,
		 "#/pattern: pattern \"[z-a]\" has a range in [] that is not "
		 "supported or out of order");
	unusable("{\"pattern\":\"[abc\"}", CZ_ERR,
		 "#/pattern: pattern \"[abc\" has an unterminated [");
	unusable("{\"pattern\":\"a{2,1}\"}", CZ_ERR,
		 "#/pattern: pattern \"a{2,1}\" has a {n,m} with m < n");
	unusable("{\"pattern\":\"((a{1000}){1000}){1000}\"}", CZ_ETOOLARGE,
		 "#/pattern: pattern \"((a{1000}){1000}){1000}\" repeats its "
		 "parts into more than 1000 copies");
	unusable("{\"pattern\":\"^([a-z0-9]{1,99}){99}$\"}", CZ_ETOOLARGE,
		 "#/pattern: pattern \"^([a-z0-9]{1,99}){99}$\" repeats its "
		 "parts into more than 1000 copies");
	valid("{\"pattern\":\"^([a-z0-9]{1,31}){31}$\"}",
	      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"");
	unusable("{\"properties\":{\"a\":{\"pattern\":\"^.{1,999}$\"},"
		 "\"b\":{\"pattern\":\"^.{2,999}$\"},"
		 "\"c\":{\"pattern\":\"^.{3,999}$\"},"
		 "\"d\":{\"pattern\":\"^.{4,999}$\"},"
		 "\"e\":{\"pattern\":\"^.{5,999}$\"}}}",
		 CZ_ETOOLARGE,
		 "#/properties/e/pattern: patterns repeat their parts into "
		 "more than 4000 copies in all");
	unusable("{\"pattern\":\"a{99999}\"}", CZ_ETOOLARGE,
		 "#/pattern: pattern \"a{99999}\" repeats more than 1000 times");
	unusable("{\"pattern\":\"a{1,88888888888888888888888888}\"}",
		 CZ_ETOOLARGE,
		 "#/pattern: pattern \"a{1,88888888888888888888888888}\" "
		 "repeats more than 1000 times");
	unusable("{\"patternProperties\":{\"[\":{}}}", CZ_ERR,
		 "#/patternProperties/[: pattern \"[\" has an unterminated [");

	/* More distinct patterns than the cap. */
	for (int i = 0; i < CZ_JSONSCHEMA_MAX_PATTERNS + 1; i++) {
		snprintf(pat, sizeof(pat), "^p%d$", i);
		json_object_set_new(props, pat, json_true());
	}
	json_object_set_new(schema, "patternProperties", props);
	o = run_with(schema, instance, "", 0);
	assert_int_equal(o.rc, CZ_ETOOLARGE);
	assert_string_equal(o.err, "#/patternProperties/^p256$: schema has "
				   "more than 256 distinct patterns");
	json_decref(schema);
	json_decref(instance);
}

static void test_hostile_keyword_types(void **state)
{
	(void)state;
	unusable("{\"properties\":{\"a\":{\"minimum\":\"1\"}}}", CZ_ERR,
		 "#/properties/a/minimum: must be a number");
	unusable("{\"type\":5}", CZ_ERR,
		 "#/type: must be a type name (null, boolean, object, array, "
		 "number, string, integer) or a non-empty array of them");
	unusable("{\"type\":[\"string\",\"text\"]}", CZ_ERR,
		 "#/type: must be a type name (null, boolean, object, array, "
		 "number, string, integer) or a non-empty array of them");
	unusable("{\"required\":\"name\"}", CZ_ERR,
		 "#/required: must be an array of strings");
	unusable("{\"items\":3}", CZ_ERR,
		 "#/items: a schema must be an object or a boolean");
	unusable("{\"items\":[{},7]}", CZ_ERR,
		 "#/items/1: a schema must be an object or a boolean");
	unusable("{\"properties\":[]}", CZ_ERR,
		 "#/properties: must be an object of schemas");
	unusable("{\"anyOf\":[]}", CZ_ERR,
		 "#/anyOf: must be a non-empty array of schemas");
	unusable("{\"minLength\":-1}", CZ_ERR,
		 "#/minLength: must be a non-negative integer");
	unusable("{\"maxItems\":1.5}", CZ_ERR,
		 "#/maxItems: must be a non-negative integer");
	unusable("{\"multipleOf\":0}", CZ_ERR,
		 "#/multipleOf: must be a number greater than 0");
	unusable("{\"exclusiveMinimum\":\"1\"}", CZ_ERR,
		 "#/exclusiveMinimum: must be a number (or a boolean, as in "
		 "draft-4)");
	unusable("{\"uniqueItems\":1}", CZ_ERR, "#/uniqueItems: must be a "
						"boolean");
	unusable("{\"enum\":\"a\"}", CZ_ERR, "#/enum: must be an array");
	unusable("{\"dependencies\":{\"a\":[1]}}", CZ_ERR,
		 "#/dependencies/a: a schema must be an object or a boolean");
	unusable("{\"dependentRequired\":{\"a\":{}}}", CZ_ERR,
		 "#/dependentRequired/a: must be an array of strings");
	unusable("{\"definitions\":{\"a/b\":{\"not\":[]}}}", CZ_ERR,
		 "#/definitions/a~1b/not: a schema must be an object or a "
		 "boolean");
	unusable("{\"$ref\":5}", CZ_ERR, "#/$ref: must be a string");
	unusable("[]", CZ_ERR, "#: a schema must be an object or a boolean");
	/* Unknown keywords are annotations. */
	valid("{\"x-kubernetes-preserve-unknown-fields\":true,"
	      "\"description\":5,\"default\":{}}",
	      "1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_enum_const),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_boolean_schemas),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_max_errors),
		cmocka_unit_test(test_chart_schema),
		cmocka_unit_test(test_hostile_depth),
		cmocka_unit_test(test_hostile_refs),
		cmocka_unit_test(test_hostile_refs_in_values),
		cmocka_unit_test(test_hostile_steps),
		cmocka_unit_test(test_hostile_ref_chain),
		cmocka_unit_test(test_hostile_patterns),
		cmocka_unit_test(test_hostile_keyword_types),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
