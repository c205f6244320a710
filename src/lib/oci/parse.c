#include "oci/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "oci/digest.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/mem.h"

/* Single header values are capped by the transport; this bounds each
 * parameter of a challenge or link on its own. */
#define PARAM_MAX 8192

/* ---- RFC 7230 tokens and quoted strings ------------------------------ */

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void skip_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* Reads a token at *p into a new string; advances only on success. */
static char *read_token(const char **p)
{
	const char *s = *p;

	while (tchar(**p))
		(*p)++;
	return *p > s ? cz_xstrndup(s, (size_t)(*p - s)) : NULL;
}

/* Reads a quoted-string (with backslash escapes) or a token as a value.
 * Token68 values ("abc==") keep their trailing '='. */
static int read_value(const char **p, char **out, cz_error *err)
{
	cz_buf b;
	const char *s = *p;
	int rc = CZ_OK;

	*out = NULL;
	cz_buf_init(&b, PARAM_MAX);
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			if ((rc = cz_buf_putc(&b, *s)) < 0) {
				rc = cz_fail(err, CZ_ETOOLARGE,
					     "header parameter longer than %d "
					     "bytes",
					     PARAM_MAX);
				goto cleanup;
			}
		}
		if (*s != '"') {
			rc = cz_fail(err, CZ_EINVALID,
				     "unterminated quoted string");
			goto cleanup;
		}
		s++;
	} else {
		const char *start = s;

		while (tchar(*s) || *s == '/' || *s == '=')
			s++;
		if ((size_t)(s - start) > PARAM_MAX) {
			rc = cz_fail(err, CZ_ETOOLARGE,
				     "header parameter longer than %d bytes",
				     PARAM_MAX);
			goto cleanup;
		}
		cz_buf_append(&b, start, (size_t)(s - start));
	}
	*p = s;
	*out = cz_buf_detach(&b, NULL);
cleanup:
	cz_buf_release(&b);
	return rc;
}

/* ---- WWW-Authenticate ------------------------------------------------ */

void cz_oci_challenge_release(cz_oci_challenge *c)
{
	if (!c)
		return;
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

bool cz_oci_challenge_is(const cz_oci_challenge *c, const char *scheme)
{
	return c->scheme && !strcasecmp(c->scheme, scheme);
}

/* Keeps the first value of a parameter; a repeated one is ignored. */
static void keep_param(char **slot, char **value)
{
	if (!*slot) {
		*slot = *value;
		*value = NULL;
	}
}

/* Parses the parameters of one challenge, stopping before the next
 * challenge's scheme or at the end. */
static int parse_params(const char **pp, cz_oci_challenge *c, cz_error *err)
{
	const char *p = *pp;
	char *name = NULL, *value = NULL;
	int rc = CZ_OK;

	for (;;) {
		const char *before;

		skip_ows(&p);
		while (*p == ',') {
			p++;
			skip_ows(&p);
		}
		if (!*p)
			break;
		before = p;
		name = read_token(&p);
		if (!name) {
			rc = cz_fail(err, CZ_EINVALID,
				     "unexpected '%c' in a challenge", *p);
			goto cleanup;
		}
		skip_ows(&p);
		if (*p != '=') {
			/* A token without '=' starts the next challenge. */
			p = before;
			break;
		}
		p++;
		skip_ows(&p);
		if ((rc = read_value(&p, &value, err)) < 0)
			goto cleanup;
		if (!strcasecmp(name, "realm"))
			keep_param(&c->realm, &value);
		else if (!strcasecmp(name, "service"))
			keep_param(&c->service, &value);
		else if (!strcasecmp(name, "scope"))
			keep_param(&c->scope, &value);
		else if (!strcasecmp(name, "error"))
			keep_param(&c->error, &value);
		free(name);
		free(value);
		name = value = NULL;
		skip_ows(&p);
		if (*p && *p != ',') {
			rc = cz_fail(err, CZ_EINVALID,
				     "unexpected '%c' after a challenge "
				     "parameter",
				     *p);
			goto cleanup;
		}
	}
	*pp = p;
cleanup:
	free(name);
	free(value);
	return rc;
}

int cz_oci_challenge_parse(const char *header, cz_oci_challenge *out,
			   cz_error *err)
{
	cz_oci_challenge first = { 0 }, cur = { 0 };
	const char *p = header ? header : "";
	int rc = CZ_OK;

	memset(out, 0, sizeof(*out));
	for (;;) {
		skip_ows(&p);
		while (*p == ',') {
			p++;
			skip_ows(&p);
		}
		if (!*p)
			break;
		cur.scheme = read_token(&p);
		if (!cur.scheme || (*p && *p != ' ' && *p != '\t' && *p != ',')) {
			rc = cz_fail(err, CZ_EINVALID,
				     "WWW-Authenticate: no auth scheme");
			goto cleanup;
		}
		if ((rc = parse_params(&p, &cur, err)) < 0) {
			cz_error_prefix(err, "WWW-Authenticate");
			goto cleanup;
		}
		if (cz_oci_challenge_is(&cur, "Bearer")) {
			*out = cur;
			memset(&cur, 0, sizeof(cur));
			goto cleanup;
		}
		if (!first.scheme) {
			first = cur;
			memset(&cur, 0, sizeof(cur));
		} else {
			cz_oci_challenge_release(&cur);
		}
	}
	if (!first.scheme) {
		rc = cz_fail(err, CZ_EINVALID, "WWW-Authenticate: empty");
		goto cleanup;
	}
	*out = first;
	memset(&first, 0, sizeof(first));
cleanup:
	cz_oci_challenge_release(&first);
	cz_oci_challenge_release(&cur);
	return rc;
}

/* ---- Link ------------------------------------------------------------ */

/* True when the space-separated relation list rel holds "next". */
static bool rel_has_next(const char *rel)
{
	const char *p = rel;

	while (*p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == 4 && !strncasecmp(p, "next", 4))
			return true;
		p += n;
	}
	return false;
}

