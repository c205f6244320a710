/* cozypkg add: install packages with their dependencies, choosing every
 * variant before anything is created. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "engine/render.h"
#include "plan.h"
#include "util/buf.h"
#include "util/mem.h"

enum {
	OPT_VARIANT = CLI_LONG_ONLY + 1,
	OPT_DRY_RUN,
	OPT_WAIT,
	OPT_TIMEOUT,
	OPT_SOURCE_DIR,
};

static const cli_opt opts[] = {
	{ 'f', "file", "FILE|DIR",
	  "add the Packages and PackageSources named in FILE or DIR "
	  "(repeatable); Package documents are created as written" },
	{ OPT_VARIANT, "variant", "PKG=VARIANT",
	  "answer the variant prompt for PKG (repeatable)" },
	{ OPT_DRY_RUN, "dry-run", NULL,
	  "print the plan and the HelmReleases it would give; create nothing" },
	{ 'o', "output", "FORMAT",
	  "with --dry-run: text (default), yaml or json" },
	{ OPT_WAIT, "wait", NULL, "wait until the added Packages are Ready" },
	{ OPT_TIMEOUT, "timeout", "DURATION",
	  "how long --wait waits (default 5m)" },
	{ OPT_SOURCE_DIR, "source-dir", "DIR",
	  "local copy of the packages' source: check -f values against "
	  "each chart's values.schema.json" },
	CLI_CLUSTER_OPTIONS,
	CLI_ENGINE_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct add_args {
	const char **files;
	size_t nfiles, files_cap;
	char **variant_args; /* "PKG\0VARIANT" copies, owned */
	size_t nvariant_args, variant_args_cap;
	cz_strmap variants; /* PKG -> VARIANT, in variant_args */
	cz_strmap variant_used;
	bool dry_run;
	const char *format;
	bool wait;
	int64_t timeout_ns;
	const char *source_dir;
	cz_engine_opts engine;
	cli_conn conn;
} add_args;

typedef struct add_run {
	add_args *args;
	plan tree;
	cz_catalog files;       /* what -f gave */
	cli_names roots;        /* names to install through the tree */
	cli_names verbatim;     /* -f Packages created (or to be) as written */
	cli_names created;      /* for --wait */
	int interactive;        /* stdin is a terminal */
} add_run;

/* ---- arguments ----------------------------------------------------------- */

static int parse_variant(const cli_command *cmd, add_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *copy;

	if (!eq || eq == arg || !eq[1])
		return cli_usage_error(cmd,
				       "--variant: expected PKG=VARIANT, got "
				       "\"%s\"",
				       arg);
	/* PKG and VARIANT live in one copy, split at the '='. */
	copy = cz_xstrdup(arg);
	copy[eq - arg] = '\0';
	CZ_GROW(a->variant_args, a->nvariant_args + 1, a->variant_args_cap);
	a->variant_args[a->nvariant_args++] = copy;
	/* A later --variant for the same package wins. */
	cz_strmap_put(&a->variants, copy, copy + (eq - arg) + 1);
	return CLI_EXIT_OK;
}

static int parse_option(void *ctx, int c, const char *arg)
{
	add_args *a = ctx;
	cz_error err = CZ_ERROR_INIT;
	bool handled = false;
	int rc;

	switch (c) {
	case 'f':
		CZ_GROW(a->files, a->nfiles + 1, a->files_cap);
		a->files[a->nfiles++] = arg;
		return CLI_EXIT_OK;
	case OPT_VARIANT:
		return parse_variant(&cmd_add, a, arg);
	case OPT_DRY_RUN:
		a->dry_run = true;
		return CLI_EXIT_OK;
	case 'o':
		a->format = arg;
		return CLI_EXIT_OK;
	case OPT_WAIT:
		a->wait = true;
		return CLI_EXIT_OK;
	case OPT_TIMEOUT:
		if (cz_duration_parse(arg, &a->timeout_ns, &err) < 0 ||
		    a->timeout_ns <= 0)
			return cli_usage_error(&cmd_add, "--timeout: %s",
					       err.code ? err.msg
							: "must be positive");
		return CLI_EXIT_OK;
	case OPT_SOURCE_DIR:
		a->source_dir = arg;
		return CLI_EXIT_OK;
	}
	if (cli_conn_option(&a->conn, c, arg))
		return CLI_EXIT_OK;
	rc = cli_engine_option(&cmd_add, c, arg, &a->engine, &handled);
	return handled ? rc : CLI_EXIT_USAGE;
}

