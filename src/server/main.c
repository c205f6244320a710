/*
 * cozypkgd: the embedded Kubernetes-compatible API server of cozypkg.
 * One process, one data directory: a SQLite store, a generated CA and
 * server certificate, an admin token and a kubeconfig for kubectl.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact/store.h"
#include "auth/pki.h"
#include "controllers.h"
#include "auth/token.h"
#include "kube/kubeconfig.h"
#include "log.h"
#include "market.h"
#include "handlers.h"
#include "server.h"
#include "apiserver/values.h"
#include "revision/revstore.h"
#include "util/fileio.h"
#include "util/mem.h"

#define DEFAULT_LISTEN "127.0.0.1:8443"
#define DEFAULT_MAX_REQUEST_BYTES (3u * 1024 * 1024)

static const char usage[] =
	"Usage: cozypkgd --data DIR [options]\n"
	"\n"
	"Runs the cozypkg API server: a Kubernetes-compatible API for\n"
	"Packages, PackageSources, HelmReleases, Flux sources, Namespaces,\n"
	"Secrets, ConfigMaps and Leases, stored in DIR/store.db (SQLite).\n"
	"On first start it creates DIR, a CA and server certificate, an\n"
	"admin token and DIR/kubeconfig, so that\n"
	"  KUBECONFIG=DIR/kubeconfig kubectl get packages\n"
	"works at once.\n"
	"\n"
	"Options:\n"
	"  -d, --data DIR             data directory (required)\n"
	"  -l, --listen HOST:PORT     address to listen on (default "
	DEFAULT_LISTEN ";\n"
	"                             port 0 picks a free port)\n"
	"      --insecure-http        serve plain HTTP (loopback only)\n"
	"      --token-file FILE      static tokens, kube-apiserver's CSV "
	"format:\n"
	"                             token,user,uid,\"group1,group2\"\n"
	"      --max-request-bytes N  largest request body (default 3 MiB)\n"
	"      --max-watches N        open watches per user (default 256)\n"
	"      --idle-timeout S       close idle connections after S seconds\n"
	"                             (default 60)\n"
	"      --sync-full            fsync every commit (power-loss "
	"durability)\n"
	"      --values-admission M   Package values against the charts' "
	"schemas:\n"
	"                             warn (default: Warning headers), "
	"enforce (422)\n"
	"                             or off\n"
	"      --index LOCATION       marketplace index the dashboard searches "
	"(a\n"
	"                             directory, git URL or oci:// artifact);\n"
	"                             default $COZYPKG_INDEX, then index: in\n"
	"                             ~/.config/cozypkg/config.yaml, then\n"
	"                             " CZ_MARKET_DEFAULT_INDEX "\n"
	"      --index-insecure       plain HTTP for an oci:// index, and taps\n"
	"                             made from the dashboard pull over plain "
	"HTTP\n"
	"                             (spec.insecure), as cozypkg --insecure\n"
	"  -q, --quiet                no per-request log lines\n"
	"  -h, --help                 this help\n"
	"      --version              print the version\n"
	"\n";

static int parse_size(const char *text, size_t *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || v == 0)
		return CZ_EINVALID;
	*out = (size_t)v;
	return CZ_OK;
}

enum {
	OPT_INSECURE = 256,
	OPT_TOKEN_FILE,
	OPT_MAX_BODY,
	OPT_MAX_WATCHES,
	OPT_IDLE,
	OPT_SYNC_FULL,
	OPT_VERSION,
	OPT_VALUES_ADMISSION,
	OPT_INDEX,
	OPT_INDEX_INSECURE,
};

static const struct option server_options[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "listen", required_argument, NULL, 'l' },
	{ "insecure-http", no_argument, NULL, OPT_INSECURE },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "max-request-bytes", required_argument, NULL, OPT_MAX_BODY },
	{ "max-watches", required_argument, NULL, OPT_MAX_WATCHES },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "sync-full", no_argument, NULL, OPT_SYNC_FULL },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "values-admission", required_argument, NULL, OPT_VALUES_ADMISSION },
	{ "index", required_argument, NULL, OPT_INDEX },
	{ "index-insecure", no_argument, NULL, OPT_INDEX_INSECURE },
	{ NULL, 0, NULL, 0 },
};

/* The server's options followed by the controllers'. */
static struct option *all_options(void)
{
	size_t ns = 0, nc = 0;
	struct option *all;

