#include "apiserver/values.h"

#include <archive.h>
#include <archive_entry.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/patch.h"
#include "engine/engine.h"
#include "object/jsonschema.h"
#include "object/meta.h"
#include "object/yaml.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strmap.h"

#define FILE_MAX (4u << 20)
#define CACHE_MAX 512
#define ERRORS_MAX 20

/* What one artifact says about values: its defaults and its schema (NULL
 * when it has none). */
typedef struct chart_values {
	json_t *defaults;
	json_t *schema;
} chart_values;

struct cz_values_admission {
	cz_values_mode mode;
	const cz_artifact_store *artifacts;
	char *ns;
	pthread_mutex_t lock;
	cz_strmap cache; /* digest (owned key) -> chart_values * */
};

int cz_values_mode_parse(const char *text, cz_values_mode *out,
			 cz_error *err)
{
	static const char *const names[] = { "off", "warn", "enforce" };

	for (int i = 0; i < 3; i++)
		if (strcmp(text, names[i]) == 0) {
			*out = (cz_values_mode)i;
			return CZ_OK;
		}
	return cz_fail(err, CZ_EINVALID, "--values-admission: expected off, "
		       "warn or enforce, got \"%s\"", text);
}

cz_values_admission *cz_values_admission_new(cz_values_mode mode,
					     const cz_artifact_store *artifacts,
					     const char *ns)
{
	cz_values_admission *va = cz_xcalloc(1, sizeof(*va));

	va->mode = mode;
	va->artifacts = artifacts;
	va->ns = cz_xstrdup(ns);
	pthread_mutex_init(&va->lock, NULL);
	return va;
}

static void cache_clear(cz_strmap *cache)
{
	size_t pos = 0;
	const char *key;
	void *value;

	while (cz_strmap_next(cache, &pos, &key, &value)) {
		chart_values *cv = value;

		json_decref(cv->defaults);
		json_decref(cv->schema);
		free(cv);
		free((char *)key);
	}
	cz_strmap_release(cache);
}

void cz_values_admission_free(cz_values_admission *va)
{
	if (!va)
		return;
	cache_clear(&va->cache);
	pthread_mutex_destroy(&va->lock);
	free(va->ns);
	free(va);
}

/* ---- reading an artifact ------------------------------------------------ */

/* A document of the chart's top directory: "<seg>/<file>". */
static bool top_file(const char *path, const char *file)
{
	const char *slash = strchr(path, '/');

	return slash && slash != path && strcmp(slash + 1, file) == 0;
}

static json_t *parse_doc(const char *data, size_t len, const char *name)
{
	cz_error err = CZ_ERROR_INIT;
	cz_doc *docs = NULL;
	size_t n = 0;
	json_t *out = NULL;

	if (cz_parse_stream(data, len, name, NULL, &docs, &n, NULL, &err) ==
	    CZ_OK)
		out = n && docs[0].root ? json_incref(docs[0].root)
					: json_object();
	cz_docs_free(docs, n);
	return out;
}

/* Reads values.yaml and values.schema.json of the tarball at path. */
static int read_chart_values(const char *path, chart_values *cv,
			     cz_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *data = NULL;
	int rc = CZ_OK;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", path,
			     archive_error_string(a));
		goto cleanup;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		bool values = top_file(name, "values.yaml");
		bool schema = top_file(name, "values.schema.json");
		la_int64_t size = archive_entry_size(e);
		la_ssize_t got;

		if (!values && !schema)
			continue;
		if (size < 0 || size > (la_int64_t)FILE_MAX)
			continue;
		data = cz_xrealloc(data, (size_t)size + 1);
		got = archive_read_data(a, data, (size_t)size);
		if (got != size)
			continue;
		json_decref(values ? cv->defaults : cv->schema);
		*(values ? &cv->defaults : &cv->schema) =
			parse_doc(data, (size_t)size, name);
	}
cleanup:
	free(data);
	archive_read_free(a);
	return rc;
}

/* The cached values of digest, read on first use (borrowed: entries are
 * never freed while the checker lives, only dropped with the whole cache
 * under the lock, so callers copy what they keep before unlocking). */
static int chart_values_of(cz_values_admission *va, const char *digest,
			   json_t **defaults, json_t **schema, cz_error *err)
{
	chart_values *cv;
	char *path = NULL;
	int rc = CZ_OK;

	pthread_mutex_lock(&va->lock);
	if (!(cv = cz_strmap_get(&va->cache, digest))) {
		rc = cz_artifact_store_lookup(va->artifacts, digest, &path,
					      NULL, err);
		cv = cz_xcalloc(1, sizeof(*cv));
		if (rc == CZ_OK)
			rc = read_chart_values(path, cv, err);
		if (va->cache.len >= CACHE_MAX)
			cache_clear(&va->cache);
		cz_strmap_put(&va->cache, cz_xstrdup(digest), cv);
	}
	*defaults = cv->defaults ? json_deep_copy(cv->defaults)
				 : json_object();
	*schema = json_incref(cv->schema);
	pthread_mutex_unlock(&va->lock);
	free(path);
	return rc;
}

/* ---- one Package -------------------------------------------------------- */

