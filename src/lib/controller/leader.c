#include "controller/leader.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/resource.h"
#include "util/duration.h"
#include "util/mem.h"

#define NS_PER_SEC 1000000000LL
#define DEFAULT_LEASE_SECONDS 15u
#define DEFAULT_RENEW_SECONDS 10u
#define DEFAULT_RETRY_MS 2000u

struct cz_leader {
	cz_kube *kube; /* the election thread's own handle */
	char *namespace;
	char *name;
	char *identity;
	char *path;       /* the Lease */
	char *collection; /* where it is created */
	unsigned lease_seconds, renew_seconds, retry_ms;
	void (*on_started)(void *ctx);
	void (*on_stopped)(void *ctx);
	void *ctx;

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC, wakes the retry sleep */
	bool stopping;       /* under mu */
	atomic_bool leading;

	/* Election thread only. */
	json_t *lease;         /* last Lease read or written (owned) */
	json_t *observed_spec; /* its spec when it last changed (owned) */
	int64_t observed_ns;   /* monotonic time of that change */
};

/* Now as a metav1.MicroTime: "2026-11-21T10:00:00.000000Z". */
static void micro_time_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%06ldZ", ts.tv_nsec / 1000);
}

/* --- the Lease record ---------------------------------------------------- */

static const char *spec_holder(const json_t *spec)
{
	const char *h;

	h = json_string_value(json_object_get(spec, "holderIdentity"));

	return h ? h : "";
}

static bool holds(const cz_leader *l, const json_t *spec)
{
	return strcmp(spec_holder(spec), l->identity) == 0;
}

/*
 * Remembers lease as the latest and, when its spec differs from the one
 * observed before, when that changed.  Expiry is judged from this local
 * time rather than from the holder's renewTime, so the candidates' clocks
 * need not agree (client-go does the same).
 */
static void observe(cz_leader *l, json_t *lease)
{
	json_t *spec = json_object_get(lease, "spec");

	json_decref(l->lease);
	l->lease = lease;
	if (!json_is_object(spec))
		spec = NULL;
	if (l->observed_spec && spec && json_equal(l->observed_spec, spec))
		return;
	json_decref(l->observed_spec);
	l->observed_spec = spec ? json_deep_copy(spec) : json_object();
	l->observed_ns = cz_mono_ns();
}

/* True while the observed holder's lease has not run out. */
static bool observed_valid(const cz_leader *l)
{
	json_int_t secs = json_integer_value(
		json_object_get(l->observed_spec, "leaseDurationSeconds"));

	if (secs <= 0)
		secs = l->lease_seconds;
	return cz_mono_ns() < l->observed_ns + (int64_t)secs * NS_PER_SEC;
}

/* Our record, continuing old (the observed spec, may be empty). */
static json_t *our_spec(const cz_leader *l, const json_t *old)
{
	json_int_t transitions = json_integer_value(
		json_object_get(old, "leaseTransitions"));
	json_t *acquired = json_object_get(old, "acquireTime");
	char now[32];

	micro_time_now(now);
	if (!holds(l, old)) {
		transitions++;
		acquired = NULL;
	}
	return json_pack("{s:s, s:I, s:s, s:s, s:I}", "holderIdentity",
			 l->identity, "leaseDurationSeconds",
			 (json_int_t)l->lease_seconds, "acquireTime",
			 json_is_string(acquired) ? json_string_value(acquired)
						  : now,
			 "renewTime", now, "leaseTransitions", transitions);
}

/* Writes spec over the latest Lease, conditional on its resourceVersion:
 * CZ_ECONFLICT when another candidate wrote in between. */
static int write_spec(cz_leader *l, json_t *spec, cz_error *err)
{
	json_t *obj = json_deep_copy(l->lease);
	json_t *written = NULL;
	int rc;

	json_object_set_new(obj, "spec", spec);
	rc = cz_kube_update(l->kube, l->path, obj, &written, err);
	if (rc == CZ_OK)
		observe(l, written);
	json_decref(obj);
	return rc;
}