	while (server_options[ns].name)
		ns++;
	while (cz_ctl_long_options[nc].name)
		nc++;
	all = cz_xcalloc(ns + nc + 1, sizeof(*all));
	memcpy(all, server_options, ns * sizeof(*all));
	memcpy(all + ns, cz_ctl_long_options, nc * sizeof(*all));
	return all;
}

static int parse_option(int c, cz_server_opts *o, cz_ctl_config *ctl)
{
	size_t n;

	if (c >= CZ_CTL_OPT_FIRST)
		return cz_ctl_parse_option(c, optarg, ctl);
	switch (c) {
	case 'd': o->data_dir = optarg; break;
	case 'l': o->listen = optarg; break;
	case 'q': o->quiet = true; break;
	case OPT_INSECURE: o->insecure_http = true; break;
	case OPT_TOKEN_FILE: o->token_file = optarg; break;
	case OPT_SYNC_FULL: o->sync_full = true; break;
	case OPT_INDEX: o->index = optarg; break;
	case OPT_INDEX_INSECURE: o->index_insecure = true; break;
	case OPT_VALUES_ADMISSION: {
		cz_values_mode mode;
		cz_error err = CZ_ERROR_INIT;

		if (cz_values_mode_parse(optarg, &mode, &err) != CZ_OK) {
			fprintf(stderr, "cozypkgd: %s\n", err.msg);
			return 2;
		}
		o->values_admission = optarg;
		break;
	}
	case OPT_MAX_BODY:
	case OPT_MAX_WATCHES:
	case OPT_IDLE:
		if (parse_size(optarg, &n) != CZ_OK) {
			fprintf(stderr,
				"cozypkgd: %s: expected a positive "
				"number\n",
				optarg);
			return 2;
		}
		if (c == OPT_MAX_BODY)
			o->max_request_bytes = n;
		else if (c == OPT_MAX_WATCHES)
			o->max_watches_per_user = (unsigned)n;
		else
			o->idle_timeout_seconds = (unsigned)n;
		break;
	case 'h':
		fputs(usage, stdout);
		fputs(cz_ctl_usage, stdout);
		return 1;
	case OPT_VERSION: printf("cozypkgd %s\n", CZ_VERSION); return 1;
	default:
		return 2;
	}
	return 0;
}

/* 0: run; 1: exit 0 (help, version); 2: usage error (message printed). */
static int parse_args(int argc, char **argv, cz_server_opts *o,
		      cz_ctl_config *ctl)
{
	struct option *options = all_options();
	int c, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "d:l:qh", options,
					   NULL)) != -1)
		rc = parse_option(c, o, ctl);
	free(options);
	if (rc == 2)
		fputs("Run 'cozypkgd --help' for usage.\n", stderr);
	if (rc)
		return rc;
	if (optind < argc) {
		fprintf(stderr, "cozypkgd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (ctl->only && o->data_dir) {
		fputs("cozypkgd: --controllers-only serves no API and takes no "
		      "--data\n",
		      stderr);
		return 2;
	}
	if (!o->data_dir && !ctl->only) {
		fputs("cozypkgd: --data DIR is required\n"
		      "Run 'cozypkgd --help' for usage.\n",
		      stderr);
		return 2;
	}
	return 0;
}

static int ensure_dir(const char *dir, cz_error *err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cz_fail(err, CZ_EIO, "%s: %s", dir, strerror(errno));
	return CZ_OK;
}

/* The admin token lives in DIR/admin.token (0600), made on first start. */
static int load_admin_token(const char *dir, char token[65], cz_error *err)
{
	char *path = cz_xasprintf("%s/admin.token", dir);
	FILE *f = fopen(path, "r");
	int rc = CZ_OK;

	if (f) {
		if (!fgets(token, 65, f) || strlen(token) < 32)
			rc = cz_fail(err, CZ_EINVALID,
				     "%s: not a token; remove it to make a new "
				     "one",
				     path);
		token[strcspn(token, "\r\n")] = '\0';
		fclose(f);
		goto cleanup;
	}
	rc = cz_token_generate(token, err);
	if (rc == CZ_OK)
		rc = cz_file_write_atomic(path, token, strlen(token), 0600,
					  err);
cleanup:
	free(path);
	return rc;
}

