#include "util/duration.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS_PER_US INT64_C(1000)
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)

static int64_t unit_ns(const char *unit, size_t len)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", NS_PER_US },
		{ "\xc2\xb5s", NS_PER_US },
		{ "ms", NS_PER_MS },
		{ "s", NS_PER_S },
		{ "m", 60 * NS_PER_S },
		{ "h", 3600 * NS_PER_S },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (strlen(units[i].name) == len &&
		    memcmp(units[i].name, unit, len) == 0)
			return units[i].ns;
	return 0;
}

/* One "<number><unit>" term; advances *p. */
static int parse_term(const char **p, int64_t *ns, cz_error *err,
		      const char *text)
{
	const char *s = *p;
	int64_t whole = 0, frac = 0, scale = 1, unit;
	const char *u;
	bool digits = false;

	for (; *s >= '0' && *s <= '9'; s++, digits = true) {
		if (whole > (INT64_MAX - 9) / 10)
			return cz_fail(err, CZ_EINVALID,
				       "invalid duration \"%s\": overflow", text);
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
			if (scale < NS_PER_S * 10) {
				frac = frac * 10 + (*s - '0');
				scale *= 10;
			}
	if (!digits)
		return cz_fail(err, CZ_EINVALID, "invalid duration \"%s\"", text);
	u = s;
	while (*s && *s != '.' && (*s < '0' || *s > '9'))
		s++;
	unit = unit_ns(u, (size_t)(s - u));
	if (!unit)
		return cz_fail(err, CZ_EINVALID,
			       "invalid duration \"%s\": missing or unknown unit",
			       text);
	if (whole > INT64_MAX / unit)
		return cz_fail(err, CZ_EINVALID, "invalid duration \"%s\": overflow",
			       text);
	*ns = whole * unit + (int64_t)((double)frac * (double)unit / (double)scale);
	*p = s;
	return CZ_OK;
}

int cz_duration_parse(const char *text, int64_t *ns_out, cz_error *err)
{
	const char *p = text;
	int64_t total = 0;
	bool negative = false;

	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ns_out = 0;
		return CZ_OK;
	}
	if (!*p)
		return cz_fail(err, CZ_EINVALID, "invalid duration \"%s\"", text);
	while (*p) {
		int64_t term = 0;
		int rc = parse_term(&p, &term, err, text);

		if (rc < 0)
			return rc;
		if (total > INT64_MAX - term)
			return cz_fail(err, CZ_EINVALID,
				       "invalid duration \"%s\": overflow", text);
		total += term;
	}
	*ns_out = negative ? -total : total;
	return CZ_OK;
}

/* Writes v / 10^prec with trailing zeros of the fraction dropped. */
static int put_frac(char *buf, size_t size, uint64_t v, int prec)
{
	uint64_t div = 1;
	uint64_t frac;
	char digits[24];
	int n;

	for (int i = 0; i < prec; i++)
		div *= 10;
	frac = v % div;
	if (!frac)
		return snprintf(buf, size, "%llu", (unsigned long long)(v / div));
	n = snprintf(digits, sizeof(digits), "%0*llu", prec,
		     (unsigned long long)frac);
	while (n > 0 && digits[n - 1] == '0')
		digits[--n] = '\0';
	return snprintf(buf, size, "%llu.%s", (unsigned long long)(v / div),
			digits);
}

void cz_duration_format(int64_t ns, char *buf, size_t size)
{
	uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
	const char *sign = ns < 0 ? "-" : "";
	char num[48];
	uint64_t secs;

	if (u == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	if (u < (uint64_t)NS_PER_S) {
		const char *unit = "ns";
		int prec = 0;

		if (u >= (uint64_t)NS_PER_MS) {
			unit = "ms";
			prec = 6;
		} else if (u >= (uint64_t)NS_PER_US) {
			unit = "\xc2\xb5s";
			prec = 3;
		}
		put_frac(num, sizeof(num), u, prec);
		snprintf(buf, size, "%s%s%s", sign, num, unit);
		return;
	}
	secs = u / (uint64_t)NS_PER_S;
	put_frac(num, sizeof(num), (secs % 60) * (uint64_t)NS_PER_S +
				   u % (uint64_t)NS_PER_S, 9);
	if (secs < 60)
		snprintf(buf, size, "%s%ss", sign, num);
	else if (secs < 3600)
		snprintf(buf, size, "%s%llum%ss", sign,
			 (unsigned long long)(secs / 60), num);
	else
		snprintf(buf, size, "%s%lluh%llum%ss", sign,
			 (unsigned long long)(secs / 3600),
			 (unsigned long long)(secs / 60 % 60), num);
}

void cz_now_rfc3339(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t cz_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
