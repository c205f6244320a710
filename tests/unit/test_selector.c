/* Label and field selectors: parsing, errors and matching. */

#include "helpers.h"
#include "jsonhelp.h"

#include "api/selector.h"
#include "util/mem.h"

#define OBJ(labels)                                                            \
	"{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\","            \
	"\"labels\":" labels "},\"type\":\"Opaque\"}"

static bool label_match(const char *selector, const char *obj_text)
{
	cz_label_selector s;
	cz_error err = CZ_ERROR_INIT;
	json_t *obj = J(obj_text);
	bool ok;

	if (cz_label_selector_parse(selector, &s, &err) != 0)
		fail_msg("%s: %s", selector, err.msg);
	ok = cz_label_selector_matches(&s, obj);
	cz_label_selector_release(&s);
	json_decref(obj);
	return ok;
}

static const char *label_error(const char *selector)
{
	static cz_error err;
	cz_label_selector s;

	cz_error_clear(&err);
	if (cz_label_selector_parse(selector, &s, &err) == 0)
		fail_msg("\"%s\" parsed", selector);
	assert_int_equal(err.code, CZ_EINVALID);
	cz_label_selector_release(&s);
	return err.msg;
}

static void test_label_matching(void **state)
{
	const char *web = OBJ("{\"app\":\"web\",\"tier\":\"front\","
			      "\"n\":\"5\"}");
	const char *none = "{\"metadata\":{\"name\":\"x\"}}";

	(void)state;
	assert_true(label_match("", web));
	assert_true(label_match("", none));
	assert_true(label_match("app=web", web));
	assert_true(label_match("app==web", web));
	assert_false(label_match("app=db", web));
	assert_true(label_match("app!=db", web));
	assert_true(label_match("app!=db", none)); /* absent matches != */
	assert_true(label_match("app in (db, web)", web));
	assert_false(label_match("app in (db)", web));
	assert_true(label_match("app notin (db)", web));
	assert_true(label_match("app notin (db)", none));
	assert_false(label_match("app notin (web,db)", web));
	assert_true(label_match("tier", web));
	assert_false(label_match("tier", none));
	assert_true(label_match("!tier", none));
	assert_false(label_match("!tier", web));
	assert_true(label_match("app=web,tier=front", web));
	assert_false(label_match("app=web,tier=back", web));
	assert_true(label_match("  app = web , tier  ", web));
	assert_true(label_match("n>4,n<6", web));
	assert_false(label_match("n>5", web));
	assert_false(label_match("app>1", web)); /* not an integer */
	/* "in" and "notin" are plain words where a value is expected */
	assert_true(label_match("x in (in, notin)",
				OBJ("{\"x\":\"notin\"}")));
	assert_true(label_match("x=", OBJ("{\"x\":\"\"}")));
	assert_true(label_match("x in (,a)", OBJ("{\"x\":\"\"}")));
	assert_true(label_match("example.com/app=web",
				OBJ("{\"example.com/app\":\"web\"}")));
}

static void test_label_sorted_and_deduplicated(void **state)
{
	cz_label_selector s;
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_label_selector_parse("z, a in (c,b,c)", &s, &err),
			 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.reqs[0].key, "a");
	assert_int_equal(s.reqs[0].op, CZ_SEL_IN);
	assert_int_equal(s.reqs[0].nvalues, 2);
	assert_string_equal(s.reqs[0].values[0], "b");
	assert_string_equal(s.reqs[0].values[1], "c");
	assert_int_equal(s.reqs[1].op, CZ_SEL_EXISTS);
	cz_label_selector_release(&s);
}