int cz_oci_link_next(const char *header, char **url_out, cz_error *err)
{
	const char *p = header ? header : "";
	char *url = NULL, *name = NULL, *value = NULL;
	int rc = CZ_OK;

	*url_out = NULL;
	for (;;) {
		bool next = false;
		const char *end;

		skip_ows(&p);
		while (*p == ',') {
			p++;
			skip_ows(&p);
		}
		if (!*p)
			break;
		if (*p != '<' || !(end = strchr(p, '>'))) {
			rc = cz_fail(err, CZ_EINVALID,
				     "Link: expected <URL>");
			goto cleanup;
		}
		if ((size_t)(end - p - 1) > PARAM_MAX) {
			rc = cz_fail(err, CZ_ETOOLARGE,
				     "Link: URL longer than %d bytes",
				     PARAM_MAX);
			goto cleanup;
		}
		url = cz_xstrndup(p + 1, (size_t)(end - p - 1));
		p = end + 1;
		for (;;) {
			skip_ows(&p);
			if (*p != ';')
				break;
			p++;
			skip_ows(&p);
			name = read_token(&p);
			if (!name) {
				rc = cz_fail(err, CZ_EINVALID,
					     "Link: expected a parameter name");
				goto cleanup;
			}
			skip_ows(&p);
			if (*p == '=') {
				p++;
				skip_ows(&p);
				if ((rc = read_value(&p, &value, err)) < 0) {
					cz_error_prefix(err, "Link");
					goto cleanup;
				}
				if (!strcasecmp(name, "rel") &&
				    rel_has_next(value))
					next = true;
			}
			free(name);
			free(value);
			name = value = NULL;
		}
		if (*p && *p != ',') {
			rc = cz_fail(err, CZ_EINVALID,
				     "Link: unexpected '%c'", *p);
			goto cleanup;
		}
		if (next) {
			*url_out = url;
			url = NULL;
			goto cleanup;
		}
		free(url);
		url = NULL;
	}
cleanup:
	free(url);
	free(name);
	free(value);
	return rc;
}

/* ---- docker config --------------------------------------------------- */

/* The host part of a docker config key: without scheme and path. */
static bool key_matches_host(const char *key, const char *host)
{
	const char *k = key;
	size_t n;

	if (!strncmp(k, "https://", 8))
		k += 8;
	else if (!strncmp(k, "http://", 7))
		k += 7;
	n = strcspn(k, "/");
	return n == strlen(host) && !strncasecmp(k, host, n);
}

