#include "engine/dot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/mem.h"
#include "util/sort.h"
#include "util/strmap.h"

typedef struct dot_edge dot_edge;

struct dot_edge {
	const char *from;
	const char *to;           /* NULL: dropped */
	const cz_source *src;     /* the source whose variants label it */
	bool *in_variant;         /* per variant of src */
	const dot_edge *base;     /* variants compared against; NULL: all */
	size_t seq;               /* insertion order */
};

typedef struct dot_graph {
	const cz_catalog *cat;
	const cz_dot_opts *opts;
	cz_arena arena;
	cz_strmap nodes;     /* name -> name, nodes that exist */
	cz_strmap edge_index; /* "from\nto" -> dot_edge * */
	cz_strmap package_deps; /* names used as package dependencies */
	cz_strmap components;   /* "ps.comp" of every installable component */
	dot_edge **edges;
	size_t nedges, edges_cap;
} dot_graph;

static dot_edge *add_edge(dot_graph *g, const char *from, const char *to,
			  const cz_source *src)
{
	char *key = cz_arena_printf(&g->arena, "%s\n%s", from, to);
	dot_edge *e = cz_strmap_get(&g->edge_index, key);

	if (e)
		return e;
	e = cz_arena_alloc(&g->arena, sizeof(*e));
	e->from = from;
	e->to = to;
	e->src = src;
	e->in_variant = cz_arena_array(&g->arena, src->nvariants + 1, sizeof(bool));
	e->seq = g->nedges;
	cz_strmap_put(&g->edge_index, key, e);
	CZ_GROW(g->edges, g->nedges + 1, g->edges_cap);
	g->edges[g->nedges++] = e;
	return e;
}

static void add_node(dot_graph *g, const char *name)
{
	cz_strmap_put(&g->nodes, name, (void *)name);
}

static bool selected(const dot_graph *g, const char *name)
{
	if (g->opts->installed_only && !cz_catalog_package(g->cat, name))
		return false;
	if (!g->opts->nselected)
		return true;
	for (size_t i = 0; i < g->opts->nselected; i++)
		if (strcmp(g->opts->selected[i], name) == 0)
			return true;
	return false;
}

static bool is_package(const dot_graph *g, const char *name)
{
	const char *dot = strchr(name, '.');
	char prefix[256];
	size_t n;

	if (cz_catalog_source(g->cat, name) || !dot ||
	    cz_strmap_has(&g->package_deps, name))
		return true;
	n = (size_t)(dot - name);
	if (n >= sizeof(prefix))
		return false;
	memcpy(prefix, name, n);
	prefix[n] = '\0';
	return cz_catalog_source(g->cat, prefix) != NULL;
}

/* Adds component c of variant v; returns its edge to its own package. */
static dot_edge *walk_component(dot_graph *g, const cz_source *src, size_t v,
				const cz_component *c, cz_strmap *own,
				cz_strmap *has_deps)
{
	const char *cn = cz_arena_printf(&g->arena, "%s.%s", src->name, c->name);
	dot_edge *self, *e;

	if (!cz_strmap_has(own, cn))
		cz_strmap_put(own, cn, (void *)cn);
	cn = cz_strmap_get(own, cn);
	add_node(g, cn);
	self = add_edge(g, cn, src->name, src);
	self->in_variant[v] = true;
	for (size_t d = 0; d < c->install->depends_on.len; d++) {
		const char *dep = c->install->depends_on.items[d];
		bool external = strchr(dep, '.') != NULL;
		const char *target = external ?
			dep : cz_arena_printf(&g->arena, "%s.%s", src->name, dep);

		cz_strmap_put(has_deps, cn, (void *)cn);
		e = add_edge(g, cn, target, src);
		e->in_variant[v] = true;
		e->base = self;
		if (cz_strmap_has(&g->components, target)) {
			add_node(g, target);
		} else {
			size_t n = external ? strcspn(dep, ".") : strlen(src->name);
			const char *pkg = external ?
				cz_arena_strndup(&g->arena, dep, n) : src->name;

			add_edge(g, target, pkg, src);
			if (cz_catalog_source(g->cat, pkg))
				add_node(g, pkg);
		}
	}
	return self;
}