static void test_label_errors(void **state)
{
	(void)state;
	assert_string_equal(label_error("a=b,"),
			    "found '', expected: identifier after ','");
	assert_string_equal(label_error("a=b c"),
			    "found 'c', expected: ',' or 'end of string'");
	assert_string_equal(label_error("=b"),
			    "found '=', expected: !, identifier, or 'end of "
			    "string'");
	assert_string_equal(label_error("a in b"),
			    "unable to parse requirement: found 'b' expected: "
			    "'('");
	assert_string_equal(label_error("a in (b c)"),
			    "unable to parse requirement: found 'c', expected: "
			    "',' or ')'");
	assert_string_equal(label_error("a b"),
			    "unable to parse requirement: found 'b', expected: "
			    "'=', '!=', '==', 'in', notin'");
	assert_string_equal(label_error("!a=b"),
			    "found '=', expected: ',' or 'end of string'");
	assert_string_equal(label_error("a=(b"),
			    "unable to parse requirement: found '(', expected: "
			    "identifier");
	assert_string_equal(
		label_error("-a=b"),
		"unable to parse requirement: <nil>: Invalid value: \"-a\": "
		"name part must consist of alphanumeric characters, '-', '_' "
		"or '.', and must start and end with an alphanumeric "
		"character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
		"regex used for validation is "
		"'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
	assert_contains(label_error("app=-web-"),
			"unable to parse requirement: values[0][app]: Invalid "
			"value: \"-web-\": a valid label must be an empty "
			"string or consist of alphanumeric characters");
	assert_contains(label_error("Example.com/a=b"),
			"prefix part a lowercase RFC 1123 subdomain");
	assert_contains(label_error("/a=b"),
			"prefix part must be non-empty");
	assert_contains(label_error("a/b/c=d"),
			"a qualified name must consist of");
	assert_contains(label_error("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaa=b"),
			"name part must be no more than 63 characters");
	assert_contains(label_error("a=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
				    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
			"must be no more than 63 characters");
	assert_contains(label_error("a>b"),
			"values[0]: Invalid value: \"b\": for 'Gt', 'Lt' "
			"operators, the value must be an integer");
	assert_contains(label_error("a in ("), "found ''");
}

static void test_validators(void **state)
{
	cz_error err = CZ_ERROR_INIT;

	(void)state;
	assert_int_equal(cz_validate_label_key("app.kubernetes.io/name", &err),
			 0);
	assert_int_equal(cz_validate_label_key("a..b/c", &err), CZ_EINVALID);
	assert_int_equal(cz_validate_label_value("", &err), 0);
	assert_int_equal(cz_validate_label_value("v1.2_3-x", &err), 0);
	assert_int_equal(cz_validate_label_value("a b", &err), CZ_EINVALID);
	assert_int_equal(cz_validate_dns_subdomain("my-app.example", &err), 0);
	assert_int_equal(cz_validate_dns_subdomain("My", &err), CZ_EINVALID);
	assert_int_equal(cz_validate_dns_subdomain("a.-b", &err), CZ_EINVALID);
	assert_int_equal(cz_validate_dns_subdomain("", &err), CZ_EINVALID);
}

static const char *const secret_fields[] = { "type", NULL };

static bool field_match(const char *selector, const char *obj_text)
{
	cz_field_selector s;
	cz_error err = CZ_ERROR_INIT;
	json_t *obj = J(obj_text);
	bool ok;

	if (cz_field_selector_parse(selector, secret_fields, &s, &err) != 0)
		fail_msg("%s: %s", selector, err.msg);
	ok = cz_field_selector_matches(&s, obj);
	cz_field_selector_release(&s);
	json_decref(obj);
	return ok;
}

static const char *field_error(const char *selector)
{
	static cz_error err;
	cz_field_selector s;

	cz_error_clear(&err);
	if (cz_field_selector_parse(selector, NULL, &s, &err) == 0)
		fail_msg("\"%s\" parsed", selector);
	cz_field_selector_release(&s);
	return err.msg;
}

static void test_field_selectors(void **state)
{
	const char *obj = OBJ("{}");

	(void)state;
	assert_true(field_match("", obj));
	assert_true(field_match("metadata.name=web", obj));
	assert_true(field_match("metadata.name==web", obj));
	assert_false(field_match("metadata.name=db", obj));
	assert_true(field_match("metadata.namespace!=kube-system", obj));
	assert_true(field_match("metadata.name=web,metadata.namespace=prod",
				obj));
	assert_false(field_match("metadata.name=web,metadata.namespace=dev",
				 obj));
	assert_true(field_match("type=Opaque", obj));
	assert_true(field_match("metadata.namespace=",
				"{\"metadata\":{\"name\":\"n\"}}"));
	assert_true(field_match("metadata.name=a\\,b",
				"{\"metadata\":{\"name\":\"a,b\"}}"));
	assert_string_equal(field_error("spec.x=1"),
			    "field label not supported: spec.x");
	assert_string_equal(field_error("type=Opaque"),
			    "field label not supported: type");
	assert_string_equal(field_error("metadata.name"),
			    "invalid selector: 'metadata.name'; can't "
			    "understand 'metadata.name'");
	assert_contains(field_error("metadata.name=a\\x"),
			"invalid escape sequence");
	assert_contains(field_error("metadata.name=a=b"),
			"unescaped character '='");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_matching),
		cmocka_unit_test(test_label_sorted_and_deduplicated),
		cmocka_unit_test(test_label_errors),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_field_selectors),
	};

	cz_json_use_project_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
