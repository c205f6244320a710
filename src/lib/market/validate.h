#ifndef CZ_MARKET_VALIDATE_H
#define CZ_MARKET_VALIDATE_H

/*
 * Validation of a package repository: a directory whose packages/ is what
 * `cozypkg push` publishes (the artifact's root), with its PackageSources
 * under packages/core/platform/sources/.  What is checked:
 *
 *   - every PackageSource file decodes and passes the schema;
 *   - names are Kubernetes names, and the prefixes "cozystack." and
 *     "community." are reserved (unless allow_reserved_names);
 *   - every component and library path is a chart (a valid Chart.yaml);
 *   - every valuesFiles entry exists in its component's chart;
 *   - every dependsOn names a PackageSource of the repository or a known
 *     source; the dependencies have no cycle;
 *   - each chart's values.yaml validates against its values.schema.json.
 *
 * Problems are errors in the diagnostics, each "FILE:LINE: FIELD: message"
 * (FILE:FIELD where a line has no meaning); privileged components are
 * listed as notices, not problems.  The order is deterministic: files in
 * name order, then fields in document order.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/diags.h"
#include "util/error.h"

#define CZ_RESERVED_PREFIXES { "cozystack.", "community.", NULL }

typedef struct cz_validate_opts {
	const char *const *known_sources; /* NULL-terminated, or NULL */
	bool allow_reserved_names;
} cz_validate_opts;

typedef struct cz_validate_report {
	cz_diags diags;     /* errors (problems) and warnings */
	char **privileged;  /* "SOURCE: variant V: component C" (owned) */
	size_t nprivileged;
	size_t privileged_cap;
	size_t nsources;    /* PackageSources found */
	size_t ncharts;     /* distinct chart directories checked */
} cz_validate_report;

void cz_validate_report_init(cz_validate_report *r);
void cz_validate_report_release(cz_validate_report *r);

/*
 * Validates the repository at dir into *r (initialised by the caller).
 * Returns CZ_OK when it could be read, whatever it reports (look at
 * r->diags.nerrors); CZ_ENOTFOUND when dir has no packages/ directory.
 */
int cz_validate_repo(const char *dir, const cz_validate_opts *o,
		     cz_validate_report *r, cz_error *err);

/* True when name starts with a reserved prefix. */
bool cz_name_reserved(const char *name);

#endif