/* Returns CLI_HELP_SHOWN after --help, else a CLI exit code; *first is
 * the index of the first package name. */
static int parse_args(const cli_command *cmd, int argc, char **argv,
		      add_args *a, int *first)
{
	static const char *const formats[] = { "text", "yaml", "json", NULL };
	int rc = cli_parse(cmd, argc, argv, parse_option, a, first);

	if (rc == CLI_EXIT_OK)
		rc = cli_check_format(cmd, a->format, formats);
	if (rc == CLI_EXIT_OK && a->dry_run && a->wait)
		rc = cli_usage_error(cmd, "--wait and --dry-run exclude each "
					  "other");
	return rc;
}

/* ---- Package documents from -f, created as written ------------------------ */

static int create_verbatim(add_run *r, const cz_package *pkg, bool *done)
{
	cz_error err = CZ_ERROR_INIT;
	char *path = cz_kube_path(cli_res_packages(), NULL, NULL, NULL, NULL);
	json_t *existing = NULL;
	int rc;

	*done = false;
	if (r->args->dry_run) {
		rc = cli_get(&r->args->conn, cli_res_packages(), pkg->name,
			     &existing, &err);
		json_decref(existing);
		if (rc == CZ_ENOTFOUND)
			*done = true;
		rc = rc == CZ_ENOTFOUND ? CZ_OK : rc;
	} else {
		rc = cz_kube_create(r->args->conn.kube, path, pkg->object, NULL,
				    &err);
		if (rc == CZ_OK) {
			fprintf(stderr, "✓ Added Package %s\n", pkg->name);
			*done = true;
		}
	}
	free(path);
	/* An existing Package is reported by the tree walk, as the
	 * reference does; any other refusal (an invalid spec, say) is an
	 * error, not a reason to drop the document's values silently. */
	if (rc == CZ_EEXISTS)
		return CLI_EXIT_OK;
	return rc < 0 ? cli_fail(&err) : CLI_EXIT_OK;
}

static int add_verbatim(add_run *r)
{
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; i < r->files.npackages && rc == CLI_EXIT_OK; i++) {
		const cz_package *pkg = r->files.packages[i];
		bool done = false;

		rc = create_verbatim(r, pkg, &done);
		if (done) {
			cli_names_add(&r->verbatim, pkg->name);
			cli_names_add(&r->created, pkg->name);
		}
	}
	return rc;
}

/* ---- choosing variants ---------------------------------------------------- */

static json_t *variant_list(const json_t *source)
{
	return json_object_get(json_object_get(source, "spec"), "variants");
}

static const char *variant_at(const json_t *variants, size_t i)
{
	return json_string_value(
		json_object_get(json_array_get(variants, i), "name"));
}

static void join_variants(const json_t *variants, cz_buf *out)
{
	for (size_t i = 0; i < json_array_size(variants); i++)
		cz_buf_printf(out, "%s%s", i ? ", " : "",
			      variant_at(variants, i));
}

/* The numbered prompt of the reference, asked until the answer is valid. */
static int prompt_variant(plan_node *n, const json_t *variants)
{
	size_t count = json_array_size(variants);
	char question[64];

	fprintf(stderr, "\nPackageSource: %s\nAvailable variants:\n", n->name);
	for (size_t i = 0; i < count; i++)
		fprintf(stderr, "  %zu. %s\n", i + 1, variant_at(variants, i));
	if (count == 1)
		snprintf(question, sizeof(question), "Select variant [1]: ");
	else
		snprintf(question, sizeof(question),
			 "Select variant (1-%zu): ", count);
	for (;;) {
		char *answer = cli_ask(question), *end = NULL;
		long choice = 0;

		if (!answer) {
			fprintf(stderr, "\ncozypkg: cancelled: no variant "
					"chosen for %s\n",
				n->name);
			return CLI_EXIT_CANCELLED;
		}
		if (!*answer && count == 1)
			choice = 1;
		else if (*answer)
			choice = strtol(answer, &end, 10);
		if (end && *end)
			choice = 0;
		free(answer);
		if (choice >= 1 && (size_t)choice <= count) {
			n->variant = variant_at(variants, (size_t)choice - 1);
			return CLI_EXIT_OK;
		}
		fprintf(stderr, "Invalid choice. Please enter a number between "
				"1 and %zu.\n",
			count);
	}
}

