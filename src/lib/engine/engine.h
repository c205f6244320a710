#ifndef CZ_ENGINE_ENGINE_H
#define CZ_ENGINE_ENGINE_H

/*
 * The package engine: what the Package controller does for one Package,
 * computed from a snapshot without any I/O (cozystack-operator §2.3).
 *
 * Given the catalog (PackageSources and Packages) and the readiness of each
 * Package, cz_engine_reconcile() returns the namespaces to apply, the
 * status.dependencies map, the HelmReleases to create or update, the
 * orphans to delete and the Ready condition, in the real operator's order
 * and with its exact reasons and messages.  The controllers apply the
 * result to an API server; `cozypkg render` iterates it to a fixed point.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/catalog.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/strmap.h"

/* The operator's HelmRelease knobs, with its defaults. */
typedef struct cz_engine_opts {
	int64_t interval_ns;        /* --helmrelease-interval, 5m */
	int64_t retry_interval_ns;  /* --helmrelease-retry-interval, 30s */
	int64_t install_timeout_ns; /* --helmrelease-install-timeout, 10m */
	int64_t upgrade_timeout_ns; /* --helmrelease-upgrade-timeout, 10m */
	int max_history;            /* --helmrelease-max-history, 5 (0: unlimited) */
} cz_engine_opts;

void cz_engine_opts_default(cz_engine_opts *opts);

typedef struct cz_engine {
	const cz_catalog *catalog;
	cz_engine_opts opts;
	/* Namespaces where some Package's active variant installs an enabled
	 * privileged component (resolved across all Packages, §2.3.4): name
	 * -> number of such components.  Kept per Package in contributions
	 * (name -> array of namespaces) so one change costs one Package. */
	json_t *privileged;
	json_t *contributions;
} cz_engine;

/* Prepares an engine over a finished catalog; the catalog must outlive it. */
void cz_engine_init(cz_engine *e, const cz_catalog *cat,
		    const cz_engine_opts *opts);
void cz_engine_release(cz_engine *e);
bool cz_engine_is_privileged(const cz_engine *e, const char *ns);
/*
 * Live use: recomputes what the Package name (present or gone from the
 * catalog) contributes to the privileged namespaces, after it or its
 * PackageSource changed.  Namespaces that became or stopped being
 * privileged are appended to flipped (a JSON array; may be NULL).
 */
void cz_engine_refresh_package(cz_engine *e, const char *name,
			       json_t *flipped);

typedef struct cz_hr_ref {
	const char *name;
	const char *namespace;
} cz_hr_ref;

typedef struct cz_helmrelease {
	const cz_package *package;
	const cz_source *source;
	const cz_variant *variant;
	const cz_component *component;
	const char *artifact; /* ExternalArtifact name */
	const cz_hr_ref *depends_on;
	size_t ndepends_on;
} cz_helmrelease;

typedef enum cz_reason {
	CZ_REASON_PACKAGE_SOURCE_NOT_FOUND,
	CZ_REASON_VARIANT_NOT_FOUND,
	CZ_REASON_INVALID_CONFIGURATION,
	CZ_REASON_DEPENDENCIES_NOT_READY,
	CZ_REASON_DEPENDS_ON_FAILED,
	CZ_REASON_RECONCILIATION_SUCCEEDED,
} cz_reason;

/* The condition reason as the API writes it, e.g. "VariantNotFound". */
const char *cz_reason_name(cz_reason r);

typedef struct cz_dependency_status {
	const char *name;
	bool ready;
} cz_dependency_status;

/* Readiness of the Packages the engine may consult: ready[pkg->index] is
 * true when that Package has Ready=True.  NULL means: read each Package's
 * own status.conditions, as a controller sees them. */
typedef struct cz_readiness {
	const bool *ready;
} cz_readiness;

typedef struct cz_reconcile {
	const cz_package *package;
	const cz_source *source;   /* NULL: PackageSource not found */
	const cz_variant *variant; /* NULL: not found */
	cz_reason reason;
	bool ready;
	const char *message;
	const char **namespaces; /* to apply, first use order, no repeats */
	size_t nnamespaces;
	bool has_dependencies;   /* status.dependencies is written */
	cz_dependency_status *dependencies; /* sorted by name */
	size_t ndependencies;
	cz_helmrelease *releases; /* created or updated, in component order */
	size_t nreleases;
	bool cleanup;             /* orphan cleanup ran */
	cz_hr_ref *orphans;       /* HelmReleases to delete */
	size_t norphans;
} cz_reconcile;

/*
 * Reconciles one Package.  existing lists the HelmReleases that carry the
 * label cozystack.io/package=<pkg> (for the orphan cleanup; may be empty).
 * Everything in *out is allocated from arena, and borrows from the catalog.
 */
void cz_engine_reconcile(const cz_engine *e, cz_arena *arena,
			 const cz_package *pkg, const cz_readiness *readiness,
			 const cz_hr_ref *existing, size_t nexisting,
			 cz_reconcile *out);

/* True when the Package object's status has a Ready=True condition. */
bool cz_package_status_ready(const cz_package *pkg);

/* The ExternalArtifact name <source>-<variant>-<component>, dots turned
 * into dashes.  Allocated from arena. */
char *cz_artifact_name(cz_arena *arena, const char *source,
		       const char *variant, const char *component);

/*
 * JSON builders.  Each returns a new reference owned by the caller.
 * owner_uid may be NULL (offline: no uid in the ownerReference).
 */
json_t *cz_helmrelease_json(const cz_engine *e, const cz_helmrelease *hr,
			    const char *owner_uid);
json_t *cz_namespace_json(const cz_engine *e, const char *name);
/* {"conditions": [Ready], "dependencies": {...}} for the Package. */
json_t *cz_package_status_json(const cz_reconcile *r);
/* {"variants": "a,b"} for a PackageSource. */
json_t *cz_source_status_json(const cz_source *src);

#endif