static void walk_source(dot_graph *g, const cz_source *src)
{
	cz_strmap own = CZ_STRMAP_INIT, has_deps = CZ_STRMAP_INIT;
	dot_edge **selfs = NULL;
	size_t nselfs = 0, cap = 0;

	add_node(g, src->name);
	for (size_t v = 0; v < src->nvariants; v++) {
		const cz_variant *var = &src->variants[v];

		for (size_t d = 0; d < var->depends_on.len; d++) {
			const char *dep = var->depends_on.items[d];
			dot_edge *e;

			if (g->opts->installed_only &&
			    !cz_catalog_package(g->cat, dep))
				continue;
			e = add_edge(g, src->name, dep, src);
			e->in_variant[v] = true;
			cz_strmap_put(&g->package_deps, dep, (void *)dep);
			if (cz_catalog_source(g->cat, dep))
				add_node(g, dep);
		}
		for (size_t c = 0; g->opts->components && c < var->ncomponents;
		     c++) {
			if (!var->components[c].install)
				continue;
			CZ_GROW(selfs, nselfs + 1, cap);
			selfs[nselfs++] = walk_component(g, src, v,
							 &var->components[c],
							 &own, &has_deps);
		}
	}
	/* A component with dependencies is drawn towards them, not towards
	 * its own package. */
	for (size_t i = 0; i < nselfs; i++)
		if (cz_strmap_has(&has_deps, selfs[i]->from))
			selfs[i]->to = NULL;
	free(selfs);
	cz_strmap_release(&own);
	cz_strmap_release(&has_deps);
}

static void put_quoted(cz_buf *out, const char *s)
{
	cz_buf_putc(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			cz_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			cz_buf_puts(out, "\\n");
		else if (c < 0x20 || c == 0x7f)
			cz_buf_printf(out, "\\x%02x", c);
		else
			cz_buf_putc(out, (char)c);
	}
	cz_buf_putc(out, '"');
}

static void put_attr(cz_buf *out, bool *first, const char *key,
		     const char *value)
{
	cz_buf_printf(out, "%s%s=", *first ? "" : ",", key);
	put_quoted(out, value);
	*first = false;
}

