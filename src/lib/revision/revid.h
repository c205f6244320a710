#ifndef CZ_REVISION_REVID_H
#define CZ_REVISION_REVID_H

/*
 * A package revision's identity (pkgserver's PackageRevID) and its
 * lifecycle rules, without storage: the object name, the path in git, the
 * transitions allowed (pkgserver-porch §1.3, §2.2).
 */

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

typedef struct cz_revid {
	const char *target;     /* "catalog" for catalog packages */
	const char *repository;
	const char *realm;      /* may contain '/' */
	const char *package;
	const char *workspace;
	const char *revision;   /* "" until published */
} cz_revid;

typedef enum cz_lifecycle {
	CZ_LC_DRAFT,
	CZ_LC_PROPOSED,
	CZ_LC_PUBLISHED,
	CZ_LC_DELETION_PROPOSED,
	CZ_LC_INVALID,
} cz_lifecycle;

/* spec.packageRevID of obj, borrowed from it (missing fields are ""). */
void cz_revid_of(const json_t *obj, cz_revid *id);
/* Checks every part: target, repository, package and workspace are
 * labels ([a-z0-9-], 1-63, no '-' at either end), realm is labels joined
 * by '/'.  The message names the field path. */
int cz_revid_check(const cz_revid *id, cz_error *err);
/* "<target>.<repository>.<realm, '/' as ':'>.<package>.<workspace>",
 * malloc'ed. */
char *cz_revid_name(const cz_revid *id);
/* The package's directory in git: "[<dir>/]<realm>/<package>" for the
 * catalog target, "[<dir>/]<target>/<realm>/<package>" otherwise;
 * malloc'ed. */
char *cz_revid_path(const cz_revid *id, const char *dir);
/* Splits a package path under dir (found in git) back into target, realm
 * and package: catalog repositories have no target.  The strings are
 * malloc'ed into out (free with cz_revid_parts_free); CZ_EINVALID when the
 * path has too few segments. */
typedef struct cz_revid_parts {
	char *target, *realm, *package;
} cz_revid_parts;
int cz_revid_parse_path(const char *path, const char *dir, bool deployment,
			cz_revid_parts *out);
void cz_revid_parts_free(cz_revid_parts *p);
/* Whether two identities agree on every part but the revision. */
bool cz_revid_same_package(const cz_revid *a, const cz_revid *b);

/* N of a published revision "vN" (N > 0); 0 for anything else. */
unsigned long cz_revid_number(const char *revision);

/* The readiness gate of deployment revisions that cozypkgd applies to the
 * cluster once published (docs/revisions.md), and its condition type. */
#define CZ_GATE_INSTALL "pkg.pkgserver.dev/install"
/* Whether obj's spec.readinessGates lists gate. */
bool cz_revid_has_gate(const json_t *obj, const char *gate);

cz_lifecycle cz_lifecycle_parse(const char *s); /* NULL or "": draft */
const char *cz_lifecycle_name(cz_lifecycle lc);
/* Whether from -> to is allowed (pkgserver's ValidateUpdateLifeCycle). */
bool cz_lifecycle_allowed(cz_lifecycle from, cz_lifecycle to);

#endif
