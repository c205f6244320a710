/* cozypkgd's controller options and the two modes of running them. */

#include "controllers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/direct.h"
#include "apiserver/values.h"
#include "revision/revstore.h"
#include "auth/token.h"
#include "controller/artgen.h"
#include "kube/kubeconfig.h"
#include "log.h"
#include "util/duration.h"
#include "util/mem.h"

enum {
	OPT_CONTROLLERS = CZ_CTL_OPT_FIRST,
	OPT_CONTROLLERS_ONLY,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_LEADER_ELECT,
	OPT_LEASE_SECONDS,
	OPT_IDENTITY,
	OPT_PACKAGE_READY,
	OPT_WORKERS,
	OPT_VALUES_NAME,
	OPT_VALUES_NAMESPACE,
	OPT_VALUES_SELECTOR,
	OPT_SOURCE_URL,
	OPT_SOURCE_REF,
	OPT_SOURCE_NAME,
	OPT_SOURCE_SECRET,
	OPT_INSTALL_CRDS,
	OPT_HR_INTERVAL,
	OPT_HR_RETRY,
	OPT_HR_INSTALL_TIMEOUT,
	OPT_HR_UPGRADE_TIMEOUT,
	OPT_HR_MAX_HISTORY,
	OPT_PUBLISH_REGISTRY,
	OPT_PUBLISH_INSECURE,
	OPT_PUBLISH_DOCKER_CONFIG,
	OPT_HISTORY_LIMIT,
	OPT_HISTORY_NAMESPACE,
	OPT_PLATFORM_UPGRADES,
	OPT_PACKAGES_SOURCE_NAME,
	OPT_MIGRATIONS_EXECUTOR,
	OPT_MIGRATIONS_TIMEOUT,
	OPT_SYNC_REPOSITORIES,
	OPT_REPOSITORY_INTERVAL,
};

const struct option cz_ctl_long_options[] = {
	{ "controllers", required_argument, NULL, OPT_CONTROLLERS },
	{ "controllers-only", no_argument, NULL, OPT_CONTROLLERS_ONLY },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "leader-elect", no_argument, NULL, OPT_LEADER_ELECT },
	{ "lease-seconds", required_argument, NULL, OPT_LEASE_SECONDS },
	{ "identity", required_argument, NULL, OPT_IDENTITY },
	{ "package-ready", required_argument, NULL, OPT_PACKAGE_READY },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "cozy-values-secret-name", required_argument, NULL, OPT_VALUES_NAME },
	{ "cozy-values-secret-namespace", required_argument, NULL,
	  OPT_VALUES_NAMESPACE },
	{ "cozy-values-namespace-selector", required_argument, NULL,
	  OPT_VALUES_SELECTOR },
	{ "platform-source-url", required_argument, NULL, OPT_SOURCE_URL },
	{ "platform-source-ref", required_argument, NULL, OPT_SOURCE_REF },
	{ "platform-source-name", required_argument, NULL, OPT_SOURCE_NAME },
	{ "platform-source-secret", required_argument, NULL,
	  OPT_SOURCE_SECRET },
	{ "install-crds", no_argument, NULL, OPT_INSTALL_CRDS },
	{ "helmrelease-interval", required_argument, NULL, OPT_HR_INTERVAL },
	{ "helmrelease-retry-interval", required_argument, NULL, OPT_HR_RETRY },
	{ "helmrelease-install-timeout", required_argument, NULL,
	  OPT_HR_INSTALL_TIMEOUT },
	{ "helmrelease-upgrade-timeout", required_argument, NULL,
	  OPT_HR_UPGRADE_TIMEOUT },
	{ "helmrelease-max-history", required_argument, NULL,
	  OPT_HR_MAX_HISTORY },
	{ "publish-registry", required_argument, NULL, OPT_PUBLISH_REGISTRY },
	{ "publish-insecure", no_argument, NULL, OPT_PUBLISH_INSECURE },
	{ "publish-docker-config", required_argument, NULL,
	  OPT_PUBLISH_DOCKER_CONFIG },
	{ "history-limit", required_argument, NULL, OPT_HISTORY_LIMIT },
	{ "history-namespace", required_argument, NULL,
	  OPT_HISTORY_NAMESPACE },
	{ "platform-upgrades", required_argument, NULL, OPT_PLATFORM_UPGRADES },
	{ "packages-source-name", required_argument, NULL,
	  OPT_PACKAGES_SOURCE_NAME },
	{ "migrations-executor", required_argument, NULL,
	  OPT_MIGRATIONS_EXECUTOR },
	{ "migrations-timeout", required_argument, NULL,
	  OPT_MIGRATIONS_TIMEOUT },
	{ "sync-repositories", no_argument, NULL, OPT_SYNC_REPOSITORIES },
	{ "repository-interval", required_argument, NULL,
	  OPT_REPOSITORY_INTERVAL },
	{ NULL, 0, NULL, 0 },
};

