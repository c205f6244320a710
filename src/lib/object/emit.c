#include "object/emit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/yaml.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ */
/* Output staging: small writes go to a 4 KiB staging buffer that is
 * appended to the cz_buf in larger pieces, so the per-scalar cost is a
 * memcpy rather than a cz_buf_append call with its checks (cz_buf has no
 * public reserve).  The writer lives on the caller's stack: the store
 * serialises every write, and a 64 KiB buffer from the heap each time made
 * malloc consolidate its free lists on every one. */

#define STAGE_SIZE 4096

typedef struct writer {
	cz_buf *out;
	cz_error *err;
	int rc; /* first failure; later writes are discarded */
	bool keep_reals; /* a real reads back as a real: "2.0", not "2" */
	size_t used;
	char stage[STAGE_SIZE];
} writer;

static void w_flush(writer *w)
{
	if (w->used && w->rc == CZ_OK &&
	    cz_buf_append(w->out, w->stage, w->used) < 0)
		w->rc = cz_fail(w->err, CZ_ETOOLARGE,
				"output larger than %zu bytes", w->out->max);
	w->used = 0;
}

static inline void w_put(writer *w, const char *s, size_t n)
{
	if (n <= STAGE_SIZE - w->used) {
		memcpy(w->stage + w->used, s, n);
		w->used += n;
		return;
	}
	w_flush(w);
	if (n > STAGE_SIZE / 2) {
		if (w->rc == CZ_OK && cz_buf_append(w->out, s, n) < 0)
			w->rc = cz_fail(w->err, CZ_ETOOLARGE,
					"output larger than %zu bytes",
					w->out->max);
		return;
	}
	memcpy(w->stage, s, n);
	w->used = n;
}

static inline void w_ch(writer *w, char c)
{
	if (w->used == STAGE_SIZE)
		w_flush(w);
	w->stage[w->used++] = c;
}

static void w_str(writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void w_spaces(writer *w, size_t n)
{
	static const char spaces[] = "                                ";

	while (n) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		w_put(w, spaces, k);
		n -= k;
	}
}

static void w_fail(writer *w, int code, const char *msg)
{
	if (w->rc == CZ_OK)
		w->rc = cz_fail(w->err, code, "%s", msg);
}

static void w_int(writer *w, json_int_t v)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	/* Negating through unsigned keeps INT64_MIN defined. */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	w_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

static void w_real(writer *w, double v)
{
	char buf[32];

	if (!isfinite(v)) {
		w_fail(w, CZ_EINVALID, "cannot represent a non-finite number");
		return;
	}
	cz_format_double(v, buf, sizeof(buf));
	w_str(w, buf);
	if (w->keep_reals && !strpbrk(buf, ".e"))
		w_put(w, ".0", 2);
}

/* Sets up w (the caller's, on its stack: a 4 KiB stage) and returns it. */
static writer *writer_init(writer *w, cz_buf *out, cz_error *err)
{
	w->out = out;
	w->err = err;
	w->rc = CZ_OK;
	w->keep_reals = false;
	w->used = 0;
	return w;
}

/* Leaves the output as it was when emitting failed half-way. */
static int w_finish(writer *w, size_t start_len)
{
	w_flush(w);
	if (w->rc < 0 && w->out->cap) {
		w->out->len = start_len;
		w->out->data[start_len] = '\0';
	}
	return w->rc;
}

/* ------------------------------------------------------------------ */
/* Shortest round-trip digits. */

typedef struct digits {
	char d[24];
	int nd; /* digits in d */
	int dp; /* decimal point position: value = 0.d * 10^dp */
	bool neg;
} digits;

