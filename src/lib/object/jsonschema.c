/*
 * JSON Schema (draft-07) validation of chart values.
 *
 * Two passes.  The check pass walks the whole schema document once: it
 * verifies the shape of every keyword it knows, compiles every pattern,
 * resolves every $ref and enforces the nesting cap, so that a broken
 * schema is reported the same way whatever values it is given.  The
 * evaluation pass then applies the schema to the instance and trusts
 * those shapes.
 *
 * Evaluation keeps no path buffers: each step pushes a small frame on the
 * C stack that links to its parent, and paths (the instance path of a
 * violation, the schema location of a problem) are rendered only when
 * something is reported.  Subschemas whose failure is not itself an error
 * (anyOf branches, "not", "if", "contains") are evaluated quietly: the
 * first violation answers the question and nothing is written.
 */

#include "object/jsonschema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strmap.h"

/* Bytes of a string value quoted in a message before it is cut. */
#define SHOWN_STRING_MAX 64
/* Values of an enum listed in a message before "...". */
#define SHOWN_ENUM_MAX 10
/* Caps of the buffers behind messages and schema locations; they only
 * bound text shown to people, so hitting one shortens the text. */
#define MESSAGE_MAX 4096
#define LOCATION_MAX 4096
/* Parenthesised groups nested in one pattern. */
#define PATTERN_MAX_GROUPS 32
/* Largest {n,m} count in a pattern. */
#define PATTERN_MAX_REPEAT 1000
/* Values nested deeper than this compare as different (uniqueItems); it
 * is the JSON decoder's own nesting limit, so parsed values never get
 * there. */
#define SAME_MAX_DEPTH 2048

/* jansson's iteration macros take a non-const object; nothing here
 * changes one. */
static json_t *iterable(const json_t *v)
{
	return (json_t *)(uintptr_t)v;
}

/* ------------------------------------------------------------------ */
/* Patterns: ECMA-262 syntax translated to POSIX extended expressions  */

typedef struct pattern {
	char *source; /* the schema's text, owned */
	regex_t re;
} pattern;

/* Translation state of one pattern. */
typedef struct regex_writer {
	cz_buf *out;
	/* Expanded size of each open group so far, and of the whole pattern
	 * in group[0]: glibc copies a bounded repeat's operand n times. */
	unsigned long long group[PATTERN_MAX_GROUPS + 1];
	/* Atoms those copies add.  glibc's matcher needs memory that grows
	 * with the square of this (35 MB at 1,000), so it is what is capped. */
	unsigned long long copies;
	size_t depth;
	unsigned long long last; /* size of the atom a quantifier repeats */
	const char *why;         /* static reason when the pattern is refused */
	bool over_cap;           /* refused for its size, not its syntax */
} regex_writer;

static bool refuse(regex_writer *w, const char *why)
{
	w->why = why;
	return false;
}

/* Counts an atom of the given expanded size; always true, so that a
 * translation step can end with it. */
static bool add_atom(regex_writer *w, unsigned long long weight)
{
	w->group[w->depth] += weight;
	w->last = weight;
	return true;
}

