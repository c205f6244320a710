/* cozypkg rpkg: pkgserver's PackageRevisions (pkg.pkgserver.dev/v1alpha1),
 * each lifecycle step its own verb, as pkgctl and porchctl rpkg have them:
 * get, init, clone, pull, push, propose, reject, propose-delete, approve
 * and del. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact/assemble.h"
#include "cli.h"
#include "revision/revid.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/sort.h"

#define RPKG_GROUP "pkg.pkgserver.dev"
#define RPKG_VERSION "v1alpha1"
/* What one push reads at most, from a directory or standard input: a
 * package is configuration, and the server keeps it in one object. */
#define RPKG_MAX_PUSH (16u * 1024 * 1024)
/* How deep push walks a directory. */
#define RPKG_MAX_DEPTH 64
#define RPKG_HEADER "--- path: "
#define RPKG_NO_NEWLINE "\\ No newline at end of file"

/* The identity options, in the order of a name's parts, then the two
 * that only select. */
enum {
	OPT_TARGET = CLI_LONG_ONLY + 1,
	OPT_REPOSITORY,
	OPT_REALM,
	OPT_PACKAGE,
	OPT_WORKSPACE,
	OPT_REVISION,
	OPT_LIFECYCLE,
	OPT_END,
	OPT_TO, /* rollback */
};
#define RPKG_NFIELDS (OPT_END - OPT_TARGET)
#define RPKG_NPARTS 5 /* target to workspace */

/* The spec field each option selects on, by option. */
static const char *const field_paths[RPKG_NFIELDS] = {
	"spec.packageRevID.target",    "spec.packageRevID.repository",
	"spec.packageRevID.realm",     "spec.packageRevID.package",
	"spec.packageRevID.workspace", "spec.packageRevID.revision",
	"spec.lifecycle",
};
static const char *const part_keys[RPKG_NPARTS] = {
	"target", "repository", "realm", "package", "workspace",
};

#define RPKG_NS_OPTION                                                         \
	{ 'n', "namespace", "NS", "the namespace (default default)" }
#define RPKG_ID_OPTIONS                                                        \
	{ OPT_TARGET, "target", "T", "the target (catalog for a catalog)" },   \
	{ OPT_REPOSITORY, "repository", "R", "the Repository's name" },        \
	{ OPT_REALM, "realm", "R", "the realm, a path such as nf/core" },      \
	{ OPT_PACKAGE, "package", "P", "the package's name" },                 \
	{ OPT_WORKSPACE, "workspace", "W", "the workspace (draft branch)" }
#define RPKG_SELECT_OPTIONS                                                    \
	{ OPT_REVISION, "revision", "V", "get: the published revision" },      \
	{ OPT_LIFECYCLE, "lifecycle", "L",                                     \
	  "get: draft, proposed, published or deletionProposed" },             \
	{ 'o', "output", "FORMAT", "get: table (default), yaml or json" }

/* Every option, for the man page and completion; get takes them all. */
static const cli_opt get_opts[] = {
	RPKG_NS_OPTION,
	RPKG_ID_OPTIONS,
	RPKG_SELECT_OPTIONS,
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};
static const cli_opt init_opts[] = {
	RPKG_NS_OPTION,
	RPKG_ID_OPTIONS,
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};
static const cli_opt history_opts[] = {
	RPKG_NS_OPTION,
	{ 'o', "output", "FORMAT", "table (default), yaml or json" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};
static const cli_opt rollback_opts[] = {
	RPKG_NS_OPTION,
	{ OPT_TO, "to", "V", "the revision whose content to publish again" },
	{ OPT_WORKSPACE, "workspace", "W",
	  "the draft's workspace (default rollback-V-from-LATEST)" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};
static const cli_opt plain_opts[] = {
	RPKG_NS_OPTION,
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct rpkg_args {
	const char *ns, *format, *to;
	const char *fields[RPKG_NFIELDS]; /* by option, borrowed from argv */
	cli_conn conn;
	const cz_resource *revs; /* packagerevisions */
	const cz_resource *prrs; /* packagerevisionresourceses */
} rpkg_args;

/* ---- names, files and the pull text: pure, declared in cli.h ---------- */

void cli_rpkg_id_release(cli_rpkg_id *id)
{
	free(id->buf);
	memset(id, 0, sizeof(*id));
}

int cli_rpkg_id_parse(const char *name, cli_rpkg_id *id, cz_error *err)
{
	const char **parts[RPKG_NPARTS] = { &id->id.target, &id->id.repository,
					    &id->id.realm, &id->id.package,
					    &id->id.workspace };
	size_t n = 0;
	int rc;

	memset(id, 0, sizeof(*id));
	id->buf = cz_xstrdup(name);
	id->id.revision = "";
	for (char *p = id->buf; p; n++) {
		char *dot = strchr(p, '.');

		if (dot)
			*dot = '\0';
		if (n < RPKG_NPARTS)
			*parts[n] = p;
		for (char *c = p; n == 2 && *c; c++)
			if (*c == ':')
				*c = '/';
		p = dot ? dot + 1 : NULL;
	}
	if (n != RPKG_NPARTS || strchr(name, '/'))
		return cz_fail(err, CZ_EINVALID, "%s: expected TARGET.REPOSITORY."
			       "REALM.PACKAGE.WORKSPACE (the realm's / written "
			       ":), got %zu part%s%s", name, n, n == 1 ? "" : "s",
			       strchr(name, '/') ? " and a /" : "");
	if ((rc = cz_revid_check(&id->id, err)) < 0)
		cz_error_prefix(err, "%s", name);
	return rc;
}

bool cli_rpkg_path_ok(const char *path)
{
	const char *p = path;

	if (!cz_path_relative_safe(path))
		return false;
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c < 0x20)
			return false;
	/* Besides the tree rule: no empty, "." or ".git" segment, so that
	 * one file has one name and pull never writes into a checkout's
	 * .git. */
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 4 && strncmp(p, ".git", 4) == 0))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

/* The keys of obj in strcmp order; *out malloc'ed (the keys borrowed). */
static size_t sorted_keys(const json_t *obj, const char ***out)
{
	const char **keys = cz_xcalloc(json_object_size(obj) + 1,
				       sizeof(*keys));
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach ((json_t *)obj, k, v)
		keys[n++] = k;
	cz_sort(keys, n, sizeof(*keys), cz_cmp_str);
	*out = keys;
	return n;
}

/* One file's content: lines that would read as a header or an escape get
 * a backslash, and a missing final newline is said on a line of its own,
 * as diff does, so that the text reads back to the same bytes. */
static int write_content(cz_buf *out, const char *s, size_t len)
{
	const char *end = s + len;
	int rc = CZ_OK;

	while (rc == CZ_OK && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);

		if (*s == '\\' || strncmp(s, RPKG_HEADER,
					  strlen(RPKG_HEADER)) == 0)
			rc = cz_buf_putc(out, '\\');
		if (rc == CZ_OK)
			rc = cz_buf_append(out, s, n);
		s += n;
	}
	if (rc == CZ_OK && len && end[-1] != '\n')
		rc = cz_buf_puts(out, "\n" RPKG_NO_NEWLINE "\n");
	return rc;
}

