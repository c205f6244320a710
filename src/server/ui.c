/*
 * The dashboard's files and its two identity calls.  The files are served
 * with a Content-Security-Policy that allows only this origin's script and
 * style (none inline) and no framing, so that a name or message that
 * slipped into the page as markup still could not run.
 */

#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/session.h"
#include "auth/token.h"
#include "util/mem.h"

#define UI_PREFIX "/ui/"
#define NS_PER_SECOND 1000000000LL

static int not_found(cz_req *req)
{
	return cz_reply_status(req, 404, "NotFound", NULL,
			       "the server could not find the requested "
			       "resource");
}

static int method_not_allowed(cz_req *req)
{
	return cz_reply_status(req, 405, "MethodNotAllowed", NULL,
			       "the server does not allow this method on the "
			       "requested resource");
}

static int unauthorized(cz_req *req)
{
	return cz_reply_status(req, 401, "Unauthorized", NULL, "Unauthorized");
}

int cz_handle_ui(cz_req *req)
{
	const cz_asset *asset;

	/* The router admits only GET and HEAD on public paths. */
	if (strcmp(req->path, "/ui") == 0)
		return cz_reply_redirect(req, UI_PREFIX);
	asset = cz_asset_find(cz_ui_assets, cz_ui_assets_count,
			      req->path + strlen(UI_PREFIX));
	if (!asset)
		return not_found(req);
	return cz_reply_asset(req, asset->content_type, asset->data,
			      asset->len);
}

/* The checks the page makes before it offers an action, answered by the
 * same policy that will judge the action. */
typedef struct ui_check {
	const char *key; /* what the page looks up */
	const char *verb;
	const char *group;
	const char *resource;
	const char *sub;
} ui_check;

static const ui_check ui_checks[] = {
	{ "packages.create", "create", "cozystack.io", "packages", NULL },
	{ "packages.patch", "patch", "cozystack.io", "packages", NULL },
	{ "packages.delete", "delete", "cozystack.io", "packages", NULL },
	{ "helmreleases.patch", "patch", "helm.toolkit.fluxcd.io",
	  "helmreleases", NULL },
	{ "secrets.list", "list", "", "secrets", NULL },
	/* A tap from the Marketplace view writes these. */
	{ "ocirepositories.create", "create", "source.toolkit.fluxcd.io",
	  "ocirepositories", NULL },
	{ "secrets.create", "create", "", "secrets", NULL },
	{ "packagerevisions.approval", "update", "pkg.pkgserver.dev",
	  "packagerevisions", "approval" },
};

int cz_handle_whoami(cz_req *req)
{
	const cz_user *u = req->user;
	json_t *groups = NULL, *can = NULL;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD"))
		return method_not_allowed(req);
	if (!u)
		return unauthorized(req);
	groups = json_array();
	for (size_t i = 0; i < u->ngroups; i++)
		json_array_append_new(groups, json_string(u->groups[i]));
	can = json_object();
	for (size_t i = 0; i < sizeof(ui_checks) / sizeof(ui_checks[0]); i++) {
		const ui_check *c = &ui_checks[i];

		json_object_set_new(can, c->key,
				    json_boolean(cz_authorize(u, c->verb,
							      c->group,
							      c->resource,
							      c->sub)));
	}
	return cz_reply_json_new(
		req, 200,
		json_pack("{s:s, s:s, s:s, s:o, s:b, s:o}", "kind", "WhoAmI",
			  "apiVersion", "cozypkg.io/v1", "user", u->name,
			  "groups", groups, "session",
			  u == &req->session_user, "can", can));
}

/* ?expirationSeconds=N (as in kube's TokenRequest) asks for a shorter
 * life than the default; never a longer one. */
static int requested_ttl(cz_req *req, int64_t *ttl_ns)
{
	const char *text = cz_req_query(req, "expirationSeconds");
	char *end = NULL;
	long long seconds;

	*ttl_ns = CZ_UI_SESSION_TTL_NS;
	if (!text)
		return CZ_OK;
	seconds = strtoll(text, &end, 10);
	if (end == text || *end || seconds < 1 ||
	    seconds > CZ_UI_SESSION_TTL_NS / NS_PER_SECOND)
		return cz_refuse(req, 400, "BadRequest",
				 "expirationSeconds must be a whole number "
				 "from 1 to %lld",
				 CZ_UI_SESSION_TTL_NS / NS_PER_SECOND);
	*ttl_ns = seconds * NS_PER_SECOND;
	return CZ_OK;
}

static void rfc3339_after(int64_t ns, char out[32])
{
	time_t at = time(NULL) + (time_t)(ns / NS_PER_SECOND);
	struct tm tm;

	gmtime_r(&at, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cz_handle_session(cz_req *req)
{
	const cz_user *u = req->user;
	const char **groups = NULL; /* u's groups, NULL-terminated */
	char token[65];
	char expires[32];
	cz_error err = CZ_ERROR_INIT;
	int64_t ttl_ns;
	int rc;

	if (strcmp(req->method, "POST") != 0)
		return method_not_allowed(req);
	if (!u)
		return unauthorized(req);
	/* A session may not extend itself: a leaked link then dies with
	 * its own expiry, whatever the holder does with it. */
	if (u == &req->session_user)
		return cz_reply_status(req, 403, "Forbidden", NULL,
				       "forbidden: a session token cannot issue "
				       "another session token");
	if ((rc = requested_ttl(req, &ttl_ns)) != CZ_OK)
		return rc; /* answered */
	groups = cz_xcalloc(u->ngroups + 1, sizeof(*groups));
	for (size_t i = 0; i < u->ngroups; i++)
		groups[i] = u->groups[i];
	rc = cz_sessions_issue(req->srv->sessions, u->name, u->uid, groups,
			       ttl_ns, token, &err);
	free(groups);
	if (rc == CZ_ETOOLARGE)
		return cz_reply_status(req, 429, "TooManyRequests", NULL, "%s",
				       err.msg);
	if (rc != CZ_OK)
		return cz_reply_status(req, 500, "InternalError", NULL, "%s",
				       err.msg);
	rfc3339_after(ttl_ns, expires);
	rc = cz_reply_json_new(
		req, 201,
		json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "SessionToken",
			  "apiVersion", "cozypkg.io/v1", "user", u->name,
			  "token", token, "expiresAt", expires));
	memset(token, 0, sizeof(token));
	return rc;
}