static void shortest_digits(double v, digits *out)
{
	char buf[48];
	const char *p;
	int exp;

	out->neg = signbit(v) != 0;
	v = fabs(v);
	if (v == 0) {
		out->d[0] = '0';
		out->nd = 1;
		out->dp = 1;
		return;
	}
	/* The first precision that reads back exactly is the shortest. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	out->nd = 0;
	for (p = buf; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			out->d[out->nd++] = *p;
	exp = *p ? atoi(p + 1) : 0;
	while (out->nd > 1 && out->d[out->nd - 1] == '0')
		out->nd--;
	out->dp = exp + 1;
}

static size_t put_chars(char *buf, size_t pos, char c, int count)
{
	for (int i = 0; i < count; i++)
		buf[pos++] = c;
	return pos;
}

static size_t format_f(const digits *g, char *buf)
{
	size_t pos = 0;

	if (g->neg)
		buf[pos++] = '-';
	if (g->dp <= 0) {
		buf[pos++] = '0';
		buf[pos++] = '.';
		pos = put_chars(buf, pos, '0', -g->dp);
		memcpy(buf + pos, g->d, (size_t)g->nd);
		pos += (size_t)g->nd;
	} else if (g->dp >= g->nd) {
		memcpy(buf + pos, g->d, (size_t)g->nd);
		pos += (size_t)g->nd;
		pos = put_chars(buf, pos, '0', g->dp - g->nd);
	} else {
		memcpy(buf + pos, g->d, (size_t)g->dp);
		pos += (size_t)g->dp;
		buf[pos++] = '.';
		memcpy(buf + pos, g->d + g->dp, (size_t)(g->nd - g->dp));
		pos += (size_t)(g->nd - g->dp);
	}
	return pos;
}

/* Go's 'e' layout; min_exp_digits is 2 for strconv, and encoding/json
 * trims a negative exponent back to 1 ("1e-7"). */
static size_t format_e(const digits *g, char *buf, int min_exp_digits)
{
	size_t pos = 0;
	int exp = g->dp - 1;
	char expbuf[8];
	int n;

	if (g->neg)
		buf[pos++] = '-';
	buf[pos++] = g->d[0];
	if (g->nd > 1) {
		buf[pos++] = '.';
		memcpy(buf + pos, g->d + 1, (size_t)(g->nd - 1));
		pos += (size_t)(g->nd - 1);
	}
	buf[pos++] = 'e';
	buf[pos++] = exp < 0 ? '-' : '+';
	n = snprintf(expbuf, sizeof(expbuf), "%0*d", min_exp_digits,
		     exp < 0 ? -exp : exp);
	memcpy(buf + pos, expbuf, (size_t)n);
	return pos + (size_t)n;
}

static bool nonfinite_text(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "NaN");
	else if (isinf(v))
		snprintf(buf, n, "%s", v < 0 ? "-Inf" : "+Inf");
	else
		return false;
	return true;
}

static void copy_out(const char *tmp, size_t len, char *buf, size_t n)
{
	if (!n)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(buf, tmp, len);
	buf[len] = '\0';
}

void cz_format_double(double v, char *buf, size_t n)
{
	char tmp[64];
	double a = fabs(v);
	digits g;
	size_t len;

	if (nonfinite_text(v, buf, n))
		return;
	shortest_digits(v, &g);
	if (a != 0 && (a < 1e-6 || a >= 1e21))
		len = format_e(&g, tmp, g.dp - 1 < 0 ? 1 : 2);
	else
		len = format_f(&g, tmp);
	copy_out(tmp, len, buf, n);
}

void cz_format_double_g(double v, char *buf, size_t n)
{
	char tmp[64];
	digits g;
	size_t len;
	int exp;

	if (nonfinite_text(v, buf, n))
		return;
	shortest_digits(v, &g);
	exp = g.dp - 1;
	/* strconv uses precision 6 for this choice when asked for the
	 * shortest form. */
	if (exp < -4 || exp >= 6)
		len = format_e(&g, tmp, 2);
	else
		len = format_f(&g, tmp);
	copy_out(tmp, len, buf, n);
}

/* ------------------------------------------------------------------ */
/* UTF-8 */

/* Length of the valid UTF-8 sequence at s[0..n) and its code point, or 0
 * when it is invalid (overlong, surrogate, past U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c = s[0];
	uint32_t min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2, c &= 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, c &= 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* Code points libyaml would refuse or read as line breaks if written raw:
 * C1 controls (NEL among them), LS, PS, BOM and the non-characters. */