/* The stored digest of the component's ExternalArtifact, or NULL. */
static char *artifact_digest(const cz_values_admission *va, cz_store *store,
			     const char *pkg, const char *variant,
			     const char *component)
{
	const cz_resource *ea = cz_resource_find("source.toolkit.fluxcd.io",
						 "v1", "externalartifacts");
	cz_arena arena = CZ_ARENA_INIT;
	char *name, *key, *digest = NULL;
	cz_blob *blob = NULL;
	json_t *obj;

	name = cz_artifact_name(&arena, pkg, variant, component);
	key = cz_object_key(ea, va->ns, name);
	if (cz_store_get(store, key, &blob, NULL) == CZ_OK &&
	    (obj = cz_blob_json(blob))) {
		const char *d = json_string_value(json_object_get(
			json_object_get(json_object_get(obj, "status"),
					"artifact"),
			"digest"));

		digest = d ? cz_xstrdup(d) : NULL;
		json_decref(obj);
	}
	cz_blob_unref(blob);
	free(key);
	cz_arena_release(&arena);
	return digest;
}

static void add_warning(cz_api_call *c, const char *text)
{
	if (!c->warnings)
		c->warnings = json_array();
	json_array_append_new(c->warnings, json_string(text));
}

/* "PATH: message" lines of the schema walk as causes. */
static void add_causes(char *lines, size_t n, json_t *causes)
{
	for (char *l = lines; n && l && *l;) {
		char *nl = strchr(l, '\n');
		char *sep;

		if (nl)
			*nl = '\0';
		sep = strstr(l, ": ");
		json_array_append_new(
			causes,
			json_pack("{s:s, s:s%, s:s}", "reason",
				  "FieldValueInvalid", "field", l,
				  sep ? (size_t)(sep - l) : strlen(l),
				  "message", sep ? sep + 2 : l));
		l = nl ? nl + 1 : NULL;
	}
}

/* Validates one component's values: problems go to causes; a component
 * whose artifact is not built yet goes to unchecked. */
static void check_component(cz_values_admission *va, cz_store *store,
			    const char *pkg, const char *variant,
			    const char *component, const json_t *values,
			    json_t *causes, json_t *unchecked)
{
	char *digest = artifact_digest(va, store, pkg, variant, component);
	char *prefix = cz_xasprintf("spec.components.%s.values", component);
	cz_error err = CZ_ERROR_INIT;
	json_t *merged = NULL, *schema = NULL;
	cz_buf lines;
	size_t n = 0;

	cz_buf_init(&lines, CZ_BUF_UNLIMITED);
	if (!digest) {
		json_array_append_new(unchecked, json_string(component));
		goto cleanup;
	}
	if (chart_values_of(va, digest, &merged, &schema, &err) < 0 ||
	    !schema || cz_merge_patch(&merged, values, &err) < 0)
		goto cleanup;
	cz_jsonschema_validate(schema, merged, prefix, &lines, ERRORS_MAX, &n,
			       &err);
	add_causes(lines.data, n, causes);
cleanup:
	cz_buf_release(&lines);
	json_decref(merged);
	json_decref(schema);
	free(prefix);
	free(digest);
}

void cz_values_check(const cz_values_admission *va, cz_store *store,
		     const json_t *pkg, json_t *causes, json_t *unchecked)
{
	const json_t *spec = json_object_get(pkg, "spec");
	const char *variant = json_string_value(json_object_get(spec,
								"variant"));
	const char *name = cz_meta_str(pkg, "name");
	const char *comp;
	json_t *entry;

	if (!va || va->mode == CZ_VALUES_OFF || !name)
		return;
	json_object_foreach (json_object_get(spec, "components"), comp,
			     entry) {
		const json_t *values = json_object_get(entry, "values");

		if (json_is_object(values))
			check_component((cz_values_admission *)va, store, name,
					variant && *variant ? variant
							    : "default",
					comp, values, causes, unchecked);
	}
}

int cz_values_admit(const cz_values_admission *va, cz_api_call *c,
		    const json_t *pkg)
{
	const char *name = cz_meta_str(pkg, "name");
	json_t *causes = json_array();
	json_t *unchecked = json_array();
	json_t *details = NULL;
	size_t i;
	json_t *cause;
	int rc = CZ_OK;

	cz_values_check(va, c->store, pkg, causes, unchecked);
	/* Said only where checking was asked to be strict: in warn mode
	 * every write before the artifacts exist would warn. */
	json_array_foreach (unchecked, i, cause) {
		char *w = cz_xasprintf("spec.components.%s.values: not "
				       "checked: the artifact of component %s "
				       "is not built yet",
				       json_string_value(cause),
				       json_string_value(cause));

		if (va->mode == CZ_VALUES_ENFORCE)
			add_warning(c, w);
		free(w);
	}
	if (!json_array_size(causes))
		goto cleanup;
	if (va->mode == CZ_VALUES_WARN) {
		json_array_foreach (causes, i, cause) {
			char *w = cz_xasprintf(
				"%s: %s (the chart's values.schema.json)",
				json_string_value(json_object_get(cause,
								  "field")),
				json_string_value(json_object_get(cause,
								  "message")));

			add_warning(c, w);
			free(w);
		}
		goto cleanup;
	}
	details = json_pack("{s:s, s:s, s:s, s:O}", "name", name, "group",
			    "cozystack.io", "kind", "Package", "causes",
			    causes);
	rc = cz_api_fail(c, CZ_EINVALID, 422, "Invalid", details,
			 "Package.cozystack.io \"%s\" is invalid: %s: %s (the "
			 "chart's values.schema.json)",
			 name,
			 json_string_value(json_object_get(
				 json_array_get(causes, 0), "field")),
			 json_string_value(json_object_get(
				 json_array_get(causes, 0), "message")));
cleanup:
	json_decref(details);
	json_decref(causes);
	json_decref(unchecked);
	return rc;
}
