#ifndef CZ_SERVER_CONTROLLERS_H
#define CZ_SERVER_CONTROLLERS_H

/*
 * cozypkgd's controller options and its two ways of running the
 * controllers: in-process against its own API (the default), or alone
 * against the server a kubeconfig names (--controllers-only).
 */

#include <getopt.h>
#include <stdbool.h>

#include "controller/manager.h"
#include "server.h"

typedef struct cz_ctl_config {
	cz_manager_opts mgr;
	bool enabled;           /* --controllers=all (default) or none */
	bool only;              /* --controllers-only */
	const char *kubeconfig; /* --kubeconfig */
	const char *context;    /* --context */
} cz_ctl_config;

void cz_ctl_config_default(cz_ctl_config *c);

/* Long options (terminated by a zero entry); their values start at
 * CZ_CTL_OPT_FIRST. */
#define CZ_CTL_OPT_FIRST 512
extern const struct option cz_ctl_long_options[];
extern const char cz_ctl_usage[];
/* Applies one option; 0, or 2 after printing a usage error. */
int cz_ctl_parse_option(int opt, const char *arg, cz_ctl_config *c);

/*
 * In-process: the manager talks to srv's store through the in-process
 * client (apiserver/direct.h) as the user system:cozypkg-controllers of
 * the group cozypkg:controllers: the verbs and authorisation of the HTTP
 * API, without TLS, socket or JSON text.
 */
int cz_ctl_start_inprocess(cz_server *srv, cz_ctl_config *c, cz_manager **out,
			   cz_error *err);
/* --controllers-only: runs until SIGTERM/SIGINT; returns the exit code. */
int cz_ctl_run_only(cz_ctl_config *c, const sigset_t *signals);

#endif
