/* cozypkg search: find package repositories in the marketplace index, and
 * whether the cluster has tapped them. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kube/kubeconfig.h"
#include "market/cache.h"
#include "util/buf.h"
#include "util/mem.h"

/* The TAPPED column is a courtesy: a slow cluster must not hold the
 * search up for the API client's minute. */
#define TAPPED_TIMEOUT_S 10
#define DESCRIPTION_LIMIT 60
#define DESCRIPTION_KEEP 57

static const cli_opt opts[] = {
	CLI_INDEX_OPTION,
	{ 'o', "output", "FORMAT", "table (default), json or yaml" },
	CLI_REGISTRY_OPTIONS,
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct search_args {
	const char *index;
	const char *format;
	const char *term;
	bool insecure;
	cli_conn conn;
} search_args;

/* ---- loading the index (shared with tap and list --available) ---------- */

static const char *origin_text(cz_market_origin o)
{
	return o == CZ_MARKET_FROM_FLAG	  ? "--index"
	       : o == CZ_MARKET_FROM_ENV	  ? "COZYPKG_INDEX"
	       : o == CZ_MARKET_FROM_CONFIG ? "the config file"
					   : "the default";
}

static void warn_invalid(const char *loc, const cz_market_index *idx,
			 const cz_diags *d)
{
	if (!d->nerrors)
		return;
	fprintf(stderr, "cozypkg: warning: %s: %zu invalid entr%s left out "
		"(first: %s); see cozypkg index validate\n", loc,
		idx->ninvalid, idx->ninvalid == 1 ? "y" : "ies",
		d->len ? d->items[0].text : "?");
}

int cli_index_load(const char *flag, bool insecure, cz_market_index *idx)
{
	cz_market_load_opts o;
	cz_market_origin origin = CZ_MARKET_FROM_DEFAULT;
	cz_market_kind kind = CZ_MARKET_DIR;
	cli_registry reg = { CZ_OCI_REF_INIT, NULL };
	cz_error err = CZ_ERROR_INIT;
	cz_diags d;
	char *loc = NULL, *config = cz_market_config_path();
	char *cache = cz_market_cache_default_dir("index");
	int rc;

	memset(&o, 0, sizeof(o));
	o.insecure = insecure;
	o.cache_dir = cache;
	cz_diags_init(&d);
	rc = cz_market_location(flag, &loc, &origin, &err);
	if (rc == CZ_OK)
		rc = cz_market_location_kind(loc, &kind, &err);
	if (rc == CZ_OK && kind == CZ_MARKET_OCI &&
	    (rc = cli_registry_open(loc, insecure, &reg, &err)) == CZ_OK)
		o.oci = reg.oci;
	if (rc == CZ_OK)
		rc = cz_market_load(loc, &o, idx, &d, &err);
	if (rc < 0) {
		fprintf(stderr, "cozypkg: cannot read the index %s (from %s): "
			"%s; choose another with --index, COZYPKG_INDEX or "
			"index: in %s\n", loc ? loc : "?", origin_text(origin),
			err.msg, config ? config : "the config file");
		rc = CLI_EXIT_FAILED;
	} else {
		warn_invalid(loc, idx, &d);
	}
	cli_registry_close(&reg);
	cz_diags_release(&d);
	free(config);
	free(cache);
	free(loc);
	return rc;
}

/* ---- TAPPED -------------------------------------------------------------- */

static int open_cluster(search_args *a, cz_error *err)
{
	cz_kubeconfig kc;
	cz_kube_opts ko = { NULL, TAPPED_TIMEOUT_S, 0 };
	int64_t ns = 0;
	int rc;

	memset(&kc, 0, sizeof(kc));
	if (a->conn.timeout) {
		if ((rc = cz_duration_parse(a->conn.timeout, &ns, err)) < 0)
			return rc;
		ko.timeout_seconds = (unsigned)((ns + 999999999) / 1000000000);
	}
	rc = cz_kubeconfig_load_default(a->conn.kubeconfig, a->conn.context,
					&kc, err);
	if (rc == CZ_OK)
		rc = cz_kube_open(&kc, &ko, &a->conn.kube, err);
	cz_kubeconfig_release(&kc);
	return rc;
}

static int tapped_urls(search_args *a, cz_strmap *urls, json_t **list,
		       cz_error *err)
{
	int rc;

	*list = NULL;
	if ((rc = open_cluster(a, err)) < 0)
		return rc;
	return cli_tapped_urls(a->conn.kube, urls, list, err);
}

/* "yes", "no", or "-" when known is false. */
static const char *tapped_text(const cz_market_entry *e, const cz_strmap *urls,
			       bool known)
{
	char *url;
	bool yes;

	if (!known)
		return "-";
	url = cz_market_entry_url(e);
	yes = cz_strmap_has(urls, url);
	free(url);
	return yes ? "yes" : "no";
}

/* ---- output -------------------------------------------------------------- */

static json_t *entry_json(const cz_market_entry *e, const char *tapped)
{
	json_t *o = cz_market_entry_json(e);

	json_object_set_new(o, "tapped", strcmp(tapped, "-") == 0
						 ? json_null()
						 : json_boolean(*tapped == 'y'));
	return o;
}

static int write_object(const search_args *a, const cz_market_entry **res,
			size_t n, const cz_strmap *urls, bool known)
{
	json_t *items = json_array();
	json_t *doc;
	int rc;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, entry_json(res[i],
							tapped_text(res[i], urls,
								    known)));
	doc = json_pack("{s:o}", "items", items);
	rc = cli_write_object(doc, a->format);
	json_decref(doc);
	return rc;
}

