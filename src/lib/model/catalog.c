#include "model/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/sort.h"

#define SKIP_VALUES_ANNOTATION "operator.cozystack.io/skip-cozystack-values"

void cz_catalog_init(cz_catalog *cat)
{
	memset(cat, 0, sizeof(*cat));
}

/* Objects put live own an arena of their own, which holds them. */
static void free_own(cz_arena *own)
{
	if (own) {
		cz_arena_release(own);
		free(own);
	}
}

void cz_catalog_release(cz_catalog *cat)
{
	for (size_t i = 0; i < cat->nsources; i++) {
		json_decref(cat->sources[i]->object);
		json_decref(cat->sources[i]->kept);
		free_own(cat->sources[i]->own);
	}
	for (size_t i = 0; i < cat->npackages; i++) {
		json_decref(cat->packages[i]->object);
		free_own(cat->packages[i]->own);
	}
	free(cat->sources);
	free(cat->packages);
	cz_strmap_release(&cat->source_index);
	cz_strmap_release(&cat->package_index);
	cz_arena_release(&cat->arena);
	memset(cat, 0, sizeof(*cat));
}

/*
 * Decoding into an arena.  Strings are borrowed from the object, which
 * the catalog keeps, except for a source put live: its strings are copied
 * into its arena and the JSON values it points to (healthCheckExprs) into
 * kept, so that the parsed object (about ten times the size of what is
 * decoded) need not stay.
 */
typedef struct decoder {
	cz_arena *a;
	json_t *kept; /* copy mode: an array owning the values kept; else NULL */
} decoder;

static const char *keep_str(const decoder *d, const char *s)
{
	return s && d->kept ? cz_arena_strdup(d->a, s) : s;
}

static const char *str_or(const decoder *d, const json_t *obj,
			  const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? keep_str(d, s) : dflt;
}

static cz_strlist decode_strlist(const decoder *d, const json_t *arr)
{
	cz_strlist l = { NULL, 0 };
	size_t i;
	json_t *item;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return l;
	l.items = cz_arena_array(d->a, json_array_size(arr), sizeof(char *));
	json_array_foreach (arr, i, item)
		if (json_is_string(item))
			l.items[l.len++] = keep_str(d, json_string_value(item));
	return l;
}

/* A JSON value the decoded struct points to: borrowed, or in copy mode a
 * copy that kept owns. */
static json_t *keep_json(const decoder *d, json_t *v)
{
	json_t *copy;

	if (!d->kept)
		return v;
	copy = json_deep_copy(v);
	json_array_append_new(d->kept, copy);
	return copy;
}

static const cz_install *decode_install(const decoder *d, const json_t *obj,
					const char *component_name)
{
	cz_install *in;
	json_t *exprs;

	if (!json_is_object(obj))
		return NULL;
	in = cz_arena_alloc(d->a, sizeof(*in));
	in->release_name = str_or(d, obj, "releaseName", "");
	if (!*in->release_name)
		in->release_name = component_name;
	in->namespace = str_or(d, obj, "namespace", "");
	in->privileged = json_is_true(json_object_get(obj, "privileged"));
	in->depends_on = decode_strlist(d, json_object_get(obj, "dependsOn"));
	in->upgrade_crds = str_or(d, obj, "upgradeCRDs", NULL);
	if (in->upgrade_crds && !*in->upgrade_crds)
		in->upgrade_crds = NULL;
	in->wait_strategy = str_or(d, obj, "waitStrategy", NULL);
	if (in->wait_strategy && !*in->wait_strategy)
		in->wait_strategy = NULL;
	exprs = json_object_get(obj, "healthCheckExprs");
	in->health_check_exprs =
		json_is_array(exprs) && json_array_size(exprs)
			? keep_json(d, exprs)
			: NULL;
	return in;
}

static void decode_components(const decoder *d, const json_t *arr,
			      cz_variant *v)
{
	cz_component *comps;
	size_t i;
	json_t *item;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return;
	comps = cz_arena_array(d->a, json_array_size(arr), sizeof(*comps));
	json_array_foreach (arr, i, item) {
		cz_component *c = &comps[i];

		c->name = str_or(d, item, "name", "");
		c->path = str_or(d, item, "path", "");
		c->libraries =
			decode_strlist(d, json_object_get(item, "libraries"));
		c->values_files =
			decode_strlist(d, json_object_get(item, "valuesFiles"));
		c->install = decode_install(d, json_object_get(item, "install"),
					    c->name);
	}
	v->components = comps;
	v->ncomponents = json_array_size(arr);
}