static bool yaml_needs_escape(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF;
}

/* ------------------------------------------------------------------ */
/* YAML strings */

enum str_style { STYLE_PLAIN, STYLE_DOUBLE, STYLE_LITERAL };

enum byte_class {
	B_PLAIN = 0,
	B_SPACE,
	B_TAB,
	B_NL,
	B_COLON,
	B_CTRL,
	B_HIGH,
};

static inline enum byte_class classify_byte(unsigned char c)
{
	if (c >= 0x80)
		return B_HIGH;
	if (c < 0x20 || c == 0x7F)
		return c == '\t' ? B_TAB : c == '\n' ? B_NL : B_CTRL;
	if (c == ' ')
		return B_SPACE;
	return c == ':' ? B_COLON : B_PLAIN;
}

typedef struct str_scan {
	bool escape;      /* something only double quotes can carry */
	bool newline;
	bool plain_bad;   /* ": ", " #", a tab or a final ':' */
	bool trailing_ws; /* a line ends in a space or tab */
} str_scan;

static bool line_ends_at(const unsigned char *s, size_t n, size_t i)
{
	return i + 1 == n || s[i + 1] == '\n';
}

/* One pass over the string; false when it is not valid UTF-8. */
static bool scan_string(const unsigned char *s, size_t n, str_scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len;

		switch (classify_byte(s[i])) {
		case B_PLAIN:
			break;
		case B_SPACE:
			if (i + 1 < n && s[i + 1] == '#')
				sc->plain_bad = true;
			if (line_ends_at(s, n, i))
				sc->trailing_ws = true;
			break;
		case B_TAB:
			sc->plain_bad = true;
			if (line_ends_at(s, n, i))
				sc->trailing_ws = true;
			break;
		case B_NL:
			sc->newline = true;
			break;
		case B_COLON:
			if (i + 1 == n || s[i + 1] == ' ')
				sc->plain_bad = true;
			break;
		case B_CTRL:
			sc->escape = true;
			break;
		default:
			len = utf8_decode(s + i, n - i, &cp);
			if (!len)
				return false;
			if (yaml_needs_escape(cp))
				sc->escape = true;
			i += len;
			continue;
		}
		i++;
	}
	return true;
}

static bool special_start(const char *s, size_t n)
{
	/* '-' may start a plain scalar when a non-space follows ("--flag"),
	 * which keeps container arguments readable; "---" would be read as
	 * a document marker in column 0. */
	if (s[0] == '-')
		return n == 1 || s[1] == ' ' || (n >= 3 && !memcmp(s, "---", 3));
	if (n >= 3 && !memcmp(s, "...", 3))
		return true;
	return strchr("?:,[]{}#&*!|>'\"%@`", s[0]) != NULL;
}

