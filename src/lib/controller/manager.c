/*
 * The manager: informers, one work queue and a pool of workers per
 * controller, leader election, bootstrap.  Workers start once every
 * informer has its first list, and take keys only while this process
 * leads, so a standby replica keeps a warm cache but never writes.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/history.h"
#include "controller/internal.h"
#include "util/mem.h"

void cz_manager_opts_default(cz_manager_opts *o)
{
	memset(o, 0, sizeof(*o));
	cz_engine_opts_default(&o->engine);
	o->ready_mode = CZ_READY_APPLIED;
	o->values_secret_name = "cozystack-values";
	o->values_secret_namespace = "cozy-system";
	o->values_namespace_selector = "cozystack.io/system=true";
	o->leader_namespace = "cozy-system";
	o->leader_name = "cozystack-operator.cozystack.io";
	o->platform_source_name = "cozystack-platform";
	o->workers = 4;
	o->history_limit = CZ_HISTORY_DEFAULT_LIMIT;
	o->history_namespace = CZ_HISTORY_DEFAULT_NAMESPACE;
	o->packages_source_name = "cozystack-packages";
	o->migrations_executor = CZ_MIGRATIONS_PROCESS;
	o->migrations_timeout_ns = 600LL * 1000000000;
	o->migrations_backoff_ns = 1000000000LL;
	o->repository_interval_ns = 60LL * 1000000000;
}

/* The table of controllers: name, reconcile, setup, workers (0: the
 * --workers option), and what runs after the queue let a key go. */
static const struct controller_def {
	enum cz_controller_id id;
	const char *name;
	cz_reconcile_fn reconcile;
	void (*setup)(cz_manager *m);
	unsigned workers;
	cz_done_fn done;
} controllers[] = {
	{ CZ_C_PACKAGE, "package", cz_package_reconcile,
	  cz_package_controller_setup, 0, cz_package_done },
	{ CZ_C_SOURCE, "packagesource", cz_source_reconcile,
	  cz_source_controller_setup, 1, NULL },
	{ CZ_C_VALUES, "values", cz_values_reconcile,
	  cz_values_controller_setup, 1, NULL },
	{ CZ_C_PLUNGER, "plunger", cz_plunger_reconcile,
	  cz_plunger_controller_setup, 1, NULL },
	{ CZ_C_ARTIFACTS, "artifacts", cz_artifacts_reconcile,
	  cz_artifacts_controller_setup, 1, NULL },
	{ CZ_C_FLUXSOURCE, "fluxsource", cz_fluxsource_reconcile,
	  cz_fluxsource_controller_setup, 2, NULL },
	{ CZ_C_TAP, "tap", cz_tap_reconcile, cz_tap_controller_setup, 1, NULL },
	{ CZ_C_HISTORY, "history", cz_history_reconcile,
	  cz_history_controller_setup, 1, NULL },
	{ CZ_C_PLATFORM, "platform", cz_platform_reconcile,
	  cz_platform_controller_setup, 1, NULL },
	{ CZ_C_REPOSITORY, "repository", cz_repository_reconcile,
	  cz_repository_controller_setup, 1, NULL },
	{ CZ_C_VARIANT, "packagevariant", cz_variant_reconcile,
	  cz_variant_controller_setup, 1, NULL },
	{ CZ_C_INSTALL, "install", cz_install_reconcile,
	  cz_install_controller_setup, 1, NULL },
};

#define NCONTROLLERS (sizeof(controllers) / sizeof(controllers[0]))

/* The informers: what each watches. */
static const struct watch_def {
	enum cz_watched id;
	const char *group, *version, *resource;
} watches[] = {
	{ CZ_W_PACKAGES, "cozystack.io", "v1alpha1", "packages" },
	{ CZ_W_SOURCES, "cozystack.io", "v1alpha1", "packagesources" },
	{ CZ_W_RELEASES, "helm.toolkit.fluxcd.io", "v2", "helmreleases" },
	{ CZ_W_NAMESPACES, "", "v1", "namespaces" },
	{ CZ_W_VALUES_SECRETS, "", "v1", "secrets" },
	{ CZ_W_OCIREPOS, "source.toolkit.fluxcd.io", "v1", "ocirepositories" },
	{ CZ_W_GITREPOS, "source.toolkit.fluxcd.io", "v1", "gitrepositories" },
	{ CZ_W_REVISIONS, "apps", "v1", "controllerrevisions" },
	{ CZ_W_REPOSITORIES, "config.pkg.pkgserver.dev", "v1alpha1",
	  "repositories" },
	{ CZ_W_VARIANTS, "config.pkg.pkgserver.dev", "v1alpha1",
	  "packagevariants" },
	{ CZ_W_PKGREVISIONS, "pkg.pkgserver.dev", "v1alpha1",
	  "packagerevisions" },
};