/* Length of the UTF-8 sequence that starts with lead (1 when invalid). */
static size_t utf8_length(const char *s)
{
	unsigned char lead = (unsigned char)s[0];
	size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;

	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

static bool is_quantifier_start(char ch)
{
	return ch == '*' || ch == '+' || ch == '?' || ch == '{';
}

/* Counts stop growing past this; anything that large is refused. */
#define BOUND_SATURATES 1000000UL

/* Reads "{n}", "{n,}" or "{n,m}" at p; false when p does not start one
 * (ECMA then reads the brace as a literal). */
static bool read_bounds(const char *p, size_t *len, unsigned long *lo,
			unsigned long *hi, bool *bounded)
{
	size_t i = 1;
	unsigned long n = 0;

	if (!isdigit((unsigned char)p[i]))
		return false;
	for (; isdigit((unsigned char)p[i]); i++)
		n = n > BOUND_SATURATES ? n : n * 10 + (unsigned long)(p[i] - '0');
	*lo = n;
	*hi = n;
	*bounded = true;
	if (p[i] == ',') {
		i++;
		*bounded = isdigit((unsigned char)p[i]) != 0;
		n = 0;
		for (; isdigit((unsigned char)p[i]); i++)
			n = n > BOUND_SATURATES
				    ? n
				    : n * 10 + (unsigned long)(p[i] - '0');
		*hi = *bounded ? n : *lo;
	}
	if (p[i] != '}')
		return false;
	*len = i + 1;
	return true;
}

/* What one member of a character class stands for. */
typedef struct class_item {
	enum { ITEM_BYTE, ITEM_BYTES, ITEM_SET } kind;
	char byte;
	const char *text; /* ITEM_BYTES: the sequence; ITEM_SET: POSIX text */
	size_t len;
} class_item;

static bool read_class_item(regex_writer *w, const char *p, size_t *j,
			    class_item *it)
{
	char e;

	it->kind = ITEM_BYTE;
	it->text = NULL;
	it->len = 1;
	if (p[*j] != '\\') {
		if ((unsigned char)p[*j] >= 0x80) {
			it->kind = ITEM_BYTES;
			it->text = p + *j;
			it->len = utf8_length(p + *j);
			*j += it->len;
		} else {
			it->byte = p[(*j)++];
		}
		return true;
	}
	e = p[*j + 1];
	if (!e)
		return refuse(w, "ends with a backslash");
	*j += 2;
	it->kind = ITEM_SET;
	switch (e) {
	case 'd': it->text = "0-9"; break;
	case 'w': it->text = "A-Za-z0-9_"; break;
	case 's': it->text = "[:space:]"; break;
	case 'D': case 'W': case 'S':
		return refuse(w, "uses \\D, \\W or \\S inside [], which POSIX "
				 "classes cannot express");
	default:
		it->kind = ITEM_BYTE;
		if (e == 'n') it->byte = '\n';
		else if (e == 't') it->byte = '\t';
		else if (e == 'r') it->byte = '\r';
		else if (e == 'f') it->byte = '\f';
		else if (e == 'v') it->byte = '\v';
		else if (e == 'b') it->byte = '\b';
		else if (ispunct((unsigned char)e)) it->byte = e;
		else
			return refuse(w, "uses an escape that is not supported "
					 "(see docs/jsonschema.md)");
		return true;
	}
	it->len = strlen(it->text);
	return true;
}

/* True for bytes that POSIX gives a meaning inside [] depending on where
 * they stand; they are placed by put_class rather than copied. */
static bool is_bracket_special(char ch)
{
	return ch == ']' || ch == '-' || ch == '^' || ch == '[';
}

/* Translates the class starting at p[*i] == '['.  POSIX brackets have no
 * escapes, so "]" goes first, "-" last, "^" anywhere but first and "["
 * where no ":", "." or "=" follows it. */
static bool put_class(regex_writer *w, const char *p, size_t *i)
{
	size_t j = *i + 1;
	bool negate = false, rbracket = false, dash = false, caret = false;
	bool lbracket = false, alone;
	cz_buf body;
	bool ok = false;

	cz_buf_init(&body, CZ_JSONSCHEMA_MAX_PATTERN_LEN * 4);
	if (p[j] == '^') {
		negate = true;
		j++;
	}
	if (p[j] == ']') {
		refuse(w, "has an empty class [] or [^]");
		goto cleanup;
	}
	while (p[j] && p[j] != ']') {
		class_item from, to;

		if (!read_class_item(w, p, &j, &from))
			goto cleanup;
		if (from.kind == ITEM_BYTE && p[j] == '-' && p[j + 1] &&
		    p[j + 1] != ']') {
			j++;
			if (!read_class_item(w, p, &j, &to))
				goto cleanup;
			if (to.kind != ITEM_BYTE ||
			    is_bracket_special(from.byte) ||
			    is_bracket_special(to.byte) ||
			    (unsigned char)from.byte > (unsigned char)to.byte) {
				refuse(w, "has a range in [] that is not "
					  "supported or out of order");
				goto cleanup;
			}
			cz_buf_printf(&body, "%c-%c", from.byte, to.byte);
		} else if (from.kind != ITEM_BYTE) {
			cz_buf_append(&body, from.text, from.len);
		} else if (from.byte == ']') {
			rbracket = true;
		} else if (from.byte == '-') {
			dash = true;
		} else if (from.byte == '^') {
			caret = true;
		} else if (from.byte == '[') {
			lbracket = true;
		} else {
			cz_buf_putc(&body, from.byte);
		}
	}
	if (!p[j]) {
		refuse(w, "has an unterminated [");
		goto cleanup;
	}
	*i = j + 1;
	/* "^" needs a member before it, or it would negate. */
	alone = caret && !rbracket && !body.len && !lbracket;
	if (alone && !dash && !negate) {
		cz_buf_puts(w->out, "\\^");
	} else {
		cz_buf_printf(w->out, "[%s%s%s%s", negate ? "^" : "",
			      rbracket ? "]" : "", body.data,
			      lbracket ? "[" : "");
		if (alone && dash)
			cz_buf_puts(w->out, "-^");
		else
			cz_buf_printf(w->out, "%s%s", caret ? "^" : "",
				      dash ? "-" : "");
		cz_buf_putc(w->out, ']');
	}
	ok = add_atom(w, 1);
cleanup:
	cz_buf_release(&body);
	return ok;
}

/* Translates an escape outside [] at p[*i] == '\\'. */
static bool put_escape(regex_writer *w, const char *p, size_t *i)
{
	char e = p[*i + 1];
	const char *text = NULL;

	if (!e)
		return refuse(w, "ends with a backslash");
	*i += 2;
	switch (e) {
	case 'd': text = "[0-9]"; break;
	case 'D': text = "[^0-9]"; break;
	case 'w': text = "[A-Za-z0-9_]"; break;
	case 'W': text = "[^A-Za-z0-9_]"; break;
	case 's': text = "[[:space:]]"; break;
	case 'S': text = "[^[:space:]]"; break;
	case 'n': text = "\n"; break;
	case 't': text = "\t"; break;
	case 'r': text = "\r"; break;
	case 'f': text = "\f"; break;
	case 'v': text = "\v"; break;
	default:
		if (!ispunct((unsigned char)e))
			return refuse(w, "uses an escape that is not supported "
					 "(see docs/jsonschema.md)");
		/* A literal: POSIX escapes only its own specials. */
		if (strchr(".[\\()*+?{|^$", e))
			cz_buf_putc(w->out, '\\');
		cz_buf_putc(w->out, e);
		return add_atom(w, 1);
	}
	cz_buf_puts(w->out, text);
	return add_atom(w, 1);
}

/* Translates a quantifier at p[*i]; lazy forms ("*?") match the same set
 * of strings as greedy ones, and only whether a match exists matters. */
static bool put_quantifier(regex_writer *w, const char *p, size_t *i)
{
	unsigned long lo, hi, copies;
	bool bounded;
	size_t len = 1;

	if (p[*i] == '{' && !read_bounds(p + *i, &len, &lo, &hi, &bounded)) {
		/* Not a quantifier: ECMA reads a literal brace. */
		cz_buf_puts(w->out, "\\{");
		(*i)++;
		return add_atom(w, 1);
	}
	if (!w->last)
		return refuse(w, "has a quantifier with nothing to repeat");
	if (p[*i] == '{') {
		if (lo > PATTERN_MAX_REPEAT || hi > PATTERN_MAX_REPEAT) {
			w->over_cap = true;
			return refuse(w, "repeats more than 1000 times");
		}
		if (hi < lo)
			return refuse(w, "has a {n,m} with m < n");
		cz_buf_append(w->out, p + *i, len);
		copies = bounded ? hi : lo + 1;
		if (copies > 1) {
			unsigned long long extra =
				w->last * (unsigned long long)(copies - 1);

			w->group[w->depth] += extra;
			w->copies += extra;
			if (w->copies > CZ_JSONSCHEMA_MAX_PATTERN_COPIES) {
				w->over_cap = true;
				return refuse(w, "repeats its parts into more "
						 "than 1000 copies");
			}
		}
	} else {
		cz_buf_putc(w->out, p[*i]);
	}
	*i += len;
	if (p[*i] == '?')
		(*i)++;
	w->last = 0;
	return true;
}

/* Writes the POSIX ERE for the ECMA-262 pattern src into out.  Returns
 * CZ_OK, CZ_ERR when it uses something POSIX cannot express or is not a
 * valid pattern, CZ_ETOOLARGE over a cap; *why is a static reason and
 * *copies the atoms that bounded repeats add. */
static int translate_pattern(const char *src, cz_buf *out, const char **why,
			     unsigned long long *copies)
{
	regex_writer w;
	size_t i = 0;
	bool ok = true;

	memset(&w, 0, sizeof(w));
	w.out = out;
	while (ok && src[i]) {
		char ch = src[i];
		size_t n;

		switch (ch) {
		case '\\':
			ok = put_escape(&w, src, &i);
			break;
		case '[':
			ok = put_class(&w, src, &i);
			break;
		case '(':
			if (src[i + 1] == '?' && src[i + 2] != ':') {
				ok = refuse(&w, "uses a lookaround or a named "
						"group, which POSIX lacks");
				break;
			}
			if (w.depth == PATTERN_MAX_GROUPS) {
				w.over_cap = true;
				ok = refuse(&w, "nests groups too deeply");
				break;
			}
			i += src[i + 1] == '?' ? 3 : 1;
			cz_buf_putc(out, '(');
			w.group[++w.depth] = 0;
			w.last = 0;
			break;
		case ')':
			if (!w.depth) {
				ok = refuse(&w, "has an unbalanced )");
				break;
			}
			i++;
			cz_buf_putc(out, ')');
			n = (size_t)w.group[w.depth--];
			ok = add_atom(&w, n ? n : 1);
			break;
		case '*': case '+': case '?': case '{':
			ok = put_quantifier(&w, src, &i);
			break;
		case '|': case '^': case '$':
			cz_buf_putc(out, ch);
			i++;
			w.last = 0;
			break;
		default:
			n = (unsigned char)ch >= 0x80 ? utf8_length(src + i) : 1;
			/* A repeated multibyte character is grouped, so that the
			 * quantifier applies to all its bytes. */
			if (n > 1 && is_quantifier_start(src[i + n])) {
				cz_buf_putc(out, '(');
				cz_buf_append(out, src + i, n);
				cz_buf_putc(out, ')');
			} else {
				cz_buf_append(out, src + i, n);
			}
			i += n;
			ok = add_atom(&w, 1);
			break;
		}
	}
	if (ok && w.depth)
		ok = refuse(&w, "has an unbalanced (");
	*why = w.why;
	*copies = w.copies;
	if (ok)
		return CZ_OK;
	return w.over_cap ? CZ_ETOOLARGE : CZ_ERR;
}

/* ------------------------------------------------------------------ */
/* Validation state                                                    */

/* One step down the instance: a member or an item. */
typedef struct ipath {
	const struct ipath *up;
	const char *key; /* NULL for an item */
	size_t index;
} ipath;

/* One subschema being applied, linked to the one that applied it. */
typedef struct frame {
	const struct frame *up;
	const json_t *schema;
	const json_t *instance;
	const ipath *at;
	const char *via; /* keyword that led here; the $ref text when ref */
	const char *key; /* member of via (properties/<key>), or NULL */
	size_t index;    /* item of via (allOf/<index>) when has_index */
	bool has_index;
	bool ref;
} frame;

typedef struct ref_target {
	const json_t *schema;
	const char *text; /* the $ref, borrowed from the schema */
} ref_target;

typedef struct ctx {
	const json_t *root;
	cz_error *err;

	/* check pass */
	cz_buf loc;
	ref_target *targets;
	size_t ntargets, targets_cap;
	cz_strmap target_refs; /* the $ref texts already in targets */
	pattern *patterns;
	size_t npatterns, patterns_cap;
	unsigned long long pattern_copies; /* over all patterns */

	/* evaluation pass */
	const char *prefix;
	cz_buf *errors;
	size_t max_errors;
	size_t nerrors;
	size_t depth;
	size_t steps;
	unsigned quiet;  /* > 0 inside a subschema whose failure is silent */
	cz_buf *capture; /* when quiet: receives the first message */
	bool stop;       /* no more violations will be written */
} ctx;

static void ctx_init(ctx *c, const json_t *root, cz_error *err)
{
	memset(c, 0, sizeof(*c));
	c->root = root;
	c->err = err;
	cz_buf_init(&c->loc, LOCATION_MAX);
}

static void ctx_release(ctx *c)
{
	for (size_t i = 0; i < c->npatterns; i++) {
		regfree(&c->patterns[i].re);
		free(c->patterns[i].source);
	}
	free(c->patterns);
	free(c->targets);
	cz_strmap_release(&c->target_refs);
	cz_buf_release(&c->loc);
}

static const regex_t *pattern_find(const ctx *c, const char *source)
{
	for (size_t i = 0; i < c->npatterns; i++)
		if (strcmp(c->patterns[i].source, source) == 0)
			return &c->patterns[i].re;
	return NULL;
}

static bool pattern_matches(const regex_t *re, const char *text, size_t len)
{
	regmatch_t span[1];
	int flags = 0;

	/* With REG_STARTEND the whole value is searched, NUL bytes
	 * included; without it, the text up to the first NUL. */
#ifdef REG_STARTEND
	span[0].rm_so = 0;
	span[0].rm_eo = (regoff_t)len;
	flags = REG_STARTEND;
#else
	(void)len;
#endif
	return regexec(re, text, 1, span, flags) == 0;
}

/* Appends a JSON pointer token, escaping "~" and "/". */
static void put_pointer_token(cz_buf *b, const char *token)
{
	cz_buf_putc(b, '/');
	for (const char *p = token; *p; p++) {
		if (*p == '~')
			cz_buf_puts(b, "~0");
		else if (*p == '/')
			cz_buf_puts(b, "~1");
		else
			cz_buf_putc(b, *p);
	}
}

/* Schema locations shown in messages keep their head and tail: a
 * location 256 levels deep would crowd the message out of cz_error. */
#define SHOWN_LOCATION_PART 120

/* Records "<location>: <msg>" in c->err; returns code. */
static int fail_at(ctx *c, int code, const char *location, const char *msg)
{
	size_t len = strlen(location);

	if (len <= 2 * SHOWN_LOCATION_PART + 5)
		return cz_fail(c->err, code, "%s: %s", location, msg);
	return cz_fail(c->err, code, "%.*s/.../%s: %s", SHOWN_LOCATION_PART,
		       location, location + len - SHOWN_LOCATION_PART, msg);
}

/* Check pass failure: "<schema location>: <message>". */
static int schema_fail(ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int schema_fail(ctx *c, int code, const char *fmt, ...)
{
	char msg[CZ_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_at(c, code, c->loc.data, msg);
}

/* Compiles source once per schema.  Returns CZ_OK, CZ_ERR when it cannot
 * be compiled, CZ_ETOOLARGE over a cap; the location is c->loc. */
static int pattern_add(ctx *c, const char *source, size_t len)
{
	cz_buf posix;
	const char *why = NULL;
	regex_t re;
	char reason[256];
	unsigned long long copies = 0;
	int rc = CZ_OK;
	int status;

	cz_buf_init(&posix, CZ_JSONSCHEMA_MAX_PATTERN_LEN * 16);
	if (strlen(source) != len) {
		rc = schema_fail(c, CZ_ERR, "pattern contains a NUL byte");
		goto cleanup;
	}
	if (pattern_find(c, source))
		goto cleanup;
	if (len > CZ_JSONSCHEMA_MAX_PATTERN_LEN) {
		rc = schema_fail(c, CZ_ETOOLARGE,
				 "pattern is longer than %d bytes",
				 CZ_JSONSCHEMA_MAX_PATTERN_LEN);
		goto cleanup;
	}
	if (c->npatterns == CZ_JSONSCHEMA_MAX_PATTERNS) {
		rc = schema_fail(c, CZ_ETOOLARGE,
				 "schema has more than %d distinct patterns",
				 CZ_JSONSCHEMA_MAX_PATTERNS);
		goto cleanup;
	}
	rc = translate_pattern(source, &posix, &why, &copies);
	if (rc < 0) {
		rc = schema_fail(c, rc, "pattern \"%.200s\" %s", source, why);
		goto cleanup;
	}
	c->pattern_copies += copies;
	if (c->pattern_copies > CZ_JSONSCHEMA_MAX_PATTERNS_COPIES) {
		rc = schema_fail(c, CZ_ETOOLARGE,
				 "patterns repeat their parts into more than %d "
				 "copies in all",
				 CZ_JSONSCHEMA_MAX_PATTERNS_COPIES);
		goto cleanup;
	}
	status = regcomp(&re, posix.data, REG_EXTENDED | REG_NOSUB);
	if (status != 0) {
		regerror(status, &re, reason, sizeof(reason));
		rc = schema_fail(c, CZ_ERR, "pattern \"%.200s\" does not compile: %s",
				 source, reason);
		goto cleanup;
	}
	CZ_GROW(c->patterns, c->npatterns + 1, c->patterns_cap);
	c->patterns[c->npatterns].source = cz_xstrdup(source);
	c->patterns[c->npatterns].re = re;
	c->npatterns++;
cleanup:
	cz_buf_release(&posix);
	return rc;
}

/* ------------------------------------------------------------------ */
/* $ref                                                                */

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Reads one pointer token ending at "/" or NUL from *p into token (which
 * has room for it), undoing ~0 and ~1; false on a bad "~" escape. */
static bool read_token(const char **p, char *token)
{
	size_t n = 0;

	while (**p && **p != '/') {
		if (**p == '~') {
			if ((*p)[1] != '0' && (*p)[1] != '1')
				return false;
			token[n++] = (*p)[1] == '0' ? '~' : '/';
			*p += 2;
		} else {
			token[n++] = *(*p)++;
		}
	}
	token[n] = '\0';
	return true;
}

/* The member or item that token names in node, or NULL. */
static const json_t *step_into(const json_t *node, const char *token)
{
	char *end = NULL;
	unsigned long long index;

	if (json_is_object(node))
		return json_object_get(node, token);
	if (!json_is_array(node) || !isdigit((unsigned char)token[0]) ||
	    (token[0] == '0' && token[1]))
		return NULL;
	index = strtoull(token, &end, 10);
	if (*end || index >= json_array_size(node))
		return NULL;
	return json_array_get(node, (size_t)index);
}

/* Resolves a local reference ("#", "#/definitions/a%20b/x~1y") against
 * root.  Returns CZ_OK with *target set, CZ_ERR for a reference this
 * validator does not take, CZ_ENOTFOUND when nothing is there; *why is a
 * static reason. */
static int resolve_ref(const json_t *root, const char *ref,
		       const json_t **target, const char **why)
{
	char *decoded = NULL;
	char *token = NULL;
	const char *p;
	const json_t *node = root;
	size_t n = 0;
	int rc = CZ_OK;

	*target = NULL;
	if (ref[0] != '#') {
		*why = "only references inside the schema (\"#/...\") are "
		       "supported";
		rc = CZ_ERR;
		goto cleanup;
	}
	decoded = cz_xmalloc(strlen(ref) + 1);
	token = cz_xmalloc(strlen(ref) + 1);
	/* The fragment is a URI fragment: percent-decode it first. */
	for (p = ref + 1; *p; p++) {
		int hi, lo;

		if (*p != '%') {
			decoded[n++] = *p;
			continue;
		}
		hi = hex_value(p[1]);
		lo = hi < 0 ? -1 : hex_value(p[2]);
		if (lo < 0 || (hi == 0 && lo == 0)) {
			*why = "has a bad percent escape";
			rc = CZ_ERR;
			goto cleanup;
		}
		decoded[n++] = (char)(hi * 16 + lo);
		p += 2;
	}
	decoded[n] = '\0';
	if (decoded[0] && decoded[0] != '/') {
		*why = "only JSON pointer fragments (\"#/...\") are supported";
		rc = CZ_ERR;
		goto cleanup;
	}
	for (p = decoded; *p == '/' && node;) {
		p++;
		if (!read_token(&p, token)) {
			*why = "has a \"~\" not followed by 0 or 1";
			rc = CZ_ERR;
			goto cleanup;
		}
		node = step_into(node, token);
	}
	if (!node) {
		*why = "does not resolve";
		rc = CZ_ENOTFOUND;
		goto cleanup;
	}
	if (!json_is_object(node) && !json_is_boolean(node)) {
		*why = "does not point to a schema";
		rc = CZ_ERR;
		goto cleanup;
	}
	*target = node;
cleanup:
	free(decoded);
	free(token);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Check pass                                                          */

typedef enum shape {
	SHAPE_SCHEMA,           /* a schema */
	SHAPE_SCHEMA_OR_LIST,   /* a schema or an array of schemas (items) */
	SHAPE_SCHEMA_LIST,      /* a non-empty array of schemas */
	SHAPE_SCHEMA_MAP,       /* an object of schemas */
	SHAPE_PATTERN_MAP,      /* an object of schemas keyed by patterns */
	SHAPE_COUNT,            /* a non-negative integer */
	SHAPE_NUMBER,
	SHAPE_POSITIVE,         /* a number > 0 */
	SHAPE_BOUND,            /* a number, or a boolean (draft-4) */
	SHAPE_BOOL,
	SHAPE_PATTERN,
	SHAPE_STRING,
	SHAPE_REF,
	SHAPE_NAMES,            /* an array of strings */
	SHAPE_TYPE,
	SHAPE_LIST,             /* an array */
	SHAPE_DEPENDENCIES,     /* an object of schemas or arrays of strings */
	SHAPE_NAMES_MAP,        /* an object of arrays of strings */
	SHAPE_VALUE,            /* any value */
} shape;

typedef struct keyword {
	const char *name;
	shape shape;
} keyword;

static const keyword keywords[] = {
	{ "type", SHAPE_TYPE },
	{ "enum", SHAPE_LIST },
	{ "const", SHAPE_VALUE },
	{ "properties", SHAPE_SCHEMA_MAP },
	{ "patternProperties", SHAPE_PATTERN_MAP },
	{ "additionalProperties", SHAPE_SCHEMA },
	{ "required", SHAPE_NAMES },
	{ "propertyNames", SHAPE_SCHEMA },
	{ "minProperties", SHAPE_COUNT },
	{ "maxProperties", SHAPE_COUNT },
	{ "dependencies", SHAPE_DEPENDENCIES },
	{ "dependentRequired", SHAPE_NAMES_MAP },
	{ "dependentSchemas", SHAPE_SCHEMA_MAP },
	{ "items", SHAPE_SCHEMA_OR_LIST },
	{ "additionalItems", SHAPE_SCHEMA },
	{ "contains", SHAPE_SCHEMA },
	{ "minItems", SHAPE_COUNT },
	{ "maxItems", SHAPE_COUNT },
	{ "uniqueItems", SHAPE_BOOL },
	{ "minLength", SHAPE_COUNT },
	{ "maxLength", SHAPE_COUNT },
	{ "pattern", SHAPE_PATTERN },
	{ "format", SHAPE_STRING },
	{ "minimum", SHAPE_NUMBER },
	{ "maximum", SHAPE_NUMBER },
	{ "exclusiveMinimum", SHAPE_BOUND },
	{ "exclusiveMaximum", SHAPE_BOUND },
	{ "multipleOf", SHAPE_POSITIVE },
	{ "allOf", SHAPE_SCHEMA_LIST },
	{ "anyOf", SHAPE_SCHEMA_LIST },
	{ "oneOf", SHAPE_SCHEMA_LIST },
	{ "not", SHAPE_SCHEMA },
	{ "if", SHAPE_SCHEMA },
	{ "then", SHAPE_SCHEMA },
	{ "else", SHAPE_SCHEMA },
	{ "definitions", SHAPE_SCHEMA_MAP },
	{ "$defs", SHAPE_SCHEMA_MAP },
	{ "$ref", SHAPE_REF },
};

static const char *const type_names[] = {
	"null", "boolean", "object", "array", "number", "string", "integer",
};

static bool is_type_name(const json_t *v)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), type_names[i]) == 0)
			return true;
	return false;
}