static const char *last_segment(const char *path)
{
	size_t len = strlen(path);
	const char *p;

	while (len && path[len - 1] == '/')
		len--;
	p = path + len;
	while (p > path && p[-1] != '/')
		p--;
	return p;
}

static void decode_libraries(const decoder *d, const json_t *arr,
			     cz_variant *v)
{
	cz_library *libs;
	size_t i;
	json_t *item;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return;
	libs = cz_arena_array(d->a, json_array_size(arr), sizeof(*libs));
	json_array_foreach (arr, i, item) {
		const char *path = str_or(d, item, "path", "");
		const char *name = str_or(d, item, "name", "");

		libs[i].path = path;
		if (*name) {
			libs[i].name = name;
		} else {
			const char *seg = last_segment(path);
			size_t n = strcspn(seg, "/");

			libs[i].name = cz_arena_strndup(d->a, seg, n);
		}
	}
	v->libraries = libs;
	v->nlibraries = json_array_size(arr);
}

static const cz_source_ref *decode_source_ref(const decoder *d,
					      const json_t *obj)
{
	cz_source_ref *ref;

	if (!json_is_object(obj))
		return NULL;
	ref = cz_arena_alloc(d->a, sizeof(*ref));
	ref->kind = str_or(d, obj, "kind", "");
	ref->name = str_or(d, obj, "name", "");
	ref->namespace = str_or(d, obj, "namespace", "");
	ref->path = str_or(d, obj, "path", NULL);
	return ref;
}

/* In copy mode src->object stays NULL and src->kept takes d->kept. */
static cz_source *decode_source(const decoder *d, json_t *obj)
{
	cz_source *src = cz_arena_alloc(d->a, sizeof(*src));
	json_t *meta = json_object_get(obj, "metadata");
	json_t *spec = json_object_get(obj, "spec");
	json_t *variants = json_object_get(spec, "variants");
	const char *skip = json_string_value(json_object_get(
		json_object_get(meta, "annotations"), SKIP_VALUES_ANNOTATION));
	cz_variant *vs = NULL;
	size_t i;
	json_t *item;

	memset(src, 0, sizeof(*src));
	src->name = str_or(d, meta, "name", "");
	if (d->kept)
		src->kept = json_incref(d->kept);
	else
		src->object = json_incref(obj);
	src->skip_cozystack_values = skip && strcmp(skip, "true") == 0;
	src->source_ref =
		decode_source_ref(d, json_object_get(spec, "sourceRef"));
	if (json_is_array(variants) && json_array_size(variants)) {
		vs = cz_arena_array(d->a, json_array_size(variants),
				    sizeof(*vs));
		json_array_foreach (variants, i, item) {
			vs[i].name = str_or(d, item, "name", "");
			vs[i].depends_on = decode_strlist(
				d, json_object_get(item, "dependsOn"));
			decode_libraries(d, json_object_get(item, "libraries"),
					 &vs[i]);
			decode_components(d, json_object_get(item, "components"),
					  &vs[i]);
		}
		src->variants = vs;
		src->nvariants = json_array_size(variants);
	}
	return src;
}

static cz_package *decode_package(const decoder *d, json_t *obj)
{
	cz_package *pkg = cz_arena_alloc(d->a, sizeof(*pkg));
	json_t *spec = json_object_get(obj, "spec");
	json_t *comps = json_object_get(spec, "components");
	cz_package_component *pcs;
	const char *key;
	json_t *value;
	size_t n = 0;

	pkg->name = str_or(d, json_object_get(obj, "metadata"), "name", "");
	pkg->object = json_incref(obj);
	pkg->variant = str_or(d, spec, "variant", "");
	if (!*pkg->variant)
		pkg->variant = "default";
	pkg->ignore_dependencies =
		decode_strlist(d, json_object_get(spec, "ignoreDependencies"));
	if (!json_is_object(comps) || json_object_size(comps) == 0)
		return pkg;
	pcs = cz_arena_array(d->a, json_object_size(comps), sizeof(*pcs));
	json_object_foreach (comps, key, value) {
		json_t *enabled = json_object_get(value, "enabled");
		json_t *values = json_object_get(value, "values");

		pcs[n].name = key;
		pcs[n].enabled = json_is_boolean(enabled) ?
					 (json_is_true(enabled) ? 1 : 0) : -1;
		pcs[n].values = values && !json_is_null(values) ? values : NULL;
		n++;
	}
	pkg->components = pcs;
	pkg->ncomponents = n;
	return pkg;
}

