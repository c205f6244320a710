#ifndef CZ_API_JSONPATH_H
#define CZ_API_JSONPATH_H

/*
 * The JSONPath subset of CRD additionalPrinterColumns, compiled once and
 * evaluated per object, and the cells kube-apiserver's table convertor
 * makes of the results.
 *
 * Syntax: optional "{...}" and "$"; steps ".name" (a "\." inside a name is
 * a literal dot), ".*", "['name']", "[\"a.b\"]", "[N]" (negative counts from
 * the end), "[*]", "[start:end]", and filters "[?(@.path)]" (exists) or
 * "[?(@.path OP literal)]" with OP one of == != < > <= >= and a literal
 * 'text', "text", a number, true, false or null.  Missing keys give no
 * results, never an error (kube's AllowMissingKeys).  Recursive descent
 * ("..") is not supported and fails to compile.
 */

#include <jansson.h>

#include "util/error.h"

typedef struct cz_jsonpath cz_jsonpath;

/* Compiles expr into *out (freed with cz_jsonpath_free).  CZ_EINVALID
 * with the position on a syntax error. */
int cz_jsonpath_compile(const char *expr, cz_jsonpath **out, cz_error *err);
void cz_jsonpath_free(cz_jsonpath *p);

/* The first match in obj, or NULL; borrowed from obj. */
json_t *cz_jsonpath_first(const cz_jsonpath *p, const json_t *obj);

/* All matches in document order, as a new array the caller owns. */
json_t *cz_jsonpath_all(const cz_jsonpath *p, const json_t *obj);

/*
 * The table cell for a column of type (string, integer, number, boolean,
 * date) as kube-apiserver's table convertor makes it: only the first match
 * counts (kube: "we can assume to have only one result"); no match or a
 * value of the wrong type gives JSON null (shown as <none>).  For "string"
 * the cell is the text kube's JSONPath printer writes: strings as they
 * are, numbers and booleans as Go prints them, arrays and objects as
 * compact JSON with sorted keys.  "integer" truncates a number, "number"
 * widens an integer, and "date" re-formats an RFC 3339 time in UTC
 * ("<invalid>" when it is not one).  Returns a new reference.
 */
json_t *cz_jsonpath_cell(const cz_jsonpath *p, const json_t *obj,
			 const char *type);

/* The text kube's JSONPath printer writes for one value, or NULL for JSON
 * null (kube cannot print it and leaves the cell empty).  Freed with
 * free(). */
char *cz_jsonpath_text(const json_t *value);

#endif
