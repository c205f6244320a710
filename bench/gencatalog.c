/*
 * gencatalog: a synthetic catalog of PackageSources and Packages for the
 * benchmarks.
 *
 * The catalog is built in memory first and written afterwards, because a
 * Package depends on the shape of its source (which variant exists, which
 * components have install) and the summary needs the whole graph.  All
 * randomness comes from splitmix64 seeded by -s, never from rand(), so the
 * same N and seed give byte-identical output on every libc.
 *
 * Dependency DAG: every package gets a level 0..12 and depends only on
 * packages of lower levels, one of them from the level just below.  So there
 * can be no cycle, and a package's longest dependency chain is exactly its
 * level.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

#define MAX_LEVEL 12
#define MAX_COMPONENTS 5
#define MAX_COMPONENT_DEPS 2
/* dep_count() returns at most 13; a variant may add one more. */
#define MAX_DEPS 16
/* A million packages already make 1.3 GB of YAML; more helps no benchmark. */
#define MAX_PACKAGES 1000000u
#define NAME_MAX_LEN 64
#define UNSEATED 0xff

/*
 * Separate streams per phase, so that tuning one phase (say, how many
 * components have install) does not reshuffle the dependency graph.
 */
enum stream {
	STREAM_LEVELS = 1,
	STREAM_DEPS,
	STREAM_SHAPE,
	STREAM_PACKAGES,
};

struct rng {
	uint64_t state;
};

struct component {
	unsigned char installed;
	unsigned char privileged;
	unsigned char values_files;
	unsigned char libraries;
	unsigned char release_name;
	unsigned char ndeps;
	unsigned char deps[MAX_COMPONENT_DEPS]; /* earlier components */
	uint32_t ns;
};

struct variant {
	uint32_t first_comp;
	unsigned char ncomps;
	unsigned char libraries;
	int32_t drop; /* index into the package's deps left out, or -1 */
	int64_t add;  /* extra dependency (a package index), or -1 */
};

struct package {
	uint32_t first_variant;
	uint32_t first_dep;
	unsigned char nvariants;
	unsigned char level;
	unsigned char ndeps;
	/* Package.spec */
	unsigned char variant;
	signed char values_comp;   /* -1: no values */
	signed char disabled_comp; /* -1: all enabled */
	unsigned char replicas;
	unsigned char tag_minor;
	unsigned char tag_patch;
	unsigned char tag_prefixed;
	int64_t ignored; /* a package index, or -1 */
};

struct catalog {
	uint32_t n;
	int width;
	uint32_t nns;
	int ns_width;
	uint32_t top_level;
	uint32_t level_start[MAX_LEVEL + 2];
	uint32_t *by_level;
	struct package *pkgs;
	struct variant *vars;
	size_t nvars, vars_cap;
	struct component *comps;
	size_t ncomps, comps_cap;
	uint32_t *deps;
	size_t ndeps, deps_cap;
};

struct summary {
	uint64_t variants;
	uint64_t components;
	uint64_t installed;
	uint64_t edges;
	unsigned depth;
};

static const char usage_text[] =
	"usage: gencatalog -n N [-s SEED] [-o DIR]\n"
	"       gencatalog --help\n"
	"\n"
	"Writes a synthetic catalog for the benchmarks: N PackageSources named\n"
	"bench.pNNN (1-4 variants, 1-5 components each, a random dependency DAG\n"
	"with about 3 dependencies per package and chains up to 12 deep) and one\n"
	"Package per source.  The same N and SEED always give the same bytes.\n"
	"\n"
	"  -n N      number of packages, 1 to 1000000\n"
	"  -s SEED   random seed, an unsigned 64-bit integer (default 1)\n"
	"  -o DIR    write DIR/sources.yaml and DIR/packages.yaml (DIR is created\n"
	"            if missing); without -o, sources then packages go to stdout\n"
	"            as one YAML stream\n"
	"\n"
	"A summary line goes to stderr: sources, variants, components, installed\n"
	"components, package dependency edges (union over variants) and the\n"
	"longest dependency chain.\n";

static void die_oom(void)
{
	fputs("gencatalog: out of memory\n", stderr);
	exit(1);
}

static void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

