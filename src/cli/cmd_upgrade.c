/* cozypkg upgrade [plan]: what moving a Flux source to another revision
 * would change, computed offline from that revision before anything on
 * the cluster changes; then the move itself. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "controller/platform.h"
#include "engine/render.h"
#include "market/flux.h"
#include "market/tap.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/fileio.h"
#include "util/mem.h"

enum { OPT_TO = CLI_LONG_ONLY + 1, OPT_WAIT, OPT_TIMEOUT };

static const cli_opt opts[] = {
	{ OPT_TO, "to", "TAG|DIGEST", "the revision to move to (required)" },
	{ 'o', "output", "FORMAT", "table (default), json or yaml (plan)" },
	{ 'y', "yes", NULL, "do not ask before moving the source" },
	{ OPT_WAIT, "wait", NULL,
	  "wait until the source's Packages are Ready on the new revision" },
	{ OPT_TIMEOUT, "timeout", "DURATION",
	  "how long --wait waits (default 5m)" },
	CLI_REGISTRY_OPTIONS,
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct upgrade_args {
	const char *to;
	const char *format;
	bool insecure;
	bool yes;
	bool wait;
	int64_t timeout_ns;
	bool apply; /* upgrade, not upgrade plan */
	cli_conn conn;
} upgrade_args;

static int timeout_option(const char *arg, int64_t *out)
{
	cz_error err = CZ_ERROR_INIT;

	if (cz_duration_parse(arg, out, &err) < 0 || *out <= 0)
		return cli_usage_error(&cmd_upgrade, "--timeout: %s",
				       err.code ? err.msg : "must be positive");
	return CLI_EXIT_OK;
}

