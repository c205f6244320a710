/*
 * Kubernetes protobuf bodies to JSON.
 *
 * The wire format is plain protobuf (proto2, as go-to-protobuf generates
 * it): each field is a varint tag (number << 3 | wire type) followed by a
 * varint, a fixed 4 or 8 bytes, or a length-prefixed run of bytes.  Kinds
 * are described by tables of fields, in the order of the Go structs, since
 * that is the order in which kube-apiserver writes the JSON.
 *
 * Decoding is two steps: fill_message() reads the bytes into a "seen"
 * object keyed by JSON name, where a repeated message field merges into
 * what was read before (protobuf semantics), then ordered() builds the
 * output in table order, adding what Go never omits and sorting map keys.
 */

#include "api/protobuf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/base64.h"
#include "util/mem.h"

/* How a field's value becomes JSON.  The names follow the Go field types
 * because those decide what encoding/json omits. */
typedef enum pb_type {
	PB_STR,       /* string ,omitempty: omitted when "" */
	PB_STR_PTR,   /* *string: kept when present, even "" */
	PB_STR_REQ,   /* string without omitempty: "" when absent */
	PB_I64,       /* int64 ,omitempty: omitted when 0 */
	PB_I64_PTR,   /* *int64 */
	PB_I32_PTR,   /* *int32 */
	PB_BOOL_PTR,  /* *bool */
	PB_TIME,      /* metav1.Time: whole seconds, omitted when zero */
	PB_MICROTIME, /* metav1.MicroTime: six fractional digits */
	PB_STR_LIST,  /* []string ,omitempty */
	PB_STR_MAP,   /* map[string]string ,omitempty */
	PB_BYTES_MAP, /* map[string][]byte: values base64 */
	PB_MSG,       /* *struct: kept when present */
	PB_STRUCT,    /* struct: {} when absent, as Go never omits one */
	PB_MSG_LIST,  /* []struct */
} pb_type;

typedef struct pb_message pb_message;

typedef struct pb_field {
	uint32_t num;
	const char *name;
	pb_type type;
	const pb_message *sub; /* for PB_MSG, PB_STRUCT and PB_MSG_LIST */
} pb_field;

struct pb_message {
	const pb_field *fields; /* in Go struct order */
	size_t n;
};

#define PB_MESSAGE(fields) { fields, sizeof(fields) / sizeof(fields[0]) }

/* Field numbers are those of k8s.io/api and k8s.io/apimachinery's
 * generated.proto files. */

static const pb_field owner_ref_fields[] = {
	{ 5, "apiVersion", PB_STR_REQ, NULL },
	{ 1, "kind", PB_STR_REQ, NULL },
	{ 3, "name", PB_STR_REQ, NULL },
	{ 4, "uid", PB_STR_REQ, NULL },
	{ 6, "controller", PB_BOOL_PTR, NULL },
	{ 7, "blockOwnerDeletion", PB_BOOL_PTR, NULL },
};
static const pb_message owner_ref_msg = PB_MESSAGE(owner_ref_fields);

/* selfLink (4) is deprecated and always empty, and managedFields (17) is
 * not sent by clients, so both are skipped like unknown fields. */
static const pb_field object_meta_fields[] = {
	{ 1, "name", PB_STR, NULL },
	{ 2, "generateName", PB_STR, NULL },
	{ 3, "namespace", PB_STR, NULL },
	{ 5, "uid", PB_STR, NULL },
	{ 6, "resourceVersion", PB_STR, NULL },
	{ 7, "generation", PB_I64, NULL },
	{ 8, "creationTimestamp", PB_TIME, NULL },
	{ 9, "deletionTimestamp", PB_TIME, NULL },
	{ 10, "deletionGracePeriodSeconds", PB_I64_PTR, NULL },
	{ 11, "labels", PB_STR_MAP, NULL },
	{ 12, "annotations", PB_STR_MAP, NULL },
	{ 13, "ownerReferences", PB_MSG_LIST, &owner_ref_msg },
	{ 14, "finalizers", PB_STR_LIST, NULL },
};
static const pb_message object_meta_msg = PB_MESSAGE(object_meta_fields);

