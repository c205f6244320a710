/* cozypkg dashboard: a link to cozypkgd's dashboard that signs its holder
 * in as the caller, for a short while. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/duration.h"
#include "util/mem.h"

#define OPT_EXPIRE (CLI_LONG_ONLY + 1)

/* The server's cap (src/server/ui.h): a link never outlives it. */
#define MAX_EXPIRE_SECONDS (15 * 60)

static const cli_opt opts[] = {
	{ OPT_EXPIRE, "expire", "DURATION",
	  "how long the link's token works, at most 15m (default 15m)" },
	CLI_CLUSTER_OPTIONS,
	{ 0, NULL, NULL, NULL },
};

typedef struct dashboard_args {
	long long expire_seconds;
	cli_conn conn;
} dashboard_args;

static int on_opt(void *ctx, int id, const char *arg)
{
	dashboard_args *a = ctx;
	cz_error err = CZ_ERROR_INIT;
	int64_t ns = 0;

	if (id == OPT_EXPIRE) {
		if (cz_duration_parse(arg, &ns, &err) != CZ_OK ||
		    ns < 1000000000LL ||
		    ns > MAX_EXPIRE_SECONDS * 1000000000LL)
			return cli_usage_error(&cmd_dashboard,
					       "--expire: expected a duration "
					       "from 1s to 15m, got \"%s\"",
					       arg);
		a->expire_seconds = ns / 1000000000LL;
	} else if (!cli_conn_option(&a->conn, id, arg)) {
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* Asks the server for a session token of the kubeconfig's own identity and
 * prints the link; the token itself is never the kubeconfig's. */
static int print_link(dashboard_args *a)
{
	cz_kube_response resp = { 0, NULL };
	cz_error err = CZ_ERROR_INIT;
	char path[64];
	const char *token, *expires;
	int rc;

	if ((rc = cli_connect(&a->conn)) != CLI_EXIT_OK)
		return rc;
	snprintf(path, sizeof(path), "/auth/session?expirationSeconds=%lld",
		 a->expire_seconds);
	if (cz_kube_request(a->conn.kube, "POST", path, NULL, NULL, &resp,
			    &err) < 0 ||
	    cz_kube_check(a->conn.kube, &resp, &err) < 0) {
		rc = cli_fail(&err);
		goto cleanup;
	}
	token = json_string_value(json_object_get(resp.body, "token"));
	expires = json_string_value(json_object_get(resp.body, "expiresAt"));
	if (!token || strspn(token, "0123456789abcdef") != strlen(token)) {
		fprintf(stderr, "cozypkg: %s: the session answer has no "
				"token\n",
			cz_kube_server(a->conn.kube));
		rc = CLI_EXIT_FAILED;
		goto cleanup;
	}
	printf("%s/ui/#token=%s\n", cz_kube_server(a->conn.kube), token);
	fprintf(stderr, "The link signs in as you until %s; keep it to "
			"yourself.\n",
		expires ? expires : "it expires");
	rc = CLI_EXIT_OK;
cleanup:
	cz_kube_response_release(&resp);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv)
{
	dashboard_args a;
	int first, rc;

	memset(&a, 0, sizeof(a));
	a.expire_seconds = MAX_EXPIRE_SECONDS;
	rc = cli_parse(cmd, argc, argv, on_opt, &a, &first);
	if (rc == CLI_EXIT_OK && first != argc)
		rc = cli_usage_error(cmd, "dashboard takes no arguments");
	if (rc == CLI_EXIT_OK)
		rc = print_link(&a);
	cli_conn_close(&a.conn);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

const cli_command cmd_dashboard = {
	.name = "dashboard",
	.run = run,
	.summary = "Print a link to cozypkgd's web dashboard, signed in as you",
	.usage = "dashboard [--expire DURATION]",
	.description =
		"Asks the server for a short-lived session token of the "
		"kubeconfig's own user and groups (POST /auth/session) and "
		"prints https://SERVER/ui/#token=TOKEN.  The token is in the "
		"URL fragment, which the browser never sends to the server; "
		"the page removes it from the address bar at once.  A session "
		"token cannot issue another one, so the link dies at its "
		"expiry (docs/dashboard.md).",
	.opts = opts,
	.examples = "  cozypkg dashboard\n"
		    "  cozypkg dashboard --expire 5m\n",
};
