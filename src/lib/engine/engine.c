#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/meta.h"
#include "util/duration.h"
#include "util/mem.h"
#include "util/sort.h"

#define NS_PER_S INT64_C(1000000000)

void cz_engine_opts_default(cz_engine_opts *opts)
{
	opts->interval_ns = 5 * 60 * NS_PER_S;
	opts->retry_interval_ns = 30 * NS_PER_S;
	opts->install_timeout_ns = 10 * 60 * NS_PER_S;
	opts->upgrade_timeout_ns = 10 * 60 * NS_PER_S;
	opts->max_history = 5;
}

static bool component_enabled(const cz_package *pkg, const cz_component *c)
{
	return c->install && !cz_package_disables(pkg, c->name);
}

static const cz_variant *active_variant(const cz_catalog *cat,
					const cz_package *pkg)
{
	const cz_source *src = cz_catalog_source(cat, pkg->name);

	return src ? cz_source_variant(src, pkg->variant) : NULL;
}

/* The namespaces where pkg's active variant installs an enabled
 * privileged component, as a new JSON array (repeats allowed). */
static json_t *privileged_namespaces(const cz_catalog *cat,
				     const cz_package *pkg)
{
	const cz_variant *v = active_variant(cat, pkg);
	json_t *out = json_array();

	for (size_t j = 0; v && j < v->ncomponents; j++) {
		const cz_component *c = &v->components[j];

		if (component_enabled(pkg, c) && c->install->privileged)
			json_array_append_new(out,
					      json_string(c->install->namespace));
	}
	return out;
}

/* Adds delta to the count of each namespace in list; a count that moves
 * between zero and non-zero is a flip, reported in flipped. */
static void count_privileged(cz_engine *e, const json_t *list, int delta,
			     json_t *flipped)
{
	size_t i;
	json_t *ns;

	json_array_foreach (list, i, ns) {
		const char *name = json_string_value(ns);
		json_int_t n = json_integer_value(
			json_object_get(e->privileged, name));
		json_int_t after = n + delta;

		if (after > 0)
			json_object_set_new(e->privileged, name,
					    json_integer(after));
		else
			json_object_del(e->privileged, name);
		if (flipped && (n == 0) != (after <= 0))
			json_array_append_new(flipped, json_string(name));
	}
}

void cz_engine_refresh_package(cz_engine *e, const char *name,
			       json_t *flipped)
{
	const cz_package *pkg = cz_catalog_package(e->catalog, name);
	json_t *before = json_object_get(e->contributions, name);
	json_t *after = pkg ? privileged_namespaces(e->catalog, pkg) : NULL;

	if (before)
		count_privileged(e, before, -1, flipped);
	if (after && json_array_size(after)) {
		count_privileged(e, after, +1, flipped);
		json_object_set_new(e->contributions, name, after);
	} else {
		json_object_del(e->contributions, name);
		json_decref(after);
	}
}

void cz_engine_init(cz_engine *e, const cz_catalog *cat,
		    const cz_engine_opts *opts)
{
	memset(e, 0, sizeof(*e));
	e->catalog = cat;
	if (opts)
		e->opts = *opts;
	else
		cz_engine_opts_default(&e->opts);
	e->privileged = json_object();
	e->contributions = json_object();
	for (size_t i = 0; i < cat->npackages; i++)
		cz_engine_refresh_package(e, cat->packages[i]->name, NULL);
}

void cz_engine_release(cz_engine *e)
{
	json_decref(e->privileged);
	json_decref(e->contributions);
	e->privileged = e->contributions = NULL;
}

bool cz_engine_is_privileged(const cz_engine *e, const char *ns)
{
	return json_object_get(e->privileged, ns) != NULL;
}