static const pb_field ns_spec_fields[] = {
	{ 1, "finalizers", PB_STR_LIST, NULL },
};
static const pb_message ns_spec_msg = PB_MESSAGE(ns_spec_fields);

/* conditions (2) are written by the server only. */
static const pb_field ns_status_fields[] = {
	{ 1, "phase", PB_STR, NULL },
};
static const pb_message ns_status_msg = PB_MESSAGE(ns_status_fields);

static const pb_field namespace_fields[] = {
	{ 1, "metadata", PB_STRUCT, &object_meta_msg },
	{ 2, "spec", PB_STRUCT, &ns_spec_msg },
	{ 3, "status", PB_STRUCT, &ns_status_msg },
};
static const pb_message namespace_msg = PB_MESSAGE(namespace_fields);

static const pb_field configmap_fields[] = {
	{ 1, "metadata", PB_STRUCT, &object_meta_msg },
	{ 4, "immutable", PB_BOOL_PTR, NULL },
	{ 2, "data", PB_STR_MAP, NULL },
	{ 3, "binaryData", PB_BYTES_MAP, NULL },
};
static const pb_message configmap_msg = PB_MESSAGE(configmap_fields);

static const pb_field secret_fields[] = {
	{ 1, "metadata", PB_STRUCT, &object_meta_msg },
	{ 5, "immutable", PB_BOOL_PTR, NULL },
	{ 2, "data", PB_BYTES_MAP, NULL },
	{ 4, "stringData", PB_STR_MAP, NULL },
	{ 3, "type", PB_STR, NULL },
};
static const pb_message secret_msg = PB_MESSAGE(secret_fields);

static const pb_field preconditions_fields[] = {
	{ 1, "uid", PB_STR_PTR, NULL },
	{ 2, "resourceVersion", PB_STR_PTR, NULL },
};
static const pb_message preconditions_msg = PB_MESSAGE(preconditions_fields);

static const pb_field delete_options_fields[] = {
	{ 1, "gracePeriodSeconds", PB_I64_PTR, NULL },
	{ 2, "preconditions", PB_MSG, &preconditions_msg },
	{ 3, "orphanDependents", PB_BOOL_PTR, NULL },
	{ 4, "propagationPolicy", PB_STR_PTR, NULL },
	{ 5, "dryRun", PB_STR_LIST, NULL },
	{ 6, "ignoreStoreReadErrorWithClusterBreakingPotential", PB_BOOL_PTR,
	  NULL },
};
static const pb_message delete_options_msg = PB_MESSAGE(delete_options_fields);

static const pb_field lease_spec_fields[] = {
	{ 1, "holderIdentity", PB_STR_PTR, NULL },
	{ 2, "leaseDurationSeconds", PB_I32_PTR, NULL },
	{ 3, "acquireTime", PB_MICROTIME, NULL },
	{ 4, "renewTime", PB_MICROTIME, NULL },
	{ 5, "leaseTransitions", PB_I32_PTR, NULL },
	{ 6, "strategy", PB_STR_PTR, NULL },
	{ 7, "preferredHolder", PB_STR_PTR, NULL },
};
static const pb_message lease_spec_msg = PB_MESSAGE(lease_spec_fields);

static const pb_field lease_fields[] = {
	{ 1, "metadata", PB_STRUCT, &object_meta_msg },
	{ 2, "spec", PB_STRUCT, &lease_spec_msg },
};
static const pb_message lease_msg = PB_MESSAGE(lease_fields);

typedef struct pb_kind {
	const char *api_version; /* NULL: "v1" or any "<group>/v1" */
	const char *kind;
	const pb_message *msg;
} pb_kind;

/* DeleteOptions exists in every group version; client-go labels it with
 * the version of the resource being deleted. */
static const pb_kind kinds[] = {
	{ "v1", "Namespace", &namespace_msg },
	{ "v1", "ConfigMap", &configmap_msg },
	{ "v1", "Secret", &secret_msg },
	{ "coordination.k8s.io/v1", "Lease", &lease_msg },
	{ NULL, "DeleteOptions", &delete_options_msg },
};

