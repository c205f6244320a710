#include "store/events.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"

typedef struct event_slot {
	cz_event_type type;
	cz_blob *object; /* the ring's reference */
} event_slot;

struct cz_hub {
	atomic_size_t refs;
	pthread_mutex_t mu;
	pthread_condattr_t cond_attr; /* every watch's: the monotonic clock */
	event_slot *slots;
	size_t cap;
	/* All below under mu.  The ring holds revisions first..head; it is
	 * empty when first == head + 1. */
	int64_t first;
	int64_t head;
	bool stopping;
	size_t nwatches;
	cz_watch *watches; /* every open watch, linked through next/prev */
};

/* Each watch sleeps on its own condition variable, and a write wakes only
 * the sleeping watches whose prefix its key falls under: with one shared
 * variable every write woke every watch of every resource, and the
 * wake-ups cost more than the writes. */
struct cz_watch {
	cz_hub *hub;
	char *prefix;
	size_t prefix_len;
	/* All below under hub->mu. */
	int64_t cursor; /* every event up to it looked at */
	pthread_cond_t cond;
	bool sleeping; /* in cz_watch_next's wait, not yet woken */
	size_t wakeups;
	cz_watch *next;
	cz_watch *prev;
};

cz_hub *cz_hub_new(size_t cap, int64_t start_rv)
{
	cz_hub *hub = cz_xcalloc(1, sizeof(*hub));

	atomic_init(&hub->refs, 1);
	pthread_mutex_init(&hub->mu, NULL);
	/* Timeouts are measured on the monotonic clock so that setting the
	 * wall clock neither cuts nor stretches a wait. */
	pthread_condattr_init(&hub->cond_attr);
	pthread_condattr_setclock(&hub->cond_attr, CLOCK_MONOTONIC);
	hub->cap = cap;
	hub->slots = cz_xcalloc(cap, sizeof(*hub->slots));
	hub->first = start_rv + 1;
	hub->head = start_rv;
	return hub;
}

static cz_hub *hub_ref(cz_hub *hub)
{
	atomic_fetch_add_explicit(&hub->refs, 1, memory_order_relaxed);
	return hub;
}

