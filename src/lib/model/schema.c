#include "model/schema.h"

#include <string.h>

#include "util/buf.h"

/*
 * The schemas are tables: adding a field or a kind is a row, not code.
 * They mirror the real CRDs: no defaults, no CEL, enums where the Go types
 * carry +kubebuilder:validation:Enum.
 */

typedef enum cz_type {
	CZ_T_STRING,
	CZ_T_BOOL,
	CZ_T_INT,
	CZ_T_OBJECT, /* fixed fields */
	CZ_T_ARRAY,  /* items of one schema */
	CZ_T_MAP,    /* string keys, values of one schema */
	CZ_T_ANY,    /* anything (x-kubernetes-preserve-unknown-fields) */
} cz_type;

typedef struct cz_field cz_field;

typedef struct cz_schema {
	cz_type type;
	const cz_field *fields;        /* CZ_T_OBJECT: ends with a NULL name */
	const struct cz_schema *items; /* CZ_T_ARRAY and CZ_T_MAP */
	const char *const *enums;      /* CZ_T_STRING: NULL-terminated */
} cz_schema;

struct cz_field {
	const char *name;
	const cz_schema *schema;
	bool required;
};

static const cz_schema s_string = { CZ_T_STRING, NULL, NULL, NULL };
static const cz_schema s_bool = { CZ_T_BOOL, NULL, NULL, NULL };
static const cz_schema s_int = { CZ_T_INT, NULL, NULL, NULL };
static const cz_schema s_any = { CZ_T_ANY, NULL, NULL, NULL };
static const cz_schema s_strings = { CZ_T_ARRAY, NULL, &s_string, NULL };
static const cz_schema s_anys = { CZ_T_ARRAY, NULL, &s_any, NULL };
static const cz_schema s_string_map = { CZ_T_MAP, NULL, &s_string, NULL };

/* metav1.ObjectMeta, as much of it as a manifest may carry. */
static const cz_field f_metadata[] = {
	{ "name", &s_string, true },
	{ "generateName", &s_string, false },
	{ "namespace", &s_string, false },
	{ "selfLink", &s_string, false },
	{ "uid", &s_string, false },
	{ "resourceVersion", &s_string, false },
	{ "generation", &s_int, false },
	{ "creationTimestamp", &s_any, false },
	{ "deletionTimestamp", &s_any, false },
	{ "deletionGracePeriodSeconds", &s_int, false },
	{ "labels", &s_string_map, false },
	{ "annotations", &s_string_map, false },
	{ "ownerReferences", &s_anys, false },
	{ "finalizers", &s_strings, false },
	{ "managedFields", &s_anys, false },
	{ NULL, NULL, false },
};
static const cz_schema s_metadata = { CZ_T_OBJECT, f_metadata, NULL, NULL };

/* PackageSource */
static const char *const e_source_kind[] = { "GitRepository", "OCIRepository",
					     NULL };
static const char *const e_upgrade_crds[] = { "Skip", "Create", "CreateReplace",
					      NULL };
static const char *const e_wait_strategy[] = { "poller", "legacy", NULL };

static const cz_schema s_source_kind = { CZ_T_STRING, NULL, NULL,
					 e_source_kind };
static const cz_schema s_upgrade_crds = { CZ_T_STRING, NULL, NULL,
					  e_upgrade_crds };
static const cz_schema s_wait_strategy = { CZ_T_STRING, NULL, NULL,
					   e_wait_strategy };

static const cz_field f_source_ref[] = {
	{ "kind", &s_source_kind, true },
	{ "name", &s_string, true },
	{ "namespace", &s_string, true },
	{ "path", &s_string, false },
	{ NULL, NULL, false },
};
static const cz_schema s_source_ref = { CZ_T_OBJECT, f_source_ref, NULL, NULL };

