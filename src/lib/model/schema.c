#include "model/schema.h"

#include <stdint.h>
#include <string.h>

#include "model/schema_common.h"
#include "util/base64.h"
#include "util/buf.h"

/*
 * The served kinds.  Definition names follow upstream: Go package paths for
 * k8s.io/api types, the reversed group for custom resources.
 */
static const cz_schema_kind kinds[] = {
	{ "v1", "Namespace", "io.k8s.api.core.v1.Namespace", &cz_s_namespace },
	{ "v1", "Secret", "io.k8s.api.core.v1.Secret", &cz_s_secret },
	{ "v1", "ConfigMap", "io.k8s.api.core.v1.ConfigMap", &cz_s_configmap },
	{ CZ_GROUP_VERSION, "Package", "io.cozystack.v1alpha1.Package",
	  &cz_s_package },
	{ CZ_GROUP_VERSION, "PackageSource",
	  "io.cozystack.v1alpha1.PackageSource", &cz_s_package_source },
	{ "helm.toolkit.fluxcd.io/v2", "HelmRelease",
	  "io.fluxcd.toolkit.helm.v2.HelmRelease", &cz_s_helmrelease },
	{ "source.toolkit.fluxcd.io/v1", "OCIRepository",
	  "io.fluxcd.toolkit.source.v1.OCIRepository", &cz_s_ocirepository },
	{ "source.toolkit.fluxcd.io/v1", "GitRepository",
	  "io.fluxcd.toolkit.source.v1.GitRepository", &cz_s_gitrepository },
	{ "source.toolkit.fluxcd.io/v1", "ExternalArtifact",
	  "io.fluxcd.toolkit.source.v1.ExternalArtifact",
	  &cz_s_externalartifact },
	{ "coordination.k8s.io/v1", "Lease", "io.k8s.api.coordination.v1.Lease",
	  &cz_s_lease },
	{ "apps/v1", "ControllerRevision",
	  "io.k8s.api.apps.v1.ControllerRevision", &cz_s_controllerrevision },
	{ "batch/v1", "Job", "io.k8s.api.batch.v1.Job", &cz_s_job },
	{ "config.pkg.pkgserver.dev/v1alpha1", "Repository",
	  "dev.pkgserver.pkg.config.v1alpha1.Repository",
	  &cz_s_pkg_repository },
	{ "config.pkg.pkgserver.dev/v1alpha1", "PackageVariant",
	  "dev.pkgserver.pkg.config.v1alpha1.PackageVariant",
	  &cz_s_pkg_package_variant },
	{ "pkg.pkgserver.dev/v1alpha1", "PackageRevision",
	  "dev.pkgserver.pkg.v1alpha1.PackageRevision",
	  &cz_s_pkg_package_revision },
	{ "pkg.pkgserver.dev/v1alpha1", "PackageRevisionResources",
	  "dev.pkgserver.pkg.v1alpha1.PackageRevisionResources",
	  &cz_s_pkg_package_revision_resources },
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

const cz_schema_kind *cz_schema_kinds(size_t *count)
{
	*count = N_KINDS;
	return kinds;
}

const cz_schema_kind *cz_schema_kind_find(const char *api_version,
					  const char *kind)
{
	if (!api_version || !kind)
		return NULL;
	for (size_t i = 0; i < N_KINDS; i++)
		if (strcmp(kinds[i].api_version, api_version) == 0 &&
		    strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

const cz_schema *cz_schema_for_kind(const char *api_version, const char *kind)
{
	const cz_schema_kind *k = cz_schema_kind_find(api_version, kind);

	return k ? k->schema : NULL;
}

const cz_schema *cz_schema_list_meta(void)
{
	return &cz_s_list_meta;
}

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

/* The walk state. */
typedef struct walk {
	const cz_schema_check *check;
	cz_buf path;
	size_t problems;
} walk;

static void report(walk *w, cz_violation what, const json_t *value,
		   const cz_schema *s, const cz_schema_loc *at)
{
	cz_schema_issue issue = { what, w->path.data, value, s, at };

	w->problems++;
	w->check->report(w->check->ctx, &issue);
}

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

static bool type_matches(const json_t *v, cz_type t)
{
	switch (t) {
	case CZ_T_STRING: return json_is_string(v);
	case CZ_T_BOOL: return json_is_boolean(v);
	case CZ_T_INT: return json_is_integer(v);
	case CZ_T_NUMBER: return json_is_number(v);
	case CZ_T_ARRAY: return json_is_array(v);
	case CZ_T_OBJECT:
	case CZ_T_MAP: return json_is_object(v);
	default: return true;
	}
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* RFC 3339: 2006-01-02T15:04:05[.frac](Z|+07:00). */
static bool is_date_time(const char *s)
{
	size_t len = strlen(s);
	size_t i = 19;

	if (len < 20 || !all_digits(s, 4) || s[4] != '-' ||
	    !all_digits(s + 5, 2) || s[7] != '-' || !all_digits(s + 8, 2) ||
	    (s[10] != 'T' && s[10] != 't') || !all_digits(s + 11, 2) ||
	    s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
	    !all_digits(s + 17, 2))
		return false;
	if (s[i] == '.') {
		size_t start = ++i;

		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return false;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		return true;
	return (s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 &&
	       all_digits(s + i + 1, 2) && s[i + 3] == ':' &&
	       all_digits(s + i + 4, 2);
}

static bool format_holds(const json_t *v, const char *format)
{
	if (strcmp(format, "byte") == 0 && json_is_string(v))
		return cz_base64_valid(json_string_value(v),
				       json_string_length(v));
	if (strcmp(format, "date-time") == 0 && json_is_string(v))
		return is_date_time(json_string_value(v));
	if (strcmp(format, "int32") == 0 && json_is_integer(v))
		return json_integer_value(v) >= INT32_MIN &&
		       json_integer_value(v) <= INT32_MAX;
	return true;
}

static bool enum_holds(const char *value, const char *const *enums)
{
	for (const char *const *e = enums; *e; e++)
		if (strcmp(*e, value) == 0)
			return true;
	return false;
}

static void validate_value(walk *w, json_t *v, const cz_schema *s,
			   const cz_schema_loc *at);

static const cz_field *field_find(const cz_schema *s, const char *name)
{
	for (const cz_field *f = s->fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void check_required(walk *w, const json_t *obj, const cz_schema *s,
			   const cz_schema_loc *at)
{
	for (const cz_field *f = s->fields; f->name; f++) {
		json_t *v = json_object_get(obj, f->name);
		size_t mark;

		if (!f->required || (v && !json_is_null(v)))
			continue;
		mark = path_push_field(w, f->name);
		report(w, CZ_V_REQUIRED, NULL, f->schema, at);
		path_cut(w, mark);
	}
}

static void validate_object(walk *w, json_t *obj, const cz_schema *s,
			    const cz_schema_loc *at)
{
	const char *key;
	json_t *value;
	void *tmp;

	check_required(w, obj, s, at);
	json_object_foreach_safe (obj, tmp, key, value) {
		const cz_field *f = field_find(s, key);
		cz_schema_loc here = { obj, key, 0, at };
		size_t mark;

		if (!f && s->preserve_unknown)
			continue;
		if (f && !at && w->check->skip_status &&
		    strcmp(key, "status") == 0)
			continue;
		mark = path_push_field(w, key);
		if (!f) {
			report(w, CZ_V_UNKNOWN, value, NULL, &here);
			if (w->check->prune_unknown)
				json_object_del(obj, key);
		} else if (!json_is_null(value)) {
			validate_value(w, value, f->schema, &here);
		}
		path_cut(w, mark);
	}
}

static void validate_items(walk *w, json_t *v, const cz_schema *s,
			   const cz_schema_loc *at)
{
	size_t i;
	json_t *item;

	json_array_foreach (v, i, item) {
		cz_schema_loc here = { v, NULL, i, at };
		size_t mark = w->path.len;

		cz_buf_printf(&w->path, "[%zu]", i);
		validate_value(w, item, s->items, &here);
		path_cut(w, mark);
	}
}

static void validate_map(walk *w, json_t *v, const cz_schema *s,
			 const cz_schema_loc *at)
{
	const char *key;
	json_t *item;

	json_object_foreach (v, key, item) {
		cz_schema_loc here = { v, key, 0, at };
		size_t mark = w->path.len;

		if (w->check->dotted_map_keys)
			path_push_field(w, key);
		else
			cz_buf_printf(&w->path, "[%s]", key);
		if (!json_is_null(item) || s->items->type == CZ_T_ANY)
			validate_value(w, item, s->items, &here);
		path_cut(w, mark);
	}
}

static void validate_value(walk *w, json_t *v, const cz_schema *s,
			   const cz_schema_loc *at)
{
	if (!type_matches(v, s->type)) {
		report(w, CZ_V_TYPE, v, s, at);
		return;
	}
	if (s->format && !format_holds(v, s->format)) {
		report(w, CZ_V_FORMAT, v, s, at);
		return;
	}
	switch (s->type) {
	case CZ_T_OBJECT: validate_object(w, v, s, at); break;
	case CZ_T_ARRAY: validate_items(w, v, s, at); break;
	case CZ_T_MAP: validate_map(w, v, s, at); break;
	case CZ_T_STRING:
		if (s->enums && !enum_holds(json_string_value(v), s->enums))
			report(w, CZ_V_ENUM, v, s, at);
		break;
	default: break;
	}
}

size_t cz_schema_validate(json_t *value, const cz_schema *s,
			  const cz_schema_check *check)
{
	walk w = { check, { 0 }, 0 };

	cz_buf_init(&w.path, CZ_BUF_UNLIMITED);
	validate_value(&w, value, s, NULL);
	cz_buf_release(&w.path);
	return w.problems;
}

/* The file validator: the walk's problems as "file:line: path: msg". */

typedef struct file_report {
	const cz_where *where;
	cz_diags *diags;
	bool ok;
} file_report;

const char *cz_json_type_name(const json_t *v)
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

const char *cz_schema_type_name(cz_type t)
{
	switch (t) {
	case CZ_T_STRING: return "string";
	case CZ_T_BOOL: return "boolean";
	case CZ_T_INT: return "integer";
	case CZ_T_NUMBER: return "number";
	case CZ_T_ARRAY: return "array";
	case CZ_T_OBJECT:
	case CZ_T_MAP: return "object";
	default: return NULL;
	}
}

static unsigned resolve_line(const cz_where *where, const cz_schema_loc *at)
{
	for (; at && at->container && where->lines; at = at->up) {
		unsigned line;

		if (at->key)
			line = cz_linemap_key(where->lines, at->container,
					      at->key);
		else
			line = cz_linemap_index(where->lines, at->container,
						at->index);
		if (line)
			return line;
	}
	return where->line;
}

static void file_error(file_report *fr, const cz_schema_loc *at,
		       const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void file_error(file_report *fr, const cz_schema_loc *at,
		       const char *path, const char *fmt, ...)
{
	char msg[512];
	unsigned line = resolve_line(fr->where, at);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fr->ok = false;
	if (line)
		cz_diags_add(fr->diags, CZ_DIAG_ERROR, "%s:%u: %s%s: %s",
			     fr->where->file, line, fr->where->path_prefix,
			     path, msg);
	else
		cz_diags_add(fr->diags, CZ_DIAG_ERROR, "%s: %s%s: %s",
			     fr->where->file, fr->where->path_prefix, path,
			     msg);
}

static void file_report_issue(void *ctx, const cz_schema_issue *issue)
{
	file_report *fr = ctx;
	cz_buf allowed;

	switch (issue->what) {
	case CZ_V_REQUIRED:
		file_error(fr, issue->at, issue->path, "required");
		break;
	case CZ_V_UNKNOWN:
		file_error(fr, issue->at, issue->path, "unknown field");
		break;
	case CZ_V_TYPE:
		file_error(fr, issue->at, issue->path, "expected %s, got %s",
			   cz_schema_type_name(issue->schema->type),
			   cz_json_type_name(issue->value));
		break;
	case CZ_V_FORMAT:
		file_error(fr, issue->at, issue->path,
			   "invalid value: not a valid %s",
			   issue->schema->format);
		break;
	case CZ_V_ENUM:
		cz_buf_init(&allowed, 400);
		for (const char *const *e = issue->schema->enums; *e; e++)
			cz_buf_printf(&allowed, "%s\"%s\"",
				      e == issue->schema->enums ? "" : ", ", *e);
		file_error(fr, issue->at, issue->path,
			   "unsupported value \"%.100s\": supported values: %s",
			   json_string_value(issue->value), allowed.data);
		cz_buf_release(&allowed);
		break;
	}
}

/* What the schema leaves optional but a manifest file must carry. */
static void check_file_required(file_report *fr, const json_t *obj)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata" };
	json_t *meta = json_object_get(obj, "metadata");
	json_t *name = json_object_get(meta, "name");

	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		json_t *v = json_object_get(obj, top[i]);

		if (!v || json_is_null(v))
			file_error(fr, NULL, top[i], "required");
	}
	if (json_is_object(meta) && (!name || json_is_null(name))) {
		cz_schema_loc at = { obj, "metadata", 0, NULL };

		file_error(fr, &at, "metadata.name", "required");
	}
}

static void check_file_name(file_report *fr, const json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	cz_schema_loc at = { meta, "name", 0, NULL };

	if (!name || cz_is_dns_subdomain(name))
		return;
	file_error(fr, &at, "metadata.name",
		   "invalid value \"%.100s\": a lowercase RFC 1123 subdomain "
		   "must consist of lower case alphanumeric characters, '-' or "
		   "'.', and must start and end with an alphanumeric character",
		   name);
}

bool cz_validate_object(json_t *obj, cz_kind kind, const cz_where *where,
			cz_diags *diags)
{
	file_report fr = { where, diags, true };
	cz_schema_check check = { file_report_issue, &fr, false, false, true };
	const cz_schema *schema =
		kind == CZ_KIND_PACKAGE ? &cz_s_package : &cz_s_package_source;

	check_file_required(&fr, obj);
	cz_schema_validate(obj, schema, &check);
	if (fr.ok)
		check_file_name(&fr, obj);
	return fr.ok;
}

