#include "api/selector.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "util/buf.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ */
/* Validation of label keys and values (kube's wording)                 */

/* Collects the rules' messages into one "; "-joined text, as kube's
 * field.ErrorList.ToAggregate prints them. */
static void add_msg(void *ctx, const char *msg)
{
	cz_buf *b = ctx;

	if (b->len)
		cz_buf_puts(b, "; ");
	cz_buf_puts(b, msg);
}

/* Fails with "<path>: Invalid value: "<value>": <msgs>" when msgs has any. */
static int invalid(cz_error *err, const char *path, const char *value,
		   cz_buf *msgs)
{
	cz_buf text;
	int rc;

	if (msgs->len == 0)
		return CZ_OK;
	cz_buf_init(&text, CZ_ERROR_MSG_MAX);
	cz_buf_printf(&text, "%s: Invalid value: ", path);
	cz_buf_put_quoted(&text, value);
	rc = cz_fail(err, CZ_EINVALID, "%s: %s", text.data, msgs->data);
	cz_buf_release(&text);
	return rc;
}

static int validate_key_at(const char *path, const char *key, cz_error *err)
{
	cz_buf msgs;
	int rc;

	cz_buf_init(&msgs, CZ_BUF_UNLIMITED);
	cz_name_qualified_msgs(key, add_msg, &msgs);
	rc = invalid(err, path, key, &msgs);
	cz_buf_release(&msgs);
	return rc;
}

/* Runs one name rule over s; its messages, "; "-joined, become err. */
static int check_rule(void (*rule)(const char *, cz_name_msg_fn, void *),
		      const char *s, cz_error *err)
{
	cz_buf msgs;
	int rc = CZ_OK;

	cz_buf_init(&msgs, CZ_BUF_UNLIMITED);
	rule(s, add_msg, &msgs);
	if (msgs.len)
		rc = cz_fail(err, CZ_EINVALID, "%s", msgs.data);
	cz_buf_release(&msgs);
	return rc;
}

int cz_validate_label_key(const char *key, cz_error *err)
{
	return check_rule(cz_name_qualified_msgs, key, err);
}

int cz_validate_label_value(const char *value, cz_error *err)
{
	return check_rule(cz_name_label_value_msgs, value, err);
}

int cz_validate_dns_subdomain(const char *name, cz_error *err)
{
	return check_rule(cz_name_subdomain_msgs, name, err);
}

/* ------------------------------------------------------------------ */
/* Label selector lexer                                                 */

typedef enum tok_kind {
	T_END,
	T_CLOSE,
	T_COMMA,
	T_NOT,
	T_DEQ,
	T_EQ,
	T_GT,
	T_IDENT,
	T_IN,
	T_LT,
	T_NEQ,
	T_NOTIN,
	T_OPEN,
} tok_kind;

typedef struct token {
	tok_kind kind;
	char *text;
} token;

/* What the parser sees of a token. */
typedef struct seen {
	tok_kind kind;
	const char *text;
} seen;

typedef struct lexer {
	token *toks;
	size_t n;
	size_t cap;
	size_t pos; /* the parser's position in toks */
} lexer;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
	return c && strchr("=!(),><", c) != NULL;
}

static bool symbol_kind(const char *s, size_t n, tok_kind *kind)
{
	static const struct {
		const char *text;
		tok_kind kind;
	} symbols[] = {
		{ ")", T_CLOSE }, { ",", T_COMMA }, { "!", T_NOT },
		{ "==", T_DEQ },  { "=", T_EQ },    { ">", T_GT },
		{ "<", T_LT },    { "!=", T_NEQ },  { "(", T_OPEN },
	};

	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		if (strlen(symbols[i].text) == n &&
		    memcmp(symbols[i].text, s, n) == 0) {
			*kind = symbols[i].kind;
			return true;
		}
	}
	return false;
}

static void push_token(lexer *lx, tok_kind kind, const char *s, size_t n)
{
	CZ_GROW(lx->toks, lx->n + 1, lx->cap);
	lx->toks[lx->n].kind = kind;
	lx->toks[lx->n].text = cz_xstrndup(s, n);
	lx->n++;
}

