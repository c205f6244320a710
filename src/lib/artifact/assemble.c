/* The ArtifactGenerator role: component artifacts from a source tree (see
 * assemble.h). */

#include "artifact/assemble.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/engine.h"
#include "object/emit.h"
#include "object/yaml.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

#define DEFAULT_VALUES_MAX (4 * 1024 * 1024)
#define VALUES_OUTPUT_MAX (64 * 1024 * 1024)
#define DEFAULT_COMPRESSION_LEVEL 1

const char *cz_source_base_path(cz_arena *arena, const cz_source *src)
{
	const char *path = NULL;
	size_t len;

	if (src->source_ref)
		path = src->source_ref->path;
	if (!path)
		path = src->source_ref && src->source_ref->kind &&
				       strcmp(src->source_ref->kind,
					      "GitRepository") == 0
			       ? "packages"
			       : "";
	while (*path == '/')
		path++;
	len = strlen(path);
	while (len && path[len - 1] == '/')
		len--;
	return cz_arena_strndup(arena, path, len);
}

void cz_values_merge(json_t *base, json_t *overlay)
{
	const char *key;
	json_t *value;

	json_object_foreach(overlay, key, value) {
		json_t *mine = json_object_get(base, key);

		if (json_is_object(mine) && json_is_object(value))
			cz_values_merge(mine, value);
		else
			json_object_set_new(base, key, json_deep_copy(value));
	}
}

bool cz_path_relative_safe(const char *rel)
{
	const char *p = rel;

	if (*rel == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		while (*p == '/')
			p++;
	}
	return true;
}

/* root/base/rel without empty segments; malloc'ed. */
static char *join_source_path(const char *root, const char *base,
			      const char *rel)
{
	while (*rel == '/')
		rel++;
	if (*base)
		return cz_xasprintf("%s/%s/%s", root, base, rel);
	return cz_xasprintf("%s/%s", root, rel);
}

/* The last segment of path, without trailing slashes; malloc'ed. */
static char *last_segment(const char *path)
{
	size_t len = strlen(path);
	size_t start;

	while (len && path[len - 1] == '/')
		len--;
	start = len;
	while (start && path[start - 1] != '/')
		start--;
	return cz_xstrndup(path + start, len - start);
}

/* Parses a values file: an object, or {} when the file has no document. */
static int load_values(const char *path, const char *text, size_t len,
		       json_t **out, cz_error *err)
{
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	int rc;

	*out = NULL;
	rc = cz_parse_stream(text, len, path, NULL, &docs, &ndocs, NULL, err);
	if (rc < 0)
		return rc;
	if (ndocs > 1) {
		rc = cz_fail(err, CZ_EINVALID, "%s: more than one YAML document",
			     path);
	} else if (ndocs == 0 || !docs[0].root) {
		*out = json_object();
	} else if (!json_is_object(docs[0].root)) {
		rc = cz_fail(err, CZ_EINVALID, "%s: not a YAML mapping", path);
	} else {
		*out = json_incref(docs[0].root);
	}
	cz_docs_free(docs, ndocs);
	return rc;
}

typedef struct job {
	const char *root;
	const char *base;
	const cz_source *src;
	const cz_variant *variant;
	const cz_component *component;
	cz_artifact_store *store;
	const cz_assemble_opts *opts;
	cz_assembled *item;
} job;

/* Reads the values file name of chart_dir: *text_out malloc'ed. */
static int read_values_file(const char *chart_dir, const char *name,
			    size_t max, char **text_out, size_t *len_out,
			    cz_error *err)
{
	char *path = NULL;
	int rc;

	*text_out = NULL;
	if (!cz_path_relative_safe(name) || !*name)
		return cz_fail(err, CZ_EINVALID, "values file \"%s\": not a "
			       "path inside the chart", name);
	path = cz_xasprintf("%s/%s", chart_dir, name);
	rc = cz_file_read(path, max, text_out, len_out, err);
	free(path);
	if (rc < 0)
		cz_fail(err, rc, "values file \"%s\": %s", name,
			rc == CZ_ENOTFOUND    ? "not found"
			: rc == CZ_ETOOLARGE ? "too large"
					     : "cannot be read");
	return rc;
}

