/* Searching the marketplace index the way `cozypkg search --index DIR`
 * does: writes an index of N entries (default 10,000; a third signed with
 * a key, a third keyless, a third unsigned) to a temporary directory,
 * then times loading it, searching it and formatting the rows, best of
 * several runs, without and then with the index cache (market/cache.h).
 * The goal is under 50 ms end to end for 10,000 entries.
 * Usage: bench_search [-n N] [-k DIR]   (-k keeps the index in DIR) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "market/cache.h"
#include "market/index.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

#define RUNS 7

static const char *const words[] = {
	"postgres", "redis", "kafka", "monitoring", "ingress", "storage",
	"backup", "dns", "vpn", "cache", "queue", "search",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A fresh P-256 public key as PEM, indented for a YAML block scalar. */
static char *public_key_block(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	cz_buf b;
	char *pem = NULL, *line;
	long n;

	if (!key || !bio || !PEM_write_bio_PUBKEY(bio, key)) {
		fprintf(stderr, "bench_search: cannot make a key\n");
		exit(1);
	}
	n = BIO_get_mem_data(bio, &pem);
	pem = cz_xstrndup(pem, (size_t)n);
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	for (line = strtok(pem, "\n"); line; line = strtok(NULL, "\n"))
		cz_buf_printf(&b, "    %s\n", line);
	free(pem);
	BIO_free(bio);
	EVP_PKEY_free(key);
	return cz_buf_detach(&b, NULL);
}

static void write_entry(const char *dir, size_t i, const char *key)
{
	const char *w1 = words[i % NWORDS], *w2 = words[(i / NWORDS) % NWORDS];
	char *path = cz_xasprintf("%s/entries/org%zu.%s.yaml", dir, i, w1);
	cz_buf b;
	FILE *f;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_printf(&b,
		      "name: org%zu.%s\nociRef: ghcr.io/org%zu/%s-packages\n"
		      "version: v1.%zu.0\ndescription: The %s operator with "
		      "%s support, packaged for Cozystack by org%zu.\n"
		      "maintainer: Org %zu <team@org%zu.example>\n"
		      "homepage: https://org%zu.example/%s\n"
		      "tags: [%s, %s, operator]\n",
		      i, w1, i, w1, i % 20, w1, w2, i, i, i, i, w1, w1, w2);
	if (i % 3 == 0)
		cz_buf_printf(&b, "signing:\n  key: |\n%s", key);
	else if (i % 3 == 1)
		cz_buf_printf(&b,
			      "signing:\n  identity: https://github.com/org%zu/"
			      "%s/.github/workflows/release.yaml@refs/heads/main"
			      "\n  issuer: https://token.actions."
			      "githubusercontent.com\n", i, w1);
	f = fopen(path, "w");
	if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	cz_buf_release(&b);
	free(path);
}

/* One run as the CLI does it: load, search, format the table. */
static void run_once(const char *dir, const char *cache, const char *term,
		     double *load_ms,
		     double *search_ms, double *format_ms, size_t *matches,
		     size_t *bytes)
{
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_diags d;
	cz_error err = CZ_ERROR_INIT;
	const cz_market_entry **res = NULL;
	cz_buf out;
	double t0 = now_ms(), t1, t2;

	cz_market_load_opts o = { .cache_dir = cache };

	cz_diags_init(&d);
	if (cz_market_load_dir(dir, &o, &idx, &d, &err) < 0 || d.nerrors) {
		fprintf(stderr, "bench_search: %s\n", err.msg);
		cz_diags_print(&d, stderr);
		exit(1);
	}
	t1 = now_ms();
	*matches = cz_market_search(&idx, term, &res);
	t2 = now_ms();
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < *matches; i++)
		cz_buf_printf(&out, "%s\t%s\t%s\t%s\t-\t%s\n", res[i]->name,
			      res[i]->version, res[i]->maintainer,
			      cz_market_signing_name(res[i]->signing),
			      res[i]->description);
	*bytes = out.len;
	*format_ms = now_ms() - t2;
	*search_ms = t2 - t1;
	*load_ms = t1 - t0;
	cz_buf_release(&out);
	free(res);
	cz_market_index_release(&idx);
	cz_diags_release(&d);
}

/* The first load with a cache: a full read plus writing the cache. */
static void cache_miss(const char *dir, const char *cache)
{
	double l, s, f;
	size_t matches = 0, bytes = 0;

	run_once(dir, cache, "", &l, &s, &f, &matches, &bytes);
	printf("cache written on the first load: load %7.2f ms\n", l);
}

static void bench_term(const char *dir, const char *cache, const char *term)
{
	double best_load = 1e9, best_search = 1e9, best_format = 1e9;
	double best_total = 1e9;
	size_t matches = 0, bytes = 0;

	for (int r = 0; r < RUNS; r++) {
		double l, s, f;

		run_once(dir, cache, term, &l, &s, &f, &matches, &bytes);
		best_load = l < best_load ? l : best_load;
		best_search = s < best_search ? s : best_search;
		best_format = f < best_format ? f : best_format;
		best_total = l + s + f < best_total ? l + s + f : best_total;
	}
	printf("%s %-10s load %7.2f ms  search %6.2f ms  format %6.2f ms"
	       "  end to end %7.2f ms  (%zu matches, %zu bytes)\n",
	       cache ? "cached" : "search", *term ? term : "(all)", best_load, best_search, best_format,
	       best_total, matches, bytes);
}

int main(int argc, char **argv)
{
	size_t n = 10000;
	const char *keep = NULL;
	char *dir, *entries, *key, *cache;
	time_t start;
	double t0;
	int opt;

	cz_json_use_project_allocator();
	while ((opt = getopt(argc, argv, "n:k:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (opt == 'k')
			keep = optarg;
		else
			return 2;
	}
	dir = keep ? cz_xstrdup(keep) : cz_xstrdup("/tmp/cz-bench-XXXXXX");
	if (keep ? mkdir(dir, 0755) != 0 : !mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	entries = cz_xasprintf("%s/entries", dir);
	mkdir(entries, 0755);
	key = public_key_block();
	cache = cz_xasprintf("%s/cache", dir);
	start = time(NULL);
	t0 = now_ms();
	for (size_t i = 0; i < n; i++)
		write_entry(dir, i, key);
	printf("index: %zu entries written in %.0f ms (best of %d runs "
	       "below, files in the page cache)\n", n, now_ms() - t0, RUNS);
	bench_term(dir, NULL, "");
	bench_term(dir, NULL, "redis");
	bench_term(dir, NULL, "org4242.backup");
	bench_term(dir, NULL, "nomatch");
	/* The cache takes only files older than two seconds. */
	while (time(NULL) - start < 3)
		sleep(1);
	cache_miss(dir, cache);
	bench_term(dir, cache, "");
	bench_term(dir, cache, "redis");
	bench_term(dir, cache, "org4242.backup");
	bench_term(dir, cache, "nomatch");
	if (!keep)
		cz_remove_tree(dir);
	free(key);
	free(cache);
	free(entries);
	free(dir);
	return 0;
}
