/* cozypkg tap: subscribe the cluster to a package repository published in
 * an OCI registry, after pulling and checking it locally. */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "market/cosign.h"
#include "market/flux.h"
#include "market/index.h"
#include "market/tap.h"
#include "util/fileio.h"
#include "util/mem.h"

enum {
	OPT_TAG = CLI_LONG_ONLY + 1,
	OPT_PIN,
	OPT_SECRET,
	OPT_VERIFY_KEY,
	OPT_SKIP_VALIDATE,
};

static const cli_opt opts[] = {
	{ OPT_TAG, "tag", "TAG", "the tag to follow (overrides the ref's)" },
	{ OPT_PIN, "pin", NULL,
	  "resolve the tag to its digest now and follow that digest only" },
	{ OPT_SECRET, "secret", "NAME",
	  "dockerconfigjson Secret in cozy-system for the cluster's pulls "
	  "(kept on later taps; \"\" clears it)" },
	{ OPT_VERIFY_KEY, "verify-key", "FILE",
	  "cosign public key: verify now, and make the cluster verify every "
	  "revision" },
	{ OPT_SKIP_VALIDATE, "skip-validate", NULL,
	  "do not validate the artifact (it is still pulled)" },
	CLI_INDEX_OPTION,
	CLI_REGISTRY_OPTIONS,
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct tap_args {
	const char *tag;
	bool pin;
	const char *secret; /* NULL: keep; "": clear */
	const char *verify_key;
	bool skip_validate;
	const char *index;
	bool insecure;
	cli_conn conn;
} tap_args;

/* What a tap run works out before it touches the cluster. */
typedef struct tap_plan {
	cli_registry reg;
	char *name;        /* tap-<org>-<repo> */
	char *url;         /* oci://host/repo */
	char *tag;         /* followed tag, or NULL when pinned */
	char *digest;      /* pinned digest, or NULL */
	char pulled[CZ_OCI_DIGEST_BUF];
	char *key_pem;     /* --verify-key contents, or NULL */
	size_t key_len;
	char *scratch;     /* the pulled artifact */
	json_t *sources;   /* declared PackageSources */
	json_t *created;   /* paths of objects this run created */
	bool had_secret;   /* the OCIRepository had a spec.secretRef */
} tap_plan;

static int on_opt(void *ctx, int id, const char *arg)
{
	tap_args *a = ctx;

	switch (id) {
	case OPT_TAG: a->tag = arg; break;
	case OPT_PIN: a->pin = true; break;
	case OPT_SECRET: a->secret = arg; break;
	case OPT_VERIFY_KEY: a->verify_key = arg; break;
	case OPT_SKIP_VALIDATE: a->skip_validate = true; break;
	case CLI_OPT_INDEX: a->index = arg; break;
	case CLI_OPT_INSECURE: a->insecure = true; break;
	default:
		return cli_conn_option(&a->conn, id, arg) ? CLI_EXIT_OK
							  : CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static void plan_release(tap_plan *p)
{
	cli_registry_close(&p->reg);
	free(p->name);
	free(p->url);
	free(p->tag);
	free(p->digest);
	free(p->key_pem);
	if (p->scratch)
		cz_remove_tree(p->scratch);
	free(p->scratch);
	json_decref(p->sources);
	json_decref(p->created);
}

/* The tag or digest to follow, from the ref and --tag / --pin. */
static int choose_reference(const tap_args *a, tap_plan *p, cz_error *err)
{
	const cz_oci_ref *ref = &p->reg.ref;
	char *head_digest = NULL;
	int rc;

	if (ref->digest) {
		p->digest = cz_xstrdup(ref->digest);
		return CZ_OK;
	}
	p->tag = cz_xstrdup(a->tag ? a->tag : cz_oci_ref_reference(ref));
	if (!a->pin)
		return CZ_OK;
	free(p->reg.ref.tag);
	p->reg.ref.tag = cz_xstrdup(p->tag);
	if ((rc = cli_registry_digest(&p->reg, &head_digest, err)) < 0)
		return rc;
	p->digest = head_digest;
	return CZ_OK;
}

/* The artifact passes `cozypkg validate`, its dependencies resolved
 * among its own sources and the cluster's. */
static int validate(tap_args *a, tap_plan *p, cz_error *err)
{
	cz_validate_opts o = { NULL, false };
	const char **known = NULL;
	json_t *list = NULL;
	size_t i;
	json_t *item;
	int rc;

	rc = cz_kube_list(a->conn.kube, cli_res_sources(), NULL, NULL, &list,
			  err);
	if (rc < 0)
		return rc;
	known = cz_xcalloc(json_array_size(json_object_get(list, "items")) + 1,
			   sizeof(*known));
	json_array_foreach (json_object_get(list, "items"), i, item)
		known[i] = json_string_value(json_object_get(
			json_object_get(item, "metadata"), "name"));
	o.known_sources = known;
	if (cli_validate_print(p->scratch, p->url, &o, true) != CLI_EXIT_OK)
		rc = cz_fail(err, CZ_EINVALID, "%s does not validate: nothing "
			     "was created (--skip-validate to tap it anyway)",
			     p->url);
	free(known);
	json_decref(list);
	return rc;
}

/* Pulls what the tap will follow and reads its PackageSources. */
static int pull_and_read(tap_args *a, tap_plan *p, cz_error *err)
{
	char *packages = NULL;
	cz_diags diags;
	int rc;

	if ((rc = cz_scratch_dir("cozypkg-tap", false, &p->scratch, err)) < 0)
		return rc;
	packages = cz_xasprintf("%s/packages", p->scratch);
	rc = cz_flux_pull(p->reg.oci, p->reg.ref.repo,
			  p->digest ? p->digest : p->tag, packages, p->pulled,
			  err);
	if (rc < 0) {
		cz_error_prefix(err, "pulling %s", p->url);
		goto cleanup;
	}
	cz_diags_init(&diags);
	rc = cz_tap_read_sources(packages, &p->sources, &diags, err);
	cz_diags_print(&diags, stderr);
	cz_diags_release(&diags);
	if (rc == CZ_OK && !a->skip_validate)
		rc = validate(a, p, err);
cleanup:
	free(packages);
	return rc;
}

/*
 * A NAME from the index: *target becomes its oci:// reference (the
 * version, or the pinned digest; --tag replaces both), and its signing
 * key is enforced unless --verify-key names another.  Prints errors.
 */
static int resolve_name(const tap_args *a, const char *name, char **target,
			tap_plan *p)
{
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	const cz_market_entry *e;
	int rc = cli_index_load(a->index, a->insecure, &idx);

	if (rc != CLI_EXIT_OK)
		goto cleanup;
	if (!(e = cz_market_find(&idx, name))) {
		fprintf(stderr, "cozypkg: %s: no such entry in the index (see "
				"`cozypkg search`), and not an oci:// "
				"reference\n", name);
		rc = CLI_EXIT_FAILED;
		goto cleanup;
	}
	if (e->digest && !a->tag)
		*target = cz_xasprintf("oci://%s@%s", e->oci_ref, e->digest);
	else
		*target = cz_xasprintf("oci://%s:%s", e->oci_ref,
				       a->tag ? a->tag : e->version);
	if (e->signing == CZ_MARKET_SIGNED_KEY && !a->verify_key) {
		p->key_pem = cz_xstrdup(e->signing_key);
		p->key_len = strlen(p->key_pem);
	} else if (e->signing == CZ_MARKET_SIGNED_KEYLESS && !a->verify_key) {
		fprintf(stderr, "⚠ %s is signed keyless (%s); cozypkg verifies "
				"key signatures only: pass --verify-key to "
				"enforce one\n", name, e->signing_identity);
	}
cleanup:
	cz_market_index_release(&idx);
	return rc;
}

/* Everything local: reference, pull, signature, validation. */
static int prepare(tap_args *a, const char *target, tap_plan *p,
		   cz_error *err)
{
	int rc;

	if ((rc = cli_registry_open(target, a->insecure, &p->reg, err)) < 0)
		return rc;
	p->name = cz_tap_name(&p->reg.ref);
	p->url = cz_tap_url(&p->reg.ref);
	if (a->verify_key &&
	    (rc = cz_file_read(a->verify_key, 64 * 1024, &p->key_pem,
			       &p->key_len, err)) < 0)
		return rc;
	if ((rc = choose_reference(a, p, err)) < 0 ||
	    (rc = pull_and_read(a, p, err)) < 0)
		return rc;
	/* The cluster verifies every revision it stores; this one is checked
	 * here first so that a bad signature creates nothing. */
	if (p->key_pem &&
	    (rc = cz_cosign_verify(p->reg.oci, p->reg.ref.repo, p->pulled,
				   p->key_pem, p->key_len, err)) < 0)
		cz_error_prefix(err, "verifying %s", p->url);
	return rc;
}

/* The object at path, or NULL when there is none (*out owned). */
static int get_optional(cli_conn *conn, const char *path, json_t **out,
			cz_error *err)
{
	int rc = cz_kube_get(conn->kube, path, out, err);

	if (rc == CZ_ENOTFOUND) {
		*out = NULL;
		return CZ_OK;
	}
	return rc;
}

static const cz_resource *res_ocirepos(void)
{
	return cz_resource_find("source.toolkit.fluxcd.io", "v1",
				"ocirepositories");
}

static const cz_resource *res_secrets(void)
{
	return cz_resource_find("", "v1", "secrets");
}

/* spec.<field>.secretRef.name, or spec.secretRef.name for field NULL,
 * of an OCIRepository; malloc'ed or NULL. */
static char *secret_of(const json_t *repo, const char *field)
{
	const json_t *spec = json_object_get(repo, "spec");
	const json_t *at = field ? json_object_get(spec, field) : spec;
	const char *name = json_string_value(
		json_object_get(json_object_get(at, "secretRef"), "name"));

	return name ? cz_xstrdup(name) : NULL;
}

/* The OCIRepository may be ours already, for this URL, or must not be
 * there.  What a later tap keeps: *secret, the pull Secret when --secret
 * is not given, and *verify, the verification key's Secret when
 * --verify-key is not given (verification is never dropped silently). */
static int check_ocirepository(tap_args *a, tap_plan *p, char **secret,
			       char **verify, cz_error *err)
{
	char *path = cz_kube_path(res_ocirepos(), CZ_TAP_NAMESPACE, p->name,
				  NULL, NULL);
	json_t *cur = NULL;
	const char *url, *label;
	int rc;

	if ((rc = get_optional(&a->conn, path, &cur, err)) < 0 || !cur)
		goto cleanup;
	label = cz_tap_label(cur);
	url = json_string_value(json_object_get(json_object_get(cur, "spec"),
						"url"));
	if (!label || strcmp(label, p->name) != 0) {
		rc = cz_fail(err, CZ_EEXISTS, "OCIRepository %s/%s exists and "
			     "was not made by tap; refusing to take it over",
			     CZ_TAP_NAMESPACE, p->name);
	} else if (!url || strcmp(url, p->url) != 0) {
		rc = cz_fail(err, CZ_EEXISTS, "%s already taps %s, not %s: "
			     "untap its PackageSources first", p->name,
			     url ? url : "(no url)", p->url);
	} else {
		if (!a->secret)
			*secret = secret_of(cur, NULL);
		if (!a->verify_key)
			*verify = secret_of(cur, "verify");
		p->had_secret = json_object_get(json_object_get(cur, "spec"),
						"secretRef") != NULL;
	}
cleanup:
	json_decref(cur);
	free(path);
	return rc;
}

/* A declared PackageSource may exist only as one of this tap's own. */
static int check_sources(tap_args *a, tap_plan *p, cz_error *err)
{
	size_t i;
	json_t *src;
	int rc = CZ_OK;

	json_array_foreach (p->sources, i, src) {
		const char *name = json_string_value(json_object_get(
			json_object_get(src, "metadata"), "name"));
		char *path = cz_kube_path(cli_res_sources(), NULL, name, NULL,
					  NULL);
		json_t *cur = NULL;
		const char *label;

		rc = get_optional(&a->conn, path, &cur, err);
		label = cur ? cz_tap_label(cur) : NULL;
		if (rc == CZ_OK && cur && !label)
			rc = cz_fail(err, CZ_EEXISTS, "PackageSource %s is "
				     "already on the cluster and is not from "
				     "a tap: refusing to shadow it", name);
		else if (rc == CZ_OK && cur && strcmp(label, p->name) != 0)
			rc = cz_fail(err, CZ_EEXISTS, "PackageSource %s comes "
				     "from another tap (%s): refusing to "
				     "overwrite it", name, label);
		json_decref(cur);
		free(path);
		if (rc < 0)
			break;
	}
	return rc;
}

/* Server-side apply of obj at path as field manager cozypkg, noting it
 * in created when it was not there before. */
static int apply(tap_args *a, tap_plan *p, const char *path, json_t *obj,
		 cz_error *err)
{
	char *full = cz_xasprintf("%s?fieldManager=%s&force=true", path,
				  CZ_TAP_FIELD_MANAGER);
	json_t *before = NULL;
	int rc;

	if ((rc = get_optional(&a->conn, path, &before, err)) < 0)
		goto cleanup;
	rc = cz_kube_patch(a->conn.kube, full, "application/apply-patch+yaml",
			   obj, NULL, err);
	if (rc == CZ_OK && !before)
		json_array_append_new(p->created, json_string(path));
cleanup:
	json_decref(before);
	free(full);
	return rc;
}

static int apply_verify_secret(tap_args *a, tap_plan *p, char **name,
			       cz_error *err)
{
	json_t *obj = cz_tap_verify_secret(p->name, p->key_pem, p->key_len);
	char *path;
	int rc;

	*name = cz_xstrdup(json_string_value(json_object_get(
		json_object_get(obj, "metadata"), "name")));
	path = cz_kube_path(res_secrets(), CZ_TAP_NAMESPACE, *name, NULL, NULL);
	rc = apply(a, p, path, obj, err);
	json_decref(obj);
	free(path);
	return rc;
}

static int apply_ocirepository(tap_args *a, tap_plan *p, const char *secret,
			       const char *verify_secret, cz_error *err)
{
	cz_tap_repo r = { p->name, p->url, p->tag, p->digest, secret,
			  verify_secret, a->insecure, NULL };
	json_t *obj = cz_tap_ocirepository(&r);
	json_t *clear = json_pack("{s:{s:n}}", "spec", "secretRef");
	char *path = cz_kube_path(res_ocirepos(), CZ_TAP_NAMESPACE, p->name,
				  NULL, NULL);
	int rc = CZ_OK;

	/* An apply would leave an empty secretRef behind, which the schema
	 * refuses: the reference goes first. */
	if (!secret && p->had_secret)
		rc = cz_kube_patch(a->conn.kube, path,
				   "application/merge-patch+json", clear, NULL,
				   err);
	if (rc == CZ_OK)
		rc = apply(a, p, path, obj, err);
	json_decref(clear);

	json_decref(obj);
	free(path);
	return rc;
}

static int apply_sources(tap_args *a, tap_plan *p, cz_error *err)
{
	size_t i;
	json_t *src;
	int rc = CZ_OK;

	json_array_foreach (p->sources, i, src) {
		json_t *obj = cz_tap_source_object(src, p->name);
		const char *name = json_string_value(json_object_get(
			json_object_get(obj, "metadata"), "name"));
		char *path = cz_kube_path(cli_res_sources(), NULL, name, NULL,
					  NULL);

		rc = apply(a, p, path, obj, err);
		json_decref(obj);
		free(path);
		if (rc < 0)
			break;
	}
	return rc;
}

/* Removes what this run created, newest first, after a failure. */
static void roll_back(tap_args *a, tap_plan *p)
{
	for (size_t i = json_array_size(p->created); i-- > 0;) {
		const char *path = json_string_value(
			json_array_get(p->created, i));
		cz_error err = CZ_ERROR_INIT;

		if (cz_kube_delete(a->conn.kube, path, NULL, NULL, &err) < 0)
			fprintf(stderr, "cozypkg: rolling back %s: %s\n", path,
				err.msg);
	}
}

static int write_cluster(tap_args *a, tap_plan *p, cz_error *err)
{
	char *secret = NULL, *verify_secret = NULL;
	int rc;

	if ((rc = check_ocirepository(a, p, &secret, &verify_secret, err)) <
		    0 ||
	    (rc = check_sources(a, p, err)) < 0 ||
	    (rc = cz_kube_ensure_namespace(a->conn.kube, CZ_TAP_NAMESPACE,
					   err)) < 0)
		goto cleanup;
	if (a->secret && *a->secret)
		secret = cz_xstrdup(a->secret);
	if (p->key_pem) {
		free(verify_secret);
		verify_secret = NULL;
		if ((rc = apply_verify_secret(a, p, &verify_secret, err)) < 0)
			goto cleanup;
	}
	if ((rc = apply_ocirepository(a, p, secret, verify_secret, err)) < 0 ||
	    (rc = apply_sources(a, p, err)) < 0)
		goto cleanup;
cleanup:
	if (rc < 0)
		roll_back(a, p);
	free(secret);
	free(verify_secret);
	return rc;
}

static void print_result(const tap_plan *p)
{
	size_t i;
	json_t *src;

	fprintf(stderr, "tapped %s (%s %s, pulled %s) as OCIRepository %s/%s\n",
		p->url, p->digest ? "digest" : "tag",
		p->digest ? p->digest : p->tag, p->pulled, CZ_TAP_NAMESPACE,
		p->name);
	json_array_foreach (p->sources, i, src)
		printf("packagesource/%s\n",
		       json_string_value(json_object_get(
			       json_object_get(src, "metadata"), "name")));
}

static int tap(tap_args *a, const char *arg)
{
	tap_plan p;
	cz_error err = CZ_ERROR_INIT;
	char *from_index = NULL;
	const char *target = arg;
	int rc;

	memset(&p, 0, sizeof(p));
	p.created = json_array();
	if (strncmp(arg, "oci://", 6) != 0) {
		if ((rc = resolve_name(a, arg, &from_index, &p)) != CLI_EXIT_OK)
			goto cleanup;
		target = from_index;
	}
	if ((rc = cli_connect(&a->conn)) != CLI_EXIT_OK)
		goto cleanup;
	if ((rc = prepare(a, target, &p, &err)) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	if (write_cluster(a, &p, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	print_result(&p);
	rc = CLI_EXIT_OK;
cleanup:
	plan_release(&p);
	free(from_index);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	tap_args a;
	int first, rc;

	memset(&a, 0, sizeof(a));
	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK && first >= argc)
		rc = cli_usage_error(cmd, "tap needs an oci:// reference or an "
				     "index name");
	else if (rc == CLI_EXIT_OK && first + 1 < argc)
		rc = cli_usage_error(cmd, "unexpected argument \"%s\"",
				     argv[first + 1]);
	else if (rc == CLI_EXIT_OK && strchr(argv[first], '@') &&
		 (a.tag || a.pin))
		rc = cli_usage_error(cmd, "a digest reference is already "
				     "pinned: --tag and --pin do not apply");
	if (rc == CLI_EXIT_OK)
		rc = tap(&a, argv[first]);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_tap = {
	.name = "tap",
	.run = run,
	.summary = "Subscribe the cluster to a package repository",
	.usage = "tap oci://REF[:TAG|@sha256:DIGEST] | NAME [--tag T] [--pin] "
		 "[--secret NAME] [--verify-key FILE]",
	.description =
		"Pulls the artifact and checks it before anything is created "
		"on the cluster, then creates the Flux OCIRepository "
		"tap-<org>-<repo> in cozy-system and applies the "
		"PackageSources the artifact declares, all labelled "
		"apps.cozystack.io/marketplace-tap (field manager cozypkg).  "
		"A name that an official source or another tap already has "
		"is refused, never overwritten; tapping the same URL again "
		"updates it.  @sha256: or --pin follows one digest; "
		"--verify-key makes the cluster verify every revision's "
		"cosign signature before storing it.  Packages are installed "
		"afterwards with `cozypkg add`.",
	.opts = opts,
	.examples = "  cozypkg tap oci://ghcr.io/acme/packages:v1.0.0\n"
		    "  cozypkg tap oci://ghcr.io/acme/packages@sha256:0123... "
		    "--verify-key cosign.pub\n"
		    "  cozypkg tap acme-packages --pin\n",
};
