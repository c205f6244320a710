#ifndef CZ_API_RESOURCE_H
#define CZ_API_RESOURCE_H

/*
 * The table of served resources.  Everything that differs between kinds
 * (group, scope, names, status subresource, printer columns, schema, name
 * rule, patch merge keys) is a row here; discovery, OpenAPI, routing,
 * validation and table output all read the same rows, so a new kind is a
 * row and a schema, not new plumbing.
 */

#include <stdbool.h>
#include <stddef.h>

typedef enum cz_name_rule {
	CZ_NAME_SUBDOMAIN, /* RFC 1123 subdomain (most kinds) */
	CZ_NAME_LABEL,     /* RFC 1123 label (namespaces) */
	CZ_NAME_SEGMENT,   /* a path segment (package revisions) */
} cz_name_rule;

typedef struct cz_printer_column {
	const char *name;      /* header, e.g. "Ready" */
	const char *type;      /* "string", "date", "integer", ... */
	const char *json_path; /* e.g. ".status.conditions[?(@.type=='Ready')].status" */
	const char *description;
	int priority; /* 0: always shown; >0: only with -o wide */
} cz_printer_column;

/* A list inside a kind whose items merge by a key under strategic merge
 * patch and server-side apply (x-kubernetes-list-type: map). */
typedef struct cz_merge_key {
	const char *path; /* dotted path of the list, e.g. "status.conditions" */
	const char *key;  /* the item field that identifies an item, e.g. "type" */
} cz_merge_key;

/* Where a kind's objects live (apiserver/storage.h): the SQLite store, or
 * package revisions in git with the store as their cache. */
typedef enum cz_storage_kind {
	CZ_STORAGE_STORE = 0,
	CZ_STORAGE_REVISIONS,
	CZ_STORAGE_REVISION_RESOURCES,
	CZ_STORAGE_KINDS
} cz_storage_kind;

typedef struct cz_resource {
	const char *group; /* "" for the core group */
	const char *version;
	const char *group_version; /* "v1" or "group/version" */
	const char *resource;      /* plural, e.g. "packages" */
	const char *singular;
	const char *kind;
	const char *list_kind;
	bool namespaced;
	bool has_status;                /* serves the status subresource */
	bool strategic_merge;           /* accepts strategic-merge-patch */
	const char *const *short_names; /* NULL-terminated, may be NULL */
	const char *const *categories;  /* NULL-terminated, may be NULL */
	const cz_printer_column *columns; /* ends with a NULL name */
	const cz_merge_key *merge_keys;   /* ends with a NULL path */
	cz_name_rule name_rule;
	bool secret; /* hidden from viewers (Secrets) */
	/* Subresources served besides status, NULL-terminated, may be
	 * NULL. */
	const char *const *subresources;
	/* Field selectors beyond metadata.name and metadata.namespace. */
	const char *const *fields;
	cz_storage_kind storage;
} cz_resource;

/* Whether r serves the subresource sub ("status" when it has one). */
bool cz_resource_has_subresource(const cz_resource *r, const char *sub);

/* All served resources, in a fixed order (core group first). */
const cz_resource *cz_resources(size_t *count);

/* The resource with this group, version and plural name, or NULL. */
const cz_resource *cz_resource_find(const char *group, const char *version,
				    const char *resource);

/* The resource serving apiVersion/kind, or NULL. */
const cz_resource *cz_resource_by_kind(const char *api_version,
				       const char *kind);

/* The group/versions served, in discovery order ("v1" first), as an array
 * of count strings with static storage. */
const char *const *cz_group_versions(size_t *count);

#endif
