#ifndef CZ_CLI_PLAN_H
#define CZ_CLI_PLAN_H

/*
 * What `cozypkg add` will do, worked out before anything is created: the
 * dependency tree of the requested packages over the union of their
 * sources' variants, read from the cluster one PackageSource at a time (so
 * the cost follows the tree, not the cluster), its install order, and the
 * variant chosen for each package that is not installed yet.
 */

#include <jansson.h>
#include <stdbool.h>

#include "cli.h"
#include "engine/graph.h"
#include "model/catalog.h"
#include "util/strmap.h"

typedef struct plan_node {
	char *name;              /* owned */
	json_t *source;          /* the PackageSource, NULL when missing */
	json_t *package;         /* the installed Package, or NULL */
	const char *required_by; /* the package that first needed it */
	const char *variant;     /* chosen (borrowed), NULL until chosen */
	json_t *verbatim;        /* a Package document from -f to create */
	bool reported;           /* shown under an earlier root */
} plan_node;

typedef struct plan {
	plan_node *nodes;
	size_t nnodes;
	size_t cap;
	cz_strmap index;   /* name -> node number + 1 */
	cz_catalog sources; /* the PackageSources found, for the graph */
	cz_graph graph;     /* union graph over the tree */
	size_t *order;      /* node numbers of graph, dependencies first */
	size_t nordered;
	size_t gets;        /* requests sent while building */
	struct plan_lists *lists; /* while building */
} plan;

void plan_init(plan *p);
void plan_release(plan *p);

/*
 * Reads the tree below each root from the cluster: every PackageSource it
 * reaches and, for every node, its Package if installed.  A root without
 * a PackageSource fails ("failed to get PackageSource X"); deeper missing
 * sources are kept as missing nodes.  Then sorts the tree; a cycle fails
 * naming its members.  Prints the error; returns a CLI exit code.
 */
int plan_build(plan *p, cli_conn *conn, const cli_names *roots);

/* The node for name, or NULL. */
plan_node *plan_node_get(plan *p, const char *name);

/* Calls fn for each node reachable from root in install order. */
typedef int (*plan_visit_fn)(void *ctx, plan_node *node);
int plan_walk(plan *p, const char *root, plan_visit_fn fn, void *ctx);

/* The union over variants of a PackageSource object's dependsOn, in
 * variant then list order, without repeats (a JSON array, new ref). */
json_t *plan_source_deps(const json_t *source);

#endif
