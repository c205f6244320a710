/*
 * informer_check: drives one informer for the end-to-end tests, one
 * command per line on stdin, one answer line on stdout ("ok ..." or
 * "error ...").  The kubeconfig is $KUBECONFIG.
 *
 *   start RESOURCE PAGE-SIZE   informer on the resource with that plural
 *   wait-synced                "ok COUNT" once the first list is in
 *   wait-count N               until the cache holds N objects
 *   wait-label KEY VALUE N     until N objects have the label
 *   wait-obj KEY LABEL VALUE   until object KEY ("ns/name" or "name") has
 *                              the label LABEL=VALUE
 *   wait-gone KEY              until object KEY is not cached
 *   list NS LABEL VALUE        "ok KEY,KEY,..." ("-" for NULL)
 *   stats                      counters of the informer and the handler
 *   stop / resume              cz_informer_stop / cz_informer_start
 *   quit                       frees everything and exits 0 (also at EOF)
 *
 * The handler counts adds, updates and deletes, and counts as "bad" any
 * call that sees a cache not yet updated or an update that does not
 * change the resourceVersion.  Waits give up after 30 seconds.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "controller/informer.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "util/mem.h"

#define WAIT_SECONDS 30
#define MAX_ARGS 4

typedef struct counts {
	pthread_mutex_t mu;
	unsigned long adds, updates, deletes, bad;
} counts;

typedef struct driver {
	cz_kube *kube;
	cz_informer *inf;
	counts c;
} driver;

/* The cache key of obj's namespace and name, for looking it up again. */
static json_t *cached(cz_informer *inf, const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");

	return cz_informer_get(
		inf, json_string_value(json_object_get(meta, "namespace")),
		json_string_value(json_object_get(meta, "name")));
}

static const char *rv_of(const json_t *obj)
{
	const char *rv = json_string_value(json_object_get(
		json_object_get(obj, "metadata"), "resourceVersion"));

	return rv ? rv : "";
}

static cz_informer *the_informer;

static void on_change(void *ctx, json_t *old_obj, json_t *new_obj)
{
	counts *c = ctx;
	json_t *now = cached(the_informer, new_obj ? new_obj : old_obj);
	bool bad = new_obj ? now != new_obj : now != NULL;

	if (old_obj && new_obj && !strcmp(rv_of(old_obj), rv_of(new_obj)))
		bad = true;
	json_decref(now);
	pthread_mutex_lock(&c->mu);
	if (!old_obj)
		c->adds++;
	else if (new_obj)
		c->updates++;
	else
		c->deletes++;
	if (bad)
		c->bad++;
	pthread_mutex_unlock(&c->mu);
}

static const cz_resource *resource_named(const char *plural)
{
	size_t n;
	const cz_resource *all = cz_resources(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].resource, plural))
			return &all[i];
	return NULL;
}

static int cmd_start(driver *d, char **arg, cz_error *err)
{
	cz_informer_opts opts = { .resource = resource_named(arg[0]),
				  .page_size = (unsigned)atoi(arg[1]) };
	cz_kubeconfig kc = { 0 };
	char *path = cz_kubeconfig_default_path();
	int rc;

	if (d->inf || !opts.resource || !path) {
		rc = cz_fail(err, CZ_EINVALID, "bad start");
		goto cleanup;
	}
	if ((rc = cz_kubeconfig_load(path, NULL, &kc, err)) < 0 ||
	    (rc = cz_kube_open(&kc, NULL, &d->kube, err)) < 0 ||
	    (rc = cz_informer_new(d->kube, &opts, &d->inf, err)) < 0)
		goto cleanup;
	the_informer = d->inf;
	cz_informer_on_change(d->inf, on_change, &d->c);
	rc = cz_informer_start(d->inf, err);
cleanup:
	cz_kubeconfig_release(&kc);
	free(path);
	return rc;
}

static char *nullable(char *arg)
{
	return strcmp(arg, "-") ? arg : NULL;
}

/* "ns/name" or "name" as the two arguments cz_informer_get takes. */
static json_t *get_key(cz_informer *inf, const char *key)
{
	char *copy = cz_xstrdup(key);
	char *slash = strchr(copy, '/');
	json_t *obj;

	if (slash) {
		*slash = '\0';
		obj = cz_informer_get(inf, copy, slash + 1);
	} else {
		obj = cz_informer_get(inf, NULL, copy);
	}
	free(copy);
	return obj;
}

static bool has_label(const json_t *obj, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "labels"),
		key));

	return v && !strcmp(v, value);
}

