/* Package revision identity and lifecycle rules (revision/revid.h). */

#include "revision/revid.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "object/meta.h"
#include "util/mem.h"

void cz_revid_of(const json_t *obj, cz_revid *id)
{
	const json_t *r = json_object_get(json_object_get(obj, "spec"),
					  "packageRevID");

	id->target = cz_json_str(r, "target");
	id->repository = cz_json_str(r, "repository");
	id->realm = cz_json_str(r, "realm");
	id->package = cz_json_str(r, "package");
	id->workspace = cz_json_str(r, "workspace");
	id->revision = cz_json_str(r, "revision");
}

unsigned long cz_revid_number(const char *revision)
{
	char *end = NULL;
	unsigned long n;

	if (!revision || revision[0] != 'v' ||
	    !isdigit((unsigned char)revision[1]))
		return 0;
	n = strtoul(revision + 1, &end, 10);
	return *end ? 0 : n;
}

bool cz_revid_has_gate(const json_t *obj, const char *gate)
{
	size_t i;
	json_t *g;

	json_array_foreach (json_object_get(json_object_get(obj, "spec"),
					    "readinessGates"),
			    i, g)
		if (strcmp(cz_json_str(g, "conditionType"), gate) == 0)
			return true;
	return false;
}

static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

static bool realm_ok(const char *s)
{
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) : strlen(s);

		if (!label_ok(s, n))
			return false;
		if (!slash)
			return true;
		s = slash + 1;
	}
}

int cz_revid_check(const cz_revid *id, cz_error *err)
{
	static const char *const why =
		"must be 1-63 lower case letters, digits or '-', starting and "
		"ending with a letter or digit";
	const struct {
		const char *field, *value;
	} labels[] = {
		{ "target", id->target },
		{ "repository", id->repository },
		{ "package", id->package },
		{ "workspace", id->workspace },
	};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!label_ok(labels[i].value, strlen(labels[i].value)))
			return cz_fail(err, CZ_EINVALID,
				       "spec.packageRevID.%s: Invalid value: "
				       "\"%.80s\": %s",
				       labels[i].field, labels[i].value, why);
	if (!realm_ok(id->realm))
		return cz_fail(err, CZ_EINVALID,
			       "spec.packageRevID.realm: Invalid value: "
			       "\"%.80s\": %s, segments joined by '/'",
			       id->realm, why);
	return CZ_OK;
}

char *cz_revid_name(const cz_revid *id)
{
	char *name = cz_xasprintf("%s.%s.%s.%s.%s", id->target, id->repository,
				  id->realm, id->package, id->workspace);

	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = ':';
	return name;
}

static bool is_catalog(const char *target)
{
	return strcmp(target, "catalog") == 0;
}

char *cz_revid_path(const cz_revid *id, const char *dir)
{
	const char *sep = dir && *dir ? "/" : "";

	if (is_catalog(id->target))
		return cz_xasprintf("%s%s%s/%s", dir ? dir : "", sep,
				    id->realm, id->package);
	return cz_xasprintf("%s%s%s/%s/%s", dir ? dir : "", sep, id->target,
			    id->realm, id->package);
}

int cz_revid_parse_path(const char *path, const char *dir, bool deployment,
			cz_revid_parts *out)
{
	size_t dlen = dir ? strlen(dir) : 0;
	const char *rest = path;
	const char *first, *last;

	memset(out, 0, sizeof(*out));
	if (dlen) {
		if (strncmp(path, dir, dlen) != 0 || path[dlen] != '/')
			return CZ_EINVALID;
		rest = path + dlen + 1;
	}
	last = strrchr(rest, '/');
	first = strchr(rest, '/');
	if (!last || (deployment && first == last))
		return CZ_EINVALID;
	out->package = cz_xstrdup(last + 1);
	if (deployment) {
		out->target = cz_xstrndup(rest, (size_t)(first - rest));
		out->realm = cz_xstrndup(first + 1, (size_t)(last - first - 1));
	} else {
		out->target = cz_xstrdup("catalog");
		out->realm = cz_xstrndup(rest, (size_t)(last - rest));
	}
	return CZ_OK;
}

void cz_revid_parts_free(cz_revid_parts *p)
{
	free(p->target);
	free(p->realm);
	free(p->package);
	memset(p, 0, sizeof(*p));
}

bool cz_revid_same_package(const cz_revid *a, const cz_revid *b)
{
	return strcmp(a->target, b->target) == 0 &&
	       strcmp(a->repository, b->repository) == 0 &&
	       strcmp(a->realm, b->realm) == 0 &&
	       strcmp(a->package, b->package) == 0 &&
	       strcmp(a->workspace, b->workspace) == 0;
}

static const char *const lifecycle_names[] = {
	[CZ_LC_DRAFT] = "draft",
	[CZ_LC_PROPOSED] = "proposed",
	[CZ_LC_PUBLISHED] = "published",
	[CZ_LC_DELETION_PROPOSED] = "deletionProposed",
};

cz_lifecycle cz_lifecycle_parse(const char *s)
{
	if (!s || !*s)
		return CZ_LC_DRAFT;
	for (int i = CZ_LC_DRAFT; i < CZ_LC_INVALID; i++)
		if (strcmp(s, lifecycle_names[i]) == 0)
			return (cz_lifecycle)i;
	return CZ_LC_INVALID;
}

const char *cz_lifecycle_name(cz_lifecycle lc)
{
	return lc < CZ_LC_INVALID ? lifecycle_names[lc] : "invalid";
}

bool cz_lifecycle_allowed(cz_lifecycle from, cz_lifecycle to)
{
	/* Rows: from; columns: to (draft, proposed, published,
	 * deletionProposed), pkgserver-porch §2.2. */
	static const bool allowed[4][4] = {
		[CZ_LC_DRAFT] = { true, true, false, true },
		[CZ_LC_PROPOSED] = { true, true, true, true },
		[CZ_LC_PUBLISHED] = { false, false, true, true },
		[CZ_LC_DELETION_PROPOSED] = { false, false, true, true },
	};

	return from < CZ_LC_INVALID && to < CZ_LC_INVALID && allowed[from][to];
}