const char cz_ctl_usage[] =
	"Controllers (Packages into HelmReleases, PackageSources, values\n"
	"replication, HelmRelease auto-recovery):\n"
	"      --controllers all|none   run them in this process (default "
	"all)\n"
	"      --controllers-only       run only the controllers, against the\n"
	"                               server --kubeconfig names (no --data)\n"
	"      --kubeconfig FILE        kubeconfig for --controllers-only\n"
	"                               (default $KUBECONFIG, ~/.kube/config)\n"
	"      --context NAME           kubeconfig context\n"
	"      --leader-elect           elect one active replica with a Lease\n"
	"                               cozy-system/cozystack-operator."
	"cozystack.io\n"
	"      --lease-seconds N        lease duration (default 15)\n"
	"      --identity NAME          candidate name (default host_pid)\n"
	"      --package-ready MODE     applied (default): Ready once the\n"
	"                               HelmReleases are written; healthy:\n"
	"                               once they all report Ready\n"
	"      --workers N              Package workers (default 4)\n"
	"      --history-limit N        ControllerRevisions kept per Package "
	"and\n"
	"                               Flux source (default 10)\n"
	"      --history-namespace NS   where Packages' revisions go "
	"(default\n"
	"                               cozy-system)\n"
	"      --cozy-values-secret-name NAME       (default "
	"cozystack-values)\n"
	"      --cozy-values-secret-namespace NS    (default cozy-system)\n"
	"      --cozy-values-namespace-selector SEL (default\n"
	"                               cozystack.io/system=true)\n"
	"      --platform-source-url URL   oci:// (OCIRepository) or\n"
	"                               https://, http://, ssh:// "
	"(GitRepository)\n"
	"      --platform-source-ref K=V,...  digest|semver|semverFilter|tag,\n"
	"                               or branch|tag|semver|name|commit\n"
	"      --platform-source-name NAME (default cozystack-platform)\n"
	"      --platform-source-secret NAME  the source's secretRef\n"
	"      --install-crds           apply the Package and PackageSource "
	"CRDs\n"
	"Platform upgrades:\n"
	"      --platform-upgrades chart|native  native: cozypkgd runs the\n"
	"                               migrations of each new platform "
	"revision\n"
	"                               and only then moves the secondary "
	"source\n"
	"                               (default chart: the platform chart "
	"does)\n"
	"      --packages-source-name NAME  the secondary source (default\n"
	"                               cozystack-packages)\n"
	"      --migrations-executor process|job  a subprocess per script\n"
	"                               (default) or the real hook's Job\n"
	"      --migrations-timeout D   per script, or for the Job (default "
	"10m)\n"
	"Package repositories (config.pkg.pkgserver.dev Repository):\n"
	"      --sync-repositories      sync them in operator mode too (the\n"
	"                               server must serve that group; always "
	"in\n"
	"                               process)\n"
	"      --repository-interval D  how often each is synced (default "
	"1m)\n"
	"      --helmrelease-interval D        (default 5m)\n"
	"      --helmrelease-retry-interval D  (default 30s)\n"
	"      --helmrelease-install-timeout D (default 10m)\n"
	"      --helmrelease-upgrade-timeout D (default 10m)\n"
	"      --helmrelease-max-history N     (default 5; 0 unlimited)\n"
	"Component artifacts (in-process mode; served at /artifacts/):\n"
	"      --publish-registry oci://HOST/PATH  also push each one as a "
	"Helm\n"
	"                               chart to PATH/<artifact name>\n"
	"      --publish-insecure       plain HTTP to that registry\n"
	"      --publish-docker-config FILE  its credentials (docker "
	"config JSON)\n";

