#ifndef CZ_ENGINE_DOT_H
#define CZ_ENGINE_DOT_H

/*
 * Graphviz DOT output of the package graph, styled exactly as `cozypkg dot`
 * in Cozystack (cozystack-operator §4.4), but deterministic: nodes are
 * numbered in name order, edges are grouped by their source in name order,
 * and variant labels list variants in spec order.
 */

#include <stdbool.h>

#include "model/catalog.h"
#include "util/buf.h"

typedef struct cz_dot_opts {
	const char *const *selected; /* restrict to these sources; NULL: all */
	size_t nselected;
	bool installed_only;         /* only sources that have a Package */
	bool components;             /* add component nodes and edges */
} cz_dot_opts;

void cz_dot_write(const cz_catalog *cat, const cz_dot_opts *opts, cz_buf *out);

#endif