static const cz_field f_health_check[] = {
	{ "apiVersion", &s_string, true },
	{ "kind", &s_string, true },
	{ "current", &s_string, true },
	{ "inProgress", &s_string, false },
	{ "failed", &s_string, false },
	{ NULL, NULL, false },
};
static const cz_schema s_health_check = { CZ_T_OBJECT, f_health_check, NULL,
					  NULL };
static const cz_schema s_health_checks = { CZ_T_ARRAY, NULL, &s_health_check,
					   NULL };

static const cz_field f_install[] = {
	{ "releaseName", &s_string, false },
	{ "namespace", &s_string, false },
	{ "privileged", &s_bool, false },
	{ "dependsOn", &s_strings, false },
	{ "upgradeCRDs", &s_upgrade_crds, false },
	{ "waitStrategy", &s_wait_strategy, false },
	{ "healthCheckExprs", &s_health_checks, false },
	{ NULL, NULL, false },
};
static const cz_schema s_install = { CZ_T_OBJECT, f_install, NULL, NULL };

static const cz_field f_component[] = {
	{ "name", &s_string, true },
	{ "path", &s_string, true },
	{ "install", &s_install, false },
	{ "libraries", &s_strings, false },
	{ "valuesFiles", &s_strings, false },
	{ NULL, NULL, false },
};
static const cz_schema s_component = { CZ_T_OBJECT, f_component, NULL, NULL };
static const cz_schema s_components = { CZ_T_ARRAY, NULL, &s_component, NULL };

static const cz_field f_library[] = {
	{ "name", &s_string, false },
	{ "path", &s_string, true },
	{ NULL, NULL, false },
};
static const cz_schema s_library = { CZ_T_OBJECT, f_library, NULL, NULL };
static const cz_schema s_libraries = { CZ_T_ARRAY, NULL, &s_library, NULL };

static const cz_field f_variant[] = {
	{ "name", &s_string, true },
	{ "dependsOn", &s_strings, false },
	{ "libraries", &s_libraries, false },
	{ "components", &s_components, false },
	{ NULL, NULL, false },
};
static const cz_schema s_variant = { CZ_T_OBJECT, f_variant, NULL, NULL };
static const cz_schema s_variants = { CZ_T_ARRAY, NULL, &s_variant, NULL };

static const cz_field f_source_spec[] = {
	{ "sourceRef", &s_source_ref, false },
	{ "variants", &s_variants, false },
	{ NULL, NULL, false },
};
static const cz_schema s_source_spec = { CZ_T_OBJECT, f_source_spec, NULL,
					 NULL };

/* Package */
static const cz_field f_package_component[] = {
	{ "enabled", &s_bool, false },
	{ "values", &s_any, false },
	{ NULL, NULL, false },
};
static const cz_schema s_package_component = { CZ_T_OBJECT, f_package_component,
					       NULL, NULL };
static const cz_schema s_package_components = { CZ_T_MAP, NULL,
						&s_package_component, NULL };

static const cz_field f_package_spec[] = {
	{ "variant", &s_string, false },
	{ "ignoreDependencies", &s_strings, false },
	{ "components", &s_package_components, false },
	{ NULL, NULL, false },
};
static const cz_schema s_package_spec = { CZ_T_OBJECT, f_package_spec, NULL,
					  NULL };

#define TOP_FIELDS(spec)                                                       \
	{ "apiVersion", &s_string, true }, { "kind", &s_string, true },        \
		{ "metadata", &s_metadata, true }, { "spec", (spec), false },  \
		{ "status", &s_any, false },                                   \
	{                                                                      \
		NULL, NULL, false                                              \
	}

static const cz_field f_package[] = { TOP_FIELDS(&s_package_spec) };
static const cz_field f_source[] = { TOP_FIELDS(&s_source_spec) };
static const cz_schema s_package = { CZ_T_OBJECT, f_package, NULL, NULL };
static const cz_schema s_source = { CZ_T_OBJECT, f_source, NULL, NULL };

