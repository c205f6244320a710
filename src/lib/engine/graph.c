#include "engine/graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/sort.h"

typedef struct edge_list {
	const char **from;
	const char **to;
	size_t len;
	size_t cap;
} edge_list;

static void edge_push(edge_list *l, const char *from, const char *to)
{
	if (l->len + 1 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		l->from = cz_xreallocarray(l->from, cap, sizeof(char *));
		l->to = cz_xreallocarray(l->to, cap, sizeof(char *));
		l->cap = cap;
	}
	l->from[l->len] = from;
	l->to[l->len] = to;
	l->len++;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

size_t cz_graph_find(const cz_graph *g, const char *name)
{
	uintptr_t v = (uintptr_t)cz_strmap_get(&g->index, name);

	return v ? (size_t)(v - 1) : (size_t)-1;
}

static void add_node(cz_graph *g, const char *name, size_t *cap)
{
	if (cz_strmap_has(&g->index, name))
		return;
	CZ_GROW(g->names, g->n + 1, *cap);
	g->names[g->n++] = name;
	cz_strmap_put(&g->index, name, (void *)1);
}

/* Numbers the nodes in name order and lays the edges out as CSR. */
static void build(cz_graph *g, const char *const *present, size_t npresent,
		  const edge_list *edges)
{
	size_t cap = 0;
	size_t *pairs;

	for (size_t i = 0; i < npresent; i++)
		add_node(g, present[i], &cap);
	for (size_t i = 0; i < edges->len; i++)
		add_node(g, edges->to[i], &cap);
	cz_sort(g->names, g->n, sizeof(*g->names), cz_cmp_str);
	g->missing = cz_xcalloc(g->n + 1, sizeof(bool));
	for (size_t i = 0; i < g->n; i++) {
		cz_strmap_put(&g->index, g->names[i], (void *)(uintptr_t)(i + 1));
		g->missing[i] = true;
	}
	for (size_t i = 0; i < npresent; i++)
		g->missing[cz_graph_find(g, present[i])] = false;

	/* Sort (from, to) pairs, drop repeats, then count per node. */
	pairs = cz_xreallocarray(NULL, edges->len + 1, 2 * sizeof(size_t));
	for (size_t i = 0; i < edges->len; i++) {
		pairs[2 * i] = cz_graph_find(g, edges->from[i]);
		pairs[2 * i + 1] = cz_graph_find(g, edges->to[i]);
	}
	cz_sort(pairs, edges->len, 2 * sizeof(size_t), cmp_size);
	g->out_start = cz_xcalloc(g->n + 1, sizeof(size_t));
	g->out = cz_xreallocarray(NULL, edges->len + 1, sizeof(size_t));
	for (size_t i = 0, m = 0; i < edges->len; i++) {
		if (i && pairs[2 * i] == pairs[2 * i - 2] &&
		    pairs[2 * i + 1] == pairs[2 * i - 1])
			continue;
		g->out[m++] = pairs[2 * i + 1];
		g->out_start[pairs[2 * i] + 1]++;
	}
	for (size_t i = 0; i < g->n; i++)
		g->out_start[i + 1] += g->out_start[i];
	free(pairs);
}

void cz_graph_union(cz_graph *g, const cz_catalog *cat)
{
	edge_list edges = { 0 };
	const char **present = cz_xcalloc(cat->nsources + 1, sizeof(char *));

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < cat->nsources; i++) {
		const cz_source *src = cat->sources[i];

		present[i] = src->name;
		for (size_t v = 0; v < src->nvariants; v++)
			for (size_t d = 0; d < src->variants[v].depends_on.len; d++)
				edge_push(&edges, src->name,
					  src->variants[v].depends_on.items[d]);
	}
	build(g, present, cat->nsources, &edges);
	free(present);
	free(edges.from);
	free(edges.to);
}