static int create_lease(cz_leader *l, cz_error *err)
{
	json_t *empty = json_object();
	json_t *obj = NULL;
	json_t *created = NULL;
	int rc;

	obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion",
			"coordination.k8s.io/v1", "kind", "Lease", "metadata",
			"name", l->name, "namespace", l->namespace, "spec",
			our_spec(l, empty));
	/* A new Lease starts at zero transitions, as client-go's does. */
	json_object_set_new(json_object_get(obj, "spec"), "leaseTransitions",
			    json_integer(0));
	rc = cz_kube_create(l->kube, l->collection, obj, &created, err);
	if (rc == CZ_OK)
		observe(l, created);
	else if (rc == CZ_EEXISTS) /* another candidate created it first */
		rc = CZ_ECONFLICT;
	json_decref(obj);
	json_decref(empty);
	return rc;
}

/*
 * One round, as client-go's tryAcquireOrRenew: CZ_OK when we hold the
 * Lease afterwards, CZ_ECONFLICT when another candidate does (or won the
 * race to write it), another code when the server could not be asked.
 */
static int try_acquire_or_renew(cz_leader *l, cz_error *err)
{
	json_t *got = NULL;
	int rc;

	rc = cz_kube_get(l->kube, l->path, &got, err);
	if (rc == CZ_ENOTFOUND)
		return create_lease(l, err);
	if (rc < 0)
		return rc;
	if (!json_is_object(got)) {
		json_decref(got);
		return cz_fail(err, CZ_ERR, "lease %s/%s: no object returned",
			       l->namespace, l->name);
	}
	observe(l, got);
	if (*spec_holder(l->observed_spec) && !holds(l, l->observed_spec) &&
	    observed_valid(l))
		return cz_fail(err, CZ_ECONFLICT, "lease %s/%s is held by %s",
			       l->namespace, l->name,
			       spec_holder(l->observed_spec));
	return write_spec(l, our_spec(l, l->observed_spec), err);
}

/* Clears the holder so a standby need not wait for the lease to expire;
 * best effort, and only when the Lease is still ours. */
static void release(cz_leader *l)
{
	cz_error err = CZ_ERROR_INIT;
	json_t *spec;
	char now[32];

	if (!l->lease || !holds(l, l->observed_spec))
		return;
	micro_time_now(now);
	spec = json_deep_copy(l->observed_spec);
	json_object_set_new(spec, "holderIdentity", json_string(""));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
	json_object_set_new(spec, "acquireTime", json_string(now));
	json_object_set_new(spec, "renewTime", json_string(now));
	write_spec(l, spec, &err);
}

/* --- the election thread ------------------------------------------------- */

/* Sleeps one retry period; true when asked to stop. */
static bool sleep_retry(cz_leader *l)
{
	int64_t at = cz_mono_ns() + (int64_t)l->retry_ms * 1000000;
	struct timespec ts = { (time_t)(at / NS_PER_SEC),
			       (long)(at % NS_PER_SEC) };
	bool stop;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping &&
	       pthread_cond_timedwait(&l->cond, &l->mu, &ts) != ETIMEDOUT)
		;
	stop = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