/* The longest run of special characters that is a symbol (greedy, like
 * kube's lexer: "==" over "=", "!=" over "!"). */
static size_t lex_symbol(lexer *lx, const char *s)
{
	size_t best = 0;
	tok_kind kind = T_END;

	for (size_t n = 1; is_special(s[n - 1]); n++) {
		tok_kind k;

		if (symbol_kind(s, n, &k)) {
			best = n;
			kind = k;
		} else if (best) {
			break;
		}
	}
	push_token(lx, kind, s, best);
	return best;
}

static size_t lex_word(lexer *lx, const char *s)
{
	size_t n = 0;
	tok_kind kind = T_IDENT;

	while (s[n] && !is_special(s[n]) && !is_space(s[n]))
		n++;
	if (n == 2 && !memcmp(s, "in", 2))
		kind = T_IN;
	else if (n == 5 && !memcmp(s, "notin", 5))
		kind = T_NOTIN;
	push_token(lx, kind, s, n);
	return n;
}

static void lex(lexer *lx, const char *s)
{
	for (;;) {
		while (is_space(*s))
			s++;
		if (!*s) {
			push_token(lx, T_END, "", 0);
			return;
		}
		s += is_special(*s) ? lex_symbol(lx, s) : lex_word(lx, s);
	}
}

static void lexer_release(lexer *lx)
{
	for (size_t i = 0; i < lx->n; i++)
		free(lx->toks[i].text);
	free(lx->toks);
}

/* In value position, "in" and "notin" are plain words. */
static seen peek(const lexer *lx, bool values)
{
	const token *tk = &lx->toks[lx->pos];
	seen s = { tk->kind, tk->text };

	if (values && (tk->kind == T_IN || tk->kind == T_NOTIN))
		s.kind = T_IDENT;
	return s;
}

static seen next(lexer *lx, bool values)
{
	seen s = peek(lx, values);

	if (lx->pos + 1 < lx->n)
		lx->pos++;
	return s;
}

/* ------------------------------------------------------------------ */
/* Label selector parser                                                */

typedef struct strset {
	char **items;
	size_t n;
	size_t cap;
} strset;

static void strset_add(strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i], v) == 0)
			return;
	CZ_GROW(s->items, s->n + 1, s->cap);
	s->items[s->n++] = cz_xstrdup(v);
}

static void strset_release(strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int parse_error(cz_error *err, const char *found, const char *expected)
{
	return cz_fail(err, CZ_EINVALID, "found '%.200s', expected: %s", found,
		       expected);
}

/* "(" values ")" with kube's handling of empty values: "(,a)", "()". */
static int parse_value_set(lexer *lx, strset *vals, cz_error *err)
{
	seen t = next(lx, true);

	if (t.kind != T_OPEN)
		return cz_fail(err, CZ_EINVALID, "found '%.200s' expected: '('",
			       t.text);
	t = peek(lx, true);
	if (t.kind == T_CLOSE) {
		next(lx, true);
		strset_add(vals, "");
		return CZ_OK;
	}
	if (t.kind != T_IDENT && t.kind != T_COMMA)
		return parse_error(err, t.text, "',', ')' or identifier");
	for (;;) {
		t = next(lx, true);
		if (t.kind == T_IDENT) {
			strset_add(vals, t.text);
			t = peek(lx, true);
			if (t.kind == T_CLOSE)
				break;
			if (t.kind != T_COMMA)
				return parse_error(err, t.text, "',' or ')'");
		} else if (t.kind == T_COMMA) {
			if (vals->n == 0)
				strset_add(vals, "");
			t = peek(lx, true);
			if (t.kind == T_CLOSE) {
				strset_add(vals, "");
				break;
			}
			if (t.kind == T_COMMA) {
				next(lx, true);
				strset_add(vals, "");
			}
		} else {
			return parse_error(err, t.text,
					   "',', or identifier");
		}
	}
	next(lx, true); /* the ")" */
	return CZ_OK;
}

static int parse_exact_value(lexer *lx, strset *vals, cz_error *err)
{
	seen t = peek(lx, true);

	if (t.kind == T_END || t.kind == T_COMMA) {
		strset_add(vals, "");
		return CZ_OK;
	}
	t = next(lx, true);
	if (t.kind != T_IDENT)
		return parse_error(err, t.text, "identifier");
	strset_add(vals, t.text);
	return CZ_OK;
}

static int parse_operator(lexer *lx, cz_sel_op *op, cz_error *err)
{
	seen t = next(lx, false);

	switch (t.kind) {
	case T_IN: *op = CZ_SEL_IN; break;
	case T_NOTIN: *op = CZ_SEL_NOTIN; break;
	case T_EQ:
	case T_DEQ: *op = CZ_SEL_EQ; break;
	case T_NEQ: *op = CZ_SEL_NEQ; break;
	case T_GT: *op = CZ_SEL_GT; break;
	case T_LT: *op = CZ_SEL_LT; break;
	default:
		return parse_error(err, t.text,
				   "'=', '!=', '==', 'in', notin'");
	}
	return CZ_OK;
}

static bool is_int64(const char *s)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	(void)strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && !is_space(*s);
}

