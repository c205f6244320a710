#include "engine/render.h"

#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "util/buf.h"
#include "util/mem.h"

static void warn_cycles(const cz_graph *g, cz_diags *diags)
{
	cz_buf text;
	char *line, *next;

	cz_buf_init(&text, CZ_BUF_UNLIMITED);
	if (cz_graph_cycles(g, &text)) {
		for (line = text.data; *line; line = next) {
			next = strchr(line, '\n');
			*next++ = '\0';
			cz_diags_add(diags, CZ_DIAG_WARNING,
				     "dependency cycle between Packages: %s; "
				     "they stay DependenciesNotReady",
				     line);
		}
	}
	cz_buf_release(&text);
}

void cz_render_run(cz_render *r, const cz_catalog *cat,
		   const cz_engine_opts *opts, cz_diags *diags)
{
	cz_graph g;
	size_t *order;
	cz_readiness readiness;

	memset(r, 0, sizeof(*r));
	cz_engine_init(&r->engine, cat, opts);
	r->nresults = cat->npackages;
	r->results = cz_arena_array(&r->arena, cat->npackages + 1,
				    sizeof(*r->results));
	r->ready = cz_xcalloc(cat->npackages + 1, sizeof(bool));
	readiness.ready = r->ready;

	/* In dependency order every Package sees the final readiness of its
	 * dependencies, so one pass reaches the fixed point; Packages on or
	 * behind a cycle come last and see their blockers not Ready. */
	cz_graph_active(&g, cat);
	order = cz_xcalloc(g.n + 1, sizeof(size_t));
	cz_graph_toposort(&g, order);
	warn_cycles(&g, diags);
	for (size_t i = 0; i < g.n; i++) {
		const cz_package *pkg = g.missing[order[i]] ?
			NULL : cz_catalog_package(cat, g.names[order[i]]);
		cz_reconcile *res;

		if (!pkg)
			continue;
		res = &r->results[pkg->index];
		cz_engine_reconcile(&r->engine, &r->arena, pkg, &readiness, NULL,
				    0, res);
		r->ready[pkg->index] = res->ready;
	}
	free(order);
	cz_graph_release(&g);
}

void cz_render_release(cz_render *r)
{
	cz_engine_release(&r->engine);
	cz_arena_release(&r->arena);
	free(r->ready);
	memset(r, 0, sizeof(*r));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_namespaces(const cz_render *r, json_t *items)
{
	cz_strmap seen = CZ_STRMAP_INIT;
	const char **names = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < r->nresults; i++) {
		for (size_t j = 0; j < r->results[i].nnamespaces; j++) {
			const char *ns = r->results[i].namespaces[j];

			if (cz_strmap_put(&seen, ns, (void *)ns))
				continue;
			CZ_GROW(names, n + 1, cap);
			names[n++] = ns;
		}
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, cz_namespace_json(&r->engine, names[i]));
	free(names);
	cz_strmap_release(&seen);
}

static int cmp_release(const void *a, const void *b)
{
	const cz_helmrelease *x = *(const cz_helmrelease *const *)a;
	const cz_helmrelease *y = *(const cz_helmrelease *const *)b;
	int c = strcmp(x->component->install->namespace,
		       y->component->install->namespace);

	if (c)
		return c;
	c = strcmp(x->component->install->release_name,
		   y->component->install->release_name);
	if (c)
		return c;
	return strcmp(x->package->name, y->package->name);
}

static bool same_release(const cz_helmrelease *x, const cz_helmrelease *y)
{
	return strcmp(x->component->install->namespace,
		      y->component->install->namespace) == 0 &&
	       strcmp(x->component->install->release_name,
		      y->component->install->release_name) == 0;
}

static void add_releases(const cz_render *r, json_t *items, cz_diags *diags)
{
	const cz_helmrelease **all = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < r->nresults; i++) {
		for (size_t j = 0; j < r->results[i].nreleases; j++) {
			CZ_GROW(all, n + 1, cap);
			all[n++] = &r->results[i].releases[j];
		}
	}
	qsort(all, n, sizeof(*all), cmp_release);
	for (size_t i = 0; i < n; i++) {
		if (i && same_release(all[i - 1], all[i])) {
			cz_diags_add(diags, CZ_DIAG_WARNING,
				     "HelmRelease %s/%s is written by both "
				     "Package %s and Package %s; keeping %s's",
				     all[i]->component->install->namespace,
				     all[i]->component->install->release_name,
				     all[i - 1]->package->name,
				     all[i]->package->name,
				     all[i - 1]->package->name);
			continue;
		}
		json_array_append_new(items,
				      cz_helmrelease_json(&r->engine, all[i], NULL));
	}
	free(all);
}

static json_t *with_status(json_t *object, json_t *status)
{
	json_t *copy = json_copy(object);

	json_object_set_new(copy, "status", status);
	return copy;
}

json_t *cz_render_list(const cz_render *r, cz_diags *diags)
{
	const cz_catalog *cat = r->engine.catalog;
	json_t *items = json_array();

	add_namespaces(r, items);
	add_releases(r, items, diags);
	for (size_t i = 0; i < r->nresults; i++)
		json_array_append_new(items,
				      with_status(cat->packages[i]->object,
						  cz_package_status_json(
							  &r->results[i])));
	for (size_t i = 0; i < cat->nsources; i++)
		json_array_append_new(items,
				      with_status(cat->sources[i]->object,
						  cz_source_status_json(
							  cat->sources[i])));
	return json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List",
			 "items", items);
}
