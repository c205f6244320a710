#include "api/jsonpath.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/jsontree.h"
#include "util/buf.h"
#include "util/mem.h"

/* Expressions longer than this are refused; printer columns are short. */
#define MAX_EXPR 4096

typedef enum step_kind {
	STEP_FIELD,
	STEP_WILDCARD,
	STEP_INDEX,
	STEP_SLICE,
	STEP_FILTER,
} step_kind;

typedef enum filter_op {
	F_EXISTS,
	F_EQ,
	F_NE,
	F_LT,
	F_GT,
	F_LE,
	F_GE,
} filter_op;

typedef struct step step;

typedef struct steps {
	step *items;
	size_t n;
	size_t cap;
} steps;

typedef struct filter {
	steps path; /* relative to @ */
	filter_op op;
	json_t *literal; /* owned; NULL for F_EXISTS */
} filter;

struct step {
	step_kind kind;
	char *name;        /* STEP_FIELD */
	long long index;   /* STEP_INDEX */
	long long start;   /* STEP_SLICE */
	long long end;
	bool has_start;
	bool has_end;
	filter *filter;    /* STEP_FILTER */
};

struct cz_jsonpath {
	steps steps;
};

typedef struct parser {
	const char *s;
	size_t pos;
	size_t len;
	cz_error *err;
} parser;

static void steps_release(steps *st);

static void filter_free(filter *f)
{
	if (!f)
		return;
	steps_release(&f->path);
	json_decref(f->literal);
	free(f);
}

static void steps_release(steps *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->items[i].name);
		filter_free(st->items[i].filter);
	}
	free(st->items);
	st->items = NULL;
	st->n = 0;
	st->cap = 0;
}

static step *add_step(steps *st, step_kind kind)
{
	step *s;

	CZ_GROW(st->items, st->n + 1, st->cap);
	s = &st->items[st->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	return s;
}

static int syntax(parser *p, const char *what)
{
	return cz_fail(p->err, CZ_EINVALID,
		       "invalid JSONPath at offset %zu: %s", p->pos, what);
}

static char peekc(const parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : '\0';
}

static void skip_spaces(parser *p)
{
	while (peekc(p) == ' ' || peekc(p) == '\t')
		p->pos++;
}

static bool eat(parser *p, char c)
{
	skip_spaces(p);
	if (peekc(p) != c)
		return false;
	p->pos++;
	return true;
}

/* A name after "." up to ".", "[", a space, a filter's operator or the
 * end; "\." is a literal dot. */
static int parse_dot_name(parser *p, steps *st, bool in_filter)
{
	cz_buf name;
	int rc = CZ_OK;

	cz_buf_init(&name, MAX_EXPR);
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c == '\\' && p->pos + 1 < p->len &&
		    p->s[p->pos + 1] == '.') {
			cz_buf_putc(&name, '.');
			p->pos += 2;
			continue;
		}
		if (c == '.' || c == '[' || c == ' ' || c == '\t' ||
		    (in_filter && strchr("=!<>)", c)))
			break;
		cz_buf_putc(&name, c);
		p->pos++;
	}
	if (name.len == 0)
		rc = syntax(p, peekc(p) == '.' ? "recursive descent (\"..\") "
						  "is not supported"
					       : "expected a field name");
	else if (strcmp(name.data, "*") == 0)
		add_step(st, STEP_WILDCARD);
	else
		add_step(st, STEP_FIELD)->name = cz_buf_detach(&name, NULL);
	cz_buf_release(&name);
	return rc;
}

/* A quoted string; the quote is at the current position. */
static int parse_quoted(parser *p, char **out)
{
	char q = p->s[p->pos++];
	cz_buf text;

	cz_buf_init(&text, MAX_EXPR);
	while (p->pos < p->len && p->s[p->pos] != q) {
		if (p->s[p->pos] == '\\' && p->pos + 1 < p->len)
			p->pos++;
		cz_buf_putc(&text, p->s[p->pos++]);
	}
	if (p->pos >= p->len) {
		cz_buf_release(&text);
		return syntax(p, "unterminated string");
	}
	p->pos++;
	*out = cz_buf_detach(&text, NULL);
	return CZ_OK;
}

static bool parse_int(parser *p, long long *v)
{
	char *end;
	const char *start = p->s + p->pos;

	skip_spaces(p);
	start = p->s + p->pos;
	if (!(*start == '-' || (*start >= '0' && *start <= '9')))
		return false;
	errno = 0;
	*v = strtoll(start, &end, 10);
	if (errno || end == start)
		return false;
	p->pos += (size_t)(end - start);
	return true;
}