static int entry_credentials(json_t *entry, const char *host,
			     char **user_out, char **pass_out, cz_error *err)
{
	json_t *auth = json_object_get(entry, "auth");
	json_t *user = json_object_get(entry, "username");
	json_t *pass = json_object_get(entry, "password");
	char *decoded = NULL;
	size_t len = 0;
	char *colon;
	int rc = CZ_OK;

	if (json_is_string(auth) && json_string_length(auth) > 0) {
		decoded = cz_base64_decode(json_string_value(auth),
					   json_string_length(auth), &len);
		if (!decoded || strlen(decoded) != len ||
		    !(colon = strchr(decoded, ':'))) {
			rc = cz_fail(err, CZ_EINVALID,
				     "docker config: auths[\"%s\"].auth is not "
				     "base64 of user:password",
				     host);
			goto cleanup;
		}
		*colon = '\0';
		*user_out = cz_xstrdup(decoded);
		*pass_out = cz_xstrdup(colon + 1);
		goto cleanup;
	}
	if (!json_is_string(user) || !json_is_string(pass)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "docker config: auths[\"%s\"] has neither auth "
			     "nor username and password strings",
			     host);
		goto cleanup;
	}
	*user_out = cz_xstrdup(json_string_value(user));
	*pass_out = cz_xstrdup(json_string_value(pass));
cleanup:
	if (decoded) {
		/* The password should not outlive its use in freed memory. */
		memset(decoded, 0, len);
		free(decoded);
	}
	return rc;
}

int cz_oci_docker_config_lookup(const char *json, size_t len,
				const char *host, char **user_out,
				char **pass_out, cz_error *err)
{
	json_t *root = NULL, *auths, *entry;
	json_error_t jerr;
	const char *key;
	int rc = CZ_OK;

	*user_out = *pass_out = NULL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		/* jerr.text may quote the input, which holds secrets. */
		rc = cz_fail(err, CZ_EINVALID,
			     "docker config: not a JSON object (line %d)",
			     root ? 1 : jerr.line);
		goto cleanup;
	}
	auths = json_object_get(root, "auths");
	if (!auths)
		auths = root; /* the older .dockercfg form */
	if (!json_is_object(auths)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "docker config: auths is not an object");
		goto cleanup;
	}
	json_object_foreach(auths, key, entry) {
		if (!key_matches_host(key, host))
			continue;
		if (!json_is_object(entry)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "docker config: auths[\"%s\"] is not an "
				     "object",
				     host);
			goto cleanup;
		}
		rc = entry_credentials(entry, host, user_out, pass_out, err);
		goto cleanup;
	}
	rc = cz_fail(err, CZ_ENOTFOUND, "docker config: no credentials for %s",
		     host);
cleanup:
	json_decref(root);
	return rc;
}

/* ---- manifests ------------------------------------------------------- */

static bool media_type_is(const char *media_type, const char *want)
{
	size_t n = strcspn(media_type, "; \t");

	return n == strlen(want) && !strncasecmp(media_type, want, n);
}

bool cz_oci_manifest_media_type_known(const char *media_type)
{
	return media_type &&
	       (media_type_is(media_type, CZ_OCI_MT_MANIFEST) ||
		media_type_is(media_type, CZ_OCI_MT_INDEX) ||
		media_type_is(media_type, CZ_OCI_MT_DOCKER_MANIFEST) ||
		media_type_is(media_type, CZ_OCI_MT_DOCKER_LIST));
}

static bool is_index_type(const char *media_type)
{
	return media_type_is(media_type, CZ_OCI_MT_INDEX) ||
	       media_type_is(media_type, CZ_OCI_MT_DOCKER_LIST);
}

static void annotations_release(cz_oci_annotation *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].key);
		free(a[i].value);
	}
	free(a);
}

static void descriptor_release(cz_oci_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->artifact_type);
	free(d->platform_os);
	free(d->platform_arch);
	annotations_release(d->annotations, d->n_annotations);
	memset(d, 0, sizeof(*d));
}