const char *cz_reason_name(cz_reason r)
{
	switch (r) {
	case CZ_REASON_PACKAGE_SOURCE_NOT_FOUND: return "PackageSourceNotFound";
	case CZ_REASON_VARIANT_NOT_FOUND: return "VariantNotFound";
	case CZ_REASON_INVALID_CONFIGURATION: return "InvalidConfiguration";
	case CZ_REASON_DEPENDENCIES_NOT_READY: return "DependenciesNotReady";
	case CZ_REASON_DEPENDS_ON_FAILED: return "DependsOnFailed";
	default: return "ReconciliationSucceeded";
	}
}

bool cz_package_status_ready(const cz_package *pkg)
{
	json_t *ready = cz_condition(pkg->object, "Ready");
	const char *status = json_string_value(json_object_get(ready, "status"));

	return status && strcmp(status, "True") == 0;
}

static bool is_ready(const cz_readiness *r, const cz_package *pkg)
{
	if (r && r->ready)
		return r->ready[pkg->index];
	return cz_package_status_ready(pkg);
}

char *cz_artifact_name(cz_arena *arena, const char *source,
		       const char *variant, const char *component)
{
	char *name = cz_arena_printf(arena, "%s-%s-%s", source, variant,
				     component);

	for (char *p = name; *p; p++)
		if (*p == '.')
			*p = '-';
	return name;
}

