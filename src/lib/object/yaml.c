#include "object/yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "object/emit.h"
#include "util/arena.h"
#include "util/mem.h"
#include "util/strmap.h"

const cz_limits cz_default_limits = {
	.max_document_bytes = 4u << 20,
	.max_total_bytes = 256u << 20,
	.max_depth = 64,
	.max_nodes = 1000000,
};

#define CORE_TAG "tag:yaml.org,2002:"

/* ------------------------------------------------------------------ */
/* Plain scalar resolution (go-yaml v2 resolve(), widened as Kubernetes
 * users expect: booleans and null in any letter case). */

enum plain_kind {
	PLAIN_STRING,
	PLAIN_NULL,
	PLAIN_BOOL,
	PLAIN_INT,
	PLAIN_FLOAT,
	PLAIN_NONFINITE, /* .inf, -.inf, .nan: no JSON form */
};

typedef struct plain_value {
	enum plain_kind kind;
	bool b;
	json_int_t i;
	double d;
} plain_value;

static bool word_is(const char *lower, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(lower, word, n) == 0;
}

static void classify_word(const char *s, size_t n, plain_value *pv)
{
	char lower[6];

	if (n >= sizeof(lower))
		return;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	if (word_is(lower, n, "null")) {
		pv->kind = PLAIN_NULL;
	} else if (word_is(lower, n, "true") || word_is(lower, n, "yes") ||
		   word_is(lower, n, "on") || word_is(lower, n, "y")) {
		pv->kind = PLAIN_BOOL;
		pv->b = true;
	} else if (word_is(lower, n, "false") || word_is(lower, n, "no") ||
		   word_is(lower, n, "off") || word_is(lower, n, "n")) {
		pv->kind = PLAIN_BOOL;
		pv->b = false;
	}
}