static int load_tokens(cz_server *srv, const char *admin, cz_error *err)
{
	static const char *const admin_groups[] = { CZ_GROUP_MASTERS, NULL };
	int rc = CZ_OK;

	if (srv->opts.token_file)
		rc = cz_tokens_load(srv->opts.token_file, &srv->tokens, err);
	else
		srv->tokens = cz_tokens_new();
	if (rc == CZ_OK)
		rc = cz_tokens_add(srv->tokens, admin, "admin", "admin",
				   admin_groups, err);
	srv->sessions = cz_sessions_new();
	return rc;
}

/* Like kube-apiserver, the server starts with a "default" namespace, the
 * one kubectl uses when none is given. */
static int ensure_default_namespace(cz_server *srv, cz_error *err)
{
	const cz_resource *r = cz_resource_find("", "v1", "namespaces");
	char *key = cz_object_key(r, NULL, "default");
	char uid[37];
	char now[32];
	json_t *ns = NULL;
	int rc;

	cz_new_uid(uid);
	cz_now_rfc3339(now);
	ns = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:[s]}, s:{s:s}}",
		       "apiVersion", "v1", "kind", "Namespace", "metadata",
		       "name", "default", "uid", uid, "creationTimestamp", now,
		       "spec", "finalizers", "kubernetes", "status", "phase",
		       "Active");
	rc = cz_store_create(srv->store, key, ns, NULL, err);
	if (rc == CZ_EEXISTS)
		rc = CZ_OK;
	json_decref(ns);
	free(key);
	return rc;
}

/* Package values checked against the component artifacts this server
 * builds (ExternalArtifacts in cozy-system). */
static int open_values_admission(cz_server *srv, cz_error *err)
{
	cz_values_mode mode = CZ_VALUES_WARN;
	int rc = CZ_OK;

	if (srv->opts.values_admission)
		rc = cz_values_mode_parse(srv->opts.values_admission, &mode,
					  err);
	if (rc == CZ_OK && mode != CZ_VALUES_OFF)
		srv->values = cz_values_admission_new(mode, srv->artifacts,
						      "cozy-system");
	return rc;
}

/* Package revisions: git mirrors under DIR/revisions. */
static int open_revisions(cz_server *srv, cz_error *err)
{
	char *cache = cz_xasprintf("%s/revisions", srv->opts.data_dir);
	cz_revstore_opts o = { .cache_dir = cache };
	int rc = cz_revstore_open(&o, &srv->revisions, err);

	free(cache);
	return rc;
}

