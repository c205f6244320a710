#ifndef CZ_CONTROLLER_INTERNAL_H
#define CZ_CONTROLLER_INTERNAL_H

/* What the controllers share inside the manager; not a public API. */

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "api/selector.h"
#include "controller/informer.h"
#include "controller/leader.h"
#include "controller/manager.h"
#include "controller/workqueue.h"
#include "kube/client.h"
#include "model/catalog.h"
#include "object/meta.h"

/* The informers, one per watched resource. */
enum cz_watched {
	CZ_W_PACKAGES,
	CZ_W_SOURCES,
	CZ_W_RELEASES,
	CZ_W_NAMESPACES,
	CZ_W_VALUES_SECRETS,
	CZ_W_OCIREPOS,
	CZ_W_GITREPOS,
	CZ_W_REVISIONS,
	CZ_W_REPOSITORIES, /* NULL unless opts.sync_repositories */
	CZ_W_VARIANTS,     /* NULL unless opts.sync_repositories */
	CZ_W_PKGREVISIONS, /* NULL unless opts.sync_repositories */
	CZ_W_COUNT,
};

enum cz_controller_id {
	CZ_C_PACKAGE,
	CZ_C_SOURCE,
	CZ_C_VALUES,
	CZ_C_PLUNGER,
	CZ_C_ARTIFACTS,
	CZ_C_FLUXSOURCE,
	CZ_C_TAP,
	CZ_C_HISTORY,
	CZ_C_PLATFORM,
	CZ_C_REPOSITORY,
	CZ_C_VARIANT,
	CZ_C_INSTALL,
	CZ_C_COUNT,
};

/*
 * A reconcile function: brings the object named key to its desired state
 * using kube (this worker's own connection).  Returns CZ_OK, or a negative
 * code with err set to retry with backoff.
 */
typedef int (*cz_reconcile_fn)(cz_manager *m, cz_kube *kube, const char *key,
			       cz_error *err);
/* Runs after key's reconcile has ended and the queue has let it go. */
typedef void (*cz_done_fn)(cz_manager *m, const char *key);

typedef struct cz_controller {
	const char *name;
	cz_reconcile_fn reconcile;
	cz_done_fn done; /* or NULL */
	unsigned nworkers;
	cz_queue *queue;
	cz_kube *kube; /* what each worker dups (borrowed) */
	pthread_t *threads;
	cz_manager *m;
} cz_controller;

struct cz_manager {
	cz_manager_opts opts; /* strings borrowed from the caller */
	/* libgit2 is initialised once for the workers' lifetime: shutting it
	 * down while a worker thread lives would strand that thread's state. */
	bool git_ready;
	cz_kube *kube;        /* bootstrap's connection; others dup it */
	cz_informer *inf[CZ_W_COUNT];
	cz_controller ctl[CZ_C_COUNT];
	cz_leader *leader;
	cz_label_selector values_selector;
	volatile int stopping;
	pthread_mutex_t lead_lock;
	pthread_cond_t lead_cond;
	bool leading;
	pthread_t bootstrap_thread;
	bool bootstrap_started;

	/* The Package controller's view, guarded by lock: the catalog of
	 * Packages and PackageSources, the engine over it, and the reverse
	 * dependency index (name -> {dependent: true}) with each Package's
	 * current contribution to it (name -> [dependency...]), and the same
	 * for the namespaces Packages install into (namespace ->
	 * {package: true}, package -> [namespace...]), so that a namespace
	 * whose privileged state flips costs its Packages, not a scan. */
	pthread_rwlock_t lock;
	cz_catalog catalog;
	cz_engine engine;
	json_t *dependents;
	json_t *depends;
	json_t *installers;
	json_t *installs;
	/* Packages that may lie on a dependency cycle (a superset), kept
	 * for the cycle search: rebuilt, under cycle_lock, when the graph
	 * changed (graph_dirty, written under the write lock). */
	pthread_mutex_t cycle_lock;
	json_t *cycle_candidates;
	volatile bool graph_dirty;
	int64_t candidates_at_ns;
	int64_t candidates_cost_ns; /* how long the last rebuild took */
	/* HelmReleases this controller just wrote: "ns/name" -> the version
	 * written, so that the watch's echo of its own write does not
	 * reconcile the Package again (guarded by echo_lock). */
	pthread_mutex_t echo_lock;
	json_t *own_releases;
	/* Packages waiting for another's reconcile to end before they write
	 * a status (name -> {waiter: true}): see wait_for_settling (under
	 * settle_lock). */
	pthread_mutex_t settle_lock;
	json_t *settle_waiters;

	/* The artifact generator's state (ctl_artifacts.c); NULL when the
	 * manager has no artifact directory. */
	struct cz_artgen *artgen;

	/* The tap controller: the artifact digest last applied for each
	 * tapped OCIRepository ("ns/name" -> digest), under tap_lock. */
	json_t *tap_applied;
	pthread_mutex_t tap_lock;

	/* The history controller's index of ControllerRevisions: owner uid
	 * -> {max, hash, count}, under history_lock. */
	json_t *history;
	pthread_mutex_t history_lock;

	/* Native platform upgrades (ctl_platform.c); NULL when off. */
	struct cz_platform *platform;
};

