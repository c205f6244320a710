/* The dependency tree `cozypkg add` installs, read from the cluster. */

#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "object/meta.h"
#include "util/buf.h"
#include "util/mem.h"

/* GETs before plan_build() switches to reading whole lists. */
#define PLAN_GET_BUDGET 256

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

/* Sources and Packages, by name, from two lists: one read of the cluster
 * instead of a GET per package once the tree has grown large. */
typedef struct plan_lists {
	json_t *sources; /* name -> PackageSource */
	json_t *packages; /* name -> Package */
} plan_lists;

/* Specs stay text until a package of the tree needs one: a deep tree
 * still reaches only a part of a large catalog. */
static const char *const plan_source_paths[] = { "items[].metadata.name",
						 "items[].spec~", NULL };

static json_t *by_name(json_t *list)
{
	json_t *map = json_object();
	size_t i;
	json_t *obj;

	json_array_foreach (json_object_get(list, "items"), i, obj) {
		const char *name = cz_meta_str(obj, "name");

		if (name)
			json_object_set(map, name, obj);
	}
	return map;
}

static int read_lists(cli_conn *conn, plan_lists *l, cz_error *err)
{
	json_t *s = NULL, *p = NULL;
	int rc;

	if ((rc = cli_list(conn, cli_res_sources(), plan_source_paths,
			   &s, err)) == CZ_OK &&
	    (rc = cli_list(conn, cli_res_packages(), cli_package_paths,
			   &p, err)) == CZ_OK) {
		l->sources = by_name(s);
		l->packages = by_name(p);
	}
	json_decref(s);
	json_decref(p);
	return rc;
}

/* The PackageSource name from the list, its spec parsed now; NULL when
 * the list has none. */
static int source_from_list(plan_lists *l, const char *name, json_t **out,
			    cz_error *err)
{
	json_t *item = json_object_get(l->sources, name);
	const char *text = json_string_value(json_object_get(item, "spec"));
	json_error_t jerr;
	json_t *spec;

	*out = NULL;
	if (!item)
		return CZ_OK;
	spec = text ? json_loads(text, 0, &jerr) : json_object();
	if (!spec)
		return cz_fail(err, CZ_EINVALID, "PackageSource %s: spec: %s",
			       name, jerr.text);
	*out = json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion",
			 "cozystack.io/v1alpha1", "kind", "PackageSource",
			 "metadata", "name", name, "spec", spec);
	return CZ_OK;
}

/* GETs one object; a 404 leaves *out NULL and is not an error.  Past
 * PLAN_GET_BUDGET requests the whole lists are read once and answer the
 * rest: a GET costs a round trip, a list one parse of every object. */
static int get_optional(plan *p, cli_conn *conn, const cz_resource *res,
			const char *name, json_t **out, cz_error *err)
{
	plan_lists *l = p->lists;
	int rc;

	if (!l->sources && ++p->gets > PLAN_GET_BUDGET &&
	    (rc = read_lists(conn, l, err)) < 0)
		return rc;
	if (l->sources && res == cli_res_packages()) {
		*out = json_incref(json_object_get(l->packages, name));
		return CZ_OK;
	}
	if (l->sources)
		return source_from_list(l, name, out, err);
	rc = cli_get(conn, res, name, out, err);

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

	rc = get_optional(p, conn, cli_res_sources(), p->nodes[k].name,
			  &p->nodes[k].source, err);
	if (rc == CZ_OK && root && !p->nodes[k].source)
		rc = cz_fail(err, CZ_ENOTFOUND,
			     "failed to get PackageSource %s: not found",
			     p->nodes[k].name);
	if (rc == CZ_OK)
		rc = get_optional(p, conn, cli_res_packages(),
				  p->nodes[k].name, &p->nodes[k].package, err);
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
	plan_lists lists = { NULL, NULL };
	size_t next = 0;
	int rc = CZ_OK;

	p->lists = &lists;
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
	p->lists = NULL;
	json_decref(lists.sources);
	json_decref(lists.packages);
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
