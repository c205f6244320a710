#ifndef CZ_CONTROLLER_WORKQUEUE_H
#define CZ_CONTROLLER_WORKQUEUE_H

/*
 * The controllers' work queue, with client-go's semantics:
 *
 * - a key is queued at most once however often it is added (dedup);
 * - a key being processed is not handed to a second worker; added again
 *   meanwhile, it is queued once processing is done;
 * - cz_queue_add_rate_limited() delays a key by its own exponential
 *   backoff (base doubling per failure, capped) and by a global token
 *   bucket, whichever is later, so that a broken object can never cause a
 *   request storm; cz_queue_forget() resets the key's backoff;
 * - cz_queue_add_after() queues a key after a delay (periodic requeues).
 *
 * Thread-safe: informers add from their threads, workers get and done.
 * Keys are copied.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cz_queue cz_queue;

typedef struct cz_queue_opts {
	int64_t base_delay_ns; /* first backoff; 0: 5 ms */
	int64_t max_delay_ns;  /* backoff cap; 0: 5 min */
	double qps;            /* global bucket refill; 0: 10 per second */
	unsigned burst;        /* global bucket size; 0: 100 */
} cz_queue_opts;

/* opts may be NULL for the defaults.  Returns NULL only when out of
 * memory. */
cz_queue *cz_queue_new(const char *name, const cz_queue_opts *opts);
/* Frees the queue; call after every worker has returned. */
void cz_queue_free(cz_queue *q);

void cz_queue_add(cz_queue *q, const char *key);
/* Adds keys[0..n) at once: no worker sees some of them queued and not the
 * others. */
void cz_queue_add_all(cz_queue *q, const char *const *keys, size_t n);
void cz_queue_add_after(cz_queue *q, const char *key, int64_t delay_ns);
void cz_queue_add_rate_limited(cz_queue *q, const char *key);
/* Clears the key's failure count (after a successful reconcile). */
void cz_queue_forget(cz_queue *q, const char *key);
/* Failures recorded for key since the last forget. */
unsigned cz_queue_failures(cz_queue *q, const char *key);

/*
 * Blocks until a key is ready and returns it (malloc'ed; the caller frees
 * it after cz_queue_done()), or NULL once the queue is shut down.
 */
char *cz_queue_get(cz_queue *q);
/* Marks key processed; a re-add during processing is queued now. */
void cz_queue_done(cz_queue *q, const char *key);
/* Wakes every blocked cz_queue_get(), which return NULL from then on. */
void cz_queue_shutdown(cz_queue *q);

/* True when key is ready in the queue or a worker has it: a reconcile of
 * key is certain to end soon (a key waiting out a delay is not busy). */
bool cz_queue_busy(cz_queue *q, const char *key);
/* Keys ready or waiting out a delay, for metrics and tests. */
size_t cz_queue_len(cz_queue *q);
/* True when nothing is queued, delayed or being processed. */
bool cz_queue_idle(cz_queue *q);

#endif
