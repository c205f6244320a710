/* strptime and timegm are not in C11/POSIX.1-2008 without this. */
#define _GNU_SOURCE
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/jsonpath.h"
#include "util/mem.h"

/*
 * Server-side printing (meta.k8s.io/v1 Table): the Name column, then the
 * kind's printer columns from the resource table, with cells evaluated by
 * the printer-column JSONPath, as kube-apiserver does for custom resources.
 */

#define MAX_COLUMNS 16

typedef struct compiled_columns {
	const cz_resource *res;
	cz_jsonpath *paths[MAX_COLUMNS];
	size_t n;
} compiled_columns;

static compiled_columns *compiled;
static size_t ncompiled;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

/* Printer-column paths are fixed at build time: compile them once. */
static void compile_all(void)
{
	size_t n;
	const cz_resource *all = cz_resources(&n);

	compiled = cz_xcalloc(n, sizeof(*compiled));
	ncompiled = n;
	for (size_t i = 0; i < n; i++) {
		compiled[i].res = &all[i];
		for (const cz_printer_column *c = all[i].columns;
		     c && c->name && compiled[i].n < MAX_COLUMNS; c++) {
			cz_jsonpath *p = NULL;

			if (cz_jsonpath_compile(c->json_path, &p, NULL) !=
			    CZ_OK)
				abort(); /* a broken table row is a build bug */
			compiled[i].paths[compiled[i].n++] = p;
		}
	}
}

static const compiled_columns *columns_of(const cz_resource *r)
{
	pthread_once(&compile_once, compile_all);
	for (size_t i = 0; i < ncompiled; i++)
		if (compiled[i].res == r)
			return &compiled[i];
	return NULL;
}

bool cz_wants_table(cz_req *req)
{
	const char *accept = cz_req_header(req, "Accept");

	return accept && strstr(accept, "as=Table") &&
	       strstr(accept, "g=meta.k8s.io");
}

/* kube's short human durations: "45s", "5m3s", "3h", "2d4h", "400d". */
static void human_age(long s, char *out, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, size, "%lds", s);
	else if (s < 600)
		s % 60 ? snprintf(out, size, "%ldm%lds", s / 60, s % 60)
		       : snprintf(out, size, "%ldm", s / 60);
	else if (s < 3 * 3600)
		snprintf(out, size, "%ldm", s / 60);
	else if (s < 8 * 3600)
		(s / 60) % 60 ? snprintf(out, size, "%ldh%ldm", s / 3600,
					 (s / 60) % 60)
			      : snprintf(out, size, "%ldh", s / 3600);
	else if (s < 48 * 3600)
		snprintf(out, size, "%ldh", s / 3600);
	else if (s < 8 * 86400)
		(s / 3600) % 24 ? snprintf(out, size, "%ldd%ldh", s / 86400,
					   (s / 3600) % 24)
				: snprintf(out, size, "%ldd", s / 86400);
	else if (s < 2 * 365 * 86400)
		snprintf(out, size, "%ldd", s / 86400);
	else
		snprintf(out, size, "%ldy", s / (365 * 86400));
}

static json_t *age_cell(const char *timestamp)
{
	struct tm tm;
	char out[32];

	memset(&tm, 0, sizeof(tm));
	if (!timestamp || !strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_string("<unknown>");
	human_age((long)(time(NULL) - timegm(&tm)), out, sizeof(out));
	return json_string(out);
}

static json_t *cell(const cz_printer_column *col, const cz_jsonpath *path,
		    const json_t *obj)
{
	json_t *v;

	/* Age columns read as durations, as the built-in printers make them. */
	if (strcmp(col->type, "date") == 0) {
		v = cz_jsonpath_first(path, obj);
		return v ? age_cell(json_string_value(v)) : json_null();
	}
	return cz_jsonpath_cell(path, obj, col->type);
}

static json_t *column_definitions(const cz_resource *r)
{
	json_t *defs = json_array();

	json_array_append_new(defs,
			      json_pack("{s:s, s:s, s:s, s:s, s:i}", "name",
					"Name", "type", "string", "format",
					"name", "description",
					"Name must be unique within a "
					"namespace.",
					"priority", 0));
	for (const cz_printer_column *c = r->columns; c && c->name; c++)
		json_array_append_new(
			defs, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name",
					c->name, "type", c->type, "format", "",
					"description", c->description,
					"priority", c->priority));
	return defs;
}

/* The object a row carries: kube's includeObject=None|Metadata|Object. */
static json_t *row_object(cz_req *req, const json_t *obj)
{
	const char *include = req ? cz_req_query(req, "includeObject") : NULL;

	if (include && strcasecmp(include, "Object") == 0)
		return json_incref((json_t *)obj);
	if (include && strcasecmp(include, "None") == 0)
		return json_null();
	return json_pack("{s:s, s:s, s:O}", "kind", "PartialObjectMetadata",
			 "apiVersion", "meta.k8s.io/v1", "metadata",
			 json_object_get(obj, "metadata"));
}

json_t *cz_table_build(cz_req *req, const cz_resource *r, json_t *const *objs,
		       size_t n, bool with_columns)
{
	const compiled_columns *cc = columns_of(r);
	json_t *rows = json_array();
	json_t *table;

	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_object_get(
			json_object_get(objs[i], "metadata"), "name"));
		json_t *cells = json_array();
		size_t c = 0;

		json_array_append_new(cells, json_string(name ? name : ""));
		for (const cz_printer_column *col = r->columns;
		     col && col->name && c < cc->n; col++, c++)
			json_array_append_new(cells,
					      cell(col, cc->paths[c], objs[i]));
		json_array_append_new(rows,
				      json_pack("{s:o, s:o}", "cells", cells,
						"object",
						row_object(req, objs[i])));
	}
	table = json_pack("{s:s, s:s, s:{}, s:o}", "kind", "Table",
			  "apiVersion", "meta.k8s.io/v1", "metadata", "rows",
			  rows);
	json_object_set_new(table, "columnDefinitions",
			    with_columns ? column_definitions(r)
					 : json_array());
	return table;
}