void cz_graph_active(cz_graph *g, const cz_catalog *cat)
{
	edge_list edges = { 0 };
	const char **present = cz_xcalloc(cat->npackages + 1, sizeof(char *));

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < cat->npackages; i++) {
		const cz_package *pkg = cat->packages[i];
		const cz_source *src = cz_catalog_source(cat, pkg->name);
		const cz_variant *v = src ? cz_source_variant(src, pkg->variant) :
					    NULL;

		present[i] = pkg->name;
		for (size_t d = 0; v && d < v->depends_on.len; d++)
			if (!cz_strlist_has(&pkg->ignore_dependencies,
					    v->depends_on.items[d]))
				edge_push(&edges, pkg->name, v->depends_on.items[d]);
	}
	build(g, present, cat->npackages, &edges);
	free(present);
	free(edges.from);
	free(edges.to);
}

void cz_graph_release(cz_graph *g)
{
	free(g->names);
	free(g->missing);
	free(g->out_start);
	free(g->out);
	cz_strmap_release(&g->index);
	memset(g, 0, sizeof(*g));
}

/* A binary min-heap of node numbers: node numbers are name order, so the
 * smallest ready node is the alphabetically first. */
typedef struct heap {
	size_t *items;
	size_t len;
} heap;

static void heap_push(heap *h, size_t v)
{
	size_t i = h->len++;

	h->items[i] = v;
	while (i && h->items[(i - 1) / 2] > h->items[i]) {
		size_t p = (i - 1) / 2, t = h->items[p];

		h->items[p] = h->items[i];
		h->items[i] = t;
		i = p;
	}
}

static size_t heap_pop(heap *h)
{
	size_t top = h->items[0], i = 0;

	h->items[0] = h->items[--h->len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < h->len && h->items[l] < h->items[m])
			m = l;
		if (r < h->len && h->items[r] < h->items[m])
			m = r;
		if (m == i)
			return top;
		t = h->items[m];
		h->items[m] = h->items[i];
		h->items[i] = t;
		i = m;
	}
}

/* The reverse edges as CSR: the dependents of v are
 * in[in_start[v] .. in_start[v+1]).  The caller frees both arrays. */
static void in_edges(const cz_graph *g, size_t **in_start_out, size_t **in_out)
{
	size_t *in_start = cz_xcalloc(g->n + 2, sizeof(size_t));
	size_t *in = cz_xcalloc(g->out_start[g->n] + 1, sizeof(size_t));

	for (size_t e = 0; e < g->out_start[g->n]; e++)
		in_start[g->out[e] + 2]++;
	for (size_t i = 0; i < g->n; i++)
		in_start[i + 2] += in_start[i + 1];
	for (size_t i = 0; i < g->n; i++)
		for (size_t e = g->out_start[i]; e < g->out_start[i + 1]; e++)
			in[in_start[g->out[e] + 1]++] = i;
	*in_start_out = in_start;
	*in_out = in;
}

size_t cz_graph_toposort(const cz_graph *g, size_t *order)
{
	/* Dependencies first: a node is ready when all its out-edges (its
	 * dependencies) are done, so count out-degrees and walk in-edges. */
	size_t *pending = cz_xcalloc(g->n + 1, sizeof(size_t));
	size_t *in_start, *in;
	bool *done = cz_xcalloc(g->n + 1, sizeof(bool));
	heap h = { cz_xcalloc(g->n + 1, sizeof(size_t)), 0 };
	size_t count = 0;

	in_edges(g, &in_start, &in);
	for (size_t i = 0; i < g->n; i++)
		pending[i] = g->out_start[i + 1] - g->out_start[i];
	for (size_t i = 0; i < g->n; i++)
		if (!pending[i])
			heap_push(&h, i);
	while (h.len) {
		size_t v = heap_pop(&h);

		order[count++] = v;
		done[v] = true;
		for (size_t e = in_start[v]; e < in_start[v + 1]; e++)
			if (--pending[in[e]] == 0)
				heap_push(&h, in[e]);
	}
	for (size_t i = 0, k = count; i < g->n; i++)
		if (!done[i])
			order[k++] = i;
	free(h.items);
	free(done);
	free(in);
	free(in_start);
	free(pending);
	return count;
}