/* Wire types. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4,
       WT_I32 = 5 };

#define PB_MAX_FIELD ((1u << 29) - 1)
/* Time range that Go's RFC 3339 output allows: years 0001 to 9999. */
#define PB_MIN_SECONDS (-62135596800LL)
#define PB_MAX_SECONDS 253402300799LL

typedef struct pb_span {
	const uint8_t *p;
	size_t n;
} pb_span;

typedef struct pb_ctx {
	cz_error *err;
	int depth;      /* messages and groups open, the envelope being 1 */
	size_t pathlen;
	char path[256]; /* dotted path of the field being read, for errors */
} pb_ctx;

static int pb_fail(pb_ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int pb_fail(pb_ctx *c, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->pathlen == 0)
		return cz_fail(c->err, code, "protobuf: %s", msg);
	return cz_fail(c->err, code, "protobuf: %s: %s", c->path, msg);
}

/* Appends ".name", or "[index]" when name is NULL, to the error path and
 * returns the old length for path_pop.  Too long a path is cut short. */
static size_t path_push(pb_ctx *c, const char *name, size_t index)
{
	size_t old = c->pathlen;
	size_t room = sizeof(c->path) - old;
	int n;

	if (name)
		n = snprintf(c->path + old, room, "%s%s", old ? "." : "", name);
	else
		n = snprintf(c->path + old, room, "[%zu]", index);
	if (n > 0)
		c->pathlen = (size_t)n < room ? old + (size_t)n : old + room - 1;
	return old;
}

static void path_pop(pb_ctx *c, size_t old)
{
	c->pathlen = old;
	c->path[old] = '\0';
}

static int enter(pb_ctx *c)
{
	if (++c->depth > CZ_PROTOBUF_MAX_DEPTH)
		return pb_fail(c, CZ_ETOOLARGE, "nesting deeper than %d",
			       CZ_PROTOBUF_MAX_DEPTH);
	return 0;
}

static int read_varint(pb_ctx *c, pb_span *s, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < 10; i++) {
		if (i == s->n)
			return pb_fail(c, CZ_EINVALID, "truncated varint");
		r |= (uint64_t)(s->p[i] & 0x7f) << (7 * i);
		if (!(s->p[i] & 0x80)) {
			s->p += i + 1;
			s->n -= i + 1;
			*v = r;
			return 0;
		}
	}
	return pb_fail(c, CZ_EINVALID, "varint longer than 10 bytes");
}

static int read_tag(pb_ctx *c, pb_span *s, uint32_t *num, unsigned *wt)
{
	uint64_t v;
	int rc = read_varint(c, s, &v);

	if (rc)
		return rc;
	if ((v >> 3) == 0 || (v >> 3) > PB_MAX_FIELD)
		return pb_fail(c, CZ_EINVALID, "invalid field number %llu",
			       (unsigned long long)(v >> 3));
	*num = (uint32_t)(v >> 3);
	*wt = (unsigned)(v & 7);
	return 0;
}

static int skip_bytes(pb_ctx *c, pb_span *s, uint64_t n)
{
	if (n > s->n)
		return pb_fail(c, CZ_EINVALID, "truncated");
	s->p += n;
	s->n -= (size_t)n;
	return 0;
}

/* Reads a length-prefixed value into *out (pointing into s). */
static int read_len(pb_ctx *c, pb_span *s, pb_span *out)
{
	uint64_t n;
	int rc = read_varint(c, s, &n);

	if (rc)
		return rc;
	out->p = s->p;
	out->n = (size_t)n;
	return skip_bytes(c, s, n);
}

static int skip_value(pb_ctx *c, pb_span *s, uint32_t num, unsigned wt);

/* Skips the rest of group num, whose start tag has been read.  Groups are
 * long deprecated, but protobuf skips them, and they are the one way an
 * unknown field can nest, hence the depth limit. */
static int skip_group(pb_ctx *c, pb_span *s, uint32_t num)
{
	uint32_t inner = 0;
	unsigned wt = 0;
	int rc = enter(c);

	while (rc == 0) {
		rc = read_tag(c, s, &inner, &wt);
		if (rc == 0 && wt == WT_EGROUP) {
			if (inner != num)
				rc = pb_fail(c, CZ_EINVALID,
					     "group %u ended as group %u", num,
					     inner);
			break;
		}
		if (rc == 0)
			rc = skip_value(c, s, inner, wt);
	}
	c->depth--;
	return rc;
}