static void set_condition(cz_reconcile *out, cz_arena *arena, cz_reason reason,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_condition(cz_reconcile *out, cz_arena *arena, cz_reason reason,
			  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out->reason = reason;
	out->ready = reason == CZ_REASON_RECONCILIATION_SUCCEEDED;
	out->message = cz_arena_strdup(arena, msg);
}

/* Step 4: the namespaces of enabled installable components.  An empty
 * namespace stops the reconcile before anything is applied. */
static bool collect_namespaces(const cz_package *pkg, const cz_variant *v,
			       cz_arena *arena, cz_reconcile *out)
{
	out->namespaces = cz_arena_array(arena, v->ncomponents + 1,
					 sizeof(char *));
	for (size_t i = 0; i < v->ncomponents; i++) {
		const cz_component *c = &v->components[i];
		bool seen = false;

		if (!component_enabled(pkg, c))
			continue;
		if (!*c->install->namespace) {
			out->nnamespaces = 0;
			set_condition(out, arena, CZ_REASON_INVALID_CONFIGURATION,
				      "Component %s has empty namespace in "
				      "Install section",
				      c->name);
			return false;
		}
		for (size_t j = 0; j < out->nnamespaces && !seen; j++)
			seen = strcmp(out->namespaces[j], c->install->namespace) == 0;
		if (!seen)
			out->namespaces[out->nnamespaces++] = c->install->namespace;
	}
	return true;
}

static int cmp_dependency(const void *a, const void *b)
{
	return strcmp(((const cz_dependency_status *)a)->name,
		      ((const cz_dependency_status *)b)->name);
}

/* Step 5: status.dependencies from the variant's non-ignored dependsOn. */
static void collect_dependencies(const cz_engine *e, const cz_package *pkg,
				 const cz_variant *v,
				 const cz_readiness *readiness, cz_arena *arena,
				 cz_reconcile *out)
{
	out->has_dependencies = true;
	out->dependencies = cz_arena_array(arena, v->depends_on.len + 1,
					   sizeof(*out->dependencies));
	for (size_t i = 0; i < v->depends_on.len; i++) {
		const char *dep = v->depends_on.items[i];
		const cz_package *dpkg;
		bool seen = false;

		if (cz_strlist_has(&pkg->ignore_dependencies, dep))
			continue;
		for (size_t j = 0; j < out->ndependencies && !seen; j++)
			seen = strcmp(out->dependencies[j].name, dep) == 0;
		if (seen)
			continue;
		dpkg = cz_catalog_package(e->catalog, dep);
		out->dependencies[out->ndependencies].name = dep;
		out->dependencies[out->ndependencies].ready =
			dpkg && is_ready(readiness, dpkg);
		out->ndependencies++;
	}
	cz_sort(out->dependencies, out->ndependencies,
	      sizeof(*out->dependencies), cmp_dependency);
}

typedef struct refs {
	cz_hr_ref *items;
	size_t len;
	size_t cap;
} refs;

static void refs_push(refs *r, const char *name, const char *ns)
{
	CZ_GROW(r->items, r->len + 1, r->cap);
	r->items[r->len].name = name;
	r->items[r->len].namespace = ns;
	r->len++;
}

/* The installable component a name refers to; a later duplicate wins, as
 * in the operator's name-keyed map. */
static const cz_component *installable_named(const cz_variant *v,
					     const char *name)
{
	for (size_t i = v->ncomponents; i-- > 0;)
		if (v->components[i].install &&
		    strcmp(v->components[i].name, name) == 0)
			return &v->components[i];
	return NULL;
}

static int component_level_deps(const cz_variant *v, const cz_component *c,
				refs *deps, cz_error *err)
{
	for (size_t i = 0; i < v->ncomponents; i++) {
		const cz_component *o = &v->components[i];

		if (o->install && !*o->install->namespace)
			return cz_fail(err, CZ_EINVALID,
				       "component %s has empty namespace in "
				       "Install section",
				       o->name);
	}
	for (size_t i = 0; i < c->install->depends_on.len; i++) {
		const char *name = c->install->depends_on.items[i];
		const cz_component *dc = installable_named(v, name);

		if (!dc)
			return cz_fail(err, CZ_ENOTFOUND,
				       "component %s not found in variant for "
				       "dependency %s",
				       name, c->name);
		refs_push(deps, dc->install->release_name, dc->install->namespace);
	}
	return CZ_OK;
}

static int package_level_deps(const cz_engine *e, const cz_package *pkg,
			      const cz_variant *v, refs *deps, cz_error *err)
{
	for (size_t i = 0; i < v->depends_on.len; i++) {
		const char *dep = v->depends_on.items[i];
		const cz_package *dpkg;
		const cz_source *dsrc;
		const cz_variant *dv;

		if (cz_strlist_has(&pkg->ignore_dependencies, dep))
			continue;
		dpkg = cz_catalog_package(e->catalog, dep);
		if (!dpkg)
			return cz_fail(err, CZ_ENOTFOUND,
				       "dependent Package %s not found", dep);
		dsrc = cz_catalog_source(e->catalog, dep);
		if (!dsrc)
			return cz_fail(err, CZ_ENOTFOUND,
				       "failed to get variant for dependent "
				       "Package %s: PackageSource %s not found",
				       dep, dep);
		dv = cz_source_variant(dsrc, dpkg->variant);
		if (!dv)
			return cz_fail(err, CZ_ENOTFOUND,
				       "failed to get variant for dependent "
				       "Package %s: variant %s not found in "
				       "PackageSource %s",
				       dep, dpkg->variant, dep);
		for (size_t j = 0; j < dv->ncomponents; j++) {
			const cz_component *dc = &dv->components[j];

			if (!component_enabled(dpkg, dc))
				continue;
			if (!*dc->install->namespace)
				return cz_fail(err, CZ_EINVALID,
					       "component %s in dependent "
					       "Package %s has empty namespace in "
					       "Install section",
					       dc->name, dep);
			refs_push(deps, dc->install->release_name,
				  dc->install->namespace);
		}
	}
	return CZ_OK;
}

/* §2.3.5: component-level entries first, then every enabled installable
 * component of every non-ignored dependency, in order, not de-duplicated. */
static int build_depends_on(const cz_engine *e, const cz_package *pkg,
			    const cz_variant *v, const cz_component *c,
			    cz_arena *arena, cz_helmrelease *hr, cz_error *err)
{
	refs deps = { NULL, 0, 0 };
	int rc;

	rc = component_level_deps(v, c, &deps, err);
	if (rc == CZ_OK)
		rc = package_level_deps(e, pkg, v, &deps, err);
	if (rc == CZ_OK && deps.len) {
		cz_hr_ref *copy = cz_arena_array(arena, deps.len, sizeof(*copy));

		memcpy(copy, deps.items, deps.len * sizeof(*copy));
		hr->depends_on = copy;
		hr->ndepends_on = deps.len;
	}
	free(deps.items);
	return rc;
}

/* Step 7: one HelmRelease per enabled installable component. */
static bool build_releases(const cz_engine *e, const cz_package *pkg,
			   const cz_source *src, const cz_variant *v,
			   cz_arena *arena, cz_reconcile *out)
{
	out->releases = cz_arena_array(arena, v->ncomponents + 1,
				       sizeof(*out->releases));
	for (size_t i = 0; i < v->ncomponents; i++) {
		const cz_component *c = &v->components[i];
		cz_helmrelease *hr = &out->releases[out->nreleases];
		cz_error err = CZ_ERROR_INIT;

		if (!component_enabled(pkg, c))
			continue;
		hr->package = pkg;
		hr->source = src;
		hr->variant = v;
		hr->component = c;
		hr->artifact = cz_artifact_name(arena, src->name, v->name, c->name);
		if (build_depends_on(e, pkg, v, c, arena, hr, &err) < 0) {
			set_condition(out, arena, CZ_REASON_DEPENDS_ON_FAILED,
				      "Failed to build DependsOn for component "
				      "%s: %s",
				      c->name, err.msg);
			return false;
		}
		out->nreleases++;
	}
	return true;
}

/* Step 8: labelled HelmReleases that the current variant does not want. */
static void find_orphans(const cz_reconcile *r, const cz_hr_ref *existing,
			 size_t nexisting, cz_arena *arena, cz_reconcile *out)
{
	out->cleanup = true;
	out->orphans = cz_arena_array(arena, nexisting + 1, sizeof(*out->orphans));
	for (size_t i = 0; i < nexisting; i++) {
		bool wanted = false;

		for (size_t j = 0; j < r->nreleases && !wanted; j++) {
			const cz_install *in = r->releases[j].component->install;

			wanted = strcmp(in->release_name, existing[i].name) == 0 &&
				 strcmp(in->namespace, existing[i].namespace) == 0;
		}
		if (!wanted)
			out->orphans[out->norphans++] = existing[i];
	}
}

void cz_engine_reconcile(const cz_engine *e, cz_arena *arena,
			 const cz_package *pkg, const cz_readiness *readiness,
			 const cz_hr_ref *existing, size_t nexisting,
			 cz_reconcile *out)
{
	memset(out, 0, sizeof(*out));
	out->package = pkg;
	out->source = cz_catalog_source(e->catalog, pkg->name);
	if (!out->source) {
		set_condition(out, arena, CZ_REASON_PACKAGE_SOURCE_NOT_FOUND,
			      "PackageSource %s not found", pkg->name);
		return;
	}
	out->variant = cz_source_variant(out->source, pkg->variant);
	if (!out->variant) {
		set_condition(out, arena, CZ_REASON_VARIANT_NOT_FOUND,
			      "Variant %s not found in PackageSource %s",
			      pkg->variant, pkg->name);
		return;
	}
	if (!collect_namespaces(pkg, out->variant, arena, out))
		return;
	collect_dependencies(e, pkg, out->variant, readiness, arena, out);
	for (size_t i = 0; i < out->ndependencies; i++) {
		if (!out->dependencies[i].ready) {
			set_condition(out, arena, CZ_REASON_DEPENDENCIES_NOT_READY,
				      "One or more dependencies are not ready");
			return;
		}
	}
	if (!build_releases(e, pkg, out->source, out->variant, arena, out))
		return;
	find_orphans(out, existing, nexisting, arena, out);
	set_condition(out, arena, CZ_REASON_RECONCILIATION_SUCCEEDED,
		      "reconciliation succeeded, generated %zu helmrelease(s)",
		      out->nreleases);
}