static bool is_integral(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return true;
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	return isfinite(d) && nearbyint(d) == d;
}

static bool is_count(const json_t *v)
{
	return is_integral(v) && json_number_value(v) >= 0;
}

/* A count keyword's value; counts past SIZE_MAX saturate. */
static size_t count_value(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return json_integer_value(v) < 0
			       ? 0
			       : (size_t)json_integer_value(v);
	d = json_real_value(v);
	if (!(d > 0))
		return 0;
	return d >= (double)SIZE_MAX ? SIZE_MAX : (size_t)d;
}

static bool is_name_list(const json_t *v)
{
	size_t i;
	json_t *item;

	if (!json_is_array(v))
		return false;
	json_array_foreach (iterable(v), i, item)
		if (!json_is_string(item))
			return false;
	return true;
}

/* Nesting of v (a scalar is 1), counting no further than limit + 1. */
static size_t value_depth(const json_t *v, size_t limit)
{
	size_t deepest = 0, d, i;
	const char *key;
	json_t *child;

	if (limit == 0 || (!json_is_object(v) && !json_is_array(v)))
		return 1;
	if (json_is_object(v)) {
		json_object_foreach (iterable(v), key, child) {
			d = value_depth(child, limit - 1);
			deepest = d > deepest ? d : deepest;
		}
	} else {
		json_array_foreach (iterable(v), i, child) {
			d = value_depth(child, limit - 1);
			deepest = d > deepest ? d : deepest;
		}
	}
	return deepest + 1;
}

