#include "api/validate.h"

#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "model/schema.h"
#include "util/buf.h"
#include "util/mem.h"

/* Kubernetes' limit on the total size of an object's annotations. */
#define ANNOTATIONS_MAX_BYTES (256 * 1024)

int cz_field_validation_parse(const char *text, cz_field_validation *out,
			      cz_error *err)
{
	if (!text || !*text || strcmp(text, "Warn") == 0)
		*out = CZ_FIELD_VALIDATION_WARN;
	else if (strcmp(text, "Strict") == 0)
		*out = CZ_FIELD_VALIDATION_STRICT;
	else if (strcmp(text, "Ignore") == 0)
		*out = CZ_FIELD_VALIDATION_IGNORE;
	else
		return cz_fail(err, CZ_EINVALID,
			       "fieldValidation: Unsupported value: \"%.100s\": "
			       "supported values: \"\", \"Ignore\", \"Strict\", "
			       "\"Warn\"",
			       text);
	return CZ_OK;
}

const char *cz_cause_reason(cz_cause cause)
{
	switch (cause) {
	case CZ_CAUSE_INVALID: return "FieldValueInvalid";
	case CZ_CAUSE_TYPE_INVALID: return "FieldValueTypeInvalid";
	case CZ_CAUSE_REQUIRED: return "FieldValueRequired";
	case CZ_CAUSE_NOT_SUPPORTED: return "FieldValueNotSupported";
	case CZ_CAUSE_TOO_LONG: return "FieldValueTooLong";
	case CZ_CAUSE_FORBIDDEN: return "FieldValueForbidden";
	case CZ_CAUSE_DUPLICATE: return "FieldValueDuplicate";
	case CZ_CAUSE_UNKNOWN_FIELD: return "FieldValueUnknown";
	}
	return "FieldValueInvalid";
}

void cz_problems_init(cz_problems *p)
{
	memset(p, 0, sizeof(*p));
}

void cz_problems_release(cz_problems *p)
{
	for (size_t i = 0; i < p->len; i++) {
		free(p->items[i].field);
		free(p->items[i].message);
	}
	for (size_t i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->items);
	free(p->warnings);
	cz_problems_init(p);
}

void cz_problems_add(cz_problems *p, cz_cause cause, const char *field,
		     const char *message)
{
	CZ_GROW(p->items, p->len + 1, p->cap);
	p->items[p->len].cause = cause;
	p->items[p->len].field = cz_xstrdup(field);
	p->items[p->len].message = cz_xstrdup(message);
	p->len++;
}

static void add_warning(cz_problems *p, char *owned)
{
	CZ_GROW(p->warnings, p->nwarnings + 1, p->wcap);
	p->warnings[p->nwarnings++] = owned;
}

size_t cz_problems_count(const cz_problems *p, cz_cause cause)
{
	size_t n = 0;

	for (size_t i = 0; i < p->len; i++)
		n += p->items[i].cause == cause;
	return n;
}

/* Adds "Invalid value: "<value>": <detail>" (field.Invalid). */
static void add_invalid(cz_problems *p, cz_cause cause, const char *field,
			const char *value, const char *detail)
{
	cz_buf msg;

	cz_buf_init(&msg, CZ_BUF_UNLIMITED);
	cz_buf_puts(&msg, "Invalid value: ");
	cz_buf_put_quoted(&msg, value);
	cz_buf_printf(&msg, ": %s", detail);
	cz_problems_add(p, cause, field, msg.data);
	cz_buf_release(&msg);
}

/* The schema walk's problems, worded as kube-openapi and
 * apiextensions-apiserver word them. */
typedef struct api_report {
	cz_problems *out;
	cz_field_validation mode;
} api_report;

/* "<path> in body must be of type <want>: "<got>"", the kube-openapi
 * type and format error, as a FieldValueTypeInvalid with value got. */