void cz_oci_manifest_release(cz_oci_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	free(m->artifact_type);
	descriptor_release(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_release(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		descriptor_release(&m->manifests[i]);
	free(m->manifests);
	annotations_release(m->annotations, m->n_annotations);
	memset(m, 0, sizeof(*m));
}

const char *cz_oci_annotation_get(const cz_oci_annotation *a, size_t n,
				  const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(a[i].key, key))
			return a[i].value;
	return NULL;
}

/* An optional string member; where names the object for messages. */
static int opt_string(json_t *obj, const char *name, const char *where,
		      char **out, cz_error *err)
{
	json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (!v)
		return CZ_OK;
	if (!json_is_string(v))
		return cz_fail(err, CZ_EINVALID, "manifest: %s.%s is not a string",
			       where, name);
	*out = cz_xstrdup(json_string_value(v));
	return CZ_OK;
}

static int parse_annotations(json_t *obj, const char *where,
			     cz_oci_annotation **out, size_t *n_out,
			     cz_error *err)
{
	json_t *map = json_object_get(obj, "annotations"), *v;
	cz_oci_annotation *a = NULL;
	size_t n = 0;
	const char *key;
	int rc = CZ_OK;

	*out = NULL;
	*n_out = 0;
	if (!map || json_is_null(map))
		return CZ_OK;
	if (!json_is_object(map))
		return cz_fail(err, CZ_EINVALID,
			       "manifest: %s.annotations is not an object",
			       where);
	if (json_object_size(map) > CZ_OCI_MAX_ANNOTATIONS)
		return cz_fail(err, CZ_ETOOLARGE,
			       "manifest: %s has more than %d annotations",
			       where, CZ_OCI_MAX_ANNOTATIONS);
	a = cz_xcalloc(json_object_size(map) + 1, sizeof(*a));
	json_object_foreach(map, key, v) {
		if (!json_is_string(v)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "manifest: %s.annotations[\"%.200s\"] is "
				     "not a string",
				     where, key);
			goto cleanup;
		}
		a[n].key = cz_xstrdup(key);
		a[n].value = cz_xstrdup(json_string_value(v));
		n++;
	}
cleanup:
	if (rc < 0) {
		annotations_release(a, n);
	} else {
		*out = a;
		*n_out = n;
	}
	return rc;
}

static int parse_descriptor(json_t *obj, const char *where,
			    cz_oci_descriptor *d, cz_error *err)
{
	json_t *size, *platform;
	int rc = CZ_OK;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(obj)) {
		rc = cz_fail(err, CZ_EINVALID, "manifest: %s is not an object",
			     where);
		goto cleanup;
	}
	if ((rc = opt_string(obj, "mediaType", where, &d->media_type, err)) < 0 ||
	    (rc = opt_string(obj, "digest", where, &d->digest, err)) < 0 ||
	    (rc = opt_string(obj, "artifactType", where, &d->artifact_type,
			     err)) < 0)
		goto cleanup;
	if (!d->media_type || !*d->media_type) {
		rc = cz_fail(err, CZ_EINVALID, "manifest: %s has no mediaType",
			     where);
		goto cleanup;
	}
	if (!d->digest || !cz_oci_digest_valid(d->digest)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "manifest: %s.digest is missing or malformed",
			     where);
		goto cleanup;
	}
	size = json_object_get(obj, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0) {
		rc = cz_fail(err, CZ_EINVALID,
			     "manifest: %s.size is not a non-negative integer",
			     where);
		goto cleanup;
	}
	d->size = (uint64_t)json_integer_value(size);
	platform = json_object_get(obj, "platform");
	if (platform && json_is_object(platform)) {
		if ((rc = opt_string(platform, "os", where, &d->platform_os,
				     err)) < 0 ||
		    (rc = opt_string(platform, "architecture", where,
				     &d->platform_arch, err)) < 0)
			goto cleanup;
	}
	rc = parse_annotations(obj, where, &d->annotations, &d->n_annotations,
			       err);
cleanup:
	if (rc < 0)
		descriptor_release(d);
	return rc;
}

static int parse_descriptor_array(json_t *root, const char *name,
				  cz_oci_descriptor **out, size_t *n_out,
				  cz_error *err)
{
	json_t *arr = json_object_get(root, name);
	cz_oci_descriptor *d = NULL;
	size_t n = 0, count;
	char where[64];
	int rc = CZ_OK;

	*out = NULL;
	*n_out = 0;
	if (!json_is_array(arr))
		return cz_fail(err, CZ_EINVALID,
			       "manifest: %s is missing or not an array", name);
	count = json_array_size(arr);
	if (count > CZ_OCI_MAX_DESCRIPTORS)
		return cz_fail(err, CZ_ETOOLARGE,
			       "manifest: more than %d %s", CZ_OCI_MAX_DESCRIPTORS,
			       name);
	d = cz_xcalloc(count + 1, sizeof(*d));
	for (n = 0; n < count; n++) {
		snprintf(where, sizeof(where), "%s[%zu]", name, n);
		if ((rc = parse_descriptor(json_array_get(arr, n), where, &d[n],
					   err)) < 0)
			goto cleanup;
	}
cleanup:
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			descriptor_release(&d[i]);
		free(d);
	} else {
		*out = d;
		*n_out = n;
	}
	return rc;
}

