#include "engine/render.h"

#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "object/emit.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/sort.h"

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

/* Output in pieces: items are emitted into a buffer that is handed to the
 * sink whenever it passes FLUSH_BYTES. */
#define FLUSH_BYTES (1024 * 1024)

typedef struct writer {
	cz_render_format format;
	cz_sink sink;
	void *ctx;
	cz_buf buf;
	cz_buf item;
	size_t nitems;
	int rc;
	cz_error *err;
} writer;

static void flush(writer *w, size_t threshold)
{
	if (w->rc < 0 || w->buf.len < threshold)
		return;
	w->rc = w->sink(w->ctx, w->buf.data, w->buf.len, w->err);
	cz_buf_reset(&w->buf);
}

/* JSON items sit two levels deep in the List: indent every line of the
 * item by eight spaces.  Strings never hold raw newlines in JSON. */
static void append_indented(cz_buf *out, const cz_buf *item)
{
	const char *p = item->data, *end = item->data + item->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		cz_buf_append(out, "        ", 8);
		cz_buf_append(out, p, n);
		p += n;
	}
}

/* Takes ownership of obj. */
static void write_item(writer *w, json_t *obj)
{
	json_t *one;

	if (w->rc < 0) {
		json_decref(obj);
		return;
	}
	cz_buf_reset(&w->item);
	if (w->format == CZ_RENDER_YAML) {
		/* A one-item sequence at column 0 is exactly an item of the
		 * List's indentless "items:" sequence. */
		if (!w->nitems)
			cz_buf_puts(&w->buf, "items:\n");
		one = json_pack("[o]", obj);
		w->rc = cz_emit_yaml(&w->buf, one, w->err);
		json_decref(one);
	} else {
		w->rc = cz_emit_json(&w->item, obj, false, w->err);
		json_decref(obj);
		if (w->rc == CZ_OK) {
			if (w->nitems)
				cz_buf_puts(&w->buf, ",\n");
			if (w->item.len && w->item.data[w->item.len - 1] == '\n')
				w->item.data[--w->item.len] = '\0';
			append_indented(&w->buf, &w->item);
		}
	}
	w->nitems++;
	flush(w, FLUSH_BYTES);
}

static void write_namespaces(const cz_render *r, writer *w)
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
	cz_sort(names, n, sizeof(*names), cz_cmp_str);
	for (size_t i = 0; i < n; i++)
		write_item(w, cz_namespace_json(&r->engine, names[i]));
	free(names);
	cz_strmap_release(&seen);
}

/* HelmReleases are identified by namespace and name. */
static int cmp_release_id(const cz_helmrelease *x, const cz_helmrelease *y)
{
	int c = strcmp(x->component->install->namespace,
		       y->component->install->namespace);

	return c ? c : strcmp(x->component->install->release_name,
			      y->component->install->release_name);
}

static int cmp_release(const void *a, const void *b)
{
	const cz_helmrelease *x = *(const cz_helmrelease *const *)a;
	const cz_helmrelease *y = *(const cz_helmrelease *const *)b;
	int c = cmp_release_id(x, y);

	return c ? c : strcmp(x->package->name, y->package->name);
}

static void write_releases(const cz_render *r, writer *w, cz_diags *diags)
{
	const cz_helmrelease **all = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < r->nresults; i++) {
		for (size_t j = 0; j < r->results[i].nreleases; j++) {
			CZ_GROW(all, n + 1, cap);
			all[n++] = &r->results[i].releases[j];
		}
	}
	cz_sort(all, n, sizeof(*all), cmp_release);
	for (size_t i = 0; i < n; i++) {
		if (i && cmp_release_id(all[i - 1], all[i]) == 0) {
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
		write_item(w, cz_helmrelease_json(&r->engine, all[i], NULL));
	}
	free(all);
}

static json_t *with_status(json_t *object, json_t *status)
{
	json_t *copy = json_copy(object);

	json_object_set_new(copy, "status", status);
	return copy;
}

int cz_render_write(const cz_render *r, cz_render_format format,
		    cz_sink sink, void *ctx, cz_diags *diags, cz_error *err)
{
	const cz_catalog *cat = r->engine.catalog;
	writer w = { format, sink, ctx, { 0 }, { 0 }, 0, CZ_OK, err };

	cz_buf_init(&w.buf, CZ_BUF_UNLIMITED);
	cz_buf_init(&w.item, CZ_BUF_UNLIMITED);
	cz_buf_puts(&w.buf, format == CZ_RENDER_YAML ?
		    "apiVersion: v1\nkind: List\n" :
		    "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"List\",\n"
		    "    \"items\": [\n");
	write_namespaces(r, &w);
	write_releases(r, &w, diags);
	for (size_t i = 0; i < r->nresults; i++)
		write_item(&w, with_status(cat->packages[i]->object,
					   cz_package_status_json(&r->results[i])));
	for (size_t i = 0; i < cat->nsources; i++)
		write_item(&w, with_status(cat->sources[i]->object,
					   cz_source_status_json(cat->sources[i])));
	if (format == CZ_RENDER_JSON)
		cz_buf_puts(&w.buf, w.nitems ? "\n    ]\n}\n" : "    ]\n}\n");
	else if (!w.nitems)
		cz_buf_puts(&w.buf, "items: []\n");
	flush(&w, 0);
	cz_buf_release(&w.buf);
	cz_buf_release(&w.item);
	return w.rc;
}
