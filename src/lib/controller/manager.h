#ifndef CZ_CONTROLLER_MANAGER_H
#define CZ_CONTROLLER_MANAGER_H

/*
 * The controllers of cozypkg and the manager that runs them: Package and
 * PackageSource reconciliation, cozystack-values replication and
 * HelmRelease auto-recovery (cozystack-operator §2, §3, §5.2).
 *
 * There is one code path.  The manager talks to an API server through
 * cz_kube with the credentials of a kubeconfig: cozypkgd hands it its own
 * loopback URL and a token of its own (in-process mode), and
 * `cozypkgd --controllers-only --kubeconfig FILE` hands it any server
 * (operator mode).
 */

#include <stdbool.h>

#include "controller/platform.h"
#include "engine/engine.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "util/error.h"

typedef struct cz_manager cz_manager;

typedef enum cz_ready_mode {
	CZ_READY_APPLIED, /* Ready once the HelmReleases are written (real) */
	CZ_READY_HEALTHY, /* Ready once they all report Ready=True */
} cz_ready_mode;

/* A Package with this annotation set to "true" keeps its HelmReleases as
 * they are: `cozypkg suspend` sets it (and suspends the releases), `cozypkg
 * resume` removes it. */
#define CZ_SUSPEND_ANNOTATION "cozypkg.io/suspended"

typedef struct cz_manager_opts {
	cz_engine_opts engine;
	cz_ready_mode ready_mode;
	const char *values_secret_name;        /* "cozystack-values" */
	const char *values_secret_namespace;   /* "cozy-system" */
	const char *values_namespace_selector; /* "cozystack.io/system=true" */
	bool leader_elect;
	const char *leader_namespace; /* "cozy-system" */
	const char *leader_name;      /* "cozystack-operator.cozystack.io" */
	const char *identity;         /* NULL: hostname_pid */
	unsigned lease_seconds;       /* 0: 15 */
	const char *platform_source_url; /* NULL or "": no bootstrap */
	const char *platform_source_ref; /* "k=v,k=v" */
	const char *platform_source_name; /* "cozystack-platform" */
	const char *platform_source_secret;
	bool install_crds;
	unsigned workers; /* Package workers; 0: 4 */
	bool quiet;       /* no per-reconcile log lines */
	/* Source and component artifacts: the directory of the
	 * content-addressed store (artifact/store.h), NULL to leave Flux
	 * sources and ExternalArtifacts to someone else; and the URL under
	 * which that store is served ("https://host:port"), which goes into
	 * status.artifact.url. */
	const char *artifact_dir;
	const char *artifact_base_url;
	/* Component artifacts also pushed as Helm charts to
	 * oci://HOST/PATH/<artifact name> (NULL: not published), over plain
	 * HTTP when insecure, with the credentials of a docker config file. */
	const char *publish_registry;
	bool publish_insecure;
	const char *publish_docker_config;
	/* History (controller/history.h): revisions kept per object, and
	 * the namespace of the cluster-scoped Packages' revisions. */
	unsigned history_limit;        /* 10 */
	const char *history_namespace; /* "cozy-system" */
	/* Native platform upgrades (controller/platform.h): off unless
	 * set; the secondary source's name; how migrations run, how long
	 * one may take, the first retry delay (doubling); operator mode's
	 * kubeconfig for the scripts; cozypkgd's issuer of short-lived
	 * identities for them (NULL in operator mode). */
	bool platform_upgrades_native;
	/* pkgserver Repositories (ctl_repository.c): synced when set (the
	 * server must serve config.pkg.pkgserver.dev), every interval. */
	bool sync_repositories;
	int64_t repository_interval_ns; /* 1 min */
	const char *packages_source_name; /* "cozystack-packages" */
	cz_migrations_executor migrations_executor;
	int64_t migrations_timeout_ns; /* 10 min */
	int64_t migrations_backoff_ns; /* 1 s */
	const char *migrations_kubeconfig;
	/* Checks a Package's values against its component artifacts
	 * (cozypkgd's values admission, in process): problems appended to
	 * causes ({field, message}), components whose artifact is not
	 * built yet to unchecked.  NULL: the ValuesValid condition is not
	 * written (operator mode). */
	void (*check_values)(void *ctx, const json_t *pkg, json_t *causes,
			     json_t *unchecked);
	void *values_ctx;
	/* Discovery of a Repository's package revisions after each good
	 * sync (cozypkgd's revision storage, in process); NULL: none. */
	int (*discover_revisions)(void *ctx, const json_t *repo,
				  cz_error *err);
	void *revisions_ctx;
	cz_issue_kubeconfig_fn issue_kubeconfig;
	cz_revoke_token_fn revoke_token;
	void *credentials_ctx;
	/* The install gate's connection, taken by the manager as kube is;
	 * NULL: it uses kube.  It applies and prunes any kind, so in
	 * process it has an identity of its own (cozypkg:installers) rather
	 * than the controllers' narrower one. */
	cz_kube *install_kube;
} cz_manager_opts;

void cz_manager_opts_default(cz_manager_opts *opts);

/*
 * Validates opts (selector syntax, source URL and ref), starts the
 * informers and, once leading (at once without leader election), the
 * workers, all talking through kube: a libcurl client (operator mode) or
 * the in-process one (apiserver/direct.h); the manager takes kube, also
 * on failure.  Returns CZ_EINVALID naming the flag for bad options.  The
 * manager is freed by cz_manager_stop().
 */
int cz_manager_start(cz_kube *kube, const cz_manager_opts *opts,
		     cz_manager **out, cz_error *err);
/* Stops workers, informers and the election (releasing the Lease). */
void cz_manager_stop(cz_manager *m);

#endif