static int skip_value(pb_ctx *c, pb_span *s, uint32_t num, unsigned wt)
{
	uint64_t v;
	pb_span b;

	switch (wt) {
	case WT_VARINT:
		return read_varint(c, s, &v);
	case WT_I64:
		return skip_bytes(c, s, 8);
	case WT_LEN:
		return read_len(c, s, &b);
	case WT_SGROUP:
		return skip_group(c, s, num);
	case WT_I32:
		return skip_bytes(c, s, 4);
	case WT_EGROUP:
		return pb_fail(c, CZ_EINVALID, "end of group %u without a start",
			       num);
	default:
		return pb_fail(c, CZ_EINVALID, "field %u has wire type %u", num,
			       wt);
	}
}

/* A JSON string from b.  NUL bytes are refused because the store's JSON
 * decoder refuses "\u0000"; jansson refuses invalid UTF-8. */
static int make_string(pb_ctx *c, pb_span b, json_t **out)
{
	*out = NULL;
	if (b.n == 0) {
		*out = json_string("");
		return 0;
	}
	if (memchr(b.p, '\0', b.n))
		return pb_fail(c, CZ_EINVALID, "string contains a NUL byte");
	*out = json_stringn((const char *)b.p, b.n);
	if (!*out)
		return pb_fail(c, CZ_EINVALID, "string is not valid UTF-8");
	return 0;
}

/* Formats a Time or MicroTime message as kube-apiserver does; *out stays
 * NULL for the zero time, an empty message, which Go writes as null. */
static int make_time(pb_ctx *c, pb_span b, bool micro, json_t **out)
{
	long long secs = 0, nanos = 0;
	uint64_t v = 0;
	uint32_t num = 0;
	unsigned wt = 0;
	struct tm tm;
	time_t t;
	char text[64];
	int rc = 0;

	*out = NULL;
	if (b.n == 0)
		return 0;
	while (rc == 0 && b.n > 0) {
		rc = read_tag(c, &b, &num, &wt);
		if (rc == 0 && (num == 1 || num == 2) && wt != WT_VARINT)
			rc = pb_fail(c, CZ_EINVALID, "wire type %u, expected 0",
				     wt);
		else if (rc == 0 && (num == 1 || num == 2))
			rc = read_varint(c, &b, &v);
		else if (rc == 0)
			rc = skip_value(c, &b, num, wt);
		if (rc == 0 && num == 1)
			secs = (long long)(int64_t)v;
		else if (rc == 0 && num == 2)
			nanos = (int32_t)(uint32_t)v;
	}
	if (rc)
		return rc;
	if (secs < PB_MIN_SECONDS || secs > PB_MAX_SECONDS)
		return pb_fail(c, CZ_EINVALID, "seconds %lld out of range", secs);
	if (nanos < 0 || nanos > 999999999)
		return pb_fail(c, CZ_EINVALID, "nanos %lld out of range", nanos);
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return pb_fail(c, CZ_EINVALID, "seconds %lld out of range", secs);
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	if (micro)
		snprintf(text + 19, sizeof(text) - 19, ".%06lldZ", nanos / 1000);
	else
		snprintf(text + 19, sizeof(text) - 19, "Z");
	*out = json_string(text);
	return 0;
}

/* The object or array under name in seen, created when absent. */
static json_t *child(json_t *seen, const char *name, bool array)
{
	json_t *v = json_object_get(seen, name);

	if (!v) {
		v = array ? json_array() : json_object();
		json_object_set_new(seen, name, v);
	}
	return v;
}