static int start(cz_server *srv, cz_pki *pki, cz_ctl_config *ctl,
		 cz_manager **mgr, cz_error *err)
{
	char token[65] = "";
	char *db = NULL;
	char *kubeconfig = NULL;
	cz_store_opts sopts = { NULL, srv->opts.sync_full, 0 };
	int rc = ensure_dir(srv->opts.data_dir, err);

	if (rc == CZ_OK)
		rc = cz_pki_ensure(srv->opts.data_dir, NULL, pki, err);
	if (rc == CZ_OK)
		rc = load_admin_token(srv->opts.data_dir, token, err);
	if (rc == CZ_OK)
		rc = load_tokens(srv, token, err);
	if (rc != CZ_OK)
		goto cleanup;
	srv->ca_pem = cz_xstrdup(pki->ca_cert_pem);
	db = cz_xasprintf("%s/store.db", srv->opts.data_dir);
	sopts.path = db;
	rc = cz_store_open(&sopts, &srv->store, err);
	if (rc == CZ_OK)
		rc = cz_artifact_store_open(srv->opts.data_dir, &srv->artifacts,
					    err);
	if (rc == CZ_OK)
		rc = open_values_admission(srv, err);
	if (rc == CZ_OK)
		rc = open_revisions(srv, err);
	if (rc == CZ_OK)
		rc = cz_search_index_open(srv->opts.index,
					  srv->opts.index_insecure,
					  &srv->search_index, err);
	if (rc == CZ_OK && cz_store_count(srv->store) == 0)
		rc = ensure_default_namespace(srv, err);
	if (rc == CZ_OK)
		rc = cz_gc_start(srv, err);
	if (rc == CZ_OK)
		rc = cz_http_start(srv, pki->server_cert_pem,
				   pki->server_key_pem, err);
	if (rc != CZ_OK)
		goto cleanup;
	kubeconfig = cz_xasprintf("%s/kubeconfig", srv->opts.data_dir);
	rc = cz_kubeconfig_write(kubeconfig, srv->url,
				 pki->ca_cert_pem,
				 token, "cozypkgd", err);
	if (rc == CZ_OK) {
		cz_log("info", "serving", "url=%s kubeconfig=%s", srv->url,
		       kubeconfig);
	}
	if (rc == CZ_OK && ctl->enabled)
		rc = cz_ctl_start_inprocess(srv, ctl, mgr, err);
	/* Printed last: once it shows, the API and the controllers run. */
	if (rc == CZ_OK) {
		printf("kubeconfig: %s\n", kubeconfig);
		fflush(stdout);
	}
cleanup:
	free(kubeconfig);
	free(db);
	return rc;
}

static void stop(cz_server *srv, cz_manager *mgr)
{
	/* The controllers go first: their requests need the server. */
	cz_manager_stop(mgr);
	srv->stopping = 1;
	cz_http_stop(srv);
	cz_gc_stop(srv);
	cz_store_close(srv->store);
	srv->store = NULL;
	cz_values_admission_free(srv->values);
	srv->values = NULL;
	cz_revstore_close(srv->revisions);
	srv->revisions = NULL;
	cz_search_index_free(srv->search_index);
	srv->search_index = NULL;
	cz_artifact_store_close(srv->artifacts);
	srv->artifacts = NULL;
	cz_tokens_free(srv->tokens);
	cz_sessions_free(srv->sessions);
	free(srv->ca_pem);
	cz_metrics_free(srv->metrics);
	json_decref(srv->watches_by_user);
	pthread_mutex_destroy(&srv->lock);
	free(srv->url);
}

/* Signals are blocked in every thread (the HTTP threads inherit the mask)
 * and taken here, so that shutdown runs on the main thread. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

int main(int argc, char **argv)
{
	cz_server srv;
	cz_ctl_config ctl;
	cz_manager *mgr = NULL;
	cz_pki pki;
	cz_error err = CZ_ERROR_INIT;
	sigset_t signals;
	int sig = 0;
	int rc;

	cz_json_use_project_allocator();
	memset(&srv, 0, sizeof(srv));
	memset(&pki, 0, sizeof(pki));
	srv.opts.listen = DEFAULT_LISTEN;
	srv.opts.max_request_bytes = DEFAULT_MAX_REQUEST_BYTES;
	srv.opts.max_watches_per_user = 256;
	srv.opts.idle_timeout_seconds = 60;
	srv.opts.max_connections = 1024;
	cz_ctl_config_default(&ctl);
	rc = parse_args(argc, argv, &srv.opts, &ctl);
	if (rc)
		return rc == 1 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	block_signals(&signals);
	if (ctl.only)
		return cz_ctl_run_only(&ctl, &signals);
	pthread_mutex_init(&srv.lock, NULL);
	srv.watches_by_user = json_object();
	srv.metrics = cz_metrics_new();
	clock_gettime(CLOCK_MONOTONIC, &srv.started);
	rc = start(&srv, &pki, &ctl, &mgr, &err);
	if (rc == CZ_OK) {
		sigwait(&signals, &sig);
		cz_log("info", "shutting down", "signal=%d", sig);
	} else {
		fprintf(stderr, "cozypkgd: %s\n", err.msg);
	}
	stop(&srv, mgr);
	cz_pki_release(&pki);
	if (rc == CZ_OK)
		cz_log("info", "stopped", NULL);
	return rc == CZ_OK ? 0 : 1;
}
