/*
 * A leader-election candidate for the end-to-end tests.
 *
 *   leader_driver --kubeconfig PATH --identity ID [--namespace NS]
 *                 [--name NAME] [--lease S] [--renew S] [--retry MS]
 *
 * Prints one line per event, with the wall-clock time in seconds so that a
 * test can compare the lines of several candidates:
 *   1795000000.123 leading ID
 *   1795000003.456 stopped ID
 *   1795000003.460 exited ID
 * SIGTERM or SIGINT stops the election (releasing the Lease when held)
 * and exits 0.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/leader.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "util/mem.h"

static void say(const char *event, const char *identity)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld.%03ld %s %s\n", (long long)ts.tv_sec,
	       ts.tv_nsec / 1000000, event, identity);
	fflush(stdout);
}

static void on_started(void *ctx)
{
	say("leading", ctx);
}

static void on_stopped(void *ctx)
{
	say("stopped", ctx);
}

static int usage(void)
{
	fprintf(stderr, "usage: leader_driver --kubeconfig PATH --identity ID "
			"[--namespace NS] [--name NAME] [--lease S] "
			"[--renew S] [--retry MS]\n");
	return 2;
}

/* Fills opts and *kubeconfig from argv; -1 on a usage error. */
static int parse_args(int argc, char **argv, cz_leader_opts *o,
		      const char **kubeconfig)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return -1;
		i++;
		if (!strcmp(a, "--kubeconfig"))
			*kubeconfig = v;
		else if (!strcmp(a, "--identity"))
			o->identity = v;
		else if (!strcmp(a, "--namespace"))
			o->namespace = v;
		else if (!strcmp(a, "--name"))
			o->name = v;
		else if (!strcmp(a, "--lease"))
			o->lease_seconds = (unsigned)atoi(v);
		else if (!strcmp(a, "--renew"))
			o->renew_seconds = (unsigned)atoi(v);
		else if (!strcmp(a, "--retry"))
			o->retry_ms = (unsigned)atoi(v);
		else
			return -1;
	}
	return *kubeconfig && o->identity ? 0 : -1;
}

int main(int argc, char **argv)
{
	cz_leader_opts o = { .namespace = "default", .name = "leader-driver" };
	cz_kube_opts ko = { .timeout_seconds = 2 };
	cz_kubeconfig kc = { 0 };
	cz_error err = CZ_ERROR_INIT;
	const char *kubeconfig = NULL;
	cz_kube *kube = NULL;
	cz_leader *l = NULL;
	sigset_t sigs;
	int sig, rc = 1;

	cz_json_use_project_allocator();
	if (parse_args(argc, argv, &o, &kubeconfig) < 0)
		return usage();
	o.on_started = on_started;
	o.on_stopped = on_stopped;
	o.ctx = (void *)o.identity;
	/* Blocked before the election thread exists, so that it inherits the
	 * mask and only sigwait below sees the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (cz_kubeconfig_load(kubeconfig, NULL, &kc, &err) < 0 ||
	    cz_kube_open(&kc, &ko, &kube, &err) < 0 ||
	    cz_leader_start(kube, &o, &l, &err) < 0) {
		fprintf(stderr, "leader_driver: %s\n", err.msg);
		goto cleanup;
	}
	sigwait(&sigs, &sig);
	cz_leader_stop(l);
	say("exited", o.identity);
	rc = 0;
cleanup:
	cz_kube_free(kube);
	cz_kubeconfig_release(&kc);
	return rc;
}