static int check_schema(ctx *c, const json_t *s, size_t depth);

static size_t loc_push(ctx *c, const char *token)
{
	size_t mark = c->loc.len;

	put_pointer_token(&c->loc, token);
	return mark;
}

static size_t loc_push_index(ctx *c, size_t index)
{
	size_t mark = c->loc.len;

	cz_buf_printf(&c->loc, "/%zu", index);
	return mark;
}

static void loc_cut(ctx *c, size_t mark)
{
	c->loc.len = mark;
	c->loc.data[mark] = '\0';
}

static int check_schema_list(ctx *c, const json_t *v, size_t depth)
{
	size_t i, mark;
	json_t *item;
	int rc = CZ_OK;

	json_array_foreach (iterable(v), i, item) {
		mark = loc_push_index(c, i);
		rc = check_schema(c, item, depth + 1);
		if (rc < 0)
			return rc;
		loc_cut(c, mark);
	}
	return rc;
}

static int check_schema_map(ctx *c, const json_t *v, size_t depth,
			    bool keys_are_patterns)
{
	const char *key;
	json_t *item;
	size_t mark;
	int rc = CZ_OK;

	json_object_foreach (iterable(v), key, item) {
		mark = loc_push(c, key);
		if (keys_are_patterns) {
			rc = pattern_add(c, key, strlen(key));
			if (rc < 0)
				return rc;
		}
		rc = check_schema(c, item, depth + 1);
		if (rc < 0)
			return rc;
		loc_cut(c, mark);
	}
	return rc;
}

/* Remembers a $ref target, so that the check pass visits it (it may lie
 * outside any keyword the walk descends into).  Targets are told apart by
 * their $ref text: two spellings of one target are checked twice, which
 * is harmless. */
static void add_target(ctx *c, const json_t *target, const char *text)
{
	if (cz_strmap_has(&c->target_refs, text))
		return;
	cz_strmap_put(&c->target_refs, text, NULL);
	CZ_GROW(c->targets, c->ntargets + 1, c->targets_cap);
	c->targets[c->ntargets].schema = target;
	c->targets[c->ntargets].text = text;
	c->ntargets++;
}

static int check_keyword(ctx *c, const keyword *k, const json_t *v,
			 size_t depth)
{
	const json_t *target = NULL;
	const char *why = NULL;
	const char *key;
	json_t *item;
	size_t i;
	int rc = CZ_OK;

	switch (k->shape) {
	case SHAPE_SCHEMA:
		return check_schema(c, v, depth + 1);
	case SHAPE_SCHEMA_OR_LIST:
		if (json_is_array(v))
			return check_schema_list(c, v, depth);
		return check_schema(c, v, depth + 1);
	case SHAPE_SCHEMA_LIST:
		if (!json_is_array(v) || !json_array_size(v))
			return schema_fail(c, CZ_ERR,
					   "must be a non-empty array of schemas");
		return check_schema_list(c, v, depth);
	case SHAPE_SCHEMA_MAP:
	case SHAPE_PATTERN_MAP:
		if (!json_is_object(v))
			return schema_fail(c, CZ_ERR,
					   "must be an object of schemas");
		return check_schema_map(c, v, depth,
					k->shape == SHAPE_PATTERN_MAP);
	case SHAPE_COUNT:
		if (!is_count(v))
			return schema_fail(c, CZ_ERR,
					   "must be a non-negative integer");
		return CZ_OK;
	case SHAPE_NUMBER:
		if (!json_is_number(v))
			return schema_fail(c, CZ_ERR, "must be a number");
		return CZ_OK;
	case SHAPE_POSITIVE:
		if (!json_is_number(v) || !(json_number_value(v) > 0))
			return schema_fail(c, CZ_ERR,
					   "must be a number greater than 0");
		return CZ_OK;
	case SHAPE_BOUND:
		if (!json_is_number(v) && !json_is_boolean(v))
			return schema_fail(c, CZ_ERR,
					   "must be a number (or a boolean, "
					   "as in draft-4)");
		return CZ_OK;
	case SHAPE_BOOL:
		if (!json_is_boolean(v))
			return schema_fail(c, CZ_ERR, "must be a boolean");
		return CZ_OK;
	case SHAPE_PATTERN:
		if (!json_is_string(v))
			return schema_fail(c, CZ_ERR, "must be a string");
		return pattern_add(c, json_string_value(v),
				   json_string_length(v));
	case SHAPE_STRING:
		if (!json_is_string(v))
			return schema_fail(c, CZ_ERR, "must be a string");
		return CZ_OK;
	case SHAPE_REF:
		if (!json_is_string(v))
			return schema_fail(c, CZ_ERR, "must be a string");
		rc = resolve_ref(c->root, json_string_value(v), &target, &why);
		if (rc < 0)
			return schema_fail(c, rc, "\"%.200s\" %s",
					   json_string_value(v), why);
		add_target(c, target, json_string_value(v));
		return CZ_OK;
	case SHAPE_NAMES:
		if (!is_name_list(v))
			return schema_fail(c, CZ_ERR,
					   "must be an array of strings");
		return CZ_OK;
	case SHAPE_TYPE:
		if (json_is_array(v) && json_array_size(v)) {
			json_array_foreach (iterable(v), i, item)
				if (!is_type_name(item))
					break;
			if (i == json_array_size(v))
				return CZ_OK;
		} else if (is_type_name(v)) {
			return CZ_OK;
		}
		return schema_fail(c, CZ_ERR,
				   "must be a type name (null, boolean, object, "
				   "array, number, string, integer) or a "
				   "non-empty array of them");
	case SHAPE_LIST:
		if (!json_is_array(v))
			return schema_fail(c, CZ_ERR, "must be an array");
		if (value_depth(v, CZ_JSONSCHEMA_MAX_DEPTH) >
		    CZ_JSONSCHEMA_MAX_DEPTH)
			return schema_fail(c, CZ_ETOOLARGE,
					   "nests deeper than %d levels",
					   CZ_JSONSCHEMA_MAX_DEPTH);
		return CZ_OK;
	case SHAPE_VALUE:
		if (value_depth(v, CZ_JSONSCHEMA_MAX_DEPTH) >
		    CZ_JSONSCHEMA_MAX_DEPTH)
			return schema_fail(c, CZ_ETOOLARGE,
					   "nests deeper than %d levels",
					   CZ_JSONSCHEMA_MAX_DEPTH);
		return CZ_OK;
	case SHAPE_DEPENDENCIES:
	case SHAPE_NAMES_MAP:
		if (!json_is_object(v))
			return schema_fail(c, CZ_ERR, "must be an object");
		json_object_foreach (iterable(v), key, item) {
			size_t mark = loc_push(c, key);

			if (is_name_list(item))
				rc = CZ_OK;
			else if (k->shape == SHAPE_DEPENDENCIES)
				rc = check_schema(c, item, depth + 1);
			else
				rc = schema_fail(c, CZ_ERR,
						 "must be an array of strings");
			if (rc < 0)
				return rc;
			loc_cut(c, mark);
		}
		return CZ_OK;
	}
	return rc;
}

/* Checks the schema s found at c->loc, and everything under it. */
static int check_schema(ctx *c, const json_t *s, size_t depth)
{
	bool has_ref;
	int rc = CZ_OK;

	if (depth > CZ_JSONSCHEMA_MAX_DEPTH)
		return schema_fail(c, CZ_ETOOLARGE,
				   "schema nests deeper than %d levels",
				   CZ_JSONSCHEMA_MAX_DEPTH);
	/* Targets are checked again, and targets inside targets again: the
	 * budget bounds what a schema made of references can cost. */
	if (++c->steps > CZ_JSONSCHEMA_MAX_STEPS)
		return schema_fail(c, CZ_ETOOLARGE,
				   "schema has more than %d subschemas to check",
				   CZ_JSONSCHEMA_MAX_STEPS);
	if (json_is_boolean(s))
		return CZ_OK;
	if (!json_is_object(s))
		return schema_fail(c, CZ_ERR,
				   "a schema must be an object or a boolean");
	/* Draft-07 ignores the siblings of $ref; the definitions next to it
	 * are still checked, as references lead into them. */
	has_ref = json_object_get(s, "$ref") != NULL;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		const keyword *k = &keywords[i];
		const json_t *v = json_object_get(s, k->name);
		size_t mark;

		if (!v || (has_ref && k->shape != SHAPE_REF &&
			   strcmp(k->name, "definitions") != 0 &&
			   strcmp(k->name, "$defs") != 0))
			continue;
		mark = loc_push(c, k->name);
		rc = check_keyword(c, k, v, depth);
		if (rc < 0)
			return rc;
		loc_cut(c, mark);
	}
	return rc;
}