void cz_ctl_config_default(cz_ctl_config *c)
{
	memset(c, 0, sizeof(*c));
	cz_manager_opts_default(&c->mgr);
	c->enabled = true;
}

static int usage_error(const char *flag, const char *arg, const char *what)
{
	fprintf(stderr, "cozypkgd: --%s %s: %s\n", flag, arg, what);
	return 2;
}

static int parse_count(const char *flag, const char *arg, bool zero_ok,
		       unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || (!zero_ok && v == 0) ||
	    v > 1000000 || arg[0] == '-')
		return usage_error(flag, arg,
				   zero_ok ? "expected a number"
					   : "expected a positive number");
	*out = (unsigned)v;
	return 0;
}

static int parse_duration(const char *flag, const char *arg, int64_t *out)
{
	cz_error err = CZ_ERROR_INIT;

	if (cz_duration_parse(arg, out, &err) != CZ_OK || *out <= 0)
		return usage_error(flag, arg, "expected a duration such as 5m");
	return 0;
}

/* A flag taking one of two words: *second becomes true for the second. */
static int parse_choice(const char *flag, const char *arg, const char *first,
			const char *second_word, bool *second)
{
	char what[64];

	if (strcmp(arg, first) == 0 || strcmp(arg, second_word) == 0) {
		*second = strcmp(arg, second_word) == 0;
		return 0;
	}
	snprintf(what, sizeof(what), "expected %s or %s", first, second_word);
	return usage_error(flag, arg, what);
}