/* kube's NewRequirement checks of the (sorted) values. */
static int check_values(const cz_label_req *r, cz_error *err)
{
	char path[64];

	for (size_t i = 0; i < r->nvalues; i++) {
		cz_buf msgs;
		int rc;

		if ((r->op == CZ_SEL_GT || r->op == CZ_SEL_LT) &&
		    !is_int64(r->values[i])) {
			snprintf(path, sizeof(path), "values[%zu]", i);
			cz_buf_init(&msgs, CZ_BUF_UNLIMITED);
			add_msg(&msgs, "for 'Gt', 'Lt' operators, the value "
				       "must be an integer");
			rc = invalid(err, path, r->values[i], &msgs);
			cz_buf_release(&msgs);
			return rc;
		}
		cz_buf_init(&msgs, CZ_BUF_UNLIMITED);
		cz_name_label_value_msgs(r->values[i], add_msg, &msgs);
		if (msgs.len) {
			char *at = cz_xasprintf("values[%zu][%s]", i, r->key);

			rc = invalid(err, at, r->values[i], &msgs);
			free(at);
			cz_buf_release(&msgs);
			return rc;
		}
		cz_buf_release(&msgs);
	}
	return CZ_OK;
}

static int parse_requirement(lexer *lx, cz_label_req *r, cz_error *err)
{
	strset vals = { NULL, 0, 0 };
	seen t = next(lx, true);
	bool negated = false;
	int rc = CZ_OK;

	if (t.kind == T_NOT) {
		negated = true;
		t = next(lx, true);
	}
	if (t.kind != T_IDENT)
		return parse_error(err, t.text, "identifier");
	if ((rc = validate_key_at("<nil>", t.text, err)) < 0)
		return rc;
	r->key = cz_xstrdup(t.text);
	t = peek(lx, true);
	/* "!a" ends the requirement whatever follows ("!a=b" then fails
	 * at "="), as in kube. */
	if (negated) {
		r->op = CZ_SEL_NOT_EXISTS;
		return CZ_OK;
	}
	if (t.kind == T_END || t.kind == T_COMMA) {
		r->op = CZ_SEL_EXISTS;
		return CZ_OK;
	}
	if ((rc = parse_operator(lx, &r->op, err)) < 0)
		goto cleanup;
	if (r->op == CZ_SEL_IN || r->op == CZ_SEL_NOTIN)
		rc = parse_value_set(lx, &vals, err);
	else
		rc = parse_exact_value(lx, &vals, err);
	if (rc < 0)
		goto cleanup;
	if (vals.n)
		qsort(vals.items, vals.n, sizeof(*vals.items), str_cmp);
	r->values = vals.items;
	r->nvalues = vals.n;
	vals.items = NULL;
	vals.n = 0;
	rc = check_values(r, err);
cleanup:
	strset_release(&vals);
	return rc;
}