static int on_opt(void *ctx, int id, const char *arg)
{
	upgrade_args *a = ctx;

	if (id == OPT_TO)
		a->to = arg;
	else if (id == 'o')
		a->format = arg;
	else if (id == CLI_OPT_INSECURE)
		a->insecure = true;
	else if (id == 'y')
		a->yes = true;
	else if (id == OPT_WAIT)
		a->wait = true;
	else if (id == OPT_TIMEOUT)
		return timeout_option(arg, &a->timeout_ns);
	else if (!cli_conn_option(&a->conn, id, arg))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

/* ---- the proposed revision --------------------------------------------- */

/* oci://HOST/REPO@DIGEST or :TAG for the source's url; malloc'ed. */
static char *proposed_ref(const char *url, const char *to)
{
	return cz_xasprintf("%s%s%s", url, strncmp(to, "sha256:", 7) == 0
						   ? "@"
						   : ":",
			    to);
}

/* Pulls the proposed revision and reads the PackageSources it declares,
 * each pointed at the source as the cluster's are (*out: new array). */
static int read_proposed(upgrade_args *a, const cli_owner *src,
			 const char *scratch, json_t **out, char *digest,
			 cz_error *err)
{
	const json_t *spec = json_object_get(src->obj, "spec");
	const char *url = json_string_value(json_object_get(spec, "url"));
	char *ref = NULL, *root = cz_xasprintf("%s/packages", scratch);
	cli_registry reg;
	cz_diags diags;
	json_t *declared = NULL;
	size_t i;
	json_t *d;
	int rc;

	memset(&reg, 0, sizeof(reg));
	cz_diags_init(&diags);
	*out = NULL;
	if (!url || strcmp(src->kind, "OCIRepository") != 0) {
		rc = cz_fail(err, CZ_EINVALID, "upgrade plan works on an "
			     "OCIRepository with a spec.url");
		goto cleanup;
	}
	ref = proposed_ref(url, a->to);
	rc = cli_registry_open(ref, a->insecure ||
				       json_is_true(json_object_get(spec,
								    "insecure")),
			       &reg, err);
	if (rc == CZ_OK)
		rc = cz_flux_pull(reg.oci, reg.ref.repo,
				  cz_oci_ref_reference(&reg.ref), root, digest,
				  err);
	if (rc == CZ_OK)
		rc = cz_tap_read_sources(root, &declared, &diags, err);
	cz_diags_print(&diags, stderr);
	if (rc < 0)
		goto cleanup;
	*out = json_array();
	json_array_foreach (declared, i, d) {
		json_t *copy = json_deep_copy(d);
		json_t *sref = json_object_get(json_object_get(copy, "spec"),
					       "sourceRef");

		if (json_is_object(sref)) {
			json_object_set_new(sref, "name",
					    json_string(cz_meta_str(src->obj,
								    "name")));
			json_object_set_new(sref, "namespace",
					    json_string(cz_meta_str(
						    src->obj, "namespace")));
		}
		json_array_append_new(*out, copy);
	}
cleanup:
	json_decref(declared);
	cz_diags_release(&diags);
	cli_registry_close(&reg);
	free(root);
	free(ref);
	return rc;
}

/* ---- comparing --------------------------------------------------------- */

static bool from_source(const json_t *ps, const cli_owner *src)
{
	const json_t *sref = json_object_get(json_object_get(ps, "spec"),
					     "sourceRef");
	const char *name = json_string_value(json_object_get(sref, "name"));
	const char *ns = json_string_value(json_object_get(sref,
							   "namespace"));

	return name && strcmp(name, cz_meta_str(src->obj, "name")) == 0 &&
	       (!ns || strcmp(ns, cz_meta_str(src->obj, "namespace")) == 0);
}

/* The cluster's sources with the source's own replaced by proposed. */
static json_t *proposed_sources(const json_t *current, const json_t *proposed,
				const cli_owner *src)
{
	json_t *out = json_array();
	size_t i;
	json_t *s;

	json_array_foreach (current, i, s)
		if (!from_source(s, src))
			json_array_append(out, s);
	json_array_foreach (proposed, i, s)
		json_array_append(out, s);
	return out;
}

static json_t *by_name(const json_t *items)
{
	json_t *map = json_object();
	size_t i;
	json_t *o;

	json_array_foreach (items, i, o)
		json_object_set(map, cz_meta_str(o, "name"), o);
	return map;
}

/* PackageSources added, removed and changed (with the field diff). */
static json_t *source_changes(const json_t *current, const json_t *proposed,
			      const cli_owner *src)
{
	json_t *cur = by_name(current), *next = by_name(proposed);
	json_t *out = json_array();
	const char *name;
	json_t *obj;

	json_object_foreach (next, name, obj) {
		json_t *was = json_object_get(cur, name);
		cz_buf d;

		if (!was || !from_source(was, src)) {
			json_array_append_new(out, json_pack("{s:s, s:s}",
							     "name", name,
							     "change",
							     "added"));
			continue;
		}
		cz_buf_init(&d, CZ_BUF_UNLIMITED);
		cli_json_diff(&d, "spec", json_object_get(was, "spec"),
			      json_object_get(obj, "spec"));
		if (d.len)
			json_array_append_new(out,
					      json_pack("{s:s, s:s, s:s}",
							"name", name, "change",
							"changed", "diff",
							d.data));
		cz_buf_release(&d);
	}
	json_object_foreach (cur, name, obj)
		if (from_source(obj, src) && !json_object_get(next, name))
			json_array_append_new(out, json_pack("{s:s, s:s}",
							     "name", name,
							     "change",
							     "removed"));
	json_decref(cur);
	json_decref(next);
	return out;
}

/* Each Package's outcome and HelmReleases when sources and packages
 * converge (ns/name -> HelmRelease; name -> {reason, message}). */
static void render(const json_t *sources, const json_t *packages,
		   json_t **releases, json_t **outcomes)
{
	cz_engine_opts eo;
	cz_catalog cat;
	cz_render r;
	cz_diags diags;

	cz_engine_opts_default(&eo);
	cz_catalog_init(&cat);
	cz_diags_init(&diags);
	cli_catalog_add(&cat, cli_res_sources(), (json_t *)sources);
	cli_catalog_add(&cat, cli_res_packages(), (json_t *)packages);
	cz_catalog_finish(&cat);
	memset(&r, 0, sizeof(r));
	cz_render_run(&r, &cat, &eo, &diags);
	*releases = json_object();
	*outcomes = json_object();
	for (size_t i = 0; i < r.nresults; i++) {
		const cz_reconcile *rec = &r.results[i];

		json_object_set_new(*outcomes, rec->package->name,
				    json_pack("{s:s, s:s, s:b}", "reason",
					      cz_reason_name(rec->reason),
					      "message",
					      rec->message ? rec->message : "",
					      "ready",
					      r.ready[rec->package->index]));
		for (size_t k = 0; k < rec->nreleases; k++) {
			json_t *hr = cz_helmrelease_json(
				&r.engine, &rec->releases[k], NULL);
			char *key = cz_xasprintf("%s/%s",
						 cz_meta_str(hr, "namespace"),
						 cz_meta_str(hr, "name"));

			json_object_set_new(*releases, key, hr);
			free(key);
		}
	}
	cz_render_release(&r);
	cz_diags_release(&diags);
	cz_catalog_release(&cat);
}

/* Installed Packages that are fine now and would not be. */
static json_t *broken_packages(const json_t *before, const json_t *after)
{
	json_t *out = json_array();
	const char *name;
	json_t *now;

	json_object_foreach ((json_t *)after, name, now) {
		const json_t *was = json_object_get(before, name);

		if (json_is_true(json_object_get(now, "ready")) ||
		    (was && !json_is_true(json_object_get(was, "ready"))))
			continue;
		json_array_append_new(
			out, json_pack("{s:s, s:O, s:O}", "name", name,
				       "reason", json_object_get(now, "reason"),
				       "message",
				       json_object_get(now, "message")));
	}
	return out;
}

static json_t *release_changes(const json_t *before, const json_t *after)
{
	json_t *out = json_array();
	const char *key;
	json_t *hr;

	json_object_foreach ((json_t *)after, key, hr) {
		const json_t *was = json_object_get(before, key);
		cz_buf d;

		if (!was) {
			json_array_append_new(out, json_pack("{s:s, s:s}",
							     "name", key,
							     "change",
							     "created"));
			continue;
		}
		cz_buf_init(&d, CZ_BUF_UNLIMITED);
		cli_json_diff(&d, "spec", json_object_get(was, "spec"),
			      json_object_get(hr, "spec"));
		if (d.len)
			json_array_append_new(out,
					      json_pack("{s:s, s:s, s:s}",
							"name", key, "change",
							"changed", "diff",
							d.data));
		cz_buf_release(&d);
	}
	json_object_foreach ((json_t *)before, key, hr)
		if (!json_object_get(after, key))
			json_array_append_new(out, json_pack("{s:s, s:s}",
							     "name", key,
							     "change",
							     "deleted"));
	return out;
}

/* ---- the plan ---------------------------------------------------------- */

/* What the plan reads: the cluster's sources and Packages, the proposed
 * revision's sources (as JSON and as a catalog) and its tree. */
typedef struct plan_input {
	const cli_owner *src;    /* the source moved */
	const cli_owner *reader; /* the source its PackageSources read */
	const char *digest;
	const json_t *sources, *packages, *proposed;
	cz_catalog proposed_cat;
	const char *root, *scratch;
} plan_input;

/* {name: true} of the cluster's PackageSources read from the source. */
static json_t *current_names(const plan_input *in)
{
	json_t *names = json_object();
	size_t i;
	json_t *o;

	json_array_foreach (in->sources, i, o)
		if (from_source(o, in->reader))
			json_object_set_new(names, cz_meta_str(o, "name"),
					    json_true());
	return names;
}

/* The artifacts, values and migrations sections. */
static int offline_checks(cli_conn *c, const plan_input *in, json_t *plan,
			  cz_error *err)
{
	json_t *names = current_names(in);
	json_t *artifacts = NULL, *migrations = NULL;
	json_t *platform = json_array();
	int rc;

	/* The platform PackageSource reads the source itself, the others
	 * read what follows it: the chart with migrations is among both. */
	json_array_extend(platform, (json_t *)in->proposed);
	json_array_extend(platform, (json_t *)in->sources);
	rc = cli_plan_artifacts(c, in->root, in->scratch, &in->proposed_cat,
				names, &artifacts, err);
	if (rc == CZ_OK)
		rc = cli_plan_migrations(c, in->root, platform, in->packages,
					 &migrations, err);
	json_object_set_new(plan, "artifacts", artifacts ? artifacts
							 : json_array());
	json_object_set_new(plan, "values",
			    cli_plan_values(in->root, &in->proposed_cat,
					    in->packages));
	json_object_set_new(plan, "migrations",
			    migrations ? migrations : json_null());
	json_decref(platform);
	json_decref(names);
	return rc;
}

static json_t *make_plan(const plan_input *in)
{
	json_t *next = proposed_sources(in->sources, in->proposed, in->reader);
	json_t *hr_before, *hr_after, *pkg_before, *pkg_after;
	json_t *plan;

	render(in->sources, in->packages, &hr_before, &pkg_before);
	render(next, in->packages, &hr_after, &pkg_after);
	plan = json_pack("{s:s, s:s, s:o, s:o, s:o}", "source",
			 cz_meta_str(in->src->obj, "name"), "digest",
			 in->digest, "packageSources",
			 source_changes(in->sources, in->proposed, in->reader),
			 "brokenPackages",
			 broken_packages(pkg_before, pkg_after),
			 "helmReleases", release_changes(hr_before, hr_after));
	json_decref(next);
	json_decref(hr_before);
	json_decref(hr_after);
	json_decref(pkg_before);
	json_decref(pkg_after);
	return plan;
}

/* Whether applying plan would break something: a Package, a component
 * that cannot be built, values, a missing migration. */
static bool plan_breaks(const json_t *plan)
{
	size_t i;
	json_t *a;

	if (json_array_size(json_object_get(plan, "brokenPackages")) ||
	    json_array_size(json_object_get(plan, "values")) ||
	    json_is_integer(json_object_get(json_object_get(plan, "migrations"),
					    "missing")))
		return true;
	json_array_foreach (json_object_get(plan, "artifacts"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "status")),
			   "failed") == 0)
			return true;
	return false;
}

