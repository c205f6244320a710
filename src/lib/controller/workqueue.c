#include "controller/workqueue.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/duration.h"
#include "util/mem.h"
#include "util/strmap.h"

#define NS_PER_SEC 1000000000LL
#define DEFAULT_BASE_NS (5 * 1000 * 1000LL)   /* 5 ms */
#define DEFAULT_MAX_NS (300 * NS_PER_SEC)     /* 5 min */
#define DEFAULT_QPS 10.0
#define DEFAULT_BURST 100u

/* A key waiting out a delay; the heap orders by (ready, seq) so that keys
 * with the same ready time come out in the order they were added. */
typedef struct waiting {
	int64_t ready_ns;
	uint64_t seq;
	size_t index; /* position in the heap, kept for decrease-key */
	char key[];
} waiting;

/* A key's failure count for the per-key backoff. */
typedef struct failure {
	unsigned count;
	char key[];
} failure;

/*
 * Key ownership: dirty and processing each own their own copy of a key
 * (stored as both key and value, so cz_strmap_del hands it back to be
 * freed).  The FIFO borrows dirty's copies: a key is in the FIFO only while
 * it is in dirty, and get() moves the copy from dirty to processing.
 */
struct cz_queue {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC, for the timed waits */
	char *name;
	cz_queue_opts opts;

	char **fifo; /* ring of borrowed keys */
	size_t head, len, cap;
	cz_strmap dirty;      /* queued, or re-added while processing */
	cz_strmap processing; /* handed to a worker, not yet done */

	waiting **heap; /* min-heap of delayed keys */
	size_t nheap, heap_cap;
	cz_strmap waiting_by_key; /* key -> waiting, borrowed from heap */
	uint64_t seq;

	cz_strmap failures; /* key -> failure (owned) */
	double tokens;      /* global bucket; negative: reserved ahead */
	int64_t tokens_at_ns;

	bool shutting_down;
};

static void apply_defaults(cz_queue_opts *o, const cz_queue_opts *given)
{
	*o = given ? *given : (cz_queue_opts){ 0, 0, 0, 0 };
	if (o->base_delay_ns <= 0)
		o->base_delay_ns = DEFAULT_BASE_NS;
	if (o->max_delay_ns <= 0)
		o->max_delay_ns = DEFAULT_MAX_NS;
	if (!(o->qps > 0))
		o->qps = DEFAULT_QPS;
	if (!o->burst)
		o->burst = DEFAULT_BURST;
}

cz_queue *cz_queue_new(const char *name, const cz_queue_opts *opts)
{
	cz_queue *q = cz_xcalloc(1, sizeof(*q));
	pthread_condattr_t attr;

	/* Delays are measured on the monotonic clock so that a wall-clock
	 * step (NTP, an operator) neither fires nor stalls them. */
	if (pthread_condattr_init(&attr) != 0)
		goto fail_free;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&q->cond, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		goto fail_free;
	}
	pthread_condattr_destroy(&attr);
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		goto fail_cond;
	q->name = cz_xstrdup(name ? name : "");
	apply_defaults(&q->opts, opts);
	q->tokens = (double)q->opts.burst;
	q->tokens_at_ns = cz_mono_ns();
	return q;

fail_cond:
	pthread_cond_destroy(&q->cond);
fail_free:
	free(q);
	return NULL;
}


void cz_queue_free(cz_queue *q)
{
	if (!q)
		return;
	free(q->fifo); /* its keys belong to dirty */
	cz_strmap_release_owned(&q->dirty);
	cz_strmap_release_owned(&q->processing);
	for (size_t i = 0; i < q->nheap; i++)
		free(q->heap[i]);
	free(q->heap);
	cz_strmap_release(&q->waiting_by_key);
	cz_strmap_release_owned(&q->failures);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cond);
	free(q->name);
	free(q);
}

/* --- FIFO ---------------------------------------------------------------- */

static void fifo_push(cz_queue *q, char *key)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		char **ring = cz_xreallocarray(NULL, cap, sizeof(*ring));

		for (size_t i = 0; i < q->len; i++)
			ring[i] = q->fifo[(q->head + i) % q->cap];
		free(q->fifo);
		q->fifo = ring;
		q->cap = cap;
		q->head = 0;
	}
	q->fifo[(q->head + q->len) % q->cap] = key;
	q->len++;
}