static int check_all(ctx *c)
{
	int rc;

	cz_buf_reset(&c->loc);
	cz_buf_putc(&c->loc, '#');
	rc = check_schema(c, c->root, 1);
	/* Targets found while checking targets are appended and visited in
	 * turn; each is visited once. */
	for (size_t i = 0; rc == CZ_OK && i < c->ntargets; i++) {
		cz_buf_reset(&c->loc);
		cz_buf_puts(&c->loc, c->targets[i].text);
		rc = check_schema(c, c->targets[i].schema, 1);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

static bool is_plain_name(const char *key)
{
	if (!*key)
		return false;
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

/* Appends the segments of at; start is where the line's path began. */
static void put_segments(cz_buf *b, size_t start, const ipath *at)
{
	if (!at)
		return;
	put_segments(b, start, at->up);
	if (!at->key) {
		cz_buf_printf(b, "[%zu]", at->index);
	} else if (is_plain_name(at->key)) {
		if (b->len > start)
			cz_buf_putc(b, '.');
		cz_buf_puts(b, at->key);
	} else {
		cz_buf_putc(b, '[');
		cz_buf_put_quoted(b, at->key);
		cz_buf_putc(b, ']');
	}
}

/* The schema location of f as a JSON pointer, from its nearest $ref. */
static void put_location(cz_buf *b, const frame *f)
{
	if (!f || !f->via) {
		cz_buf_putc(b, '#');
		return;
	}
	if (f->ref) {
		cz_buf_puts(b, f->via);
		return;
	}
	put_location(b, f->up);
	put_pointer_token(b, f->via);
	if (f->key)
		put_pointer_token(b, f->key);
	else if (f->has_index)
		cz_buf_printf(b, "/%zu", f->index);
}

/* Evaluation pass failure of the schema at f. */
static int frame_fail(ctx *c, const frame *f, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int frame_fail(ctx *c, const frame *f, int code, const char *fmt, ...)
{
	char msg[CZ_ERROR_MSG_MAX];
	cz_buf where;
	va_list ap;

	cz_buf_init(&where, LOCATION_MAX);
	put_location(&where, f);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_at(c, code, where.data, msg);
	cz_buf_release(&where);
	return code;
}

static void put_number(cz_buf *b, const json_t *n)
{
	char text[40];
	double d = json_real_value(n);

	if (json_is_integer(n)) {
		cz_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(n));
		return;
	}
	/* The shortest text that reads back as the same double. */
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, d);
		if (strtod(text, NULL) == d)
			break;
	}
	cz_buf_puts(b, text);
}

static void put_string_value(cz_buf *b, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = strlen(s);
	char *cut = NULL;

	if (len <= SHOWN_STRING_MAX) {
		cz_buf_put_quoted(b, s);
		return;
	}
	len = SHOWN_STRING_MAX;
	while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	cut = cz_xstrndup(s, len);
	cz_buf_put_quoted(b, cut);
	cz_buf_puts(b, "...");
	free(cut);
}

/* Appends v as it reads in a message.  Objects and arrays from the
 * instance are named only: they may be huge or deeply nested; the
 * schema's own (enum, const) are written out, cut at a length. */
static void put_value(cz_buf *b, const json_t *v, bool whole)
{
	char *dump = NULL;

	switch (json_typeof(v)) {
	case JSON_STRING:
		put_string_value(b, v);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		put_number(b, v);
		break;
	case JSON_TRUE:
		cz_buf_puts(b, "true");
		break;
	case JSON_FALSE:
		cz_buf_puts(b, "false");
		break;
	case JSON_NULL:
		cz_buf_puts(b, "null");
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (!whole) {
			cz_buf_puts(b, json_is_object(v) ? "an object"
							 : "an array");
			break;
		}
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (dump && strlen(dump) > SHOWN_STRING_MAX)
			cz_buf_printf(b, "%.*s...", SHOWN_STRING_MAX, dump);
		else if (dump)
			cz_buf_puts(b, dump);
		break;
	}
	free(dump);
}

/* "string \"three\"", "integer 3", "object": a value and its type. */
static void put_typed_value(cz_buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: cz_buf_puts(b, "string "); break;
	case JSON_INTEGER: cz_buf_puts(b, "integer "); break;
	case JSON_REAL: cz_buf_puts(b, "number "); break;
	case JSON_TRUE: case JSON_FALSE: cz_buf_puts(b, "boolean "); break;
	case JSON_OBJECT: cz_buf_puts(b, "object"); return;
	case JSON_ARRAY: cz_buf_puts(b, "array"); return;
	case JSON_NULL: break;
	}
	put_value(b, v, false);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ------------------------------------------------------------------ */
/* Reporting                                                           */

/* Whether a violation found now would be written anywhere. */
static bool wants_message(const ctx *c)
{
	if (c->quiet)
		return c->capture && !c->capture->len;
	return !c->stop;
}

/* Records a violation at path at with message msg; returns CZ_EINVALID. */
static int report(ctx *c, const ipath *at, const char *msg)
{
	size_t mark;
	int rc = CZ_OK;

	if (!wants_message(c))
		return CZ_EINVALID;
	if (c->quiet) {
		cz_buf_puts(c->capture, msg);
		return CZ_EINVALID;
	}
	mark = c->errors->len;
	if (*c->prefix || at) {
		rc = cz_buf_puts(c->errors, c->prefix);
		put_segments(c->errors, mark, at);
	} else {
		rc = cz_buf_puts(c->errors, "(root)");
	}
	if (rc == CZ_OK)
		rc = cz_buf_printf(c->errors, ": %s\n", msg);
	if (rc != CZ_OK) {
		/* The caller's buffer is full: keep whole lines only. */
		c->errors->len = mark;
		c->errors->data[mark] = '\0';
		c->stop = true;
		return CZ_EINVALID;
	}
	if (++c->nerrors >= c->max_errors)
		c->stop = true;
	return CZ_EINVALID;
}

static int reportf(ctx *c, const ipath *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reportf(ctx *c, const ipath *at, const char *fmt, ...)
{
	cz_buf msg;
	va_list ap;
	int rc;

	if (!wants_message(c))
		return CZ_EINVALID;
	cz_buf_init(&msg, MESSAGE_MAX);
	va_start(ap, fmt);
	cz_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	rc = report(c, at, msg.data);
	cz_buf_release(&msg);
	return rc;
}

/* Folds one check's result into *acc.  Returns false when evaluation of
 * this schema should stop: on a schema problem, or on a violation when no
 * more will be written (a quiet evaluation only needs yes or no; the
 * error cap was reached). */
static bool fold(const ctx *c, int rc, int *acc)
{
	if (rc == CZ_OK)
		return true;
	*acc = rc;
	if (rc != CZ_EINVALID)
		return false;
	return !c->quiet && !c->stop;
}

/* The min/max pair of one count (minLength/maxLength, minItems/maxItems,
 * minProperties/maxProperties): n must lie between them.  verb and unit
 * shape the message: "must be at least 3 characters long, got 1". */
typedef struct count_rule {
	const char *min_key, *max_key;
	const char *verb;      /* "be" or "have" */
	const char *one, *many; /* "character", "characters" */
	const char *suffix;    /* " long" or "" */
} count_rule;

static bool check_counts(ctx *c, const frame *f, const json_t *s,
			 const count_rule *r, size_t n, int *rc)
{
	const json_t *min = json_object_get(s, r->min_key);
	const json_t *max = json_object_get(s, r->max_key);

	if (min && n < count_value(min) &&
	    !fold(c, reportf(c, f->at, "must %s at least %zu %s%s, got %zu",
			     r->verb, count_value(min),
			     plural(count_value(min), r->one, r->many),
			     r->suffix, n),
		  rc))
		return false;
	if (max && n > count_value(max) &&
	    !fold(c, reportf(c, f->at, "must %s at most %zu %s%s, got %zu",
			     r->verb, count_value(max),
			     plural(count_value(max), r->one, r->many),
			     r->suffix, n),
		  rc))
		return false;
	return true;
}

static const count_rule length_rule = { "minLength", "maxLength", "be",
					"character", "characters", " long" };
static const count_rule items_rule = { "minItems", "maxItems", "have", "item",
				       "items", "" };
static const count_rule properties_rule = { "minProperties", "maxProperties",
					    "have", "property", "properties",
					    "" };

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

static int eval(ctx *c, const frame *f);

/* Spends one step of the budget. */
static int spend(ctx *c, const frame *f)
{
	if (++c->steps > CZ_JSONSCHEMA_MAX_STEPS)
		return frame_fail(c, f, CZ_ETOOLARGE,
				  "validation needs more than %d steps",
				  CZ_JSONSCHEMA_MAX_STEPS);
	return CZ_OK;
}

/* Evaluates child without writing anything: CZ_OK when the instance
 * matches, CZ_EINVALID when not, or a schema problem. */
static int probe(ctx *c, const frame *child)
{
	cz_buf *capture = c->capture;
	int rc;

	c->quiet++;
	c->capture = NULL;
	rc = eval(c, child);
	c->quiet--;
	c->capture = capture;
	return rc;
}

/* Compares two JSON numbers: <0, 0 or >0.  long double holds every
 * 64-bit integer exactly where it matters (x86-64, aarch64). */
static int compare_numbers(const json_t *a, const json_t *b)
{
	long double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return (i > j) - (i < j);
	}
	x = json_is_integer(a) ? (long double)json_integer_value(a)
			       : (long double)json_real_value(a);
	y = json_is_integer(b) ? (long double)json_integer_value(b)
			       : (long double)json_real_value(b);
	return (x > y) - (x < y);
}

/* Deep equality where numbers compare by value (1 equals 1.0). */
static bool same_json(const json_t *a, const json_t *b, size_t depth)
{
	const char *key;
	json_t *va;
	size_t i;

	if (a == b)
		return true;
	if (json_is_number(a) && json_is_number(b))
		return compare_numbers(a, b) == 0;
	if (json_typeof(a) != json_typeof(b) || depth > SAME_MAX_DEPTH)
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach (iterable(a), key, va) {
			const json_t *vb = json_object_get(b, key);

			if (!vb || !same_json(va, vb, depth + 1))
				return false;
		}
		return true;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach (iterable(a), i, va)
			if (!same_json(va, json_array_get(b, i), depth + 1))
				return false;
		return true;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b),
			      json_string_length(a)) == 0;
	default:
		return true;
	}
}

