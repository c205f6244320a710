#include "util/base64.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/mem.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cz_base64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = cz_xmalloc((len + 2) / 3 * 4 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool is_line_break(char c)
{
	return c == '\r' || c == '\n';
}

bool cz_base64_valid(const char *text, size_t len)
{
	size_t n = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		if (is_line_break(text[i]))
			continue;
		if (text[i] == '=')
			pad++;
		else if (pad || sextet(text[i]) < 0)
			return false; /* padding only at the end */
		n++;
	}
	return n % 4 == 0 && pad <= 2;
}

char *cz_base64_decode(const char *text, size_t len, size_t *out_len)
{
	char *out;
	uint32_t acc = 0;
	size_t bits = 0, o = 0;

	if (!cz_base64_valid(text, len))
		return NULL;
	out = cz_xmalloc(len / 4 * 3 + 4);
	for (size_t i = 0; i < len && text[i] != '='; i++) {
		if (is_line_break(text[i]))
			continue;
		acc = (acc << 6) | (uint32_t)sextet(text[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return out;
}

int cz_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