static char *fifo_pop(cz_queue *q)
{
	char *key = q->fifo[q->head];

	q->head = (q->head + 1) % q->cap;
	q->len--;
	return key;
}

/* The add itself, with the lock held. */
static void add_locked(cz_queue *q, const char *key)
{
	char *copy;

	if (q->shutting_down || cz_strmap_has(&q->dirty, key))
		return;
	copy = cz_xstrdup(key);
	cz_strmap_put(&q->dirty, copy, copy);
	/* Being processed: done() queues it, so no second worker gets it. */
	if (cz_strmap_has(&q->processing, key))
		return;
	fifo_push(q, copy);
	pthread_cond_signal(&q->cond);
}

void cz_queue_add(cz_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	add_locked(q, key);
	pthread_mutex_unlock(&q->mu);
}

void cz_queue_add_all(cz_queue *q, const char *const *keys, size_t n)
{
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < n; i++)
		add_locked(q, keys[i]);
	pthread_mutex_unlock(&q->mu);
}

/* --- the delay heap ------------------------------------------------------ */

static bool heap_less(const waiting *a, const waiting *b)
{
	if (a->ready_ns != b->ready_ns)
		return a->ready_ns < b->ready_ns;
	return a->seq < b->seq;
}

static void heap_set(cz_queue *q, size_t i, waiting *w)
{
	q->heap[i] = w;
	w->index = i;
}

static void heap_up(cz_queue *q, size_t i)
{
	waiting *w = q->heap[i];

	while (i > 0 && heap_less(w, q->heap[(i - 1) / 2])) {
		heap_set(q, i, q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(q, i, w);
}

static void heap_down(cz_queue *q, size_t i)
{
	waiting *w = q->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->nheap)
			break;
		if (c + 1 < q->nheap && heap_less(q->heap[c + 1], q->heap[c]))
			c++;
		if (!heap_less(q->heap[c], w))
			break;
		heap_set(q, i, q->heap[c]);
		i = c;
	}
	heap_set(q, i, w);
}

static waiting *heap_pop(cz_queue *q)
{
	waiting *top = q->heap[0];

	q->nheap--;
	if (q->nheap) {
		heap_set(q, 0, q->heap[q->nheap]);
		heap_down(q, 0);
	}
	return top;
}

/* Queues key at ready_ns; a key already waiting keeps the earlier of its
 * two times, as client-go's delaying queue does. */
static void delay_locked(cz_queue *q, const char *key, int64_t ready_ns)
{
	waiting *w = cz_strmap_get(&q->waiting_by_key, key);
	size_t n;

	if (w) {
		if (ready_ns < w->ready_ns) {
			w->ready_ns = ready_ns;
			heap_up(q, w->index);
		}
	} else {
		n = strlen(key) + 1;
		w = cz_xmalloc(sizeof(*w) + n);
		memcpy(w->key, key, n);
		w->ready_ns = ready_ns;
		w->seq = q->seq++;
		CZ_GROW(q->heap, q->nheap + 1, q->heap_cap);
		q->heap[q->nheap] = w;
		w->index = q->nheap++;
		heap_up(q, w->index);
		cz_strmap_put(&q->waiting_by_key, w->key, w);
	}
	/* A new earliest time: the getters must shorten their waits. */
	if (q->heap[0] == w)
		pthread_cond_broadcast(&q->cond);
}

/* Moves every key whose time has come into the FIFO. */
static void promote_ready(cz_queue *q, int64_t now)
{
	while (q->nheap && q->heap[0]->ready_ns <= now) {
		waiting *w = heap_pop(q);

		cz_strmap_del(&q->waiting_by_key, w->key);
		add_locked(q, w->key);
		free(w);
	}
}

void cz_queue_add_after(cz_queue *q, const char *key, int64_t delay_ns)
{
	pthread_mutex_lock(&q->mu);
	if (q->shutting_down)
		goto out;
	if (delay_ns <= 0)
		add_locked(q, key);
	else
		delay_locked(q, key, cz_mono_ns() + delay_ns);
out:
	pthread_mutex_unlock(&q->mu);
}

/* --- rate limiting ------------------------------------------------------- */

