#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/openapi.h"
#include "util/mem.h"
#include "market.h"
#include "ui.h"

/*
 * Non-resource paths: health, version, discovery, OpenAPI, metrics, the
 * dashboard's files and calls, and the marketplace search.
 * Discovery is the legacy (unaggregated) form; clients that ask for the
 * aggregated form see application/json and fall back to it, as they do
 * with older servers.
 */

/* The Kubernetes minor version whose API semantics cozypkgd follows; kubectl
 * picks its behaviour (and version skew) from it. */
#define KUBE_MAJOR "1"
#define KUBE_MINOR "32"

static const char *const all_verbs[] = { "create", "delete",
					 "deletecollection", "get",
					 "list", "patch",
					 "update", "watch", NULL };
static const char *const status_verbs[] = { "get", "patch", "update", NULL };

static json_t *string_array(const char *const *items)
{
	json_t *a = json_array();

	for (; items && *items; items++)
		json_array_append_new(a, json_string(*items));
	return a;
}

static json_t *api_resource(const cz_resource *r, const char *suffix,
			    const char *const *verbs)
{
	json_t *o = json_pack("{s:s++, s:s, s:b, s:s, s:o}", "name",
			      r->resource, suffix ? "/" : "",
			      suffix ? suffix : "", "singularName",
			      suffix ? "" : r->singular, "namespaced",
			      r->namespaced, "kind", r->kind, "verbs",
			      string_array(verbs));

	if (!suffix && r->short_names)
		json_object_set_new(o, "shortNames",
				    string_array(r->short_names));
	if (!suffix && r->categories)
		json_object_set_new(o, "categories",
				    string_array(r->categories));
	return o;
}

static json_t *resource_list(const char *group_version)
{
	size_t n;
	const cz_resource *all = cz_resources(&n);
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].group_version, group_version) != 0)
			continue;
		json_array_append_new(list,
				      api_resource(&all[i], NULL, all_verbs));
		if (all[i].has_status)
			json_array_append_new(list,
					      api_resource(&all[i], "status",
							   status_verbs));
		for (size_t j = 0; all[i].subresources &&
				   all[i].subresources[j];
		     j++)
			json_array_append_new(
				list, api_resource(&all[i],
						   all[i].subresources[j],
						   status_verbs));
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList",
			 "apiVersion", "v1", "groupVersion", group_version,
			 "resources", list);
}

static json_t *api_group(const char *group_version)
{
	const char *slash = strchr(group_version, '/');
	char *group = cz_xstrndup(group_version,
				  (size_t)(slash - group_version));
	json_t *version = json_pack("{s:s, s:s}", "groupVersion", group_version,
				    "version", slash + 1);
	json_t *g = json_pack("{s:s, s:s, s:s, s:[O], s:O}", "kind", "APIGroup",
			      "apiVersion", "v1", "name", group, "versions",
			      version, "preferredVersion", version);

	json_decref(version);
	free(group);
	return g;
}

static json_t *group_list(void)
{
	size_t n;
	const char *const *gvs = cz_group_versions(&n);
	json_t *groups = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *g;

		if (!strchr(gvs[i], '/'))
			continue;
		g = api_group(gvs[i]);
		json_object_del(g, "kind");
		json_object_del(g, "apiVersion");
		json_array_append_new(groups, g);
	}
	return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList",
			 "apiVersion", "v1", "groups", groups);
}

/* The group/version a discovery path names ("v1" for /api/v1), or NULL. */
static const char *served_group_version(const char *path, bool *is_group)
{
	size_t n;
	const char *const *gvs = cz_group_versions(&n);

	*is_group = false;
	if (strcmp(path, "/api/v1") == 0 || strcmp(path, "/api/v1/") == 0)
		return "v1";
	if (strncmp(path, "/apis/", 6) != 0)
		return NULL;
	path += 6;
	for (size_t i = 0; i < n; i++) {
		const char *slash = strchr(gvs[i], '/');
		size_t glen = slash ? (size_t)(slash - gvs[i]) : 0;

		if (!slash)
			continue;
		if (strcmp(path, gvs[i]) == 0)
			return gvs[i];
		if (strncmp(path, gvs[i], glen) == 0 &&
		    (path[glen] == '\0' ||
		     (path[glen] == '/' && path[glen + 1] == '\0'))) {
			*is_group = true;
			return gvs[i];
		}
	}
	return NULL;
}

static int reply_version(cz_req *req)
{
	json_t *v = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major",
		KUBE_MAJOR, "minor", KUBE_MINOR, "gitVersion",
		"v" KUBE_MAJOR "." KUBE_MINOR ".0+cozypkgd." CZ_VERSION,
		"gitCommit", "", "gitTreeState", "clean", "buildDate", "",
		"goVersion", "", "compiler", "cc", "platform", "linux/amd64");
	return cz_reply_json_new(req, 200, v);
}

/* The OpenAPI documents depend only on the build, and the v3 index hashes
 * every group document: each is generated once and then served as is.
 * There are eight documents (v2, the v3 index under two spellings, one per
 * group-version), well under the slots. */
#define OPENAPI_CACHE_SLOTS 16

typedef struct openapi_doc {
	char *path;
	char *text;
	size_t len;
} openapi_doc;