static bool should_stop(cz_leader *l)
{
	bool stop;

	pthread_mutex_lock(&l->mu);
	stop = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

/* Tries every retry period until the Lease is ours; false when stopped. */
static bool campaign(cz_leader *l)
{
	cz_error err = CZ_ERROR_INIT;

	while (!should_stop(l)) {
		if (try_acquire_or_renew(l, &err) == CZ_OK)
			return true;
		if (sleep_retry(l))
			break;
	}
	return false;
}

/*
 * Renews every retry period until stopped, until another candidate holds
 * the Lease, or until no renewal has succeeded for the renew deadline.
 * Ending, it calls on_stopped before releasing, so that this process has
 * stopped acting as leader by the time a standby can take over.
 */
static void lead(cz_leader *l)
{
	cz_error err = CZ_ERROR_INIT;
	int64_t renewed = cz_mono_ns();
	int64_t deadline = (int64_t)l->renew_seconds * NS_PER_SEC;
	bool stop;

	atomic_store(&l->leading, true);
	if (l->on_started)
		l->on_started(l->ctx);
	while (!(stop = sleep_retry(l))) {
		if (try_acquire_or_renew(l, &err) == CZ_OK)
			renewed = cz_mono_ns();
		else if (!holds(l, l->observed_spec) ||
			 cz_mono_ns() - renewed >= deadline)
			break;
	}
	atomic_store(&l->leading, false);
	if (l->on_stopped)
		l->on_stopped(l->ctx);
	if (stop)
		release(l);
}

static void *run(void *arg)
{
	cz_leader *l = arg;

	while (campaign(l))
		lead(l);
	return NULL;
}

/* --- start and stop ------------------------------------------------------ */

static int check_opts(const cz_leader_opts *o, cz_error *err)
{
	if (!o || !o->namespace || !*o->namespace || !o->name || !*o->name)
		return cz_fail(err, CZ_EINVALID,
			       "leader election: namespace and name required");
	if (!o->identity || !*o->identity)
		return cz_fail(err, CZ_EINVALID,
			       "leader election: identity required");
	return CZ_OK;
}

/* Copies opts with defaults; the renew deadline must end before the
 * lease does and leave room for a retry, as client-go requires. */
static int set_opts(cz_leader *l, const cz_leader_opts *o, cz_error *err)
{
	l->namespace = cz_xstrdup(o->namespace);
	l->name = cz_xstrdup(o->name);
	l->identity = cz_xstrdup(o->identity);
	l->lease_seconds = o->lease_seconds ? o->lease_seconds
					    : DEFAULT_LEASE_SECONDS;
	l->renew_seconds = o->renew_seconds ? o->renew_seconds
					    : DEFAULT_RENEW_SECONDS;
	l->retry_ms = o->retry_ms ? o->retry_ms : DEFAULT_RETRY_MS;
	l->on_started = o->on_started;
	l->on_stopped = o->on_stopped;
	l->ctx = o->ctx;
	if (l->lease_seconds <= l->renew_seconds)
		return cz_fail(err, CZ_EINVALID,
			       "leader election: lease (%us) must be longer "
			       "than the renew deadline (%us)",
			       l->lease_seconds, l->renew_seconds);
	if ((uint64_t)l->renew_seconds * 1000 <= l->retry_ms)
		return cz_fail(err, CZ_EINVALID,
			       "leader election: the renew deadline (%us) must "
			       "be longer than the retry period (%ums)",
			       l->renew_seconds, l->retry_ms);
	return CZ_OK;
}

static int init_sync(cz_leader *l, cz_error *err)
{
	pthread_condattr_t attr;
	int rc = CZ_OK;

	if (pthread_condattr_init(&attr) != 0)
		return cz_fail(err, CZ_ERR, "leader election: condattr");
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&l->cond, &attr) != 0) {
		rc = cz_fail(err, CZ_ERR, "leader election: condition");
		goto cleanup;
	}
	if (pthread_mutex_init(&l->mu, NULL) != 0) {
		pthread_cond_destroy(&l->cond);
		rc = cz_fail(err, CZ_ERR, "leader election: mutex");
	}
cleanup:
	pthread_condattr_destroy(&attr);
	return rc;
}

/* Frees what set_opts and the paths allocated. */
static void free_leader(cz_leader *l)
{
	cz_kube_free(l->kube);
	json_decref(l->lease);
	json_decref(l->observed_spec);
	free(l->namespace);
	free(l->name);
	free(l->identity);
	free(l->path);
	free(l->collection);
	free(l);
}

int cz_leader_start(cz_kube *kube, const cz_leader_opts *opts,
		    cz_leader **out, cz_error *err)
{
	const cz_resource *res = cz_resource_find("coordination.k8s.io", "v1",
						  "leases");
	cz_leader *l = NULL;
	bool synced = false;
	int rc;

	*out = NULL;
	if ((rc = check_opts(opts, err)) < 0)
		return rc;
	if (!res)
		return cz_fail(err, CZ_ERR,
			       "leader election: no leases resource");
	l = cz_xcalloc(1, sizeof(*l));
	atomic_init(&l->leading, false);
	if ((rc = set_opts(l, opts, err)) < 0 ||
	    (rc = cz_kube_dup(kube, &l->kube, err)) < 0 ||
	    (rc = init_sync(l, err)) < 0)
		goto cleanup;
	synced = true;
	l->path = cz_kube_path(res, l->namespace, l->name, NULL, NULL);
	l->collection = cz_kube_path(res, l->namespace, NULL, NULL, NULL);
	if (pthread_create(&l->thread, NULL, run, l) != 0)
		rc = cz_fail(err, CZ_ERR,
			     "leader election: cannot start thread");
cleanup:
	if (rc < 0) {
		if (synced) {
			pthread_mutex_destroy(&l->mu);
			pthread_cond_destroy(&l->cond);
		}
		free_leader(l);
	} else {
		*out = l;
	}
	return rc;
}

bool cz_leader_is_leader(cz_leader *l)
{
	return atomic_load(&l->leading);
}

void cz_leader_stop(cz_leader *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cond);
	free_leader(l);
}