static int choose_from_flag(add_run *r, plan_node *n, const json_t *variants,
			    char *wanted)
{
	cz_buf names;
	int rc;

	cz_strmap_put(&r->args->variant_used, n->name, wanted);
	for (size_t i = 0; i < json_array_size(variants); i++) {
		if (strcmp(variant_at(variants, i), wanted) == 0) {
			n->variant = variant_at(variants, i);
			fprintf(stderr, "PackageSource %s: variant %s "
					"(--variant)\n",
				n->name, wanted);
			return CLI_EXIT_OK;
		}
	}
	cz_buf_init(&names, CZ_BUF_UNLIMITED);
	join_variants(variants, &names);
	rc = cli_usage_error(&cmd_add,
			     "--variant %s=%s: PackageSource %s has no variant "
			     "\"%s\" (it has: %s)",
			     n->name, wanted, n->name, wanted, names.data);
	cz_buf_release(&names);
	return rc;
}

static int choose_without_terminal(plan_node *n, const json_t *variants)
{
	cz_buf names;

	if (json_array_size(variants) == 1) {
		n->variant = variant_at(variants, 0);
		fprintf(stderr, "PackageSource %s: variant %s (its only one)\n",
			n->name, n->variant);
		return CLI_EXIT_OK;
	}
	cz_buf_init(&names, CZ_BUF_UNLIMITED);
	join_variants(variants, &names);
	fprintf(stderr,
		"cozypkg: PackageSource %s has %zu variants (%s) and stdin is "
		"not a terminal: choose one with --variant %s=VARIANT\n",
		n->name, json_array_size(variants), names.data, n->name);
	cz_buf_release(&names);
	return CLI_EXIT_USAGE;
}

static void report_installed(add_run *r, plan_node *n)
{
	const char *v = json_string_value(json_object_get(
		json_object_get(n->package, "spec"), "variant"));
	char *wanted = cz_strmap_get(&r->args->variants, n->name);

	v = v && *v ? v : "default";
	fprintf(stderr, "✓ %s (already installed, variant: %s)\n", n->name, v);
	if (wanted) {
		cz_strmap_put(&r->args->variant_used, n->name, wanted);
		if (strcmp(wanted, v) != 0)
			fprintf(stderr, "⚠ --variant %s=%s not applied: add "
					"does not change installed Packages\n",
				n->name, wanted);
	}
}

static int choose(void *ctx, plan_node *n)
{
	add_run *r = ctx;
	const json_t *variants;
	char *wanted;

	if (n->reported)
		return CLI_EXIT_OK;
	n->reported = true;
	if (n->package) {
		report_installed(r, n);
		return CLI_EXIT_OK;
	}
	if (!n->source) {
		fprintf(stderr, "cozypkg: PackageSource %s not found (required "
				"by %s)\n",
			n->name, n->required_by ? n->required_by : n->name);
		return CLI_EXIT_FAILED;
	}
	variants = variant_list(n->source);
	if (json_array_size(variants) == 0) {
		fprintf(stderr, "cozypkg: PackageSource %s has no variants\n",
			n->name);
		return CLI_EXIT_FAILED;
	}
	wanted = cz_strmap_get(&r->args->variants, n->name);
	if (wanted)
		return choose_from_flag(r, n, variants, wanted);
	if (!r->interactive)
		return choose_without_terminal(n, variants);
	return prompt_variant(n, variants);
}

static int check_variant_flags(add_run *r)
{
	const char *name;
	void *value;

	for (size_t i = 0; cz_strmap_next(&r->args->variants, &i, &name,
					  &value);)
		if (!cz_strmap_has(&r->args->variant_used, name))
			return cli_usage_error(&cmd_add,
					       "--variant %s=%s: %s is not "
					       "among the packages to add or "
					       "their dependencies",
					       name, (const char *)value, name);
	return CLI_EXIT_OK;
}

