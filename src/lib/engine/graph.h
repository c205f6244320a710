#ifndef CZ_ENGINE_GRAPH_H
#define CZ_ENGINE_GRAPH_H

/*
 * Package dependency graphs, shared by the CLI and the controllers.
 *
 * Nodes are names, numbered in name order so that every traversal is
 * deterministic; an edge runs from a dependent to its dependency.  A node
 * with no PackageSource (or no Package, for the active graph) is marked
 * missing.  Parallel edges are merged.
 */

#include <stdbool.h>
#include <stddef.h>

#include "model/catalog.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strmap.h"

typedef struct cz_graph {
	size_t n;
	const char **names; /* sorted */
	bool *missing;
	size_t *out_start;  /* out-edges of i: out[out_start[i] .. out_start[i+1]) */
	size_t *out;
	cz_strmap index;    /* name -> node number + 1 */
} cz_graph;

/* The union over all variants of every PackageSource (what cozypkg add/del
 * walk).  Missing marks names that have no PackageSource. */
void cz_graph_union(cz_graph *g, const cz_catalog *cat);
/* The active variant of every Package minus its ignoreDependencies (what
 * the controller gates on).  Missing marks names that have no Package. */
void cz_graph_active(cz_graph *g, const cz_catalog *cat);
void cz_graph_release(cz_graph *g);

/* Node number of name, or (size_t)-1. */
size_t cz_graph_find(const cz_graph *g, const char *name);

/*
 * Kahn's algorithm, dependencies first, ties broken by name.  Writes the
 * nodes into order[0..n) and returns how many were ordered; the rest (in
 * name order after them) are on a cycle or depend on one.
 */
size_t cz_graph_toposort(const cz_graph *g, size_t *order);

/*
 * Strongly connected components that form cycles (two or more nodes, or a
 * node depending on itself).  Appends "a -> b -> a" lines, one per cycle,
 * members in name order, to out and returns how many cycles there are.
 */
size_t cz_graph_cycles(const cz_graph *g, cz_buf *out);

/* Marks in reach every node reachable from a node marked in reach:
 * forward along edges (its dependencies) or backward (its dependents). */
void cz_graph_closure(const cz_graph *g, bool *reach, bool backward);

#endif
