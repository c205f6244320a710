#include "kube/kubeconfig.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "object/emit.h"
#include "object/yaml.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

/* A kubeconfig itself may hold many clusters; allow as much as one YAML
 * document may be. */
#define KUBECONFIG_FILE_MAX (4 * 1024 * 1024)
#define WHERE_MAX 128

/* ---- writing ---------------------------------------------------------- */

static json_t *named(const char *name, const char *key, json_t *value)
{
	return json_pack("{s:o, s:s}", key, value, "name", name);
}

/* The kubeconfig document, keys in the (sorted) order kubectl writes
 * them. */
static json_t *kubeconfig_doc(const char *server_url, const char *ca_b64,
			      const char *token, const char *name)
{
	return json_pack(
		"{s:s, s:[o], s:[o], s:s, s:s, s:{}, s:[o]}", "apiVersion",
		"v1", "clusters",
		named(name, "cluster",
		      json_pack("{s:s, s:s}", "certificate-authority-data",
				ca_b64, "server", server_url)),
		"contexts",
		named(name, "context",
		      json_pack("{s:s, s:s}", "cluster", name, "user", name)),
		"current-context", name, "kind", "Config", "preferences",
		"users", named(name, "user", json_pack("{s:s}", "token", token)));
}

int cz_kubeconfig_write(const char *path, const char *server_url,
			const char *ca_pem, const char *token,
			const char *name, cz_error *err)
{
	char *ca_b64 = NULL;
	json_t *doc = NULL;
	cz_buf yaml;
	int rc;

	cz_buf_init(&yaml, CZ_BUF_UNLIMITED);
	if (!server_url || !*server_url || !ca_pem || !*ca_pem || !token ||
	    !*token || !name || !*name) {
		rc = cz_fail(err, CZ_EINVALID,
			     "kubeconfig %s: server, CA, token and name must "
			     "not be empty",
			     path);
		goto cleanup;
	}
	ca_b64 = cz_base64_encode(ca_pem, strlen(ca_pem));
	doc = kubeconfig_doc(server_url, ca_b64, token, name);
	if (!doc) {
		rc = cz_fail(err, CZ_EINVALID,
			     "kubeconfig %s: a value is not valid UTF-8", path);
		goto cleanup;
	}
	if ((rc = cz_emit_yaml(&yaml, doc, err)) < 0 ||
	    (rc = cz_file_write_atomic(path, yaml.data, yaml.len, 0600, err)) <
		    0)
		goto cleanup;
cleanup:
	if (yaml.cap)
		OPENSSL_cleanse(yaml.data, yaml.len);
	cz_buf_release(&yaml);
	json_decref(doc);
	free(ca_b64);
	return rc;
}

/* ---- reading: typed access with field paths --------------------------- */

typedef struct kc_reader {
	const char *path; /* as given, for messages */
	char *dir;        /* relative file references start here */
	cz_error *err;
} kc_reader;

