#ifndef CZ_CONTROLLER_LEADER_H
#define CZ_CONTROLLER_LEADER_H

/*
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection does: acquire the Lease when it is free or expired
 * (renewTime + leaseDurationSeconds in the past), renew it every retry
 * period, give up leadership when it cannot renew within the renew
 * deadline, and release it (holderIdentity cleared) on shutdown so a
 * standby takes over at once.  Every write is a compare-and-swap on the
 * Lease's resourceVersion, so two candidates can never both lead.
 */

#include <stdbool.h>
#include <stdint.h>

#include "kube/client.h"
#include "util/error.h"

typedef struct cz_leader cz_leader;

typedef struct cz_leader_opts {
	const char *namespace;   /* Lease namespace, e.g. "cozy-system" */
	const char *name;        /* e.g. "cozystack-operator.cozystack.io" */
	const char *identity;    /* this candidate, e.g. "host_pid" */
	unsigned lease_seconds;  /* 0: 15 */
	unsigned renew_seconds;  /* renew deadline; 0: 10 */
	unsigned retry_ms;       /* 0: 2000 */
	/* Called in the election thread when leadership starts or ends. */
	void (*on_started)(void *ctx);
	void (*on_stopped)(void *ctx);
	void *ctx;
} cz_leader_opts;

/* Takes its own cz_kube_dup() of kube and starts the election thread. */
int cz_leader_start(cz_kube *kube, const cz_leader_opts *opts,
		    cz_leader **out, cz_error *err);
bool cz_leader_is_leader(cz_leader *l);
/* Stops the thread, releases the Lease if held, frees l. */
void cz_leader_stop(cz_leader *l);

#endif
