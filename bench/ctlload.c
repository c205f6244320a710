/*
 * ctlload: the controllers benchmark's client.  Loads a synthetic catalog
 * into cozypkgd, times convergence, then times single changes.
 *
 *   ctlload KUBECONFIG RENDER_JSON PID [CONNECTIONS]
 *
 * RENDER_JSON is `cozypkg render -o json` of the catalog: its
 * PackageSources and Packages (status removed) are what gets created, and
 * its HelmRelease count is what convergence means.  PID is cozypkgd's,
 * for its peak RSS.
 *
 * Written in C over the project's own client (libcurl, keep-alive, one
 * connection per thread) so that the client costs the two-core machine as
 * little as possible: a Python client needed 6 to 7 s of one core just to
 * send 10,000 creates, inside the very window being measured.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/resource.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "object/meta.h"
#include "object/project.h"
#include "util/mem.h"

#define BENCH_NAME "ctlload"
#include "bench.h"

#define MAX_CONNECTIONS 32
#define LATENCY_ROUNDS 60
#define PACKAGES "/apis/cozystack.io/v1alpha1/packages"
#define SOURCES "/apis/cozystack.io/v1alpha1/packagesources"
#define RELEASES "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"

/* ---- creating many objects from several connections ---- */

typedef struct create_job {
	cz_kube *kube; /* this thread's own handle */
	const char *path;
	json_t *objects; /* borrowed array */
	size_t first, step;
} create_job;

static void *create_worker(void *arg)
{
	create_job *j = arg;
	cz_error err = CZ_ERROR_INIT;

	for (size_t i = j->first; i < json_array_size(j->objects);
	     i += j->step)
		if (cz_kube_create(j->kube, j->path,
				   json_array_get(j->objects, i), NULL,
				   &err) != CZ_OK)
			bench_die(j->path, &err);
	return NULL;
}

static void create_all(cz_kube *const *kubes, size_t nconn, const char *path,
		       json_t *objects)
{
	pthread_t threads[MAX_CONNECTIONS];
	create_job jobs[MAX_CONNECTIONS];

	for (size_t k = 0; k < nconn; k++) {
		jobs[k] = (create_job){ kubes[k], path, objects, k, nconn };
		pthread_create(&threads[k], NULL, create_worker, &jobs[k]);
	}
	for (size_t k = 0; k < nconn; k++)
		pthread_join(threads[k], NULL);
}

/* ---- following a watch in a thread ---- */

typedef struct follower {
	cz_kube *kube;
	char *path;
	cz_kube_event_fn on_event;
	volatile int stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	/* Packages: which are Ready, how many, and when all were. */
	json_t *ready; /* name → true, under mu */
	size_t nready, want;
	double all_ready_at;
	/* HelmReleases: the key and values.bench awaited, and when seen. */
	char *await_key;
	json_int_t await_bench;
	double seen_at;
} follower;

static bool is_ready(const json_t *obj)
{
	const char *status = cz_json_str(cz_condition(obj, "Ready"), "status");

	return status && !strcmp(status, "True");
}

