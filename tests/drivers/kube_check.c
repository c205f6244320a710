/*
 * kube_check: one Kubernetes client call per run, for the end-to-end tests.
 *
 *   kube_check [options] get|delete PATH
 *   kube_check [options] create|update PATH FILE
 *   kube_check [options] patch PATH CONTENT-TYPE FILE
 *   kube_check [options] watch PATH COUNT [SECONDS]
 *   kube_check [options] watch-stop PATH SECONDS
 *
 * The kubeconfig is $KUBECONFIG.  Options override parts of it:
 * --server URL, --token TOKEN, --tls-server-name NAME, --timeout SECONDS.
 *
 * A verb prints the returned object (compact JSON) and exits 0, or prints
 * "CODE-NAME: message" on stderr and exits 1.  watch prints "TYPE NAME"
 * per event ("ERROR CODE" for an error event) and exits 0 after COUNT
 * events (1 if the stream ends first or SECONDS, default 20, pass).
 * watch-stop sets the stop flag after SECONDS and prints how long the
 * watch took to notice, e.g. "stopped 0.4".
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "util/mem.h"

typedef struct overrides {
	const char *server;
	const char *token;
	const char *tls_server_name;
	unsigned timeout;
} overrides;

typedef struct watch_ctx {
	long want;
	long seen;
} watch_ctx;

/* Raises *stop after seconds unless the watch ends first. */
typedef struct stopper {
	volatile int *stop;
	double seconds;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int done;
} stopper;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void replace(char **field, const char *value)
{
	if (!value)
		return;
	free(*field);
	*field = cz_xstrdup(value);
}

static int open_client(const overrides *o, cz_kube **out, cz_error *err)
{
	cz_kubeconfig kc = { 0 };
	cz_kube_opts opts = { .timeout_seconds = o->timeout };
	char *path = cz_kubeconfig_default_path();
	int rc;

	if (!path) {
		rc = cz_fail(err, CZ_EINVALID, "no KUBECONFIG");
		goto cleanup;
	}
	if ((rc = cz_kubeconfig_load(path, NULL, &kc, err)) < 0)
		goto cleanup;
	replace(&kc.server, o->server);
	replace(&kc.token, o->token);
	replace(&kc.tls_server_name, o->tls_server_name);
	rc = cz_kube_open(&kc, &opts, out, err);
cleanup:
	cz_kubeconfig_release(&kc);
	free(path);
	return rc;
}

static int load_body(const char *file, json_t **out, cz_error *err)
{
	json_error_t jerr;

	*out = json_load_file(file, 0, &jerr);
	if (!*out)
		return cz_fail(err, CZ_EINVALID, "%s: %s", file, jerr.text);
	return CZ_OK;
}

static int on_event(void *ctx, const char *type, json_t *object,
		    cz_blob *text)
{
	watch_ctx *w = ctx;

	(void)text;
	const char *name = json_string_value(json_object_get(
		json_object_get(object, "metadata"), "name"));

	if (!strcmp(type, "ERROR"))
		printf("ERROR %lld\n",
		       (long long)json_integer_value(
			       json_object_get(object, "code")));
	else
		printf("%s %s\n", type, name ? name : "-");
	fflush(stdout);
	return ++w->seen >= w->want ? 1 : 0;
}