static int start_informers(cz_manager *m, cz_error *err)
{
	char *field = cz_xasprintf("metadata.name=%s",
				   m->opts.values_secret_name);
	int rc = CZ_OK;

	for (size_t i = 0; i < CZ_W_COUNT && rc == CZ_OK; i++) {
		cz_informer_opts io;

		/* A server without pkgserver's group would never sync it. */
		if ((watches[i].id == CZ_W_REPOSITORIES ||
		     watches[i].id == CZ_W_VARIANTS ||
		     watches[i].id == CZ_W_PKGREVISIONS) &&
		    !m->opts.sync_repositories)
			continue;
		memset(&io, 0, sizeof(io));
		io.resource = cz_resource_find(watches[i].group,
					       watches[i].version,
					       watches[i].resource);
		/* Only the values Secrets are watched, never all Secrets. */
		if (watches[i].id == CZ_W_VALUES_SECRETS)
			io.field_selector = field;
		/* The most numerous objects, read one at a time: kept as
		 * text (a HelmRelease is 1.5 KB so, 11 KB as a tree).  The
		 * live catalog keeps its own copy of what it reads of a
		 * PackageSource. */
		io.compact = watches[i].id == CZ_W_RELEASES ||
			     watches[i].id == CZ_W_REVISIONS ||
			     watches[i].id == CZ_W_SOURCES;
		rc = cz_informer_new(m->kube, &io, &m->inf[watches[i].id], err);
	}
	for (size_t i = 0; i < NCONTROLLERS && rc == CZ_OK; i++)
		controllers[i].setup(m);
	for (size_t i = 0; i < CZ_W_COUNT && rc == CZ_OK; i++)
		if (m->inf[i])
			rc = cz_informer_start(m->inf[i], err);
	free(field);
	return rc;
}

static bool all_synced(cz_manager *m)
{
	for (size_t i = 0; i < CZ_W_COUNT; i++)
		if (m->inf[i] &&
		    !cz_informer_wait_synced(m->inf[i], &m->stopping))
			return false;
	return true;
}

/* Blocks until this process leads; false once the manager stops. */
static bool wait_leading(cz_manager *m)
{
	bool leading;

	pthread_mutex_lock(&m->lead_lock);
	while (!m->leading && !m->stopping)
		pthread_cond_wait(&m->lead_cond, &m->lead_lock);
	leading = m->leading && !m->stopping;
	pthread_mutex_unlock(&m->lead_lock);
	return leading;
}

static bool is_leading(cz_manager *m)
{
	bool leading;

	pthread_mutex_lock(&m->lead_lock);
	leading = m->leading;
	pthread_mutex_unlock(&m->lead_lock);
	return leading;
}

static void process(cz_controller *c, cz_kube *kube, const char *key)
{
	cz_error err = CZ_ERROR_INIT;
	int rc = c->reconcile(c->m, kube, key, &err);

	if (rc != CZ_OK) {
		/* A conflict means the cache was behind the server: the retry
		 * reads the fresh object, so it is no error. */
		cz_ctl_log(c->m, rc == CZ_ECONFLICT ? "debug" : "error",
			   c->name, key, "%s", err.msg);
		cz_queue_add_rate_limited(c->queue, key);
		return;
	}
	cz_queue_forget(c->queue, key);
}