static int parse_index_or_slice(parser *p, steps *st)
{
	long long a = 0;
	long long b = 0;
	bool has_a = parse_int(p, &a);
	step *s;

	if (eat(p, ':')) {
		bool has_b = parse_int(p, &b);

		s = add_step(st, STEP_SLICE);
		s->start = a;
		s->has_start = has_a;
		s->end = b;
		s->has_end = has_b;
		return CZ_OK;
	}
	if (!has_a)
		return syntax(p, "expected an index, a name, \"*\" or a filter");
	add_step(st, STEP_INDEX)->index = a;
	return CZ_OK;
}

static int parse_steps(parser *p, steps *st, bool in_filter);

static int parse_literal(parser *p, json_t **out)
{
	json_error_t jerr;
	size_t start;
	char *text = NULL;

	skip_spaces(p);
	if (peekc(p) == '\'' || peekc(p) == '"') {
		int rc = parse_quoted(p, &text);

		if (rc < 0)
			return rc;
		*out = json_string(text);
		free(text);
		return *out ? CZ_OK : syntax(p, "invalid UTF-8 in a string");
	}
	start = p->pos;
	while (p->pos < p->len && !strchr(") \t", p->s[p->pos]))
		p->pos++;
	text = cz_xstrndup(p->s + start, p->pos - start);
	*out = json_loads(text, JSON_DECODE_ANY, &jerr);
	free(text);
	if (!*out || json_is_object(*out) || json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return syntax(p, "expected a literal");
	}
	return CZ_OK;
}

static filter_op parse_op(parser *p)
{
	static const struct {
		const char *text;
		filter_op op;
	} ops[] = {
		{ "==", F_EQ }, { "!=", F_NE }, { "<=", F_LE },
		{ ">=", F_GE }, { "<", F_LT },  { ">", F_GT },
	};

	skip_spaces(p);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);

		if (p->len - p->pos >= n &&
		    strncmp(p->s + p->pos, ops[i].text, n) == 0) {
			p->pos += n;
			return ops[i].op;
		}
	}
	return F_EXISTS;
}

/* "?(" @path [op literal] ")"; the "?" is consumed. */
static int parse_filter(parser *p, steps *st)
{
	filter *f = cz_xcalloc(1, sizeof(*f));
	int rc;

	if (!eat(p, '(') || !eat(p, '@')) {
		rc = syntax(p, "expected \"(@\" after \"?\"");
		goto fail;
	}
	if ((rc = parse_steps(p, &f->path, true)) < 0)
		goto fail;
	f->op = parse_op(p);
	if (f->op != F_EXISTS && (rc = parse_literal(p, &f->literal)) < 0)
		goto fail;
	if (!eat(p, ')')) {
		rc = syntax(p, "expected \")\" to close the filter");
		goto fail;
	}
	add_step(st, STEP_FILTER)->filter = f;
	return CZ_OK;
fail:
	filter_free(f);
	return rc;
}

static int parse_bracket(parser *p, steps *st)
{
	int rc;

	skip_spaces(p);
	if (peekc(p) == '\'' || peekc(p) == '"') {
		char *name = NULL;

		if ((rc = parse_quoted(p, &name)) < 0)
			return rc;
		add_step(st, STEP_FIELD)->name = name;
	} else if (eat(p, '*')) {
		add_step(st, STEP_WILDCARD);
	} else if (eat(p, '?')) {
		if ((rc = parse_filter(p, st)) < 0)
			return rc;
	} else if ((rc = parse_index_or_slice(p, st)) < 0) {
		return rc;
	}
	if (!eat(p, ']'))
		return syntax(p, "expected \"]\"");
	return CZ_OK;
}

static int parse_steps(parser *p, steps *st, bool in_filter)
{
	int rc;

	for (;;) {
		if (!in_filter)
			skip_spaces(p);
		if (peekc(p) == '.') {
			p->pos++;
			rc = parse_dot_name(p, st, in_filter);
		} else if (peekc(p) == '[') {
			p->pos++;
			rc = parse_bracket(p, st);
		} else {
			return CZ_OK;
		}
		if (rc < 0)
			return rc;
		if (st->n > CZ_JSON_MAX_DEPTH)
			return syntax(p, "too many steps");
	}
}

int cz_jsonpath_compile(const char *expr, cz_jsonpath **out, cz_error *err)
{
	cz_jsonpath *jp = cz_xcalloc(1, sizeof(*jp));
	parser p = { expr, 0, strlen(expr), err };
	int rc;

	*out = NULL;
	if (p.len > MAX_EXPR) {
		rc = cz_fail(err, CZ_ETOOLARGE, "JSONPath is too long");
		goto fail;
	}
	skip_spaces(&p);
	/* kube wraps a column's path in "{}"; accept it written either way. */
	if (peekc(&p) == '{' && p.len > 0 && expr[p.len - 1] == '}') {
		p.pos++;
		p.len--;
	}
	skip_spaces(&p);
	if (peekc(&p) == '$')
		p.pos++;
	if ((rc = parse_steps(&p, &jp->steps, false)) < 0)
		goto fail;
	skip_spaces(&p);
	if (p.pos != p.len) {
		rc = syntax(&p, "unexpected character");
		goto fail;
	}
	*out = jp;
	return CZ_OK;
fail:
	cz_jsonpath_free(jp);
	return rc;
}

