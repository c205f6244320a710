/*
 * Bootstrap (cozystack-operator §2.1): the platform's Flux source in
 * cozy-system and the platform PackageSource with its four variants, and
 * in operator mode the embedded CustomResourceDefinitions.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/crd.h"
#include "controller/internal.h"
#include "util/mem.h"

#define SYSTEM_NAMESPACE "cozy-system"
#define FIELD_MANAGER "cozystack-operator"

static bool is_oci(const char *url)
{
	return strncmp(url, "oci://", 6) == 0;
}

static bool is_git(const char *url)
{
	return strncmp(url, "https://", 8) == 0 ||
	       strncmp(url, "http://", 7) == 0 ||
	       strncmp(url, "ssh://", 6) == 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int check_ref_value(bool oci, const char *key, const char *value,
			   cz_error *err)
{
	if (oci && strcmp(key, "digest") == 0 &&
	    strncmp(value, "sha256:", 7) != 0)
		return cz_fail(err, CZ_EINVALID,
			       "--platform-source-ref: digest must be in "
			       "format 'sha256:<hash>', got: %s",
			       value);
	if (!oci && strcmp(key, "commit") == 0) {
		if (strlen(value) < 7)
			return cz_fail(err, CZ_EINVALID,
				       "--platform-source-ref: commit SHA "
				       "should be at least 7 characters, got: "
				       "%s",
				       value);
		for (const char *p = value; *p; p++)
			if (!isxdigit((unsigned char)*p))
				return cz_fail(err, CZ_EINVALID,
					       "--platform-source-ref: commit "
					       "SHA should be a hexadecimal "
					       "string, got: %s",
					       value);
	}
	return CZ_OK;
}

static bool valid_key(bool oci, const char *key)
{
	static const char *const oci_keys[] = { "digest", "semver",
						"semverFilter", "tag", NULL };
	static const char *const git_keys[] = { "branch", "tag", "semver",
						"name", "commit", NULL };

	for (const char *const *k = oci ? oci_keys : git_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

/* "k=v,k=v" into an object; keys checked for the source kind. */
static int parse_ref(bool oci, const char *text, json_t **out, cz_error *err)
{
	char *copy = cz_xstrdup(text ? text : "");
	char *save = NULL;
	json_t *ref = json_object();
	int rc = CZ_OK;

	for (char *pair = strtok_r(copy, ",", &save); pair && rc == CZ_OK;
	     pair = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(pair, '=');
		char *key, *value;

		if (!*trim(pair))
			continue;
		if (!eq) {
			rc = cz_fail(err, CZ_EINVALID,
				     "--platform-source-ref: invalid reference "
				     "specification format: \"%s\" (expected "
				     "key=value)",
				     trim(pair));
			break;
		}
		*eq = '\0';
		key = trim(pair);
		value = trim(eq + 1);
		if (!*key || !*value)
			rc = cz_fail(err, CZ_EINVALID,
				     "--platform-source-ref: empty %s in "
				     "\"%s\"",
				     *key ? "value" : "key", key);
		else if (!valid_key(oci, key))
			rc = cz_fail(err, CZ_EINVALID,
				     "--platform-source-ref: invalid %s "
				     "reference key \"%s\" (valid keys: %s)",
				     oci ? "OCI" : "Git", key,
				     oci ? "digest, semver, semverFilter, tag"
					 : "branch, tag, semver, name, commit");
		else
			rc = check_ref_value(oci, key, value, err);
		if (rc == CZ_OK)
			json_object_set_new(ref, key, json_string(value));
	}
	free(copy);
	if (rc == CZ_OK)
		*out = ref;
	else
		json_decref(ref);
	return rc;
}

int cz_bootstrap_validate(const cz_manager_opts *opts, cz_error *err)
{
	const char *url = opts->platform_source_url;
	json_t *ref = NULL;
	int rc;

	if (!url || !*url)
		return CZ_OK;
	if (!is_oci(url) && !is_git(url))
		return cz_fail(err, CZ_EINVALID,
			       "--platform-source-url: unsupported source URL "
			       "scheme (expected oci://, https://, http://, or "
			       "ssh://): %s",
			       url);
	rc = parse_ref(is_oci(url), opts->platform_source_ref, &ref, err);
	json_decref(ref);
	return rc;
}

static json_t *source_object(const cz_manager_opts *o, json_t *ref)
{
	bool oci = is_oci(o->platform_source_url);
	json_t *spec = json_pack("{s:s, s:s}", "url", o->platform_source_url,
				 "interval", "5m0s");

	if (json_object_size(ref))
		json_object_set(spec, "ref", ref);
	if (o->platform_source_secret && *o->platform_source_secret)
		json_object_set_new(spec, "secretRef",
				    json_pack("{s:s}", "name",
					      o->platform_source_secret));
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion",
			 "source.toolkit.fluxcd.io/v1", "kind",
			 oci ? "OCIRepository" : "GitRepository", "metadata",
			 "name", o->platform_source_name, "namespace",
			 SYSTEM_NAMESPACE, "spec", spec);
}

