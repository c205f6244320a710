/* Times the store: filling it with N objects of about 1 KB, opening it
 * (loading everything into memory), GET, LIST, single writes with
 * synchronous=NORMAL and FULL, and one write fanned out to 100 watchers.
 * Usage: bench_store [-n N] [-d DIR]  (default N 100000, DIR under /tmp).
 * The fill uses cz_store_create_batch, one transaction per 10,000
 * objects, so that it measures the store rather than N commits. */

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/mem.h"

#define BENCH_NAME "bench_store"
#include "bench.h"

#define FILL_BATCH 10000
#define NAMESPACES 100
#define WATCHERS 100
#define FANOUT_WRITES 1000

static double now_ms(void)
{
	return bench_now() * 1e3;
}

static char *key_of(size_t i)
{
	return cz_xasprintf("cozystack.io/packages/tenant-%02zu/app-%07zu",
			    i % NAMESPACES, i);
}

/* A Package-like object of about 1 KB: metadata, and a values map of
 * short strings and numbers, as Helm values tend to be. */
static json_t *object_of(size_t i, int generation)
{
	char name[32], ns[32], key[24], value[96];
	json_t *values = json_object();

	snprintf(name, sizeof(name), "app-%07zu", i);
	snprintf(ns, sizeof(ns), "tenant-%02zu", i % NAMESPACES);
	for (int k = 0; k < 20; k++) {
		snprintf(key, sizeof(key), "setting%02d", k);
		snprintf(value, sizeof(value), "value of %s for %s, n\u00b0%d",
			 key, name, k);
		json_object_set_new(values, key, k % 4 ? json_string(value)
						      : json_integer(k * 1000));
	}
	return json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, "
		"s:{s:s, s:i, s:{s:{s:b}, s:{s:b}}, s:o}}",
		"apiVersion", "cozystack.io/v1alpha1", "kind", "Package",
		"metadata", "name", name, "namespace", ns, "labels",
		"app.kubernetes.io/name", name, "app.kubernetes.io/part-of",
		"cozystack", "spec", "variant", "default", "generation",
		generation, "components", "operator", "enabled", 1, "crds",
		"enabled", 1, "values", values);
}

