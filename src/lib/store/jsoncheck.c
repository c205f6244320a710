#include "store/jsoncheck.h"

#include "util/base64.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jansson's JSON_PARSER_MAX_DEPTH */
#define MAX_DEPTH 2048

typedef struct scanner {
	const unsigned char *start;
	const unsigned char *p;
	const unsigned char *end;
	const char *why; /* set by the first failure */
	int depth;
} scanner;

static bool scan_value(scanner *s);

static bool fail(scanner *s, const char *why)
{
	if (!s->why)
		s->why = why;
	return false;
}

static void skip_space(scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}


/* Reads the four hex digits after "\u" into *code. */
static bool scan_hex4(scanner *s, unsigned *code)
{
	*code = 0;
	if (s->end - s->p < 4)
		return fail(s, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int v = cz_hex_digit(*s->p++);

		if (v < 0)
			return fail(s, "invalid \\u escape");
		*code = *code * 16 + (unsigned)v;
	}
	return true;
}

/* After the backslash of an escape sequence. */
static bool scan_escape(scanner *s)
{
	unsigned code, low;

	if (s->p == s->end)
		return fail(s, "truncated escape");
	switch (*s->p++) {
	case '"': case '\\': case '/': case 'b':
	case 'f': case 'n': case 'r': case 't':
		return true;
	case 'u':
		break;
	default:
		return fail(s, "invalid escape");
	}
	if (!scan_hex4(s, &code))
		return false;
	if (code == 0)
		return fail(s, "\\u0000 is not allowed");
	if (code >= 0xDC00 && code <= 0xDFFF)
		return fail(s, "lone low surrogate");
	if (code < 0xD800 || code > 0xDBFF)
		return true;
	if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
		return fail(s, "lone high surrogate");
	s->p += 2;
	if (!scan_hex4(s, &low))
		return false;
	if (low < 0xDC00 || low > 0xDFFF)
		return fail(s, "high surrogate not followed by a low one");
	return true;
}

/* One multi-byte UTF-8 sequence starting at s->p; rejects overlong forms,
 * surrogates and code points past U+10FFFF. */
static bool scan_utf8(scanner *s)
{
	unsigned char c = *s->p;
	unsigned char lo = 0x80, hi = 0xBF;
	int more;

	if (c >= 0xC2 && c <= 0xDF)
		more = 1;
	else if (c >= 0xE0 && c <= 0xEF)
		more = 2;
	else if (c >= 0xF0 && c <= 0xF4)
		more = 3;
	else
		return fail(s, "invalid UTF-8");
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s->end - s->p <= more)
		return fail(s, "truncated UTF-8");
	if (s->p[1] < lo || s->p[1] > hi)
		return fail(s, "invalid UTF-8");
	for (int i = 2; i <= more; i++)
		if (s->p[i] < 0x80 || s->p[i] > 0xBF)
			return fail(s, "invalid UTF-8");
	s->p += more + 1;
	return true;
}

/* At the opening quote. */
static bool scan_string(scanner *s)
{
	s->p++;
	for (;;) {
		/* the common case first: plain printable ASCII */
		while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 &&
		       *s->p != '"' && *s->p != '\\')
			s->p++;
		if (s->p == s->end)
			return fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			return true;
		}
		if (*s->p == '\\') {
			s->p++;
			if (!scan_escape(s))
				return false;
		} else if (*s->p < 0x20) {
			return fail(s, "control character in string");
		} else if (!scan_utf8(s)) {
			return false;
		}
	}
}

/* Whether the digits [from, to) of an integer, negative or not, fit in
 * int64_t (the integer range of jansson). */
static bool fits_int64(const unsigned char *from, const unsigned char *to,
		       bool negative)
{
	const char *limit = negative ? "9223372036854775808"
				     : "9223372036854775807";
	size_t n = (size_t)(to - from);

	if (n != 19)
		return n < 19;
	return memcmp(from, limit, 19) <= 0;
}

static bool scan_number(scanner *s)
{
	const unsigned char *begin = s->p, *digits;
	bool negative = false, real = false;
	double v;

	if (*s->p == '-') {
		negative = true;
		s->p++;
	}
	digits = s->p;
	if (s->p == s->end || !is_digit(*s->p))
		return fail(s, "invalid number");
	if (*s->p == '0') {
		s->p++;
	} else {
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	}
	if (s->p < s->end && is_digit(*s->p))
		return fail(s, "leading zero in number");
	if (s->p < s->end && *s->p == '.') {
		real = true;
		s->p++;
		if (s->p == s->end || !is_digit(*s->p))
			return fail(s, "invalid number");
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		real = true;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p == s->end || !is_digit(*s->p))
			return fail(s, "invalid number");
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	}
	if (!real)
		return fits_int64(digits, s->p, negative) ||
		       fail(s, "integer out of range");
	/* text is NUL-terminated, and strtod stops where the token did */
	errno = 0;
	v = strtod((const char *)begin, NULL);
	if (errno == ERANGE && isinf(v))
		return fail(s, "real number overflow");
	return true;
}

static bool literal(scanner *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid token");
	s->p += n;
	return true;
}

/* The elements of an array or the members of an object, at the opening
 * bracket or brace. */
static bool scan_container(scanner *s, bool object)
{
	unsigned char close = object ? '}' : ']';

	if (++s->depth > MAX_DEPTH)
		return fail(s, "nesting too deep");
	s->p++;
	skip_space(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (object) {
			if (s->p == s->end || *s->p != '"')
				return fail(s, "expected a string key");
			if (!scan_string(s))
				return false;
			skip_space(s);
			if (s->p == s->end || *s->p != ':')
				return fail(s, "expected ':'");
			s->p++;
			skip_space(s);
		}
		if (!scan_value(s))
			return false;
		skip_space(s);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			s->depth--;
			return true;
		}
		if (s->p == s->end || *s->p != ',')
			return fail(s, object ? "expected ',' or '}'"
					      : "expected ',' or ']'");
		s->p++;
		skip_space(s);
	}
}

static bool scan_value(scanner *s)
{
	if (s->p == s->end)
		return fail(s, "unexpected end of text");
	switch (*s->p) {
	case '{': return scan_container(s, true);
	case '[': return scan_container(s, false);
	case '"': return scan_string(s);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default:
		if (*s->p == '-' || is_digit(*s->p))
			return scan_number(s);
		return fail(s, "invalid token");
	}
}

int cz_json_check_object(const char *text, size_t len, cz_error *err)
{
	scanner s = { (const unsigned char *)text, (const unsigned char *)text,
		      (const unsigned char *)text + len, NULL, 0 };

	skip_space(&s);
	if (s.p == s.end || *s.p != '{')
		fail(&s, "not a JSON object");
	else if (scan_value(&s)) {
		skip_space(&s);
		if (s.p != s.end)
			fail(&s, "text after the object");
	}
	if (!s.why)
		return CZ_OK;
	return cz_fail(err, CZ_EINVALID, "%s at byte %zu", s.why,
		       (size_t)(s.p - s.start));
}
