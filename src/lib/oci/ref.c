#include "oci/ref.h"

#include <stdlib.h>
#include <string.h>

#include "oci/digest.h"
#include "util/mem.h"

/* The distribution spec: host and name together stay under 255 bytes. */
#define MAX_NAME_TOTAL 255
#define MAX_TAG 128

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool component_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !lower_alnum(s[0]))
		return false;
	while (i < n) {
		while (i < n && lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n || !lower_alnum(s[i]))
			return false;
	}
	return true;
}

bool cz_oci_repo_valid(const char *repo)
{
	const char *p = repo;

	if (!repo || !*repo)
		return false;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (!component_valid(p, n))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

bool cz_oci_tag_valid(const char *tag)
{
	size_t n;

	if (!tag)
		return false;
	n = strlen(tag);
	if (n == 0 || n > MAX_TAG)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = tag[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' ||
			  (i > 0 && (c == '.' || c == '-'));

		if (!ok)
			return false;
	}
	return true;
}

/* host, "host:port" or "[v6]:port"; port 1..65535. */
static bool host_valid(const char *s, size_t n)
{
	size_t i = 0, name_end;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		while (i < n && s[i] != ']') {
			char c = s[i];

			if (i > 0 && !((c >= '0' && c <= '9') ||
				       (c >= 'a' && c <= 'f') ||
				       (c >= 'A' && c <= 'F') || c == ':' ||
				       c == '.'))
				return false;
			i++;
		}
		if (i == n || i < 2)
			return false;
		i++;
	} else {
		while (i < n && s[i] != ':') {
			char c = s[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-'))
				return false;
			i++;
		}
		if (i == 0 || s[0] == '.' || s[0] == '-' || s[i - 1] == '.' ||
		    s[i - 1] == '-')
			return false;
	}
	name_end = i;
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n || n - name_end - 1 > 5)
		return false;
	{
		long port = 0;

		for (i++; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			port = port * 10 + (s[i] - '0');
		}
		return port >= 1 && port <= 65535;
	}
}

void cz_oci_ref_release(cz_oci_ref *r)
{
	if (!r)
		return;
	free(r->host);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	r->host = r->repo = r->tag = r->digest = NULL;
}

int cz_oci_ref_parse(const char *text, cz_oci_ref *out, cz_error *err)
{
	cz_oci_ref r = CZ_OCI_REF_INIT;
	const char *p, *slash, *at, *last_slash, *colon;
	char *name = NULL;
	int rc = CZ_OK;

	*out = r;
	if (!text || !*text) {
		rc = cz_fail(err, CZ_EINVALID, "empty OCI reference");
		goto cleanup;
	}
	p = text;
	if (!strncmp(p, "oci://", 6))
		p += 6;
	else if (strstr(p, "://")) {
		rc = cz_fail(err, CZ_EINVALID,
			     "OCI reference %s: scheme must be oci://", text);
		goto cleanup;
	}
	slash = strchr(p, '/');
	if (!slash) {
		rc = cz_fail(err, CZ_EINVALID,
			     "OCI reference %s: no repository after the host",
			     text);
		goto cleanup;
	}
	if (!host_valid(p, (size_t)(slash - p))) {
		rc = cz_fail(err, CZ_EINVALID,
			     "OCI reference %s: bad host \"%.*s\"", text,
			     (int)(slash - p), p);
		goto cleanup;
	}
	r.host = cz_xstrndup(p, (size_t)(slash - p));
	p = slash + 1;
	at = strchr(p, '@');
	if (at) {
		if (!cz_oci_digest_valid(at + 1)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "OCI reference %s: bad digest \"%s\"",
				     text, at + 1);
			goto cleanup;
		}
		r.digest = cz_xstrdup(at + 1);
		name = cz_xstrndup(p, (size_t)(at - p));
	} else {
		name = cz_xstrdup(p);
	}
	last_slash = strrchr(name, '/');
	colon = strrchr(last_slash ? last_slash : name, ':');
	if (colon) {
		if (!cz_oci_tag_valid(colon + 1)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "OCI reference %s: bad tag \"%s\"", text,
				     colon + 1);
			goto cleanup;
		}
		r.tag = cz_xstrdup(colon + 1);
		name[colon - name] = '\0';
	}
	if (!cz_oci_repo_valid(name)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "OCI reference %s: bad repository name \"%s\" "
			     "(lowercase letters, digits, separators . _ __ -, "
			     "path segments joined by /)",
			     text, name);
		goto cleanup;
	}
	if (strlen(r.host) + 1 + strlen(name) >= MAX_NAME_TOTAL) {
		rc = cz_fail(err, CZ_EINVALID,
			     "OCI reference %s: host and repository name longer "
			     "than %d bytes",
			     text, MAX_NAME_TOTAL - 1);
		goto cleanup;
	}
	r.repo = name;
	name = NULL;
	*out = r;
cleanup:
	free(name);
	if (rc < 0)
		cz_oci_ref_release(&r);
	return rc;
}

const char *cz_oci_ref_reference(const cz_oci_ref *r)
{
	if (r->digest)
		return r->digest;
	return r->tag ? r->tag : "latest";
}

char *cz_oci_ref_format(const cz_oci_ref *r)
{
	return cz_xasprintf("%s/%s%s%s%s%s", r->host, r->repo,
			    r->tag ? ":" : "", r->tag ? r->tag : "",
			    r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *cz_oci_tag_from_version(const char *version)
{
	char *tag = cz_xstrdup(version);

	for (char *p = tag; *p; p++)
		if (*p == '+')
			*p = '_';
	return tag;
}