int cz_ctl_parse_option(int opt, const char *arg, cz_ctl_config *c)
{
	cz_manager_opts *m = &c->mgr;
	unsigned n = 0;
	bool second = false;
	int rc = 0;

	switch (opt) {
	case OPT_CONTROLLERS:
		rc = parse_choice("controllers", arg, "all", "none", &second);
		c->enabled = !second;
		return rc;
	case OPT_CONTROLLERS_ONLY: c->only = true; return 0;
	case OPT_KUBECONFIG: c->kubeconfig = arg; return 0;
	case OPT_CONTEXT: c->context = arg; return 0;
	case OPT_LEADER_ELECT: m->leader_elect = true; return 0;
	case OPT_LEASE_SECONDS:
		return parse_count("lease-seconds", arg, false,
				   &m->lease_seconds);
	case OPT_IDENTITY: m->identity = arg; return 0;
	case OPT_PACKAGE_READY:
		rc = parse_choice("package-ready", arg, "applied", "healthy",
				  &second);
		m->ready_mode = second ? CZ_READY_HEALTHY : CZ_READY_APPLIED;
		return rc;
	case OPT_WORKERS:
		return parse_count("workers", arg, false, &m->workers);
	case OPT_HISTORY_LIMIT:
		return parse_count("history-limit", arg, false,
				   &m->history_limit);
	case OPT_HISTORY_NAMESPACE: m->history_namespace = arg; return 0;
	case OPT_PLATFORM_UPGRADES:
		rc = parse_choice("platform-upgrades", arg, "chart", "native",
				  &second);
		m->platform_upgrades_native = second;
		return rc;
	case OPT_PACKAGES_SOURCE_NAME: m->packages_source_name = arg; return 0;
	case OPT_MIGRATIONS_EXECUTOR:
		rc = parse_choice("migrations-executor", arg, "process", "job",
				  &second);
		m->migrations_executor = second ? CZ_MIGRATIONS_JOB
						: CZ_MIGRATIONS_PROCESS;
		return rc;
	case OPT_SYNC_REPOSITORIES: m->sync_repositories = true; return 0;
	case OPT_REPOSITORY_INTERVAL:
		return parse_duration("repository-interval", arg,
				      &m->repository_interval_ns);
	case OPT_MIGRATIONS_TIMEOUT:
		return parse_duration("migrations-timeout", arg,
				      &m->migrations_timeout_ns);
	case OPT_VALUES_NAME: m->values_secret_name = arg; return 0;
	case OPT_VALUES_NAMESPACE: m->values_secret_namespace = arg; return 0;
	case OPT_VALUES_SELECTOR: m->values_namespace_selector = arg; return 0;
	case OPT_SOURCE_URL: m->platform_source_url = arg; return 0;
	case OPT_SOURCE_REF: m->platform_source_ref = arg; return 0;
	case OPT_SOURCE_NAME: m->platform_source_name = arg; return 0;
	case OPT_SOURCE_SECRET: m->platform_source_secret = arg; return 0;
	case OPT_INSTALL_CRDS: m->install_crds = true; return 0;
	case OPT_HR_INTERVAL:
		return parse_duration("helmrelease-interval", arg,
				      &m->engine.interval_ns);
	case OPT_HR_RETRY:
		return parse_duration("helmrelease-retry-interval", arg,
				      &m->engine.retry_interval_ns);
	case OPT_HR_INSTALL_TIMEOUT:
		return parse_duration("helmrelease-install-timeout", arg,
				      &m->engine.install_timeout_ns);
	case OPT_HR_UPGRADE_TIMEOUT:
		return parse_duration("helmrelease-upgrade-timeout", arg,
				      &m->engine.upgrade_timeout_ns);
	case OPT_HR_MAX_HISTORY:
		rc = parse_count("helmrelease-max-history", arg, true, &n);
		m->engine.max_history = (int)n;
		return rc;
	case OPT_PUBLISH_REGISTRY: {
		cz_error err = CZ_ERROR_INIT;
		char *host = NULL, *path = NULL;

		if (cz_publish_target_parse(arg, &host, &path, &err) != CZ_OK)
			return usage_error("publish-registry", arg, err.msg);
		free(host);
		free(path);
		m->publish_registry = arg;
		return 0;
	}
	case OPT_PUBLISH_INSECURE: m->publish_insecure = true; return 0;
	case OPT_PUBLISH_DOCKER_CONFIG: m->publish_docker_config = arg; return 0;
	default: return 2;
	}
}

/* The migration scripts' identity: a session of cozypkgd's own, in the
 * group cozypkg:migrations, written as a kubeconfig for its listener. */
static int issue_migrations_kubeconfig(void *ctx, const char *path,
				       int64_t ttl_ns, char token[65],
				       cz_error *err)
{
	static const char *const groups[] = { CZ_GROUP_MIGRATIONS, NULL };
	cz_server *srv = ctx;
	int rc = cz_sessions_issue(srv->sessions, "system:cozypkg-migrations",
				   "cozypkg-migrations", groups, ttl_ns, token,
				   err);

	if (rc == CZ_OK)
		rc = cz_kubeconfig_write(path, srv->url, srv->ca_pem, token,
					 "cozypkgd", err);
	if (rc < 0 && token[0])
		cz_sessions_revoke(srv->sessions, token);
	return rc;
}

/* The Packages' ValuesValid condition: the admission's check, on the
 * store. */
static void check_package_values(void *ctx, const json_t *pkg,
				 json_t *causes, json_t *unchecked)
{
	cz_server *srv = ctx;

	cz_values_check(srv->values, srv->store, pkg, causes, unchecked);
}