static void print_section(cz_buf *b, const char *title, const json_t *items,
			  const char *what)
{
	size_t i;
	json_t *it;

	cz_buf_printf(b, "%s:%s\n", title,
		      json_array_size(items) ? "" : " none");
	json_array_foreach (items, i, it) {
		const char *change = json_string_value(
			json_object_get(it, what));
		const char *diff = json_string_value(json_object_get(it,
								     "diff"));
		const char *msg = json_string_value(
			json_object_get(it, "message"));

		cz_buf_printf(b, "  %s %s%s%s\n", change,
			      json_string_value(json_object_get(it, "name")),
			      msg ? ": " : "", msg ? msg : "");
		/* The field diff, one line each, under its object. */
		for (const char *l = diff; l && *l;) {
			const char *nl = strchr(l, '\n');
			int len = nl ? (int)(nl - l) : (int)strlen(l);

			cz_buf_printf(b, "    %.*s\n", len, l);
			l = nl ? nl + 1 : NULL;
		}
	}
}

/* "sha256:0123456789ab", enough to tell digests apart on a line. */
static void put_short(cz_buf *b, const json_t *e, const char *key)
{
	const char *d = json_string_value(json_object_get(e, key));

	cz_buf_printf(b, "%.19s", d && *d ? d : "-");
}

