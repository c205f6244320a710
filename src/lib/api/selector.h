#ifndef CZ_API_SELECTOR_H
#define CZ_API_SELECTOR_H

/*
 * Label and field selectors (?labelSelector=, ?fieldSelector=), parsed
 * once and matched against many objects, with kube-apiserver's syntax,
 * semantics and error messages.
 *
 * Label selectors:  a=b  a==b  a!=b  a in (x,y)  a notin (x)  a  !a
 *                   a>1  a<1  (integers), joined by ",".  Keys must be
 *                   qualified names and values label values.
 * Field selectors:  f=v  f==v  f!=v, joined by ","; "\" escapes ",", "=",
 *                   "!" and "\" in values.  Only metadata.name,
 *                   metadata.namespace and the caller's extra fields.
 * An empty selector matches everything.  Errors are CZ_EINVALID.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/error.h"

typedef enum cz_sel_op {
	CZ_SEL_EQ,         /* = and == */
	CZ_SEL_NEQ,        /* != (also matches when the label is absent) */
	CZ_SEL_IN,         /* in (...) */
	CZ_SEL_NOTIN,      /* notin (...) (also matches when absent) */
	CZ_SEL_EXISTS,     /* key */
	CZ_SEL_NOT_EXISTS, /* !key */
	CZ_SEL_GT,         /* key>n: present, an integer, greater */
	CZ_SEL_LT,         /* key<n */
} cz_sel_op;

typedef struct cz_label_req {
	char *key;
	cz_sel_op op;
	char **values; /* sorted, without duplicates */
	size_t nvalues;
} cz_label_req;

typedef struct cz_label_selector {
	cz_label_req *reqs; /* sorted by key, as kube does */
	size_t n;
} cz_label_selector;

/* Parses text into *out (which the caller releases with
 * cz_label_selector_release, also after a failure). */
int cz_label_selector_parse(const char *text, cz_label_selector *out,
			    cz_error *err);
/* Whether labels (an object of strings, or NULL for none) match. */
bool cz_label_selector_matches_labels(const cz_label_selector *s,
				      const json_t *labels);
/* Whether obj's metadata.labels match. */
bool cz_label_selector_matches(const cz_label_selector *s, const json_t *obj);
void cz_label_selector_release(cz_label_selector *s);

typedef struct cz_field_term {
	char *field; /* e.g. "metadata.name" */
	char *value; /* unescaped */
	bool negate; /* != */
} cz_field_term;

typedef struct cz_field_selector {
	cz_field_term *terms;
	size_t n;
} cz_field_selector;

/* Parses text; supported is a NULL-terminated list of the fields this kind
 * allows besides metadata.name and metadata.namespace (dotted paths into
 * the object, e.g. "type" for Secrets, "status.phase" for Namespaces), or
 * NULL.  Any other field fails with "field label not supported: <f>". */
int cz_field_selector_parse(const char *text, const char *const *supported,
			    cz_field_selector *out, cz_error *err);
/* Whether obj matches; an absent field reads as "". */
bool cz_field_selector_matches(const cz_field_selector *s, const json_t *obj);
void cz_field_selector_release(cz_field_selector *s);

/* Kubernetes label rules; the message is kube's (joined with "; "). */
int cz_validate_label_key(const char *key, cz_error *err);
int cz_validate_label_value(const char *value, cz_error *err);
/* A lowercase RFC 1123 subdomain of at most 253 characters. */
int cz_validate_dns_subdomain(const char *name, cz_error *err);

#endif