static int discover_revisions(void *ctx, const json_t *repo, cz_error *err)
{
	cz_server *srv = ctx;

	return cz_revstore_sync(srv->revisions, srv->store, repo, err);
}

static void revoke_session(void *ctx, const char *token)
{
	cz_server *srv = ctx;

	cz_sessions_revoke(srv->sessions, token);
}

/* The install gate's own in-process connection (auth/token.h). */
static int open_installer(cz_server *srv, cz_kube **out, cz_error *err)
{
	static char group[] = CZ_GROUP_INSTALLERS;
	static char *groups[] = { group };
	static char name[] = "system:cozypkg-installer";
	static char uid[] = "cozypkg-installer";
	const cz_user user = { name, uid, groups, 1 };

	return cz_kube_open_direct(srv->store, srv->revisions, &user, srv->url,
				   NULL, out, err);
}

int cz_ctl_start_inprocess(cz_server *srv, cz_ctl_config *c, cz_manager **out,
			   cz_error *err)
{
	static char group[] = CZ_GROUP_CONTROLLERS;
	static char *groups[] = { group };
	static char name[] = "system:cozypkg-controllers";
	static char uid[] = "cozypkg-controllers";
	const cz_user user = { name, uid, groups, 1 };
	cz_kube *kube = NULL;
	int rc = cz_kube_open_direct(srv->store, srv->revisions, &user,
				     srv->url, NULL, &kube, err);

	*out = NULL;
	if (rc != CZ_OK)
		return rc;
	/* cozypkgd keeps artifacts beside its store and serves them itself. */
	c->mgr.artifact_dir = srv->opts.data_dir;
	c->mgr.artifact_base_url = srv->url;
	c->mgr.issue_kubeconfig = issue_migrations_kubeconfig;
	c->mgr.revoke_token = revoke_session;
	c->mgr.credentials_ctx = srv;
	c->mgr.sync_repositories = true; /* cozypkgd serves the group */
	if (srv->revisions) {
		c->mgr.discover_revisions = discover_revisions;
		c->mgr.revisions_ctx = srv;
	}
	if (srv->values) {
		c->mgr.check_values = check_package_values;
		c->mgr.values_ctx = srv;
	}
	rc = open_installer(srv, &c->mgr.install_kube, err);
	if (rc != CZ_OK) {
		cz_kube_free(kube);
		return rc;
	}
	rc = cz_manager_start(kube, &c->mgr, out, err);
	if (rc == CZ_OK)
		cz_log("info", "controllers started", "mode=in-process");
	return rc;
}

int cz_ctl_run_only(cz_ctl_config *c, const sigset_t *signals)
{
	cz_error err = CZ_ERROR_INIT;
	cz_kubeconfig kc;
	cz_manager *m = NULL;
	cz_kube *kube = NULL;
	char *scripts_kubeconfig = c->kubeconfig ? cz_xstrdup(c->kubeconfig)
						 : cz_kubeconfig_default_path();
	int sig = 0;
	int rc;

	/* Migration scripts run with the controllers' own credentials. */
	c->mgr.migrations_kubeconfig = scripts_kubeconfig;
	rc = cz_kubeconfig_load_default(c->kubeconfig, c->context, &kc, &err);
	if (rc == CZ_OK)
		rc = cz_kube_open(&kc, NULL, &kube, &err);
	if (rc == CZ_OK)
		rc = cz_manager_start(kube, &c->mgr, &m, &err);
	if (rc == CZ_OK) {
		cz_log("info", "controllers started", "mode=operator server=%s",
		       kc.server);
		sigwait(signals, &sig);
		cz_log("info", "shutting down", "signal=%d", sig);
		cz_manager_stop(m);
		cz_log("info", "stopped", NULL);
	} else {
		fprintf(stderr, "cozypkgd: %s\n", err.msg);
	}
	cz_kubeconfig_release(&kc);
	free(scripts_kubeconfig);
	return rc == CZ_OK ? 0 : 1;
}