/* Chooses the manifest kind from the JSON mediaType, the Content-Type and
 * the document's shape, in that order; *out is malloc'ed. */
static int decide_media_type(json_t *root, const char *content_type,
			     char **out, cz_error *err)
{
	json_t *mt = json_object_get(root, "mediaType");
	const char *doc_type = NULL;
	bool served_known = cz_oci_manifest_media_type_known(content_type);

	*out = NULL;
	if (mt && !json_is_string(mt))
		return cz_fail(err, CZ_EINVALID,
			       "manifest: mediaType is not a string");
	if (mt) {
		doc_type = json_string_value(mt);
		if (!cz_oci_manifest_media_type_known(doc_type))
			return cz_fail(err, CZ_EINVALID,
				       "manifest: unsupported mediaType "
				       "\"%.200s\"",
				       doc_type);
		if (served_known &&
		    !media_type_is(content_type, doc_type))
			return cz_fail(err, CZ_EINVALID,
				       "manifest: mediaType %s does not match "
				       "the Content-Type it was served with",
				       doc_type);
		*out = cz_xstrdup(doc_type);
		return CZ_OK;
	}
	if (served_known) {
		*out = cz_xstrndup(content_type, strcspn(content_type, "; \t"));
		return CZ_OK;
	}
	if (json_object_get(root, "manifests"))
		*out = cz_xstrdup(CZ_OCI_MT_INDEX);
	else if (json_object_get(root, "config") ||
		 json_object_get(root, "layers"))
		*out = cz_xstrdup(CZ_OCI_MT_MANIFEST);
	else
		return cz_fail(err, CZ_EINVALID,
			       "manifest: neither an image manifest nor an "
			       "index");
	return CZ_OK;
}

int cz_oci_manifest_parse(const char *data, size_t len,
			  const char *content_type, cz_oci_manifest *out,
			  cz_error *err)
{
	cz_oci_manifest m;
	json_t *root = NULL, *version;
	json_error_t jerr;
	int rc = CZ_OK;

	memset(&m, 0, sizeof(m));
	memset(out, 0, sizeof(*out));
	if (len > CZ_OCI_MANIFEST_MAX) {
		rc = cz_fail(err, CZ_ETOOLARGE,
			     "manifest: larger than %u bytes",
			     CZ_OCI_MANIFEST_MAX);
		goto cleanup;
	}
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = cz_fail(err, CZ_EINVALID, "manifest: %s", jerr.text);
		goto cleanup;
	}
	if (!json_is_object(root)) {
		rc = cz_fail(err, CZ_EINVALID, "manifest: not a JSON object");
		goto cleanup;
	}
	version = json_object_get(root, "schemaVersion");
	if (!json_is_integer(version) || json_integer_value(version) != 2) {
		rc = cz_fail(err, CZ_EINVALID,
			     "manifest: schemaVersion is not 2 (schema 1 and "
			     "unknown versions are not supported)");
		goto cleanup;
	}
	if ((rc = decide_media_type(root, content_type, &m.media_type, err)) < 0 ||
	    (rc = opt_string(root, "artifactType", "manifest",
			     &m.artifact_type, err)) < 0 ||
	    (rc = parse_annotations(root, "manifest", &m.annotations,
				    &m.n_annotations, err)) < 0)
		goto cleanup;
	m.is_index = is_index_type(m.media_type);
	if (m.is_index) {
		rc = parse_descriptor_array(root, "manifests", &m.manifests,
					    &m.n_manifests, err);
		goto cleanup;
	}
	if ((rc = parse_descriptor(json_object_get(root, "config"), "config",
				   &m.config, err)) < 0)
		goto cleanup;
	m.has_config = true;
	rc = parse_descriptor_array(root, "layers", &m.layers, &m.n_layers, err);
cleanup:
	json_decref(root);
	if (rc < 0)
		cz_oci_manifest_release(&m);
	else
		*out = m;
	return rc;
}