static int on_package(void *ctx, const char *type, json_t *obj, cz_blob *text)
{
	follower *f = ctx;
	const char *name = cz_meta_str(obj, "name");
	bool now = strcmp(type, "DELETED") != 0 && is_ready(obj);
	bool was;

	(void)text;
	if (!name || !strcmp(type, "BOOKMARK") || !strcmp(type, "ERROR"))
		return 0;
	pthread_mutex_lock(&f->mu);
	was = json_object_get(f->ready, name) != NULL;
	if (now && !was) {
		json_object_set_new(f->ready, name, json_true());
		f->nready++;
	} else if (!now && was) {
		json_object_del(f->ready, name);
		f->nready--;
	}
	if (f->nready == f->want && f->all_ready_at == 0) {
		f->all_ready_at = bench_now();
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static int on_release(void *ctx, const char *type, json_t *obj,
		      cz_blob *text)
{
	follower *f = ctx;
	char *key = cz_xasprintf("%s/%s", cz_meta_str(obj, "namespace"),
				 cz_meta_str(obj, "name"));
	json_t *bench = json_object_get(
		json_object_get(json_object_get(obj, "spec"), "values"),
		"bench");

	(void)text;
	pthread_mutex_lock(&f->mu);
	if (key && f->await_key && !strcmp(type, "MODIFIED") &&
	    !strcmp(key, f->await_key) && json_is_integer(bench) &&
	    json_integer_value(bench) == f->await_bench && f->seen_at == 0) {
		f->seen_at = bench_now();
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->mu);
	free(key);
	return 0;
}

static void *follow_main(void *arg)
{
	follower *f = arg;
	cz_error err = CZ_ERROR_INIT;

	if (cz_kube_watch(f->kube, f->path, f->on_event, f, &f->stop, &err) !=
		    CZ_OK &&
	    !f->stop)
		bench_die(f->path, &err);
	return NULL;
}

/* Starts a watch of collection from its current resourceVersion. */
static void follow(follower *f, cz_kube *kube, const char *collection,
		   cz_kube_event_fn fn)
{
	char *list_path = cz_xasprintf("%s?limit=1", collection);
	cz_error err = CZ_ERROR_INIT;
	json_t *list = NULL;

	if (cz_kube_get(kube, list_path, &list, &err) != CZ_OK)
		bench_die(list_path, &err);
	f->kube = kube;
	f->path = cz_xasprintf(
		"%s?watch=1&resourceVersion=%s", collection,
		cz_json_str(json_object_get(list, "metadata"),
			    "resourceVersion"));
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->ready = json_object();
	f->on_event = fn;
	pthread_create(&f->thread, NULL, follow_main, f);
	json_decref(list);
	free(list_path);
}

static void unfollow(follower *f)
{
	f->stop = 1;
	pthread_join(f->thread, NULL);
	json_decref(f->ready);
	free(f->path);
	free(f->await_key);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mu);
}

/* ---- the catalog ---- */

typedef struct target {
	const char *package, *component, *ns, *release;
} target;

typedef struct catalog {
	json_t *doc;
	json_t *sources, *packages; /* new arrays, objects without status */
	size_t releases;
	target *targets; /* a HelmRelease and its component per Package */
	size_t ntargets;
} catalog;

/* The component of source whose install names release in ns. */
static const char *component_of(const json_t *source, const char *ns,
				const char *release)
{
	json_t *variants = json_object_get(json_object_get(source, "spec"),
					   "variants");
	size_t i, j;
	json_t *v, *comp;

	json_array_foreach(variants, i, v) {
		json_array_foreach(json_object_get(v, "components"), j, comp) {
			const json_t *inst = json_object_get(comp, "install");
			const char *name = cz_json_str(comp, "name");
			const char *rel = cz_json_str(inst, "releaseName");

			if (inst && name && cz_json_str(inst, "namespace") &&
			    !strcmp(cz_json_str(inst, "namespace"), ns) &&
			    !strcmp(rel ? rel : name, release))
				return name;
		}
	}
	return NULL;
}

static void load_catalog(const char *path, catalog *c)
{
	json_error_t jerr;
	json_t *by_name = json_object();
	json_t *seen = json_object();
	size_t i;
	json_t *o;

	memset(c, 0, sizeof(*c));
	c->doc = json_load_file(path, 0, &jerr);
	if (!c->doc) {
		fprintf(stderr, "ctlload: %s:%d: %s\n", path, jerr.line,
			jerr.text);
		exit(1);
	}
	c->sources = json_array();
	c->packages = json_array();
	json_array_foreach(json_object_get(c->doc, "items"), i, o) {
		const char *kind = cz_json_str(o, "kind");

		if (!kind)
			continue;
		if (!strcmp(kind, "PackageSource") || !strcmp(kind, "Package")) {
			json_t *copy = json_copy(o);

			json_object_del(copy, "status");
			json_array_append_new(!strcmp(kind, "Package")
						      ? c->packages
						      : c->sources,
					      copy);
			if (!strcmp(kind, "PackageSource"))
				json_object_set(by_name, cz_meta_str(o, "name"),
						o);
		} else if (!strcmp(kind, "HelmRelease")) {
			c->releases++;
		}
	}
	c->targets = cz_xcalloc(json_array_size(c->packages) + 1,
				sizeof(*c->targets));
	json_array_foreach(json_object_get(c->doc, "items"), i, o) {
		const char *pkg = cz_label(o, "cozystack.io/package");
		const char *ns = cz_meta_str(o, "namespace");
		const char *rel = cz_meta_str(o, "name");
		const char *comp;

		if (!cz_json_str(o, "kind") ||
		    strcmp(cz_json_str(o, "kind"), "HelmRelease") || !pkg ||
		    !ns || !rel || json_object_get(seen, pkg))
			continue;
		json_object_set_new(seen, pkg, json_true());
		comp = component_of(json_object_get(by_name, pkg), ns, rel);
		if (comp)
			c->targets[c->ntargets++] =
				(target){ pkg, comp, ns, rel };
	}
	json_decref(by_name);
	json_decref(seen);
}

/* ---- the measures ---- */

/* The HelmReleases there are, counted a page at a time: at N = 100,000
 * one list would pass the client's cap on an answer. */
static size_t count_releases(cz_kube *kube)
{
	static const char *const view[] = { "items[].metadata.name",
					    "metadata.continue" };
	cz_projection *proj = cz_projection_new(view, 2);
	cz_error err = CZ_ERROR_INIT;
	char *token = NULL;
	size_t n = 0;

	do {
		char *escaped = token ? cz_kube_escape(token) : NULL;
		char *path = cz_xasprintf("%s?limit=10000%s%s", RELEASES,
					  escaped ? "&continue=" : "",
					  escaped ? escaped : "");
		json_t *page = NULL;
		const char *next;

		if (cz_kube_get_projected(kube, path, proj, &page, &err) !=
		    CZ_OK)
			bench_die(path, &err);
		n += json_array_size(json_object_get(page, "items"));
		next = cz_json_str(json_object_get(page, "metadata"),
				   "continue");
		free(token);
		token = next && *next ? cz_xstrdup(next) : NULL;
		json_decref(page);
		free(path);
		free(escaped);
	} while (token);
	cz_projection_free(proj);
	return n;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Patches one Package's values and waits for its HelmRelease to show
 * them, through a watch opened beforehand; the milliseconds, sorted. */
static void latency(cz_kube *kube, cz_kube *watch_kube, const catalog *c,
		    double *ms)
{
	follower f;
	uint64_t seed = 7;

	memset(&f, 0, sizeof(f));
	follow(&f, watch_kube, RELEASES, on_release);
	for (int i = 0; i < LATENCY_ROUNDS; i++) {
		const target *t;
		char *path;
		json_t *patch;
		cz_error err = CZ_ERROR_INIT;
		double t0;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		t = &c->targets[(seed >> 33) % c->ntargets];
		path = cz_xasprintf("%s/%s", PACKAGES, t->package);
		patch = json_pack("{s:{s:{s:{s:{s:i}}}}}", "spec", "components",
				  t->component, "values", "bench", i);
		pthread_mutex_lock(&f.mu);
		free(f.await_key);
		f.await_key = cz_xasprintf("%s/%s", t->ns, t->release);
		f.await_bench = i;
		f.seen_at = 0;
		pthread_mutex_unlock(&f.mu);
		t0 = bench_now();
		if (cz_kube_patch(kube, path, "application/merge-patch+json",
				  patch, NULL, &err) != CZ_OK)
			bench_die(path, &err);
		pthread_mutex_lock(&f.mu);
		while (f.seen_at == 0)
			pthread_cond_wait(&f.cond, &f.mu);
		ms[i] = (f.seen_at - t0) * 1000;
		pthread_mutex_unlock(&f.mu);
		json_decref(patch);
		free(path);
	}
	unfollow(&f);
	qsort(ms, LATENCY_ROUNDS, sizeof(*ms), by_value);
}

static double peak_rss_mb(const char *pid)
{
	char path[64], line[256];
	FILE *fp;
	double mb = 0;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	fp = fopen(path, "r");
	while (fp && fgets(line, sizeof(line), fp))
		if (!strncmp(line, "VmHWM:", 6))
			mb = strtod(line + 6, NULL) / 1024;
	if (fp)
		fclose(fp);
	return mb;
}

int main(int argc, char **argv)
{
	cz_kubeconfig kc;
	cz_kube *kubes[MAX_CONNECTIONS + 2] = { NULL };
	cz_error err = CZ_ERROR_INIT;
	catalog cat;
	follower ready;
	double ms[LATENCY_ROUNDS];
	double t0, created, total;
	size_t nconn = argc > 4 ? strtoul(argv[4], NULL, 10) : 8;
	size_t hrs;

	if (argc < 4 || nconn == 0 || nconn > MAX_CONNECTIONS) {
		fprintf(stderr, "usage: ctlload KUBECONFIG RENDER_JSON PID "
				"[CONNECTIONS 1-%d]\n",
			MAX_CONNECTIONS);
		return 2;
	}
	memset(&kc, 0, sizeof(kc));
	if (cz_kubeconfig_load(argv[1], NULL, &kc, &err) != CZ_OK)
		bench_die(argv[1], &err);
	if (cz_kube_open(&kc, NULL, &kubes[0], &err) != CZ_OK)
		bench_die("connect", &err);
	for (size_t k = 1; k < nconn + 2; k++)
		if (cz_kube_dup(kubes[0], &kubes[k], &err) != CZ_OK)
			bench_die("connect", &err);
	load_catalog(argv[2], &cat);

	t0 = bench_now();
	create_all(kubes, nconn, SOURCES, cat.sources);
	printf("created %zu PackageSources in %.2f s\n",
	       json_array_size(cat.sources), bench_now() - t0);
	fflush(stdout);

	memset(&ready, 0, sizeof(ready));
	ready.want = json_array_size(cat.packages);
	follow(&ready, kubes[nconn], PACKAGES, on_package);
	t0 = bench_now();
	create_all(kubes, nconn, PACKAGES, cat.packages);
	created = bench_now() - t0;
	pthread_mutex_lock(&ready.mu);
	while (ready.all_ready_at == 0)
		pthread_cond_wait(&ready.cond, &ready.mu);
	total = ready.all_ready_at - t0;
	pthread_mutex_unlock(&ready.mu);
	unfollow(&ready);
	/* Ready is written after the HelmReleases; a shortfall still
	 * counts. */
	while ((hrs = count_releases(kubes[0])) != cat.releases) {
		struct timespec pause = { 0, 200 * 1000000L };

		nanosleep(&pause, NULL);
		total = bench_now() - t0;
	}
	printf("created %zu Packages in %.2f s; all Ready with %zu "
	       "HelmReleases after %.2f s\n",
	       json_array_size(cat.packages), created, hrs, total);
	fflush(stdout);

	latency(kubes[0], kubes[nconn + 1], &cat, ms);
	printf("one changed Package to its HelmRelease updated: p50 %.2f ms, "
	       "p90 %.2f ms, max %.2f ms (%d changes)\n",
	       ms[LATENCY_ROUNDS / 2], ms[LATENCY_ROUNDS * 9 / 10],
	       ms[LATENCY_ROUNDS - 1], LATENCY_ROUNDS);
	printf("cozypkgd peak RSS %.1f MB\n", peak_rss_mb(argv[3]));

	for (size_t k = 0; k < nconn + 2; k++)
		cz_kube_free(kubes[k]);
	free(cat.targets);
	json_decref(cat.sources);
	json_decref(cat.packages);
	json_decref(cat.doc);
	cz_kubeconfig_release(&kc);
	return 0;
}
