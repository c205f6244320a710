/* The dependency tree `cozypkg add` installs, read from the cluster. */

#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

void plan_init(plan *p)
{
	memset(p, 0, sizeof(*p));
	cz_catalog_init(&p->sources);
}

void plan_release(plan *p)
{
	for (size_t i = 0; i < p->nnodes; i++) {
		free(p->nodes[i].name);
		json_decref(p->nodes[i].source);
		json_decref(p->nodes[i].package);
		json_decref(p->nodes[i].verbatim);
	}
	free(p->nodes);
	cz_strmap_release(&p->index);
	if (p->graph.names)
		cz_graph_release(&p->graph);
	cz_catalog_release(&p->sources);
	free(p->order);
	memset(p, 0, sizeof(*p));
}

plan_node *plan_node_get(plan *p, const char *name)
{
	size_t k = (size_t)(uintptr_t)cz_strmap_get(&p->index, name);

	return k ? &p->nodes[k - 1] : NULL;
}

/* Adds name (once) and returns its node; the array may move, so callers
 * hold node numbers, not pointers, across calls. */
static size_t add_node(plan *p, const char *name, const char *required_by)
{
	plan_node *n = plan_node_get(p, name);

	if (n)
		return (size_t)(n - p->nodes);
	CZ_GROW(p->nodes, p->nnodes + 1, p->cap);
	n = &p->nodes[p->nnodes];
	memset(n, 0, sizeof(*n));
	n->name = cz_xstrdup(name);
	n->required_by = required_by;
	/* The index keys point at the node's own copy, which never moves. */
	cz_strmap_put(&p->index, n->name, (void *)(uintptr_t)(p->nnodes + 1));
	return p->nnodes++;
}

json_t *plan_source_deps(const json_t *source)
{
	json_t *deps = json_array();
	json_t *variants = json_object_get(json_object_get(source, "spec"),
					   "variants");
	size_t i, j, k;
	json_t *v, *d, *have;

	json_array_foreach (variants, i, v) {
		json_array_foreach (json_object_get(v, "dependsOn"), j, d) {
			bool dup = false;

			if (!json_is_string(d))
				continue;
			json_array_foreach (deps, k, have)
				dup = dup || json_equal(have, d);
			if (!dup)
				json_array_append(deps, d);
		}
	}
	return deps;
}

/* GETs one object; a 404 leaves *out NULL and is not an error. */
static int get_optional(cli_conn *conn, const cz_resource *res,
			const char *name, json_t **out, cz_error *err)
{
	int rc = cli_get(conn, res, name, out, err);

	if (rc == CZ_ENOTFOUND) {
		*out = NULL;
		cz_error_clear(err);
		return CZ_OK;
	}
	return rc;
}

/* Fetches node k's PackageSource and Package and queues its dependencies. */
static int fetch_node(plan *p, cli_conn *conn, size_t k, bool root,
		      cz_error *err)
{
	json_t *deps = NULL, *dep;
	size_t i;
	int rc;

	rc = get_optional(conn, cli_res_sources(), p->nodes[k].name,
			  &p->nodes[k].source, err);
	if (rc == CZ_OK && root && !p->nodes[k].source)
		rc = cz_fail(err, CZ_ENOTFOUND,
			     "failed to get PackageSource %s: not found",
			     p->nodes[k].name);
	if (rc == CZ_OK)
		rc = get_optional(conn, cli_res_packages(), p->nodes[k].name,
				  &p->nodes[k].package, err);
	if (rc < 0 || !p->nodes[k].source)
		return rc;
	cz_catalog_put_source(&p->sources, p->nodes[k].source);
	deps = plan_source_deps(p->nodes[k].source);
	json_array_foreach (deps, i, dep)
		add_node(p, json_string_value(dep), p->nodes[k].name);
	json_decref(deps);
	return CZ_OK;
}

static int sort_tree(plan *p, cz_error *err)
{
	cz_buf cycles;
	int rc = CZ_OK;

	cz_catalog_finish(&p->sources);
	cz_graph_union(&p->graph, &p->sources);
	p->order = cz_xcalloc(p->graph.n ? p->graph.n : 1, sizeof(*p->order));
	p->nordered = cz_graph_toposort(&p->graph, p->order);
	if (p->nordered == p->graph.n)
		return CZ_OK;
	cz_buf_init(&cycles, CZ_BUF_UNLIMITED);
	cz_graph_cycles(&p->graph, &cycles);
	while (cycles.len && cycles.data[cycles.len - 1] == '\n')
		cycles.data[--cycles.len] = '\0';
	for (size_t i = 0; i < cycles.len; i++)
		if (cycles.data[i] == '\n')
			cycles.data[i] = ';';
	rc = cz_fail(err, CZ_ECYCLE, "dependency cycle detected: %s",
		     cycles.data);
	cz_buf_release(&cycles);
	return rc;
}

int plan_build(plan *p, cli_conn *conn, const cli_names *roots)
{
	cz_error err = CZ_ERROR_INIT;
	size_t next = 0;
	int rc = CZ_OK;

	for (size_t r = 0; r < roots->len && rc == CZ_OK; r++) {
		size_t k = add_node(p, roots->items[r], NULL);

		/* A root met earlier as a dependency was fetched then. */
		if (k < next) {
			if (!p->nodes[k].source)
				rc = cz_fail(&err, CZ_ENOTFOUND,
					     "failed to get PackageSource %s: "
					     "not found",
					     roots->items[r]);
			continue;
		}
		rc = fetch_node(p, conn, k, true, &err);
		next = k + 1;
		while (rc == CZ_OK && next < p->nnodes)
			rc = fetch_node(p, conn, next++, false, &err);
	}
	if (rc == CZ_OK)
		rc = sort_tree(p, &err);
	if (rc < 0)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

int plan_walk(plan *p, const char *root, plan_visit_fn fn, void *ctx)
{
	bool *reach = cz_xcalloc(p->graph.n ? p->graph.n : 1, sizeof(*reach));
	size_t r = cz_graph_find(&p->graph, root);
	int rc = CLI_EXIT_OK;

	if (r != (size_t)-1) {
		reach[r] = true;
		cz_graph_closure(&p->graph, reach, false);
	}
	for (size_t i = 0; i < p->nordered && rc == CLI_EXIT_OK; i++) {
		plan_node *n;

		if (!reach[p->order[i]])
			continue;
		n = plan_node_get(p, p->graph.names[p->order[i]]);
		if (n)
			rc = fn(ctx, n);
	}
	free(reach);
	return rc;
}