static openapi_doc openapi_cache[OPENAPI_CACHE_SLOTS];
static pthread_mutex_t openapi_lock = PTHREAD_MUTEX_INITIALIZER;

static int generate_openapi(const char *path, cz_buf *out, cz_error *err)
{
	if (strcmp(path, "/openapi/v2") == 0)
		return cz_openapi_v2(out, err);
	if (strcmp(path, "/openapi/v3") == 0 ||
	    strcmp(path, "/openapi/v3/") == 0)
		return cz_openapi_v3_index(out, err);
	return cz_openapi_v3_group(path + strlen("/openapi/v3/"), out, err);
}

/* The cached document for path, generated on first use; NULL with err set
 * when path names no document.  Unknown paths are not cached, so a client
 * cannot fill the cache. */
static const openapi_doc *openapi_lookup(const char *path, cz_error *err)
{
	const openapi_doc *found = NULL;
	size_t i;
	cz_buf out;

	pthread_mutex_lock(&openapi_lock);
	for (i = 0; i < OPENAPI_CACHE_SLOTS && openapi_cache[i].path; i++)
		if (strcmp(openapi_cache[i].path, path) == 0)
			found = &openapi_cache[i];
	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	if (!found && generate_openapi(path, &out, err) == CZ_OK) {
		if (i < OPENAPI_CACHE_SLOTS) {
			openapi_cache[i].path = cz_xstrdup(path);
			openapi_cache[i].text =
				cz_buf_detach(&out, &openapi_cache[i].len);
			found = &openapi_cache[i];
		} else {
			cz_fail(err, CZ_ERR, "the OpenAPI cache is full");
		}
	}
	cz_buf_release(&out);
	pthread_mutex_unlock(&openapi_lock);
	return found;
}

static int reply_openapi(cz_req *req)
{
	cz_error err = CZ_ERROR_INIT;
	const openapi_doc *doc = openapi_lookup(req->path, &err);

	if (!doc)
		return cz_reply_error(req, err.code ? err.code : CZ_ENOTFOUND,
				      err.msg);
	return cz_reply_raw(req, 200, doc->text, doc->len);
}

static int reply_health(cz_req *req)
{
	if (strcmp(req->path, "/readyz") == 0 && req->srv->stopping)
		return cz_reply_text(req, 503, "text/plain; charset=utf-8",
				     "shutting down\n");
	return cz_reply_text(req, 200, "text/plain; charset=utf-8", "ok");
}

static int reply_metrics(cz_req *req)
{
	cz_buf out;
	int rc;

	cz_buf_init(&out, CZ_BUF_UNLIMITED);
	cz_metrics_render(req->srv->metrics, req->srv, &out);
	rc = cz_reply_text(req, 200, "text/plain; version=0.0.4", out.data);
	cz_buf_release(&out);
	return rc;
}

static int reply_api_versions(cz_req *req)
{
	return cz_reply_json_new(req, 200,
				 json_pack("{s:s, s:[s], s:[{s:s, s:s}]}",
					   "kind", "APIVersions", "versions",
					   "v1", "serverAddressByClientCIDRs",
					   "clientCIDR", "0.0.0.0/0",
					   "serverAddress", "127.0.0.1"));
}

static int reply_groups(cz_req *req)
{
	return cz_reply_json_new(req, 200, group_list());
}

/* /apis/GROUP and /apis/GROUP/VERSION (and /api/v1). */
static int reply_group_version(cz_req *req)
{
	bool is_group;
	const char *gv = served_group_version(req->path, &is_group);

	if (gv)
		return cz_reply_json_new(req, 200, is_group ? api_group(gv)
						       : resource_list(gv));
	return cz_reply_status(req, 404, "NotFound", NULL,
			       "the server could not find the requested "
			       "resource");
}

static const cz_path_route path_routes[] = {
	{ "/healthz", false, true, false, reply_health },
	{ "/livez", false, true, false, reply_health },
	{ "/readyz", false, true, false, reply_health },
	{ "/version", false, true, false, reply_version },
	{ "/metrics", false, false, false, reply_metrics },
	{ "/openapi/v2", true, false, false, reply_openapi },
	{ "/openapi/v3", true, false, false, reply_openapi },
	{ "/artifacts", true, false, true, cz_handle_artifact },
	{ "/ui", true, true, false, cz_handle_ui },
	{ "/auth/whoami", false, false, true, cz_handle_whoami },
	{ "/auth/session", false, false, true, cz_handle_session },
	{ "/market/search", false, false, true, cz_handle_market_search },
	{ "/api", false, false, false, reply_api_versions },
	{ "/api/", false, false, false, reply_api_versions },
	{ "/apis", false, false, false, reply_groups },
	{ "/apis/", false, false, false, reply_groups },
	{ "/api/", true, false, false, reply_group_version },
	{ "/apis/", true, false, false, reply_group_version },
};

static bool route_matches(const cz_path_route *r, const char *path)
{
	size_t n = strlen(r->path);

	if (!r->prefix)
		return strcmp(path, r->path) == 0;
	return strncmp(path, r->path, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/' || r->path[n - 1] == '/');
}

const cz_path_route *cz_path_route_find(const char *path)
{
	for (size_t i = 0; i < sizeof(path_routes) / sizeof(path_routes[0]);
	     i++)
		if (route_matches(&path_routes[i], path))
			return &path_routes[i];
	return NULL;
}
