#ifndef CZ_MODEL_CATALOG_H
#define CZ_MODEL_CATALOG_H

/*
 * The typed catalog: PackageSources and Packages decoded from validated
 * JSON objects.  Strings point into the JSON objects, which the catalog
 * keeps alive; all typed structs live in the catalog's arena.  A catalog is
 * read-only once cz_catalog_finish() has sorted it.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/diags.h"
#include "util/strmap.h"

typedef struct cz_strlist {
	const char **items;
	size_t len;
} cz_strlist;

typedef struct cz_install {
	const char *release_name;   /* releaseName, or the component name */
	const char *namespace;      /* "" when not set */
	bool privileged;
	cz_strlist depends_on;      /* component names of the same variant */
	const char *upgrade_crds;   /* NULL when not set */
	const char *wait_strategy;  /* NULL when not set */
	json_t *health_check_exprs; /* borrowed; NULL when not set */
} cz_install;

typedef struct cz_component {
	const char *name;
	const char *path;
	cz_strlist libraries;
	cz_strlist values_files;
	const cz_install *install; /* NULL: built as an artifact only */
} cz_component;

typedef struct cz_library {
	const char *name; /* name, or the last segment of path */
	const char *path;
} cz_library;

typedef struct cz_variant {
	const char *name;
	cz_strlist depends_on; /* Package names */
	const cz_library *libraries;
	size_t nlibraries;
	const cz_component *components;
	size_t ncomponents;
} cz_variant;

typedef struct cz_source_ref {
	const char *kind;
	const char *name;
	const char *namespace;
	const char *path; /* NULL when not set */
} cz_source_ref;

typedef struct cz_origin {
	const char *file; /* owned by the catalog arena */
	unsigned line;
} cz_origin;

typedef struct cz_source {
	const char *name;
	cz_arena *own; /* the object's own arena when put live, else NULL */
	size_t index; /* position in cz_catalog.sources */
	/* Owned reference; NULL for a source put with
	 * cz_catalog_put_source_copy, whose strings are copies in own and
	 * whose JSON values are copies in kept. */
	json_t *object;
	json_t *kept; /* owned; NULL unless copied */
	cz_origin origin;
	bool skip_cozystack_values;
	const cz_source_ref *source_ref; /* NULL when not set */
	const cz_variant *variants;
	size_t nvariants;
} cz_source;

typedef struct cz_package_component {
	const char *name;
	int enabled;    /* -1 not set, 0 false, 1 true */
	json_t *values; /* borrowed; NULL when not set */
} cz_package_component;

typedef struct cz_package {
	const char *name;
	cz_arena *own; /* the object's own arena when put live, else NULL */
	size_t index; /* position in cz_catalog.packages */
	json_t *object; /* owned reference */
	cz_origin origin;
	const char *variant; /* spec.variant, or "default" when empty */
	cz_strlist ignore_dependencies;
	const cz_package_component *components;
	size_t ncomponents;
} cz_package;

typedef struct cz_catalog {
	cz_arena arena;
	cz_source **sources; /* sorted by name after cz_catalog_finish() */
	size_t nsources;
	size_t sources_cap;
	cz_package **packages; /* sorted by name after cz_catalog_finish() */
	size_t npackages;
	size_t packages_cap;
	cz_strmap source_index;  /* name -> cz_source * */
	cz_strmap package_index; /* name -> cz_package * */
} cz_catalog;

void cz_catalog_init(cz_catalog *cat);
void cz_catalog_release(cz_catalog *cat);

/* Adds a validated PackageSource or Package object; the catalog takes its
 * own reference to obj.  An object whose kind and name are already in the
 * catalog replaces the earlier one, with a warning in diags. */
void cz_catalog_add_source(cz_catalog *cat, json_t *obj, const char *file,
			   unsigned line, cz_diags *diags);
void cz_catalog_add_package(cz_catalog *cat, json_t *obj, const char *file,
			    unsigned line, cz_diags *diags);

/* Sorts sources and packages by name.  Call once all objects are in. */
void cz_catalog_finish(cz_catalog *cat);

/*
 * Live use, for controllers that follow an API server: objects come and go
 * one at a time.  put adds obj (the catalog takes its own reference) or
 * replaces the object of the same kind and name; remove drops it and
 * returns false when it was absent.  Pointers borrowed from a replaced or
 * removed object are invalid afterwards.  Arrays stay unsorted and
 * cz_catalog_finish() is not needed; index stays the position in the
 * array.
 */
void cz_catalog_put_source(cz_catalog *cat, json_t *obj);
/* As cz_catalog_put_source, but what the source decodes to is copied
 * (about a tenth of the parsed object) and obj is not kept: the source's
 * object is NULL.  For long-lived catalogs of many sources. */
void cz_catalog_put_source_copy(cz_catalog *cat, json_t *obj);
void cz_catalog_put_package(cz_catalog *cat, json_t *obj);
bool cz_catalog_remove_source(cz_catalog *cat, const char *name);
bool cz_catalog_remove_package(cz_catalog *cat, const char *name);

/* Lookups; NULL when absent.  Pointers are borrowed from the catalog. */
const cz_source *cz_catalog_source(const cz_catalog *cat, const char *name);
const cz_package *cz_catalog_package(const cz_catalog *cat, const char *name);
const cz_variant *cz_source_variant(const cz_source *src, const char *name);
const cz_component *cz_variant_component(const cz_variant *v, const char *name);
const cz_package_component *cz_package_component_get(const cz_package *pkg,
						     const char *name);
/* True when the Package sets components.<name>.enabled: false. */
bool cz_package_disables(const cz_package *pkg, const char *component);
bool cz_strlist_has(const cz_strlist *l, const char *s);

#endif