static bool plain_ok(const char *s, size_t n, const str_scan *sc)
{
	if (sc->plain_bad || sc->escape || sc->newline)
		return false;
	if (special_start(s, n) || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	if (n == 2 && !memcmp(s, "<<", 2))
		return false;
	return cz_yaml_plain_is_string(s, n);
}

/* A literal block reads back exactly only when no line has trailing
 * blanks (they would be kept but are invisible and fragile), and the
 * first line with content does not start with a space (its indentation
 * decides the block's). */
static bool literal_ok(const char *s, size_t n, const str_scan *sc)
{
	size_t i = 0;

	if (!sc->newline || sc->escape || sc->trailing_ws)
		return false;
	while (i < n && s[i] == '\n')
		i++;
	return i < n && s[i] != ' ' && s[i] != '\t';
}

static int choose_style(writer *w, const char *s, size_t n, bool key,
			enum str_style *style)
{
	str_scan sc;

	if (!scan_string((const unsigned char *)s, n, &sc)) {
		w_fail(w, CZ_EINVALID, "string is not valid UTF-8");
		return CZ_EINVALID;
	}
	if (n && plain_ok(s, n, &sc))
		*style = STYLE_PLAIN;
	else if (!key && literal_ok(s, n, &sc))
		*style = STYLE_LITERAL;
	else
		*style = STYLE_DOUBLE;
	return CZ_OK;
}

static const char hex_digits[] = "0123456789ABCDEF";

static void w_hex_escape(writer *w, char kind, uint32_t cp, int width)
{
	char buf[12];
	int pos = 0;

	buf[pos++] = '\\';
	buf[pos++] = kind;
	for (int shift = (width - 1) * 4; shift >= 0; shift -= 4)
		buf[pos++] = hex_digits[(cp >> shift) & 0xF];
	w_put(w, buf, (size_t)pos);
}

static void yaml_escape_ascii(writer *w, unsigned char c)
{
	static const char short_escapes[] = {
		['\0'] = '0', ['\a'] = 'a', ['\b'] = 'b', ['\t'] = 't',
		['\n'] = 'n', ['\v'] = 'v', ['\f'] = 'f', ['\r'] = 'r',
		[0x1B] = 'e', ['"'] = '"', ['\\'] = '\\',
	};

	if (c < sizeof(short_escapes) && (short_escapes[c] || c == 0)) {
		w_ch(w, '\\');
		w_ch(w, c == 0 ? '0' : short_escapes[c]);
	} else {
		w_hex_escape(w, 'x', c, 2);
	}
}

static void yaml_escape_cp(writer *w, uint32_t cp)
{
	if (cp == 0x85)
		w_put(w, "\\N", 2);
	else if (cp == 0x2028)
		w_put(w, "\\L", 2);
	else if (cp == 0x2029)
		w_put(w, "\\P", 2);
	else if (cp <= 0xFF)
		w_hex_escape(w, 'x', cp, 2);
	else
		w_hex_escape(w, 'u', cp, 4);
}

/* The string is known to be valid UTF-8 here. */
static void w_double_quoted(writer *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0;

	w_ch(w, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		uint32_t cp = 0xFFFD;
		size_t len = 1;

		if (c >= 0x80) {
			/* Validated by scan_string(); the fallback only keeps
			 * the loop moving. */
			len = utf8_decode(u + i, n - i, &cp);
			if (!len)
				len = 1;
			else if (!yaml_needs_escape(cp)) {
				i += len;
				continue;
			}
		} else if (c >= 0x20 && c != 0x7F && c != '"' && c != '\\') {
			i++;
			continue;
		}
		w_put(w, s + run, i - run);
		if (c >= 0x80)
			yaml_escape_cp(w, cp);
		else
			yaml_escape_ascii(w, c);
		i += len;
		run = i;
	}
	w_put(w, s + run, n - run);
	w_ch(w, '"');
}

static void w_literal(writer *w, const char *s, size_t n, size_t indent)
{
	size_t trailing = 0;
	const char *end = s + n;

	while (trailing < n && s[n - 1 - trailing] == '\n')
		trailing++;
	w_str(w, trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n");
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *stop = nl ? nl : end;

		if (stop > s) {
			w_spaces(w, indent);
			w_put(w, s, (size_t)(stop - s));
		}
		w_ch(w, '\n');
		s = nl ? nl + 1 : end;
	}
}

/* Writes the string and, for a value, the newline that ends its line. */
static void w_yaml_string(writer *w, const char *s, size_t n, size_t indent,
			  bool key)
{
	enum str_style style;

	if (choose_style(w, s, n, key, &style) < 0)
		return;
	if (style == STYLE_PLAIN)
		w_put(w, s, n);
	else if (style == STYLE_DOUBLE)
		w_double_quoted(w, s, n);
	else
		w_literal(w, s, n, indent);
	if (!key && style != STYLE_LITERAL)
		w_ch(w, '\n');
}

/* ------------------------------------------------------------------ */
/* YAML structure */

static void yaml_node(writer *w, const json_t *v, size_t indent);
static void yaml_map(writer *w, const json_t *obj, size_t indent,
		     bool inline_first);
static void yaml_seq(writer *w, const json_t *arr, size_t indent,
		     bool inline_first);

/* A scalar and the newline after it; indent is where the lines of a
 * literal block go. */
static void yaml_scalar(writer *w, const json_t *v, size_t indent)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		w_yaml_string(w, json_string_value(v), json_string_length(v),
			      indent, false);
		return;
	case JSON_INTEGER:
		w_int(w, json_integer_value(v));
		break;
	case JSON_REAL:
		w_real(w, json_real_value(v));
		break;
	case JSON_TRUE:
		w_put(w, "true", 4);
		break;
	case JSON_FALSE:
		w_put(w, "false", 5);
		break;
	default:
		w_put(w, "null", 4);
		break;
	}
	w_ch(w, '\n');
}