static int kc_fail(const kc_reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int kc_fail(const kc_reader *r, int code, const char *fmt, ...)
{
	char msg[CZ_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cz_fail(r->err, code, "kubeconfig %s: %s", r->path, msg);
}

static int kc_fail_field(const kc_reader *r, int code, const char *where,
			 const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Fails naming the field "where.key" ("key" at the top level). */
static int kc_fail_field(const kc_reader *r, int code, const char *where,
			 const char *key, const char *fmt, ...)
{
	char msg[CZ_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cz_fail(r->err, code, "kubeconfig %s: %s%s%s: %s", r->path,
		       where, *where ? "." : "", key, msg);
}

/* *out is the string at obj[key], or NULL when absent or null. */
static int get_string(const kc_reader *r, const json_t *obj, const char *key,
		      const char *where, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return CZ_OK;
	if (!json_is_string(v))
		return kc_fail_field(r, CZ_EINVALID, where, key,
				     "expected string");
	*out = json_string_value(v);
	return CZ_OK;
}

static int get_bool(const kc_reader *r, const json_t *obj, const char *key,
		    const char *where, bool *out)
{
	json_t *v = json_object_get(obj, key);

	*out = false;
	if (!v || json_is_null(v))
		return CZ_OK;
	if (!json_is_boolean(v))
		return kc_fail_field(r, CZ_EINVALID, where, key,
				     "expected boolean");
	*out = json_is_true(v);
	return CZ_OK;
}

/*
 * Finds the entry of the list root[list] whose name is name and sets *body
 * to its `item` mapping and body_where to that mapping's field path.
 * Returns CZ_ENOTFOUND without a message when there is no such entry, so
 * that the caller can say who referred to it.
 */
static int find_named(const kc_reader *r, const json_t *root,
		      const char *list, const char *item, const char *name,
		      const json_t **body, char *body_where)
{
	json_t *entries = json_object_get(root, list);
	char where[WHERE_MAX];
	const char *entry_name;
	int rc;

	*body = NULL;
	if (!entries || json_is_null(entries))
		return CZ_ENOTFOUND;
	if (!json_is_array(entries))
		return kc_fail(r, CZ_EINVALID, "%s: expected a list", list);
	for (size_t i = 0; i < json_array_size(entries); i++) {
		json_t *entry = json_array_get(entries, i);

		snprintf(where, sizeof(where), "%s[%zu]", list, i);
		if (!json_is_object(entry))
			return kc_fail(r, CZ_EINVALID, "%s: expected a mapping",
				       where);
		if ((rc = get_string(r, entry, "name", where, &entry_name)) < 0)
			return rc;
		if (!entry_name || strcmp(entry_name, name) != 0)
			continue;
		snprintf(body_where, WHERE_MAX, "%s[%zu].%s", list, i, item);
		*body = json_object_get(entry, item);
		if (!*body || !json_is_object(*body))
			return kc_fail(r, CZ_EINVALID, "%s: expected a mapping",
				       body_where);
		return CZ_OK;
	}
	return CZ_ENOTFOUND;
}

/* ---- reading: referenced files ---------------------------------------- */

/* Reads the file a field names, relative to the kubeconfig's directory. */
static int read_ref(const kc_reader *r, const char *where, const char *key,
		    const char *file, char **out)
{
	char *full = file[0] == '/' ? cz_xstrdup(file)
				    : cz_xasprintf("%s/%s", r->dir, file);
	cz_error inner = CZ_ERROR_INIT;
	int rc;

	rc = cz_file_read(full, CZ_KUBECONFIG_MAX_BYTES, out, NULL, &inner);
	if (rc < 0)
		rc = kc_fail_field(r, rc, where, key, "%s", inner.msg);
	free(full);
	return rc;
}

/* The inline data (base64 when decode is set) if present, else the file's
 * contents, else NULL. */
static int data_or_file(const kc_reader *r, const json_t *obj,
			const char *where, const char *data_key,
			const char *file_key, bool decode, char **out)
{
	const char *data, *file;
	int rc;

	*out = NULL;
	if ((rc = get_string(r, obj, data_key, where, &data)) < 0 ||
	    (rc = get_string(r, obj, file_key, where, &file)) < 0)
		return rc;
	if (data && *data) {
		*out = decode ? cz_base64_decode(data, strlen(data), NULL)
			      : cz_xstrdup(data);
		if (*out)
			return CZ_OK;
		return kc_fail_field(r, CZ_EINVALID, where, data_key,
				     "not valid base64");
	}
	if (file && *file)
		return read_ref(r, where, file_key, file, out);
	return CZ_OK;
}

static void trim_in_place(char *s)
{
	size_t start = 0, end = strlen(s);

	while (start < end && isspace((unsigned char)s[start]))
		start++;
	while (end > start && isspace((unsigned char)s[end - 1]))
		end--;
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
}

/* ---- reading: resolution ---------------------------------------------- */

static int resolve_cluster(const kc_reader *r, const json_t *root,
			   const char *ctx_where, cz_kubeconfig *out)
{
	const json_t *cl;
	char where[WHERE_MAX];
	const char *server, *sni;
	int rc = find_named(r, root, "clusters", "cluster", out->cluster, &cl,
			    where);

	if (rc == CZ_ENOTFOUND)
		return kc_fail(r, rc, "%s.cluster: cluster \"%s\" not found",
			       ctx_where, out->cluster);
	if (rc < 0 || (rc = get_string(r, cl, "server", where, &server)) < 0 ||
	    (rc = get_string(r, cl, "tls-server-name", where, &sni)) < 0 ||
	    (rc = get_bool(r, cl, "insecure-skip-tls-verify", where,
			   &out->insecure_skip_tls_verify)) < 0)
		return rc;
	if (!server || !*server)
		return kc_fail(r, CZ_EINVALID, "%s.server: missing", where);
	out->server = cz_xstrdup(server);
	out->tls_server_name = sni && *sni ? cz_xstrdup(sni) : NULL;
	return data_or_file(r, cl, where, "certificate-authority-data",
			    "certificate-authority", true, &out->ca_pem);
}

static int resolve_token(const kc_reader *r, const json_t *u,
			 const char *where, cz_kubeconfig *out)
{
	int rc = data_or_file(r, u, where, "token", "tokenFile", false,
			      &out->token);

	if (rc == CZ_OK && out->token) {
		trim_in_place(out->token);
		if (!*out->token) {
			free(out->token);
			out->token = NULL;
		}
	}
	return rc;
}

static int resolve_user(const kc_reader *r, const json_t *root,
			const char *ctx_where, cz_kubeconfig *out)
{
	const json_t *u;
	char where[WHERE_MAX];
	int rc;

	/* A context without a user connects anonymously. */
	if (!out->user || !*out->user)
		return CZ_OK;
	rc = find_named(r, root, "users", "user", out->user, &u, where);
	if (rc == CZ_ENOTFOUND)
		return kc_fail(r, rc, "%s.user: user \"%s\" not found",
			       ctx_where, out->user);
	if (rc < 0 || (rc = resolve_token(r, u, where, out)) < 0 ||
	    (rc = data_or_file(r, u, where, "client-certificate-data",
			       "client-certificate", true,
			       &out->client_cert_pem)) < 0 ||
	    (rc = data_or_file(r, u, where, "client-key-data", "client-key",
			       true, &out->client_key_pem)) < 0)
		return rc;
	if (!out->client_cert_pem != !out->client_key_pem)
		return kc_fail(r, CZ_EINVALID,
			       "%s: a client certificate needs a client key "
			       "and the other way round",
			       where);
	return CZ_OK;
}

static int resolve(const kc_reader *r, const json_t *root,
		   const char *context, cz_kubeconfig *out)
{
	const json_t *ctx;
	char where[WHERE_MAX];
	const char *name, *cluster, *user, *ns;
	int rc;

	if ((rc = get_string(r, root, "current-context", "", &name)) < 0)
		return rc;
	if (context)
		name = context;
	if (!name || !*name)
		return kc_fail(r, CZ_ENOTFOUND,
			       "no context given and current-context is not "
			       "set");
	rc = find_named(r, root, "contexts", "context", name, &ctx, where);
	if (rc == CZ_ENOTFOUND)
		return kc_fail(r, rc, "context \"%s\" not found", name);
	if (rc < 0 || (rc = get_string(r, ctx, "cluster", where, &cluster)) < 0 ||
	    (rc = get_string(r, ctx, "user", where, &user)) < 0 ||
	    (rc = get_string(r, ctx, "namespace", where, &ns)) < 0)
		return rc;
	if (!cluster || !*cluster)
		return kc_fail(r, CZ_EINVALID, "%s.cluster: missing", where);
	out->context = cz_xstrdup(name);
	out->cluster = cz_xstrdup(cluster);
	out->user = user ? cz_xstrdup(user) : NULL;
	out->namespace = cz_xstrdup(ns && *ns ? ns : "default");
	if ((rc = resolve_cluster(r, root, where, out)) < 0)
		return rc;
	return resolve_user(r, root, where, out);
}

/* Turns "PATH: reason" from a lower layer into "kubeconfig PATH: reason". */
static void prefix_kubeconfig(cz_error *err)
{
	static const char prefix[] = "kubeconfig ";
	size_t room = CZ_ERROR_MSG_MAX - sizeof(prefix);
	size_t len;

	if (!err)
		return;
	len = strnlen(err->msg, room);
	memmove(err->msg + sizeof(prefix) - 1, err->msg, len);
	memcpy(err->msg, prefix, sizeof(prefix) - 1);
	err->msg[sizeof(prefix) - 1 + len] = '\0';
}

static int parse_root(const kc_reader *r, const char *data, size_t len,
		      cz_doc **docs, size_t *ndocs)
{
	int rc = cz_parse_stream(data, len, r->path, NULL, docs, ndocs, NULL,
				 r->err);

	if (rc < 0) {
		prefix_kubeconfig(r->err);
		return rc;
	}
	if (*ndocs == 0 || !(*docs)[0].root)
		return kc_fail(r, CZ_EINVALID, "empty file");
	if (*ndocs > 1)
		return kc_fail(r, CZ_EINVALID, "more than one YAML document");
	if (!json_is_object((*docs)[0].root))
		return kc_fail(r, CZ_EINVALID,
			       "expected a mapping at the top level");
	return CZ_OK;
}

/* Makes the file references of one clusters[]/users[] entry absolute, so
 * that entries merged from several files keep pointing where their own
 * file meant. */
static void absolutize_refs(json_t *body, const char *dir)
{
	static const char *const keys[] = { "certificate-authority",
					    "client-certificate", "client-key",
					    "tokenFile" };

	if (!json_is_object(body))
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(body, keys[i]);
		const char *file = json_string_value(v);
		char *full;

		if (!file || !*file || file[0] == '/')
			continue;
		full = cz_xasprintf("%s/%s", dir, file);
		json_object_set_new(body, keys[i], json_string(full));
		free(full);
	}
}

/* Appends the entries of src[list] whose name merged[list] lacks: with
 * several files, the first to define a name wins, as in kubectl.  Each
 * entry is checked here, in its own file, where its field path means
 * something. */
static int merge_list(const kc_reader *r, json_t *merged, json_t *src,
		      const char *list, const char *item)
{
	json_t *from = json_object_get(src, list);
	json_t *to = json_object_get(merged, list);
	char where[WHERE_MAX];
	size_t i, j;
	json_t *entry, *have;
	int rc;

	if (!from || json_is_null(from))
		return CZ_OK;
	if (!json_is_array(from))
		return kc_fail(r, CZ_EINVALID, "%s: expected a list", list);
	if (!to) {
		to = json_array();
		json_object_set_new(merged, list, to);
	}
	json_array_foreach (from, i, entry) {
		const char *name;
		bool dup = false;

		snprintf(where, sizeof(where), "%s[%zu]", list, i);
		if (!json_is_object(entry))
			return kc_fail(r, CZ_EINVALID, "%s: expected a mapping",
				       where);
		if ((rc = get_string(r, entry, "name", where, &name)) < 0)
			return rc;
		json_array_foreach (to, j, have) {
			const char *other =
				json_string_value(json_object_get(have, "name"));

			if (name && other && strcmp(name, other) == 0)
				dup = true;
		}
		if (dup)
			continue;
		absolutize_refs(json_object_get(entry, item), r->dir);
		json_array_append(to, entry);
	}
	return CZ_OK;
}

/* Reads one file and folds it into merged (clusters, users, contexts and
 * current-context).  A file that does not exist is skipped when
 * skip_missing is set, as kubectl skips absent KUBECONFIG entries. */
static int merge_file(const char *path, bool skip_missing, json_t *merged,
		      bool *found, cz_error *err)
{
	kc_reader r = { path, cz_path_dir(path), err };
	char *data = NULL;
	size_t len = 0;
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	const char *current;
	int rc;

	rc = cz_file_read(path, KUBECONFIG_FILE_MAX, &data, &len, err);
	if (rc == CZ_ENOTFOUND && skip_missing) {
		rc = CZ_OK;
		goto cleanup;
	}
	if (rc < 0) {
		prefix_kubeconfig(err);
		goto cleanup;
	}
	if ((rc = parse_root(&r, data, len, &docs, &ndocs)) < 0)
		goto cleanup;
	/* Type errors are found here, in the file that has them, before
	 * merging hides where an entry came from. */
	if ((rc = get_string(&r, docs[0].root, "current-context", "",
			     &current)) < 0)
		goto cleanup;
	if (current && *current && !json_object_get(merged, "current-context"))
		json_object_set_new(merged, "current-context",
				    json_string(current));
	if ((rc = merge_list(&r, merged, docs[0].root, "clusters",
			     "cluster")) < 0 ||
	    (rc = merge_list(&r, merged, docs[0].root, "users", "user")) < 0 ||
	    (rc = merge_list(&r, merged, docs[0].root, "contexts",
			     "context")) < 0)
		goto cleanup;
	*found = true;
cleanup:
	cz_docs_free(docs, ndocs);
	if (data) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	free(r.dir);
	return rc;
}

int cz_kubeconfig_load_files(const char *const *paths, size_t npaths,
			     const char *context, cz_kubeconfig *out,
			     cz_error *err)
{
	json_t *merged = json_object();
	cz_buf label;
	kc_reader r = { NULL, NULL, err };
	bool found = false;
	int rc = CZ_OK;

	memset(out, 0, sizeof(*out));
	cz_buf_init(&label, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < npaths; i++) {
		cz_buf_printf(&label, "%s%s", i ? ":" : "", paths[i]);
		rc = merge_file(paths[i], npaths > 1, merged, &found, err);
		if (rc < 0)
			goto cleanup;
	}
	r.path = label.data;
	if (!found) {
		rc = kc_fail(&r, CZ_ENOTFOUND, "none of these files exists");
		goto cleanup;
	}
	rc = resolve(&r, merged, context, out);
cleanup:
	cz_buf_release(&label);
	json_decref(merged);
	return rc;
}

int cz_kubeconfig_load(const char *path, const char *context,
		       cz_kubeconfig *out, cz_error *err)
{
	return cz_kubeconfig_load_files(&path, 1, context, out, err);
}

int cz_kubeconfig_load_default(const char *path, const char *context,
			       cz_kubeconfig *out, cz_error *err)
{
	const char *list = getenv("KUBECONFIG");
	const char *home = getenv("HOME");
	char **paths = NULL;
	char *fallback = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (path && *path)
		return cz_kubeconfig_load(path, context, out, err);
	while (list && *list) {
		size_t len = strcspn(list, ":");

		if (len) {
			paths = cz_xrealloc(paths, (n + 1) * sizeof(*paths));
			paths[n++] = cz_xstrndup(list, len);
		}
		list += len + (list[len] == ':');
	}
	if (n) {
		rc = cz_kubeconfig_load_files((const char *const *)paths, n,
					      context, out, err);
	} else if (home && *home) {
		fallback = cz_xasprintf("%s/.kube/config", home);
		rc = cz_kubeconfig_load(fallback, context, out, err);
	} else {
		rc = cz_fail(err, CZ_ENOTFOUND,
			     "no kubeconfig: give --kubeconfig, or set "
			     "KUBECONFIG or HOME");
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(fallback);
	return rc;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void cz_kubeconfig_release(cz_kubeconfig *kc)
{
	free(kc->context);
	free(kc->cluster);
	free(kc->user);
	free(kc->server);
	free(kc->tls_server_name);
	free(kc->ca_pem);
	free_secret(kc->token);
	free(kc->client_cert_pem);
	free_secret(kc->client_key_pem);
	free(kc->namespace);
	memset(kc, 0, sizeof(*kc));
}

char *cz_kubeconfig_default_path(void)
{
	const char *list = getenv("KUBECONFIG");
	const char *home = getenv("HOME");

	while (list && *list) {
		size_t n = strcspn(list, ":");

		if (n)
			return cz_xstrndup(list, n);
		list++;
	}
	if (home && *home)
		return cz_xasprintf("%s/.kube/config", home);
	return NULL;
}