static json_t *platform_variant(const char *name, const char *extra_values)
{
	json_t *files = json_pack("[s]", "values.yaml");

	if (extra_values)
		json_array_append_new(files, json_string(extra_values));
	return json_pack("{s:s, s:[{s:s, s:s, s:{s:s, s:s}, s:o}]}", "name",
			 name, "components", "name", "platform", "path",
			 "core/platform", "install", "namespace",
			 SYSTEM_NAMESPACE, "releaseName", "cozystack-platform",
			 "valuesFiles", files);
}

static json_t *platform_package_source(const cz_manager_opts *o)
{
	char *name = cz_xasprintf("cozystack.%s", o->platform_source_name);
	json_t *obj = json_pack(
		"{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:{s:s, s:s, s:s, s:s}, "
		"s:[o, o, o, o]}}",
		"apiVersion", "cozystack.io/v1alpha1", "kind", "PackageSource",
		"metadata", "name", name, "annotations",
		"operator.cozystack.io/skip-cozystack-values", "true", "spec",
		"sourceRef", "kind",
		is_oci(o->platform_source_url) ? "OCIRepository"
					       : "GitRepository",
		"name", o->platform_source_name, "namespace", SYSTEM_NAMESPACE,
		"path", "/", "variants", platform_variant("default", NULL),
		platform_variant("isp-full", "values-isp-full.yaml"),
		platform_variant("isp-hosted", "values-isp-hosted.yaml"),
		platform_variant("isp-full-generic",
				 "values-isp-full-generic.yaml"));

	free(name);
	return obj;
}

static int apply(cz_kube *kube, const char *resource_kind, json_t *obj,
		 cz_error *err)
{
	const cz_resource *r = cz_resource_by_kind(
		json_string_value(json_object_get(obj, "apiVersion")),
		resource_kind);
	int rc = r ? cz_apply_object(kube, r, obj, FIELD_MANAGER, NULL, err)
		   : cz_fail(err, CZ_ENOTFOUND, "no resource for %s",
			     resource_kind);

	if (rc != CZ_OK)
		cz_error_prefix(err, "failed to apply %s %s", resource_kind,
				cz_meta_str(obj, "name"));
	json_decref(obj);
	return rc;
}

static int apply_platform_source(cz_manager *m, cz_kube *kube, cz_error *err)
{
	const cz_manager_opts *o = &m->opts;
	json_t *ref = NULL;
	json_t *src;
	int rc = parse_ref(is_oci(o->platform_source_url),
			   o->platform_source_ref, &ref, err);

	if (rc != CZ_OK)
		return rc;
	rc = apply(kube, "Namespace",
		   json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind",
			     "Namespace", "metadata", "name", SYSTEM_NAMESPACE),
		   err);
	src = source_object(o, ref);
	json_decref(ref);
	if (rc == CZ_OK)
		rc = apply(kube, json_string_value(json_object_get(src, "kind")),
			   json_incref(src), err);
	json_decref(src);
	if (rc == CZ_OK)
		rc = apply(kube, "PackageSource", platform_package_source(o),
			   err);
	if (rc == CZ_OK)
		cz_ctl_log(m, "info", "bootstrap", o->platform_source_name,
			   "applied the platform source and PackageSource");
	return rc;
}

/* A server that serves cozystack.io itself (cozypkgd) has no
 * CustomResourceDefinition API and needs none. */
static int install_crds(cz_manager *m, cz_kube *kube, cz_error *err)
{
	json_t *crds = NULL;
	size_t i;
	json_t *crd;
	int rc = cz_crd_all(&crds, err);

	json_array_foreach (json_object_get(crds, "items"), i, crd) {
		const char *name = cz_meta_str(crd, "name");
		char *path = cz_xasprintf("/apis/apiextensions.k8s.io/v1/"
					  "customresourcedefinitions/%s?"
					  "fieldManager=%s&force=true",
					  name, FIELD_MANAGER);

		rc = cz_kube_patch(kube, path, "application/apply-patch+yaml",
				   crd, NULL, err);
		free(path);
		if (rc == CZ_ENOTFOUND) {
			cz_ctl_log(m, "info", "bootstrap", name,
				   "the server has no CustomResourceDefinition "
				   "API; it serves cozystack.io itself");
			rc = CZ_OK;
			break;
		}
		if (rc != CZ_OK) {
			cz_error_prefix(err, "failed to install CRD %s", name);
			break;
		}
		cz_ctl_log(m, "info", "bootstrap", name, "applied the CRD");
	}
	json_decref(crds);
	return rc;
}

int cz_bootstrap_run(cz_manager *m, cz_kube *kube, cz_error *err)
{
	int rc = CZ_OK;

	if (m->opts.install_crds)
		rc = install_crds(m, kube, err);
	if (rc == CZ_OK && m->opts.platform_source_url &&
	    *m->opts.platform_source_url)
		rc = apply_platform_source(m, kube, err);
	return rc;
}