static int req_cmp(const void *a, const void *b)
{
	return strcmp(((const cz_label_req *)a)->key,
		      ((const cz_label_req *)b)->key);
}

static int parse_requirements(lexer *lx, cz_label_selector *out,
			      cz_error *err)
{
	size_t cap = 0;

	for (;;) {
		seen t = peek(lx, true);
		int rc;

		if (t.kind == T_END)
			return CZ_OK;
		if (t.kind != T_IDENT && t.kind != T_NOT)
			return parse_error(err, t.text,
					   "!, identifier, or 'end of string'");
		CZ_GROW(out->reqs, out->n + 1, cap);
		memset(&out->reqs[out->n], 0, sizeof(out->reqs[0]));
		rc = parse_requirement(lx, &out->reqs[out->n++], err);
		if (rc < 0) {
			cz_error_prefix(err, "unable to parse requirement");
			return rc;
		}
		t = next(lx, true);
		if (t.kind == T_END)
			return CZ_OK;
		if (t.kind != T_COMMA)
			return parse_error(err, t.text,
					   "',' or 'end of string'");
		t = peek(lx, true);
		if (t.kind != T_IDENT && t.kind != T_NOT)
			return parse_error(err, t.text,
					   "identifier after ','");
	}
}

int cz_label_selector_parse(const char *text, cz_label_selector *out,
			    cz_error *err)
{
	lexer lx = { NULL, 0, 0, 0 };
	int rc;

	out->reqs = NULL;
	out->n = 0;
	lex(&lx, text);
	rc = parse_requirements(&lx, out, err);
	lexer_release(&lx);
	if (rc == CZ_OK && out->n)
		qsort(out->reqs, out->n, sizeof(*out->reqs), req_cmp);
	return rc;
}

void cz_label_selector_release(cz_label_selector *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->reqs[i].nvalues; j++)
			free(s->reqs[i].values[j]);
		free(s->reqs[i].values);
		free(s->reqs[i].key);
	}
	free(s->reqs);
	s->reqs = NULL;
	s->n = 0;
}

static bool has_value(const cz_label_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

static bool compare_int(const cz_label_req *r, const char *v)
{
	long long have;
	long long want;

	if (!v || !is_int64(v) || r->nvalues != 1)
		return false;
	have = strtoll(v, NULL, 10);
	want = strtoll(r->values[0], NULL, 10);
	return r->op == CZ_SEL_GT ? have > want : have < want;
}

static bool req_matches(const cz_label_req *r, const json_t *labels)
{
	const char *v = json_string_value(json_object_get(labels, r->key));

	switch (r->op) {
	case CZ_SEL_EQ:
	case CZ_SEL_IN: return v && has_value(r, v);
	case CZ_SEL_NEQ:
	case CZ_SEL_NOTIN: return !v || !has_value(r, v);
	case CZ_SEL_EXISTS: return v != NULL;
	case CZ_SEL_NOT_EXISTS: return v == NULL;
	case CZ_SEL_GT:
	case CZ_SEL_LT: return compare_int(r, v);
	}
	return false;
}

bool cz_label_selector_matches_labels(const cz_label_selector *s,
				      const json_t *labels)
{
	for (size_t i = 0; i < s->n; i++)
		if (!req_matches(&s->reqs[i], labels))
			return false;
	return true;
}

bool cz_label_selector_matches(const cz_label_selector *s, const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");

	return cz_label_selector_matches_labels(s,
						json_object_get(meta, "labels"));
}

/* ------------------------------------------------------------------ */
/* Field selectors                                                      */

/* Splits text at commas that are not escaped; calls back per term. */
static size_t term_end(const char *s)
{
	size_t i = 0;

	for (; s[i] && s[i] != ','; i++)
		if (s[i] == '\\' && s[i + 1])
			i++;
	return i;
}

/* Finds the first unescaped operator of term: "!=", "==" or "=". */
static bool split_term(const char *term, size_t n, size_t *at, size_t *oplen,
		       bool *negate)
{
	for (size_t i = 0; i < n; i++) {
		if (term[i] == '\\') {
			i++;
			continue;
		}
		if (i + 1 < n && term[i] == '!' && term[i + 1] == '=') {
			*at = i, *oplen = 2, *negate = true;
			return true;
		}
		if (i + 1 < n && term[i] == '=' && term[i + 1] == '=') {
			*at = i, *oplen = 2, *negate = false;
			return true;
		}
		if (term[i] == '=') {
			*at = i, *oplen = 1, *negate = false;
			return true;
		}
	}
	return false;
}

static int unescape_value(const char *s, size_t n, char **out, cz_error *err)
{
	char *v = cz_xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (i + 1 >= n || !strchr("\\,=!", s[i + 1])) {
				free(v);
				return cz_fail(err, CZ_EINVALID,
					       "invalid field selector: "
					       "invalid escape sequence");
			}
			v[o++] = s[++i];
		} else if (strchr(",=", s[i])) {
			free(v);
			return cz_fail(err, CZ_EINVALID,
				       "invalid field selector: unescaped "
				       "character '%c' in value",
				       s[i]);
		} else {
			v[o++] = s[i];
		}
	}
	v[o] = '\0';
	*out = v;
	return CZ_OK;
}