static int choose_all(add_run *r)
{
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; i < r->roots.len && rc == CLI_EXIT_OK; i++) {
		fprintf(stderr, "Installing %s and its dependencies...\n",
			r->roots.items[i]);
		rc = plan_walk(&r->tree, r->roots.items[i], choose, r);
	}
	return rc == CLI_EXIT_OK ? check_variant_flags(r) : rc;
}

/* ---- the new Packages ----------------------------------------------------- */

static json_t *new_package(const plan_node *n)
{
	return json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion",
			 "cozystack.io/v1alpha1", "kind", "Package", "metadata",
			 "name", n->name, "spec", "variant", n->variant);
}

/* A node the tree creates: a variant was chosen and it is not installed. */
static bool chosen(const plan_node *node)
{
	return node && node->variant && !node->package;
}

/* The nodes to create, in install order. */
static size_t planned(add_run *r, plan_node **out)
{
	size_t n = 0;

	for (size_t i = 0; i < r->tree.nordered; i++) {
		plan_node *node = plan_node_get(
			&r->tree, r->tree.graph.names[r->tree.order[i]]);

		if (chosen(node))
			out[n++] = node;
	}
	return n;
}

static int create_all(add_run *r)
{
	plan_node **todo = cz_xcalloc(r->tree.nnodes + 1, sizeof(*todo));
	size_t n = planned(r, todo);
	char *path = cz_kube_path(cli_res_packages(), NULL, NULL, NULL, NULL);
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++) {
		cz_error err = CZ_ERROR_INIT;
		json_t *obj = new_package(todo[i]);

		if (cz_kube_create(r->args->conn.kube, path, obj, NULL, &err) <
		    0) {
			rc = cli_fail(&err);
		} else {
			fprintf(stderr, "✓ Added Package %s\n", todo[i]->name);
			cli_names_add(&r->created, todo[i]->name);
		}
		json_decref(obj);
	}
	free(path);
	free(todo);
	return rc;
}

/* ---- --dry-run ------------------------------------------------------------ */

/* The catalog the plan would leave: the tree's sources, its installed
 * Packages, and the new ones. */
static void plan_catalog(add_run *r, plan_node **todo, size_t n,
			 cz_catalog *cat)
{
	for (size_t i = 0; i < r->tree.nnodes; i++) {
		if (r->tree.nodes[i].source)
			cz_catalog_put_source(cat, r->tree.nodes[i].source);
		if (r->tree.nodes[i].package)
			cz_catalog_put_package(cat, r->tree.nodes[i].package);
	}
	for (size_t i = 0; i < r->files.npackages; i++)
		if (cz_strmap_has(&r->verbatim.seen, r->files.packages[i]->name))
			cz_catalog_put_package(cat,
					       r->files.packages[i]->object);
	for (size_t i = 0; i < n; i++) {
		json_t *obj = new_package(todo[i]);

		cz_catalog_put_package(cat, obj);
		json_decref(obj);
	}
	cz_catalog_finish(cat);
}

/* A Package the plan creates: from -f as written, or chosen in the tree. */
static bool is_new(add_run *r, const char *name)
{
	return cz_strmap_has(&r->verbatim.seen, name) ||
	       chosen(plan_node_get(&r->tree, name));
}

/* HelmReleases of the new Packages, as the engine writes them. */
static json_t *plan_releases(add_run *r, const cz_catalog *cat)
{
	json_t *out = json_array();
	cz_render rd;
	cz_diags diags;

	cz_diags_init(&diags);
	cz_render_run(&rd, cat, &r->args->engine, &diags);
	for (size_t i = 0; i < rd.nresults; i++) {
		const cz_reconcile *res = &rd.results[i];

		if (!is_new(r, res->package->name))
			continue;
		for (size_t k = 0; k < res->nreleases; k++)
			json_array_append_new(
				out, cz_helmrelease_json(&rd.engine,
							 &res->releases[k],
							 NULL));
	}
	cz_render_release(&rd);
	cz_diags_release(&diags);
	return out;
}

