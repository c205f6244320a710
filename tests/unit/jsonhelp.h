/* JSON helpers for the unit tests of the API algorithms. */
#ifndef CZ_TEST_JSONHELP_H
#define CZ_TEST_JSONHELP_H

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "api/jsontree.h"

/* Parses text (any JSON value); fails the test when it is not JSON. */
static inline json_t *J(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return v;
}

/* Fails unless actual equals the JSON text expected (numbers by value,
 * members in any order); prints both when they differ. */
static inline void assert_json(const json_t *actual, const char *expected)
{
	json_t *want = J(expected);

	if (!cz_json_same(actual, want)) {
		char *got = json_dumps(actual, JSON_COMPACT | JSON_ENCODE_ANY |
						       JSON_SORT_KEYS);
		char *exp = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY |
						     JSON_SORT_KEYS);

		fprintf(stderr, "expected %s\n     got %s\n", exp, got);
		free(got);
		free(exp);
		json_decref(want);
		fail_msg("JSON differs");
	}
	json_decref(want);
}

/* Fails unless actual dumps (compactly, in member order) exactly as text. */
static inline void assert_json_text(const json_t *actual, const char *text)
{
	char *got = json_dumps(actual, JSON_COMPACT | JSON_ENCODE_ANY);

	if (strcmp(got, text) != 0) {
		fprintf(stderr, "expected %s\n     got %s\n", text, got);
		free(got);
		fail_msg("JSON text differs");
	}
	free(got);
}

#endif