void cz_jsonpath_free(cz_jsonpath *p)
{
	if (!p)
		return;
	steps_release(&p->steps);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                           */

typedef struct results {
	json_t *all;  /* array the matches are appended to */
	size_t limit; /* stop after this many */
} results;

static void eval(const steps *st, size_t i, const json_t *node, results *r);

static const json_t *first_of(const steps *st, const json_t *node)
{
	results r = { json_array(), 1 };
	const json_t *v;

	eval(st, 0, node, &r);
	v = json_array_get(r.all, 0);
	json_decref(r.all); /* v stays alive: it belongs to node */
	return v;
}

static int compare(const json_t *a, const json_t *b, bool *ok)
{
	*ok = true;
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a);
		double y = json_number_value(b);

		return x < y ? -1 : x > y;
	}
	if (json_is_string(a) && json_is_string(b))
		return strcmp(json_string_value(a), json_string_value(b));
	*ok = false;
	return 0;
}

static bool filter_holds(const filter *f, const json_t *item)
{
	const json_t *v = first_of(&f->path, item);
	bool ok;
	int c;

	if (!v)
		return false;
	switch (f->op) {
	case F_EXISTS: return true;
	case F_EQ: return cz_json_same(v, f->literal);
	case F_NE: return !cz_json_same(v, f->literal);
	default: break;
	}
	c = compare(v, f->literal, &ok);
	if (!ok)
		return false;
	switch (f->op) {
	case F_LT: return c < 0;
	case F_GT: return c > 0;
	case F_LE: return c <= 0;
	case F_GE: return c >= 0;
	default: return false;
	}
}

static long long clamp_index(long long i, long long n)
{
	if (i < 0)
		i += n;
	if (i < 0)
		return 0;
	return i > n ? n : i;
}

static void eval_children(const steps *st, size_t i, const json_t *node,
			  results *r)
{
	if (json_is_array(node)) {
		for (size_t k = 0; k < json_array_size(node); k++)
			eval(st, i, json_array_get(node, k), r);
	} else if (json_is_object(node)) {
		const char *key;
		json_t *child;

		json_object_foreach ((json_t *)(uintptr_t)node, key, child)
			eval(st, i, child, r);
	}
}

static void eval_step(const steps *st, size_t i, const json_t *node,
		      results *r)
{
	const step *s = &st->items[i];
	long long n = (long long)json_array_size(node);

	switch (s->kind) {
	case STEP_FIELD:
		if (json_is_object(node) && json_object_get(node, s->name))
			eval(st, i + 1, json_object_get(node, s->name), r);
		break;
	case STEP_WILDCARD: eval_children(st, i + 1, node, r); break;
	case STEP_INDEX:
		if (json_is_array(node) && s->index < n && s->index >= -n)
			eval(st, i + 1,
			     json_array_get(node, (size_t)(s->index < 0
							  ? s->index + n
							  : s->index)),
			     r);
		break;
	case STEP_SLICE:
		if (json_is_array(node)) {
			long long a = s->has_start ? clamp_index(s->start, n)
						   : 0;
			long long b = s->has_end ? clamp_index(s->end, n) : n;

			for (long long k = a; k < b; k++)
				eval(st, i + 1, json_array_get(node, (size_t)k),
				     r);
		}
		break;
	case STEP_FILTER:
		for (size_t k = 0; json_is_array(node) &&
				   k < json_array_size(node);
		     k++) {
			const json_t *item = json_array_get(node, k);

			if (filter_holds(s->filter, item))
				eval(st, i + 1, item, r);
		}
		break;
	}
}

static void eval(const steps *st, size_t i, const json_t *node, results *r)
{
	if (json_array_size(r->all) >= r->limit)
		return;
	if (i == st->n) {
		json_array_append(r->all, (json_t *)(uintptr_t)node);
		return;
	}
	eval_step(st, i, node, r);
}

json_t *cz_jsonpath_first(const cz_jsonpath *p, const json_t *obj)
{
	return (json_t *)(uintptr_t)first_of(&p->steps, obj);
}

json_t *cz_jsonpath_all(const cz_jsonpath *p, const json_t *obj)
{
	results r = { json_array(), (size_t)-1 };

	eval(&p->steps, 0, obj, &r);
	return r.all;
}

/* ------------------------------------------------------------------ */
/* Cells                                                                */

/* What Go's "%v" prints for a float64 (strconv 'g' with the shortest
 * precision): the fewest digits that read back as d, in exponent form
 * when the decimal exponent is below -4 or at least 6 (1e+06). */
