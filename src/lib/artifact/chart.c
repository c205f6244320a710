/* Helm chart validation (see chart.h). */

#include "artifact/chart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "object/yaml.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/semver.h"

#define CHART_YAML_MAX (1024 * 1024)

bool cz_chart_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= CZ_CHART_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The string at key in meta, or NULL with err set when it is not one. */
static const char *string_field(json_t *meta, const char *key, bool required,
				int *rc, cz_error *err)
{
	json_t *value = json_object_get(meta, key);

	*rc = CZ_OK;
	if (!value || json_is_null(value)) {
		if (required)
			*rc = cz_fail(err, CZ_EINVALID,
				      "Chart.yaml: %s is required", key);
		return NULL;
	}
	if (!json_is_string(value)) {
		*rc = cz_fail(err, CZ_EINVALID, "Chart.yaml: %s is not a string",
			      key);
		return NULL;
	}
	return json_string_value(value);
}

int cz_chart_validate(const char *dir, cz_chart_info *out, cz_error *err)
{
	char *path = cz_xasprintf("%s/Chart.yaml", dir);
	char *text = NULL;
	size_t len = 0;
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	json_t *meta;
	const char *api, *name, *version, *type;
	cz_semver parsed;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "directory not found in the source");
		goto cleanup;
	}
	rc = cz_file_read(path, CHART_YAML_MAX, &text, &len, err);
	if (rc == CZ_ENOTFOUND) {
		rc = cz_fail(err, CZ_ENOTFOUND, "Chart.yaml: not found");
		goto cleanup;
	}
	if (rc < 0) {
		cz_error_prefix(err, "Chart.yaml");
		goto cleanup;
	}
	rc = cz_parse_stream(text, len, "Chart.yaml", NULL, &docs, &ndocs, NULL,
			     err);
	if (rc < 0)
		goto cleanup;
	meta = ndocs == 1 ? docs[0].root : NULL;
	if (!json_is_object(meta)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "Chart.yaml: not a single YAML mapping");
		goto cleanup;
	}
	api = string_field(meta, "apiVersion", true, &rc, err);
	if (rc < 0)
		goto cleanup;
	if (strcmp(api, "v1") != 0 && strcmp(api, "v2") != 0) {
		rc = cz_fail(err, CZ_EINVALID,
			     "Chart.yaml: apiVersion \"%s\": must be v1 or v2",
			     api);
		goto cleanup;
	}
	out->api_version = api[1] - '0';
	name = string_field(meta, "name", true, &rc, err);
	if (rc < 0)
		goto cleanup;
	if (!cz_chart_name_valid(name)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "Chart.yaml: name \"%s\": not a valid chart name "
			     "(letters, digits, '.', '_' and '-')",
			     name);
		goto cleanup;
	}
	version = string_field(meta, "version", true, &rc, err);
	if (rc < 0)
		goto cleanup;
	if (strlen(version) >= CZ_CHART_VERSION_MAX ||
	    cz_semver_parse(version, CZ_SEMVER_STRICT, &parsed, err) < 0) {
		if (strlen(version) >= CZ_CHART_VERSION_MAX)
			cz_fail(err, CZ_EINVALID, "too long");
		cz_error_prefix(err,
				"Chart.yaml: version \"%.64s\": not a semantic "
				"version",
				version);
		rc = CZ_EINVALID;
		goto cleanup;
	}
	type = string_field(meta, "type", false, &rc, err);
	if (rc < 0)
		goto cleanup;
	if (type && *type && strcmp(type, "application") != 0 &&
	    strcmp(type, "library") != 0) {
		rc = cz_fail(err, CZ_EINVALID,
			     "Chart.yaml: type \"%s\": must be application or "
			     "library",
			     type);
		goto cleanup;
	}
	out->is_library = type && strcmp(type, "library") == 0;
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->version, sizeof(out->version), "%s", version);
	rc = CZ_OK;
cleanup:
	cz_docs_free(docs, ndocs);
	free(text);
	free(path);
	return rc;
}
