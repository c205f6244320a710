/* The pure pieces of the artifact generator (see artgen.h). */

#include "controller/artgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/internal.h"
#include "object/meta.h"
#include "oci/ref.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/mem.h"

#define URL_PREFIX "/artifacts/sha256/"
#define URL_SUFFIX ".tar.gz"
#define HEX_LEN 64
/* A condition message stays readable in `kubectl get`; the rest is cut. */
#define MESSAGE_MAX 4000

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool cz_artifact_url_digest(const char *path, char digest_out[CZ_DIGEST_MAX])
{
	size_t plen = strlen(URL_PREFIX);
	size_t slen = strlen(URL_SUFFIX);
	const char *hex;

	if (!path || strlen(path) != plen + HEX_LEN + slen ||
	    strncmp(path, URL_PREFIX, plen) != 0)
		return false;
	hex = path + plen;
	if (!is_lower_hex(hex, HEX_LEN) ||
	    strcmp(hex + HEX_LEN, URL_SUFFIX) != 0)
		return false;
	snprintf(digest_out, CZ_DIGEST_MAX, "sha256:%.*s", HEX_LEN, hex);
	return true;
}

/* The hex part of "sha256:<64 hex>", or NULL. */
static const char *digest_hex(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 ||
	    strlen(digest + 7) != HEX_LEN || !is_lower_hex(digest + 7, HEX_LEN))
		return NULL;
	return digest + 7;
}

char *cz_artifact_url(const char *base_url, const char *digest)
{
	const char *hex = digest_hex(digest);
	size_t len = base_url ? strlen(base_url) : 0;

	if (!hex)
		return NULL;
	if (len && base_url[len - 1] == '/')
		len--;
	return cz_xasprintf("%.*s" URL_PREFIX "%s" URL_SUFFIX, (int)len,
			    base_url ? base_url : "", hex);
}

json_t *cz_external_artifact_new(const json_t *src_obj,
				 const cz_assembled *item)
{
	const char *src_name = cz_meta_str(src_obj, "name");
	const char *uid = cz_meta_str(src_obj, "uid");
	json_t *owner = json_pack("{s:s, s:s, s:s, s:b, s:b}", "apiVersion",
				  "cozystack.io/v1alpha1", "kind",
				  "PackageSource", "name", src_name,
				  "controller", 1, "blockOwnerDeletion", 1);

	if (uid)
		json_object_set_new(owner, "uid", json_string(uid));
	return json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:s}, s:[o]}, "
		"s:{s:{s:s, s:s, s:s, s:s}}}",
		"apiVersion", "source.toolkit.fluxcd.io/v1", "kind",
		"ExternalArtifact", "metadata", "name", item->name, "namespace",
		CZ_ARTGEN_NAMESPACE, "labels", CZ_LABEL_PACKAGESOURCE, src_name,
		CZ_LABEL_VARIANT, item->variant, CZ_LABEL_COMPONENT,
		item->component, "ownerReferences", owner, "spec", "sourceRef",
		"apiVersion", "source.extensions.fluxcd.io/v1beta1", "kind",
		"ArtifactGenerator", "name", src_name, "namespace",
		CZ_ARTGEN_NAMESPACE);
}

static json_t *ready_of(const json_t *status)
{
	size_t i;
	json_t *c;

	json_array_foreach (json_object_get(status, "conditions"), i, c) {
		const char *type =
			json_string_value(json_object_get(c, "type"));

		if (type && strcmp(type, "Ready") == 0)
			return c;
	}
	return NULL;
}

static json_t *artifact_json(const json_t *previous, const char *base_url,
			     const cz_assembled *item)
{
	const json_t *prev = json_object_get(previous, "artifact");
	const char *prev_digest =
		json_string_value(json_object_get(prev, "digest"));
	json_t *prev_time = json_object_get(prev, "lastUpdateTime");
	const char *hex = digest_hex(item->result.digest);
	char *url = cz_artifact_url(base_url, item->result.digest);
	char *path = cz_xasprintf("sha256/%s" URL_SUFFIX, hex ? hex : "");
	char *revision = cz_xasprintf("latest@%s", item->result.digest);
	char now[32];
	json_t *a;

	a = json_pack("{s:s, s:s, s:s, s:s, s:I}", "url", url ? url : "",
		      "path", path, "revision", revision, "digest",
		      item->result.digest, "size",
		      (json_int_t)item->result.size);
	if (prev_digest && strcmp(prev_digest, item->result.digest) == 0 &&
	    json_is_string(prev_time)) {
		json_object_set(a, "lastUpdateTime", prev_time);
	} else {
		cz_now_rfc3339(now);
		json_object_set_new(a, "lastUpdateTime", json_string(now));
	}
	/* The chart the artifact holds, as Flux records OCI annotations. */
	if (item->chart.name[0])
		json_object_set_new(
			a, "metadata",
			json_pack("{s:s, s:s}", "chart.name", item->chart.name,
				  "chart.version", item->chart.version));
	free(url);
	free(path);
	free(revision);
	return a;
}