static char *go_float(double d)
{
	char text[64];
	int digits;
	int exp;

	if (isnan(d))
		return cz_xstrdup("NaN");
	if (isinf(d))
		return cz_xstrdup(d > 0 ? "+Inf" : "-Inf");
	for (digits = 1; digits < 17; digits++) {
		snprintf(text, sizeof(text), "%.*e", digits - 1, d);
		if (strtod(text, NULL) == d)
			break;
	}
	snprintf(text, sizeof(text), "%.*e", digits - 1, d);
	exp = atoi(strchr(text, 'e') + 1);
	if (exp < -4 || exp >= 6)
		return cz_xstrdup(text);
	snprintf(text, sizeof(text), "%.*f",
		 digits - 1 - exp > 0 ? digits - 1 - exp : 0, d);
	return cz_xstrdup(text);
}

/* Go's json.Marshal escapes these three for HTML safety. */
static char *html_escaped(const char *json)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	for (const char *c = json; *c; c++) {
		if (*c == '<')
			cz_buf_puts(&b, "\\u003c");
		else if (*c == '>')
			cz_buf_puts(&b, "\\u003e");
		else if (*c == '&')
			cz_buf_puts(&b, "\\u0026");
		else
			cz_buf_putc(&b, *c);
	}
	return cz_buf_detach(&b, NULL);
}

char *cz_jsonpath_text(const json_t *value)
{
	char *json;
	char *text;

	switch (json_typeof(value)) {
	case JSON_STRING: return cz_xstrdup(json_string_value(value));
	case JSON_INTEGER:
		return cz_xasprintf("%lld", (long long)json_integer_value(value));
	case JSON_REAL: return go_float(json_real_value(value));
	case JSON_TRUE: return cz_xstrdup("true");
	case JSON_FALSE: return cz_xstrdup("false");
	case JSON_NULL: return NULL;
	default: break;
	}
	json = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
	if (!json)
		return NULL;
	text = html_escaped(json);
	free(json);
	return text;
}

static bool digits_at(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Parses RFC 3339 (what Go's time.RFC3339 layout accepts) into UTC. */
static bool parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm;
	const char *z;
	long offset = 0;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) < 20 || !digits_at(s, 4) || s[4] != '-' ||
	    !digits_at(s + 5, 2) || s[7] != '-' || !digits_at(s + 8, 2) ||
	    s[10] != 'T' || !digits_at(s + 11, 2) || s[13] != ':' ||
	    !digits_at(s + 14, 2) || s[16] != ':' || !digits_at(s + 17, 2))
		return false;
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return false;
	z = s + 19;
	if (*z == '.') {
		z++;
		if (!digits_at(z, 1))
			return false;
		while (*z >= '0' && *z <= '9')
			z++;
	}
	if (*z == 'Z' && z[1] == '\0') {
		offset = 0;
	} else if ((*z == '+' || *z == '-') && digits_at(z + 1, 2) &&
		   z[3] == ':' && digits_at(z + 4, 2) && z[6] == '\0') {
		offset = (atoi(z + 1) * 60 + atoi(z + 4)) * 60;
		if (*z == '-')
			offset = -offset;
	} else {
		return false;
	}
	*out = timegm(&tm) - offset;
	return true;
}

static json_t *date_cell(const json_t *v)
{
	char text[32];
	struct tm tm;
	time_t t;

	if (!json_is_string(v))
		return json_null();
	if (!parse_rfc3339(json_string_value(v), &t) || !gmtime_r(&t, &tm))
		return json_string("<invalid>");
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(text);
}

static json_t *string_cell(const json_t *v)
{
	char *text = cz_jsonpath_text(v);
	json_t *cell;

	if (!text)
		return json_null();
	cell = json_string(text);
	free(text);
	return cell ? cell : json_null();
}

json_t *cz_jsonpath_cell(const cz_jsonpath *p, const json_t *obj,
			 const char *type)
{
	const json_t *v = cz_jsonpath_first(p, obj);

	if (!v || json_is_null(v))
		return json_null();
	if (!strcmp(type, "string"))
		return string_cell(v);
	if (!strcmp(type, "integer") && json_is_integer(v))
		return json_incref((json_t *)(uintptr_t)v);
	if (!strcmp(type, "integer") && json_is_real(v)) {
		double d = json_real_value(v);

		if (d >= -9.2e18 && d <= 9.2e18)
			return json_integer((json_int_t)d);
		return json_null();
	}
	if (!strcmp(type, "number") && json_is_number(v))
		return json_real(json_number_value(v));
	if (!strcmp(type, "boolean") && json_is_boolean(v))
		return json_boolean(json_is_true(v));
	if (!strcmp(type, "date"))
		return date_cell(v);
	return json_null();
}