static void add_type_invalid(cz_problems *p, const char *path,
			     const char *want, const char *got)
{
	cz_buf detail;

	cz_buf_init(&detail, CZ_BUF_UNLIMITED);
	cz_buf_printf(&detail, "%s in body must be of type %s: ", path, want);
	cz_buf_put_quoted(&detail, got);
	add_invalid(p, CZ_CAUSE_TYPE_INVALID, path, got, detail.data);
	cz_buf_release(&detail);
}

static void add_not_supported(cz_problems *p, const char *path,
			      const char *value, const char *const *enums)
{
	cz_buf msg;

	cz_buf_init(&msg, CZ_BUF_UNLIMITED);
	cz_buf_puts(&msg, "Unsupported value: ");
	cz_buf_put_quoted(&msg, value);
	cz_buf_puts(&msg, ": supported values: ");
	for (const char *const *e = enums; *e; e++) {
		if (e != enums)
			cz_buf_puts(&msg, ", ");
		cz_buf_put_quoted(&msg, *e);
	}
	cz_problems_add(p, CZ_CAUSE_NOT_SUPPORTED, path, msg.data);
	cz_buf_release(&msg);
}

static void add_unknown(api_report *ar, const char *path)
{
	cz_buf msg;

	if (ar->mode == CZ_FIELD_VALIDATION_IGNORE)
		return;
	cz_buf_init(&msg, CZ_BUF_UNLIMITED);
	cz_buf_puts(&msg, "unknown field ");
	cz_buf_put_quoted(&msg, path);
	if (ar->mode == CZ_FIELD_VALIDATION_STRICT)
		cz_problems_add(ar->out, CZ_CAUSE_UNKNOWN_FIELD, path,
				msg.data);
	else
		add_warning(ar->out, cz_buf_detach(&msg, NULL));
	cz_buf_release(&msg);
}

static void api_report_issue(void *ctx, const cz_schema_issue *issue)
{
	api_report *ar = ctx;
	char *text = NULL;

	switch (issue->what) {
	case CZ_V_REQUIRED:
		cz_problems_add(ar->out, CZ_CAUSE_REQUIRED, issue->path,
				"Required value");
		break;
	case CZ_V_UNKNOWN:
		add_unknown(ar, issue->path);
		break;
	case CZ_V_TYPE:
		add_type_invalid(ar->out, issue->path,
				 cz_schema_type_name(issue->schema->type),
				 cz_json_type_name(issue->value));
		break;
	case CZ_V_FORMAT:
		text = json_is_string(issue->value)
			       ? cz_xstrdup(json_string_value(issue->value))
			       : cz_xasprintf("%" JSON_INTEGER_FORMAT,
					      json_integer_value(issue->value));
		add_type_invalid(ar->out, issue->path, issue->schema->format,
				 text);
		break;
	case CZ_V_ENUM:
		add_not_supported(ar->out, issue->path,
				  json_string_value(issue->value),
				  issue->schema->enums);
		break;
	}
	free(text);
}

/* Each message becomes one FieldValueInvalid at field, with value. */
typedef struct invalid_sink {
	cz_problems *out;
	const char *field;
	const char *value;
} invalid_sink;

static void emit_invalid(void *ctx, const char *msg)
{
	invalid_sink *s = ctx;

	add_invalid(s->out, CZ_CAUSE_INVALID, s->field, s->value, msg);
}

static void check_strings(cz_problems *out, const char *field,
			  const char *value,
			  void (*rule)(const char *, cz_name_msg_fn, void *))
{
	invalid_sink sink = { out, field, value };

	rule(value, emit_invalid, &sink);
}

typedef void (*name_rule_check)(const char *, cz_name_msg_fn, void *);

static name_rule_check name_rule_fn(cz_name_rule rule)
{
	static const name_rule_check rules[] = {
		[CZ_NAME_SUBDOMAIN] = cz_name_subdomain_msgs,
		[CZ_NAME_LABEL] = cz_name_label_msgs,
		[CZ_NAME_SEGMENT] = cz_name_segment_msgs,
	};

	return rules[rule];
}

