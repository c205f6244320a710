#ifndef CZ_ENGINE_RENDER_H
#define CZ_ENGINE_RENDER_H

/*
 * Offline rendering: what the Package controller applies once everything
 * has converged, assuming every HelmRelease it writes is applied (the real
 * operator's meaning of Ready).  A Package is Ready at the fixed point when
 * its source and variant exist, its configuration is valid and all its
 * non-ignored dependencies are Ready.
 */

#include <jansson.h>

#include "engine/engine.h"
#include "util/arena.h"
#include "util/diags.h"

typedef struct cz_render {
	cz_engine engine;
	cz_arena arena;
	cz_reconcile *results; /* one per Package, in catalog (name) order */
	size_t nresults;
	bool *ready;           /* fixed-point readiness, by package index */
} cz_render;

/* Runs the engine over every Package of a finished catalog to the fixed
 * point.  Problems that are not errors (dependency cycles, two Packages
 * writing one HelmRelease) become warnings in diags. */
void cz_render_run(cz_render *r, const cz_catalog *cat,
		   const cz_engine_opts *opts, cz_diags *diags);
void cz_render_release(cz_render *r);

typedef enum cz_render_format {
	CZ_RENDER_YAML,
	CZ_RENDER_JSON,
} cz_render_format;

/* Receives output as it is produced; returns CZ_OK or a negative code
 * (with err set) to stop. */
typedef int (*cz_sink)(void *ctx, const char *data, size_t len,
		       cz_error *err);

/*
 * Writes the result as one v1 List: Namespaces, HelmReleases (each group
 * sorted by namespace then name), then Packages with status, then
 * PackageSources with status.  Items are built and written one at a time,
 * so memory does not grow with the size of the output.
 */
int cz_render_write(const cz_render *r, cz_render_format format,
		    cz_sink sink, void *ctx, cz_diags *diags, cz_error *err);

#endif