/* Reads one map entry message {key = 1, value = 2} into map. */
static int read_map_entry(pb_ctx *c, pb_span b, bool bytes, json_t *map)
{
	pb_span part[3] = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	json_t *key = NULL, *value = NULL;
	uint32_t num = 0;
	unsigned wt = 0;
	int rc = enter(c);

	while (rc == 0 && b.n > 0) {
		rc = read_tag(c, &b, &num, &wt);
		if (rc == 0 && num <= 2 && wt != WT_LEN)
			rc = pb_fail(c, CZ_EINVALID, "wire type %u, expected 2",
				     wt);
		else if (rc == 0)
			rc = num <= 2 ? read_len(c, &b, &part[num])
				      : skip_value(c, &b, num, wt);
	}
	if (rc == 0)
		rc = make_string(c, part[1], &key);
	if (rc == 0 && bytes) {
		char *text = cz_base64_encode(part[2].p, part[2].n);

		value = json_string(text);
		free(text);
	} else if (rc == 0) {
		rc = make_string(c, part[2], &value);
	}
	if (rc == 0)
		json_object_set(map, json_string_value(key), value);
	json_decref(key);
	json_decref(value);
	c->depth--;
	return rc;
}

static int fill_message(pb_ctx *c, pb_span body, const pb_message *m,
			json_t *seen);

/* Appends one element of a repeated message field to list. */
static int read_list_item(pb_ctx *c, pb_span b, const pb_field *f,
			  json_t *list)
{
	json_t *item = json_object();
	size_t old = path_push(c, NULL, json_array_size(list));
	int rc = fill_message(c, b, f->sub, item);

	path_pop(c, old);
	if (rc == 0)
		json_array_append(list, item);
	json_decref(item);
	return rc;
}

/* Reads a length-delimited value of field f into seen. */
static int read_len_field(pb_ctx *c, pb_span b, const pb_field *f,
			  json_t *seen)
{
	json_t *v = NULL;
	int rc = 0;

	switch (f->type) {
	case PB_TIME:
	case PB_MICROTIME:
		rc = make_time(c, b, f->type == PB_MICROTIME, &v);
		break;
	case PB_STR_MAP:
	case PB_BYTES_MAP:
		return read_map_entry(c, b, f->type == PB_BYTES_MAP,
				      child(seen, f->name, false));
	case PB_MSG:
	case PB_STRUCT:
		return fill_message(c, b, f->sub, child(seen, f->name, false));
	case PB_MSG_LIST:
		return read_list_item(c, b, f, child(seen, f->name, true));
	default:
		rc = make_string(c, b, &v);
		break;
	}
	if (rc == 0 && f->type == PB_STR_LIST)
		json_array_append(child(seen, f->name, true), v);
	else if (rc == 0 && v && !(f->type == PB_STR && !json_string_length(v)))
		json_object_set(seen, f->name, v);
	else if (rc == 0)
		json_object_del(seen, f->name); /* the last value wins */
	json_decref(v);
	return rc;
}

static int read_varint_field(pb_ctx *c, pb_span *s, const pb_field *f,
			     json_t *seen)
{
	uint64_t v;
	int rc = read_varint(c, s, &v);

	if (rc)
		return rc;
	if (f->type == PB_BOOL_PTR)
		json_object_set_new(seen, f->name, json_boolean(v != 0));
	else if (f->type == PB_I32_PTR)
		json_object_set_new(seen, f->name,
				    json_integer((int32_t)(uint32_t)v));
	else if (f->type == PB_I64 && v == 0)
		json_object_del(seen, f->name);
	else
		json_object_set_new(seen, f->name,
				    json_integer((json_int_t)(int64_t)v));
	return 0;
}

static unsigned wire_type_of(pb_type t)
{
	switch (t) {
	case PB_I64:
	case PB_I64_PTR:
	case PB_I32_PTR:
	case PB_BOOL_PTR:
		return WT_VARINT;
	default:
		return WT_LEN;
	}
}

static int read_field(pb_ctx *c, pb_span *s, const pb_field *f, unsigned wt,
		      json_t *seen)
{
	unsigned want = wire_type_of(f->type);
	size_t old = path_push(c, f->name, 0);
	pb_span b = { NULL, 0 };
	int rc;

	if (wt != want)
		rc = pb_fail(c, CZ_EINVALID, "wire type %u, expected %u", wt,
			     want);
	else if (want == WT_VARINT)
		rc = read_varint_field(c, s, f, seen);
	else
		rc = read_len(c, s, &b);
	if (rc == 0 && want == WT_LEN)
		rc = read_len_field(c, b, f, seen);
	path_pop(c, old);
	return rc;
}