static bool has_type(const json_t *v, const char *type)
{
	if (strcmp(type, "integer") == 0)
		return is_integral(v);
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	return strcmp(type, "null") == 0 && json_is_null(v);
}

static int eval_type(ctx *c, const frame *f, const json_t *type)
{
	const json_t *v = f->instance;
	size_t n = json_is_array(type) ? json_array_size(type) : 1;
	cz_buf msg;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const json_t *name = json_is_array(type)
					     ? json_array_get(type, i)
					     : type;

		if (json_is_string(name) &&
		    has_type(v, json_string_value(name)))
			return CZ_OK;
	}
	if (!wants_message(c))
		return CZ_EINVALID;
	cz_buf_init(&msg, MESSAGE_MAX);
	cz_buf_puts(&msg, "expected ");
	for (size_t i = 0; i < n; i++) {
		const json_t *name = json_is_array(type)
					     ? json_array_get(type, i)
					     : type;

		if (i)
			cz_buf_puts(&msg, i + 1 == n ? " or " : ", ");
		cz_buf_puts(&msg, json_string_value(name));
	}
	cz_buf_puts(&msg, ", got ");
	put_typed_value(&msg, v);
	rc = report(c, f->at, msg.data);
	cz_buf_release(&msg);
	return rc;
}

static int eval_enum(ctx *c, const frame *f, const json_t *list)
{
	size_t n = json_array_size(list);
	cz_buf msg;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (same_json(f->instance, json_array_get(list, i), 0))
			return CZ_OK;
	if (!wants_message(c))
		return CZ_EINVALID;
	cz_buf_init(&msg, MESSAGE_MAX);
	if (!n)
		cz_buf_puts(&msg, "no value is allowed (enum is empty)");
	else
		cz_buf_puts(&msg, n == 1 ? "must be " : "must be one of ");
	for (size_t i = 0; i < n && i < SHOWN_ENUM_MAX; i++) {
		if (i)
			cz_buf_puts(&msg, ", ");
		put_value(&msg, json_array_get(list, i), true);
	}
	if (n > SHOWN_ENUM_MAX)
		cz_buf_printf(&msg, ", ... (%zu values)", n);
	if (n) {
		cz_buf_puts(&msg, ", got ");
		put_value(&msg, f->instance, false);
	}
	rc = report(c, f->at, msg.data);
	cz_buf_release(&msg);
	return rc;
}

static int eval_const(ctx *c, const frame *f, const json_t *expected)
{
	cz_buf msg;
	int rc;

	if (same_json(f->instance, expected, 0))
		return CZ_OK;
	if (!wants_message(c))
		return CZ_EINVALID;
	cz_buf_init(&msg, MESSAGE_MAX);
	cz_buf_puts(&msg, "must be ");
	put_value(&msg, expected, true);
	cz_buf_puts(&msg, ", got ");
	put_value(&msg, f->instance, false);
	rc = report(c, f->at, msg.data);
	cz_buf_release(&msg);
	return rc;
}

/* Reports "must be <op> <bound>, got <value>" when the bound fails. */
static int check_bound(ctx *c, const frame *f, const json_t *bound,
		       bool lower, bool exclusive)
{
	int cmp = compare_numbers(f->instance, bound);
	bool ok = lower ? (exclusive ? cmp > 0 : cmp >= 0)
			: (exclusive ? cmp < 0 : cmp <= 0);
	cz_buf msg;
	int rc;

	if (ok)
		return CZ_OK;
	if (!wants_message(c))
		return CZ_EINVALID;
	cz_buf_init(&msg, MESSAGE_MAX);
	cz_buf_printf(&msg, "must be %s%s ", lower ? ">" : "<",
		      exclusive ? "" : "=");
	put_number(&msg, bound);
	cz_buf_puts(&msg, ", got ");
	put_number(&msg, f->instance);
	rc = report(c, f->at, msg.data);
	cz_buf_release(&msg);
	return rc;
}

static bool is_multiple(const json_t *v, const json_t *divisor)
{
	long double q, nearest;

	if (json_is_integer(v) && json_is_integer(divisor))
		return json_integer_value(v) % json_integer_value(divisor) == 0;
	q = (long double)json_number_value(v) /
	    (long double)json_number_value(divisor);
	if (!isfinite(q))
		return false;
	/* Decimal fractions are inexact in binary (0.3 / 0.1 is
	 * 2.9999999999999996): accept a quotient within a relative 1e-9 of
	 * an integer. */
	nearest = nearbyintl(q);
	return fabsl(q - nearest) <= 1e-9L * (fabsl(q) > 1 ? fabsl(q) : 1);
}

static int eval_number(ctx *c, const frame *f)
{
	const json_t *s = f->schema, *v = f->instance;
	const json_t *bound, *excl, *divisor;
	cz_buf msg;
	int rc = CZ_OK;

	bound = json_object_get(s, "minimum");
	excl = json_object_get(s, "exclusiveMinimum");
	if (bound && !fold(c, check_bound(c, f, bound, true, json_is_true(excl)),
			   &rc))
		return rc;
	if (json_is_number(excl) &&
	    !fold(c, check_bound(c, f, excl, true, true), &rc))
		return rc;
	bound = json_object_get(s, "maximum");
	excl = json_object_get(s, "exclusiveMaximum");
	if (bound && !fold(c, check_bound(c, f, bound, false,
					  json_is_true(excl)),
			   &rc))
		return rc;
	if (json_is_number(excl) &&
	    !fold(c, check_bound(c, f, excl, false, true), &rc))
		return rc;
	divisor = json_object_get(s, "multipleOf");
	if (json_is_number(divisor) && json_number_value(divisor) > 0 &&
	    !is_multiple(v, divisor)) {
		int found = CZ_EINVALID;

		if (wants_message(c)) {
			cz_buf_init(&msg, MESSAGE_MAX);
			cz_buf_puts(&msg, "must be a multiple of ");
			put_number(&msg, divisor);
			cz_buf_puts(&msg, ", got ");
			put_number(&msg, v);
			found = report(c, f->at, msg.data);
			cz_buf_release(&msg);
		}
		fold(c, found, &rc);
	}
	return rc;
}