/* Makes room for one more element; the new element is zeroed. */
static void *grow(void *arr, size_t *cap, size_t len, size_t size)
{
	size_t ncap;

	if (len < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 1024;
	if (ncap > SIZE_MAX / size)
		die_oom();
	arr = realloc(arr, ncap * size);
	if (!arr)
		die_oom();
	memset((char *)arr + len * size, 0, (ncap - len) * size);
	*cap = ncap;
	return arr;
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static struct rng rng_stream(uint64_t seed, enum stream stream)
{
	struct rng r = { seed };

	r.state = rng_next(&r) ^ ((uint64_t)stream * UINT64_C(0xd1342543de82ef95));
	return r;
}

/* The modulo bias is below 2^-40 for every n used here. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

static int rng_chance(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

/*
 * Binomial(13, 1/4): mean 3.25 and a spread close to Poisson without libm.
 * Level-0 packages have no dependencies, so 3.25 for the others keeps the
 * average over the whole catalog near 3.
 */
static unsigned dep_count(struct rng *r)
{
	uint64_t bits = rng_next(r);
	unsigned k = 0;
	int i;

	for (i = 0; i < 13; i++, bits >>= 2)
		k += (bits & 3) == 0;
	return k;
}

/* Most real sources have one variant; a few have many. */
static unsigned variant_count(struct rng *r)
{
	uint32_t x = rng_below(r, 100);

	return x < 50 ? 1 : x < 75 ? 2 : x < 90 ? 3 : 4;
}

static int digits(uint32_t v)
{
	int d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

static struct variant *new_variant(struct catalog *cat)
{
	cat->vars = grow(cat->vars, &cat->vars_cap, cat->nvars,
			 sizeof(*cat->vars));
	return &cat->vars[cat->nvars++];
}

static struct component *new_component(struct catalog *cat)
{
	cat->comps = grow(cat->comps, &cat->comps_cap, cat->ncomps,
			  sizeof(*cat->comps));
	return &cat->comps[cat->ncomps++];
}

static void push_dep(struct catalog *cat, struct package *pk, uint32_t dep)
{
	cat->deps = grow(cat->deps, &cat->deps_cap, cat->ndeps,
			 sizeof(*cat->deps));
	cat->deps[cat->ndeps++] = dep;
	pk->ndeps++;
}

static int has_dep(const struct catalog *cat, const struct package *pk,
		   uint32_t dep)
{
	unsigned i;

	for (i = 0; i < pk->ndeps; i++)
		if (cat->deps[pk->first_dep + i] == dep)
			return 1;
	return 0;
}

static const struct variant *variant_of(const struct catalog *cat,
					const struct package *pk, unsigned v)
{
	return &cat->vars[pk->first_variant + v];
}

/* The dependsOn of one variant: the package's deps with the variant's
 * tweak applied.  Returns the count. */
static unsigned variant_deps(const struct catalog *cat,
			     const struct package *pk, unsigned v,
			     uint32_t out[MAX_DEPS])
{
	const struct variant *var = variant_of(cat, pk, v);
	unsigned i, n = 0;

	for (i = 0; i < pk->ndeps; i++)
		if ((int32_t)i != var->drop)
			out[n++] = cat->deps[pk->first_dep + i];
	if (var->add >= 0)
		out[n++] = (uint32_t)var->add;
	return n;
}

/* Counting sort, so that "all packages below level L" is the prefix
 * by_level[0 .. level_start[L]). */
static void sort_by_level(struct catalog *cat)
{
	uint32_t fill[MAX_LEVEL + 2];
	uint32_t i, l;

	memset(cat->level_start, 0, sizeof(cat->level_start));
	for (i = 0; i < cat->n; i++)
		cat->level_start[cat->pkgs[i].level + 1]++;
	for (l = 1; l <= MAX_LEVEL + 1; l++)
		cat->level_start[l] += cat->level_start[l - 1];
	memcpy(fill, cat->level_start, sizeof(fill));
	for (i = 0; i < cat->n; i++)
		cat->by_level[fill[cat->pkgs[i].level]++] = i;
}

static void assign_levels(struct catalog *cat, uint64_t seed)
{
	struct rng r = rng_stream(seed, STREAM_LEVELS);
	uint32_t i, l;

	cat->top_level = cat->n - 1 < MAX_LEVEL ? cat->n - 1 : MAX_LEVEL;
	for (i = 0; i < cat->n; i++)
		cat->pkgs[i].level = UNSEATED;
	/* Seating one package on every level first leaves no level empty, so
	 * each package finds a dependency one level down and the deepest
	 * chain reaches the top level. */
	for (l = 0; l <= cat->top_level; l++) {
		do
			i = rng_below(&r, cat->n);
		while (cat->pkgs[i].level != UNSEATED);
		cat->pkgs[i].level = (unsigned char)l;
	}
	for (i = 0; i < cat->n; i++)
		if (cat->pkgs[i].level == UNSEATED)
			cat->pkgs[i].level =
				(unsigned char)rng_below(&r, cat->top_level + 1);
	sort_by_level(cat);
}

static void pick_package_deps(struct catalog *cat, struct rng *r, uint32_t p)
{
	struct package *pk = &cat->pkgs[p];
	uint32_t lower, prev_first, prev_count;
	unsigned want;

	pk->first_dep = (uint32_t)cat->ndeps;
	if (pk->level == 0)
		return;
	lower = cat->level_start[pk->level];
	prev_first = cat->level_start[pk->level - 1];
	prev_count = lower - prev_first;
	want = dep_count(r);
	if (want == 0)
		want = 1;
	if (want > lower)
		want = lower;
	push_dep(cat, pk, cat->by_level[prev_first + rng_below(r, prev_count)]);
	while (pk->ndeps < want) {
		uint32_t cand = cat->by_level[rng_below(r, lower)];

		if (!has_dep(cat, pk, cand))
			push_dep(cat, pk, cand);
	}
}

static void pick_deps(struct catalog *cat, uint64_t seed)
{
	struct rng r = rng_stream(seed, STREAM_DEPS);
	uint32_t p;

	for (p = 0; p < cat->n; p++)
		pick_package_deps(cat, &r, p);
}

/* Variant-specific edges: the renderer must not assume that all variants
 * of a source share one dependsOn. */
static void tweak_variant_deps(const struct catalog *cat, struct rng *r,
			       const struct package *pk, struct variant *var)
{
	uint32_t lower = cat->level_start[pk->level];
	int can_drop = pk->ndeps > 0;
	int can_add = lower > pk->ndeps;
	uint32_t cand;

	if (!can_drop && !can_add)
		return;
	if (can_drop && (!can_add || rng_chance(r, 50))) {
		var->drop = (int32_t)rng_below(r, pk->ndeps);
		return;
	}
	do
		cand = cat->by_level[rng_below(r, lower)];
	while (has_dep(cat, pk, cand));
	var->add = cand;
}

/*
 * An install without releaseName names its HelmRelease after the component,
 * and every source calls its components c0..c4, so only the first package
 * to put cK into a namespace may leave releaseName out.
 */
static int needs_release_name(struct rng *r, uint32_t *owner, uint32_t ns,
			      unsigned c, uint32_t p)
{
	uint32_t *slot = &owner[(size_t)ns * MAX_COMPONENTS + c];

	if (rng_chance(r, 80))
		return 1;
	if (*slot && *slot != p + 1)
		return 1;
	*slot = p + 1;
	return 0;
}

/* install.dependsOn may only name earlier installed components, which
 * keeps the component graph of a variant acyclic. */
static void pick_component_deps(const struct catalog *cat, struct rng *r,
				uint32_t first, unsigned c,
				struct component *co)
{
	unsigned char cand[MAX_COMPONENTS];
	unsigned i, n = 0, want;

	for (i = 0; i < c; i++)
		if (cat->comps[first + i].installed)
			cand[n++] = (unsigned char)i;
	want = rng_below(r, MAX_COMPONENT_DEPS + 1);
	if (want > n)
		want = n;
	for (i = 0; i < want; i++) {
		unsigned j = i + rng_below(r, n - i);
		unsigned char t = cand[i];

		cand[i] = cand[j];
		cand[j] = t;
		co->deps[i] = cand[i];
	}
	co->ndeps = (unsigned char)want;
}

static void shape_component(struct catalog *cat, struct rng *r, uint32_t p,
			    uint32_t first, unsigned c, int libraries,
			    uint32_t *owner)
{
	struct component *co = new_component(cat);

	co->libraries = (unsigned char)libraries;
	co->values_files = (unsigned char)rng_chance(r, 10);
	if (!rng_chance(r, 85))
		return;
	co->installed = 1;
	co->ns = rng_below(r, cat->nns);
	co->privileged = (unsigned char)rng_chance(r, 10);
	co->release_name =
		(unsigned char)needs_release_name(r, owner, co->ns, c, p);
	pick_component_deps(cat, r, first, c, co);
}

static void shape_variant(struct catalog *cat, struct rng *r, uint32_t p,
			  unsigned v, uint32_t *owner)
{
	struct variant *var = new_variant(cat);
	unsigned c;

	var->ncomps = (unsigned char)(1 + rng_below(r, MAX_COMPONENTS));
	var->libraries = (unsigned char)rng_chance(r, 30);
	var->drop = -1;
	var->add = -1;
	if (v > 0 && rng_chance(r, 20))
		tweak_variant_deps(cat, r, &cat->pkgs[p], var);
	var->first_comp = (uint32_t)cat->ncomps;
	/* var stays valid: new_component() moves only the component array. */
	for (c = 0; c < var->ncomps; c++)
		shape_component(cat, r, p, var->first_comp, c, var->libraries,
				owner);
}

static void shape(struct catalog *cat, uint64_t seed)
{
	struct rng r = rng_stream(seed, STREAM_SHAPE);
	uint32_t *owner = xcalloc((size_t)cat->nns * MAX_COMPONENTS,
				  sizeof(*owner));
	uint32_t p;
	unsigned v;

	for (p = 0; p < cat->n; p++) {
		struct package *pk = &cat->pkgs[p];

		pk->first_variant = (uint32_t)cat->nvars;
		pk->nvariants = (unsigned char)variant_count(&r);
		for (v = 0; v < pk->nvariants; v++)
			shape_variant(cat, &r, p, v, owner);
	}
	free(owner);
}

/* Values are only applied to components with install, so put them where
 * they reach a HelmRelease when the variant has one. */
static signed char values_target(const struct catalog *cat,
				 const struct variant *var)
{
	unsigned c;

	for (c = 0; c < var->ncomps; c++)
		if (cat->comps[var->first_comp + c].installed)
			return (signed char)c;
	return 0;
}

static void choose_package_spec(struct catalog *cat, struct rng *r,
				struct package *pk)
{
	const struct variant *var;
	uint32_t deps[MAX_DEPS];
	unsigned nd;

	if (pk->nvariants > 1 && rng_chance(r, 20))
		pk->variant = (unsigned char)(1 + rng_below(r, pk->nvariants - 1));
	var = variant_of(cat, pk, pk->variant);
	pk->values_comp = -1;
	pk->disabled_comp = -1;
	pk->ignored = -1;
	if (rng_chance(r, 5)) {
		pk->values_comp = values_target(cat, var);
		pk->replicas = (unsigned char)(1 + rng_below(r, 5));
		pk->tag_minor = (unsigned char)rng_below(r, 30);
		pk->tag_patch = (unsigned char)rng_below(r, 10);
		pk->tag_prefixed = (unsigned char)rng_chance(r, 50);
	}
	if (rng_chance(r, 2))
		pk->disabled_comp = (signed char)rng_below(r, var->ncomps);
	if (rng_chance(r, 2)) {
		nd = variant_deps(cat, pk, pk->variant, deps);
		if (nd)
			pk->ignored = deps[rng_below(r, nd)];
	}
}

static void choose_packages(struct catalog *cat, uint64_t seed)
{
	struct rng r = rng_stream(seed, STREAM_PACKAGES);
	uint32_t p;

	for (p = 0; p < cat->n; p++)
		choose_package_spec(cat, &r, &cat->pkgs[p]);
}

static void build(struct catalog *cat, uint32_t n, uint64_t seed)
{
	memset(cat, 0, sizeof(*cat));
	cat->n = n;
	cat->width = digits(n - 1);
	/* About ten packages per namespace, so namespaces are shared. */
	cat->nns = n / 10 ? n / 10 : 1;
	cat->ns_width = digits(cat->nns - 1) > 4 ? digits(cat->nns - 1) : 4;
	cat->pkgs = xcalloc(n, sizeof(*cat->pkgs));
	cat->by_level = xcalloc(n, sizeof(*cat->by_level));
	assign_levels(cat, seed);
	pick_deps(cat, seed);
	shape(cat, seed);
	choose_packages(cat, seed);
}

static void release(struct catalog *cat)
{
	free(cat->pkgs);
	free(cat->by_level);
	free(cat->vars);
	free(cat->comps);
	free(cat->deps);
}

/* Edges are counted once per (package, dependency) pair over all variants,
 * the graph `cozypkg add` walks. */
static unsigned package_depth(const struct catalog *cat,
			      const unsigned char *depth, uint32_t p,
			      uint64_t *edges)
{
	const struct package *pk = &cat->pkgs[p];
	unsigned i, v, w, d = 0;

	for (i = 0; i < pk->ndeps; i++)
		if (depth[cat->deps[pk->first_dep + i]] + 1u > d)
			d = depth[cat->deps[pk->first_dep + i]] + 1u;
	*edges += pk->ndeps;
	for (v = 0; v < pk->nvariants; v++) {
		int64_t add = variant_of(cat, pk, v)->add;

		if (add < 0)
			continue;
		for (w = 0; w < v; w++)
			if (variant_of(cat, pk, w)->add == add)
				break;
		*edges += w == v;
		if (depth[add] + 1u > d)
			d = depth[add] + 1u;
	}
	return d;
}

static void summarize(const struct catalog *cat, struct summary *s)
{
	unsigned char *depth = xcalloc(cat->n, 1);
	size_t i;
	uint32_t k;

	memset(s, 0, sizeof(*s));
	s->variants = cat->nvars;
	s->components = cat->ncomps;
	for (i = 0; i < cat->ncomps; i++)
		s->installed += cat->comps[i].installed;
	/* by_level order visits every dependency before its dependents. */
	for (k = 0; k < cat->n; k++) {
		uint32_t p = cat->by_level[k];

		depth[p] = (unsigned char)package_depth(cat, depth, p, &s->edges);
		if (depth[p] > s->depth)
			s->depth = depth[p];
	}
	free(depth);
}

/* Quote what a YAML 1.1 or 1.2 reader could take for a number, bool or
 * null, or for syntax. */
static int needs_quotes(const char *s)
{
	static const char *const words[] = {
		"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
	};
	size_t len = strlen(s);
	size_t i;

	if (len == 0 || strchr("0123456789+-.!&*?|>'\"%@`#,[]{}: \t", s[0]))
		return 1;
	if (s[len - 1] == ':' || s[len - 1] == ' ')
		return 1;
	if (strstr(s, ": ") || strstr(s, " #"))
		return 1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	return 0;
}

static void put_scalar(FILE *out, const char *s)
{
	if (!needs_quotes(s)) {
		fputs(s, out);
		return;
	}
	putc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\x%02x", (unsigned)(unsigned char)*s);
		else
			putc(*s, out);
	}
	putc('"', out);
}

static void put_line(FILE *out, const char *prefix, const char *value)
{
	fputs(prefix, out);
	put_scalar(out, value);
	putc('\n', out);
}

static const char *package_name(const struct catalog *cat, uint32_t p,
				char buf[NAME_MAX_LEN])
{
	snprintf(buf, NAME_MAX_LEN, "bench.p%0*" PRIu32, cat->width, p);
	return buf;
}

static const char *variant_name(unsigned v, char buf[NAME_MAX_LEN])
{
	if (v == 0)
		return "default";
	snprintf(buf, NAME_MAX_LEN, "v%u", v);
	return buf;
}

static const char *component_name(unsigned c, char buf[NAME_MAX_LEN])
{
	snprintf(buf, NAME_MAX_LEN, "c%u", c);
	return buf;
}

static void write_install(FILE *out, const struct catalog *cat, uint32_t p,
			  const struct component *co, unsigned c)
{
	char buf[NAME_MAX_LEN];
	unsigned i;

	fputs("      install:\n", out);
	if (co->privileged)
		fputs("        privileged: true\n", out);
	snprintf(buf, sizeof(buf), "bench-ns-%0*" PRIu32, cat->ns_width, co->ns);
	put_line(out, "        namespace: ", buf);
	if (co->release_name) {
		snprintf(buf, sizeof(buf), "bench-p%0*" PRIu32 "-c%u",
			 cat->width, p, c);
		put_line(out, "        releaseName: ", buf);
	}
	if (!co->ndeps)
		return;
	fputs("        dependsOn:\n", out);
	for (i = 0; i < co->ndeps; i++)
		put_line(out, "        - ", component_name(co->deps[i], buf));
}

static void write_component(FILE *out, const struct catalog *cat, uint32_t p,
			    unsigned v, unsigned c)
{
	const struct component *co =
		&cat->comps[variant_of(cat, &cat->pkgs[p], v)->first_comp + c];
	char buf[NAME_MAX_LEN];

	put_line(out, "    - name: ", component_name(c, buf));
	snprintf(buf, sizeof(buf), "charts/p%0*" PRIu32 "-c%u", cat->width, p,
		 c);
	put_line(out, "      path: ", buf);
	if (co->libraries)
		fputs("      libraries:\n      - lib\n", out);
	if (co->values_files) {
		fputs("      valuesFiles:\n      - values.yaml\n", out);
		if (v == 0) {
			put_line(out, "      - ", "values-default.yaml");
		} else {
			snprintf(buf, sizeof(buf), "values-v%u.yaml", v);
			put_line(out, "      - ", buf);
		}
	}
	if (co->installed)
		write_install(out, cat, p, co, c);
}

static void write_variant(FILE *out, const struct catalog *cat, uint32_t p,
			  unsigned v)
{
	const struct variant *var = variant_of(cat, &cat->pkgs[p], v);
	uint32_t deps[MAX_DEPS];
	char buf[NAME_MAX_LEN];
	unsigned i, nd;

	put_line(out, "  - name: ", variant_name(v, buf));
	nd = variant_deps(cat, &cat->pkgs[p], v, deps);
	if (nd)
		fputs("    dependsOn:\n", out);
	for (i = 0; i < nd; i++)
		put_line(out, "    - ", package_name(cat, deps[i], buf));
	if (var->libraries)
		fputs("    libraries:\n"
		      "    - name: lib\n"
		      "      path: library/lib\n", out);
	fputs("    components:\n", out);
	for (i = 0; i < var->ncomps; i++)
		write_component(out, cat, p, v, i);
}

static void write_source(FILE *out, const struct catalog *cat, uint32_t p)
{
	char buf[NAME_MAX_LEN];
	unsigned v;

	fputs("---\n"
	      "apiVersion: cozystack.io/v1alpha1\n"
	      "kind: PackageSource\n"
	      "metadata:\n", out);
	put_line(out, "  name: ", package_name(cat, p, buf));
	fputs("spec:\n"
	      "  sourceRef:\n"
	      "    kind: OCIRepository\n"
	      "    name: bench-packages\n"
	      "    namespace: cozy-system\n"
	      "    path: /\n"
	      "  variants:\n", out);
	for (v = 0; v < cat->pkgs[p].nvariants; v++)
		write_variant(out, cat, p, v);
}

static void write_values(FILE *out, const struct package *pk)
{
	char tag[NAME_MAX_LEN];

	/* Half the tags look like numbers ("1.4"), to exercise quoting. */
	if (pk->tag_prefixed)
		snprintf(tag, sizeof(tag), "v1.%u.%u", pk->tag_minor,
			 pk->tag_patch);
	else
		snprintf(tag, sizeof(tag), "1.%u", pk->tag_minor);
	fprintf(out, "      values:\n"
		     "        replicas: %u\n"
		     "        image:\n", pk->replicas);
	put_line(out, "          tag: ", tag);
}

static void write_component_overrides(FILE *out, const struct package *pk,
				      unsigned ncomps)
{
	char buf[NAME_MAX_LEN];
	unsigned c;

	fputs("  components:\n", out);
	for (c = 0; c < ncomps; c++) {
		int values = pk->values_comp == (int)c;
		int disabled = pk->disabled_comp == (int)c;

		if (!values && !disabled)
			continue;
		fprintf(out, "    %s:\n", component_name(c, buf));
		if (disabled)
			fputs("      enabled: false\n", out);
		if (values)
			write_values(out, pk);
	}
}

static void write_package(FILE *out, const struct catalog *cat, uint32_t p)
{
	const struct package *pk = &cat->pkgs[p];
	char buf[NAME_MAX_LEN];
	int empty = pk->variant == 0 && pk->values_comp < 0 &&
		    pk->disabled_comp < 0 && pk->ignored < 0;

	fputs("---\n"
	      "apiVersion: cozystack.io/v1alpha1\n"
	      "kind: Package\n"
	      "metadata:\n", out);
	put_line(out, "  name: ", package_name(cat, p, buf));
	fputs(empty ? "spec: {}\n" : "spec:\n", out);
	if (pk->variant)
		put_line(out, "  variant: ", variant_name(pk->variant, buf));
	if (pk->ignored >= 0)
		put_line(out, "  ignoreDependencies:\n  - ",
			 package_name(cat, (uint32_t)pk->ignored, buf));
	if (pk->values_comp >= 0 || pk->disabled_comp >= 0)
		write_component_overrides(out, pk,
			variant_of(cat, pk, pk->variant)->ncomps);
}

static FILE *open_output(const char *dir, const char *file)
{
	size_t len = strlen(dir) + strlen(file) + 2;
	char *path = xcalloc(len, 1);
	FILE *f;

	snprintf(path, len, "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "gencatalog: cannot open '%s': %s\n", path,
			strerror(errno));
	free(path);
	return f;
}

/* Reports a failed write once, at the end, instead of after every line. */
static int close_output(FILE *f, const char *what)
{
	int failed = ferror(f);

	if (f == stdout)
		failed |= fflush(f) != 0;
	else
		failed |= fclose(f) != 0;
	if (failed)
		fprintf(stderr, "gencatalog: writing %s failed\n", what);
	return failed ? -1 : 0;
}

static int write_catalog(const struct catalog *cat, const char *dir)
{
	FILE *src = stdout;
	FILE *pkgs = stdout;
	uint32_t p;
	int rc = 0;

	if (dir) {
		if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "gencatalog: cannot create '%s': %s\n",
				dir, strerror(errno));
			return -1;
		}
		src = open_output(dir, "sources.yaml");
		pkgs = src ? open_output(dir, "packages.yaml") : NULL;
		if (!pkgs) {
			if (src)
				fclose(src);
			return -1;
		}
	}
	for (p = 0; p < cat->n; p++)
		write_source(src, cat, p);
	for (p = 0; p < cat->n; p++)
		write_package(pkgs, cat, p);
	rc |= close_output(src, dir ? "sources.yaml" : "stdout");
	if (dir)
		rc |= close_output(pkgs, "packages.yaml");
	return rc;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "gencatalog: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	fputs("usage: gencatalog -n N [-s SEED] [-o DIR]; see --help\n",
	      stderr);
	return 2;
}