static void fill(cz_store *st, size_t n)
{
	char **keys = cz_xmalloc(FILL_BATCH * sizeof(*keys));
	json_t **objs = cz_xmalloc(FILL_BATCH * sizeof(*objs));
	cz_error err = CZ_ERROR_INIT;

	for (size_t base = 0; base < n; base += FILL_BATCH) {
		size_t m = n - base < FILL_BATCH ? n - base : FILL_BATCH;

		for (size_t j = 0; j < m; j++) {
			keys[j] = key_of(base + j);
			objs[j] = object_of(base + j, 1);
		}
		if (cz_store_create_batch(st, m, (const char *const *)keys,
					  objs, &err) < 0)
			bench_die("fill", &err);
		for (size_t j = 0; j < m; j++) {
			free(keys[j]);
			json_decref(objs[j]);
		}
	}
	free(keys);
	free(objs);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Updates `count` random objects one by one; prints mean, p50, p99. */
static void time_writes(cz_store *st, size_t n, size_t count,
			const char *label)
{
	double *lat = cz_xmalloc(count * sizeof(*lat)), sum = 0;
	cz_error err = CZ_ERROR_INIT;

	for (size_t k = 0; k < count; k++) {
		size_t i = (size_t)rand() % n;
		char *key = key_of(i);
		json_t *obj = object_of(i, 2);
		double t0 = now_ms();

		if (cz_store_update(st, key, obj, 0, NULL, &err) < 0)
			bench_die("update", &err);
		lat[k] = now_ms() - t0;
		sum += lat[k];
		json_decref(obj);
		free(key);
	}
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("write %-6s  %zu updates: mean %.1f us  p50 %.1f us  "
	       "p99 %.1f us\n",
	       label, count, sum / (double)count * 1e3,
	       lat[count / 2] * 1e3, lat[count * 99 / 100] * 1e3);
	free(lat);
}

static void time_gets(cz_store *st, size_t n)
{
	size_t count = 100000;
	char **keys = cz_xmalloc(count * sizeof(*keys));
	cz_error err = CZ_ERROR_INIT;
	double t0;

	for (size_t k = 0; k < count; k++)
		keys[k] = key_of((size_t)rand() % n);
	t0 = now_ms();
	for (size_t k = 0; k < count; k++) {
		cz_blob *b;

		if (cz_store_get(st, keys[k], &b, &err) < 0)
			bench_die("get", &err);
		cz_blob_unref(b);
	}
	printf("get         %zu random keys: %.0f ns each\n", count,
	       (now_ms() - t0) * 1e6 / (double)count);
	for (size_t k = 0; k < count; k++)
		free(keys[k]);
	free(keys);
}

static void time_list(cz_store *st, const char *prefix, size_t limit)
{
	cz_error err = CZ_ERROR_INIT;
	cz_blob **items;
	size_t n;
	int64_t rv;
	double t0 = now_ms();

	if (cz_store_list_page(st, prefix, NULL, limit, &items, &n, &rv, NULL,
			       &err) < 0)
		bench_die("list", &err);
	printf("list        prefix \"%s\"%s: %zu items in %.2f ms\n", prefix,
	       limit ? " (one page)" : "", n, now_ms() - t0);
	for (size_t i = 0; i < n; i++)
		cz_blob_unref(items[i]);
	free(items);
}

typedef struct fanout {
	cz_store *st;
	int64_t until;
	double done_at;
} fanout;

static void *watch_until(void *arg)
{
	fanout *f = arg;
	cz_error err = CZ_ERROR_INIT;
	cz_watch *w;
	cz_event ev;

	if (cz_store_watch(f->st, "", cz_store_revision(f->st), &w, &err) < 0)
		bench_die("watch", &err);
	while (cz_watch_revision(w) < f->until) {
		if (cz_watch_next(w, 1000, &ev, &err) < 0)
			bench_die("watch next", &err);
		cz_blob_unref(ev.object);
	}
	f->done_at = now_ms();
	cz_watch_close(w);
	return NULL;
}

/* Writes FANOUT_WRITES updates while WATCHERS threads each read every
 * event; reports the time until the last watcher has them all. */
static void time_fanout(cz_store *st, size_t n)
{
	pthread_t threads[WATCHERS];
	fanout f[WATCHERS];
	int64_t start = cz_store_revision(st);
	double t0, last = 0;

	for (int i = 0; i < WATCHERS; i++) {
		f[i] = (fanout){ st, start + FANOUT_WRITES, 0 };
		pthread_create(&threads[i], NULL, watch_until, &f[i]);
	}
	while (cz_store_watch_count(st) < WATCHERS)
		usleep(1000);
	t0 = now_ms();
	time_writes(st, n, FANOUT_WRITES, "NORMAL+100 watchers");
	for (int i = 0; i < WATCHERS; i++) {
		pthread_join(threads[i], NULL);
		if (f[i].done_at > last)
			last = f[i].done_at;
	}
	printf("fan-out     %d events to %d watchers: all delivered %.1f ms "
	       "after the first write\n",
	       FANOUT_WRITES, WATCHERS, last - t0);
}

static cz_store *open_store(const char *path, bool sync_full, double *ms)
{
	cz_store_opts opts = { path, sync_full, 0 };
	cz_error err = CZ_ERROR_INIT;
	cz_store *st;
	double t0 = now_ms();

	if (cz_store_open(&opts, &st, &err) < 0)
		bench_die("open", &err);
	if (ms)
		*ms = now_ms() - t0;
	return st;
}

int main(int argc, char **argv)
{
	size_t n = 100000;
	const char *dir_arg = NULL;
	char tmpl[] = "/tmp/cz-bench-store-XXXXXX";
	char *dir, *path, *side;
	cz_store *st;
	struct stat sb;
	double t0, ms;
	int opt;

	cz_json_use_project_allocator();
	while ((opt = getopt(argc, argv, "n:d:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (opt == 'd')
			dir_arg = optarg;
		else {
			fprintf(stderr, "usage: bench_store [-n N] [-d DIR]\n");
			return 2;
		}
	}
	if (n == 0)
		n = 1;
	dir = dir_arg ? cz_xstrdup(dir_arg) : cz_xstrdup(mkdtemp(tmpl));
	path = cz_xasprintf("%s/store.db", dir);
	srand(42);

	st = open_store(path, false, NULL);
	t0 = now_ms();
	fill(st, n);
	printf("fill        %zu objects (%zu bytes of JSON) in %.0f ms\n",
	       cz_store_count(st), cz_store_bytes(st), now_ms() - t0);
	cz_store_close(st);
	stat(path, &sb);

	st = open_store(path, false, &ms);
	printf("open        %zu objects, %.0f MB file: %.0f ms\n",
	       cz_store_count(st), (double)sb.st_size / 1048576.0, ms);
	time_gets(st, n);
	time_list(st, "", 0);
	time_list(st, "cozystack.io/packages/tenant-07/", 0);
	time_list(st, "cozystack.io/packages/", 500);
	time_writes(st, n, 2000, "NORMAL");
	time_fanout(st, n);
	cz_store_close(st);

	st = open_store(path, true, NULL);
	time_writes(st, n, 300, "FULL");
	cz_store_close(st);

	unlink(path);
	side = cz_xasprintf("%s-wal", path);
	unlink(side);
	free(side);
	if (!dir_arg)
		rmdir(dir);
	free(path);
	free(dir);
	return 0;
}