void cz_catalog_add_source(cz_catalog *cat, json_t *obj, const char *file,
			   unsigned line, cz_diags *diags)
{
	decoder d = { &cat->arena, NULL };
	cz_source *src = decode_source(&d, obj);
	cz_source *old;

	src->origin.file = cz_arena_strdup(&cat->arena, file);
	src->origin.line = line;
	old = cz_strmap_get(&cat->source_index, src->name);
	if (old) {
		cz_diags_add(diags, CZ_DIAG_WARNING,
			     "packagesource \"%s\" is defined in both %s and "
			     "%s, using the latter",
			     src->name, old->origin.file, file);
		json_t *replaced = old->object;
		size_t index = old->index;

		/* The map's key still points into the replaced object: re-key
		 * before that object goes. */
		*old = *src;
		old->index = index;
		cz_strmap_put(&cat->source_index, old->name, old);
		json_decref(replaced);
		return;
	}
	cz_strmap_put(&cat->source_index, src->name, src);
	CZ_GROW(cat->sources, cat->nsources + 1, cat->sources_cap);
	cat->sources[cat->nsources++] = src;
}

void cz_catalog_add_package(cz_catalog *cat, json_t *obj, const char *file,
			    unsigned line, cz_diags *diags)
{
	decoder d = { &cat->arena, NULL };
	cz_package *pkg = decode_package(&d, obj);
	cz_package *old;

	pkg->origin.file = cz_arena_strdup(&cat->arena, file);
	pkg->origin.line = line;
	old = cz_strmap_get(&cat->package_index, pkg->name);
	if (old) {
		cz_diags_add(diags, CZ_DIAG_WARNING,
			     "package \"%s\" is defined in both %s and %s, "
			     "using the latter",
			     pkg->name, old->origin.file, file);
		json_t *replaced = old->object;
		size_t index = old->index;

		/* The map's key still points into the replaced object: re-key
		 * before that object goes. */
		*old = *pkg;
		old->index = index;
		cz_strmap_put(&cat->package_index, old->name, old);
		json_decref(replaced);
		return;
	}
	cz_strmap_put(&cat->package_index, pkg->name, pkg);
	CZ_GROW(cat->packages, cat->npackages + 1, cat->packages_cap);
	cat->packages[cat->npackages++] = pkg;
}

static int cmp_source(const void *a, const void *b)
{
	return strcmp((*(cz_source *const *)a)->name,
		      (*(cz_source *const *)b)->name);
}

static int cmp_package(const void *a, const void *b)
{
	return strcmp((*(cz_package *const *)a)->name,
		      (*(cz_package *const *)b)->name);
}

void cz_catalog_finish(cz_catalog *cat)
{
	cz_sort(cat->sources, cat->nsources, sizeof(*cat->sources), cmp_source);
	cz_sort(cat->packages, cat->npackages, sizeof(*cat->packages),
	      cmp_package);
	for (size_t i = 0; i < cat->nsources; i++)
		cat->sources[i]->index = i;
	for (size_t i = 0; i < cat->npackages; i++)
		cat->packages[i]->index = i;
}

const cz_source *cz_catalog_source(const cz_catalog *cat, const char *name)
{
	return cz_strmap_get(&cat->source_index, name);
}

const cz_package *cz_catalog_package(const cz_catalog *cat, const char *name)
{
	return cz_strmap_get(&cat->package_index, name);
}

const cz_variant *cz_source_variant(const cz_source *src, const char *name)
{
	/* The first match wins, as in the real operator: the CRD does not
	 * forbid two variants of one name. */
	for (size_t i = 0; i < src->nvariants; i++)
		if (strcmp(src->variants[i].name, name) == 0)
			return &src->variants[i];
	return NULL;
}

const cz_component *cz_variant_component(const cz_variant *v, const char *name)
{
	for (size_t i = 0; i < v->ncomponents; i++)
		if (strcmp(v->components[i].name, name) == 0)
			return &v->components[i];
	return NULL;
}

