#include "model/load.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/schema.h"
#include "object/linemap.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/sort.h"

void cz_loader_init(cz_loader *ld, cz_catalog *cat, cz_diags *diags)
{
	ld->catalog = cat;
	ld->diags = diags;
	ld->limits = cz_default_limits;
	ld->total_bytes = 0;
	ld->nobjects = 0;
}

static bool is_list_kind(const json_t *obj)
{
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));

	if (!api || !kind)
		return false;
	if (strcmp(api, "v1") == 0 && strcmp(kind, "List") == 0)
		return true;
	return strcmp(api, CZ_GROUP_VERSION) == 0 &&
	       (strcmp(kind, "PackageList") == 0 ||
		strcmp(kind, "PackageSourceList") == 0);
}

static void skip_other(cz_loader *ld, const json_t *obj, const cz_where *w)
{
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *name = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "name"));

	if (!kind) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR, "%s:%u: %skind: required",
			     w->file, w->line, w->path_prefix);
		return;
	}
	cz_diags_add(ld->diags, CZ_DIAG_WARNING,
		     "%s:%u: skipping %s%s%s \"%s\": not a " CZ_GROUP_VERSION
		     " Package or PackageSource",
		     w->file, w->line, api ? api : "", api ? " " : "", kind,
		     name ? name : "");
}

static void load_object(cz_loader *ld, json_t *obj, const cz_where *w)
{
	cz_kind kind;

	if (!json_is_object(obj)) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR,
			     "%s:%u: %sexpected an object (a mapping)", w->file,
			     w->line, w->path_prefix);
		return;
	}
	kind = cz_kind_of(obj);
	if (kind == CZ_KIND_OTHER) {
		skip_other(ld, obj, w);
		return;
	}
	if (!cz_validate_object(obj, kind, w, ld->diags))
		return;
	ld->nobjects++;
	if (kind == CZ_KIND_PACKAGE)
		cz_catalog_add_package(ld->catalog, obj, w->file, w->line,
				       ld->diags);
	else
		cz_catalog_add_source(ld->catalog, obj, w->file, w->line,
				      ld->diags);
}

static void load_list(cz_loader *ld, json_t *list, const cz_where *w)
{
	json_t *items = json_object_get(list, "items");
	size_t i;
	json_t *item;

	if (items && !json_is_array(items) && !json_is_null(items)) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR,
			     "%s:%u: items: expected array", w->file, w->line);
		return;
	}
	json_array_foreach (items, i, item) {
		char prefix[40];
		cz_where iw = *w;
		unsigned line = w->lines ? cz_linemap_index(w->lines, items, i) : 0;

		snprintf(prefix, sizeof(prefix), "items[%zu].", i);
		iw.path_prefix = prefix;
		if (line)
			iw.line = line;
		load_object(ld, item, &iw);
	}
}

int cz_load_buffer(cz_loader *ld, const char *data, size_t len,
		   const char *name)
{
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	cz_linemap lines;
	cz_error err = CZ_ERROR_INIT;
	size_t errors_before = ld->diags->nerrors;
	int rc;

	if (len > ld->limits.max_total_bytes ||
	    ld->total_bytes > ld->limits.max_total_bytes - len) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR,
			     "%s: input larger than the limit of %zu bytes in "
			     "total",
			     name, ld->limits.max_total_bytes);
		return CZ_ETOOLARGE;
	}
	ld->total_bytes += len;
	cz_linemap_init(&lines);
	rc = cz_parse_stream(data, len, name, &ld->limits, &docs, &ndocs, &lines,
			     &err);
	if (rc < 0) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR, "%s", err.msg);
		goto cleanup;
	}
	for (size_t i = 0; i < ndocs; i++) {
		cz_where w = { name, docs[i].line, &lines, "" };

		if (!docs[i].root)
			continue;
		if (json_is_object(docs[i].root) && is_list_kind(docs[i].root))
			load_list(ld, docs[i].root, &w);
		else
			load_object(ld, docs[i].root, &w);
	}
	rc = ld->diags->nerrors > errors_before ? CZ_EINVALID : CZ_OK;
cleanup:
	cz_docs_free(docs, ndocs);
	cz_linemap_release(&lines);
	return rc;
}

static int read_stream(FILE *f, const char *name, size_t max, cz_buf *out,
		       cz_diags *diags)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (cz_buf_append(out, chunk, n) < 0) {
			cz_diags_add(diags, CZ_DIAG_ERROR,
				     "%s: larger than the input limit of %zu "
				     "bytes",
				     name, max);
			return CZ_ETOOLARGE;
		}
	}
	if (ferror(f)) {
		cz_diags_add(diags, CZ_DIAG_ERROR, "%s: read error: %s", name,
			     strerror(errno));
		return CZ_EIO;
	}
	return CZ_OK;
}

static int load_file(cz_loader *ld, const char *path)
{
	size_t room = ld->limits.max_total_bytes - ld->total_bytes;
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = NULL;
	cz_buf data;
	int rc;

	cz_buf_init(&data, room);
	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR, "%s: %s", path,
			     strerror(errno));
		rc = CZ_EIO;
		goto cleanup;
	}
	rc = read_stream(f, is_stdin ? "<stdin>" : path, room, &data, ld->diags);
	if (rc < 0)
		goto cleanup;
	rc = cz_load_buffer(ld, data.data, data.len,
			    is_stdin ? "<stdin>" : path);
cleanup:
	if (f && !is_stdin)
		fclose(f);
	cz_buf_release(&data);
	return rc;
}

static bool has_manifest_suffix(const char *name)
{
	size_t len = strlen(name);
	static const char *const suffixes[] = { ".yaml", ".yml", ".json" };

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && strcmp(name + len - sl, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int load_dir(cz_loader *ld, const char *path, unsigned depth);

static int load_entry(cz_loader *ld, const char *path, unsigned depth,
		      bool named)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR, "%s: %s", path,
			     strerror(errno));
		return CZ_EIO;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(ld, path, depth + 1);
	if (!named && !has_manifest_suffix(path))
		return CZ_OK;
	return load_file(ld, path);
}

/* Directory entries are read in name order so that "the later definition
 * wins" means the same thing on every file system. */
static int load_dir(cz_loader *ld, const char *path, unsigned depth)
{
	DIR *dir = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = CZ_OK;

	if (depth > 32) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR,
			     "%s: directories nested too deep", path);
		return CZ_ETOOLARGE;
	}
	dir = opendir(path);
	if (!dir) {
		cz_diags_add(ld->diags, CZ_DIAG_ERROR, "%s: %s", path,
			     strerror(errno));
		return CZ_EIO;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		CZ_GROW(names, n + 1, cap);
		names[n++] = cz_xasprintf("%s%s%s", path,
					  path[strlen(path) - 1] == '/' ? "" : "/",
					  de->d_name);
	}
	closedir(dir);
	cz_sort(names, n, sizeof(*names), cz_cmp_str);
	for (size_t i = 0; i < n; i++) {
		int r = load_entry(ld, names[i], depth, false);

		if (r < 0 && rc == CZ_OK)
			rc = r;
		free(names[i]);
	}
	free(names);
	return rc;
}

int cz_load_path(cz_loader *ld, const char *path)
{
	if (strcmp(path, "-") == 0)
		return load_file(ld, path);
	return load_entry(ld, path, 0, true);
}