static const pb_field *find_field(const pb_message *m, uint32_t num)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->fields[i].num == num)
			return &m->fields[i];
	return NULL;
}

/* Reads the fields of message m in body into seen, merging with what an
 * earlier occurrence of the same message left there. */
static int fill_message(pb_ctx *c, pb_span body, const pb_message *m,
			json_t *seen)
{
	const pb_field *f;
	uint32_t num = 0;
	unsigned wt = 0;
	int rc = enter(c);

	while (rc == 0 && body.n > 0) {
		rc = read_tag(c, &body, &num, &wt);
		if (rc)
			break;
		f = find_field(m, num);
		rc = f ? read_field(c, &body, f, wt, seen)
		       : skip_value(c, &body, num, wt);
	}
	c->depth--;
	return rc;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of map with its keys sorted, as encoding/json writes maps. */
static json_t *sorted_map(json_t *map)
{
	size_t n = json_object_size(map), i = 0;
	const char **keys = cz_xcalloc(n ? n : 1, sizeof(*keys));
	json_t *out = json_object();
	const char *key;
	json_t *v;

	json_object_foreach(map, key, v)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), compare_keys);
	for (i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(map, keys[i]));
	free(keys);
	return out;
}

static json_t *ordered(const pb_message *m, json_t *seen);

/* The output form of one field's seen value v (NULL when absent), or NULL
 * when the field is left out. */
static json_t *output_value(const pb_field *f, json_t *v)
{
	json_t *list;
	size_t i;

	if (f->type == PB_STRUCT || (f->type == PB_MSG && v))
		return ordered(f->sub, v);
	if (!v)
		return f->type == PB_STR_REQ ? json_string("") : NULL;
	if (f->type == PB_STR_MAP || f->type == PB_BYTES_MAP)
		return sorted_map(v);
	if (f->type != PB_MSG_LIST)
		return json_incref(v);
	list = json_array();
	for (i = 0; i < json_array_size(v); i++)
		json_array_append_new(list,
				      ordered(f->sub, json_array_get(v, i)));
	return list;
}

/* Builds message m's JSON from seen (NULL for an absent message) in table
 * order. */
static json_t *ordered(const pb_message *m, json_t *seen)
{
	json_t *out = json_object();
	json_t *v;

	for (size_t i = 0; i < m->n; i++) {
		v = output_value(&m->fields[i],
				 json_object_get(seen, m->fields[i].name));
		if (v)
			json_object_set_new(out, m->fields[i].name, v);
	}
	return out;
}

/* What the runtime.Unknown envelope holds, as spans into the body. */
typedef struct pb_envelope {
	pb_span api_version, kind, raw, encoding;
} pb_envelope;

static int read_len_into(pb_ctx *c, pb_span *s, const char *name,
			 unsigned wt, pb_span *out)
{
	size_t old = path_push(c, name, 0);
	int rc = wt == WT_LEN ? read_len(c, s, out)
			      : pb_fail(c, CZ_EINVALID,
					"wire type %u, expected 2", wt);

	path_pop(c, old);
	return rc;
}

/* TypeMeta {apiVersion = 1, kind = 2}. */
static int read_type_meta(pb_ctx *c, pb_span b, pb_envelope *env)
{
	static const char *const names[] = { NULL, "apiVersion", "kind" };
	pb_span *dest[] = { NULL, &env->api_version, &env->kind };
	uint32_t num = 0;
	unsigned wt = 0;
	int rc = enter(c);

	while (rc == 0 && b.n > 0) {
		rc = read_tag(c, &b, &num, &wt);
		if (rc == 0 && num <= 2)
			rc = read_len_into(c, &b, names[num], wt, dest[num]);
		else if (rc == 0)
			rc = skip_value(c, &b, num, wt);
	}
	c->depth--;
	return rc;
}

/* runtime.Unknown {typeMeta = 1, raw = 2, contentEncoding = 3,
 * contentType = 4}; contentType says "protobuf" again and is skipped. */
