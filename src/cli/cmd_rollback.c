/* cozypkg rollback: a Package's spec back to a recorded revision, or a
 * Flux source pinned to the digest of an earlier revision. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/buf.h"
#include "util/mem.h"

enum { OPT_TO = CLI_LONG_ONLY + 1 };

static const cli_opt opts[] = {
	{ OPT_TO, "to-revision", "N",
	  "the revision to return to (default: the one before the latest)" },
	{ 'y', "yes", NULL, "do not ask for confirmation" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct rollback_args {
	json_int_t to;
	bool yes;
	cli_conn conn;
} rollback_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	rollback_args *a = ctx;
	char *end = NULL;

	if (id == OPT_TO) {
		a->to = strtoll(arg, &end, 10);
		if (*end || a->to < 1)
			return cli_usage_error(&cmd_rollback, "--to-revision: "
					       "expected a number from 1, got "
					       "\"%s\"", arg);
	} else if (id == 'y') {
		a->yes = true;
	} else if (!cli_conn_option(&a->conn, id, arg)) {
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* The revision to go back to: --to-revision, else the one before the
 * latest.  Prints why there is none. */
static const json_t *target(const rollback_args *a, const char *arg,
			    const json_t *revs)
{
	size_t n = json_array_size(revs);
	const json_t *t = a->to ? cli_revision_find(revs, a->to)
				: n >= 2 ? json_array_get(revs, n - 2)
					 : NULL;

	if (!t && a->to)
		fprintf(stderr, "cozypkg: %s has no revision %lld (see "
				"`cozypkg history %s`)\n",
			arg, (long long)a->to, arg);
	else if (!t)
		fprintf(stderr, "cozypkg: %s has no earlier revision to "
				"return to\n",
			arg);
	return t;
}

/* obj without its status and managedFields, so that the server records
 * this command as the writer. */
static json_t *writable_copy(const json_t *obj)
{
	json_t *copy = json_deep_copy(obj);

	json_object_del(copy, "status");
	json_object_del(json_object_get(copy, "metadata"), "managedFields");
	return copy;
}

/* The spec of a Package becomes the revision's. */
static int package_change(const cli_owner *o, const json_t *rev, json_t **put,
			  cz_buf *plan)
{
	const json_t *spec = json_object_get(json_object_get(rev, "data"),
					     "spec");

	cli_json_diff(plan, "spec", json_object_get(o->obj, "spec"), spec);
	*put = writable_copy(o->obj);
	json_object_set_new(*put, "spec", spec ? json_deep_copy(spec)
					       : json_object());
	return CZ_OK;
}

/* A source is pinned to the revision's digest (OCI) or commit (git),
 * taken from status.artifact.revision ("TAG@sha256:..." or
 * "BRANCH@sha1:..."). */
static int source_change(const cli_owner *o, const json_t *rev, json_t **put,
			 cz_buf *plan, cz_error *err)
{
	const char *revision = json_string_value(json_object_get(
		json_object_get(rev, "data"), "revision"));
	const char *at = revision ? strrchr(revision, '@') : NULL;
	bool oci = strcmp(o->kind, "OCIRepository") == 0;
	const char *field = oci ? "digest" : "commit";
	const char *pin;
	json_t *ref;

	if (!at)
		return cz_fail(err, CZ_EINVALID, "revision %s has no digest "
			       "to pin", revision ? revision : "(none)");
	pin = oci ? at + 1 : strchr(at, ':') ? strchr(at, ':') + 1 : at + 1;
	*put = writable_copy(o->obj);
	ref = json_object_get(json_object_get(*put, "spec"), "ref");
	if (!ref) {
		ref = json_object();
		json_object_set_new(json_object_get(*put, "spec"), "ref", ref);
	}
	cz_buf_printf(plan, "  spec.ref.%s: %s -> %s (revision %s)\n", field,
		      json_string_value(json_object_get(ref, field))
			      ? json_string_value(json_object_get(ref, field))
			      : "(none)",
		      pin, revision);
	json_object_set_new(ref, field, json_string(pin));
	return CZ_OK;
}

static int rollback(rollback_args *a, const char *arg)
{
	cli_owner o;
	cz_error err = CZ_ERROR_INIT;
	json_t *revs = NULL, *put = NULL;
	const json_t *t;
	cz_buf plan;
	int rc;

	memset(&o, 0, sizeof(o));
	cz_buf_init(&plan, CZ_BUF_UNLIMITED);
	if ((rc = cli_connect(&a->conn)) != CLI_EXIT_OK)
		goto cleanup;
	if (cli_owner_find(&a->conn, arg, &o, &err) < 0 ||
	    cli_owner_revisions(&a->conn, &o, &revs, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	if (!(t = target(a, arg, revs))) {
		rc = CLI_EXIT_FAILED;
		goto cleanup;
	}
	rc = strcmp(o.kind, "Package") == 0
		     ? package_change(&o, t, &put, &plan)
		     : source_change(&o, t, &put, &plan, &err);
	if (rc < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	fprintf(stderr, "Rolling %s %s back to revision %lld:\n%s", o.kind,
		arg, (long long)json_integer_value(json_object_get(t, "revision")),
		plan.len ? plan.data : "  (no change)\n");
	if ((rc = cli_confirm(a->yes, "Do you want to continue? [y/N]: ")) !=
	    CLI_EXIT_OK)
		goto cleanup;
	/* The object as read, resourceVersion and all: a change made since
	 * is a conflict, not something to overwrite. */
	if (cz_kube_update(a->conn.kube, o.path, put, NULL, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	fprintf(stderr, "✓ %s %s rolled back to revision %lld\n", o.kind, arg,
		(long long)json_integer_value(json_object_get(t, "revision")));
	rc = CLI_EXIT_OK;
cleanup:
	cz_buf_release(&plan);
	json_decref(put);
	json_decref(revs);
	cli_owner_release(&o);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	rollback_args a;
	int first, rc;

	memset(&a, 0, sizeof(a));
	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK && first + 1 != argc)
		rc = cli_usage_error(cmd, "rollback takes one PKG or "
				     "source/NAME");
	if (rc == CLI_EXIT_OK)
		rc = rollback(&a, argv[first]);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_rollback = {
	.name = "rollback",
	.run = run,
	.summary = "Return a Package or a Flux source to an earlier revision",
	.usage = "rollback PKG|source/[NS/]NAME [--to-revision N] [--yes]",
	.description =
		"For a Package, restores its spec (variant, components, "
		"values) from its history; for a Flux source, pins it to the "
		"digest (OCIRepository) or commit (GitRepository) of an "
		"earlier artifact revision, which the artifact store still "
		"holds, so nothing is pulled again (`cozypkg unpin` returns "
		"it to its tag).  The change is shown first and asked for; "
		"without a terminal --yes is required.  The rollback itself "
		"becomes the newest revision.\n\nExit codes: 0 done, 1 "
		"failed, 2 usage, 3 cancelled.",
	.opts = opts,
	.examples = "  cozypkg rollback example.webapp\n"
		    "  cozypkg rollback example.webapp --to-revision 1 --yes\n"
		    "  cozypkg rollback source/cozystack-packages "
		    "--to-revision 3\n",
};