static void print_artifacts(cz_buf *b, const json_t *items)
{
	static const char *const order[] = { "failed", "changed", "added",
					     "removed", "unchanged" };
	size_t count[5] = { 0 }, i;
	json_t *e;

	json_array_foreach (items, i, e)
		for (size_t k = 0; k < 5; k++)
			if (strcmp(json_string_value(json_object_get(
					   e, "status")),
				   order[k]) == 0)
				count[k]++;
	cz_buf_printf(b, "Component artifacts: %zu changed, %zu added, %zu "
			 "removed, %zu unchanged",
		      count[1], count[2], count[3], count[4]);
	if (count[0])
		cz_buf_printf(b, ", %zu failed", count[0]);
	cz_buf_puts(b, "\n");
	for (size_t k = 0; k < 4; k++)
		json_array_foreach (items, i, e) {
			if (strcmp(json_string_value(json_object_get(
					   e, "status")),
				   order[k]) != 0)
				continue;
			cz_buf_printf(b, "  %s %s", order[k],
				      json_string_value(json_object_get(
					      e, "name")));
			if (k == 0)
				cz_buf_printf(b, ": %s\n",
					      json_string_value(json_object_get(
						      e, "error")));
			else {
				cz_buf_puts(b, " ");
				put_short(b, e, "from");
				cz_buf_puts(b, " -> ");
				put_short(b, e, "to");
				cz_buf_puts(b, "\n");
			}
		}
}