struct options {
	uint64_t n;
	uint64_t seed;
	const char *dir;
};

/* getopt() does not know long options, so --help is looked for first. */
static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

static const char *option_name(int c, char buf[3])
{
	buf[0] = '-';
	buf[1] = (char)c;
	buf[2] = '\0';
	return buf;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	char opt[3];
	int c;

	o->n = 0;
	o->seed = 1;
	o->dir = NULL;
	opterr = 0;
	while ((c = getopt(argc, argv, ":n:s:o:h")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, MAX_PACKAGES, &o->n) || !o->n)
				return usage_error("-n wants 1 to 1000000", optarg);
			break;
		case 's':
			if (parse_u64(optarg, UINT64_MAX, &o->seed))
				return usage_error("bad seed", optarg);
			break;
		case 'o':
			o->dir = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case ':':
			return usage_error("option needs a value",
					   option_name(optopt, opt));
		default:
			return usage_error("unknown option",
					   option_name(optopt, opt));
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!o->n)
		return usage_error("-n is required", NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct catalog cat;
	struct summary s;
	int rc;

	cz_json_use_project_allocator();
	if (wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return 0;
	}
	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	build(&cat, (uint32_t)o.n, o.seed);
	summarize(&cat, &s);
	rc = write_catalog(&cat, o.dir);
	release(&cat);
	if (rc)
		return 1;
	fprintf(stderr,
		"gencatalog: %" PRIu32 " sources, %" PRIu64 " variants, %"
		PRIu64 " components, %" PRIu64 " installed, %" PRIu64
		" edges, max depth %u\n",
		cat.n, s.variants, s.components, s.installed, s.edges, s.depth);
	return 0;
}