/* generateName is checked as a prefix: a trailing '-' is allowed. */
static void check_generate_name(cz_problems *out, const char *prefix,
				cz_name_rule rule)
{
	invalid_sink sink = { out, "metadata.generateName", prefix };
	char *masked = cz_xstrdup(prefix);
	size_t n = strlen(masked);

	if (n && masked[n - 1] == '-')
		masked[n - 1] = 'a';
	name_rule_fn(rule)(masked, emit_invalid, &sink);
	free(masked);
}

static void check_names(const cz_resource *r, json_t *meta, cz_problems *out)
{
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *gen =
		json_string_value(json_object_get(meta, "generateName"));
	const char *ns = json_string_value(json_object_get(meta, "namespace"));

	if (gen && *gen)
		check_generate_name(out, gen, r->name_rule);
	if (!name || !*name) {
		if (!gen || !*gen)
			cz_problems_add(out, CZ_CAUSE_REQUIRED, "metadata.name",
					"Required value: name or generateName "
					"is required");
	} else {
		check_strings(out, "metadata.name", name,
			      name_rule_fn(r->name_rule));
	}
	if (r->namespaced && ns && *ns)
		check_strings(out, "metadata.namespace", ns, cz_name_label_msgs);
}

static void check_labels(json_t *meta, cz_problems *out)
{
	json_t *labels = json_object_get(meta, "labels");
	const char *key;
	json_t *value;

	json_object_foreach (labels, key, value) {
		check_strings(out, "metadata.labels", key, cz_name_qualified_msgs);
		if (json_is_string(value))
			check_strings(out, "metadata.labels",
				      json_string_value(value),
				      cz_name_label_value_msgs);
	}
}

static void check_annotations(json_t *meta, cz_problems *out)
{
	json_t *annotations = json_object_get(meta, "annotations");
	const char *key;
	json_t *value;
	size_t total = 0;

	json_object_foreach (annotations, key, value) {
		char *lower = cz_xstrdup(key);
		invalid_sink sink = { out, "metadata.annotations", key };

		for (char *c = lower; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		cz_name_qualified_msgs(lower, emit_invalid, &sink);
		free(lower);
		total += strlen(key) + strlen(json_string_value(value) ?
						      json_string_value(value) :
						      "");
	}
	if (total > ANNOTATIONS_MAX_BYTES) {
		char msg[96];

		snprintf(msg, sizeof(msg),
			 "Too long: may not be more than %d bytes",
			 ANNOTATIONS_MAX_BYTES);
		cz_problems_add(out, CZ_CAUSE_TOO_LONG, "metadata.annotations",
				msg);
	}
}

/* Maps whose keys must be config keys (Secret and ConfigMap data). */
typedef struct key_rule {
	const char *group_version;
	const char *kind;
	const char *field;
} key_rule;

static const key_rule config_key_fields[] = {
	{ "v1", "Secret", "data" },
	{ "v1", "Secret", "stringData" },
	{ "v1", "ConfigMap", "data" },
	{ "v1", "ConfigMap", "binaryData" },
};

static void check_config_keys(const cz_resource *r, json_t *obj,
			      cz_problems *out)
{
	for (size_t i = 0; i < sizeof(config_key_fields) /
				       sizeof(config_key_fields[0]);
	     i++) {
		const key_rule *k = &config_key_fields[i];
		json_t *map;
		const char *key;
		json_t *value;

		if (strcmp(k->group_version, r->group_version) != 0 ||
		    strcmp(k->kind, r->kind) != 0)
			continue;
		map = json_object_get(obj, k->field);
		json_object_foreach (map, key, value) {
			char *field = cz_xasprintf("%s[%s]", k->field, key);

			check_strings(out, field, key, cz_name_config_key_msgs);
			free(field);
		}
	}
}

int cz_api_validate(const cz_resource *r, json_t *obj, cz_field_validation mode,
		    cz_problems *out, cz_error *err)
{
	const cz_schema *schema = cz_schema_for_kind(r->group_version, r->kind);
	api_report ar = { out, mode };
	cz_schema_check check = { api_report_issue, &ar, true, true, false };
	size_t before = out->len;
	json_t *meta;

	if (!schema)
		return cz_fail(err, CZ_ENOTFOUND, "no schema for %s %s",
			       r->group_version, r->kind);
	if (!json_is_object(obj))
		return cz_fail(err, CZ_EINVALID,
			       "the object provided is not a JSON object");
	cz_schema_validate(obj, schema, &check);
	meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta)) {
		cz_problems_add(out, CZ_CAUSE_REQUIRED, "metadata.name",
				"Required value: name or generateName is "
				"required");
	} else {
		check_names(r, meta, out);
		check_labels(meta, out);
		check_annotations(meta, out);
	}
	check_config_keys(r, obj, out);
	if (out->len > before)
		return cz_fail(err, CZ_EINVALID, "%s is invalid", r->kind);
	return CZ_OK;
}