static bool text_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* Only the three casings go-yaml knows; ".InF" stays a string there too. */
static bool classify_nonfinite(const char *s, size_t n, plain_value *pv)
{
	const char *body = s;
	size_t len = n;

	if (text_is(s, n, ".nan") || text_is(s, n, ".NaN") ||
	    text_is(s, n, ".NAN")) {
		pv->kind = PLAIN_NONFINITE;
		pv->d = NAN;
		return true;
	}
	if (n && (s[0] == '+' || s[0] == '-')) {
		body++;
		len--;
	}
	if (text_is(body, len, ".inf") || text_is(body, len, ".Inf") ||
	    text_is(body, len, ".INF")) {
		pv->kind = PLAIN_NONFINITE;
		pv->d = s[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	return false;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static unsigned int_base(const char *s, size_t n, size_t *i)
{
	char c;

	if (n - *i < 2 || s[*i] != '0')
		return 10;
	c = (char)(s[*i + 1] | 0x20);
	*i += c == 'x' || c == 'o' || c == 'b' ? 2 : 1;
	return c == 'x' ? 16 : c == 'b' ? 2 : 8;
}

/* Go's strconv.ParseInt(s, 0, 64): optional sign, then 0x / 0o / 0b or a
 * bare leading 0 (octal) selects the base. */
static bool parse_int(const char *s, size_t n, json_int_t *out)
{
	size_t i = 0;
	bool neg = false;
	unsigned base;
	uint64_t v = 0;

	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i++;
	}
	base = int_base(s, n, &i);
	if (i == n)
		return false;
	for (; i < n; i++) {
		unsigned d = (unsigned)digit_value(s[i]);

		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return false;
	*out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
	return true;
}

static size_t skip_digits(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool float_syntax(const char *s, size_t n)
{
	size_t i = 0;
	size_t j;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		j = skip_digits(s, n, i + 1);
		if (j == i + 1)
			return false;
	} else {
		j = skip_digits(s, n, i);
		if (j == i)
			return false;
		if (j < n && s[j] == '.')
			j = skip_digits(s, n, j + 1);
	}
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		size_t k = j + 1;

		if (k < n && (s[k] == '+' || s[k] == '-'))
			k++;
		j = skip_digits(s, n, k);
		if (j == k)
			return false;
	}
	return j == n;
}

/* s is NUL-terminated.  Like Go's ParseFloat, an overflow to infinity is
 * not a float (the text stays a string). */
static void classify_float(const char *s, size_t n, plain_value *pv)
{
	double d;

	if (!float_syntax(s, n))
		return;
	d = strtod(s, NULL);
	if (isinf(d))
		return;
	pv->kind = PLAIN_FLOAT;
	pv->d = d;
}

static void classify_number(const char *s, size_t n, plain_value *pv)
{
	char small[64];
	char *buf = n < sizeof(small) ? small : cz_xmalloc(n + 1);
	size_t len = 0;

	/* go-yaml drops every underscore before trying int and float. */
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			buf[len++] = s[i];
	buf[len] = '\0';
	if (parse_int(buf, len, &pv->i))
		pv->kind = PLAIN_INT;
	else
		classify_float(buf, len, pv);
	if (buf != small)
		free(buf);
}

/* A leading '.' goes straight to ParseFloat in go-yaml, underscores and
 * all, so ".5_0" stays a string. */
static void classify_dot(const char *s, size_t n, plain_value *pv)
{
	char small[64];
	char *buf;

	if (!float_syntax(s, n))
		return;
	buf = n < sizeof(small) ? small : cz_xmalloc(n + 1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	classify_float(buf, n, pv);
	if (buf != small)
		free(buf);
}

static void classify_plain(const char *s, size_t n, plain_value *pv)
{
	pv->kind = PLAIN_STRING;
	if (n == 0) {
		pv->kind = PLAIN_NULL;
		return;
	}
	switch (s[0]) {
	case '~':
		if (n == 1)
			pv->kind = PLAIN_NULL;
		return;
	case 'y': case 'Y': case 'n': case 'N': case 't': case 'T':
	case 'f': case 'F': case 'o': case 'O':
		classify_word(s, n, pv);
		return;
	case '.':
		if (!classify_nonfinite(s, n, pv))
			classify_dot(s, n, pv);
		return;
	case '+': case '-':
		if (classify_nonfinite(s, n, pv))
			return;
		classify_number(s, n, pv);
		return;
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		classify_number(s, n, pv);
		return;
	default:
		return;
	}
}

/* A new reference, or NULL when a string is not valid UTF-8. */
static json_t *plain_to_json(const plain_value *pv, const char *s, size_t n)
{
	switch (pv->kind) {
	case PLAIN_NULL:
		return json_null();
	case PLAIN_BOOL:
		return json_boolean(pv->b);
	case PLAIN_INT:
		return json_integer(pv->i);
	case PLAIN_FLOAT:
		return json_real(pv->d);
	default:
		return json_stringn(s, n);
	}
}

json_t *cz_yaml_resolve_plain(const char *text, size_t len, cz_error *err)
{
	plain_value pv;
	json_t *v;

	classify_plain(text, len, &pv);
	if (pv.kind == PLAIN_NONFINITE) {
		cz_fail(err, CZ_EINVALID, "cannot represent %.*s in JSON",
			(int)len, text);
		return NULL;
	}
	v = plain_to_json(&pv, text, len);
	if (!v)
		cz_fail(err, CZ_EINVALID, "string is not valid UTF-8");
	return v;
}

bool cz_yaml_plain_is_string(const char *text, size_t len)
{
	plain_value pv;

	classify_plain(text, len, &pv);
	return pv.kind == PLAIN_STRING;
}

/* ------------------------------------------------------------------ */
/* Building documents from libyaml events. */

typedef struct mark {
	unsigned line;
	unsigned col;
} mark;

typedef struct anchor_rec {
	json_t *value; /* reference held by the anchor table */
	size_t size;   /* nodes of value once every alias in it is expanded */
} anchor_rec;

typedef struct frame {
	json_t *node; /* the container being filled; owned */
	char *anchor; /* registered when the container ends; owned */
	size_t size;  /* expanded nodes so far, this container included */
	mark start;
	/* Mappings only. */
	char *key; /* key waiting for its value, NULL when a key is due */
	mark key_at;
	bool key_is_merge;
	json_t *merged; /* keys that came from "<<", which explicit keys may
			   still override; owned, created on first merge */
} frame;

typedef struct doclist {
	cz_doc *docs;
	size_t n;
	size_t cap;
} doclist;

typedef struct ystate {
	yaml_parser_t yp;
	const char *data;
	size_t len;
	const char *filename;
	const cz_limits *lim;
	cz_linemap *lines;
	cz_error *err;
	frame *stack;
	size_t depth;
	size_t stack_cap;
	cz_strmap anchors;    /* name -> anchor_rec*, one document's worth */
	cz_arena anchor_mem;  /* names and records of `anchors` */
	size_t nodes;         /* expanded nodes of the current document */
	size_t doc_start;     /* mark.index where the document starts */
	unsigned doc_line;
	size_t read_pos;      /* bytes handed to libyaml so far */
	size_t horizon;       /* libyaml gets no bytes past this offset */
	bool hit_horizon;
	json_t *root;         /* owned; the finished root of the document */
	doclist out;
} ystate;

static mark to_mark(yaml_mark_t m)
{
	mark at = { (unsigned)m.line + 1, (unsigned)m.column + 1 };

	return at;
}

static int fail_at(ystate *st, mark at, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(ystate *st, mark at, int code, const char *fmt, ...)
{
	char msg[CZ_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cz_fail(st->err, code, "%s:%u:%u: %s", st->filename, at.line,
		       at.col, msg);
}

static void doclist_push(doclist *l, json_t *root, unsigned line)
{
	CZ_GROW(l->docs, l->n + 1, l->cap);
	if (root && json_is_null(root)) {
		json_decref(root);
		root = NULL;
	}
	l->docs[l->n].root = root;
	l->docs[l->n].line = line;
	l->n++;
}

static void reset_anchors(ystate *st)
{
	const char *name;
	void *rec;

	for (size_t i = 0; cz_strmap_next(&st->anchors, &i, &name, &rec);)
		json_decref(((anchor_rec *)rec)->value);
	cz_strmap_release(&st->anchors);
	cz_arena_release(&st->anchor_mem);
}

static void register_anchor(ystate *st, const char *name, json_t *value,
			    size_t size)
{
	anchor_rec *rec = cz_strmap_get(&st->anchors, name);

	if (rec) {
		json_decref(rec->value);
	} else {
		rec = cz_arena_alloc(&st->anchor_mem, sizeof(*rec));
		cz_strmap_put(&st->anchors,
			      cz_arena_strdup(&st->anchor_mem, name), rec);
	}
	rec->value = json_incref(value);
	rec->size = size;
}

static int count_nodes(ystate *st, size_t n, mark at, bool alias)
{
	size_t max = st->lim->max_nodes;

	if (n <= max && st->nodes <= max - n) {
		st->nodes += n;
		return CZ_OK;
	}
	if (alias)
		return fail_at(st, at, CZ_ETOOLARGE,
			       "document expands to more than %zu nodes "
			       "(alias expansion)", max);
	return fail_at(st, at, CZ_ETOOLARGE,
		       "document has more than %zu nodes", max);
}

static bool in_key_position(const ystate *st)
{
	const frame *f;

	if (!st->depth)
		return false;
	f = &st->stack[st->depth - 1];
	return json_is_object(f->node) && !f->key;
}

/* ---- scalars ---- */

/* .inf and .nan cannot be JSON values, but as map keys Kubernetes turns
 * them into the strings ".inf", "-.inf" and ".nan".  *out receives a new
 * reference. */
static int nonfinite(ystate *st, const plain_value *pv, const char *text,
		     size_t len, bool as_key, mark at, json_t **out)
{
	if (!as_key)
		return fail_at(st, at, CZ_EINVALID,
			       "cannot represent %.*s in JSON", (int)len, text);
	*out = json_string(isnan(pv->d) ? ".nan" : pv->d < 0 ? "-.inf" : ".inf");
	return CZ_OK;
}

/* *out receives a new reference. */
static int resolve_untagged(ystate *st, const char *text, size_t len,
			    bool as_key, mark at, json_t **out)
{
	plain_value pv;

	classify_plain(text, len, &pv);
	if (pv.kind == PLAIN_NONFINITE)
		return nonfinite(st, &pv, text, len, as_key, at, out);
	*out = plain_to_json(&pv, text, len);
	return CZ_OK;
}

static bool tag_accepts(const char *tag, enum plain_kind kind)
{
	if (!strcmp(tag, "int"))
		return kind == PLAIN_INT;
	if (!strcmp(tag, "float"))
		return kind == PLAIN_INT || kind == PLAIN_FLOAT ||
		       kind == PLAIN_NONFINITE;
	if (!strcmp(tag, "bool"))
		return kind == PLAIN_BOOL;
	return kind == PLAIN_NULL;
}

/* !!int, !!float, !!bool, !!null: the text must resolve to that type.
 * *out receives a new reference. */
static int resolve_tagged(ystate *st, const char *tag, const char *text,
			  size_t len, bool as_key, mark at, json_t **out)
{
	plain_value pv;

	classify_plain(text, len, &pv);
	if (!tag_accepts(tag, pv.kind))
		return fail_at(st, at, CZ_EINVALID,
			       "cannot decode \"%.*s\" as !!%s",
			       len > 64 ? 64 : (int)len, text, tag);
	if (pv.kind == PLAIN_NONFINITE)
		return nonfinite(st, &pv, text, len, as_key, at, out);
	if (pv.kind == PLAIN_INT && !strcmp(tag, "float")) {
		pv.kind = PLAIN_FLOAT;
		pv.d = (double)pv.i;
	}
	*out = plain_to_json(&pv, text, len);
	return CZ_OK;
}

/* The JSON value of a scalar event; *out receives a new reference. */
static int scalar_value(ystate *st, const yaml_event_t *ev, bool as_key,
			json_t **out)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	mark at = to_mark(ev->start_mark);
	int rc = CZ_OK;

	*out = NULL;
	if (tag && strncmp(tag, CORE_TAG, strlen(CORE_TAG)) == 0) {
		const char *name = tag + strlen(CORE_TAG);

		if (!strcmp(name, "int") || !strcmp(name, "float") ||
		    !strcmp(name, "bool") || !strcmp(name, "null"))
			return resolve_tagged(st, name, text, len, as_key, at,
					      out);
		if (!strcmp(name, "str") || !strcmp(name, "binary") ||
		    !strcmp(name, "timestamp"))
			plain = false;
	} else if (tag && !strcmp(tag, "!")) {
		/* The non-specific tag: YAML says a "!"-tagged scalar is a
		 * string, and go-yaml agrees. */
		plain = false;
	}
	if (plain)
		rc = resolve_untagged(st, text, len, as_key, at, out);
	else
		*out = json_stringn(text, len);
	if (rc == CZ_OK && !*out)
		rc = fail_at(st, at, CZ_EINVALID, "string is not valid UTF-8");
	return rc;
}

static bool is_merge_key(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;

	if (ev->data.scalar.length != 2 ||
	    memcmp(ev->data.scalar.value, "<<", 2) != 0)
		return false;
	if (tag)
		return !strcmp(tag, CORE_TAG "merge");
	return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* ---- mappings ---- */

/* The string form of a scalar key, as sigs.k8s.io/yaml writes it; *out is
 * malloc'ed and owned by the caller. */
static int key_text(ystate *st, const json_t *v, mark at, char **out)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (memchr(json_string_value(v), '\0', json_string_length(v)))
			return fail_at(st, at, CZ_EINVALID,
				       "map key contains a NUL character");
		*out = cz_xstrdup(json_string_value(v));
		return CZ_OK;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		break;
	case JSON_REAL:
		cz_format_double_g(json_real_value(v), num, sizeof(num));
		break;
	case JSON_TRUE:
		snprintf(num, sizeof(num), "true");
		break;
	case JSON_FALSE:
		snprintf(num, sizeof(num), "false");
		break;
	case JSON_NULL:
		snprintf(num, sizeof(num), "null");
		break;
	default:
		return fail_at(st, at, CZ_EINVALID, "invalid map key");
	}
	*out = cz_xstrdup(num);
	return CZ_OK;
}

static bool was_merged(const frame *f, const char *key)
{
	return f->merged && json_object_get(f->merged, key);
}

/* Consumes v. */
static int take_key(ystate *st, frame *f, json_t *v, mark at, bool merge)
{
	char *key = NULL;
	int rc = CZ_OK;

	if (merge) {
		key = cz_xstrdup("<<");
	} else {
		rc = key_text(st, v, at, &key);
		if (rc < 0)
			goto cleanup;
		/* A key that only came from a merge may be set explicitly
		 * once; that is the point of merging. */
		if (json_object_get(f->node, key) && !was_merged(f, key)) {
			rc = fail_at(st, at, CZ_EINVALID,
				     "duplicate key \"%.200s\"", key);
			goto cleanup;
		}
	}
	f->key = key;
	f->key_at = at;
	f->key_is_merge = merge;
	key = NULL;
cleanup:
	free(key);
	json_decref(v);
	return rc;
}

static void record_key(ystate *st, const json_t *obj, const char *key,
		       mark at)
{
	if (st->lines)
		cz_linemap_set_key(st->lines, obj, key, at.line, at.col);
}

/* Adds the keys of src that f does not have yet: keys set explicitly win
 * whatever their order, and earlier merge sources win over later ones. */
static void merge_one(ystate *st, frame *f, json_t *src)
{
	const char *k;
	json_t *v;

	if (!f->merged)
		f->merged = json_object();
	json_object_foreach(src, k, v) {
		mark at = f->key_at;

		if (json_object_get(f->node, k))
			continue;
		json_object_set(f->node, k, v);
		json_object_set_new(f->merged, k, json_null());
		if (st->lines && !cz_linemap_key_pos(st->lines, src, k,
						     &at.line, &at.col))
			at = f->key_at;
		record_key(st, f->node, k, at);
	}
}

static int merge_into(ystate *st, frame *f, json_t *src)
{
	size_t i;
	json_t *item;

	if (json_is_object(src)) {
		merge_one(st, f, src);
		return CZ_OK;
	}
	if (!json_is_array(src))
		goto bad;
	json_array_foreach(src, i, item) {
		if (!json_is_object(item))
			goto bad;
	}
	json_array_foreach(src, i, item)
		merge_one(st, f, item);
	return CZ_OK;
bad:
	return fail_at(st, f->key_at, CZ_EINVALID,
		       "map merge requires a mapping or a sequence of mappings");
}

/* Consumes v. */
static int put_value(ystate *st, frame *f, json_t *v)
{
	int rc = CZ_OK;

	if (f->key_is_merge) {
		rc = merge_into(st, f, v);
		json_decref(v);
	} else if (json_object_set_new(f->node, f->key, v) < 0) {
		rc = fail_at(st, f->key_at, CZ_EINVALID, "invalid map key");
	} else {
		if (f->merged)
			json_object_del(f->merged, f->key);
		record_key(st, f->node, f->key, f->key_at);
	}
	free(f->key);
	f->key = NULL;
	f->key_is_merge = false;
	return rc;
}

/* Hands a finished node (consumed) of `size` expanded nodes to its parent,
 * or makes it the document root. */
static int add_node(ystate *st, json_t *v, size_t size, mark at, bool merge)
{
	frame *f;

	if (!st->depth) {
		st->root = v;
		return CZ_OK;
	}
	f = &st->stack[st->depth - 1];
	f->size += size;
	if (json_is_array(f->node)) {
		size_t index = json_array_size(f->node);

		json_array_append_new(f->node, v);
		if (st->lines)
			cz_linemap_set_index(st->lines, f->node, index,
					     at.line, at.col);
		return CZ_OK;
	}
	if (!f->key)
		return take_key(st, f, v, at, merge);
	return put_value(st, f, v);
}

/* ---- events ---- */

static int on_scalar(ystate *st, const yaml_event_t *ev)
{
	mark at = to_mark(ev->start_mark);
	bool as_key = in_key_position(st);
	json_t *v = NULL;
	int rc;

	rc = count_nodes(st, 1, at, false);
	if (rc == CZ_OK)
		rc = scalar_value(st, ev, as_key, &v);
	if (rc < 0)
		return rc;
	if (ev->data.scalar.anchor)
		register_anchor(st, (const char *)ev->data.scalar.anchor, v, 1);
	return add_node(st, v, 1, at, as_key && is_merge_key(ev));
}

static int on_alias(ystate *st, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	mark at = to_mark(ev->start_mark);
	anchor_rec *rec = cz_strmap_get(&st->anchors, name);
	int rc;

	/* Anchors are registered only once their node is complete, so an
	 * alias inside its own anchor's node ends up here too. */
	if (!rec)
		return fail_at(st, at, CZ_EINVALID, "unknown anchor \"%.200s\"",
			       name);
	rc = count_nodes(st, rec->size, at, true);
	if (rc < 0)
		return rc;
	return add_node(st, json_incref(rec->value), rec->size, at, false);
}

static int on_start(ystate *st, const yaml_event_t *ev, bool is_map)
{
	const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor
					   : ev->data.sequence_start.anchor;
	mark at = to_mark(ev->start_mark);
	frame *f;
	int rc;

	if (in_key_position(st))
		return fail_at(st, at, CZ_EINVALID, "invalid map key");
	if (st->depth >= st->lim->max_depth)
		return fail_at(st, at, CZ_ETOOLARGE,
			       "nesting deeper than %u levels",
			       st->lim->max_depth);
	rc = count_nodes(st, 1, at, false);
	if (rc < 0)
		return rc;
	CZ_GROW(st->stack, st->depth + 1, st->stack_cap);
	f = &st->stack[st->depth++];
	memset(f, 0, sizeof(*f));
	f->node = is_map ? json_object() : json_array();
	f->anchor = anchor ? cz_xstrdup((const char *)anchor) : NULL;
	f->size = 1;
	f->start = at;
	return CZ_OK;
}

static int on_end(ystate *st)
{
	frame f = st->stack[--st->depth];

	json_decref(f.merged);
	free(f.key);
	if (f.anchor) {
		register_anchor(st, f.anchor, f.node, f.size);
		free(f.anchor);
	}
	return add_node(st, f.node, f.size, f.start, false);
}

static void on_document_end(ystate *st)
{
	doclist_push(&st->out, st->root, st->doc_line);
	st->root = NULL;
	reset_anchors(st);
}

/*
 * The event check below cannot see inside one huge token: libyaml reads a
 * whole scalar before it reports it.  So libyaml is also fed only up to a
 * horizon past the current document's start.  The document starts at or
 * before read_pos, and max characters take at most 4 * max bytes, so a
 * document within the limit (plus libyaml's read-ahead and a fair amount
 * of trailing comments) always fits under the horizon.
 */
#define READ_SLACK (256u * 1024)

static void move_horizon(ystate *st)
{
	size_t max = st->lim->max_document_bytes;
	size_t room = max > (SIZE_MAX - READ_SLACK) / 4 ? SIZE_MAX
						   : 4 * max + READ_SLACK;

	st->horizon = st->read_pos > SIZE_MAX - room ? SIZE_MAX
						      : st->read_pos + room;
}

static int read_input(void *ctx, unsigned char *buffer, size_t size,
		      size_t *size_read)
{
	ystate *st = ctx;
	size_t end = st->len < st->horizon ? st->len : st->horizon;
	size_t n;

	if (st->read_pos >= end && st->read_pos < st->len) {
		st->hit_horizon = true;
		return 0;
	}
	n = end - st->read_pos < size ? end - st->read_pos : size;
	memcpy(buffer, st->data + st->read_pos, n);
	st->read_pos += n;
	*size_read = n;
	return 1;
}

/* Refuses an oversized document while it streams by, long before it
 * would be built whole.  Marks count characters. */
static int check_document_size(ystate *st, const yaml_event_t *ev)
{
	size_t max = st->lim->max_document_bytes;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
		return CZ_OK;
	case YAML_DOCUMENT_START_EVENT:
		st->doc_start = ev->start_mark.index;
		st->doc_line = (unsigned)ev->start_mark.line + 1;
		st->nodes = 0;
		move_horizon(st);
		break;
	default:
		break;
	}
	if (ev->end_mark.index - st->doc_start <= max)
		return CZ_OK;
	return fail_at(st, to_mark(ev->start_mark), CZ_ETOOLARGE,
		       "document larger than %zu bytes (it starts at line %u)",
		       max, st->doc_line);
}

static int on_event(ystate *st, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(st, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(st, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(st, ev, false);
	case YAML_MAPPING_START_EVENT:
		return on_start(st, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(st);
	case YAML_DOCUMENT_END_EVENT:
		on_document_end(st);
		return CZ_OK;
	default:
		return CZ_OK;
	}
}

/* libyaml reports reader errors as a byte offset only. */
static mark offset_mark(const char *data, size_t len, size_t offset)
{
	mark at = { 1, 1 };
	size_t line_start = 0;

	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		if (data[i] == '\n') {
			at.line++;
			line_start = i + 1;
		}
	}
	at.col = (unsigned)(offset - line_start + 1);
	return at;
}

static int libyaml_error(ystate *st)
{
	const yaml_parser_t *yp = &st->yp;
	const char *problem = yp->problem ? yp->problem : "invalid YAML";

	if (st->hit_horizon)
		return fail_at(st, offset_mark(st->data, st->len, st->horizon),
			       CZ_ETOOLARGE, "document larger than %zu bytes",
			       st->lim->max_document_bytes);
	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		return cz_fail(st->err, CZ_ERR, "%s: out of memory",
			       st->filename);
	case YAML_READER_ERROR:
		if (yp->problem_value != -1)
			return fail_at(st, offset_mark(st->data, st->len,
						       yp->problem_offset),
				       CZ_EINVALID, "%s (#%X)", problem,
				       (unsigned)yp->problem_value);
		return fail_at(st, offset_mark(st->data, st->len,
					       yp->problem_offset),
			       CZ_EINVALID, "%s", problem);
	default:
		if (yp->context)
			return fail_at(st, to_mark(yp->problem_mark),
				       CZ_EINVALID, "%s (%s at line %u column %u)",
				       problem, yp->context,
				       (unsigned)yp->context_mark.line + 1,
				       (unsigned)yp->context_mark.column + 1);
		return fail_at(st, to_mark(yp->problem_mark), CZ_EINVALID,
			       "%s", problem);
	}
}

static void ystate_release(ystate *st)
{
	while (st->depth) {
		frame *f = &st->stack[--st->depth];

		json_decref(f->node);
		json_decref(f->merged);
		free(f->anchor);
		free(f->key);
	}
	free(st->stack);
	json_decref(st->root);
	reset_anchors(st);
	yaml_parser_delete(&st->yp);
}

static int parse_yaml(ystate *st)
{
	yaml_event_t ev;
	bool done = false;
	int rc = CZ_OK;

	if (!yaml_parser_initialize(&st->yp))
		return cz_fail(st->err, CZ_ERR, "%s: out of memory",
			       st->filename);
	move_horizon(st);
	yaml_parser_set_input(&st->yp, read_input, st);
	while (!done && rc == CZ_OK) {
		if (!yaml_parser_parse(&st->yp, &ev)) {
			rc = libyaml_error(st);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = check_document_size(st, &ev);
		if (rc == CZ_OK)
			rc = on_event(st, &ev);
		yaml_event_delete(&ev);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* JSON input. */

#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK)

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_json_space(const char *data, size_t len, size_t pos)
{
	while (pos < len && is_json_space(data[pos]))
		pos++;
	return pos;
}

static bool looks_like_json(const char *data, size_t len)
{
	size_t pos = skip_json_space(data, len, 0);

	return pos < len && (data[pos] == '{' || data[pos] == '[');
}

/* 0 when v fits the limits, else the CZ_ETOOLARGE message in msg. */
static int measure(const json_t *v, unsigned depth, const cz_limits *lim,
		   size_t *nodes, char *msg, size_t n)
{
	const char *key;
	json_t *child;
	size_t i;

	if (++*nodes > lim->max_nodes) {
		snprintf(msg, n, "document has more than %zu nodes",
			 lim->max_nodes);
		return CZ_ETOOLARGE;
	}
	if (!json_is_object(v) && !json_is_array(v))
		return CZ_OK;
	if (depth + 1 > lim->max_depth) {
		snprintf(msg, n, "nesting deeper than %u levels",
			 lim->max_depth);
		return CZ_ETOOLARGE;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
			if (measure(child, depth + 1, lim, nodes, msg, n) < 0)
				return CZ_ETOOLARGE;
	} else {
		json_array_foreach(v, i, child)
			if (measure(child, depth + 1, lim, nodes, msg, n) < 0)
				return CZ_ETOOLARGE;
	}
	return CZ_OK;
}

typedef struct json_pos {
	size_t scanned; /* bytes before this are counted in line/line_start */
	unsigned line;
	size_t line_start;
} json_pos;

static mark json_mark(const char *data, json_pos *jp, size_t pos)
{
	mark at;

	for (; jp->scanned < pos; jp->scanned++) {
		if (data[jp->scanned] == '\n') {
			jp->line++;
			jp->line_start = jp->scanned + 1;
		}
	}
	at.line = jp->line;
	at.col = (unsigned)(pos - jp->line_start + 1);
	return at;
}

/* jansson's position is relative to where this value's decoding began. */
static int json_syntax_error(ystate *st, mark start, const json_error_t *je)
{
	mark at = start;

	if (je->line >= 1) {
		at.line = start.line + (unsigned)je->line - 1;
		at.col = je->line == 1 ? start.col + (unsigned)je->column - 1
				       : (unsigned)je->column;
	}
	return fail_at(st, at, CZ_EINVALID, "%s", je->text);
}

/* One value at data[pos]; *used gets the bytes it took. */
static int parse_json_value(ystate *st, size_t pos, mark at, size_t *used)
{
	size_t avail = st->len - pos;
	size_t max = st->lim->max_document_bytes;
	/* Decoding at most max bytes bounds the work for a huge document:
	 * it then fails near the cut, which is how it is recognised. */
	size_t chunk = avail < max ? avail : max;
	json_error_t je;
	json_t *v = json_loadb(st->data + pos, chunk, JSON_FLAGS, &je);
	size_t nodes = 0;
	char msg[256];
	int rc = CZ_OK;

	if (!v && chunk < avail && (size_t)je.position + 8 >= chunk) {
		rc = fail_at(st, at, CZ_ETOOLARGE,
			     "document larger than %zu bytes", max);
		goto cleanup;
	}
	if (!v) {
		rc = json_syntax_error(st, at, &je);
		goto cleanup;
	}
	if (measure(v, 0, st->lim, &nodes, msg, sizeof(msg)) < 0) {
		rc = fail_at(st, at, CZ_ETOOLARGE, "%s", msg);
		goto cleanup;
	}
	doclist_push(&st->out, v, at.line);
	v = NULL;
	*used = (size_t)je.position;
cleanup:
	json_decref(v);
	return rc;
}

static int parse_json(ystate *st)
{
	json_pos jp = { 0, 1, 0 };
	size_t pos = 0;

	for (;;) {
		size_t used = 0;
		int rc;

		pos = skip_json_space(st->data, st->len, pos);
		if (pos >= st->len)
			return CZ_OK;
		rc = parse_json_value(st, pos, json_mark(st->data, &jp, pos),
				      &used);
		if (rc < 0)
			return rc;
		pos += used ? used : 1;
	}
}

/* ------------------------------------------------------------------ */

void cz_docs_free(cz_doc *docs, size_t n)
{
	for (size_t i = 0; docs && i < n; i++)
		json_decref(docs[i].root);
	free(docs);
}

int cz_parse_stream(const char *data, size_t len, const char *filename,
		    const cz_limits *lim, cz_doc **docs_out, size_t *ndocs_out,
		    cz_linemap *lines, cz_error *err)
{
	ystate st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.data = data ? data : "";
	st.len = data ? len : 0;
	st.filename = filename ? filename : "<input>";
	st.lim = lim ? lim : &cz_default_limits;
	st.lines = lines;
	st.err = err;
	*docs_out = NULL;
	*ndocs_out = 0;

	if (looks_like_json(st.data, st.len)) {
		rc = parse_json(&st);
	} else {
		bool was_batch = lines && cz_linemap_batch(lines, true);

		rc = parse_yaml(&st);
		ystate_release(&st);
		if (lines)
			cz_linemap_batch(lines, was_batch);
	}
	if (rc < 0)
		goto cleanup;
	*docs_out = st.out.docs;
	*ndocs_out = st.out.n;
	st.out.docs = NULL;
	st.out.n = 0;
cleanup:
	cz_docs_free(st.out.docs, st.out.n);
	return rc;
}