int cz_values_files_merge(const char *chart_dir, const cz_strlist *files,
			  size_t max, json_t **out, cz_error *err)
{
	char *text = NULL;
	size_t len = 0;
	json_t *overlay = NULL;
	int rc = CZ_OK;

	*out = NULL;
	for (size_t i = 0; i < files->len && rc == CZ_OK; i++) {
		const char *name = files->items[i];

		rc = read_values_file(chart_dir, name,
				      max ? max : DEFAULT_VALUES_MAX, &text,
				      &len, err);
		if (rc == CZ_OK &&
		    (rc = load_values(name, text, len, &overlay, err)) < 0)
			cz_error_prefix(err, "values file \"%s\"", name);
		free(text);
		text = NULL;
		if (rc == CZ_OK && !*out)
			*out = json_incref(overlay);
		else if (rc == CZ_OK)
			cz_values_merge(*out, overlay);
		json_decref(overlay);
		overlay = NULL;
	}
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Adds seg/values.yaml built from the component's valuesFiles: one file
 * as it is, several merged in order. */
static int add_values(const job *j, const char *chart_dir, const char *seg,
		      cz_tarball *t, cz_error *err)
{
	const cz_strlist *files = &j->component->values_files;
	char *archive_path = cz_xasprintf("%s/values.yaml", seg);
	char *text = NULL;
	size_t len = 0;
	json_t *merged = NULL;
	cz_buf out;
	int rc = CZ_OK;

	cz_buf_init(&out, VALUES_OUTPUT_MAX);
	if (files->len == 1) {
		rc = read_values_file(chart_dir, files->items[0],
				      j->opts->max_values_bytes
					      ? j->opts->max_values_bytes
					      : DEFAULT_VALUES_MAX,
				      &text, &len, err);
		if (rc == CZ_OK)
			cz_tarball_add_bytes(t, archive_path, text, len,
					     false);
		goto cleanup;
	}
	rc = cz_values_files_merge(chart_dir, files, j->opts->max_values_bytes,
				   &merged, err);
	if (rc == CZ_OK && merged) {
		if ((rc = cz_emit_yaml(&out, merged, err)) < 0) {
			cz_error_prefix(err, "merged values");
			goto cleanup;
		}
		cz_tarball_add_bytes(t, archive_path, out.data, out.len, false);
	}
cleanup:
	cz_buf_release(&out);
	json_decref(merged);
	free(text);
	free(archive_path);
	return rc;
}

/* Adds seg/charts/<name>/ for every library the component names. */
static int add_libraries(const job *j, const char *seg, cz_tarball *t,
			 cz_error *err)
{
	char *lib_dir = NULL;
	char *prefix = NULL;
	int rc = CZ_OK;

	for (size_t i = 0; i < j->component->libraries.len; i++) {
		const char *want = j->component->libraries.items[i];
		const cz_library *lib = NULL;
		cz_chart_info info;

		for (size_t k = 0; k < j->variant->nlibraries && !lib; k++)
			if (strcmp(j->variant->libraries[k].name, want) == 0)
				lib = &j->variant->libraries[k];
		if (!lib)
			continue; /* unknown names are ignored */
		if (!cz_path_relative_safe(lib->path) || !*lib->path) {
			rc = cz_fail(err, CZ_EINVALID,
				     "library %s: path \"%s\": not a path inside "
				     "the source",
				     lib->name, lib->path);
			goto cleanup;
		}
		free(lib_dir);
		free(prefix);
		lib_dir = join_source_path(j->root, j->base, lib->path);
		prefix = cz_xasprintf("%s/charts/%s", seg, lib->name);
		if ((rc = cz_chart_validate(lib_dir, &info, err)) < 0 ||
		    (rc = cz_tarball_add_dir(t, prefix, lib_dir, err)) < 0) {
			cz_error_prefix(err, "library %s: path \"%s\"", lib->name,
					lib->path);
			goto cleanup;
		}
	}
cleanup:
	free(lib_dir);
	free(prefix);
	return rc;
}

static void run_job(const job *j)
{
	cz_assembled *item = j->item;
	cz_error *err = &item->error;
	char *chart_dir = NULL;
	char *seg = NULL;
	cz_tarball t;
	int rc;

	cz_tarball_init(&t);
	t.mtime = j->opts->mtime;
	t.compression_level = j->opts->compression_level
				      ? j->opts->compression_level
				      : DEFAULT_COMPRESSION_LEVEL;
	if (!cz_path_relative_safe(j->component->path)) {
		rc = cz_fail(err, CZ_EINVALID, "not a path inside the source");
		goto cleanup;
	}
	chart_dir = join_source_path(j->root, j->base, j->component->path);
	seg = last_segment(j->component->path);
	if (!*seg) {
		rc = cz_fail(err, CZ_EINVALID, "names no directory");
		goto cleanup;
	}
	if ((rc = cz_chart_validate(chart_dir, &item->chart, err)) < 0 ||
	    (rc = cz_tarball_add_dir(&t, seg, chart_dir, err)) < 0 ||
	    (rc = add_libraries(j, seg, &t, err)) < 0 ||
	    (rc = add_values(j, chart_dir, seg, &t, err)) < 0 ||
	    (rc = cz_artifact_store_put(j->store, &t, &item->result, err)) < 0 ||
	    (rc = cz_artifact_store_record(j->store, item->name,
					   item->result.digest,
					   item->result.size, err)) < 0)
		goto cleanup;
cleanup:
	if (rc == CZ_OK) {
		cz_error_clear(err);
	} else {
		err->code = rc;
		cz_error_prefix(err, "component %s/%s: path \"%s\"",
				j->src->name, j->component->name,
				j->component->path);
	}
	cz_tarball_release(&t);
	free(chart_dir);
	free(seg);
}

typedef struct pool {
	job *jobs;
	size_t njobs;
	size_t next;
	pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
	pool *p = arg;

	for (;;) {
		size_t mine;

		pthread_mutex_lock(&p->lock);
		mine = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (mine >= p->njobs)
			return NULL;
		run_job(&p->jobs[mine]);
	}
}

void cz_assembly_release(cz_assembly *a)
{
	cz_arena_release(&a->arena);
	free(a->items);
	memset(a, 0, sizeof(*a));
}

static size_t count_components(const cz_source *src)
{
	size_t n = 0;

	for (size_t v = 0; v < src->nvariants; v++)
		n += src->variants[v].ncomponents;
	return n;
}

/* Adds a job to p for every component of src that has a path, its item to
 * out (whose items array has room for all of src's components). */
static void add_jobs(const char *source_root, const cz_source *src,
		     cz_artifact_store *store, const cz_assemble_opts *opts,
		     cz_assembly *out, pool *p)
{
	const char *base = cz_source_base_path(&out->arena, src);

	for (size_t v = 0; v < src->nvariants; v++) {
		const cz_variant *variant = &src->variants[v];

		for (size_t c = 0; c < variant->ncomponents; c++) {
			const cz_component *comp = &variant->components[c];
			cz_assembled *item = &out->items[out->nitems];

			if (!comp->path || !*comp->path)
				continue;
			item->name = cz_artifact_name(&out->arena, src->name,
						      variant->name, comp->name);
			item->variant = variant->name;
			item->component = comp->name;
			item->path = comp->path;
			p->jobs[p->njobs++] = (job){ source_root, base, src,
						     variant, comp, store, opts,
						     item };
			out->nitems++;
		}
	}
}

/* Runs every job of p on up to threads threads besides the caller's. */
static void run_pool(pool *p, unsigned threads)
{
	pthread_t ids[16];
	size_t n = threads > 1 ? threads : 1, started = 0;

	if (n > sizeof(ids) / sizeof(ids[0]))
		n = sizeof(ids) / sizeof(ids[0]);
	if (n > p->njobs)
		n = p->njobs;
	if (n > 1)
		for (; started < n; started++)
			if (pthread_create(&ids[started], NULL, worker, p) != 0)
				break;
	worker(p); /* also when no thread could start */
	for (size_t i = 0; i < started; i++)
		pthread_join(ids[i], NULL);
}

int cz_assemble_sources(const char *source_root,
			const cz_source *const *srcs, size_t n,
			cz_artifact_store *store, const cz_assemble_opts *opts,
			cz_assembly *out, cz_error *err)
{
	static const cz_assemble_opts defaults = { 0, 0, 1, 0 };
	pool p = { NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	struct stat st;
	size_t total = 0;

	memset(out, 0, n * sizeof(*out));
	if (!opts)
		opts = &defaults;
	if (stat(source_root, &st) != 0 || !S_ISDIR(st.st_mode))
		return cz_fail(err, CZ_ENOTFOUND, "%s: not a directory",
			       source_root);
	for (size_t i = 0; i < n; i++) {
		size_t mine = count_components(srcs[i]);

		out[i].items = cz_xcalloc(mine ? mine : 1,
					  sizeof(*out[i].items));
		total += mine;
	}
	/* One pool for all sources, so that the threads stay busy across
	 * sources of one or two components. */
	p.jobs = cz_xcalloc(total ? total : 1, sizeof(*p.jobs));
	for (size_t i = 0; i < n; i++)
		add_jobs(source_root, srcs[i], store, opts, &out[i], &p);
	run_pool(&p, opts->threads);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < out[i].nitems; k++)
			if (out[i].items[k].error.code != CZ_OK)
				out[i].nerrors++;
	pthread_mutex_destroy(&p.lock);
	free(p.jobs);
	return CZ_OK;
}

int cz_assemble_source(const char *source_root, const cz_source *src,
		       cz_artifact_store *store, const cz_assemble_opts *opts,
		       cz_assembly *out, cz_error *err)
{
	return cz_assemble_sources(source_root, &src, 1, store, opts, out,
				   err);
}