static bool field_supported(const char *field, const char *const *supported)
{
	if (!strcmp(field, "metadata.name") ||
	    !strcmp(field, "metadata.namespace"))
		return true;
	for (size_t i = 0; supported && supported[i]; i++)
		if (!strcmp(field, supported[i]))
			return true;
	return false;
}

static int parse_term(const char *text, const char *term, size_t n,
		      const char *const *supported, cz_field_term *t,
		      cz_error *err)
{
	size_t at;
	size_t oplen;
	int rc;

	if (!split_term(term, n, &at, &oplen, &t->negate))
		return cz_fail(err, CZ_EINVALID,
			       "invalid selector: '%.200s'; can't understand "
			       "'%.*s'",
			       text, (int)(n > 200 ? 200 : n), term);
	t->field = cz_xstrndup(term, at);
	if ((rc = unescape_value(term + at + oplen, n - at - oplen, &t->value,
				 err)) < 0)
		return rc;
	if (!field_supported(t->field, supported))
		return cz_fail(err, CZ_EINVALID,
			       "field label not supported: %.200s", t->field);
	return CZ_OK;
}

int cz_field_selector_parse(const char *text, const char *const *supported,
			    cz_field_selector *out, cz_error *err)
{
	size_t cap = 0;
	const char *s = text;

	out->terms = NULL;
	out->n = 0;
	while (*s) {
		size_t n = term_end(s);
		int rc;

		if (n > 0) {
			CZ_GROW(out->terms, out->n + 1, cap);
			memset(&out->terms[out->n], 0, sizeof(out->terms[0]));
			rc = parse_term(text, s, n, supported,
					&out->terms[out->n++], err);
			if (rc < 0)
				return rc;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return CZ_OK;
}

/* The field's value as a string ("" when absent; scalars as text). */
static void field_value(const json_t *obj, const char *field, char *out,
			size_t size)
{
	const json_t *cur = obj;
	const char *p = field;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		cur = json_object_getn(cur, p, n);
		p += n + (dot ? 1 : 0);
	}
	out[0] = '\0';
	if (json_is_string(cur))
		snprintf(out, size, "%s", json_string_value(cur));
	else if (json_is_integer(cur))
		snprintf(out, size, "%lld", (long long)json_integer_value(cur));
	else if (json_is_boolean(cur))
		snprintf(out, size, "%s", json_is_true(cur) ? "true" : "false");
}

bool cz_field_selector_matches(const cz_field_selector *s, const json_t *obj)
{
	char value[1024];

	for (size_t i = 0; i < s->n; i++) {
		const cz_field_term *t = &s->terms[i];

		field_value(obj, t->field, value, sizeof(value));
		if ((strcmp(value, t->value) == 0) == t->negate)
			return false;
	}
	return true;
}

void cz_field_selector_release(cz_field_selector *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->terms[i].field);
		free(s->terms[i].value);
	}
	free(s->terms);
	s->terms = NULL;
	s->n = 0;
}