static void *worker_main(void *arg)
{
	cz_controller *c = arg;
	cz_manager *m = c->m;
	cz_kube *kube = NULL;
	cz_error err = CZ_ERROR_INIT;
	char *key;

	if (cz_kube_dup(c->kube, &kube, &err) != CZ_OK) {
		cz_ctl_log(m, "error", c->name, "", "%s", err.msg);
		return NULL;
	}
	if (!all_synced(m))
		goto cleanup;
	while (wait_leading(m) && (key = cz_queue_get(c->queue))) {
		/* Leadership may have gone while waiting for the key. */
		if (!is_leading(m)) {
			cz_queue_done(c->queue, key);
			cz_queue_add(c->queue, key);
			free(key);
			continue;
		}
		process(c, kube, key);
		cz_queue_done(c->queue, key);
		if (c->done)
			c->done(m, key);
		free(key);
	}
cleanup:
	cz_kube_free(kube);
	return NULL;
}

static void *bootstrap_main(void *arg)
{
	cz_manager *m = arg;
	cz_error err = CZ_ERROR_INIT;

	while (wait_leading(m)) {
		if (cz_bootstrap_run(m, m->kube, &err) == CZ_OK)
			break;
		cz_ctl_log(m, "error", "bootstrap", "", "%s", err.msg);
		for (int i = 0; i < 20 && !m->stopping; i++)
			usleep(100 * 1000);
	}
	return NULL;
}

static void set_leading(cz_manager *m, bool leading)
{
	pthread_mutex_lock(&m->lead_lock);
	m->leading = leading;
	pthread_cond_broadcast(&m->lead_cond);
	pthread_mutex_unlock(&m->lead_lock);
	cz_ctl_log(m, "info", "manager", m->opts.leader_name, "%s",
		   leading ? "started leading" : "stopped leading");
}

static void on_started(void *ctx)
{
	set_leading(ctx, true);
}

static void on_stopped(void *ctx)
{
	set_leading(ctx, false);
}

static int start_election(cz_manager *m, cz_error *err)
{
	char host[128] = "cozypkg";
	char *identity = NULL;
	cz_leader_opts lo;
	int rc;

	if (!m->opts.leader_elect) {
		set_leading(m, true);
		return CZ_OK;
	}
	gethostname(host, sizeof(host) - 1);
	identity = cz_xasprintf("%s_%ld", host, (long)getpid());
	memset(&lo, 0, sizeof(lo));
	lo.namespace = m->opts.leader_namespace;
	lo.name = m->opts.leader_name;
	lo.identity = m->opts.identity ? m->opts.identity : identity;
	lo.lease_seconds = m->opts.lease_seconds;
	/* client-go's proportions (15 s lease, 10 s renew, 2 s retry) for a
	 * shorter lease. */
	if (lo.lease_seconds && lo.lease_seconds < 15) {
		lo.renew_seconds = lo.lease_seconds * 2 / 3;
		if (!lo.renew_seconds)
			lo.renew_seconds = 1;
		lo.retry_ms = lo.lease_seconds * 1000 * 2 / 15;
	}
	lo.on_started = on_started;
	lo.on_stopped = on_stopped;
	lo.ctx = m;
	rc = cz_leader_start(m->kube, &lo, &m->leader, err);
	free(identity);
	return rc;
}

static int start_workers(cz_manager *m, cz_error *err)
{
	for (size_t i = 0; i < NCONTROLLERS; i++) {
		cz_controller *c = &m->ctl[controllers[i].id];

		/* The install gate alone talks with an identity of its own. */
		c->kube = c == &m->ctl[CZ_C_INSTALL] && m->opts.install_kube
				  ? m->opts.install_kube
				  : m->kube;
		c->threads = cz_xcalloc(c->nworkers, sizeof(*c->threads));
		for (unsigned w = 0; w < c->nworkers; w++)
			if (pthread_create(&c->threads[w], NULL, worker_main,
					   c) != 0) {
				c->nworkers = w;
				return cz_fail(err, CZ_ERR,
					       "cannot start a worker");
			}
	}
	return CZ_OK;
}

static void init_controllers(cz_manager *m)
{
	for (size_t i = 0; i < NCONTROLLERS; i++) {
		cz_controller *c = &m->ctl[controllers[i].id];

		c->name = controllers[i].name;
		c->reconcile = controllers[i].reconcile;
		c->done = controllers[i].done;
		c->nworkers = controllers[i].workers ? controllers[i].workers
						     : m->opts.workers;
		c->queue = cz_queue_new(c->name, NULL);
		c->m = m;
	}
}