static void text_packages(add_run *r, plan_node **todo, size_t n, cz_buf *b)
{
	cli_table t;
	const char *head[] = { "  #", "PACKAGE", "VARIANT", "FROM" };

	cz_buf_printf(b, "Packages to add, in install order:\n");
	cli_table_init(&t, 4);
	cli_table_row(&t, head);
	for (size_t i = 0; i < r->verbatim.len; i++) {
		char num[24];
		const cz_package *pkg =
			cz_catalog_package(&r->files, r->verbatim.items[i]);
		const char *row[] = { num, pkg->name, pkg->variant,
				      pkg->origin.file };

		snprintf(num, sizeof(num), "  %zu", i + 1);
		cli_table_row(&t, row);
	}
	for (size_t i = 0; i < n; i++) {
		char num[24];
		const char *row[] = { num, todo[i]->name, todo[i]->variant,
				      "" };

		snprintf(num, sizeof(num), "  %zu", r->verbatim.len + i + 1);
		cli_table_row(&t, row);
	}
	cli_table_write(&t, b);
	cli_table_release(&t);
}

static void text_releases(const json_t *releases, cz_buf *b)
{
	const char *head[] = { "  NAMESPACE", "NAME", "PACKAGE", "DEPENDS ON" };
	cli_table t;
	size_t i;
	json_t *hr;

	cz_buf_printf(b, "\nHelmReleases they would give (%zu):\n",
		      json_array_size(releases));
	cli_table_init(&t, 4);
	cli_table_row(&t, head);
	json_array_foreach (releases, i, hr) {
		json_t *meta = json_object_get(hr, "metadata");
		json_t *deps = json_object_get(json_object_get(hr, "spec"),
					       "dependsOn");
		char *ns = cz_xasprintf("  %s",
					cz_meta_str(hr, "namespace"));
		cz_buf d;
		size_t k;
		json_t *dep;

		cz_buf_init(&d, CZ_BUF_UNLIMITED);
		json_array_foreach (deps, k, dep)
			cz_buf_printf(&d, "%s%s/%s", k ? "," : "",
				      json_string_value(
					      json_object_get(dep, "namespace")),
				      json_string_value(
					      json_object_get(dep, "name")));
		const char *row[] = {
			ns, json_string_value(json_object_get(meta, "name")),
			cz_label(hr, "cozystack.io/package"), d.data
		};
		cli_table_row(&t, row);
		cz_buf_release(&d);
		free(ns);
	}
	cli_table_write(&t, b);
	cli_table_release(&t);
}

static int print_plan(add_run *r)
{
	plan_node **todo = cz_xcalloc(r->tree.nnodes + 1, sizeof(*todo));
	size_t n = planned(r, todo);
	cz_catalog cat;
	json_t *releases, *list;
	cz_buf b;
	int rc;

	cz_catalog_init(&cat);
	plan_catalog(r, todo, n, &cat);
	releases = plan_releases(r, &cat);
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	if (strcmp(r->args->format, "text") == 0) {
		text_packages(r, todo, n, &b);
		text_releases(releases, &b);
		rc = cli_write_stdout(b.data, b.len);
	} else {
		list = json_pack("{s:s, s:s, s:[]}", "apiVersion", "v1", "kind",
				 "List", "items");
		for (size_t i = 0; i < r->verbatim.len; i++)
			json_array_append(
				json_object_get(list, "items"),
				cz_catalog_package(&r->files,
						   r->verbatim.items[i])
					->object);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(json_object_get(list, "items"),
					      new_package(todo[i]));
		json_array_extend(json_object_get(list, "items"), releases);
		rc = cli_write_object(list, r->args->format);
		json_decref(list);
	}
	cz_buf_release(&b);
	json_decref(releases);
	cz_catalog_release(&cat);
	free(todo);
	return rc;
}

/* ---- --wait --------------------------------------------------------------- */

static int wait_ready(add_run *r)
{
	return cli_wait_ready(&r->args->conn, &r->created,
			      r->args->timeout_ns ? r->args->timeout_ns
						  : CLI_DEFAULT_WAIT_NS);
}

/* ---- the command ----------------------------------------------------------- */

static int collect_names(add_run *r, char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cli_names_add(&r->roots, names[i]);
	cli_names_from_catalog(&r->roots, &r->files);
	if (!r->roots.len)
		return cli_usage_error(&cmd_add, "no packages specified");
	return CLI_EXIT_OK;
}