static bool is_empty_container(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

/* What follows "key:" of a key at column indent. */
static void yaml_after_key(writer *w, const json_t *v, size_t indent)
{
	if (is_empty_container(v)) {
		w_str(w, json_is_object(v) ? " {}\n" : " []\n");
	} else if (json_is_object(v)) {
		w_ch(w, '\n');
		yaml_map(w, v, indent + 2, false);
	} else if (json_is_array(v)) {
		/* go-yaml v2 puts the "- " of a value's items in the key's
		 * column. */
		w_ch(w, '\n');
		yaml_seq(w, v, indent, false);
	} else {
		w_ch(w, ' ');
		yaml_scalar(w, v, indent + 2);
	}
}

/* libyaml refuses implicit keys over 1024 characters, and go-yaml switches
 * to the explicit form past 128; do the same. */
#define MAX_IMPLICIT_KEY 128

static void yaml_key(writer *w, const char *key, size_t len, size_t indent)
{
	if (len > MAX_IMPLICIT_KEY) {
		w_put(w, "? ", 2);
		w_yaml_string(w, key, len, indent, true);
		w_ch(w, '\n');
		w_spaces(w, indent);
		w_ch(w, ':');
		return;
	}
	w_yaml_string(w, key, len, indent, true);
	w_ch(w, ':');
}

static void yaml_map(writer *w, const json_t *obj, size_t indent,
		     bool inline_first)
{
	const char *key;
	size_t len;
	json_t *v;
	bool first = true;

	json_object_keylen_foreach((json_t *)obj, key, len, v) {
		if (!first || !inline_first)
			w_spaces(w, indent);
		first = false;
		yaml_key(w, key, len, indent);
		yaml_after_key(w, v, indent);
		if (w->rc < 0)
			return;
	}
}

static void yaml_seq(writer *w, const json_t *arr, size_t indent,
		     bool inline_first)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (i || !inline_first)
			w_spaces(w, indent);
		w_put(w, "- ", 2);
		yaml_node(w, v, indent + 2);
		if (w->rc < 0)
			return;
	}
}

/* A node whose first line continues the current one (after "- "), with
 * its further lines at column indent. */
static void yaml_node(writer *w, const json_t *v, size_t indent)
{
	if (is_empty_container(v))
		w_str(w, json_is_object(v) ? "{}\n" : "[]\n");
	else if (json_is_object(v))
		yaml_map(w, v, indent, true);
	else if (json_is_array(v))
		yaml_seq(w, v, indent, true);
	else
		yaml_scalar(w, v, indent);
}

int cz_emit_yaml(cz_buf *out, const json_t *value, cz_error *err)
{
	writer on_stack;
	writer *w = writer_init(&on_stack, out, err);
	size_t start = out->len;

	/* A top-level literal block is indented too, so that none of its
	 * lines can look like a document marker. */
	yaml_node(w, value, json_is_object(value) || json_is_array(value) ? 0
									: 2);
	return w_finish(w, start);
}

/* ------------------------------------------------------------------ */
/* JSON */

/* Go's encoding/json escapes: the short forms for \n \r \t, \u00XX for the
 * other controls, and the HTML-sensitive <, > and & as kubectl prints
 * them.  U+2028 and U+2029 are escaped as well. */