cz_kind cz_kind_of(const json_t *obj)
{
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (!api || !kind || strcmp(api, CZ_GROUP_VERSION) != 0)
		return CZ_KIND_OTHER;
	if (strcmp(kind, "Package") == 0)
		return CZ_KIND_PACKAGE;
	if (strcmp(kind, "PackageSource") == 0)
		return CZ_KIND_PACKAGE_SOURCE;
	return CZ_KIND_OTHER;
}

/* Where a value sits, resolved to a line only when a message needs one:
 * looking lines up for every valid field would cost more than validating. */
typedef struct loc loc;
struct loc {
	const json_t *container; /* NULL: the object itself */
	const char *key;         /* the key in container, or NULL for index */
	size_t index;
	const loc *up;
};

/* The walk state: where we are, for messages. */
typedef struct walk {
	const cz_where *where;
	cz_diags *diags;
	cz_buf path;
	bool ok;
} walk;

static unsigned resolve_line(const walk *w, const loc *at)
{
	for (; at && at->container; at = at->up) {
		unsigned line = 0;

		if (!w->where->lines)
			break;
		if (at->key)
			line = cz_linemap_key(w->where->lines, at->container,
					      at->key);
		else
			line = cz_linemap_index(w->where->lines, at->container,
						at->index);
		if (line)
			return line;
	}
	return w->where->line;
}

