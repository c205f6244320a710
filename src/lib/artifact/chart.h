#ifndef CZ_ARTIFACT_CHART_H
#define CZ_ARTIFACT_CHART_H

/*
 * Helm chart validation of a chart directory, the checks Helm makes when
 * it loads a chart: Chart.yaml is there and is a YAML mapping, apiVersion
 * is "v1" or "v2", name is set and valid (letters, digits, '.', '_', '-';
 * not "." or ".."; at most 250 bytes), version is a strict semantic
 * version, and type, when set, is "application" or "library".
 *
 * Messages read "Chart.yaml: version \"1.x\": not a semantic version: ...";
 * the caller puts the component and path in front.
 */

#include <stdbool.h>

#include "util/error.h"

#define CZ_CHART_NAME_MAX 251
#define CZ_CHART_VERSION_MAX 256

typedef struct cz_chart_info {
	char name[CZ_CHART_NAME_MAX];
	char version[CZ_CHART_VERSION_MAX];
	int api_version; /* 1 or 2 */
	bool is_library; /* type: library */
} cz_chart_info;

/* Validates the chart in dir and fills *out.  Returns CZ_OK, CZ_ENOTFOUND
 * (no Chart.yaml or no directory), CZ_EINVALID or CZ_ETOOLARGE (a
 * Chart.yaml over 1 MiB). */
int cz_chart_validate(const char *dir, cz_chart_info *out, cz_error *err);

/* True when name is a valid chart name by the rule above. */
bool cz_chart_name_valid(const char *name);

#endif