static void *stop_later(void *arg)
{
	stopper *s = arg;
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)s->seconds;
	ts.tv_nsec += (long)((s->seconds - (double)(time_t)s->seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->done && rc == 0)
		rc = pthread_cond_timedwait(&s->cond, &s->mu, &ts);
	if (!s->done)
		*s->stop = 1;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Watches with a thread that raises *stop after seconds. */
static int watch_until(cz_kube *k, const char *path, watch_ctx *w,
		       double seconds, cz_error *err)
{
	volatile int stop = 0;
	stopper s = { &stop, seconds, PTHREAD_MUTEX_INITIALIZER,
		      PTHREAD_COND_INITIALIZER, 0 };
	pthread_t t;
	int rc;

	if (pthread_create(&t, NULL, stop_later, &s))
		return cz_fail(err, CZ_ERR, "pthread_create failed");
	rc = cz_kube_watch(k, path, on_event, w, &stop, err);
	pthread_mutex_lock(&s.mu);
	s.done = 1;
	pthread_cond_signal(&s.cond);
	pthread_mutex_unlock(&s.mu);
	pthread_join(t, NULL);
	return rc;
}

static int run_watch(cz_kube *k, int argc, char **argv, cz_error *err)
{
	watch_ctx w = { atol(argv[2]), 0 };
	double seconds = argc > 3 ? atof(argv[3]) : 20;
	int rc = watch_until(k, argv[1], &w, seconds, err);

	if (rc < 0)
		return rc;
	if (w.seen < w.want)
		return cz_fail(err, CZ_ERR, "%ld of %ld events", w.seen,
			       w.want);
	return CZ_OK;
}

static int run_watch_stop(cz_kube *k, char **argv, cz_error *err)
{
	watch_ctx w = { 1000000, 0 };
	double seconds = atof(argv[2]);
	double start = now();
	int rc = watch_until(k, argv[1], &w, seconds, err);

	if (rc < 0)
		return rc;
	printf("stopped %.1f\n", now() - start - seconds);
	return CZ_OK;
}

static int run_verb(cz_kube *k, int argc, char **argv, cz_error *err)
{
	const char *cmd = argv[0], *path = argv[1];
	json_t *body = NULL, *out = NULL;
	int rc = CZ_EINVALID;

	if (!strcmp(cmd, "get") && argc == 2)
		rc = cz_kube_get(k, path, &out, err);
	else if (!strcmp(cmd, "delete") && argc == 2)
		rc = cz_kube_delete(k, path, NULL, &out, err);
	else if (!strcmp(cmd, "create") && argc == 3 &&
		 !(rc = load_body(argv[2], &body, err)))
		rc = cz_kube_create(k, path, body, &out, err);
	else if (!strcmp(cmd, "update") && argc == 3 &&
		 !(rc = load_body(argv[2], &body, err)))
		rc = cz_kube_update(k, path, body, &out, err);
	else if (!strcmp(cmd, "patch") && argc == 4 &&
		 !(rc = load_body(argv[3], &body, err)))
		rc = cz_kube_patch(k, path, argv[2], body, &out, err);
	else if (rc == CZ_EINVALID && !err->msg[0])
		cz_fail(err, CZ_EINVALID, "usage: see kube_check.c");
	if (rc == CZ_OK && out) {
		json_dumpf(out, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		putchar('\n');
	}
	json_decref(body);
	json_decref(out);
	return rc;
}

static int parse_overrides(int *argc, char ***argv, overrides *o)
{
	while (*argc >= 2 && !strncmp((*argv)[0], "--", 2)) {
		const char *opt = (*argv)[0], *val = (*argv)[1];

		if (!strcmp(opt, "--server"))
			o->server = val;
		else if (!strcmp(opt, "--token"))
			o->token = val;
		else if (!strcmp(opt, "--tls-server-name"))
			o->tls_server_name = val;
		else if (!strcmp(opt, "--timeout"))
			o->timeout = (unsigned)atoi(val);
		else
			return -1;
		*argc -= 2;
		*argv += 2;
	}
	return *argc >= 2 ? 0 : -1;
}

int main(int argc, char **argv)
{
	overrides o = { 0 };
	cz_error err = CZ_ERROR_INIT;
	cz_kube *k = NULL;
	int rc;

	cz_json_use_project_allocator();
	argc--;
	argv++;
	if (parse_overrides(&argc, &argv, &o) < 0) {
		fputs("usage: kube_check [options] VERB PATH [ARGS]\n", stderr);
		return 2;
	}
	if ((rc = open_client(&o, &k, &err)) < 0)
		goto cleanup;
	if (!strcmp(argv[0], "watch") && argc >= 3)
		rc = run_watch(k, argc, argv, &err);
	else if (!strcmp(argv[0], "watch-stop") && argc == 3)
		rc = run_watch_stop(k, argv, &err);
	else
		rc = run_verb(k, argc, argv, &err);
cleanup:
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", cz_code_name(rc), err.msg);
	cz_kube_free(k);
	return rc < 0 ? 1 : 0;
}