json_t *cz_external_artifact_status(const json_t *previous,
				    const char *base_url,
				    const cz_assembled *item,
				    const char *publish_error)
{
	json_t *prev_ready = ready_of(previous);
	json_t *status = json_object();
	json_t *cond;
	char *msg = NULL;

	if (item->error.code != CZ_OK) {
		json_t *prev_artifact = json_object_get(previous, "artifact");

		if (prev_artifact)
			json_object_set(status, "artifact", prev_artifact);
		cond = cz_condition_new(prev_ready, "Ready", "False",
					"BuildFailed", item->error.msg, -1);
	} else {
		json_object_set_new(status, "artifact",
				    artifact_json(previous, base_url, item));
		if (publish_error) {
			cond = cz_condition_new(prev_ready, "Ready", "False",
						"PublishFailed", publish_error,
						-1);
		} else {
			msg = cz_xasprintf("stored artifact for revision "
					   "latest@%s",
					   item->result.digest);
			cond = cz_condition_new(prev_ready, "Ready", "True",
						"Succeeded", msg, -1);
		}
	}
	json_object_set_new(status, "conditions", json_pack("[o]", cond));
	free(msg);
	return status;
}

bool cz_external_artifact_status_same(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "status", "reason", "message" };
	json_t *aa = json_object_get(a, "artifact");
	json_t *ba = json_object_get(b, "artifact");
	json_t *ac = ready_of(a);
	json_t *bc = ready_of(b);

	if (!(aa == ba || (aa && ba && json_equal(aa, ba))))
		return false;
	if (!ac || !bc)
		return ac == bc;
	if (json_array_size(json_object_get(a, "conditions")) !=
	    json_array_size(json_object_get(b, "conditions")))
		return false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_equal(json_object_get(ac, keys[i]),
				json_object_get(bc, keys[i])))
			return false;
	return true;
}

json_t *cz_artgen_condition(const cz_assembly *a, const char *revision)
{
	cz_buf msg;
	json_t *c;

	cz_buf_init(&msg, CZ_BUF_UNLIMITED);
	if (a->nerrors == 0) {
		cz_buf_printf(&msg,
			      "reconciliation succeeded, generated %zu "
			      "artifact(s)",
			      a->nitems);
		if (revision && *revision)
			cz_buf_printf(&msg, " from revision %s", revision);
		c = json_pack("{s:s, s:s, s:s}", "status", "True", "reason",
			      "Succeeded", "message", msg.data);
		cz_buf_release(&msg);
		return c;
	}
	for (size_t i = 0; i < a->nitems; i++) {
		if (a->items[i].error.code == CZ_OK)
			continue;
		if (msg.len)
			cz_buf_puts(&msg, "; ");
		if (msg.len > MESSAGE_MAX) {
			cz_buf_puts(&msg, "...");
			break;
		}
		cz_buf_puts(&msg, a->items[i].error.msg);
	}
	c = json_pack("{s:s, s:s, s:s}", "status", "False", "reason",
		      "BuildFailed", "message", msg.data);
	cz_buf_release(&msg);
	return c;
}

int cz_publish_target_parse(const char *url, char **host_out, char **path_out,
			    cz_error *err)
{
	const char *rest;
	const char *slash;
	size_t plen;

	*host_out = NULL;
	*path_out = NULL;
	if (!url || strncmp(url, "oci://", 6) != 0)
		return cz_fail(err, CZ_EINVALID,
			       "%s: expected oci://HOST[:PORT]/PATH",
			       url ? url : "");
	rest = url + 6;
	slash = strchr(rest, '/');
	if (slash == rest || !*rest)
		return cz_fail(err, CZ_EINVALID, "%s: no registry host", url);
	if (!slash)
		slash = rest + strlen(rest);
	plen = strlen(slash);
	while (plen && slash[plen - 1] == '/')
		plen--;
	*host_out = cz_xstrndup(rest, (size_t)(slash - rest));
	*path_out = plen ? cz_xstrndup(slash + 1, plen - 1) : cz_xstrdup("");
	if (**path_out && !cz_oci_repo_valid(*path_out)) {
		free(*host_out);
		free(*path_out);
		*host_out = NULL;
		*path_out = NULL;
		return cz_fail(err, CZ_EINVALID,
			       "%s: bad repository path (lower-case letters, "
			       "digits and separators)",
			       url);
	}
	return CZ_OK;
}

char *cz_publish_repo(const char *path, const char *name)
{
	if (!path || !*path)
		return cz_xstrdup(name);
	return cz_xasprintf("%s/%s", path, name);
}