/* The names left for the tree once -f Packages were created as written. */
static void drop_verbatim(add_run *r)
{
	cli_names rest;

	cli_names_init(&rest);
	for (size_t i = 0; i < r->roots.len; i++)
		if (!cz_strmap_has(&r->verbatim.seen, r->roots.items[i]))
			cli_names_add(&rest, r->roots.items[i]);
	cli_names_release(&r->roots);
	r->roots = rest;
}

static int add(add_run *r, char **names, size_t n)
{
	int rc;

	if (r->args->nfiles &&
	    (rc = cli_load_files(r->args->files, r->args->nfiles, &r->files)) !=
		    CLI_EXIT_OK)
		return rc;
	if ((rc = collect_names(r, names, n)) != CLI_EXIT_OK)
		return rc;
	if ((rc = cli_connect(&r->args->conn)) != CLI_EXIT_OK)
		return rc;
	if (r->args->source_dir &&
	    (rc = cli_check_values(&r->files, &r->args->conn,
				   r->args->source_dir)) != CLI_EXIT_OK)
		return rc;
	if ((rc = add_verbatim(r)) != CLI_EXIT_OK)
		return rc;
	drop_verbatim(r);
	if ((rc = plan_build(&r->tree, &r->args->conn, &r->roots)) !=
		    CLI_EXIT_OK ||
	    (rc = choose_all(r)) != CLI_EXIT_OK)
		return rc;
	if (r->args->dry_run)
		return print_plan(r);
	if ((rc = create_all(r)) != CLI_EXIT_OK)
		return rc;
	return r->args->wait ? wait_ready(r) : CLI_EXIT_OK;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	add_args a;
	add_run r;
	int first = 0, rc;

	memset(&a, 0, sizeof(a));
	a.format = "text";
	cz_engine_opts_default(&a.engine);
	memset(&r, 0, sizeof(r));
	r.args = &a;
	r.interactive = cli_interactive();
	plan_init(&r.tree);
	cz_catalog_init(&r.files);
	cli_names_init(&r.roots);
	cli_names_init(&r.verbatim);
	cli_names_init(&r.created);
	rc = parse_args(cmd, argc, argv, &a, &first);
	if (rc == CLI_EXIT_OK)
		rc = add(&r, argv + first, (size_t)(argc - first));
	rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	cli_names_release(&r.created);
	cli_names_release(&r.verbatim);
	cli_names_release(&r.roots);
	cz_catalog_release(&r.files);
	plan_release(&r.tree);
	cli_conn_close(&a.conn);
	cz_strmap_release(&a.variants);
	cz_strmap_release(&a.variant_used);
	for (size_t i = 0; i < a.nvariant_args; i++)
		free(a.variant_args[i]);
	free(a.variant_args);
	free(a.files);
	return rc;
}

const cli_command cmd_add = {
	.name = "add",
	.run = run,
	.summary = "Install packages and their dependencies",
	.usage = "add [PKG]... [-f FILE|DIR]... [--variant PKG=VARIANT]... "
		 "[--dry-run] [--wait]",
	.description =
		"Installs each PKG with every package it depends on (the union of "
		"dependsOn over\nall variants of its PackageSource), dependencies "
		"first.  Packages already\ninstalled are reported and left as they "
		"are.  For each new package it asks for\na variant on stderr; "
		"every answer is collected before anything is created.\n\n"
		"Without a terminal on stdin, a source with one variant takes it "
		"and a real\nchoice must come from --variant: the command fails "
		"before creating anything\nrather than wait for an answer.\n\n"
		"Package documents in -f files are created exactly as written "
		"(variant,\ncomponents, values) before the rest; with --source-dir "
		"their values are first\nchecked against each chart's "
		"values.schema.json.\n\n"
		"Exit codes: 0 done, 1 failed, 2 usage or invalid input, 3 "
		"cancelled.",
	.opts = opts,
	.examples =
		"  cozypkg add cozystack.keycloak\n"
		"  cozypkg add cozystack.vm-disk-application --dry-run\n"
		"  cozypkg add cozystack.networking --variant "
		"cozystack.networking=cilium --wait\n"
		"  cozypkg add -f packages.yaml --source-dir ./packages\n",
};