static int write_table(const cz_market_entry **res, size_t n,
		       const cz_strmap *urls, bool known)
{
	static const char *const head[] = { "NAME",   "VERSION", "MAINTAINER",
					     "SIGNED", "TAPPED",  "DESCRIPTION" };
	cli_table t;
	int rc;

	cli_table_init(&t, 6);
	cli_table_row(&t, head);
	for (size_t i = 0; i < n; i++) {
		char *desc = cli_truncate(res[i]->description,
					  DESCRIPTION_LIMIT, DESCRIPTION_KEEP);
		const char *cells[] = { res[i]->name, res[i]->version,
					res[i]->maintainer,
					cz_market_signing_name(res[i]->signing),
					tapped_text(res[i], urls, known), desc };

		cli_table_row(&t, cells);
		free(desc);
	}
	rc = cli_table_print(&t);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

static int on_opt(void *ctx, int id, const char *arg)
{
	search_args *a = ctx;

	if (id == CLI_OPT_INDEX)
		a->index = arg;
	else if (id == 'o')
		a->format = arg;
	else if (id == CLI_OPT_INSECURE)
		a->insecure = true;
	else if (!cli_conn_option(&a->conn, id, arg))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

static int parse_args(const cli_command *cmd, int argc, char **argv,
		      search_args *a)
{
	static const char *const formats[] = { "table", "json", "yaml", NULL };
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, on_opt, a, &first);

	if (rc == CLI_EXIT_OK && argc - first > 1)
		rc = cli_usage_error(cmd, "search takes at most one term, got "
				     "%d", argc - first);
	if (rc == CLI_EXIT_OK)
		rc = cli_check_format(cmd, a->format, formats);
	if (rc == CLI_EXIT_OK && first < argc)
		a->term = argv[first];
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	search_args a = { NULL, "table", NULL, false,
			  { NULL, NULL, NULL, NULL } };
	cz_market_index idx = CZ_MARKET_INDEX_INIT;
	cz_strmap urls = CZ_STRMAP_INIT;
	cz_error err = CZ_ERROR_INIT;
	const cz_market_entry **res = NULL;
	json_t *taps = NULL;
	bool known;
	size_t n;
	int rc = parse_args(cmd, argc, argv, &a);

	if (rc != CLI_EXIT_OK) {
		rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
		goto cleanup;
	}
	if ((rc = cli_index_load(a.index, a.insecure, &idx)) != CLI_EXIT_OK)
		goto cleanup;
	n = cz_market_search(&idx, a.term, &res);
	known = tapped_urls(&a, &urls, &taps, &err) == CZ_OK;
	if (!known)
		fprintf(stderr, "cozypkg: warning: TAPPED unknown: %s\n",
			err.msg);
	if (strcmp(a.format, "table") == 0)
		rc = write_table(res, n, &urls, known);
	else
		rc = write_object(&a, res, n, &urls, known);
cleanup:
	free(res);
	cz_strmap_release(&urls);
	json_decref(taps);
	cz_market_index_release(&idx);
	cli_conn_close(&a.conn);
	return rc;
}

const cli_command cmd_search = {
	.name = "search",
	.run = run,
	.summary = "Find package repositories in the marketplace index",
	.usage = "search [TERM] [--index LOCATION] [-o table|json|yaml]",
	.description =
		"Lists the index entries whose name, description or tags "
		"contain TERM (any\nletter case; all entries without TERM): an "
		"entry named exactly TERM first,\nthe others by name.  SIGNED "
		"says how releases are signed (key, keyless or\nno); TAPPED "
		"whether the cluster has an OCIRepository in cozy-system with "
		"the\nlabel apps.cozystack.io/marketplace-tap for the entry's "
		"ociRef (\"-\" with a\nwarning when no cluster can be asked).  "
		"The index is read from --index,\nelse $COZYPKG_INDEX, else "
		"index: in $XDG_CONFIG_HOME/cozypkg/config.yaml\n(~/.config/"
		"cozypkg/config.yaml), else " CZ_MARKET_DEFAULT_INDEX ".\n"
		"Entries are metadata reviewed by the index maintainers, not "
		"an endorsement.",
	.opts = opts,
	.examples = "  cozypkg search postgres\n"
		    "  cozypkg search --index ./packages-index -o json\n"
		    "  COZYPKG_INDEX=https://github.com/acme/index.git#main "
		    "cozypkg search\n",
};