/* base * 2^failures, capped; counts this failure. */
static int64_t backoff_locked(cz_queue *q, const char *key)
{
	failure *f = cz_strmap_get(&q->failures, key);
	double d;
	size_t n;

	if (!f) {
		n = strlen(key) + 1;
		f = cz_xcalloc(1, sizeof(*f) + n);
		memcpy(f->key, key, n);
		cz_strmap_put(&q->failures, f->key, f);
	}
	/* In double, so that a long failure streak saturates at the cap
	 * instead of overflowing. */
	d = ldexp((double)q->opts.base_delay_ns,
		  f->count < 1000 ? (int)f->count : 1000);
	if (f->count < UINT_MAX)
		f->count++;
	return d >= (double)q->opts.max_delay_ns ? q->opts.max_delay_ns
						  : (int64_t)d;
}

/* Takes a token from the global bucket, as golang.org/x/time/rate's
 * Reserve does: when the bucket is empty the token is borrowed from the
 * future, and the returned delay is when it will have been refilled. */
static int64_t bucket_locked(cz_queue *q, int64_t now)
{
	double burst = (double)q->opts.burst;

	q->tokens += (double)(now - q->tokens_at_ns) * q->opts.qps / NS_PER_SEC;
	if (q->tokens > burst)
		q->tokens = burst;
	q->tokens_at_ns = now;
	q->tokens -= 1.0;
	if (q->tokens >= 0)
		return 0;
	return (int64_t)ceil(-q->tokens / q->opts.qps * NS_PER_SEC);
}

void cz_queue_add_rate_limited(cz_queue *q, const char *key)
{
	int64_t now, per_key, global;

	pthread_mutex_lock(&q->mu);
	if (q->shutting_down)
		goto out;
	now = cz_mono_ns();
	/* Both limiters count every add, as client-go's MaxOf does. */
	per_key = backoff_locked(q, key);
	global = bucket_locked(q, now);
	delay_locked(q, key, now + (per_key > global ? per_key : global));
out:
	pthread_mutex_unlock(&q->mu);
}

void cz_queue_forget(cz_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	free(cz_strmap_del(&q->failures, key));
	pthread_mutex_unlock(&q->mu);
}

unsigned cz_queue_failures(cz_queue *q, const char *key)
{
	failure *f;
	unsigned n;

	pthread_mutex_lock(&q->mu);
	f = cz_strmap_get(&q->failures, key);
	n = f ? f->count : 0;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* --- workers ------------------------------------------------------------- */

/* Sleeps until signalled or until the earliest delayed key is due. */
static void wait_locked(cz_queue *q)
{
	struct timespec ts;
	int64_t at;

	if (!q->nheap) {
		pthread_cond_wait(&q->cond, &q->mu);
		return;
	}
	at = q->heap[0]->ready_ns;
	ts.tv_sec = (time_t)(at / NS_PER_SEC);
	ts.tv_nsec = (long)(at % NS_PER_SEC);
	pthread_cond_timedwait(&q->cond, &q->mu, &ts);
}

char *cz_queue_get(cz_queue *q)
{
	char *key = NULL;
	char *out = NULL;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->shutting_down)
			goto out;
		promote_ready(q, cz_mono_ns());
		if (q->len)
			break;
		wait_locked(q);
	}
	key = fifo_pop(q);
	cz_strmap_del(&q->dirty, key);
	cz_strmap_put(&q->processing, key, key); /* the copy moves over */
	out = cz_xstrdup(key);
out:
	pthread_mutex_unlock(&q->mu);
	return out;
}

void cz_queue_done(cz_queue *q, const char *key)
{
	char *dirty;

	pthread_mutex_lock(&q->mu);
	free(cz_strmap_del(&q->processing, key));
	/* Added again while it was processed: its turn is now. */
	dirty = cz_strmap_get(&q->dirty, key);
	if (dirty && !q->shutting_down) {
		fifo_push(q, dirty);
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->mu);
}

void cz_queue_shutdown(cz_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->shutting_down = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

bool cz_queue_busy(cz_queue *q, const char *key)
{
	bool busy;

	pthread_mutex_lock(&q->mu);
	busy = cz_strmap_has(&q->dirty, key) ||
	       cz_strmap_has(&q->processing, key);
	pthread_mutex_unlock(&q->mu);
	return busy;
}

size_t cz_queue_len(cz_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->len + q->nheap;
	pthread_mutex_unlock(&q->mu);
	return n;
}

bool cz_queue_idle(cz_queue *q)
{
	bool idle;

	pthread_mutex_lock(&q->mu);
	idle = !q->len && !q->nheap && !q->processing.len;
	pthread_mutex_unlock(&q->mu);
	return idle;
}