static void print_values(cz_buf *b, const json_t *items)
{
	size_t i, j;
	json_t *e, *err;

	cz_buf_printf(b, "Installed values the new charts refuse:%s\n",
		      json_array_size(items) ? "" : " none");
	json_array_foreach (items, i, e)
		json_array_foreach (json_object_get(e, "errors"), j, err)
			cz_buf_printf(b, "  %s %s: %s\n",
				      json_string_value(json_object_get(
					      e, "package")),
				      json_string_value(json_object_get(
					      err, "path")),
				      json_string_value(json_object_get(
					      err, "message")));
}

static void print_migrations(cz_buf *b, const json_t *m)
{
	const json_t *run = json_object_get(m, "run");
	const char *note = json_string_value(json_object_get(m, "note"));
	size_t i;
	json_t *n;

	if (!m || json_is_null(m)) {
		cz_buf_puts(b, "Migrations: none\n");
		return;
	}
	cz_buf_printf(b, "Migrations (%s, target %lld):",
		      json_string_value(json_object_get(m, "packageSource")),
		      (long long)json_integer_value(json_object_get(m,
								    "target")));
	json_array_foreach (run, i, n)
		cz_buf_printf(b, "%s%lld", i ? ", " : " run ",
			      (long long)json_integer_value(n));
	if (json_is_integer(json_object_get(m, "missing")))
		cz_buf_printf(b, "%s%lld missing",
			      json_array_size(run) ? ", then " : " ",
			      (long long)json_integer_value(
				      json_object_get(m, "missing")));
	cz_buf_printf(b, "%s%s\n", note && *note ? (json_array_size(run) ||
							 json_is_integer(json_object_get(
								 m, "missing"))
						     ? "; "
						     : " none: ")
					      : "",
		      note ? note : "");
}

static int write_plan(const json_t *plan, const char *format)
{
	cz_buf b;
	int rc;

	if (strcmp(format, "table") != 0)
		return cli_write_object(plan, format);
	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_printf(&b, "Plan for %s at %s\n",
		      json_string_value(json_object_get(plan, "source")),
		      json_string_value(json_object_get(plan, "digest")));
	print_section(&b, "PackageSources",
		      json_object_get(plan, "packageSources"), "change");
	print_section(&b, "Installed Packages that would break",
		      json_object_get(plan, "brokenPackages"), "reason");
	print_section(&b, "HelmReleases",
		      json_object_get(plan, "helmReleases"), "change");
	print_artifacts(&b, json_object_get(plan, "artifacts"));
	print_values(&b, json_object_get(plan, "values"));
	print_migrations(&b, json_object_get(plan, "migrations"));
	rc = cli_write_stdout(b.data, b.len);
	cz_buf_release(&b);
	return rc;
}