static void w_json_escape(writer *w, unsigned char c)
{
	static const char lower_hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
		esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't'
								: (char)c;
		w_put(w, esc, 2);
		return;
	}
	esc[4] = lower_hex[c >> 4];
	esc[5] = lower_hex[c & 0xF];
	w_put(w, esc, 6);
}

static bool json_plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' &&
	       c != '>' && c != '&';
}

/* Go's encoding/json escapes: the short forms for \n \r \t, \u00XX for the
 * other controls, the HTML-sensitive <, > and & as kubectl prints them, and
 * U+2028 and U+2029. */
static void w_json_string(writer *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0;

	w_ch(w, '"');
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len;

		if (json_plain_ascii(u[i])) {
			i++;
			continue;
		}
		if (u[i] < 0x80) {
			w_put(w, s + run, i - run);
			w_json_escape(w, u[i]);
			run = ++i;
			continue;
		}
		len = utf8_decode(u + i, n - i, &cp);
		if (!len) {
			w_fail(w, CZ_EINVALID, "string is not valid UTF-8");
			return;
		}
		if (cp == 0x2028 || cp == 0x2029) {
			w_put(w, s + run, i - run);
			w_str(w, cp == 0x2028 ? "\\u2028" : "\\u2029");
			run = i + len;
		}
		i += len;
	}
	w_put(w, s + run, n - run);
	w_ch(w, '"');
}

static void json_newline(writer *w, size_t level, bool compact)
{
	if (compact)
		return;
	w_ch(w, '\n');
	w_spaces(w, level * 4);
}

static void json_node(writer *w, const json_t *v, size_t level, bool compact);

static void json_object_body(writer *w, const json_t *obj, size_t level,
			     bool compact)
{
	const char *key;
	size_t len;
	json_t *v;
	bool first = true;

	w_ch(w, '{');
	json_object_keylen_foreach((json_t *)obj, key, len, v) {
		if (!first)
			w_ch(w, ',');
		first = false;
		json_newline(w, level + 1, compact);
		w_json_string(w, key, len);
		w_put(w, ": ", compact ? 1 : 2);
		json_node(w, v, level + 1, compact);
	}
	json_newline(w, level, compact);
	w_ch(w, '}');
}

static void json_array_body(writer *w, const json_t *arr, size_t level,
			    bool compact)
{
	size_t i;
	json_t *v;

	w_ch(w, '[');
	json_array_foreach(arr, i, v) {
		if (i)
			w_ch(w, ',');
		json_newline(w, level + 1, compact);
		json_node(w, v, level + 1, compact);
	}
	json_newline(w, level, compact);
	w_ch(w, ']');
}

static void json_node(writer *w, const json_t *v, size_t level, bool compact)
{
	if (is_empty_container(v)) {
		w_put(w, json_is_object(v) ? "{}" : "[]", 2);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_body(w, v, level, compact);
		break;
	case JSON_ARRAY:
		json_array_body(w, v, level, compact);
		break;
	case JSON_STRING:
		w_json_string(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		w_int(w, json_integer_value(v));
		break;
	case JSON_REAL:
		w_real(w, json_real_value(v));
		break;
	case JSON_TRUE:
		w_put(w, "true", 4);
		break;
	case JSON_FALSE:
		w_put(w, "false", 5);
		break;
	default:
		w_put(w, "null", 4);
		break;
	}
}

int cz_emit_json(cz_buf *out, const json_t *value, bool compact,
		 cz_error *err)
{
	writer on_stack;
	writer *w = writer_init(&on_stack, out, err);
	size_t start = out->len;

	json_node(w, value, 0, compact);
	if (!compact)
		w_ch(w, '\n');
	return w_finish(w, start);
}

int cz_emit_json_stored(cz_buf *out, const json_t *value, cz_error *err)
{
	writer on_stack;
	writer *w = writer_init(&on_stack, out, err);
	size_t start = out->len;

	w->keep_reals = true;
	json_node(w, value, 0, true);
	return w_finish(w, start);
}
