#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strmap.h"

/*
 * Prometheus text exposition: requests by verb, resource and code, latency
 * histograms by verb, store size and open watches.  One mutex: a request
 * holds it for a hash lookup and a few additions.
 */

static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
				   0.025,  0.05,  0.1,    0.25,  0.5,
				   1,      2.5,   5,      10 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

typedef struct counter {
	char *verb;
	char *resource;
	unsigned code;
	unsigned long long count;
} counter;

typedef struct histogram {
	char *verb;
	unsigned long long counts[N_BUCKETS + 1];
	double sum;
	unsigned long long total;
} histogram;

struct cz_metrics {
	pthread_mutex_t lock;
	cz_strmap counters;   /* "verb|resource|code" -> counter */
	cz_strmap histograms; /* verb -> histogram */
	char **keys;          /* owned keys of both maps */
	size_t nkeys;
};

cz_metrics *cz_metrics_new(void)
{
	cz_metrics *m = cz_xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	m->counters = (cz_strmap)CZ_STRMAP_INIT;
	m->histograms = (cz_strmap)CZ_STRMAP_INIT;
	return m;
}

void cz_metrics_free(cz_metrics *m)
{
	size_t pos = 0;
	const char *key;
	void *value;

	if (!m)
		return;
	while (cz_strmap_next(&m->counters, &pos, &key, &value)) {
		counter *c = value;

		free(c->verb);
		free(c->resource);
		free(c);
	}
	pos = 0;
	while (cz_strmap_next(&m->histograms, &pos, &key, &value)) {
		histogram *h = value;

		free(h->verb);
		free(h);
	}
	cz_strmap_release(&m->counters);
	cz_strmap_release(&m->histograms);
	for (size_t i = 0; i < m->nkeys; i++)
		free(m->keys[i]);
	free(m->keys);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static char *own_key(cz_metrics *m, const char *key)
{
	char *copy = cz_xstrdup(key);

	m->keys = cz_xreallocarray(m->keys, m->nkeys + 1, sizeof(*m->keys));
	m->keys[m->nkeys++] = copy;
	return copy;
}

static void count(cz_metrics *m, const char *verb, const char *resource,
		  unsigned code)
{
	char key[256];
	counter *c;

	snprintf(key, sizeof(key), "%s|%s|%u", verb, resource, code);
	c = cz_strmap_get(&m->counters, key);
	if (!c) {
		c = cz_xcalloc(1, sizeof(*c));
		c->verb = cz_xstrdup(verb);
		c->resource = cz_xstrdup(resource);
		c->code = code;
		cz_strmap_put(&m->counters, own_key(m, key), c);
	}
	c->count++;
}

static void observe(cz_metrics *m, const char *verb, double seconds)
{
	histogram *h = cz_strmap_get(&m->histograms, verb);
	size_t i = 0;

	if (!h) {
		h = cz_xcalloc(1, sizeof(*h));
		h->verb = cz_xstrdup(verb);
		cz_strmap_put(&m->histograms, own_key(m, verb), h);
	}
	while (i < N_BUCKETS && seconds > buckets[i])
		i++;
	h->counts[i]++;
	h->sum += seconds;
	h->total++;
}

void cz_metrics_observe(cz_metrics *m, const char *verb, const char *resource,
			unsigned code, double seconds)
{
	pthread_mutex_lock(&m->lock);
	count(m, verb, resource, code);
	observe(m, verb, seconds);
	pthread_mutex_unlock(&m->lock);
}

static int cmp_counter(const void *a, const void *b)
{
	const counter *x = *(counter *const *)a, *y = *(counter *const *)b;
	int c = strcmp(x->verb, y->verb);

	if (!c)
		c = strcmp(x->resource, y->resource);
	return c ? c : (x->code > y->code) - (x->code < y->code);
}

static int cmp_histogram(const void *a, const void *b)
{
	const histogram *x = *(histogram *const *)a;
	const histogram *y = *(histogram *const *)b;

	return strcmp(x->verb, y->verb);
}

/* The values of map, sorted with cmp, so that output is deterministic. */
static void **sorted_values(const cz_strmap *map, size_t *n,
			    int (*cmp)(const void *, const void *))
{
	void **all = cz_xcalloc(map->len + 1, sizeof(*all));
	size_t pos = 0;
	const char *key;
	void *value;

	*n = 0;
	while (cz_strmap_next(map, &pos, &key, &value))
		all[(*n)++] = value;
	if (*n > 1)
		qsort(all, *n, sizeof(*all), cmp);
	return all;
}

static void render_counters(cz_metrics *m, cz_buf *out)
{
	size_t n;
	void **all = sorted_values(&m->counters, &n, cmp_counter);

	cz_buf_puts(out, "# HELP cozypkgd_requests_total Requests by verb, "
			 "resource and HTTP code.\n"
			 "# TYPE cozypkgd_requests_total counter\n");
	for (size_t i = 0; i < n; i++) {
		counter *c = all[i];

		cz_buf_printf(out,
			      "cozypkgd_requests_total{verb=\"%s\",resource="
			      "\"%s\",code=\"%u\"} %llu\n",
			      c->verb, c->resource, c->code, c->count);
	}
	free(all);
}

static void render_histograms(cz_metrics *m, cz_buf *out)
{
	size_t n;
	void **all = sorted_values(&m->histograms, &n, cmp_histogram);

	cz_buf_puts(out, "# HELP cozypkgd_request_duration_seconds Request "
			 "latency by verb.\n"
			 "# TYPE cozypkgd_request_duration_seconds histogram\n");
	for (size_t i = 0; i < n; i++) {
		histogram *h = all[i];
		unsigned long long cumulative = 0;

		for (size_t b = 0; b < N_BUCKETS; b++) {
			cumulative += h->counts[b];
			cz_buf_printf(out,
				      "cozypkgd_request_duration_seconds_bucket"
				      "{verb=\"%s\",le=\"%g\"} %llu\n",
				      h->verb, buckets[b], cumulative);
		}
		cz_buf_printf(out,
			      "cozypkgd_request_duration_seconds_bucket{verb="
			      "\"%s\",le=\"+Inf\"} %llu\n"
			      "cozypkgd_request_duration_seconds_sum{verb=\"%s\"}"
			      " %.6f\n"
			      "cozypkgd_request_duration_seconds_count{verb="
			      "\"%s\"} %llu\n",
			      h->verb, h->total, h->verb, h->sum, h->verb,
			      h->total);
	}
	free(all);
}

void cz_metrics_render(cz_metrics *m, cz_server *srv, cz_buf *out)
{
	pthread_mutex_lock(&m->lock);
	render_counters(m, out);
	render_histograms(m, out);
	pthread_mutex_unlock(&m->lock);
	cz_buf_printf(out,
		      "# HELP cozypkgd_store_objects Objects in the store.\n"
		      "# TYPE cozypkgd_store_objects gauge\n"
		      "cozypkgd_store_objects %zu\n"
		      "# HELP cozypkgd_store_bytes Bytes of stored objects.\n"
		      "# TYPE cozypkgd_store_bytes gauge\n"
		      "cozypkgd_store_bytes %zu\n"
		      "# HELP cozypkgd_store_revision Last store revision.\n"
		      "# TYPE cozypkgd_store_revision gauge\n"
		      "cozypkgd_store_revision %lld\n"
		      "# HELP cozypkgd_watches Open watches.\n"
		      "# TYPE cozypkgd_watches gauge\n"
		      "cozypkgd_watches %zu\n",
		      cz_store_count(srv->store), cz_store_bytes(srv->store),
		      (long long)cz_store_revision(srv->store),
		      cz_store_watch_count(srv->store));
}