const cz_package_component *cz_package_component_get(const cz_package *pkg,
						     const char *name)
{
	for (size_t i = 0; i < pkg->ncomponents; i++)
		if (strcmp(pkg->components[i].name, name) == 0)
			return &pkg->components[i];
	return NULL;
}

bool cz_package_disables(const cz_package *pkg, const char *component)
{
	const cz_package_component *pc = cz_package_component_get(pkg, component);

	return pc && pc->enabled == 0;
}

bool cz_strlist_has(const cz_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

/*
 * Live use.  The object is decoded into an arena of its own so that
 * replacing or removing it frees exactly its memory; the old struct is
 * released only after the index has been re-keyed to the new name string.
 */
#define LIVE_ORIGIN "(api)"

/*
 * A live object's arena is one chunk of exactly the size its decoding
 * needs, found by decoding it once into a throwaway arena first: there are
 * tens of thousands of these arenas and most hold a few hundred bytes, so
 * a run of growing chunks would leave more unused than used.  Decoding is
 * a walk over a parsed object, cheap next to the watch event that brought
 * it.
 */
static cz_arena *sized_arena(json_t *obj, bool is_source, bool copy)
{
	cz_arena probe = CZ_ARENA_INIT;
	cz_arena *own = cz_xmalloc(sizeof(*own));
	decoder d = { &probe, copy ? json_array() : NULL };

	if (is_source) {
		cz_source *src = decode_source(&d, obj);

		json_decref(src->object);
		json_decref(src->kept);
	} else {
		json_decref(decode_package(&d, obj)->object);
	}
	json_decref(d.kept);
	cz_arena_init_sized(own, probe.total);
	cz_arena_release(&probe);
	return own;
}

/* Frees what a source put live holds beside its arena. */
static void free_live_source(cz_source *src)
{
	json_decref(src->object);
	json_decref(src->kept);
	free_own(src->own);
}

static void put_source(cz_catalog *cat, json_t *obj, bool copy)
{
	cz_arena *own = sized_arena(obj, true, copy);
	decoder d = { own, copy ? json_array() : NULL };
	cz_source *src = decode_source(&d, obj);
	cz_source *old = cz_strmap_get(&cat->source_index, src->name);

	json_decref(d.kept); /* src->kept has its own reference */
	src->own = own;
	src->origin.file = LIVE_ORIGIN;
	cz_strmap_put(&cat->source_index, src->name, src);
	if (old) {
		src->index = old->index;
		cat->sources[src->index] = src;
		free_live_source(old);
		return;
	}
	src->index = cat->nsources;
	CZ_GROW(cat->sources, cat->nsources + 1, cat->sources_cap);
	cat->sources[cat->nsources++] = src;
}

void cz_catalog_put_source(cz_catalog *cat, json_t *obj)
{
	put_source(cat, obj, false);
}

void cz_catalog_put_source_copy(cz_catalog *cat, json_t *obj)
{
	put_source(cat, obj, true);
}

void cz_catalog_put_package(cz_catalog *cat, json_t *obj)
{
	cz_arena *own = sized_arena(obj, false, false);
	decoder d = { own, NULL };
	cz_package *pkg = decode_package(&d, obj);
	cz_package *old = cz_strmap_get(&cat->package_index, pkg->name);

	pkg->own = own;
	pkg->origin.file = LIVE_ORIGIN;
	cz_strmap_put(&cat->package_index, pkg->name, pkg);
	if (old) {
		pkg->index = old->index;
		cat->packages[pkg->index] = pkg;
		json_decref(old->object);
		free_own(old->own);
		return;
	}
	pkg->index = cat->npackages;
	CZ_GROW(cat->packages, cat->npackages + 1, cat->packages_cap);
	cat->packages[cat->npackages++] = pkg;
}

bool cz_catalog_remove_source(cz_catalog *cat, const char *name)
{
	cz_source *old = cz_strmap_del(&cat->source_index, name);

	if (!old)
		return false;
	cat->sources[old->index] = cat->sources[--cat->nsources];
	cat->sources[old->index]->index = old->index;
	free_live_source(old);
	return true;
}

bool cz_catalog_remove_package(cz_catalog *cat, const char *name)
{
	cz_package *old = cz_strmap_del(&cat->package_index, name);

	if (!old)
		return false;
	cat->packages[old->index] = cat->packages[--cat->npackages];
	cat->packages[old->index]->index = old->index;
	json_decref(old->object);
	free_own(old->own);
	return true;
}