static void report(walk *w, const loc *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(walk *w, const loc *at, const char *fmt, ...)
{
	char msg[512];
	unsigned line = resolve_line(w, at);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->ok = false;
	if (line)
		cz_diags_add(w->diags, CZ_DIAG_ERROR, "%s:%u: %s%s: %s",
			     w->where->file, line, w->where->path_prefix,
			     w->path.data, msg);
	else
		cz_diags_add(w->diags, CZ_DIAG_ERROR, "%s: %s%s: %s",
			     w->where->file, w->where->path_prefix,
			     w->path.data, msg);
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static const char *schema_type_name(cz_type t)
{
	switch (t) {
	case CZ_T_STRING: return "string";
	case CZ_T_BOOL: return "boolean";
	case CZ_T_INT: return "integer";
	case CZ_T_ARRAY: return "array";
	default: return "object";
	}
}

static bool type_matches(const json_t *v, cz_type t)
{
	switch (t) {
	case CZ_T_STRING: return json_is_string(v);
	case CZ_T_BOOL: return json_is_boolean(v);
	case CZ_T_INT: return json_is_integer(v);
	case CZ_T_ARRAY: return json_is_array(v);
	case CZ_T_OBJECT:
	case CZ_T_MAP: return json_is_object(v);
	default: return true;
	}
}

static void validate_value(walk *w, const json_t *v, const cz_schema *s,
			   const loc *at);

/* Appends ".name" (or "name" at the top) to the path; returns the old
 * length so that the caller can cut it back. */
static size_t path_push_field(walk *w, const char *name)
{
	size_t old = w->path.len;

	cz_buf_printf(&w->path, "%s%s", old ? "." : "", name);
	return old;
}

static void path_cut(walk *w, size_t len)
{
	w->path.len = len;
	w->path.data[len] = '\0';
}

static void validate_object(walk *w, const json_t *obj, const cz_schema *s,
			    const loc *at)
{
	const char *key;
	json_t *value;

	for (const cz_field *f = s->fields; f->name; f++) {
		json_t *v = json_object_get(obj, f->name);
		size_t mark;

		if (!f->required || (v && !json_is_null(v)))
			continue;
		mark = path_push_field(w, f->name);
		report(w, at, "required");
		path_cut(w, mark);
	}
	json_object_foreach ((json_t *)obj, key, value) {
		const cz_field *f = s->fields;
		loc here = { obj, key, 0, at };
		size_t mark;

		while (f->name && strcmp(f->name, key) != 0)
			f++;
		mark = path_push_field(w, key);
		if (!f->name)
			report(w, &here, "unknown field");
		else if (!json_is_null(value))
			validate_value(w, value, f->schema, &here);
		path_cut(w, mark);
	}
}

static void validate_items(walk *w, const json_t *v, const cz_schema *s,
			   const loc *at)
{
	size_t i;
	json_t *item;

	json_array_foreach (v, i, item) {
		loc here = { v, NULL, i, at };
		size_t mark = w->path.len;

		cz_buf_printf(&w->path, "[%zu]", i);
		validate_value(w, item, s->items, &here);
		path_cut(w, mark);
	}
}

static void validate_map(walk *w, const json_t *v, const cz_schema *s,
			 const loc *at)
{
	const char *key;
	json_t *item;

	json_object_foreach ((json_t *)v, key, item) {
		loc here = { v, key, 0, at };
		size_t mark = w->path.len;

		cz_buf_printf(&w->path, "[%s]", key);
		if (!json_is_null(item) || s->items->type == CZ_T_ANY)
			validate_value(w, item, s->items, &here);
		path_cut(w, mark);
	}
}

static void validate_enum(walk *w, const char *value, const cz_schema *s,
			  const loc *at)
{
	cz_buf allowed;

	for (const char *const *e = s->enums; *e; e++)
		if (strcmp(*e, value) == 0)
			return;
	cz_buf_init(&allowed, 400);
	for (const char *const *e = s->enums; *e; e++)
		cz_buf_printf(&allowed, "%s\"%s\"", e == s->enums ? "" : ", ",
			      *e);
	report(w, at, "unsupported value \"%.100s\": supported values: %s",
	       value, allowed.data);
	cz_buf_release(&allowed);
}

static void validate_value(walk *w, const json_t *v, const cz_schema *s,
			   const loc *at)
{
	if (!type_matches(v, s->type)) {
		report(w, at, "expected %s, got %s", schema_type_name(s->type),
		       json_type_name(v));
		return;
	}
	switch (s->type) {
	case CZ_T_OBJECT: validate_object(w, v, s, at); break;
	case CZ_T_ARRAY: validate_items(w, v, s, at); break;
	case CZ_T_MAP: validate_map(w, v, s, at); break;
	case CZ_T_STRING:
		if (s->enums)
			validate_enum(w, json_string_value(v), s, at);
		break;
	default: break;
	}
}

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool cz_is_dns_label(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63)
		return false;
	if (!is_alnum_lower(name[0]) || !is_alnum_lower(name[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum_lower(name[i]) && name[i] != '-')
			return false;
	return true;
}

bool cz_is_dns_subdomain(const char *name)
{
	size_t len = strlen(name);
	size_t start = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (name[i] != '.' && name[i] != '\0')
			continue;
		/* Each dot-separated part must itself look like a label; the
		 * 63-character limit applies only to labels, not here. */
		if (i == start || !is_alnum_lower(name[start]) ||
		    !is_alnum_lower(name[i - 1]))
			return false;
		for (size_t j = start; j < i; j++)
			if (!is_alnum_lower(name[j]) && name[j] != '-')
				return false;
		start = i + 1;
	}
	return true;
}

static void validate_name(walk *w, const json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	size_t mark;

	if (!name || cz_is_dns_subdomain(name))
		return;
	loc at = { meta, "name", 0, NULL };

	mark = path_push_field(w, "metadata.name");
	report(w, &at,
	       "invalid value \"%.100s\": a lowercase RFC 1123 subdomain must "
	       "consist of lower case alphanumeric characters, '-' or '.', and "
	       "must start and end with an alphanumeric character",
	       name);
	path_cut(w, mark);
}

bool cz_validate_object(const json_t *obj, cz_kind kind, const cz_where *where,
			cz_diags *diags)
{
	walk w = { where, diags, { 0 }, true };
	const cz_schema *schema =
		kind == CZ_KIND_PACKAGE ? &s_package : &s_source;

	cz_buf_init(&w.path, 4096);
	validate_value(&w, obj, schema, NULL);
	if (w.ok)
		validate_name(&w, obj);
	cz_buf_release(&w.path);
	return w.ok;
}