int cli_rpkg_text_write(const json_t *resources, cz_buf *out, cz_error *err)
{
	const char **keys = NULL;
	size_t n = sorted_keys(resources, &keys);
	int rc = CZ_OK;

	for (size_t i = 0; rc == CZ_OK && i < n; i++) {
		json_t *v = json_object_get(resources, keys[i]);

		if (!json_is_string(v) || !cli_rpkg_path_ok(keys[i])) {
			rc = cz_fail(err, CZ_EINVALID, "resource \"%s\": %s",
				     keys[i], json_is_string(v)
						      ? "not a path inside the "
							"package"
						      : "not text");
			goto cleanup;
		}
		rc = cz_buf_printf(out, RPKG_HEADER "%s\n", keys[i]);
		if (rc == CZ_OK)
			rc = write_content(out, json_string_value(v),
					   json_string_length(v));
	}
	if (rc < 0)
		cz_fail(err, rc, "the package is too large to print");
cleanup:
	free(keys);
	return rc;
}

/* The reader's state: the file being read and its bytes. */
typedef struct text_reader {
	json_t *files;    /* owned */
	char *path;       /* owned; NULL before the first header */
	cz_buf content;
	size_t line;
} text_reader;

/* Stores the file being read, if any, in r->files. */
static int flush_file(text_reader *r, cz_error *err)
{
	json_t *s;

	if (!r->path)
		return CZ_OK;
	if (memchr(r->content.data, '\0', r->content.len) ||
	    !(s = json_stringn(r->content.data, r->content.len)))
		return cz_fail(err, CZ_EINVALID, "%s: not UTF-8 text",
			       r->path);
	if (json_object_set_new(r->files, r->path, s) < 0)
		return cz_fail(err, CZ_EINVALID, "a path that is not UTF-8");
	free(r->path);
	r->path = NULL;
	cz_buf_reset(&r->content);
	return CZ_OK;
}

static int start_file(text_reader *r, const char *path, size_t len,
		      cz_error *err)
{
	int rc = flush_file(r, err);

	if (rc < 0)
		return rc;
	r->path = cz_xstrndup(path, len);
	if (!cli_rpkg_path_ok(r->path) || json_object_get(r->files, r->path))
		return cz_fail(err, CZ_EINVALID, "line %zu: \"%s\" is %s",
			       r->line, r->path,
			       json_object_get(r->files, r->path)
				       ? "given twice"
				       : "not a path inside the package");
	return CZ_OK;
}

/* One line, with its newline when it has one. */
static int read_line(text_reader *r, const char *s, size_t n, cz_error *err)
{
	size_t hl = strlen(RPKG_HEADER), ml = strlen(RPKG_NO_NEWLINE);
	size_t bare = n && s[n - 1] == '\n' ? n - 1 : n;

	if (n >= hl && strncmp(s, RPKG_HEADER, hl) == 0)
		return start_file(r, s + hl, bare - hl, err);
	if (!r->path)
		return cz_fail(err, CZ_EINVALID, "line %zu: expected "
			       "\"" RPKG_HEADER "FILE\"", r->line);
	if (bare == ml && strncmp(s, RPKG_NO_NEWLINE, ml) == 0) {
		if (!r->content.len ||
		    r->content.data[r->content.len - 1] != '\n')
			return cz_fail(err, CZ_EINVALID, "line %zu: \"%s\" "
				       "follows no line", r->line,
				       RPKG_NO_NEWLINE);
		r->content.data[--r->content.len] = '\0';
		return CZ_OK;
	}
	if (*s == '\\') {
		s++;
		n--;
	}
	return cz_buf_append(&r->content, s, n);
}

int cli_rpkg_text_read(const char *text, size_t len, json_t **out,
		       cz_error *err)
{
	text_reader r;
	const char *s = text, *end = text + len;
	int rc = CZ_OK;

	memset(&r, 0, sizeof(r));
	*out = NULL;
	r.files = json_object();
	cz_buf_init(&r.content, CZ_BUF_UNLIMITED);
	while (rc == CZ_OK && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);

		r.line++;
		rc = read_line(&r, s, n, err);
		s += n;
	}
	if (rc == CZ_OK)
		rc = flush_file(&r, err);
	if (rc == CZ_OK)
		*out = json_incref(r.files);
	free(r.path);
	cz_buf_release(&r.content);
	json_decref(r.files);
	return rc;
}

/* ---- the API ------------------------------------------------------------ */

static int on_opt(void *ctx, int id, const char *arg)
{
	rpkg_args *a = ctx;

	if (id >= OPT_TARGET && id < OPT_END)
		a->fields[id - OPT_TARGET] = arg;
	else if (id == 'n')
		a->ns = arg;
	else if (id == 'o')
		a->format = arg;
	else if (id == OPT_TO)
		a->to = arg;
	else if (!cli_conn_option(&a->conn, id, arg))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

/* The two resources, from the table of what this build serves. */
static int find_resources(rpkg_args *a)
{
	a->revs = cz_resource_find(RPKG_GROUP, RPKG_VERSION,
				   "packagerevisions");
	a->prrs = cz_resource_find(RPKG_GROUP, RPKG_VERSION,
				   "packagerevisionresourceses");
	if (a->revs && a->prrs)
		return CLI_EXIT_OK;
	fprintf(stderr, "cozypkg: this build does not know " RPKG_GROUP
			"/" RPKG_VERSION " PackageRevisions\n");
	return CLI_EXIT_FAILED;
}

/* Finds the resources and opens the connection, once the arguments have
 * been checked. */
static int rpkg_connect(rpkg_args *a)
{
	int rc = find_resources(a);

	return rc == CLI_EXIT_OK ? cli_connect(&a->conn) : rc;
}

static int get_object(rpkg_args *a, const cz_resource *res, const char *name,
		      json_t **out, cz_error *err)
{
	char *path = cz_kube_path(res, a->ns, name, NULL, NULL);
	int rc = cz_kube_get(a->conn.kube, path, out, err);

	free(path);
	return rc;
}

static int put_object(rpkg_args *a, const cz_resource *res, const char *name,
		      const char *sub, const json_t *obj, cz_error *err)
{
	char *path = cz_kube_path(res, a->ns, name, sub, NULL);
	int rc = cz_kube_update(a->conn.kube, path, obj, NULL, err);

	free(path);
	return rc;
}

static const char *spec_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(
		json_object_get(json_object_get(obj, "spec"), key));

	return s ? s : "";
}

/* ---- get ---------------------------------------------------------------- */

/* "?fieldSelector=..." of the set options, or NULL; malloc'ed. */
static char *selector_query(const rpkg_args *a)
{
	cz_buf sel;
	char *esc, *query = NULL;

	cz_buf_init(&sel, CZ_BUF_UNLIMITED);
	for (size_t i = 0; i < RPKG_NFIELDS; i++)
		if (a->fields[i])
			cz_buf_printf(&sel, "%s%s=%s", sel.len ? "," : "",
				      field_paths[i], a->fields[i]);
	if (sel.len) {
		esc = cz_kube_escape(sel.data);
		query = cz_xasprintf("fieldSelector=%s", esc);
		free(esc);
	}
	cz_buf_release(&sel);
	return query;
}

static int cmp_by_name(const void *x, const void *y)
{
	const char *a = cz_meta_str(*(json_t *const *)x, "name");
	const char *b = cz_meta_str(*(json_t *const *)y, "name");

	return strcmp(a ? a : "", b ? b : "");
}