static const char *last_segment(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

static int cmp_edge(const void *a, const void *b)
{
	const dot_edge *x = *(const dot_edge *const *)a;
	const dot_edge *y = *(const dot_edge *const *)b;
	int c = strcmp(x->from, y->from);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Every name that will be drawn, with its node number. */
static void number_nodes(dot_graph *g, cz_strmap *ids, const char ***names_out,
			 size_t *n_out)
{
	cz_strmap all = CZ_STRMAP_INIT;
	const char **names = NULL;
	size_t n = 0, cap = 0, pos = 0;
	const char *key;

	for (size_t i = 0; cz_strmap_next(&g->nodes, &i, &key, NULL);)
		cz_strmap_put(&all, key, (void *)key);
	for (size_t i = 0; i < g->nedges; i++)
		if (g->edges[i]->to) {
			cz_strmap_put(&all, g->edges[i]->from, (void *)g->edges[i]->from);
			cz_strmap_put(&all, g->edges[i]->to, (void *)g->edges[i]->to);
		}
	while (cz_strmap_next(&all, &pos, &key, NULL)) {
		if (!g->opts->components && !is_package(g, key))
			continue;
		CZ_GROW(names, n + 1, cap);
		names[n++] = key;
	}
	cz_sort(names, n, sizeof(*names), cz_cmp_str);
	for (size_t i = 0; i < n; i++)
		cz_strmap_put(ids, names[i], (void *)(uintptr_t)(i + 1));
	cz_strmap_release(&all);
	*names_out = names;
	*n_out = n;
}

static void write_node(const dot_graph *g, const char *name, size_t id,
		       cz_buf *out)
{
	bool exists = cz_strmap_has(&g->nodes, name);
	bool pkg = is_package(g, name);
	bool first = true;

	cz_buf_printf(out, "\tn%zu[", id);
	put_attr(out, &first, "fillcolor",
		 !exists ? "lightcoral" : pkg ? "lightblue" : "lightyellow");
	put_attr(out, &first, "label", pkg ? name : last_segment(name));
	put_attr(out, &first, "shape", "box");
	put_attr(out, &first, "style",
		 exists ? "rounded,filled" : "rounded,filled,dashed");
	cz_buf_puts(out, "];\n");
}

static size_t count_variants(const dot_edge *e)
{
	size_t n = 0;

	for (size_t v = 0; v < e->src->nvariants; v++)
		n += e->in_variant[v];
	return n;
}

/* A label lists the variants an edge belongs to, when that is not all the
 * variants it could belong to. */
static void put_variant_label(const dot_edge *e, cz_buf *out, bool *first)
{
	size_t count = count_variants(e);
	size_t of = e->base ? count_variants(e->base) : e->src->nvariants;
	cz_buf label;

	if (!count || count >= of)
		return;
	cz_buf_init(&label, CZ_BUF_UNLIMITED);
	for (size_t v = 0; v < e->src->nvariants; v++)
		if (e->in_variant[v])
			cz_buf_printf(&label, "%s%s", label.len ? "," : "",
				      e->src->variants[v].name);
	put_attr(out, first, "label", label.data);
	cz_buf_release(&label);
}

static void write_edge(const dot_graph *g, const dot_edge *e,
		       const cz_strmap *ids, cz_buf *out)
{
	uintptr_t from = (uintptr_t)cz_strmap_get(ids, e->from);
	uintptr_t to = (uintptr_t)cz_strmap_get(ids, e->to);
	bool first = true;

	if (!from || !to)
		return; /* an end is not drawn (packages-only view) */
	cz_buf_printf(out, "\tn%zu->n%zu[", (size_t)from, (size_t)to);
	if (cz_strmap_has(&g->nodes, e->to)) {
		bool black = is_package(g, e->from) && is_package(g, e->to);

		put_attr(out, &first, "color", black ? "black" : "green");
		put_variant_label(e, out, &first);
	} else {
		put_attr(out, &first, "color", "red");
		put_attr(out, &first, "style", "dashed");
	}
	cz_buf_puts(out, "];\n");
}

static void write_graph(dot_graph *g, cz_buf *out)
{
	cz_strmap ids = CZ_STRMAP_INIT;
	const char **names = NULL;
	size_t n = 0;

	number_nodes(g, &ids, &names, &n);
	cz_buf_puts(out, "digraph  {\n\tnodesep=\"0.5\";rankdir=\"RL\";"
			 "ranksep=\"1.0\";\n");
	for (size_t i = 0; i < n; i++)
		write_node(g, names[i], i + 1, out);
	cz_sort(g->edges, g->nedges, sizeof(*g->edges), cmp_edge);
	for (size_t i = 0; i < g->nedges; i++)
		if (g->edges[i]->to)
			write_edge(g, g->edges[i], &ids, out);
	cz_buf_puts(out, "\t\n}\n");
	free(names);
	cz_strmap_release(&ids);
}

void cz_dot_write(const cz_catalog *cat, const cz_dot_opts *opts, cz_buf *out)
{
	dot_graph g;

	memset(&g, 0, sizeof(g));
	g.cat = cat;
	g.opts = opts;
	for (size_t i = 0; i < cat->nsources; i++) {
		const cz_source *src = cat->sources[i];

		for (size_t v = 0; v < src->nvariants; v++)
			for (size_t c = 0; c < src->variants[v].ncomponents; c++)
				if (src->variants[v].components[c].install)
					cz_strmap_put(&g.components,
						      cz_arena_printf(&g.arena,
							"%s.%s", src->name,
							src->variants[v].components[c].name),
						      (void *)1);
	}
	for (size_t i = 0; i < cat->nsources; i++)
		if (selected(&g, cat->sources[i]->name))
			walk_source(&g, cat->sources[i]);
	write_graph(&g, out);
	free(g.edges);
	cz_strmap_release(&g.nodes);
	cz_strmap_release(&g.edge_index);
	cz_strmap_release(&g.package_deps);
	cz_strmap_release(&g.components);
	cz_arena_release(&g.arena);
}