/* The Status object. */

static json_t *status_object(int code, const char *reason, const char *message)
{
	return json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind",
			 "Status", "apiVersion", "v1", "metadata", "status",
			 "Failure", "message", message, "reason", reason,
			 "code", code);
}

static json_t *strict_status(const cz_problems *p, const cz_resource *r)
{
	cz_buf msg;
	bool first = true;
	json_t *status;

	cz_buf_init(&msg, CZ_BUF_UNLIMITED);
	cz_buf_printf(&msg,
		      "%s in version \"%s\" cannot be handled as a %s: strict "
		      "decoding error: ",
		      r->kind, r->version, r->kind);
	for (size_t i = 0; i < p->len; i++) {
		if (p->items[i].cause != CZ_CAUSE_UNKNOWN_FIELD)
			continue;
		cz_buf_printf(&msg, "%s%s", first ? "" : ", ",
			      p->items[i].message);
		first = false;
	}
	status = status_object(400, "BadRequest", msg.data);
	cz_buf_release(&msg);
	return status;
}

static json_t *invalid_status(const cz_problems *p, const cz_resource *r,
			      const char *name)
{
	json_t *causes = json_array();
	json_t *details;
	json_t *status;
	cz_buf msg;

	cz_buf_init(&msg, CZ_BUF_UNLIMITED);
	cz_buf_printf(&msg, "%s%s%s \"%s\" is invalid: %s", r->kind,
		      *r->group ? "." : "", r->group, name ? name : "",
		      p->len > 1 ? "[" : "");
	for (size_t i = 0; i < p->len; i++) {
		const cz_problem *pr = &p->items[i];

		cz_buf_printf(&msg, "%s%s: %s", i ? ", " : "", pr->field,
			      pr->message);
		json_array_append_new(causes,
				      json_pack("{s:s, s:s, s:s}", "reason",
						cz_cause_reason(pr->cause),
						"message", pr->message, "field",
						pr->field));
	}
	if (p->len > 1)
		cz_buf_putc(&msg, ']');
	details = json_pack("{s:s, s:s}", "name", name ? name : "", "kind",
			    r->kind);
	if (*r->group)
		json_object_set_new(details, "group", json_string(r->group));
	json_object_set_new(details, "causes", causes);
	status = status_object(422, "Invalid", msg.data);
	json_object_set_new(status, "details", details);
	cz_buf_release(&msg);
	return status;
}

json_t *cz_problems_status(const cz_problems *p, const cz_resource *r,
			   const char *name)
{
	if (p->len == 0)
		return NULL;
	if (cz_problems_count(p, CZ_CAUSE_UNKNOWN_FIELD))
		return strict_status(p, r);
	return invalid_status(p, r, name);
}