/* Tarjan's algorithm, iterative so that a deep chain cannot overflow the
 * C stack. */
typedef struct tarjan {
	const cz_graph *g;
	size_t *index, *low, *stack, *call, *edge;
	bool *on_stack;
	size_t next_index, sp, cp;
	size_t ncycles;
	cz_buf *out;
} tarjan;

static void emit_component(tarjan *t, size_t root)
{
	size_t start = t->sp;
	size_t *members;
	size_t n;
	bool self_loop = false;

	do {
		start--;
		t->on_stack[t->stack[start]] = false;
	} while (t->stack[start] != root);
	n = t->sp - start;
	for (size_t e = t->g->out_start[root]; e < t->g->out_start[root + 1]; e++)
		self_loop |= t->g->out[e] == root;
	if (n > 1 || self_loop) {
		members = t->stack + start;
		cz_sort(members, n, sizeof(size_t), cmp_size);
		for (size_t i = 0; i < n; i++)
			cz_buf_printf(t->out, "%s -> ", t->g->names[members[i]]);
		cz_buf_printf(t->out, "%s\n", t->g->names[members[0]]);
		t->ncycles++;
	}
	t->sp = start;
}

static void strongconnect(tarjan *t, size_t root)
{
	t->call[t->cp++] = root;
	t->edge[root] = t->g->out_start[root];
	t->index[root] = t->low[root] = ++t->next_index;
	t->stack[t->sp++] = root;
	t->on_stack[root] = true;
	while (t->cp) {
		size_t v = t->call[t->cp - 1];

		if (t->edge[v] < t->g->out_start[v + 1]) {
			size_t w = t->g->out[t->edge[v]++];

			if (!t->index[w]) {
				t->edge[w] = t->g->out_start[w];
				t->index[w] = t->low[w] = ++t->next_index;
				t->stack[t->sp++] = w;
				t->on_stack[w] = true;
				t->call[t->cp++] = w;
			} else if (t->on_stack[w] && t->index[w] < t->low[v]) {
				t->low[v] = t->index[w];
			}
			continue;
		}
		if (t->low[v] == t->index[v])
			emit_component(t, v);
		t->cp--;
		if (t->cp) {
			size_t parent = t->call[t->cp - 1];

			if (t->low[v] < t->low[parent])
				t->low[parent] = t->low[v];
		}
	}
}

size_t cz_graph_cycles(const cz_graph *g, cz_buf *out)
{
	size_t n = g->n + 1;
	tarjan t = { g,
		     cz_xcalloc(n, sizeof(size_t)),
		     cz_xcalloc(n, sizeof(size_t)),
		     cz_xcalloc(n, sizeof(size_t)),
		     cz_xcalloc(n, sizeof(size_t)),
		     cz_xcalloc(n, sizeof(size_t)),
		     cz_xcalloc(n, sizeof(bool)),
		     0, 0, 0, 0, out };

	for (size_t v = 0; v < g->n; v++)
		if (!t.index[v])
			strongconnect(&t, v);
	free(t.index);
	free(t.low);
	free(t.stack);
	free(t.call);
	free(t.edge);
	free(t.on_stack);
	return t.ncycles;
}

void cz_graph_closure(const cz_graph *g, bool *reach, bool backward)
{
	size_t *queue = cz_xcalloc(g->n + 1, sizeof(size_t));
	size_t *start = g->out_start, *edges = g->out;
	size_t *in_start = NULL, *in = NULL;
	size_t head = 0, tail = 0;

	if (backward) {
		in_edges(g, &in_start, &in);
		start = in_start;
		edges = in;
	}
	for (size_t i = 0; i < g->n; i++)
		if (reach[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t v = queue[head++];

		for (size_t e = start[v]; e < start[v + 1]; e++) {
			if (!reach[edges[e]]) {
				reach[edges[e]] = true;
				queue[tail++] = edges[e];
			}
		}
	}
	free(in_start);
	free(in);
	free(queue);
}