void cz_hub_unref(cz_hub *hub)
{
	if (!hub)
		return;
	if (atomic_fetch_sub_explicit(&hub->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < hub->cap; i++)
		cz_blob_unref(hub->slots[i].object);
	free(hub->slots);
	pthread_condattr_destroy(&hub->cond_attr);
	pthread_mutex_destroy(&hub->mu);
	free(hub);
}

static event_slot *slot_of(cz_hub *hub, int64_t rv)
{
	return &hub->slots[(uint64_t)rv % hub->cap];
}

static void wake(cz_watch *w)
{
	w->sleeping = false;
	w->wakeups++;
	pthread_cond_signal(&w->cond);
}

void cz_hub_append(cz_hub *hub, int64_t rv, cz_event_type type,
		   cz_blob *object)
{
	event_slot *slot;
	cz_blob *overwritten;

	pthread_mutex_lock(&hub->mu);
	slot = slot_of(hub, rv);
	overwritten = slot->object;
	slot->type = type;
	slot->object = cz_blob_ref(object);
	hub->head = rv;
	if (hub->head - hub->first + 1 > (int64_t)hub->cap)
		hub->first = hub->head - (int64_t)hub->cap + 1;
	for (cz_watch *w = hub->watches; w; w = w->next)
		if (w->sleeping &&
		    strncmp(object->key, w->prefix, w->prefix_len) == 0)
			wake(w);
	pthread_mutex_unlock(&hub->mu);
	/* Outside the lock: dropping the last reference frees memory. */
	cz_blob_unref(overwritten);
}

void cz_hub_stop(cz_hub *hub)
{
	pthread_mutex_lock(&hub->mu);
	hub->stopping = true;
	for (cz_watch *w = hub->watches; w; w = w->next)
		if (w->sleeping)
			wake(w);
	pthread_mutex_unlock(&hub->mu);
}

size_t cz_hub_watch_count(cz_hub *hub)
{
	size_t n;

	pthread_mutex_lock(&hub->mu);
	n = hub->nwatches;
	pthread_mutex_unlock(&hub->mu);
	return n;
}

int cz_hub_watch(cz_hub *hub, const char *prefix, int64_t from_rv,
		 cz_watch **out, cz_error *err)
{
	cz_watch *w = NULL;
	int rc = CZ_OK;

	*out = NULL;
	if (from_rv < 0)
		return cz_fail(err, CZ_EINVALID,
			       "negative resource version %lld",
			       (long long)from_rv);
	pthread_mutex_lock(&hub->mu);
	if (hub->stopping) {
		rc = cz_fail(err, CZ_EIO, "the store is shutting down");
		goto cleanup;
	}
	/* Watching from r needs every event after r: r + 1 must still be in
	 * the ring or not yet written. */
	if (from_rv && from_rv + 1 < hub->first) {
		rc = cz_fail(err, CZ_EGONE,
			     "too old resource version: %lld (oldest retained "
			     "is %lld)",
			     (long long)from_rv, (long long)(hub->first - 1));
		goto cleanup;
	}
	w = cz_xcalloc(1, sizeof(*w));
	w->hub = hub_ref(hub);
	w->prefix = cz_xstrdup(prefix ? prefix : "");
	w->prefix_len = strlen(w->prefix);
	w->cursor = from_rv ? from_rv : hub->head;
	pthread_cond_init(&w->cond, &hub->cond_attr);
	w->next = hub->watches;
	if (hub->watches)
		hub->watches->prev = w;
	hub->watches = w;
	hub->nwatches++;
	*out = w;
cleanup:
	pthread_mutex_unlock(&hub->mu);
	return rc;
}

static struct timespec deadline_after(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Advances w over the ring up to head and stops at the first event under
 * its prefix, which it returns (borrowed), or NULL.  Called under mu. */
static const event_slot *scan(cz_watch *w)
{
	cz_hub *hub = w->hub;

	while (w->cursor < hub->head) {
		const event_slot *slot = slot_of(hub, ++w->cursor);

		if (strncmp(slot->object->key, w->prefix, w->prefix_len) == 0)
			return slot;
	}
	return NULL;
}

int cz_watch_next(cz_watch *w, int timeout_ms, cz_event *ev, cz_error *err)
{
	cz_hub *hub = w->hub;
	struct timespec deadline = { 0, 0 };
	const event_slot *slot;
	int rc = CZ_OK;

	ev->type = CZ_EV_NONE;
	ev->object = NULL;
	if (timeout_ms > 0)
		deadline = deadline_after(timeout_ms);
	pthread_mutex_lock(&hub->mu);
	for (;;) {
		if (hub->stopping) {
			rc = cz_fail(err, CZ_EIO, "the store is shutting down");
			break;
		}
		if (w->cursor + 1 < hub->first) {
			rc = cz_fail(err, CZ_EGONE,
				     "watch fell behind: events after %lld are "
				     "no longer retained",
				     (long long)w->cursor);
			break;
		}
		slot = scan(w);
		if (slot) {
			ev->type = slot->type;
			ev->object = cz_blob_ref(slot->object);
			break;
		}
		if (timeout_ms == 0)
			break;
		w->sleeping = true;
		if (timeout_ms < 0)
			pthread_cond_wait(&w->cond, &hub->mu);
		else if (pthread_cond_timedwait(&w->cond, &hub->mu,
						&deadline) == ETIMEDOUT)
			timeout_ms = 0; /* one last look, then time out */
		w->sleeping = false;
	}
	pthread_mutex_unlock(&hub->mu);
	return rc;
}

int64_t cz_watch_revision(cz_watch *w)
{
	int64_t rv;

	pthread_mutex_lock(&w->hub->mu);
	rv = w->cursor;
	pthread_mutex_unlock(&w->hub->mu);
	return rv;
}

size_t cz_watch_wakeups(cz_watch *w)
{
	size_t n;

	pthread_mutex_lock(&w->hub->mu);
	n = w->wakeups;
	pthread_mutex_unlock(&w->hub->mu);
	return n;
}

void cz_watch_close(cz_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->hub->mu);
	w->hub->nwatches--;
	if (w->prev)
		w->prev->next = w->next;
	else
		w->hub->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&w->hub->mu);
	cz_hub_unref(w->hub);
	pthread_cond_destroy(&w->cond);
	free(w->prefix);
	free(w);
}
