#include "model/names.h"

#include <stdio.h>
#include <string.h>

/* Limits and message pieces of k8s.io/apimachinery/pkg/util/validation. */
#define LABEL_MAX 63
#define SUBDOMAIN_MAX 253

#define LABEL_REGEX "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define SUBDOMAIN_REGEX LABEL_REGEX "(\\." LABEL_REGEX ")*"
#define QNAME_REGEX "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG                                                              \
	"must consist of alphanumeric characters, '-', '_' or '.', and must "  \
	"start and end with an alphanumeric character"

static const char label_msg[] =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric "
	"characters or '-', and must start and end with an alphanumeric "
	"character (e.g. 'my-name',  or '123-abc', regex used for validation "
	"is '" LABEL_REGEX "')";
static const char subdomain_msg[] =
	"a lowercase RFC 1123 subdomain must consist of lower case "
	"alphanumeric characters, '-' or '.', and must start and end with an "
	"alphanumeric character (e.g. 'example.com', regex used for "
	"validation is '" SUBDOMAIN_REGEX "')";
static const char qname_msg[] =
	QNAME_MSG " (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
		  "for validation is '" QNAME_REGEX "')";
static const char qname_bad_msg[] =
	"a qualified name " QNAME_MSG " (e.g. 'MyName',  or 'my.name',  or "
	"'123-abc', regex used for validation is '" QNAME_REGEX "') with an "
	"optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
static const char label_value_msg[] =
	"a valid label must be an empty string or consist of alphanumeric "
	"characters, '-', '_' or '.', and must start and end with an "
	"alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
	"regex used for validation is '(" QNAME_REGEX ")?')";
static const char config_key_msg[] =
	"a valid config key must consist of alphanumeric characters, '-', '_' "
	"or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used "
	"for validation is '[-._a-zA-Z0-9]+')";

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* s[0..n) matches LABEL_REGEX. */
static bool label_shape(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool subdomain_shape(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!label_shape(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* s[0..n) matches QNAME_REGEX (empty does not). */
static bool qname_shape(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return false;
	return true;
}

static void max_len_msg(cz_name_msg_fn emit, void *ctx, const char *prefix,
			size_t max)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "%smust be no more than %zu characters",
		 prefix, max);
	emit(ctx, msg);
}

static void subdomain_msgs(const char *s, size_t n, const char *prefix,
			   cz_name_msg_fn emit, void *ctx)
{
	char msg[sizeof(subdomain_msg) + 32];

	if (n > SUBDOMAIN_MAX)
		max_len_msg(emit, ctx, prefix, SUBDOMAIN_MAX);
	if (!subdomain_shape(s, n)) {
		snprintf(msg, sizeof(msg), "%s%s", prefix, subdomain_msg);
		emit(ctx, msg);
	}
}

void cz_name_label_msgs(const char *s, cz_name_msg_fn emit, void *ctx)
{
	size_t n = strlen(s);

	if (n > LABEL_MAX)
		max_len_msg(emit, ctx, "", LABEL_MAX);
	if (label_shape(s, n))
		return;
	/* A valid subdomain of the right length fails only by its dots. */
	emit(ctx, subdomain_shape(s, n) ? "must not contain dots" : label_msg);
}

void cz_name_qualified_msgs(const char *s, cz_name_msg_fn emit, void *ctx)
{
	const char *slash = strchr(s, '/');
	const char *name = s;
	char msg[sizeof(qname_msg) + 32];

	if (slash && strchr(slash + 1, '/')) {
		emit(ctx, qname_bad_msg);
		return;
	}
	if (slash) {
		if (slash == s)
			emit(ctx, "prefix part must be non-empty");
		else
			subdomain_msgs(s, (size_t)(slash - s), "prefix part ",
				       emit, ctx);
		name = slash + 1;
	}
	if (!*name)
		emit(ctx, "name part must be non-empty");
	else if (strlen(name) > LABEL_MAX)
		max_len_msg(emit, ctx, "name part ", LABEL_MAX);
	if (!qname_shape(name, strlen(name))) {
		snprintf(msg, sizeof(msg), "name part %s", qname_msg);
		emit(ctx, msg);
	}
}

void cz_name_label_value_msgs(const char *s, cz_name_msg_fn emit, void *ctx)
{
	size_t n = strlen(s);

	if (n > LABEL_MAX)
		max_len_msg(emit, ctx, "", LABEL_MAX);
	if (n && !qname_shape(s, n))
		emit(ctx, label_value_msg);
}

void cz_name_config_key_msgs(const char *s, cz_name_msg_fn emit, void *ctx)
{
	size_t n = strlen(s);
	bool ok = n > 0;

	if (n > SUBDOMAIN_MAX)
		max_len_msg(emit, ctx, "", SUBDOMAIN_MAX);
	for (size_t i = 0; i < n; i++)
		ok = ok && (is_alnum(s[i]) || s[i] == '-' || s[i] == '_' ||
			    s[i] == '.');
	if (!ok)
		emit(ctx, config_key_msg);
	if (strcmp(s, ".") == 0)
		emit(ctx, "must not be '.'");
	else if (strcmp(s, "..") == 0)
		emit(ctx, "must not be '..'");
	else if (strncmp(s, "..", 2) == 0)
		emit(ctx, "must not start with '..'");
}

void cz_name_subdomain_msgs(const char *s, cz_name_msg_fn emit, void *ctx)
{
	subdomain_msgs(s, strlen(s), "", emit, ctx);
}

bool cz_is_dns_label(const char *name)
{
	size_t n = strlen(name);

	return n <= LABEL_MAX && label_shape(name, n);
}

bool cz_is_dns_subdomain(const char *name)
{
	size_t n = strlen(name);

	return n <= SUBDOMAIN_MAX && subdomain_shape(name, n);
}

void cz_name_segment_msgs(const char *s, cz_name_msg_fn emit, void *ctx)
{
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "may not be '%s'", s);
		emit(ctx, msg);
	}
	if (strchr(s, '/'))
		emit(ctx, "may not contain '/'");
	if (strchr(s, '%'))
		emit(ctx, "may not contain '%'");
}