/* ---- moving the source ------------------------------------------------- */

/* The source's status names the revision it stores. */
static bool source_on(cli_conn *c, const cli_owner *src, const char *digest)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *obj = NULL;
	const char *rev;
	bool on;

	if (cz_kube_get(c->kube, src->path, &obj, &err) < 0)
		return false;
	rev = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "status"), "artifact"),
		"revision"));
	on = rev && strstr(rev, digest);
	json_decref(obj);
	return on;
}

/* Every PackageSource of src whose artifacts carry a revision (when
 * cozypkgd builds them: "... from revision R") names digest: the Packages
 * read next are then on the new content, not Ready from the old. */
static bool sources_on(cli_conn *c, const json_t *sources,
		       const cli_owner *src, const char *digest)
{
	size_t i;
	json_t *o;
	bool all = true;

	json_array_foreach (sources, i, o) {
		cz_error err = CZ_ERROR_INIT;
		json_t *now = NULL;
		const char *msg = NULL;

		if (!from_source(o, src))
			continue;
		if (cli_get(c, cli_res_sources(), cz_meta_str(o, "name"), &now,
			    &err) < 0)
			return false;
		cli_ready_status(now, NULL, &msg);
		if (msg && strstr(msg, "from revision") && !strstr(msg, digest))
			all = false;
		json_decref(now);
	}
	return all;
}

/* The installed Packages whose PackageSource comes from src. */
static void affected_packages(const json_t *sources, const json_t *packages,
			      const cli_owner *src, cli_names *out)
{
	json_t *mine = json_object();
	size_t i;
	json_t *o;

	json_array_foreach (sources, i, o)
		if (from_source(o, src))
			json_object_set_new(mine, cz_meta_str(o, "name"),
					    json_true());
	json_array_foreach (packages, i, o)
		if (json_object_get(mine, cz_meta_str(o, "name")))
			cli_names_add(out, cz_meta_str(o, "name"));
	json_decref(mine);
}

/* Pins the source to digest (a tag may move, an upgrade may not) and,
 * with --wait, waits until it stores that revision and its Packages are
 * Ready again. */