static int read_envelope(pb_ctx *c, pb_span b, pb_envelope *env)
{
	pb_span meta;
	size_t old;
	uint32_t num = 0;
	unsigned wt = 0;
	int rc = 0;

	while (rc == 0 && b.n > 0) {
		rc = read_tag(c, &b, &num, &wt);
		if (rc == 0 && num == 1) {
			rc = read_len_into(c, &b, "typeMeta", wt, &meta);
			old = path_push(c, "typeMeta", 0);
			if (rc == 0)
				rc = read_type_meta(c, meta, env);
			path_pop(c, old);
		} else if (rc == 0 && num == 2) {
			rc = read_len_into(c, &b, "raw", wt, &env->raw);
		} else if (rc == 0 && num == 3) {
			rc = read_len_into(c, &b, "contentEncoding", wt,
					   &env->encoding);
		} else if (rc == 0) {
			rc = skip_value(c, &b, num, wt);
		}
	}
	return rc;
}

static bool version_matches(const char *want, const char *have)
{
	size_t n = strlen(have);

	if (want)
		return strcmp(want, have) == 0;
	return strcmp(have, "v1") == 0 ||
	       (n > 3 && strcmp(have + n - 3, "/v1") == 0);
}

static const pb_kind *find_kind(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0 &&
		    version_matches(kinds[i].api_version, api_version))
			return &kinds[i];
	return NULL;
}

/* Reads the envelope and its TypeMeta strings; *k is the supported kind. */
static int open_envelope(pb_ctx *c, pb_span b, pb_envelope *env,
			 json_t **api, json_t **kind, const pb_kind **k)
{
	int rc = read_envelope(c, b, env);

	if (rc == 0)
		rc = make_string(c, env->api_version, api);
	if (rc == 0)
		rc = make_string(c, env->kind, kind);
	if (rc)
		return rc;
	*k = find_kind(json_string_value(*api), json_string_value(*kind));
	if (!*k)
		return cz_fail(c->err, CZ_EINVALID,
			       "protobuf is not supported for %.100s/%.100s; "
			       "send application/json",
			       json_string_value(*api),
			       json_string_value(*kind));
	if (env->encoding.n)
		return cz_fail(c->err, CZ_EINVALID,
			       "protobuf: contentEncoding %.*s is not supported",
			       (int)(env->encoding.n > 32 ? 32 : env->encoding.n),
			       (const char *)env->encoding.p);
	return 0;
}

int cz_protobuf_decode(const void *data, size_t len, size_t max_bytes,
		       json_t **out, cz_error *err)
{
	static const char magic[4] = { 'k', '8', 's', '\0' };
	pb_ctx c = { .err = err };
	pb_envelope env;
	const pb_kind *k = NULL;
	json_t *api = NULL, *kind = NULL, *seen = NULL, *body = NULL;
	json_t *obj = NULL;
	int rc;

	*out = NULL;
	memset(&env, 0, sizeof(env));
	if (len > max_bytes) {
		rc = cz_fail(err, CZ_ETOOLARGE,
			     "protobuf: body of %zu bytes is over the limit of "
			     "%zu bytes",
			     len, max_bytes);
		goto cleanup;
	}
	if (len < sizeof(magic) || memcmp(data, magic, sizeof(magic)) != 0) {
		rc = cz_fail(err, CZ_EINVALID,
			     "protobuf: body does not start with \"k8s\\0\"");
		goto cleanup;
	}
	c.depth = 1;
	rc = open_envelope(&c, (pb_span){ (const uint8_t *)data + 4, len - 4 },
			   &env, &api, &kind, &k);
	if (rc)
		goto cleanup;
	seen = json_object();
	rc = fill_message(&c, env.raw, k->msg, seen);
	if (rc)
		goto cleanup;
	obj = json_object();
	json_object_set(obj, "kind", kind);
	json_object_set(obj, "apiVersion", api);
	body = ordered(k->msg, seen);
	json_object_update(obj, body);
	*out = obj;
	obj = NULL;
cleanup:
	json_decref(api);
	json_decref(kind);
	json_decref(seen);
	json_decref(body);
	json_decref(obj);
	return rc;
}
