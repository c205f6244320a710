#include "market/tap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/catalog.h"
#include "model/load.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/mem.h"

#define NAME_MAX_LEN 63

/* Appends s to b with every run outside [a-z0-9] as one '-'. */
static void put_sanitised(cz_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)s[i]);

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			cz_buf_putc(b, c);
		else if (b->len && b->data[b->len - 1] != '-')
			cz_buf_putc(b, '-');
	}
}

char *cz_tap_name(const cz_oci_ref *ref)
{
	const char *repo = ref->repo;
	const char *last = strrchr(repo, '/');
	const char *org = repo;
	cz_buf b;
	char *out;

	if (last) {
		org = last;
		while (org > repo && org[-1] != '/')
			org--;
	}
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_puts(&b, "tap-");
	put_sanitised(&b, org, strlen(org));
	while (b.len && b.data[b.len - 1] == '-')
		b.len--;
	if (b.len > NAME_MAX_LEN)
		b.len = NAME_MAX_LEN;
	while (b.len && b.data[b.len - 1] == '-')
		b.len--;
	b.data[b.len] = '\0';
	out = cz_xstrdup(b.data);
	cz_buf_release(&b);
	return out;
}

char *cz_tap_url(const cz_oci_ref *ref)
{
	return cz_xasprintf("oci://%s/%s", ref->host, ref->repo);
}

int cz_tap_read_sources(const char *root, json_t **out, cz_diags *diags,
			cz_error *err)
{
	char *dir = cz_xasprintf("%s/%s", root, CZ_TAP_SOURCES_DIR);
	cz_catalog cat;
	cz_loader ld;
	struct stat st;
	int rc = CZ_OK;

	*out = NULL;
	cz_catalog_init(&cat);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "the artifact has no %s/: it "
			     "declares no PackageSources", CZ_TAP_SOURCES_DIR);
		goto cleanup;
	}
	cz_loader_init(&ld, &cat, diags);
	if (cz_load_path(&ld, dir) < 0 || diags->nerrors) {
		rc = cz_fail(err, CZ_EINVALID, "the artifact's PackageSources "
			     "do not load (%zu error%s)", diags->nerrors,
			     diags->nerrors == 1 ? "" : "s");
		goto cleanup;
	}
	cz_catalog_finish(&cat);
	if (cat.nsources == 0) {
		rc = cz_fail(err, CZ_ENOTFOUND, "%s/ declares no "
			     "PackageSources", CZ_TAP_SOURCES_DIR);
		goto cleanup;
	}
	*out = json_array();
	for (size_t i = 0; i < cat.nsources; i++)
		json_array_append(*out, cat.sources[i]->object);
cleanup:
	cz_catalog_release(&cat);
	free(dir);
	return rc;
}

json_t *cz_tap_source_object(const json_t *declared, const char *tap)
{
	const json_t *meta = json_object_get(declared, "metadata");
	json_t *spec = json_deep_copy(json_object_get(declared, "spec"));
	const json_t *old_ref;
	json_t *ref;

	if (!json_is_object(spec)) {
		json_decref(spec);
		spec = json_object();
	}
	old_ref = json_object_get(spec, "sourceRef");
	ref = json_pack("{s:s, s:s, s:s}", "kind", "OCIRepository", "name", tap,
			"namespace", CZ_TAP_NAMESPACE);
	if (json_is_string(json_object_get(old_ref, "path")))
		json_object_set(ref, "path", json_object_get(old_ref, "path"));
	json_object_set_new(spec, "sourceRef", ref);
	return json_pack("{s:s, s:s, s:{s:O, s:{s:s}}, s:o}", "apiVersion",
			 "cozystack.io/v1alpha1", "kind", "PackageSource",
			 "metadata", "name", json_object_get(meta, "name"),
			 "labels", CZ_TAP_LABEL, tap, "spec", spec);
}

json_t *cz_tap_ocirepository(const cz_tap_repo *r)
{
	json_t *spec = json_pack("{s:s, s:s}", "url", r->url, "interval",
				 r->interval ? r->interval : "5m");
	json_t *ref = json_object();

	if (r->digest)
		json_object_set_new(ref, "digest", json_string(r->digest));
	else
		json_object_set_new(ref, "tag", json_string(r->tag ? r->tag
								   : "latest"));
	json_object_set_new(spec, "ref", ref);
	if (r->secret)
		json_object_set_new(spec, "secretRef",
				    json_pack("{s:s}", "name", r->secret));
	if (r->verify_secret)
		json_object_set_new(spec, "verify",
				    json_pack("{s:s, s:{s:s}}", "provider",
					      "cosign", "secretRef", "name",
					      r->verify_secret));
	if (r->insecure)
		json_object_set_new(spec, "insecure", json_true());
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:o}",
			 "apiVersion", "source.toolkit.fluxcd.io/v1", "kind",
			 "OCIRepository", "metadata", "name", r->name,
			 "namespace", CZ_TAP_NAMESPACE, "labels", CZ_TAP_LABEL,
			 r->name, "spec", spec);
}

const char *cz_tap_label(const json_t *obj)
{
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"),
					       "labels");

	return json_string_value(json_object_get(labels, CZ_TAP_LABEL));
}

json_t *cz_tap_verify_secret(const char *tap, const char *pem, size_t len)
{
	char *b64 = cz_base64_encode(pem, len);
	char *name = cz_xasprintf("%s-cosign", tap);
	json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:s, s:{s:s}}",
				"apiVersion", "v1", "kind", "Secret",
				"metadata", "name", name, "namespace",
				CZ_TAP_NAMESPACE, "labels", CZ_TAP_LABEL, tap,
				"type", "Opaque", "data", "cosign.pub", b64);

	free(name);
	free(b64);
	return obj;
}

int cz_tap_for_entry(const cz_market_entry *e, bool insecure, json_t **out,
		     cz_error *err)
{
	cz_oci_ref ref = CZ_OCI_REF_INIT;
	cz_tap_repo r;
	char *text = NULL, *name = NULL, *url = NULL;
	json_t *objects = NULL, *secret = NULL;
	int rc;

	*out = NULL;
	text = cz_market_entry_url(e);
	if ((rc = cz_oci_ref_parse(text, &ref, err)) < 0)
		goto cleanup;
	name = cz_tap_name(&ref);
	url = cz_tap_url(&ref);
	objects = json_array();
	memset(&r, 0, sizeof(r));
	r.name = name;
	r.url = url;
	r.digest = e->digest;
	r.tag = e->digest ? NULL : e->version;
	r.insecure = insecure;
	if (e->signing == CZ_MARKET_SIGNED_KEY) {
		secret = cz_tap_verify_secret(name, e->signing_key,
					      strlen(e->signing_key));
		r.verify_secret = json_string_value(json_object_get(
			json_object_get(secret, "metadata"), "name"));
		json_array_append(objects, secret);
	}
	json_array_append_new(objects, cz_tap_ocirepository(&r));
	*out = json_pack("{s:s, s:s, s:o}", "name", name, "url", url,
			 "objects", objects);
	objects = NULL;
cleanup:
	json_decref(objects);
	json_decref(secret);
	cz_oci_ref_release(&ref);
	free(text);
	free(name);
	free(url);
	return rc;
}