/* Whether the condition of a wait command holds now. */
static bool holds(driver *d, const char *cmd, char **arg)
{
	json_t *v = NULL;
	bool ok = false;

	if (!strcmp(cmd, "wait-count")) {
		ok = cz_informer_count(d->inf) == (size_t)atol(arg[0]);
	} else if (!strcmp(cmd, "wait-label")) {
		v = cz_informer_list(d->inf, NULL, arg[0], arg[1]);
		ok = json_array_size(v) == (size_t)atol(arg[2]);
	} else if (!strcmp(cmd, "wait-obj")) {
		v = get_key(d->inf, arg[0]);
		ok = v && has_label(v, arg[1], arg[2]);
	} else if (!strcmp(cmd, "wait-gone")) {
		v = get_key(d->inf, arg[0]);
		ok = !v;
	}
	json_decref(v);
	return ok;
}

static void cmd_wait(driver *d, const char *cmd, char **arg)
{
	struct timespec tick = { 0, 50 * 1000000L };

	for (int i = 0; i < WAIT_SECONDS * 20; i++) {
		if (holds(d, cmd, arg)) {
			printf("ok\n");
			return;
		}
		nanosleep(&tick, NULL);
	}
	printf("error timed out: count=%zu\n", cz_informer_count(d->inf));
}

/* cz_informer_wait_synced with a stop flag raised after WAIT_SECONDS. */
static void *raise_later(void *arg)
{
	struct timespec ts = { WAIT_SECONDS, 0 };

	nanosleep(&ts, NULL);
	*(volatile int *)arg = 1;
	return NULL;
}

static void cmd_wait_synced(driver *d)
{
	static volatile int give_up;
	pthread_t t;

	if (!cz_informer_synced(d->inf)) {
		pthread_create(&t, NULL, raise_later, (void *)&give_up);
		pthread_detach(t);
	}
	if (cz_informer_wait_synced(d->inf, &give_up))
		printf("ok %zu\n", cz_informer_count(d->inf));
	else
		printf("error not synced\n");
}

static void cmd_list(driver *d, char **arg)
{
	json_t *items = cz_informer_list(d->inf, nullable(arg[0]),
					 nullable(arg[1]), nullable(arg[2]));
	size_t i;
	json_t *obj;

	printf("ok ");
	json_array_foreach(items, i, obj) {
		char *key = cz_object_cache_key(obj);

		printf("%s%s", i ? "," : "", key);
		free(key);
	}
	printf("\n");
	json_decref(items);
}

static void cmd_stats(driver *d)
{
	cz_informer_stats s;

	cz_informer_get_stats(d->inf, &s);
	pthread_mutex_lock(&d->c.mu);
	printf("ok lists=%lu watches=%lu events=%lu adds=%lu updates=%lu "
	       "deletes=%lu bad=%lu\n",
	       s.lists, s.watches, s.events, d->c.adds, d->c.updates,
	       d->c.deletes, d->c.bad);
	pthread_mutex_unlock(&d->c.mu);
}

/* Runs one command line; false for quit. */
static bool run_line(driver *d, char *line)
{
	char *arg[MAX_ARGS + 1] = { 0 };
	char *save = NULL, *cmd = strtok_r(line, " \t\n", &save);
	cz_error err = CZ_ERROR_INIT;
	int n = 0;

	while (n < MAX_ARGS && (arg[n] = strtok_r(NULL, " \t\n", &save)))
		n++;
	if (!cmd)
		return true;
	if (!strcmp(cmd, "quit"))
		return false;
	if (!strcmp(cmd, "start") && n == 2) {
		if (cmd_start(d, arg, &err) < 0)
			printf("error %s\n", err.msg);
		else
			printf("ok\n");
	} else if (!d->inf) {
		printf("error not started\n");
	} else if (!strcmp(cmd, "wait-synced")) {
		cmd_wait_synced(d);
	} else if (!strncmp(cmd, "wait-", 5) && n >= 1) {
		cmd_wait(d, cmd, arg);
	} else if (!strcmp(cmd, "list") && n == 3) {
		cmd_list(d, arg);
	} else if (!strcmp(cmd, "stats")) {
		cmd_stats(d);
	} else if (!strcmp(cmd, "stop")) {
		cz_informer_stop(d->inf);
		printf("ok\n");
	} else if (!strcmp(cmd, "resume")) {
		if (cz_informer_start(d->inf, &err) < 0)
			printf("error %s\n", err.msg);
		else
			printf("ok\n");
	} else {
		printf("error unknown command %s\n", cmd);
	}
	return true;
}

int main(void)
{
	driver d = { .c = { .mu = PTHREAD_MUTEX_INITIALIZER } };
	char line[1024];

	cz_json_use_project_allocator();
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) && run_line(&d, line))
		;
	cz_informer_free(d.inf);
	cz_kube_free(d.kube);
	return 0;
}