static bool has_name(const json_t *obj, char **names, int nnames)
{
	const char *name = cz_meta_str(obj, "name");

	for (int j = 0; name && j < nnames; j++)
		if (strcmp(names[j], name) == 0)
			return true;
	return false;
}

/* The items of list that names asks for (all when nnames is 0), sorted by
 * name, in a new array; a name not there is reported and makes *missing
 * true. */
static json_t *pick_items(const json_t *list, char **names, int nnames,
			  const char *ns, bool *missing)
{
	json_t *items = json_object_get(list, "items"), *it, *out;
	json_t **v = cz_xcalloc(json_array_size(items) + 1, sizeof(*v));
	size_t i, n = 0;

	json_array_foreach (items, i, it)
		if (nnames == 0 || has_name(it, names, nnames))
			v[n++] = it;
	cz_sort(v, n, sizeof(*v), cmp_by_name);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	for (int j = 0; j < nnames; j++) {
		bool found = false;

		for (i = 0; i < n && !found; i++)
			found = has_name(v[i], names + j, 1);
		if (!found)
			fprintf(stderr, "cozypkg: PackageRevision %s/%s not "
				"found\n", ns, names[j]);
		*missing |= !found;
	}
	free(v);
	return out;
}

/* One row of the table; cells borrowed from r. */
static void table_row(cli_table *t, const json_t *r)
{
	cz_revid id;
	const char *cells[9];

	cz_revid_of(r, &id);
	cells[0] = cz_meta_str(r, "name");
	cells[1] = cli_ready_status(r, NULL, NULL);
	cells[2] = id.repository;
	cells[3] = id.target;
	cells[4] = id.realm;
	cells[5] = id.package;
	cells[6] = id.revision;
	cells[7] = id.workspace;
	cells[8] = spec_str(r, "lifecycle");
	cli_table_row(t, cells);
}

static int write_table(const json_t *items)
{
	static const char *const head[] = {
		"NAME",	   "READY",    "REPOSITORY", "TARGET",	  "REALM",
		"PACKAGE", "REVISION", "WORKSPACE",  "LIFECYCLE",
	};
	cli_table t;
	size_t i;
	json_t *r;
	int rc;

	cli_table_init(&t, 9);
	cli_table_row(&t, head);
	json_array_foreach (items, i, r)
		table_row(&t, r);
	rc = cli_table_print(&t);
	return rc;
}

static int do_get(rpkg_args *a, int argc, char **argv)
{
	char *query = selector_query(a), *path = NULL;
	json_t *list = NULL, *items = NULL;
	cz_error err = CZ_ERROR_INIT;
	bool missing = false;
	int rc;

	path = cz_kube_path(a->revs, a->ns, NULL, NULL, query);
	if (cz_kube_get(a->conn.kube, path, &list, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	items = pick_items(list, argv, argc, a->ns, &missing);
	json_object_set(list, "items", items);
	if (strcmp(a->format, "table") == 0)
		rc = write_table(items);
	else if (argc == 1 && json_array_size(items) == 1)
		rc = cli_write_object(json_array_get(items, 0), a->format);
	else
		rc = cli_write_object(list, a->format);
	if (rc == CLI_EXIT_OK && missing)
		rc = CLI_EXIT_FAILED;
cleanup:
	json_decref(items);
	json_decref(list);
	free(path);
	free(query);
	return rc;
}

/* ---- init and clone ----------------------------------------------------- */

/* The name the identity options make (all of them are needed), as the
 * server checks it; *out malloc'ed. */
static int name_of_parts(const cli_command *cmd, const char *const *parts,
			 char **out)
{
	cz_error err = CZ_ERROR_INIT;
	cz_revid id = { parts[0], parts[1], parts[2], parts[3], parts[4], "" };

	for (size_t i = 0; i < RPKG_NPARTS; i++)
		if (!parts[i])
			return cli_usage_error(cmd, "--%s is missing",
					       part_keys[i]);
	if (cz_revid_check(&id, &err) < 0)
		return cli_usage_error(cmd, "%s", err.msg);
	*out = cz_revid_name(&id);
	return CLI_EXIT_OK;
}

/* The name init creates: NAME, or the one the identity options make.
 * *out malloc'ed. */
static int target_name(const cli_command *cmd, rpkg_args *a,
		       const char *name, char **out)
{
	bool any = false;

	for (size_t i = 0; i < RPKG_NPARTS; i++)
		any |= a->fields[i] != NULL;
	if (name && any)
		return cli_usage_error(cmd, "give NAME or --target, "
				       "--repository, --realm, --package and "
				       "--workspace, not both");
	if (!name && !any)
		return cli_usage_error(cmd, "expected NAME");
	if (name) {
		*out = cz_xstrdup(name);
		return CLI_EXIT_OK;
	}
	return name_of_parts(cmd, a->fields, out);
}

/* A new draft PackageRevision named name (a valid id) with one task. */
static json_t *new_draft(const rpkg_args *a, const char *name,
			 const cli_rpkg_id *id, const char *task)
{
	json_t *rid = json_pack("{s:s, s:s, s:s, s:s, s:s}", "target",
				id->id.target, "repository", id->id.repository,
				"realm", id->id.realm, "package",
				id->id.package, "workspace", id->id.workspace);

	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:o, s:s, s:[{s:s}]}}",
			 "apiVersion", a->revs->group_version, "kind",
			 a->revs->kind, "metadata", "name", name, "namespace",
			 a->ns, "spec", "packageRevID", rid, "lifecycle",
			 "draft", "tasks", "type", task);
}

static int create_draft(rpkg_args *a, const char *name, json_t *obj)
{
	char *path = NULL;
	cz_error err = CZ_ERROR_INIT;
	int rc;

	if (!obj) { /* json_pack() refuses what is not UTF-8 */
		fprintf(stderr, "cozypkg: %s: not UTF-8\n", name);
		return CLI_EXIT_USAGE;
	}
	path = cz_kube_path(a->revs, a->ns, NULL, NULL, NULL);
	rc = cz_kube_create(a->conn.kube, path, obj, NULL, &err) < 0
		     ? cli_fail(&err)
		     : CLI_EXIT_OK;
	if (rc == CLI_EXIT_OK)
		fprintf(stderr, "✓ PackageRevision %s/%s created (draft)\n",
			a->ns, name);
	free(path);
	return rc;
}

static int run_init(const cli_command *cmd, rpkg_args *a, int argc,
		    char **argv)
{
	cz_error err = CZ_ERROR_INIT;
	cli_rpkg_id id = { 0 };
	json_t *obj = NULL;
	char *name = NULL;
	int rc = target_name(cmd, a, argc ? argv[0] : NULL, &name);

	if (rc != CLI_EXIT_OK)
		goto cleanup;
	if (cli_rpkg_id_parse(name, &id, &err) < 0) {
		rc = cli_usage_error(cmd, "%s", err.msg);
		goto cleanup;
	}
	if ((rc = rpkg_connect(a)) != CLI_EXIT_OK)
		goto cleanup;
	obj = new_draft(a, name, &id, "init");
	rc = create_draft(a, name, obj);
cleanup:
	json_decref(obj);
	cli_rpkg_id_release(&id);
	free(name);
	return rc;
}