static int move_source(upgrade_args *a, const cli_owner *src,
		       const cli_owner *reader, const char *digest,
		       const json_t *sources, const json_t *packages)
{
	json_t *patch = json_pack("{s:{s:{s:s}}}", "spec", "ref", "digest",
				  digest);
	int64_t timeout = a->timeout_ns ? a->timeout_ns : CLI_DEFAULT_WAIT_NS;
	int64_t start = cz_mono_ns(), deadline = start + timeout;
	cz_error err = CZ_ERROR_INIT;
	cli_names names;
	char took[32];
	int rc;

	cli_names_init(&names);
	if ((rc = cli_confirm(a->yes, "Move the source? [y/N]: ")) !=
	    CLI_EXIT_OK)
		goto cleanup;
	if (cz_kube_patch(a->conn.kube, src->path,
			  "application/merge-patch+json", patch, NULL,
			  &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	fprintf(stderr, "✓ %s %s pinned to %s\n", src->kind,
		cz_meta_str(src->obj, "name"), digest);
	if (!a->wait)
		goto cleanup;
	while (!source_on(&a->conn, src, digest) ||
	       !source_on(&a->conn, reader, digest) ||
	       !sources_on(&a->conn, sources, reader, digest)) {
		struct timespec pause = { 0, 200 * 1000000L };

		if (cz_mono_ns() >= deadline) {
			fprintf(stderr, "cozypkg: timed out waiting for %s to "
					"store %s\n",
				cz_meta_str(src->obj, "name"), digest);
			rc = CLI_EXIT_FAILED;
			goto cleanup;
		}
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "✓ %s stores %s\n", cz_meta_str(src->obj, "name"),
		digest);
	affected_packages(sources, packages, reader, &names);
	rc = cli_wait_ready(&a->conn, &names, deadline - cz_mono_ns());
	cz_duration_format(cz_mono_ns() - start, took, sizeof(took));
	fprintf(stderr, "%s: %zu Package(s) on %s after %s\n",
		rc == CLI_EXIT_OK ? "Upgraded" : "Upgrade incomplete",
		names.len, digest, took);
cleanup:
	cli_names_release(&names);
	json_decref(patch);
	return rc;
}

/* The source whose PackageSources this one's revisions feed: itself, or
 * under native platform upgrades the secondary that follows it (pinned
 * by cozypkgd once the revision is migrated).  *reader is a shallow copy
 * of src whose obj, when it differs, is owned by *follower. */
static int find_reader(cli_conn *c, const cli_owner *src, cli_owner *reader,
		       json_t **follower, cz_error *err)
{
	json_t *list = NULL;
	size_t i;
	json_t *o;
	int rc = cz_kube_list(c->kube, src->res,
			      cz_meta_str(src->obj, "namespace"), NULL, &list,
			      err);

	*reader = *src;
	*follower = NULL;
	json_array_foreach (json_object_get(list, "items"), i, o)
		if (cz_annotation(o, CZ_MIGRATED_ANNOTATION) &&
		    strcmp(cz_meta_str(o, "name"),
			   cz_meta_str(src->obj, "name")) != 0) {
			*follower = json_incref(o);
			reader->obj = o;
			break;
		}
	json_decref(list);
	return rc;
}

static int plan_upgrade(upgrade_args *a, const char *source)
{
	char *scratch = NULL;
	char *arg = strncmp(source, "source/", 7) == 0
			    ? cz_xstrdup(source)
			    : cz_xasprintf("source/%s", source);
	char *root = NULL;
	char digest[CZ_OCI_DIGEST_BUF] = "";
	json_t *proposed = NULL, *sources = NULL, *packages = NULL;
	json_t *follower = NULL, *plan = NULL;
	cz_error err = CZ_ERROR_INIT;
	cli_owner src, reader;
	plan_input in;
	int rc;

	memset(&src, 0, sizeof(src));
	memset(&in, 0, sizeof(in));
	cz_catalog_init(&in.proposed_cat);
	/* In memory where it can be: the revision's tree is thousands of
	 * small files, and creating and removing them on a busy disk is most
	 * of the plan's time. */
	if (cz_scratch_dir("cozypkg-plan", true, &scratch, &err) < 0)
		goto fail;
	root = cz_xasprintf("%s/packages", scratch);
	if ((rc = cli_connect(&a->conn)) != CLI_EXIT_OK)
		goto cleanup;
	if (cli_owner_find(&a->conn, arg, &src, &err) < 0 ||
	    find_reader(&a->conn, &src, &reader, &follower, &err) < 0 ||
	    read_proposed(a, &reader, scratch, &proposed, digest, &err) < 0 ||
	    cli_list(&a->conn, cli_res_sources(), NULL, &sources, &err) < 0 ||
	    cli_list(&a->conn, cli_res_packages(), NULL, &packages, &err) < 0)
		goto fail;
	in.src = &src;
	in.reader = &reader;
	in.digest = digest;
	in.sources = json_object_get(sources, "items");
	in.packages = json_object_get(packages, "items");
	in.proposed = proposed;
	in.root = root;
	in.scratch = scratch;
	cli_catalog_add(&in.proposed_cat, cli_res_sources(), proposed);
	cz_catalog_finish(&in.proposed_cat);
	plan = make_plan(&in);
	if (offline_checks(&a->conn, &in, plan, &err) < 0)
		goto fail;
	rc = write_plan(plan, a->format);
	if (rc == CLI_EXIT_OK && !a->apply && plan_breaks(plan))
		rc = CLI_EXIT_FAILED;
	if (rc == CLI_EXIT_OK && a->apply)
		rc = move_source(a, &src, &reader, digest, in.sources,
				 in.packages);
	goto cleanup;
fail:
	rc = cli_fail(&err);
cleanup:
	json_decref(plan);
	cz_catalog_release(&in.proposed_cat);
	json_decref(proposed);
	json_decref(sources);
	json_decref(packages);
	json_decref(follower);
	cli_owner_release(&src);
	cz_remove_tree(scratch);
	free(root);
	free(scratch);
	free(arg);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	static const char *const formats[] = { "table", "json", "yaml", NULL };
	upgrade_args a;
	int first, rc;

	memset(&a, 0, sizeof(a));
	a.format = "table";
	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK)
		rc = cli_check_format(cmd, a.format, formats);
	if (rc == CLI_EXIT_OK && first + 2 == argc &&
	    strcmp(argv[first], "plan") == 0)
		first++;
	else if (rc == CLI_EXIT_OK && first + 1 == argc)
		a.apply = true;
	else if (rc == CLI_EXIT_OK)
		rc = cli_usage_error(cmd, "expected `upgrade plan SOURCE` or "
				     "`upgrade SOURCE`");
	if (rc == CLI_EXIT_OK && !a.to)
		rc = cli_usage_error(cmd, "--to TAG|DIGEST is required");
	if (rc == CLI_EXIT_OK)
		rc = plan_upgrade(&a, argv[first]);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_upgrade = {
	.name = "upgrade",
	.run = run,
	.summary = "Plan, then make, the move of a Flux source to another "
		   "revision",
	.usage = "upgrade [plan] SOURCE --to TAG|DIGEST [-o table|json|yaml] "
		 "[--yes] [--wait] [--timeout D]",
	.description =
		"Pulls the proposed revision of the OCIRepository SOURCE "
		"(NAME in cozy-system, or NS/NAME) without touching the "
		"cluster, and shows against what is installed: the "
		"PackageSources it adds, removes or changes (field by "
		"field), the installed Packages that would break with the "
		"reason they would get, and the HelmReleases that would be "
		"created, changed (field by field) or deleted, computed by "
		"the engine; every component artifact assembled offline by "
		"the artifact generator's code, changed, added, removed or "
		"unchanged against the cluster's; the installed values the "
		"new charts' values.schema.json refuse, with their field "
		"paths; and the platform migrations that would run.  Under "
		"native platform upgrades the platform source is compared "
		"with what cozystack-packages feeds.  Without `plan` it "
		"then asks (or --yes) and "
		"pins the source to the planned digest (a tag may move, an "
		"upgrade may not); with --wait it waits until the source "
		"stores that revision and every Package of its "
		"PackageSources is Ready, printing them as they become "
		"Ready, and a summary.  `cozypkg unpin` returns the source "
		"to its tag.\n\nExit codes: plan 0 clean, 1 something "
		"would break; upgrade 0 done, 1 failed or timed out, 3 "
		"cancelled; 2 usage.  A plan would break when a Package would "
		"stop being Ready, a component would not build, installed "
		"values would be refused, or a migration script is "
		"missing.",
	.opts = opts,
	.examples = "  cozypkg upgrade plan cozystack-packages --to v1.2.0\n"
		    "  cozypkg upgrade cozystack-packages --to v1.2.0 --yes "
		    "--wait\n"
		    "  cozypkg upgrade plan cozy-system/cozystack-packages "
		    "--to sha256:0123... -o json\n",
};