/* Unicode code points in a UTF-8 string. */
static size_t code_points(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

static bool digits_at(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int number_at(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* RFC 3339 full-date: YYYY-MM-DD with a day that exists. */
static bool is_date(const char *s, size_t len)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	int year, month, day;

	if (len != 10 || !digits_at(s, 4) || s[4] != '-' ||
	    !digits_at(s + 5, 2) || s[7] != '-' || !digits_at(s + 8, 2))
		return false;
	year = number_at(s, 4);
	month = number_at(s + 5, 2);
	day = number_at(s + 8, 2);
	if (month < 1 || month > 12 || day < 1 || day > days[month - 1])
		return false;
	return month != 2 || day < 29 ||
	       (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
}

/* RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static bool is_time(const char *s, size_t len)
{
	size_t i = 8;

	if (len < 9 || !digits_at(s, 2) || s[2] != ':' || !digits_at(s + 3, 2) ||
	    s[5] != ':' || !digits_at(s + 6, 2) || number_at(s, 2) > 23 ||
	    number_at(s + 3, 2) > 59 || number_at(s + 6, 2) > 60)
		return false;
	if (s[i] == '.') {
		i++;
		if (i >= len || !isdigit((unsigned char)s[i]))
			return false;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z'))
		return i + 1 == len;
	return i + 6 == len && (s[i] == '+' || s[i] == '-') &&
	       digits_at(s + i + 1, 2) && s[i + 3] == ':' &&
	       digits_at(s + i + 4, 2) && number_at(s + i + 1, 2) <= 23 &&
	       number_at(s + i + 4, 2) <= 59;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and
 * hyphens, 1 to 63 bytes, no hyphen at either end, 253 bytes in all. */
static bool is_hostname(const char *s, size_t len)
{
	size_t label = 0;

	if (!len || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!label || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) ||
			   (s[i] == '-' && label)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool is_uuid(const char *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Whether s fits format; formats not listed here accept anything. */
static bool fits_format(const char *format, const char *s, size_t len)
{
	unsigned char addr[16];
	const char *at, *t;

	if (strlen(s) != len)
		return false; /* a NUL byte fits none of them */
	if (strcmp(format, "date-time") == 0) {
		t = len > 10 ? s + 10 : NULL;
		return t && (*t == 'T' || *t == 't') && is_date(s, 10) &&
		       is_time(t + 1, len - 11);
	}
	if (strcmp(format, "date") == 0)
		return is_date(s, len);
	if (strcmp(format, "time") == 0)
		return is_time(s, len);
	if (strcmp(format, "ipv4") == 0)
		return inet_pton(AF_INET, s, addr) == 1;
	if (strcmp(format, "ipv6") == 0)
		return inet_pton(AF_INET6, s, addr) == 1;
	if (strcmp(format, "hostname") == 0)
		return is_hostname(s, len);
	if (strcmp(format, "uuid") == 0)
		return is_uuid(s, len);
	if (strcmp(format, "email") == 0) {
		at = strrchr(s, '@');
		return at && at != s && !strchr(s, ' ') &&
		       is_hostname(at + 1, len - (size_t)(at + 1 - s));
	}
	return true;
}

static int eval_string(ctx *c, const frame *f)
{
	const json_t *s = f->schema, *v = f->instance;
	const char *text = json_string_value(v);
	size_t len = json_string_length(v);
	const json_t *pat, *format;
	const regex_t *re;
	cz_buf msg;
	size_t n = 0;
	int found;
	int rc = CZ_OK;

	if (json_object_get(s, "minLength") || json_object_get(s, "maxLength"))
		n = code_points(text, len);
	if (!check_counts(c, f, s, &length_rule, n, &rc))
		return rc;
	pat = json_object_get(s, "pattern");
	if (json_is_string(pat)) {
		re = pattern_find(c, json_string_value(pat));
		if (!re)
			return frame_fail(c, f, CZ_ERR,
					  "pattern was not compiled");
		if (!pattern_matches(re, text, len)) {
			found = CZ_EINVALID;
			if (wants_message(c)) {
				cz_buf_init(&msg, MESSAGE_MAX);
				cz_buf_puts(&msg, "does not match pattern ");
				cz_buf_put_quoted(&msg, json_string_value(pat));
				found = report(c, f->at, msg.data);
				cz_buf_release(&msg);
			}
			if (!fold(c, found, &rc))
				return rc;
		}
	}
	format = json_object_get(s, "format");
	if (json_is_string(format) &&
	    !fits_format(json_string_value(format), text, len)) {
		found = CZ_EINVALID;
		if (wants_message(c)) {
			cz_buf_init(&msg, MESSAGE_MAX);
			cz_buf_puts(&msg, "does not match format ");
			cz_buf_put_quoted(&msg, json_string_value(format));
			cz_buf_puts(&msg, ", got ");
			put_value(&msg, v, false);
			found = report(c, f->at, msg.data);
			cz_buf_release(&msg);
		}
		fold(c, found, &rc);
	}
	return rc;
}

static int eval_array(ctx *c, const frame *f)
{
	const json_t *s = f->schema, *v = f->instance;
	const json_t *items = json_object_get(s, "items");
	const json_t *extra = json_object_get(s, "additionalItems");
	const json_t *contains = json_object_get(s, "contains");
	size_t n = json_array_size(v);
	size_t positional = json_is_array(items) ? json_array_size(items) : 0;
	int rc = CZ_OK;

	for (size_t i = 0; items && i < n; i++) {
		ipath here = { f->at, NULL, i };
		frame child = { .up = f, .instance = json_array_get(v, i),
				.at = &here, .via = "items" };

		if (json_is_array(items) && i < positional) {
			child.schema = json_array_get(items, i);
			child.index = i;
			child.has_index = true;
		} else if (json_is_array(items) && extra) {
			child.schema = extra;
			child.via = "additionalItems";
		} else if (!json_is_array(items)) {
			child.schema = items;
		} else {
			break;
		}
		if (!fold(c, eval(c, &child), &rc))
			return rc;
	}
	if (!check_counts(c, f, s, &items_rule, n, &rc))
		return rc;
	if (json_is_true(json_object_get(s, "uniqueItems"))) {
		for (size_t i = 0; i < n; i++) {
			for (size_t j = i + 1; j < n; j++) {
				int spent = spend(c, f);

				if (spent < 0)
					return spent;
				if (!same_json(json_array_get(v, i),
					       json_array_get(v, j), 0))
					continue;
				if (!fold(c, reportf(c, f->at,
						     "must not contain duplicate "
						     "items, [%zu] and [%zu] are "
						     "equal",
						     i, j),
					  &rc))
					return rc;
				i = j = n; /* one pair says enough */
			}
		}
	}
	if (contains) {
		int found = CZ_EINVALID;

		for (size_t i = 0; i < n && found == CZ_EINVALID; i++) {
			ipath here = { f->at, NULL, i };
			frame child = { .up = f, .schema = contains,
					.instance = json_array_get(v, i),
					.at = &here, .via = "contains" };

			found = probe(c, &child);
		}
		if (found == CZ_EINVALID)
			found = report(c, f->at,
				       "must contain at least one item matching "
				       "the \"contains\" schema");
		fold(c, found, &rc);
	}
	return rc;
}

/* Applies properties, patternProperties and additionalProperties to each
 * member of the object. */
static int eval_members(ctx *c, const frame *f)
{
	const json_t *s = f->schema, *v = f->instance;
	const json_t *props = json_object_get(s, "properties");
	const json_t *patterns = json_object_get(s, "patternProperties");
	const json_t *extra = json_object_get(s, "additionalProperties");
	const char *key, *pat;
	json_t *item, *sub;
	cz_buf msg;
	int found;
	int rc = CZ_OK;

	if (!props && !patterns && !extra)
		return CZ_OK;
	json_object_foreach (iterable(v), key, item) {
		ipath here = { f->at, key, 0 };
		bool matched = false;

		sub = props ? json_object_get(props, key) : NULL;
		if (sub) {
			frame child = { .up = f, .schema = sub, .instance = item,
					.at = &here, .via = "properties",
					.key = key };

			matched = true;
			if (!fold(c, eval(c, &child), &rc))
				return rc;
		}
		json_object_foreach (iterable(patterns), pat, sub) {
			const regex_t *re = pattern_find(c, pat);
			frame child = { .up = f, .schema = sub, .instance = item,
					.at = &here, .via = "patternProperties",
					.key = pat };

			if (!re)
				return frame_fail(c, f, CZ_ERR,
						  "pattern was not compiled");
			if (!pattern_matches(re, key, strlen(key)))
				continue;
			matched = true;
			if (!fold(c, eval(c, &child), &rc))
				return rc;
		}
		if (matched || !extra) {
			continue;
		} else if (json_is_false(extra)) {
			found = CZ_EINVALID;
			if (wants_message(c)) {
				cz_buf_init(&msg, MESSAGE_MAX);
				cz_buf_puts(&msg, "property ");
				cz_buf_put_quoted(&msg, key);
				cz_buf_puts(&msg, " is not allowed");
				found = report(c, f->at, msg.data);
				cz_buf_release(&msg);
			}
			if (!fold(c, found, &rc))
				return rc;
		} else {
			frame child = { .up = f, .schema = extra,
					.instance = item, .at = &here,
					.via = "additionalProperties" };

			if (!fold(c, eval(c, &child), &rc))
				return rc;
		}
	}
	return rc;
}

/* Reports each name of names that obj lacks; when is set, the names are
 * required because property when is present. */
static int require_names(ctx *c, const frame *f, const json_t *names,
			 const char *when)
{
	size_t i;
	json_t *name;
	cz_buf msg;
	int found;
	int rc = CZ_OK;

	json_array_foreach (iterable(names), i, name) {
		if (!json_is_string(name) ||
		    json_object_get(f->instance, json_string_value(name)))
			continue;
		found = CZ_EINVALID;
		if (wants_message(c)) {
			cz_buf_init(&msg, MESSAGE_MAX);
			cz_buf_puts(&msg, when ? "property " : "required property ");
			cz_buf_put_quoted(&msg, json_string_value(name));
			if (when) {
				cz_buf_puts(&msg, " is required when ");
				cz_buf_put_quoted(&msg, when);
				cz_buf_puts(&msg, " is present");
			} else {
				cz_buf_puts(&msg, " is missing");
			}
			found = report(c, f->at, msg.data);
			cz_buf_release(&msg);
		}
		if (!fold(c, found, &rc))
			return rc;
	}
	return rc;
}

/* dependencies (draft-07: names or a schema per property),
 * dependentRequired and dependentSchemas (2019-09). */
static int eval_dependencies(ctx *c, const frame *f, const char *dep_keyword)
{
	const json_t *deps = json_object_get(f->schema, dep_keyword);
	const char *key;
	json_t *dep;
	int rc = CZ_OK;

	json_object_foreach (iterable(deps), key, dep) {
		frame child = { .up = f, .schema = dep,
				.instance = f->instance, .at = f->at,
				.via = dep_keyword, .key = key };

		if (!json_object_get(f->instance, key))
			continue;
		if (json_is_array(dep)) {
			if (!fold(c, require_names(c, f, dep, key), &rc))
				return rc;
		} else if (!fold(c, eval(c, &child), &rc)) {
			return rc;
		}
	}
	return rc;
}

static int eval_property_names(ctx *c, const frame *f, const json_t *names)
{
	cz_buf *capture = c->capture;
	cz_buf why, msg;
	const char *key;
	json_t *item;
	json_t *name = NULL;
	int rc = CZ_OK;
	int found;

	cz_buf_init(&why, MESSAGE_MAX);
	cz_buf_init(&msg, MESSAGE_MAX);
	json_object_foreach (iterable(f->instance), key, item) {
		frame child = { .up = f, .schema = names, .at = f->at,
				.via = "propertyNames" };

		json_decref(name);
		name = json_string(key);
		child.instance = name;
		cz_buf_reset(&why);
		/* Quiet, but keeping the first reason for the message. */
		c->quiet++;
		c->capture = &why;
		found = eval(c, &child);
		c->quiet--;
		c->capture = capture;
		if (found == CZ_EINVALID && wants_message(c)) {
			cz_buf_reset(&msg);
			cz_buf_puts(&msg, "property name ");
			cz_buf_put_quoted(&msg, key);
			cz_buf_printf(&msg, " is not valid: %s", why.data);
			found = report(c, f->at, msg.data);
		}
		if (!fold(c, found, &rc))
			goto cleanup;
	}
cleanup:
	json_decref(name);
	cz_buf_release(&why);
	cz_buf_release(&msg);
	return rc;
}

static int eval_object(ctx *c, const frame *f)
{
	const json_t *s = f->schema;
	const json_t *limit, *names;
	size_t n = json_object_size(f->instance);
	int rc = CZ_OK;

	limit = json_object_get(s, "required");
	if (limit && !fold(c, require_names(c, f, limit, NULL), &rc))
		return rc;
	if (!fold(c, eval_members(c, f), &rc))
		return rc;
	names = json_object_get(s, "propertyNames");
	if (names && !fold(c, eval_property_names(c, f, names), &rc))
		return rc;
	if (!check_counts(c, f, s, &properties_rule, n, &rc))
		return rc;
	if (!fold(c, eval_dependencies(c, f, "dependencies"), &rc) ||
	    !fold(c, eval_dependencies(c, f, "dependentRequired"), &rc) ||
	    !fold(c, eval_dependencies(c, f, "dependentSchemas"), &rc))
		return rc;
	return rc;
}

static int eval_combinators(ctx *c, const frame *f)
{
	const json_t *s = f->schema;
	const json_t *list, *sub;
	size_t n, matches = 0, first = 0, second = 0;
	int found;
	int rc = CZ_OK;

	list = json_object_get(s, "allOf");
	n = json_array_size(list);
	for (size_t i = 0; i < n; i++) {
		frame child = { .up = f, .schema = json_array_get(list, i),
				.instance = f->instance, .at = f->at,
				.via = "allOf", .index = i, .has_index = true };

		if (!fold(c, eval(c, &child), &rc))
			return rc;
	}
	list = json_object_get(s, "anyOf");
	n = json_array_size(list);
	found = n ? CZ_EINVALID : CZ_OK;
	for (size_t i = 0; i < n && found == CZ_EINVALID; i++) {
		frame child = { .up = f, .schema = json_array_get(list, i),
				.instance = f->instance, .at = f->at,
				.via = "anyOf", .index = i, .has_index = true };

		found = probe(c, &child);
	}
	if (found == CZ_EINVALID)
		found = reportf(c, f->at,
				"must match at least one of the %zu schemas in "
				"anyOf, matched none",
				n);
	if (!fold(c, found, &rc))
		return rc;
	list = json_object_get(s, "oneOf");
	n = json_array_size(list);
	for (size_t i = 0; i < n && matches < 2; i++) {
		frame child = { .up = f, .schema = json_array_get(list, i),
				.instance = f->instance, .at = f->at,
				.via = "oneOf", .index = i, .has_index = true };

		found = probe(c, &child);
		if (found != CZ_OK && found != CZ_EINVALID)
			return found;
		if (found == CZ_OK) {
			if (matches++)
				second = i;
			else
				first = i;
		}
	}
	if (n && matches == 0)
		found = reportf(c, f->at,
				"must match exactly one of the %zu schemas in "
				"oneOf, matched none",
				n);
	else if (n && matches > 1)
		found = reportf(c, f->at,
				"must match exactly one of the %zu schemas in "
				"oneOf, matched [%zu] and [%zu]",
				n, first, second);
	else
		found = CZ_OK;
	if (!fold(c, found, &rc))
		return rc;
	sub = json_object_get(s, "not");
	if (sub) {
		frame child = { .up = f, .schema = sub, .instance = f->instance,
				.at = f->at, .via = "not" };

		found = probe(c, &child);
		if (found == CZ_OK)
			found = report(c, f->at,
				       "must not match the \"not\" schema");
		else if (found == CZ_EINVALID)
			found = CZ_OK;
		if (!fold(c, found, &rc))
			return rc;
	}
	sub = json_object_get(s, "if");
	if (sub && (json_object_get(s, "then") || json_object_get(s, "else"))) {
		frame test = { .up = f, .schema = sub, .instance = f->instance,
			       .at = f->at, .via = "if" };
		frame branch = { .up = f, .instance = f->instance, .at = f->at };

		found = probe(c, &test);
		if (found != CZ_OK && found != CZ_EINVALID)
			return found;
		branch.via = found == CZ_OK ? "then" : "else";
		branch.schema = json_object_get(s, branch.via);
		if (branch.schema)
			fold(c, eval(c, &branch), &rc);
	}
	return rc;
}

/* Follows the $ref of f's schema; draft-07 ignores its siblings. */
static int eval_ref(ctx *c, const frame *f, const char *ref)
{
	const json_t *target = NULL;
	const char *why = NULL;
	int rc = resolve_ref(c->root, ref, &target, &why);

	if (rc < 0)
		return frame_fail(c, f, rc, "$ref \"%.200s\" %s", ref, why);
	/* A loop: the target is already being applied to this same value
	 * further up, so following it again can never end. */
	for (const frame *g = f; g && g->instance == f->instance; g = g->up)
		if (g->schema == target)
			return frame_fail(c, f, CZ_ECYCLE,
					  "$ref \"%.200s\" loops back to a "
					  "schema already applied to the same "
					  "value",
					  ref);
	{
		frame child = { .up = f, .schema = target,
				.instance = f->instance, .at = f->at,
				.via = ref, .ref = true };

		return eval(c, &child);
	}
}

/* Applies the schema of f to its instance. */
static int eval(ctx *c, const frame *f)
{
	const json_t *s = f->schema, *v = f->instance;
	const json_t *kw;
	int rc = CZ_OK;

	if (json_is_true(s))
		return CZ_OK;
	if (json_is_false(s))
		return report(c, f->at, "is not allowed");
	rc = spend(c, f);
	if (rc < 0)
		return rc;
	if (c->depth >= CZ_JSONSCHEMA_MAX_DEPTH)
		return frame_fail(c, f, CZ_ETOOLARGE,
				  "evaluation nests deeper than %d levels",
				  CZ_JSONSCHEMA_MAX_DEPTH);
	c->depth++;
	kw = json_object_get(s, "$ref");
	if (json_is_string(kw)) {
		rc = eval_ref(c, f, json_string_value(kw));
		goto cleanup;
	}
	kw = json_object_get(s, "type");
	/* A value of the wrong type says all there is to say about it. */
	if (kw && (rc = eval_type(c, f, kw)) != CZ_OK)
		goto cleanup;
	kw = json_object_get(s, "enum");
	if (kw && !fold(c, eval_enum(c, f, kw), &rc))
		goto cleanup;
	kw = json_object_get(s, "const");
	if (kw && !fold(c, eval_const(c, f, kw), &rc))
		goto cleanup;
	if (json_is_number(v) && !fold(c, eval_number(c, f), &rc))
		goto cleanup;
	if (json_is_string(v) && !fold(c, eval_string(c, f), &rc))
		goto cleanup;
	if (json_is_array(v) && !fold(c, eval_array(c, f), &rc))
		goto cleanup;
	if (json_is_object(v) && !fold(c, eval_object(c, f), &rc))
		goto cleanup;
	fold(c, eval_combinators(c, f), &rc);
cleanup:
	c->depth--;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

int cz_jsonschema_check(const json_t *schema, cz_error *err)
{
	ctx c;
	int rc;

	ctx_init(&c, schema, err);
	rc = check_all(&c);
	ctx_release(&c);
	return rc;
}

int cz_jsonschema_validate(const json_t *schema, const json_t *instance,
			   const char *prefix, cz_buf *errors,
			   size_t max_errors, size_t *nerrors, cz_error *err)
{
	ctx c;
	size_t mark = errors->len;
	int rc;

	ctx_init(&c, schema, err);
	if (nerrors)
		*nerrors = 0;
	rc = check_all(&c);
	if (rc < 0)
		goto cleanup;
	c.steps = 0; /* the evaluation has a budget of its own */
	c.prefix = prefix ? prefix : "";
	c.errors = errors;
	c.max_errors = max_errors ? max_errors
				  : CZ_JSONSCHEMA_DEFAULT_MAX_ERRORS;
	{
		frame root = { .schema = schema, .instance = instance };

		rc = eval(&c, &root);
	}
	if (rc < 0 && rc != CZ_EINVALID) {
		/* The schema is unusable: no verdict, so no lines. */
		errors->len = mark;
		errors->data[mark] = '\0';
		goto cleanup;
	}
	if (nerrors)
		*nerrors = c.nerrors;
cleanup:
	ctx_release(&c);
	return rc;
}