static cz_manager *manager_new(const cz_manager_opts *opts)
{
	cz_manager *m = cz_xcalloc(1, sizeof(*m));

	m->opts = *opts;
	if (!m->opts.workers)
		m->opts.workers = 4;
	pthread_mutex_init(&m->lead_lock, NULL);
	pthread_cond_init(&m->lead_cond, NULL);
	pthread_rwlock_init(&m->lock, NULL);
	cz_catalog_init(&m->catalog);
	cz_engine_init(&m->engine, &m->catalog, &m->opts.engine);
	m->dependents = json_object();
	m->depends = json_object();
	m->installers = json_object();
	m->installs = json_object();
	m->own_releases = json_object();
	pthread_mutex_init(&m->echo_lock, NULL);
	pthread_mutex_init(&m->cycle_lock, NULL);
	pthread_mutex_init(&m->settle_lock, NULL);
	m->settle_waiters = json_object();
	m->graph_dirty = true;
	init_controllers(m);
	return m;
}

int cz_manager_start(cz_kube *kube, const cz_manager_opts *opts,
		     cz_manager **out, cz_error *err)
{
	cz_manager *m = manager_new(opts);
	int rc = cz_label_selector_parse(opts->values_namespace_selector,
					 &m->values_selector, err);

	*out = NULL;
	if (rc != CZ_OK)
		cz_error_prefix(err, "--cozy-values-namespace-selector");
	if (rc == CZ_OK)
		rc = cz_bootstrap_validate(opts, err);
	m->kube = kube;
	if (rc == CZ_OK)
		rc = start_informers(m, err);
	if (rc == CZ_OK)
		rc = start_workers(m, err);
	if (rc == CZ_OK && pthread_create(&m->bootstrap_thread, NULL,
					  bootstrap_main, m) == 0)
		m->bootstrap_started = true;
	if (rc == CZ_OK)
		rc = start_election(m, err);
	if (rc != CZ_OK) {
		cz_manager_stop(m);
		return rc;
	}
	*out = m;
	return CZ_OK;
}

static void stop_workers(cz_manager *m)
{
	for (size_t i = 0; i < CZ_C_COUNT; i++)
		if (m->ctl[i].queue)
			cz_queue_shutdown(m->ctl[i].queue);
	pthread_mutex_lock(&m->lead_lock);
	pthread_cond_broadcast(&m->lead_cond);
	pthread_mutex_unlock(&m->lead_lock);
	for (size_t i = 0; i < CZ_C_COUNT; i++) {
		cz_controller *c = &m->ctl[i];

		for (unsigned w = 0; c->threads && w < c->nworkers; w++)
			pthread_join(c->threads[w], NULL);
		free(c->threads);
		c->threads = NULL;
	}
	if (m->bootstrap_started)
		pthread_join(m->bootstrap_thread, NULL);
}

void cz_manager_stop(cz_manager *m)
{
	if (!m)
		return;
	m->stopping = 1;
	stop_workers(m);
	/* All at once: each watch takes up to a second to notice. */
	for (size_t i = 0; i < CZ_W_COUNT; i++)
		cz_informer_request_stop(m->inf[i]);
	if (m->leader)
		cz_leader_stop(m->leader);
	for (size_t i = 0; i < CZ_W_COUNT; i++)
		cz_informer_free(m->inf[i]);
	for (size_t i = 0; i < CZ_C_COUNT; i++)
		cz_queue_free(m->ctl[i].queue);
	cz_kube_free(m->kube);
	cz_kube_free(m->opts.install_kube);
	cz_artifacts_free(m);
	cz_fluxsource_controller_free(m);
	cz_tap_controller_free(m);
	cz_history_controller_free(m);
	cz_platform_controller_free(m);
	cz_label_selector_release(&m->values_selector);
	cz_engine_release(&m->engine);
	cz_catalog_release(&m->catalog);
	json_decref(m->dependents);
	json_decref(m->depends);
	json_decref(m->installers);
	json_decref(m->installs);
	json_decref(m->own_releases);
	pthread_mutex_destroy(&m->echo_lock);
	json_decref(m->settle_waiters);
	pthread_mutex_destroy(&m->settle_lock);
	json_decref(m->cycle_candidates);
	pthread_mutex_destroy(&m->cycle_lock);
	pthread_rwlock_destroy(&m->lock);
	pthread_cond_destroy(&m->lead_cond);
	pthread_mutex_destroy(&m->lead_lock);
	free(m);
}