/* spec.upstream of a clone of src, which must be published. */
static int upstream_of(const char *src_name, const json_t *src,
		       json_t **out, cz_error *err)
{
	const char *life = spec_str(src, "lifecycle");
	cz_revid sid;

	*out = NULL;
	if (strcmp(life, "published") != 0)
		return cz_fail(err, CZ_ECONFLICT, "cannot clone %s: it is %s; "
			       "only a published revision can be cloned",
			       src_name, *life ? life : "without a lifecycle");
	cz_revid_of(src, &sid);
	*out = json_pack("{s:s, s:s, s:s, s:s}", "repository", sid.repository,
			 "realm", sid.realm, "package", sid.package,
			 "revision", sid.revision);
	return CZ_OK;
}

static int run_clone(const cli_command *cmd, rpkg_args *a, int argc,
		     char **argv)
{
	cz_error err = CZ_ERROR_INIT;
	cli_rpkg_id id = { 0 };
	json_t *src = NULL, *up = NULL, *obj = NULL;
	int rc = CLI_EXIT_OK;

	(void)argc;
	if (cli_rpkg_id_parse(argv[0], &id, &err) < 0) {
		rc = cli_usage_error(cmd, "%s", err.msg);
		goto cleanup;
	}
	if ((rc = rpkg_connect(a)) != CLI_EXIT_OK)
		goto cleanup;
	if (get_object(a, a->revs, argv[1], &src, &err) < 0 ||
	    upstream_of(argv[1], src, &up, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	obj = new_draft(a, argv[0], &id, "clone");
	if (obj)
		json_object_set(json_object_get(obj, "spec"), "upstream", up);
	rc = create_draft(a, argv[0], obj);
cleanup:
	json_decref(obj);
	json_decref(up);
	json_decref(src);
	cli_rpkg_id_release(&id);
	return rc;
}

/* ---- pull --------------------------------------------------------------- */


static int write_file(const char *dir, const char *rel, const json_t *v,
		      cz_error *err)
{
	char *path = NULL, *parent = NULL;
	int rc;

	if (!json_is_string(v) || !cli_rpkg_path_ok(rel))
		return cz_fail(err, CZ_EINVALID, "resource \"%s\": %s", rel,
			       json_is_string(v) ? "not a path inside the "
						   "package, not written"
						 : "not text");
	path = cz_xasprintf("%s/%s", dir, rel);
	parent = cz_path_dir(path);
	rc = cz_mkdirs(parent, 0755, err);
	if (rc == CZ_OK)
		rc = cz_file_replace(path, json_string_value(v),
				     json_string_length(v), 0644, false, err);
	free(parent);
	free(path);
	return rc;
}

static int write_dir(const char *dir, const json_t *resources, cz_error *err)
{
	const char **keys = NULL;
	size_t n = sorted_keys(resources, &keys);
	int rc = cz_mkdirs(dir, 0755, err);

	for (size_t i = 0; rc == CZ_OK && i < n; i++)
		rc = write_file(dir, keys[i],
				json_object_get(resources, keys[i]), err);
	if (rc == CZ_OK)
		fprintf(stderr, "✓ %zu file%s written under %s\n", n,
			n == 1 ? "" : "s", dir);
	free(keys);
	return rc;
}

static int run_pull(const cli_command *cmd, rpkg_args *a, int argc,
		    char **argv)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *prr = NULL, *empty = NULL, *res;
	cz_buf text;
	int rc;

	(void)cmd;
	cz_buf_init(&text, CZ_BUF_UNLIMITED);
	if ((rc = rpkg_connect(a)) != CLI_EXIT_OK)
		goto cleanup;
	if (get_object(a, a->prrs, argv[0], &prr, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	res = json_object_get(json_object_get(prr, "spec"), "resources");
	if (!res)
		res = empty = json_object();
	if (argc == 2)
		rc = write_dir(argv[1], res, &err) < 0 ? cli_fail(&err)
						      : CLI_EXIT_OK;
	else
		rc = cli_rpkg_text_write(res, &text, &err) < 0
			     ? cli_fail(&err)
			     : cli_write_stdout(text.data, text.len);
cleanup:
	cz_buf_release(&text);
	json_decref(empty);
	json_decref(prr);
	return rc;
}

/* ---- push --------------------------------------------------------------- */

/* The walk of push: every regular file under root, by its path from
 * root, into files; bytes counted against RPKG_MAX_PUSH. */
typedef struct tree_reader {
	const char *root;
	json_t *files; /* borrowed */
	size_t total;
} tree_reader;

static int read_tree(tree_reader *t, const char *rel, int depth,
		     cz_error *err);

static int read_file(tree_reader *t, const char *path, const char *rel,
		     cz_error *err)
{
	char *data = NULL;
	size_t len = 0;
	json_t *s = NULL;
	int rc = cz_file_read(path, RPKG_MAX_PUSH - t->total, &data, &len,
			      err);

	if (rc == CZ_ETOOLARGE)
		rc = cz_fail(err, rc, "%s: more than %u MiB of files (the "
			     "most one push sends)", t->root,
			     RPKG_MAX_PUSH >> 20);
	if (rc < 0)
		goto cleanup;
	t->total += len;
	if (memchr(data, '\0', len) || !(s = json_stringn(data, len))) {
		rc = cz_fail(err, CZ_EINVALID, "%s: not UTF-8 text", path);
		goto cleanup;
	}
	if (json_object_set_new(t->files, rel, s) < 0)
		rc = cz_fail(err, CZ_EINVALID, "%s: the name is not UTF-8",
			     path);
cleanup:
	free(data);
	return rc;
}

static int read_entry(tree_reader *t, const char *rel, int depth,
		      cz_error *err)
{
	char *path = cz_xasprintf("%s/%s", t->root, rel);
	struct stat st;
	int rc = CZ_OK;

	if (lstat(path, &st) != 0)
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		rc = read_tree(t, rel, depth + 1, err);
	else if (S_ISREG(st.st_mode) && !cli_rpkg_path_ok(rel))
		rc = cz_fail(err, CZ_EINVALID, "%s: a name a package cannot "
			     "hold", path);
	else if (S_ISREG(st.st_mode))
		rc = read_file(t, path, rel, err);
	free(path);
	return rc;
}

static int read_tree(tree_reader *t, const char *rel, int depth,
		     cz_error *err)
{
	char *dir = *rel ? cz_xasprintf("%s/%s", t->root, rel)
			 : cz_xstrdup(t->root);
	char *child = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int rc = CZ_OK;

	if (depth > RPKG_MAX_DEPTH) {
		rc = cz_fail(err, CZ_EINVALID, "%s: nested too deep", dir);
		goto cleanup;
	}
	if (!(d = opendir(dir))) {
		rc = cz_fail(err, errno == ENOENT ? CZ_ENOTFOUND : CZ_EIO,
			     "%s: %s", dir, strerror(errno));
		goto cleanup;
	}
	while (rc == CZ_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		free(child);
		child = *rel ? cz_xasprintf("%s/%s", rel, de->d_name)
			     : cz_xstrdup(de->d_name);
		rc = read_entry(t, child, depth, err);
	}
cleanup:
	if (d)
		closedir(d);
	free(child);
	free(dir);
	return rc;
}

/* The files push sends: those under dir, or standard input's in the
 * format pull prints.  *out a new object. */
static int read_input(const char *dir, json_t **out, cz_error *err)
{
	tree_reader t = { dir, NULL, 0 };
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (dir) {
		t.files = json_object();
		rc = read_tree(&t, "", 0, err);
		*out = t.files;
	} else {
		rc = cz_file_read("/dev/stdin", RPKG_MAX_PUSH, &text, &len,
				  err);
		if (rc == CZ_ETOOLARGE)
			rc = cz_fail(err, rc, "standard input: more than %u "
				     "MiB (the most one push sends)",
				     RPKG_MAX_PUSH >> 20);
		if (rc == CZ_OK)
			rc = cli_rpkg_text_read(text, len, out, err);
	}
	if (rc == CZ_OK && json_object_size(*out) == 0)
		rc = cz_fail(err, CZ_EINVALID, "%s: no files to push",
			     dir ? dir : "standard input");
	free(text);
	return rc;
}

static int push_files(rpkg_args *a, const char *name, json_t *files)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *prr = NULL, *spec;
	int rc = CLI_EXIT_OK;

	if (get_object(a, a->prrs, name, &prr, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	if (!json_is_object(spec = json_object_get(prr, "spec")))
		json_object_set_new(prr, "spec", spec = json_object());
	json_object_set(spec, "resources", files);
	rc = put_object(a, a->prrs, name, NULL, prr, &err);
	if (rc == CZ_ECONFLICT)
		cz_fail(&err, rc, "PackageRevisionResources %s/%s changed "
			"since it was read (resourceVersion %s): pull it again",
			a->ns, name, cz_meta_str(prr, "resourceVersion"));
	rc = rc < 0 ? cli_fail(&err) : CLI_EXIT_OK;
	if (rc == CLI_EXIT_OK)
		fprintf(stderr, "✓ %zu file%s pushed to %s/%s\n",
			json_object_size(files),
			json_object_size(files) == 1 ? "" : "s", a->ns, name);
cleanup:
	json_decref(prr);
	return rc;
}

static int run_push(const cli_command *cmd, rpkg_args *a, int argc,
		    char **argv)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *files = NULL;
	int rc;

	if (argc == 1 && cli_interactive()) {
		rc = cli_usage_error(cmd, "push reads the files from DIR, or "
				     "from standard input as pull prints them; "
				     "standard input is a terminal");
		goto cleanup;
	}
	if (read_input(argc == 2 ? argv[1] : NULL, &files, &err) < 0) {
		fprintf(stderr, "cozypkg: %s\n", err.msg);
		rc = err.code == CZ_EIO ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
		goto cleanup;
	}
	if ((rc = rpkg_connect(a)) != CLI_EXIT_OK)
		goto cleanup;
	rc = push_files(a, argv[0], files);
cleanup:
	json_decref(files);
	return rc;
}

/* ---- the lifecycle ------------------------------------------------------ */

/* One lifecycle verb: from[i] becomes to[i]. */
typedef struct rpkg_move {
	const char *from[2];
	const char *to[2];
	const char *sub;  /* the subresource written, or NULL */
	const char *takes; /* what the verb takes, for its refusal */
} rpkg_move;

static const rpkg_move move_propose = {
	{ "draft", NULL }, { "proposed", NULL }, NULL, "a draft",
};
static const rpkg_move move_reject = {
	{ "proposed", "deletionProposed" },
	{ "draft", "published" },
	NULL,
	"a proposed or deletionProposed revision",
};
static const rpkg_move move_propose_delete = {
	{ "published", NULL }, { "deletionProposed", NULL }, NULL,
	"a published revision",
};
static const rpkg_move move_approve = {
	{ "proposed", NULL }, { "published", NULL }, "approval",
	"a proposed revision",
};

/* The lifecycle m moves obj to from its current one, or NULL (with the
 * refusal in err); *already when obj is there already. */
static const char *next_lifecycle(const rpkg_move *m, const char *verb,
				  const json_t *obj, bool *already,
				  cz_error *err)
{
	const char *cur = spec_str(obj, "lifecycle");

	*already = !m->from[1] && strcmp(cur, m->to[0]) == 0;
	for (size_t i = 0; i < 2 && m->from[i] && !*already; i++)
		if (strcmp(cur, m->from[i]) == 0)
			return m->to[i];
	if (!*already)
		cz_fail(err, CZ_EINVALID, "cannot %s %s: it is %s (%s takes "
			"%s)", verb, cz_meta_str(obj, "name"),
			*cur ? cur : "without a lifecycle", verb, m->takes);
	return NULL;
}

/* Reads name and writes it back in the lifecycle m moves it to; a write
 * that lost a race returns CZ_ECONFLICT from the server. */
static int move_once(rpkg_args *a, const char *name, const rpkg_move *m,
		     const char *verb, cz_error *err)
{
	json_t *obj = NULL, *spec;
	char *from = NULL; /* the lifecycle as read */
	const char *to;
	bool already = false;
	int rc;

	if ((rc = get_object(a, a->revs, name, &obj, err)) < 0)
		goto cleanup;
	from = cz_xstrdup(spec_str(obj, "lifecycle"));
	to = next_lifecycle(m, verb, obj, &already, err);
	if (already) {
		fprintf(stderr, "✓ %s/%s is %s already\n", a->ns, name, from);
		goto cleanup;
	}
	if (!to) {
		rc = CZ_EINVALID; /* a refusal, not a lost race */
		goto cleanup;
	}
	spec = json_object_get(obj, "spec");
	json_object_set_new(spec, "lifecycle", json_string(to));
	/* Tasks say how a revision was made; a lifecycle change makes
	 * nothing, so they are not sent back (as pkgctl does). */
	json_object_del(spec, "tasks");
	rc = put_object(a, a->revs, name, m->sub, obj, err);
	if (rc == CZ_OK)
		fprintf(stderr, "✓ %s/%s: %s → %s\n", a->ns, name, from, to);
	else
		cz_error_prefix(err, "%s %s/%s", verb, a->ns, name);
cleanup:
	free(from);
	json_decref(obj);
	return rc;
}

/* The verb's move of its NAME, tried again once when another writer
 * changed the object between the read and the write. */
static int run_move(const cli_command *cmd, rpkg_args *a, int argc,
		    char **argv, const rpkg_move *m)
{
	const char *verb = cmd->name + strlen("rpkg ");
	cz_error err = CZ_ERROR_INIT;
	int rc;

	(void)argc;
	if ((rc = rpkg_connect(a)) != CLI_EXIT_OK)
		return rc;
	rc = move_once(a, argv[0], m, verb, &err);
	if (rc == CZ_ECONFLICT)
		rc = move_once(a, argv[0], m, verb, &err);
	return rc < 0 ? cli_fail(&err) : CLI_EXIT_OK;
}

static int run_propose(const cli_command *cmd, rpkg_args *a, int argc,
		       char **argv)
{
	return run_move(cmd, a, argc, argv, &move_propose);
}

static int run_reject(const cli_command *cmd, rpkg_args *a, int argc,
		      char **argv)
{
	return run_move(cmd, a, argc, argv, &move_reject);
}

static int run_propose_delete(const cli_command *cmd, rpkg_args *a,
			      int argc, char **argv)
{
	return run_move(cmd, a, argc, argv, &move_propose_delete);
}

static int run_approve(const cli_command *cmd, rpkg_args *a, int argc,
		       char **argv)
{
	return run_move(cmd, a, argc, argv, &move_approve);
}

/* ---- del ---------------------------------------------------------------- */

static int run_del(const cli_command *cmd, rpkg_args *a, int argc,
		   char **argv)
{
	int rc;

	(void)cmd;
	if ((rc = rpkg_connect(a)) != CLI_EXIT_OK)
		return rc;
	for (int i = 0; i < argc; i++) {
		char *path = cz_kube_path(a->revs, a->ns, argv[i], NULL, NULL);
		cz_error err = CZ_ERROR_INIT;

		if (cz_kube_delete(a->conn.kube, path, NULL, NULL, &err) < 0)
			rc = cli_fail(&err);
		else
			fprintf(stderr, "✓ PackageRevision %s/%s deleted\n",
				a->ns, argv[i]);
		free(path);
	}
	return rc;
}

/* ---- history and rollback ----------------------------------------------- */

static int cmp_by_revision(const void *x, const void *y)
{
	cz_revid a, b;
	unsigned long na, nb;

	cz_revid_of(*(json_t *const *)x, &a);
	cz_revid_of(*(json_t *const *)y, &b);
	na = cz_revid_number(a.revision);
	nb = cz_revid_number(b.revision);
	return na < nb ? -1 : na > nb;
}

/* "?fieldSelector=" of the package of the revision obj; malloc'ed. */
static char *package_query(const json_t *obj)
{
	cz_revid id;
	cz_buf sel;
	char *esc, *query;

	cz_revid_of(obj, &id);
	cz_buf_init(&sel, CZ_BUF_UNLIMITED);
	cz_buf_printf(&sel,
		      "spec.packageRevID.target=%s,spec.packageRevID."
		      "repository=%s,spec.packageRevID.realm=%s,"
		      "spec.packageRevID.package=%s",
		      id.target, id.repository, id.realm, id.package);
	esc = cz_kube_escape(sel.data);
	query = cz_xasprintf("fieldSelector=%s", esc);
	free(esc);
	cz_buf_release(&sel);
	return query;
}

/* The revisions of the package of the revision name that have a number
 * (published or proposed for deletion), oldest first, in *out (a new
 * array); the revision name itself in *self. */
static int package_revisions(rpkg_args *a, const char *name, json_t **self,
			     json_t **out, cz_error *err)
{
	json_t *list = NULL, *it, **v = NULL;
	char *query = NULL, *path = NULL;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	if ((rc = get_object(a, a->revs, name, self, err)) < 0)
		goto cleanup;
	query = package_query(*self);
	path = cz_kube_path(a->revs, a->ns, NULL, NULL, query);
	if ((rc = cz_kube_get(a->conn.kube, path, &list, err)) < 0)
		goto cleanup;
	v = cz_xcalloc(json_array_size(json_object_get(list, "items")) + 1,
		       sizeof(*v));
	json_array_foreach (json_object_get(list, "items"), i, it) {
		cz_revid id;

		cz_revid_of(it, &id);
		if (cz_revid_number(id.revision))
			v[n++] = it;
	}
	cz_sort(v, n, sizeof(*v), cmp_by_revision);
	*out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(*out, v[i]);
cleanup:
	free(v);
	json_decref(list);
	free(query);
	free(path);
	return rc;
}

static const char *status_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(
		json_object_get(json_object_get(obj, "status"), key));

	return s && *s ? s : "-";
}

static int write_history(const json_t *items)
{
	static const char *const head[] = {
		"REVISION",  "LIFECYCLE", "PUBLISHED-BY", "PUBLISHED",
		"COMMIT",    "INSTALLED", "NAME",
	};
	cli_table t;
	size_t i;
	json_t *r;

	cli_table_init(&t, 7);
	cli_table_row(&t, head);
	json_array_foreach (items, i, r) {
		const json_t *gate = cz_condition(r, CZ_GATE_INSTALL);
		const char *installed = json_string_value(
			json_object_get(gate, "status"));
		char commit[13];
		const char *cells[7];
		cz_revid id;

		cz_revid_of(r, &id);
		snprintf(commit, sizeof(commit), "%s",
			 status_str(r, "commit"));
		cells[0] = id.revision;
		cells[1] = spec_str(r, "lifecycle");
		cells[2] = status_str(r, "publishedBy");
		cells[3] = status_str(r, "publishTimestamp");
		cells[4] = commit;
		cells[5] = installed ? installed : "-";
		cells[6] = cz_meta_str(r, "name");
		cli_table_row(&t, cells);
	}
	return cli_table_print(&t);
}

static int run_history(const cli_command *cmd, rpkg_args *a, int argc,
		       char **argv)
{
	static const char *const formats[] = { "table", "yaml", "json", NULL };
	cz_error err = CZ_ERROR_INIT;
	json_t *self = NULL, *items = NULL, *list = NULL;
	int rc = cli_check_format(cmd, a->format, formats);

	(void)argc;
	if (rc == CLI_EXIT_OK)
		rc = rpkg_connect(a);
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	if (package_revisions(a, argv[0], &self, &items, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	if (strcmp(a->format, "table") == 0) {
		rc = write_history(items);
		goto cleanup;
	}
	list = json_pack("{s:s, s:s, s:{}, s:O}", "apiVersion",
			 a->revs->group_version, "kind", "PackageRevisionList",
			 "metadata", "items", items);
	rc = cli_write_object(list, a->format);
cleanup:
	json_decref(list);
	json_decref(items);
	json_decref(self);
	return rc;
}

/* The revision numbered rev among items (borrowed), or NULL. */
static json_t *find_revision(const json_t *items, const char *rev)
{
	size_t i;
	json_t *r;

	json_array_foreach (items, i, r) {
		cz_revid id;

		cz_revid_of(r, &id);
		if (strcmp(id.revision, rev) == 0)
			return r;
	}
	return NULL;
}

/* The draft rollback makes: the package of self in a new workspace
 * "rollback-<to>-from-<latest>" (unique: the latest number moves with
 * every publish), unless a --workspace was given, with the latest
 * revision's readiness gates; *name malloc'ed. */
static json_t *rollback_draft(rpkg_args *a, const json_t *self,
			      const json_t *items, const char *to,
			      char **name)
{
	cz_revid id;
	cli_rpkg_id rid;
	char ws[64];
	const char *given = a->fields[OPT_WORKSPACE - OPT_TARGET];
	json_t *latest = json_array_get(items, json_array_size(items) - 1);
	json_t *obj;

	cz_revid_of(latest, &id);
	snprintf(ws, sizeof(ws), "rollback-%s-from-%s", to, id.revision);
	cz_revid_of(self, &rid.id);
	rid.id.workspace = given ? given : ws;
	rid.id.revision = "";
	*name = cz_revid_name(&rid.id);
	obj = new_draft(a, *name, &rid, "init");
	/* The gates decide what happens once published (install): the
	 * rollback goes the way the latest revision went. */
	if (obj && json_object_get(json_object_get(latest, "spec"),
				   "readinessGates"))
		json_object_set(json_object_get(obj, "spec"), "readinessGates",
				json_object_get(json_object_get(latest, "spec"),
						"readinessGates"));
	return obj;
}

/* Publishes the content of revision to of the package of self as a new
 * revision, through a draft that goes the usual way (propose, approve):
 * history stays linear and the approval rule holds. */
static int roll_back(rpkg_args *a, const json_t *self, const json_t *items,
		     const char *to, cz_error *err)
{
	const json_t *src = find_revision(items, to);
	json_t *prr = NULL, *draft = NULL, *done = NULL;
	char *name = NULL;
	cz_revid id;
	int rc = CZ_OK;

	if (!src) {
		rc = cz_fail(err, CZ_ENOTFOUND, "%s: its package has no "
			     "revision %s (see cozypkg rpkg history %s)",
			     cz_meta_str(self, "name"), to,
			     cz_meta_str(self, "name"));
		goto cleanup;
	}
	cz_revid_of(json_array_get(items, json_array_size(items) - 1), &id);
	if (strcmp(id.revision, to) == 0) {
		fprintf(stderr, "✓ %s is the latest revision already: nothing "
			"to roll back\n", to);
		goto cleanup;
	}
	if ((rc = get_object(a, a->prrs, cz_meta_str(src, "name"), &prr,
			     err)) < 0)
		goto cleanup;
	draft = rollback_draft(a, self, items, to, &name);
	if (create_draft(a, name, draft) != CLI_EXIT_OK) {
		rc = cz_fail(err, CZ_EIO, "rollback stopped: no draft");
		goto cleanup;
	}
	if (push_files(a, name, json_object_get(json_object_get(prr, "spec"),
						"resources")) != CLI_EXIT_OK) {
		rc = cz_fail(err, CZ_EIO, "rollback stopped: the draft %s/%s "
			     "keeps its initial files", a->ns, name);
		goto cleanup;
	}
	rc = move_once(a, name, &move_propose, "propose", err);
	if (rc == CZ_OK)
		rc = move_once(a, name, &move_approve, "approve", err);
	if (rc == CZ_OK)
		rc = get_object(a, a->revs, name, &done, err);
	if (rc == CZ_OK) {
		cz_revid_of(done, &id);
		fprintf(stderr, "✓ %s/%s published as %s with the content of "
			"%s\n", a->ns, name, id.revision, to);
	}
cleanup:
	json_decref(done);
	json_decref(draft);
	json_decref(prr);
	free(name);
	return rc;
}

static int run_rollback(const cli_command *cmd, rpkg_args *a, int argc,
			char **argv)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *self = NULL, *items = NULL;
	const char *ws = a->fields[OPT_WORKSPACE - OPT_TARGET];
	cz_revid check = { "t", "r", "r", "p", ws, "" };
	int rc = CLI_EXIT_OK;

	(void)argc;
	if (!a->to || !cz_revid_number(a->to))
		rc = cli_usage_error(cmd, "--to: expected a revision vN");
	else if (ws && cz_revid_check(&check, &err) < 0)
		rc = cli_usage_error(cmd, "--workspace: %s", err.msg);
	if (rc == CLI_EXIT_OK)
		rc = rpkg_connect(a);
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	if (package_revisions(a, argv[0], &self, &items, &err) < 0 ||
	    roll_back(a, self, items, a->to, &err) < 0)
		rc = cli_fail(&err);
cleanup:
	json_decref(items);
	json_decref(self);
	return rc;
}

/* ---- the verbs ---------------------------------------------------------- */

/* A verb: its help (cmd, named "rpkg VERB" so that usage errors point at
 * the verb's --help), how many arguments it takes and what runs it. */
typedef struct rpkg_verb {
	cli_command cmd;
	int min_args, max_args; /* max_args -1: no limit */
	int (*run)(const cli_command *cmd, rpkg_args *a, int argc,
		   char **argv);
} rpkg_verb;

static int run_get(const cli_command *cmd, rpkg_args *a, int argc,
		   char **argv)
{
	static const char *const formats[] = { "table", "yaml", "json", NULL };
	const char *life = a->fields[OPT_LIFECYCLE - OPT_TARGET];
	int rc = cli_check_format(cmd, a->format, formats);

	if (rc == CLI_EXIT_OK && life &&
	    cz_lifecycle_parse(life) == CZ_LC_INVALID)
		rc = cli_usage_error(cmd, "--lifecycle: expected draft, "
				     "proposed, published or deletionProposed, "
				     "got \"%s\"", life);
	if (rc == CLI_EXIT_OK)
		rc = rpkg_connect(a);
	return rc == CLI_EXIT_OK ? do_get(a, argc, argv) : rc;
}

#define RPKG_EXIT_CODES "\n\nExit codes: 0 done, 1 failed, 2 usage."

static const rpkg_verb verbs[] = {
	{ { .name = "rpkg get",
	    .summary = "List PackageRevisions",
	    .usage = "rpkg get [NAME...] [--repository R] [--target T] "
		     "[--realm R] [--package P] [--revision V] [--workspace W] "
		     "[--lifecycle L] [-o table|yaml|json]",
	    .description =
		    "Lists the PackageRevisions of the namespace, sorted by "
		    "name, or those named (a name not there is an error).  "
		    "The options select on spec.packageRevID and "
		    "spec.lifecycle, all of them at once, on the "
		    "server." RPKG_EXIT_CODES,
	    .opts = get_opts,
	    .examples = "  cozypkg rpkg get --repository catalog --lifecycle "
			"published\n"
			"  cozypkg rpkg get catalog.catalog.nf.example.ws1 -o "
			"yaml\n" },
	  0, -1, run_get },
	{ { .name = "rpkg init",
	    .summary = "Create a draft PackageRevision from nothing",
	    .usage = "rpkg init NAME | rpkg init --target T --repository R "
		     "--realm R --package P --workspace W",
	    .description =
		    "Creates a draft with one init task.  NAME is "
		    "TARGET.REPOSITORY.REALM.PACKAGE.WORKSPACE with the "
		    "realm's / written : (catalog packages have the target "
		    "catalog); or the options give the parts and make the "
		    "name." RPKG_EXIT_CODES,
	    .opts = init_opts,
	    .examples = "  cozypkg rpkg init catalog.catalog.nf:core.example.ws1"
			"\n"
			"  cozypkg rpkg init --target catalog --repository "
			"catalog --realm nf/core --package example --workspace "
			"ws1\n" },
	  0, 1, run_init },
	{ { .name = "rpkg clone",
	    .summary = "Create a draft PackageRevision from a published one",
	    .usage = "rpkg clone TARGET-NAME SOURCE-NAME",
	    .description =
		    "Creates the draft TARGET-NAME (named as for init) with "
		    "one clone task and spec.upstream naming the published "
		    "revision SOURCE-NAME; a source that is not published is "
		    "refused." RPKG_EXIT_CODES,
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg clone edge1.deploy.nf.example.ws1 "
			"catalog.catalog.nf.example.v1\n" },
	  2, 2, run_clone },
	{ { .name = "rpkg pull",
	    .summary = "Write a PackageRevision's files",
	    .usage = "rpkg pull NAME [DIR]",
	    .description =
		    "Writes each file of the PackageRevisionResources NAME "
		    "under DIR (created; other files there are left alone), "
		    "or prints them, in path order, each after a line \""
		    RPKG_HEADER "FILE\".  In that text a content line that "
		    "starts with \"" RPKG_HEADER "\" or a backslash gets one "
		    "more backslash in front, and a file without a final "
		    "newline ends with the line \"" RPKG_NO_NEWLINE "\"; push "
		    "reads it back to the same bytes.  A path that is "
		    "absolute or holds \"..\" or \".git\" is "
		    "refused." RPKG_EXIT_CODES,
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg pull catalog.catalog.nf.example.ws1 "
			"./example\n"
			"  cozypkg rpkg pull catalog.catalog.nf.example.ws1 > "
			"example.txt\n" },
	  1, 2, run_pull },
	{ { .name = "rpkg push",
	    .summary = "Replace a draft's files",
	    .usage = "rpkg push NAME [DIR]",
	    .description =
		    "Replaces the files of the PackageRevisionResources NAME "
		    "with every regular file under DIR (.git and symbolic "
		    "links left out), or with those of the text pull prints, "
		    "read from standard input; UTF-8 text only, at most 16 "
		    "MiB.  The write carries the "
		    "resourceVersion read, so a change made meanwhile is an "
		    "error, not overwritten.\n\nExit codes: 0 done, 1 "
		    "failed, 2 usage or unreadable input.",
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg push catalog.catalog.nf.example.ws1 "
			"./example\n"
			"  cozypkg rpkg push catalog.catalog.nf.example.ws1 < "
			"example.txt\n" },
	  1, 2, run_push },
	{ { .name = "rpkg propose",
	    .summary = "Propose a draft for approval",
	    .usage = "rpkg propose NAME",
	    .description = "Moves a draft to proposed." RPKG_EXIT_CODES,
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg propose catalog.catalog.nf.example.ws1"
			"\n" },
	  1, 1, run_propose },
	{ { .name = "rpkg reject",
	    .summary = "Send a proposal back",
	    .usage = "rpkg reject NAME",
	    .description = "Moves a proposed revision back to draft, or a "
			   "deletionProposed one back to "
			   "published." RPKG_EXIT_CODES,
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg reject catalog.catalog.nf.example.ws1"
			"\n" },
	  1, 1, run_reject },
	{ { .name = "rpkg approve",
	    .summary = "Publish a proposed revision",
	    .usage = "rpkg approve NAME",
	    .description = "Moves a proposed revision to published through "
			   "the approval subresource, which the server "
			   "allows to approvers only." RPKG_EXIT_CODES,
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg approve catalog.catalog.nf.example.ws1"
			"\n" },
	  1, 1, run_approve },
	{ { .name = "rpkg propose-delete",
	    .summary = "Propose deleting a published revision",
	    .usage = "rpkg propose-delete NAME",
	    .description = "Moves a published revision to deletionProposed; "
			   "del then deletes it." RPKG_EXIT_CODES,
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg propose-delete "
			"catalog.catalog.nf.example.v1\n" },
	  1, 1, run_propose_delete },
	{ { .name = "rpkg del",
	    .summary = "Delete PackageRevisions",
	    .usage = "rpkg del NAME...",
	    .description = "Deletes each PackageRevision named; one that "
			   "cannot be deleted is reported and the others "
			   "are still deleted." RPKG_EXIT_CODES,
	    .opts = plain_opts,
	    .examples = "  cozypkg rpkg del catalog.catalog.nf.example.ws1\n" },
	  1, -1, run_del },
	{ { .name = "rpkg history",
	    .summary = "List the published revisions of a package",
	    .usage = "rpkg history NAME [-o table|yaml|json]",
	    .description =
		    "Lists every numbered revision (published or proposed for "
		    "deletion) of the package of the revision NAME, oldest "
		    "first: who published it and when, its commit, and "
		    "whether it is installed (the " CZ_GATE_INSTALL
		    " condition of a deployment revision)." RPKG_EXIT_CODES,
	    .opts = history_opts,
	    .examples = "  cozypkg rpkg history "
			"edge1.deploy.nf.platform.v3\n" },
	  1, 1, run_history },
	{ { .name = "rpkg rollback",
	    .summary = "Publish an earlier revision's content again",
	    .usage = "rpkg rollback NAME --to V [--workspace W]",
	    .description =
		    "Publishes the content of revision V of the package of "
		    "the revision NAME as the package's next revision: a "
		    "draft in a new workspace gets V's files, is proposed "
		    "and approved.  Nothing in git is rewritten: history "
		    "stays linear, and a deployment revision with the "
		    "install gate rolls the cluster back when it is "
		    "published.  Approving needs an approver; otherwise the "
		    "draft stays proposed for one." RPKG_EXIT_CODES,
	    .opts = rollback_opts,
	    .examples = "  cozypkg rpkg rollback edge1.deploy.nf.platform.v4 "
			"--to v2\n" },
	  1, 1, run_rollback },
};

static const rpkg_verb *find_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (strcmp(verbs[i].cmd.name + strlen("rpkg "), name) == 0)
			return &verbs[i];
	return NULL;
}

static int run_verb(const rpkg_verb *v, int argc, char **argv)
{
	rpkg_args a;
	int first = 0, n, rc;

	memset(&a, 0, sizeof(a));
	a.ns = "default";
	a.format = "table";
	rc = cli_parse(&v->cmd, argc, argv, on_opt, &a, &first);
	if (rc != CLI_EXIT_OK)
		goto cleanup;
	n = argc - first;
	if (n < v->min_args || (v->max_args >= 0 && n > v->max_args)) {
		rc = cli_usage_error(&v->cmd, "usage: cozypkg %s",
				     v->cmd.usage);
		goto cleanup;
	}
	rc = v->run(&v->cmd, &a, n, argv + first);
cleanup:
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	const rpkg_verb *v;
	int first = 0, rc;

	if (!sub || *sub == '-') {
		rpkg_args a;

		memset(&a, 0, sizeof(a));
		rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK
					    : cli_usage_error(cmd, "expected a "
							      "verb");
	}
	if (!(v = find_verb(sub)))
		return cli_usage_error(cmd, "unknown verb \"%s\" (get, init, "
				       "clone, pull, push, propose, reject, "
				       "approve, propose-delete, del, history or "
				       "rollback)", sub);
	return run_verb(v, argc - 1, argv + 1);
}

const cli_command cmd_rpkg = {
	.name = "rpkg",
	.run = run,
	.summary = "Create, edit and publish package revisions",
	.usage = "rpkg get|init|clone|pull|push|propose|reject|approve|"
		 "propose-delete|del|history|rollback ... [-n NS]",
	.description =
		"Package revisions are pkgserver's PackageRevision objects "
		"(pkg.pkgserver.dev/v1alpha1), each a package of a "
		"Repository at one step of its lifecycle: draft, proposed, "
		"published, deletionProposed.  Each step is its own verb, as "
		"in pkgctl: get lists them; init and clone create drafts; "
		"pull and push read and replace a revision's files; propose, "
		"reject, approve and propose-delete move it through the "
		"lifecycle; del deletes it; history lists a package's "
		"published revisions and rollback publishes an earlier one's "
		"content again.  A name is "
		"TARGET.REPOSITORY.REALM.PACKAGE.WORKSPACE with the realm's / "
		"written : (the target of a catalog package is catalog).  "
		"'cozypkg rpkg VERB --help' shows a verb's arguments and "
		"options.\n\nExit codes: 0 done, 1 failed, 2 usage.",
	.opts = get_opts,
	.examples = "  cozypkg rpkg init catalog.catalog.nf.example.ws1\n"
		    "  cozypkg rpkg pull catalog.catalog.nf.example.ws1 ./ex\n"
		    "  cozypkg rpkg push catalog.catalog.nf.example.ws1 ./ex\n"
		    "  cozypkg rpkg propose catalog.catalog.nf.example.ws1\n"
		    "  cozypkg rpkg approve catalog.catalog.nf.example.ws1\n"
		    "  cozypkg rpkg get --lifecycle published\n",
};