/* Logs one logfmt line on stderr: level, controller, key, message. */
void cz_ctl_log(cz_manager *m, const char *level, const char *controller,
		const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Setup of each controller: registers its informer handlers. */
void cz_package_controller_setup(cz_manager *m);
void cz_source_controller_setup(cz_manager *m);
void cz_values_controller_setup(cz_manager *m);
void cz_plunger_controller_setup(cz_manager *m);
void cz_artifacts_controller_setup(cz_manager *m);
void cz_artifacts_free(cz_manager *m);
void cz_fluxsource_controller_setup(cz_manager *m);
/* After the workers have stopped. */
void cz_fluxsource_controller_free(cz_manager *m);
void cz_history_controller_setup(cz_manager *m);
void cz_history_controller_free(cz_manager *m);
int cz_history_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err);
void cz_platform_controller_setup(cz_manager *m);
void cz_platform_controller_free(cz_manager *m);
int cz_platform_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			  cz_error *err);
/* The platform PackageSource's Ready condition while its revision is
 * migrated or failed to be (new reference), else NULL. */
json_t *cz_platform_condition(cz_manager *m, const char *source_name,
			      const json_t *previous, int64_t generation);
void cz_repository_controller_setup(cz_manager *m);
void cz_install_controller_setup(cz_manager *m);
int cz_install_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err);
void cz_variant_controller_setup(cz_manager *m);
int cz_variant_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err);
int cz_repository_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			    cz_error *err);
void cz_tap_controller_setup(cz_manager *m);
void cz_tap_controller_free(cz_manager *m);
int cz_tap_reconcile(cz_manager *m, cz_kube *kube, const char *key,
		     cz_error *err);

/* The extracted tree of the artifact a Flux source (an OCIRepository or
 * GitRepository object) has stored, from the artifact store; *tree_out is
 * malloc'ed and the tree is shared: read it, never change it.
 * CZ_ENOTFOUND when the source has no artifact yet. */
int cz_artifacts_flux_tree(cz_manager *m, const json_t *flux,
			   char **tree_out, cz_error *err);

int cz_package_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err);
void cz_package_done(cz_manager *m, const char *key);
int cz_source_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			cz_error *err);
int cz_values_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			cz_error *err);
int cz_plunger_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			 cz_error *err);
int cz_artifacts_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			   cz_error *err);

/* The artifact generator, for the PackageSource controller: whether it
 * runs, and its Ready condition ({status, reason, message}, new
 * reference) for PackageSource name built at generation from the source
 * artifact digest, or NULL when that build has not happened yet. */
bool cz_artifacts_enabled(const cz_manager *m);
json_t *cz_artifacts_condition(cz_manager *m, const char *name,
			       int64_t generation, const char *digest);
/* Queues in c every PackageSource whose sourceRef names the Flux source
 * obj of kind. */
void cz_enqueue_sources_of(cz_manager *m, cz_controller *c, const char *kind,
			   const json_t *obj);
int cz_fluxsource_reconcile(cz_manager *m, cz_kube *kube, const char *key,
			    cz_error *err);

/* Bootstrap: embedded CRDs and the platform source (once leading). */
int cz_bootstrap_validate(const cz_manager_opts *opts, cz_error *err);
int cz_bootstrap_run(cz_manager *m, cz_kube *kube, cz_error *err);

/* Shared helpers (common.c). */
/* True when two conditions agree on everything but lastTransitionTime. */
bool cz_condition_same(const json_t *a, const json_t *b);
/* Writes status for obj through the status subresource (a compare-and-swap
 * on obj's resourceVersion, and on its uid when it has one); the server's
 * answer, the whole object, goes to *out (may be NULL). */
int cz_write_status(cz_kube *kube, const cz_resource *r, const json_t *obj,
		    json_t *status, json_t **out, cz_error *err);
/* Server-side apply of obj by field manager, with force. */
int cz_apply_object(cz_kube *kube, const cz_resource *r, const json_t *obj,
		    const char *manager, json_t **out, cz_error *err);
/* True when current is already at candidate's resourceVersion or past it.
 * Versions are compared as numbers when both are (cozypkgd, etcd); opaque
 * ones only for equality. */
bool cz_rv_seen(const json_t *candidate, const json_t *current);
/* True when both carry the same resourceVersion. */
bool cz_rv_same(const json_t *a, const json_t *b);
/* The resources the controllers write. */
const cz_resource *cz_res_packages(void);
const cz_resource *cz_res_sources(void);
const cz_resource *cz_res_releases(void);
const cz_resource *cz_res_namespaces(void);
const cz_resource *cz_res_secrets(void);
const cz_resource *cz_res_revisions(void);
/* Adds from's labels and annotations to into's (from's values win, keys
 * only into has stay), as the operators merge metadata they own. */
void cz_meta_add_maps(json_t *into, const json_t *from);
/* Queue key of obj for namespaced objects "ns/name", else "name". */
void cz_enqueue_object(cz_controller *c, const json_t *obj);
/* The PackageSource name from the informer's cache (a new reference),
 * or NULL when it is gone or being deleted.  The live catalog keeps only
 * what it decodes of a source, not the object. */
json_t *cz_live_source(cz_manager *m, const char *name);
/* The same, parsing only what view names (NULL: everything but
 * managedFields). */
json_t *cz_live_source_view(cz_manager *m, const char *name,
			    const cz_projection *view);

#endif
